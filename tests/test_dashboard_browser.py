"""The dashboard in a real browser: Voila + Debian's chromium driven by Playwright."""

from __future__ import annotations

import pytest
import yaml

import maturity

from maturity.dashboard.server import start_dashboard

from .browser_support import browser_page, current_updates, peer_n, skip_reason, wait_ready
from .dashboard_support import build_two_wave_db, other_organisations

pytestmark = [pytest.mark.browser, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_two_wave_db(tmp_path_factory.mktemp("dashb") / "bench.duckdb")


@pytest.fixture(scope="module")
def researcher_url(db):
    path, _ = db
    server = start_dashboard(db=path, quiet=True)
    yield server.url
    server.stop()


def test_page_renders_and_a_filter_changes_peer_n_and_plot(researcher_url, db, tmp_path):
    _, later = db
    with browser_page() as page:
        page.goto(researcher_url)
        page.wait_for_selector(".maturity-peer-n", timeout=90_000)
        wait_ready(page, current_updates(page))
        assert page.locator(".maturity-wave select").count() == 1
        assert page.locator(".maturity-organisation select").count() == 1
        before_n = peer_n(page)
        assert before_n == maturity.score_responses(later.responses, later.framework)["index"].notna().sum()
        img = page.locator(".maturity-view-overview img").first
        img.wait_for(timeout=30_000)
        before_src = img.get_attribute("src")

        org = page.input_value(".maturity-organisation select")
        frame = later.responses.set_index("respondent_id")
        sector = frame.iloc[0]["sector"] if org not in frame.index else frame.loc[org, "sector"]
        updates = current_updates(page)
        page.select_option(".maturity-filter-sector select", label=sector)
        wait_ready(page, updates + 1)
        after_n = peer_n(page)
        assert after_n != before_n and after_n < before_n
        page.wait_for_function(
            "src => { const i = document.querySelector('.maturity-view-overview img'); return i && i.src !== src; }",
            arg=before_src, timeout=30_000,
        )
        page.screenshot(path=str(tmp_path / "researcher.png"), full_page=True)
        assert "Traceback" not in page.content()


def test_client_mode_shows_no_other_organisation(db, tmp_path):
    path, later = db
    org = later.responses["respondent_id"].iloc[5]
    client = tmp_path / "acme.yaml"
    client.write_text(yaml.safe_dump({"client_id": "acme", "organisation": org, "db": str(path)}), encoding="utf-8")
    server = start_dashboard(db=path, client=client, quiet=True)
    try:
        with browser_page() as page:
            page.goto(server.url)
            page.wait_for_selector(".maturity-peer-n", timeout=90_000)
            wait_ready(page, current_updates(page))
            assert page.locator(".maturity-organisation").count() == 0
            # Open every tab so every view is rendered, then read the whole page.
            tabs = page.locator(".lm-TabBar-tab, .p-TabBar-tab")
            for i in range(tabs.count()):
                updates = current_updates(page)
                tabs.nth(i).click()
                page.wait_for_timeout(300)
                wait_ready(page, updates)
            content = page.content()
            ids, names = other_organisations(later, keep=org)
            assert [x for x in names if x in content] == []
            assert [x for x in ids if x in content] == []
            own = later.responses.set_index("respondent_id").loc[org, "name"]
            assert own in content
            shot = tmp_path / "client.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
    finally:
        server.stop()
