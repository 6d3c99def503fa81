"""Telling people: customer contacts, the outbox, status-page subscribers, maintenance.

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from warroom.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_contacts",
        sa.Column("customer_id", sa.String(200), primary_key=True),
        sa.Column("emails", sa.JSON, nullable=False),
        sa.Column("webhook_url", sa.Text, nullable=True),
        sa.Column("webhook_secret", sa.String(100), nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("incident_id", sa.String(32), nullable=True),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("subscriber_id", sa.String(32), nullable=True),
        sa.Column("revision", sa.String(64), nullable=True),
        sa.Column("subject", sa.Text, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=True),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_incident_id", "outbox", ["incident_id"])
    op.create_index("ix_outbox_subscriber_id", "outbox", ["subscriber_id"])
    op.create_index("ix_outbox_state_next", "outbox", ["state", "next_attempt_at"])
    op.create_table(
        "subscribers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("address_key", sa.String(300), nullable=False),
        sa.Column("services", sa.JSON, nullable=True),
        sa.Column("regions", sa.JSON, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("webhook_secret", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("confirmed_at", UTCDateTime, nullable=True),
        sa.Column("unsubscribed_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_subscribers_address_key", "subscribers", ["address_key"])
    op.create_index("ix_subscribers_state", "subscribers", ["state"])
    op.create_table(
        "subscription_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "subscriber_id",
            sa.String(32),
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=True),
    )
    op.create_index(
        "ix_subscription_tokens_subscriber_id", "subscription_tokens", ["subscriber_id"]
    )
    op.create_table(
        "subscribe_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("address_key", sa.String(300), nullable=False),
    )
    op.create_index("ix_subscribe_attempts_at", "subscribe_attempts", ["at"])
    op.create_index("ix_subscribe_attempts_client", "subscribe_attempts", ["client"])
    op.create_index("ix_subscribe_attempts_address_key", "subscribe_attempts", ["address_key"])
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("services", sa.JSON, nullable=True),
        sa.Column("regions", sa.JSON, nullable=True),
        sa.Column("announced_at", UTCDateTime, nullable=True),
        sa.Column("announced_by", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("cancelled_at", UTCDateTime, nullable=True),
        sa.Column("cancelled_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_maintenance_windows_starts_at", "maintenance_windows", ["starts_at"])


def downgrade() -> None:
    op.drop_table("maintenance_windows")
    op.drop_table("subscribe_attempts")
    op.drop_table("subscription_tokens")
    op.drop_table("subscribers")
    op.drop_table("outbox")
    op.drop_table("customer_contacts")
