"""``maturity demo``: a synthetic benchmark taken through the whole kit in one command."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..batch.runner import BatchResult, run_batch
from ..benchmarking.release_plan import PrivacySettings
from ..benchmarking.wave_models import save_publication, save_wave_invariance, save_wave_segments
from ..config import load_benchmark_parameters
from ..data.responses import read_responses
from ..data.store import BenchmarkStore
from ..data.synthetic import demo_waves
from ..framework import load_framework
from ..reporting.analysis_report import run_analysis_report
from .clients import pick_demo_clients, write_client_files
from .evaluation import run_demo_evaluation
from .learners import add_demo_learners

#: Labels of the two synthetic waves the demo imports (the later one is analysed).
DEMO_WAVES = ("2025", "2026")


@dataclass
class DemoResult:
    """Where the demo put its outputs."""

    out: Path
    responses_csv: Path
    analysis_ipynb: Path
    analysis_html: Path
    seconds: float = 0.0
    extras: dict[str, Path] = field(default_factory=dict)
    database: Path | None = None
    batch: BatchResult | None = None

    def summary(self, command: str = "maturity") -> str:
        """Plain-text list of outputs for the terminal, ending with the dashboard and quick-check commands.

        Parameters
        ----------
        command : str
            How to call the command line (e.g. ``.venv/bin/maturity``).
        """
        lines = [f"Demo benchmark ready in {self.out} ({self.seconds:.0f} s)"]
        rows = [("survey data", self.responses_csv)]
        if self.database is not None:
            rows.append(("benchmark database", self.database))
        rows += [("analysis report", self.analysis_html), ("analysis notebook", self.analysis_ipynb)]
        rows += list(self.extras.items())
        width = max(len(label) for label, _ in rows) + 2
        lines += [f"  {label + ':':<{width}}{path}" for label, path in rows]
        if self.batch is not None:
            # The batch's own lines, minus the folders already listed above.
            lines += [""] + [
                line for line in self.batch.summary().splitlines()
                if not line.startswith(("outputs:", "manifest:"))
            ]
        if self.database is not None:
            lines += ["", "Explore it live (Ctrl-C stops the server):",
                      f"  researcher dashboard: {command} dashboard --db {_shown(self.database)}"]
            clients = sorted((self.out / "parameters" / "clients").glob("*.yaml"))
            if clients:
                lines.append(f"  client dashboard:     {command} dashboard --client {_shown(clients[0])}")
            lines.append(f"  quick check:          {command} quickcheck --db {_shown(self.database)} "
                         f"--collect {_shown(self.out / 'submissions')}")
        return "\n".join(lines)


def _shown(path: Path) -> str:
    """A path as short as it can be: relative to the working folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run_demo(
    out: str | Path = "outputs/demo",
    *,
    n_orgs: int = 600,
    seed: int | None = None,
    parameters: str | Path | None = None,
    echo: Callable[[str], None] = print,
    progress: bool = True,
    n_clients: int = 5,
    workers: int | None = None,
) -> DemoResult:
    """Generate two synthetic survey waves, import them into a benchmark database and run
    the analysis notebook on the later wave, read from the database.

    The earlier wave (``2025``) is generated with the run's seed; the later one (``2026``,
    written to ``out/data/responses.csv``) follows it with most organisations returning,
    so trends across waves exist. The database is ``out/benchmark.duckdb``.

    Parameters
    ----------
    out : path
        Output folder (created).
    n_orgs : int
        Organisations in each synthetic wave.
    seed : int, optional
        Overrides the seed of the run parameters.
    parameters : path, optional
        A ``benchmark.yaml`` with run defaults.
    echo : callable
        Receives one line per step.
    progress : bool
        Show the notebook progress bar.
    n_clients : int
        Client reports to write and run through the batch path (0: none).
    workers : int, optional
        Client reports run at once (default: the number of cores).

    Returns
    -------
    DemoResult
    """
    started = time.perf_counter()
    params = load_benchmark_parameters(parameters)
    if seed is not None:
        params["seed"] = seed
    out = Path(out).resolve()
    framework = load_framework(params["framework"])

    earlier_label, later_label = DEMO_WAVES
    echo(f"[1/4] Generating two synthetic survey waves of {n_orgs} organisations (seed {params['seed']})")
    # A realistic population (overlapping segments, uneven skips and group sizes) and its
    # next wave (most organisations return, moving a little; some improve, some fall back).
    earlier, later = demo_waves(n_orgs, framework=framework, seed=params["seed"])
    earlier_csv = earlier.write(out / "data" / f"responses-{earlier_label}.csv")
    responses_csv = later.write(out / "data" / "responses.csv")

    database = out / "benchmark.duckdb"
    echo(f"[2/4] Importing waves {earlier_label} and {later_label} into {database}")
    with BenchmarkStore(database) as store:
        for label, path in ((earlier_label, earlier_csv), (later_label, responses_csv)):
            responses, _report = read_responses(path, framework)
            # A re-run with the same data changes nothing; with other data it replaces the wave.
            store.import_responses(responses, framework, label, source=path, replace=True)
        # Store the latest wave's segments with it, as a researcher does with `maturity
        # segment --db`: client reports and dashboards then all use this one model.
        save_wave_segments(store, later_label, random_state=params["seed"])
        learners = add_demo_learners(store, later_label, out / "data", seed=params["seed"])
        echo(f"      learners' survey: {learners.n_learners} learners of {learners.n_organisations} organisations")
        # Whether comparisons across each demographic are fair, for the reports' method notes.
        save_wave_invariance(store, later_label)
        # Publish the wave once: what clients may see, audited and stored with the wave.
        _document, audit = save_publication(store, later_label, PrivacySettings.from_file(parameters))
        echo(f"      published: {len(audit.plan.released_groups)} peer groups, "
             f"audit {'passed' if audit.safe else 'FAILED'}")

    echo("[3/4] Running the benchmark analysis notebook")
    # The same report `maturity analysis --db DB --wave W` makes on one's own data.
    analysis = run_analysis_report(out / "analysis", db=database, wave=later_label, framework=params["framework"],
                                   seed=params["seed"], min_group_size=params["min_group_size"],
                                   min_learners=params["min_learners"], progress=progress)
    echo("[4/4] Exported the analysis as HTML")
    ipynb, html = analysis.notebook, analysis.html
    result = DemoResult(out, responses_csv, ipynb, html, database=database)
    if n_clients:
        result.batch = _run_client_reports(out, database, later_label, later.responses, framework, params,
                                           n_clients, workers, echo, progress)
        result.extras.update({"client reports": out / "clients", "batch manifest": result.batch.manifest})
    result.extras.update(run_demo_evaluation(out, seed=params["seed"], database=database, echo=echo, progress=progress))
    result.seconds = time.perf_counter() - started
    return result


def _run_client_reports(out, database, wave, responses, framework, params, n_clients, workers, echo, progress):
    """Write client parameters files for a spread of organisations and run them as a batch."""
    clients = pick_demo_clients(responses, framework, n_clients, min_group_size=params["min_group_size"], wave=wave)
    files = write_client_files(out / "parameters" / "clients", clients, database)
    echo(f"Running {len(files)} client reports ({out / 'parameters' / 'clients'})")
    return run_batch(files, out, workers=workers, progress=progress)
