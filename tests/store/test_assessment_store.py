"""Stored assessments (format 2): typed lines that read back as computed, money that never
passes through the API's JSON, batches written on SQLite and PostgreSQL alike."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from support.people import acting
from warroom.domain.assessment import ReviewRole
from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput
from warroom.domain.sla import Assessor, IncidentImpact, Month, assess
from warroom.domain.window import TimeWindow
from warroom.formats.incident_file import read_incident_text
from warroom.formats.sla_policy import read_policy_text
from warroom.services import incidents, sla
from warroom.services.context import Context
from warroom.store import assessments as store
from warroom.store.database import Database
from warroom.store.tables import incidents as incident_rows
from warroom.store.tables import sla_assessments, sla_credit_lines

D = Decimal
SRC = Path(__file__).resolve().parents[2] / "src" / "warroom"
POLICY = read_policy_text("""
currency: USD
claims: {deadline_days: 30, minimum_credit: 5}
tiers:
  gold:
    uptime_target: 99.95
    credits: [{below: 99.95, percent: 10}, {below: 99.0, percent: 25}, {below: 95.0, percent: 100}]
  silver:
    uptime_target: 99.9
    cap_percent: 50
    credits: [{below: 99.9, percent: 5}, {below: 99.0, percent: 12.5}]
