"""`value` and `explain`: commands built on the solved model. Heavy imports stay inside the functions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from optimizer.errors import CrudeSlateError


def _fail(error: CrudeSlateError) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(error.exit_code)


SET_HELP = "Override a cell, e.g. 'crudes[origin=Venezuela].availability_kbd*=0' (repeatable), as in solve."


@click.command()
@click.argument("instance", type=click.Path())
@click.option("--scenario", default="base", show_default=True, metavar="NAME")
@click.option("--crude", "crudes", multiple=True, metavar="ID", help="Crude to value (repeatable; default all).")
@click.option("--refinery", "refineries", multiple=True, metavar="ID",
              help="Refinery to value at (repeatable; default all). The coast is always valued.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@click.option("--window", type=click.FloatRange(min=0.5), default=40.0, show_default=True, metavar="USD_PER_BBL",
              help="How far above and below today's price the curves are traced.")
@click.option("--out", type=click.Path(), help="Output folder (default results/<instance>/value-<scenario>).")
def value(instance: str, scenario: str, crudes: tuple[str, ...], refineries: tuple[str, ...], sets: tuple[str, ...],
          window: float, out: str | None) -> None:
    """Crude breakevens and volume-price curves (parametric, exact), and the cost of each policy rule."""
    from optimizer.plots import plot_curves
    from optimizer.result_files import check_output_folder
    from optimizer.results import write_atomic
    from optimizer.run import resolve_all
    from optimizer.scenarios import chain
    from optimizer.validate import load_instance
    from optimizer.value import policy_costs, prepare, value_curves

    try:
        inst = load_instance(instance)
        chain(inst, scenario)
        unknown = [c for c in crudes if c not in inst.tables["crudes"].index]
        unknown += [r for r in refineries if r not in inst.tables["refineries"].index]
        if unknown:
            raise click.UsageError(f"unknown crude or refinery id: {', '.join(unknown)}.")
        folder = Path(out) if out else Path("results") / inst.name / f"value-{scenario}"
        check_output_folder(folder, (inst.path,), "--out" if out else "results folder")  # before the long part
        resolved = resolve_all(inst, [scenario], sets)[scenario]
        values, points, curves = value_curves(prepare(resolved), list(crudes) or None, list(refineries) or None,
                                              window)
        costs = policy_costs(inst, scenario, window, sets)
        tables = {"crude_values": values, "breakpoints": points, "policy_costs": costs}
        meta = {"instance": str(Path(instance).resolve()), "scenario": scenario, "window_usd_per_bbl": window,
                "input_sha256": inst.input_hashes(), "overrides": resolved.applied,
                "methods": {"parametric": "intersection method on one crude's price; every breakpoint exact, "
                                          "confirmed by re-solves 0.01 $/bbl either side (column confirmed)",
                            "resolve": "margin without the rule minus margin with it; per refinery against the "
                                       "optimal plan without the rule nearest the plan with it",
                            "ranging": "bounds on a rule's cost from its marginal value over its validity range "
                                       "(a tariff: the tariff bills of the plans with and without it)"}}
        names = inst.tables["crudes"]["name"].astype(str).to_dict() if "name" in inst.tables["crudes"] else {}
        sites = (inst.tables["refineries"]["name"].astype(str).to_dict()
                 if "name" in inst.tables["refineries"] else {})

        def draw(path: Path) -> None:
            plot_curves(curves, path, names, sites, refineries_requested=bool(refineries))

        write_atomic(folder, tables, meta, extra_files={"volume_vs_price.png": draw})
    except CrudeSlateError as exc:
        _fail(exc)
    from optimizer.value import print_values

    print_values(values, costs, folder, refineries=bool(refineries))


@click.command()
@click.argument("instance", type=click.Path())
@click.option("--scenario", default="base", show_default=True, metavar="NAME")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@click.option("--elastic", is_flag=True, help="If infeasible, find the cheapest relaxation of the soft limits.")
@click.option("--soften-bans", is_flag=True, help="With --elastic, let bans be relaxed too (they are legal rules: "
                                                  "kept hard by default).")
@click.option("--iis", type=click.Choice(["exact", "fast"]), default="exact", show_default=True,
              help="exact: HiGHS's irreducible infeasible subsystem; fast: a conflicting set HiGHS does not reduce "
                   "(may hold members that are not needed).")
@click.option("--top", default=12, show_default=True, help="How many binding constraints to explain.")
@click.option("--out", type=click.Path(), help="Where infeasibility.csv / explanation.csv go "
                                               "(default results/<instance>/explain-<scenario>).")
def explain(instance: str, scenario: str, sets: tuple[str, ...], elastic: bool, soften_bans: bool, iis: str, top: int,
            out: str | None) -> None:
    """Why this plan (binding constraints in plant words), or why no plan (an irreducible conflict)."""
    from optimizer.explain import explain_scenario
    from optimizer.result_files import check_output_folder

    try:
        if out:
            check_output_folder(out, (Path(instance),), "--out")  # before the solve; the default is checked on writing
        code = explain_scenario(instance, scenario, elastic, top, out, sets, iis, soften_bans)
    except CrudeSlateError as exc:
        _fail(exc)
    sys.exit(code)
