"""Render layer: functions that turn a profile into text, markdown, HTML and plotly figures.

No analysis here: what to show comes from kit.analysis and the Profile (kit.profiles).
"""
