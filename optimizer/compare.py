"""Two solved cases side by side: what moved between a base and a case, in tidy tables and in ten seconds.

Every table has `base_scenario` and `case_scenario` first, then its keys, then for each measure
`base_<measure>`, `case_<measure>` and `<measure>_change_<unit>` (case minus base; a change of a
percentage is in percentage points, `_pp`). Rows with `refinery_id == "coast"` total every refinery.
Nothing here re-solves: it reads the tables `solve` wrote.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optimizer.result_files import COAST, CaseResults, ResultsError

# A row is at its limit when its slack is below this: 10 x HiGHS's primal feasibility tolerance
# (optimizer.solve.SOLVER_FEASIBILITY_TOL = 1e-7), so a row HiGHS left at its bound always counts.
BINDING_SLACK_TOL = 1e-6
# A marginal value "moved" when it changed by half a cent or more: anything smaller prints the same
# at the two decimals $/bbl are shown with.
DUAL_MOVED_TOL = 0.005
# Volumes below this are solver dust (same threshold as the result tables use).
ZERO_KBD = 1e-9
# A utilisation change smaller than this (percentage points) is not worth a planner's attention.
UTILISATION_MOVED_PP = 0.5

BRIDGE_STEPS = ("base margin", "product prices", "product volumes", "crude prices and freight", "tariffs",
                "crude slate", "other crude costs", "operating cost", "case margin")
# Where either case trades intermediate streams, the bridge has three more steps (before "operating cost"):
# purchased streams' prices (at the case's volumes) and volumes (the rest of their cost change), and transfer costs.
TRADE_BRIDGE_STEPS = ("stream purchase prices", "stream purchase volumes", "stream transfers")
INDEX_COLUMNS = ("refinery_id", "crude_id", "unit_id", "stream_id", "product_id", "ref_product_id", "quality_id",
                 "tier", "link_id", "rule_id")
TRADE_INDEX_COLUMNS = ("purchase_id", "transfer_id")  # constraints.csv of a case that trades streams
TRADE_COST_COLUMNS = ("stream_purchase_cost_kusd_per_day", "stream_transfer_cost_kusd_per_day")
UNIT_SUFFIXES = ("_kusd_per_day", "_usd_per_bbl", "_kbd", "_pct")


@dataclass
class Comparison:
    base: CaseResults
    case: CaseResults
    tables: dict[str, pd.DataFrame]
    warnings: list[str] = field(default_factory=list)

    @property
    def base_label(self) -> str:
        return _labels(self.base, self.case)[0]

    @property
    def case_label(self) -> str:
        return _labels(self.base, self.case)[1]


def _labels(base: CaseResults, case: CaseResults) -> tuple[str, str]:
    """Scenario names, or folder names when both folders hold the same scenario (two --set runs, say)."""
    if base.scenario != case.scenario:
        return base.scenario, case.scenario
    return base.path.name, case.path.name


def change_column(measure: str) -> str:
    """volume_kbd -> volume_change_kbd; utilization_pct -> utilization_change_pp."""
    for suffix in UNIT_SUFFIXES:
        if measure.endswith(suffix):
            unit = "_pp" if suffix == "_pct" else suffix
            return measure[: -len(suffix)] + "_change" + unit
    return measure + "_change"


def check_comparable(base: CaseResults, case: CaseResults) -> list[str]:
    """Refuse results of different instances; return warnings for inputs that were edited between the solves."""
    if base.instance_name != case.instance_name:
        raise ResultsError(
            f"{base.path} and {case.path} are results of different instances ({base.instance_name or '?'} and "
            f"{case.instance_name or '?'}); compare two cases of the same instance.")
    hashes_a = base.manifest.get("input_sha256", {}) or {}
    hashes_b = case.manifest.get("input_sha256", {}) or {}
    differing = sorted(name for name in set(hashes_a) | set(hashes_b) if hashes_a.get(name) != hashes_b.get(name))
    if differing:
        return [(f"the instance's input files changed between the two solves ({', '.join(differing)}): part of "
                f"the difference comes from those edits, not from the scenarios.")]
    return []


def _side_by_side(base: pd.DataFrame, case: pd.DataFrame, keys: list[str], measures: dict[str, float],
                  carry: tuple[str, ...] = ()) -> pd.DataFrame:
    """Outer join on `keys`; each measure as base_, case_ and change columns; `measures` maps to its fill value
    where a row is missing on one side (0 for volumes, NaN for prices and utilisations)."""
    cols = [*keys, *carry, *measures]
    merged = base[cols].merge(case[cols], on=keys, how="outer", suffixes=("_base", "_case"), sort=False,
                              indicator=True)
    out = merged[keys].copy()
    for column in carry:
        out[column] = merged[f"{column}_base"].where(merged[f"{column}_base"].notna(), merged[f"{column}_case"])
    in_base, in_case = merged["_merge"] != "right_only", merged["_merge"] != "left_only"
    for measure, fill in measures.items():
        b = merged[f"{measure}_base"].astype(float)
        c = merged[f"{measure}_case"].astype(float)
        if not math.isnan(fill):
            b, c = b.where(in_base, fill), c.where(in_case, fill)
        out[f"base_{measure}"] = b
        out[f"case_{measure}"] = c
        out[change_column(measure)] = c - b
    return out


def _order(frame: pd.DataFrame, column: str, order: list[str]) -> pd.DataFrame:
    rank = {name: i for i, name in enumerate(order)}
    return frame.assign(_rank=frame[column].map(lambda x: rank.get(x, len(rank)))).sort_values(
        ["_rank"], kind="stable").drop(columns="_rank").reset_index(drop=True)


def _refinery_order(base: CaseResults, case: CaseResults) -> list[str]:
    names = list(base.tables["refineries"]["refinery_id"])
    return names + [r for r in case.tables["refineries"]["refinery_id"] if r not in names] + [COAST]


def compare_slate(base: CaseResults, case: CaseResults) -> pd.DataFrame:
    """Per refinery and crude (and per crude for the coast): volume, share of run, delivered cost, reduced cost;
    only pairs taken in at least one of the two cases."""
    keys = ["refinery_id", "crude_id"]
    table = _side_by_side(base.tables["slate"], case.tables["slate"], keys,
                          {"volume_kbd": 0.0, "share_of_run_pct": 0.0, "delivered_cost_usd_per_bbl": math.nan,
                           "tariff_usd_per_bbl": math.nan, "reduced_cost_usd_per_bbl": math.nan},
                          carry=("origin",))
    table = table[(table["base_volume_kbd"].abs() > ZERO_KBD) | (table["case_volume_kbd"].abs() > ZERO_KBD)]
    coast = table.groupby(["crude_id", "origin"], sort=False, as_index=False)[
        ["base_volume_kbd", "case_volume_kbd", "volume_change_kbd"]].sum()
    coast.insert(0, "refinery_id", COAST)
    for side, res in (("base", base), ("case", case)):
        coast[f"{side}_share_of_run_pct"] = 100.0 * coast[f"{side}_volume_kbd"] / res.crude_run_kbd \
            if res.crude_run_kbd > ZERO_KBD else 0.0
    coast["share_of_run_change_pp"] = coast["case_share_of_run_pct"] - coast["base_share_of_run_pct"]
    table = pd.concat([table, coast.sort_values("crude_id")], ignore_index=True)
    return _order(table, "refinery_id", _refinery_order(base, case))[list(table.columns)]


def compare_origins(base: CaseResults, case: CaseResults) -> pd.DataFrame:
    """Volume and share of run by crude origin, per refinery and for the coast."""
    frames = []
    for res in (base, case):
        slate = res.tables["slate"]
        by_ref = slate.groupby(["refinery_id", "origin"], as_index=False, sort=False)["volume_kbd"].sum()
        by_coast = slate.groupby("origin", as_index=False, sort=False)["volume_kbd"].sum()
        by_coast.insert(0, "refinery_id", COAST)
        frame = pd.concat([by_ref, by_coast], ignore_index=True)
        run = frame.groupby("refinery_id")["volume_kbd"].transform("sum")
        frame["share_of_run_pct"] = (100.0 * frame["volume_kbd"] / run.where(run > ZERO_KBD)).fillna(0.0)
        frames.append(frame)
    table = _side_by_side(frames[0], frames[1], ["refinery_id", "origin"],
                          {"volume_kbd": 0.0, "share_of_run_pct": 0.0})
    table = table[(table["base_volume_kbd"].abs() > ZERO_KBD) | (table["case_volume_kbd"].abs() > ZERO_KBD)]
    table = table.sort_values(["refinery_id", "origin"], kind="stable")
    return _order(table, "refinery_id", _refinery_order(base, case))


def compare_units(base: CaseResults, case: CaseResults) -> pd.DataFrame:
    """Per process unit: feed, capacity, utilisation and the marginal value of its capacity."""
    table = _side_by_side(base.tables["units"], case.tables["units"], ["refinery_id", "unit_id"],
                          {"feed_kbd": 0.0, "capacity_kbd": math.nan, "utilization_pct": math.nan,
                           "marginal_value_usd_per_bbl": math.nan}, carry=("unit_type",))
    return _order(table, "refinery_id", _refinery_order(base, case))


def _with_coast_products(products: pd.DataFrame) -> pd.DataFrame:
    coast = products.groupby("product_id", as_index=False, sort=False).agg(
        volume_kbd=("volume_kbd", "sum"), price_usd_per_bbl=("price_usd_per_bbl", "max"),
        revenue_kusd_per_day=("revenue_kusd_per_day", "sum"))
    coast.insert(0, "refinery_id", COAST)
    return pd.concat([products, coast], ignore_index=True)


def compare_products(base: CaseResults, case: CaseResults) -> pd.DataFrame:
    """Product outturn per refinery and for the coast: volume, price, revenue."""
    table = _side_by_side(_with_coast_products(base.tables["products"]),
                          _with_coast_products(case.tables["products"]), ["refinery_id", "product_id"],
                          {"volume_kbd": 0.0, "price_usd_per_bbl": math.nan, "revenue_kusd_per_day": 0.0})
    return _order(table, "refinery_id", _refinery_order(base, case))


def trades(*cases: CaseResults) -> bool:
    """Whether any of the cases bought or moved intermediate streams (its refineries table says what they cost)."""
    return any(TRADE_COST_COLUMNS[0] in case.tables["refineries"].columns for case in cases)


def _with_coast_refineries(refineries: pd.DataFrame, traded: bool = False) -> pd.DataFrame:
    frame = refineries.copy()
    sums = ["crude_run_kbd", "crude_capacity_kbd", "revenue_kusd_per_day", "crude_cost_kusd_per_day",
            "operating_cost_kusd_per_day", "margin_kusd_per_day"]
    if traded:  # a case without stream trade spent nothing on it
        for column in TRADE_COST_COLUMNS:
            if column not in frame.columns:
                frame[column] = 0.0
        sums += list(TRADE_COST_COLUMNS)
    coast = {column: frame[column].sum() for column in sums}
    coast["refinery_id"] = COAST
    coast["margin_usd_per_bbl"] = coast["margin_kusd_per_day"] / coast["crude_run_kbd"] \
        if coast["crude_run_kbd"] > ZERO_KBD else math.nan
    frame = pd.concat([frame, pd.DataFrame([coast])], ignore_index=True)
    frame["crude_utilization_pct"] = 100.0 * frame["crude_run_kbd"] / frame["crude_capacity_kbd"].where(
        frame["crude_capacity_kbd"] > 0)
    return frame


def compare_refineries(base: CaseResults, case: CaseResults) -> pd.DataFrame:
    """Per refinery and for the coast: crude run and utilisation, revenue, costs (stream purchases and transfers
    too, where either case trades streams) and margin."""
    traded = trades(base, case)
    measures = {"crude_run_kbd": 0.0, "crude_capacity_kbd": math.nan, "crude_utilization_pct": math.nan,
                "revenue_kusd_per_day": 0.0, "crude_cost_kusd_per_day": 0.0, "operating_cost_kusd_per_day": 0.0}
    if traded:
        measures.update({column: 0.0 for column in TRADE_COST_COLUMNS})
    measures.update({"margin_kusd_per_day": 0.0, "margin_usd_per_bbl": math.nan})
    table = _side_by_side(_with_coast_refineries(base.tables["refineries"], traded),
                          _with_coast_refineries(case.tables["refineries"], traded), ["refinery_id"], measures)
    return _order(table, "refinery_id", _refinery_order(base, case))


def _price_volume(base: pd.DataFrame, case: pd.DataFrame, keys: list[str], volume: str,
                  price: str) -> pd.DataFrame:
    """Per row: volume effect (V1 - V0) * P0 and price effect V1 * (P1 - P0), in kUSD/d; they add up to
    V1 P1 - V0 P0. A row missing on one side takes the other side's price, so its whole value is volume."""
    merged = base[[*keys, volume, price]].merge(case[[*keys, volume, price]], on=keys, how="outer",
                                                suffixes=("_0", "_1"))
    v0, v1 = merged[f"{volume}_0"].fillna(0.0), merged[f"{volume}_1"].fillna(0.0)
    p0 = merged[f"{price}_0"].fillna(merged[f"{price}_1"]).fillna(0.0)
    p1 = merged[f"{price}_1"].fillna(merged[f"{price}_0"]).fillna(0.0)
    merged["volume_effect"] = (v1 - v0) * p0
    merged["price_effect"] = v1 * (p1 - p0)
    return merged


