"""SLA use cases: assess an incident's credits, review them (legal + finance), export them.

Every figure comes from `domain.sla` (`Assessor`: the rules of `assess`, one customer at
a time). This module gathers the inputs from the store (the incident, the month's other
incidents, stored impact analyses, credits approved for earlier incidents of the month),
streams the customer registry through the rules into the store's typed lines, and keeps
the review honest:

- an approval covers the fingerprint of the figures it was given to, and nothing else;
- when any input changes, the assessment is computed again in the same transaction and
  approvals given to other figures are void (`_revalidate_month`);
- reading never recomputes a line: it reads the header and the lines it needs, and
  checks that the incidents of the month are still those the figures were computed from
  (a change that reached no revalidation shows the review as pending, never approved).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection

from warroom.domain import assessment as gate
from warroom.domain.assessment import (
    NotApproved,
    Review,
    ReviewEvent,
    ReviewRole,
    ReviewState,
    view_for,
)
from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from warroom.domain.incident import Incident
from warroom.domain.maintenance import exclusion_windows
from warroom.domain.permissions import Action, may_see_credits_before_approval
from warroom.domain.scope import Scope
from warroom.domain.sla import (
    ZERO,
    Assessor,
    CustomerCredit,
    IncidentImpact,
    MaintenanceWindow,
    Month,
    SlaAssessment,
    SlaPolicy,
    check_customers,
    impact_digest,
    legacy_inputs_digest,
)
from warroom.domain.window import TimeWindow
from warroom.formats.documents import Document
from warroom.formats.sla_policy import parse_policy_document, policy_to_dict
from warroom.schemas.sla import AssessmentPublic
from warroom.services.access import Principal, authorize, principal, record
from warroom.services.context import Context
from warroom.store import assessments as store
from warroom.store import impact as impact_store
from warroom.store import incidents as incident_repo
from warroom.store import maintenance as maintenance_store
from warroom.store.assessments import FORMAT_VERSION, Header, StoredApproval
from warroom.store.database import DatabaseNotReady, lock

# Lines an assessment shows unless asked for another page (the demo's 847 fit in one).
DEFAULT_PAGE = 1000
MAX_PAGE = 10_000

# A registry read in batches; every call reads it again from the start (a write that
# meets a transient conflict runs again).
Registry = Callable[[], Iterable[Sequence[Customer]]]


@dataclass(frozen=True)
class Assessment:
    """An incident's assessment as it stands: its totals, a page of its lines, the review."""

    incident_id: str
    result: SlaAssessment  # every total; `rows` holds the page asked for
    review: Review
    policy: SlaPolicy
    policy_source: str
    customers_source: str
    updated_at: datetime
    fingerprint: str  # of every input: what an approval covers
    offset: int = 0  # where the page of lines starts

    def public(self) -> AssessmentPublic:
        return AssessmentPublic.of(
            self.incident_id,
            self.result,
            self.review,
            policy_source=self.policy_source,
            customers_source=self.customers_source,
            fingerprint=self.fingerprint,
            offset=self.offset,
        )


@dataclass(frozen=True)
class LinesPage:
    lines: list[CustomerCredit]
    total: int  # every line that matches


# -- assessing -------------------------------------------------------------------------------


