"""Each page × each role: what the person sees, and what the server refuses anyway.

The buttons come from the one permissions table (`domain.permissions`); a POST by a
person without the role is refused by the services (403 page), whatever the page showed.
"""

from __future__ import annotations

import pytest

from support.cli_world import POLICY, REGISTRY
from support.people import PEOPLE
from support.web import INC, WebWorld
from warroom.domain.permissions import Action, UserRole, allowed
from warroom.formats.customer_registry import read_registry_text
from warroom.formats.sla_policy import read_policy_text
from warroom.services import sla
from warroom.services.context import Context

PAGES = (
    "/incidents",
    f"/incidents/{INC}",
    f"/incidents/{INC}/impact",
    f"/incidents/{INC}/sla",
    f"/incidents/{INC}/report",
    "/response-metrics",
)


def roles(person: str) -> set[UserRole]:
    return {UserRole(r) for r in PEOPLE[person]}


def assess(web: WebWorld, *, submit: bool = True) -> None:
    ctx = Context(db=web.db, actor="Riley Responder")
    policy = read_policy_text(POLICY, source="policy.yaml")
    registry = read_registry_text(REGISTRY, source="customers.csv", policy=policy)
    sla.assess_incident(
        ctx,
        INC,
        policy=policy,
        customers=registry,
        policy_source="policy.yaml",
        customers_source="customers.csv",
    )
    if submit:
        sla.submit(ctx, INC)


@pytest.mark.parametrize("person", PEOPLE)
def test_it_shows_every_page_to_every_registered_person(web: WebWorld, person: str) -> None:
    for path in PAGES:
        answer = web.get(person, path)
        assert answer.status_code == 200, (path, answer.text[:500])


@pytest.mark.parametrize("person", PEOPLE)
def test_it_shows_the_buttons_the_roles_allow(web: WebWorld, person: str) -> None:
    held = roles(person)
    listing = web.get(person, "/incidents").text
    assert ('href="/incidents/new"' in listing) == allowed(Action.INCIDENT_DECLARE, held)
    page = web.get(person, f"/incidents/{INC}").text
    assert ("Add an entry" in page) == allowed(Action.TIMELINE_ADD, held)
    assert ("Add a corrective action" in page) == allowed(Action.ACTION_WRITE, held)
    assert (f'action="/incidents/{INC}/reopen"' in page) == allowed(Action.INCIDENT_REOPEN, held)
    assert ("Audit log</a>" in page) == allowed(Action.AUDIT_READ, held)
    impact = web.get(person, f"/incidents/{INC}/impact").text
    assert ("Run an impact analysis" in impact) == allowed(Action.IMPACT_RUN, held)


@pytest.mark.parametrize("person", PEOPLE)
def test_it_offers_approval_to_legal_and_finance_only(web: WebWorld, person: str) -> None:
    assess(web)
    page = web.get(person, f"/incidents/{INC}/sla").text
    held = roles(person)
    assert ("Approve as legal" in page) == (UserRole.LEGAL in held)
    assert ("Approve as finance" in page) == (UserRole.FINANCE in held)
    if person == "Val Viewer":
        assert "legal and finance approve them" in page and "$" not in page
    else:
        assert "Liability range" in page


@pytest.mark.parametrize("person", [p for p in PEOPLE if UserRole.LEGAL not in roles(p)])
def test_it_refuses_an_approval_from_anyone_but_legal(web: WebWorld, person: str) -> None:
    assess(web)
    answer = web.post(person, f"/incidents/{INC}/sla/approve", {"role": "legal"})
    assert answer.status_code == 403
    found = sla.find_assessment(Context(db=web.db, actor="Ada Admin"), INC)
    assert found is not None and found.review.approvals == ()


def test_it_records_legal_and_finance_approvals_from_the_page(web: WebWorld) -> None:
    assess(web)
    legal = web.post(
        "Lee Legal", f"/incidents/{INC}/sla/approve", {"role": "legal"}, follow_redirects=False
    )
    assert legal.status_code == 303
    finance = web.post("Fay Finance", f"/incidents/{INC}/sla/approve", {"role": "finance"})
    assert finance.status_code == 200 and "Approval recorded" in finance.text
    assert "Approved" in finance.text and "Lee Legal" in finance.text
    from warroom.store import audit

    with web.db.reading() as conn:
        entry = audit.entries(conn, action_prefix="sla.approve")[-1]
    assert entry.channel == "web" and entry.actor == "Fay Finance"


@pytest.mark.parametrize("person", ["Val Viewer", "Lee Legal", "Fay Finance"])
def test_it_refuses_changes_to_incidents_from_non_responders(web: WebWorld, person: str) -> None:
    for path, data in (
        (f"/incidents/{INC}/timeline", {"kind": "note", "text": "x"}),
        (f"/incidents/{INC}/actions", {"title": "x"}),
        (f"/incidents/{INC}/roles", {"role": "scribe", "person": "x"}),
        ("/incidents", {"title": "x", "severity": "SEV-3"}),
    ):
        answer = web.post(person, path, data)
        assert answer.status_code == 403, path
        assert "Not done" in answer.text  # the refusal's sentence, on the page


