"""Why this plan, and why no plan, in the words a planner uses.

Feasible: the binding limits ranked by what a 1 % relaxation of each is worth per day (one scale for
capacities, quality limits and rules alike; a limit of 0, such as a ban, counts 1 kb/d), each said in
a sentence with its marginal value in the limit's own unit, the range over which that value holds,
and what the limit holds back: a re-solve with the limit relaxed a little names the crudes that
would move ("that is why Merey 16 stops at 106.5 kb/d"). Where the optimum is degenerate at a limit,
the value of one unit more and of one unit less differ; both are measured by re-solving and said.

Infeasible: an irreducible infeasible subsystem from HiGHS (strategy "from LP" refined to an
irreducible set: drop any one member and the rest can hold; `--iis fast` skips the refinement, and
the set may then hold more than it needs), each member mapped back to the instance (file, row,
column) and to the scenario overrides that touched it. `--elastic` prices slack on every soft limit,
in percent of the limit (a 10 % larger coker costs as much as a 10 % wider sulfur limit), and reports
the cheapest relaxation that makes a plan, in the limit's own unit. Bans are legal rules and stay
hard unless `--soften-bans` is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimizer.data import ModelData, api_from_sg, derive, scope_text, specific_gravity
from optimizer.instance import Instance
from optimizer.model import CONSTRAINT_INDEX, build_model
from optimizer.paths import matching_rows, parse_override
from optimizer.ranging import LIMIT_FAMILIES, RowRange, bound_step, limit_terms, plan_sums
from optimizer.results import write_atomic
from optimizer.run import resolve_all
from optimizer.solve import EXIT_CODES, INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, OPTIMAL, SlateSolver, _solver, pyomo_status
from optimizer.validate import load_instance

DEFINITIONS = ("stream_balance", "product_make", "product_recipe", "crude_tier_split")  # not limits: never soft
SOFT = tuple(f for f in CONSTRAINT_INDEX if f not in DEFINITIONS)
VOLUME_FAMILIES = ("crude_unit_capacity", "unit_capacity", "product_sales", "refinery_product_sales",
                   "crude_availability", "crude_tier_volume", "link_capacity", "policy_cap", "policy_floor",
                   "stream_purchase_limit", "stream_transfer_capacity")
ELASTIC_PENALTY_KUSD_PER_PCT = 1e4  # per 1 % of a limit relaxed: far above any margin it could buy
IIS_EXACT = int(highspy.IisStrategy.kIisStrategyFromLp) | int(highspy.IisStrategy.kIisStrategyIrreducible)
IIS_FAST = int(highspy.IisStrategy.kIisStrategyFromLp)  # a conflicting set, not reduced to an irreducible one
IIS_STRATEGIES = {"exact": IIS_EXACT, "fast": IIS_FAST}
DUAL_ZERO = 1e-7
WORTH_ZERO_KUSD_PER_DAY = 0.05  # limits whose 1 % relaxation is worth less are not printed (still in the CSV)
STEP_FRACTION = 1e-4  # a one-sided value is measured over a step of this share of the bound (at least this much)
MOVER_KBD = 1e-3  # crude moves smaller than this per unit of relaxation are not named


@dataclass
class Source:
    table: str
    row_id: str
    column: str

    def where(self, instance: Instance) -> str:
        file, line = instance.origin(self.table, self.row_id)
        if line:
            return f"{file} row {line}, column {self.column}"
        if file == self.table:  # no row in the instance (a table the instance does not have)
            return f"{file}.csv, column {self.column}"
        return f"{file}, column {self.column}"


def _keys(index: Any) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def source_of(family: str, index: Any, side: str, instance: Instance | None = None) -> list[Source]:
    """The input cells that set a constraint row's bound."""
    k = _keys(index)
    upper = side in ("upper", "equality")
    joined = "/".join(map(str, k))
    tail = "/".join(map(str, k[1:]))
    by_refinery = {"crude_unit_capacity": "crude_capacity_kbd" if upper else "crude_min_run_kbd",
                   "slate_api_min": "api_min_deg", "slate_api_max": "api_max_deg",
                   "slate_sulfur_max": "sulfur_max_wt_pct", "slate_tan_max": "tan_max_mg_koh_per_g",
                   "sulfur_plant": "sulfur_plant_capacity_t_per_day"}
    if family in by_refinery:
        return [Source("refineries", k[0], by_refinery[family])]
    if family == "crude_tier_split":  # the crude's supply curve: every tranche of it
        tiers = instance.tables["crude_tiers"] if instance is not None else None
        ids = [row for row in tiers.index if str(tiers.at[row, "crude_id"]) == str(k[0])] if tiers is not None else []
        return [Source("crude_tiers", row, "volume_kbd") for row in ids] or [Source("crude_tiers", joined, "crude_id")]
    table_row = {
        "stream_balance": ("streams", str(k[-1]), "kind"),
        "unit_capacity": ("units", joined, "capacity_kbd" if upper else "min_feed_kbd"),
        "product_make": ("products", str(k[-1]), "product_id"),
        "product_recipe": ("blend_components", tail, "recipe_vol_frac"),
        "blend_spec_min": ("blend_specs", tail, "min_value"),
        "blend_spec_max": ("blend_specs", tail, "max_value"),
        "product_ratio_min": ("product_ratios", tail, "min_ratio"),
        "product_ratio_max": ("product_ratios", tail, "max_ratio"),
        "product_sales": ("products", joined, "max_sales_kbd" if upper else "min_sales_kbd"),
        "refinery_product_sales": ("product_limits", joined, "max_sales_kbd" if upper else "min_sales_kbd"),
        "crude_availability": ("crudes", joined, "availability_kbd"),
        "crude_tier_volume": ("crude_tiers", joined, "volume_kbd"),
        "link_capacity": ("links", joined, "capacity_kbd"),
        "policy_cap": ("policies", joined, "volume_kbd"),
        "policy_floor": ("policies", joined, "volume_kbd"),
        "stream_purchase_limit": ("stream_purchases", joined, "max_kbd" if upper else "min_kbd"),
        "stream_transfer_capacity": ("stream_transfers", joined, "capacity_kbd"),
    }[family]
    return [Source(*table_row)]