def assess_incident(
    ctx: Context,
    incident_id: str,
    *,
    policy: SlaPolicy,
    customers: Sequence[Customer] | Registry,
    policy_source: str,
    customers_source: str,
    limit: int = DEFAULT_PAGE,
) -> Assessment:
    """Compute (or recompute) the incident's credits from a policy and a registry.

    `customers` is a list, or a registry read in batches (`formats.customer_registry`),
    whose problems surface when it has been read to the end: then nothing is kept. A new
    assessment starts as a draft; re-assessing with other inputs voids any approval.
    """
    registry = _batches(policy, customers)

    def work(conn: Connection) -> Assessment:
        now = ctx.now()
        incident = _locked(conn, ctx, incident_id)
        who = authorize(conn, ctx, Action.SLA_ASSESS, incident=incident)
        inputs = _month_inputs(conn, incident)
        lock_months(conn, [str(inputs.month)])
        existing = store.get(conn, incident_id)
        store.delete_lines(conn, incident_id)
        totals, parts = _write_lines(
            conn, incident_id, policy, inputs, ((None, batch) for batch in registry())
        )
        fingerprint = parts.value
        review = _in_force(existing) if existing else Review()
        changes: dict[str, Any] = {
            "inputs": {"policy": policy_source, "customers": customers_source},
            "fingerprint": fingerprint,
        }
        action = "sla.assess"
        if existing and existing.fingerprint != fingerprint:
            review, event = gate.inputs_changed(existing.review, by=who.name)
            changes.update(_event_changes(event))
            action = "sla.reassess"
        elif existing:
            action = "sla.reassess_unchanged"
        header = _header(
            incident_id,
            totals,
            parts,
            inputs,
            review,
            policy=policy_to_dict(policy),
            policy_source=policy_source,
            customers_source=customers_source,
            created_at=existing.created_at if existing else now,
            now=now,
        )
        store.save(conn, header)
        changes["liability"] = {
            "low": str(totals.liability.low),
            "high": str(totals.liability.high),
        }
        record(
            conn,
            ctx,
            who,
            action=action,
            entity_type="assessment",
            entity_id=incident_id,
            changes=changes,
        )
        _revalidate_month(conn, ctx, str(inputs.month), skip=incident_id)
        return _assessment(conn, header, review, policy=policy, limit=limit)

    return ctx.db.write(work)


def _batches(policy: SlaPolicy, customers: Sequence[Customer] | Registry) -> Registry:
    if callable(customers):
        return customers
    listed = tuple(customers)
    check_customers(policy, listed)  # a list is checked whole, duplicates and all
    return lambda: [listed]


# -- reading ---------------------------------------------------------------------------------


def get_assessment(
    ctx: Context,
    incident_id: str,
    *,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
    customer_id: str | None = None,
) -> Assessment:
    """The assessment as it stands, with a page of its lines (or `customer_id`'s line
    alone); its figures only for people who may see them (viewers once legal and
    finance approved)."""
    _check_page(offset, limit)
    with ctx.db.reading() as conn:
        found = _readable(
            conn, ctx, incident_id, offset=offset, limit=limit, customer_id=customer_id
        )
        if found is None:
            raise _not_assessed(incident_id)
        return found


def find_assessment(
    ctx: Context, incident_id: str, *, limit: int = DEFAULT_PAGE
) -> Assessment | None:
    """The assessment with its first `limit` lines, or None when there is none yet."""
    with ctx.db.reading() as conn:
        return _readable(conn, ctx, incident_id, limit=limit)


def list_lines(
    ctx: Context, incident_id: str, *, offset: int = 0, limit: int = 50, search: str | None = None
) -> LinesPage:
    """A page of the assessment's lines in registry order (`search`: ID or name contains
    the text, in any case), and how many match; for people who may see the figures."""
    _check_page(offset, limit)
    with ctx.db.reading() as conn:
        if _readable(conn, ctx, incident_id, limit=0) is None:
            raise _not_assessed(incident_id)
        return LinesPage(
            store.lines(conn, incident_id, offset=offset, limit=limit, search=search),
            store.count_lines(conn, incident_id, search=search),
        )


def _readable(
    conn: Connection,
    ctx: Context,
    incident_id: str,
    *,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
    customer_id: str | None = None,
) -> Assessment | None:
    incident = incident_repo.get(conn, incident_id)
    who = authorize(conn, ctx, Action.INCIDENT_READ, incident=incident)
    header = store.get(conn, incident_id)
    if header is None:
        return None
    review = _current_review(conn, header, incident)
    if not review.is_approved and not may_see_credits_before_approval(who.roles):
        raise PermissionDenied(
            f"{who.name} sees credit figures once legal and finance approve them; the "
            f"assessment of {incident_id} is {review.state.value}"
        )
    return _assessment(conn, header, review, offset=offset, limit=limit, customer_id=customer_id)


def audience_view(
    ctx: Context, incident_id: str, audience: Audience, *, customer_id: str | None = None
) -> dict[str, Any]:
    """What a customer or the public may see of the assessment
    (`domain.assessment.view_for`): the customer view holds one customer's figures (its
    line alone is read) and, once approved, its own credit. Staff read the assessment
    itself (`get_assessment`)."""
    if audience not in (Audience.CUSTOMER, Audience.PUBLIC):
        raise ValueError(
            f"the {audience.value} audience reads the whole assessment (get_assessment), not a view"
        )
    if audience is Audience.CUSTOMER and not customer_id:
        raise InvalidInput(
            [Problem("--customer", "missing", "--audience customer needs --customer ID")]
        )
    with ctx.db.reading() as conn:
        incident = incident_repo.get(conn, incident_id)
        authorize(conn, ctx, Action.INCIDENT_READ, incident=incident)
        header = store.get(conn, incident_id)
        if header is None:
            raise _not_assessed(incident_id)
        review = _current_review(conn, header, incident)
        found = _assessment(conn, header, review, limit=0, customer_id=customer_id)
    return view_for(found.result, audience, review=found.review, customer_id=customer_id)


