"""The webhook signature: what a receiver recomputes, and what it must refuse."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from warroom.notify.signing import new_secret, signature, verify

SECRET = "whsec_test"


def test_it_is_an_hmac_sha256_of_the_timestamp_and_body() -> None:
    body = b'{"type":"ping"}'
    expected = hmac.new(SECRET.encode(), b"1762612920." + body, hashlib.sha256).hexdigest()
    assert signature(SECRET, body, 1762612920) == f"t=1762612920,v1={expected}"


@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=2**40))
def test_a_receiver_verifies_what_was_signed(body: bytes, at: int) -> None:
    assert verify(SECRET, body, signature(SECRET, body, at), now=at + 10)


def test_it_refuses_a_changed_body_another_secret_or_an_old_signature() -> None:
    header = signature(SECRET, b"body", 1000)
    assert not verify(SECRET, b"body!", header, now=1000)
    assert not verify("whsec_other", b"body", header, now=1000)
    assert not verify(SECRET, b"body", header, now=1000 + 301)  # a replay, minutes later
    assert not verify(SECRET, b"body", "v1=abc", now=1000)
    assert not verify(SECRET, b"body", "", now=1000)


def test_secrets_are_random_and_long() -> None:
    first, second = new_secret(), new_secret()
    assert first != second and first.startswith("whsec_") and len(first) >= 40
