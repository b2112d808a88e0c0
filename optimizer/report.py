"""What the terminal shows after a solve: short, readable, in plant units."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from optimizer.run import Outcome

TOP_CRUDES = 4


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    for row in rows:
        lines.append("  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w)
                               for i, (x, w) in enumerate(zip(row, widths))))
    return "\n".join("  " + line for line in lines)


def print_solve(outcome: Outcome) -> None:
    res = outcome.result
    timing = f"build {res.build_seconds:.2f} s, solve {res.solve_seconds:.2f} s"
    if not res.optimal:
        words = {
            "infeasible": "INFEASIBLE: no crude slate meets every constraint",
            "unbounded": "UNBOUNDED: the margin can grow without limit (a product or crude lacks a limit)",
            "infeasible_or_unbounded": "INFEASIBLE OR UNBOUNDED: HiGHS could not tell which",
            "time_limit": "stopped at the time limit without a proven optimum",
            "solver_error": "HiGHS failed",
        }[res.status]
        click.echo(f"Scenario {outcome.scenario}: {words} ({timing}).")
        if outcome.diagnosis:
            click.echo("  These limits cannot all hold together (drop any one and the rest can):")
        for line in outcome.diagnosis:
            click.echo(f"  - {line}")
        if res.status in ("infeasible", "infeasible_or_unbounded"):
            sets = "".join(f" --set '{a.removeprefix('--set ')}'" for a in outcome.instance.applied
                           if a.startswith("--set "))
            click.echo(f"  Run `crudeslate explain {outcome.instance.path} --scenario {outcome.scenario}{sets} "
                       "--elastic` for the cheapest relaxation.")
        click.echo(f"  status written to {outcome.out_dir}")
        return
    slate = outcome.tables["slate"]
    refineries = outcome.tables["refineries"]
    click.echo(f"Scenario {outcome.scenario}: optimal, margin {res.objective_kusd_per_day:,.1f} kUSD/d "
               f"({timing}) -> {outcome.out_dir}")
    rows = []
    for ref in refineries.itertuples():
        taken = slate[(slate["refinery_id"] == ref.refinery_id) & (slate["volume_kbd"] > 1e-6)]
        taken = taken.sort_values(["volume_kbd", "crude_id"], ascending=[False, True])
        top = ", ".join(f"{r.crude_id} {r.volume_kbd:.1f}" for r in taken.head(TOP_CRUDES).itertuples())
        if len(taken) > TOP_CRUDES:
            top += f", +{len(taken) - TOP_CRUDES} more"
        margin = "-" if math.isnan(ref.margin_usd_per_bbl) else f"{ref.margin_usd_per_bbl:.2f}"  # an idle plant
        rows.append([ref.refinery_id, f"{ref.crude_run_kbd:.1f}", margin, top or "(idle)"])
    click.echo(_table(["refinery", "run kb/d", "margin $/bbl", "slate kb/d (largest first)"], rows))


VENEZUELA = "Venezuela"


def _same_tables(a: Outcome, b: Outcome, except_origin: str | None = None) -> bool:
    """True if two solved scenarios have the same input tables, apart from rows about crude of `except_origin`.

    Rows about that origin: policies whose `origin` is it, crudes of that origin and their supply tiers.
    """
    ta, tb = a.instance.tables, b.instance.tables
    if ta.keys() != tb.keys():
        return False
    own: set[str] = set()
    if except_origin is not None:
        for tables in (ta, tb):
            crudes = tables.get("crudes")
            if crudes is not None and len(crudes):
                own |= set(crudes.index[crudes["origin"] == except_origin])

    def other(name: str, frame):
        if except_origin is None or not len(frame):
            return frame
        if name == "policies":
            return frame[frame["origin"] != except_origin]
        if name == "crudes":
            return frame[~frame.index.isin(own)]
        if name == "crude_tiers":
            return frame[~frame["crude_id"].isin(own)]
        return frame

    return all(other(name, frame).equals(other(name, tb[name])) for name, frame in ta.items())


def venezuelan_counterparts(outcomes: list[Outcome]) -> dict[str, Outcome]:
    """For each optimal scenario that takes Venezuelan crude, the optimal scenario that takes none and differs from it
    only in the Venezuelan rules (policies on origin Venezuela, Venezuelan crude rows): the same market, prices,
    plants and other rules. Its comparison is the Venezuelan effect alone, without price-year or Hormuz effects."""
    def vz(o: Outcome) -> float:
        return float(o.tables["summary"].iloc[0].get(f"origin_{VENEZUELA.lower()}_kbd", 0.0))

    refs = [o for o in outcomes if o.result.optimal and abs(vz(o)) <= 1e-6]
    found = {}
    for o in outcomes:
        if not o.result.optimal or vz(o) <= 1e-6:
            continue
        ref = next((r for r in refs if r is not o and _same_tables(o, r, except_origin=VENEZUELA)), None)
        if ref is not None:
            found[o.scenario] = ref
    return found


def _signed(value: float) -> str:
    """+1.2 / -1.2, with no '-0.0' for a change that rounds to zero."""
    return f"{round(value, 1) + 0.0:+.1f}"


def _origin_label(column: str) -> str:
    return column.removeprefix("origin_").removesuffix("_kbd")


def print_comparison(outcomes: list[Outcome], baseline: str | None = None) -> None:
    """Scenario against scenario: margin, and volume by origin, with changes against the baseline; then the
    Venezuelan effect within one market (each scenario against its no-Venezuela counterpart, where there is one)."""
    base = next((o for o in outcomes if o.scenario == baseline), outcomes[0])
    twins = {o.scenario: t.scenario for o in outcomes if o.scenario == "base" and o is not base
             for t in outcomes if t is not o and t.result.optimal == o.result.optimal and _same_tables(o, t)}
    outcomes = [o for o in outcomes if o.scenario not in twins]
    origins = sorted({c for o in outcomes for c in o.tables["summary"].columns if c.startswith("origin_")})
    base_row = base.tables["summary"].iloc[0]
    header = ["scenario", "status", "margin kUSD/d", f"vs {base.scenario}"] + [
        o.removeprefix("origin_").removesuffix("_kbd") + " kb/d" for o in origins]
    rows = []
    for o in outcomes:
        row = o.tables["summary"].iloc[0]
        if not o.result.optimal:
            rows.append([o.scenario, o.result.status, "-", "-"] + ["-"] * len(origins))
            continue
        delta = (f"{row['objective_kusd_per_day'] - base_row['objective_kusd_per_day']:+,.1f}"
                 if base.result.optimal else "-")
        rows.append([o.scenario, o.result.status, f"{row['objective_kusd_per_day']:,.1f}", delta]
                    + [f"{row.get(c, 0.0):.1f}" for c in origins])
    click.echo("")
    click.echo("Scenarios compared (volume by crude origin):")
    click.echo(_table(header, rows))
    for name, twin in twins.items():
        click.echo(f"  ({name} is not listed: its tables are those of {twin})")
    if not base.result.optimal:
        return
    moved = [c for c in origins if any(o.result.optimal and abs(o.tables["summary"].iloc[0].get(c, 0.0)
                                                                 - base_row.get(c, 0.0)) > 0.05 for o in outcomes)]
    if not moved:
        return
    shifts = []
    for o in outcomes:
        if o is base or not o.result.optimal:
            continue
        row = o.tables["summary"].iloc[0]
        shifts.append([o.scenario] + [_signed(row.get(c, 0.0) - base_row.get(c, 0.0)) for c in moved])
    click.echo("")
    click.echo(f"Change against {base.scenario} (kb/d by origin: + taken, - displaced):")
    click.echo(_table(["scenario"] + [_origin_label(c) for c in moved], shifts))
    _print_venezuelan_effect(outcomes, origins)


def _print_venezuelan_effect(outcomes: list[Outcome], origins: list[str]) -> None:
    pairs = venezuelan_counterparts(outcomes)
    if not pairs:
        return
    vz_col = f"origin_{VENEZUELA.lower()}_kbd"
    deltas = {}
    for name, ref in pairs.items():
        case = next(o for o in outcomes if o.scenario == name).tables["summary"].iloc[0]
        ref_row = ref.tables["summary"].iloc[0]
        deltas[name] = (ref.scenario, case, {c: float(case.get(c, 0.0)) - float(ref_row.get(c, 0.0)) for c in origins},
                        float(case["objective_kusd_per_day"]) - float(ref_row["objective_kusd_per_day"]))
    moved = [c for c in origins if c != vz_col and any(abs(d[2][c]) > 0.05 for d in deltas.values())]
    rows = [[name, ref, f"{case.get(vz_col, 0.0):.1f}", f"{margin:+,.1f}"] + [_signed(change[c]) for c in moved]
            for name, (ref, case, change, margin) in deltas.items()]
    click.echo("")
    click.echo("Venezuelan effect within one market: each scenario against the scenario that differs from it only in "
               "the Venezuelan rules and takes no Venezuelan crude")
    click.echo("(same prices, plants and other rules; kb/d by origin: + taken, - displaced by Venezuelan barrels):")
    click.echo(_table(["scenario", "against", "venezuela kb/d", "margin kUSD/d"] + [_origin_label(c) for c in moved],
                      rows))
