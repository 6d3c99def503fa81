"""`-o FILE` writes a whole file or none, only regular files, and safe CSV for spreadsheets."""

from __future__ import annotations

import csv
import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli_world import POLICY, Call, cli_with_reference_incident

INC = "INC-2025-1108-001"
HOSTILE_NAMES = [
    '=HYPERLINK("https://evil.example","click")',
    "@SUM(1+1)",
    "+1+2",
    "-3",
    "\tTabbed",
    "\rReturned",
    "Plain & Co",
]


@pytest.fixture
def warroom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Call:
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    call = cli_with_reference_incident(tmp_path, monkeypatch, capsys)
    return call


def approved_with_hostile_names(warroom: Call, tmp_path: Path) -> None:
    with (tmp_path / "customers.csv").open("w", newline="") as registry:
        writer = csv.writer(registry)
        writer.writerow(["customer_id", "name", "tier", "monthly_fee", "currency", "regions"])
        for i, name in enumerate(HOSTILE_NAMES, start=1):
            writer.writerow([f"C{i}", name, "enterprise", "10000.00", "USD", ""])
    (tmp_path / "policy.yaml").write_text(POLICY)
    for name, role in (("Lee Legal", "legal"), ("Fay Finance", "finance")):
        assert warroom("user", "add", name, "--role", role)[0] == 0
    code, _, err = warroom(
        "sla",
        "assess",
        INC,
        "--customers",
        tmp_path / "customers.csv",
        "--policy",
        tmp_path / "policy.yaml",
        "--submit",
    )
    assert code == 0, err
    assert warroom("--as", "Lee Legal", "sla", "approve", INC, "--role", "legal")[0] == 0
    assert warroom("--as", "Fay Finance", "sla", "approve", INC, "--role", "finance")[0] == 0


def test_credit_names_cannot_run_as_spreadsheet_formulas(warroom: Call, tmp_path: Path) -> None:
    approved_with_hostile_names(warroom, tmp_path)
    out = tmp_path / "credits.csv"
    assert warroom("sla", "export-credits", INC, "-o", out)[0] == 0
    names = [row["name"] for row in csv.DictReader(out.open(newline=""))]
    # (the registry reader trims names: a leading tab or CR does not survive it)
    assert names == ["'" + n if n[0] in "=+-@" else n.strip() for n in HOSTILE_NAMES]
    amounts = [row["credit_amount"] for row in csv.DictReader(out.open(newline=""))]
    assert set(amounts) == {"1000.00"}  # figures are written as they are


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Acme", "Acme"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_each_formula_start_is_neutralised(cell: str, written: str) -> None:
    from warroom.formats.spreadsheet import csv_text, safe_cell

    assert safe_cell(cell) == written
    [_, row] = list(csv.reader(csv_text(["x"], [[cell]]).splitlines(keepends=True)))
    assert row == [written]


def test_it_refuses_to_write_over_a_folder_or_into_a_missing_one(
    warroom: Call, tmp_path: Path
) -> None:
    code, _, err = warroom("incident", "export", INC, "-o", tmp_path)
    assert code == 1 and "is a folder" in err and "Traceback" not in err
    code, _, err = warroom("incident", "export", INC, "-o", tmp_path / "missing" / "x.yaml")
    assert code == 1 and "does not exist" in err


def test_it_refuses_a_fifo_and_leaves_it(warroom: Call, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, err = warroom("incident", "export", INC, "-o", fifo, "--force")
    assert code == 1 and "is a FIFO" in err
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_it_refuses_a_device_and_leaves_it(warroom: Call, tmp_path: Path) -> None:
    if os.geteuid() == 0:  # a device node of our own, so a failure cannot harm /dev
        device = tmp_path / "full"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    else:
        device = Path("/dev/full")
    code, _, err = warroom("incident", "export", INC, "-o", device, "--force")
    assert code == 1 and "is a device" in err
    assert stat.S_ISCHR(device.stat().st_mode)


def test_it_writes_through_a_symlink_and_keeps_the_link(warroom: Call, tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    target.write_text("old\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    assert warroom("incident", "export", INC, "-o", link, "--force")[0] == 0
    assert link.is_symlink() and INC in target.read_text()


def test_it_replaces_a_file_only_when_told(warroom: Call, tmp_path: Path) -> None:
    out = tmp_path / "incident.yaml"
    out.write_text("keep me\n")
    code, _, err = warroom("incident", "export", INC, "-o", out)
    assert code == 1 and "exists; pass --force" in err
    assert out.read_text() == "keep me\n"
    assert warroom("incident", "export", INC, "-o", out, "--force")[0] == 0
    assert INC in out.read_text()
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


def test_a_full_disk_leaves_the_previous_file_whole(warroom: Call, tmp_path: Path) -> None:
    """The reproduction: on a full disk, `-o` left a truncated billing file in place of the
    old one. A file-size limit makes every write past 100 bytes fail as a full disk does."""
    out = tmp_path / "incident.yaml"
    previous = "the previous export, whole\n"
    out.write_text(previous)

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))

    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "WARROOM_USER": "Ada Admin",
    }
    # the database's own files exist already (a connection held open here keeps SQLite's
    # shared-memory file, which the limit would not let the command create): only the
    # export meets the full disk
    holder = sqlite3.connect(tmp_path / "cli.db")
    try:
        holder.execute("SELECT count(*) FROM incidents").fetchone()
        result = subprocess.run(
            [sys.executable, "-m", "warroom", "incident", "export", INC, "-o", str(out), "--force"],
            capture_output=True,
            text=True,
            env=env,
            preexec_fn=small_disk,
            timeout=60,
        )
    finally:
        holder.close()
    assert result.returncode == 5, result.stderr
    assert "cannot write" in result.stderr and "nothing was changed" in result.stderr
    assert "Traceback" not in result.stderr
    assert out.read_text() == previous
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []
