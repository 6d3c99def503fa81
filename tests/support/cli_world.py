"""What the CLI tests share: a small SLA policy and registry, and a way to run commands.

Two customers: C1 (enterprise, 10,000.00 USD a month, every region) and C2 (business,
2,000.00 USD, eu-west). The reference incident (tests/fixtures/reference-incident.yaml)
is declared 14:02 - 19:49 UTC: 347 minutes of November 2025.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from warroom.cli.app import run

FIXTURES = Path(__file__).parent.parent / "fixtures"
REFERENCE_INCIDENT = FIXTURES / "reference-incident.yaml"

POLICY = """currency: USD
claims: {deadline_days: 30}
tiers:
  enterprise:
    uptime_target: 99.95
    credits: [{below: 99.95, percent: 10}, {below: 99.0, percent: 25}]
  business:
    uptime_target: 99.9
    credits: [{below: 99.9, percent: 5}]
"""
REGISTRY = """customer_id,name,tier,monthly_fee,currency,regions
C1,Acme,enterprise,10000.00,USD,
C2,Beta,business,2000.00,USD,eu-west
"""

Call = Callable[..., tuple[int, str, str]]


def cli(capsys: pytest.CaptureFixture[str]) -> Call:
    """`call("incident", "show", ...)` runs warroom in-process: (exit code, stdout, stderr)."""

    def call(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def cli_with_reference_incident(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Call:
    """A fresh database in `tmp_path` holding the reference incident."""
    monkeypatch.setenv("WARROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    call = cli(capsys)
    call("init")
    call("incident", "import", REFERENCE_INCIDENT)
    return call
