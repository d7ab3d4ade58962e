"""A warm parent process that forks one fresh worker per client.

Starting a report from nothing costs seconds of imports (papermill, nbconvert, pandas,
matplotlib, seaborn, the kit) twice over: in the worker and in its kernel. The warm parent
pays them once per batch: it imports everything a worker and its kernel need, compiles the
HTML export templates, and then only forks. Each fork is a worker for one client
(:func:`maturity.batch.worker.forked_main`), which in turn forks its notebook kernel
(:mod:`maturity.reporting.kernels`).

The warm parent itself never runs a client's code, reads a client's data or starts a
kernel: every worker and every kernel starts from the same state, whatever ran before it,
and dies with its client. It holds no thread and no ZMQ context when it forks.

Started by :class:`WarmParent` (running :func:`main`); it reads one JSON
request per line on stdin and answers on stdout (``{"ready"}``, then per request the worker's
``{"id", "pid"}``, and ``{"exited": pid, "code"}`` as each worker ends). It exits when its
stdin closes.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import IO, Any

import numpy as np
import psutil

from ..errors import ReportError
from ..reporting.kernels import exit_fork
from ..reporting.notebooks import html_exporter
from .worker import forked_main

#: The backend ipykernel gives matplotlib; set before matplotlib is imported, as in a kernel.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

#: Imported before forking: the worker's notebook machinery and results step, and what the
#: report's kernel imports (the first cell's and those its figures load on first use).
#: ``matplotlib_inline.backend_inline`` is left out on purpose: importing it binds it to the
#: IPython shell of the moment, and the kernel's shell does not exist yet.
PRELOAD = (
    "maturity.batch.worker",
    "papermill",
    "nbclient",
    "nbconvert",
    "maturity.reporting.kernels",
    "maturity.reporting.papermill_engine",
    "maturity.clients.results",
    "maturity.benchmarking.wave_models",
    "maturity.data.store",
    "duckdb",
    "ipykernel.kernelapp",
    "ipykernel_launcher",
    "IPython.core.pylabtools",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_svg",
    "matplotlib.backends.backend_mixed",
    "seaborn",
    "pandas",
    "PIL.features",
    "pyarrow.pandas_compat",
    "maturity.reporting.figures",
    "maturity.reporting.report_blocks",
)

#: Seconds the batch waits for a warm parent to finish its imports.
START_SECONDS = 180.0


# --------------------------------------------------------------------------- the warm parent

def preload() -> None:
    """Import everything in :data:`PRELOAD` and compile the HTML export templates."""
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part (a template may not need it): the kernel imports it if so
            pass
    _warm_html_export()
    # Every fork would otherwise start with this process's state of numpy's global random
    # generator (Python's own random module reseeds itself): draw a fresh seed in each, as a
    # fresh interpreter does.
    os.register_at_fork(after_in_child=np.random.seed)


def _warm_html_export() -> None:
    """Export a small notebook with the outputs a report has, so that the exporter's templates,
    filters and the notebook validator are ready in every worker."""
    import nbformat  # slow to import: the batch process imports this module, the warm parent calls this

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>",
                                                     "text/plain": "1"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'/>",
                                                     "text/plain": "<Figure>"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "**x**", "text/plain": "x"}),
        nbformat.v4.new_output("stream", name="stdout", text="x\n"),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Warm-up\n\nA *table* and a figure."), cell]
    nbformat.validate(nb)
    nbformat.writes(nb)
    html_exporter().from_notebook_node(nb)


def serve(requests: int, replies: int) -> None:
    """Fork a worker for each request; report each worker's pid, and its exit code as it ends.

    Parameters
    ----------
    requests : int
        File descriptor of the requests, one JSON object a line (see :meth:`WarmParent.fork`);
        the loop ends when it closes.
    replies : int
        File descriptor the answers are written to, one JSON object a line.
    """
    out = os.fdopen(replies, "w", buffering=1, encoding="utf-8")

    def reply(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")

    sig_r, sig_w = os.pipe()
    os.set_blocking(sig_r, False)
    os.set_blocking(sig_w, False)
    signal.set_wakeup_fd(sig_w)
    signal.signal(signal.SIGCHLD, lambda *args: None)  # a handler, so that the wakeup fd hears of it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's to handle
    reply({"ready": True, "pid": os.getpid()})
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(requests, selectors.EVENT_READ)
        selector.register(sig_r, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select():
                if key.fd == sig_r:
                    try:
                        while os.read(sig_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                    _reap(reply)
                    continue
                chunk = os.read(requests, 65536)
                if not chunk:  # the batch is gone or done
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    request = json.loads(line)
                    pid = os.fork()
                    if pid == 0:
                        _become_worker(request, close=(requests, replies, sig_r, sig_w, selector.fileno()))
                    reply({"id": request["id"], "pid": pid})
            _reap(reply)


def _reap(reply) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        reply({"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def _become_worker(request: dict[str, Any], close: tuple[int, ...]) -> None:
    """In the forked child: drop the parent's channels and signal set-up, run the worker, exit."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd in close:
            os.close(fd)
        code = forked_main(request["task_file"], request["result_file"], request["log_file"], request["env"],
                           request["cwd"], request["sys_path"])
    except BaseException:
        traceback.print_exc()
    finally:
        exit_fork(code)


def main() -> int:
    """The warm parent process: preload, then serve the batch on stdin and stdout until stdin closes."""
    # The protocol gets descriptors of its own; stdout carries nothing else, so that nothing
    # an import prints can garble it.
    requests, replies = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    preload()
    # Keep the collector away from everything imported so far: a collection in a worker or
    # kernel would otherwise write to (and so copy) pages it shares with this process.
    gc.freeze()
    serve(requests, replies)
    return 0


