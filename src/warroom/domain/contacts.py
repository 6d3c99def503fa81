"""Where a customer's notices go (email addresses, a webhook URL), and what a valid one is.

The rules here are shared by every door that takes an address: the customer registry's
`contact_email` and `webhook_url` columns, status-page subscriptions, the API. An
address that passes cannot smuggle a header into an email (no spaces, commas, angle
brackets or line breaks) and a URL is http(s) with a host and no password in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_EMAIL = 254  # RFC 5321's limit on a forward path
MAX_EMAILS = 20  # per customer: a notice goes to a team, not to a mailing list
MAX_URL = 2000

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Contact:
    """A customer's notice addresses: emails (one notice to all of them) and a webhook."""

    customer_id: str
    emails: tuple[str, ...] = ()
    webhook_url: str | None = None

    @property
    def reachable(self) -> bool:
        return bool(self.emails) or self.webhook_url is not None


def email_problem(address: str) -> str | None:
    """Why `address` is not an email address warroom sends to, or None when it is."""
    if not address:
        return "an email address is empty"
    if len(address) > MAX_EMAIL:
        return f"{address[:40]!r}... is longer than {MAX_EMAIL} characters"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return f"{address!r} is not an email address (expected name@example.com)"
    if len(local) > 64 or not _LOCAL.match(local):
        return (
            f"{address!r} is not an email address: the part before @ has characters "
            "an address cannot have"
        )
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return f"{address!r} is not an email address: {domain!r} is not a domain name"
    return None


def parse_emails(text: str) -> tuple[tuple[str, ...], list[str]]:
    """`a@example.com; b@example.com` as addresses (duplicates dropped, in order), and
    the problems found (empty when every address is valid)."""
    parts = [part.strip() for part in text.split(";")]
    found = tuple(dict.fromkeys(part for part in parts if part))
    problems = [problem for part in found if (problem := email_problem(part))]
    if len(found) > MAX_EMAILS:
        problems.append(f"{len(found)} addresses; at most {MAX_EMAILS} per customer")
    return found, problems


def webhook_url_problem(url: str) -> str | None:
    """Why `url` is not a webhook URL warroom posts to, or None when it is."""
    if len(url) > MAX_URL:
        return f"the URL is longer than {MAX_URL} characters"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return f"{url!r} has spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"{url!r} is not a URL: {error}"
    if parts.scheme not in ("https", "http"):
        return f"{url!r} is not an http(s) URL (expected https://host/path)"
    if not parts.hostname:
        return f"{url!r} has no host"
    if parts.username is not None or parts.password is not None:
        return f"{url!r} carries a user name or password; receivers verify the signature instead"
    if parts.fragment:
        return f"{url!r} has a #fragment, which is never sent to a server"
    if port == 0:
        return f"{url!r} names port 0"
    return None
