"""The customer registry: strict reading into `Customer`s, from a CSV file, Parquet files or a
database table, with the file (or table) and the line (or row) of every problem.

- `open_registry(LOCATION)` reads any registry in batches, from whatever `warroom impact
  --requests` reads (`analytics.sources`): a CSV file (or several), Parquet files, a
  DuckDB or PostgreSQL table. Memory stays flat but for the set of IDs seen, which
  duplicates are checked against.
- `read_registry_file`, `read_registry_text` read a small CSV registry whole (at most
  `MAX_REGISTRY_BYTES`).

The same validation runs on every row whatever the source (table values are read as the
text a CSV would hold): CSV problems name the line (a quoted field may span lines);
table problems name the row, counted from 1 within its file or table.

Two optional columns say where a customer's notices go: `contact_email` (one address,
or several separated by `;`) and `webhook_url`; `open_contacts` reads and checks them
with the rest of each row (reading the registry for its figures leaves them alone).
"""

from __future__ import annotations

import csv
import difflib
import glob
import gzip
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from warroom.analytics.sources import Source, UnreadableSource, parse_source, read_rows
from warroom.domain.contacts import Contact, parse_emails, webhook_url_problem
from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.sla import CURRENCY_MINOR_UNITS, SlaPolicy, unknown_currency_message
from warroom.formats.documents import read_text

COLUMNS = ("customer_id", "name", "tier", "monthly_fee", "currency", "regions")
CONTACT_COLUMNS = ("contact_email", "webhook_url")  # optional: where notices go
MAX_REGISTRY_BYTES = 50 * 1024 * 1024  # for registries read whole
MAX_PROBLEMS = 100  # past this, more messages only bury the first ones
MAX_FIELD = 1000
BATCH = 10_000  # customers per batch


def read_registry_file(path: Path, *, policy: SlaPolicy | None = None) -> tuple[Customer, ...]:
    """Read and validate a registry CSV whole; InvalidInput lists every problem found."""
    text = read_text(path, max_bytes=MAX_REGISTRY_BYTES)
    return read_registry_text(text, source=str(path), policy=policy)


def read_registry_text(
    text: str, *, source: str = "<input>", policy: SlaPolicy | None = None
) -> tuple[Customer, ...]:
    """Parse registry CSV text; with a policy, tiers and currencies are checked against it.

    A tier the policy does not know is accepted (that customer has no SLA) unless it
    looks like a typo of a policy tier. Columns beyond the six of the registry (and the
    two optional contact columns) are ignored, so a CRM export can be used as it is.
    """
    checker = _Checker(policy)
    customers = [
        customer
        for batch in _csv_batches(_whole(text, source), source, checker)
        for customer in batch
    ]
    checker.finish(source)
    return tuple(customers)


def read_contacts_text(text: str, *, source: str = "<input>") -> tuple[Contact, ...]:
    """The contacts of a small registry CSV given whole (see `open_contacts`)."""
    checker = _Checker(None)
    found = _Contacts()
    for _ in _csv_batches(_whole(text, source), source, checker, found):
        pass
    checker.finish(source)
    found.check(source)
    return tuple(found.take())


def _whole(text: str, source: str) -> IO[str]:
    size = len(text.encode("utf-8"))
    if size > MAX_REGISTRY_BYTES:
        raise InvalidInput(
            [
                _problem(
                    source,
                    None,
                    "",
                    "too_large",
                    f"the registry is {size:,} bytes; the limit is {MAX_REGISTRY_BYTES:,}",
                )
            ]
        )
    return io.StringIO(text.removeprefix("\ufeff"), newline="")


@dataclass
class _Contacts:
    """What a reading of a registry found of its contact columns: whether its header has
    one, and the rows' contacts since last taken."""

    columns: bool = False
    contacts: list[Contact] = field(default_factory=list)

    def take(self) -> list[Contact]:
        taken, self.contacts = self.contacts, []
        return taken

    def check(self, source: str) -> None:
        if not self.columns:
            raise InvalidInput(
                [
                    _problem(
                        source,
                        1,
                        "contact_email",
                        "missing_column",
                        "the registry has neither a contact_email nor a "
                        "webhook_url column: it names no contacts",
                    )
                ]
            )


@dataclass(frozen=True)
class ContactsSource:
    """The contacts of a registry kept anywhere `open_registry` reads, in batches, with
    every row checked as the registry's are. Calling it reads them again from the start;
    problems are raised once it has been read to the end (load them in a transaction)."""

    spec: Source

    @property
    def text(self) -> str:
        return self.spec.text

    def __call__(self) -> Iterator[list[Contact]]:
        checker = _Checker(None)
        found = _Contacts()
        if self.spec.kind == "csv" and not self.spec.location.lower().endswith(".zst"):
            for path in _csv_files(self.spec):
                with _open_csv(path, self.spec) as stream:
                    for _ in _csv_batches(stream, str(path), checker, found):
                        yield found.take()
        else:
            for _ in _table_batches(self.spec, checker, found):
                yield found.take()
        if found.contacts:
            yield found.take()
        checker.finish(self.spec.text)
        found.check(self.spec.text)


