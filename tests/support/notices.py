"""A world for the notice tests: the reference incident (347 minutes, all regions),
three customers with contacts, the SLA assessed, and helpers to approve it and to deliver
the outbox through recording transports.

C1 Acme (enterprise, 12,345.65 USD a month, email to two addresses and a webhook),
C2 Beta (business, 2,000.00 USD, eu-west, email), C3 Gamma (enterprise, 5,000.00 USD,
no contact on record). Approved, C1 is owed 1,234.57 (10 %), C2 100.00 (5 %),
C3 500.00 (10 %).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from support.cli_world import REFERENCE_INCIDENT
from support.people import acting, register_people
from warroom.domain.assessment import ReviewRole
from warroom.domain.contacts import Contact
from warroom.domain.customers import Customer
from warroom.formats.incident_file import read_incident_file
from warroom.formats.sla_policy import read_policy_text
from warroom.notify import Outgoing, TransportError
from warroom.services import contacts, incidents, sla
from warroom.services.context import Context
from warroom.services.outbox import Courier, Delivery

INC = "INC-2025-1108-001"
POLICY = read_policy_text("""
currency: USD
claims: {deadline_days: 30}
tiers:
  enterprise:
    uptime_target: 99.95
    credits: [{below: 99.95, percent: 10}, {below: 99.0, percent: 25}]
  business:
    uptime_target: 99.9
    credits: [{below: 99.9, percent: 5}]
""")
CUSTOMERS = (
    Customer("C1", "Acme", "enterprise", Decimal("12345.65"), "USD"),
    Customer("C2", "Beta", "business", Decimal("2000.00"), "USD", ("eu-west",)),
    Customer("C3", "Gamma", "enterprise", Decimal("5000.00"), "USD"),
)
CREDITS = {"C1": "1,234.57", "C2": "100.00", "C3": "500.00"}
CONTACTS = (
    Contact("C1", ("ops@acme.example", "cfo@acme.example"), "http://127.0.0.1:9/acme"),
    Contact("C2", ("it@beta.example",)),
)


def assess(ctx: Context, policy_source: str = "policy.yaml") -> sla.Assessment:
    return sla.assess_incident(
        acting(ctx, "Ada Admin"),
        INC,
        policy=POLICY,
        customers=CUSTOMERS,
        policy_source=policy_source,
        customers_source="customers.csv",
    )


def notice_world(ctx: Context, contact_list: tuple[Contact, ...] = CONTACTS) -> Context:
    """The reference incident assessed and submitted (not approved), contacts loaded;
    returns the context of Ada Admin (who may send notices)."""
    admin = acting(ctx, "Ada Admin")
    parsed = read_incident_file(REFERENCE_INCIDENT)
    incidents.import_incidents(admin, parsed)
    assess(ctx)
    sla.submit(admin, INC)
    contacts.load_contacts(admin, contact_list, source="customers.csv")
    return admin


def approve(ctx: Context) -> None:
    sla.approve(acting(ctx, "Lee Legal"), INC, role=ReviewRole.LEGAL)
    sla.approve(acting(ctx, "Fay Finance"), INC, role=ReviewRole.FINANCE)


def void_approval(ctx: Context) -> None:
    """Re-assess with other inputs: every approval is void (back to pending review)."""
    sla.assess_incident(
        acting(ctx, "Ada Admin"),
        INC,
        policy=dataclasses.replace(POLICY, deadline_days=45),
        customers=CUSTOMERS,
        policy_source="policy-v2.yaml",
        customers_source="customers.csv",
    )


@dataclass
class Recorder:
    """A transport that records what it is handed; `script` answers the next sends
    (None: delivered; a TransportError: raised)."""

    sent: list[Outgoing] = field(default_factory=list)
    script: list[TransportError | None] = field(default_factory=list)
    on_send: Callable[[Outgoing], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: Outgoing) -> str | None:
        with self.lock:
            outcome = self.script.pop(0) if self.script else None
            self.sent.append(message)
        if self.on_send is not None:
            self.on_send(message)
        if outcome is not None:
            raise outcome
        return None

    def close(self) -> None:
        pass


def courier(ctx: Context, recorder: Recorder, **delivery: object) -> Courier:
    """A courier whose transports (email and webhook) are `recorder`."""
    options: dict[str, object] = {
        "backoff": timedelta(seconds=30),
        "max_attempts": 3,
        "public_url": "https://status.example.com",
        "smtp_url": "smtp://127.0.0.1:1",
        "mail_from": "status@example.com",
    }
    options.update(delivery)
    found = Courier(ctx, Delivery(**options), clock=ctx.clock)  # type: ignore[arg-type]
    found.transports.update({"email": recorder, "webhook": recorder})
    return found


def deliver(ctx: Context, recorder: Recorder, **delivery: object) -> int:
    """Deliver everything due now."""
    return courier(ctx, recorder, **delivery).run(threading.Event(), until_idle=True)


__all__ = [
    "CONTACTS",
    "CREDITS",
    "CUSTOMERS",
    "INC",
    "POLICY",
    "Recorder",
    "approve",
    "assess",
    "courier",
    "deliver",
    "notice_world",
    "register_people",
    "void_approval",
]
