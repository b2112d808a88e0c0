"""Charts as inline SVG strings: no JavaScript, no fonts or files to fetch, so a report works offline.

Each mark carries its number twice: in `data-value` (exact, for tests and scripts) and in a `<title>`
(the tooltip a browser shows on hover, in plant units). Sizes are SVG user units; the report's CSS
scales the drawings to the page width.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

FONT = 12
# Tableau 10 plus two: distinguishable, and kept in a fixed order so a colour means the same origin everywhere.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#17becf", "#8c564b")
POSITIVE, NEGATIVE, TOTAL = "#3f8f4f", "#d1495b", "#4e79a7"
# Text on a coloured cell: black or white, whichever contrasts more; with pure black the worse of the two is
# never under 4.58:1 (WCAG AA asks 4.5), whatever the cell's colour (the page's softer ink would drop to 4:1).
INK_ON_LIGHT, INK_ON_DARK = "#000000", "#ffffff"
# The margin bridge's steps, in their own colours: revenue steps in teals, crude-cost steps in purples,
# stream-trade steps in browns, operating cost grey. Neither the origin palette nor the green / red of gains and losses.
BRIDGE_COLORS = {"product prices": "#0b5563", "product volumes": "#5fb0c0", "crude prices and freight": "#3f2a6b",
                 "tariffs": "#7a5aa6", "crude slate": "#a996cf", "other crude costs": "#d4c8ea",
                 "stream purchase prices": "#8c564b", "stream purchase volumes": "#c49c94",
                 "stream transfers": "#e0b080", "operating cost": "#6b6b6b"}
CHANGE_CAP_PP = 25.0  # the utilisation-change colour scale saturates here: one outlier does not wash out the rest
FULL = "#c2410c"  # a unit at capacity: the constraint a planner looks for first (white text reads on it)
FULL_PCT = 99.95


def colors_for(names: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def number(x: float, decimals: int = 1, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if abs(x) < 0.5 * 10 ** -decimals:
        return f"{0.0:,.{decimals}f}"  # no sign on a zero: "0.0", not "+0.0"
    return f"{x:{'+' if sign else ''},.{decimals}f}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks, t = [], first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def tick_decimals(ticks: Sequence[float]) -> int:
    """Fewest decimals that print every tick exactly (2.5 apart -> 1; 0.25 apart -> 2; 200 apart -> 0)."""
    for decimals in range(0, 7):
        if all(abs(round(t, decimals) - t) < 1e-9 * max(1.0, abs(t)) for t in ticks):
            return decimals
    return 6


def _axis_label(x: float, y: float, tick: float, decimals: int, anchor: str) -> str:
    return _text(x, y, number(tick, decimals), anchor, "axis", f' data-value="{_attr(tick)}"')


def _attr(value: float) -> str:
    return repr(float(value))


def _svg(width: float, height: float, body: list[str], label: str, css_class: str) -> str:
    return (f'<svg class="chart {css_class}" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
            f'height="{height:.0f}" role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
            f'font-size="{FONT}">' + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", css: str = "", extra: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{cls}{extra}>{escape(text)}</text>'


@dataclass
class Bar:
    """One row of a horizontal bar chart: stacked segments (series, value, tooltip) and a label at its end."""

    key: str
    label: str
    segments: list[tuple[str, float, str]]
    end_label: str = ""
    end_value: float | None = None


def hbar_chart(rows: list[Bar], colors: dict[str, str], unit: str, label: str, css_class: str = "",
               width: int = 960, row_height: int = 22, label_width: int = 210, end_width: int = 80) -> str:
    """Horizontal bars, segments stacked: positive values to the right of zero, negative to the left."""
    pos = [sum(v for _, v, _ in r.segments if v > 0) for r in rows] or [0.0]
    neg = [sum(v for _, v, _ in r.segments if v < 0) for r in rows] or [0.0]
    ticks = nice_ticks(min(0.0, min(neg)), max(0.0, max(pos)) or 1.0)
    lo, hi = ticks[0], ticks[-1]
    x0, x1 = label_width, width - end_width
    scale = (x1 - x0) / (hi - lo)
    zero = x0 + (0 - lo) * scale
    top, axis_h = 8, 34
    height = top + row_height * len(rows) + axis_h
    body = ['<g class="grid">']
    for t in ticks:
        x = x0 + (t - lo) * scale
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - axis_h + 4}" '
                    f'class="{"zero" if t == 0 else "tick"}"/>')
        body.append(_axis_label(x, height - axis_h + 18, t, tick_decimals(ticks), "middle"))
    body.append("</g>")
    body.append(_text((x0 + x1) / 2, height - 4, unit, "middle", "axis-title"))
    for i, row in enumerate(rows):
        y = top + i * row_height
        body.append(f'<g class="bar-row" data-key="{escape(row.key)}">')
        body.append(_text(x0 - 8, y + row_height / 2 + 4, row.label, "end", "row-label"))
        right, left = zero, zero
        for series, value, title in row.segments:
            if value == 0:
                continue
            w = abs(value) * scale
            if value > 0:
                x, right = right, right + w
            else:
                left -= w
                x = left
            body.append(f'<rect class="seg" data-series="{escape(series)}" data-value="{_attr(value)}" '
                        f'x="{x:.2f}" y="{y + 3:.1f}" width="{w:.2f}" height="{row_height - 6}" '
                        f'fill="{colors.get(series, TOTAL)}"><title>{escape(title)}</title></rect>')
        if row.end_label:
            value_attr = f' data-value="{_attr(row.end_value)}"' if row.end_value is not None else ""
            body.append(_text(max(right, zero) + 6, y + row_height / 2 + 4, row.end_label, "start", "end-label",
                              value_attr))
        body.append("</g>")
    return _svg(width, height, body, label, css_class)


@dataclass
class Cell:
    value: float
    text: str
    title: str
    color: str


def heat_grid(rows: list[tuple[str, str]], columns: list[tuple[str, str]], cells: dict[tuple[str, str], Cell],
              label: str, css_class: str = "", cell_width: int = 88, row_height: int = 22,
              label_width: int = 210, empty_title: str = "no such unit") -> str:
    """A grid of coloured cells with their value written in: rows (key, label) by columns (key, label). The text
    of each cell is white or ink, whichever contrasts more with its colour (WCAG contrast ratio)."""
    head = 26
    width = label_width + cell_width * len(columns) + 4
    height = head + row_height * len(rows) + 4
    body = []
    for j, (_, col_label) in enumerate(columns):
        body.append(_text(label_width + cell_width * (j + 0.5), head - 8, col_label, "middle", "col-label"))
    for i, (row_key, row_label) in enumerate(rows):
        y = head + i * row_height
        body.append(f'<g class="grid-row" data-key="{escape(row_key)}">')
        body.append(_text(label_width - 8, y + row_height / 2 + 4, row_label, "end", "row-label"))
        for j, (col_key, _) in enumerate(columns):
            cell = cells.get((row_key, col_key))
            x = label_width + cell_width * j
            if cell is None:  # no such unit: an outline only, unlike any value's colour
                body.append(f'<rect class="empty" data-column="{escape(col_key)}" x="{x + 2}" y="{y + 2}" '
                            f'width="{cell_width - 4}" height="{row_height - 4}"><title>{escape(empty_title)}'
                            "</title></rect>")
                continue
            ink = ink_for(cell.color)
            body.append(f'<g class="cell" data-column="{escape(col_key)}" data-value="{_attr(cell.value)}">'
                        f'<rect x="{x + 1}" y="{y + 1}" width="{cell_width - 2}" height="{row_height - 2}" '
                        f'fill="{cell.color}"/>'
                        + _text(x + cell_width / 2, y + row_height / 2 + 4, cell.text, "middle",
                                f"cell-text {'on-dark' if ink == INK_ON_DARK else 'on-light'}")
                        + f"<title>{escape(cell.title)}</title></g>")
        body.append("</g>")
    return _svg(width, height, body, label, css_class)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def luminance(color: str) -> float:
    """WCAG 2 relative luminance of '#rrggbb'."""
    def channel(c: int) -> float:
        x = c / 255.0
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21; text wants 4.5 or more)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink_for(background: str) -> str:
    """White or black, whichever reads better on `background`."""
    return INK_ON_DARK if contrast(INK_ON_DARK, background) > contrast(INK_ON_LIGHT, background) else INK_ON_LIGHT


def blend(a: str, b: str, t: float) -> str:
    t = min(1.0, max(0.0, t))
    ra, rb = _rgb(a), _rgb(b)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ra, rb))


def utilisation_color(pct: float) -> str:
    if math.isnan(pct):
        return "#f4f4f4"
    if pct >= FULL_PCT:
        return FULL
    return blend("#eef3fa", "#1f4e8c", pct / 100.0)


def change_color(delta: float, cap: float = CHANGE_CAP_PP) -> str:
    """Green for more, red for less, full colour at `cap` and beyond (the label keeps the true value)."""
    if math.isnan(delta) or cap <= 0:
        return UNCHANGED
    return blend(UNCHANGED, POSITIVE if delta > 0 else NEGATIVE, min(1.0, abs(delta) / cap))


UNCHANGED = "#eef0f3"


def waterfall(steps: list[tuple[str, float, str]], unit: str, label: str, css_class: str = "",
              width: int = 960, height: int = 380, decimals: int = 1) -> str:
    """Margin bridge: `total` steps stand on zero, `change` steps float from the running total."""
    running, spans = 0.0, []
    for _, value, kind in steps:
        if kind == "total":
            spans.append((0.0, value))
            running = value
        else:
            spans.append((running, running + value))
            running += value
    ticks = nice_ticks(min(0.0, *(min(s) for s in spans)), max(0.0, *(max(s) for s in spans)))
    lo, hi = ticks[0], ticks[-1]
    left, right, top, bottom = 86, 10, 24, 62
    scale = (height - top - bottom) / (hi - lo)

    def y(v: float) -> float:
        return top + (hi - v) * scale

    slot = (width - left - right) / max(1, len(steps))
    body = []
    for t in ticks:
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                    f'class="{"zero" if t == 0 else "tick"}"/>')
        body.append(_axis_label(left - 6, y(t) + 4, t, tick_decimals(ticks), "end"))
    body.append(_text(14, top + (height - top - bottom) / 2, unit, "middle", "axis-title",
                      f' transform="rotate(-90 14 {top + (height - top - bottom) / 2:.1f})"'))
    for i, ((name, value, kind), (a, b)) in enumerate(zip(steps, spans)):
        x = left + slot * i + slot * 0.15
        w = slot * 0.7
        color = TOTAL if kind == "total" else (POSITIVE if value >= 0 else NEGATIVE)
        y_top, y_bottom = y(max(a, b)), y(min(a, b))
        text = number(value, decimals, sign=kind != "total")
        body.append(f'<g class="step" data-step="{escape(name)}" data-kind="{kind}" data-value="{_attr(value)}">'
                    f'<rect x="{x:.1f}" y="{y_top:.2f}" width="{w:.1f}" height="{max(0.5, y_bottom - y_top):.2f}" '
                    f'fill="{color}"><title>{escape(name)}: {text} {escape(unit)}</title></rect>'
                    + _text(x + w / 2, y_top - 5, text, "middle", "step-value") + "</g>")
        if i + 1 < len(steps):
            end = b if kind != "total" else value
            body.append(f'<line class="connector" x1="{x + w:.1f}" x2="{x + slot:.1f}" y1="{y(end):.1f}" '
                        f'y2="{y(end):.1f}"/>')
        for k, line in enumerate(_wrap(name, 14)):
            body.append(_text(x + w / 2, height - bottom + 18 + 14 * k, line, "middle", "col-label"))
    return _svg(width, height, body, label, css_class)


def _wrap(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines[:3]


@dataclass
class Series:
    name: str
    color: str
    points: list[tuple[float, float]]
    step: bool = False  # points given in drawing order (a step function: volume against own price)
    markers: bool | None = None  # None: as the chart says


def line_chart(series: list[Series], x_title: str, y_title: str, label: str, css_class: str = "",
               width: int = 620, height: int = 320, y_decimals: int = 1, x_decimals: int = 2,
               markers: bool = True, from_zero: bool = True, marks: Sequence[tuple[float, str]] = ()) -> str:
    """Lines (or steps) through each series' points; `marks` are vertical dashed lines (x, label), the current
    plan say. Each series carries its points in `data-xy` ("x,y;x,y", exact) for tests and scripts."""
    xs = [x for s in series for x, _ in s.points] + [x for x, _ in marks] or [0.0, 1.0]
    ys = [yv for s in series for _, yv in s.points] or [0.0, 1.0]
    x_ticks = nice_ticks(min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1.0)
    y_lo = min(0.0, min(ys)) if from_zero else min(ys)
    y_ticks = nice_ticks(y_lo, max(ys) if max(ys) > y_lo else y_lo + 1.0)
    left, right, top, bottom = 72, 14, 12, 44
    sx = (width - left - right) / (x_ticks[-1] - x_ticks[0])
    sy = (height - top - bottom) / (y_ticks[-1] - y_ticks[0])

    def px(x: float) -> float:
        return left + (x - x_ticks[0]) * sx

    def py(yv: float) -> float:
        return height - bottom - (yv - y_ticks[0]) * sy

    body = []
    for t in y_ticks:
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}" class="tick"/>')
        body.append(_axis_label(left - 6, py(t) + 4, t, tick_decimals(y_ticks), "end"))
    for t in x_ticks:
        body.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{height - bottom}" class="tick"/>')
        body.append(_axis_label(px(t), height - bottom + 16, t, tick_decimals(x_ticks), "middle"))
    body.append(_text((left + width - right) / 2, height - 6, x_title, "middle", "axis-title"))
    mid = (top + height - bottom) / 2
    body.append(_text(14, mid, y_title, "middle", "axis-title", f' transform="rotate(-90 14 {mid:.1f})"'))
    for x, text in marks:
        body.append(f'<g class="mark" data-x="{_attr(x)}"><line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{top}" '
                    f'y2="{height - bottom}" class="mark"/>'
                    + _text(px(x) + 4, top + 11, text, "start", "mark-label") + "</g>")
    for s in series:
        pts = sorted(s.points, key=lambda p: p[0]) if not s.step else s.points
        path = " ".join(f"{px(x):.1f},{py(yv):.1f}" for x, yv in pts)
        exact = ";".join(f"{_attr(x)},{_attr(yv)}" for x, yv in pts)
        body.append(f'<g class="series" data-series="{escape(s.name)}" data-xy="{exact}">'
                    f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        if s.markers if s.markers is not None else markers:
            for x, yv in pts:
                body.append(f'<circle class="point" cx="{px(x):.1f}" cy="{py(yv):.1f}" r="3" fill="{s.color}" '
                            f'data-x="{_attr(x)}" data-value="{_attr(yv)}"><title>{escape(s.name)}: '
                            f'{number(x, x_decimals)} -> {number(yv, y_decimals)}</title></circle>')
        body.append("</g>")
    return _svg(width, height, body, label, css_class)


@dataclass
class DotRow:
    key: str
    label: str
    dots: list[tuple[str, float, str, str]]  # (series, value, colour, tooltip)


def dot_chart(rows: list[DotRow], unit: str, label: str, css_class: str = "", width: int = 960,
              row_height: int = 22, label_width: int = 210,
              link: Callable[[DotRow], str] | None = None) -> str:
    """One row per item with a dot per series on a shared axis, joined by a line (current vs breakeven)."""
    values = [v for r in rows for _, v, _, _ in r.dots if not math.isnan(v)] or [0.0, 1.0]
    ticks = nice_ticks(min(values), max(values) if max(values) > min(values) else min(values) + 1.0)
    lo, hi = ticks[0], ticks[-1]
    x0, x1, top, axis_h = label_width, width - 20, 8, 34
    scale = (x1 - x0) / (hi - lo)
    height = top + row_height * len(rows) + axis_h
    body = []
    for t in ticks:
        x = x0 + (t - lo) * scale
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - axis_h + 4}" class="tick"/>')
        body.append(_axis_label(x, height - axis_h + 18, t, tick_decimals(ticks), "middle"))
    body.append(_text((x0 + x1) / 2, height - 4, unit, "middle", "axis-title"))
    for i, row in enumerate(rows):
        y = top + i * row_height + row_height / 2
        body.append(f'<g class="dot-row" data-key="{escape(row.key)}">')
        body.append(_text(x0 - 8, y + 4, row.label, "end", "row-label"))
        shown = [(s, v, c, t) for s, v, c, t in row.dots if not math.isnan(v)]
        if len(shown) >= 2:
            xs = [x0 + (v - lo) * scale for _, v, _, _ in shown]
            body.append(f'<line class="dumbbell" x1="{min(xs):.1f}" x2="{max(xs):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                        f'stroke="{link(row) if link else "#999"}"/>')
        for series, value, color, title in shown:
            body.append(f'<circle class="dot" data-series="{escape(series)}" data-value="{_attr(value)}" '
                        f'cx="{x0 + (value - lo) * scale:.1f}" cy="{y:.1f}" r="5" fill="{color}">'
                        f"<title>{escape(title)}</title></circle>")
        body.append("</g>")
    return _svg(width, height, body, label, css_class)
