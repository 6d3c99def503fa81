"""/api/v1/incidents/{id}/sla: lines a page at a time, searched; credits as JSON pages or
one CSV streamed from the database; the assessment itself with a page of its lines."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from support.api import ApiWorld
from support.cli_world import REFERENCE_INCIDENT
from warroom.cli.app import run
from warroom.domain.assessment import ReviewRole
from warroom.domain.customers import Customer
from warroom.domain.incident import Classification
from warroom.formats.incident_file import read_incident_file
from warroom.formats.sla_policy import read_policy_file
from warroom.services import incidents, sla

D = Decimal
NAMES = ["Acme", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta"]


def assessed(world: ApiWorld, folder: Path, *, approved: bool = False) -> str:
    """The reference incident (made internal: every person reads it), assessed."""
    admin = world.context("Ada Admin")
    [parsed] = read_incident_file(REFERENCE_INCIDENT)
    parsed.incident.classification = Classification.INTERNAL
    incident_id = incidents.import_incidents(admin, [parsed])[0].id
    customers = [
        Customer(f"C{i}", name, "enterprise" if i % 2 else "business", D(1000 * (i + 1)), "USD")
        for i, name in enumerate(NAMES)
    ]
    sla.assess_incident(
        admin,
        incident_id,
        policy=read_policy_file(folder / "policy.yaml"),
        customers=customers,
        policy_source="policy.yaml",
        customers_source="customers",
    )
    if approved:
        sla.submit(admin, incident_id)
        sla.approve(world.context("Lee Legal"), incident_id, role=ReviewRole.LEGAL)
        sla.approve(world.context("Fay Finance"), incident_id, role=ReviewRole.FINANCE)
    return incident_id


@pytest.mark.postgres
def test_it_lists_lines_a_page_at_a_time_in_registry_order(
    any_world: ApiWorld, tmp_path: Path
) -> None:
    incident_id = assessed(any_world, tmp_path)
    base = f"/api/v1/incidents/{incident_id}/sla/lines"
    first = any_world.get(f"{base}?limit=3").json()
    second = any_world.get(f"{base}?limit=3&offset=3").json()
    assert (first["count"], first["limit"], first["offset"]) == (7, 3, 0)
    assert [r["name"] for r in first["data"] + second["data"]] == NAMES[:6]
    whole = any_world.get(f"/api/v1/incidents/{incident_id}/sla").json()
    assert first["data"] == whole["customers"][:3]  # the same line shape


@pytest.mark.postgres
def test_it_finds_lines_by_id_or_name_in_any_case(any_world: ApiWorld, tmp_path: Path) -> None:
    incident_id = assessed(any_world, tmp_path)
    base = f"/api/v1/incidents/{incident_id}/sla/lines"
    found = any_world.get(f"{base}?search=TA").json()
    assert [r["name"] for r in found["data"]] == ["Beta", "Delta", "Zeta", "Eta"]
    assert found["count"] == 4
    assert any_world.get(f"{base}?search=c3").json()["data"][0]["name"] == "Delta"
    assert any_world.get(f"{base}?search=%25").json()["count"] == 0  # % is a letter here


def test_a_viewer_sees_no_lines_before_approval(world: ApiWorld, tmp_path: Path) -> None:
    incident_id = assessed(world, tmp_path)
    response = world.get(f"/api/v1/incidents/{incident_id}/sla/lines", as_="Val Viewer")
    assert response.status_code == 403


def test_the_assessment_holds_the_page_of_lines_asked_for(world: ApiWorld, tmp_path: Path) -> None:
    incident_id = assessed(world, tmp_path)
    data = world.get(f"/api/v1/incidents/{incident_id}/sla?limit=2&offset=5").json()
    assert [r["name"] for r in data["customers"]] == NAMES[5:]
    assert (data["customers_count"], data["customers_offset"]) == (7, 5)
    assert (
        data["liability"] == world.get(f"/api/v1/incidents/{incident_id}/sla").json()["liability"]
    )


@pytest.mark.postgres
def test_it_pages_approved_credits_as_json_and_streams_them_as_csv(
    any_world: ApiWorld, tmp_path: Path
) -> None:
    incident_id = assessed(any_world, tmp_path, approved=True)
    base = f"/api/v1/incidents/{incident_id}/sla/credits"
    page = any_world.get(f"{base}?limit=2&offset=1", as_="Fay Finance").json()
    assert (page["count"], page["limit"], page["offset"]) == (7, 2, 1)
    assert [r["name"] for r in page["data"]] == NAMES[1:3]
    response = any_world.get(f"{base}?format=csv", as_="Fay Finance")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["name"] for r in rows] == NAMES
    assert rows[1]["credit_amount"] == page["data"][0]["credit_amount"]


def test_a_refused_csv_export_is_an_ordinary_error(world: ApiWorld, tmp_path: Path) -> None:
    incident_id = assessed(world, tmp_path)
    response = world.get(
        f"/api/v1/incidents/{incident_id}/sla/credits?format=csv", as_="Fay Finance"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_approved"


def test_sla_show_json_and_the_api_print_the_same(
    world: ApiWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    incident_id = assessed(world, tmp_path)
    monkeypatch.setenv("WARROOM_DATABASE_URL", world.db.url)
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    capsys.readouterr()
    assert run(["sla", "show", incident_id, "--json", "--offset", "2", "--limit", "3"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert world.get(f"/api/v1/incidents/{incident_id}/sla?offset=2&limit=3").json() == printed
