"""`crudeslate compare`: tables against hand-derived toy numbers, the bridge's closure, refusals and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.compare import BINDING_SLACK_TOL, BRIDGE_STEPS, SUMMARY_WIDTH, compare_cases, summary_lines
from optimizer.result_files import ID_COLUMNS, load_results
from optimizer.solve import SOLVER_FEASIBILITY_TOL

from .conftest import INSTANCES

TOY = str(INSTANCES / "toy_two_crudes")
FLAGSHIP = str(INSTANCES / "gulf_coast_2026")
COMPARE_TABLES = {"compare_summary", "compare_refineries", "compare_bridge", "compare_slate", "compare_origins",
                  "compare_units", "compare_products", "compare_constraints"}
# From instances/toy_two_crudes/README.md: base H = 56.9906, L = 43.0094 kb/d, margin 1,506.458 kUSD/d;
# heavy_banned L = 60 kb/d, residue 18 kb/d all coked, margin 630 kUSD/d.
H, L = 100 / (1 + 171.5 / (1.5 * 151.5)), 100 - 100 / (1 + 171.5 / (1.5 * 151.5))
TOY_MARGIN, BANNED_MARGIN = 9 * H + 4.5 * L + 20 * 40, 630.0


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    result = run("solve", TOY, "--all-scenarios", "--out", str(root))
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def toy_compared(toy, tmp_path_factory):
    out = tmp_path_factory.mktemp("compared") / "cmp"
    result = run("compare", str(toy / "base"), str(toy / "heavy_banned"), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out, result.output


def table(folder, name: str) -> pd.DataFrame:
    frame = pd.read_csv(folder / f"{name}.csv", dtype={c: str for c in ID_COLUMNS})
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].fillna("")
    return frame


def test_writes_every_table_and_a_manifest(toy_compared):
    out, _ = toy_compared
    assert {p.stem for p in out.glob("*.csv")} == COMPARE_TABLES
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["base"]["scenario"] == "base" and meta["case"]["scenario"] == "heavy_banned"
    assert meta["base"]["input_sha256"] == meta["case"]["input_sha256"]
    for name in COMPARE_TABLES:
        frame = table(out, name)
        assert list(frame.columns[:2]) == ["base_scenario", "case_scenario"]
        assert set(frame["base_scenario"]) == {"base"} and set(frame["case_scenario"]) == {"heavy_banned"}


def test_slate_and_origin_changes_match_the_hand_derivation(toy_compared):
    out, _ = toy_compared
    slate = table(out, "compare_slate").set_index(["refinery_id", "crude_id"])
    assert slate.loc[("refinery", "heavy"), "base_volume_kbd"] == pytest.approx(H, abs=1e-6)
    assert slate.loc[("refinery", "heavy"), "volume_change_kbd"] == pytest.approx(-H, abs=1e-6)
    assert slate.loc[("refinery", "light"), "volume_change_kbd"] == pytest.approx(60 - L, abs=1e-6)
    assert slate.loc[("coast", "light"), "case_share_of_run_pct"] == pytest.approx(100.0)
    origins = table(out, "compare_origins").set_index(["refinery_id", "origin"])
    assert origins.loc[("coast", "Beta"), "volume_change_kbd"] == pytest.approx(-H, abs=1e-6)
    assert origins.loc[("coast", "Alpha"), "case_volume_kbd"] == pytest.approx(60.0, abs=1e-6)


def test_units_products_and_margin(toy_compared):
    out, _ = toy_compared
    units = table(out, "compare_units").iloc[0]
    assert (units["base_utilization_pct"], units["case_utilization_pct"]) == pytest.approx((100.0, 45.0))
    assert units["utilization_change_pp"] == pytest.approx(-55.0)
    assert units["marginal_value_change_usd_per_bbl"] == pytest.approx(-20.0, abs=1e-6)
    products = table(out, "compare_products").set_index(["refinery_id", "product_id"])
    assert products.loc[("coast", "gasoline"), "case_volume_kbd"] == pytest.approx(0.7 * 60 + 0.8 * 18)
    assert products.loc[("coast", "coke"), "case_volume_kbd"] == pytest.approx(0.2 * 18)
    refineries = table(out, "compare_refineries").set_index("refinery_id")
    assert refineries.loc["coast", "margin_change_kusd_per_day"] == pytest.approx(BANNED_MARGIN - TOY_MARGIN,
                                                                                  abs=1e-6)
    assert refineries.loc["coast", "case_margin_usd_per_bbl"] == pytest.approx(10.5)


def test_bridge_steps_add_up_and_split_volume_from_price(toy_compared):
    out, _ = toy_compared
    bridge = table(out, "compare_bridge")
    coast = bridge[bridge["refinery_id"] == "coast"].set_index("step")["amount_kusd_per_day"]
    assert list(coast.index) == list(BRIDGE_STEPS)
    assert coast["base margin"] + coast.drop(["base margin", "case margin"]).sum() == pytest.approx(
        coast["case margin"], abs=1e-6)
    # Same prices in both cases: the change is all volume. Products lost at base prices, crude saved at base cost.
    assert coast["product prices"] == coast["crude prices and freight"] == coast["tariffs"] == 0
    revenue_lost = (0.7 * 60 + 0.8 * 18 - (0.4 * H + 0.7 * L + 0.8 * 40)) * 95 - (0.6 * H + 0.3 * L - 40) * 60 \
        + (0.2 * 18 - 0.2 * 40) * 20
    assert coast["product volumes"] == pytest.approx(revenue_lost, abs=1e-6)
    assert coast["crude slate"] == pytest.approx(-((60 - L) * 80 - H * 65), abs=1e-6)


def test_binding_changes_and_marginal_values(toy_compared):
    out, _ = toy_compared
    rows = table(out, "compare_constraints")
    by = {(r.family, r.crude_id or r.unit_id or r.rule_id or r.refinery_id): r for r in rows.itertuples()}
    assert by[("policy_cap", "ban_heavy")].binding_change == "added, binding"  # a rule only the case has
    assert by[("policy_cap", "ban_heavy")].presence == "case only"
    assert by[("policy_cap", "ban_heavy")].limit == "ban ban_heavy"
    assert by[("crude_availability", "light")].binding_change == "became binding"
    assert by[("crude_availability", "light")].limit == "light on offer"
    assert by[("unit_capacity", "coker")].binding_change == "stopped binding"
    assert by[("unit_capacity", "coker")].limit == "coker capacity at refinery"
    assert by[("unit_capacity", "coker")].base_dual == pytest.approx(20.0)
    assert by[("unit_capacity", "coker")].base_marginal_value == pytest.approx(20.0)  # kb/d rows: $/bbl as is
    assert by[("unit_capacity", "coker")].marginal_value_unit == "$/bbl"
    assert by[("crude_unit_capacity", "refinery")].base_dual == pytest.approx(7.0646, abs=1e-4)
    assert by[("stream_balance", "refinery")].binding_change == ""  # equalities never "become binding"


def test_a_rule_the_case_drops_is_lifted_not_stopped(toy, tmp_path):
    result = run("compare", str(toy / "heavy_banned"), str(toy / "base"), "--out", str(tmp_path / "cmp"))
    assert result.exit_code == 0, result.output
    rows = table(tmp_path / "cmp", "compare_constraints")
    ban = rows[rows["rule_id"] == "ban_heavy"].iloc[0]
    assert (ban["presence"], ban["binding_change"]) == ("base only", "removed, was binding")
    assert [line for line in result.output.splitlines() if line.startswith("  rules lifted: ban ban_heavy (")]


KEYS = ["family", "refinery_id", "crude_id", "unit_id", "stream_id", "product_id", "ref_product_id", "quality_id",
        "tier", "link_id", "rule_id"]


def test_degenerate_marginal_values_are_carried_and_not_quoted(toy_compared, toy):
    """dual_unique comes from each side's constraints.csv; the summary does not quote a value that is not one."""
    out, output = toy_compared
    rows = table(out, "compare_constraints")
    for side, folder in (("base", toy / "base"), ("case", toy / "heavy_banned")):
        own = table(folder, "constraints").set_index(KEYS)["dual_unique"]
        for row in rows.to_dict("records"):
            key = tuple(row[k] for k in KEYS)
            expected = own[key] if key in own.index else ""
            assert str(row[f"{side}_dual_unique"]) == str(expected), (side, key)
    case = table(toy / "heavy_banned", "constraints")
    unique = str(case.loc[case["rule_id"] == "ban_heavy", "dual_unique"].iloc[0])
    dual = float(case.loc[case["rule_id"] == "ban_heavy", "dual"].iloc[0])
    quoted = "(value not unique)" if unique == "False" else f"{abs(dual):,.2f} $/bbl"
    assert f"  rules added: ban ban_heavy {quoted}" in output.splitlines()


