"""Customer impact measured from request logs: the result of one analysis and its provenance.

Pure values, no I/O. `warroom.analytics.impact.compute_impact` produces an `ImpactResult`;
services store `to_json()` on the incident and read it back with `ImpactResult.from_json`.
JSON shapes follow docs/json.md: times are ISO-8601 UTC with `Z`, decimals are strings,
down minutes travel as `MinuteSet.to_json()` ranges of epoch minutes.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from warroom.domain.minutes import MinuteSet, epoch_minute, minute_start
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow, iso_z, require_utc

JSON = dict[str, Any]


def parse_iso_z(text: str, what: str = "time") -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {text!r} is not an ISO-8601 time") from None
    return require_utc(at, what)


@dataclass(frozen=True)
class CustomerImpact:
    """One customer's requests inside the window and scope, and its measured down minutes."""

    customer_id: str
    requests: int
    failed: int
    down_minutes: MinuteSet = field(default_factory=MinuteSet)

    def __post_init__(self) -> None:
        if not 0 <= self.failed <= self.requests:
            raise ValueError(
                f"customer {self.customer_id}: {self.failed} failed requests out of {self.requests}"
            )

    @property
    def down_minute_count(self) -> int:
        return len(self.down_minutes)

    @property
    def affected(self) -> bool:
        """At least one of the customer's requests failed."""
        return self.failed > 0

    def to_json(self) -> JSON:
        return {
            "customer_id": self.customer_id,
            "requests": self.requests,
            "failed": self.failed,
            "down_minutes": self.down_minute_count,
            "down_minute_ranges": self.down_minutes.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CustomerImpact:
        return cls(
            customer_id=str(data["customer_id"]),
            requests=int(data["requests"]),
            failed=int(data["failed"]),
            down_minutes=MinuteSet.from_json(data.get("down_minute_ranges", [])),
        )


@dataclass(frozen=True)
class MinuteStat:
    """Requests and failures of the whole incident (all customers in scope) in one minute."""

    minute: int  # epoch minute
    requests: int
    failed: int

    @property
    def at(self) -> datetime:
        return minute_start(self.minute)

    @property
    def error_rate(self) -> Decimal:
        """failed / requests, exact; 0 for a minute without requests."""
        return Decimal(self.failed) / Decimal(self.requests) if self.requests else Decimal(0)

    def to_json(self) -> JSON:
        return {"minute": iso_z(self.at), "requests": self.requests, "failed": self.failed}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MinuteStat:
        return cls(
            minute=epoch_minute(parse_iso_z(str(data["minute"]), "series minute")),
            requests=int(data["requests"]),
            failed=int(data["failed"]),
        )


@dataclass(frozen=True)
class ImpactProvenance:
    """Where a result came from, so a report can cite it and a reader can re-run it.

    `columns` maps each contract column (``ts``, ``customer_id``, ...) to the log column
    it was read from; `rows_scanned` counts the log's rows inside the window (before the
    scope); `definition_hash` fingerprints the analytics definition (it changes when the
    definition does, and only then).
    """

    source: str
    columns: Mapping[str, str]
    rows_scanned: int
    engine: str
    engine_version: str
    definition_hash: str
    computed_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "computed_at", require_utc(self.computed_at, "computed_at"))
        object.__setattr__(self, "columns", dict(self.columns))

    def to_json(self) -> JSON:
        return {
            "source": self.source,
            "columns": dict(self.columns),
            "rows_scanned": self.rows_scanned,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "definition_hash": self.definition_hash,
            "computed_at": iso_z(self.computed_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImpactProvenance:
        return cls(
            source=str(data["source"]),
            columns={str(k): str(v) for k, v in dict(data["columns"]).items()},
            rows_scanned=int(data["rows_scanned"]),
            engine=str(data["engine"]),
            engine_version=str(data.get("engine_version", "")),
            definition_hash=str(data["definition_hash"]),
            computed_at=parse_iso_z(str(data["computed_at"]), "computed_at"),
        )


@dataclass(frozen=True)
class ImpactResult:
    """Customer impact of one incident, measured from a request log.

    Totals are derived from `per_customer` (one truth); `users_affected` and
    `transactions_affected` are distinct counts that per-customer rows cannot give.
    `transactions_affected` is None when the log has no transaction column.
    `series` has one entry per minute of the window, zeros where there were no requests.
    """

    window: TimeWindow
    scope: Scope
    threshold: Decimal
    min_failed: int
    users_affected: int
    transactions_affected: int | None
    per_customer: tuple[CustomerImpact, ...]
    series: tuple[MinuteStat, ...]
    provenance: ImpactProvenance

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.per_customer, key=lambda c: c.customer_id))
        object.__setattr__(self, "per_customer", ordered)
        object.__setattr__(self, "series", tuple(sorted(self.series, key=lambda s: s.minute)))
        ids = [c.customer_id for c in ordered]
        if len(set(ids)) != len(ids):
            raise ValueError("a customer appears twice in per_customer")

    @property
    def requests_total(self) -> int:
        return sum(c.requests for c in self.per_customer)

    @property
    def requests_failed(self) -> int:
        return sum(c.failed for c in self.per_customer)

    @property
    def customers_total(self) -> int:
        """Customers with at least one request inside the window and scope."""
        return len(self.per_customer)

    @property
    def customers_affected(self) -> int:
        return sum(1 for c in self.per_customer if c.affected)

    def customers_affected_of(self, registered: Container[str]) -> int:
        """Affected customers who are in `registered` (a registry's IDs): a share of the
        customer base counts the base's own customers only. The one definition, for the
        reports and the CLI."""
        return sum(1 for c in self.per_customer if c.affected and c.customer_id in registered)

    def unregistered(self, registered: Container[str]) -> list[str]:
        """Customers the log has and the registry lacks (they earn no credit)."""
        return [c.customer_id for c in self.per_customer if c.customer_id not in registered]

    @property
    def unattributed_requests(self) -> int:
        """Requests of the window and scope without a customer id: they count in no figure."""
        return max(0, self.provenance.rows_scanned - self.requests_total)

    def most_down(self) -> CustomerImpact | None:
        """The customer with the most measured down minutes; None when nobody was down."""
        worst = max(
            self.per_customer, key=lambda c: (c.down_minute_count, c.customer_id), default=None
        )
        return worst if worst is not None and worst.down_minute_count else None

    def customer(self, customer_id: str) -> CustomerImpact | None:
        return next((c for c in self.per_customer if c.customer_id == customer_id), None)

    def measured_down_minutes(self) -> dict[str, MinuteSet]:
        """customer_id → measured down minutes, for customers with any (the SLA's input)."""
        return {c.customer_id: c.down_minutes for c in self.per_customer if c.down_minutes}

    def to_json(self) -> JSON:
        return {
            "window": {
                "start": iso_z(self.window.start),
                "end": iso_z(self.window.end),
                "minutes": self.window.minutes,
            },
            "scope": {
                "regions": _names(self.scope.regions),
                "services": _names(self.scope.services),
            },
            "downtime_rule": {
                "error_rate_threshold": format(self.threshold, "f"),
                "min_failed_requests": self.min_failed,
            },
            "customers_affected": self.customers_affected,
            "customers_total": self.customers_total,
            "users_affected": self.users_affected,
            "transactions_affected": self.transactions_affected,
            "requests_total": self.requests_total,
            "requests_failed": self.requests_failed,
            "per_customer": [c.to_json() for c in self.per_customer],
            "series": [s.to_json() for s in self.series],
            "provenance": self.provenance.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImpactResult:
        """Read back `to_json()`; derived totals in `data` are recomputed, not trusted."""
        window = data["window"]
        scope = data.get("scope") or {}
        rule = data["downtime_rule"]
        try:
            threshold = Decimal(str(rule["error_rate_threshold"]))
        except InvalidOperation:
            raise ValueError(
                f"error_rate_threshold {rule['error_rate_threshold']!r} is not a decimal"
            ) from None
        transactions = data.get("transactions_affected")
        return cls(
            window=TimeWindow(
                parse_iso_z(str(window["start"]), "window start"),
                parse_iso_z(str(window["end"]), "window end"),
            ),
            scope=Scope(
                regions=_tuple(scope.get("regions")), services=_tuple(scope.get("services"))
            ),
            threshold=threshold,
            min_failed=int(rule["min_failed_requests"]),
            users_affected=int(data["users_affected"]),
            transactions_affected=None if transactions is None else int(transactions),
            per_customer=tuple(CustomerImpact.from_json(c) for c in data["per_customer"]),
            series=tuple(MinuteStat.from_json(s) for s in data["series"]),
            provenance=ImpactProvenance.from_json(data["provenance"]),
        )


def _names(values: tuple[str, ...] | None) -> list[str] | None:
    return None if values is None else list(values)


def _tuple(values: Any) -> tuple[str, ...] | None:
    if values is None or values == "all":
        return None
    return tuple(str(v) for v in values)
