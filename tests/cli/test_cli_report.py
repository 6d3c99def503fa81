"""`warroom report ...` as a user runs it: formats, files, revisions, diffs and mistakes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from support.cli_world import POLICY, REGISTRY, cli_with_reference_incident

INCIDENT = "INC-2025-1108-001"


INTERNAL_SECTIONS = (
    "Executive Summary",
    "Timeline (UTC)",
    "Customer Impact",
    "Root Cause Analysis",
    "Contributing Factors",
    "Corrective Actions",
    "SLA Impact Assessment",
)


@pytest.fixture
def warroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    monkeypatch.delenv("WARROOM_PREPARED_BY", raising=False)
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "customers.csv").write_text(REGISTRY)
    call = cli_with_reference_incident(tmp_path, monkeypatch, capsys)
    call("user", "add", "Lee Legal", "--role", "legal")
    return call


def assess(warroom, tmp_path: Path) -> None:
    code, _, err = warroom(
        "sla",
        "assess",
        INCIDENT,
        "--customers",
        tmp_path / "customers.csv",
        "--policy",
        tmp_path / "policy.yaml",
    )
    assert code == 0, err


def add_public_entry(warroom, text: str = "Status page updated") -> None:
    code, _, err = warroom(
        "event", "add", INCIDENT, text, "--at", "2025-11-08T20:30:00Z", "--audience", "public"
    )
    assert code == 0, err


def headings(markdown: str) -> list[str]:
    return re.findall(r"(?m)^## (.+)$", markdown)


# -- formats --------------------------------------------------------------------------------


def test_markdown_to_stdout_has_every_section_of_the_internal_report(warroom, tmp_path) -> None:
    assess(warroom, tmp_path)
    code, out, err = warroom("report", INCIDENT)
    assert code == 0, err
    assert headings(out) == list(INTERNAL_SECTIONS)
    assert out.startswith("# INCIDENT REPORT")
    assert "Preliminary assessment" in out  # the SLA section holds the assessment
    assert "not yet published" in out


def test_show_is_the_same_as_the_short_form(warroom) -> None:
    assert warroom("report", "show", INCIDENT)[1] == warroom("report", INCIDENT)[1]


def test_json_format_is_valid_json_for_the_audience(warroom) -> None:
    code, out, err = warroom("report", INCIDENT, "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["format"], data["audience"]) == ("warroom.report", "internal")
    assert data["incident"]["id"] == INCIDENT
    code, out, _ = warroom("report", INCIDENT, "--format", "json", "--audience", "public")
    public = json.loads(out)
    assert code == 0 and public["audience"] == "public"
    assert public["impact"] is None and public["sla"] is None and public["prepared_by"] is None


EXTERNAL = re.compile(
    r"""(?:\b(?:src|href)\s*=\s*["']?\s*|url\(\s*["']?\s*|@import\s+["']?)"""
    r"""(?:https?:)?//""",
    re.IGNORECASE,
)


