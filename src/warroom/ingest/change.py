"""Change event bodies (deploys, configuration changes, maintenance) into `ChangeIn` values.

warroom's own format, so unknown fields are refused: a misspelt `regoin` would otherwise
drop the change's region without a word. `id` is the sender's idempotency key; without
one, the key is a digest of the content (`change_key`), so a retry of the same body
changes nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from warroom.domain.alerts import (
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_SUMMARY_LENGTH,
    ChangeIn,
    ChangeKind,
    change_key,
    parse_instant,
)
from warroom.ingest.problems import Problems, require_object, validate

# The reference incident's trigger, as a maintenance tool would report it.
EXAMPLE: JsonDict = {
    "id": "maint-2025-11-08-db",
    "kind": "maintenance_start",
    "service": "db",
    "region": "eu-west-1",
    "at": "2025-11-08T13:45:00Z",
    "summary": "Scheduled maintenance begins on DB cluster",
    "url": "https://change.example.com/CHG-1108",
    "author": "Sam Lee",
    "source": "change-calendar",
}


class ChangeEvent(BaseModel):
    """A change to production, shown on the timeline of an incident it may have set off."""

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [EXAMPLE]}
    )

    id: str | None = Field(
        default=None,
        description=f"Your id for the change (a deploy id), at most "
        f"{MAX_KEY_LENGTH} characters: posting it again changes "
        "nothing. Default: a digest of the content.",
        examples=["deploy-4711"],
    )
    kind: Literal["deploy", "config", "maintenance_start", "maintenance_end", "other"]
    service: str | None = Field(
        default=None, description="The service changed.", examples=["checkout"]
    )
    region: str | None = Field(
        default=None, description="The region changed.", examples=["eu-west-1"]
    )
    at: str = Field(
        description="When it happened: RFC 3339 with a UTC offset.",
        examples=["2025-11-08T13:45:00Z"],
    )
    summary: str = Field(
        description=f"What changed; cut at {MAX_SUMMARY_LENGTH} characters.",
        examples=["checkout v2.14.0 rolled out"],
    )
    url: str | None = Field(default=None, description="Link to the deploy or change record.")
    author: str | None = Field(default=None, description="Who made the change.")
    source: str | None = Field(
        default=None, description="The system that reports it.", examples=["github-actions"]
    )


REQUEST_MODEL = ChangeEvent


def parse_change(body: object) -> ChangeIn:
    """One change event (whatever `json.loads` returned), or InvalidInput naming every
    problem by its JSON path. Names a service, a region or both; `at` is required, so
    that the same body always has the same key."""
    data = require_object(body, "a change event")
    event = validate(ChangeEvent, data)
    problems = Problems()
    names: dict[str, str | None] = {}
    for field, value in (
        ("service", event.service),
        ("region", event.region),
        ("author", event.author),
        ("source", event.source),
    ):
        text = (
            problems.text(
                value,
                field,
                limit=MAX_NAME_LENGTH,
                one_line=True,
                cut=field in ("author", "source"),
            )
            if value
            else None
        )
        names[field] = text or None  # "" (an unset CI variable) is no name
    if names["service"] is None and names["region"] is None:
        problems.add("service", "required", "name the service or the region changed (or both)")
    summary = problems.text(event.summary.strip(), "summary", limit=MAX_SUMMARY_LENGTH, cut=True)
    if not summary:
        problems.add("summary", "empty", "must not be empty")
    key = problems.key(event.id, "id", limit=MAX_KEY_LENGTH) if event.id is not None else None
    url = problems.url(event.url, "url")
    try:
        at = parse_instant(event.at)
    except ValueError as exc:
        problems.add("at", "bad_time", str(exc))
    problems.raise_if_any()
    kind = ChangeKind(event.kind)
    if key is None:
        key = change_key(
            kind=kind,
            at=at,
            summary=summary,
            service=names["service"],
            region=names["region"],
            source=names["source"],
            url=url,
            author=names["author"],
        )
    return ChangeIn(
        key=key,
        kind=kind,
        at=at.at,
        summary=summary,
        service=names["service"],
        region=names["region"],
        source=names["source"],
        url=url,
        author=names["author"],
    )
