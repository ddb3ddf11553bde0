"""Errors as values: validation returns a list of :class:`Problem`; services raise
:class:`Refused` carrying them when a user action cannot be carried out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str  # the field's key ("registered_on"), or "" for the whole record
    message: str  # a complete sentence for the user, in the active language

    def __str__(self) -> str:
        return self.message


class Refused(Exception):
    """A user action was refused; nothing was changed."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("；".join(p.message for p in self.problems))

    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(p.field, []).append(p.message)
        return out


class NotFound(Refused):
    pass


class PermissionDenied(Refused):
    pass
