"""JSON shape of an impact analysis (`warroom impact --json`, the API)."""

from __future__ import annotations

from warroom.domain.impact import CustomerImpact
from warroom.schemas.base import Schema, UtcTime
from warroom.schemas.incidents import WindowPublic
from warroom.store.impact import StoredImpact


class CustomerImpactPublic(Schema):
    customer_id: str
    requests: int
    failed: int
    down_minutes: int


class ProvenancePublic(Schema):
    source: str
    columns: dict[str, str]
    rows_scanned: int
    engine: str
    engine_version: str
    definition_hash: str
    computed_at: UtcTime
    computed_by: str


class ImpactPublic(Schema):
    incident_id: str
    window: WindowPublic
    error_rate_threshold: str
    min_failed_requests: int
    customers_affected: int
    customers_total: int | None
    users_affected: int
    transactions_affected: int | None
    requests_total: int
    requests_failed: int
    unattributed_requests: int  # in the window and scope, without a customer id
    most_down: CustomerImpactPublic | None  # the customer with the most down minutes
    per_customer: list[CustomerImpactPublic]
    provenance: ProvenancePublic

    @classmethod
    def of(cls, stored: StoredImpact) -> ImpactPublic:
        result = stored.result
        window = WindowPublic.of(result.window)
        assert window is not None
        p = result.provenance
        return cls(
            incident_id=stored.incident_id,
            window=window,
            error_rate_threshold=format(result.threshold, "f"),
            min_failed_requests=result.min_failed,
            customers_affected=result.customers_affected,
            customers_total=stored.customers_total,
            users_affected=result.users_affected,
            transactions_affected=result.transactions_affected,
            requests_total=result.requests_total,
            requests_failed=result.requests_failed,
            unattributed_requests=result.unattributed_requests,
            most_down=_customer(worst) if (worst := result.most_down()) else None,
            per_customer=[_customer(c) for c in result.per_customer],
            provenance=ProvenancePublic(
                source=p.source,
                columns=dict(p.columns),
                rows_scanned=p.rows_scanned,
                engine=p.engine,
                engine_version=p.engine_version,
                definition_hash=p.definition_hash,
                computed_at=p.computed_at,
                computed_by=stored.computed_by,
            ),
        )


def _customer(impact: CustomerImpact) -> CustomerImpactPublic:
    return CustomerImpactPublic(
        customer_id=impact.customer_id,
        requests=impact.requests,
        failed=impact.failed,
        down_minutes=impact.down_minute_count,
    )
