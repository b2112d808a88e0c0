"""One self-contained HTML report of a solved case (and, given, its comparison, sweep and breakevens).

Charts are inline SVG drawn by optimizer.svg_charts: the file needs no network, no JavaScript and no
fonts beyond the system's, and every number drawn is in the DOM (`data-value`, tooltips, tables), so a
test can hold the picture to the CSVs. Figures a planner quotes carry `data-figure="<name>"`.
"""

from __future__ import annotations

import math
import re
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.compare import (
    COAST,
    DUAL_MOVED_TOL,
    Comparison,
    binding_changes,
    compare_cases,
    constraint_state,
    limit_name,
    plant_value,
    rank_limits,
    summary_lines,
)
from optimizer.result_files import CaseResults, ResultsError, load_results
from optimizer.svg_charts import (
    BRIDGE_COLORS,
    CHANGE_CAP_PP,
    FULL,
    FULL_PCT,
    TOTAL,
    UNCHANGED,
    Bar,
    Cell,
    DotRow,
    Series,
    change_color,
    colors_for,
    dot_chart,
    hbar_chart,
    heat_grid,
    ink_for,
    line_chart,
    number,
    utilisation_color,
    waterfall,
)

CSS = Path(__file__).with_name("assets") / "report.css"
ZERO_KBD = 1e-9
CRUDE_UNIT = "crude unit"
TOP_ROWS = 12
MAX_CURVES = 8
SWEEP_KNOWN = {"scenario", "status", "objective_kusd_per_day", "crude_run_kbd", "build_seconds", "solve_seconds",
               "simplex_iterations", "point", "point_id", "point_index", "index", "seconds", "worker"}


# ---------------------------------------------------------------------------------------------
# small HTML pieces


def _fig(key: str, value: float, text: str) -> str:
    return f'<span class="fig" data-figure="{escape(key)}" data-value="{float(value)!r}">{escape(text)}</span>'


def _delta(change: float, decimals: int, unit: str, against: str, key: str) -> str:
    cls = "flat" if abs(change) < 0.5 * 10 ** -decimals else ("pos" if change > 0 else "neg")
    return (f'<div class="delta {cls}">{_fig(key, change, number(change, decimals, sign=True))} {escape(unit)} '
            f"vs {escape(against)}</div>")


def _card(label: str, key: str, value: float, decimals: int, unit: str, note: str = "",
          change: tuple[float, str] | None = None) -> str:
    parts = [(f'<div class="card"><div class="label">{escape(label)}</div>'
             f'<div class="value">{_fig(key, value, number(value, decimals))}<span class="unit">{escape(unit)}</span>'
             f"</div>")]
    if change is not None:
        parts.append(_delta(change[0], decimals, unit, change[1], f"{key}_change"))
    if note:
        parts.append(f'<div class="note">{note}</div>')
    parts.append("</div>")
    return "".join(parts)


def _legend(colors: dict[str, str]) -> str:
    return '<div class="legend">' + "".join(
        f'<span style="--swatch:{c}">{escape(name)}</span>' for name, c in colors.items()) + "</div>"


