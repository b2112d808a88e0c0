"""The toy instance's optimum, derived by hand in instances/toy_two_crudes/README.md."""

import pytest

from optimizer.data import derive
from optimizer.instance import read_instance
from optimizer.scenarios import resolve
from optimizer.solve import SlateSolver

from .conftest import INSTANCES

K = 171.5 / (1.5 * 151.5)  # light barrels needed per heavy barrel at the 2.0 wt% sulfur limit
HEAVY = 100 / (1 + K)
LIGHT = 100 * K / (1 + K)


@pytest.fixture(scope="module")
def toy():
    return read_instance(INSTANCES / "toy_two_crudes")


def test_hand_derived_slate_and_margin(toy):
    result = SlateSolver().solve(derive(toy))
    assert result.status == "optimal"
    assert result.values["Buy"][("refinery", "heavy")] == pytest.approx(HEAVY, rel=1e-7)
    assert result.values["Buy"][("refinery", "light")] == pytest.approx(LIGHT, rel=1e-7)
    assert result.objective_kusd_per_day == pytest.approx(9 * HEAVY + 4.5 * LIGHT + 20 * 40, rel=1e-9)


def test_hand_derived_marginal_values(toy):
    result = SlateSolver().solve(derive(toy))
    assert result.duals["crude_unit_capacity"]["refinery"] == pytest.approx(9 / (1 + K) + 4.5 * K / (1 + K), rel=1e-7)
    assert result.duals["unit_capacity"][("refinery", "coker")] == pytest.approx(20.0, rel=1e-9)


@pytest.mark.parametrize("scenario, margin", [
    ("no_coker", 9 * HEAVY + 4.5 * LIGHT),
    ("heavy_banned", 4.5 * 60 + 20 * 18),
])
def test_hand_derived_scenarios(toy, scenario, margin):
    result = SlateSolver().solve(derive(resolve(toy, scenario)))
    assert result.objective_kusd_per_day == pytest.approx(margin, rel=1e-9)
