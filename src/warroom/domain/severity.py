"""Severity levels SEV-1 (critical) .. SEV-4 (minor), with definitions an organisation can set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from warroom.domain.errors import InvalidInput, Problem


@dataclass(frozen=True)
class SeverityLevel:
    name: str  # "SEV-1"
    rank: int  # 1 is the most severe
    label: str  # "Critical"
    description: str


@dataclass(frozen=True)
class SeverityScale:
    """The severity levels in use, most severe first."""

    levels: tuple[SeverityLevel, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(level.name for level in self.levels)

    def get(self, name: str) -> SeverityLevel:
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def label_of(self, name: str) -> str:
        """The level's label; a severity the scale no longer defines shows as its name."""
        return self.get(name).label if name in self else name

    def parse(self, value: str, field: str = "severity") -> str:
        """Return the canonical name for `value` ("sev1", "SEV-1", "1" all mean SEV-1)."""
        text = str(value).strip().upper().replace("_", "-")
        if text.isdigit():
            text = f"SEV-{text}"
        if text.startswith("SEV") and not text.startswith("SEV-"):
            text = "SEV-" + text[3:]
        if text in self.names:
            return text
        raise InvalidInput(
            [
                Problem(
                    field=field,
                    code="bad_severity",
                    message=f"unknown severity {value!r}; expected one of {', '.join(self.names)}",
                )
            ]
        )

    def with_definitions(self, definitions: Mapping[str, Mapping[str, str]]) -> SeverityScale:
        """A copy where the given levels carry the organisation's own label and description."""
        problems = [
            Problem(
                field=f"severities.{name}",
                code="bad_severity",
                message=f"unknown severity {name!r}; expected one of {', '.join(self.names)}",
            )
            for name in definitions
            if name not in self.names
        ]
        if problems:
            raise InvalidInput(problems)
        levels = []
        for level in self.levels:
            own = definitions.get(level.name, {})
            levels.append(
                SeverityLevel(
                    name=level.name,
                    rank=level.rank,
                    label=own.get("label", level.label),
                    description=own.get("description", level.description),
                )
            )
        return SeverityScale(tuple(levels))


def _default_levels() -> Iterable[SeverityLevel]:
    yield SeverityLevel(
        "SEV-1", 1, "Critical", "Service down or data at risk for many customers; all hands."
    )
    yield SeverityLevel(
        "SEV-2",
        2,
        "Major",
        "A core feature is degraded or down for a significant share of customers.",
    )
    yield SeverityLevel(
        "SEV-3", 3, "Moderate", "A non-core feature is degraded, or a few customers are affected."
    )
    yield SeverityLevel(
        "SEV-4", 4, "Minor", "Little or no customer impact; fix in normal working hours."
    )


DEFAULT_SCALE = SeverityScale(tuple(_default_levels()))
