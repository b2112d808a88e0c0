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
        "crudes.csv row 2, column name, value 'Ligh\ufffd': is not UTF-8 text: byte 0xf1 (shown as \ufffd) at "
        "character 11 of the line."),
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
    # a consequence that tells something new is reported too (light's yields now sum to 0.7: 'lite' took its resid),
    # not one that repeats a defect (the coker's minimum feed 0 'above' its capacity -5)
    assert "5 problems found" in result.output
    for case in ("text in a number column", "negative capacity", "unknown reference", "policy scope that matches nothing"):
        assert CASES[case][1] in result.output
    assert "crudes.csv row 2, column crude_id, value 'light': has crude_yields summing to 0.7000" in result.output
    assert "min_feed_kbd" not in result.output


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


MORE_CASES = {
    "an instance name that cannot name a folder": (
        lambda f: replace(f, "instance.toml", 'name = "toy_two_crudes"', 'name = "/tmp/victim"'),
        "instance.toml, column name, value '/tmp/victim': has a name that cannot name a results folder. Fix: use "
        "letters, digits, '_' and '-' only (no spaces, dots or slashes)"),
    "an empty instance.toml": (
        lambda f: (f / "instance.toml").write_text(""),
        'instance.toml: is empty. Fix: write at least name = "..." (letters, digits, _ and -) and description = '
        '"..." (one line).'),
    "a negative operating cost": (
        lambda f: (f / "units.csv").write_text(
            "refinery_id,unit_id,unit_type,capacity_kbd,operating_cost_usd_per_bbl\nrefinery,coker,coker,40,-500\n"),
        "units.csv row 2, column operating_cost_usd_per_bbl, value '-500': is below the lowest allowed value 0."),
    "a negative crude-unit cost": (
        lambda f: (f / "refineries.csv").write_text(
            "refinery_id,crude_capacity_kbd,sulfur_max_wt_pct,crude_unit_cost_usd_per_bbl\nrefinery,100,2.0,-50\n"),
        "refineries.csv row 2, column crude_unit_cost_usd_per_bbl, value '-50': is below the lowest allowed value 0."),
    "a stream neither made nor used": (
        lambda f: append(f, "streams.csv", "naphtha,intermediate\n"),
        "streams.csv row 6, column stream_id, value 'naphtha': is neither made (crude_yields, unit_yields) nor used "
        "(a unit feed, a blend component)."),
}


@pytest.mark.parametrize("case", list(MORE_CASES))
def test_more_defects_are_reported_precisely(copy_instance, case):
    folder = copy_instance("toy_two_crudes")
    mutate, expected = MORE_CASES[case]
    mutate(folder)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def validate_output(folder) -> str:
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 1
    return result.output


def test_an_unreadable_table_is_said_once_not_through_its_references(copy_instance):
    folder = copy_instance("toy_two_crudes")
    (folder / "crudes.csv").unlink()
    assert validate_output(folder) == (
        "error: 1 problem found:\n"
        f"  - crudes.csv: is missing from {folder}. Fix: create it with the header: "
        "crude_id,origin,api_deg,sulfur_wt_pct.\n")


def test_not_utf8_names_the_line_the_column_and_the_bytes(copy_instance):
    folder = copy_instance("toy_two_crudes")
    data = (folder / "crudes.csv").read_bytes().replace(b"Light sweet", b"Light sw\xe9et")
    (folder / "crudes.csv").write_bytes(data)
    assert validate_output(folder) == (
        "error: 1 problem found:\n"
        "  - crudes.csv row 2, column name, value 'Light sw\ufffdet': is not UTF-8 text: byte 0xe9 (shown as "
        "\ufffd) at character 15 of the line. Fix: save the file as UTF-8 (in Excel: Save As 'CSV UTF-8'; in "
        "LibreOffice: character set Unicode (UTF-8)). It looks like Windows-1252 (Latin-1) text, which Excel "
        "writes for 'CSV (Comma delimited)'.\n")


def test_a_bad_cell_is_not_reported_again_through_a_min_max_pair(copy_instance):
    folder = copy_instance("toy_two_crudes")
    replace(folder, "units.csv", "coker,40", "coker,-40")
    assert validate_output(folder) == (
        "error: 1 problem found:\n"
        "  - units.csv row 2, column capacity_kbd, value '-40': is below the lowest allowed value 0. Fix: use a "
        "value >= 0.\n")


def test_no_name_and_no_description(copy_instance):
    folder = copy_instance("toy_two_crudes")
    text = (folder / "instance.toml").read_text()
    (folder / "instance.toml").write_text("\n".join(line for line in text.splitlines()
                                                    if not line.startswith(("name =", "description ="))))
    assert validate_output(folder) == (
        "error: 2 problems found:\n"
        '  - instance.toml: has no name. Fix: add name = "..." (letters, digits, _ and -): it names the instance in '
        "results and their folder, results/<name>/.\n"
        '  - instance.toml: has no description. Fix: add description = "..." (one line saying what the instance '
        "is).\n")


