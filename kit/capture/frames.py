"""Find the user's line behind a query, and what evaluated it, in one walk up the stack."""

from __future__ import annotations

import linecache
import re
from asyncio.events import _get_running_loop
from inspect import CO_ASYNC_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE
from itertools import islice
from types import CodeType, FrameType

from kit.capture.awaiting import awaiting
from kit.capture.codes import (
    DEFERRED,
    DESCRIPTOR,
    HANDOFF,
    INSTANCE,
    INTERNAL,
    MANAGER,
    SETUP,
    USER,
    VIEW,
    Spec,
    kind_by_code,
    learn,
)
from kit.capture.records import ASYNC, SYNC_IN_ASYNC
from kit.capture.relations import (
    descriptor_facts,
    facts_by_descriptor,
    label_of,
    manager_relation,
    prefetcher_relation,
    queryset_relation_index,
    relation_index,
)
from kit.capture.sites import read_site

_COROUTINE = CO_COROUTINE | CO_ASYNC_GENERATOR | CO_ITERABLE_COROUTINE

_LEN_CALL = re.compile(r"len\s*\(")

# What reading a Django object of another shape raises: an attribute gone or renamed, a mapping
# or sequence that is not one any more. The locals and attributes read below are Django 4.2's and
# 5.2's (the versions .ci/run tests; kit.capture.codes names the functions): `self` of the
# QuerySet, Model, related manager and descriptor functions, `instance` of
# DeferredAttribute.__get__, `prefetcher` of prefetch_one_level. A local that is missing reads as
# None, and kit.capture.relations answers None for None.
UNKNOWN_SHAPE = (AttributeError, TypeError, LookupError)

# The cell line of a query whose user frame is the cell's own: that frame's line, resolved with
# it when the record is built (f_lineno is never negative).
USER_LINE = -1

# (user code, its instruction offset, cell line, entry code, trigger, model, relation index,
# site index: where Django was rendering, kit.capture.sites; execution, QueryRecord's).
# Code objects rather than the file, line and qualified name read from them: f_lineno scans the
# code's line table (longer the longer the function or cell) and every f_code read is an audit
# event, so line_at() and co_qualname are left to when the record is built. Code objects, like
# numbers and strings, are not tracked by the garbage collector: the rows are not either.
Origin = tuple[
    CodeType | None,
    int,
    int | None,
    CodeType | None,
    str | None,
    str | None,
    int | None,
    int | None,
    str | None,
]


