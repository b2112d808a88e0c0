"""Result tables with unit-suffixed columns, the manifest, the post-solve self-check, atomic writing.

Everything here reads a `SolveResult` and the scenario's `ModelData`; nothing re-solves.
"""

from __future__ import annotations

import math
import platform
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyomo.common.gc_manager import PauseGC

from optimizer.data import ModelData, api_from_sg
from optimizer.errors import CrudeSlateError
from optimizer.instance import Instance
from optimizer.model import CONSTRAINT_INDEX
from optimizer.solve import SELF_CHECK_TOL_KBD, SolveResult

ZERO_KBD = 1e-9  # volumes below this print as 0 (HiGHS leaves dust of this size at bounds)
INDEX_COLUMNS = ("refinery_id", "crude_id", "unit_id", "stream_id", "product_id", "ref_product_id", "quality_id",
                 "tier", "link_id", "rule_id")
# Index columns of the stream-trade families: constraints.csv has them only when the instance trades streams, so
# the tables of an instance without trade are what they were before trade was modelled.
TRADE_INDEX_COLUMNS = ("purchase_id", "transfer_id")
# Result tables of stream trade, each written when the instance has rows in the input table of that name.
TRADE_TABLES = ("stream_purchases", "stream_transfers")
# refineries.csv columns of stream trade (when the instance trades): purchases at the refinery's gate, and the cost
# of the transfers it receives (the barrels moved carry no internal price: a transfer costs its cost only, charged
# to the receiving refinery).
TRADE_COST_COLUMNS = ("stream_purchase_cost_kusd_per_day", "stream_transfer_cost_kusd_per_day")


class SelfCheckError(CrudeSlateError):
    """The written tables do not reproduce the model's balances: a bug, never a user error."""

    exit_code = 4


def origin_column(origin: str) -> str:
    return "origin_" + re.sub(r"[^a-z0-9]+", "_", origin.lower()).strip("_") + "_kbd"


def _clean(x: float) -> float:
    return 0.0 if abs(x) < ZERO_KBD else x


@dataclass
class ScenarioResults:
    scenario: str
    result: SolveResult
    tables: dict[str, pd.DataFrame]


# The three steps below allocate a great many small objects while a solved model, millions of
# objects, is alive: each pass of the garbage collector over it costs up to half a second at a
# million nonzeros, and none of it is garbage. They run with the collector paused.

def build_tables(instance: Instance, d: ModelData, res: SolveResult) -> dict[str, pd.DataFrame]:
    """Every result table of one optimal solve, each with a leading `scenario` column."""
    with PauseGC():
        return _build_tables(instance, d, res)


