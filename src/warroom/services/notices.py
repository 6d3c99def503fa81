"""Customer notices: each affected customer's own report, by email and/or signed webhook,
sent only behind an approved SLA assessment.

A notice is the customer version of the incident report (`reports.build`), built for
one customer from that customer's figures only: the builder is handed an assessment and
an impact analysis narrowed to that one customer, so no other customer's name or money
can reach it. It is of one **approval**: its revision is the fingerprint of the figures
legal and finance approved. The outbox key (incident, customer, fingerprint, channel)
means the same notice is never queued twice; after a re-assessment and a new approval
(a new fingerprint) the notices may be sent again, deliberately (`again`).

The gate is checked twice: when queueing, under the incident's and the month's locks,
in the transaction that stores the messages (approved now, or nothing is queued); and
by the worker before each message goes out (still approved, with the same
fingerprint, or the message is cancelled).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from warroom.domain.assessment import NotApproved, ReviewState
from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.errors import Conflict, NotFound
from warroom.domain.impact import CustomerImpact
from warroom.domain.permissions import Action
from warroom.domain.sla import CustomerCredit
from warroom.notify import Outgoing, messages
from warroom.reports.build import ReportInputs, SlaInputs, build_report
from warroom.reports.model import ReportModel
from warroom.reports.render import markdown_as_text, render_html, render_markdown, to_json
from warroom.services import sla
from warroom.services.access import Principal, authorize, record
from warroom.services.context import Context
from warroom.services.outbox import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    UNCERTAIN,
    Courier,
    Message,
    Stored,
    queue,
)
from warroom.services.reports import report_inputs
from warroom.store import incidents as incident_repo
from warroom.store import notices as contacts_store
from warroom.store import outbox as outbox_store
from warroom.store.database import lock

KIND = "customer_notice"


@dataclass(frozen=True)
class Draft:
    """One notice as it would go out (a dry run writes these to files)."""

    customer_id: str
    customer_name: str
    message: Message

    @property
    def channel(self) -> str:
        return self.message.channel


@dataclass(frozen=True)
class Queued:
    """What `send_notices` did."""

    incident_id: str
    revision: str  # the fingerprint of the approved figures
    messages: int  # queued now
    customers: int  # customers with a notice queued now
    already: int  # customers whose notice of this approval was queued before
    without_contact: tuple[str, ...]  # affected customers with no address on record
    not_affected: int  # in-scope customers the incident did not reach


@dataclass(frozen=True)
class CustomerStatus:
    """Where one customer's notices of an incident stand."""

    customer_id: str
    channel: str
    recipient: str
    state: str
    attempts: int
    revision: str | None
    sent_at: datetime | None
    last_error: str | None
    message_id: int


# -- queueing ---------------------------------------------------------------------------------

QUEUE_CHUNK = 200  # customers per transaction: the worker sends while the rest renders


