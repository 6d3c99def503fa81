"""The append-only audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from warroom.store.tables import audit_log


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any]
    channel: str = "cli"  # the door: cli, api, web, intake, system
    os_login: str | None = None  # the operating-system login behind a CLI command
    token_id: str | None = None


_RECORD = insert(audit_log)  # built once: every change writes one


def record(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    changes: dict[str, Any],
    channel: str = "cli",
    os_login: str | None = None,
    token_id: str | None = None,
) -> None:
    conn.execute(
        _RECORD,
        {
            "at": at,
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "changes": changes,
            "channel": channel,
            "os_login": os_login,
            "token_id": token_id,
        },
    )


def entries(
    conn: Connection, *, entity_id: str | None = None, action_prefix: str | None = None
) -> list[AuditEntry]:
    query = select(audit_log).order_by(audit_log.c.id)
    if entity_id is not None:
        query = query.where(audit_log.c.entity_id == entity_id)
    if action_prefix is not None:
        query = query.where(audit_log.c.action.startswith(action_prefix))
    return [
        AuditEntry(
            id=r.id,
            at=r.at,
            actor=r.actor,
            action=r.action,
            entity_type=r.entity_type,
            entity_id=r.entity_id,
            changes=dict(r.changes),
            channel=r.channel,
            os_login=r.os_login,
            token_id=r.token_id,
        )
        for r in conn.execute(query)
    ]