def overrides_touching(instance: Instance, source: Source) -> list[str]:
    """The scenario overrides (and --set values) that changed this cell."""
    touched = []
    for applied in instance.applied:
        text = applied.split(": ", 1)[-1].removeprefix("--set ")
        override = parse_override(text, "", [])
        if override is None or override.path.table != source.table or override.path.column != source.column:
            continue
        if source.row_id in matching_rows(instance, override.path):
            touched.append(applied)
    return touched


def _name(instance: Instance, table: str, row_id: str) -> str:
    frame = instance.tables[table]
    if "name" in frame.columns and row_id in frame.index and frame.at[row_id, "name"]:
        return f"{frame.at[row_id, 'name']} ({row_id})"
    return row_id


def _crude(instance: Instance, crude: str) -> str:
    frame = instance.tables["crudes"]
    if "name" in frame.columns and crude in frame.index and frame.at[crude, "name"]:
        return str(frame.at[crude, "name"])
    return crude


def _purchase(instance: Instance, d: ModelData, b: str) -> str:
    """'imported_resid (resid at any refinery)' / '... at Port Arthur (pa)'."""
    r = instance.tables["stream_purchases"].at[b, "refinery_id"] if b in instance.tables["stream_purchases"].index \
        else ""
    where = f"at {_name(instance, 'refineries', r)}" if r else "at any refinery"
    return f"{_name(instance, 'streams', d.purchase_stream[b])} bought under {b} {where}"


def _transfer(instance: Instance, d: ModelData, x: str) -> str:
    s, a, z = d.transfer_route[x]
    return (f"{_name(instance, 'streams', s)} sent from {_name(instance, 'refineries', a)} to "
            f"{_name(instance, 'refineries', z)} ({x})")


def describe_row(instance: Instance, d: ModelData, family: str, index: Any, side: str) -> str:
    """The constraint in plant words (what is at its limit)."""
    k = _keys(index)
    ref = _name(instance, "refineries", k[0]) if CONSTRAINT_INDEX[family][0] == "refinery_id" else ""
    at_min = side == "lower"
    if family == "crude_unit_capacity":
        return f"the crude unit at {ref} is at its {'minimum run' if at_min else 'capacity'}"
    if family == "unit_capacity":
        unit = f"{d.unit_type[(k[0], k[1])]} unit {k[1]}"
        return f"the {unit} at {ref} is {'at its minimum feed' if at_min else 'full'}"
    if family == "slate_api_min":
        return f"the crude slate at {ref} is as heavy as allowed (API {d.refinery[k[0]]['api_min_deg']:g} minimum)"
    if family == "slate_api_max":
        return f"the crude slate at {ref} is as light as allowed (API {d.refinery[k[0]]['api_max_deg']:g} maximum)"
    if family == "slate_sulfur_max":
        return f"the crude slate at {ref} is at its sulfur limit ({d.refinery[k[0]]['sulfur_max_wt_pct']:g} wt%)"
    if family == "slate_tan_max":
        return f"the crude slate at {ref} is at its acidity limit (TAN {d.refinery[k[0]]['tan_max_mg_koh_per_g']:g})"
    if family == "sulfur_plant":
        return f"the sulfur plant at {ref} is full"
    if family in ("blend_spec_min", "blend_spec_max"):
        bound = "minimum" if family.endswith("min") else "maximum"
        low, high = d.specs[(k[1], k[2])]
        level = low if family.endswith("min") else high
        return f"{_name(instance, 'products', k[1])} at {ref} is blended exactly to its {bound} {k[2]} of {level:g}"
    if family in ("product_ratio_min", "product_ratio_max"):
        return (f"at {ref} the ratio of {_name(instance, 'products', k[1])} to {_name(instance, 'products', k[2])} "
                f"is at its {'minimum' if family.endswith('min') else 'maximum'}")
    if family == "product_sales":
        limit = "minimum" if at_min else "market limit"
        return f"coast sales of {_name(instance, 'products', k[0])} are at their {limit}"
    if family == "refinery_product_sales":
        return f"sales of {_name(instance, 'products', k[1])} at {ref} are at their {'minimum' if at_min else 'limit'}"
    if family == "crude_availability":
        return f"all the {_name(instance, 'crudes', k[0])} on offer is taken"
    if family == "crude_tier_volume":
        return f"tranche {k[1]} of {_name(instance, 'crudes', k[0])}'s supply curve is used up"
    if family == "link_capacity":
        return f"{_name(instance, 'links', k[0])} is full"
    if family in ("policy_cap", "policy_floor"):
        rule = instance.tables["policies"].loc[k[0]] if k[0] in instance.tables["policies"].index else None
        what = f" ({rule['description']})" if rule is not None and rule["description"] else ""
        kind = "ban" if d.rules[k[0]][0] == "ban" else ("cap" if family == "policy_cap" else "floor")
        return f"policy {kind} {k[0]}{what} binds"
    if family == "stream_purchase_limit":
        if at_min:
            return f"the {_purchase(instance, d, k[0])} is at its contract minimum"
        return f"all the {_purchase(instance, d, k[0])} on offer is taken"
    if family == "stream_transfer_capacity":
        return f"the line for {_transfer(instance, d, k[0])} is full"
    if family == "stream_balance":
        return f"every barrel of {k[1]} made at {ref} must be used"
    return f"{family} {', '.join(map(str, k))}"


