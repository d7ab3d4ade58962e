"""Learner level: importing and aggregating 1,000,000 learner rows against bare DuckDB.

Builds a wave of organisations and a learner file (about 10,000 organisations, tens to
hundreds of learners each; agreement items written as labels, as survey tools export them),
then runs, each in a fresh process so that its peak memory can be read on its own:

* the baseline: DuckDB ``read_csv`` of the file plus a ``GROUP BY`` organisation counting
  every column (no validation, nothing stored);
* the kit: ``import_learners`` (validate in SQL, store in one transaction) plus the
  aggregation (:func:`~maturity.data.learner_tables.learner_organisation_summary` and
  :func:`~maturity.analysis.learners.learner_reliability`).

Goals: the kit within 3x the baseline's time; the kit's peak memory (resident set of its
process) under 5x the file's size. Prints both ratios.

    python benchmarks/learners.py [--n 1000000] [--orgs 10000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import report  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import maturity  # noqa: E402
from maturity.data.store import BenchmarkStore  # noqa: E402
from maturity.data.synthetic_learners import generate_learners  # noqa: E402
from maturity.framework import load_framework  # noqa: E402

# The child's own high-water mark (VmHWM belongs to the process image, so unlike
# getrusage's ru_maxrss it does not inherit the parent's peak across fork and exec).
PEAK = """
def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""

BASELINE = """
import duckdb, json, sys, time
{PEAK}
path = sys.argv[1]
start = time.perf_counter()
con = duckdb.connect()
columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_csv('{path}')").fetchall()]
counts = ", ".join(f'count("{c}")' for c in columns)
rows = con.execute(f"SELECT organisation_id, count(*), {counts} FROM read_csv('{path}') GROUP BY 1").fetchall()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "groups": len(rows), "peak_kb": peak_kb()}))
"""

KIT = """
import json, sys, time
{PEAK}
from maturity.analysis.learners import learner_reliability
from maturity.data.learner_tables import learner_framework, learner_organisation_summary
from maturity.data.learners import import_learners
from maturity.data.store import BenchmarkStore
from maturity.framework import load_framework
path, db = sys.argv[1], sys.argv[2]
framework = load_framework("learner-voice")
start = time.perf_counter()
with BenchmarkStore(db) as store:
    result = import_learners(store, path, "2026", framework)
    summary = learner_organisation_summary(store, "2026")
    table = learner_reliability(summary, learner_framework(store, "2026"))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "status": result.status, "learners": result.n_learners,
                  "measures": len(table), "peak_kb": peak_kb()}))
"""


def run_child(code: str, *args: str) -> tuple[dict, float]:
    """Run ``code`` in a fresh Python; return its JSON output and its peak resident set
    (bytes, as the child measured itself: interpreter and imports included)."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code).replace("{PEAK}", PEAK), *args], check=True,
                         capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result, result["peak_kb"] * 1024


def build_files(tmp: Path, n_learners: int, n_orgs: int) -> tuple[Path, Path]:
    """A database holding one wave of ``n_orgs`` organisations, and a learner file of about
    ``n_learners`` rows for it."""
    fw = maturity.load_framework()
    learner_fw = load_framework("learner-voice")
    db = tmp / "benchmark.duckdb"
    bench = maturity.generate_benchmark(n_orgs, framework=fw, seed=1)
    with BenchmarkStore(db) as store:
        store.import_responses(bench.responses, fw, "2026")
        maturity_index = store.scores("2026")["index"]
    per_org = max(2 * n_learners // n_orgs, 10)
    learners = generate_learners(maturity_index, learner_fw, min_learners=5, max_learners=per_org - 5,
                                 share_without=0.0, seed=2).head(n_learners)
    for item in learner_fw.items:  # agreement answers as their labels
        scale = learner_fw.scales[item.scale]
        if scale.id == "agree5":
            labels = np.array([scale.labels[float(v)] for v in range(1, 6)], dtype=object)
            learners[item.id] = labels[learners[item.id].to_numpy() - 1]
    path = tmp / "learners.csv"
    learners.to_csv(path, index=False)
    return path, db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="learner rows")
    parser.add_argument("--orgs", type=int, default=10_000, help="organisations in the wave")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best time, largest peak)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        start = time.perf_counter()
        path, db = build_files(tmp, args.n, args.orgs)
        size = path.stat().st_size
        rows = sum(1 for _ in open(path, "rb")) - 1
        print(f"{rows:,} learners of {args.orgs:,} organisations, {size / 1e6:.0f} MB CSV "
              f"(built in {time.perf_counter() - start:.0f} s)")
        base_runs, kit_runs = [], []
        for _ in range(args.repeat):  # alternate, and keep each one's best (the machine is shared)
            base_runs.append(run_child(BASELINE, str(path)))
            fresh = tmp / "run.duckdb"
            shutil.copyfile(db, fresh)
            kit_runs.append(run_child(KIT, str(path), str(fresh)))
            fresh.unlink()
        assert all(k["status"] == "imported" and k["learners"] == rows for k, _ in kit_runs), kit_runs
        base = min((r for r, _ in base_runs), key=lambda r: r["seconds"])
        kit = min((r for r, _ in kit_runs), key=lambda r: r["seconds"])
        base_peak = max(p for _, p in base_runs)
        kit_peak = max(p for _, p in kit_runs)
    print(f"bare DuckDB read_csv + GROUP BY:     {base['seconds']:6.2f} s, peak {base_peak / 1e6:7.0f} MB")
    print(f"kit import + aggregate:              {kit['seconds']:6.2f} s, peak {kit_peak / 1e6:7.0f} MB")
    ok = report("time ratio (kit / DuckDB)", kit["seconds"] / base["seconds"], 3.0, "x")
    ok &= report("peak memory / file size", kit_peak / size, 5.0, "x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
