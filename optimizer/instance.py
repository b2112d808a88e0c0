"""Reading an instance: a folder with `instance.toml` and one CSV per table (or one `.xlsx` workbook).

No Pyomo here. Every problem found while reading is collected; the caller gets either a complete,
typed `Instance` or an `InstanceError` listing all of them.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.errors import InstanceError, Problem
from optimizer.schema import ID_PATTERN, TABLES, TABLES_BY_NAME, Table

MANIFEST = "instance.toml"
BASE_SCENARIO = "base"
_ID_RE = re.compile(rf"^{ID_PATTERN}$")
_TOP_KEYS = {"name", "description", "basis", "sources", "scenarios", "workbook"}
_SCENARIO_KEYS = {"description", "extends", "overrides", "add_policies", "drop_policies"}


@dataclass
class Scenario:
    name: str
    description: str
    extends: str | None = None
    overrides: list[str] = field(default_factory=list)
    add_policies: list[dict[str, object]] = field(default_factory=list)
    drop_policies: list[str] = field(default_factory=list)


@dataclass
class Instance:
    """Typed tables indexed by row id (key columns joined by '/'), plus where each row came from."""

    path: Path
    name: str
    description: str
    basis: dict[str, str]
    sources: dict[str, str]
    tables: dict[str, pd.DataFrame]
    row_origin: dict[str, dict[str, tuple[str, int | None]]]  # table -> row id -> (file, row)
    input_files: list[Path]
    scenarios: dict[str, Scenario]
    scenario: str = BASE_SCENARIO
    applied: list[str] = field(default_factory=list)  # overrides applied to reach `scenario`
    # what could not be read: whole tables (missing, unreadable) and cells (table, row id, column) that failed
    # their type or bounds; cross-table checks skip them instead of reporting their consequences again
    bad_tables: set[str] = field(default_factory=set)
    bad_cells: set[tuple[str, str, str]] = field(default_factory=set)
    # tables still shared with the instance this one was copied from (`copy(share=True)`): a writer takes its
    # own copy first (`writable`), so changing a scenario never changes the instance it came from
    shared: set[str] = field(default_factory=set)

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def readable(self, table: str, row_id: str | None = None, *columns: str) -> bool:
        """Whether the table (and the row's given cells) were read without a problem."""
        if table in self.bad_tables:
            return False
        return row_id is None or not any((table, row_id, column) in self.bad_cells for column in columns)

    def origin(self, table: str, row_id: str) -> tuple[str, int | None]:
        return self.row_origin.get(table, {}).get(row_id, (f"{table}", None))

    def copy(self, share: bool = False) -> Instance:
        """An independent copy. With `share`, its tables are the same frames until `writable` is asked for one
        (copy on write): resolving and checking 17 scenarios that change a few cells then copies a few tables,
        not all of them 17 times, and a check over an untouched table sees the base's very frame."""
        clone = copy.copy(self)
        clone.tables = dict(self.tables) if share else {name: frame.copy() for name, frame in self.tables.items()}
        clone.shared = set(self.tables) if share else set()
        # with `share` the row origins are shared too: their one writer (add_policies) replaces its table's dict
        clone.row_origin = (dict(self.row_origin) if share else
                            {name: dict(rows) for name, rows in self.row_origin.items()})
        clone.applied = list(self.applied)
        clone.bad_tables = set(self.bad_tables)
        clone.bad_cells = set(self.bad_cells)
        return clone

    def writable(self, table: str) -> pd.DataFrame:
        """The table, to change in place: this instance's own frame, copied first if it is still shared."""
        if table in self.shared:
            self.tables[table] = self.tables[table].copy()
            self.shared.discard(table)
        return self.tables[table]

    def input_hashes(self) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in self.input_files}


def row_id(values: list[str]) -> str:
    return "/".join(values)


# ---------------------------------------------------------------------------------------------
# raw reading: CSV files or workbook sheets into (header, [(row number, cells)])


RawTable = tuple[list[str], list[tuple[int, list[str]]]]


