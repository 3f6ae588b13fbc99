"""%%orm_profile: run a cell under the kit's capture and show what it did to the database.

OrmProfile also holds the settings every magic of the kit reads (`%config OrmProfile.*`).
"""

from __future__ import annotations

import ast
from contextlib import ExitStack
from typing import Any, cast

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Bool, Integer, TraitError, validate

from kit.analysis.groups import DEFAULT_THRESHOLD, check_threshold
from kit.analysis.timings import RunTimes
from kit.bootstrap import setup
from kit.capture import DEFAULT_RECORD_CAP
from kit.capture.rollback import rolled_back
from kit.errors import KitUsageError, RollbackRefused
from kit.explain import MODES
from kit.magics.arguments import check_variable_name, parse_arguments
from kit.magics.async_cells import run_async_cell
from kit.magics.orm_explain import explain_options
from kit.magics.profile_outputs import (
    budget_from_args,
    check_args,
    output_options,
    show_outputs_safely,
)
from kit.magics.progress import LiveProgress, in_kernel
from kit.magics.verify import CellInputs, OutputRecorder, recording_output, verify_cell
from kit.profiles.block import attributed_to_line, profile
from kit.profiles.profile import Profile
from kit.render.budget import enforce_budget

# The smallest value each integer setting takes (threshold has its own rule, check_threshold).
MINIMUMS = {
    "max_rows": 0,
    "record_cap": 0,
    "explain_timeout_ms": 1,
    "explain_min_rows": 0,
    "explain_min_loops": 0,
    "timeline_detail_limit": 0,
}


