"""Import speed: a 100,000-respondent survey file read, validated, scored and stored.

Writes a synthetic wave as CSV, then times each step of ``maturity import`` (read and
validate the file; store: validate again, score, insert in one transaction) and reading
the wave back. Goal: the whole import well under a minute (printed against 60 s).

    python benchmarks/ingest.py [--n 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import report  # noqa: E402

import maturity  # noqa: E402
from maturity.data.responses import read_responses  # noqa: E402
from maturity.data.store import BenchmarkStore  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()

    fw = maturity.load_framework()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "responses.csv"
        db_path = Path(tmp) / "benchmark.duckdb"
        maturity.generate_benchmark(args.n, framework=fw, seed=1).write(csv_path)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"{args.n:,} respondents x {len(fw.known_columns)} columns, {size_mb:.1f} MB CSV")

        start = time.perf_counter()
        responses, _ = read_responses(csv_path, fw)
        t_read = time.perf_counter() - start
        with BenchmarkStore(db_path) as store:
            start = time.perf_counter()
            result = store.import_responses(responses, fw, "2026", source=csv_path)
            t_store = time.perf_counter() - start
            start = time.perf_counter()
            again = store.import_responses(responses, fw, "2026", source=csv_path)
            t_again = time.perf_counter() - start
        with BenchmarkStore(db_path, read_only=True) as store:
            start = time.perf_counter()
            back = store.responses("2026")
            store.scores("2026")
            t_back = time.perf_counter() - start
        assert result.status == "imported" and again.status == "unchanged" and len(back) == args.n

    print(f"read + validate the file:        {t_read:6.2f} s")
    print(f"store (validate, score, insert): {t_store:6.2f} s")
    print(f"same file again (no change):     {t_again:6.2f} s")
    print(f"read the wave back:              {t_back:6.2f} s")
    ok = report(f"import of {args.n:,} respondents", t_read + t_store, 60.0, " s")
    print(f"ratio to the goal: {(t_read + t_store) / 60.0:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
