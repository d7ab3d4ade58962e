"""Worker process of a batch: runs one client task and writes its outcome as JSON.

Started per client by :func:`maturity.batch.executors.run_isolated`, in its own session, so a
crash, a dead kernel or a kill affects this client only. Two ways in:

- :func:`forked_main`, in a process forked from the batch's warm parent
  (:mod:`maturity.batch.warm_parent`), which has imported the notebook machinery, the results
  step and the report's plotting stack once: a client starts in milliseconds instead of
  paying seconds of imports. It forks its notebook kernel at once from the same warm state
  (:func:`maturity.reporting.kernels.prepare_kernel`), before it holds any thread or ZMQ
  context (forking one is the cause of papermill #239's hangs).
- ``python -m maturity.batch.worker TASK.json RESULT.json``, a fresh interpreter, where no warm
  parent can be used; its kernel is a fresh interpreter too.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

from ..errors import MaturityError
from ..files import write_json
from .client_task import ClientTask, run_client_task


def main(argv: list[str]) -> int:
    task_file, result_file = argv
    task = ClientTask.from_dict(json.loads(Path(task_file).read_text(encoding="utf-8")))
    try:
        outcome = {"status": "ok", **run_client_task(task, echo=lambda line: print(line, file=sys.stderr))}
    except MaturityError as exc:
        outcome = {"status": "failed", "error": str(exc)}
    except Exception as exc:  # a bug: still only this client's failure
        traceback.print_exc()
        outcome = {"status": "failed", "error": f"unexpected {type(exc).__name__}: {exc}"}
    write_json(result_file, outcome)
    return 0


def forked_main(task_file: str, result_file: str, log_file: str, env: dict[str, str], cwd: str,
                sys_path: list[str]) -> int:
    """Entry point in a process forked from the warm parent: become a fresh, detached worker
    with its kernel forked ahead; returns the exit code."""
    # The kernel machinery (jupyter_client) is the forked worker's alone: the batch process,
    # which imports this module, never starts a kernel.
    from ..reporting.kernels import discard_prepared_kernel, prepare_kernel

    os.setsid()  # own session: the terminal's Ctrl-C reaches the batch only
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # The warm parent was started earlier: take the batch's current environment, folder and path.
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = extra + [p for p in sys_path if p not in extra]
    tempfile.tempdir = None
    prepare_kernel()
    try:
        return main([task_file, result_file])
    finally:
        discard_prepared_kernel()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
