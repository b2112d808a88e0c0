"""Cross-table checks of a typed instance. One `check_*` per rule; every problem is collected.

Single-cell checks (types, bounds, required cells, unknown columns, duplicate keys) happen while
reading (`optimizer.instance`); these checks need more than one cell or table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from optimizer.data import consumed_streams, fixed_qualities, produced_streams, scope_matches, stream_reach
from optimizer.errors import InstanceError, Problem
from optimizer.instance import Instance, read_instance_collecting
from optimizer.schema import TABLES

YIELD_SUM_TOL = 1e-3  # crude and unit yields must close to within this
MAX_UNIT_VOLUME_GAIN_FRAC = 0.25  # hydrocracking gains up to ~20 vol%: allow unit yields to sum to 1.25


def _problem(instance: Instance, table: str, row: str, column: str | None, value: object, message: str,
             hint: str) -> Problem:
    file, line = instance.origin(table, row)
    return Problem(file, message, hint, row=line, column=column, value=None if value is None else str(value))


def _blank(value: object) -> bool:
    return value == "" or (isinstance(value, float) and math.isnan(value))


def check_references(instance: Instance) -> Iterator[Problem]:
    for spec in TABLES:
        for column in spec.columns:
            if column.ref is None:
                continue
            target_table, _ = column.ref
            if not instance.readable(target_table):  # its ids are unknown, not absent: said once already
                continue
            known = set(instance.tables[target_table].index)
            for row_id, value in instance.tables[spec.name][column.name].items():
                if not _blank(value) and value not in known and instance.readable(spec.name, row_id, column.name):
                    listed = ", ".join(sorted(known)[:15]) + (" ..." if len(known) > 15 else "")
                    yield _problem(instance, spec.name, row_id, column.name, value,
                                   f"names a {target_table} id that does not exist.",
                                   f"use one of: {listed}." if listed else
                                   f"{target_table} has no rows: add the row this one refers to.")


def check_crude_prices(instance: Instance) -> Iterator[Problem]:
    crudes = instance.tables["crudes"]
    for c, row in zip(crudes.index, crudes.to_dict("records")):
        has_marker = not _blank(row["marker_id"])
        has_diff = not _blank(row["differential_usd_per_bbl"])
        has_flat = not _blank(row["price_usd_per_bbl"])
        if has_marker and has_flat:
            yield _problem(instance, "crudes", c, "price_usd_per_bbl", row["price_usd_per_bbl"],
                           "gives both a flat price and a marker.", "keep either price_usd_per_bbl or "
                           "marker_id + differential_usd_per_bbl.")
        elif has_marker and not has_diff:
            yield _problem(instance, "crudes", c, "differential_usd_per_bbl", "",
                           "has a marker but no differential.", "give differential_usd_per_bbl (0 if at par).")
        elif has_diff and not has_marker:
            yield _problem(instance, "crudes", c, "marker_id", "", "has a differential but no marker.",
                           "give marker_id, the marker the differential is quoted against.")
        elif not has_marker and not has_flat:
            yield _problem(instance, "crudes", c, "price_usd_per_bbl", "", "has no price.",
                           "give price_usd_per_bbl, or marker_id + differential_usd_per_bbl.")


def check_crude_yields(instance: Instance) -> Iterator[Problem]:
    yields = instance.tables["crude_yields"]
    totals = yields.groupby("crude_id")["yield_vol_frac"].sum()
    unread = {c for c, key in zip(yields["crude_id"], yields.index)
              if not instance.readable("crude_yields", key, "yield_vol_frac", "crude_id", "stream_id")}
    for c in instance.tables["crudes"].index:
        if c in unread:  # a yield that could not be read: its total says nothing new
            continue
        total = float(totals.get(c, 0.0))
        if abs(total - 1.0) > YIELD_SUM_TOL:
            yield _problem(instance, "crudes", c, "crude_id", c,
                           f"has crude_yields summing to {total:.4f}, not 1 (tolerance {YIELD_SUM_TOL:g}).",
                           "make the cuts add up to 1; put gas and losses in a stream of kind 'loss'.")


def check_unit_yields(instance: Instance) -> Iterator[Problem]:
    yields = instance.tables["unit_yields"]
    groups: dict[tuple[str, str], tuple[object, list[float]]] = {}  # (type, feed) -> (first row, yields)
    unread = set()
    for key, unit_type, feed, y in zip(yields.index, yields["unit_type"], yields["feed_stream_id"],
                                       yields["yield_vol_frac"]):
        groups.setdefault((unit_type, feed), (key, []))[1].append(y)
        if not instance.readable("unit_yields", key, "yield_vol_frac"):
            unread.add((unit_type, feed))
    for (unit_type, feed), (first, values) in sorted(groups.items(), key=lambda item: item[0]):
        if (unit_type, feed) in unread:
            continue
        total = float(sum(values))
        if total < 1.0 - YIELD_SUM_TOL or total > 1.0 + MAX_UNIT_VOLUME_GAIN_FRAC + YIELD_SUM_TOL:
            yield _problem(instance, "unit_yields", first, "yield_vol_frac", f"{total:.4f}",
                           f"yields of unit type {unit_type!r} on feed {feed!r} sum to {total:.4f}; "
                           f"they must lie between 1 and {1 + MAX_UNIT_VOLUME_GAIN_FRAC:g}.",
                           "add the missing products, or put losses in a stream of kind 'loss'.")
    known_types = set(yields["unit_type"])
    units = instance.tables["units"]
    for key, unit_type in zip(units.index, units["unit_type"]):
        if unit_type not in known_types:
            yield _problem(instance, "units", key, "unit_type", unit_type,
                           "names a unit type with no rows in unit_yields.",
                           f"add its yields to unit_yields.csv or use one of: {', '.join(sorted(known_types))}.")


def _min_max(instance: Instance, table: str, low: str, high: str) -> Iterator[Problem]:
    frame = instance.tables[table]
    for key, lo, hi in zip(frame.index, frame[low], frame[high]):
        if not _blank(lo) and not _blank(hi) and lo > hi and instance.readable(table, key, low, high):
            yield _problem(instance, table, key, low, lo, f"is above {high} ({hi:g}).",
                           f"make {low} <= {high}.")


def check_min_max(instance: Instance) -> Iterator[Problem]:
    yield from _min_max(instance, "refineries", "crude_min_run_kbd", "crude_capacity_kbd")
    yield from _min_max(instance, "refineries", "api_min_deg", "api_max_deg")
    yield from _min_max(instance, "units", "min_feed_kbd", "capacity_kbd")
    yield from _min_max(instance, "products", "min_sales_kbd", "max_sales_kbd")
    yield from _min_max(instance, "product_limits", "min_sales_kbd", "max_sales_kbd")
    yield from _min_max(instance, "blend_specs", "min_value", "max_value")
    yield from _min_max(instance, "product_ratios", "min_ratio", "max_ratio")
    yield from _min_max(instance, "stream_purchases", "min_kbd", "max_kbd")
    for table, low, high in (("blend_specs", "min_value", "max_value"), ("product_ratios", "min_ratio", "max_ratio")):
        frame = instance.tables[table]
        for key, lo, hi in zip(frame.index, frame[low], frame[high]):
            if _blank(lo) and _blank(hi) and instance.readable(table, key, low, high):
                yield _problem(instance, table, key, low, "", f"gives neither {low} nor {high}.",
                               "give at least one limit, or delete the row.")


def check_tiers(instance: Instance) -> Iterator[Problem]:
    tiers = instance.tables["crude_tiers"].sort_values(["crude_id", "tier"])
    for c, group in tiers.groupby("crude_id"):
        adders = list(group["price_adder_usd_per_bbl"])
        for i in range(1, len(adders)):
            if adders[i] < adders[i - 1]:
                key = group.index[i]
                yield _problem(instance, "crude_tiers", key, "price_adder_usd_per_bbl", adders[i],
                               f"is cheaper than the tier before it ({adders[i - 1]:g}) for {c}: a supply curve "
                               "must rise, or the LP would buy the later tranche first.",
                               "order the tiers by rising price adder.")


def check_recipes(instance: Instance) -> Iterator[Problem]:
    comps = instance.tables["blend_components"]
    for p, group in comps.groupby("product_id"):
        given = group["recipe_vol_frac"].notna()
        if given.any() and not given.all():
            key = group.index[~given.to_numpy()][0]
            yield _problem(instance, "blend_components", key, "recipe_vol_frac", "",
                           f"is empty while other components of {p} have a recipe share.",
                           "give every component of a fixed recipe its share, or none of them.")
        elif given.all():
            total = float(group["recipe_vol_frac"].sum())
            if abs(total - 1.0) > YIELD_SUM_TOL:
                yield _problem(instance, "blend_components", group.index[0], "recipe_vol_frac", f"{total:.4f}",
                               f"recipe shares of {p} sum to {total:.4f}, not 1.", "make the shares add up to 1.")
    for p in instance.tables["products"].index:
        if p not in set(comps["product_id"]):
            yield _problem(instance, "products", p, "product_id", p, "has no blend components.",
                           "add at least one row for it to blend_components.csv.")


def check_stream_flow(instance: Instance) -> Iterator[Problem]:
    kinds = instance.tables["streams"]["kind"].to_dict()
    made = produced_streams(instance)
    used = consumed_streams(instance)
    reach = stream_reach(instance, made, used)  # a transfer to a refinery that uses it is a use; a purchase a source
    anywhere = set().union(*reach.supply.values()) if reach.supply else set()
    for r in instance.tables["refineries"].index:
        for s in sorted(made[r] - reach.demand[r]):
            if kinds.get(s) == "intermediate":
                yield _problem(instance, "refineries", r, "refinery_id", r,
                               f"makes stream {s!r} but nothing at this refinery uses it (no unit feed, no blend, "
                               "no transfer to a refinery that uses it).",
                               f"add a unit that takes {s} or a product that blends it, send it to a refinery that "
                               f"does (stream_transfers), or make {s} a 'loss' stream.")
    for s in kinds:
        if s not in anywhere:
            consumers = any(s in used[r] for r in used)
            if consumers:
                yield _problem(instance, "streams", s, "stream_id", s,
                               "is used (unit feed or blend component) but no crude or unit makes it and no "
                               "refinery buys it.",
                               "add it to crude_yields or unit_yields, offer it in stream_purchases, or remove the "
                               "rows that use it.")


def check_stream_trade(instance: Instance) -> Iterator[Problem]:
    """Purchases and transfers of intermediate streams: each barrel must have a balance to enter and a use."""
    t = instance.tables
    kinds = t["streams"]["kind"].to_dict()
    refineries = set(t["refineries"].index)
    reach = stream_reach(instance)
    buys = t["stream_purchases"]
    for b, s, r in zip(buys.index, buys["stream_id"], buys["refinery_id"]):
        if s not in kinds or (r and r not in refineries):
            continue  # an unknown id: check_references says so
        if kinds[s] == "loss":
            yield _problem(instance, "stream_purchases", b, "stream_id", s,
                           "names a stream of kind 'loss', which leaves the plant and has no balance to buy into.",
                           f"buy an intermediate stream, or make {s} an intermediate stream in streams.csv.")
        elif r and s not in reach.demand[r]:
            yield _problem(instance, "stream_purchases", b, "refinery_id", r,
                           f"buys stream {s!r} at {r}, where nothing uses it (no unit takes it, no product blends "
                           "it, no transfer sends it on to a refinery that does).",
                           f"buy it at a refinery with a unit or blend that takes {s}, add one at {r}, or leave "
                           "refinery_id empty to offer it to every refinery that can use it.")
        elif not r and not reach.covered.get(b):
            yield _problem(instance, "stream_purchases", b, "stream_id", s,
                           f"offers stream {s!r} to any refinery, but no refinery uses it (no unit takes it, no "
                           "product blends it).",
                           f"add a unit or blend component that takes {s}, or delete the row.")
    moves = t["stream_transfers"]
    for x, s, a, z in zip(moves.index, moves["stream_id"], moves["from_refinery_id"], moves["to_refinery_id"]):
        if s not in kinds or a not in refineries or z not in refineries:
            continue  # an unknown id: check_references says so
        if a == z:
            yield _problem(instance, "stream_transfers", x, "to_refinery_id", z,
                           "sends the stream to the refinery it comes from.",
                           "name two different refineries in from_refinery_id and to_refinery_id, or delete the row.")
            continue
        if kinds[s] == "loss":
            yield _problem(instance, "stream_transfers", x, "stream_id", s,
                           "names a stream of kind 'loss', which leaves the plant and has no balance to move.",
                           f"move an intermediate stream, or make {s} an intermediate stream in streams.csv.")
            continue
        if s not in reach.supply[a]:
            yield _problem(instance, "stream_transfers", x, "from_refinery_id", a,
                           f"sends stream {s!r} from {a}, where nothing makes it (no crude cut, no unit yields it, "
                           "no purchase, no transfer brings it).",
                           f"send it from a refinery that makes {s}, or add a stream_purchases row for {s} at {a}.")
        if s not in reach.demand[z]:
            yield _problem(instance, "stream_transfers", x, "to_refinery_id", z,
                           f"sends stream {s!r} to {z}, where nothing uses it (no unit takes it, no product "
                           "blends it, no transfer sends it on).",
                           f"send it to a refinery with a unit or blend that takes {s}, or add one at {z}.")


def check_qualities(instance: Instance) -> Iterator[Problem]:
    fixed, pooled = fixed_qualities(instance)
    both = set(zip(instance.tables["stream_qualities"]["stream_id"], instance.tables["stream_qualities"]["quality_id"]))
    for key, row in instance.tables["cut_qualities"].iterrows():
        if (row["stream_id"], row["quality_id"]) in both:
            yield _problem(instance, "cut_qualities", key, "stream_id", row["stream_id"],
                           f"gives a crude-specific {row['quality_id']} for a stream whose value stream_qualities "
                           "already fixes.", "keep one of the two.")
    components = instance.tables["blend_components"]
    unit_made = set(instance.tables["unit_yields"]["product_stream_id"])
    for key, spec in instance.tables["blend_specs"].iterrows():
        p, q = spec["product_id"], spec["quality_id"]
        for s in components["stream_id"][components["product_id"] == p]:
            if (s, q) in pooled:
                yield _problem(instance, "blend_specs", key, "quality_id", q,
                               f"needs the {q} of component {s!r}, which differs between the crudes that make it "
                               f"(values {sorted(v for v in pooled[(s, q)] if not math.isnan(v))}): the blend "
                               "quality would depend on the crude mix (a pooling problem), which a linear model "
                               "cannot state.",
                               f"segregate {s} by crude (one stream per crude or crude class) or give it one fixed "
                               "value in stream_qualities.")
            elif (s, q) not in fixed:
                how = " (it is also made by process units, so a crude-specific value cannot fix it)" \
                    if s in unit_made else ""
                yield _problem(instance, "blend_specs", key, "quality_id", q,
                               f"needs the {q} of component {s!r}, which has no value{how}.",
                               f"add the row {s},{q},VALUE to stream_qualities.csv.")


def check_policies(instance: Instance) -> Iterator[Problem]:
    crudes = instance.tables["crudes"]
    refineries = list(instance.tables["refineries"].index)
    known = {column: set(crudes[column]) - {""} for column in ("origin", "operator")}
    for k, rule in instance.tables["policies"].iterrows():
        kind = rule["kind"]
        if not instance.readable("policies", k, "kind"):  # an unknown kind: what it needs is unknown too
            yield from _scope_checks(instance, "policies", k, rule, crudes, refineries, known)
            continue
        has_volume = not _blank(rule["volume_kbd"])
        has_tariff = not _blank(rule["tariff_pct"]) or not _blank(rule["tariff_usd_per_bbl"])
        if kind in ("cap", "floor") and not has_volume:
            yield _problem(instance, "policies", k, "volume_kbd", "", f"a {kind} needs a volume.",
                           "give volume_kbd.")
        if kind != "tariff" and has_tariff:
            yield _problem(instance, "policies", k, "kind", kind, "carries a tariff but is not a tariff rule.",
                           "set kind = tariff, or clear tariff_pct and tariff_usd_per_bbl.")
        if kind == "tariff" and not has_tariff:
            yield _problem(instance, "policies", k, "tariff_pct", "",
                           "a tariff needs tariff_pct or tariff_usd_per_bbl.",
                           "give one of them.")
        if kind in ("ban", "tariff") and has_volume:
            yield _problem(instance, "policies", k, "volume_kbd", rule["volume_kbd"], f"a {kind} takes no volume.",
                           "clear volume_kbd, or make the rule a cap.")
        yield from _scope_checks(instance, "policies", k, rule, crudes, refineries, known)
    for k, route in instance.tables["routes"].iterrows():
        yield from _scope_checks(instance, "routes", k, route, crudes, refineries, known)


def _scope_checks(instance, table, key, row, crudes, refineries, known_values=None) -> Iterator[Problem]:
    for column in ("origin", "operator"):
        value = row[column]
        known = known_values[column] if known_values else set(crudes[column]) - {""}
        if value and value not in known:
            yield _problem(instance, table, key, column, value, f"matches no crude's {column}.",
                           f"use one of: {', '.join(sorted(known)) or '(none given in crudes.csv)'}.")
            return
    if (row["crude_id"] and row["crude_id"] not in crudes.index) or (row["refinery_id"]
                                                                   and row["refinery_id"] not in refineries):
        return  # an unknown id: check_references says so
    if not scope_matches(row, crudes, refineries):
        yield _problem(instance, table, key, "crude_id", row["crude_id"],
                       "matches no refinery-crude pair (the scope columns contradict each other).",
                       "check origin, crude_id, operator and refinery_id together.")


def check_unused_streams(instance: Instance) -> Iterator[Problem]:
    t = instance.tables
    mentioned = (set(t["crude_yields"]["stream_id"]) | set(t["unit_yields"]["feed_stream_id"])
                 | set(t["unit_yields"]["product_stream_id"]) | set(t["blend_components"]["stream_id"])
                 | set(t["stream_purchases"]["stream_id"]) | set(t["stream_transfers"]["stream_id"]))
    for s in t["streams"].index:
        if s not in mentioned:
            yield _problem(instance, "streams", s, "stream_id", s,
                           "is neither made (crude_yields, unit_yields) nor used (a unit feed, a blend component).",
                           "delete the row, or add the yields and uses the stream is meant to have.")


def check_diet_data(instance: Instance) -> Iterator[Problem]:
    crudes = instance.tables["crudes"]
    limited = [r for r, v in instance.tables["refineries"]["tan_max_mg_koh_per_g"].items() if not _blank(v)]
    if limited:
        for c, tan in crudes["tan_mg_koh_per_g"].items():
            if _blank(tan):
                yield _problem(instance, "crudes", c, "tan_mg_koh_per_g", "",
                               f"is empty, but refinery {limited[0]} limits slate TAN.",
                               "give the crude's TAN (an estimate flagged in `source` if need be).")


_FLOW = ("streams", "crude_yields", "unit_yields", "units", "blend_components", "refineries", "stream_purchases",
         "stream_transfers")
# Each check and the tables it reads: a check is skipped while one of them could not be read at all (its
# problems would only repeat that one in other words); check_references and _min_max look cell by cell.
CHECKS: tuple[tuple[Callable[[Instance], Iterator[Problem]], tuple[str, ...]], ...] = (
    (check_references, ()),
    (check_crude_prices, ("crudes", "markers")),
    (check_crude_yields, ("crudes", "crude_yields")),
    (check_unit_yields, ("units", "unit_yields")),
    (check_min_max, ()),
    (check_tiers, ("crude_tiers",)),
    (check_recipes, ("products", "blend_components")),
    (check_stream_flow, _FLOW),
    (check_unused_streams, _FLOW),
    (check_stream_trade, _FLOW),
    (check_qualities, (*_FLOW, "stream_qualities", "cut_qualities", "blend_specs", "qualities")),
    (check_policies, ("crudes", "refineries", "policies", "routes")),
    (check_diet_data, ("crudes", "refineries")),
)
# Of some tables a check reads only a few columns: a scenario that changes only the others (a unit's operating
# cost, a purchase's price) leaves its findings as they were. Each list is tested: the check gives the same
# problems with every other column of those tables gone (tests/test_validate_cache.py).
_UNIT_AND_PURCHASE_KEYS = {"units": ("refinery_id", "unit_type"), "stream_purchases": ("stream_id", "refinery_id")}
COLUMNS_READ: dict[Callable[[Instance], Iterator[Problem]], dict[str, tuple[str, ...]]] = {
    check: _UNIT_AND_PURCHASE_KEYS
    for check in (check_unit_yields, check_stream_flow, check_unused_streams, check_stream_trade, check_qualities)
}
# check_references runs whatever is unreadable (it looks cell by cell, so CHECKS gives it no tables), and reads
# the reference columns of the tables that have them and the row ids of those they name: scenario overrides,
# which change numbers only, leave it as it was unless they add or drop policy rules
_REFERENCE_COLUMNS: dict[str, list[str]] = {}
for _spec in TABLES:
    for _column in _spec.columns:
        if _column.ref is not None:
            _REFERENCE_COLUMNS.setdefault(_spec.name, []).append(_column.name)
            _REFERENCE_COLUMNS.setdefault(_column.ref[0], [])
COLUMNS_READ[check_references] = {table: tuple(columns) for table, columns in _REFERENCE_COLUMNS.items()}


class CheckCache:
    """What each check found on one instance (the base), for scenarios of it: a check whose tables are all
    equal to the base's finds what it found there, so it is not run again (an instance with many scenarios,
    each changing a few cells, is otherwise checked in full once per scenario)."""

    def __init__(self, base: Instance):
        self.base = base
        self.found: dict[Any, list[Problem]] = {}
        # of the instance being checked; cross_check forgets them first, as the instance may have changed since
        self._differences: dict[str, set[str] | None] = {}
        self._of: Instance | None = None

    def forget(self) -> None:
        self._differences, self._of = {}, None

    def differences(self, instance: Instance, table: str) -> set[str] | None:
        """The columns of `table` whose cells differ from the base's; None when its rows or origins differ."""
        if instance is not self._of:
            self._differences, self._of = {}, instance
        if table not in self._differences:
            mine, base = instance.tables.get(table), self.base.tables.get(table)
            if mine is base:
                found: set[str] | None = set()
            elif (mine is None or base is None or not mine.index.equals(base.index)
                  or list(mine.columns) != list(base.columns)
                  or instance.row_origin.get(table) != self.base.row_origin.get(table)):
                found = None
            else:
                found = {c for c in mine.columns if not mine[c].equals(base[c])}
            self._differences[table] = found
        return self._differences[table]

    def reusable(self, instance: Instance, check: Any, reads: tuple[str, ...]) -> list[Problem] | None:
        columns = COLUMNS_READ.get(check, {})
        reads = reads or tuple(columns)
        if not reads or check not in self.found or instance.bad_cells != self.base.bad_cells:
            return None
        for table in reads:
            changed = self.differences(instance, table)
            if changed is None or changed & set(columns.get(table, changed)):  # listed columns only, if listed
                return None
        return self.found[check]