def _table(header: list[str], rows: list[list[Any]], numeric: set[int], css: str = "data") -> str:
    head = "".join(f'<th class="{"num" if i in numeric else ""}">{escape(h)}</th>' for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="{"num" if i in numeric else ""}">{cell}</td>'
                                    for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _section(anchor: str, title: str, lede: str, body: str) -> str:
    return (f'<section id="{anchor}"><h2>{escape(title)}</h2><p class="lede">{lede}</p>{body}</section>')


def _skipped(anchor: str, title: str, reason: str) -> str:
    return _section(anchor, title, "", f'<p class="skipped">Not shown: {escape(reason)}</p>')


# ---------------------------------------------------------------------------------------------
# data shaping


def refinery_order(res: CaseResults) -> list[str]:
    """Refineries by crude run, largest first (idle ones last, by name)."""
    r = res.tables["refineries"].sort_values(["crude_run_kbd", "refinery_id"], ascending=[False, True])
    return list(r["refinery_id"])


def origin_colors(*cases: CaseResults) -> dict[str, str]:
    """Origin -> colour for the origins taken in any of the cases, largest first. Colours go by volume (the
    largest origin gets the first colour), the same in every chart of one report."""
    order = origin_order(*cases)
    palette = origin_palette(*cases)
    taken = {o for res in cases for o, x in res.tables["slate"].groupby("origin")["volume_kbd"].sum().items()
             if x > ZERO_KBD}
    return {origin: palette[origin] for origin in order if origin in taken}


def origin_palette(*cases: CaseResults) -> dict[str, str]:
    """A colour for every origin on offer (slate.csv lists zero volumes too), by volume over the cases."""
    return colors_for(origin_order(*cases))


def origin_slug(origin: str) -> str:
    """The `origin_<slug>_kbd` column name of an origin (the rule of optimizer.results.origin_column)."""
    return "origin_" + re.sub(r"[^a-z0-9]+", "_", origin.lower()).strip("_") + "_kbd"


def origin_order(*cases: CaseResults) -> list[str]:
    """Origins by coast volume over the cases, largest first: the palette follows this order."""
    total: dict[str, float] = {}
    for res in cases:
        for origin, x in res.tables["slate"].groupby("origin")["volume_kbd"].sum().items():
            total[origin] = total.get(origin, 0.0) + float(x)
    return sorted(total, key=lambda o: (-total[o], o))


def unit_grid(res: CaseResults) -> tuple[list[str], dict[tuple[str, str], tuple[float, float, float, float]]]:
    """Utilisation by refinery and unit type (units of one type at one refinery added up), the crude unit first:
    (columns, {(refinery, column): (feed_kbd, capacity_kbd, utilisation_pct, marginal value $/bbl)})."""
    units = res.tables["units"]
    columns = [CRUDE_UNIT] + list(dict.fromkeys(units["unit_type"]))
    grid = {}
    for r in res.tables["refineries"].itertuples():
        cap = float(r.crude_capacity_kbd)
        grid[(r.refinery_id, CRUDE_UNIT)] = (float(r.crude_run_kbd), cap,
                                             100.0 * r.crude_run_kbd / cap if cap > 0 else math.nan, math.nan)
    for (refinery, unit_type), group in units.groupby(["refinery_id", "unit_type"], sort=False):
        feed, cap = float(group["feed_kbd"].sum()), float(group["capacity_kbd"].sum())
        mv = float(group["marginal_value_usd_per_bbl"].max()) if len(group) else math.nan
        grid[(refinery, unit_type)] = (feed, cap, 100.0 * feed / cap if cap > 0 else math.nan, mv)
    return columns, grid


# ---------------------------------------------------------------------------------------------
# sections


def _headline(case: CaseResults, cmp: Comparison | None) -> str:
    refineries = case.tables["refineries"]
    slate = case.tables["slate"]
    margin, run = case.objective_kusd_per_day, case.crude_run_kbd
    capacity = float(refineries["crude_capacity_kbd"].sum())
    running = int((refineries["crude_run_kbd"] > ZERO_KBD).sum())
    taken = slate[slate["volume_kbd"] > ZERO_KBD]
    by_origin = taken.groupby("origin")["volume_kbd"].sum().sort_values(ascending=False)
    changes: dict[str, tuple[float, str] | None] = {k: None for k in ("margin", "per_bbl", "run", "grades")}
    if cmp is not None:
        coast = cmp.tables["compare_refineries"].set_index("refinery_id").loc[COAST]
        base_taken = cmp.base.tables["slate"]
        base_grades = base_taken.loc[base_taken["volume_kbd"] > ZERO_KBD, "crude_id"].nunique()
        changes = {"margin": (float(coast["margin_change_kusd_per_day"]), cmp.base_label),
                   "per_bbl": (float(coast["margin_change_usd_per_bbl"]), cmp.base_label),
                   "run": (float(coast["crude_run_change_kbd"]), cmp.base_label),
                   "grades": (float(taken["crude_id"].nunique() - base_grades), cmp.base_label)}
    top = (f"largest origin: {escape(str(by_origin.index[0]))} {number(float(by_origin.iloc[0]))} kb/d"
           if len(by_origin) else "")
    cards = [
        _card("Coast margin", "coast_margin_kusd_per_day", margin, 1, "kUSD/d",
              f"${number(margin / 1000, 2)} M per day", changes["margin"]),
        _card("Margin per barrel", "coast_margin_usd_per_bbl", margin / run if run > ZERO_KBD else math.nan, 2,
              "$/bbl", "of crude run", changes["per_bbl"]),
        _card("Crude run", "crude_run_kbd", run, 1, "kb/d",
              f"{number(100 * run / capacity if capacity else math.nan)}% of {number(capacity)} kb/d crude capacity",
              changes["run"]),
        _card("Crude grades taken", "crude_grades_taken", float(taken["crude_id"].nunique()), 0, "",
              f"{running} of {len(refineries)} refineries running; {top}", changes["grades"]),
    ]
    body = '<div class="cards">' + "".join(cards) + "</div>"
    if cmp is not None:
        lines = summary_lines(cmp)
        body += (f'<p class="headline" data-summary="headline">{escape(lines[1])}</p>'
                 '<ul class="summary">' + "".join(_summary_item(line) for line in lines[2:]) + "</ul>")
    cases = [cmp.base, case] if cmp is not None else [case]
    colors = origin_colors(*cases)
    origins = list(colors)
    bars = []
    for res, label in ((c, _label(c, cmp)) for c in cases):
        s = res.tables["slate"]
        by = s.groupby("origin")["volume_kbd"].sum()
        segs = [(o, float(by.get(o, 0.0)), (f"{label} · {o}: {number(float(by.get(o, 0.0)))} kb/d "
                 f"({number(100 * float(by.get(o, 0.0)) / res.crude_run_kbd if res.crude_run_kbd else 0.0)}% of run)"))
                for o in origins if by.get(o, 0.0) > ZERO_KBD]
        bars.append(Bar(label, label, segs, number(res.crude_run_kbd), res.crude_run_kbd))
    body += "<h3>Coast slate by origin (kb/d)</h3>" + _legend(colors) + hbar_chart(
        bars, colors, "kb/d", "coast slate by origin", "coast-origins", row_height=30)
    lede = (f"{escape(case.scenario)} against {escape(cmp.base_label)}: changes are case minus base."
            if cmp is not None else f"Scenario {escape(case.scenario)} of {escape(case.instance_name)}.")
    return _section("headline", "Headline", lede, body)


def _summary_item(line: str) -> str:
    head, sep, rest = line.partition(": ")
    if sep and len(head) < 40:
        return f'<li data-summary="{escape(head)}"><b>{escape(head)}:</b> {escape(rest)}</li>'
    return f"<li>{escape(line)}</li>"


def _label(res: CaseResults, cmp: Comparison | None) -> str:
    if cmp is None:
        return res.scenario
    return cmp.base_label if res is cmp.base else cmp.case_label


def _slate(case: CaseResults, cmp: Comparison | None) -> str:
    cases = [cmp.base, case] if cmp is not None else [case]
    colors = origin_colors(*cases)
    slate = case.tables["slate"]
    taken = slate[slate["volume_kbd"] > ZERO_KBD]
    runs = case.tables["refineries"].set_index("refinery_id")["crude_run_kbd"]
    bars = []
    for refinery in refinery_order(case):
        mine = taken[taken["refinery_id"] == refinery]
        segs = []
        for origin in colors:
            grades = mine[mine["origin"] == origin].sort_values("volume_kbd", ascending=False)
            if not len(grades):
                continue
            detail = ", ".join(f"{g.crude_id} {number(g.volume_kbd)}" for g in grades.itertuples())
            total = float(grades["volume_kbd"].sum())
            segs.append((origin, total, f"{refinery} · {origin}: {number(total)} kb/d ({detail})"))
        run = float(runs[refinery])
        bars.append(Bar(refinery, refinery, segs, number(run) if run > ZERO_KBD else "idle", run))
    body = _legend(colors) + hbar_chart(bars, colors, "crude run, kb/d", "crude slate by refinery", "slate")
    lede = ("Each bar is one refinery's crude run, split by the origin of its crudes; hover a segment for the grades. "
            "Largest refinery first.")
    out = _section("slate", "Crude slate by refinery, by origin", lede, body)
    if cmp is not None:
        change = cmp.tables["compare_origins"]
        change = change[change["refinery_id"] != COAST]
        rows = []
        for refinery, group in change.groupby("refinery_id", sort=False):
            group = group[group["volume_change_kbd"].abs() >= 0.05]
            if not len(group):
                continue
            segs = [(o, float(x), f"{refinery} · {o}: {number(float(x), 1, True)} kb/d")
                    for o, x in zip(group["origin"], group["volume_change_kbd"])]
            segs.sort(key=lambda s: list(colors).index(s[0]) if s[0] in colors else len(colors))
            net = float(group["volume_change_kbd"].sum())
            taken = sum(x for _, x, _ in segs if x > 0)
            dropped = sum(x for _, x, _ in segs if x < 0)
            label = " / ".join(number(x, 1, True) for x in (taken, dropped) if abs(x) >= 0.05)
            rows.append((taken - dropped, Bar(refinery, refinery, segs, label, net)))
        rows.sort(key=lambda r: (-r[0], r[1].key))
        if rows:
            body = _legend(colors) + hbar_chart([b for _, b in rows], colors, "change in kb/d", "slate change",
                                                 "slate-change")
        else:
            body = '<p class="skipped">No refinery changed its slate by 0.05 kb/d or more.</p>'
        out += _section("slate-change", f"Slate change by refinery: {cmp.case_label} minus {cmp.base_label}",
                        "Barrels taken to the right of zero, barrels displaced to the left; the label gives both in "
                        "kb/d (taken / displaced). Refineries whose slate moved most first.", body)
    return out


def _utilisation(case: CaseResults, cmp: Comparison | None) -> str:
    columns, grid = unit_grid(case)
    order = refinery_order(case)
    cells = {}
    for (refinery, column), (feed, cap, pct, mv) in grid.items():
        if math.isnan(pct):
            continue
        value_note = f"; marginal value {number(mv, 2)} $/bbl" if not math.isnan(mv) and abs(mv) > 0.005 else ""
        full = " (full)" if pct >= FULL_PCT else ""
        cells[(refinery, column)] = Cell(pct, f"{number(pct, 0)}%", f"{column} at {refinery}: {number(feed)} of "
                                         f"{number(cap)} kb/d, {number(pct)}%{full}{value_note}",
                                         utilisation_color(pct))
    body = heat_grid([(r, r) for r in order], [(c, c) for c in columns], cells, "unit utilisation", "utilisation")
    lede = ("Feed as a share of capacity, by refinery and unit type (the crude unit first). "
            f'<span style="color:{FULL};font-weight:600">Orange</span> cells are full: that capacity binds; a dashed '
            "outline is a unit the refinery does not have. Hover a cell for feed, capacity and the marginal value of "
            "one more kb/d.")
    out = _section("utilisation", "Unit utilisation by refinery", lede, body)
    if cmp is not None:
        base_cols, base_grid = unit_grid(cmp.base)
        cols = columns + [c for c in base_cols if c not in columns]
        deltas = {}
        for key in set(grid) | set(base_grid):
            now, was = grid.get(key, (0, 0, math.nan, 0))[2], base_grid.get(key, (0, 0, math.nan, 0))[2]
            if math.isnan(now) and math.isnan(was):
                continue
            deltas[key] = (now if not math.isnan(now) else 0.0) - (was if not math.isnan(was) else 0.0), was, now
        cells = {key: Cell(d, "" if abs(d) < 0.5 else number(d, 0, sign=True),
                           f"{key[1]} at {key[0]}: {number(was)}% -> {number(now)}% ({number(d, 1, True)} points)",
                           change_color(d)) for key, (d, was, now) in deltas.items()}
        body = _change_scale() + heat_grid([(r, r) for r in order], [(c, c) for c in cols], cells,
                                           "utilisation change", "utilisation-change")
        out += _section("utilisation-change", f"Utilisation change: {cmp.case_label} minus {cmp.base_label}",
                        f"Percentage points of capacity; green fuller, red emptier, grey unchanged (under half a "
                        f"point). Colours saturate at {CHANGE_CAP_PP:.0f} points; the number is the true change.",
                        body)
    return out


def _change_scale() -> str:
    """The colour key of the utilisation-change grid."""
    cap = CHANGE_CAP_PP
    keys = [(-cap, f"≤ {-cap:.0f}"), (-10.0, "-10"), (0.0, "0"), (10.0, "+10"), (cap, f"≥ +{cap:.0f}")]
    cells = "".join(f'<span style="background:{change_color(x) if x else UNCHANGED};color:'
                    f'{ink_for(change_color(x) if x else UNCHANGED)}">{escape(text)}</span>' for x, text in keys)
    return (f'<div class="scale"><span class="label">points:</span>{cells}'
            '<span class="empty">no such unit</span></div>')


def _margin(case: CaseResults, cmp: Comparison | None) -> str:
    refineries = case.tables["refineries"].set_index("refinery_id")
    if cmp is None:
        bars = [Bar(r, r, [("margin", float(refineries.loc[r, "margin_kusd_per_day"]),
                            (f"{r}: {number(float(refineries.loc[r, 'margin_kusd_per_day']))} kUSD/d, "
                            f"{number(float(refineries.loc[r, 'margin_usd_per_bbl']), 2)} $/bbl"))],
                    number(float(refineries.loc[r, "margin_kusd_per_day"])),
                    float(refineries.loc[r, "margin_kusd_per_day"])) for r in refinery_order(case)]
        body = hbar_chart(bars, {"margin": TOTAL}, "gross margin, kUSD/d", "margin by refinery", "margin")
        return _section("margin", "Margin by refinery", "Product revenue minus delivered crude cost minus unit "
                        "operating cost, thousand US$ per day; hover a bar for $/bbl of crude run.", body)
    bridge = cmp.tables["compare_bridge"]
    coast = bridge[bridge["refinery_id"] == COAST]
    steps = [(s, float(v), k) for s, v, k in zip(coast["step"], coast["amount_kusd_per_day"], coast["kind"])]
    steps = [(s if k != "total" else f"{s} ({cmp.base_label if s.startswith('base') else cmp.case_label})", v, k)
             for s, v, k in steps]
    body = waterfall(steps, "kUSD/d", "margin bridge", "bridge")
    lede = ("How the coast margin gets from the base to the case. Price effects are valued at the case's volumes, "
            "volume effects at the base's prices, so the steps add up exactly. 'Other crude costs' are supply-curve "
            "premia and crude-unit costs.")
    if any(str(s).startswith("stream ") for s, _, _ in steps):
        lede += (" Stream purchases are split likewise into price and volume; 'stream transfers' is the cost of "
                 "moving streams between refineries (the barrels carry no internal price).")
    out = _section("bridge", f"Margin bridge: {cmp.base_label} to {cmp.case_label}", lede, body)
    change_steps = [s for s, _, k in steps if k == "change"]
    fallback = colors_for(change_steps)
    colors = {step: BRIDGE_COLORS.get(step, fallback[step]) for step in change_steps}
    per = bridge[(bridge["refinery_id"] != COAST) & (bridge["kind"] == "change")]
    margin_change = cmp.tables["compare_refineries"].set_index("refinery_id")["margin_change_kusd_per_day"]
    bars = []
    for refinery, group in per.groupby("refinery_id", sort=False):
        segs = [(s, float(v), f"{refinery} · {s}: {number(float(v), 1, True)} kUSD/d")
                for s, v in zip(group["step"], group["amount_kusd_per_day"]) if abs(v) >= 0.05]
        net = float(margin_change[refinery])
        bars.append((abs(net), Bar(refinery, refinery, segs, number(net, 1, True), net)))
    bars.sort(key=lambda b: (-b[0], b[1].key))
    body = _legend(colors) + hbar_chart([b for _, b in bars], colors, "change in kUSD/d", "margin change by refinery",
                                        "margin-change")
    out += _section("margin-change", "Margin change by refinery, by cause",
                    "The same bridge for each refinery, in its own colours (not the origins'); the label is the net "
                    "margin change in kUSD/d. Largest change first.",
                    body)
    return out


def _row_where(row: Any) -> str:
    parts = [str(row[c]) for c in ("refinery_id", "unit_id", "crude_id", "stream_id", "product_id", "ref_product_id",
                                   "quality_id", "tier", "link_id", "rule_id", "purchase_id", "transfer_id")
             if c in row and str(row[c]) not in ("", "nan")]
    return " · ".join(parts)


DEGENERATE = "not unique: HiGHS ranging finds the optimum degenerate here, so one unit more and one unit less " \
    "are worth different amounts; quote with care"


def _value_cell(key: str, value: float, unit: str, unique: Any) -> str:
    decimals = 2 if unit == "$/bbl" else 1
    text = _fig(key, value, number(value, decimals)) if not (isinstance(value, float) and math.isnan(value)) \
        else "–"
    if unique is False:
        text += ' <span class="degenerate" title="' + escape(DEGENERATE) + '">not unique</span>'
    return text


def binding_rows(case: CaseResults) -> pd.DataFrame:
    """The case's inequality rows at a bound with a marginal value worth quoting: limit (plant words),
    marginal_value and marginal_value_unit (what relaxing the limit by one unit is worth),
    worth_1pct_kusd_per_day, dual_unique; ranked as optimizer.compare.rank_limits does."""
    state = constraint_state(case.tables["constraints"])
    state = state[state["binding"]].copy()
    refineries = case.tables["refineries"].set_index("refinery_id")
    products = case.tables["products"].set_index(["refinery_id", "product_id"])
    records = state.to_dict("records")
    values = [plant_value(r, r["dual"], r["at"], refineries, products) for r in records]
    state["limit"] = [limit_name(r, r["at"]) for r in records]
    state["marginal_value"] = [v.value for v in values]
    state["marginal_value_unit"] = [v.unit for v in values]
    state["worth_1pct_kusd_per_day"] = [v.worth_1pct_kusd_per_day for v in values]
    state = state[state["marginal_value"].abs() >= DUAL_MOVED_TOL]
    return rank_limits(state)


def _worth_cell(x: float) -> str:
    return "–" if isinstance(x, float) and math.isnan(x) else number(x, 1)


def _constraints(case: CaseResults, cmp: Comparison | None) -> str:
    rows = binding_rows(case)
    shown = rows.head(TOP_ROWS)
    more = f" (top {TOP_ROWS} of {len(rows)}; constraints.csv has all)" if len(rows) > TOP_ROWS else ""
    body = [[escape(r["limit"]),
             _value_cell(f"mv:{r['family']}:{_row_where(r)}", float(r["marginal_value"]), r["marginal_value_unit"],
                         r["dual_unique"]),
             escape(r["marginal_value_unit"]), _worth_cell(float(r["worth_1pct_kusd_per_day"])),
             f'<code>{escape(r["family"])}</code>'] for r in shown.to_dict("records")]
    table = _table(["limit", "marginal value", "unit", "1% more is worth, kUSD/d", "constraint family"], body,
                   {1, 3}, "data binding") if body else \
        '<p class="skipped">No inequality is at its bound with a marginal value.</p>'
    lede = ("Limits at their bound, ranked by what relaxing each by 1% of itself would add to the margin (one "
            "scale for capacities, supplies, rules and quality limits, as <code>crudeslate explain</code> ranks "
            "them), with the marginal value of one unit in the limit's own terms: $/bbl for a kb/d of capacity, "
            "supply or rule. Values flagged <em>not unique</em> sit where the optimum is degenerate." + more)
    out = _section("binding", "What binds", lede, table)
    if cmp is not None:
        out += _binding_change(cmp)
    return out


CHANGE_WORDS = {"became binding": "became binding", "added, binding": "rule added (binds)",
                "stopped binding": "stopped binding", "removed, was binding": "rule lifted (was binding)"}


def _binding_change(cmp: Comparison) -> str:
    changes = binding_changes(cmp)
    parts = []
    for key, title, side in (("now", "Now binding", "case"), ("no longer", "No longer binding", "base")):
        rows = changes[key]
        shown = rows.head(TOP_ROWS)
        more = f" ({len(rows) - TOP_ROWS} more in compare_constraints.csv)" if len(rows) > TOP_ROWS else ""
        body = [[escape(r["limit"]), escape(CHANGE_WORDS.get(r["binding_change"], r["binding_change"])),
                 _value_cell(f"{key}:{r['family']}:{_row_where(r)}", float(r[f"{side}_marginal_value"]),
                             r["marginal_value_unit"], r[f"{side}_dual_unique"]),
                 escape(r["marginal_value_unit"]), _worth_cell(float(r[f"{side}_worth_1pct_kusd_per_day"]))]
                for r in shown.to_dict("records")]
        label = cmp.case_label if side == "case" else cmp.base_label
        parts.append(f'<div class="binding-change" data-kind="{key}"><h3>{escape(title)}{escape(more)}</h3>' + (
            _table(["limit", "change", f"marginal value in {label}", "unit", "1% more is worth, kUSD/d"], body,
                   {2, 4}, "data")
            if body else '<p class="skipped">none with a marginal value</p>') + "</div>")
    return _section("binding-change", f"Limits that started or stopped binding: {cmp.case_label} against "
                    f"{cmp.base_label}", "Marginal value on the side where the limit binds, half a cent a unit or "
                    "more; compare_constraints.csv has every row, with both sides.", "".join(parts))


def _refinery_table(case: CaseResults, cmp: Comparison | None) -> str:
    if cmp is None:
        r = case.tables["refineries"].set_index("refinery_id")
        rows = [[escape(ref), _fig(f"run:{ref}", r.loc[ref, "crude_run_kbd"], number(r.loc[ref, "crude_run_kbd"])),
                 number(r.loc[ref, "crude_capacity_kbd"]), number(r.loc[ref, "slate_api_deg"]),
                 number(r.loc[ref, "slate_sulfur_wt_pct"], 2), number(r.loc[ref, "margin_usd_per_bbl"], 2),
                 _fig(f"margin:{ref}", r.loc[ref, "margin_kusd_per_day"], number(r.loc[ref, "margin_kusd_per_day"]))]
                for ref in refinery_order(case)]
        body = _table(["refinery", "crude run kb/d", "capacity kb/d", "slate API", "slate sulfur wt%",
                       "margin $/bbl", "margin kUSD/d"], rows, {1, 2, 3, 4, 5, 6})
    else:
        c = cmp.tables["compare_refineries"].set_index("refinery_id")
        rows = [[escape(ref), number(c.loc[ref, "base_crude_run_kbd"]),
                 _fig(f"run:{ref}", c.loc[ref, "case_crude_run_kbd"], number(c.loc[ref, "case_crude_run_kbd"])),
                 number(c.loc[ref, "crude_run_change_kbd"], 1, True), number(c.loc[ref, "base_margin_kusd_per_day"]),
                 _fig(f"margin:{ref}", c.loc[ref, "case_margin_kusd_per_day"],
                      number(c.loc[ref, "case_margin_kusd_per_day"])),
                 number(c.loc[ref, "margin_change_kusd_per_day"], 1, True)]
                for ref in [*refinery_order(case), COAST] if ref in c.index]
        body = _table(["refinery", f"run {cmp.base_label}", f"run {cmp.case_label}", "change kb/d",
                       f"margin {cmp.base_label}", f"margin {cmp.case_label}", "change kUSD/d"], rows,
                      {1, 2, 3, 4, 5, 6})
    return _section("refineries", "Refineries", "Crude run in kb/d, margin in kUSD/d.", body)


# ---------------------------------------------------------------------------------------------
# optional panels: sweeps (issue 4's sweep_summary.csv) and breakevens (issue 5's crude_values.csv, breakpoints.csv)


def sweep_parameters(frame: pd.DataFrame) -> list[str]:
    """The swept columns of a sweep_summary.csv: those between `scenario` and `status` (issue 4's layout:
    point, scenario, one column per --vary named PATH plus operator, status, results), else every numeric
    column that is neither a result nor bookkeeping."""
    columns = list(frame.columns)
    if "scenario" in columns and "status" in columns and columns.index("scenario") < columns.index("status"):
        return columns[columns.index("scenario") + 1: columns.index("status")]
    return [c for c in columns if c not in SWEEP_KNOWN and not c.startswith("origin_")
            and pd.api.types.is_numeric_dtype(frame[c])]


def _axis_title(column: str) -> str:
    for op, words in (("+=", "shift"), ("*=", "factor"), ("=", "value")):
        if column.endswith(op):
            return f"{column[: -len(op)]} ({words})"
    return column


def as_solved(column: str) -> float | None:
    """The swept value that leaves the scenario as it is: 0 for a shift (+=), 1 for a factor (*=); None for a
    value (=), whose unswept value the sweep does not record."""
    if column.endswith("+="):
        return 0.0
    if column.endswith("*="):
        return 1.0
    return None


def _middle(values: pd.Series) -> float:
    ordered = sorted(set(values))
    return ordered[(len(ordered) - 1) // 2]


def _sweep(folder: str | None, notes: list[str], origins: dict[str, str]) -> str:
    """Margin and crude run by origin against each swept parameter (others held at their as-solved value, else
    their middle value); the crude run as the change from the scenario as solved where the sweep holds it."""
    title = "Sweep curves"
    if folder is None:
        return ""
    path = Path(folder) / "sweep_summary.csv"
    if not path.is_file():
        notes.append(f"sweep panel skipped: {path} not found")
        return _skipped("sweep", title, f"{path} was not found (a folder written by `crudeslate sweep` holds it).")
    frame = pd.read_csv(path)
    missing = [c for c in ("status", "objective_kusd_per_day") if c not in frame.columns]
    params = [p for p in sweep_parameters(frame) if pd.api.types.is_numeric_dtype(frame[p])]
    if missing or not params:
        reason = f"{path} lacks {', '.join(missing)}" if missing else f"{path} has no swept-parameter column"
        notes.append(f"sweep panel skipped: {reason}")
        return _skipped("sweep", title, reason + ".")
    if "scenario" not in frame.columns:
        frame["scenario"] = ""
    ok = frame[frame["status"] == "optimal"]
    scenarios = list(dict.fromkeys(ok["scenario"]))[:MAX_CURVES]
    colors = colors_for([str(x) for x in scenarios])
    slug_names = {origin_slug(o): o for o in origins}
    first_rows = ok[ok["scenario"] == scenarios[0]] if scenarios else ok
    origin_cols = [c for c in ok.columns if c.startswith("origin_") and first_rows[c].abs().max() > 0.05]
    origin_cols.sort(key=lambda c: -first_rows[c].mean())
    fallback = colors_for(sorted(slug_names.get(c, c) for c in origin_cols))
    ocolors = {slug_names.get(c, c): origins.get(slug_names.get(c, c), fallback[slug_names.get(c, c)])
               for c in origin_cols}
    blocks = []
    marked = False
    for x in params[:3]:
        held = {}
        for p in params:
            if p != x:
                solved = as_solved(p)
                held[p] = solved if solved is not None and (ok[p] == solved).any() else _middle(ok[p])
        rows = ok
        for p, v in held.items():
            rows = rows[rows[p] == v]
        rows = rows.sort_values(x)
        note = "; ".join(f"{escape(p)} = {v:g}" for p, v in held.items())
        solved = as_solved(x)
        marks = [(solved, "as solved")] if solved is not None and rows[x].min() <= solved <= rows[x].max() else []
        marked = marked or bool(marks)
        margin = line_chart([Series(str(sc), colors[str(sc)], list(zip(g[x], g["objective_kusd_per_day"])))
                             for sc, g in rows.groupby("scenario", sort=False) if sc in scenarios],
                            _axis_title(x), "margin, kUSD/d", "margin against the swept parameter", "sweep-margin",
                            width=480, height=300, from_zero=False, marks=marks)
        first = rows[rows["scenario"] == scenarios[0]] if scenarios else rows
        at_solved = first[first[x] == solved] if solved is not None else first.iloc[0:0]
        if len(at_solved):
            reference = at_solved.iloc[0]
            what, y_title = "change from as solved", "change in kb/d"
            curves = [Series(slug_names.get(c, c), ocolors[slug_names.get(c, c)],
                             [(float(a), float(b) - float(reference[c])) for a, b in zip(first[x], first[c])])
                      for c in origin_cols]
        else:
            what, y_title = "kb/d", "kb/d"
            curves = [Series(slug_names.get(c, c), ocolors[slug_names.get(c, c)], list(zip(first[x], first[c])))
                      for c in origin_cols]
        volumes = line_chart(curves, _axis_title(x), y_title, "crude run by origin against the swept parameter",
                             "sweep-origins", width=480, height=300, marks=marks)
        blocks.append(f"<h3>Against <code>{escape(x)}</code>" + (f" ({note})" if note else "") + "</h3>"
                      + '<div class="grid2"><div><h4>Margin</h4>' + _legend(colors) + margin + "</div>"
                      + f"<div><h4>Crude run by origin, {escape(what)} "
                      f"({escape(str(scenarios[0]) if scenarios else '')})</h4>"
                      + _legend(ocolors) + volumes + "</div></div>")
    failed = len(frame) - len(ok)
    lede = (f"{len(frame)} points from <code>{escape(str(path))}</code>"
            + (f"; {failed} points without an optimum are left out" if failed else "") + "."
            + (" The dashed line is the scenario as solved (no shift); the crude-run panel shows each origin's "
               "change from it, so a small origin's move is not lost under a large one." if marked else ""))
    return _section("sweep", title, lede, "".join(blocks))


def _value(folder: str | None, notes: list[str], scenario: str) -> str:
    title = "Crude breakevens"
    if folder is None:
        return ""
    base = Path(folder)
    values_path, points_path = base / "crude_values.csv", base / "breakpoints.csv"
    if not values_path.is_file():
        notes.append(f"breakeven panel skipped: {values_path} not found")
        return _skipped("value", title, f"{values_path} was not found (a folder written by `crudeslate value` "
                                        "holds it).")
    values = pd.read_csv(values_path, dtype={"refinery_id": str, "crude_id": str})
    need = ("crude_id", "refinery_id", "volume_kbd", "current_delivered_usd_per_bbl", "breakeven_usd_per_bbl",
            "direction")
    missing = [c for c in need if c not in values.columns]
    if missing:
        notes.append(f"breakeven panel skipped: {values_path} lacks {', '.join(missing)}")
        return _skipped("value", title, f"{values_path} lacks the columns {', '.join(missing)}.")
    coast = values[values["refinery_id"] == COAST]
    scope = coast if len(coast) else values
    scope = scope.sort_values(["volume_kbd", "crude_id"], ascending=[False, True])
    method = ", ".join(sorted(set(values.get("method", pd.Series(["?"])).astype(str))))
    colors = {"current price": "#1d2430", "breakeven (enters)": "#3f8f4f", "breakeven (leaves)": "#d1495b"}
    basis = ", ".join(sorted({_basis(r) for _, r in scope.iterrows()})) or "delivered"
    rows = []
    for r in scope.itertuples():
        where = "" if r.refinery_id == COAST else f" at {r.refinery_id}"
        label = f"{r.crude_id}{where} ({number(r.volume_kbd)} kb/d)"
        if pd.isna(r.breakeven_usd_per_bbl):
            span = _traced(pd.Series(r._asdict()))
            label += " · none traced" if span is None else f" · none {number(span[0], 0)}-{number(span[1], 0)}"
        kind = "breakeven (enters)" if r.direction == "enter" else "breakeven (leaves)"
        rows.append(DotRow(f"{r.crude_id}:{r.refinery_id}", label, [
            ("current price", float(r.current_delivered_usd_per_bbl), colors["current price"],
             f"{r.crude_id}: current {number(r.current_delivered_usd_per_bbl, 2)} $/bbl {basis}"),
            (kind, float(r.breakeven_usd_per_bbl), colors[kind],
             f"{r.crude_id}: {r.direction}s the slate at {number(r.breakeven_usd_per_bbl, 2)} $/bbl"),
        ]))
    body = _legend(colors) + dot_chart(rows, f"price, $/bbl ({basis})", "breakevens", "breakevens")
    if points_path.is_file():
        points = pd.read_csv(points_path, dtype={"refinery_id": str, "crude_id": str})
        needed = {"crude_id", "refinery_id", "price_usd_per_bbl", "volume_below_kbd", "volume_above_kbd"}
        if needed <= set(points.columns):
            chosen = list(dict.fromkeys(scope["crude_id"]))[:MAX_CURVES]
            charts = []
            for crude in chosen:
                row = scope[scope["crude_id"] == crude].iloc[0]
                mine = points[(points["crude_id"] == crude) & (points["refinery_id"] == row["refinery_id"])]
                pts = step_curve(row, mine)
                if not pts:
                    continue
                now = Series("current plan", "#1d2430", [(float(row["current_delivered_usd_per_bbl"]),
                                                          float(row["volume_kbd"]))], markers=True)
                traced = _traced_note(row)
                charts.append(f'<div data-crude="{escape(crude)}"><h4>{escape(crude)}{escape(traced)}</h4>'
                              + line_chart([Series(crude, TOTAL, pts, step=True), now],
                                           f"own price, $/bbl ({_basis(row)})", "kb/d taken",
                                           f"volume of {crude} against its price", "breakpoints", width=460,
                                           height=240, markers=False) + "</div>")
            body += ("<h3>Volume taken against own price (a step at every breakpoint; the dot is the current plan)"
                     '</h3><div class="grid2">' + "".join(charts) + "</div>"
                     if charts else "")
        else:
            notes.append(f"breakpoint curves skipped: {points_path} lacks {', '.join(sorted(needed - set(points)))}")
    valued = sorted(set(values["scenario"].astype(str))) if "scenario" in values.columns else []
    other = [v for v in valued if v != scenario]
    lede = (f"From <code>{escape(str(values_path))}</code> (method: {escape(method)}"
            + (f"; valued on scenario {escape(', '.join(valued))}, not {escape(scenario)}" if other else "")
            + "). For each crude, the current price and the price at which it would enter the slate (green) or start "
            "to leave it (red).")
    if other:
        notes.append(f"the breakevens were computed on scenario {', '.join(valued)}; the report shows {scenario}")
    return _section("value", title, lede, body)


TRACED = (("traced_from_usd_per_bbl", "traced_to_usd_per_bbl"),  # issue 5's value.py since e43f41b
          ("window_from_usd_per_bbl", "window_to_usd_per_bbl"))  # before it


def _traced(row: pd.Series) -> tuple[float, float] | None:
    for low, high in TRACED:
        if low in row.index and high in row.index and pd.notna(row[low]) and pd.notna(row[high]):
            return float(row[low]), float(row[high])
    return None


def _basis(row: pd.Series) -> str:
    basis = str(row.get("price_basis", "delivered") or "delivered")
    return {"fob": "FOB", "delivered": "delivered"}.get(basis.lower(), basis)


def _traced_note(row: pd.Series) -> str:
    complete = str(row.get("curve_complete", "True")).lower() not in ("false", "0")
    span = _traced(row)
    if complete or span is None:
        return ""
    return f" (traced {span[0]:,.2f} to {span[1]:,.2f} $/bbl only)"


def step_curve(row: pd.Series, points: pd.DataFrame) -> list[tuple[float, float]]:
    """Volume taken against own price as drawn: flat between breakpoints, a vertical step at each, extended flat
    to either side of the breakpoints and today's price (within the span crude_values.csv says was traced,
    traced_from/to_usd_per_bbl), so the curve passes through the current plan wherever it lies."""
    mine = points.sort_values("price_usd_per_bbl")
    pts: list[tuple[float, float]] = []
    for p in mine.itertuples():
        pts += [(float(p.price_usd_per_bbl), float(p.volume_below_kbd)),
                (float(p.price_usd_per_bbl), float(p.volume_above_kbd))]
    span = _traced(row)
    current = float(row["current_delivered_usd_per_bbl"])
    volume = float(row["volume_kbd"])
    if not pts:  # no breakpoint in the traced span: the plan's volume all along
        return [(span[0], volume), (span[1], volume)] if span else []
    # Drawn over the breakpoints and today's price with some room either side (not the whole traced window,
    # where the steps would crowd into a sliver), never past what was traced.
    first, last = min(pts[0][0], current), max(pts[-1][0], current)
    pad = max(1.0, 0.15 * (last - first))
    low, high = first - pad, last + pad
    if span:
        low, high = max(low, min(span[0], first)), min(high, max(span[1], last))
    return [(low, pts[0][1]), *pts, (high, pts[-1][1])]


def _provenance(case: CaseResults, base: CaseResults | None) -> str:
    """Each side's folder, instance, versions and overrides, and one table of input hashes (both sides side by
    side when comparing). Open, not folded, so it prints."""
    parts = []
    sides = [("case", case)] + ([("base", base)] if base is not None else [])
    for label, res in sides:
        m = res.manifest
        versions = ", ".join(f"{k} {v}" for k, v in sorted((m.get("versions") or {}).items()))
        overrides = [str(o).split(": ", 1)[1] if str(o).startswith(f"{res.scenario}: ") else str(o)
                     for o in (m.get("overrides") or [])]
        parts.append(
            f"<h3>{escape(res.scenario)} ({label})</h3>"
            f"<p>results <code>{escape(str(res.path.resolve()))}</code>; instance "
            f"<code>{escape(str(m.get('instance')))}</code>; {escape(versions)}; {escape(str(m.get('status')))}, "
            f"{escape(str(m.get('simplex_iterations')))} simplex iterations.</p>"
            f"<details open><summary>{len(overrides)} overrides applied to reach scenario {escape(res.scenario)}"
            "</summary><ul class=\"overrides\">" + "".join(f"<li><code>{escape(o)}</code></li>" for o in overrides)
            + "</ul></details>")
    hashes = [res.manifest.get("input_sha256") or {} for _, res in sides]
    names = sorted(set().union(*hashes))
    header = ["input file"] + [f"sha256 ({res.scenario})" for _, res in sides]
    rows = []
    for name in names:
        digests = [h.get(name, "") for h in hashes]
        same = len(set(digests)) == 1
        cells = [escape(name)] + [f'<span class="mono">{escape(d)}</span>' for d in digests[:1 if same else None]]
        if same and len(digests) > 1:
            cells.append('<span class="flat">same</span>')
        rows.append(cells)
    parts.append(f"<details open><summary>sha256 of the {len(names)} input files</summary>"
                 + _table(header, rows, set(), "data hashes") + "</details>")
    return _section("provenance", "What produced this report", "", "".join(parts))


def build_report(results_dir: str | Path, other: str | Path | None = None, sweep_dir: str | Path | None = None,
                 value_dir: str | Path | None = None) -> tuple[str, list[str]]:
    """The report's HTML and notes for the terminal (panels skipped and why)."""
    case = load_results(results_dir)
    base = load_results(other) if other is not None else None
    cmp = compare_cases(base, case) if base is not None else None
    if cmp is not None and cmp.base.path.resolve() == case.path.resolve():
        raise ResultsError(f"--compare {other} is the folder being reported; give another case.")
    notes: list[str] = list(cmp.warnings) if cmp is not None else []
    sweep = None if sweep_dir is None else str(sweep_dir)
    value = None if value_dir is None else str(value_dir)
    sections = [_headline(case, cmp), _slate(case, cmp), _utilisation(case, cmp), _margin(case, cmp),
                _constraints(case, cmp), _sweep(sweep, notes, origin_palette(*([cmp.base, case] if cmp else [case]))),
                _value(value, notes, case.scenario), _refinery_table(case, cmp), _provenance(case, base)]
    title = f"{case.instance_name}: {case.scenario}" + (f" against {cmp.base_label}" if cmp is not None else "")
    optional = []
    if sweep_dir is None:
        optional.append("sweep curves (give --sweep)")
    if value_dir is None:
        optional.append("breakevens (give --value)")
    if cmp is None:
        optional.append("the margin bridge (give --compare)")
    css = CSS.read_text(encoding="utf-8")
    sub = (f"crude-slate plan · {case.crude_run_kbd:,.1f} kb/d · margin {case.objective_kusd_per_day:,.1f} kUSD/d"
           f" · instance {escape(case.instance_name)}")
    html = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{css}</style></head><body>"
        f'<header class="top"><h1>{escape(title)}</h1><div class="sub">{sub}</div></header><main>'
        + "".join(sections)
        + (f"<footer>Also available: {escape('; '.join(optional))}.</footer>" if optional else "")
        + "</main></body></html>\n"
    )
    return html, notes
