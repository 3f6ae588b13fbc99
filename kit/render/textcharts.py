"""The figures as text: what a reader sees where no image and no JavaScript can be shown."""

from __future__ import annotations

from collections import Counter

import numpy as np

from kit.analysis.wording import counted
from kit.profiles.profile import Profile
from kit.render.cache_timeline import cache_lane_labels, cache_timeline_text
from kit.render.charts import TOP, top_shapes
from kit.render.shapes import ShapeStats, shape_summary, table_stats
from kit.render.timeline import axis_end_ms, timeline_lanes

LEVELS = " ▁▂▃▄▅▆▇█"
STRIP = 60


def _strip(starts: np.ndarray, durations: np.ndarray, end_ms: float) -> str:
    """One character per time slice: how busy the database was with this row's queries."""
    edges = np.linspace(0.0, end_ms, STRIP + 1)
    counts, _ = np.histogram(starts, edges)
    busy, _ = np.histogram(starts, edges, weights=durations)
    share = np.clip(busy / (edges[1] - edges[0]), 0.0, 1.0)
    chars = []
    for count, fraction in zip(counts, share, strict=True):
        level = round(float(fraction) * (len(LEVELS) - 1))
        chars.append(LEVELS[max(level, 1)] if count else " ")
    return "".join(chars)


def timeline_text(profile: Profile, shapes: list[ShapeStats], groups: dict[int, str]) -> str:
    """The timeline as fixed-width text: one row per shape, shading shows database time."""
    end_ms = axis_end_ms(profile)
    lanes = timeline_lanes(shapes)
    by_id = {q.id: q for q in profile.queries}
    cache_labels = cache_lane_labels(profile)
    width = max(
        (len(label) for label in [*(lane.label for lane in lanes), *cache_labels]), default=0
    )
    calls = f", {profile.cache_call_count:,} cache calls" if profile.cache_call_count else ""
    lines = [
        f"Timeline: {counted(profile.query_count, 'query')}{calls} in {end_ms:,.1f} ms, "
        "wall clock "
        f"(one row per query shape; {LEVELS[-1]} = the database busy all the slice)"
    ]
    for lane in lanes:
        records = [by_id[i] for s in lane.shapes for i in s.record_ids]
        starts = np.fromiter((q.start_ms for q in records), dtype=np.float64)
        durations = np.fromiter((q.duration_ms for q in records), dtype=np.float64)
        total = sum(s.total_ms for s in lane.shapes)
        count = sum(s.count for s in lane.shapes)
        lines.append(
            f"{lane.label:<{width}} |{_strip(starts, durations, end_ms)}| "
            f"{count:>7,} {total:>10,.1f} ms"
        )
    lines += cache_timeline_text(profile, end_ms, width, _strip)
    axis = f"0 ms{f'{end_ms:,.1f} ms':>{STRIP - 2}}"
    lines.append(f"{'':<{width}}  {axis}")
    sizes = Counter(groups.values())
    if sizes:
        groups_text = "; ".join(f"{k} ({counted(v, 'query')})" for k, v in sizes.items())
        lines.append(f"N+1 groups: {groups_text}")
    if profile.counted_only:
        past = counted(profile.counted_only, "query")
        lines.append(f"{past} past the record cap are not drawn.")
    return "\n".join(lines)


def _shape_rows(shapes: list[ShapeStats]) -> list[tuple[str, ...]]:
    return [
        (
            s.label,
            f"{s.count:,}",
            f"{s.total_ms:,.1f}",
            f"{s.mean_ms:,.2f}",
            f"{s.max_ms:,.2f}",
            ", ".join(map(str, s.lines[:5])) + (" …" if len(s.lines) > 5 else ""),
            shape_summary(s),
        )
        for s in shapes
    ]


# Columns of text (left-aligned in markdown); the others hold numbers.
TEXT_COLUMNS = frozenset({"shape", "table", "SQL", "key pattern", "operations", "alias"})
SHAPE_HEADER = ("shape", "queries", "ms", "mean ms", "max ms", "cell lines", "SQL")
TABLE_HEADER = ("table", "queries", "ms")


def breakdown_tables(
    shapes: list[ShapeStats], top: int = TOP
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The rows of the by-shape and by-table tables (most database time first)."""
    tables: list[tuple[str, ...]] = [
        (t.table, f"{t.count:,}", f"{t.total_ms:,.1f}") for t in table_stats(shapes)[:top]
    ]
    return _shape_rows(top_shapes(shapes, top)), tables


def fixed_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Fixed-width lines: text columns (the first, the last, cell lines) left, numbers right."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    align = [
        "<" if i in (0, len(header) - 1) or h in TEXT_COLUMNS or h == "cell lines" else ">"
        for i, h in enumerate(header)
    ]
    fmt = "  ".join(f"{{:{a}{w}}}" for a, w in zip(align, widths, strict=True))
    return [fmt.format(*header).rstrip()] + [fmt.format(*r).rstrip() for r in rows]


def breakdown_text(profile: Profile, shapes: list[ShapeStats]) -> str:
    """Queries and time by shape and by table, as fixed-width tables."""
    by_shape, by_table = breakdown_tables(shapes)
    lines = [f"Where the {counted(profile.query_count, 'query')} went, by shape:"]
    lines += fixed_table(SHAPE_HEADER, by_shape) if by_shape else ["(no queries)"]
    lines += ["", "By table (a query counts for every table it reads):"]
    lines += fixed_table(TABLE_HEADER, by_table) if by_table else ["(no queries)"]
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Markdown table lines: text columns left, numbers right."""
    out = ["| " + " | ".join(header) + " |"]
    out.append("|" + "|".join(":--" if h in TEXT_COLUMNS else "--:" for h in header) + "|")
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out


def breakdown_markdown(profile: Profile, shapes: list[ShapeStats]) -> str:
    """Queries and time by shape and by table, as markdown tables."""
    by_shape, by_table = breakdown_tables(shapes)
    out = [f"**Where the {counted(profile.query_count, 'query')} went, by shape**", ""]
    out += markdown_table(SHAPE_HEADER, by_shape) if by_shape else ["(no queries)"]
    out += ["", "**By table** (a query counts for every table it reads)", ""]
    out += markdown_table(TABLE_HEADER, by_table) if by_table else ["(no queries)"]
    return "\n".join(out)
