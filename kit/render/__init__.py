"""Render layer: turns profiles into text, markdown and HTML (no analysis logic here)."""

from __future__ import annotations

from kit.render.profile import Profile

__all__ = ["Profile"]
