"""Contact addresses: what an email address and a webhook URL must be."""

from __future__ import annotations

import pytest

from warroom.domain.contacts import email_problem, parse_emails, webhook_url_problem


@pytest.mark.parametrize(
    "address",
    ["ops@acme.example", "first.last+tag@mail.acme.co.uk", "o'brien@example.com", "x@a-b.example"],
)
def test_it_accepts_email_addresses(address: str) -> None:
    assert email_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "ops",
        "ops@",
        "@acme.example",
        "ops@acme",
        "o ps@acme.example",
        "ops@acme..example",
        "ops@acme.example\r\nBcc: x@evil.example",
        "a@b@acme.example",
        "<ops@acme.example>",
        "ops@-acme.example",
        "ops@192.168.0.1",
        "ops.@acme.example",
        "x" * 250 + "@acme.example",
    ],
)
def test_it_refuses_what_is_not_an_email_address(address: str) -> None:
    assert email_problem(address) is not None


def test_several_addresses_are_separated_by_semicolons() -> None:
    assert parse_emails(" a@x.example; b@x.example;;a@x.example ") == (
        ("a@x.example", "b@x.example"),
        [],
    )
    found, problems = parse_emails("a@x.example; nope")
    assert found == ("a@x.example", "nope") and "nope" in problems[0]
    assert parse_emails("") == ((), [])


@pytest.mark.parametrize(
    "url", ["https://hooks.acme.example/warroom", "http://127.0.0.1:8080/hook?team=ops"]
)
def test_it_accepts_webhook_urls(url: str) -> None:
    assert webhook_url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://acme.example/", "http(s)"),
        ("https://", "no host"),
        ("https://user:pw@acme.example/", "password"),
        ("https://acme.example/#x", "fragment"),
        ("https://acme.example/a b", "spaces"),
        ("https://acme.example:99999/", "URL"),
        ("javascript:alert(1)", "http(s)"),
    ],
)
def test_it_refuses_other_urls(url: str, why: str) -> None:
    problem = webhook_url_problem(url)
    assert problem is not None and why in problem
