"""Marginal values and their validity ranges, against a published sensitivity analysis and brute force."""

from __future__ import annotations

import math

import pytest

from optimizer.data import derive
from optimizer.instance import read_instance
from optimizer.ranging import OptimalFace
from optimizer.results import build_tables
from optimizer.scenarios import resolve
from optimizer.solve import SlateSolver
from optimizer.validate import load_instance

from .conftest import INSTANCES
from .instance_builder import one_stream_tables, write_instance

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


def _constraint_row(tables, family: str, index: dict[str, str]):
    """The one constraints.csv row of `family` at `index`."""
    rows = tables["constraints"]
    chosen = rows["family"] == family
    for column, value in index.items():
        chosen &= rows[column] == value
    (row,) = [r for _, r in rows[chosen].iterrows()]
    return row


@pytest.mark.parametrize("family, index, path", TEXTBOOK_BOUNDS)
def test_duals_match_finite_differences_inside_their_range(family, index, path):
    textbook = load_instance(INSTANCES / "textbook_refinery")
    res, tables = solve(textbook)
    row = _constraint_row(tables, family, index)
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


@pytest.mark.parametrize("family, index, path", TEXTBOOK_BOUNDS)
def test_the_lower_end_of_each_range_is_where_the_value_changes(family, index, path):
    textbook = load_instance(INSTANCES / "textbook_refinery")
    _, tables = solve(textbook)
    row = _constraint_row(tables, family, index)
    start = row["bound_valid_from"]
    if not math.isfinite(start) or start < 2 * EPS:
        pytest.skip("the range reaches down to 0 or below")
    # just inside the lower end the value is the dual; just past it, it differs (or no plan exists)
    a, _ = solve(textbook, [f"{path} = {start + EPS}"], must_be_optimal=False)
    b, _ = solve(textbook, [f"{path} = {start + 2 * EPS}"], must_be_optimal=False)
    assert (b.objective_kusd_per_day - a.objective_kusd_per_day) / EPS == pytest.approx(row["dual"], rel=1e-5, abs=1e-7)
    c, _ = solve(textbook, [f"{path} = {start - EPS}"], must_be_optimal=False)
    e, _ = solve(textbook, [f"{path} = {start - 2 * EPS}"], must_be_optimal=False)
    if c.optimal and e.optimal:
        assert (c.objective_kusd_per_day - e.objective_kusd_per_day) / EPS != pytest.approx(row["dual"], abs=1e-4)


def test_a_degenerate_ban_is_flagged_and_its_range_derived_by_hand():
    # Toy under the heavy ban: light 60 kb/d (all on offer), its 18 kb/d of residue coked. One kb/d of heavy
    # allowed earns 0.4 x 95 + 0.6 x (0.8 x 95 + 0.2 x 20) - 65 = 21 $/bbl (its residue coked too) until the
    # coker fills at 18 + 0.6 x = 40, x = 36.67 kb/d. Below 0 there is nothing: the ban sits at the bottom
    # of its range (primal degenerate), so its value is one-sided.
    toy = load_instance(INSTANCES / "toy_two_crudes")
    scenario = resolve(toy, "heavy_banned")
    d = derive(scenario)
    res = SlateSolver().solve(d, with_ranging=True)
    tables = build_tables(scenario, d, res)
    row = tables["constraints"].set_index(["family", "rule_id"]).loc[("policy_cap", "ban_heavy")]
    assert row["dual"] == pytest.approx(21.0)
    assert row["bound_valid_to"] == pytest.approx(22 / 0.6)
    assert row["dual_unique"] == False  # noqa: E712
    assert row["degenerate_side"] == "below"
    # the banned pair's price does not matter to the plan at any level: its range is unbounded both ways,
    # and a re-solve at a price 40 $/bbl lower gives the same plan
    slate = tables["slate"].set_index("crude_id")
    assert slate.at["heavy", "delivered_valid_from_usd_per_bbl"] == -math.inf
    assert slate.at["heavy", "delivered_valid_to_usd_per_bbl"] == math.inf
    cheap = SlateSolver().solve(derive(resolve(toy, "heavy_banned", ["crudes.heavy.price_usd_per_bbl = 25"])))
    assert cheap.values["Buy"] == pytest.approx(res.values["Buy"])


