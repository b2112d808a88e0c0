"""Formatted workbooks (`solve/compare --format xlsx`): layout, number formats, provenance, and a clean open in
LibreOffice (converted headless to PDF, the PDF's text checked with pdftotext)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from optimizer.cli import main
from optimizer.xlsx_report import GENERAL, OVERVIEW, column_label, read_workbook

from .conftest import INSTANCES
from .test_compare import BANNED_MARGIN, TOY_MARGIN, H, L

TOY = str(INSTANCES / "toy_two_crudes")
TABLES = ("summary", "slate", "units", "unit_feeds", "blends", "products", "refineries", "constraints")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
WHY_NO_OFFICE = (None if SOFFICE and PDFTOTEXT else
                 "LibreOffice (Debian `libreoffice-calc`) and pdftotext (`poppler-utils`) are needed; .ci/run installs "
                 "them")
needs_office = pytest.mark.skipif(WHY_NO_OFFICE is not None, reason=str(WHY_NO_OFFICE))


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    root = tmp_path_factory.mktemp("xlsx")
    assert run("solve", TOY, "--format", "xlsx", "--out", str(root / "x")).exit_code == 0
    assert run("solve", TOY, "--out", str(root / "c")).exit_code == 0
    assert run("solve", TOY, "--scenario", "heavy_banned", "--out", str(root / "banned")).exit_code == 0
    result = run("compare", str(root / "c"), str(root / "banned"), "--format", "xlsx", "--out", str(root / "cmp"))
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize("name, label, fmt", [
    ("volume_kbd", "Volume (kb/d)", "#,##0.0"),
    ("delivered_cost_usd_per_bbl", "Delivered cost ($/bbl)", "#,##0.00"),
    ("margin_kusd_per_day", "Margin (kUSD/d)", "#,##0.0"),
    ("volume_change_kbd", "Volume change (kb/d)", "+#,##0.0;-#,##0.0;#,##0.0"),
    ("utilization_change_pp", "Utilisation change (percentage points)", "+0.0;-0.0;0.0"),
    ("amount_kusd_per_day", "Amount (kUSD/d)", "#,##0.0"),
    ("kusd_per_day", "Value (kUSD/d)", "#,##0.0"),  # a bare unit still gets its unit and format
    ("origin_united_states_kbd", "United States (kb/d)", "#,##0.0"),
    ("slate_api_deg", "Slate API (°API)", "0.0"),
    ("slate_sulfur_wt_pct", "Slate sulfur (wt %)", "0.000"),
    ("refinery_id", "Refinery", None),
    ("base_dual", "Base marginal value (per unit of bound)", GENERAL),
    ("simplex_iterations", "Simplex iterations", "0"),
])
def test_column_labels_carry_units_and_formats(name, label, fmt):
    assert column_label(name) == (label, fmt)


def test_solve_workbook_layout(solved):
    book = load_workbook(solved / "x" / "results.xlsx")
    assert book.sheetnames == [OVERVIEW, *TABLES]
    for name in TABLES:
        sheet = book[name]
        header = pd.read_csv(solved / "c" / f"{name}.csv", nrows=0).columns
        assert [c.value for c in sheet[2]] == list(header)  # row 2: the CSV's column names
        assert [c.value for c in sheet[1]] == [column_label(h)[0] for h in header]  # row 1: labels with units
        assert sheet.freeze_panes == "A3"
        assert sheet.auto_filter.ref.startswith("A2:")
    slate = book["slate"]
    columns = [c.value for c in slate[2]]
    volume = slate.cell(row=3, column=columns.index("volume_kbd") + 1)
    cost = slate.cell(row=3, column=columns.index("delivered_cost_usd_per_bbl") + 1)
    assert (volume.number_format, cost.number_format) == ("#,##0.0", "#,##0.00")
    assert isinstance(volume.value, float)


def test_overview_has_headline_and_provenance(solved):
    sheet = load_workbook(solved / "x" / "results.xlsx")[OVERVIEW]
    cells = {(c.row, c.column): c for row in sheet.iter_rows() for c in row if c.value is not None}
    by_label = {sheet.cell(row=r, column=1).value: r for r, col in cells if col == 1}
    meta = json.loads((solved / "x" / "manifest.json").read_text())
    assert sheet["A1"].value == "toy_two_crudes: scenario base"
    margin = sheet.cell(row=by_label["coast margin"], column=2)
    assert margin.value == pytest.approx(meta["objective_kusd_per_day"]) and margin.number_format == "#,##0.0"
    assert sheet.cell(row=by_label["coast margin"], column=3).value == "kUSD/d"
    assert sheet.cell(row=by_label["margin per barrel of crude"], column=2).number_format == "#,##0.00"
    assert sheet.cell(row=by_label["instance"], column=2).value == "toy_two_crudes"
    assert sheet.cell(row=by_label["scenario"], column=2).value == "base"
    for name, digest in meta["input_sha256"].items():
        assert sheet.cell(row=by_label[name], column=2).value == digest


def test_tables_read_back_equal_the_csvs(solved):
    sheets = read_workbook(solved / "x" / "results.xlsx")
    for name in TABLES:
        csv = pd.read_csv(solved / "c" / f"{name}.csv")
        numeric = [c for c in csv.columns if pd.api.types.is_float_dtype(csv[c]) and not c.endswith("_seconds")]
        for column in numeric:
            assert list(sheets[name][column]) == pytest.approx(list(csv[column]), rel=1e-9, nan_ok=True), column


def test_a_solve_without_optimum_still_gets_a_workbook(tmp_path):
    assert run("solve", str(INSTANCES / "infeasible_min_run"), "--format", "xlsx", "--out", str(tmp_path)).exit_code \
        == 3
    book = load_workbook(tmp_path / "results.xlsx")
    assert book.sheetnames == [OVERVIEW, "summary"]
    assert book[OVERVIEW]["B5"].value == "infeasible"


def test_compare_workbook(solved):
    out = solved / "cmp"
    assert sorted(p.name for p in out.iterdir()) == ["compare.xlsx", "manifest.json"]
    book = load_workbook(out / "compare.xlsx")
    assert book.sheetnames[0] == OVERVIEW and "compare_bridge" in book.sheetnames
    overview = [c.value for row in book[OVERVIEW].iter_rows() for c in row if c.value is not None]
    assert overview[0] == "heavy_banned against base (toy_two_crudes)"
    assert f"grades: {60 - L:+.0f} kb/d light, {-H:+.0f} heavy" in overview
    slate = book["compare_slate"]
    columns = [c.value for c in slate[2]]
    assert slate.cell(row=3, column=columns.index("volume_change_kbd") + 1).number_format == \
        "+#,##0.0;-#,##0.0;#,##0.0"
    bridge = book["compare_bridge"]
    columns = [c.value for c in bridge[2]]
    amount, kind = columns.index("amount_kusd_per_day") + 1, columns.index("kind") + 1
    assert bridge.cell(row=1, column=amount).value == "Amount (kUSD/d)"
    for row in range(3, bridge.max_row + 1):  # a step with its sign, a margin without
        fmt = bridge.cell(row=row, column=amount).number_format
        assert fmt == ("#,##0.0" if bridge.cell(row=row, column=kind).value == "total" else "+#,##0.0;-#,##0.0;#,##0.0")


def test_compare_overview_layout(solved):
    """Numbers sit under right-aligned headers in narrow columns with the unit apart; changes carry a sign; the
    override lines do not repeat the scenario; every input hash is there once."""
    from openpyxl.utils import get_column_letter

    sheet = load_workbook(solved / "cmp" / "compare.xlsx")[OVERVIEW]
    rows = {sheet.cell(row=r, column=1).value: r for r in range(1, sheet.max_row + 1)}
    header = rows["figure"]
    assert [sheet.cell(row=header, column=j).value for j in range(1, 6)] == ["figure", "base", "heavy_banned",
                                                                             "change", "unit"]
    for j in (2, 3, 4):
        assert sheet.cell(row=header, column=j).alignment.horizontal == "right"
        assert sheet.column_dimensions[get_column_letter(j)].width <= 20
    margin = rows["coast margin"]
    base, case = (sheet.cell(row=margin, column=j).value for j in (2, 3))
    assert (base, case) == pytest.approx((TOY_MARGIN, BANNED_MARGIN))
    assert sheet.cell(row=margin, column=4).value == pytest.approx(BANNED_MARGIN - TOY_MARGIN)
    assert sheet.cell(row=margin, column=4).number_format == "+#,##0.0;-#,##0.0;#,##0.0"
    assert all(sheet.cell(row=margin, column=j).alignment.horizontal == "right" for j in (2, 3, 4))
    assert sheet.cell(row=margin, column=5).value == "kUSD/d"
    assert sheet.cell(row=margin, column=5).alignment.indent >= 1  # not touching the number before it
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    meta = json.loads((solved / "banned" / "manifest.json").read_text())
    for override in meta["overrides"]:  # "heavy_banned: add policy ban_heavy" under heavy_banned's heading
        scenario, what = override.split(": ", 1)
        assert what in texts and override not in texts
    for digest in meta["input_sha256"].values():
        assert sum(t.startswith(digest) for t in texts) == 1


def test_quality_columns_carry_the_quality_unit(tmp_path):
    textbook = INSTANCES / "textbook_refinery"
    assert run("solve", str(textbook), "--format", "xlsx", "--out", str(tmp_path / "x")).exit_code == 0
    units = pd.read_csv(textbook / "qualities.csv", keep_default_na=False).set_index("quality_id")["unit"]
    products = load_workbook(tmp_path / "x" / "results.xlsx")["products"]
    labels = {products.cell(row=2, column=j).value: products.cell(row=1, column=j).value
              for j in range(1, products.max_column + 1)}
    for quality, unit in units.items():
        shown = "dimensionless" if unit in ("", "-") else unit
        assert labels[f"{quality}_min"].endswith(f"minimum ({shown})"), labels[f"{quality}_min"]


def pdf_text(workbook: Path, tmp_path: Path) -> str:
    """Convert `workbook` to PDF with headless LibreOffice (own profile) and return the PDF's text."""
    profile = tmp_path / "lo-profile"
    result = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                             "--outdir", str(tmp_path), str(workbook)], capture_output=True, text=True, timeout=180)
    pdf = tmp_path / (workbook.stem + ".pdf")
    assert result.returncode == 0 and pdf.is_file(), result.stdout + result.stderr
    return subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@needs_office