_SHOWN_LINES = 5  # lines with bad bytes named one by one


def encoding_problems(file: str, data: bytes, csv_header: bool = True) -> list[Problem]:
    """One problem per line (the first few) holding bytes that are not UTF-8: line, CSV column, the bytes."""
    lines = data.split(b"\n")
    header = next(csv.reader([lines[0].decode("utf-8-sig", errors="replace")]), []) if csv_header else []
    guess = ""
    try:
        data.decode("cp1252")
        guess = " It looks like Windows-1252 (Latin-1) text" + (
            ", which Excel writes for 'CSV (Comma delimited)'." if csv_header else ".")
    except UnicodeDecodeError:
        pass
    hint = ("save the file as UTF-8 (in Excel: Save As 'CSV UTF-8'; in LibreOffice: character set Unicode "
            "(UTF-8))." + guess) if csv_header else "save it as UTF-8." + guess
    bad: list[Problem] = []
    count = 0
    for number, raw in enumerate(lines, start=1):
        try:
            raw.decode("utf-8-sig" if number == 1 else "utf-8")
            continue
        except UnicodeDecodeError as exc:
            count += 1
            if count > _SHOWN_LINES:
                continue
            where = raw[exc.start:exc.end]
            shown = " ".join(f"0x{b:02x}" for b in where)
            text = raw.decode("utf-8", errors="replace").rstrip("\r")
            column, value = None, text
            if csv_header:
                cells = next(csv.reader([text]), [])
                for i, cell in enumerate(cells):
                    if "\ufffd" in cell:
                        column = header[i].strip() if i < len(header) else f"#{i + 1}"
                        value = cell.strip()
                        break
            character = len(raw[:exc.start].decode("utf-8", errors="replace")) + 1
            bad.append(Problem(file, f"is not UTF-8 text: byte {shown} (shown as \ufffd) at character {character} "
                               "of the line.", hint, row=number, column=column, value=value))
    if count > _SHOWN_LINES:
        bad.append(Problem(file, f"has {count - _SHOWN_LINES} more lines that are not UTF-8.", hint))
    return bad


