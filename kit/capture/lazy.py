"""built_once(): a list of records made on first use, then kept (recorders freeze with it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def built_once(build: Callable[[], list[T]]) -> Callable[[], list[T]]:
    """A function that returns build()'s list, calling build() only the first time."""
    built: list[list[T]] = []

    def get() -> list[T]:
        if not built:
            built.append(build())
        return built[0]

    return get
