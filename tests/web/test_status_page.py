"""The public status page: public content only, served from the cache, exported whole."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from support.people import PEOPLE
from support.web import INC, WebWorld
from warroom.domain.audience import Audience
from warroom.domain.timeline import EntryKind
from warroom.services import incidents
from warroom.services.context import Context
from warroom.services.status import StatusCache, public_status


def riley(web: WebWorld) -> Context:
    return Context(
        db=web.db, actor="Riley Responder", clock=lambda: datetime(2025, 11, 8, 20, 0, tzinfo=UTC)
    )


def public_entry(web: WebWorld, text: str, incident_id: str = INC) -> None:
    incidents.add_event(
        riley(web), incident_id, kind=EntryKind.UPDATE, text=text, audience=Audience.PUBLIC
    )


def internal_texts(web: WebWorld) -> list[str]:
    found = incidents.get_incident(riley(web), INC)
    return [e.text for e in found.timeline if e.audience is not Audience.PUBLIC]


def test_it_shows_an_incident_once_it_has_a_public_update(web: WebWorld) -> None:
    anonymous = web.anonymous()
    before = anonymous.get("/status")
    assert before.status_code == 200 and "No incident reported" in before.text
    public_entry(web, "We are restoring service from backups")
    web.app.state.status_cache.invalidate()
    after = anonymous.get("/status").text
    assert "We are restoring service from backups" in after
    assert "Service disruption" in after  # the title: public in every version


def test_it_keeps_internal_text_staff_names_and_amounts_off_it(web: WebWorld) -> None:
    public_entry(web, "Customers may see errors")
    client = web.anonymous()
    documents = [
        client.get(p).text for p in ("/status", "/status/feed.atom", "/status/status.json")
    ]
    internal = internal_texts(web)
    assert internal, "the reference incident has internal entries to hide"
    for text in documents:
        assert "Customers may see errors" in text
        for secret in internal:
            assert secret not in text
        for person in [*PEOPLE, "Jane Doe", "Marcus Chen"]:
            assert person not in text
        assert not re.search(r"\$\s?\d", text)
        assert "confidential" not in text.lower()


def test_it_answers_from_the_cache_until_the_content_changes(web: WebWorld) -> None:
    ticks = [0.0]
    cache = StatusCache(
        web.app.state.warroom.base, lambda status: status, title="S", ttl=5, clock=lambda: ticks[0]
    )
    first = cache.get()
    public_entry(web, "An update")
    assert cache.get() is first and cache.builds == 1  # within the TTL: no database at all
    ticks[0] = 6.0
    assert cache.get() is not first and cache.builds == 2  # the version moved
    ticks[0] = 12.0
    cache.get()
    assert cache.builds == 2  # unchanged: the version query only


def test_it_keeps_answering_when_the_database_is_away(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = [0.0]
    cache = StatusCache(
        web.app.state.warroom.base, lambda status: status, title="S", ttl=1, clock=lambda: ticks[0]
    )
    first = cache.get()

    def away(_ctx: object) -> None:
        from warroom.store.database import DatabaseUnavailable

        raise DatabaseUnavailable("the database is unavailable")

    monkeypatch.setattr("warroom.services.status.content_version", away)
    ticks[0] = 5.0
    assert cache.get() is first  # the copy in hand
    ticks[0] = 5.5
    assert cache.get() is first  # and the database is not asked again within the TTL


def test_it_serves_etags_and_a_cache_header(web: WebWorld) -> None:
    client = web.anonymous()
    first = client.get("/status")
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = client.get("/status", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_it_writes_a_valid_atom_feed(web: WebWorld) -> None:
    import xml.etree.ElementTree as ET

    public_entry(web, 'Fixing <the> "pool" & more')
    feed = web.anonymous().get("/status/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = root.find("a:entry", ns)
    assert entry is not None
    assert 'Fixing <the> "pool" & more' in (entry.findtext("a:content", "", ns))


def test_it_exports_the_page_as_static_files(
    web: WebWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from warroom.cli.app import run

    public_entry(web, "All good now")
    monkeypatch.setenv("WARROOM_DATABASE_URL", web.db.url)
    monkeypatch.setenv("WARROOM_USER", "Val Viewer")
    assert run(["status", "export", str(tmp_path / "site")]) == 0
    names = sorted(p.name for p in (tmp_path / "site").iterdir())
    assert names == ["feed.atom", "index.html", "status.css", "status.json", "warroom.js"]
    html = (tmp_path / "site" / "index.html").read_text()
    assert 'href="status.css"' in html and "All good now" in html and "/static/" not in html
    data = json.loads((tmp_path / "site" / "status.json").read_text())
    assert data["history"][0]["updates"][0]["text"] == "All good now"
    (tmp_path / "file").write_text("x")
    assert run(["status", "export", str(tmp_path / "file")]) == 1  # not a folder: refused


def test_it_builds_from_public_views_only(web: WebWorld) -> None:
    public_entry(web, "Visible")
    status = public_status(riley(web), title="Status")
    (shown,) = status.history
    assert [u.text for u in shown.updates] == ["Visible"]


def test_it_needs_no_sign_in(web: WebWorld) -> None:
    client = TestClient(web.app, follow_redirects=False)
    for path in ("/status", "/status/feed.atom", "/status/status.json", "/static/status.css"):
        assert client.get(path).status_code == 200, path


def test_it_shows_announced_maintenance_and_what_it_puts_under_maintenance(
    web: WebWorld, clock: object
) -> None:
    from datetime import timedelta

    from warroom.domain.scope import Scope
    from warroom.services import maintenance

    now = clock()  # type: ignore[operator]
    commander = Context(db=web.db, actor="Riley Responder", clock=clock)  # type: ignore[arg-type]
    running = maintenance.schedule(
        commander,
        title="Database upgrade",
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(hours=1),
        scope=Scope(services=("db",)),
        description="Primary database minor version upgrade.",
        announce=True,
    )
    maintenance.schedule(
        commander,
        title="Not announced yet",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=1),
    )
    web.app.state.status_cache.invalidate()
    client = web.anonymous()
    page = client.get("/status").text
    assert "Database upgrade" in page and "Primary database minor version upgrade." in page
    assert "Scheduled maintenance in progress" in page and "Under maintenance" in page
    assert "Not announced yet" not in page
    data = client.get("/status/status.json").json()
    assert [m["title"] for m in data["maintenance"]] == ["Database upgrade"]
    assert {s["name"]: s["state"] for s in data["services"]}["db"] == "maintenance"
    # cancelled, it leaves the page at the next look (the content version moved)
    maintenance.cancel(commander, running.id)
    web.app.state.status_cache.invalidate()
    after = client.get("/status").text
    assert "Database upgrade" not in after and "No maintenance is scheduled" in after


def test_visitors_subscribe_by_email_from_the_status_page(web: WebWorld) -> None:
    from support.notices import Recorder, deliver

    client = web.anonymous()
    page = client.get("/status").text
    assert 'action="/status/subscribe"' in page and 'name="email"' in page
    answer = client.post("/status/subscribe", data={"email": "Ops@Example.COM"})
    assert answer.status_code == 202 and "confirm" in answer.text
    recorder = Recorder()
    deliver(Context(db=web.db, actor="Ada Admin"), recorder)
    (message,) = recorder.sent
    assert message.recipients == ("Ops@example.com",) and "confirm?token=" in message.body
    # a bad address is named, and nothing is queued
    bad = client.post("/status/subscribe", data={"email": "not an address"})
    assert bad.status_code == 422 and "not an address" in bad.text
    # a form posted from another site is refused: no session carries a token here
    forged = client.post(
        "/status/subscribe",
        data={"email": "victim@example.com"},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    recorder = Recorder()
    deliver(Context(db=web.db, actor="Ada Admin"), recorder)
    assert recorder.sent == []


def test_the_exported_page_has_no_form_to_post(web: WebWorld) -> None:
    from warroom.services.status import public_status
    from warroom.web.routes.status import documents

    status = public_status(riley(web), title="Status")
    assert b"/status/subscribe" not in documents(status, exported=True).html
