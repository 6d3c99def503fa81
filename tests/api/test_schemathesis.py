"""Schemathesis against the app's own /openapi.json, authenticated as an admin, on a
database holding the reference incident (with an impact analysis and an assessment under
review): no request gets a 5xx, and every response keeps to its documented schema,
status codes and content types. Examples per operation are bounded (under a minute).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from support.api import ApiWorld, api_world
from support.request_logs import write_small_log
from warroom.cli.worker import job_worker
from warroom.domain.audience import Audience
from warroom.formats.customer_registry import read_registry_file
from warroom.formats.sla_policy import read_policy_file
from warroom.services import impact_runs, reports, sla
from warroom.store.database import Database

INC = "INC-2025-1108-001"
CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.status_code_conformance,
    checks.content_type_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    folder = tmp_path_factory.mktemp("fuzz")
    db = Database(f"sqlite:///{folder / 'warroom.db'}")
    db.migrate()
    write_small_log(folder / "requests.parquet")
    with api_world(db, folder, requests=folder / "requests.parquet") as world:
        admin = world.context("Ada Admin")
        world.import_reference()
        impact_runs.start(admin, INC, world.client.app.state.warroom.sources, source="test")
        assert job_worker(admin, folder / "sources.yaml").run_one()
        policy = read_policy_file(folder / "policy.yaml")
        sla.assess_incident(
            admin,
            INC,
            policy=policy,
            customers=read_registry_file(folder / "customers.csv", policy=policy),
            policy_source="policy.yaml",
            customers_source="customers.csv",
        )
        sla.submit(admin, INC)
        reports.publish(admin, INC, Audience.INTERNAL)
        yield world
    db.dispose()


def test_it_never_fails_and_keeps_to_its_schema(fuzzed: ApiWorld) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.client.app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            if "incident_id" in (case.path_parameters or {}):
                case.path_parameters["incident_id"] = INC  # the incident that exists
            case.call_and_validate(headers=fuzzed.headers("Ada Admin"), checks=CHECKS)

        try:
            exercise()
        except Exception as failure:  # every operation is tried; all failures reported
            failures.append(f"{operation.label}: {failure}")
    assert failures == [], "\n\n".join(failures)
