"""Credit lines as rows: SLA assessments as a header, tier totals and one typed row per
customer (format 2 of `store.assessments`), instead of one JSON document; the index the
incident metrics read.

Assessments stored as documents are moved into the new tables as they were recorded,
marked `format_version` 1: their fingerprint is the one the documents' approvals were
given to, which format 2 defines differently. `warroom init` then computes them again
in format 2 (`services.sla.upgrade_stored`), keeping their approvals only where their
inputs are still the ones approved.

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

from warroom.store.types import ExactDecimal, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LEGACY_FORMAT = 1


def upgrade() -> None:
    conn = op.get_bind()
    old = _documents_table(sa.MetaData())
    documents = [
        dict(row) for row in conn.execute(sa.select(old).order_by(old.c.incident_id)).mappings()
    ]
    op.drop_index("ix_sla_assessments_month", table_name="sla_assessments")
    op.drop_table("sla_assessments")
    op.create_table("sla_assessments", *_header_columns())
    op.create_index("ix_sla_assessments_month", "sla_assessments", ["month"])
    op.create_table("sla_tier_totals", *_tier_columns())
    op.create_table("sla_credit_lines", *_line_columns())
    op.create_index(
        "ix_sla_credit_lines_order", "sla_credit_lines", ["incident_id", "in_scope", "position"]
    )
    op.drop_index("ix_timeline_entries_incident_id", table_name="timeline_entries")
    op.create_index(
        "ix_timeline_entries_milestones", "timeline_entries", ["incident_id", "kind", "at"]
    )
    tables = sa.MetaData()
    new = (
        sa.Table("sla_assessments", tables, *_header_columns()),
        sa.Table("sla_tier_totals", tables, *_tier_columns()),
        sa.Table("sla_credit_lines", tables, *_line_columns()),
    )
    for document in documents:
        _move(conn, document, *new)


def _incident_key() -> sa.Column[Any]:
    return sa.Column(
        "incident_id",
        sa.String(32),
        sa.ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    )


def _documents_table(metadata: sa.MetaData) -> sa.Table:
    """`sla_assessments` as revision 0002 made it: one JSON document per assessment."""
    return sa.Table("sla_assessments", metadata, *_document_columns())


def _document_columns() -> list[sa.Column[Any]]:
    return [
        _incident_key(),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("policy", sa.JSON, nullable=False),
        sa.Column("policy_source", sa.Text, nullable=False),
        sa.Column("customers", sa.JSON, nullable=False),
        sa.Column("customers_source", sa.Text, nullable=False),
        sa.Column("inputs_digest", sa.String(64), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("approvals", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ]


def _header_columns() -> list[sa.Column[Any]]:
    return [
        _incident_key(),
        sa.Column("format_version", sa.Integer, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("approvals", sa.JSON, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("policy", sa.JSON, nullable=False),
        sa.Column("policy_source", sa.Text, nullable=False),
        sa.Column("customers_source", sa.Text, nullable=False),
        sa.Column("policy_digest", sa.String(64), nullable=True),
        sa.Column("registry_digest", sa.String(64), nullable=True),
        sa.Column("impact_digest", sa.String(64), nullable=True),
        sa.Column("credited_by", sa.JSON, nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("liability_low", ExactDecimal, nullable=False),
        sa.Column("liability_high", ExactDecimal, nullable=False),
        sa.Column("customers_total", sa.Integer, nullable=False),
        sa.Column("customers_in_scope", sa.Integer, nullable=False),
        sa.Column("customers_no_sla", sa.Integer, nullable=False),
        sa.Column("logs_analysed", sa.Boolean, nullable=False),
        sa.Column("incidents_in_month", sa.Integer, nullable=False),
        sa.Column("incidents_without_logs", sa.Integer, nullable=False),
        sa.Column("measured_outside_window", sa.Integer, nullable=False),
        sa.Column("claim_deadline", sa.Date, nullable=True),
        sa.Column("exclusions", sa.JSON, nullable=False),
        sa.Column("unregistered_customers", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ]


def _tier_columns() -> list[sa.Column[Any]]:
    return [
        _incident_key(),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("tier", sa.String(200), nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("low", ExactDecimal, nullable=False),
        sa.Column("high", ExactDecimal, nullable=False),
        sa.Column("percents", sa.JSON, nullable=False),
    ]


def _line_columns() -> list[sa.Column[Any]]:
    return [
        _incident_key(),
        sa.Column("customer_id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("tier", sa.String(200), nullable=False),
        sa.Column("monthly_fee", ExactDecimal, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("regions", sa.Text, nullable=False),
        sa.Column("in_scope", sa.Boolean, nullable=False),
        sa.Column("has_sla", sa.Boolean, nullable=False),
        sa.Column("incident_minutes_measured", sa.Integer, nullable=True),
        sa.Column("incident_minutes_declared", sa.Integer, nullable=True),
        sa.Column("down_minutes_measured", sa.Integer, nullable=True),
        sa.Column("down_minutes_declared", sa.Integer, nullable=True),
        sa.Column("uptime_measured", ExactDecimal, nullable=True),
        sa.Column("uptime_declared", ExactDecimal, nullable=True),
        sa.Column("credit_percent_low", ExactDecimal, nullable=True),
        sa.Column("credit_percent_high", ExactDecimal, nullable=True),
        sa.Column("credit_low", ExactDecimal, nullable=True),
        sa.Column("credit_high", ExactDecimal, nullable=True),
        sa.Column("already_credited", ExactDecimal, nullable=True),
        sa.Column("credit", ExactDecimal, nullable=True),
        sa.Column("owed", sa.Boolean, nullable=False),
    ]


# -- moving the documents ---------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _move(
    conn: sa.Connection,
    document: dict[str, Any],
    headers: sa.Table,
    tiers: sa.Table,
    rows: sa.Table,
) -> None:
    """One stored document as format-1 rows: the figures as they were recorded, the
    registry beside them, the approvals tied to the document's fingerprint."""
    incident_id = document["incident_id"]
    result = document["result"] or {}
    registry = document["customers"] or []
    fingerprint = document["inputs_digest"]
    approvals = [
        {"role": a["role"], "by": a["by"], "fingerprint": fingerprint}
        for a in document["approvals"] or []
    ]
    lines = {line["customer_id"]: line for line in result.get("customers", [])}
    liability = result.get("liability") or {}
    deadline = result.get("claim_deadline")
    conn.execute(
        sa.insert(headers).values(
            incident_id=incident_id,
            format_version=LEGACY_FORMAT,
            month=document["month"],
            state=document["state"],
            approvals=approvals,
            fingerprint=fingerprint,
            policy=document["policy"],
            policy_source=document["policy_source"],
            customers_source=document["customers_source"],
            credited_by=[],
            currency=result.get("currency"),
            liability_low=_money(liability.get("low")),
            liability_high=_money(liability.get("high")),
            customers_total=len(registry),
            customers_in_scope=len(lines),
            customers_no_sla=len(result.get("no_sla", [])),
            logs_analysed=bool(result.get("logs_analysed", False)),
            incidents_in_month=int(result.get("incidents_in_month", 1)),
            incidents_without_logs=0,
            measured_outside_window=0,
            claim_deadline=date.fromisoformat(deadline) if deadline else None,
            exclusions=[
                {**finding, "description": None} for finding in result.get("exclusions", [])
            ],
            unregistered_customers=[],
            created_at=document["created_at"],
            updated_at=document["updated_at"],
        )
    )
    for position, total in enumerate(result.get("by_tier", [])):
        conn.execute(
            sa.insert(tiers).values(
                incident_id=incident_id,
                position=position,
                tier=total["tier"],
                customers=int(total["customers"]),
                low=_money(total["low"]),
                high=_money(total["high"]),
                percents=[],
            )
        )
    for position, customer in enumerate(registry):
        line = lines.get(customer["customer_id"])
        values: dict[str, Any] = dict(
            incident_id=incident_id,
            customer_id=customer["customer_id"],
            position=position,
            name=customer["name"],
            tier=customer["tier"],
            monthly_fee=_money(customer["monthly_fee"]),
            currency=customer["currency"],
            regions=";".join(customer.get("regions") or []),
            in_scope=line is not None,
            has_sla=bool(line and line.get("has_sla")),
            owed=False,
        )
        if line is not None:
            credit = _money(line.get("credit_low"))
            values.update(
                incident_minutes_measured=line["incident_minutes_measured"],
                incident_minutes_declared=line["incident_minutes_declared"],
                down_minutes_measured=line["down_minutes_measured"],
                down_minutes_declared=line["down_minutes_declared"],
                uptime_measured=_money(line["uptime_measured"]),
                uptime_declared=_money(line["uptime_declared"]),
                credit_percent_low=_money(line["credit_percent_low"]),
                credit_percent_high=_money(line["credit_percent_high"]),
                credit_low=credit,
                credit_high=_money(line.get("credit_high")),
                already_credited=Decimal(0),
                credit=credit,
                owed=bool(line.get("has_sla")) and credit > 0,
            )
        conn.execute(sa.insert(rows).values(**values))