def _resolve_margin(tmp_path, instance: str, name: str, override: str) -> float:
    out = tmp_path / name
    result = run("solve", instance, "--set", override, "--out", str(out))
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text())["objective_kusd_per_day"]


# constraint family -> the cell path of its limit
LIMIT_CELL = {
    "crude_unit_capacity": lambda r: f"refineries.{r.refinery_id}.crude_capacity_kbd",
    "unit_capacity": lambda r: f"units.{r.refinery_id}/{r.unit_id}.capacity_kbd",
    "crude_availability": lambda r: f"crudes.{r.crude_id}.availability_kbd",
    "slate_sulfur_max": lambda r: f"refineries.{r.refinery_id}.sulfur_max_wt_pct",
    "slate_api_max": lambda r: f"refineries.{r.refinery_id}.api_max_deg",
    "slate_api_min": lambda r: f"refineries.{r.refinery_id}.api_min_deg",
    "blend_spec_min": lambda r: f"blend_specs.{r.product_id}/{r.quality_id}.min_value",
    "product_ratio_min": lambda r: f"product_ratios.{r.product_id}/{r.ref_product_id}.min_ratio",
    "product_sales": lambda r: f"products.{r.product_id}.min_sales_kbd",
}


def check_marginal_values_by_resolving(results_dir, instance: str, tmp_path, scenario: str = "base",
                                       families: tuple[str, ...] = tuple(LIMIT_CELL), most: int = 10) -> int:
    """Each binding limit's marginal value, in the unit the report quotes it in ($/bbl, kUSD/d per wt% sulfur or
    per degree API, per 1% of a blend spec, per unit of ratio), against a second solve with that limit relaxed a
    little: the margin gained must be the value times the step (a second formulation: the model re-solved)."""
    from optimizer.html_report import binding_rows

    base = load_results(results_dir)
    checked = 0
    for r in binding_rows(base).itertuples():
        if r.family not in families or r.dual_unique is False or checked >= most:
            continue
        relax_down = r.family.endswith("_min") or (r.family == "product_sales" and r.at == "lower")
        if r.family == "blend_spec_min":
            level = float(base.tables["products"].set_index(["refinery_id", "product_id"]).loc[
                (r.refinery_id, r.product_id), f"{r.quality_id}_min"])
            step = 1e-4 * abs(level)
            expected = r.marginal_value / (0.01 * abs(level)) * step  # the value is per 1% of the spec
        else:
            step = 1e-4
            expected = r.marginal_value * step
        args = ["solve", instance, "--scenario", scenario, "--set",
                f"{LIMIT_CELL[r.family](r)} += {-step if relax_down else step!r}", "--out", str(tmp_path / str(checked))]
        result = run(*args)
        assert result.exit_code == 0, result.output
        margin = json.loads((tmp_path / str(checked) / "manifest.json").read_text())["objective_kusd_per_day"]
        gained = margin - base.objective_kusd_per_day
        assert gained == pytest.approx(expected, rel=2e-3, abs=1e-8), (r.limit, r.marginal_value, r.marginal_value_unit)
        checked += 1
    return checked


