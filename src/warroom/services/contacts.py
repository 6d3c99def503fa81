"""Customers' notice addresses, loaded from the registry's contact columns, and the
secrets their webhooks are signed with.

Contacts are kept apart from the SLA assessment's copy of the registry on purpose: a
new email address is not a new figure, so changing one never voids an approval.
A customer's webhook secret is made when its webhook URL is first loaded, kept while
the customer has a webhook (a new URL keeps it), and shown only on request
(`warroom contacts secret CUSTOMER`), which the audit log records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from warroom.domain.contacts import Contact
from warroom.domain.errors import InvalidInput, NotFound, Problem
from warroom.domain.permissions import Action
from warroom.notify.signing import new_secret
from warroom.services.access import authorize, record
from warroom.services.context import Context
from warroom.store import notices as store
from warroom.store.notices import StoredContact

MAX_CONTACTS = 10_000_000
SHOWN_SECRETS = 100  # customers named in the audit entry of a load (the rest are counted)

# A registry's contacts in batches (`formats.customer_registry.open_contacts`); every call
# reads them again from the start (a write that meets a conflict runs again).
ContactsReader = Callable[[], Iterable[Sequence[Contact]]]


@dataclass(frozen=True)
class Loaded:
    added: int
    changed: int
    unchanged: int
    removed: int
    new_secrets: tuple[str, ...]  # customers whose webhook got a secret just now


def load_contacts(
    ctx: Context,
    contacts: Sequence[Contact] | ContactsReader,
    *,
    source: str,
    replace: bool = False,
) -> Loaded:
    """Store the registry's contacts (all of them or none: a problem found at its last
    row leaves what was there); with `replace`, customers the registry no longer lists
    lose theirs. A reader is taken a batch at a time: a registry of millions of
    customers loads in flat memory but for the set of their IDs."""
    batches: ContactsReader = contacts if callable(contacts) else (lambda: [contacts])

    def work(conn: Connection) -> Loaded:
        who = authorize(conn, ctx, Action.CONTACT_MANAGE)
        now = ctx.now()
        added = changed = unchanged = 0
        secrets: list[str] = []
        listed: set[str] = set()
        for batch in batches():
            known = store.contacts(conn, [c.customer_id for c in batch])
            for contact in batch:
                listed.add(contact.customer_id)
                if len(listed) > MAX_CONTACTS:
                    raise InvalidInput(
                        [Problem("customers", "too_many", f"more than {MAX_CONTACTS:,} customers")]
                    )
                before = known.get(contact.customer_id)
                secret = before.webhook_secret if before else None
                if contact.webhook_url is None:
                    secret = None
                elif secret is None:
                    secret = new_secret()
                    secrets.append(contact.customer_id)
                if (
                    before is not None
                    and before.contact == contact
                    and before.webhook_secret == secret
                ):
                    unchanged += 1
                    continue
                store.put(
                    conn,
                    StoredContact(contact, secret, source, now, who.name),
                    exists=before is not None,
                )
                if before is None:
                    added += 1
                else:
                    changed += 1
        gone = sorted(store.customer_ids(conn) - listed) if replace else []
        store.remove(conn, gone)
        record(
            conn,
            ctx,
            who,
            action="contacts.load",
            entity_type="contacts",
            entity_id=source[:300],
            changes={
                "added": added,
                "changed": changed,
                "unchanged": unchanged,
                "removed": len(gone),
                "new_webhook_secrets": secrets[:SHOWN_SECRETS],
                "new_webhook_secrets_count": len(secrets),
            },
        )
        return Loaded(added, changed, unchanged, len(gone), tuple(secrets))

    return ctx.db.write(work)


def list_contacts(ctx: Context) -> list[StoredContact]:
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.CONTACT_MANAGE)
        return list(store.contacts(conn).values())


def webhook_secret(ctx: Context, customer_id: str, *, rotate: bool = False) -> str:
    """The secret `customer_id`'s webhooks are signed with (a new one with `rotate`: the
    old one stops verifying at once)."""

    def work(conn: Connection) -> str:
        who = authorize(conn, ctx, Action.CONTACT_MANAGE)
        found = store.contact(conn, customer_id)
        if found is None or found.contact.webhook_url is None or found.webhook_secret is None:
            raise NotFound(
                f"customer {customer_id!r} has no webhook on record: load a "
                "registry with a webhook_url column (`warroom contacts load`)"
            )
        secret = found.webhook_secret
        if rotate:
            secret = new_secret()
            store.put(
                conn,
                StoredContact(found.contact, secret, found.source, ctx.now(), who.name),
                exists=True,
            )
        record(
            conn,
            ctx,
            who,
            action="contacts.secret_rotated" if rotate else "contacts.secret_shown",
            entity_type="contacts",
            entity_id=customer_id,
            changes={},
        )
        return secret

    return ctx.db.write(work)
