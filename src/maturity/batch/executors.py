"""Running client tasks in isolation: one process and one kernel per client.

:func:`run_isolated` is the unit of work of every executor. It starts a new worker process
in its own session, forked from the batch's warm parent (:mod:`maturity.batch.warm_parent`,
which has imported the notebook and plotting stack once) or, failing that, a fresh
interpreter (``python -m maturity.batch.worker``). Nothing is shared with the batch process or
with other clients: the worker and its kernel live for one client, no ZMQ context is ever
forked (the cause of papermill #239's hangs), no TCP ports (the kernel talks over Unix
sockets, avoiding papermill #511's clashes), no half-broken state after a kernel dies. It enforces the client's time limit by killing the
worker's whole process tree (worker, kernel and anything the kernel started), keeps the
partial notebook, and removes every temporary file it leaves behind.

Two executors run many of them:

- :class:`LocalExecutor`: up to ``workers`` at once on this machine (threads only wait).
- :class:`DaskExecutor`: the same function submitted to a Dask distributed cluster.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable

import psutil

from ..errors import MaturityError, ParametersError
from ..files import write_json, write_text
from ..reporting.notebooks import running_notebooks
from .client_task import NOTEBOOK_NAME, OUTPUT_NAMES, ClientTask
from .warm_parent import WarmParentError, warm_parent

#: Seconds between checks of a running worker (time limit, interrupt).
POLL_SECONDS = 0.1
#: Seconds between refreshes of the worker's list of descendant processes.
TRACK_SECONDS = 0.5

logger = logging.getLogger(__name__)

Outcome = dict[str, Any]
OnDone = Callable[[Outcome], None]


def run_isolated(
    task: ClientTask,
    *,
    timeout: float | None = None,
    stop: Callable[[], bool] | None = None,
) -> Outcome:
    """Run one client task in a fresh worker process; never raises for the client's failures.

    Parameters
    ----------
    task : ClientTask
    timeout : float, optional
        Seconds the whole client may take; then its process tree is killed.
    stop : callable, optional
        Polled while the worker runs; when it returns True the worker is killed, its
        temporary files removed and the outcome's status is ``"interrupted"``.

    Returns
    -------
    dict
        ``{"client_id", "status": "ok" | "failed" | "interrupted", "seconds", "error"}``, plus
        ``"steps"`` (seconds per step) when the worker finished.
    """
    started_wall = time.time()
    started = time.monotonic()
    outcome: Outcome = {"client_id": task.client_id, "status": "failed", "seconds": 0.0, "error": None}
    try:
        folder = task.folder
    except MaturityError as exc:
        outcome["error"] = str(exc)
        return outcome
    if stop is not None and stop():  # stopped while queued: start nothing
        return {**outcome, "status": "interrupted", "error": "interrupted"}
    scratch = Path(tempfile.mkdtemp(prefix="maturity-batch-"))
    try:
        outcome.update(_supervise(task, folder, scratch, timeout, stop, started))
    except Exception as exc:  # the supervisor itself failed: still only this client's problem
        outcome.update(status="failed", error=f"could not run the worker: {type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    outcome["seconds"] = round(time.monotonic() - started, 3)
    if outcome["status"] != "ok":
        _remove_temporaries(folder)
        if outcome["status"] == "failed":
            _discard_stale_outputs(folder, since=started_wall)
    return outcome


def _supervise(
    task: ClientTask, folder: Path, scratch: Path, timeout: float | None,
    stop: Callable[[], bool] | None, started: float,
) -> Outcome:
    task_file, result_file, log_file = scratch / "task.json", scratch / "result.json", scratch / "worker.log"
    write_json(task_file, task.to_dict())
    env = worker_environment(scratch)

    def timed_out() -> bool:
        return timeout is not None and time.monotonic() - started > timeout

    def stopped() -> bool:
        return stop is not None and stop()

    proc = _start_worker(task_file, result_file, log_file, env, give_up=lambda: timed_out() or stopped())
    if proc is None:  # still waiting for the warm parent's imports when time ran out or the batch stopped
        if stopped():
            return {"status": "interrupted", "error": "interrupted"}
        return {"status": "failed", "error": f"timed out after {timeout:g} s (no partial notebook)"}
    tracker = _ProcessTracker(proc.pid)
    try:
        while True:
            try:
                proc.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            tracker.refresh()
            if timeout is not None and time.monotonic() - started > timeout:
                tracker.kill_all()
                proc.wait()
                kept = _keep_partial_notebook(folder, f"timed out after {timeout:g} s")
                note = "" if kept else " (no partial notebook)"
                return {"status": "failed", "error": f"timed out after {timeout:g} s{note}"}
            if stop is not None and stop():
                tracker.kill_all()
                proc.wait()
                return {"status": "interrupted", "error": "interrupted"}
    except BaseException:
        tracker.kill_all()
        raise
    # A worker that ended abnormally may leave its kernel behind; end it.
    tracker.kill_all()
    if result_file.exists():
        import json

        result = json.loads(result_file.read_text(encoding="utf-8"))
        return {"status": result["status"], "error": result.get("error"), "steps": result.get("steps")}
    return {"status": "failed", "error": _describe_crash(proc.returncode, log_file)}


def worker_environment(scratch: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a worker and its kernel: the batch's, with private scratch folders.

    Every transient file (IPC sockets, connection file, IPython profile and history) goes to
    ``scratch``, removed after the client even when the worker had to be killed; parallel
    kernels no longer contend for one IPython history database, and a user's IPython start-up
    files cannot change a report.
    """
    env = dict(os.environ if base is None else base)
    for name, sub in (("TMPDIR", ""), ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        folder = scratch / sub if sub else scratch
        folder.mkdir(exist_ok=True)
        env[name] = str(folder)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    # A global MPLBACKEND (often Agg on servers) would stop the kernel from using its inline
    # backend, and the reports would silently lose every figure.
    env.pop("MPLBACKEND", None)
    return env


def _describe_crash(returncode: int, log_file: Path) -> str:
    if returncode < 0:
        try:
            cause = f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            cause = f"was killed by signal {-returncode}"
    else:
        cause = f"exited with code {returncode}"
    lines = [ln.strip() for ln in log_file.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    return f"worker process {cause}" + (f": {lines[-1]}" if lines else "")


class _SubprocessWorker:
    """A worker in a fresh interpreter (``python -m maturity.batch.worker``)."""

    def __init__(self, task_file: Path, result_file: Path, log_file: Path, env: dict[str, str]) -> None:
        with open(log_file, "wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "maturity.batch.worker", str(task_file), str(result_file)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True,  # its own session: the terminal's Ctrl-C goes to the batch only
            )
        self.pid = self._proc.pid

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the worker to end; raise subprocess.TimeoutExpired after ``timeout``."""
        self._proc.wait(timeout=timeout)

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode


def _warm_parent_usable() -> bool:
    """Workers are forked from a warm parent where processes can fork, unless
    MATURITY_WORKER_START=subprocess asks for fresh interpreters (or a warm parent could not
    be started in this process)."""
    return (hasattr(os, "fork") and os.environ.get("MATURITY_WORKER_START") != "subprocess"
            and not _warm_parent_failed.is_set())


#: Set when this process could not start a warm parent: its workers are fresh interpreters.
_warm_parent_failed = threading.Event()


def warm_up() -> None:
    """Start this process's warm parent in the background, so that its imports overlap the
    batch's planning."""
    if _warm_parent_usable():
        try:
            warm_parent()
        except WarmParentError as exc:
            _give_up_warm_parent(exc)


def _give_up_warm_parent(exc: WarmParentError) -> None:
    logger.warning("%s; starting each client's worker as a fresh interpreter instead", exc)
    _warm_parent_failed.set()


def _start_worker(task_file: Path, result_file: Path, log_file: Path, env: dict[str, str],
                  give_up: Callable[[], bool] = lambda: False):
    """Start a worker process: forked from the warm parent when possible, else fresh.

    While the warm parent is still importing, ``give_up`` is polled; None when it said so.
    """
    if _warm_parent_usable():
        try:
            parent = warm_parent()
            while not parent.ready(POLL_SECONDS):
                if give_up():
                    return None
            return parent.fork(str(task_file), str(result_file), str(log_file), env, os.getcwd(), list(sys.path))
        except WarmParentError as exc:
            _give_up_warm_parent(exc)
    return _SubprocessWorker(task_file, result_file, log_file, env)


class _ProcessTracker:
    """The worker and every process it started, remembered while they are alive.

    A kernel starts in a session of its own (jupyter_client does that), so killing the
    worker's process group would miss it; and once the worker dies its kernel is re-parented
    and no longer a descendant. Remembering descendants as they appear avoids both traps.
    """

    def __init__(self, pid: int) -> None:
        self.root_pid = pid
        self.known: dict[int, psutil.Process] = {}
        self._last = 0.0
        try:
            self.known[pid] = psutil.Process(pid)
        except psutil.NoSuchProcess:
            pass

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < TRACK_SECONDS:
            return
        self._last = now
        for proc in list(self.known.values()):
            try:
                for child in proc.children(recursive=True):
                    self.known.setdefault(child.pid, child)
            except psutil.NoSuchProcess:
                pass

    def kill_all(self) -> None:
        """Freeze the tree (so nothing new is forked), collect it, then kill it."""
        frozen: list[psutil.Process] = []
        for _ in range(10):
            new = [p for p in self._alive() if p not in frozen]
            if not new:
                break
            for proc in new:
                try:
                    proc.suspend()
                    frozen.append(proc)
                except psutil.NoSuchProcess:
                    pass
            self.refresh(force=True)
        victims = self._alive()
        for proc in victims:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(victims, timeout=10)

    def _alive(self) -> list[psutil.Process]:
        alive = []
        for pid, proc in list(self.known.items()):
            try:
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
                    continue
            except psutil.NoSuchProcess:
                pass
            if pid != self.root_pid:  # keep the root: Popen reaps it
                self.known.pop(pid, None)
        return alive


def _keep_partial_notebook(folder: Path, reason: str) -> bool:
    """Keep a killed run's notebook as report.ipynb, its running cell marked with ``reason``."""
    import nbformat

    candidates = running_notebooks(folder / NOTEBOOK_NAME)
    if not candidates:
        return False
    try:
        nb = nbformat.read(candidates[-1], as_version=4)
    except Exception:  # killed in the middle of a save: nothing trustworthy to keep
        return False
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("papermill", {})
        if cell.cell_type == "code" and meta.get("status") == "running":
            meta["status"] = "failed"
            meta["exception"] = True
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename="Timeout", evalue=reason, traceback=[f"Timeout: {reason}"]))
    nb.metadata.setdefault("papermill", {})["exception"] = True
    write_text(folder / NOTEBOOK_NAME, nbformat.writes(nb))
    return True


