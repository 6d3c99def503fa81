"""Benchmark: customer notices rendered and delivered to an SMTP server on the loopback.

    python benchmarks/notify_bench.py [--customers 1000,10000] [--markdown]

For each size it fills a scratch SQLite database with the reference incident (347
minutes, every region), that many customers (each with a contact email), an approved
SLA assessment and the customers' contacts; starts an aiosmtpd server in its own process
that counts what it receives; then, as people would, runs `warroom notify INC --audience
customer` and `warroom worker` side by side, each its own process, and times from the
start of `notify` until the server holds every notice. In the same run it measures:

- floor     plain `smtplib` sending the same number of ready-made messages over one
            connection to the same server: the transport's ceiling on this machine;
- render    building and rendering the notices alone (`notices.drafts`, once the
            assessment was read), no database writes and no sending.

It prints messages per second (target: at least 200), the time `notify` took to render
and queue them all, and the peak memory (VmHWM) of the `notify` and `worker` processes,
which should stay flat as the customers grow tenfold. It checks that every customer got
exactly one notice.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import smtplib
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INC = "INC-2025-1108-001"
TARGET = 200.0

SINK = textwrap.dedent("""
    import signal, sys, threading
    from aiosmtpd.controller import Controller
    count = [0]
    recipients = {}
    class Handler:
        async def handle_DATA(self, server, session, envelope):
            count[0] += 1
            key = ",".join(envelope.rcpt_tos)
            recipients[key] = recipients.get(key, 0) + 1
            return "250 OK"
    controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    while not done.wait(0.05):
        print(count[0], flush=True)
    controller.stop()
    twice = sum(1 for n in recipients.values() if n > 1)
    print(f"end {count[0]} {len(recipients)} {twice}", flush=True)
