"""What the functions a statement calls may do, as the database's own catalog describes them.

The text check (safety.py) knows the built-in functions with effects by name; a function of
the user's own, or a view that calls one, has a name the kit cannot know. Here the database is
asked: PostgreSQL's pg_proc (who wrote the function, how volatile it is), MariaDB's
information_schema.ROUTINES (stored functions); views are read through, a few levels deep.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from kit.explain.safety import MAX_NAMES, RefusedStatement, effect_refusal, statement_names

_VIEW_DEPTH = 4  # views over views over views...: deeper than this, ANALYZE is refused


def check_routines(vendor: ModuleType, cursor: Any, sql: str, *, analyze: bool) -> None:
    """Raise RefusedStatement when `sql`, or a view it reads, calls a function that may leave
    an effect behind under this EXPLAIN (the vendor module asks its catalog)."""
    seen: set[str] = set()
    texts = [sql]
    for _ in range(_VIEW_DEPTH + 1):
        functions: set[str] = set()
        names: set[str] = set()
        for text in texts:
            found = statement_names(text)
            functions |= found.functions
            names |= found.names
        if len(functions) + len(names) > MAX_NAMES:
            raise RefusedStatement(
                f"refused: the statement names more than {MAX_NAMES:,} functions, tables and "
                "columns, too many to check what each may do."
            )
        reason = vendor.function_refusal(cursor, functions, analyze=analyze)
        if reason:
            raise RefusedStatement(reason)
        names -= seen
        seen |= names
        views = vendor.view_definitions(cursor, names) if names else {}
        if not views:
            return
        for name, definition in views.items():
            reason = effect_refusal(definition)
            if reason:
                raise RefusedStatement(f"{reason[:-1]} (in the view {name}).")
        texts = list(views.values())
    raise RefusedStatement(
        f"refused: views read views more than {_VIEW_DEPTH} levels deep; the kit did not check "
        "what the innermost ones call."
    )
