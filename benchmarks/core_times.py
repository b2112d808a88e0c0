"""Build and solve times of the core `solve` path, with HiGHS alone on the same LP as the lower bound.

    .venv/bin/python benchmarks/core_times.py            # toy, textbook, generated 30 x 40, flagship

Each stage is timed in this process (best of 3): read + validate, derive, Pyomo build, hand-off + HiGHS
solve (`SlateSolver`), result tables + self-check, CSV write. The lower bound is the
same LP written once as MPS by HiGHS and solved by a fresh highspy.Highs (read excluded).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import highspy  # noqa: E402

from optimizer.data import derive  # noqa: E402
from optimizer.model import build_model  # noqa: E402
from optimizer.results import build_tables, self_check, write_atomic  # noqa: E402
from optimizer.solve import SlateSolver  # noqa: E402
from optimizer.validate import load_instance  # noqa: E402
from tests.generate import generate  # noqa: E402

REPEAT = 3


def best(fn):
    times, out = [], None
    for _ in range(REPEAT):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def measure(folder: Path) -> dict[str, float]:
    t_read, instance = best(lambda: load_instance(folder))
    t_derive, d = best(lambda: derive(instance))
    t_build, model = best(lambda: build_model(d))
    def solve():
        solver = SlateSolver()
        return solver, solver.solve(d, with_ranging=True)
    t_total_solve, (solver, res) = best(solve)  # includes its own build
    t_solve = res.solve_seconds
    t_tables, tables = best(lambda: build_tables(instance, d, res))
    assert self_check(d, tables, res.objective_kusd_per_day) == []
    with tempfile.TemporaryDirectory() as tmp:
        t_write, _ = best(lambda: write_atomic(Path(tmp) / "out", tables, {}))
        mps = str(Path(tmp) / "lp.mps")
        solver.highs.writeModel(mps)
        def alone():
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("threads", 1)
            h.readModel(mps)
            start = time.perf_counter()
            h.run()
            return time.perf_counter() - start, h.getLp().a_matrix_.value_
        runs = [alone() for _ in range(REPEAT)]
        t_highs = min(r[0] for r in runs)
        nnz = len(runs[0][1])
    return {"nnz": nnz, "read_validate": t_read, "derive": t_derive, "build": t_build,
            "handoff_and_solve": t_solve, "tables_selfcheck": t_tables, "write": t_write,
            "highs_alone": t_highs, "objective": res.objective_kusd_per_day}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "toy_two_crudes": ROOT / "instances" / "toy_two_crudes",
            "textbook_refinery": ROOT / "instances" / "textbook_refinery",
            "generated_30x40": generate(Path(tmp) / "gen", seed=7),
            "gulf_coast_2026": ROOT / "instances" / "gulf_coast_2026",
        }
        print("| instance | nnz | read+validate s | derive s | build s | hand-off+solve s | tables+check s | write s "
              "| HiGHS alone s | objective kUSD/d |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name, folder in cases.items():
            m = measure(folder)
            print(f"| {name} | {m['nnz']} | {m['read_validate']:.3f} | {m['derive']:.3f} | {m['build']:.3f} | "
                  f"{m['handoff_and_solve']:.3f} | {m['tables_selfcheck']:.3f} | {m['write']:.3f} | "
                  f"{m['highs_alone']:.4f} | {m['objective']:,.3f} |")


if __name__ == "__main__":
    main()
