"""Report test data: the reference incident as a hand-built report model, and Hypothesis
strategies for incidents whose data holds values an audience must never see.

`worlds()` draws a `World`: a domain incident, a customer registry, an SLA policy, the
assessment `domain.sla.assess` computes from them, and a review. `World.forbidden()`
lists the values a given audience must not see (staff names, internal notes, other
customers' names, IDs and amounts, the liability, the review status text, the
classification banner), `World.allowed()` values it must see (a positive control, so a
search that finds nothing proves something). `model_for()` feeds a world through the
real report builder (`warroom.reports.build`), so the redaction tests cover it.

Every sentinel carries a unique tag ``[A-Z]{3}[0-9]{3}`` and is made of letters, digits,
spaces, dots, commas and hyphens only, so no format escapes it and a plain substring
search (after collapsing whitespace) finds it in any rendering. Texts an audience may see
are built from `PUBLIC_WORDS` (lowercase, plus characters that need escaping), which
never form a tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from warroom.domain.assessment import (
    Approval,
    Review,
    ReviewRole,
    ReviewState,
)
from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.impact import CustomerImpact, ImpactProvenance, ImpactResult
from warroom.domain.incident import (
    ActionStatus,
    Classification,
    CorrectiveAction,
    Incident,
    Role,
)
from warroom.domain.lifecycle import Status
from warroom.domain.redaction import incident_view
from warroom.domain.scope import Scope
from warroom.domain.sla import (
    Bracket,
    IncidentImpact,
    Liability,
    Month,
    SlaAssessment,
    SlaPolicy,
    Tier,
    assess,
)
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.domain.window import TimeWindow
from warroom.reports.build import ReportInputs, SlaInputs, build_report
from warroom.reports.model import (
    CreditOffer,
    CustomerSection,
    Evidence,
    ImpactSection,
    MinutePoint,
    ReportModel,
    SlaSection,
    TierCredit,
)

D = Decimal

# -- the reference report (shared/reference/incident-report-2025-11-08.txt) -------------------

REFERENCE_SUMMARY = (
    "On November 8, 2025, a critical service outage affected all customers for approximately "
    "5 hours and 47 minutes (14:02 - 19:49 UTC). The incident was caused by a cascading "
    "failure in our primary database cluster following a routine maintenance operation. All "
    "services have been fully restored and preventive measures implemented."
)
REFERENCE_ROOT_CAUSE = (
    "The incident was triggered by a database connection pool configuration change deployed "
    "as part of routine maintenance. The new configuration reduced the maximum connection "
    "limit without a corresponding adjustment to application connection retry logic."
)
REFERENCE_PUBLIC_SUMMARY = (
    "On November 8, 2025 our service was unavailable for all customers while we restored "
    "our primary database cluster."
)
REFERENCE_PUBLIC_ROOT_CAUSE = (
    "A configuration change to our database cluster during routine maintenance reduced the "
    "number of connections available to our application."
)
# (time, kind, text, audience)
REFERENCE_TIMELINE: tuple[tuple[str, EntryKind, str, Audience], ...] = (
    ("13:45", EntryKind.TRIGGER, "Scheduled maintenance begins on DB cluster", Audience.INTERNAL),
    ("14:02", EntryKind.DETECTED, "First alerts - connection timeouts detected", Audience.PUBLIC),
    ("14:08", EntryKind.DECLARED, "SEV-1 declared, incident commander assigned", Audience.INTERNAL),
    (
        "14:15",
        EntryKind.UPDATE,
        "Customer impact confirmed - all regions affected",
        Audience.PUBLIC,
    ),
    (
        "14:30",
        EntryKind.IDENTIFIED,
        "Root cause identified - connection pool exhaustion",
        Audience.INTERNAL,
    ),
    ("15:45", EntryKind.UPDATE, "Failover to secondary cluster initiated", Audience.INTERNAL),
    ("16:20", EntryKind.UPDATE, "Secondary cluster also experiencing issues", Audience.INTERNAL),
    ("17:30", EntryKind.DECISION, "Decision made to restore from backup", Audience.INTERNAL),
    (
        "18:45",
        EntryKind.MITIGATED,
        "Primary services restored, validation underway",
        Audience.PUBLIC,
    ),
    ("19:49", EntryKind.RESOLVED, "Full service restoration confirmed", Audience.PUBLIC),
)
REFERENCE_ACTIONS: tuple[tuple[str, str, date, ActionStatus, Audience], ...] = (
    (
        "Configuration change process now requires production-equivalent load testing",
        "Priya Raman",
        date(2025, 11, 30),
        ActionStatus.DONE,
        Audience.PUBLIC,
    ),
    (
        "Enhanced monitoring with connection pool metrics and alerting",
        "Tomas Berg",
        date(2025, 11, 20),
        ActionStatus.DONE,
        Audience.PUBLIC,
    ),
    (
        "Updated failover runbooks and conducted team training",
        "Jane Doe",
        date(2025, 11, 21),
        ActionStatus.DONE,
        Audience.INTERNAL,
    ),
    (
        "Implemented automated canary deployments for infrastructure changes",
        "Priya Raman",
        date(2025, 12, 15),
        ActionStatus.IN_PROGRESS,
        Audience.PUBLIC,
    ),
    (
        "Added circuit breakers to prevent cascade failures",
        "Tomas Berg",
        date(2025, 12, 15),
        ActionStatus.OPEN,
        Audience.INTERNAL,
    ),
)
REFERENCE_TIERS = (
    Tier(
        "enterprise",
        D("99.95"),
        (Bracket(D("99.95"), D(10)), Bracket(D("99.0"), D(25)), Bracket(D("95.0"), D(100))),
    ),
    Tier(
        "business",
        D("99.9"),
        (Bracket(D("99.9"), D(5)), Bracket(D("99.0"), D(10))),
        cap_percent=D(100),
    ),
)
REFERENCE_UPDATED = datetime(2025, 11, 22, 16, 5, tzinfo=UTC)
REFERENCE_GENERATED = datetime(2025, 11, 22, 16, 6, tzinfo=UTC)


def at(hhmm: str, day: date = date(2025, 11, 8)) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=UTC)


def reference_incident() -> Incident:
    return Incident(
        id="INC-2025-1108-001",
        title="Service Disruption",
        severity="SEV-1",
        status=Status.CLOSED,
        classification=Classification.CONFIDENTIAL,
        roles={Role.COMMANDER: "Jane Doe"},
        scope=Scope(),
        data_loss="None confirmed",
        summary=REFERENCE_SUMMARY,
        public_summary=REFERENCE_PUBLIC_SUMMARY,
        timeline=[
            TimelineEntry(at=at(time), kind=kind, text=text, author="Jane Doe", audience=audience)
            for time, kind, text, audience in REFERENCE_TIMELINE
        ],
        root_cause=REFERENCE_ROOT_CAUSE,
        public_root_cause=REFERENCE_PUBLIC_ROOT_CAUSE,
        contributing_factors=[
            "Application retry logic was not adjusted to the new connection limit",
            "Failover runbooks assumed the secondary cluster was independent of the primary",
        ],
        actions=[
            CorrectiveAction(
                number=n, title=title, owner=owner, due=due, status=status, audience=audience
            )
            for n, (title, owner, due, status, audience) in enumerate(REFERENCE_ACTIONS, 1)
        ],
    )


def reference_series() -> tuple[MinutePoint, ...]:
    """A per-minute series shaped like the reference outage (deterministic)."""
    points = []
    start = at("13:40")
    for minute in range(0, 380):
        when = start + timedelta(minutes=minute)
        requests = 900 + (minute * 37) % 200
        if when < at("14:02") or when >= at("19:49"):
            failed = (minute * 7) % 5
        elif when < at("18:45"):
            failed = requests - (minute * 13) % 60
        else:
            failed = requests // 4 + (minute * 11) % 40
        points.append(MinutePoint(at=when, requests=requests, failed=failed))
    return tuple(points)


def reference_sla(state: ReviewState = ReviewState.PENDING_REVIEW) -> SlaSection:
    approvals: tuple[Approval, ...] = ()
    if state is ReviewState.APPROVED:
        approvals = (
            Approval(ReviewRole.LEGAL, "Laura Legal"),
            Approval(ReviewRole.FINANCE, "Fred Finance"),
        )
    elif state is ReviewState.PENDING_REVIEW:
        approvals = (Approval(ReviewRole.FINANCE, "Fred Finance"),)
    return SlaSection(
        month=Month(2025, 11),
        currency="USD",
        tiers=REFERENCE_TIERS,
        by_tier=(
            TierCredit("enterprise", 212, (D(10),), D("90000.00"), D("130000.00")),
            TierCredit("business", 635, (D(5),), D("37000.00"), D("55000.00")),
        ),
        liability=Liability(low=D("127000.00"), high=D("185000.00")),
        review_state=state,
        approvals=approvals,
        claim_deadline=date(2025, 12, 30),
        logs_analysed=True,
    )


def reference_model(
    audience: Audience = Audience.INTERNAL,
    *,
    state: ReviewState = ReviewState.PENDING_REVIEW,
    customer_credit: bool | None = None,
) -> ReportModel:
    """The reference report's model for `audience`, built by hand from the reference text.

    For the customer audience the notice is for customer C-0042 (Northwind Traders); its
    credit is present when `state` is approved (or when `customer_credit` says so).
    """
    view = incident_view(reference_incident(), audience)
    common = dict(
        audience=audience,
        incident=view,
        generated_at=REFERENCE_GENERATED,
        severity_label="Critical",
        last_updated=REFERENCE_UPDATED,
        revision=3,
    )
    if audience.may_see(Audience.INTERNAL):
        return ReportModel(
            **common,  # type: ignore[arg-type]
            executive_summary=REFERENCE_SUMMARY,
            impact=ImpactSection(
                window=TimeWindow(at("14:02"), at("19:49")),
                customers_affected=847,
                customers_total=847,
                users_affected=51_873,
                transactions_affected=12_412,
                requests_total=342_117,
                requests_failed=301_442,
                evidence=Evidence(
                    source="s3://logs/requests/2025-11-08/*.parquet",
                    engine="duckdb 1.1.3",
                    rows_scanned=342_117,
                    computed_at=datetime(2025, 11, 9, 9, 30, tzinfo=UTC),
                    definition_hash="3f9a1c2b7d4e5f60718293a4b5c6d7e8",
                ),
                series=reference_series(),
            ),
            sla=reference_sla(state),
            prepared_by="Engineering Operations Team",
        )
    customer = None
    if audience is Audience.CUSTOMER:
        credit = customer_credit if customer_credit is not None else (state is ReviewState.APPROVED)
        customer = CustomerSection(
            customer_id="C-0042",
            name="Northwind Traders",
            affected=True,
            tier="enterprise",
            requests=4_120,
            failed=3_871,
            incident_minutes=347,
            month=Month(2025, 11),
            month_down_minutes=347,
            uptime=D("99.197"),
            credit=CreditOffer(
                percent=D(10),
                amount=D("1250.00"),
                currency="USD",
                claim_deadline=date(2025, 12, 30),
            )
            if credit
            else None,
        )
    return ReportModel(
        **common,
        executive_summary=REFERENCE_PUBLIC_SUMMARY,  # type: ignore[arg-type]
        customer=customer,
    )


# -- generated worlds ---------------------------------------------------------------------------

PUBLIC_WORDS = (
    "database",
    "latency",
    "restored",
    "requests",
    "timeouts",
    "failover",
    "cluster",
    "api",
    "errors",
    "elevated",
    "we",
    "our",
    "the",
    "service",
    "monitoring",
    "recovered",
    "a",
    "for",
    "degraded",
    "queue",
    "region",
    "checkout",
    "login",
    "&",
    "<b>",
    "*",
    "_",
    "[link](x)",
    "|",
    "$5",
    "#",
    '"quoted"',
    "it's",
    "100%",
    "-",
    "1.",
)
TAG = re.compile(r"[A-Z]{3}[0-9]{3}")
POLICY = SlaPolicy(tiers=REFERENCE_TIERS, currency="USD", deadline_days=30)

tag_prefixes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=3, max_size=3)
public_text = st.lists(st.sampled_from(PUBLIC_WORDS), min_size=2, max_size=12).map(" ".join)
pseudo_words = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=7),
)


@dataclass(frozen=True)
class World:
    """An incident with everything around it, drawn so every secret is recognisable."""

    incident: Incident
    customers: tuple[Customer, ...]
    usage: dict[str, tuple[int, int]]  # customer_id -> (requests, failed)
    policy: SlaPolicy
    assessment: SlaAssessment
    review: Review
    prepared_by: str  # a person: outside versions must not name them
    generated_at: datetime
    staff: tuple[str, ...]  # every person named anywhere in the incident or its review

    @property
    def customer_ids(self) -> tuple[str, ...]:
        return tuple(customer.customer_id for customer in self.customers)

    def forbidden(self, audience: Audience, customer_id: str | None = None) -> dict[str, set[str]]:
        """What `audience` (for `customer_id`) must not see, by kind of secret."""
        incident = self.incident
        found: dict[str, set[str]] = {
            "staff names": {*self.staff, self.prepared_by},
            "internal notes": set(),
            "internal analysis": set(),
            "other customers": set(),
            "amounts": set(),
            "review status": {
                "pending_review",
                "Pending review",
                "changes_requested",
                "Changes requested",
                "Review status",
                "NOTE: SLA credit",
            },
            "classification": {
                "CONFIDENTIAL - Internal Only",
                "INTERNAL - Staff Only",
                "Classification",
            },
        }
        for entry in incident.timeline:
            if not audience.may_see(entry.audience):
                found["internal notes"].add(entry.text)
        for action in incident.actions:
            if not audience.may_see(action.audience):
                found["internal notes"].add(action.title)
            if action.link:
                found["internal notes"].add(action.link)
        for text in (
            incident.summary,
            incident.root_cause,
            incident.data_loss,
            *incident.contributing_factors,
        ):
            if text:
                found["internal analysis"].add(text)
        liability = self.assessment.liability
        found["amounts"].update(money_forms(liability.low, liability.high))
        for tier in self.assessment.tiers:
            found["amounts"].update(money_forms(tier.low, tier.high))
        approved = self.review.is_approved
        for row in self.assessment.rows:
            if row.customer_id == customer_id:
                if not approved:
                    found["amounts"].update(money_forms(row.credit_low, row.credit_high))
                continue
            found["other customers"].update({row.customer_id, row.name})
            found["amounts"].update(money_forms(row.credit_low, row.credit_high))
        for customer in self.customers:
            found["amounts"].update(money_forms(customer.monthly_fee))
            if customer.customer_id != customer_id:
                found["other customers"].update({customer.customer_id, customer.name})
        own = {form for forms in self.allowed(audience, customer_id) for form in forms}
        return {kind: values - own for kind, values in found.items()}

    def allowed(self, audience: Audience, customer_id: str | None = None) -> list[tuple[str, ...]]:
        """Values `audience` must see, each as the ways it may be written (any one will do):
        the incident ID, the customer's own name and ID, and its credit once approved."""
        values: list[tuple[str, ...]] = [(self.incident.id,)]
        if audience is not Audience.CUSTOMER or customer_id is None:
            return values
        customer = next(c for c in self.customers if c.customer_id == customer_id)
        values += [(customer.customer_id,), (customer.name,)]
        row = self.assessment.row(customer_id)
        affected = self.usage[customer_id][1] > 0  # a failed request in the logs
        if (
            row is not None
            and affected
            and self.review.is_approved
            and row.has_sla
            and row.credit > 0
        ):
            values.append(tuple(sorted(money_forms(row.credit))))
        return values


