"""The web tests' world: the app with the people of the access tests signed in through
the real sign-in form (a TestClient each), a live server for the browser, and Chromium.

`world.client("Lee Legal")` is a client holding Lee's session cookie; `world.post(person,
path, data)` posts a form with that session's CSRF token, as the page would.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from support.api import sources_file
from support.outside import artifacts_folder, need
from support.people import PEOPLE, register_people
from warroom.api.app import create_app
from warroom.services import credentials
from warroom.services.context import Context
from warroom.settings import Settings
from warroom.store import users
from warroom.store.database import Database

PASSWORD = "correct horse battery staple"
INC = "INC-2025-1108-001"  # the reference incident
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
WIDTHS = (375, 1280)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def set_passwords(db: Database, people: dict[str, tuple[str, ...]] = PEOPLE) -> None:
    admin = Context(db=db, actor="Ada Admin")
    for person in people:
        credentials.set_password(admin, person, PASSWORD)


def csrf_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, person: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "name": person,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": "/incidents",
        },
        follow_redirects=False,
    )


@dataclass
class WebWorld:
    db: Database
    app: FastAPI
    clients: dict[str, TestClient] = field(default_factory=dict)

    def anonymous(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def client(self, person: str) -> TestClient:
        if person not in self.clients:
            client = self.anonymous()
            answer = sign_in(client, person)
            assert answer.status_code == 303, answer.text
            client.follow_redirects = True  # as a browser does after a form
            self.clients[person] = client
        return self.clients[person]

    def get(self, person: str, path: str, **options: Any) -> httpx.Response:
        return self.client(person).get(path, **options)

    def token(self, person: str) -> str:
        return csrf_of(self.get(person, "/incidents").text)

    def post(
        self, person: str, path: str, data: dict[str, Any] | None = None, **options: Any
    ) -> httpx.Response:
        body = {"csrf_token": self.token(person), **(data or {})}
        return self.client(person).post(path, data=body, **options)


def web_app(
    db: Database,
    folder: Path,
    *,
    clock: Any = None,
    requests: Path | None = None,
    sources: Path | None = None,
    **settings: str,
) -> FastAPI:
    env = {
        "WARROOM_DATABASE_URL": db.url,
        "WARROOM_SOURCES_FILE": str(sources or sources_file(folder, requests)),
        **settings,
    }
    return create_app(Settings.from_env(env), db=db, clock=clock)


@contextmanager
def web_world(db: Database, folder: Path, **options: Any) -> Iterator[WebWorld]:
    with db.reading() as conn:
        empty = users.count(conn) == 0
    if empty:
        register_people(db)
        set_passwords(db)
    app = web_app(db, folder, **options)
    world = WebWorld(db, app)
    try:
        yield world
    finally:
        for client in world.clients.values():
            client.close()


# -- a live server and a browser ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """`app` under uvicorn on a loopback port, in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright; skips locally (fails under CI) without it."""
    if not Path(CHROMIUM).exists():
        need("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a test dependency
        need("playwright", str(exc))
        raise
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            need("Chromium", f"could not start headless Chromium: {exc}")
            raise
        try:
            yield browser
        finally:
            browser.close()


def browser_sign_in(page: Any, base: str, person: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Name").fill(person)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/incidents.*"))


def screenshots(page: Any, name: str, folder: Path | None = None) -> list[Path]:
    """The page at 375 px and 1280 px wide, whole, into the web artifacts folder."""
    target = folder or artifacts_folder("web")
    taken = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = target / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
    page.set_viewport_size({"width": 1280, "height": 900})
    return taken


def horizontal_overflow(page: Any) -> int:
    """How far the page is wider than the viewport (0: nothing sticks out)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def load_reference(db: Database, *, internal: bool = True) -> str:
    """The reference incident; made internal (it is confidential: viewers would not see it)."""
    from support.cli_world import REFERENCE_INCIDENT
    from warroom.domain.incident import Classification
    from warroom.formats.incident_file import read_incident_file
    from warroom.services import incidents

    admin = Context(db=db, actor="Ada Admin")
    found = incidents.import_incidents(admin, read_incident_file(REFERENCE_INCIDENT))[0].id
    if internal:
        incidents.update(
            admin, found, incidents.IncidentChanges(classification=Classification.INTERNAL)
        )
    return found
