"""What a sweep is: the `--vary PATH OP SPEC` options, their values, and the points they make.

No Pyomo and no solving here. A vary is a cell path (the one syntax of `optimizer.paths`), an
operator and a SPEC of values:

    crudes.merey16.differential_usd_per_bbl += -5:5:1       shift the cell by -5, -4, ..., 5
    units[unit_type=coker].capacity_kbd *= 0.8,0.9,1,1.1    scale every coker's capacity
    markers.wti.price_usd_per_bbl = linspace(55,85,7)       set the marker to 7 values, 55 to 85

The operator applies each value of SPEC to the base cell (the scenario's), exactly as `--set PATH OP
VALUE` would; the sweep's result columns carry the value of SPEC, named by PATH and OP. Several
varies form the full grid (the last varies fastest), or with `zip` walk together.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from optimizer.errors import InstanceError, Problem, UsageError
from optimizer.paths import CellPath, parse_path, valid_targets
from optimizer.schema import TABLES_BY_NAME

WHERE = "--vary"
MAX_POINTS = 1_000_000  # a larger sweep is almost certainly a typo in a step
SPEC_HINT = ("write SPEC as START:STOP:STEP (STOP included when the steps land on it), a comma list such as "
             "-5,0,2.5, or linspace(A,B,N).")
HUGE_HINT = "give values within the cell's range (a price in $/bbl, a volume in kb/d, a factor near 1)."
_VARY_RE = re.compile(
    r"^\s*(?P<path>[A-Za-z_]+(?:\[[^\]]*\]|\.[^.\s=+*]+)\.[A-Za-z_]+)\s*(?P<op>\+=|\*=|=)\s*(?P<spec>.*?)\s*$"
)
_LINSPACE_RE = re.compile(r"^linspace\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)$")


@dataclass(frozen=True)
class Vary:
    """One swept parameter: the cells it addresses, how each value applies, and the values."""

    text: str
    path: CellPath
    op: str  # "=", "+=", "*="
    values: tuple[float, ...]

    @property
    def column(self) -> str:
        """The result column holding this vary's value: the path and the operator, e.g. `crudes.x.price+=`."""
        return f"{self.path}{self.op}"

    @property
    def axis_label(self) -> str:
        """What a plot's axis shows: the change applied and its unit."""
        spec = TABLES_BY_NAME[self.path.table].column(self.path.column)
        unit = spec.unit if spec is not None and spec.unit != "-" else ""
        if self.op == "*=":
            return f"{self.path} *= x  (factor on the base value)"
        what = "shift added to the base value" if self.op == "+=" else "value"
        return f"{self.path} {self.op} x  ({what}{', ' + unit if unit else ''})"


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_spec(spec: str) -> tuple[tuple[float, ...] | None, str, str]:
    """The values of SPEC, or None, what is wrong with it and how to fix it."""
    values, error = _parse_spec(spec)
    if values is None:
        return None, error, SPEC_HINT
    huge = [k for k, v in enumerate(values) if not math.isfinite(v)]
    if huge:  # a finite decimal beyond a float's range (1e400, or a range stepping past it)
        where = f"its value {huge[0] + 1}" if len(values) > 1 else "its value"
        return None, (f"has {where} beyond the largest number a computation holds (about 1.8e308): "
                      f"{spec.strip()!r}."), HUGE_HINT
    return values, "", ""


def _parse_spec(spec: str) -> tuple[tuple[float, ...] | None, str]:
    spec = spec.strip()
    if not spec:
        return None, "has no SPEC after the operator."
    linspace = _LINSPACE_RE.match(spec)
    if linspace:
        a, b, n = (_decimal(x) for x in linspace.groups())
        if a is None or b is None or n is None:
            return None, f"has a linspace with something that is not a number: {spec!r}."
        if n != n.to_integral_value() or n < 1:
            return None, f"asks linspace for {n} values; N must be a whole number, at least 1."
        count = int(n)
        if count > MAX_POINTS:
            return None, f"asks linspace for {count:,} values, more than {MAX_POINTS:,}."
        if count == 1:
            return (float(a),), ""
        # exact decimal steps: linspace(0,1,11) gives 0.1, not 0.30000000000000004
        return tuple(float(a + (b - a) * i / (count - 1)) for i in range(count)), ""
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            return None, f"has a range {spec!r} with {len(parts)} parts; a range is START:STOP:STEP."
        start, stop, step = (_decimal(x) for x in parts)
        if start is None or stop is None or step is None:
            return None, f"has a range with something that is not a number: {spec!r}."
        if step == 0:
            return None, "has a range step of 0."
        if (stop - start) * step < 0:
            return None, f"has a range that never reaches its stop: from {start} by {step} to {stop}."
        count = int((stop - start) / step) + 1
        if count > MAX_POINTS:
            return None, f"has a range of {count:,} values, more than {MAX_POINTS:,}."
        return tuple(float(start + step * i) for i in range(count)), ""
    values = []
    for item in spec.split(","):
        value = _decimal(item)
        if value is None:
            return None, f"has {item.strip()!r} in its list, which is not a number."
        values.append(float(value))
    return tuple(values), ""


