"""Sweeps: equal to fresh solves, the same rows whatever runs them, resumable, and strict about input."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
from click.testing import CliRunner

from optimizer import solve as solve_module
from optimizer import sweep_engine
from optimizer.cli import main
from optimizer.data import derive
from optimizer.results import origin_column
from optimizer.scenarios import resolve
from optimizer.solve import SlateSolver
from optimizer.sweep import SweepInterrupted, run_sweep
from optimizer.sweep_plan import plan_sweep
from optimizer.sweep_spec import grid_indices, parse_varies
from optimizer.validate import load_instance, validate

from .conftest import INSTANCES
from .instance_builder import write_instance

TOY = INSTANCES / "toy_two_crudes"
TEXTBOOK = INSTANCES / "textbook_refinery"
REL = 1e-7  # the tolerance; the CSVs carry 10 significant digits


def fresh(instance_path: Path, scenario: str, sets: list[str]):
    """An independent solve of one point: resolve, validate, derive, SlateSolver."""
    instance = resolve(load_instance(instance_path), scenario, sets)
    validate(instance)
    d = derive(instance)
    return d, SlateSolver().solve(d)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= REL * max(1.0, abs(a), abs(b))


def assert_points_equal_fresh_solves(instance_path: Path, out: Path, sample: list[int]) -> None:
    summary = pd.read_csv(out / "sweep_summary.csv")
    long = pd.read_csv(out / "sweep.csv")
    swept = [c for c in summary.columns if c.endswith("=")]
    for p in sample:
        row = summary.iloc[p]
        assert row["point"] == p
        sets = [f"{c}{float(row[c])!r}" for c in swept]
        d, res = fresh(instance_path, row["scenario"], sets)
        assert row["status"] == res.status, sets
        if not res.optimal:
            assert not (long["point"] == p).any()
            continue
        assert close(row["objective_kusd_per_day"], res.objective_kusd_per_day), (sets, row["objective_kusd_per_day"])
        rows = long[long["point"] == p].set_index(["refinery_id", "crude_id"])
        assert len(rows) == len(d.PAIRS)
        for pair in d.PAIRS:
            assert close(rows.at[pair, "volume_kbd"], res.values["Buy"][pair]), (sets, pair)
            assert close(rows.at[pair, "reduced_cost_usd_per_bbl"], res.reduced_costs["Buy"][pair]), (sets, pair)
        assert close(row["crude_run_kbd"], sum(res.values["Buy"].values()))


def test_status_words_and_tolerances_match_solve():
    assert sweep_engine.ZERO_REDUCED_COST == solve_module.SOLVER_FEASIBILITY_TOL
    assert sweep_engine.OPTIMAL == solve_module.OPTIMAL
    assert set(sweep_engine._STATUS.values()) | {sweep_engine.ERROR} <= set(solve_module.EXIT_CODES)


def test_grid_on_textbook_equals_fresh_solves(tmp_path):
    # a price shift (affine: values read off a line) and a factor on a unit capacity, on two scenarios
    out = tmp_path / "sweep"
    outcome = run_sweep(TEXTBOOK, ["crudes.crude1.price_usd_per_bbl+=0:9:1.5",
                                   "units.refinery/cracker.capacity_kbd*=0.5:1.5:0.25"],
                        ["base", "bigger_cracker"], out=out, plots=False)
    assert outcome.points == 2 * 7 * 5
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert list(summary["point"]) == list(range(70))
    assert list(summary.columns[:4]) == ["point", "scenario", "crudes.crude1.price_usd_per_bbl+=",
                                         "units.refinery/cracker.capacity_kbd*="]
    assert summary.loc[0, "crudes.crude1.price_usd_per_bbl+="] == 0
    assert summary.loc[4, "units.refinery/cracker.capacity_kbd*="] == 1.5
    assert_points_equal_fresh_solves(TEXTBOOK, out, [0, 8, 17, 34, 35, 52, 69])


def test_nonaffine_joint_and_infeasible_points_equal_fresh_solves(tmp_path):
    # api_deg reaches the model through specific gravity (not affine: derived at every value); two
    # varies of one cell are joint (derived per combination); a minimum run the light crude alone
    # cannot meet makes the banned scenario infeasible at the top of the range, and the sweep goes on
    out = tmp_path / "sweep"
    outcome = run_sweep(TOY, ["crudes.heavy.api_deg=16:24:2", "crudes.heavy.price_usd_per_bbl+=-4,0,4",
                              "crudes.heavy.price_usd_per_bbl*=0.9,1.1", "refineries.refinery.crude_min_run_kbd=0,70"],
                        ["base", "heavy_banned"], out=out, plots=False)
    assert outcome.statuses == {"optimal": 90, "infeasible": 30}
    notes = " ".join(outcome.manifest["planning"]["notes"])
    assert "crudes.heavy.api_deg=: not affine: derived in full at every value" in notes
    assert "derived in full for each of 6 combination(s)" in notes
    assert "refineries.refinery.crude_min_run_kbd=: derived in full at every value" in notes
    assert_points_equal_fresh_solves(TOY, out, [0, 5, 11, 23, 36, 59, 60, 61, 97, 119])


def test_a_point_that_changes_the_model_structure_gets_a_model_of_its_own(tmp_path):
    # moving a supply tranche to another tier number changes the model's columns
    folder = tmp_path / "tiers"
    write_instance(folder, {
        "refineries": [{"refinery_id": "refinery", "crude_capacity_kbd": 100, "sulfur_max_wt_pct": 2.0}],
        "crudes": [{"crude_id": "light", "origin": "Alpha", "api_deg": 40, "sulfur_wt_pct": 0.5,
                    "price_usd_per_bbl": 80, "availability_kbd": 60},
                   {"crude_id": "heavy", "origin": "Beta", "api_deg": 20, "sulfur_wt_pct": 3.0,
                    "price_usd_per_bbl": 65}],
        "crude_tiers": [{"crude_id": "heavy", "tier": 1, "volume_kbd": 30, "price_adder_usd_per_bbl": 0},
                        {"crude_id": "heavy", "tier": 2, "volume_kbd": 100, "price_adder_usd_per_bbl": 3}],
        "streams": [{"stream_id": s, "kind": "intermediate"} for s in ("light_cut", "resid", "coker_liquid", "coke")],
        "crude_yields": [{"crude_id": c, "stream_id": s, "yield_vol_frac": y} for c, s, y in (
            ("light", "light_cut", 0.7), ("light", "resid", 0.3), ("heavy", "light_cut", 0.4), ("heavy", "resid", 0.6))],
        "units": [{"refinery_id": "refinery", "unit_id": "coker", "unit_type": "coker", "capacity_kbd": 40}],
        "unit_yields": [{"unit_type": "coker", "feed_stream_id": "resid", "product_stream_id": p, "yield_vol_frac": y}
                        for p, y in (("coker_liquid", 0.8), ("coke", 0.2))],
        "products": [{"product_id": p, "price_usd_per_bbl": v} for p, v in (("gasoline", 95), ("fuel_oil", 60),
                                                                           ("coke", 20))],
        "blend_components": [{"product_id": p, "stream_id": s} for p, s in (
            ("gasoline", "light_cut"), ("gasoline", "coker_liquid"), ("fuel_oil", "resid"), ("coke", "coke"))],
    })
    out = tmp_path / "sweep"
    outcome = run_sweep(folder, ["crude_tiers.heavy/2.tier=2,3", "crudes.heavy.price_usd_per_bbl+=-2:2:2"],
                        out=out, plots=False)
    planning = outcome.manifest["planning"]
    assert planning["points_with_own_structure"] == 3
    assert planning["models_built"] == 2
    assert_points_equal_fresh_solves(folder, out, list(range(6)))


def _files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("sweep_summary.csv", "sweep.csv")}


TOY_GRID = ["crudes.heavy.price_usd_per_bbl+=-6:6:1", "units.refinery/coker.capacity_kbd*=0.5,1,1.5"]


def test_same_rows_serially_in_a_pool_and_on_a_dask_local_cluster(tmp_path):
    from distributed import LocalCluster

    serial = run_sweep(TOY, TOY_GRID, ["base", "heavy_banned"], out=tmp_path / "serial", batch_size=7, plots=False)
    pooled = run_sweep(TOY, TOY_GRID, ["base", "heavy_banned"], out=tmp_path / "pool", jobs=2, batch_size=7,
                       plots=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        dask = run_sweep(TOY, TOY_GRID, ["base", "heavy_banned"], out=tmp_path / "dask", scheduler=cluster,
                         batch_size=7, plots=False)
    assert serial.manifest["engine"] == "this process"
    assert pooled.manifest["engine"] == "process pool of 2"
    assert dask.manifest["engine"].startswith("dask")
    assert _files(serial.out) == _files(pooled.out) == _files(dask.out)
    assert serial.points == 78 and serial.manifest["batches"] == 12
    # one batch needs no pool: the manifest says what ran it
    single = run_sweep(TOY, TOY_GRID[:1], out=tmp_path / "single", jobs=2, batch_size=100, plots=False)
    assert single.manifest["batches"] == 1 and single.manifest["engine"] == "this process"


def ctrl_c_after(batches: int):
    """An on_batch callback that acts as a Ctrl-C once `batches` batches are done."""
    def ctrl_c(done: int) -> None:
        if done == batches:
            raise KeyboardInterrupt
    return ctrl_c


@pytest.mark.parametrize("jobs", [1, 2])
def test_resume_after_ctrl_c_gives_the_files_of_an_uninterrupted_run(tmp_path, jobs):
    whole = run_sweep(TOY, TOY_GRID, out=tmp_path / "whole", batch_size=3, plots=False)
    out = tmp_path / "interrupted"
    with pytest.raises(SweepInterrupted) as stopped:
        run_sweep(TOY, TOY_GRID, out=out, jobs=jobs, batch_size=3, plots=False, on_batch=ctrl_c_after(4))
    assert stopped.value.exit_code == 130
    assert "run the same command with --resume" in str(stopped.value)
    assert not (out / "sweep.csv").exists()
    parts = sorted(p.name for p in (out / "parts").glob("*.summary.csv"))
    assert len(parts) >= 4
    assert not list((out / "parts").glob(".*"))  # no half-written file left behind
    resumed = run_sweep(TOY, TOY_GRID, out=out, jobs=jobs, batch_size=3, plots=False, resume=True)
    assert resumed.resumed_batches == len(parts)
    assert resumed.manifest["this_run"]["points_solved"] == 39 - 3 * len(parts)
    assert _files(out) == _files(whole.out)
    assert not (out / "parts").exists()
    again = run_sweep(TOY, TOY_GRID, out=out, batch_size=3, plots=False, resume=True)
    assert again.already_done


def test_resume_refuses_a_sweep_started_with_other_settings(tmp_path):
    out = tmp_path / "s"
    with pytest.raises(SweepInterrupted):
        run_sweep(TOY, TOY_GRID, out=out, batch_size=3, plots=False, on_batch=ctrl_c_after(1))
    result = CliRunner().invoke(main, ["sweep", str(TOY), "--vary", "crudes.heavy.price_usd_per_bbl+=0:1:1",
                                       "--out", str(out), "--resume"])
    assert result.exit_code == 2
    assert f"error: --out {out}: holds an unfinished sweep with other settings or inputs" in result.output


def test_cli_writes_tables_manifest_and_plots(tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(main, ["sweep", str(TOY), "--vary", "crudes.heavy.price_usd_per_bbl+=-6:6:3",
                                       "--vary", "units[unit_type=coker].capacity_kbd*=0.5,1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Sweep of 10 points -> {out} (planning ")
    assert "  points: 10 optimal\n" in result.output
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert list(summary.columns) == ["point", "scenario", "crudes.heavy.price_usd_per_bbl+=",
                                     "units[unit_type=coker].capacity_kbd*=", "status", "objective_kusd_per_day",
                                     "crude_run_kbd", "origin_alpha_kbd", "origin_beta_kbd", "simplex_iterations"]
    np.testing.assert_allclose(summary["origin_alpha_kbd"] + summary["origin_beta_kbd"], summary["crude_run_kbd"])
    long = pd.read_csv(out / "sweep.csv")
    assert list(long.columns) == ["point", "scenario", "refinery_id", "crude_id", "volume_kbd",
                                  "reduced_cost_usd_per_bbl"]
    assert len(long) == 10 * 2
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["statuses"] == {"optimal": 10}
    assert meta["vary"] == ["crudes.heavy.price_usd_per_bbl+=-6:6:3", "units[unit_type=coker].capacity_kbd*=0.5,1"]
    assert set(meta["input_sha256"]) >= {"instance.toml", "crudes.csv"}
    for name in meta["plots"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert meta["plots"] == ["plot_1_crudes_heavy_price_usd_per_bbl.png", "plot_2_units_unit_type_coker_capacity_kbd.png",
                             "plot_grid_crudes_heavy_price_usd_per_bbl_x_units_unit_type_coker_capacity_kbd.png"]


def test_cli_exit_3_when_some_points_are_infeasible(tmp_path):
    result = CliRunner().invoke(main, ["sweep", str(TOY), "--vary", "refineries.refinery.crude_min_run_kbd=0,70",
                                       "--scenario", "heavy_banned", "--out", str(tmp_path / "s"), "--no-plots"])
    assert result.exit_code == 3, result.output
    assert "  points: 1 infeasible, 1 optimal\n" in result.output
    pointer = (f"  why the first of them has none: crudeslate explain {TOY} --scenario heavy_banned --set "
               "refineries.refinery.crude_min_run_kbd=70  (point 1)\n")
    assert pointer in result.output
    command = pointer.split(": ", 1)[1].split("  (")[0].split()[1:]
    explained = CliRunner().invoke(main, [*command, "--out", str(tmp_path / "why")])
    assert explained.exit_code == 3 and "Scenario heavy_banned: INFEASIBLE" in explained.output


VALID_CRUDE_COLUMNS = ("api_deg, sulfur_wt_pct, tan_mg_koh_per_g, differential_usd_per_bbl, price_usd_per_bbl, "
                       "freight_usd_per_bbl, availability_kbd")


@pytest.mark.parametrize(("vary", "message"), [
    ("crudes.heavy.price+=1:2:1",
     "--vary, value 'crudes.heavy.price+=1:2:1': names no numeric column of crudes: 'price'. "
     f"Fix: use one of: {VALID_CRUDE_COLUMNS}."),
    ("crudez.heavy.price_usd_per_bbl=1",
     "--vary, value 'crudez.heavy.price_usd_per_bbl=1': names no table with numbers: 'crudez'. Fix: use one of: "
     "refineries: crude_capacity_kbd, crude_min_run_kbd,"),
    ("crudes.heavy.price_usd_per_bbl+=1:5:0",
     "--vary, value 'crudes.heavy.price_usd_per_bbl+=1:5:0': has a range step of 0. Fix: write SPEC as "
     "START:STOP:STEP (STOP included when the steps land on it), a comma list such as -5,0,2.5, or linspace(A,B,N)."),
    ("crudes.heavy.price_usd_per_bbl+=5:1:1",
     "--vary, value 'crudes.heavy.price_usd_per_bbl+=5:1:1': has a range that never reaches its stop: from 5 by 1 "
     "to 1."),
    ("crudes.heavy.price_usd_per_bbl=linspace(60,70)",
     "--vary, value 'crudes.heavy.price_usd_per_bbl=linspace(60,70)': has 'linspace(60' in its list, which is not "
     "a number."),
    ("crudes.heavy.price_usd_per_bbl*=1,x",
     "--vary, value 'crudes.heavy.price_usd_per_bbl*=1,x': has 'x' in its list, which is not a number."),
    ("heavy price up",
     "--vary, value 'heavy price up': is not PATH OP SPEC. Fix: write e.g. "
     "'crudes.merey16.differential_usd_per_bbl+=-5:5:1'. OP is =, += or *=; SPEC is START:STOP:STEP, a comma list "
     "or linspace(A,B,N); PATH is TABLE.ROW_ID.COLUMN or TABLE[COLUMN=VALUE].COLUMN, over: refineries: "),
    ("crudes.nosuch.price_usd_per_bbl+=1",
     "--vary, value 'crudes.nosuch.price_usd_per_bbl+=1': points at no row of crudes. Fix: use a row id of crudes: "
     "light, heavy.\n"),
    ("crudes.hevy.price_usd_per_bbl+=1",
     "--vary, value 'crudes.hevy.price_usd_per_bbl+=1': points at no row of crudes. Fix: did you mean heavy? Use a "
     "row id of crudes: light, heavy.\n"),
    ("crudes[origin=Alfa].price_usd_per_bbl+=1",
     "--vary, value 'crudes[origin=Alfa].price_usd_per_bbl+=1': points at no row of crudes. Fix: did you mean Alpha? "
     "origin holds: Alpha, Beta.\n"),
    ("crudes.heavy.availability_kbd*=0:2:0.5",  # the heavy crude has no availability: once, not once a value
     "--vary, value 'crudes.heavy.availability_kbd*=0:2:0.5': shifts or scales an empty cell "
     "(crudes.heavy.availability_kbd), whatever the value. Fix: set it with '=' instead, or give the cell a value in "
     "the table.\n"),
    ("crudes.heavy.price_usd_per_bbl+=1e400,0",
     "--vary, value 'crudes.heavy.price_usd_per_bbl+=1e400,0': has its value 1 beyond the largest number a "
     "computation holds (about 1.8e308): '1e400,0'. Fix: give values within the cell's range"),
    ("crudes.heavy.price_usd_per_bbl+=0:1e400:1e399",
     "--vary, value 'crudes.heavy.price_usd_per_bbl+=0:1e400:1e399': has its value 2 beyond the largest number a "
     "computation holds (about 1.8e308): '0:1e400:1e399'."),
    ("crudes.heavy.price_usd_per_bbl+=-70,0",
     "--vary, value 'crudes.heavy.price_usd_per_bbl+=-70': would make crudes.heavy.price_usd_per_bbl = -5, below "
     "its lowest allowed value 0. Fix: change the override."),
])
def test_cli_refuses_a_bad_path_or_spec_before_any_solve(tmp_path, vary, message):
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["sweep", str(TOY), "--vary", vary, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: 1 problem found:\n  - " + message), result.output
    assert not out.exists()


def test_a_point_that_breaks_a_cross_table_rule_is_refused_before_any_solve(tmp_path):
    """The toy's heavy cuts are 0.4 + 0.6; halving the residue cut at one end of the SPEC leaves 0.7. The sweep
    checks its ends against the base's cached findings, so this must be caught as a change in crude_yields."""
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["sweep", str(TOY), "--vary", "crude_yields.heavy/resid.yield_vol_frac*=1,0.5",
                                       "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(
        "error: 1 problem found:\n  - crudes.csv row 3, column crude_id, value 'heavy': has crude_yields summing to "
        "0.7000, not 1 (tolerance 0.001). (at scenario base, crude_yields.heavy/resid.yield_vol_frac*=0.5)"), \
        result.output
    assert not out.exists()


