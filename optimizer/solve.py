"""HiGHS through Pyomo's persistent `highs` interface; a typed result that never drops a status.

`SlateSolver` keeps one built model and one persistent HiGHS per structure: a scenario or sweep
point whose structure matches is loaded by updating mutable parameters, and HiGHS re-solves from
its previous basis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from optimizer.data import ModelData
from optimizer.model import build_model, update_parameters
from optimizer.ranging import Ranging, compute_ranging

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

_STATUS = {
    TerminationCondition.convergenceCriteriaSatisfied: OPTIMAL,
    TerminationCondition.provenInfeasible: INFEASIBLE,
    TerminationCondition.locallyInfeasible: INFEASIBLE,
    TerminationCondition.unbounded: UNBOUNDED,
    TerminationCondition.infeasibleOrUnbounded: INFEASIBLE_OR_UNBOUNDED,
    TerminationCondition.maxTimeLimit: TIME_LIMIT,
    TerminationCondition.iterationLimit: TIME_LIMIT,
}

EXIT_CODES = {OPTIMAL: 0, INFEASIBLE: 3, UNBOUNDED: 3, INFEASIBLE_OR_UNBOUNDED: 3, TIME_LIMIT: 4, ERROR: 4}


@dataclass
class SolveResult:
    status: str
    termination: str
    objective_kusd_per_day: float | None
    build_seconds: float
    solve_seconds: float
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
    opt = Highs()
    opt.config.load_solutions = False
    opt.config.raise_exception_on_nonoptimal_result = False
    opt.config.threads = 1
    opt.config.time_limit = time_limit
    # quiet: the interface would print coefficient warnings on in-place updates
    opt.config.solver_options["output_flag"] = False
    return opt


class SlateSolver:
    """One built model + one persistent HiGHS, re-used while the data's structure stays the same."""

    def __init__(self, time_limit: float | None = None):
        self.time_limit = time_limit
        self.model: pyo.ConcreteModel | None = None
        self.opt: Highs | None = None

    @property
    def solver_options(self) -> dict[str, Any]:
        return {"interface": "pyomo.contrib.solver highs (persistent)", "threads": 1, "time_limit": self.time_limit}

    def solve(self, data: ModelData, with_duals: bool = True, with_ranging: bool = False) -> SolveResult:
        start = time.perf_counter()
        rebuilt = self.model is None or not update_parameters(self.model, data)
        if rebuilt:
            self.model = build_model(data)
            self.opt = _solver(self.time_limit)
        build_seconds = time.perf_counter() - start
        assert self.model is not None and self.opt is not None
        start = time.perf_counter()
        results = self.opt.solve(self.model)
        solve_seconds = time.perf_counter() - start
        status = _STATUS.get(results.termination_condition, ERROR)
        highs = self.opt._solver_model  # the interface keeps its highspy object private
        info = highs.getInfo()
        result = SolveResult(
            status=status,
            termination=str(results.termination_condition.name),
            objective_kusd_per_day=results.incumbent_objective if status == OPTIMAL else None,
            build_seconds=build_seconds,
            solve_seconds=solve_seconds,
            iterations=int(info.simplex_iteration_count) if info.valid else None,
            rebuilt=rebuilt,
        )
        if status == OPTIMAL:
            _extract(self.model, self.opt, results, result, with_duals)
            if with_ranging:
                result.ranging = compute_ranging(self.model, self.opt)
        return result


    def resolve_in_place(self) -> tuple[str, float | None]:
        """Re-solve the built model after its Params were changed directly (hot start, nothing extracted)."""
        assert self.model is not None and self.opt is not None
        results = self.opt.solve(self.model)
        status = _STATUS.get(results.termination_condition, ERROR)
        return status, results.incumbent_objective if status == OPTIMAL else None

    def column_positions(self, variables: list[Any]) -> list[int]:
        """HiGHS column positions of Pyomo variable data, for `column_values`."""
        assert self.opt is not None
        return [self.opt._pyomo_var_to_solver_var_map[id(v)] for v in variables]

    def column_values(self, positions: list[int]) -> list[float]:
        assert self.opt is not None
        values = self.opt._solver_model.getSolution().col_value
        return [values[j] for j in positions]


def _extract(m: pyo.ConcreteModel, opt: Highs, results: Any, out: SolveResult, with_duals: bool) -> None:
    primals = results.solution_loader.get_vars()
    for var in m.component_objects(pyo.Var, active=True):
        out.values[var.local_name] = {index: primals.get(v, 0.0) for index, v in var.items()}
    if not with_duals:
        return
    highs = opt._solver_model
    activity = highs.getSolution().row_value
    lp = highs.getLp()
    lower, upper = lp.row_lower_, lp.row_upper_
    rows = opt._pyomo_con_to_solver_con_map
    inf = highspy.kHighsInf
    for con in m.component_objects(pyo.Constraint, active=True):
        entries = {}
        for index, c in con.items():
            i = rows[c]
            low = None if lower[i] <= -inf else lower[i]
            entries[index] = (activity[i], low, None if upper[i] >= inf else upper[i])
        out.constraint_rows[con.local_name] = entries
    # HiGHS reports duals and reduced costs as d(objective)/d(bound) for a maximisation as well;
    # tests/test_families.py and tests/test_ranging.py check that sign against hand derivations and re-solves.
    reduced = results.solution_loader.get_reduced_costs()
    for var in m.component_objects(pyo.Var, active=True):
        out.reduced_costs[var.local_name] = {index: reduced.get(v, 0.0) for index, v in var.items()}
    duals = results.solution_loader.get_duals()
    for con in m.component_objects(pyo.Constraint, active=True):
        out.duals[con.local_name] = {index: duals.get(c, 0.0) for index, c in con.items()}