def describe_limit(instance: Instance, d: ModelData, family: str, index: Any, side: str) -> str:
    """The limit itself (for a conflict), where `describe_row` says that it binds (for a plan)."""
    k = _keys(index)
    ref = _name(instance, "refineries", k[0]) if CONSTRAINT_INDEX[family][0] == "refinery_id" else ""
    at_min = side == "lower"
    limit = "at least" if at_min else "at most"
    if family == "crude_unit_capacity":
        value = d.refinery[k[0]]["crude_min_run_kbd" if at_min else "crude_capacity_kbd"]
        return f"the crude unit at {ref} must run {limit} {value:g} kb/d"
    if family == "unit_capacity":
        value = d.unit_min_feed_kbd[(k[0], k[1])] if at_min else d.unit_capacity_kbd[(k[0], k[1])]
        return f"the {d.unit_type[(k[0], k[1])]} unit {k[1]} at {ref} takes {limit} {value:g} kb/d"
    if family == "crude_availability":
        return f"at most {d.availability_kbd[k[0]]:g} kb/d of {_name(instance, 'crudes', k[0])} is on offer"
    if family in ("policy_cap", "policy_floor"):
        kind, volume, _ = d.rules[k[0]]
        rule = instance.tables["policies"].loc[k[0]]
        what = f" ({rule['description']})" if rule["description"] else ""
        if kind == "ban":
            return f"policy ban {k[0]}{what} forbids {scope_text(rule)}"
        words = "at most" if kind == "cap" else "at least"
        return f"policy {kind} {k[0]}{what} allows {words} {volume:g} kb/d of {scope_text(rule)}"
    if family == "product_sales":
        value = d.product_min_kbd[k[0]] if at_min else d.product_max_kbd[k[0]]
        return f"coast sales of {_name(instance, 'products', k[0])} must be {limit} {value:g} kb/d"
    if family == "refinery_product_sales":
        low, high = d.product_limits[(k[0], k[1])]
        return (f"sales of {_name(instance, 'products', k[1])} at {ref} must be {limit} "
                f"{(low if at_min else high):g} kb/d")
    if family in ("slate_api_min", "slate_api_max"):
        api = d.refinery[k[0]]["api_min_deg" if family == "slate_api_min" else "api_max_deg"]
        return f"the crude slate at {ref} must be {'at least' if family == 'slate_api_min' else 'at most'} API {api:g}"
    if family == "slate_sulfur_max":
        return f"the crude slate at {ref} may hold at most {d.refinery[k[0]]['sulfur_max_wt_pct']:g} wt% sulfur"
    if family == "slate_tan_max":
        return f"the crude slate at {ref} may have a TAN of at most {d.refinery[k[0]]['tan_max_mg_koh_per_g']:g}"
    if family == "sulfur_plant":
        return (f"the sulfur plant at {ref} takes at most "
                f"{d.refinery[k[0]]['sulfur_plant_capacity_t_per_day']:g} t/d of sulfur")
    if family in ("blend_spec_min", "blend_spec_max"):
        low, high = d.specs[(k[1], k[2])]
        words, level = ("at least", low) if family.endswith("min") else ("at most", high)
        return f"{_name(instance, 'products', k[1])} at {ref} must have {words} {level:g} {k[2]}"
    if family in ("product_ratio_min", "product_ratio_max"):
        low, high = d.ratios[(k[1], k[2])]
        words, level = ("at least", low) if family.endswith("min") else ("at most", high)
        return (f"at {ref}, {_name(instance, 'products', k[1])} must be {words} {level:g} x "
                f"{_name(instance, 'products', k[2])}")
    if family == "crude_tier_volume":
        return (f"tranche {k[1]} of {_name(instance, 'crudes', k[0])}'s supply curve holds at most "
                f"{d.tiers[(k[0], k[1])][0]:g} kb/d")
    if family == "crude_tier_split":
        return f"what is bought of {_name(instance, 'crudes', k[0])} must come from its supply tranches"
    if family == "link_capacity":
        return f"{_name(instance, 'links', k[0])} carries at most {d.link_capacity_kbd[k[0]]:g} kb/d"
    if family == "stream_purchase_limit":
        if at_min:
            return f"at least {d.purchase_min_kbd[k[0]]:g} kb/d of {_purchase(instance, d, k[0])} must be taken"
        return f"at most {d.purchase_max_kbd[k[0]]:g} kb/d of {_purchase(instance, d, k[0])} is on offer"
    if family == "stream_transfer_capacity":
        return f"at most {d.transfer_capacity_kbd[k[0]]:g} kb/d of {_transfer(instance, d, k[0])} can be moved"
    if family == "stream_balance":
        traded = any(d.purchase_stream[b] == k[1] and r == k[0] for b, r in d.PURCHASE_BUYS) or any(
            s == k[1] and k[0] in (a, z) for s, a, z in d.transfer_route.values())
        if traded:
            return (f"every barrel of {k[1]} made, bought or received at {ref} must be used or sent on, and every "
                    "barrel used or sent made, bought or received")
        return f"every barrel of {k[1]} made at {ref} must be used, and every barrel used made"
    if family == "product_make":
        return f"{_name(instance, 'products', k[1])} sold at {ref} must be blended from its components"
    if family == "product_recipe":
        return f"{_name(instance, 'products', k[1])} at {ref} is made to its fixed recipe ({k[2]})"
    return describe_row(instance, d, family, index, side)


