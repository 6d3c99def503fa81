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
from hashlib import sha256
from typing import NamedTuple

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
    "AED": 2,
    "ARS": 2,
    "AUD": 2,
    "BGN": 2,
    "BHD": 3,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CLP": 0,
    "CNY": 2,
    "COP": 2,
    "CZK": 2,
    "DKK": 2,
    "EGP": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "HUF": 2,
    "IDR": 2,
    "ILS": 2,
    "INR": 2,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "MXN": 2,
    "MYR": 2,
    "NGN": 2,
    "NOK": 2,
    "NZD": 2,
    "OMR": 3,
    "PHP": 2,
    "PLN": 2,
    "QAR": 2,
    "RON": 2,
    "SAR": 2,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TND": 3,
    "TRY": 2,
    "TWD": 2,
    "UAH": 2,
    "USD": 2,
    "VND": 0,
    "ZAR": 2,
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
            object.__setattr__(
                self, "announced_at", require_utc(self.announced_at, "announcement time")
            )
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
        add(
            "exclusions.notice_hours",
            "out_of_range",
            f"notice_hours must not be negative, got {policy.notice_hours}",
        )
    if policy.deadline_days is not None and policy.deadline_days < 0:
        add(
            "claims.deadline_days",
            "out_of_range",
            f"deadline_days must not be negative, got {policy.deadline_days}",
        )
    if not (policy.minimum_credit.is_finite() and policy.minimum_credit >= 0):
        add(
            "claims.minimum_credit",
            "out_of_range",
            f"minimum_credit must not be negative, got {policy.minimum_credit}",
        )
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
        add(
            f"{base}.uptime_target",
            "out_of_range",
            f"uptime_target must be above 0 and at most 100, got {tier.uptime_target}",
        )
    if tier.cap_percent is not None and not _percentage(tier.cap_percent):
        add(
            f"{base}.cap_percent",
            "out_of_range",
            f"cap_percent must be above 0 and at most 100, got {tier.cap_percent}",
        )
    if not tier.brackets:
        add(f"{base}.credits", "required", "a tier needs at least one credit bracket")
    for i, bracket in enumerate(tier.brackets):
        where = f"{base}.credits[{i}]"
        if not _percentage(bracket.below):
            add(
                f"{where}.below",
                "out_of_range",
                f"below must be an uptime above 0 and at most 100, got {bracket.below}",
            )
        elif _percentage(tier.uptime_target) and bracket.below > tier.uptime_target:
            add(
                f"{where}.below",
                "above_target",
                f"below {bracket.below} is above the tier's uptime_target "
                f"{tier.uptime_target}: an uptime that meets the target would earn a credit",
            )
        if not _percentage(bracket.percent):
            add(
                f"{where}.percent",
                "out_of_range",
                f"percent must be above 0 and at most 100, got {bracket.percent}",
            )
        if i == 0:
            continue
        previous = tier.brackets[i - 1]
        if bracket.below == previous.below:
            add(
                f"{where}.below",
                "duplicate_bracket",
                f"brackets overlap: two brackets have below {bracket.below}",
            )
        elif bracket.below > previous.below:
            add(
                f"{where}.below",
                "unsorted_brackets",
                f"brackets must be sorted by descending `below` "
                f"({bracket.below} comes after {previous.below})",
            )
        elif _percentage(bracket.percent) and bracket.percent <= previous.percent:
            add(
                f"{where}.percent",
                "unsorted_brackets",
                f"percent must grow as `below` falls: {bracket.percent} (below "
                f"{bracket.below}) is not more than {previous.percent} (below {previous.below})",
            )
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


_QUANTA = {code: Decimal(1).scaleb(-digits) for code, digits in CURRENCY_MINOR_UNITS.items()}
_CENT = Decimal(1).scaleb(-2)


def round_money(amount: Decimal, currency: str | None = None) -> Decimal:
    """Half-up to the currency's smallest unit (123.4565 USD → 123.46)."""
    return amount.quantize(
        _QUANTA.get(currency or "", _CENT), rounding=ROUND_HALF_UP, context=_CONTEXT
    )


