"""User-facing errors as data: what went wrong, where, and what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected.

    `field` is a path such as ``timeline[3].at``; `source` is a file name (or
    ``None`` for command-line values); `line` is 1-based when known.
    """

    field: str
    code: str
    message: str
    source: str | None = None
    line: int | None = None

    def where(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(self.field)
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class WarroomError(Exception):
    """Base class of every error caused by what a user asked for (never a bug)."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def problems(self) -> list[Problem]:
        return [Problem(field="", code=self.code, message=self.message)]


class InvalidInput(WarroomError):
    """One or more problems found while validating an input; nothing was changed."""

    code = "invalid"

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self._problems = list(problems)
        if not self._problems:
            raise ValueError("InvalidInput needs at least one problem")
        first = str(self._problems[0])
        more = len(self._problems) - 1
        text = summary or (first if not more else f"{first} (and {more} more problem(s))")
        super().__init__(text)

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)


class NotFound(WarroomError):
    code = "not_found"


class Conflict(WarroomError):
    """The request contradicts what is stored (duplicate ID, stale state)."""

    code = "conflict"


class IllegalTransition(WarroomError):
    code = "illegal_transition"


class PermissionDenied(WarroomError):
    code = "permission_denied"


class TooManyRequests(WarroomError):
    """Refused for now: too many tries in too short a time (a rate limit); try later."""

    code = "rate_limited"
