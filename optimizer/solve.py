"""HiGHS on the Pyomo model's arrays; a typed result that never drops a status.

`SlateSolver` keeps one built Pyomo model and one highspy.Highs per structure. The model is handed to
HiGHS as arrays (`optimizer.handoff`: Pyomo's linear-representation visitor, then one `passModel`). A
scenario or sweep point whose structure matches is loaded by updating the model's mutable parameters,
re-reading the arrays and changing in HiGHS only the entries that moved, so HiGHS re-solves from its
previous basis. Other modules reach HiGHS through `SlateSolver.highs` and the column and row maps
(`variable_columns`, `constraint_slices`, `column_positions`, `row_key`).

A solver made with `keep_model=False` lets the Pyomo model go once HiGHS holds the LP, before HiGHS
runs: at a million nonzeros the model is the largest thing in memory (an expression object per
nonzero), and a single solve has no further use for it. The next `solve` then builds it anew.
"""

from __future__ import annotations

import ctypes
import gc
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer.data import ModelData
from optimizer.handoff import Columns, Slice, StandardForm, apply_changes, compile_model
from optimizer.model import build_model, update_parameters
from optimizer.ranging import Ranging, compute_ranging
from optimizer.sweep_engine import quiet_highs

if TYPE_CHECKING:
    from pyomo.contrib.solver.solvers.highs import Highs

# A model let go is collected at once from this size on: below it the model is small, and the collector's
# pass over everything the interpreter holds (some 0.035 s with pandas and Pyomo loaded) would cost more
# than the memory is worth.
COLLECT_MIN_NONZEROS = 200_000

# HiGHS's default primal/dual feasibility tolerance; checks on results are tied to it.
SOLVER_FEASIBILITY_TOL = 1e-7
# Tolerance for the post-solve self-check: feasibility tolerance scaled by plant-sized numbers (kb/d).
SELF_CHECK_TOL_KBD = 1e-5

OPTIMAL = "optimal"
INFEASIBLE = "infeasible"
UNBOUNDED = "unbounded"
INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
TIME_LIMIT = "time_limit"
ERROR = "solver_error"

_MS = highspy.HighsModelStatus
# HiGHS model status -> (our status, the termination word Pyomo's solver interfaces use for it)
_HIGHS_STATUS = {
    _MS.kOptimal: (OPTIMAL, "convergenceCriteriaSatisfied"),
    _MS.kInfeasible: (INFEASIBLE, "provenInfeasible"),
    _MS.kUnbounded: (UNBOUNDED, "unbounded"),
    _MS.kUnboundedOrInfeasible: (INFEASIBLE_OR_UNBOUNDED, "infeasibleOrUnbounded"),
    _MS.kTimeLimit: (TIME_LIMIT, "maxTimeLimit"),
    _MS.kIterationLimit: (TIME_LIMIT, "iterationLimit"),
}

EXIT_CODES = {OPTIMAL: 0, INFEASIBLE: 3, UNBOUNDED: 3, INFEASIBLE_OR_UNBOUNDED: 3, TIME_LIMIT: 4, ERROR: 4}


def pyomo_status() -> dict[Any, str]:
    """Pyomo solver interfaces' termination condition -> status (imports Pyomo's solver package)."""
    from pyomo.contrib.solver.common.results import TerminationCondition

    return {
        TerminationCondition.convergenceCriteriaSatisfied: OPTIMAL,
        TerminationCondition.provenInfeasible: INFEASIBLE,
        TerminationCondition.locallyInfeasible: INFEASIBLE,
        TerminationCondition.unbounded: UNBOUNDED,
        TerminationCondition.infeasibleOrUnbounded: INFEASIBLE_OR_UNBOUNDED,
        TerminationCondition.maxTimeLimit: TIME_LIMIT,
        TerminationCondition.iterationLimit: TIME_LIMIT,
    }