def _build_tables(instance: Instance, d: ModelData, res: SolveResult) -> dict[str, pd.DataFrame]:
    scenario = instance.scenario
    v, rc, duals = res.values, res.reduced_costs, res.duals
    buy = {k: _clean(x) for k, x in v["Buy"].items()}
    run = {r: sum(buy[(r, c)] for c in d.CRUDES) for r in d.REFINERIES}
    banned = {pair for kind, _, pairs in d.rules.values() if kind == "ban" for pair in pairs}

    # one row per (refinery, crude) pair: built column by column (the largest table by far)
    pairs = d.PAIRS
    buy_rc = rc.get("Buy", {})
    # the delivered cost of every pair once (it also prices each refinery's crude below), as
    # ModelData.delivered_usd_per_bbl adds it up, without a method call per pair
    fob, freight, tariff = d.fob_usd_per_bbl, d.freight_usd_per_bbl, d.tariff_usd_per_bbl
    delivered = [fob[c] + freight[pair] + tariff[pair] for pair in pairs for c in (pair[1],)]
    delivered_of = dict(zip(pairs, delivered))
    ranges = _price_ranges(res, d, pairs, [pair in banned and buy[pair] <= ZERO_KBD for pair in pairs]) \
        if res.ranging is not None else None
    slate = pd.DataFrame({
        "refinery_id": [r for r, _ in pairs], "crude_id": [c for _, c in pairs],
        "origin": [d.origin[c] for _, c in pairs], "allowed": [pair not in banned for pair in pairs],
        "volume_kbd": [buy[pair] for pair in pairs],
        "share_of_run_pct": [100.0 * buy[(r, c)] / run[r] if run[r] > ZERO_KBD else 0.0 for r, c in pairs],
        "fob_usd_per_bbl": [d.fob_usd_per_bbl[c] for _, c in pairs],
        "freight_usd_per_bbl": [d.freight_usd_per_bbl[pair] for pair in pairs],
        "tariff_usd_per_bbl": [d.tariff_usd_per_bbl[pair] for pair in pairs],
        "delivered_cost_usd_per_bbl": delivered,
        "reduced_cost_usd_per_bbl": [buy_rc.get(pair, math.nan) for pair in pairs],
        "delivered_valid_from_usd_per_bbl": ranges[0] if ranges is not None else [math.nan] * len(pairs),
        "delivered_valid_to_usd_per_bbl": ranges[1] if ranges is not None else [math.nan] * len(pairs),
        # today's price at an end of its range: any move past it changes the plan's basis, and where that
        # change is a tie the volume shown is one of several optimal volumes (crudeslate value gives the range)
        "price_at_range_end": [_at_range_end(lo, hi, price) for lo, hi, price in zip(*ranges, delivered)]
        if ranges is not None else [""] * len(pairs),
    })

    feeds = {k: _clean(x) for k, x in v["Feed"].items()}
    unit_feed = {k: 0.0 for k in d.UNITS}
    for (r, u, _), x in feeds.items():
        unit_feed[(r, u)] += x
    units = pd.DataFrame([
        {
            "refinery_id": r, "unit_id": u, "unit_type": d.unit_type[(r, u)], "feed_kbd": unit_feed[(r, u)],
            "capacity_kbd": d.unit_capacity_kbd[(r, u)],
            "utilization_pct": 100.0 * unit_feed[(r, u)] / d.unit_capacity_kbd[(r, u)]
            if d.unit_capacity_kbd[(r, u)] > 0 else math.nan,
            "marginal_value_usd_per_bbl": duals.get("unit_capacity", {}).get((r, u), math.nan),
            **_capacity_range(res, (r, u), unit_feed[(r, u)]),
        }
        for r, u in d.UNITS
    ], columns=["refinery_id", "unit_id", "unit_type", "feed_kbd", "capacity_kbd", "utilization_pct",
                "marginal_value_usd_per_bbl", "capacity_valid_from_kbd", "capacity_valid_to_kbd",
                "marginal_value_unique", "binding_side"])
    unit_feeds = pd.DataFrame([{"refinery_id": r, "unit_id": u, "stream_id": f, "feed_kbd": x}
                               for (r, u, f), x in feeds.items()],
                              columns=["refinery_id", "unit_id", "stream_id", "feed_kbd"])

    blend = {k: _clean(x) for k, x in v["Blend"].items()}
    blends = pd.DataFrame([{"refinery_id": r, "product_id": p, "stream_id": s, "volume_kbd": x}
                           for (r, p, s), x in blend.items()],
                          columns=["refinery_id", "product_id", "stream_id", "volume_kbd"])

    sell = {k: _clean(x) for k, x in v["Sell"].items()}
    spec_qualities = sorted({q for _, q in d.specs})
    product_rows = []
    for r in d.REFINERIES:
        for p in d.PRODUCTS:
            row: dict[str, Any] = {
                "refinery_id": r, "product_id": p, "volume_kbd": sell[(r, p)],
                "price_usd_per_bbl": d.product_price_usd_per_bbl[p],
                "revenue_kusd_per_day": sell[(r, p)] * d.product_price_usd_per_bbl[p],
            }
            lo, hi = res.ranging.cost["Sell"][(r, p)] if res.ranging else (math.nan, math.nan)
            row["price_valid_from_usd_per_bbl"], row["price_valid_to_usd_per_bbl"] = lo, hi
            for q in spec_qualities:
                lo, hi = d.specs.get((p, q), (None, None))
                comps = [(s, blend[(r, p, s)]) for pp, s in d.COMPONENTS if pp == p]
                total = sum(x for _, x in comps)
                known = all((s, q) in d.quality for s, _ in comps)
                row[f"{q}_value"] = (sum(d.quality[(s, q)] * x for s, x in comps) / total
                                     if total > ZERO_KBD and known else math.nan)
                row[f"{q}_min"] = math.nan if lo is None else lo
                row[f"{q}_max"] = math.nan if hi is None else hi
            product_rows.append(row)
    products = pd.DataFrame(product_rows)

    tier_cost = {c: 0.0 for c in d.CRUDES}
    for (c, t), x in v["TierBuy"].items():
        tier_cost[c] += _clean(x) * d.tiers[(c, t)][1]
    bought = {c: sum(buy[(r, c)] for r in d.REFINERIES) for c in d.CRUDES}
    tiered = [c for c in d.CRUDES if bought[c] > ZERO_KBD and tier_cost[c] != 0.0]
    feeds_at: dict[str, list[tuple[str, float]]] = {r: [] for r in d.REFINERIES}
    for (rr, u, _), x in feeds.items():
        feeds_at[rr].append((u, x))
    trade = _trade_tables(d, res) if d.trades else {}
    purchase_cost, transfer_cost = _trade_costs(d, trade)
    refinery_rows = []
    for r in d.REFINERIES:
        revenue = sum(sell[(r, p)] * d.product_price_usd_per_bbl[p] for p in d.PRODUCTS)
        crude_unit_cost = d.refinery[r]["crude_unit_cost_usd_per_bbl"] or 0.0
        crude_cost = sum(buy[(r, c)] * (delivered_of[(r, c)] + crude_unit_cost) for c in d.CRUDES)
        # crudes without a tier cost add exact zeros: leaving them out changes no sum
        crude_cost += sum(tier_cost[c] * buy[(r, c)] / bought[c] for c in tiered)
        unit_cost = sum(x * d.unit_cost_usd_per_bbl[(r, u)] for u, x in feeds_at[r])
        margin = revenue - crude_cost - unit_cost
        mass = sum(buy[(r, c)] * d.sg[c] for c in d.CRUDES)
        row = {
            "refinery_id": r, "crude_run_kbd": run[r],
            "crude_capacity_kbd": d.refinery[r]["crude_capacity_kbd"],
            "slate_api_deg": api_from_sg(mass / run[r]) if run[r] > ZERO_KBD else math.nan,
            "slate_sulfur_wt_pct": sum(buy[(r, c)] * d.sg[c] * d.sulfur_wt_pct[c] for c in d.CRUDES) / mass
            if mass > ZERO_KBD else math.nan,
            "revenue_kusd_per_day": revenue, "crude_cost_kusd_per_day": crude_cost,
            "operating_cost_kusd_per_day": unit_cost,
        }
        if d.trades:
            margin -= purchase_cost[r] + transfer_cost[r]
            row.update(zip(TRADE_COST_COLUMNS, (purchase_cost[r], transfer_cost[r])))
        row.update({"margin_usd_per_bbl": margin / run[r] if run[r] > ZERO_KBD else math.nan,
                    "margin_kusd_per_day": margin})
        refinery_rows.append(row)
    refineries = pd.DataFrame(refinery_rows)

    constraint_rows = []
    sums = _plan_sums(d, res)
    index_columns = (*INDEX_COLUMNS, *TRADE_INDEX_COLUMNS) if d.trades else INDEX_COLUMNS
    for family, index_names in CONSTRAINT_INDEX.items():
        for index, row in res.constraint_rows.get(family, {}).items():
            keys = index if isinstance(index, tuple) else (index,)
            entry: dict[str, Any] = {"family": family}
            entry.update({name: "" for name in index_columns})
            entry.update(dict(zip(index_names, keys)))
            body, lower, upper = row
            slack = min(body - lower if lower is not None else math.inf,
                        upper - body if upper is not None else math.inf)
            entry.update({"body": body, "lower": math.nan if lower is None else lower,
                          "upper": math.nan if upper is None else upper, "slack": slack,
                          "dual": duals.get(family, {}).get(index, math.nan)})
            entry.update(_row_range(res, family, index))
            entry.update(_limit_columns(d, res, sums, family, index, entry["dual"]))
            constraint_rows.append(entry)
    constraints = pd.DataFrame(constraint_rows, columns=["family", *index_columns, "body", "lower", "upper",
                                                         "slack", "dual", "binding_side", "bound_valid_from",
                                                         "bound_valid_to", "dual_unique", "degenerate_side",
                                                         "limit_value", "limit_unit", "marginal_value_per_limit_unit",
                                                         "limit_valid_from", "limit_valid_to"])

    origins = sorted(set(d.origin.values()))
    summary_row: dict[str, Any] = {
        "status": res.status, "objective_kusd_per_day": res.objective_kusd_per_day,
        "crude_run_kbd": sum(run.values()),
    }
    by_origin: dict[str, list[float]] = {o: [] for o in origins}
    for r, c in d.PAIRS:
        by_origin[d.origin[c]].append(buy[(r, c)])
    for o in origins:
        summary_row[origin_column(o)] = sum(by_origin[o])
    summary_row.update({"build_seconds": res.build_seconds, "solve_seconds": res.solve_seconds,
                        "simplex_iterations": res.iterations})
    if res.ranging is not None:  # ties: other plans may earn the same margin; degenerate basics: duals not unique
        summary_row.update({"alternative_optima_possible": res.ranging.zero_reduced_costs_off_basis > 0,
                            "zero_reduced_costs_off_basis": res.ranging.zero_reduced_costs_off_basis,
                            "degenerate_basics": res.ranging.basic_at_bound})
    summary = pd.DataFrame([summary_row])

    tables = {"summary": summary, "slate": slate, "units": units, "unit_feeds": unit_feeds, "blends": blends,
              "products": products, "refineries": refineries, "constraints": constraints, **trade}
    for frame in tables.values():
        frame.insert(0, "scenario", scenario)
    return tables


