"""Values out of texts: what a redacted profile shows instead of params, errors and plans.

A query's params hold the user's data; so do the texts that quote them. PostgreSQL's errors
say "Key (username)=(alice) already exists" and "Failing row contains (7, alice, ...)",
MariaDB's "Duplicate entry 'alice' for key 'username'", and every database's plan filters hold
the bound values ("((username)::text = 'alice'::text)", "(id = 42)"). These functions are pure:
kit.profiles.redact applies them to a whole profile.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Iterator
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

REDACTED = "(redacted)"
# Shorter values are not replaced inside free text, where "1" or "ab" would eat the words
# around them; the patterns below still catch them where a database quotes a value.
MIN_SECRET_LENGTH = 3

# A quoted SQL or MariaDB value, with its doubled or backslashed quotes.
_STRING = re.compile(r"'(?:[^'\\]|''|\\.)*'")
# Names, not values, that a database quotes after these words: keep them.
_NAME_BEFORE = re.compile(r"(?:\bkey|\bconstraint|\bcolumn|\btable|\bindex)\s*$", re.I)
# PostgreSQL: "Key (a, b)=(1, x)" and "Failing row contains (...)" (to the line's end).
_KEY_VALUES = re.compile(r"(\bKey \((?:[^()]|\([^()]*\))*\)=)\((?:[^()]|\([^()]*\))*\)")
_FAILING_ROW = re.compile(r"(\bFailing row contains ).*")
# A number standing alone (not part of a name like t1 or a version like 1.2.3).
_NUMBER = re.compile(r"(?<![\w.$#@])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")


def param_values(params: Any) -> Iterator[str]:
    """The text of every value in a query's params, however nested (tuples, lists, dicts)."""
    if params is None or isinstance(params, bool):
        return
    if isinstance(params, list | tuple | set | frozenset):
        for value in params:
            yield from param_values(value)
    elif isinstance(params, dict):
        for value in params.values():
            yield from param_values(value)
    elif isinstance(params, bytes | bytearray | memoryview):
        yield bytes(params).decode("utf-8", "replace")
    elif isinstance(params, str | int | float | Decimal | UUID | date | time | timedelta):
        yield str(params)
        if isinstance(params, date | time):
            yield params.isoformat()
    else:
        yield str(params)


def secrets_of(all_params: Iterable[Any]) -> tuple[str, ...]:
    """The values worth finding in free text, longest first (so a value inside a longer one
    does not leave the rest of it behind)."""
    found = {
        text
        for params in all_params
        for text in param_values(params)
        if len(text.strip()) >= MIN_SECRET_LENGTH
    }
    return tuple(sorted(found, key=lambda t: (-len(t), t)))


def _strings_out(text: str) -> str:
    """Each quoted value replaced, names after "key", "constraint"... kept."""

    def replace(match: re.Match[str]) -> str:
        if _NAME_BEFORE.search(text, 0, match.start()):
            return match[0]
        return f"'{REDACTED}'"

    return _STRING.sub(replace, text)


def redact_text(text: str, secrets: Iterable[str] = (), *, numbers: bool = False) -> str:
    """The text with the values it may quote replaced by "(redacted)": each secret, quoted
    values, PostgreSQL's key and row details, and with numbers=True (plan conditions) every
    number standing alone."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = _KEY_VALUES.sub(rf"\1({REDACTED})", text)
    text = _FAILING_ROW.sub(rf"\1({REDACTED})", text)
    text = _strings_out(text)
    if numbers:
        text = _NUMBER.sub("?", text)
    return text


def redact_error(text: str | None, secrets: Iterable[str] = ()) -> str | None:
    """An error message ("IntegrityError: duplicate key ... DETAIL: Key (email)=(...)") with
    the values it quotes replaced; its type and wording stay, so it still says what failed."""
    if text is None:
        return None
    return redact_text(text, secrets)


class RedactedParams(str):
    """What a redacted record holds for its params: "(redacted #3)", shown without quotes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class ParamsStandIn:
    """Numbers each distinct params value in order of first appearance: equal params get the
    same stand-in, so duplicates and N+1 groups are found in a redacted profile as before."""

    def __init__(self) -> None:
        self.numbers: dict[Hashable, int] = {}

    def __call__(self, key: Hashable) -> RedactedParams:
        number = self.numbers.setdefault(key, len(self.numbers) + 1)
        return RedactedParams(f"(redacted #{number})")
