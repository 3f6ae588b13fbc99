"""Index what-if: create a suggested index in a rolled-back transaction and explain again."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, connections, models

from kit.explain.findings import find_plan_issues
from kit.explain.plan import IndexSuggestion, Plan, WhatIf, finalize
from kit.explain.routines import check_routines
from kit.explain.safety import RefusedStatement, check_explain, shortened
from kit.explain.schema import table_infos
from kit.explain.session import (
    VENDORS,
    ExplainOptions,
    connection_problem,
    database_message,
    rolled_back,
)

# Where DDL is transactional, a created index disappears with the rollback.
TRANSACTIONAL_DDL = frozenset({"sqlite", "postgresql"})
REFUSED = (
    "Index what-if runs only on SQLite and PostgreSQL: on MariaDB and MySQL, CREATE INDEX "
    "commits the transaction, so the index could not be rolled back."
)


def with_whatifs(plan: Plan, options: ExplainOptions) -> Plan:
    """The plan with a what-if for each index its findings suggest (before and after)."""
    suggestions = list(dict.fromkeys(f.index for f in plan.findings if f.index is not None))
    if not suggestions:
        return plan
    if plan.vendor not in TRANSACTIONAL_DDL:
        return dataclasses.replace(
            plan, whatifs=tuple(WhatIf(index, error=REFUSED) for index in suggestions)
        )
    return dataclasses.replace(
        plan, whatifs=tuple(try_index(plan, index, options) for index in suggestions)
    )


def _vendor_problem(connection: Any, vendor: str) -> str | None:
    """Why the plan's SQL cannot be explained on this connection, or None."""
    if connection.vendor != vendor:
        return (
            f"the plan is of {vendor} SQL, but alias {connection.alias!r} is "
            f"{connection.vendor}: nothing was run."
        )
    return connection_problem(connection)


def index_name(index: IndexSuggestion) -> str:
    """A short, stable name for the trial index (Django allows 30 characters)."""
    digest = hashlib.sha1(f"{index.table}:{','.join(index.fields)}".encode()).hexdigest()
    return f"kit_whatif_{digest[:8]}"


def create_index_sql(connection: Any, index: IndexSuggestion) -> str:
    """The CREATE INDEX statement Django's migration for models.Index(fields=...) would run."""
    model = apps.get_model(index.label)
    django_index = models.Index(fields=list(index.fields), name=index_name(index))
    editor = connection.schema_editor(collect_sql=True)
    return str(django_index.create_sql(model, editor))


def try_index(plan: Plan, index: IndexSuggestion, options: ExplainOptions) -> WhatIf:
    """Create the index, explain the plan's SQL again, roll back; never on MariaDB/MySQL.

    The plan may come from a file (kit.load): its SQL passes the same checks as a live cell's,
    and the index is built by Django from the model, never from the file's text.
    """
    if plan.vendor not in TRANSACTIONAL_DDL:
        return WhatIf(index, error=REFUSED)
    if plan.alias not in connections:
        return WhatIf(index, error=f"there is no database alias {plan.alias!r} here.")
    connection = connections[plan.alias]
    problem = _vendor_problem(connection, plan.vendor)
    if problem:
        return WhatIf(index, error=problem)
    try:
        check_explain(plan.sql, analyze=False)
        create_sql = create_index_sql(connection, index)
        after = _explain_with(connection, create_sql, plan, index, options)
    except RefusedStatement as exc:
        return WhatIf(index, error=str(exc))
    except (LookupError, FieldDoesNotExist) as exc:
        return WhatIf(index, error=f"no such model or field here: {exc}")
    except DatabaseError as exc:
        return WhatIf(index, error=database_message(exc, options.timeout_ms))
    name = index_name(index)
    return WhatIf(
        index,
        create_sql=create_sql,
        cost_before=plan.total_cost,
        cost_after=after.total_cost,
        uses_index=any(node.index == name for node in after.nodes()),
        after=after,
    )


def _explain_with(
    connection: Any, create_sql: str, plan: Plan, index: IndexSuggestion, options: ExplainOptions
) -> Plan:
    """The plan's SQL explained again with the index created, inside a rolled-back transaction."""
    vendor = VENDORS[connection.vendor]
    with rolled_back(connection, options.timeout_ms) as cursor:
        check_routines(vendor, cursor, plan.sql, analyze=False)
        cursor.execute(create_sql)
        raw = vendor.run(
            connection, cursor, plan.sql, plan.params, analyze=False, timeout_ms=options.timeout_ms
        )
        parsed, _, _ = vendor.parse(raw)
        tables = table_infos(connection, cursor, vendor, {index.table})
    root = finalize(parsed)
    return dataclasses.replace(
        plan,
        root=root,
        statement=raw.statement,
        analyzed=False,
        findings=find_plan_issues(
            root, shortened(plan.sql), plan.vendor, tables, options.thresholds
        ),
        whatifs=(),
        notes=(f"With {index.code} on {index.model} (created, then rolled back).",),
    )
