"""Solving one or more scenarios end to end: resolve, validate, solve, self-check, write."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.data import ModelData, derive
from optimizer.errors import InstanceError
from optimizer.instance import Instance
from optimizer.results import (
    CHECKED_TABLES,
    TRADE_TABLES,
    SelfCheckError,
    build_tables,
    manifest,
    self_check,
    status_summary,
    write_atomic,
)
from optimizer.scenarios import check_scenarios
from optimizer.solve import EXIT_CODES, OPTIMAL, SlateSolver, SolveResult


@dataclass
class Outcome:
    scenario: str
    instance: Instance
    data: ModelData
    result: SolveResult
    out_dir: Path
    tables: dict[str, pd.DataFrame]
    diagnosis: list[str] = field(default_factory=list)
    sets: tuple[str, ...] = ()  # the --set overrides applied on top of the scenario

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.result.status]


def resolve_all(instance: Instance, names: list[str], sets: tuple[str, ...] = ()) -> dict[str, Instance]:
    """Every requested scenario resolved and validated; problems of all of them at once, each said once and
    named with the scenario change (override, policy change or --set) that causes it."""
    resolved, problems = check_scenarios(instance, names, sets)
    if problems:
        raise InstanceError(problems)
    return resolved


LP_SUFFIXES = (".lp", ".mps")  # the formats Pyomo writes that HiGHS and other solvers read


def lp_paths(write_lp: str, names: list[str]) -> dict[str, Path]:
    """Where each scenario's LP goes (FILE, or FILE-<scenario>.lp with several), each checked up front."""
    from optimizer.result_files import OutputError, check_output_file

    path = Path(os.path.abspath(write_lp))
    if path.is_dir():
        raise OutputError(f"--write-lp {write_lp}: is a folder; a file name is needed. Fix: give e.g. "
                          f"{os.path.join(write_lp, 'model.lp')}.")
    if path.suffix.lower() not in LP_SUFFIXES:
        raise OutputError(f"--write-lp {write_lp}: the file name must end in .lp (CPLEX LP format) or .mps "
                          f"(free MPS), which decides the format. Fix: e.g. --write-lp {path.with_suffix('.lp').name}.")
    paths = {name: path.with_name(f"{path.stem}-{name}{path.suffix}") if len(names) > 1 else path for name in names}
    for target in paths.values():
        check_output_file(target, "--write-lp")
    return paths


def output_folders(instance: Instance, names: list[str], root: Path, single_out: bool,
                   root_option: str = "--out") -> dict[str, Path]:
    """Each scenario's result folder, checked before anything is solved: nothing a user made is replaced.
    `root_option` names `root` in messages ('--out', or 'results folder' for the default)."""
    from optimizer.result_files import check_output_container, check_output_folder

    folders = {name: root if single_out else root / name for name in names}
    if not single_out:
        check_output_container(root, (instance.path,), root_option)
    for folder in folders.values():
        check_output_folder(folder, (instance.path,), root_option if single_out else "results folder")
    return folders


def run_scenarios(instance: Instance, names: list[str], root: Path, single_out: bool = False,
                  sets: tuple[str, ...] = (), fmt: str = "csv", write_lp: str | None = None,
                  time_limit: float | None = None, ranging: bool = True, root_option: str = "--out") -> list[Outcome]:
    """Solve each scenario, self-check it and write its folder; every output path is checked before any solve."""
    from optimizer.explain import conflict_rows

    resolved = resolve_all(instance, names, sets)
    folders = output_folders(instance, list(resolved), root, single_out, root_option)
    lp_files = lp_paths(write_lp, list(resolved)) if write_lp else {}
    if len(resolved) > 1 and not single_out:
        combined_files(root, fmt)
    solver = SlateSolver(time_limit)
    outcomes = []
    for number, (name, scenario) in enumerate(resolved.items(), start=1):
        # the last scenario's model has no later use (unless it is written as an LP): HiGHS runs without it
        solver.keep_model = bool(write_lp) or number < len(resolved)
        d = derive(scenario)
        res = solver.solve(d, with_ranging=ranging)
        if write_lp:
            assert solver.model is not None
            write_lp_file(solver.model, lp_files[name])
        diagnosis: list[str] = []
        verify = None
        if res.status == OPTIMAL:
            assert res.objective_kusd_per_day is not None
            if not solver.keep_model:  # the result holds all the tables need: they are built without HiGHS
                solver.release_highs()
            tables = build_tables(scenario, d, res)
            verify = _self_check_of(d, res.objective_kusd_per_day, fmt)
        else:
            tables = {"summary": status_summary(scenario, res)}
            if res.status in ("infeasible", "infeasible_or_unbounded"):
                diagnosis = [row["line"] for row in conflict_rows(solver, scenario, d)]
        out_dir = folders[name]
        write_atomic(out_dir, tables, manifest(scenario, res, solver.solver_options), fmt, protect=(instance.path,),
                     verify=verify)
        outcomes.append(Outcome(name, scenario, d, res, out_dir, tables, diagnosis, sets))
    if len(outcomes) > 1 and not single_out:
        combined = pd.concat([o.tables["summary"] for o in outcomes], ignore_index=True)
        origin_cols = sorted(c for c in combined.columns if c.startswith("origin_"))
        combined[origin_cols] = combined[origin_cols].fillna(0.0) if origin_cols else combined[origin_cols]
        write_combined(root, combined, fmt, instance, list(resolved))
    return outcomes


