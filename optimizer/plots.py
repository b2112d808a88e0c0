"""PNG plots (matplotlib, headless Agg backend)."""

from __future__ import annotations

import math
from pathlib import Path

from optimizer.value import Curve

MAX_PANELS = 12


def step_points(curve: Curve) -> tuple[list[float], list[float]]:
    """The piecewise-constant volume against price across the traced window."""
    lo, hi = curve.window
    points = sorted(curve.breakpoints)
    xs, ys = [lo], [points[0][1] if points else curve.current_volume]
    for price, below, above in points:
        xs += [price, price]
        ys += [below, above]
    xs.append(hi)
    ys.append(points[-1][2] if points else curve.current_volume)
    return xs, ys


def plot_curves(curves: list[Curve], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    coast = [c for c in curves if c.scope == "coast"] or curves
    shown = coast[:MAX_PANELS]
    if not shown:
        return
    cols = min(3, len(shown))
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, curve in zip(axes.flat, shown):
        xs, ys = step_points(curve)
        ax.plot(xs, ys, color="#1f4e79", lw=2)
        ax.axvline(curve.current_price, color="#999999", ls="--", lw=1)
        ax.plot([curve.current_price], [curve.current_volume], "o", color="#c00000")
        ax.set_title(f"{curve.crude_id} ({curve.scope})", fontsize=10)
        ax.set_xlabel(f"{curve.price_basis} price, $/bbl", fontsize=8)
        ax.set_ylabel("volume taken, kb/d", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    fig.suptitle("Volume taken against the crude's own price (exact breakpoints; dot = today)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
