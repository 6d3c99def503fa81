"""`warroom contacts ...`, `warroom notify ...`, `warroom maintenance ...` and the worker
delivering the outbox, as a person runs them."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from support.cli_world import POLICY, cli_with_reference_incident
from support.mail import mail_server

INC = "INC-2025-1108-001"
REGISTRY = """customer_id,name,tier,monthly_fee,currency,regions,contact_email,webhook_url
C1,Acme,enterprise,10000.00,USD,,ops@acme.example;cfo@acme.example,
C2,Beta,business,2000.00,USD,eu-west,,https://hooks.beta.example/warroom
"""


@pytest.fixture
def warroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "customers.csv").write_text(REGISTRY)
    call = cli_with_reference_incident(tmp_path, monkeypatch, capsys)
    call("user", "add", "Lee Legal", "--role", "legal")
    call("user", "add", "Fay Finance", "--role", "finance")
    code, _, err = call(
        "sla",
        "assess",
        INC,
        "--customers",
        tmp_path / "customers.csv",
        "--policy",
        tmp_path / "policy.yaml",
        "--submit",
    )
    assert code == 0, err
    return call


def approve(warroom) -> None:
    assert warroom("--as", "Lee Legal", "sla", "approve", INC, "--role", "legal")[0] == 0
    assert warroom("--as", "Fay Finance", "sla", "approve", INC, "--role", "finance")[0] == 0


def test_contacts_load_from_the_registry_and_webhooks_get_a_secret(warroom, tmp_path: Path) -> None:
    code, out, err = warroom("contacts", "load", tmp_path / "customers.csv")
    assert code == 0, err
    assert "2 added" in out and "1 webhook(s) got a signing secret" in out
    code, out, _ = warroom("contacts", "secret", "C2")
    secret = out.strip()
    assert code == 0 and secret.startswith("whsec_")
    assert warroom("contacts", "secret", "C2", "--rotate")[1].strip() != secret
    code, _, err = warroom("contacts", "secret", "C1")
    assert code == 1 and "no webhook" in err
    listed = json.loads(warroom("contacts", "list", "--json")[1])
    assert listed[0]["emails"] == ["ops@acme.example", "cfo@acme.example"]
    assert "whsec" not in json.dumps(listed)


def test_a_bad_contact_is_refused_with_its_line(warroom, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(REGISTRY.replace("cfo@acme.example", "cfo@acme"))
    code, _, err = warroom("contacts", "load", bad)
    assert code == 1 and "line 2" in err and "contact_email" in err and "cfo@acme" in err


def test_contacts_load_streams_a_registry_from_parquet_in_batches(warroom, tmp_path: Path) -> None:
    """A registry of more than one batch, kept as Parquet: every contact loads; a bad
    address anywhere (the last row here) refuses the whole load, with its row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from warroom.formats.customer_registry import BATCH

    count = BATCH + 2_500
    ids = [f"C{n:06d}" for n in range(count)]
    table = {
        "customer_id": ids,
        "name": [f"Customer {n}" for n in range(count)],
        "tier": ["business"] * count,
        "monthly_fee": ["100.00"] * count,
        "currency": ["USD"] * count,
        "regions": [""] * count,
        "contact_email": [f"ops@{i.lower()}.example" for i in ids],
    }
    pq.write_table(pa.table(table), tmp_path / "registry.parquet")
    code, out, err = warroom("contacts", "load", tmp_path / "registry.parquet", "--replace")
    assert code == 0, err
    assert f"{count} added" in out
    listed = json.loads(warroom("contacts", "list", "--json")[1])
    assert len(listed) == count and listed[-1]["emails"] == [f"ops@{ids[-1].lower()}.example"]
    table["contact_email"][-1] = "nobody@"
    pq.write_table(pa.table(table), tmp_path / "bad.parquet")
    code, _, err = warroom("contacts", "load", tmp_path / "bad.parquet")
    assert code == 1 and f"line {count}" in err and "contact_email" in err
    # nothing of the refused load was stored
    assert json.loads(warroom("contacts", "list", "--json")[1])[-1]["emails"] == [
        f"ops@{ids[-1].lower()}.example"
    ]


