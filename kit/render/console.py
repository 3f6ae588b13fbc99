"""A profile for a terminal or a log: lines tagged with what they are, so a caller can colour
them (the orm_profile command with Django's styles) or not (a log, a pipe).

Roles: "summary", "heading", a finding's severity ("high", "medium", "low", "info"), "code",
"note", "plain".
"""

from __future__ import annotations

from kit.profiles.profile import Profile
from kit.render.findings import finding_items, verification_summary
from kit.render.plans import plans_text
from kit.render.rows import summary_line
from kit.render.shapes import shape_stats, shape_summary

__all__ = ["ConsoleLine", "console_lines", "plain_text"]

ConsoleLine = tuple[str, str]  # (role, text)
TOP_SHAPES = 10


def console_lines(profile: Profile, *, top: int = TOP_SHAPES) -> list[ConsoleLine]:
    """The summary, the findings with their code, the top query shapes, and any plans."""
    lines: list[ConsoleLine] = [("summary", summary_line(profile))]
    items, more = finding_items(profile)
    if items:
        lines.append(("heading", "Findings, worst first:"))
    for item in items:
        severity = item.label.partition(" ")[0]
        lines.append((severity, f"- [{item.label}] {item.message}"))
        lines += [("code", f"    {code}".rstrip()) for code in item.suggestion.splitlines()]
        lines += [("note", f"    ({note})") for note in item.notes]
        lines += [("note", f"    {line}".rstrip()) for line in item.verification]
    if more:
        lines.append(("plain", more))
    together = verification_summary(profile)
    if together:
        lines.append(("plain", together))
    lines += _shapes(profile, top)
    plans = plans_text(profile.plans, profile.explain_errors)
    if plans:
        lines += [("plain", ""), *(("plain", line) for line in plans.splitlines())]
    return lines


def _shapes(profile: Profile, top: int) -> list[ConsoleLine]:
    shapes = sorted(shape_stats(profile), key=lambda s: (-s.total_ms, -s.count))[:top]
    if not shapes:
        return []
    rows = [
        (f"{s.count:,}", f"{s.total_ms:,.1f}", f"{s.mean_ms:,.2f}", shape_summary(s))
        for s in shapes
    ]
    header = ("queries", "ms", "mean ms", "SQL")
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(3)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths) + "  {}"
    title = f"Top {len(shapes)} query shapes by database time:"
    return [
        ("heading", title),
        ("plain", fmt.format(*header)),
        *(("plain", fmt.format(*row)) for row in rows),
    ]


def plain_text(lines: list[ConsoleLine]) -> str:
    """The lines as plain text, one per line."""
    return "\n".join(text for _, text in lines)
