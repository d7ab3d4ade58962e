"""Dashboard speed in a real browser (Voila + Debian's chromium via Playwright).

Builds a two-wave benchmark of 5,000 organisations, stores its segment model (as a
researcher does with `maturity segment --db`), starts `maturity dashboard` and measures:

* first full render: from opening the address to the widgets and the overview figure on
  screen (goal < 5 s);
* a change of selection: from choosing a peer filter (the select's change event) to the
  updated view with its redrawn figure, timed inside the page (goal < 0.5 s; median of
  several changes). The same interval seen from the test driver, which adds Playwright's
  own round trips, is printed too.

    python benchmarks/dashboard.py [--orgs 5000] [--changes 8]
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

import maturity  # noqa: E402
from maturity.benchmarking.wave_models import save_wave_segments  # noqa: E402
from maturity.dashboard.server import start_dashboard  # noqa: E402
from maturity.data.store import BenchmarkStore  # noqa: E402
from maturity.data.synthetic import generate_wave  # noqa: E402
from tests.browser_support import browser_page, skip_reason  # noqa: E402


# Timed inside the page, as a user sees it: from the select's change event to the moment
# the status reports the next finished update and the overview figure has been replaced.
_WATCH = """() => {
  window.__updated = null;
  const select = document.querySelector('.maturity-filter-sector select');
  const before = document.querySelector('.maturity-ready').dataset.updates;
  const src = document.querySelector('.maturity-view-overview img').src;
  let start = null;
  select.addEventListener('change', () => { start = performance.now(); }, {once: true, capture: true});
  const watcher = new MutationObserver(() => {
    const ready = document.querySelector('.maturity-ready');
    const img = document.querySelector('.maturity-view-overview img');
    if (start !== null && ready && ready.dataset.updates !== before && img && img.src !== src) {
      window.__updated = performance.now() - start;
      watcher.disconnect();
    }
  });
  watcher.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def build(path: Path, n: int) -> None:
    fw = maturity.load_framework()
    first = maturity.generate_benchmark(n, seed=11)
    later = generate_wave(first, seed=12)
    with BenchmarkStore(path) as store:
        store.import_responses(first.responses, fw, "2025")
        store.import_responses(later.responses, fw, "2026")
        save_wave_segments(store, "2026")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=8)
    args = parser.parse_args()
    reason = skip_reason()
    if reason:
        print(f"cannot measure: {reason}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        build(db, args.orgs)
        print(f"benchmark database: {args.orgs:,} organisations x 2 waves built in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        server = start_dashboard(db=db, quiet=True)
        print(f"server ready (pre-heated kernel built the page) in {time.perf_counter() - t0:.1f} s")
        try:
            with browser_page() as page:
                start = time.perf_counter()
                page.goto(server.url)
                page.wait_for_selector(".maturity-ready", timeout=120_000)
                page.wait_for_selector(".maturity-view-overview img", timeout=120_000)
                first_render = time.perf_counter() - start
                sectors = page.eval_on_selector_all(".maturity-filter-sector select option", "os => os.map(o => o.textContent)")
                in_page, outside = [], []
                for i in range(args.changes):
                    page.evaluate(_WATCH)
                    start = time.perf_counter()
                    page.select_option(".maturity-filter-sector select", label=sectors[i % len(sectors)])
                    page.wait_for_function("() => window.__updated !== null", timeout=30_000)
                    outside.append(time.perf_counter() - start)
                    in_page.append(page.evaluate("() => window.__updated") / 1000)
        finally:
            server.stop()
    change = statistics.median(in_page)
    print(f"selection changes, in the page (change event -> updated view): {', '.join(f'{t:.2f}' for t in in_page)} s")
    print(f"the same seen from the test driver (adds Playwright round trips): median {statistics.median(outside):.2f} s")
    ok = report("first full render", first_render, 5.0, " s")
    ok &= report("selection change (median)", change, 0.5, " s")
    print(f"ratios to goal: first render {first_render / 5.0:.2f}, change {change / 0.5:.2f} (<= 1 meets the goal)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