def open_contacts(location: str | Path) -> ContactsSource:
    """The contacts of the registry at `location` (any place `open_registry` takes)."""
    return ContactsSource(open_registry(location).spec)


@dataclass(frozen=True)
class RegistrySource:
    """A customer registry read in batches from where it is kept. Calling it reads the
    registry again from the start (a `services.sla.Registry`); its problems are raised
    (InvalidInput, every one up to `MAX_PROBLEMS`) once it has been read to the end, or
    at once when it cannot be read at all."""

    spec: Source
    policy: SlaPolicy | None = None

    @property
    def text(self) -> str:
        """The location as written (a password left out)."""
        return self.spec.text

    def __call__(self) -> Iterator[list[Customer]]:
        checker = _Checker(self.policy)
        if self.spec.kind == "csv" and not self.spec.location.lower().endswith(".zst"):
            for path in _csv_files(self.spec):
                with _open_csv(path, self.spec) as stream:
                    yield from _csv_batches(stream, str(path), checker)
        else:
            yield from _table_batches(self.spec, checker)
        checker.finish(self.spec.text)


def open_registry(location: str | Path, *, policy: SlaPolicy | None = None) -> RegistrySource:
    """A registry kept at `location`: a CSV file (``.csv``, ``.csv.gz``, ``.tsv``), Parquet
    files, ``duckdb:///file.db#table`` or ``postgresql://...#table`` (see
    `analytics.sources`). Refused at once when there is nothing there to read."""
    text = str(location).strip()
    if not text:
        raise InvalidInput(
            [
                Problem(
                    "customers",
                    "required",
                    "no customer registry given: pass --customers PATH or URL",
                )
            ]
        )
    return RegistrySource(parse_source(text), policy)


def registry_size(registry: RegistrySource) -> tuple[int, set[str]]:
    """How many customers a registry holds, and their IDs (for counting the share of a
    registry an impact analysis touched)."""
    ids: set[str] = set()
    for batch in registry():
        ids.update(customer.customer_id for customer in batch)
    return len(ids), ids


# -- the checks every row goes through ------------------------------------------------------


class _Checker:
    """The registry's rules over its rows as they come: every problem up to MAX_PROBLEMS,
    and duplicate IDs, named with the line (or row, and file) each ID was first seen on."""

    def __init__(self, policy: SlaPolicy | None) -> None:
        self.policy = policy
        self.problems: list[Problem] = []
        # customer_id -> where it was first seen, as one int (file number << 32 | line):
        # a million IDs take ~100 MB this way
        self.first_seen: dict[str, int] = {}
        self.files: dict[str, int] = {}
        self.count = 0
        self._tiers: dict[str, str | None] = {}  # tier -> its problem (the same for every row)

    @property
    def stopped(self) -> bool:
        return len(self.problems) > MAX_PROBLEMS

    def add(self, problem: Problem) -> None:
        if len(self.problems) == MAX_PROBLEMS:
            self.problems.append(
                _problem(
                    problem.source or "",
                    problem.line,
                    "",
                    "too_many_problems",
                    f"stopped after {MAX_PROBLEMS} problems",
                )
            )
        elif not self.stopped:
            self.problems.append(problem)

    def row(
        self, values: dict[str, str], source: str, line: int, *, word: str = "line"
    ) -> Customer | None:
        customer, problems = _customer(values, self.policy, self._tiers)
        customer_id = values["customer_id"]
        if customer_id:
            file = self.files.setdefault(source, len(self.files))
            here = file << 32 | line
            first = self.first_seen.setdefault(customer_id, here)
            if first != here:
                where = f"{word} {first & 0xFFFFFFFF}"
                if first >> 32 != file:
                    where += f" of {next(s for s, n in self.files.items() if n == first >> 32)}"
                problems.insert(
                    0,
                    (
                        "customer_id",
                        "duplicate",
                        f"duplicate customer_id {customer_id!r}: also on {where}",
                    ),
                )
                customer = None
        for column, code, message in problems:
            self.add(_problem(source, line, column, code, message))
        if customer is not None:
            self.count += 1
        return customer

    def finish(self, source: str) -> None:
        if self.problems:
            raise InvalidInput(self.problems)
        if not self.count:
            raise InvalidInput(
                [_problem(source, None, "", "empty", "the registry has a header but no customers")]
            )


# A monthly fee beyond a trillion is a unit or typing mistake, and would overflow the
# Decimal context credits are computed in.
MAX_FEE = Decimal(10) ** 12


