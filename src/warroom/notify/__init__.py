"""Sending messages out of warroom: one module per channel behind one small interface.

The outbox (`services.outbox`) hands a transport an `Outgoing` message; the transport
delivers it or raises `TransportError`, which says whether trying again later may help
(`permanent=False`), and whether the receiver may have got the message even so
(`uncertain=True`: the outbox then never sends it again by itself). Transports are
loaded on first use from `TRANSPORTS` (Healthchecks' registry of channel kinds).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# channel -> "module:class" of its transport
TRANSPORTS: Mapping[str, str] = {
    "email": "warroom.notify.email:EmailTransport",
    "webhook": "warroom.notify.webhook:WebhookTransport",
}
CHANNELS = tuple(TRANSPORTS)


@dataclass(frozen=True)
class Outgoing:
    """One message as a transport sends it."""

    id: int  # the outbox row
    kind: str  # customer_notice, status_update, maintenance, subscription_confirm, ping
    channel: str  # email | webhook
    recipients: tuple[str, ...]  # email addresses; for a webhook, its URL
    body: str  # email: the text part; webhook: the JSON body
    message_id: str  # the Message-ID, or the webhook's Warroom-Delivery
    subject: str | None = None
    body_html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # more email headers
    secret: str | None = None  # what a webhook is signed with
    public_only: bool = False  # a webhook anyone could name: never to a private address


class TransportError(Exception):
    """A message not delivered. `permanent`: trying again cannot help (a refused address,
    a 4xx answer); `uncertain`: the receiver may have it (no answer after the whole
    message went out); `gone`: the receiver said it wants no more (webhook 410)."""

    def __init__(
        self, message: str, *, permanent: bool = False, uncertain: bool = False, gone: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent or gone
        self.uncertain = uncertain
        self.gone = gone


class Transport(Protocol):
    def send(self, message: Outgoing, /) -> str | None:
        """Deliver `message` (a note for the record, e.g. recipients refused), or raise
        TransportError."""

    def close(self) -> None:
        """Let go of connections kept between messages."""


def transport_class(channel: str) -> Callable[..., Any]:
    module, _, name = TRANSPORTS[channel].partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return found