def cross_check(instance: Instance, earlier: list[Problem] | None = None,
                cache: CheckCache | None = None) -> list[Problem]:
    """Every cross-table problem. After reading problems (`earlier`), a check that trips over the
    damaged cells is skipped rather than allowed to hide the problems already found."""
    problems: list[Problem] = []
    # a cell that failed while reading was reported then: a check finding it empty or wrong says it again
    failed = {(*instance.origin(table, row), column) for table, row, column in instance.bad_cells}
    if cache is not None:
        cache.forget()
    for check, reads in CHECKS:
        if not all(instance.readable(table) for table in reads):
            continue
        try:
            found = cache.reusable(instance, check, reads) if cache is not None else None
            if found is None:
                found = list(check(instance))
                if cache is not None and instance is cache.base:
                    cache.found[check] = found
            problems.extend(p for p in found if p not in problems and (p.file, p.row, p.column) not in failed)
        except (KeyError, TypeError, ValueError):
            if not earlier:
                raise
    return problems


def validate(instance: Instance) -> None:
    """Raise InstanceError with every cross-table problem, or return quietly."""
    problems = cross_check(instance)
    if problems:
        raise InstanceError(problems)


def load_instance(path: str | Path) -> Instance:
    """Read, type and cross-check an instance; one InstanceError carries every problem of both stages."""
    instance, problems = read_instance_collecting(path)
    if instance is not None:
        problems = problems + [p for p in cross_check(instance, problems) if p not in problems]
    if problems or instance is None:
        raise InstanceError(problems)
    return instance
