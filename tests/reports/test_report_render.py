"""Rendering the report: every audience in every format, the reference report's sections and
numbers, the SLA warning, charts, the PDF's pages and the exact JSON."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from support.report_strategies import (
    REFERENCE_ROOT_CAUSE,
    REFERENCE_SUMMARY,
    World,
    at,
    model_for,
    reference_model,
    worlds,
)
from warroom.domain.assessment import ReviewState
from warroom.domain.audience import Audience
from warroom.domain.redaction import EntryView
from warroom.domain.timeline import EntryKind
from warroom.reports import charts
from warroom.reports.model import ReportModel
from warroom.reports.render import FORMATS, render, to_json

AUDIENCES = (Audience.INTERNAL, Audience.CONFIDENTIAL, Audience.CUSTOMER, Audience.PUBLIC)
TEXT_FORMATS = ("md", "html", "json")


def text_of_html(html: str) -> str:
    """The visible text of an HTML page, roughly: tags and inline SVG dropped."""
    html = re.sub(r"(?s)<(svg|style|head)\b.*?</\1>", " ", html)
    html = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", html.replace("&amp;", "&").replace("&#39;", "'"))
    return re.sub(r" ([:;,.)])", r"\1", text)


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def internal_pdf() -> bytes:
    return render(reference_model(Audience.INTERNAL), "pdf")


# -- every audience, every format ------------------------------------------------------------


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("audience", AUDIENCES, ids=str)
def test_it_renders_every_audience_in_every_text_format(audience: Audience, fmt: str) -> None:
    output = render(reference_model(audience), fmt)  # type: ignore[arg-type]
    assert isinstance(output, str)
    assert "INC-2025-1108-001" in output


@pytest.mark.parametrize("audience", [Audience.CUSTOMER, Audience.PUBLIC], ids=str)
def test_it_renders_outside_audiences_as_pdf(audience: Audience) -> None:
    pages = pdf_pages(render(reference_model(audience, state=ReviewState.APPROVED), "pdf"))
    assert pages and "Full service restoration confirmed" in " ".join(pages)


def test_it_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        render(reference_model(), "docx")  # type: ignore[call-overload]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_it_renders_generated_incidents_for_every_audience(world: World) -> None:
    for audience in AUDIENCES:
        model = model_for(world, audience, world.customer_ids[0])
        for fmt in TEXT_FORMATS:
            assert render(model, fmt)  # type: ignore[arg-type]


# -- the reference report ----------------------------------------------------------------------

REFERENCE_LINES = (
    "# INCIDENT REPORT",
    "**Service Disruption - November 8, 2025**",
    "Classification: CONFIDENTIAL - Internal Only",
    "Incident ID: INC-2025-1108-001",
    "Severity: SEV-1 (Critical)",
    "Status: Closed",
    "## Executive Summary",
    REFERENCE_SUMMARY,
    "## Timeline (UTC)",
    "| Time | Event |",
    "| 13:45 | Scheduled maintenance begins on DB cluster |",
    "| 14:02 | First alerts - connection timeouts detected |",
    "| 14:08 | SEV-1 declared, incident commander assigned |",
    "| 14:15 | Customer impact confirmed - all regions affected |",
    "| 14:30 | Root cause identified - connection pool exhaustion |",
    "| 15:45 | Failover to secondary cluster initiated |",
    "| 16:20 | Secondary cluster also experiencing issues |",
    "| 17:30 | Decision made to restore from backup |",
    "| 18:45 | Primary services restored, validation underway |",
    "| 19:49 | Full service restoration confirmed |",
    "## Customer Impact",
    "- **Affected Customers:** 847 (100% of customer base)",
    "- **Affected Users:** ~52,000",
    "- **Duration:** 5 hours 47 minutes",
    "- **Data Loss:** None confirmed",
    "- **Transactions Affected:** Approximately 12,400 during window",
    "## Root Cause Analysis",
    REFERENCE_ROOT_CAUSE,
    "## Contributing Factors",
    "## Corrective Actions",
    "1. Configuration change process now requires production-equivalent load testing",
    "5. Added circuit breakers to prevent cascade failures",
    "## SLA Impact Assessment",
    "NOTE: SLA credit calculations are pending legal and finance review. Do not communicate "
    "specific credit amounts to customers until approved.",
    "Preliminary assessment:",
    "- Enterprise tier: Eligible for 10% monthly credit per SLA terms",
    "- Business tier: Eligible for 5% monthly credit per SLA terms",
    r"- Estimated total credit liability: \$127,000 - \$185,000",
    "*Report prepared by: Engineering Operations Team",
    "Last updated: November 22, 2025",
)


def test_it_reproduces_every_section_and_number_of_the_reference_report() -> None:
    text = render(reference_model(Audience.INTERNAL), "md")
    lines = [line.rstrip() for line in text.splitlines()]
    for expected in REFERENCE_LINES:
        assert any(line.startswith(expected) for line in lines), expected
    sections = [line for line in lines if line.startswith("## ")]
    assert sections == [
        "## Executive Summary",
        "## Timeline (UTC)",
        "## Customer Impact",
        "## Root Cause Analysis",
        "## Contributing Factors",
        "## Corrective Actions",
        "## SLA Impact Assessment",
    ]


def test_it_cites_the_evidence_of_the_impact_analysis() -> None:
    text = render(reference_model(Audience.INTERNAL), "md")
    evidence = next(line for line in text.splitlines() if line.startswith("Evidence:"))
    for part in (
        "`s3://logs/requests/2025-11-08/*.parquet`",
        "November 8, 2025 14:02 - 19:49 UTC (347 minutes)",
        "duckdb 1.1.3",
        "342,117 rows scanned",
        "computed November 9, 2025 09:30 UTC",
        "definition 3f9a1c2b7d4e",
    ):
        assert part in evidence


def test_it_says_when_the_impact_was_declared_and_not_measured() -> None:
    model = reference_model(Audience.INTERNAL)
    assert model.impact is not None
    declared = dataclasses.replace(
        model,
        impact=dataclasses.replace(
            model.impact, declared_only=True, evidence=None, users_affected=None
        ),
    )
    text = render(declared, "md")
    assert (
        "Evidence: declared impact window only (November 8, 2025 14:02 - 19:49 UTC, 347 minutes)"
    ) in text
    assert "Affected Users" not in text


def test_it_keeps_staff_details_in_the_internal_version() -> None:
    text = text_of_html(render(reference_model(Audience.INTERNAL), "html"))
    for detail in (
        "owner: Priya Raman",
        "status: in progress",
        "Commander Jane Doe",
        "Review status: Pending review; finance approved by Fred Finance",
        "212 customers; credits $90,000 - $130,000",
        "SLA terms: 99.95% monthly uptime; credit 10% below 99.95%, 25% below 99%",
    ):
        assert detail in text


# -- the SLA warning and the credit ------------------------------------------------------------


@pytest.mark.parametrize("state", list(ReviewState), ids=str)
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_it_warns_while_the_assessment_is_not_approved(state: ReviewState, fmt: str) -> None:
    output = render(reference_model(Audience.INTERNAL, state=state), fmt)  # type: ignore[arg-type]
    warned = "NOTE: SLA credit calculations are pending legal and finance review." in output
    assert warned == (state is not ReviewState.APPROVED)
    assert ("Preliminary assessment:" in output) == warned
    if state is ReviewState.APPROVED:
        assert "Approved assessment (November 2025)" in output
        assert "legal approved by Laura Legal, finance approved by Fred Finance" in output


@pytest.mark.parametrize("credit", [True, False])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_it_shows_a_customer_its_credit_only_when_the_model_has_it(credit: bool, fmt: str) -> None:
    output = render(reference_model(Audience.CUSTOMER, customer_credit=credit), fmt)  # type: ignore[arg-type]
    assert ("Service Credit" in output) == credit
    assert ("1,250.00" in output) == credit
    assert ("Please claim it by December 30, 2025" in output) == credit
    assert "Northwind Traders" in output
    assert "99.197%" in output


@pytest.mark.parametrize("audience", [Audience.CUSTOMER, Audience.PUBLIC], ids=str)
def test_it_shows_outside_audiences_only_public_entries_and_actions(audience: Audience) -> None:
    text = render(reference_model(audience, state=ReviewState.APPROVED), "md")
    assert "14:15" in text and "Full service restoration confirmed" in text
    for internal in (
        "Scheduled maintenance begins",
        "Decision made to restore",
        "Added circuit breakers",
        "Updated failover runbooks",
        "Jane Doe",
        "Priya Raman",
        REFERENCE_ROOT_CAUSE,
        "NOTE:",
        "liability",
    ):
        assert internal not in text
    numbered = [line for line in text.splitlines() if re.match(r"\d+\. ", line)]
    assert [line.split(".")[0] for line in numbered] == ["1", "2", "3"]


def test_it_summarises_the_public_incident_for_the_status_page() -> None:
    text = render(reference_model(Audience.PUBLIC), "md")
    for line in (
        "# Service Disruption",
        "- **Started:** November 8, 2025 14:02 UTC",
        "- **Resolved:** November 8, 2025 19:49 UTC",
        "- **Duration:** 5 hours 47 minutes",
        "- **Affected:** all regions; all services",
        "## Summary",
    ):
        assert line in text


# -- escaping ----------------------------------------------------------------------------------


def _with_entry(model: ReportModel, text: str) -> ReportModel:
    entry = EntryView(at=at("14:20"), kind=EntryKind.UPDATE, text=text, author=None)
    timeline = tuple(sorted((*model.incident.timeline, entry), key=lambda e: e.at))
    return dataclasses.replace(
        model, incident=dataclasses.replace(model.incident, timeline=timeline)
    )


def test_it_escapes_peoples_text_in_every_format() -> None:
    hostile = "<script>alert(1)</script> | *bold* [x](http://evil.example) $5\n- item"
    model = _with_entry(reference_model(Audience.PUBLIC), hostile)
    html = render(model, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="http://evil.example"' not in html
    md = render(model, "md")
    row = next(line for line in md.splitlines() if line.startswith("| 14:20 |"))
    assert row.count(" | ") == 1 and r"\|" in row and r"\*bold\*" in row and r"\$5" in row
    assert r"\<script\>" in row
    data = json.loads(render(model, "json"))
    assert hostile in [entry["text"] for entry in data["incident"]["timeline"]]


def test_it_dates_timeline_entries_past_the_first_day() -> None:
    model = _with_entry(reference_model(Audience.PUBLIC), "Post-incident review held")
    late = dataclasses.replace(
        model.incident.timeline[-1],
        text="Next-day follow-up",
        at=datetime(2025, 11, 9, 2, 10, tzinfo=UTC),
    )
    model = dataclasses.replace(
        model,
        incident=dataclasses.replace(model.incident, timeline=(*model.incident.timeline, late)),
    )
    assert "| Nov 9 02:10 | Next-day follow-up |" in render(model, "md")


# -- the model guards its audience -------------------------------------------------------------


def test_it_refuses_a_customer_model_with_staff_sections() -> None:
    internal = reference_model(Audience.INTERNAL)
    customer = reference_model(Audience.CUSTOMER)
    with pytest.raises(ValueError, match="sla is for staff audiences only"):
        dataclasses.replace(customer, sla=internal.sla)
    with pytest.raises(ValueError, match="impact is for staff audiences only"):
        dataclasses.replace(customer, impact=internal.impact)
    with pytest.raises(ValueError, match="incident view is for internal"):
        dataclasses.replace(customer, incident=internal.incident)
    with pytest.raises(ValueError, match="needs its customer section"):
        dataclasses.replace(customer, customer=None)


# -- charts ------------------------------------------------------------------------------------


def _reference_charts() -> tuple[str, str]:
    model = reference_model(Audience.INTERNAL)
    assert model.impact is not None and model.sla is not None
    error_rate = charts.error_rate_chart(
        [(p.at, p.requests, p.failed) for p in model.impact.series],
        [(e.at, e.kind.value) for e in model.milestones],
    )
    credits = charts.credits_by_tier_chart(
        [(t.tier, t.low, t.high) for t in model.sla.by_tier], "USD"
    )
    assert error_rate is not None and credits is not None
    return error_rate, credits


def test_it_draws_charts_as_valid_deterministic_svg() -> None:
    first, second = _reference_charts(), _reference_charts()
    assert first == second
    for svg in first:
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "<metadata>" not in svg and "<?xml" not in svg
    assert "<title>Error rate per minute</title>" in first[0]


def test_it_marks_the_milestones_on_the_error_rate_chart() -> None:
    error_rate, _ = _reference_charts()
    # labels are drawn as glyph paths: one dashed line per milestone
    assert error_rate.count("stroke-dasharray") >= 6


def test_it_draws_nothing_without_data() -> None:
    assert charts.error_rate_chart([]) is None
    assert charts.credits_by_tier_chart([], "USD") is None
    one = charts.error_rate_chart([(at("14:02"), 10, 5)], [(at("14:02"), "detected")])
    assert one is not None and ET.fromstring(one) is not None


def test_it_inlines_the_charts_in_a_self_contained_html_page() -> None:
    html = render(reference_model(Audience.INTERNAL), "html")
    assert html == render(reference_model(Audience.INTERNAL), "html")
    assert html.count("<svg ") == 2
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids repeat across the inlined charts"
    assert not re.search(r"<(link|script|img|iframe)\b|@import|\bsrc=|url\((?!#)", html)
    assert not re.search(r"https?://", re.sub(r'xmlns(:\w+)?="[^"]*"', "", html))


def test_outside_versions_have_no_charts() -> None:
    for audience in (Audience.CUSTOMER, Audience.PUBLIC):
        assert "<svg" not in render(reference_model(audience), "html")


# -- PDF ---------------------------------------------------------------------------------------


def test_it_numbers_pdf_pages_and_puts_the_classification_on_every_page(
    internal_pdf: bytes,
) -> None:
    pages = pdf_pages(internal_pdf)
    assert len(pages) >= 2
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in text
        assert "CONFIDENTIAL - Internal Only" in text
        assert "INC-2025-1108-001" in text
    whole = re.sub(r"\s+", " ", " ".join(pages))
    assert "Estimated total credit liability: $127,000 - $185,000" in whole
    assert "Affected Users: ~52,000" in whole


def test_the_pdf_renders_without_warnings(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing WeasyPrint ignores or cannot fetch: the charts' styles are SVG attributes."""
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render(reference_model(Audience.INTERNAL, state=ReviewState.APPROVED), "pdf")
    assert [record.getMessage() for record in caplog.records] == []


