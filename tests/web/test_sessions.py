"""Signing in and out: sessions that expire, cookies that stay in the browser's hands,
sign-in attempts that are limited, and forms refused without their CSRF token."""

from __future__ import annotations

from pathlib import Path

from support.web import INC, PASSWORD, WebWorld, csrf_of, sign_in, web_world
from warroom.store.database import Database


def test_it_signs_in_with_the_password_and_out_again(web: WebWorld) -> None:
    client = web.anonymous()
    assert client.get("/incidents").status_code == 303  # to /login?next=...
    answer = sign_in(client, "lee LEGAL")  # names match as registered, any case
    assert answer.status_code == 303 and answer.headers["location"] == "/incidents"
    page = client.get("/incidents")
    assert page.status_code == 200 and "Lee Legal" in page.text
    out = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"].startswith("/login")
    assert client.get("/incidents", follow_redirects=False).status_code == 303


def test_it_refuses_a_wrong_password_with_the_same_answer_as_an_unknown_name(web: WebWorld) -> None:
    wrong = sign_in(web.anonymous(), "Lee Legal", "not the password at all")
    unknown = sign_in(web.anonymous(), "Nobody Here", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "wrong name or password" in wrong.text and "wrong name or password" in unknown.text
    assert "warroom_session" not in wrong.headers.get("set-cookie", "")


def test_it_sets_the_session_cookie_http_only_and_same_site(web: WebWorld) -> None:
    cookie = sign_in(web.anonymous(), "Val Viewer").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would be dropped


def test_it_marks_the_cookie_secure_behind_a_trusted_proxy_only(
    sqlite_db: Database, tmp_path: Path
) -> None:
    with web_world(sqlite_db, tmp_path, WARROOM_TRUSTED_PROXY="true") as world:
        client = world.anonymous()
        form = client.get("/login")
        cookie = client.post(
            "/login",
            headers={"X-Forwarded-Proto": "https"},
            data={"name": "Val Viewer", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        ).headers["set-cookie"]
        assert "Secure" in cookie
    untrusted = sign_in_with_header(sqlite_db, tmp_path)
    assert "Secure" not in untrusted


def sign_in_with_header(db: Database, folder: Path) -> str:
    (folder / "again").mkdir()
    with web_world(db, folder / "again") as world:
        client = world.anonymous()
        form = client.get("/login")
        return str(
            client.post(
                "/login",
                headers={"X-Forwarded-Proto": "https"},
                data={"name": "Val Viewer", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
                follow_redirects=False,
            ).headers["set-cookie"]
        )


def test_it_expires_an_idle_session_and_an_old_one(web: WebWorld, clock: object) -> None:
    client = web.client("Val Viewer")
    assert client.get("/incidents").status_code == 200
    clock.advance(minutes=59)  # type: ignore[attr-defined]
    assert client.get("/incidents").status_code == 200  # used: the idle time starts again
    clock.advance(minutes=61)  # type: ignore[attr-defined]
    assert client.get("/incidents", follow_redirects=False).status_code == 303  # idle > 1 h
    other = web.anonymous()
    sign_in(other, "Val Viewer")
    for _ in range(14):  # used every 55 minutes, but past the 12 hours of a session
        clock.advance(minutes=55)  # type: ignore[attr-defined]
        last = other.get("/incidents")
    assert last.status_code == 303


def test_it_limits_failed_sign_ins_per_name(web: WebWorld) -> None:
    for _ in range(5):
        assert sign_in(web.anonymous(), "Lee Legal", "wrong password here").status_code == 401
    blocked = sign_in(web.anonymous(), "Lee Legal", PASSWORD)  # even the right password
    assert blocked.status_code == 429 and "too many failed sign-ins" in blocked.text
    assert sign_in(web.anonymous(), "Fay Finance").status_code == 303  # others still may


def test_it_lifts_the_limit_once_the_window_passed(web: WebWorld, clock: object) -> None:
    for _ in range(5):
        sign_in(web.anonymous(), "Lee Legal", "wrong password here")
    clock.advance(minutes=16)  # type: ignore[attr-defined]
    assert sign_in(web.anonymous(), "Lee Legal").status_code == 303


def test_it_refuses_a_form_posted_without_its_csrf_token(web: WebWorld) -> None:
    client = web.client("Riley Responder")
    answer = client.post(f"/incidents/{INC}/timeline", data={"kind": "note", "text": "hi"})
    assert answer.status_code == 403 and "security token" in answer.text
    other = web.token("Lee Legal")  # another session's token is no better
    answer = client.post(
        f"/incidents/{INC}/timeline", data={"kind": "note", "text": "hi", "csrf_token": other}
    )
    assert answer.status_code == 403
    page = client.get(f"/incidents/{INC}").text
    assert ">hi<" not in page


def test_it_refuses_a_sign_in_posted_without_the_forms_token(web: WebWorld) -> None:
    answer = web.anonymous().post("/login", data={"name": "Val Viewer", "password": PASSWORD})
    assert answer.status_code == 403 and "warroom_session" not in answer.headers.get(
        "set-cookie", ""
    )


def test_it_goes_back_only_to_a_page_of_this_site_after_sign_in(web: WebWorld) -> None:
    for target, expected in (
        ("//evil.example/x", "/incidents"),
        ("https://evil.example", "/incidents"),
        (f"/incidents/{INC}", f"/incidents/{INC}"),
    ):
        client = web.anonymous()
        form = client.get("/login")
        answer = client.post(
            "/login",
            data={
                "name": "Val Viewer",
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": target,
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == expected


def test_it_records_sign_ins_in_the_audit_log(web: WebWorld) -> None:
    web.client("Lee Legal")
    from warroom.store import audit

    with web.db.reading() as conn:
        entry = audit.entries(conn, action_prefix="user.sign_in")[-1]
    assert entry.actor == "Lee Legal" and entry.channel == "web"
