"""Email over SMTP against a real server on the loopback (aiosmtpd): the message as sent,
and what each of the server's answers means (delivered, try later, refused for good, or
uncertain)."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.mail import mail_server
from warroom.notify import Outgoing, TransportError
from warroom.notify.email import EmailTransport, SmtpServer, parse_smtp_url, render_email

FROM = "status@example.com"


def outgoing(
    body: str = "Hello\n",
    html: str | None = "<p>Hello</p>",
    subject: str = "Incident notice",
    to: tuple[str, ...] = ("ops@acme.example",),
    headers: dict[str, str] | None = None,
) -> Outgoing:
    return Outgoing(
        id=1,
        kind="customer_notice",
        channel="email",
        recipients=to,
        body=body,
        message_id="<abc.notice@warroom>",
        subject=subject,
        body_html=html,
        headers=headers or {},
    )


def parsed(data: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def content(message: email.message.EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_it_writes_a_text_and_html_email_with_its_headers() -> None:
    data = render_email(
        outgoing(headers={"List-Unsubscribe": "<https://x.example/u?t=1>"}),
        FROM,
        date=datetime(2025, 11, 9, 10, 0, tzinfo=UTC),
    )
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    message = parsed(data)
    assert message["From"] == FROM and message["To"] == "ops@acme.example"
    assert message["Message-ID"] == "<abc.notice@warroom>"
    assert message["Date"] == "Sun, 09 Nov 2025 10:00:00 +0000"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<https://x.example/u?t=1>"
    assert content(message, "plain") == "Hello\n"
    assert content(message, "html") == "<p>Hello</p>"


@settings(max_examples=60, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=400),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200),
)
def test_any_text_and_subject_arrive_as_written(body: str, subject: str) -> None:
    message = parsed(render_email(outgoing(body=body, html=None, subject=subject), FROM))
    assert content(message, "plain") == body
    assert message["Subject"] == " ".join(subject.split())


def test_a_subject_cannot_add_a_header() -> None:
    message = parsed(render_email(outgoing(subject="Hi\r\nBcc: x@evil.example"), FROM))
    assert message["Bcc"] is None and message["Subject"] == "Hi Bcc: x@evil.example"


def test_smtp_urls() -> None:
    assert parse_smtp_url("smtp://alerts@mail.example.com") == SmtpServer(
        "mail.example.com", 587, "alerts", implicit_tls=False
    )
    assert parse_smtp_url("smtps://mail.example.com").port == 465
    assert parse_smtp_url("smtp://127.0.0.1:8025").is_loopback
    for url, why in (
        ("http://mail.example.com", "smtp://"),
        ("smtp://u:pw@mail.example.com", "WARROOM_SMTP_PASSWORD"),
        ("smtp:///", "no host"),
        ("smtp://mail.example.com/x", "path"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_smtp_url(url)


def transport(port: int, timeout: float = 5.0) -> EmailTransport:
    return EmailTransport(
        parse_smtp_url(f"smtp://127.0.0.1:{port}"), mail_from=FROM, timeout=timeout
    )


def test_it_delivers_over_one_kept_connection() -> None:
    with mail_server() as server:
        sender = transport(server.port)
        for n in range(3):
            sender.send(
                outgoing(
                    body=f"notice {n}\n.leading dot\n", to=("a@acme.example", "b@acme.example")
                )
            )
        sender.close()
    assert len(server.messages) == 3
    first = server.messages[0]
    assert first.mail_from == FROM and first.recipients == ["a@acme.example", "b@acme.example"]
    assert first.text() == "notice 0\r\n.leading dot\r\n"


def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_not() -> None:
    with mail_server(refuse_next=1, refuse_recipients={"gone@acme.example"}) as server:
        sender = transport(server.port)
        with pytest.raises(TransportError) as later:
            sender.send(outgoing())
        assert not later.value.permanent and "451" in later.value.message
        with pytest.raises(TransportError) as never:
            sender.send(outgoing(to=("gone@acme.example",)))
        assert never.value.permanent and "550" in never.value.message
        note = sender.send(outgoing(to=("ops@acme.example", "gone@acme.example")))
        assert note is not None and "gone@acme.example" in note
        sender.close()
    assert [m.recipients for m in server.messages] == [["ops@acme.example"]]


def test_a_refused_message_leaves_the_kept_connection_clean_for_the_next() -> None:
    with mail_server(fail_next=1) as server:
        sender = transport(server.port)
        with pytest.raises(TransportError) as never:
            sender.send(outgoing(body="first\n"))
        assert never.value.permanent and "500" in never.value.message
        assert sender.send(outgoing(body="second\n")) is None
        sender.close()
    assert [m.text() for m in server.messages] == ["second\r\n"]


def test_no_server_is_a_temporary_failure() -> None:
    from support.mail import free_port

    with pytest.raises(TransportError, match="connection refused") as caught:
        transport(free_port()).send(outgoing())
    assert not caught.value.permanent and not caught.value.uncertain


def test_no_answer_after_the_message_went_out_is_uncertain() -> None:
    with (
        mail_server(silent_for=2.0) as server,
        pytest.raises(TransportError, match="may have been delivered") as caught,
    ):
        transport(server.port, timeout=0.5).send(outgoing())
    assert caught.value.uncertain
    assert len(server.messages) == 1  # it did arrive: this is why it is never re-sent


def test_starttls_is_required_beyond_the_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    with mail_server() as server:
        monkeypatch.setattr(SmtpServer, "is_loopback", property(lambda self: False))
        with pytest.raises(TransportError, match="does not offer STARTTLS"):
            transport(server.port).send(outgoing())
    assert server.messages == []


def test_beyond_the_loopback_it_sends_over_starttls_and_logs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that requires STARTTLS and a login (aiosmtpd with a certificate made
    here), taken for a remote one: the password goes only over TLS."""
    import shutil
    import ssl
    import subprocess

    from aiosmtpd.smtp import AuthResult, LoginPassword

    from support.outside import need

    openssl = shutil.which("openssl")
    if openssl is None:
        need("openssl", "install the openssl package")
    subprocess.run(
        [
            str(openssl),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    logins: list[tuple[bytes, bool]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == b"s3cret"
        logins.append((data.login, session.ssl is not None))
        return AuthResult(success=ok)

    with mail_server(
        {
            "tls_context": served,
            "require_starttls": True,
            "authenticator": authenticator,
            "auth_require_tls": True,
        }
    ) as mail:
        monkeypatch.setattr(SmtpServer, "is_loopback", property(lambda self: False))
        url = parse_smtp_url(f"smtp://alerts@127.0.0.1:{mail.port}")
        trusting = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        sender = EmailTransport(url, mail_from=FROM, password="s3cret", timeout=5, tls=trusting)
        sender.send(outgoing())
        sender.close()
        wrong = EmailTransport(url, mail_from=FROM, password="guess", timeout=1, tls=trusting)
        with pytest.raises(TransportError) as refused:
            wrong.send(outgoing())
        assert not refused.value.permanent  # a setting to fix: the message waits for it
        untrusting = EmailTransport(url, mail_from=FROM, password="s3cret", timeout=5)
        with pytest.raises(TransportError, match="cannot reach"):
            untrusting.send(outgoing())  # a certificate nobody vouches for
    assert len(mail.messages) == 1
    assert logins[0] == (b"alerts", True)