def assessment_in(
    conn: Connection, incident_id: str, *, limit: int = DEFAULT_PAGE, customer_id: str | None = None
) -> Assessment | None:
    """The incident's assessment read inside an open transaction (a page of its lines,
    or `customer_id`'s line alone); None when not assessed."""
    header = store.get(conn, incident_id)
    if header is None:
        return None
    review = _current_review(conn, header, incident_repo.get(conn, incident_id))
    return _assessment(conn, header, review, limit=limit, customer_id=customer_id)


def registered(conn: Connection, incident_id: str, customer_ids: Sequence[str]) -> list[Customer]:
    """The entries of these customers in the registry the assessment was computed from."""
    return store.customers(conn, incident_id, customer_ids)


def lines_of(
    conn: Connection, incident_id: str, customer_ids: Sequence[str]
) -> dict[str, CustomerCredit]:
    """These customers' lines of the stored assessment, by customer (in scope only)."""
    return store.lines_of(conn, incident_id, customer_ids)


def in_scope_ids(conn: Connection, incident_id: str) -> list[str]:
    """Every in-scope customer of the stored assessment, in registry order."""
    return store.in_scope_ids(conn, incident_id)


def _assessment(
    conn: Connection,
    header: Header,
    review: Review,
    *,
    policy: SlaPolicy | None = None,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
    customer_id: str | None = None,
) -> Assessment:
    if customer_id is not None:
        line = store.line(conn, header.incident_id, customer_id)
        rows = [line] if line else []
    else:
        rows = store.lines(conn, header.incident_id, offset=offset, limit=limit) if limit else []
    result = replace(
        header.totals,
        rows=tuple(rows),
        no_sla=tuple(row.customer_id for row in rows if not row.has_sla),
    )
    return Assessment(
        header.incident_id,
        result,
        review,
        policy or _policy_from_json(header.policy),
        header.policy_source,
        header.customers_source,
        header.updated_at,
        header.fingerprint,
        offset if customer_id is None else 0,
    )


def _check_page(offset: int, limit: int) -> None:
    if not 0 <= limit <= MAX_PAGE:
        raise InvalidInput(
            [Problem("limit", "out_of_range", f"limit must be between 0 and {MAX_PAGE}")]
        )
    if offset < 0:
        raise InvalidInput([Problem("offset", "out_of_range", "offset cannot be negative")])


# -- the review ------------------------------------------------------------------------------


def submit(ctx: Context, incident_id: str) -> Assessment:
    def step(review: Review, who: Principal) -> tuple[Review, ReviewEvent]:
        return gate.submit(review, by=who.name)

    return _step(ctx, incident_id, Action.SLA_ASSESS, step)


def approve(
    ctx: Context,
    incident_id: str,
    *,
    role: ReviewRole,
    comment: str | None = None,
    fingerprint: str | None = None,
) -> Assessment:
    """The acting person approves the credits in `role`, which they must hold. With
    `fingerprint` (of the figures they reviewed), refused if the figures have moved."""

    def step(review: Review, who: Principal) -> tuple[Review, ReviewEvent]:
        return gate.approve(review, role=role, by=who.name, roles_held=who.roles)

    return _step(
        ctx, incident_id, Action.SLA_REVIEW, step, comment=comment, fingerprint=fingerprint
    )


def request_changes(
    ctx: Context, incident_id: str, *, role: ReviewRole, comment: str
) -> Assessment:
    def step(review: Review, who: Principal) -> tuple[Review, ReviewEvent]:
        return gate.request_changes(
            review, role=role, by=who.name, comment=comment, roles_held=who.roles
        )

    return _step(ctx, incident_id, Action.SLA_REVIEW, step)


