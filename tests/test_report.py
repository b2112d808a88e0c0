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
from optimizer.compare import BRIDGE_STEPS
from optimizer.html_report import step_curve
from optimizer.svg_charts import CHANGE_CAP_PP, nice_ticks, number, tick_decimals

from .chromium import available, render
from .conftest import INSTANCES
from .test_compare import check_flagship_summary

TOY = str(INSTANCES / "toy_two_crudes")
FLAGSHIP = str(INSTANCES / "gulf_coast_2026")
WHY_NO_CHROMIUM = available()
needs_chromium = pytest.mark.skipif(WHY_NO_CHROMIUM is not None, reason=f"headless Chromium: {WHY_NO_CHROMIUM}")
# Everything a test reads off the rendered page: figures, bars with their drawn widths, grid cells with the colours
# drawn, bridge steps, curves (exact points from data-xy), tables, axis labels.
EXTRACT = r"""(() => {
  const text = (e) => e ? e.textContent : null;
  const figs = {};
  document.querySelectorAll('[data-figure]').forEach(e => { figs[e.dataset.figure] = e.textContent; });
  const bars = (sel) => Array.from(document.querySelectorAll(sel + ' g.bar-row')).map(g => ({
    key: g.dataset.key, end: text(g.querySelector('text.end-label')),
    segs: Array.from(g.querySelectorAll('rect.seg')).map(r => ({series: r.dataset.series, value: +r.dataset.value,
      width: r.getBoundingClientRect().width, title: text(r.querySelector('title')),
      fill: getComputedStyle(r).fill}))}));
  const cells = (sel) => Array.from(document.querySelectorAll(sel + ' g.grid-row')).flatMap(g =>
    Array.from(g.querySelectorAll('g.cell')).map(c => ({row: g.dataset.key, col: c.dataset.column,
      value: +c.dataset.value, text: text(c.querySelector('text')),
      ink: getComputedStyle(c.querySelector('text')).fill, fill: getComputedStyle(c.querySelector('rect')).fill})));
  const empty = (sel) => Array.from(document.querySelectorAll(sel + ' rect.empty')).map(r => ({
    row: r.closest('g.grid-row').dataset.key, col: r.dataset.column, fill: getComputedStyle(r).fill,
    stroke: getComputedStyle(r).stroke}));
  const steps = Array.from(document.querySelectorAll('svg.bridge g.step')).map(g => ({step: g.dataset.step,
    kind: g.dataset.kind, value: +g.dataset.value, text: text(g.querySelector('text')),
    fill: getComputedStyle(g.querySelector('rect')).fill,
    height: g.querySelector('rect').getBoundingClientRect().height}));
  const curves = (sel) => Array.from(document.querySelectorAll(sel)).map(svg => ({
    marks: Array.from(svg.querySelectorAll('g.mark')).map(m => +m.dataset.x),
    crude: svg.closest('[data-crude]') ? svg.closest('[data-crude]').dataset.crude : null,
    series: Array.from(svg.querySelectorAll('g.series')).map(g => ({name: g.dataset.series,
      xy: g.dataset.xy.split(';').filter(p => p).map(p => p.split(',').map(Number))}))}));
  const rows = (sel) => Array.from(document.querySelectorAll(sel + ' tbody tr')).map(tr => {
    const fig = tr.querySelector('[data-figure]');
    return {key: fig ? fig.dataset.figure : null, value: fig ? +fig.dataset.value : null,
            cells: Array.from(tr.querySelectorAll('td')).map(td => td.textContent)}; });
  return {figs, slate: bars('svg.slate'), change: bars('svg.slate-change'), origins: bars('svg.coast-origins'),
          margins: bars('svg.margin-change'), util: cells('svg.utilisation'), utilEmpty: empty('svg.utilisation'),
          utilChange: cells('svg.utilisation-change'), utilChangeEmpty: empty('svg.utilisation-change'), steps,
          sweep: curves('svg.sweep-margin'), sweepOrigins: curves('svg.sweep-origins'),
          breakpoints: curves('svg.breakpoints'),
          dots: Array.from(document.querySelectorAll('svg.breakevens circle.dot')).map(c => +c.dataset.value),
          headline: text(document.querySelector('[data-summary="headline"]')),
          summary: Array.from(document.querySelectorAll('ul.summary li')).map(li => li.textContent),
          binding: rows('table.binding'),
          now: rows('.binding-change[data-kind="now"] table'),
          noLonger: rows('.binding-change[data-kind="no longer"] table'),
          axis: Array.from(document.querySelectorAll('svg.chart text.axis[data-value]')).map(t =>
            [t.textContent, +t.dataset.value]),
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
        assert figs["coast_margin_kusd_per_day_change"] == signed(margin - was["objective_kusd_per_day"])
        assert figs["crude_run_kbd_change"] == signed(run_kbd - was["crude_run_kbd"])


def signed(change: float) -> str:
    """A change as the report shows it: signed to one decimal, but a change that rounds to zero reads "0.0"."""
    return "0.0" if abs(change) < 0.05 else f"{change:+,.1f}"


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


def rgb(css: str) -> str:
    """'rgb(194, 65, 12)' -> '#c2410c'."""
    r, g, b = (int(float(x)) for x in css[css.index("(") + 1: css.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def wcag_contrast(a: str, b: str) -> float:
    def lum(color: str) -> float:
        def ch(c: int) -> float:
            x = c / 255
            return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4
        r, g, b_ = (int(color[i:i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b_)
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def check_readable(data: dict) -> None:
    """Every number written in a grid cell reads on its colour as drawn (WCAG AA, 4.5:1), and every axis label
    prints its tick exactly (no -7.5 shown as -8)."""
    for cell in data["util"] + data["utilChange"]:
        if cell["text"]:
            ratio = wcag_contrast(rgb(cell["ink"]), rgb(cell["fill"]))
            assert ratio >= 4.5, (cell, ratio)
    assert data["axis"]
    for label, tick in data["axis"]:
        assert float(label.replace(",", "")) == pytest.approx(tick, abs=1e-9), (label, tick)


def utilisation(folder: Path) -> dict[tuple[str, str], float]:
    """(refinery, unit type or 'crude unit') -> feed / capacity in %, units of one type added up."""
    units, refineries = read(folder, "units"), read(folder, "refineries")
    out = {(r.refinery_id, "crude unit"): 100 * r.crude_run_kbd / r.crude_capacity_kbd
           for r in refineries.itertuples() if r.crude_capacity_kbd > 0}
    for (refinery, unit_type), g in units.groupby(["refinery_id", "unit_type"]):
        if g["capacity_kbd"].sum() > 0:
            out[(refinery, unit_type)] = 100 * g["feed_kbd"].sum() / g["capacity_kbd"].sum()
    return out


def check_utilisation_change(data: dict, case: Path, base: Path, some_missing: bool = True) -> None:
    """Each cell is the change in points from the two solves' units.csv / refineries.csv (a unit one case lacks
    counts 0 %); colours saturate at the cap for every large change alike; a unit no refinery has is an outline."""
    now, was = utilisation(case), utilisation(base)
    expected = {k: now.get(k, 0.0) - was.get(k, 0.0) for k in set(now) | set(was)}
    shown = {(c["row"], c["col"]): c for c in data["utilChange"]}
    assert set(shown) == set(expected)
    for key, d in expected.items():
        assert shown[key]["value"] == pytest.approx(d, abs=1e-9)
        assert shown[key]["text"] == ("" if abs(d) < 0.5 else f"{d:+.0f}")
    full_up = {rgb(c["fill"]) for c in shown.values() if c["value"] >= CHANGE_CAP_PP}
    full_down = {rgb(c["fill"]) for c in shown.values() if c["value"] <= -CHANGE_CAP_PP}
    assert len(full_up) <= 1 and len(full_down) <= 1  # one colour for "a lot", however much
    unchanged = {rgb(c["fill"]) for c in shown.values() if abs(c["value"]) < 0.5}
    middling = {rgb(c["fill"]) for c in shown.values() if 5 <= abs(c["value"]) < CHANGE_CAP_PP}
    assert not middling & (unchanged | full_up | full_down)  # a 5-25 point move is neither blank nor saturated
    assert bool(data["utilChangeEmpty"]) == some_missing  # the flagship's refineries lack some unit types
    for cell in data["utilChangeEmpty"] + data["utilEmpty"]:
        assert (cell["row"], cell["col"]) not in expected
        assert cell["fill"] == "none" and cell["stroke"] != "none"  # an outline, unlike any grey of a value


def check_margin_changes(data: dict, case: Path, base: Path) -> None:
    """Each refinery's bar adds up to its margin change in the two refineries.csv; the end label says it; the
    steps' colours are neither origins' nor the waterfall's gain/loss colours."""
    now = read(case, "refineries").set_index("refinery_id")["margin_kusd_per_day"]
    was = read(base, "refineries").set_index("refinery_id")["margin_kusd_per_day"]
    change = now.sub(was, fill_value=0.0)
    assert {b["key"] for b in data["margins"]} == set(change.index)
    for bar in data["margins"]:
        drawn = sum(seg["value"] for seg in bar["segs"])
        assert drawn == pytest.approx(change[bar["key"]], abs=0.05 * len(BRIDGE_STEPS)), bar["key"]
        assert bar["end"] == signed(change[bar["key"]])
    step_colors = {seg["series"]: rgb(seg["fill"]) for bar in data["margins"] for seg in bar["segs"]}
    origin_colors = {rgb(seg["fill"]) for bar in data["slate"] + data["origins"] for seg in bar["segs"]}
    waterfall = {rgb(s["fill"]) for s in data["steps"]}
    assert not set(step_colors.values()) & (origin_colors | waterfall)
    assert len(set(step_colors.values())) == len(step_colors)  # one colour per step


