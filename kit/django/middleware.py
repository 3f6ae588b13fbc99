"""QueryProfileMiddleware: profile each request (or a sample), log the ones over budget.

Opt-in, for development and staging: MIDDLEWARE = ["kit.django.QueryProfileMiddleware", ...].
Settings:
- KIT_BUDGET = {"max_queries": 50, "max_duplicates": 10, "n_plus_one": False}: a request that
  breaks it is logged at WARNING to the "kit.requests" logger, with its summary, findings and
  top query shapes (record.profile, .request and .violations for handlers that want them).
- KIT_SAMPLE_RATE = 1.0: the share of requests profiled (0 to 1).
Every profiled response carries `Server-Timing: db;dur=<database ms>;desc="<n> queries"`,
which browsers' developer tools show beside the request.

Only this thread's queries are counted (a threaded server's other requests are not), and only
until the view returns: a streaming response's queries, made while it is sent, are not. Cache
calls are not recorded here (kit.profile() and manage.py orm_profile record them).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase

from kit.analysis.budget import Budget, Violation, check_budget
from kit.analysis.groups import find_n_plus_one, group_duplicates
from kit.profiles.block import profile
from kit.profiles.profile import Profile
from kit.render.budget import violation_text
from kit.render.console import console_lines, plain_text

__all__ = ["QueryProfileMiddleware"]

logger = logging.getLogger("kit.requests")
_BUDGET_KEYS = frozenset({"max_queries", "max_duplicates", "n_plus_one"})


def budget_from_settings() -> Budget:
    """settings.KIT_BUDGET as a Budget (none: nothing checked), or ImproperlyConfigured."""
    value = getattr(settings, "KIT_BUDGET", None) or {}
    if not isinstance(value, dict) or not _BUDGET_KEYS.issuperset(value):
        raise ImproperlyConfigured(
            f"KIT_BUDGET must be a dict with keys among {', '.join(sorted(_BUDGET_KEYS))}, "
            f"not {value!r}."
        )
    try:
        return Budget(**value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"KIT_BUDGET: {exc}") from None


def sample_rate_from_settings() -> float:
    """settings.KIT_SAMPLE_RATE (default 1.0), checked to be from 0 to 1."""
    value = getattr(settings, "KIT_SAMPLE_RATE", 1.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ImproperlyConfigured(f"KIT_SAMPLE_RATE must be a number from 0 to 1, not {value!r}.")
    return float(value)


class QueryProfileMiddleware:
    """Profile each request (KIT_SAMPLE_RATE of them): a Server-Timing header on the response,
    and a WARNING on the "kit.requests" logger when the request breaks KIT_BUDGET."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.budget = budget_from_settings()
        self.sample_rate = sample_rate_from_settings()
        self._random = random.Random()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.sample_rate < 1.0 and self._random.random() >= self.sample_rate:
            return self.get_response(request)
        # Queries only: cache calls are recorded from every thread (kit.capture.cache_hooks),
        # which on a threaded server are the other requests' too.
        # No eager-load tracking here: its hooks sit on Django's classes, which every thread of
        # a server shares, and the middleware's budget does not read it.
        with profile(cache=False, in_request=True, this_thread_only=True, eager=False) as result:
            response = self.get_response(request)
        _add_server_timing(response, result)
        violations = self._violations(result)
        if violations:
            _log(request, response, result, violations)
        elif logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s: %s queries in %.1f ms",
                request.method,
                request.get_full_path(),
                response.status_code,
                result.query_count,
                result.db_time_ms,
            )
        return response

    def _violations(self, result: Profile) -> list[Violation]:
        """The broken limits; groups are found only when the budget looks at them."""
        budget = self.budget
        records = (
            result.queries if (budget.max_duplicates is not None or not budget.n_plus_one) else []
        )
        duplicates = group_duplicates(records) if budget.max_duplicates is not None else []
        groups = find_n_plus_one(records, result.threshold) if not budget.n_plus_one else []
        return check_budget(budget, result.query_count, duplicates, groups)


def _add_server_timing(response: HttpResponseBase, result: Profile) -> None:
    metric = f'db;dur={result.db_time_ms:.1f};desc="{result.query_count} queries"'
    existing = response.headers.get("Server-Timing")
    response.headers["Server-Timing"] = f"{existing}, {metric}" if existing else metric


def _log(
    request: HttpRequest,
    response: HttpResponseBase,
    result: Profile,
    violations: list[Violation],
) -> None:
    broken = "; ".join(map(violation_text, violations))
    logger.warning(
        "%s %s -> %s: query budget exceeded: %s.\n%s",
        request.method,
        request.get_full_path(),
        response.status_code,
        broken,
        plain_text(console_lines(result)),
        extra={"profile": result, "request": request, "violations": violations},
    )
