"""Stored SLA assessments, format 2: a header, its tier totals and one typed row per customer.

The store owns this format (`FORMAT_VERSION`, kept in every header): it is independent
of the API's JSON shapes (`warroom.schemas`), so renaming a field of the API never
touches a stored figure or a payment. Money is exact (`ExactDecimal`). A customer's row
holds its registry entry (so the assessment can be computed again) and, when the
incident's scope reaches it, its credit line.

Reading one customer's line reads that row alone; lists page in the database; exports
and recomputations stream; lines are written in batches (executemany on SQLite, COPY on
PostgreSQL).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import chain
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from warroom.domain.assessment import Approval, Review, ReviewRole, ReviewState
from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.sla import (
    CustomerCredit,
    ExclusionFinding,
    Liability,
    MaintenanceWindow,
    Month,
    SlaAssessment,
    TierTotal,
)
from warroom.store.tables import sla_assessments, sla_credit_lines, sla_tier_totals
from warroom.store.types import decimal_text

FORMAT_VERSION = 2  # header, tier totals and typed lines; fingerprints of domain.sla.Fingerprint
LEGACY_FORMAT = 1  # moved from whole documents by migration 0007, until `warroom init` redoes them
BATCH = 5000  # lines per executemany (SQLite) or COPY (PostgreSQL), or per read
ROWS_PER_INSERT = 50  # rows per INSERT statement on SQLite (a third less time than one by one)


@dataclass(frozen=True)
class StoredApproval:
    """An approval as stored: who, in which role, and the fingerprint of the figures it
    was given to (it covers those figures only)."""

    role: ReviewRole
    by: str
    fingerprint: str


@dataclass(frozen=True)
class Header:
    """Everything of an assessment but its lines."""

    incident_id: str
    format_version: int
    state: ReviewState
    approvals: tuple[StoredApproval, ...]
    fingerprint: str  # of every input of the figures
    policy: dict[str, Any]  # the policy as read (formats.sla_policy.policy_to_dict)
    policy_source: str
    customers_source: str
    policy_digest: str | None  # the fingerprint's parts (None before format 2)
    registry_digest: str | None
    impact_digest: str | None
    credited_by: tuple[tuple[str, str], ...]  # (incident, fingerprint) whose credits count
    totals: SlaAssessment  # every total and count; `rows` empty
    created_at: datetime
    updated_at: datetime

    @property
    def month(self) -> str:
        return str(self.totals.month)

    @property
    def review(self) -> Review:
        """The review as stored (which approvals still cover the figures is the service's
        question: `services.sla`)."""
        return Review(self.state, tuple(Approval(a.role, a.by) for a in self.approvals))


# -- headers ----------------------------------------------------------------------------------


def get(conn: Connection, incident_id: str) -> Header | None:
    row = conn.execute(
        select(sla_assessments).where(sla_assessments.c.incident_id == incident_id)
    ).first()
    return _header(conn, row) if row else None


def in_month(conn: Connection, month: str) -> list[Header]:
    rows = conn.execute(
        select(sla_assessments)
        .where(sla_assessments.c.month == month)
        .order_by(sla_assessments.c.incident_id)
    ).all()
    return [_header(conn, row) for row in rows]


def legacy_ids(conn: Connection) -> list[str]:
    """Assessments still in the format migration 0007 moved them into."""
    return list(
        conn.execute(
            select(sla_assessments.c.incident_id)
            .where(sla_assessments.c.format_version != FORMAT_VERSION)
            .order_by(sla_assessments.c.incident_id)
        ).scalars()
    )


def save(conn: Connection, header: Header) -> None:
    """Write the header and its tier totals (the lines are written by `LineWriter`)."""
    totals = header.totals
    values = dict(
        format_version=header.format_version,
        month=header.month,
        state=header.state.value,
        approvals=_approvals(header.approvals),
        fingerprint=header.fingerprint,
        policy=header.policy,
        policy_source=header.policy_source,
        customers_source=header.customers_source,
        policy_digest=header.policy_digest,
        registry_digest=header.registry_digest,
        impact_digest=header.impact_digest,
        credited_by=[list(pair) for pair in header.credited_by],
        currency=totals.currency,
        liability_low=totals.liability.low,
        liability_high=totals.liability.high,
        customers_total=totals.registry_size,
        customers_in_scope=totals.in_scope,
        customers_no_sla=totals.no_sla_count,
        logs_analysed=totals.logs_analysed,
        incidents_in_month=totals.incidents_in_month,
        incidents_without_logs=totals.incidents_without_logs,
        measured_outside_window=totals.measured_outside_window,
        claim_deadline=totals.claim_deadline,
        exclusions=[_exclusion_json(finding) for finding in totals.exclusions],
        unregistered_customers=list(totals.unregistered_customers),
        updated_at=header.updated_at,
    )
    found = conn.execute(
        update(sla_assessments)
        .where(sla_assessments.c.incident_id == header.incident_id)
        .values(**values)
    )
    if found.rowcount == 0:
        conn.execute(
            insert(sla_assessments).values(
                incident_id=header.incident_id, created_at=header.created_at, **values
            )
        )
    conn.execute(delete(sla_tier_totals).where(sla_tier_totals.c.incident_id == header.incident_id))
    if totals.tiers:
        conn.execute(
            insert(sla_tier_totals),
            [
                {
                    "incident_id": header.incident_id,
                    "position": position,
                    "tier": tier.tier,
                    "customers": tier.customers,
                    "low": tier.low,
                    "high": tier.high,
                    "percents": [decimal_text(p) for p in tier.percents],
                }
                for position, tier in enumerate(totals.tiers)
            ],
        )


def save_review(
    conn: Connection, incident_id: str, review: Review, *, fingerprint: str, now: datetime
) -> None:
    """A step of the review: the state and the approvals, each tied to `fingerprint`."""
    approvals = tuple(StoredApproval(a.role, a.by, fingerprint) for a in review.approvals)
    conn.execute(
        update(sla_assessments)
        .where(sla_assessments.c.incident_id == incident_id)
        .values(state=review.state.value, approvals=_approvals(approvals), updated_at=now)
    )


def _approvals(approvals: Iterable[StoredApproval]) -> list[dict[str, str]]:
    return [{"role": a.role.value, "by": a.by, "fingerprint": a.fingerprint} for a in approvals]


def _header(conn: Connection, row: Any) -> Header:
    tiers = conn.execute(
        select(sla_tier_totals)
        .where(sla_tier_totals.c.incident_id == row.incident_id)
        .order_by(sla_tier_totals.c.position)
    ).all()
    year, month = (int(part) for part in row.month.split("-"))
    totals = SlaAssessment(
        month=Month(year, month),
        currency=row.currency,
        rows=(),
        tiers=tuple(
            TierTotal(
                tier=t.tier,
                customers=t.customers,
                low=t.low,
                high=t.high,
                percents=tuple(Decimal(p) for p in t.percents),
            )
            for t in tiers
        ),
        liability=Liability(low=row.liability_low, high=row.liability_high),
        no_sla=(),
        out_of_scope=row.customers_total - row.customers_in_scope,
        exclusions=tuple(_exclusion(data) for data in row.exclusions),
        claim_deadline=row.claim_deadline,
        logs_analysed=bool(row.logs_analysed),
        incidents_in_month=row.incidents_in_month,
        incidents_without_logs=row.incidents_without_logs,
        measured_outside_window=row.measured_outside_window,
        unregistered_customers=tuple(row.unregistered_customers),
        in_scope=row.customers_in_scope,
        no_sla_count=row.customers_no_sla,
    )
    return Header(
        incident_id=row.incident_id,
        format_version=row.format_version,
        state=ReviewState(row.state),
        approvals=tuple(
            StoredApproval(ReviewRole(a["role"]), a["by"], a["fingerprint"]) for a in row.approvals
        ),
        fingerprint=row.fingerprint,
        policy=row.policy,
        policy_source=row.policy_source,
        customers_source=row.customers_source,
        policy_digest=row.policy_digest,
        registry_digest=row.registry_digest,
        impact_digest=row.impact_digest,
        credited_by=tuple((str(i), str(f)) for i, f in row.credited_by),
        totals=totals,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _exclusion_json(finding: ExclusionFinding) -> dict[str, Any]:
    window = finding.window
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "announced_at": window.announced_at.isoformat() if window.announced_at else None,
        "description": window.description,
        "counts": finding.counts,
        "announced_late": finding.announced_late,
        "incident_began_inside": finding.incident_began_inside,
        "minutes_in_month": finding.minutes_in_month,
    }


def _exclusion(data: dict[str, Any]) -> ExclusionFinding:
    announced = data.get("announced_at")
    window = MaintenanceWindow(
        start=datetime.fromisoformat(data["start"]),
        end=datetime.fromisoformat(data["end"]),
        announced_at=datetime.fromisoformat(announced) if announced else None,
        description=data.get("description"),
    )
    return ExclusionFinding(
        window=window,
        counts=bool(data["counts"]),
        announced_late=bool(data["announced_late"]),
        incident_began_inside=bool(data["incident_began_inside"]),
        minutes_in_month=int(data["minutes_in_month"]),
    )


# -- writing lines ----------------------------------------------------------------------------

_COLUMNS = (
    "incident_id",
    "customer_id",
    "position",
    "name",
    "tier",
    "monthly_fee",
    "currency",
    "regions",
    "in_scope",
    "has_sla",
    "incident_minutes_measured",
    "incident_minutes_declared",
    "down_minutes_measured",
    "down_minutes_declared",
    "uptime_measured",
    "uptime_declared",
    "credit_percent_low",
    "credit_percent_high",
    "credit_low",
    "credit_high",
    "already_credited",
    "credit",
    "owed",
)
_MONEY = frozenset(
    {
        "monthly_fee",
        "uptime_measured",
        "uptime_declared",
        "credit_percent_low",
        "credit_percent_high",
        "credit_low",
        "credit_high",
        "already_credited",
        "credit",
    }
)


def delete_lines(conn: Connection, incident_id: str) -> None:
    conn.execute(delete(sla_credit_lines).where(sla_credit_lines.c.incident_id == incident_id))


class LineWriter:
    """Writes an assessment's rows in batches: `add` each registry customer (with its
    line, or None out of scope) and `flush` between batches (at least every `BATCH`
    rows); `close` writes the rest. SQLite gets multi-row INSERTs, executemany'd;
    PostgreSQL one COPY per batch. Other statements may run on the connection between
    batches (after `drain`), none during one.

    With `background` (SQLite files), the inserts run on a thread of their own while the
    caller computes the next batch: SQLite works without Python's lock, so the two
    overlap. The caller must then leave the connection alone until `drain` or `close`.
    """

    def __init__(self, conn: Connection, incident_id: str, *, background: bool = False) -> None:
        self._conn = conn
        self._incident_id = incident_id
        self._batch: list[tuple[Any, ...]] = []
        self._postgres = conn.dialect.name == "postgresql"
        self._worker: _Worker | None = None
        names = ", ".join(_COLUMNS)
        if self._postgres:
            self._sql = f"COPY {sla_credit_lines.name} ({names}) FROM STDIN"
        else:
            self._sql = _insert_sql(ROWS_PER_INSERT)
            if background and conn.engine.url.database not in (None, "", ":memory:"):
                self._worker = _Worker()

    def add(self, position: int, customer: Customer, line: CustomerCredit | None) -> None:
        self.extend((position,), (customer,), (line,))

    def extend(
        self,
        positions: Iterable[int],
        customers: Iterable[Customer],
        lines: Iterable[CustomerCredit | None],
    ) -> None:
        """`add` for each (position, customer, line), together."""
        incident_id, text = self._incident_id, not self._postgres
        self._batch.extend(
            _values(incident_id, position, customer, line, text=text)
            for position, customer, line in zip(positions, customers, lines, strict=True)
        )
        if len(self._batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        if self._postgres:
            self._guarded(lambda: self._copy(batch))
            return
        # ROWS_PER_INSERT rows a statement, those statements executemany'd
        whole = len(batch) - len(batch) % ROWS_PER_INSERT
        groups = [
            tuple(chain.from_iterable(batch[start : start + ROWS_PER_INSERT]))
            for start in range(0, whole, ROWS_PER_INSERT)
        ]
        rest = tuple(chain.from_iterable(batch[whole:]))
        raw = self._conn.connection.dbapi_connection
        assert raw is not None

        def insert() -> None:
            cursor = raw.cursor()
            try:
                if groups:
                    cursor.executemany(self._sql, groups)
                if rest:
                    cursor.execute(_insert_sql(len(rest) // len(_COLUMNS)), rest)
            finally:
                cursor.close()

        if self._worker is not None:
            self._worker.submit(insert)
        else:
            self._guarded(insert)

    def drain(self) -> None:
        """Wait until every row given so far is written (the connection is free again)."""
        self.flush()
        if self._worker is not None:
            self._guarded(self._worker.drain)

    def close(self) -> None:
        try:
            self.drain()
        finally:
            self.discard()

    def discard(self) -> None:
        """Stop writing, whatever is still pending (the transaction is to be rolled back)."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def _copy(self, batch: list[tuple[Any, ...]]) -> None:
        raw = self._conn.connection.dbapi_connection
        assert raw is not None
        cursor: Any = raw.cursor()  # psycopg's, which copies
        with cursor, cursor.copy(self._sql) as copy:
            for values in batch:
                copy.write_row(values)

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except IntegrityError as exc:
            raise _duplicate() from exc
        except Exception as exc:
            # a unique violation, as the drivers say it (the registry held an ID twice)
            if getattr(exc, "sqlstate", None) == "23505" or "UNIQUE constraint" in str(exc):
                raise _duplicate() from exc
            raise