def test_every_problem_of_the_varies_is_reported_at_once(tmp_path):
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["sweep", str(TOY), "--vary", "crudez.x.price_usd_per_bbl=1:2:0",
                                       "--vary", "crudes.nosuch.price_usd_per_bbl+=1",
                                       "--vary", "crudes.heavy.price_usd_per_bbl+=-70,0", "--out", str(out)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "error: 4 problems found:"
    assert lines[1].startswith("  - --vary, value 'crudez.x.price_usd_per_bbl=1:2:0': names no table with numbers")
    assert lines[2].startswith("  - --vary, value 'crudez.x.price_usd_per_bbl=1:2:0': has a range step of 0.")
    assert lines[3].startswith("  - --vary, value 'crudes.nosuch.price_usd_per_bbl+=1': points at no row of crudes.")
    assert lines[4].startswith("  - --vary, value 'crudes.heavy.price_usd_per_bbl+=-70': would make "
                               "crudes.heavy.price_usd_per_bbl = -5, below its lowest allowed value 0.")
    assert len(lines) == 5 and not out.exists()


def test_an_unreachable_scheduler_is_refused_before_planning(tmp_path, monkeypatch):
    import socket

    from optimizer import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "SCHEDULER_TIMEOUT_S", 1)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["sweep", str(TOY), "--vary", "crudes.heavy.price_usd_per_bbl+=0,1",
                                       "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: --scheduler tcp://127.0.0.1:{port}: no Dask scheduler answered there "
                                    "within 1 s (")
    assert "--resume" not in result.output and not out.exists()


