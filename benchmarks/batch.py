"""Batch of client reports: the time per report and the speedup of 2 workers over 1 (goal >= 1.6x).

Runs the same clients (default 8) with ``--workers 1`` and ``--workers 2`` through
:func:`maturity.batch.run_batch` (``force=True``, so every report is produced again) after a
warm-up batch, and prints the per-report time and the ratio of the two wall-clock times.

When the kit has its results step (maturity.benchmark) and the packaged client report, the
real reports are measured, from a benchmark database of 600 organisations.
Otherwise a stand-in template does comparable work (load and score a 600-organisation
benchmark, draw two figures) and the script says so.

    python benchmarks/batch.py [--clients 8] [--repeat 2]

Both timings are the best of ``--repeat`` runs, the ones least disturbed by other load on
the machine (the load average is printed as context).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
from _util import report  # noqa: E402

import maturity  # noqa: E402
from maturity.batch import run_batch  # noqa: E402
from maturity.demo_clients import pick_demo_clients, write_client_files  # noqa: E402
from maturity.store import BenchmarkStore  # noqa: E402

STAND_IN_RESULTS = '''
def results(params, *, store=None):
    return {"client_id": params.client_id, "organisation": params.organisation}
'''


def stand_in_template(path: Path) -> Path:
    """A report-like notebook: import the kit, build a 600-organisation wave, score, plot."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("client_id = None\norganisation = None\nresults_path = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import maturity\nfrom maturity import plots\n"
            "bench = maturity.generate_benchmark(600, seed=2026)\n"
            "scores = maturity.score_responses(bench.responses.set_index('respondent_id'), bench.framework)"),
        nbformat.v4.new_code_cell("plots.index_distribution(scores, highlight=float(scores['index'].iloc[0]));"),
        nbformat.v4.new_code_cell(
            "plots.strand_profile(scores, bench.framework, markers={'You': scores.iloc[0].to_dict()});"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def real_path_available() -> bool:
    from maturity.errors import ReportError
    from maturity.notebooks import notebook_path

    if importlib.util.find_spec("maturity.benchmark") is None:
        return False
    try:
        notebook_path("client_report.ipynb")
    except ReportError:
        return False
    return True


def prepare(root: Path, n_clients: int) -> dict:
    """Client files (and database) for ``n_clients`` reports."""
    bench = maturity.generate_benchmark(600, seed=2026)
    db = root / "benchmark.duckdb"
    clients = pick_demo_clients(bench.responses, bench.framework, n_clients)
    with BenchmarkStore(db) as store:
        store.import_responses(bench.responses, bench.framework, "2026")
    if real_path_available():
        setup = {"notebook": None, "results_function": None, "label": "packaged client_report.ipynb"}
    else:
        (root / "bench_stand_in.py").write_text(STAND_IN_RESULTS, encoding="utf-8")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
        setup = {"notebook": stand_in_template(root / "stand_in.ipynb"),
                 "results_function": "bench_stand_in:results",
                 "label": "stand-in template (maturity.benchmark or client_report.ipynb not available)"}
    setup["files"] = write_client_files(root / "parameters" / "clients", clients, db)
    return setup


def timed_batch(setup: dict, out: Path, workers: int, files=None) -> float:
    started = time.perf_counter()
    result = run_batch(files or setup["files"], out, workers=workers, notebook=setup["notebook"], force=True,
                       results_function=setup["results_function"], progress=False)
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
        setup = prepare(root, args.clients)
        print(f"{args.clients} client reports, {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}); "
              f"template: {setup['label']}")
        timed_batch(setup, root / "warm-up", 2, files=setup["files"][:2])  # caches, compiled files
        one, two = [], []
        for _ in range(args.repeat):
            one.append(timed_batch(setup, root / "out", 1))
            two.append(timed_batch(setup, root / "out", 2))
        t1, t2 = min(one), min(two)
        print(f"1 worker:  {t1:.1f} s ({t1 / args.clients:.2f} s per report)")
        print(f"2 workers: {t2:.1f} s ({t2 / args.clients:.2f} s per report)")
        ok = report("speedup of 2 workers over 1", t1 / t2, 1.6, "x", lower_is_better=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
