"""Where plotly drew each text and each mark of a figure, and whether any of them clash.

Shared by the layout test (figures drawn alone) and the JupyterLab test (figures as the
notebook shows them).
"""

from __future__ import annotations

from typing import Any

# Every text plotly draws in a figure element, by what it is, and every mark of data.
COLLECT = """
(root) => {
  const svg = root.querySelector('.main-svg').getBoundingClientRect();
  const texts = [], marks = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return style.display !== 'none' && style.visibility !== 'hidden' && style.opacity !== '0'
      && r.width > 0 && r.height > 0;
  };
  const box = (el) => { const r = el.getBoundingClientRect();
    return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
  const kinds = {
    title: 'text.gtitle', subtitle: 'text.gtitle-subtitle', annotation: 'g.annotation text',
    xtick: 'g.xtick text', ytick: 'g.ytick text', xtitle: 'text.xtitle', bar: 'text.bartext',
    tile: 'text.slicetext', menu: 'g.updatemenu-header-group',
  };
  for (const [kind, selector] of Object.entries(kinds)) {
    for (const el of root.querySelectorAll(selector)) {
      if (visible(el) && (kind === 'menu' || el.textContent.trim()))
        texts.push({kind, text: el.textContent, ...box(el)});
    }
  }
  const data = 'g.trace.bars path, g.points path.point, g.errorbar path, .shapelayer path';
  for (const el of root.querySelectorAll(data)) {
    if (visible(el)) marks.push({kind: 'mark', ...box(el)});
  }
  return {svg: {x0: svg.left, y0: svg.top, x1: svg.right, y1: svg.bottom}, texts, marks};
}
"""


def overlap(a: dict[str, Any], b: dict[str, Any], slack: float = 1.0) -> bool:
    """True when two boxes share more than `slack` pixels each way."""
    return (
        min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > slack
        and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > slack
    )


def describe(box: dict[str, Any]) -> str:
    return f"{box['kind']} {box.get('text', '')!r} at ({box['x0']:.0f}, {box['y0']:.0f})"


def clashes(found: dict[str, Any]) -> list[str]:
    """Text over text, words over data, or text past the figure's edge, in words."""
    texts, marks, svg = found["texts"], found["marks"], found["svg"]
    problems = [
        f"{describe(a)} over {describe(b)}"
        for i, a in enumerate(texts)
        for b in texts[i + 1 :]
        if overlap(a, b)
    ]
    # Words written beside the data (annotations, tick labels, titles) never cover it; a
    # bar's own number and a tile's name sit inside their mark by design.
    beside = [t for t in texts if t["kind"] not in ("bar", "tile")]
    problems += [
        f"{describe(t)} over a mark at ({m['x0']:.0f}, {m['y0']:.0f})"
        for t in beside
        for m in marks
        if overlap(t, m)
    ]
    problems += [
        f"{describe(t)} past the edge"
        for t in texts
        if t["x0"] < svg["x0"] - 0.5
        or t["x1"] > svg["x1"] + 0.5
        or t["y0"] < svg["y0"] - 0.5
        or t["y1"] > svg["y1"] + 0.5
    ]
    return problems
