"""build_model: sets, mutable parameters, variables, then each constraint family in order, objective.

The model never reads files. Every number comes from `ModelData` through one mutable Param per
quantity, so a scenario or sweep point with the same structure updates the built model in place
(`update_parameters`) instead of rebuilding it.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer import constraints
from optimizer.data import ModelData, specific_gravity


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def param_values(d: ModelData) -> dict[str, dict[Any, float]]:
    """Every mutable parameter's values, keyed by Param name then index."""
    ref = d.refinery
    return {
        "crude_capacity_kbd": {r: _or(ref[r]["crude_capacity_kbd"], 0.0) for r in d.REFINERIES},
        "crude_min_run_kbd": {r: _or(ref[r]["crude_min_run_kbd"], 0.0) for r in d.REFINERIES},
        "crude_unit_cost_usd_per_bbl": {r: _or(ref[r]["crude_unit_cost_usd_per_bbl"], 0.0) for r in d.REFINERIES},
        "slate_sg_max": {r: specific_gravity(_or(ref[r]["api_min_deg"], 0.0)) for r in d.REFINERIES},
        "slate_sg_min": {r: specific_gravity(_or(ref[r]["api_max_deg"], 100.0)) for r in d.REFINERIES},
        "sulfur_max_wt_pct": {r: _or(ref[r]["sulfur_max_wt_pct"], 0.0) for r in d.REFINERIES},
        "tan_max_mg_koh_per_g": {r: _or(ref[r]["tan_max_mg_koh_per_g"], 0.0) for r in d.REFINERIES},
        "sulfur_plant_capacity_t_per_day": {r: _or(ref[r]["sulfur_plant_capacity_t_per_day"], 0.0)
                                            for r in d.REFINERIES},
        "sulfur_to_plant_frac": {r: _or(ref[r]["sulfur_to_plant_frac"], 1.0) for r in d.REFINERIES},
        "crude_sg": dict(d.sg),
        "crude_sulfur_wt_pct": dict(d.sulfur_wt_pct),
        "crude_tan_mg_koh_per_g": {c: _or(v, 0.0) for c, v in d.tan_mg_koh_per_g.items()},
        "crude_delivered_usd_per_bbl": {(r, c): d.delivered_usd_per_bbl(r, c) for r, c in d.PAIRS},
        "crude_yield_vol_frac": dict(d.crude_yield),
        "unit_yield_vol_frac": dict(d.unit_yield),
        "unit_capacity_kbd": dict(d.unit_capacity_kbd),
        "unit_min_feed_kbd": dict(d.unit_min_feed_kbd),
        "unit_cost_usd_per_bbl": dict(d.unit_cost_usd_per_bbl),
        "product_price_usd_per_bbl": dict(d.product_price_usd_per_bbl),
        "sales_min_kbd": dict(d.product_min_kbd),
        "sales_max_kbd": {p: _or(v, 0.0) for p, v in d.product_max_kbd.items()},
        "local_sales_min_kbd": {k: v[0] for k, v in d.product_limits.items()},
        "local_sales_max_kbd": {k: _or(v[1], 0.0) for k, v in d.product_limits.items()},
        "recipe_vol_frac": dict(d.recipe),
        "stream_quality": dict(d.quality),
        "spec_min_value": {k: _or(v[0], 0.0) for k, v in d.specs.items()},
        "spec_max_value": {k: _or(v[1], 0.0) for k, v in d.specs.items()},
        "ratio_min": {k: _or(v[0], 0.0) for k, v in d.ratios.items()},
        "ratio_max": {k: _or(v[1], 0.0) for k, v in d.ratios.items()},
        "availability_kbd": dict(d.availability_kbd),
        "tier_volume_kbd": {k: v[0] for k, v in d.tiers.items()},
        "tier_adder_usd_per_bbl": {k: v[1] for k, v in d.tiers.items()},
        "link_capacity_kbd": dict(d.link_capacity_kbd),
        "rule_volume_kbd": {k: v[1] for k, v in d.rules.items()},
        "stream_purchase_price_usd_per_bbl": dict(d.purchase_price_usd_per_bbl),
        "stream_purchase_min_kbd": dict(d.purchase_min_kbd),
        "stream_purchase_max_kbd": {b: _or(v, 0.0) for b, v in d.purchase_max_kbd.items()},
        "stream_transfer_cost_usd_per_bbl": dict(d.transfer_cost_usd_per_bbl),
        "stream_transfer_capacity_kbd": {x: _or(v, 0.0) for x, v in d.transfer_capacity_kbd.items()},
    }


