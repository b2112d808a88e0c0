"""The built Pyomo model as HiGHS arrays, with each coefficient's expression kept to re-evaluate.

A sweep builds the Pyomo model once per structure and reads it into plain arrays (costs, bounds,
column-wise matrix). Every number of those arrays that depends on a mutable Param keeps its Pyomo
expression, indexed by the Params it reads, so a change of a few Params re-evaluates only the LP
entries that read them. HiGHS is then driven by index (`optimizer.sweep_engine`): no Pyomo in the
solve loop, which is what makes a swept point cost about what HiGHS alone costs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.visitor import identify_mutable_parameters
from pyomo.repn import generate_standard_repn

from optimizer.sweep_engine import INF, Block, LpArrays

AFFINE_TOL = 1e-12  # relative: an entry this close to its slopes' prediction is read off them
MIN_AFFINE_OPTIONS = 24  # from this many options a block's entries are read off their slopes (checked)
ParamKey = tuple[str, Any]  # (Param name, index), as in `optimizer.model.param_values`
Cell = tuple  # ("cost", j) | ("coef", k) | ("row", i) | ("col", j) | ("offset", 0)


def _number(expr: Any) -> float | None:
    return None if expr is None else float(pyo.value(expr))


class LpTemplate:
    """One built model read into HiGHS arrays; `block` re-evaluates the entries a set of Params feeds."""

    def __init__(self, model: pyo.ConcreteModel):
        self.model = model
        self.columns = [v for var in model.component_objects(pyo.Var, active=True) for v in var.values()]
        self.column_of = {id(v): j for j, v in enumerate(self.columns)}
        self.rows = [c for con in model.component_objects(pyo.Constraint, active=True) for c in con.values()]
        self.exprs: dict[Cell, Any] = {}
        self.params: dict[ParamKey, Any] = {}
        self.readers: dict[ParamKey, list[Cell]] = {}

        objectives = list(model.component_data_objects(pyo.Objective, active=True))
        assert len(objectives) == 1, "the crude-slate model has one objective"
        objective = objectives[0]
        self.maximize = objective.sense == pyo.maximize
        repn = generate_standard_repn(objective.expr, compute_values=False, quadratic=False)
        self.cost_exprs: dict[int, list[Any]] = {}
        for var, coef in zip(repn.linear_vars, repn.linear_coefs):
            self.cost_exprs.setdefault(self.column_of[id(var)], []).append(coef)
        for j, terms in self.cost_exprs.items():
            self._track(("cost", j), terms)
        self.offset_expr = repn.constant
        self._track(("offset", 0), [repn.constant])

        self.row_exprs: list[tuple[Any, Any, Any]] = []
        coef_rows: list[int] = []
        coef_cols: list[int] = []
        self.coef_exprs: list[Any] = []
        for i, con in enumerate(self.rows):
            repn = generate_standard_repn(con.body, compute_values=False, quadratic=False)
            if repn.nonlinear_expr is not None or repn.quadratic_vars:
                raise NotImplementedError(f"constraint {con.name} is not linear")
            self.row_exprs.append((con.lower, con.upper, repn.constant))
            self._track(("row", i), [e for e in (con.lower, con.upper, repn.constant) if e is not None])
            for var, coef in zip(repn.linear_vars, repn.linear_coefs):
                k = len(self.coef_exprs)
                coef_rows.append(i)
                coef_cols.append(self.column_of[id(var)])
                self.coef_exprs.append(coef)
                self._track(("coef", k), [coef])
        self.coef_row = np.asarray(coef_rows, dtype=np.int32)
        self.coef_col = np.asarray(coef_cols, dtype=np.int32)
        for j, v in enumerate(self.columns):
            self._track(("col", j), [e for e in (v.lower, v.upper) if e is not None])

    def _track(self, cell: Cell, exprs: Iterable[Any]) -> None:
        for expr in exprs:
            if isinstance(expr, (int, float)):
                continue
            for param in identify_mutable_parameters(expr):
                key = (param.parent_component().local_name, param.index())
                self.params.setdefault(key, param)
                readers = self.readers.setdefault(key, [])
                if not readers or readers[-1] != cell:
                    readers.append(cell)

    # -- evaluating entries at the Params' current values -----------------------------------------

    def _cost(self, j: int) -> float:
        return float(sum(pyo.value(c) for c in self.cost_exprs.get(j, ())))

    def _row(self, i: int) -> tuple[float, float]:
        lower, upper, constant = self.row_exprs[i]
        shift = float(pyo.value(constant)) if constant is not None else 0.0
        return (-INF if lower is None else float(pyo.value(lower)) - shift,
                INF if upper is None else float(pyo.value(upper)) - shift)

    def _col(self, j: int) -> tuple[float, float]:
        v = self.columns[j]
        return (-INF if v.lower is None else float(pyo.value(v.lower)),
                INF if v.upper is None else float(pyo.value(v.upper)))

    def arrays(self) -> LpArrays:
        """The whole LP at the Params' current values, column-wise."""
        n = len(self.columns)
        cost = np.array([self._cost(j) for j in range(n)], dtype=float)
        bounds = np.array([self._col(j) for j in range(n)], dtype=float).reshape(n, 2)
        rows = np.array([self._row(i) for i in range(len(self.rows))], dtype=float).reshape(len(self.rows), 2)
        values = np.array([float(pyo.value(e)) for e in self.coef_exprs], dtype=float)
        order = np.lexsort((self.coef_row, self.coef_col))
        start = np.searchsorted(self.coef_col[order], np.arange(n + 1)).astype(np.int32)
        return LpArrays(maximize=self.maximize, offset=_number(self.offset_expr) or 0.0, col_cost=cost,
                        col_lower=bounds[:, 0].copy(), col_upper=bounds[:, 1].copy(),
                        row_lower=rows[:, 0].copy(), row_upper=rows[:, 1].copy(), a_start=start,
                        a_index=self.coef_row[order].copy(), a_value=values[order])

    def cells(self, keys: Iterable[ParamKey]) -> list[Cell]:
        """Every LP entry that reads one of these Params, in a fixed order."""
        found = {cell for key in keys for cell in self.readers.get(key, ())}
        return sorted(found)

    def set_params(self, values: Mapping[ParamKey, float]) -> None:
        for key, value in values.items():
            param = self.params.get(key)
            if param is not None:
                param.set_value(value)

    def _values(self, cells: Sequence[Cell]) -> np.ndarray:
        """The entries of `cells` at the Params' current values, flat (a row or column bound: two numbers)."""
        out: list[float] = []
        for kind, i in cells:
            if kind == "cost":
                out.append(self._cost(i))
            elif kind == "coef":
                out.append(float(pyo.value(self.coef_exprs[i])))
            elif kind == "row":
                out.extend(self._row(i))
            elif kind == "col":
                out.extend(self._col(i))
            else:
                out.append(_number(self.offset_expr) or 0.0)
        return np.asarray(out, dtype=float)

    def _at(self, cells: Sequence[Cell], option: Mapping[ParamKey, float],
            base: Mapping[ParamKey, float]) -> np.ndarray:
        self.set_params(option)
        try:
            return self._values(cells)
        finally:
            self.set_params({key: base[key] for key in option})

    def _affine(self, cells: list[Cell], options: Sequence[Mapping[ParamKey, float]],
                base: Mapping[ParamKey, float]) -> np.ndarray | None:
        """The entries under every option read off their slopes in each Param: each Param moved once, and
        only the entries that read it evaluated; None when full evaluations at check options disagree
        (an entry not affine in the Params, e.g. a product of two of them)."""
        keys = sorted({key for option in options for key in option}, key=repr)
        deltas = np.array([[option.get(key, base[key]) - base[key] for key in keys] for option in options])
        position: dict[Cell, list[int]] = {}
        for cell in cells:
            width = 2 if cell[0] in ("row", "col") else 1
            start = sum(len(p) for p in position.values())
            position[cell] = list(range(start, start + width))
        v0 = self._at(cells, {}, base)
        finite = np.isfinite(v0)
        slopes = np.zeros((len(keys), len(v0)))
        for c, key in enumerate(keys):
            o = int(np.argmax(np.abs(deltas[:, c])))  # a value the Param takes in the sweep (within its domain)
            step = deltas[o, c]
            readers = [cell for cell in self.readers.get(key, ()) if cell in position]
            if step == 0 or not readers:
                continue
            at = np.asarray([p for cell in readers for p in position[cell]])
            moved = self._at(readers, {key: base[key] + step}, base)
            ok = finite[at]
            slopes[c, at[ok]] = (moved[ok] - v0[at[ok]]) / step
        predicted = v0 + deltas @ slopes
        predicted[:, ~finite] = v0[~finite]
        n = len(options)
        far = np.argsort(-np.abs(deltas).sum(axis=1), kind="stable")[:3]
        checks = sorted({0, n - 1, *far.tolist(), *np.linspace(0, n - 1, 7).round().astype(int).tolist()})
        for o in checks:
            full = self._at(cells, options[o], base)
            same = np.where(finite, np.abs(full - predicted[o]) <= AFFINE_TOL * np.maximum(1.0, np.abs(full)),
                            full == v0)
            if not same.all():
                return None
            predicted[o] = full
        return predicted

    def block(self, cells: list[Cell], options: Sequence[Mapping[ParamKey, float]],
              base: Mapping[ParamKey, float]) -> Block:
        """The values `cells` take under each option (Params to set on top of `base`); Params end at `base`.
        With many options, the values are read off each entry's slopes in the Params (checked)."""
        order = sorted(cells, key=lambda c: ("cost", "coef", "row", "col", "offset").index(c[0]))
        cost_cols = [c[1] for c in order if c[0] == "cost"]
        coefs = [c[1] for c in order if c[0] == "coef"]
        rows = [c[1] for c in order if c[0] == "row"]
        cols = [c[1] for c in order if c[0] == "col"]
        offset = any(c[0] == "offset" for c in order)
        if not offset:
            order.append(("offset", 0))  # evaluated either way: keeps the layout fixed
        n = len(options)
        flat = self._affine(order, options, base) if n >= MIN_AFFINE_OPTIONS else None
        if flat is None:
            flat = np.array([self._at(order, option, base) for option in options])
        flat = flat.reshape(n, -1)
        a, b, c = len(cost_cols), len(cost_cols) + len(coefs), len(cost_cols) + len(coefs) + 2 * len(rows)
        row = flat[:, b:c].reshape(n, len(rows), 2)
        col = flat[:, c:-1].reshape(n, len(cols), 2)
        return Block(cost_cols=np.asarray(cost_cols, dtype=np.int32), cost=flat[:, :a].copy(),
                     coef_row=self.coef_row[coefs], coef_col=self.coef_col[coefs], coef=flat[:, a:b].copy(),
                     row_index=np.asarray(rows, dtype=np.int32), row_lower=row[:, :, 0].copy(),
                     row_upper=row[:, :, 1].copy(), col_index=np.asarray(cols, dtype=np.int32),
                     col_lower=col[:, :, 0].copy(), col_upper=col[:, :, 1].copy(),
                     offset=flat[:, -1].copy() if offset else None)

    def column_indices(self, var: pyo.Var, indices: list[Any]) -> np.ndarray:
        return np.asarray([self.column_of[id(var[i])] for i in indices], dtype=np.int32)
