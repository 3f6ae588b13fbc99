"""Redaction holds in every output (issue 17, point 5).

A marker value goes into a cell's params and into the error the database raises about it
(PostgreSQL's "Key (username)=(...) already exists", MariaDB's "Duplicate entry '...'"); with
redaction on, no output format holds it: text, HTML, markdown, plotly JSON, the plan figure,
the dataframe, the saved JSON (and what it loads back as) and the HTML report. The same
profile without redaction holds it, so the search can fail. Run on each database through
DATABASE_URL (SQLite by default; CI runs PostgreSQL and MariaDB too).
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from IPython.utils.capture import capture_output

import kit
from kit.analysis.redaction import redact_error, redact_text
from kit.explain.plan import Plan, PlanFinding, PlanNode
from kit.render.figures import PLOTLY_MIME
from kit.render.plan_figure import PlanFigure
from tests.profiles import make_profile, record

pytestmark = pytest.mark.django_db

MARKER = "Xylo-Secret-7731"

CELL = """%%orm_profile -o red --explain
from django.contrib.auth.models import User
from django.db import transaction
for _ in range(3):
    User.objects.filter(username=secret).exists()
User.objects.filter(username__in=[secret, "somebody"]).count()
with transaction.atomic():
    User.objects.create(username=secret)