def _trade_tables(d: ModelData, res: SolveResult) -> dict[str, pd.DataFrame]:
    """stream_purchases (one row per purchase row and refinery it covers) and stream_transfers (one row per transfer
    row), each when the instance has rows of that table. A stream's value at a refinery is its balance dual there."""
    v, rc, duals = res.values, res.reduced_costs, res.duals
    value = duals.get("stream_balance", {})
    tables = {}
    if d.PURCHASES:
        bought = {k: _clean(x) for k, x in v["StreamBuy"].items()}
        buy_rc = rc.get("StreamBuy", {})
        tables["stream_purchases"] = pd.DataFrame([{
            "purchase_id": b, "refinery_id": r, "stream_id": d.purchase_stream[b], "volume_kbd": bought[(b, r)],
            "price_usd_per_bbl": d.purchase_price_usd_per_bbl[b],
            "cost_kusd_per_day": bought[(b, r)] * d.purchase_price_usd_per_bbl[b],
            "stream_value_usd_per_bbl": value.get((r, d.purchase_stream[b]), math.nan),
            "reduced_cost_usd_per_bbl": buy_rc.get((b, r), math.nan),
        } for b, r in d.PURCHASE_BUYS], columns=["purchase_id", "refinery_id", "stream_id", "volume_kbd",
                                                 "price_usd_per_bbl", "cost_kusd_per_day", "stream_value_usd_per_bbl",
                                                 "reduced_cost_usd_per_bbl"])
    if d.TRANSFERS:
        moved = {k: _clean(x) for k, x in v["Transfer"].items()}
        move_rc, capacity_dual = rc.get("Transfer", {}), duals.get("stream_transfer_capacity", {})
        rows = []
        for x in d.TRANSFERS:
            s, a, z = d.transfer_route[x]
            capacity = d.transfer_capacity_kbd[x]
            rows.append({
                "transfer_id": x, "stream_id": s, "from_refinery_id": a, "to_refinery_id": z, "volume_kbd": moved[x],
                "cost_usd_per_bbl": d.transfer_cost_usd_per_bbl[x],
                "capacity_kbd": math.nan if capacity is None else capacity,
                "cost_kusd_per_day": moved[x] * d.transfer_cost_usd_per_bbl[x],
                "marginal_value_usd_per_bbl": capacity_dual.get(x, 0.0 if capacity is None and res.duals else math.nan),
                "reduced_cost_usd_per_bbl": move_rc.get(x, math.nan),
            })
        tables["stream_transfers"] = pd.DataFrame(rows, columns=[
            "transfer_id", "stream_id", "from_refinery_id", "to_refinery_id", "volume_kbd", "cost_usd_per_bbl",
            "capacity_kbd", "cost_kusd_per_day", "marginal_value_usd_per_bbl", "reduced_cost_usd_per_bbl"])
    return tables