def test_outside_pdfs_are_numbered_without_a_classification() -> None:
    pages = pdf_pages(render(reference_model(Audience.CUSTOMER), "pdf"))
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in text
        assert "CONFIDENTIAL" not in text and "Internal Only" not in text


def test_the_pdf_renderer_fetches_nothing() -> None:
    from weasyprint import HTML

    from warroom.reports.render import _refusing_fetcher

    page = HTML(
        string='<p>x</p><img src="http://example.invalid/logo.png">',
        url_fetcher=_refusing_fetcher(),
    )
    with pytest.raises(BaseException, match=r"example\.invalid"):
        page.write_pdf()


# -- JSON --------------------------------------------------------------------------------------


def test_it_writes_json_with_exact_numbers() -> None:
    model = reference_model(Audience.INTERNAL)
    data = json.loads(render(model, "json"))
    assert data == to_json(model)
    assert data["schema"] == 1 and data["audience"] == "internal"
    assert data["classification_banner"] == "CONFIDENTIAL - Internal Only"
    impact, sla = data["impact"], data["sla"]
    assert impact["users_affected"] == 51_873
    assert impact["transactions_affected"] == 12_412
    assert impact["window"] == {
        "start": "2025-11-08T14:02:00Z",
        "end": "2025-11-08T19:49:00Z",
        "minutes": 347,
    }
    assert sla["liability"] == {"low": "127000.00", "high": "185000.00"}
    assert Decimal(sla["by_tier"][0]["low"]) == Decimal("90000.00")
    assert sla["review_state"] == "pending_review"
    assert sla["month"] == "2025-11" and sla["claim_deadline"] == "2025-12-30"
    assert sla["tiers"][0]["brackets"][0] == {"below": "99.95", "percent": "10"}
    assert data["last_updated"] == "2025-11-22T16:05:00Z" and data["revision"] == 3
    assert model.impact is not None
    assert [(p["requests"], p["failed"]) for p in impact["series"]] == [
        (p.requests, p.failed) for p in model.impact.series
    ]


