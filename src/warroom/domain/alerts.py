"""Alerts and change events as every intake adapter hands them to the intake service.

The adapters (`warroom.ingest`) turn each source's body into these values; the service
stores them idempotently by (`source`, `key`), routes firing alerts (`warroom.domain.routing`)
and writes timeline entries. Nothing here knows HTTP, JSON or a database.

Text rules, one definition for every source: NUL is refused (PostgreSQL cannot store it);
other control characters and lone surrogates become U+FFFD; what identifies or routes an
alert (keys, label names and values) is refused when over its limit, while free text
(names, summaries, annotations) is cut with "…", so that no alert is lost over a long
description.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from types import MappingProxyType

from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.scope import Scope
from warroom.domain.timeline import MAX_TEXT_LENGTH
from warroom.domain.window import require_utc

# -- limits ------------------------------------------------------------------------------------

MAX_PAYLOAD_BYTES = 5 * 1024 * 1024  # one request body; a full group of ~2 KB alerts fits
MAX_ALERTS_PER_PAYLOAD = 1_000  # Alertmanager: `max_alerts: 1000` on the webhook config
MAX_LABELS = 100  # labels of one alert; the same limit for its annotations
MAX_LABEL_NAME_LENGTH = 200
MAX_LABEL_VALUE_LENGTH = 2_000
MAX_KEY_LENGTH = 255  # alert keys, dedup keys, change ids (PagerDuty's dedup_key limit)
MAX_GROUP_KEY_LENGTH = 10_000  # Alertmanager's groupKey holds its route's matchers and labels
MAX_NAME_LENGTH = 255
MAX_SUMMARY_LENGTH = 1_024  # PagerDuty's own summary limit
MAX_ANNOTATION_LENGTH = MAX_TEXT_LENGTH  # an annotation fits a timeline entry
MAX_URL_LENGTH = 8_000  # longer links are dropped, not cut: a cut URL points somewhere else
MAX_TITLE_LENGTH = 200  # an incident title made from an alert

ELLIPSIS = "…"
REPLACEMENT = "\ufffd"

# C0 controls but tab, newline and carriage return; DEL; C1 controls; lone surrogates
# (json.loads accepts "\ud800", UTF-8 cannot encode it).
_UNPRINTABLE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def clean_text(
    value: str, *, field: str, limit: int, cut: bool = False, one_line: bool = False
) -> str:
    """The text as warroom stores it, or InvalidInput naming `field`.

    `one_line` folds every run of white space into one space and trims the ends (names,
    titles). Over `limit` characters the text is cut with "…" when `cut`, else refused.
    """
    if "\x00" in value:
        raise InvalidInput(
            [
                Problem(
                    field=field,
                    code="nul_character",
                    message=("contains a NUL character (\\u0000), which warroom cannot store"),
                )
            ]
        )
    text = _UNPRINTABLE.sub(REPLACEMENT, value)
    if one_line:
        text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        if not cut:
            raise InvalidInput(
                [
                    Problem(
                        field=field,
                        code="too_long",
                        message=(f"is {len(text):,} characters long; the limit is {limit:,}"),
                    )
                ]
            )
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def clean_key(value: str, *, field: str, limit: int = MAX_KEY_LENGTH) -> str:
    """An identifier exactly as sent, or InvalidInput: empty, over `limit` or holding a
    control character is refused (replacing characters would merge distinct keys)."""
    if not value:
        raise InvalidInput([Problem(field=field, code="empty", message="must not be empty")])
    if "\x00" in value:
        raise InvalidInput(
            [
                Problem(
                    field=field,
                    code="nul_character",
                    message=("contains a NUL character (\\u0000), which warroom cannot store"),
                )
            ]
        )
    if _UNPRINTABLE.search(value):
        raise InvalidInput(
            [
                Problem(
                    field=field,
                    code="control_character",
                    message=("contains a control character or an invalid code point"),
                )
            ]
        )
    if len(value) > limit:
        raise InvalidInput(
            [
                Problem(
                    field=field,
                    code="too_long",
                    message=(f"is {len(value):,} characters long; the limit is {limit:,}"),
                )
            ]
        )
    return value


def clean_url(value: str | None, *, field: str) -> str | None:
    """A link, or None when absent, empty or longer than MAX_URL_LENGTH (dropped, not cut)."""
    if not value:
        return None
    text = clean_text(value, field=field, limit=len(value)).strip()
    return text if text and len(text) <= MAX_URL_LENGTH else None


# -- times -------------------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))",
    re.ASCII,
)


@dataclass(frozen=True)
class Instant:
    """A time to the nanosecond, as Go (Alertmanager) writes it.

    `at` is the aware UTC datetime (microseconds: all Python keeps); `text` is the
    canonical UTC spelling with every nanosecond and no trailing zeros, so equal instants
    written differently ("…18.4412Z", "…19:23:18.441200+00:00") have the same text.
    """

    at: datetime
    nanosecond: int  # 0..999: what lies below `at`'s microseconds

    @property
    def text(self) -> str:
        at = self.at
        base = (
            f"{at.year:04d}-{at.month:02d}-{at.day:02d}T"
            f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}"
        )
        fraction = f"{at.microsecond * 1000 + self.nanosecond:09d}".rstrip("0")
        return f"{base}.{fraction}Z" if fraction else f"{base}Z"

    @property
    def is_zero(self) -> bool:
        """Go's zero time, 0001-01-01T00:00:00Z: Alertmanager's "no end yet"."""
        return self.at == GO_ZERO_TIME and self.nanosecond == 0


GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def parse_instant(text: str) -> Instant:
    """An RFC 3339 time with a UTC offset (`Z`, `+01:00` or `+0100`), to the nanosecond.

    ValueError (with a message for people) when it is not one: times without an offset
    are refused, as everywhere in warroom; digits beyond nanoseconds are dropped.
    """
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"{_shorten(text)!r} is not a time; expected RFC 3339 with a UTC "
            "offset, e.g. 2025-11-08T14:02:00Z"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    digits = (match.group(7) or "")[:9].ljust(9, "0")
    if match.group(8):
        offset = timedelta(0)
    else:
        hours, minutes = int(match.group(10)), int(match.group(11))
        if hours > 23 or minutes > 59:
            raise ValueError(f"{_shorten(text)!r} has an impossible UTC offset")
        offset = timedelta(hours=hours, minutes=minutes)
        if match.group(9) == "-":
            offset = -offset
    try:
        local = datetime(
            year, month, day, hour, minute, second, int(digits[:6]), tzinfo=timezone(offset)
        )
        at = local.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{_shorten(text)!r} is not a valid date and time") from None
    return Instant(at=at, nanosecond=int(digits[6:]))


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- alerts ------------------------------------------------------------------------------------


class AlertSource(StrEnum):
    ALERTMANAGER = "alertmanager"
    PAGERDUTY = "pagerduty"


class AlertStatus(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"  # PagerDuty's acknowledge: someone is on it
    RESOLVED = "resolved"


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(sorted(mapping.items())))


@dataclass(frozen=True)
class AlertIn:
    """One alert as one delivery reports it; the same (`source`, `key`) is the same alert.

    - `key`: the alert's identity within its source. Alertmanager: ``fingerprint@startsAt``
      with startsAt in canonical UTC to the nanosecond (`Instant.text`), so a re-fire of the
      same label set after it resolved is a new alert; PagerDuty: the `dedup_key`.
    - `fingerprint`: the alert across firings (Alertmanager's label-set fingerprint,
      PagerDuty's dedup_key).
    - `at`: when what this delivery reports happened: the start when firing, the end when
      resolved, the event's time for an acknowledgement.
    - `starts_at`: the alert's start. A PagerDuty acknowledge or resolve does not say when
      the alert started: it holds the event's time, and the service keeps the stored start.
    - `ends_at`: None unless resolved.
    - `group_key`: the source's own grouping, the routing default for "same incident":
      Alertmanager's `groupKey`; PagerDuty's `dedup_key` (one PagerDuty alert, one group:
      an acknowledge or resolve carries no payload to group by).
    - `severity`: the source's raw severity text (label `severity`, PagerDuty
      `payload.severity`), mapped to SEV-n by the routing rules.
    - `labels` route the alert; `annotations` describe it. Empty annotations, summary or
      links on a resolved delivery mean "not sent this time" (Alertmanager's latest post
      wins): the service keeps what it stored.
    - `group_truncated`: alerts of the same group the sender left out of this delivery
      (Alertmanager's `truncatedAlerts`, when its webhook has `max_alerts`).
    """

    source: AlertSource
    key: str
    fingerprint: str
    status: AlertStatus
    name: str
    at: datetime
    starts_at: datetime
    group_key: str
    ends_at: datetime | None = None
    summary: str | None = None
    severity: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    generator_url: str | None = None  # the page of the rule or check that fired
    sender_url: str | None = None  # the sender's own page (Alertmanager's externalURL)
    receiver: str | None = None  # Alertmanager receiver name, unescaped
    group_truncated: int = 0

    def __post_init__(self) -> None:
        if not self.key or not self.fingerprint or not self.group_key or not self.name:
            raise ValueError("an alert needs a key, a fingerprint, a group key and a name")
        object.__setattr__(self, "at", require_utc(self.at, "alert time"))
        object.__setattr__(self, "starts_at", require_utc(self.starts_at, "alert start"))
        if (self.ends_at is None) != (self.status is not AlertStatus.RESOLVED):
            raise ValueError("ends_at is set exactly when the alert is resolved")
        if self.ends_at is not None:
            object.__setattr__(self, "ends_at", require_utc(self.ends_at, "alert end"))
        object.__setattr__(self, "labels", _frozen(self.labels))
        object.__setattr__(self, "annotations", _frozen(self.annotations))

    def __hash__(self) -> int:  # the mappings are not hashable; equal alerts share these
        return hash((self.source, self.key, self.status, self.at))

    @property
    def is_firing(self) -> bool:
        return self.status is AlertStatus.FIRING

    def timeline_text(self) -> str:
        """The timeline entry for this delivery: "Alert firing: HighErrorRate - Checkout 5xx
        ratio above 5%" (a `detected` entry when firing)."""
        text = f"Alert {self.status.value}: {self.name}"
        if self.summary and self.summary != self.name:
            text += f" - {self.summary}"
        return text if len(text) <= MAX_TEXT_LENGTH else text[: MAX_TEXT_LENGTH - 1] + ELLIPSIS


# -- change events -----------------------------------------------------------------------------


class ChangeKind(StrEnum):
    DEPLOY = "deploy"
    CONFIG = "config"
    MAINTENANCE_START = "maintenance_start"
    MAINTENANCE_END = "maintenance_end"
    OTHER = "other"


_CHANGE_WORDS = {
    ChangeKind.DEPLOY: "Deploy",
    ChangeKind.CONFIG: "Configuration change",
    ChangeKind.MAINTENANCE_START: "Maintenance started",
    ChangeKind.MAINTENANCE_END: "Maintenance ended",
    ChangeKind.OTHER: "Change",
}


@dataclass(frozen=True)
class ChangeIn:
    """A change to production (deploy, configuration, maintenance) on a service or region.

    `key` is the sender's id for the change, else `change_key` of its content: posting the
    same change again changes nothing. At least one of `service` and `region` is set.
    """

    key: str
    kind: ChangeKind
    at: datetime
    summary: str
    service: str | None = None
    region: str | None = None
    source: str | None = None  # the system that reported it, e.g. "github-actions"
    url: str | None = None
    author: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "change time"))
        if not self.key or not self.summary.strip():
            raise ValueError("a change needs a key and a summary")
        if self.service is None and self.region is None:
            raise ValueError("a change names its service, its region or both")

    def timeline_text(self) -> str:
        """ "Maintenance started on db, eu-west-1: Scheduled maintenance begins (by Sam)"."""
        text = _CHANGE_WORDS[self.kind]
        where = ", ".join(part for part in (self.service, self.region) if part)
        text += f" on {where}: {self.summary}"
        if self.author:
            text += f" (by {self.author})"
        return text if len(text) <= MAX_TEXT_LENGTH else text[: MAX_TEXT_LENGTH - 1] + ELLIPSIS