def compare_bridge(base: CaseResults, case: CaseResults) -> pd.DataFrame:
    """The margin bridge from base to case, per refinery and for the coast: `amount_kusd_per_day` is the margin
    for the two `total` steps and each step's contribution for the `change` steps.

    margin = revenue - crude cost - operating cost, so with V product volumes, P product prices,
    B crude volumes, D delivered costs (FOB + freight + tariff, T the tariff part), 0 base and 1 case:
      product prices            = sum V1 (P1 - P0)
      product volumes           = sum (V1 - V0) P0
      crude prices and freight  = - sum B1 ((D1 - T1) - (D0 - T0))
      tariffs                   = - sum B1 (T1 - T0)
      crude slate               = - sum (B1 - B0) D0
      other crude costs         = - (change in crude cost - change in sum B D): supply-tier premia, crude-unit cost
      operating cost            = - change in unit operating cost
    and base margin + the steps = case margin exactly. Where either case trades intermediate streams (Q, S the
    volumes and prices of stream purchases, K the cost of the transfers a refinery receives):
      stream purchase prices    = - sum Q1 (S1 - S0)
      stream purchase volumes   = - (change in purchase cost) - stream purchase prices  (= - sum (Q1 - Q0) S0)
      stream transfers          = - change in K
    """
    products = _price_volume(base.tables["products"], case.tables["products"], ["refinery_id", "product_id"],
                             "volume_kbd", "price_usd_per_bbl")
    slates = []
    for res in (base, case):
        slate = res.tables["slate"].copy()
        slate["fob_freight_usd_per_bbl"] = slate["delivered_cost_usd_per_bbl"] - slate["tariff_usd_per_bbl"]
        slates.append(slate)
    delivered = _price_volume(slates[0], slates[1], ["refinery_id", "crude_id"], "volume_kbd",
                              "delivered_cost_usd_per_bbl")
    before_tariff = _price_volume(slates[0], slates[1], ["refinery_id", "crude_id"], "volume_kbd",
                                  "fob_freight_usd_per_bbl")
    delivered["tariff_effect"] = delivered["price_effect"] - before_tariff["price_effect"].to_numpy()
    delivered["fob_freight_effect"] = before_tariff["price_effect"].to_numpy()
    delivered["cost_change"] = delivered["volume_effect"] + delivered["price_effect"]
    refineries = compare_refineries(base, case).set_index("refinery_id")
    traded = trades(base, case)
    steps_in_order = BRIDGE_STEPS
    if traded:
        at = BRIDGE_STEPS.index("operating cost")
        steps_in_order = (*BRIDGE_STEPS[:at], *TRADE_BRIDGE_STEPS, *BRIDGE_STEPS[at:])
        keys = ["purchase_id", "refinery_id"]
        columns = [*keys, "volume_kbd", "price_usd_per_bbl"]
        bought = [res.tables.get("stream_purchases", pd.DataFrame(columns=columns)) for res in (base, case)]
        purchases = _price_volume(*(frame[columns].astype({"volume_kbd": float, "price_usd_per_bbl": float})
                                    for frame in bought), keys, "volume_kbd", "price_usd_per_bbl")

    rows = []
    for refinery in refineries.index:
        mine_p = products if refinery == COAST else products[products["refinery_id"] == refinery]
        mine_d = delivered if refinery == COAST else delivered[delivered["refinery_id"] == refinery]
        r = refineries.loc[refinery]
        other = -(r["crude_cost_change_kusd_per_day"] - mine_d["cost_change"].sum())
        steps = {
            "base margin": r["base_margin_kusd_per_day"],
            "product prices": mine_p["price_effect"].sum(),
            "product volumes": mine_p["volume_effect"].sum(),
            "crude prices and freight": -mine_d["fob_freight_effect"].sum(),
            "tariffs": -mine_d["tariff_effect"].sum(),
            "crude slate": -mine_d["volume_effect"].sum(),
            "other crude costs": other,
            "operating cost": -r["operating_cost_change_kusd_per_day"],
            "case margin": r["case_margin_kusd_per_day"],
        }
        if traded:
            mine_q = purchases if refinery == COAST else purchases[purchases["refinery_id"] == refinery]
            prices = -mine_q["price_effect"].sum()
            steps["stream purchase prices"] = prices
            steps["stream purchase volumes"] = -r["stream_purchase_cost_change_kusd_per_day"] - prices
            steps["stream transfers"] = -r["stream_transfer_cost_change_kusd_per_day"]
        rows.extend({"refinery_id": refinery, "step": step, "kind": "total" if step.endswith("margin") else "change",
                     "amount_kusd_per_day": float(steps[step])} for step in steps_in_order)
    return pd.DataFrame(rows, columns=["refinery_id", "step", "kind", "amount_kusd_per_day"])


