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