@pytest.mark.parametrize("instance", ["toy_two_crudes", "textbook_refinery"])
def test_marginal_values_in_plant_units_match_a_resolve(instance, tmp_path):
    assert run("solve", str(INSTANCES / instance), "--out", str(tmp_path / "base")).exit_code == 0
    assert check_marginal_values_by_resolving(tmp_path / "base", str(INSTANCES / instance), tmp_path) >= 3


def test_binding_tolerance_is_tied_to_the_solver():
    assert BINDING_SLACK_TOL == pytest.approx(10 * SOLVER_FEASIBILITY_TOL)


def test_ten_second_summary(toy_compared):
    """Headline first (origins, margin in $M/d, the largest utilisation move), then short detail lines; every figure
    from the hand derivation in instances/toy_two_crudes/README.md."""
    _, output = toy_compared
    lines = output.splitlines()
    assert lines[0] == "heavy_banned against base (toy_two_crudes)"
    alpha, beta = 60 - L, -H
    margin = (BANNED_MARGIN - TOY_MARGIN) / 1000
    assert lines[1] == (f"  {alpha:+.0f} kb/d Alpha, {beta:+.0f} Beta; coast margin -${abs(margin):.2f} M/d; coker at "
                        "refinery 100% -> 45%")
    assert f"  margin {TOY_MARGIN:,.1f} -> {BANNED_MARGIN:,.1f} kUSD/d: product volumes -3,221.6, crude slate +2,345.1" \
        in lines
    assert f"  grades: {alpha:+.0f} kb/d light, {beta:+.0f} heavy" in lines
    assert "  units: crude unit at refinery 100% -> 60%" in lines
    assert "  now binding: light on offer 10.50 $/bbl" in lines
    assert lines[-1].startswith("tables written to ")
    assert len(lines) <= 11
    assert all(len(line) <= SUMMARY_WIDTH + 2 for line in lines[2:-1]), [len(x) for x in lines]