def constraint_state(frame: pd.DataFrame, index: Sequence[str] = INDEX_COLUMNS) -> pd.DataFrame:
    """Each constraint row with `at` (the bound it sits on: lower, upper, equality or "") and `binding`
    (an inequality at a bound) and `dual_unique` read as True / False / None (None: no ranging recorded).
    Index columns of `index` the frame lacks are added empty."""
    frame = frame.copy()
    for column in index:
        if column not in frame.columns:
            frame[column] = ""
    equality = frame["lower"].notna() & frame["upper"].notna() & ((frame["upper"] - frame["lower"]).abs() <= 0)
    at_upper = frame["upper"].notna() & ((frame["upper"] - frame["body"]) <= BINDING_SLACK_TOL)
    at_lower = frame["lower"].notna() & ((frame["body"] - frame["lower"]) <= BINDING_SLACK_TOL)
    frame["at"] = ""
    frame.loc[at_lower, "at"] = "lower"
    frame.loc[at_upper, "at"] = "upper"
    frame.loc[equality, "at"] = "equality"
    frame["binding"] = frame["at"].isin(["lower", "upper"])
    frame["dual_unique"] = [unique_flag(x) for x in frame["dual_unique"]] if "dual_unique" in frame.columns \
        else [None] * len(frame)
    if "limit_value" not in frame.columns:  # newer solves record a quality limit's level
        frame["limit_value"] = math.nan
    return frame