def _trade_costs(d: ModelData, trade: dict[str, pd.DataFrame]) -> tuple[dict[str, float], dict[str, float]]:
    """Per refinery: what its stream purchases cost, and what the transfers it receives cost (kUSD/d)."""
    purchase = {r: 0.0 for r in d.REFINERIES}
    transfer = {r: 0.0 for r in d.REFINERIES}
    if "stream_purchases" in trade:
        frame = trade["stream_purchases"]
        for r, cost in zip(frame["refinery_id"].tolist(), frame["cost_kusd_per_day"].tolist()):
            purchase[r] += cost
    if "stream_transfers" in trade:
        frame = trade["stream_transfers"]
        for r, cost in zip(frame["to_refinery_id"].tolist(), frame["cost_kusd_per_day"].tolist()):
            transfer[r] += cost
    return purchase, transfer


def _price_ranges(res: SolveResult, d: ModelData, pairs: list[tuple[str, str]],
                  banned: list[bool]) -> tuple[list[float], list[float]]:
    """Per pair, the delivered-price interval (from, to) over which the plan stays optimal (the objective
    coefficient is -(price + crude-unit cost)). A banned pair taking nothing: the plan does not depend on its
    price at all (-inf to inf)."""
    assert res.ranging is not None
    cost = res.ranging.cost.get("Buy", {})
    unit_cost = {r: d.refinery[r]["crude_unit_cost_usd_per_bbl"] or 0.0 for r in d.REFINERIES}
    low, high = [], []
    for pair, ban in zip(pairs, banned):
        found = cost.get(pair)
        if found is None:
            low.append(math.nan)
            high.append(math.nan)
        elif ban:
            low.append(-math.inf)
            high.append(math.inf)
        else:
            lo, hi = found
            low.append(-hi - unit_cost[pair[0]])
            high.append(-lo - unit_cost[pair[0]])
    return low, high


def _at_range_end(lo: float, hi: float, price: float) -> bool:
    tol = 1e-6 * max(1.0, abs(price))
    return bool(abs(price - lo) <= tol or abs(hi - price) <= tol)


def _row_range(res: SolveResult, family: str, index: Any) -> dict[str, Any]:
    if res.ranging is None or index not in res.ranging.rows.get(family, {}):
        return {"binding_side": "", "bound_valid_from": math.nan, "bound_valid_to": math.nan, "dual_unique": "",
                "degenerate_side": ""}
    row = res.ranging.rows[family][index]
    return {"binding_side": row.side, "bound_valid_from": row.valid_from, "bound_valid_to": row.valid_to,
            "dual_unique": row.unique, "degenerate_side": row.degenerate_side}


def _plan_sums(d: ModelData, res: SolveResult) -> Any:
    from optimizer.ranging import plan_sums

    return plan_sums(d, res.values) if res.duals else None


def _limit_columns(d: ModelData, res: SolveResult, sums: Any, family: str, index: Any, dual: float) -> dict[str, Any]:
    """Diet, spec and ratio rows in the limit's own unit (optimizer.ranging.limit_terms); blank for others."""
    from optimizer.ranging import limit_terms

    rng = res.ranging.rows.get(family, {}).get(index) if res.ranging is not None else None
    terms = limit_terms(d, sums, family, index, dual, rng) if sums is not None and math.isfinite(dual) else None
    if terms is None:
        return {"limit_value": math.nan, "limit_unit": "", "marginal_value_per_limit_unit": math.nan,
                "limit_valid_from": math.nan, "limit_valid_to": math.nan}
    return {"limit_value": terms.limit, "limit_unit": terms.unit, "marginal_value_per_limit_unit": terms.marginal_value,
            "limit_valid_from": terms.valid_from, "limit_valid_to": terms.valid_to}