def constraint_rows(folder: Path) -> dict[str, dict]:
    """constraints.csv by the report's figure key: family:index cells joined with ' · '."""
    frame = pd.read_csv(folder / "constraints.csv", dtype={c: str for c in ("family", *WHERE)},
                        keep_default_na=False, na_values={c: [""] for c in ("body", "lower", "upper", "dual")})
    rows = frame.to_dict("records")  # a case without stream trades has no purchase_id or transfer_id column
    return {f"{r['family']}:{' · '.join(str(r[c]) for c in WHERE if c in r and str(r[c]))}": r for r in rows}


WHERE = ("refinery_id", "unit_id", "crude_id", "stream_id", "product_id", "ref_product_id", "quality_id", "tier",
         "link_id", "rule_id", "purchase_id", "transfer_id")


def binding(row: dict | None) -> bool:
    if row is None:
        return False
    upper, lower, body = row["upper"], row["lower"], row["body"]
    if pd.notna(upper) and pd.notna(lower) and upper == lower:
        return False  # an equality is not "binding"
    return bool((pd.notna(upper) and upper - body <= 1e-6) or (pd.notna(lower) and body - lower <= 1e-6))


def check_binding_tables(data: dict, case: Path, base: Path | None) -> None:
    """'What binds' lists rows of the case's constraints.csv at a bound; 'now binding' rows bind in the case and
    not in the base, 'no longer binding' the reverse. A value in $/bbl is the row's dual as constraints.csv holds
    it (sign: what relaxing is worth); 'not unique' appears exactly where constraints.csv says dual_unique False."""
    now, was = constraint_rows(case), (constraint_rows(base) if base is not None else {})
    tables = [("mv:", data["binding"], now, None)]
    if base is not None:
        tables += [("now:", data["now"], now, was), ("no longer:", data["noLonger"], was, now)]
    assert data["binding"]
    for prefix, rows, side, other in tables:
        for row in rows:
            key = row["key"].removeprefix(prefix)
            mine = side[key]
            assert binding(mine), key
            if other is not None:
                assert not binding(other.get(key)), key
            value_text, unit = row["cells"][1:3] if prefix == "mv:" else row["cells"][2:4]
            if unit == "$/bbl":
                assert row["value"] == pytest.approx(abs(mine["dual"]), rel=1e-9), key
                assert value_text.split()[0] == f"{abs(mine['dual']):,.2f}"
            assert ("not unique" in value_text) == (str(mine["dual_unique"]) == "False"), key