def unique_flag(value: Any) -> bool | None:
    """constraints.csv's dual_unique cell (True, False, or empty where the solve recorded no ranging)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "1.0"):
        return True
    if text in ("false", "0", "0.0"):
        return False
    return None


# ---------------------------------------------------------------------------------------------
# constraint rows in plant words, and their marginal values in plant units

# Rows whose body is a volume in kb/d: a marginal value in kUSD/d per kb/d is $/bbl.
VOLUME_FAMILIES = ("crude_unit_capacity", "unit_capacity", "crude_availability", "crude_tier_volume",
                   "link_capacity", "policy_cap", "policy_floor", "product_sales", "refinery_product_sales",
                   "stream_purchase_limit", "stream_transfer_capacity")
# Definitions rather than limits (balances, recipes): always at their "bound", never "binding".
EQUALITY_FAMILIES = ("stream_balance", "product_make", "product_recipe", "crude_tier_split")
QUALITY_FAMILIES = ("slate_api_min", "slate_api_max", "slate_sulfur_max", "slate_tan_max", "sulfur_plant",
                    "blend_spec_min", "blend_spec_max", "product_ratio_min", "product_ratio_max")


def _cell(row: Any, column: str) -> str:
    value = row.get(column, "") if hasattr(row, "get") else getattr(row, column, "")
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def limit_name(row: Any, at: str = "") -> str:
    """A constraint row as a planner names the limit: 'coker capacity at port_arthur', 'tranche 1 of zuata',
    'API maximum of the slate at p66_lake_charles'. `at` (lower / upper) picks minimum or maximum where a row
    has both."""
    family = _cell(row, "family")
    r, c, u = _cell(row, "refinery_id"), _cell(row, "crude_id"), _cell(row, "unit_id")
    p, p2, q = _cell(row, "product_id"), _cell(row, "ref_product_id"), _cell(row, "quality_id")
    low = at == "lower"
    names = {
        "crude_unit_capacity": f"crude-unit {'minimum run' if low else 'capacity'} at {r}",
        "unit_capacity": f"{u} {'minimum feed' if low else 'capacity'} at {r}",
        "slate_api_min": f"API minimum of the slate at {r}",
        "slate_api_max": f"API maximum of the slate at {r}",
        "slate_sulfur_max": f"sulfur limit of the slate at {r}",
        "slate_tan_max": f"acidity (TAN) limit of the slate at {r}",
        "sulfur_plant": f"sulfur plant at {r}",
        "blend_spec_min": f"{q} minimum of {p} at {r}",
        "blend_spec_max": f"{q} maximum of {p} at {r}",
        "product_ratio_min": f"minimum {p}/{p2} ratio at {r}",
        "product_ratio_max": f"maximum {p}/{p2} ratio at {r}",
        "product_sales": f"coast {'minimum sales' if low else 'market'} of {p}",
        "refinery_product_sales": f"{'minimum sales' if low else 'sales limit'} of {p} at {r}",
        "crude_availability": f"{c} on offer",
        "crude_tier_volume": f"tranche {_cell(row, 'tier')} of {c}",
        "link_capacity": f"link {_cell(row, 'link_id')}",
        "policy_floor": f"policy floor {_cell(row, 'rule_id')}",
        "stream_balance": f"{_cell(row, 'stream_id')} balance at {r}",
        "product_make": f"{p} make at {r}",
        "product_recipe": f"{p} recipe ({_cell(row, 'stream_id')}) at {r}",
        "crude_tier_split": f"supply-curve split of {c}",
        "stream_purchase_limit": f"{'contract minimum' if low else 'offer'} of stream purchase "
                                 f"{_cell(row, 'purchase_id')}",
        "stream_transfer_capacity": f"stream transfer {_cell(row, 'transfer_id')}",
    }
    if family == "policy_cap":
        upper = row.get("upper", math.nan) if hasattr(row, "get") else math.nan
        kind = "ban" if upper == 0 else "policy cap"
        return f"{kind} {_cell(row, 'rule_id')}"
    if family in names:
        return names[family]
    keys = " ".join(_cell(row, k) for k in INDEX_COLUMNS if _cell(row, k))
    return f"{family} {keys}".strip()


def _sg_per_api(api_deg: float) -> float:
    """|d SG / d API| at api_deg (SG = 141.5 / (API + 131.5))."""
    return 141.5 / (api_deg + 131.5) ** 2


@dataclass(frozen=True)
class PlantValue:
    """A row's marginal value as a planner quotes it. `value` in `unit`: what one unit of relaxation (raising a
    maximum, lowering a minimum) adds to the margin. `worth_1pct_kusd_per_day`: what relaxing the limit by 1 % of
    itself adds (kUSD/d), one scale for every kind of limit, as `crudeslate explain` ranks them (NaN where the
    result tables do not hold the limit's level)."""

    value: float
    unit: str
    worth_1pct_kusd_per_day: float


def plant_value(row: Any, dual: float, at: str, refineries: pd.DataFrame, products: pd.DataFrame) -> PlantValue:
    """The marginal value of a constraint row in plant units, from the result tables alone.

    The dual is kUSD/d per unit of the row's body. Volume rows are in kb/d, so their value is $/bbl. The quality
    rows (optimizer/constraints.py) are weighted sums minus the limit times a sum, so one unit of the limit moves
    the row's bound by that sum: the crude run times |d SG/d API| for the API limits, the slate's mass (run x SG)
    for sulfur and TAN, the product's volume for a blend spec, the reference product's volume for a ratio.
    A binding slate limit's level is the slate's own API or sulfur (refineries.csv), a blend spec's is in
    products.csv (`<quality>_min/_max`), a capacity's is the row's bound. `refineries` is indexed by refinery_id,
    `products` by (refinery_id, product_id), both from the solve the dual comes from."""
    family = _cell(row, "family")
    unit = _value_unit(family, row)
    if dual is None or (isinstance(dual, float) and math.isnan(dual)):
        return PlantValue(math.nan, unit, math.nan)
    if family in EQUALITY_FAMILIES:
        return PlantValue(float(dual), unit, math.nan)
    relief = -float(dual) if at == "lower" else float(dual)
    bound = row.get("lower" if at == "lower" else "upper", math.nan) if hasattr(row, "get") else math.nan
    bound = math.nan if bound is None or bound == "" else float(bound)
    r = _cell(row, "refinery_id")
    if family in VOLUME_FAMILIES:
        return PlantValue(relief, unit, relief * 0.01 * abs(bound))
    if family == "sulfur_plant":  # kUSD/d per t/d of capacity = $1000 per tonne
        return PlantValue(1000.0 * relief, unit, relief * 0.01 * abs(bound))
    if family in ("slate_api_min", "slate_api_max", "slate_sulfur_max", "slate_tan_max"):
        run = float(refineries["crude_run_kbd"][r]) if r in refineries.index else 0.0
        api = float(refineries["slate_api_deg"][r]) if r in refineries.index and "slate_api_deg" in refineries \
            else math.nan
        if not run > ZERO_KBD:
            return PlantValue(0.0, unit, 0.0)
        if family.startswith("slate_api"):
            per_deg = relief * run * _sg_per_api(api)
            return PlantValue(per_deg, unit, per_deg * 0.01 * max(abs(api), 1.0))
        per_unit = relief * run * 141.5 / (api + 131.5)
        level = float(refineries["slate_sulfur_wt_pct"][r]) if family == "slate_sulfur_max" \
            and "slate_sulfur_wt_pct" in refineries else _limit_level(row)
        return PlantValue(per_unit, unit, per_unit * 0.01 * abs(level))
    if family in ("blend_spec_min", "blend_spec_max", "product_ratio_min", "product_ratio_max"):
        ratio = family.startswith("product_ratio")
        product = _cell(row, "ref_product_id" if ratio else "product_id")
        key = (r, product)
        volume = float(products["volume_kbd"][key]) if key in products.index else 0.0
        per_unit = relief * volume
        if ratio:
            return PlantValue(per_unit, unit, per_unit * 0.01 * abs(_limit_level(row)))
        column = f"{_cell(row, 'quality_id')}_{'min' if family.endswith('min') else 'max'}"
        mine = (r, _cell(row, "product_id"))
        level = float(products[column][mine]) if column in products and mine in products.index else math.nan
        return PlantValue(per_unit * 0.01 * abs(level), unit, per_unit * 0.01 * abs(level))
    return PlantValue(relief, unit, math.nan)


def _limit_level(row: Any) -> float:
    """The limit's own level where constraints.csv records it (`limit_value`, written by newer solves), else NaN:
    the result tables hold no TAN of the slate nor a ratio's level."""
    value = row.get("limit_value", math.nan) if hasattr(row, "get") else math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _value_unit(family: str, row: Any) -> str:
    if family in VOLUME_FAMILIES or family in EQUALITY_FAMILIES:
        return "$/bbl"
    return {"slate_api_min": "kUSD/d per °API", "slate_api_max": "kUSD/d per °API",
            "slate_sulfur_max": "kUSD/d per wt% sulfur", "slate_tan_max": "kUSD/d per mg KOH/g TAN",
            "sulfur_plant": "$/t of sulfur",
            "blend_spec_min": "kUSD/d per 1% of the spec", "blend_spec_max": "kUSD/d per 1% of the spec",
            "product_ratio_min": "kUSD/d per unit of ratio",
            "product_ratio_max": "kUSD/d per unit of ratio"}.get(family, "kUSD/d per unit of the row")


def _side_context(res: CaseResults) -> tuple[pd.DataFrame, pd.DataFrame]:
    refineries = res.tables["refineries"].set_index("refinery_id")
    products = res.tables["products"].set_index(["refinery_id", "product_id"])
    return refineries, products


def compare_constraints(base: CaseResults, case: CaseResults) -> pd.DataFrame:
    """Rows whose marginal value moved or that became binding / stopped binding (inequalities only: an
    equality row is always at its limit). `at` says which bound the row sits on; `presence` says whether the
    row exists in both cases (a policy rule dropped by a scenario exists in one only). `limit` names the row in
    plant words; `base/case_marginal_value` are in `marginal_value_unit` (what relaxing the limit by one unit
    is worth); `base/case_dual_unique` are false where HiGHS ranging says the value is not unique."""
    index = [*INDEX_COLUMNS, *(column for column in TRADE_INDEX_COLUMNS
                               if any(column in res.tables["constraints"].columns for res in (base, case)))]
    keys = ["family", *index]
    b, c = constraint_state(base.tables["constraints"], index), constraint_state(case.tables["constraints"], index)
    cols = [*keys, "body", "lower", "upper", "slack", "dual", "dual_unique", "limit_value", "at", "binding"]
    merged = b[cols].merge(c[cols], on=keys, how="outer", suffixes=("_base", "_case"), indicator=True, sort=False)
    out = merged[keys].copy()
    out["presence"] = merged["_merge"].map({"both": "both", "left_only": "base only", "right_only": "case only"})
    for measure in ("lower", "upper", "slack", "dual"):
        out[f"base_{measure}"] = merged[f"{measure}_base"]
        out[f"case_{measure}"] = merged[f"{measure}_case"]
    out["dual_change"] = merged["dual_case"].fillna(0.0) - merged["dual_base"].fillna(0.0)
    for side in ("base", "case"):
        out[f"{side}_dual_unique"] = [("" if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))
                                       else bool(x)) for x in merged[f"dual_unique_{side}"]]
    out["base_at"] = merged["at_base"].fillna("")
    out["case_at"] = merged["at_case"].fillna("")
    was = merged["binding_base"].astype("boolean").fillna(False).astype(bool)
    now = merged["binding_case"].astype("boolean").fillna(False).astype(bool)
    out["binding_change"] = ""
    out.loc[now & ~was, "binding_change"] = "became binding"
    out.loc[was & ~now, "binding_change"] = "stopped binding"
    out.loc[now & (out["presence"] == "case only"), "binding_change"] = "added, binding"
    out.loc[was & (out["presence"] == "base only"), "binding_change"] = "removed, was binding"
    moved = out["dual_change"].abs() >= DUAL_MOVED_TOL
    keep = moved | (out["binding_change"] != "")
    out, merged = out[keep].reset_index(drop=True), merged[keep].reset_index(drop=True)
    upper = out["case_upper"].where(out["case_upper"].notna(), out["base_upper"])
    out["limit"] = [limit_name({**row, "upper": up}, row["case_at"] or row["base_at"])
                    for row, up in zip(out.to_dict("records"), upper)]
    for side, res in (("base", base), ("case", case)):
        refineries, products = _side_context(res)
        values = [plant_value({**row, "lower": row[f"{side}_lower"], "upper": row[f"{side}_upper"],
                               "limit_value": level}, row[f"{side}_dual"], row[f"{side}_at"], refineries, products)
                  for row, level in zip(out.to_dict("records"), merged[f"limit_value_{side}"])]
        out[f"{side}_marginal_value"] = [v.value for v in values]
        out[f"{side}_worth_1pct_kusd_per_day"] = [v.worth_1pct_kusd_per_day for v in values]
        out["marginal_value_unit"] = [v.unit for v in values]
    out["marginal_value_change"] = out["case_marginal_value"].fillna(0.0) - out["base_marginal_value"].fillna(0.0)
    order = [*keys, "limit", "presence", "binding_change", "marginal_value_unit", "base_marginal_value",
             "case_marginal_value", "marginal_value_change", "base_worth_1pct_kusd_per_day",
             "case_worth_1pct_kusd_per_day", "base_dual_unique", "case_dual_unique", "base_at", "case_at",
             "base_lower", "case_lower", "base_upper", "case_upper", "base_slack", "case_slack", "base_dual",
             "case_dual", "dual_change"]
    return out[order]


