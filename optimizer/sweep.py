"""`crudeslate sweep`: many solves over a grid of parameter values, fast, parallel and resumable.

    crudeslate sweep INSTANCE --vary PATH OP SPEC [--vary ...] [--zip] [--scenario NAME]...
                     [--jobs N] [--scheduler ADDRESS|local] [--out DIR] [--resume | --overwrite]

The pieces: `sweep_spec` (what the options mean), `sweep_plan` (every point checked, then turned
into LP changes before any solve), `sweep_lp` (the Pyomo model read into HiGHS arrays once),
`sweep_engine` (the solve loop and where it runs: this process, a process pool, Dask) and
`sweep_output` (part files, assembled tables, manifest, plots). This module ties them together
and holds the click command; heavy imports stay inside functions so `crudeslate --help` is fast.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from optimizer.errors import CrudeSlateError, InstanceError, UsageError

EXIT_INTERRUPTED = 130


class SweepInterrupted(CrudeSlateError):
    """Ctrl-C (or a lost worker): the finished batches are on disk and `--resume` carries on."""

    exit_code = EXIT_INTERRUPTED


class SweepWorkerError(CrudeSlateError):
    exit_code = 4


@dataclass
class SweepOutcome:
    out: Path
    points: int
    statuses: dict[str, int]
    summary: Path
    long: Path
    plots: list[str]
    manifest: dict[str, Any]
    already_done: bool = False
    resumed_batches: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        from optimizer.solve import EXIT_CODES

        return max((EXIT_CODES.get(s, 4) for s in self.statuses), default=0)


def run_sweep(instance_path: str | Path, vary: list[str] | tuple[str, ...], scenarios: list[str] | tuple[str, ...] = (),
              zipped: bool = False, jobs: int = 1, scheduler: Any = None, out: str | Path | None = None,
              resume: bool = False, overwrite: bool = False, batch_size: int | None = None, plots: bool = True,
              progress: bool | None = None, on_batch: Callable[[int], None] | None = None) -> SweepOutcome:
    """Run a sweep end to end (see the module docstring); the library entry point behind the command.

    `scheduler`: None (a process pool of `jobs`, or this process when jobs == 1), "local", a Dask
    scheduler address, or a Dask cluster object. `on_batch(done)` is called after each batch is on disk.
    An output folder that holds anything is refused (OutputError, exit 2) unless `resume` finds this
    very sweep there or `overwrite` allows replacing results crudeslate wrote.
    """
    from optimizer.instance import BASE_SCENARIO
    from optimizer.scenarios import chain
    from optimizer.sweep_output import LONG, SUMMARY, SweepFolder, plot_names
    from optimizer.sweep_plan import LONG_HEADER, definition_key, plan_sweep, summary_header
    from optimizer.sweep_spec import default_batch_size, grid_indices, parse_varies_collecting, sweep_name
    from optimizer.validate import load_instance

    clock = time.perf_counter()
    timings: dict[str, float] = {}
    varies, problems = parse_varies_collecting(tuple(vary))
    if jobs < 1:
        raise UsageError("--jobs must be at least 1.")
    instance = load_instance(instance_path)
    names = list(dict.fromkeys(scenarios or [BASE_SCENARIO]))
    for name in names:
        chain(instance, name)  # UsageError for an unknown scenario
    if problems:  # with what the options that parse would meet: every problem at once
        from optimizer.scenarios import resolve
        from optimizer.sweep_plan import value_problems

        for name in names:
            problems.extend(p for p in value_problems(resolve(instance, name), name, varies) if p not in problems)
        raise InstanceError(problems)
    grid = grid_indices(varies, zipped)
    total = len(grid) * len(names)
    size = batch_size or default_batch_size(len(grid))  # of one scenario's points: see `scenario_batches`
    target = Path(out) if out else Path("results") / instance.name / f"sweep-{sweep_name(varies, zipped, names)}"
    key = definition_key(instance, names, varies, zipped, size)
    folder = SweepFolder(target, key)
    definition = {"instance": str(Path(instance_path).resolve()), "scenarios": names, "vary": [v.text for v in varies],
                  "zip": zipped, "batch_size": size, "points": total}

    _check_scheduler(scheduler)
    if resume and overwrite:
        raise UsageError("give --resume (carry on the sweep in the folder) or --overwrite (replace it), not both.")
    state = folder.survey((instance.path,), "--out" if out else "results folder")
    if resume and state.kind == "finished" and state.key == key:
        meta = _read_manifest(target)
        return SweepOutcome(target, total, meta.get("statuses", {}), target / SUMMARY, target / LONG,
                            meta.get("plots", []), meta, already_done=True)
    _refuse_to_replace(target, out, state, key, resume, overwrite)
    continuing = resume and state.kind == "unfinished" and state.key == key
    timings["setup"] = time.perf_counter() - clock

    if progress is None:
        progress = sys.stderr.isatty()
    clock = time.perf_counter()
    planning = _PlanningBar(total) if progress else None
    try:
        plan, report, origins = plan_sweep(instance, names, varies, grid, zipped, size, key, jobs=jobs,
                                           progress=planning)
    except KeyboardInterrupt:
        kept = (f"the {state.saved_batches} batch(es) saved earlier in {target} are kept; run the same command "
                "with --resume to finish." if continuing and state.saved_batches else
                "nothing was solved or written; run the command again.")
        raise SweepInterrupted(f"interrupted while planning, before any solve: {kept}") from None
    finally:
        if planning is not None:
            planning.close()
    timings["planning"] = time.perf_counter() - clock

    batches = len(plan.batches)
    if continuing:
        folder.drop_staging()
        done = folder.done(batches)
    else:
        if state.kind in ("finished", "unfinished", "other"):
            folder.clear()  # --overwrite, checked above: every entry is crudeslate's
        folder.start(definition, plot_names([v.column for v in varies], zipped) if plots else [])
        done = set()
    todo = [b for b in range(batches) if b not in done]
    resumed = len(done)

    clock = time.perf_counter()
    solve_seconds, iterations, points_run = 0.0, 0, 0
    finished_points = sum(plan.batches[b][1] - plan.batches[b][0] for b in done)
    bar = _progress_bar(total, finished_points, progress)
    engine_stats: dict[str, float] = {}
    engine, engine_name = _engine(plan, todo, jobs, scheduler, folder.out, engine_stats)
    try:
        with contextlib.closing(engine):
            for output in engine:
                if not output.written:
                    folder.write_batch(output.batch, output.summary_csv, output.long_csv)
                done.add(output.batch)
                solve_seconds += output.solve_seconds
                iterations += output.iterations
                points_run += output.points
                finished_points += output.points
                if bar is not None:
                    bar.update(output.points)
                if on_batch is not None:
                    on_batch(len(done))
    except KeyboardInterrupt:
        folder.drop_staging()
        saved = _saved_points(plan, folder)  # workers write parts themselves: count what is on disk
        raise SweepInterrupted(f"interrupted: {saved} of {total} points are saved in {target}; run the same "
                               "command with --resume to finish.") from None
    except Exception as exc:
        from optimizer.sweep_engine import WorkerLost

        if isinstance(exc, WorkerLost | OSError) or type(exc).__module__.startswith("distributed"):
            saved = _saved_points(plan, folder)
            then = "; run the same command with --resume to finish." if saved else "."
            raise SweepWorkerError(f"{exc}; {saved} of {total} points are saved in {target}{then}") from exc
        raise
    finally:
        if bar is not None:
            bar.close()
    timings["solving"] = time.perf_counter() - clock
    if "cluster_start" in engine_stats:  # part of solving: starting (or joining) the Dask cluster
        timings["cluster_start"] = engine_stats["cluster_start"]

    clock = time.perf_counter()
    header = summary_header(varies, origins)
    folder.assemble(batches, header, LONG_HEADER)
    timings["assembling"] = time.perf_counter() - clock
    statuses = _status_counts(target / SUMMARY)
    written: list[str] = []
    if plots:
        from optimizer.sweep_output import plot_sweep

        clock = time.perf_counter()
        neutral = [0.0 if v.op == "+=" else 1.0 if v.op == "*=" else None for v in varies]
        written = plot_sweep(target, target / SUMMARY, [v.column for v in varies], [v.axis_label for v in varies],
                             neutral, zipped, _focus_origins(instance, varies))
        timings["plotting"] = time.perf_counter() - clock
    meta = _manifest(instance, definition, key, report, plan, statuses, written, timings, engine_name,
                     solve_seconds, iterations, points_run, resumed)
    folder.finish(meta, written)
    return SweepOutcome(target, total, statuses, target / SUMMARY, target / LONG, written, meta,
                        resumed_batches=resumed, timings=timings)


def _focus_origins(instance: Any, varies: list[Any]) -> list[str]:
    """The origin_* columns of the crudes the swept cells belong to (a crude's price, its tiers, its yields)."""
    from optimizer.paths import matching_rows
    from optimizer.results import origin_column

    crudes = instance.tables["crudes"]
    found: list[str] = []
    for vary in varies:
        table = instance.tables[vary.path.table]
        rows = matching_rows(instance, vary.path)
        ids = rows if vary.path.table == "crudes" else \
            list(table.loc[rows, "crude_id"]) if "crude_id" in table.columns else []
        found.extend(origin_column(crudes.at[c, "origin"]) for c in ids if c in crudes.index)
    return list(dict.fromkeys(found))


def _saved_points(plan: Any, folder: Any) -> int:
    return sum(plan.batches[b][1] - plan.batches[b][0] for b in folder.done(len(plan.batches)))


def _refuse_to_replace(target: Path, out: Any, state: Any, key: str, resume: bool, overwrite: bool) -> None:
    """OutputError unless the folder may be written: it is missing or empty, `resume` continues the very
    sweep it holds, or `overwrite` replaces results crudeslate wrote (a foreign folder never gets here)."""
    from optimizer.result_files import OutputError

    if state.kind in ("missing", "empty") or overwrite:
        return
    if resume and state.kind == "unfinished" and state.key == key:
        return
    where = f"--out {out}" if out else f"results folder {target}"
    keep = "give another --out, or add --overwrite to replace it"
    meta = state.meta or {}
    if state.kind == "unfinished" and state.key == key:
        raise OutputError(f"{where}: holds this very sweep, unfinished ({state.saved_batches} batch(es) saved); "
                          f"run with --resume to finish it, or add --overwrite to start it over.")
    if state.kind == "unfinished":
        raise OutputError(f"{where}: holds an unfinished sweep with other settings or inputs ({_described(meta)}); "
                          f"it is not replaced: {keep}.")
    if state.kind == "finished" and state.key == key:
        raise OutputError(f"{where}: already holds this very sweep, complete ({meta.get('points', '?')} points); run "
                          f"with --resume to keep it (nothing is solved again), or add --overwrite to solve it again.")
    if state.kind == "finished":
        raise OutputError(f"{where}: holds a finished sweep with other settings or inputs ({_described(meta)}); it "
                          f"is not replaced: {keep}.")
    raise OutputError(f"{where}: holds the results of another crudeslate command; they are not replaced: {keep}.")


def _described(meta: dict[str, Any]) -> str:
    vary = " ".join(f"--vary '{v}'" for v in meta.get("vary", [])) or "settings unknown"
    scenarios = meta.get("scenarios") or []
    return vary + (f", scenarios {', '.join(scenarios)}" if scenarios and scenarios != ["base"] else "") + \
        (f", {meta['points']} points" if "points" in meta else "")


SCHEDULER_TIMEOUT_S = 10  # a scheduler address that does not answer in this time is refused before planning


def _check_scheduler(scheduler: Any) -> None:
    """Before any planning: Dask is installed, and a scheduler address answers."""
    if scheduler is None:
        return
    try:
        import distributed
    except ImportError:
        raise UsageError("--scheduler needs Dask distributed: pip install 'crudeslate[dask]'.") from None
    if not isinstance(scheduler, str) or scheduler == "local":
        return
    try:
        with distributed.Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s"):
            pass
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise UsageError(f"--scheduler {scheduler}: no Dask scheduler answered there within {SCHEDULER_TIMEOUT_S} s "
                         f"({type(exc).__name__}: {exc}). Fix: give the address the scheduler prints "
                         "(tcp://HOST:8786), start one with `dask scheduler`, or use --scheduler local.") from None


def _engine(plan: Any, todo: list[int], jobs: int, scheduler: Any, out: Path,
            stats: dict[str, float]) -> tuple[Any, str]:
    """The batches' solver, and what it is (for the manifest); `stats` gets the cluster's start time."""
    from optimizer.sweep_engine import run_dask, run_pool, run_serial

    if not todo:
        return run_serial(plan, todo), "none (every batch was already saved)"
    if scheduler is not None:
        where = f"a LocalCluster of {jobs} worker process(es)" if scheduler == "local" else \
            scheduler if isinstance(scheduler, str) else type(scheduler).__name__
        return run_dask(plan, todo, scheduler, jobs, stats), f"dask: {where}"
    if jobs > 1 and len(todo) > 1:
        workers = min(jobs, len(todo))
        return run_pool(plan, todo, workers, str(out)), f"process pool of {workers}"
    return run_serial(plan, todo), "this process"


class _PlanningBar:
    """What planning is doing, on a terminal: its stage, and its full derivations and checks as they go
    (with an ETA when many are to come, e.g. every combination of parameters that do not compose)."""

    def __init__(self, points: int):
        from tqdm import tqdm

        self.points = points
        self.bar = tqdm(total=0, desc="starting", file=sys.stderr, leave=False, **_bar_size(),
                        bar_format="planning {desc}: {n}/{total} derivations and checks [{elapsed}<{remaining}]")

    def stage(self, text: str) -> None:
        self.bar.set_description_str(text)

    def expect(self, count: int) -> None:
        self.bar.total += count
        self.bar.refresh()

    def advance(self, count: int) -> None:
        self.bar.update(count)

    def close(self) -> None:
        self.bar.close()


def _progress_bar(total: int, initial: int, progress: bool | None):
    """A bar with rate and ETA on a terminal; nothing when stderr is not a TTY (logs, CI, pipes)."""
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="pt", desc="sweep", smoothing=0.1, file=sys.stderr, **_bar_size())


