"""The real batch path: benchmark database, ``maturity.benchmarking.client_results.client_results`` and the
packaged ``client_report.ipynb``, plus a copy of that template with a failing cell."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

import maturity
from maturity.batch.runner import run_batch
from maturity.data.store import BenchmarkStore
from maturity.demo.clients import pick_demo_clients, write_client_files
from maturity.reporting.notebooks import notebook_path

CONTRACT_5_KEYS = {"client_id", "organisation", "scores", "percentiles", "peers", "segment", "priorities",
                   "actions", "findings", "suppressed"}


@pytest.fixture(scope="module")
def real_batch(tmp_path_factory):
    template = notebook_path("client_report.ipynb")

    root = tmp_path_factory.mktemp("real")
    bench = maturity.generate_benchmark(150, seed=11)
    db = root / "benchmark.duckdb"
    with BenchmarkStore(db) as store:
        store.import_responses(bench.responses, bench.framework, "2026")
    clients = pick_demo_clients(bench.responses, bench.framework, 2)
    files = write_client_files(root / "parameters" / "clients", clients, db)
    result = run_batch(files, root / "out", workers=2, progress=False)
    all_ids = set(bench.responses[bench.framework.id_column].astype(str))
    return {"root": root, "result": result, "clients": clients, "files": files, "template": template,
            "all_ids": all_ids, "db": db}


def test_real_reports_are_finished_documents(real_batch):
    result = real_batch["result"]
    assert result.exit_code == 0, result.summary()
    out = result.out
    for client in real_batch["clients"]:
        folder = out / "clients" / client["client_id"]
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        assert CONTRACT_5_KEYS <= set(results)
        assert results["client_id"] == client["client_id"]
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert re.search(r"<img[^>]+src=\"data:image/svg\+xml;base64", html)  # vector figures
        for leak in ("Traceback", "import maturity", "results_path", "Warning:", "<th>0</th>"):
            assert leak not in html, leak


def test_real_reports_name_no_other_organisation(real_batch):
    out = real_batch["result"].out
    for client in real_batch["clients"]:
        folder = out / "clients" / client["client_id"]
        others = real_batch["all_ids"] - {client["organisation"]}
        for name in ("results.json", "report.html"):
            text = (folder / name).read_text(encoding="utf-8")
            found = {org for org in re.findall(r"ORG-\d{4}", text)} & others
            assert not found, (name, sorted(found)[:5])


def test_a_copy_of_the_report_with_a_failing_cell_fails_only_that_run(real_batch, tmp_path):
    nb = nbformat.read(real_batch["template"], as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('injected failure')"))
    broken = tmp_path / "broken_report.ipynb"
    nbformat.write(nb, broken)
    files = real_batch["files"]
    result = run_batch(files[:1], tmp_path / "out", notebook=broken, progress=False)
    row = result.clients[0]
    assert result.exit_code == 1 and row["status"] == "failed"
    assert "RuntimeError: injected failure" in row["error"]
    folder = tmp_path / "out" / "clients" / row["client_id"]
    partial = nbformat.read(folder / "report.ipynb", as_version=4)
    ran = [c for c in partial.cells if c.cell_type == "code" and c.get("outputs")]
    assert len(ran) > 2, "the cells before the failing one ran and kept their outputs"
    assert not (folder / "report.html").exists() and (folder / "results.json").is_file()


def test_rerun_skips_when_the_wave_is_unchanged(real_batch):
    files = real_batch["files"]
    again = run_batch(files, real_batch["result"].out, workers=2, progress=False)
    assert [r["status"] for r in again.clients] == ["skipped", "skipped"]
