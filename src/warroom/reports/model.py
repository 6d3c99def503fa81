"""The report model: what one audience may see of an incident, already redacted.

The service that builds a report fills a `ReportModel` from the domain's audience views
(`domain.redaction.incident_view`, `domain.assessment.view_for`); renderers read nothing
else. So a section the builder leaves out (None) cannot appear in any format, and the
checks in `ReportModel.__post_init__` refuse a model whose sections do not fit its
audience (an SLA section in a customer notice, another customer's row, ...).

Per audience:

- internal / confidential: `incident` (the staff view), `executive_summary`,
  `impact`, `sla` (when assessed), `prepared_by`; `customer` is None.
- customer: `incident` (the customer view), `executive_summary` (the public summary),
  `customer` (that customer's own figures; `customer.credit` only once the assessment
  is approved); `impact` and `sla` are None.
- public: `incident` (the public view), `executive_summary` (the public summary);
  `impact`, `sla` and `customer` are None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from warroom.domain.assessment import Approval, ReviewState
from warroom.domain.audience import Audience
from warroom.domain.redaction import EntryView, IncidentView
from warroom.domain.sla import ExclusionFinding, Liability, Month, Tier
from warroom.domain.timeline import EntryKind
from warroom.domain.window import TimeWindow

# The banner staff versions carry on every page, by the incident's classification.
CLASSIFICATION_BANNERS: dict[str, str] = {
    "confidential": "CONFIDENTIAL - Internal Only",
    "internal": "INTERNAL - Staff Only",
    "public": "INTERNAL - Staff Only",  # the incident is public; this document is not
}

# Timeline kinds marked on the error-rate chart, with their labels.
MILESTONE_LABELS: dict[EntryKind, str] = {
    EntryKind.TRIGGER: "trigger",
    EntryKind.IMPACT_STARTED: "impact",
    EntryKind.DETECTED: "detected",
    EntryKind.DECLARED: "declared",
    EntryKind.IDENTIFIED: "identified",
    EntryKind.MITIGATED: "mitigated",
    EntryKind.RESOLVED: "resolved",
}


@dataclass(frozen=True)
class Evidence:
    """Where the impact figures come from, so a reader can cite and re-run the analysis."""

    source: str  # the request log analysed (path, table or URL as the user named it)
    engine: str | None = None  # "duckdb 1.1.3"
    rows_scanned: int | None = None
    computed_at: datetime | None = None
    definition_hash: str | None = None  # fingerprint of the analytics definition


@dataclass(frozen=True)
class MinutePoint:
    """Requests and failures of all in-scope customers in one UTC minute (for the chart)."""

    at: datetime  # start of the minute
    requests: int
    failed: int

    @property
    def error_rate(self) -> Decimal:
        """Failed share of the minute's requests, as a fraction; 0 without requests."""
        return Decimal(self.failed) / Decimal(self.requests) if self.requests else Decimal(0)


@dataclass(frozen=True)
class ImpactSection:
    """Customer impact across the incident (staff audiences only).

    Every count is optional so the builder can leave out what it does not know
    (no transaction column, no customer registry, ...). `customers_total` is the
    customer base the share of affected customers is taken of. `declared_only` is True
    when no logs were analysed: the figures are the declared window's, and the report
    says so.
    """

    window: TimeWindow | None
    customers_affected: int | None = None
    customers_total: int | None = None
    users_affected: int | None = None
    transactions_affected: int | None = None
    requests_total: int | None = None
    requests_failed: int | None = None
    evidence: Evidence | None = None
    declared_only: bool = False
    series: tuple[MinutePoint, ...] = ()

    @property
    def duration(self) -> timedelta | None:
        return self.window.duration if self.window else None


@dataclass(frozen=True)
class TierCredit:
    """One SLA tier's share of the assessment.

    `credit_percents` are the distinct non-zero percents its customers earn, measured or
    declared, ascending (one value in the usual case: "Eligible for 10% monthly credit").
    """

    tier: str
    customers: int
    credit_percents: tuple[Decimal, ...]
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class SlaSection:
    """The SLA impact assessment (staff audiences only): policy, credits, liability, review."""

    month: Month
    currency: str | None
    tiers: tuple[Tier, ...]  # the policy's terms, per tier
    by_tier: tuple[TierCredit, ...]
    liability: Liability
    review_state: ReviewState
    approvals: tuple[Approval, ...] = ()
    claim_deadline: date | None = None
    logs_analysed: bool = True  # False: low = high = the declared figure
    exclusions: tuple[ExclusionFinding, ...] = ()
    customers_without_sla: int = 0  # in-scope customers whose tier the policy does not know

    @property
    def approved(self) -> bool:
        """Both legal and finance approved: amounts may be communicated to customers."""
        return self.review_state is ReviewState.APPROVED


