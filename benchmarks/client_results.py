"""Speed of a client's results: ``build_client_results`` on waves of growing size, and the
multinomial percentile bootstrap against explicit resampling of the peer group.

A batch builds one ``results.json`` per client, so this must stay a small share of a
report's time (goal: under 1 s per client for a wave of 5,000 organisations; the bootstrap
shortcut at least 10x faster than resampling, with the same interval to within 1 point).

    python benchmarks/client_results.py [--sizes 600,5000,50000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import best_of, report  # noqa: E402

import maturity  # noqa: E402
from maturity.benchmarking.client_parameters import ClientParameters  # noqa: E402
from maturity.benchmarking.client_results import build_client_results, client_from_wave  # noqa: E402
from maturity.benchmarking.peers import percentile_interval, percentile_rank  # noqa: E402
from maturity.data.population import BenchmarkData  # noqa: E402


def explicit_bootstrap(value: float, peers: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    """The textbook bootstrap: resample the peers, recompute the mid-rank percentile."""
    rng = np.random.default_rng(seed)
    boot = np.empty(n_boot)
    for start in range(0, n_boot, 100):  # in chunks, to keep memory small
        size = min(100, n_boot - start)
        samples = peers[rng.integers(0, peers.size, size=(size, peers.size))]
        below = (samples < value).sum(axis=1)
        ties = (samples == value).sum(axis=1)
        boot[start:start + size] = 100.0 * (below + 0.5 * ties) / peers.size
    low, high = np.quantile(boot, [0.025, 0.975])
    return float(low), float(high)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="600,5000,50000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ok = True
    fw = maturity.load_framework()
    for n in [int(s) for s in args.sizes.split(",")]:
        responses = maturity.generate_benchmark(n, seed=1).responses.set_index(fw.id_column)
        data = BenchmarkData.from_responses(responses, fw, wave="2026", source="synthetic")
        org = data.scores.index[n // 2]
        params = ClientParameters(client_id="bench", db=Path("unused"), organisation=org,
                                  peers={"size": (responses.loc[org, "size"],)}, compare_to="top_deck")
        client = client_from_wave(data, org)
        seconds = best_of(lambda: build_client_results(data, client, params), args.repeat)
        goal = 1.0 if n <= 5000 else 10.0
        ok &= report(f"build_client_results, wave of {n:,}", seconds, goal, " s")

        peers = data.scores["index"].dropna().round(6).to_numpy()
        value = float(np.round(data.scores.loc[org, "index"], 6))
        fast = best_of(lambda: percentile_interval(value, peers, n_boot=2000, seed=1), args.repeat)
        slow = best_of(lambda: explicit_bootstrap(value, peers, 2000, 1), 1)
        a, b = percentile_interval(value, peers, n_boot=2000, seed=1), explicit_bootstrap(value, peers, 2000, 1)
        print(f"  percentile {percentile_rank(value, peers).percentile:.1f}: multinomial interval "
              f"{a[0]:.1f}-{a[1]:.1f}, resampled {b[0]:.1f}-{b[1]:.1f}")
        ok &= report(f"  bootstrap speed-up over resampling ({n:,} peers)", slow / fast, 10, "x", lower_is_better=False)
        ok &= report("  largest interval difference", max(abs(a[0] - b[0]), abs(a[1] - b[1])), 1.0, " points")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
