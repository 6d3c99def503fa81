"""Prometheus Alertmanager webhook (version 4) bodies into `AlertIn` values.

An alert is identified by its `fingerprint` and `startsAt` (canonical UTC, to the
nanosecond): Alertmanager re-sends a whole group on every repeat and retry, and the same
alert always reads to the same key. `endsAt` of Go's zero time means still firing.
Unknown fields are ignored: newer Alertmanagers add some (`notification_reason`,
`routeLabels`). Receiver names arrive regex-escaped (``team\\.ops``) and are unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from warroom.domain.alerts import (
    MAX_ALERTS_PER_PAYLOAD,
    MAX_ANNOTATION_LENGTH,
    MAX_GROUP_KEY_LENGTH,
    MAX_LABEL_VALUE_LENGTH,
    MAX_LABELS,
    MAX_NAME_LENGTH,
    MAX_SUMMARY_LENGTH,
    AlertIn,
    AlertSource,
    AlertStatus,
    Instant,
    parse_instant,
)
from warroom.domain.errors import InvalidInput, Problem
from warroom.ingest.problems import Problems, describe, require_object, validate

VERSION = "4"
ZERO_TIME = "0001-01-01T00:00:00Z"
SUMMARY_ANNOTATIONS = ("summary", "description", "message")  # the first present is the summary

Labels = dict[str, str]

# A real body of Alertmanager 0.25 (amtool fired the alert): the OpenAPI example.
EXAMPLE: JsonDict = {
    "receiver": "incident-webhook",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "HighErrorRate",
                "env": "prod",
                "service": "checkout",
                "severity": "critical",
            },
            "annotations": {
                "runbook_url": "http://127.0.0.1/runbooks/checkout-5xx",
                "summary": "Checkout 5xx ratio above 5%",
            },
            "startsAt": "2026-11-26T19:23:18.441250922Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:19090/graph?g0.expr=job%3Acheckout_5xx%3Aratio5m+%3E+0.05",
            "fingerprint": "69c2e62f0b0aec37",
        }
    ],
    "groupLabels": {"alertname": "HighErrorRate", "service": "checkout"},
    "commonLabels": {
        "alertname": "HighErrorRate",
        "env": "prod",
        "service": "checkout",
        "severity": "critical",
    },
    "commonAnnotations": {
        "runbook_url": "http://127.0.0.1/runbooks/checkout-5xx",
        "summary": "Checkout 5xx ratio above 5%",
    },
    "externalURL": "http://127.0.0.1:19093",
    "version": "4",
    "groupKey": '{}:{alertname="HighErrorRate", service="checkout"}',
    "truncatedAlerts": 0,
}


class _Body(BaseModel):
    # Strict: "4" is not 4 and true is not 1. Unknown fields are ignored (forward compatible).
    model_config = ConfigDict(extra="ignore", strict=True, populate_by_name=True)


class AlertmanagerAlert(_Body):
    """One alert of the group."""

    status: Literal["firing", "resolved"] = Field(
        description="`resolved` once the alert's end time has passed."
    )
    labels: Labels = Field(
        description=f"The alert's labels: they identify it and route it. At most {MAX_LABELS} "
        f"labels; a value longer than {MAX_LABEL_VALUE_LENGTH} characters is "
        "refused.",
        examples=[{"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"}],
    )
    annotations: Labels = Field(
        default_factory=dict,
        description=f"Descriptive texts (summary, description, runbook_url). Values longer "
        f"than {MAX_ANNOTATION_LENGTH} characters are cut. May be empty on a "
        "resolved alert: the latest post to Alertmanager wins.",
    )
    starts_at: str = Field(
        alias="startsAt",
        description="RFC 3339 with nanoseconds, e.g. 2026-11-26T19:23:18.441250922Z.",
        examples=["2026-11-26T19:23:18.441250922Z"],
    )
    ends_at: str = Field(
        default=ZERO_TIME,
        alias="endsAt",
        description=f"{ZERO_TIME} (Go's zero time) while firing; the end once resolved.",
    )
    generator_url: str = Field(
        default="",
        alias="generatorURL",
        description="Link to the rule that fired (Prometheus graph); may be empty.",
    )
    fingerprint: str = Field(
        description="Hexadecimal identity of the label set (Alertmanager writes 16 digits).",
        examples=["69c2e62f0b0aec37"],
    )


class AlertmanagerWebhook(_Body):
    """The body Alertmanager's `webhook_configs` posts (version 4): one notification group."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    version: str = Field(description='Always "4"; other versions are refused.', examples=["4"])
    group_key: str = Field(
        alias="groupKey",
        description="Identifies the notification group; stable across firing, repeat and "
        "resolved notifications. Alerts of one group open one incident by default.",
    )
    truncated_alerts: Annotated[int, Field(ge=0)] = Field(
        default=0,
        alias="truncatedAlerts",
        description="How many alerts of the group were left out (the receiver's max_alerts).",
    )
    status: Literal["firing", "resolved"] = Field(
        default="firing", description="`firing` while any alert of the group fires."
    )
    receiver: str = Field(
        default="",
        description="The receiver's name, regex-escaped by Alertmanager (team\\.ops for team.ops).",
    )
    group_labels: Labels = Field(default_factory=dict, alias="groupLabels")
    common_labels: Labels = Field(default_factory=dict, alias="commonLabels")
    common_annotations: Labels = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(
        default="", alias="externalURL", description="Alertmanager's own address."
    )
    alerts: list[AlertmanagerAlert] = Field(
        description=f"The group's alerts, at most {MAX_ALERTS_PER_PAYLOAD} (set `max_alerts: "
        f"{MAX_ALERTS_PER_PAYLOAD}` on the webhook config for larger groups)."
    )