def test_the_same_folder_twice_is_refused(toy):
    result = run("compare", str(toy / "base"), str(toy / "base"))
    assert result.exit_code == 1
    assert result.output == (f"error: {toy / 'base'} is given as both cases; give two different result folders "
                             "(the base first, then the case).\n")


def test_two_identical_solves_say_nothing_moved(toy, tmp_path):
    assert run("solve", TOY, "--out", str(tmp_path / "again")).exit_code == 0
    result = run("compare", str(toy / "base"), str(tmp_path / "again"), "--out", str(tmp_path / "cmp"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "  same crude origins; coast margin unchanged; no unit's utilisation moved by half a point"
    assert "  grades: no change" in lines
    assert "  refineries: crude run unchanged at 100 kb/d" in lines  # the toy's crude unit is full (its README)


def test_a_price_change_shows_as_price_not_volume(toy, tmp_path):
    """Gasoline +1 $/bbl leaves the plan alone: the whole change is the price step, gasoline volume x 1."""
    result = run("solve", TOY, "--set", "products.gasoline.price_usd_per_bbl += 1", "--out", str(tmp_path / "dear"))
    assert result.exit_code == 0, result.output
    cmp = compare_cases(load_results(toy / "base"), load_results(tmp_path / "dear"))
    assert (cmp.base_label, cmp.case_label) == ("base", "dear")  # same scenario: the folders name them
    bridge = cmp.tables["compare_bridge"]
    steps = bridge[bridge["refinery_id"] == "coast"].set_index("step")["amount_kusd_per_day"]
    gasoline = 0.4 * H + 0.7 * L + 0.8 * 40
    assert steps["product prices"] == pytest.approx(gasoline, abs=1e-6)
    assert steps.drop(["base margin", "case margin", "product prices"]).abs().max() < 1e-6


def test_edited_inputs_are_named_in_a_warning(copy_instance, tmp_path):
    inst = copy_instance("toy_two_crudes")
    assert run("solve", str(inst), "--out", str(tmp_path / "before")).exit_code == 0
    prices = inst / "products.csv"
    prices.write_text(prices.read_text().replace("gasoline,Gasoline,95", "gasoline,Gasoline,96"))
    assert run("solve", str(inst), "--out", str(tmp_path / "after")).exit_code == 0
    result = run("compare", str(tmp_path / "before"), str(tmp_path / "after"), "--out", str(tmp_path / "cmp"))
    assert result.exit_code == 0, result.output
    assert ("  warning: the instance's input files changed between the two solves (products.csv): part of the "
            "difference comes from those edits, not from the scenarios.") in result.output.splitlines()


def test_refuses_results_of_different_instances(toy, tmp_path):
    assert run("solve", str(INSTANCES / "textbook_refinery"), "--out", str(tmp_path / "tb")).exit_code == 0
    result = run("compare", str(toy / "base"), str(tmp_path / "tb"))
    assert result.exit_code == 1
    assert result.output == (f"error: {toy / 'base'} and {tmp_path / 'tb'} are results of different instances "
                             "(toy_two_crudes and textbook_refinery); compare two cases of the same instance.\n")


@pytest.mark.parametrize("which, message", [
    ("root", "holds the results of 3 scenarios (base, heavy_banned, no_coker); give one of them, e.g. "),
    ("missing", "no such folder. Give a folder written by `crudeslate solve`."),
    ("summary", "is a file. Give the folder `crudeslate solve` wrote (it holds manifest.json)."),
])
def test_refuses_what_is_not_one_result_folder(toy, which, message):
    path = {"root": toy, "missing": toy / "nowhere", "summary": toy / "summary.csv"}[which]
    result = run("compare", str(path), str(toy / "base"))
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {path}: {message}")


def test_refuses_a_comparison_folder(toy_compared, toy):
    out, _ = toy_compared
    result = run("compare", str(out), str(toy / "base"))
    assert result.exit_code == 1
    assert result.output == (f"error: {out}: is a comparison written by `crudeslate compare`; give folders written "
                             "by `crudeslate solve`.\n")


def test_refuses_a_case_without_an_optimum(toy, tmp_path):
    bad = tmp_path / "bad"
    assert run("solve", str(INSTANCES / "infeasible_min_run"), "--out", str(bad)).exit_code == 3
    result = run("compare", str(bad), str(toy / "base"))
    assert result.exit_code == 1
    assert "has no optimal plan (status infeasible); there is no slate to compare or report." in result.output


def test_usage_errors_exit_2(toy):
    assert run("compare", str(toy / "base")).exit_code == 2
    assert run("compare", str(toy / "base"), str(toy / "no_coker"), "--format", "pdf").exit_code == 2


def test_default_folder_and_atomic_replacement(toy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("compare", str(toy / "base"), str(toy / "no_coker")).exit_code == 0
    out = tmp_path / "results" / "toy_two_crudes" / "compare-base-vs-no_coker"
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert run("compare", str(toy / "base"), str(toy / "no_coker")).exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # replaced whole, same bytes (deterministic)
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_xlsx_results_compare_like_csv_results(toy, tmp_path):
    assert run("solve", TOY, "--scenario", "heavy_banned", "--format", "xlsx", "--out",
               str(tmp_path / "x")).exit_code == 0
    from_csv = compare_cases(load_results(toy / "base"), load_results(toy / "heavy_banned"))
    from_xlsx = compare_cases(load_results(toy / "base"), load_results(tmp_path / "x"))
    assert from_xlsx.case_label == "heavy_banned"
    for name, frame in from_csv.tables.items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), from_xlsx.tables[name].reset_index(drop=True),
                                      check_dtype=False, rtol=1e-9)


def test_flagship_sanctions_against_open(tmp_path):
    """The comparison the project exists for; its tables must close on themselves."""
    result = run("solve", FLAGSHIP, "--scenario", "sanctions_2025", "--scenario", "open_venezuela",
                 "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    base, case = load_results(tmp_path / "sanctions_2025"), load_results(tmp_path / "open_venezuela")
    cmp = compare_cases(base, case)
    lines = summary_lines(cmp)
    assert lines[0] == "open_venezuela against sanctions_2025 (gulf_coast_2026)"
    t = cmp.tables
    bridge = t["compare_bridge"]
    for refinery, steps in bridge.groupby("refinery_id"):
        s = steps.set_index("step")["amount_kusd_per_day"]
        assert s["base margin"] + s.drop(["base margin", "case margin"]).sum() == pytest.approx(
            s["case margin"], abs=1e-6 * max(1.0, abs(s["case margin"]))), refinery
    coast = t["compare_refineries"].set_index("refinery_id").loc["coast"]
    assert coast["base_margin_kusd_per_day"] == pytest.approx(base.objective_kusd_per_day, rel=1e-9)
    assert coast["case_margin_kusd_per_day"] == pytest.approx(case.objective_kusd_per_day, rel=1e-9)
    origins = t["compare_origins"]
    venezuela = origins[(origins["refinery_id"] == "coast") & (origins["origin"] == "Venezuela")].iloc[0]
    slate = case.tables["slate"]
    assert venezuela["case_volume_kbd"] == pytest.approx(slate.loc[slate["origin"] == "Venezuela", "volume_kbd"].sum())
    per_refinery = origins[origins["refinery_id"] != "coast"].groupby("origin")["volume_change_kbd"].sum()
    coast_rows = origins[origins["refinery_id"] == "coast"].set_index("origin")["volume_change_kbd"]
    pd.testing.assert_series_equal(per_refinery.sort_index(), coast_rows.sort_index(), check_names=False,
                                   atol=1e-6)
    check_flagship_summary(lines, tmp_path / "sanctions_2025", tmp_path / "open_venezuela")
    check_quoted_values_are_unique(lines, t["compare_constraints"])
    # the API limits' marginal value (kUSD/d per degree API, through d SG / d API) against a re-solve
    assert check_marginal_values_by_resolving(tmp_path / "open_venezuela", FLAGSHIP, tmp_path / "api",
                                              scenario="open_venezuela",
                                              families=("slate_api_max", "slate_api_min"), most=1) == 1


def _kbd(x: float) -> str:
    return f"{x:+,.0f}" if abs(x) >= 9.95 else f"{x:+,.1f}"


def check_flagship_summary(lines: list[str], base: Path, case: Path) -> None:
    """The headline recomputed from the solve's CSVs alone: the three largest origin moves (gains first), the coast
    margin change in $M/d, the largest utilisation move of any crude or process unit; the refineries that start."""
    slates = {side: pd.read_csv(folder / "slate.csv").groupby("origin")["volume_kbd"].sum()
              for side, folder in (("base", base), ("case", case))}
    change = slates["case"].sub(slates["base"], fill_value=0.0)
    top = sorted(((o, x) for o, x in change.items() if abs(x) >= 0.05), key=lambda p: (-abs(p[1]), p[0]))[:3]
    top.sort(key=lambda p: (p[1] < 0, -abs(p[1]), p[0]))
    origins = ", ".join(f"{_kbd(x)}{' kb/d' if i == 0 else ''} {o}" for i, (o, x) in enumerate(top))
    margins = [pd.read_csv(f / "summary.csv")["objective_kusd_per_day"].iloc[0] for f in (base, case)]
    money = (margins[1] - margins[0]) / 1000
    util = {}
    for side, folder in (("base", base), ("case", case)):
        refineries = pd.read_csv(folder / "refineries.csv")
        for r in refineries.itertuples():
            util.setdefault((r.refinery_id, "crude unit"), {})[side] = 100 * r.crude_run_kbd / r.crude_capacity_kbd
        for u in pd.read_csv(folder / "units.csv").fillna({"utilization_pct": 0.0}).itertuples():
            util.setdefault((u.refinery_id, u.unit_id), {})[side] = u.utilization_pct
    moves = sorted(((k, v.get("base", 0.0), v.get("case", 0.0)) for k, v in util.items()),
                   key=lambda m: (-abs(m[2] - m[1]), m[0][0], m[0][1]))
    (refinery, unit), was, now = moves[0]
    sign = "+" if money >= 0 else "-"
    money_text = f"{sign}${abs(money):,.1f} M/d" if abs(money) >= 0.995 else f"{sign}${abs(money):,.2f} M/d"
    assert lines[1] == f"{origins}; coast margin {money_text}; {unit} at {refinery} {was:.0f}% -> {now:.0f}%"
    started = sorted(set(pd.read_csv(case / "refineries.csv").query("crude_run_kbd > 1e-9")["refinery_id"])
                     - set(pd.read_csv(base / "refineries.csv").query("crude_run_kbd > 1e-9")["refinery_id"]))
    refineries_line = next(line for line in lines if line.startswith("refineries: "))
    for name in started[:2]:
        assert name in refineries_line
    assert all(len(line) <= SUMMARY_WIDTH for line in lines[2:] if not line.startswith("warning: "))
    assert len(lines) <= 10


def check_quoted_values_are_unique(lines: list[str], constraints: pd.DataFrame) -> None:
    """A limit named in the summary with a number has a unique marginal value on that side; one whose value is not
    unique is named with 'value not unique' instead."""
    text = "\n".join(lines)
    for side, kinds in (("case", ("became binding", "added, binding")),
                        ("base", ("stopped binding", "removed, was binding"))):
        rows = constraints[constraints["binding_change"].isin(kinds)]
        for row in rows.to_dict("records"):
            if f"{row['limit']} " not in text:
                continue
            after = text.split(f"{row['limit']} ", 1)[1]
            if row[f"{side}_dual_unique"] is False:
                assert after.startswith("(value not unique)") or after.startswith("value not unique"), row["limit"]
            else:
                assert "value not unique" not in after.split(",")[0], row["limit"]


@pytest.mark.parametrize("side", ["base", "heavy_banned"])
def test_compare_never_writes_over_a_folder_it_reads(toy, side):
    """Both inputs were written by crudeslate, so only the protection of inputs keeps --out from replacing one."""
    before = sorted(p.name for p in (toy / side).iterdir())
    result = run("compare", str(toy / "base"), str(toy / "heavy_banned"), "--out", str(toy / side))
    folder = (toy / side).resolve()
    assert result.exit_code == 2
    assert result.output == (f"error: results folder {folder}: is the compared results folder {folder}; output is "
                             f"never written into or over the compared results it reads. Fix: give an output folder "
                             f"outside {folder}, e.g. results/{side}.\n")
    assert sorted(p.name for p in (toy / side).iterdir()) == before
