"""Per-client cost of results once the wave is published: it must not grow with the wave.

A client's results read the wave's published table and the client's own row, nothing else of
the wave. This script publishes waves of growing size once (timed, reported), then times
``client_results`` for one client of each and prints the ratio of each to the 600-organisation
wave (goal: at most 1.5x at 100,000 organisations). The published table's size is printed too.

    python benchmarks/client_results.py [--sizes 600,10000,100000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import best_of, report  # noqa: E402

import maturity  # noqa: E402
from maturity.benchmarking.client_parameters import ClientParameters  # noqa: E402
from maturity.benchmarking.wave_models import save_publication, save_wave_segments  # noqa: E402
from maturity.clients.results import client_results  # noqa: E402
from maturity.data.store import BenchmarkStore  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="600,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    fw = maturity.load_framework()
    sizes = [int(s) for s in args.sizes.split(",")]
    ok, times = True, {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            bench = maturity.generate_benchmark(n, seed=1)
            db = Path(tmp) / f"w{n}.duckdb"
            with BenchmarkStore(db) as store:
                store.import_responses(bench.responses, fw, "2026")
                save_wave_segments(store, "2026")
                start = time.perf_counter()
                document, _audit = save_publication(store, "2026")
                published = time.perf_counter() - start
            org = str(bench.responses["respondent_id"].iloc[n // 2])
            params = ClientParameters(client_id="bench", db=db, organisation=org,
                                      peers={"size": (str(bench.responses["size"].iloc[n // 2]),)}, compare_to="top_deck")
            client_results(params)  # first call: imports and caches, not the steady state of a batch
            times[n] = best_of(lambda: client_results(params), args.repeat)
            print(f"wave of {n:,}: published once in {published:.1f} s ({len(json.dumps(document)) / 1e3:.0f} kB); "
                  f"client results {times[n]:.3f} s")
    base = times[sizes[0]]
    for n in sizes[1:]:
        ok &= report(f"client results at {n:,} against {sizes[0]:,} organisations", times[n] / base, 1.5, "x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