"""


@pytest.fixture
def marked_user():
    return User.objects.create(username=MARKER)


def every_output(profile: kit.Profile, tmp_path, redact: bool | None = None) -> dict[str, str]:
    """Each output format of the profile, as text."""
    saved = profile.save(tmp_path / "p.json", redact_params=redact)
    report = profile.to_html(tmp_path / "r.html", redact_params=redact, static_images=False)
    shown = profile.as_shown() if redact is None else profile.redacted() if redact else profile
    figure = PlanFigure.of(shown.plans, static_image=False) if shown.plans else None
    loaded = kit.load(saved)
    return {
        "text": repr(shown),
        "html": shown._repr_html_(),
        "markdown": shown._repr_markdown_(),
        "timeline": shown.timeline().to_json(),
        "breakdown": shown.breakdown().to_json(),
        "plan figure": json.dumps(figure._repr_mimebundle_()[0]) if figure else "",
        "dataframe": shown.to_dataframe().to_csv(),
        "findings": json.dumps([repr(f) for f in shown.findings]),
        "saved": saved.read_text(),
        "loaded": repr(loaded) + loaded._repr_html_() + json.dumps(repr(loaded.plans)),
        "report": report.read_text(),
    }


def run_marked_cell(ip_shell):
    ip_shell.user_ns["secret"] = MARKER  # not in the cell's code: only in its params
    ip_shell.user_ns.pop("red", None)
    with capture_output() as captured:
        result = ip_shell.run_cell(CELL)
    assert type(result.error_in_exec).__name__ == "IntegrityError"
    return ip_shell.user_ns["red"], captured


def test_redact_params_config_keeps_the_marker_out_of_every_output(
    ip_shell, marked_user, tmp_path
):
    ip_shell.run_line_magic("config", "OrmProfile.redact_params = True")
    try:
        red, captured = run_marked_cell(ip_shell)
    finally:
        ip_shell.run_line_magic("config", "OrmProfile.redact_params = False")
    # The raw values stay in the kernel (p.queries, p.error): the outputs are what is shared.
    assert red.redact_params and MARKER in str(red.queries[0].params)
    assert red.plans, "the cell was explained"
    shown = json.dumps([o.data for o in captured.outputs], default=str)
    assert MARKER not in shown
    assert PLOTLY_MIME in shown and "text/html" in shown  # the figures were there to search
    for name, text in every_output(red, tmp_path).items():
        assert MARKER not in text, f"{name} holds the value"
    assert "(redacted #1)" in red._repr_html_()
    # Repeats are still found: the same params get the same stand-in.
    assert any(f.kind == "duplicate" for f in red.findings)
    assert red.redacted().error.startswith("IntegrityError")
    loaded = kit.load(red.save(tmp_path / "again.json"))  # saved redacted: its own setting
    assert repr(loaded.queries[0].params) == "(redacted #1)"


def test_without_redaction_the_same_outputs_hold_the_marker(ip_shell, marked_user, tmp_path):
    red, _ = run_marked_cell(ip_shell)
    assert not red.redact_params
    outputs = every_output(red, tmp_path)
    for name in ("html", "dataframe", "saved", "loaded", "report"):
        assert MARKER in outputs[name], name
    if connection.vendor != "sqlite":  # SQLite's plans and errors do not quote values
        assert MARKER in json.dumps([p.root.detail for p in red.plans] + [red.error])
    # Asked for, save and the report redact a profile that was not made redacted.
    for name, text in every_output(red, tmp_path, redact=True).items():
        assert MARKER not in text, f"{name} holds the value"


def test_kit_profile_redact_params(marked_user, tmp_path):
    # Each vendor's own IntegrityError class: Django's wraps it as django.db.IntegrityError.
    from django.db import IntegrityError

    with (
        pytest.raises(IntegrityError) as raised,
        kit.profile(redact_params=True, explain="plain") as p,
    ):
        User.objects.filter(username=MARKER).exists()
        with transaction.atomic():
            User.objects.create(username=MARKER)
    assert type(raised.value).__name__ == "IntegrityError"
    for name, text in every_output(p, tmp_path).items():
        assert MARKER not in text, f"{name} holds the value"


@pytest.mark.parametrize(
    ("error", "kept", "gone"),
    [
        (
            'IntegrityError: duplicate key value violates unique constraint "auth_user_'
            'username_key"\nDETAIL:  Key (username)=(alice) already exists.',
            ['unique constraint "auth_user_username_key"', "Key (username)=((redacted))"],
            "alice",
        ),
        (
            'IntegrityError: null value in column "email" of relation "auth_user" violates '
            "not-null constraint\nDETAIL:  Failing row contains (7, pbkdf2, alice, null).",
            ['column "email"', "Failing row contains ((redacted))"],
            "alice",
        ),
        (
            "IntegrityError: (1062, \"Duplicate entry 'alice' for key 'auth_user.username'\")",
            ["Duplicate entry '(redacted)' for key 'auth_user.username'"],
            "alice",
        ),
        (
            "DataError: (1366, \"Incorrect integer value: 'alice' for column `blog`.`id`\")",
            ["Incorrect integer value: '(redacted)'"],
            "alice",
        ),
        (
            "ValidationError: ['“alice” value must be an integer.']",
            ["ValidationError: "],
            "alice",
        ),
    ],
)
def test_error_texts_lose_the_values_they_quote(error, kept, gone):
    # "alice" is not among the params here: the patterns alone must find it.
    redacted = redact_error(error)
    assert gone not in redacted
    for text in kept:
        assert text in redacted


def test_plan_conditions_lose_strings_and_numbers():
    detail = "Filter: (((username)::text = 'alice'::text) AND (id = 42) AND (t1.x > -3.5))"
    redacted = redact_text(detail, numbers=True)
    assert "alice" not in redacted and "42" not in redacted and "3.5" not in redacted
    assert "t1.x" in redacted and "(username)::text" in redacted


def test_plan_figure_hover_and_labels_are_escaped():
    node = PlanNode(
        "Seq Scan", relation="<img src=x onerror=alert(1)>", detail="Filter: (a = '<b>x</b>')"
    )
    finding = PlanFinding("full_scan", "warning", "reads <script>all</script>", 0)
    plan = Plan("sqlite", "default", "SELECT 1", (), node, "EXPLAIN", findings=(finding,))
    data = json.dumps(PlanFigure.of([plan], static_image=False).figure.to_plotly_json())
    for raw in ("<img", "<script", "<b>x"):
        assert raw not in data


def test_a_record_with_the_marker_in_dict_and_bytes_params_is_redacted(tmp_path):
    records = [
        record(0, "SELECT 1 WHERE a = %(a)s", {"a": MARKER}, start_ms=1),
        record(1, "SELECT 2 WHERE b = %s", (MARKER.encode(),), start_ms=2),
    ]
    profile = make_profile(records)
    for name, text in every_output(profile, tmp_path, redact=True).items():
        assert MARKER not in text, name
