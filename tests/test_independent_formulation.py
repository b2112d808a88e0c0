"""A second formulation of the crude-slate LP must agree with the Pyomo model.

The LP is assembled here a second way, straight from the instance's CSV files (read with pandas, not through
optimizer.instance / data / model / constraints), from the maths in the docstrings of optimizer/constraints.py,
as a column-wise sparse matrix (numpy arrays: scipy is not a dependency of the project) handed to highspy.
On generated 30-refinery x 40-crude instances (tests/generate.py, two seeds) the two must agree on:

- the variable index sets (Buy, Feed, Blend, Sell, TierBuy, StreamBuy, Transfer) and the optimal margin, to
  1e-6 relative;
- the total crude run;
- each formulation's optimum is feasible for the other (a check that does not depend on degeneracy);
- the duals of crude_unit_capacity, sulfur_plant, unit_capacity, crude_availability, link_capacity,
  policy_cap, stream_purchase_limit and stream_transfer_capacity rows where the dual is unique. A dual is unique when the row is slack (complementary slackness
  makes it 0 in every optimal dual) or when the optimal margin is differentiable in the row's bound, which is
  checked by one-sided finite differences on the highspy model. Rows where the margin has a kink in the bound
  (left and right derivatives differ: dual degenerate, e.g. a ban holding a crude at 0, a refinery or unit
  idle at its lower bound 0) have a range of valid duals and are skipped and counted.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

from optimizer.data import derive
from optimizer.instance import read_instance
from optimizer.model import CONSTRAINT_INDEX
from optimizer.solve import SlateSolver
from optimizer.validate import validate

try:
    from generate import generate
except ImportError:  # tests/ made a package
    from tests.generate import generate

SEEDS = (7, 11)
N_REFINERIES, N_CRUDES = 30, 40
INF = math.inf
DUAL_FAMILIES = ("crude_unit_capacity", "sulfur_plant", "unit_capacity", "crude_availability", "link_capacity",
                 "policy_cap", "stream_purchase_limit", "stream_transfer_capacity")


# ---------------------------------------------------------------------------------------------
# reading the CSV tables


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for path in folder.glob("*.csv"):
        tables[path.stem] = pd.read_csv(path, dtype=str, keep_default_na=False)
    return tables


def _rows(tables, name: str) -> list[dict[str, str]]:
    frame = tables.get(name)
    return [] if frame is None else frame.to_dict("records")


def _num(text: str | None, default: float | None = None) -> float | None:
    return default if text is None or text == "" else float(text)


def _sg(api: float) -> float:
    return 141.5 / (api + 131.5)


# ---------------------------------------------------------------------------------------------
# the LP


@dataclass
class LP:
    cost: list[float] = field(default_factory=list)
    col: dict[tuple, int] = field(default_factory=dict)  # (variable name, index) -> column
    rows: list[tuple[str, object, dict[int, float], float, float]] = field(default_factory=list)

    def var(self, name: str, index, cost: float) -> None:
        self.col[(name, index)] = len(self.cost)
        self.cost.append(cost)

    def row(self, family: str, index, terms, lower: float, upper: float) -> None:
        coefs: dict[int, float] = defaultdict(float)
        for key, value in terms:
            coefs[self.col[key]] += value
        self.rows.append((family, index, dict(coefs), lower, upper))


def build_lp(folder: Path) -> LP:
    """The crude-slate LP from the CSV tables, family by family as documented in optimizer/constraints.py."""
    t = _tables(folder)
    refs = {row["refinery_id"]: row for row in _rows(t, "refineries")}
    crudes = {row["crude_id"]: row for row in _rows(t, "crudes")}
    R, C = list(refs), list(crudes)
    pairs = [(r, c) for r in R for c in C]

    markers = {row["marker_id"]: float(row["price_usd_per_bbl"]) for row in _rows(t, "markers")}
    fob = {c: markers[row["marker_id"]] + float(row["differential_usd_per_bbl"]) if row.get("marker_id")
           else float(row["price_usd_per_bbl"]) for c, row in crudes.items()}
    freight = {(r, c): _num(crudes[c].get("freight_usd_per_bbl"), 0.0) for r, c in pairs}
    for row in _rows(t, "freight"):
        freight[(row["refinery_id"], row["crude_id"])] = float(row["freight_usd_per_bbl"])

    def matched(scope: dict[str, str]) -> list[tuple[str, str]]:
        def ok(c: str) -> bool:
            return all(not scope.get(col) or crudes[c].get(col, "") == scope[col] for col in ("origin", "operator")) \
                and (not scope.get("crude_id") or c == scope["crude_id"])
        sites = [scope["refinery_id"]] if scope.get("refinery_id") else R
        return [(r, c) for r in sites for c in C if ok(c)]

    tariff = {pair: 0.0 for pair in pairs}
    caps, floors = {}, {}
    for rule in _rows(t, "policies"):
        pairs_k = matched(rule)
        if rule["kind"] == "tariff":
            for r, c in pairs_k:
                tariff[(r, c)] += (_num(rule.get("tariff_pct"), 0.0) / 100 * fob[c]
                                   + _num(rule.get("tariff_usd_per_bbl"), 0.0))
        elif rule["kind"] == "ban":
            caps[rule["rule_id"]] = (0.0, pairs_k)
        elif rule["kind"] == "cap":
            caps[rule["rule_id"]] = (float(rule["volume_kbd"]), pairs_k)
        else:
            floors[rule["rule_id"]] = (float(rule["volume_kbd"]), pairs_k)

    kind = {row["stream_id"]: row.get("kind") or "intermediate" for row in _rows(t, "streams")}
    crude_yield = [(row["crude_id"], row["stream_id"], float(row["yield_vol_frac"]))
                   for row in _rows(t, "crude_yields")]
    unit_yield = [(row["unit_type"], row["feed_stream_id"], row["product_stream_id"], float(row["yield_vol_frac"]))
                  for row in _rows(t, "unit_yields")]
    feeds_of: dict[str, list[str]] = {}
    for ut, f, _, _ in unit_yield:
        if f not in feeds_of.setdefault(ut, []):
            feeds_of[ut].append(f)
    units = _rows(t, "units")
    products = {row["product_id"]: row for row in _rows(t, "products")}
    comps: dict[str, list[str]] = {}
    recipe = {}
    for row in _rows(t, "blend_components"):
        comps.setdefault(row["product_id"], []).append(row["stream_id"])
        if row.get("recipe_vol_frac", "") != "":
            recipe[(row["product_id"], row["stream_id"])] = float(row["recipe_vol_frac"])
    quality = {(row["stream_id"], row["quality_id"]): float(row["value"]) for row in _rows(t, "stream_qualities")}
    tiers = {(row["crude_id"], int(float(row["tier"]))):
             (float(row["volume_kbd"]), float(row["price_adder_usd_per_bbl"])) for row in _rows(t, "crude_tiers")}

    # stream trade. A stream has a use at a refinery where one of its units takes it or a product blends it, and
    # where a transfer sends it to a refinery where it has a use; a purchase row without a refinery covers every
    # refinery where the stream has a use.
    purchases = _rows(t, "stream_purchases")
    transfers = _rows(t, "stream_transfers")
    blended = {s for streams in comps.values() for s in streams}
    has_use = {r: blended | {f for u in units if u["refinery_id"] == r for f in feeds_of[u["unit_type"]]} for r in R}
    grew = True
    while grew:
        grew = False
        for x in transfers:
            s, a, z = x["stream_id"], x["from_refinery_id"], x["to_refinery_id"]
            if s in has_use[z] and s not in has_use[a]:
                has_use[a].add(s)
                grew = True
    bought = [(row["purchase_id"], r) for row in purchases
              for r in ([row["refinery_id"]] if row.get("refinery_id") else [r for r in R if row["stream_id"] in has_use[r]])]
    stream_of = {row["purchase_id"]: row["stream_id"] for row in purchases}

    lp = LP()
    # objective: margin = sum price Sell - sum (fob + freight + tariff + crude unit cost) Buy - adders - unit costs
    for r, c in pairs:
        lp.var("Buy", (r, c), -(fob[c] + freight[(r, c)] + tariff[(r, c)]
                                + _num(refs[r].get("crude_unit_cost_usd_per_bbl"), 0.0)))
    for u in units:
        for f in feeds_of[u["unit_type"]]:
            lp.var("Feed", (u["refinery_id"], u["unit_id"], f), -_num(u.get("operating_cost_usd_per_bbl"), 0.0))
    for r in R:
        for p, streams in comps.items():
            for s in streams:
                lp.var("Blend", (r, p, s), 0.0)
    for r in R:
        for p in products:
            lp.var("Sell", (r, p), float(products[p]["price_usd_per_bbl"]))
    for (c, tier), (_, adder) in tiers.items():
        lp.var("TierBuy", (c, tier), -adder)
    price = {row["purchase_id"]: float(row["price_usd_per_bbl"]) for row in purchases}
    for b, r in bought:
        lp.var("StreamBuy", (b, r), -price[b])
    for x in transfers:
        lp.var("Transfer", x["transfer_id"], -_num(x.get("cost_usd_per_bbl"), 0.0))

    def buy(r):
        return [(("Buy", (r, c)), 1.0) for c in C]

    for r, row in refs.items():
        lp.row("crude_unit_capacity", r, buy(r), _num(row.get("crude_min_run_kbd"), 0.0),
               float(row["crude_capacity_kbd"]))
        sg = {c: _sg(float(crudes[c]["api_deg"])) for c in C}
        if _num(row.get("api_min_deg")) is not None:
            limit = _sg(float(row["api_min_deg"]))
            lp.row("slate_api_min", r, [(("Buy", (r, c)), sg[c] - limit) for c in C], -INF, 0.0)
        if _num(row.get("api_max_deg")) is not None:
            limit = _sg(float(row["api_max_deg"]))
            lp.row("slate_api_max", r, [(("Buy", (r, c)), sg[c] - limit) for c in C], 0.0, INF)
        if _num(row.get("sulfur_max_wt_pct")) is not None:
            limit = float(row["sulfur_max_wt_pct"])
            lp.row("slate_sulfur_max", r, [(("Buy", (r, c)), sg[c] * (float(crudes[c]["sulfur_wt_pct"]) - limit))
                                           for c in C], -INF, 0.0)
        if _num(row.get("tan_max_mg_koh_per_g")) is not None:
            limit = float(row["tan_max_mg_koh_per_g"])
            lp.row("slate_tan_max", r, [(("Buy", (r, c)), sg[c] * (float(crudes[c]["tan_mg_koh_per_g"]) - limit))
                                        for c in C], -INF, 0.0)
        if _num(row.get("sulfur_plant_capacity_t_per_day")) is not None:
            share = _num(row.get("sulfur_to_plant_frac"), 1.0)
            lp.row("sulfur_plant", r, [(("Buy", (r, c)), 1000 * 0.158987 * 0.999 * sg[c]
                                        * float(crudes[c]["sulfur_wt_pct"]) / 100 * share) for c in C],
                   -INF, float(row["sulfur_plant_capacity_t_per_day"]))

    # stream_balance[r,s]: crude yields + unit yields = unit feeds + blends, for intermediate streams
    for r in R:
        my_units = [u for u in units if u["refinery_id"] == r]
        for s, k in kind.items():
            if k != "intermediate":
                continue
            terms = [(("Buy", (r, c)), y) for c, ss, y in crude_yield if ss == s]
            for u in my_units:
                terms += [(("Feed", (r, u["unit_id"], f)), y) for ut, f, ss, y in unit_yield
                          if ut == u["unit_type"] and ss == s]
                if s in feeds_of[u["unit_type"]]:
                    terms.append((("Feed", (r, u["unit_id"], s)), -1.0))
            terms += [(("Blend", (r, p, s)), -1.0) for p, streams in comps.items() if s in streams]
            # bought and received barrels are made here, sent ones used
            terms += [(("StreamBuy", (b, rr)), 1.0) for b, rr in bought if rr == r and stream_of[b] == s]
            terms += [(("Transfer", x["transfer_id"]), 1.0) for x in transfers
                      if x["to_refinery_id"] == r and x["stream_id"] == s]
            terms += [(("Transfer", x["transfer_id"]), -1.0) for x in transfers
                      if x["from_refinery_id"] == r and x["stream_id"] == s]
            if terms:
                lp.row("stream_balance", (r, s), terms, 0.0, 0.0)

    for u in units:
        r, name = u["refinery_id"], u["unit_id"]
        lp.row("unit_capacity", (r, name), [(("Feed", (r, name, f)), 1.0) for f in feeds_of[u["unit_type"]]],
               _num(u.get("min_feed_kbd"), 0.0), float(u["capacity_kbd"]))

    specs = _rows(t, "blend_specs")
    for r in R:
        for p, streams in comps.items():
            if any(pp == p for pp, _ in recipe):
                continue  # a recipe defines its product; product_make is stated only without one
            lp.row("product_make", (r, p), [(("Sell", (r, p)), 1.0)] + [(("Blend", (r, p, s)), -1.0) for s in streams],
                   0.0, 0.0)
        for (p, s), share in recipe.items():
            lp.row("product_recipe", (r, p, s), [(("Blend", (r, p, s)), 1.0), (("Sell", (r, p)), -share)], 0.0, 0.0)
        for spec in specs:
            p, q = spec["product_id"], spec["quality_id"]
            for bound, family in (("min_value", "blend_spec_min"), ("max_value", "blend_spec_max")):
                if _num(spec.get(bound)) is None:
                    continue
                limit = float(spec[bound])
                terms = [(("Blend", (r, p, s)), quality[(s, q)] - limit) for s in comps[p]]
                lp.row(family, (r, p, q), terms, *((0.0, INF) if bound == "min_value" else (-INF, 0.0)))
        for ratio in _rows(t, "product_ratios"):
            p, p2 = ratio["product_id"], ratio["ref_product_id"]
            for bound, family in (("min_ratio", "product_ratio_min"), ("max_ratio", "product_ratio_max")):
                if _num(ratio.get(bound)) is None:
                    continue
                terms = [(("Sell", (r, p)), 1.0), (("Sell", (r, p2)), -float(ratio[bound]))]
                lp.row(family, (r, p, p2), terms, *((0.0, INF) if bound == "min_ratio" else (-INF, 0.0)))

    for p, row in products.items():
        lp.row("product_sales", p, [(("Sell", (r, p)), 1.0) for r in R], _num(row.get("min_sales_kbd"), 0.0),
               _num(row.get("max_sales_kbd"), INF))
    for row in _rows(t, "product_limits"):
        r, p = row["refinery_id"], row["product_id"]
        lp.row("refinery_product_sales", (r, p), [(("Sell", (r, p)), 1.0)], _num(row.get("min_sales_kbd"), 0.0),
               _num(row.get("max_sales_kbd"), INF))

    for c, row in crudes.items():
        if _num(row.get("availability_kbd")) is not None:
            lp.row("crude_availability", c, [(("Buy", (r, c)), 1.0) for r in R], -INF, float(row["availability_kbd"]))
    for c in sorted({c for c, _ in tiers}):
        terms = [(("Buy", (r, c)), 1.0) for r in R] + [(("TierBuy", k), -1.0) for k in tiers if k[0] == c]
        lp.row("crude_tier_split", c, terms, 0.0, 0.0)
    for k, (volume, _) in tiers.items():
        lp.row("crude_tier_volume", k, [(("TierBuy", k), 1.0)], -INF, volume)

    link_pairs: dict[str, set] = {row["link_id"]: set() for row in _rows(t, "links")}
    for route in _rows(t, "routes"):
        link_pairs[route["link_id"]].update(matched(route))
    for row in _rows(t, "links"):
        if link_pairs[row["link_id"]]:
            terms = [(("Buy", pair), 1.0) for pair in sorted(link_pairs[row["link_id"]])]
            lp.row("link_capacity", row["link_id"], terms, -INF, float(row["capacity_kbd"]))
    for k, (volume, pairs_k) in caps.items():
        lp.row("policy_cap", k, [(("Buy", pair), 1.0) for pair in pairs_k], -INF, volume)
    for k, (volume, pairs_k) in floors.items():
        lp.row("policy_floor", k, [(("Buy", pair), 1.0) for pair in pairs_k], volume, INF)
    for row in purchases:
        b = row["purchase_id"]
        lp.row("stream_purchase_limit", b, [(("StreamBuy", key), 1.0) for key in bought if key[0] == b],
               _num(row.get("min_kbd"), 0.0), _num(row.get("max_kbd"), INF))
    for x in transfers:
        if _num(x.get("capacity_kbd")) is not None:
            lp.row("stream_transfer_capacity", x["transfer_id"], [(("Transfer", x["transfer_id"]), 1.0)], -INF,
                   float(x["capacity_kbd"]))
    return lp


@dataclass
class Solved:
    highs: highspy.Highs
    lp: LP
    objective: float
    x: np.ndarray
    row_dual: np.ndarray
    row_value: np.ndarray


def solve_lp(lp: LP) -> Solved:
    n, m = len(lp.cost), len(lp.rows)
    i, j, v = [], [], []
    for row_number, (_, _, coefs, _, _) in enumerate(lp.rows):
        for col, value in coefs.items():
            i.append(row_number)
            j.append(col)
            v.append(value)
    # column-wise (CSC) arrays: entries sorted by column, then row; start[k] = first entry of column k
    rows_, cols_, vals_ = np.array(i, dtype=np.int32), np.array(j, dtype=np.int32), np.array(v, dtype=float)
    order = np.lexsort((rows_, cols_))
    rows_, cols_, vals_ = rows_[order], cols_[order], vals_[order]
    start = np.searchsorted(cols_, np.arange(n + 1)).astype(np.int32)
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = n, m
    model.sense_ = highspy.ObjSense.kMaximize
    model.col_cost_ = np.array(lp.cost)
    model.col_lower_ = np.zeros(n)
    model.col_upper_ = np.full(n, highspy.kHighsInf)
    model.row_lower_ = np.array([max(lo, -highspy.kHighsInf) for *_, lo, _ in lp.rows])
    model.row_upper_ = np.array([min(hi, highspy.kHighsInf) for *_, hi in lp.rows])
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = start
    model.a_matrix_.index_ = rows_
    model.a_matrix_.value_ = vals_
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.passModel(model)
    highs.run()
    status = highs.getModelStatus()
    assert status == highspy.HighsModelStatus.kOptimal, highs.modelStatusToString(status)
    solution = highs.getSolution()
    return Solved(highs, lp, highs.getInfo().objective_function_value, np.array(solution.col_value),
                  np.array(solution.row_dual), np.array(solution.row_value))


def one_sided_slopes(solved: Solved, row: int, which: str) -> tuple[float, float]:
    """(left, right) derivative of the optimal margin in the row's `which` bound ("lower"/"upper")."""
    highs, lp = solved.highs, solved.lp
    _, _, _, lo, hi = lp.rows[row]
    bound = lo if which == "lower" else hi
    step = 1e-3 * max(1.0, abs(bound))
    slopes = []
    for sign in (-1.0, 1.0):
        new_lo, new_hi = (bound + sign * step, hi) if which == "lower" else (lo, bound + sign * step)
        if new_lo > new_hi:
            slopes.append(math.nan)
            continue
        highs.changeRowBounds(row, max(new_lo, -highspy.kHighsInf), min(new_hi, highspy.kHighsInf))
        highs.run()
        ok = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        value = highs.getInfo().objective_function_value if ok else math.nan
        slopes.append(sign * (value - solved.objective) / step)
    highs.changeRowBounds(row, max(lo, -highspy.kHighsInf), min(hi, highspy.kHighsInf))
    highs.run()
    return slopes[0], slopes[1]


# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=SEEDS)
def both(request, tmp_path_factory):
    seed = request.param
    folder = generate(tmp_path_factory.mktemp("generated") / f"seed{seed}", seed, N_REFINERIES, N_CRUDES)
    timings = {}
    start = time.perf_counter()
    instance = read_instance(folder)
    validate(instance)
    data = derive(instance)
    timings["pyomo read+validate+derive"] = time.perf_counter() - start
    solver = SlateSolver()
    res = solver.solve(data)
    timings["pyomo build"], timings["pyomo solve"] = res.build_seconds, res.solve_seconds
    start = time.perf_counter()
    lp = build_lp(folder)
    timings["highspy read+assemble"] = time.perf_counter() - start
    start = time.perf_counter()
    mine = solve_lp(lp)
    timings["highspy pass+solve"] = time.perf_counter() - start
    print(f"\nseed {seed}: " + ", ".join(f"{k} {v:.3f} s" for k, v in timings.items())
          + f"; {len(lp.cost)} columns, {len(lp.rows)} rows")
    assert res.status == "optimal", res.termination
    return res, solver.model, mine


def test_generated_instance_exercises_every_family(both):
    _, _, mine = both
    assert {family for family, *_ in mine.lp.rows} == set(CONSTRAINT_INDEX)


def test_same_variables(both):
    res, _, mine = both
    for name in ("Buy", "Feed", "Blend", "Sell", "TierBuy", "StreamBuy", "Transfer"):
        assert set(res.values[name]) == {index for (n, index) in mine.lp.col if n == name}, name


