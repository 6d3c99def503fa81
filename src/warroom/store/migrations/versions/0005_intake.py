"""Intake: alerts from monitoring systems, changes to production, and their incidents.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from warroom.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # alert audit entries name "source:key" (keys are up to 255 characters); SQLite does not
    # enforce lengths, and copying its audit table would drop the append-only triggers
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "audit_log",
            "entity_id",
            type_=sa.String(300),
            existing_type=sa.String(64),
            existing_nullable=False,
        )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("severity", sa.String(64), nullable=True),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("annotations", sa.JSON, nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=True),
        sa.Column("last_event_at", UTCDateTime, nullable=False),
        sa.Column("generator_url", sa.Text, nullable=True),
        sa.Column("receiver", sa.String(255), nullable=True),
        sa.Column("group_key", sa.String(255), nullable=False),
        sa.Column("routed_severity", sa.String(16), nullable=False),
        sa.Column("service", sa.String(200), nullable=True),
        sa.Column("region", sa.String(200), nullable=True),
        sa.Column(
            "incident_id",
            sa.String(32),
            sa.ForeignKey("incidents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("first_received_at", UTCDateTime, nullable=False),
        sa.Column("last_received_at", UTCDateTime, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.UniqueConstraint("source", "key", name="uq_alerts_source_key"),
    )
    op.create_index("ix_alerts_incident_id", "alerts", ["incident_id"])
    op.create_index("ix_alerts_group_key", "alerts", ["group_key"])
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("service", sa.String(200), nullable=True),
        sa.Column("region", sa.String(200), nullable=True),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("author", sa.String(200), nullable=True),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("received_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_change_events_at", "change_events", ["at"])
    op.create_table(
        "incident_changes",
        sa.Column(
            "incident_id",
            sa.String(32),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "change_id",
            sa.Integer,
            sa.ForeignKey("change_events.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("incident_changes")
    op.drop_table("change_events")
    op.drop_table("alerts")