def _self_check_of(d: ModelData, objective: float, fmt: str):
    """The check run on the staged folder: the tables as written, read back, against the model."""

    def verify(folder: Path) -> None:
        failures = self_check(d, read_back(folder, fmt), objective)
        if failures:
            raise SelfCheckError("the result tables disagree with the model (a bug; please report it); nothing "
                                 "was written:\n  " + "\n  ".join(failures[:20])
                                 + (f"\n  ... and {len(failures) - 20} more" if len(failures) > 20 else ""))

    return verify


def read_back(folder: Path, fmt: str) -> dict[str, pd.DataFrame]:
    """The tables the self-check needs, as written into `folder` (CSVs or results.xlsx)."""
    from optimizer.result_files import WORKBOOK, _read_csv, _text_ids

    if fmt == "xlsx":
        from optimizer.xlsx_report import read_workbook

        sheets = read_workbook(folder / WORKBOOK)
        return {name: _text_ids(sheets[name]) for name in (*CHECKED_TABLES, *TRADE_TABLES) if name in sheets}
    return {name: _read_csv(folder / f"{name}.csv") for name in (*CHECKED_TABLES, *TRADE_TABLES)
            if (folder / f"{name}.csv").is_file()}


def write_lp_file(model, path: Path) -> None:
    """The model as an LP (or MPS) file, written aside and renamed into place."""
    from optimizer.result_files import write_file_atomic

    fmt = "mps" if path.suffix.lower() == ".mps" else "lp"
    write_file_atomic(path, lambda staged: model.write(str(staged), format=fmt,
                                                        io_options={"symbolic_solver_labels": True}))


def combined_files(root: Path, fmt: str) -> tuple[Path, Path]:
    """The files the several-scenario summary takes at `root`: (summary, manifest.json), each refused unless
    missing or written by crudeslate (the root's manifest.json lists what it wrote there)."""
    from optimizer.result_files import FILES_KEY, MANIFEST, OutputError, our_manifest, written_by_crudeslate

    summary = root / f"summary.{fmt}"
    for path in (summary, root / MANIFEST):
        if path.is_symlink() or path.is_dir():
            raise OutputError(f"--out {root}: holds a folder or link named {path.name}, which the several-scenario "
                              f"summary would replace. Fix: give --out a new or empty folder, or move it away.")
    meta = our_manifest(root) if (root / MANIFEST).exists() else None
    if (root / MANIFEST).exists() and meta is None:
        raise OutputError(f"--out {root}: holds a {MANIFEST} crudeslate did not write, which the several-scenario "
                          f"summary would replace. Fix: give --out a new or empty folder, or move the file away.")
    listed = meta.get(FILES_KEY, []) if meta else []
    if summary.exists() and summary.name not in listed and not written_by_crudeslate(summary):
        raise OutputError(f"--out {root}: holds a {summary.name} crudeslate did not write, which the several-"
                          f"scenario summary would replace. Fix: give --out a new or empty folder, or move the "
                          f"file away.")
    return summary, root / MANIFEST


def write_combined(root: Path, combined: pd.DataFrame, fmt: str, instance: Instance, names: list[str]) -> None:
    """summary.csv (or summary.xlsx) with one row per scenario, and the root's manifest.json naming it and the
    scenario folders (so a later command knows crudeslate wrote them)."""
    from importlib.metadata import version

    from optimizer.result_files import FILES_KEY, csv_writer, json_writer, our_manifest, write_file_atomic

    summary, manifest_path = combined_files(root, fmt)
    if fmt == "xlsx":
        from optimizer.xlsx_report import Block, Overview, write_workbook

        rows = [[row.scenario, row.status, row.objective_kusd_per_day, "kUSD/d"] for row in combined.itertuples()]
        overview = Overview(f"{instance.name}: {len(names)} scenarios",
                            [Block("Margin by scenario", rows, ["scenario", "status", "margin", "unit"],
                                   numeric=(2,), unit_column=3),
                             Block("Instance", [["path", str(instance.path.resolve())]])])
        write_file_atomic(summary, lambda path: write_workbook(path, {"summary": combined}, overview), owned=True)
    else:
        write_file_atomic(summary, csv_writer(combined), owned=True)
    previous = our_manifest(root) or {}
    kept = [name for name in previous.get(FILES_KEY, []) if (root / name).exists()]
    meta = {"kind": "scenarios", "instance": str(instance.path.resolve()), "instance_name": instance.name,
            "scenarios": names, "input_sha256": instance.input_hashes(),
            "versions": {"crudeslate": version("crudeslate")}, FILES_KEY: sorted({*kept, summary.name, *names})}
    write_file_atomic(manifest_path, json_writer(meta), owned=True)
