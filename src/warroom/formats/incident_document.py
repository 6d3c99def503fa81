"""An incident as the plain data of its file (docs/incident-file.md), in the file's key order.

`formats.incident_file` writes it as YAML or JSON and reads it back; every change to an
incident is audited as this document before and after (`services.incidents`), which is
why it is apart: it needs neither pydantic nor YAML, so a note added to a timeline does
not load them.
"""

from __future__ import annotations

from typing import Any

from warroom.domain.incident import Incident, Role
from warroom.domain.window import iso_z


def to_document(incident: Incident) -> dict[str, Any]:
    """The incident as the plain data of its file (the key order of docs/incident-file.md)."""
    roles = {
        r.value: incident.roles[r]
        for r in (Role.SCRIBE, Role.COMMUNICATIONS, Role.TECHNICAL_LEAD)
        if r in incident.roles
    }
    doc: dict[str, Any] = {
        "id": incident.id or None,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status.value,
        "classification": incident.classification.value,
        "commander": incident.commander,
        "roles": roles,
        "scope": {
            "regions": "all" if incident.scope.regions is None else list(incident.scope.regions),
            "services": "all" if incident.scope.services is None else list(incident.scope.services),
        },
        "data_loss": incident.data_loss,
        "summary": incident.summary,
        "public_summary": incident.public_summary,
        "timeline": [
            {
                "at": iso_z(e.at),
                "kind": e.kind.value,
                "text": e.text,
                "author": e.author,
                "audience": e.audience.value,
            }
            for e in incident.ordered_timeline()
        ],
        "root_cause": incident.root_cause,
        "public_root_cause": incident.public_root_cause,
        "contributing_factors": list(incident.contributing_factors),
        "actions": [
            {
                "title": a.title,
                "owner": a.owner,
                "due": a.due.isoformat() if a.due else None,
                "status": a.status.value,
                "link": a.link,
                "audience": a.audience.value,
            }
            for a in sorted(incident.actions, key=lambda a: a.number)
        ],
    }
    return doc
