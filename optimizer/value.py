"""Crude valuation: exact breakevens and whole volume-price curves; the price of each policy rule.

Breakevens come from parametric analysis of one crude's price, not from a grid. The price is moved
by theta on the row's own basis: the delivered price at one refinery (only that refinery's cost of
the crude moves), or the FOB price for the coast (every refinery's cost moves by theta x (1 +
pct/100), a percentage tariff riding on the price). The margin V(theta) is convex and piecewise
linear, and its slope is minus sum_j gain_j x_j (gain_j = d cost_j / d theta). The intersection
(Eisner-Severance) method finds every breakpoint exactly: the tangent lines at two prices meet at a
price where either V lies on both lines (a breakpoint) or a new piece begins (split there and
recurse). Each breakeven is confirmed by re-solving 0.01 $/bbl on each side of it: the re-solved
volumes must be the curve's volumes there and must differ (`confirmed`).

Ties: inside a piece of the curve the volume is the same in every optimal plan (the slope of V is
unique there); at a breakpoint any volume between the two pieces' volumes is optimal. When today's
price is a breakpoint, the volume of the plan `solve` reports is one of many: the range over every
optimal plan is given (`volume_min_kbd`, `volume_max_kbd`, from LPs over the optimal face, a second
formulation), and `volume_unique` is false.

Method names written to the outputs: `parametric` (this), `resolve` (a policy's cost measured by a
solve without the rule), `ranging` (bounds on that cost from the rule's marginal value over its
validity range, or for a tariff from the tariff bills of the two plans). They are not mixed in a column.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pandas as pd

from optimizer.data import ModelData, derive
from optimizer.errors import CrudeSlateError
from optimizer.instance import Instance
from optimizer.ranging import OptimalFace, values_by_name
from optimizer.scenarios import resolve
from optimizer.solve import EXIT_CODES, OPTIMAL, SlateSolver, SolveResult
from optimizer.validate import validate

COAST = "coast"
CONFIRM_STEP_USD_PER_BBL = 0.01
VOLUME_TOL_KBD = 1e-6
PRICE_TOL_USD_PER_BBL = 1e-6  # a breakpoint this close to today's price is at today's price
MAX_SOLVES_PER_CURVE = 600  # a budget per curve; the trace reports how far it got
PARAMETRIC = "parametric"
RESOLVE = "resolve"
RANGING = "ranging"


class NoPlanError(CrudeSlateError):
    """The scenario has no optimal plan to value (infeasible or unbounded: exit 3; the solver failed: 4)."""

    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.exit_code = EXIT_CODES.get(status, 4)


def _objective_tol(value: float) -> float:
    """How far a re-solved margin may be off a tangent line and still be on it. HiGHS's margins repeat to some
    1e-13 of their size across warm starts (measured on the flagship: 3e-8 kUSD/d of 1.4e5); a looser test
    (1e-7 was tried) takes kinks of a few hundredths of a kb/d x $/bbl for straight lines and misses breakpoints."""
    return max(1e-9, 1e-11 * abs(value))


def _difference(after: float, before: float) -> float:
    """after - before, with the rounding of two equal sums (e.g. -9.1e-13 kUSD/d for an unchanged refinery
    margin of 1e4) written as the 0 it is rather than as noise a planner has to read past."""
    change = after - before
    return 0.0 if abs(change) <= _objective_tol(max(abs(after), abs(before))) else change


@dataclass
class Curve:
    """Volume of one crude against its own price, for one refinery or the coast."""

    crude_id: str
    scope: str  # refinery id or COAST
    price_basis: str  # "delivered" (one refinery) or "fob" (coast: price before freight and tariffs)
    current_price: float  # today's price on the price basis
    current_fob: float
    fob_per_price: float  # d(FOB)/d(price on the basis): 1 on FOB, 1 / (1 + tariff pct / 100) delivered
    plan_volume: float  # in the plan `solve` reports
    breakpoints: list[tuple[float, float, float]]  # (price, volume on the piece below, on the piece above)
    window: tuple[float, float]  # the price interval traced completely
    complete: bool = True  # False when the solve budget ended the trace before the requested window
    volume_range: tuple[float, float] = (math.nan, math.nan)  # over every optimal plan at today's price
    confirm: tuple[float, float] = (math.nan, math.nan)  # re-solved volumes 0.01 $/bbl below / above the breakeven
    confirmed: bool | None = None  # the re-solves agree with the curve and flip the crude (None: no breakeven)
    notes: list[str] = field(default_factory=list)

    def volume_at(self, price: float) -> float | None:
        """The volume on the piece containing `price`; None at a breakpoint or outside the traced window."""
        if not self.window[0] - PRICE_TOL_USD_PER_BBL <= price <= self.window[1] + PRICE_TOL_USD_PER_BBL:
            return None
        volume = self.breakpoints[0][1] if self.breakpoints else self.plan_volume
        for p, _, above in self.breakpoints:
            if abs(price - p) <= PRICE_TOL_USD_PER_BBL:
                return None
            if p < price:
                volume = above
        return volume

    def at_breakpoint(self) -> tuple[float, float] | None:
        """(volume just below, just above) when today's price is a breakpoint, else None."""
        for p, below, above in self.breakpoints:
            if abs(p - self.current_price) <= PRICE_TOL_USD_PER_BBL:
                return below, above
        return None

    def breakeven(self) -> tuple[float, str]:
        """The price at which the crude enters (not taken in the reported plan) or starts to leave (taken)."""
        if self.plan_volume > VOLUME_TOL_KBD:
            above = [p for p, _, after in self.breakpoints
                     if p >= self.current_price - PRICE_TOL_USD_PER_BBL and after < self.plan_volume - VOLUME_TOL_KBD]
            return (min(above) if above else math.nan), "leave"
        below = [p for p, before, _ in self.breakpoints
                 if p <= self.current_price + PRICE_TOL_USD_PER_BBL and before > VOLUME_TOL_KBD]
        return (max(below) if below else math.nan), "enter"

    def to_fob(self, price: float) -> float:
        return self.current_fob + (price - self.current_price) * self.fob_per_price


