"""Checks reused from the base for scenarios that leave their tables as they are give what a full check gives."""

from __future__ import annotations

from pathlib import Path

from optimizer.errors import Problem
from optimizer.scenarios import check_scenarios, resolve
from optimizer.validate import CheckCache, cross_check, load_instance

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
