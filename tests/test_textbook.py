"""The classic refinery LP, reproduced from its published solution.

H. P. Williams, Model Building in Mathematical Programming, 5th ed. (Wiley, 2013), problem 12.6
"Refinery optimisation", solution in part 4: profit 211,365.13 per day with 15,000 bbl/day of crude 1,
30,000 of crude 2, premium petrol 6,817.78, regular petrol 17,044.44, jet fuel 15,156, fuel oil 0 and
lube oil 500 bbl/day. The instance states the textbook in kb/d, so every figure reads /1000.
"""

import pytest

from optimizer.data import derive
from optimizer.instance import read_instance
from optimizer.scenarios import resolve
from optimizer.solve import SlateSolver
from optimizer.validate import validate

from .conftest import INSTANCES


@pytest.fixture(scope="module")
def textbook():
    instance = read_instance(INSTANCES / "textbook_refinery")
    validate(instance)
    return instance


def test_published_optimum(textbook):
    result = SlateSolver().solve(derive(textbook))
    assert result.status == "optimal"
    assert result.objective_kusd_per_day == pytest.approx(211.36513, abs=1e-5)
    buy = result.values["Buy"]
    assert buy[("refinery", "crude1")] == pytest.approx(15.0, abs=1e-6)
    assert buy[("refinery", "crude2")] == pytest.approx(30.0, abs=1e-6)
    sell = result.values["Sell"]
    assert sell[("refinery", "premium_petrol")] == pytest.approx(6.81778, abs=1e-5)
    assert sell[("refinery", "regular_petrol")] == pytest.approx(17.04444, abs=1e-5)
    assert sell[("refinery", "jet_fuel")] == pytest.approx(15.156, abs=1e-6)
    assert sell[("refinery", "fuel_oil")] == pytest.approx(0.0, abs=1e-7)
    assert sell[("refinery", "lube_oil")] == pytest.approx(0.5, abs=1e-7)


def test_cracker_dual_matches_a_resolve(textbook):
    """The cracker's marginal value equals the margin gained by one more kb/d of cracking (a re-solve)."""
    solver = SlateSolver()
    base = solver.solve(derive(textbook))
    bigger = solver.solve(derive(resolve(textbook, "bigger_cracker")))
    assert not bigger.rebuilt  # same structure: parameters updated in place, HiGHS hot-started
    dual = base.duals["unit_capacity"][("refinery", "cracker")]
    assert dual > 0
    assert bigger.objective_kusd_per_day - base.objective_kusd_per_day == pytest.approx(dual, rel=1e-6)