def check_summary(data: dict, case: Path, base: Path) -> None:
    """The headline and list shown are those `compare` prints for the same two folders."""
    result = run("compare", str(base), str(case), "--out", str(case.parent / f"cmp-{case.name}-{base.name}"))
    assert result.exit_code == 0, result.output
    printed = [line.strip() for line in result.output.splitlines()[1:-1]]
    assert data["headline"] == printed[0]
    assert data["summary"] == printed[1:]


@needs_chromium
def test_harness_catches_console_errors_exceptions_and_requests(tmp_path):
    """The browser harness itself: each bad page is caught, the clean one passes (else the report's errors == []
    would prove nothing)."""
    pages = {
        "clean": "<p>fine</p>",
        "console": "<script>console.error('deliberate console error')</script>",
        "exception": "<script>throw new Error('deliberate exception')</script>",
        "network": "<img src='http://127.0.0.1:9/pixel.png' alt=''>",
    }
    seen = {}
    for name, body in pages.items():
        html = tmp_path / f"{name}.html"
        html.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>")
        seen[name] = render(html, tmp_path / f"{name}.png")
    assert seen["clean"].errors == [] and seen["clean"].requests == [(tmp_path / "clean.html").as_uri()]
    assert any("deliberate console error" in e for e in seen["console"].errors), seen["console"].errors
    assert any("deliberate exception" in e for e in seen["exception"].errors), seen["exception"].errors
    assert "http://127.0.0.1:9/pixel.png" in seen["network"].requests
    assert seen["network"].errors, "a failed load is an error too"


