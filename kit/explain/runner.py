"""Run EXPLAIN safely: once per query shape, params bound by the driver, always rolled back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Manager, QuerySet

from kit.analysis.fingerprint import sql_shape
from kit.capture import QueryRecord
from kit.errors import KitUsageError
from kit.explain.findings import find_plan_issues
from kit.explain.plan import ExplainError, Plan, RawExplain, finalize
from kit.explain.routines import check_routines
from kit.explain.safety import (
    MAX_CHECKED,
    RefusedStatement,
    check_explain,
    may_analyze,
    shortened,
)
from kit.explain.schema import plan_tables, table_infos
from kit.explain.session import (
    VENDORS,
    ExplainOptions,
    connection_problem,
    database_message,
    rolled_back,
)
from kit.explain.whatif import with_whatifs

MODES = ("plain", "analyze", "whatif")
_PARSE_ERRORS = (ValueError, KeyError, TypeError, IndexError)


@dataclass(frozen=True, slots=True)
class ExplainResults:
    """The plans of a profiled block, slowest shape first, and the shapes that got none."""

    plans: tuple[Plan, ...] = ()
    errors: tuple[ExplainError, ...] = ()


def explain_sql(
    sql: str,
    params: Any = None,
    *,
    using: str = DEFAULT_DB_ALIAS,
    analyze: bool = False,
    options: ExplainOptions | None = None,
) -> Plan | ExplainError:
    """The plan of one statement, or why there is none; ANALYZE only for a plain SELECT."""
    options = options or ExplainOptions()
    connection = connections[using]
    try:
        reason = _refusal(connection, sql, analyze)
        if reason is None:
            return _explain(connection, sql, params, analyze, options)
    except RefusedStatement as exc:
        reason = str(exc)
    except DatabaseError as exc:
        reason = database_message(exc, options.timeout_ms)
    except _PARSE_ERRORS as exc:
        reason = f"could not read the plan ({type(exc).__name__}: {exc})."
    return ExplainError(connection.vendor, using, sql, reason, _fingerprint(sql))


def _fingerprint(sql: str) -> str:
    """The shape's fingerprint, when the text is short enough to read (else "")."""
    text = shortened(sql)
    return sql_shape(text).fingerprint if len(text) <= MAX_CHECKED else ""


def _refusal(connection: Any, sql: str, analyze: bool) -> str | None:
    """Why this statement may not be explained on this connection now, or None."""
    if connection.vendor not in VENDORS:
        return f"the kit cannot explain on {connection.display_name}."
    try:
        check_explain(sql, analyze=analyze)
    except RefusedStatement as exc:
        return str(exc)
    return connection_problem(connection)


def _explain(
    connection: Any, sql: str, params: Any, analyze: bool, options: ExplainOptions
) -> Plan:
    """Run the EXPLAIN, read the plan and what it finds (database errors propagate)."""
    vendor = VENDORS[connection.vendor]
    text = shortened(sql)  # what the kit reads: long lists of parameters cut short
    read_only = sql_shape(text).kind == "SELECT"
    with rolled_back(connection, options.timeout_ms, read_only=read_only) as cursor:
        check_routines(vendor, cursor, sql, analyze=analyze)
        raw = vendor.run(
            connection, cursor, sql, params, analyze=analyze, timeout_ms=options.timeout_ms
        )
        parsed, planning_ms, execution_ms = vendor.parse(raw)
        tables = table_infos(connection, cursor, vendor, plan_tables(parsed, text))
    root = finalize(parsed)
    return Plan(
        vendor=connection.vendor,
        alias=connection.alias,
        sql=sql,
        params=params,
        root=root,
        statement=raw.statement,
        # MariaDB reads a constant row while planning: it has loops but no actual rows.
        analyzed=any(n.actual_rows is not None or n.loops is not None for _, n in root.walk()),
        fingerprint=sql_shape(text).fingerprint,
        planning_ms=planning_ms,
        execution_ms=execution_ms,
        raw=_raw_text(raw),
        notes=_notes(connection.vendor, analyze),
        findings=find_plan_issues(root, text, connection.vendor, tables, options.thresholds),
    )


