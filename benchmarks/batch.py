"""Batch of client reports: the time per report and the speedup of 2 workers over 1 (goal >= 1.6x).

Runs the same clients (default 8) with ``--workers 1`` and ``--workers 2`` through
:func:`maturity.batch.runner.run_batch` (``force=True``, so every report is produced again) after a
warm-up batch, and prints the per-report time and the ratio of the two wall-clock times.

The reports are the real ones: the packaged ``client_report.ipynb`` on a benchmark database
of 600 organisations whose segmentation is saved once beforehand (as README advises).

    python benchmarks/batch.py [--clients 8] [--repeat 2]

Both timings are the best of ``--repeat`` runs, the ones least disturbed by other load on
the machine (the load average is printed as context).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import report  # noqa: E402

import maturity  # noqa: E402
from maturity.batch.runner import run_batch  # noqa: E402
from maturity.benchmarking.wave_models import save_wave_segments  # noqa: E402
from maturity.data.store import BenchmarkStore  # noqa: E402
from maturity.demo.clients import pick_demo_clients, write_client_files  # noqa: E402


def prepare(root: Path, n_clients: int) -> list[Path]:
    """A benchmark database and ``n_clients`` client parameters files."""
    bench = maturity.generate_benchmark(600, seed=2026)
    db = root / "benchmark.duckdb"
    clients = pick_demo_clients(bench.responses, bench.framework, n_clients)
    with BenchmarkStore(db) as store:
        store.import_responses(bench.responses, bench.framework, "2026")
        save_wave_segments(store, "2026")
    return write_client_files(root / "parameters" / "clients", clients, db)


def timed_batch(files: list[Path], out: Path, workers: int) -> float:
    started = time.perf_counter()
    result = run_batch(files, out, workers=workers, force=True, progress=False)
    seconds = time.perf_counter() - started
    if result.exit_code:
        raise SystemExit(result.summary())
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2, help="repeat both timings and keep the best (default 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="maturity-bench-") as tmp:
        root = Path(tmp)
        files = prepare(root, args.clients)
        print(f"{args.clients} client reports, {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f})")
        timed_batch(files[:2], root / "warm-up", 2)  # caches, compiled files
        one, two = [], []
        for _ in range(args.repeat):
            one.append(timed_batch(files, root / "out", 1))
            two.append(timed_batch(files, root / "out", 2))
        t1, t2 = min(one), min(two)
        print(f"1 worker:  {t1:.1f} s ({t1 / args.clients:.2f} s per report)")
        print(f"2 workers: {t2:.1f} s ({t2 / args.clients:.2f} s per report)")
        ok = report("speedup of 2 workers over 1", t1 / t2, 1.6, "x", lower_is_better=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
