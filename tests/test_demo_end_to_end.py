"""The demo end to end, as `make run` drives it: generate the demo files, then
`warroom init`, `incident import`, `user add`, `impact`, `sla assess --submit` and
`report`, each called in-process through `warroom.cli.app.run`.

The numbers are those of the reference incident report of 2025-11-08, by the rules of
docs/definitions.md; a sample of credits is recomputed by hand from customers.csv, the
sla-policy.yaml brackets and the stored impact analysis. The customer and public
versions are searched, in every format, for what their audience must never see.

Generation and impact take a few seconds, so the demo is generated, imported, analysed
and assessed once per module (`demo`). Tests that change state (the approvals) work on
their own copy of that database (`approved`), so test order does not matter.
"""

from __future__ import annotations

import calendar
import csv
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.demo import DemoData, generator, maintenance_args
from support.outside import need
from support.warroom_cli import Warroom

ROOT = Path(__file__).resolve().parents[1]
INC = "INC-2025-1108-001"
COMMANDER = "Jane Doe"
PREPARED_BY = "Engineering Operations Team"  # as `make run` sets WARROOM_PREPARED_BY
LEGAL, FINANCE = "Laura Legal", "Fred Finance"
STAFF = (
    "Jane Doe",
    "Marcus Chen",
    "Alex Rivera",
    "Sam Okafor",
    "Lena Fischer",
    "Priya Nair",
    "Tom Becker",
)
FORMATS = ("md", "html", "pdf", "json")
CENT = Decimal("0.01")
# The reference report's timeline (reference/incident-report-2025-11-08.txt), in order.
REFERENCE_TIMELINE = (
    ("13:45", "Scheduled maintenance begins on DB cluster"),
    ("14:02", "First alerts - connection timeouts detected"),
    ("14:08", "SEV-1 declared, incident commander assigned"),
    ("14:15", "Customer impact confirmed - all regions affected"),
    ("14:30", "Root cause identified - connection pool exhaustion"),
    ("15:45", "Failover to secondary cluster initiated"),
    ("16:20", "Secondary cluster also experiencing issues"),
    ("17:30", "Decision made to restore from backup"),
    ("18:45", "Primary services restored, validation underway"),
    ("19:49", "Full service restoration confirmed"),
)
REFERENCE_ACTIONS = (
    "Configuration change process now requires production-equivalent load testing",
    "Enhanced monitoring with connection pool metrics and alerting",
    "Updated failover runbooks and conducted team training",
    "Implemented automated canary deployments for infrastructure changes",
    "Added circuit breakers to prevent cascade failures",
)
# "$1,234.56", "\$1,234.56" (Markdown), "$ 12": any money amount written with a sign.
MONEY = re.compile(r"\$\s*\d[\d,]*(?:\.\d+)?")
LIABILITY_FORMS = ("127,000", "185,000", "127000", "185000")
REVIEW_WORDS = re.compile(
    r"pending|review|approv|legal|finance|liabilit|confidential", re.IGNORECASE
)


gen = generator()


# -- the CLI, in-process: `support.warroom_cli.Warroom`, as the commander -----------------


def commander(database: Path) -> Warroom:
    return Warroom(database, user=COMMANDER, env={"WARROOM_PREPARED_BY": PREPARED_BY})


# -- the demo, set up once ----------------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    folder: Path
    summary: dict[str, Any]  # what generate_demo returned
    database: Path  # imported, analysed, assessed and submitted; never changed by tests
    impact: dict[str, Any]  # `warroom impact ... --json` as it ran
    assessment: dict[str, Any]  # `warroom sla assess ... --submit --json` as it ran
    customers: tuple[dict[str, str], ...]  # customers.csv
    policy: dict[str, Any]  # sla-policy.yaml
    incident: dict[str, Any]  # incident.yaml

    def customer(self, customer_id: str) -> dict[str, str]:
        return next(c for c in self.customers if c["customer_id"] == customer_id)

    @property
    def first_enterprise(self) -> dict[str, str]:
        return next(c for c in self.customers if c["tier"] == "enterprise")


