"""One `add_<family>` per constraint family: the maths, index domain and units are in each docstring.

Notation (see the README's notation table): Buy[r,c] crude bought and run (kb/d); Feed[r,u,s] unit
feed (kb/d); Blend[r,p,s] stream into a product (kb/d); Sell[r,p] product sold (kb/d); TierBuy[c,t]
barrels of crude c bought in tranche t (kb/d); StreamBuy[b,r] stream bought under purchase row b at
refinery r (kb/d); Transfer[x] stream moved by transfer row x from one refinery to another (kb/d).
Every right-hand side and coefficient that data can change is a mutable Param, so scenarios and sweeps
update the model in place.

The large families (one term per refinery-crude pair) fetch their Params and Vars into dicts once
(`_data`) and build their sums straight as Pyomo's LinearExpression of monomials (`_linear`, `_term`):
the same expressions `quicksum` makes, without an index check and an operator dispatch per term.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from optimizer.data import M3_PER_BBL, WATER_DENSITY_T_PER_M3, ModelData

_sum = pyo.quicksum


def _data(component: Any) -> dict[Any, Any]:
    """Index -> data of a Param or Var, fetched once per build (indexing the component checks every index)."""
    fetched = component.parent_block().__dict__.setdefault("_fetched", {})
    data = fetched.get(component.local_name)
    if data is None:
        data = fetched[component.local_name] = dict(component.items())
    return data


def release_fetched(m: pyo.ConcreteModel) -> None:
    """Empty the dicts `_data` fetched. Pyomo keeps each constraint's rule, and with it what the rule
    closes over: for the families with a term per refinery-crude pair, dicts as large as the model's
    columns (some 18 MB at a million nonzeros), of no use once every row is built."""
    for data in m.__dict__.pop("_fetched", {}).values():
        data.clear()


def _term(coef: Any, var: Any) -> MonomialTermExpression:
    """coef * var, as the `*` operator makes it."""
    return MonomialTermExpression((coef, var))


def _linear(terms: Iterable[Any]) -> LinearExpression | int:
    """The sum of monomials and variables, as `quicksum` makes it: 0 (a number) when there are none, the
    term itself when there is one."""
    args = list(terms)
    if len(args) > 1:
        return LinearExpression(args)
    return args[0] if args else 0


def crudes_by_refinery(d: ModelData) -> dict[str, list[str]]:
    """The crudes paired with each refinery, in PAIRS order (built once per model)."""
    out: dict[str, list[str]] = {r: [] for r in d.REFINERIES}
    for r, c in d.PAIRS:
        out[r].append(c)
    return out


def add_crude_unit_capacity(m: pyo.ConcreteModel, d: ModelData) -> None:
    """crude_unit_capacity[r]:  crude_min_run_kbd[r] <= sum_c Buy[r,c] <= crude_capacity_kbd[r]   (kb/d)

    Index: every refinery. The dual of the upper side is the value of one more kb/d of crude-unit
    capacity, in $/bbl.
    """
    by_refinery = crudes_by_refinery(d)
    buy = _data(m.Buy)

    def rule(m, r):
        return pyo.inequality(m.crude_min_run_kbd[r], _linear(buy[r, c] for c in by_refinery[r]),
                              m.crude_capacity_kbd[r])

    m.crude_unit_capacity = pyo.Constraint(m.REFINERIES, rule=rule)


def _slate_sums(m: pyo.ConcreteModel, d: ModelData) -> dict[str, dict[str, Any]]:
    """Per refinery, the sums the diet rows and the sulfur plant are stated in, built once per model:

    volume[r] = sum_c Buy[r,c];  mass[r] = sum_c sg[c] Buy[r,c];  sulfur[r] = sum_c sg[c] S[c] Buy[r,c];
    tan[r] = sum_c sg[c] TAN[c] Buy[r,c]

    A Pyomo expression is immutable, so the rows that use one sum share it: at a million nonzeros
    that is some 17 MB of monomials not built twice. The per-crude products sg*S and sg*TAN are built
    once too, so every term has a Param or one shared expression as its coefficient.
    """
    fetched = m.__dict__.setdefault("_fetched", {})
    sums = fetched.get("_slate_sums")
    if sums is None:
        pairs = crudes_by_refinery(d)
        buy, sg = _data(m.Buy), _data(m.crude_sg)
        sulfur, tan = _data(m.crude_sulfur_wt_pct), _data(m.crude_tan_mg_koh_per_g)
        weights = {"mass": sg, "sulfur": {c: sg[c] * sulfur[c] for c in d.CRUDES},
                   "tan": {c: sg[c] * tan[c] for c in d.CRUDES}}
        sums = {"volume": {r: _linear(buy[r, c] for c in pairs[r]) for r in d.REFINERIES}}
        for name, weight in weights.items():
            sums[name] = {r: _linear(_term(weight[c], buy[r, c]) for c in pairs[r]) for r in d.REFINERIES}
        fetched["_slate_sums"] = sums
    return sums


def add_crude_diet(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Crude-diet quality windows per refinery.

    slate_api_min[r]:  sum_c sg[c] Buy[r,c] <= sg(api_min[r]) sum_c Buy[r,c]   (volume-weighted SG)
    slate_api_max[r]:  sum_c sg[c] Buy[r,c] >= sg(api_max[r]) sum_c Buy[r,c]
    slate_sulfur_max[r]: sum_c sg[c] S[c] Buy[r,c] <= S_max[r] sum_c sg[c] Buy[r,c]   (mass-weighted, wt%)
    slate_tan_max[r]:    sum_c sg[c] TAN[c] Buy[r,c] <= TAN_max[r] sum_c sg[c] Buy[r,c] (mass-weighted)

    An API window is stated as the equivalent specific-gravity window: SG blends linearly by volume
    (ideal mixing), API does not. Index: refineries whose limit is given. Each row is a weighted sum
    minus the limit times a sum, as written, over the per-refinery sums of `_slate_sums`.
    """
    sums = _slate_sums(m, d)
    volume, mass, sulfur, tan = sums["volume"], sums["mass"], sums["sulfur"], sums["tan"]

    def limited(column: str) -> list[str]:
        return [r for r in d.REFINERIES if d.refinery[r][column] is not None]

    m.slate_api_min = pyo.Constraint(limited("api_min_deg"),
                                     rule=lambda m, r: mass[r] - m.slate_sg_max[r] * volume[r] <= 0)
    m.slate_api_max = pyo.Constraint(limited("api_max_deg"),
                                     rule=lambda m, r: mass[r] - m.slate_sg_min[r] * volume[r] >= 0)
    m.slate_sulfur_max = pyo.Constraint(limited("sulfur_max_wt_pct"),
                                        rule=lambda m, r: sulfur[r] - m.sulfur_max_wt_pct[r] * mass[r] <= 0)
    m.slate_tan_max = pyo.Constraint(limited("tan_max_mg_koh_per_g"),
                                     rule=lambda m, r: tan[r] - m.tan_max_mg_koh_per_g[r] * mass[r] <= 0)