class _Worker:
    """One thread running the writes it is given, in order; an error is raised on the
    caller's thread at the next `drain`, and later writes are skipped."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="warroom-line-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)

    def drain(self) -> None:
        self._jobs.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def stop(self) -> None:
        self._error = self._error or _Stopped()  # pending writes are skipped
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    job()
            except BaseException as error:  # handed to the caller's thread
                self._error = error
            finally:
                self._jobs.task_done()


class _Stopped(Exception):
    """Writes skipped because the writer was stopped."""


def _insert_sql(rows: int) -> str:
    one = "(" + ", ".join("?" for _ in _COLUMNS) + ")"
    return f"INSERT INTO {sla_credit_lines.name} ({', '.join(_COLUMNS)}) VALUES " + ", ".join(
        [one] * rows
    )


def _duplicate() -> InvalidInput:
    # the registry readers refuse duplicate IDs with their lines; this is the last guard
    return InvalidInput(
        [Problem("customers", "duplicate", "the customer registry holds a customer_id twice")]
    )


def _values(
    incident_id: str, position: int, customer: Customer, line: CustomerCredit | None, *, text: bool
) -> tuple[Any, ...]:
    money: Callable[[Decimal], Any] = str if text else _same  # str is `decimal_text`
    registry = (
        incident_id,
        customer.customer_id,
        position,
        customer.name,
        customer.tier,
        money(customer.monthly_fee),
        customer.currency,
        ";".join(customer.regions),
    )
    if line is None:
        return (
            *registry,
            False,
            False,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            False,
        )
    return (
        *registry,
        True,
        line.has_sla,
        line.incident_minutes_measured,
        line.incident_minutes_declared,
        line.down_minutes_measured,
        line.down_minutes_declared,
        money(line.uptime_measured),
        money(line.uptime_declared),
        money(line.credit_percent_low),
        money(line.credit_percent_high),
        money(line.credit_low),
        money(line.credit_high),
        money(line.already_credited),
        money(line.credit),
        line.owed,
    )


def _same(value: Decimal) -> Decimal:
    return value


# -- reading lines ----------------------------------------------------------------------------

_lines = sla_credit_lines.c
_STREAM = {"yield_per": BATCH}  # rows come in batches (a server-side cursor on PostgreSQL)


def line(conn: Connection, incident_id: str, customer_id: str) -> CustomerCredit | None:
    """One customer's line (None when it has none: not in the registry, or out of scope)."""
    row = conn.execute(
        select(sla_credit_lines).where(
            _lines.incident_id == incident_id,
            _lines.customer_id == customer_id,
            _lines.in_scope.is_(True),
        )
    ).first()
    return _credit(row) if row else None


