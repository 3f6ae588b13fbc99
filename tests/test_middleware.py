"""kit.django.QueryProfileMiddleware: the Server-Timing header, the kit.requests log lines when
KIT_BUDGET is broken, sampling, and only its own request's queries."""

from __future__ import annotations

import logging
import random
import re
import threading

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from kit.django import QueryProfileMiddleware
from sample_app.blog.models import Post
from tests.requests_helpers import empty_cache  # noqa: F401 - an autouse fixture
from tests.warehouse.data import build

pytestmark = pytest.mark.django_db(databases=["default", "other"])

MIDDLEWARE = ["kit.django.QueryProfileMiddleware", *settings.MIDDLEWARE]
TIMING = re.compile(r'^db;dur=(\d+\.\d);desc="(\d+) queries"$')


def profiled(**settings_: object) -> override_settings:
    return override_settings(MIDDLEWARE=MIDDLEWARE, **settings_)


def kit_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "kit.requests"]


def test_a_broken_budget_is_logged_with_the_findings_and_the_header_says_the_numbers(caplog):
    caplog.set_level(logging.WARNING, logger="kit.requests")
    with profiled(KIT_BUDGET={"max_queries": 50, "n_plus_one": False}):
        response = Client().get("/posts/")
    timing = TIMING.match(response["Server-Timing"])
    assert timing and timing[2] == "81"
    (line,) = kit_lines(caplog)
    assert line.levelno == logging.WARNING
    message = line.getMessage()
    assert message.startswith(
        "GET /posts/ -> 200: query budget exceeded: 81 queries (max 50); "
        "4 N+1 groups (none allowed).\n81 queries · "
    )
    assert "the view post_list (views.py:" in message
    assert "posts = Post.objects.filter(published=True)" in message
    assert line.profile.query_count == 81  # type: ignore[attr-defined]
    assert [v.what for v in line.violations] == ["queries", "N+1 groups"]  # type: ignore[attr-defined]
    assert float(timing[1]) == pytest.approx(line.profile.db_time_ms, abs=0.06)  # type: ignore[attr-defined]


def test_a_kept_budget_logs_nothing_but_still_times_the_request(caplog):
    caplog.set_level(logging.WARNING, logger="kit.requests")
    with profiled(KIT_BUDGET={"max_queries": 100}):
        response = Client().get("/posts/")
    assert TIMING.match(response["Server-Timing"])[2] == "81"
    assert kit_lines(caplog) == []


def test_without_a_budget_nothing_is_logged_above_debug(caplog):
    caplog.set_level(logging.DEBUG, logger="kit.requests")
    with override_settings(MIDDLEWARE=MIDDLEWARE):
        del settings.KIT_BUDGET
        Client().get("/posts/")
    (line,) = kit_lines(caplog)
    assert line.levelno == logging.DEBUG
    assert re.fullmatch(r"GET /posts/ -> 200: 81 queries in [\d.]+ ms", line.getMessage())


def test_serializer_requests_are_logged_with_their_fields(caplog):
    build(products=5)
    caplog.set_level(logging.WARNING, logger="kit.requests")
    with profiled(KIT_BUDGET={"n_plus_one": False}):
        Client().get("/warehouse/api/products/")
    (line,) = kit_lines(caplog)
    assert "at ProductSerializer.vendor" in line.getMessage()
    assert "the view ProductFeed (views.py:" in line.getMessage()


def test_sampling_profiles_the_share_it_is_given():
    calls = []

    def view(request):
        calls.append(Post.objects.count())
        return HttpResponse("ok")

    with override_settings(KIT_SAMPLE_RATE=0.25, KIT_BUDGET={}):
        middleware = QueryProfileMiddleware(view)
    middleware._random = random.Random(7)
    timed = sum(
        "Server-Timing" in middleware(RequestFactory().get("/")).headers for _ in range(400)
    )
    draws = random.Random(7)
    expected = sum(draws.random() < 0.25 for _ in range(400))
    assert timed == expected and 70 < timed < 130
    assert len(calls) == 400
    with override_settings(MIDDLEWARE=MIDDLEWARE, KIT_SAMPLE_RATE=0):
        assert "Server-Timing" not in Client().get("/posts/").headers


def test_an_existing_server_timing_header_is_kept():
    def view(request):
        response = HttpResponse("ok")
        response["Server-Timing"] = "app;dur=5"
        Post.objects.exists()
        return response

    with override_settings(KIT_BUDGET={}):
        response = QueryProfileMiddleware(view)(RequestFactory().get("/"))
    first, second = response["Server-Timing"].split(", ")
    assert first == "app;dur=5" and TIMING.match(second)[2] == "1"


def test_other_threads_queries_are_not_this_requests():
    def view(request):
        worker = threading.Thread(target=lambda: [Post.objects.count() for _ in range(5)])
        worker.start()
        worker.join()
        Post.objects.exists()
        return HttpResponse("ok")

    with override_settings(KIT_BUDGET={}):
        response = QueryProfileMiddleware(view)(RequestFactory().get("/"))
    assert TIMING.match(response["Server-Timing"])[2] == "1"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("KIT_BUDGET", {"max_query": 5}, "KIT_BUDGET must be a dict with keys among"),
        ("KIT_BUDGET", {"max_queries": -1}, "KIT_BUDGET: max_queries must be 0 or more"),
        ("KIT_BUDGET", [("max_queries", 5)], "KIT_BUDGET must be a dict"),
        ("KIT_SAMPLE_RATE", 1.5, "KIT_SAMPLE_RATE must be a number from 0 to 1"),
        ("KIT_SAMPLE_RATE", "all", "KIT_SAMPLE_RATE must be a number from 0 to 1"),
    ],
)
def test_bad_settings_are_one_clear_error(name, value, message):
    with override_settings(**{name: value}), pytest.raises(ImproperlyConfigured, match=message):
        QueryProfileMiddleware(lambda request: HttpResponse())