def _bar_size() -> dict[str, Any]:
    """tqdm hides its bar on a pseudo-terminal of no size (some CI runners): give it one."""
    import os

    try:
        size = os.get_terminal_size(sys.stderr.fileno())
        sized = size.columns > 0 and size.lines > 0
    except (OSError, ValueError):
        sized = False
    return {"dynamic_ncols": sized, "ncols": None if sized else 100, "nrows": None if sized else 24}


def _status_counts(summary: Path) -> dict[str, int]:
    import csv

    counts: dict[str, int] = {}
    with open(summary, newline="") as stream:
        reader = csv.reader(stream)
        column = next(reader).index("status")
        for row in reader:
            counts[row[column]] = counts.get(row[column], 0) + 1
    return counts


def _read_manifest(out: Path) -> dict[str, Any]:
    import json

    from optimizer.sweep_output import MANIFEST

    return json.loads((out / MANIFEST).read_text())


def _manifest(instance: Any, definition: dict[str, Any], key: str, report: Any, plan: Any, statuses: dict[str, int],
              plots: list[str], timings: dict[str, float], engine: str, solve_seconds: float,
              iterations: int, points_run: int, resumed: int) -> dict[str, Any]:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    versions = {"crudeslate": version("crudeslate"), "pyomo": version("pyomo"), "highspy": version("highspy"),
                "python": platform.python_version()}
    with contextlib.suppress(PackageNotFoundError):
        versions["dask"] = version("distributed")
    return {
        "definition_key": key,
        **definition,
        "input_sha256": instance.input_hashes(),
        "statuses": statuses,
        "engine": engine,
        "batches": len(plan.batches),
        "batches_resumed": resumed,
        "plots": plots,
        "planning": {"notes": report.notes, "full_derivations": report.derivations,
                     "validations": report.validations, "models_built": report.templates,
                     "points_with_own_structure": report.structural_points, "base_solves": report.base_status},
        "solver_options": {"interface": "highspy by index (LP read from the Pyomo model once)", "threads": 1,
                           "hot_start": "each batch from the base optimum's basis, then point to point"},
        "timings_seconds": {**{k: round(v, 4) for k, v in timings.items()}},
        "this_run": {"points_solved": points_run, "highs_seconds": round(solve_seconds, 4),
                     "ms_per_point_in_highs": round(1000 * solve_seconds / points_run, 4) if points_run else None,
                     "simplex_iterations_per_point": round(iterations / points_run, 2) if points_run else None},
        "versions": versions,
    }


