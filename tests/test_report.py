"""`crudeslate report`: one self-contained HTML file, rendered in headless Chromium and held to the CSVs.

The browser tests open the report as a person would (a fresh headless Chromium, no network), take a
full-page screenshot, fail on any console error or network request, and check that every figure and
every bar shown equals the result CSVs. Set REPORT_SCREENSHOTS=<folder> to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main

from .chromium import available, render
from .conftest import INSTANCES

TOY = str(INSTANCES / "toy_two_crudes")
FLAGSHIP = str(INSTANCES / "gulf_coast_2026")
WHY_NO_CHROMIUM = available()
needs_chromium = pytest.mark.skipif(WHY_NO_CHROMIUM is not None, reason=f"headless Chromium: {WHY_NO_CHROMIUM}")
# Everything a test reads off the rendered page: figures, bars with their drawn widths, grid cells, bridge steps.
EXTRACT = r"""(() => {
  const text = (e) => e ? e.textContent : null;
  const figs = {};
  document.querySelectorAll('[data-figure]').forEach(e => { figs[e.dataset.figure] = e.textContent; });
  const bars = (sel) => Array.from(document.querySelectorAll(sel + ' g.bar-row')).map(g => ({
    key: g.dataset.key, end: text(g.querySelector('text.end-label')),
    segs: Array.from(g.querySelectorAll('rect.seg')).map(r => ({series: r.dataset.series, value: +r.dataset.value,
      width: r.getBoundingClientRect().width, title: text(r.querySelector('title'))}))}));
  const cells = (sel) => Array.from(document.querySelectorAll(sel + ' g.grid-row')).flatMap(g =>
    Array.from(g.querySelectorAll('g.cell')).map(c => ({row: g.dataset.key, col: c.dataset.column,
      value: +c.dataset.value, text: text(c.querySelector('text'))})));
  const steps = Array.from(document.querySelectorAll('svg.bridge g.step')).map(g => ({step: g.dataset.step,
    kind: g.dataset.kind, value: +g.dataset.value, text: text(g.querySelector('text')),
    height: g.querySelector('rect').getBoundingClientRect().height}));
  const points = (sel) => Array.from(document.querySelectorAll(sel + ' g.series')).map(g => ({
    series: g.dataset.series, points: Array.from(g.querySelectorAll('circle.point')).map(c => [+c.dataset.x,
      +c.dataset.value])}));
  return {figs, slate: bars('svg.slate'), change: bars('svg.slate-change'), origins: bars('svg.coast-origins'),
          util: cells('svg.utilisation'), steps, sweep: points('svg.sweep-margin'),
          dots: Array.from(document.querySelectorAll('svg.breakevens circle.dot')).map(c => +c.dataset.value),
          sections: Array.from(document.querySelectorAll('section')).map(s => s.id),
          overflow: document.documentElement.scrollWidth > window.innerWidth};
})()"""


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    assert run("solve", TOY, "--all-scenarios", "--out", str(root)).exit_code == 0
    return root


@pytest.fixture(scope="module")
def flagship(tmp_path_factory):
    root = tmp_path_factory.mktemp("flagship")
    result = run("solve", FLAGSHIP, "--scenario", "sanctions_2025", "--scenario", "open_venezuela", "--out", str(root))
    assert result.exit_code == 0, result.output
    return root


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype={"refinery_id": str, "crude_id": str, "origin": str})


# ---------------------------------------------------------------------------------------------
# the file itself, without a browser


def test_one_self_contained_file(toy, tmp_path):
    out = tmp_path / "r.html"
    result = run("report", str(toy / "heavy_banned"), "--compare", str(toy / "base"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == f"report written to {out}\n"
    html = out.read_text()
    for outside in ("<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "href="):
        assert outside not in html, outside
    assert html.count("http") == html.count('xmlns="http://www.w3.org/2000/svg"')  # the SVG namespace, nothing fetched
    assert "<h1>toy_two_crudes: heavy_banned against base</h1>" in html


def test_default_output_is_next_to_the_results(toy):
    result = run("report", str(toy / "base"))
    assert result.exit_code == 0, result.output
    assert (toy / "base" / "report.html").is_file()
    assert "Also available: sweep curves (give --sweep); breakevens (give --value); the margin bridge (give " \
           "--compare)." in (toy / "base" / "report.html").read_text()


def test_missing_sweep_and_value_panels_are_skipped_and_said(toy, tmp_path):
    out = tmp_path / "r.html"
    result = run("report", str(toy / "base"), "--sweep", str(tmp_path / "nosweep"), "--value", str(tmp_path / "noval"),
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"note: sweep panel skipped: {tmp_path / 'nosweep' / 'sweep_summary.csv'} not found",
        f"note: breakeven panel skipped: {tmp_path / 'noval' / 'crude_values.csv'} not found",
        f"report written to {out}"]
    html = out.read_text()
    assert f"Not shown: {tmp_path / 'nosweep' / 'sweep_summary.csv'} was not found" in html
    assert f"Not shown: {tmp_path / 'noval' / 'crude_values.csv'} was not found" in html


def test_bad_folders_and_usage(toy, tmp_path):
    result = run("report", str(tmp_path))
    assert result.exit_code == 1
    assert "not a result folder written by `crudeslate solve`" in result.output
    assert run("solve", str(INSTANCES / "textbook_refinery"), "--out", str(tmp_path / "tb")).exit_code == 0
    result = run("report", str(toy / "base"), "--compare", str(tmp_path / "tb"))
    assert result.exit_code == 1 and "are results of different instances" in result.output
    assert run("report").exit_code == 2
    assert not list(tmp_path.glob("**/report.html"))


# ---------------------------------------------------------------------------------------------
# in the browser


def shoot(html: Path, png: Path, expressions: dict[str, str] | None = None):
    page = render(html, png, {"data": EXTRACT, **(expressions or {})})
    keep = os.environ.get("REPORT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)
    assert page.errors == [], page.errors
    assert page.requests == [html.resolve().as_uri()], "the report asked the network for something"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (page.width, page.height)
    assert width >= 1000 and height > 1200 and len(data) > 30_000  # a whole page with charts, not a blank
    assert not page.values["data"]["overflow"], "the page scrolls sideways"
    return page.values["data"]


def check_slate(data: dict, folder: Path) -> None:
    """Bars: one per refinery, largest run first; a segment per origin equal to slate.csv, drawn to scale."""
    slate, refineries = read(folder, "slate"), read(folder, "refineries")
    expected = slate[slate["volume_kbd"] > 1e-9].groupby(["refinery_id", "origin"])["volume_kbd"].sum()
    order = refineries.sort_values(["crude_run_kbd", "refinery_id"], ascending=[False, True])
    assert [b["key"] for b in data["slate"]] == list(order["refinery_id"])
    runs = refineries.set_index("refinery_id")["crude_run_kbd"]
    px_per_kbd = []
    for bar in data["slate"]:
        drawn = {s["series"]: s["value"] for s in bar["segs"]}
        assert drawn == pytest.approx(expected.loc[bar["key"]].to_dict() if bar["key"] in expected.index else {})
        run_kbd = runs[bar["key"]]
        assert bar["end"] == (f"{run_kbd:,.1f}" if run_kbd > 1e-9 else "idle")
        for seg in bar["segs"]:
            assert f": {seg['value']:,.1f} kb/d" in seg["title"]
            px_per_kbd.append((seg["width"], seg["value"]))
    scale = max(w for w, _ in px_per_kbd) / max(v for w, v in px_per_kbd if w == max(w for w, _ in px_per_kbd))
    for width, value in px_per_kbd:
        assert width == pytest.approx(value * scale, abs=0.75)


def check_utilisation(data: dict, folder: Path) -> None:
    units, refineries = read(folder, "units"), read(folder, "refineries")
    expected = {(r.refinery_id, "crude unit"): 100 * r.crude_run_kbd / r.crude_capacity_kbd
                for r in refineries.itertuples() if r.crude_capacity_kbd > 0}
    for (refinery, unit_type), g in units.groupby(["refinery_id", "unit_type"]):
        if g["capacity_kbd"].sum() > 0:
            expected[(refinery, unit_type)] = 100 * g["feed_kbd"].sum() / g["capacity_kbd"].sum()
    shown = {(c["row"], c["col"]): c for c in data["util"]}
    assert set(shown) == set(expected)
    for key, pct in expected.items():
        assert shown[key]["value"] == pytest.approx(pct, abs=1e-9)
        assert shown[key]["text"] == f"{pct:,.0f}%"


def check_headline(data: dict, case: Path, base: Path | None = None) -> None:
    figs = data["figs"]
    summary = read(case, "summary").iloc[0]
    margin, run_kbd = summary["objective_kusd_per_day"], summary["crude_run_kbd"]
    assert figs["coast_margin_kusd_per_day"] == f"{margin:,.1f}"
    assert figs["coast_margin_usd_per_bbl"] == f"{margin / run_kbd:,.2f}"
    assert figs["crude_run_kbd"] == f"{run_kbd:,.1f}"
    for r in read(case, "refineries").itertuples():
        assert figs[f"run:{r.refinery_id}"] == f"{r.crude_run_kbd:,.1f}"
        assert figs[f"margin:{r.refinery_id}"] == f"{r.margin_kusd_per_day:,.1f}"
    if base is not None:
        was = read(base, "summary").iloc[0]
        assert figs["coast_margin_kusd_per_day_change"] == f"{margin - was['objective_kusd_per_day']:+,.1f}"
        assert figs["crude_run_kbd_change"] == f"{run_kbd - was['crude_run_kbd']:+,.1f}"


def check_bridge(data: dict, case: Path, base: Path) -> None:
    steps = data["steps"]
    assert [s["kind"] for s in steps] == ["total"] + ["change"] * (len(steps) - 2) + ["total"]
    was = read(base, "summary")["objective_kusd_per_day"].iloc[0]
    now = read(case, "summary")["objective_kusd_per_day"].iloc[0]
    assert steps[0]["value"] == pytest.approx(was, rel=1e-9) and steps[0]["text"] == f"{was:,.1f}"
    assert steps[-1]["value"] == pytest.approx(now, rel=1e-9) and steps[-1]["text"] == f"{now:,.1f}"
    assert was + sum(s["value"] for s in steps[1:-1]) == pytest.approx(now, abs=1e-6 * max(1.0, abs(now)))
    scale = steps[-1]["height"] / abs(now)
    for s in steps:
        assert s["height"] == pytest.approx(max(0.5, abs(s["value"]) * scale), abs=0.75), s["step"]


@needs_chromium
def test_toy_report_in_the_browser(toy, tmp_path):
    out = tmp_path / "toy-heavy_banned-vs-base.html"
    assert run("report", str(toy / "heavy_banned"), "--compare", str(toy / "base"), "--out", str(out)).exit_code == 0
    data = shoot(out, tmp_path / "toy-heavy_banned-vs-base.png")
    assert data["sections"][:8] == ["headline", "slate", "slate-change", "utilisation", "utilisation-change",
                                     "bridge", "margin-change", "binding"]
    check_headline(data, toy / "heavy_banned", toy / "base")
    check_slate(data, toy / "heavy_banned")
    check_utilisation(data, toy / "heavy_banned")
    check_bridge(data, toy / "heavy_banned", toy / "base")
    # The hand-derived toy: light 43.0 -> 60.0 kb/d, heavy 57.0 -> 0, coker 100% -> 45%.
    (change,) = data["change"]
    assert {s["series"]: round(s["value"], 4) for s in change["segs"]} == {"Alpha": 16.9906, "Beta": -56.9906}
    assert [(c["col"], c["text"]) for c in data["util"]] == [("crude unit", "60%"), ("coker", "45%")]


@needs_chromium
def test_sweep_and_breakeven_panels_in_the_browser(toy, tmp_path):
    sweep, value = tmp_path / "sweep", tmp_path / "value"
    result = run("sweep", TOY, "--vary", "crudes.heavy.price_usd_per_bbl=60:80:2", "--out", str(sweep))
    assert result.exit_code == 0, result.output
    result = run("value", TOY, "--out", str(value))
    assert result.exit_code == 0, result.output
    out = tmp_path / "toy-base-sweep-value.html"
    result = run("report", str(toy / "base"), "--sweep", str(sweep), "--value", str(value), "--out", str(out))
    assert result.exit_code == 0 and result.output == f"report written to {out}\n", result.output
    data = shoot(out, tmp_path / "toy-base-sweep-value.png")
    assert {"sweep", "value"} <= set(data["sections"])
    check_headline(data, toy / "base")
    summary = pd.read_csv(sweep / "sweep_summary.csv")
    (curve,) = data["sweep"]
    assert curve["series"] == "base"
    assert [x for p in curve["points"] for x in p] == pytest.approx(
        [x for p in zip(summary["crudes.heavy.price_usd_per_bbl="], summary["objective_kusd_per_day"]) for x in p])
    values = pd.read_csv(value / "crude_values.csv")
    coast = values[values["refinery_id"] == "coast"].sort_values(["volume_kbd", "crude_id"], ascending=[False, True])
    expected = [x for r in coast.itertuples() for x in (r.current_delivered_usd_per_bbl, r.breakeven_usd_per_bbl)]
    assert data["dots"] == pytest.approx(expected)
    assert 69.5 in [round(x, 6) for x in data["dots"]]  # heavy leaves the toy's slate at 69.50 $/bbl


@needs_chromium
def test_flagship_sanctions_against_open_in_the_browser(flagship, tmp_path):
    case, base = flagship / "open_venezuela", flagship / "sanctions_2025"
    out = tmp_path / "flagship-open_venezuela-vs-sanctions_2025.html"
    assert run("report", str(case), "--compare", str(base), "--out", str(out)).exit_code == 0
    data = shoot(out, tmp_path / "flagship-open_venezuela-vs-sanctions_2025.png")
    check_headline(data, case, base)
    check_slate(data, case)
    check_utilisation(data, case)
    check_bridge(data, case, base)
    origins = {b["key"]: {s["series"]: s["value"] for s in b["segs"]} for b in data["origins"]}
    for label, folder in (("sanctions_2025", base), ("open_venezuela", case)):
        slate = read(folder, "slate")
        by = slate[slate["volume_kbd"] > 1e-9].groupby("origin")["volume_kbd"].sum()
        assert origins[label] == pytest.approx(by.to_dict())
    moved = read(case, "slate").merge(read(base, "slate"), on=["refinery_id", "crude_id", "origin"], how="outer",
                                      suffixes=("_case", "_base")).fillna(0.0)
    moved["change"] = moved["volume_kbd_case"] - moved["volume_kbd_base"]
    by_ref = moved.groupby(["refinery_id", "origin"])["change"].sum()
    for bar in data["change"]:
        for seg in bar["segs"]:
            assert seg["value"] == pytest.approx(by_ref[(bar["key"], seg["series"])], abs=1e-9)
