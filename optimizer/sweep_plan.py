"""Planning a sweep: check every point before any solve, and turn the points into LP changes.

Per scenario the base is resolved, validated and derived once, the Pyomo model is built once and
read into arrays (`optimizer.sweep_lp`), and its optimal basis found. Then each swept parameter is
probed: its overrides are applied to the base tables (every value: the cell-range checks of `--set`)
and the instance is derived in full at its lowest, highest and a middle value. What a probe shows:

- which model Params the parameter moves. Parameters that move disjoint Params (and touch
  different cells) are *separable*: a point's Params are the base's with each parameter's own
  changes laid over. The last point of the sweep is derived in full to check that; a mismatch
  makes every parameter joint.
- how they move. `derive` turns a cell into Params by sums and products with other cells, so a
  cell's Params are affine in it (API gravity, through specific gravity, is the exception). When
  the middle probe lies on the line through the ends (to 1e-12), the values in between are read
  off that line; otherwise every value is derived in full.
- whether the model's rows and columns change (crude and unit yields can switch a stream on or
  off, cut qualities can make a blend pooled). Such parameters, and those moving shared Params,
  are derived in full for every combination of their values; a point whose structure differs
  from the base gets a model of its own (built once per structure).

Cross-table rules (`optimizer.validate`) are checked at the ends of every range, and at every corner
of the parameters that share a table: those rules are linear in the swept cells, so holding at the
corners they hold in between. The result is a `Plan` of numpy arrays for `optimizer.sweep_engine`.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.data import ModelData, derive
from optimizer.errors import InstanceError, Problem
from optimizer.instance import BASE_SCENARIO, Instance
from optimizer.model import build_model, param_values, structure_key
from optimizer.paths import Override, apply_override, matching_rows
from optimizer.results import origin_column
from optimizer.scenarios import resolve
from optimizer.sweep_engine import Block, Plan, Template, solve_base
from optimizer.sweep_lp import LpTemplate, ParamKey
from optimizer.sweep_spec import WHERE, Vary, format_value
from optimizer.validate import CheckCache, cross_check

# Columns whose numbers can change the model's rows and columns, not only its coefficients.
STRUCTURAL_COLUMNS = {("crude_yields", "yield_vol_frac"), ("unit_yields", "yield_vol_frac"), ("cut_qualities", "value")}
AFFINE_TOL = 1e-12  # relative: a middle probe this close to the line through the ends is on it
MAX_CORNER_DIMS = 6  # a table shared by more swept parameters is checked at each one's ends only
MAX_PROBLEMS_PER_VARY = 3  # out-of-range values listed per --vary; the rest are counted
MIN_POOLED_TASKS = 8  # fewer derivations than this run here: forking the planner costs about one of them


@dataclass
class Source:
    """Params supplied together: by one separable parameter (options = its values) or by a group of
    joint parameters (options = the combinations of their values that occur)."""

    dims: tuple[int, ...]
    keys: list[ParamKey]
    options: dict[tuple[int, ...], int]
    values: np.ndarray  # (options, keys)
    how: str
    structural: frozenset[int] = frozenset()  # options whose model structure differs from the base


@dataclass
class PlanReport:
    """What planning found and how long it took, for the manifest."""

    notes: list[str] = field(default_factory=list)
    derivations: int = 0
    validations: int = 0
    templates: int = 0
    structural_points: int = 0
    base_status: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    progress: Any = None  # optional: `stage(text)`, `expect(count)`, `advance(count)` (the command's bar)

    def stage(self, text: str) -> None:
        if self.progress is not None:
            self.progress.stage(text)


SUMMARY_TAIL = ("status", "objective_kusd_per_day", "crude_run_kbd")
LONG_HEADER = ("point", "scenario", "refinery_id", "crude_id", "volume_kbd", "reduced_cost_usd_per_bbl")


def flat_params(d: ModelData) -> dict[ParamKey, float]:
    return {(name, index): float(value) for name, values in param_values(d).items() for index, value in values.items()}


def _with_overrides(base: Instance, overrides: Sequence[Override], problems: list[Problem]) -> Instance:
    """A copy of `base` sharing every table but those the overrides touch."""
    clone = base.copy(share=True)
    for override in overrides:
        apply_override(clone, override, WHERE, problems)
    return clone


def value_problems(base: Instance, scenario: str, varies: Sequence[Vary]) -> list[Problem]:
    """Every value of every parameter through the cell-range checks of `--set` on the scenario's tables.
    A path that addresses no row is reported once, with every row id (and the closest) to choose from; a
    problem every value has (an empty cell shifted) once for the whole SPEC; one that depends on the
    value for each value, up to MAX_PROBLEMS_PER_VARY, the rest counted."""
    import difflib

    problems: list[Problem] = []
    suffix = f" (scenario {scenario})" if scenario != BASE_SCENARIO else ""
    for vary in varies:
        path = vary.path
        frame = base.tables[path.table]
        if not matching_rows(base, path):
            if path.row is not None:
                ids = [str(i) for i in frame.index]
                close = difflib.get_close_matches(path.row, ids, n=3, cutoff=0.6)
                hint = (f"did you mean {' or '.join(close)}? " if close else "") + \
                    f"Use a row id of {path.table}: {', '.join(ids) or '(the table is empty)'}."
                hint = hint[0].lower() + hint[1:]
            else:
                present = sorted(set(map(str, frame[path.filter_column])))
                close = difflib.get_close_matches(path.filter_value or "", present, n=3, cutoff=0.6)
                hint = (f"did you mean {' or '.join(close)}? " if close else "") + \
                    f"{path.filter_column} holds: {', '.join(present)}."
            problems.append(Problem(WHERE, f"points at no row of {path.table}{suffix}.", hint, value=vary.text))
            continue
        by_message: dict[tuple[str, str], list[Problem]] = {}
        checked = list(dict.fromkeys(vary.values))
        for value in checked:
            found: list[Problem] = []
            _with_overrides(base, [Override(path, vary.op, value)], found)
            for problem in found:
                by_message.setdefault((problem.message, problem.hint), []).append(problem)
        per_value: list[Problem] = []
        for (message, hint), found in by_message.items():
            if len(found) == len(checked) and len(checked) > 1:  # not the value's doing: once for the SPEC
                problems.append(Problem(WHERE, f"{message[:-1]}, whatever the value{suffix}.", hint,
                                        value=vary.text))
            else:
                per_value.extend(found)
        if len(per_value) > MAX_PROBLEMS_PER_VARY:
            more = len(per_value) - MAX_PROBLEMS_PER_VARY
            per_value = per_value[:MAX_PROBLEMS_PER_VARY] + [Problem(WHERE, f"has {more} more value(s) that fail the "
                                                                     "same way.", "narrow the SPEC.", value=vary.text)]
        problems.extend(Problem(p.file, p.message + suffix, p.hint, p.row, p.column, p.value) for p in per_value)
    return problems


class ScenarioPlanner:
    """Checks and plans one scenario's points (`plan_sweep` stacks the scenarios)."""

    def __init__(self, instance: Instance, scenario: str, varies: list[Vary], grid: list[tuple[int, ...]],
                 report: PlanReport):
        self.varies, self.grid, self.report, self.scenario = varies, grid, report, scenario
        report.stage(f"{scenario}: building the model")
        self.base = resolve(instance, scenario)
        # the base's findings, reused at the points for every check whose tables the swept cells leave alone
        self.checks = CheckCache(self.base)
        self._validate(self.base, {})
        self.d0 = derive(self.base)
        report.derivations += 1
        self.p0 = flat_params(self.d0)
        self.key0 = structure_key(self.d0)
        self.model = build_model(self.d0)
        self.lp = LpTemplate(self.model)
        self._derived: dict[tuple[tuple[int, int], ...], tuple[tuple, dict[ParamKey, float], ModelData | None]] = {}
        self.pool: Executor | None = None  # set by `plan_sweep` when there are cores to spare

    def _map(self, method: str, choices: list[dict[int, int]]) -> list[Any]:
        """`method(choice)` for every choice: in the planning pool when there is one and work to share."""
        progress = self.report.progress
        if progress is not None:
            progress.expect(len(choices))
        if self.pool is None or len(choices) < MIN_POOLED_TASKS:
            found = (getattr(self, method)(choice) for choice in choices)
        else:
            found = self.pool.map(_in_child, [(method, choice) for choice in choices])
        results = []
        for result in found:
            results.append(result)
            if progress is not None:
                progress.advance(1)
        return results

    # -- applying values ---------------------------------------------------------------------------

    def _overrides(self, choice: dict[int, int]) -> list[Override]:
        return [Override(v.path, v.op, v.values[choice[i]]) for i, v in enumerate(self.varies) if i in choice]

    def _describe(self, choice: dict[int, int]) -> str:
        parts = [f"{self.varies[i].column}{format_value(self.varies[i].values[k])}" for i, k in sorted(choice.items())]
        scenario = f"scenario {self.scenario}" + (", " if parts else "")
        return scenario + ", ".join(parts)

    def _instance(self, choice: dict[int, int]) -> Instance:
        problems: list[Problem] = []
        instance = _with_overrides(self.base, self._overrides(choice), problems)
        if problems:
            raise InstanceError(problems)
        return instance

    def _validate(self, instance: Instance, choice: dict[int, int]) -> None:
        self.report.validations += 1
        problems = self._problems_at(choice, instance)
        if problems:
            raise InstanceError(problems)

    def _problems_at(self, choice: dict[int, int], instance: Instance | None = None) -> list[Problem]:
        """Cross-table problems of the base with `choice`'s overrides, each saying which point it is."""
        problems = cross_check(instance if instance is not None else self._instance(choice), None, self.checks)
        where = self._describe(choice)
        return [Problem(p.file, f"{p.message} (at {where})", p.hint, p.row, p.column, p.value) for p in problems]

    def derived(self, choice: dict[int, int]) -> tuple[tuple, dict[ParamKey, float], ModelData | None]:
        """The base with `choice`'s overrides derived in full (cached): its structure key, the Params that
        differ from the base's, and (only when the structure differs) the data itself."""
        self.prefetch([choice])
        return self._derived[tuple(sorted(choice.items()))]

    def prefetch(self, choices: list[dict[int, int]]) -> None:
        """Derive every choice not derived yet, in the planning pool when there is one."""
        missing = list({tuple(sorted(c.items())): c for c in choices
                        if tuple(sorted(c.items())) not in self._derived}.items())
        for (key, _), found in zip(missing, self._map("_derive", [c for _, c in missing])):
            self._derived[key] = found
        self.report.derivations += len(missing)

    def _derive(self, choice: dict[int, int]) -> tuple[tuple, dict[ParamKey, float], ModelData | None]:
        d = derive(self._instance(choice))
        skey = structure_key(d)
        diff = {k: v for k, v in flat_params(d).items() if self.p0.get(k) != v}
        return skey, diff, d if skey != self.key0 else None

    def _value(self, diff: dict[ParamKey, float], key: ParamKey) -> float:
        return diff.get(key, self.p0[key])

    # -- checks before any solve -------------------------------------------------------------------

    def check_values(self) -> None:
        """Every value of every parameter through the cell-range checks of `--set`; all problems at once."""
        problems = value_problems(self.base, self.scenario, self.varies)
        if problems:
            raise InstanceError(problems)

    def check_rules(self, zipped: bool) -> None:
        """Cross-table rules at the ends of each range and the corners of parameters sharing a table."""
        by_table: dict[str, list[int]] = {}
        for i, vary in enumerate(self.varies):
            by_table.setdefault(vary.path.table, []).append(i)
        choices: list[dict[int, int]] = []
        for dims in by_table.values():
            ends = {i: sorted({int(np.argmin(self.varies[i].values)), int(np.argmax(self.varies[i].values))})
                    for i in dims}
            if zipped and len(dims) > 1:
                # the walk's own points where a parameter reaches an end
                for i in dims:
                    choices.extend({j: k for j in dims} for k in ends[i])
            elif len(dims) > MAX_CORNER_DIMS:
                choices.extend({i: k} for i in dims for k in ends[i])
            else:
                choices.extend(dict(zip(dims, combo)) for combo in itertools.product(*(ends[i] for i in dims)))
        unique = list({tuple(sorted(c.items())): c for c in choices}.values())
        self.report.validations += len(unique)
        problems: list[Problem] = []
        for found in self._map("_problems_at", unique):
            problems.extend(p for p in found if p not in problems)
        if problems:
            raise InstanceError(problems)

    # -- how each parameter moves the model ---------------------------------------------------------

    def _probes(self, i: int) -> tuple[dict[float, int], int, int | None, int]:
        """Parameter i's distinct values (value -> first index) and the indices of its lowest, middle
        (None with fewer than 3 values) and highest value."""
        values = self.varies[i].values
        first: dict[float, int] = {}
        for k, value in enumerate(values):
            first.setdefault(value, k)
        lo, hi = first[min(first)], first[max(first)]
        middle = min((k for k in first.values() if k not in (lo, hi)),
                     key=lambda k: abs(values[k] - (values[lo] + values[hi]) / 2), default=None)
        return first, lo, middle, hi

    def _probe(self, i: int) -> tuple[list[ParamKey], np.ndarray | None, str]:
        """Params moved by parameter i, their values for each of its values (None: structural), and how."""
        vary = self.varies[i]
        values = np.asarray(vary.values)
        first, lo, middle, hi = self._probes(i)
        # one distinct value: lo is hi (and there is no middle); each probe once
        probes = list(dict.fromkeys(k for k in (lo, middle, hi) if k is not None))
        found = {k: self.derived({i: k}) for k in probes}
        keys = sorted({key for skey, diff, _ in found.values() if skey == self.key0 for key in diff}, key=repr)
        if any(skey != self.key0 for skey, _, _ in found.values()) or \
                (vary.path.table, vary.path.column) in STRUCTURAL_COLUMNS:
            return keys, None, "can change the model's structure"
        if len(first) == len(probes):
            table = [[self._value(found[first[value]][1], key) for key in keys] for value in vary.values]
            return keys, np.array(table).reshape(len(values), len(keys)), "derived in full at every value"
        assert middle is not None
        at = {k: np.array([self._value(found[k][1], key) for key in keys]) for k in probes}
        slope = (at[hi] - at[lo]) / (values[hi] - values[lo])
        line = at[lo] + np.outer(values - values[lo], slope)
        scale = np.maximum(1.0, np.maximum(np.abs(at[lo]), np.abs(at[hi])))
        if np.all(np.abs(line[middle] - at[middle]) <= AFFINE_TOL * scale):
            line[values == values[lo]], line[values == values[hi]] = at[lo], at[hi]
            return keys, line, "affine: read off the line through 3 full derivations"
        self.prefetch([{i: k} for k in first.values()])
        table = [[self._value(self.derived({i: first[value]})[1], key) for key in keys] for value in vary.values]
        return keys, np.array(table).reshape(len(values), len(keys)), "not affine: derived in full at every value"

    def sources(self) -> list[Source]:
        """Group the parameters into sources of Params: separable ones alone, the rest joint."""
        n = len(self.varies)
        self.report.stage(f"{self.scenario}: probing the parameters")
        self.prefetch([{i: k} for i in range(n) for k in self._probes(i)[1:] if k is not None]
                      + ([dict(enumerate(self.grid[-1]))] if n > 1 else []))
        probed = [self._probe(i) for i in range(n)]
        cells = [{(v.path.table, row, v.path.column) for row in matching_rows(self.base, v.path)} for v in self.varies]
        root = list(range(n))

        def find(i: int) -> int:
            while root[i] != i:
                i = root[i]
            return i

        structural = [i for i in range(n) if probed[i][1] is None]
        tangled = set()  # parameters that share cells with another, or both change the structure
        for i, j in itertools.combinations(range(n), 2):
            hard = bool(cells[i] & cells[j]) or (i in structural and j in structural)
            if hard or set(probed[i][0]) & set(probed[j][0]):
                root[find(j)] = find(i)
            if hard:
                tangled |= {i, j}
        members: dict[int, list[int]] = {}
        for i in range(n):
            members.setdefault(find(i), []).append(i)
        sources = []
        for dims in members.values():
            keys, table, how = probed[dims[0]]
            if len(dims) == 1 and table is not None:
                i = dims[0]
                sources.append(Source((i,), keys, {(k,): k for k in range(len(self.varies[i].values))}, table,
                                      f"{self.varies[i].column}: {how}"))
                continue
            if len(dims) > 1 and not tangled & set(dims) and \
                    all(probed[i][1] is not None and not probed[i][2].startswith("not affine") for i in dims):
                # different cells feeding the same Params (a marker price and a crude's differential both
                # make the crude's price): their changes may simply add up; checked by full derivations
                additive = self._additive(tuple(dims), [probed[i] for i in dims])
                if additive is not None:
                    sources.append(additive)
                    continue
                sources.append(self._joint(tuple(dims), "move the same Params and their changes do not add up"))
                continue
            why = "can change the model's structure" if len(dims) == 1 else "moves cells or Params another moves"
            sources.append(self._joint(tuple(dims), why))
        if len(sources) > 1 and not self._separable(sources):
            self.report.notes.append(f"scenario {self.scenario}: the parameters' changes do not add up; "
                                     "every point is derived in full")
            return [self._joint(tuple(range(n)), "do not compose")]
        return sources

    def _additive(self, dims: tuple[int, ...], probed: list[tuple[list[ParamKey], np.ndarray | None, str]]
                  ) -> Source | None:
        """Parameters moving the same Params from different cells, composed by adding each one's change
        to the base Params; None (derive every combination) unless full derivations at the corners of
        their ranges and at the middle agree with that sum. `derive` makes Params from cells by sums and
        products, so a Param is multi-affine in these cells: one that matches the sum at every corner
        of the box matches it everywhere in it (for a walk, --zip, its own points are checked)."""
        combos = sorted({tuple(point[i] for i in dims) for point in self.grid})
        keys = sorted({key for found, _, _ in probed for key in found}, key=repr)
        column = {key: c for c, key in enumerate(keys)}
        base = np.array([self.p0[key] for key in keys])
        index = np.asarray(combos, dtype=np.int64).reshape(len(combos), len(dims))
        values = np.tile(base, (len(combos), 1))
        for d, (found, table, _) in enumerate(probed):
            assert table is not None
            at = [column[key] for key in found]
            values[:, at] += table[index[:, d]] - base[at]
        checks = self._corner_combos(dims, combos)
        self.prefetch([dict(zip(dims, combo)) for combo in checks])
        option = {combo: o for o, combo in enumerate(combos)}
        for combo in checks:
            skey, diff, _ = self.derived(dict(zip(dims, combo)))
            if skey != self.key0 or not set(diff) <= set(column):
                return None
            row = values[option[combo]]
            for key, c in column.items():
                expected = self._value(diff, key)
                if abs(row[c] - expected) > AFFINE_TOL * max(1.0, abs(expected), abs(self.p0[key])):
                    return None
        names = ", ".join(self.varies[i].column for i in dims)
        return Source(dims, keys, option, values,
                      f"{names}: different cells moving the same Params; their changes add up (checked by full "
                      f"derivations at {len(checks)} corner(s) and middle point(s)): {len(combos)} combination(s) "
                      "composed")

    def _corner_combos(self, dims: tuple[int, ...], combos: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        """The combinations that check a composition: every corner of the parameters' ranges (for a walk:
        its points where a parameter reaches an end) and the point nearest the middle of every range."""
        ends = [sorted({int(np.argmin(self.varies[i].values)), int(np.argmax(self.varies[i].values))}) for i in dims]
        present = set(combos)
        corners = [c for c in itertools.product(*ends) if c in present] if len(dims) <= MAX_CORNER_DIMS else []
        if len(corners) < 2:  # a walk (--zip), or too many dimensions: where each parameter reaches an end
            corners = [next(c for c in combos if c[d] == k) for d in range(len(dims)) for k in ends[d]]
        spans = [max(np.ptp(self.varies[i].values), 1e-300) for i in dims]
        centre = [(min(self.varies[i].values) + max(self.varies[i].values)) / 2 for i in dims]
        middle = min(combos, key=lambda c: sum(abs(self.varies[i].values[k] - m) / w
                                               for i, k, m, w in zip(dims, c, centre, spans)))
        return sorted({*corners, middle, combos[-1]})

    def _joint(self, dims: tuple[int, ...], why: str) -> Source:
        combos = sorted({tuple(point[i] for i in dims) for point in self.grid})
        self.report.stage(f"{self.scenario}: deriving {len(combos)} combinations")
        self.prefetch([dict(zip(dims, combo)) for combo in combos])
        found = [self.derived(dict(zip(dims, combo))) for combo in combos]
        keys = sorted({key for skey, diff, _ in found if skey == self.key0 for key in diff}, key=repr)
        table = np.array([[self._value(diff, key) for key in keys] if skey == self.key0 else [math.nan] * len(keys)
                          for skey, diff, _ in found]).reshape(len(combos), len(keys))
        names = ", ".join(self.varies[i].column for i in dims)
        return Source(dims, keys, {combo: o for o, combo in enumerate(combos)}, table,
                      f"{names}: {why}: derived in full for each of {len(combos)} combination(s)",
                      frozenset(o for o, (skey, _, _) in enumerate(found) if skey != self.key0))

    def _separable(self, sources: list[Source]) -> bool:
        """Does the last point of the base structure, derived in full, equal the base with each source laid over?"""
        for point in reversed(self.grid):
            options = [source.options[tuple(point[i] for i in source.dims)] for source in sources]
            if not any(o in source.structural for source, o in zip(sources, options)):
                break
        else:
            return True
        skey, diff, _ = self.derived(dict(enumerate(point)))
        if skey != self.key0:
            return False
        composed: dict[ParamKey, float] = {}
        for source, option in zip(sources, options):
            composed.update(zip(source.keys, source.values[option].tolist()))
        return all(abs(composed.get(k, self.p0[k]) - self._value(diff, k)) <= AFFINE_TOL * max(1.0, abs(self._value(
            diff, k))) for k in set(diff) | set(composed))

    # -- the LP changes of every point ---------------------------------------------------------------

    def templates(self, sources: list[Source]) -> tuple[list[Template], list[int], list[list[int]]]:
        """The scenario's templates, and for each point its template (local index) and block options."""
        pairs = self.d0.PAIRS
        self.report.stage(f"{self.scenario}: LP changes, base solve")
        base_template, blocks, block_options = self._base_blocks(sources)
        templates = [base_template]
        point_template: list[int] = []
        point_options: list[list[int]] = []
        own: list[int] = []
        for p, point in enumerate(self.grid):
            options = [source.options[tuple(point[i] for i in source.dims)] for source in sources]
            if any(o in source.structural for source, o in zip(sources, options)):
                own.append(p)
                point_template.append(-1)
                point_options.append([])
                continue
            point_template.append(0)
            point_options.append([block_options[b][tuple(options[s] for s in block)] for b, block in
                                  enumerate(blocks)])
        self.prefetch([dict(enumerate(self.grid[p])) for p in own])
        structural: dict[tuple, list[int]] = {}
        for p in own:
            structural.setdefault(self.derived(dict(enumerate(self.grid[p])))[0], []).append(p)
        for points in structural.values():
            self.report.structural_points += len(points)
            index = len(templates)
            templates.append(self._structural_template(points, pairs))
            for o, p in enumerate(points):
                point_template[p] = index
                point_options[p] = [o]
        return templates, point_template, point_options

    def _base_blocks(self, sources: list[Source]) -> tuple[Template, list[tuple[int, ...]],
                                                           list[dict[tuple[int, ...], int]]]:
        readers: dict[tuple, set[int]] = {}
        for s, source in enumerate(sources):
            for cell in self.lp.cells(source.keys):
                readers.setdefault(cell, set()).add(s)
        by_sources: dict[tuple[int, ...], list[tuple]] = {}
        for cell, found in readers.items():
            by_sources.setdefault(tuple(sorted(found)), []).append(cell)
        blocks: list[Block] = []
        groups = sorted(by_sources)
        options_of: list[dict[tuple[int, ...], int]] = []
        for group in groups:
            combos = sorted({tuple(sources[s].options[tuple(point[i] for i in sources[s].dims)] for s in group)
                             for point in self.grid})
            combos = [c for c in combos if not any(o in sources[s].structural for s, o in zip(group, c))]
            assignments = []
            for combo in combos:
                assignment: dict[ParamKey, float] = {}
                for s, o in zip(group, combo):
                    assignment.update(zip(sources[s].keys, sources[s].values[o].tolist()))
                assignments.append(assignment)
            blocks.append(self.lp.block(sorted(by_sources[group]), assignments, self.p0))
            options_of.append({combo: o for o, combo in enumerate(combos)})
        lp = self.lp.arrays()
        status, objective, basis = solve_base(lp)
        self.report.base_status[self.scenario] = status if objective is None else f"{status}, {objective:.10g}"
        buy = self.lp.column_indices(self.model.Buy, self.d0.PAIRS)
        return Template(lp, basis, blocks, buy), groups, options_of

    def _structural_template(self, points: list[int], pairs: list[tuple[str, str]]) -> Template:
        """A model of its own for points whose structure differs from the base: one block, one option a point."""
        data = [self.derived(dict(enumerate(self.grid[p])))[2] for p in points]
        assert all(d is not None for d in data)
        params = [flat_params(d) for d in data if d is not None]
        first = data[0]
        assert first is not None
        model = build_model(first)
        lp = LpTemplate(model)
        base = params[0]
        keys = sorted({key for p in params for key, value in p.items() if value != base[key]}, key=repr)
        block = lp.block(lp.cells(keys), [{key: p[key] for key in keys} for p in params], base)
        arrays = lp.arrays()
        _, _, basis = solve_base(arrays)
        self.report.templates += 1
        self.report.notes.append(f"scenario {self.scenario}: {len(points)} point(s) change the model's structure; "
                                 "they share a model of their own")
        return Template(arrays, basis, [block], lp.column_indices(model.Buy, pairs))


_CHILD: ScenarioPlanner | None = None  # the planner a forked planning worker inherited


def _in_child(task: tuple[str, dict[int, int]]) -> Any:
    method, choice = task
    assert _CHILD is not None
    return getattr(_CHILD, method)(choice)


@contextlib.contextmanager
def planning_pool(planner: ScenarioPlanner, jobs: int) -> Iterator[None]:
    """Share the planner's derivations and validations among `jobs` forked processes (each inherits the
    planner as it stands, so nothing is pickled but the choices and the results)."""
    global _CHILD
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield
        return
    _CHILD = planner
    from optimizer.sweep_engine import die_with_parent

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent, initargs=(os.getpid(),))
    planner.pool = pool
    try:
        yield
    finally:
        planner.pool = None
        _CHILD = None
        pool.shutdown(wait=True, cancel_futures=True)


