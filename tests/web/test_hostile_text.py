"""People's text is data on every page: titles, timeline text, names of people and of
customers holding markup and script are shown as written and never run (Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.web import INC, browser_sign_in, chromium, live_server, load_reference, web_world
from warroom.domain.audience import Audience
from warroom.domain.incident import Role
from warroom.domain.timeline import EntryKind
from warroom.formats.customer_registry import read_registry_text
from warroom.formats.sla_policy import read_policy_text
from warroom.services import incidents, sla
from warroom.services.context import Context
from warroom.store.database import Database

pytestmark = pytest.mark.browser

TITLE = '<script>window.__pwned = 1</script>Outage "quoted" & <b>bold</b>'
ENTRY = '"><img src=x onerror="window.__pwned=2"><svg onload="window.__pwned=3">'
PERSON = "<iframe srcdoc='<script>parent.__pwned=4</script>'>"
CUSTOMER = '<img src=x onerror="window.__pwned=5">Evil & Co'
POLICY = """currency: USD
tiers:
  enterprise:
    uptime_target: 99.95
    credits: [{below: 99.95, percent: 10}]
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:

    folder = tmp_path_factory.mktemp("hostile")
    db = Database(f"sqlite:///{folder / 'w.db'}")
    db.migrate()
    with web_world(db, folder) as world:
        load_reference(db)
        riley = Context(db=db, actor="Riley Responder")
        incidents.update(riley, INC, incidents.IncidentChanges(title=TITLE, root_cause=ENTRY))
        for audience in (Audience.PUBLIC, Audience.INTERNAL):
            incidents.add_event(riley, INC, kind=EntryKind.UPDATE, text=ENTRY, audience=audience)
        incidents.assign(riley, INC, Role.SCRIBE, PERSON)
        incidents.add_action(riley, INC, title=ENTRY, owner=PERSON)
        policy = read_policy_text(POLICY)
        quoted = CUSTOMER.replace('"', '""')
        registry = read_registry_text(
            "customer_id,name,tier,monthly_fee,currency,regions\n"
            f'C1,"{quoted}",enterprise,1000.00,USD,\n',
            policy=policy,
        )
        sla.assess_incident(
            riley, INC, policy=policy, customers=registry, policy_source="p", customers_source="c"
        )
        with live_server(world.app) as base, chromium() as browser:
            yield base, browser
    db.dispose()


def visit(browser: Any, base: str, path: str, person: str | None) -> Any:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    if person:
        browser_sign_in(page, base, person)
    page.goto(base + path)
    page.wait_for_load_state("load")
    page.dialogs = dialogs
    return page


@pytest.mark.parametrize(
    "path",
    [
        "/incidents",
        f"/incidents/{INC}",
        f"/incidents/{INC}/sla",
        f"/incidents/{INC}/report",
        f"/incidents/{INC}/report?audience=internal",
        f"/incidents/{INC}/audit",
    ],
)
def test_it_shows_hostile_text_on_staff_pages_without_running_it(
    hostile: tuple[str, Any], path: str
) -> None:
    base, browser = hostile
    page = visit(browser, base, path, "Ada Admin")
    assert page.evaluate("window.__pwned") is None and page.dialogs == []
    text = page.locator("main").inner_text()
    assert 'Outage "quoted" & <b>bold</b>' in text or path.endswith(
        "/incidents/" + INC + "/report?audience=internal"
    )
    if path == f"/incidents/{INC}":
        assert ENTRY in text and PERSON in text
    if path.endswith("/sla"):
        assert CUSTOMER in text
    for frame in page.frames:
        assert frame.evaluate("window.__pwned") is None
    page.close()


def test_it_shows_hostile_text_on_the_status_page_without_running_it(
    hostile: tuple[str, Any],
) -> None:
    base, browser = hostile
    page = visit(browser, base, "/status", None)
    assert page.evaluate("window.__pwned") is None and page.dialogs == []
    text = page.locator("main").text_content() or ""  # closed <details> included
    assert ENTRY in text and 'Outage "quoted" & <b>bold</b>' in text
    assert PERSON not in text  # a staff name, not public
    page.close()