def add_sulfur_plant(m: pyo.ConcreteModel, d: ModelData) -> None:
    """sulfur_plant[r]:  f[r] * 1000 * 0.158987 * 0.999 / 100 * sum_c sg[c] S[c] Buy[r,c] <= cap_t[r]

    Tonnes of sulfur per day reaching the sulfur plant: barrels/day x m3/bbl x t/m3 x sulfur mass share
    x share of crude sulfur routed to the plant (f = sulfur_to_plant_frac). Index: refineries with a
    sulfur_plant_capacity_t_per_day.
    """
    index = [r for r in d.REFINERIES if d.refinery[r]["sulfur_plant_capacity_t_per_day"] is not None]
    tonnes_per_kbbl = 1000.0 * M3_PER_BBL * WATER_DENSITY_T_PER_M3 / 100.0
    sulfur = _slate_sums(m, d)["sulfur"]
    m.sulfur_plant = pyo.Constraint(index, rule=lambda m, r: m.sulfur_to_plant_frac[r] * tonnes_per_kbbl * sulfur[r]
                                    <= m.sulfur_plant_capacity_t_per_day[r])


def add_stream_balance(m: pyo.ConcreteModel, d: ModelData) -> None:
    """stream_balance[r,s]:  used - made = 0, for every intermediate stream s at refinery r   (kb/d)

        sum_u Feed[r,u,s] + sum_p Blend[r,p,s] + sum_{x: s from r} Transfer[x]
          - sum_c crude_yield[c,s] Buy[r,c] - sum_{u,f} unit_yield[type(u),f,s] Feed[r,u,f]
          - sum_{b: s at r} StreamBuy[b,r] - sum_{x: s to r} Transfer[x] = 0

    Index: every (refinery, intermediate stream) that the refinery's crude unit or units make, its units or
    blends use, or a purchase or transfer brings in or sends out. A purchased or received barrel counts as
    made; a barrel sent to another refinery as used. Streams of kind `loss` have no balance: they leave the
    plant. Stated as used - made so that the dual (margin per unit rise of the right-hand side, i.e. per
    barrel of the stream handed to the refinery for free) is the value of the stream at that refinery, in
    $/bbl.
    """
    made_by_crude: dict[str, list[str]] = {}
    for c, s in d.crude_yield:
        made_by_crude.setdefault(s, []).append(c)
    made_by_unit: dict[tuple[str, str], list[tuple[str, str]]] = {}
    fed: dict[tuple[str, str], list[str]] = {}
    outputs: dict[tuple[str, str], list[str]] = {}  # (unit type, feed) -> streams made
    for ut, ff, s in d.unit_yield:
        outputs.setdefault((ut, ff), []).append(s)
    for r, u, f in d.UNIT_FEEDS:
        fed.setdefault((r, f), []).append(u)
        for s in outputs.get((d.unit_type[(r, u)], f), []):
            made_by_unit.setdefault((r, s), []).append((u, f))
    blended: dict[str, list[str]] = {}
    for p, s in d.COMPONENTS:
        blended.setdefault(s, []).append(p)
    bought: dict[tuple[str, str], list[str]] = {}  # (r, s) -> purchase rows
    for b, r in d.PURCHASE_BUYS:
        bought.setdefault((r, d.purchase_stream[b]), []).append(b)
    sent: dict[tuple[str, str], list[str]] = {}  # (r, s) -> transfers out
    received: dict[tuple[str, str], list[str]] = {}  # (r, s) -> transfers in
    for x in d.TRANSFERS:
        s, a, z = d.transfer_route[x]
        sent.setdefault((a, s), []).append(x)
        received.setdefault((z, s), []).append(x)

    buy, feed, blend = _data(m.Buy), _data(m.Feed), _data(m.Blend)
    crude_yield, unit_yield = _data(m.crude_yield_vol_frac), _data(m.unit_yield_vol_frac)
    stream_buy, transfer = _data(m.StreamBuy), _data(m.Transfer)

    def rule(m, r, s):
        made = _linear(_term(crude_yield[c, s], buy[r, c]) for c in made_by_crude.get(s, [])) + _linear(
            _term(unit_yield[d.unit_type[(r, u)], f, s], feed[r, u, f]) for u, f in made_by_unit.get((r, s), []))
        used = _linear(feed[r, u, s] for u in fed.get((r, s), [])) + _linear(
            blend[r, p, s] for p in blended.get(s, []))
        # trade terms only where there is trade: a plant without it keeps the very rows it had
        if (r, s) in bought or (r, s) in received:
            made = made + _linear([*(stream_buy[b, r] for b in bought.get((r, s), [])),
                                   *(transfer[x] for x in received.get((r, s), []))])
        if (r, s) in sent:
            used = used + _linear(transfer[x] for x in sent[(r, s)])
        if isinstance(made, (int, float)) and isinstance(used, (int, float)):
            return pyo.Constraint.Skip
        return used - made == 0

    m.stream_balance = pyo.Constraint(d.BALANCES, rule=rule)