@click.command()
@click.argument("instance", type=click.Path())
@click.option("--vary", "varies", multiple=True, metavar="PATH=SPEC", required=True,
              help="A cell path, an operator (=, +=, *=) and the values: START:STOP:STEP (stop included), a comma "
                   "list, or linspace(A,B,N). E.g. 'crudes.merey16.differential_usd_per_bbl+=-5:5:1' (repeatable: "
                   "a full grid).")
@click.option("--zip", "zipped", is_flag=True, help="Walk the --vary lists together instead of forming a grid.")
@click.option("--scenario", "scenario_names", multiple=True, metavar="NAME",
              help="Scenario the grid is applied to (repeatable; default base).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (each one HiGHS, threads = 1); with --scheduler local, Dask workers.")
@click.option("--scheduler", metavar="ADDRESS|local",
              help="Run the batches on a Dask cluster: a scheduler address (tcp://host:8786) or 'local'.")
@click.option("--out", type=click.Path(), help="Output folder (default results/<instance>/sweep-<name>).")
@click.option("--resume", is_flag=True, help="Carry on an interrupted sweep in --out, skipping finished points.")
@click.option("--overwrite", is_flag=True,
              help="Replace what the output folder holds (only results crudeslate wrote; without it a folder that "
                   "holds anything is refused).")