def test_cli_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["sweep", str(TOY), "--vary", "crudes.heavy.price_usd_per_bbl+=0:2:1",
                                  "--vary", "crudes.light.price_usd_per_bbl+=0,1", "--zip"])
    assert result.exit_code == 2
    assert result.output == ("error: --zip needs every --vary to have as many values: crudes.heavy.price_usd_per_bbl+= "
                             "has 3, crudes.light.price_usd_per_bbl+= has 2.\n")
    result = runner.invoke(main, ["sweep", str(TOY), "--vary", "crudes.heavy.price_usd_per_bbl+=0,1",
                                  "--scenario", "nope"])
    assert result.exit_code == 2
    assert "error: unknown scenario 'nope'; the instance has: base, no_coker, heavy_banned." in result.output
    result = runner.invoke(main, ["sweep", str(TOY)])
    assert result.exit_code == 2
    assert "Missing option '--vary'" in result.output


def test_zip_walks_the_lists_together(tmp_path):
    outcome = run_sweep(TOY, ["crudes.heavy.price_usd_per_bbl=60,65,70", "crudes.light.price_usd_per_bbl=75,80,85"],
                        zipped=True, out=tmp_path / "z", plots=False)
    summary = pd.read_csv(outcome.summary)
    assert summary[["crudes.heavy.price_usd_per_bbl=", "crudes.light.price_usd_per_bbl="]].values.tolist() == [
        [60, 75], [65, 80], [70, 85]]
    assert_points_equal_fresh_solves(TOY, outcome.out, [0, 1, 2])