def gate_refusal(review: Review) -> NotApproved:
    missing = [r.value for r in ReviewRole if review.approval(r) is None]
    return NotApproved(
        f"the assessment is {review.state.value}, not approved: credits leave warroom only "
        f"after legal and finance approve (missing: {', '.join(missing) or 'none'})"
    )


# -- exporting -------------------------------------------------------------------------------


class CreditLine(NamedTuple):
    """One credit to bill (a named tuple: an export makes a million of them)."""

    incident_id: str
    month: str
    customer_id: str
    name: str
    tier: str
    currency: str
    credit_percent: Decimal
    credit_amount: Decimal
    claim_deadline: str
    approved_by_legal: str
    approved_by_finance: str


@contextmanager
def credit_export(ctx: Context, incident_id: str) -> Iterator[Iterator[CreditLine]]:
    """The credits to bill, one line per customer owed one, in registry order, read from
    the database as they are consumed, in one snapshot with the approval they rest on;
    refused until approved."""
    with _approved(ctx, incident_id) as (conn, header, review):
        yield _credit_lines(conn, header, review)


def approved_credits(ctx: Context, incident_id: str) -> list[CreditLine]:
    """Every credit to bill, as a list (small assessments; `credit_export` streams)."""
    with credit_export(ctx, incident_id) as lines:
        return list(lines)


def credits_page(
    ctx: Context, incident_id: str, *, offset: int = 0, limit: int = 50
) -> tuple[list[CreditLine], int]:
    """A page of the credits to bill, and how many there are; refused until approved."""
    _check_page(offset, limit)
    with _approved(ctx, incident_id) as (conn, header, review):
        return (
            list(_credit_lines(conn, header, review, offset=offset, limit=limit)),
            store.count_owed(conn, incident_id),
        )


@contextmanager
def _approved(ctx: Context, incident_id: str) -> Iterator[tuple[Connection, Header, Review]]:
    with ctx.db.reading(snapshot=True) as conn:
        incident = incident_repo.get(conn, incident_id)
        authorize(conn, ctx, Action.SLA_EXPORT, incident=incident)
        header = store.get(conn, incident_id)
        if header is None:
            raise _not_assessed(incident_id)
        review = _current_review(conn, header, incident)
        if not review.is_approved:
            raise gate_refusal(review)
        yield conn, header, review


def _credit_lines(
    conn: Connection, header: Header, review: Review, *, offset: int = 0, limit: int | None = None
) -> Iterator[CreditLine]:
    legal = review.approval(ReviewRole.LEGAL)
    finance = review.approval(ReviewRole.FINANCE)
    deadline = header.totals.claim_deadline
    incident_id, month = header.incident_id, header.month
    claim_by = deadline.isoformat() if deadline else ""
    legal_by, finance_by = legal.by if legal else "", finance.by if finance else ""
    for customer_id, name, tier, currency, percent, credit in store.owed(
        conn, incident_id, offset=offset, limit=limit
    ):
        yield CreditLine(
            incident_id,
            month,
            customer_id,
            name,
            tier,
            currency,
            percent,
            credit,
            claim_by,
            legal_by,
            finance_by,
        )


# -- keeping assessments true to their inputs -----------------------------------------------


def revalidate_incident(
    conn: Connection, ctx: Context, incident_id: str, months: Sequence[str] = ()
) -> None:
    """Called after an incident or its impact changed: recompute what moved, void
    approvals whose figures changed."""
    wanted = set(months)
    own = store.get(conn, incident_id)
    if own is not None:
        wanted.add(own.month)
    lock_months(conn, sorted(wanted))
    for month in sorted(wanted):
        _revalidate_month(conn, ctx, month, skip=None)


def revalidate_month(conn: Connection, ctx: Context, month: str) -> None:
    """Recompute the month's assessments whose inputs changed (e.g. a new incident)."""
    lock_months(conn, [month])
    _revalidate_month(conn, ctx, month, skip=None)


def months_of(incident: Incident) -> list[str]:
    """The months an incident's impact window touches (an incident may cross a month end)."""
    window = incident.impact_window()
    return window_months(window) if window else []


def window_months(window: TimeWindow) -> list[str]:
    last = window.end - timedelta(microseconds=1) if window.end > window.start else window.end
    return sorted({str(Month.of(window.start)), str(Month.of(last))})


def lock_months(conn: Connection, months: Sequence[str]) -> None:
    """Serialize changes to the SLA figures of these months (their uptime is shared)."""
    lock(conn, *(f"sla-month:{m}" for m in months))