def test_a_scenario_problem_names_the_override_and_is_said_once(copy_instance):
    folder = copy_instance("toy_two_crudes")
    append(folder, "instance.toml", '\n[scenarios.a]\ndescription = "x"\n'
                                    'overrides = ["crude_yields.heavy/resid.yield_vol_frac = 0.5"]\n'
                                    '[scenarios.b]\ndescription = "y"\nextends = "a"\n'
                                    '[scenarios.c]\ndescription = "z"\nextends = "a"\n')
    assert validate_output(folder) == (
        "error: 1 problem found:\n"
        "  - scenario a (override 'crude_yields.heavy/resid.yield_vol_frac = 0.5' in instance.toml [scenarios.a]): "
        "crudes.csv row 3, column crude_id, value 'heavy': has crude_yields summing to 0.9000, not 1 (tolerance "
        "0.001). Fix: make the cuts add up to 1; put gas and losses in a stream of kind 'loss'.\n")


def test_a_set_that_breaks_a_rule_is_named(tmp_path):
    from .conftest import INSTANCES

    result = CliRunner().invoke(main, ["solve", str(INSTANCES / "toy_two_crudes"), "--out", str(tmp_path / "o"),
                                       "--set", "crude_yields.heavy/resid.yield_vol_frac = 0.5"])
    assert result.exit_code == 1
    assert result.output == (
        "error: 1 problem found:\n"
        "  - --set 'crude_yields.heavy/resid.yield_vol_frac = 0.5': crudes.csv row 3, column crude_id, value "
        "'heavy': has crude_yields summing to 0.9000, not 1 (tolerance 0.001). Fix: make the cuts add up to 1; put "
        "gas and losses in a stream of kind 'loss'.\n")


def test_added_policies_report_every_problem(copy_instance):
    folder = copy_instance("toy_two_crudes")
    append(folder, "instance.toml", '\n[scenarios.a]\ndescription = "x"\nadd_policies = ['
                                    '{rule_id = "z", kind = "bann", crude_id = "hevy"}, '
                                    '{rule_id = "z2", kind = "cap", origin = "Beta"}]\n')
    assert validate_output(folder) == (
        "error: 3 problems found:\n"
        "  - instance.toml [scenarios.a] add_policies[0], column kind, value 'bann': is not an allowed value. Fix: "
        "use one of: ban, cap, floor, tariff.\n"
        "  - instance.toml [scenarios.a] add_policies[0], column crude_id, value 'hevy': names a crudes id that does "
        "not exist. Fix: use one of: heavy, light.\n"
        "  - instance.toml [scenarios.a] add_policies[1], column volume_kbd, value '': a cap needs a volume. Fix: "
        "give volume_kbd.\n")


def test_dropping_a_rule_of_an_instance_without_rules(copy_instance):
    folder = copy_instance("toy_two_crudes")
    append(folder, "instance.toml", '\n[scenarios.typo]\ndescription = "x"\ndrop_policies = ["nonexistent"]\n')
    assert validate_output(folder) == (
        "error: 1 problem found:\n"
        "  - instance.toml, value 'nonexistent': [scenarios.typo] drops a policy rule that does not exist. Fix: "
        "remove it from drop_policies: the instance has no policy rules.\n")


def _book(copy_instance):
    from optimizer.workbook import write_workbook

    folder = copy_instance("toy_two_crudes")
    book = folder.parent / "book"
    write_workbook(folder, book)
    return book


def test_a_csv_beside_a_workbook_is_an_error(copy_instance):
    book = _book(copy_instance)
    (book / "crudes.csv").write_text("crude_id\n")
    assert validate_output(book) == (
        "error: 1 problem found:\n"
        "  - crudes.csv: lies beside the workbook instance.xlsx, which instance.toml names: the tables are read from "
        "the workbook only, so this file would be ignored. Fix: move it out of the instance folder, or delete the "
        "workbook = line of instance.toml to read the CSV files instead.\n")


def test_workbook_formula_without_a_value_and_cells_beyond_the_header(copy_instance):
    from openpyxl import load_workbook

    book = _book(copy_instance)
    workbook = load_workbook(book / "instance.xlsx")
    workbook["crudes"]["F3"] = "=60+5"  # heavy's price, as a formula openpyxl cannot calculate
    workbook["units"]["F2"] = 7  # beyond units' four header cells
    workbook.save(book / "instance.xlsx")
    assert validate_output(book) == (
        "error: 2 problems found:\n"
        "  - instance.xlsx[crudes] row 3, column price_usd_per_bbl, value '=60+5': is a formula with no saved result "
        "(the program that wrote the workbook did not calculate it). Fix: open the workbook in Excel or LibreOffice "
        "and save it (that stores the results), or type the value.\n"
        "  - instance.xlsx[units] row 2: has 6 cells where the header has 4. Fix: give every value a column with a "
        "header, or delete the cells beyond the header.\n")