# -- feasible: the binding limits -------------------------------------------------------------------


def _unit_words(family: str, terms: Any) -> str:
    if terms is not None:
        return terms.unit
    return "t/d of sulfur" if family == "sulfur_plant" else "kb/d"


def _relax_sign(side: str, dual: float) -> int:
    """+1 when relaxing the limit raises its bound (an upper limit), -1 when it lowers it (a lower limit)."""
    if side == "upper":
        return 1
    if side == "lower":
        return -1
    return 1 if dual > 0 else -1


@dataclass
class Binding:
    family: str
    index: Any
    row: int
    side: str
    dual: float
    rng: RowRange
    terms: Any  # LimitTerms for diet, spec and ratio rows
    relax_value: float  # d(margin)/d(relaxation), per unit of the limit (kb/d, t/d, deg API, wt%, ...)
    tighten_value: float  # d(margin lost)/d(tightening), same unit
    one_pct: float  # 1 % of the limit in its unit (1 kb/d for a limit of 0)
    worth: float  # kUSD/d a 1 % relaxation is worth


def _per_limit_unit(family: str, terms: Any, rate_per_row_unit: float, d: ModelData, index: Any) -> float:
    """A rate per unit of the row's bound as a rate per unit of the limit (both as 'relaxing')."""
    if terms is None:
        return rate_per_row_unit
    if family in ("slate_api_min", "slate_api_max"):
        api = terms.limit
        return rate_per_row_unit * terms.per_row_unit * 141.5 / (api + 131.5) ** 2
    return rate_per_row_unit * terms.per_row_unit


def _rows_of(solver: SlateSolver) -> dict[tuple[str, Any], int]:
    return {(s.name, key): s.start + i for s in solver.constraint_slices() for i, key in enumerate(s.keys)}


def binding_limits(solver: SlateSolver, res: Any, d: ModelData) -> list[Binding]:
    """Every binding soft limit with its value both ways, in the limit's unit."""
    rows = _rows_of(solver)
    sums = plan_sums(d, res.values)
    out = []
    assert res.ranging is not None
    for family in SOFT:
        for index, dual in res.duals.get(family, {}).items():
            rng = res.ranging.rows[family][index]
            if abs(dual) <= DUAL_ZERO or rng.side == "none":
                continue
            if family in VOLUME_FAMILIES and rng.side == "lower" and (rng.bound or 0.0) <= 0.0:
                continue  # a minimum of 0 on a volume: nothing below it to relax to
            terms = limit_terms(d, sums, family, index, dual, rng)
            if terms is not None and math.isnan(terms.marginal_value):
                continue  # nothing flows through it (e.g. a spec on a product not made)
            row = rows[(family, index)]
            sign = _relax_sign(rng.side, dual)
            relax = tighten = abs(dual)  # per row unit, both ways, when the dual is unique
            if not rng.unique:
                relax, tighten = _one_sided(solver, row, rng, sign)
            scale = abs(_per_limit_unit(family, terms, 1.0, d, index))
            relax_value, tighten_value = relax * scale, tighten * scale
            if terms is not None:
                limit = terms.limit
            elif family == "sulfur_plant":
                limit = d.refinery[_keys(index)[0]]["sulfur_plant_capacity_t_per_day"] or 0.0
            else:
                limit = rng.bound or 0.0
            one_pct = 0.01 * abs(limit) if limit else 1.0
            out.append(Binding(family, index, row, rng.side, dual, rng, terms, relax_value, tighten_value, one_pct,
                               relax_value * one_pct))
    return out


def _step_size(rng: RowRange) -> float:
    return STEP_FRACTION * max(1.0, abs(rng.bound or 0.0))