class PriceParametric:
    """Re-solves one built model with one crude's price shifted by theta at chosen refineries.

    A price enters the LP only as the objective coefficient of Buy[r,c], so the points of a curve are
    solved by changing those costs on the underlying HiGHS object directly (hot-started dual simplex),
    not through a Pyomo parameter update, which re-evaluates every mutable coefficient of the model.
    `restore` puts the costs back, so the Pyomo model and HiGHS agree again afterwards.
    """

    def __init__(self, solver: SlateSolver, columns: list[int], gains: list[float]):
        assert solver.highs is not None
        self.highs = solver.highs
        self.columns = columns
        costs = list(self.highs.getLp().col_cost_)
        self.base_cost = [costs[j] for j in columns]
        # the objective coefficient is -(price + freight + tariff + crude-unit cost): theta on the price basis
        # lowers it by theta x gain (gain 1 + pct/100 on FOB where an ad-valorem tariff applies)
        self.gains = gains
        self.solves = 0

    def _set(self, theta: float) -> None:
        for j, cost, gain in zip(self.columns, self.base_cost, self.gains):
            self.highs.changeColCost(j, cost - theta * gain)

    def evaluate(self, theta: float) -> tuple[float, float, float]:
        """(margin, minus its slope = sum gain x, volume = sum x) at theta."""
        self._set(theta)
        self.highs.run()
        self.solves += 1
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise CrudeSlateError(f"a price re-solve ended {self.highs.modelStatusToString(status)}; "
                                  "the valuation cannot go on")
        values = self.highs.getSolution().col_value
        x = [values[j] for j in self.columns]
        return (self.highs.getInfo().objective_function_value, sum(g * v for g, v in zip(self.gains, x)), sum(x))

    def restore(self) -> None:
        self._set(0.0)

    def breakpoints(self, lo: float, hi: float) -> tuple[list[float], tuple[float, float]]:
        """Every theta where the slope changes, by the intersection method, and the traced interval.

        Intervals nearest today's price (theta = 0) are searched first, so when the solve budget runs
        out the breakpoints found form a complete picture of a contiguous interval around today's
        price (returned with them), never a patchwork with gaps."""
        known = {lo: self.evaluate(lo)[:2], hi: self.evaluate(hi)[:2]}
        queue = [(self._distance(lo, hi), lo, hi)]
        found = []
        while queue and self.solves < MAX_SOLVES_PER_CURVE:
            _, a, b = heapq.heappop(queue)
            (va, qa), (vb, qb) = known[a], known[b]
            if abs(qa - qb) <= VOLUME_TOL_KBD:
                continue  # one linear piece
            # tangent at a: V = va - qa (t - a); tangent at b: V = vb - qb (t - b)
            t = (va - vb + qa * a - qb * b) / (qa - qb)
            if not a < t < b or min(t - a, b - t) < 1e-9:
                found.append(min(max(t, a), b))
                continue
            vt, qt, _ = self.evaluate(t)
            known[t] = (vt, qt)
            if abs(vt - (va - qa * (t - a))) <= _objective_tol(vt):
                found.append(t)
            else:
                heapq.heappush(queue, (self._distance(a, t), a, t))
                heapq.heappush(queue, (self._distance(t, b), t, b))
        traced_lo = max([b for _, a, b in queue if b <= 0], default=lo)
        traced_hi = min([a for _, a, b in queue if a >= 0], default=hi)
        return sorted({t for t in found if traced_lo <= t <= traced_hi}), (traced_lo, traced_hi)

    @staticmethod
    def _distance(a: float, b: float) -> float:
        return 0.0 if a <= 0 <= b else min(abs(a), abs(b))


