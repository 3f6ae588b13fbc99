"""The cell's timeline: each query a bar at its start with its duration, one row per query shape.

Measured (DESIGN.md): per-query hover text makes a 10,000-query figure 2.6 MB, and SVG traces
slow down past a few thousand points. So the SQL is in each row's hover template once, the
per-query data are typed arrays, and past `detail_limit` queries each row is drawn as time bins.
SVG traces only: a notebook with many WebGL figures runs out of browser WebGL contexts.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from html import escape

import numpy as np
import plotly.graph_objects as go

from kit.capture.records import QueryRecord
from kit.profiles.profile import Profile
from kit.render.cache_timeline import LEGEND_PX, add_cache_lanes
from kit.render.marks import n_plus_one_groups
from kit.render.shapes import ShapeStats, shape_color, shape_stats, shape_summary

DETAIL_LIMIT = 5_000
MAX_LANES = 20
BINS = 200
N_PLUS_ONE_COLOR = "#d62728"
OTHER_COLOR = "#9e9e9e"


@dataclass
class Lane:
    """One row of the timeline: a query shape, or the less costly shapes together."""

    label: str
    color: str
    shapes: list[ShapeStats]
    records: list[QueryRecord] = field(default_factory=list)


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
    lanes = timeline_lanes(shapes)
    by_id = {q.id: q for q in profile.queries}
    for lane in lanes:
        lane.records = [by_id[i] for s in lane.shapes for i in s.record_ids]
    aggregated = len(by_id) > detail_limit
    end_ms = axis_end_ms(profile)
    fig = go.Figure()
    for index, lane in enumerate(lanes):
        if aggregated:
            fig.add_trace(_binned_trace(lane, index, end_ms))
        else:
            fig.add_trace(_query_trace(lane, index))
    _mark_groups(fig, lanes, groups)
    _layout(fig, profile, lanes, end_ms, aggregated, detail_limit)
    _with_cache(fig, profile, lanes, end_ms, detail_limit)
    return fig


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
        title_text=f"Timeline: {profile.query_count:,} queries, {profile.cache_call_count:,} "
        f"cache calls in {end_ms:,.1f} ms, wall clock",
        height=150 + LEGEND_PX + 30 * max(len(names), 2),
        yaxis={
            "tickvals": list(range(len(names))),
            "ticktext": names,
            "range": [len(names) - 0.5, -0.5],
        },
    )


def _sql_hover(lane: Lane) -> str:
    if len(lane.shapes) > 1:
        return "one of the less costly query shapes (see the table by shape)"
    lines = textwrap.wrap(shape_summary(lane.shapes[0]), 90)[:5]
    return "<br>".join(escape(line) for line in lines)


def _query_trace(lane: Lane, index: int) -> go.Scatter:
    records = lane.records
    start = np.fromiter((q.start_ms for q in records), dtype=np.float32, count=len(records))
    duration = np.fromiter((q.duration_ms for q in records), dtype=np.float32, count=len(records))
    number = np.fromiter((q.id + 1 for q in records), dtype=np.float32, count=len(records))
    details = np.array([_query_details(q) for q in records], dtype=object)
    # The marker sits mid-bar so a symmetric error bar is the query's whole duration; the
    # marker also keeps sub-pixel queries visible.
    return go.Scatter(
        x=start + duration / 2,
        y=np.full(len(records), index, dtype=np.int16),
        mode="markers",
        marker={"color": lane.color, "size": 5, "symbol": "square"},
        error_x={
            "type": "data",
            "array": duration / 2,
            "symmetric": True,
            "thickness": 8,
            "width": 0,
            "color": lane.color,
        },
        customdata=np.stack([number, start, duration], axis=1),
        text=details,
        name=lane.label,
        hovertemplate=(
            "<b>query #%{customdata[0]}</b>: %{customdata[2]:.2f} ms, "
            "from %{customdata[1]:,.1f} ms<br>%{text}<br><br>"
            + _sql_hover(lane)
            + "<extra></extra>"
        ),
    )


def _query_details(record: QueryRecord) -> str:
    params = repr(record.params)
    if len(params) > 60:
        params = params[:59] + "…"
    where = f"cell line {record.line}" if record.line is not None else "outside the cell"
    return f"{where} · params {escape(params)}"


def _binned_trace(lane: Lane, index: int, end_ms: float) -> go.Scatter:
    start = np.fromiter((q.start_ms for q in lane.records), dtype=np.float64)
    duration = np.fromiter((q.duration_ms for q in lane.records), dtype=np.float64)
    edges = np.linspace(0.0, end_ms, BINS + 1)
    counts, _ = np.histogram(start, edges)
    busy, _ = np.histogram(start, edges, weights=duration)
    used = counts > 0
    width = edges[1] - edges[0]
    return go.Scatter(
        x=((edges[:-1] + width / 2)[used]).astype(np.float32),
        y=np.full(int(used.sum()), index, dtype=np.int16),
        mode="markers",
        marker={"color": lane.color, "size": 5, "symbol": "square"},
        error_x={
            "type": "data",
            "value": 0.0,
            "array": np.full(int(used.sum()), width * 0.45, dtype=np.float32),
            "symmetric": True,
            "thickness": 8,
            "width": 0,
            "color": lane.color,
        },
        customdata=np.stack([counts[used], busy[used], edges[:-1][used]], axis=1).astype(
            np.float32
        ),
        name=lane.label,
        hovertemplate=(
            "<b>%{customdata[0]:,} queries</b>, %{customdata[1]:,.1f} ms in the database<br>"
            f"from %{{customdata[2]:,.1f}} ms, in {width:,.1f} ms<br><br>"
            + _sql_hover(lane)
            + "<extra></extra>"
        ),
    )


def _mark_groups(fig: go.Figure, lanes: list[Lane], groups: dict[int, str]) -> None:
    """A dotted red box around each N+1 group; one label per row, at the end of its boxes."""
    for row, lane in enumerate(lanes):
        members: dict[str, list[QueryRecord]] = {}
        for record in lane.records:
            if record.id in groups:
                members.setdefault(groups[record.id], []).append(record)
        if not members:
            continue
        for records in members.values():
            fig.add_shape(
                type="rect",
                x0=min(q.start_ms for q in records),
                x1=max(q.end_ms for q in records),
                y0=row - 0.45,
                y1=row + 0.45,
                line={"color": N_PLUS_ONE_COLOR, "width": 1.5, "dash": "dot"},
                fillcolor="rgba(214,39,40,0.07)",
                layer="below",
            )
        label = "; ".join(f"×{len(r):,} from {escape(k)}" for k, r in members.items())
        # Inside the boxes, at their end: above or below would cover the neighbouring rows.
        fig.add_annotation(
            x=max(q.end_ms for records in members.values() for q in records),
            y=row,
            text=f"N+1 {label}",
            showarrow=False,
            xanchor="right",
            font={"color": N_PLUS_ONE_COLOR, "size": 11},
            bgcolor="rgba(255,255,255,0.85)",
        )


def _layout(
    fig: go.Figure,
    profile: Profile,
    lanes: list[Lane],
    end_ms: float,
    aggregated: bool,
    detail_limit: int,
) -> None:
    notes = []
    if aggregated:
        notes.append(
            f"{len(profile.queries):,} queries, more than {detail_limit:,}: each row is drawn "
            f"as {BINS} time bins (hover: queries and time per bin)"
        )
    if profile.counted_only:
        notes.append(f"{profile.counted_only:,} queries past the record cap are not drawn")
    fig.update_layout(
        template="plotly_white",
        title={
            "text": f"Timeline: {profile.query_count:,} queries in {end_ms:,.1f} ms, wall clock",
            "subtitle": {"text": "; ".join(notes) or "one row per query shape; hover for SQL"},
        },
        height=150 + 30 * max(len(lanes), 2),
        width=960,
        margin={"l": 10, "r": 20, "t": 70, "b": 50},
        showlegend=False,
        hoverlabel={"align": "left"},
        xaxis={"title": {"text": "ms since the cell started"}, "range": [0, end_ms]},
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(lanes))),
            "ticktext": [lane.label for lane in lanes],
            "range": [len(lanes) - 0.5, -0.5],
            "automargin": True,
        },
    )
