"""`crudeslate explain`: binding limits in plant words, irreducible conflicts, the cheapest relaxation;
every figure derived by hand or checked by re-solving a changed instance."""

from __future__ import annotations

import highspy
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.data import derive
from optimizer.explain import IIS_FAST, iis_rows
from optimizer.instance import read_instance
from optimizer.scenarios import resolve
from optimizer.solve import SlateSolver
from optimizer.validate import load_instance, validate

from .conftest import INSTANCES
from .instance_builder import one_stream_tables, write_instance


def explain(*args: str):
    return CliRunner().invoke(main, ["explain", *args])


def test_iis_names_exactly_the_conflicting_rules(tmp_path):
    result = explain(str(INSTANCES / "infeasible_min_run"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 3
    table = pd.read_csv(tmp_path / "out" / "infeasibility.csv", keep_default_na=False)
    assert sorted(zip(table["table"], table["row_id"], table["column"])) == [
        ("crudes", "light", "availability_kbd"),
        ("policies", "ban_heavy", "volume_kbd"),
        ("refineries", "refinery", "crude_min_run_kbd"),
    ]
    assert "refineries.csv row 2, column crude_min_run_kbd = 90.0" in result.output
    assert "an irreducible set" in result.output


def test_elastic_keeps_bans_hard_unless_asked(tmp_path):
    # 90 kb/d minimum run, 60 kb/d of light on offer, heavy banned. In percent of each limit: lowering the
    # minimum run to 60 is 33 %, raising light's availability to 90 is 50 %: the run is lowered. The ban (a
    # legal rule) is not touched unless --soften-bans; then allowing 30 kb/d of heavy counts 30 points (a limit
    # of 0 counts 1 kb/d as its 1 %), under the 33 of the minimum run.
    path = str(INSTANCES / "infeasible_min_run")
    result = explain(path, "--elastic", "--out", str(tmp_path / "a"))
    assert result.exit_code == 3
    relax = pd.read_csv(tmp_path / "a" / "infeasibility.csv", keep_default_na=False)
    relax = relax[relax["side"] == "elastic"]
    assert list(zip(relax["family"], relax["column"])) == [("crude_unit_capacity", "crude_min_run_kbd")]
    assert float(relax["relaxed_value"].iloc[0]) == pytest.approx(60.0)
    assert "lower it from 90 to 60.000 kb/d" in result.output
    result = explain(path, "--elastic", "--soften-bans", "--out", str(tmp_path / "b"))
    relax = pd.read_csv(tmp_path / "b" / "infeasibility.csv", keep_default_na=False)
    relax = relax[relax["side"] == "elastic"]
    assert list(relax["family"]) == ["policy_cap"]
    assert float(relax["relax_by"].iloc[0]) == pytest.approx(30.0)


def test_iis_points_at_the_scenario_override_that_caused_it(copy_instance, tmp_path):
    folder = copy_instance("toy_two_crudes")
    with open(folder / "instance.toml", "a") as stream:
        stream.write('\n[scenarios.starved]\ndescription = "x"\nextends = "heavy_banned"\n'
                     'overrides = ["refineries.refinery.crude_min_run_kbd = 80"]\n')
    result = explain(str(folder), "--scenario", "starved", "--elastic", "--out", str(tmp_path / "out"))
    assert result.exit_code == 3
    assert "[set by starved: refineries.refinery.crude_min_run_kbd = 80]" in result.output
    assert "Cheapest relaxation that makes a plan possible" in result.output
    table = pd.read_csv(tmp_path / "out" / "infeasibility.csv", keep_default_na=False)
    relax = table[table["side"] == "elastic"]
    # 80 kb/d needed, 60 kb/d of light on offer: the run goes down to 60 (25 % of it) rather than light up (33 %)
    assert relax["relax_by"].astype(float).sum() == pytest.approx(20.0)
    assert float(relax["relaxed_value"].iloc[0]) == pytest.approx(60.0)


def test_explain_and_the_solve_hint_take_set_overrides(tmp_path):
    toy = str(INSTANCES / "toy_two_crudes")
    override = "refineries.refinery.crude_min_run_kbd = 80"
    solved = CliRunner().invoke(main, ["solve", toy, "--scenario", "heavy_banned", "--set", override,
                                       "--out", str(tmp_path / "solve")])
    assert solved.exit_code == 3
    assert f"--set '{override}'" in solved.output  # the hint names the same case, not the feasible base
    result = explain(toy, "--scenario", "heavy_banned", "--set", override, "--out", str(tmp_path / "out"))
    assert result.exit_code == 3
    assert f"[set by --set {override}]" in result.output


def test_elastic_relaxation_in_degrees_api(tmp_path):
    # A refinery that must run 100 kb/d with an API maximum of 15, offered only grades of API 20 and 30: the
    # cheapest way out (in percent of the limit) is the maximum raised to 20, the heaviest slate possible.
    # Lowering the run would need 100 % of it (API is an average: a smaller run is no heavier).
    tables = {
        "refineries": [{"refinery_id": "R", "name": "Heavy plant", "crude_capacity_kbd": 100,
                        "crude_min_run_kbd": 100, "api_max_deg": 15}],
        "crudes": [{"crude_id": "A", "origin": "X", "api_deg": 20, "sulfur_wt_pct": 1.0, "price_usd_per_bbl": 50},
                   {"crude_id": "B", "origin": "Y", "api_deg": 30, "sulfur_wt_pct": 1.0, "price_usd_per_bbl": 55}],
        "streams": [{"stream_id": "oil"}],
        "crude_yields": [{"crude_id": c, "stream_id": "oil", "yield_vol_frac": 1.0} for c in ("A", "B")],
        "products": [{"product_id": "fuel", "price_usd_per_bbl": 60}],
        "blend_components": [{"product_id": "fuel", "stream_id": "oil"}],
    }
    path = write_instance(tmp_path / "inst", tables)
    result = explain(str(path), "--elastic", "--out", str(tmp_path / "out"))
    assert result.exit_code == 3
    relax = pd.read_csv(tmp_path / "out" / "infeasibility.csv", keep_default_na=False)
    relax = relax[relax["side"] == "elastic"]
    assert list(relax["family"]) == ["slate_api_max"]
    assert relax["limit_unit"].iloc[0] == "deg API"
    assert float(relax["relaxed_value"].iloc[0]) == pytest.approx(20.0, abs=1e-6)
    assert "raise the API maximum at Heavy plant (R) from 15 to 20.00 deg API" in result.output


def test_explain_ranks_binding_limits_in_plant_words(tmp_path):
    # The toy README's derivation: the coker is worth 20 $/bbl (0.8 x 95 + 0.2 x 20 - 60 for a barrel of
    # residue coked instead of sold as fuel oil); 1 % of it (0.4 kb/d) is worth 8 kUSD/d. One more kb/d of crude
    # unit runs dH = 1/(1+k) = 0.570, dL = k/(1+k) = 0.430 kb/d (k = 171.5 / (1.5 x 151.5), the sulfur ratio),
    # worth 9 x 0.570 + 4.5 x 0.430 = 7.06 $/bbl; 1 % of it (1 kb/d) 7.06 kUSD/d. The coker's barrel changes
    # no crude (the slate is set by the crude unit and the sulfur limit); the crude unit's takes dH and dL.
    result = explain(str(INSTANCES / "toy_two_crudes"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    lines = [line.strip() for line in result.output.splitlines()]
    k = 171.5 / (1.5 * 151.5)
    value = 9 / (1 + k) + 4.5 * k / (1 + k)
    assert lines[1].startswith("1. The coker unit coker at Toy refinery (refinery) is full; one more kb/d is worth "
                               "$20.00/bbl")
    assert "relaxing it changes how the crude is processed, not the slate" in lines[1]
    assert lines[2].startswith(f"2. The crude unit at Toy refinery (refinery) is at its capacity; one more kb/d is "
                               f"worth ${value:.2f}/bbl")
    assert (f"that is why Heavy sour stops at {100 / (1 + k):.1f} kb/d: each kb/d more would take "
            f"{1 / (1 + k):.2f} kb/d more Heavy sour, {k / (1 + k):.2f} kb/d more Light sweet") in lines[2]
    table = pd.read_csv(tmp_path / "out" / "explanation.csv", keep_default_na=False)
    sulfur = table[table["family"] == "slate_sulfur_max"].iloc[0]
    # the sulfur limit in wt%: one more 0.01 wt% against a re-solve with the limit at 2.01
    toy = load_instance(INSTANCES / "toy_two_crudes")
    base = SlateSolver().solve(derive(toy)).objective_kusd_per_day
    wider = SlateSolver().solve(derive(resolve(toy, "base", ["refineries.refinery.sulfur_max_wt_pct = 2.0001"])))
    assert float(sulfur["value_of_relaxing_per_limit_unit"]) == pytest.approx(
        (wider.objective_kusd_per_day - base) / 0.0001, rel=1e-4)
    assert sulfur["limit_unit"] == "wt%"


def test_a_degenerate_limit_says_both_values(tmp_path):
    # A earns 20 $/bbl against B's 10 and is limited twice at 50 kb/d: 50 on offer and a 50 kb/d licence.
    # One more kb/d of either limit alone is worth nothing (the other still binds); one less costs 10 $/bbl
    # (a barrel of A becomes one of B). HiGHS's dual gives only one of these; explain states both.
    tables = one_stream_tables(["R"], [{"rule_id": "licence", "kind": "cap", "origin": "X", "volume_kbd": 50}])
    path = write_instance(tmp_path / "inst", tables)
    instance = read_instance(path)
    validate(instance)
    result = explain(str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    table = pd.read_csv(tmp_path / "out" / "explanation.csv", keep_default_na=False)
    degenerate = table[table["family"].isin(["crude_availability", "policy_cap"])]
    assert len(degenerate) >= 1
    for row in degenerate.itertuples():
        assert str(row.dual_unique) == "False"
        assert float(row.value_of_relaxing_per_limit_unit) == pytest.approx(0.0, abs=1e-6)
        assert float(row.value_of_tightening_per_limit_unit) == pytest.approx(10.0, abs=1e-6)
        assert "one kb/d more is worth nothing, one kb/d less costs $10.00/bbl" in row.sentence
    # by re-solves: either limit 1 kb/d higher gains nothing, 1 kb/d lower loses 10 kUSD/d
    base = SlateSolver().solve(derive(instance)).objective_kusd_per_day
    for path_text, level in (("crudes.A.availability_kbd", 51), ("policies.licence.volume_kbd", 51),
                             ("crudes.A.availability_kbd", 49)):
        moved = SlateSolver().solve(derive(resolve(instance, "base", [f"{path_text} = {level}"])))
        assert moved.objective_kusd_per_day - base == pytest.approx(0.0 if level > 50 else -10.0, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# the flagship: a Venezuelan floor above what the licences allow


def _policies(folder):
    return pd.read_csv(folder / "policies.csv", keep_default_na=False).set_index("rule_id")


def _subsystem_feasible(solver, rows):
    """Is there a point meeting only these rows of the solver's LP (and every column bound)? A plain LP
    feasibility solve in a HiGHS of its own, independent of HiGHS's IIS code."""
    lp = solver.highs.getLp()
    lower, upper = np.full(lp.num_row_, -highspy.kHighsInf), np.full(lp.num_row_, highspy.kHighsInf)
    lower[rows], upper[rows] = np.asarray(lp.row_lower_)[rows], np.asarray(lp.row_upper_)[rows]
    lp.row_lower_, lp.row_upper_, lp.col_cost_ = lower, upper, np.zeros(lp.num_col_)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.run()
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


@pytest.mark.parametrize("operator", [None, "Chevron"])
def test_flagship_iis_is_irreducible_and_names_the_rules(copy_instance, tmp_path, operator):
    folder = copy_instance("gulf_coast_2026")
    policies = _policies(folder)
    crudes = pd.read_csv(folder / "crudes.csv", keep_default_na=False).set_index("crude_id")
    venezuelan = crudes[crudes["origin"] == "Venezuela"]
    caps = policies[(policies["kind"] == "cap") & (policies["origin"] == "Venezuela")]
    if operator:
        caps = caps[caps["operator"] == operator]
        venezuelan = venezuelan[venezuelan["operator"] == operator]
    if caps.empty or not set(venezuelan["operator"]) <= set(caps["operator"]):
        pytest.skip("the flagship's Venezuelan licences no longer cover every Venezuelan grade")
    # the floor exceeds what the licences allow in total: floor + those caps conflict, nothing else is needed
    floor = float(caps["volume_kbd"].astype(float).sum()) + 13
    scope = f', operator = "{operator}"' if operator else ""
    with open(folder / "instance.toml", "a") as stream:
        stream.write(f'\n[scenarios.vz_floor]\ndescription = "test"\nadd_policies = [{{rule_id = "vz_floor", '
                     f'kind = "floor", origin = "Venezuela"{scope}, volume_kbd = {floor}, description = "offtake"}}]\n')
    result = explain(str(folder), "--scenario", "vz_floor", "--out", str(tmp_path / "out"))
    assert result.exit_code == 3, result.output
    table = pd.read_csv(tmp_path / "out" / "infeasibility.csv", keep_default_na=False)
    members = sorted(table["row_id"])
    on_offer = float(venezuelan["availability_kbd"].astype(float).sum())
    if on_offer >= floor:  # then no availability limit is part of any conflict with the floor
        assert members == sorted([*caps.index, "vz_floor"])
    # irreducible: the members alone admit no plan, and without any one of them the rest do (plain LP solves)
    solver = SlateSolver()
    assert solver.solve(derive(resolve(load_instance(folder), "vz_floor")), with_duals=False).status == "infeasible"
    rows = {(s.name, key): s.start + i for s in solver.constraint_slices() for i, key in enumerate(s.keys)}
    found = [rows[(family, index)] for family, index, _ in iis_rows(solver)]
    assert sorted(table["family"]) == sorted(solver.row_key(i)[0] for i in found)
    assert not _subsystem_feasible(solver, found)
    for i in found:
        assert _subsystem_feasible(solver, [j for j in found if j != i]), solver.row_key(i)
    assert "instance.toml [scenarios.vz_floor] add_policies[0], column volume_kbd" in result.output


def test_the_fast_iis_is_a_conflicting_set_and_says_it_may_not_be_irreducible(tmp_path):
    path = str(INSTANCES / "infeasible_min_run")
    result = explain(path, "--iis", "fast", "--out", str(tmp_path / "out"))
    assert result.exit_code == 3
    assert "not reduced" in result.output
    solver = SlateSolver()
    solver.solve(derive(load_instance(path)), with_duals=False)
    rows = {(s.name, key): s.start + i for s in solver.constraint_slices() for i, key in enumerate(s.keys)}
    found = [rows[(family, index)] for family, index, _ in iis_rows(solver, IIS_FAST)]
    assert found and not _subsystem_feasible(solver, found)


def test_a_printed_limit_of_no_refinery_does_not_stop_the_refinery_lines(tmp_path):
    """The textbook's crude availability (a limit of no refinery) is printed beside the refinery's own limits; the
    per-refinery lines after the ranking skip it (its empty refinery cell, NaN in the table, once made the command
    fail with a KeyError)."""
    result = explain(str(INSTANCES / "textbook_refinery"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "on offer is taken" in result.output
    assert "At Williams refinery (refinery) (45.0 kb/d: Crude 2 30.0, Crude 1 15.0) the slate is set by:" in result.output
