"""%%orm_profile cells with top-level await, async for or async with, run as IPython runs them.

Why a transformer: a cell magic is a plain function IPython calls synchronously, and in a
Jupyter kernel it is called from inside the kernel's running event loop, where nothing can wait
for a coroutine (the async ORM's futures need that very loop). Without the magic, IPython (and
ipykernel's do_execute) sees the cell needs a coroutine runner (should_run_async) and awaits it
on the kernel's loop. So AsyncCells, an input_transformers_post step, rewrites such a cell's
`get_ipython().run_cell_magic('orm_profile', line, body)` into
`await <the magic>.orm_profile_async(line, body)`: IPython then awaits the magic on its own loop,
in the same thread, as it would await the body; run_async_cell profiles it there.
"""

from __future__ import annotations

import ast
from contextlib import ExitStack
from inspect import CO_COROUTINE
from types import CodeType
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from kit.errors import KitUsageError
from kit.profiles.block import attributed_to_line, profile
from kit.profiles.profile import Profile

# What IPython's cell_magic transform (IPython.core.inputtransformer2) makes of a %%orm_profile
# cell: one line, get_ipython().run_cell_magic(name, line, body) with repr() arguments.
_MAGIC_CALL = "get_ipython().run_cell_magic('orm_profile', "
_ASYNC_CALL = "await get_ipython().find_cell_magic('orm_profile').__self__.orm_profile_async"


class AsyncCells:
    """input_transformers_post step: a %%orm_profile cell whose body IPython would run as a
    coroutine becomes an awaited call of the magic's orm_profile_async (see the module)."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell

    def __call__(self, lines: list[str]) -> list[str]:
        if len(lines) != 1 or not lines[0].startswith(_MAGIC_CALL):
            return lines
        try:
            call = ast.parse(lines[0], mode="eval").body
            line, body = (ast.literal_eval(a) for a in call.args[1:3])  # type: ignore[attr-defined]
            transformed = self.shell.transform_cell(body)
        except (SyntaxError, ValueError, AttributeError):
            return lines  # not IPython's own line: leave it to the magic
        if not self.shell.should_run_async(body, transformed_cell=transformed):
            return lines
        return [f"{_ASYNC_CALL}({line!r}, {body!r})\n"]


async def run_async_cell(
    magics: Any, args: Any, line: str, cell: str, baseline: Profile | None
) -> Profile:
    """Run the cell once as a coroutine under kit.profile(); show and keep the profile, also
    when the cell raised (then raised again). magics: the OrmProfile magics."""
    __tracebackhide__ = True
    (body, last, filename), options, live = magics.prepare_cell(args, line, cell)
    started: list[Profile] = []
    failed = True
    try:
        with live, ExitStack() as stack:
            current = stack.enter_context(profile(**options))
            started.append(current)
            live.watch(current, "")
            await execute_async(magics.shell, body, last, filename, current)
        failed = False
    except KitUsageError as exc:
        raise UsageError(str(exc)) from None
    finally:
        magics.show_profile(args, started, failed, baseline, live)
    return started[0]


async def execute_async(
    shell: InteractiveShell,
    body: ast.Module,
    last: ast.Expression | None,
    filename: str,
    result: Profile,
) -> None:
    """Run the cell's statements, then display its last expression, awaiting where IPython
    would (its run_code: `await eval(code)` for code compiled as a coroutine)."""
    __tracebackhide__ = True
    ns = shell.user_ns
    code = _compiled(shell, body, filename, "exec")
    if code.co_flags & CO_COROUTINE:
        await eval(code, ns)
    else:
        exec(code, ns)
    if last is None:
        return
    code = _compiled(shell, last, filename, "eval")
    value = eval(code, ns)
    if code.co_flags & CO_COROUTINE:
        value = await value
    # As for a sync cell (OrmProfile._execute): the display's queries belong to its line.
    with attributed_to_line(result, last.body.lineno):  # type: ignore[attr-defined]
        shell.displayhook(value)


def _compiled(
    shell: InteractiveShell, node: ast.Module | ast.Expression, filename: str, mode: str
) -> CodeType:
    with shell.compile.extra_flags(ast.PyCF_ALLOW_TOP_LEVEL_AWAIT):
        return shell.compile(node, filename, mode)  # type: ignore[no-any-return]
