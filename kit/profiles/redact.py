"""A profile without its values (`p.redacted()`): what every output of a redacted profile shows.

Each query's params become a numbered stand-in ("(redacted #3)": equal params, equal number,
so duplicates and N+1 groups read as before); errors, plan conditions and plan findings lose
the values they quote (kit.analysis.redaction); a plan's raw database output is dropped. SQL,
the cell's code and cache keys are the user's own text and stay as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kit.analysis.groups import params_key
from kit.analysis.redaction import ParamsStandIn, redact_error, redact_text, secrets_of
from kit.capture.records import QueryRecord
from kit.explain.plan import ExplainError, Plan, PlanFinding, PlanNode, WhatIf

if TYPE_CHECKING:
    from kit.profiles.profile import Profile


class Redactor:
    """Redacts the parts of one profile with the same stand-ins and the same secrets."""

    def __init__(self, all_params: Iterable[Any]) -> None:
        self.secrets = secrets_of(all_params)
        self.stand_in = ParamsStandIn()

    def params(self, params: Any) -> Any:
        return None if params is None else self.stand_in(params_key(params))

    def error(self, text: str | None) -> str | None:
        return redact_error(text, self.secrets)

    def record(self, record: QueryRecord) -> QueryRecord:
        return dataclasses.replace(
            record, params=self.params(record.params), error=self.error(record.error)
        )

    def node(self, node: PlanNode) -> PlanNode:
        return dataclasses.replace(
            node,
            operation=redact_text(node.operation, self.secrets),
            detail=redact_text(node.detail, self.secrets, numbers=True),
            extra=tuple((k, redact_text(v, self.secrets)) for k, v in node.extra),
            children=tuple(self.node(child) for child in node.children),
        )

    def finding(self, finding: PlanFinding) -> PlanFinding:
        return dataclasses.replace(finding, message=redact_text(finding.message, self.secrets))

    def whatif(self, whatif: WhatIf) -> WhatIf:
        return dataclasses.replace(
            whatif,
            after=self.plan(whatif.after) if whatif.after is not None else None,
            error=self.error(whatif.error),
        )

    def plan(self, plan: Plan) -> Plan:
        return dataclasses.replace(
            plan,
            params=self.params(plan.params),
            root=self.node(plan.root),
            raw="",
            notes=tuple(redact_text(note, self.secrets) for note in plan.notes),
            findings=tuple(self.finding(f) for f in plan.findings),
            whatifs=tuple(self.whatif(w) for w in plan.whatifs),
        )

    def explain_error(self, error: ExplainError) -> ExplainError:
        return dataclasses.replace(error, message=redact_text(error.message, self.secrets))


def redact_profile(profile: Profile) -> Profile:
    """A finished copy of the profile with no param value in it (see the module's docstring)."""
    queries = profile.queries
    redactor = Redactor([q.params for q in queries] + [p.params for p in profile.plans])
    copy = type(profile).of_records(
        [redactor.record(q) for q in queries],
        started_at=profile.started_at,
        wall_time_ms=profile.wall_time_ms,
        query_count=profile.query_count,
        db_time_ms=profile.db_time_ms,
        counters=profile.overflow,
        cache_calls=profile.cache_calls,
        cache_call_count=profile.cache_call_count,
        cache_counters=profile.cache_overflow,
        name=profile.name,
        cell=profile.cell,
        cell_filename=profile.cell_filename,
        max_rows=profile.max_rows,
        rows_by=profile.rows_by,
        error=redactor.error(profile.error),
        threshold=profile.threshold,
        cell_numbers=dict(profile.cell_numbers),
        runs=profile.runs,
        redact_params=True,
    )
    copy.plans = [redactor.plan(p) for p in profile.plans]
    copy.explain_errors = [redactor.explain_error(e) for e in profile.explain_errors]
    return copy
