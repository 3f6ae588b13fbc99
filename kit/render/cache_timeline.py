"""The cache lanes of the timeline: one row per cache alias under the query rows, each call a
bar at its start as long as it took, coloured by what it did (hit, miss, store, delete), with
a legend of its own and hover text per call (per time bin past the detail limit)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import numpy as np
import plotly.graph_objects as go

from kit.analysis.cache_keys import keys_pattern
from kit.capture.cache_records import DELETE_OPS, WRITE_OPS, CacheRecord
from kit.profiles.profile import Profile

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def narrow(exact: np.ndarray) -> np.ndarray:
    """Numbers as float32 (half the figure's bytes), or as they are when one is beyond float32's
    range (only a hand-edited profile file has such a time): never an overflow to infinity."""
    if exact.size and not np.all(np.abs(exact) <= _FLOAT32_MAX):
        return exact
    return exact.astype(np.float32)


# Marks the cache traces (a legendgroup would stack their legend entries in a column).
CACHE_TRACE = "cache"
# Outcome -> (legend name, colour, marker). Away from the palette of query shapes: diamonds,
# and colours no shape uses.
OUTCOMES = {
    "hit": ("cache hit", "#1b9e77", "diamond"),
    "miss": ("cache miss", "#e6550d", "diamond"),
    "store": ("cache set", "#6a51a3", "diamond-wide"),
    "delete": ("cache delete", "#252525", "x-thin-open"),
    "other": ("other cache call", "#969696", "diamond-open"),
}
BINS = 200
LEGEND_PX = 30  # the legend's line under the axis
MAX_KEYS = 3


def outcome(call: CacheRecord) -> str:
    """What the call did: hit (every key read was found), miss, store, delete or other."""
    if call.hit is not None:
        return "hit" if all(call.hit) else "miss"
    if call.op in WRITE_OPS:
        return "store"
    if call.op in DELETE_OPS:
        return "delete"
    return "other"


def cache_lane_labels(profile: Profile) -> list[str]:
    """One row label per cache alias the block used, in first-use order."""
    return [f"cache: {alias}" for alias in dict.fromkeys(c.alias for c in profile.cache_calls)]


def add_cache_lanes(
    fig: go.Figure, profile: Profile, first_row: int, end_ms: float, detail_limit: int
) -> list[str]:
    """Draw the cache calls on rows first_row, first_row + 1...; returns the rows' labels."""
    calls = profile.cache_calls
    if not calls:
        return []
    labels = cache_lane_labels(profile)
    rows = {label.removeprefix("cache: "): first_row + i for i, label in enumerate(labels)}
    binned = len(calls) > detail_limit
    for kind, (name, color, symbol) in OUTCOMES.items():
        members = [c for c in calls if outcome(c) == kind]
        if not members:
            continue
        if binned:
            for alias, row in rows.items():
                lane = [c for c in members if c.alias == alias]
                if lane:
                    fig.add_trace(_binned(lane, row, end_ms, name, color, symbol))
        else:
            fig.add_trace(_detailed(members, rows, name, color, symbol))
    # The legend explains the cache markers only: query rows are named on the axis.
    fig.for_each_trace(lambda t: t.update(showlegend=False) if t.meta != CACHE_TRACE else None)
    # Under the axis title, in one line: above the plot it would crowd the title.
    fig.update_layout(
        showlegend=True,
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0.0,
            "yanchor": "bottom",
            "x": 0.0,
            "xanchor": "left",
        },
    )
    fig.update_layout(margin={"b": (fig.layout.margin.b or 0) + LEGEND_PX})
    return labels


def _bar(name: str, color: str, symbol: str) -> dict[str, object]:
    return {
        "mode": "markers",
        "name": name,
        "meta": CACHE_TRACE,
        "showlegend": True,
        "marker": {"color": color, "size": 8, "symbol": symbol},
    }