def test_ties_are_flagged_in_the_slate_and_summary(tmp_path):
    # two identical refineries share 50 kb/d of A (20 $/bbl against B's 10): any split is optimal
    tables = one_stream_tables(["R1", "R2"])
    instance = read_instance(write_instance(tmp_path / "inst", tables))
    res, out = solve(instance)
    slate = out["slate"].set_index(["refinery_id", "crude_id"])
    # A at either refinery: a cent cheaper there and that refinery takes all 50 kb/d: today is a range end
    assert slate.at[("R1", "A"), "price_at_range_end"] and slate.at[("R2", "A"), "price_at_range_end"]
    assert out["summary"].at[0, "alternative_optima_possible"]
    face = optimal_face(instance)
    assert not face.is_point()
    # the toy's optimum is the only one (README: H and L fixed by the crude unit and the sulfur limit)
    _, toy = solve(load_instance(INSTANCES / "toy_two_crudes"))
    assert not toy["summary"].at[0, "alternative_optima_possible"]
    assert not toy["slate"]["price_at_range_end"].any()
    assert optimal_face(load_instance(INSTANCES / "toy_two_crudes")).is_point()


def optimal_face(instance):
    solver = SlateSolver()
    assert solver.solve(derive(resolve(instance, "base"))).optimal
    return OptimalFace(solver)


def test_sulfur_limit_in_its_own_unit_against_resolves():
    # the toy's sulfur limit binds; its marginal value per wt% by finite differences of the limit itself
    toy = load_instance(INSTANCES / "toy_two_crudes")
    res, tables = solve(toy)
    row = tables["constraints"].set_index("family").loc["slate_sulfur_max"]
    assert row["limit_unit"] == "wt%" and row["limit_value"] == pytest.approx(2.0)
    up, _ = solve(toy, ["refineries.refinery.sulfur_max_wt_pct = 2.001"])
    down, _ = solve(toy, ["refineries.refinery.sulfur_max_wt_pct = 1.999"])
    slope = (up.objective_kusd_per_day - down.objective_kusd_per_day) / 0.002
    assert row["marginal_value_per_limit_unit"] == pytest.approx(slope, rel=1e-4)
    assert row["limit_valid_from"] < 2.0 < row["limit_valid_to"]


def test_api_limit_in_degrees_against_resolves(tmp_path):
    # a refinery whose API maximum of 25 binds: A (API 20, margin 5) and B (API 35, margin 12) blend to 25
    tables = {
        "refineries": [{"refinery_id": "R", "crude_capacity_kbd": 100, "api_max_deg": 25}],
        "crudes": [{"crude_id": "A", "origin": "X", "api_deg": 20, "sulfur_wt_pct": 1.0, "price_usd_per_bbl": 55},
                   {"crude_id": "B", "origin": "Y", "api_deg": 35, "sulfur_wt_pct": 1.0, "price_usd_per_bbl": 48}],
        "streams": [{"stream_id": "oil"}],
        "crude_yields": [{"crude_id": c, "stream_id": "oil", "yield_vol_frac": 1.0} for c in ("A", "B")],
        "products": [{"product_id": "fuel", "price_usd_per_bbl": 60}],
        "blend_components": [{"product_id": "fuel", "stream_id": "oil"}],
    }
    instance = read_instance(write_instance(tmp_path / "inst", tables))
    _, out = solve(instance)
    row = out["constraints"].set_index("family").loc["slate_api_max"]
    assert row["limit_unit"] == "deg API"
    up, _ = solve(instance, ["refineries.R.api_max_deg = 25.001"])
    down, _ = solve(instance, ["refineries.R.api_max_deg = 24.999"])
    slope = (up.objective_kusd_per_day - down.objective_kusd_per_day) / 0.002
    assert slope > 0
    assert row["marginal_value_per_limit_unit"] == pytest.approx(slope, rel=1e-3)
    assert row["limit_valid_from"] < 25.0 < row["limit_valid_to"]


def test_flagship_crude_unit_value_against_resolves():
    # a binding crude unit on the flagship whose value is unique: finite differences of its capacity inside the
    # validity range give the dual (no flagship figure is pinned: the instance is being revised)
    gulf = load_instance(INSTANCES / "gulf_coast_2026")
    res, tables = solve(gulf)
    rows = tables["constraints"]
    rows = rows[(rows["family"] == "crude_unit_capacity") & (rows["binding_side"] == "upper")
                & (rows["dual_unique"] == True)  # noqa: E712
                & (rows["bound_valid_to"] - rows["upper"] > 1.0) & (rows["upper"] - rows["bound_valid_from"] > 1.0)]
    row = rows.sort_values(["dual", "refinery_id"], ascending=[False, True]).iloc[0]
    path = f"refineries.{row['refinery_id']}.crude_capacity_kbd"
    step = 0.5
    up, _ = solve(gulf, [f"{path} = {float(row['upper']) + step!r}"])
    down, _ = solve(gulf, [f"{path} = {float(row['upper']) - step!r}"])
    assert (up.objective_kusd_per_day - res.objective_kusd_per_day) / step == pytest.approx(row["dual"], rel=1e-6)
    assert (res.objective_kusd_per_day - down.objective_kusd_per_day) / step == pytest.approx(row["dual"], rel=1e-6)