@click.option("--batch-size", type=click.IntRange(min=1), metavar="N",
              help="Points per batch (default from the number of points a scenario; part of the sweep's definition).")
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots.")
def sweep(instance: str, varies: tuple[str, ...], zipped: bool, scenario_names: tuple[str, ...], jobs: int,
          scheduler: str | None, out: str | None, resume: bool, overwrite: bool, batch_size: int | None,
          no_plots: bool) -> None:
    """Solve INSTANCE over a grid of parameter values; write one summary row per point and the slates.

    Exit codes: 0 every point optimal; 1 bad input or a bad --vary PATH or SPEC (nothing is solved);
    2 usage, or an output folder that already holds results (--resume, --overwrite or another --out);
    3 some points infeasible or unbounded (all results written); 4 solver failure or a lost worker;
    130 interrupted (finished points kept: run again with --resume).
    """
    try:
        outcome = run_sweep(instance, varies, scenario_names, zipped=zipped, jobs=jobs, scheduler=scheduler, out=out,
                            resume=resume, overwrite=overwrite, batch_size=batch_size, plots=not no_plots)
    except CrudeSlateError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # while planning or assembling: whatever batches are done stay in parts/
        click.echo("error: interrupted; run the same command with --resume to finish.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    points = f"{outcome.points} point{'s' if outcome.points != 1 else ''}"
    if outcome.already_done:
        click.echo(f"Sweep already complete in {outcome.out} ({points}); nothing to do.")
    else:
        t = outcome.timings
        run = outcome.manifest["this_run"]
        per_point = f", {run['ms_per_point_in_highs']:.2f} ms a point in HiGHS" if run["ms_per_point_in_highs"] else ""
        resumed = f", {outcome.resumed_batches} batches resumed" if outcome.resumed_batches else ""
        click.echo(f"Sweep of {points} -> {outcome.out} (planning {t['planning']:.1f} s, solving "
                   f"{t['solving']:.1f} s{per_point}{resumed})")
    words = ", ".join(f"{n} {s}" for s, n in sorted(outcome.statuses.items()))
    click.echo(f"  points: {words}")
    if outcome.plots:
        click.echo(f"  plots: {', '.join(outcome.plots)}")
    if outcome.exit_code:
        click.echo("  some points have no optimal plan; their status is in sweep_summary.csv", err=True)
        why = _explain_command(instance, outcome.summary)
        if why:
            click.echo(f"  why the first of them has none: {why}", err=True)
    sys.exit(outcome.exit_code)


def _explain_command(instance: str, summary: Path) -> str | None:
    """`crudeslate explain` for the first point without an optimal plan, with its swept values as --set."""
    import csv
    import shlex

    with open(summary, newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        status = header.index("status")
        for row in reader:
            if row[status] != "optimal":
                sets = [f"--set {shlex.quote(name + value)}" for name, value in zip(header[2:status], row[2:status])]
                scenario = f" --scenario {shlex.quote(row[1])}" if row[1] != "base" else ""
                return f"crudeslate explain {shlex.quote(instance)}{scenario} {' '.join(sets)}  (point {row[0]})"
    return None
