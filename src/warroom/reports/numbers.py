"""Numbers, money, durations and UTC times written for reading, in the reference report's style.

Reports round for reading ("~52,000"); the JSON rendering keeps every figure exact.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from warroom.domain.sla import Month, minor_units
from warroom.domain.window import iso_z as iso_z  # re-exported for the templates
from warroom.domain.window import require_utc

# Symbols that read unambiguously; other currencies are written with their ISO code.
CURRENCY_SYMBOLS: dict[str, str] = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "ILS": "₪",
    "NGN": "₦",
    "UAH": "₴",
    "VND": "₫",
}


def rounded(value: int) -> int:
    """`value` kept to 3 significant figures when its leading digit is below 5, else to 2.

    So the rounding error is never more than 1 %: 12,412 → 12,400, 51,873 → 52,000.
    Values below 1,000 are kept whole (847 stays 847).
    """
    magnitude = abs(value)
    if magnitude < 1000:
        return value
    digits = len(str(magnitude))
    keep = 3 if int(str(magnitude)[0]) < 5 else 2
    step = Decimal(10) ** (digits - keep)
    kept = (Decimal(magnitude) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return int(kept) if value >= 0 else -int(kept)


def grouped(value: int | Decimal) -> str:
    """Thousands separated by commas: 52013 → "52,013"."""
    return f"{value:,}"


def about(value: int, *, words: bool = False) -> str:
    """A count for reading: "847", "~12,400", "~52,000" (or "Approximately 12,400").

    The mark appears only when rounding changed the value.
    """
    shown = rounded(value)
    if shown == value:
        return grouped(value)
    return f"Approximately {grouped(shown)}" if words else f"~{grouped(shown)}"


def percent(value: Decimal | int) -> str:
    """A percentage as written in SLA terms: 10 → "10%", 12.5 → "12.5%", 99.950 → "99.95%"."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{int(number)}%"
    return f"{number.normalize():f}%"


def share(part: int, whole: int) -> str:
    """`part` of `whole` as a percentage to one place: "100%", "37.5%", "<0.1%", "99.9%".

    Never shows 100% unless it is all of it, nor 0% unless it is none.
    """
    if whole <= 0:
        return "n/a"
    exact = Decimal(part) * 100 / Decimal(whole)
    if exact == exact.to_integral_value():
        return f"{int(exact)}%"
    one_place = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if one_place >= 100:
        return "99.9%"
    if one_place <= 0:
        return "<0.1%"
    text = f"{one_place.normalize():f}"
    return f"{text}%"


def duration(value: timedelta | int) -> str:
    """Whole minutes in words: 347 → "5 hours 47 minutes", 60 → "1 hour", 0 → "0 minutes".

    A timedelta is floored to the minute; days are written out past 24 hours.
    """
    total = value if isinstance(value, int) else int(value.total_seconds() // 60)
    if total < 0:
        raise ValueError(f"a duration cannot be negative ({total} minutes)")
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        _plural(days, "day") if days else "",
        _plural(hours, "hour") if hours else "",
        _plural(minutes, "minute") if minutes else "",
    ]
    text = " ".join(part for part in parts if part)
    return text or "0 minutes"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def money(amount: Decimal, currency: str | None, *, whole: bool = False) -> str:
    """An amount with its currency: "$127,000.00", "€1,234.50", "CHF 10.00", "¥5,000".

    Shown to the currency's smallest unit (the cent for most); `whole=True` leaves the
    minor units out when they are zero ("$127,000"). Without a currency: "127,000.00".
    """
    places = minor_units(currency)
    exact = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if whole and exact == exact.to_integral_value():
        number = f"{int(exact.copy_abs()):,}"
    else:
        number = f"{exact.copy_abs():,.{places}f}"
    sign = "-" if exact < 0 else ""
    if currency is None:
        return f"{sign}{number}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}"


def money_range(low: Decimal, high: Decimal, currency: str | None) -> str:
    """A range of amounts: "$127,000 - $185,000"; cents only when either needs them.

    When both ends are equal the range is one amount.
    """
    places = minor_units(currency)
    step = Decimal(1).scaleb(-places)
    whole = all(
        value.quantize(step, rounding=ROUND_HALF_UP) == value.to_integral_value()
        for value in (low, high)
    )
    if low == high:
        return money(low, currency, whole=whole)
    return f"{money(low, currency, whole=whole)} - {money(high, currency, whole=whole)}"


utc = require_utc  # the domain's rule: converted to UTC, naive times refused


def hhmm(at: datetime) -> str:
    """The UTC clock time: "14:02"."""
    return f"{utc(at):%H:%M}"


def clock(at: datetime, since: date | None = None) -> str:
    """ "14:02", or "Nov 9 02:10" when `at` falls on a later UTC day than `since`."""
    moment = utc(at)
    if since is None or moment.date() == since:
        return f"{moment:%H:%M}"
    return f"{moment:%b} {moment.day} {moment:%H:%M}"


def long_date(day: date | datetime) -> str:
    """ "November 8, 2025" (a datetime is read in UTC)."""
    if isinstance(day, datetime):
        day = utc(day).date()
    return f"{day:%B} {day.day}, {day:%Y}"


def month_label(month: Month | date) -> str:
    """ "November 2025"."""
    return f"{date(month.year, month.month, 1):%B %Y}"


def utc_datetime(at: datetime) -> str:
    """ "November 8, 2025 14:02 UTC"."""
    return f"{long_date(at)} {hhmm(at)} UTC"


def span(start: datetime, end: datetime) -> str:
    """ "November 8, 2025 14:02 - 19:49 UTC", with the end's date when it is another day."""
    if utc(start).date() == utc(end).date():
        return f"{long_date(start)} {hhmm(start)} - {hhmm(end)} UTC"
    return f"{utc_datetime(start)} - {utc_datetime(end)}"


def humanize(value: str) -> str:
    """A stored code as words: "pending_review" → "Pending review"."""
    text = value.replace("_", " ").strip()
    return text[:1].upper() + text[1:]
