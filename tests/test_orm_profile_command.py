"""`manage.py orm_profile URL` and kit.profile_request(): a request through Django's test client,
its findings as text, its files, and exit status 1 when a budget is broken."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

import kit
from tests import kernels
from tests.requests_helpers import empty_cache  # noqa: F401 - an autouse fixture
from tests.warehouse.data import build

pytestmark = pytest.mark.django_db(databases=["default", "other"])
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("orm_profile", *args, stdout=out)
    return out.getvalue()


def test_prints_the_request_the_summary_the_findings_and_the_top_shapes():
    text = run("/posts/")
    lines = text.splitlines()
    assert lines[0].startswith("GET /posts/ -> 200 OK, ")
    assert lines[1].startswith("81 queries · ")
    assert "Findings, worst first:" in text
    assert "the view post_list (views.py:" in text
    assert "    posts = Post.objects.filter(published=True)" in text
    assert "Top 5 query shapes by database time:" in text
    # Piped (not a terminal): no colour codes.
    assert "\x1b[" not in text


def test_colour_on_request_and_never_in_plain_text():
    out = io.StringIO()
    call_command("orm_profile", "/posts/", stdout=out, force_color=True)
    assert "\x1b[" in out.getvalue()
    plain = io.StringIO()
    call_command("orm_profile", "/posts/", stdout=plain, no_color=True)
    assert "\x1b[" not in plain.getvalue()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--max-queries", "10"], "81 queries (max 10)"),
        (["--no-n-plus-one"], "4 N+1 groups (none allowed)"),
        (["--max-queries", "100", "--no-n-plus-one"], "4 N+1 groups (none allowed)"),
    ],
)
def test_a_broken_budget_exits_with_status_1(options, message):
    with pytest.raises(CommandError, match=re.escape(message)) as raised:
        run("/posts/", *options)
    assert raised.value.returncode == 1


def test_a_kept_budget_exits_normally_and_one_query_less_does_not():
    from kit.analysis.budget import duplicate_ids

    repeats = len(duplicate_ids(kit.profile_request(None, "/posts/").duplicates))
    assert repeats > 0
    assert "Query budget" not in run(
        "/posts/", "--max-queries", "81", "--max-duplicates", str(repeats)
    )
    with pytest.raises(
        CommandError, match=f"{repeats} duplicate queries .max {repeats - 1}."
    ) as raised:
        run("/posts/", "--max-duplicates", str(repeats - 1))
    assert raised.value.returncode == 1


def test_writes_the_html_report_and_the_profile(tmp_path):
    html, saved = tmp_path / "report.html", tmp_path / "profile.json"
    text = run("/posts/", "--html", str(html), "--json", str(saved))
    assert f"HTML report: {html}" in text and f"Profile: {saved}" in text
    loaded = kit.load(saved)
    assert loaded.query_count == 81
    assert any(
        q.template and q.template.startswith("blog/post_list.html:") for q in loaded.queries
    )
    assert "<h1>Query profile</h1>" in html.read_text()
    assert "blog/post_list.html:" in html.read_text()


def test_works_with_debug_off_and_a_host_list_without_the_test_client():
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["blog.example.org"]):
        text = run("/posts/")
        assert settings.ALLOWED_HOSTS == ["blog.example.org"]  # given back after the request
    assert text.splitlines()[1].startswith("81 queries")


def test_any_alias_and_using_narrows_to_one():
    made = build(products=4, audit=True)
    both = kit.profile_request(None, "/warehouse/audit/")
    assert {q.alias for q in both.queries} == {"default", "other"}
    other = kit.profile_request(None, "/warehouse/audit/", using="other")
    assert [q.alias for q in other.queries] == ["other"]
    text = run("/warehouse/audit/", "--using", "other")
    assert text.splitlines()[1].startswith("1 query · ")
    assert made.products == 4


def test_user_logs_in_first_and_an_unknown_user_is_one_clear_error():
    author = User.objects.filter(posts__isnull=False).order_by("pk").first()
    assert "-> 302 Found" in run("/dashboard/")  # login_required
    text = run("/dashboard/", "--user", author.username)
    assert "-> 200 OK" in text
    assert "the view dashboard (views.py:" in text
    with pytest.raises(CommandError, match="No user 'nobody-here' to log in"):
        run("/dashboard/", "--user", "nobody-here")


def test_post_with_form_data():
    User.objects.create_user("poster", password="s3cret-pass")
    text = run(
        "/admin/login/?next=/admin/",
        "--method", "post",
        "--data", "username=poster",
        "--data", "password=s3cret-pass",
    )  # fmt: skip
    # A valid form that is not staff: the login page again, 200, after checking the password.
    assert text.startswith("POST /admin/login/?next=/admin/ -> 200 OK")
    wrong = run("/admin/login/", "--method", "POST", "--data", "username=poster")
    assert wrong.startswith("POST /admin/login/ -> 200 OK")


def test_headers_reach_the_view():
    _, html_response = _request("/api/posts/", headers={"Accept": "text/html"})
    assert html_response["Content-Type"].startswith("text/html")
    _, response = _request("/api/posts/", headers={"Accept": "application/json"})
    assert response["Content-Type"] == "application/json"
    assert len(response.content) < len(html_response.content)
    text = run("/api/posts/", "--header", "Accept: application/json")
    assert "serialized by PostSerializer" in text
    with pytest.raises(CommandError, match="--header must look like NAME:VALUE"):
        run("/api/posts/", "--header", "Accept")


def _request(url, **kwargs):
    from kit.django.requests import request_profile

    return request_profile(None, url, **kwargs)


def test_explain_adds_a_plan_per_query_shape(tmp_path):
    text = run("/posts/", "--explain", "--json", str(tmp_path / "p.json"))
    loaded = kit.load(tmp_path / "p.json")
    shapes = len(loaded.by_fingerprint)
    assert shapes == 5 and len(loaded.plans) == shapes
    assert f"Plan 1 of {shapes} · " in text and f"Plan {shapes} of {shapes} · " in text


def test_profile_request_with_a_client_keeps_its_session():
    client = Client()
    client.force_login(User.objects.filter(posts__isnull=False).order_by("pk").first())
    p = kit.profile_request(client, "/dashboard/")
    assert p.query_count > 3
    assert {q.view.name for q in p.queries if q.view} == {"sample_app.blog.views.dashboard"}
    with pytest.raises(kit.KitUsageError, match="Unknown HTTP method 'FETCH'"):
        kit.profile_request(client, "/dashboard/", method="FETCH")


def test_the_command_runs_as_a_process_with_its_exit_status(tmp_path):
    """The real thing: manage.py in a subprocess, piped, on this session's test database."""
    env = {**os.environ, "DATABASE_URL": kernels.test_database_url()}
    env["DJANGO_SETTINGS_MODULE"] = "sample_app.settings"
    env["DJANGO_DEBUG"] = "0"
    command = [sys.executable, "manage.py", "orm_profile", "/posts/"]
    broken = subprocess.run(
        [*command, "--max-queries", "5"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert broken.returncode == 1, broken.stderr
    assert "Query budget exceeded: 81 queries (max 5)." in broken.stderr
    assert broken.stdout.splitlines()[1].startswith("81 queries") and "\x1b[" not in broken.stdout
    kept = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert kept.returncode == 0, kept.stderr
