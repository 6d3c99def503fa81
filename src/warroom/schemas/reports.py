"""JSON shapes of published report revisions and of the diff between two of them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from warroom.schemas.base import Schema, UtcTime
from warroom.store.reports import Revision


class RevisionPublic(Schema):
    number: int
    audience: str
    customer_id: str | None
    published_at: UtcTime
    published_by: str

    @classmethod
    def of(cls, revision: Revision) -> RevisionPublic:
        return cls(
            number=revision.number,
            audience=revision.audience,
            customer_id=revision.customer_id,
            published_at=revision.published_at,
            published_by=revision.published_by,
        )


class RevisionsPublic(Schema):
    data: list[RevisionPublic]
    count: int


class RevisionDiffPublic(Schema):
    """What changed between two revisions (`services.reports.RevisionDiff.to_data`)."""

    incident_id: str
    from_: RevisionPublic = Field(alias="from")
    to: RevisionPublic
    sections_changed: list[str]
    diff: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> RevisionDiffPublic:
        return cls.model_validate(data)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, by_alias=True)

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