def parse_vary(text: str, problems: list[Problem]) -> Vary | None:
    """One `--vary` option; problems name the option text and list what would be valid."""
    match = _VARY_RE.match(text)
    if match is None:
        problems.append(Problem(WHERE, "is not PATH OP SPEC.",
                                "write e.g. 'crudes.merey16.differential_usd_per_bbl+=-5:5:1'. OP is =, += or *=; "
                                "SPEC is START:STOP:STEP, a comma list or linspace(A,B,N); PATH is TABLE.ROW_ID.COLUMN "
                                f"or TABLE[COLUMN=VALUE].COLUMN, over: {valid_targets()}.", value=text))
        return None
    path = parse_path(match["path"], WHERE, problems, shown=text)
    values, error, hint = parse_spec(match["spec"])
    if values is None:
        problems.append(Problem(WHERE, error, hint, value=text))
        return None
    if path is None:
        return None
    return Vary(text.strip(), path, match["op"], values)


def parse_varies(texts: tuple[str, ...] | list[str]) -> list[Vary]:
    """Every `--vary`, all problems at once (an InstanceError, exit code 1, like a bad `--set`)."""
    varies, problems = parse_varies_collecting(texts)
    if problems:
        raise InstanceError(problems)
    return varies


def parse_varies_collecting(texts: tuple[str, ...] | list[str]) -> tuple[list[Vary], list[Problem]]:
    """The `--vary` options that parse, and the problems of those that do not (the caller adds what it
    finds checking the others' values, and reports everything at once)."""
    if not texts:
        raise UsageError("give at least one --vary PATH=SPEC, e.g. --vary 'crudes.merey16.differential_usd_per_bbl"
                         "+=-5:5:1'.")
    problems: list[Problem] = []
    varies = [v for v in (parse_vary(text, problems) for text in texts) if v is not None]
    columns = [v.column for v in varies]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise UsageError(f"--vary {repeated[0]} is given twice; give each path and operator once (list every value "
                         "in one SPEC).")
    return varies, problems


def grid_indices(varies: list[Vary], zipped: bool) -> list[tuple[int, ...]]:
    """Value indices of every point, in order: the full grid (last vary fastest), or the zipped walk."""
    sizes = [len(v.values) for v in varies]
    if zipped:
        if len(set(sizes)) > 1:
            listing = ", ".join(f"{v.column} has {n}" for v, n in zip(varies, sizes))
            raise UsageError(f"--zip needs every --vary to have as many values: {listing}.")
        return [(i,) * len(varies) for i in range(sizes[0])]
    total = 1
    for n in sizes:
        total *= n
    if total > MAX_POINTS:
        raise UsageError(f"the grid has {total:,} points, more than {MAX_POINTS:,}; use fewer values or --zip.")
    return list(itertools.product(*(range(n) for n in sizes)))


def default_batch_size(points: int) -> int:
    """Points per batch, from the number of points of one scenario (the grid): fixed by the sweep's grid
    alone, never by the job count or the other scenarios, so that every engine and every number of
    workers solves the same batches from the same start and writes the same rows. About 20 batches a
    scenario (at most 200 points each): enough to share among workers, few enough that the restart of
    each batch from the base basis costs little."""
    return max(1, min(200, -(-points // 20)))


def sweep_name(varies: list[Vary], zipped: bool, scenarios: list[str] | tuple[str, ...] = ()) -> str:
    """A folder name from the swept cells, the scenarios (when not only the base) and a short hash of the
    operators, values and scenarios, e.g. `merey16-differential_usd_per_bbl-3f09a1c2`: a sweep over another
    range or scenario gets a folder of its own instead of meeting the first one's."""
    parts = []
    for v in varies:
        where = v.path.row if v.path.row is not None else f"{v.path.filter_column}-{v.path.filter_value}"
        parts.append(re.sub(r"[^A-Za-z0-9_\-]+", "-", f"{where}-{v.path.column}").strip("-"))
    name = ("--zip--" if zipped else "--x--").join(parts)
    if list(scenarios) not in ([], ["base"]):
        name += "--" + "-".join(re.sub(r"[^A-Za-z0-9_\-]+", "-", s) for s in scenarios)
    digest = hashlib.sha256(repr(([(v.column, v.values) for v in varies], zipped, list(scenarios))).encode())
    if len(name) > 80:
        name = name[:80].rstrip("-")
    return f"{name}-{digest.hexdigest()[:8]}"


def format_value(value: float) -> str:
    """A swept value as the CSVs show it: shortest round-trip form, whole numbers without '.0'."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
