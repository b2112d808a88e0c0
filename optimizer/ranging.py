"""LP ranging from HiGHS, and what can be said about the other optimal plans.

Ranging: for a column, the objective-coefficient interval over which the optimal basis stays
optimal; for a binding row, the interval of its active bound over which its dual (marginal value)
stays the same. What these intervals guarantee: inside one, the printed rate is exact (the same
basis stays optimal, so the plan moves linearly and the margin at the rate printed); the value may
well hold further, since a degenerate basis change can leave the rate as it is, so each interval
is a guaranteed sub-interval of where the value holds, not the whole of it. A dual is reported
unique only when the bound lies strictly inside its interval: at an end of it (a degenerate
optimum) the value of a further unit differs from that of one unit less (`RowRange.degenerate_side`
says which).

Ties: `OptimalFace` is the set of every optimal plan, as an LP of its own (a copy of the solved LP
with each column and row that has a nonzero reduced cost held at its bound: complementary
slackness with the current duals, which every optimal plan satisfies). Over it: the range of any
sum of columns among the optimal plans (`extreme`), whether the optimum is a single plan
(`is_point`), and the optimal plan nearest another one (`nearest`).

Plant units (`limit_terms`): the diet, spec and ratio rows are stated as weighted sums against 0
(e.g. API as specific gravity times kb/d); their duals and ranges are converted to the limit's own
unit (degrees API, wt%, the spec's quality unit, a ratio) at the current plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
from pyomo.common.gc_manager import PauseGC

if TYPE_CHECKING:
    from optimizer.data import ModelData
    from optimizer.handoff import StandardForm
    from optimizer.solve import SlateSolver

# A bound within this of an end of its validity interval counts as sitting on it (HiGHS feasibility tol x 10).
RANGE_EDGE_TOL = 1e-6
# A reduced cost or dual at most this (HiGHS's dual feasibility tolerance) counts as zero: a tie.
ZERO_DUAL_TOL = 1e-7
# Two plans whose columns differ by no more than this in total (kb/d) are the same plan.
SAME_PLAN_TOL_KBD = 1e-6

_BASIC = highspy.HighsBasisStatus.kBasic
_LOWER = highspy.HighsBasisStatus.kLower
_UPPER = highspy.HighsBasisStatus.kUpper


@dataclass
class RowRange:
    side: str  # "upper", "lower", "equality" (binding) or "none" (not binding)
    bound: float | None  # the bound ranged: the binding one, else the upper (or lower) bound
    valid_from: float
    valid_to: float

    def _tol(self) -> float:
        return RANGE_EDGE_TOL * max(1.0, abs(self.bound or 0.0))

    @property
    def unique(self) -> bool:
        if self.side == "none" or self.bound is None:
            return True
        tol = self._tol()
        return self.valid_from < self.bound - tol and self.bound + tol < self.valid_to

    @property
    def degenerate_side(self) -> str:
        """Where the printed marginal value stops: "above" (the bound is at the top of its interval: a further
        unit is worth a different amount), "below" (at the bottom: one unit less is), "both" or "" (unique)."""
        if self.unique:
            return ""
        assert self.bound is not None
        tol = self._tol()
        top, bottom = self.valid_to <= self.bound + tol, self.valid_from >= self.bound - tol
        return "both" if top and bottom else ("above" if top else "below")


@dataclass
class Ranging:
    """cost[var name][index] = (lo, hi) objective-coefficient interval; rows[family][index] = RowRange.

    zero_reduced_costs_off_basis: nonbasic columns and rows whose reduced cost (dual) is zero: each is a
    direction in which another plan may earn the same margin (no such column: the plan is the only optimum).
    basic_at_bound: basic columns and rows sitting at a bound (primal degeneracy: some duals are then not unique)."""

    cost: dict[str, dict[Any, tuple[float, float]]] = field(default_factory=dict)
    rows: dict[str, dict[Any, RowRange]] = field(default_factory=dict)
    zero_reduced_costs_off_basis: int = 0
    basic_at_bound: int = 0


def _finite(x: float) -> float:
    if x >= highspy.kHighsInf:
        return math.inf
    if x <= -highspy.kHighsInf:
        return -math.inf
    return float(x)


def _degeneracy(lp: StandardForm, basis: highspy.HighsBasis, solution: highspy.HighsSolution) -> tuple[int, int]:
    """(nonbasic columns and rows with a zero reduced cost, basic columns and rows at a bound) of a solve."""
    col_basic = np.array([s == _BASIC for s in basis.col_status])
    row_basic = np.array([s == _BASIC for s in basis.row_status])
    col_dual, row_dual = np.abs(np.asarray(solution.col_dual)), np.abs(np.asarray(solution.row_dual))
    lower, upper = lp.col_lower, lp.col_upper
    fixed_col = lower == upper  # a fixed column has no direction to move in
    fixed_row = lp.row_lower == lp.row_upper
    ties = int(np.sum(~col_basic & ~fixed_col & (col_dual <= ZERO_DUAL_TOL))
               + np.sum(~row_basic & ~fixed_row & (row_dual <= ZERO_DUAL_TOL)))
    value, activity = np.asarray(solution.col_value), np.asarray(solution.row_value)
    row_lower, row_upper = lp.row_lower, lp.row_upper
    at_bound = int(np.sum(col_basic & ((np.abs(value - lower) <= 1e-9) | (np.abs(value - upper) <= 1e-9)))
                   + np.sum(row_basic & ((np.abs(activity - row_lower) <= 1e-9)
                                         | (np.abs(activity - row_upper) <= 1e-9))))
    return ties, at_bound


# The variables whose cost ranges the results report (the delivered price of a crude at a refinery, the
# price of a product): ranging every column would keep a tuple per column of the model (some 15 MB at a
# million nonzeros) that nothing reads.
REPORTED_COSTS = ("Buy", "Sell")


def compute_ranging(solver: SlateSolver, cost_of: tuple[str, ...] = REPORTED_COSTS) -> Ranging | None:
    """Ranging of the solver's last optimal solve (cost ranges for the variables named in `cost_of`);
    None without a basis."""
    with PauseGC():  # a range per row and reported column, no garbage: a collector's pass over a large model
        return _compute_ranging(solver, cost_of)  # would cost more than the whole reading


def _compute_ranging(solver: SlateSolver, cost_of: tuple[str, ...]) -> Ranging | None:
    highs = solver.highs
    assert highs is not None
    status, ranging = highs.getRanging()
    if status != highspy.HighsStatus.kOk:
        return None
    # the bounds from the solver's own arrays: highs.getLp() would copy the whole LP, matrix included
    lp, basis, solution = solver.form, highs.getBasis(), highs.getSolution()
    assert lp is not None
    # each access to a highspy array property copies the whole array: take them once
    row_status = list(basis.row_status)
    activity = list(solution.row_value)
    row_lower, row_upper = lp.row_lower.tolist(), lp.row_upper.tolist()
    cost_dn, cost_up = list(ranging.col_cost_dn.value_), list(ranging.col_cost_up.value_)
    bound_dn, bound_up = list(ranging.row_bound_dn.value_), list(ranging.row_bound_up.value_)
    out = Ranging()
    out.zero_reduced_costs_off_basis, out.basic_at_bound = _degeneracy(lp, basis, solution)
    for var in solver.variable_columns():
        if var.name not in cost_of:
            continue
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


# -- the set of optimal plans ------------------------------------------------------------------------


def _quiet() -> highspy.Highs:
    from optimizer.sweep_engine import quiet_highs

    return quiet_highs()


def _transpose_times(lp: highspy.HighsLp, weights: np.ndarray) -> np.ndarray:
    """A^T w for the LP's matrix (either storage)."""
    a = lp.a_matrix_
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
    if a.format_ == highspy.MatrixFormat.kColwise:
        columns = np.repeat(np.arange(lp.num_col_), np.diff(start))
        out = np.zeros(lp.num_col_)
        np.add.at(out, columns, weights[index] * value)
        return out
    rows = np.repeat(np.arange(lp.num_row_), np.diff(start))
    out = np.zeros(lp.num_col_)
    np.add.at(out, index, weights[rows] * value)
    return out