@pytest.mark.parametrize(("spec", "values"), [
    ("5", [5]), ("5:5:1", [5]), ("1,1", [1, 1]), ("linspace(3,4,1)", [3]), ("linspace(1,1,3)", [1, 1, 1])])
def test_a_spec_of_one_distinct_value_sweeps_it(tmp_path, spec, values):
    # one distinct value: its lowest is its highest, and the planner probes it once (was an AssertionError)
    out = tmp_path / "one"
    outcome = run_sweep(TOY, [f"crudes.heavy.price_usd_per_bbl+={spec}", "refineries.refinery.crude_min_run_kbd=0,70"],
                        ["heavy_banned"], out=out, plots=False)
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert summary["crudes.heavy.price_usd_per_bbl+="].tolist() == [v for v in values for _ in (0, 1)]
    assert outcome.statuses == {"optimal": len(values), "infeasible": len(values)}
    assert_points_equal_fresh_solves(TOY, out, list(range(len(summary))))


def _sweep_cli(*args: str):
    return CliRunner().invoke(main, ["sweep", str(TOY), *args, "--no-plots"])


def test_a_sweep_never_replaces_results_it_was_not_told_to(tmp_path):
    out = tmp_path / "s"
    a = ["--vary", "crudes.heavy.price_usd_per_bbl+=-6:6:3"]
    b = ["--vary", "crudes.heavy.price_usd_per_bbl+=0,1", "--vary", "crudes.light.price_usd_per_bbl+=0,1"]
    assert _sweep_cli(*a, "--out", str(out)).exit_code == 0
    kept = {p.name: p.read_bytes() for p in out.iterdir()}

    other = _sweep_cli(*b, "--out", str(out))
    assert other.exit_code == 2
    assert other.output == (f"error: --out {out}: holds a finished sweep with other settings or inputs (--vary "
                            "'crudes.heavy.price_usd_per_bbl+=-6:6:3', 5 points); it is not replaced: give another "
                            "--out, or add --overwrite to replace it.\n")
    same = _sweep_cli(*a, "--out", str(out))
    assert same.exit_code == 2
    assert "already holds this very sweep, complete (5 points); run with --resume to keep it" in same.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == kept
    resumed = _sweep_cli(*a, "--out", str(out), "--resume")
    assert resumed.exit_code == 0 and "Sweep already complete" in resumed.output
    assert _sweep_cli(*a, "--out", str(out), "--resume", "--overwrite").exit_code == 2

    # --overwrite replaces it; what is then in the folder is what a sweep into a new folder writes
    assert _sweep_cli(*b, "--out", str(out), "--overwrite").exit_code == 0
    assert _files(out) == _files(run_sweep(TOY, b[1::2], out=tmp_path / "fresh", plots=False).out)
    # but never a file crudeslate did not write
    (out / "notes.txt").write_text("mine")
    refused = _sweep_cli(*a, "--out", str(out), "--overwrite")
    assert refused.exit_code == 2 and "but also notes.txt, which it did not write" in refused.output
    assert (out / "notes.txt").read_text() == "mine" and _files(out) == _files(tmp_path / "fresh")