def _read_csv(path: Path, problems: list[Problem]) -> RawTable | None:
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.extend(encoding_problems(path.name, data))
        return None
    except OSError as exc:
        problems.append(Problem(path.name, f"cannot be read: {exc.strerror}.", "check the file's permissions."))
        return None
    if not text.strip():
        problems.append(Problem(path.name, "is empty.", "give at least the header row, or delete the file."))
        return None
    reader = csv.reader(text.splitlines())
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            line = reader.line_num
            if header is None:
                header = [c.strip() for c in cells]
                continue
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    Problem(path.name, f"has {len(cells)} cells where the header has {len(header)}.",
                            "make every row have one cell per header column (quote cells that contain commas).",
                            row=line)
                )
                continue
            rows.append((line, [c.strip() for c in cells]))
    except csv.Error as exc:
        problems.append(Problem(path.name, f"is not valid CSV: {exc}.", "fix the quoting.", row=reader.line_num))
        return None
    assert header is not None
    return header, rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def _read_workbook(path: Path, problems: list[Problem],
                   unread: dict[str, set[tuple[int, str]]] | None = None) -> dict[str, RawTable] | None:
    """Every sheet as a raw table; `unread` gets, per sheet, the (row, column) of cells whose value is unknown."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)  # to tell a formula from an empty cell
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        problems.append(Problem(path.name, f"cannot be opened as an .xlsx workbook ({exc}).",
                                "save it from Excel or LibreOffice as .xlsx."))
        return None
    sheets: dict[str, RawTable] = {}
    for sheet, written in zip(book.worksheets, formulas.worksheets):
        file = f"{path.name}[{sheet.title}]"
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for number, (values, texts) in enumerate(zip(sheet.iter_rows(values_only=True),
                                                     written.iter_rows(values_only=True)), start=1):
            cells = [_cell_text(v) for v in values]
            if header is None:
                if any(cells):
                    header = cells
                    while header and not header[-1]:
                        header.pop()
                continue
            for j, (value, text) in enumerate(zip(values, texts)):
                if value is None and isinstance(text, str) and text.startswith("="):
                    if unread is not None and j < len(header):
                        unread.setdefault(sheet.title, set()).add((number, header[j]))
                    problems.append(Problem(file, "is a formula with no saved result (the program that wrote the "
                                            "workbook did not calculate it).",
                                            "open the workbook in Excel or LibreOffice and save it (that stores "
                                            "the results), or type the value.", row=number,
                                            column=header[j] if j < len(header) else None, value=text))
            if any(cells[len(header):]):  # the row's cells under the header still read as usual
                used = max(i for i, c in enumerate(cells) if c) + 1
                problems.append(Problem(file, f"has {used} cells where the header has {len(header)}.",
                                        "give every value a column with a header, or delete the cells beyond the "
                                        "header.", row=number))
            cells = (cells + [""] * len(header))[: len(header)]
            if any(cells):
                rows.append((number, cells))
        if header is not None:
            sheets[sheet.title] = (header, rows)
    book.close()
    formulas.close()
    return sheets


# ---------------------------------------------------------------------------------------------
# typing the cells of one table against its schema


def parse_number(text: str) -> float | None:
    """A finite float from text, or None when the text is not one."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_table(spec: Table, raw: RawTable, file: str, problems: list[Problem],
                 bad_cells: set[tuple[str, str, str]] | None = None, unread: set[tuple[int, str]] | None = None):
    """The typed table and where each row came from. `bad_cells` gets (table, row id, column) of every cell
    that failed (or was `unread`: (row, column) of cells already reported)."""
    header, rows = raw
    bad_cells = set() if bad_cells is None else bad_cells
    unread = unread or set()
    known = {c.name for c in spec.columns}
    for name in header:
        if name not in known:
            problems.append(Problem(file, f"has an unknown column {name!r}.",
                                    f"remove it or rename it to one of: {', '.join(sorted(known))}.", row=1))
    seen_header = set()
    for name in header:
        if name in seen_header:
            problems.append(Problem(file, f"names column {name!r} twice.", "keep one of them.", row=1))
        seen_header.add(name)
    absent = set()
    for column in spec.columns:
        if column.required and column.name not in header:
            absent.add(column.name)
            problems.append(Problem(file, f"lacks the required column {column.name!r}.",
                                    f"add a {column.name} column ({column.description})", row=1))
    positions = {name: i for i, name in enumerate(header) if name in known}
    records: list[dict[str, object]] = []
    ids: list[str] = []
    origins: dict[str, tuple[str, int]] = {}
    first_seen: dict[str, int] = {}
    for line, cells in rows:
        record: dict[str, object] = {}
        failed = set(absent) | {column for row, column in unread if row == line}
        for column in spec.columns:
            if column.name in absent:  # said once for the header, not once per row
                record[column.name] = math.nan if column.kind in ("number", "integer") else ""
                continue
            text = cells[positions[column.name]] if column.name in positions else ""
            before = len(problems)
            record[column.name] = _parse_cell(column, text, file, line, problems)
            if len(problems) > before:
                failed.add(column.name)
        key = row_id([_key_text(record[k]) for k in spec.key])
        if key in first_seen:
            problems.append(Problem(file, f"repeats the key {key!r} of row {first_seen[key]}.",
                                    "delete or merge the duplicate row.", row=line,
                                    column="/".join(spec.key), value=key))
            continue
        first_seen[key] = line
        origins[key] = (file, line)
        bad_cells.update((spec.name, key, column) for column in failed)
        ids.append(key)
        records.append(record)
    columns = [c.name for c in spec.columns]
    frame = pd.DataFrame.from_records(records, columns=columns, index=pd.Index(ids, dtype=object, name="row_id"))
    for column in spec.columns:
        if column.kind in ("number", "integer"):
            frame[column.name] = frame[column.name].astype(float)
        else:
            frame[column.name] = frame[column.name].astype(object)
    return frame, origins


