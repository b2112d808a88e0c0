"""The sweep's solve loop: one persistent HiGHS per worker, driven by index; no Pyomo, no pandas.

A worker receives the `Plan` once (the LP of each structure as arrays, its optimal basis, and per
swept parameter the LP entries it moves with their value for every option) and then solves
batches of points. Each batch starts from the same state whatever ran before it on that worker:
the template's LP is passed afresh and HiGHS is given the template's optimal basis; each point then
changes only the entries whose option differs from the previous point's and re-solves hot-started.
Batches are fixed by the sweep, so every engine and job count writes byte-identical rows.

This module is imported by worker processes; keep its imports light.
"""

from __future__ import annotations

import contextlib
import operator
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

INF = highspy.kHighsInf
ZERO_KBD = 1e-9  # volumes below this print as 0, as in optimizer.results
# reduced costs below HiGHS's dual feasibility tolerance (optimizer.solve.SOLVER_FEASIBILITY_TOL, $/bbl)
# print as 0: to the solver they are 0, and what is left is rounding dust (1e-14) that differs run to run
ZERO_REDUCED_COST = 1e-7

# The status words of optimizer.solve (kept in step by tests/test_sweep.py without importing Pyomo here).
OPTIMAL = "optimal"
_STATUS = {
    highspy.HighsModelStatus.kOptimal: OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible_or_unbounded",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "time_limit",
}
ERROR = "solver_error"
_LABEL = "\x00"  # stands for a point's label in its row format


