"""The command line through click's CliRunner: commands, exit codes, outputs on disk."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert result.output.splitlines()[1:] == ["  1 refinery, 2 crudes (2 origins), 1 process unit, 4 streams, 3 products",
                                              "  0 policy rules, 0 logistics links, 0 supply tiers, 3 scenarios "
                                              "(base + 2)"]


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


def _tree(folder):
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def test_a_folder_of_the_users_is_never_replaced(tmp_path):
    user = tmp_path / "userdir"
    (user / "sub").mkdir(parents=True)
    (user / "notes.txt").write_text("precious\n")
    before = _tree(user)
    result = run("solve", TOY, "--out", str(user))
    assert result.exit_code == 2
    assert result.output == (
        f"error: --out {user}: is a folder crudeslate did not write (it holds notes.txt, sub/, and no manifest.json "
        "of a crudeslate command); a command writes only into a new or empty folder, or replaces a folder it wrote "
        "itself. Fix: give --out a new or empty folder, or move those files away.\n")
    assert _tree(user) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["userdir"]  # no staging left behind, nothing solved


@pytest.mark.parametrize("where, relation", [("", "is the instance folder"), ("out", "lies inside the instance folder"),
                                             ("..", "contains the instance folder")])
def test_results_never_go_into_or_over_the_instance(copy_instance, where, relation):
    folder = copy_instance("toy_two_crudes")
    before = _tree(folder)
    out = folder / where if where != ".." else folder.parent
    result = run("solve", str(folder), "--out", str(out))
    assert result.exit_code == 2
    assert result.output == (f"error: --out {out}: {relation} {folder}; results are never written into or over an "
                             f"instance. Fix: give an output folder outside {folder}, e.g. results/toy_two_crudes.\n")
    assert _tree(folder) == before


def test_a_file_is_not_turned_into_a_folder(tmp_path):
    target = tmp_path / "afile"
    target.write_text("hello\n")
    result = run("solve", TOY, "--out", str(target))
    assert result.exit_code == 2
    assert result.output == (f"error: --out {target}: is a file, not a folder; crudeslate writes a folder of result "
                             "tables there and will not replace a file it did not write. Fix: give --out a new or "
                             "empty folder, or move the file away.\n")
    assert target.read_text() == "hello\n"


def test_the_current_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("solve", TOY, "--out", ".")
    assert result.exit_code == 2
    assert result.output == ("error: --out .: is the current folder; a results folder is replaced whole, which would "
                             "pull the folder you are working in from under you. Fix: give a subfolder, e.g. "
                             "./results.\n")


def test_an_empty_folder_is_filled(tmp_path):
    (tmp_path / "o").mkdir()
    assert run("solve", TOY, "--out", str(tmp_path / "o")).exit_code == 0
    assert (tmp_path / "o" / "slate.csv").is_file()


def test_rewrite_replaces_our_own_folder_whole(tmp_path):
    out = tmp_path / "o"
    assert run("solve", TOY, "--format", "xlsx", "--out", str(out)).exit_code == 0
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["crudeslate_files"] == ["manifest.json", "results.xlsx"]
    assert run("solve", TOY, "--out", str(out)).exit_code == 0
    assert not (out / "results.xlsx").exists()  # what the first solve wrote went with the folder
    assert sorted(p.name for p in out.iterdir()) == sorted(json.loads((out / "manifest.json").read_text())
                                                           ["crudeslate_files"])
    assert [p.name for p in tmp_path.iterdir()] == ["o"]  # no staging left behind


def test_a_file_added_to_our_folder_stops_the_rewrite(tmp_path):
    out = tmp_path / "o"
    assert run("solve", TOY, "--out", str(out)).exit_code == 0
    (out / "notes.txt").write_text("mine\n")
    result = run("solve", TOY, "--out", str(out))
    assert result.exit_code == 2
    assert result.output == (f"error: --out {out}: holds results crudeslate wrote, but also notes.txt, which it did "
                             "not write; replacing the folder would delete them. Fix: move them out of the folder, "
                             "or give --out a new or empty folder.\n")
    assert (out / "notes.txt").read_text() == "mine\n" and (out / "slate.csv").is_file()


def test_several_scenarios_never_overwrite_a_users_summary(tmp_path):
    (tmp_path / "summary.csv").write_text("my,own\n1,2\n")
    result = run("solve", TOY, "--all-scenarios", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert result.output == (f"error: --out {tmp_path}: holds a summary.csv crudeslate did not write, which the "
                             "several-scenario summary would replace. Fix: give --out a new or empty folder, or move "
                             "the file away.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]
    (tmp_path / "summary.csv").unlink()
    assert run("solve", TOY, "--all-scenarios", "--out", str(tmp_path)).exit_code == 0
    meta = json.loads((tmp_path / "manifest.json").read_text())
    assert meta["kind"] == "scenarios"
    assert meta["crudeslate_files"] == ["base", "heavy_banned", "no_coker", "summary.csv"]
    assert run("solve", TOY, "--all-scenarios", "--out", str(tmp_path)).exit_code == 0  # its own: rewritten


def test_other_commands_keep_the_same_rule(tmp_path):
    user = tmp_path / "userdir"
    user.mkdir()
    (user / "notes.txt").write_text("precious\n")
    assert run("solve", TOY, "--out", str(tmp_path / "base")).exit_code == 0
    assert run("solve", TOY, "--scenario", "heavy_banned", "--out", str(tmp_path / "hb")).exit_code == 0
    refusal = (f"error: --out {user}: is a folder crudeslate did not write (it holds notes.txt, and no manifest.json "
               "of a crudeslate command); a command writes only into a new or empty folder, or replaces a folder it "
               "wrote itself. Fix: give --out a new or empty folder, or move those files away.\n")
    for args in (("value", TOY, "--crude", "heavy", "--out", str(user)),
                 ("explain", TOY, "--out", str(user))):
        result = run(*args)
        assert (result.exit_code, result.output) == (2, refusal), args
    result = run("compare", str(tmp_path / "base"), str(tmp_path / "hb"), "--out", str(user))
    assert result.exit_code == 2
    assert result.output == (f"error: results folder {user}: is a folder crudeslate did not write (it holds "
                             "notes.txt, and no manifest.json of a crudeslate command); a command writes only into a "
                             "new or empty folder, or replaces a folder it wrote itself. Fix: use --out with a new or "
                             "empty folder, or move those files away.\n")
    result = run("report", str(tmp_path / "hb"), "--out", str(user / "notes.txt"))
    assert result.exit_code == 2
    assert result.output == (f"error: output file {user / 'notes.txt'}: exists and was not written by crudeslate; it "
                             "is not overwritten. Fix: give a new file name, or move the file away.\n")
    assert (user / "notes.txt").read_text() == "precious\n" and sorted(p.name for p in user.iterdir()) == ["notes.txt"]
    assert run("report", str(tmp_path / "hb"), "--out", str(tmp_path / "r.html")).exit_code == 0
    assert run("report", str(tmp_path / "hb"), "--out", str(tmp_path / "r.html")).exit_code == 0  # its own file


@pytest.mark.parametrize("lp, message", [
    ("folder", "--write-lp {lp}: is a folder; a file name is needed. Fix: give e.g. {lp}/model.lp."),
    ("model", "--write-lp {lp}: the file name must end in .lp (CPLEX LP format) or .mps (free MPS), which decides "
              "the format. Fix: e.g. --write-lp model.lp."),
    ("mine.lp", "--write-lp {lp}: exists and was not written by crudeslate; it is not overwritten. Fix: give a new "
                "file name, or move the file away."),
])
def test_write_lp_refusals(tmp_path, lp, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "mine.lp").write_text("my notes\n")
    path = tmp_path / lp
    result = run("solve", TOY, "--write-lp", str(path), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert result.output == "error: " + message.format(lp=path) + "\n"
    assert not (tmp_path / "o").exists()  # refused before anything was solved or written


def test_write_lp_makes_its_folder_and_replaces_its_own_file(tmp_path):
    lp = tmp_path / "new" / "sub" / "m.mps"
    for _ in range(2):
        result = run("solve", TOY, "--write-lp", str(lp), "--out", str(tmp_path / "o"))
        assert result.exit_code == 0, result.output
    assert lp.read_text().startswith("* Source:     Pyomo MPS Writer")
    assert [p.name for p in lp.parent.iterdir()] == ["m.mps"]


def test_time_limit_exits_4(tmp_path):
    from .generate import generate

    instance = generate(tmp_path / "gen", seed=7)
    result = run("solve", str(instance), "--time-limit", "0.000001", "--out", str(tmp_path / "o"))
    assert result.exit_code == 4
    assert result.output.startswith("Scenario base: stopped at the time limit without a proven optimum (build ")
    assert result.output.endswith(f"  status written to {tmp_path / 'o'}\n")
    meta = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert (meta["status"], meta["solver_options"]["time_limit"]) == ("time_limit", 0.000001)
    assert pd.read_csv(tmp_path / "o" / "summary.csv")["status"].tolist() == ["time_limit"]


def test_a_failed_self_check_exits_4_and_writes_nothing(tmp_path, monkeypatch):
    """A table written wrong (the refinery's crude run 90 instead of the slate's 100 kb/d) is caught from the
    written file: exit 4, the folder of the previous solve left as it was."""
    import optimizer.result_files as result_files

    out = tmp_path / "o"
    assert run("solve", TOY, "--out", str(out)).exit_code == 0
    before = _tree(out)
    honest = result_files.csv_writer

    def corrupting(frame):
        if "crude_capacity_kbd" in frame.columns:  # the refineries table
            frame = frame.assign(crude_run_kbd=90.0)
        return honest(frame)

    monkeypatch.setattr(result_files, "csv_writer", corrupting)
    result = run("solve", TOY, "--out", str(out))
    assert result.exit_code == 4
    assert result.output == ("error: the result tables disagree with the model (a bug; please report it); nothing "
                             "was written:\n  refineries: crude_run_kbd at refinery is 90.000000, the slate sums to "
                             "100.000000 kb/d\n")
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


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


def test_xlsx_with_several_scenarios_writes_the_summary_as_a_workbook(tmp_path):
    from optimizer.xlsx_report import read_workbook

    assert run("solve", TOY, "--all-scenarios", "--format", "xlsx", "--out", str(tmp_path / "x")).exit_code == 0
    assert not (tmp_path / "x" / "summary.csv").exists()
    summary = read_workbook(tmp_path / "x" / "summary.xlsx")["summary"].set_index("scenario")
    k = 171.5 / (1.5 * 151.5)  # the toy README's derivation
    heavy, light = 100 / (1 + k), 100 * k / (1 + k)
    assert summary["objective_kusd_per_day"].to_dict() == pytest.approx(
        {"base": 9 * heavy + 4.5 * light + 20 * 40, "no_coker": 9 * heavy + 4.5 * light,
         "heavy_banned": 4.5 * 60 + 20 * 18}, rel=1e-9)
    assert json.loads((tmp_path / "x" / "manifest.json").read_text())["crudeslate_files"] == [
        "base", "heavy_banned", "no_coker", "summary.xlsx"]


def test_a_rewrite_swaps_the_folder_in_one_step(tmp_path, monkeypatch):
    """Where Linux offers renameat2's exchange, the old folder is never renamed away first (no moment without
    --out); elsewhere the fallback renames it aside and back."""
    import ctypes

    import optimizer.result_files as result_files

    if not hasattr(ctypes.CDLL(None), "renameat2"):
        pytest.skip("no renameat2 here: the two-rename fallback is used")
    out = tmp_path / "o"
    assert run("solve", TOY, "--out", str(out)).exit_code == 0
    renamed = []
    real = result_files.os.rename
    monkeypatch.setattr(result_files.os, "rename", lambda a, b: (renamed.append(Path(a)), real(a, b)))
    assert run("solve", TOY, "--scenario", "heavy_banned", "--out", str(out)).exit_code == 0
    assert out not in renamed
    assert pd.read_csv(out / "summary.csv")["scenario"].tolist() == ["heavy_banned"]
    assert [p.name for p in tmp_path.iterdir()] == ["o"]
