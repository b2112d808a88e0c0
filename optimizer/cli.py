"""The `crudeslate` command line: a thin layer over the library.

Exit codes: 0 optimal; 1 bad input; 2 usage; 3 infeasible or unbounded; 4 solver failure, time
limit or a failed self-check. Heavy libraries are imported inside the commands so `--help` is fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from optimizer.errors import CrudeSlateError

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4


def _fail(error: CrudeSlateError) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(error.exit_code)


def _load(path: str):
    from optimizer.validate import load_instance

    return load_instance(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crudeslate")
def main() -> None:
    """Crude-slate optimizer for Gulf Coast refineries (Pyomo + HiGHS).

    Volumes in kb/d (thousand barrels per calendar day), prices in $/bbl, margins in kUSD/d.
    """


@main.command()
@click.argument("instance", type=click.Path())
def validate(instance: str) -> None:
    """Check INSTANCE (and every scenario of it); print a summary or every problem."""
    from optimizer.errors import InstanceError
    from optimizer.scenarios import check_scenarios

    try:
        inst = _load(instance)
        _, problems = check_scenarios(inst, list(inst.scenarios))
        if problems:
            raise InstanceError(problems)
    except CrudeSlateError as exc:
        _fail(exc)
    t = inst.tables
    click.echo(f"{inst.name}: valid")
    click.echo(f"  {_count(len(t['refineries']), 'refinery', 'refineries')}, {_count(len(t['crudes']), 'crude')} "
               f"({_count(t['crudes']['origin'].nunique(), 'origin')}), {_count(len(t['units']), 'process unit')}, "
               f"{_count(len(t['streams']), 'stream')}, {_count(len(t['products']), 'product')}")
    click.echo(f"  {_count(len(t['policies']), 'policy rule')}, {_count(len(t['links']), 'logistics link')}, "
               f"{_count(len(t['crude_tiers']), 'supply tier')}, {_count(len(inst.scenarios) + 1, 'scenario')} "
               f"(base + {len(inst.scenarios)})")
    if len(t["stream_purchases"]) or len(t["stream_transfers"]):
        click.echo(f"  {_count(len(t['stream_purchases']), 'stream purchase')}, "
                   f"{_count(len(t['stream_transfers']), 'stream transfer')}")


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


@main.command()
@click.argument("instance", type=click.Path())
def scenarios(instance: str) -> None:
    """List the scenarios of INSTANCE: name, then description."""
    from optimizer.instance import BASE_SCENARIO

    try:
        inst = _load(instance)
    except CrudeSlateError as exc:
        _fail(exc)
    click.echo(f"{BASE_SCENARIO}\tthe instance's tables as they are")
    for name, body in inst.scenarios.items():
        extends = f" (extends {body.extends})" if body.extends else ""
        click.echo(f"{name}\t{body.description}{extends}")


@main.command()
@click.argument("instance", type=click.Path())
@click.option("--scenario", "scenario_names", multiple=True, metavar="NAME", help="Scenario to solve (repeatable).")
@click.option("--all-scenarios", is_flag=True, help="Solve the base case and every scenario.")
@click.option("--out", type=click.Path(), help="Output folder (default results/<instance>/<scenario>).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override a cell, e.g. 'crudes[origin=Venezuela].availability_kbd*=0' (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--write-lp", type=click.Path(), help="Also write the LP of each solve to this file.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="HiGHS time limit per solve.")
@click.option("--baseline", metavar="NAME", help="Scenario the others are compared against (default: the first).")
def solve(instance: str, scenario_names: tuple[str, ...], all_scenarios: bool, out: str | None,
          sets: tuple[str, ...], fmt: str, write_lp: str | None, time_limit: float | None,
          baseline: str | None) -> None:
    """Solve INSTANCE for one or more scenarios and write the result tables."""
    from optimizer.report import print_comparison, print_solve
    from optimizer.run import run_scenarios
    from optimizer.scenarios import scenario_names as all_names

    try:
        inst = _load(instance)
        if all_scenarios and scenario_names:
            raise click.UsageError("give either --scenario or --all-scenarios, not both.")
        names = all_names(inst) if all_scenarios else list(scenario_names or ["base"])
        if baseline is not None and baseline not in names:
            raise click.UsageError(f"--baseline {baseline} is not among the scenarios solved: {', '.join(names)}.")
        root = Path(out) if out else Path("results") / inst.name
        outcomes = run_scenarios(inst, names, root, single_out=bool(out) and len(names) == 1, sets=sets, fmt=fmt,
                                 write_lp=write_lp, time_limit=time_limit,
                                 root_option="--out" if out else "results folder")
    except CrudeSlateError as exc:
        _fail(exc)
    for outcome in outcomes:
        print_solve(outcome)
    if len(outcomes) > 1:
        print_comparison(outcomes, baseline)
    sys.exit(max(outcome.exit_code for outcome in outcomes))


# Further commands live in their own modules (each keeps its heavy imports inside the command).
# One line each: from optimizer.<module> import <command>; main.add_command(<command>)
from optimizer.commands import explain, value  # noqa: E402

main.add_command(value)
main.add_command(explain)
from optimizer.report_cli import compare, report  # noqa: E402

main.add_command(compare)
main.add_command(report)
from optimizer.sweep import sweep  # noqa: E402

main.add_command(sweep)


if __name__ == "__main__":
    main()
