"""The quick check in a real browser: Voila + Debian's chromium driven by Playwright.

One server (collecting into a folder) serves the whole module. The tests that share
``answered`` run in file order on one page: answered, then moved back and forth, then
submitted.
"""

from __future__ import annotations

import base64
import io
import re

import pytest

from maturity.cli import main
from maturity.dashboard.server import start_quickcheck
from maturity.data.store import BenchmarkStore

from .browser_support import CHROMIUM_ARGS, chromium_path, skip_reason
from .dashboard_support import build_two_wave_db, other_organisations
from .quickcheck_support import fill_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]

LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return build_two_wave_db(tmp_path_factory.mktemp("qcb") / "bench.duckdb", n_orgs=240)


@pytest.fixture(scope="module")
def served(bench, tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    server = start_quickcheck(db=bench[0], collect=folder, quiet=True)
    yield server.url, folder
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, url: str, frames: list[str] | None = None):
    """A page in a browser context of its own (its own Voila kernel), recording every
    websocket frame the server sends when ``frames`` is given."""
    page = browser.new_context(viewport=LAPTOP).new_page()
    if frames is not None:
        def record(ws):
            ws.on("framereceived", lambda payload: frames.append(
                payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload))
        page.on("websocket", record)
    page.goto(url)
    page.wait_for_selector(".maturity-qc-next", timeout=90_000)
    return page


def _submit_and_wait(page) -> None:
    page.click(".maturity-qc-next")
    page.wait_for_selector(".maturity-qc-result .qc-index", timeout=60_000)


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("""() => Array.from(document.querySelectorAll('*')).every(e => {
        const style = getComputedStyle(e);
        return !(e.scrollWidth > e.clientWidth + 1 && ['auto', 'scroll'].includes(style.overflowX));
    }) && document.documentElement.scrollWidth <= document.documentElement.clientWidth""")


@pytest.fixture(scope="module")
def answered(browser, served):
    frames: list[str] = []
    page = _open(browser, served[0], frames)
    fill_in_browser(page, "Browser Learning Ltd")
    yield page, frames
    page.context.close()


def test_the_form_shows_where_you_are_and_keeps_answers_moving_back_and_forth(answered):
    page, _ = answered
    assert page.text_content(".maturity-qc-progress .qc-where") == "Barriers (optional)"
    assert _no_horizontal_scroll(page)
    page.click(".maturity-qc-back")
    page.wait_for_selector("text=Outcomes (optional)")
    page.click(".maturity-qc-back")
    page.wait_for_selector(".maturity-qc-progress >> text=Strand 6 of 6")
    assert _no_horizontal_scroll(page)  # the widest page: every statement's buttons fit a laptop screen
    questions = page.locator(".maturity-qc-page-strand .maturity-qc-q")
    chosen = [questions.nth(k).locator("button.mod-active").count() for k in range(questions.count())]
    assert chosen == [1] * questions.count()  # each statement still shows its answer
    page.click(".maturity-qc-back")
    page.click(".maturity-qc-back")
    page.click(".maturity-qc-back")
    page.wait_for_selector(".maturity-qc-progress >> text=Strand 3 of 6")
    page.click(".maturity-qc-next")
    page.click(".maturity-qc-next")
    page.click(".maturity-qc-next")
    page.click(".maturity-qc-next")
    page.wait_for_selector(".maturity-qc-progress >> text=Outcomes (optional)")
    page.click(".maturity-qc-next")
    page.wait_for_selector(".maturity-qc-progress >> text=Barriers (optional)")
    page.click(".maturity-qc-choice-barrier_time input")


def test_submitting_shows_the_index_percentile_priorities_and_findings(answered):
    page, _ = answered
    _submit_and_wait(page)
    card = page.locator(".maturity-qc-result .qc-index")
    index = float(card.get_attribute("data-index"))
    assert 0 <= index <= 100
    assert re.search(r"\d+(st|nd|rd|th) percentile", card.text_content())
    assert "published band" in card.text_content()
    strands = page.locator(".maturity-qc-result table.qc-strands tbody tr")
    assert strands.count() == 7  # the index and six strands, each with its percentile and interval
    assert all(re.search(r"\d+(st|nd|rd|th) to \d+(st|nd|rd|th)", strands.nth(k).text_content()) for k in range(7))
    priorities = page.locator(".maturity-qc-result .qc-priorities > ol > li")
    assert priorities.count() == 3
    assert page.locator(".maturity-qc-result .qc-priorities li li").count() >= 3  # their actions
    findings = page.locator(".maturity-qc-result .qc-findings li")
    assert findings.count() >= 3 and "Your maturity index is" in findings.first.text_content()
    assert "Your segment" in page.text_content(".maturity-qc-result")
    assert "saved for the survey team as submission qc-" in page.text_content(".maturity-qc-result")
    assert "Traceback" not in page.content()
    assert _no_horizontal_scroll(page)


