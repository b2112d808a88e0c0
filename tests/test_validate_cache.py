"""Checks reused from the base for scenarios that leave their tables as they are give what a full check gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.errors import Problem
from optimizer.instance import read_instance_collecting
from optimizer.scenarios import check_scenarios, resolve
from optimizer.validate import CHECKS, COLUMNS_READ, CheckCache, check_stream_flow, cross_check, load_instance

from .test_errors import MORE_CASES, TRADE_CASES

INSTANCES = Path(__file__).resolve().parents[1] / "instances"


def test_cached_checks_equal_full_checks_on_every_shipped_scenario():
    for name in ("toy_two_crudes", "textbook_refinery", "gulf_coast_2026"):
        instance = load_instance(INSTANCES / name)
        cache = CheckCache(instance)
        assert cross_check(instance, None, cache) == cross_check(instance)
        for scenario in instance.scenarios:
            resolved = resolve(instance, scenario)
            assert cross_check(resolved, None, cache) == cross_check(resolved), (name, scenario)


def test_a_scenario_that_breaks_a_table_is_checked_again(tmp_path):
    """The toy's heavy crude yields sum to 1; a scenario halving one cut must be caught although the base,
    checked first and cached, had no problem there."""
    source = INSTANCES / "toy_two_crudes"
    folder = tmp_path / "toy"
    folder.mkdir()
    for f in source.iterdir():
        if f.is_file():
            (folder / f.name).write_bytes(f.read_bytes())
    yields = (folder / "crude_yields.csv").read_text().splitlines()
    heavy = next(line for line in yields[1:] if line.startswith("heavy,"))
    stream = heavy.split(",")[1]
    toml = (folder / "instance.toml").read_text()
    toml += f'\n[scenarios.broken_yields]\ndescription = "half of a heavy cut"\n' \
            f'overrides = ["crude_yields.heavy/{stream}.yield_vol_frac *= 0.5"]\n'
    (folder / "instance.toml").write_text(toml)
    instance = load_instance(folder)
    _, problems = check_scenarios(instance, ["base", "broken_yields"])
    assert any("crude_yields summing to" in p.message for p in problems), problems
    assert all(isinstance(p, Problem) for p in problems)


def test_scenarios_share_untouched_tables_and_never_change_the_base():
    """Resolving and checking every flagship scenario copies a table only when a change writes to it: the base's
    tables stay cell for cell what was read (compared with an independent deep copy taken first), a scenario's
    untouched tables are the base's very frames, and the tables it changes are its own."""
    instance = load_instance(INSTANCES / "gulf_coast_2026")
    before = {name: frame.copy(deep=True) for name, frame in instance.tables.items()}
    check_scenarios(instance, list(instance.scenarios))
    for scenario in instance.scenarios:
        plain = resolve(instance, scenario)
        resolved = resolve(instance, scenario, ["crudes.wcs.differential_usd_per_bbl += 1"])
        assert resolved.tables["crudes"] is not instance.tables["crudes"]
        assert resolved.tables["crudes"].at["wcs", "differential_usd_per_bbl"] == \
            plain.tables["crudes"].at["wcs", "differential_usd_per_bbl"] + 1
        assert plain.tables["crudes"].drop(columns="differential_usd_per_bbl").equals(
            resolved.tables["crudes"].drop(columns="differential_usd_per_bbl"))
        touched = {text.split(".")[0].split("[")[0] for text in resolved.applied if ": " in text
                   for text in [text.split(": ", 1)[1]] if not text.startswith(("add policy", "drop policy"))}
        for name in set(instance.tables) - touched - {"crudes", "policies"}:
            assert resolved.tables[name] is instance.tables[name], (scenario, name)
    for name, frame in before.items():
        assert instance.tables[name].equals(frame), name


def _checks_with_only_their_columns(instance) -> None:
    """Each check with a COLUMNS_READ list finds the same problems when every other column of those tables is
    gone: a check reading a column left off its list would raise KeyError or find something else here."""
    for check, tables in COLUMNS_READ.items():
        if not all(instance.readable(t) for t in dict(CHECKS)[check]):
            continue
        narrow = instance.copy()
        for table, columns in tables.items():
            narrow.tables[table] = narrow.tables[table][list(columns)]
        assert list(check(narrow)) == list(check(instance)), (instance.name, check.__name__)


def test_column_lists_hold_on_shipped_instances():
    for name in ("toy_two_crudes", "textbook_refinery", "gulf_coast_2026"):
        instance = load_instance(INSTANCES / name)
        _checks_with_only_their_columns(instance)
        for scenario in instance.scenarios:
            _checks_with_only_their_columns(resolve(instance, scenario))


@pytest.mark.parametrize("case", list(TRADE_CASES) + ["a stream neither made nor used"])
def test_column_lists_hold_where_the_checks_find_problems(copy_instance, case):
    """The same on broken instances (the stream-trade and stream-flow defects of test_errors), where the checks
    take the paths that word a problem."""
    folder = copy_instance("toy_two_crudes")
    (TRADE_CASES.get(case) or MORE_CASES[case])[0](folder)
    instance, problems = read_instance_collecting(folder)
    assert instance is not None
    assert problems or cross_check(instance, None)  # the defect is there
    _checks_with_only_their_columns(instance)


def test_a_price_change_reuses_the_flow_checks_and_a_unit_type_change_does_not():
    """What COLUMNS_READ buys: a unit's operating cost changed leaves the flow checks' findings reusable; its
    unit type changed does not."""
    instance = load_instance(INSTANCES / "gulf_coast_2026")
    cache = CheckCache(instance)
    cross_check(instance, None, cache)
    dearer = resolve(instance, "base", ["units.motiva_port_arthur/coker.operating_cost_usd_per_bbl += 1"])
    reads = dict(CHECKS)[check_stream_flow]
    assert cache.reusable(dearer, check_stream_flow, reads) is not None
    retyped = dearer.copy()
    retyped.tables["units"].loc["motiva_port_arthur/coker", "unit_type"] = "fcc"
    assert cache.reusable(retyped, check_stream_flow, reads) is None
