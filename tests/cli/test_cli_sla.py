"""`warroom user ...` and `warroom sla ...` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from support.cli_world import POLICY, REGISTRY, cli_with_reference_incident


@pytest.fixture
def warroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "customers.csv").write_text(REGISTRY)
    call = cli_with_reference_incident(tmp_path, monkeypatch, capsys)
    assert call("user", "add", "Lee Legal", "--role", "legal")[0] == 0
    call("user", "add", "Fay Finance", "--role", "finance")
    return call


def assess(warroom, tmp_path: Path) -> dict:
    code, out, err = warroom(
        "sla",
        "assess",
        "INC-2025-1108-001",
        "--customers",
        tmp_path / "customers.csv",
        "--policy",
        tmp_path / "policy.yaml",
        "--json",
    )
    assert code == 0, err
    return json.loads(out)


def test_it_prints_the_assessment_as_json(warroom, tmp_path: Path) -> None:
    data = assess(warroom, tmp_path)
    assert data["month"] == "2025-11" and data["currency"] == "USD"
    assert data["status"] == "draft"
    assert data["liability"] == {"low": "1100.00", "high": "1100.00"}
    assert data["by_tier"] == [
        {"tier": "enterprise", "customers": 1, "low": "1000.00", "high": "1000.00"},
        {"tier": "business", "customers": 1, "low": "100.00", "high": "100.00"},
    ]
    c1 = data["customers"][0]
    assert (
        c1["customer_id"],
        c1["monthly_fee"],
        c1["uptime_declared"],
        c1["credit_percent_high"],
        c1["credit_high"],
    ) == ("C1", "10000.00", "99.197", "10", "1000.00")
    assert c1["down_minutes_declared"] == 347


def test_it_walks_the_approval_gate_and_exports_credits(warroom, tmp_path: Path) -> None:
    assess(warroom, tmp_path)
    out_csv = tmp_path / "credits.csv"
    code, _, err = warroom("sla", "export-credits", "INC-2025-1108-001", "-o", out_csv)
    assert code == 1 and "not approved" in err and not out_csv.exists()
    assert warroom("sla", "submit", "INC-2025-1108-001")[0] == 0
    assert (
        warroom("--as", "Lee Legal", "sla", "approve", "INC-2025-1108-001", "--role", "legal")[0]
        == 0
    )
    code, _, err = warroom(
        "--as", "lee legal", "sla", "approve", "INC-2025-1108-001", "--role", "legal"
    )
    assert code == 1 and "already approved" in err
    assert warroom("sla", "export-credits", "INC-2025-1108-001", "-o", out_csv)[0] == 1
    assert (
        warroom("--as", "Fay Finance", "sla", "approve", "INC-2025-1108-001", "--role", "finance")[
            0
        ]
        == 0
    )
    assert warroom("sla", "export-credits", "INC-2025-1108-001", "-o", out_csv)[0] == 0
    rows = list(csv.DictReader(out_csv.open()))
    assert [(r["customer_id"], r["credit_amount"], r["approved_by_legal"]) for r in rows] == [
        ("C1", "1000.00", "Lee Legal"),
        ("C2", "100.00", "Lee Legal"),
    ]


def test_it_shows_a_customer_only_its_own_figures(warroom, tmp_path: Path) -> None:
    assess(warroom, tmp_path)
    code, out, _ = warroom(
        "sla", "show", "INC-2025-1108-001", "--audience", "customer", "--customer", "C2", "--json"
    )
    view = json.loads(out)
    assert code == 0
    assert view["customer_id"] == "C2" and "credit" not in view
    assert "Acme" not in out and "1100" not in out and "draft" not in out


def test_it_refuses_a_bad_policy_with_file_and_line(warroom, tmp_path: Path) -> None:
    bad = tmp_path / "bad-policy.yaml"
    bad.write_text(POLICY.replace("percent: 25", "percent: 250"))
    code, _, err = warroom(
        "sla",
        "assess",
        "INC-2025-1108-001",
        "--customers",
        tmp_path / "customers.csv",
        "--policy",
        bad,
    )
    assert code == 1
    assert "bad-policy.yaml, line 6" in err and "percent" in err
    code, _, err = warroom("sla", "show", "INC-2025-1108-001")
    assert code == 1 and "no SLA assessment yet" in err


def test_it_lets_only_admins_add_people(warroom) -> None:
    code, _, err = warroom("--as", "Lee Legal", "user", "add", "Eve", "--role", "finance")
    assert code == 3 and "needs the admin role" in err
    code, out, _ = warroom("user", "list", "--json")
    assert [u["name"] for u in json.loads(out)["data"]] == ["Ada Admin", "Fay Finance", "Lee Legal"]
    code, _, err = warroom("user", "add", "Eve", "--role", "auditor")
    assert code == 1 and "unknown role 'auditor'" in err


def test_it_shows_the_totals_and_a_page_of_lines(warroom, tmp_path: Path) -> None:
    assess(warroom, tmp_path)
    code, out, _ = warroom("sla", "show", "INC-2025-1108-001", "--limit", "1")
    assert code == 0
    assert "Liability range" in out and "Acme" in out and "Beta" not in out
    assert "Showing lines 1-1 of 2" in out
    code, out, _ = warroom("sla", "show", "INC-2025-1108-001", "--offset", "1")
    assert "Beta" in out and "Acme" not in out and "lines 2-2 of 2" in out
    code, out, _ = warroom("sla", "show", "INC-2025-1108-001", "--customer", "C2", "--json")
    data = json.loads(out)
    assert [c["customer_id"] for c in data["customers"]] == ["C2"]
    assert data["customers_count"] == 2 and data["liability"]["high"] == "1100.00"
    code, out, _ = warroom("sla", "show", "INC-2025-1108-001", "--customer", "C9")
    assert code == 0 and "C9 has no line" in out


def test_it_reads_a_registry_kept_in_parquet(warroom, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(csv.DictReader(io.StringIO(REGISTRY)))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "customers.parquet")
    code, out, err = warroom(
        "sla",
        "assess",
        "INC-2025-1108-001",
        "--customers",
        tmp_path / "customers.parquet",
        "--policy",
        tmp_path / "policy.yaml",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["liability"] == {"low": "1100.00", "high": "1100.00"}
    assert data["customers_source"].endswith("customers.parquet")
    (tmp_path / "bad.csv").write_text(REGISTRY + "C3,Gamma,enterprize,1,USD,\n")
    code, _, err = warroom(
        "sla",
        "assess",
        "INC-2025-1108-001",
        "--customers",
        tmp_path / "bad.csv",
        "--policy",
        tmp_path / "policy.yaml",
    )
    assert code == 1 and "bad.csv, line 4, tier" in err and "did you mean 'enterprise'" in err
    code, out, _ = warroom("sla", "show", "INC-2025-1108-001", "--json")
    assert json.loads(out)["customers_source"].endswith("customers.parquet")  # unchanged
