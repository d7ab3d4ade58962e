"""Batch of client reports: time per report against a trivial papermill run, and the speedup of
2 workers over 1.

Goals: a report in a 1-worker batch takes at most 2.5 times as long as
``papermill.execute_notebook`` takes for a trivial two-cell notebook on the same machine, and
a 2-worker batch is at least 1.7 times as fast as a 1-worker batch. Both ratios come from
the same run.

Runs the same clients (default 8) with ``--workers 1`` and ``--workers 2`` through
:func:`maturity.batch.runner.run_batch` (``force=True``, so every report is produced again)
after a warm-up batch, and times the trivial notebook between them. The reports are the
real ones: the packaged ``client_report.ipynb`` on a benchmark database of 600 organisations
whose segmentation and release plan are stored beforehand, as a consultancy prepares a wave
before its batch (``maturity segment --db``, ``maturity privacy plan``; ``maturity demo``
does both).

    python benchmarks/batch.py [--clients 8] [--repeat 3]

Every timing is the best of ``--repeat`` runs, the ones least disturbed by other load on the
machine (the load average is printed as context). The mean seconds per step of a report
(results, notebook, html: recorded in the batch's manifest) are printed for the best
1-worker batch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import report  # noqa: E402

import maturity  # noqa: E402
from maturity.batch.runner import run_batch  # noqa: E402
from maturity.benchmarking.wave_models import save_publication, save_wave_segments  # noqa: E402
from maturity.data.store import BenchmarkStore  # noqa: E402
from maturity.demo.clients import pick_demo_clients, write_client_files  # noqa: E402


def prepare(root: Path, n_clients: int) -> list[Path]:
    """A benchmark database (segmentation and release plan stored) and ``n_clients`` client files."""
    bench = maturity.generate_benchmark(600, seed=2026)
    db = root / "benchmark.duckdb"
    clients = pick_demo_clients(bench.responses, bench.framework, n_clients)
    with BenchmarkStore(db) as store:
        store.import_responses(bench.responses, bench.framework, "2026")
        save_wave_segments(store, "2026")
        save_publication(store, "2026")
    return write_client_files(root / "parameters" / "clients", clients, db)


def trivial_notebook(path: Path) -> Path:
    """A two-cell notebook: a parameters cell and a cell that prints it."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("x = 1")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell("print(x)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def timed_trivial(notebook: Path, out: Path) -> float:
    import papermill

    started = time.perf_counter()
    papermill.execute_notebook(str(notebook), str(out), parameters={"x": 2}, kernel_name="python3",
                               progress_bar=False)
    return time.perf_counter() - started


def timed_batch(files: list[Path], out: Path, workers: int) -> tuple[float, dict]:
    started = time.perf_counter()
    result = run_batch(files, out, workers=workers, force=True, progress=False)
    seconds = time.perf_counter() - started
    if result.exit_code:
        raise SystemExit(result.summary())
    return seconds, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def mean_steps(manifest: dict) -> dict[str, float]:
    rows = [row for row in manifest["clients"] if row.get("steps")]
    names = sorted({name for row in rows for name in row["steps"]}, key=["results", "notebook", "html", "pdf"].index)
    steps = {name: sum(row["steps"].get(name, 0.0) for row in rows) / len(rows) for name in names}
    steps["worker (whole client)"] = sum(row["seconds"] for row in rows) / len(rows)
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="repeat every timing and keep the best (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="maturity-bench-") as tmp:
        root = Path(tmp)
        files = prepare(root, args.clients)
        notebook = trivial_notebook(root / "trivial.ipynb")
        print(f"{args.clients} client reports, {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f})")
        timed_batch(files[:2], root / "warm-up", 2)  # the warm parent, caches, compiled files
        timed_trivial(notebook, root / "trivial-out.ipynb")  # papermill's own first-run costs
        one, two, trivial = [], [], []
        for _ in range(args.repeat):
            one.append(timed_batch(files, root / "out", 1))
            trivial.append(timed_trivial(notebook, root / "trivial-out.ipynb"))
            two.append(timed_batch(files, root / "out", 2))
            trivial.append(timed_trivial(notebook, root / "trivial-out.ipynb"))
        (t1, manifest), (t2, _) = min(one, key=lambda x: x[0]), min(two, key=lambda x: x[0])
        base = min(trivial)
        per_report = t1 / args.clients
        print(f"trivial two-cell notebook (papermill.execute_notebook): {base:.2f} s")
        print(f"1 worker:  {t1:.1f} s ({per_report:.2f} s per report)")
        print(f"2 workers: {t2:.1f} s ({t2 / args.clients:.2f} s per report)")
        print("per report, 1 worker, mean seconds: "
              + ", ".join(f"{name} {value:.2f}" for name, value in mean_steps(manifest).items()))
        ok_time = report("report time / trivial notebook time (1 worker)", per_report / base, 2.5, "x")
        ok_speedup = report("speedup of 2 workers over 1", t1 / t2, 1.7, "x", lower_is_better=False)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0 if ok_time and ok_speedup else 1


if __name__ == "__main__":
    sys.exit(main())
