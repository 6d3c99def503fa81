"""Every route × every person, from one table: 401 without a valid token, 403 when the
role or scope does not allow it, success otherwise. Where a route maps to an action, the
expectation is read from `domain.permissions.PERMISSIONS`, the table the code uses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from support.api import EXPIRED, INTAKE, NO_TOKEN, REVOKED, ApiWorld, api_world
from support.cli_world import REFERENCE_INCIDENT
from support.people import PEOPLE
from support.request_logs import write_small_log
from warroom.domain.audience import Audience
from warroom.domain.incident import Classification
from warroom.domain.permissions import Action, UserRole, allowed, report_audience_allowed
from warroom.formats.customer_registry import read_registry_file
from warroom.formats.incident_file import read_incident_file
from warroom.formats.sla_policy import read_policy_file
from warroom.services import impact_runs, incidents, jobs, maintenance, reports, sla
from warroom.store.database import Database

A = "INC-2025-1108-001"  # the reference incident, made internal: every person reads it
C = "INC-2025-1108-002"  # a copy, to reopen
B = "INC-2025-1109-001"  # declared open, to move along
Roles = frozenset[UserRole]
ALERTS = Path(__file__).parent.parent / "fixtures" / "alertmanager"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    rule: Action | Callable[[Roles], bool]
    ok: frozenset[int]
    body: dict[str, Any] | None = None
    for_intake: bool = False  # an intake token may take it (alerts and change events)
    public: bool = False  # no token needed: everyone gets the same answer

    def allows(self, roles: Roles) -> bool:
        if isinstance(self.rule, Action):
            return allowed(self.rule, roles)
        return self.rule(roles)

    def matches(self, method: str, template: str) -> bool:
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
        return method == self.method and re.fullmatch(pattern, self.path.split("?")[0]) is not None


def internal_report(roles: Roles) -> bool:
    return report_audience_allowed(Audience.INTERNAL, roles, credits_approved=False)


def reviews_as_legal(roles: Roles) -> bool:
    return allowed(Action.SLA_REVIEW, roles) and UserRole.LEGAL in roles


def reviews_as_finance(roles: Roles) -> bool:
    return allowed(Action.SLA_REVIEW, roles) and UserRole.FINANCE in roles


def ok(*codes: int) -> frozenset[int]:
    return frozenset(codes)


ONE = "/api/v1/incidents/" + A
ROUTES = [
    Route("GET", "/api/v1/incidents", Action.INCIDENT_READ, ok(200)),
    Route(
        "POST",
        "/api/v1/incidents",
        Action.INCIDENT_DECLARE,
        ok(201),
        {"title": "Checkout errors", "severity": "SEV-3"},
    ),
    Route("GET", ONE, Action.INCIDENT_READ, ok(200)),
    Route("PATCH", ONE, Action.INCIDENT_UPDATE, ok(200), {"data_loss": "None."}),
    # the status moves on once; the same move again is an illegal transition
    Route(
        "POST",
        ONE.replace(A, B) + "/status",
        Action.INCIDENT_STATUS,
        ok(200, 409),
        {"status": "identified"},
    ),
    Route(
        "POST",
        ONE.replace(A, C) + "/reopen",
        Action.INCIDENT_REOPEN,
        ok(200, 409),
        {"reason": "it came back", "status": "investigating"},
    ),
    Route(
        "POST",
        ONE + "/assign",
        Action.INCIDENT_ASSIGN,
        ok(200),
        {"person": "Riley Responder", "role": "scribe"},
    ),
    Route("GET", ONE + "/timeline", Action.INCIDENT_READ, ok(200)),
    Route(
        "POST",
        ONE + "/timeline",
        Action.TIMELINE_ADD,
        ok(201),
        {"text": "a note", "kind": "note", "at": "2025-11-08T20:00:00Z"},
    ),
    Route("GET", ONE + "/actions", Action.INCIDENT_READ, ok(200)),
    Route("POST", ONE + "/actions", Action.ACTION_WRITE, ok(201), {"title": "Alert on pools"}),
    Route("PATCH", ONE + "/actions/1", Action.ACTION_WRITE, ok(200), {"status": "in_progress"}),
    Route("GET", ONE + "/impact", Action.INCIDENT_READ, ok(200)),
    Route("POST", ONE + "/impact-runs", Action.IMPACT_RUN, ok(202), {"source": "test"}),
    Route("GET", "/api/v1/impact-runs/JOB", Action.INCIDENT_READ, ok(200)),
    Route("GET", ONE + "/metrics", Action.INCIDENT_READ, ok(200)),
    Route("GET", ONE + "/sla", Action.SLA_READ, ok(200)),
    Route("GET", ONE + "/sla/lines?search=c", Action.SLA_READ, ok(200)),
    Route("GET", ONE + "/sla/views/public", Action.INCIDENT_READ, ok(200)),
    Route(
        "POST",
        ONE + "/sla/assess",
        Action.SLA_ASSESS,
        ok(200),
        {"customers": "default", "policy": "default"},
    ),
    # review steps depend on the state the previous cases left: refused as a conflict,
    # never as a permission, for people who may take them
    Route("POST", ONE + "/sla/submit", Action.SLA_ASSESS, ok(200, 409)),
    Route("POST", ONE + "/sla/approve", reviews_as_legal, ok(200, 409), {"role": "legal"}),
    Route(
        "POST",
        ONE + "/sla/request-changes",
        reviews_as_finance,
        ok(200, 409),
        {"role": "finance", "comment": "check C2's tier"},
    ),
    Route("GET", ONE + "/sla/credits", Action.SLA_EXPORT, ok(409)),  # not approved yet
    Route("GET", ONE + "/report?audience=public", Action.INCIDENT_READ, ok(200)),
    Route("GET", ONE + "/report?audience=internal", internal_report, ok(200)),
    Route("GET", ONE + "/report?audience=confidential", Action.REPORT_READ_CONFIDENTIAL, ok(200)),
    Route(
        "POST", ONE + "/report/publish", Action.REPORT_PUBLISH, ok(201, 409), {"audience": "public"}
    ),
    Route("GET", ONE + "/report/revisions", Action.INCIDENT_READ, ok(200)),
    Route("GET", ONE + "/report/revisions/1", internal_report, ok(200)),  # the internal one
    Route("GET", ONE + "/report/diff?from=1&to=2", internal_report, ok(200)),
    Route("GET", ONE + "/audit", Action.AUDIT_READ, ok(200)),
    Route("GET", "/api/v1/metrics", Action.METRICS_READ, ok(200)),
    Route("GET", "/api/v1/me", Action.INCIDENT_READ, ok(200)),
    Route("GET", "/api/v1/users", Action.INCIDENT_READ, ok(200)),
    Route("GET", "/api/v1/alerts", Action.INCIDENT_READ, ok(200)),
    Route("GET", ONE + "/alerts", Action.INCIDENT_READ, ok(200)),
    Route("GET", "/api/v1/changes", Action.INCIDENT_READ, ok(200)),
    Route(
        "POST",
        "/api/v1/intake/alertmanager",
        Action.INTAKE_POST,
        ok(200),
        json.loads((ALERTS / "alertmanager-0.25-webhook-firing-amtool.json").read_text()),
        for_intake=True,
    ),
    Route(
        "POST",
        "/api/v1/intake/pagerduty",
        Action.INTAKE_POST,
        ok(202),
        json.loads((ALERTS / "alertmanager-0.25-pagerduty-v2-trigger.json").read_text()),
        for_intake=True,
    ),
    Route(
        "POST",
        "/api/v1/intake/change",
        Action.INTAKE_POST,
        ok(200),
        {
            "id": "deploy-1",
            "kind": "deploy",
            "at": "2025-11-08T13:00:00Z",
            "service": "checkout",
            "summary": "v2.14.0",
        },
        for_intake=True,
    ),
    # A is submitted, not approved: people who may send notices are refused by the gate
    Route("POST", ONE + "/notices", Action.NOTICE_SEND, ok(409), {"audience": "customer"}),
    Route("GET", ONE + "/notices", Action.NOTICE_READ, ok(200)),
    Route("POST", ONE + "/notices/retry", Action.NOTICE_SEND, ok(409), {}),
    Route("GET", "/api/v1/maintenance", Action.INCIDENT_READ, ok(200)),
    Route(
        "POST",
        "/api/v1/maintenance",
        Action.MAINTENANCE_WRITE,
        ok(201),
        {
            "title": "Database upgrade",
            "starts_at": "2025-12-03T02:00:00Z",
            "ends_at": "2025-12-03T03:00:00Z",
            "services": ["db"],
        },
    ),
    Route("GET", "/api/v1/maintenance/1", Action.INCIDENT_READ, ok(200)),
    Route("POST", "/api/v1/maintenance/1/announce", Action.MAINTENANCE_WRITE, ok(200, 409)),
    Route("POST", "/api/v1/maintenance/1/cancel", Action.MAINTENANCE_WRITE, ok(200, 409)),
    # public: the same answer with or without a token (subscribing is rate-limited)
    Route(
        "POST",
        "/api/v1/subscriptions",
        Action.INCIDENT_READ,
        ok(202, 429),
        {"email": "follower@example.com"},
        public=True,
    ),
    Route(
        "GET",
        "/api/v1/subscriptions/confirm?token=" + "x" * 43,
        Action.INCIDENT_READ,
        ok(404),
        public=True,
    ),
    Route(
        "GET",
        "/api/v1/subscriptions/unsubscribe?token=" + "x" * 43,
        Action.INCIDENT_READ,
        ok(404),
        public=True,
    ),
    Route(
        "POST",
        "/api/v1/subscriptions/unsubscribe?token=" + "x" * 43,
        Action.INCIDENT_READ,
        ok(404),
        public=True,
    ),
]
PRINCIPALS = [*PEOPLE, NO_TOKEN, EXPIRED, REVOKED, INTAKE]


def expected(route: Route, who: str) -> frozenset[int]:
    if route.public:
        return route.ok
    if who in (NO_TOKEN, EXPIRED, REVOKED):
        return ok(401)
    if who == INTAKE:  # an intake token posts alerts and change events, nothing else
        return route.ok if route.for_intake else ok(403)
    roles = frozenset(UserRole(r) for r in PEOPLE[who])
    return route.ok if route.allows(roles) else ok(403)


@pytest.fixture(scope="module")
def access(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiWorld, str]]:
    folder = tmp_path_factory.mktemp("access")
    db = Database(f"sqlite:///{folder / 'warroom.db'}")
    db.migrate()
    write_small_log(folder / "requests.parquet")
    with api_world(db, folder, requests=folder / "requests.parquet") as world:
        admin = world.context("Ada Admin")
        parsed = read_incident_file(REFERENCE_INCIDENT) + read_incident_file(REFERENCE_INCIDENT)
        for item, incident_id in zip(parsed, (A, C), strict=True):
            item.incident.classification = Classification.INTERNAL
            item.incident.id = incident_id
        incidents.import_incidents(admin, parsed)
        declared = incidents.declare(
            admin,
            title="Slow search",
            severity="SEV-3",
            detected_at=datetime(2025, 11, 9, 8, 0, tzinfo=UTC),
        )
        assert declared.id == B
        job = impact_runs.start(admin, A, world.client.app.state.warroom.sources, source="test")
        from warroom.cli.worker import job_worker

        assert job_worker(admin, folder / "sources.yaml").run_one()
        policy = read_policy_file(folder / "policy.yaml")
        sla.assess_incident(
            admin,
            A,
            policy=policy,
            customers=read_registry_file(folder / "customers.csv", policy=policy),
            policy_source="policy.yaml",
            customers_source="customers.csv",
        )
        sla.submit(admin, A)
        reports.publish(admin, A, Audience.INTERNAL)
        reports.publish(admin, A, Audience.CUSTOMER, customer_id="C1")
        maintenance.schedule(
            admin,
            title="Network upgrade",
            starts_at=datetime(2025, 12, 1, 2, 0, tzinfo=UTC),
            ends_at=datetime(2025, 12, 1, 4, 0, tzinfo=UTC),
        )
        assert jobs.get_job(admin, job.id).state == "succeeded"
        yield world, job.id
    db.dispose()


def test_it_covers_every_route_of_the_api(access: tuple[ApiWorld, str]) -> None:
    world, _ = access
    documented = {
        (method.upper(), path)
        for path, operations in world.client.get("/openapi.json").json()["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
    }
    missing = [(m, t) for m, t in documented if not any(r.matches(m, t) for r in ROUTES)]
    assert missing == []
    unknown = [r.path for r in ROUTES if not any(r.matches(m, t) for m, t in documented)]
    assert unknown == []


@pytest.mark.parametrize("who", PRINCIPALS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_it_answers_as_the_table_says(access: tuple[ApiWorld, str], route: Route, who: str) -> None:
    world, job_id = access
    path = route.path.replace("JOB", job_id)
    options: dict[str, Any] = {"json": route.body} if route.body is not None else {}
    response = world.request(route.method, path, who, **options)
    assert response.status_code in expected(route, who), response.text
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if route.public:  # the answer does not depend on who asks
        assert "WWW-Authenticate" not in response.headers
