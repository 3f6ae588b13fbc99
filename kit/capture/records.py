"""QueryRecord: one captured query as plain frozen data (no Django objects)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

# Relation kinds that select_related() can follow in the same query; the others need
# prefetch_related().
SINGLE_VALUED = frozenset({"forward", "one_to_one", "reverse_one_to_one"})
RELATION_KINDS = SINGLE_VALUED | {"reverse_fk", "m2m", "generic", "generic_fk"}

# The async QuerySet methods (Django 4.2 and 5.2), each a trigger of its own name.
ASYNC_QUERYSET_METHODS = (
    "aiterator",
    "aaggregate",
    "acount",
    "aget",
    "acreate",
    "aget_or_create",
    "aupdate_or_create",
    "abulk_create",
    "abulk_update",
    "ain_bulk",
    "aupdate",
    "adelete",
    "aexists",
    "acontains",
    "aexplain",
    "afirst",
    "alast",
    "aearliest",
    "alatest",
)
# An async trigger's sync twin, what the analysis reads (QueryRecord.evaluation).
SYNC_TWIN = {
    **{name: name[1:] for name in ASYNC_QUERYSET_METHODS},
    "aiterator": "iteration",
    "async for": "iteration",
    "asave": "save",
    "adelete": "delete",
    "arefresh_from_db": "refresh_from_db",
}
# QueryRecord.execution: the query ran in sync_to_async's thread for a coroutine (the async ORM),
# or on the event loop's thread inside a coroutine (which Django refuses outside a notebook).
ASYNC, SYNC_IN_ASYNC = "async", "sync_in_async"


@dataclass(frozen=True, slots=True)
class Relation:
    """The model relation a lazy query followed, as plain strings: ``blog.Post.author``.

    kind is one of RELATION_KINDS; target is the related model ("" for a generic foreign key);
    narrowed says the related queryset was filtered, ordered or sliced on the way.
    """

    model: str
    field: str
    kind: str
    target: str
    narrowed: bool = False

    @property
    def single_valued(self) -> bool:
        """True when select_related() can follow it (forward FK, one-to-one either way)."""
        return self.kind in SINGLE_VALUED

    def narrow(self) -> Relation:
        """The same relation, marked as filtered, ordered or sliced by the caller."""
        return replace(self, narrowed=True)

    def __str__(self) -> str:
        return f"{self.model}.{self.field}"


class Timed:
    """What a query record and a cache record share: the call's source line and its end."""

    __slots__ = ()
    source_file: str | None
    source_lineno: int | None
    start_ms: float
    duration_ms: float

    @property
    def source(self) -> str | None:
        """Where the call came from, "file:line": the first frame outside Django and the kit."""
        if self.source_file is None:
            return None
        return f"{self.source_file}:{self.source_lineno}"

    @property
    def end_ms(self) -> float:
        """When the call finished, in ms from the start of the capture."""
        return self.start_ms + self.duration_ms

    @property
    def rendered_from(self) -> str | None:
        """Where Django rendered the call from (a template line...); None unless a record
        says (QueryRecord does)."""
        return None


@dataclass(frozen=True, slots=True)
class ViewRef:
    """The view a request resolved to, as plain strings: ``sample_app.blog.views.post_list``.

    kind: "function" (lineno is its `def` line), "class" (a class-based view, DRF's included;
    lineno is its `class` line, and the analysis finds its `queryset =` or `get_queryset()` in
    file by name) or "admin" (a ModelAdmin's view: name is the ModelAdmin, model its model,
    and loads the relations its changelist select_related()s today, each step as (lookup,
    model): Django's own choice from list_select_related and list_display,
    ``(("author", "auth.User"), ...)``).
    """

    name: str
    kind: str
    file: str | None = None
    lineno: int | None = None
    model: str | None = None
    loads: tuple[tuple[str, str], ...] = ()

    @property
    def short_name(self) -> str:
        """The view's own name without its module: "PostDetailView", "post_list"."""
        return self.name.rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class QueryRecord(Timed):
    """One query the database ran, with where it came from and how long it took."""

    id: int
    alias: str
    vendor: str
    sql: str
    params: Any
    many: bool
    start_ms: float
    duration_ms: float
    thread: str
    source_file: str | None = None
    source_lineno: int | None = None
    line: int | None = None
    entry: str | None = None
    error: str | None = None
    # What evaluated the query: "iteration", "len", "bool", "slicing", "repr", "count",
    # "exists", "first", "last", "get", "related" (a lazy FK / one-to-one access),
    # "prefetch", ... (see kit.capture.codes.TRIGGERS); None when no ORM call was seen.
    trigger: str | None = None
    # The model of the queryset that ran it ("blog.Post"), and the relation it followed.
    model: str | None = None
    relation: Relation | None = None
    # Where Django was rendering when the query ran (kit.capture.sites): the template and line
    # ("blog/post_list.html:12") and its tag as written ("{{ post.author.username }}"); the
    # serializer field ("PostSerializer.author"); the admin changelist's ModelAdmin and column
    # ("PostAdmin.author_location"; "PostAdmin" for the changelist's own list and count, and
    # "PostAdmin.show_full_result_count" for its second COUNT); the view of the request.
    template: str | None = None
    template_code: str | None = None
    serializer: str | None = None
    admin: str | None = None
    view: ViewRef | None = None
    # How it ran (thread says which thread): None for sync code; "async" in sync_to_async's
    # thread for a coroutine (the async ORM: aget, `async for`...); "sync_in_async" on the event
    # loop's thread inside a coroutine, which a deployment refuses (SynchronousOnlyOperation).
    execution: str | None = None

    @property
    def in_async(self) -> bool:
        """True when the query ran for async code (awaited, or sync inside a coroutine)."""
        return self.execution is not None

    @property
    def evaluation(self) -> str | None:
        """The trigger, an async one as its sync twin ("aget" as "get", "async for" as
        "iteration"): what the analysis reads."""
        trigger = self.trigger
        return SYNC_TWIN.get(trigger, trigger) if trigger is not None else None

    @property
    def rendered_from(self) -> str | None:
        """Where in the user's project Django rendered the query from, else None: the admin
        column, else the serializer field, else the template line ("blog/post_list.html:12")."""
        return self.admin or self.serializer or self.template


@dataclass(slots=True)
class FingerprintCounter:
    """Running totals for queries counted past the record cap, per (alias, fingerprint)."""

    alias: str
    fingerprint: str
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0

    def add(self, duration_ms: float) -> None:
        """Count one more query that took duration_ms."""
        self.count += 1
        self.total_ms += duration_ms
        if duration_ms > self.max_ms:
            self.max_ms = duration_ms