def money_forms(*amounts: Decimal) -> set[str]:
    """How an amount can be written ("12,345.67", "12345.67"); zero amounts say nothing."""
    forms: set[str] = set()
    for amount in amounts:
        if amount > 0:
            forms.update({f"{amount:,.2f}", f"{amount:.2f}"})
    return forms


@st.composite
def worlds(draw: st.DrawFn, *, min_customers: int = 2, max_customers: int = 5) -> World:
    """An incident, its customers and assessment, with a unique tag in every secret."""
    count = draw(st.integers(min_customers, max_customers))
    prefix, first = draw(tag_prefixes), draw(st.integers(0, 899))
    tag = (f"{prefix}{number:03d}" for number in range(first, 1000))  # unique by construction

    staff = tuple(f"{draw(pseudo_words)} {next(tag)}" for _ in range(4))
    commander, responder, legal, finance = staff

    day = draw(st.dates(date(2024, 1, 1), date(2026, 12, 31)))
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 23 * 60))
    )
    length = draw(st.integers(20, 720))
    end = start + timedelta(minutes=length)

    def text_for(audience: Audience) -> str:
        """Public text from the public words; anything narrower carries a tag."""
        if audience is Audience.PUBLIC:
            return draw(public_text)
        return f"{audience.value} note {next(tag)} {draw(public_text)}"

    entries = []
    skeleton = [
        (start, EntryKind.DETECTED),
        (start + timedelta(minutes=length // 4), EntryKind.IDENTIFIED),
        (start + timedelta(minutes=length // 2), EntryKind.MITIGATED),
        (end, EntryKind.RESOLVED),
    ]
    for when, kind in skeleton:
        audience = draw(st.sampled_from([Audience.PUBLIC, Audience.CUSTOMER, Audience.INTERNAL]))
        entries.append(
            TimelineEntry(
                at=when,
                kind=kind,
                text=text_for(audience),
                author=draw(st.sampled_from([commander, responder])),
                audience=audience,
            )
        )
    for _ in range(draw(st.integers(0, 3))):
        audience = draw(st.sampled_from([Audience.PUBLIC, Audience.CUSTOMER, Audience.INTERNAL]))
        when = start + timedelta(minutes=draw(st.integers(0, length)))
        kind = draw(st.sampled_from([EntryKind.NOTE, EntryKind.UPDATE, EntryKind.DECISION]))
        entries.append(
            TimelineEntry(
                at=when, kind=kind, text=text_for(audience), author=responder, audience=audience
            )
        )

    actions = []
    for number in range(1, draw(st.integers(0, 4)) + 1):
        audience = draw(st.sampled_from([Audience.PUBLIC, Audience.INTERNAL]))
        title = (
            f"action {next(tag)} {draw(public_text)}"
            if audience is Audience.INTERNAL
            else draw(public_text)
        )
        actions.append(
            CorrectiveAction(
                number=number,
                title=title,
                owner=draw(st.sampled_from(staff[:2])),
                due=draw(st.none() | st.dates(date(2024, 1, 1), date(2027, 12, 31))),
                status=draw(st.sampled_from(list(ActionStatus))),
                link=draw(st.none() | st.just(f"https://tickets.example/{next(tag)}")),
                audience=audience,
            )
        )

    incident = Incident(
        id=f"INC-{start:%Y}-{start:%m%d}-001",
        title=draw(public_text),
        severity=draw(st.sampled_from(["SEV-1", "SEV-2", "SEV-3"])),
        status=draw(st.sampled_from([Status.RESOLVED, Status.CLOSED])),
        classification=draw(st.sampled_from(list(Classification))),
        roles={Role.COMMANDER: commander},
        scope=Scope(),
        data_loss=draw(st.none() | st.just(f"data loss {next(tag)}")),
        summary=f"summary {next(tag)} {draw(public_text)}",
        public_summary=draw(st.none() | public_text),
        timeline=entries,
        root_cause=f"cause {next(tag)} {draw(public_text)}",
        public_root_cause=draw(st.none() | public_text),
        contributing_factors=[f"factor {next(tag)}"],
        actions=actions,
    )

    customers = []
    fees = draw(
        st.lists(st.integers(2_000_000, 9_999_999), min_size=count, max_size=count, unique=True)
    )
    for index in range(count):
        customer_tag = next(tag)
        customers.append(
            Customer(
                customer_id=f"CUST-{customer_tag}",
                name=f"{draw(pseudo_words)} {customer_tag} Ltd",
                tier=draw(st.sampled_from(["enterprise", "enterprise", "business", "free"])),
                monthly_fee=D(fees[index]) / 100 + D("0.07"),
                currency="USD",
            )
        )
    usage = {}
    for customer in customers:
        requests = draw(st.integers(1, 50_000))
        usage[customer.customer_id] = (requests, draw(st.integers(0, requests)))

    assessment = assess(POLICY, customers, IncidentImpact(window=TimeWindow(start, end)))
    state = draw(st.sampled_from(list(ReviewState)))
    approvals: tuple[Approval, ...] = ()
    if state is ReviewState.APPROVED:
        approvals = (Approval(ReviewRole.LEGAL, legal), Approval(ReviewRole.FINANCE, finance))
    elif state is ReviewState.PENDING_REVIEW:
        approvals = draw(st.sampled_from([(), (Approval(ReviewRole.LEGAL, legal),)]))
    return World(
        incident=incident,
        customers=tuple(customers),
        usage=usage,
        policy=POLICY,
        assessment=assessment,
        review=Review(state, approvals),
        prepared_by=f"{draw(pseudo_words)} {next(tag)}",
        generated_at=end + timedelta(days=2),
        staff=staff,
    )


def model_for(world: World, audience: Audience, customer_id: str | None = None) -> ReportModel:
    """The world's report for `audience`, built by the real report builder."""
    return build_report(
        inputs_for(world),
        audience,
        customer_id=customer_id if audience is Audience.CUSTOMER else None,
    )


def inputs_for(world: World) -> ReportInputs:
    """Everything the report service would gather for the world's incident."""
    window = world.incident.impact_window()
    assert window is not None
    impact = ImpactResult(
        window=window,
        scope=world.incident.scope,
        threshold=D("0.05"),
        min_failed=1,
        users_affected=sum(1 for _, failed in world.usage.values() if failed),
        transactions_affected=None,
        per_customer=tuple(
            CustomerImpact(customer_id, requests, failed)
            for customer_id, (requests, failed) in world.usage.items()
        ),
        series=(),
        provenance=ImpactProvenance(
            source=f"logs-{world.incident.id}.parquet",
            columns={"ts": "ts"},
            rows_scanned=10,
            engine="duckdb",
            engine_version="1.4",
            definition_hash="0" * 32,
            computed_at=world.generated_at,
        ),
    )
    return ReportInputs(
        incident=world.incident,
        generated_at=world.generated_at,
        severity_label="Critical",
        impact=impact,
        impact_customers_total=len(world.customers),
        sla=SlaInputs(
            result=world.assessment,
            review=world.review,
            policy=world.policy,
            customers=world.customers,
        ),
        prepared_by=world.prepared_by,
    )


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces (PDF text breaks lines anywhere a space was)."""
    return re.sub(r"\s+", " ", text)


def leaks(output: str, forbidden: dict[str, set[str]]) -> dict[str, set[str]]:
    """The forbidden values found in `output`, by kind (empty when nothing leaked)."""
    haystack = normalise(output)
    found = {
        kind: {value for value in values if normalise(value) in haystack}
        for kind, values in forbidden.items()
    }
    return {kind: values for kind, values in found.items() if values}


def tags_in(values: Iterable[str]) -> set[str]:
    return {match for value in values for match in TAG.findall(value)}
