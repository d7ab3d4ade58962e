"""Programme evaluation speed: 5,000 participants, bootstrap intervals included.

Writes a synthetic programme of 5,000 trained learners and 5,000 comparison units (all four
levels, two KPIs clustered by team, stories) and times `evaluate(plan)`: reading and
checking every file, the four levels, the difference-in-differences, 2,000 bootstrap
resamples of the NPS, g_av, normalised gain and the money, the chain of evidence and the
success cases. Goal: under 20 s. The report notebook is not included (it only renders
`evaluation.json`).

    python benchmarks/evaluation.py [--learners 5000] [--bootstrap 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import best_of, report  # noqa: E402

from maturity.evaluation import evaluate, load_plan  # noqa: E402
from maturity.evaluation.synthetic import write_synthetic_programme  # noqa: E402

GOAL_SECONDS = 20.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        programme = write_synthetic_programme(folder, n_learners=args.learners, bootstrap=args.bootstrap)
        print(f"wrote a programme of {args.learners} learners in {time.perf_counter() - started:.1f} s")
        plan = load_plan(programme.plan)
        seconds = best_of(lambda: evaluate(plan), repeat=args.repeat)
        ev = evaluate(plan)
    print(f"verdict: {ev['answer']['verdict']} ({ev['design']['isolation']})")
    print(f"ratio to the goal: {seconds / GOAL_SECONDS:.2f} (1.00 = at the {GOAL_SECONDS:.0f} s goal)")
    ok = report(f"evaluate {args.learners} participants with {args.bootstrap} bootstrap resamples", seconds,
                GOAL_SECONDS, " s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
