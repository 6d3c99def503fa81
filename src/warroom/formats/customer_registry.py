"""The customer registry CSV: strict reading into `Customer`s, with file, line and column.

Two optional columns say where a customer's notices go: `contact_email` (one address, or
several separated by `;`) and `webhook_url`; `read_contacts_file` returns them.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from warroom.domain.contacts import Contact, parse_emails, webhook_url_problem
from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.sla import CURRENCY_MINOR_UNITS, SlaPolicy, unknown_currency_message
from warroom.formats.documents import read_text

COLUMNS = ("customer_id", "name", "tier", "monthly_fee", "currency", "regions")
CONTACT_COLUMNS = ("contact_email", "webhook_url")  # optional: where notices go
MAX_REGISTRY_BYTES = 50 * 1024 * 1024
MAX_PROBLEMS = 100  # past this, more messages only bury the first ones
MAX_FIELD = 1000


def read_registry_file(path: Path, *, policy: SlaPolicy | None = None) -> tuple[Customer, ...]:
    """Read and validate a registry CSV; InvalidInput lists every problem found."""
    text = read_text(path, max_bytes=MAX_REGISTRY_BYTES)
    return read_registry_text(text, source=str(path), policy=policy)


def read_registry_text(text: str, *, source: str = "<input>",
                       policy: SlaPolicy | None = None) -> tuple[Customer, ...]:
    """Parse registry CSV text; with a policy, tiers and currencies are checked against it.

    A tier the policy does not know is accepted (that customer has no SLA) unless it
    looks like a typo of a policy tier. Columns beyond the six of the registry (and the
    two optional contact columns) are ignored, so a CRM export can be used as it is.
    """
    return _read(text, source, policy)[0]


def read_contacts_file(path: Path) -> tuple[Contact, ...]:
    """The contacts of a registry CSV (validated whole, like `read_registry_file`): one per
    customer, with its addresses (none when its cells are empty)."""
    text = read_text(path, max_bytes=MAX_REGISTRY_BYTES)
    return read_contacts_text(text, source=str(path))


def read_contacts_text(text: str, *, source: str = "<input>") -> tuple[Contact, ...]:
    contacts, has_columns = _read(text, source, None)[1:]
    if not has_columns:
        raise InvalidInput([_problem(source, 1, "contact_email", "missing_column",
                                     "the registry has neither a contact_email nor a "
                                     "webhook_url column: it names no contacts")])
    return contacts


def _read(text: str, source: str, policy: SlaPolicy | None
          ) -> tuple[tuple[Customer, ...], tuple[Contact, ...], bool]:
    size = len(text.encode("utf-8"))
    if size > MAX_REGISTRY_BYTES:
        raise InvalidInput([_problem(source, None, "", "too_large",
                                     f"the registry is {size:,} bytes; the limit is "
                                     f"{MAX_REGISTRY_BYTES:,}")])
    reader = _Rows(text.removeprefix("\ufeff"), source)
    header_line, header = reader.header()
    index = _column_index(header, source, header_line)
    problems = reader.problems
    customers: list[Customer] = []
    contacts: list[Contact] = []
    first_line: dict[str, int] = {}  # customer_id -> the line it first appeared on
    for line, row in reader:
        if len(problems) >= MAX_PROBLEMS:
            problems.append(_problem(source, line, "", "too_many_problems",
                                     f"stopped after {MAX_PROBLEMS} problems"))
            break
        if len(row) != len(header):
            problems.append(_problem(source, line, "", "wrong_field_count",
                                     f"expected {len(header)} fields like the header, "
                                     f"found {len(row)}"))
            continue
        values = {column: row[index[column]].strip() for column in COLUMNS}
        customer, row_problems = _customer(values, policy, first_line, line)
        contact, contact_problems = _contact(values["customer_id"], {
            column: row[index[column]].strip() for column in CONTACT_COLUMNS
            if column in index})
        problems.extend(_problem(source, line, column, code, message)
                        for column, code, message in [*row_problems, *contact_problems])
        if customer is not None and contact is not None:
            customers.append(customer)
            contacts.append(contact)
    if problems:
        raise InvalidInput(problems)
    if not customers:
        raise InvalidInput([_problem(source, None, "", "empty",
                                     "the registry has a header but no customers")])
    return tuple(customers), tuple(contacts), any(c in index for c in CONTACT_COLUMNS)


# A monthly fee beyond a trillion is a unit or typing mistake, and would overflow the
# Decimal context credits are computed in.
MAX_FEE = Decimal(10) ** 12


def _customer(values: dict[str, str], policy: SlaPolicy | None, first_line: dict[str, int],
              line: int) -> tuple[Customer | None, list[tuple[str, str, str]]]:
    """One row as a Customer, or its problems as (column, code, message)."""
    problems: list[tuple[str, str, str]] = []
    customer_id = values["customer_id"]
    if not customer_id:
        problems.append(("customer_id", "required", "customer_id is empty"))
    elif customer_id in first_line:
        problems.append(("customer_id", "duplicate",
                         f"duplicate customer_id {customer_id!r}: also on line "
                         f"{first_line[customer_id]}"))
    else:
        first_line[customer_id] = line
    problems.extend((column, "too_long", f"{column} is longer than {MAX_FIELD} characters")
                    for column in COLUMNS if len(values[column]) > MAX_FIELD)
    if not values["name"]:
        problems.append(("name", "required", "name is empty"))
    tier = values["tier"]
    tier_problem = _tier_problem(tier, policy)
    if tier_problem:
        problems.append(("tier", "unknown_tier", tier_problem))
    fee = _fee(values["monthly_fee"])
    if isinstance(fee, str):
        problems.append(("monthly_fee", "bad_number", fee))
    currency = values["currency"]
    if currency not in CURRENCY_MINOR_UNITS:
        problems.append(("currency", "unknown_currency", unknown_currency_message(currency)))
    elif policy is not None and policy.currency and currency != policy.currency:
        problems.append(("currency", "currency_mismatch",
                         f"currency {currency} differs from the SLA policy's currency "
                         f"{policy.currency}"))
    if problems or isinstance(fee, str):
        return None, problems
    regions = tuple(dict.fromkeys(
        part.strip() for part in values["regions"].split(";") if part.strip()))
    return Customer(customer_id=customer_id, name=values["name"], tier=tier, monthly_fee=fee,
                    currency=currency, regions=regions), []


def _contact(customer_id: str, values: dict[str, str]
             ) -> tuple[Contact | None, list[tuple[str, str, str]]]:
    """The row's contact columns (those the header has) as a Contact, or their problems."""
    problems: list[tuple[str, str, str]] = []
    emails, email_problems = parse_emails(values.get("contact_email", ""))
    problems.extend(("contact_email", "bad_email", message) for message in email_problems)
    url = values.get("webhook_url") or None
    if url is not None and (url_problem := webhook_url_problem(url)):
        problems.append(("webhook_url", "bad_url", url_problem))
    if problems:
        return None, problems
    return Contact(customer_id, emails, url), []


