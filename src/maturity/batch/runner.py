"""Batch runs of client reports: validate everything, skip what is up to date, run the rest.

``maturity batch`` and ``maturity report`` call :func:`run_batch`:

1. collect the client parameters files (a folder's ``*.yaml``/``*.yml``, or files);
2. validate every file before anything runs (client parameters, safe client id, duplicate client
   ids, the database and wave readable, the organisation present in the wave); a bad file
   is recorded as failed and the others go on;
3. skip clients whose outputs are newer than their inputs (parameters file, database wave,
   template, survey and framework files) unless ``force``;
4. run the rest, one isolated process and kernel each (:mod:`maturity.batch.executors`), locally
   or on Dask, with a per-client time limit; both are forked from a warm parent process that
   imported the notebook and plotting stack once (:mod:`maturity.batch.warm_parent`);
5. rewrite ``OUT/manifest.json`` atomically as each client finishes (:mod:`maturity.batch.manifest`).

Only ``OUT`` is written to: every client folder is checked to resolve inside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import signal
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..benchmarking.client_parameters import ClientParameters, load_client_parameters
from ..benchmarking.peers import check_peer_filters
from ..benchmarking.wave_models import segments_to_share
from ..data.store import BenchmarkStore
from ..errors import MaturityError, ParametersError
from ..files import write_json
from ..framework import load_framework
from ..reporting.notebooks import check_template, notebook_path
from ..reporting.pdf import check_printer
from ..version import __version__
from . import client_task
from .client_task import (
    OUTPUT_NAMES,
    PDF_NAME,
    REPORT_TEMPLATE,
    RESULTS_FUNCTION,
    ClientTask,
    client_folder,
)
from .executors import DaskExecutor, LocalExecutor
from .manifest import Manifest, client_entry, now_iso

EXECUTORS = ("local", "dask")
PARAMETER_SUFFIXES = (".yaml", ".yml")

#: Folder under ``out`` for what the clients of one run share (removed when the run ends).
SHARED_FOLDER = ".segments"


@dataclass
class ClientPlan:
    """What a batch will do with one parameters file."""

    index: int
    source: Path
    client_id: str
    action: str  # "run" | "skip" | "failed"
    error: str | None = None
    params: ClientParameters | None = None
    folder: Path | None = None
    task: ClientTask | None = None


@dataclass
class BatchResult:
    """The outcome of a batch: one manifest row per client of this run."""

    out: Path
    manifest: Path | None
    clients: list[dict[str, Any]]
    seconds: float
    run: dict[str, Any] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for row in self.clients if row["status"] == status)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [row for row in self.clients if row["status"] == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every client is ok or skipped, else 1."""
        return 1 if self.failed else 0

    def summary(self) -> str:
        """Plain text for the terminal: one line per failure, then the totals."""
        lines = [f"failed: {row['client_id']}: {row['error']}" for row in self.failed]
        lines.append(
            f"{len(self.clients)} client report(s) in {self.seconds:.1f} s: {self.count('ok')} ok, "
            f"{self.count('failed')} failed, {self.count('skipped')} skipped"
        )
        lines.append(f"outputs: {self.out / 'clients'}")
        if self.manifest is not None:
            lines.append(f"manifest: {self.manifest}")
        return "\n".join(lines)


