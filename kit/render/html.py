"""HTML view of a profile: plain tables that read well with no CSS and no JavaScript."""

from __future__ import annotations

from html import escape

from kit.profiles.profile import Profile
from kit.render.cache_tables import cache_section_html
from kit.render.findings import finding_items, verification_summary
from kit.render.markup import code_block
from kit.render.plans import plans_html
from kit.render.rows import summary_line
from kit.render.table_html import render_table_section_html


def render_findings(profile: Profile) -> str:
    """A <ul> of findings, worst first, each with its code to paste; "" when there are none."""
    items, more = finding_items(profile)
    if not items:
        return ""
    parts = []
    for item in items:
        code = code_block(item.suggestion) if item.suggestion else ""
        notes = "".join(f"<br><em>{escape(note)}</em>" for note in item.notes)
        replay = code_block("\n".join(item.verification)) if item.verification else ""
        parts.append(
            f"<li><strong>{escape(item.label)}</strong>: {escape(item.message)}{code}{notes}"
            f"{replay}</li>"
        )
    footer = f"<p><em>{escape(more)}</em></p>" if more else ""
    together = verification_summary(profile)
    if together:
        footer += f"<p><strong>{escape(together)}</strong></p>"
    return f"<p>Findings, worst first:</p><ul>{''.join(parts)}</ul>{footer}"


def render_html(profile: Profile) -> str:
    """The summary line, the findings, then the query table and what it leaves out."""
    parts = [f"<p><strong>{escape(summary_line(profile))}</strong></p>"]
    findings = render_findings(profile)
    if findings:
        parts.append(findings)
    if profile.query_count:
        parts.append(render_table_section_html(profile))
    if profile.cache_call_count:
        parts.append(cache_section_html(profile))
    parts.append(plans_html(profile.plans, profile.explain_errors))
    return "<div>" + "".join(parts) + "</div>"
