"""Build and solve times of the core `solve` path, with HiGHS alone on the same LP as the lower bound.

    .venv/bin/python benchmarks/core_times.py [--repeat N] [--write-results]   # toy, textbook, 30 x 40, flagship

Every stage runs N times (default 5) and each figure is the best of its N runs, so that a stage's time is
what it costs when the shared machine lets it run: read + validate (`load_instance`), derive, build (the
Pyomo model, `SolveResult.build_seconds` of a fresh `SlateSolver`), hand-off + solve (its `solve_seconds`:
the model read into arrays, passed to HiGHS and run; the ranging `crudeslate solve` asks for comes after and
is in neither), result tables, write + self-check (the folder written atomically, read back and checked
against the model, as `solve` does). The lower bound: the same LP written by HiGHS as MPS and run by a
fresh highspy.Highs (reading excluded), N times. End to end: `crudeslate solve` in a fresh process, imports
included. With --write-results the table replaces the section between the core markers of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import highspy  # noqa: E402

from benchmarks.results_md import write_section  # noqa: E402
from optimizer.data import derive  # noqa: E402
from optimizer.results import build_tables, write_atomic  # noqa: E402
from optimizer.run import _self_check_of  # noqa: E402
from optimizer.solve import OPTIMAL, SlateSolver  # noqa: E402
from optimizer.validate import load_instance  # noqa: E402
from tests.generate import generate  # noqa: E402

START, END = "<!-- core:start -->", "<!-- core:end -->"
CLI = Path(sys.executable).with_name("crudeslate")


def best(repeat: int, fn):
    """The shortest of `repeat` timed calls of fn, and the last call's result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def highs_alone(mps: str, repeat: int) -> tuple[float, float]:
    times, objective = [], float("nan")
    for _ in range(repeat):
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.readModel(mps)
        start = time.perf_counter()
        h.run()
        times.append(time.perf_counter() - start)
        objective = h.getInfo().objective_function_value
    return min(times), objective


def measure(folder: Path, repeat: int, work: Path) -> dict[str, float | str]:
    t_read, instance = best(repeat, lambda: load_instance(folder))
    t_derive, d = best(repeat, lambda: derive(instance))
    solves = []
    for _ in range(repeat):
        solver = SlateSolver()
        solves.append((solver, solver.solve(d, with_ranging=True)))
    solver, res = solves[-1]
    assert res.status == OPTIMAL
    t_tables, tables = best(repeat, lambda: build_tables(instance, d, res))
    verify = _self_check_of(d, res.objective_kusd_per_day, "csv")
    meta = {"instance": str(instance.path.resolve()), "benchmark": "core_times"}
    t_write, _ = best(repeat, lambda: write_atomic(work / "out", tables, meta, verify=verify))
    mps = str(work / "lp.mps")
    solver.highs.writeModel(mps)
    t_alone, alone_objective = highs_alone(mps, repeat)
    t_cli, _ = best(repeat, lambda: subprocess.run([str(CLI), "solve", str(folder), "--out", str(work / "cli")],
                                                   check=True, capture_output=True))
    t = instance.tables
    return {"shape": f"{len(t['refineries'])} x {len(t['crudes'])} ({len(t['units'])})",
            "nnz": len(solver.highs.getLp().a_matrix_.value_), "read_validate": t_read, "derive": t_derive,
            "build": min(r.build_seconds for _, r in solves), "solve": min(r.solve_seconds for _, r in solves),
            "alone": t_alone, "tables": t_tables, "write": t_write, "cli": t_cli,
            "objective": res.objective_kusd_per_day, "agree": abs(res.objective_kusd_per_day - alone_objective)
            / max(1.0, abs(alone_objective))}


def machine() -> str:
    from importlib.metadata import version

    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python "
            f"{platform.python_version()}, Pyomo {version('pyomo')}, highspy {version('highspy')}, pandas "
            f"{version('pandas')}; HiGHS with threads = 1")


HEADER = ("| instance | refineries x crudes (units) | nonzeros | read+validate s | derive s | build s | "
          "hand-off+solve s | HiGHS alone s | solve / alone | tables s | write+check s | `crudeslate solve` s | "
          "objective kUSD/d |")
RULE = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"


def row(name: str, m: dict) -> str:
    return (f"| {name} | {m['shape']} | {m['nnz']:,} | {m['read_validate']:.3f} | {m['derive']:.3f} | "
            f"{m['build']:.3f} | {m['solve']:.3f} | {m['alone']:.4f} | {m['solve'] / m['alone']:.2f} | "
            f"{m['tables']:.3f} | {m['write']:.3f} | {m['cli']:.2f} | {m['objective']:,.3f} |")


def section(rows: list[str], repeat: int, agree: float) -> str:
    return "\n".join([
        START, "## Core `solve` path: toy, textbook, generated 30 x 40, flagship", "",
        f"Reproduce: `.venv/bin/python benchmarks/core_times.py --write-results` (`make bench`). Every figure is the "
        f"best of {repeat} runs in one process; `crudeslate solve` is the command end to end in a fresh process "
        "(imports, ranging, writing and the self-check included). The generated instance is "
        "`tests/generate.py` seed 7 (30 refineries x 40 crudes).",
        f"Machine: {machine()}; load average {os.getloadavg()[0]:.2f} at the end.", "",
        HEADER, RULE, *rows, "",
        "build = the Pyomo model; hand-off+solve = the model read into arrays, passed to HiGHS and run (what "
        "`SlateSolver.solve` reports as solve_seconds; the ranging that follows is in no column but the last); "
        "HiGHS alone = the identical LP "
        "(written by HiGHS as MPS) run by a fresh highspy.Highs, reading excluded, the lower bound; tables = the "
        "result tables; write+check = the folder staged, read back and self-checked, then swapped in. "
        f"Objectives agree with HiGHS alone to {agree:.1e} (relative).",
        END])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per stage; each figure is the best of them")
    parser.add_argument("--write-results", action="store_true", help="put the table into benchmarks/RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "toy_two_crudes": ROOT / "instances" / "toy_two_crudes",
            "textbook_refinery": ROOT / "instances" / "textbook_refinery",
            "generated 30 x 40": generate(Path(tmp) / "gen", seed=7, n_refineries=30, n_crudes=40),
            "gulf_coast_2026": ROOT / "instances" / "gulf_coast_2026",
        }
        print(HEADER)
        print(RULE)
        rows, agree = [], 0.0
        for i, (name, folder) in enumerate(cases.items()):
            work = Path(tmp) / f"work{i}"
            work.mkdir()
            m = measure(folder, args.repeat, work)
            agree = max(agree, float(m["agree"]))
            rows.append(row(name, m))
            print(rows[-1], flush=True)
    table = section(rows, args.repeat, agree)
    if args.write_results:
        write_section(table, START, END)


if __name__ == "__main__":
    main()
