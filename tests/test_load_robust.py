"""kit.load refuses every malformed file with one ProfileFormatError line (issue 17, point 6).

Table-driven cases name each kind of damage; hypothesis then feeds kit.load mutated copies of
a real saved profile (any field replaced by any JSON value, or removed) and random bytes, and
asserts that only ProfileFormatError comes out, and that whatever loads also renders.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kit
import kit.profiles.load
from kit.analysis.timings import RunTimes
from kit.explain.plan import ExplainError, Plan, PlanFinding, PlanNode, finalize
from tests.explain_fixtures import parse
from tests.profiles import AUTHOR_SQL, make_profile, n_plus_one_profile, record


def rich_profile() -> kit.Profile:
    """A profile with every kind of field: params of every tag, an error, plans with
    findings and nested nodes, an explain error, --repeat's run times."""
    profile = n_plus_one_profile(posts=4, name="base")
    params = (
        Decimal("1.50"),
        uuid.UUID(int=7),
        b"\x00bytes",
        datetime(2025, 1, 2, tzinfo=UTC),
        date(2025, 1, 3),
        {"k": [1, (2, 3)]},
    )
    failed = dataclasses.replace(
        record(9, AUTHOR_SQL, params, start_ms=30.0, line=5), error="IntegrityError: boom"
    )
    queries = [*profile.queries, failed]
    loaded = make_profile(queries, name="base")
    root, planning_ms, execution_ms = parse("postgresql-correlated-analyze")
    finding = PlanFinding("full_scan", "warning", "reads every row", root.id, table="blog_post")
    loaded.plans = [
        Plan(
            "postgresql", "default", AUTHOR_SQL, (10,), root, "EXPLAIN (ANALYZE, FORMAT JSON)",
            analyzed=True, fingerprint="f", record_id=1, planning_ms=planning_ms,
            execution_ms=execution_ms, findings=(finding,),
        ),
        Plan("sqlite", "default", "SELECT 1", (), finalize(PlanNode("SCAN t")), "EXPLAIN"),
    ]  # fmt: skip
    loaded.explain_errors = [ExplainError("sqlite", "default", "SELECT 2", "refused")]
    loaded.runs = RunTimes((1.0, 2.0), (0.5, 0.6), (6, 6))
    return loaded


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Any]:
    path = rich_profile().save(tmp_path_factory.mktemp("saved") / "base.json")
    return json.loads(path.read_text())


def write(tmp_path: Path, content: bytes | str | Any) -> Path:
    path = tmp_path / f"{uuid.uuid4().hex}.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def renders(profile: kit.Profile) -> None:
    """Every output a user can ask a loaded profile for."""
    repr(profile)
    profile._repr_html_()
    profile._repr_markdown_()
    profile.timeline()
    profile.breakdown()
    if profile.plans:
        profile.plan_figure(static_image=False)._repr_mimebundle_()
    profile.to_dataframe()
    profile.redacted()._repr_html_()


def test_the_unmutated_file_loads_and_renders(saved, tmp_path):
    profile = kit.load(write(tmp_path, saved))
    assert profile.queries == rich_profile().queries
    assert profile.plans == rich_profile().plans
    renders(profile)


