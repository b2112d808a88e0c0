"""Two solved cases side by side: what moved between a base and a case, in tidy tables and in ten seconds.

Every table has `base_scenario` and `case_scenario` first, then its keys, then for each measure
`base_<measure>`, `case_<measure>` and `<measure>_change_<unit>` (case minus base; a change of a
percentage is in percentage points, `_pp`). Rows with `refinery_id == "coast"` total every refinery.
Nothing here re-solves: it reads the tables `solve` wrote.
"""

from __future__ import annotations

import math
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
INDEX_COLUMNS = ("refinery_id", "crude_id", "unit_id", "stream_id", "product_id", "ref_product_id", "quality_id",
                 "tier", "link_id", "rule_id")
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


def _with_coast_refineries(refineries: pd.DataFrame) -> pd.DataFrame:
    frame = refineries.copy()
    sums = ["crude_run_kbd", "crude_capacity_kbd", "revenue_kusd_per_day", "crude_cost_kusd_per_day",
            "operating_cost_kusd_per_day", "margin_kusd_per_day"]
    coast = {column: frame[column].sum() for column in sums}
    coast["refinery_id"] = COAST
    coast["margin_usd_per_bbl"] = coast["margin_kusd_per_day"] / coast["crude_run_kbd"] \
        if coast["crude_run_kbd"] > ZERO_KBD else math.nan
    frame = pd.concat([frame, pd.DataFrame([coast])], ignore_index=True)
    frame["crude_utilization_pct"] = 100.0 * frame["crude_run_kbd"] / frame["crude_capacity_kbd"].where(
        frame["crude_capacity_kbd"] > 0)
    return frame


