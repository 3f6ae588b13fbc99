"""Profile one request through Django's test client: `kit.profile_request(client, "/posts/")`.

The request goes through the whole stack (middleware, the view, its template, serializer or the
admin), in this process, on the database settings give; nothing runs a server. It works with
DEBUG off and on every alias: the kit counts queries itself, not through connection.queries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponseBase
from django.http.request import validate_host
from django.test import Client
from django.test.utils import override_settings

from kit.analysis.groups import DEFAULT_THRESHOLD
from kit.errors import KitUsageError
from kit.profiles.block import profile
from kit.profiles.profile import Profile

__all__ = ["METHODS", "profile_request", "request_profile"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Django's test client sends requests for this host.
TEST_HOST = "testserver"
_FORM = "application/x-www-form-urlencoded"


def profile_request(
    client: Client | None,
    url: str,
    *,
    method: str = "GET",
    data: Mapping[str, Any] | None = None,
    user: Any = None,
    headers: Mapping[str, str] | None = None,
    using: str | Sequence[str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    explain: str | None = None,
    name: str | None = None,
) -> Profile:
    """Request url through Django's test client (a new one for None) and return its Profile.

    method: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS; data: the query string of a GET or
    HEAD, the form of any other; user: a username or a user to log in first (force_login,
    outside the profile); using, threshold, explain: as for kit.profile().
    """
    result, _ = request_profile(
        client,
        url,
        method=method,
        data=data,
        user=user,
        headers=headers,
        using=using,
        threshold=threshold,
        explain=explain,
        name=name,
    )
    return result


def request_profile(
    client: Client | None,
    url: str,
    *,
    method: str = "GET",
    data: Mapping[str, Any] | None = None,
    user: Any = None,
    headers: Mapping[str, str] | None = None,
    using: str | Sequence[str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    explain: str | None = None,
    name: str | None = None,
) -> tuple[Profile, HttpResponseBase]:
    """profile_request(), and the response."""
    verb = method.upper()
    if verb not in METHODS:
        raise KitUsageError(f"Unknown HTTP method {method!r}: use one of {', '.join(METHODS)}.")
    client = client if client is not None else Client()
    if user is not None:
        client.force_login(_user(user))
    send = getattr(client, verb.lower())
    arguments: dict[str, Any] = {"headers": dict(headers or {})}
    if data:
        arguments["data"] = dict(data)
        if verb in ("PUT", "PATCH", "DELETE", "OPTIONS"):
            arguments["data"] = _urlencoded(data)
            arguments["content_type"] = _FORM
    with (
        _test_host_allowed(),
        profile(using, name=name, threshold=threshold, explain=explain) as p,
    ):
        response = send(url, **arguments)
    return p, response


def _user(user: Any) -> Any:
    if not isinstance(user, str):
        return user
    model = get_user_model()
    try:
        return model._default_manager.get_by_natural_key(user)
    except model.DoesNotExist:
        raise KitUsageError(f"No user {user!r} to log in: give an existing username.") from None


def _urlencoded(data: Mapping[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)


@contextmanager
def _test_host_allowed() -> Iterator[None]:
    """Let the test client's host through ALLOWED_HOSTS for the request, if it is not already."""
    allowed = list(settings.ALLOWED_HOSTS)
    if not allowed and settings.DEBUG:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # what Django allows then
    context = (
        nullcontext()
        if validate_host(TEST_HOST, allowed)
        else override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, TEST_HOST])
    )
    with context:
        yield