def upgrade_stored(ctx: Context) -> int:
    """Compute again, in format 2, the assessments migration 0007 moved over as they were
    recorded (`warroom init` runs this). Approvals stand where the inputs are still the
    ones approved (the old fingerprint says so, and so does every earlier assessment whose
    credits it took off), else they are void, as reading them would have shown. Returns
    how many were upgraded."""

    def work(conn: Connection) -> int:
        legacy = store.legacy_ids(conn)
        if not legacy:
            return 0
        lock(conn, *(f"incident:{incident_id}" for incident_id in legacy))
        incidents = {i.id: i for i in incident_repo.get_many(conn, legacy)}
        # judged on the documents as recorded, before any is rewritten
        judged = {
            incident_id: _legacy_judgement(conn, incidents[incident_id]) for incident_id in legacy
        }

        def order(incident_id: str) -> tuple[bool, datetime, str]:
            window = incidents[incident_id].impact_window()
            return window is None, window.start if window else datetime.min, incident_id

        kept: dict[str, bool] = {}
        # earlier incidents first: a later one takes off what they credit
        for incident_id in sorted(legacy, key=order):
            unchanged, relied_on = judged[incident_id]
            kept[incident_id] = unchanged and all(kept.get(other, True) for other in relied_on)
            header = store.get(conn, incident_id)
            assert header is not None
            _upgrade(conn, ctx, header, incidents[incident_id], keep=kept[incident_id])
        return len(legacy)

    return ctx.db.write(work)


# -- plumbing --------------------------------------------------------------------------------

Step = Callable[[Review, Principal], tuple[Review, ReviewEvent]]


@dataclass(frozen=True)
class _MonthInputs:
    """What an incident's assessment reads besides the policy and the registry."""

    own: IncidentImpact
    others: tuple[IncidentImpact, ...]
    month: Month
    credited_by: tuple[tuple[str, str], ...]  # earlier approved assessments (id, fingerprint)
    # the exclusion windows the month's maintenance records make for this incident
    maintenance: tuple[MaintenanceWindow, ...] = ()

    @property
    def impact_digest(self) -> str:
        """The month's incidents and maintenance records as this assessment read them: a
        change to either is a change of the figures' inputs."""
        digest = impact_digest(self.own, others=self.others, month=self.month)
        if not self.maintenance:
            return digest
        windows = sorted(
            (
                w.start.isoformat(),
                w.end.isoformat(),
                w.announced_at.isoformat() if w.announced_at else None,
            )
            for w in self.maintenance
        )
        return hashlib.sha256(repr((digest, windows)).encode()).hexdigest()

    def policy(self, policy: SlaPolicy) -> SlaPolicy:
        """`policy` with the maintenance records' windows beside its own: the exclusion
        rule (`domain.sla.exclusion_findings`) judges both alike."""
        if not self.maintenance:
            return policy
        return replace(policy, maintenance_windows=policy.maintenance_windows + self.maintenance)


def maintenance_windows_for(
    conn: Connection, month: Month, *, scope: Scope
) -> tuple[MaintenanceWindow, ...]:
    """The exclusion windows the month's maintenance records make for an incident of
    `scope` (which records count: `domain.maintenance.exclusion_windows`)."""
    window = month.window
    return exclusion_windows(
        maintenance_store.overlapping(conn, window.start, window.end), month, scope
    )


def _month_inputs(conn: Connection, incident: Incident) -> _MonthInputs:
    own = _impact_of(incident, impact_store.latest(conn, incident.id))
    if own is None:
        raise InvalidInput(
            [
                Problem(
                    "timeline",
                    "no_impact_window",
                    f"incident {incident.id} has no impact window yet: it needs a detected (or "
                    "impact_started) and a resolved timeline entry before credits can be assessed",
                )
            ]
        )
    month = Month.of(own.window.start)
    since = month.first_day - timedelta(days=31)  # an incident may start in the month before
    ids = [
        i
        for i in incident_repo.list_ids(conn, since=since, until=month.last_day)
        if i != incident.id
    ]
    impacts = impact_store.latest_for(conn, ids)
    others: list[IncidentImpact] = []
    credited_by: list[tuple[str, str]] = []
    for other in incident_repo.get_many(conn, ids):
        found = _impact_of(other, impacts.get(other.id))
        if found is None or found.window.overlap(month.window) is None:
            continue
        others.append(found)
        # credits approved for an earlier incident of the month are not paid twice
        if found.window.start < own.window.start:
            header = store.get(conn, other.id)
            if header is not None and header.month == str(month) and _in_force(header).is_approved:
                credited_by.append((other.id, header.fingerprint))
    return _MonthInputs(
        own,
        tuple(others),
        month,
        tuple(sorted(credited_by)),
        maintenance_windows_for(conn, month, scope=incident.scope),
    )


