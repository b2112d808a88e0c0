"""The hand-off's own walker reads the model exactly as Pyomo's linear-representation visitor does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

from optimizer.data import derive
from optimizer.handoff import compile_model
from optimizer.model import build_model
from optimizer.scenarios import resolve
from optimizer.validate import load_instance
from tests.generate import generate

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
ARRAYS = ("col_cost", "col_lower", "col_upper", "row_lower", "row_upper", "a_start", "a_index", "a_value")


def _instances(tmp: Path):
    for name in ("toy_two_crudes", "textbook_refinery", "gulf_coast_2026"):
        instance = load_instance(INSTANCES / name)
        for scenario in ("base", *instance.scenarios):
            yield f"{name}/{scenario}", derive(resolve(instance, scenario))
    yield "generated_30x40", derive(load_instance(generate(tmp / "gen", seed=3)))


def test_walker_matches_the_visitor_bit_for_bit(tmp_path):
    for name, d in _instances(tmp_path):
        model = build_model(d)
        fast, reference = compile_model(model), compile_model(model, fast=False)
        for array in ARRAYS:
            assert np.array_equal(getattr(fast, array), getattr(reference, array)), (name, array)
        assert fast.offset == reference.offset and fast.maximize == reference.maximize
        assert fast.column_of == reference.column_of, name
        assert [(s.name, s.keys, s.start) for s in fast.constraints] == [
            (s.name, s.keys, s.start) for s in reference.constraints]


def test_a_variable_outside_the_model_is_refused():
    import pyomo.environ as pyo

    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeReals)
    other = pyo.ConcreteModel()
    other.y = pyo.Var()
    m.c = pyo.Constraint(expr=m.x + other.y <= 1)
    m.o = pyo.Objective(expr=m.x, sense=pyo.maximize)
    with pytest.raises(ValueError, match="not one of its components"):
        compile_model(m)


def test_a_solver_that_lets_the_model_go_gives_the_same_plan():
    """`keep_model=False` (the last scenario of `crudeslate solve`) frees the Pyomo model before HiGHS runs;
    the plan, duals and ranging must be those of a solver that keeps it, and the next solve rebuilds."""
    from optimizer.solve import SlateSolver

    instance = load_instance(INSTANCES / "gulf_coast_2026")
    kept, lean = SlateSolver(), SlateSolver(keep_model=False)
    for scenario in ("sanctions_2025", "open_venezuela"):
        d = derive(resolve(instance, scenario))
        a, b = kept.solve(d, with_ranging=True), lean.solve(d, with_ranging=True)
        assert lean.model is None and kept.model is not None
        assert lean.form is not None and lean.form.column_of == {}
        assert b.rebuilt and b.objective_kusd_per_day == a.objective_kusd_per_day
        assert b.values == a.values and b.duals == a.duals and b.reduced_costs == a.reduced_costs
        assert a.ranging is not None and b.ranging is not None and b.ranging.cost == a.ranging.cost


def test_rows_are_named_without_the_model():
    """An infeasible subsystem is mapped to constraint families through the row slices alone."""
    from optimizer.solve import SlateSolver

    instance = load_instance(INSTANCES / "toy_two_crudes")
    d = derive(instance)
    kept = SlateSolver()
    kept.solve(d)
    assert kept.model is not None and kept.form is not None
    expected = [(con.parent_component().local_name, con.index())
                for con in kept.model.component_data_objects(pyo.Constraint, active=True)]
    lean = SlateSolver(keep_model=False)
    lean.solve(d)
    assert [lean.row_key(i) for i in range(len(expected))] == expected