def test_it_hides_the_audit_log_from_those_without_the_role(web: WebWorld) -> None:
    assert web.get("Val Viewer", f"/incidents/{INC}/audit").status_code == 403
    page = web.get("Lee Legal", f"/incidents/{INC}/audit")
    assert page.status_code == 200 and "incident.import" in page.text


def test_it_lists_only_the_report_versions_a_person_may_read(web: WebWorld) -> None:
    assess(web)
    viewer = web.get("Val Viewer", f"/incidents/{INC}/report?audience=internal").text
    assert "You may not read the internal version" in viewer
    refused = web.get("Val Viewer", f"/incidents/{INC}/report/document?audience=internal")
    assert refused.status_code == 403
    legal = web.get("Lee Legal", f"/incidents/{INC}/report?audience=confidential").text
    assert "report/document?audience=confidential" in legal


def test_it_works_an_incident_through_the_forms(web: WebWorld) -> None:
    riley = "Riley Responder"
    declared = web.post(
        riley,
        "/incidents",
        {"title": "Checkout errors", "severity": "SEV-2", "services": "checkout"},
        follow_redirects=False,
    )
    assert declared.status_code == 303
    path = declared.headers["location"].split("?")[0]
    assert (
        web.post(
            riley,
            f"{path}/timeline",
            {
                "kind": "update",
                "text": "Rolling back",
                "audience": "public",
                "at": "2025-11-08T14:09",
            },
        ).status_code
        == 200
    )
    moved = web.post(riley, f"{path}/status", {"status": "identified", "message": "Bad deploy"})
    assert "Status changed" in moved.text and "Bad deploy" in moved.text
    assert (
        web.post(
            riley,
            f"{path}/actions",
            {"title": "Canary deploys", "owner": "Ana", "due": "2025-12-15"},
        ).status_code
        == 200
    )
    closed = web.post(riley, f"{path}/actions/1", {"status": "done"})
    assert "Corrective action saved" in closed.text and "Done" in closed.text
    learned = web.post(
        riley,
        f"{path}/update",
        {
            "part": "learning",
            "root_cause": "A bad flag",
            "contributing_factors": "no canary\nFriday",
        },
    )
    assert "A bad flag" in learned.text and "<li>Friday</li>" in learned.text
    wrong = web.post(riley, f"{path}/status", {"status": "closed"})
    assert wrong.status_code == 409 and "cannot move an incident from identified" in wrong.text


def test_it_filters_and_pages_the_list(web: WebWorld) -> None:
    riley = "Riley Responder"
    for n in range(30):
        web.post(riley, "/incidents", {"title": f"Blip {n}", "severity": "SEV-4"})
    first = web.get(riley, "/incidents?severity=SEV-4").text
    assert "30 incidents, page 1 of 2" in first and 'rel="next"' in first
    found = web.get(riley, "/incidents?q=blip+7").text
    assert "1 incident." in found and "Blip 7" in found
    none = web.get(riley, "/incidents?status=closed&q=blip").text
    assert "No incident matches" in none
    bad = web.get(riley, "/incidents?since=yesterday")
    assert bad.status_code == 422 and "is not a date" in bad.text


def test_it_answers_not_found_for_a_confidential_incident_a_viewer_is_not_named_on(
    web: WebWorld,
) -> None:
    from warroom.domain.incident import Classification
    from warroom.services import incidents

    incidents.update(
        Context(db=web.db, actor="Ada Admin"),
        INC,
        incidents.IncidentChanges(classification=Classification.CONFIDENTIAL),
    )
    assert web.get("Val Viewer", f"/incidents/{INC}").status_code == 404
    assert INC not in web.get("Val Viewer", "/incidents").text
    assert web.get("Lee Legal", f"/incidents/{INC}").status_code == 200


def test_it_pages_and_searches_the_credit_lines_in_the_database(web: WebWorld) -> None:
    ctx = Context(db=web.db, actor="Riley Responder")
    policy = read_policy_text(POLICY, source="policy.yaml")
    rows = "".join(f"C{n:03d},Customer {n:03d},business,100.00,USD,\n" for n in range(1, 251))
    registry = read_registry_text(
        "customer_id,name,tier,monthly_fee,currency,regions\n" + rows,
        source="customers.csv",
        policy=policy,
    )
    sla.assess_incident(
        ctx,
        INC,
        policy=policy,
        customers=registry,
        policy_source="policy.yaml",
        customers_source="customers.csv",
    )
    first = web.get("Lee Legal", f"/incidents/{INC}/sla").text
    assert "C001 · Customer 001" in first and "C100 · Customer 100" in first
    assert "C101 ·" not in first and "page 1 of 3" in first and 'rel="next"' in first
    last = web.get("Lee Legal", f"/incidents/{INC}/sla?page=3").text
    assert "C201 · Customer 201" in last and "C250 · Customer 250" in last
    assert "C200 ·" not in last and 'rel="prev"' in last and 'rel="next"' not in last
    # the search runs over every line, not over the page on screen
    found = web.get("Lee Legal", f"/incidents/{INC}/sla?q=customer+24").text
    assert "C240 · Customer 240" in found and "C249 · Customer 249" in found
    assert "C024 ·" not in found and "C001 ·" not in found
    # a page number that is not one shows the first page
    assert "C001 ·" in web.get("Lee Legal", f"/incidents/{INC}/sla?page=-3").text