def send_notices(
    ctx: Context, incident_id: str, *, customer_id: str | None = None, again: bool = False
) -> Queued:
    """Queue the notices of every affected customer (or of `customer_id`) that has an
    address, refused unless the assessment is approved now.

    The approval is checked in full first (the figures recomputed: they must be the
    approved ones), then the notices are rendered and stored a chunk of customers per
    transaction, each of which checks again, under the incident's and the month's locks,
    that the approval still stands: if it was voided meanwhile, the rest is refused, and
    the worker cancels what was already queued (its gate checks the same)."""
    plan = _plan(ctx, incident_id, customer_id=customer_id, approved=True)
    if not again:
        with ctx.db.reading() as conn:
            earlier = outbox_store.customers_notified(
                conn, incident_id, kind=KIND, other_than=plan.revision
            )
        repeated = [c for c in plan.customers if c in earlier]
        if repeated:
            raise Conflict(
                f"{len(repeated)} customer(s) (e.g. {repeated[0]}) already have a notice of "
                f"an earlier approval of {incident_id} (fingerprint "
                f"{earlier[repeated[0]][:12]}); the figures were approved again since. "
                "Send the new notices deliberately with --again"
            )
    totals = {"messages": 0, "customers": 0, "already": 0, "not_affected": 0}
    without: list[str] = []

    def work(conn: Connection, *, batch: list[str]) -> None:
        who = _still_approved(conn, ctx, incident_id, plan)
        drafts_of = list(_drafts_of(conn, plan, batch, ctx.now()))
        found = [d for _, ds in drafts_of for d in ds or ()]
        existing = outbox_store.existing_keys(conn, (d.message.key for d in found))
        # a cancelled one never went out (its approval was voided, and the same figures
        # are approved again now): it is queued again, as it was
        revived = [d for d in found if existing.get(d.message.key, (0, ""))[1] == CANCELLED]
        outbox_store.requeue(conn, [existing[d.message.key][0] for d in revived], now=ctx.now())
        fresh = [d for d in found if d.message.key not in existing]
        count = len(revived) + queue(
            conn,
            ctx,
            (d.message for d in fresh),
            created_by=who.name,
            max_attempts=ctx.notify_max_attempts,
        )
        customers = {d.customer_id for d in [*fresh, *revived]}
        held = {d.customer_id for d in found if d.message.key in existing} - customers
        record(
            conn,
            ctx,
            who,
            action="notice.queue",
            entity_type="incident",
            entity_id=incident_id,
            changes={
                "revision": plan.revision,
                "messages": count,
                "customers": len(customers),
                "first_customer": batch[0],
                "last_customer": batch[-1],
                "again": again,
            },
        )
        totals["messages"] += count
        totals["customers"] += len(customers)
        totals["already"] += len(held)
        totals["not_affected"] += sum(1 for _, ds in drafts_of if ds is None)
        without.extend(c for c, ds in drafts_of if ds == [])

    for batch in outbox_store.chunks(plan.customers, QUEUE_CHUNK):
        ctx.db.write(functools.partial(work, batch=batch))
    if customer_id is not None and totals["not_affected"]:
        raise Conflict(
            f"customer {customer_id} was not affected by {incident_id}: it gets no notice"
        )
    return Queued(
        incident_id,
        plan.revision,
        totals["messages"],
        totals["customers"],
        totals["already"],
        tuple(without),
        totals["not_affected"],
    )


def drafts(ctx: Context, incident_id: str, *, customer_id: str | None = None) -> Iterator[Draft]:
    """Every notice as it would be queued now, one at a time (a dry run: nothing is
    stored). Needs the right to send notices, not an approval: before one, the notices
    simply hold no credit."""
    plan = _plan(ctx, incident_id, customer_id=customer_id, approved=False)
    now = ctx.now()
    for batch in outbox_store.chunks(plan.customers, QUEUE_CHUNK):
        with ctx.db.reading() as conn:
            found = list(_drafts_of(conn, plan, batch, now))
        for _customer, messages_of in found:
            yield from messages_of or ()


@dataclass(frozen=True)
class _Plan:
    """What every chunk of one send shares: the approved figures and report inputs (as
    read once), and the customers in scope."""

    incident_id: str
    revision: str
    month: str
    inputs: ReportInputs  # the assessment's totals, without lines
    impacts: dict[str, CustomerImpact]  # the impact analysis's rows by customer
    customers: list[str]


def _plan(ctx: Context, incident_id: str, *, customer_id: str | None, approved: bool) -> _Plan:
    with ctx.db.reading() as conn:
        incident = incident_repo.get(conn, incident_id)
        authorize(conn, ctx, Action.NOTICE_SEND, incident=incident)
        current = sla.assessment_in(conn, incident_id, limit=0)
        if current is None:
            raise _not_assessed(incident_id)
        if approved and (
            not current.review.is_approved
            or contacts_store.approval_state(conn, incident_id)
            != (ReviewState.APPROVED.value, current.fingerprint)
        ):
            raise sla.gate_refusal(current.review)
        # the totals only: each chunk of customers reads its own lines (`_drafts_of`)
        inputs = report_inputs(conn, ctx, incident_id)
        if customer_id is not None:
            if not sla.lines_of(conn, incident_id, [customer_id]):
                raise NotFound(
                    f"customer {customer_id!r} is not among the customers "
                    f"{incident_id}'s assessment holds in scope"
                )
            wanted = [customer_id]
        else:
            wanted = sla.in_scope_ids(conn, incident_id)
    impacts = {c.customer_id: c for c in inputs.impact.per_customer} if inputs.impact else {}
    return _Plan(
        incident_id, current.fingerprint, str(current.result.month), inputs, impacts, wanted
    )