class OptimalFace:
    """Every optimal plan of the solver's last (optimal) solve, as an LP in a HiGHS of its own.

    A column or row whose reduced cost (dual) is nonzero is at its bound in every optimal plan
    (complementary slackness with the current duals), so it is held there; what remains free are
    the basic columns and rows and the nonbasic ones at a zero reduced cost (the ties). The solver's
    own HiGHS is not touched."""

    def __init__(self, solver: SlateSolver):
        highs = solver.highs
        assert highs is not None
        lp, solution, basis = highs.getLp(), highs.getSolution(), highs.getBasis()
        self.num_col = lp.num_col_
        col_lower, col_upper = np.array(lp.col_lower_, dtype=float), np.array(lp.col_upper_, dtype=float)
        row_lower, row_upper = np.array(lp.row_lower_, dtype=float), np.array(lp.row_upper_, dtype=float)
        col_status, row_status = list(basis.col_status), list(basis.row_status)
        col_dual, row_dual = np.asarray(solution.col_dual), np.asarray(solution.row_dual)
        self.plan = np.asarray(solution.col_value, dtype=float)
        # nonbasic columns and rows at a zero reduced cost: the directions along which the plan may move
        self.tie_cols: list[tuple[int, int]] = []  # (column, +1 at its lower bound / -1 at its upper bound)
        self.tie_rows: list[tuple[int, int]] = []
        for j, state in enumerate(col_status):
            if state == _BASIC or col_lower[j] == col_upper[j]:
                continue
            at = col_lower[j] if state == _LOWER else col_upper[j] if state == _UPPER else None
            if at is None or not math.isfinite(at):
                continue
            if abs(col_dual[j]) > ZERO_DUAL_TOL:
                col_lower[j] = col_upper[j] = at
            else:
                self.tie_cols.append((j, 1 if state == _LOWER else -1))
        for i, state in enumerate(row_status):
            if state == _BASIC or row_lower[i] == row_upper[i]:
                continue
            at = row_lower[i] if state == _LOWER else row_upper[i] if state == _UPPER else None
            if at is None or not math.isfinite(at):
                continue
            if abs(row_dual[i]) > ZERO_DUAL_TOL:
                row_lower[i] = row_upper[i] = at
            else:
                self.tie_rows.append((i, 1 if state == _LOWER else -1))
        lp.col_lower_, lp.col_upper_ = col_lower, col_upper
        lp.row_lower_, lp.row_upper_ = row_lower, row_upper
        lp.col_cost_ = np.zeros(self.num_col)
        lp.offset_ = 0.0
        self.lp = lp
        self.basis = basis
        self.highs = _quiet()
        self.highs.passModel(lp)
        self.highs.setBasis(basis)

    def _optimize(self, cost: np.ndarray, maximize: bool) -> tuple[float, np.ndarray]:
        h = self.highs
        h.changeColsCost(self.num_col, np.arange(self.num_col, dtype=np.int32), cost)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return (math.inf if maximize else -math.inf), self.plan
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the optimal-face LP ended {h.modelStatusToString(status)}")
        return h.getInfo().objective_function_value, np.asarray(h.getSolution().col_value)

    def extreme(self, columns: list[int], weights: list[float] | None = None) -> tuple[float, float]:
        """(least, most) of sum_j w_j x_j over the optimal plans."""
        cost = np.zeros(self.num_col)
        cost[columns] = 1.0 if weights is None else weights
        low, _ = self._optimize(cost, maximize=False)
        high, _ = self._optimize(cost, maximize=True)
        return low, high

    def is_point(self) -> bool:
        """True when the optimum is one plan only: no tie direction can move off its bound."""
        if not self.tie_cols and not self.tie_rows:
            return True
        cost = np.zeros(self.num_col)
        for j, sign in self.tie_cols:
            cost[j] += sign
        if self.tie_rows:
            weights = np.zeros(self.lp.num_row_)
            for i, sign in self.tie_rows:
                weights[i] = sign
            cost += _transpose_times(self.lp, weights)
        top, x = self._optimize(cost, maximize=True)
        if math.isinf(top):
            return False
        return float(cost @ x - cost @ self.plan) <= SAME_PLAN_TOL_KBD

    def nearest(self, target: np.ndarray) -> np.ndarray:
        """The optimal plan nearest `target` (least total |x - target| over the columns, kb/d)."""
        free = [j for j in range(self.num_col) if self.lp.col_lower_[j] < self.lp.col_upper_[j]]
        if not free:
            return self.plan.copy()
        h = _quiet()
        h.passModel(self.lp)
        h.setBasis(self.basis)
        k = len(free)
        inf = highspy.kHighsInf
        # p_j, n_j >= 0 with x_j - p_j + n_j = target_j; minimise sum (p + n)
        h.addCols(2 * k, np.ones(2 * k), np.zeros(2 * k), np.full(2 * k, inf), 0, np.zeros(2 * k, dtype=np.int32),
                  np.zeros(0, dtype=np.int32), np.zeros(0))
        starts = np.arange(0, 3 * k, 3, dtype=np.int32)
        index = np.empty(3 * k, dtype=np.int32)
        value = np.empty(3 * k)
        index[0::3], index[1::3], index[2::3] = free, self.num_col + np.arange(k), self.num_col + k + np.arange(k)
        value[0::3], value[1::3], value[2::3] = 1.0, -1.0, 1.0
        rhs = np.asarray(target, dtype=float)[free]
        h.addRows(k, rhs, rhs, 3 * k, starts, index, value)
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the nearest-plan LP ended {h.modelStatusToString(h.getModelStatus())}")
        return np.asarray(h.getSolution().col_value)[: self.num_col]