@dataclass(frozen=True)
class CreditOffer:
    """The credit one customer is offered (present only once the assessment is approved)."""

    percent: Decimal
    amount: Decimal
    currency: str
    claim_deadline: date | None = None


@dataclass(frozen=True)
class CustomerSection:
    """One customer's own impact, for that customer's notice.

    `affected` False means the incident did not reach this customer; the figures are
    then None. `uptime` is the month's uptime as shown (three places, e.g. 99.197).
    """

    customer_id: str
    name: str
    affected: bool
    tier: str | None = None
    requests: int | None = None
    failed: int | None = None
    incident_minutes: int | None = None  # this customer's down minutes in this incident
    month: Month | None = None
    month_down_minutes: int | None = None  # all incidents of the month
    uptime: Decimal | None = None
    credit: CreditOffer | None = None


@dataclass(frozen=True)
class ReportModel:
    """Everything one audience's report shows, and nothing else."""

    audience: Audience
    incident: IncidentView
    generated_at: datetime
    executive_summary: str | None = None  # people-written or generated; public wording outside
    severity_label: str | None = None  # "Critical", from the severity scale
    impact: ImpactSection | None = None
    sla: SlaSection | None = None
    customer: CustomerSection | None = None
    prepared_by: str | None = None  # a team or person; staff audiences only
    last_updated: datetime | None = None  # from the published revision; None = unpublished
    revision: int | None = None
    # a draft that differs from this audience's last published revision (its number)
    previous_revision: int | None = None

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("report model does not fit its audience: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """What makes this model unfit for its audience (empty when it fits)."""
        found: list[str] = []
        if self.incident.audience is not self.audience:
            found.append(
                f"the incident view is for {self.incident.audience.value}, "
                f"the report for {self.audience.value}"
            )
        if self.is_staff:
            if self.customer is not None:
                found.append("a staff report has no customer section")
            return found
        for name in ("impact", "sla", "prepared_by"):
            if getattr(self, name) is not None:
                found.append(f"{name} is for staff audiences only")
        if self.incident.classification is not None or self.incident.roles:
            found.append("the incident view carries staff-only fields")
        if any(entry.author for entry in self.incident.timeline):
            found.append("timeline entries carry authors")
        if any(action.owner or action.link for action in self.incident.actions):
            found.append("corrective actions carry owners or links")
        if (
            self.incident.contributing_factors
            or self.incident.metrics is not None
            or self.incident.data_loss is not None
        ):
            found.append("the incident view carries internal analysis")
        if self.audience is Audience.CUSTOMER and self.customer is None:
            found.append("a customer notice needs its customer section")
        if self.audience is Audience.PUBLIC and self.customer is not None:
            found.append("the public version has no customer section")
        return found

    @property
    def is_staff(self) -> bool:
        return self.audience.may_see(Audience.INTERNAL)

    @property
    def family(self) -> str:
        """The template family: internal (both staff audiences), customer or public."""
        return "internal" if self.is_staff else self.audience.value

    @property
    def classification_banner(self) -> str | None:
        """ "CONFIDENTIAL - Internal Only" on staff versions; None on anything outside."""
        if not self.is_staff:
            return None
        return CLASSIFICATION_BANNERS.get(
            self.incident.classification or "internal", CLASSIFICATION_BANNERS["internal"]
        )

    @property
    def window(self) -> TimeWindow | None:
        """The impact window: the analysed one where there is one, else the declared one."""
        if self.impact is not None and self.impact.window is not None:
            return self.impact.window
        return self.incident.impact_window

    @property
    def milestones(self) -> tuple[EntryView, ...]:
        """The first timeline entry of each milestone kind, by time."""
        firsts: dict[EntryKind, EntryView] = {}
        for entry in sorted(self.incident.timeline, key=lambda entry: entry.at):
            if entry.kind in MILESTONE_LABELS and entry.kind not in firsts:
                firsts[entry.kind] = entry
        return tuple(firsts.values())
