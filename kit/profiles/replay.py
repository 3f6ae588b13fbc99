"""kit.verify(): prove a queryset fix in a script or a test, for code the cell cannot rewrite.

%%orm_profile --verify rewrites a root queryset written in the cell. A queryset built in a view,
a serializer or a module is fixed where it lives; when the code that uses it takes the queryset
as an argument (a view's `queryset`, `as_view(queryset=...)`, a helper's parameter),
kit.verify(function, queryset, fix=...) calls it twice, with the queryset and with the fixed
one, each in a transaction on every alias that is rolled back, and compares what it returned
and printed.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from io import StringIO
from typing import Any

from kit.analysis.findings import Finding
from kit.analysis.replay_plan import tables_written
from kit.analysis.verification import (
    CellOutput,
    Verification,
    first_difference,
    judge,
    not_applied,
)
from kit.capture.replay_safety import replay_refusal
from kit.capture.rollback import rolled_back
from kit.errors import KitUsageError, RollbackRefused
from kit.profiles.block import profile
from kit.profiles.profile import Profile

__all__ = ["fix_code", "verify"]


def verify(
    function: Callable[[Any], Any],
    queryset: Any,
    *,
    fix: Callable[[Any], Any],
    using: str | Sequence[str] | None = None,
) -> Verification:
    """Call function(queryset), then function(fix(queryset)), each profiled and rolled back;
    "verified" when the second runs fewer queries and returns and prints the same.

    function should return what must not change (rows, a response's content): values are
    compared by their repr. Neither call keeps any write. Code outside the database runs twice.
    """
    if not callable(function) or not callable(fix):
        raise KitUsageError(
            "kit.verify(function, queryset, fix=...) needs a function that takes the queryset "
            "and a fix that takes it and returns the fixed one, e.g. "
            "fix=lambda qs: qs.select_related('author')."
        )
    code = fix_code(fix)
    try:
        first, before = _call(function, lambda: queryset, using)
    except RollbackRefused as exc:
        return not_applied(None, code, (0, 0.0), str(exc))
    finding = next((f for f in first.findings if f.kind == "n_plus_one"), None)
    refusal = replay_refusal(first.queries, using, tables_written)
    if refusal is not None:
        return _not_replayed(first, finding, code, f"not replayed: {refusal}")
    try:
        second, after = _call(function, lambda: fix(queryset), using)
    except RollbackRefused as exc:
        return _not_replayed(first, finding, code, str(exc))
    return judge(finding, code, _cost(first), _cost(second), first_difference(before, after))


def _call(
    function: Callable[[Any], Any], queryset: Callable[[], Any], using: Any
) -> tuple[Profile, CellOutput]:
    printed = StringIO()
    with rolled_back(using), profile(using, cache=False) as result, redirect_stdout(printed):
        value = function(queryset())
        shown = repr(value)  # inside the block: a queryset's repr runs its query
    return result, CellOutput(printed.getvalue(), shown)


def _cost(profile: Profile) -> tuple[int, float]:
    return profile.query_count, profile.db_time_ms


def _not_replayed(first: Profile, finding: Finding | None, code: str, reason: str) -> Verification:
    return not_applied(finding, code, _cost(first), reason)


def fix_code(fix: Callable[[Any], Any]) -> str:
    """The fix as code: a lambda's body ("qs.select_related('author')"), else its name."""
    name = getattr(fix, "__qualname__", repr(fix))
    if getattr(fix, "__name__", None) != "<lambda>":
        return name
    try:
        source = textwrap.dedent(inspect.getsource(fix))
    except (OSError, TypeError):
        return name
    tree = _parse_fragment(source)
    lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)] if tree else []
    return ast.unparse(lambdas[-1].body) if len(lambdas) == 1 else name


def _parse_fragment(source: str) -> ast.AST | None:
    """The source's tree; a call's argument line alone ("fix=lambda q: ...,") parses too."""
    for text in (source, f"f({source.strip().rstrip(',')})", f"({source.strip()})"):
        try:
            return ast.parse(text)
        except SyntaxError:
            continue
    return None
