"""The one path syntax that addresses numeric cells, shared by scenarios, `solve --set` and sweeps.

    TABLE.ROW_ID.COLUMN OP VALUE          one row, by its key (key columns joined by '/')
    TABLE[COLUMN=VALUE].COLUMN OP VALUE   every row whose COLUMN equals VALUE

OP is `=` (set), `+=` (shift) or `*=` (scale).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from optimizer.errors import Problem
from optimizer.instance import Instance, parse_number
from optimizer.schema import TABLES_BY_NAME

_PATH_RE = re.compile(
    r"^\s*(?P<table>[A-Za-z_]+)"
    r"(?:\[(?P<fcol>[A-Za-z_]+)=(?P<fval>[^\]]*)\]|\.(?P<row>[A-Za-z0-9_\-/]+))"
    r"\.(?P<col>[A-Za-z_]+)\s*$"
)
_ASSIGN_RE = re.compile(
    r"^\s*(?P<path>[A-Za-z_]+(?:\[[^\]]*\]|\.[^.\s=+*]+)\.[A-Za-z_]+)\s*(?P<op>\+=|\*=|=)\s*(?P<value>.*)$"
)


@dataclass(frozen=True)
class CellPath:
    table: str
    column: str
    row: str | None = None
    filter_column: str | None = None
    filter_value: str | None = None

    def __str__(self) -> str:
        if self.row is not None:
            return f"{self.table}.{self.row}.{self.column}"
        return f"{self.table}[{self.filter_column}={self.filter_value}].{self.column}"


@dataclass(frozen=True)
class Override:
    path: CellPath
    op: str  # "=", "+=", "*="
    value: float

    def __str__(self) -> str:
        return f"{self.path}{self.op}{self.value:g}"


def valid_targets() -> str:
    """The tables and numeric columns a path may address, for error hints."""
    parts = []
    for table in TABLES_BY_NAME.values():
        if table.numeric_overrides and table.numeric_columns:
            parts.append(f"{table.name}: {', '.join(table.numeric_columns)}")
    return "; ".join(parts)


def parse_path(text: str, where: str, problems: list[Problem], shown: str | None = None) -> CellPath | None:
    """The cell path in `text`; problems quote `shown` (the whole override) when given."""
    match = _PATH_RE.match(text)
    text = shown or text
    if match is None:
        problems.append(Problem(where, "is not a cell path.",
                                "write TABLE.ROW_ID.COLUMN or TABLE[COLUMN=VALUE].COLUMN, e.g. "
                                "crudes.merey16.availability_kbd or crudes[origin=Venezuela].availability_kbd.",
                                value=text))
        return None
    table = TABLES_BY_NAME.get(match["table"])
    if table is None or not table.numeric_overrides:
        problems.append(Problem(where, f"names no table with numbers: {match['table']!r}.",
                                f"use one of: {valid_targets()}.", value=text))
        return None
    if match["col"] not in table.numeric_columns:
        problems.append(Problem(where, f"names no numeric column of {table.name}: {match['col']!r}.",
                                f"use one of: {', '.join(table.numeric_columns)}.", value=text))
        return None
    if match["fcol"] is not None and table.column(match["fcol"]) is None:
        problems.append(Problem(where, f"filters on a column {table.name} does not have: {match['fcol']!r}.",
                                f"use one of: {', '.join(c.name for c in table.columns)}.", value=text))
        return None
    return CellPath(table.name, match["col"], match["row"], match["fcol"], match["fval"])


def parse_override(text: str, where: str, problems: list[Problem]) -> Override | None:
    match = _ASSIGN_RE.match(text)
    if match is None:
        problems.append(Problem(where, "is not an override.",
                                "write PATH = VALUE, PATH += VALUE or PATH *= VALUE, "
                                "e.g. crudes.merey16.differential_usd_per_bbl += 2.", value=text))
        return None
    path = parse_path(match["path"], where, problems, shown=text)
    value = parse_number(match["value"].strip())
    if value is None:
        problems.append(Problem(where, f"has no number after {match['op']!r}.", "give a finite number, e.g. 0 or 1.5.",
                                value=text))
        return None
    if path is None:
        return None
    return Override(path, match["op"], value)


def matching_rows(instance: Instance, path: CellPath) -> list[str]:
    frame = instance.tables[path.table]
    if path.row is not None:
        return [path.row] if path.row in frame.index else []
    column = frame[path.filter_column]
    if pd.api.types.is_float_dtype(column):
        target = parse_number(path.filter_value or "")
        return [] if target is None else list(frame.index[column == target])
    return list(frame.index[column.astype(str) == path.filter_value])


def apply_override(instance: Instance, override: Override, where: str, problems: list[Problem]) -> None:
    """Change the addressed cells of `instance` in place; a path that matches nothing is a problem."""
    path = override.path
    rows = matching_rows(instance, path)
    frame = instance.writable(path.table) if rows else instance.tables[path.table]
    if not rows:
        if path.row is not None:
            known = ", ".join(list(frame.index[:12])) + (" ..." if len(frame) > 12 else "")
            hint = f"use a row id of {path.table}: {known or '(the table is empty)'}."
        else:
            present = ", ".join(sorted(set(map(str, frame[path.filter_column]))))[:300]
            hint = f"check the value; {path.filter_column} holds: {present}."
        problems.append(Problem(where, f"points at no row of {path.table}.", hint, value=str(path)))
        return
    spec = TABLES_BY_NAME[path.table].column(path.column)
    assert spec is not None
    for row in rows:
        old = float(frame.at[row, path.column])
        if override.op == "=":
            new = override.value
        elif math.isnan(old):
            problems.append(Problem(where, f"shifts or scales an empty cell ({path.table}.{row}.{path.column}).",
                                    "set it with '=' instead, or give the cell a value in the table.",
                                    value=str(override)))
            continue
        elif override.op == "+=":
            new = old + override.value
        else:
            new = old * override.value
        if spec.minimum is not None and new < spec.minimum - 1e-12:
            problems.append(Problem(where, f"would make {path.table}.{row}.{path.column} = {new:g}, below its "
                                    f"lowest allowed value {spec.minimum:g}.", "change the override.",
                                    value=str(override)))
            continue
        if spec.maximum is not None and new > spec.maximum + 1e-12:
            problems.append(Problem(where, f"would make {path.table}.{row}.{path.column} = {new:g}, above its "
                                    f"highest allowed value {spec.maximum:g}.", "change the override.",
                                    value=str(override)))
            continue
        frame.at[row, path.column] = new