def compare_summary(base: CaseResults, case: CaseResults, refineries: pd.DataFrame,
                    slate: pd.DataFrame) -> pd.DataFrame:
    coast = refineries.set_index("refinery_id").loc[COAST]

    def taken(res: CaseResults) -> tuple[int, int]:
        s = res.tables["slate"]
        s = s[s["volume_kbd"] > ZERO_KBD]
        r = res.tables["refineries"]
        return int(s["crude_id"].nunique()), int((r["crude_run_kbd"] > ZERO_KBD).sum())

    (crudes_b, running_b), (crudes_c, running_c) = taken(base), taken(case)
    rows = [
        ("coast margin", "kUSD/d", coast["base_margin_kusd_per_day"], coast["case_margin_kusd_per_day"]),
        ("coast margin per barrel", "$/bbl", coast["base_margin_usd_per_bbl"], coast["case_margin_usd_per_bbl"]),
        ("crude run", "kb/d", coast["base_crude_run_kbd"], coast["case_crude_run_kbd"]),
        ("crude-unit utilisation", "%", coast["base_crude_utilization_pct"], coast["case_crude_utilization_pct"]),
        ("product revenue", "kUSD/d", coast["base_revenue_kusd_per_day"], coast["case_revenue_kusd_per_day"]),
        ("crude cost", "kUSD/d", coast["base_crude_cost_kusd_per_day"], coast["case_crude_cost_kusd_per_day"]),
        ("operating cost", "kUSD/d", coast["base_operating_cost_kusd_per_day"],
         coast["case_operating_cost_kusd_per_day"]),
        *((("stream purchase cost", "kUSD/d", coast[f"base_{TRADE_COST_COLUMNS[0]}"],
            coast[f"case_{TRADE_COST_COLUMNS[0]}"]),
           ("stream transfer cost", "kUSD/d", coast[f"base_{TRADE_COST_COLUMNS[1]}"],
            coast[f"case_{TRADE_COST_COLUMNS[1]}"])) if trades(base, case) else ()),
        ("crude grades taken", "count", crudes_b, crudes_c),
        ("refineries running", "count", running_b, running_c),
    ]
    return pd.DataFrame([{"metric": m, "unit": u, "base_value": float(x), "case_value": float(y),
                          "change": float(y) - float(x)} for m, u, x, y in rows])