def _one_sided(solver: SlateSolver, row: int, rng: RowRange, sign: int) -> tuple[float, float]:
    """(value per row unit of relaxing, of tightening) by re-solving a small step each way (HiGHS's dual at a
    degenerate bound is only one of the values between them)."""
    delta = _step_size(rng)
    side = rng.side if rng.side != "equality" else ("upper" if sign > 0 else "lower")
    relax = bound_step(solver, row, "equality" if rng.side == "equality" else side, sign * delta)
    tighten = bound_step(solver, row, "equality" if rng.side == "equality" else side, -sign * delta)
    # a step into infeasibility (tightening a floor past what is on offer) has no value: infinitely costly
    relax_value = abs(relax.dual_after) if relax.status == OPTIMAL else 0.0
    tighten_value = abs(tighten.dual_after) if tighten.status == OPTIMAL else math.inf
    return relax_value, tighten_value


def _movers(instance: Instance, d: ModelData, solver: SlateSolver, change: np.ndarray, refinery: str | None,
            per: float) -> list[tuple[str, str, float]]:
    """(refinery, crude, kb/d moved per unit of relaxation) of the largest crude moves, at one refinery or all."""
    assert solver.model is not None
    buy = next(v for v in solver.variable_columns() if v.name == "Buy")
    moves: dict[str, float] = {}
    where: dict[str, str] = {}
    for (r, c), j in zip(buy.keys, buy.columns.tolist()):
        if refinery is not None and r != refinery:
            continue
        moves[c] = moves.get(c, 0.0) + change[j] / per
        where.setdefault(c, r)
    ranked = sorted(((c, x) for c, x in moves.items() if abs(x) > MOVER_KBD), key=lambda item: -abs(item[1]))
    return [(where[c], c, x) for c, x in ranked[:3]]


def _holds_back(instance: Instance, d: ModelData, solver: SlateSolver, res: Any, b: Binding) -> tuple[str, str]:
    """(the causal clause, the movers as text) from re-solving with the limit relaxed a little."""
    sign = _relax_sign(b.side, b.dual)
    room = (b.rng.valid_to - (b.rng.bound or 0.0)) if sign > 0 else ((b.rng.bound or 0.0) - b.rng.valid_from)
    delta = _step_size(b.rng)
    if room > 2 * delta:  # inside the validity range the plan moves linearly: any step there gives the rate
        delta = min(room / 2, 1.0)
    step = bound_step(solver, b.row, b.side, sign * delta)
    if step.status != OPTIMAL:
        return "", ""
    per_unit = delta / abs(_per_limit_unit(b.family, b.terms, 1.0, d, b.index))  # the step in the limit's unit
    refinery = _keys(b.index)[0] if CONSTRAINT_INDEX[b.family][0] == "refinery_id" else None
    moved = _movers(instance, d, solver, step.plan_change, refinery, per_unit)
    unit = _unit_words(b.family, b.terms)
    if not moved:
        return "; relaxing it changes how the crude is processed, not the slate", ""
    lead_r, lead_c, lead_x = moved[0]
    now = sum(res.values["Buy"][(r, lead_c)] for r in d.REFINERIES if refinery is None or r == refinery)
    at = "" if refinery is not None else " on the coast"
    verb = "stops at" if lead_x > 0 else "is held at"
    parts = [f"{abs(x):.2f} kb/d {'more' if x > 0 else 'less'} {_crude(instance, c)}" for _, c, x in moved]
    relaxed = "more" if sign > 0 else "less"
    clause = (f"; that is why {_crude(instance, lead_c)} {verb} {now:,.1f} kb/d{at}: each {unit} {relaxed} "
              f"would take {', '.join(parts)}")
    return clause, "; ".join(f"{c} {x:+.3f}" for _, c, x in moved)


def _value_words(b: Binding) -> tuple[str, str]:
    """(what one unit of relaxation is worth, over what range it holds) in the limit's unit."""
    unit = _unit_words(b.family, b.terms)
    more = "more" if _relax_sign(b.side, b.dual) > 0 else "less"
    if b.family == "sulfur_plant":
        value = f"one more t/d of sulfur capacity is worth ${b.relax_value * 1000:,.0f}/d"
    elif b.terms is not None:
        value = f"{b.one_pct:.3g} {unit} {more} is worth {b.worth:,.1f} kUSD/d"
    elif b.side == "lower":
        value = f"one kb/d less is worth ${b.relax_value:,.2f}/bbl"
    else:
        value = f"one more kb/d is worth ${b.relax_value:,.2f}/bbl"
    if b.terms is not None:
        lo, hi = b.terms.valid_from, b.terms.valid_to
        holds = f" (holds from about {lo:,.2f} to {hi:,.2f} {unit})" if math.isfinite(lo) or math.isfinite(hi) else ""
    else:
        holds = f" (holds from {b.rng.valid_from:,.1f} to {b.rng.valid_to:,.1f} {unit})"
    if not b.rng.unique:
        per = "/bbl" if b.terms is None and b.family != "sulfur_plant" else f" per {unit}"
        fmt = (lambda x: "nothing" if x < 1e-9 else ("no finite amount" if math.isinf(x) else f"${x:,.2f}{per}"))
        less = "less" if more == "more" else "more"
        holds = (f"; degenerate here: one {unit} {more} is worth {fmt(b.relax_value)}, one {unit} {less} costs "
                 f"{fmt(b.tighten_value)}")
    return value, holds


