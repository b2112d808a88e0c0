"""Bad input: one defect per case, each message names the file, row, column and value; exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main


def replace(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text, f"test set-up: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def append(folder: Path, name: str, text: str) -> None:
    with open(folder / name, "a") as stream:
        stream.write(text)


CASES = {
    "text in a number column": (
        lambda f: replace(f, "crudes.csv", "heavy,Heavy sour,Beta,20,", "heavy,Heavy sour,Beta,abc,"),
        "crudes.csv row 3, column api_deg, value 'abc': is not a finite number."),
    "NaN in a number column": (
        lambda f: replace(f, "crudes.csv", "0.5,80,60", "0.5,NaN,60"),
        "crudes.csv row 2, column price_usd_per_bbl, value 'NaN': is not a finite number."),
    "missing file": (
        lambda f: (f / "crude_yields.csv").unlink(),
        "crude_yields.csv: is missing from"),
    "empty file": (
        lambda f: (f / "products.csv").write_text(""),
        "products.csv: is empty."),
    "not UTF-8": (
        lambda f: (f / "crudes.csv").write_bytes((f / "crudes.csv").read_bytes().replace(b"Light sweet", b"Ligh\xf1")),
        "crudes.csv: is not UTF-8 text"),
    "bad TOML": (
        lambda f: append(f, "instance.toml", "\n[scenarios.broken\n"),
        "instance.toml: is not valid TOML"),
    "unknown column": (
        lambda f: (f / "refineries.csv").write_text(
            "refinery_id,name,crude_capacity_kbd,sulfur_max_wt_pct,capacity\nrefinery,Toy,100,2.0,5\n"),
        "refineries.csv row 1: has an unknown column 'capacity'."),
    "duplicate id": (
        lambda f: append(f, "crudes.csv", "light,Again,Alpha,40,0.5,80,60\n"),
        "crudes.csv row 4, column crude_id, value 'light': repeats the key 'light' of row 2."),
    "unknown reference": (
        lambda f: replace(f, "crude_yields.csv", "light,resid", "lite,resid"),
        "crude_yields.csv row 3, column crude_id, value 'lite': names a crudes id that does not exist."),
    "yields not summing to 1": (
        lambda f: replace(f, "crude_yields.csv", "light,resid,0.3", "light,resid,0.2"),
        "crudes.csv row 2, column crude_id, value 'light': has crude_yields summing to 0.9000"),
    "negative capacity": (
        lambda f: replace(f, "units.csv", "coker,40", "coker,-5"),
        "units.csv row 2, column capacity_kbd, value '-5': is below the lowest allowed value 0."),
    "min above max": (
        lambda f: (f / "refineries.csv").write_text(
            "refinery_id,crude_capacity_kbd,crude_min_run_kbd\nrefinery,100,120\n"),
        "refineries.csv row 2, column crude_min_run_kbd, value '120.0': is above crude_capacity_kbd (100)."),
    "stream with no consumer": (
        lambda f: replace(f, "blend_components.csv", "coke,coke\n", ""),
        "refineries.csv row 2, column refinery_id, value 'refinery': makes stream 'coke' but nothing"),
    "stream with no producer": (
        lambda f: (append(f, "streams.csv", "naphtha,intermediate\n"),
                   append(f, "blend_components.csv", "gasoline,naphtha\n")),
        "streams.csv row 6, column stream_id, value 'naphtha': is used (unit feed or blend component) but no"),
    "override that points at nothing": (
        lambda f: append(f, "instance.toml", '\n[scenarios.typo]\ndescription = "x"\n'
                                            'overrides = ["crudes.hevy.price_usd_per_bbl = 3"]\n'),
        "instance.toml [scenarios.typo] overrides, value 'crudes.hevy.price_usd_per_bbl': points at no row of crudes."),
    "override of an unknown column": (
        lambda f: append(f, "instance.toml", '\n[scenarios.typo]\ndescription = "x"\n'
                                            'overrides = ["crudes.heavy.cost = 3"]\n'),
        "names no numeric column of crudes: 'cost'."),
    "scenario extends an unknown scenario": (
        lambda f: append(f, "instance.toml", '\n[scenarios.child]\ndescription = "x"\nextends = "nobody"\n'),
        "instance.toml, value 'nobody': [scenarios.child] extends an unknown scenario."),
    "spec that needs pooled qualities": (
        lambda f: ((f / "qualities.csv").write_text("quality_id,unit\nsulfur,wt%\n"),
                   (f / "cut_qualities.csv").write_text(
                       "crude_id,stream_id,quality_id,value\nlight,light_cut,sulfur,0.01\nheavy,light_cut,sulfur,0.5\n"),
                   (f / "stream_qualities.csv").write_text("stream_id,quality_id,value\ncoker_liquid,sulfur,0.3\n"),
                   (f / "blend_specs.csv").write_text("product_id,quality_id,max_value\ngasoline,sulfur,0.1\n")),
        "blend_specs.csv row 2, column quality_id, value 'sulfur': needs the sulfur of component 'light_cut', which "
        "differs between the crudes that make it"),
    "ban with a volume": (
        lambda f: (f / "policies.csv").write_text("rule_id,kind,crude_id,volume_kbd\nb,ban,heavy,5\n"),
        "policies.csv row 2, column volume_kbd, value '5.0': a ban takes no volume."),
    "policy scope that matches nothing": (
        lambda f: (f / "policies.csv").write_text("rule_id,kind,origin\nb,ban,Venezeula\n"),
        "policies.csv row 2, column origin, value 'Venezeula': matches no crude's origin."),
    "falling supply curve": (
        lambda f: (f / "crude_tiers.csv").write_text(
            "crude_id,tier,volume_kbd,price_adder_usd_per_bbl\nheavy,1,10,2\nheavy,2,10,1\n"),
        "crude_tiers.csv row 3, column price_adder_usd_per_bbl, value '1.0': is cheaper than the tier before it"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_defect_is_reported_precisely(copy_instance, case):
    folder = copy_instance("toy_two_crudes")
    mutate, expected = CASES[case]
    mutate(folder)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert "Fix:" in result.output


def test_every_problem_is_reported_at_once(copy_instance):
    folder = copy_instance("toy_two_crudes")
    for case in ("text in a number column", "negative capacity", "unknown reference", "policy scope that matches nothing"):
        CASES[case][0](folder)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 1
    # consequences of the defects (a yield total, a min/max pair) are reported too
    assert "6 problems found" in result.output
    for case in ("text in a number column", "negative capacity", "unknown reference", "policy scope that matches nothing"):
        assert CASES[case][1] in result.output


def test_not_a_folder(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "is not a folder" in result.output


def test_workbook_missing_sheet(copy_instance):
    from optimizer.workbook import write_workbook

    folder = copy_instance("toy_two_crudes")
    book = folder.parent / "book"
    write_workbook(folder, book, drop_sheets={"crudes"})
    result = CliRunner().invoke(main, ["validate", str(book)])
    assert result.exit_code == 1
    assert "instance.xlsx: lacks the required sheet 'crudes'." in result.output
