"""HTML pieces that read the same in JupyterLab, nbconvert's HTML and on GitHub.

JupyterLab's stylesheet (and nbconvert's, which is the same) right-aligns every table cell,
centres rows vertically, sets a <pre> in an output in the text's proportional font
(`.jp-OutputArea-output pre { font-family: inherit }`) and breaks its lines anywhere
(`word-break: break-all`). An element's own style is the one thing it yields to; GitHub drops
styles but keeps `align` and shows <pre>/<code> in monospace by default. So cells carry both,
and code sits in <code> inside <pre>: JupyterLab sets <code> in its code font (and wraps it,
so a tree's <code> says not to).
"""

from __future__ import annotations

from html import escape

LEFT, RIGHT = "left", "right"
# On the <pre>: its lines break between words only (word-break and overflow-wrap are inherited
# by the <code>, which JupyterLab already sets in its code font).
_PRE = "word-break:normal;overflow-wrap:normal;overflow-x:auto"


def cell(content: str, tag: str = "td", align: str = LEFT, top: bool = True) -> str:
    """A table cell, aligned, and at the top of its row unless `top` is False (rows of one
    line need not say: a notebook saves every byte). Content is HTML already. GitHub
    left-aligns by default: only right-aligned cells need the attribute too."""
    attribute = f' align="{align}"' if align == RIGHT else ""
    style = f"text-align:{align};vertical-align:top" if top else f"text-align:{align}"
    return f'<{tag}{attribute} style="{style}">{content}</{tag}>'


def header(*names: tuple[str, str]) -> str:
    """A <thead> row of (name, alignment) pairs."""
    cells = "".join(cell(escape(n), "th", a, top=False) for n, a in names)
    return f"<thead><tr>{cells}</tr></thead>"


def code_block(text: str, *, wrap: bool = True) -> str:
    """Text in a monospace block: wrapped lines (SQL, laid out by the kit between tokens) or,
    with wrap=False, lines kept whole (trees, whose lines must line up) with a scroll bar."""
    if wrap:
        return f'<pre style="white-space:pre-wrap;{_PRE}"><code>{escape(text)}</code></pre>'
    return (
        f'<pre style="white-space:pre;{_PRE}">'
        f'<code style="white-space:pre">{escape(text)}</code></pre>'
    )