def explain_optimal(instance: Instance, d: ModelData, top: int) -> pd.DataFrame:
    solver = SlateSolver()
    res = solver.solve(d, with_ranging=True)
    limits = sorted(binding_limits(solver, res, d), key=lambda b: (-b.worth, b.family, str(b.index)))
    rows = []
    for rank, b in enumerate(limits, start=1):
        shown = rank <= top and b.worth >= WORTH_ZERO_KUSD_PER_DAY
        clause, movers = _holds_back(instance, d, solver, res, b) if shown else ("", "")
        value, holds = _value_words(b)
        limit = describe_row(instance, d, b.family, b.index, b.side)
        sentence = f"{limit}; {value}{holds}{clause}."
        source = source_of(b.family, b.index, b.side, instance)[0]
        rows.append({"family": b.family, **dict(zip(CONSTRAINT_INDEX[b.family], _keys(b.index))),
                     "binding_side": b.side, "marginal_value": b.dual,
                     "limit_unit": _unit_words(b.family, b.terms),
                     "value_of_relaxing_per_limit_unit": b.relax_value,
                     "value_of_tightening_per_limit_unit": b.tighten_value,
                     "worth_of_1pct_relaxation_kusd_per_day": b.worth,
                     "bound_valid_from": b.rng.valid_from, "bound_valid_to": b.rng.valid_to,
                     "limit_valid_from": b.terms.valid_from if b.terms is not None else math.nan,
                     "limit_valid_to": b.terms.valid_to if b.terms is not None else math.nan,
                     "dual_unique": b.rng.unique, "crudes_moved_per_unit_relaxed_kbd": movers,
                     "input": source.where(instance), "limit": limit,
                     "sentence": sentence[0].upper() + sentence[1:], "printed": shown})
    table = pd.DataFrame(rows)
    if len(table):
        table.insert(0, "rank", range(1, len(table) + 1))
    click.echo(f"Scenario {instance.scenario}: optimal, margin {res.objective_kusd_per_day:,.1f} kUSD/d. "
               f"Binding limits, by what a 1% relaxation is worth:")
    for row in table[table["printed"]].itertuples() if len(table) else []:
        click.echo(f"  {row.rank:>2}. {row.sentence}")
    if res.ranging is not None and res.ranging.zero_reduced_costs_off_basis:
        click.echo(f"  Note: {res.ranging.zero_reduced_costs_off_basis} columns or rows are at a zero reduced cost "
                   "off the basis: other plans may earn the same margin (crudeslate value gives the volume "
                   "range of each crude over them).")
    printed = table[table["printed"]] if len(table) else table
    named = list(dict.fromkeys(printed["refinery_id"])) if "refinery_id" in printed else []
    # the refineries of the limits printed, in their order (a limit of no refinery, such as a stream transfer or a
    # crude's availability, has an empty cell: NaN once the rows are a table)
    for r in [r for r in named if isinstance(r, str) and r]:
        taken = sorted(((res.values["Buy"][(r, c)], c) for c in d.CRUDES if res.values["Buy"][(r, c)] > 1e-6),
                       reverse=True)
        mine = table[(table["refinery_id"] == r) & (table["worth_of_1pct_relaxation_kusd_per_day"]
                                                   >= WORTH_ZERO_KUSD_PER_DAY)] if "refinery_id" in table else table[:0]
        if taken and len(mine):
            run = sum(v for v, _ in taken)
            crudes = ", ".join(f"{_crude(instance, c)} {v:.1f}" for v, c in taken[:5])
            click.echo(f"  At {_name(instance, 'refineries', r)} ({run:.1f} kb/d: {crudes}) the slate is set by: "
                       + "; ".join(mine["limit"].head(3)) + ".")
    return table


# -- infeasible: the conflict and the cheapest way out ---------------------------------------------


def iis_rows(solver: SlateSolver, strategy: int = IIS_EXACT) -> list[tuple[str, Any, str]]:
    """(family, index, side) of the rows of an infeasible subsystem of the last (infeasible) solve: irreducible
    with the default strategy, a conflicting set that may hold more than it needs with IIS_FAST."""
    highs = solver.highs
    assert highs is not None
    highs.setOptionValue("iis_strategy", strategy)
    status, iis = highs.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return []
    out = []
    for i, bound in zip(iis.row_index_, iis.row_bound_):
        family, index = solver.row_key(i)
        side = {2: "lower", 3: "upper"}.get(int(bound), "equality" if solver.row_is_equality(i) else "upper")
        out.append((family, index, side))
    return out


@dataclass
class Relaxation:
    family: str
    index: Any
    side: str  # "upper" (raise it) or "lower" (lower it)
    slack: float  # in the row's unit
    limit: float  # the limit as written, in its unit
    relaxed: float  # the limit that makes the plan possible, in its unit
    unit: str


