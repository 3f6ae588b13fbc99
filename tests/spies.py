"""Watch every statement a connection sends (the kit's own included), and snapshot all tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.db import connections, router


class StatementSpy:
    """An execute_wrapper that keeps (sql, params) of every statement, captured or not."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.statements.append((sql, params))
        return execute(sql, params, many, context)

    @property
    def sql(self) -> list[str]:
        """The statements' text, in order."""
        return [sql for sql, _ in self.statements]


@contextmanager
def spy_statements(alias: str = "default") -> Iterator[StatementSpy]:
    """Record every statement sent on `alias` inside the block."""
    spy = StatementSpy()
    with connections[alias].execute_wrapper(spy):
        yield spy


def snapshot(alias: str = "default") -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model's table, in primary-key order: to compare before and after."""
    return {
        model._meta.label: list(model._default_manager.using(alias).order_by("pk").values_list())
        for model in apps.get_models(include_auto_created=True)
        if router.allow_migrate_model(alias, model)  # its table is on this database
    }
