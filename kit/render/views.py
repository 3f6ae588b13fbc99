"""The render functions a Profile delegates to (its `_repr_*`, timeline(), to_html()...).

kit.profiles.views loads this module on a profile's first render. Figures and the data frame
import plotly and pandas only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kit.render.html import render_html
from kit.render.report import write_report
from kit.render.text import render_markdown, render_text

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from kit.profiles.profile import Profile

__all__ = [
    "cache_dataframe",
    "plan_figure",
    "queries_dataframe",
    "render_breakdown",
    "render_html",
    "render_markdown",
    "render_text",
    "render_timeline",
    "write_report",
]


def render_timeline(profile: Profile, detail_limit: int = 5_000) -> go.Figure:
    """The plotly timeline of the profile's queries."""
    from kit.render.timeline import render_timeline as timeline

    return timeline(profile, detail_limit=detail_limit)


def render_breakdown(profile: Profile) -> go.Figure:
    """The plotly bar charts by query shape and by table."""
    from kit.render.charts import render_breakdown as breakdown

    return breakdown(profile)


def queries_dataframe(profile: Profile) -> pd.DataFrame:
    """The profile's queries as a pandas DataFrame."""
    from kit.render.frame import queries_dataframe as frame

    return frame(profile)


def cache_dataframe(profile: Profile) -> pd.DataFrame:
    """The profile's cache calls as a pandas DataFrame."""
    from kit.render.frame import cache_dataframe as frame

    return frame(profile)


def plan_figure(profile: Profile, static_image: bool = True) -> Any:
    """The plans as a PlanFigure (plotly, with a plan menu), or None without plans."""
    if not profile.plans:
        return None
    from kit.render.plan_figure import PlanFigure

    return PlanFigure.of(profile.plans, static_image)
