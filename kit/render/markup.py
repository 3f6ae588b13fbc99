"""HTML pieces that read the same in JupyterLab, nbconvert's HTML and on GitHub.

JupyterLab's stylesheet (and nbconvert's, which is the same) right-aligns every table cell,
centres rows vertically, sets a <pre> in an output in the text's proportional font
(`.jp-OutputArea-output pre { font-family: inherit }`) and breaks its lines anywhere
(`word-break: break-all`). An element's own style is the one thing it yields to; GitHub drops
styles but keeps `align` and shows <pre>/<code> in monospace by default. So cells carry both,
and code sits in <code> inside <pre>: JupyterLab sets <code> in its code font.
"""

from __future__ import annotations

from html import escape

LEFT, RIGHT = "left", "right"
_CODE = "font-family:var(--jp-code-font-family,monospace);word-break:normal;overflow-wrap:normal"


def cell(content: str, tag: str = "td", align: str = LEFT) -> str:
    """A table cell, aligned and at the top of its row (content is HTML already)."""
    style = f"text-align:{align};vertical-align:top"
    return f'<{tag} align="{align}" style="{style}">{content}</{tag}>'


def header(*names: tuple[str, str]) -> str:
    """A <thead> row of (name, alignment) pairs."""
    return "<thead><tr>" + "".join(cell(escape(n), "th", a) for n, a in names) + "</tr></thead>"


def code_block(text: str, *, wrap: bool = True) -> str:
    """Text in a monospace block: wrapped lines (SQL, laid out by the kit between tokens) or,
    with wrap=False, lines kept whole (trees, whose lines must line up) with a scroll bar."""
    space = "pre-wrap" if wrap else "pre"
    return (
        f'<pre style="white-space:{space};overflow-x:auto;{_CODE}">'
        f'<code style="white-space:{space};{_CODE}">{escape(text)}</code></pre>'
    )
