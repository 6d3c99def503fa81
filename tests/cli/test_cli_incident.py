"""`warroom init`, `incident ...`, `event add`, `action ...` and `metrics`, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warroom.cli.app import run

FIXTURES = Path(__file__).parent.parent / "fixtures"
REFERENCE = FIXTURES / "reference-incident.yaml"


@pytest.fixture
def warroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run the CLI in-process against a fresh SQLite file; returns (exit code, out, err)."""
    monkeypatch.setenv("WARROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("WARROOM_USER", "Riley Responder")
    monkeypatch.setenv("COLUMNS", "200")

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    assert call("init")[0] == 0
    return call


def test_it_shows_the_reference_metrics_as_json(warroom) -> None:
    assert warroom("incident", "import", REFERENCE)[0] == 0
    code, out, _ = warroom("incident", "show", "INC-2025-1108-001", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["metrics"]["duration_minutes"] == 347
    assert data["metrics"]["time_to_declare_minutes"] == 6
    assert data["metrics"]["time_to_identify_minutes"] == 28
    assert data["metrics"]["time_to_detect_minutes"] == 17
    assert data["metrics"]["time_to_mitigate_minutes"] == 283
    assert data["metrics"]["time_to_resolve_minutes"] == 347
    assert data["impact_window"] == {
        "start": "2025-11-08T14:02:00Z",
        "end": "2025-11-08T19:49:00Z",
        "minutes": 347,
    }
    assert data["metrics"]["impact_window"] == data["impact_window"]
    assert data["commander"] == "Jane Doe"
    assert data["timeline"][0]["at"] == "2025-11-08T13:45:00Z"


def test_it_gives_null_for_metrics_it_cannot_compute(warroom) -> None:
    warroom(
        "incident",
        "declare",
        "Search is slow",
        "--severity",
        "SEV-3",
        "--detected-at",
        "2025-11-08T09:00:00Z",
    )
    _code, out, _ = warroom("incident", "show", "INC-2025-1108-001", "--json")
    metrics = json.loads(out)["metrics"]
    assert metrics["duration_minutes"] is None
    assert metrics["time_to_detect_minutes"] is None
    assert metrics["time_to_identify_minutes"] is None
    assert json.loads(out)["impact_window"] is None


def test_it_refuses_a_malformed_file_and_leaves_the_database_unchanged(
    warroom, tmp_path: Path
) -> None:
    warroom("incident", "import", REFERENCE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        REFERENCE.read_text()
        .replace("INC-2025-1108-001", "INC-2025-1109-001")
        .replace("kind: identified", "kind: exploded")
        .replace("2025-11-08T14:02:00Z", "2025-11-08T14:02:00")
    )
    code, _out, err = warroom("incident", "import", bad)
    assert code == 1
    assert "bad.yaml, line 10, timeline[1].at" in err
    assert "has no UTC offset" in err
    assert "bad.yaml, line 12, timeline[3].kind: unknown value 'exploded'" in err
    assert "Traceback" not in err
    _, listing, _ = warroom("incident", "list", "--json")
    assert [i["id"] for i in json.loads(listing)["data"]] == ["INC-2025-1108-001"]


def test_it_refuses_a_duplicate_id_on_import(warroom) -> None:
    warroom("incident", "import", REFERENCE)
    code, _, err = warroom("incident", "import", REFERENCE)
    assert code == 1
    assert "line 1, id: incident INC-2025-1108-001 already exists" in err


def test_it_prints_errors_as_json_when_asked(warroom) -> None:
    code, _, err = warroom("incident", "show", "INC-2099-0101-001", "--json")
    assert code == 1
    envelope = json.loads(err)
    assert envelope["ok"] is False
    assert envelope["code"] == "not_found"
    assert envelope["errors"][0]["message"] == "no incident INC-2099-0101-001"


def test_it_exports_what_it_imported_exactly(warroom, tmp_path: Path) -> None:
    warroom("incident", "import", REFERENCE)
    first = tmp_path / "first.yaml"
    assert warroom("incident", "export", "INC-2025-1108-001", "-o", first)[0] == 0
    fresh = tmp_path / "fresh.db"
    assert run(["--database", f"sqlite:///{fresh}", "init"]) == 0
    assert run(["--database", f"sqlite:///{fresh}", "incident", "import", str(first)]) == 0
    second = tmp_path / "second.yaml"
    assert (
        run(["--database", f"sqlite:///{fresh}", "incident", "export", "--all", "-o", str(second)])
        == 0
    )
    assert first.read_text() == second.read_text()
    _code, out, _ = warroom("incident", "export", "INC-2025-1108-001", "--format", "json")
    assert json.loads(out)["timeline"][5]["kind"] == "resolved"


def test_it_drives_an_incident_from_declaration_to_close(warroom) -> None:
    code, out, _ = warroom(
        "incident",
        "declare",
        "Checkout errors",
        "-s",
        "SEV-2",
        "--commander",
        "Jane Doe",
        "--detected-at",
        "2025-11-08T14:02:00Z",
        "--regions",
        "eu-west",
    )
    assert code == 0 and "INC-2025-1108-001" in out
    steps = [
        (
            "event",
            "add",
            "INC-2025-1108-001",
            "Customer impact confirmed",
            "--kind",
            "update",
            "--at",
            "2025-11-08T14:15:00Z",
            "--audience",
            "public",
        ),
        (
            "incident",
            "status",
            "INC-2025-1108-001",
            "identified",
            "-m",
            "Bad deploy",
            "--at",
            "2025-11-08T14:30:00Z",
        ),
        ("incident", "assign", "INC-2025-1108-001", "Sam Scribe", "--role", "scribe"),
        (
            "action",
            "add",
            "INC-2025-1108-001",
            "Canary deploys",
            "--owner",
            "Ana",
            "--due",
            "2025-12-15",
        ),
        ("action", "update", "INC-2025-1108-001", "1", "--status", "done"),
        ("incident", "status", "INC-2025-1108-001", "resolved", "--at", "2025-11-08T15:02:00Z"),
        ("incident", "status", "INC-2025-1108-001", "closed"),
    ]
    for step in steps:
        code, _, err = warroom(*step)
        assert code == 0, (step, err)
    data = json.loads(warroom("incident", "show", "INC-2025-1108-001", "--json")[1])
    assert data["status"] == "closed"
    assert data["roles"] == {"commander": "Jane Doe", "scribe": "Sam Scribe"}
    assert data["scope"] == {"regions": ["eu-west"], "services": None}
    assert data["actions"][0]["status"] == "done"
    assert data["metrics"]["duration_minutes"] == 60
    assert data["metrics"]["time_to_identify_minutes"] == 28
    public = [e["text"] for e in data["timeline"] if e["audience"] == "public"]
    assert public == ["Customer impact confirmed"]
    code, out, _ = warroom("incident", "audit", "INC-2025-1108-001", "--json")
    actions = [e["action"] for e in json.loads(out)]
    assert actions[0] == "incident.declare" and actions.count("incident.status") == 3


def test_it_refuses_an_illegal_status_change(warroom) -> None:
    warroom("incident", "declare", "Checkout errors", "-s", "SEV-2")
    code, _, err = warroom("incident", "status", "INC-" + "x", "closed")
    assert code == 1 and "no incident" in err
    _, out, _ = warroom("incident", "list", "--json")
    incident_id = json.loads(out)["data"][0]["id"]
    code, _, err = warroom("incident", "status", incident_id, "closed")
    assert code == 1
    assert "cannot move an incident from investigating to closed" in err
    code, _, err = warroom("incident", "status", incident_id, "exploded")
    assert code == 1 and "unknown status 'exploded'" in err


def test_it_refuses_naive_times_on_the_command_line(warroom) -> None:
    code, _, err = warroom(
        "incident", "declare", "x", "-s", "SEV-2", "--detected-at", "2025-11-08 14:02"
    )
    assert code == 1 and "has no UTC offset" in err
    assert json.loads(warroom("incident", "list", "--json")[1])["count"] == 0


def test_it_summarises_metrics_across_incidents(warroom) -> None:
    warroom("incident", "import", REFERENCE)
    code, out, _ = warroom("metrics", "--since", "2025-11-01", "--until", "2025-11-30", "--json")
    assert code == 0
    groups = {g["severity"]: g for g in json.loads(out)["groups"]}
    assert groups["SEV-1"]["time_to_resolve"] == {
        "count": 1,
        "median_minutes": 347,
        "p90_minutes": 347,
    }
    code, out, _ = warroom("metrics", "INC-2025-1108-001")
    assert code == 0 and "5 h 47 min" in out


def test_it_asks_for_init_on_a_new_database(tmp_path: Path, capsys) -> None:
    code = run(["--database", f"sqlite:///{tmp_path / 'new.db'}", "incident", "list"])
    assert code == 4  # the database is not ready (docs/security.md, exit codes)
    assert "run `warroom init`" in capsys.readouterr().err


def test_it_lists_incidents_a_page_at_a_time(warroom) -> None:
    for day in (10, 11, 12):
        code, _, err = warroom(
            "incident",
            "declare",
            f"Outage on the {day}th",
            "-s",
            "SEV-3",
            "--detected-at",
            f"2025-11-{day}T09:00:00Z",
        )
        assert code == 0, err
    code, out, _ = warroom("incident", "list", "--json", "--limit", "2")
    page = json.loads(out)
    assert (page["count"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [r["title"] for r in page["data"]] == ["Outage on the 12th", "Outage on the 11th"]
    code, out, _ = warroom("incident", "list", "--limit", "2")
    assert "Incidents 1-2 of 3; --offset 2 for the next page." in out
    code, out, _ = warroom("incident", "list", "--json", "--offset", "2")
    assert [r["title"] for r in json.loads(out)["data"]] == ["Outage on the 10th"]