def test_breakeven_step_curve_passes_through_the_current_plan():
    """Today's price below the first breakpoint (the case the report once cut short): the curve is drawn flat
    from inside the traced window through today's price, steps at each breakpoint, flat after the last."""
    row = pd.Series({"current_delivered_usd_per_bbl": 80.0, "volume_kbd": 400.0, "traced_from_usd_per_bbl": 40.0,
                     "traced_to_usd_per_bbl": 120.0})
    points = pd.DataFrame({"price_usd_per_bbl": [86.0, 83.0], "volume_below_kbd": [310.0, 400.0],
                           "volume_above_kbd": [0.0, 310.0]})
    curve = step_curve(row, points)
    assert curve[1:-1] == [(83.0, 400.0), (83.0, 310.0), (86.0, 310.0), (86.0, 0.0)]
    assert curve[0][0] < 80.0 < 83.0 and curve[0][1] == 400.0  # through (80, 400)
    assert 40.0 <= curve[0][0] and curve[-1][0] <= 120.0 and curve[-1][1] == 0.0
    assert value_on(curve, 80.0) == 400.0
    old = row.drop(["traced_from_usd_per_bbl", "traced_to_usd_per_bbl"])
    assert value_on(step_curve(old, points), 80.0) == 400.0  # without the traced span too


def test_tick_labels_print_every_tick_exactly():
    ticks = nice_ticks(-6.0, 6.0)  # -7.5 to 7.5, 2.5 apart (range 15): -7.5 must not print as -8
    labels = [number(t, tick_decimals(ticks)) for t in ticks]
    assert "-7.5" in labels and all(float(x) == t for x, t in zip(labels, ticks))
    assert tick_decimals(nice_ticks(0, 8000)) == 0 and tick_decimals(nice_ticks(84, 92)) == 0
    assert tick_decimals(nice_ticks(95.25, 96.5)) == 2


def flat(points) -> list[float]:
    return [float(v) for p in points for v in p]


def value_on(curve: list[tuple[float, float]], price: float) -> float:
    """The volume a step curve (drawing order) takes at `price`, off its breakpoints."""
    for (x0, y0), (x1, y1) in zip(curve, curve[1:]):
        if x0 < price < x1:
            assert y0 == y1
            return y0
    raise AssertionError(f"{price} is not on the curve's flat parts")


def check_breakpoints(data: dict, value: Path) -> None:
    """Each curve steps at breakpoints.csv's prices with its volumes, and passes through the current plan (the
    dot: crude_values.csv's price and volume)."""
    values = pd.read_csv(value / "crude_values.csv", dtype={"crude_id": str, "refinery_id": str})
    points = pd.read_csv(value / "breakpoints.csv", dtype={"crude_id": str, "refinery_id": str})
    assert data["breakpoints"]
    for chart in data["breakpoints"]:
        row = values[(values["crude_id"] == chart["crude"]) & (values["refinery_id"] == "coast")].iloc[0]
        mine = points[(points["crude_id"] == chart["crude"]) & (points["refinery_id"] == "coast")]
        mine = mine.sort_values("price_usd_per_bbl")
        curve, dot = chart["series"]
        expected = [x for p in mine.itertuples() for x in ((p.price_usd_per_bbl, p.volume_below_kbd),
                                                           (p.price_usd_per_bbl, p.volume_above_kbd))]
        assert flat(curve["xy"][1:-1]) == pytest.approx(flat(expected))
        price, volume = row["current_delivered_usd_per_bbl"], row["volume_kbd"]
        assert flat(dot["xy"]) == pytest.approx([price, volume])
        if not (mine["price_usd_per_bbl"] == price).any():
            assert value_on([tuple(p) for p in curve["xy"]], price) == pytest.approx(volume, abs=1e-6)


