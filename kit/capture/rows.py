"""The raw row the recorder keeps per query, and how rows become QueryRecords later.

A row is one flat tuple of strings, numbers and code objects, with the query's parameter
values inlined at its end. Why so: every container a profiled block keeps per query counts
toward the garbage collector's next pass (one per 700 kept), every tenth pass also goes over
the middle generation, and now and then one over Django's whole heap: all paid inside the
block. A row that also kept the driver's params tuple and a nested origin tuple kept three
containers per query: on the N+1 loop, 45 young passes per run against 19 without the kit; one
tuple per query makes it 29. The collector also stops tracking such a row at its first pass,
as it holds nothing that can form a cycle (plain parameter values; see
relations.relation_index).
"""

from __future__ import annotations

from typing import Any

from kit.capture.frames import origin_fields
from kit.capture.records import QueryRecord
from kit.capture.relations import relation_at
from kit.capture.sites import site_at

RawRow = tuple[Any, ...]
_NO_SITE = (None, None, None, None, None)

# Positions in a row: the query's own fields, then find_origin()'s tuple from CODE to EXECUTION
# (user code, its offset, cell line, entry code...). PARAMS holds INLINE when the parameter
# values follow at VALUES onward (a tuple or list, as Django passes them for one statement),
# else the params object itself (None, a dict of named parameters, an executemany()'s rows).
SQL, MANY, ALIAS, VENDOR, START, DURATION, THREAD, ERROR = range(8)
CODE, LASTI, LINE, ENTRY, TRIGGER, MODEL, RELATION, SITE, EXECUTION, PARAMS, VALUES = range(8, 19)
INLINE = ...  # Ellipsis: never a parameter list, and a singleton the collector does not track


def build_records(rows: list[RawRow], started_at: float) -> list[QueryRecord]:
    """QueryRecords from raw rows, numbered from 0; times in ms from started_at."""
    lines: dict[tuple[int, int], int | None] = {}  # the rows keep their code objects alive
    records = []
    for i, row in enumerate(rows):
        source_file, lineno, line, entry = origin_fields(
            row[CODE], row[LASTI], row[LINE], row[ENTRY], lines
        )
        site = site_at(row[SITE])
        template, template_code, serializer, admin, view = site or _NO_SITE
        records.append(
            QueryRecord(
                id=i,
                alias=row[ALIAS],
                vendor=row[VENDOR],
                sql=row[SQL],
                params=row[VALUES:] if row[PARAMS] is INLINE else row[PARAMS],
                many=row[MANY],
                start_ms=(row[START] - started_at) * 1000.0,
                duration_ms=row[DURATION] * 1000.0,
                thread=row[THREAD],
                source_file=source_file,
                source_lineno=lineno,
                line=line,
                entry=entry,
                error=row[ERROR],
                trigger=row[TRIGGER],
                model=row[MODEL],
                relation=relation_at(row[RELATION]),
                template=template,
                template_code=template_code,
                serializer=serializer,
                admin=admin,
                view=view,
                execution=row[EXECUTION],
            )
        )
    return records
