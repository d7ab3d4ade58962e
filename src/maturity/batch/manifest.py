"""The batch manifest: ``OUT/manifest.json``, rewritten atomically as clients finish.

```json
{"clients": [{"client_id": "acme", "status": "ok", "seconds": 7.9, "error": null,
              "report_html": "clients/acme/report.html", "report_pdf": null,
              "results_json": "clients/acme/results.json",
              "report_ipynb": "clients/acme/report.ipynb", "parameters": "/abs/acme.yaml"}],
 "counts": {"ok": 1, "failed": 0, "skipped": 0, "pending": 0},
 "run": {"started": "...", "finished": "...", "seconds": 9.1, "template": "...", "executor": "local",
         "workers": 2, "timeout": null, "force": false, "interrupted": false, "maturity_version": "..."}}
```
Paths of outputs are relative to the manifest's folder, so an output folder can be moved.
A reader always sees a complete file; while a batch runs, ``counts.pending`` says how many
clients are still to come.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..files import write_json
from .client_task import HTML_NAME, NOTEBOOK_NAME, PDF_NAME, RESULTS_NAME

STATUSES = ("ok", "failed", "skipped")
MANIFEST_NAME = "manifest.json"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def client_entry(
    out: Path,
    client_id: str,
    status: str,
    *,
    seconds: float = 0.0,
    error: str | None = None,
    folder: Path | None = None,
    parameters: Path | None = None,
    steps: dict[str, float] | None = None,
) -> dict[str, Any]:
    """One manifest row; an output path is given only when that file exists (``report_pdf``
    only for a run with ``--pdf``); ``steps`` (seconds spent computing results, running the
    notebook, exporting HTML, printing the PDF) when known."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")

    def rel(name: str) -> str | None:
        if folder is None:
            return None
        path = folder / name
        return path.relative_to(out).as_posix() if path.is_file() else None

    return {
        "client_id": client_id,
        "status": status,
        "seconds": round(float(seconds), 3),
        "error": error,
        "report_html": rel(HTML_NAME) if status != "failed" else None,
        "report_pdf": rel(PDF_NAME) if status != "failed" else None,
        "results_json": rel(RESULTS_NAME),
        "report_ipynb": rel(NOTEBOOK_NAME),
        "parameters": str(parameters) if parameters is not None else None,
        **({"steps": {k: round(float(v), 3) for k, v in steps.items()}} if steps else {}),
    }


class Manifest:
    """Collects client rows and rewrites ``OUT/manifest.json`` atomically after each one.

    Parameters
    ----------
    out : Path
        The batch output folder.
    run : dict
        Run metadata written under ``"run"``.
    total : int
        Number of clients this run will record (for ``counts.pending``).
    keep_others : bool
        Keep the rows of an existing manifest for clients this run does not touch (used by
        ``maturity report``, which adds one client to an existing output folder).
    """

    def __init__(self, out: Path, run: dict[str, Any], total: int, *, keep_others: bool = False) -> None:
        self.out = Path(out)
        self.path = self.out / MANIFEST_NAME
        self.run = {"started": now_iso(), **run}
        self.total = total
        self._rows: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._others: list[dict[str, Any]] = self._existing_rows() if keep_others else []

    def _existing_rows(self) -> list[dict[str, Any]]:
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8")).get("clients", [])
        except (OSError, ValueError, AttributeError):
            return []
        return [r for r in rows if isinstance(r, dict) and "client_id" in r]

    def record(self, index: int, row: dict[str, Any]) -> None:
        """Add (or replace) the row of the ``index``-th client and rewrite the file."""
        with self._lock:
            self._rows[index] = row
            self.write()

    @property
    def own_rows(self) -> list[dict[str, Any]]:
        """The rows of this run's clients, in the order they were given."""
        return [self._rows[i] for i in sorted(self._rows)]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Every row the file holds: rows kept from earlier runs, then this run's."""
        mine = self.own_rows
        ids = {r["client_id"] for r in mine}
        return [r for r in self._others if r["client_id"] not in ids] + mine

    def counts(self) -> dict[str, int]:
        counts = {s: 0 for s in STATUSES}
        for row in self.rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        counts["pending"] = self.total - len(self._rows)
        return counts

    def write(self, **run_updates: Any) -> Path:
        self.run.update(run_updates)
        return write_json(self.path, {"clients": self.rows, "counts": self.counts(), "run": self.run})