@dataclass
class Valuation:
    """A solved scenario ready to value: its data, the solver holding its LP, the plan and its optimal face."""

    instance: Instance
    d: ModelData
    solver: SlateSolver
    result: SolveResult
    face: OptimalFace

    def buy_columns(self, crude: str, refineries: list[str]) -> list[int]:
        assert self.solver.model is not None
        return self.solver.column_positions([self.solver.model.Buy[(r, crude)] for r in refineries])


def prepare(resolved: Instance, what: str = "value") -> Valuation:
    """Solve a resolved, validated scenario; a scenario without an optimal plan is refused (exit 3 or 4)."""
    d = derive(resolved)
    solver = SlateSolver()
    res = solver.solve(d, with_duals=False)
    if res.status != OPTIMAL:
        sets = " ".join(f"--set '{a.removeprefix('--set ')}'" for a in resolved.applied if a.startswith("--set "))
        raise NoPlanError(f"scenario {resolved.scenario} is {res.status}: there is no plan to {what}; run "
                          f"`crudeslate explain {resolved.path} --scenario {resolved.scenario}"
                          f"{' ' + sets if sets else ''}` for why", res.status)
    return Valuation(resolved, d, solver, res, OptimalFace(solver))


def price_curve(v: Valuation, crude: str, scope: str, window_usd_per_bbl: float) -> Curve:
    d = v.d
    refineries = d.REFINERIES if scope == COAST else [scope]
    columns = v.buy_columns(crude, refineries)
    if scope == COAST:
        gains = [1.0 + d.tariff_pct[(r, crude)] / 100.0 for r in refineries]
        current, basis, fob_per_price = d.fob_usd_per_bbl[crude], "fob", 1.0
    else:
        gains = [1.0]
        current, basis = d.delivered_usd_per_bbl(scope, crude), "delivered"
        fob_per_price = 1.0 / (1.0 + d.tariff_pct[(scope, crude)] / 100.0)
    para = PriceParametric(v.solver, columns, gains)
    # the FOB price itself does not go below zero
    lo = -min(window_usd_per_bbl, d.fob_usd_per_bbl[crude] / fob_per_price)
    hi = window_usd_per_bbl
    plan_volume = sum(v.result.values["Buy"][(r, crude)] for r in refineries)
    low, high = v.face.extreme(columns)
    try:
        thetas, (traced_lo, traced_hi) = para.breakpoints(lo, hi)
        edges = [traced_lo, *thetas, traced_hi]
        # the slope and volume on each piece, from one solve inside it
        pieces = [para.evaluate((x + y) / 2)[1:] for x, y in zip(edges[:-1], edges[1:])]
        points = []
        for i, t in enumerate(thetas):  # a breakpoint found twice (within rounding) has equal slopes either side
            if abs(pieces[i][0] - pieces[i + 1][0]) > VOLUME_TOL_KBD:
                points.append((current + t, pieces[i][1], pieces[i + 1][1]))
        curve = Curve(crude, scope, basis, current, d.fob_usd_per_bbl[crude], fob_per_price, plan_volume, points,
                      (current + traced_lo, current + traced_hi), complete=(traced_lo, traced_hi) == (lo, hi),
                      volume_range=(max(low, 0.0), max(high, 0.0)))
        bans = {pair for kind, _, pairs in d.rules.values() if kind == "ban" for pair in pairs}
        if all((r, crude) in bans for r in refineries):
            curve.notes.append("banned here: no price brings it in")
        if len(set(gains)) > 1:
            curve.notes.append("tariff rates differ between refineries: the curve's volumes are one optimal "
                               "split, the slope (volume weighted by each refinery's tariff) is exact")
        _check_range(curve)
        breakeven, direction = curve.breakeven()
        if math.isfinite(breakeven):
            step = CONFIRM_STEP_USD_PER_BBL
            curve.confirm = (para.evaluate(breakeven - current - step)[2], para.evaluate(breakeven - current + step)[2])
            curve.confirmed = _confirmed(curve, breakeven, direction)
    finally:
        para.restore()
    return curve