def _still_approved(conn: Connection, ctx: Context, incident_id: str, plan: _Plan) -> Principal:
    """The acting person, when the approval the plan rests on still stands now (under the
    incident's and the month's locks, so no re-assessment slips in before commit)."""
    lock(conn, f"incident:{incident_id}")
    incident = incident_repo.get(conn, incident_id)
    who = authorize(conn, ctx, Action.NOTICE_SEND, incident=incident)
    sla.lock_months(conn, [plan.month])
    state = contacts_store.approval_state(conn, incident_id)
    if state != (ReviewState.APPROVED.value, plan.revision):
        raise NotApproved(
            f"the approval of {incident_id}'s credits no longer stands (the assessment is "
            f"{state[0] if state else 'gone'} now): nothing more is queued, and notices "
            "already queued under it will not be sent"
        )
    return who


def _not_assessed(incident_id: str) -> NotFound:
    return NotFound(
        f"incident {incident_id} has no SLA assessment yet: customer notices "
        f"carry its figures (`warroom sla assess {incident_id} ...`)"
    )


def _drafts_of(
    conn: Connection, plan: _Plan, batch: list[str], now: datetime
) -> Iterator[tuple[str, list[Draft] | None]]:
    """(customer, its drafts) for each customer of `batch`: None when the incident did
    not affect it, [] when it has no address on record."""
    contacts = contacts_store.contacts(conn, batch)
    lines = sla.lines_of(conn, plan.incident_id, batch)
    registered = {c.customer_id: c for c in sla.registered(conn, plan.incident_id, batch)}
    for customer in batch:
        one = _one(
            plan.inputs, lines.get(customer), registered.get(customer), plan.impacts.get(customer)
        )
        model = build_report(one, Audience.CUSTOMER, customer_id=customer)
        assert model.customer is not None
        if not model.customer.affected:
            yield customer, None
            continue
        found = contacts.get(customer)
        if found is None or not found.contact.reachable:
            yield customer, []
            continue
        yield (
            customer,
            _messages(
                model,
                found.contact.emails,
                found.contact.webhook_url,
                revision=plan.revision,
                now=now,
            ),
        )


def _one(
    inputs: ReportInputs,
    line: CustomerCredit | None,
    registered: Customer | None,
    own: CustomerImpact | None,
) -> ReportInputs:
    """The report's inputs holding one customer's figures and nothing of the others."""
    assert inputs.sla is not None
    result = dataclasses.replace(
        inputs.sla.result,
        rows=(line,) if line else (),
        tiers=(),
        no_sla=(),
        unregistered_customers=(),
    )
    narrowed = SlaInputs(
        result=result,
        review=inputs.sla.review,
        policy=inputs.sla.policy,
        customers=(registered,) if registered else (),
    )
    impact = (
        dataclasses.replace(inputs.impact, per_customer=(own,) if own else (), series=())
        if inputs.impact
        else None
    )
    return dataclasses.replace(inputs, sla=narrowed, impact=impact)


def as_sent(model: ReportModel, at: datetime) -> ReportModel:
    """The notice's footer: "Last updated" the day it was queued, no draft wording and no
    report revision number (a notice's revision is its approval's fingerprint)."""
    return dataclasses.replace(model, last_updated=at, revision=None, previous_revision=None)


def _messages(
    model: ReportModel,
    emails: tuple[str, ...],
    webhook_url: str | None,
    *,
    revision: str,
    now: datetime,
) -> list[Draft]:
    assert model.customer is not None
    customer = model.customer
    incident = model.incident
    model = as_sent(model, now)
    base = f"notice:{incident.id}:{customer.customer_id}:{revision}"
    found = []
    if emails:
        token = uuid.uuid4().hex
        found.append(
            Draft(
                customer.customer_id,
                customer.name,
                Message(
                    key=f"{base}:email",
                    kind=KIND,
                    channel="email",
                    recipient=";".join(emails),
                    subject=messages.subject(KIND, title=incident.title, incident_id=incident.id),
                    body=markdown_as_text(render_markdown(model)),
                    body_html=render_html(model),
                    message_id=f"<{token}.notice@warroom>",
                    incident_id=incident.id,
                    customer_id=customer.customer_id,
                    revision=revision,
                ),
            )
        )
    if webhook_url:
        token = uuid.uuid4().hex
        body = {
            "type": KIND,
            "delivery": token,
            "incident_id": incident.id,
            "customer_id": customer.customer_id,
            "revision": revision,
            "report": to_json(model),
            "markdown": render_markdown(model),
        }
        found.append(
            Draft(
                customer.customer_id,
                customer.name,
                Message(
                    key=f"{base}:webhook",
                    kind=KIND,
                    channel="webhook",
                    recipient=webhook_url,
                    body=json.dumps(body, ensure_ascii=False, sort_keys=True),
                    message_id=token,
                    incident_id=incident.id,
                    customer_id=customer.customer_id,
                    revision=revision,
                ),
            )
        )
    return found