def _key_text(value: object) -> str:
    if isinstance(value, float) and not math.isnan(value) and value == int(value):
        return str(int(value))
    return str(value)


def _parse_cell(column, text: str, file: str, line: int, problems: list[Problem]) -> object:
    def bad(message: str, hint: str) -> None:
        problems.append(Problem(file, message, hint, row=line, column=column.name, value=text))

    if text == "":
        if column.required:
            bad("is empty but required.", f"give a value ({column.description})")
        if column.kind in ("number", "integer"):
            return column.default if column.default is not None else math.nan
        return column.default if column.default is not None else ""
    if column.kind == "id":
        if not _ID_RE.match(text):
            bad("is not a valid id.", "use letters, digits, '_' and '-' only (no spaces or dots).")
        return text
    if column.kind == "choice":
        if text not in column.choices:
            bad("is not an allowed value.", f"use one of: {', '.join(column.choices)}.")
        return text
    if column.kind in ("number", "integer"):
        value = parse_number(text)
        if value is None:
            bad("is not a finite number.", "write a plain decimal number such as 12.5 (no units, no NaN).")
            return math.nan
        if column.kind == "integer" and value != int(value):
            bad("is not a whole number.", "write an integer such as 1.")
        if column.minimum is not None and value < column.minimum:
            bad(f"is below the lowest allowed value {column.minimum:g}.", f"use a value >= {column.minimum:g}.")
        if column.maximum is not None and value > column.maximum:
            bad(f"is above the highest allowed value {column.maximum:g}.", f"use a value <= {column.maximum:g}.")
        return value
    return text


# ---------------------------------------------------------------------------------------------
# the manifest and its scenarios


def _as_str_list(value: object, where: str, problems: list[Problem], what: str) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    problems.append(Problem(MANIFEST, f"{where}: {what} must be a list of strings.",
                            f'write {what} = ["...", "..."].', value=repr(value)))
    return []


def _read_scenarios(raw: object, problems: list[Problem]) -> dict[str, Scenario]:
    scenarios: dict[str, Scenario] = {}
    if raw is None:
        return scenarios
    if not isinstance(raw, dict):
        problems.append(Problem(MANIFEST, "[scenarios] must be a table of named scenarios.",
                                "write [scenarios.NAME] sections."))
        return scenarios
    for name, body in raw.items():
        where = f"[scenarios.{name}]"
        if not _ID_RE.match(name) or name == BASE_SCENARIO:
            problems.append(Problem(MANIFEST, f"{where}: scenario name is not allowed.",
                                    f"use letters, digits, '_' and '-', and not '{BASE_SCENARIO}'.", value=name))
        if not isinstance(body, dict):
            problems.append(Problem(MANIFEST, f"{where} must be a table.", "write key = value lines under it."))
            continue
        for key in body:
            if key not in _SCENARIO_KEYS:
                problems.append(Problem(MANIFEST, f"{where} has an unknown key {key!r}.",
                                        f"use only: {', '.join(sorted(_SCENARIO_KEYS))}."))
        description = body.get("description", "")
        if not isinstance(description, str):
            problems.append(Problem(MANIFEST, f"{where}: description must be a string.", "quote it."))
            description = str(description)
        extends = body.get("extends")
        if extends is not None and not isinstance(extends, str):
            problems.append(Problem(MANIFEST, f"{where}: extends must be a scenario name.", 'write extends = "NAME".'))
            extends = None
        add = body.get("add_policies", [])
        if not (isinstance(add, list) and all(isinstance(v, dict) for v in add)):
            problems.append(Problem(MANIFEST, f"{where}: add_policies must be a list of inline tables.",
                                    'write add_policies = [{rule_id = "x", kind = "ban", origin = "Venezuela"}].'))
            add = []
        scenarios[name] = Scenario(
            name=name,
            description=description,
            extends=extends,
            overrides=_as_str_list(body.get("overrides", []), where, problems, "overrides"),
            add_policies=list(add),
            drop_policies=_as_str_list(body.get("drop_policies", []), where, problems, "drop_policies"),
        )
    for scenario in scenarios.values():
        if scenario.extends is not None and scenario.extends not in scenarios:
            problems.append(Problem(MANIFEST, f"[scenarios.{scenario.name}] extends an unknown scenario.",
                                    f"use one of: {', '.join(sorted(scenarios)) or '(none defined)'}.",
                                    value=scenario.extends))
    for scenario in scenarios.values():
        chain = [scenario.name]
        current = scenario
        while current.extends is not None and current.extends in scenarios:
            if current.extends in chain:
                problems.append(Problem(MANIFEST, f"[scenarios.{scenario.name}] extends itself through "
                                        f"{' -> '.join(chain + [current.extends])}.", "break the cycle."))
                break
            chain.append(current.extends)
            current = scenarios[current.extends]
    return scenarios