def _check_range(curve: Curve) -> None:
    """The curve's two sides of today's price must bound the optimal-face range (two formulations)."""
    side = curve.at_breakpoint()
    expected = (min(side), max(side)) if side else (curve.volume_at(curve.current_price),) * 2
    low, high = curve.volume_range
    if expected[0] is None:
        return
    tol = 1e-5 * max(1.0, high)
    if abs(expected[0] - low) > tol or abs(expected[1] - high) > tol:
        curve.notes.append(f"the curve gives {expected[0]:.4f}-{expected[1]:.4f} kb/d at today's price, the optimal "
                           f"plans {low:.4f}-{high:.4f} kb/d")


def _confirmed(curve: Curve, breakeven: float, direction: str) -> bool:
    step = CONFIRM_STEP_USD_PER_BBL
    below, above = curve.confirm
    tol = 1e-5 * max(1.0, abs(below), abs(above))
    for price, solved in ((breakeven - step, below), (breakeven + step, above)):
        expected = curve.volume_at(price)
        if expected is not None and abs(expected - solved) > tol:
            return False
    if direction == "leave":
        return above < below - tol
    return below > tol and above <= tol


def curve_rows(scenario: str, curves: list[Curve]) -> tuple[pd.DataFrame, pd.DataFrame]:
    values, points = [], []
    for curve in curves:
        breakeven, direction = curve.breakeven()
        low, high = curve.volume_range
        values.append({
            "scenario": scenario, "crude_id": curve.crude_id, "refinery_id": curve.scope,
            "price_basis": curve.price_basis, "volume_kbd": curve.plan_volume,
            "current_delivered_usd_per_bbl": curve.current_price, "breakeven_usd_per_bbl": breakeven,
            "direction": direction, "method": PARAMETRIC,
            "volume_below_breakeven_kbd": curve.confirm[0], "volume_above_breakeven_kbd": curve.confirm[1],
            "traced_from_usd_per_bbl": curve.window[0], "traced_to_usd_per_bbl": curve.window[1],
            "curve_complete": curve.complete,
            "volume_min_kbd": low, "volume_max_kbd": high, "volume_unique": high - low <= VOLUME_TOL_KBD * max(1, high),
            "today_at_breakpoint": curve.at_breakpoint() is not None,
            "confirmed": "" if curve.confirmed is None else curve.confirmed,
            "current_fob_usd_per_bbl": curve.current_fob,
            "breakeven_fob_usd_per_bbl": curve.to_fob(breakeven) if math.isfinite(breakeven) else math.nan,
            "note": "; ".join(curve.notes),
        })
        for price, below, above in curve.breakpoints:
            points.append({"scenario": scenario, "crude_id": curve.crude_id, "refinery_id": curve.scope,
                           "price_basis": curve.price_basis, "price_usd_per_bbl": price,
                           "volume_below_kbd": below, "volume_above_kbd": above, "method": PARAMETRIC,
                           "fob_usd_per_bbl": curve.to_fob(price)})
    columns = ["scenario", "crude_id", "refinery_id", "price_basis", "price_usd_per_bbl", "volume_below_kbd",
               "volume_above_kbd", "method", "fob_usd_per_bbl"]
    return pd.DataFrame(values), pd.DataFrame(points, columns=columns)


