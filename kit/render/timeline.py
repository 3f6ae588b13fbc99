"""The cell's timeline: each query a bar at its start with its duration, one row per query shape.

Measured (DESIGN.md): per-query hover text makes a 10,000-query figure 2.6 MB, and SVG traces
slow down past a few thousand points. So the SQL is in each row's hover template once, the
per-query data are typed arrays, and past `detail_limit` queries each row is drawn as time bins.
SVG traces only: a notebook with many WebGL figures runs out of browser WebGL contexts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np
import plotly.graph_objects as go

from kit.analysis.wording import counted
from kit.capture.records import QueryRecord
from kit.profiles.profile import Profile
from kit.render.cache_timeline import LEGEND_PX, add_cache_lanes, narrow
from kit.render.marks import n_plus_one_groups
from kit.render.shapes import ShapeStats, shape_color, shape_stats, shape_summary
from kit.render.sqltext import hover_sql
from kit.render.style import house_style
from kit.render.textsize import text_width_px

DETAIL_LIMIT = 5_000
MAX_LANES = 20
BINS = 200
N_PLUS_ONE_COLOR = "#d62728"
OTHER_COLOR = "#9e9e9e"
WIDTH_PX = 960
ROW_PX = 26
# When queries come from several threads (a pool, the async ORM's executor), each thread's
# queries get their own marker, in first-seen order (plotly's numbered symbols: square, diamond,
# circle, triangle, cross, star; the sixth and later threads share the star).
THREAD_SYMBOLS = ((1, "■"), (2, "◆"), (0, "●"), (5, "▲"), (3, "✚"), (17, "★"))
# The N+1 note of a row, in the right margin: its font, its gap from the plot, its length.
NOTE_FONT_PX = 11
NOTE_GAP_PX = 8
NOTE_CHARS = 40


@dataclass
class Lane:
    """One row of the timeline: a query shape, or the less costly shapes together."""

    label: str
    color: str
    shapes: list[ShapeStats]
    records: list[QueryRecord] = field(default_factory=list)
    # N+1 groups in this row: the spans boxed in red, and a note drawn right of the plot.
    boxes: list[tuple[float, float]] = field(default_factory=list)
    note: str = ""
    note_hover: str = ""


def timeline_lanes(shapes: list[ShapeStats], max_lanes: int = MAX_LANES) -> list[Lane]:
    """Rows in first-seen order; past max_lanes, the shapes with least time share one row."""
    drawn = [s for s in shapes if s.record_ids]
    if len(drawn) <= max_lanes:
        return [Lane(s.label, shape_color(s), [s]) for s in drawn]
    kept = {id(s) for s in sorted(drawn, key=lambda s: -s.total_ms)[: max_lanes - 1]}
    lanes = [Lane(s.label, shape_color(s), [s]) for s in drawn if id(s) in kept]
    rest = [s for s in drawn if id(s) not in kept]
    lanes.append(Lane(f"{len(rest)} other shapes", OTHER_COLOR, rest))
    return lanes


def axis_end_ms(profile: Profile) -> float:
    """Where the wall-clock axis ends: the cell's end, or the last query's (or cache call's) if
    later."""
    last = max((q.end_ms for q in profile.queries), default=0.0)
    last_call = max((c.end_ms for c in profile.cache_calls), default=0.0)
    return max(profile.wall_time_ms, last, last_call, 1.0)


def render_timeline(
    profile: Profile,
    *,
    detail_limit: int = DETAIL_LIMIT,
    shapes: list[ShapeStats] | None = None,
    groups: dict[int, str] | None = None,
) -> go.Figure:
    """A plotly figure of the cell on a wall-clock axis, N+1 groups boxed in red."""
    shapes = shape_stats(profile) if shapes is None else shapes
    groups = n_plus_one_groups(profile) if groups is None else groups
    lanes = query_lanes(profile, shapes, groups)
    aggregated = len(profile.queries) > detail_limit
    end_ms = axis_end_ms(profile)
    threads = thread_numbers(profile)
    fig = house_style(go.Figure())
    for row, lane in enumerate(lanes):
        fig.add_trace(
            _binned_trace(lane, row, end_ms) if aggregated else _query_trace(lane, row, threads)
        )
    draw_marks(fig, lanes)
    _layout(fig, profile, lanes, end_ms, aggregated, detail_limit, threads)
    _with_cache(fig, profile, lanes, end_ms, detail_limit)
    return fig


def query_lanes(profile: Profile, shapes: list[ShapeStats], groups: dict[int, str]) -> list[Lane]:
    """The query rows of the timeline, each with its records and its N+1 marks."""
    lanes = timeline_lanes(shapes)
    by_id = {q.id: q for q in profile.queries}
    for lane in lanes:
        lane.records = [by_id[i] for s in lane.shapes for i in s.record_ids]
        _mark_groups(lane, groups)
    return lanes


def _mark_groups(lane: Lane, groups: dict[int, str]) -> None:
    """The lane's N+1 groups: a box over each one's span and one note for the row."""
    members: dict[str, list[QueryRecord]] = {}
    for record in lane.records:
        if record.id in groups:
            members.setdefault(groups[record.id], []).append(record)
    if not members:
        return
    lane.boxes = [
        (min(q.start_ms for q in records), max(q.end_ms for q in records))
        for records in members.values()
    ]
    total = sum(len(records) for records in members.values())
    if len(members) == 1:
        (label,) = members
        lane.note = f"N+1 ×{total:,}: {label}"
    else:
        lane.note = f"N+1 ×{total:,} in {len(members)} groups"
    lane.note_hover = "<br>".join(
        f"N+1 ×{len(records):,}: {escape(label, quote=False)}"
        for label, records in members.items()
    )


def note_text(note: str) -> str:
    """A row's note as drawn in the right margin: cut to NOTE_CHARS in its middle, so the
    line at its end ("…, line 3") stays."""
    if len(note) <= NOTE_CHARS:
        return note
    keep = NOTE_CHARS - 1
    head = keep * 2 // 3
    return note[:head] + "…" + note[len(note) - (keep - head) :]


def draw_marks(fig: go.Figure, lanes: list[Lane]) -> None:
    """The red boxes over N+1 groups, and each row's note in the right margin.

    The notes sit outside the plot area, where no bar and no row name can be: inside it they
    covered the last bars of their row and ran past the figure's edge.
    """
    for row, lane in enumerate(lanes):
        for x0, x1 in lane.boxes:
            fig.add_shape(
                type="rect",
                x0=x0,
                x1=x1,
                y0=row - 0.45,
                y1=row + 0.45,
                line={"color": N_PLUS_ONE_COLOR, "width": 1.5, "dash": "dot"},
                fillcolor="rgba(214,39,40,0.07)",
                layer="below",
            )
        if lane.note:
            fig.add_annotation(
                xref="paper",
                x=1.0,
                xanchor="left",
                xshift=NOTE_GAP_PX,
                y=row,
                yref="y",
                text=escape(note_text(lane.note), quote=False),
                hovertext=lane.note_hover or None,
                showarrow=False,
                align="left",
                font={"color": N_PLUS_ONE_COLOR, "size": NOTE_FONT_PX},
            )


def _with_cache(
    fig: go.Figure, profile: Profile, lanes: list[Lane], end_ms: float, detail_limit: int
) -> None:
    """The cache rows under the query rows (kit.render.cache_timeline), when there are calls."""
    labels = add_cache_lanes(fig, profile, len(lanes), end_ms, detail_limit)
    if not labels:
        return
    names = [lane.label for lane in lanes] + labels
    past_cap = profile.cache_call_count - len(profile.cache_calls)
    if past_cap:
        note = f"{past_cap:,} cache calls past the record cap are not drawn"
        subtitle = fig.layout.title.subtitle.text
        fig.update_layout(title_subtitle_text=f"{subtitle}; {note}")
    fig.update_layout(
        title_text=f"Timeline: {counted(profile.query_count, 'query')}, "
        f"{counted(profile.cache_call_count, 'cache call')} in {end_ms:,.1f} ms, wall clock",
        height=140 + LEGEND_PX + ROW_PX * max(len(names), 2),
        yaxis={
            "tickvals": list(range(len(names))),
            "ticktext": names,
            "range": [len(names) - 0.5, -0.5],
        },
    )


def _sql_hover(lane: Lane) -> str:
    if len(lane.shapes) > 1:
        return "one of the less costly query shapes (see the table by shape)"
    return hover_sql(shape_summary(lane.shapes[0]))


def thread_numbers(profile: Profile) -> dict[str, int]:
    """Each thread that ran a query, numbered in first-seen order; empty for one thread."""
    threads = list(dict.fromkeys(q.thread for q in profile.queries))
    return {thread: number for number, thread in enumerate(threads)} if len(threads) > 1 else {}


def thread_legend(profile: Profile, threads: dict[str, int]) -> str:
    """The subtitle's key to the thread markers: "threads: ■ MainThread, ◆ pool_0 (async)"."""
    asynchronous = {q.thread for q in profile.queries if q.in_async}
    return "threads: " + ", ".join(
        f"{_thread_symbol(n)[1]} {name}" + (" (async)" if name in asynchronous else "")
        for name, n in threads.items()
    )


def _thread_symbol(number: int) -> tuple[int, str]:
    return THREAD_SYMBOLS[min(number, len(THREAD_SYMBOLS) - 1)]


def _query_trace(lane: Lane, index: int, threads: dict[str, int] | None = None) -> go.Scatter:
    """Each query a bar: a marker mid-bar and a symmetric error bar as long as the query.

    Per query only numbers, as typed arrays: its number, start and duration (and its cell
    line when the row's queries come from several). Params per query tripled a 1,000-query
    figure (87 KB of hover text): they are in the query table.
    """
    records = lane.records
    count = len(records)
    # Worked out in float64, narrowed to float32 when it fits (cache_timeline.narrow).
    start = np.fromiter((q.start_ms for q in records), dtype=np.float64, count=count)
    duration = np.fromiter((q.duration_ms for q in records), dtype=np.float64, count=count)
    number = np.fromiter((q.id + 1 for q in records), dtype=np.float64, count=count)
    columns = [number, start, duration]
    lines = list(dict.fromkeys(q.line for q in records))
    if len(lines) == 1:
        where = f"line {lines[0]}" if lines[0] is not None else "outside the cell"
    else:
        columns.append(np.fromiter((q.line or 0 for q in records), dtype=np.float64, count=count))
        where = "line %{customdata[3]}"
    symbol: object = "square"
    if threads:
        numbers = [threads[q.thread] for q in records]
        symbol = np.array([_thread_symbol(n)[0] for n in numbers], dtype=np.int8)
        columns.append(np.array(numbers, dtype=np.float64) + 1)
        where += f", thread #%{{customdata[{len(columns) - 1}]}}"
    # The marker also keeps sub-pixel queries visible.
    return go.Scatter(
        x=narrow(start + duration / 2),
        y=np.full(count, index, dtype=np.int8 if index < 128 else np.int16),
        mode="markers",
        marker={"color": lane.color, "size": 7 if threads else 5, "symbol": symbol},
        error_x={
            "type": "data",
            "array": narrow(duration / 2),
            "symmetric": True,
            "thickness": 8,
            "width": 0,
            "color": lane.color,
        },
        customdata=narrow(np.stack(columns, axis=1)),
        name=lane.label,
        hovertemplate=(
            "<b>query #%{customdata[0]}</b>: %{customdata[2]:.2f} ms, "
            f"from %{{customdata[1]:,.1f}} ms, {where}<br><br>"
            + _sql_hover(lane)
            + "<extra></extra>"
        ),
    )


def _binned_trace(lane: Lane, index: int, end_ms: float) -> go.Scatter:
    start = np.fromiter((q.start_ms for q in lane.records), dtype=np.float64)
    duration = np.fromiter((q.duration_ms for q in lane.records), dtype=np.float64)
    edges = np.linspace(0.0, end_ms, BINS + 1)
    counts, _ = np.histogram(start, edges)
    busy, _ = np.histogram(start, edges, weights=duration)
    used = counts > 0
    width = edges[1] - edges[0]
    return go.Scatter(
        x=narrow((edges[:-1] + width / 2)[used]),
        y=np.full(int(used.sum()), index, dtype=np.int16),
        mode="markers",
        marker={"color": lane.color, "size": 5, "symbol": "square"},
        error_x={
            "type": "data",
            "value": 0.0,
            "array": narrow(np.full(int(used.sum()), width * 0.45)),
            "symmetric": True,
            "thickness": 8,
            "width": 0,
            "color": lane.color,
        },
        customdata=narrow(np.stack([counts[used], busy[used], edges[:-1][used]], axis=1)),
        name=lane.label,
        hovertemplate=(
            "<b>%{customdata[0]:,} of these queries</b>, %{customdata[1]:,.1f} ms in the "
            f"database<br>from %{{customdata[2]:,.1f}} ms, in {width:,.1f} ms<br><br>"
            + _sql_hover(lane)
            + "<extra></extra>"
        ),
    )


def _layout(
    fig: go.Figure,
    profile: Profile,
    lanes: list[Lane],
    end_ms: float,
    aggregated: bool,
    detail_limit: int,
    threads: dict[str, int] | None = None,
) -> None:
    notes = []
    if threads and not aggregated:
        notes.append(thread_legend(profile, threads))
    if aggregated:
        notes.append(
            f"{len(profile.queries):,} queries, more than {detail_limit:,}: each row is drawn "
            f"as {BINS} time bins (hover: queries and time per bin)"
        )
    if profile.counted_only:
        past = counted(profile.counted_only, "query")
        notes.append(f"{past} past the record cap are not drawn")
    margin_right = 20
    drawn = [note_text(lane.note) for lane in lanes if lane.note]
    if drawn:
        margin_right += NOTE_GAP_PX + int(max(text_width_px(n, NOTE_FONT_PX) for n in drawn))
    fig.update_layout(
        title={
            "text": f"Timeline: {counted(profile.query_count, 'query')} in {end_ms:,.1f} ms, "
            "wall clock",
            "subtitle": {"text": "; ".join(notes) or "one row per query shape; hover for SQL"},
        },
        height=140 + ROW_PX * max(len(lanes), 2),
        width=WIDTH_PX,
        margin={"l": 10, "r": margin_right, "t": 70, "b": 50},
        showlegend=False,
        hoverlabel={"align": "left"},
        xaxis={
            "title": {"text": "ms since the cell started"},
            "range": [0, end_ms],
            "zeroline": False,
        },
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(lanes))),
            "ticktext": [lane.label for lane in lanes],
            "range": [len(lanes) - 0.5, -0.5],
            "automargin": True,
            "ticklabelstandoff": 6,
            "zeroline": False,
        },
    )