""")
WINDOW = TimeWindow(
    datetime(2025, 11, 8, 14, 2, tzinfo=UTC), datetime(2025, 11, 8, 19, 49, tzinfo=UTC)
)


def incident_text(incident_id: str, start: str, end: str) -> str:
    return (
        f"id: {incident_id}\ntitle: Outage\nseverity: SEV-1\nstatus: resolved\n"
        f"timeline:\n  - {{at: {start}, kind: detected, text: alerts}}\n"
        f"  - {{at: {end}, kind: resolved, text: fixed}}\n"
    )


@pytest.fixture(scope="module")
def stored_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One database for the property below, holding the incident its lines belong to."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('lines') / 'warroom.db'}")
    db.migrate()
    with db.transaction() as conn:
        conn.execute(
            insert(incident_rows).values(
                id="INC-2025-1108-001",
                detected_on=WINDOW.start.date(),
                sequence=1,
                title="Outage",
                severity="SEV-1",
                status="resolved",
                classification="internal",
                roles={},
                scope_regions=None,
                scope_services=None,
                contributing_factors=[],
                created_at=WINDOW.start,
                updated_at=WINDOW.start,
                version=1,
            )
        )
    yield db
    db.dispose()


fees = st.one_of(
    *(st.decimals(min_value=0, max_value=D(10) ** 9, places=places) for places in (0, 2, 3, 5))
)
registries = st.lists(
    st.builds(
        Customer,
        customer_id=st.text("ABCXYZ0123456789-_.", min_size=1, max_size=12),
        name=st.text(min_size=1, max_size=30).filter(str.strip),
        tier=st.sampled_from(["gold", "silver", "free"]),
        monthly_fee=fees,
        currency=st.just("USD"),
        regions=st.lists(
            st.sampled_from(["eu-west", "us-east", "ap-south"]), unique=True, max_size=2
        ).map(tuple),
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda c: c.customer_id,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries, st.data())
def test_the_stored_lines_read_back_equal_the_computed_ones(
    stored_db: Database, customers: list[Customer], data: st.DataObject
) -> None:
    measured = {
        c.customer_id: data.draw(st.sampled_from([(), ((29_357_162, 29_357_300),)]))
        for c in customers
    }
    from warroom.domain.minutes import MinuteSet

    incident = IncidentImpact(WINDOW, measured={k: MinuteSet(v) for k, v in measured.items()})
    assessor = Assessor(POLICY, incident, month=Month(2025, 11))
    already = {c.customer_id: data.draw(st.sampled_from([D(0), D("12.34")])) for c in customers}
    computed = [assessor.add(c, already[c.customer_id]) for c in customers]
    with stored_db.transaction() as conn:
        store.delete_lines(conn, "INC-2025-1108-001")
        writer = store.LineWriter(conn, "INC-2025-1108-001", background=True)
        for position, (customer, line) in enumerate(zip(customers, computed, strict=True)):
            writer.add(position, customer, line)
        writer.close()
    with stored_db.reading() as conn:
        lines = store.lines(conn, "INC-2025-1108-001", limit=100)
        registry = [c for batch in store.registry(conn, "INC-2025-1108-001") for _, c in batch]
        one = store.line(conn, "INC-2025-1108-001", customers[0].customer_id)
    assert lines == [line for line in computed if line is not None]
    assert registry == customers
    assert one == computed[0]


def test_money_is_stored_exactly_on_both_databases(any_ctx: Context) -> None:
    incidents.import_incidents(
        any_ctx,
        read_incident_text(
            incident_text("INC-2025-1108-001", "2025-11-08T14:02:00Z", "2025-11-08T19:49:00Z")
        ),
    )
    odd = Customer("C1", "Acme", "gold", D("123456789.12345"), "USD")
    sla.assess_incident(
        any_ctx,
        "INC-2025-1108-001",
        policy=POLICY,
        customers=[odd],
        policy_source="p",
        customers_source="c",
    )
    with any_ctx.db.reading() as conn:
        row = conn.execute(select(sla_credit_lines)).one()
        header = conn.execute(select(sla_assessments)).one()
    assert row.monthly_fee == D("123456789.12345")
    assert row.uptime_declared == D("99.19675925925925925925925925925926")
    assert row.credit == row.credit_low == D("12345678.91")
    assert header.format_version == store.FORMAT_VERSION
    assert header.liability_low == D("12345678.91")


def test_a_registry_holding_an_id_twice_is_refused_not_retried(any_ctx: Context) -> None:
    incidents.import_incidents(
        any_ctx,
        read_incident_text(
            incident_text("INC-2025-1108-001", "2025-11-08T14:02:00Z", "2025-11-08T19:49:00Z")
        ),
    )
    twice = [
        Customer("C1", "Acme", "gold", D(100), "USD"),
        Customer("C1", "Acme again", "gold", D(100), "USD"),
    ]
    with pytest.raises(InvalidInput, match="customer_id twice"):
        sla.assess_incident(
            any_ctx,
            "INC-2025-1108-001",
            policy=POLICY,
            customers=lambda: [twice[:1], twice[1:]],
            policy_source="p",
            customers_source="c",
        )
    assert sla.find_assessment(any_ctx, "INC-2025-1108-001") is None


def test_the_stored_format_does_not_depend_on_the_api_schemas() -> None:
    """The store owns the stored format: no module of store/ reads warroom.schemas."""
    for path in (SRC / "store").rglob("*.py"):
        tree = ast.parse(path.read_text())
        imported = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ]
        imported += [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ]
        assert not [m for m in imported if m.startswith("warroom.schemas")], path


def test_renaming_an_api_field_changes_no_payment(
    any_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's JSON of a credit line renamed (credit_low -> measured_credit): assessing,
    approving, billing and taking an approved credit off a later incident's all give the
    same amounts."""
    incidents.import_incidents(
        any_ctx,
        read_incident_text(
            incident_text("INC-2025-1108-001", "2025-11-08T14:02:00Z", "2025-11-08T19:49:00Z")
        ),
    )
    incidents.import_incidents(
        any_ctx,
        read_incident_text(
            incident_text("INC-2025-1120-001", "2025-11-20T10:00:00Z", "2025-11-20T13:00:00Z")
        ),
    )
    customers = [
        Customer("C1", "Acme", "gold", D("12345.65"), "USD"),
        Customer("C2", "Beta", "silver", D("2000.00"), "USD"),
    ]

    from warroom.schemas import sla as schemas

    fields = dict(schemas.CustomerCreditPublic.model_fields)
    fields["measured_credit"] = fields.pop("credit_low")
    renamed = type(
        "CustomerCreditPublic",
        (schemas.Schema,),
        {"__annotations__": {name: f.annotation for name, f in fields.items()}},
    )
    monkeypatch.setattr(schemas, "CustomerCreditPublic", renamed)

    def money_path() -> tuple[list[tuple[str, Decimal]], list[tuple[str, Decimal, Decimal]]]:
        sla.assess_incident(
            any_ctx,
            "INC-2025-1108-001",
            policy=POLICY,
            customers=customers,
            policy_source="p",
            customers_source="c",
        )
        sla.submit(any_ctx, "INC-2025-1108-001")
        sla.approve(acting(any_ctx, "Lee Legal"), "INC-2025-1108-001", role=ReviewRole.LEGAL)
        sla.approve(acting(any_ctx, "Fay Finance"), "INC-2025-1108-001", role=ReviewRole.FINANCE)
        billed = [
            (c.customer_id, c.credit_amount)
            for c in sla.approved_credits(acting(any_ctx, "Fay Finance"), "INC-2025-1108-001")
        ]
        later = sla.assess_incident(
            any_ctx,
            "INC-2025-1120-001",
            policy=POLICY,
            customers=customers,
            policy_source="p",
            customers_source="c",
        )
        return billed, [
            (r.customer_id, r.already_credited, r.credit_high) for r in later.result.rows
        ]

    # the definition's figures: 347 + 180 minutes in November (98.780 %) for both
    later_window = IncidentImpact(
        TimeWindow(datetime(2025, 11, 20, 10, tzinfo=UTC), datetime(2025, 11, 20, 13, tzinfo=UTC))
    )
    first = assess(POLICY, customers, IncidentImpact(WINDOW), others=[later_window])
    billed = [(r.customer_id, r.credit) for r in first.rows if r.owed]
    later = assess(
        POLICY,
        customers,
        later_window,
        others=[IncidentImpact(WINDOW)],
        already_credited=dict(billed),
    )
    expected = (billed, [(r.customer_id, r.already_credited, r.credit_high) for r in later.rows])
    assert billed and any(already for _, already, _ in expected[1])
    assert money_path() == expected
