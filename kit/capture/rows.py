"""How the recorder keeps its queries: one flat list of plain values, made into QueryRecords
later.

Every query adds its fields to the end of one list (`rows += [...]`, one step under the GIL, so
threads never interleave two queries' fields), with the query's parameter values inlined at its
end; nothing per query is a container of its own. Why so: every container a profiled block keeps
counts toward the garbage collector's next pass (one per 700 kept), every tenth pass also goes
over the middle generation, and every tenth of those may go over Django's whole heap (15 ms on
the sample project): all paid inside the block, by the user's code. A tuple per query kept the N+1
loop at 31-33 young passes per run against 19-24 without the kit, and made a pass over the whole
heap come about one run in two; the flat list keeps the collector's passes as they are without
the kit (benchmarks/README.md). Strings, numbers and code objects are not tracked by the
collector (see relations.relation_index); parameter values are kept as the driver got them,
so a driver's own value types stay what they are (psycopg's Int4 is a tracked object).

A query's fields, at offsets from where it starts: SQL ... EXECUTION (find_origin()'s tuple from
CODE on: user code, its offset, cell line, entry code...), then COUNT: the number of parameter
values that follow (a tuple or list, as Django passes them for one statement), or OBJECT when
one item follows that is the params object itself (None, a dict of named parameters, an
executemany()'s rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kit.capture.frames import origin_fields
from kit.capture.records import QueryRecord
from kit.capture.relations import relation_at
from kit.capture.sites import site_at

RawRow = list[Any]
_NO_SITE = (None, None, None, None, None)

SQL, MANY, ALIAS, VENDOR, START, DURATION, THREAD, ERROR = range(8)
CODE, LASTI, LINE, ENTRY, TRIGGER, MODEL, RELATION, SITE, EXECUTION, COUNT, VALUES = range(8, 19)
OBJECT = -1
# The entry of a query the user's own code sent through a cursor (the stack walk starts above the
# cursor's method, so it leaves the entry out), by MANY.
_CURSOR_ENTRY = {False: "CursorWrapper.execute", True: "CursorWrapper.executemany"}


def row_starts(flat: list[Any], start: int = 0, stop: int | None = None) -> Iterator[int]:
    """Where each query of flat starts, from offset start (a query's own) up to stop (a length
    read before: the queries appended since are left for the next call)."""
    end = len(flat) if stop is None else stop
    i = start
    while i < end:
        yield i
        count = flat[i + COUNT]
        i += VALUES + (1 if count == OBJECT else count)


def row_params(flat: list[Any], i: int) -> Any:
    """The params of the query at offset i, as the driver got them (a list as a tuple)."""
    count = flat[i + COUNT]
    if count == OBJECT:
        return flat[i + VALUES]
    return tuple(flat[i + VALUES : i + VALUES + count])


def build_records(flat: list[Any], started_at: float) -> list[QueryRecord]:
    """QueryRecords from the recorder's flat list, numbered from 0; times in ms from
    started_at."""
    lines: dict[tuple[int, int], int | None] = {}  # the rows keep their code objects alive
    records = []
    for n, i in enumerate(row_starts(flat)):
        code = flat[i + CODE]
        source_file, lineno, line, entry = origin_fields(
            code, flat[i + LASTI], flat[i + LINE], flat[i + ENTRY], lines
        )
        if entry is None and code is not None:
            entry = _CURSOR_ENTRY[flat[i + MANY]]
        site = site_at(flat[i + SITE])
        template, template_code, serializer, admin, view = site or _NO_SITE
        records.append(
            QueryRecord(
                id=n,
                alias=flat[i + ALIAS],
                vendor=flat[i + VENDOR],
                sql=flat[i + SQL],
                params=row_params(flat, i),
                many=flat[i + MANY],
                start_ms=(flat[i + START] - started_at) * 1000.0,
                duration_ms=flat[i + DURATION] * 1000.0,
                thread=flat[i + THREAD],
                source_file=source_file,
                source_lineno=lineno,
                line=line,
                entry=entry,
                error=flat[i + ERROR],
                trigger=flat[i + TRIGGER],
                model=flat[i + MODEL],
                relation=relation_at(flat[i + RELATION]),
                template=template,
                template_code=template_code,
                serializer=serializer,
                admin=admin,
                view=view,
                execution=flat[i + EXECUTION],
            )
        )
    return records