def values_by_name(solver: SlateSolver, x: np.ndarray) -> dict[str, dict[Any, float]]:
    """A column vector as SolveResult.values (variable name -> index -> value)."""
    return {v.name: dict(zip(v.keys, x[v.columns].tolist())) for v in solver.variable_columns()}


# -- one-sided marginal values, by re-solving a step of a bound ------------------------------------


@dataclass
class Step:
    """What moving one row's bound by `delta` does: the margin's change per unit and the plan's change."""

    delta: float
    rate: float  # d(margin)/d(bound) over the step, kUSD/d per unit of the row
    status: str
    plan_change: np.ndarray  # column values after minus before
    dual_after: float = math.nan  # the row's dual at the moved bound: the slope of the piece the step ends in


def bound_step(solver: SlateSolver, row: int, side: str, delta: float) -> Step:
    """Re-solve with the row's `side` bound moved by `delta` (hot start), then put the LP back as it was."""
    from optimizer.solve import _HIGHS_STATUS, OPTIMAL

    highs = solver.highs
    assert highs is not None
    lp = highs.getLp()
    lower, upper = float(lp.row_lower_[row]), float(lp.row_upper_[row])
    before = highs.getInfo().objective_function_value
    plan = np.asarray(highs.getSolution().col_value)
    basis = highs.getBasis()
    new_lower = lower + delta if side in ("lower", "equality") else lower
    new_upper = upper + delta if side in ("upper", "equality") else upper
    highs.changeRowBounds(row, new_lower, new_upper)
    highs.run()
    status = _HIGHS_STATUS.get(highs.getModelStatus(), ("solver_error", ""))[0]
    if status == OPTIMAL:
        after = highs.getInfo().objective_function_value
        solution = highs.getSolution()
        change = np.asarray(solution.col_value) - plan
        step = Step(delta, (after - before) / delta, status, change, float(solution.row_dual[row]))
    else:
        step = Step(delta, math.nan, status, np.zeros_like(plan))
    highs.changeRowBounds(row, lower, upper)
    highs.setBasis(basis)
    highs.run()
    return step