def compare_cases(base: CaseResults, case: CaseResults) -> Comparison:
    """Every comparison table of `case` against `base` (see the module docstring for the columns)."""
    if base.path.resolve() == case.path.resolve():
        raise ResultsError(f"{base.path} is given as both cases; give two different result folders (the base "
                           f"first, then the case).")
    warnings = check_comparable(base, case)
    refineries = compare_refineries(base, case)
    slate = compare_slate(base, case)
    tables = {
        "compare_summary": compare_summary(base, case, refineries, slate),
        "compare_refineries": refineries,
        "compare_bridge": compare_bridge(base, case),
        "compare_slate": slate,
        "compare_origins": compare_origins(base, case),
        "compare_units": compare_units(base, case),
        "compare_products": compare_products(base, case),
        "compare_constraints": compare_constraints(base, case),
    }
    label_b, label_c = _labels(base, case)
    for frame in tables.values():
        frame.insert(0, "case_scenario", label_c)
        frame.insert(0, "base_scenario", label_b)
    return Comparison(base, case, tables, warnings)


# ---------------------------------------------------------------------------------------------
# the ten-second summary

SUMMARY_WIDTH = 124  # characters of a detail line, its label included: one line, read at a glance
HEADLINE_ORIGINS = 3


def _kbd(x: float) -> str:
    """+480 / -61 / +4.2 kb/d: whole barrels once the move is ten kb/d or more."""
    return f"{x:+,.0f}" if abs(x) >= 9.95 else f"{x:+,.1f}"


