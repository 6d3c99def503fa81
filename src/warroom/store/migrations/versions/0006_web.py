"""Web pages: signed-in browser sessions (stored hashed) and failed sign-ins (rate limits).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from warroom.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("csrf_secret", sa.String(64), nullable=False),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False, index=True),
        sa.Column("name_key", sa.String(200), nullable=False, index=True),
        sa.Column("client", sa.String(64), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_table("sessions")