@magics_class
class OrmProfile(Magics):
    """The kit's magics. Options persist with %config, e.g. `%config OrmProfile.max_rows = 100`."""

    max_rows = Integer(
        50, help="How many query shapes the table shows (one row each) before a footer."
    ).tag(config=True)
    record_cap = Integer(
        DEFAULT_RECORD_CAP,
        help="Full records kept per cell; past it queries are counted per fingerprint only.",
    ).tag(config=True)
    threshold = Integer(
        DEFAULT_THRESHOLD,
        help="Queries of one shape from one line, params varying, that make an N+1 finding.",
    ).tag(config=True)
    explain_timeout_ms = Integer(
        10_000, help="Statement timeout for the kit's EXPLAIN (and ANALYZE), ms."
    ).tag(config=True)
    explain_min_rows = Integer(
        1_000, help="Plan findings: a table, sort or filter this big is worth a finding."
    ).tag(config=True)
    explain_min_loops = Integer(
        1_000, help="Plan findings: a nested loop's inner side running this often."
    ).tag(config=True)
    # What a cell shows (each also has a --no-... option); see kit.magics.profile_outputs.
    findings = Bool(True, help="Show the findings (N+1 groups, duplicates).").tag(config=True)
    timeline = Bool(True, help="Show the timeline figure.").tag(config=True)
    charts = Bool(True, help="Show counts and time by query shape and table.").tag(config=True)
    table = Bool(True, help="Show the table of queries.").tag(config=True)
    quiet = Bool(False, help="Show the summary line alone.").tag(config=True)
    redact_params = Bool(
        False,
        help="Leave query param values out of every output (tables, hover, plans, errors, "
        "findings, p.save, p.to_html): for notebooks that are shared.",
    ).tag(config=True)
    static_images = Bool(
        True,
        help="Give each figure (timeline, charts, plans) a PNG copy for GitHub and nbconvert "
        "(kaleido + Chromium: about 1 s once per kernel, started by %load_ext kit; then about "
        "0.05 s a figure).",
    ).tag(config=True)
    progress = Bool(
        True,
        help="In a notebook, a line that updates while a cell runs past a second (queries, "
        "database time, wall time), replaced by the profile when it ends.",
    ).tag(config=True)
    verify = Bool(
        False,
        help="After the cell, replay it once per N+1 fix (and once with all of them) with the "
        "fix in its code, rolled back on every alias, and say whether the queries drop with the "
        "same output. Code outside the database (files, network, prints) runs again.",
    ).tag(config=True)
    timeline_detail_limit = Integer(
        5_000, help="Past this many queries the timeline draws time bins, not each query."
    ).tag(config=True)

    @validate(*MINIMUMS)
    def _check_minimum(self, proposal: Any) -> int:
        name, value = proposal["trait"].name, proposal["value"]
        if value < MINIMUMS[name]:
            raise TraitError(
                f"OrmProfile.{name} must be {MINIMUMS[name]} or more, not {value}; e.g. "
                f"%config OrmProfile.{name} = {self.trait_defaults(name)}."
            )
        return int(value)

    @validate("threshold")
    def _check_threshold(self, proposal: Any) -> int:
        try:
            return check_threshold(proposal["value"], "OrmProfile.threshold")
        except ValueError as exc:
            raise TraitError(str(exc)) from None

    @property
    def _ip(self) -> InteractiveShell:
        if self.shell is None:
            raise RuntimeError("OrmProfile needs an IPython shell: use %load_ext kit.")
        return self.shell

    @magic_arguments()
    @argument("-o", "--name", help="Keep the profile in the notebook as this variable.")
    @argument("--settings", help="Django settings module, e.g. mysite.settings (else found).")
    @argument(
        "--using",
        action="append",
        metavar="ALIAS",
        help="Profile only this database alias (repeat for several). Default: all of them.",
    )
    @argument(
        "--cache",
        action="append",
        metavar="ALIAS",
        help="Record the cache calls of this cache alias only (repeat for several). Default: "
        "every alias in settings.CACHES.",
    )
    @argument("--no-cache", action="store_true", help="Leave cache calls out of the profile.")
    @argument(
        "--rows",
        type=int,
        metavar="N",
        help="List the N slowest queries one by one, slowest first, instead of the table by "
        "query shape.",
    )
    @argument(
        "--threshold",
        type=int,
        metavar="N",
        help="Report an N+1 from N queries of one shape from one line (default: threshold, 3).",
    )
    @argument(
        "--explain",
        nargs="?",
        const="plain",
        choices=MODES,
        help="After the cell, EXPLAIN each query shape once (its slowest run): plain; analyze "
        "adds actual rows and times (SELECT only, rolled back); whatif tries suggested indexes.",
    )
    @argument("--quiet", action="store_true", help="Show the summary line alone.")
    @argument("--no-findings", action="store_true", help="Hide the findings.")
    @argument("--no-timeline", action="store_true", help="Hide the timeline figure.")
    @argument("--no-charts", action="store_true", help="Hide the charts by query shape and table.")
    @argument("--no-table", action="store_true", help="Hide the table of queries.")
    @argument("--compare", metavar="NAME", help="Compare with the profile kept as NAME (-o NAME).")
    @argument("--max-queries", type=int, metavar="N", help="Fail the cell past N queries.")
    @argument(
        "--max-duplicates", type=int, metavar="N", help="Fail the cell past N duplicate queries."
    )
    @argument("--no-n-plus-one", action="store_true", help="Fail the cell on any N+1 group.")
    @argument(
        "--repeat",
        type=int,
        metavar="N",
        help="Run the cell N times, each in a transaction on every alias that is rolled back, "
        "and report the median and spread of wall and database time (as %%timeit); the "
        "profile shown is the first run's. A cell that commits is refused.",
    )
    @argument(
        "--verify",
        action="store_true",
        help="Replay the cell once per N+1 fix whose queryset it writes (and once with all of "
        "them), the fix in its code, in a transaction on every alias that is rolled back, and "
        "compare what it printed and displayed: 'verified: 7,951 -> 2 queries, same output' or "
        "why not. Code outside the database (files, network, prints) runs again; a cell that "
        "commits is not replayed. Default: OrmProfile.verify (off).",
    )
    @cell_magic
    def orm_profile(self, line: str, cell: str) -> None:
        """Run the cell and show every SQL query it sent: count, time and the line behind it,
        and every cache call it made (hits, misses, the key patterns).

        Findings come first, worst first: N+1 groups with the queryset change that removes
        them, querysets loaded only to test or count them, repeated queries.

        The profile is shown even when the cell raises; the exception is then raised again,
        so a failing cell still fails the notebook. A broken budget (--max-queries,
        --max-duplicates, --no-n-plus-one) raises kit.BudgetExceeded after the profile.
        """
        __tracebackhide__ = True
        args, baseline = self._checked_args(line)
        result = self._run_profiled(args, line, cell, baseline)
        enforce_budget(result, budget_from_args(args))

    async def orm_profile_async(self, line: str, cell: str) -> None:
        """%%orm_profile for a cell with top-level await, async for or async with: IPython runs
        the cell as a coroutine on its loop (kit.magics.async_cells rewrites it to await this)."""
        __tracebackhide__ = True
        args, baseline = self._checked_args(line)
        if args.repeat:
            raise UsageError(
                "--repeat rolls back a transaction on this thread's connection, and the async "
                "ORM runs its queries on sync_to_async's thread: run the cell without --repeat."
            )
        if args.verify or self.verify:
            raise UsageError(
                "--verify replays the cell in a transaction on this thread's connection, and the "
                "async ORM runs its queries on sync_to_async's thread: run it without --verify."
            )
        result = await run_async_cell(self, args, line, cell, baseline)
        enforce_budget(result, budget_from_args(args))

    def _checked_args(self, line: str) -> tuple[Any, Profile | None]:
        """The cell's options, checked (UsageError), and the baseline to compare with."""
        args = parse_arguments(self.orm_profile, line)
        if args.name is not None:
            check_variable_name(args.name, "-o/--name", self._ip.user_ns_hidden)
        if args.no_cache and args.cache:
            raise UsageError("--cache and --no-cache exclude each other: use one of them.")
        if args.rows is not None and args.rows < 0:
            raise UsageError(f"--rows needs a number of 0 or more, not {args.rows}.")
        if args.threshold is not None:
            try:
                check_threshold(args.threshold, "--threshold")
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        baseline = check_args(args, self._ip.user_ns)
        try:
            setup(args.settings)
        except KitUsageError as exc:
            raise UsageError(str(exc)) from None
        return args, baseline

    def _run_profiled(
        self, args: Any, line: str, cell: str, baseline: Profile | None = None
    ) -> Profile:
        __tracebackhide__ = True
        code, options, live = self.prepare_cell(args, line, cell)
        runs = args.repeat or 1
        started: list[Profile] = []  # each run's profile, as soon as it starts
        verify = args.verify or self.verify
        outputs: list[OutputRecorder] = []  # the first run's, for --verify
        # What the cell reads, copied before it runs: each replay starts from the same state.
        inputs = CellInputs(self._ip, _whole_cell(code)) if verify else None
        failed = True
        try:
            with live:
                for run in range(runs):
                    with ExitStack() as recording:
                        if verify and run == 0:
                            outputs.append(recording.enter_context(recording_output(self._ip)))
                        self._run_once(args, run, options, code, live, started)
                if verify:
                    self._verify(code, options, started[0], outputs[0], inputs)
            failed = False
        except RollbackRefused as exc:
            raise UsageError(f"--repeat {runs}: {exc} Run it without --repeat.") from None
        except KitUsageError as exc:
            raise UsageError(str(exc)) from None
        finally:
            self.show_profile(args, started, failed, baseline, live)
        return started[0]

    def _verify(
        self,
        code: tuple[ast.Module, ast.Expression | None, str],
        options: dict[str, Any],
        first: Profile,
        output: OutputRecorder,
        inputs: CellInputs | None = None,
    ) -> None:
        """--verify: replay the cell with each fix (kit.magics.verify) into first.verifications."""
        first.verifications = verify_cell(
            self._ip, _whole_cell(code), code[2], first, output.output(), options, inputs
        )

    def prepare_cell(
        self, args: Any, line: str, cell: str
    ) -> tuple[tuple[ast.Module, ast.Expression | None, str], dict[str, Any], LiveProgress]:
        """The cell's code (body, last expression, filename), kit.profile()'s options, the
        live progress line."""
        shell = self._ip
        # A leading newline makes the body's line numbers those of the notebook cell, whose
        # line 1 is "%%orm_profile": tracebacks and the table then name the lines people see.
        source = "\n" * (1 + _leading_blank_lines(cell)) + shell.transform_cell(cell)
        filename = shell.compile.cache(source, shell.execution_count, raw_code=source)
        body, last = _split_last_expression(shell, source, filename)
        options = self._profile_options(args, line, cell, filename)
        return (body, last, filename), options, LiveProgress(in_kernel(shell) and self.progress)

    def show_profile(
        self,
        args: Any,
        started: list[Profile],
        failed: bool,
        baseline: Profile | None,
        live: LiveProgress,
    ) -> None:
        """Show and keep the profile, even when the cell raised: the partial profile says how
        far it got (the run that failed); else the first run's, with every run's times."""
        if not started:
            return
        result = started[-1] if failed else started[0]
        if args.repeat and not failed:
            result.runs = run_times(started)
        # Kept before it is shown: a failure of the kit's rendering loses nothing.
        if args.name:
            self._ip.user_ns[args.name] = result
        show_outputs_safely(result, output_options(self, args), baseline, live.handle, args.name)

    def _profile_options(self, args: Any, line: str, cell: str, filename: str) -> dict[str, Any]:
        """kit.profile()'s arguments for this cell."""
        return {
            "using": args.using,
            "name": args.name,
            "cap": self.record_cap,
            "max_rows": self.max_rows if args.rows is None else args.rows,
            "rows_by": "shape" if args.rows is None else "query",
            "threshold": self.threshold if args.threshold is None else args.threshold,
            "cell": f"%%orm_profile {line}".rstrip() + "\n" + cell,
            "cell_filename": filename,
            "explain": args.explain,
            "explain_options": explain_options(self),
            "cache": False if args.no_cache else args.cache,
            "redact_params": self.redact_params,
        }

    def _run_once(
        self,
        args: Any,
        run: int,
        options: dict[str, Any],
        code: tuple[ast.Module, ast.Expression | None, str],
        live: LiveProgress,
        started: list[Profile],
    ) -> None:
        """Run the cell once under the capture; with --repeat, in a rolled-back transaction.

        The first run alone displays the cell's last value and explains its queries.
        """
        __tracebackhide__ = True
        with ExitStack() as stack:
            if args.repeat:
                stack.enter_context(rolled_back(args.using))
            explain = options["explain"] if run == 0 else None
            current = stack.enter_context(profile(**{**options, "explain": explain}))
            started.append(current)
            live.watch(current, f"run {run + 1} of {args.repeat}" if args.repeat else "")
            self._execute(*code, current, display=run == 0)

    def _execute(
        self,
        body: ast.Module,
        last: ast.Expression | None,
        filename: str,
        result: Profile,
        display: bool = True,
    ) -> None:
        __tracebackhide__ = True
        shell = self._ip
        ns = shell.user_ns
        exec(shell.compile(body, filename, "exec"), ns)
        if last is None:
            return
        value = eval(shell.compile(last, filename, "eval"), ns)
        if not display:  # a repeated run: the value is shown once, by the first
            return
        # The notebook shows the last value inside the capture: a QuerySet's repr runs a query
        # (LIMIT 21) that belongs to this cell. Its frame is not on the stack, so say which line.
        with attributed_to_line(result, last.body.lineno):  # type: ignore[attr-defined]
            shell.displayhook(value)


def _whole_cell(code: tuple[ast.Module, ast.Expression | None, str]) -> ast.Module:
    """The cell's tree with its last expression back in it."""
    body, last, _ = code
    return ast.Module([*body.body, *([ast.Expr(last.body)] if last else [])], [])


def _leading_blank_lines(cell: str) -> int:
    """The cell's blank lines before its code: IPython's transform_cell drops them, and the
    line numbers must stay those of the notebook cell (the --verify replay reads both)."""
    lines = cell.splitlines()
    return next((n for n, text in enumerate(lines) if text.strip()), len(lines))


def _split_last_expression(
    shell: InteractiveShell, source: str, filename: str
) -> tuple[ast.Module, ast.Expression | None]:
    """The cell's statements, and its last expression when there is one (to display it)."""
    tree = cast(ast.Module, shell.compile.ast_parse(source, filename=filename))
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(cast(ast.Expr, tree.body.pop()).value)
        return tree, last
    return tree, None


def run_times(profiles: list[Profile]) -> RunTimes:
    """Each run's wall time, database time and query count (--repeat)."""
    return RunTimes(
        tuple(p.wall_time_ms for p in profiles),
        tuple(p.db_time_ms for p in profiles),
        tuple(p.query_count for p in profiles),
    )
