"""%orm_explain: explain a QuerySet without running it; its options, parsing and outputs."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.display import display

from kit.bootstrap import setup
from kit.capture.aliases import check_database_alias
from kit.errors import KitUsageError
from kit.explain import ExplainError, ExplainOptions, Thresholds, explain_queryset
from kit.explain.runner import check_queryset
from kit.explain.whatif import with_whatifs
from kit.magics.arguments import nearest, unknown_option
from kit.render.plan_figure import PlanFigure
from kit.render.plans import PlanReport

USAGE = "%orm_explain [--analyze | --whatif] QUERYSET_EXPRESSION"
FLAGS = ("analyze", "whatif")


def explain_options(config: Any) -> ExplainOptions:
    """ExplainOptions from the OrmProfile traitlets (%config OrmProfile.explain_timeout_ms)."""
    return ExplainOptions(
        timeout_ms=config.explain_timeout_ms,
        thresholds=Thresholds(
            min_rows=config.explain_min_rows, min_loops=config.explain_min_loops
        ),
    )


@magics_class
class OrmExplain(Magics):
    """%orm_explain; its settings are OrmProfile's (`%config OrmProfile.explain_timeout_ms`)."""

    def __init__(self, shell: Any, config_source: Any) -> None:
        super().__init__(shell=shell)
        self.config_source = config_source

    @line_magic
    def orm_explain(self, line: str) -> Any:
        """Explain a QuerySet without running it: %orm_explain [--analyze | --whatif] EXPR.

        --analyze adds actual rows and times (the SELECT runs in the database, inside a
        transaction that is rolled back); --whatif tries each suggested index (SQLite and
        PostgreSQL only). Options come before the expression. Returns a report whose .plan
        is the plan.
        """
        expression, mode = self.parse_line(line)
        try:
            setup(None)
        except KitUsageError as exc:
            raise UsageError(str(exc)) from None
        value = self.shell.ev(expression)  # type: ignore[union-attr]
        config = self.config_source
        return explain_expression(
            value, expression, mode, explain_options(config), config.static_images
        )

    def parse_line(self, line: str) -> tuple[str, str]:
        """(expression, mode): IPython's own option parsing, as %timeit's; the rest verbatim."""
        try:
            opts, expression = self.parse_options(
                line, "", *FLAGS, posix=False, strict=False, preserve_non_opts=True
            )
        except UsageError as exc:
            # getopt's own words list the flags without their dashes: say it plainly.
            token = unknown_option(str(exc))
            if token is None:
                raise
            close = nearest(token, [f"--{flag}" for flag in FLAGS])
            hint = f": did you mean {close}?" if close else "."
            raise UsageError(
                f"%orm_explain: unknown option {token}{hint} Usage: {USAGE}"
            ) from None
        modes = [flag for flag in FLAGS if flag in opts]
        if len(modes) > 1:
            raise UsageError(f"Choose one of --analyze and --whatif. Usage: {USAGE}")
        expression = expression.strip()
        if not expression:
            raise UsageError(f"%orm_explain needs a QuerySet expression. Usage: {USAGE}")
        trailing = expression.rsplit(None, 1)[-1]
        if trailing.removeprefix("--") in FLAGS and trailing.startswith("--"):
            raise UsageError(f"%orm_explain: put {trailing} before the expression. Usage: {USAGE}")
        return expression, modes[0] if modes else "plain"


def explain_expression(
    value: Any, expression: str, mode: str, options: ExplainOptions, static_image: bool = True
) -> Any:
    """Explain a QuerySet without evaluating it; show the plan figure; return a PlanReport."""
    try:
        check_queryset(value, expression)
        # .using("nope") is only looked up when the SQL is made: a chained traceback then.
        check_database_alias(value.db)
    except KitUsageError as exc:
        raise UsageError(f"%orm_explain {exc}") from None
    result = explain_queryset(value, analyze=mode == "analyze", options=options)
    if isinstance(result, ExplainError):
        return PlanReport([], [result])
    if mode == "whatif":
        result = with_whatifs(result, options)
    display(PlanFigure.of([result], static_image))
    return PlanReport([result])
