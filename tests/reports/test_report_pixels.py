"""The report as people see it: HTML in headless Chromium and the PDF rasterised, not blank.

Screenshots are kept for review under the test artifacts folder (tests/support/outside.py:
$WARROOM_TEST_ARTIFACTS, else warroom-test-artifacts/ in the temporary directory).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from support.outside import artifacts_folder, need
from support.report_strategies import reference_model
from warroom.domain.audience import Audience
from warroom.reports.render import render

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = artifacts_folder("reports")
AUDIENCES = (Audience.INTERNAL, Audience.CUSTOMER, Audience.PUBLIC)


def ink(path: Path) -> float:
    """Share of pixels that are not (near) white."""
    with Image.open(path) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
    total = sum(histogram)
    return sum(histogram[:245]) / total if total else 0.0


def colours(path: Path) -> int:
    with Image.open(path) as image:
        found = image.convert("RGB").getcolors(maxcolors=1 << 16)
    return len(found) if found is not None else 1 << 16


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.mark.parametrize("audience", AUDIENCES, ids=str)
def test_the_pdf_pages_are_not_blank(audience: Audience, artifacts: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        need("pdftoppm", "install poppler-utils")
        return
    pdf = artifacts / f"report-{audience.value}.pdf"
    pdf.write_bytes(render(reference_model(audience), "pdf"))
    prefix = artifacts / f"report-{audience.value}-pdf"
    for old in artifacts.glob(f"{prefix.name}-*.png"):
        old.unlink()
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(prefix)], check=True, timeout=120)
    pages = sorted(artifacts.glob(f"{prefix.name}-*.png"))
    assert pages, "pdftoppm wrote no page"
    for page in pages:
        assert ink(page) > 0.01, f"{page.name} is blank"
    if audience is Audience.INTERNAL:
        assert len(pages) >= 2
        assert max(colours(page) for page in pages) > 50, "no chart or banner colours"


@pytest.mark.parametrize("audience", AUDIENCES, ids=str)
def test_the_html_page_is_not_blank_in_chromium(audience: Audience, artifacts: Path) -> None:
    if not Path(CHROMIUM).exists():
        need("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a test dependency
        need("playwright", str(exc))
        return
    html = render(reference_model(audience), "html")
    (artifacts / f"report-{audience.value}.html").write_text(html, encoding="utf-8")
    screenshot = artifacts / f"report-{audience.value}-html.png"
    requests: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                ],
            )
            try:
                page = browser.new_page(viewport={"width": 1000, "height": 1200})
                page.on("request", lambda request: requests.append(request.url))
                page.set_content(html, wait_until="load")
                page.screenshot(path=str(screenshot), full_page=True)
                svg_widths = page.eval_on_selector_all(
                    "figure.chart svg", "nodes => nodes.map(n => n.getBoundingClientRect().width)"
                )
            finally:
                browser.close()
    except Error as exc:
        need("Chromium", f"could not start headless Chromium: {exc}")
        return
    assert [url for url in requests if not url.startswith(("about:", "data:"))] == []
    assert ink(screenshot) > 0.01, f"{screenshot.name} is blank"
    if audience is Audience.INTERNAL:
        assert len(svg_widths) == 2 and all(width > 300 for width in svg_widths)