def _listed(incident_id: str, search: str | None) -> Any:
    condition = and_(_lines.incident_id == incident_id, _lines.in_scope.is_(True))
    if search:
        pattern = (
            "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        condition = and_(
            condition,
            or_(
                func.lower(_lines.customer_id).like(pattern, escape="\\"),
                func.lower(_lines.name).like(pattern, escape="\\"),
            ),
        )
    return condition


def lines(
    conn: Connection,
    incident_id: str,
    *,
    offset: int = 0,
    limit: int = 1000,
    search: str | None = None,
) -> list[CustomerCredit]:
    """A page of the in-scope lines, in registry order; `search` keeps those whose ID or
    name contains the text (any case)."""
    rows = conn.execute(
        select(sla_credit_lines)
        .where(_listed(incident_id, search))
        .order_by(_lines.position)
        .limit(limit)
        .offset(offset)
    )
    return [_credit(row) for row in rows]


def lines_of(conn: Connection, incident_id: str, ids: Sequence[str]) -> dict[str, CustomerCredit]:
    """The in-scope lines of these customers, by customer (those without one left out)."""
    found: dict[str, CustomerCredit] = {}
    for start in range(0, len(ids), 500):
        for row in conn.execute(
            select(sla_credit_lines).where(
                _listed(incident_id, None), _lines.customer_id.in_(list(ids[start : start + 500]))
            )
        ):
            found[row.customer_id] = _credit(row)
    return found