def find_origin(
    frame: FrameType | None,
    cell_filename: str | None,
    fallback_line: int | None = None,
    in_request: bool = False,
) -> Origin | None:
    """The query's user frame, cell line, Django entry point, trigger, model, relation and site;
    None for a query Django runs while it opens a connection (kit.capture.codes SETUP).

    The user frame is the first one of the user's own code (kit.capture.codes); the entry
    point is the outermost internal function the user called; trigger, model, relation and
    site are described on kit.capture.records.QueryRecord. The relation comes as its
    relations.relation_index() (relations.relation_at() gives it back), the site as its
    sites.read_site() index. The cell line is fallback_line when no frame of cell_filename is
    on the stack. in_request: a request is being handled, so the frames above the user's (a
    model method called by a template, a serializer's method field, an admin column) may say
    where Django was rendering: look on up to the view.
    """
    # This runs once per query, over about ten frames: one dict lookup on the code object per
    # frame (kit.capture.codes) says whether to stop, walk on, or note a trigger. Locals for
    # globals and builtins, no `code` variable: about 22 bytecodes per frame. Measured inside
    # the N+1 loop (Python 3.11, 2-core VM): about 3.2 us per lazy foreign key (10 frames; the
    # walk is 2 us of it, 1.1 us of which is making each frame's object), about 5 us per
    # related manager's queryset (its relation and _narrowed() read from the queryset).
    # Frames of places (kit.capture.codes PLACES: a template node, a serializer, the view) are
    # only noted here, innermost first, and read after the walk (benchmarks/README.md has what
    # a template's deeper stack costs).
    kinds, internal, user, id_ = kind_by_code, INTERNAL, USER, id
    last = outer = inner = places = execution = None
    outer_spec = inner_spec = internal
    while frame is not None:
        try:
            kind = kinds[id_(frame.f_code)]
        except KeyError:
            kind = learn(frame)
        if kind is not internal:
            if kind is user:
                break
            slot = kind[2]
            if slot == 1:  # OUTER
                outer, outer_spec = frame, kind
            elif slot == 0:  # INNER
                if inner is None:
                    inner, inner_spec = frame, kind
            elif slot == SETUP:
                return None
            elif slot == HANDOFF:
                # sync_to_async's thread: go on in the coroutine that awaits the call.
                awaited = awaiting.get()
                if awaited is not None:
                    last, execution = frame, ASYNC
                    frame = awaited.head()  # type: ignore[assignment]
                    continue
            elif places is None:
                places = [(slot, frame)]
            else:
                places.append((slot, frame))
        last = frame
        frame = frame.f_back
    walked = len(places) if places else 0
    if in_request and frame is not None and not (places and places[-1][0] == VIEW):
        places = _look_out(frame.f_back, places)
    entry = None if last is None else last.f_code
    try:  # free in Python 3.11 when nothing is raised
        if inner is not None:
            trigger, model, index = _lazy_access(inner, inner_spec)
        elif outer is not None:
            trigger, model, index = _evaluation(outer, outer_spec, frame)
        else:
            trigger = model = index = None
    except UNKNOWN_SHAPE:
        # Django objects not shaped as the versions this module knows: what ran is still known
        # from the function's name, what it loaded is not. Never an error in the user's query.
        trigger, model, index = (inner_spec if inner is not None else outer_spec)[0], None, None
    site = None
    if places is not None:
        site, for_at = read_site(places)
        # {% for %} asks len() first, then uses every row: when the for tag itself ran the
        # query (below the user's frame, not in a method the tag called), it is an iteration.
        if trigger == "len" and 0 <= for_at < walked:
            trigger = "iteration"
    if frame is None:
        return None, -1, fallback_line, entry, trigger, model, index, site, execution
    if execution is None and _get_running_loop() is not None and _in_coroutine(frame):
        execution = SYNC_IN_ASYNC
    code = frame.f_code
    if cell_filename is None:
        line = fallback_line
    elif code.co_filename == cell_filename:
        line = USER_LINE
    else:
        line = _cell_line(frame.f_back, cell_filename)
        if line is None:
            line = fallback_line
    return code, frame.f_lasti, line, entry, trigger, model, index, site, execution


def _in_coroutine(frame: FrameType | None) -> bool:
    """True when the user's frames from frame up (to the first internal one) include a
    coroutine's: a cell with top-level await, an async def."""
    while frame is not None:
        code = frame.f_code
        kind = kind_by_code.get(id(code)) or learn(frame)
        if kind is not USER:
            return False
        if code.co_flags & _COROUTINE:
            return True
        frame = frame.f_back
    return False


def in_connection_setup(frame: FrameType | None) -> bool:
    """True when Django is opening a connection below frame (kit.capture.codes SETUP)."""
    kinds, id_ = kind_by_code, id
    while frame is not None:
        try:
            kind = kinds[id_(frame.f_code)]
        except KeyError:
            kind = learn(frame)
        if kind[2] == SETUP:
            return True
        frame = frame.f_back
    return False


def _look_out(
    frame: FrameType | None, places: list[tuple[int, FrameType]] | None
) -> list[tuple[int, FrameType]] | None:
    """The place frames above the user's frame, up to the view's (the request handler's)."""
    kinds, id_ = kind_by_code, id
    while frame is not None:
        try:
            kind = kinds[id_(frame.f_code)]
        except KeyError:
            kind = learn(frame)
        slot = kind[2]
        if slot > 1:  # a place
            if places is None:
                places = []
            places.append((slot, frame))
            if slot == VIEW:
                break
        frame = frame.f_back
    return places


