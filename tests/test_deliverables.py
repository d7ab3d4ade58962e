"""The demo's HTML deliverables open offline in Chromium and read as finished documents; their
PDFs never leave a figure alone on a page, away from its heading. The checks run on the small
demo of tests/test_demo.py (its module builds it once) and, marked slow, on the full demo."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from maturity.reporting.pdf import print_pdf

from .browser_support import browser_page, skip_reason
from .test_cli import run_cli

#: Skips a test that drives Chromium where it cannot run.
needs_browser = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
pytestmark = [pytest.mark.browser, needs_browser]

#: What a table cell of a finished report never shows.
PYTHON_VALUES = {"True", "False", "nan", "NaN", "None"}


def demo_pages(out):
    """The demo's HTML deliverables under ``out``: the analysis, then each client report."""
    pages = [out / "analysis" / "benchmark_analysis.html", *sorted((out / "clients").glob("*/report.html"))]
    assert all(p.is_file() for p in pages)
    return pages


def _demo(out, *options):
    result = run_cli("demo", "--out", str(out), *options)
    assert result.returncode == 0, result.stderr
    return demo_pages(out)


def check_offline(pages) -> None:
    """Load each page with every network request blocked; nothing may fail, every image has
    alt text, no table cell shows a Python value."""
    with browser_page() as page:
        asked: list[str] = []
        page.on("requestfailed", lambda request: asked.append(f"failed: {request.url}"))

        def only_local(route):
            if route.request.url.startswith(("file:", "data:")):
                route.continue_()
            else:
                asked.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        for path in pages:
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(200)  # module scripts would run after load
            assert asked == [], f"{path.name} asked the network for {asked}"
            images = page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('alt') || '')")
            assert images, path
            undescribed = [alt for alt in images if not alt.strip() or "No description" in alt]
            assert undescribed == [], f"{path}: images without alt text"
            assert all(alt.startswith("Chart: ") and len(alt) > 20 for alt in images)
            cells = page.eval_on_selector_all("td, th", "els => els.map(e => e.textContent.trim())")
            assert cells and not PYTHON_VALUES & set(cells), f"{path}: {PYTHON_VALUES & set(cells)}"


def check_pdf_pages(pages, folder) -> None:
    """Print each page; every printed page holds text besides its header and footer (a page
    with nothing else is a figure alone, its heading left on the page before)."""
    for path in pages:
        pdf = print_pdf(path, folder / f"{path.parent.name}.pdf", organisation="Org", title="Report")
        for number, page in enumerate(PdfReader(pdf).pages, start=1):
            lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
            body = [line for line in lines if line != "Org Report" and not re.fullmatch(r"Page \d+ of \d+", line)]
            assert body, f"{path.parent.name}: page {number} holds only a figure, away from its heading"


@pytest.mark.slow
def test_the_full_demo_deliverables(tmp_path):
    pages = _demo(tmp_path / "demo", "--workers", "2")  # 600 organisations, 5 client reports, as `make demo`
    check_offline(pages)
    check_pdf_pages(pages, tmp_path)
