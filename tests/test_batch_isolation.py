"""Clients of one batch share nothing: each runs in a fresh worker and a fresh kernel, both
forked from the batch's warm parent, so nothing one client does can reach the next one's
results or report, even when they run one after another on one worker."""

from __future__ import annotations

import json
import os

import pytest

from maturity.batch.runner import run_batch

from .batch_support import LEAK_MARK, LEAKY_RESULTS_FUNCTION, leak_template, make_database, write_client
from .conftest import REPO


@pytest.fixture(scope="module")
def leak_batch(tmp_path_factory):
    """Three clients, one worker: each probes its worker and kernel for what the one before
    left behind, then leaves the same for the next."""
    root = tmp_path_factory.mktemp("leaks")
    db, orgs = make_database(root / "benchmark.duckdb", n_orgs=20)
    clients = root / "clients"
    clients.mkdir()
    names = ["first", "second", "third"]
    for name, org in zip(names, orgs):
        write_client(clients, name, organisation=org, db=str(db))
    out = root / "out"
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with pytest.MonkeyPatch.context() as patch:  # workers import tests.batch_support
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("MATURITY_WORKER_START", raising=False)
        result = run_batch(clients, out, workers=1, notebook=leak_template(root / "leaks.ipynb"),
                           results_function=LEAKY_RESULTS_FUNCTION, progress=False)
    folders = {name: out / "clients" / name for name in names}
    return {
        "result": result, "names": names,
        "kernel": {n: json.loads((f / "kernel_state.json").read_text(encoding="utf-8")) for n, f in folders.items()},
        "results": {n: json.loads((f / "results.json").read_text(encoding="utf-8")) for n, f in folders.items()},
        "html": {n: (f / "report.html").read_text(encoding="utf-8") for n, f in folders.items()},
    }


def test_clients_ran_one_after_another_in_warm_processes(leak_batch):
    assert [row["status"] for row in leak_batch["result"].clients] == ["ok", "ok", "ok"]
    kernels = leak_batch["kernel"].values()
    # Warm: the kit was imported before the notebook's first cell (forked from the warm parent) ...
    assert all(state["kit_preloaded"] for state in kernels)
    # ... and every worker came from one and the same warm parent, not from the batch process.
    assert len({state["worker_parent_pid"] for state in kernels}) == 1
    assert next(iter(kernels))["worker_parent_pid"] != os.getpid()


def test_every_client_has_its_own_worker_and_kernel(leak_batch):
    kernels, results = leak_batch["kernel"], leak_batch["results"]
    for name in leak_batch["names"]:
        assert kernels[name]["worker_pid"] == results[name]["worker_pid"]  # the kernel is its worker's child
    assert len({state["kernel_pid"] for state in kernels.values()}) == 3
    assert len({state["worker_pid"] for state in kernels.values()}) == 3


def test_nothing_a_client_leaves_in_its_kernel_reaches_the_next(leak_batch):
    for name in leak_batch["names"]:
        found = leak_batch["kernel"][name]["found"]
        assert found == {"global": None, "builtin": None, "kit_module": None, "sys_modules": None,
                         "environment": None, "matplotlib": found["matplotlib"], "sys_path": [], "history": []}
        assert LEAK_MARK not in str(found["matplotlib"])


def test_unseeded_random_generators_differ_between_clients(leak_batch):
    """Forked from one warm parent, yet each kernel draws its own random numbers, as a fresh
    interpreter would."""
    draws = [tuple(state["random"]) for state in leak_batch["kernel"].values()]
    assert len({numpy_draw for numpy_draw, _ in draws}) == 3
    assert len({python_draw for _, python_draw in draws}) == 3


def test_nothing_a_client_leaves_in_its_worker_reaches_the_next(leak_batch):
    for name in leak_batch["names"]:
        assert leak_batch["results"][name]["worker_found"] == {"module_global": None, "kit_cache": None,
                                                               "environment": None}


def test_each_report_names_its_own_client_only(leak_batch):
    for name, html in leak_batch["html"].items():
        assert f"Report for {name}" in html
        assert [other for other in leak_batch["names"] if other != name and f"Report for {other}" in html] == []


