"""Real receivers on the loopback for the delivery tests: an SMTP server (aiosmtpd) and a
webhook receiver (http.server) that checks every signature.

`MailServer` records every message it accepts, and can be told to answer the next
messages with a temporary refusal (451), to refuse recipients, to stay silent after the
message (the client's "uncertain" case), or to run a hook when a message arrives (the
kill test stops the worker there, after the message is received and before the worker
hears the 250).
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from warroom.notify import signing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Received:
    """One accepted message: its envelope and the parsed email."""

    mail_from: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    def html(self) -> str | None:
        part = self.message.get_body(("html",))
        return str(part.get_content()) if part is not None else None


@dataclass
class _Handler:
    server: MailServer

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.server.refuse_recipients:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.server.lock:
            if self.server.fail_next > 0:  # aiosmtpd answers a handler's error with 500
                self.server.fail_next -= 1
                raise RuntimeError("the mailbox is unavailable")
            if self.server.refuse_next > 0:
                self.server.refuse_next -= 1
                self.server.refused += 1
                return self.server.refusal
            received = Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.original_content or envelope.content),
            )
            self.server.messages.append(received)
            hook = self.server.on_message
        if hook is not None:
            hook(received)
        if self.server.silent_for:
            import asyncio

            await asyncio.sleep(self.server.silent_for)
        return "250 OK"


@dataclass
class MailServer:
    port: int = field(default_factory=free_port)
    messages: list[Received] = field(default_factory=list)
    refuse_next: int = 0  # answer this many messages with `refusal` first
    refusal: str = "451 4.3.0 try again later"
    fail_next: int = 0  # fail this many messages in the server's handler first
    refused: int = 0
    refuse_recipients: set[str] = field(default_factory=set)
    silent_for: float = 0.0  # wait this long before the 250 (longer than the client waits)
    on_message: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)


@contextmanager
def mail_server(
    controller_options: dict[str, Any] | None = None, **options: Any
) -> Iterator[MailServer]:
    """A server on the loopback; `controller_options` go to aiosmtpd's Controller
    (STARTTLS, authentication)."""
    server = MailServer(**options)
    controller = Controller(
        _Handler(server), hostname="127.0.0.1", port=server.port, **(controller_options or {})
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# -- webhooks -------------------------------------------------------------------------------


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Checks `Warroom-Signature` with `secrets[path]` (when given) on every request."""

    port: int = field(default_factory=free_port)
    secrets: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # statuses to answer first, in order
    delay: float = 0.0  # wait this long before answering

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextmanager
def webhook_receiver(**options: Any) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(**options)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            secret = receiver.secrets.get(self.path)
            header = self.headers.get(signing.HEADER, "")
            verified = secret is not None and signing.verify(
                secret, body, header, now=int(time.time())
            )
            receiver.deliveries.append(Delivery(self.path, dict(self.headers), body, verified))
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.answers.pop(0) if receiver.answers else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://example.com/")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            """A client that gave up waiting (the timeout tests): nothing to report."""

    server = Server(("127.0.0.1", receiver.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