def downgrade() -> None:
    """Back to documents: each assessment's registry, figures and review as JSON. Their
    fingerprints are format 2's, so the older warroom shows them as pending review."""
    conn = op.get_bind()
    tables = sa.MetaData()
    headers = sa.Table("sla_assessments", tables, *_header_columns())
    tiers = sa.Table("sla_tier_totals", tables, *_tier_columns())
    rows = sa.Table("sla_credit_lines", tables, *_line_columns())
    documents = []
    for header in conn.execute(sa.select(headers)).mappings():
        incident_id = header["incident_id"]
        registry, lines = [], []
        for row in conn.execute(
            sa.select(rows).where(rows.c.incident_id == incident_id).order_by(rows.c.position)
        ).mappings():
            registry.append(
                {
                    "customer_id": row["customer_id"],
                    "name": row["name"],
                    "tier": row["tier"],
                    "monthly_fee": str(row["monthly_fee"]),
                    "currency": row["currency"],
                    "regions": [r for r in row["regions"].split(";") if r],
                }
            )
            if row["in_scope"]:
                lines.append(
                    {
                        key: str(row[key]) if isinstance(row[key], Decimal) else row[key]
                        for key in (
                            "customer_id",
                            "name",
                            "tier",
                            "has_sla",
                            "monthly_fee",
                            "currency",
                            "incident_minutes_measured",
                            "incident_minutes_declared",
                            "down_minutes_measured",
                            "down_minutes_declared",
                            "uptime_measured",
                            "uptime_declared",
                            "credit_percent_low",
                            "credit_low",
                            "credit_percent_high",
                            "credit_high",
                        )
                    }
                )
        by_tier = [
            {
                "tier": t["tier"],
                "customers": t["customers"],
                "low": str(t["low"]),
                "high": str(t["high"]),
            }
            for t in conn.execute(
                sa.select(tiers)
                .where(tiers.c.incident_id == incident_id)
                .order_by(tiers.c.position)
            ).mappings()
        ]
        deadline = header["claim_deadline"]
        documents.append(
            {
                "incident_id": incident_id,
                "month": header["month"],
                "policy": header["policy"],
                "policy_source": header["policy_source"],
                "customers": registry,
                "customers_source": header["customers_source"],
                "inputs_digest": header["fingerprint"],
                "state": header["state"],
                "approvals": [{"role": a["role"], "by": a["by"]} for a in header["approvals"]],
                "result": {
                    "incident_id": incident_id,
                    "month": header["month"],
                    "currency": header["currency"],
                    "status": header["state"],
                    "logs_analysed": header["logs_analysed"],
                    "claim_deadline": deadline.isoformat() if deadline else None,
                    "liability": {
                        "low": str(header["liability_low"]),
                        "high": str(header["liability_high"]),
                    },
                    "by_tier": by_tier,
                    "customers": lines,
                    "no_sla": [line["customer_id"] for line in lines if not line["has_sla"]],
                    "out_of_scope": header["customers_total"] - header["customers_in_scope"],
                    "incidents_in_month": header["incidents_in_month"],
                    "exclusions": header["exclusions"],
                    "fingerprint": header["fingerprint"],
                },
                "created_at": header["created_at"],
                "updated_at": header["updated_at"],
            }
        )
    op.drop_index("ix_timeline_entries_milestones", table_name="timeline_entries")
    op.create_index("ix_timeline_entries_incident_id", "timeline_entries", ["incident_id"])
    op.drop_index("ix_sla_credit_lines_order", table_name="sla_credit_lines")
    op.drop_table("sla_credit_lines")
    op.drop_table("sla_tier_totals")
    op.drop_index("ix_sla_assessments_month", table_name="sla_assessments")
    op.drop_table("sla_assessments")
    op.create_table("sla_assessments", *_document_columns())
    op.create_index("ix_sla_assessments_month", "sla_assessments", ["month"])
    if documents:
        conn.execute(sa.insert(_documents_table(sa.MetaData())), documents)
