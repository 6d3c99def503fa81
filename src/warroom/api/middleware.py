"""ASGI middleware: the request-body limit, and request metrics with one access-log line.

Both are plain ASGI (no per-request task or body copy), so a streaming response such as
a PDF download passes through untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from warroom.api import metrics
from warroom.api.errors import PayloadTooLarge, envelope, status_of

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("warroom.access")


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413: at once from Content-Length, else (a
    chunked body) as soon as the bytes received pass the limit, never reading further.
    `larger`: paths starting with a prefix take that prefix's limit instead (intake:
    what a sender posts in one delivery must fit, since it does not retry a 413)."""

    def __init__(
        self, app: ASGIApp, limit: int, larger: dict[str, tuple[int, str]] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger or {}  # path prefix -> (limit, the setting that sets it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit, setting = next(
            (found for prefix, found in self.larger.items() if path.startswith(prefix)),
            (self.limit, "WARROOM_MAX_BODY_BYTES"),
        )
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, limit, setting)
            return
        if declared is not None or b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        # chunked: buffer up to the limit (bounded memory), then replay to the app
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(send, limit, setting)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, limit: int, setting: str) -> None:
        import json

        error = PayloadTooLarge(f"the body is larger than {limit:,} bytes ({setting})")
        payload = json.dumps(envelope(error)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status_of(error),
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class RequestMetrics:
    """Count and time every request by route template; log one line per request."""

    def __init__(self, app: ASGIApp, on_done: Callable[[], None] | None = None) -> None:
        self.app = app
        self.on_done = on_done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "")
            metrics.HTTP_REQUESTS.labels(route=route, method=method, status=str(status[0])).inc()
            metrics.HTTP_LATENCY.labels(route=route, method=method).observe(elapsed)
            if self.on_done is not None:
                self.on_done()
            client = scope.get("client")
            access_log.info(
                "%s %s %s",
                method,
                scope.get("path", ""),
                status[0],
                extra={
                    "method": method,
                    "path": scope.get("path", ""),
                    "route": route,
                    "status": status[0],
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": f"{client[0]}:{client[1]}" if client else None,
                },
            )
