"""Opening the database: engine, read and write transactions, locks, retries, migrations.

Every read-decide-write of warroom runs through `Database.write`: one transaction that
takes the locks it names before reading, and is retried a bounded number of times when
the database reports a transient conflict, so concurrent people serialize instead of
losing work or being told to try again.

- SQLite: a write transaction begins with BEGIN IMMEDIATE, which takes the database's
  write lock at once (writers queue on `busy_timeout`); the journal is WAL so readers
  never wait for writers.
- PostgreSQL: READ COMMITTED, plus transaction-scoped advisory locks named by what is
  changed ("incident:INC-...", "sla-month:2025-11"); every statement after the lock
  reads what the previous holder committed.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError, InvalidatePoolError, OperationalError

from warroom.domain.errors import Conflict, WarroomError

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration. Every command checks the database against it, and importing
# Alembic to ask would cost ~0.6 s per command; a test checks it equals Alembic's head.
SCHEMA_REVISION = "0008"

T = TypeVar("T")

# How long a SQLite writer waits for the write lock before the attempt counts as failed.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Attempts of one write transaction before a transient conflict reaches the user, and the
# most time they may take together (a writer that holds SQLite for long is not waited on
# attempt after attempt).
WRITE_ATTEMPTS = 8
WRITE_DEADLINE_S = 30.0
# A pooled PostgreSQL connection idle for longer than this is checked (one round trip)
# before it is used: the server may have restarted, or dropped it, meanwhile. Under load
# connections come back within milliseconds, and checking every time would cost a round
# trip per transaction; a connection that fails in use all the same is replaced, and the
# write run again (`is_transient`).
PING_AFTER_IDLE_S = 1.0


class DatabaseNotReady(WarroomError):
    code = "database_not_ready"


class DatabaseUnavailable(WarroomError):
    """The database cannot be reached or stays busy: nothing was changed; try later."""

    code = "database_unavailable"


class StaleWrite(Conflict):
    """A row changed between reading and writing it; the transaction is run again."""


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # warroom issues BEGIN itself (see _sqlite_begin): pysqlite's own transaction
    # handling would begin late and never IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _ping_when_idle(engine: Engine) -> None:
    """Check pooled connections that were idle for over PING_AFTER_IDLE_S before use (what
    SQLAlchemy's pool_pre_ping does on every checkout)."""
    dialect = engine.dialect

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("warroom_idle_since")  # None: a fresh connection
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # replaced by a new connection (and the pool's older ones with it)
            raise InvalidatePoolError(f"idle connection lost: {error}") from error

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["warroom_idle_since"] = time.monotonic()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)


def _sqlite_begin(conn: Connection) -> None:
    writing = conn.get_execution_options().get("warroom_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def lock_id(name: str) -> int:
    """A stable signed 64-bit number for a lock name (PostgreSQL advisory locks)."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


_LOCK = text("SELECT pg_advisory_xact_lock(:id)")
# volatile functions of a select list are evaluated after its ORDER BY: in the ids' order
_LOCKS = text(
    "SELECT pg_advisory_xact_lock(id) FROM unnest(CAST(:ids AS bigint[])) AS t(id) ORDER BY id"
)


def lock(conn: Connection, *names: str) -> None:
    """Hold the named locks until the transaction ends. Take them before reading what
    they protect; they are taken in one order (their ids'), so two holders cannot deadlock
    on them, in one statement. On SQLite the write transaction already holds the whole
    database."""
    if conn.dialect.name != "postgresql":
        return
    ids = sorted({lock_id(name) for name in names})
    if len(ids) == 1:
        conn.execute(_LOCK, {"id": ids[0]})
    elif ids:
        conn.execute(_LOCKS, {"ids": ids})


def is_transient(error: BaseException) -> bool:
    """A failure that running the same transaction again can cure."""
    if isinstance(error, StaleWrite):
        return True
    if isinstance(error, IntegrityError):
        # a row inserted by a concurrent writer between our check and our insert
        return _unique_violation(error)
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        state = getattr(error.orig, "sqlstate", None)
        if state in ("40001", "40P01", "55P03"):  # serialization, deadlock, lock wait
            return True
        message = str(error.orig).lower()
        return isinstance(error, OperationalError) and (
            "database is locked" in message
            or "database is busy" in message
            or "database table is locked" in message
        )
    return False


def _unique_violation(error: IntegrityError) -> bool:
    state = getattr(error.orig, "sqlstate", None)
    return state == "23505" or "unique constraint failed" in str(error.orig).lower()


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached (as opposed to refusing a statement)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error, OperationalError):
        state = getattr(error.orig, "sqlstate", None)
        return (
            state is None
            or state.startswith("08")
            or state in ("57P01", "57P02", "57P03", "53300", "3D000")
        )
    return False


class Database:
    """One database, SQLite or PostgreSQL. Services open one transaction per use case."""

    def __init__(
        self, url: str, *, engine: Engine | None = None, pool_size: int | None = None
    ) -> None:
        self.url = url
        if engine is None:
            options: dict[str, Any] = {}
            if pool_size is not None and not url.startswith("sqlite"):
                options.update(pool_size=pool_size, max_overflow=pool_size)
            engine = create_engine(url, **options)
            if engine.dialect.name != "sqlite":  # a file does not go away between uses
                _ping_when_idle(engine)
        self.engine = engine
        # requests waiting for a pooled connection, for the server's pool metrics
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: everything inside commits together, or nothing does.
        Prefer `write`, which also runs the work again after a transient conflict."""
        with self._connect() as conn:
            conn.execution_options(warroom_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def reading(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read transaction. With `snapshot`, every statement in it sees the same
        committed state (PostgreSQL: REPEATABLE READ; SQLite's read transactions always
        do): for reads that check something, then stream what it allows."""
        with self._connect() as conn:
            if snapshot and self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn

    def _connect(self) -> Connection:
        with self._waiting_lock:
            self._waiting += 1
        try:
            return self.engine.connect()
        finally:
            with self._waiting_lock:
                self._waiting -= 1

    def pool_status(self) -> dict[str, int]:
        """Connections checked out, open and idle, and callers waiting for one."""
        pool = self.engine.pool
        in_use = int(getattr(pool, "checkedout", lambda: 0)())
        idle = int(getattr(pool, "checkedin", lambda: 0)())
        # a caller counts as waiting only while the pool has none to give
        waiting = max(0, self._waiting - idle)
        return {"in_use": in_use, "idle": idle, "waiting": waiting}

    def write(self, work: Callable[[Connection], T], *, attempts: int = WRITE_ATTEMPTS) -> T:
        """Run `work` in one write transaction; run it again (a bounded number of times,
        after a short random pause) when the database reports a transient conflict."""
        deadline = time.monotonic() + WRITE_DEADLINE_S
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as conn:
                    return work(conn)
            except Exception as error:
                last = attempt == attempts or time.monotonic() > deadline
                if not is_transient(error) or last:
                    if is_transient(error):
                        raise DatabaseUnavailable(
                            f"the database stayed busy through {attempts} attempts; "
                            "nothing was changed, try again"
                        ) from error
                    raise
            time.sleep(random.uniform(0, 0.02 * 2 ** min(attempt, 5)))
        raise AssertionError("unreachable")

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
        with self.transaction() as conn:
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