# -- stream trade: purchases and transfers of intermediate streams --------------------------------------------------


def _second_refinery(f: Path) -> None:
    append(f, "refineries.csv", "second,Second refinery,100,2.0\n")


def _purchases(f: Path, *rows: str) -> None:
    (f / "stream_purchases.csv").write_text("purchase_id,stream_id,refinery_id,price_usd_per_bbl,min_kbd,max_kbd\n"
                                            + "".join(f"{row}\n" for row in rows))


def _transfers(f: Path, *rows: str) -> None:
    (f / "stream_transfers.csv").write_text("transfer_id,stream_id,from_refinery_id,to_refinery_id,cost_usd_per_bbl,"
                                            "capacity_kbd\n" + "".join(f"{row}\n" for row in rows))


def _vgo_fed_to_a_coker(f: Path) -> None:
    """A stream `vgo` no crude makes, which the coker at `refinery` takes."""
    append(f, "streams.csv", "vgo,intermediate\n")
    append(f, "unit_yields.csv", "coker,vgo,coker_liquid,0.8\ncoker,vgo,coke,0.2\n")


TRADE_CASES = {
    "a purchase of an unknown stream": (
        lambda f: _purchases(f, "imp,rsid,refinery,50,,10"),
        "stream_purchases.csv row 2, column stream_id, value 'rsid': names a streams id that does not exist. Fix: "
        "use one of: coke, coker_liquid, light_cut, resid."),
    "a purchase at an unknown refinery": (
        lambda f: _purchases(f, "imp,resid,refinry,50,,10"),
        "stream_purchases.csv row 2, column refinery_id, value 'refinry': names a refineries id that does not "
        "exist. Fix: use one of: refinery."),
    "a purchase at a refinery where nothing uses the stream": (
        lambda f: (_second_refinery(f), _vgo_fed_to_a_coker(f), _purchases(f, "imp,vgo,second,50,,10")),
        "stream_purchases.csv row 2, column refinery_id, value 'second': buys stream 'vgo' at second, where nothing "
        "uses it (no unit takes it, no product blends it, no transfer sends it on to a refinery that does). Fix: buy "
        "it at a refinery with a unit or blend that takes vgo, add one at second, or leave refinery_id empty"),
    "a purchase offered to any refinery that none uses": (
        lambda f: (append(f, "streams.csv", "vgo,intermediate\n"), _purchases(f, "imp,vgo,,50,,10")),
        "stream_purchases.csv row 2, column stream_id, value 'vgo': offers stream 'vgo' to any refinery, but no "
        "refinery uses it (no unit takes it, no product blends it). Fix: add a unit or blend component that takes "
        "vgo, or delete the row."),
    "a purchase of a loss stream": (
        lambda f: (append(f, "streams.csv", "gas,loss\n"), _purchases(f, "imp,gas,refinery,50,,10")),
        "stream_purchases.csv row 2, column stream_id, value 'gas': names a stream of kind 'loss', which leaves the "
        "plant and has no balance to buy into. Fix: buy an intermediate stream, or make gas an intermediate stream "
        "in streams.csv."),
    "a negative purchase price": (
        lambda f: _purchases(f, "imp,resid,refinery,-5,,10"),
        "stream_purchases.csv row 2, column price_usd_per_bbl, value '-5': is below the lowest allowed value 0."),
    "a negative purchase limit": (
        lambda f: _purchases(f, "imp,resid,refinery,50,,-10"),
        "stream_purchases.csv row 2, column max_kbd, value '-10': is below the lowest allowed value 0."),
    "a purchase minimum above its maximum": (
        lambda f: _purchases(f, "imp,resid,refinery,50,20,10"),
        "stream_purchases.csv row 2, column min_kbd, value '20.0': is above max_kbd (10). Fix: make min_kbd <= "
        "max_kbd."),
    "a transfer to the refinery it comes from": (
        lambda f: _transfers(f, "loop,resid,refinery,refinery,1,10"),
        "stream_transfers.csv row 2, column to_refinery_id, value 'refinery': sends the stream to the refinery it "
        "comes from. Fix: name two different refineries"),
    "a transfer from a refinery that does not make the stream": (
        lambda f: (_second_refinery(f), _transfers(f, "t,coker_liquid,second,refinery,1,10")),
        "stream_transfers.csv row 2, column from_refinery_id, value 'second': sends stream 'coker_liquid' from "
        "second, where nothing makes it (no crude cut, no unit yields it, no purchase, no transfer brings it). Fix: "
        "send it from a refinery that makes coker_liquid, or add a stream_purchases row for coker_liquid at second."),
    "a transfer to a refinery where nothing uses the stream": (
        lambda f: (_second_refinery(f), _vgo_fed_to_a_coker(f), _purchases(f, "imp,vgo,refinery,50,,10"),
                   _transfers(f, "t,vgo,refinery,second,1,10")),
        "stream_transfers.csv row 2, column to_refinery_id, value 'second': sends stream 'vgo' to second, where "
        "nothing uses it (no unit takes it, no product blends it, no transfer sends it on). Fix: send it to a "
        "refinery with a unit or blend that takes vgo, or add one at second."),
    "a transfer of a loss stream": (
        lambda f: (_second_refinery(f), append(f, "streams.csv", "gas,loss\n"),
                   _transfers(f, "t,gas,refinery,second,1,10")),
        "stream_transfers.csv row 2, column stream_id, value 'gas': names a stream of kind 'loss', which leaves the "
        "plant and has no balance to move."),
    "a transfer to an unknown refinery": (
        lambda f: _transfers(f, "t,resid,refinery,sister,1,10"),
        "stream_transfers.csv row 2, column to_refinery_id, value 'sister': names a refineries id that does not "
        "exist. Fix: use one of: refinery."),
    "a negative transfer cost": (
        lambda f: (_second_refinery(f), _transfers(f, "t,resid,refinery,second,-1,10")),
        "stream_transfers.csv row 2, column cost_usd_per_bbl, value '-1': is below the lowest allowed value 0."),
    "a negative transfer capacity": (
        lambda f: (_second_refinery(f), _transfers(f, "t,resid,refinery,second,1,-10")),
        "stream_transfers.csv row 2, column capacity_kbd, value '-10': is below the lowest allowed value 0."),
}


