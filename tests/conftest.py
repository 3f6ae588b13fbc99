"""Shared fixtures: the seeded test database, a real IPython shell, and a leak check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.signals import request_finished, request_started
from django.db import connections
from django.db.backends.signals import connection_created

# The kit's own pytest plugin (orm_budget), also registered by its pytest11 entry point when the
# package is installed; pytest loads it once either way. tests.ci_policy: no skip in CI, but for
# the django_version marker.
pytest_plugins = ["kit.pytest_plugin", "tests.ci_policy"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    """The test database, migrated and seeded once with the `small` sample data (seed 0).

    `small` is what data/blog.sqlite3 holds, so re-executed notebooks can be compared with their
    committed outputs (tests/test_notebooks.py).
    """
    from django.db import connection

    from sample_app.seed import seed

    # pytest-django creates only the databases that collected tests ask for: never seed (and so
    # empty) anything but the test database.
    from tests.settings import APP_DATABASE_NAME

    if connection.settings_dict["NAME"] == APP_DATABASE_NAME:
        raise RuntimeError("The test database was not created: mark the test django_db.")
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        seed("small", progress=None)


def cache_classes_with_hooks() -> list[str]:
    """ "Class.method" for every cache backend class that carries a kit hook in its own dict."""
    from django.core.cache.backends.base import BaseCache

    from kit.capture import HOOK_MARK

    found, pending, seen = [], [BaseCache], set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        found += [
            f"{cls.__qualname__}.{name}"
            for name, value in vars(cls).items()
            if getattr(value, HOOK_MARK, False)
        ]
    return found


@pytest.fixture(autouse=True)
def no_hooks_left_behind() -> Iterator[None]:
    """After every test: no execute_wrapper on any connection, no kit signal receiver, no hook on
    Django's cursor or asgiref's sync_to_async and no recorder registered with them, no hook on
    any cache backend class (every subclass of BaseCache imported so far is looked at)."""
    yield
    from kit.capture import installed_query_hooks

    assert installed_query_hooks() == [], "kit's query hook left installed"
    for connection in connections.all(initialized_only=True):
        assert connection.execute_wrappers == [], f"wrappers left on {connection.alias!r}"
    for signal in (connection_created, request_started, request_finished):
        kit_receivers = [r for r in signal.receivers if "kit-capture" in str(r[0])]
        assert kit_receivers == [], f"kit's receiver left connected to {signal}"
    assert cache_classes_with_hooks() == [], "kit's cache hooks left on backend classes"
    from kit.capture import hooked_classes

    assert hooked_classes() == [], "kit's cache hook registry still holds classes"


@pytest.fixture(scope="session")
def ip_shell():
    """A real IPython shell with history in memory and the kit loaded."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "kit")
    # PNG copies cost ~0.3 s a figure: tests that check them turn them on (static_images).
    shell.run_line_magic("config", "OrmProfile.static_images = False")
    yield shell
    shell.run_line_magic("unload_ext", "kit")