def origin_fields(
    code: CodeType | None,
    lasti: int,
    line: int | None,
    entry: CodeType | None,
    lines: dict[tuple[int, int], int | None],
) -> tuple[str | None, int | None, int | None, str | None]:
    """(source_file, source_lineno, cell line, entry's qualified name) from find_origin()'s first
    four values; `lines` remembers line_at() per (code, offset) for the records of one build
    (the rows keep their code objects alive)."""
    if code is None:
        return None, None, line, None if entry is None else entry.co_qualname
    key = (id(code), lasti)
    lineno = lines[key] = lines[key] if key in lines else line_at(code, lasti)
    return (
        code.co_filename,
        lineno,
        lineno if line == USER_LINE else line,
        None if entry is None else entry.co_qualname,
    )


def line_at(code: CodeType, lasti: int) -> int | None:
    """frame.f_lineno of a frame running code, stopped at instruction offset lasti (f_lasti)."""
    # What CPython does (PyCode_Addr2Line on the offset), from the code's line table.
    if lasti < 0:
        return code.co_firstlineno
    for start, end, line in code.co_lines():
        if start <= lasti < end:
            return line
    return None


def _cell_line(frame: FrameType | None, cell_filename: str) -> int | None:
    """The line of the cell's own frame at or above frame, else None."""
    # The query may come from a function defined elsewhere, called by the cell.
    while frame is not None and frame.f_code.co_filename != cell_filename:
        frame = frame.f_back
    return frame.f_lineno if frame else None


def _lazy_access(frame: FrameType, spec: Spec) -> tuple[str | None, str | None, int | None]:
    """(trigger, model, relation index) of a lazy attribute or prefetch level, from its locals."""
    trigger, role, _ = spec
    # frame.f_locals builds a dict of all the frame's locals: 0.2-0.6 us, once per query.
    locals_ = frame.f_locals
    if role is DESCRIPTOR:
        descriptor = locals_.get("self")
        facts = facts_by_descriptor.get(id(descriptor)) or descriptor_facts(descriptor)
        return trigger, facts[1], facts[2]
    if role is DEFERRED:
        return trigger, label_of(type(locals_.get("instance"))), None
    relation = prefetcher_relation(locals_.get("prefetcher"))
    model = (relation.target or None) if relation else None
    return trigger, model, relation_index(relation)


def _evaluation(
    frame: FrameType, spec: Spec, user: FrameType | None
) -> tuple[str | None, str | None, int | None]:
    """(trigger, model, relation index) of the outermost queryset call, from its `self`."""
    trigger, role, _ = spec
    this = frame.f_locals.get("self")
    if role is INSTANCE:
        return trigger, label_of(type(this)), None  # `self` is the model instance
    if role is MANAGER:
        relation = manager_relation(this)
        return trigger, label_of(getattr(this, "model", None)), relation_index(relation)
    if trigger == "len" and user is not None and frame.f_back is user and not _calls_len(user):
        trigger = "iteration"  # list(qs), sorted(qs)... ask len() for a size hint first
    return trigger, label_of(getattr(this, "model", None)), queryset_relation_index(this)


# (code, instruction offset) -> whether the call running there starts with len(.
_calls_len_at: dict[tuple[CodeType, int], bool] = {}


def _calls_len(frame: FrameType) -> bool:
    """True when the call the frame is running starts with ``len(`` in its source."""
    code, lasti = frame.f_code, frame.f_lasti
    key = (code, lasti)
    found = _calls_len_at.get(key)
    if found is None:
        if len(_calls_len_at) >= 4096:
            _calls_len_at.clear()  # new cells keep compiling new code: start over now and then
        found = _calls_len_at[key] = _source_calls_len(code, lasti)
    return found


def _source_calls_len(code: CodeType, lasti: int) -> bool:
    # One position per 2-byte code unit: the running instruction's span is the whole call.
    position = next(islice(code.co_positions(), lasti // 2, None), None)
    if position is None or position[0] is None or position[2] is None:
        return False
    text = linecache.getline(code.co_filename, position[0])
    # Columns count UTF-8 bytes.
    call = text.encode()[position[2] :].decode(errors="replace")
    return _LEN_CALL.match(call) is not None
