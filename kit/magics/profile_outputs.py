"""%%orm_profile's output options, comparison and budget, from its arguments and %config."""

from __future__ import annotations

import sys
from typing import Any

from IPython.core.error import UsageError
from IPython.display import DisplayHandle, display

from kit.analysis.budget import Budget
from kit.magics.arguments import nearest
from kit.magics.progress import PinnedDisplay
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
    replace: DisplayHandle | PinnedDisplay | None = None,
) -> None:
    """Display the profile's parts, each as its own output, compared with baseline if given;
    the first part takes the place of `replace` (the live progress line) when there is one."""
    from kit.render.compare import Comparison

    shown = result.as_shown()  # redacted when redact_params is set
    comparison = Comparison(baseline.as_shown(), shown) if baseline is not None else None
    parts = profile_outputs(shown, options, comparison)
    for number, part in enumerate(parts):
        # Formatted here, not by IPython's formatter: it would print a traceback of the kit's
        # own failure under the cell and carry on; show_outputs_safely makes it one line.
        data, metadata = mime_bundle(part)
        if number == 0 and replace is not None:
            replace.update(data, metadata=metadata, raw=True)
        else:
            display(data, metadata=metadata, raw=True)


def mime_bundle(part: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """What IPython's formatter would make of a display object: its _repr_mimebundle_, its
    _repr_html_ and _repr_markdown_, and its repr() as text."""
    data: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    if hasattr(part, "_repr_mimebundle_"):
        bundle = part._repr_mimebundle_()
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data, metadata = dict(data), dict(metadata or {})
    for mime, method in (("text/html", "_repr_html_"), ("text/markdown", "_repr_markdown_")):
        if mime not in data and hasattr(part, method):
            value = getattr(part, method)()
            if value is not None:
                data[mime] = value
    data.setdefault("text/plain", repr(part))
    return data, metadata


def render_failure_line(error: BaseException, name: str | None) -> str:
    """The one line shown when the kit cannot render a profile: what failed, what is kept,
    and how to report it."""
    first = (str(error).strip().splitlines() or [""])[0][:200]
    what = f"{type(error).__name__}: {first}" if first else type(error).__name__
    kept = f"the profile is kept as {name}" if name else "re-run with -o NAME to keep the profile"
    save = f"{name or 'NAME'}.save('profile.json', redact_params=True)"
    return (
        f"kit: could not render this profile ({what}); the cell's own "
        f"result stands and {kept}. This is a bug in the kit: please report it to the kit's "
        f"maintainers with this line and the file {save} writes."
    )


def show_outputs_safely(
    result: Profile,
    options: OutputOptions,
    baseline: Profile | None,
    replace: DisplayHandle | PinnedDisplay | None = None,
    name: str | None = None,
) -> None:
    """show_outputs, but a failure of the kit's rendering is one line on stderr, never an
    exception: it would replace the cell's own error, or fail a cell that worked (issue 17)."""
    try:
        show_outputs(result, options, baseline, replace)
    # The one broad except of the kit, on purpose: whatever breaks in rendering is the kit's
    # bug, and the user's cell (its exception, -o NAME, the budget) must win over it.
    except Exception as exc:
        line = render_failure_line(exc, name)
        if replace is not None:  # in place of the live progress line, as the profile would be
            replace.update(_TextLine(line))
        else:
            print(line, file=sys.stderr)


class _TextLine:
    """A plain line of text as a display object (it takes the live progress line's place)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text
