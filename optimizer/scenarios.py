"""Scenarios: named sets of overrides and policy changes applied on top of the base tables."""

from __future__ import annotations

import pandas as pd

from optimizer.errors import InstanceError, Problem, UsageError
from optimizer.instance import BASE_SCENARIO, MANIFEST, Instance, _parse_cell
from optimizer.paths import apply_override, parse_override
from optimizer.schema import TABLES_BY_NAME


def scenario_names(instance: Instance) -> list[str]:
    return [BASE_SCENARIO, *instance.scenarios]


def chain(instance: Instance, name: str) -> list[str]:
    """The scenario and those it extends, root first."""
    if name == BASE_SCENARIO:
        return []
    if name not in instance.scenarios:
        raise UsageError(
            f"unknown scenario {name!r}; the instance has: {', '.join(scenario_names(instance))}."
        )
    names = [name]
    while (parent := instance.scenarios[names[-1]].extends) is not None and parent not in names:
        names.append(parent)
    return names[::-1]


def _add_policy(result: Instance, rule: dict[str, object], where: str, problems: list[Problem]) -> None:
    spec = TABLES_BY_NAME["policies"]
    known = {c.name for c in spec.columns}
    before = len(problems)
    for key in rule:
        if key not in known:
            problems.append(Problem(MANIFEST, f"{where} has an unknown key {key!r}.",
                                    f"use only: {', '.join(sorted(known))}."))
    record = {}
    for column in spec.columns:
        text = "" if rule.get(column.name) is None else str(rule[column.name]).strip()
        record[column.name] = _parse_cell(column, text, f"{MANIFEST} {where}", None, problems)
    if len(problems) > before:
        return
    rule_id = str(record["rule_id"])
    policies = result.tables["policies"]
    if rule_id in policies.index:
        problems.append(Problem(MANIFEST, f"{where} adds rule {rule_id!r}, which already exists.",
                                "give the new rule another rule_id, or drop the old one first.", value=rule_id))
        return
    row = pd.DataFrame([record], index=pd.Index([rule_id], dtype=object, name="row_id"))
    combined = pd.concat([policies, row]) if len(policies) else row
    for column in spec.columns:
        combined[column.name] = combined[column.name].astype(float if column.kind == "number" else object)
    result.tables["policies"] = combined
    result.row_origin["policies"][rule_id] = (f"{MANIFEST} {where}", 0)


def resolve(instance: Instance, scenario: str = BASE_SCENARIO, sets: tuple[str, ...] | list[str] = ()) -> Instance:
    """A copy of `instance` with the scenario's changes (and then `sets`) applied; all problems at once."""
    problems: list[Problem] = []
    result = instance.copy()
    for name in chain(instance, scenario):
        body = instance.scenarios[name]
        section = f"[scenarios.{name}]"
        for rule_id in body.drop_policies:
            if rule_id not in result.tables["policies"].index:
                problems.append(Problem(MANIFEST, f"{section} drops a policy rule that does not exist.",
                                        f"use a rule_id of policies: {', '.join(result.tables['policies'].index)}.",
                                        value=rule_id))
                continue
            result.tables["policies"] = result.tables["policies"].drop(index=rule_id)
            result.applied.append(f"{name}: drop policy {rule_id}")
        for i, rule in enumerate(body.add_policies):
            _add_policy(result, rule, f"{section} add_policies[{i}]", problems)
            result.applied.append(f"{name}: add policy {rule.get('rule_id')}")
        for text in body.overrides:
            override = parse_override(text, f"{MANIFEST} {section} overrides", problems)
            if override is not None:
                apply_override(result, override, f"{MANIFEST} {section} overrides", problems)
                result.applied.append(f"{name}: {text}")
    for text in sets:
        override = parse_override(text, "--set", problems)
        if override is not None:
            apply_override(result, override, "--set", problems)
            result.applied.append(f"--set {text}")
    if problems:
        raise InstanceError(problems)
    result.scenario = scenario
    return result