def plan_sweep(instance: Instance, scenarios: list[str], varies: list[Vary], grid: list[tuple[int, ...]],
               zipped: bool, batch_size: int, key: str, jobs: int = 1, progress: Any = None
               ) -> tuple[Plan, PlanReport, list[str]]:
    """Check every point and plan the LP changes of all of them; InstanceError before any solve.
    With jobs > 1 the full derivations and validations of each scenario are shared among processes.
    `progress`: told each stage and each full derivation or validation (see `PlanReport.progress`)."""
    start = time.perf_counter()
    report = PlanReport(progress=progress)
    templates: list[Template] = []
    point_template: list[int] = []
    point_options: list[list[int]] = []
    prefixes: list[str] = []
    labels: list[str] = []
    pairs: list[tuple[str, str]] | None = None
    origin_of: dict[str, str] = {}
    problems: list[Problem] = []
    planners = []
    for scenario in scenarios:
        try:
            planner = ScenarioPlanner(instance, scenario, varies, grid, report)
            report.stage(f"{scenario}: checking every value")
            planner.check_values()
            with planning_pool(planner, jobs):
                planner.check_rules(zipped)
            planners.append(planner)
        except InstanceError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise InstanceError(problems)
    planned = []
    for planner in planners:
        with planning_pool(planner, jobs):
            sources = planner.sources()
            planned.append((planner, sources, planner.templates(sources)))
    for planner, sources, (local, where, options) in planned:
        report.notes.extend(f"scenario {planner.scenario}: {s.how}" for s in sources)
        offset = len(templates)
        templates.extend(local)
        report.templates += 1
        point_template.extend(offset + t for t in where)
        point_options.extend(options)
        if pairs is None:
            pairs = planner.d0.PAIRS
            origin_of = planner.d0.origin
        assert pairs == planner.d0.PAIRS, "every scenario has the same refineries and crudes"
        for point in grid:
            labels.append(f"{len(prefixes)},{planner.scenario}")
            prefixes.append(",".join([labels[-1], *(format_value(v.values[k]) for v, k in zip(varies, point))]))
    assert pairs is not None
    origins = sorted(set(origin_of.values()))
    width = max(len(o) for o in point_options) if point_options else 0
    options_array = np.full((len(point_options), max(width, 1)), -1, dtype=np.int32)
    for p, chosen in enumerate(point_options):
        options_array[p, :len(chosen)] = chosen
    plan = Plan(
        key=key, templates=templates, point_template=np.asarray(point_template, dtype=np.int32),
        point_options=options_array, point_prefix=prefixes, point_label=labels,
        pair_cells=[f"{r},{c}" for r, c in pairs],
        origin_code=np.asarray([origins.index(origin_of[c]) for _, c in pairs], dtype=np.int64),
        origins=len(origins), batches=scenario_batches(len(grid), len(planners), batch_size),
    )
    report.seconds = time.perf_counter() - start
    return plan, report, origins


def scenario_batches(points: int, scenarios: int, batch_size: int) -> list[tuple[int, int]]:
    """[start, stop) of every batch: each scenario's points cut from its own first point, so a scenario's
    batches (their points, their start from its base basis) are the same whatever other scenarios the sweep
    holds, and so are its rows."""
    return [(o + s, o + min(s + batch_size, points)) for o in range(0, points * scenarios, points)
            for s in range(0, points, batch_size)]


def summary_header(varies: list[Vary], origins: list[str]) -> list[str]:
    return ["point", "scenario", *(v.column for v in varies), *SUMMARY_TAIL, *(origin_column(o) for o in origins),
            "simplex_iterations"]


def definition_key(instance: Instance, scenarios: list[str], varies: list[Vary], zipped: bool,
                   batch_size: int) -> str:
    """What decides a sweep's rows: a resumed sweep must match it exactly."""
    from importlib.metadata import version

    text = repr((sorted(instance.input_hashes().items()), scenarios, [(v.column, v.values) for v in varies], zipped,
                 batch_size, version("crudeslate")))
    return hashlib.sha256(text.encode()).hexdigest()[:16]

