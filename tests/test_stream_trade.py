"""Stream trade end to end: a two-refinery toy that buys coker feed and passes residue to its sister plant, solved
from the command line, with every figure of its result tables derived by hand; the self-check catching a corrupted
purchase or transfer; explain, compare, a sweep over the purchase price and the workbook on the same toy.

The toy (the derivation every test below starts from). Crude A costs $50 and is 60 % light, 40 % resid. Light sells
as gasoline ($80); resid as fuel oil ($40, at most 35 kb/d on the coast) or is coked: 0.8 coker liquid (gasoline)
+ 0.2 coke (a loss), so a coked barrel is worth 0.8 x 80 = 64. R1 and R2 each run 100 kb/d of A (crude units full);
only R2 has a coker, 60 kb/d, which takes R2's own 40 kb/d of resid and has 20 kb/d spare. Two ways to fill it:
- `r1_to_r2`: R1's resid over a 15 kb/d line at $1/bbl, net 64 - 40 (fuel oil at R1) - 1 = 23 $/bbl;
- `imported_resid`: a cargo at $45 delivered, at most 10 kb/d, offered to any refinery: net 64 - 45 = 19 $/bbl.
The line is the better use: it fills (15 kb/d), and the import takes the coker's last 5 kb/d. Then:
- resid at R2 is worth 45 (a free barrel there displaces an imported one); at R1 40 (fuel oil);
- the line's marginal value 45 - 40 - 1 = 4 $/bbl; the cargo limit is slack (5 of 10): dual 0;
- the coker's marginal value 64 - 45 = 19 (one more kb/d of it takes one more imported barrel);
- buying the cargo at R1 would earn 40 (fuel oil) - 45: reduced cost -5; at R2 0 (it is bought);
- margin: the crude 2 x 100 x (0.6 x 80 - 50) + 100 x 0.4 x 40 (R1) + 100 x 0.4 x 64 (R2) = 3760, plus the line
  15 x 23 = 345 and the cargo 5 x 19 = 95: 4200 kUSD/d.
By refinery (a transfer carries no internal price; its cost is the receiver's): R1 sells 60 gasoline and
25 fuel oil: 4800 + 1000 - 5000 = 800. R2 sells 60 + 0.8 x 60 = 108 gasoline: 8640 - 5000 - 225 (cargo)
- 15 (line) = 3400. Together 4200.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.data import derive
from optimizer.instance import read_instance
from optimizer.run import read_back
from optimizer.solve import SlateSolver
from optimizer.validate import validate

try:
    from instance_builder import write_instance
except ImportError:  # tests/ made a package
    from tests.instance_builder import write_instance

TOML = '''name = "stream_trade_toy"
description = "Two refineries, one coker: coker feed bought in and resid passed to the sister plant."

[scenarios.no_import]
description = "The resid cargo does not come"
overrides = ["stream_purchases.imported_resid.max_kbd = 0"]

[scenarios.take_or_pay]
description = "A contract obliges 100 kb/d of the cargo, more than the coker and the fuel-oil market can take"
overrides = ["stream_purchases.imported_resid.max_kbd = 100", "stream_purchases.imported_resid.min_kbd = 100"]
'''


def toy_tables() -> dict[str, list[dict]]:
    return {
        "refineries": [{"refinery_id": "R1", "name": "Sister plant", "crude_capacity_kbd": 100},
                       {"refinery_id": "R2", "name": "Coking plant", "crude_capacity_kbd": 100}],
        "crudes": [{"crude_id": "A", "origin": "X", "api_deg": 30, "sulfur_wt_pct": 1.0, "price_usd_per_bbl": 50}],
        "streams": [{"stream_id": "light"}, {"stream_id": "resid", "name": "Vacuum resid"},
                    {"stream_id": "coker_liquid"}, {"stream_id": "coke", "kind": "loss"}],
        "crude_yields": [{"crude_id": "A", "stream_id": "light", "yield_vol_frac": 0.6},
                         {"crude_id": "A", "stream_id": "resid", "yield_vol_frac": 0.4}],
        "units": [{"refinery_id": "R2", "unit_id": "coker", "unit_type": "coker", "capacity_kbd": 60}],
        "unit_yields": [
            {"unit_type": "coker", "feed_stream_id": "resid", "product_stream_id": "coker_liquid", "yield_vol_frac": 0.8},
            {"unit_type": "coker", "feed_stream_id": "resid", "product_stream_id": "coke", "yield_vol_frac": 0.2},
        ],
        "products": [{"product_id": "gasoline", "price_usd_per_bbl": 80},
                     {"product_id": "fuel_oil", "price_usd_per_bbl": 40, "max_sales_kbd": 35}],
        "blend_components": [{"product_id": "gasoline", "stream_id": "light"},
                             {"product_id": "gasoline", "stream_id": "coker_liquid"},
                             {"product_id": "fuel_oil", "stream_id": "resid"}],
        "stream_purchases": [{"purchase_id": "imported_resid", "stream_id": "resid", "refinery_id": None,
                              "price_usd_per_bbl": 45, "max_kbd": 10, "source": "a cargo"}],
        "stream_transfers": [{"transfer_id": "r1_to_r2", "stream_id": "resid", "from_refinery_id": "R1",
                              "to_refinery_id": "R2", "cost_usd_per_bbl": 1.0, "capacity_kbd": 15}],
    }


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return write_instance(tmp_path_factory.mktemp("trade") / "stream_trade_toy", toy_tables(), TOML)


@pytest.fixture(scope="module")
def solved(toy, tmp_path_factory):
    out = tmp_path_factory.mktemp("solved") / "base"
    result = CliRunner().invoke(main, ["solve", str(toy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out



def test_cli_solve_writes_the_hand_derived_plan(solved):
    summary = pd.read_csv(solved / "summary.csv")
    assert summary["objective_kusd_per_day"].iloc[0] == pytest.approx(4200.0, rel=1e-9)

    purchases = pd.read_csv(solved / "stream_purchases.csv").set_index("refinery_id")
    assert list(purchases.columns) == ["scenario", "purchase_id", "stream_id", "volume_kbd", "price_usd_per_bbl",
                                       "cost_kusd_per_day", "stream_value_usd_per_bbl", "reduced_cost_usd_per_bbl"]
    assert purchases.at["R2", "volume_kbd"] == pytest.approx(5.0)
    assert purchases.at["R2", "cost_kusd_per_day"] == pytest.approx(225.0)
    assert purchases.at["R2", "stream_value_usd_per_bbl"] == pytest.approx(45.0)
    assert purchases.at["R1", "volume_kbd"] == pytest.approx(0.0, abs=1e-9)
    assert purchases.at["R1", "stream_value_usd_per_bbl"] == pytest.approx(40.0)
    assert purchases.at["R1", "reduced_cost_usd_per_bbl"] == pytest.approx(-5.0)

    transfer = pd.read_csv(solved / "stream_transfers.csv").iloc[0]
    assert (transfer["transfer_id"], transfer["stream_id"], transfer["from_refinery_id"],
            transfer["to_refinery_id"]) == ("r1_to_r2", "resid", "R1", "R2")
    assert (transfer["volume_kbd"], transfer["capacity_kbd"], transfer["cost_kusd_per_day"]) == pytest.approx(
        (15.0, 15.0, 15.0))
    assert transfer["marginal_value_usd_per_bbl"] == pytest.approx(4.0)

    refineries = pd.read_csv(solved / "refineries.csv").set_index("refinery_id")
    assert refineries.columns[-4:].tolist() == ["stream_purchase_cost_kusd_per_day",
                                                "stream_transfer_cost_kusd_per_day", "margin_usd_per_bbl",
                                                "margin_kusd_per_day"]
    assert refineries.at["R1", "margin_kusd_per_day"] == pytest.approx(800.0)
    assert refineries.at["R2", "margin_kusd_per_day"] == pytest.approx(3400.0)
    assert refineries.at["R2", "stream_purchase_cost_kusd_per_day"] == pytest.approx(225.0)
    assert refineries.at["R2", "stream_transfer_cost_kusd_per_day"] == pytest.approx(15.0)
    assert refineries.at["R1", "stream_transfer_cost_kusd_per_day"] == pytest.approx(0.0)

    units = pd.read_csv(solved / "units.csv").iloc[0]
    assert (units["feed_kbd"], units["marginal_value_usd_per_bbl"]) == pytest.approx((60.0, 19.0))

    constraints = pd.read_csv(solved / "constraints.csv", keep_default_na=False)
    limit = constraints[constraints["family"] == "stream_purchase_limit"].iloc[0]
    capacity = constraints[constraints["family"] == "stream_transfer_capacity"].iloc[0]
    assert (limit["purchase_id"], float(limit["body"]), float(limit["upper"]), float(limit["dual"])) == (
        "imported_resid", pytest.approx(5.0), pytest.approx(10.0), pytest.approx(0.0, abs=1e-9))
    assert (capacity["transfer_id"], float(capacity["dual"]), capacity["binding_side"]) == (
        "r1_to_r2", pytest.approx(4.0), "upper")
    assert json.loads((solved / "manifest.json").read_text())["status"] == "optimal"


def test_an_instance_without_trade_writes_no_trade_tables_or_columns(tmp_path):
    tables = toy_tables()
    del tables["stream_purchases"], tables["stream_transfers"]
    tables["units"][0]["capacity_kbd"] = 40  # R1's resid now has no way to the coker: fuel oil (35) and
    tables["products"][1]["max_sales_kbd"] = None  # no market limit, so that R1's 40 kb/d can be sold
    folder = write_instance(tmp_path / "plain", tables)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["solve", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "stream_purchases.csv").exists() and not (out / "stream_transfers.csv").exists()
    assert "stream_purchase_cost_kusd_per_day" not in pd.read_csv(out / "refineries.csv").columns
    assert "purchase_id" not in pd.read_csv(out / "constraints.csv").columns


# -- the self-check, on the tables as written -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(toy, solved):
    d = derive(read_instance(toy))
    objective = float(pd.read_csv(solved / "summary.csv")["objective_kusd_per_day"].iloc[0])
    return d, objective, read_back(solved, "csv")


def test_self_check_passes_on_the_written_trade_tables(written):
    from optimizer.results import self_check

    d, objective, tables = written
    assert {"stream_purchases", "stream_transfers"} <= set(tables)
    assert self_check(d, tables, objective) == []


def _corrupt(tables, name, column, row, value):
    tables = {key: frame.copy() for key, frame in tables.items()}
    tables[name].loc[row, column] = value
    return tables


CORRUPTIONS = {
    # R2's imported 5 kb/d written as 6: resid at R2 is made 40 + 15 + 6 = 61 kb/d, used 60 (the coker)
    "a purchase volume": (("stream_purchases", "volume_kbd", 1, 6.0),
                          "stream resid at R2: made 61.000000 kb/d, used 60.000000 kb/d"),
    # the 15 kb/d moved written as 14: R1 makes 40 and uses 25 (fuel oil) + 14 = 39
    "a transfer volume": (("stream_transfers", "volume_kbd", 0, 14.0),
                          "stream resid at R1: made 40.000000 kb/d, used 39.000000 kb/d"),
    "a purchase cost": (("stream_purchases", "cost_kusd_per_day", 1, 200.0),
                        "stream_purchases: cost of imported_resid at R2 is 200.000000 kUSD/d, 5.000000 kb/d x 45 $/bbl "
                        "is 225.000000"),
    "a refinery's purchase cost": (("refineries", "stream_purchase_cost_kusd_per_day", 1, 0.0),
                                   "refineries: stream_purchase_cost_kusd_per_day at R2 is 0.000000, prices x volumes "
                                   "give 225.000000"),
    "a refinery's transfer cost": (("refineries", "stream_transfer_cost_kusd_per_day", 1, 0.0),
                                   "refineries: stream_transfer_cost_kusd_per_day at R2 is 0.000000, prices x volumes "
                                   "give 15.000000"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_self_check_catches_a_corrupted_trade_table(written, case):
    from optimizer.results import self_check

    d, objective, tables = written
    (name, column, row, value), message = CORRUPTIONS[case]
    failures = self_check(d, _corrupt(tables, name, column, row, value), objective)
    assert message in failures, failures


def test_a_missing_trade_table_fails_the_self_check(written):
    from optimizer.results import self_check

    d, objective, tables = written
    failures = self_check(d, {k: v for k, v in tables.items() if k != "stream_transfers"}, objective)
    assert "the result table stream_transfers was not written" in failures


def test_a_corrupted_purchase_written_by_solve_exits_4(toy, tmp_path, monkeypatch):
    """The check runs on the files as written: a purchase volume written wrong stops the solve, nothing written."""
    import optimizer.result_files as result_files

    honest = result_files.csv_writer

    def corrupting(frame):
        if "purchase_id" in frame.columns and "stream_value_usd_per_bbl" in frame.columns:
            frame = frame.assign(volume_kbd=frame["volume_kbd"] + 1.0)
        return honest(frame)

    monkeypatch.setattr(result_files, "csv_writer", corrupting)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["solve", str(toy), "--out", str(out)])
    assert result.exit_code == 4, result.output
    assert "stream resid at R2: made 61.000000 kb/d, used 60.000000 kb/d" in result.output
    assert not out.exists()


def test_workbook_results_read_back_and_pass_the_self_check(toy, tmp_path):
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["solve", str(toy), "--out", str(out), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    tables = read_back(out, "xlsx")
    assert tables["stream_transfers"]["volume_kbd"].tolist() == pytest.approx([15.0])


# -- scenarios, compare, explain, sweep -------------------------------------------------------------------------------


def test_a_scenario_changes_the_trade_params_in_place(toy):
    """Without the cargo the line still fills and the coker has 5 kb/d spare: margin 3760 + 345 = 4105; resid at R2
    is worth 64 (the coker has room), so the line is worth 64 - 40 - 1 = 23. The same built model is re-used."""
    from optimizer.scenarios import resolve

    instance = read_instance(toy)
    solver = SlateSolver()
    base = solver.solve(derive(instance))
    case = solver.solve(derive(resolve(instance, "no_import")))
    assert base.objective_kusd_per_day == pytest.approx(4200.0)
    assert not case.rebuilt
    assert case.objective_kusd_per_day == pytest.approx(4105.0)
    assert case.duals["stream_transfer_capacity"]["r1_to_r2"] == pytest.approx(23.0)


def test_compare_bridge_adds_up_with_purchases(toy, solved, tmp_path):
    """Base against no_import: the margin falls by 95 = 4200 - 4105. R2 makes 4 kb/d less gasoline (0.8 x 5):
    product volumes -320; the cargo's 225 kUSD/d are no longer spent: stream purchase volumes +225 (its price did
    not move: prices 0); the line is the same: transfers 0. -320 + 225 = -95."""
    case = tmp_path / "no_import"
    result = CliRunner().invoke(main, ["solve", str(toy), "--scenario", "no_import", "--out", str(case)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["compare", str(solved), str(case), "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    bridge = pd.read_csv(tmp_path / "cmp" / "compare_bridge.csv")
    coast = bridge[bridge["refinery_id"] == "coast"].set_index("step")["amount_kusd_per_day"]
    assert list(coast.index) == ["base margin", "product prices", "product volumes", "crude prices and freight",
                                 "tariffs", "crude slate", "other crude costs", "stream purchase prices",
                                 "stream purchase volumes", "stream transfers", "operating cost", "case margin"]
    assert coast["base margin"] == pytest.approx(4200.0)
    assert coast["case margin"] == pytest.approx(4105.0)
    assert coast["product volumes"] == pytest.approx(-320.0)
    assert coast["stream purchase volumes"] == pytest.approx(225.0)
    assert coast["stream purchase prices"] == pytest.approx(0.0, abs=1e-9)
    assert coast["stream transfers"] == pytest.approx(0.0, abs=1e-9)
    for refinery, steps in bridge.groupby("refinery_id"):
        total = steps[steps["kind"] == "change"]["amount_kusd_per_day"].sum()
        margins = steps.set_index("step")["amount_kusd_per_day"]
        assert margins["base margin"] + total == pytest.approx(margins["case margin"], abs=0.005), refinery
    summary = pd.read_csv(tmp_path / "cmp" / "compare_summary.csv").set_index("metric")
    assert summary.at["stream purchase cost", "change"] == pytest.approx(-225.0)
    constraints = pd.read_csv(tmp_path / "cmp" / "compare_constraints.csv", keep_default_na=False)
    line = constraints[constraints["family"] == "stream_transfer_capacity"].iloc[0]
    assert (line["transfer_id"], line["limit"], line["marginal_value_unit"]) == (
        "r1_to_r2", "stream transfer r1_to_r2", "$/bbl")
    assert (float(line["base_marginal_value"]), float(line["case_marginal_value"])) == pytest.approx((4.0, 23.0))


def test_a_price_change_of_a_purchase_is_a_price_step(toy, solved, tmp_path):
    """The cargo at $47 instead of 45 (still bought: 64 - 47 > 0, and the line is still the better use): the same
    plan, 5 kb/d x $2 more: stream purchase prices -10, every other step 0."""
    case = tmp_path / "dearer"
    result = CliRunner().invoke(main, ["solve", str(toy), "--out", str(case), "--set",
                                       "stream_purchases.imported_resid.price_usd_per_bbl = 47"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["compare", str(solved), str(case), "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    bridge = pd.read_csv(tmp_path / "cmp" / "compare_bridge.csv")
    coast = bridge[(bridge["refinery_id"] == "coast") & (bridge["kind"] == "change")].set_index("step")
    assert coast.at["stream purchase prices", "amount_kusd_per_day"] == pytest.approx(-10.0)
    assert coast.drop(index="stream purchase prices")["amount_kusd_per_day"].abs().max() < 1e-6


def test_explain_names_the_trade_limits_in_plant_words(toy, tmp_path):
    result = CliRunner().invoke(main, ["explain", str(toy), "--out", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert ("The line for Vacuum resid (resid) sent from Sister plant (R1) to Coking plant (R2) (r1_to_r2) is full; "
            "one more kb/d is worth $4.00/bbl") in result.output
    table = pd.read_csv(tmp_path / "x" / "explanation.csv", keep_default_na=False)
    line = table[table["family"] == "stream_transfer_capacity"].iloc[0]
    assert line["input"] == "stream_transfers.csv row 2, column capacity_kbd"


def test_explain_traces_an_infeasible_contract_minimum_to_its_cell(toy, tmp_path):
    """take_or_pay: 100 kb/d of resid must be taken, but even with the crude units idle the resid can only go to
    the coker (60) and the fuel-oil market (35): 95 < 100. The conflict names the contract minimum, the coker and
    the market, each with its input cell and the override that set it. The cheapest way out, in percent of each
    limit: 5 kb/d off the minimum is 5 %, on the coker 8.3 %, on the market 14 %: lower the minimum to 95."""
    result = CliRunner().invoke(main, ["explain", str(toy), "--scenario", "take_or_pay", "--elastic",
                                       "--out", str(tmp_path / "x")])
    assert result.exit_code == 3, result.output
    assert ("at least 100 kb/d of Vacuum resid (resid) bought under imported_resid at any refinery must be taken: "
            "stream_purchases.csv row 2, column min_kbd = 100.0 [set by take_or_pay: "
            "stream_purchases.imported_resid.min_kbd = 100]") in result.output
    assert "the coker unit coker at Coking plant (R2) takes at most 60 kb/d" in result.output
    assert "coast sales of fuel_oil must be at most 35 kb/d" in result.output
    assert ("must be taken: lower it from 100 to 95.000 kb/d (by 5.000 kb/d) (stream_purchases.csv row 2, column "
            "min_kbd)") in result.output


def test_a_sweep_over_the_purchase_price(toy, tmp_path):
    """The cargo at $40: worth 24 a barrel, more than the line's 23, so it fills first (10 kb/d) and the line takes
    the coker's last 10: 3760 + 10 x 24 + 10 x 23 = 4230. At $50: the line first (15), the cargo 5 at 14: 3760 + 345
    + 70 = 4175. At $70 (more than the 64 it is worth): none, the coker 5 kb/d short: 4105."""
    out = tmp_path / "sweep"
    result = CliRunner().invoke(main, ["sweep", str(toy), "--vary",
                                       "stream_purchases.imported_resid.price_usd_per_bbl=40,50,70", "--out", str(out),
                                       "--no-plots"])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert summary["objective_kusd_per_day"].tolist() == pytest.approx([4230.0, 4175.0, 4105.0])


def test_validate_counts_the_trade_rows(toy):
    result = CliRunner().invoke(main, ["validate", str(toy)])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("  1 stream purchase, 1 stream transfer\n")


def test_derive_counts_the_trade_rows(toy):
    """The cargo names no refinery: it is offered where resid has a use, at both (fuel oil blends resid at R1 too,
    and R1 sends it on to R2's coker)."""
    instance = read_instance(toy)
    validate(instance)
    d = derive(instance)
    assert d.PURCHASE_BUYS == [("imported_resid", "R1"), ("imported_resid", "R2")]
    assert d.TRANSFERS == ["r1_to_r2"]
    assert ("R1", "resid") in d.BALANCES and ("R2", "resid") in d.BALANCES
