"""EagerLoad: a select_related() / prefetch_related() lookup a block never read, as plain
frozen data (kit.capture.eager finds them)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EagerLoad"]


@dataclass(frozen=True, slots=True)
class EagerLoad:
    """One select_related() / prefetch_related() lookup the block loaded and never read.

    kind: "select_related" or "prefetch_related"; model: the queryset's model ("blog.Post");
    lookup: the lookup as written ("author__profile"); unused: its part no code read (the
    whole lookup, or from the first step not read: "author__profile" when `author` was read,
    `profile` never); kept: the call's other lookups, which were read; rows: the queryset's
    rows; columns: the columns select_related() added for the unused part (0 for a prefetch).
    """

    kind: str
    model: str
    lookup: str
    unused: str
    kept: tuple[str, ...]
    rows: int
    columns: int
    source_file: str | None
    source_lineno: int | None
    line: int | None

    @property
    def source(self) -> str | None:
        """Where the queryset was evaluated, "file:line"."""
        if self.source_file is None:
            return None
        return f"{self.source_file}:{self.source_lineno}"

    @property
    def rendered_from(self) -> str | None:
        """Never a template line or serializer field: the place is the user's line."""
        return None
