"""The cell-path syntax shared by scenarios, --set and sweeps."""

from __future__ import annotations

import pytest

from optimizer.errors import InstanceError, UsageError
from optimizer.instance import read_instance
from optimizer.scenarios import resolve

from .conftest import INSTANCES


@pytest.fixture(scope="module")
def toy():
    return read_instance(INSTANCES / "toy_two_crudes")


def test_set_shift_scale_on_one_row(toy):
    changed = resolve(toy, sets=["crudes.heavy.price_usd_per_bbl = 70", "crudes.light.price_usd_per_bbl += 1.5",
                                 "units.refinery/coker.capacity_kbd *= 0.5"])
    assert changed.tables["crudes"].at["heavy", "price_usd_per_bbl"] == 70
    assert changed.tables["crudes"].at["light", "price_usd_per_bbl"] == 81.5
    assert changed.tables["units"].at["refinery/coker", "capacity_kbd"] == 20
    assert toy.tables["crudes"].at["heavy", "price_usd_per_bbl"] == 65  # the base instance is untouched


def test_filter_matches_every_row(toy):
    changed = resolve(toy, sets=["crudes[origin=Beta].price_usd_per_bbl*=2", "crude_yields[crude_id=light].yield_vol_frac*=1"])
    assert changed.tables["crudes"].at["heavy", "price_usd_per_bbl"] == 130
    assert changed.tables["crudes"].at["light", "price_usd_per_bbl"] == 80


def test_setting_an_empty_cell_and_shifting_one(toy):
    changed = resolve(toy, sets=["crudes.heavy.availability_kbd = 50"])
    assert changed.tables["crudes"].at["heavy", "availability_kbd"] == 50
    with pytest.raises(InstanceError, match="shifts or scales an empty cell"):
        resolve(toy, sets=["crudes.heavy.availability_kbd += 5"])


@pytest.mark.parametrize("text, message", [
    ("crudes.heavy", "is not an override"),
    ("nothing.heavy.x = 1", "names no table with numbers: 'nothing'"),
    ("crudes[colour=red].price_usd_per_bbl = 1", "filters on a column crudes does not have: 'colour'"),
    ("crudes.heavy.price_usd_per_bbl = cheap", "has no number after '='"),
    ("crudes.heavy.price_usd_per_bbl = -5", "below its lowest allowed value 0"),
    ("crudes[origin=Gamma].price_usd_per_bbl = 5", "points at no row of crudes"),
])
def test_bad_paths(toy, text, message):
    with pytest.raises(InstanceError, match=message.replace("[", r"\[").replace("(", r"\(")):
        resolve(toy, sets=[text])


def test_scenarios_extend_and_add_policies(copy_instance):
    folder = copy_instance("toy_two_crudes")
    with open(folder / "instance.toml", "a") as stream:
        stream.write('\n[scenarios.banned_and_cheap]\ndescription = "x"\nextends = "heavy_banned"\n'
                     'overrides = ["crudes.light.price_usd_per_bbl -= 1"]\n')
    toy = read_instance(folder)
    with pytest.raises(InstanceError, match="is not an override"):
        resolve(toy, "banned_and_cheap")
    with pytest.raises(UsageError):
        resolve(toy, "missing")
    child = resolve(read_instance(INSTANCES / "toy_two_crudes"), "heavy_banned")
    assert list(child.tables["policies"].index) == ["ban_heavy"]
    assert child.applied == ["heavy_banned: add policy ban_heavy"]


def test_extends_applies_the_parent_first_then_the_child(copy_instance):
    """Hand-derived (toy README): with heavy banned only light runs, at most 60 kb/d, earning
    0.7 x 95 + 0.3 x 60 - price per barrel with its residue sold as fuel oil, plus 20 $/bbl for each barrel of
    residue the coker (40 kb/d) upgrades. Light at 75 $/bbl (child): 9.5 $/bbl x 60 + 20 x 0.3 x 60 = 930 kUSD/d.
    80 kb/d of light on offer too (grandchild): 9.5 x 80 + 20 x 24 = 1,240 kUSD/d (sulfur 0.5 wt% < 2, residue
    24 kb/d < 40, crude run 80 < 100 kb/d)."""
    from optimizer.data import derive
    from optimizer.solve import SlateSolver

    folder = copy_instance("toy_two_crudes")
    with open(folder / "instance.toml", "a") as stream:
        stream.write('\n[scenarios.cheap_light]\ndescription = "x"\nextends = "heavy_banned"\n'
                     'overrides = ["crudes.light.price_usd_per_bbl += -5"]\n'
                     '[scenarios.more_light]\ndescription = "y"\nextends = "cheap_light"\n'
                     'overrides = ["crudes.light.availability_kbd = 80"]\n')
    toy = read_instance(folder)
    grandchild = resolve(toy, "more_light")
    assert grandchild.applied == ["heavy_banned: add policy ban_heavy", "cheap_light: crudes.light.price_usd_per_bbl += -5",
                                  "more_light: crudes.light.availability_kbd = 80"]
    solver = SlateSolver()
    for scenario, margin, light in (("cheap_light", 9.5 * 60 + 20 * 0.3 * 60, 60), ("more_light", 9.5 * 80 + 20 * 24, 80)):
        result = solver.solve(derive(resolve(toy, scenario)))
        assert result.objective_kusd_per_day == pytest.approx(margin, rel=1e-9)
        assert result.values["Buy"][("refinery", "light")] == pytest.approx(light, rel=1e-9)
        assert result.values["Buy"][("refinery", "heavy")] == pytest.approx(0.0, abs=1e-9)
