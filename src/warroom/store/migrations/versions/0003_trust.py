"""Trust: people matched case-insensitively, password hashes, and the door of each audit entry.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _key(name: str) -> str:
    # store.users.name_key, written out: a migration must not change with later code
    return " ".join(name.split()).casefold()


def upgrade() -> None:
    op.add_column("users", sa.Column("name_key", sa.String(200), nullable=True))
    op.add_column("users", sa.Column("password_hash", sa.String(200), nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("name", sa.String), sa.column("name_key", sa.String))
    seen: dict[str, str] = {}
    for (name,) in bind.execute(sa.select(users.c.name)).all():
        key = _key(name)
        if key in seen:
            raise RuntimeError(
                f"people {seen[key]!r} and {name!r} differ only in case or "
                "spacing; rename one before upgrading (names now match "
                "case-insensitively)"
            )
        seen[key] = name
        bind.execute(users.update().where(users.c.name == name).values(name_key=key))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("name_key", existing_type=sa.String(200), nullable=False)
        batch.create_unique_constraint("uq_users_name_key", ["name_key"])
    # plain ADD COLUMN: copying the table would drop its append-only triggers
    op.add_column(
        "audit_log", sa.Column("channel", sa.String(16), nullable=False, server_default="cli")
    )
    op.add_column("audit_log", sa.Column("os_login", sa.String(200), nullable=True))
    op.add_column("audit_log", sa.Column("token_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_name_key", type_="unique")
        batch.drop_column("name_key")
        batch.drop_column("password_hash")
