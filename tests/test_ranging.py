"""Marginal values and their validity ranges, against a published sensitivity analysis and brute force."""

from __future__ import annotations

import math

import pytest

from optimizer.data import derive
from optimizer.results import build_tables
from optimizer.scenarios import resolve
from optimizer.solve import SlateSolver
from optimizer.validate import load_instance

from .conftest import INSTANCES

EPS = 1e-3


def solve(instance, sets=(), must_be_optimal=True):
    scenario = resolve(instance, "base", list(sets))
    d = derive(scenario)
    res = SlateSolver().solve(d, with_ranging=True)
    if not must_be_optimal and res.status != "optimal":
        return res, None
    assert res.status == "optimal"
    return res, build_tables(scenario, d, res)


def test_wyndor_glass_published_sensitivity_analysis():
    """Hillier & Lieberman, Introduction to Operations Research (9th ed., 2010), Wyndor Glass Co.:
    Z* = 36 at (x1, x2) = (2, 6); shadow prices y1 = 0, y2 = 3/2, y3 = 1 (section 4.7);
    allowable ranges 6 <= b2 <= 18, 12 <= b3 <= 24, 0 <= c1 <= 7.5, c2 >= 2 (sections 7.2-7.3).
    The instance measures in plant-3 hours: u1 = 3 x1, u2 = 2 x2, so product prices per hour are c1/3, c2/2."""
    res, tables = solve(load_instance(INSTANCES / "wyndor_glass"))
    assert res.objective_kusd_per_day == pytest.approx(36.0)
    assert res.values["Buy"][("plant3", "doors")] / 3 == pytest.approx(2.0)
    assert res.values["Buy"][("plant3", "windows")] / 2 == pytest.approx(6.0)
    rows = tables["constraints"].set_index(["family", "crude_id"])
    plant1, plant2 = rows.loc[("crude_availability", "doors")], rows.loc[("crude_availability", "windows")]
    plant3 = rows.loc[("crude_unit_capacity", "")]
    assert (plant1["dual"], plant2["dual"], plant3["dual"]) == pytest.approx((0.0, 1.5, 1.0))
    assert (plant2["bound_valid_from"], plant2["bound_valid_to"]) == pytest.approx((6.0, 18.0))
    assert (plant3["bound_valid_from"], plant3["bound_valid_to"]) == pytest.approx((12.0, 24.0))
    products = tables["products"].set_index("product_id")
    doors, windows = products.loc["door_sales"], products.loc["window_sales"]
    assert (3 * doors["price_valid_from_usd_per_bbl"], 3 * doors["price_valid_to_usd_per_bbl"]) == pytest.approx((0, 7.5))
    assert 2 * windows["price_valid_from_usd_per_bbl"] == pytest.approx(2.0)
    assert math.isinf(windows["price_valid_to_usd_per_bbl"])


# rows of the textbook whose bound a cell path can move: family, index, path to the bound
TEXTBOOK_BOUNDS = [
    ("crude_unit_capacity", {"refinery_id": "refinery"}, "refineries.refinery.crude_capacity_kbd"),
    ("unit_capacity", {"refinery_id": "refinery", "unit_id": "cracker"}, "units.refinery/cracker.capacity_kbd"),
    ("crude_availability", {"crude_id": "crude2"}, "crudes.crude2.availability_kbd"),
    ("product_sales", {"product_id": "lube_oil"}, "products.lube_oil.min_sales_kbd"),
]


@pytest.mark.parametrize("family, index, path", TEXTBOOK_BOUNDS)
def test_duals_match_finite_differences_inside_their_range(family, index, path):
    textbook = load_instance(INSTANCES / "textbook_refinery")
    res, tables = solve(textbook)
    rows = tables["constraints"]
    chosen = rows["family"] == family
    for column, value in index.items():
        chosen &= rows[column] == value
    (row,) = [r for _, r in rows[chosen].iterrows()]
    assert row["dual_unique"] == True  # noqa: E712  (numpy bool)
    assert row["dual"] != 0
    bound = row["upper"] if row["binding_side"] == "upper" else row["lower"]
    for step in (EPS, -EPS):
        moved, _ = solve(textbook, [f"{path} = {bound + step}"])
        slope = (moved.objective_kusd_per_day - res.objective_kusd_per_day) / step
        assert slope == pytest.approx(row["dual"], rel=1e-5, abs=1e-7)
    # just past the end of the validity range the marginal value is different (or no plan exists)
    end = row["bound_valid_to"]
    if math.isfinite(end):
        a, _ = solve(textbook, [f"{path} = {end + EPS}"], must_be_optimal=False)
        b, _ = solve(textbook, [f"{path} = {end + 2 * EPS}"], must_be_optimal=False)
        if a.optimal and b.optimal:
            assert (b.objective_kusd_per_day - a.objective_kusd_per_day) / EPS != pytest.approx(row["dual"], abs=1e-4)
        else:
            assert end == pytest.approx(1.0)  # the lube floor cannot pass the lube ceiling of 1 kb/d


def test_crude_price_range_keeps_the_plan_and_its_end_changes_it():
    toy = load_instance(INSTANCES / "toy_two_crudes")
    res, tables = solve(toy, ["crudes.light.availability_kbd = 30"])
    slate = tables["slate"].set_index("crude_id")
    for crude in ("light", "heavy"):
        lo, hi = slate.at[crude, "delivered_valid_from_usd_per_bbl"], slate.at[crude, "delivered_valid_to_usd_per_bbl"]
        price = slate.at[crude, "delivered_cost_usd_per_bbl"]
        assert lo < price < hi
        base = dict(zip(slate.index, slate["volume_kbd"]))
        inside, _ = solve(toy, ["crudes.light.availability_kbd = 30", f"crudes.{crude}.price_usd_per_bbl = {hi - 0.01}"])
        assert {c: inside.values["Buy"][("refinery", c)] for c in base} == pytest.approx(base, abs=1e-6)
        outside, _ = solve(toy, ["crudes.light.availability_kbd = 30", f"crudes.{crude}.price_usd_per_bbl = {hi + 0.01}"])
        assert {c: outside.values["Buy"][("refinery", c)] for c in base} != pytest.approx(base, abs=1e-6)
