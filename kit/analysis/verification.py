"""Verification: what replaying a cell with a fix applied showed, as a value, and its wording.

%%orm_profile --verify (kit.magics.verify) and kit.verify() (kit.profiles.replay) make them;
the profile keeps them (p.verifications) and the render layer shows each under its finding.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.analysis.findings import Finding

__all__ = [
    "CellOutput",
    "Verification",
    "describe",
    "first_difference",
    "judge",
    "not_applied",
    "summary",
]

# A run's query count and database time (ms).
RunCost = tuple[int, float]


@dataclass(frozen=True, slots=True)
class CellOutput:
    """What a run of the cell showed: its printed text and its displayed last value's text."""

    printed: str = ""
    displayed: str | None = None


@dataclass(frozen=True, slots=True)
class Verification:
    """One tried fix: the finding it fixes (None: all of the cell's fixes together), the
    rewritten expression, whether the replay confirmed it, both runs' numbers, and why not.

    queries_after and db_time_ms_after are None when the fix could not be applied (or the
    replay was refused): `reason` says why.
    """

    finding: Finding | None
    code: str
    verified: bool
    queries_before: int
    queries_after: int | None
    db_time_ms_before: float
    db_time_ms_after: float | None
    same_output: bool
    reason: str = ""

    @property
    def applied(self) -> bool:
        """True when the fixed code ran (verified or not)."""
        return self.queries_after is not None


def judge(
    finding: Finding | None,
    code: str,
    before: RunCost,
    after: RunCost,
    difference: str | None,
    error: str | None = None,
) -> Verification:
    """The verdict on a replay: verified when it ran, showed the same and ran fewer queries."""
    same = error is None and difference is None
    fewer = after[0] < before[0]
    if error is not None:
        reason = f"the fixed code raised {error}"
    elif difference is not None:
        reason = f"the output differs (first difference: {difference})"
    else:
        reason = "" if fewer else "the fix did not lower the query count"
    return Verification(
        finding, code, same and fewer, before[0], after[0], before[1], after[1], same, reason
    )


def not_applied(finding: Finding | None, code: str, before: RunCost, reason: str) -> Verification:
    """A fix that did not run: why."""
    return Verification(finding, code, False, before[0], None, before[1], None, False, reason)


def first_difference(before: CellOutput, after: CellOutput) -> str | None:
    """Where the replay's output first differs from the first run's, in words; None if same."""
    if before.printed != after.printed:
        return _first_line_difference("printed", before.printed, after.printed)
    if before.displayed != after.displayed:
        return _first_line_difference("displayed", before.displayed or "", after.displayed or "")
    return None


def _first_line_difference(what: str, before: str, after: str) -> str:
    old, new = before.splitlines(), after.splitlines()
    for number, (a, b) in enumerate(zip(old, new, strict=False), start=1):
        if a != b:
            return f"{what} line {number}: {_short(a)} became {_short(b)}"
    if len(old) != len(new):
        return f"{what} {len(old):,} lines, now {len(new):,}"
    return f"{what} text differs in its whitespace"


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _numbers(v: Verification) -> str:
    return (
        f"{v.queries_before:,} -> {v.queries_after or 0:,} queries, "
        f"{v.db_time_ms_before:,.0f} -> {v.db_time_ms_after or 0:,.0f} ms"
    )


def describe(v: Verification) -> str:
    """ "verified: 7,951 -> 2 queries, 1,562 -> 38 ms, same output", or why not."""
    if v.verified:
        return f"verified: {_numbers(v)}, same output"
    if not v.applied:
        return f"could not apply: {v.reason}"
    return f"not verified: {v.reason} ({_numbers(v)})"


def summary(verifications: tuple[Verification, ...] | list[Verification]) -> str | None:
    """What the cell would cost with all of its fixes (the replay of them together), or None."""
    together = [v for v in verifications if v.finding is None]
    if not together:
        return None
    v = together[0]
    if not v.applied:
        return f"All fixes together: could not apply: {v.reason}"
    if v.verified:
        return f"With all fixes, the cell would run {_numbers(v)}, same output."
    return f"All fixes together: not verified: {v.reason} ({_numbers(v)})"
