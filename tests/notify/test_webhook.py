"""Webhooks against a real receiver on the loopback that verifies every signature: what
each answer means, and subscribers' webhooks kept off private addresses."""

from __future__ import annotations

import json

import pytest

from support.mail import free_port, webhook_receiver
from warroom.notify import Outgoing, TransportError
from warroom.notify.signing import DELIVERY_HEADER, EVENT_HEADER
from warroom.notify.webhook import WebhookTransport, is_public

SECRET = "whsec_receiver"


def hook(url: str, *, public_only: bool = False) -> Outgoing:
    return Outgoing(
        id=1,
        kind="customer_notice",
        channel="webhook",
        recipients=(url,),
        body=json.dumps({"type": "customer_notice", "amount": "100.00"}),
        message_id="d0e1",
        secret=SECRET,
        public_only=public_only,
    )


def test_a_delivery_is_signed_and_names_itself() -> None:
    with webhook_receiver(secrets={"/hook": SECRET}) as receiver:
        assert WebhookTransport(timeout=5).send(hook(receiver.url())) is None
    (delivery,) = receiver.deliveries
    assert delivery.verified
    assert delivery.headers[DELIVERY_HEADER] == "d0e1"
    assert delivery.headers[EVENT_HEADER] == "customer_notice"
    assert delivery.json["amount"] == "100.00"


@pytest.mark.parametrize(
    ("status", "permanent", "gone"),
    [
        (500, False, False),
        (503, False, False),
        (429, False, False),
        (408, False, False),
        (404, True, False),
        (400, True, False),
        (301, True, False),
        (410, True, True),
    ],
)
def test_each_answer_means_what_it_says(status: int, permanent: bool, gone: bool) -> None:
    with webhook_receiver(answers=[status]) as receiver, pytest.raises(TransportError) as caught:
        WebhookTransport(timeout=5).send(hook(receiver.url()))
    assert (caught.value.permanent, caught.value.gone) == (permanent, gone)
    assert str(status) in caught.value.message


def test_no_receiver_is_temporary_and_no_answer_is_uncertain() -> None:
    with pytest.raises(TransportError, match="connection refused") as refused:
        WebhookTransport(timeout=5).send(hook(f"http://127.0.0.1:{free_port()}/hook"))
    assert not refused.value.permanent and not refused.value.uncertain
    with (
        webhook_receiver(delay=1.5) as receiver,
        pytest.raises(TransportError, match="may have been delivered") as silent,
    ):
        WebhookTransport(timeout=0.3).send(hook(receiver.url()))
    assert silent.value.uncertain and len(receiver.deliveries) == 1


def test_a_subscribers_webhook_never_reaches_a_private_address() -> None:
    with webhook_receiver() as receiver:
        with pytest.raises(TransportError, match="not a public address") as caught:
            WebhookTransport(timeout=5).send(hook(receiver.url(), public_only=True))
        assert caught.value.permanent and receiver.deliveries == []
        WebhookTransport(timeout=5, allow_private=True).send(hook(receiver.url(), public_only=True))
        assert len(receiver.deliveries) == 1
    assert not is_public("10.1.2.3") and not is_public("::ffff:127.0.0.1")
    assert not is_public("169.254.169.254") and is_public("93.184.216.34")