def value_curves(v: Valuation, crudes: list[str] | None, refineries: list[str] | None,
                 window_usd_per_bbl: float = 40.0, include_coast: bool = True) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                        list[Curve]]:
    chosen = v.d.CRUDES if crudes is None else crudes
    scopes = (v.d.REFINERIES if refineries is None else refineries) + ([COAST] if include_coast else [])
    curves = [price_curve(v, c, scope, window_usd_per_bbl) for c in chosen for scope in scopes]
    values, points = curve_rows(v.instance.scenario, curves)
    return values, points, curves


def crude_values(instance: Instance, scenario: str, crudes: list[str] | None = None,
                 refineries: list[str] | None = None, window_usd_per_bbl: float = 40.0,
                 include_coast: bool = True, sets: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                  list[Curve]]:
    """crude_values and breakpoints tables for the requested crudes (default all), per refinery and coast."""
    resolved = resolve(instance, scenario, sets)
    validate(resolved)
    return value_curves(prepare(resolved), crudes, refineries, window_usd_per_bbl, include_coast)


# -- the price of a policy rule ---------------------------------------------------------------------


def _refinery_margins(instance: Instance, d: ModelData, values: dict[str, dict[Any, float]]) -> dict[str, float]:
    from optimizer.results import build_tables

    res = SolveResult(OPTIMAL, "", None, 0.0, 0.0, None, values=values)
    table = build_tables(instance, d, res)["refineries"]
    return dict(zip(table["refinery_id"], table["margin_kusd_per_day"]))


def _plan_vector(solver: SlateSolver, values: dict[str, dict[Any, float]]) -> np.ndarray:
    """The plan `values` as a column vector of `solver`'s LP (the same variables, maybe other rows)."""
    lp_cols = sum(len(v.keys) for v in solver.variable_columns())
    x = np.zeros(lp_cols)
    for var in solver.variable_columns():
        given = values[var.name]
        x[var.columns] = [given[k] for k in var.keys]
    return x


