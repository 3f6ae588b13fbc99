"""The cache section: calls, hits, misses and time per key pattern, and the table of calls.

Shown under the tables by query shape when the block made cache calls; text, markdown and HTML
from the same rows, as the query tables are.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from kit.analysis.cache_keys import keys_pattern
from kit.analysis.cache_stats import CacheKeyStats
from kit.analysis.location import file_place
from kit.capture.cache_records import CacheRecord
from kit.profiles.profile import Profile
from kit.render.rows import cache_summary
from kit.render.textcharts import fixed_table, markdown_table

PATTERN_HEADER = (
    "key pattern",
    "calls",
    "hits",
    "misses",
    "hit rate",
    "ms",
    "cell lines",
    "operations",
)
CALL_HEADER = ("#", "start ms", "ms", "op", "keys", "hit", "line", "from")
TOP = 20
MAX_KEYS_SHOWN = 60


def _title(profile: Profile) -> str:
    return f"Cache calls by key pattern ({cache_summary(profile)})"


def _aliases(stats: list[CacheKeyStats]) -> bool:
    """True when the calls went to more than one alias, so each row names its alias."""
    return len({s.alias for s in stats}) > 1


def pattern_rows(
    profile: Profile, top: int = TOP
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The header and the rows of the table by key pattern, most time first."""
    stats = profile.by_cache_pattern
    named = _aliases(stats)
    header: tuple[str, ...] = PATTERN_HEADER
    if named:
        header = (PATTERN_HEADER[0], "alias", *PATTERN_HEADER[1:])
    rows: list[tuple[str, ...]] = []
    for s in stats[:top]:
        rate = "" if s.hit_rate is None else f"{100 * s.hit_rate:.0f}%"
        lines = ", ".join(map(str, s.lines[:5])) + (" …" if len(s.lines) > 5 else "")
        ops = ", ".join(f"{op} ×{n:,}" for op, n in s.ops.items())
        cells = (
            f"{s.calls:,}",
            f"{s.hits:,}",
            f"{s.misses:,}",
            rate,
            f"{s.total_ms:,.1f}",
            lines,
            ops,
        )
        rows.append((s.pattern, s.alias, *cells) if named else (s.pattern, *cells))
    return header, rows


def _more(profile: Profile, shown: int) -> str | None:
    rest = len(profile.by_cache_pattern) - shown
    name = profile.name or "p"
    return f"{rest:,} more key patterns in {name}.by_cache_pattern." if rest > 0 else None


def cache_section_text(profile: Profile) -> str:
    """The table by key pattern as fixed-width text."""
    header, rows = pattern_rows(profile)
    more = _more(profile, len(rows))
    return "\n".join(
        [_title(profile) + ":", *fixed_table(header, rows), *([more] if more else [])]
    )


def cache_section_markdown(profile: Profile) -> str:
    """The table by key pattern as markdown."""
    header, rows = pattern_rows(profile)
    more = _more(profile, len(rows))
    return "\n".join(
        [
            f"**{_title(profile)}**",
            "",
            *markdown_table(header, rows),
            *([f"\n_{more}_"] if more else []),
        ]
    )


def html_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain <table>: numbers right-aligned, text left."""
    from kit.render.textcharts import TEXT_COLUMNS

    left = [h in TEXT_COLUMNS or h in ("keys", "line", "from", "op", "hit") for h in header]
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(c)}</td>" if is_left else f'<td align="right">{escape(c)}</td>'
            for c, is_left in zip(row, left, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def cache_section_html(profile: Profile) -> str:
    """The table by key pattern as HTML, under its title."""
    header, rows = pattern_rows(profile)
    more = _more(profile, len(rows))
    footer = f"<p><em>{escape(more)}</em></p>" if more else ""
    title = f"<p><strong>{escape(_title(profile))}</strong></p>"
    return f"<div>{title}{html_table(header, rows)}{footer}</div>"


def _hit_cell(call: CacheRecord) -> str:
    if call.hit is None:
        return ""
    if len(call.hit) == 1:
        return "hit" if call.hit[0] else "miss"
    return f"{call.hits}/{len(call.hit)}"


def _keys_cell(call: CacheRecord, redact: bool = False) -> str:
    text = keys_pattern(call.keys) if redact or not call.keys else ", ".join(call.keys)
    return text if len(text) <= MAX_KEYS_SHOWN else text[: MAX_KEYS_SHOWN - 1] + "…"


def _from_cell(call: CacheRecord, profile: Profile) -> str:
    if call.fragment:
        return f"{{% cache %}} {call.fragment}"
    if call.view:
        return f"cache_page {call.view}" + (f" ({call.request})" if call.request else "")
    if call.source_file is not None and call.source_file != profile.cell_filename:
        return file_place(call.source_file, call.source_lineno) or ""
    return ""


def cache_call_rows(profile: Profile, limit: int, redact: bool = False) -> list[tuple[str, ...]]:
    """The first `limit` cache calls as table rows (CALL_HEADER's columns); redact shows each
    call's key pattern instead of its keys (numbers and digests folded)."""
    return [
        (
            str(call.id + 1),
            f"{call.start_ms:,.1f}",
            f"{call.duration_ms:,.3f}",
            call.op,
            _keys_cell(call, redact),
            _hit_cell(call),
            "" if call.line is None else str(call.line),
            _from_cell(call, profile),
        )
        for call in profile.cache_calls[:limit]
    ]


@dataclass
class CacheOutput:
    """The cache section as one notebook output: HTML and text (no third copy in markdown,
    which a notebook would save beside the HTML; markdown() gives it when wanted)."""

    profile: Profile

    def _repr_html_(self) -> str:
        return cache_section_html(self.profile)

    def markdown(self) -> str:
        """The section as markdown."""
        return cache_section_markdown(self.profile)

    def __repr__(self) -> str:
        return cache_section_text(self.profile)
