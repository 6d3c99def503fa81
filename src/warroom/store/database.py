"""Opening the database: engine, transactions, and migrations to the current schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

from warroom.domain.errors import WarroomError

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration. Every command checks the database against it, and importing
# Alembic to ask would cost ~0.6 s per command; a test checks it equals Alembic's head.
SCHEMA_REVISION = "0002"


class DatabaseNotReady(WarroomError):
    code = "database_not_ready"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Database:
    """One database, SQLite or PostgreSQL. Services open one transaction per use case."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Everything inside commits together, or nothing does."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # -- schema ----------------------------------------------------------------------
    def _alembic(self, conn: Connection) -> Any:
        from alembic.config import Config  # slow import: only `warroom init` migrates

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        return config

    def head_revision(self) -> str | None:
        """The newest migration, as Alembic reads it from the migration scripts."""
        from alembic.script import ScriptDirectory

        with self.reading() as conn:
            head: str | None = ScriptDirectory.from_config(self._alembic(conn)).get_current_head()
            return head

    def current_revision(self) -> str | None:
        """The schema revision the database is at (None: no warroom tables yet)."""
        with self.reading() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return str(found) if found is not None else None

    def migrate(self) -> tuple[str | None, str | None]:
        """Create or upgrade the schema; returns (revision before, revision after)."""
        from alembic import command

        before = self.current_revision()
        with self.engine.begin() as conn:
            command.upgrade(self._alembic(conn), "head")
        return before, self.current_revision()

    def check_ready(self) -> None:
        current, head = self.current_revision(), SCHEMA_REVISION
        if current is None:
            raise DatabaseNotReady(
                f"the database at {self.safe_url} has no warroom tables yet: run `warroom init`"
            )
        if current != head:
            raise DatabaseNotReady(
                f"the database at {self.safe_url} is at schema {current}, this warroom needs "
                f"{head}: run `warroom init` to upgrade it"
            )

    @property
    def safe_url(self) -> str:
        """The URL without its password, fit for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()