def _million(kusd_per_day: float) -> str:
    """+$206.9 M/d, -$0.88 M/d, +$4 k/d."""
    sign = "+" if kusd_per_day >= 0 else "-"
    x = abs(kusd_per_day)
    if x >= 995.0:
        return f"{sign}${x / 1000:,.1f} M/d"
    if x >= 9.95:
        return f"{sign}${x / 1000:,.2f} M/d"
    return f"{sign}${x:,.1f} k/d"


def _fit_count(items: list[str], width: int, more: str, sep: str = ", ") -> int:
    """How many of `items` (most important first) fit in `width` characters with the '(+N more)' tail; at least
    one."""
    count = 0
    for i in range(1, len(items) + 1):
        tail = f" (+{len(items) - i} {more})" if i < len(items) else ""
        if count and len(sep.join(items[:i]) + tail) > width:
            break
        count = i
    return count


def _fit(label: str, items: list[str], more: str = "more", sep: str = ", ") -> str:
    """'label: a, b, c (+4 more)' with as many of `items` (most important first) as fit in SUMMARY_WIDTH."""
    count = _fit_count(items, SUMMARY_WIDTH - len(label) - 2, more, sep)
    rest = len(items) - count
    return f"{label}: " + sep.join(items[:count]) + (f" (+{rest} {more})" if rest else "")


def _largest(pairs: list[tuple[str, float]], tol: float) -> list[tuple[str, float]]:
    """Moves of `tol` or more, largest first (ties by name), then gains before losses."""
    moved = sorted(((n, x) for n, x in pairs if abs(x) >= tol), key=lambda p: (-abs(p[1]), p[0]))
    return moved


def _gains_first(pairs: list[tuple[str, float]]) -> list[tuple[str, float]]:
    return sorted(pairs, key=lambda p: (p[1] < 0, -abs(p[1]), p[0]))


def _flows_line(label: str, pairs: list[tuple[str, float]], unit: str, more: str = "smaller") -> str:
    """'label: +480 kb/d Venezuela, +100 Canada, -284 United States (+3 smaller)': of `pairs` (largest move
    first) as many as fit, shown gains first, the unit on the first shown only."""
    if not pairs:
        return f"{label}: no change"
    count = _fit_count([f"{_kbd(x)} {name}" for name, x in pairs], SUMMARY_WIDTH - len(label) - len(unit) - 3, more)
    shown = _gains_first(pairs[:count])
    texts = [f"{_kbd(x)}{' ' + unit if i == 0 else ''} {name}" for i, (name, x) in enumerate(shown)]
    rest = len(pairs) - count
    return f"{label}: " + ", ".join(texts) + (f" (+{rest} {more})" if rest else "")


@dataclass
class UnitMove:
    refinery_id: str
    unit: str  # "crude unit" or the unit id
    base_pct: float
    case_pct: float

    @property
    def change_pp(self) -> float:
        return self.case_pct - self.base_pct

    def text(self) -> str:
        return f"{self.unit} at {self.refinery_id} {self.base_pct:.0f}% -> {self.case_pct:.0f}%"


def unit_moves(comparison: Comparison) -> list[UnitMove]:
    """Crude units (from compare_refineries) and process units (compare_units) whose utilisation moved by
    UTILISATION_MOVED_PP or more, largest move first. A unit missing on one side (or idle) counts as 0 %."""
    t = comparison.tables
    moves = []
    refineries = t["compare_refineries"]
    for r in refineries[refineries["refinery_id"] != COAST].itertuples():
        moves.append(UnitMove(r.refinery_id, "crude unit", _pct(r.base_crude_utilization_pct),
                              _pct(r.case_crude_utilization_pct)))
    for u in t["compare_units"].itertuples():
        moves.append(UnitMove(u.refinery_id, u.unit_id, _pct(u.base_utilization_pct), _pct(u.case_utilization_pct)))
    moved = [m for m in moves if abs(m.change_pp) >= UTILISATION_MOVED_PP]
    return sorted(moved, key=lambda m: (-abs(m.change_pp), m.refinery_id, m.unit))


def _pct(x: float) -> float:
    return 0.0 if x is None or math.isnan(float(x)) else float(x)


def starts_and_stops(comparison: Comparison) -> list[tuple[str, str, float]]:
    """(refinery, 'starts up' or 'shuts down', crude run kb/d of the running side)."""
    refineries = comparison.tables["compare_refineries"]
    out = []
    for r in refineries[refineries["refinery_id"] != COAST].itertuples():
        if r.base_crude_run_kbd <= ZERO_KBD < r.case_crude_run_kbd:
            out.append((r.refinery_id, "starts up", float(r.case_crude_run_kbd)))
        elif r.case_crude_run_kbd <= ZERO_KBD < r.base_crude_run_kbd:
            out.append((r.refinery_id, "shuts down", float(r.base_crude_run_kbd)))
    return out


def _quoted(value: float, unit: str, unique: Any) -> str:
    """'27.15 $/bbl', or 'value not unique' where HiGHS ranging says the optimum is degenerate there (one more
    unit of the limit is worth something else than one unit less: no single number to quote)."""
    if unique is False:
        return "value not unique"
    decimals = 2 if unit == "$/bbl" else 1
    return f"{value:,.{decimals}f} {unit}"


def _worth(row: dict[str, Any], side: str) -> str:
    """'27.15 $/bbl' for the case side, '(was 15.18 $/bbl)' for the base side, '(value not unique)' for either
    where the value is not one number."""
    text = _quoted(row[f"{side}_marginal_value"], row["marginal_value_unit"], row[f"{side}_dual_unique"])
    if row[f"{side}_dual_unique"] is False:
        return f"({text})"
    return text if side == "case" else f"(was {text})"


def binding_changes(comparison: Comparison) -> dict[str, pd.DataFrame]:
    """Rows that started binding ('now') and stopped ('no longer'), worth half a cent or more a unit on the side
    where they bind; rows with a unique marginal value first, then by value (largest first)."""
    table = comparison.tables["compare_constraints"]
    out = {}
    for key, kinds, side in (("now", ("became binding", "added, binding"), "case"),
                             ("no longer", ("stopped binding", "removed, was binding"), "base")):
        rows = table[table["binding_change"].isin(kinds)
                     & (table[f"{side}_marginal_value"].abs() >= DUAL_MOVED_TOL)].copy()
        out[key] = rank_limits(rows, side)
    return out