@dataclass
class LpArrays:
    """An LP as HiGHS takes it: costs, bounds and a column-wise matrix."""

    maximize: bool
    offset: float
    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray

    def to_highs(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_ = len(self.col_cost)
        lp.num_row_ = len(self.row_lower)
        lp.col_cost_ = self.col_cost
        lp.col_lower_ = self.col_lower
        lp.col_upper_ = self.col_upper
        lp.row_lower_ = self.row_lower
        lp.row_upper_ = self.row_upper
        lp.offset_ = self.offset
        lp.sense_ = highspy.ObjSense.kMaximize if self.maximize else highspy.ObjSense.kMinimize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = lp.num_col_
        lp.a_matrix_.num_row_ = lp.num_row_
        lp.a_matrix_.start_ = self.a_start
        lp.a_matrix_.index_ = self.a_index
        lp.a_matrix_.value_ = self.a_value
        return lp


@dataclass
class Block:
    """LP entries that move together, and their values under each option (one row per option)."""

    cost_cols: np.ndarray
    cost: np.ndarray
    coef_row: np.ndarray
    coef_col: np.ndarray
    coef: np.ndarray
    row_index: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_index: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    offset: np.ndarray | None = None  # the objective's constant, when it reads a Param

    def apply(self, h: highspy.Highs, option: int) -> None:
        if len(self.cost_cols):
            h.changeColsCost(len(self.cost_cols), self.cost_cols, self.cost[option])
        if len(self.row_index):
            h.changeRowsBounds(  # type: ignore[attr-defined]  # in highspy, missing from its stubs
                len(self.row_index), self.row_index, self.row_lower[option], self.row_upper[option])
        if len(self.col_index):
            h.changeColsBounds(len(self.col_index), self.col_index, self.col_lower[option], self.col_upper[option])
        for i, j, value in zip(self.coef_row.tolist(), self.coef_col.tolist(), self.coef[option].tolist()):
            h.changeCoeff(i, j, value)
        if self.offset is not None:
            h.changeObjectiveOffset(float(self.offset[option]))


@dataclass
class Template:
    """One LP structure: its base LP, the optimal basis of that LP, and the blocks points move."""

    lp: LpArrays
    basis: tuple[list[int], list[int]] | None
    blocks: list[Block]
    buy_cols: np.ndarray  # column of Buy[r, c] for every (refinery, crude) pair of the plan, in order


@dataclass
class Plan:
    """Everything a worker needs, picklable and free of Pyomo."""

    key: str
    templates: list[Template]
    point_template: np.ndarray  # (points,) template of each point
    point_options: np.ndarray  # (points, max blocks) option of each of its template's blocks
    point_prefix: list[str]  # the leading cells of each point's summary row: point, scenario, swept values
    point_label: list[str]  # the leading cells of each point's long rows: point, scenario
    pair_cells: list[str]  # "refinery_id,crude_id" of each pair
    origin_code: np.ndarray  # (pairs,) index into the plan's origins
    origins: int
    batches: list[tuple[int, int]]  # [start, stop) point ranges


@dataclass
class BatchOutput:
    batch: int
    summary_csv: str
    long_csv: str
    points: int
    statuses: dict[str, int] = field(default_factory=dict)
    solve_seconds: float = 0.0  # loading, changing, solving and reading HiGHS, without formatting
    iterations: int = 0
    written: bool = False  # the worker wrote the part files itself (its text was dropped)


def _fmt(x: float) -> str:
    return "%.10g" % (x + 0.0)


_banner_shown = False
_banner_lock = threading.Lock()


def quiet_highs() -> highspy.Highs:
    """A silent HiGHS (threads = 1). The first one in a process prints a banner on stdout: hide that one
    (by pointing file descriptor 1 at /dev/null for the moment it takes; never again, as other threads
    may be writing)."""
    global _banner_shown
    with _banner_lock:
        if _banner_shown:
            h = highspy.Highs()
        else:
            fd = None
            with contextlib.suppress(OSError, ValueError):
                import sys

                sys.stdout.flush()
                fd = os.dup(1)
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.close(devnull)
            try:
                h = highspy.Highs()
            finally:
                _banner_shown = True
                if fd is not None:
                    os.dup2(fd, 1)
                    os.close(fd)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h


_Loaded = dict[int, tuple[highspy.HighsLp, highspy.HighsBasis | None]]


def load_template(h: highspy.Highs, template: Template, cache: _Loaded | None = None, key: int = 0) -> None:
    """Pass the template's LP afresh and give HiGHS its optimal basis: the same start for every batch."""
    if cache is not None and key in cache:
        lp, basis = cache[key]
    else:
        lp, basis = template.lp.to_highs(), None
        if template.basis is not None:
            basis = highspy.HighsBasis()
            basis.col_status = [highspy.HighsBasisStatus(s) for s in template.basis[0]]
            basis.row_status = [highspy.HighsBasisStatus(s) for s in template.basis[1]]
            basis.valid = True
        if cache is not None:
            cache[key] = (lp, basis)
    h.passModel(lp)
    if basis is not None:
        h.setBasis(basis)


def solve_base(template_lp: LpArrays) -> tuple[str, float | None, tuple[list[int], list[int]] | None]:
    """Cold-solve a template's LP: its status, objective and the basis every batch will start from."""
    h = quiet_highs()
    h.passModel(template_lp.to_highs())
    h.run()
    status = _STATUS.get(h.getModelStatus(), ERROR)
    basis = h.getBasis()
    saved = ([int(s) for s in basis.col_status], [int(s) for s in basis.row_status]) if basis.valid else None
    return status, h.getInfo().objective_function_value if status == OPTIMAL else None, saved


def _picker(columns: list[int]):
    """A function taking these entries out of a list, always as a tuple (itemgetter of one gives a scalar)."""
    if len(columns) == 1:
        return lambda values: (values[columns[0]],)
    return operator.itemgetter(*columns)


class BatchSolver:
    """One persistent HiGHS holding one plan: solves its batches."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.h = quiet_highs()
        self._loaded: _Loaded = {}
        self._args: list[float] = [0.0] * (2 * len(plan.pair_cells))
        # one format for a point's long rows, its label put in by str.replace: formatting a point's
        # rows is then one C-level call, not a Python loop over pairs
        self._rows = "".join(_LABEL + "," + cells.replace("%", "%%") + ",%.10g,%.10g\n" for cells in plan.pair_cells)

    def solve(self, batch: int) -> BatchOutput:
        plan, h = self.plan, self.h
        start, stop = plan.batches[batch]
        summary: list[str] = []
        long: list[str] = []
        statuses: dict[str, int] = {}
        seconds = 0.0
        iterations = 0
        template_id = -1
        current: list[int] = []
        origin_code, origins = plan.origin_code, plan.origins
        for p in range(start, stop):
            tick = time.perf_counter()
            t = int(plan.point_template[p])
            template = plan.templates[t]
            if t != template_id or p == start:
                load_template(h, template, self._loaded, t)
                template_id = t
                current = [-1] * len(template.blocks)
                buy = _picker(template.buy_cols.tolist())
            options = plan.point_options[p]
            for b, block in enumerate(template.blocks):
                option = int(options[b])
                if option != current[b]:
                    block.apply(h, option)
                    current[b] = option
            h.run()
            status = _STATUS.get(h.getModelStatus(), ERROR)
            info = h.getInfo()
            its = int(info.simplex_iteration_count)
            if status == OPTIMAL:
                objective = info.objective_function_value
                solution = h.getSolution()
                # highspy hands whole vectors over as lists: pick the Buy columns before numpy sees them
                x = np.array(buy(solution.col_value))
                rc = np.array(buy(solution.col_dual))
            seconds += time.perf_counter() - tick
            iterations += its
            statuses[status] = statuses.get(status, 0) + 1
            prefix = plan.point_prefix[p]
            if status != OPTIMAL:
                summary.append(f"{prefix},{status},,," + "," * origins + f"{its}\n")
                continue
            x[np.abs(x) < ZERO_KBD] = 0.0
            x += 0.0
            rc[np.abs(rc) < ZERO_REDUCED_COST] = 0.0
            rc += 0.0
            by_origin = np.bincount(origin_code, weights=x, minlength=origins)
            summary.append(f"{prefix},{status},{_fmt(objective)},{_fmt(float(x.sum()))},"
                           + ",".join(_fmt(v) for v in by_origin.tolist()) + f",{its}\n")
            args = self._args
            args[0::2] = x.tolist()
            args[1::2] = rc.tolist()
            long.append(self._rows.replace(_LABEL, plan.point_label[p].replace("%", "%%")) % tuple(args))
        return BatchOutput(batch, "".join(summary), "".join(long), stop - start, statuses, seconds, iterations)


# -- where batches run -----------------------------------------------------------------------------

_local = threading.local()


def solve_batch(plan: Plan, batch: int) -> BatchOutput:
    """Solve one batch with this thread's HiGHS for `plan` (built on first use, then kept)."""
    solver = getattr(_local, "solver", None)
    if solver is None or solver.plan.key != plan.key:
        solver = BatchSolver(plan)
        _local.solver = solver
    return solver.solve(batch)


_worker_plan: Plan | None = None
_worker_out: str | None = None
_worker_parent: int | None = None
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """End this process when `parent` (the sweep) dies, however it dies (SIGKILL included): on Linux the
    kernel sends SIGKILL then (prctl PR_SET_PDEATHSIG); elsewhere `solve_batch_in_worker` checks before
    each batch. A worker left running would go on writing parts nobody reads."""
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def init_worker(plan: Plan, out: str | None = None, parent: int | None = None) -> None:
    """Process-pool initializer: keep the plan (and where parts go); Ctrl-C is the parent's to handle;
    the worker ends with its parent."""
    global _worker_plan, _worker_out, _worker_parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_plan, _worker_out, _worker_parent = plan, out, parent
    if parent is not None:
        die_with_parent(parent)


def solve_batch_in_worker(batch: int) -> BatchOutput:
    """Solve a batch; with a shared folder, write its part files here rather than ship megabytes of rows
    through a pipe to a parent that would write them while sharing the cores with the workers."""
    assert _worker_plan is not None
    if _worker_parent is not None and os.getppid() != _worker_parent:
        os._exit(1)  # orphaned (where the kernel does not end it): no more batches, no parts
    output = solve_batch(_worker_plan, batch)
    if _worker_out is not None:
        from optimizer.sweep_output import write_batch

        if _worker_parent is not None and os.getppid() != _worker_parent:
            os._exit(1)
        write_batch(_worker_out, _worker_plan.key, batch, output.summary_csv, output.long_csv)
        output.summary_csv = output.long_csv = ""
        output.written = True
    return output


class WorkerLost(RuntimeError):
    """A worker process died (killed, out of memory) more often than the sweep retries."""


def run_serial(plan: Plan, todo: list[int]) -> Iterator[BatchOutput]:
    """Every batch in this process, one persistent HiGHS."""
    solver = BatchSolver(plan)
    for batch in todo:
        yield solver.solve(batch)


def run_pool(plan: Plan, todo: list[int], jobs: int, out: str | None = None, retries: int = 2) -> Iterator[BatchOutput]:
    """A local process pool: each worker keeps one HiGHS for the plan (and, given `out`, writes its batches'
    part files there). A pool broken by a dying worker is started again for the batches not yet done
    (up to `retries` times)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # fork hands the plan to the workers without pickling it; spawn where fork does not exist
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    remaining = list(todo)
    for attempt in range(retries + 1):
        executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method),
                                       initializer=init_worker, initargs=(plan, out, os.getpid()))
        pending = {executor.submit(solve_batch_in_worker, b): b for b in remaining}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    batch = pending.pop(future)
                    output = future.result()
                    remaining.remove(batch)
                    yield output
        except BrokenProcessPool:
            if attempt == retries:
                raise WorkerLost(f"a worker process died {retries + 1} times") from None
            continue
        except BaseException:
            # Ctrl-C or the caller stopping: end this sweep's workers now, not after their current batch
            for future in pending:
                future.cancel()
            for process in list(getattr(executor, "_processes", {}).values()):
                process.terminate()
            raise
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        return


def run_dask(plan: Plan, todo: list[int], scheduler: Any, jobs: int,
             stats: dict[str, float] | None = None) -> Iterator[BatchOutput]:
    """Batches as Dask tasks. `scheduler`: "local" (a LocalCluster of `jobs` single-threaded worker
    processes), a scheduler address, or a cluster object. The plan is scattered to every worker
    once; each worker thread keeps its own HiGHS for it (`solve_batch`). Dask re-runs the batches of
    a worker that dies. `stats` receives the seconds the cluster took to start ("cluster_start")."""
    import logging

    from distributed import Client, LocalCluster, as_completed

    cluster = None
    tick = time.perf_counter()
    if scheduler == "local":
        # worker processes start with Ctrl-C ignored (they inherit it): the sweep stops them itself, and
        # they do not each print a KeyboardInterrupt traceback
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if threading.current_thread() is \
            threading.main_thread() else None
        try:
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    if stats is not None:
        stats["cluster_start"] = time.perf_counter() - tick
    # A Ctrl-C lands in the main thread while it waits on the client's event loop; the call it was waiting
    # for then fails in the loop's thread, and tornado logs that at ERROR ("Exception in callback ... sync")
    # above the sweep's own message. Task errors reach the sweep through future.result(), so this log is noise;
    # it stays quiet for the rest of an interrupted process, and is restored after a sweep that ends well.
    loop_log = logging.getLogger("tornado.application")
    loop_level = loop_log.level
    loop_log.setLevel(logging.CRITICAL)
    futures = []
    try:
        shared = client.scatter(plan, broadcast=True)
        run = uuid.uuid4().hex[:8]  # a rerun on a long-lived cluster must not meet this run's task keys
        futures = [client.submit(solve_batch, shared, b, pure=False, key=f"crudeslate-sweep-{plan.key}-{run}-{b}")
                   for b in todo]
        for future in as_completed(futures):
            yield future.result()
        loop_log.setLevel(loop_level)
    finally:
        if futures:
            client.cancel(futures)
        client.close()
        if cluster is not None:
            cluster.close()