def in_scope_ids(conn: Connection, incident_id: str) -> list[str]:
    """The IDs of every in-scope customer, in registry order (only the IDs are read)."""
    return list(
        conn.execute(
            select(_lines.customer_id).where(_listed(incident_id, None)).order_by(_lines.position)
        ).scalars()
    )


def count_lines(conn: Connection, incident_id: str, *, search: str | None = None) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(sla_credit_lines).where(_listed(incident_id, search))
        ).scalar_one()
    )


def _owed(incident_id: str) -> Any:
    return and_(_lines.incident_id == incident_id, _lines.in_scope.is_(True), _lines.owed.is_(True))


def owed(
    conn: Connection, incident_id: str, *, offset: int = 0, limit: int | None = None
) -> Iterator[tuple[str, str, str, str, Decimal, Decimal]]:
    """The lines that send a customer money, in registry order, read in batches, as
    (customer_id, name, tier, currency, credit percent, credit): what a bill needs and no
    more, read without SQLAlchemy's per-value processing (a million lines export in
    seconds)."""
    query = (
        select(
            _lines.customer_id,
            _lines.name,
            _lines.tier,
            _lines.currency,
            _lines.credit_percent_low,
            _lines.credit,
            _lines.credit_low,
        )
        .where(_owed(incident_id))
        .order_by(_lines.position)
    )
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    compiled = query.compile(dialect=conn.dialect)
    parameters = compiled.construct_params()
    values = (
        tuple(parameters[name] for name in compiled.positiontup or ())
        if compiled.positional
        else parameters
    )
    with conn.exec_driver_sql(str(compiled), values, execution_options=_STREAM) as result:
        for customer_id, name, tier, currency, percent, credit, low in result:
            if credit != low:  # exact text on SQLite, Decimals on PostgreSQL
                raise _contradiction(customer_id, credit, low)
            yield (customer_id, name, tier, currency, _decimal(percent), _decimal(credit))


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def count_owed(conn: Connection, incident_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(sla_credit_lines).where(_owed(incident_id))
        ).scalar_one()
    )