def policy_costs(instance: Instance, scenario: str, window_usd_per_bbl: float = 40.0,
                 sets: tuple[str, ...] = ()) -> pd.DataFrame:
    """What each policy rule of the scenario costs the coast and each refinery per day.

    cost = margin without the rule - margin with it (method `resolve`). Per refinery, the plan without
    the rule is the optimal one nearest the plan with it (least barrels moved): when several plans earn
    the same margin, the split of a cost between refineries is otherwise arbitrary.
    `refinery_split_unique` says whether both plans are the only optima (then the split is a fact).
    Beside the cost: the rule's marginal value and validity range, and bounds on the cost from them
    (method `ranging`); for a ban, the discount at which each banned grade would come into the slate
    once the ban is lifted (method `parametric`; 0 when it comes in at today's price).
    """
    with_rule = resolve(instance, scenario, sets)
    validate(with_rule)
    d = derive(with_rule)
    solver = SlateSolver()
    res = solver.solve(d, with_ranging=True)
    if res.status != OPTIMAL:
        raise NoPlanError(f"scenario {scenario} is {res.status}: there is no plan to price the rules against",
                          res.status)
    assert res.objective_kusd_per_day is not None
    objective = res.objective_kusd_per_day
    margins = _refinery_margins(with_rule, d, res.values)
    unique_with = OptimalFace(solver).is_point()
    rows = []
    for rule_id, rule in with_rule.tables["policies"].iterrows():
        without = with_rule.copy()
        without.tables["policies"] = without.tables["policies"].drop(index=rule_id)
        d_wo = derive(without)
        solver_wo = SlateSolver()
        res_wo = solver_wo.solve(d_wo, with_duals=False)
        kind = rule["kind"]
        family = {"ban": "policy_cap", "cap": "policy_cap", "floor": "policy_floor"}.get(kind)
        matched = d.rules[rule_id][2] if rule_id in d.rules else [
            pair for pair in d.PAIRS if d.tariff_usd_per_bbl[pair] != d_wo.tariff_usd_per_bbl[pair]]
        common = {"scenario": scenario, "rule_id": rule_id, "kind": kind, "description": rule["description"],
                  "status_without_rule": res_wo.status, "method": RESOLVE}
        held = {r: sum(res.values["Buy"][(rr, c)] for rr, c in matched if rr == r) for r in d.REFINERIES}
        if res_wo.status != OPTIMAL:
            rows.append({**common, "refinery_id": COAST, "crude_id": "", "cost_kusd_per_day": math.nan,
                         "volume_under_rule_kbd": sum(held.values())})
            continue
        assert res_wo.objective_kusd_per_day is not None
        face_wo = OptimalFace(solver_wo)
        pinned = values_by_name(solver_wo, face_wo.nearest(_plan_vector(solver_wo, res.values)))
        split_unique = unique_with and face_wo.is_point()
        margins_wo = _refinery_margins(without, d_wo, pinned)
        free = {r: sum(pinned["Buy"][(rr, c)] for rr, c in matched if rr == r) for r in d.REFINERIES}
        coast_cost = res_wo.objective_kusd_per_day - objective
        mv = _ranging_columns(res, d, d_wo, rule_id, family, kind, matched, sum(held.values()), sum(free.values()),
                              res.values, pinned)
        rows.append({**common, "refinery_id": COAST, "crude_id": "", "cost_kusd_per_day": coast_cost,
                     "volume_under_rule_kbd": sum(held.values()), "volume_without_rule_kbd": sum(free.values()),
                     **mv, "resolve_within_ranging_bounds": bool(
                         mv["ranging_cost_low_kusd_per_day"] - _objective_tol(objective) <= coast_cost
                         <= mv["ranging_cost_high_kusd_per_day"] + _objective_tol(objective)),
                     "refinery_split_unique": split_unique, "entry_discount_usd_per_bbl": math.nan})
        for r in d.REFINERIES:
            rows.append({**common, "refinery_id": r, "crude_id": "",
                         "cost_kusd_per_day": _difference(margins_wo[r], margins[r]),
                         "volume_under_rule_kbd": held[r], "volume_without_rule_kbd": free[r],
                         "refinery_split_unique": split_unique})
        if kind == "ban":
            banned = sorted({c for _, c in matched})
            without.scenario = f"{scenario} without {rule_id}"
            values, _, _ = value_curves(prepare(without, "value"), banned, [], window_usd_per_bbl)
            for v in values.itertuples():
                comes_in = v.volume_max_kbd > VOLUME_TOL_KBD  # in some optimal plan at today's price
                discount = 0.0 if comes_in else v.current_fob_usd_per_bbl - v.breakeven_fob_usd_per_bbl
                rows.append({**common, "refinery_id": COAST, "crude_id": v.crude_id, "method": PARAMETRIC,
                             "entry_discount_usd_per_bbl": discount, "volume_without_rule_kbd": v.volume_kbd})
    return pd.DataFrame(rows)


