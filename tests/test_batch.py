"""Batch runs of client reports: fault isolation, manifest, exit codes, resume, interrupt, Dask.

Each fault of issue 6 point 3 is injected for one client of a batch (a template whose cells
raise or kill the kernel for some client ids, bad parameters files, ...) and the tests check
that only that client fails, with its cause, its partial notebook kept, and nothing written
outside the output folder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from maturity.batch.client_task import client_folder
from maturity.batch.runner import (
    collect_parameter_files,
    outputs_up_to_date,
    plan_batch,
    run_batch,
    run_report,
)
from maturity.errors import ParametersError, ReportError

from .batch_support import (
    RESULTS_FUNCTION,
    SLEEP_ENV,
    fault_template,
    make_database,
    write_client,
)
from .conftest import REPO


@pytest.fixture(autouse=True)
def _workers_can_import_tests(monkeypatch):
    """Worker processes import tests.batch_support (the stand-in results function)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return make_database(tmp_path_factory.mktemp("db") / "benchmark.duckdb")


def snapshot(root: Path, exclude: Path) -> dict[str, float]:
    """Every file under ``root`` (outside ``exclude``) with its modification time."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime
        for p in root.rglob("*") if p.is_file() and not p.is_relative_to(exclude)
    }


def _pythonpath() -> str:
    """The repository (for ``tests.batch_support``) plus whatever the caller put first."""
    return os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))


def run_support_cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """``maturity`` with the stand-in results step, in a subprocess (real exit code and streams)."""
    full_env = {**os.environ, "PYTHONPATH": _pythonpath(), **(env or {})}
    return subprocess.run([sys.executable, "-m", "tests.batch_support", *args],
                          capture_output=True, text=True, env=full_env, cwd=REPO, **kwargs)


# --------------------------------------------------------------------------- the fault batch

@pytest.fixture(scope="module")
def fault_batch(tmp_path_factory, database):
    """One batch with two good clients and one client per fault, run through the CLI."""
    db, orgs = database
    root = tmp_path_factory.mktemp("faults")
    template = fault_template(root / "template.ipynb")
    clients = root / "parameters"
    clients.mkdir()
    db_rel = os.path.relpath(db, clients)
    write_client(clients, "good-a", organisation=orgs[0], db=db_rel, peers={"sector": ["Finance"]})
    write_client(clients, "good-b", organisation=orgs[1], db=db_rel)
    write_client(clients, "raises-1", organisation=orgs[2], db=db_rel)
    write_client(clients, "dies-1", organisation=orgs[3], db=db_rel)
    write_client(clients, "crash-1", organisation=orgs[8], db=db_rel)
    write_client(clients, "unknown-org", organisation="ORG-9999", db=db_rel)
    write_client(clients, "bad-peers", organisation=orgs[9], db=db_rel, peers={"sectr": ["Finance"]})
    (clients / "malformed.yaml").write_text("client_id: broken\norganisation: [ORG-0001\n", encoding="utf-8")
    (clients / "escape.yaml").write_text(f"client_id: ../../outside\norganisation: {orgs[4]}\ndb: {db_rel}\n",
                                         encoding="utf-8")
    write_client(clients, "twin-1", client_id="twin", organisation=orgs[5], db=db_rel)
    write_client(clients, "twin-2", client_id="twin", organisation=orgs[6], db=db_rel)
    write_client(clients, "nodb", organisation=orgs[7], db="no-such.duckdb")
    out = root / "out"
    before = snapshot(root, out)
    # A global MPLBACKEND=Agg (usual on servers) must not cost the reports their figures.
    result = run_support_cli("batch", str(clients), "--out", str(out), "--notebook", str(template),
                             "--workers", "2", env={"MPLBACKEND": "Agg"}, timeout=600)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = {Path(r["parameters"]).stem: r for r in manifest["clients"]}
    return {"root": root, "out": out, "result": result, "manifest": manifest, "rows": rows,
            "before": before, "template": template, "clients": clients}


def test_batch_exit_code_and_one_line_per_failure(fault_batch):
    result = fault_batch["result"]
    assert result.returncode == 1, result.stderr
    failures = [ln for ln in result.stderr.splitlines() if ln.startswith("failed: ")]
    assert len(failures) == 10, result.stderr
    assert "Traceback" not in result.stderr
    text = "\n".join(failures)
    assert "failed: raises-1: notebook template.ipynb failed in cell" in text and "ValueError: a figure" in text
    assert "failed: dies-1: " in text and "Kernel died" in text
    assert "failed: malformed: " in text and "not valid YAML" in text
    assert "failed: escape: " in text and "not a safe name" in text
    assert text.count("client_id 'twin' is also used by") == 2
    assert "failed: nodb: " in text and "no-such.duckdb not found" in text
    assert "failed: crash-1: worker process exited with code 7: about to crash" in text
    assert "failed: unknown-org: " in text and "organisation 'ORG-9999' is not in wave 2026" in text
    assert "failed: bad-peers: " in text and "'sectr' is not a demographic" in text
    assert "12 client report(s)" in result.stdout and "2 ok, 10 failed, 0 skipped" in result.stdout


def test_manifest_records_every_client(fault_batch):
    manifest, rows = fault_batch["manifest"], fault_batch["rows"]
    status = {stem: row["status"] for stem, row in rows.items()}
    assert status == {
        "good-a": "ok", "good-b": "ok", "raises-1": "failed", "dies-1": "failed", "malformed": "failed",
        "escape": "failed", "twin-1": "failed", "twin-2": "failed", "nodb": "failed", "crash-1": "failed",
        "unknown-org": "failed", "bad-peers": "failed",
    }
    assert manifest["counts"] == {"ok": 2, "failed": 10, "skipped": 0, "pending": 0}
    assert manifest["run"]["workers"] == 2 and manifest["run"]["interrupted"] is False
    good = rows["good-a"]
    assert good["client_id"] == "good-a" and good["error"] is None and good["seconds"] > 0
    assert good["report_html"] == "clients/good-a/report.html"
    assert good["results_json"] == "clients/good-a/results.json"
    for stem in ("raises-1", "dies-1"):
        assert rows[stem]["report_html"] is None and rows[stem]["report_ipynb"] == f"clients/{stem}/report.ipynb"
    assert rows["malformed"]["client_id"] == "malformed" and rows["malformed"]["report_ipynb"] is None


def test_good_clients_have_finished_reports(fault_batch):
    out = fault_batch["out"]
    for client in ("good-a", "good-b"):
        folder = out / "clients" / client
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        assert results["client_id"] == client
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert f"Report for <strong>{client}</strong>" in html
        assert "json.load" not in html and "Traceback" not in html and "results_path" not in html
        assert re.search(r"<img[^>]+src=\"data:image/png;base64", html), "the figure is embedded"
    assert json.loads((out / "clients" / "good-a" / "results.json").read_text())["peers"] == {"sector": ["Finance"]}


def test_failed_clients_keep_their_partial_notebook(fault_batch):
    out = fault_batch["out"]
    raised = json.loads((out / "clients" / "raises-1" / "report.ipynb").read_text(encoding="utf-8"))
    errors = [o for c in raised["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert [e["ename"] for e in errors] == ["ValueError"]
    assert any("Report for" in json.dumps(c.get("outputs")) for c in raised["cells"]), "cells before the failure ran"
    died = json.loads((out / "clients" / "dies-1" / "report.ipynb").read_text(encoding="utf-8"))
    assert any("Report for" in json.dumps(c.get("outputs")) for c in died["cells"])
    for client in ("raises-1", "dies-1"):
        assert not (out / "clients" / client / "report.html").exists()
        assert (out / "clients" / client / "results.json").is_file()


def test_nothing_written_outside_out_and_no_temporaries(fault_batch):
    root, out = fault_batch["root"], fault_batch["out"]
    assert snapshot(root, out) == fault_batch["before"]
    assert sorted(p.name for p in (out / "clients").iterdir()) == ["crash-1", "dies-1", "good-a", "good-b", "raises-1"]
    assert not list(root.parent.rglob("outside"))
    hidden = [p for p in out.rglob(".*")]
    assert hidden == []


# --------------------------------------------------------------------------- timeouts

def test_timeout_kills_the_client_and_keeps_its_partial_notebook(tmp_path, database, monkeypatch):
    db, orgs = database
    monkeypatch.setenv(SLEEP_ENV, "600")
    clients = tmp_path / "clients"
    clients.mkdir()
    write_client(clients, "slow-1", organisation=orgs[0], db=str(db))
    out = tmp_path / "out"
    started = time.monotonic()
    result = run_batch(clients, out, notebook=fault_template(tmp_path / "t.ipynb"), timeout=10,
                       results_function=RESULTS_FUNCTION, progress=False)
    assert time.monotonic() - started < 60
    row = result.clients[0]
    assert row["status"] == "failed" and row["error"] == "timed out after 10 s"
    assert result.exit_code == 1
    folder = out / "clients" / "slow-1"
    kernel_pid = int((folder / "kernel.pid").read_text())
    assert not psutil.pid_exists(kernel_pid) or psutil.Process(kernel_pid).status() == psutil.STATUS_ZOMBIE
    nb = json.loads((folder / "report.ipynb").read_text(encoding="utf-8"))
    timed_out = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("ename") == "Timeout"]
    assert timed_out and timed_out[0]["evalue"] == "timed out after 10 s"
    assert sorted(p.name for p in folder.iterdir()) == ["kernel.pid", "report.ipynb", "results.json"]


# --------------------------------------------------------------------------- resume

@pytest.fixture
def small_batch(tmp_path, database):
    db, orgs = database
    clients = tmp_path / "clients"
    clients.mkdir()
    files = [write_client(clients, f"client-{i}", organisation=orgs[i], db=str(db)) for i in range(2)]
    template = fault_template(tmp_path / "t.ipynb")
    return {"clients": clients, "files": files, "template": template, "out": tmp_path / "out"}


def _run(batch, **kwargs):
    return run_batch(batch["clients"], batch["out"], notebook=batch["template"], workers=2,
                     results_function=RESULTS_FUNCTION, progress=False, **kwargs)


def _set_mtime(path: Path, when: float) -> None:
    os.utime(path, (when, when))


def test_rerun_skips_up_to_date_clients_and_redoes_changed_ones(small_batch):
    first = _run(small_batch)
    assert [r["status"] for r in first.clients] == ["ok", "ok"]
    html = small_batch["out"] / "clients" / "client-0" / "report.html"
    made = html.stat().st_mtime

    again = _run(small_batch)
    assert [r["status"] for r in again.clients] == ["skipped", "skipped"]
    assert again.clients[0]["report_html"] == "clients/client-0/report.html"
    assert html.stat().st_mtime == made

    _set_mtime(small_batch["files"][1], time.time() + 5)  # the parameters file changed
    third = _run(small_batch)
    assert [r["status"] for r in third.clients] == ["skipped", "ok"]


def test_plan_redoes_clients_when_an_input_is_newer_or_forced(small_batch):
    _run(small_batch)
    out, template = small_batch["out"].resolve(), small_batch["template"].resolve()
    files = collect_parameter_files([small_batch["clients"]])

    def actions(**kwargs):
        return [p.action for p in plan_batch(files, out, template, **kwargs)]

    assert actions() == ["skip", "skip"]
    assert actions(force=True) == ["run", "run"]
    _set_mtime(template, time.time() + 5)
    assert actions() == ["run", "run"]
    _set_mtime(template, time.time() - 3600)
    assert actions() == ["skip", "skip"]
    # An interrupted run rewrote results.json but never reached report.html: not finished.
    results = out / "clients" / "client-0" / "results.json"
    _set_mtime(results, time.time() + 5)
    assert actions() == ["run", "skip"]


def test_outputs_up_to_date_needs_all_three_in_order(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    for i, name in enumerate(("results.json", "report.ipynb", "report.html")):
        (folder / name).write_text("x")
        _set_mtime(folder / name, 1000 + i)
    assert outputs_up_to_date(folder, 999)
    assert not outputs_up_to_date(folder, 1000)
    _set_mtime(folder / "report.ipynb", 1005)  # a failed re-run left a newer partial notebook
    assert not outputs_up_to_date(folder, 999)
    (folder / "report.ipynb").unlink()
    assert not outputs_up_to_date(folder, 999)


# --------------------------------------------------------------------------- interrupt

def _wait_for(predicate, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


@pytest.mark.slow
def test_ctrl_c_leaves_no_half_written_files_and_the_next_run_resumes(tmp_path, database):
    db, orgs = database
    clients = tmp_path / "clients"
    clients.mkdir()
    write_client(clients, "fast-1", organisation=orgs[0], db=str(db))
    write_client(clients, "slow-1", organisation=orgs[1], db=str(db))
    write_client(clients, "slow-2", organisation=orgs[2], db=str(db))
    template = fault_template(tmp_path / "t.ipynb")
    out = tmp_path / "out"
    args = ["batch", str(clients), "--out", str(out), "--notebook", str(template), "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": _pythonpath(), SLEEP_ENV: "600"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.batch_support", *args], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        manifest = out / "manifest.json"

        def fast_done_and_slow_sleeping() -> bool:
            if proc.poll() is not None:
                raise AssertionError(proc.communicate())
            done = manifest.is_file() and '"ok"' in manifest.read_text(encoding="utf-8")
            sleeping = [(out / "clients" / c / "kernel.pid").is_file() for c in ("slow-1", "slow-2")]
            return done and all(sleeping)

        _wait_for(fast_done_and_slow_sleeping)
        kernels = [int((out / "clients" / c / "kernel.pid").read_text()) for c in ("slow-1", "slow-2")]
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    for pid in kernels:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert [p for p in out.rglob(".*")] == [], "no temporary or half-written files"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert data["run"]["interrupted"] is True
    assert [(r["client_id"], r["status"]) for r in data["clients"]] == [("fast-1", "ok")]
    for client in ("slow-1", "slow-2"):
        assert not (out / "clients" / client / "report.html").exists()

    rerun = run_support_cli(*args, env={SLEEP_ENV: "0"}, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    rows = json.loads(manifest.read_text(encoding="utf-8"))["clients"]
    assert [(r["client_id"], r["status"]) for r in rows] == [("fast-1", "skipped"), ("slow-1", "ok"), ("slow-2", "ok")]


# --------------------------------------------------------------------------- report command, options

def test_report_command_runs_one_client_and_updates_the_manifest(tmp_path, database, monkeypatch):
    # Also covers workers started as fresh interpreters (the fallback where forking is not possible).
    monkeypatch.setenv("MATURITY_WORKER_START", "subprocess")
    db, orgs = database
    template = fault_template(tmp_path / "t.ipynb")
    one = write_client(tmp_path, "solo", organisation=orgs[0], db=str(db))
    out = tmp_path / "out"
    result = run_support_cli("report", str(one), "--out", str(out), "--notebook", str(template), timeout=300)
    assert result.returncode == 0, result.stderr
    html = out / "clients" / "solo" / "report.html"
    assert result.stdout.splitlines()[0] == f"report: {html}"
    assert html.is_file()
    broken = write_client(tmp_path, "raises-solo", organisation=orgs[1], db=str(db))
    failed = run_support_cli("report", str(broken), "--out", str(out), "--notebook", str(template), timeout=300)
    assert failed.returncode == 1
    assert failed.stderr.strip().startswith("error: raises-solo: notebook t.ipynb failed in cell")
    rows = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["clients"]
    assert [(r["client_id"], r["status"]) for r in rows] == [("solo", "ok"), ("raises-solo", "failed")]
    # Another client's failed row in the manifest does not decide this run's result.
    again = run_report(one, out, notebook=template)
    assert [r["client_id"] for r in again.clients] == ["solo"]
    assert again.exit_code == 0 and "raises-solo" not in again.summary()


def test_template_without_parameters_cell_is_rejected(tmp_path, database):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    bad = tmp_path / "plain.ipynb"
    nbformat.write(nb, bad)
    write_client(tmp_path, "c", organisation=database[1][0], db=str(database[0]))
    result = run_support_cli("batch", str(tmp_path), "--out", str(tmp_path / "o"), "--notebook", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: notebook template {bad} has no cell tagged 'parameters'"
    assert not (tmp_path / "o").exists()


def test_bad_options_are_usage_errors(tmp_path, capsys):
    from maturity.cli import main

    for args in (["--workers", "0"], ["--timeout", "-1"], ["--executor", "ray"]):
        with pytest.raises(SystemExit) as info:
            main(["batch", str(tmp_path), "--out", str(tmp_path / "o"), *args])
        assert info.value.code == 2, args
    assert main(["batch", str(tmp_path), "--scheduler", "tcp://x:1"]) == 2
    assert "--scheduler is only used with --executor dask" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "--executor", "dask"]) == 2
    assert "--executor dask needs --scheduler ADDRESS" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "o")]) == 2  # a folder without *.yaml
    assert "no client parameters files" in capsys.readouterr().err
    with pytest.raises(ParametersError, match="needs a scheduler address"):
        run_batch(tmp_path, tmp_path / "o", executor="dask")
    with pytest.raises(ParametersError, match="no client parameters files"):
        collect_parameter_files([tmp_path])


def test_missing_template_is_a_report_error(tmp_path):
    with pytest.raises(ReportError, match="not found"):
        run_batch(tmp_path, tmp_path / "o", notebook=tmp_path / "none.ipynb")


def test_client_folder_refuses_paths_outside_out(tmp_path):
    from maturity.errors import ParametersError

    out = tmp_path / "out"
    assert client_folder(out, "acme-2026") == (out / "clients" / "acme-2026").resolve()
    for bad in ("../x", "..", ".hidden", "a/b", "/etc"):
        with pytest.raises(ParametersError):
            client_folder(out, bad)
    (out / "clients").mkdir(parents=True)
    (out / "clients" / "linked").symlink_to(tmp_path)  # a folder planted to escape
    with pytest.raises(ParametersError, match="outside"):
        client_folder(out, "linked")


def test_organisation_or_wave_missing_is_found_before_running(tmp_path, database):
    db, orgs = database
    write_client(tmp_path, "known", organisation=orgs[0], db=str(db))
    write_client(tmp_path, "unknown", organisation="ORG-9999", db=str(db))
    write_client(tmp_path, "nowave", organisation=orgs[0], db=str(db), wave="1999")
    files = collect_parameter_files([tmp_path])
    plans = {p.client_id: p for p in plan_batch(files, (tmp_path / "o").resolve(), fault_template(tmp_path / "t.ipynb"))}
    assert plans["known"].action == "run"
    assert plans["unknown"].action == "failed" and "organisation 'ORG-9999' is not in wave 2026" in plans["unknown"].error
    assert plans["nowave"].action == "failed" and "1999" in plans["nowave"].error


# --------------------------------------------------------------------------- Dask

@pytest.mark.slow
def test_dask_executor_gives_the_same_results_as_local(tmp_path, database):
    distributed = pytest.importorskip("distributed")
    db, orgs = database
    clients = tmp_path / "clients"
    clients.mkdir()
    write_client(clients, "alpha", organisation=orgs[0], db=str(db), peers={"size": ["1-249"]})
    write_client(clients, "beta", organisation=orgs[1], db=str(db), compare_to="median")
    write_client(clients, "raises-gamma", organisation=orgs[2], db=str(db))
    (clients / "zz-bad.yaml").write_text("client_id: ok\n", encoding="utf-8")
    template = fault_template(tmp_path / "t.ipynb")
    local = run_batch(clients, tmp_path / "local", notebook=template, workers=2,
                      results_function=RESULTS_FUNCTION, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = run_batch(clients, tmp_path / "dask", notebook=template, executor="dask",
                           scheduler=cluster.scheduler_address, results_function=RESULTS_FUNCTION,
                           progress=False)
    assert remote.run["executor"] == "dask"

    def summary(result):
        return [(r["client_id"], r["status"], r["error"], r["report_html"], r["results_json"]) for r in result.clients]

    assert summary(remote) == summary(local)
    assert [r["status"] for r in local.clients] == ["ok", "ok", "failed", "failed"]
    for client in ("alpha", "beta"):
        read = lambda base: json.loads((base / "clients" / client / "results.json").read_text())  # noqa: E731
        assert read(tmp_path / "dask") == read(tmp_path / "local")


def test_only_a_kernel_that_never_started_is_tried_again(tmp_path):
    import nbformat
    from nbclient.exceptions import DeadKernelError

    from maturity.reporting.notebooks import kernel_never_started

    output = tmp_path / "report.ipynb"
    assert kernel_never_started(RuntimeError("Kernel didn't respond in 60 seconds"), output)
    assert not kernel_never_started(DeadKernelError("Kernel died"), output)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, output)  # written before the kernel answered: nothing ran, safe to retry
    assert kernel_never_started(RuntimeError("Kernel died before replying to kernel_info"), output)
    nb.cells[0].execution_count = 1
    nbformat.write(nb, output)  # a cell ran: never run the client twice
    assert not kernel_never_started(RuntimeError("Kernel didn't respond in 60 seconds"), output)
    assert output.exists()


def test_resume_follows_the_wave_not_the_database_file(tmp_path):
    import maturity
    from maturity.data.store import BenchmarkStore
    from maturity.data.synthetic import generate_wave

    earlier = maturity.generate_benchmark(40, seed=5)
    later = generate_wave(earlier, seed=6)
    fw = earlier.framework
    db = tmp_path / "benchmark.duckdb"
    with BenchmarkStore(db) as store:
        store.import_responses(earlier.responses, fw, "2026")
    both = sorted(set(earlier.responses[fw.id_column]) & set(later.responses[fw.id_column]))
    clients = tmp_path / "clients"
    clients.mkdir()
    write_client(clients, "pinned", organisation=both[0], db=str(db), wave="2026")
    write_client(clients, "latest", organisation=both[1], db=str(db))
    template = fault_template(tmp_path / "t.ipynb")
    out = tmp_path / "out"
    first = run_batch(clients, out, notebook=template, workers=2, results_function=RESULTS_FUNCTION, progress=False)
    assert [r["status"] for r in first.clients] == ["ok", "ok"]
    files = collect_parameter_files([clients])

    def actions():
        return {p.client_id: p.action for p in plan_batch(files, out.resolve(), template.resolve())}

    with BenchmarkStore(db) as store:  # a new wave: the database file changes
        store.import_responses(later.responses, fw, "2027")
    assert actions() == {"latest": "run", "pinned": "skip"}
    changed = earlier.responses.copy()
    item = fw.item_ids[0]
    changed[item] = changed[item].map({1: 2, 2: 1}).fillna(changed[item])
    with BenchmarkStore(db) as store:  # the pinned wave itself is replaced
        store.import_responses(changed, fw, "2026", replace=True)
    assert actions() == {"latest": "run", "pinned": "run"}


@pytest.mark.slow
def test_ctrl_c_stops_the_clients_running_on_dask(tmp_path, database, monkeypatch):
    distributed = pytest.importorskip("distributed")
    db, orgs = database
    monkeypatch.setenv(SLEEP_ENV, "600")  # the Dask workers (and their kernels) inherit it
    clients = tmp_path / "clients"
    clients.mkdir()
    for i in (1, 2):
        write_client(clients, f"slow-{i}", organisation=orgs[i], db=str(db))
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.batch_support", "batch", str(clients), "--out", str(out),
             "--notebook", str(fault_template(tmp_path / "t.ipynb")), "--executor", "dask",
             "--scheduler", cluster.scheduler_address],
            env={**os.environ, "PYTHONPATH": _pythonpath()}, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        try:
            pids = [out / "clients" / f"slow-{i}" / "kernel.pid" for i in (1, 2)]

            def both_sleeping() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(proc.communicate())
                return all(p.is_file() and p.read_text() for p in pids)

            _wait_for(both_sleeping)
            kernels = [int(p.read_text()) for p in pids]
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 130, stderr

        def kernels_gone() -> bool:
            return all(not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
                       for pid in kernels)

        _wait_for(kernels_gone, 30)  # the Dask workers stop their clients within a second or two
    assert [p for p in out.rglob(".*")] == []
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["run"]["interrupted"] is True


def test_workers_get_private_scratch_folders_and_the_inline_backend(tmp_path):
    from maturity.batch.executors import worker_environment

    env = worker_environment(tmp_path, {"PATH": "/bin", "MPLBACKEND": "Agg", "IPYTHONDIR": "/home/x/.ipython"})
    assert env["PATH"] == "/bin" and "MPLBACKEND" not in env
    assert env["TMPDIR"] == str(tmp_path)
    assert env["JUPYTER_RUNTIME_DIR"] == str(tmp_path / "runtime") and (tmp_path / "runtime").is_dir()
    assert env["IPYTHONDIR"] == str(tmp_path / "ipython") and (tmp_path / "ipython").is_dir()