# -- the diet, spec and ratio rows in the limit's own unit ------------------------------------------

LIMIT_FAMILIES = ("slate_api_min", "slate_api_max", "slate_sulfur_max", "slate_tan_max", "blend_spec_min",
                  "blend_spec_max", "product_ratio_min", "product_ratio_max")


@dataclass
class LimitTerms:
    """A diet, spec or ratio row said in its limit's unit, at the current plan."""

    limit: float  # the limit as the user wrote it (degrees API, wt%, the quality, the ratio)
    unit: str
    per_row_unit: float  # row units one unit of the limit is worth at the current plan (the plan's volume or mass)
    marginal_value: float  # d(margin)/d(limit), kUSD/d per unit of the limit (nan when nothing flows)
    valid_from: float  # the row's validity interval mapped to the limit at the current plan's volume (first order)
    valid_to: float


@dataclass
class PlanSums:
    """The plan's per-refinery crude volume and mass, product volumes and sales: the scales of `limit_terms`,
    summed once (a row at a time would read every pair for every row)."""

    volume: dict[str, float]
    mass: dict[str, float]
    blended: dict[tuple[str, str], float]
    sold: dict[tuple[str, str], float]


def plan_sums(d: ModelData, values: dict[str, dict[Any, float]]) -> PlanSums:
    volume = {r: 0.0 for r in d.REFINERIES}
    mass = {r: 0.0 for r in d.REFINERIES}
    for (r, c), x in values.get("Buy", {}).items():
        volume[r] += x
        mass[r] += x * d.sg[c]
    blended: dict[tuple[str, str], float] = {}
    for (r, p, _), x in values.get("Blend", {}).items():
        blended[(r, p)] = blended.get((r, p), 0.0) + x
    return PlanSums(volume, mass, blended, dict(values.get("Sell", {})))