# --------------------------------------------------------------------------- the batch's side

class WarmParentError(ReportError):
    """The warm parent could not be started or was lost (the batch then starts fresh workers)."""


class WarmWorker:
    """A worker forked by the warm parent, as the executors see it: ``pid``, ``wait``, ``returncode``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._ended = threading.Event()

    def _end(self, code: int) -> None:
        self.returncode = code
        self._ended.set()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the worker to end; raise subprocess.TimeoutExpired after ``timeout``."""
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired("maturity-worker", timeout)


class WarmParent:
    """The warm parent process of this batch process, started ahead and reused by every client."""

    def __init__(self) -> None:
        # The batch's import path, so that the parent imports the same kit as the batch.
        code = (f"import json, sys; sys.path[:] = json.loads({json.dumps(json.dumps(sys.path))}); "
                "from maturity.batch.warm_parent import main; sys.exit(main())")
        self._stderr = tempfile.TemporaryFile()  # read back only to say why it did not start
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                start_new_session=True,  # neither the terminal's Ctrl-C nor the batch's signals reach it
            )
        except OSError as exc:
            self._stderr.close()
            raise WarmParentError(f"the warm parent process could not be started: {exc}") from None
        self._deadline = time.monotonic() + START_SECONDS
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._next_id = 0
        self._started: dict[int, threading.Event] = {}
        self._by_id: dict[int, WarmWorker] = {}
        self._workers: dict[int, WarmWorker] = {}
        self._lost = False
        self._reader = threading.Thread(target=self._read, args=(self._proc.stdout,), name="maturity-warm-parent",
                                        daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return not self._lost and self._proc.poll() is None

    def ready(self, wait: float = 0.0) -> bool:
        """Whether the warm parent has finished its imports, waiting up to ``wait`` seconds.

        Raises
        ------
        WarmParentError
            When it ended, or is still not ready :data:`START_SECONDS` after it was started (it
            is then ended); the message ends with the last line it wrote to stderr.
        """
        if self._ready.wait(wait):
            return True
        if not self.alive or time.monotonic() > self._deadline:
            self.close()
            raise WarmParentError(f"the warm parent process did not start{self._last_words()}")
        return False

    def wait_ready(self) -> None:
        """Wait until the warm parent has finished its imports (see :meth:`ready`)."""
        while not self.ready(0.1):
            pass

    def _last_words(self) -> str:
        try:
            self._stderr.seek(0)
            lines = [ln.strip() for ln in self._stderr.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        except (OSError, ValueError):
            return ""
        return f": {lines[-1]}" if lines else ""

    def fork(self, task_file: str, result_file: str, log_file: str, env: dict[str, str], cwd: str,
             sys_path: list[str]) -> WarmWorker:
        """Fork a worker for one client task (:func:`maturity.batch.worker.forked_main`).

        Parameters
        ----------
        task_file, result_file, log_file : str
            The task to run, where its outcome goes, where its output goes.
        env : dict
            The worker's environment (the warm parent's is the batch's of when it started).
        cwd : str
            The worker's folder.
        sys_path : list of str
            The batch's import path, for the worker.

        Returns
        -------
        WarmWorker

        Raises
        ------
        WarmParentError
            When the warm parent did not start or is gone.
        """
        self.wait_ready()
        with self._lock:
            if not self.alive:
                raise WarmParentError("the warm parent process is gone")
            self._next_id += 1
            request_id = self._next_id
            started = self._started[request_id] = threading.Event()
            line = json.dumps({"id": request_id, "task_file": task_file, "result_file": result_file,
                               "log_file": log_file, "env": env, "cwd": cwd, "sys_path": sys_path})
            try:
                self._proc.stdin.write(line.encode("utf-8") + b"\n")
                self._proc.stdin.flush()
            except OSError as exc:
                raise WarmParentError(f"the warm parent process is gone: {exc}") from None
        while not started.wait(0.1):
            if not self.alive:
                raise WarmParentError("the warm parent process is gone")
        with self._lock:
            return self._by_id.pop(request_id)

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            message = json.loads(raw)
            with self._lock:
                if message.get("ready"):
                    self._ready.set()
                elif "exited" in message:
                    worker = self._workers.pop(message["exited"], None)
                    if worker is not None:
                        worker._end(message["code"])
                elif "pid" in message:
                    worker = self._workers[message["pid"]] = WarmWorker(message["pid"])
                    self._by_id[message["id"]] = worker
                    self._started.pop(message["id"]).set()
        with self._lock:  # the warm parent is gone: its workers' exit codes are lost with it
            self._lost = True
            for worker in self._workers.values():
                threading.Thread(target=_await_orphan, args=(worker,), daemon=True).start()
            self._workers.clear()

    def close(self) -> None:
        """End the warm parent (its workers are the executors' to end)."""
        with self._lock:
            self._lost = True
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def _await_orphan(worker: WarmWorker) -> None:
    """A worker whose parent is gone: wait for it to end; its exit code is unknown (1)."""
    while True:
        try:
            if psutil.Process(worker.pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    worker._end(1)


_instance: WarmParent | None = None
_instance_lock = threading.Lock()


def warm_parent() -> WarmParent:
    """This process's warm parent, started (in the background) when there is none alive.

    It lives as long as this process (it ends when its stdin closes), so the batches of one
    process share it.

    Raises
    ------
    WarmParentError
        When it cannot be started.
    """
    global _instance
    with _instance_lock:
        if _instance is None or not _instance.alive:
            _instance = WarmParent()
        return _instance


if __name__ == "__main__":
    sys.exit(main())
