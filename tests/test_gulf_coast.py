"""The flagship's headline figures per scenario, pinned as golden values.

Regenerate after an intended change of model or data with `make golden` (UPDATE_GOLDEN=1), and say
in the commit why the figures moved. Pinned: status, margin, crude run and volume by origin (the
slate of each refinery is not pinned: where grades tie, alternative optima share the same totals).
"""

from __future__ import annotations

import json
import os

import pytest

from optimizer.data import derive
from optimizer.results import build_tables, self_check
from optimizer.run import resolve_all
from optimizer.scenarios import scenario_names
from optimizer.solve import SlateSolver
from optimizer.validate import load_instance

from .conftest import INSTANCES, ROOT

GOLDEN = ROOT / "tests" / "golden" / "gulf_coast_2026.json"
REL = 1e-6


UPDATE = "run `make golden` (UPDATE_GOLDEN=1 pytest tests/test_gulf_coast.py) and say in the commit why the figures moved"


def _pinned_names(instance) -> list[str]:
    # `base` is the licensed_2026 case (that scenario changes nothing): pinned once, under the scenario's name
    licensed = instance.scenarios["licensed_2026"]
    unchanged = not (licensed.extends or licensed.overrides or licensed.add_policies or licensed.drop_policies)
    return [n for n in scenario_names(instance) if not (n == "base" and unchanged)]


@pytest.fixture(scope="module")
def headline():
    instance = load_instance(INSTANCES / "gulf_coast_2026")
    figures = {}
    solver = SlateSolver()
    for name, scenario in resolve_all(instance, _pinned_names(instance)).items():
        d = derive(scenario)
        res = solver.solve(d)
        assert res.status == "optimal", f"{name} is {res.status}"
        tables = build_tables(scenario, d, res)
        assert self_check(d, tables, res.objective_kusd_per_day) == []
        summary = tables["summary"].iloc[0]
        figures[name] = {"objective_kusd_per_day": round(float(summary["objective_kusd_per_day"]), 4),
                         "crude_run_kbd": round(float(summary["crude_run_kbd"]), 4),
                         **{c: round(float(summary[c]), 4) for c in tables["summary"].columns if c.startswith("origin_")}}
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return figures


def test_the_scenarios_the_issue_names_exist(headline):
    assert {"sanctions_2025", "licensed_2026", "open_venezuela", "open_venezuela_hormuz_open"} <= set(headline)


def test_headline_figures_match_the_golden_file(headline):
    golden = json.loads(GOLDEN.read_text())
    assert set(headline) == set(golden), f"the scenarios changed: {UPDATE}"
    for scenario, figures in golden.items():
        for key, value in figures.items():
            got = headline[scenario].get(key, 0.0)
            assert got == pytest.approx(value, rel=REL, abs=1e-3), (
                f"{scenario} {key}: {got} against the golden {value}; if the change is intended, {UPDATE}")


def test_venezuelan_barrels_rise_as_sanctions_ease(headline):
    # An ordering any planner would check, independent of the golden numbers: the licence caps bind in
    # 2025 and 2026, and opening Venezuela fully never lowers the volume the coast takes.
    vz = {name: figures["origin_venezuela_kbd"] for name, figures in headline.items()}
    assert vz["venezuela_banned_2026"] == pytest.approx(0.0, abs=1e-6)
    assert vz["sanctions_2025"] <= vz["licensed_2026"] + 1e-6 <= vz["open_venezuela"] + 2e-6


def test_the_venezuelan_effect_is_measured_within_one_market(tmp_path, capsys):
    # open_venezuela and licensed_2026 differ from venezuela_banned_2026 only in the Venezuelan rules (all three are
    # the Mar-Aug 2026 market with Hormuz closed); sanctions_2025 has other prices and no such counterpart here.
    from optimizer.report import print_comparison, venezuelan_counterparts
    from optimizer.run import run_scenarios

    instance = load_instance(INSTANCES / "gulf_coast_2026")
    names = ["sanctions_2025", "licensed_2026", "open_venezuela", "venezuela_banned_2026"]
    outcomes = run_scenarios(instance, names, tmp_path, ranging=False)
    pairs = {name: ref.scenario for name, ref in venezuelan_counterparts(outcomes).items()}
    assert pairs == {"licensed_2026": "venezuela_banned_2026", "open_venezuela": "venezuela_banned_2026"}
    print_comparison(outcomes, "sanctions_2025")
    out = capsys.readouterr().out
    section = out[out.index("Venezuelan effect within one market"):]
    summary = {o.scenario: o.tables["summary"].iloc[0] for o in outcomes}
    for name in pairs:
        row = next(line.split() for line in section.splitlines() if line.strip().startswith(name + " "))
        margin = summary[name]["objective_kusd_per_day"] - summary["venezuela_banned_2026"]["objective_kusd_per_day"]
        assert row[1] == "venezuela_banned_2026"
        assert float(row[2]) == pytest.approx(summary[name]["origin_venezuela_kbd"], abs=0.05)
        assert float(row[3].replace(",", "")) == pytest.approx(margin, abs=0.05)