def registry(conn: Connection, incident_id: str) -> Iterator[list[tuple[int, Customer]]]:
    """The registry the assessment was computed from, with each customer's position, in
    batches (for computing it again)."""
    with conn.execute(
        select(
            _lines.position,
            _lines.customer_id,
            _lines.name,
            _lines.tier,
            _lines.monthly_fee,
            _lines.currency,
            _lines.regions,
        )
        .where(_lines.incident_id == incident_id)
        .order_by(_lines.position),
        execution_options=_STREAM,
    ) as result:
        for partition in result.partitions():
            yield [(row.position, _customer(row)) for row in partition]


_TAKEN = "sla_registry_taken"
_REGISTRY_COLUMNS = "position, customer_id, name, tier, monthly_fee, currency, regions"


def take_registry(
    conn: Connection, incident_id: str
) -> Generator[list[tuple[int, Customer]], None, None]:
    """Move the assessment's registry aside (into a temporary table) and delete its rows,
    so its lines can be written again while the registry is read back in batches. Call
    `drop_taken_registry` when done."""
    drop_taken_registry(conn)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {_TAKEN} AS SELECT {_REGISTRY_COLUMNS} "
        f"FROM {sla_credit_lines.name} WHERE incident_id = "
        f"{_placeholder(conn)}",
        (incident_id,),
    )
    delete_lines(conn, incident_id)
    with conn.exec_driver_sql(
        f"SELECT {_REGISTRY_COLUMNS} FROM {_TAKEN} ORDER BY position", execution_options=_STREAM
    ) as result:
        for partition in result.partitions():
            yield [(row.position, _customer(row)) for row in partition]


