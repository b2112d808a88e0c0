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


# The self-check on the toy's tables as written and read back: each corruption below (the audit's) must be caught,
# and the figure it rebuilds (the second number of its message) is the hand-derived one (H, L, the coker full).
GASOLINE = 0.4 * HEAVY + 0.7 * LIGHT + 0.8 * 40
CORRUPTIONS = {
    "crude run": (lambda t: t["refineries"].__setitem__("crude_run_kbd", 90.0),
                  "refineries: crude_run_kbd at refinery is 90.000000, the slate sums to {} kb/d", 100.0),
    "product volume": (lambda t: t["products"].loc.__setitem__((t["products"]["product_id"] == "gasoline", "volume_kbd"),
                                                              GASOLINE + 10),
                       "products: volume_kbd of gasoline at refinery is {}, its blends sum to {} kb/d", GASOLINE),
    "unit feed": (lambda t: t["units"].__setitem__("feed_kbd", 41.0),
                  "units: feed_kbd of unit coker at refinery is 41.000000, unit_feeds sum to {} kb/d", 40.0),
    "margin": (lambda t: t["refineries"].__setitem__("margin_kusd_per_day", t["refineries"]["margin_kusd_per_day"] + 1),
               "refineries: margin_kusd_per_day at refinery is {}, prices x volumes give {}",
               9 * HEAVY + 4.5 * LIGHT + 20 * 40),
}


@pytest.fixture(scope="module")
def written(toy, tmp_path_factory):
    from optimizer.results import build_tables, write_atomic
    from optimizer.run import read_back

    d = derive(toy)
    result = SlateSolver().solve(d)
    out = tmp_path_factory.mktemp("toy") / "o"
    write_atomic(out, build_tables(toy, d, result), {"instance": str(toy.path)})
    return d, result.objective_kusd_per_day, read_back(out, "csv")


def test_self_check_passes_on_the_written_tables(written):
    from optimizer.results import self_check

    d, objective, tables = written
    assert self_check(d, tables, objective) == []


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_self_check_catches_a_corrupted_table(written, case):
    import re

    from optimizer.results import self_check

    d, objective, tables = written
    corrupt, message, rebuilt = CORRUPTIONS[case]
    tables = {name: frame.copy() for name, frame in tables.items()}
    corrupt(tables)
    first = self_check(d, tables, objective)[0]
    pattern = re.escape(message).replace(re.escape("{}"), r"(-?[0-9.]+)").replace(r"\{\}", r"(-?[0-9.]+)")
    match = re.fullmatch(pattern, first)
    assert match, first
    assert float(match.groups()[-1]) == pytest.approx(rebuilt, abs=2e-6)