def _problem(source: str, line: int | None, column: str, code: str, message: str) -> Problem:
    return Problem(field=column, code=code, message=message, source=source, line=line)


class _Rows:
    """CSV records with the line each one starts on (a quoted field may span lines)."""

    def __init__(self, text: str, source: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        self._source = source
        self._next_line = 1
        self.problems: list[Problem] = []
        self._iter = self._records()

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            start = self._next_line
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.problems.append(_problem(self._source, self._reader.line_num, "",
                                              "malformed", f"is not valid CSV: {exc}"))
                return
            self._next_line = self._reader.line_num + 1
            if row and any(cell.strip() for cell in row):
                yield start, row

    def header(self) -> tuple[int, list[str]]:
        for line, row in self._iter:
            return line, row
        problems = self.problems or [_problem(self._source, None, "", "empty",
                                              f"is empty; expected a header row: "
                                              f"{', '.join(COLUMNS)}")]
        raise InvalidInput(problems)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self._iter


def _column_index(header: list[str], source: str, line: int) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    problems = []
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in COLUMNS or name in CONTACT_COLUMNS:
            if name in index:
                problems.append(_problem(source, line, name, "duplicate_column",
                                         f"the column {name!r} appears twice in the header"))
            index.setdefault(name, position)
    found = ", ".join(repr(cell.strip()) for cell in header)
    unknown = [name for name in names if name not in COLUMNS and name not in CONTACT_COLUMNS]
    for column in COLUMNS:
        if column in index:
            continue
        guess = ([name for name in unknown if name and (name in column or column in name)]
                 or difflib.get_close_matches(column, unknown, n=1, cutoff=0.6))
        hint = f" (is {guess[0]!r} meant to be {column!r}?)" if guess else ""
        problems.append(_problem(source, line, column, "missing_column",
                                 f"missing column {column!r}{hint}; the header has {found}; "
                                 f"expected {', '.join(COLUMNS)}"))
    if problems:
        raise InvalidInput(problems)
    return index


def _tier_problem(tier: str, policy: SlaPolicy | None) -> str | None:
    if not tier:
        return "tier is empty"
    if policy is None or policy.tier(tier) is not None:
        return None
    known = list(policy.tier_names)
    lowered = {name.lower(): name for name in known}
    guess = ([lowered[tier.lower()]] if tier.lower() in lowered
             else difflib.get_close_matches(tier, known, n=1, cutoff=0.8))
    if guess:
        # A near miss is almost always a typo that would silently cancel a credit.
        return f"unknown tier {tier!r} (did you mean {guess[0]!r}?)"
    return None  # a tier without an SLA: accepted, it earns no credit


def _fee(text: str) -> Decimal | str:
    """The fee, or why it is not one."""
    if not text:
        return "monthly_fee is empty"
    if "," in text:
        return (f"monthly_fee {text!r} has a comma; write the number without thousands "
                f"separators and with a point for decimals (e.g. 1234.50)")
    try:
        fee = Decimal(text)
    except InvalidOperation:
        return f"monthly_fee {text!r} is not a number"
    if not fee.is_finite():
        return f"monthly_fee {text!r} is not a number"
    if fee < 0:
        return f"monthly_fee {text} is negative"
    if fee >= MAX_FEE:
        return f"monthly_fee {text} is not a plausible monthly fee (at most {MAX_FEE - 1:,})"
    return fee