def add_unit_capacity(m: pyo.ConcreteModel, d: ModelData) -> None:
    """unit_capacity[r,u]:  min_feed_kbd[r,u] <= sum_f Feed[r,u,f] <= capacity_kbd[r,u]   (kb/d)

    Index: every process unit. The dual of the upper side is the value of one more kb/d of the unit's
    capacity, in $/bbl.
    """
    feeds: dict[tuple[str, str], list[str]] = {}
    for r, u, f in d.UNIT_FEEDS:
        feeds.setdefault((r, u), []).append(f)

    def rule(m, r, u):
        return pyo.inequality(m.unit_min_feed_kbd[r, u], _sum(m.Feed[r, u, f] for f in feeds.get((r, u), [])),
                              m.unit_capacity_kbd[r, u])

    m.unit_capacity = pyo.Constraint(d.UNITS, rule=rule)


def add_product_blending(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Product make-up, fixed recipes and blend quality specs, per refinery   (kb/d)

    product_make[r,p]:   Sell[r,p] = sum_s Blend[r,p,s]                        (products without a recipe)
    product_recipe[r,p,s]: Blend[r,p,s] = recipe_vol_frac[p,s] Sell[r,p]        (fixed-proportion products)

    A recipe's shares sum to 1, so its rows already make Sell the sum of the blend; leaving product_make
    out for recipe products keeps the rows independent and their duals unique.
    blend_spec_min[r,p,q]: sum_s (quality[s,q] - min[p,q]) Blend[r,p,s] >= 0      (volume-weighted)
    blend_spec_max[r,p,q]: sum_s (quality[s,q] - max[p,q]) Blend[r,p,s] <= 0

    Stream qualities are fixed numbers (validation refuses specs that would need pooled qualities).
    """
    comps: dict[str, list[str]] = {}
    for p, s in d.COMPONENTS:
        comps.setdefault(p, []).append(s)

    recipe_products = {p for p, _ in d.recipe}
    m.product_make = pyo.Constraint(
        [(r, p) for r in d.REFINERIES for p in d.PRODUCTS if p not in recipe_products],
        rule=lambda m, r, p: m.Sell[r, p] == _sum(m.Blend[r, p, s] for s in comps.get(p, [])))
    recipe_index = [(r, p, s) for r in d.REFINERIES for (p, s) in d.recipe]
    m.product_recipe = pyo.Constraint(
        recipe_index, rule=lambda m, r, p, s: m.Blend[r, p, s] == m.recipe_vol_frac[p, s] * m.Sell[r, p])

    def spec(bound: str):
        index = [(r, p, q) for r in d.REFINERIES for (p, q), limits in d.specs.items()
                 if limits[0 if bound == "min" else 1] is not None]
        limit = m.spec_min_value if bound == "min" else m.spec_max_value

        def rule(m, r, p, q):
            expr = _sum((m.stream_quality[s, q] - limit[p, q]) * m.Blend[r, p, s] for s in comps[p])
            return expr >= 0 if bound == "min" else expr <= 0

        return pyo.Constraint(index, rule=rule)

    m.blend_spec_min = spec("min")
    m.blend_spec_max = spec("max")


def add_product_ratios(m: pyo.ConcreteModel, d: ModelData) -> None:
    """product_ratio_min[r,p,p2]: Sell[r,p] >= min_ratio Sell[r,p2];  product_ratio_max: <= max_ratio Sell[r,p2]

    Index: refineries x rows of product_ratios with that limit given.
    """
    for bound, position in (("min", 0), ("max", 1)):
        index = [(r, p, p2) for r in d.REFINERIES for (p, p2), lim in d.ratios.items() if lim[position] is not None]
        param = m.ratio_min if bound == "min" else m.ratio_max

        def rule(m, r, p, p2, param=param, bound=bound):
            expr = m.Sell[r, p] - param[p, p2] * m.Sell[r, p2]
            return expr >= 0 if bound == "min" else expr <= 0

        setattr(m, f"product_ratio_{bound}", pyo.Constraint(index, rule=rule))


def add_sales_limits(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Market limits   (kb/d)

    product_sales[p]:             min_sales_kbd[p] <= sum_r Sell[r,p] <= max_sales_kbd[p]   (coast-wide)
    refinery_product_sales[r,p]:  min <= Sell[r,p] <= max                                     (product_limits)
    """
    def coast(m, p):
        total = _sum(m.Sell[r, p] for r in d.REFINERIES)
        upper = m.sales_max_kbd[p] if d.product_max_kbd[p] is not None else None
        return pyo.inequality(m.sales_min_kbd[p], total, upper) if upper is not None else total >= m.sales_min_kbd[p]

    m.product_sales = pyo.Constraint(m.PRODUCTS, rule=coast)

    def local(m, r, p):
        upper = m.local_sales_max_kbd[r, p] if d.product_limits[(r, p)][1] is not None else None
        if upper is None:
            return m.Sell[r, p] >= m.local_sales_min_kbd[r, p]
        return pyo.inequality(m.local_sales_min_kbd[r, p], m.Sell[r, p], upper)

    m.refinery_product_sales = pyo.Constraint(list(d.product_limits), rule=local)


def add_crude_supply(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Supply of each grade   (kb/d)

    crude_availability[c]: sum_r Buy[r,c] <= availability_kbd[c]        (grades with a limit)
    crude_tier_split[c]:   sum_r Buy[r,c] = sum_t TierBuy[c,t]          (grades with a supply curve)
    crude_tier_volume[c,t]: TierBuy[c,t] <= tier_volume_kbd[c,t]

    Tranche price adders rise with t (validated), so the LP fills the cheap tranche first.
    """
    buy = _data(m.Buy)
    m.crude_availability = pyo.Constraint(
        list(d.availability_kbd),
        rule=lambda m, c: _linear(buy[r, c] for r in d.REFINERIES) <= m.availability_kbd[c])
    tiers: dict[str, list[int]] = {}
    for c, t in d.tiers:
        tiers.setdefault(c, []).append(t)
    m.crude_tier_split = pyo.Constraint(
        sorted(tiers), rule=lambda m, c: _linear(buy[r, c] for r in d.REFINERIES)
        == _sum(m.TierBuy[c, t] for t in tiers[c]))
    m.crude_tier_volume = pyo.Constraint(list(d.tiers), rule=lambda m, c, t: m.TierBuy[c, t] <= m.tier_volume_kbd[c, t])


def add_logistics(m: pyo.ConcreteModel, d: ModelData) -> None:
    """link_capacity[l]:  sum_{(r,c) routed over l} Buy[r,c] <= link_capacity_kbd[l]   (kb/d)

    Index: links with at least one route.
    """
    index = [l for l, pairs in d.link_pairs.items() if pairs]
    buy = _data(m.Buy)
    m.link_capacity = pyo.Constraint(
        index, rule=lambda m, l: _linear(buy[pair] for pair in d.link_pairs[l]) <= m.link_capacity_kbd[l])


def add_policy_rules(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Sanctions and trade rules over the (refinery, crude) pairs each rule's scope matches   (kb/d)

    policy_cap[k]:   sum_{(r,c) in k} Buy[r,c] <= volume_kbd[k]     (a ban is a cap of 0)
    policy_floor[k]: sum_{(r,c) in k} Buy[r,c] >= volume_kbd[k]

    Tariffs are not constraints: they enter the delivered cost (see the objective). The dual of a cap
    is what the rule costs per kb/d it holds back, in $/bbl.
    """
    caps = [k for k, (kind, _, _) in d.rules.items() if kind in ("cap", "ban")]
    floors = [k for k, (kind, _, _) in d.rules.items() if kind == "floor"]
    buy = _data(m.Buy)
    m.policy_cap = pyo.Constraint(caps, rule=lambda m, k: _linear(buy[pair] for pair in d.rules[k][2])
                                  <= m.rule_volume_kbd[k])
    m.policy_floor = pyo.Constraint(floors, rule=lambda m, k: _linear(buy[pair] for pair in d.rules[k][2])
                                    >= m.rule_volume_kbd[k])


def add_stream_purchase_limit(m: pyo.ConcreteModel, d: ModelData) -> None:
    """stream_purchase_limit[b]:  min_kbd[b] <= sum_{r covered by b} StreamBuy[b,r] <= max_kbd[b]   (kb/d)

    Index: every row of stream_purchases (the upper side only where max_kbd is given). A row names one
    refinery or, left empty, covers every refinery where the stream has a use; the limits bound the total
    over those refineries. The dual of the upper side is what one more kb/d on offer is worth ($/bbl: the
    stream's value where it is bought less its price); of the lower side (a contract minimum), what one kb/d
    less to take would save.
    """
    sites: dict[str, list[str]] = {b: [] for b in d.PURCHASES}
    for b, r in d.PURCHASE_BUYS:
        sites[b].append(r)
    stream_buy = _data(m.StreamBuy)

    def rule(m, b):
        total = _linear(stream_buy[b, r] for r in sites[b])
        if d.purchase_max_kbd[b] is None:
            return total >= m.stream_purchase_min_kbd[b]
        return pyo.inequality(m.stream_purchase_min_kbd[b], total, m.stream_purchase_max_kbd[b])

    m.stream_purchase_limit = pyo.Constraint(d.PURCHASES, rule=rule)


def add_stream_transfer_capacity(m: pyo.ConcreteModel, d: ModelData) -> None:
    """stream_transfer_capacity[x]:  Transfer[x] <= capacity_kbd[x]   (kb/d)

    Index: rows of stream_transfers with a capacity_kbd. The dual is what one more kb/d of the link (pipe,
    barge slot) between the two refineries is worth, in $/bbl: the stream's value at the receiver less its
    value at the sender less the transfer's cost.
    """
    index = [x for x in d.TRANSFERS if d.transfer_capacity_kbd[x] is not None]
    m.stream_transfer_capacity = pyo.Constraint(
        index, rule=lambda m, x: m.Transfer[x] <= m.stream_transfer_capacity_kbd[x])


def add_objective(m: pyo.ConcreteModel, d: ModelData) -> None:
    """margin (kUSD/d) = sum_{r,p} price[p] Sell[r,p]
                       - sum_{r,c} (fob[c] + freight[r,c] + tariff[r,c] + crude_unit_cost[r]) Buy[r,c]
                       - sum_{c,t} adder[c,t] TierBuy[c,t] - sum_{r,u,f} unit_cost[r,u] Feed[r,u,f]
                       - sum_{b,r} stream_price[b] StreamBuy[b,r] - sum_x transfer_cost[x] Transfer[x]

    kb/d times $/bbl is thousand $/d. tariff[r,c] = sum of matching tariff rules: pct/100 x fob + $/bbl.
    A transfer costs only its cost per barrel (charged, in the result tables, to the receiving refinery):
    the barrels it moves carry no internal price.
    """
    buy, delivered = _data(m.Buy), _data(m.crude_delivered_usd_per_bbl)
    pairs = crudes_by_refinery(d)
    expr = (_sum(m.product_price_usd_per_bbl[p] * m.Sell[r, p] for r in d.REFINERIES for p in d.PRODUCTS)
            - _linear(_term(delivered[r, c], buy[r, c]) for r, c in d.PAIRS)
            - _sum(m.crude_unit_cost_usd_per_bbl[r] * _linear(buy[r, c] for c in pairs[r]) for r in d.REFINERIES)
            - _sum(m.tier_adder_usd_per_bbl[c, t] * m.TierBuy[c, t] for c, t in d.tiers)
            - _sum(m.unit_cost_usd_per_bbl[r, u] * m.Feed[r, u, f] for r, u, f in d.UNIT_FEEDS))
    if d.PURCHASE_BUYS:  # trade terms only where there is trade: the objective of a plant without it is unchanged
        expr = expr - _linear(_term(m.stream_purchase_price_usd_per_bbl[b], m.StreamBuy[b, r])
                              for b, r in d.PURCHASE_BUYS)
    if d.TRANSFERS:
        expr = expr - _linear(_term(m.stream_transfer_cost_usd_per_bbl[x], m.Transfer[x]) for x in d.TRANSFERS)
    m.margin = pyo.Objective(expr=expr, sense=pyo.maximize)


FAMILIES = (
    add_crude_unit_capacity,
    add_crude_diet,
    add_sulfur_plant,
    add_stream_balance,
    add_unit_capacity,
    add_product_blending,
    add_product_ratios,
    add_sales_limits,
    add_crude_supply,
    add_logistics,
    add_policy_rules,
    add_stream_purchase_limit,
    add_stream_transfer_capacity,
)