def test_an_unfinished_sweep_is_kept_until_resumed_or_overwritten(tmp_path):
    out = tmp_path / "s"
    with pytest.raises(SweepInterrupted):
        run_sweep(TOY, TOY_GRID, out=out, batch_size=3, plots=False, on_batch=ctrl_c_after(2))
    parts = {p.name: p.read_bytes() for p in (out / "parts").iterdir()}
    args = [a for v in TOY_GRID for a in ("--vary", v)] + ["--batch-size", "3", "--out", str(out)]
    again = _sweep_cli(*args)
    assert again.exit_code == 2
    assert again.output == (f"error: --out {out}: holds this very sweep, unfinished (2 batch(es) saved); run with "
                            "--resume to finish it, or add --overwrite to start it over.\n")
    assert {p.name: p.read_bytes() for p in (out / "parts").iterdir()} == parts
    other = _sweep_cli("--vary", "crudes.light.price_usd_per_bbl+=0,1", "--out", str(out))
    assert other.exit_code == 2 and "holds an unfinished sweep with other settings or inputs" in other.output
    assert _sweep_cli(*args, "--overwrite").exit_code == 0
    assert _files(out) == _files(run_sweep(TOY, TOY_GRID, out=tmp_path / "whole", batch_size=3, plots=False).out)


def test_out_must_be_a_folder_crudeslate_may_write(tmp_path):
    a = ["--vary", "crudes.heavy.price_usd_per_bbl+=0,1"]
    afile = tmp_path / "afile"
    afile.write_text("keep")
    result = _sweep_cli(*a, "--out", str(afile))
    assert result.exit_code == 2
    assert result.output.startswith(f"error: --out {afile}: is a file, not a folder;")
    result = _sweep_cli(*a, "--out", str(afile / "sub"))
    assert result.exit_code == 2
    assert result.output.startswith(f"error: --out {afile / 'sub'}: cannot be created: {afile} is a file")
    assert afile.read_text() == "keep"
    result = _sweep_cli(*a, "--out", str(TOY / "sweep"))
    assert result.exit_code == 2 and "lies inside the instance folder" in result.output
    assert not (TOY / "sweep").exists()
    solved = tmp_path / "solved"
    assert CliRunner().invoke(main, ["solve", str(TOY), "--out", str(solved)]).exit_code == 0
    result = _sweep_cli(*a, "--out", str(solved))
    assert result.exit_code == 2 and "holds the results of another crudeslate command" in result.output
    assert (solved / "summary.csv").exists()


def test_the_default_folder_names_the_range_and_scenarios(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runs = [(["crudes.heavy.price_usd_per_bbl+=0,1"], []), (["crudes.heavy.price_usd_per_bbl+=0,2"], []),
            (["crudes.heavy.price_usd_per_bbl+=0,1"], ["no_coker"])]
    folders = [run_sweep(TOY, vary, scenarios, plots=False).out for vary, scenarios in runs]
    assert len(set(folders)) == 3
    assert all(f.parent == Path("results") / "toy_two_crudes" for f in folders)
    assert folders[0].name.startswith("sweep-heavy-price_usd_per_bbl-")
    assert folders[2].name.startswith("sweep-heavy-price_usd_per_bbl--no_coker-")
    assert run_sweep(TOY, *runs[0], plots=False, resume=True).already_done  # the same command finds its folder


# -- real signals: a sweep run as a command in a process of its own ---------------------------------------

LONG_GRID = ["crudes.heavy.price_usd_per_bbl+=-10:10:0.02", "crudes.light.price_usd_per_bbl+=0:4:1"]  # 5,005 points
CRUDESLATE = Path(sys.executable).with_name("crudeslate")


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory) -> dict[str, bytes]:
    """The files of the long sweep run uninterrupted, in this process (every engine writes the same)."""
    return _files(run_sweep(TOY, LONG_GRID, out=tmp_path_factory.mktemp("reference") / "s", plots=False).out)


def _start(out: Path, *options: str) -> subprocess.Popen:
    """The long sweep as a command; its output goes to files (a worker outliving it must not hold a pipe)."""
    args = [str(CRUDESLATE), "sweep", str(TOY), *(a for v in LONG_GRID for a in ("--vary", v)), "--out", str(out),
            "--no-plots", *options]
    logs = out.parent / f"{out.name}-{time.monotonic_ns()}"
    with open(f"{logs}.out", "w") as stdout, open(f"{logs}.err", "w") as stderr:
        process = subprocess.Popen(args, stdout=stdout, stderr=stderr, text=True)
    process.logs = logs  # type: ignore[attr-defined]
    return process


def _finish(process: subprocess.Popen, timeout: float = 300) -> tuple[str, str]:
    process.wait(timeout)
    logs = process.logs  # type: ignore[attr-defined]
    return Path(f"{logs}.out").read_text(), Path(f"{logs}.err").read_text()


def _saved(out: Path) -> int:
    return len(list((out / "parts").glob("batch-*.summary.csv")))