def test_solve_workbook_opens_in_libreoffice(solved, tmp_path):
    text = pdf_text(solved / "x" / "results.xlsx", tmp_path)
    meta = json.loads((solved / "x" / "manifest.json").read_text())
    assert "toy_two_crudes: scenario base" in text
    assert "1,506.5" in text and "kUSD/d" in text  # margin to one decimal with its unit
    assert "15.06" in text  # $/bbl to two decimals
    assert "Volume (kb/d)" in text and "Delivered cost ($/bbl)" in text and "volume_kbd" in text
    for line in ("43.0", "57.0", "80.00", "65.00"):  # the slate: kb/d one decimal, $/bbl two
        assert line in text
    assert meta["input_sha256"]["crudes.csv"] in text


@needs_office
def test_compare_workbook_opens_in_libreoffice(solved, tmp_path):
    text = pdf_text(solved / "cmp" / "compare.xlsx", tmp_path)
    assert "heavy_banned against base (toy_two_crudes)" in text
    assert f"{60 - L:+.0f} kb/d Alpha, {-H:+.0f} Beta; coast margin" in text  # the headline
    assert "Volume change (kb/d)" in text and f"{-H:,.1f}" in text and f"{60 - L:+,.1f}" in text
    assert "Amount (kUSD/d)" in text and f"{BANNED_MARGIN - TOY_MARGIN:+,.1f}" in text
