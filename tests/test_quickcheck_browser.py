"""The quick check in a real browser: its web server + Debian's chromium driven by Playwright.

One server (collecting into a folder) serves the whole module. The tests that share
``answered`` run in file order on one page: answered and submitted, then the result read,
the peer group changed and the report downloaded.
"""

from __future__ import annotations

import io
import re
import socket

import pytest

from maturity.cli import main
from maturity.dashboard.quickcheck_server import QuickCheckServer, QuickCheckService
from maturity.data.store import BenchmarkStore

from .browser_support import CHROMIUM_ARGS, chromium_path, skip_reason
from .dashboard_support import build_two_wave_db, other_organisations
from .quickcheck_support import fill_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 800}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return build_two_wave_db(tmp_path_factory.mktemp("qcb") / "bench.duckdb", n_orgs=240)


@pytest.fixture(scope="module")
def served(bench, tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = QuickCheckServer(QuickCheckService(bench[0], collect=folder), port=port).start()
    yield server.url, folder
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, url: str, viewport=LAPTOP, javascript: bool = True):
    page = browser.new_context(viewport=viewport, java_script_enabled=javascript).new_page()
    page.goto(url)
    page.wait_for_selector("form.qc-form")
    return page


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.fixture(scope="module")
def answered(browser, served):
    page = _open(browser, served[0], javascript=False)  # plain HTML: it works without script
    fill_in_browser(page, "Browser Learning Ltd")
    page.click(".qc-page-barriers label:has-text('None of these')")
    page.click("button[type=submit]")
    page.wait_for_selector(".qc-result .qc-index")
    yield page
    page.context.close()


def test_submitting_shows_the_index_band_priorities_and_findings(answered):
    page = answered
    card = page.locator(".qc-result .qc-index")
    assert 0 <= float(card.get_attribute("data-index")) <= 100
    assert re.search(r"\d+(st|nd|rd|th) percentile", card.text_content())
    assert "published band" in card.text_content()
    strands = page.locator(".qc-result table.qc-strands tbody tr")
    assert strands.count() == 7
    assert page.locator(".qc-result .qc-priorities > ol > li").count() == 3
    assert "saved for the survey team as submission qc-" in page.text_content(".qc-result")
    assert "Traceback" not in page.content()
    assert _no_horizontal_scroll(page)


def test_changing_the_peer_group_recomputes_the_result(answered, bench):
    page = answered
    labels = page.eval_on_selector_all("form.qc-peers select option", "os => os.map(o => o.textContent)")
    assert labels[0].startswith("All organisations") and any("includes you" in label for label in labels)
    before = page.text_content(".qc-result .qc-sub")
    mine = next(label for label in labels if "includes you" in label)
    page.select_option("form.qc-peers select", label=mine)
    page.click("form.qc-peers button")
    page.wait_for_function("b => document.querySelector('.qc-result .qc-sub').textContent !== b", arg=before)
    n = re.search(r"\(([\d,]+) organisations", mine).group(1)
    assert f"{n} organisations" in page.text_content(".qc-result .qc-sub")
    assert page.eval_on_selector("form.qc-peers select", "s => s.selectedOptions[0].textContent") == mine
    ids, names = other_organisations(bench[1], keep="")
    content = page.content()
    assert [x for x in names + ids if x in content] == []


def test_the_report_and_its_pdf_download(answered):
    page = answered
    with page.expect_download() as info:
        page.click("a[href='report.html']")
    download = info.value
    assert download.suggested_filename == "quick-check-browser-learning-ltd.html"
    document = open(download.path(), encoding="utf-8").read()
    assert "Where Browser Learning Ltd stands" in document and "<script" not in document
    pypdf = pytest.importorskip("pypdf")
    with page.expect_download(timeout=120_000) as info:
        page.click("form[action='report.pdf'] button")
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "Where Browser Learning Ltd stands" in text


def test_a_missing_answer_is_pointed_out_and_the_answers_kept_on_a_phone(browser, served):
    page = _open(browser, served[0], viewport=PHONE)
    try:
        page.fill(".qc-page-organisation input[type=text]", "Half Done")
        page.locator(".qc-page-strand fieldset.qc-q").first.locator("label").nth(3).click()
        page.click("button[type=submit]")
        page.wait_for_selector(".qc-problems")
        summary = page.text_content(".qc-problems")
        assert "Please choose your sector." in summary and "at least 4 of the 7 statements" in summary
        assert page.input_value(".qc-page-organisation input[type=text]") == "Half Done"
        first = page.locator(".qc-page-strand fieldset.qc-q").first
        assert first.locator("input:checked").count() == 1
        assert page.locator(".qc-missing").count() > 10
        assert _no_horizontal_scroll(page)
    finally:
        page.context.close()


def test_two_browsers_submitting_at_once_leave_two_importable_files(browser, served, tmp_path):
    url, folder = served
    before = set(folder.glob("qc-*.csv"))
    pages = [_open(browser, url), _open(browser, url)]
    try:
        for k, page in enumerate(pages):
            fill_in_browser(page, f"Concurrent {k}", shift=k + 1)
        for page in pages:  # both submits go out before either result is back
            page.click("button[type=submit]", no_wait_after=True)
        ids = []
        for page in pages:
            page.wait_for_selector(".qc-result .qc-index", timeout=60_000)
            ids.append(re.search(r"submission (qc-[0-9a-f-]+)", page.text_content(".qc-result")).group(1))
    finally:
        for page in pages:
            page.context.close()
    new = set(folder.glob("qc-*.csv")) - before
    assert sorted(p.stem for p in new) == sorted(ids) and len(set(ids)) == 2
    db = tmp_path / "collected.duckdb"
    assert main(["import", str(folder), "--wave", "QC", "--db", str(db)]) == 0
    with BenchmarkStore(db, read_only=True) as store:
        stored = store.responses("QC")
    assert set(ids) <= set(stored["respondent_id"])
    assert {"Concurrent 0", "Concurrent 1"} <= set(stored["name"])
