"""Intake adapters, one module per source, and the registry the API finds them in.

Each alert source's module has `parse_alerts(body, *, received_at, new_key) -> list[AlertIn]`
(body: whatever `json.loads` returned) and `REQUEST_MODEL`, the Pydantic model of its
body for OpenAPI. Modules are imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import import_module
from typing import Protocol, cast

from pydantic import BaseModel

from warroom.domain.alerts import AlertIn, AlertSource


class AlertAdapter(Protocol):
    def __call__(
        self, body: object, *, received_at: datetime, new_key: Callable[[], str]
    ) -> list[AlertIn]: ...


ALERT_SOURCES: dict[AlertSource, str] = {
    AlertSource.ALERTMANAGER: "warroom.ingest.alertmanager",
    AlertSource.PAGERDUTY: "warroom.ingest.pagerduty",
}


def alert_adapter(source: AlertSource | str) -> AlertAdapter:
    """The `parse_alerts` of a source; ValueError for a source warroom does not know."""
    module = import_module(ALERT_SOURCES[AlertSource(source)])
    return cast(AlertAdapter, module.parse_alerts)


def request_model(source: AlertSource | str) -> type[BaseModel]:
    """The Pydantic model of a source's body (its OpenAPI request schema)."""
    module = import_module(ALERT_SOURCES[AlertSource(source)])
    return cast(type[BaseModel], module.REQUEST_MODEL)


def parse_alerts(
    source: AlertSource | str, body: object, *, received_at: datetime, new_key: Callable[[], str]
) -> list[AlertIn]:
    """The alerts of `body` from `source`, or InvalidInput naming each problem's JSON path.

    `received_at` (aware UTC) stands in for times a source may leave out (PagerDuty's
    `payload.timestamp`); `new_key` makes a key for an alert sent without one (a PagerDuty
    trigger without `dedup_key`) and is called at most once per alert.
    """
    return alert_adapter(source)(body, received_at=received_at, new_key=new_key)
