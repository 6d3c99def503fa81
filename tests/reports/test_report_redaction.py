"""Redaction, proven on the output: generated incidents rendered for customers and the public
in every format never contain what those audiences must not see.

Each generated world holds secrets (staff names, internal notes and analysis, other
customers' names, IDs and amounts, the liability, the review status, the classification
banner) that the audience's model leaves out; the rendered text (for PDF, the text pypdf
extracts) is searched for every one of them. Positive controls check that the search
finds what the audience must see, so an empty search proves something.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from support.report_strategies import World, leaks, model_for, normalise, worlds
from warroom.domain.audience import Audience
from warroom.reports.render import render

OUTSIDE = (Audience.CUSTOMER, Audience.PUBLIC)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rendered_text(world: World, audience: Audience, customer_id: str | None, fmt: str) -> str:
    output = render(model_for(world, audience, customer_id), fmt)  # type: ignore[arg-type]
    if isinstance(output, bytes):
        pages = PdfReader(io.BytesIO(output)).pages
        return "\n".join(page.extract_text() or "" for page in pages)
    return output


def check(world: World, audience: Audience, index: int, fmt: str) -> None:
    customer_id = world.customer_ids[index % len(world.customer_ids)]
    if audience is Audience.PUBLIC:
        customer_id = None
    text = rendered_text(world, audience, customer_id, fmt)
    leaked = leaks(text, world.forbidden(audience, customer_id))
    assert not leaked, f"{audience.value} {fmt} shows what it must not: {leaked}"
    haystack = normalise(text)
    missing = [
        forms
        for forms in world.allowed(audience, customer_id)
        if not any(normalise(form) in haystack for form in forms)
    ]
    assert not missing, f"{audience.value} {fmt} lacks what it must show: {missing}"


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
@pytest.mark.parametrize("audience", OUTSIDE, ids=str)
@settings(max_examples=40, **SETTINGS)  # type: ignore[arg-type]
@given(world=worlds(), index=st.integers(0, 10))
def test_outside_versions_never_show_secrets(
    audience: Audience, fmt: str, world: World, index: int
) -> None:
    check(world, audience, index, fmt)


@pytest.mark.parametrize("audience", OUTSIDE, ids=str)
@settings(max_examples=15, **SETTINGS)  # type: ignore[arg-type]
@given(world=worlds(), index=st.integers(0, 10))
def test_outside_pdfs_never_show_secrets(audience: Audience, world: World, index: int) -> None:
    check(world, audience, index, "pdf")


@settings(max_examples=10, **SETTINGS)  # type: ignore[arg-type]
@given(world=worlds())
def test_the_search_finds_secrets_where_they_belong(world: World) -> None:
    """Positive control: the internal version shows the secrets the others must not."""
    for fmt in ("md", "html", "json"):
        text = rendered_text(world, Audience.INTERNAL, None, fmt)
        found = leaks(text, world.forbidden(Audience.CUSTOMER, world.customer_ids[0]))
        assert found.get("staff names"), fmt
        assert found.get("other customers") is None  # the internal report lists no customers
        liability = world.assessment.liability.high
        if liability > 0:
            assert (
                f"{liability:,.2f}" in text
                or f"{liability:,.0f}" in text
                or (f"{liability:.2f}" in text)
            ), fmt


def test_the_search_sees_through_pdf_line_breaks() -> None:
    """A secret wrapped across lines in a PDF is still found."""
    wrapped = "lorem ipsum Nadia\nQRS123 dolor"
    assert leaks(wrapped, {"staff names": {"Nadia QRS123"}}) == {"staff names": {"Nadia QRS123"}}
