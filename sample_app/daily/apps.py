"""App configuration of the daily app."""

from __future__ import annotations

from django.apps import AppConfig


class DailyConfig(AppConfig):
    """Daily view counts; the label `daily` names its one table, daily_postday."""

    name = "sample_app.daily"
    label = "daily"