def test_the_probe_finds_what_a_reused_kernel_keeps(tmp_path):
    """The kernel probe above is not blind: run twice on one kernel, it finds every mark."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    template = nbformat.read(leak_template(tmp_path / "leaks.ipynb"), as_version=4)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path), env={**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))})
    try:
        for client in ("first", "second"):
            nb = nbformat.from_dict(template)
            nb.cells[0].source = f"client_id = {client!r}\norganisation = None\nresults_path = None"
            NotebookClient(nb, km=km).execute()
    finally:
        km.shutdown_kernel(now=True)
    found = json.loads((tmp_path / "kernel_state.json").read_text(encoding="utf-8"))["found"]
    mark = f"{LEAK_MARK}first"
    assert {key: found[key] for key in ("global", "builtin", "kit_module", "sys_modules", "environment",
                                        "matplotlib")} == dict.fromkeys(
        ("global", "builtin", "kit_module", "sys_modules", "environment", "matplotlib"), mark)
    assert found["sys_path"] == [mark] and len(found["history"]) == 1


def test_the_worker_probe_finds_what_a_reused_process_keeps(monkeypatch):
    """The worker probe is not blind either: called twice in one process, it finds every mark."""
    from types import SimpleNamespace

    from maturity.benchmarking import wave_models

    from . import batch_support

    monkeypatch.setattr(batch_support, "_LEFT_BY_A_CLIENT", None, raising=False)
    monkeypatch.setitem(wave_models._FITTED_SEGMENTS, ("left",), None)
    monkeypatch.delenv("MATURITY_TEST_LEFT", raising=False)
    for client in ("first", "second"):
        params = SimpleNamespace(client_id=client, organisation="ORG", wave=None, peers={}, compare_to="median")
        found = batch_support.leaky_results(params)["worker_found"]
    assert found == dict.fromkeys(("module_global", "kit_cache", "environment"), f"{LEAK_MARK}first")


def test_a_warm_parent_that_cannot_start_says_why(tmp_path, monkeypatch):
    import sys

    from maturity.batch.warm_parent import WarmParent, WarmParentError

    monkeypatch.setattr(sys, "path", [str(tmp_path)])  # it takes the batch's import path: no kit there
    parent = WarmParent()
    monkeypatch.undo()
    with pytest.raises(WarmParentError, match="did not start: ModuleNotFoundError: No module named 'maturity'"):
        parent.wait_ready()


def test_without_a_warm_parent_the_batch_starts_fresh_workers(tmp_path, monkeypatch, caplog):
    from maturity.batch import executors
    from maturity.batch.warm_parent import WarmParentError

    def cannot_start():
        raise WarmParentError("the warm parent process did not start: (test)")

    db, orgs = make_database(tmp_path / "benchmark.duckdb", n_orgs=20)
    clients = tmp_path / "clients"
    clients.mkdir()
    write_client(clients, "solo", organisation=orgs[0], db=str(db))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("MATURITY_WORKER_START", raising=False)
    monkeypatch.setattr(executors, "warm_parent", cannot_start)
    try:
        result = run_batch(clients, tmp_path / "out", workers=1, notebook=leak_template(tmp_path / "leaks.ipynb"),
                           results_function=LEAKY_RESULTS_FUNCTION, progress=False)
    finally:
        executors._warm_parent_failed.clear()  # later batches of this process may use one again
    assert [row["status"] for row in result.clients] == ["ok"]
    assert "starting each client's worker as a fresh interpreter instead" in caplog.text
    state = json.loads((tmp_path / "out" / "clients" / "solo" / "kernel_state.json").read_text(encoding="utf-8"))
    # A fresh kernel (the kit imported by the notebook), under a worker the batch started itself.
    assert state["kit_preloaded"] is False and state["worker_parent_pid"] == os.getpid()


def test_a_client_waiting_for_the_warm_parent_keeps_its_time_limit(tmp_path, monkeypatch):
    import time

    from maturity.batch import executors

    class StillImporting:
        def ready(self, wait: float = 0.0) -> bool:
            time.sleep(wait)
            return False

    db, orgs = make_database(tmp_path / "benchmark.duckdb", n_orgs=20)
    clients = tmp_path / "clients"
    clients.mkdir()
    write_client(clients, "patient", organisation=orgs[0], db=str(db))
    monkeypatch.delenv("MATURITY_WORKER_START", raising=False)
    monkeypatch.setattr(executors, "warm_parent", StillImporting)
    started = time.monotonic()
    result = run_batch(clients, tmp_path / "out", workers=1, notebook=leak_template(tmp_path / "leaks.ipynb"),
                       results_function=LEAKY_RESULTS_FUNCTION, timeout=2, progress=False)
    assert time.monotonic() - started < 30
    assert [(row["status"], row["error"]) for row in result.clients] == [
        ("failed", "timed out after 2 s (no partial notebook)")]
