"""Properties any correct margin model has, checked on random price changes (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.data import derive
from optimizer.instance import read_instance
from optimizer.scenarios import resolve
from optimizer.solve import SlateSolver

from .conftest import INSTANCES

TOY = read_instance(INSTANCES / "toy_two_crudes")
TEXTBOOK = read_instance(INSTANCES / "textbook_refinery")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
prices = st.floats(min_value=40, max_value=120, allow_nan=False)


def margin(instance, sets, scenario="base", solver=None):
    result = (solver or SlateSolver()).solve(derive(resolve(instance, scenario, sets)))
    assert result.status == "optimal"
    return result.objective_kusd_per_day


@SETTINGS
@given(light=prices, heavy=prices, rise=st.floats(min_value=0, max_value=30), crude=st.sampled_from(["light", "heavy"]))
def test_raising_a_crude_price_never_raises_the_margin(light, heavy, rise, crude):
    sets = [f"crudes.light.price_usd_per_bbl = {light}", f"crudes.heavy.price_usd_per_bbl = {heavy}"]
    before = margin(TOY, sets)
    after = margin(TOY, [*sets, f"crudes.{crude}.price_usd_per_bbl += {rise}"])
    assert after <= before + 1e-7 * max(1.0, abs(before))


@SETTINGS
@given(k=st.floats(min_value=0.1, max_value=10), instance=st.sampled_from([TOY, TEXTBOOK]))
def test_scaling_every_price_scales_the_margin(k, instance):
    rows = [f"crudes.{c}.price_usd_per_bbl *= {k}" for c in instance.tables["crudes"].index]
    rows += [f"products.{p}.price_usd_per_bbl *= {k}" for p in instance.tables["products"].index]
    assert margin(instance, rows) == pytest.approx(k * margin(instance, []), rel=1e-7, abs=1e-9)


@SETTINGS
@given(light=prices, heavy=prices, gasoline=st.floats(min_value=60, max_value=140))
def test_dropping_a_ban_never_lowers_the_margin(light, heavy, gasoline):
    sets = [f"crudes.light.price_usd_per_bbl = {light}", f"crudes.heavy.price_usd_per_bbl = {heavy}",
            f"products.gasoline.price_usd_per_bbl = {gasoline}"]
    banned = margin(TOY, sets, "heavy_banned")
    assert margin(TOY, sets) >= banned - 1e-7 * max(1.0, abs(banned))


SHARED = SlateSolver()


@SETTINGS
@given(light=prices, heavy=prices, coker=st.floats(min_value=0, max_value=80))
def test_updating_in_place_equals_building_afresh(light, heavy, coker):
    sets = [f"crudes.light.price_usd_per_bbl = {light}", f"crudes.heavy.price_usd_per_bbl = {heavy}",
            f"units.refinery/coker.capacity_kbd = {coker}"]
    hot = SHARED.solve(derive(resolve(TOY, "base", sets)))
    cold = SlateSolver().solve(derive(resolve(TOY, "base", sets)))
    assert hot.objective_kusd_per_day == pytest.approx(cold.objective_kusd_per_day, rel=1e-9, abs=1e-9)