def rank_limits(rows: pd.DataFrame, side: str = "") -> pd.DataFrame:
    """Limits by what a 1 % relaxation of each is worth (one scale for all kinds, as `crudeslate explain`),
    quotable values (unique) first; limits whose level the tables lack after, by marginal value."""
    prefix = f"{side}_" if side else ""
    rows = rows.copy()
    rows["_degenerate"] = rows[f"{prefix}dual_unique"].map(lambda x: x is False)
    rows["_worth"] = (-rows[f"{prefix}worth_1pct_kusd_per_day"].abs()).fillna(math.inf)
    rows["_value"] = -rows[f"{prefix}marginal_value"].abs()
    rows = rows.sort_values(["_degenerate", "_worth", "_value", "limit"], kind="stable")
    return rows.drop(columns=["_degenerate", "_worth", "_value"]).reset_index(drop=True)


def headline(comparison: Comparison) -> str:
    """One line: the top origin moves, the coast margin, the largest utilisation move."""
    t = comparison.tables
    coast = t["compare_refineries"].set_index("refinery_id").loc[COAST]
    origins = t["compare_origins"]
    origins = origins[origins["refinery_id"] == COAST]
    top = _largest(list(zip(origins["origin"], origins["volume_change_kbd"])), 0.05)[:HEADLINE_ORIGINS]
    parts = [_flows_line("", top, "kb/d")[2:] if top else "same crude origins"]
    change = float(coast["margin_change_kusd_per_day"])
    parts.append(f"coast margin {_million(change)}" if abs(change) >= 0.05 else "coast margin unchanged")
    moves = unit_moves(comparison)
    if moves:
        first = moves[0]
        parts.append(first.text())
    else:
        parts.append("no unit's utilisation moved by half a point")
    return "; ".join(parts)


def summary_lines(comparison: Comparison) -> list[str]:
    """What a planner reads first. [0] what is compared, [1] the headline (origins, margin, top unit move),
    then short detail lines: margin bridge, grades, refineries, units, limits now and no longer binding,
    warnings."""
    t = comparison.tables
    refineries = t["compare_refineries"].set_index("refinery_id")
    coast = refineries.loc[COAST]
    lines = [f"{comparison.case_label} against {comparison.base_label} ({comparison.base.instance_name})",
             headline(comparison)]

    scale = 1000.0 if abs(float(coast["margin_change_kusd_per_day"])) >= 995.0 else 1.0
    unit = "$M/d" if scale == 1000.0 else "kUSD/d"
    decimals = 1
    bridge = t["compare_bridge"]
    bridge = bridge[(bridge["refinery_id"] == COAST) & (bridge["kind"] == "change")]
    steps = _largest([(s, x / scale) for s, x in zip(bridge["step"], bridge["amount_kusd_per_day"])],
                     0.5 * 10 ** -decimals)
    lines.append(_fit(f"margin {coast['base_margin_kusd_per_day'] / scale:,.{decimals}f} -> "
                      f"{coast['case_margin_kusd_per_day'] / scale:,.{decimals}f} {unit}",
                      [f"{s} {x:+,.{decimals}f}" for s, x in steps] or ["no change"], "smaller"))

    grades = t["compare_slate"]
    grades = grades[grades["refinery_id"] == COAST]
    lines.append(_flows_line("grades", _largest(list(zip(grades["crude_id"], grades["volume_change_kbd"])), 0.05),
                             "kb/d"))

    run_change = float(coast["crude_run_change_kbd"])
    parts = [f"crude run {_kbd(run_change)} kb/d" if abs(run_change) >= 0.05
             else f"crude run unchanged at {float(coast['case_crude_run_kbd']):,.0f} kb/d"]
    for what in ("starts up", "shuts down"):
        names = [r for r, w, _ in starts_and_stops(comparison) if w == what]
        if names:
            verb = what if len(names) == 1 else what.replace("starts", "start").replace("shuts", "shut")
            parts.append(", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
                         + f" {verb}")
    per_ref = refineries.drop(index=COAST)
    margins = _largest(list(zip(per_ref.index, per_ref["margin_change_kusd_per_day"])), 0.05)
    if margins and len(per_ref) > 1:
        r, x = margins[0]
        parts.append(f"margin {'up' if x > 0 else 'down'} most at {r} {_million(float(x))}")
    lines.append(_fit("refineries", parts, sep="; "))

    moves = unit_moves(comparison)[1:]
    if moves:
        lines.append(_fit("units", [m.text() for m in moves], "smaller"))

    changes = binding_changes(comparison)
    lifted = [row for row in changes["no longer"].to_dict("records") if row["presence"] == "base only"]
    added = [row for row in changes["now"].to_dict("records") if row["presence"] == "case only"]
    if lifted:
        lines.append(_fit("rules lifted", [f"{row['limit']} {_worth(row, 'base')}" for row in lifted]))
    if added:
        lines.append(_fit("rules added", [f"{row['limit']} {_worth(row, 'case')}" for row in added]))
    for key, label, side in (("now", "now binding", "case"), ("no longer", "no longer binding", "base")):
        rows = [row for row in changes[key].to_dict("records") if row["presence"] == "both"]
        if rows:
            lines.append(_fit(label, [f"{row['limit']} {_worth(row, side)}" for row in rows]))
    lines.extend(f"warning: {w}" for w in comparison.warnings)
    return lines


def comparison_manifest(comparison: Comparison, lines: list[str]) -> dict[str, Any]:
    from importlib.metadata import version

    def side(res: CaseResults) -> dict[str, Any]:
        keep = ("instance", "instance_name", "scenario", "overrides", "input_sha256", "objective_kusd_per_day",
                "versions")
        return {"results": str(res.path.resolve()), **{k: res.manifest.get(k) for k in keep}}

    return {"kind": "comparison", "base": side(comparison.base), "case": side(comparison.case),
            "crudeslate": version("crudeslate"), "summary": lines, "warnings": comparison.warnings,
            "tolerances": {"binding_slack": BINDING_SLACK_TOL, "dual_moved": DUAL_MOVED_TOL}}
