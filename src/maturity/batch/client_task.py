"""One client's report: results.json, the executed notebook and its HTML export.

This is the per-client task of ``maturity report`` and ``maturity batch``. It runs inside an
isolated worker process (see :mod:`maturity.batch.executors`): compute the client's results with
the library, write them atomically, run the report template with papermill, export HTML.

Output layout::

    OUT/clients/<client_id>/results.json    written first, by the library
    OUT/clients/<client_id>/report.ipynb    the executed notebook (partial after a failure)
    OUT/clients/<client_id>/report.html     written after the notebook: its presence marks a finished report
    OUT/clients/<client_id>/report.pdf      with ``pdf``: the HTML printed by Chromium, written last
"""

from __future__ import annotations

import importlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from ..benchmarking.client_parameters import ClientParameters, check_client_id, load_client_parameters
from ..benchmarking.wave_models import preload_segments
from ..data.store import BenchmarkStore
from ..errors import MaturityError, ParametersError, ReportError
from ..files import write_json
from ..reporting.notebooks import export_html, run_notebook
from ..reporting.pdf import print_pdf

#: The function that computes a client's results.json (``module:function``).
RESULTS_FUNCTION = "maturity.clients.results:client_results"
#: The packaged report template.
REPORT_TEMPLATE = "client_report.ipynb"
#: Sub-folder of the output folder that holds one folder per client.
CLIENTS_FOLDER = "clients"
RESULTS_NAME = "results.json"
NOTEBOOK_NAME = "report.ipynb"
HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
#: Output files in the order a run writes them (resume relies on this order); a run asked
#: for a PDF writes :data:`PDF_NAME` after them.
OUTPUT_NAMES = (RESULTS_NAME, NOTEBOOK_NAME, HTML_NAME)
#: How often a kernel that failed to *start* is tried again (never a kernel that died in a cell).
KERNEL_START_ATTEMPTS = 3


@dataclass(frozen=True)
class ClientTask:
    """Everything a worker needs to produce one client's report (plain, picklable, JSON-able).

    Attributes
    ----------
    parameters : str
        Absolute path of the client parameters file.
    out : str
        Absolute path of the batch output folder.
    template : str
        Absolute path of the report notebook template.
    client_id : str
        The (validated) client id; the outputs go to ``out/clients/<client_id>/``.
    results_function : str
        ``module:function`` that computes results.json from the parameters.
    segments : str, optional
        A segment model the batch fitted once for the client's wave
        (:func:`maturity.benchmarking.wave_models.segments_to_share`), preloaded before the results.
    pdf : bool
        Also print ``report.pdf`` from the HTML (:func:`maturity.reporting.pdf.print_pdf`).
    """

    parameters: str
    out: str
    template: str
    client_id: str
    results_function: str = RESULTS_FUNCTION
    segments: str | None = None
    pdf: bool = False

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ClientTask":
        return cls(**data)

    @property
    def folder(self) -> Path:
        """The client's output folder (checked to lie inside ``out``)."""
        return client_folder(self.out, self.client_id)


def client_folder(out: str | Path, client_id: str) -> Path:
    """``out/clients/<client_id>``, refusing any id or symlink that would lead outside ``out``.

    Raises
    ------
    ParametersError
        When the client id is not a safe name or the folder resolves outside ``out``.
    """
    check_client_id(client_id)
    root = Path(out).resolve()
    folder = (root / CLIENTS_FOLDER / client_id).resolve()
    if not folder.is_relative_to(root / CLIENTS_FOLDER) or folder == root / CLIENTS_FOLDER:
        raise ParametersError(f"client_id {client_id!r}: its output folder {folder} lies outside {root}")
    return folder