def _impact_of(
    incident: Incident, stored: impact_store.StoredImpact | None
) -> IncidentImpact | None:
    window = incident.impact_window()
    if window is None:
        return None
    measured = stored.result.measured_down_minutes() if stored else None
    return IncidentImpact(
        window=window, scope=incident.scope, measured=measured, incident_id=incident.id
    )


class _Parts:
    """The fingerprint of computed figures and the digests it is made of."""

    def __init__(self, assessor: Assessor) -> None:
        fingerprint = assessor.fingerprint
        self.policy, self.registry, self.impact = (
            fingerprint.policy,
            fingerprint.registry,
            fingerprint.impact,
        )
        self.value = fingerprint.value


def _write_lines(
    conn: Connection,
    incident_id: str,
    policy: SlaPolicy,
    inputs: _MonthInputs,
    batches: Iterable[tuple[Sequence[int] | None, Sequence[Customer]]],
    *,
    from_store: bool = False,
) -> tuple[SlaAssessment, _Parts]:
    """Stream the registry through the rules into the store: each batch's lines are
    computed and written while the next batch is read. `batches` gives each batch's
    registry positions, or None to number them in order; `from_store` says the batches
    are read from this connection (which the writes must then not overlap)."""
    assessor = Assessor(inputs.policy(policy), inputs.own, others=inputs.others, month=inputs.month)
    writer = store.LineWriter(conn, incident_id, background=not from_store)
    earlier = [incident for incident, _ in inputs.credited_by]
    count = 0
    try:
        for positions, batch in batches:
            if earlier:
                writer.drain()
                already = store.credited(conn, earlier, [c.customer_id for c in batch])
                lines = [assessor.add(c, already.get(c.customer_id, ZERO)) for c in batch]
            else:
                lines = [assessor.add(c) for c in batch]
            writer.extend(
                positions if positions is not None else range(count, count + len(batch)),
                batch,
                lines,
            )
            count += len(batch)
            writer.flush()
    except BaseException:
        writer.discard()  # the transaction rolls back: what is pending need not be written
        raise
    writer.close()
    return assessor.finish(), _Parts(assessor)


def _header(
    incident_id: str,
    totals: SlaAssessment,
    parts: _Parts,
    inputs: _MonthInputs,
    review: Review,
    *,
    policy: dict[str, Any],
    policy_source: str,
    customers_source: str,
    created_at: datetime,
    now: datetime,
) -> Header:
    return Header(
        incident_id=incident_id,
        format_version=FORMAT_VERSION,
        state=review.state,
        approvals=tuple(StoredApproval(a.role, a.by, parts.value) for a in review.approvals),
        fingerprint=parts.value,
        policy=policy,
        policy_source=policy_source,
        customers_source=customers_source,
        policy_digest=parts.policy,
        registry_digest=parts.registry,
        impact_digest=inputs.impact_digest,
        credited_by=inputs.credited_by,
        totals=totals,
        created_at=created_at,
        updated_at=now,
    )


def _in_force(header: Header) -> Review:
    """The review, with approvals only if every one was given to the figures stored now."""
    review = header.review
    if any(a.fingerprint != header.fingerprint for a in header.approvals):
        review, _ = gate.inputs_changed(review)
    return review


def _current_review(conn: Connection, header: Header, incident: Incident) -> Review:
    """The review in force, unless the month's incidents are no longer those the figures
    were computed from (a change that reached no revalidation): then no approval stands."""
    _require_current_format(header)
    review = _in_force(header)
    try:
        inputs = _month_inputs(conn, incident)
    except InvalidInput:  # the incident lost its impact window: the figures are stale
        inputs = None
    if inputs is None or not _same_inputs(header, inputs):
        review, _ = gate.inputs_changed(review)
    return review


def _same_inputs(header: Header, inputs: _MonthInputs) -> bool:
    return (
        header.impact_digest == inputs.impact_digest
        and header.credited_by == inputs.credited_by
        and header.month == str(inputs.month)
    )