def _customer(
    values: dict[str, str],
    policy: SlaPolicy | None,
    tiers: dict[str, str | None] | None = None,
) -> tuple[Customer | None, list[tuple[str, str, str]]]:
    """One row as a Customer, or its problems as (column, code, message); duplicates are
    the checker's to find. `tiers` keeps the verdict on each tier seen."""
    problems: list[tuple[str, str, str]] = []
    customer_id = values["customer_id"]
    if not customer_id:
        problems.append(("customer_id", "required", "customer_id is empty"))
    if max(map(len, values.values())) > MAX_FIELD:
        problems.extend(
            (column, "too_long", f"{column} is longer than {MAX_FIELD} characters")
            for column in COLUMNS
            if len(values[column]) > MAX_FIELD
        )
    if not values["name"]:
        problems.append(("name", "required", "name is empty"))
    tier = values["tier"]
    if tiers is None:
        tier_problem = _tier_problem(tier, policy)
    elif tier in tiers:
        tier_problem = tiers[tier]
    else:
        tier_problem = tiers[tier] = _tier_problem(tier, policy)
    if tier_problem:
        problems.append(("tier", "unknown_tier", tier_problem))
    fee = _fee(values["monthly_fee"])
    if isinstance(fee, str):
        problems.append(("monthly_fee", "bad_number", fee))
    currency = values["currency"]
    if currency not in CURRENCY_MINOR_UNITS:
        problems.append(("currency", "unknown_currency", unknown_currency_message(currency)))
    elif policy is not None and policy.currency and currency != policy.currency:
        problems.append(
            (
                "currency",
                "currency_mismatch",
                f"currency {currency} differs from the SLA policy's currency {policy.currency}",
            )
        )
    if problems or isinstance(fee, str):
        return None, problems
    text = values["regions"]
    if not text:
        regions: tuple[str, ...] = ()
    elif ";" not in text:
        regions = (text,)  # one region (the value is stripped already)
    else:
        regions = tuple(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))
    return Customer(customer_id, values["name"], tier, fee, currency, regions), []


