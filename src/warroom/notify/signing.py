"""The signature on every webhook warroom sends, and how a receiver checks it.

    Warroom-Signature: t=1762612920,v1=5257a869e7ec...8d8bd  (64 hex digits)

`v1` is the hex HMAC-SHA256, keyed with the receiver's secret (the whole `whsec_...`
string as UTF-8), of the timestamp, a dot, and the raw request body: `f"{t}.".encode() +
body`. A receiver recomputes it over the bytes it received, compares in constant time,
and refuses timestamps older than a few minutes (replays). docs/notify.md shows the
receiving side.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Warroom-Signature"
DELIVERY_HEADER = "Warroom-Delivery"  # the same on every attempt of one message
EVENT_HEADER = "Warroom-Event"
TOLERANCE_SECONDS = 300
PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 256 random bits."""
    return PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for `body` sent at `timestamp` (Unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, body, timestamp)}"


def verify(
    secret: str, body: bytes, header: str, *, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """True when `header` signs `body` with `secret` within `tolerance` seconds of `now`."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = _mac(secret, body, timestamp)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def _mac(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(
        secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
