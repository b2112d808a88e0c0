"""Scenarios: named sets of overrides and policy changes applied on top of the base tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.errors import InstanceError, Problem, UsageError
from optimizer.instance import BASE_SCENARIO, MANIFEST, Instance, _parse_cell
from optimizer.paths import apply_override, parse_override
from optimizer.schema import TABLES_BY_NAME

if TYPE_CHECKING:
    from optimizer.validate import CheckCache


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
    """Add one rule of add_policies. A rule whose cells fail is still added when it has a usable rule_id
    (those cells marked unreadable), so the cross-table checks report its other problems too."""
    spec = TABLES_BY_NAME["policies"]
    known = {c.name for c in spec.columns}
    for key in rule:
        if key not in known:
            problems.append(Problem(MANIFEST, f"{where} has an unknown key {key!r}.",
                                    f"use only: {', '.join(sorted(known))}."))
    record, failed = {}, set()
    for column in spec.columns:
        text = "" if rule.get(column.name) is None else str(rule[column.name]).strip()
        before = len(problems)
        record[column.name] = _parse_cell(column, text, f"{MANIFEST} {where}", None, problems)
        if len(problems) > before:
            failed.add(column.name)
    if "rule_id" in failed:
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
    result.row_origin["policies"] = {**result.row_origin.get("policies", {}), rule_id: (f"{MANIFEST} {where}", None)}
    result.bad_cells.update(("policies", rule_id, column) for column in failed)


@dataclass(frozen=True)
class Step:
    """One change a scenario (or --set) makes, in the order they apply."""

    context: str  # how a problem it causes is introduced: "scenario a (override '...' in instance.toml ...)"
    apply: Callable[[Instance, list[Problem]], None]


def _steps(instance: Instance, scenario: str, sets: tuple[str, ...] | list[str]) -> list[Step]:
    steps: list[Step] = []
    for name in chain(instance, scenario):
        body = instance.scenarios[name]
        section = f"[scenarios.{name}]"

        def where(what: str, section: str = section, name: str = name) -> str:
            return f"scenario {name} ({what} in {MANIFEST} {section})"

        for rule_id in body.drop_policies:
            def drop(result: Instance, problems: list[Problem], rule_id: str = rule_id, section: str = section,
                     name: str = name) -> None:
                policies = result.tables["policies"]
                if rule_id not in policies.index:
                    listed = ", ".join(policies.index)
                    problems.append(Problem(MANIFEST, f"{section} drops a policy rule that does not exist.",
                                            f"use a rule_id of policies: {listed}." if listed else
                                            "remove it from drop_policies: the instance has no policy rules.",
                                            value=rule_id))
                    return
                result.tables["policies"] = policies.drop(index=rule_id)
                result.applied.append(f"{name}: drop policy {rule_id}")

            steps.append(Step(where(f"drop_policies {rule_id!r}"), drop))
        for i, rule in enumerate(body.add_policies):
            def add(result: Instance, problems: list[Problem], rule: dict[str, object] = rule, i: int = i,
                    section: str = section, name: str = name) -> None:
                _add_policy(result, rule, f"{section} add_policies[{i}]", problems)
                result.applied.append(f"{name}: add policy {rule.get('rule_id')}")

            steps.append(Step(where(f"add_policies[{i}]"), add))
        for text in body.overrides:
            def override(result: Instance, problems: list[Problem], text: str = text, section: str = section,
                         name: str = name) -> None:
                parsed = parse_override(text, f"{MANIFEST} {section} overrides", problems)
                if parsed is not None:
                    apply_override(result, parsed, f"{MANIFEST} {section} overrides", problems)
                    result.applied.append(f"{name}: {text}")

            steps.append(Step(where(f"override {text!r}"), override))
    for text in sets:
        def setting(result: Instance, problems: list[Problem], text: str = text) -> None:
            parsed = parse_override(text, "--set", problems)
            if parsed is not None:
                apply_override(result, parsed, "--set", problems)
                result.applied.append(f"--set {text}")

        steps.append(Step(f"--set {text!r}", setting))
    return steps


def resolve(instance: Instance, scenario: str = BASE_SCENARIO, sets: tuple[str, ...] | list[str] = ()) -> Instance:
    """A copy of `instance` with the scenario's changes (and then `sets`) applied; all problems at once."""
    problems: list[Problem] = []
    result = instance.copy(share=True)
    for step in _steps(instance, scenario, sets):
        step.apply(result, problems)
    if problems:
        raise InstanceError(problems)
    result.scenario = scenario
    return result


def check_scenario(instance: Instance, scenario: str = BASE_SCENARIO, sets: tuple[str, ...] | list[str] = (),
                   cache: CheckCache | None = None) -> tuple[Instance | None, list[Problem]]:
    """The scenario resolved and cross-checked (None if it has problems), and every problem: those of its
    changes themselves, then those the checks find in the result, each named with the change that causes it
    (the scenario, possibly one it extends, and the override, policy change or --set), so that a problem
    met again through scenarios that extend the culprit reads the same and is said once."""
    from optimizer.validate import cross_check

    steps = _steps(instance, scenario, sets)
    problems: list[Problem] = []
    result = instance.copy(share=True)
    for step in steps:
        step.apply(result, problems)
    found = [p for p in cross_check(result, problems or None, cache) if p not in problems]
    if found:
        base = set(cross_check(instance, [Problem("", "")], cache))
        found = [p for p in found if p not in base]
    if found:
        # replay the changes one by one: a problem is the doing of the change after which it stays for good
        trail, replay = [], instance.copy(share=True)
        for step in steps:
            step.apply(replay, [])
            trail.append(set(cross_check(replay, [Problem("", "")])))
        for p in found:
            k = len(steps) - 1
            while k > 0 and p in trail[k - 1]:
                k -= 1
            located = p.file.startswith(f"{MANIFEST} [scenarios.")  # already names the scenario's change
            problems.append(replace(p, context=steps[k].context) if steps and not located else p)
    if problems:
        return None, problems
    result.scenario = scenario
    return result, []


def check_scenarios(instance: Instance, names: list[str] | tuple[str, ...],
                    sets: tuple[str, ...] | list[str] = ()) -> tuple[dict[str, Instance], list[Problem]]:
    """`check_scenario` for each name: the resolved ones, and the problems of all of them, each once."""
    from optimizer.validate import CheckCache, cross_check

    resolved: dict[str, Instance] = {}
    problems: list[Problem] = []
    cache = CheckCache(instance)
    cross_check(instance, [Problem("", "")], cache)  # the base's findings, reused where a scenario leaves tables be
    for name in dict.fromkeys(names):
        scenario, found = check_scenario(instance, name, sets, cache)
        problems.extend(p for p in found if p not in problems)
        if scenario is not None:
            resolved[name] = scenario
    return resolved, problems