def _contact(
    customer_id: str, values: dict[str, str]
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


# -- CSV --------------------------------------------------------------------------------------


def _csv_files(spec: Source) -> list[Path]:
    if glob.has_magic(spec.location):
        return [
            Path(p) for p in sorted(glob.glob(spec.location, recursive=True)) if Path(p).is_file()
        ]
    return [Path(spec.location)]


def _open_csv(path: Path, spec: Source) -> IO[str]:
    try:
        if path.name.lower().endswith(".gz"):
            return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UnreadableSource(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _csv_batches(
    stream: IO[str], source: str, checker: _Checker, contacts: _Contacts | None = None
) -> Iterator[list[Customer]]:
    """The customers of one CSV file, validated (their contact cells too), in batches;
    `contacts` collects the rows' contacts."""
    delimiter = "\t" if source.lower().endswith((".tsv", ".tsv.gz")) else ","
    reader = _Rows(stream, source, delimiter)
    try:
        header_line, header = reader.header()
        index = _column_index(header, source, header_line)
        positions = [(column, index[column]) for column in COLUMNS]
        # contact cells are read (and checked) only when contacts are asked for: an
        # address is not a figure, and a bad one must not stop an assessment
        reach = [
            (column, index[column])
            for column in CONTACT_COLUMNS
            if contacts is not None and column in index
        ]
        if contacts is not None:
            contacts.columns = bool(reach)
        width = len(header)
        batch: list[Customer] = []
        for line, row in reader:
            if checker.stopped:
                break
            if len(row) != width:
                checker.add(
                    _problem(
                        source,
                        line,
                        "",
                        "wrong_field_count",
                        f"expected {width} fields like the header, found {len(row)}",
                    )
                )
                continue
            values = {column: row[at].strip() for column, at in positions}
            customer = checker.row(values, source, line)
            if reach:
                contact, problems = _contact(
                    values["customer_id"], {column: row[at].strip() for column, at in reach}
                )
                for column, code, message in problems:
                    checker.add(_problem(source, line, column, code, message))
                if contact is None:
                    continue
                if contacts is not None and customer is not None:
                    contacts.contacts.append(contact)
            if customer is not None:
                batch.append(customer)
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            [_problem(source, reader.line, "", "malformed", f"is not UTF-8 text ({exc.reason})")]
        ) from None
    for problem in reader.problems:
        checker.add(problem)


class _Rows:
    """CSV records with the line each one starts on (a quoted field may span lines)."""

    def __init__(self, stream: IO[str], source: str, delimiter: str = ",") -> None:
        self._reader = csv.reader(stream, strict=True, delimiter=delimiter)
        self._source = source
        self._next_line = 1
        self.problems: list[Problem] = []
        self._iter = self._records()

    @property
    def line(self) -> int:
        return self._next_line

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            start = self._next_line
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.problems.append(
                    _problem(
                        self._source,
                        self._reader.line_num,
                        "",
                        "malformed",
                        f"is not valid CSV: {exc}",
                    )
                )
                return
            self._next_line = self._reader.line_num + 1
            if row and (row[0].strip() or any(cell.strip() for cell in row)):
                yield start, row

    def header(self) -> tuple[int, list[str]]:
        for line, row in self._iter:
            return line, row
        problems = self.problems or [
            _problem(
                self._source,
                None,
                "",
                "empty",
                f"is empty; expected a header row: {', '.join(COLUMNS)}",
            )
        ]
        raise InvalidInput(problems)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self._iter


def _column_index(header: Sequence[str], source: str, line: int | None) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    problems = []
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in COLUMNS or name in CONTACT_COLUMNS:
            if name in index:
                problems.append(
                    _problem(
                        source,
                        line,
                        name,
                        "duplicate_column",
                        f"the column {name!r} appears twice in the header",
                    )
                )
            index.setdefault(name, position)
    found = ", ".join(repr(cell.strip()) for cell in header)
    unknown = [name for name in names if name not in COLUMNS and name not in CONTACT_COLUMNS]
    for column in COLUMNS:
        if column in index:
            continue
        guess = [
            name for name in unknown if name and (name in column or column in name)
        ] or difflib.get_close_matches(column, unknown, n=1, cutoff=0.6)
        hint = f" (is {guess[0]!r} meant to be {column!r}?)" if guess else ""
        problems.append(
            _problem(
                source,
                line,
                column,
                "missing_column",
                f"missing column {column!r}{hint}; the header has {found}; "
                f"expected {', '.join(COLUMNS)}",
            )
        )
    if problems:
        raise InvalidInput(problems)
    return index


# -- tables (Parquet, DuckDB, PostgreSQL) ----------------------------------------------------


def _table_batches(
    spec: Source, checker: _Checker, contacts: _Contacts | None = None
) -> Iterator[list[Customer]]:
    """The customers of a table-like source, validated, in batches: each value is read as
    the text a CSV cell would hold (numbers exactly, a list of regions joined by `;`);
    `contacts` collects the rows' contacts, as `_csv_batches` does."""
    index: dict[str, int] | None = None
    for rows in read_rows(spec, batch_rows=BATCH):
        names = list(rows.columns)
        if index is None:
            index = _column_index(names, spec.text, None)
            if contacts is not None:
                contacts.columns = any(c in index for c in CONTACT_COLUMNS)
        columns = [rows.columns[names[index[column]]] for column in COLUMNS]
        reach = [
            (column, rows.columns[names[index[column]]])
            for column in CONTACT_COLUMNS
            if contacts is not None and column in index
        ]
        batch: list[Customer] = []
        for i, (source, number) in enumerate(zip(rows.sources, rows.rows, strict=True)):
            if checker.stopped:
                return
            values = {column: _cell(columns[c][i]) for c, column in enumerate(COLUMNS)}
            customer = checker.row(values, source, number, word="row")
            if reach and contacts is not None:
                contact, problems = _contact(
                    values["customer_id"], {column: _cell(cells[i]) for column, cells in reach}
                )
                for column, code, message in problems:
                    checker.add(_problem(source, number, column, code, message))
                if contact is not None and customer is not None:
                    contacts.contacts.append(contact)
            if customer is not None:
                batch.append(customer)
        if batch:
            yield batch


def _cell(value: Any) -> str:
    """A table value as the text a CSV cell holding it would show."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    if isinstance(value, Iterable):
        return ";".join(_cell(item) for item in value)
    return str(value)


def _tier_problem(tier: str, policy: SlaPolicy | None) -> str | None:
    if not tier:
        return "tier is empty"
    if policy is None or policy.tier(tier) is not None:
        return None
    known = list(policy.tier_names)
    lowered = {name.lower(): name for name in known}
    guess = (
        [lowered[tier.lower()]]
        if tier.lower() in lowered
        else difflib.get_close_matches(tier, known, n=1, cutoff=0.8)
    )
    if guess:
        # A near miss is almost always a typo that would silently cancel a credit.
        return f"unknown tier {tier!r} (did you mean {guess[0]!r}?)"
    return None  # a tier without an SLA: accepted, it earns no credit


def _fee(text: str) -> Decimal | str:
    """The fee, or why it is not one."""
    if not text:
        return "monthly_fee is empty"
    if "," in text:
        return (
            f"monthly_fee {text!r} has a comma; write the number without thousands "
            f"separators and with a point for decimals (e.g. 1234.50)"
        )
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
