"""Users and roles, impact analyses, SLA assessments, report revisions.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from warroom.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "impact_analyses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.String(32),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("computed_at", UTCDateTime, nullable=False),
        sa.Column("computed_by", sa.String(200), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("engine", sa.String(32), nullable=False),
        sa.Column("definition_hash", sa.String(64), nullable=False),
        sa.Column("customers_total", sa.Integer, nullable=True),
        sa.Column("result", sa.JSON, nullable=False),
    )
    op.create_index("ix_impact_analyses_incident_id", "impact_analyses", ["incident_id"])
    op.create_table(
        "sla_assessments",
        sa.Column(
            "incident_id",
            sa.String(32),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
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
    )
    op.create_index("ix_sla_assessments_month", "sla_assessments", ["month"])
    op.create_table(
        "report_revisions",
        sa.Column(
            "incident_id",
            sa.String(32),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("markdown", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_revisions")
    op.drop_table("sla_assessments")
    op.drop_table("impact_analyses")
    op.drop_table("users")
