"""User-facing problems: each names the file, row, column and value, and says how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    hint: str = ""
    row: int | None = None  # line of the file (header = 1) or sheet row
    column: str | None = None
    value: str | None = None
    context: str | None = None  # the scenario change that causes it, when a scenario does

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.value is not None:
            where += f", value {self.value!r}"
        text = f"{where}: {self.message}"
        if self.context:
            text = f"{self.context}: {text}"
        if self.hint:
            text += f" Fix: {self.hint}"
        return text


class CrudeSlateError(Exception):
    """Base of every error the CLI turns into a clean message."""

    exit_code = 1


class InstanceError(CrudeSlateError):
    """One or more problems with the input; all of them are carried, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(self.report())

    def report(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class UsageError(CrudeSlateError):
    """A command-line argument that cannot be used (an unknown scenario, option or id). A bad cell path in
    --set or --vary is an input problem instead (exit 1, listed with the others)."""

    exit_code = 2
