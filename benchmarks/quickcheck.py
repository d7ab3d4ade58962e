"""Quick-check speed in a real browser (its web server + Debian's chromium via Playwright).

Builds the demo's benchmark database (two synthetic waves of 600 organisations, the later
one's segments, published table and fairness verdicts stored with it, as `maturity demo`
does), starts `maturity quickcheck --collect`, and measures with the browser's own
navigation timing, as a respondent sees it:

* opening: from the start of navigation to the form interactive (goal < 3 s);
* submitting: from the click on "See my results" to the result page loaded, the post and
  its redirect included (goal < 1 s for every one of several submissions: the respondent
  changes an answer and submits again);
* changing the peer group on the result (no goal; printed for information).

For a crowd of respondents at once, see benchmarks/quickcheck_load.py.

    python benchmarks/quickcheck.py [--orgs 600] [--submissions 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _util import build_demo_database, report  # noqa: E402
from quickcheck_load import start_server  # noqa: E402

from tests.browser_support import browser_page, skip_reason  # noqa: E402
from tests.quickcheck_support import fill_in_browser  # noqa: E402

_NAVIGATION = "() => performance.getEntriesByType('navigation')[0].toJSON()"


def navigation(page) -> dict:
    """The navigation timing of the page now shown (ms from its start)."""
    page.wait_for_function("() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
    return page.evaluate(_NAVIGATION)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=600)
    parser.add_argument("--submissions", type=int, default=4)
    args = parser.parse_args()
    reason = skip_reason()
    if reason:
        print(f"cannot measure: {reason}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "benchmark.duckdb"
        t0 = time.perf_counter()
        build_demo_database(db, args.orgs)
        print(f"demo database: {args.orgs:,} organisations x 2 waves, published, built in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        proc, url = start_server(db, Path(tmp) / "submissions")
        print(f"server ready in {time.perf_counter() - t0:.1f} s")
        try:
            with browser_page(1280, 800) as page:
                page.goto(url)
                opened = navigation(page)["domInteractive"] / 1000
                results = []
                for k in range(args.submissions):
                    if k:
                        page.click("a[href='./']")  # change my answers: the form comes back filled in
                        page.wait_for_selector("form.qc-form")
                    fill_in_browser(page, "Benchmark Learning Ltd", shift=k)
                    page.click("button[type=submit]")
                    page.wait_for_selector(".qc-result .qc-index")
                    results.append(navigation(page)["loadEventEnd"] / 1000)
                labels = page.eval_on_selector_all("form.qc-peers select option", "os => os.map(o => o.textContent)")
                peers = []
                for label in labels[1:4]:
                    page.select_option("form.qc-peers select", label=label)
                    page.click("form.qc-peers button")
                    page.wait_for_selector(".qc-result .qc-index")
                    peers.append(navigation(page)["loadEventEnd"] / 1000)
        finally:
            proc.terminate()
            proc.wait(30)
    result = max(results)
    print(f"submissions (click -> result page loaded): {', '.join(f'{t:.3f}' for t in results)} s")
    print(f"peer-group changes: {', '.join(f'{t:.3f}' for t in peers)} s")
    ok = report("form interactive after opening", opened, 3.0, " s")
    ok &= report("result after submitting (slowest)", result, 1.0, " s")
    print(f"median submission: {statistics.median(results):.3f} s")
    print(f"ratios to goal: opening {opened / 3.0:.3f}, result {result / 1.0:.3f} (<= 1 meets the goal)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
