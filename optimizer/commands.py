"""`value` and `explain`: commands built on the solved model. Heavy imports stay inside the functions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from optimizer.errors import CrudeSlateError


def _fail(error: CrudeSlateError) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(error.exit_code)


@click.command()
@click.argument("instance", type=click.Path())
@click.option("--scenario", default="base", show_default=True, metavar="NAME")
@click.option("--crude", "crudes", multiple=True, metavar="ID", help="Crude to value (repeatable; default all).")
@click.option("--refinery", "refineries", multiple=True, metavar="ID",
              help="Refinery to value at (repeatable; default all). The coast is always valued.")
@click.option("--window", type=click.FloatRange(min=0.5), default=40.0, show_default=True, metavar="USD_PER_BBL",
              help="How far above and below today's price the curves are traced.")
@click.option("--out", type=click.Path(), help="Output folder (default results/<instance>/value-<scenario>).")
def value(instance: str, scenario: str, crudes: tuple[str, ...], refineries: tuple[str, ...], window: float,
          out: str | None) -> None:
    """Crude breakevens and volume-price curves (parametric, exact), and the cost of each policy rule."""
    from optimizer.plots import plot_curves
    from optimizer.result_files import check_output_folder
    from optimizer.results import write_atomic
    from optimizer.scenarios import chain
    from optimizer.validate import load_instance
    from optimizer.value import crude_values, policy_costs

    try:
        inst = load_instance(instance)
        chain(inst, scenario)
        unknown = [c for c in crudes if c not in inst.tables["crudes"].index]
        unknown += [r for r in refineries if r not in inst.tables["refineries"].index]
        if unknown:
            raise click.UsageError(f"unknown crude or refinery id: {', '.join(unknown)}.")
        folder = Path(out) if out else Path("results") / inst.name / f"value-{scenario}"
        check_output_folder(folder, (inst.path,), "--out" if out else "results folder")  # before the long part
        values, points, curves = crude_values(inst, scenario, list(crudes) or None, list(refineries) or None, window)
        costs = policy_costs(inst, scenario, window)
        tables = {"crude_values": values, "breakpoints": points, "policy_costs": costs}
        meta = {"instance": str(Path(instance).resolve()), "scenario": scenario, "window_usd_per_bbl": window,
                "input_sha256": inst.input_hashes(),
                "methods": {"parametric": "intersection method on one crude's price; every breakpoint exact, "
                                          "confirmed by re-solves 0.01 $/bbl either side",
                            "resolve": "margin without the rule minus margin with it",
                            "ranging": "HiGHS ranging of the optimal basis"}}
        write_atomic(folder, tables, meta, extra_files={"volume_vs_price.png": lambda path: plot_curves(curves, path)})
    except CrudeSlateError as exc:
        _fail(exc)
    from optimizer.report import print_values

    print_values(values, costs, folder)


@click.command()
@click.argument("instance", type=click.Path())
@click.option("--scenario", default="base", show_default=True, metavar="NAME")
@click.option("--elastic", is_flag=True, help="If infeasible, find the cheapest relaxation of the soft limits.")
@click.option("--top", default=12, show_default=True, help="How many binding constraints to explain.")
@click.option("--out", type=click.Path(), help="Where infeasibility.csv / explanation.csv go "
                                               "(default results/<instance>/explain-<scenario>).")
def explain(instance: str, scenario: str, elastic: bool, top: int, out: str | None) -> None:
    """Why this plan (binding constraints in plant words), or why no plan (an irreducible conflict)."""
    from optimizer.explain import explain_scenario
    from optimizer.result_files import check_output_folder

    try:
        if out:
            check_output_folder(out, (Path(instance),), "--out")  # before the solve; the default is checked on writing
        code = explain_scenario(instance, scenario, elastic, top, out)
    except CrudeSlateError as exc:
        _fail(exc)
    sys.exit(code)