def _require_current_format(header: Header) -> None:
    if header.format_version != FORMAT_VERSION:
        raise DatabaseNotReady(
            f"the assessment of {header.incident_id} is stored in an older format: run "
            "`warroom init` to finish upgrading the database"
        )


def _locked(conn: Connection, ctx: Context, incident_id: str) -> Incident:
    lock(conn, f"incident:{incident_id}")
    return incident_repo.get(conn, incident_id)


def _not_assessed(incident_id: str) -> NotFound:
    return NotFound(
        f"incident {incident_id} has no SLA assessment yet: run "
        f"`warroom sla assess {incident_id} --customers ... --policy ...`"
    )


def _step(
    ctx: Context,
    incident_id: str,
    action: Action,
    step: Step,
    comment: str | None = None,
    fingerprint: str | None = None,
) -> Assessment:
    """One step of the review, read, decided and written under the incident's lock, so a
    re-assessment running at the same moment is either seen by this step or voids it."""
    if ctx.authenticated_approvals and action is Action.SLA_REVIEW and not ctx.authenticated:
        raise PermissionDenied(
            "this deployment accepts approvals only from authenticated sessions "
            "(WARROOM_AUTHENTICATED_APPROVALS): sign in to the web pages, use an API token, "
            "or give your password when the command asks for it"
        )

    def work(conn: Connection) -> Assessment:
        now = ctx.now()
        incident = _locked(conn, ctx, incident_id)
        who = authorize(conn, ctx, action, incident=incident)
        header = store.get(conn, incident_id)
        if header is None:
            raise _not_assessed(incident_id)
        lock_months(conn, [header.month])
        _require_current_format(header)
        # figures whose inputs moved unnoticed are brought up to date before anyone acts
        header = _revalidate(conn, ctx, header, incident) or header
        current = _in_force(header)
        if fingerprint is not None and fingerprint != header.fingerprint:
            raise Conflict(
                f"the figures of {incident_id} changed since they were reviewed (fingerprint "
                f"{fingerprint[:12]}, now {header.fingerprint[:12]}): review them again"
            )
        review, event = step(current, who)
        store.save_review(conn, incident_id, review, fingerprint=header.fingerprint, now=now)
        changes = _event_changes(event)
        changes["fingerprint"] = header.fingerprint
        if comment:
            changes["comment"] = comment
        record(
            conn,
            ctx,
            who,
            action=f"sla.{event.action}",
            entity_type="assessment",
            entity_id=incident_id,
            changes=changes,
        )
        _revalidate_month(conn, ctx, header.month, skip=incident_id)
        return _assessment(conn, header, review)

    return ctx.db.write(work)


def _event_changes(event: ReviewEvent) -> dict[str, Any]:
    changes: dict[str, Any] = {"state": {"before": event.before.value, "after": event.after.value}}
    if event.role:
        changes["role"] = event.role.value
    if event.by:
        changes["by"] = event.by
    if event.comment:
        changes["comment"] = event.comment
    if event.voided:
        changes["voided"] = [{"role": a.role.value, "by": a.by} for a in event.voided]
    return changes


def _revalidate_month(conn: Connection, ctx: Context, month: str, *, skip: str | None) -> None:
    for header in store.in_month(conn, month):
        if header.incident_id == skip:
            continue
        _require_current_format(header)
        _revalidate(conn, ctx, header, incident_repo.get(conn, header.incident_id))


def _revalidate(
    conn: Connection, ctx: Context, header: Header, incident: Incident
) -> Header | None:
    """Recompute an assessment whose month's incidents changed, from its stored policy
    and registry; approvals are void when the figures' fingerprint moved. Returns the
    new header, or None when nothing had changed (or nothing can be computed: an
    incident without impact window keeps its figures, shown as pending review)."""
    try:
        inputs = _month_inputs(conn, incident)
    except InvalidInput:
        return None
    if _same_inputs(header, inputs):
        return None
    fresh = _recompute(conn, header, inputs, ctx.now())
    if fresh.fingerprint == header.fingerprint:
        store.save(conn, replace(fresh, state=header.state, approvals=header.approvals))
        return store.get(conn, header.incident_id)
    _void_approvals(conn, ctx, header, fresh)
    return store.get(conn, header.incident_id)