def _wait_for_parts(process: subprocess.Popen, out: Path, count: int) -> None:
    deadline = time.monotonic() + 120
    while _saved(out) < count:
        assert process.poll() is None, _finish(process)
        assert time.monotonic() < deadline, "no part files appeared"
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_until_ended(pids: list[int], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "a worker outlived the sweep"
        time.sleep(0.05)


def _resume_and_compare(out: Path, reference: dict[str, bytes], *options: str) -> None:
    resumed = _start(out, "--resume", *options)
    stdout, stderr = _finish(resumed)
    assert resumed.returncode == 0, stderr
    assert "batches resumed" in stdout
    assert _files(out) == reference
    assert not (out / "parts").exists()


@pytest.mark.parametrize("engine", [["--jobs", "2"], ["--scheduler", "local", "--jobs", "2"]],
                         ids=["process-pool", "dask-local-cluster"])
def test_ctrl_c_then_resume_gives_the_files_of_an_uninterrupted_run(tmp_path, long_reference, engine):
    out = tmp_path / "s"
    sweep = _start(out, *engine)
    _wait_for_parts(sweep, out, 3)
    workers = [child.pid for child in psutil.Process(sweep.pid).children(recursive=True)]
    sweep.send_signal(signal.SIGINT)
    stdout, stderr = _finish(sweep, 60)
    assert sweep.returncode == 130, stderr
    saved = _saved(out)
    assert stderr.startswith(f"error: interrupted: {200 * saved} of 5005 points are saved in {out}; run the same "
                             "command with --resume to finish.\n")
    assert "Traceback" not in stderr
    assert not list((out / "parts").glob(".*")) and not (out / "sweep.csv").exists()
    _wait_until_ended(workers)
    _resume_and_compare(out, long_reference, "--jobs", "2")  # the parts do not depend on the engine


def test_killing_the_sweep_ends_its_workers_and_resume_finishes_it(tmp_path, long_reference):
    # SIGKILL leaves the sweep no chance to stop its pool: the workers must end by themselves, and write
    # nothing more into the folder
    out = tmp_path / "s"
    sweep = _start(out, "--jobs", "2")
    _wait_for_parts(sweep, out, 2)
    workers = [child.pid for child in psutil.Process(sweep.pid).children(recursive=True)]
    assert len(workers) == 2
    sweep.kill()
    sweep.wait(60)
    _wait_until_ended(workers)
    saved = sorted((out / "parts").iterdir())
    time.sleep(1)
    assert sorted((out / "parts").iterdir()) == saved
    _resume_and_compare(out, long_reference, "--jobs", "2")


def test_a_killed_pool_worker_is_replaced_and_the_files_are_whole(tmp_path, long_reference):
    out = tmp_path / "s"
    sweep = _start(out, "--jobs", "2")
    _wait_for_parts(sweep, out, 2)
    victim = psutil.Process(sweep.pid).children()[0]
    victim.kill()
    stdout, stderr = _finish(sweep)
    assert sweep.returncode == 0, stderr
    assert _files(out) == long_reference


def test_parts_of_another_sweep_are_never_taken_for_this_ones(tmp_path):
    # a part file carries its sweep's definition key: one of another definition in parts/ (left by a
    # stray writer) is ignored by --resume, and the result is that of an uninterrupted run
    out = tmp_path / "s"
    with pytest.raises(SweepInterrupted):
        run_sweep(TOY, TOY_GRID, out=out, batch_size=3, plots=False, on_batch=ctrl_c_after(2))
    other = tmp_path / "other"
    with pytest.raises(SweepInterrupted):
        run_sweep(TOY, ["crudes.heavy.price_usd_per_bbl+=0:40:1"], out=other, batch_size=3, plots=False,
                  on_batch=ctrl_c_after(2))
    for part in (other / "parts").glob("batch-000002-*"):  # batch 2 of the other sweep, not done in this one
        shutil.copy(part, out / "parts" / part.name)
    resumed = run_sweep(TOY, TOY_GRID, out=out, batch_size=3, plots=False, resume=True)
    assert resumed.resumed_batches == 2
    assert _files(out) == _files(run_sweep(TOY, TOY_GRID, out=tmp_path / "whole", batch_size=3, plots=False).out)


# -- parameters that move the same Params from different cells -------------------------------------------

@pytest.fixture
def toy_with_duty(copy_instance) -> Path:
    """The toy with an ad valorem duty on the heavy crude: its delivered cost is price + freight + duty, the duty
    a percentage of the price (a product of two cells)."""
    folder = copy_instance("toy_two_crudes")
    (folder / "policies.csv").write_text("rule_id,kind,crude_id,tariff_pct,tariff_usd_per_bbl,description\n"
                                         "heavy_duty,tariff,heavy,10,0.5,a duty on the heavy crude\n")
    return folder


def test_parameters_whose_changes_add_up_are_composed_not_derived_per_combination(tmp_path, toy_with_duty):
    # price and freight both enter the heavy crude's delivered cost, as a sum: 9 x 4 = 36 combinations
    outcome = run_sweep(toy_with_duty, ["crudes.heavy.price_usd_per_bbl+=-4:4:1",
                                        "crudes.heavy.freight_usd_per_bbl+=0.25:3.25:1"],
                        out=tmp_path / "s", plots=False)
    planning = outcome.manifest["planning"]
    assert any("their changes add up" in note and "36 combination(s) composed" in note for note in planning["notes"])
    assert planning["full_derivations"] < 20
    assert_points_equal_fresh_solves(toy_with_duty, outcome.out, list(range(36)))


def test_parameters_whose_changes_do_not_add_up_are_derived_per_combination(tmp_path, toy_with_duty):
    # the duty is a percentage of the price: price x duty rate do not add up, every combination is derived
    outcome = run_sweep(toy_with_duty, ["policies.heavy_duty.tariff_pct+=-10:10:5", "crudes.heavy.price_usd_per_bbl+=-4:4:2"],
                        out=tmp_path / "s", plots=False)
    notes = " ".join(outcome.manifest["planning"]["notes"])
    assert "move the same Params and their changes do not add up: derived in full for each of 25 combination(s)" in notes
    assert_points_equal_fresh_solves(toy_with_duty, outcome.out, list(range(25)))


def test_lp_entries_are_read_off_their_slopes_only_when_they_are_affine():
    import pyomo.environ as pyo

    from optimizer.sweep_lp import LpTemplate

    m = pyo.ConcreteModel()
    m.p = pyo.Param([1, 2], mutable=True, initialize={1: 2.0, 2: 3.0})
    m.x = pyo.Var([1, 2], bounds=(0, 10))
    m.sum = pyo.Constraint(expr=(m.p[1] + m.p[2]) * m.x[1] + m.x[2] <= 8)  # affine in the Params
    m.product = pyo.Constraint(expr=m.p[1] * m.p[2] * m.x[2] <= 9)  # not
    m.obj = pyo.Objective(expr=m.x[1] + m.x[2], sense=pyo.maximize)
    lp = LpTemplate(m)
    base = {("p", 1): 2.0, ("p", 2): 3.0}
    options = [{("p", 1): 2.0 + a, ("p", 2): 3.0 + b} for a in range(6) for b in range(6)]
    affine = lp.cells([("p", 1), ("p", 2)])
    summed = [cell for cell in affine if cell[0] == "coef" and int(lp.coef_row[cell[1]]) == 0]
    block = lp.block(summed, options, base)
    np.testing.assert_array_equal(block.coef[:, 0], [5.0 + a + b for a in range(6) for b in range(6)])
    product = [cell for cell in affine if cell[0] == "coef" and int(lp.coef_row[cell[1]]) == 1]
    assert lp._affine(product + [("offset", 0)], options, base) is None
    block = lp.block(product, options, base)
    np.testing.assert_array_equal(block.coef[:, 0], [(2.0 + a) * (3.0 + b) for a in range(6) for b in range(6)])
    assert pyo.value(m.p[1]) == 2.0 and pyo.value(m.p[2]) == 3.0  # the Params end at the base


def test_planning_shows_its_stages_on_a_terminal(tmp_path, capsys):
    run_sweep(TOY, ["crudes.heavy.api_deg=16:24:1"], out=tmp_path / "s", plots=False, progress=True)
    shown = capsys.readouterr().err
    assert "planning base: probing the parameters" in shown
    assert "derivations and checks" in shown
    assert "sweep: 100%" in shown


# -- the flagship: an LP with many optimal plans ------------------------------------------------------------
# Its numbers are being revised: nothing here pins a flagship figure; every expectation is a fresh solve.

FLAGSHIP = INSTANCES / "gulf_coast_2026"


def assert_slate_is_an_optimal_plan(solver: SlateSolver, objective: float, slate: pd.DataFrame) -> None:
    """Hold the fresh model's crude purchases at the sweep's slate (to its printed precision) and solve: the
    margin must be the fresh optimum's. Where the LP has several optimal plans, this checks the sweep's is one."""
    buy = next(v for v in solver.variable_columns() if v.name == "Buy")
    h = solver.highs
    assert h is not None
    lp = h.getLp()
    columns = np.asarray(buy.columns, dtype=np.int32)
    lower, upper = np.asarray(lp.col_lower_)[columns], np.asarray(lp.col_upper_)[columns]
    volume = slate.set_index(["refinery_id", "crude_id"])["volume_kbd"]
    values = np.array([volume[key] for key in buy.keys])
    h.changeColsBounds(len(columns), columns, np.maximum(lower, values - 1e-7), np.minimum(upper, values + 1e-7))
    h.run()
    assert h.getModelStatus() == sweep_engine.highspy.HighsModelStatus.kOptimal
    assert close(h.getInfo().objective_function_value, objective)


def test_flagship_points_equal_fresh_solves_and_their_slates_are_optimal_plans(tmp_path):
    # a marker price and the Venezuelan differentials both make the Venezuelan crudes' prices: composed
    varies = ["markers.brent.price_usd_per_bbl+=-6,0,6", "crudes[origin=Venezuela].differential_usd_per_bbl+=-4,0,4"]
    outcome = run_sweep(FLAGSHIP, varies, ["open_venezuela"], out=tmp_path / "s", plots=False)
    assert any("their changes add up" in note for note in outcome.manifest["planning"]["notes"])
    summary = pd.read_csv(outcome.summary)
    long = pd.read_csv(outcome.long)
    rc = long["reduced_cost_usd_per_bbl"].abs()
    assert ((rc == 0) | (rc >= sweep_engine.ZERO_REDUCED_COST)).all()  # no rounding dust below the tolerance
    origins = [c for c in summary.columns if c.startswith("origin_")]
    for p in (0, 4, 8, 5):
        row = summary.iloc[p]
        sets = [f"{c}{float(row[c])!r}" for c in summary.columns if c.endswith("=")]
        instance = resolve(load_instance(FLAGSHIP), "open_venezuela", sets)
        d = derive(instance)
        solver = SlateSolver()
        res = solver.solve(d, with_duals=False)
        assert row["status"] == res.status == "optimal"
        assert close(row["objective_kusd_per_day"], res.objective_kusd_per_day)
        slate = long[long["point"] == p]
        assert len(slate) == len(d.PAIRS)
        by_origin = slate.groupby(slate["crude_id"].map(d.origin))["volume_kbd"].sum()
        assert sorted(origins) == sorted(origin_column(o) for o in set(d.origin.values()))
        for origin, volume in by_origin.items():
            assert abs(row[origin_column(origin)] - volume) <= 1e-6
        assert close(row["crude_run_kbd"], slate["volume_kbd"].sum())
        assert_slate_is_an_optimal_plan(solver, res.objective_kusd_per_day, slate)


def test_a_scenarios_rows_do_not_depend_on_the_other_scenarios_in_the_sweep(tmp_path):
    # each scenario's points are batched from its own first point: with several optimal plans at some points,
    # the plan a point gets is still the same whether the scenario is swept alone or with others
    vary = ["crudes[origin=Venezuela].differential_usd_per_bbl+=-10:10:1"]
    alone = run_sweep(FLAGSHIP, vary, ["open_venezuela"], out=tmp_path / "alone", plots=False)
    both = run_sweep(FLAGSHIP, vary, ["licensed_2026", "open_venezuela"], out=tmp_path / "both", plots=False)

    def rows(path: Path, scenario: str) -> list[str]:
        return [line.split(",", 1)[1] for line in path.read_text().splitlines()[1:] if f",{scenario}," in line]

    assert rows(alone.summary, "open_venezuela") == rows(both.summary, "open_venezuela")
    assert rows(alone.long, "open_venezuela") == rows(both.long, "open_venezuela")


# -- plots: what is drawn is read back from the figures and compared with sweep_summary.csv ----------------

def _figure(kind: str, out: Path, swept: list[str], **options):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from optimizer import sweep_output

    frame = pd.read_csv(out / "sweep_summary.csv")
    scenarios = list(dict.fromkeys(frame["scenario"]))
    used = [c for c in frame.columns if c.startswith("origin_") and frame[c].fillna(0).abs().max() > 1e-6]
    labels = [f"{c} = x" for c in swept]
    if kind == "curves":
        return frame, sweep_output._curves(plt, frame, scenarios, swept, options["k"], labels[options["k"]], None,
                                           options.get("zipped", False), used, dict.fromkeys(used, "C0"))
    return frame, sweep_output._grid(plt, frame, scenarios, swept, labels, [None] * len(swept), used,
                                     options.get("focus", []))


def test_curves_leave_out_points_without_a_plan_and_a_zip_walk_that_turns_back(tmp_path):
    import matplotlib.pyplot as plt

    swept = ["refineries.refinery.crude_min_run_kbd=", "crudes.light.price_usd_per_bbl="]
    outcome = run_sweep(TOY, ["refineries.refinery.crude_min_run_kbd=70,0,70,0,30,0",
                              "crudes.light.price_usd_per_bbl=60,65,70,75,80,85"], ["heavy_banned"], zipped=True,
                        out=tmp_path / "z")
    assert outcome.manifest["plots"] == ["plot_1_refineries_refinery_crude_min_run_kbd.png",
                                         "plot_2_crudes_light_price_usd_per_bbl.png"]
    for name in outcome.plots:
        assert (outcome.out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    frame, fig = _figure("curves", outcome.out, swept, k=1, zipped=True)
    stacked, change, margin = (fig.axes[i] for i in range(3))
    ok = frame["status"] == "optimal"
    planned, unplanned = set(frame.loc[ok, swept[1]]), set(frame.loc[~ok, swept[1]])
    assert unplanned == {60, 70}
    extents = [(bar.get_x(), bar.get_x() + bar.get_width()) for bar in stacked.patches]  # a lone point's bar
    extents += [(path.vertices[:, 0].min(), path.vertices[:, 0].max()) for c in stacked.collections
                for path in c.get_paths()]  # each run of points with a plan, stacked
    assert len(stacked.patches) == 1 and extents
    for low, high in extents:  # no area reaches a price without a plan
        assert not any(low <= u <= high for u in unplanned), (low, high)
    [line] = [ln for ln in margin.lines if ln.get_marker() == "."]
    assert len([ln for ln in change.lines if ln.get_marker() == "."]) == 1  # one origin moves: Alpha
    shown = {x for x, y in zip(line.get_xdata(), line.get_ydata()) if np.isfinite(y)}
    assert shown == planned  # the lone point at 65 is drawn (a marker), the points without a plan are not
    plt.close(fig)
    # the minimum run goes 70, 0, 70, 0, 30, 0 along the walk: plotted against the step, in walk order
    frame, fig = _figure("curves", outcome.out, swept, k=0, zipped=True)
    [line] = [ln for ln in fig.axes[2].lines if ln.get_marker() == "."]
    assert list(line.get_xdata()) == [0, 1, 2, 3, 4, 5]
    np.testing.assert_allclose(line.get_ydata(), frame["objective_kusd_per_day"] / 1000)
    assert [t.get_text() for t in fig.axes[2].get_xticklabels()] == ["0\n70", "1\n0", "2\n70", "3\n0", "4\n30", "5\n0"]
    plt.close(fig)


def test_a_grid_gets_heat_maps_of_the_margin_and_the_swept_crudes_origin(tmp_path):
    import matplotlib.pyplot as plt

    swept = ["refineries.refinery.crude_min_run_kbd=", "crudes.heavy.price_usd_per_bbl+="]
    outcome = run_sweep(TOY, ["refineries.refinery.crude_min_run_kbd=0,50,70", "crudes.heavy.price_usd_per_bbl+=-5,0,5"],
                        ["base", "heavy_banned"], out=tmp_path / "g")
    assert outcome.manifest["plots"][-1] == \
        "plot_grid_refineries_refinery_crude_min_run_kbd_x_crudes_heavy_price_usd_per_bbl.png"
    frame, fig = _figure("grid", outcome.out, swept, focus=["origin_beta_kbd"])
    meshes = [ax for ax in fig.axes if ax.collections and ax.get_title()]
    titles = [ax.get_title() for ax in meshes]
    assert titles == ["scenario base: margin", "scenario heavy_banned: margin", "scenario base: Beta crude run",
                      "scenario heavy_banned: Beta crude run", "scenario base: Alpha crude run",
                      "scenario heavy_banned: Alpha crude run"]
    for ax in meshes:
        scenario = ax.get_title().split(":")[0].removeprefix("scenario ")
        column = "objective_kusd_per_day" if "margin" in ax.get_title() else \
            f"origin_{ax.get_title().split(': ')[1].split()[0].lower()}_kbd"
        rows = frame[frame["scenario"] == scenario]
        expected = rows.pivot(index=swept[1], columns=swept[0], values=column).to_numpy(dtype=float, copy=True)
        expected[(rows.pivot(index=swept[1], columns=swept[0], values="status") != "optimal").to_numpy()] = np.nan
        if column == "objective_kusd_per_day":
            expected = expected / 1000
        drawn = ax.collections[0].get_array()
        np.testing.assert_allclose(np.ma.filled(drawn, np.nan).reshape(expected.shape), expected)
    plt.close(fig)


def test_the_benchmarks_lower_bound_solves_the_sweeps_own_lp():
    # benchmarks/sweep_benchmark.py: HiGHS alone on the plan's arrays, its cost changes computed apart from
    # the plan, must reach the sweep's objectives (no timing is asserted: that is the benchmark's job)
    from benchmarks.sweep_benchmark import LowerBound, varies_for

    vary = varies_for(30)
    assert vary == ("crudes[origin=Venezuela].differential_usd_per_bbl+=-10:-10:0.5",
                    "crudes.wcs.differential_usd_per_bbl+=-6:6:0.5")
    instance = load_instance(FLAGSHIP)
    varies = parse_varies(vary)
    grid = grid_indices(varies, False)
    plan, _, _ = plan_sweep(instance, ["base"], varies, grid, False, 10, "test")
    crudes = instance.tables["crudes"]
    bound = LowerBound(plan, [list(crudes.index[crudes["origin"] == "Venezuela"]), ["wcs"]])
    assert bound.h.getNumCol() == len(plan.templates[0].lp.col_cost)
    shifts = np.array([[varies[0].values[i], varies[1].values[j]] for i, j in grid])
    _, objectives, _ = bound.run(shifts, read=True)
    solver = sweep_engine.BatchSolver(plan)
    rows = [line.split(",") for b in range(len(plan.batches)) for line in solver.solve(b).summary_csv.splitlines()]
    np.testing.assert_allclose([float(r[5]) for r in rows], objectives, rtol=1e-9)


def test_ctrl_c_while_planning_says_nothing_was_written(tmp_path, monkeypatch):
    from optimizer import sweep_plan

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_plan, "plan_sweep", interrupted)
    out = tmp_path / "s"
    with pytest.raises(SweepInterrupted) as stopped:
        run_sweep(TOY, TOY_GRID, out=out, plots=False)
    assert str(stopped.value) == ("interrupted while planning, before any solve: nothing was solved or written; run "
                                  "the command again.")
    assert not out.exists()
