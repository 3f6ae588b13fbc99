"""CI runs the whole suite on SQLite, PostgreSQL and MariaDB, and nothing may skip there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import django
from django.db import connection

REPO = Path(__file__).resolve().parent.parent
CI = (REPO / ".ci" / "run").read_text()


def test_ci_script_is_valid_bash():
    subprocess.run(["bash", "-n", str(REPO / ".ci" / "run")], check=True)


def test_ci_starts_the_servers_that_are_down():
    assert re.search(r"if ! pg_isready .*\n\s+pg_ctlcluster .* main start", CI)
    assert re.search(r"if ! mysqladmin .* ping .*\n\s+start-stop-daemon --start .*mariadbd", CI)


def test_ci_creates_the_test_role_and_databases_on_loopback():
    assert "CREATE ROLE kit LOGIN CREATEDB PASSWORD 'kit'" in CI
    assert "createdb -O kit kit" in CI
    assert "CREATE USER IF NOT EXISTS 'kit'@'127.0.0.1' IDENTIFIED BY 'kit'" in CI
    assert "GRANT ALL PRIVILEGES ON test_kit.* TO 'kit'@'127.0.0.1'" in CI


def test_ci_runs_the_whole_suite_on_each_database_with_servers_required():
    runs = re.findall(r"^(.*)make test EXTRAS=", CI, re.M)
    assert [run.strip() for run in runs] == [
        "env -u DATABASE_URL",
        "",  # the PostgreSQL line continues the one above it
        "DATABASE_URL=mysql://kit:kit@127.0.0.1:3306/kit",
    ]
    assert "DATABASE_URL=postgres://kit:kit@127.0.0.1:5432/kit" in CI
    assert CI.index("export KIT_REQUIRE_SERVERS=1") < CI.index("make test")


def test_ci_runs_the_kits_own_tests_on_django_42_on_each_database():
    runs = re.findall(r"^(.*)make test-django42 EXTRAS=\"\$EXTRAS_DJANGO42\"$", CI, re.M)
    assert [run.strip() for run in runs] == [
        "env -u DATABASE_URL",
        "DATABASE_URL=postgres://kit:kit@127.0.0.1:5432/kit",
        "DATABASE_URL=mysql://kit:kit@127.0.0.1:3306/kit",
    ]
    assert CI.index("export KIT_REQUIRE_SERVERS=1") < CI.index("make test-django42")
    makefile = (REPO / "Makefile").read_text()
    target = re.search(r"^test-django42: .*\n\t(.*)$", makefile, re.M)
    assert target and target.group(1) == (
        "$(VENV42)/bin/python -m pytest -m 'not notebook and not browser' $(PYTEST_ARGS)"
    )


def test_the_database_under_test_is_the_one_database_url_names():
    url = os.environ.get("DATABASE_URL", "")
    scheme = url.split(":", 1)[0] if url else "sqlite"
    vendor = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql"}
    assert connection.vendor == vendor.get(scheme, "sqlite")


SKIPPING_TEST = (
    "import pytest\n\ndef test_needs_a_server():\n    pytest.skip('no server on 5432')\n"
)


def run_a_skipping_test(
    tmp_path: Path, require: bool, test: str = SKIPPING_TEST
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_skips.py").write_text(test)
    env = {k: v for k, v in os.environ.items() if k not in ("KIT_REQUIRE_SERVERS", "PYTHONPATH")}
    env["PYTHONPATH"] = str(REPO)
    if require:
        env["KIT_REQUIRE_SERVERS"] = "1"
    command = ["pytest", "-q", "-rs", "-p", "tests.ci_policy", "-p", "no:django", "."]
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_skip_is_a_skip_outside_ci(tmp_path):
    result = run_a_skipping_test(tmp_path, require=False)
    assert result.returncode == 0 and "1 skipped" in result.stdout


def test_a_skip_fails_in_ci(tmp_path):
    result = run_a_skipping_test(tmp_path, require=True)
    assert result.returncode == 1 and "1 failed" in result.stdout
    assert "KIT_REQUIRE_SERVERS=1 (CI) allows no skip: Skipped: no server on 5432" in result.stdout


def marked_test(spec: str, body: str = "pass") -> str:
    return (
        "import pytest\n\n"
        f"@pytest.mark.django_version({spec!r}, reason='needs it')\n"
        f"def test_marked():\n    {body}\n"
    )


def test_a_django_version_skip_is_allowed_in_ci_and_says_why(tmp_path):
    result = run_a_skipping_test(tmp_path, require=True, test=marked_test("<1.0"))
    assert result.returncode == 0 and "1 skipped" in result.stdout
    assert f"Django {django.__version__} is not <1.0: needs it" in result.stdout


def test_a_test_marked_for_this_django_runs(tmp_path):
    spec = f"=={django.VERSION[0]}.{django.VERSION[1]}.*"
    result = run_a_skipping_test(tmp_path, require=True, test=marked_test(spec, "assert False"))
    assert result.returncode == 1 and "1 failed" in result.stdout


def test_a_test_marked_for_this_django_that_skips_otherwise_fails_in_ci(tmp_path):
    test = marked_test(">=1.0", "pytest.skip('no server on 5432')")
    result = run_a_skipping_test(tmp_path, require=True, test=test)
    assert result.returncode == 1 and "allows no skip: Skipped: no server on 5432" in result.stdout


def test_ci_has_the_redis_client_on_every_run():
    # The cache capture's tests run against the Redis server in every run (tests/caches.py).
    extras = dict(re.findall(r"^export (EXTRAS\w*)=(\S+)", CI, re.M))
    assert all("redis" in value.split(",") for value in extras.values()), extras
    assert "redis-server --daemonize yes" in CI
