"""Deterministic demo data for the reference incident INC-2025-1108-001 (see examples/README.md).

    python examples/generate_demo.py --out .demo [--seed 1108] [--rows 3000000]

writes four files into the output directory:

- ``incident.yaml``     the reference SEV-1 incident in the incident-file format;
- ``customers.csv``     the customer registry: 847 enterprise and business customers, with
                        the addresses their notices go to (``contact_email``: an
                        ``.example`` address, two for every seventh customer);
- ``sla-policy.yaml``   the reference SLA policy;
- ``requests.parquet``  the request log of 2025-11-08 (the whole UTC day), sorted by ``ts``.

The data is calibrated so that warroom's definitions (docs/definitions.md), applied over the
impact window [14:02, 19:49) UTC, give the reference report's numbers: 847 affected
customers, about 52,000 affected users and 12,400 affected transactions, and a liability
range of exactly 127,000.00 - 185,000.00 USD. The same seed gives byte-identical files.

``generate_requests`` writes request logs of the same shape at any size (benchmarks use
10 and 50 million rows): it works in chunks of whole minutes, one Parquet row group per
chunk, so memory stays bounded by the chunk size. Everything per request is generated
with numpy, never with a Python loop over requests.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import sys
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

# -- the reference incident ----------------------------------------------------------------

DAY = datetime(2025, 11, 8, tzinfo=UTC)
DAY_US = int(DAY.timestamp()) * 1_000_000
MINUTE_US = 60_000_000
DAY_MINUTES = 24 * 60
WINDOW_START = 14 * 60 + 2  # 14:02, the first `detected` entry: minute of the day
WINDOW_END = 19 * 60 + 49  # 19:49, the first `resolved` entry (exclusive)
WINDOW_MINUTES = WINDOW_END - WINDOW_START  # 347
MONTH_MINUTES = 30 * 24 * 60  # November 2025: 43,200

# Phases of the outage, in minutes after 14:02 (the reference timeline).
DECLARED = 6  # 14:08
FAILOVER = 15 * 60 + 45 - WINDOW_START  # 15:45 failover to the secondary cluster
SECONDARY_FAILS = 16 * 60 + 20 - WINDOW_START  # 16:20 secondary cluster also failing
RESTORE = 17 * 60 + 30 - WINDOW_START  # 17:30 decision to restore from backup
MITIGATED = 18 * 60 + 45 - WINDOW_START  # 18:45 primary services restored, validating

# -- calibration targets --------------------------------------------------------------------

CUSTOMERS = 847
ENTERPRISE = 124  # the others are business customers
QUIET_ENTERPRISE = 38  # customers with almost no traffic in the window (see README)
QUIET_BUSINESS = 150
QUIET_MAX_MINUTES = 15  # a quiet customer has requests in at most this many window minutes
AFFECTED_USERS = 52_000  # each about: the exact count gets a small seeded jitter
AFFECTED_TRANSACTIONS = 12_400
LOW_LIABILITY = Decimal("127000.00")
HIGH_LIABILITY = Decimal("185000.00")
DEFAULT_ROWS = 3_000_000
DEFAULT_SEED = 1108
CHUNK_ROWS = 1_000_000
CALIBRATED_ROWS = 1_000_000  # below this the user and transaction targets shrink with `rows`

CURRENCY = "USD"
PERCENT = {"enterprise": 10, "business": 5}  # credit at 347 down minutes (uptime 99.1968 %)
TARGET = {"enterprise": Decimal("99.95"), "business": Decimal("99.9")}
BRACKETS = {  # (below, percent), as in sla-policy.yaml
    "enterprise": ((Decimal("99.95"), 10), (Decimal("99.0"), 25), (Decimal("95.0"), 100)),
    "business": ((Decimal("99.9"), 5), (Decimal("99.0"), 10)),
}
CAP = {"enterprise": None, "business": Decimal(100)}
FEE_CENTS = {"enterprise": (500_000, 6_000_000), "business": (50_000, 900_000)}
FEE_MEDIAN = {"enterprise": 11_000.0, "business": 1_900.0}

REGIONS = ("us-east", "us-west", "eu-west", "eu-central", "ap-south")
QUIET_REGION = 4  # ap-south: quiet customers are off hours (evening in India) in the window
SERVICES = ("api", "web", "search", "auth", "checkout", "billing")
PLAIN_SERVICE_P = (0.42, 0.25, 0.15, 0.12, 0.04, 0.02)
TXN_SERVICES = (4, 5)  # transactions go through checkout and billing
TXN_SERVICE_P = (0.7, 0.3)

OK_CODES = np.array([200, 201, 204, 304, 400, 401, 403, 404, 409, 422, 429], dtype=np.int16)
OK_P = np.array([0.84, 0.04, 0.03, 0.05, 0.008, 0.006, 0.003, 0.01, 0.002, 0.003, 0.008])
TXN_OK_CODES = np.array([200, 201, 400, 409, 422], dtype=np.int16)
TXN_OK_P = np.array([0.7, 0.27, 0.01, 0.01, 0.01])
NULL_STATUS = -1  # written as a null status: no response recorded
INCIDENT_CODES = np.array([0, 503, 500, 502, 504, NULL_STATUS], dtype=np.int16)
INCIDENT_P = np.array([0.47, 0.33, 0.07, 0.05, 0.05, 0.03])
BACKGROUND_CODES = np.array([500, 502, 503, 504, 0], dtype=np.int16)
BACKGROUND_P = np.array([0.4, 0.2, 0.15, 0.1, 0.15])
BACKGROUND_FAILURE = 0.0025  # outside the window: 0.25 % of requests fail
TXN_SHARE = 0.05  # outside the window: share of requests that belong to a transaction

SCHEMA = pa.schema(
    [
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("status", pa.int16()),
        pa.field("region", pa.string(), nullable=False),
        pa.field("service", pa.string(), nullable=False),
        pa.field("txn_id", pa.string()),
    ]
)

_NAME_ROOTS = (
    "Acme",
    "Apex",
    "Arbor",
    "Aster",
    "Atlas",
    "Aurora",
    "Beacon",
    "Birch",
    "Blue Harbor",
    "Bluefin",
    "Boreal",
    "Brightline",
    "Cedar",
    "Cobalt",
    "Copper",
    "Crescent",
    "Delta",
    "Ember",
    "Evergreen",
    "Falcon",
    "Fjord",
    "Granite",
    "Harbor",
    "Helix",
    "Horizon",
    "Indigo",
    "Juniper",
    "Keystone",
    "Lumen",
    "Maple",
    "Meridian",
    "Nimbus",
    "Northwind",
    "Oakridge",
    "Orchid",
    "Pinnacle",
    "Polaris",
    "Quarry",
    "Redwood",
    "Sable",
    "Sierra",
    "Silverline",
    "Summit",
    "Tidewater",
    "Vertex",
    "Willow",
    "Zephyr",
)
_NAME_NOUNS = (
    "Analytics",
    "Bank",
    "Biotech",
    "Capital",
    "Cargo",
    "Clinics",
    "Cloud",
    "Commerce",
    "Consulting",
    "Dental",
    "Energy",
    "Foods",
    "Freight",
    "Games",
    "Health",
    "Insurance",
    "Labs",
    "Learning",
    "Logistics",
    "Media",
    "Motors",
    "Payments",
    "Pharma",
    "Realty",
    "Retail",
    "Robotics",
    "Software",
    "Studios",
    "Systems",
    "Telecom",
    "Travel",
    "Ventures",
)
_NAME_FORMS = ("Inc", "LLC", "Ltd", "GmbH", "SA", "BV", "Group", "Co")


class CalibrationError(RuntimeError):
    """The generated data does not reproduce the reference numbers."""


# -- customers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Customers:
    """The customer registry as arrays (index i is customer C{i+1:04d})."""

    ids: np.ndarray  # str
    names: np.ndarray  # str
    enterprise: np.ndarray  # bool
    fee_cents: np.ndarray  # int64
    quiet: np.ndarray  # bool: almost no traffic in the impact window
    weight: np.ndarray  # float64: share of the traffic (quiet ones: none in the window)
    region_table: np.ndarray  # int8 (n, 5): region indexes, first region_count valid
    region_count: np.ndarray  # int8
    all_regions: np.ndarray  # bool: empty `regions` in the registry (= all)

    def __len__(self) -> int:
        return len(self.ids)

    def tier(self, i: int) -> str:
        return "enterprise" if self.enterprise[i] else "business"

    def fee(self, i: int) -> Decimal:
        return Decimal(int(self.fee_cents[i])).scaleb(-2)


def make_customers(seed: int = DEFAULT_SEED) -> Customers:
    """The 847 customers, fees fitted so the liability range is exact (checked in Decimal)."""
    rng = np.random.default_rng([seed, 1])
    n = CUSTOMERS
    enterprise = np.zeros(n, dtype=bool)
    enterprise[rng.permutation(n)[:ENTERPRISE]] = True
    quiet = np.zeros(n, dtype=bool)
    ent_idx, bus_idx = np.flatnonzero(enterprise), np.flatnonzero(~enterprise)
    quiet[rng.choice(ent_idx, QUIET_ENTERPRISE, replace=False)] = True
    quiet[rng.choice(bus_idx, QUIET_BUSINESS, replace=False)] = True

    fee_cents = np.zeros(n, dtype=np.int64)
    total_credits = {True: Decimal(0), False: Decimal(0)}
    for is_quiet, credit_target in ((False, LOW_LIABILITY), (True, HIGH_LIABILITY - LOW_LIABILITY)):
        members = np.flatnonzero(quiet == is_quiet)
        fee_cents[members] = _fit_fees(rng, enterprise[members], int(credit_target * 100))
        total_credits[is_quiet] = sum(
            (
                _credit(Decimal(int(c)).scaleb(-2), PERCENT["enterprise" if e else "business"])
                for c, e in zip(fee_cents[members], enterprise[members], strict=True)
            ),
            Decimal(0),
        )

    combos = rng.permutation(len(_NAME_ROOTS) * len(_NAME_NOUNS))[:n]
    roots = np.array(_NAME_ROOTS)[combos // len(_NAME_NOUNS)]
    nouns = np.array(_NAME_NOUNS)[combos % len(_NAME_NOUNS)]
    forms = np.array(_NAME_FORMS)[rng.integers(0, len(_NAME_FORMS), n)]
    forms = np.where(quiet, "Pvt Ltd", forms)
    names = np.char.add(np.char.add(np.char.add(roots, " "), np.char.add(nouns, " ")), forms)

    # Regions: quiet customers are in ap-south; a third of the others use every region.
    region_table = np.zeros((n, len(REGIONS)), dtype=np.int8)
    region_count = np.zeros(n, dtype=np.int8)
    keys = rng.random((n, len(REGIONS)))
    picked = np.argsort(keys, axis=1).astype(np.int8)
    counts = rng.choice([1, 2, 3], n, p=[0.5, 0.3, 0.2]).astype(np.int8)
    all_regions = (rng.random(n) < 0.35) & ~quiet
    region_table[:] = np.sort(
        np.where(np.arange(len(REGIONS)) < counts[:, None], picked, 99), axis=1
    )  # the first `counts` slots hold the regions, sorted
    region_count[:] = counts
    region_table[all_regions] = np.arange(len(REGIONS), dtype=np.int8)
    region_count[all_regions] = len(REGIONS)
    region_table[quiet, 0] = QUIET_REGION
    region_count[quiet] = 1

    weight = np.where(quiet, 0.3, 2.5 + rng.lognormal(0.0, 0.9, n))
    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 4))
    customers = Customers(
        ids=ids,
        names=names,
        enterprise=enterprise,
        fee_cents=fee_cents,
        quiet=quiet,
        weight=weight / weight.sum(),
        region_table=region_table,
        region_count=region_count,
        all_regions=all_regions,
    )
    _check_fees(customers, total_credits)
    return customers


def _credit(fee: Decimal, percent: int | Decimal) -> Decimal:
    """percent x fee, rounded half-up to the cent (docs/definitions.md, "Credit")."""
    return (fee * Decimal(percent) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _credit_cents(fee_cents: np.ndarray, percent: np.ndarray) -> np.ndarray:
    return (fee_cents * percent + 50) // 100  # half-up on non-negative integers


def _fit_fees(rng: np.random.Generator, enterprise: np.ndarray, credit_cents: int) -> np.ndarray:
    """Fees (cents) in the tier ranges whose credits at 10 % / 5 % sum to `credit_cents`."""
    median = np.where(enterprise, FEE_MEDIAN["enterprise"], FEE_MEDIAN["business"]) * 100
    raw = median * rng.lognormal(0.0, 0.5, len(enterprise))
    low = np.where(enterprise, FEE_CENTS["enterprise"][0], FEE_CENTS["business"][0])
    high = np.where(enterprise, FEE_CENTS["enterprise"][1], FEE_CENTS["business"][1])
    percent = np.where(enterprise, PERCENT["enterprise"], PERCENT["business"])

    def fees_at(scale: float) -> np.ndarray:
        return np.clip(np.rint(raw * scale), low, high).astype(np.int64)

    lo_scale, hi_scale = 0.01, 100.0  # the credit total grows with the scale: bisect
    for _ in range(200):
        mid = (lo_scale + hi_scale) / 2
        if _credit_cents(fees_at(mid), percent).sum() > credit_cents:
            hi_scale = mid
        else:
            lo_scale = mid
    fees = fees_at(lo_scale)
    # The last few cents: 20 more cents of a business fee is exactly 1 more cent of credit.
    residual = credit_cents - int(_credit_cents(fees, percent).sum())
    for i in np.argsort(-fees * (~enterprise), kind="stable"):
        if residual == 0:
            break
        if enterprise[i]:
            continue
        room = (high[i] - fees[i]) // 20 if residual > 0 else (fees[i] - low[i]) // 20
        step = int(np.sign(residual)) * min(abs(residual), int(room))
        fees[i] += 20 * step
        residual -= step
    if residual:
        raise CalibrationError(f"cannot fit fees to a credit total of {credit_cents} cents")
    return fees


def _check_fees(customers: Customers, credits: dict[bool, Decimal]) -> None:
    """The liability range at 347 down minutes for everyone, computed in Decimal."""
    high = credits[False] + credits[True]
    if credits[False] != LOW_LIABILITY or high != HIGH_LIABILITY:
        raise CalibrationError(
            f"fees give credits {credits[False]} / {high}, expected "
            f"{LOW_LIABILITY} / {HIGH_LIABILITY}"
        )
    for i in range(len(customers)):
        low, high_fee = FEE_CENTS[customers.tier(i)]
        if not low <= customers.fee_cents[i] <= high_fee:
            raise CalibrationError(f"fee of {customers.ids[i]} out of range")
    if len(set(customers.names.tolist())) != len(customers):
        raise CalibrationError("customer names are not unique")


def registry_csv(customers: Customers) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ("customer_id", "name", "tier", "monthly_fee", "currency", "regions", "contact_email")
    )
    for i in range(len(customers)):
        regions = (
            ""
            if customers.all_regions[i]
            else ";".join(
                REGIONS[r] for r in customers.region_table[i, : customers.region_count[i]]
            )
        )
        writer.writerow(
            (
                customers.ids[i],
                customers.names[i],
                customers.tier(i),
                f"{customers.fee(i):.2f}",
                CURRENCY,
                regions,
                contact_emails(str(customers.names[i]), i),
            )
        )
    return out.getvalue()


def contact_emails(name: str, index: int) -> str:
    """Where a demo customer's notices go: ops@ its name's domain (RFC 2606's .example),
    and billing@ too for every seventh customer."""
    words = (
        "".join(c for c in word if c.isascii() and c.isalnum()) for word in name.lower().split()
    )
    domain = "-".join(word for word in words if word)
    addresses = [f"ops@{domain}.example"]
    if index % 7 == 0:
        addresses.append(f"billing@{domain}.example")
    return ";".join(addresses)


def write_large_registry(
    path: Path, size: int, *, seed: int = DEFAULT_SEED, chunk: int = 100_000
) -> None:
    """A registry of `size` customers for scale benchmarks, written in chunks: the 847 demo
    customers first (the request log's customers, with their fees and regions), then
    `size - 847` more (IDs C0000848 and on) that the log never mentions: enterprise and
    business customers with fees, names and regions of the same shape. The same seed
    gives the same file."""
    customers = make_customers(seed)
    if size < len(customers):
        raise ValueError(f"a large registry holds the demo's {len(customers)} customers at least")
    rng = np.random.default_rng([seed, 2])
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(registry_csv(customers))
        writer = csv.writer(out, lineterminator="\n")
        for start in range(len(customers), size, chunk):
            n = min(chunk, size - start)
            number = np.arange(start + 1, start + n + 1)
            enterprise = rng.random(n) < ENTERPRISE / CUSTOMERS
            median = np.where(enterprise, FEE_MEDIAN["enterprise"], FEE_MEDIAN["business"])
            low = np.where(enterprise, FEE_CENTS["enterprise"][0], FEE_CENTS["business"][0])
            high = np.where(enterprise, FEE_CENTS["enterprise"][1], FEE_CENTS["business"][1])
            cents = np.clip(np.rint(median * 100 * rng.lognormal(0.0, 0.5, n)), low, high)
            roots = rng.integers(0, len(_NAME_ROOTS), n)
            nouns = rng.integers(0, len(_NAME_NOUNS), n)
            forms = rng.integers(0, len(_NAME_FORMS), n)
            regions = rng.integers(0, len(REGIONS), (n, 2))
            spread = rng.random(n)
            for i in range(n):
                places = (
                    ""
                    if spread[i] < 0.35
                    else REGIONS[regions[i, 0]]
                    if spread[i] < 0.8
                    else ";".join(sorted({REGIONS[r] for r in regions[i]}))
                )
                name = (
                    f"{_NAME_ROOTS[roots[i]]} {_NAME_NOUNS[nouns[i]]} "
                    f"{_NAME_FORMS[forms[i]]} {number[i]}"
                )
                writer.writerow(
                    (
                        f"C{number[i]:07d}",
                        name,
                        "enterprise" if enterprise[i] else "business",
                        f"{int(cents[i]) // 100}.{int(cents[i]) % 100:02d}",
                        CURRENCY,
                        places,
                        contact_emails(name, int(number[i])),
                    )
                )


# -- traffic model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """Everything per customer, user and minute that the chunks share."""

    customers: Customers
    minute_weight: np.ndarray  # (1440,) traffic per minute of the day
    failure: np.ndarray  # (347,) failure probability per window minute
    cdf_all: np.ndarray  # customer sampling outside the window
    cdf_window: np.ndarray  # ... inside the window (not the quiet customers)
    user_start: np.ndarray  # first user index of each customer
    user_window: np.ndarray  # the customer's users active in the window (affected)
    user_pool: np.ndarray  # all the customer's users (window users come first)
    user_ids: pa.Array


def _model(customers: Customers, rng: np.random.Generator, users: int) -> _Model:
    hours = (np.arange(DAY_MINUTES) + 0.5) / 60
    diurnal = (
        0.30
        + 0.55 * np.exp(-0.5 * ((hours - 15.5) / 3.2) ** 2)
        + 0.20 * np.exp(-0.5 * ((hours - 6.0) / 2.0) ** 2)
    )
    minute_weight = diurnal * rng.gamma(80.0, 1 / 80.0, DAY_MINUTES)
    k = np.arange(WINDOW_MINUTES)
    # Clients retry timeouts: more requests while the outage lasts.
    retry = np.where(k < MITIGATED, 1.5, 1.15)
    minute_weight[WINDOW_START:WINDOW_END] *= retry

    failure = np.select(
        [k < DECLARED, k < FAILOVER, k < SECONDARY_FAILS, k < RESTORE, k < MITIGATED],
        [
            0.55 + 0.25 * k / DECLARED,
            np.full(k.shape, 0.82),
            np.full(k.shape, 0.62),
            np.full(k.shape, 0.90),
            np.full(k.shape, 0.86),
        ],
        # partial restoration 18:45-19:49: easing from 50 % to 30 % failures
        0.50 - 0.20 * (k - MITIGATED) / (WINDOW_MINUTES - MITIGATED),
    )
    failure = np.clip(failure + rng.normal(0.0, 0.025, WINDOW_MINUTES), 0.25, 0.95)

    n = len(customers)
    quiet = customers.quiet
    window_weight = np.where(quiet, 0.0, customers.weight)
    # Window users: 1-4 per quiet customer, the rest shared by weight (at least a few each).
    user_window = np.zeros(n, dtype=np.int64)
    user_window[quiet] = rng.integers(1, 5, int(quiet.sum()))
    heavy = np.flatnonzero(~quiet)
    budget = users - int(user_window.sum())
    floor = max(1, min(5, budget // (4 * len(heavy))))
    user_window[heavy] = floor + _apportion(budget - floor * len(heavy), window_weight[heavy])
    extra = np.rint(user_window * rng.uniform(0.2, 0.6, n)).astype(np.int64)
    extra[quiet] += rng.integers(5, 40, int(quiet.sum()))
    user_pool = user_window + extra
    user_start = np.concatenate(([0], np.cumsum(user_pool)[:-1]))
    total_users = int(user_pool.sum())
    user_ids = pa.array(
        np.char.add("U", np.char.zfill(np.arange(1, total_users + 1).astype(str), 6))
    )
    return _Model(
        customers=customers,
        minute_weight=minute_weight,
        failure=failure,
        cdf_all=np.cumsum(customers.weight),
        cdf_window=np.cumsum(window_weight),
        user_start=user_start,
        user_window=user_window,
        user_pool=user_pool,
        user_ids=user_ids,
    )


def _apportion(total: int, weight: np.ndarray) -> np.ndarray:
    """Split `total` in proportion to `weight` (largest remainders): sums to `total` exactly."""
    share = total * weight / weight.sum()
    whole = np.floor(share).astype(np.int64)
    rest = total - int(whole.sum())
    whole[np.argsort(-(share - whole), kind="stable")[:rest]] += 1
    return whole


def _pick(cdf: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    return np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right").astype(np.int32)


def _user(
    model: _Model, rng: np.random.Generator, customer: np.ndarray, in_window: np.ndarray
) -> np.ndarray:
    """A user of each row's customer: window users only inside the window; some users are busier."""
    size = np.where(in_window, model.user_window[customer], model.user_pool[customer])
    return model.user_start[customer] + (rng.random(len(customer)) ** 1.4 * size).astype(np.int64)


def _codes(rng: np.random.Generator, codes: np.ndarray, p: np.ndarray, n: int) -> np.ndarray:
    return codes[np.searchsorted(np.cumsum(p), rng.random(n) * p.sum(), side="right")]


def _statuses(model: _Model, rng: np.random.Generator, minute: np.ndarray, txn: bool) -> np.ndarray:
    """Status per row: incident failures in the window, normal rates outside it."""
    n = len(minute)
    in_window = (minute >= WINDOW_START) & (minute < WINDOW_END)
    p_fail = np.full(n, BACKGROUND_FAILURE)
    p_fail[in_window] = model.failure[minute[in_window] - WINDOW_START]
    fail = rng.random(n) < p_fail
    status = _codes(rng, TXN_OK_CODES, TXN_OK_P, n) if txn else _codes(rng, OK_CODES, OK_P, n)
    incident = _codes(rng, INCIDENT_CODES, INCIDENT_P, n)
    background = _codes(rng, BACKGROUND_CODES, BACKGROUND_P, n)
    return np.where(fail, np.where(in_window, incident, background), status)


def _regions(model: _Model, customer: np.ndarray, user: np.ndarray) -> np.ndarray:
    """Each user works from one of the customer's regions."""
    c = model.customers
    return c.region_table[customer, user % c.region_count[customer]]


@dataclass
class _Rows:
    """Columns of requests before they become a table (txn: -1 = none, else a txn key)."""

    minute: np.ndarray
    offset: np.ndarray  # microseconds into the minute
    customer: np.ndarray
    user: np.ndarray
    status: np.ndarray
    service: np.ndarray
    txn: np.ndarray

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        return _Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    def take(self, index: np.ndarray | slice) -> _Rows:
        return _Rows(*(getattr(self, f)[index] for f in _FIELDS))

    def __len__(self) -> int:
        return len(self.minute)


_FIELDS = ("minute", "offset", "customer", "user", "status", "service", "txn")


def _transactions(
    model: _Model,
    rng: np.random.Generator,
    minute: np.ndarray,
    customer: np.ndarray,
    user: np.ndarray,
    sizes: np.ndarray,
    first_key: int,
) -> _Rows:
    """Rows of transactions: each is one user's 1-5 requests within one minute."""
    index = np.repeat(np.arange(len(sizes)), sizes)
    n = len(index)
    return _Rows(
        minute=minute[index],
        offset=rng.integers(0, MINUTE_US, n),
        customer=customer[index],
        user=user[index],
        status=_statuses(model, rng, minute[index], txn=True),
        service=_codes(rng, np.array(TXN_SERVICES, dtype=np.int8), np.array(TXN_SERVICE_P), n),
        txn=first_key + index,
    )


def _planned(model: _Model, rng: np.random.Generator, transactions: int) -> _Rows:
    """The window's rows that fix the calibrated counts, whatever the log's size.

    - one failed request for every window user (so affected users = window users);
    - every transaction of the window (`transactions` of them have a failed request,
      about 12 % more complete); other window requests carry no transaction;
    - all the window traffic of the quiet customers, in at most 15 distinct minutes.
    """
    c = model.customers
    quiet = np.flatnonzero(c.quiet)
    # Quiet customers: their active minutes in the window.
    active = np.zeros((len(c), QUIET_MAX_MINUTES), dtype=np.int64)
    active_count = np.zeros(len(c), dtype=np.int64)
    active_count[quiet] = rng.integers(2, 13, len(quiet))
    order = np.argsort(rng.random((len(quiet), WINDOW_MINUTES)), axis=1)[:, :QUIET_MAX_MINUTES]
    active[quiet] = WINDOW_START + order

    def quiet_minute(customer: np.ndarray) -> np.ndarray:
        slot = (rng.random(len(customer)) * active_count[customer]).astype(np.int64)
        return active[customer, slot]

    # 1. one failure per window user, in the outage proper (or a quiet customer's minute)
    window_user_customer = np.repeat(np.arange(len(c), dtype=np.int32), model.user_window)
    n = len(window_user_customer)
    first_of_group = np.cumsum(model.user_window) - model.user_window
    user = (
        np.arange(n) - first_of_group[window_user_customer] + model.user_start[window_user_customer]
    )
    minute = np.where(
        c.quiet[window_user_customer], 0, WINDOW_START + rng.integers(0, MITIGATED, n)
    )
    is_quiet = c.quiet[window_user_customer]
    minute[is_quiet] = quiet_minute(window_user_customer[is_quiet])
    seeds = _Rows(
        minute=minute,
        offset=rng.integers(0, MINUTE_US, n),
        customer=window_user_customer,
        user=user,
        status=_codes(rng, INCIDENT_CODES, INCIDENT_P, n),
        service=_codes(rng, np.arange(len(SERVICES), dtype=np.int8), np.array(PLAIN_SERVICE_P), n),
        txn=np.full(n, -1, dtype=np.int64),
    )

    # 2. the window's transactions: `transactions` fail, the others complete
    completed = round(transactions * 0.12)
    count = transactions + completed
    customer = _pick(model.cdf_window, rng, count)
    minute = WINDOW_START + rng.integers(0, WINDOW_MINUTES, count)
    sizes = rng.integers(1, 6, count)
    txns = _transactions(
        model,
        rng,
        minute,
        customer,
        _user(model, rng, customer, np.ones(count, dtype=bool)),
        sizes,
        0,
    )
    failed = (txns.status == 0) | (txns.status >= 500) | (txns.status == NULL_STATUS)
    should_fail = txns.txn < transactions
    last_row = np.cumsum(sizes) - 1
    has_failure = np.zeros(count, dtype=bool)
    np.logical_or.at(has_failure, txns.txn, failed)
    force = np.flatnonzero(~has_failure[:transactions])
    txns.status[last_row[force]] = _codes(rng, INCIDENT_CODES, INCIDENT_P, len(force))
    clean = ~should_fail
    txns.status[clean] = _codes(rng, TXN_OK_CODES[:2], TXN_OK_P[:2], int(clean.sum()))

    # 3. the quiet customers' other requests, in their active minutes
    extra = np.zeros(len(c), dtype=np.int64)
    extra[quiet] = rng.integers(0, 13, len(quiet))
    customer = np.repeat(np.arange(len(c), dtype=np.int32), extra)
    m = len(customer)
    minute = quiet_minute(customer)
    rest = _Rows(
        minute=minute,
        offset=rng.integers(0, MINUTE_US, m),
        customer=customer,
        user=_user(model, rng, customer, np.ones(m, dtype=bool)),
        status=_statuses(model, rng, minute, txn=False),
        service=_codes(rng, np.arange(len(SERVICES), dtype=np.int8), np.array(PLAIN_SERVICE_P), m),
        txn=np.full(m, -1, dtype=np.int64),
    )
    planned = _Rows.concat([seeds, txns, rest])
    return planned.take(np.argsort(planned.minute, kind="stable"))


def _bulk(
    model: _Model,
    rng: np.random.Generator,
    plain: np.ndarray,
    txn_rows: np.ndarray,
    m0: int,
    first_key: int,
) -> _Rows:
    """The ordinary requests of minutes [m0, m0 + len(plain)): plain ones and transactions."""
    minutes = np.arange(m0, m0 + len(plain))
    minute = np.repeat(minutes, plain)
    n = len(minute)
    in_window = (minute >= WINDOW_START) & (minute < WINDOW_END)
    customer = np.empty(n, dtype=np.int32)
    customer[in_window] = _pick(model.cdf_window, rng, int(in_window.sum()))
    customer[~in_window] = _pick(model.cdf_all, rng, int((~in_window).sum()))
    rows = _Rows(
        minute=minute,
        offset=rng.integers(0, MINUTE_US, n),
        customer=customer,
        user=_user(model, rng, customer, in_window),
        status=_statuses(model, rng, minute, txn=False),
        service=_codes(rng, np.arange(len(SERVICES), dtype=np.int8), np.array(PLAIN_SERVICE_P), n),
        txn=np.full(n, -1, dtype=np.int64),
    )
    # Transactions outside the window: 2-4 requests of one user, never across a minute.
    t_minute = np.repeat(minutes, txn_rows)
    total = len(t_minute)
    if total == 0:
        return rows
    cuts = np.cumsum(rng.integers(2, 5, total // 2 + 1))
    start = np.zeros(total, dtype=bool)
    start[0] = True
    start[cuts[cuts < total]] = True
    start[1:] |= t_minute[1:] != t_minute[:-1]
    key = np.cumsum(start) - 1
    count = int(key[-1]) + 1
    first = np.flatnonzero(start)
    t_customer = _pick(model.cdf_all, rng, count)
    t_user = _user(model, rng, t_customer, np.zeros(count, dtype=bool))
    txns = _transactions(
        model, rng, t_minute[first], t_customer, t_user, np.diff(np.append(first, total)), first_key
    )
    return _Rows.concat([rows, txns])


# -- the request log --------------------------------------------------------------------------


@dataclass
class _Tally:
    """What the written log measures in the window, per docs/definitions.md (kept while writing)."""

    customers: int
    users: int

    def __post_init__(self) -> None:
        self.total = np.zeros(self.customers * WINDOW_MINUTES, dtype=np.int64)
        self.failed = np.zeros(self.customers * WINDOW_MINUTES, dtype=np.int64)
        self.failed_users = np.zeros(self.users, dtype=bool)
        self.failed_txns: set[int] = set()
        self.outside = np.zeros(2, dtype=np.int64)  # requests, failures outside the window

    def add(self, rows: _Rows, failed: np.ndarray, txn_number: np.ndarray) -> None:
        inside = (rows.minute >= WINDOW_START) & (rows.minute < WINDOW_END)
        cell = rows.customer[inside] * WINDOW_MINUTES + rows.minute[inside] - WINDOW_START
        size = self.customers * WINDOW_MINUTES
        self.total += np.bincount(cell, minlength=size)
        self.failed += np.bincount(cell[failed[inside]], minlength=size)
        hit = inside & failed
        self.failed_users[rows.user[hit]] = True
        self.failed_txns.update(np.unique(txn_number[hit & (txn_number >= 0)]).tolist())
        self.outside += (int((~inside).sum()), int((failed & ~inside).sum()))

    def down_minutes(self, threshold: Decimal = Decimal("0.05"), min_failed: int = 1) -> np.ndarray:
        total = self.total.reshape(self.customers, WINDOW_MINUTES)
        failed = self.failed.reshape(self.customers, WINDOW_MINUTES)
        num, den = threshold.as_integer_ratio()
        down = (failed >= min_failed) & (failed * den >= total * num) & (total > 0)
        return down.sum(axis=1)

    def active_minutes(self) -> np.ndarray:
        return (self.total.reshape(self.customers, WINDOW_MINUTES) > 0).sum(axis=1)


def generate_requests(
    path: Path,
    *,
    rows: int,
    seed: int = DEFAULT_SEED,
    customers: Customers | None = None,
    chunk_rows: int = CHUNK_ROWS,
    compression: str = "zstd",
) -> dict[str, Any]:
    """Write a request log of exactly `rows` requests for 2025-11-08 to the Parquet `path`.

    Sorted by `ts`, in row groups of at most `chunk_rows`; memory is bounded by the chunk,
    not by `rows`. The window's affected users, transactions and the quiet customers'
    traffic are planned up front (about 100,000 rows), so the calibrated counts hold at any
    size of at least a million rows; below that they shrink in proportion to `rows`.
    Returns what the written log measures (the same numbers SQL over the file gives).
    """
    customers = make_customers(seed) if customers is None else customers
    if rows < 10 * len(customers):
        raise ValueError(f"rows must be at least {10 * len(customers)}, got {rows}")
    rng = np.random.default_rng([seed, 2])
    share = min(1.0, rows / CALIBRATED_ROWS)
    users = round(AFFECTED_USERS * (1 + rng.uniform(-0.004, 0.004)) * share)
    users = max(users, 2 * len(customers))
    transactions = max(1, round(AFFECTED_TRANSACTIONS * (1 + rng.uniform(-0.004, 0.004)) * share))
    model = _model(customers, rng, users)
    planned = _planned(model, rng, transactions)
    if len(planned) > rows // 2:
        raise ValueError(f"rows={rows} is too small for the planned {len(planned)} rows")

    # Ordinary requests per minute, then chunks of whole minutes of at most chunk_rows rows.
    bulk = rng.multinomial(rows - len(planned), model.minute_weight / model.minute_weight.sum())
    in_window = np.zeros(DAY_MINUTES, dtype=bool)
    in_window[WINDOW_START:WINDOW_END] = True
    txn_rows = np.where(in_window, 0, rng.binomial(bulk, TXN_SHARE))
    plain = bulk - txn_rows
    planned_per_minute = np.bincount(planned.minute, minlength=DAY_MINUTES)
    bounds = _chunk_bounds(bulk + planned_per_minute, chunk_rows)

    tally = _Tally(len(customers), len(model.user_ids))
    region_names, service_names = pa.array(REGIONS), pa.array(SERVICES)
    customer_ids = pa.array(customers.ids)
    next_txn, next_key, row_groups = 1, transactions + round(transactions * 0.12), 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with pq.ParquetWriter(tmp, SCHEMA, compression=compression) as writer:
        for k, (m0, m1) in enumerate(bounds):
            chunk_rng = np.random.default_rng([seed, 3, k])
            lo, hi = np.searchsorted(planned.minute, [m0, m1])
            part = _bulk(model, chunk_rng, plain[m0:m1], txn_rows[m0:m1], m0, next_key)
            next_key += len(part)
            chunk = _Rows.concat([planned.take(slice(lo, hi)), part])
            ts = DAY_US + chunk.minute * MINUTE_US + chunk.offset
            order = np.argsort(ts, kind="stable")
            chunk, ts = chunk.take(order), ts[order]
            txn_number, next_txn = _number_transactions(chunk.txn, next_txn)
            failed = (chunk.status == 0) | (chunk.status >= 500) | (chunk.status == NULL_STATUS)
            tally.add(chunk, failed, txn_number)
            table = _table(
                chunk,
                ts,
                txn_number,
                customer_ids,
                model.user_ids,
                region_names,
                service_names,
                _regions(model, chunk.customer, chunk.user),
            )
            writer.write_table(table, row_group_size=chunk_rows)
            row_groups += -(-len(chunk) // chunk_rows)
    tmp.replace(path)

    down = tally.down_minutes()
    active = tally.active_minutes()
    affected = tally.failed.reshape(len(customers), WINDOW_MINUTES).sum(axis=1) > 0
    return {
        "path": str(path),
        "rows": rows,
        "row_groups": row_groups,
        "window": ["2025-11-08T14:02:00Z", "2025-11-08T19:49:00Z"],
        "window_minutes": WINDOW_MINUTES,
        "affected_customers": int(affected.sum()),
        "affected_users": int(tally.failed_users.sum()),
        "affected_transactions": len(tally.failed_txns),
        "outside_failure_rate": float(tally.outside[1] / max(1, tally.outside[0])),
        "down_minutes": down,
        "quiet_max_active_minutes": int(active[customers.quiet].max()),
        "heavy_down_minutes_range": [
            int(down[~customers.quiet].min()),
            int(down[~customers.quiet].max()),
        ],
    }


def _chunk_bounds(per_minute: np.ndarray, chunk_rows: int) -> list[tuple[int, int]]:
    """Consecutive minute ranges of about equal size, each at most `chunk_rows` rows where
    possible (a single minute is never split)."""
    total = int(per_minute.sum())
    cumulative = np.cumsum(per_minute)
    chunks = max(1, -(-total // chunk_rows))
    while True:
        targets = total * np.arange(1, chunks) / chunks
        cuts = np.unique(np.searchsorted(cumulative, targets, side="left") + 1)
        edges = [0, *cuts.tolist(), len(per_minute)]
        bounds = [(a, b) for a, b in itertools.pairwise(edges) if b > a]
        sizes = [int(per_minute[a:b].sum()) for a, b in bounds]
        if max(sizes) <= chunk_rows or chunks >= len(per_minute):
            return bounds
        chunks += 1


def _number_transactions(keys: np.ndarray, first: int) -> tuple[np.ndarray, int]:
    """Transaction numbers in order of first appearance (keys: -1 = not in a transaction)."""
    number = np.full(len(keys), -1, dtype=np.int64)
    has = keys >= 0
    if not has.any():
        return number, first
    unique, first_row, inverse = np.unique(keys[has], return_index=True, return_inverse=True)
    rank = np.empty(len(unique), dtype=np.int64)
    rank[np.argsort(first_row, kind="stable")] = np.arange(len(unique))
    number[has] = first + rank[inverse]
    return number, first + len(unique)


def _table(
    rows: _Rows,
    ts: np.ndarray,
    txn_number: np.ndarray,
    customer_ids: pa.Array,
    user_ids: pa.Array,
    region_names: pa.Array,
    service_names: pa.Array,
    region: np.ndarray,
) -> pa.Table:
    txn = pa.array(txn_number, mask=txn_number < 0)
    txn_ids = pc.binary_join_element_wise("TX", pc.utf8_lpad(pc.cast(txn, pa.string()), 8, "0"), "")
    return pa.table(
        {
            "ts": pa.array(ts, type=pa.timestamp("us", tz="UTC")),
            "customer_id": customer_ids.take(rows.customer),
            "user_id": user_ids.take(rows.user),
            "status": pa.array(rows.status, mask=rows.status == NULL_STATUS, type=pa.int16()),
            "region": region_names.take(region),
            "service": service_names.take(rows.service),
            "txn_id": txn_ids,
        },
        schema=SCHEMA,
    )


# -- SLA arithmetic (Decimal, docs/definitions.md) -----------------------------------


def credit_percent(tier: str, down_minutes: int) -> Decimal:
    """The credit % of the lowest bracket whose `below` exceeds the month's uptime."""
    uptime = 100 * (1 - Decimal(down_minutes) / MONTH_MINUTES)
    matching = [(below, p) for below, p in BRACKETS[tier] if uptime < below]
    percent = Decimal(min(matching)[1]) if matching else Decimal(0)
    cap = CAP[tier]
    return min(percent, cap) if cap is not None else percent


def liability(customers: Customers, down_minutes: np.ndarray) -> Decimal:
    return sum(
        (
            _credit(customers.fee(i), credit_percent(customers.tier(i), int(d)))
            for i, d in enumerate(down_minutes.tolist())
        ),
        Decimal(0),
    )


# -- incident and policy files ---------------------------------------------------------------

ROLES = {"scribe": "Sam Okafor", "communications": "Lena Fischer"}
TIMELINE = (
    ("13:45", "trigger", "Scheduled maintenance begins on DB cluster", "Marcus Chen", "internal"),
    ("14:02", "detected", "First alerts - connection timeouts detected", "Alex Rivera", "public"),
    ("14:08", "declared", "SEV-1 declared, incident commander assigned", "Jane Doe", "internal"),
    (
        "14:15",
        "update",
        "Customer impact confirmed - all regions affected",
        "Lena Fischer",
        "public",
    ),
    (
        "14:30",
        "identified",
        "Root cause identified - connection pool exhaustion",
        "Marcus Chen",
        "public",
    ),
    ("15:45", "update", "Failover to secondary cluster initiated", "Sam Okafor", "internal"),
    ("16:20", "update", "Secondary cluster also experiencing issues", "Sam Okafor", "internal"),
    ("17:30", "decision", "Decision made to restore from backup", "Jane Doe", "internal"),
    (
        "18:45",
        "mitigated",
        "Primary services restored, validation underway",
        "Marcus Chen",
        "public",
    ),
    ("19:49", "resolved", "Full service restoration confirmed", "Jane Doe", "public"),
)
ROOT_CAUSE = (
    "The incident was triggered by a database connection pool configuration change deployed "
    "as part of routine maintenance. The new configuration reduced the maximum connection "
    "limit without a corresponding adjustment to application connection retry logic."
)
CONTRIBUTING_FACTORS = (
    "Application retry logic was not adjusted to the lower connection limit; immediate "
    "retries multiplied the load on the exhausted pool",
    "The secondary cluster shared the primary's connection pool configuration, so the "
    "failover reproduced the exhaustion",
    "The configuration change was not load-tested at production traffic before the maintenance",
)
# What customers and the status page are told (the internal wording above stays inside).
PUBLIC_SUMMARY = (
    "On November 8, 2025 our service was unavailable for all customers from 14:02 to 19:49 "
    "UTC while we restored our primary database cluster. All services have been fully "
    "restored, and we have put measures in place to prevent a recurrence."
)
PUBLIC_ROOT_CAUSE = (
    "A configuration change made during routine maintenance of our primary database cluster "
    "reduced the number of connections available to our application, and the resulting "
    "failures spread to the secondary cluster."
)
# (title, owner, due, status, link, audience): public actions reach customer notices
ACTIONS = (
    (
        "Configuration change process now requires production-equivalent load testing",
        "Marcus Chen",
        "2025-12-15",
        "done",
        "https://tracker.example.com/OPS-2411",
        "public",
    ),
    (
        "Enhanced monitoring with connection pool metrics and alerting",
        "Alex Rivera",
        "2025-12-05",
        "done",
        "https://tracker.example.com/OPS-2412",
        "public",
    ),
    (
        "Updated failover runbooks and conducted team training",
        "Jane Doe",
        "2025-12-19",
        "in_progress",
        None,
        "internal",
    ),
    (
        "Implemented automated canary deployments for infrastructure changes",
        "Priya Nair",
        "2026-01-30",
        "open",
        "https://tracker.example.com/OPS-2415",
        "public",
    ),
    (
        "Added circuit breakers to prevent cascade failures",
        "Tom Becker",
        "2026-01-16",
        "in_progress",
        None,
        "internal",
    ),
)


def _plain(value: str | None) -> str:
    """A scalar for a flow mapping: plain when YAML reads it back as the same text."""
    if value is None:
        return "null"
    special = set(",:{}[]#&*!|>'\"%@`")
    if (
        value == value.strip()
        and not special & set(value)
        and not value.startswith(("-", "?"))
        and yaml.safe_load(value) == value
    ):
        return value
    return json.dumps(value, ensure_ascii=False)


def incident_yaml() -> str:
    lines = [
        "id: INC-2025-1108-001",
        "title: Service disruption - primary database cluster",
        "severity: SEV-1",
        "status: closed",
        "classification: confidential",
        "commander: Jane Doe",
        f"roles: {{scribe: {ROLES['scribe']}, communications: {ROLES['communications']}}}",
        "scope: {regions: all, services: all}",
        "data_loss: None confirmed",
        "summary: null",
        f"public_summary: {_plain(PUBLIC_SUMMARY)}",
        "timeline:",
    ]
    for at, kind, text, author, audience in TIMELINE:
        lines.append(
            f"  - {{at: 2025-11-08T{at}:00Z, kind: {kind}, text: {_plain(text)}, "
            f"author: {_plain(author)}, audience: {audience}}}"
        )
    lines.append("root_cause: >-")
    lines += textwrap.wrap(ROOT_CAUSE, 88, initial_indent="  ", subsequent_indent="  ")
    lines.append(f"public_root_cause: {_plain(PUBLIC_ROOT_CAUSE)}")
    lines.append("contributing_factors:")
    lines += [f"  - {_plain(factor)}" for factor in CONTRIBUTING_FACTORS]
    lines.append("actions:")
    for title, owner, due, status, link, audience in ACTIONS:
        lines.append(
            f"  - {{title: {_plain(title)}, owner: {_plain(owner)}, due: {due}, "
            f"status: {status}, link: {_plain(link)}, audience: {audience}}}"
        )
    text = "\n".join(lines) + "\n"
    data = yaml.safe_load(text)  # the text reads back as meant
    if (
        data["root_cause"] != ROOT_CAUSE
        or len(data["timeline"]) != len(TIMELINE)
        or [e["text"] for e in data["timeline"]] != [t[2] for t in TIMELINE]
        or data["contributing_factors"] != list(CONTRIBUTING_FACTORS)
        or [a["title"] for a in data["actions"]] != [a[0] for a in ACTIONS]
        or data["public_summary"] != PUBLIC_SUMMARY
        or data["public_root_cause"] != PUBLIC_ROOT_CAUSE
    ):
        raise CalibrationError("incident.yaml does not read back as written")
    return text


# The maintenance window the incident began in, as `make run` records it: announced
# 17 h 45 min before it started, against the policy's 48 h, so it excuses nothing.
MAINTENANCE = {
    "title": "DB cluster connection pool maintenance",
    "start": "2025-11-08T13:45:00Z",
    "end": "2025-11-08T14:45:00Z",
    "announced_at": "2025-11-07T20:00:00Z",
}


def maintenance_args() -> list[str]:
    """`warroom maintenance schedule` arguments that record MAINTENANCE."""
    return [
        "maintenance",
        "schedule",
        "--title",
        MAINTENANCE["title"],
        "--start",
        MAINTENANCE["start"],
        "--end",
        MAINTENANCE["end"],
        "--announced-at",
        MAINTENANCE["announced_at"],
    ]


SLA_POLICY = """\
# SLA policy of the demo (docs/sla.md).
currency: USD
downtime:
  error_rate_threshold: 0.05   # a minute is down for a customer when failed/total >= 5 %
  min_failed_requests: 1       # ... and at least one request failed in it
exclusions:
  notice_hours: 48             # maintenance counts only when announced 48 h ahead
  # The maintenance itself is a record (`warroom maintenance schedule`, MAINTENANCE in
  # examples/generate_demo.py): announced 17 h 45 min ahead, less than the 48 h notice,
  # so it is NOT an exclusion.
claims:
  deadline_days: 30
  minimum_credit: 0
tiers:
  enterprise:
    uptime_target: 99.95
    credits:
      - {below: 99.95, percent: 10}
      - {below: 99.0, percent: 25}
      - {below: 95.0, percent: 100}
  business:
    uptime_target: 99.9
    cap_percent: 100
    credits:
      - {below: 99.9, percent: 5}
      - {below: 99.0, percent: 10}
"""


# -- the demo ---------------------------------------------------------------------------------


def generate_demo(
    out_dir: Path, seed: int = DEFAULT_SEED, *, rows: int = DEFAULT_ROWS
) -> dict[str, Any]:
    """Write the four demo files into `out_dir`; raise CalibrationError if a number is off."""
    if rows < CALIBRATED_ROWS:
        raise ValueError(
            f"the demo needs at least {CALIBRATED_ROWS:,} rows for its calibrated "
            f"numbers, got {rows:,}"
        )
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    customers = make_customers(seed)  # checks the fees in Decimal
    incident = incident_yaml()
    log = generate_requests(out_dir / "requests.parquet", rows=rows, seed=seed, customers=customers)
    down = log.pop("down_minutes")
    low = liability(customers, down)
    high = liability(customers, np.full(len(customers), WINDOW_MINUTES))
    problems = []
    if log["affected_customers"] != len(customers):
        problems.append(f"{log['affected_customers']} affected customers, not {len(customers)}")
    for key, target in (
        ("affected_users", AFFECTED_USERS),
        ("affected_transactions", AFFECTED_TRANSACTIONS),
    ):
        if abs(log[key] - target) > target // 100:
            problems.append(f"{log[key]} {key.replace('_', ' ')}, not about {target}")
    if (low, high) != (LOW_LIABILITY, HIGH_LIABILITY):
        problems.append(f"liability {low} - {high}, not {LOW_LIABILITY} - {HIGH_LIABILITY}")
    if problems:
        (out_dir / "requests.parquet").unlink()
        raise CalibrationError("; ".join(problems) + f" (rows={rows}, seed={seed})")
    (out_dir / "customers.csv").write_text(registry_csv(customers), encoding="utf-8")
    (out_dir / "incident.yaml").write_text(incident, encoding="utf-8")
    (out_dir / "sla-policy.yaml").write_text(SLA_POLICY, encoding="utf-8")
    return {
        "out_dir": str(out_dir),
        "files": ["incident.yaml", "customers.csv", "sla-policy.yaml", "requests.parquet"],
        "seed": seed,
        "customers": len(customers),
        "enterprise": int(customers.enterprise.sum()),
        "business": int((~customers.enterprise).sum()),
        "quiet_customers": int(customers.quiet.sum()),
        **{k: v for k, v in log.items() if k != "path"},
        "liability_low": str(low),
        "liability_high": str(high),
        "currency": CURRENCY,
        "maintenance": MAINTENANCE,
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_ROWS,
        help=f"requests in the log (default {DEFAULT_ROWS:,}; at least 1,000,000 "
        "for the calibrated numbers)",
    )
    args = parser.parse_args(argv)
    try:
        summary = generate_demo(args.out, args.seed, rows=args.rows)
    except (CalibrationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
