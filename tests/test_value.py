"""Crude breakevens (parametric) and policy costs, each checked independently: by hand, and by fresh
re-solves of a changed instance (`SlateSolver` on new data, not the parametric code's hot-started LP)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.data import derive
from optimizer.instance import read_instance
from optimizer.scenarios import resolve
from optimizer.solve import SlateSolver
from optimizer.validate import load_instance, validate
from optimizer.value import Curve, _confirmed, _difference, crude_values, policy_costs

from .conftest import INSTANCES
from .instance_builder import one_stream_tables, write_instance

STEP = 0.01
GULF = INSTANCES / "gulf_coast_2026"


def volume(instance, crude, scope, price, scenario="base", sets=()):
    """Volume taken after a fresh solve with the crude's price set (independent of the parametric code):
    the FOB price for the coast (tariffs follow it), the delivered price at one refinery (via its freight)."""
    resolved = resolve(instance, scenario, list(sets))
    base = derive(resolved)
    if scope == "coast":
        if resolved.tables["crudes"].at[crude, "marker_id"] == "":
            changes = [f"crudes.{crude}.price_usd_per_bbl = {price!r}"]
        else:
            changes = [f"crudes.{crude}.differential_usd_per_bbl += {price - base.fob_usd_per_bbl[crude]!r}"]
        resolved = _apply(resolved, changes)
    else:
        freight = base.freight_usd_per_bbl[(scope, crude)] + price - base.delivered_usd_per_bbl(scope, crude)
        resolved = resolved.copy()
        extra = pd.DataFrame([{"crude_id": crude, "refinery_id": scope, "freight_usd_per_bbl": freight, "source": ""}],
                             index=pd.Index([f"{crude}/{scope}"], dtype=object, name="row_id"))
        frame = resolved.tables["freight"].drop(index=f"{crude}/{scope}", errors="ignore")
        resolved.tables["freight"] = pd.concat([frame, extra]) if len(frame) else extra
    res = SlateSolver().solve(derive(resolved))
    assert res.status == "optimal"
    pairs = [(r, crude) for r in base.REFINERIES] if scope == "coast" else [(scope, crude)]
    return sum(res.values["Buy"][p] for p in pairs)


def _apply(resolved, changes):
    """Apply cell changes to an already resolved instance (its scenario's changes stay)."""
    bare = resolved.copy()
    bare.scenarios = {}
    return resolve(bare, "base", changes)


def assert_flips(instance, row, scenario="base", sets=()):
    """The breakeven moves the crude when the price crosses it by a cent, in fresh re-solves."""
    below = volume(instance, row.crude_id, row.refinery_id, row.breakeven_usd_per_bbl - STEP, scenario, sets)
    above = volume(instance, row.crude_id, row.refinery_id, row.breakeven_usd_per_bbl + STEP, scenario, sets)
    assert below == pytest.approx(row.volume_below_breakeven_kbd, abs=1e-5)
    assert above == pytest.approx(row.volume_above_breakeven_kbd, abs=1e-5)
    if row.direction == "leave":
        assert below >= row.volume_kbd - 1e-5 and above < row.volume_kbd - 1e-5
    else:
        assert below > 1e-6 and above == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("name", ["toy_two_crudes", "textbook_refinery"])
def test_every_breakeven_flips_the_crude_within_a_cent(name):
    instance = load_instance(INSTANCES / name)
    values, _, _ = crude_values(instance, "base")
    assert len(values) and values["method"].eq("parametric").all()
    for v in values.itertuples():
        assert math.isfinite(v.breakeven_usd_per_bbl), v
        assert v.confirmed is True
        assert_flips(instance, v)


def test_toy_heavy_breakeven_by_hand():
    # With the coker full either way, heavy's marginal barrel sells its residue as fuel oil:
    # 0.4 x 95 + 0.6 x 60 = 74 $/bbl of products, against light's margin of 4.5 $/bbl. Heavy gives way to
    # light (up to its 60 kb/d) once 74 - p < 4.5, i.e. at p = 69.5 $/bbl, falling to 40 kb/d.
    values, points, _ = crude_values(load_instance(INSTANCES / "toy_two_crudes"), "base", crudes=["heavy"])
    coast = values.set_index("refinery_id").loc["coast"]
    assert coast["breakeven_usd_per_bbl"] == pytest.approx(69.5, abs=1e-6)
    assert coast["direction"] == "leave"
    assert coast["volume_above_breakeven_kbd"] == pytest.approx(40.0, abs=1e-6)
    curve = points[points["refinery_id"] == "coast"].sort_values("price_usd_per_bbl")
    assert list(curve["volume_above_kbd"])[-1] == pytest.approx(0.0, abs=1e-9)  # leaves entirely within the window


# ---------------------------------------------------------------------------------------------
# Two refineries, a 10 % tariff on the Canadian grade. Fuel sells at 60 $/bbl, every crude is 100 % fuel,
# each crude unit takes 100 kb/d. Canadian A: FOB 40, +10 % = 44 delivered at R1 (margin 16), 47 at R2 with
# 3 $/bbl freight (margin 13), 150 kb/d on offer. Domestic B: 50 (margin 10), unlimited. Plan: A 100 at R1,
# A 50 + B 50 at R2 (A goes where it earns most; R2 is its marginal user).
# Coast (FOB +theta moves both delivered prices by 1.1 theta): R2 drops A when 13 - 1.1 theta < 10, at FOB
# 40 + 3/1.1 = 42.7273 (150 -> 100 kb/d), R1 when 16 - 1.1 theta < 10, at FOB 40 + 6/1.1 = 45.4545 (100 -> 0).
# (A slope of the volume alone, the tariff forgotten, puts them at 43 and 46.)
# R1 (its delivered price only): A stays at R1 while 16 - d >= 13 (R2's use): 100 kb/d up to 47, then R2 takes
# 100 and R1 the other 50 up to 50 $/bbl (B's price), then 0. R2: 100 kb/d below 44 (outbidding R1), 50 up to
# 50 $/bbl, then 0.


def tariff_pair(folder, policies=(), crudes=(), scenarios=""):
    tables = {
        "refineries": [{"refinery_id": "R1", "name": "First", "crude_capacity_kbd": 100},
                       {"refinery_id": "R2", "name": "Second", "crude_capacity_kbd": 100}],
        "crudes": [{"crude_id": "A", "name": "Canadian A", "origin": "Canada", "api_deg": 30, "sulfur_wt_pct": 1.0,
                    "price_usd_per_bbl": 40, "availability_kbd": 150},
                   {"crude_id": "B", "name": "Domestic B", "origin": "USA", "api_deg": 30, "sulfur_wt_pct": 1.0,
                    "price_usd_per_bbl": 50}, *crudes],
        "streams": [{"stream_id": "oil"}],
        "products": [{"product_id": "fuel", "price_usd_per_bbl": 60}],
        "blend_components": [{"product_id": "fuel", "stream_id": "oil"}],
        "freight": [{"crude_id": "A", "refinery_id": "R2", "freight_usd_per_bbl": 3}],
        "policies": [{"rule_id": "canada_tariff", "kind": "tariff", "origin": "Canada", "tariff_pct": 10,
                      "description": "10 % on Canadian crude"}, *policies],
    }
    tables["crude_yields"] = [{"crude_id": c["crude_id"], "stream_id": "oil", "yield_vol_frac": 1.0}
                              for c in tables["crudes"]]
    toml = 'name = "tariff_pair"\ndescription = "two refineries, a tariffed grade"\n' + scenarios
    path = write_instance(folder, tables, toml)
    instance = read_instance(path)
    validate(instance)
    return instance


def test_tariffed_crude_breakevens_by_hand_and_by_resolves(tmp_path):
    instance = tariff_pair(tmp_path / "inst")
    values, points, _ = crude_values(instance, "base", crudes=["A"])
    rows = values.set_index("refinery_id")
    coast, r1, r2 = rows.loc["coast"], rows.loc["R1"], rows.loc["R2"]
    assert coast["price_basis"] == "fob" and coast["current_fob_usd_per_bbl"] == pytest.approx(40.0)
    assert coast["volume_kbd"] == pytest.approx(150.0)
    assert (coast["breakeven_usd_per_bbl"], coast["direction"]) == (pytest.approx(40 + 3 / 1.1, abs=1e-6), "leave")
    coast_points = points[points["refinery_id"] == "coast"].sort_values("price_usd_per_bbl")
    assert list(coast_points["price_usd_per_bbl"]) == pytest.approx([40 + 3 / 1.1, 40 + 6 / 1.1], abs=1e-6)
    assert list(coast_points["volume_above_kbd"]) == pytest.approx([100.0, 0.0], abs=1e-6)
    # refinery rows are on the delivered price there, with the FOB that gives it beside
    assert r1["current_delivered_usd_per_bbl"] == pytest.approx(44.0)
    assert (r1["breakeven_usd_per_bbl"], r1["direction"]) == (pytest.approx(47.0, abs=1e-6), "leave")
    assert r1["breakeven_fob_usd_per_bbl"] == pytest.approx(40 + 3 / 1.1, abs=1e-6)
    r1_points = points[points["refinery_id"] == "R1"].sort_values("price_usd_per_bbl")
    assert list(r1_points["price_usd_per_bbl"]) == pytest.approx([47.0, 50.0], abs=1e-6)
    assert list(r1_points["volume_above_kbd"]) == pytest.approx([50.0, 0.0], abs=1e-6)
    assert (r2["breakeven_usd_per_bbl"], r2["volume_kbd"]) == (pytest.approx(50.0, abs=1e-6), pytest.approx(50.0))
    r2_points = points[points["refinery_id"] == "R2"].sort_values("price_usd_per_bbl")
    assert list(r2_points["price_usd_per_bbl"]) == pytest.approx([44.0, 50.0], abs=1e-6)
    for v in values.itertuples():
        assert v.confirmed is True and v.volume_unique
        assert_flips(instance, v)


def test_a_tie_at_todays_price_is_reported_as_a_range_and_matches_the_solve(tmp_path):
    # Two identical refineries and 50 kb/d of A that earns 20 $/bbl against B's 10 at either: any split of the
    # 50 kb/d between them is optimal. At R1, today's price is a breakpoint: a cent lower and R1 takes all 50,
    # a cent higher and it takes none. The coast takes 50 either way.
    tables = one_stream_tables(["R1", "R2"])
    instance = read_instance(write_instance(tmp_path / "inst", tables))
    validate(instance)
    plan = SlateSolver().solve(derive(instance)).values["Buy"]
    alone, _, _ = crude_values(instance, "base", crudes=["A"])
    both, _, _ = crude_values(instance, "base", crudes=["B", "A"])
    for values in (alone, both):
        rows = values[values["crude_id"] == "A"].set_index("refinery_id")
        for r in ("R1", "R2"):
            row = rows.loc[r]
            assert row["volume_kbd"] == pytest.approx(plan[(r, "A")], abs=1e-9)  # the solve's plan, whatever asked
            assert (row["volume_min_kbd"], row["volume_max_kbd"]) == (pytest.approx(0.0, abs=1e-7),
                                                                      pytest.approx(50.0))
            assert not row["volume_unique"] and row["today_at_breakpoint"]
            assert row["breakeven_usd_per_bbl"] == pytest.approx(40.0, abs=1e-6)
            assert volume(instance, "A", r, 40 - STEP) == pytest.approx(50.0)
            assert volume(instance, "A", r, 40 + STEP) == pytest.approx(0.0, abs=1e-7)
        assert rows.loc["coast", "volume_unique"] and rows.loc["coast", "volume_kbd"] == pytest.approx(50.0)


def test_confirmation_fails_when_the_resolves_disagree_with_the_curve():
    # A curve with a step 60 -> 40 kb/d at 69.5 $/bbl: re-solves of 60 and 40 either side confirm it; a
    # re-solve of 55 below it (a missed breakpoint) or no change across it do not.
    curve = Curve("c", "coast", "fob", 65.0, 65.0, 1.0, 60.0, [(69.5, 60.0, 40.0)], (25.0, 105.0))
    curve.confirm = (60.0, 40.0)
    assert _confirmed(curve, 69.5, "leave")
    curve.confirm = (55.0, 40.0)
    assert not _confirmed(curve, 69.5, "leave")
    curve.breakpoints = [(69.5, 60.0, 60.0 - 1e-9)]
    curve.confirm = (60.0, 60.0)
    assert not _confirmed(curve, 69.5, "leave")


# ---------------------------------------------------------------------------------------------
# policy costs


def test_ban_cost_equals_a_resolve_without_it_and_the_hand_figure():
    toy = load_instance(INSTANCES / "toy_two_crudes")
    costs = policy_costs(toy, "heavy_banned")
    coast = costs[(costs["rule_id"] == "ban_heavy") & (costs["refinery_id"] == "coast") & (costs["crude_id"] == "")]
    # the toy README: 1,506.458 with heavy allowed against 630 under the ban
    k = 171.5 / (1.5 * 151.5)
    by_hand = 9 * 100 / (1 + k) + 4.5 * 100 * k / (1 + k) + 800 - 630
    assert coast["cost_kusd_per_day"].iloc[0] == pytest.approx(by_hand, rel=1e-9)
    with_ban = SlateSolver().solve(derive(resolve(toy, "heavy_banned"))).objective_kusd_per_day
    without = SlateSolver().solve(derive(resolve(toy, "base"))).objective_kusd_per_day
    assert coast["cost_kusd_per_day"].iloc[0] == pytest.approx(without - with_ban, rel=1e-9)
    # ranging bounds: the first 36.67 kb/d of heavy (until the coker fills) earn 21 $/bbl each (README: heavy
    # 9 $/bbl + 0.6 x 20 for coking its residue), so the cost is at least 21 x 36.67 = 770
    row = coast.iloc[0]
    assert row["ranging_cost_low_kusd_per_day"] == pytest.approx(21 * (40 - 18) / 0.6, rel=1e-6)
    assert row["ranging_cost_low_kusd_per_day"] <= by_hand <= row["ranging_cost_high_kusd_per_day"]
    entry = costs[costs["crude_id"] == "heavy"]
    assert entry["entry_discount_usd_per_bbl"].iloc[0] == 0.0  # heavy comes in at today's price once allowed


SCENARIOS = '''
[scenarios.capped]
description = "at most 120 kb/d of Canadian crude"
add_policies = [{rule_id = "canada_cap", kind = "cap", origin = "Canada", volume_kbd = 120}]

[scenarios.floored]
description = "at least 120 kb/d of domestic crude"
add_policies = [{rule_id = "usa_floor", kind = "floor", origin = "USA", volume_kbd = 120}]

[scenarios.c_banned]
description = "Venezuelan C banned"
add_policies = [{rule_id = "c_ban", kind = "ban", crude_id = "C"}]
'''


def _rule(costs, rule_id):
    rows = costs[(costs["rule_id"] == rule_id) & (costs["crude_id"] == "")]
    return rows.set_index("refinery_id")


def _margins(instance, scenario, drop=None):
    from optimizer.results import build_tables

    resolved = resolve(instance, scenario)
    if drop:
        resolved.tables["policies"] = resolved.tables["policies"].drop(index=drop)
    d = derive(resolved)
    res = SlateSolver().solve(d)
    table = build_tables(resolved, d, res)["refineries"]
    return dict(zip(table["refinery_id"], table["margin_kusd_per_day"]))


def test_cap_floor_and_tariff_costs_per_refinery_by_hand_and_by_resolves(tmp_path):
    instance = tariff_pair(tmp_path / "inst", scenarios=SCENARIOS,
                           crudes=[{"crude_id": "C", "origin": "Venezuela", "api_deg": 30, "sulfur_wt_pct": 1.0,
                                    "price_usd_per_bbl": 55}])
    # cap 120 on A: R1 keeps its 100, R2 20 (+80 B). Without it R2 takes 30 more at 13 - 10 = 3 $/bbl: 90 kUSD/d,
    # all of it at R2; the cap's dual is 3 and holds up to 150 (A's availability): ranging bounds 90 both.
    capped = policy_costs(instance, "capped")
    cap = _rule(capped, "canada_cap")
    assert cap.at["coast", "cost_kusd_per_day"] == pytest.approx(90.0)
    assert (cap.at["R1", "cost_kusd_per_day"], cap.at["R2", "cost_kusd_per_day"]) == (pytest.approx(0.0, abs=1e-9),
                                                                                      pytest.approx(90.0))
    assert cap.at["coast", "marginal_value_usd_per_bbl"] == pytest.approx(3.0)
    assert cap.at["coast", "ranging_cost_low_kusd_per_day"] == pytest.approx(90.0)
    assert cap.at["coast", "ranging_cost_high_kusd_per_day"] == pytest.approx(90.0)
    assert cap.at["coast", "refinery_split_unique"]
    # the tariff under the cap: the same plan without it, 4 $/bbl (10 % of 40) on 100 kb/d at R1 and 20 at R2;
    # its ranging bounds are the tariff bills of the two plans: 480 both
    tariff = _rule(capped, "canada_tariff")
    assert (tariff.at["R1", "cost_kusd_per_day"], tariff.at["R2", "cost_kusd_per_day"]) == (pytest.approx(400.0),
                                                                                            pytest.approx(80.0))
    assert tariff.at["coast", "ranging_cost_low_kusd_per_day"] == pytest.approx(480.0)
    assert tariff.at["coast", "ranging_cost_high_kusd_per_day"] == pytest.approx(480.0)
    assert tariff.at["coast", "marginal_value_unique"] == ""
    # floor of 120 kb/d of B: only 80 kb/d of A fit, at R1 (margin 16): R1 A 80 + B 20 (1,480), R2 B 100 (1,000)
    # against R1 1,600 and R2 50 x 13 + 50 x 10 = 1,150 without it: 120 at R1, 150 at R2, 270 on the coast.
    # Its dual is -(16 - 10) = -6 down to 100 kb/d (below that R2's A at 13 - 10 = 3 is displaced): ranging
    # bounds 6 x (120 - 100) = 120 and 6 x (120 - 50) = 420 (50: B taken without the floor).
    floor = _rule(policy_costs(instance, "floored"), "usa_floor")
    assert floor.at["coast", "cost_kusd_per_day"] == pytest.approx(270.0)
    assert (floor.at["R1", "cost_kusd_per_day"], floor.at["R2", "cost_kusd_per_day"]) == (pytest.approx(120.0),
                                                                                          pytest.approx(150.0))
    assert floor.at["coast", "marginal_value_usd_per_bbl"] == pytest.approx(-6.0)
    assert floor.at["coast", "ranging_cost_low_kusd_per_day"] == pytest.approx(120.0)
    assert floor.at["coast", "ranging_cost_high_kusd_per_day"] == pytest.approx(420.0)
    assert floor.at["coast", "resolve_within_ranging_bounds"]
    # the same per-refinery figures by re-solves of the instance without each rule
    for scenario, rule, costs in (("capped", "canada_cap", cap), ("floored", "usa_floor", floor)):
        with_rule, without = _margins(instance, scenario), _margins(instance, scenario, drop=rule)
        for r in ("R1", "R2"):
            assert costs.at[r, "cost_kusd_per_day"] == pytest.approx(without[r] - with_rule[r], abs=1e-6)


def test_ban_entry_discount_by_hand_and_by_resolves(tmp_path):
    # Venezuelan C at 55 $/bbl earns 5 against B's 10: even with its ban lifted it comes in only below B's
    # price of 50, a discount of 5 $/bbl.
    instance = tariff_pair(tmp_path / "inst", scenarios=SCENARIOS,
                           crudes=[{"crude_id": "C", "origin": "Venezuela", "api_deg": 30, "sulfur_wt_pct": 1.0,
                                    "price_usd_per_bbl": 55}])
    costs = policy_costs(instance, "c_banned")
    entry = costs[(costs["rule_id"] == "c_ban") & (costs["crude_id"] == "C")].iloc[0]
    assert entry["entry_discount_usd_per_bbl"] == pytest.approx(5.0, abs=1e-6)
    assert entry["method"] == "parametric"
    assert _rule(costs, "c_ban").at["coast", "cost_kusd_per_day"] == pytest.approx(0.0, abs=1e-9)
    lifted = instance.copy()
    assert volume(lifted, "C", "coast", 50 - STEP) > 1.0
    assert volume(lifted, "C", "coast", 50 + STEP) == pytest.approx(0.0, abs=1e-9)


def test_per_refinery_cost_of_a_rule_that_costs_nothing_is_nothing(tmp_path):
    # Two identical refineries share 50 kb/d of A (any split optimal); a cap of 60 kb/d on A does not bind.
    # Dropping it leaves the margin as it is: every refinery's cost must be 0 whichever optimal plan HiGHS
    # lands on without it (the plan nearest the plan with the rule is taken), not a shift between them.
    tables = one_stream_tables(["R1", "R2"], [
        {"rule_id": "loose_cap", "kind": "cap", "origin": "X", "volume_kbd": 60},
        {"rule_id": "r2_cap", "kind": "cap", "origin": "X", "refinery_id": "R2", "volume_kbd": 25}])
    instance = read_instance(write_instance(tmp_path / "inst", tables))
    validate(instance)
    costs = policy_costs(instance, "base")
    loose = _rule(costs, "loose_cap")
    assert loose["cost_kusd_per_day"].abs().max() == pytest.approx(0.0, abs=1e-9)
    # R2 capped at 25 of A: R1 takes 25..50 of it in the optimal plans, so the split is not unique and the
    # cap costs nothing (R1 takes what R2 may not)
    r2_cap = _rule(costs, "r2_cap")
    assert r2_cap.at["coast", "cost_kusd_per_day"] == pytest.approx(0.0, abs=1e-9)
    assert not r2_cap.at["coast", "refinery_split_unique"]


def test_value_refuses_an_infeasible_scenario_with_exit_3_and_points_to_explain(tmp_path):
    result = CliRunner().invoke(main, ["value", str(INSTANCES / "infeasible_min_run"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3
    assert "crudeslate explain" in result.output and "infeasible" in result.output


def test_value_takes_set_overrides(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["value", str(INSTANCES / "toy_two_crudes"), "--crude", "heavy",
                                       "--set", "crudes.heavy.price_usd_per_bbl = 60", "--out", str(out)])
    assert result.exit_code == 0, result.output
    values = pd.read_csv(out / "crude_values.csv").set_index("refinery_id")
    assert values.at["coast", "current_fob_usd_per_bbl"] == pytest.approx(60.0)
    # the breakeven is a property of the plant, not of today's price: 69.5 $/bbl (see the hand derivation)
    assert values.at["coast", "breakeven_usd_per_bbl"] == pytest.approx(69.5, abs=1e-6)
    assert (out / "volume_vs_price.png").stat().st_size > 1000


# ---------------------------------------------------------------------------------------------
# the flagship: figures derived by re-solves, none pinned (the instance is being revised)


@pytest.mark.parametrize("crude, scope", [("wcs", "motiva_port_arthur"), ("maya", "coast")])
def test_flagship_breakevens_flip_in_fresh_resolves(crude, scope):
    instance = load_instance(GULF)
    scenario = "open_venezuela" if "open_venezuela" in instance.scenarios else "base"
    values, points, _ = crude_values(instance, scenario, crudes=[crude],
                                     refineries=[] if scope == "coast" else [scope], include_coast=scope == "coast")
    row = next(values[values["refinery_id"] == scope].itertuples())
    if not math.isfinite(row.breakeven_usd_per_bbl):
        pytest.skip(f"{crude} has no breakeven in the traced window at {scope}")
    assert row.confirmed is True
    assert_flips(instance, row, scenario)
    # the volume range at today's price: just below it the most, just above it the least of it ("just": closer
    # than the next breakpoint)
    if not row.volume_unique:
        now = row.current_delivered_usd_per_bbl
        others = [abs(p - now) for p in points["price_usd_per_bbl"] if abs(p - now) > 1e-6]
        step = min([STEP] + [d / 2 for d in others])
        assert volume(instance, crude, scope, now - step, scenario) == pytest.approx(row.volume_max_kbd, abs=1e-5)
        assert volume(instance, crude, scope, now + step, scenario) == pytest.approx(row.volume_min_kbd, abs=1e-5)


def test_a_refinery_margin_that_did_not_move_costs_exactly_zero():
    """Two margins of 1e4 kUSD/d that differ in the 13th digit (what two sums of the same terms in another order
    give) are no change, written 0 rather than -9.1e-13; a real difference of half a kUSD/d, or of 1e-6 on a
    margin of 1e4 (above the 1e-11 relative repeatability of HiGHS's margins), stays."""
    assert _difference(1e4, 1e4 + 9.1e-13) == 0.0
    assert _difference(10.5, 10.0) == 0.5
    assert _difference(1e4 + 1e-6, 1e4) == pytest.approx(1e-6, rel=1e-3)