def drop_taken_registry(conn: Connection) -> None:
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_TAKEN}")


def _placeholder(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def customers(conn: Connection, incident_id: str, ids: Sequence[str]) -> list[Customer]:
    """The registry entries of these customers (those in the registry), in registry order."""
    found: list[tuple[int, Customer]] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found.extend(
            (row.position, _customer(row))
            for row in conn.execute(
                select(
                    _lines.position,
                    _lines.customer_id,
                    _lines.name,
                    _lines.tier,
                    _lines.monthly_fee,
                    _lines.currency,
                    _lines.regions,
                ).where(_lines.incident_id == incident_id, _lines.customer_id.in_(chunk))
            )
        )
    return [customer for _, customer in sorted(found, key=lambda pair: pair[0])]


def credited(
    conn: Connection, incident_ids: Sequence[str], customer_ids: Sequence[str]
) -> dict[str, Decimal]:
    """What the lines of these assessments offer these customers, summed by customer
    (credits other assessments settled this month)."""
    found: dict[str, Decimal] = {}
    if not incident_ids:
        return found
    for start in range(0, len(customer_ids), 500):
        chunk = list(customer_ids[start : start + 500])
        for row in conn.execute(
            select(_lines.customer_id, _lines.credit).where(
                _lines.incident_id.in_(list(incident_ids)),
                _lines.customer_id.in_(chunk),
                _lines.owed.is_(True),
            )
        ):
            found[row.customer_id] = found.get(row.customer_id, Decimal(0)) + row.credit
    return found


def _customer(row: Any) -> Customer:
    fee = row.monthly_fee  # a raw query on SQLite gives the text ExactDecimal stores
    return Customer(
        customer_id=row.customer_id,
        name=row.name,
        tier=row.tier,
        monthly_fee=fee if isinstance(fee, Decimal) else Decimal(fee),
        currency=row.currency,
        regions=tuple(region for region in row.regions.split(";") if region),
    )


def _contradiction(customer_id: str, credit: Decimal, low: Decimal) -> ValueError:
    # the offer is the measured credit (CustomerCredit.credit): anything else is corruption
    return ValueError(
        f"the stored line of {customer_id} offers {credit}, not its measured "
        f"credit {low}: the stored figures contradict each other"
    )


def _credit(row: Any) -> CustomerCredit:
    if row.credit != row.credit_low:
        raise _contradiction(row.customer_id, row.credit, row.credit_low)
    return CustomerCredit(
        customer_id=row.customer_id,
        name=row.name,
        tier=row.tier,
        has_sla=bool(row.has_sla),
        monthly_fee=row.monthly_fee,
        currency=row.currency,
        incident_minutes_measured=row.incident_minutes_measured,
        incident_minutes_declared=row.incident_minutes_declared,
        down_minutes_measured=row.down_minutes_measured,
        down_minutes_declared=row.down_minutes_declared,
        uptime_measured=row.uptime_measured,
        uptime_declared=row.uptime_declared,
        credit_percent_low=row.credit_percent_low,
        credit_percent_high=row.credit_percent_high,
        credit_low=row.credit_low,
        credit_high=row.credit_high,
        already_credited=row.already_credited,
    )