def resolve_function(spec: str) -> Callable[..., Any]:
    """Import ``module:function``."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ReportError(f"results function {spec!r} must be written 'module:function'")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise ReportError(f"results function {spec} is not available: {exc}") from None


def compute_results(
    params: ClientParameters, results_function: str = RESULTS_FUNCTION, *, segments: str | None = None
) -> dict:
    """The content of a client's results.json (by default ``maturity.clients.results.client_results``).

    The benchmark database is opened read-only here and handed over as ``store``: parallel
    workers may all read one DuckDB file, but none may lock it for writing. ``segments``
    names a segment model the batch fitted once for the wave; it is preloaded so that no
    worker fits its own.
    """
    if segments:
        preload_segments(json.loads(Path(segments).read_text(encoding="utf-8")))

    function = resolve_function(results_function)
    with BenchmarkStore(params.db, read_only=True) as store:
        results = function(params, store=store)
    if not isinstance(results, dict):
        raise ReportError(f"{results_function} returned {type(results).__name__}, expected a dict")
    return results


def notebook_parameters(params: ClientParameters, results_path: str | Path) -> dict[str, Any]:
    """Values injected into the template: the client's fields plus where its results are."""
    return {**params.to_notebook_parameters(), "results_path": str(results_path)}


def run_client_task(task: ClientTask, *, echo: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Produce one client's results.json, report.ipynb and report.html (and report.pdf).

    Parameters
    ----------
    task : ClientTask
    echo : callable, optional
        Receives one line per step (for logs).

    Returns
    -------
    dict
        ``{"client_id", "seconds", "steps": {step: seconds}}``.

    Raises
    ------
    MaturityError
        A user-caused failure; the message names the step that failed.
    """
    say = echo or (lambda line: None)
    started = time.perf_counter()
    steps: dict[str, float] = {}
    params = load_client_parameters(task.parameters)
    if params.client_id != task.client_id:
        raise ParametersError(f"{task.parameters}: client_id changed to {params.client_id!r} during the run")
    folder = task.folder
    folder.mkdir(parents=True, exist_ok=True)
    # A PDF of an earlier run must never pass for this run's (nor outlive a failure).
    (folder / PDF_NAME).unlink(missing_ok=True)

    t = time.perf_counter()
    say(f"{task.client_id}: computing results")
    try:
        results = compute_results(params, task.results_function, segments=task.segments)
    except MaturityError as exc:
        raise ReportError(f"computing results failed: {exc}") from exc
    except Exception as exc:  # a failure inside the library is still only this client's
        raise ReportError(f"computing results failed: {type(exc).__name__}: {exc}") from exc
    results_path = write_json(folder / RESULTS_NAME, results)
    steps["results"] = time.perf_counter() - t

    t = time.perf_counter()
    say(f"{task.client_id}: running {Path(task.template).name}")
    notebook = folder / NOTEBOOK_NAME
    run_notebook(task.template, notebook, notebook_parameters(params, results_path), cwd=folder,
                 start_attempts=KERNEL_START_ATTEMPTS)
    steps["notebook"] = time.perf_counter() - t

    t = time.perf_counter()
    say(f"{task.client_id}: exporting HTML")
    title = params.title or f"Learning maturity benchmark: {params.client_id}"
    try:
        export_html(notebook, folder / HTML_NAME, title=title)
    except Exception as exc:
        raise ReportError(f"exporting HTML failed: {type(exc).__name__}: {exc}") from exc
    steps["html"] = time.perf_counter() - t

    if task.pdf:
        t = time.perf_counter()
        say(f"{task.client_id}: printing PDF")
        _print_report(folder, results, params)
        steps["pdf"] = time.perf_counter() - t
    return {"client_id": task.client_id, "seconds": time.perf_counter() - started, "steps": steps}


def _print_report(folder: Path, results: dict, params: ClientParameters) -> Path:
    """Print the client's report.html to report.pdf, the organisation named on every page."""
    organisation = results.get("organisation") or {}
    name = str(organisation.get("name") or organisation.get("id") or params.client_id)
    wave = results.get("wave")
    heading = params.title or ("Learning maturity benchmark" + (f", wave {wave}" if wave else ""))
    return print_pdf(folder / HTML_NAME, folder / PDF_NAME, organisation=name, title=heading)
