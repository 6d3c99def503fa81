"""The misuse the trust model must refuse, tried from the CLI as a hostile user would."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from support.cli_world import POLICY, REGISTRY, Call, cli_with_reference_incident

INC = "INC-2025-1108-001"


@pytest.fixture
def warroom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Call:
    """The reference incident, made internal (visible to every registered person), assessed
    and submitted; Ada Admin ran `init` (first admin)."""
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "customers.csv").write_text(REGISTRY)
    call = cli_with_reference_incident(tmp_path, monkeypatch, capsys)
    for name, role in (
        ("Lee Legal", "legal"),
        ("Fay Finance", "finance"),
        ("Val Viewer", "viewer"),
        ("Riley Responder", "responder"),
    ):
        assert call("user", "add", name, "--role", role)[0] == 0
    assert call("incident", "update", INC, "--classification", "internal")[0] == 0
    assert (
        call(
            "sla",
            "assess",
            INC,
            "--customers",
            tmp_path / "customers.csv",
            "--policy",
            tmp_path / "policy.yaml",
            "--submit",
        )[0]
        == 0
    )
    return call


def test_it_has_no_option_to_approve_in_someone_elses_name(warroom: Call) -> None:
    code, _, err = warroom(
        "--as", "Mallory", "sla", "approve", INC, "--role", "legal", "--by", "Lee Legal"
    )
    assert code == 2 and "--by" in err  # the option does not exist


@pytest.mark.parametrize("person", ["Mallory", "Val Viewer", "Riley Responder", "Ada Admin"])
def test_only_legal_and_finance_people_approve(warroom: Call, tmp_path: Path, person: str) -> None:
    """The reproduction: `--as mallory sla approve --role legal --by lee` then `... finance
    --by fin` recorded two approvals and let 847 credits be exported."""
    for role in ("legal", "finance"):
        code, _, err = warroom("--as", person, "sla", "approve", INC, "--role", role)
        assert code == 3, err
        assert "not a registered user" in err or "may not review" in err
    code, _, err = warroom(
        "--as", "Fay Finance", "sla", "export-credits", INC, "-o", tmp_path / "credits.csv"
    )
    assert code == 1 and "not approved" in err and not (tmp_path / "credits.csv").exists()


@pytest.mark.parametrize("person", ["Mallory", "Val Viewer"])
def test_viewers_and_strangers_change_nothing(warroom: Call, tmp_path: Path, person: str) -> None:
    before = warroom("incident", "audit", INC, "--json")[1]
    attempts = [
        (
            "sla",
            "assess",
            INC,
            "--customers",
            tmp_path / "customers.csv",
            "--policy",
            tmp_path / "policy.yaml",
        ),
        ("incident", "update", INC, "--title", "Nothing happened"),
        ("event", "add", INC, "All fine, really"),
        ("incident", "declare", "Fake outage", "--severity", "SEV-1"),
        ("user", "add", person, "--role", "admin"),
    ]
    for attempt in attempts:
        code, _, err = warroom("--as", person, *attempt)
        assert code == 3, (attempt, err)
    assert warroom("incident", "audit", INC, "--json")[1] == before


def test_a_person_is_the_same_person_whatever_the_case(warroom: Call, tmp_path: Path) -> None:
    assert warroom("--as", "lee legal", "sla", "approve", INC, "--role", "legal")[0] == 0
    code, _, err = warroom("--as", "LEE LEGAL", "sla", "approve", INC, "--role", "finance")
    assert code == 3 and "finance role" in err  # not a second person in disguise
    assert warroom("--as", "fay  finance", "sla", "approve", INC, "--role", "finance")[0] == 0
    out = tmp_path / "credits.csv"
    assert warroom("--as", "Fay Finance", "sla", "export-credits", INC, "-o", out)[0] == 0
    rows = list(csv.DictReader(out.open()))
    assert {(r["approved_by_legal"], r["approved_by_finance"]) for r in rows} == {
        ("Lee Legal", "Fay Finance")
    }
    code, _, err = warroom("user", "add", "LEE LEGAL", "--role", "viewer")
    assert code == 1 and "Lee Legal is already registered" in err


def test_the_audit_log_records_the_login_behind_a_cli_command(warroom: Call) -> None:
    import getpass
    import json

    assert warroom("--as", "Riley Responder", "event", "add", INC, "Scribe note")[0] == 0
    entry = json.loads(warroom("incident", "audit", INC, "--json")[1])[-1]
    assert (entry["actor"], entry["action"]) == ("Riley Responder", "timeline.add")
    assert entry["channel"] == "cli" and entry["os_login"] == getpass.getuser()


def test_approvals_outside_authenticated_sessions_can_be_refused(
    warroom: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_AUTHENTICATED_APPROVALS", "true")
    code, _, err = warroom("--as", "Lee Legal", "sla", "approve", INC, "--role", "legal")
    assert code == 3 and "authenticated sessions" in err
    monkeypatch.setenv("WARROOM_AUTHENTICATED_APPROVALS", "yes")
    code, _, err = warroom("--as", "Lee Legal", "sla", "approve", INC, "--role", "legal")
    assert code == 1 and "expected true or false" in err


def test_init_registers_the_first_admin_only_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from support.cli_world import cli

    monkeypatch.setenv("WARROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    call = cli(capsys)
    code, out, _ = call("--as", "Olga Owner", "init")
    assert code == 0 and "Registered Olga Owner as the first admin" in out
    code, out, _ = call("--as", "Mallory", "init")
    assert code == 0 and "Registered" not in out
    code, out, _ = call("--as", "Olga Owner", "user", "list")
    assert "Olga Owner" in out and "Mallory" not in out