def test_same_rows(both):
    res, _, mine = both
    for family in {f for f, *_ in mine.lp.rows}:
        mine_index = {index for f, index, *_ in mine.lp.rows if f == family}
        assert set(res.duals[family]) == mine_index, family
    assert {f for f, *_ in mine.lp.rows} <= set(res.duals)


def test_same_optimal_margin_and_crude_run(both):
    res, _, mine = both
    assert mine.objective == pytest.approx(res.objective_kusd_per_day, rel=1e-6)
    mine_run = sum(mine.x[col] for (name, _), col in mine.lp.col.items() if name == "Buy")
    assert mine_run == pytest.approx(sum(res.values["Buy"].values()), rel=1e-6)
    assert mine_run > 100.0  # the plants do run


def test_each_optimum_is_feasible_for_the_other(both):
    res, model, mine = both
    tol = 1e-6
    # Pyomo's optimum in this file's rows, and its margin under this file's objective
    x = np.zeros(len(mine.lp.cost))
    for (name, index), col in mine.lp.col.items():
        x[col] = res.values[name][index]
    assert float(np.dot(mine.lp.cost, x)) == pytest.approx(res.objective_kusd_per_day, rel=1e-9)
    for family, index, coefs, lo, hi in mine.lp.rows:
        activity = sum(v * x[col] for col, v in coefs.items())
        scale = tol * max(1.0, sum(abs(v * x[col]) for col, v in coefs.items()))
        assert lo - scale <= activity <= hi + scale, (family, index, lo, activity, hi)
    # this file's optimum in the Pyomo model's constraints and objective
    for var in model.component_objects(pyo.Var, active=True):
        for index, v in var.items():
            v.set_value(float(mine.x[mine.lp.col[(var.local_name, index)]]), skip_validation=True)
    assert pyo.value(model.margin) == pytest.approx(mine.objective, rel=1e-9)
    for con in model.component_data_objects(pyo.Constraint, active=True):
        body = pyo.value(con.body)
        scale = tol * max(1.0, abs(body))
        assert con.lb is None or body >= pyo.value(con.lb) - scale, con.name
        assert con.ub is None or body <= pyo.value(con.ub) + scale, con.name