@dataclass
class SolveResult:
    status: str
    termination: str
    objective_kusd_per_day: float | None
    build_seconds: float
    solve_seconds: float  # hand-off to HiGHS + HiGHS's solve
    iterations: int | None
    values: dict[str, dict[Any, float]] = field(default_factory=dict)  # variable name -> index -> value
    reduced_costs: dict[str, dict[Any, float]] = field(default_factory=dict)  # margin per unit of variable
    duals: dict[str, dict[Any, float]] = field(default_factory=dict)  # margin per unit of the row's bound
    constraint_rows: dict[str, dict[Any, tuple[float, float | None, float | None]]] = field(default_factory=dict)
    rebuilt: bool = True
    ranging: Ranging | None = None

    @property
    def optimal(self) -> bool:
        return self.status == OPTIMAL


def _solver(time_limit: float | None) -> Highs:
    """Pyomo's persistent `highs` interface, for a model solved once with its values loaded (`explain`'s
    elastic relaxation); `SlateSolver` does not use it."""
    from pyomo.contrib.solver.solvers.highs import Highs

    opt = Highs()
    opt.config.load_solutions = False
    opt.config.raise_exception_on_nonoptimal_result = False
    opt.config.threads = 1
    opt.config.time_limit = time_limit
    opt.config.solver_options["output_flag"] = False
    return opt


def _return_freed_memory() -> None:
    """Hand the C heap's free memory back to the system (glibc's malloc_trim; nothing elsewhere). HiGHS's
    vectors live on that heap, and glibc keeps what they free for later C allocations only, out of reach of
    Python's own allocator: without this, letting HiGHS go lowers no peak that comes after it."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _dismantle(model: pyo.ConcreteModel) -> None:
    """Delete the model's components: reference counting then frees most of the model at once."""
    for component in reversed(list(model.component_objects(descend_into=False))):
        model.del_component(component)