def structure_key(d: ModelData) -> tuple:
    """What decides the model's rows and columns; two data sets with equal keys share one built model."""
    blanks = tuple(sorted((r, k) for r, row in d.refinery.items() for k, v in row.items() if v is None))
    return (
        tuple(d.PAIRS), tuple(d.UNIT_FEEDS), tuple(d.BALANCES), tuple(d.COMPONENTS), tuple(sorted(d.recipe)),
        tuple(sorted(d.quality)), tuple(sorted((k, v[0] is None, v[1] is None) for k, v in d.specs.items())),
        tuple(sorted((k, v[0] is None, v[1] is None) for k, v in d.ratios.items())),
        tuple(sorted((p, v is None) for p, v in d.product_max_kbd.items())),
        tuple(sorted((k, v[1] is None) for k, v in d.product_limits.items())),
        tuple(sorted(d.availability_kbd)), tuple(sorted(d.tiers)),
        tuple(sorted((l, tuple(p)) for l, p in d.link_pairs.items())),
        tuple(sorted((k, kind if kind != "ban" else "cap", tuple(p)) for k, (kind, _, p) in d.rules.items())),
        tuple(sorted(d.crude_yield)), tuple(sorted(d.unit_yield)), blanks,
        tuple(d.PURCHASE_BUYS), tuple(sorted((b, v is None) for b, v in d.purchase_max_kbd.items())),
        tuple((x, d.transfer_route[x], d.transfer_capacity_kbd[x] is None) for x in d.TRANSFERS),
    )


def build_model(d: ModelData) -> pyo.ConcreteModel:
    """The crude-slate LP for one data set (see `optimizer.constraints` for every family's maths)."""
    # a model is millions of small objects, none of them garbage: the collector's passes over them
    # while it is built cost as much as building it (Pyomo's own writers pause it the same way)
    with PauseGC():
        return _build(d)


def _build(d: ModelData) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="crude_slate")
    m.REFINERIES = pyo.Set(initialize=d.REFINERIES, ordered=True)
    m.PRODUCTS = pyo.Set(initialize=d.PRODUCTS, ordered=True)

    for name, values in param_values(d).items():
        setattr(m, name, pyo.Param(list(values), initialize=values, mutable=True, within=pyo.Reals))

    m.Buy = pyo.Var(d.PAIRS, domain=pyo.NonNegativeReals)
    m.Feed = pyo.Var(d.UNIT_FEEDS, domain=pyo.NonNegativeReals)
    m.Blend = pyo.Var([(r, p, s) for r in d.REFINERIES for p, s in d.COMPONENTS], domain=pyo.NonNegativeReals)
    m.Sell = pyo.Var([(r, p) for r in d.REFINERIES for p in d.PRODUCTS], domain=pyo.NonNegativeReals)
    m.TierBuy = pyo.Var(list(d.tiers), domain=pyo.NonNegativeReals)
    m.StreamBuy = pyo.Var(d.PURCHASE_BUYS, domain=pyo.NonNegativeReals)
    m.Transfer = pyo.Var(d.TRANSFERS, domain=pyo.NonNegativeReals)

    for add_family in constraints.FAMILIES:
        add_family(m, d)
    constraints.add_objective(m, d)
    constraints.release_fetched(m)
    m.structure_key = structure_key(d)
    return m


def update_parameters(m: pyo.ConcreteModel, d: ModelData) -> bool:
    """Load `d`'s numbers into a model built for the same structure; False (and no change) otherwise."""
    if m.structure_key != structure_key(d):
        return False
    for name, values in param_values(d).items():
        param = getattr(m, name)
        for index, value in values.items():
            param[index] = value
    return True


# Each constraint family and the names of its index positions, as result columns.
CONSTRAINT_INDEX: dict[str, tuple[str, ...]] = {
    "crude_unit_capacity": ("refinery_id",),
    "slate_api_min": ("refinery_id",),
    "slate_api_max": ("refinery_id",),
    "slate_sulfur_max": ("refinery_id",),
    "slate_tan_max": ("refinery_id",),
    "sulfur_plant": ("refinery_id",),
    "stream_balance": ("refinery_id", "stream_id"),
    "unit_capacity": ("refinery_id", "unit_id"),
    "product_make": ("refinery_id", "product_id"),
    "product_recipe": ("refinery_id", "product_id", "stream_id"),
    "blend_spec_min": ("refinery_id", "product_id", "quality_id"),
    "blend_spec_max": ("refinery_id", "product_id", "quality_id"),
    "product_ratio_min": ("refinery_id", "product_id", "ref_product_id"),
    "product_ratio_max": ("refinery_id", "product_id", "ref_product_id"),
    "product_sales": ("product_id",),
    "refinery_product_sales": ("refinery_id", "product_id"),
    "crude_availability": ("crude_id",),
    "crude_tier_split": ("crude_id",),
    "crude_tier_volume": ("crude_id", "tier"),
    "link_capacity": ("link_id",),
    "policy_cap": ("rule_id",),
    "policy_floor": ("rule_id",),
    "stream_purchase_limit": ("purchase_id",),
    "stream_transfer_capacity": ("transfer_id",),
}
