"""The built Pyomo model as HiGHS arrays: one column per variable, one row per constraint, row-wise.

Pyomo's linear-representation visitor (the engine of its standard-form compiler) reads each
constraint body once at the Params' current values; the arrays go to HiGHS in one `passModel`.
Rows follow the model's constraints, component by component in declaration order, index by index,
so a family's rows are one contiguous slice of HiGHS's vectors. Columns come in the order the rows
first use them (then the objective's, then unused variables): the order Pyomo's persistent interface
gave them, so that HiGHS walks the same path and picks the same optimum where several are optimal.
The sums this model is made of (linear expressions of monomials, their sums, negations and products
with a constant) are read by a short walker of their own (`_walk`), which gives bit for bit what the
visitor gives (tests/test_handoff.py) at a third of its cost; any other expression goes to the visitor.
This replaces Pyomo's persistent `highs` interface, whose constraint-by-constraint hand-off cost 3-4x
more (see ../shared/PYOMO-HIGHS-NOTES.md and benchmarks/RESULTS.md).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.common.numeric_types import native_types
from pyomo.core.base import SortComponents
from pyomo.core.base.param import ParamData
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import (
    LinearExpression,
    MonomialTermExpression,
    NegationExpression,
    ProductExpression,
    SumExpression,
)
from pyomo.repn.linear import LinearRepnVisitor
from pyomo.repn.util import VarRecorder

INF = highspy.kHighsInf


@dataclass
class Slice:
    """One Constraint component's contiguous rows in HiGHS."""

    name: str
    keys: list[Any]
    start: int

    @property
    def stop(self) -> int:
        return self.start + len(self.keys)


@dataclass
class Columns:
    """One Var component's columns in HiGHS, key by key."""

    name: str
    keys: list[Any]
    columns: np.ndarray


@dataclass
class StandardForm:
    maximize: bool
    offset: float
    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    a_start: np.ndarray  # row-wise: row i's entries are a_index/a_value[a_start[i]:a_start[i+1]]
    a_index: np.ndarray
    a_value: np.ndarray
    variables: list[Columns]
    constraints: list[Slice]
    column_of: dict[int, int]  # id(VarData) -> column; emptied when the model is let go

    def row_key(self, row: int) -> tuple[str, Any]:
        """(Constraint component name, index) of HiGHS row `row`."""
        s = self.constraints[bisect_right([c.start for c in self.constraints], row) - 1]
        return s.name, s.keys[row - s.start]

    def same_pattern(self, other: StandardForm) -> bool:
        return (len(self.col_cost) == len(other.col_cost) and np.array_equal(self.a_start, other.a_start)
                and np.array_equal(self.a_index, other.a_index))

    def to_highs(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.col_cost), len(self.row_lower)
        lp.sense_ = highspy.ObjSense.kMaximize if self.maximize else highspy.ObjSense.kMinimize
        lp.offset_ = self.offset
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.col_cost, self.col_lower, self.col_upper
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = self.a_start, self.a_index, self.a_value
        return lp


def _bound(x: Any, default: float) -> float:
    if x is None:
        return default
    return float(x if x.__class__ in native_types else pyo.value(x))


def _constant(expr: Any, known: dict[int, tuple[Any, float]]) -> float | None:
    """The value of a fixed coefficient (a number, a Param, an expression of Params); None if it is not fixed."""
    if expr.__class__ in native_types:
        return expr
    if expr.__class__ is ParamData:
        return expr.value
    seen = known.get(id(expr))
    if seen is not None:
        return seen[1]
    if expr.is_potentially_variable():
        return None
    # shared per-crude products are evaluated once a hand-off; the entry keeps the expression alive, so
    # that its id cannot pass to a temporary made later (`to_bounded_expression` makes some)
    value = pyo.value(expr)
    known[id(expr)] = (expr, value)
    return value


def _walk(expr: Any, mult: float, linear: dict[int, float], known: dict[int, tuple[Any, float]]) -> float | None:
    """Add mult * expr's terms into `linear` (id(var) -> coefficient) and return mult * its constant;
    None when expr holds anything but sums, negations, monomials and products with a constant.
    For models without fixed variables only (the visitor makes a fixed variable a constant)."""
    cls = expr.__class__
    if cls is LinearExpression or cls is SumExpression:
        constant = 0.0
        for arg in expr.args:
            acls = arg.__class__
            if acls is MonomialTermExpression:
                coef, var = arg.args
                if coef.__class__ is ParamData:
                    # the stored number itself (`.value` checks it on every read: a third of the walk)
                    value = coef._value
                    coef = value if value.__class__ in native_types else coef.value
                else:
                    coef = _constant(coef, known)
                if coef is None:
                    return None
                coef = mult * coef
                vid = id(var)
                if vid in linear:
                    linear[vid] += coef
                elif coef:  # as the visitor: a term first met with a zero coefficient is left out
                    linear[vid] = coef
            elif acls is VarData:
                vid = id(arg)
                if vid in linear:
                    linear[vid] += mult
                elif mult:
                    linear[vid] = mult
            else:
                part = _walk(arg, mult, linear, known)
                if part is None:
                    return None
                constant += part
        return constant
    if cls is NegationExpression:
        return _walk(expr.args[0], -mult, linear, known)
    if cls is ProductExpression:
        a, b = expr.args
        factor = _constant(a, known)
        if factor is None:
            return None
        return _walk(b, mult * factor, linear, known)
    if cls is MonomialTermExpression or cls is VarData:
        return _walk(LinearExpression([expr]), mult, linear, known)
    value = _constant(expr, known)
    return None if value is None else mult * value