def _elastic_scale(d: ModelData, family: str, index: Any) -> tuple[float, float, str]:
    """(the limit in its unit, row units per unit of the limit at the refinery's crude capacity, the unit):
    the penalty is priced per 1 % of the limit in the limit's own unit."""
    k = _keys(index)
    if family in ("slate_api_min", "slate_api_max", "slate_sulfur_max", "slate_tan_max", "blend_spec_min",
                  "blend_spec_max", "product_ratio_min", "product_ratio_max"):
        capacity = d.refinery[k[0]]["crude_capacity_kbd"] or 1.0
        if family in ("slate_api_min", "slate_api_max"):
            api = d.refinery[k[0]]["api_min_deg" if family == "slate_api_min" else "api_max_deg"] or 0.0
            return api, capacity * 141.5 / (api + 131.5) ** 2, "deg API"
        if family in ("slate_sulfur_max", "slate_tan_max"):
            column = "sulfur_max_wt_pct" if family == "slate_sulfur_max" else "tan_max_mg_koh_per_g"
            return d.refinery[k[0]][column] or 0.0, capacity * 0.9, "wt%" if "sulfur" in family else "mg KOH/g"
        if family.startswith("blend_spec"):
            low, high = d.specs[(k[1], k[2])]
            return (low if family.endswith("min") else high) or 0.0, capacity, k[2]
        low, high = d.ratios[(k[1], k[2])]
        return (low if family.endswith("min") else high) or 0.0, capacity, "ratio"
    if family == "sulfur_plant":
        return d.refinery[k[0]]["sulfur_plant_capacity_t_per_day"] or 0.0, 1.0, "t/d of sulfur"
    return math.nan, 1.0, "kb/d"  # volume rows: the limit is the row's own bound


def elastic(d: ModelData, soften_bans: bool = False) -> list[Relaxation]:
    """The cheapest relaxation of soft limits that makes a plan: slack priced per 1 % of each limit."""
    m = build_model(d)
    slacks = []
    m.ElasticSlack = pyo.VarList(domain=pyo.NonNegativeReals)
    m.elastic_rows = pyo.ConstraintList()
    penalty = []
    for family in SOFT:
        for index, con in getattr(m, family).items():
            if family == "policy_cap" and d.rules[_keys(index)[0]][0] == "ban" and not soften_bans:
                continue  # a ban is a legal rule: not relaxed unless asked
            lower, body, upper = con.lower, con.body, con.upper
            limit, per_unit, unit = _elastic_scale(d, family, index)
            con.deactivate()
            up = m.ElasticSlack.add()  # lets the body exceed its upper bound
            down = m.ElasticSlack.add()  # lets the body fall below its lower bound
            m.elastic_rows.add(pyo.inequality(lower, body - up + down, upper) if lower is not None and upper is not None
                               else (body - up <= upper if upper is not None else body + down >= lower))
            for slack, side in ((up, "upper"), (down, "lower")):
                bound = upper if side == "upper" else lower
                level = limit if math.isfinite(limit) else (pyo.value(bound) if bound is not None else 0.0)
                one_pct = 0.01 * abs(level) if level else 1.0
                penalty.append(ELASTIC_PENALTY_KUSD_PER_PCT / (one_pct * per_unit) * slack)
                slacks.append((family, index, slack, side, limit if math.isfinite(limit) else level, unit))
    m.margin.deactivate()
    m.elastic_margin = pyo.Objective(expr=m.margin.expr - pyo.quicksum(penalty), sense=pyo.maximize)
    opt = _solver(None)
    opt.config.load_solutions = True
    results = opt.solve(m)
    if pyomo_status().get(results.termination_condition) != OPTIMAL:
        return []
    values = {"Buy": {k: v.value or 0.0 for k, v in m.Buy.items()},
              "Blend": {k: v.value or 0.0 for k, v in m.Blend.items()},
              "Sell": {k: v.value or 0.0 for k, v in m.Sell.items()}}
    out = []
    for family, index, slack, side, limit, unit in slacks:
        if slack.value is None or slack.value <= 1e-7:
            continue
        out.append(Relaxation(family, index, side, slack.value, limit,
                              _relaxed_limit(d, values, family, index, side, slack.value, limit), unit))
    return out


def _relaxed_limit(d: ModelData, values: dict[str, dict[Any, float]], family: str, index: Any, side: str,
                   slack: float, limit: float) -> float:
    """The limit that the relaxed plan meets, from the row's slack at that plan's volume (exact for that plan)."""
    k = _keys(index)
    direction = 1.0 if side == "upper" else -1.0
    if family in ("slate_api_min", "slate_api_max"):
        volume = sum(x for (r, _), x in values["Buy"].items() if r == k[0])
        if volume <= 1e-9:
            return limit
        return api_from_sg(specific_gravity(limit) + direction * slack / volume)
    if family in ("slate_sulfur_max", "slate_tan_max"):
        mass = sum(x * d.sg[c] for (r, c), x in values["Buy"].items() if r == k[0])
        return limit + direction * slack / mass if mass > 1e-9 else limit
    if family.startswith("blend_spec"):
        volume = sum(x for (r, p, _), x in values["Blend"].items() if r == k[0] and p == k[1])
        return limit + direction * slack / volume if volume > 1e-9 else limit
    if family.startswith("product_ratio"):
        reference = values["Sell"].get((k[0], k[2]), 0.0)
        return limit - direction * slack / reference if reference > 1e-9 else limit
    return limit + direction * slack


