"""How wide plotly draws a text, to lay out a figure in pixels before any browser sees it."""

from __future__ import annotations

# Em widths of plotly's default font (Open Sans, else Arial, as headless chromium has it):
# narrow punctuation and letters, digits, arrows and signs; everything else about 0.6 em.
_NARROW = frozenset(" .,:;|!'()[]ijlft")
_DIGITS = frozenset("0123456789")
_WIDE = frozenset("→×—…−%mwMW@")
# Plotly's text is a little wider than these averages: better a few pixels to spare.
_SAFETY = 1.05


def text_width_px(text: str, size: float = 11.0) -> float:
    """About how many pixels plotly takes to draw this one-line text at this font size."""
    ems = sum(
        0.3 if c in _NARROW else 0.56 if c in _DIGITS else 0.9 if c in _WIDE else 0.6 for c in text
    )
    return ems * size * _SAFETY
