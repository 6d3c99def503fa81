"""The sources file: named logs, registries and policies, read strictly with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.domain.errors import InvalidInput
from warroom.formats.sources_file import read_sources_file


def test_it_reads_names_and_resolves_paths_from_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "request_logs:\n"
        "  demo: {location: logs/requests.parquet, map: {customer_id: tenant}}\n"
        "  warehouse: {location: 'postgresql://db/logs#requests'}\n"
        "customers: {default: customers.csv}\n"
        "policies: {default: /etc/warroom/policy.yaml}\n"
    )
    sources = read_sources_file(path)
    demo = sources.request_log("demo")
    assert demo.location == str(tmp_path / "logs" / "requests.parquet")
    assert demo.mapping.column_for("customer_id") == "tenant" and demo.backend == "duckdb"
    assert sources.request_log("warehouse").location == "postgresql://db/logs#requests"
    assert sources.customers_location("default") == str(tmp_path / "customers.csv")
    assert sources.policy_file("default") == Path("/etc/warroom/policy.yaml")


def test_it_names_an_unknown_name_and_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("customers: {default: customers.csv}\n")
    with pytest.raises(InvalidInput) as refused:
        read_sources_file(path).customers_location("other")
    problem = refused.value.problems[0]
    assert problem.field == "customers" and "known: default" in problem.message


def test_it_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "request_logs:\n"
        "  demo: {location: x.parquet, colour: red}\n"
        "  bad name!: {location: y.parquet}\n"
        "  mapped: {location: z.parquet, map: {tenant: customer}}\n"
    )
    with pytest.raises(InvalidInput) as refused:
        read_sources_file(path)
    found = {(p.field, p.line) for p in refused.value.problems}
    assert ("request_logs.demo.colour", 2) in found
    assert any(f.startswith("request_logs.bad name!") for f, _ in found)
    path.write_text("request_logs:\n  mapped: {location: z.parquet, map: {tenant: customer}}\n")
    with pytest.raises(InvalidInput) as refused:
        read_sources_file(path)
    assert [(p.field, p.line, p.code) for p in refused.value.problems] == [
        ("request_logs.mapped.map.tenant", 2, "unknown_column")
    ]
