"""Solving one or more scenarios end to end: resolve, validate, solve, self-check, write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.data import ModelData, derive
from optimizer.errors import InstanceError, Problem
from optimizer.instance import Instance
from optimizer.results import SelfCheckError, build_tables, manifest, self_check, status_summary, write_atomic
from optimizer.scenarios import resolve
from optimizer.solve import EXIT_CODES, OPTIMAL, SlateSolver, SolveResult
from optimizer.validate import validate


@dataclass
class Outcome:
    scenario: str
    instance: Instance
    data: ModelData
    result: SolveResult
    out_dir: Path
    tables: dict[str, pd.DataFrame]
    diagnosis: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.result.status]


def resolve_all(instance: Instance, names: list[str], sets: tuple[str, ...] = ()) -> dict[str, Instance]:
    """Every requested scenario resolved and validated; problems of all of them at once."""
    problems: list[Problem] = []
    resolved = {}
    for name in dict.fromkeys(names):
        try:
            scenario = resolve(instance, name, sets)
            validate(scenario)
            resolved[name] = scenario
        except InstanceError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise InstanceError(problems)
    return resolved


def _lp_path(write_lp: str, scenario: str, several: bool) -> Path:
    path = Path(write_lp)
    return path.with_name(f"{path.stem}-{scenario}{path.suffix or '.lp'}") if several else path


def run_scenarios(instance: Instance, names: list[str], root: Path, single_out: bool = False,
                  sets: tuple[str, ...] = (), fmt: str = "csv", write_lp: str | None = None,
                  time_limit: float | None = None, ranging: bool = True) -> list[Outcome]:
    from optimizer.explain import conflict_rows

    resolved = resolve_all(instance, names, sets)
    solver = SlateSolver(time_limit)
    outcomes = []
    for number, (name, scenario) in enumerate(resolved.items(), start=1):
        # the last scenario's model has no later use (unless it is written as an LP): HiGHS runs without it
        solver.keep_model = bool(write_lp) or number < len(resolved)
        d = derive(scenario)
        res = solver.solve(d, with_ranging=ranging)
        if write_lp:
            assert solver.model is not None
            solver.model.write(str(_lp_path(write_lp, name, len(resolved) > 1)),
                               io_options={"symbolic_solver_labels": True})
        diagnosis: list[str] = []
        if res.status == OPTIMAL:
            assert res.objective_kusd_per_day is not None
            tables = build_tables(scenario, d, res)
            failures = self_check(d, tables, res.objective_kusd_per_day)
            if failures:
                raise SelfCheckError("the result tables disagree with the model (a bug; please report it):\n  "
                                     + "\n  ".join(failures[:20]))
        else:
            tables = {"summary": status_summary(scenario, res)}
            if res.status in ("infeasible", "infeasible_or_unbounded"):
                diagnosis = [row["line"] for row in conflict_rows(solver, scenario, d)]
        out_dir = root if single_out else root / name
        write_atomic(out_dir, tables, manifest(scenario, res, solver.solver_options), fmt)
        outcomes.append(Outcome(name, scenario, d, res, out_dir, tables, diagnosis))
    if len(outcomes) > 1 and not single_out:
        combined = pd.concat([o.tables["summary"] for o in outcomes], ignore_index=True)
        origin_cols = sorted(c for c in combined.columns if c.startswith("origin_"))
        combined[origin_cols] = combined[origin_cols].fillna(0.0) if origin_cols else combined[origin_cols]
        write_csv_atomic(root / "summary.csv", combined)
    return outcomes


def write_csv_atomic(path: Path, frame: pd.DataFrame) -> None:
    from optimizer.result_files import csv_writer, write_file_atomic

    write_file_atomic(path, csv_writer(frame))
