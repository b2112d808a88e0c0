"""Why this plan, and why no plan, in the words a planner uses.

Feasible: the binding limits ranked by what a 1 % relaxation of each is worth per day (one scale for
capacities, quality limits and rules alike), each said in a sentence with its marginal value and the
range over which that value holds. Infeasible: an irreducible infeasible subsystem from HiGHS, each
member mapped back to the instance (file, row, column) and to the scenario overrides that touched it;
`--elastic` prices slack on every soft limit and reports the cheapest relaxation that makes a plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import highspy
import pandas as pd
import pyomo.environ as pyo

from optimizer.data import ModelData, derive, specific_gravity
from optimizer.instance import Instance
from optimizer.model import CONSTRAINT_INDEX, build_model
from optimizer.paths import matching_rows, parse_override
from optimizer.results import write_atomic
from optimizer.run import resolve_all
from optimizer.solve import INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, OPTIMAL, SlateSolver, _solver, pyomo_status
from optimizer.validate import load_instance

DEFINITIONS = ("stream_balance", "product_make", "product_recipe", "crude_tier_split")  # not limits: never soft
SOFT = tuple(f for f in CONSTRAINT_INDEX if f not in DEFINITIONS)
ELASTIC_PENALTY_KUSD_PER_UNIT = 1e4  # far above any margin: slack is used only where nothing else works
IIS_STRATEGY_FAST = 2  # HiGHS kIisStrategyFromLp; see PYOMO-HIGHS-NOTES.md for the cost of the exact one
DUAL_ZERO = 1e-7


@dataclass
class Source:
    table: str
    row_id: str
    column: str

    def where(self, instance: Instance) -> str:
        file, line = instance.origin(self.table, self.row_id)
        return f"{file} row {line}, column {self.column}" if line else f"{file}, column {self.column}"


def _keys(index: Any) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def source_of(family: str, index: Any, side: str) -> list[Source]:
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
        "crude_tier_split": ("crude_tiers", joined, "crude_id"),
        "crude_tier_volume": ("crude_tiers", joined, "volume_kbd"),
        "link_capacity": ("links", joined, "capacity_kbd"),
        "policy_cap": ("policies", joined, "volume_kbd"),
        "policy_floor": ("policies", joined, "volume_kbd"),
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
        return f"{k[1]} at {ref} is blended exactly to its {bound} {k[2]}"
    if family in ("product_ratio_min", "product_ratio_max"):
        return f"at {ref} the ratio of {k[1]} to {k[2]} is at its {'minimum' if family.endswith('min') else 'maximum'}"
    if family == "product_sales":
        return f"coast sales of {k[0]} are at their {'minimum' if at_min else 'market limit'}"
    if family == "refinery_product_sales":
        return f"sales of {k[1]} at {ref} are at their {'minimum' if at_min else 'limit'}"
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
    if family == "stream_balance":
        return f"every barrel of {k[1]} made at {ref} must be used"
    return f"{family} {', '.join(map(str, k))}"


def describe_limit(instance: Instance, d: ModelData, family: str, index: Any, side: str) -> str:
    """The limit itself (for a conflict), where `describe_row` says that it binds (for a plan)."""
    k = _keys(index)
    ref = _name(instance, "refineries", k[0]) if CONSTRAINT_INDEX[family][0] == "refinery_id" else ""
    at_min = side == "lower"
    if family == "crude_unit_capacity":
        value = d.refinery[k[0]]["crude_min_run_kbd" if at_min else "crude_capacity_kbd"]
        return f"the crude unit at {ref} must run {'at least' if at_min else 'at most'} {value:g} kb/d"
    if family == "unit_capacity":
        value = d.unit_min_feed_kbd[(k[0], k[1])] if at_min else d.unit_capacity_kbd[(k[0], k[1])]
        limit = "at least" if at_min else "at most"
        return f"the {d.unit_type[(k[0], k[1])]} unit {k[1]} at {ref} takes {limit} {value:g} kb/d"
    if family == "crude_availability":
        return f"at most {d.availability_kbd[k[0]]:g} kb/d of {_name(instance, 'crudes', k[0])} is on offer"
    if family in ("policy_cap", "policy_floor"):
        kind, volume, _ = d.rules[k[0]]
        rule = instance.tables["policies"].loc[k[0]]
        what = f" ({rule['description']})" if rule["description"] else ""
        from optimizer.data import scope_text

        if kind == "ban":
            return f"policy ban {k[0]}{what} forbids {scope_text(rule)}"
        limit = "at most" if kind == "cap" else "at least"
        return f"policy {kind} {k[0]}{what} allows {limit} {volume:g} kb/d of {scope_text(rule)}"
    if family == "product_sales":
        value = d.product_min_kbd[k[0]] if at_min else d.product_max_kbd[k[0]]
        return f"coast sales of {k[0]} must be {'at least' if at_min else 'at most'} {value:g} kb/d"
    return describe_row(instance, d, family, index, side)


def _relaxation_scale(d: ModelData, res: Any, family: str, index: Any, bound: float | None) -> tuple[float, str]:
    """(amount of the row's bound in 1 % of the limit, how to say that amount)."""
    k = _keys(index)
    run = sum(res.values["Buy"][(k[0], c)] for c in d.CRUDES) if CONSTRAINT_INDEX[family][0] == "refinery_id" else 0
    if family == "slate_sulfur_max":
        mass = sum(res.values["Buy"][(k[0], c)] * d.sg[c] for c in d.CRUDES)
        limit = d.refinery[k[0]]["sulfur_max_wt_pct"] or 0.0
        return 0.01 * limit * mass, f"{0.01 * limit:.3g} wt% sulfur"
    if family == "slate_tan_max":
        mass = sum(res.values["Buy"][(k[0], c)] * d.sg[c] for c in d.CRUDES)
        limit = d.refinery[k[0]]["tan_max_mg_koh_per_g"] or 0.0
        return 0.01 * limit * mass, f"{0.01 * limit:.3g} mg KOH/g TAN"
    if family in ("slate_api_min", "slate_api_max"):
        api = d.refinery[k[0]]["api_min_deg" if family == "slate_api_min" else "api_max_deg"] or 0.0
        step = 0.01 * max(abs(api), 1.0)
        delta_sg = abs(specific_gravity(api - step) - specific_gravity(api))
        return delta_sg * run, f"{step:.2g} degrees API"
    if family in ("blend_spec_min", "blend_spec_max", "product_ratio_min", "product_ratio_max"):
        volume = res.values["Sell"][(k[0], k[1])] if family.startswith("blend") else res.values["Sell"][(k[0], k[2])]
        limit = d.specs.get((k[1], k[2]), (0, 0)) if family.startswith("blend") else d.ratios.get((k[1], k[2]), (0, 0))
        level = limit[0] if family.endswith("min") else limit[1]
        return 0.01 * abs(level or 0.0) * volume, f"1% of the limit ({0.01 * abs(level or 0.0):.3g})"
    if family == "sulfur_plant":
        return 0.01 * (bound or 0.0), f"{0.01 * (bound or 0.0):.3g} t/d of sulfur"
    amount = 0.01 * abs(bound or 0.0)
    return amount, f"{amount:.3g} kb/d"


def explain_optimal(instance: Instance, d: ModelData, top: int) -> pd.DataFrame:
    res = SlateSolver().solve(d, with_ranging=True)
    rows = []
    for family in SOFT:
        for index, dual in res.duals.get(family, {}).items():
            if abs(dual) <= DUAL_ZERO:
                continue
            rng = res.ranging.rows[family][index] if res.ranging else None
            side = rng.side if rng else ("upper" if dual > 0 else "lower")
            bound = rng.bound if rng else None
            amount, amount_words = _relaxation_scale(d, res, family, index, bound)
            worth = abs(dual) * amount
            if family == "sulfur_plant":
                unit_value = f"${abs(dual) * 1000:,.0f} per tonne/day of sulfur capacity"
            elif family.startswith(("slate_", "blend_spec", "product_ratio")):
                unit_value = f"{amount_words} of relaxation is worth {worth:,.1f} kUSD/d"
            else:
                relaxed = "of relaxation " if side == "lower" else ""
                unit_value = f"one more kb/d {relaxed}is worth ${abs(dual):,.2f}/bbl"
            holds = ""
            if rng is not None and family not in ("slate_api_min", "slate_api_max", "slate_sulfur_max",
                                                  "slate_tan_max", "blend_spec_min", "blend_spec_max",
                                                  "product_ratio_min", "product_ratio_max"):
                holds = f" (holds from {rng.valid_from:,.1f} to {rng.valid_to:,.1f})"
                if not rng.unique:
                    holds += "; degenerate here: the value of one unit less differs, quote it with care"
            sentence = f"{describe_row(instance, d, family, index, side)}; {unit_value}{holds}."
            source = source_of(family, index, side)[0]
            rows.append({"family": family, **dict(zip(CONSTRAINT_INDEX[family], _keys(index))),
                         "binding_side": side, "marginal_value": dual, "worth_of_1pct_relaxation_kusd_per_day": worth,
                         "bound_valid_from": rng.valid_from if rng else math.nan,
                         "bound_valid_to": rng.valid_to if rng else math.nan,
                         "dual_unique": rng.unique if rng else "", "input": source.where(instance),
                         "limit": describe_row(instance, d, family, index, side),
                         "sentence": sentence[0].upper() + sentence[1:]})
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values(["worth_of_1pct_relaxation_kusd_per_day", "family"], ascending=[False, True])
        table.insert(0, "rank", range(1, len(table) + 1))
    runs = {r: sum(res.values["Buy"][(r, c)] for c in d.CRUDES) for r in d.REFINERIES}
    click.echo(f"Scenario {instance.scenario}: optimal, margin {res.objective_kusd_per_day:,.1f} kUSD/d. "
               f"Binding limits, by what a 1% relaxation is worth:")
    for row in table.head(top).itertuples():
        click.echo(f"  {row.rank:>2}. {row.sentence}")
    for r in d.REFINERIES:
        taken = sorted(((res.values["Buy"][(r, c)], c) for c in d.CRUDES if res.values["Buy"][(r, c)] > 1e-6),
                       reverse=True)
        limits = table[table.get("refinery_id", pd.Series(dtype=object)) == r] if "refinery_id" in table else table[:0]
        if taken and len(limits):
            crudes = ", ".join(f"{c} {v:.1f}" for v, c in taken[:5])
            click.echo(f"  At {r} ({runs[r]:.1f} kb/d: {crudes}) the slate is set by: "
                       + "; ".join(limits["limit"].head(3)) + ".")
    return table


def iis_rows(solver: SlateSolver, exact: bool = False) -> list[tuple[str, Any, str]]:
    """(family, index, side) of the rows of an infeasible subsystem of the last (infeasible) solve."""
    highs = solver.highs
    assert highs is not None
    highs.setOptionValue("iis_strategy", IIS_STRATEGY_FAST | (4 if exact else 0))
    status, iis = highs.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return []
    out = []
    for i, bound in zip(iis.row_index_, iis.row_bound_):
        family, index = solver.row_key(i)
        side = {2: "lower", 3: "upper"}.get(int(bound), "equality" if solver.row_is_equality(i) else "upper")
        out.append((family, index, side))
    return out


def elastic(d: ModelData) -> list[tuple[str, Any, float, str]]:
    """The cheapest relaxation of soft limits that makes a plan: (family, index, slack, 'raise'|'lower')."""
    m = build_model(d)
    slacks = []
    m.ElasticSlack = pyo.VarList(domain=pyo.NonNegativeReals)
    m.elastic_rows = pyo.ConstraintList()
    for family in SOFT:
        for index, con in getattr(m, family).items():
            lower, body, upper = con.lower, con.body, con.upper
            con.deactivate()
            up = m.ElasticSlack.add()  # lets the body exceed its upper bound
            down = m.ElasticSlack.add()  # lets the body fall below its lower bound
            m.elastic_rows.add(pyo.inequality(lower, body - up + down, upper) if lower is not None and upper is not None
                               else (body - up <= upper if upper is not None else body + down >= lower))
            slacks.append((family, index, up, "raise the upper limit"))
            slacks.append((family, index, down, "lower the lower limit"))
    expr = m.margin.expr - ELASTIC_PENALTY_KUSD_PER_UNIT * pyo.quicksum(s for _, _, s, _ in slacks)
    m.margin.deactivate()
    m.elastic_margin = pyo.Objective(expr=expr, sense=pyo.maximize)
    opt = _solver(None)
    opt.config.load_solutions = True
    results = opt.solve(m)
    if pyomo_status().get(results.termination_condition) != OPTIMAL:
        return []
    return [(f, i, s.value, how) for f, i, s, how in slacks if s.value is not None and s.value > 1e-7]


def conflict_rows(solver: SlateSolver, instance: Instance, d: ModelData) -> list[dict[str, Any]]:
    """The members of an infeasible subsystem of the solver's last (infeasible) solve, in plant terms,
    each with the input cell that sets it and the scenario overrides that changed that cell."""
    rows = []
    for family, index, side in iis_rows(solver):
        words = describe_limit(instance, d, family, index, side)
        for source in source_of(family, index, side):
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


def explain_scenario(path: str, scenario: str, use_elastic: bool, top: int, out: str | None) -> int:
    instance = load_instance(path)
    resolved = resolve_all(instance, [scenario])[scenario]
    d = derive(resolved)
    folder = Path(out) if out else Path("results") / instance.name / f"explain-{scenario}"
    solver = SlateSolver()
    res = solver.solve(d, with_duals=False)
    meta = {"instance": str(Path(path).resolve()), "scenario": scenario, "status": res.status,
            "input_sha256": resolved.input_hashes(), "overrides": resolved.applied}
    if res.status == OPTIMAL:
        table = explain_optimal(resolved, d, top)
        write_atomic(folder, {"explanation": table}, meta)
        click.echo(f"written to {folder / 'explanation.csv'}")
        return 0
    if res.status not in (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED):
        click.echo(f"Scenario {scenario}: {res.status}; nothing to explain.")
        return 4 if res.status != "unbounded" else 3
    click.echo(f"Scenario {scenario}: INFEASIBLE. These limits cannot all hold together "
               "(an irreducible set: drop any one and the rest can):")
    rows = conflict_rows(solver, resolved, d)
    for row in rows:
        click.echo(f"  - {row['line']}")
    if use_elastic:
        relaxations = elastic(d)
        click.echo("Cheapest relaxation that makes a plan possible:" if relaxations
                   else "No relaxation of the soft limits makes a plan possible.")
        for family, index, amount, how in relaxations:
            source = source_of(family, index, "upper" if how.startswith("raise") else "lower")[0]
            side = "upper" if how.startswith("raise") else "lower"
            click.echo(f"  - {describe_row(resolved, d, family, index, side)}"
                       f": {how} by {amount:,.3f} ({source.where(resolved)})")
            rows.append({"family": family, **dict(zip(CONSTRAINT_INDEX[family], _keys(index))),
                         "side": "elastic", "input": source.where(resolved), "table": source.table,
                         "row_id": source.row_id, "column": source.column, "relax_by": amount,
                         "sentence": f"{how} by {amount:.6g}"})
    write_atomic(folder, {"infeasibility": pd.DataFrame(rows).drop(columns=["line"], errors="ignore")}, meta)
    click.echo(f"written to {folder / 'infeasibility.csv'}")
    return 3