def test_html_to_a_file_is_one_self_contained_page(warroom, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, out, err = warroom("report", INCIDENT, "-f", "html", "-o", target)
    assert code == 0, err
    assert out.startswith("wrote")
    page = target.read_text()
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "Executive Summary" in page
    assert not EXTERNAL.search(page)
    assert "<svg" not in page  # no impact analysis, no assessment: no chart to draw

    assess(warroom, tmp_path)  # the credits-by-tier chart appears, inline
    code, _, err = warroom("report", INCIDENT, "-f", "html", "-o", target)
    assert code == 1 and "exists; pass --force" in err
    assert warroom("report", INCIDENT, "-f", "html", "-o", target, "--force")[0] == 0
    page = target.read_text()
    assert "<svg" in page and "SLA Impact Assessment" in page
    assert not EXTERNAL.search(page)


def test_pdf_to_a_file(warroom, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    code, _, err = warroom("report", INCIDENT, "-f", "pdf", "-o", target)
    assert code == 0, err
    assert target.read_bytes().startswith(b"%PDF")


# -- publishing, revisions, diff ------------------------------------------------------------


def test_a_published_revision_is_listed_and_printed_as_published(warroom) -> None:
    code, out, _ = warroom("report", "revisions", INCIDENT, "--json")
    assert code == 0 and json.loads(out) == []

    code, out, err = warroom("report", "publish", INCIDENT)
    assert code == 0, err
    said = " ".join(out.split())  # the console may wrap the line
    assert "published revision 1 (internal version) by Ada Admin" in said

    code, out, _ = warroom("report", "revisions", INCIDENT, "--json")
    [listed] = json.loads(out)
    assert (
        listed["number"],
        listed["audience"],
        listed["customer_id"],
        listed["published_by"],
    ) == (1, "internal", None, "Ada Admin")
    assert listed["published_at"].endswith("Z")

    code, stored, _ = warroom("report", INCIDENT, "--revision", 1)
    assert code == 0 and "(revision 1)" in stored
    assert stored == warroom("report", INCIDENT)[1]  # unchanged: the same document

    add_public_entry(warroom)
    assert "changed since revision 1" in warroom("report", INCIDENT)[1]
    assert warroom("report", INCIDENT, "--revision", 1)[1] == stored  # kept as published
    code, out, _ = warroom("report", INCIDENT, "--revision", 1, "-f", "json")
    assert code == 0 and json.loads(out)["revision"] == 1


def test_publishing_twice_without_change_is_refused(warroom) -> None:
    assert warroom("report", "publish", INCIDENT)[0] == 0
    code, _, err = warroom("report", "publish", INCIDENT)
    assert code == 1 and "nothing changed since revision 1" in err
    assert "Traceback" not in err
    assert len(json.loads(warroom("report", "revisions", INCIDENT, "--json")[1])) == 1


def test_only_a_commander_or_admin_may_publish(warroom) -> None:
    code, _, err = warroom("--as", "Lee Legal", "report", "publish", INCIDENT)
    assert code == 3 and "commander or admin" in err
    assert json.loads(warroom("report", "revisions", INCIDENT, "--json")[1]) == []


def test_diff_between_two_revisions(warroom) -> None:
    assert warroom("report", "publish", INCIDENT)[0] == 0
    add_public_entry(warroom, "Status page updated")
    assert warroom("report", "publish", INCIDENT)[0] == 0

    code, out, err = warroom("report", "diff", INCIDENT, 1, 2, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"incident_id", "from", "to", "sections_changed", "diff"}
    assert data["incident_id"] == INCIDENT
    assert (data["from"]["number"], data["to"]["number"]) == (1, 2)
    assert data["from"]["audience"] == data["to"]["audience"] == "internal"
    assert data["sections_changed"] == ["Timeline (UTC)"]
    assert "+| 20:30 | Status page updated |" in data["diff"].splitlines()

    code, out, _ = warroom("report", "diff", INCIDENT, 1, 2)
    assert code == 0 and "Sections changed: Timeline (UTC)" in " ".join(out.split())
    assert "+| 20:30 | Status page updated |" in out

    code, _, err = warroom("report", "diff", INCIDENT, 2, 2)
    assert code == 1 and "two different revisions" in err


# -- mistakes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "docx"], "--format"),
        (["--audience", "everyone"], "--audience"),
        (["--audience", "customer"], "--customer"),
        (["--revision", "9"], "revision 9"),
        (["--revision", "1", "-f", "html"], "--format"),
    ],
    ids=["format", "audience", "customer-missing", "unknown-revision", "revision-as-html"],
)
def test_a_bad_option_exits_1_with_a_message_and_writes_nothing(
    warroom, tmp_path: Path, args: list[str], message: str
) -> None:
    assert warroom("report", "publish", INCIDENT)[0] == 0  # revision 1 exists
    target = tmp_path / "out.txt"
    code, out, err = warroom("report", INCIDENT, *args, "-o", target)
    assert code == 1
    assert message in err and "Traceback" not in err
    assert out == "" and not target.exists()


def test_writing_into_a_missing_folder_exits_1(warroom, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "report.md"
    code, out, err = warroom("report", INCIDENT, "-o", target)
    assert code == 1
    assert "--output" in err and "does not exist" in err and "Traceback" not in err
    assert out == "" and not target.parent.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["report", "INC-2099-0101-001"],
        ["report", "publish", "INC-2099-0101-001"],
        ["report", "revisions", "INC-2099-0101-001"],
        ["report", "diff", "INC-2099-0101-001", "1", "2"],
    ],
    ids=["show", "publish", "revisions", "diff"],
)
def test_an_unknown_incident_exits_1(warroom, command: list[str]) -> None:
    code, out, err = warroom(*command)
    assert code == 1
    assert "no incident INC-2099-0101-001" in err and "Traceback" not in err
    assert out == ""


# -- who prepared it ------------------------------------------------------------------------


def test_the_prepared_by_setting_signs_the_internal_version_only(
    warroom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assess(warroom, tmp_path)
    monkeypatch.setenv("WARROOM_PREPARED_BY", "SRE Platform Team")
    code, out, _ = warroom("report", INCIDENT)
    assert code == 0 and "Report prepared by: SRE Platform Team" in out
    for audience in (["--audience", "public"], ["--audience", "customer", "--customer", "C1"]):
        for fmt in ("md", "json", "html"):
            code, out, err = warroom("report", INCIDENT, *audience, "-f", fmt)
            assert code == 0, err
            assert "SRE Platform Team" not in out and "prepared by" not in out.lower()
    # the option wins over the setting
    code, out, _ = warroom("report", INCIDENT, "--prepared-by", "Jane Doe")
    assert "Report prepared by: Jane Doe" in out and "SRE Platform Team" not in out


# -- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "mentions"),
    [
        (["report", "--help"], ["publish", "revisions", "diff"]),
        (["report", "publish", "--help"], ["--audience", "--customer", "--prepared-by"]),
    ],
    ids=["report", "publish"],
)
def test_help_exits_0(
    warroom, monkeypatch: pytest.MonkeyPatch, command: list[str], mentions: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # a narrow terminal would cut option names
    code, out, err = warroom(*command)
    assert code == 0, err
    assert "Usage" in out
    assert all(word in out for word in mentions)


# -- a revision is read as the audience it was published for ------------------------------


def test_a_revision_asked_for_the_public_never_prints_the_internal_version(warroom) -> None:
    assert warroom("report", "publish", INCIDENT)[0] == 0  # revision 1: internal
    code, out, err = warroom("report", INCIDENT, "--audience", "public", "--revision", 1)
    assert code == 1 and out == ""
    assert "--revision" in err and "internal version" in err and "--audience internal" in err


def test_the_command_line_lists_the_formats_the_renderer_has() -> None:
    from warroom.cli.report import FORMATS as offered
    from warroom.reports.render import FORMATS as rendered

    assert offered == rendered