@pytest.mark.parametrize("case", list(TRADE_CASES))
def test_stream_trade_defects_are_reported_precisely(copy_instance, case):
    folder = copy_instance("toy_two_crudes")
    mutate, expected = TRADE_CASES[case]
    mutate(folder)
    output = validate_output(folder)
    assert "error: 1 problem found:" in output, output
    assert expected in output, output
    assert "Traceback" not in output and "Fix:" in output


def test_every_stream_trade_problem_is_reported_at_once(copy_instance):
    folder = copy_instance("toy_two_crudes")
    _second_refinery(folder)
    append(folder, "streams.csv", "gas,loss\n")
    _purchases(folder, "a,gas,refinery,50,,10", "b,resid,refinery,50,20,10", "c,rsid,,50,,")
    _transfers(folder, "t1,resid,refinery,refinery,1,10", "t2,coker_liquid,second,refinery,1,10",
               "t3,resid,refinery,second,-1,")
    output = validate_output(folder)
    assert "6 problems found" in output, output
    for row, column in ((2, "stream_id"), (3, "min_kbd"), (4, "stream_id")):
        assert f"stream_purchases.csv row {row}, column {column}" in output
    for row, column in ((2, "to_refinery_id"), (3, "from_refinery_id"), (4, "cost_usd_per_bbl")):
        assert f"stream_transfers.csv row {row}, column {column}" in output


def test_a_stream_only_bought_or_only_sent_on_is_not_an_error(copy_instance):
    """What stream trade makes legal: a stream no crude or unit makes that a purchase brings (vgo into the coker at
    `refinery`), and a stream a refinery makes but has no use for that it sends to one that does (vgo made by a
    vacuum unit at `second`, which has no coker)."""
    bought = copy_instance("toy_two_crudes")
    _vgo_fed_to_a_coker(bought)
    _purchases(bought, "imp,vgo,refinery,50,,10")
    result = CliRunner().invoke(main, ["validate", str(bought)])
    assert result.exit_code == 0, result.output

    sent = bought.parent / "sent"
    sent.mkdir()
    for path in bought.iterdir():
        (sent / path.name).write_bytes(path.read_bytes())
    (sent / "stream_purchases.csv").unlink()
    _second_refinery(sent)
    append(sent, "units.csv", "second,vacuum,vacuum,30\n")
    append(sent, "unit_yields.csv", "vacuum,resid,vgo,1.0\n")
    assert ("refineries.csv row 3, column refinery_id, value 'second': makes stream 'vgo' but nothing at this "
            "refinery uses it") in validate_output(sent)
    _transfers(sent, "t,vgo,second,refinery,1,")
    result = CliRunner().invoke(main, ["validate", str(sent)])
    assert result.exit_code == 0, result.output