def _strings(raw: object, key: str, problems: list[Problem]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem(MANIFEST, f"[{key}] must be a table of strings.", f"write [{key}] then key = \"...\"."))
        return {}
    return {str(k): str(v) for k, v in raw.items()}


# ---------------------------------------------------------------------------------------------


def read_instance(path: str | Path) -> Instance:
    """Read and type every table of the instance at `path`; raise InstanceError with all problems."""
    instance, problems = read_instance_collecting(path)
    if problems or instance is None:
        raise InstanceError(problems)
    return instance


def read_instance_collecting(path: str | Path) -> tuple[Instance | None, list[Problem]]:
    """The instance as far as it could be read (unreadable cells empty), and every problem met."""
    folder = Path(path)
    problems: list[Problem] = []
    if not folder.is_dir():
        return None, [Problem(str(folder), "is not a folder.",
                              f"give the path of an instance folder holding {MANIFEST} and the CSV tables.")]
    manifest_path = folder / MANIFEST
    manifest: dict[str, object] = {}
    input_files: list[Path] = []
    minimal = 'write at least name = "..." (letters, digits, _ and -) and description = "..." (one line).'
    if not manifest_path.is_file():
        problems.append(Problem(MANIFEST, f"is missing from {folder}.", f"create it: {minimal}"))
    else:
        input_files.append(manifest_path)
        data = manifest_path.read_bytes()
        try:
            text = data.decode("utf-8")
            manifest = tomllib.loads(text)
            if not text.strip():
                problems.append(Problem(MANIFEST, "is empty.", minimal))
            else:
                problems.extend(_manifest_problems(manifest))
        except UnicodeDecodeError:
            problems.extend(encoding_problems(MANIFEST, data, csv_header=False))
        except tomllib.TOMLDecodeError as exc:
            problems.append(Problem(MANIFEST, f"is not valid TOML: {exc}.", "fix the syntax at the place named."))

    raw_tables: dict[str, tuple[RawTable, str]] = {}
    bad_tables: set[str] = set()
    unread: dict[str, set[tuple[int, str]]] = {}
    workbook = manifest.get("workbook")
    if workbook is not None:
        book_path = folder / str(workbook)
        for csv_path in sorted(folder.glob("*.csv")):
            problems.append(Problem(csv_path.name, f"lies beside the workbook {workbook}, which {MANIFEST} names: "
                                    "the tables are read from the workbook only, so this file would be ignored.",
                                    "move it out of the instance folder, or delete the workbook = line of "
                                    f"{MANIFEST} to read the CSV files instead."))
        if not book_path.is_file():
            problems.append(Problem(MANIFEST, "names a workbook that does not exist.",
                                    "put the .xlsx beside instance.toml or fix the name.", value=str(workbook)))
            bad_tables.update(spec.name for spec in TABLES)
        else:
            input_files.append(book_path)
            sheets = _read_workbook(book_path, problems, unread)
            if sheets is None:
                bad_tables.update(spec.name for spec in TABLES)
            sheets = sheets or {}
            for sheet_name in sheets:
                if sheet_name not in TABLES_BY_NAME:
                    problems.append(Problem(book_path.name, f"has an unknown sheet {sheet_name!r}.",
                                            f"rename it to one of: {', '.join(TABLES_BY_NAME)}, or delete it."))
            for spec in TABLES:
                if spec.name in sheets:
                    raw_tables[spec.name] = (sheets[spec.name], f"{book_path.name}[{spec.name}]")
                elif spec.required and spec.name not in bad_tables:
                    bad_tables.add(spec.name)
                    problems.append(Problem(book_path.name, f"lacks the required sheet {spec.name!r}.",
                                            f"add a sheet named {spec.name} with its header row."))
    else:
        for csv_path in sorted(folder.glob("*.csv")):
            if csv_path.stem not in TABLES_BY_NAME:
                problems.append(Problem(csv_path.name, "is not a table of the instance format.",
                                        f"rename it to one of: {', '.join(t + '.csv' for t in TABLES_BY_NAME)}, "
                                        "or move it out of the instance folder."))
        for spec in TABLES:
            csv_path = folder / f"{spec.name}.csv"
            if csv_path.is_file():
                input_files.append(csv_path)
                raw = _read_csv(csv_path, problems)
                if raw is not None:
                    raw_tables[spec.name] = (raw, csv_path.name)
                else:
                    bad_tables.add(spec.name)
            elif spec.required:
                bad_tables.add(spec.name)
                problems.append(Problem(f"{spec.name}.csv", f"is missing from {folder}.",
                                        "create it with the header: "
                                        f"{','.join(c.name for c in spec.columns if c.required)}."))

    tables: dict[str, pd.DataFrame] = {}
    origins: dict[str, dict[str, tuple[str, int | None]]] = {}
    bad_cells: set[tuple[str, str, str]] = set()
    for spec in TABLES:
        raw, file = raw_tables.get(spec.name, (([c.name for c in spec.columns], []), f"{spec.name}.csv"))
        tables[spec.name], origins[spec.name] = _parse_table(spec, raw, file, problems, bad_cells,
                                                             unread.get(spec.name))

    scenarios = _read_scenarios(manifest.get("scenarios"), problems)
    name = manifest.get("name")
    instance = Instance(
        path=folder,
        name=str(name) if isinstance(name, str) and _ID_RE.match(name) else folder.name,
        description=str(manifest.get("description", "")),
        basis=_strings(manifest.get("basis"), "basis", problems),
        sources=_strings(manifest.get("sources"), "sources", problems),
        tables=tables,
        row_origin=origins,
        input_files=input_files,
        scenarios=scenarios,
        bad_tables=bad_tables,
        bad_cells=bad_cells,
    )
    return instance, problems


def _manifest_problems(manifest: dict[str, object]) -> list[Problem]:
    """The top of instance.toml: its keys, a name that can name a results folder, a description."""
    problems = [Problem(MANIFEST, f"has an unknown key {key!r}.", f"use only: {', '.join(sorted(_TOP_KEYS))}.")
                for key in manifest if key not in _TOP_KEYS]
    name = manifest.get("name")
    if name is None:
        problems.append(Problem(MANIFEST, "has no name.", 'add name = "..." (letters, digits, _ and -): it names '
                                "the instance in results and their folder, results/<name>/."))
    elif not isinstance(name, str) or not _ID_RE.match(name):
        problems.append(Problem(MANIFEST, "has a name that cannot name a results folder.",
                                "use letters, digits, '_' and '-' only (no spaces, dots or slashes), e.g. "
                                "name = \"gulf_coast_2026\".", column="name", value=str(name)))
    description = manifest.get("description")
    if description is None:
        problems.append(Problem(MANIFEST, "has no description.",
                                'add description = "..." (one line saying what the instance is).'))
    elif not isinstance(description, str):
        problems.append(Problem(MANIFEST, "has a description that is not text.", "quote it.", column="description",
                                value=str(description)))
    return problems