class SlateSolver:
    """One built model + one highspy.Highs, re-used while the data's structure stays the same."""

    def __init__(self, time_limit: float | None = None, keep_model: bool = True):
        self.time_limit = time_limit
        self.keep_model = keep_model
        self.model: pyo.ConcreteModel | None = None
        self.highs: highspy.Highs | None = None
        self.form: StandardForm | None = None

    @property
    def solver_options(self) -> dict[str, Any]:
        return {"interface": "highspy.Highs.passModel (Pyomo model compiled to arrays)", "threads": 1,
                "time_limit": self.time_limit}

    def _hand_off(self, rebuilt: bool) -> None:
        assert self.model is not None
        form, previous = compile_model(self.model), self.form
        if not self.keep_model:  # before HiGHS copies the LP: the model and that copy are never held together
            self.release_model(collect=form.a_value.size >= COLLECT_MIN_NONZEROS)
            form.column_of = {}
        if rebuilt or self.highs is None or previous is None:
            self.highs = quiet_highs()
            if self.time_limit is not None:
                self.highs.setOptionValue("time_limit", float(self.time_limit))
            self.highs.passModel(form.to_highs())
        elif form.same_pattern(previous):
            apply_changes(self.highs, previous, form)
        else:  # a coefficient became (or stopped being) zero: pass the new LP, start from the old basis
            basis = self.highs.getBasis()
            self.highs.passModel(form.to_highs())
            if basis.valid:
                self.highs.setBasis(basis)
        self.form = form

    def release_model(self, collect: bool = True) -> None:
        """Let the Pyomo model go (HiGHS keeps the LP, results keep their keys); the next solve rebuilds it.
        `collect`: run the garbage collector now for what reference counting cannot free."""
        model, self.model = self.model, None
        if self.form is not None:
            self.form.column_of = {}  # ids of variables that no longer exist
        if model is not None:
            _dismantle(model)
            del model
            if collect:
                # what is left sits in reference cycles (a scalar component refers to itself), which only the
                # collector frees: 0.2 s at a million nonzeros after `_dismantle`, 0.5 s without it
                gc.collect()

    def release_highs(self) -> None:
        """Let HiGHS go too (its copy of the LP and its working memory, some 90 MB at a million nonzeros),
        once a result holds everything read from it; the next solve passes the LP afresh."""
        self.highs = None
        self.form = None
        _return_freed_memory()

    def _run(self) -> tuple[str, str, float | None]:
        assert self.highs is not None
        self.highs.run()
        status, termination = _HIGHS_STATUS.get(self.highs.getModelStatus(), (ERROR, "error"))
        objective = self.highs.getInfo().objective_function_value if status == OPTIMAL else None
        return status, termination, objective

    def solve(self, data: ModelData, with_duals: bool = True, with_ranging: bool = False) -> SolveResult:
        start = time.perf_counter()
        rebuilt = self.model is None or not update_parameters(self.model, data)
        if rebuilt:
            self.model = build_model(data)
        build_seconds = time.perf_counter() - start
        start = time.perf_counter()
        self._hand_off(rebuilt)
        status, termination, objective = self._run()
        solve_seconds = time.perf_counter() - start
        assert self.highs is not None
        info = self.highs.getInfo()
        result = SolveResult(
            status=status,
            termination=termination,
            objective_kusd_per_day=objective,
            build_seconds=build_seconds,
            solve_seconds=solve_seconds,
            iterations=int(info.simplex_iteration_count) if info.valid else None,
            rebuilt=rebuilt,
        )
        if status == OPTIMAL:
            with PauseGC():  # dictionaries of every value and dual: no garbage, and the collector's passes cost
                self._extract(result, with_duals)
            if with_ranging:
                result.ranging = compute_ranging(self)
        return result

    def resolve_in_place(self) -> tuple[str, float | None]:
        """Re-solve the built model after its Params were changed directly (hot start, nothing extracted)."""
        assert self.model is not None
        self._hand_off(rebuilt=False)
        status, _, objective = self._run()
        return status, objective

    # -- where Pyomo's components sit in HiGHS's vectors --------------------------------------------

    def variable_columns(self) -> list[Columns]:
        """Each Var component's keys and their HiGHS columns."""
        assert self.form is not None
        return self.form.variables

    def constraint_slices(self) -> list[Slice]:
        """Each Constraint component's keys and first row; its rows are contiguous."""
        assert self.form is not None
        return self.form.constraints

    def column_positions(self, variables: list[Any]) -> list[int]:
        """HiGHS column positions of Pyomo variable data (of a kept model)."""
        assert self.form is not None and self.model is not None
        return [self.form.column_of[id(v)] for v in variables]

    def row_key(self, row: int) -> tuple[str, Any]:
        """(constraint family, index) of HiGHS row `row`."""
        assert self.form is not None
        return self.form.row_key(row)

    def row_is_equality(self, row: int) -> bool:
        assert self.form is not None
        return bool(self.form.row_lower[row] == self.form.row_upper[row])

    def column_values(self, positions: list[int]) -> list[float]:
        assert self.highs is not None
        values = self.highs.getSolution().col_value
        return [values[j] for j in positions]

    def _extract(self, out: SolveResult, with_duals: bool) -> None:
        """Values (and duals, reduced costs, row activities and bounds) by slicing HiGHS's vectors."""
        assert self.highs is not None and self.form is not None
        solution = self.highs.getSolution()
        col_value = np.asarray(solution.col_value)  # each access copies: take each vector once
        for v in self.form.variables:
            out.values[v.name] = dict(zip(v.keys, col_value[v.columns].tolist()))
        if not with_duals:
            return
        activity = np.asarray(solution.row_value).tolist()
        lower = [None if x <= -highspy.kHighsInf else x for x in self.form.row_lower.tolist()]
        upper = [None if x >= highspy.kHighsInf else x for x in self.form.row_upper.tolist()]
        for s in self.form.constraints:
            a, b = s.start, s.stop
            out.constraint_rows[s.name] = dict(zip(s.keys, zip(activity[a:b], lower[a:b], upper[a:b])))
        # HiGHS reports duals and reduced costs as d(objective)/d(bound) for a maximisation as well;
        # tests/test_families.py and tests/test_ranging.py check that sign against hand derivations and re-solves.
        col_dual = np.asarray(solution.col_dual)
        for v in self.form.variables:
            out.reduced_costs[v.name] = dict(zip(v.keys, col_dual[v.columns].tolist()))
        row_dual = np.asarray(solution.row_dual).tolist()
        for s in self.form.constraints:
            out.duals[s.name] = dict(zip(s.keys, row_dual[s.start:s.stop]))