def test_customer_json_holds_only_the_customer_section() -> None:
    data = json.loads(render(reference_model(Audience.CUSTOMER, customer_credit=True), "json"))
    assert data["sla"] is None and data["impact"] is None and data["prepared_by"] is None
    assert data["classification_banner"] is None
    assert data["customer"]["credit"] == {
        "percent": "10",
        "amount": "1250.00",
        "currency": "USD",
        "claim_deadline": "2025-12-30",
    }
    assert data["customer"]["uptime"] == "99.197"


def test_every_format_is_listed() -> None:
    assert FORMATS == ("md", "html", "pdf", "json")


def test_peoples_text_never_becomes_markdown_structure() -> None:
    """Rendered by a CommonMark parser, people's text stays one paragraph of text."""
    from markdown_it import MarkdownIt

    from warroom.reports.render import code_span, markdown_text

    parser = MarkdownIt("commonmark")
    for hostile in (
        "Sum line\n---\nnext",
        "Sum line\n===",
        "1. first\n2) second",
        "- item\n+ item",
        "# heading",
        "> quote",
        "[x](http://evil.example)",
        "<b>bold</b>",
        "*em* _em_ `code`",
        "12. not a list",
    ):
        html = parser.render(markdown_text(hostile))
        for tag in ("<h1", "<h2", "<ol", "<ul", "<blockquote", "<a ", "<b>", "<em", "<code"):
            assert tag not in html, (hostile, html)
    # numbers keep their digits: the escape goes before the dot, not the number
    assert parser.render(markdown_text("1. first")).strip() == "<p>1. first</p>"
    # a code span shows its text as typed, backticks included
    for path in ("logs/my_logs/*.parquet", "odd`name`.csv", "`quoted`"):
        html = parser.render(code_span(path))
        assert html.strip().startswith("<p><code>")
        shown = html.strip()[len("<p><code>") : -len("</code></p>")]
        assert shown == path.replace("&", "&amp;")


def test_a_reopened_incident_is_not_announced_as_resolved_on_the_status_page() -> None:
    model = reference_model(Audience.PUBLIC)
    reopened = dataclasses.replace(
        model, incident=dataclasses.replace(model.incident, status="investigating")
    )
    text = render(reopened, "md")
    assert "**Started:** November 8, 2025 14:02 UTC" in text
    assert "Resolved:" not in text and "**Investigating**" in text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=200))
def test_a_notices_text_part_reads_peoples_text_as_written(text: str) -> None:
    """The email's text part takes out what Markdown escaping put in: `\\$67.26` is
    `$67.26` again, and any text reads back as written."""
    from warroom.reports.render import markdown_as_text, markdown_text

    assert markdown_as_text(markdown_text(text)) == text