def test_the_download_is_the_same_report_as_one_file(answered):
    page, _ = answered
    link = page.locator("a.maturity-qc-download").first
    assert link.get_attribute("download") == "quick-check-browser-learning-ltd.html"
    href = link.get_attribute("href")
    assert href.startswith("data:text/html;charset=utf-8;base64,")
    document = base64.b64decode(href.split(",", 1)[1]).decode("utf-8")
    index = page.get_attribute(".maturity-qc-result .qc-index", "data-index")
    assert f'data-index="{index}"' in document and "<script" not in document
    first_finding = page.text_content(".maturity-qc-result .qc-findings li")
    assert first_finding.replace("&", "&amp;") in document


def test_a_pdf_of_the_report_can_be_downloaded(answered):
    pypdf = pytest.importorskip("pypdf")
    page, _ = answered
    assert page.locator(".maturity-qc-pdf").is_visible()  # chromium is installed here
    page.click(".maturity-qc-pdf")
    link = page.wait_for_selector("a.maturity-qc-pdf-link", timeout=120_000)
    data = base64.b64decode(link.get_attribute("href").split(",", 1)[1])
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "Where Browser Learning Ltd stands" in text and "Maturity index" in text


def test_page_and_widget_state_name_no_other_organisation(answered, bench):
    page, frames = answered
    # Look at another peer group too, so its figures are sent as well.
    labels = page.eval_on_selector_all(".maturity-qc-peers select option", "os => os.map(o => o.textContent)")
    before = page.get_attribute(".maturity-qc-ready", "data-updates")
    page.select_option(".maturity-qc-peers select", label=labels[-1])
    page.wait_for_function("b => document.querySelector('.maturity-qc-ready')?.dataset.updates !== b",
                           arg=before, timeout=30_000)
    sent = "\n".join(frames)
    content = page.content()
    assert "Browser Learning Ltd" in sent and "Browser Learning Ltd" in content  # the scan sees what was sent
    ids, names = other_organisations(bench[1], keep="")
    assert [n for n in names if n in sent or n in content] == []
    assert [i for i in ids if i in sent or i in content] == []


def test_a_missing_answer_shows_a_message(browser, served):
    page = _open(browser, served[0])
    try:
        page.click(".maturity-qc-next")
        message = page.wait_for_selector(".maturity-qc-message .qc-problem")
        assert "Please give your organisation's name." in message.text_content()
        assert page.text_content(".maturity-qc-progress .qc-where") == "About your organisation"
        page.fill(".maturity-qc-q-name input", "Half Done")
        selects = page.locator(".maturity-qc-page-organisation select")
        for k in range(selects.count()):
            selects.nth(k).select_option(index=1)
        page.wait_for_selector(".maturity-qc-message .qc-problem", state="detached")
        page.click(".maturity-qc-next")
        page.wait_for_selector(".maturity-qc-progress >> text=Strand 1 of 6")
        questions = page.locator(".maturity-qc-page-strand .maturity-qc-q")
        for k in range(2):
            questions.nth(k).locator("button").nth(3).click()
        page.click(".maturity-qc-next")
        message = page.wait_for_selector(".maturity-qc-message .qc-problem")
        assert "at least 4 of the 7 statements" in message.text_content()
        assert page.text_content(".maturity-qc-progress .qc-where") == "Strand 1 of 6"
        assert page.locator(".maturity-qc-missing").count() == 5
        assert "Traceback" not in page.content()
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
            page.click(".maturity-qc-next", no_wait_after=True)
        ids = []
        for page in pages:
            page.wait_for_selector(".maturity-qc-result .qc-index", timeout=60_000)
            ids.append(re.search(r"submission (qc-[0-9a-f-]+)", page.text_content(".maturity-qc-result")).group(1))
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
