"""Publishing a wave once: what it costs, what it keeps useful, and what it saves each client.

Prints, for a wave of ``--orgs`` organisations (default 5,000):

* publishing (plan, audit, coarsened distributions and their audit, stored): goal under
  30 s with ``combinations: [[sector, size]]`` (``--combinations``), under 60 s with all
  pairs of demographics (``--combinations all``); without combinations it is reported;
* usefulness: the share of single-demographic groups of at least twice the minimum size that
  keep their means as asked (goal >= 90%), and the percentile band a client reads for groups
  of 50 organisations or more (goal: at most 10 points; the median and 90th percentile of the
  widths over every released group and every organisation in it are printed);
* per-client cost: a client's results at ``--orgs`` against the same at 600 organisations
  (goal <= 1.5x: a client reads the published table and its own row, never the wave).

    python benchmarks/privacy.py [--orgs 5000] [--combinations none|sector-size|all]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import best_of, report  # noqa: E402

import maturity  # noqa: E402
from maturity.benchmarking.client_parameters import ClientParameters  # noqa: E402
from maturity.benchmarking.release_plan import PrivacySettings  # noqa: E402
from maturity.benchmarking.wave_models import save_publication, save_wave_segments  # noqa: E402
from maturity.clients.results import client_results  # noqa: E402
from maturity.data.store import BenchmarkStore  # noqa: E402
from maturity.published.placement import place  # noqa: E402


def build(folder: Path, n_orgs: int, settings: PrivacySettings) -> tuple[Path, float, dict, object]:
    fw = maturity.load_framework()
    bench = maturity.generate_benchmark(n_orgs, seed=11)
    db = folder / f"bench{n_orgs}.duckdb"
    with BenchmarkStore(db) as store:
        store.import_responses(bench.responses, fw, "2026")
        save_wave_segments(store, "2026")
        start = time.perf_counter()
        document, audit = save_publication(store, "2026", settings)
        seconds = time.perf_counter() - start
    return db, seconds, document, bench


def band_widths(document: dict, bench, fw) -> list[float]:
    """The band every organisation of every released group of 50 or more would read."""
    responses = fw.by_id(bench.responses)
    scores = maturity.score_responses(responses, fw)["index"]
    widths = []
    for g in document["groups"]:
        if not g["released"] or g["n"] < 50 or not g["scores"]["index"]["distribution"]:
            continue
        dist = g["scores"]["index"]["distribution"]
        mask = np.ones(len(responses), dtype=bool)
        for key, values in g["filters"].items():
            mask &= responses[key].isin(values).to_numpy()
        for value in scores[mask].dropna():
            widths.append(place(value, dist).width)
    return widths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=5000)
    parser.add_argument("--combinations", choices=["none", "sector-size", "all"], default="none")
    args = parser.parse_args()
    fw = maturity.load_framework()
    demographics = [d.id for d in fw.demographics]
    combos = {"none": [], "sector-size": [["sector", "size"]],
              "all": [list(c) for c in itertools.combinations(demographics, 2)]}[args.combinations]
    settings = PrivacySettings.from_mapping({"combinations": combos})
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        db, seconds, document, bench = build(Path(tmp), args.orgs, settings)
        released = [g for g in document["groups"] if g["released"]]
        print(f"wave of {args.orgs} organisations, combinations {combos or 'none'}: "
              f"{len(released)} groups published, fingerprint {document['fingerprint']}")
        goal = {"none": 30.0, "sector-size": 30.0, "all": 60.0}[args.combinations]
        ok &= report("publishing the wave (plan, audits, distributions, stored)", seconds, goal, " s")

        large = [v for v in document["values"] if v["n"] >= 2 * document["settings"]["min_group_size"]]
        share = float(np.mean([v["as_asked"] for v in large])) if large else 1.0
        ok &= report("single-demographic groups of 2x the minimum or more, means as asked", share, 0.90,
                     lower_is_better=False)
        widths = band_widths(document, bench, fw)
        if widths:
            print(f"percentile bands in groups of 50+: median {np.median(widths):.1f}, "
                  f"90th percentile {np.percentile(widths, 90):.1f}, widest {max(widths):.1f} points "
                  f"({100 * np.mean(np.array(widths) <= 10):.0f}% at most 10 points)")
            ok &= report("percentile band in groups of 50+ (median width)", float(np.median(widths)), 10.0, " points")

        org = str(bench.responses["respondent_id"].iloc[0])
        sector = str(bench.responses["sector"].iloc[0])
        big = best_of(lambda: client_results(ClientParameters(client_id="b", db=db, organisation=org,
                                                              peers={"sector": (sector,)})), repeat=3)
        small_db, _s, _d, small = build(Path(tmp), 600, PrivacySettings())
        org600 = str(small.responses["respondent_id"].iloc[0])
        base = best_of(lambda: client_results(ClientParameters(client_id="b", db=small_db, organisation=org600,
                                                               peers={"sector": (sector,)})), repeat=3)
        print(f"client results: {big:.3f} s at {args.orgs} organisations, {base:.3f} s at 600")
        ok &= report(f"client results at {args.orgs} against 600 organisations", big / base, 1.5, "x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
