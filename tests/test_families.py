"""One test per constraint family: a tiny instance in which the family binds, with the optimum and the dual
derived by hand (the derivation is the comment above the asserts).

Conventions (see optimizer/solve.py): a dual is d(margin)/d(bound of the row) in kUSD/d per unit of the
row (kb/d rows: $/bbl); a reduced cost is d(margin)/d(variable). Rows are as Pyomo states them:
an equality `a == b` is the row `a - b = 0`, so e.g. stream_balance (used - made = 0) has dual
+(value of the stream): raising its bound hands the refinery one barrel of the stream for free.

`@covers(family)` registers the test for the family and checks, when the test runs, that it did read
a dual of that family through `dual()`; `test_every_family_has_a_test` compares the registry with
optimizer.model.CONSTRAINT_INDEX.
"""

from __future__ import annotations

import functools

import pytest

from optimizer.data import M3_PER_BBL, WATER_DENSITY_T_PER_M3, derive, specific_gravity
from optimizer.instance import read_instance
from optimizer.model import CONSTRAINT_INDEX
from optimizer.solve import SlateSolver
from optimizer.validate import validate

try:
    from instance_builder import write_instance
except ImportError:  # tests/ made a package
    from tests.instance_builder import write_instance

REL = 1e-6
ABS = 1e-7  # for values that are exactly zero by hand


def approx(x: float):
    return pytest.approx(x, rel=REL, abs=ABS)


# ---------------------------------------------------------------------------------------------
# registry: which test covers which family, and proof at run time that it read that family's dual

COVERED: dict[str, list[str]] = {}
_READ: set[str] = set()


def covers(*families: str):
    def mark(test):
        for family in families:
            COVERED.setdefault(family, []).append(test.__name__)

        @functools.wraps(test)
        def run(*args, **kwargs):
            _READ.clear()
            test(*args, **kwargs)
            unread = set(families) - _READ
            assert not unread, f"{test.__name__} is registered for {sorted(unread)} but asserted no dual of it"

        return run

    return mark


def dual(res, family: str, index):
    _READ.add(family)
    return res.duals[family][index]


# ---------------------------------------------------------------------------------------------
# small-instance helpers


def solve(tmp_path, tables: dict[str, list[dict]]):
    instance = read_instance(write_instance(tmp_path / "instance", tables))
    validate(instance)
    res = SlateSolver().solve(derive(instance))
    assert res.status == "optimal", res.termination
    return res


def refinery(rid: str = "R", capacity: float = 100.0, **extra) -> dict:
    return {"refinery_id": rid, "crude_capacity_kbd": capacity, **extra}


def crude(cid: str, price: float, api: float = 30.0, sulfur: float = 1.0, origin: str = "Nowhere", **extra) -> dict:
    return {"crude_id": cid, "origin": origin, "api_deg": api, "sulfur_wt_pct": sulfur, "price_usd_per_bbl": price,
            **extra}


def product(pid: str, price: float, **extra) -> dict:
    return {"product_id": pid, "price_usd_per_bbl": price, **extra}


def one_stream(crudes: list[dict], products: list[dict], refineries: list[dict] | None = None, **more) -> dict:
    """Every crude is 100 % `oil`; every product is blended from `oil` alone."""
    return {
        "refineries": refineries or [refinery()],
        "crudes": crudes,
        "streams": [{"stream_id": "oil"}],
        "crude_yields": [{"crude_id": c["crude_id"], "stream_id": "oil", "yield_vol_frac": 1.0} for c in crudes],
        "products": products,
        "blend_components": [{"product_id": p["product_id"], "stream_id": "oil"} for p in products],
        **more,
    }


def two_crude_window(margin_a: float, margin_b: float, g_a: float, g_b: float, capacity: float = 100.0):
    """Hand KKT of a full crude unit running two crudes, both basic, with one diet row sum_c g_c Buy_c {<=,>=} 0
    binding: margin_c = y_cap + y_row g_c for c = A, B, and g_A x_A + g_B x_B = 0, x_A + x_B = capacity."""
    y_row = (margin_a - margin_b) / (g_a - g_b)
    y_cap = margin_a - y_row * g_a
    x_a = capacity * -g_b / (g_a - g_b)
    objective = margin_a * x_a + margin_b * (capacity - x_a)
    return x_a, objective, y_cap, y_row


# ---------------------------------------------------------------------------------------------
# crude unit and crude diet


