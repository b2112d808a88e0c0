"""Crude breakevens (parametric), policy costs and infeasibility explanations, each checked independently."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.data import derive
from optimizer.scenarios import resolve
from optimizer.solve import SlateSolver
from optimizer.validate import load_instance
from optimizer.value import crude_values, policy_costs

from .conftest import INSTANCES

STEP = 0.01


def volume(instance, crude, scope, price, basis):
    """Volume taken after a fresh solve with the crude's price set (independent of the parametric code)."""
    base = derive(instance)
    if scope == "coast":
        sets = [f"crudes.{crude}.price_usd_per_bbl = {price}"] if instance.tables["crudes"].at[crude, "marker_id"] == "" \
            else [f"crudes.{crude}.differential_usd_per_bbl += {price - base.fob_usd_per_bbl[crude]}"]
    else:  # a delivered price at one refinery: move its freight there
        freight = base.freight_usd_per_bbl[(scope, crude)] + price - base.delivered_usd_per_bbl(scope, crude)
        instance = instance.copy()
        extra = pd.DataFrame([{"crude_id": crude, "refinery_id": scope, "freight_usd_per_bbl": freight, "source": ""}],
                             index=pd.Index([f"{crude}/{scope}"], dtype=object, name="row_id"))
        frame = instance.tables["freight"].drop(index=f"{crude}/{scope}", errors="ignore")
        instance.tables["freight"] = pd.concat([frame, extra]) if len(frame) else extra
        sets = []
    res = SlateSolver().solve(derive(resolve(instance, "base", sets)))
    assert res.status == "optimal"
    pairs = [(r, crude) for r in base.REFINERIES] if scope == "coast" else [(scope, crude)]
    return sum(res.values["Buy"][p] for p in pairs)


@pytest.mark.parametrize("name", ["toy_two_crudes", "textbook_refinery"])
def test_every_breakeven_flips_the_crude_within_a_cent(name):
    instance = load_instance(INSTANCES / name)
    values, _, _ = crude_values(instance, "base")
    assert len(values) and values["method"].eq("parametric").all()
    for v in values.itertuples():
        assert math.isfinite(v.breakeven_usd_per_bbl), v
        below = volume(instance, v.crude_id, v.refinery_id, v.breakeven_usd_per_bbl - STEP, v.price_basis)
        above = volume(instance, v.crude_id, v.refinery_id, v.breakeven_usd_per_bbl + STEP, v.price_basis)
        if v.direction == "leave":
            assert below == pytest.approx(v.volume_kbd, abs=1e-6)
            assert above < v.volume_kbd - 1e-6
        else:
            assert below > 1e-6 and above == pytest.approx(0.0, abs=1e-6)


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
    entry = costs[costs["crude_id"] == "heavy"]
    assert entry["entry_discount_usd_per_bbl"].iloc[0] == 0.0  # heavy comes in at today's price once allowed


def test_iis_names_exactly_the_conflicting_rules(tmp_path):
    result = CliRunner().invoke(main, ["explain", str(INSTANCES / "infeasible_min_run"), "--out", str(tmp_path)])
    assert result.exit_code == 3
    table = pd.read_csv(tmp_path / "infeasibility.csv", keep_default_na=False)
    assert sorted(zip(table["table"], table["row_id"], table["column"])) == [
        ("crudes", "light", "availability_kbd"),
        ("policies", "ban_heavy", "volume_kbd"),
        ("refineries", "refinery", "crude_min_run_kbd"),
    ]
    assert "refineries.csv row 2, column crude_min_run_kbd = 90.0" in result.output


def test_iis_points_at_the_scenario_override_that_caused_it(copy_instance, tmp_path):
    folder = copy_instance("toy_two_crudes")
    with open(folder / "instance.toml", "a") as stream:
        stream.write('\n[scenarios.starved]\ndescription = "x"\nextends = "heavy_banned"\n'
                     'overrides = ["refineries.refinery.crude_min_run_kbd = 80"]\n')
    result = CliRunner().invoke(main, ["explain", str(folder), "--scenario", "starved", "--elastic",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 3
    assert "[set by starved: refineries.refinery.crude_min_run_kbd = 80]" in result.output
    assert "Cheapest relaxation that makes a plan possible:" in result.output
    table = pd.read_csv(tmp_path / "infeasibility.csv", keep_default_na=False)
    relax = table[table["side"] == "elastic"]
    assert relax["relax_by"].astype(float).sum() == pytest.approx(20.0)  # 80 kb/d needed, 60 kb/d of light on offer


def test_explain_ranks_binding_limits_in_plant_words(tmp_path):
    result = CliRunner().invoke(main, ["explain", str(INSTANCES / "toy_two_crudes"), "--out", str(tmp_path)])
    assert result.exit_code == 0
    lines = [line.strip() for line in result.output.splitlines()]
    # the coker (20 $/bbl x 0.4 kb/d = 8 kUSD/d for 1%) outranks the crude unit (7.06 x 1 kb/d)
    assert lines[1].startswith("1. The coker unit coker at Toy refinery (refinery) is full; one more kb/d is worth $20.00/bbl")
    assert lines[2].startswith("2. The crude unit at Toy refinery (refinery) is at its capacity; one more kb/d is worth $7.06/bbl")
