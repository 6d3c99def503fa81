"""The walk of issue 11 in a real browser (Debian's Chromium under Playwright), on the
demo data: declare → timeline entries → impact run on the demo log → assess → legal
approves → finance approves → the customer's report shows its credit and nothing else.
On the way a viewer's pages and the customer's report are scanned for amounts and other
customers' names, the status page for internal text, and a form posted without its CSRF
token is refused. Every page is kept as screenshots at 375 and 1280 px
(tests/support/outside.py: outside the source tree)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import Clock
from support.demo import DemoData
from support.outside import artifacts_folder
from support.people import PEOPLE, register_people
from support.web import (
    browser_sign_in,
    chromium,
    horizontal_overflow,
    live_server,
    screenshots,
    set_passwords,
    web_app,
)
from warroom.cli.worker import job_worker
from warroom.domain.audience import Audience
from warroom.services import sla
from warroom.services.context import Context
from warroom.store.database import Database

pytestmark = pytest.mark.browser

AMOUNT = re.compile(r"\$\s?\d")
SHOTS = artifacts_folder("web")


@dataclass
class Walk:
    base: str
    browser: Any
    db: Database
    clock: Clock
    sources: Path
    customers: list[dict[str, str]]
    state: dict[str, Any]

    def page(self, person: str | None) -> Any:
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        if person is not None:
            browser_sign_in(page, self.base, person)
        return page


@pytest.fixture(scope="module")
def walk(demo_data: DemoData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    folder = tmp_path_factory.mktemp("walk")
    db = Database(f"sqlite:///{folder / 'warroom.db'}")
    db.migrate()
    register_people(db)
    set_passwords(db)
    demo = demo_data.folder
    sources = folder / "sources.yaml"
    sources.write_text(
        f"request_logs:\n  demo: {{location: {demo / 'requests.parquet'}}}\n"
        f"customers:\n  default: {demo / 'customers.csv'}\n"
        f"policies:\n  default: {demo / 'sla-policy.yaml'}\n"
    )
    clock = Clock(datetime(2025, 11, 8, 14, 8, tzinfo=UTC))
    app = web_app(
        db,
        folder,
        clock=clock,
        sources=sources,
        WARROOM_SESSION_HOURS="720",
        WARROOM_SESSION_IDLE_MINUTES="43200",
        WARROOM_STATUS_CACHE_SECONDS="0",
    )
    with (demo / "customers.csv").open(newline="", encoding="utf-8") as f:
        customers = list(csv.DictReader(f))
    with live_server(app) as base, chromium() as browser:
        yield Walk(base, browser, db, clock, sources, customers, {})
    db.dispose()


def shoot(page: Any, name: str) -> None:
    screenshots(page, name, SHOTS)
    page.set_viewport_size({"width": 375, "height": 900})
    assert horizontal_overflow(page) <= 1, f"{name} is wider than a 375 px screen"
    page.set_viewport_size({"width": 1280, "height": 900})


def add_entry(page: Any, kind: str, at: str, text: str, audience: str = "internal") -> None:
    page.get_by_label("Kind").select_option(kind)
    page.locator("#entry-at").fill(at)
    page.locator("#entry-audience").select_option(audience)
    page.locator("#entry-text").fill(text)
    page.get_by_role("button", name="Add entry").click()
    page.wait_for_selector("text=Timeline entry added.")


def test_1_a_responder_declares_and_writes_the_timeline(walk: Walk) -> None:
    page = walk.page(None)
    page.goto(f"{walk.base}/login")
    shoot(page, "01-login")
    browser_sign_in(page, walk.base, "Riley Responder")
    page.keyboard.press("Tab")  # keyboard users meet the skip link first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_role("link", name="Declare").click()
    shoot(page, "02-declare")
    page.get_by_label("Title").fill("Checkout database outage")
    page.get_by_label("Severity").select_option("SEV-1")
    page.get_by_label("Detected at (UTC)").fill("2025-11-08T14:02")
    page.get_by_label("Incident commander").fill("Riley Responder")
    page.get_by_role("button", name="Declare").click()
    page.wait_for_selector("text=Incident declared.")
    incident_id = re.search(r"/incidents/(INC-[0-9-]+)", page.url).group(1)  # type: ignore[union-attr]
    walk.state["incident"] = incident_id
    add_entry(
        page,
        "update",
        "2025-11-08T14:15",
        "We are investigating elevated errors on checkout.",
        "public",
    )
    add_entry(
        page,
        "identified",
        "2025-11-08T14:30",
        "Connection pool exhausted after the maintenance change (internal note)",
    )
    add_entry(page, "mitigated", "2025-11-08T18:45", "Primary restored, validating")
    walk.clock.now = datetime(2025, 11, 8, 19, 49, tzinfo=UTC)
    page.get_by_label("Message (optional)").fill("Full service restoration confirmed")
    page.get_by_label("Public update (status page, customer versions)").check()
    page.get_by_role("button", name="Move to resolved").click()
    page.wait_for_selector("text=Status changed.")
    text = page.locator("main").inner_text()
    assert "Resolved" in text and "5 h 47 min" in text  # 14:02 → 19:49
    shoot(page, "03-incident")
    assert page.errors == []


def test_2_the_impact_runs_on_the_demo_log(walk: Walk) -> None:
    incident_id = walk.state["incident"]
    page = walk.page("Riley Responder")
    page.goto(f"{walk.base}/incidents/{incident_id}/impact")
    page.get_by_label("Request log").select_option("demo")
    page.get_by_label("Customer registry").select_option("default")
    page.get_by_label("SLA policy (its down-minute rule)").select_option("default")
    page.get_by_role("button", name="Start the run").click()
    page.wait_for_url(re.compile(r".*/impact-runs/.*"))
    assert "Queued" in page.locator("main").inner_text()
    shoot(page, "04-impact-run-queued")
    worker = job_worker(Context(db=walk.db, actor="", clock=walk.clock), walk.sources)
    assert worker.run_one()
    page.wait_for_selector("text=Succeeded", timeout=20_000)  # the page reloads itself
    page.get_by_role("link", name="See the impact and its chart").click()
    figures = page.locator("dl.figures").inner_text()
    assert "847" in figures  # every demo customer
    assert page.locator("figure.chart svg").count() == 1
    shoot(page, "05-impact")


def test_3_credits_are_assessed_and_hidden_from_a_viewer(walk: Walk) -> None:
    incident_id = walk.state["incident"]
    page = walk.page("Riley Responder")
    page.goto(f"{walk.base}/incidents/{incident_id}/sla")
    page.get_by_role("button", name="Assess").click()
    page.wait_for_selector("text=Credits assessed.")
    assert "Pending review" in page.locator("dl.figures").inner_text()
    shoot(page, "06-sla-pending")
    viewer = walk.page("Val Viewer")
    names = [c["name"] for c in walk.customers]
    for path in (
        f"/incidents/{incident_id}",
        f"/incidents/{incident_id}/sla",
        f"/incidents/{incident_id}/report",
        f"/incidents/{incident_id}/impact",
    ):
        viewer.goto(walk.base + path)
        text = viewer.content()
        assert not AMOUNT.search(text), path
        assert not [n for n in names if n in text], path
    viewer.goto(f"{walk.base}/incidents/{incident_id}/sla")
    assert "legal and finance approve" in viewer.locator("main").inner_text()
    shoot(viewer, "07-sla-viewer")


def test_4_legal_then_finance_approve(walk: Walk) -> None:
    incident_id = walk.state["incident"]
    for person, role in (("Lee Legal", "legal"), ("Fay Finance", "finance")):
        page = walk.page(person)
        page.goto(f"{walk.base}/incidents/{incident_id}/sla")
        if role == "legal":
            shoot(page, "08-sla-legal")
        page.get_by_role("button", name=f"Approve as {role}").click()
        page.wait_for_selector("text=Approval recorded.")
    assert "Approved" in page.locator("dl.figures").inner_text()
    page.get_by_label("Customer ID or name").fill(walk.customers[0]["name"])
    assert page.locator("#customers-table tbody tr:visible").count() == 1  # filtered live
    shoot(page, "09-sla-approved")


def test_5_the_customers_report_shows_its_credit_and_nothing_else(walk: Walk) -> None:
    incident_id = walk.state["incident"]
    ctx = Context(db=walk.db, actor="Ada Admin", clock=walk.clock)
    owed = next(
        c
        for c in walk.customers
        if sla.audience_view(ctx, incident_id, Audience.CUSTOMER, customer_id=c["customer_id"]).get(
            "credit"
        )
    )
    view = sla.audience_view(ctx, incident_id, Audience.CUSTOMER, customer_id=owed["customer_id"])
    amount = f"{view['credit']['amount']:,.2f}"
    page = walk.page("Riley Responder")
    page.goto(f"{walk.base}/incidents/{incident_id}/report")
    page.get_by_label("Version", exact=True).select_option("customer")
    page.get_by_label("Customer ID (customer version)").fill(owed["customer_id"])
    page.get_by_role("button", name="Show").click()
    frame = page.frame_locator("iframe.preview")
    frame.locator("body").wait_for()
    shoot(page, "10-report-customer")
    document = page.request.get(
        f"{walk.base}/incidents/{incident_id}/report/document"
        f"?audience=customer&customer={owed['customer_id']}"
        "&format=html"
    ).text()
    assert owed["name"] in document and amount in document
    others = [c["name"] for c in walk.customers if c["customer_id"] != owed["customer_id"]]
    assert [n for n in others if n in document] == []
    amounts = set(re.findall(r"\$\s?[\d,]+\.\d\d", document))
    assert amounts <= {f"${amount}"}, amounts  # its own credit, no total, no other figure
    for staff in [*PEOPLE, "Liability", "pending", "internal note"]:
        assert staff not in document
    for fmt in ("md", "json", "pdf"):
        answer = page.request.get(
            f"{walk.base}/incidents/{incident_id}/report/document"
            f"?audience=customer&customer={owed['customer_id']}"
            f"&format={fmt}&download=1"
        )
        assert answer.status == 200 and "attachment" in answer.headers["content-disposition"]
    page.get_by_role("button", name=re.compile("Publish the customer version")).click()
    page.wait_for_selector("text=Report revision published.")


def test_6_the_status_page_shows_public_content_only(walk: Walk) -> None:
    page = walk.page(None)
    page.goto(f"{walk.base}/status")
    text = page.content()
    assert "We are investigating elevated errors on checkout." in text
    assert "Full service restoration confirmed" in text
    for secret in ("internal note", "Primary restored, validating", *PEOPLE):
        assert secret not in text
    assert not AMOUNT.search(text)
    assert not [c["name"] for c in walk.customers if c["name"] in text]
    page.locator("#h-history ~ article details summary").first.click()
    shoot(page, "11-status")
    assert page.errors == []


def test_7_a_form_without_its_csrf_token_is_refused(walk: Walk) -> None:
    incident_id = walk.state["incident"]
    page = walk.page("Riley Responder")
    answer = page.request.post(
        f"{walk.base}/incidents/{incident_id}/timeline", form={"kind": "note", "text": "forged"}
    )
    assert answer.status == 403
    page.goto(f"{walk.base}/incidents/{incident_id}")
    assert "forged" not in page.locator("ol.timeline").inner_text()


def test_8_the_other_pages_render(walk: Walk) -> None:
    incident_id = walk.state["incident"]
    page = walk.page("Ada Admin")
    for path, name in (
        ("/incidents", "12-incidents"),
        ("/response-metrics", "13-metrics"),
        (f"/incidents/{incident_id}/audit", "14-audit"),
        (f"/incidents/{incident_id}/report?audience=internal", "15-report-internal"),
    ):
        page.goto(walk.base + path)
        assert page.locator("h1").count() == 1
        shoot(page, name)
    assert page.errors == []


def test_9_a_report_is_published_again_and_compared(walk: Walk) -> None:
    incident_id = walk.state["incident"]
    page = walk.page("Ada Admin")
    report = f"{walk.base}/incidents/{incident_id}/report?audience=internal"
    page.goto(report)
    page.get_by_role("button", name="Publish the internal version").click()
    page.wait_for_selector("text=Report revision published.")
    page.goto(f"{walk.base}/incidents/{incident_id}")
    add_entry(page, "update", "2025-11-08T20:30", "Post-incident review scheduled")
    page.goto(report)
    page.get_by_role("button", name="Publish the internal version").click()
    page.wait_for_selector("text=Report revision published.")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector("pre.diff")
    added = page.locator("pre.diff span.add").all_inner_texts()
    assert any("Post-incident review scheduled" in line for line in added), added
    assert "Sections changed" in page.content()
    shoot(page, "16-report-diff")
    assert page.errors == []