def limit_terms(d: ModelData, sums: PlanSums, family: str, index: Any, dual: float,
                rng: RowRange | None) -> LimitTerms | None:
    """The row's limit, marginal value and validity interval in the limit's unit; None for other families.

    Each row is `sum_s (quality_s - limit) x_s {<=,>=} b` with b = 0 and x_s the plan's barrels (API: as
    specific gravity; sulfur and TAN: by mass; ratios: sell_p - ratio x sell_p2). Raising the limit by e
    is raising b by e x scale, where scale is the plan's crude volume (API), crude mass (sulfur, TAN),
    product volume (specs) or reference product's sales (ratios); so d(margin)/d(limit) = dual x scale
    (API: times d(sg)/d(API), as the row holds the gravity), by the envelope theorem, and an interval
    [b1, b2] of b maps to limit + b / scale (API: the gravity sg + b / scale). Both are at the current
    plan: first order, as the plan's volume moves with the limit."""
    from optimizer.data import api_from_sg, specific_gravity

    if family not in LIMIT_FAMILIES:
        return None
    k = index if isinstance(index, tuple) else (index,)
    r = k[0]
    if family in ("slate_api_min", "slate_api_max"):
        api = d.refinery[r]["api_min_deg" if family == "slate_api_min" else "api_max_deg"]
        assert api is not None
        volume = sums.volume[r]
        sg = specific_gravity(api)
        dsg = -141.5 / (api + 131.5) ** 2  # d(sg)/d(API)

        def to_api(b: float) -> float:
            gravity = sg + b / volume
            if not math.isfinite(gravity):
                return -math.inf if gravity > 0 else math.inf
            return api_from_sg(gravity) if gravity > 0 else math.inf

        return _terms(api, "deg API", volume, dual * volume * dsg, rng, to_api)
    if family in ("slate_sulfur_max", "slate_tan_max"):
        column = "sulfur_max_wt_pct" if family == "slate_sulfur_max" else "tan_max_mg_koh_per_g"
        limit, unit = d.refinery[r][column], "wt%" if family == "slate_sulfur_max" else "mg KOH/g"
        scale = sums.mass[r]
    elif family in ("blend_spec_min", "blend_spec_max"):
        low, high = d.specs[(k[1], k[2])]
        limit, unit = (low if family == "blend_spec_min" else high), k[2]
        scale = sums.blended.get((r, k[1]), 0.0)
    else:
        low, high = d.ratios[(k[1], k[2])]
        limit, unit = (low if family == "product_ratio_min" else high), f"{k[1]}/{k[2]} ratio"
        scale = sums.sold.get((r, k[2]), 0.0)
    assert limit is not None
    return _terms(limit, unit, scale, dual * scale, rng, lambda b: limit + b / scale)


def _terms(limit: float, unit: str, scale: float, mv: float, rng: RowRange | None, to_limit: Any) -> LimitTerms:
    if scale <= 1e-9:  # nothing flows through the row: no marginal value to convert
        return LimitTerms(limit, unit, scale, math.nan, math.nan, math.nan)
    if rng is None:
        return LimitTerms(limit, unit, scale, mv, math.nan, math.nan)
    ends = sorted((to_limit(rng.valid_from), to_limit(rng.valid_to)))
    return LimitTerms(limit, unit, scale, mv, ends[0], ends[1])