@pytest.fixture(scope="module")
def demo(demo_data: DemoData, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder, summary = demo_data.folder, demo_data.summary
    database = tmp_path_factory.mktemp("db") / "demo.db"
    warroom = commander(database)
    warroom.ok("init")
    warroom.ok("incident", "import", folder / "incident.yaml")
    # `init` registered the commander (the acting person) as the first admin
    warroom.ok("user", "roles", COMMANDER, "--role", "commander", "--role", "admin")
    warroom.ok(*maintenance_args())  # as `make run` records it
    impact = warroom(
        "impact",
        INC,
        "--requests",
        folder / "requests.parquet",
        "--customers",
        folder / "customers.csv",
        "--policy",
        folder / "sla-policy.yaml",
        "--json",
    ).json()
    assessment = warroom(
        "sla",
        "assess",
        INC,
        "--customers",
        folder / "customers.csv",
        "--policy",
        folder / "sla-policy.yaml",
        "--submit",
        "--json",
    ).json()
    with (folder / "customers.csv").open(newline="", encoding="utf-8") as f:
        customers = tuple(csv.DictReader(f))
    return Demo(
        folder=folder,
        summary=summary,
        database=database,
        impact=impact,
        assessment=assessment,
        customers=customers,
        policy=yaml.safe_load((folder / "sla-policy.yaml").read_text()),
        incident=yaml.safe_load((folder / "incident.yaml").read_text()),
    )


@pytest.fixture
def warroom(demo: Demo) -> Warroom:
    """The shared database: for commands that only read."""
    return commander(demo.database)


@pytest.fixture(scope="module")
def approved(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Warroom:
    """A copy of the demo database whose assessment legal and finance approved."""
    warroom = commander(demo.database).copy(tmp_path_factory.mktemp("approved") / "demo.db")
    warroom.ok("user", "add", LEGAL, "--role", "legal")
    warroom.ok("user", "add", FINANCE, "--role", "finance")
    warroom.ok("--as", LEGAL, "sla", "approve", INC, "--role", "legal")
    warroom.ok("--as", FINANCE, "sla", "approve", INC, "--role", "finance")
    return warroom


# -- reading reports ----------------------------------------------------------------------------


def report_text(warroom: Warroom, tmp_path: Path, fmt: str, *args: str) -> str:
    """The report as text: Markdown, HTML and JSON as printed; a PDF through pdftotext."""
    if fmt != "pdf":
        return warroom.ok("report", INC, *args, "--format", fmt)
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        need("pdftotext", "install poppler-utils")
    pdf = tmp_path / "report.pdf"
    warroom.ok("report", INC, *args, "--format", "pdf", "-o", pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    done = subprocess.run(
        [str(pdftotext), "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8")


def flat(text: str) -> str:
    """Whitespace collapsed (PDF lines break anywhere) and Markdown's escapes removed."""
    return " ".join(text.replace("\\", "").split())


def words(*phrases: str) -> re.Pattern[str]:
    """Any of `phrases`, as whole words (C0001 must not match inside C00010)."""
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")


def others_of(demo: Demo, customer_id: str | None) -> re.Pattern[str]:
    """Every other customer's ID and name."""
    rest = [c for c in demo.customers if c["customer_id"] != customer_id]
    return words(*(c["customer_id"] for c in rest), *(c["name"] for c in rest))


def money_variants(amount: Decimal) -> set[str]:
    return {f"{amount:,.2f}", f"{amount:.2f}"}


# -- expected credits, by hand ------------------------------------------------------------------


def month_minutes(month: str) -> int:
    year, number = map(int, month.split("-"))
    return calendar.monthrange(year, number)[1] * 24 * 60


def expected_credit(
    policy: dict[str, Any], tier: str, fee: Decimal, down: int, minutes: int
) -> tuple[Decimal, Decimal, Decimal]:
    """(uptime, percent, amount) by docs/definitions.md's rules, straight from sla-policy.yaml.

    Uptime strictly below a bracket's `below` earns it; the lowest such bracket wins;
    the tier's cap holds the percent; percent x fee rounds half-up to the cent; an
    amount below the policy's minimum credit is not issued.
    """
    terms = policy["tiers"][tier]
    uptime = Decimal(100) * (minutes - down) / minutes
    earned = [
        (Decimal(str(b["below"])), Decimal(str(b["percent"])))
        for b in terms["credits"]
        if uptime < Decimal(str(b["below"]))
    ]
    percent = min(earned)[1] if earned else Decimal(0)
    if terms.get("cap_percent") is not None:
        percent = min(percent, Decimal(str(terms["cap_percent"])))
    amount = (fee * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    minimum = Decimal(str(policy.get("claims", {}).get("minimum_credit", 0)))
    if amount < minimum:
        amount = Decimal("0.00")
    return uptime, percent, amount


def test_the_hand_computation_follows_the_strict_bracket_rule() -> None:
    """The checker itself: exactly at a threshold earns nothing, just below earns it."""
    policy = {
        "tiers": {
            "t": {"credits": [{"below": 99.5, "percent": 10}, {"below": 99.0, "percent": 25}]}
        }
    }
    fee = Decimal("1000.05")
    assert expected_credit(policy, "t", fee, 50, 10_000)[1:] == (0, Decimal("0.00"))  # 99.5
    assert expected_credit(policy, "t", fee, 51, 10_000)[1:] == (10, Decimal("100.01"))  # half-up
    assert expected_credit(policy, "t", fee, 100, 10_000)[1:] == (10, Decimal("100.01"))  # 99.0
    assert expected_credit(policy, "t", fee, 101, 10_000)[1] == 25


# -- 1. the incident ----------------------------------------------------------------------------


def test_incident_show_gives_the_reference_response_metrics(warroom: Warroom) -> None:
    metrics = warroom("incident", "show", INC, "--json").json()["metrics"]
    assert metrics["impact_window"] == {
        "start": "2025-11-08T14:02:00Z",
        "end": "2025-11-08T19:49:00Z",
        "minutes": 347,
    }
    assert {
        name: metrics[f"{name}_minutes"]
        for name in (
            "duration",
            "time_to_declare",
            "time_to_identify",
            "time_to_detect",
            "time_to_mitigate",
            "time_to_resolve",
        )
    } == {
        "duration": 347,
        "time_to_declare": 6,
        "time_to_identify": 28,
        "time_to_detect": 17,
        "time_to_mitigate": 283,
        "time_to_resolve": 347,
    }


# -- 2. the impact ------------------------------------------------------------------------------


def test_impact_measures_the_reference_numbers_from_the_request_log(
    demo: Demo, warroom: Warroom
) -> None:
    data = demo.impact
    assert data["window"] == {
        "start": "2025-11-08T14:02:00Z",
        "end": "2025-11-08T19:49:00Z",
        "minutes": 347,
    }
    assert (data["customers_affected"], data["customers_total"]) == (847, 847)
    assert abs(data["users_affected"] - 52_000) <= 520
    assert abs(data["transactions_affected"] - 12_400) <= 124
    # exactly what the generator counted while writing the log
    summary = demo.summary
    assert data["customers_affected"] == summary["affected_customers"]
    assert data["users_affected"] == summary["affected_users"]
    assert data["transactions_affected"] == summary["affected_transactions"]
    assert summary["window_minutes"] == data["window"]["minutes"]
    per_customer = data["per_customer"]
    assert [c["customer_id"] for c in per_customer] == [c["customer_id"] for c in demo.customers]
    assert all(0 < c["down_minutes"] <= 347 and c["failed"] <= c["requests"] for c in per_customer)
    assert sum(c["requests"] for c in per_customer) == data["requests_total"]
    assert sum(c["failed"] for c in per_customer) == data["requests_failed"]
    # stored with the incident: shown again without re-reading the log
    assert warroom("impact", INC, "--json").json() == data


# -- 3. the SLA assessment ----------------------------------------------------------------------


def test_sla_assess_gives_the_reference_liability_range(demo: Demo) -> None:
    data = demo.assessment
    assert data["month"] == "2025-11" and data["currency"] == "USD"
    assert data["status"] == "pending_review" and data["logs_analysed"] is True
    assert data["liability"] == {"low": "127000.00", "high": "185000.00"}
    # the 13:45 maintenance, a record announced 17 h 45 min ahead against the policy's
    # 48 h: flagged from the facts, excluding nothing
    (finding,) = data["exclusions"]
    assert (finding["start"], finding["announced_at"]) == (
        "2025-11-08T13:45:00Z",
        "2025-11-07T20:00:00Z",
    )
    assert finding["announced_late"] and not finding["counts"]
    tiers = {t["tier"]: t for t in data["by_tier"]}
    assert set(tiers) == {"enterprise", "business"}
    assert sum(t["customers"] for t in tiers.values()) == 847
    assert tiers["enterprise"]["customers"] == demo.summary["enterprise"]
    assert tiers["business"]["customers"] == demo.summary["business"]
    # totals are sums of the customers' rounded amounts
    rows = data["customers"]
    assert len(rows) == 847
    for key, column in (("low", "credit_low"), ("high", "credit_high")):
        assert sum(Decimal(r[column]) for r in rows) == Decimal(data["liability"][key])
        for name, tier in tiers.items():
            assert sum(Decimal(r[column]) for r in rows if r["tier"] == name) == Decimal(
                tier[key]
            ), (name, key)


def sample_customers(demo: Demo) -> list[str]:
    """A deterministic sample: the first enterprise and first business customers, the
    customer with the fewest measured down minutes, the enterprise customer with the
    fewest, and the one with the highest fee (first in registry order on ties)."""
    down = {c["customer_id"]: c["down_minutes"] for c in demo.impact["per_customer"]}
    registry = list(demo.customers)
    enterprise = [c for c in registry if c["tier"] == "enterprise"]
    picks = [
        enterprise[0],
        next(c for c in registry if c["tier"] == "business"),
        min(registry, key=lambda c: down[c["customer_id"]]),
        min(enterprise, key=lambda c: down[c["customer_id"]]),
        max(registry, key=lambda c: Decimal(c["monthly_fee"])),
    ]
    return list(dict.fromkeys(c["customer_id"] for c in picks))


def test_sla_assess_credits_match_a_hand_check_of_sample_customers(demo: Demo) -> None:
    minutes = month_minutes(demo.assessment["month"])
    assert minutes == 43_200  # November
    down = {c["customer_id"]: c["down_minutes"] for c in demo.impact["per_customer"]}
    rows = {r["customer_id"]: r for r in demo.assessment["customers"]}
    sample = sample_customers(demo)
    assert len(sample) >= 4, sample
    checked = []
    for customer_id in sample:
        customer, row = demo.customer(customer_id), rows[customer_id]
        fee = Decimal(customer["monthly_fee"])
        assert (row["name"], row["tier"], Decimal(row["monthly_fee"])) == (
            customer["name"],
            customer["tier"],
            fee,
        )
        assert row["down_minutes_measured"] == down[customer_id]  # the only incident of the month
        assert row["down_minutes_declared"] == 347
        for label, minutes_down, uptime_key, percent_key, credit_key in (
            ("measured", down[customer_id], "uptime_measured", "credit_percent_low", "credit_low"),
            ("declared", 347, "uptime_declared", "credit_percent_high", "credit_high"),
        ):
            uptime, percent, amount = expected_credit(
                demo.policy, customer["tier"], fee, minutes_down, minutes
            )
            where = f"{customer_id} {label} ({minutes_down} min, uptime {uptime})"
            assert Decimal(row[uptime_key]) == uptime.quantize(
                Decimal("0.001"), rounding=ROUND_HALF_UP
            ), where
            assert Decimal(row[percent_key]) == percent, where
            assert row[credit_key] == str(amount), where
        checked.append((customer["tier"], row["credit_percent_low"], row["credit_percent_high"]))
    # the sample covers credits earned and not earned, in both tiers
    assert ("enterprise", "10", "10") in checked and ("enterprise", "0", "10") in checked
    assert any(tier == "business" for tier, *_ in checked)


# -- 4. the internal report ---------------------------------------------------------------------


def test_internal_report_has_every_section_and_number_of_the_reference(warroom: Warroom) -> None:
    md = warroom.ok("report", INC, "--audience", "internal", "--format", "md")
    for line in (
        "# INCIDENT REPORT",
        "Classification: CONFIDENTIAL - Internal Only",
        f"Incident ID: {INC}",
        "Severity: SEV-1 (Critical)",
        "Status: Closed",
    ):
        assert line in md, line
    headings = re.findall(r"^## (.+)$", md, re.MULTILINE)
    assert headings == [
        "Executive Summary",
        "Timeline (UTC)",
        "Customer Impact",
        "Root Cause Analysis",
        "Contributing Factors",
        "Corrective Actions",
        "SLA Impact Assessment",
    ]
    rows = re.findall(r"^\| (\d\d:\d\d) \| (.+?) \|$", md, re.MULTILINE)
    assert tuple(rows) == REFERENCE_TIMELINE
    for figure in (
        "- **Affected Customers:** 847 (100% of customer base)",
        "- **Affected Users:** ~52,000",
        "- **Duration:** 5 hours 47 minutes",
        "- **Data Loss:** None confirmed",
        "- **Transactions Affected:** Approximately 12,400 during window",
        "Enterprise tier: Eligible for 10% monthly credit per SLA terms",
        "Business tier: Eligible for 5% monthly credit per SLA terms",
        r"Estimated total credit liability: \$127,000 - \$185,000",
        "NOTE: SLA credit calculations are pending legal and finance review. "
        "Do not communicate specific credit amounts to customers until approved.",
    ):
        assert figure in md, figure
    for number, title in enumerate(REFERENCE_ACTIONS, start=1):
        assert re.search(rf"^{number}\. {re.escape(title)}\b", md, re.MULTILINE), title
    assert f"*Report prepared by: {PREPARED_BY}" in md
    assert re.search(r"^(Last updated: .+|Draft generated .+)\*$", md, re.MULTILINE)


# -- 5. the customer notice ---------------------------------------------------------------------


def check_customer_notice(
    demo: Demo, text: str, customer: dict[str, str], fmt: str, *, credit: Decimal | None
) -> None:
    """`text` is `customer`'s notice: its own figures only, `credit` its only amount."""
    seen = flat(text)
    # positive controls: the search does find what the notice must show
    assert customer["name"] in seen and re.search(rf"\b{customer['customer_id']}\b", seen)
    assert "First alerts - connection timeouts detected" in seen
    if fmt != "json":
        assert "The incident lasted 5 hours 47 minutes" in seen
    leaked = sorted(set(others_of(demo, customer["customer_id"]).findall(seen)))
    assert not leaked, f"{fmt}: other customers in the notice: {leaked[:10]}"
    names = [n for n in (*STAFF, LEGAL, FINANCE) if n in seen]
    assert not names, f"{fmt}: staff names in the notice: {names}"
    review = REVIEW_WORDS.findall(seen)
    assert not review, f"{fmt}: review or classification text in the notice: {review}"
    assert not [f for f in LIABILITY_FORMS if f in seen], f"{fmt}: the liability is shown"
    total = [str(t[k]) for t in demo.assessment["by_tier"] for k in ("low", "high")]
    assert not [f for t in total for f in money_variants(Decimal(t)) if f in seen], fmt
    amounts = sorted(set(MONEY.findall(seen)))
    if credit is None:
        assert not amounts, f"{fmt}: money before approval: {amounts}"
        row = next(
            r for r in demo.assessment["customers"] if r["customer_id"] == customer["customer_id"]
        )
        figures = set(re.findall(r"[\d,]+\.\d\d", seen))
        for figure in (row["credit_low"], row["credit_high"]):
            assert not money_variants(Decimal(figure)) & figures, f"{fmt}: {figure} shown"
    elif fmt == "json":
        assert not amounts and f'"amount": "{credit:.2f}"' in seen, fmt
    else:
        assert amounts == [f"${credit:,.2f}"], f"{fmt}: {amounts}"


def customer_notice(warroom: Warroom, tmp_path: Path, customer_id: str, fmt: str) -> str:
    return report_text(warroom, tmp_path, fmt, "--audience", "customer", "--customer", customer_id)


@pytest.mark.parametrize("fmt", FORMATS)
def test_customer_notice_before_approval_shows_no_money_and_no_one_else(
    demo: Demo, warroom: Warroom, tmp_path: Path, fmt: str
) -> None:
    customer = demo.first_enterprise
    text = customer_notice(warroom, tmp_path, customer["customer_id"], fmt)
    check_customer_notice(demo, text, customer, fmt, credit=None)
    assert "Service Credit" not in text
    if fmt == "json":
        data = json.loads(text)
        assert data["customer"]["credit"] is None and data["sla"] is None
        assert data["impact"] is None and data["prepared_by"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_customer_notice_after_approval_shows_its_own_credit_only(
    demo: Demo, approved: Warroom, tmp_path: Path, fmt: str
) -> None:
    state = approved("sla", "show", INC, "--json").json()
    assert state["status"] == "approved"
    assert {(a["role"], a["by"]) for a in state["review"]["approvals"]} == {
        ("legal", LEGAL),
        ("finance", FINANCE),
    }
    customer = demo.first_enterprise
    row = next(
        r for r in demo.assessment["customers"] if r["customer_id"] == customer["customer_id"]
    )
    # logs were analysed, so the offer is the measured credit (CustomerCredit.credit)
    credit = Decimal(row["credit_low"])
    assert credit > 0
    text = customer_notice(approved, tmp_path, customer["customer_id"], fmt)
    check_customer_notice(demo, text, customer, fmt, credit=credit)
    if fmt == "json":
        offer = json.loads(text)["customer"]["credit"]
        assert offer == {
            "percent": row["credit_percent_low"],
            "amount": str(credit),
            "currency": "USD",
            "claim_deadline": "2025-12-30",
        }
    else:
        assert "Service Credit" in text
        assert f"a credit of {row['credit_percent_low']}% of your monthly fee" in flat(text)


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_a_customer_owed_nothing_is_not_invited_to_claim_a_zero_credit(
    demo: Demo, approved: Warroom, tmp_path: Path, fmt: str
) -> None:
    row = next(
        r for r in demo.assessment["customers"] if r["has_sla"] and Decimal(r["credit_low"]) == 0
    )
    text = customer_notice(approved, tmp_path, row["customer_id"], fmt)
    assert row["customer_id"] in text and "$" not in text and "Service Credit" not in text
    if fmt == "json":
        assert json.loads(text)["customer"]["credit"] is None


# -- 6. the public version ----------------------------------------------------------------------


def check_public_version(demo: Demo, text: str, fmt: str) -> None:
    """`text` is the status page's summary: public entries and actions, nothing more."""
    seen = flat(text)
    internal_entries = [
        e["text"] for e in demo.incident["timeline"] if e.get("audience", "internal") == "internal"
    ]
    internal_actions = [
        a["title"] for a in demo.incident["actions"] if a.get("audience", "internal") == "internal"
    ]
    assert "Decision made to restore from backup" in internal_entries
    assert len(internal_actions) == 2
    # positive controls: public entries and actions are there
    public_entries = [e["text"] for e in demo.incident["timeline"] if e.get("audience") == "public"]
    assert all(entry in seen for entry in public_entries), fmt
    assert "Implemented automated canary deployments" in seen
    secrets = {
        "staff names": [n for n in STAFF if n in seen],
        "internal timeline": [t for t in internal_entries if t in seen],
        "internal actions": [t for t in internal_actions if t in seen],
        "internal analysis": [
            t
            for t in (demo.incident["root_cause"], *demo.incident["contributing_factors"])
            if flat(t) in seen
        ],
        "links": re.findall(r"tracker\.example\.com\S*", seen),
        "amounts": MONEY.findall(seen) + [f for f in LIABILITY_FORMS if f in seen],
        "customers": sorted(set(others_of(demo, None).findall(seen))),
        "review": REVIEW_WORDS.findall(seen),
    }
    leaked = {kind: found for kind, found in secrets.items() if found}
    assert not leaked, f"{fmt}: the public version shows {leaked}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_public_version_shows_nothing_internal(
    demo: Demo, warroom: Warroom, tmp_path: Path, fmt: str
) -> None:
    check_public_version(demo, report_text(warroom, tmp_path, fmt, "--audience", "public"), fmt)