def collect_parameter_files(sources: Sequence[str | Path]) -> list[Path]:
    """The client parameters files named by ``sources`` (folders give their ``*.yaml``/``*.yml``).

    A path that does not exist is kept, so that it is reported as a failed client.
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    files: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in PARAMETER_SUFFIXES and p.is_file())
            if not found:
                raise ParametersError(f"no client parameters files (*.yaml) in {path}")
            files.extend(found)
        else:
            files.append(path)
    if not files:
        raise ParametersError("no client parameters files given")
    unique: dict[Path, Path] = {}
    for path in files:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


@dataclass
class _Wave:
    """What the batch needs to know of one (database, wave): readable? who is in it? changed when?"""

    label: str | None = None
    modified: float = 0.0
    organisations: frozenset[str] = frozenset()
    framework: Any = None
    error: str | None = None
    #: Path of the segment model shared by its clients ("" when they need none); None: not decided yet.
    segments: str | None = None


def _inspect_wave(db: Path, wave: str | None) -> _Wave:
    if not db.is_file():
        return _Wave(error=f"benchmark database {db} not found")
    try:
        with BenchmarkStore(db, read_only=True) as store:
            label = store.resolve_wave(wave)
            modified = store.wave_modified(label).timestamp()
            ids = store.scores(label).index  # who took part: the scores suffice, not every answer
            framework = store.framework(label)
    except MaturityError as exc:
        return _Wave(error=str(exc))
    except Exception as exc:  # duckdb and OS errors: this database is unusable for these clients
        return _Wave(error=f"cannot read benchmark database {db}: {type(exc).__name__}: {exc}")
    return _Wave(label=label, modified=modified, organisations=frozenset(str(i) for i in ids), framework=framework)


def _peer_filter_problem(params: ClientParameters, wave: _Wave, frameworks: dict[Path, Any]) -> str | None:
    """Why the client's peer filters do not fit the wave's framework (None when they do).
    ``frameworks`` holds the framework files already parsed during this planning pass."""
    if not params.peers:
        return None
    try:
        framework = wave.framework
        if params.framework is not None:
            if params.framework not in frameworks:
                frameworks[params.framework] = load_framework(params.framework)
            framework = frameworks[params.framework]
        check_peer_filters(params.peers, framework)
    except MaturityError as exc:
        return str(exc)
    return None


def _inputs_modified(params: ClientParameters, source: Path, template: Path, wave: _Wave) -> float:
    """Latest change among everything a client's outputs depend on."""
    times = [source.stat().st_mtime, template.stat().st_mtime, wave.modified]
    for extra in (params.responses, params.framework):
        if extra is not None and extra.exists():
            times.append(extra.stat().st_mtime)
    return max(times)


def outputs_up_to_date(folder: Path, inputs_modified: float, *, pdf: bool = False) -> bool:
    """True when all outputs exist, were written in order by one finished run, after the inputs.

    A run writes results.json, then report.ipynb, then report.html (then report.pdf when
    ``pdf``); an interrupted or failed run leaves them out of that order (or missing), so it
    is never taken as finished.
    """
    names = OUTPUT_NAMES + ((PDF_NAME,) if pdf else ())
    try:
        times = [(folder / name).stat().st_mtime for name in names]
    except FileNotFoundError:
        return False
    return times == sorted(times) and times[0] > inputs_modified


def plan_batch(
    files: Sequence[Path],
    out: Path,
    template: Path,
    *,
    force: bool = False,
    results_function: str = RESULTS_FUNCTION,
    pdf: bool = False,
) -> list[ClientPlan]:
    """Validate every parameters file and decide, for each, to run, skip or fail it (a
    client asked for a PDF it lacks is run again)."""
    plans: list[ClientPlan] = []
    for index, source in enumerate(files):
        plan = ClientPlan(index, Path(source), client_id=Path(source).stem, action="run")
        try:
            plan.params = load_client_parameters(source)
            plan.client_id = plan.params.client_id
            plan.folder = client_folder(out, plan.client_id)
        except MaturityError as exc:
            plan.action, plan.error = "failed", str(exc)
        plans.append(plan)

    by_id: dict[str, list[ClientPlan]] = defaultdict(list)
    for plan in plans:
        if plan.action == "run":
            by_id[plan.client_id].append(plan)
    for client_id, same in by_id.items():
        if len(same) > 1:
            for plan in same:
                others = ", ".join(str(p.source) for p in same if p is not plan)
                plan.action, plan.error = "failed", f"{plan.source}: client_id {client_id!r} is also used by {others}"

    waves: dict[tuple[Path, str | None], _Wave] = {}
    frameworks: dict[Path, Any] = {}
    for plan in plans:
        if plan.action != "run":
            continue
        params = plan.params
        key = (params.db, params.wave)
        if key not in waves:
            waves[key] = _inspect_wave(params.db, params.wave)
        wave = waves[key]
        if wave.error:
            plan.action, plan.error = "failed", f"{plan.source}: {wave.error}"
        elif params.organisation is not None and params.organisation not in wave.organisations:
            plan.action = "failed"
            plan.error = f"{plan.source}: organisation {params.organisation!r} is not in wave {wave.label} of {params.db}"
        elif params.responses is not None and not params.responses.is_file():
            plan.action, plan.error = "failed", f"{plan.source}: responses: file {params.responses} not found"
        elif params.framework is not None and not params.framework.is_file():
            plan.action, plan.error = "failed", f"{plan.source}: framework: file {params.framework} not found"
        elif (problem := _peer_filter_problem(params, wave, frameworks)) is not None:
            plan.action, plan.error = "failed", f"{plan.source}: {problem}"
        elif not force and outputs_up_to_date(plan.folder, _inputs_modified(params, plan.source, template, wave),
                                              pdf=pdf):
            plan.action = "skip"
        if plan.action == "run":
            plan.task = ClientTask(
                parameters=str(plan.source.resolve()), out=str(out), template=str(template),
                client_id=plan.client_id, results_function=results_function,
                # The default results place the client in the wave's segments; a custom
                # results function is left to its own devices.
                segments=_shared_segments(out, key, wave) if results_function == RESULTS_FUNCTION else None,
                pdf=pdf,
            )
    return plans


