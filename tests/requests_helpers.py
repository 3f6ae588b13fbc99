"""Shared helpers for the tests that profile requests through Django's test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.template.loader import get_template
from django.test import Client

import kit
from kit.capture.records import QueryRecord
from kit.profiles.profile import Profile


def template_line(name: str, snippet: str) -> str:
    """ "blog/post_list.html:9": the template's first line that holds snippet."""
    path = Path(get_template(name).origin.name)
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if snippet in line:
            return f"{name}:{number}"
    raise AssertionError(f"{snippet!r} is not in {name}")


def admin_client() -> Client:
    """A test client logged in as a new superuser."""
    client = Client()
    client.force_login(User.objects.create_superuser("kit-admin", "admin@example.org", "pw"))
    return client


def get(url: str, client: Client | None = None) -> Profile:
    """The profile of one GET through the test client; the response must be a 200."""
    client = client or Client()
    with kit.profile() as p:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return p


def with_relation(p: Profile, relation: str) -> list[QueryRecord]:
    """The profile's queries that followed relation ("blog.Post.author")."""
    return [q for q in p.queries if q.relation is not None and str(q.relation) == relation]


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """No page or fragment cached by an earlier test (cache_page, {% cache %})."""
    cache.clear()
    yield
    cache.clear()
