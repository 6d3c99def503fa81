"""Reading the SLA policy file: the example of docs/sla.md, and a clear error for each mistake."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.downtime import DowntimeRule
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.sla import Bracket, MaintenanceWindow, SlaPolicy, Tier
from warroom.formats.sla_policy import (
    MAX_POLICY_BYTES,
    dump_policy,
    policy_to_dict,
    read_policy_file,
    read_policy_text,
)

D = Decimal

DOCUMENTED_EXAMPLE = """\
currency: USD
downtime:
  error_rate_threshold: 0.05   # a minute is down for a customer when failed/total >= this
  min_failed_requests: 1
exclusions:
  notice_hours: 48
  maintenance_windows: []
claims:
  deadline_days: 30
  minimum_credit: 0
tiers:
  enterprise:
    uptime_target: 99.95
    credits:
      - {below: 99.95, percent: 10}
      - {below: 99.0,  percent: 25}
      - {below: 95.0,  percent: 100}
  business:
    uptime_target: 99.9
    cap_percent: 100
    credits:
      - {below: 99.9, percent: 5}
      - {below: 99.0, percent: 10}
"""

MINIMAL = """\
tiers:
  gold:
    uptime_target: 99.9
    credits:
      - {below: 99.9, percent: 10}
"""


def problems(text: str) -> list[Problem]:
    with pytest.raises(InvalidInput) as caught:
        read_policy_text(text, source="sla.yaml")
    return caught.value.problems


def only_problem(text: str) -> Problem:
    [problem] = problems(text)
    assert problem.source == "sla.yaml"
    return problem


def test_it_reads_the_example_of_the_design() -> None:
    policy = read_policy_text(DOCUMENTED_EXAMPLE, source="sla.yaml")
    assert policy.currency == "USD"
    assert policy.downtime == DowntimeRule(D("0.05"), 1)
    assert (policy.notice_hours, policy.deadline_days, policy.minimum_credit) == (48, 30, D(0))
    assert policy.tier_names == ("enterprise", "business")
    enterprise = policy.tier("enterprise")
    assert enterprise is not None
    assert enterprise.uptime_target == D("99.95")
    assert enterprise.brackets == (
        Bracket(D("99.95"), D(10)),
        Bracket(D("99.0"), D(25)),
        Bracket(D("95.0"), D(100)),
    )
    assert policy.tier("business") == Tier(
        "business",
        D("99.9"),
        (Bracket(D("99.9"), D(5)), Bracket(D("99.0"), D(10))),
        cap_percent=D(100),
    )


def test_it_reads_numbers_exactly() -> None:
    policy = read_policy_text(MINIMAL.replace("99.9", "99.9499999999999999"))
    tier = policy.tier("gold")
    assert tier is not None and tier.brackets[0].below == D("99.9499999999999999")


def test_it_needs_only_tiers() -> None:
    policy = read_policy_text(MINIMAL)
    assert policy == SlaPolicy(tiers=(Tier("gold", D("99.9"), (Bracket(D("99.9"), D(10)),)),))
    assert policy.notice_hours is None and policy.deadline_days is None


def test_it_reads_a_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "sla.yaml"
    path.write_text(DOCUMENTED_EXAMPLE)
    assert read_policy_file(path).currency == "USD"


def test_it_reads_json_too(tmp_path: Path) -> None:
    path = tmp_path / "sla.json"
    path.write_text(json.dumps(policy_to_dict(read_policy_text(DOCUMENTED_EXAMPLE))))
    assert read_policy_file(path) == read_policy_text(DOCUMENTED_EXAMPLE)


def test_it_reads_maintenance_windows_in_utc() -> None:
    text = DOCUMENTED_EXAMPLE.replace(
        "maintenance_windows: []",
        """maintenance_windows:
    - start: 2025-11-08T13:45:00Z
      end: "2025-11-08T15:45:00+01:00"
      announced_at: 2025-11-01T09:00:00Z
      description: DB cluster connection pool change
    - {start: 2025-11-20T02:00:00Z, end: 2025-11-20T03:00:00Z}""",
    )
    first, second = read_policy_text(text).maintenance_windows
    assert first == MaintenanceWindow(
        datetime(2025, 11, 8, 13, 45, tzinfo=UTC),
        datetime(2025, 11, 8, 14, 45, tzinfo=UTC),
        announced_at=datetime(2025, 11, 1, 9, tzinfo=UTC),
        description="DB cluster connection pool change",
    )
    assert second.announced_at is None


def test_it_refuses_a_naive_time() -> None:
    text = DOCUMENTED_EXAMPLE.replace(
        "maintenance_windows: []",
        """maintenance_windows:
    - {start: 2025-11-08T13:45:00, end: 2025-11-08T15:45:00Z}""",
    )
    problem = only_problem(text)
    assert (problem.field, problem.line) == ("exclusions.maintenance_windows[0].start", 8)
    assert "no UTC offset" in problem.message
    assert "2025-11-08T14:02:00Z" in problem.message


def test_it_refuses_a_window_that_ends_before_it_starts() -> None:
    text = DOCUMENTED_EXAMPLE.replace(
        "maintenance_windows: []",
        """maintenance_windows:
    - start: 2025-11-08T13:45:00Z
      end: 2025-11-08T12:45:00Z""",
    )
    problem = only_problem(text)
    assert (problem.field, problem.line) == ("exclusions.maintenance_windows[0].end", 9)


def test_it_refuses_unknown_keys() -> None:
    problem = only_problem(DOCUMENTED_EXAMPLE.replace("  notice_hours: 48", "  notice_hour: 48"))
    assert (problem.field, problem.line) == ("exclusions.notice_hour", 6)
    assert "unknown field 'notice_hour'" in problem.message
    assert "notice_hours" in problem.message


def test_it_refuses_unknown_keys_inside_a_tier() -> None:
    problem = only_problem(DOCUMENTED_EXAMPLE.replace("    cap_percent: 100", "    cap: 100"))
    assert (problem.field, problem.line) == ("tiers.business.cap", 20)
    assert "cap_percent" in problem.message


def test_it_refuses_overlapping_brackets() -> None:
    problem = only_problem(
        DOCUMENTED_EXAMPLE.replace("{below: 99.0, percent: 10}", "{below: 99.9, percent: 10}")
    )
    assert (problem.field, problem.line) == ("tiers.business.credits[1].below", 23)
    assert "overlap" in problem.message


def test_it_refuses_unsorted_brackets() -> None:
    text = DOCUMENTED_EXAMPLE.replace(
        """      - {below: 99.0,  percent: 25}
      - {below: 95.0,  percent: 100}""",
        """      - {below: 95.0,  percent: 100}
      - {below: 99.0,  percent: 25}""",
    )
    found = problems(text)
    assert found[0].field == "tiers.enterprise.credits[2].below"
    assert found[0].line == 17
    assert "brackets must be sorted by descending `below`" in found[0].message


@pytest.mark.parametrize("percent", ["0", "-10", "100.5", "ten"])
def test_it_refuses_a_bad_percent(percent: str) -> None:
    problem = only_problem(MINIMAL.replace("percent: 10", f"percent: {percent}"))
    assert (problem.field, problem.line) == ("tiers.gold.credits[0].percent", 5)


@pytest.mark.parametrize("target", ["0", "100.1", "-1"])
def test_it_refuses_an_uptime_target_outside_0_to_100(target: str) -> None:
    problems_found = problems(MINIMAL.replace("uptime_target: 99.9", f"uptime_target: {target}"))
    assert problems_found[0].field == "tiers.gold.uptime_target"
    assert problems_found[0].line == 3


def test_it_refuses_an_unknown_currency() -> None:
    problem = only_problem(DOCUMENTED_EXAMPLE.replace("currency: USD", "currency: USX"))
    assert (problem.field, problem.line, problem.code) == ("currency", 1, "unknown_currency")


def test_it_suggests_the_upper_case_currency() -> None:
    assert "did you mean 'EUR'" in only_problem("currency: eur\n" + MINIMAL).message


def test_it_refuses_a_negative_minimum_credit() -> None:
    problem = only_problem(DOCUMENTED_EXAMPLE.replace("minimum_credit: 0", "minimum_credit: -1"))
    assert (problem.field, problem.line) == ("claims.minimum_credit", 10)


def test_it_refuses_a_threshold_written_as_a_percentage() -> None:
    problem = only_problem(
        DOCUMENTED_EXAMPLE.replace("error_rate_threshold: 0.05", "error_rate_threshold: 5")
    )
    assert "0.05 means 5 %" in problem.message


def test_it_refuses_a_fractional_count() -> None:
    problem = only_problem(DOCUMENTED_EXAMPLE.replace("notice_hours: 48", "notice_hours: 1.5"))
    assert problem.field == "exclusions.notice_hours"


def test_it_refuses_a_boolean_for_a_count() -> None:
    problem = only_problem(
        DOCUMENTED_EXAMPLE.replace("min_failed_requests: 1", "min_failed_requests: true")
    )
    assert problem.field == "downtime.min_failed_requests"


def test_it_needs_tiers() -> None:
    problem = only_problem("currency: USD\n")
    assert problem.field == "tiers"


def test_it_needs_at_least_one_bracket() -> None:
    problem = only_problem("tiers:\n  gold: {uptime_target: 99.9, credits: []}\n")
    assert (problem.field, problem.line) == ("tiers.gold.credits", 2)


def test_it_reports_every_problem_at_once() -> None:
    text = (
        DOCUMENTED_EXAMPLE.replace("currency: USD", "currency: XXX")
        .replace("minimum_credit: 0", "minimum_credit: -1")
        .replace("{below: 99.0, percent: 10}", "{below: 99.0, percent: 1}")
    )
    assert [p.field for p in problems(text)] == [
        "currency",
        "claims.minimum_credit",
        "tiers.business.credits[1].percent",
    ]


def test_it_refuses_aliases() -> None:
    text = """tiers:
  gold: &gold
    uptime_target: 99.9
    credits: [{below: 99.9, percent: 10}]
  silver: *gold