def _remove_temporaries(folder: Path) -> None:
    """Remove the hidden temporary files a killed worker may leave (the folder is ours alone)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(".") and path.is_file():
            path.unlink(missing_ok=True)


def _discard_stale_outputs(folder: Path, *, since: float) -> None:
    """After a failure, drop outputs of an earlier run so the folder holds only this run's."""
    for name in OUTPUT_NAMES:
        path = folder / name
        try:
            if path.stat().st_mtime < since:
                path.unlink()
        except FileNotFoundError:
            pass


def available_cores() -> int:
    """Cores this process may use (respects CPU affinity, e.g. in containers)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


class LocalExecutor:
    """Run client tasks on this machine, ``workers`` at a time, each in its own process."""

    def __init__(self, workers: int | None = None) -> None:
        if workers is None:
            workers = available_cores()
        if workers < 1:
            raise ParametersError(f"workers must be at least 1, got {workers}")
        self.workers = workers

    def describe(self) -> dict[str, Any]:
        return {"executor": "local", "workers": self.workers}

    def warm_up(self) -> None:
        """Start the warm parent the workers are forked from, while the batch plans."""
        warm_up()

    def run(self, tasks: Iterable[ClientTask], on_done: OnDone, *, timeout: float | None = None) -> None:
        """Run ``tasks``; call ``on_done(outcome)`` in this thread as each one finishes.

        On KeyboardInterrupt every running worker is killed and cleaned up, then the
        interrupt propagates.
        """
        stop = threading.Event()
        pool = cf.ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="maturity-batch")
        futures = [pool.submit(run_isolated, task, timeout=timeout, stop=stop.is_set) for task in tasks]
        try:
            pending = set(futures)
            while pending:
                done, pending = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
                for future in sorted(done, key=futures.index):
                    on_done(future.result())
        except BaseException:
            stop.set()
            for future in futures:
                future.cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Run client tasks on a Dask distributed cluster (the extra ``dask``).

    Each task runs :func:`run_isolated` on a Dask worker, so isolation, time limits and
    clean-up are the same as locally. The workers must see the same file system.
    """

    def __init__(self, scheduler: str) -> None:
        if not scheduler:
            raise ParametersError("the dask executor needs a scheduler address (e.g. tcp://10.0.0.5:8786)")
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ParametersError("the dask executor needs the 'dask' extra: pip install 'maturity[dask]'") from None
        self.scheduler = scheduler

    def describe(self) -> dict[str, Any]:
        return {"executor": "dask", "scheduler": self.scheduler}

    def warm_up(self) -> None:
        """Nothing to do here: each Dask worker starts its own warm parent on first use."""

    def run(self, tasks: Iterable[ClientTask], on_done: OnDone, *, timeout: float | None = None) -> None:
        from distributed import Client, Event, as_completed

        tasks = list(tasks)
        if not tasks:
            return
        run_id = uuid.uuid4().hex[:12]
        stop_name = f"maturity-stop-{run_id}"
        try:
            client = Client(self.scheduler, set_as_default=False, timeout=30)
        except OSError as exc:
            raise ParametersError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
        with client:
            stop_event = Event(stop_name, client=client)
            futures = {
                client.submit(run_isolated, task, timeout=timeout, stop=_DaskStop(stop_name),
                              key=f"maturity-report-{task.client_id}-{run_id}", pure=False): task
                for task in tasks
            }
            try:
                for future in as_completed(list(futures), loop=client.loop):
                    task = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as exc:  # the Dask worker itself was lost
                        outcome = {"client_id": task.client_id, "status": "failed", "seconds": 0.0,
                                   "error": f"dask task failed: {type(exc).__name__}: {exc}"}
                    on_done(outcome)
            except BaseException:
                stop_event.set()
                try:
                    client.gather(list(futures), errors="skip")  # workers clean up, then return
                except BaseException:
                    pass
                client.cancel(list(futures))
                raise


class _DaskStop:
    """Picklable stop check for Dask workers: a distributed Event, read at most once a second."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._event = None
        self._last = 0.0
        self._value = False

    def __getstate__(self) -> dict:
        return {"name": self.name}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["name"])

    def __call__(self) -> bool:
        now = time.monotonic()
        if self._value or now - self._last < 1.0:
            return self._value
        self._last = now
        try:
            if self._event is None:
                from distributed import Event

                self._event = Event(self.name)
            self._value = bool(self._event.is_set())
        except Exception:  # no scheduler connection: keep running, the time limit still holds
            self._value = False
        return self._value
