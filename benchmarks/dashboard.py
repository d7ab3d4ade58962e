"""Dashboard speed in a real browser (Voila + Debian's chromium via Playwright).

Builds a two-wave benchmark of 5,000 organisations, stores its segment model (as a
researcher does with `maturity segment --db`), starts `maturity dashboard` and measures:

* first full render: from opening the address to the widgets and the overview figure on
  screen (goal < 5 s);
* a change of selection: from choosing a peer filter to the updated peer count and
  redrawn figure (goal < 0.5 s; median of several changes).

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
from maturity.segments import SegmentModel, save_segments  # noqa: E402
from maturity.serve import start_dashboard  # noqa: E402
from maturity.store import BenchmarkStore  # noqa: E402
from maturity.synth import generate_wave  # noqa: E402
from tests.browser_support import browser_page, current_updates, skip_reason, wait_ready  # noqa: E402


def build(path: Path, n: int) -> None:
    fw = maturity.load_framework()
    first = maturity.generate_benchmark(n, seed=11)
    later = generate_wave(first, seed=12)
    with BenchmarkStore(path) as store:
        store.import_responses(first.responses, fw, "2025")
        store.import_responses(later.responses, fw, "2026")
        scores = store.scores("2026")
        save_segments(store, "2026", SegmentModel(random_state=0).fit(scores[fw.strand_ids]))


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
                times = []
                for i in range(args.changes):
                    updates = current_updates(page)
                    src = page.get_attribute(".maturity-view-overview img", "src")
                    start = time.perf_counter()
                    page.select_option(".maturity-filter-sector select", label=sectors[i % len(sectors)])
                    wait_ready(page, updates + 1)
                    page.wait_for_function(
                        "s => { const i = document.querySelector('.maturity-view-overview img'); return i && i.src !== s; }",
                        arg=src, timeout=30_000,
                    )
                    times.append(time.perf_counter() - start)
        finally:
            server.stop()
    change = statistics.median(times)
    print(f"selection changes: {', '.join(f'{t:.2f}' for t in times)} s")
    ok = report("first full render", first_render, 5.0, " s")
    ok &= report("selection change (median)", change, 0.5, " s")
    print(f"ratios to goal: first render {first_render / 5.0:.2f}, change {change / 0.5:.2f} (<= 1 meets the goal)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