# ---------------------------------------------------------------------------------------------
# residue trade


def _solve(instance, name):
    scenario = resolve_all(instance, [name])[name]
    d = derive(scenario)
    res = SlateSolver().solve(d)
    assert res.status == "optimal", f"{name} is {res.status}"
    return build_tables(scenario, d, res)


def test_no_residue_trade_is_the_instance_without_trade_rows(copy_instance):
    # A second formulation of the sensitivity: the instance with the trade rows deleted (no transfers, no purchase,
    # no imported-fuel-oil stream) must reach the optimum that the overrides zeroing every capacity and limit reach.
    import pandas as pd

    folder = copy_instance("gulf_coast_2026")
    (folder / "stream_transfers.csv").unlink()
    (folder / "stream_purchases.csv").unlink()
    for name, column in (("streams.csv", "stream_id"), ("unit_yields.csv", "feed_stream_id")):
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        frame[frame[column] != "fo_import"].to_csv(folder / name, index=False)
    without = _solve(load_instance(folder), "licensed_2026")["summary"].iloc[0]
    zeroed = _solve(load_instance(INSTANCES / "gulf_coast_2026"), "no_residue_trade")["summary"].iloc[0]
    assert without["objective_kusd_per_day"] == pytest.approx(zeroed["objective_kusd_per_day"], rel=1e-7)
    assert without["crude_run_kbd"] == pytest.approx(zeroed["crude_run_kbd"], rel=1e-7)


def test_a_barge_link_costs_what_its_tow_does():
    # Beaumont -> Motiva by hand from the EIA coordinates and the README's tow (60 kbbl, $25,000 a day, 100 miles a
    # day, 1 day at the docks, $0.35/bbl handling, water miles = 1.6 x straight-line miles).
    import csv
    import math

    rows = {r["site_id"]: r for r in csv.DictReader(
        open(INSTANCES / "gulf_coast_2026" / "build" / "data" / "eia_refineries_padd3_2021.csv"))}
    (la1, lo1), (la2, lo2) = ((math.radians(float(rows[s]["lat"])), math.radians(float(rows[s]["lon"])))
                              for s in ("225", "507"))
    miles = 2 * 3958.8 * math.asin(math.sqrt(math.sin((la2 - la1) / 2) ** 2
                                             + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2))
    days = 1.0 + 2 * 1.6 * miles / 100.0
    link = {r["transfer_id"]: r for r in csv.DictReader(open(INSTANCES / "gulf_coast_2026" / "stream_transfers.csv"))}
    for cls in ("lo", "md", "hi"):
        row = link[f"exxon_beaumont_to_motiva_port_arthur_{cls}"]
        assert float(row["cost_usd_per_bbl"]) == pytest.approx(25000 * days / 60000 + 0.35, abs=0.005)
        assert float(row["capacity_kbd"]) == pytest.approx(60 / days, abs=0.05)


def test_residue_is_worth_its_receivers_value_less_the_barge_where_it_moves():
    # The planner's reading of a transfer: where residue moves on a link with room, a barrel at the sender is worth
    # what it is worth at the receiver less the barge cost; on a full link the difference less the cost is what one
    # more kb/d of the link earns; where nothing moves, moving would not pay.
    tables = _solve(load_instance(INSTANCES / "gulf_coast_2026"), "licensed_2026")
    balance = tables["constraints"]
    balance = balance[balance["family"] == "stream_balance"].set_index(["refinery_id", "stream_id"])["dual"]
    moved = 0
    for x in tables["stream_transfers"].itertuples():
        gain = balance[(x.to_refinery_id, x.stream_id)] - balance[(x.from_refinery_id, x.stream_id)] - x.cost_usd_per_bbl
        if x.volume_kbd > 1e-6:
            moved += 1
            if x.volume_kbd < x.capacity_kbd - 1e-6:
                assert gain == pytest.approx(0.0, abs=1e-6), x.transfer_id
            else:
                assert gain == pytest.approx(x.marginal_value_usd_per_bbl, abs=1e-6) and gain >= -1e-6, x.transfer_id
        else:
            assert gain <= 1e-6, x.transfer_id
    assert moved >= 10  # the trade is used, not a formality