def compare_refineries(base: CaseResults, case: CaseResults) -> pd.DataFrame:
    """Per refinery and for the coast: crude run and utilisation, revenue, costs and margin."""
    table = _side_by_side(_with_coast_refineries(base.tables["refineries"]),
                          _with_coast_refineries(case.tables["refineries"]), ["refinery_id"],
                          {"crude_run_kbd": 0.0, "crude_capacity_kbd": math.nan, "crude_utilization_pct": math.nan,
                           "revenue_kusd_per_day": 0.0, "crude_cost_kusd_per_day": 0.0,
                           "operating_cost_kusd_per_day": 0.0, "margin_kusd_per_day": 0.0,
                           "margin_usd_per_bbl": math.nan})
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
    """The margin bridge from base to case, per refinery and for the coast, in kUSD/d.

    margin = revenue - crude cost - operating cost, so with V product volumes, P product prices,
    B crude volumes, D delivered costs (FOB + freight + tariff, T the tariff part), 0 base and 1 case:
      product prices            = sum V1 (P1 - P0)
      product volumes           = sum (V1 - V0) P0
      crude prices and freight  = - sum B1 ((D1 - T1) - (D0 - T0))
      tariffs                   = - sum B1 (T1 - T0)
      crude slate               = - sum (B1 - B0) D0
      other crude costs         = - (change in crude cost - change in sum B D): supply-tier premia, crude-unit cost
      operating cost            = - change in unit operating cost
    and base margin + the steps = case margin exactly.
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
        rows.extend({"refinery_id": refinery, "step": step, "kind": "total" if step.endswith("margin") else "change",
                     "kusd_per_day": float(steps[step])} for step in BRIDGE_STEPS)
    return pd.DataFrame(rows, columns=["refinery_id", "step", "kind", "kusd_per_day"])


def constraint_state(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in INDEX_COLUMNS:
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
    return frame


def compare_constraints(base: CaseResults, case: CaseResults) -> pd.DataFrame:
    """Rows whose marginal value moved or that became binding / stopped binding (inequalities only: an
    equality row is always at its limit). `at` says which bound the row sits on; `presence` says whether the
    row exists in both cases (a policy rule dropped by a scenario exists in one only)."""
    keys = ["family", *INDEX_COLUMNS]
    b, c = constraint_state(base.tables["constraints"]), constraint_state(case.tables["constraints"])
    cols = [*keys, "body", "lower", "upper", "slack", "dual", "at", "binding"]
    merged = b[cols].merge(c[cols], on=keys, how="outer", suffixes=("_base", "_case"), indicator=True, sort=False)
    out = merged[keys].copy()
    out["presence"] = merged["_merge"].map({"both": "both", "left_only": "base only", "right_only": "case only"})
    for measure in ("lower", "upper", "slack", "dual"):
        out[f"base_{measure}"] = merged[f"{measure}_base"]
        out[f"case_{measure}"] = merged[f"{measure}_case"]
    out["dual_change"] = merged["dual_case"].fillna(0.0) - merged["dual_base"].fillna(0.0)
    out["base_at"] = merged["at_base"].fillna("")
    out["case_at"] = merged["at_case"].fillna("")
    was = merged["binding_base"].astype("boolean").fillna(False).astype(bool)
    now = merged["binding_case"].astype("boolean").fillna(False).astype(bool)
    out["binding_change"] = ""
    out.loc[now & ~was, "binding_change"] = "became binding"
    out.loc[was & ~now, "binding_change"] = "stopped binding"
    moved = out["dual_change"].abs() >= DUAL_MOVED_TOL
    out = out[moved | (out["binding_change"] != "")]
    return out.reset_index(drop=True)


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
        ("crude grades taken", "count", crudes_b, crudes_c),
        ("refineries running", "count", running_b, running_c),
    ]
    return pd.DataFrame([{"metric": m, "unit": u, "base_value": float(x), "case_value": float(y),
                          "change": float(y) - float(x)} for m, u, x, y in rows])


def compare_cases(base: CaseResults, case: CaseResults) -> Comparison:
    """Every comparison table of `case` against `base` (see the module docstring for the columns)."""
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


def _kbd(x: float) -> str:
    return f"{x:+,.1f}"


def _moves(pairs: list[tuple[str, float]], limit: int, unit: str = "") -> str:
    """'+610.0 kb/d canada, +42.0 mexico, -137.9 colombia' with the largest moves first, gains before losses."""
    moved = [(name, x) for name, x in pairs if abs(x) >= 0.05]
    top = sorted(moved, key=lambda p: -abs(p[1]))[:limit]
    top = sorted(top, key=lambda p: (p[1] < 0, -abs(p[1])))
    text = ", ".join(f"{_kbd(x)}{' ' + unit if i == 0 and unit else ''} {name}" for i, (name, x) in enumerate(top))
    if len(moved) > limit:
        text += f" (+{len(moved) - limit} smaller)"
    return text or "no change"


def _money(kusd_per_day: float) -> str:
    return f"{kusd_per_day:+,.1f} kUSD/d ({'+' if kusd_per_day >= 0 else '-'}${abs(kusd_per_day) / 1000:,.2f} M/d)"


def _row_name(row: pd.Series) -> str:
    """'unit_capacity coker at port_arthur' from a constraints row."""
    parts = [str(row[c]) for c in INDEX_COLUMNS if c != "refinery_id" and str(row.get(c, "")) not in ("", "nan")]
    where = f" at {row['refinery_id']}" if str(row.get("refinery_id", "")) not in ("", "nan") else ""
    return f"{row['family']} {' '.join(parts)}".strip() + where


def summary_lines(comparison: Comparison, top: int = 4) -> list[str]:
    """What a planner reads first: margin, barrels by origin and grade, the units and limits that moved."""
    t = comparison.tables
    refineries = t["compare_refineries"].set_index("refinery_id")
    coast = refineries.loc[COAST]
    origins = t["compare_origins"]
    origins = origins[origins["refinery_id"] == COAST]
    slate = t["compare_slate"]
    grades = slate[slate["refinery_id"] == COAST]
    lines = [f"{comparison.case_label} against {comparison.base_label} ({comparison.base.instance_name})"]
    lines.append(f"coast margin: {_money(coast['margin_change_kusd_per_day'])}, "
                 f"{coast['base_margin_kusd_per_day']:,.1f} -> {coast['case_margin_kusd_per_day']:,.1f} kUSD/d; "
                 f"crude run {_kbd(coast['crude_run_change_kbd'])} kb/d "
                 f"({coast['base_crude_run_kbd']:,.1f} -> {coast['case_crude_run_kbd']:,.1f})")
    lines.append("by origin: " + _moves(list(zip(origins["origin"], origins["volume_change_kbd"])), 6, "kb/d"))
    lines.append("by grade: " + _moves(list(zip(grades["crude_id"], grades["volume_change_kbd"])), top, "kb/d"))
    bridge = t["compare_bridge"]
    bridge = bridge[(bridge["refinery_id"] == COAST) & (bridge["kind"] == "change")]
    lines.append("margin bridge (kUSD/d): " + ", ".join(
        f"{step} {x:+,.1f}" for step, x in zip(bridge["step"], bridge["kusd_per_day"]) if abs(x) >= 0.05))
    per_ref = refineries.drop(index=COAST)
    lines.append("margin moves most at: " + _moves(
        list(zip(per_ref.index, per_ref["margin_change_kusd_per_day"])), 3, "kUSD/d"))
    units = t["compare_units"]
    units = units[units["utilization_change_pp"].abs() >= UTILISATION_MOVED_PP].copy()
    if len(units):
        units["order"] = -units["utilization_change_pp"].abs()
        units = units.sort_values(["order", "refinery_id", "unit_id"]).head(top)
        lines.append("utilisation: " + ", ".join(
            f"{r.unit_id} at {r.refinery_id} {r.base_utilization_pct:.0f}% -> {r.case_utilization_pct:.0f}%"
            for r in units.itertuples()))
    else:
        lines.append("utilisation: no unit moved by more than 0.5 percentage points")
    constraints = t["compare_constraints"]
    for kind, side in (("became binding", "case_dual"), ("stopped binding", "base_dual")):
        rows = constraints[(constraints["binding_change"] == kind)
                           & (constraints[side].abs() >= DUAL_MOVED_TOL)].copy()  # at a bound and worth money
        if not len(rows):
            continue
        rows["order"] = -rows[side].abs().fillna(0.0)
        rows = rows.sort_values(["order", "family"], kind="stable")
        named = [f"{_row_name(row)} ({row[side]:+.2f})" for _, row in rows.head(top).iterrows()]
        more = f" (+{len(rows) - top} more)" if len(rows) > top else ""
        lines.append(f"{kind} (marginal value): " + ", ".join(named) + more)
    moved = constraints[(constraints["presence"] == "both") & (constraints["binding_change"] == "")
                        & ~constraints["base_at"].isin(["equality"]) & (constraints["dual_change"].abs() > 0)].copy()
    if len(moved):
        moved["order"] = -moved["dual_change"].abs()
        moved = moved.sort_values(["order", "family"], kind="stable").head(top)
        lines.append("marginal values moved: " + ", ".join(
            f"{_row_name(row)} {row['base_dual']:.2f} -> {row['case_dual']:.2f}" for _, row in moved.iterrows()))
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
