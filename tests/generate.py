"""A deterministic random Gulf-Coast-like instance in the project's CSV format, for formulation tests.

    python tests/generate.py OUT_FOLDER [--seed 7] [--refineries 30] [--crudes 40]

`generate(folder, seed, n_refineries, n_crudes)` writes refineries with diet windows and sulfur plants;
crudes priced off markers (heavier and sourer = cheaper) with API-driven cut yields, TAN, availabilities,
supply tiers and freight; vacuum / coker / FCC / reformer / hydrocracker / diesel-hydrotreater units with
per-feed yields; eight products with blend specs on fixed-quality streams, a fixed recipe (bunker), a
premium/regular ratio, coast-wide and per-refinery sales limits; pipelines and docks with routes; bans,
caps, a floor and tariffs; stream trade: imported resid offered to every refinery (a coast-wide cargo
limit), VGO cargoes to single refineries (one under a contract minimum), and resid and VGO passed from
plants without a coker or FCC to plants with one, over lines with and without a capacity. Everything is
drawn from one seeded numpy Generator, so a seed is an instance (the trade is drawn last: the rest of
the instance is what it was before the trade was added).

Feasibility by construction: every stream has an outlet without a spec it fails (naphtha, fuel oil,
LPG), so running nothing is feasible except for the few small minimum runs (10 % of capacity, only where
three unrestricted crudes each meet every diet limit alone), the jet minimum sales, the Canadian
contract floor and the VGO contract minimum (at a refinery free to sell VGO as fuel oil), which are
sized well inside what the plants and supplies allow. (The sulfur plant could
still refuse a minimum run in principle: seeds 1-10 at 30 x 40 are checked feasible by the tests' author.)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

try:
    from instance_builder import write_instance
except ImportError:  # tests/ made a package
    from tests.instance_builder import write_instance

ORIGINS = {  # origin: (marker, relative weight, operators)
    "USA": ("WTI", 5, ["Various"]),
    "Canada": ("WTI", 6, ["Suncor", "Cenovus", "CNRL"]),
    "Mexico": ("WTI", 3, ["Pemex"]),
    "Venezuela": ("WTI", 4, ["PDVSA", "Chevron"]),
    "Colombia": ("Brent", 3, ["Ecopetrol"]),
    "Ecuador": ("Brent", 2, ["Petroecuador"]),
    "Iraq": ("Dubai", 2, ["SOMO"]),
    "Saudi_Arabia": ("Dubai", 2, ["Aramco"]),
    "Brazil": ("Brent", 2, ["Petrobras"]),
    "Guyana": ("Brent", 1, ["ExxonMobil"]),
}
CUTS = ("lpg", "lt_naphtha", "hv_naphtha", "kero", "diesel", "atres")
PROCESS_STREAMS = ("vgo", "vac_resid", "coker_naphtha", "coker_gasoil", "fcc_gasoline", "fcc_lpg", "lco", "slurry",
                   "reformate", "ulsd")
UNIT_TYPES = {  # type: (probability a refinery has one, capacity as share of crude capacity, opex range)
    "vacuum": (0.85, (0.30, 0.55), (0.5, 1.5)),
    "coker": (0.5, (0.10, 0.30), (3.0, 6.0)),
    "fcc": (0.7, (0.20, 0.40), (2.0, 4.0)),
    "reformer": (0.8, (0.08, 0.18), (2.0, 4.0)),
    "hydrocracker": (0.3, (0.08, 0.20), (4.0, 7.0)),
    "dht": (0.7, (0.10, 0.30), (1.0, 2.5)),
}
UNIT_YIELDS = {  # (type, feed): {product: volume yield}; sums between 1 and 1.25, losses explicit
    ("vacuum", "atres"): {"vgo": 0.52, "vac_resid": 0.48},
    ("coker", "vac_resid"): {"coker_naphtha": 0.12, "coker_gasoil": 0.38, "coke": 0.32, "loss": 0.18},
    ("coker", "atres"): {"coker_naphtha": 0.08, "coker_gasoil": 0.45, "coke": 0.20, "loss": 0.27},
    ("fcc", "vgo"): {"fcc_gasoline": 0.56, "fcc_lpg": 0.18, "lco": 0.18, "slurry": 0.08, "loss": 0.05},
    ("fcc", "coker_gasoil"): {"fcc_gasoline": 0.45, "fcc_lpg": 0.14, "lco": 0.26, "slurry": 0.12, "loss": 0.06},
    ("reformer", "hv_naphtha"): {"reformate": 0.84, "loss": 0.16},
    ("reformer", "coker_naphtha"): {"reformate": 0.78, "loss": 0.22},
    ("hydrocracker", "vgo"): {"ulsd": 0.55, "kero": 0.25, "hv_naphtha": 0.25},
    ("hydrocracker", "lco"): {"ulsd": 0.80, "hv_naphtha": 0.28},
    ("dht", "diesel"): {"ulsd": 1.0},
    ("dht", "lco"): {"ulsd": 1.02},
    ("dht", "coker_gasoil"): {"ulsd": 1.03},
}
PRODUCTS = {  # product: (price $/bbl, components); bunker is a fixed recipe
    "lpg_prod": (42.0, ["lpg", "fcc_lpg"]),
    "naphtha": (68.0, ["lt_naphtha", "hv_naphtha", "coker_naphtha"]),
    "regular": (90.0, ["lt_naphtha", "hv_naphtha", "reformate", "fcc_gasoline", "coker_naphtha"]),
    "premium": (99.0, ["lt_naphtha", "reformate", "fcc_gasoline"]),
    "jet": (96.0, ["kero"]),
    "diesel": (98.0, ["diesel", "ulsd", "kero", "lco", "coker_gasoil"]),
    "fuel_oil": (60.0, ["atres", "vac_resid", "vgo", "slurry", "lco", "diesel", "coker_gasoil", "kero"]),
    "bunker": (63.0, ["vac_resid", "lco", "slurry"]),
}
RECIPES = {"bunker": {"vac_resid": 0.6, "lco": 0.25, "slurry": 0.15}}
QUALITIES = {  # quality: {stream: fixed value}
    "octane": {"lt_naphtha": 70, "hv_naphtha": 60, "reformate": 98, "fcc_gasoline": 91, "coker_naphtha": 65},
    "rvp_psi": {"lt_naphtha": 12.0, "hv_naphtha": 2.0, "reformate": 4.0, "fcc_gasoline": 7.0, "coker_naphtha": 8.0},
    "sulfur_ppm": {"diesel": 1500, "ulsd": 10, "kero": 400, "lco": 2500, "coker_gasoil": 3000},
    "cetane": {"diesel": 50, "ulsd": 52, "kero": 44, "lco": 25, "coker_gasoil": 35},
    "fo_sulfur_wt_pct": {"atres": 2.5, "vac_resid": 3.8, "vgo": 1.8, "slurry": 2.0, "lco": 0.3, "diesel": 0.15,
                         "coker_gasoil": 2.2, "kero": 0.05},
}
SPECS = [  # product, quality, min, max
    ("regular", "octane", 87.0, None), ("regular", "rvp_psi", None, 9.0),
    ("premium", "octane", 92.0, None), ("premium", "rvp_psi", None, 9.0),
    ("diesel", "sulfur_ppm", None, 500.0), ("diesel", "cetane", 42.0, None),
    ("fuel_oil", "fo_sulfur_wt_pct", None, 3.0),
]
MARKERS = {"WTI": 70.0, "Brent": 74.0, "Dubai": 72.5}


def _opt(rng: np.random.Generator, p: float, value: float) -> float | None:
    return round(float(value), 4) if rng.random() < p else None


def generate(folder: str | Path, seed: int = 7, n_refineries: int = 30, n_crudes: int = 40) -> Path:
    """Write the instance for `seed` into `folder` and return the folder."""
    rng = np.random.default_rng(seed)
    refineries, capacity = [], {}
    for i in range(1, n_refineries + 1):
        r = f"R{i:02d}"
        cap = float(rng.uniform(80, 600))
        capacity[r] = cap
        refineries.append({
            "refinery_id": r, "name": f"Refinery {i}", "crude_capacity_kbd": round(cap, 3),
            "crude_min_run_kbd": 0.0,  # set below, once the crudes are known
            "crude_unit_cost_usd_per_bbl": round(float(rng.uniform(0.5, 2.0)), 3),
            "api_min_deg": _opt(rng, 0.6, rng.uniform(22, 28)),
            "api_max_deg": _opt(rng, 0.4, rng.uniform(34, 40)),
            "sulfur_max_wt_pct": _opt(rng, 0.6, rng.uniform(1.5, 3.0)),
            "tan_max_mg_koh_per_g": _opt(rng, 0.3, rng.uniform(0.5, 1.2)),
            # ~2.9 t/d of sulfur per kb/d of a 2 % crude; some plants are short of that
            "sulfur_plant_capacity_t_per_day": _opt(rng, 0.7, cap * 2.9 * rng.uniform(0.4, 1.0)),
            "sulfur_to_plant_frac": round(float(rng.uniform(0.6, 0.9)), 3),
        })

    origins = list(ORIGINS)
    weights = np.array([ORIGINS[o][1] for o in origins], dtype=float)
    crudes, crude_yields, tiers, crude_origin = [], [], [], {}
    for j in range(1, n_crudes + 1):
        c = f"C{j:02d}"
        origin = origins[int(rng.choice(len(origins), p=weights / weights.sum()))]
        crude_origin[c] = origin
        marker, _, operators = ORIGINS[origin]
        api = float(rng.uniform(12, 45))
        sulfur = float(np.clip(5.5 - 0.11 * api + rng.normal(0, 0.5), 0.05, 5.5))
        tan = float(np.clip(0.04 * (40 - api) + rng.exponential(0.3), 0.02, 3.0))
        diff = -0.35 * (35 - api) - 1.2 * sulfur + rng.normal(0, 1.5)
        row = {"crude_id": c, "name": f"Grade {j}", "origin": origin, "operator": str(rng.choice(operators)),
               "api_deg": round(api, 2), "sulfur_wt_pct": round(sulfur, 3), "tan_mg_koh_per_g": round(tan, 3),
               "freight_usd_per_bbl": round(float(rng.uniform(0.5, 4.0)), 3),
               "availability_kbd": _opt(rng, 0.7, rng.uniform(40, 400))}
        if rng.random() < 0.85:
            row.update(marker_id=marker, differential_usd_per_bbl=round(diff, 3))
        else:
            row.update(price_usd_per_bbl=round(MARKERS[marker] + diff, 3))
        crudes.append(row)
        x = float(np.clip((api - 10) / 40, 0.02, 0.95))
        shares = np.array([0.01 + 0.03 * x, 0.03 + 0.12 * x, 0.05 + 0.12 * x, 0.06 + 0.08 * x, 0.10 + 0.10 * x])
        shares *= rng.uniform(0.85, 1.15, size=shares.size)
        shares = np.round(shares, 4)
        loss = 0.01
        for cut, share in zip(CUTS, [*shares, 1.0 - shares.sum() - loss]):
            crude_yields.append({"crude_id": c, "stream_id": cut, "yield_vol_frac": round(float(share), 6)})
        crude_yields.append({"crude_id": c, "stream_id": "loss", "yield_vol_frac": loss})
        if rng.random() < 0.25:
            adder = 0.0
            for t in range(1, int(rng.integers(2, 4)) + 1):
                tiers.append({"crude_id": c, "tier": t, "volume_kbd": round(float(rng.uniform(30, 150)), 3),
                              "price_adder_usd_per_bbl": round(adder, 3)})
                adder += float(rng.uniform(0.5, 3.0))

    # A minimum run only where at least three unrestricted crudes each meet every diet limit on their own.
    free = [row for row in crudes if row["origin"] not in ("Venezuela", "Iraq", "Saudi_Arabia", "Canada")]
    for ref in refineries:
        wanted = rng.random() < 0.15

        def fits(row: dict, ref: dict = ref) -> bool:
            return ((ref["api_min_deg"] is None or row["api_deg"] >= ref["api_min_deg"])
                    and (ref["api_max_deg"] is None or row["api_deg"] <= ref["api_max_deg"])
                    and (ref["sulfur_max_wt_pct"] is None or row["sulfur_wt_pct"] <= ref["sulfur_max_wt_pct"])
                    and (ref["tan_max_mg_koh_per_g"] is None or row["tan_mg_koh_per_g"] <= ref["tan_max_mg_koh_per_g"]))

        if wanted and sum(map(fits, free)) >= 3:
            ref["crude_min_run_kbd"] = round(0.1 * ref["crude_capacity_kbd"], 3)

    streams = [{"stream_id": s, "kind": "intermediate"} for s in (*CUTS, *PROCESS_STREAMS)]
    streams += [{"stream_id": "loss", "kind": "loss"}, {"stream_id": "coke", "kind": "loss"}]

    units = []
    for r, cap in capacity.items():
        for unit_type, (p, (lo, hi), (c_lo, c_hi)) in UNIT_TYPES.items():
            if rng.random() < p:
                units.append({"refinery_id": r, "unit_id": f"{unit_type}1", "unit_type": unit_type,
                              "capacity_kbd": round(cap * float(rng.uniform(lo, hi)), 3),
                              "operating_cost_usd_per_bbl": round(float(rng.uniform(c_lo, c_hi)), 3)})
    unit_yields = [{"unit_type": t, "feed_stream_id": f, "product_stream_id": s, "yield_vol_frac": y}
                   for (t, f), out in UNIT_YIELDS.items() for s, y in out.items()]

    total_cap = sum(capacity.values())
    products = [{"product_id": p, "price_usd_per_bbl": price} for p, (price, _) in PRODUCTS.items()]
    for row in products:
        if row["product_id"] == "lpg_prod":
            row["max_sales_kbd"] = round(0.02 * total_cap, 3)
        if row["product_id"] == "naphtha":
            row["max_sales_kbd"] = round(0.04 * total_cap, 3)
        if row["product_id"] == "jet":
            row["min_sales_kbd"] = round(0.01 * total_cap, 3)
    blend_components = [{"product_id": p, "stream_id": s, "recipe_vol_frac": RECIPES.get(p, {}).get(s)}
                        for p, (_, comps) in PRODUCTS.items() for s in comps]
    qualities = [{"quality_id": q} for q in QUALITIES]
    stream_qualities = [{"stream_id": s, "quality_id": q, "value": v} for q, vals in QUALITIES.items()
                        for s, v in vals.items()]
    blend_specs = [{"product_id": p, "quality_id": q, "min_value": lo, "max_value": hi} for p, q, lo, hi in SPECS]
    product_ratios = [{"product_id": "premium", "ref_product_id": "regular", "min_ratio": 0.15, "max_ratio": 0.45}]
    product_limits = []
    for r in rng.choice(list(capacity), size=max(1, n_refineries // 5), replace=False):
        product_limits.append({"refinery_id": str(r), "product_id": "fuel_oil", "min_sales_kbd": 0.0,
                               "max_sales_kbd": round(0.05 * capacity[str(r)], 3)})
    for r in rng.choice(list(capacity), size=max(1, n_refineries // 10), replace=False):
        product_limits.append({"refinery_id": str(r), "product_id": "diesel", "min_sales_kbd": 0.0,
                               "max_sales_kbd": round(0.15 * capacity[str(r)], 3)})

    crude_ids = [row["crude_id"] for row in crudes]
    freight = []
    for r in capacity:
        for c in crude_ids:
            if rng.random() < 0.1:
                freight.append({"crude_id": c, "refinery_id": r,
                                "freight_usd_per_bbl": round(float(rng.uniform(0.2, 6.0)), 3)})

    refinery_ids = list(capacity)
    links = [
        {"link_id": "canada_pipe", "capacity_kbd": round(0.12 * total_cap, 3)},
        {"link_id": "loop_terminal", "capacity_kbd": round(0.05 * total_cap, 3)},
        {"link_id": "ship_channel", "capacity_kbd": round(0.5 * sum(capacity[r] for r in refinery_ids[:6]), 3)},
        {"link_id": "lake_charles_dock", "capacity_kbd": round(0.4 * sum(capacity[r] for r in refinery_ids[6:10]), 3)},
    ]
    some_origin = set(crude_origin.values())
    routes = [
        *({"route_id": f"rt_{o.lower()}", "link_id": link, "origin": o}
          for o, link in (("Canada", "canada_pipe"), ("Saudi_Arabia", "loop_terminal"), ("Iraq", "loop_terminal"))
          if o in some_origin),
        *({"route_id": f"rt_hsc_{r}", "link_id": "ship_channel", "refinery_id": r} for r in refinery_ids[:6]),
        *({"route_id": f"rt_lc_{r}", "link_id": "lake_charles_dock", "refinery_id": r} for r in refinery_ids[6:10]),
    ]
    policies = []
    if "Venezuela" in some_origin:
        policies.append({"rule_id": "ven_licence", "kind": "cap", "origin": "Venezuela",
                         "volume_kbd": round(0.03 * total_cap, 3), "description": "licensed volume"})
        for r in refinery_ids[-3:]:
            policies.append({"rule_id": f"ven_ban_{r}", "kind": "ban", "origin": "Venezuela", "refinery_id": r})
    if "Iraq" in some_origin:
        policies.append({"rule_id": "hormuz_cap", "kind": "cap", "origin": "Iraq", "volume_kbd": 20.0})
    if "Mexico" in some_origin:
        policies.append({"rule_id": "mx_tariff", "kind": "tariff", "origin": "Mexico", "tariff_usd_per_bbl": 2.0})
        policies.append({"rule_id": "pemex_cap", "kind": "cap", "operator": "Pemex",
                         "volume_kbd": round(0.04 * total_cap, 3)})
    if "Canada" in some_origin:
        policies.append({"rule_id": "ca_tariff", "kind": "tariff", "origin": "Canada", "tariff_pct": 10.0})
        policies.append({"rule_id": "ca_contract", "kind": "floor", "origin": "Canada", "volume_kbd": 25.0})
    big = crude_ids[int(rng.integers(len(crude_ids)))]
    policies.append({"rule_id": "grade_cap", "kind": "cap", "crude_id": big, "refinery_id": refinery_ids[0],
                     "volume_kbd": 10.0})

    # stream trade, drawn last
    has = {(u["refinery_id"], u["unit_type"]) for u in units}
    fuel_oil_limited = {row["refinery_id"] for row in product_limits if row["product_id"] == "fuel_oil"}
    stream_purchases = [{"purchase_id": "imported_resid", "stream_id": "vac_resid", "refinery_id": None,
                         "price_usd_per_bbl": round(float(rng.uniform(56, 62)), 3),
                         "max_kbd": round(0.03 * total_cap, 3), "source": "generated"}]
    with_fcc = [r for r in refinery_ids if (r, "fcc") in has]
    for i, r in enumerate(rng.choice(with_fcc, size=min(3, len(with_fcc)), replace=False).tolist()):
        stream_purchases.append({"purchase_id": f"vgo_cargo_{r}", "stream_id": "vgo", "refinery_id": r,
                                 "price_usd_per_bbl": round(float(rng.uniform(64, 72)), 3),
                                 "max_kbd": round(0.1 * capacity[r], 3) if i != 1 else None, "source": "generated"})
    free_to_sell = [r for r in refinery_ids if r not in fuel_oil_limited]
    if free_to_sell:
        r = free_to_sell[int(rng.integers(len(free_to_sell)))]
        stream_purchases.append({"purchase_id": f"vgo_contract_{r}", "stream_id": "vgo", "refinery_id": r,
                                 "price_usd_per_bbl": round(float(rng.uniform(68, 74)), 3), "min_kbd": 5.0,
                                 "max_kbd": 20.0, "source": "generated"})
    stream_transfers = []
    senders = {"vac_resid": [r for r in refinery_ids if (r, "vacuum") in has and (r, "coker") not in has],
               "vgo": [r for r in refinery_ids if (r, "vacuum") in has and (r, "fcc") not in has]}
    receivers = {"vac_resid": [r for r in refinery_ids if (r, "coker") in has], "vgo": with_fcc}
    for stream, short in (("vac_resid", "resid"), ("vgo", "vgo")):
        for k in range(min(4, len(senders[stream]), len(receivers[stream]))):
            a = senders[stream][k]
            z = receivers[stream][int(rng.integers(len(receivers[stream])))]
            stream_transfers.append({"transfer_id": f"{short}_{a}_to_{z}_{k}", "stream_id": stream,
                                     "from_refinery_id": a, "to_refinery_id": z,
                                     "cost_usd_per_bbl": round(float(rng.uniform(0.3, 2.0)), 3),
                                     "capacity_kbd": round(float(rng.uniform(5, 40)), 3) if k != 2 else None,
                                     "source": "generated"})

    tables = {
        "refineries": refineries,
        "markers": [{"marker_id": m, "price_usd_per_bbl": p} for m, p in MARKERS.items()],
        "crudes": crudes, "crude_tiers": tiers, "streams": streams, "crude_yields": crude_yields,
        "qualities": qualities, "stream_qualities": stream_qualities, "units": units, "unit_yields": unit_yields,
        "products": products, "product_limits": product_limits, "blend_components": blend_components,
        "blend_specs": blend_specs, "product_ratios": product_ratios, "freight": freight, "links": links,
        "routes": routes, "policies": policies, "stream_purchases": stream_purchases,
        "stream_transfers": stream_transfers,
    }
    toml = (f'name = "generated_{seed}"\n'
            f'description = "Random instance: seed {seed}, {n_refineries} refineries x {n_crudes} crudes '
            f'(tests/generate.py)."\n')
    return write_instance(folder, tables, toml)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--refineries", type=int, default=30)
    parser.add_argument("--crudes", type=int, default=40)
    args = parser.parse_args(argv)
    print(generate(args.folder, args.seed, args.refineries, args.crudes))


if __name__ == "__main__":
    main()
