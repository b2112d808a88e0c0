"""LP ranging from HiGHS: over what range each marginal value and each reduced cost holds.

For a column, the objective-coefficient interval over which the optimal basis stays optimal; for a
binding row, the interval of its active bound over which its dual (marginal value) stays the same.
A dual is reported unique only when the bound lies strictly inside that interval: at an end of it
(a degenerate optimum), the marginal value of a further barrel differs from that of one barrel less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import highspy

if TYPE_CHECKING:
    from optimizer.solve import SlateSolver

# A bound within this of an end of its validity interval counts as sitting on it (HiGHS feasibility tol x 10).
RANGE_EDGE_TOL = 1e-6


@dataclass
class RowRange:
    side: str  # "upper", "lower", "equality" (binding) or "none" (not binding)
    bound: float | None  # the bound ranged: the binding one, else the upper (or lower) bound
    valid_from: float
    valid_to: float

    @property
    def unique(self) -> bool:
        if self.side == "none" or self.bound is None:
            return True
        tol = RANGE_EDGE_TOL * max(1.0, abs(self.bound))
        return self.valid_from < self.bound - tol and self.bound + tol < self.valid_to


@dataclass
class Ranging:
    """cost[var name][index] = (lo, hi) objective-coefficient interval; rows[family][index] = RowRange."""

    cost: dict[str, dict[Any, tuple[float, float]]] = field(default_factory=dict)
    rows: dict[str, dict[Any, RowRange]] = field(default_factory=dict)


def _finite(x: float) -> float:
    if x >= highspy.kHighsInf:
        return math.inf
    if x <= -highspy.kHighsInf:
        return -math.inf
    return float(x)


def compute_ranging(solver: SlateSolver) -> Ranging | None:
    """Ranging of the solver's last optimal solve; None without a basis."""
    highs = solver.highs
    assert highs is not None
    status, ranging = highs.getRanging()
    if status != highspy.HighsStatus.kOk:
        return None
    lp = highs.getLp()
    # each access to a highspy array property copies the whole array: take them once
    row_status = list(highs.getBasis().row_status)
    activity = list(highs.getSolution().row_value)
    row_lower, row_upper = list(lp.row_lower_), list(lp.row_upper_)
    cost_dn, cost_up = list(ranging.col_cost_dn.value_), list(ranging.col_cost_up.value_)
    bound_dn, bound_up = list(ranging.row_bound_dn.value_), list(ranging.row_bound_up.value_)
    out = Ranging()
    for var in solver.variable_columns():
        out.cost[var.name] = {index: (_finite(cost_dn[j]), _finite(cost_up[j]))
                              for index, j in zip(var.keys, var.columns.tolist())}
    for con in solver.constraint_slices():
        entries = {}
        for index, i in zip(con.keys, range(con.start, con.stop)):
            lower, upper = _finite(row_lower[i]), _finite(row_upper[i])
            state = row_status[i]
            if state == highspy.HighsBasisStatus.kBasic:
                # not binding: the dual is 0 until the bound reaches the row's activity
                if math.isfinite(upper):
                    entries[index] = RowRange("none", upper, float(activity[i]), math.inf)
                else:
                    entries[index] = RowRange("none", lower if math.isfinite(lower) else None, -math.inf,
                                              float(activity[i]))
                continue
            if lower == upper:
                side, bound = "equality", upper
            elif state == highspy.HighsBasisStatus.kUpper:
                side, bound = "upper", upper
            else:
                side, bound = "lower", lower
            entries[index] = RowRange(side, bound, _finite(bound_dn[i]), _finite(bound_up[i]))
        out.rows[con.name] = entries
    return out