def check_queryset(value: Any, label: str) -> None:
    """Raise KitUsageError unless value is a QuerySet (a Manager gets a hint: .all())."""
    if isinstance(value, QuerySet):
        return
    hint = f" Try {label}.all()." if isinstance(value, Manager) else ""
    raise KitUsageError(f"needs a QuerySet, but {label} is a {type(value).__name__}.{hint}")


def explain_queryset(
    queryset: Any, *, analyze: bool = False, options: ExplainOptions | None = None
) -> Plan | ExplainError:
    """The plan of a QuerySet's SELECT, without evaluating the QuerySet."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        vendor = connections[queryset.db].vendor
        return ExplainError(vendor, queryset.db, "", "the QuerySet can match no row: no SQL runs.")
    result = explain_sql(sql, params, using=queryset.db, analyze=analyze, options=options)
    return dataclasses.replace(result, executions=0) if isinstance(result, Plan) else result


def explain_records(
    records: Sequence[QueryRecord], mode: str = "plain", options: ExplainOptions | None = None
) -> ExplainResults:
    """Explain each query shape once, through its slowest instance; slowest shape first."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
    plans: list[Plan] = []
    errors: list[ExplainError] = []
    for record, executions in _slowest_per_shape(records):
        problem = _record_problem(record)
        if problem:
            fingerprint = sql_shape(record.sql).fingerprint
            error = ExplainError(record.vendor, record.alias, record.sql, problem, fingerprint)
            errors.append(dataclasses.replace(error, record_id=record.id))
            continue
        params = record.params
        if record.many:
            params = params[0] if params else None  # executemany: one row's params
        analyze = mode == "analyze" and not record.many and may_analyze(record.sql)
        result = explain_sql(
            record.sql, params, using=record.alias, analyze=analyze, options=options
        )
        fingerprint = sql_shape(record.sql).fingerprint
        if isinstance(result, ExplainError):
            errors.append(
                dataclasses.replace(result, record_id=record.id, fingerprint=fingerprint)
            )
            continue
        notes = result.notes
        if mode == "analyze" and not analyze:
            notes += ("Plain EXPLAIN: only a single SELECT runs under ANALYZE.",)
        plan = dataclasses.replace(
            result,
            executions=executions,
            slowest_ms=record.duration_ms,
            notes=notes,
            record_id=record.id,
            fingerprint=fingerprint,
        )
        plans.append(with_whatifs(plan, options or ExplainOptions()) if mode == "whatif" else plan)
    return ExplainResults(tuple(plans), tuple(errors))


def _record_problem(record: QueryRecord) -> str | None:
    """Why a record (live, or read from a file) cannot be explained here, or None."""
    if record.alias not in connections:
        return f"there is no database alias {record.alias!r} here: nothing was run."
    vendor = connections[record.alias].vendor
    if record.vendor != vendor:
        return (
            f"the query was recorded on {record.vendor}, but alias {record.alias!r} is "
            f"{vendor}: nothing was run."
        )
    return None


def _slowest_per_shape(records: Sequence[QueryRecord]) -> list[tuple[QueryRecord, int]]:
    """(slowest record, executions) per (alias, fingerprint), the most total time first."""
    groups: dict[tuple[str, str], list[QueryRecord]] = {}
    for record in records:
        shape = sql_shape(record.sql)  # the key the profile's analysis cached
        if shape.kind in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            groups.setdefault((record.alias, shape.fingerprint), []).append(record)
    ordered = sorted(groups.values(), key=lambda group: -sum(r.duration_ms for r in group))
    picked = []
    for group in ordered:
        ok = [r for r in group if r.error is None] or group
        picked.append((max(ok, key=lambda r: r.duration_ms), len(group)))
    return picked


def _notes(vendor: str, analyze: bool) -> tuple[str, ...]:
    if vendor == "sqlite" and analyze:
        return (
            "SQLite has no EXPLAIN ANALYZE: the rows and time at the top come from running "
            "the SELECT inside a rolled-back transaction.",
        )
    return ()


def _raw_text(raw: RawExplain) -> str:
    """The database's own output as text, for people who want to read it as it came."""
    output = raw.output
    if isinstance(output, str):
        return output
    if isinstance(output, bytes):
        return output.decode()
    return json.dumps(output, indent=1, default=str)
