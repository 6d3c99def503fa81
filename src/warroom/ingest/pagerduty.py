"""PagerDuty Events API v2 bodies into `AlertIn` values, and PagerDuty's answers.

Anything that can page PagerDuty can post the same body to warroom. An alert is its
`dedup_key`: trigger, acknowledge and resolve events with one key are one alert, and the
same event twice changes nothing. A trigger without a `dedup_key` gets one from the
caller's `new_dedup_key` (the API generates it and returns it in its 202, as PagerDuty
does). `routing_key` is required as in PagerDuty but not held to PagerDuty's 32
characters: warroom accepts its own intake token there (`read_routing_key`).

Labels (what routing matches) are the payload's `source`, `severity`, `component`,
`group` and `class`; `custom_details` become annotations (texts as they are, other
values as compact JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from warroom.domain.alerts import (
    MAX_ANNOTATION_LENGTH,
    MAX_KEY_LENGTH,
    MAX_LABEL_VALUE_LENGTH,
    MAX_LABELS,
    MAX_NAME_LENGTH,
    MAX_SUMMARY_LENGTH,
    AlertIn,
    AlertSource,
    AlertStatus,
    clean_key,
    parse_instant,
)
from warroom.domain.errors import InvalidInput, Problem
from warroom.ingest.problems import Problems, require_object, validate

SEVERITIES = ("critical", "error", "warning", "info")
LABEL_FIELDS = ("source", "severity", "component", "group", "class")

# A real trigger Alertmanager 0.25 sent through its pagerduty_configs: the OpenAPI example.
EXAMPLE: JsonDict = {
    "routing_key": "0123456789abcdef0123456789abcdef",
    "dedup_key": "93fbcf22398cb745dc6939f25e682599b0236d530f14bc9170aa44a5e1ee48c9",
    "event_action": "trigger",
    "payload": {
        "summary": "[FIRING:1] HighLatency search (warning)",
        "source": "search",
        "severity": "warning",
        "class": "HighLatency",
        "custom_details": {
            "firing": "Labels:\n - alertname = HighLatency\n - service = search\n"
            " - severity = warning\nAnnotations:\n - summary = p99 > 2s\nSource: \n",
            "num_firing": "1",
            "num_resolved": "0",
            "resolved": "",
        },
    },
    "client": "Alertmanager",
    "client_url": "http://127.0.0.1:19093",
}


class _Body(BaseModel):
    # Unknown fields are ignored, as PagerDuty ignores them (images, new fields).
    model_config = ConfigDict(extra="ignore", strict=True, populate_by_name=True)


class PagerDutyPayload(_Body):
    """What the event is about; `summary`, `source` and `severity` are required to trigger."""

    summary: str | None = Field(
        default=None,
        description=f"One line about the problem; cut at {MAX_SUMMARY_LENGTH} characters.",
        examples=["p99 latency above 2s on search"],
    )
    source: str | None = Field(
        default=None, description="The affected system, often a host.", examples=["search"]
    )
    severity: Literal["critical", "error", "warning", "info"] | None = Field(
        default=None, description="Mapped to SEV-n by the routing rules."
    )
    timestamp: str | None = Field(
        default=None,
        description="When the problem was detected, ISO 8601 with a UTC offset "
        "(2025-11-08T14:02:00Z, +0000 too); default: when received.",
    )
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class", description="The kind of event.")
    custom_details: Any = Field(default=None, description="Free-form details, kept as annotations.")


class PagerDutyLink(_Body):
    href: str
    text: str | None = None


class PagerDutyEvent(_Body):
    """A PagerDuty Events API v2 event (POST /v2/enqueue)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    routing_key: str = Field(
        description="PagerDuty's integration key; warroom also takes an intake token here."
    )
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(
        default=None,
        description=f"The alert's identity, at most {MAX_KEY_LENGTH} "
        "characters; required to acknowledge or resolve, generated "
        "(and returned) for a trigger without one.",
    )
    payload: PagerDutyPayload | None = Field(default=None, description="Required to trigger.")
    client: str | None = Field(default=None, description="The sending tool's name.")
    client_url: str | None = Field(default=None, description="The sending tool's address.")
    links: list[PagerDutyLink] = Field(default_factory=list)


class PagerDutyAccepted(BaseModel):
    """PagerDuty's 202 answer to a valid event."""

    status: Literal["success"] = "success"
    message: str = "Event processed"
    dedup_key: str


class PagerDutyInvalid(BaseModel):
    """PagerDuty's 400 answer to an invalid event."""

    status: Literal["invalid event"] = "invalid event"
    message: str = "Event object is invalid"
    errors: list[str]


REQUEST_MODEL = PagerDutyEvent

_STATUS = {
    "trigger": AlertStatus.FIRING,
    "acknowledge": AlertStatus.ACKNOWLEDGED,
    "resolve": AlertStatus.RESOLVED,
}


def accepted(dedup_key: str) -> dict[str, str]:
    """The body of PagerDuty's 202: ``{"status": "success", ..., "dedup_key": ...}``."""
    return PagerDutyAccepted(dedup_key=dedup_key).model_dump()


def invalid_event(error: InvalidInput) -> dict[str, object]:
    """The body of PagerDuty's 400 for `error`, one line per problem in `errors`."""
    return PagerDutyInvalid(errors=[str(problem) for problem in error.problems]).model_dump()


