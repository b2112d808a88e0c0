"""What the terminal shows after a solve: short, readable, in plant units."""

from __future__ import annotations

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
            click.echo(f"  Run `crudeslate explain {outcome.instance.path} --scenario {outcome.scenario} --elastic` "
                       "for the cheapest relaxation.")
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
        rows.append([ref.refinery_id, f"{ref.crude_run_kbd:.1f}", f"{ref.margin_usd_per_bbl:.2f}", top])
    click.echo(_table(["refinery", "run kb/d", "margin $/bbl", "slate kb/d (largest first)"], rows))


def print_comparison(outcomes: list[Outcome], baseline: str | None = None) -> None:
    """Scenario against scenario: margin, and volume by origin, with changes against the baseline."""
    base = next((o for o in outcomes if o.scenario == baseline), outcomes[0])
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
        shifts.append([o.scenario] + [f"{row.get(c, 0.0) - base_row.get(c, 0.0):+.1f}" for c in moved])
    click.echo("")
    click.echo(f"Change against {base.scenario} (kb/d by origin: + taken, - displaced):")
    click.echo(_table(["scenario"] + [c.removeprefix("origin_").removesuffix("_kbd") for c in moved], shifts))


def print_values(values, costs, folder) -> None:
    """Breakevens and policy costs, the coast rows first."""
    coast = values[values["refinery_id"] == "coast"]
    rows = [[v.crude_id, f"{v.volume_kbd:.1f}", f"{v.current_delivered_usd_per_bbl:.2f}",
             "-" if v.breakeven_usd_per_bbl != v.breakeven_usd_per_bbl else f"{v.breakeven_usd_per_bbl:.2f}",
             v.direction] for v in coast.itertuples()]
    click.echo("Coast breakevens (FOB price, parametric):")
    click.echo(_table(["crude", "kb/d", "price $/bbl", "breakeven $/bbl", "when"], rows))
    rules = costs[(costs["refinery_id"] == "coast") & (costs["crude_id"] == "")] if len(costs) else costs
    if len(rules):
        click.echo("")
        click.echo("Policy rules, cost to the coast (margin without the rule - with it):")
        click.echo(_table(["rule", "kind", "kUSD/d", "marginal $/bbl"],
                          [[r.rule_id, r.kind, f"{r.cost_kusd_per_day:,.1f}",
                            "-" if r.marginal_value_usd_per_bbl != r.marginal_value_usd_per_bbl
                            else f"{r.marginal_value_usd_per_bbl:.2f}"] for r in rules.itertuples()]))
    click.echo(f"written to {folder}")
