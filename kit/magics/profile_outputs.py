"""%%orm_profile's output options, comparison and budget, from its arguments and %config."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.display import DisplayHandle, display

from kit.analysis.budget import Budget
from kit.magics.arguments import nearest
from kit.profiles.profile import Profile
from kit.render.outputs import OutputOptions, profile_outputs


def check_args(args: Any, user_ns: dict[str, Any]) -> Profile | None:
    """Check the output, budget and --compare options before the cell runs; the baseline."""
    for option in ("max_queries", "max_duplicates"):
        value = getattr(args, option)
        if value is not None and value < 0:
            flag = "--" + option.replace("_", "-")
            raise UsageError(f"{flag} needs a number of 0 or more, not {value}.")
    if args.repeat is not None and args.repeat < 1:
        raise UsageError(f"--repeat needs a number of runs, 1 or more, not {args.repeat}.")
    if args.compare is None:
        return None
    baseline = user_ns.get(args.compare)
    if not isinstance(baseline, Profile):
        raise UsageError(_no_such_profile(args.compare, baseline, user_ns))
    return baseline


def _no_such_profile(name: str, value: Any, user_ns: dict[str, Any]) -> str:
    """Why --compare NAME cannot be used, with the profiles the notebook does have."""
    kept = [k for k, v in user_ns.items() if isinstance(v, Profile) and not k.startswith("_")]
    if value is None and name not in user_ns:
        problem = f"no profile named {name!r} in this notebook"
    else:
        problem = f"{name!r} is not a profile (it is a {type(value).__name__})"
    close = nearest(name, kept)
    hint = f" Did you mean {close}?" if close else ""
    have = f" Profiles kept: {', '.join(kept)}." if kept else " No profile is kept yet."
    return f"--compare {name}: {problem}.{hint}{have} Keep one with %%orm_profile -o {name}."


def output_options(config: Any, args: Any) -> OutputOptions:
    """The parts to show: the %config defaults (OrmProfile traits), less what the options hide."""
    return OutputOptions(
        findings=config.findings and not args.no_findings,
        timeline=config.timeline and not args.no_timeline,
        charts=config.charts and not args.no_charts,
        table=config.table and not args.no_table,
        quiet=config.quiet or args.quiet,
        static_images=config.static_images,
        detail_limit=config.timeline_detail_limit,
    )


def budget_from_args(args: Any) -> Budget:
    """The budget the options set (unchecked numbers stay None)."""
    return Budget(args.max_queries, args.max_duplicates, n_plus_one=not args.no_n_plus_one)


def show_outputs(
    result: Profile,
    options: OutputOptions,
    baseline: Profile | None,
    replace: DisplayHandle | None = None,
) -> None:
    """Display the profile's parts, each as its own output, compared with baseline if given;
    the first part takes the place of `replace` (the live progress line) when there is one."""
    from kit.render.compare import Comparison

    comparison = Comparison(baseline, result) if baseline is not None else None
    parts = profile_outputs(result, options, comparison)
    if replace is not None and parts:
        replace.update(parts.pop(0))
    for part in parts:
        display(part)
