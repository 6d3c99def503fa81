"""Email over SMTP (standard library `smtplib`), STARTTLS, one connection kept between
messages.

`WARROOM_SMTP_URL` names the server: `smtp://[user@]host[:port]` (port 587 by default)
upgrades the connection with STARTTLS and refuses to go on without it, unless the host
is the loopback (a local relay, the tests' server: the mail does not leave the machine
there, and no certificate is asked for); `smtps://[user@]host[:port]` (port 465) speaks
TLS from the start. The password comes from `WARROOM_SMTP_PASSWORD` (or its
`_FILE`), never from the URL, and is sent only over TLS or to the loopback.

Each message is sent in steps (MAIL, RCPT, DATA) so that a failure says what it means:

| what happened | outcome |
| --- | --- |
| connection refused or timed out, TLS or login failed | temporary: tried again later |
| a 4xx reply before the message was accepted | temporary |
| a 5xx reply to MAIL, to every RCPT, to DATA or to the message | permanent |
| no reply once the whole message went out (the final ".") | uncertain: never re-sent |
"""

from __future__ import annotations

import binascii
import ipaddress
import re
import secrets
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, localtime
from urllib.parse import unquote, urlsplit

from warroom.notify import Outgoing, TransportError

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str | None
    implicit_tls: bool  # smtps://

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.user}@" if self.user else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://user@host:587` as a server; ValueError saying what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(
            f"{url!r} is not an smtp:// or smtps:// URL (e.g. smtp://user@mail.example.com:587)"
        )
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host")
    if parts.password is not None:
        raise ValueError(
            "the SMTP URL carries a password: put it in WARROOM_SMTP_PASSWORD "
            "(or WARROOM_SMTP_PASSWORD_FILE) instead"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r} has a path or query; expected smtp://[user@]host[:port]")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as error:
        raise ValueError(f"{url!r}: {error}") from None
    return SmtpServer(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        implicit_tls=parts.scheme == "smtps",
    )


def render_email(message: Outgoing, mail_from: str, *, date: datetime | None = None) -> bytes:
    """The email as SMTP carries it (CRLF lines): a plain-text part and, when there is
    one, an HTML alternative, both UTF-8 quoted-printable; Message-ID, Date,
    Auto-Submitted (RFC 3834: no vacation replies), and the message's own headers
    (List-Unsubscribe ...). Written directly rather than through `email.message`: the
    same bytes, ten times faster, which counts at thousands of notices."""
    headers = [
        ("From", mail_from),
        ("To", ", ".join(message.recipients)),
        ("Subject", _header("Subject", message.subject or "")),
        ("Date", format_datetime(date or localtime())),
        ("Message-ID", message.message_id),
        ("Auto-Submitted", "auto-generated"),
        *((name, _header(name, value)) for name, value in message.headers.items()),
        ("MIME-Version", "1.0"),
    ]
    if message.body_html is None:
        headers.extend(_TEXT_PART["plain"])
        body = _qp(message.body)
    else:
        boundary = "=_warroom_" + secrets.token_hex(16)
        headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
        body = (
            b"".join(
                f"--{boundary}\r\n".encode() + _part_head(subtype) + _qp(content) + b"\r\n"
                for subtype, content in (("plain", message.body), ("html", message.body_html))
            )
            + f"--{boundary}--\r\n".encode()
        )
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode("ascii") + b"\r\n" + body


