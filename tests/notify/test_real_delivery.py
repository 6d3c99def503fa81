"""The demo's 847 notices delivered for real: `warroom notify` and `warroom worker` (its
own process) against a real SMTP server on the loopback (aiosmtpd) and a webhook
receiver that verifies every signature.

- nothing is queued or sent before legal and finance approve;
- once approved, every affected customer gets exactly one email, holding its own name
  and its own credit and no other customer's name or amount; running everything again
  sends nothing more;
- the worker killed mid-batch (SIGKILL, after the server took a message and before the
  worker heard the 250) and restarted delivers the rest: still exactly one each; the
  message in flight is marked uncertain, not sent again;
- a server that answers 451 twice, then accepts, gets the notice on the third try;
- a voided approval stops the notices still pending;
- customers' webhooks arrive signed with their own secret.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from support.demo import DemoData, maintenance_args
from support.mail import Received, mail_server, webhook_receiver
from support.warroom_cli import Warroom

INC = "INC-2025-1108-001"
LEGAL, FINANCE = "Laura Legal", "Fred Finance"
MONEY = re.compile(r"\$\s*(\d[\d,]*\.\d\d)")


@dataclass(frozen=True)
class Demo:
    folder: Path
    pending: Warroom  # assessed and submitted, contacts loaded, not approved
    approved: Warroom  # ... and approved by legal and finance
    customers: dict[str, dict[str, str]]  # customers.csv by ID
    credits: dict[str, Decimal]  # the approved credits, by customer (those owed one)


@pytest.fixture(scope="module")
def demo(demo_data: DemoData, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = demo_data.folder
    base = tmp_path_factory.mktemp("notify")
    pending = Warroom(base / "pending.db")
    pending.ok("init")
    pending.ok("user", "roles", "Jane Doe", "--role", "commander", "--role", "admin")
    pending.ok("user", "add", LEGAL, "--role", "legal")
    pending.ok("user", "add", FINANCE, "--role", "finance")
    pending.ok("incident", "import", folder / "incident.yaml")
    pending.ok(*maintenance_args())
    pending.ok(
        "impact",
        INC,
        "--requests",
        folder / "requests.parquet",
        "--customers",
        folder / "customers.csv",
        "--policy",
        folder / "sla-policy.yaml",
    )
    pending.ok(
        "sla",
        "assess",
        INC,
        "--customers",
        folder / "customers.csv",
        "--policy",
        folder / "sla-policy.yaml",
        "--submit",
    )
    pending.ok("contacts", "load", folder / "customers.csv")
    approved = pending.copy(base / "approved.db")
    approved.ok("--as", LEGAL, "sla", "approve", INC, "--role", "legal")
    approved.ok("--as", FINANCE, "sla", "approve", INC, "--role", "finance")
    approved.ok("sla", "export-credits", INC, "-o", base / "credits.csv")
    with (base / "credits.csv").open(newline="", encoding="utf-8") as f:
        credits = {row["customer_id"]: Decimal(row["credit_amount"]) for row in csv.DictReader(f)}
    with (folder / "customers.csv").open(newline="", encoding="utf-8") as f:
        customers = {row["customer_id"]: row for row in csv.DictReader(f)}
    return Demo(folder, pending, approved, customers, credits)


def mail_env(port: int, **more: str) -> dict[str, str]:
    return {
        "WARROOM_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "WARROOM_MAIL_FROM": "status@example.com",
        "WARROOM_NOTIFY_TIMEOUT_SECONDS": "1",
        **more,
    }


def customer_of(demo: Demo, message: Received) -> str:
    """The customer a message was sent to, by its envelope (its contact addresses)."""
    found = [
        cid
        for cid, row in demo.customers.items()
        if sorted(row["contact_email"].split(";")) == sorted(message.recipients)
    ]
    assert len(found) == 1, message.recipients
    return found[0]


def check_only_its_own(demo: Demo, messages: list[Received]) -> None:
    """Each message names its customer and carries its credit, and no other's name or
    amount."""
    names = {cid: row["name"] for cid, row in demo.customers.items()}
    any_name = re.compile(r"\b(" + "|".join(re.escape(n) for n in names.values()) + r")\b")
    any_id = re.compile(r"\bC\d{4}\b")
    for message in messages:
        own = customer_of(demo, message)
        for text in (message.text(), message.html() or ""):
            flat = text.replace("\\", "")
            assert set(any_name.findall(flat)) == {names[own]}, own
            assert set(any_id.findall(flat)) == {own}, own
            amounts = {Decimal(m.replace(",", "")) for m in MONEY.findall(flat)}
            owed = demo.credits.get(own)  # none: no credit, and no amount shown
            assert amounts == ({owed} if owed else set()), (own, amounts)


def test_nothing_is_queued_or_sent_before_approval(demo: Demo, tmp_path: Path) -> None:
    warroom = demo.pending.copy(tmp_path / "pending.db")
    refused = warroom("notify", INC, "--audience", "customer")
    assert refused.code == 1 and "not approved" in refused.err
    with mail_server() as server:
        warroom.worker(**mail_env(server.port))
    assert server.messages == []
    assert "has no customer notices yet" in warroom.ok("notify", "status", INC)


def test_every_customer_gets_exactly_one_notice_with_its_own_credit(
    demo: Demo, tmp_path: Path
) -> None:
    warroom = demo.approved.copy(tmp_path / "approved.db")
    queued = warroom("notify", INC, "--audience", "customer", "--json").json()
    assert (queued["messages"], queued["customers"]) == (847, 847)
    with mail_server() as server:
        warroom.worker(**mail_env(server.port))
        assert len(server.messages) == 847
        assert (
            warroom("notify", INC, "--audience", "customer", "--json").json()["messages"] == 0
        )  # asked again: nothing new
        warroom.worker(**mail_env(server.port))
    assert Counter(customer_of(demo, m) for m in server.messages) == Counter(
        dict.fromkeys(demo.customers, 1)
    )
    check_only_its_own(demo, server.messages)
    status = warroom("notify", "status", INC, "--json").json()
    assert status["customers"]["sent"] == 847 and status["customers"]["pending"] == 0
    first = server.messages[0].message
    assert (
        first["Subject"] == f"Incident notice: Service disruption - primary database "
        f"cluster ({INC})"
    )
    assert first["From"] == "status@example.com" and first["Message-ID"].endswith("@warroom>")


def test_the_worker_killed_mid_batch_delivers_the_rest_once(demo: Demo, tmp_path: Path) -> None:
    warroom = demo.approved.copy(tmp_path / "killed.db")
    warroom.ok("notify", INC, "--audience", "customer")
    worker: list[int] = []

    def kill_at_the_hundredth(message: Received) -> None:
        # the server has the message; the worker has not heard the 250 yet
        if len(server.messages) == 100:
            os.kill(worker[0], signal.SIGKILL)

    with mail_server(on_message=kill_at_the_hundredth) as server:
        first = warroom.process("worker", "--until-idle", "--poll", "0.1", **mail_env(server.port))
        worker.append(first.pid)
        first.communicate(timeout=300)
        assert first.returncode == -signal.SIGKILL
        assert len(server.messages) == 100
        time.sleep(3.5)  # the lease of the message in flight (2 x 1 s + 1 s) runs out
        warroom.worker(**mail_env(server.port))
    counts = Counter(customer_of(demo, m) for m in server.messages)
    assert len(server.messages) == 847 and set(counts.values()) == {1}
    status = warroom("notify", "status", INC, "--json").json()
    assert status["customers"]["sent"] == 846 and status["customers"]["uncertain"] == 1
    uncertain = next(m for m in status["data"] if m["state"] == "uncertain")
    assert counts[uncertain["customer_id"]] == 1  # it arrived, and only once
    assert "stopped while sending" in uncertain["last_error"]


def test_a_refusing_server_gets_the_notice_after_retries(demo: Demo, tmp_path: Path) -> None:
    warroom = demo.approved.copy(tmp_path / "retries.db")
    warroom.ok("notify", INC, "--audience", "customer", "--customer", "C0007")
    with mail_server(refuse_next=2) as server:
        warroom.worker(**mail_env(server.port, WARROOM_NOTIFY_BACKOFF_SECONDS="0"))
    assert server.refused == 2 and len(server.messages) == 1
    (row,) = warroom("notify", "status", INC, "--json").json()["data"]
    assert (row["state"], row["attempts"]) == ("sent", 3)


def test_a_voided_approval_stops_pending_notices(demo: Demo, tmp_path: Path) -> None:
    warroom = demo.approved.copy(tmp_path / "voided.db")
    warroom.ok("notify", INC, "--audience", "customer")
    policy = yaml.safe_load((demo.folder / "sla-policy.yaml").read_text())
    policy["claims"]["deadline_days"] = 45
    (tmp_path / "policy-v2.yaml").write_text(yaml.safe_dump(policy))
    warroom.ok(
        "sla",
        "assess",
        INC,
        "--customers",
        demo.folder / "customers.csv",
        "--policy",
        tmp_path / "policy-v2.yaml",
    )
    with mail_server() as server:
        warroom.worker(**mail_env(server.port))
    assert server.messages == []
    status = warroom("notify", "status", INC, "--json").json()
    assert status["customers"]["cancelled"] == 847


def test_customers_webhooks_arrive_signed_with_their_own_secret(demo: Demo, tmp_path: Path) -> None:
    warroom = demo.approved.copy(tmp_path / "webhooks.db")
    with webhook_receiver() as receiver:
        registry = tmp_path / "customers.csv"
        with (demo.folder / "customers.csv").open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        with registry.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, [*rows[0], "webhook_url"])
            writer.writeheader()
            for row in rows:
                hooked = row["customer_id"] in ("C0001", "C0002")
                writer.writerow(
                    {
                        **row,
                        "contact_email": "" if hooked else row["contact_email"],
                        "webhook_url": receiver.url(f"/{row['customer_id']}") if hooked else "",
                    }
                )
        warroom.ok("contacts", "load", registry)
        for customer in ("C0001", "C0002"):
            receiver.secrets[f"/{customer}"] = warroom.ok("contacts", "secret", customer).strip()
        for customer in ("C0001", "C0002"):
            warroom.ok("notify", INC, "--audience", "customer", "--customer", customer)
        warroom.worker(**mail_env(1))
    assert sorted(d.path for d in receiver.deliveries) == ["/C0001", "/C0002"]
    assert all(d.verified for d in receiver.deliveries)
    for delivery in receiver.deliveries:
        body = delivery.json
        own = delivery.path.strip("/")
        assert body["customer_id"] == own
        assert Decimal(body["report"]["customer"]["credit"]["amount"]) == demo.credits[own]
        assert delivery.headers["Warroom-Delivery"] == body["delivery"]