# -- reading and retrying ---------------------------------------------------------------------


def notice_status(ctx: Context, incident_id: str) -> list[CustomerStatus]:
    """Every notice queued for the incident: per customer and channel, where it stands."""
    with ctx.db.reading() as conn:
        incident = incident_repo.get(conn, incident_id)
        authorize(conn, ctx, Action.NOTICE_READ, incident=incident)
        found = outbox_store.of_incident(conn, incident_id, kind=KIND)
    return [
        CustomerStatus(
            customer_id=s.message.customer_id or "",
            channel=s.message.channel,
            recipient=s.message.recipient,
            state=s.state,
            attempts=s.attempts,
            revision=s.message.revision,
            sent_at=s.sent_at,
            last_error=s.last_error,
            message_id=s.id,
        )
        for s in found
    ]


def summary(statuses: list[CustomerStatus]) -> dict[str, int]:
    """How many customers' notices are in each state (a customer counts once per state)."""
    counts = {state: set[str]() for state in (SENT, PENDING, SENDING, FAILED, UNCERTAIN, CANCELLED)}
    for status in statuses:
        counts.setdefault(status.state, set()).add(status.customer_id)
    return {state: len(customers) for state, customers in counts.items()}


def retry(
    ctx: Context, incident_id: str, *, customer_id: str | None = None, uncertain: bool = False
) -> int:
    """Queue failed (and cancelled) notices again, with fresh tries; uncertain ones only
    with `uncertain` (someone checked they did not arrive). Refused unless approved now,
    and only for notices of the approval that stands."""

    plan = _plan(ctx, incident_id, customer_id=None, approved=True)

    def work(conn: Connection) -> int:
        who = _still_approved(conn, ctx, incident_id, plan)
        states = {FAILED, CANCELLED} | ({UNCERTAIN} if uncertain else set())
        ids = [
            s.id
            for s in outbox_store.of_incident(conn, incident_id, kind=KIND)
            if s.state in states
            and s.message.revision == plan.revision
            and (customer_id is None or s.message.customer_id == customer_id)
        ]
        count = outbox_store.requeue(conn, ids, now=ctx.now())
        record(
            conn,
            ctx,
            who,
            action="notice.retry",
            entity_type="incident",
            entity_id=incident_id,
            changes={"messages": count, "customer_id": customer_id, "uncertain": uncertain},
        )
        return count

    return ctx.db.write(work)


# -- the outbox's hooks -------------------------------------------------------------------


def gate(conn: Connection, stored: Stored) -> str | None:
    """A notice goes out only while the approval it was queued under stands."""
    incident_id, revision = stored.message.incident_id, stored.message.revision
    state = contacts_store.approval_state(conn, incident_id or "")
    if state is None:
        return "the incident's SLA assessment is gone"
    review, digest = state
    if review != ReviewState.APPROVED.value:
        return (
            f"the approval it was queued under was voided (the assessment is {review} "
            "now): notices leave only behind an approval"
        )
    if digest != revision:
        return (
            f"the figures were approved again since it was queued (fingerprint "
            f"{(revision or '')[:12]}, now {digest[:12]}): send the new notices"
        )
    return None


def prepare(conn: Connection, stored: Stored, courier: Courier) -> Outgoing:
    message = stored.message
    secret = None
    if message.channel == "webhook":
        secret = contacts_store.webhook_secret(conn, message.customer_id or "")
    return Outgoing(
        id=stored.id,
        kind=message.kind,
        channel=message.channel,
        recipients=tuple(message.recipient.split(";")),
        body=message.body,
        message_id=message.message_id,
        subject=message.subject,
        body_html=message.body_html,
        secret=secret,
    )


def gone(conn: Connection, stored: Stored, now: datetime) -> None:
    """A customer's webhook answered 410: the notice failed; its address stays on record
    (the registry decides it)."""


def outbox_counts(ctx: Context) -> dict[str, int]:
    """How many messages of the outbox (notices and subscriber updates) are in each
    state."""
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.NOTICE_READ)
        return outbox_store.counts(conn)