def _capacity_range(res: SolveResult, key: tuple[str, str], feed: float = math.nan) -> dict[str, Any]:
    """The capacity's validity range. At its minimum feed the capacity does not bind: its value (0) holds
    from the feed up (the row's range there is the minimum feed's, in constraints.csv)."""
    row = _row_range(res, "unit_capacity", key)
    if row["binding_side"] == "lower":
        return {"capacity_valid_from_kbd": feed, "capacity_valid_to_kbd": math.inf, "marginal_value_unique": True,
                "binding_side": "lower"}
    return {"capacity_valid_from_kbd": row["bound_valid_from"], "capacity_valid_to_kbd": row["bound_valid_to"],
            "marginal_value_unique": row["dual_unique"], "binding_side": row["binding_side"]}


def status_summary(instance: Instance, res: SolveResult) -> pd.DataFrame:
    """The summary row of a solve that found no optimum."""
    return pd.DataFrame([{"scenario": instance.scenario, "status": res.status, "objective_kusd_per_day": math.nan,
                          "crude_run_kbd": math.nan, "build_seconds": res.build_seconds,
                          "solve_seconds": res.solve_seconds, "simplex_iterations": res.iterations}])


# The tables the self-check reads back from the written folder (and the stream-trade tables where written).
CHECKED_TABLES = ("summary", "slate", "units", "unit_feeds", "blends", "products", "refineries")


def self_check(d: ModelData, tables: dict[str, pd.DataFrame], objective: float) -> list[str]:
    """Rebuild from the result tables (as written, read back) every stream balance (stream purchases and
    transfers included), unit load, crude run, product volume and the margin (prices x volumes from the model's
    data), and hold them against the model's limits, the tables' own totals and the solver's objective; return
    every disagreement."""
    with PauseGC():
        return _self_check(d, tables, objective)


def _off(a: float, b: float) -> bool:
    return not abs(a - b) <= SELF_CHECK_TOL_KBD * max(1.0, abs(a), abs(b))  # also true for a NaN


def _sums(keys: list[Any], values: Any) -> dict[Any, float]:
    out: dict[Any, float] = {}
    for k, x in zip(keys, np.asarray(values, dtype=float).tolist()):
        out[k] = out.get(k, 0.0) + x
    return out


