"""The EXPLAIN side of the magics: options from %config, %orm_explain's line, the outputs."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.display import display

from kit.errors import KitUsageError
from kit.explain import ExplainError, ExplainOptions, Thresholds, explain_queryset
from kit.explain.runner import check_queryset
from kit.explain.whatif import with_whatifs
from kit.render.plan_figure import PlanFigure
from kit.render.plans import PlanReport

USAGE = "%orm_explain [--analyze | --whatif] QUERYSET_EXPRESSION"


def explain_options(magics: Any) -> ExplainOptions:
    """ExplainOptions from the magics' traitlets (%config OrmProfile.explain_timeout_ms = ...)."""
    return ExplainOptions(
        timeout_ms=magics.explain_timeout_ms,
        thresholds=Thresholds(
            min_rows=magics.explain_min_rows, min_loops=magics.explain_min_loops
        ),
    )


def parse_line(line: str) -> tuple[str, str]:
    """(expression, mode) from %orm_explain's line; the flags may come first or last."""
    words = line.split()
    flags = {"--analyze": "analyze", "--whatif": "whatif"}
    modes = []
    while words and words[0] in flags:
        modes.append(flags[words.pop(0)])
    while words and words[-1] in flags:
        modes.append(flags[words.pop()])
    if len(set(modes)) > 1:
        raise UsageError(f"Choose one of --analyze and --whatif. Usage: {USAGE}")
    expression = " ".join(words).strip()
    if not expression:
        raise UsageError(f"%orm_explain needs a QuerySet expression. Usage: {USAGE}")
    return expression, modes[0] if modes else "plain"


def explain_expression(
    value: Any, expression: str, mode: str, options: ExplainOptions, static_image: bool = True
) -> Any:
    """Explain a QuerySet without evaluating it; show the plan figure; return a PlanReport."""
    try:
        check_queryset(value, expression)
    except KitUsageError as exc:
        raise UsageError(f"%orm_explain {exc}") from None
    result = explain_queryset(value, analyze=mode == "analyze", options=options)
    if isinstance(result, ExplainError):
        return PlanReport([], [result])
    if mode == "whatif":
        result = with_whatifs(result, options)
    display(PlanFigure.of([result], static_image))
    return PlanReport([result])
