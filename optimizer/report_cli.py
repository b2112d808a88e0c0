"""The `compare` and `report` commands: thin click layers over optimizer.compare and optimizer.html_report.

Kept apart from the libraries so `crudeslate --help` imports neither pandas nor Pyomo.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from optimizer.errors import CrudeSlateError


def _fail(error: CrudeSlateError) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(error.exit_code)


@click.command()
@click.argument("results_a", metavar="RESULTS_A", type=click.Path())
@click.argument("results_b", metavar="RESULTS_B", type=click.Path())
@click.option("--out", type=click.Path(), help="Output folder (default results/<instance>/compare-<A>-vs-<B>).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="compare_*.csv tables, or one formatted workbook compare.xlsx.")
def compare(results_a: str, results_b: str, out: str | None, fmt: str) -> None:
    """Compare two solved cases: RESULTS_B (the case) against RESULTS_A (the base).

    Each is a folder written by `crudeslate solve` for one scenario. Writes compare_*.csv (or compare.xlsx)
    and prints a summary: a headline (the largest origin moves, the coast margin, the largest utilisation move),
    then the margin bridge, grades, refineries, units, rules lifted or added and limits that started or stopped
    binding, with their marginal values in plant units.
    """
    from optimizer.compare import compare_cases, comparison_manifest, summary_lines
    from optimizer.result_files import csv_writer, json_writer, load_results, write_folder_atomic

    try:
        base, case = load_results(results_a), load_results(results_b)
        comparison = compare_cases(base, case)
        lines = summary_lines(comparison)
        target = Path(out) if out else (Path("results") / base.instance_name
                                        / f"compare-{comparison.base_label}-vs-{comparison.case_label}")
        meta = comparison_manifest(comparison, lines)
        if fmt == "xlsx":
            from optimizer.xlsx_report import comparison_writer

            files = {"compare.xlsx": comparison_writer(comparison, lines)}
        else:
            files = {f"{name}.csv": csv_writer(frame) for name, frame in comparison.tables.items()}
        files["manifest.json"] = json_writer(meta)
        # the two input folders are crudeslate's own, so only `protect` stops --out from replacing one
        write_folder_atomic(target, files, protect=((Path(results_a), "compared results"),
                                                   (Path(results_b), "compared results")))
    except CrudeSlateError as exc:
        _fail(exc)
    click.echo(lines[0])
    for line in lines[1:]:  # the headline, then the detail lines
        click.echo(f"  {line}")
    click.echo(f"tables written to {target}")


@click.command()
@click.argument("results_dir", metavar="RESULTS_DIR", type=click.Path())
@click.option("--compare", "other", metavar="OTHER_RESULTS_DIR", type=click.Path(),
              help="A second solved case: the report shows RESULTS_DIR against it (it is the base).")
@click.option("--sweep", "sweep_dir", metavar="SWEEP_DIR", type=click.Path(),
              help="A folder written by `crudeslate sweep` (sweep_summary.csv): adds the sweep curves.")
@click.option("--value", "value_dir", metavar="VALUE_DIR", type=click.Path(),
              help="A folder written by `crudeslate value` (crude_values.csv, breakpoints.csv): adds breakevens.")
@click.option("--out", type=click.Path(), help="HTML file to write (default RESULTS_DIR/report.html).")
def report(results_dir: str, other: str | None, sweep_dir: str | None, value_dir: str | None,
           out: str | None) -> None:
    """Write one self-contained HTML report of a solved case (no network needed to view it)."""
    from optimizer.html_report import build_report
    from optimizer.result_files import write_file_atomic

    try:
        html, notes = build_report(results_dir, other, sweep_dir, value_dir)
        target = Path(out) if out else Path(results_dir) / "report.html"
        if target.is_dir():
            target = target / "report.html"
        write_file_atomic(target, lambda path: path.write_text(html, encoding="utf-8"))
    except CrudeSlateError as exc:
        _fail(exc)
    for note in notes:
        click.echo(f"note: {note}")
    click.echo(f"report written to {target}")
