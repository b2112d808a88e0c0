"""Crude valuation: exact breakevens and whole volume-price curves; the price of each policy rule.

Breakevens come from parametric analysis of one crude's price, not from a grid. The margin
V(theta), with the crude's price raised by theta, is convex and piecewise linear in theta, and its
slope is minus the volume taken. The intersection (Eisner-Severance) method finds every breakpoint
exactly: the tangent lines at two prices meet at a price where either V lies on both lines (a
breakpoint) or a new piece begins (split there and recurse). Each breakeven is then confirmed by
re-solving 0.01 $/bbl on each side of it.

Method names written to the outputs: `parametric` (this), `resolve` (a policy's cost measured by a
solve without the rule), `ranging` (a dual times its validity range). They are not mixed in a column.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import highspy
import pandas as pd

from optimizer.data import ModelData, derive
from optimizer.errors import CrudeSlateError
from optimizer.instance import Instance
from optimizer.scenarios import resolve
from optimizer.solve import OPTIMAL, SlateSolver
from optimizer.validate import validate

COAST = "coast"
CONFIRM_STEP_USD_PER_BBL = 0.01
VOLUME_TOL_KBD = 1e-6
MAX_SOLVES_PER_CURVE = 600  # a budget per curve; the trace reports how far it got
PARAMETRIC = "parametric"
RESOLVE = "resolve"


def _objective_tol(value: float) -> float:
    return 1e-7 * max(1.0, abs(value))


@dataclass
class Curve:
    """Volume of one crude against its own price, for one refinery or the coast."""

    crude_id: str
    scope: str  # refinery id or COAST
    price_basis: str  # "delivered" (one refinery) or "fob" (coast: price before freight and tariffs)
    current_price: float
    current_volume: float
    breakpoints: list[tuple[float, float, float]]  # (price, volume on the piece below, on the piece above)
    window: tuple[float, float]  # the price interval traced completely
    complete: bool = True  # False when the solve budget ended the trace before the requested window
    confirm: tuple[float, float] = (math.nan, math.nan)  # re-solved volumes 0.01 $/bbl below / above the breakeven

    def breakeven(self) -> tuple[float, str]:
        """The price at which the crude enters (not taken) or starts to leave (taken) the slate."""
        tol = 1e-9
        if self.current_volume > VOLUME_TOL_KBD:
            above = [p for p, below, after in self.breakpoints
                     if p >= self.current_price - tol and after < self.current_volume - VOLUME_TOL_KBD]
            return (min(above) if above else math.nan), "leave"
        below = [p for p, before, _ in self.breakpoints if p <= self.current_price + tol and before > VOLUME_TOL_KBD]
        return (max(below) if below else math.nan), "enter"


class PriceParametric:
    """Re-solves one built model with one crude's price shifted by theta at chosen refineries.

    A price enters the LP only as the objective coefficient of Buy[r,c], so the points of a curve are
    solved by changing those costs on the underlying HiGHS object directly (hot-started dual simplex),
    not through a Pyomo parameter update, which re-evaluates every mutable coefficient of the model.
    `restore` puts the costs back, so the Pyomo model and HiGHS agree again afterwards.
    """

    def __init__(self, solver: SlateSolver, d: ModelData, crude: str, refineries: list[str]):
        assert solver.model is not None and solver.highs is not None
        self.highs = solver.highs
        pairs = [(r, crude) for r in refineries]
        self.columns = solver.column_positions([solver.model.Buy[pair] for pair in pairs])
        costs = list(self.highs.getLp().col_cost_)
        self.base_cost = [costs[j] for j in self.columns]
        # the objective coefficient is -(price + freight + tariff + crude-unit cost): a price rise of theta
        # lowers it by theta, and by theta x pct/100 more where an ad-valorem tariff applies
        self.gain = [1.0 + d.tariff_pct[pair] / 100.0 for pair in pairs]
        self.solves = 0

    def _set(self, theta: float) -> None:
        for j, cost, gain in zip(self.columns, self.base_cost, self.gain):
            self.highs.changeColCost(j, cost - theta * gain)

    def evaluate(self, theta: float) -> tuple[float, float]:
        self._set(theta)
        self.highs.run()
        self.solves += 1
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise CrudeSlateError(f"a price re-solve ended {self.highs.modelStatusToString(status)}; "
                                  "the valuation cannot go on")
        values = self.highs.getSolution().col_value
        return self.highs.getInfo().objective_function_value, sum(values[j] for j in self.columns)

    def restore(self) -> None:
        self._set(0.0)

    def breakpoints(self, lo: float, hi: float) -> tuple[list[float], tuple[float, float]]:
        """Every theta where the volume changes, by the intersection method, and the traced interval.

        Intervals nearest today's price (theta = 0) are searched first, so when the solve budget runs
        out the breakpoints found form a complete picture of a contiguous interval around today's
        price (returned with them), never a patchwork with gaps."""
        known = {lo: self.evaluate(lo), hi: self.evaluate(hi)}
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
            vt, qt = self.evaluate(t)
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


def price_curve(solver: SlateSolver, d: ModelData, crude: str, scope: str, window_usd_per_bbl: float) -> Curve:
    refineries = d.REFINERIES if scope == COAST else [scope]
    para = PriceParametric(solver, d, crude, refineries)
    current = d.fob_usd_per_bbl[crude] if scope == COAST else d.delivered_usd_per_bbl(scope, crude)
    lo = -min(window_usd_per_bbl, d.fob_usd_per_bbl[crude])  # the price itself does not go below zero
    hi = window_usd_per_bbl
    try:
        _, volume = para.evaluate(0.0)
        thetas, (traced_lo, traced_hi) = para.breakpoints(lo, hi)
        edges = [traced_lo, *thetas, traced_hi]
        # the volume on each piece, from one solve inside it
        pieces = [para.evaluate((x + y) / 2)[1] for x, y in zip(edges[:-1], edges[1:])]
        points = [(current + t, pieces[i], pieces[i + 1]) for i, t in enumerate(thetas)]
        curve = Curve(crude, scope, "fob" if scope == COAST else "delivered", current, volume, points,
                      (current + traced_lo, current + traced_hi), complete=(traced_lo, traced_hi) == (lo, hi))
        breakeven, _ = curve.breakeven()
        if math.isfinite(breakeven):
            curve.confirm = (para.evaluate(breakeven - current - CONFIRM_STEP_USD_PER_BBL)[1],
                             para.evaluate(breakeven - current + CONFIRM_STEP_USD_PER_BBL)[1])
    finally:
        para.restore()
    return curve


def crude_values(instance: Instance, scenario: str, crudes: list[str] | None = None,
                 refineries: list[str] | None = None, window_usd_per_bbl: float = 40.0,
                 include_coast: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, list[Curve]]:
    """crude_values and breakpoints tables for the requested crudes (default all), per refinery and coast."""
    resolved = resolve(instance, scenario)
    validate(resolved)
    d = derive(resolved)
    solver = SlateSolver()
    base = solver.solve(d, with_duals=False)
    if base.status != OPTIMAL:
        raise CrudeSlateError(f"scenario {scenario} is {base.status}: there is no plan to value "
                              f"(see `crudeslate solve` for the diagnosis)")
    crudes = d.CRUDES if crudes is None else crudes
    scopes = (d.REFINERIES if refineries is None else refineries) + ([COAST] if include_coast else [])
    curves = [price_curve(solver, d, c, scope, window_usd_per_bbl) for c in crudes for scope in scopes]
    values, points = [], []
    for curve in curves:
        breakeven, direction = curve.breakeven()
        confirm = curve.confirm
        values.append({
            "scenario": scenario, "crude_id": curve.crude_id, "refinery_id": curve.scope,
            "price_basis": curve.price_basis, "volume_kbd": curve.current_volume,
            "current_delivered_usd_per_bbl": curve.current_price, "breakeven_usd_per_bbl": breakeven,
            "direction": direction, "method": PARAMETRIC,
            "volume_below_breakeven_kbd": confirm[0], "volume_above_breakeven_kbd": confirm[1],
            "traced_from_usd_per_bbl": curve.window[0], "traced_to_usd_per_bbl": curve.window[1],
            "curve_complete": curve.complete,
        })
        for price, below, above in curve.breakpoints:
            points.append({"scenario": scenario, "crude_id": curve.crude_id, "refinery_id": curve.scope,
                           "price_basis": curve.price_basis, "price_usd_per_bbl": price,
                           "volume_below_kbd": below, "volume_above_kbd": above, "method": PARAMETRIC})
    columns = ["scenario", "crude_id", "refinery_id", "price_basis", "price_usd_per_bbl", "volume_below_kbd",
               "volume_above_kbd", "method"]
    return pd.DataFrame(values), pd.DataFrame(points, columns=columns), curves


def _margins(instance: Instance) -> tuple[str, float | None, dict[str, float]]:
    from optimizer.results import build_tables

    d = derive(instance)
    res = SlateSolver().solve(d, with_ranging=True)
    if res.status != OPTIMAL:
        return res.status, None, {}
    tables = build_tables(instance, d, res)
    return res.status, res.objective_kusd_per_day, dict(zip(tables["refineries"]["refinery_id"],
                                                             tables["refineries"]["margin_kusd_per_day"]))


def policy_costs(instance: Instance, scenario: str, window_usd_per_bbl: float = 40.0) -> pd.DataFrame:
    """What each policy rule of the scenario costs the coast and each refinery per day.

    cost = margin without the rule - margin with it (method `resolve`); beside it the rule's marginal
    value and validity range (method `ranging`), and for a ban the discount at which each banned grade
    would come into the slate once the ban is lifted (method `parametric`; 0 when it comes in at today's price).
    """
    from optimizer.ranging import RowRange

    with_rule = resolve(instance, scenario)
    validate(with_rule)
    d = derive(with_rule)
    res = SlateSolver().solve(d, with_ranging=True)
    if res.status != OPTIMAL:
        raise CrudeSlateError(f"scenario {scenario} is {res.status}: there is no plan to price the rules against")
    status, objective, margins = _margins(with_rule)
    rows = []
    for rule_id, rule in with_rule.tables["policies"].iterrows():
        without = with_rule.copy()
        without.tables["policies"] = without.tables["policies"].drop(index=rule_id)
        status_wo, objective_wo, margins_wo = _margins(without)
        kind = rule["kind"]
        family = {"ban": "policy_cap", "cap": "policy_cap", "floor": "policy_floor"}.get(kind)
        dual = res.duals.get(family, {}).get(rule_id, math.nan) if family else math.nan
        row_range = res.ranging.rows.get(family, {}).get(rule_id) if (family and res.ranging) else None
        if row_range is None:
            row_range = RowRange("", None, math.nan, math.nan)
        matched = d.rules[rule_id][2] if rule_id in d.rules else []
        held = sum(res.values["Buy"][pair] for pair in matched)
        common = {"scenario": scenario, "rule_id": rule_id, "kind": kind, "description": rule["description"],
                  "status_without_rule": status_wo, "method": RESOLVE}
        coast_cost = (objective_wo - objective) if objective_wo is not None and objective is not None else math.nan
        rows.append({**common, "refinery_id": COAST, "crude_id": "", "cost_kusd_per_day": coast_cost,
                     "volume_under_rule_kbd": held if family else math.nan,
                     "marginal_value_usd_per_bbl": dual, "bound_valid_from_kbd": row_range.valid_from,
                     "bound_valid_to_kbd": row_range.valid_to, "marginal_value_unique": row_range.unique,
                     "entry_discount_usd_per_bbl": math.nan})
        for r in d.REFINERIES:
            cost = margins_wo.get(r, math.nan) - margins.get(r, math.nan)
            rows.append({**common, "refinery_id": r, "crude_id": "", "cost_kusd_per_day": cost})
        if kind == "ban" and status_wo == OPTIMAL:
            banned = sorted({c for _, c in matched})
            values, _, _ = crude_values(_as_base(without), "base", crudes=banned, refineries=[],
                                        window_usd_per_bbl=window_usd_per_bbl)
            for v in values.itertuples():
                discount = (0.0 if v.volume_kbd > VOLUME_TOL_KBD
                            else v.current_delivered_usd_per_bbl - v.breakeven_usd_per_bbl)
                rows.append({**common, "refinery_id": COAST, "crude_id": v.crude_id, "method": PARAMETRIC,
                             "entry_discount_usd_per_bbl": discount,
                             "volume_without_rule_kbd": v.volume_kbd})
    return pd.DataFrame(rows)


def _as_base(instance: Instance) -> Instance:
    """A resolved instance treated as its own base case (its scenario's changes are already in the tables)."""
    base = instance.copy()
    base.scenarios = {}
    base.scenario = "base"
    return base
