"""Serialisation rules every JSON shape follows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

from warroom.domain.window import iso_z

UtcTime = Annotated[datetime, PlainSerializer(iso_z, return_type=str)]
Money = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]


class Schema(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class ErrorItem(Schema):
    field: str
    code: str
    message: str
    source: str | None = None
    line: int | None = None


class ErrorEnvelope(Schema):
    """The one error shape of the CLI (--json) and the API."""

    ok: bool = False
    error: str
    code: str
    errors: list[ErrorItem]
