"""Infeasibility in plant terms: which constraint families, and which of their rows, make a plan impossible.

A first, cheap diagnosis: drop one family at a time and re-solve; for each family whose removal makes
the plan feasible, drop its rows one at a time (up to a limit) to name the refinery, crude, unit,
product or rule involved. Each message says what would have to give.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.data import ModelData
from optimizer.model import CONSTRAINT_INDEX, build_model
from optimizer.solve import OPTIMAL, UNBOUNDED, _solver, _STATUS

MAX_ROWS_TRIED = 60

FAMILY_WORDS = {
    "crude_unit_capacity": "the crude-unit capacity or minimum run",
    "slate_api_min": "the minimum slate API (heaviest diet allowed)",
    "slate_api_max": "the maximum slate API (lightest diet allowed)",
    "slate_sulfur_max": "the maximum slate sulfur",
    "slate_tan_max": "the maximum slate TAN",
    "sulfur_plant": "the sulfur-plant capacity",
    "stream_balance": "the stream balance (every barrel made must be used)",
    "unit_capacity": "a process unit's capacity or minimum feed",
    "product_make": "the product make-up",
    "product_recipe": "a fixed product recipe",
    "blend_spec_min": "a minimum blend specification",
    "blend_spec_max": "a maximum blend specification",
    "product_ratio_min": "a minimum ratio between products",
    "product_ratio_max": "a maximum ratio between products",
    "product_sales": "the coast-wide sales limits of a product",
    "refinery_product_sales": "a refinery's sales limits of a product",
    "crude_availability": "the availability of a crude",
    "crude_tier_split": "the supply-curve split of a crude",
    "crude_tier_volume": "the size of a supply-curve tranche",
    "link_capacity": "a pipeline or dock capacity",
    "policy_cap": "a policy cap or ban",
    "policy_floor": "a policy floor (minimum volume)",
}


def describe(family: str, index: object) -> str:
    keys = index if isinstance(index, tuple) else (index,)
    names = CONSTRAINT_INDEX[family]
    where = ", ".join(f"{n.removesuffix('_id')} {k}" for n, k in zip(names, keys))
    return f"{FAMILY_WORDS[family]} ({where})"


def _feasible(m: pyo.ConcreteModel, time_limit: float | None) -> bool:
    results = _solver(time_limit).solve(m)
    return _STATUS.get(results.termination_condition) in (OPTIMAL, UNBOUNDED)


def diagnose_infeasible(d: ModelData, time_limit: float | None = None) -> list[str]:
    """Sentences naming what has to give for a feasible plan; empty if nothing single explains it."""
    m = build_model(d)
    lines = []
    for family in CONSTRAINT_INDEX:
        block = getattr(m, family)
        if len(block) == 0:
            continue
        block.deactivate()
        feasible = _feasible(m, time_limit)
        block.activate()
        if not feasible:
            continue
        culprits = []
        if len(block) <= MAX_ROWS_TRIED:
            for index in list(block.keys()):
                block[index].deactivate()
                if _feasible(m, time_limit):
                    culprits.append(describe(family, index))
                block[index].activate()
        if culprits:
            lines.extend(f"relaxing {c} alone would make a plan possible" for c in culprits)
        else:
            lines.append(f"relaxing {FAMILY_WORDS[family]} (several rows together) would make a plan possible")
    return lines
