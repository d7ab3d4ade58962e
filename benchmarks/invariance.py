"""Measurement-invariance speed: the full sequence on a large benchmark.

Times ``framework_invariance`` (configural, metric, scalar, strict and equal means, each a
multi-group factor model with one factor per strand, fitted by full-information ML on every
respondent) for 6 strands, 43 items, 5 groups and 5,000 organisations (about 3% blank
answers, so most respondents have a blank somewhere). Goal: < 30 s per sequence. Two
populations: as generated (every step holds), and with three items (one in each of three
strands) moved up two scale points in one group, so that scalar invariance fails and the
partial-invariance search (score tests, refits) runs too.

    python benchmarks/invariance.py [--n 5000] [--groups 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import best_of, report  # noqa: E402

import maturity  # noqa: E402
from maturity.analysis.invariance import framework_invariance  # noqa: E402

GOAL_SECONDS = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000)
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    bench = maturity.generate_benchmark(args.n, seed=14)
    fw = bench.framework
    responses = bench.responses.copy()
    rng = np.random.default_rng(14)
    responses["cohort"] = rng.choice([f"cohort {g + 1}" for g in range(args.groups)], size=len(responses))
    blanks = responses[fw.item_ids].isna().any(axis=1).mean()
    print(f"generated {args.n:,} organisations x {len(fw.items)} items in {time.perf_counter() - started:.1f} s "
          f"({blanks:.0%} with at least one blank answer), {args.groups} groups")

    shifted = responses.copy()
    rows = shifted["cohort"] == "cohort 1"
    moved = [strand.items[1] for strand in fw.strands[:3]]
    for item in moved:
        scale = fw.scales[item.scale]
        shifted.loc[rows, item.id] = (shifted.loc[rows, item.id] + 2).clip(upper=scale.max)
    label = f"{', '.join(i.id for i in moved)} shifted in cohort 1"

    ok = True
    for label, frame in (("as generated", responses), (label, shifted)):
        print(f"\n== full sequence, {label}")
        results = []
        seconds = best_of(lambda: results.append(framework_invariance(frame, fw, "cohort")), args.repeat)
        result = results[-1]
        for name, model in result.models.items():
            print(f"  {name:<16} chi2 {model['chi2']:10.2f}  dof {model['dof']:5d}  CFI {model['cfi']:.4f}  "
                  f"RMSEA {model['rmsea']:.4f}  parameters {model['n_parameters']}")
        print(f"  steps: {result.steps}; freed: {result.freed or 'none'}")
        print(f"  verdict: {result.verdict}")
        ok &= report(f"invariance sequence ({label})", seconds, GOAL_SECONDS, " s")
        print(f"  ratio to the {GOAL_SECONDS:.0f} s goal: {seconds / GOAL_SECONDS:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
