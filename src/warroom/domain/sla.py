"""SLA policy and the credit rules: monthly uptime, brackets, credits and liability range.

One definition, used by every shell (docs/definitions.md): minutes are whole
UTC minutes held in `MinuteSet`s, uptime and money are `Decimal`, never floats.
"""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext

from warroom.domain.customers import Customer
from warroom.domain.downtime import DowntimeRule
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.minutes import MinuteSet
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow, require_utc

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# Enough digits that an uptime is exact to far below any bracket's precision, and
# fixed here so a caller's decimal context can never change a credit.
_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)

# ISO 4217 codes warroom accepts, with their minor units (digits after the point):
# credits are rounded to the currency's smallest unit (the cent for most of them).
CURRENCY_MINOR_UNITS: Mapping[str, int] = {
    "AED": 2, "ARS": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2,
    "CLP": 0, "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2,
    "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0,
    "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2, "NZD": 2, "OMR": 3,
    "PHP": 2, "PLN": 2, "QAR": 2, "RON": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2,
    "TND": 3, "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
}


# -- the policy ------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in UTC, the period an SLA is measured over."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not between 1 and 12")
        if not 1970 <= self.year <= 9998:
            raise ValueError(f"year {self.year} is out of range")

    @classmethod
    def of(cls, at: datetime) -> Month:
        at = require_utc(at)
        return cls(at.year, at.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def window(self) -> TimeWindow:
        start = datetime(self.year, self.month, 1, tzinfo=UTC)
        return TimeWindow(start, start + timedelta(days=self.days))

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def minutes(self) -> int:
        """Minutes in the month (UTC has no DST): November has 43,200."""
        return self.days * 24 * 60

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Bracket:
    """Monthly uptime strictly below `below` (a percentage) earns `percent` of the fee."""

    below: Decimal
    percent: Decimal


@dataclass(frozen=True)
class Tier:
    name: str
    uptime_target: Decimal
    brackets: tuple[Bracket, ...]  # by descending `below`, percent growing
    cap_percent: Decimal | None = None  # ceiling on the month's credit, None = no cap


@dataclass(frozen=True)
class MaintenanceWindow:
    """Announced maintenance; its minutes are never down when it was announced in time."""

    start: datetime
    end: datetime
    announced_at: datetime | None = None  # None = counts (no announcement to check)
    description: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", require_utc(self.start, "maintenance start"))
        object.__setattr__(self, "end", require_utc(self.end, "maintenance end"))
        if self.announced_at is not None:
            object.__setattr__(self, "announced_at",
                               require_utc(self.announced_at, "announcement time"))
        if self.end <= self.start:
            raise ValueError("a maintenance window must end after it starts")

    @property
    def window(self) -> TimeWindow:
        return TimeWindow(self.start, self.end)

    def announced_in_time(self, notice_hours: int | None) -> bool:
        if self.announced_at is None or notice_hours is None:
            return True
        return self.announced_at <= self.start - timedelta(hours=notice_hours)


@dataclass(frozen=True)
class SlaPolicy:
    """The SLA policy file (docs/sla.md); absent parts mean no such rule."""

    tiers: tuple[Tier, ...]
    currency: str | None = None
    downtime: DowntimeRule = field(default_factory=DowntimeRule)
    notice_hours: int | None = None  # None = every maintenance window counts
    maintenance_windows: tuple[MaintenanceWindow, ...] = ()
    deadline_days: int | None = None  # None = no claim deadline
    minimum_credit: Decimal = ZERO

    def tier(self, name: str) -> Tier | None:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        return None

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(tier.name for tier in self.tiers)


def policy_problems(policy: SlaPolicy) -> list[Problem]:
    """Everything that makes a policy contradict itself or the rules of an SLA.

    Field paths follow the policy file's layout (``tiers.enterprise.credits[1].below``),
    so the file reader can attach line numbers to them. The downtime rule is checked
    when it is made (`DowntimeRule`), so a policy never holds a bad one.
    """
    problems: list[Problem] = []

    def add(field: str, code: str, message: str) -> None:
        problems.append(Problem(field=field, code=code, message=message))

    if policy.currency is not None and policy.currency not in CURRENCY_MINOR_UNITS:
        add("currency", "unknown_currency", unknown_currency_message(policy.currency))
    if policy.notice_hours is not None and policy.notice_hours < 0:
        add("exclusions.notice_hours", "out_of_range",
            f"notice_hours must not be negative, got {policy.notice_hours}")
    if policy.deadline_days is not None and policy.deadline_days < 0:
        add("claims.deadline_days", "out_of_range",
            f"deadline_days must not be negative, got {policy.deadline_days}")
    if not (policy.minimum_credit.is_finite() and policy.minimum_credit >= 0):
        add("claims.minimum_credit", "out_of_range",
            f"minimum_credit must not be negative, got {policy.minimum_credit}")
    if not policy.tiers:
        add("tiers", "required", "the policy needs at least one tier")
    seen: set[str] = set()
    for tier in policy.tiers:
        if tier.name in seen:
            add(f"tiers.{tier.name}", "duplicate", f"tier {tier.name!r} is defined twice")
        seen.add(tier.name)
        problems.extend(_tier_problems(tier))
    return problems


def _tier_problems(tier: Tier) -> list[Problem]:
    problems: list[Problem] = []
    base = f"tiers.{tier.name}"

    def add(field: str, code: str, message: str) -> None:
        problems.append(Problem(field=field, code=code, message=message))

    if not tier.name.strip():
        add("tiers", "required", "a tier needs a name")
    if not _percentage(tier.uptime_target):
        add(f"{base}.uptime_target", "out_of_range",
            f"uptime_target must be above 0 and at most 100, got {tier.uptime_target}")
    if tier.cap_percent is not None and not _percentage(tier.cap_percent):
        add(f"{base}.cap_percent", "out_of_range",
            f"cap_percent must be above 0 and at most 100, got {tier.cap_percent}")
    if not tier.brackets:
        add(f"{base}.credits", "required", "a tier needs at least one credit bracket")
    for i, bracket in enumerate(tier.brackets):
        where = f"{base}.credits[{i}]"
        if not _percentage(bracket.below):
            add(f"{where}.below", "out_of_range",
                f"below must be an uptime above 0 and at most 100, got {bracket.below}")
        elif _percentage(tier.uptime_target) and bracket.below > tier.uptime_target:
            add(f"{where}.below", "above_target",
                f"below {bracket.below} is above the tier's uptime_target "
                f"{tier.uptime_target}: an uptime that meets the target would earn a credit")
        if not _percentage(bracket.percent):
            add(f"{where}.percent", "out_of_range",
                f"percent must be above 0 and at most 100, got {bracket.percent}")
        if i == 0:
            continue
        previous = tier.brackets[i - 1]
        if bracket.below == previous.below:
            add(f"{where}.below", "duplicate_bracket",
                f"brackets overlap: two brackets have below {bracket.below}")
        elif bracket.below > previous.below:
            add(f"{where}.below", "unsorted_brackets",
                f"brackets must be sorted by descending `below` "
                f"({bracket.below} comes after {previous.below})")
        elif _percentage(bracket.percent) and bracket.percent <= previous.percent:
            add(f"{where}.percent", "unsorted_brackets",
                f"percent must grow as `below` falls: {bracket.percent} (below "
                f"{bracket.below}) is not more than {previous.percent} (below {previous.below})")
    return problems


def _percentage(value: Decimal) -> bool:
    return value.is_finite() and ZERO < value <= HUNDRED


def unknown_currency_message(code: str) -> str:
    hint = f" (did you mean {code.upper()!r}?)" if code.upper() in CURRENCY_MINOR_UNITS else ""
    return f"unknown currency {code!r}{hint}; expected an ISO 4217 code such as USD, EUR, GBP"


def check_policy(policy: SlaPolicy) -> None:
    problems = policy_problems(policy)
    if problems:
        raise InvalidInput(problems)


# -- uptime and credits -------------------------------------------------------------------

def monthly_uptime(down_minutes: int, month: Month) -> Decimal:
    """100 × (1 − down / minutes in the month), in full precision (347 in Nov → 99.19675…)."""
    total = month.minutes
    if not 0 <= down_minutes <= total:
        raise ValueError(f"{down_minutes} down minutes do not fit in {month} ({total} minutes)")
    with localcontext(_CONTEXT):
        return HUNDRED * (total - down_minutes) / total


def bracket_percent(tier: Tier, uptime: Decimal) -> Decimal:
    """The percent of the lowest bracket whose `below` strictly exceeds `uptime`, else 0."""
    matching = [bracket for bracket in tier.brackets if uptime < bracket.below]
    if not matching:
        return ZERO
    return min(matching, key=lambda bracket: bracket.below).percent


def credit_percent(tier: Tier, uptime: Decimal) -> Decimal:
    """The month's credit percent: the bracket's percent, held at the tier's cap if any."""
    percent = bracket_percent(tier, uptime)
    if tier.cap_percent is not None:
        percent = min(percent, tier.cap_percent)
    return percent


def minor_units(currency: str | None) -> int:
    """Digits after the point for `currency` (2 when unknown or not given: the cent)."""
    return CURRENCY_MINOR_UNITS.get(currency or "", 2)


def round_money(amount: Decimal, currency: str | None = None) -> Decimal:
    """Half-up to the currency's smallest unit (123.4565 USD → 123.46)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP,
                           context=_CONTEXT)


def credit_amount(monthly_fee: Decimal, percent: Decimal, *, currency: str | None = None,
                  minimum_credit: Decimal = ZERO) -> Decimal:
    """percent × fee, rounded half-up to the cent; amounts below `minimum_credit` are 0."""
    with localcontext(_CONTEXT):
        amount = round_money(monthly_fee * percent / HUNDRED, currency)
    if amount < minimum_credit:
        return round_money(ZERO, currency)
    return amount


def claim_deadline(month: Month, deadline_days: int | None) -> date | None:
    """The last day (UTC) a credit for `month` may be claimed: month end + deadline_days."""
    if deadline_days is None:
        return None
    return month.last_day + timedelta(days=deadline_days)


# -- exclusions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExclusionFinding:
    """A maintenance window that touches the month, and what legal should know about it."""

    window: MaintenanceWindow
    counts: bool  # its minutes are removed from every customer's down minutes
    announced_late: bool  # announced less than notice_hours before it started
    incident_began_inside: bool  # this incident's impact began during the window
    minutes_in_month: int


def exclusion_findings(policy: SlaPolicy, month: Month,
                       incident_start: datetime | None = None) -> tuple[ExclusionFinding, ...]:
    """The policy's maintenance windows that overlap `month`, each judged and flagged.

    A window counts when announced at least notice_hours before its start, or when it
    has no announcement time. A window the incident began in still counts if announced
    in time; it is flagged so legal can decide (the reference incident's case).
    """
    month_minutes = MinuteSet.from_window(month.window)
    findings = []
    for window in policy.maintenance_windows:
        inside = MinuteSet.from_window(window.window) & month_minutes
        if not inside:
            continue
        in_time = window.announced_in_time(policy.notice_hours)
        began_inside = incident_start is not None and window.window.contains(
            require_utc(incident_start))
        findings.append(ExclusionFinding(window=window, counts=in_time,
                                         announced_late=not in_time,
                                         incident_began_inside=began_inside,
                                         minutes_in_month=len(inside)))
    return tuple(findings)


def excluded_minutes(findings: Iterable[ExclusionFinding]) -> MinuteSet:
    """The minutes that are never down: those of every window that counts."""
    excluded = MinuteSet()
    for finding in findings:
        if finding.counts:
            excluded = excluded | MinuteSet.from_window(finding.window.window)
    return excluded


# -- the assessment ---------------------------------------------------------------------------

@dataclass(frozen=True)
class IncidentImpact:
    """One incident as the SLA sees it: declared impact window, scope, measured minutes.

    `measured` maps customer_id → down minutes found in the logs; a customer missing
    from it had none. `None` means no logs were analysed: the declared minutes stand in.
    """

    window: TimeWindow
    scope: Scope = field(default_factory=Scope)
    measured: Mapping[str, MinuteSet] | None = None
    incident_id: str | None = None


@dataclass(frozen=True)
class CustomerCredit:
    """One in-scope customer's month: minutes, uptime and credit, measured and declared.

    Month figures count every incident of the month, minus counted exclusion windows.
    `credit_low` comes from measured minutes and `credit_high` from declared ones; both
    are net of `already_credited` (credits other assessments already settled this month).
    """

    customer_id: str
    name: str
    tier: str
    has_sla: bool
    monthly_fee: Decimal
    currency: str
    incident_minutes_measured: int  # this incident alone, within the month
    incident_minutes_declared: int
    down_minutes_measured: int  # the whole month, all incidents
    down_minutes_declared: int
    uptime_measured: Decimal
    uptime_declared: Decimal
    credit_percent_low: Decimal
    credit_percent_high: Decimal
    credit_low: Decimal
    credit_high: Decimal
    already_credited: Decimal = ZERO

    @property
    def credit(self) -> Decimal:
        """The figure a customer is offered: measured where logs exist, else declared.

        Without logs the measured minutes *are* the declared ones, so this is always
        `credit_low`.
        """
        return self.credit_low

    @property
    def credit_percent(self) -> Decimal:
        return self.credit_percent_low

    @property
    def down_minutes(self) -> int:
        return self.down_minutes_measured

    @property
    def uptime(self) -> Decimal:
        return self.uptime_measured

    @property
    def incident_minutes(self) -> int:
        return self.incident_minutes_measured


@dataclass(frozen=True)
class TierTotal:
    tier: str
    customers: int  # in-scope customers of the tier
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class Liability:
    low: Decimal  # sum of the customers' rounded measured credits
    high: Decimal  # sum of the customers' rounded declared credits


@dataclass(frozen=True)
class SlaAssessment:
    """The credits one incident leads to, for the month it happened in."""

    month: Month
    currency: str | None
    rows: tuple[CustomerCredit, ...]  # in-scope customers, registry order
    tiers: tuple[TierTotal, ...]  # every policy tier, policy order
    liability: Liability
    no_sla: tuple[str, ...]  # in-scope customer IDs whose tier the policy does not know
    out_of_scope: int  # registry customers this incident did not touch
    exclusions: tuple[ExclusionFinding, ...]
    claim_deadline: date | None
    logs_analysed: bool  # False: this incident's figures are declared ones (low = high)
    incidents_in_month: int
    incidents_without_logs: int  # of those, how many count with declared minutes only
    measured_outside_window: int  # measured minutes dropped: outside the declared window
    unregistered_customers: tuple[str, ...]  # measured customer IDs not in the registry

    def row(self, customer_id: str) -> CustomerCredit | None:
        for row in self.rows:
            if row.customer_id == customer_id:
                return row
        return None


def assess(policy: SlaPolicy, customers: Sequence[Customer], incident: IncidentImpact, *,
           others: Sequence[IncidentImpact] = (), month: Month | None = None,
           already_credited: Mapping[str, Decimal] | None = None) -> SlaAssessment:
    """Compute every in-scope customer's credit for `incident`'s month.

    `others` are the month's other incidents (incidents outside the month are ignored);
    `month` defaults to the month the incident's impact began in. Measured minutes are
    kept inside the incident's declared window, so measured never exceeds declared and
    low ≤ high always holds. Raises InvalidInput on contradictory inputs (bad policy,
    duplicate customer IDs, currencies that differ from the policy's).
    """
    check_policy(policy)
    month = month or Month.of(incident.window.start)
    currency = _check_customers(policy, customers)
    credited = already_credited or {}
    month_minutes = MinuteSet.from_window(month.window)
    findings = exclusion_findings(policy, month, incident.window.start)
    never_down = excluded_minutes(findings)

    def counted(minutes: MinuteSet) -> MinuteSet:
        return (minutes & month_minutes) - never_down

    in_month = [other for other in others if other.window.overlap(month.window)]
    incidents = [incident, *in_month]
    declared_sets = [MinuteSet.from_window(item.window) for item in incidents]
    registered = {customer.customer_id for customer in customers}
    unregistered = sorted(set(incident.measured or {}) - registered)

    rows: list[CustomerCredit] = []
    no_sla: list[str] = []
    outside_window = 0
    for customer in customers:
        if not incident.scope.covers_any_region(customer.regions):
            continue
        declared, measured = MinuteSet(), MinuteSet()
        own_declared, own_measured = MinuteSet(), MinuteSet()
        for index, (item, item_declared) in enumerate(zip(incidents, declared_sets, strict=True)):
            if not item.scope.covers_any_region(customer.regions):
                continue
            if item.measured is None:
                item_measured = item_declared
            else:
                raw = item.measured.get(customer.customer_id, MinuteSet())
                item_measured = raw & item_declared
                if index == 0:
                    outside_window += len(raw - item_declared)
            declared, measured = declared | item_declared, measured | item_measured
            if index == 0:
                own_declared, own_measured = item_declared, item_measured
        tier = policy.tier(customer.tier)
        if tier is None:
            no_sla.append(customer.customer_id)
        rows.append(_credit_row(policy, tier, customer, month,
                                declared=len(counted(declared)),
                                measured=len(counted(measured)),
                                own_declared=len(counted(own_declared)),
                                own_measured=len(counted(own_measured)),
                                already=credited.get(customer.customer_id, ZERO)))

    zero = round_money(ZERO, currency)
    tiers = tuple(
        TierTotal(tier=tier.name,
                  customers=sum(1 for row in rows if row.tier == tier.name),
                  low=sum((row.credit_low for row in rows if row.tier == tier.name), zero),
                  high=sum((row.credit_high for row in rows if row.tier == tier.name), zero))
        for tier in policy.tiers)
    liability = Liability(low=sum((row.credit_low for row in rows), zero),
                          high=sum((row.credit_high for row in rows), zero))
    return SlaAssessment(
        month=month, currency=currency, rows=tuple(rows), tiers=tiers, liability=liability,
        no_sla=tuple(no_sla), out_of_scope=len(customers) - len(rows), exclusions=findings,
        claim_deadline=claim_deadline(month, policy.deadline_days),
        logs_analysed=incident.measured is not None, incidents_in_month=len(incidents),
        incidents_without_logs=sum(1 for item in incidents if item.measured is None),
        measured_outside_window=outside_window, unregistered_customers=tuple(unregistered))


def _credit_row(policy: SlaPolicy, tier: Tier | None, customer: Customer, month: Month, *,
                declared: int, measured: int, own_declared: int, own_measured: int,
                already: Decimal) -> CustomerCredit:
    uptime_measured = monthly_uptime(measured, month)
    uptime_declared = monthly_uptime(declared, month)
    zero = round_money(ZERO, customer.currency)
    percent_low = percent_high = ZERO
    low = high = zero
    if tier is not None:
        percent_low = credit_percent(tier, uptime_measured)
        percent_high = credit_percent(tier, uptime_declared)
        # A month earns one credit: what other assessments settled is taken off.
        low, high = (
            max(zero, round_money(credit_amount(customer.monthly_fee, percent,
                                                currency=customer.currency,
                                                minimum_credit=policy.minimum_credit) - already,
                                  customer.currency))
            for percent in (percent_low, percent_high))
    return CustomerCredit(
        customer_id=customer.customer_id, name=customer.name, tier=customer.tier,
        has_sla=tier is not None, monthly_fee=customer.monthly_fee, currency=customer.currency,
        incident_minutes_measured=own_measured, incident_minutes_declared=own_declared,
        down_minutes_measured=measured, down_minutes_declared=declared,
        uptime_measured=uptime_measured, uptime_declared=uptime_declared,
        credit_percent_low=percent_low, credit_percent_high=percent_high,
        credit_low=low, credit_high=high, already_credited=already)


def _check_customers(policy: SlaPolicy, customers: Sequence[Customer]) -> str | None:
    """Refuse duplicate IDs and mixed currencies; return the assessment's currency."""
    problems: list[Problem] = []
    seen: set[str] = set()
    currencies: dict[str, str] = {}  # currency -> first customer using it
    for customer in customers:
        field = f"customers[{customer.customer_id}]"
        if customer.customer_id in seen:
            problems.append(Problem(field=field, code="duplicate",
                                    message=f"customer_id {customer.customer_id!r} appears "
                                            f"more than once"))
        seen.add(customer.customer_id)
        if policy.tier(customer.tier) is None:
            continue  # no SLA, no money: its currency does not matter
        if policy.currency is not None and customer.currency != policy.currency:
            problems.append(Problem(field=f"{field}.currency", code="currency_mismatch",
                                    message=f"currency {customer.currency} differs from the "
                                            f"policy's currency {policy.currency}"))
        currencies.setdefault(customer.currency, customer.customer_id)
    if policy.currency is None and len(currencies) > 1:
        listed = ", ".join(f"{code} ({cid})" for code, cid in currencies.items())
        problems.append(Problem(field="customers", code="currency_mismatch",
                                message=f"customers with an SLA use several currencies: "
                                        f"{listed}; set `currency` in the policy"))
    if problems:
        raise InvalidInput(problems)
    return policy.currency or next(iter(currencies), None)


# -- change detection -------------------------------------------------------------------------

def inputs_digest(policy: SlaPolicy, customers: Iterable[Customer], incident: IncidentImpact,
                  *, others: Iterable[IncidentImpact] = (), month: Month | None = None,
                  already_credited: Mapping[str, Decimal] | None = None) -> str:
    """A fingerprint of everything `assess` reads, to tell when approved inputs changed.

    Order-insensitive where order means nothing (customers, other incidents, mappings),
    and `Decimal("10")` equals `Decimal("10.0")`.
    """
    canonical = (
        _canonical(policy),
        sorted(repr(_canonical(customer)) for customer in customers),
        _canonical(incident),
        sorted(repr(_canonical(other)) for other in others),
        _canonical(month or Month.of(incident.window.start)),
        _canonical(dict(already_credited or {})),
    )
    return hashlib.sha256(repr(canonical).encode()).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, MinuteSet):
        return value.ranges
    if isinstance(value, Mapping):
        return sorted((str(key), _canonical(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, [(f.name, _canonical(getattr(value, f.name)))
                                       for f in dataclasses.fields(value)])
    return value