REQUEST_MODEL = AlertmanagerWebhook

_FINGERPRINT = re.compile(r"[0-9a-fA-F]{1,64}")
# Go's regexp.QuoteMeta escapes these; Alertmanager quotes receiver names with it.
_QUOTED_META = re.compile(r"\\([\\.+*?()|\[\]{}^$])")


def unescape_receiver(name: str) -> str:
    """``team\\.ops`` → ``team.ops``: undo Alertmanager's regexp.QuoteMeta."""
    return _QUOTED_META.sub(r"\1", name)


def parse_webhook(body: object) -> list[AlertIn]:
    """The alerts of one webhook body (whatever `json.loads` returned), or InvalidInput
    naming every problem by its JSON path. Each key appears once (the last one wins)."""
    data = require_object(body, "an Alertmanager webhook body")
    version = data.get("version")
    if "version" in data and version != VERSION:
        raise InvalidInput(
            [
                Problem(
                    "version",
                    "unsupported_version",
                    (
                        f"webhook version {describe(version)} is not supported; warroom reads "
                        f"version "
                        f'"{VERSION}", which Alertmanager sends'
                    ),
                )
            ]
        )
    alerts = data.get("alerts")
    if isinstance(alerts, list) and len(alerts) > MAX_ALERTS_PER_PAYLOAD:
        raise InvalidInput(
            [
                Problem(
                    "alerts",
                    "too_many",
                    (
                        f"holds {len(alerts):,} alerts; the limit is "
                        f"{MAX_ALERTS_PER_PAYLOAD:,}: set max_alerts: "
                        f"{MAX_ALERTS_PER_PAYLOAD} on the webhook config"
                    ),
                )
            ]
        )
    webhook = validate(AlertmanagerWebhook, data)
    problems = Problems()
    group_key = problems.text(webhook.group_key, "groupKey", limit=MAX_GROUP_KEY_LENGTH)
    if not group_key:
        problems.add("groupKey", "empty", "must not be empty")
    receiver = unescape_receiver(
        problems.text(webhook.receiver, "receiver", limit=MAX_NAME_LENGTH, one_line=True)
    )
    sender_url = problems.url(webhook.external_url, "externalURL")
    out: dict[str, AlertIn] = {}
    for index, alert in enumerate(webhook.alerts):
        parsed = _alert(
            alert,
            f"alerts[{index}]",
            problems,
            group_key=group_key,
            receiver=receiver or None,
            sender_url=sender_url,
            truncated=webhook.truncated_alerts,
        )
        if parsed is not None:
            out.pop(parsed.key, None)  # the later copy wins, in the later place
            out[parsed.key] = parsed
    problems.raise_if_any()
    return list(out.values())