def at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def mutate(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of data with the item at path replaced by value (or removed: DELETE)."""
    copy = json.loads(json.dumps(data))
    parent, last = at(copy, path[:-1]), path[-1]
    if value is DELETE:
        del parent[last]
    else:
        parent[last] = value
    return copy


DELETE = object()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ((("queries",), {"0": {}}), "queries: expected a list, found dict"),
        ((("queries", 0, "sql"), 5), r"queries\[0\]\.sql: expected text, found int"),
        ((("queries", 1, "duration_ms"), "slow"), r"queries\[1\]\.duration_ms: expected a num"),
        ((("queries", 1, "params"), {"$decimal": "not a number"}), r"\$decimal InvalidOperat"),
        ((("queries", 1, "params"), {"$bytes": "@@@"}), r"queries\[1\]\.params: \$bytes"),
        ((("queries", 1, "params"), {"$time": 5}), r"\$time holds int, not str"),
        ((("queries", 1, "params"), {"$a": 1, "$b": 2}), "a tagged value has one key"),
        ((("queries", 1, "params"), {"$timedelta": [10**12, 0, 0]}), "OverflowError"),
        ((("queries", 1, "line"), 2**70), r"queries\[1\]\.line: an integer out of range"),
        ((("queries", 1, "many"), "yes"), "expected true or false"),
        ((("queries", 1, "id"), True), "expected an integer, found bool"),
        ((("queries", 1, "sql"), DELETE), r"queries\[1\]: sql is missing"),
        ((("plans", 0, "root", "children"), "abc"), r"plans\[0\]\.root\.children: expected a"),
        ((("plans", 0, "findings", 0, "node_id"), 999), "a finding points at node 999"),
        ((("runs", "wall_ms"), []), "RunTimes needs one wall time"),
        ((("threshold",), 1), "threshold: threshold must be 2 or more"),
        ((("rows_by",), "bogus"), "rows_by: 'bogus' is not one of"),
        ((("query_count",), 1), "query_count: fewer than the queries"),
        ((("max_rows",), -1), "max_rows: -1 is below 0"),
        ((("started_at",), "yesterday"), "started_at: not a date and time"),
        ((("cell_numbers",), {"file": "three"}), r"cell_numbers\['file'\]: expected an integer"),
        ((("version",), True), "version True is not supported"),
        ((("version",), "1"), "version '1' is not supported"),
        ((("version",), 2), "version 2 is not supported"),
        ((("format",), None), "Not a saved kit profile"),
        ((("plans",), DELETE), "plans: missing"),
    ],
)
def test_each_kind_of_damage_is_one_line(saved, tmp_path, change, message):
    path = write(tmp_path, mutate(saved, *change))
    with pytest.raises(kit.ProfileFormatError, match=message) as raised:
        kit.load(path)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}".encode("utf-16"), "not UTF-8 at byte 0"),
        (b'{"format": "caf\xe9"}', "not UTF-8 at byte 15"),
        ('{"format": ' + "9" * 5000 + "}", "Exceeds the limit"),
        ("[" * 100_000 + "]" * 100_000, "nested too deep"),
        ('{"wall_time_ms": NaN}', "NaN is not a number a saved profile holds"),
        ("", "Expecting value"),
        ("[1, 2]", "Not a saved kit profile"),
    ],
)
def test_files_that_are_not_profiles_are_one_line(tmp_path, content, message):
    with pytest.raises(kit.ProfileFormatError, match=message) as raised:
        kit.load(write(tmp_path, content))
    assert "\n" not in str(raised.value)


def test_deep_plan_trees_are_refused_before_they_exhaust_the_stack(saved, tmp_path):
    node: dict[str, Any] = {"operation": "leaf"}
    for _ in range(300):
        node = {"operation": "step", "children": [node]}
    with pytest.raises(kit.ProfileFormatError, match="nested deeper than 100 levels"):
        kit.load(write(tmp_path, mutate(saved, ("plans", 0, "root"), node)))


def test_what_finalize_derives_is_derived_again(saved, tmp_path):
    damaged = mutate(saved, ("plans", 0, "root", "id"), 4)
    damaged = mutate(damaged, ("plans", 0, "root", "exclusive_ms"), DELETE)
    loaded = kit.load(write(tmp_path, damaged))
    assert loaded.plans == rich_profile().plans
    renders(loaded)


@pytest.mark.parametrize("field", ["cache_call_count", "query_count"])
def test_counts_past_what_the_file_holds_render(saved, tmp_path, field):
    # Calls counted and none kept (a cap of 0): the tables had no row to measure (issue 17).
    document = mutate(saved, (field,), (saved.get(field) or 0) + 5)
    document = mutate(document, ("queries",), []) if field == "query_count" else document
    renders(kit.load(write(tmp_path, document)))


def test_a_file_over_the_size_limit_is_refused_unread(saved, tmp_path, monkeypatch):
    path = write(tmp_path, saved)
    monkeypatch.setattr(kit.profiles.load, "MAX_PROFILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(kit.ProfileFormatError, match=r"is larger than 0 MB, the most kit\.load"):
        kit.load(path)
    monkeypatch.setattr(kit.profiles.load, "MAX_PROFILE_BYTES", path.stat().st_size)
    assert kit.load(path).query_count == 7


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the JSON document, depth first."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return found
    for key, value in items:
        found += paths(value, (*prefix, key))
    return found


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["$tuple", "$decimal", "shape", "query", "2025-01-02T03:04:05"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["$tuple", "$bytes", "$dict", "$decimal", "$repr", "operation", "x"])
            | st.text(max_size=5),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


WORDS = ["shape", "query", "warning", "info", "error", "full_scan", "sort", "n_plus_one", "m2m"]


def same_kind(value: Any) -> st.SearchStrategy[Any]:
    """Values of the JSON type already there: these pass the type checks and must render."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1) | st.integers(-3, 3)
    if isinstance(value, float):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(value, str):
        return st.text(max_size=30) | st.sampled_from(WORDS)
    if isinstance(value, list):
        return st.just([]) | st.just(value + value) | st.just(value[::-1])
    return JSON_VALUES


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_profiles_load_or_are_refused_and_what_loads_renders(saved, tmp_path, data):
    places = paths(saved)
    changes = data.draw(st.integers(min_value=1, max_value=3))
    document = saved
    for _ in range(changes):
        places = paths(document)
        path = data.draw(st.sampled_from(places))
        value = data.draw(same_kind(at(document, path)) | JSON_VALUES | st.just(DELETE))
        document = mutate(document, path, value)
    try:
        profile = kit.load(write(tmp_path, document))
    except kit.ProfileFormatError as exc:
        assert "\n" not in str(exc)
        return
    renders(profile)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_random_bytes_are_refused_in_one_line(tmp_path, content):
    with pytest.raises(kit.ProfileFormatError) as raised:
        kit.load(write(tmp_path, content))
    assert "\n" not in str(raised.value)