def compile_model(model: pyo.ConcreteModel, fast: bool = True) -> StandardForm:
    """The model's one objective and every active constraint at the Params' current values.

    `fast=False` reads every expression with Pyomo's visitor alone (the reference for the walker)."""
    with PauseGC():  # millions of list and dict entries, no garbage: the collector's passes are waste
        return _compile(model, fast)


def _compile(model: pyo.ConcreteModel, fast: bool) -> StandardForm:
    var_components = list(model.component_objects(pyo.Var, active=True))
    n = sum(len(var) for var in var_components)
    fast = fast and not any(v.fixed for var in var_components for v in var.values())
    visitor = None

    def visit(expr: Any) -> Any:
        """Pyomo's visitor on one expression (made on first use: the walker reads this model's sums)."""
        nonlocal visitor
        if visitor is None:
            var_map = {id(v): v for var in var_components for v in var.values()}
            visitor = LinearRepnVisitor({}, var_recorder=VarRecorder(var_map, SortComponents.deterministic))
        return visitor.walk_expression(expr)

    # Columns are numbered as the rows first use them (then the objective, then unused variables).
    # Entries go straight into typed arrays: a list of Python ints and floats would cost about five
    # times the memory (~70 bytes a nonzero) at the moment the model itself is largest.
    column_of: dict[int, int] = {}
    number = column_of.setdefault
    lower, upper = array("d"), array("d")
    starts = array("q", [0])
    index, values = array("i"), array("d")
    constraints = []
    known: dict[int, tuple[Any, float]] = {}
    for con in model.component_objects(pyo.Constraint, active=True):
        keys = []
        start = len(lower)
        for key, c in con.items():
            if not c.active:
                continue
            lb, body, ub = c.to_bounded_expression()
            linear: dict[int, float] = {}
            shift = _walk(body, 1, linear, known) if fast else None
            if shift is not None and not all(linear.values()):  # as the visitor: terms that cancel are left out
                linear = {vid: coef for vid, coef in linear.items() if coef}
            if shift is None:
                repn = visit(body)
                if repn.nonlinear is not None:
                    raise ValueError(f"constraint {c.name} is not linear")
                shift = repn.constant
                linear = repn.linear
            index.extend([number(vid, len(column_of)) for vid in linear])
            values.extend(linear.values())
            starts.append(len(index))
            lower.append(_bound(lb, -INF) - shift if lb is not None else -INF)
            upper.append(_bound(ub, INF) - shift if ub is not None else INF)
            keys.append(key)
        constraints.append(Slice(con.local_name, keys, start))

    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objectives) != 1:
        raise ValueError(f"the model has {len(objectives)} active objectives; the hand-off takes one")
    objective: dict[int, float] = {}
    offset = _walk(objectives[0].expr, 1, objective, known) if fast else None
    if offset is not None and not all(objective.values()):
        objective = {vid: coef for vid, coef in objective.items() if coef}
    if offset is None:
        repn = visit(objectives[0].expr)
        if repn.nonlinear is not None:
            raise ValueError("the objective is not linear")
        objective, offset = repn.linear, repn.constant
    for vid in objective:
        number(vid, len(column_of))
    for var in var_components:
        for v in var.values():
            number(id(v), len(column_of))
    if len(column_of) != n:
        raise ValueError("the model uses a variable that is not one of its components")
    cost = np.zeros(n)
    for vid, coef in objective.items():
        cost[column_of[vid]] += coef
    del objective
    col_lower, col_upper = np.empty(n), np.empty(n)
    variables = []
    for var in var_components:
        keys, positions = [], []
        for key, v in var.items():
            j = column_of[id(v)]
            keys.append(key)
            positions.append(j)
            lb, ub = v.bounds
            col_lower[j], col_upper[j] = _bound(lb, -INF), _bound(ub, INF)
        variables.append(Columns(var.local_name, keys, np.array(positions, dtype=np.int64)))
    # numpy views of the typed arrays, not copies (a copy would double them at the peak)
    return StandardForm(
        maximize=objectives[0].sense == pyo.maximize, offset=float(offset), col_cost=cost,
        col_lower=col_lower, col_upper=col_upper,
        row_lower=np.frombuffer(lower, dtype=float), row_upper=np.frombuffer(upper, dtype=float),
        a_start=np.frombuffer(starts, dtype=np.int64).astype(np.int32),
        a_index=np.frombuffer(index, dtype=np.int32), a_value=np.frombuffer(values, dtype=float),
        variables=variables, constraints=constraints, column_of=column_of)


def apply_changes(h: highspy.Highs, old: StandardForm, new: StandardForm) -> None:
    """Turn HiGHS's copy of `old` into `new` (same sparsity pattern) entry by entry: the basis stays."""
    changed = np.flatnonzero(old.col_cost != new.col_cost).astype(np.int32)
    if changed.size:
        h.changeColsCost(changed.size, changed, new.col_cost[changed])
    changed = np.flatnonzero((old.col_lower != new.col_lower) | (old.col_upper != new.col_upper)).astype(np.int32)
    if changed.size:
        h.changeColsBounds(changed.size, changed, new.col_lower[changed], new.col_upper[changed])
    changed = np.flatnonzero((old.row_lower != new.row_lower) | (old.row_upper != new.row_upper)).astype(np.int32)
    if changed.size:
        h.changeRowsBounds(changed.size, changed, new.row_lower[changed], new.row_upper[changed])
    changed = np.flatnonzero(old.a_value != new.a_value)
    if changed.size:
        row_of = np.searchsorted(new.a_start, changed, side="right") - 1
        for i, j, value in zip(row_of.tolist(), new.a_index[changed].tolist(), new.a_value[changed].tolist()):
            h.changeCoeff(i, j, value)
    if old.offset != new.offset:
        h.changeObjectiveOffset(new.offset)