@needs_chromium
def test_toy_report_in_the_browser(toy, tmp_path):
    out = tmp_path / "toy-heavy_banned-vs-base.html"
    assert run("report", str(toy / "heavy_banned"), "--compare", str(toy / "base"), "--out", str(out)).exit_code == 0
    data = shoot(out, tmp_path / "toy-heavy_banned-vs-base.png")
    assert data["sections"][:9] == ["headline", "slate", "slate-change", "utilisation", "utilisation-change",
                                     "bridge", "margin-change", "binding", "binding-change"]
    check_headline(data, toy / "heavy_banned", toy / "base")
    check_slate(data, toy / "heavy_banned")
    check_utilisation(data, toy / "heavy_banned")
    check_utilisation_change(data, toy / "heavy_banned", toy / "base", some_missing=False)
    check_bridge(data, toy / "heavy_banned", toy / "base")
    check_margin_changes(data, toy / "heavy_banned", toy / "base")
    check_binding_tables(data, toy / "heavy_banned", toy / "base")
    check_summary(data, toy / "heavy_banned", toy / "base")
    check_readable(data)
    # The hand-derived toy: light 43.0 -> 60.0 kb/d, heavy 57.0 -> 0, coker 100% -> 45%.
    (change,) = data["change"]
    assert {s["series"]: round(s["value"], 4) for s in change["segs"]} == {"Alpha": 16.9906, "Beta": -56.9906}
    assert change["end"] == "+17.0 / -57.0"
    assert [(c["col"], c["text"]) for c in data["util"]] == [("crude unit", "60%"), ("coker", "45%")]
    assert [(c["col"], c["text"]) for c in data["utilChange"]] == [("crude unit", "-40"), ("coker", "-55")]


@needs_chromium
def test_sweep_and_breakeven_panels_in_the_browser(toy, tmp_path):
    sweep, value = tmp_path / "sweep", tmp_path / "value"
    result = run("sweep", TOY, "--vary", "crudes.heavy.price_usd_per_bbl+=-10:10:2", "--out", str(sweep))
    assert result.exit_code == 0, result.output
    result = run("value", TOY, "--out", str(value))
    assert result.exit_code == 0, result.output
    out = tmp_path / "toy-base-sweep-value.html"
    result = run("report", str(toy / "base"), "--sweep", str(sweep), "--value", str(value), "--out", str(out))
    assert result.exit_code == 0 and result.output == f"report written to {out}\n", result.output
    data = shoot(out, tmp_path / "toy-base-sweep-value.png")
    assert {"sweep", "value"} <= set(data["sections"])
    check_headline(data, toy / "base")
    check_binding_tables(data, toy / "base", None)
    check_readable(data)
    summary = pd.read_csv(sweep / "sweep_summary.csv")
    x = "crudes.heavy.price_usd_per_bbl+="
    (margin,) = data["sweep"]
    (curve,) = margin["series"]
    assert curve["name"] == "base" and margin["marks"] == [0.0]  # the dashed line: the scenario as solved
    assert flat(curve["xy"]) == pytest.approx(flat(zip(summary[x], summary["objective_kusd_per_day"])))
    (origins,) = data["sweepOrigins"]
    at_zero = summary[summary[x] == 0].iloc[0]
    for series in origins["series"]:
        column = "origin_" + series["name"].lower() + "_kbd"
        expected = list(zip(summary[x], summary[column] - at_zero[column]))  # the change from as solved
        assert flat(series["xy"]) == pytest.approx(flat(expected)), series["name"]
    values = pd.read_csv(value / "crude_values.csv")
    coast = values[values["refinery_id"] == "coast"].sort_values(["volume_kbd", "crude_id"], ascending=[False, True])
    expected = [x for r in coast.itertuples() for x in (r.current_delivered_usd_per_bbl, r.breakeven_usd_per_bbl)
                if pd.notna(x)]
    assert data["dots"] == pytest.approx(expected)
    assert 69.5 in [round(x, 6) for x in data["dots"]]  # heavy leaves the toy's slate at 69.50 $/bbl
    check_breakpoints(data, value)


@needs_chromium
def test_flagship_sanctions_against_open_in_the_browser(flagship, tmp_path):
    case, base = flagship / "open_venezuela", flagship / "sanctions_2025"
    out = tmp_path / "flagship-open_venezuela-vs-sanctions_2025.html"
    assert run("report", str(case), "--compare", str(base), "--out", str(out)).exit_code == 0
    data = shoot(out, tmp_path / "flagship-open_venezuela-vs-sanctions_2025.png")
    check_headline(data, case, base)
    check_slate(data, case)
    check_utilisation(data, case)
    check_utilisation_change(data, case, base)
    check_bridge(data, case, base)
    check_margin_changes(data, case, base)
    check_binding_tables(data, case, base)
    check_summary(data, case, base)
    check_flagship_summary(["", data["headline"], *data["summary"]], base, case)  # the CSVs' own figures
    check_readable(data)
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
        taken = sum(seg["value"] for seg in bar["segs"] if seg["value"] > 0)
        dropped = sum(seg["value"] for seg in bar["segs"] if seg["value"] < 0)
        assert bar["end"] == " / ".join(f"{x:+,.1f}" for x in (taken, dropped) if abs(x) >= 0.05)
        for seg in bar["segs"]:
            assert seg["value"] == pytest.approx(by_ref[(bar["key"], seg["series"])], abs=1e-9)
