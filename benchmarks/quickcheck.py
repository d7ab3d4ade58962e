"""Quick-check speed in a real browser (Voila + Debian's chromium via Playwright).

Builds the demo's benchmark database (two synthetic waves of 600 organisations, the later
one's segments, audited release plan and fairness verdicts stored with it, as `maturity
demo` does), starts `maturity quickcheck --collect`, and measures, inside the page as a
respondent sees it:

* opening: from the start of navigation to the first page interactive (the form and its
  Next button on screen and enabled; goal < 3 s);
* submitting: from the click on "See my results" to the result on screen (goal < 1 s for
  every one of several submissions: the respondent changes an answer and submits again;
  the first also builds the result's widgets);
* changing the peer group on the result (no goal; printed for information).

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
from _util import report  # noqa: E402

from maturity.benchmarking.release_plan import PrivacySettings  # noqa: E402
from maturity.benchmarking.wave_models import (  # noqa: E402
    save_publication,
    save_wave_invariance,
    save_wave_segments,
)
from maturity.dashboard.server import start_quickcheck  # noqa: E402
from maturity.data.store import BenchmarkStore  # noqa: E402
from maturity.data.synthetic import demo_waves  # noqa: E402
from maturity.demo.run import DEMO_WAVES  # noqa: E402
from maturity.framework import load_framework  # noqa: E402
from tests.browser_support import browser_page, skip_reason  # noqa: E402
from tests.quickcheck_support import fill_in_browser  # noqa: E402

# Installed before the page's own scripts: when the first page becomes interactive, in ms
# from the start of navigation.
_OPENED = """
window.__interactive = null;
new MutationObserver((_, observer) => {
  const next = document.querySelector('.maturity-qc-next');
  const name = document.querySelector('.maturity-qc-q-name input');
  if (next && name && !next.disabled && window.__interactive === null) {
    window.__interactive = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""

# From the click on the submit button to the result on screen (its index card shown).
_SUBMIT = """() => {
  window.__result = null;
  const button = document.querySelector('.maturity-qc-next');
  const before = document.querySelector('.maturity-qc-ready')?.dataset.updates ?? '0';
  let start = null;
  button.addEventListener('click', () => { start = performance.now(); }, {once: true, capture: true});
  const watcher = new MutationObserver(() => {
    const ready = document.querySelector('.maturity-qc-ready');
    const card = document.querySelector('.maturity-qc-result .qc-index');
    if (start !== null && ready && ready.dataset.updates !== before && card && card.offsetParent !== null) {
      window.__result = performance.now() - start;
      watcher.disconnect();
    }
  });
  watcher.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""

# From a change of peer group to the updated result.
_PEERS = """() => {
  window.__peers = null;
  const select = document.querySelector('.maturity-qc-peers select');
  const before = document.querySelector('.maturity-qc-ready').dataset.updates;
  let start = null;
  select.addEventListener('change', () => { start = performance.now(); }, {once: true, capture: true});
  const watcher = new MutationObserver(() => {
    const ready = document.querySelector('.maturity-qc-ready');
    if (start !== null && ready && ready.dataset.updates !== before) {
      window.__peers = performance.now() - start;
      watcher.disconnect();
    }
  });
  watcher.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def build_demo_database(path: Path, n: int, seed: int = 2026) -> None:
    """The database `maturity demo` builds: two waves; segments, release plan and fairness
    verdicts stored with the later one."""
    framework = load_framework()
    earlier, later = demo_waves(n, framework=framework, seed=seed)
    with BenchmarkStore(path) as store:
        for label, wave in zip(DEMO_WAVES, (earlier, later)):
            store.import_responses(wave.responses, framework, label)
        save_wave_segments(store, DEMO_WAVES[-1], random_state=seed)
        save_publication(store, DEMO_WAVES[-1], PrivacySettings())
        save_wave_invariance(store, DEMO_WAVES[-1])


def submit(page) -> float:
    """Submit (the page is on the last form page); seconds to the result, timed in the page."""
    page.evaluate(_SUBMIT)
    page.click(".maturity-qc-next")
    page.wait_for_function("() => window.__result !== null", timeout=60_000)
    return page.evaluate("() => window.__result") / 1000


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
        print(f"demo database: {args.orgs:,} organisations x 2 waves, segments and release plan, "
              f"built in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        server = start_quickcheck(db=db, collect=Path(tmp) / "submissions", quiet=True)
        print(f"server ready (pre-heated kernel built the page) in {time.perf_counter() - t0:.1f} s")
        try:
            with browser_page(1280, 800) as page:
                page.add_init_script(_OPENED)
                start = time.perf_counter()
                page.goto(server.url)
                page.wait_for_function("() => window.__interactive !== null", timeout=120_000)
                outside_open = time.perf_counter() - start
                opened = page.evaluate("() => window.__interactive") / 1000
                fill_in_browser(page, "Benchmark Learning Ltd")
                results = [submit(page)]
                for k in range(1, args.submissions):
                    # Change one answer and submit again (the respondent's own file is replaced).
                    page.click(".maturity-qc-edit")
                    page.wait_for_selector(".maturity-qc-progress >> text=About your organisation")
                    page.click(".maturity-qc-next")
                    page.wait_for_selector(".maturity-qc-progress >> text=Strand 1 of 6")
                    page.locator(".maturity-qc-page-strand .maturity-qc-q").first.locator("button").nth(k % 5).click()
                    while page.text_content(".maturity-qc-next").strip() != "See my results":
                        where = page.text_content(".maturity-qc-progress .qc-where")
                        page.click(".maturity-qc-next")
                        page.wait_for_function(
                            "b => document.querySelector('.maturity-qc-progress .qc-where').textContent !== b",
                            arg=where)
                    results.append(submit(page))
                labels = page.eval_on_selector_all(".maturity-qc-peers select option", "os => os.map(o => o.textContent)")
                peers = []
                for label in labels[1:4]:
                    page.evaluate(_PEERS)
                    page.select_option(".maturity-qc-peers select", label=label)
                    page.wait_for_function("() => window.__peers !== null", timeout=30_000)
                    peers.append(page.evaluate("() => window.__peers") / 1000)
        finally:
            server.stop()
    result = max(results)
    print(f"opening, seen from the test driver (adds Playwright's round trips): {outside_open:.2f} s")
    print(f"submissions, in the page (click -> result on screen): {', '.join(f'{t:.2f}' for t in results)} s")
    print(f"peer-group changes, in the page: {', '.join(f'{t:.2f}' for t in peers)} s")
    ok = report("page interactive after opening", opened, 3.0, " s")
    ok &= report("result after submitting (slowest)", result, 1.0, " s")
    print(f"median submission: {statistics.median(results):.2f} s")
    print(f"ratios to goal: opening {opened / 3.0:.2f}, result {result / 1.0:.2f} (<= 1 meets the goal)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
