"""%%orm_profile --verify: replay the cell with each fix in its syntax tree, rolled back.

After the first run, each N+1 fix whose root queryset is written in the cell is put in a copy of
the cell's tree (kit.analysis.cell_rewrite) and the cell runs once more: inside a transaction on
every profiled alias that is always rolled back (kit.capture.rollback, which refuses a statement
that would commit), with its output captured, in a copy of the notebook's namespace where the
values the cell reads are deep copies taken before its first run (CellInputs): each replay starts
from the state the first run started from, and never changes the notebook's own objects (a list
the cell appends to, a dict it counts in). What it printed and displayed is compared with the
first run's; all fixes are also tried together. Code outside the database (files, network,
prints) runs again: the option is off by default.
"""

from __future__ import annotations

import ast
import copy
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from io import StringIO
from typing import IO, Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from kit.analysis.cell_rewrite import RewriteError, RootRewrite, rewrite_cell, unsafe_code
from kit.analysis.replay_plan import FixToTry, plan_replays, tables_written
from kit.analysis.verification import (
    CellOutput,
    Verification,
    first_difference,
    judge,
    not_applied,
)
from kit.capture.replay_safety import replay_refusal
from kit.capture.rollback import rolled_back
from kit.errors import RollbackRefused
from kit.profiles.block import attributed_to_line, profile
from kit.profiles.profile import Profile

__all__ = ["CellInputs", "OutputRecorder", "recording_output", "verify_cell"]


class CellInputs:
    """Deep copies of the notebook's values a cell reads, taken before its first run.

    A value deepcopy cannot copy (a module, a connection, a lock) is left out: the replays read
    the notebook's own, as the first run did.
    """

    def __init__(self, shell: InteractiveShell, tree: ast.Module) -> None:
        read = {
            node.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
        }
        self.values: dict[str, Any] = {}
        for name in sorted(read & shell.user_ns.keys()):
            try:
                self.values[name] = copy.deepcopy(shell.user_ns[name])
            except Exception:  # anything deepcopy raises: share the value
                continue

    def fresh(self) -> dict[str, Any]:
        """A new copy for one replay (the copies keep their identities among themselves)."""
        return copy.deepcopy(self.values)


class _Tee(StringIO):
    """A stdout that the user still sees, with a copy kept."""

    def __init__(self, shown: IO[str]) -> None:
        super().__init__()
        self.shown = shown

    def write(self, text: str) -> int:
        self.shown.write(text)
        return super().write(text)

    def flush(self) -> None:
        self.shown.flush()


@dataclass
class OutputRecorder:
    """The first run's output: its printed text, and the text of the value it displayed."""

    printed: StringIO = field(default_factory=StringIO)
    displayed: str | None = None
    # Where the printed text stood when the display hook ran: a terminal's hook prints the
    # value to stdout too, and that is the displayed value, not printed text.
    printed_until: int | None = None

    def output(self) -> CellOutput:
        """What the run showed, as a CellOutput."""
        return CellOutput(self.printed.getvalue()[: self.printed_until], self.displayed)


@contextmanager
def recording_output(shell: InteractiveShell) -> Iterator[OutputRecorder]:
    """Tee the block's stdout, and record the text/plain of what the display hook shows."""
    hook = shell.displayhook
    start, compute = hook.start_displayhook, hook.compute_format_data
    tee = _Tee(sys.stdout)
    recorder = OutputRecorder(printed=tee)

    def mark_and_start() -> Any:
        recorder.printed_until = len(tee.getvalue())  # before a terminal's "Out[3]: "
        return start()

    def format_and_record(result: Any) -> Any:
        data = compute(result)
        recorder.displayed = data[0].get("text/plain") if data and data[0] else None
        return data

    # Instance attributes shadow DisplayHook's methods for the block only (IPython's
    # DisplayHook.__call__ calls start_displayhook, then compute_format_data).
    hook.start_displayhook = mark_and_start  # type: ignore[method-assign]
    hook.compute_format_data = format_and_record  # type: ignore[method-assign]
    try:
        with redirect_stdout(tee):
            yield recorder
    finally:
        del hook.start_displayhook, hook.compute_format_data


@dataclass(frozen=True)
class _Replay:
    """What one replay needs besides the rewrites."""

    shell: InteractiveShell
    tree: ast.Module
    filename: str
    first: Profile
    first_output: CellOutput
    options: dict[str, Any]
    inputs: CellInputs | None = None