def _shared_segments(out: Path, key: tuple[Path, str | None], wave: "_Wave") -> str | None:
    """Fit a wave's segmentation once for all its clients (when it has no saved model) and
    keep it in ``out/.segments/`` for the run; each worker preloads it instead of fitting its own."""
    if wave.segments is None:
        wave.segments = ""
        with BenchmarkStore(key[0], read_only=True) as store:
            document = segments_to_share(store, wave.label)
        if document is not None:
            name = hashlib.sha1(f"{key[0]}|{wave.label}".encode()).hexdigest()[:16]
            wave.segments = str(write_json(out / SHARED_FOLDER / f"{name}.json", document))
    return wave.segments or None


def resolve_template(notebook: str | Path | None) -> Path:
    """The report template: ``notebook`` (checked to have a parameters cell) or the packaged one."""
    path = notebook_path(REPORT_TEMPLATE) if notebook is None else Path(notebook)
    return check_template(path).resolve()


def run_batch(
    sources: Sequence[str | Path] | str | Path,
    out: str | Path = "outputs/batch",
    *,
    workers: int | None = None,
    notebook: str | Path | None = None,
    timeout: float | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    force: bool = False,
    progress: bool | None = None,
    results_function: str | None = None,
    keep_other_clients: bool = False,
    pdf: bool = False,
) -> BatchResult:
    """Produce one report per client parameters file, in parallel, isolating failures.

    Parameters
    ----------
    sources : path or sequence of paths
        Client parameters files, or folders of them (``*.yaml``, ``*.yml``).
    out : path
        Output folder: ``clients/<client_id>/{results.json,report.ipynb,report.html}`` and
        ``manifest.json``. Nothing is written outside it.
    workers : int, optional
        Clients run at once by the local executor (default: the number of cores).
    notebook : path, optional
        Report template with a ``parameters`` cell (default: the packaged client report).
    timeout : float, optional
        Seconds one client may take in all; then it is killed and recorded as failed.
    executor : {"local", "dask"}
    scheduler : str, optional
        Dask scheduler address (``executor="dask"``).
    force : bool
        Redo clients whose outputs are up to date.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    results_function : str, optional
        ``module:function`` computing results.json (default
        :data:`maturity.batch.client_task.RESULTS_FUNCTION`, ``maturity.clients.results.client_results``).
    keep_other_clients : bool
        Keep the manifest rows of clients not in this run (``maturity report``).
    pdf : bool
        Also print each report to ``report.pdf`` with headless Chromium
        (:mod:`maturity.reporting.pdf`); checked before anything runs.

    Returns
    -------
    BatchResult
        Its ``exit_code`` is 1 when a client failed.

    Raises
    ------
    ParametersError
        Arguments that cannot work (an unknown executor, a timeout or worker count below
        1, the dask executor without a scheduler, its extra or a reachable scheduler), or no
        parameters files; raised before any client runs.
    ReportError
        The template is missing or has no parameters cell, or ``pdf`` is asked for and
        Chromium or Playwright is missing (the message names the install step).
    KeyboardInterrupt
        After Ctrl-C (or SIGTERM): running clients were killed and their temporary files
        removed; finished clients are in the manifest and a re-run resumes.
    """
    started = time.perf_counter()
    results_function = results_function or client_task.RESULTS_FUNCTION
    if executor not in EXECUTORS:
        raise ParametersError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if timeout is not None and timeout <= 0:
        raise ParametersError("timeout must be a positive number of seconds")
    if pdf:
        check_printer()  # before any client runs: every one of them would fail the same way
    runner = LocalExecutor(workers) if executor == "local" else DaskExecutor(scheduler)
    template = resolve_template(notebook)
    files = collect_parameter_files(sources)
    runner.warm_up()  # its imports overlap the planning below
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    plans = plan_batch(files, out, template, force=force, results_function=results_function, pdf=pdf)
    run_info = {
        **runner.describe(), "template": str(template), "timeout": timeout, "force": force, "pdf": pdf,
        "out": str(out), "maturity_version": __version__, "interrupted": False,
    }
    manifest = Manifest(out, run_info, total=len(plans), keep_others=keep_other_clients)
    by_id = {plan.client_id: plan for plan in plans if plan.action == "run"}
    bar = _progress_bar(len(plans), progress)

    def record(plan: ClientPlan, status: str, seconds: float = 0.0, error: str | None = None,
               validated: bool = True, steps: dict[str, float] | None = None) -> None:
        # A file rejected before running has no outputs of this run to point to.
        manifest.record(plan.index, client_entry(
            out, plan.client_id, status, seconds=seconds, error=error, folder=plan.folder if validated else None,
            parameters=plan.source.resolve(), steps=steps,
        ))
        counts = manifest.counts()
        bar.set_postfix_str(f"ok={counts['ok']} failed={counts['failed']} skipped={counts['skipped']}", refresh=False)
        bar.update(1)

    for plan in plans:
        if plan.action == "failed":
            record(plan, "failed", error=plan.error, validated=False)
        elif plan.action == "skip":
            record(plan, "skipped")
    manifest.write()

    def on_done(outcome: dict[str, Any]) -> None:
        if outcome["status"] == "interrupted":
            return
        record(by_id[outcome["client_id"]], outcome["status"], outcome["seconds"], outcome.get("error"),
               steps=outcome.get("steps"))

    try:
        with _sigterm_as_interrupt():
            runner.run([plan.task for plan in plans if plan.action == "run"], on_done, timeout=timeout)
    except KeyboardInterrupt:
        manifest.write(finished=now_iso(), seconds=round(time.perf_counter() - started, 3), interrupted=True)
        raise
    finally:
        bar.close()
        shutil.rmtree(out / SHARED_FOLDER, ignore_errors=True)  # the run's shared segment models
    seconds = time.perf_counter() - started
    manifest.write(finished=now_iso(), seconds=round(seconds, 3))
    # Only this run's clients: a kept row of an earlier run must not decide this exit code.
    return BatchResult(out, manifest.path, manifest.own_rows, seconds, manifest.run)


def run_report(
    parameters: str | Path,
    out: str | Path = "outputs/reports",
    *,
    notebook: str | Path | None = None,
    timeout: float | None = None,
    results_function: str | None = None,
    progress: bool | None = False,
    pdf: bool = False,
) -> BatchResult:
    """Produce one client's report now (outputs up to date or not), in ``out/clients/<id>/``.

    The row of this client in ``out/manifest.json`` is added or replaced; other rows stay.
    ``pdf`` also prints ``report.pdf``.
    """
    return run_batch(
        [parameters], out, workers=1, notebook=notebook, timeout=timeout, force=True,
        progress=progress, results_function=results_function, keep_other_clients=True, pdf=pdf,
    )


def _progress_bar(total: int, progress: bool | None):
    from tqdm import tqdm

    disable = (not sys.stderr.isatty()) if progress is None else not progress
    return tqdm(total=total, unit="report", desc="client reports", disable=disable, file=sys.stderr,
                dynamic_ncols=True)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while a batch runs, so a cancelled job also cleans up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