""")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(url: str, customers: int) -> None:
    """The reference incident, `customers` customers with contacts, assessed and approved."""
    from warroom.domain.assessment import ReviewRole
    from warroom.domain.contacts import Contact
    from warroom.domain.customers import Customer
    from warroom.formats.incident_file import read_incident_text
    from warroom.formats.sla_policy import read_policy_text
    from warroom.services import contacts, incidents, sla
    from warroom.services.context import Context
    from warroom.store import users
    from warroom.store.database import Database

    db = Database(url)
    db.migrate()
    with db.transaction() as conn:
        for name, roles in (
            ("Ada Admin", ("admin",)),
            ("Lee Legal", ("legal",)),
            ("Fay Finance", ("finance",)),
        ):
            users.add(conn, name, roles, now=datetime.now(UTC))
    admin = Context(db=db, actor="Ada Admin")
    incidents.import_incidents(
        admin,
        read_incident_text((ROOT / "tests" / "fixtures" / "reference-incident.yaml").read_text()),
    )
    policy = read_policy_text("""
        currency: USD
        claims: {deadline_days: 30}
        tiers:
          enterprise: {uptime_target: 99.95, credits: [{below: 99.95, percent: 10}]}
          business: {uptime_target: 99.9, credits: [{below: 99.9, percent: 5}]}
    """)
    registry = [
        Customer(
            f"C{n:05d}",
            f"Customer {n:05d} Ltd",
            "enterprise" if n % 7 == 0 else "business",
            Decimal(500 + (n * 37) % 9000),
            "USD",
        )
        for n in range(1, customers + 1)
    ]
    sla.assess_incident(
        admin,
        INC,
        policy=policy,
        customers=registry,
        policy_source="policy.yaml",
        customers_source="customers.csv",
    )
    sla.submit(admin, INC)
    sla.approve(Context(db=db, actor="Lee Legal"), INC, role=ReviewRole.LEGAL)
    sla.approve(Context(db=db, actor="Fay Finance"), INC, role=ReviewRole.FINANCE)
    contacts.load_contacts(
        admin,
        [Contact(c.customer_id, (f"ops@{c.customer_id.lower()}.example",)) for c in registry],
        source="customers.csv",
    )
    db.dispose()


class Peak:
    """The high-water mark of a process's resident memory (VmHWM), polled."""

    def __init__(self, pid: int) -> None:
        self.pid, self.kib = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.kib = max(self.kib, int(line.split()[1]))
            except (OSError, ValueError):
                return
            self._stop.wait(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.kib / 1024


def run_size(customers: int, folder: Path) -> dict[str, float]:
    url = f"sqlite:///{folder / f'notify-{customers}.db'}"
    started = time.perf_counter()
    fill(url, customers)
    print(
        f"{customers:,} customers: database filled in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    received = [0]

    def follow() -> None:
        assert sink.stdout is not None
        for line in sink.stdout:
            if line.startswith("end"):
                received.append(line)  # type: ignore[arg-type]
                return
            received[0] = int(line)

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": url,
        "WARROOM_USER": "Ada Admin",
        "WARROOM_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "WARROOM_LOG_FORMAT": "text",
        "WARROOM_MAIL_FROM": "status@example.com",
    }
    command = [sys.executable, "-m", "warroom"]
    t0 = time.perf_counter()
    worker = subprocess.Popen(
        [*command, "worker", "--poll", "0.1"], env=env, stderr=subprocess.DEVNULL
    )
    notify = subprocess.Popen(
        [*command, "notify", INC, "--audience", "customer"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peaks = Peak(notify.pid), Peak(worker.pid)
    _, err = notify.communicate()
    queued = time.perf_counter() - t0
    assert notify.returncode == 0, err
    notify_mib = peaks[0].stop()
    deadline = time.monotonic() + 600
    while received[0] < customers and time.monotonic() < deadline:
        time.sleep(0.01)
    delivered = time.perf_counter() - t0
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)
    worker_mib = peaks[1].stop()
    sink.send_signal(signal.SIGTERM)
    sink.wait(timeout=60)
    reader.join(timeout=10)
    _, count, distinct, twice = str(received[-1]).split()
    assert int(count) == int(distinct) == customers and twice == "0", received[-1]
    floor = smtp_floor(customers)
    render = render_rate(url, min(customers, 2000))
    return {
        "customers": customers,
        "queued_s": queued,
        "delivered_s": delivered,
        "rate": customers / delivered,
        "notify_mib": notify_mib,
        "worker_mib": worker_mib,
        "floor": floor,
        "render": render,
    }


def smtp_floor(count: int) -> float:
    """Messages per second of plain smtplib over one connection, to a fresh sink."""
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    data = b"Subject: Incident notice\r\n\r\n" + (b"x" * 74 + b"\r\n") * 110  # ~8 KB
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            smtp.sendmail("status@example.com", [f"ops@c{n:05d}.example"], data)
    elapsed = time.perf_counter() - started
    sink.send_signal(signal.SIGTERM)
    sink.communicate(timeout=60)
    return count / elapsed


def render_rate(url: str, count: int) -> float:
    """Notices built and rendered per second, in this process, no writes."""
    from itertools import islice

    from warroom.services import notices
    from warroom.services.context import Context
    from warroom.store.database import Database

    db = Database(url)
    ctx = Context(db=db, actor="Ada Admin")
    list(islice(notices.drafts(ctx, INC), 20))  # templates compiled, modules loaded
    drafts = notices.drafts(ctx, INC)
    next(drafts)  # the assessment read and recomputed once: not what is timed here
    started = time.perf_counter()
    done = sum(1 for _ in islice(drafts, count))
    elapsed = time.perf_counter() - started
    db.dispose()
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--customers", default="1000,10000", help="comma-separated sizes (default 1000,10000)"
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="warroom-notify-bench-"))
    results = [run_size(int(n), folder) for n in args.customers.split(",")]
    print(
        f"\nCustomer notices to an SMTP server on the loopback (SQLite); Python "
        f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores"
    )
    header = (
        "customers",
        "notify s",
        "all delivered s",
        "messages/s",
        "vs 200/s",
        "floor: smtplib msg/s",
        "render only msg/s",
        "notify peak",
        "worker peak",
    )
    rows = [
        (
            f"{r['customers']:,.0f}",
            f"{r['queued_s']:.1f}",
            f"{r['delivered_s']:.1f}",
            f"{r['rate']:.0f}",
            "meets" if r["rate"] >= TARGET else "misses",
            f"{r['floor']:.0f}",
            f"{r['render']:.0f}",
            f"{r['notify_mib']:.0f} MiB",
            f"{r['worker_mib']:.0f} MiB",
        )
        for r in results
    ]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join("---:" for _ in header) + " |")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
