"""Report use cases: the report per audience, published revisions, their numbering, who may
publish, the audit trail, the diff between revisions, and each customer's own notice."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from support.cli_world import POLICY as SMALL_POLICY
from support.people import acting
from warroom.domain.assessment import ReviewRole
from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from warroom.domain.incident import Classification, Role
from warroom.domain.timeline import EntryKind
from warroom.formats.incident_file import read_incident_text
from warroom.formats.sla_policy import read_policy_text
from warroom.reports.render import render
from warroom.services import incidents, reports, sla
from warroom.services.context import Context
from warroom.services.incidents import IncidentChanges
from warroom.store import audit

FIXTURES = Path(__file__).parent.parent / "fixtures"
INCIDENT = "INC-2025-1108-001"  # declared 14:02 - 19:49 UTC on 2025-11-08: 347 minutes

POLICY = read_policy_text(SMALL_POLICY)

CUSTOMERS = (
    Customer("C1", "Acme", "enterprise", Decimal("10000.00"), "USD"),
    Customer("C2", "Beta", "business", Decimal("2000.00"), "USD"),
)


@pytest.fixture
def ctx(any_ctx: Context) -> Context:
    """Overrides the suite's `ctx`: SQLite and PostgreSQL (`any_ctx`), the reference incident,
    and registered people; the acting Riley Responder holds the commander role."""
    incidents.import_incidents(
        any_ctx, read_incident_text((FIXTURES / "reference-incident.yaml").read_text())
    )
    return any_ctx


def assess_and_approve(ctx: Context, *, approve: bool) -> None:
    sla.assess_incident(
        ctx,
        INCIDENT,
        policy=POLICY,
        customers=CUSTOMERS,
        policy_source="policy.yaml",
        customers_source="customers.csv",
    )
    if approve:
        sla.submit(ctx, INCIDENT)
        sla.approve(acting(ctx, "Lee Legal"), INCIDENT, role=ReviewRole.LEGAL)
        sla.approve(acting(ctx, "Fay Finance"), INCIDENT, role=ReviewRole.FINANCE)


def publish_trail(ctx: Context, incident_id: str = INCIDENT) -> list[audit.AuditEntry]:
    with ctx.db.reading() as conn:
        return audit.entries(conn, entity_id=incident_id, action_prefix="report.")


def public_entry(ctx: Context, text: str) -> None:
    incidents.add_event(
        ctx,
        INCIDENT,
        kind=EntryKind.UPDATE,
        text=text,
        at=datetime(2025, 11, 8, 20, 30, tzinfo=UTC),
        audience=Audience.PUBLIC,
    )


# -- drafts and revisions -----------------------------------------------------------------------


def test_a_report_nobody_published_is_a_draft(ctx: Context) -> None:
    model = reports.report(ctx, INCIDENT, Audience.INTERNAL)
    assert (model.revision, model.last_updated, model.previous_revision) == (None, None, None)
    assert "not yet published" in render(model, "md")
    assert reports.revisions(ctx, INCIDENT) == []


def test_publishing_stores_revision_1_with_who_and_when(ctx: Context, clock) -> None:
    published_at = clock.advance(days=2)
    stored = reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    assert (stored.number, stored.audience, stored.customer_id) == (1, "internal", None)
    assert stored.published_by == "Riley Responder"
    assert stored.published_at == published_at
    assert stored.data["revision"] == 1 and stored.data["audience"] == "internal"
    assert "(revision 1)" in stored.markdown

    kept = reports.revision(ctx, INCIDENT, 1)
    assert kept.published_at == published_at and kept.published_by == "Riley Responder"
    assert kept.markdown == stored.markdown and kept.data == stored.data
    assert [r.number for r in reports.revisions(ctx, INCIDENT)] == [1]


def test_the_published_report_is_stamped_with_its_revision_and_publish_time(
    ctx: Context, clock
) -> None:
    published_at = clock.advance(days=2)  # November 10
    stored = reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    clock.advance(hours=5)  # reading it later does not move "last updated"
    model = reports.report(ctx, INCIDENT, Audience.INTERNAL)
    assert model.revision == 1 and model.previous_revision is None
    assert model.last_updated == published_at
    markdown = render(model, "md")
    assert "Last updated: November 10, 2025 (revision 1)" in markdown
    assert "Draft generated" not in markdown
    assert markdown == stored.markdown
    assert json.loads(render(model, "json"))["last_updated"] == "2025-11-10T14:10:00Z"


def test_publishing_twice_without_change_is_refused(ctx: Context, clock) -> None:
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    clock.advance(hours=1)
    with pytest.raises(Conflict, match="nothing changed since revision 1"):
        reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    assert [r.number for r in reports.revisions(ctx, INCIDENT)] == [1]
    assert len(publish_trail(ctx)) == 1


def test_a_change_makes_a_draft_of_the_next_revision(ctx: Context, clock) -> None:
    first = reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    clock.advance(days=1)
    public_entry(ctx, "Status page post-incident summary published")

    draft = reports.report(ctx, INCIDENT, Audience.INTERNAL)
    assert (draft.revision, draft.last_updated, draft.previous_revision) == (None, None, 1)
    assert "changed since revision 1" in render(draft, "md")

    second = reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    assert second.number == 2 and second.published_at == clock.now
    now = reports.report(ctx, INCIDENT, Audience.INTERNAL)
    assert (now.revision, now.last_updated, now.previous_revision) == (2, clock.now, None)
    # revision 1 stays as it was published
    assert reports.revision(ctx, INCIDENT, 1).markdown == first.markdown
    assert "post-incident summary" not in first.markdown
    assert "post-incident summary" in second.markdown


def test_a_summary_update_is_a_change_too(ctx: Context, clock) -> None:
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    clock.advance(hours=2)
    incidents.update(
        ctx,
        INCIDENT,
        IncidentChanges(
            summary="A pool limit change exhausted database connections for 347 minutes."
        ),
    )
    assert reports.report(ctx, INCIDENT, Audience.INTERNAL).previous_revision == 1
    assert reports.publish(ctx, INCIDENT, Audience.INTERNAL).number == 2


def test_revision_numbers_are_per_incident_across_audiences(ctx: Context, clock) -> None:
    assert reports.publish(ctx, INCIDENT, Audience.INTERNAL).number == 1
    clock.advance(minutes=10)
    assert reports.publish(ctx, INCIDENT, Audience.PUBLIC).number == 2
    clock.advance(minutes=10)
    assert reports.publish(ctx, INCIDENT, Audience.CONFIDENTIAL).number == 3
    assert [(r.number, r.audience) for r in reports.revisions(ctx, INCIDENT)] == [
        (1, "internal"),
        (2, "public"),
        (3, "confidential"),
    ]
    # each audience's report is stamped with its own latest revision
    assert reports.report(ctx, INCIDENT, Audience.INTERNAL).revision == 1
    assert reports.report(ctx, INCIDENT, Audience.PUBLIC).revision == 2

    other = incidents.declare(ctx, title="Queue backlog", severity="SEV-3")
    assert reports.publish(ctx, other.id, Audience.INTERNAL).number == 1
    assert [r.number for r in reports.revisions(ctx, other.id)] == [1]


def test_a_change_an_audience_cannot_see_leaves_its_version_as_published(
    ctx: Context, clock
) -> None:
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    reports.publish(ctx, INCIDENT, Audience.PUBLIC)
    clock.advance(hours=1)
    incidents.add_event(
        ctx, INCIDENT, kind=EntryKind.NOTE, text="Pager rota reviewed", audience=Audience.INTERNAL
    )
    assert reports.report(ctx, INCIDENT, Audience.PUBLIC).revision == 2
    with pytest.raises(Conflict, match="nothing changed since revision 2"):
        reports.publish(ctx, INCIDENT, Audience.PUBLIC)
    assert reports.report(ctx, INCIDENT, Audience.INTERNAL).previous_revision == 1
    assert reports.publish(ctx, INCIDENT, Audience.INTERNAL).number == 3


# -- who may publish ----------------------------------------------------------------------------


def test_an_admin_may_publish(ctx: Context) -> None:
    stored = reports.publish(acting(ctx, "Ada Admin"), INCIDENT, Audience.INTERNAL)
    assert stored.number == 1 and stored.published_by == "Ada Admin"


@pytest.mark.parametrize(
    ("person", "error", "reason"),
    [
        ("Val Viewer", NotFound, "no incident"),  # a confidential incident is not theirs to see
        ("Lee Legal", PermissionDenied, "needs the commander or admin role"),
        ("Mallory Unknown", PermissionDenied, "not a registered user"),
    ],
)
def test_only_a_commander_or_admin_may_publish(
    ctx: Context, person: str, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error, match=reason):
        reports.publish(acting(ctx, person), INCIDENT, Audience.INTERNAL)
    assert reports.revisions(ctx, INCIDENT) == []
    assert publish_trail(ctx) == []
    assert reports.report(ctx, INCIDENT, Audience.INTERNAL).revision is None


def test_publishing_is_recorded_in_the_audit_log(ctx: Context, clock) -> None:
    published_at = clock.advance(hours=3)
    reports.publish(ctx, INCIDENT, Audience.PUBLIC)
    [entry] = publish_trail(ctx)
    assert entry.action == "report.publish"
    assert (entry.actor, entry.at, entry.entity_type) == (
        "Riley Responder",
        published_at,
        "incident",
    )
    assert entry.changes == {"revision": 1, "audience": "public", "customer_id": None}


# -- diff ---------------------------------------------------------------------------------------


def test_the_diff_names_the_changed_timeline_and_shows_the_added_line(ctx: Context, clock) -> None:
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    clock.advance(days=1)
    public_entry(ctx, "Status page post-incident summary published")
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)

    found = reports.diff(ctx, INCIDENT, 1, 2)
    assert (found.old.number, found.new.number) == (1, 2)
    assert found.sections_changed == ("Timeline (UTC)",)
    added = [line for line in found.diff.splitlines() if line.startswith("+")]
    assert "+| 20:30 | Status page post-incident summary published |" in added
    assert not any(
        line.startswith("-") and "post-incident" in line for line in found.diff.splitlines()
    )
    data = found.to_data()
    assert data["incident_id"] == INCIDENT
    assert (data["from"]["number"], data["to"]["number"]) == (1, 2)
    assert data["sections_changed"] == ["Timeline (UTC)"]


def test_the_diff_names_the_executive_summary_when_the_summary_changes(ctx: Context, clock) -> None:
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    clock.advance(hours=2)
    incidents.update(
        ctx,
        INCIDENT,
        IncidentChanges(summary="A pool limit change exhausted database connections."),
    )
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    found = reports.diff(ctx, INCIDENT, 1, 2)
    assert found.sections_changed == ("Executive Summary",)
    assert "+A pool limit change exhausted database connections." in found.diff.splitlines()


def test_a_revision_is_not_diffed_with_itself(ctx: Context) -> None:
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    with pytest.raises(InvalidInput, match="two different revisions"):
        reports.diff(ctx, INCIDENT, 1, 1)


def test_an_unknown_revision_is_not_found(ctx: Context) -> None:
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    with pytest.raises(NotFound, match="no report revision 9"):
        reports.revision(ctx, INCIDENT, 9)
    with pytest.raises(NotFound, match="no report revision 9"):
        reports.diff(ctx, INCIDENT, 1, 9)
    with pytest.raises(NotFound, match="no incident"):
        reports.revisions(ctx, "INC-2099-0101-001")


# -- customer versions --------------------------------------------------------------------------


def test_a_customer_version_needs_a_customer(ctx: Context) -> None:
    with pytest.raises(InvalidInput, match="--customer"):
        reports.report(ctx, INCIDENT, Audience.CUSTOMER)
    with pytest.raises(InvalidInput, match="--customer"):
        reports.publish(ctx, INCIDENT, Audience.CUSTOMER)
    assert reports.revisions(ctx, INCIDENT) == []


def test_a_customer_goes_only_with_the_customer_audience(ctx: Context) -> None:
    assess_and_approve(ctx, approve=False)
    with pytest.raises(InvalidInput, match="only goes with --audience customer"):
        reports.report(ctx, INCIDENT, Audience.INTERNAL, customer_id="C1")
    with pytest.raises(InvalidInput, match="only goes with --audience customer"):
        reports.publish(ctx, INCIDENT, Audience.PUBLIC, customer_id="C1")
    assert reports.revisions(ctx, INCIDENT) == []


def test_an_unknown_customer_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFound, match="C9"):  # no assessment at all yet
        reports.report(ctx, INCIDENT, Audience.CUSTOMER, customer_id="C9")
    assess_and_approve(ctx, approve=False)
    with pytest.raises(NotFound, match="C9"):
        reports.report(ctx, INCIDENT, Audience.CUSTOMER, customer_id="C9")
    with pytest.raises(NotFound, match="C9"):
        reports.publish(ctx, INCIDENT, Audience.CUSTOMER, customer_id="C9")
    assert reports.revisions(ctx, INCIDENT) == []


def test_a_customer_notice_holds_no_credit_before_the_assessment_is_approved(ctx: Context) -> None:
    assess_and_approve(ctx, approve=False)
    model = reports.report(ctx, INCIDENT, Audience.CUSTOMER, customer_id="C1")
    assert model.customer is not None
    assert (model.customer.customer_id, model.customer.name) == ("C1", "Acme")
    assert model.customer.incident_minutes == 347
    assert model.customer.credit is None
    assert model.sla is None and model.impact is None
    markdown = render(model, "md")
    assert "Service Credit" not in markdown and "1,000" not in markdown
    assert json.loads(render(model, "json"))["customer"]["credit"] is None


def expected_credit(customer: Customer, down_minutes: int) -> tuple[Decimal, Decimal]:
    """By hand: uptime of a 30-day November, then the policy's bracket (the lowest `below`
    the uptime falls under), as a share of the customer's monthly fee."""
    month_minutes = 30 * 24 * 60
    uptime = Decimal(100) * (month_minutes - down_minutes) / month_minutes
    brackets = {
        "enterprise": [(Decimal("99.0"), 25), (Decimal("99.95"), 10)],
        "business": [(Decimal("99.9"), 5)],
    }[customer.tier]
    percent = next((Decimal(p) for below, p in brackets if uptime < below), Decimal(0))
    amount = (customer.monthly_fee * percent / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return percent, amount


def test_an_approved_customer_notice_holds_that_customers_own_credit_only(ctx: Context) -> None:
    # 100 * (43200 - 347) / 43200 = 99.1968 %: under 99.95 (10 %), not under 99.0 (25 %)
    assert expected_credit(CUSTOMERS[0], 347) == (Decimal(10), Decimal("1000.00"))
    assert expected_credit(CUSTOMERS[1], 347) == (Decimal(5), Decimal("100.00"))
    assess_and_approve(ctx, approve=True)

    for mine, other in ((CUSTOMERS[0], CUSTOMERS[1]), (CUSTOMERS[1], CUSTOMERS[0])):
        model = reports.report(ctx, INCIDENT, Audience.CUSTOMER, customer_id=mine.customer_id)
        assert model.customer is not None and model.customer.credit is not None
        percent, amount = expected_credit(mine, 347)
        assert model.customer.credit.percent == percent
        assert model.customer.credit.amount == amount
        assert model.customer.credit.currency == "USD"
        assert model.customer.uptime == Decimal("99.197")
        for fmt in ("md", "json", "html"):
            text = render(model, fmt)
            assert mine.name in text
            assert other.name not in text
            assert not re.search(rf"\b{other.customer_id}\b", text), fmt
        assert f"{amount:,}" in render(model, "md")
        _, other_amount = expected_credit(other, 347)
        assert json.loads(render(model, "json"))["customer"]["credit"]["amount"] == str(amount)
        assert f"{other_amount:,}" not in render(model, "md")


def test_a_customer_notice_is_published_for_that_customer_alone(ctx: Context, clock) -> None:
    assess_and_approve(ctx, approve=True)
    clock.advance(days=1)
    stored = reports.publish(ctx, INCIDENT, Audience.CUSTOMER, customer_id="C1")
    assert (stored.number, stored.audience, stored.customer_id) == (1, "customer", "C1")
    assert "1,000.00" in stored.markdown and "Beta" not in stored.markdown
    assert reports.report(ctx, INCIDENT, Audience.CUSTOMER, customer_id="C1").revision == 1
    other = reports.report(ctx, INCIDENT, Audience.CUSTOMER, customer_id="C2")
    assert (other.revision, other.previous_revision) == (None, None)
    assert reports.publish(ctx, INCIDENT, Audience.CUSTOMER, customer_id="C2").number == 2
    with pytest.raises(Conflict):
        reports.publish(ctx, INCIDENT, Audience.CUSTOMER, customer_id="C1")
    assert [entry.changes["customer_id"] for entry in publish_trail(ctx)] == ["C1", "C2"]


# -- stable across readers, safe under concurrent publishing ---------------------------------


def internal(ctx: Context) -> None:
    """The reference incident made internal, so that viewers may read it."""
    incidents.update(ctx, INCIDENT, IncidentChanges(classification=Classification.INTERNAL))


def test_an_unchanged_report_looks_the_same_to_every_reader(ctx: Context) -> None:
    internal(ctx)
    reports.publish(acting(ctx, "Ada Admin"), INCIDENT, Audience.INTERNAL)
    for reader in ("Val Viewer", "Lee Legal", "Riley Responder"):
        model = reports.report(acting(ctx, reader), INCIDENT, Audience.INTERNAL)
        assert (model.revision, model.previous_revision) == (1, None)
        # signed by the incident's commander, not by whoever renders it
        assert model.prepared_by == "Jane Doe"
    with pytest.raises(Conflict, match="nothing changed"):
        reports.publish(acting(ctx, "Riley Responder"), INCIDENT, Audience.INTERNAL)


def test_a_revision_is_read_only_as_the_audience_it_was_published_for(ctx: Context) -> None:
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    with pytest.raises(InvalidInput, match="internal version"):
        reports.revision(ctx, INCIDENT, 1, audience=Audience.PUBLIC)
    assert reports.revision(ctx, INCIDENT, 1, audience=Audience.INTERNAL).number == 1


def test_without_a_commander_the_report_is_signed_by_no_one_rather_than_its_reader(
    ctx: Context,
) -> None:
    internal(ctx)
    incidents.assign(acting(ctx, "Ada Admin"), INCIDENT, Role.COMMANDER, None)
    reports.publish(acting(ctx, "Ada Admin"), INCIDENT, Audience.INTERNAL)
    seen = reports.report(acting(ctx, "Val Viewer"), INCIDENT, Audience.INTERNAL)
    assert (seen.prepared_by, seen.revision, seen.previous_revision) == (None, 1, None)


def test_a_report_is_its_published_revision_only_when_its_exact_figures_match_too(
    ctx: Context,
) -> None:
    reports.publish(ctx, INCIDENT, Audience.INTERNAL)
    with ctx.db.transaction() as conn:  # a figure only the JSON holds exactly
        stored = conn.execute(text("SELECT data FROM report_revisions")).scalar_one()
        data = json.loads(stored) if isinstance(stored, str) else dict(stored)
        data["severity_label"] = "Something else"
        conn.execute(text("UPDATE report_revisions SET data = :data"), {"data": json.dumps(data)})
    seen = reports.report(ctx, INCIDENT, Audience.INTERNAL)
    assert (seen.revision, seen.previous_revision) == (None, 1)
