"""Worker process of a batch: ``python -m maturity._worker TASK.json RESULT.json``.

Runs one :class:`maturity.reports.ClientTask` and writes its outcome as JSON. It runs in a
fresh interpreter in its own session (see :func:`maturity.executors.run_isolated`), so a
crash, a dead kernel or a kill affects this client only.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from .errors import MaturityError
from .files import write_json
from .reports import ClientTask, run_client_task


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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
