"""Reading form values into what the services take; a bad value is an InvalidInput that
names the field, shown on the page like any other refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime

from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem


def utc_time(value: str | None, field: str) -> datetime | None:
    """A time typed in UTC ("2025-11-08T14:30", seconds or a Z optional); None if empty."""
    text = (value or "").strip()
    if not text:
        return None
    if text.endswith("Z"):
        text = text[:-1]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            [
                Problem(
                    field, "bad_time", f"{value!r} is not a time; expected YYYY-MM-DDTHH:MM in UTC"
                )
            ]
        ) from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return parsed.replace(tzinfo=UTC)


def day(value: str | None, field: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            [Problem(field, "bad_date", f"{value!r} is not a date; expected YYYY-MM-DD")]
        ) from None


def audience(
    value: str | None, field: str = "audience", default: Audience = Audience.INTERNAL
) -> Audience:
    text = (value or "").strip().lower()
    if not text:
        return default
    try:
        return Audience(text)
    except ValueError:
        names = ", ".join(a.value for a in Audience)
        raise InvalidInput(
            [Problem(field, "bad_audience", f"unknown audience {value!r}; expected one of {names}")]
        ) from None


def names(value: str | None) -> tuple[str, ...] | None:
    """A comma-separated list; empty means all (None)."""
    found = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    return found or None


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def number(value: str | None, field: str, *, low: int = 1, high: int = 1_000_000) -> int:
    text = (value or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidInput(
            [Problem(field, "bad_number", f"{value!r} is not a whole number from {low} to {high}")]
        )
    return int(text)


def page_number(value: str | None) -> int:
    """The page asked for in a list's query string; a bad or absent one is the first (a
    link, not a form: nothing to refuse)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else 1