_TEXT_PART = {
    subtype: [
        ("Content-Type", f'text/{subtype}; charset="utf-8"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    for subtype in ("plain", "html")
}


def _part_head(subtype: str) -> bytes:
    return "".join(f"{n}: {v}\r\n" for n, v in _TEXT_PART[subtype]).encode() + b"\r\n"


def _qp(text: str) -> bytes:
    """UTF-8 text as quoted-printable with CRLF line ends (lines of at most 76)."""
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return encoded.replace(b"\n", b"\r\n")


def _header(name: str, value: str) -> str:
    """A header value on one logical line, folded, RFC 2047-encoded when not ASCII."""
    flat = " ".join(value.split())
    charset = "us-ascii" if flat.isascii() else "utf-8"
    return Header(flat, charset, header_name=name).encode(linesep="\r\n")


_LINE_START_DOT = re.compile(rb"(?m)^\.")


def _wire(data: bytes) -> bytes:
    """The message as DATA carries it: lines starting with a dot doubled, CRLF-ended,
    then the lone dot that ends it."""
    stuffed = _LINE_START_DOT.sub(b"..", data)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


class EmailTransport:
    """Sends over one SMTP connection, opened on the first message and kept until
    `close` (or until the server drops it; then it is opened again)."""

    def __init__(
        self,
        server: SmtpServer,
        *,
        mail_from: str,
        password: str | None = None,
        timeout: float = 30.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.server = server
        self.mail_from = mail_from
        self.password = password
        self.timeout = timeout
        self.tls = tls or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: Outgoing) -> str | None:
        data = _wire(render_email(message, self.mail_from))
        reused = self._smtp is not None
        smtp = self._session()
        try:
            code, reply = smtp.mail(self.mail_from)
        except (OSError, smtplib.SMTPException):
            code, reply = 421, b"the connection was closed"
        if code == 421:  # the server closed a kept connection meanwhile: one fresh try
            self._drop()
            if reused:
                smtp = self._session()
                code, reply = self._step(smtp.mail, self.mail_from)
        if code != 250:
            self._reset()
            raise _refused("the sender (MAIL FROM)", code, reply)
        refused: dict[str, tuple[int, bytes]] = {}
        for address in message.recipients:
            code, reply = self._step(smtp.rcpt, address)
            if code not in (250, 251):
                refused[address] = (code, reply)
        accepted = [a for a in message.recipients if a not in refused]
        temporary = [found for found in refused.values() if found[0] < 500]
        if temporary or not accepted:
            # a recipient to try again later holds the whole message back: it goes out
            # once, to everyone, or not at all
            self._reset()
            code, reply = (temporary or list(refused.values()))[0]
            raise _refused("the recipients", code, reply)
        code, reply = self._step(smtp.docmd, "data")
        if code != 354:
            self._reset()
            raise _refused("DATA", code, reply)
        try:
            smtp.send(data)
        except (OSError, smtplib.SMTPException) as error:
            # the final dot did not go out whole: the server discards what it got
            self._drop()
            raise TransportError(
                f"the connection to {self.server} broke while sending: {error}"
            ) from None
        try:
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise TransportError(
                f"no answer from {self.server} after the whole message went out ({error}): "
                "it may have been delivered",
                uncertain=True,
            ) from None
        if code != 250:
            # the transaction is over, but not every server forgets it: RSET, so the
            # next message on this connection starts clean
            self._reset()
            raise _refused("the message", code, reply)
        if refused:
            return "refused: " + "; ".join(f"{a} ({c} {_text(r)})" for a, (c, r) in refused.items())
        return None

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    # -- the connection ---------------------------------------------------------------------

    def _session(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        server = self.server
        try:
            if server.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self.timeout, context=self.tls
                )
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            try:
                smtp.ehlo()
                if not server.implicit_tls and not server.is_loopback:
                    if not smtp.has_extn("starttls"):
                        raise TransportError(
                            f"{server} does not offer STARTTLS; warroom sends "
                            "mail to other hosts only over TLS"
                        )
                    smtp.starttls(context=self.tls)
                    smtp.ehlo()
                if self.password is not None:  # over TLS, or to the loopback (above)
                    smtp.login(server.user or "", self.password)
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as error:
            raise TransportError(
                f"{server} refused the login ({error.smtp_code} "
                f"{_text(error.smtp_error)}): check WARROOM_SMTP_URL's user "
                "and WARROOM_SMTP_PASSWORD"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise TransportError(f"cannot reach {server}: {_describe(error)}") from None
        self._smtp = smtp
        return smtp

    def _step(self, command: object, *args: str) -> tuple[int, bytes]:
        """One SMTP command before the message went out: a broken connection is a
        temporary failure (nothing was delivered)."""
        try:
            code, reply = command(*args)  # type: ignore[operator]
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise TransportError(
                f"the connection to {self.server} broke: {_describe(error)}"
            ) from None
        return int(code), bytes(reply)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def _refused(what: str, code: int, reply: bytes) -> TransportError:
    return TransportError(
        f"the mail server refused {what}: {code} {_text(reply)}", permanent=code >= 500
    )


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:300]


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return str(error) or type(error).__name__
