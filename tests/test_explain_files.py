"""The kit never runs SQL that came from a file: a loaded profile's plans are for display, and
re-explaining its queries (any mode, the what-if too) passes the checks a live cell's do.

A saved profile is edited as an attacker would: its queries' and plans' SQL, its what-if's
CREATE INDEX, its aliases and vendors. Whatever the kit is asked to do with the loaded profile,
no statement holding the crafted text reaches the database, and the table it names is intact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

import kit
from kit.explain import ExplainOptions, explain_records
from kit.explain.whatif import try_index, with_whatifs
from sample_app.blog.models import Post, Tag
from tests.spies import spy_statements

VICTIM = "blog_tag"
CRAFTED = [
    f"SELECT 1; COMMIT; DROP TABLE {VICTIM}",
    f"SELECT * FROM {VICTIM} /*! ; DROP TABLE {VICTIM} */",
    f"SELECT 'x\\' ; DROP TABLE {VICTIM}; -- '",
    f"DROP TABLE {VICTIM}",
    f"SELECT 1 --x\r; DROP TABLE {VICTIM}",
    f"WITH d AS (DELETE FROM {VICTIM} RETURNING id) SELECT * FROM d",
    "SELECT setval('blog_tag_id_seq', 1000)",
]


def crafted_profile(tmp_path: Path, sql: str, **query_fields: Any) -> Path:
    """A real saved profile with every query's and plan's SQL replaced by `sql`."""
    with kit.profile(explain="whatif") as profile:
        list(Post.objects.filter(view_count__gte=1).order_by("-created_at")[:3])
    assert profile.plans, profile.explain_errors
    path = profile.save(tmp_path / "saved.json")
    data = json.loads(Path(path).read_text())
    for query in data["queries"]:
        query.update(sql=sql, **query_fields)
    for plan in data["plans"]:
        plan["sql"] = sql
        for whatif in plan.get("whatifs", []):
            whatif["create_sql"] = f"DROP TABLE {VICTIM}"
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps(data))
    return crafted


def use_every_way(path: Path) -> list[Any]:
    """Everything a user may do with a loaded profile that could send its SQL somewhere."""
    loaded = kit.load(path)
    done: list[Any] = [loaded._repr_html_(), repr(loaded)]
    for mode in ("plain", "analyze", "whatif"):
        done.append(explain_records(loaded.queries, mode))
    for plan in loaded.plans:
        done.append(with_whatifs(plan, ExplainOptions()))
        for finding in plan.findings:
            if finding.index is not None:
                done.append(try_index(plan, finding.index, ExplainOptions()))
    return done


def crafted_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if "DROP" in s.upper() or "COMMIT" in s.upper()]


@pytest.mark.django_db
@pytest.mark.parametrize("sql", CRAFTED)
def test_sql_from_a_file_never_reaches_the_database(tmp_path, sql):
    path = crafted_profile(tmp_path, sql)
    tags = Tag.objects.count()
    with spy_statements() as spy:
        done = use_every_way(path)
    assert crafted_statements(spy.sql) == []
    # A data-modifying WITH may be shown with plain EXPLAIN, which runs nothing; no more.
    assert all(not_run(s[: -len(sql)]) for s in spy.sql if s.endswith(sql))
    assert Tag.objects.count() == tags  # the table is there, with its rows
    results = [d for d in done if hasattr(d, "errors")]
    assert all(not p.analyzed for r in results for p in r.plans)


def not_run(prefix: str) -> bool:
    """True for an EXPLAIN that only plans the statement."""
    words = prefix.upper().replace("ANALYZE FALSE", "")
    return words.startswith(("EXPLAIN", "SET STATEMENT")) and "ANALYZE" not in words


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"alias": "nope"}, "no database alias 'nope'"),
        ({"vendor": "oracle"}, "recorded on oracle"),
    ],
)
def test_a_query_from_a_file_for_another_database_is_not_run(tmp_path, fields, message):
    sql = f"SELECT * FROM {connection.ops.quote_name(VICTIM)}"
    path = crafted_profile(tmp_path, sql, **fields)
    with spy_statements() as spy:
        results = explain_records(kit.load(path).queries, "analyze")
    assert spy.statements == []
    assert results.plans == () and results.errors
    assert all(message in e.message for e in results.errors)


@pytest.mark.django_db
def test_a_files_plan_is_explained_again_only_through_the_checks(tmp_path):
    # The file's SQL is harmless here: the what-if runs it (plain EXPLAIN, after the checks).
    sql = (
        f"SELECT * FROM {connection.ops.quote_name('blog_post')} "
        f"WHERE {connection.ops.quote_name('view_count')} >= 1"
    )
    path = crafted_profile(tmp_path, sql)
    with spy_statements() as spy:
        use_every_way(path)
    assert crafted_statements(spy.sql) == []
    explained = [s for s in spy.sql if s.endswith(sql)]
    assert explained and all(s.split()[0].upper() in ("EXPLAIN", "SET") for s in explained)