def read_routing_key(body: object) -> str | None:
    """The event's routing_key, read before validation so that the API can authenticate a
    sender by it; None when there is none to read."""
    if isinstance(body, dict):
        key = body.get("routing_key")
        if isinstance(key, str) and key and "\x00" not in key:
            return key
    return None


def parse_event(
    body: object, *, received_at: datetime, new_dedup_key: Callable[[], str]
) -> AlertIn:
    """One event (whatever `json.loads` returned) as an alert, or InvalidInput naming every
    problem by its JSON path. `received_at` stands in for a missing `payload.timestamp`;
    `new_dedup_key` is called only for a trigger without a dedup_key."""
    data = require_object(body, "a PagerDuty event")
    if "event_action" not in data and "event_type" in data:
        raise InvalidInput(
            [
                Problem(
                    "event_type",
                    "unsupported_version",
                    (
                        "this is a PagerDuty Events API v1 event; warroom takes v2 events "
                        "(event_action, dedup_key, payload)"
                    ),
                )
            ]
        )
    event = validate(PagerDutyEvent, data)
    problems = Problems()
    action = event.event_action
    problems.key(event.routing_key, "routing_key", limit=MAX_KEY_LENGTH)
    payload = event.payload
    if action == "trigger":
        if payload is None:
            problems.add("payload", "required", "is required to trigger")
        else:
            for needed in ("summary", "source", "severity"):
                value = getattr(payload, needed)
                if value is None or not value.strip():
                    problems.add(f"payload.{needed}", "required", "is required to trigger")
    # An empty dedup_key is no key (a template that rendered nothing): a trigger gets one.
    dedup_key = event.dedup_key if event.dedup_key and event.dedup_key.strip() else None
    if not dedup_key and action != "trigger":
        problems.add("dedup_key", "required", f"is required to {action}")
    elif dedup_key:
        problems.key(dedup_key, "dedup_key", limit=MAX_KEY_LENGTH)
    at = received_at
    if payload is not None and payload.timestamp is not None:
        try:
            at = parse_instant(payload.timestamp).at
        except ValueError as exc:
            problems.add("payload.timestamp", "bad_time", str(exc))
    labels, annotations, summary, name = _describe(payload, problems)
    links = [problems.url(link.href, f"links[{i}].href") for i, link in enumerate(event.links)]
    sender_url = problems.url(event.client_url, "client_url")
    problems.raise_if_any()
    if not dedup_key:
        dedup_key = clean_key(new_dedup_key(), field="dedup_key")
    status = _STATUS[action]
    return AlertIn(
        source=AlertSource.PAGERDUTY,
        key=dedup_key,
        fingerprint=dedup_key,
        status=status,
        name=name or summary or dedup_key[:MAX_NAME_LENGTH],
        at=at,
        starts_at=at,
        ends_at=at if status is AlertStatus.RESOLVED else None,
        group_key=dedup_key,
        summary=summary,
        severity=payload.severity if payload is not None else None,
        labels=labels,
        annotations=annotations,
        generator_url=next((link for link in links if link), None),
        sender_url=sender_url,
    )


def parse_alerts(
    body: object, *, received_at: datetime, new_key: Callable[[], str]
) -> list[AlertIn]:
    """The registry's adapter signature: the event as a list of one alert."""
    return [parse_event(body, received_at=received_at, new_dedup_key=new_key)]


def _describe(
    payload: PagerDutyPayload | None, problems: Problems
) -> tuple[dict[str, str], dict[str, str], str | None, str | None]:
    """Labels, annotations, summary and name of the payload, cleaned."""
    if payload is None:
        return {}, {}, None, None
    fields = {
        "source": payload.source,
        "severity": payload.severity,
        "component": payload.component,
        "group": payload.group,
        "class": payload.class_,
    }
    labels = {name: value for name, value in fields.items() if value}
    labels = problems.mapping(
        labels, "payload", limit=MAX_LABEL_VALUE_LENGTH, count=len(LABEL_FIELDS), cut=False
    )
    details = payload.custom_details
    try:
        if details is None:
            raw: dict[str, str] = {}
        elif isinstance(details, dict) and len(details) <= MAX_LABELS:
            raw = {key: _as_text(value) for key, value in details.items()}
        else:  # a text, a list, or more entries than annotations hold: kept as one text
            raw = {"details": _as_text(details)}
    except (RecursionError, ValueError):
        problems.add("payload.custom_details", "too_deep", "is nested too deeply to keep")
        raw = {}
    annotations = problems.mapping(
        raw, "payload.custom_details", limit=MAX_ANNOTATION_LENGTH, count=MAX_LABELS, cut=True
    )
    summary = None
    if payload.summary:
        summary = (
            problems.text(
                payload.summary,
                "payload.summary",
                limit=MAX_SUMMARY_LENGTH,
                cut=True,
                one_line=True,
            )
            or None
        )
    name = None
    if payload.class_:
        name = (
            problems.text(
                payload.class_, "payload.class", limit=MAX_NAME_LENGTH, cut=True, one_line=True
            )
            or None
        )
    if name is None and summary is not None:
        name = summary[:MAX_NAME_LENGTH]
    return labels, annotations, summary, name


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