def _keys(frame: pd.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    """Rows of some key columns as tuples (the columns taken as lists first: iterating a pandas text column
    directly costs a lookup per cell, a second at the 80,000-row slate of a million-nonzero model)."""
    return list(zip(*(frame[c].tolist() for c in columns)))


def _numbers(frame: pd.DataFrame, column: str) -> list[float]:
    return np.asarray(frame[column], dtype=float).tolist()


def _tier_cost(d: ModelData, bought: dict[str, float]) -> dict[str, float]:
    """Supply-curve premia of each crude's total, tranches filled cheapest first (what an optimum pays)."""
    tranches: dict[str, list[tuple[float, float]]] = {}
    for (c, _), (volume, adder) in d.tiers.items():
        tranches.setdefault(c, []).append((adder, volume))
    cost = {}
    for c, steps in tranches.items():
        left, total = bought.get(c, 0.0), 0.0
        for adder, volume in sorted(steps):
            take = min(max(left, 0.0), volume)
            total += take * adder
            left -= take
        cost[c] = total
    return cost


def _check_trade(d: ModelData, tables: dict[str, pd.DataFrame], made: dict[tuple[str, str], float],
                 used: dict[tuple[str, str], float], failures: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Stream purchases and transfers read back: add their barrels to the balances (bought and received made,
    sent used), hold them against the model's limits and their cost columns against the model's prices, and
    return per refinery what the purchases cost and what the transfers it receives cost (from prices x volumes)."""
    tol = SELF_CHECK_TOL_KBD
    purchase_cost = {r: 0.0 for r in d.REFINERIES}
    transfer_cost = {r: 0.0 for r in d.REFINERIES}
    if d.PURCHASES:
        frame = tables.get("stream_purchases")
        if frame is None:
            failures.append("the result table stream_purchases was not written")
        else:
            keys = _keys(frame, "purchase_id", "refinery_id")
            volume = dict(zip(keys, _numbers(frame, "volume_kbd")))
            shown_cost = dict(zip(keys, _numbers(frame, "cost_kusd_per_day")))
            totals = {b: 0.0 for b in d.PURCHASES}
            for b, r in d.PURCHASE_BUYS:
                if (b, r) not in volume:
                    failures.append(f"stream_purchases: no row for purchase {b} at {r}")
                    continue
                x, price, s = volume[(b, r)], d.purchase_price_usd_per_bbl[b], d.purchase_stream[b]
                made[(r, s)] = made.get((r, s), 0.0) + x
                totals[b] += x
                purchase_cost[r] += x * price
                if _off(shown_cost[(b, r)], x * price):
                    failures.append(f"stream_purchases: cost of {b} at {r} is {shown_cost[(b, r)]:.6f} kUSD/d, "
                                    f"{x:.6f} kb/d x {price:g} $/bbl is {x * price:.6f}")
            if len(volume) != len(d.PURCHASE_BUYS):
                failures.append(f"stream_purchases: {len(frame)} rows for {len(d.PURCHASE_BUYS)} purchase-refinery "
                                "pairs")
            for b, total in totals.items():
                low, high = d.purchase_min_kbd[b], d.purchase_max_kbd[b]
                if total < low - tol or (high is not None and total > high + tol):
                    failures.append(f"purchase {b}: {total:.6f} kb/d bought, outside {low:g}-"
                                    f"{'no limit' if high is None else f'{high:g}'} kb/d")
    if d.TRANSFERS:
        frame = tables.get("stream_transfers")
        if frame is None:
            failures.append("the result table stream_transfers was not written")
        else:
            ids = frame["transfer_id"].tolist()
            volume = dict(zip(ids, _numbers(frame, "volume_kbd")))
            shown_cost = dict(zip(ids, _numbers(frame, "cost_kusd_per_day")))
            routes = dict(zip(ids, _keys(frame, "stream_id", "from_refinery_id", "to_refinery_id")))
            for x in d.TRANSFERS:
                if x not in volume:
                    failures.append(f"stream_transfers: no row for transfer {x}")
                    continue
                s, a, z = d.transfer_route[x]
                if routes[x] != (s, a, z):
                    failures.append(f"stream_transfers: transfer {x} moves {routes[x][0]} from {routes[x][1]} to "
                                    f"{routes[x][2]}; the model moves {s} from {a} to {z}")
                moved, cost = volume[x], d.transfer_cost_usd_per_bbl[x]
                used[(a, s)] = used.get((a, s), 0.0) + moved
                made[(z, s)] = made.get((z, s), 0.0) + moved
                transfer_cost[z] += moved * cost
                if _off(shown_cost[x], moved * cost):
                    failures.append(f"stream_transfers: cost of {x} is {shown_cost[x]:.6f} kUSD/d, {moved:.6f} kb/d x "
                                    f"{cost:g} $/bbl is {moved * cost:.6f}")
                capacity = d.transfer_capacity_kbd[x]
                if moved < -tol or (capacity is not None and moved > capacity + tol):
                    failures.append(f"transfer {x}: {moved:.6f} kb/d moved, capacity "
                                    f"{'none' if capacity is None else f'{capacity:g}'} kb/d")
            if len(volume) != len(d.TRANSFERS):
                failures.append(f"stream_transfers: {len(frame)} rows for {len(d.TRANSFERS)} transfers")
    return purchase_cost, transfer_cost


def _self_check(d: ModelData, tables: dict[str, pd.DataFrame], objective: float) -> list[str]:
    failures: list[str] = []
    tol = SELF_CHECK_TOL_KBD
    missing = [name for name in CHECKED_TABLES if name not in tables]
    if missing:
        return [f"the result tables {', '.join(missing)} were not written"]
    slate, feeds, blends = tables["slate"], tables["unit_feeds"], tables["blends"]

    # crude: the slate against the model's supply, policy and logistics limits; runs against the refineries table
    buy = dict(zip(_keys(slate, "refinery_id", "crude_id"), _numbers(slate, "volume_kbd")))
    absent = [pair for pair in d.PAIRS if pair not in buy]
    if absent or len(buy) != len(d.PAIRS):
        failures.append(f"slate: {len(slate)} rows for {len(d.PAIRS)} refinery-crude pairs"
                        + (f" (no row for {absent[0][0]}/{absent[0][1]})" if absent else ""))
    run = {r: 0.0 for r in d.REFINERIES}
    bought = {c: 0.0 for c in d.CRUDES}
    by_origin: dict[str, float] = {}
    for (r, c), x in buy.items():
        if r in run and c in bought:
            run[r] += x
            bought[c] += x
            by_origin[d.origin[c]] = by_origin.get(d.origin[c], 0.0) + x
    for c, limit in d.availability_kbd.items():
        if bought[c] > limit + tol:
            failures.append(f"crude {c}: {bought[c]:.6f} kb/d bought, {limit:.6f} kb/d available")
    for k, (kind, volume, pairs) in d.rules.items():
        total = sum(buy.get(pair, 0.0) for pair in pairs)
        if (kind == "floor" and total < volume - tol) or (kind != "floor" and total > volume + tol):
            failures.append(f"policy {kind} {k}: the slate takes {total:.6f} kb/d, the rule allows "
                            f"{'at least' if kind == 'floor' else 'at most'} {volume:.6f}")
    for link, pairs in d.link_pairs.items():
        total = sum(buy.get(pair, 0.0) for pair in pairs)
        if total > d.link_capacity_kbd[link] + tol:
            failures.append(f"link {link}: {total:.6f} kb/d routed, capacity {d.link_capacity_kbd[link]:.6f}")
    refineries = tables["refineries"].set_index("refinery_id")
    for r in d.REFINERIES:
        capacity = d.refinery[r]["crude_capacity_kbd"] or 0.0
        least = d.refinery[r]["crude_min_run_kbd"] or 0.0
        if run[r] > capacity + tol or run[r] < least - tol:
            failures.append(f"crude run at {r}: {run[r]:.6f} kb/d, outside {least:g}-{capacity:g} kb/d")
        if r not in refineries.index:
            failures.append(f"refineries: no row for {r}")
        elif _off(float(refineries.at[r, "crude_run_kbd"]), run[r]):
            failures.append(f"refineries: crude_run_kbd at {r} is {float(refineries.at[r, 'crude_run_kbd']):.6f}, "
                            f"the slate sums to {run[r]:.6f} kb/d")

    # streams: made by the crude unit (slate x yields) and the units (unit_feeds x yields), used by units and blends
    made: dict[tuple[str, str], float] = {}
    used: dict[tuple[str, str], float] = {}
    crude_at = {c: j for j, c in enumerate(d.CRUDES)}
    cuts = sorted({s for _, s in d.crude_yield})
    cut_at = {s: j for j, s in enumerate(cuts)}
    yields = np.zeros((len(d.CRUDES), len(cuts)))
    for (c, s), y in d.crude_yield.items():
        yields[crude_at[c], cut_at[s]] += y
    runs = np.array([[buy.get((r, c), 0.0) for c in d.CRUDES] for r in d.REFINERIES]).reshape(len(d.REFINERIES), -1)
    for r, row in zip(d.REFINERIES, (runs @ yields).tolist()):
        for s, x in zip(cuts, row):
            made[(r, s)] = x
    outputs: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for (ut, ff, s), y in d.unit_yield.items():
        outputs.setdefault((ut, ff), []).append((s, y))
    feed_of = _sums(_keys(feeds, "refinery_id", "unit_id"), feeds["feed_kbd"])
    opex = {r: 0.0 for r in d.REFINERIES}
    for (r, u, f), x in zip(_keys(feeds, "refinery_id", "unit_id", "stream_id"), _numbers(feeds, "feed_kbd")):
        if (r, u) not in d.unit_type:
            failures.append(f"unit_feeds: unit {u} at {r} is not in the model")
            continue
        used[(r, f)] = used.get((r, f), 0.0) + x
        opex[r] += x * d.unit_cost_usd_per_bbl[(r, u)]
        for s, y in outputs.get((d.unit_type[(r, u)], f), []):
            made[(r, s)] = made.get((r, s), 0.0) + y * x
    for (r, s), x in zip(_keys(blends, "refinery_id", "stream_id"), _numbers(blends, "volume_kbd")):
        used[(r, s)] = used.get((r, s), 0.0) + x
    trade_cost = _check_trade(d, tables, made, used, failures) if d.trades else None
    for r, s in d.BALANCES:
        if _off(made.get((r, s), 0.0), used.get((r, s), 0.0)):
            failures.append(f"stream {s} at {r}: made {made.get((r, s), 0.0):.6f} kb/d, used "
                            f"{used.get((r, s), 0.0):.6f} kb/d")

    # units: the units table against unit_feeds and the model's capacities
    unit_rows = dict(zip(_keys(tables["units"], "refinery_id", "unit_id"), _numbers(tables["units"], "feed_kbd")))
    for key in d.UNITS:
        fed = feed_of.get(key, 0.0)
        if key not in unit_rows:
            failures.append(f"units: no row for unit {key[1]} at {key[0]}")
        elif _off(unit_rows[key], fed):
            failures.append(f"units: feed_kbd of unit {key[1]} at {key[0]} is {unit_rows[key]:.6f}, unit_feeds sum "
                            f"to {fed:.6f} kb/d")
        if fed > d.unit_capacity_kbd[key] + tol or fed < d.unit_min_feed_kbd[key] - tol:
            failures.append(f"unit {key[1]} at {key[0]}: feed {fed:.6f} kb/d outside {d.unit_min_feed_kbd[key]:g}-"
                            f"{d.unit_capacity_kbd[key]:g} kb/d")

    # products: volumes against the blends, revenue against the model's prices, sales against the market limits
    products = tables["products"]
    blended = _sums(_keys(blends, "refinery_id", "product_id"), blends["volume_kbd"])
    sold = dict(zip(_keys(products, "refinery_id", "product_id"), _numbers(products, "volume_kbd")))
    shown_revenue = dict(zip(_keys(products, "refinery_id", "product_id"), _numbers(products, "revenue_kusd_per_day")))
    revenue = {r: 0.0 for r in d.REFINERIES}
    coast_sales = {p: 0.0 for p in d.PRODUCTS}
    for r in d.REFINERIES:
        for p in d.PRODUCTS:
            if (r, p) not in sold:
                failures.append(f"products: no row for {p} at {r}")
                continue
            volume, price = sold[(r, p)], d.product_price_usd_per_bbl[p]
            if _off(volume, blended.get((r, p), 0.0)):
                failures.append(f"products: volume_kbd of {p} at {r} is {volume:.6f}, its blends sum to "
                                f"{blended.get((r, p), 0.0):.6f} kb/d")
            if _off(shown_revenue[(r, p)], volume * price):
                failures.append(f"products: revenue of {p} at {r} is {shown_revenue[(r, p)]:.6f} kUSD/d, "
                                f"{volume:.6f} kb/d x {price:g} $/bbl is {volume * price:.6f}")
            revenue[r] += volume * price
            coast_sales[p] += volume
            low, high = d.product_limits.get((r, p), (0.0, None))
            if volume < low - tol or (high is not None and volume > high + tol):
                failures.append(f"product {p} at {r}: {volume:.6f} kb/d sold, outside its refinery limits")
    for p, volume in coast_sales.items():
        high = d.product_max_kbd[p]
        if volume < d.product_min_kbd[p] - tol or (high is not None and volume > high + tol):
            failures.append(f"product {p}: {volume:.6f} kb/d sold on the coast, outside its sales limits")

    # money: each refinery's revenue, crude cost, operating cost and margin rebuilt from prices x volumes
    tier_cost = _tier_cost(d, bought)
    crude_cost = {r: 0.0 for r in d.REFINERIES}
    fob, freight, tariff = d.fob_usd_per_bbl, d.freight_usd_per_bbl, d.tariff_usd_per_bbl
    crude_unit_cost = {r: d.refinery[r]["crude_unit_cost_usd_per_bbl"] or 0.0 for r in d.REFINERIES}
    for (r, c), x in buy.items():
        if r in crude_cost and (r, c) in freight:  # as ModelData.delivered_usd_per_bbl adds it up
            crude_cost[r] += x * (fob[c] + freight[(r, c)] + tariff[(r, c)] + crude_unit_cost[r])
            if tier_cost.get(c) and bought[c] > ZERO_KBD:
                crude_cost[r] += tier_cost[c] * x / bought[c]
    total = 0.0
    for r in d.REFINERIES:
        margin = revenue[r] - crude_cost[r] - opex[r]
        money = [("revenue_kusd_per_day", revenue[r]), ("crude_cost_kusd_per_day", crude_cost[r]),
                 ("operating_cost_kusd_per_day", opex[r])]
        if trade_cost is not None:
            purchases, transfers = trade_cost[0][r], trade_cost[1][r]
            margin -= purchases + transfers
            money += list(zip(TRADE_COST_COLUMNS, (purchases, transfers)))
        total += margin
        if r not in refineries.index:
            continue
        for column, rebuilt in (*money, ("margin_kusd_per_day", margin)):
            shown = float(refineries.at[r, column]) if column in refineries.columns else math.nan
            if _off(shown, rebuilt):
                failures.append(f"refineries: {column} at {r} is {shown:.6f}, prices x volumes give {rebuilt:.6f}")
    if _off(total, objective):
        failures.append(f"the margin rebuilt from prices x volumes is {total:.6f} kUSD/d, the solver's objective "
                        f"is {objective:.6f}")

    # summary: its totals against the slate and the objective
    summary = tables["summary"].iloc[0]
    checks = [("objective_kusd_per_day", objective), ("crude_run_kbd", sum(run.values()))]
    checks += [(origin_column(o), x) for o, x in sorted(by_origin.items())]
    for column, rebuilt in checks:
        shown = float(summary[column]) if column in summary.index else math.nan
        if _off(shown, rebuilt):
            failures.append(f"summary: {column} is {shown:.6f}, the tables give {rebuilt:.6f}")
    return failures


def manifest(instance: Instance, res: SolveResult, solver_options: dict[str, Any]) -> dict[str, Any]:
    from importlib.metadata import version

    import highspy

    h = highspy.Highs()
    return {
        "instance": str(instance.path.resolve()),
        "instance_name": instance.name,
        "input_sha256": instance.input_hashes(),
        "scenario": instance.scenario,
        "overrides": instance.applied,
        "versions": {"crudeslate": version("crudeslate"), "pyomo": version("pyomo"),
                     "highs": f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}",
                     "python": platform.python_version()},
        "solver_options": solver_options,
        "status": res.status,
        "termination": res.termination,
        "objective_kusd_per_day": res.objective_kusd_per_day,
        "timings_seconds": {"build": res.build_seconds, "solve": res.solve_seconds},
        "simplex_iterations": res.iterations,
    }


def write_atomic(out: Path, tables: dict[str, pd.DataFrame], meta: dict[str, Any], fmt: str = "csv",
                 extra_files: dict[str, Callable[[Path], None]] | None = None, protect: tuple[Path, ...] = (),
                 verify: Callable[[Path], None] | None = None) -> None:
    """Write every table (and manifest.json) into `out`, replacing it whole or not at all.

    `out` must be missing, empty or a folder crudeslate wrote, and neither be, lie in nor contain `protect` or
    the instance `meta["instance"]` names. `extra_files` (file name -> writer of that path) land together
    with the tables, e.g. plots; `verify` checks the written folder before it takes `out`'s place."""
    with PauseGC():
        from optimizer.result_files import csv_writer, json_writer, write_folder_atomic

        if fmt == "xlsx":
            from optimizer.xlsx_report import results_writer

            files = {"results.xlsx": results_writer(tables, meta)}
        else:
            files = {f"{name}.csv": csv_writer(frame) for name, frame in tables.items()}
        files["manifest.json"] = json_writer(meta)
        files.update(extra_files or {})
        guarded = (*protect, Path(meta["instance"])) if meta.get("instance") else tuple(protect)
        write_folder_atomic(out, files, protect=guarded, verify=verify)
