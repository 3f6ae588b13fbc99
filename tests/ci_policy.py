"""In CI (KIT_REQUIRE_SERVERS=1) a skipped test fails: every server is there, nothing may skip.

Outside CI a test may skip with a reason where a server it needs is truly absent. One kind of
skip is allowed in CI too, because CI runs the kit's tests on each Django version the kit claims
(4.2 and 5.2): a test marked `django_version(SPEC, reason=...)` skips, saying why, on a Django
outside SPEC (a PEP 440 specifier such as ">=5.1"), and runs on the others.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

REQUIRE_SERVERS = "KIT_REQUIRE_SERVERS"
DJANGO_VERSION = "django_version"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{DJANGO_VERSION}(spec, reason): runs on the Django versions in spec only; elsewhere it"
        " skips, also in CI",
    )


def django_version_skip(item: pytest.Item) -> str | None:
    """Why the item's django_version marker skips it on the installed Django, else None."""
    marker = item.get_closest_marker(DJANGO_VERSION)
    if marker is None:
        return None
    import django
    from packaging.specifiers import SpecifierSet

    (spec,) = marker.args
    if SpecifierSet(spec).contains(django.__version__, prereleases=True):
        return None
    return f"Django {django.__version__} is not {spec}: {marker.kwargs['reason']}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test marked for other Django versions."""
    reason = django_version_skip(item)
    if reason is not None:
        pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Turn a skip into a failure that says why, when KIT_REQUIRE_SERVERS=1."""
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and os.environ.get(REQUIRE_SERVERS) == "1"
        and django_version_skip(item) is None
    ):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, but {REQUIRE_SERVERS}=1 (CI) allows no skip: {reason}"