def test_unique_duals_agree(both):
    res, _, mine = both
    compared, binding_compared, kinked = defaultdict(int), defaultdict(int), defaultdict(int)
    for row, (family, index, _coefs, lo, hi) in enumerate(mine.lp.rows):
        if family not in DUAL_FAMILIES:
            continue
        activity, y = mine.row_value[row], mine.row_dual[row]
        at_lower = math.isfinite(lo) and abs(activity - lo) <= 1e-7 * max(1.0, abs(lo))
        at_upper = math.isfinite(hi) and abs(activity - hi) <= 1e-7 * max(1.0, abs(hi))
        if at_lower or at_upper:
            left, right = one_sided_slopes(mine, row, "upper" if at_upper else "lower")
            if not (math.isfinite(left) and math.isfinite(right)) or abs(left - right) > 1e-3 * max(1.0, abs(right)):
                kinked[family] += 1
                continue
            assert y == pytest.approx(right, rel=1e-3, abs=1e-3), (family, index, "highspy dual vs slope")
            binding_compared[family] += 1
        compared[family] += 1
        assert res.duals[family][index] == pytest.approx(y, rel=1e-6, abs=1e-6), (family, index)
    print(f"\nunique duals compared {dict(compared)}, of which binding {dict(binding_compared)}; "
          f"kinked rows skipped {dict(kinked)}")
    assert binding_compared["crude_unit_capacity"] >= 1
    assert sum(binding_compared.values()) >= 5
