"""What customer notices rest on, as stored: customers' contacts, and the approval state
of an incident's SLA assessment read narrowly (two columns, per message sent)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from warroom.domain.contacts import Contact
from warroom.store.outbox import chunks
from warroom.store.tables import customer_contacts, sla_assessments


@dataclass(frozen=True)
class StoredContact:
    contact: Contact
    webhook_secret: str | None
    source: str
    updated_at: datetime
    updated_by: str


def _contact(row: Any) -> StoredContact:
    return StoredContact(
        Contact(row.customer_id, tuple(row.emails), row.webhook_url),
        row.webhook_secret,
        row.source,
        row.updated_at,
        row.updated_by,
    )


def contacts(
    conn: Connection, customer_ids: Iterable[str] | None = None
) -> dict[str, StoredContact]:
    """Stored contacts by customer ID (all of them, or those of `customer_ids`)."""
    if customer_ids is None:
        rows = conn.execute(select(customer_contacts).order_by(customer_contacts.c.customer_id))
        return {row.customer_id: _contact(row) for row in rows}
    found: dict[str, StoredContact] = {}
    for batch in chunks(customer_ids):
        for row in conn.execute(
            select(customer_contacts).where(customer_contacts.c.customer_id.in_(batch))
        ):
            found[row.customer_id] = _contact(row)
    return found


def customer_ids(conn: Connection) -> set[str]:
    """The customers with a contact on record (their IDs only)."""
    return set(conn.execute(select(customer_contacts.c.customer_id)).scalars())


def contact(conn: Connection, customer_id: str) -> StoredContact | None:
    return contacts(conn, [customer_id]).get(customer_id)


def webhook_secret(conn: Connection, customer_id: str) -> str | None:
    found: str | None = conn.execute(
        select(customer_contacts.c.webhook_secret).where(
            customer_contacts.c.customer_id == customer_id
        )
    ).scalar()
    return found


def put(conn: Connection, stored: StoredContact, *, exists: bool) -> None:
    values = dict(
        emails=list(stored.contact.emails),
        webhook_url=stored.contact.webhook_url,
        webhook_secret=stored.webhook_secret,
        source=stored.source,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )
    if exists:
        conn.execute(
            update(customer_contacts)
            .where(customer_contacts.c.customer_id == stored.contact.customer_id)
            .values(**values)
        )
    else:
        conn.execute(
            insert(customer_contacts).values(customer_id=stored.contact.customer_id, **values)
        )


def remove(conn: Connection, customer_ids: Iterable[str]) -> None:
    for batch in chunks(customer_ids):
        conn.execute(delete(customer_contacts).where(customer_contacts.c.customer_id.in_(batch)))


def approval_state(conn: Connection, incident_id: str) -> tuple[str, str] | None:
    """(review state, fingerprint of the figures) of the incident's assessment, or None.
    Every change that voids an approval writes both (`services.sla`)."""
    row = conn.execute(
        select(sla_assessments.c.state, sla_assessments.c.fingerprint).where(
            sla_assessments.c.incident_id == incident_id
        )
    ).first()
    return (row.state, row.fingerprint) if row else None