def _recompute(conn: Connection, header: Header, inputs: _MonthInputs, now: datetime) -> Header:
    """The assessment computed again from its stored policy and registry (its lines are
    replaced); the review is the caller's to decide."""
    policy = _policy_from_json(header.policy)
    batches = store.take_registry(conn, header.incident_id)
    try:
        totals, parts = _write_lines(
            conn,
            header.incident_id,
            policy,
            inputs,
            (([p for p, _ in batch], [c for _, c in batch]) for batch in batches),
            from_store=True,
        )
    finally:
        batches.close()
        store.drop_taken_registry(conn)
    return _header(
        header.incident_id,
        totals,
        parts,
        inputs,
        Review(header.state),
        policy=header.policy,
        policy_source=header.policy_source,
        customers_source=header.customers_source,
        created_at=header.created_at,
        now=now,
    )


def _legacy_judgement(conn: Connection, incident: Incident) -> tuple[bool, list[str]]:
    """Whether an assessment moved from a document still has the inputs its (format 1)
    fingerprint was computed from, as the warroom that stored it computed them; and the
    earlier assessments whose credits that warroom took off (approved, as stored)."""
    header = store.get(conn, incident.id)
    assert header is not None
    try:
        inputs = _month_inputs(conn, incident)
    except InvalidInput:
        return False, []
    relied_on = []
    already: dict[str, Decimal] = {}
    for other in inputs.others:
        if other.incident_id is None or other.window.start >= inputs.own.window.start:
            continue
        earlier = store.get(conn, other.incident_id)
        if (
            earlier is None
            or earlier.month != str(inputs.month)
            or earlier.state is not ReviewState.APPROVED
        ):
            continue
        relied_on.append(other.incident_id)
        for line in store.lines(conn, other.incident_id, limit=earlier.totals.in_scope):
            if line.has_sla:
                already[line.customer_id] = already.get(line.customer_id, ZERO) + line.credit_low
    customers = [customer for batch in store.registry(conn, incident.id) for _, customer in batch]
    digest = legacy_inputs_digest(
        _policy_from_json(header.policy),
        customers,
        inputs.own,
        others=inputs.others,
        month=inputs.month,
        already_credited=already,
    )
    return digest == header.fingerprint, relied_on


def _upgrade(
    conn: Connection, ctx: Context, header: Header, incident: Incident, *, keep: bool
) -> None:
    try:
        inputs = _month_inputs(conn, incident)
    except InvalidInput:  # nothing can be computed: kept as recorded, shown as pending
        store.save(
            conn,
            replace(
                header,
                format_version=FORMAT_VERSION,
                approvals=(),
                state=gate.inputs_changed(header.review)[0].state,
            ),
        )
        return
    fresh = _recompute(conn, replace(header, format_version=FORMAT_VERSION), inputs, ctx.now())
    if keep:
        store.save(
            conn,
            replace(
                fresh,
                state=header.state,
                approvals=tuple(
                    StoredApproval(a.role, a.by, fresh.fingerprint) for a in header.approvals
                ),
            ),
        )
        record(
            conn,
            ctx,
            principal(conn, ctx),
            action="sla.upgraded",
            entity_type="assessment",
            entity_id=header.incident_id,
            changes={
                "format": {"before": header.format_version, "after": FORMAT_VERSION},
                "fingerprint": {"before": header.fingerprint, "after": fresh.fingerprint},
            },
        )
        return
    _void_approvals(conn, ctx, header, fresh, format_changed=True)


def _void_approvals(
    conn: Connection, ctx: Context, header: Header, fresh: Header, *, format_changed: bool = False
) -> None:
    """Store `fresh` figures that moved: its review starts over, audited as inputs_changed."""
    review, event = gate.inputs_changed(header.review)
    store.save(conn, replace(fresh, state=review.state, approvals=()))
    changes = _event_changes(event)
    changes["fingerprint"] = {"before": header.fingerprint, "after": fresh.fingerprint}
    if format_changed:
        changes["format"] = {"before": header.format_version, "after": FORMAT_VERSION}
    record(
        conn,
        ctx,
        principal(conn, ctx),
        action="sla.inputs_changed",
        entity_type="assessment",
        entity_id=header.incident_id,
        changes=changes,
    )


def _policy_from_json(data: dict[str, Any]) -> SlaPolicy:
    return parse_policy_document(Document(data=data, source="stored policy"))