def _detailed(
    calls: list[CacheRecord], rows: dict[str, int], name: str, color: str, symbol: str
) -> go.Scatter:
    start = np.fromiter((c.start_ms for c in calls), dtype=np.float64, count=len(calls))
    duration = np.fromiter((c.duration_ms for c in calls), dtype=np.float64, count=len(calls))
    return go.Scatter(
        x=narrow(start + duration / 2),
        y=np.array([rows[c.alias] for c in calls], dtype=np.int16),
        error_x={
            "type": "data",
            "array": narrow(duration / 2),
            "symmetric": True,
            "thickness": 6,
            "width": 0,
            "color": color,
        },
        text=np.array([_details(c) for c in calls], dtype=object),
        hovertemplate="%{text}<extra></extra>",
        **_bar(name, color, symbol),  # type: ignore[arg-type]
    )


def _details(call: CacheRecord) -> str:
    keys = ", ".join(repr(k) for k in call.keys[:MAX_KEYS])
    if len(call.keys) > MAX_KEYS:
        keys += f" and {len(call.keys) - MAX_KEYS:,} more"
    result = f"{call.hits}/{len(call.hit)} found" if call.hit is not None else ""
    where = f"cell line {call.line}" if call.line is not None else "outside the cell"
    lines = [
        f"<b>cache call #{call.id + 1}</b>: {escape(call.op)} {escape(_short(keys))} "
        f"({escape(call.alias)}, {escape(call.backend)})",
        f"{call.duration_ms:.3f} ms, from {call.start_ms:,.1f} ms"
        + (f" · {result}" if result else ""),
        where,
    ]
    if call.fragment:
        lines.append(escape(f"{{% cache %}} fragment {call.fragment}"))
    if call.view or call.request:
        lines.append(escape(" ".join(filter(None, [call.view, call.request]))))
    if call.error:
        lines.append(escape(call.error))
    return "<br>".join(lines)


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _binned(
    calls: list[CacheRecord], row: int, end_ms: float, name: str, color: str, symbol: str
) -> go.Scatter:
    start = np.fromiter((c.start_ms for c in calls), dtype=np.float64)
    duration = np.fromiter((c.duration_ms for c in calls), dtype=np.float64)
    edges = np.linspace(0.0, end_ms, BINS + 1)
    counts, _ = np.histogram(start, edges)
    busy, _ = np.histogram(start, edges, weights=duration)
    used = counts > 0
    width = edges[1] - edges[0]
    patterns = ", ".join(list(dict.fromkeys(keys_pattern(c.keys) for c in calls))[:MAX_KEYS])
    return go.Scatter(
        x=narrow((edges[:-1] + width / 2)[used]),
        y=np.full(int(used.sum()), row, dtype=np.int16),
        error_x={
            "type": "data",
            "array": narrow(np.full(int(used.sum()), width * 0.45)),
            "symmetric": True,
            "thickness": 6,
            "width": 0,
            "color": color,
        },
        customdata=narrow(np.stack([counts[used], busy[used], edges[:-1][used]], axis=1)),
        hovertemplate=(
            f"<b>%{{customdata[0]:,}} × {escape(name)}</b>, %{{customdata[1]:,.2f}} ms<br>"
            f"from %{{customdata[2]:,.1f}} ms, in {width:,.1f} ms<br>{escape(_short(patterns))}"
            "<extra></extra>"
        ),
        **_bar(name, color, symbol),  # type: ignore[arg-type]
    )


def cache_timeline_text(
    profile: Profile,
    end_ms: float,
    width: int,
    strip: Callable[[np.ndarray, np.ndarray, float], str],
) -> list[str]:
    """The cache rows of the text timeline: per alias, a strip of its calls (drawn by `strip`,
    the query rows' own), then its counts."""
    lines = []
    for label in cache_lane_labels(profile):
        alias = label.removeprefix("cache: ")
        calls = [c for c in profile.cache_calls if c.alias == alias]
        starts = np.fromiter((c.start_ms for c in calls), dtype=np.float64)
        durations = np.fromiter((c.duration_ms for c in calls), dtype=np.float64)
        hits = sum(c.hits for c in calls)
        misses = sum(c.misses for c in calls)
        total = sum(c.duration_ms for c in calls)
        lines.append(
            f"{label:<{width}} |{strip(starts, durations, end_ms)}| "
            f"{len(calls):>7,} {total:>10,.1f} ms ({hits:,} hits, {misses:,} misses)"
        )
    return lines