"""
    assert "aliases" in only_problem(text).message


def test_it_refuses_duplicate_keys() -> None:
    text = MINIMAL + "  gold:\n    uptime_target: 99\n    credits: [{below: 99, percent: 1}]\n"
    assert "appears twice" in only_problem(text).message


def test_it_refuses_malformed_yaml() -> None:
    problem = only_problem("tiers: [unclosed\n")
    assert "not valid YAML" in problem.message


def test_it_refuses_a_policy_that_is_not_a_mapping() -> None:
    assert only_problem("- just\n- a list\n").code == "model_type"


def test_it_refuses_a_file_over_one_megabyte(tmp_path: Path) -> None:
    path = tmp_path / "sla.yaml"
    path.write_text(MINIMAL + "#" * MAX_POLICY_BYTES)
    with pytest.raises(InvalidInput, match="limit"):
        read_policy_file(path)
    with pytest.raises(InvalidInput, match="limit"):
        read_policy_text(MINIMAL + "#" * MAX_POLICY_BYTES)


def test_it_writes_json_ready_data() -> None:
    data = policy_to_dict(read_policy_text(DOCUMENTED_EXAMPLE))
    assert data["tiers"]["enterprise"]["credits"][0] == {"below": "99.95", "percent": "10"}
    assert data["claims"] == {"deadline_days": 30, "minimum_credit": "0"}
    json.dumps(data)  # nothing that JSON cannot hold


def test_it_writes_times_in_utc_with_z() -> None:
    policy = SlaPolicy(
        tiers=(Tier("gold", D("99.9"), (Bracket(D("99.9"), D(10)),)),),
        maintenance_windows=(
            MaintenanceWindow(
                datetime(2025, 11, 8, 13, 45, tzinfo=UTC), datetime(2025, 11, 8, 14, 45, tzinfo=UTC)
            ),
        ),
    )
    window = policy_to_dict(policy)["exclusions"]["maintenance_windows"][0]
    assert window == {"start": "2025-11-08T13:45:00Z", "end": "2025-11-08T14:45:00Z"}
    assert read_policy_text(dump_policy(policy)) == policy


def test_it_writes_yaml_that_reads_back_the_same() -> None:
    policy = read_policy_text(DOCUMENTED_EXAMPLE)
    text = dump_policy(policy)
    assert "below: 99.95" in text  # plain numbers, as people write them
    assert read_policy_text(text) == policy


@given(
    st.lists(
        st.decimals(min_value=D("50.001"), max_value=100, places=3),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    st.decimals(min_value=0, max_value=10_000, places=2),
    st.none() | st.integers(0, 720),
)
def test_any_valid_policy_survives_a_round_trip(
    belows: list[Decimal], minimum: Decimal, notice: int | None
) -> None:
    ordered = sorted(belows, reverse=True)
    brackets = tuple(Bracket(below, D(i + 1)) for i, below in enumerate(ordered))
    policy = SlaPolicy(
        tiers=(Tier("gold", ordered[0], brackets),),
        currency="EUR",
        minimum_credit=minimum,
        notice_hours=notice,
    )
    assert read_policy_text(dump_policy(policy)) == policy


def test_a_policy_nested_beyond_reason_is_refused_not_a_crash() -> None:
    with pytest.raises(InvalidInput, match="nested more than"):
        read_policy_text("tiers: " + "[" * 5000 + "]" * 5000 + "\n")