@covers("crude_unit_capacity")
def test_crude_unit_capacity(tmp_path):
    # A costs 50, B 55, both make only fuel at 60; crude unit 100 kb/d. The unit fills with A:
    # margin 100 x (60 - 50) = 1000 kUSD/d. One more kb/d of capacity runs one more barrel of A:
    # dual 60 - 50 = 10 $/bbl. B's reduced cost: 60 - 55 - 10 (the capacity it would take) = -5.
    res = solve(tmp_path, one_stream([crude("A", 50), crude("B", 55)], [product("fuel", 60)]))
    assert res.objective_kusd_per_day == approx(1000.0)
    assert res.values["Buy"][("R", "A")] == approx(100.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(10.0)
    assert res.reduced_costs["Buy"][("R", "A")] == approx(0.0)
    assert res.reduced_costs["Buy"][("R", "B")] == approx(-5.0)


@covers("crude_unit_capacity")
def test_crude_unit_minimum_run(tmp_path):
    # Fuel (45) is worth less than crude A (50): the refinery runs only its minimum of 20 kb/d,
    # margin 20 x (45 - 50) = -100. Raising the minimum by 1 kb/d loses 5 more: dual -5.
    res = solve(tmp_path, one_stream([crude("A", 50)], [product("fuel", 45)],
                                     [refinery(crude_min_run_kbd=20.0)]))
    assert res.objective_kusd_per_day == approx(-100.0)
    assert res.values["Buy"][("R", "A")] == approx(20.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(-5.0)


@covers("slate_api_min")
def test_slate_api_min(tmp_path):
    # Heavy A (API 20, $40) earns 20 $/bbl, light B (API 40, $50) 10 $/bbl; the slate must be at least
    # API 30, i.e. volume-blended SG <= sg(30) = 141.5/161.5. Row: sum_c (sg_c - sg_max) Buy_c <= 0.
    # With g_A = sg(20) - sg(30) = 0.057832 > 0 and g_B = sg(40) - sg(30) = -0.051088, the full unit splits
    # x_A = 100 (-g_B)/(g_A - g_B) = 46.904 kb/d; margin 10 x 100 + 10 x_A = 1469.04.
    # KKT (both crudes basic): y_row = (20 - 10)/(g_A - g_B) = 91.810 $/bbl per (SG x kb/d), positive: relaxing
    # the row lets more heavy in; y_cap = 20 - y_row g_A = 14.690 $/bbl.
    sg_max = specific_gravity(30)
    g_a, g_b = specific_gravity(20) - sg_max, specific_gravity(40) - sg_max
    x_a, objective, y_cap, y_row = two_crude_window(20.0, 10.0, g_a, g_b)
    assert (x_a, objective, y_cap, y_row) == pytest.approx((46.904, 1469.04, 14.690, 91.810), rel=1e-4)
    res = solve(tmp_path, one_stream([crude("A", 40, api=20), crude("B", 50, api=40)], [product("fuel", 60)],
                                     [refinery(api_min_deg=30.0)]))
    assert res.objective_kusd_per_day == approx(objective)
    assert res.values["Buy"][("R", "A")] == approx(x_a)
    assert dual(res, "slate_api_min", "R") == approx(y_row)
    assert dual(res, "crude_unit_capacity", "R") == approx(y_cap)


@covers("slate_api_max")
def test_slate_api_max(tmp_path):
    # Now the light crude is the cheap one: A (API 40, $40) earns 20, B (API 20, $50) 10; the slate may be at
    # most API 30: sum_c (sg_c - sg(30)) Buy_c >= 0. g_A = -0.051088, g_B = +0.057832: x_A = 100 g_B/(g_B - g_A)
    # = 53.096 kb/d. y_row = (20 - 10)/(g_A - g_B) = -91.810: raising the bound of a >= row tightens it.
    sg_min = specific_gravity(30)
    g_a, g_b = specific_gravity(40) - sg_min, specific_gravity(20) - sg_min
    x_a, objective, y_cap, y_row = two_crude_window(20.0, 10.0, g_a, g_b)
    assert (x_a, y_row) == pytest.approx((53.096, -91.810), rel=1e-4)
    res = solve(tmp_path, one_stream([crude("A", 40, api=40), crude("B", 50, api=20)], [product("fuel", 60)],
                                     [refinery(api_max_deg=30.0)]))
    assert res.objective_kusd_per_day == approx(objective)
    assert res.values["Buy"][("R", "A")] == approx(x_a)
    assert dual(res, "slate_api_max", "R") == approx(y_row)
    assert dual(res, "crude_unit_capacity", "R") == approx(y_cap)


@covers("slate_sulfur_max")
def test_slate_sulfur_max_is_mass_weighted(tmp_path):
    # Sour A (API 25, 3 % S, $40) earns 20, sweet B (API 35, 0.5 % S, $50) earns 10; slate sulfur <= 1.5 wt%,
    # mass-weighted: sum_c sg_c (S_c - 1.5) Buy_c <= 0, g_A = sg(25) x 1.5 = 1.35623, g_B = sg(35) x -1 = -0.84985.
    # x_A = 100 x 0.84985/2.20608 = 38.523 kb/d (a volume-weighted limit would give 40: the test tells them apart).
    # y_row = 10/(g_A - g_B) = 4.5329 $/bbl per (wt% x SG x kb/d), y_cap = 20 - y_row g_A = 13.852.
    g_a = specific_gravity(25) * (3.0 - 1.5)
    g_b = specific_gravity(35) * (0.5 - 1.5)
    x_a, objective, y_cap, y_row = two_crude_window(20.0, 10.0, g_a, g_b)
    assert (x_a, y_row, y_cap) == pytest.approx((38.523, 4.5329, 13.852), rel=1e-4)
    assert abs(x_a - 40.0) > 1.0
    res = solve(tmp_path, one_stream([crude("A", 40, api=25, sulfur=3.0), crude("B", 50, api=35, sulfur=0.5)],
                                     [product("fuel", 60)], [refinery(sulfur_max_wt_pct=1.5)]))
    assert res.objective_kusd_per_day == approx(objective)
    assert res.values["Buy"][("R", "A")] == approx(x_a)
    assert dual(res, "slate_sulfur_max", "R") == approx(y_row)
    assert dual(res, "crude_unit_capacity", "R") == approx(y_cap)


@covers("slate_tan_max")
def test_slate_tan_max_is_mass_weighted(tmp_path):
    # Acid A (API 22, TAN 1.8, $42) earns 18, B (API 38, TAN 0.1, $50) earns 10; slate TAN <= 0.6, mass-weighted:
    # g_A = sg(22)(1.8 - 0.6), g_B = sg(38)(0.1 - 0.6); x_A = 100(-g_B)/(g_A - g_B) = 27.396 kb/d;
    # y_row = (18 - 10)/(g_A - g_B) = 5.2507, y_cap = 18 - y_row g_A = 12.192.
    g_a = specific_gravity(22) * (1.8 - 0.6)
    g_b = specific_gravity(38) * (0.1 - 0.6)
    x_a, objective, y_cap, y_row = two_crude_window(18.0, 10.0, g_a, g_b)
    assert (x_a, y_row, y_cap) == pytest.approx((27.396, 5.2507, 12.192), rel=1e-4)
    res = solve(tmp_path, one_stream(
        [crude("A", 42, api=22, tan_mg_koh_per_g=1.8), crude("B", 50, api=38, tan_mg_koh_per_g=0.1)],
        [product("fuel", 60)], [refinery(tan_max_mg_koh_per_g=0.6)]))
    assert res.objective_kusd_per_day == approx(objective)
    assert res.values["Buy"][("R", "A")] == approx(x_a)
    assert dual(res, "slate_tan_max", "R") == approx(y_row)
    assert dual(res, "crude_unit_capacity", "R") == approx(y_cap)


@covers("sulfur_plant")
def test_sulfur_plant(tmp_path):
    # A: API 30 (sg 0.876161), 2 wt% S, $50 -> fuel $60 (10 $/bbl). 80 % of the sulfur reaches a 50 t/d plant.
    # One kb/d of A carries 1000 bbl x 0.158987 m3/bbl x 0.999 t/m3 x 0.876161 x 2 % x 0.8 = 2.22655 t/d,
    # so A = 50/2.22655 = 22.456 kb/d (the 1000 kb/d crude unit is slack: dual 0), margin 224.56 kUSD/d,
    # and a tonne/day more plant capacity is worth 10/2.22655 = 4.4912 kUSD/d.
    t_per_kbd = 1000 * M3_PER_BBL * WATER_DENSITY_T_PER_M3 * specific_gravity(30) * 0.02 * 0.8
    assert t_per_kbd == pytest.approx(2.22655, rel=1e-5)
    res = solve(tmp_path, one_stream([crude("A", 50, api=30, sulfur=2.0)], [product("fuel", 60)],
                                     [refinery(capacity=1000, sulfur_plant_capacity_t_per_day=50,
                                               sulfur_to_plant_frac=0.8)]))
    assert res.values["Buy"][("R", "A")] == approx(50 / t_per_kbd)
    assert res.objective_kusd_per_day == approx(10 * 50 / t_per_kbd)
    assert dual(res, "sulfur_plant", "R") == approx(10 / t_per_kbd)
    assert dual(res, "crude_unit_capacity", "R") == approx(0.0)


# ---------------------------------------------------------------------------------------------
# streams and units


def _two_cut_tables() -> dict:
    # A ($50) is half naphtha, half gasoil; naphtha sells as gasoline ($70), gasoil as diesel ($80).
    return {
        "refineries": [refinery()],
        "crudes": [crude("A", 50)],
        "streams": [{"stream_id": "naphtha"}, {"stream_id": "gasoil"}],
        "crude_yields": [{"crude_id": "A", "stream_id": "naphtha", "yield_vol_frac": 0.5},
                         {"crude_id": "A", "stream_id": "gasoil", "yield_vol_frac": 0.5}],
        "products": [product("gasoline", 70), product("diesel", 80)],
        "blend_components": [{"product_id": "gasoline", "stream_id": "naphtha"},
                             {"product_id": "diesel", "stream_id": "gasoil"}],
    }


@covers("stream_balance")
def test_stream_balance(tmp_path):
    # Margin 100 x (0.5 x 70 + 0.5 x 80 - 50) = 2500; crude capacity is worth 75 - 50 = 25 $/bbl.
    # Row naphtha: used - made = 0. Raising its bound to 1 means one more barrel of naphtha is used than made,
    # a free barrel sold as gasoline: dual = value of naphtha = 70; gasoil 80.
    res = solve(tmp_path, _two_cut_tables())
    assert res.objective_kusd_per_day == approx(2500.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(25.0)
    assert dual(res, "stream_balance", ("R", "naphtha")) == approx(70.0)
    assert dual(res, "stream_balance", ("R", "gasoil")) == approx(80.0)


@covers("unit_capacity")
def test_unit_capacity(tmp_path):
    # A ($30) is all VGO; VGO sells as fuel oil ($40) or is cracked (opex $2) into 0.9 gasoline ($80) + 0.1 loss.
    # Cracking earns 0.9 x 80 - 40 - 2 = 30 $/bbl over selling VGO, so the 30 kb/d cracker fills:
    # margin 100 x (40 - 30) + 30 x 30 = 1900. Unit capacity dual 30; crude capacity dual 40 - 30 = 10
    # (the marginal crude barrel becomes fuel oil). Stream values: VGO 40, gasoline 80 (duals negated).
    tables = {
        "refineries": [refinery()],
        "crudes": [crude("A", 30)],
        "streams": [{"stream_id": "vgo"}, {"stream_id": "cat_gasoline"}, {"stream_id": "loss", "kind": "loss"}],
        "crude_yields": [{"crude_id": "A", "stream_id": "vgo", "yield_vol_frac": 1.0}],
        "units": [{"refinery_id": "R", "unit_id": "fcc", "unit_type": "cracker", "capacity_kbd": 30,
                   "operating_cost_usd_per_bbl": 2.0}],
        "unit_yields": [
            {"unit_type": "cracker", "feed_stream_id": "vgo", "product_stream_id": "cat_gasoline",
             "yield_vol_frac": 0.9},
            {"unit_type": "cracker", "feed_stream_id": "vgo", "product_stream_id": "loss", "yield_vol_frac": 0.1},
        ],
        "products": [product("fuel_oil", 40), product("mogas", 80)],
        "blend_components": [{"product_id": "fuel_oil", "stream_id": "vgo"},
                             {"product_id": "mogas", "stream_id": "cat_gasoline"}],
    }
    res = solve(tmp_path, tables)
    assert res.objective_kusd_per_day == approx(1900.0)
    assert res.values["Feed"][("R", "fcc", "vgo")] == approx(30.0)
    assert dual(res, "unit_capacity", ("R", "fcc")) == approx(30.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(10.0)
    assert dual(res, "stream_balance", ("R", "vgo")) == approx(40.0)
    assert dual(res, "stream_balance", ("R", "cat_gasoline")) == approx(80.0)


# ---------------------------------------------------------------------------------------------
# products


@covers("product_make", "product_sales")
def test_product_make(tmp_path):
    # Oil from A ($40) sells as fuel ($60, at most 80 kb/d coast-wide) or bunker ($45). Fuel 80, bunker 20:
    # margin 80 x 20 + 20 x 5 = 1700. product_make is the definition Sell - sum Blend = 0; its dual is the
    # value of one more barrel of the product appearing: for bunker its price, 45; for fuel also 45, not 60,
    # because fuel sales are at their limit, so the extra barrel displaces blended oil that goes to bunker.
    # The market limit is worth 60 - 45 = 15 $/bbl (product_sales dual).
    res = solve(tmp_path, one_stream([crude("A", 40)], [product("fuel", 60, max_sales_kbd=80),
                                                        product("bunker", 45)]))
    assert res.objective_kusd_per_day == approx(1700.0)
    assert dual(res, "product_make", ("R", "bunker")) == approx(45.0)
    assert dual(res, "product_make", ("R", "fuel")) == approx(45.0)
    assert dual(res, "product_sales", "fuel") == approx(15.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(5.0)


@covers("product_recipe")
def test_product_recipe(tmp_path):
    # A ($40) is half light, half heavy; light sells alone at $70, heavy at $40, and 'mix' is exactly 50/50
    # light/heavy at $60 (> 55, the value of its parts) but limited to 30 kb/d. Mix 30, light 35, heavy 35:
    # margin 30 x 60 + 35 x 70 + 35 x 40 - 100 x 40 = 1650; mix's market limit is worth 60 - 55 = 5.
    # A recipe product has no product_make row (its recipe rows Blend - f Sell = 0 already define it), so the
    # recipe duals are unique. Blend[mix, s] is basic: 0 = y_recipe[s] + y_balance[s], so y_recipe[s] is minus
    # the value of s: light -70, heavy -40 (a barrel of s pushed into the mix beyond its share is given away).
    # Sell[mix] is basic: 60 - 5 (market limit) + 0.5 y_recipe[light] + 0.5 y_recipe[heavy] = 60 - 5 - 55 = 0.
    tables = {
        "refineries": [refinery()],
        "crudes": [crude("A", 40)],
        "streams": [{"stream_id": "light"}, {"stream_id": "heavy"}],
        "crude_yields": [{"crude_id": "A", "stream_id": "light", "yield_vol_frac": 0.5},
                         {"crude_id": "A", "stream_id": "heavy", "yield_vol_frac": 0.5}],
        "products": [product("light_prod", 70), product("heavy_prod", 40), product("mix", 60, max_sales_kbd=30)],
        "blend_components": [
            {"product_id": "light_prod", "stream_id": "light"},
            {"product_id": "heavy_prod", "stream_id": "heavy"},
            {"product_id": "mix", "stream_id": "light", "recipe_vol_frac": 0.5},
            {"product_id": "mix", "stream_id": "heavy", "recipe_vol_frac": 0.5},
        ],
    }
    res = solve(tmp_path, tables)
    assert res.objective_kusd_per_day == approx(1650.0)
    assert res.values["Blend"][("R", "mix", "light")] == approx(15.0)
    assert dual(res, "product_sales", "mix") == approx(5.0)
    assert dual(res, "product_recipe", ("R", "mix", "light")) == approx(-70.0)
    assert dual(res, "product_recipe", ("R", "mix", "heavy")) == approx(-40.0)
    assert ("R", "mix") not in res.duals["product_make"]


def _octane_tables() -> dict:
    # A ($40) is half n80 (octane 80) and half r100 (octane 100); gasoline ($80, octane >= 92) takes both,
    # naphtha ($50) takes n80.
    return {
        "refineries": [refinery()],
        "crudes": [crude("A", 40)],
        "streams": [{"stream_id": "n80"}, {"stream_id": "r100"}],
        "crude_yields": [{"crude_id": "A", "stream_id": "n80", "yield_vol_frac": 0.5},
                         {"crude_id": "A", "stream_id": "r100", "yield_vol_frac": 0.5}],
        "qualities": [{"quality_id": "octane"}],
        "stream_qualities": [{"stream_id": "n80", "quality_id": "octane", "value": 80},
                             {"stream_id": "r100", "quality_id": "octane", "value": 100}],
        "products": [product("gasoline", 80), product("naphtha", 50)],
        "blend_components": [{"product_id": "gasoline", "stream_id": "n80"},
                             {"product_id": "gasoline", "stream_id": "r100"},
                             {"product_id": "naphtha", "stream_id": "n80"}],
        "blend_specs": [{"product_id": "gasoline", "quality_id": "octane", "min_value": 92}],
    }


@covers("blend_spec_min")
def test_blend_spec_min(tmp_path):
    # All 50 kb/d of r100 go to gasoline; n80 joins while (80 - 92) x + (100 - 92) 50 >= 0: x = 400/12 = 33.333;
    # the other 16.667 kb/d of n80 are sold as naphtha. Margin 80 x 83.333 + 50 x 16.667 - 4000 = 3500.
    # Raising the row's bound by 1 (octane-barrels) moves 1/12 kb/d of n80 from gasoline to naphtha:
    # dual -(80 - 50)/12 = -2.5. Stream values: n80 50; r100 80 + (8/12) x 30 = 100. Crude capacity:
    # 0.5 x 50 + 0.5 x 100 - 40 = 35 (= 3500/100).
    res = solve(tmp_path, _octane_tables())
    assert res.objective_kusd_per_day == approx(3500.0)
    assert res.values["Blend"][("R", "gasoline", "n80")] == approx(400 / 12)
    assert dual(res, "blend_spec_min", ("R", "gasoline", "octane")) == approx(-2.5)
    assert dual(res, "stream_balance", ("R", "n80")) == approx(50.0)
    assert dual(res, "stream_balance", ("R", "r100")) == approx(100.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(35.0)


@covers("blend_spec_max")
def test_blend_spec_max(tmp_path):
    # A ($40) is half sweet cut (10 ppm S) and half sour cut (500 ppm); diesel ($90, <= 50 ppm) takes both,
    # fuel oil ($40) takes the sour cut. Diesel holds all 50 sweet and y sour with 450 y - 40 x 50 <= 0:
    # y = 2000/450 = 4.4444. Margin 90 x 54.444 + 40 x 45.556 - 4000 = 2722.22. One more unit of bound
    # lets 1/450 kb/d of sour move from fuel oil to diesel: dual (90 - 40)/450 = 0.11111.
    tables = {
        "refineries": [refinery()],
        "crudes": [crude("A", 40)],
        "streams": [{"stream_id": "sweet"}, {"stream_id": "sour"}],
        "crude_yields": [{"crude_id": "A", "stream_id": "sweet", "yield_vol_frac": 0.5},
                         {"crude_id": "A", "stream_id": "sour", "yield_vol_frac": 0.5}],
        "qualities": [{"quality_id": "sulfur_ppm"}],
        "stream_qualities": [{"stream_id": "sweet", "quality_id": "sulfur_ppm", "value": 10},
                             {"stream_id": "sour", "quality_id": "sulfur_ppm", "value": 500}],
        "products": [product("diesel", 90), product("fuel_oil", 40)],
        "blend_components": [{"product_id": "diesel", "stream_id": "sweet"},
                             {"product_id": "diesel", "stream_id": "sour"},
                             {"product_id": "fuel_oil", "stream_id": "sour"}],
        "blend_specs": [{"product_id": "diesel", "quality_id": "sulfur_ppm", "max_value": 50}],
    }
    res = solve(tmp_path, tables)
    assert res.objective_kusd_per_day == approx(90 * (50 + 2000 / 450) + 40 * (50 - 2000 / 450) - 4000)
    assert res.values["Blend"][("R", "diesel", "sour")] == approx(2000 / 450)
    assert dual(res, "blend_spec_max", ("R", "diesel", "sulfur_ppm")) == approx(50 / 450)


def _ratio_tables(premium_price: float, bound: str) -> dict:
    column = "min_ratio" if bound == "min" else "max_ratio"
    return one_stream([crude("A", 40)], [product("premium", premium_price), product("regular", 80)],
                      product_ratios=[{"product_id": "premium", "ref_product_id": "regular", column: 0.5}])


@covers("product_ratio_min")
def test_product_ratio_min(tmp_path):
    # Premium ($70) must be at least half of regular ($80), both from the same oil: premium 33.333, regular
    # 66.667, margin 70 x 33.333 + 80 x 66.667 - 4000 = 3666.67. Raising the row's bound (Sell_p - 0.5 Sell_r >= 1)
    # shifts 2/3 kb/d from regular to premium: dual -(80 - 70) x 2/3 = -6.6667.
    res = solve(tmp_path, _ratio_tables(70, "min"))
    assert res.objective_kusd_per_day == approx(70 * 100 / 3 + 80 * 200 / 3 - 4000)
    assert res.values["Sell"][("R", "premium")] == approx(100 / 3)
    assert dual(res, "product_ratio_min", ("R", "premium", "regular")) == approx(-20 / 3)


@covers("product_ratio_max")
def test_product_ratio_max(tmp_path):
    # Premium ($90) may be at most half of regular ($80): premium 33.333, regular 66.667, margin 4333.33;
    # one more unit of bound shifts 2/3 kb/d from regular to premium: dual +10 x 2/3 = 6.6667.
    res = solve(tmp_path, _ratio_tables(90, "max"))
    assert res.objective_kusd_per_day == approx(90 * 100 / 3 + 80 * 200 / 3 - 4000)
    assert dual(res, "product_ratio_max", ("R", "premium", "regular")) == approx(20 / 3)


@covers("product_sales")
def test_product_sales_coast_wide_max(tmp_path):
    # Two 100 kb/d refineries run A ($40) into fuel ($60) but fuel sales are 150 kb/d coast-wide. R2's crude unit
    # costs 5 $/bbl more, so R1 runs full and R2 50: margin 100 x 20 + 50 x 15 = 2750. The market limit is worth
    # R2's margin, 15; R1's capacity is worth the cost gap, 5; R2's capacity nothing.
    res = solve(tmp_path, one_stream([crude("A", 40)], [product("fuel", 60, max_sales_kbd=150)],
                                     [refinery("R1"), refinery("R2", crude_unit_cost_usd_per_bbl=5.0)]))
    assert res.objective_kusd_per_day == approx(2750.0)
    assert res.values["Sell"][("R2", "fuel")] == approx(50.0)
    assert dual(res, "product_sales", "fuel") == approx(15.0)
    assert dual(res, "crude_unit_capacity", "R1") == approx(5.0)
    assert dual(res, "crude_unit_capacity", "R2") == approx(0.0)


@covers("product_sales")
def test_product_sales_minimum(tmp_path):
    # Bunker ($45) must sell at least 20 kb/d though fuel ($60) is worth more: margin 80 x 20 + 20 x 5 = 1700;
    # each kb/d more of the minimum turns a fuel barrel into bunker: dual 45 - 60 = -15.
    res = solve(tmp_path, one_stream([crude("A", 40)], [product("fuel", 60), product("bunker", 45, min_sales_kbd=20)]))
    assert res.objective_kusd_per_day == approx(1700.0)
    assert dual(res, "product_sales", "bunker") == approx(-15.0)


@covers("refinery_product_sales")
def test_refinery_product_sales(tmp_path):
    # At R fuel ($60) may sell at most 70 kb/d; the rest of the 100 kb/d of A ($40) goes to bunker ($45):
    # margin 70 x 20 + 30 x 5 = 1550; the local limit is worth 60 - 45 = 15, the crude unit 45 - 40 = 5.
    res = solve(tmp_path, one_stream([crude("A", 40)], [product("fuel", 60), product("bunker", 45)],
                                     product_limits=[{"refinery_id": "R", "product_id": "fuel", "max_sales_kbd": 70}]))
    assert res.objective_kusd_per_day == approx(1550.0)
    assert dual(res, "refinery_product_sales", ("R", "fuel")) == approx(15.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(5.0)


# ---------------------------------------------------------------------------------------------
# supply, logistics, policy


@covers("crude_availability")
def test_crude_availability(tmp_path):
    # A ($40) is limited to 30 kb/d; B ($50 + default freight 2, replaced at R by freight 1 = $51 delivered)
    # fills the unit. Margin 30 x 20 + 70 x 9 = 1230. Crude capacity is worth B's margin, 9; one more kb/d of A
    # replaces a barrel of B: 51 - 40 = 11.
    res = solve(tmp_path, one_stream([crude("A", 40, availability_kbd=30), crude("B", 50, freight_usd_per_bbl=2.0)],
                                     [product("fuel", 60)],
                                     freight=[{"crude_id": "B", "refinery_id": "R", "freight_usd_per_bbl": 1.0}]))
    assert res.objective_kusd_per_day == approx(1230.0)
    assert dual(res, "crude_availability", "A") == approx(11.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(9.0)
    assert res.reduced_costs["Buy"][("R", "B")] == approx(0.0)


def _tier_tables() -> dict:
    # A ($40) comes in tranches: 20 kb/d at +0, 30 at +5, 100 at +10; B costs $48 flat; fuel $60.
    return one_stream([crude("A", 40), crude("B", 48)], [product("fuel", 60)], crude_tiers=[
        {"crude_id": "A", "tier": 1, "volume_kbd": 20, "price_adder_usd_per_bbl": 0},
        {"crude_id": "A", "tier": 2, "volume_kbd": 30, "price_adder_usd_per_bbl": 5},
        {"crude_id": "A", "tier": 3, "volume_kbd": 100, "price_adder_usd_per_bbl": 10},
    ])


@covers("crude_tier_split")
def test_crude_tier_split(tmp_path):
    # Tranches 1 ($40) and 2 ($45) beat B ($48); tranche 3 ($50) does not. A 50, B 50:
    # margin 20 x 20 + 30 x 15 + 50 x 12 = 1450; crude capacity is worth B's margin 12.
    # Split row: sum_r Buy[r,A] - sum_t TierBuy[A,t] = 0. Raising its bound by 1 is a barrel of A bought outside
    # every tranche at its base price 40, replacing a barrel of B: dual 48 - 40 = 8.
    res = solve(tmp_path, _tier_tables())
    assert res.objective_kusd_per_day == approx(1450.0)
    assert res.values["Buy"][("R", "A")] == approx(50.0)
    assert dual(res, "crude_tier_split", "A") == approx(8.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(12.0)


@covers("crude_tier_volume")
def test_crude_tier_volume(tmp_path):
    # One kb/d more of tranche 1 replaces B: 48 - 40 = 8; of tranche 2: 48 - 45 = 3; tranche 3 is slack: 0.
    # Forcing a barrel into tranche 3 ($50) in place of B costs 2: its reduced cost is -2.
    res = solve(tmp_path, _tier_tables())
    assert dual(res, "crude_tier_volume", ("A", 1)) == approx(8.0)
    assert dual(res, "crude_tier_volume", ("A", 2)) == approx(3.0)
    assert dual(res, "crude_tier_volume", ("A", 3)) == approx(0.0)
    assert res.values["TierBuy"][("A", 2)] == approx(30.0)
    assert res.reduced_costs["TierBuy"][("A", 3)] == approx(-2.0)


@covers("link_capacity")
def test_link_capacity(tmp_path):
    # Canadian A ($40) and A2 ($42) reach R only over a 30 kb/d pipeline (route scoped by origin); US B ($50) does
    # not use it. A takes the pipe, B the rest: margin 30 x 20 + 70 x 10 = 1300. Pipeline kb/d: 20 - 10 = 10
    # (an A barrel replacing a B barrel); crude unit 10. A2's reduced cost: 18 - 10 (unit) - 10 (pipe) = -2.
    res = solve(tmp_path, one_stream(
        [crude("A", 40, origin="Canada"), crude("A2", 42, origin="Canada"), crude("B", 50, origin="USA")],
        [product("fuel", 60)],
        links=[{"link_id": "pipe", "capacity_kbd": 30}],
        routes=[{"route_id": "canada_pipe", "link_id": "pipe", "origin": "Canada"}]))
    assert res.objective_kusd_per_day == approx(1300.0)
    assert dual(res, "link_capacity", "pipe") == approx(10.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(10.0)
    assert res.reduced_costs["Buy"][("R", "A2")] == approx(-2.0)


@covers("policy_cap")
def test_policy_cap(tmp_path):
    # Venezuelan A ($40) is capped at 25 kb/d under licence; B ($50) fills the unit: margin 25 x 20 + 75 x 10
    # = 1250. The licence costs 20 - 10 = 10 $/bbl per kb/d it holds back.
    res = solve(tmp_path, one_stream([crude("A", 40, origin="Venezuela"), crude("B", 50, origin="Canada")],
                                     [product("fuel", 60)],
                                     policies=[{"rule_id": "licence", "kind": "cap", "origin": "Venezuela",
                                                "volume_kbd": 25}]))
    assert res.objective_kusd_per_day == approx(1250.0)
    assert dual(res, "policy_cap", "licence") == approx(10.0)


@covers("policy_cap")
def test_policy_ban_is_a_cap_of_zero(tmp_path):
    # Banned A ($40) would earn 20; B ($50) runs 100: margin 1000. The ban row Buy[R,A] <= 0 holds with A = 0
    # (primal degenerate), so its dual is any value >= 20 - 10 = 10 (the gain of relaxing it by 1 kb/d).
    res = solve(tmp_path, one_stream([crude("A", 40, origin="Venezuela"), crude("B", 50, origin="Canada")],
                                     [product("fuel", 60)],
                                     policies=[{"rule_id": "sanctions", "kind": "ban", "crude_id": "A"}]))
    assert res.objective_kusd_per_day == approx(1000.0)
    assert res.values["Buy"][("R", "A")] == approx(0.0)
    assert dual(res, "policy_cap", "sanctions") >= 10.0 - 1e-7


@covers("policy_floor")
def test_policy_floor_with_tariffs(tmp_path):
    # A contract obliges 40 kb/d of Venezuelan A ($55 + $1/bbl tariff = 56). Canadian B ($45 + 10 % tariff = 49.5)
    # is cheaper and fills the rest: margin 40 x 4 + 60 x 10.5 = 790. Each kb/d more of the floor swaps a B barrel
    # for an A barrel: dual -(56 - 49.5) = -6.5; crude capacity is worth B's margin 10.5.
    res = solve(tmp_path, one_stream(
        [crude("A", 55, origin="Venezuela"), crude("B", 45, origin="Canada")], [product("fuel", 60)],
        policies=[
            {"rule_id": "contract", "kind": "floor", "origin": "Venezuela", "volume_kbd": 40},
            {"rule_id": "ven_fee", "kind": "tariff", "origin": "Venezuela", "tariff_usd_per_bbl": 1.0},
            {"rule_id": "can_tariff", "kind": "tariff", "origin": "Canada", "tariff_pct": 10.0},
        ]))
    assert res.objective_kusd_per_day == approx(790.0)
    assert dual(res, "policy_floor", "contract") == approx(-6.5)
    assert dual(res, "crude_unit_capacity", "R") == approx(10.5)


# ---------------------------------------------------------------------------------------------
# stream trade: purchases and transfers of intermediate streams


def _resid_tables(refineries: list[dict], units: list[dict], **trade) -> dict:
    # Crude A ($50) is 60 % light and 40 % resid. Light sells as gasoline ($80); resid as fuel oil ($40) or is coked
    # (0.8 coker liquid, sold as gasoline, + 0.2 coke, a loss): coked resid is worth 0.8 x 80 = 64 $/bbl less the
    # coker's operating cost.
    return {
        "refineries": refineries,
        "crudes": [crude("A", 50)],
        "streams": [{"stream_id": "light"}, {"stream_id": "resid"}, {"stream_id": "coker_liquid"},
                    {"stream_id": "coke", "kind": "loss"}],
        "crude_yields": [{"crude_id": "A", "stream_id": "light", "yield_vol_frac": 0.6},
                         {"crude_id": "A", "stream_id": "resid", "yield_vol_frac": 0.4}],
        "units": units,
        "unit_yields": [
            {"unit_type": "coker", "feed_stream_id": "resid", "product_stream_id": "coker_liquid", "yield_vol_frac": 0.8},
            {"unit_type": "coker", "feed_stream_id": "resid", "product_stream_id": "coke", "yield_vol_frac": 0.2},
        ],
        "products": [product("gasoline", 80), product("fuel_oil", 40)],
        "blend_components": [{"product_id": "gasoline", "stream_id": "light"},
                             {"product_id": "gasoline", "stream_id": "coker_liquid"},
                             {"product_id": "fuel_oil", "stream_id": "resid"}],
        **trade,
    }


def _coker(rid: str, capacity: float, cost: float = 0.0) -> dict:
    return {"refinery_id": rid, "unit_id": "coker", "unit_type": "coker", "capacity_kbd": capacity,
            "operating_cost_usd_per_bbl": cost}


@covers("stream_purchase_limit")
def test_stream_purchase_limit(tmp_path):
    # R runs 100 kb/d of A: 40 kb/d of its own resid into a 60 kb/d coker, 20 kb/d spare. Imported resid at $45
    # delivered, at most 10 kb/d: coked it is worth 64, so all 10 are bought. Margin: the crude 100 x (0.6 x 80
    # + 0.4 x 64 - 50) = 2360, the import 10 x (64 - 45) = 190: 2550. One more kb/d on offer is worth 64 - 45 = 19
    # (the limit's dual); resid's balance dual (its value at R) is 64; the crude unit 0.6 x 80 + 0.4 x 64 - 50 = 23.6.
    res = solve(tmp_path, _resid_tables([refinery()], [_coker("R", 60)], stream_purchases=[
        {"purchase_id": "imported_resid", "stream_id": "resid", "refinery_id": "R", "price_usd_per_bbl": 45,
         "max_kbd": 10}]))
    assert res.objective_kusd_per_day == approx(2550.0)
    assert res.values["StreamBuy"][("imported_resid", "R")] == approx(10.0)
    assert dual(res, "stream_purchase_limit", "imported_resid") == approx(19.0)
    assert dual(res, "stream_balance", ("R", "resid")) == approx(64.0)
    assert dual(res, "crude_unit_capacity", "R") == approx(23.6)


@covers("stream_purchase_limit")
def test_stream_purchase_contract_minimum(tmp_path):
    # The same plant, but the import costs $70, more than the 64 it is worth: only its contract minimum of 5 kb/d
    # is taken (into the coker, which has room). Margin 2360 - 5 x (70 - 64) = 2330. Each kb/d more of the minimum
    # costs 70 - 64 = 6: dual -6 (the lower side binds); no upper limit is given.
    res = solve(tmp_path, _resid_tables([refinery()], [_coker("R", 60)], stream_purchases=[
        {"purchase_id": "contract", "stream_id": "resid", "refinery_id": "R", "price_usd_per_bbl": 70,
         "min_kbd": 5}]))
    assert res.objective_kusd_per_day == approx(2330.0)
    assert res.values["StreamBuy"][("contract", "R")] == approx(5.0)
    assert dual(res, "stream_purchase_limit", "contract") == approx(-6.0)


@covers("stream_purchase_limit")
def test_stream_purchase_limit_bounds_the_total_of_the_refineries_it_covers(tmp_path):
    # Two plants as R above, each with a 60 kb/d coker (20 kb/d spare); R2's coker costs $4/bbl to run, so coked
    # resid is worth 64 at R1 and 60 at R2. A cargo of at most 10 kb/d at $45, refinery_id empty: offered to both,
    # 10 kb/d in total. R1 takes it all: margin R1 2360 + 10 x 19, R2 100 x (48 + 0.4 x 60 - 50) = 2200: 4750.
    # The limit's dual is R1's 64 - 45 = 19; buying a barrel at R2 instead would earn 60 - 45 - 19 = -4 (its
    # reduced cost).
    res = solve(tmp_path, _resid_tables([refinery("R1"), refinery("R2")], [_coker("R1", 60), _coker("R2", 60, 4.0)],
                                        stream_purchases=[{"purchase_id": "cargo", "stream_id": "resid",
                                                           "price_usd_per_bbl": 45, "max_kbd": 10}]))
    assert res.objective_kusd_per_day == approx(4750.0)
    assert res.values["StreamBuy"][("cargo", "R1")] == approx(10.0)
    assert res.values["StreamBuy"][("cargo", "R2")] == approx(0.0)
    assert dual(res, "stream_purchase_limit", "cargo") == approx(19.0)
    assert res.reduced_costs["StreamBuy"][("cargo", "R2")] == approx(-4.0)


@covers("stream_transfer_capacity")
def test_stream_transfer_capacity(tmp_path):
    # R1 has no coker: its 40 kb/d of resid is fuel oil ($40) unless sent to R2 over a 15 kb/d line at $1/bbl.
    # R2's coker (60 kb/d) takes its own 40 and has 20 spare, so the line fills: margin R1 100 x (48 + 16 - 50)
    # = 1400, R2 2360, the 15 kb/d moved 15 x (64 - 40 - 1) = 345: 4105. One more kb/d of line is worth
    # 64 - 40 - 1 = 23; resid is worth 40 at R1 and 64 at R2 (balance duals).
    res = solve(tmp_path, _resid_tables([refinery("R1"), refinery("R2")], [_coker("R2", 60)], stream_transfers=[
        {"transfer_id": "r1_to_r2", "stream_id": "resid", "from_refinery_id": "R1", "to_refinery_id": "R2",
         "cost_usd_per_bbl": 1.0, "capacity_kbd": 15}]))
    assert res.objective_kusd_per_day == approx(4105.0)
    assert res.values["Transfer"]["r1_to_r2"] == approx(15.0)
    assert dual(res, "stream_transfer_capacity", "r1_to_r2") == approx(23.0)
    assert dual(res, "stream_balance", ("R1", "resid")) == approx(40.0)
    assert dual(res, "stream_balance", ("R2", "resid")) == approx(64.0)


@covers("stream_transfer_capacity")
def test_stream_transfer_fills_the_receivers_unit(tmp_path):
    # The line is 30 kb/d, more than R2's 20 kb/d of spare coker: 20 are moved, the line is slack (dual 0) and the
    # coker full. Margin 1400 + 2360 + 20 x 23 = 4220. A barrel of resid handed to R2 now saves moving one: R1
    # keeps it as fuel oil (40) and the $1 is not spent, so resid is worth 41 at R2, 40 at R1 (balance duals). One
    # more kb/d of coker takes a barrel more from R1 and cokes it: 64 - 41 = 23 (the unit's dual).
    res = solve(tmp_path, _resid_tables([refinery("R1"), refinery("R2")], [_coker("R2", 60)], stream_transfers=[
        {"transfer_id": "r1_to_r2", "stream_id": "resid", "from_refinery_id": "R1", "to_refinery_id": "R2",
         "cost_usd_per_bbl": 1.0, "capacity_kbd": 30}]))
    assert res.objective_kusd_per_day == approx(4220.0)
    assert res.values["Transfer"]["r1_to_r2"] == approx(20.0)
    assert dual(res, "stream_transfer_capacity", "r1_to_r2") == approx(0.0)
    assert dual(res, "stream_balance", ("R2", "resid")) == approx(41.0)
    assert dual(res, "stream_balance", ("R1", "resid")) == approx(40.0)
    assert dual(res, "unit_capacity", ("R2", "coker")) == approx(23.0)


# ---------------------------------------------------------------------------------------------


def test_every_family_has_a_test():
    families = set(CONSTRAINT_INDEX)
    missing = sorted(families - set(COVERED))
    unknown = sorted(set(COVERED) - families)
    assert not missing, f"constraint families without a test in {__name__}: {missing}"
    assert not unknown, f"tests registered for families the model does not have: {unknown}"
    for family, names in COVERED.items():
        for name in names:
            assert name.startswith("test_") and callable(globals().get(name)), (family, name)