def verify_cell(
    shell: InteractiveShell,
    tree: ast.Module,
    filename: str,
    first: Profile,
    first_output: CellOutput,
    options: dict[str, Any],
    inputs: CellInputs | None = None,
) -> list[Verification]:
    """Replay the cell once per fix, then with all of them; one Verification each.

    tree: the whole cell as parsed (last expression included); options: kit.profile()'s
    arguments for the first run.
    """
    planned = plan_replays(
        first.fixes,
        first.findings,
        first.queries,
        first.cell_filename,
        first.source_text,
        first.cell_numbers,
    )
    if not planned:
        return []
    refusal = _refusal(first, tree, options.get("using"))
    if refusal is not None:
        reason = f"the cell is not replayed: {refusal}"
        return [_not_applied(first, p.finding, p.code, reason) for p in planned]
    replay = _Replay(shell, tree, filename, first, first_output, options, inputs)
    results = [
        _run(replay, [p.rewrite], p)
        if p.rewrite
        else _not_applied(first, p.finding, p.code, p.reason)
        for p in planned
    ]
    applicable = [p for p in planned if p.rewrite is not None]
    if len(applicable) > 1:
        results.append(_run(replay, [p.rewrite for p in applicable if p.rewrite], None))
    return results


def _refusal(first: Profile, tree: ast.Module, using: Any) -> str | None:
    if first.error is not None:
        return f"its first run raised {first.error.partition(':')[0]}"
    return unsafe_code(tree) or replay_refusal(first.queries, using, tables_written)


def _not_applied(first: Profile, finding: Any, code: str, reason: str) -> Verification:
    return not_applied(finding, code, _cost(first), reason)


def _run(
    replay: _Replay, rewrites: Sequence[RootRewrite], planned: FixToTry | None
) -> Verification:
    """Replay the cell with these rewrites, rolled back; compare with the first run."""
    first = replay.first
    finding = planned.finding if planned else None
    code = planned.code if planned else "\n".join(r.code for r in rewrites)
    try:
        tree = rewrite_cell(replay.tree, rewrites)
    except RewriteError as exc:
        return _not_applied(first, finding, code, str(exc))
    options = {**replay.options, "name": None, "explain": None, "cache": False}
    try:
        with rolled_back(options.get("using")), profile(**options) as result:
            output, error = _execute(replay, tree, result)
    except RollbackRefused as exc:
        return _not_applied(first, finding, code, f"the cell is not replayed: {exc}")
    difference = first_difference(replay.first_output, output) if error is None else None
    return judge(finding, code, _cost(first), _cost(result), difference, error)


def _cost(profile: Profile) -> tuple[int, float]:
    return profile.query_count, profile.db_time_ms


def _execute(replay: _Replay, tree: ast.Module, result: Profile) -> tuple[CellOutput, str | None]:
    """Run the rewritten cell in a copy of the namespace, its output captured."""
    shell = replay.shell
    body, last = _split_last(tree)
    namespace = dict(shell.user_ns)  # rebinding a name in the replay leaves the notebook's
    if replay.inputs is not None:  # and so does changing an object the cell reads
        namespace.update(replay.inputs.fresh())
    displayed = None
    with capture_output(display=True) as captured:
        try:
            exec(shell.compile(body, replay.filename, "exec"), namespace)
            if last is not None:
                value = eval(shell.compile(last, replay.filename, "eval"), namespace)
                if replay.first_output.displayed is not None:
                    displayed = _displayed_text(shell, value, result, last)
        # The user's cell can raise anything; a failed replay is a finding, not an error of
        # the notebook (the first run already succeeded).
        except Exception as exc:
            return CellOutput(captured.stdout, displayed), f"{type(exc).__name__}: {exc}"
    return CellOutput(captured.stdout, displayed), None


def _displayed_text(
    shell: InteractiveShell, value: Any, result: Profile, last: ast.Expression
) -> str | None:
    with attributed_to_line(result, last.body.lineno):  # type: ignore[attr-defined]
        data = shell.displayhook.compute_format_data(value)
    return data[0].get("text/plain") if data and data[0] else None


def _split_last(tree: ast.Module) -> tuple[ast.Module, ast.Expression | None]:
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        body = ast.Module(body=tree.body[:-1], type_ignores=[])
        return body, ast.Expression(tree.body[-1].value)
    return tree, None
