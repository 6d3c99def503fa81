"""Customer registries from where companies keep them: CSV (plain, gzip, several files),
Parquet, a DuckDB table, a PostgreSQL table; read in batches, with the same validation
and the file and line (or row) of every problem."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warroom.analytics.sources import UnreadableSource
from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput
from warroom.formats import customer_registry
from warroom.formats.customer_registry import open_registry, read_registry_text
from warroom.formats.sla_policy import read_policy_text

D = Decimal
POLICY = read_policy_text("""
currency: USD
tiers:
  enterprise: {uptime_target: 99.95, credits: [{below: 99.95, percent: 10}]}
  business: {uptime_target: 99.9, credits: [{below: 99.9, percent: 5}]}
""")
CSV = """customer_id,name,tier,monthly_fee,currency,regions
C1,Acme,enterprise,10000.00,USD,
C2,Beta,business,1234.5,USD,eu-west;us-east
"""
EXPECTED = [
    Customer("C1", "Acme", "enterprise", D("10000.00"), "USD"),
    Customer("C2", "Beta", "business", D("1234.5"), "USD", ("eu-west", "us-east")),
]


def read(location: str | Path) -> list[Customer]:
    return [c for batch in open_registry(location, policy=POLICY)() for c in batch]


def problems(location: str | Path) -> list:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput) as refused:
        read(location)
    return refused.value.problems


def table(rows: list[dict[str, object]], schema: pa.Schema | None = None) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def test_it_reads_a_csv_file_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(customer_registry, "BATCH", 1)
    path = tmp_path / "customers.csv"
    path.write_text(CSV)
    batches = list(open_registry(path, policy=POLICY)())
    assert batches == [[EXPECTED[0]], [EXPECTED[1]]]
    assert read(path) == list(read_registry_text(CSV, policy=POLICY)) == EXPECTED


def test_it_reads_it_again_from_the_start_when_called_again(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(CSV)
    registry = open_registry(path, policy=POLICY)
    assert [c for b in registry() for c in b] == [c for b in registry() for c in b] == EXPECTED


def test_it_has_no_size_limit_when_read_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_registry, "MAX_REGISTRY_BYTES", 10)
    path = tmp_path / "customers.csv"
    path.write_text(CSV)
    assert read(path) == EXPECTED


def test_it_reads_gzip_and_several_files_naming_the_file_of_each_problem(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "a.csv.gz", "wt") as out:
        out.write(CSV)
    assert read(tmp_path / "a.csv.gz") == EXPECTED
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "1.csv").write_text(CSV)
    (tmp_path / "more" / "2.csv").write_text(
        "customer_id,name,tier,monthly_fee,currency,regions\nC3,Gamma,business,-1,USD,\n"
        "C1,Acme again,enterprise,1,USD,\n"
    )
    found = problems(tmp_path / "more")
    assert [(Path(p.source).name, p.line, p.field) for p in found] == [
        ("2.csv", 2, "monthly_fee"),
        ("2.csv", 3, "customer_id"),
    ]
    assert found[1].message.endswith(f"also on line 2 of {tmp_path / 'more' / '1.csv'}")


def test_it_reads_parquet_with_typed_columns(tmp_path: Path) -> None:
    pq.write_table(
        table(
            [
                {
                    "customer_id": 1,
                    "name": "Acme",
                    "tier": "enterprise",
                    "monthly_fee": D("10000.00"),
                    "currency": "USD",
                    "regions": [],
                    "crm_owner": "x",
                },
                {
                    "customer_id": 2,
                    "name": "Beta",
                    "tier": "business",
                    "monthly_fee": D("1234.50"),
                    "currency": "USD",
                    "regions": ["eu-west", "us-east"],
                    "crm_owner": "y",
                },
            ]
        ),
        tmp_path / "customers.parquet",
    )
    assert read(tmp_path / "customers.parquet") == [
        Customer("1", "Acme", "enterprise", D("10000.00"), "USD"),
        Customer("2", "Beta", "business", D("1234.50"), "USD", ("eu-west", "us-east")),
    ]


def test_it_reads_fees_written_as_floats_as_they_read(tmp_path: Path) -> None:
    pq.write_table(
        table(
            [
                {
                    "customer_id": "C1",
                    "name": "Acme",
                    "tier": "enterprise",
                    "monthly_fee": 1345.14,
                    "currency": "USD",
                    "regions": None,
                }
            ]
        ),
        tmp_path / "customers.parquet",
    )
    [customer] = read(tmp_path / "customers.parquet")
    assert customer.monthly_fee == D("1345.14")


def test_it_names_the_file_and_row_of_a_problem_in_parquet(tmp_path: Path) -> None:
    rows = [
        {
            "customer_id": f"C{i}",
            "name": "N",
            "tier": "enterprise",
            "monthly_fee": "1",
            "currency": "USD",
            "regions": "",
        }
        for i in range(3)
    ]
    rows[2] = {**rows[2], "tier": "enterprize", "customer_id": "C0"}
    pq.write_table(table(rows[:2]), tmp_path / "part-1.parquet")
    pq.write_table(table(rows[2:]), tmp_path / "part-2.parquet")
    found = problems(tmp_path / "part-*.parquet")
    assert [(Path(p.source).name, p.line, p.field) for p in found] == [
        ("part-2.parquet", 1, "customer_id"),
        ("part-2.parquet", 1, "tier"),
    ]
    assert "also on row 1 of" in found[0].message and "part-1.parquet" in found[0].message


def test_it_names_missing_columns_of_a_table(tmp_path: Path) -> None:
    pq.write_table(table([{"id": "C1", "name": "Acme"}]), tmp_path / "customers.parquet")
    found = problems(tmp_path / "customers.parquet")
    assert {p.field for p in found} == {"customer_id", "tier", "monthly_fee", "currency", "regions"}
    assert "is 'id' meant to be 'customer_id'?" in found[0].message


def test_it_reads_a_duckdb_table(tmp_path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(tmp_path / "crm.db"))
    con.execute(
        "CREATE TABLE customers (customer_id VARCHAR, name VARCHAR, tier VARCHAR, "
        "monthly_fee DECIMAL(12, 2), currency VARCHAR, regions VARCHAR[])"
    )
    con.execute(
        "INSERT INTO customers VALUES ('C1', 'Acme', 'enterprise', 10000.00, 'USD', "
        "[]), ('C2', 'Beta', 'business', 1234.5, 'USD', ['eu-west', 'us-east'])"
    )
    con.close()
    assert read(f"duckdb:///{tmp_path / 'crm.db'}#customers") == [
        EXPECTED[0],
        Customer("C2", "Beta", "business", D("1234.50"), "USD", ("eu-west", "us-east")),
    ]
    with pytest.raises(UnreadableSource, match="no table 'clients'"):
        read(f"duckdb:///{tmp_path / 'crm.db'}#clients")


@pytest.mark.postgres
def test_it_reads_a_postgresql_table_naming_the_row_of_a_problem(pg_server: object) -> None:
    from sqlalchemy import create_engine, text

    url = pg_server.url()  # type: ignore[attr-defined]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS crm_customers"))
        conn.execute(
            text(
                "CREATE TABLE crm_customers (customer_id text, name text, tier text, "
                "monthly_fee numeric, currency text, regions text)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO crm_customers VALUES ('C1', 'Acme', 'enterprise', "
                "10000.00, 'USD', ''), ('C2', 'Beta', 'business', 1234.5, 'USD', "
                "'eu-west;us-east')"
            )
        )
    engine.dispose()
    location = url.replace("postgresql+psycopg://", "postgresql://") + "#crm_customers"
    assert read(location) == EXPECTED
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE crm_customers SET currency = 'EUR' WHERE customer_id = 'C2'"))
    engine.dispose()
    [problem] = problems(location)
    assert (problem.line, problem.field, problem.code) == (2, "currency", "currency_mismatch")
    assert problem.source and problem.source.endswith("#crm_customers")


def test_it_refuses_a_location_with_nothing_to_read(tmp_path: Path) -> None:
    with pytest.raises(UnreadableSource, match="no such file"):
        open_registry(tmp_path / "nowhere.csv")
    with pytest.raises(InvalidInput, match="no customer registry"):
        open_registry("  ")
