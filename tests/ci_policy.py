"""In CI (KIT_REQUIRE_SERVERS=1) a skipped test fails: every server is there, nothing may skip.

Outside CI a test may skip with a reason where a server it needs is truly absent.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

REQUIRE_SERVERS = "KIT_REQUIRE_SERVERS"


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
    ):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, but {REQUIRE_SERVERS}=1 (CI) allows no skip: {reason}"