def _ranging_columns(res: SolveResult, d: ModelData, d_wo: ModelData, rule_id: str, family: str | None, kind: str,
                     matched: list[tuple[str, str]], held: float, free: float, plan: dict[str, dict[Any, float]],
                     pinned: dict[str, dict[Any, float]]) -> dict[str, Any]:
    """The rule's marginal value and validity range, and the bounds they put on its cost (method `ranging`).

    A cap (ban) binding at b0 with dual y >= 0: the margin V(b) is concave in b, linear with slope y on
    [b0, to] and flat from the volume the rule's scope takes without it (b_free) on, so
        y x (min(to, b_free) - b0)  <=  cost  <=  y x (b_free - b0).
    A floor likewise downwards (y <= 0). A tariff changes costs only: V is convex in the costs, so the
    cost lies between the tariff bill of the plan with it and that of the plan without it."""
    if family is None:  # a tariff
        rate = {pair: d.tariff_usd_per_bbl[pair] - d_wo.tariff_usd_per_bbl[pair] for pair in matched}
        bill_with = sum(rate[p] * plan["Buy"][p] for p in matched)
        bill_without = sum(rate[p] * pinned["Buy"][p] for p in matched)
        return {"marginal_value_usd_per_bbl": math.nan, "bound_valid_from_kbd": math.nan,
                "bound_valid_to_kbd": math.nan, "marginal_value_unique": "", "ranging_method": "tariff bills",
                "ranging_cost_low_kusd_per_day": bill_with, "ranging_cost_high_kusd_per_day": bill_without}
    assert res.ranging is not None
    dual = res.duals[family][rule_id]
    rng = res.ranging.rows[family][rule_id]
    b0 = d.rules[rule_id][1]
    if family == "policy_cap":
        gain_low = dual * max(0.0, min(rng.valid_to, free) - b0)
        gain_high = dual * max(0.0, free - b0)
    else:
        gain_low = -dual * max(0.0, b0 - max(rng.valid_from, free))
        gain_high = -dual * max(0.0, b0 - free)
    return {"marginal_value_usd_per_bbl": dual, "bound_valid_from_kbd": rng.valid_from,
            "bound_valid_to_kbd": rng.valid_to, "marginal_value_unique": rng.unique,
            "ranging_method": "marginal value over its validity range",
            "ranging_cost_low_kusd_per_day": gain_low, "ranging_cost_high_kusd_per_day": gain_high}


def print_values(values: pd.DataFrame, costs: pd.DataFrame, folder: Any, refineries: bool = False) -> None:
    """Breakevens (the coast, then each requested refinery) and policy costs, on the terminal."""
    import click

    from optimizer.report import _table

    def number(x: float, digits: int = 2) -> str:
        return "-" if x != x else f"{x:,.{digits}f}"

    def volume(v: Any) -> str:
        if v.volume_unique:
            return f"{v.volume_kbd:.1f}"
        return f"{v.volume_kbd:.1f} ({v.volume_min_kbd:.1f}-{v.volume_max_kbd:.1f})"

    shown = values if refineries else values[values["refinery_id"] == COAST]
    rows = [[v.crude_id, v.refinery_id, v.price_basis, volume(v), number(v.current_delivered_usd_per_bbl),
             number(v.breakeven_usd_per_bbl), number(v.breakeven_fob_usd_per_bbl), v.direction,
             {True: "yes", False: "NO"}.get(v.confirmed, "-")] for v in shown.itertuples()]
    click.echo("Breakevens (parametric; the price on the row's basis: delivered at a refinery, FOB for the coast):")
    click.echo(_table(["crude", "where", "basis", "kb/d (range if tied)", "price $/bbl", "breakeven $/bbl",
                       "as FOB $/bbl", "when", "confirmed"], rows))
    tied = shown[~shown["volume_unique"].astype(bool)] if len(shown) else shown
    if len(tied):
        click.echo(f"  {len(tied)} row(s) sit at a breakpoint today: several volumes earn the same margin (the range "
                   "shown); the plan's volume is one of them.")
    unconfirmed = shown[shown["confirmed"].astype(str) == "False"] if len(shown) else shown
    if len(unconfirmed):
        click.echo(f"  WARNING: {len(unconfirmed)} breakeven(s) not confirmed by the re-solves 0.01 $/bbl either "
                   "side (column confirmed); do not act on them.")
    rules = costs[(costs["refinery_id"] == COAST) & (costs["crude_id"] == "")] if len(costs) else costs
    if len(rules):
        click.echo("")
        click.echo("Policy rules, cost to the coast (margin without the rule - with it; ranging bounds beside):")
        click.echo(_table(["rule", "kind", "kUSD/d", "ranging bounds kUSD/d", "marginal $/bbl", "split unique"],
                          [[r.rule_id, r.kind, number(r.cost_kusd_per_day, 1),
                            f"{number(getattr(r, 'ranging_cost_low_kusd_per_day', math.nan), 1)} to "
                            f"{number(getattr(r, 'ranging_cost_high_kusd_per_day', math.nan), 1)}",
                            number(r.marginal_value_usd_per_bbl), str(getattr(r, "refinery_split_unique", ""))]
                           for r in rules.itertuples()]))
    click.echo(f"written to {folder}")
