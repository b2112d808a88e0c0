"""PNG plots (matplotlib, headless Agg backend): volume taken against a crude's own price.

One panel per requested crude (a row) and scope (a column: the coast first, then each refinery asked
for with --refinery). When every refinery is valued (no --refinery), only the coast column is drawn
and the figure says so: the refinery curves are all in breakpoints.csv. Each panel is zoomed on today's
price and the breakeven, with today's plan (a dot; a bar when several volumes are optimal) and the
breakeven (a vertical line) marked.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

from optimizer.value import COAST, Curve

ENTER, LEAVE, TODAY, LINE = "#3f8f4f", "#c0392b", "#555555", "#1f4e79"


def step_points(curve: Curve, lo: float | None = None, hi: float | None = None) -> tuple[list[float], list[float]]:
    """The piecewise-constant volume against price across [lo, hi] (default: the traced window)."""
    lo = curve.window[0] if lo is None else lo
    hi = curve.window[1] if hi is None else hi
    points = sorted(p for p in curve.breakpoints if lo < p[0] < hi)
    first = curve.volume_at(lo)
    if first is None:
        first = points[0][1] if points else curve.plan_volume
    xs, ys = [lo], [first]
    for price, below, above in points:
        xs += [price, price]
        ys += [below, above]
    last = curve.volume_at(hi)
    xs.append(hi)
    ys.append(last if last is not None else (points[-1][2] if points else first))
    return xs, ys


def zoom(curve: Curve) -> tuple[float, float]:
    """The price span shown: today's price and the breakeven with room either side, inside the traced window."""
    breakeven, _ = curve.breakeven()
    marks = [curve.current_price] + ([breakeven] if math.isfinite(breakeven) else [])
    span = max(marks) - min(marks)
    pad = max(2.0, 0.5 * span)
    return max(curve.window[0], min(marks) - pad), min(curve.window[1], max(marks) + pad)


def plot_curves(curves: list[Curve], path: Path, crude_names: dict[str, str] | None = None,
                refinery_names: dict[str, str] | None = None, refineries_requested: bool = True) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    crude_names, refinery_names = crude_names or {}, refinery_names or {}
    shown = [c for c in curves if refineries_requested or c.scope == COAST] or curves
    crudes = list(dict.fromkeys(c.crude_id for c in shown))
    scopes = list(dict.fromkeys(c.scope for c in shown))
    scopes.sort(key=lambda s: s != COAST)  # the coast first
    if not shown:
        return
    by_key = {(c.crude_id, c.scope): c for c in shown}
    rows, cols = len(crudes), len(scopes)
    title = "Volume taken against the crude's own price (every breakpoint exact; dot = today's plan)"
    if not refineries_requested and any(c.scope != COAST for c in curves):
        title += ". Coast curves only: pass --refinery to draw a refinery's (all are in breakpoints.csv)"
    lines = textwrap.wrap(title, width=max(40, int(50 * cols)))
    head = 0.15 + 0.19 * len(lines)  # inches kept for the title
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 2.9 * rows + head), squeeze=False)
    for i, crude in enumerate(crudes):
        for j, scope in enumerate(scopes):
            ax = axes[i][j]
            curve = by_key.get((crude, scope))
            if curve is None:
                ax.axis("off")
                continue
            _panel(ax, curve, crude_names.get(crude, crude), refinery_names.get(scope, scope))
    height = 2.9 * rows + head
    fig.suptitle("\n".join(lines), fontsize=10, y=1 - 0.05 / height, va="top")
    fig.tight_layout(rect=(0, 0, 1, 1 - head / (2.9 * rows + head)))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _panel(ax, curve: Curve, crude_name: str, scope_name: str) -> None:
    lo, hi = zoom(curve)
    xs, ys = step_points(curve, lo, hi)
    ax.plot(xs, ys, color=LINE, lw=1.8)
    ax.axvline(curve.current_price, color=TODAY, ls="--", lw=0.9)
    low, high = curve.volume_range
    if math.isfinite(low) and high - low > 1e-6:
        ax.plot([curve.current_price] * 2, [low, high], color="#c00000", lw=4, alpha=0.35,
                label=f"today: {low:,.1f}-{high:,.1f} kb/d all optimal")
    ax.plot([curve.current_price], [curve.plan_volume], "o", color="#c00000", ms=5,
            label=f"today {curve.current_price:,.2f}: {curve.plan_volume:,.1f} kb/d")
    breakeven, direction = curve.breakeven()
    if math.isfinite(breakeven):
        color = ENTER if direction == "enter" else LEAVE
        words = "enters below" if direction == "enter" else "starts to leave above"
        ax.axvline(breakeven, color=color, lw=1.2, label=f"{words} {breakeven:,.2f}")
    ax.set_xlim(lo, hi)
    top = max(ys + [curve.plan_volume, high if math.isfinite(high) else 0.0, 1.0])
    ax.set_ylim(-0.04 * top, 1.08 * top)
    where = "coast" if curve.scope == COAST else scope_name
    ax.set_title(f"{crude_name}\n{where}", fontsize=9)
    ax.set_xlabel(f"{'FOB' if curve.price_basis == 'fob' else 'delivered'} price, $/bbl", fontsize=8)
    ax.set_ylabel("taken, kb/d", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="best", framealpha=0.8)
