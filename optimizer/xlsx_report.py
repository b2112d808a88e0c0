"""Formatted workbooks for people who live in Excel: `solve --format xlsx` and `compare --format xlsx`.

The first sheet, `overview`, holds the headline figures and what produced them (instance, scenario,
overrides, input hashes, versions). Then one sheet per table: row 1 a label with its unit ("Volume
(kb/d)"), row 2 the column's name as in the CSVs (`volume_kbd`, grey, with the filter buttons), both
frozen; numbers formatted by unit (kb/d to one decimal, $/bbl to two, changes with their sign).
`read_workbook` reads the tables back with pandas (header row 2).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from optimizer.compare import Comparison

OVERVIEW = "overview"
HEADER_ROWS = 2
MAX_WIDTH = 48
WRAP_CHARS = 110
PRINT_FIT_CHARS = 260  # column widths (characters) that still read when shrunk onto one landscape page

# Column-name suffix -> (unit shown in the header, Excel number format). Longest suffixes first.
UNITS: tuple[tuple[str, str, str], ...] = (
    ("_kusd_per_day", "kUSD/d", "#,##0.0"),
    ("_usd_per_bbl", "$/bbl", "#,##0.00"),
    ("_t_per_day", "t/d", "#,##0.0"),
    ("_kbd", "kb/d", "#,##0.0"),
    ("_wt_pct", "wt %", "0.000"),
    ("_pp", "percentage points", "0.0"),
    ("_pct", "%", "0.0"),
    ("_deg", "°API", "0.0"),
    ("_seconds", "s", "0.000"),
)
FORMAT_BY_UNIT = {unit: fmt for _, unit, fmt in UNITS} | {"count": "0"}
GENERAL = "#,##0.0000"
BOOLEAN = '"TRUE";"TRUE";"FALSE"'  # Excel shows a boolean cell as TRUE/FALSE anyway; LibreOffice needs telling
NAMES: dict[str, tuple[str, str | None]] = {  # column -> (label, number format); None = text
    "scenario": ("Scenario", None), "base_scenario": ("Base scenario", None),
    "case_scenario": ("Case scenario", None), "refinery_id": ("Refinery", None), "crude_id": ("Crude", None),
    "unit_id": ("Unit", None), "stream_id": ("Stream", None), "product_id": ("Product", None),
    "ref_product_id": ("Reference product", None), "quality_id": ("Quality", None), "link_id": ("Link", None),
    "rule_id": ("Policy rule", None), "tier": ("Supply tier", None), "family": ("Constraint family", None),
    "body": ("Row activity (row's unit)", GENERAL), "lower": ("Lower bound (row's unit)", GENERAL),
    "upper": ("Upper bound (row's unit)", GENERAL), "slack": ("Slack (row's unit)", GENERAL),
    "dual": ("Marginal value (per unit of bound)", GENERAL), "simplex_iterations": ("Simplex iterations", "0"),
    "limit": ("Limit", None), "presence": ("Row exists in", None), "binding_change": ("Binding change", None),
    "marginal_value_unit": ("Unit of the marginal value", None),
    "marginal_value": ("Marginal value (see its unit)", "#,##0.00"),
    "marginal_value_change": ("Marginal value change (see its unit)", "+#,##0.00;-#,##0.00;0.00"),
    "worth_1pct_kusd_per_day": ("1% relaxation is worth (kUSD/d)", "#,##0.0"),
    "dual_unique": ("Marginal value unique", None), "at": ("At bound", None),
    "amount_kusd_per_day": ("Amount (kUSD/d)", "#,##0.0"),
}
# Words spelled as the report spells them (the CSV names keep their own spelling).
SPELLING = {"utilization": "utilisation", "Utilization": "Utilisation"}
QUALITY_SUFFIXES = {"_value": "blended value", "_min": "minimum", "_max": "maximum"}
ACRONYMS = {"api": "API", "fob": "FOB", "tan": "TAN", "lpg": "LPG", "fcc": "FCC", "aki": "AKI"}
GREY = "808080"
FONT = "Calibri"  # the workbook's default: a font without a name prints in LibreOffice's serif fallback
VALUE_BY_UNIT = ("base_value", "case_value", "change")
INFINITY = {True: "inf", False: "-inf"}


def column_label(name: str, quality_units: dict[str, str] | None = None) -> tuple[str, str | None]:
    """('Volume change (kb/d)', '+#,##0.0;-#,##0.0;0.0') for 'volume_change_kbd'; the format is None for text.
    `quality_units` (quality_id -> unit, from the instance's qualities table) labels the products table's
    `<quality>_value/_min/_max` columns."""
    for prefix in ("base_", "case_"):
        if name.startswith(prefix) and name[len(prefix):] in NAMES:
            label, fmt = column_label(name[len(prefix):])
            return f"{prefix[:-1].capitalize()} {label[0].lower()}{label[1:]}", fmt
    if name in NAMES:
        return NAMES[name]
    for suffix, words in QUALITY_SUFFIXES.items():
        quality = name[: -len(suffix)]
        if name.endswith(suffix) and quality_units is not None and quality in quality_units:
            unit = quality_units[quality]
            unit = "dimensionless" if unit.strip() in ("", "-") else unit
            return f"{_words(quality)} {words} ({unit})", "0.000"
    for suffix, unit, fmt in UNITS:
        if name == suffix[1:]:  # a bare unit: 'kusd_per_day'
            return f"Value ({unit})", fmt
    if name.endswith("_change"):
        return _words(name), "+#,##0.0000;-#,##0.0000;0"
    for suffix, unit, fmt in UNITS:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            if stem.startswith("origin_"):
                words = stem.removeprefix("origin_").replace("_", " ").title()
            else:
                words = _words(stem)
            if "_change" in name or suffix == "_pp":
                fmt = f"+{fmt};-{fmt};{fmt}"
            return f"{words} ({unit})", fmt
    return _words(name), None


def _words(name: str) -> str:
    words = [SPELLING.get(w, ACRONYMS.get(w, w)) for w in name.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def quality_units(instance: str | Path | None) -> dict[str, str]:
    """quality_id -> unit from the instance's qualities table (qualities.csv, or the sheet of instance.xlsx);
    empty where the instance is not at hand."""
    if not instance:
        return {}
    folder = Path(instance)
    try:
        if (folder / "qualities.csv").is_file():
            frame = pd.read_csv(folder / "qualities.csv", dtype=str, keep_default_na=False)
        elif (folder / "instance.xlsx").is_file():
            frame = pd.read_excel(folder / "instance.xlsx", sheet_name="qualities", dtype=str).fillna("")
        else:
            return {}
    except (OSError, ValueError, KeyError):
        return {}
    if not {"quality_id", "unit"} <= set(frame.columns):
        return {}
    return dict(zip(frame["quality_id"], frame["unit"]))


@dataclass
class Block:
    """A titled block of the overview sheet: optional header, rows, and the number format of each row's numbers.
    `numeric` columns (0-based) hold numbers: right-aligned, their header too; `signed` ones show a sign;
    `unit_column` is set off from the numbers before it; `mono` rows (hashes) are in a small fixed font."""

    title: str
    rows: list[list[Any]]
    header: list[str] | None = None
    formats: list[str | None] = field(default_factory=list)  # per row; None = General
    numeric: tuple[int, ...] = ()
    signed: tuple[int, ...] = ()
    unit_column: int | None = None
    mono: bool = False


@dataclass
class Overview:
    title: str
    blocks: list[Block]


# The overview's columns: labels in A, numbers in B-D, a unit in E; a text value starts in B and runs on to E.
OVERVIEW_WIDTHS = (38, 17, 17, 17, 12)
TEXT_CHARS = 72  # what B-E show of a text value; longer ones continue on the next row


def _width(values: Sequence[Any], fmt: str | None) -> int:
    longest = 0
    for value in values[:500]:
        if isinstance(value, float):
            text = "" if math.isnan(value) else (f"{value:,.4f}" if fmt == GENERAL or fmt is None else f"{value:,.2f}")
        else:
            text = str(value)
        longest = max(longest, len(text))
    return longest


def _signed(fmt: str) -> str:
    return fmt if ";" in fmt else f"+{fmt};-{fmt};{fmt}"


def _table_sheet(sheet: Worksheet, frame: pd.DataFrame, qualities: dict[str, str] | None = None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold, grey = Font(name=FONT, bold=True), Font(name=FONT, color=GREY, size=8, italic=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    kinds = frame["kind"].tolist() if "kind" in frame.columns else None  # compare_bridge: total or change
    for j, name in enumerate(frame.columns, start=1):
        label, fmt = column_label(str(name), qualities)
        top = sheet.cell(row=1, column=j, value=label)
        top.font, top.fill = bold, fill
        top.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=2, column=j, value=str(name)).font = grey
        values = frame[name].tolist()
        row_units = frame["unit"].tolist() if "unit" in frame.columns and name in VALUE_BY_UNIT else None
        for i, value in enumerate(values, start=HEADER_ROWS + 1):
            if row_units is not None:  # a metric per row (compare_summary): its unit decides its format
                fmt = FORMAT_BY_UNIT.get(str(row_units[i - HEADER_ROWS - 1]), GENERAL)
                fmt = _signed(fmt) if name == "change" else fmt
            cell_fmt = fmt
            if kinds is not None and fmt and kinds[i - HEADER_ROWS - 1] == "change":
                cell_fmt = _signed(fmt)  # a step of the bridge is a change: shown with its sign
            if isinstance(value, float) and math.isnan(value):
                continue
            if hasattr(value, "item"):  # numpy scalar -> Python
                value = value.item()
            if isinstance(value, float) and math.isinf(value):
                value = INFINITY[value > 0]  # an unbounded range: xlsx has no infinite number
            cell = sheet.cell(row=i, column=j, value=value)
            if isinstance(value, bool):
                cell.number_format = BOOLEAN
            elif cell_fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
                cell.number_format = cell_fmt
        width = max(min(len(label), 22), len(str(name)) * 0.8, _width(values, fmt)) + 2
        sheet.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, width)
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = f"A{HEADER_ROWS + 1}"
    last = get_column_letter(max(1, len(frame.columns)))
    sheet.auto_filter.ref = f"A2:{last}{HEADER_ROWS + max(1, len(frame))}"
    sheet.print_title_rows = f"1:{HEADER_ROWS}"
    widths = [sheet.column_dimensions[get_column_letter(j)].width or 10 for j in range(1, len(frame.columns) + 1)]
    # Shrunk onto one landscape page a wide table is unreadable on paper: spread it over as many pages across as
    # keep about PRINT_FIT_CHARS characters a page.
    _landscape(sheet, pages_wide=max(1, math.ceil(sum(widths) / PRINT_FIT_CHARS)))


def _landscape(sheet: Worksheet, pages_wide: int = 1) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = pages_wide
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _overview_sheet(sheet: Worksheet, overview: Overview) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.cell(row=1, column=1, value=overview.title).font = Font(name=FONT, bold=True, size=14)
    row = 3
    for block in overview.blocks:
        sheet.cell(row=row, column=1, value=block.title).font = Font(name=FONT, bold=True, size=12)
        row += 1
        if block.header:
            for j, text in enumerate(block.header):
                cell = sheet.cell(row=row, column=j + 1, value=text)
                cell.font = Font(name=FONT, bold=True)
                if j in block.numeric:
                    cell.alignment = Alignment(horizontal="right")
                elif j == block.unit_column:
                    cell.alignment = Alignment(horizontal="left", indent=1)
            row += 1
        for k, cells in enumerate(_wrapped(block.rows)):
            fmt = block.formats[k] if k < len(block.formats) else None
            for j, value in enumerate(cells):
                if isinstance(value, float) and math.isnan(value):
                    value = ""
                cell = sheet.cell(row=row, column=j + 1, value=value)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell.number_format = _signed(fmt or "#,##0.0") if j in block.signed else (fmt or "General")
                    cell.alignment = Alignment(horizontal="right")
                elif j in block.numeric:  # a word in a column of numbers ("optimal") lines up with them
                    cell.alignment = Alignment(horizontal="right")
                elif j == block.unit_column:
                    cell.alignment = Alignment(horizontal="left", indent=1)
                elif block.mono and j > 0:
                    cell.font = Font(name="DejaVu Sans Mono", size=8)
            row += 1
        row += 1
    for j, width in enumerate(OVERVIEW_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = width
    _landscape(sheet)


def _wrapped(rows: list[list[Any]]) -> list[list[Any]]:
    """A row whose last cell is a long text continues on further rows (a cell's text overflowing far to the
    right would make LibreOffice shrink the whole printed page to fit it). One text cell alone (a summary line)
    runs across the sheet, WRAP_CHARS wide; a text value beside its label in the B-E span, TEXT_CHARS wide."""
    out: list[list[Any]] = []
    for cells in rows:
        last = cells[-1] if cells else None
        limit = WRAP_CHARS if len(cells) == 1 else TEXT_CHARS
        if isinstance(last, str) and len(last) > limit:
            lines = textwrap.wrap(last, limit, subsequent_indent="    ", break_on_hyphens=False)
            out.append([*cells[:-1], lines[0]])
            out.extend([*([""] * (len(cells) - 1)), line] for line in lines[1:])
        else:
            out.append(cells)
    return out


def write_workbook(path: Path, tables: dict[str, pd.DataFrame], overview: Overview,
                   qualities: dict[str, str] | None = None) -> None:
    """The overview sheet, then one formatted sheet per table (sheet name = table name)."""
    from openpyxl import Workbook

    book = Workbook()
    _overview_sheet(book.active, overview)
    book.active.title = OVERVIEW
    for name, frame in tables.items():
        frame = frame.copy()
        for column in frame.columns:
            if pd.api.types.is_float_dtype(frame[column]):
                frame[column] = frame[column] + 0.0  # -0.0 would print as -0
        _table_sheet(book.create_sheet(name[:31]), frame, qualities)
    book.save(path)


def read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    """Every table sheet of a workbook written here, with the CSV column names (row 2) as header."""
    sheets = pd.read_excel(path, sheet_name=None, header=HEADER_ROWS - 1)
    tables = {name: frame for name, frame in sheets.items() if name != OVERVIEW}
    for frame in tables.values():
        for column in frame.columns:
            if pd.api.types.is_numeric_dtype(frame[column]):
                continue
            cells = frame[column].dropna()
            if len(cells) and cells.map(lambda x: isinstance(x, (int, float)) or x in INFINITY.values()).all() \
                    and cells.isin(list(INFINITY.values())).any():
                frame[column] = pd.to_numeric(frame[column])
    return tables


def _overrides(meta: dict[str, Any]) -> list[str]:
    """The overrides applied, without the 'scenario: ' each carries in the manifest."""
    scenario = str(meta.get("scenario", ""))
    return [str(o)[len(scenario) + 2:] if scenario and str(o).startswith(f"{scenario}: ") else str(o)
            for o in (meta.get("overrides") or [])]


def _provenance(meta: dict[str, Any]) -> list[list[Any]]:
    versions = meta.get("versions") or {}
    rows = [["instance", meta.get("instance_name", "")], ["instance folder", meta.get("instance", "")],
            ["scenario", meta.get("scenario", "")]]
    overrides = _overrides(meta) or ["none"]
    rows += [[f"overrides applied ({len(overrides)})" if i == 0 else "", o] for i, o in enumerate(overrides)]
    rows += [["status", f"{meta.get('status', '')} ({meta.get('termination', '')})"],
             ["versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))]]
    if meta.get("solver_options"):
        rows.append(["solver options", ", ".join(f"{k}={v}" for k, v in sorted(meta["solver_options"].items()))])
    return rows


def _hashes(meta: dict[str, Any]) -> list[list[Any]]:
    return [[name, digest] for name, digest in sorted((meta.get("input_sha256") or {}).items())]


def results_overview(tables: dict[str, pd.DataFrame], meta: dict[str, Any]) -> Overview:
    summary = tables["summary"].iloc[0]
    rows: list[list[Any]] = [["status", str(summary["status"]), ""]]
    formats: list[str | None] = [None]
    if meta.get("status") == "optimal" and "refineries" in tables:
        run = float(summary["crude_run_kbd"])
        margin = float(summary["objective_kusd_per_day"])
        refineries = tables["refineries"]
        slate = tables["slate"]
        headline = [
            ("coast margin", margin, "kUSD/d"),
            ("margin per barrel of crude", margin / run if run > 0 else math.nan, "$/bbl"),
            ("crude run", run, "kb/d"),
            ("crude-unit capacity", float(refineries["crude_capacity_kbd"].sum()), "kb/d"),
            ("refineries running", int((refineries["crude_run_kbd"] > 1e-9).sum()), "count"),
            ("crude grades taken", int(slate.loc[slate["volume_kbd"] > 1e-9, "crude_id"].nunique()), "count"),
        ]
        origins = slate.groupby("origin")["volume_kbd"].sum().sort_values(ascending=False)
        headline += [(f"crude from {origin}", float(x), "kb/d") for origin, x in origins.items() if x > 1e-9]
        rows += [[label, value, unit] for label, value, unit in headline]
        formats += [FORMAT_BY_UNIT.get(unit) for _, _, unit in headline]
    title = f"{meta.get('instance_name', '')}: scenario {meta.get('scenario', '')}"
    return Overview(title, [
        Block("Headline", rows, ["figure", "value", "unit"], formats, numeric=(1,), unit_column=2),
        Block("What produced these results", _provenance(meta)),
        Block("Input files (sha256)", _hashes(meta), ["file", "sha256"], mono=True),
        Block("Sheets", [[name, _SHEET_NOTES.get(name, "")] for name in tables], ["sheet", "one row per"]),
    ])


_SHEET_NOTES = {
    "summary": "scenario", "slate": "refinery x crude (zeros included)", "units": "process unit",
    "unit_feeds": "unit x feed stream", "blends": "refinery x product x component", "products": "refinery x product",
    "refineries": "refinery", "constraints": "constraint row (dual = marginal value)",
    "compare_summary": "headline figure", "compare_refineries": "refinery, and the coast",
    "compare_bridge": "refinery (and coast) x step of the margin bridge",
    "compare_slate": "refinery x crude taken in either case, and per crude for the coast",
    "compare_origins": "refinery (and coast) x origin", "compare_units": "process unit",
    "compare_products": "refinery (and coast) x product",
    "compare_constraints": "constraint row whose marginal value moved or that became / stopped binding",
}


def results_writer(tables: dict[str, pd.DataFrame], meta: dict[str, Any]) -> Callable[[Path], None]:
    """Writer of a solve's workbook (results.xlsx)."""
    return lambda path: write_workbook(path, tables, results_overview(tables, meta),
                                       quality_units(meta.get("instance")))


def comparison_overview(comparison: Comparison, lines: list[str]) -> Overview:
    summary = comparison.tables["compare_summary"]
    rows = [[m, b, c, d, u] for m, b, c, d, u in zip(summary["metric"], summary["base_value"], summary["case_value"],
                                                     summary["change"], summary["unit"])]
    formats = [FORMAT_BY_UNIT.get(u) for u in summary["unit"]]
    blocks = [Block("Headline", rows, ["figure", comparison.base_label, comparison.case_label, "change", "unit"],
                    formats, numeric=(1, 2, 3), signed=(3,), unit_column=4),
              Block("In ten seconds", [[line] for line in lines[1:]])]
    for label, side, res in ((comparison.base_label, "base", comparison.base),
                             (comparison.case_label, "case", comparison.case)):
        blocks.append(Block(f"What produced {label} (the {side})",
                            [*_provenance(res.manifest), ["results folder", str(res.path.resolve())]]))
    base_hashes = comparison.base.manifest.get("input_sha256") or {}
    case_hashes = comparison.case.manifest.get("input_sha256") or {}
    hashes: list[list[Any]] = []
    for name in sorted(set(base_hashes) | set(case_hashes)):
        b, c = base_hashes.get(name, ""), case_hashes.get(name, "")
        hashes += [[name, b]] if b == c else [[name, f"{b} ({comparison.base_label})"],
                                                ["", f"{c} ({comparison.case_label})"]]
    same = base_hashes == case_hashes
    blocks += [Block("Input files (sha256)" + (": the same in both cases" if same else ": they differ"), hashes,
                     ["file", "sha256"], mono=True),
               Block("Sheets", [[name, _SHEET_NOTES.get(name, "")] for name in comparison.tables],
                     ["sheet", "one row per"])]
    return Overview(lines[0], blocks)


def comparison_writer(comparison: Comparison, lines: list[str]) -> Callable[[Path], None]:
    """Writer of a comparison's workbook (compare.xlsx)."""
    return lambda path: write_workbook(path, comparison.tables, comparison_overview(comparison, lines),
                                       quality_units(comparison.case.manifest.get("instance")))