def parse_alerts(
    body: object, *, received_at: datetime, new_key: Callable[[], str]
) -> list[AlertIn]:
    """The registry's adapter signature; Alertmanager bodies need neither argument."""
    return parse_webhook(body)


def _alert(
    alert: AlertmanagerAlert,
    path: str,
    problems: Problems,
    *,
    group_key: str,
    receiver: str | None,
    sender_url: str | None,
    truncated: int,
) -> AlertIn | None:
    before = len(problems.found)
    fingerprint = alert.fingerprint.lower()
    if not _FINGERPRINT.fullmatch(fingerprint):
        problems.add(
            f"{path}.fingerprint",
            "bad_fingerprint",
            f"expected 1 to 64 hexadecimal digits, found {describe(alert.fingerprint)}",
        )
    labels = problems.mapping(
        alert.labels, f"{path}.labels", limit=MAX_LABEL_VALUE_LENGTH, count=MAX_LABELS, cut=False
    )
    annotations = problems.mapping(
        alert.annotations,
        f"{path}.annotations",
        limit=MAX_ANNOTATION_LENGTH,
        count=MAX_LABELS,
        cut=True,
    )
    starts = _time(alert.starts_at, f"{path}.startsAt", problems)
    if starts is not None and starts.is_zero:
        problems.add(f"{path}.startsAt", "bad_time", "the zero time is not a start time")
    ends = _time(alert.ends_at, f"{path}.endsAt", problems)
    resolved = alert.status == "resolved"
    if resolved and ends is not None and ends.is_zero:
        problems.add(
            f"{path}.endsAt",
            "missing_end",
            f"a resolved alert needs its end time, found {ZERO_TIME}",
        )
    elif resolved and starts is not None and ends is not None and ends.at < starts.at:
        problems.add(
            f"{path}.endsAt",
            "bad_time",
            f"the alert ends ({ends.text}) before it starts ({starts.text})",
        )
    generator_url = problems.url(alert.generator_url, f"{path}.generatorURL")
    if len(problems.found) > before or starts is None or ends is None:
        return None
    name = problems.text(
        labels.get("alertname", ""),
        f"{path}.labels.alertname",
        limit=MAX_NAME_LENGTH,
        cut=True,
        one_line=True,
    )
    summary = next((annotations[key] for key in SUMMARY_ANNOTATIONS if annotations.get(key)), None)
    if summary is not None:
        summary = (
            problems.text(
                summary, f"{path}.annotations", limit=MAX_SUMMARY_LENGTH, cut=True, one_line=True
            )
            or None
        )
    return AlertIn(
        source=AlertSource.ALERTMANAGER,
        key=f"{fingerprint}@{starts.text}",
        fingerprint=fingerprint,
        status=AlertStatus.RESOLVED if resolved else AlertStatus.FIRING,
        name=name or f"alert {fingerprint}",
        at=ends.at if resolved else starts.at,
        starts_at=starts.at,
        ends_at=ends.at if resolved else None,
        group_key=group_key,
        summary=summary,
        severity=labels.get("severity") or None,
        labels=labels,
        annotations=annotations,
        generator_url=generator_url,
        sender_url=sender_url,
        receiver=receiver,
        group_truncated=truncated,
    )


def _time(text: str, field: str, problems: Problems) -> Instant | None:
    try:
        return parse_instant(text)
    except ValueError as exc:
        problems.add(field, "bad_time", str(exc))
        return None