def credit_amount(
    monthly_fee: Decimal,
    percent: Decimal,
    *,
    currency: str | None = None,
    minimum_credit: Decimal = ZERO,
) -> Decimal:
    """percent × fee, rounded half-up to the cent; amounts below `minimum_credit` are 0."""
    amount = round_money(
        _CONTEXT.divide(_CONTEXT.multiply(monthly_fee, percent), HUNDRED), currency
    )
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


def exclusion_findings(
    policy: SlaPolicy, month: Month, incident_start: datetime | None = None
) -> tuple[ExclusionFinding, ...]:
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
            require_utc(incident_start)
        )
        findings.append(
            ExclusionFinding(
                window=window,
                counts=in_time,
                announced_late=not in_time,
                incident_began_inside=began_inside,
                minutes_in_month=len(inside),
            )
        )
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


class CustomerCredit(NamedTuple):
    """One in-scope customer's month: minutes, uptime and credit, measured and declared.

    Month figures count every incident of the month, minus counted exclusion windows.
    `credit_low` comes from measured minutes and `credit_high` from declared ones; both
    are net of `already_credited` (credits other assessments already settled this month).

    An immutable record like the other domain values, but a named tuple: an assessment
    makes one per customer, and a tuple is made six times faster than a frozen dataclass
    (a second at a million customers).
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

    @property
    def owed(self) -> bool:
        """Whether this line sends the customer money (once approved): a credit above 0."""
        return self.has_sla and self.credit > 0


@dataclass(frozen=True)
class TierTotal:
    tier: str
    customers: int  # in-scope customers of the tier
    low: Decimal
    high: Decimal
    percents: tuple[Decimal, ...] = ()  # the distinct non-zero credit percents they earn


@dataclass(frozen=True)
class Liability:
    low: Decimal  # sum of the customers' rounded measured credits
    high: Decimal  # sum of the customers' rounded declared credits


@dataclass(frozen=True)
class SlaAssessment:
    """The credits one incident leads to, for the month it happened in.

    Computed by `assess`, `rows` holds every in-scope customer; read back from the store,
    it holds the lines that were asked for (a page, or one customer's). The totals and
    counts always cover the whole registry.
    """

    month: Month
    currency: str | None
    rows: tuple[CustomerCredit, ...]  # in-scope customers, registry order
    tiers: tuple[TierTotal, ...]  # every policy tier, policy order
    liability: Liability
    no_sla: tuple[str, ...]  # IDs of the customers of `rows` whose tier has no SLA
    out_of_scope: int  # registry customers this incident did not touch
    exclusions: tuple[ExclusionFinding, ...]
    claim_deadline: date | None
    logs_analysed: bool  # False: this incident's figures are declared ones (low = high)
    incidents_in_month: int
    incidents_without_logs: int  # of those, how many count with declared minutes only
    measured_outside_window: int  # measured minutes dropped: outside the declared window
    unregistered_customers: tuple[str, ...]  # measured customer IDs not in the registry
    in_scope: int  # in-scope customers, all of them (`rows` may hold fewer)
    no_sla_count: int  # in-scope customers whose tier has no SLA, all of them

    @property
    def registry_size(self) -> int:
        return self.in_scope + self.out_of_scope

    def row(self, customer_id: str) -> CustomerCredit | None:
        for row in self.rows:
            if row.customer_id == customer_id:
                return row
        return None


def assess(
    policy: SlaPolicy,
    customers: Sequence[Customer],
    incident: IncidentImpact,
    *,
    others: Sequence[IncidentImpact] = (),
    month: Month | None = None,
    already_credited: Mapping[str, Decimal] | None = None,
) -> SlaAssessment:
    """Compute every in-scope customer's credit for `incident`'s month.

    `others` are the month's other incidents (incidents outside the month are ignored);
    `month` defaults to the month the incident's impact began in. Measured minutes are
    kept inside the incident's declared window, so measured never exceeds declared and
    low ≤ high always holds. Raises InvalidInput on contradictory inputs (bad policy,
    duplicate customer IDs, currencies that differ from the policy's).
    """
    check_policy(policy)
    check_customers(policy, customers)
    assessor = Assessor(policy, incident, others=others, month=month)
    credited = already_credited or {}
    rows = [
        row
        for customer in customers
        if (row := assessor.add(customer, credited.get(customer.customer_id, ZERO))) is not None
    ]
    return assessor.finish(rows)


class Assessor:
    """`assess`, one customer at a time, for registries of any size.

    The month's rules (exclusions, the other incidents, the declared windows) are
    prepared once; each customer's line is computed as it comes (`add`), and the totals,
    the counts and the fingerprint are kept as they go (`finish`), so memory does not
    grow with the registry beyond the fingerprint's 32 bytes per customer. The figures
    are exactly those of `assess`, which is built on this class.

    Customer IDs must be unique: the registry readers refuse duplicates, and `assess`
    checks a whole list before it starts.
    """

    def __init__(
        self,
        policy: SlaPolicy,
        incident: IncidentImpact,
        *,
        others: Sequence[IncidentImpact] = (),
        month: Month | None = None,
    ) -> None:
        check_policy(policy)
        self.policy = policy
        self.incident = incident
        self.month = month or Month.of(incident.window.start)
        self.exclusions = exclusion_findings(policy, self.month, incident.window.start)
        self._month_minutes = MinuteSet.from_window(self.month.window)
        self._never_down = excluded_minutes(self.exclusions)
        in_month = [other for other in others if other.window.overlap(self.month.window)]
        self._incidents = [incident, *in_month]
        self._declared = [MinuteSet.from_window(item.window) for item in self._incidents]
        self._measured_ids = {
            customer_id for item in self._incidents for customer_id in (item.measured or {})
        }
        self._own_measured = set(incident.measured or {})
        self._tiers = {tier.name: tier for tier in policy.tiers}
        self.fingerprint = Fingerprint(policy, incident, others=others, month=self.month)
        # what customers share is computed once: minutes by regions (customers without
        # measured minutes), uptimes and percents by tier and minutes, zeros by currency
        self._minutes_by_regions: dict[tuple[str, ...], _Minutes | None] = {}
        self._percents: dict[tuple[str, int, int], tuple[Decimal, Decimal, Decimal, Decimal]]
        self._percents = {}
        self._zeros: dict[str, Decimal] = {}
        # running totals
        self._currencies: dict[str, str] = {}  # currency of SLA customers -> first customer
        self._seen_measured: set[str] = set()
        self._tier_counts = dict.fromkeys(self._tiers, 0)
        self._tier_low = dict.fromkeys(self._tiers, ZERO)
        self._tier_high = dict.fromkeys(self._tiers, ZERO)
        self._tier_percents: dict[str, set[Decimal]] = {name: set() for name in self._tiers}
        self._low = self._high = ZERO
        self.customers = 0
        self.in_scope = 0
        self.no_sla_count = 0
        self.measured_outside_window = 0

    def add(self, customer: Customer, already: Decimal = ZERO) -> CustomerCredit | None:
        """Count `customer` (with what earlier assessments already credited it this month):
        its line, or None when the incident's scope does not reach it."""
        self.customers += 1
        self.fingerprint.add(customer, already)
        tier = self._tiers.get(customer.tier)
        if tier is not None:
            self._check_currency(customer)
        if customer.customer_id in self._own_measured:
            self._seen_measured.add(customer.customer_id)
        minutes = self._minutes(customer)
        if minutes is None:
            return None
        row = self._row(customer, tier, minutes, already)
        self.in_scope += 1
        self.measured_outside_window += minutes.outside_window
        if tier is None:
            self.no_sla_count += 1
            return row
        name = tier.name
        self._tier_counts[name] += 1
        # zeros add nothing (`finish` gives every total the currency's places)
        if row.credit_low:
            self._low = _CONTEXT.add(self._low, row.credit_low)
            self._tier_low[name] = _CONTEXT.add(self._tier_low[name], row.credit_low)
        if row.credit_high:
            self._high = _CONTEXT.add(self._high, row.credit_high)
            self._tier_high[name] = _CONTEXT.add(self._tier_high[name], row.credit_high)
        if row.credit_percent_low:
            self._tier_percents[name].add(row.credit_percent_low)
        if row.credit_percent_high:
            self._tier_percents[name].add(row.credit_percent_high)
        return row

    @property
    def currency(self) -> str | None:
        """The assessment's currency: the policy's, else that of its SLA customers."""
        return self.policy.currency or next(iter(self._currencies), None)

    def finish(self, rows: Sequence[CustomerCredit] = ()) -> SlaAssessment:
        """The assessment of every customer added, holding `rows` as its lines."""
        zero = round_money(ZERO, self.currency)
        tiers = tuple(
            TierTotal(
                tier=name,
                customers=self._tier_counts[name],
                low=self._tier_low[name] + zero,
                high=self._tier_high[name] + zero,
                percents=tuple(sorted(self._tier_percents[name])),
            )
            for name in self._tiers
        )
        incidents = self._incidents
        return SlaAssessment(
            month=self.month,
            currency=self.currency,
            rows=tuple(rows),
            tiers=tiers,
            liability=Liability(low=self._low + zero, high=self._high + zero),
            no_sla=tuple(row.customer_id for row in rows if not row.has_sla),
            out_of_scope=self.customers - self.in_scope,
            exclusions=self.exclusions,
            claim_deadline=claim_deadline(self.month, self.policy.deadline_days),
            logs_analysed=self.incident.measured is not None,
            incidents_in_month=len(incidents),
            incidents_without_logs=sum(1 for item in incidents if item.measured is None),
            measured_outside_window=self.measured_outside_window,
            unregistered_customers=tuple(sorted(self._own_measured - self._seen_measured)),
            in_scope=self.in_scope,
            no_sla_count=self.no_sla_count,
        )

    def _check_currency(self, customer: Customer) -> None:
        """The currency rules of `check_customers`, as customers come (no SLA, no money:
        a customer without SLA may use any currency)."""
        policy = self.policy
        if policy.currency is not None:
            if customer.currency != policy.currency:
                raise InvalidInput(
                    [
                        Problem(
                            field=f"customers[{customer.customer_id}].currency",
                            code="currency_mismatch",
                            message=f"currency {customer.currency} differs from the policy's "
                            f"currency "
                            f"{policy.currency}",
                        )
                    ]
                )
            return
        self._currencies.setdefault(customer.currency, customer.customer_id)
        if len(self._currencies) > 1:
            listed = ", ".join(f"{code} ({cid})" for code, cid in self._currencies.items())
            raise InvalidInput(
                [
                    Problem(
                        field="customers",
                        code="currency_mismatch",
                        message=f"customers with an SLA use several currencies: {listed}; set "
                        "`currency` in the policy",
                    )
                ]
            )

    def _minutes(self, customer: Customer) -> _Minutes | None:
        if customer.customer_id in self._measured_ids:
            return self._count(customer)
        try:
            return self._minutes_by_regions[customer.regions]
        except KeyError:
            found = self._minutes_by_regions[customer.regions] = self._count(customer)
            return found

    def _count(self, customer: Customer) -> _Minutes | None:
        """The customer's down minutes in the month, or None when out of the incident's scope."""
        if not self.incident.scope.covers_any_region(customer.regions):
            return None
        declared, measured = MinuteSet(), MinuteSet()
        own_declared, own_measured = MinuteSet(), MinuteSet()
        outside_window = 0
        for index, (item, item_declared) in enumerate(
            zip(self._incidents, self._declared, strict=True)
        ):
            if not item.scope.covers_any_region(customer.regions):
                continue
            if item.measured is None:
                item_measured = item_declared
            else:
                raw = item.measured.get(customer.customer_id, MinuteSet())
                item_measured = raw & item_declared
                if index == 0:
                    outside_window = len(raw - item_declared)
            declared, measured = declared | item_declared, measured | item_measured
            if index == 0:
                own_declared, own_measured = item_declared, item_measured

        def counted(minutes: MinuteSet) -> int:
            return len((minutes & self._month_minutes) - self._never_down)

        return _Minutes(
            declared=counted(declared),
            measured=counted(measured),
            own_declared=counted(own_declared),
            own_measured=counted(own_measured),
            outside_window=outside_window,
        )

    def _row(
        self, customer: Customer, tier: Tier | None, minutes: _Minutes, already: Decimal
    ) -> CustomerCredit:
        key = (customer.tier, minutes.declared, minutes.measured)
        try:
            uptime_measured, uptime_declared, percent_low, percent_high = self._percents[key]
        except KeyError:
            uptime_measured = monthly_uptime(minutes.measured, self.month)
            uptime_declared = monthly_uptime(minutes.declared, self.month)
            percent_low = percent_high = ZERO
            if tier is not None:
                percent_low = credit_percent(tier, uptime_measured)
                percent_high = credit_percent(tier, uptime_declared)
            self._percents[key] = (uptime_measured, uptime_declared, percent_low, percent_high)
        zero = self._zeros.get(customer.currency)
        if zero is None:
            zero = self._zeros[customer.currency] = round_money(ZERO, customer.currency)
        low = high = zero
        if tier is not None:
            low = self._credit(customer, percent_low, already, zero)
            high = (
                low
                if percent_high == percent_low
                else self._credit(customer, percent_high, already, zero)
            )
        return CustomerCredit(
            customer.customer_id,
            customer.name,
            customer.tier,
            tier is not None,
            customer.monthly_fee,
            customer.currency,
            minutes.own_measured,
            minutes.own_declared,
            minutes.measured,
            minutes.declared,
            uptime_measured,
            uptime_declared,
            percent_low,
            percent_high,
            low,
            high,
            already,
        )

    def _credit(
        self, customer: Customer, percent: Decimal, already: Decimal, zero: Decimal
    ) -> Decimal:
        if not percent:
            return zero  # nothing earned: nothing to take off either
        amount = credit_amount(
            customer.monthly_fee,
            percent,
            currency=customer.currency,
            minimum_credit=self.policy.minimum_credit,
        )
        if not already:
            return amount if amount > zero else zero
        # A month earns one credit: what other assessments settled is taken off.
        return max(zero, round_money(_CONTEXT.subtract(amount, already), customer.currency))


@dataclass(frozen=True)
class _Minutes:
    declared: int  # the whole month, all incidents, exclusions removed
    measured: int
    own_declared: int  # this incident alone, within the month
    own_measured: int
    outside_window: int  # measured minutes of this incident outside its declared window


def check_customers(policy: SlaPolicy, customers: Sequence[Customer]) -> str | None:
    """Refuse duplicate IDs and mixed currencies; return the assessment's currency."""
    problems: list[Problem] = []
    seen: set[str] = set()
    currencies: dict[str, str] = {}  # currency -> first customer using it
    for customer in customers:
        field = f"customers[{customer.customer_id}]"
        if customer.customer_id in seen:
            problems.append(
                Problem(
                    field=field,
                    code="duplicate",
                    message=f"customer_id {customer.customer_id!r} appears more than once",
                )
            )
        seen.add(customer.customer_id)
        if policy.tier(customer.tier) is None:
            continue  # no SLA, no money: its currency does not matter
        if policy.currency is not None and customer.currency != policy.currency:
            problems.append(
                Problem(
                    field=f"{field}.currency",
                    code="currency_mismatch",
                    message=f"currency {customer.currency} differs from the "
                    f"policy's currency {policy.currency}",
                )
            )
        currencies.setdefault(customer.currency, customer.customer_id)
    if policy.currency is None and len(currencies) > 1:
        listed = ", ".join(f"{code} ({cid})" for code, cid in currencies.items())
        problems.append(
            Problem(
                field="customers",
                code="currency_mismatch",
                message=f"customers with an SLA use several currencies: "
                f"{listed}; set `currency` in the policy",
            )
        )
    if problems:
        raise InvalidInput(problems)
    return policy.currency or next(iter(currencies), None)


# -- change detection -------------------------------------------------------------------------

FINGERPRINT_FORMAT = "warroom.sla.fingerprint/2"


class Fingerprint:
    """What an approval covers: a digest of everything `assess` reads, built as customers come.

    It is the SHA-256 of three digests: the policy's, the registry's and the impact's
    (this incident, the month's other incidents, the month). The registry's digest does
    not depend on the customers' order: each customer's entry, with what earlier
    assessments already credited it this month, is hashed on its own, and the sorted
    hashes are hashed together (a sum or an XOR of them would let someone build another
    registry with the same digest). `Decimal("10")` counts as `Decimal("10.0")`.
    """

    def __init__(
        self,
        policy: SlaPolicy,
        incident: IncidentImpact,
        *,
        others: Iterable[IncidentImpact] = (),
        month: Month | None = None,
    ) -> None:
        self.policy = policy_digest(policy)
        self.impact = impact_digest(incident, others=others, month=month)
        self._entries = bytearray()
        self._registry: str | None = None

    def add(self, customer: Customer, already: Decimal = ZERO) -> None:
        self._registry = None
        entry = (
            customer.customer_id,
            customer.name,
            customer.tier,
            _number(customer.monthly_fee),
            customer.currency,
            customer.regions,
            _number(already) if already else "0",
        )
        self._entries += sha256(repr(entry).encode()).digest()

    @property
    def registry(self) -> str:
        if self._registry is None:
            entries = self._entries
            hashes = sorted(bytes(entries[i : i + 32]) for i in range(0, len(entries), 32))
            self._registry = hashlib.sha256(b"".join(hashes)).hexdigest()
        return self._registry

    @property
    def value(self) -> str:
        return combine_fingerprint(self.policy, self.registry, self.impact)


def combine_fingerprint(policy: str, registry: str, impact: str) -> str:
    """The fingerprint of an assessment from the digests of its three kinds of input."""
    return hashlib.sha256(repr((FINGERPRINT_FORMAT, policy, registry, impact)).encode()).hexdigest()


def policy_digest(policy: SlaPolicy) -> str:
    return hashlib.sha256(repr(_canonical(policy)).encode()).hexdigest()


def impact_digest(
    incident: IncidentImpact, *, others: Iterable[IncidentImpact] = (), month: Month | None = None
) -> str:
    """The digest of what the incidents of the month bring: windows, scopes, measured
    minutes (the other incidents in any order)."""
    canonical = (
        _canonical(incident),
        sorted(repr(_canonical(other)) for other in others),
        _canonical(month or Month.of(incident.window.start)),
    )
    return hashlib.sha256(repr(canonical).encode()).hexdigest()


def inputs_digest(
    policy: SlaPolicy,
    customers: Iterable[Customer],
    incident: IncidentImpact,
    *,
    others: Iterable[IncidentImpact] = (),
    month: Month | None = None,
    already_credited: Mapping[str, Decimal] | None = None,
) -> str:
    """The fingerprint (`Fingerprint`) of `assess`'s inputs, given all at once.

    Order-insensitive where order means nothing (customers, other incidents, mappings),
    and `Decimal("10")` equals `Decimal("10.0")`.
    """
    credited = already_credited or {}
    fingerprint = Fingerprint(policy, incident, others=others, month=month)
    for customer in customers:
        fingerprint.add(customer, credited.get(customer.customer_id, ZERO))
    return fingerprint.value


def legacy_inputs_digest(
    policy: SlaPolicy,
    customers: Iterable[Customer],
    incident: IncidentImpact,
    *,
    others: Iterable[IncidentImpact] = (),
    month: Month | None = None,
    already_credited: Mapping[str, Decimal] | None = None,
) -> str:
    """The fingerprint of assessments stored before format 2 (whole documents), kept only
    to tell, when such an assessment is upgraded, whether its inputs are still those its
    approvals were given to."""
    canonical = (
        _canonical(policy),
        sorted(repr(_canonical(customer)) for customer in customers),
        _canonical(incident),
        sorted(repr(_canonical(other)) for other in others),
        _canonical(month or Month.of(incident.window.start)),
        _canonical(dict(already_credited or {})),
    )
    return hashlib.sha256(repr(canonical).encode()).hexdigest()


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value.is_finite() else str(value)


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, MinuteSet):
        return value.ranges
    if isinstance(value, Mapping):
        return sorted((str(key), _canonical(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            [(f.name, _canonical(getattr(value, f.name))) for f in dataclasses.fields(value)],
        )
    return value
