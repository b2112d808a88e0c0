"""Numbers the model needs, pulled out of a validated instance: sparse index sets and parameters.

No Pyomo here and no file reading. Index letters: r refinery, c crude, s stream, u unit, p product,
q quality, t tier, l link, k policy rule; for stream trade, b a purchase row and x a transfer row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from optimizer.instance import Instance
from optimizer.schema import SCOPE_COLUMNS

WATER_DENSITY_T_PER_M3 = 0.999  # at 15 degC: specific gravity -> density
M3_PER_BBL = 0.158987


def specific_gravity(api_deg: float) -> float:
    return 141.5 / (api_deg + 131.5)


def api_from_sg(sg: float) -> float:
    return 141.5 / sg - 131.5


def _num(value: object) -> float | None:
    """A table number, or None for an empty cell."""
    x = float(value)  # type: ignore[arg-type]
    return None if math.isnan(x) else x


def scope_matches(rule: pd.Series, crudes: pd.DataFrame, refineries: list[str]) -> list[tuple[str, str]]:
    """(refinery, crude) pairs a scoped row (policy or route) applies to; empty scope cells match any."""
    origin, crude, operator = rule.get("origin"), rule.get("crude_id"), rule.get("operator")
    chosen = [c for c, o, op in zip(crudes.index, crudes["origin"], crudes["operator"])
              if (not origin or o == origin) and (not crude or c == crude) and (not operator or op == operator)]
    sites = [rule["refinery_id"]] if rule.get("refinery_id") else refineries
    return [(r, c) for r in sites for c in chosen]


def scope_text(rule: pd.Series) -> str:
    parts = [f"{col}={rule[col]}" for col in SCOPE_COLUMNS if rule.get(col)]
    return ", ".join(parts) if parts else "every crude at every refinery"


@dataclass
class ModelData:
    REFINERIES: list[str]
    CRUDES: list[str]
    PAIRS: list[tuple[str, str]]
    origin: dict[str, str]
    sg: dict[str, float]
    sulfur_wt_pct: dict[str, float]
    tan_mg_koh_per_g: dict[str, float | None]
    fob_usd_per_bbl: dict[str, float]
    freight_usd_per_bbl: dict[tuple[str, str], float]
    tariff_usd_per_bbl: dict[tuple[str, str], float]
    tariff_pct: dict[tuple[str, str], float]  # the ad-valorem part, so a price change can carry its tariff
    crude_yield: dict[tuple[str, str], float]  # (c, s)
    refinery: dict[str, dict[str, float | None]]
    UNITS: list[tuple[str, str]]
    unit_type: dict[tuple[str, str], str]
    unit_capacity_kbd: dict[tuple[str, str], float]
    unit_min_feed_kbd: dict[tuple[str, str], float]
    unit_cost_usd_per_bbl: dict[tuple[str, str], float]
    UNIT_FEEDS: list[tuple[str, str, str]]  # (r, u, feed stream)
    unit_yield: dict[tuple[str, str, str], float]  # (unit_type, feed, product)
    BALANCES: list[tuple[str, str]]  # (r, s) intermediate streams with a balance row
    PRODUCTS: list[str]
    product_price_usd_per_bbl: dict[str, float]
    product_min_kbd: dict[str, float]
    product_max_kbd: dict[str, float | None]
    product_limits: dict[tuple[str, str], tuple[float, float | None]]
    COMPONENTS: list[tuple[str, str]]  # (p, s)
    recipe: dict[tuple[str, str], float]
    quality: dict[tuple[str, str], float]  # (s, q) fixed values
    specs: dict[tuple[str, str], tuple[float | None, float | None]]  # (p, q)
    ratios: dict[tuple[str, str], tuple[float | None, float | None]]
    availability_kbd: dict[str, float]
    tiers: dict[tuple[str, int], tuple[float, float]]  # (c, t) -> (volume, adder)
    link_capacity_kbd: dict[str, float]
    link_pairs: dict[str, list[tuple[str, str]]]
    rules: dict[str, tuple[str, float, list[tuple[str, str]]]]  # k -> (cap|floor|ban, kbd, pairs)
    notes: dict[str, str] = field(default_factory=dict)
    # stream trade: purchases b of a stream at the refineries each row covers, transfers x between two refineries
    PURCHASES: list[str] = field(default_factory=list)
    PURCHASE_BUYS: list[tuple[str, str]] = field(default_factory=list)  # (b, r)
    purchase_stream: dict[str, str] = field(default_factory=dict)
    purchase_price_usd_per_bbl: dict[str, float] = field(default_factory=dict)
    purchase_min_kbd: dict[str, float] = field(default_factory=dict)
    purchase_max_kbd: dict[str, float | None] = field(default_factory=dict)
    TRANSFERS: list[str] = field(default_factory=list)
    transfer_route: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # x -> (stream, from, to)
    transfer_cost_usd_per_bbl: dict[str, float] = field(default_factory=dict)
    transfer_capacity_kbd: dict[str, float | None] = field(default_factory=dict)

    @property
    def trades(self) -> bool:
        """Whether the model buys or moves intermediate streams (the result tables then say so)."""
        return bool(self.PURCHASES or self.TRANSFERS)

    def delivered_usd_per_bbl(self, r: str, c: str) -> float:
        return self.fob_usd_per_bbl[c] + self.freight_usd_per_bbl[(r, c)] + self.tariff_usd_per_bbl[(r, c)]


def fob_prices(instance: Instance) -> dict[str, float]:
    markers = instance.tables["markers"]["price_usd_per_bbl"].to_dict()
    prices = {}
    crudes = instance.tables["crudes"]
    for c, row in zip(crudes.index, crudes.to_dict("records")):
        if row["marker_id"]:
            prices[c] = markers[row["marker_id"]] + (_num(row["differential_usd_per_bbl"]) or 0.0)
        else:
            prices[c] = float(row["price_usd_per_bbl"])
    return prices


def fixed_qualities(instance: Instance) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], set[float]]]:
    """Fixed (stream, quality) values, and the crude-dependent ones (several values: pooled)."""
    given = instance.tables["stream_qualities"]
    fixed = {(s, q): float(v) for s, q, v in zip(given["stream_id"], given["quality_id"], given["value"])}
    makers: dict[str, set[str]] = {}
    yields = instance.tables["crude_yields"]
    for c, s, y in zip(yields["crude_id"], yields["stream_id"], yields["yield_vol_frac"]):
        if y > 0:
            makers.setdefault(s, set()).add(c)
    by_cut: dict[tuple[str, str], dict[str, float]] = {}
    for _, row in instance.tables["cut_qualities"].iterrows():
        by_cut.setdefault((row["stream_id"], row["quality_id"]), {})[row["crude_id"]] = float(row["value"])
    pooled: dict[tuple[str, str], set[float]] = {}
    for key, values in by_cut.items():
        crudes = makers.get(key[0], set())
        distinct = {values.get(c, math.nan) for c in crudes}
        if len(distinct) == 1 and not any(math.isnan(v) for v in distinct) and key not in fixed:
            fixed[key] = distinct.pop()
        elif key not in fixed:
            pooled[key] = distinct
    return fixed, pooled


def _unit_types(instance: Instance) -> dict[str, frozenset[str]]:
    """Per refinery: the types of its process units."""
    units = instance.tables["units"]
    types: dict[str, set[str]] = {r: set() for r in instance.tables["refineries"].index}
    for r, unit_type in zip(units["refinery_id"], units["unit_type"]):
        types.setdefault(r, set()).add(unit_type)
    return {r: frozenset(t) for r, t in types.items() if r in instance.tables["refineries"].index}


def produced_streams(instance: Instance) -> dict[str, set[str]]:
    """Per refinery: streams its crude unit and (transitively) its process units can make."""
    crude_yields = instance.tables["crude_yields"]
    cuts = set(crude_yields["stream_id"][crude_yields["yield_vol_frac"] > 0])
    yields = instance.tables["unit_yields"]
    making = [(t, f, s) for t, f, s, y in zip(yields["unit_type"], yields["feed_stream_id"],
                                              yields["product_stream_id"], yields["yield_vol_frac"]) if y > 0]
    by_types: dict[frozenset[str], set[str]] = {}
    result = {}
    for r, types in _unit_types(instance).items():
        if types not in by_types:
            made = set(cuts)
            while True:
                new = {s for t, f, s in making if t in types and f in made}
                if new <= made:
                    break
                made |= new
            by_types[types] = made
        result[r] = set(by_types[types])
    return result


def consumed_streams(instance: Instance) -> dict[str, set[str]]:
    """Per refinery: streams its units take as feed or its products blend."""
    yields = instance.tables["unit_yields"]
    blended = set(instance.tables["blend_components"]["stream_id"])
    feeds = list(zip(yields["unit_type"], yields["feed_stream_id"]))
    by_types: dict[frozenset[str], set[str]] = {}
    result = {}
    for r, types in _unit_types(instance).items():
        if types not in by_types:
            by_types[types] = blended | {f for t, f in feeds if t in types}
        result[r] = set(by_types[types])
    return result


@dataclass
class StreamReach:
    """Where each stream can go and come from once stream trade is counted, per refinery.

    demand[r]: streams with a use at r: a unit feed or blend component there, or a transfer that sends it on
    to a refinery where it has a use. supply[r]: streams r can have: made there (crude unit, units), bought
    there, or received from a refinery that has it. covered[b]: the refineries purchase row b may buy at (its
    refinery, or, left empty, every refinery where the stream has a use). Rows naming an unknown stream or
    refinery are left out (validation reports them)."""

    demand: dict[str, set[str]]
    supply: dict[str, set[str]]
    covered: dict[str, list[str]]
    transfers: dict[str, tuple[str, str, str]]  # x -> (stream, from, to), known ids only


def stream_reach(instance: Instance, made: dict[str, set[str]] | None = None,
                 used: dict[str, set[str]] | None = None) -> StreamReach:
    t = instance.tables
    refineries = list(t["refineries"].index)
    streams = set(t["streams"].index)
    made = produced_streams(instance) if made is None else made
    used = consumed_streams(instance) if used is None else used
    moves = t["stream_transfers"]
    transfers = {x: (s, a, b) for x, s, a, b in zip(moves.index, moves["stream_id"], moves["from_refinery_id"],
                                                    moves["to_refinery_id"])
                 if s in streams and a in made and b in made}
    demand = {r: set(used.get(r, ())) for r in refineries}
    changed = True
    while changed:  # a stream sent on to where it has a use has a use where it is sent from
        changed = False
        for s, a, b in transfers.values():
            if s in demand[b] and s not in demand[a]:
                demand[a].add(s)
                changed = True
    covered: dict[str, list[str]] = {}
    buys = t["stream_purchases"]
    for b, s, r in zip(buys.index, buys["stream_id"], buys["refinery_id"]):
        if s not in streams or (r and r not in made):
            continue
        covered[b] = [r] if r else [q for q in refineries if s in demand[q]]
    supply = {r: set(made.get(r, ())) for r in refineries}
    for b, sites in covered.items():
        for r in sites:
            supply[r].add(buys.at[b, "stream_id"])
    changed = True
    while changed:  # a stream received from a refinery that has it is had where it is received
        changed = False
        for s, a, b in transfers.values():
            if s in supply[a] and s not in supply[b]:
                supply[b].add(s)
                changed = True
    return StreamReach(demand, supply, covered, transfers)


def derive(instance: Instance) -> ModelData:
    """Model parameters from a validated instance."""
    t = instance.tables
    refineries = list(t["refineries"].index)
    crude_rows = t["crudes"]
    crudes = list(crude_rows.index)
    pairs = [(r, c) for r in refineries for c in crudes]
    fob = fob_prices(instance)

    base_freight = crude_rows["freight_usd_per_bbl"].astype(float).to_dict()
    freight = {(r, c): base_freight[c] for r, c in pairs}
    f = t["freight"]
    for r, c, x in zip(f["refinery_id"], f["crude_id"], f["freight_usd_per_bbl"]):
        freight[(r, c)] = float(x)

    tariff = {pair: 0.0 for pair in pairs}
    tariff_pct = {pair: 0.0 for pair in pairs}
    rules: dict[str, tuple[str, float, list[tuple[str, str]]]] = {}
    for k, rule in t["policies"].iterrows():
        matched = scope_matches(rule, crude_rows, refineries)
        if rule["kind"] == "tariff":
            pct, usd = _num(rule["tariff_pct"]) or 0.0, _num(rule["tariff_usd_per_bbl"]) or 0.0
            for r, c in matched:
                tariff_pct[(r, c)] += pct
                tariff[(r, c)] += pct / 100.0 * fob[c] + usd
        elif rule["kind"] == "ban":
            rules[k] = ("ban", 0.0, matched)
        else:
            rules[k] = (rule["kind"], float(rule["volume_kbd"]), matched)

    unit_rows = t["units"]
    by_key = {(row["refinery_id"], row["unit_id"]): row for row in unit_rows.to_dict("records")}
    units = list(by_key)
    yields = t["unit_yields"]
    unit_yield = {(ut, f, s): float(y) for ut, f, s, y in zip(yields["unit_type"], yields["feed_stream_id"],
                                                              yields["product_stream_id"], yields["yield_vol_frac"])}
    feeds_of: dict[str, list[str]] = {}
    for ut, f, _ in unit_yield:
        if f not in feeds_of.setdefault(ut, []):
            feeds_of[ut].append(f)
    unit_feeds = [(r, u, f) for r, u in units for f in feeds_of.get(by_key[(r, u)]["unit_type"], [])]

    kinds = t["streams"]["kind"].to_dict()
    made = produced_streams(instance)
    used = consumed_streams(instance)
    reach = stream_reach(instance, made, used)
    purchase_rows = t["stream_purchases"]
    purchases = [b for b in purchase_rows.index if reach.covered.get(b)]
    purchase_buys = [(b, r) for b in purchases for r in reach.covered[b]]
    traded = {(r, purchase_rows.at[b, "stream_id"]) for b, r in purchase_buys}
    for s, a, b in reach.transfers.values():
        traded.update(((a, s), (b, s)))
    balances = [(r, s) for r in refineries for s in t["streams"].index
                if kinds[s] == "intermediate" and (s in made[r] or s in used[r] or (r, s) in traded)]
    transfer_rows = t["stream_transfers"]

    products = list(t["products"].index)
    components = [(row["product_id"], row["stream_id"]) for _, row in t["blend_components"].iterrows()]
    recipe = {(row["product_id"], row["stream_id"]): float(row["recipe_vol_frac"])
              for _, row in t["blend_components"].iterrows() if _num(row["recipe_vol_frac"]) is not None}
    fixed, _ = fixed_qualities(instance)

    tiers = {(row["crude_id"], int(row["tier"])): (float(row["volume_kbd"]), float(row["price_adder_usd_per_bbl"]))
             for _, row in t["crude_tiers"].iterrows()}

    link_pairs: dict[str, list[tuple[str, str]]] = {l: [] for l in t["links"].index}
    seen: dict[str, set[tuple[str, str]]] = {l: set() for l in link_pairs}
    for _, route in t["routes"].iterrows():
        for pair in scope_matches(route, crude_rows, refineries):
            if pair not in seen[route["link_id"]]:
                seen[route["link_id"]].add(pair)
                link_pairs[route["link_id"]].append(pair)

    refinery_params = {
        r: {col: _num(row[col]) for col in (
            "crude_capacity_kbd", "crude_min_run_kbd", "crude_unit_cost_usd_per_bbl", "api_min_deg", "api_max_deg",
            "sulfur_max_wt_pct", "tan_max_mg_koh_per_g", "sulfur_plant_capacity_t_per_day", "sulfur_to_plant_frac")}
        for r, row in zip(t["refineries"].index, t["refineries"].to_dict("records"))
    }
    return ModelData(
        REFINERIES=refineries,
        CRUDES=crudes,
        PAIRS=pairs,
        origin=crude_rows["origin"].to_dict(),
        sg={c: specific_gravity(float(api)) for c, api in crude_rows["api_deg"].items()},
        sulfur_wt_pct=crude_rows["sulfur_wt_pct"].astype(float).to_dict(),
        tan_mg_koh_per_g={c: _num(tan) for c, tan in crude_rows["tan_mg_koh_per_g"].items()},
        fob_usd_per_bbl=fob,
        freight_usd_per_bbl=freight,
        tariff_usd_per_bbl=tariff,
        tariff_pct=tariff_pct,
        crude_yield={(c, s): float(y) for c, s, y in zip(t["crude_yields"]["crude_id"], t["crude_yields"]["stream_id"],
                                                         t["crude_yields"]["yield_vol_frac"])},
        refinery=refinery_params,
        UNITS=units,
        unit_type={k: by_key[k]["unit_type"] for k in units},
        unit_capacity_kbd={k: float(by_key[k]["capacity_kbd"]) for k in units},
        unit_min_feed_kbd={k: float(by_key[k]["min_feed_kbd"]) for k in units},
        unit_cost_usd_per_bbl={k: float(by_key[k]["operating_cost_usd_per_bbl"]) for k in units},
        UNIT_FEEDS=unit_feeds,
        unit_yield=unit_yield,
        BALANCES=balances,
        PRODUCTS=products,
        product_price_usd_per_bbl=t["products"]["price_usd_per_bbl"].astype(float).to_dict(),
        product_min_kbd=t["products"]["min_sales_kbd"].astype(float).to_dict(),
        product_max_kbd={p: _num(v) for p, v in t["products"]["max_sales_kbd"].items()},
        product_limits={(row["refinery_id"], row["product_id"]): (float(row["min_sales_kbd"]),
                                                                  _num(row["max_sales_kbd"]))
                        for _, row in t["product_limits"].iterrows()},
        COMPONENTS=components,
        recipe=recipe,
        quality=fixed,
        specs={(row["product_id"], row["quality_id"]): (_num(row["min_value"]), _num(row["max_value"]))
               for _, row in t["blend_specs"].iterrows()},
        ratios={(row["product_id"], row["ref_product_id"]): (_num(row["min_ratio"]), _num(row["max_ratio"]))
                for _, row in t["product_ratios"].iterrows()},
        availability_kbd={c: float(v) for c, v in crude_rows["availability_kbd"].items() if not math.isnan(v)},
        tiers=tiers,
        link_capacity_kbd=t["links"]["capacity_kbd"].astype(float).to_dict(),
        link_pairs=link_pairs,
        rules=rules,
        PURCHASES=purchases,
        PURCHASE_BUYS=purchase_buys,
        purchase_stream={b: purchase_rows.at[b, "stream_id"] for b in purchases},
        purchase_price_usd_per_bbl={b: float(purchase_rows.at[b, "price_usd_per_bbl"]) for b in purchases},
        purchase_min_kbd={b: float(purchase_rows.at[b, "min_kbd"]) for b in purchases},
        purchase_max_kbd={b: _num(purchase_rows.at[b, "max_kbd"]) for b in purchases},
        TRANSFERS=list(reach.transfers),
        transfer_route=dict(reach.transfers),
        transfer_cost_usd_per_bbl={x: float(transfer_rows.at[x, "cost_usd_per_bbl"]) for x in reach.transfers},
        transfer_capacity_kbd={x: _num(transfer_rows.at[x, "capacity_kbd"]) for x in reach.transfers},
    )
