"""Webhooks: a signed JSON POST (`notify.signing`), no redirects followed.

| answer | outcome |
| --- | --- |
| 2xx | delivered |
| 408, 425, 429, 5xx | temporary: tried again later |
| 410 Gone | permanent, and a subscriber is unsubscribed |
| any other 3xx or 4xx | permanent |
| no connection (refused, DNS, connect timeout) | temporary |
| no answer once the whole request went out | uncertain: never re-sent |

A subscriber's webhook (a URL anyone could have typed) is only ever posted to public
addresses: its host is resolved once, every address must be global, and the connection
goes to the address that was checked (so a second DNS answer cannot point it inside).
`WARROOM_WEBHOOK_ALLOW_PRIVATE=true` lifts this for private networks and tests.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from warroom import __version__
from warroom.notify import Outgoing, TransportError
from warroom.notify.signing import DELIVERY_HEADER, EVENT_HEADER, HEADER, signature

RETRIED = frozenset({408, 425, 429})
MAX_ANSWER = 4096  # bytes of an error answer kept for the record


class WebhookTransport:
    def __init__(
        self,
        *,
        timeout: float = 30.0,
        allow_private: bool = False,
        clock: Callable[[], float] = time.time,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self.clock = clock
        self.tls = tls or ssl.create_default_context()

    def send(self, message: Outgoing) -> str | None:
        url = message.recipients[0]
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        body = message.body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"warroom/{__version__}",
            DELIVERY_HEADER: message.message_id,
            EVENT_HEADER: message.kind,
        }
        if message.secret is not None:
            headers[HEADER] = signature(message.secret, body, int(self.clock()))
        address = self._address(host, port, public_only=message.public_only)
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = _PinnedHttps(
                host, port, address, timeout=self.timeout, context=self.tls
            )
        else:
            conn = _PinnedHttp(host, port, address, timeout=self.timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            try:
                conn.request("POST", path, body=body, headers=headers)
            except (OSError, http.client.HTTPException) as error:
                raise TransportError(f"cannot reach {host}:{port}: {_describe(error)}") from None
            try:
                answer = conn.getresponse()
                text = answer.read(MAX_ANSWER).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as error:
                raise TransportError(
                    f"no answer from {host}:{port} after the request went out "
                    f"({_describe(error)}): it may have been delivered",
                    uncertain=True,
                ) from None
        finally:
            conn.close()
        status = answer.status
        if 200 <= status < 300:
            return None
        said = f"{url} answered {status} {answer.reason}" + (
            f": {' '.join(text.split())[:300]}" if text.strip() else ""
        )
        if status == 410:
            raise TransportError(said, gone=True)
        if status in RETRIED or status >= 500:
            raise TransportError(said)
        if 300 <= status < 400:
            raise TransportError(
                said + " (redirects are not followed: give the final URL)", permanent=True
            )
        raise TransportError(said, permanent=True)

    def close(self) -> None:
        """No connection is kept between webhooks."""

    def _address(self, host: str, port: int, *, public_only: bool) -> str:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise TransportError(f"cannot resolve {host}: {_describe(error)}") from None
        addresses = [str(info[4][0]) for info in found]
        if public_only and not self.allow_private:
            private = [a for a in addresses if not is_public(a)]
            if private:
                raise TransportError(
                    f"{host} resolves to {private[0]}, which is not a public address: "
                    "subscribers' webhooks go to the internet only",
                    permanent=True,
                )
        return addresses[0]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PinnedHttp(http.client.HTTPConnection):
    """An HTTP connection to the address that was checked, whatever DNS says next."""

    def __init__(self, host: str, port: int, address: str, *, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._pinned = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._pinned, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHttps(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is checked against the host name."""

    def __init__(
        self, host: str, port: int, address: str, *, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._pinned = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._pinned, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return str(error) or type(error).__name__