def conflict_rows(solver: SlateSolver, instance: Instance, d: ModelData,
                  strategy: int = IIS_EXACT) -> list[dict[str, Any]]:
    """The members of an infeasible subsystem of the solver's last (infeasible) solve, in plant terms,
    each with the input cells that set it and the scenario overrides that changed them."""
    rows = []
    for family, index, side in iis_rows(solver, strategy):
        words = describe_limit(instance, d, family, index, side)
        for source in source_of(family, index, side, instance):
            touched = overrides_touching(instance, source)
            frame = instance.tables[source.table]
            value = frame.at[source.row_id, source.column] if source.row_id in frame.index else ""
            shown = "(a ban)" if family == "policy_cap" and d.rules[_keys(index)[0]][0] == "ban" else value
            note = f" [set by {'; '.join(touched)}]" if touched else ""
            rows.append({"family": family, **dict(zip(CONSTRAINT_INDEX[family], _keys(index))), "side": side,
                         "input": source.where(instance), "table": source.table, "row_id": source.row_id,
                         "column": source.column, "value": value, "scenario_overrides": "; ".join(touched),
                         "sentence": words, "line": f"{words}: {source.where(instance)} = {shown}{note}"})
    return rows


def _relaxation_words(instance: Instance, r: Relaxation) -> str:
    verb = "raise" if r.side == "upper" else "lower"
    if r.family in ("slate_api_min", "slate_api_max"):
        what = "API minimum" if r.family == "slate_api_min" else "API maximum"
        # an API minimum is relaxed downwards (a heavier slate), a maximum upwards, whatever the row's side
        verb = "lower" if r.family == "slate_api_min" else "raise"
        ref = _name(instance, "refineries", _keys(r.index)[0])
        return f"{verb} the {what} at {ref} from {r.limit:g} to {r.relaxed:.2f} deg API"
    if r.family in LIMIT_FAMILIES or r.family == "sulfur_plant":
        return f"{verb} it from {r.limit:g} to {r.relaxed:.4g} {r.unit}"
    return f"{verb} it from {r.limit:g} to {r.relaxed:,.3f} kb/d (by {r.slack:,.3f} kb/d)"


def explain_scenario(path: str, scenario: str, use_elastic: bool, top: int, out: str | None,
                     sets: tuple[str, ...] = (), iis: str = "exact", soften_bans: bool = False) -> int:
    instance = load_instance(path)
    resolved = resolve_all(instance, [scenario], sets)[scenario]
    d = derive(resolved)
    folder = Path(out) if out else Path("results") / instance.name / f"explain-{scenario}"
    solver = SlateSolver()
    res = solver.solve(d, with_duals=False)
    meta = {"instance": str(Path(path).resolve()), "scenario": scenario, "status": res.status,
            "input_sha256": resolved.input_hashes(), "overrides": resolved.applied, "iis_strategy": iis}
    if res.status == OPTIMAL:
        table = explain_optimal(resolved, d, top)
        write_atomic(folder, {"explanation": table}, meta)
        click.echo(f"written to {folder / 'explanation.csv'}")
        return 0
    if res.status not in (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED):
        click.echo(f"Scenario {scenario}: {res.status}; nothing to explain.")
        return EXIT_CODES.get(res.status, 4)
    words = ("an irreducible set: drop any one and the rest can" if iis == "exact"
             else "a conflicting set, not reduced: some members may not be needed; --iis exact reduces it")
    click.echo(f"Scenario {scenario}: INFEASIBLE. These limits cannot all hold together ({words}):")
    rows = conflict_rows(solver, resolved, d, IIS_STRATEGIES[iis])
    for row in rows:
        click.echo(f"  - {row['line']}")
    if use_elastic:
        relaxations = elastic(d, soften_bans)
        hard = "" if soften_bans else " (bans kept: --soften-bans lets them be relaxed too)"
        click.echo(f"Cheapest relaxation that makes a plan possible, in percent of each limit{hard}:" if relaxations
                   else f"No relaxation of the soft limits makes a plan possible{hard}.")
        for r in relaxations:
            source = source_of(r.family, r.index, r.side, resolved)[0]
            how = _relaxation_words(resolved, r)
            click.echo(f"  - {describe_limit(resolved, d, r.family, r.index, r.side)}: {how} "
                       f"({source.where(resolved)})")
            rows.append({"family": r.family, **dict(zip(CONSTRAINT_INDEX[r.family], _keys(r.index))),
                         "side": "elastic", "input": source.where(resolved), "table": source.table,
                         "row_id": source.row_id, "column": source.column, "relax_by": abs(r.relaxed - r.limit),
                         "limit_value": r.limit, "relaxed_value": r.relaxed, "limit_unit": r.unit,
                         "row_slack": r.slack, "sentence": how})
    write_atomic(folder, {"infeasibility": pd.DataFrame(rows).drop(columns=["line"], errors="ignore")}, meta)
    click.echo(f"written to {folder / 'infeasibility.csv'}")
    return 3
