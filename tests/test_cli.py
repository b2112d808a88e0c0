"""The command line through click's CliRunner: commands, exit codes, outputs on disk."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main

from .conftest import INSTANCES

TOY = str(INSTANCES / "toy_two_crudes")
TABLES = ("summary", "slate", "units", "unit_feeds", "blends", "products", "refineries", "constraints")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_validate_prints_a_summary():
    result = run("validate", TOY)
    assert result.exit_code == 0
    assert "toy_two_crudes: valid" in result.output
    assert "1 refineries, 2 crudes (2 origins), 1 process units" in result.output
    assert "3 scenarios (base + 2)" in result.output


def test_scenarios_lists_name_then_description():
    result = run("scenarios", TOY)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "base\tthe instance's tables as they are",
        "no_coker\tThe coker is down",
        "heavy_banned\tThe heavy sour crude is banned",
    ]


def test_solve_writes_every_table(tmp_path):
    out = tmp_path / "out"
    result = run("solve", TOY, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Scenario base: optimal, margin 1,506.5 kUSD/d" in result.output
    for name in TABLES:
        frame = pd.read_csv(out / f"{name}.csv")
        assert (frame["scenario"] == "base").all()
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["status"] == "optimal"
    assert set(meta["input_sha256"]) >= {"instance.toml", "crudes.csv"}
    assert meta["versions"]["highs"].startswith("1.")
    slate = pd.read_csv(out / "slate.csv")
    assert len(slate) == 2  # every (refinery, crude) pair, zero volumes included


def test_all_scenarios_write_one_folder_each_and_a_summary(tmp_path):
    result = run("solve", TOY, "--all-scenarios", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert list(summary["scenario"]) == ["base", "no_coker", "heavy_banned"]
    assert summary.set_index("scenario").at["heavy_banned", "origin_beta_kbd"] == 0
    assert (tmp_path / "no_coker" / "slate.csv").is_file()
    assert "Scenarios compared" in result.output


def test_set_overrides_a_cell(tmp_path):
    # hand-derived: with the coker at 0 the margin is 9 H + 4.5 L (see the toy README)
    result = run("solve", TOY, "--set", "units[unit_type=coker].capacity_kbd*=0", "--out", str(tmp_path))
    assert result.exit_code == 0
    k = 171.5 / (1.5 * 151.5)
    margin = pd.read_csv(tmp_path / "summary.csv")["objective_kusd_per_day"].iloc[0]
    assert margin == pytest.approx(9 * 100 / (1 + k) + 4.5 * 100 * k / (1 + k), rel=1e-8)


def test_bad_set_path_is_a_clear_error(tmp_path):
    result = run("solve", TOY, "--set", "crudes.heavy.api=3", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "--set, value 'crudes.heavy.api=3': names no numeric column of crudes: 'api'." in result.output
    assert not (tmp_path / "summary.csv").exists()


def test_unknown_scenario_is_a_usage_error(tmp_path):
    result = run("solve", TOY, "--scenario", "nope", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "unknown scenario 'nope'; the instance has: base, no_coker, heavy_banned." in result.output


def test_infeasible_exits_3_and_names_the_conflict(tmp_path):
    result = run("solve", str(INSTANCES / "infeasible_min_run"), "--out", str(tmp_path))
    assert result.exit_code == 3
    assert "INFEASIBLE" in result.output
    assert ("policy ban ban_heavy (The heavy sour grade is sanctioned) forbids crude_id=heavy: policies.csv row 2, "
            "column volume_kbd = (a ban)") in result.output
    assert "at most 60 kb/d of Light sweet (light) is on offer: crudes.csv row 2, column availability_kbd = 60.0" \
        in result.output
    assert "the crude unit at Toy refinery (refinery) must run at least 90 kb/d: refineries.csv row 2" in result.output
    assert "crudeslate explain" in result.output
    assert pd.read_csv(tmp_path / "summary.csv")["status"].iloc[0] == "infeasible"


def test_xlsx_results_hold_the_same_tables(tmp_path):
    result = run("solve", TOY, "--format", "xlsx", "--out", str(tmp_path / "x"))
    assert result.exit_code == 0
    run("solve", TOY, "--out", str(tmp_path / "c"))
    from optimizer.xlsx_report import read_workbook  # the formatted workbook: an overview sheet, two header rows

    sheets = read_workbook(tmp_path / "x" / "results.xlsx")
    assert set(TABLES) <= set(sheets)
    csv_slate = pd.read_csv(tmp_path / "c" / "slate.csv")
    assert list(sheets["slate"]["volume_kbd"]) == pytest.approx(list(csv_slate["volume_kbd"]), rel=1e-9)


def test_write_lp(tmp_path):
    lp = tmp_path / "model.lp"
    result = run("solve", TOY, "--write-lp", str(lp), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0
    text = lp.read_text()
    assert "max \nmargin:" in text and "crude_unit_capacity" in text


def test_same_input_gives_the_same_csvs(tmp_path):
    run("solve", TOY, "--all-scenarios", "--out", str(tmp_path / "a"))
    run("solve", TOY, "--all-scenarios", "--out", str(tmp_path / "b"))
    for scenario in ("base", "no_coker", "heavy_banned"):
        for name in TABLES:
            a = (tmp_path / "a" / scenario / f"{name}.csv").read_text()
            b = (tmp_path / "b" / scenario / f"{name}.csv").read_text()
            if name == "summary":  # wall-clock timings are the only columns allowed to differ
                a, b = (pd.read_csv(p).drop(columns=["build_seconds", "solve_seconds"]).to_csv()
                        for p in (tmp_path / "a" / scenario / "summary.csv", tmp_path / "b" / scenario / "summary.csv"))
            assert a == b, f"{scenario}/{name}.csv differs between two runs"


def test_rewrite_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "stale.csv").write_text("old\n")
    assert run("solve", TOY, "--out", str(out)).exit_code == 0
    assert not (out / "stale.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_workbook_instance_solves_like_the_csv_folder(tmp_path):
    from optimizer.workbook import write_workbook

    write_workbook(INSTANCES / "textbook_refinery", tmp_path / "book")
    result = run("solve", str(tmp_path / "book"), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    margin = pd.read_csv(tmp_path / "o" / "summary.csv")["objective_kusd_per_day"].iloc[0]
    assert margin == pytest.approx(211.36513, abs=1e-5)  # Williams' published optimum


def test_help_is_fast_to_import():
    import subprocess
    import sys

    code = "import sys, optimizer.cli; print('pyomo' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_result_folders_are_readable_by_others(tmp_path):
    import stat

    assert run("solve", TOY, "--out", str(tmp_path / "o")).exit_code == 0
    import os

    mask = os.umask(0)
    os.umask(mask)
    # the umask decides, as for any folder a command creates; mkdtemp alone would give 0700
    assert stat.S_IMODE((tmp_path / "o").stat().st_mode) == 0o777 & ~mask