def test_notices_are_refused_before_approval_and_previewed_in_a_dry_run(
    warroom, tmp_path: Path
) -> None:
    warroom("contacts", "load", tmp_path / "customers.csv")
    code, _, err = warroom("notify", INC, "--audience", "customer")
    assert code == 1 and "not approved" in err
    code, _, err = warroom("notify", INC, "--audience", "public")
    assert code == 1 and "status-page subscriptions" in err
    approve(warroom)
    folder = tmp_path / "preview"
    code, out, err = warroom("notify", INC, "--audience", "customer", "--dry-run", "-o", folder)
    assert code == 0, err
    assert "wrote 2 message(s)" in out and "nothing was sent" in out
    assert sorted(p.name for p in folder.iterdir()) == ["C1.eml", "C2.webhook.json"]
    message = email.message_from_bytes(
        (folder / "C1.eml").read_bytes(), policy=email.policy.default
    )
    assert message["To"] == "ops@acme.example, cfo@acme.example"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Acme" in text and "Beta" not in text and "1,000.00" in text
    hook = json.loads((folder / "C2.webhook.json").read_text())
    assert hook["url"] == "https://hooks.beta.example/warroom"
    assert hook["body"]["report"]["customer"]["credit"]["amount"] == "100.00"
    code, _, err = warroom("notify", INC, "--audience", "customer", "--dry-run", "-o", folder)
    assert code == 1 and "not an empty folder" in err
    assert "has no customer notices yet" in warroom("notify", "status", INC)[1]


def test_notices_go_out_through_the_worker(
    warroom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "emails.csv").write_text(
        REGISTRY.replace(",,https://hooks.beta.example/warroom", ",it@beta.example,")
    )
    warroom("contacts", "load", tmp_path / "emails.csv")
    approve(warroom)
    code, out, err = warroom("notify", INC, "--audience", "customer")
    assert code == 0, err
    assert "queued 2 notice message(s) for 2 customer(s)" in out
    assert "WARROOM_SMTP_URL is not set here" in err
    with mail_server() as server:
        monkeypatch.setenv("WARROOM_SMTP_URL", server.url)
        monkeypatch.setenv("WARROOM_MAIL_FROM", "status@example.com")
        code, _, err = warroom("worker", "--until-idle")
        assert code == 0 and "2 message(s) handed" in err
    assert sorted(m.recipients[0] for m in server.messages) == [
        "it@beta.example",
        "ops@acme.example",
    ]
    code, out, _ = warroom("notify", "status", INC)
    assert code == 0 and "2 sent" in out
    assert json.loads(warroom("notify", "outbox", "--json")[1])["sent"] == 2
    assert "0 notice message(s) queued again" in warroom("notify", "retry", INC)[1]


def test_maintenance_is_scheduled_listed_and_announced(warroom) -> None:
    code, out, err = warroom(
        "maintenance",
        "schedule",
        "--start",
        "2030-01-10T02:00:00Z",
        "--end",
        "2030-01-10T04:00:00Z",
        "--title",
        "Database upgrade",
        "--services",
        "db,api",
        "--json",
    )
    assert code == 0, err
    record = json.loads(out)
    assert (record["state"], record["services"], record["regions"]) == (
        "scheduled",
        ["db", "api"],
        None,
    )
    code, out, _ = warroom("maintenance", "announce", str(record["id"]))
    assert code == 0 and "announced" in out
    code, out, _ = warroom("maintenance", "list", "--json")
    assert [(r["title"], r["state"]) for r in json.loads(out)] == [
        ("Database upgrade", "announced")
    ]
    code, _, err = warroom(
        "maintenance",
        "schedule",
        "--start",
        "2030-01-10T02:00:00Z",
        "--end",
        "2030-01-10T01:00:00Z",
        "--title",
        "Backwards",
    )
    assert code == 1 and "before it starts" in err
    code, _, err = warroom(
        "maintenance",
        "schedule",
        "--start",
        "2030-01-10T02:00:00Z",
        "--end",
        "2030-01-10T03:00:00Z",
        "--title",
        "Later",
        "--announced-at",
        "2031-01-01T00:00:00Z",
    )
    assert code == 1 and "future" in err
    assert warroom("maintenance", "cancel", str(record["id"]))[0] == 0
    assert warroom("maintenance", "cancel", str(record["id"]))[0] == 1