def change_key(
    *,
    kind: ChangeKind,
    at: Instant,
    summary: str,
    service: str | None,
    region: str | None,
    source: str | None,
    url: str | None,
    author: str | None,
) -> str:
    """A stable key for a change sent without an id: a digest of everything it says.

    Two posts with the same content (the same time to the nanosecond, the same words) are
    one change; any difference makes another.
    """
    content = [kind.value, at.text, summary, service, region, source, url, author]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=True).encode("ascii"))
    return "sha256:" + digest.hexdigest()[:40]


DEFAULT_LOOK_BACK = timedelta(hours=2)


def is_possible_trigger(
    change: ChangeIn,
    *,
    detected_at: datetime,
    scope: Scope,
    look_back: timedelta = DEFAULT_LOOK_BACK,
) -> bool:
    """Whether `change` may have set off an incident detected at `detected_at`.

    True when the change happened in [detected_at - look_back, detected_at] and touched a
    service or a region the incident's scope names. A scope of everything (no services and
    no regions named: the reference incident) takes any change; a scope that names only
    services does not compare regions, and the other way round, since "all regions" there
    means "not known to be regional", which is no evidence. Names compare exactly.
    """
    detected = require_utc(detected_at, "detection time")
    if look_back < timedelta(0):
        raise ValueError("the look-back cannot be negative")
    if not detected - look_back <= change.at <= detected:
        return False
    if scope.is_everything:
        return True
    same_service = (
        scope.services is not None
        and change.service is not None
        and change.service in scope.services
    )
    same_region = (
        scope.regions is not None and change.region is not None and change.region in scope.regions
    )
    return same_service or same_region
