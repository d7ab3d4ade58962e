"""The researcher's analysis report: the analysis notebook run on a survey file or a database
wave, exported as HTML without code (and printed to PDF). ``maturity analysis`` and
``maturity demo`` both make it here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import DEFAULT_SEED
from ..data.store import BenchmarkStore
from ..errors import ParametersError
from .notebooks import export_html, notebook_path, run_notebook
from .pdf import check_printer, print_pdf

#: The packaged analysis notebook.
ANALYSIS_NOTEBOOK = "benchmark_analysis.ipynb"
TITLE = "Benchmark analysis"


@dataclass(frozen=True)
class AnalysisReport:
    """Where the analysis report was written."""

    notebook: Path
    html: Path
    pdf: Path | None = None
    wave: str | None = None


def analysis_source(data: str | Path | None, db: str | Path | None, wave: str | None) -> str | None:
    """Check what the analysis reads before anything runs; return the wave label (None for a file).

    Parameters
    ----------
    data : path, optional
        A survey file (or folder of them).
    db : path, optional
        A benchmark database (instead of ``data``).
    wave : str, optional
        The database's wave (default: the latest); only with ``db``.

    Raises
    ------
    ParametersError
        Both or neither of ``data`` and ``db``, a wave without a database, or a missing file.
    StoreError
        No database at ``db``, no waves in it, or no such wave (the messages of ``maturity score``).
    """
    if (data is None) == (db is None):
        raise ParametersError("give either a survey file (DATA) or a database (--db), not both or neither")
    if data is not None:
        if wave is not None:
            raise ParametersError("--wave applies to --db, not to a survey file")
        if not Path(data).exists():
            raise ParametersError(f"survey file {data} not found")
        return None
    with BenchmarkStore(db, read_only=True) as store:
        return store.resolve_wave(wave)


def run_analysis_report(
    out: str | Path,
    *,
    data: str | Path | None = None,
    db: str | Path | None = None,
    wave: str | None = None,
    framework: str | Path | None = None,
    seed: int = DEFAULT_SEED,
    min_group_size: int = 5,
    min_learners: int = 10,
    pdf: bool = False,
    progress: bool = False,
) -> AnalysisReport:
    """Run the analysis notebook on a survey file or a database wave into ``out``.

    Writes ``out/benchmark_analysis.ipynb`` (executed), ``out/benchmark_analysis.html`` (no
    code) and with ``pdf`` ``out/benchmark_analysis.pdf``. The inputs (and, with ``pdf``,
    Chromium) are checked before the notebook starts.

    Parameters
    ----------
    out : path
        Output folder (created).
    data, db, wave
        What to analyse: a survey file, or a database and wave (default its latest).
    framework : path or str, optional
        Framework YAML file, or a packaged framework's name (default the packaged framework).
    seed : int
        Seed of the segmentation and bootstraps.
    min_group_size : int
        Smallest group the notebook shows figures for.
    min_learners : int
        Fewest learners of an organisation its learner figures are shown for.
    pdf : bool
        Also print the HTML to an A4 PDF with headless Chromium.
    progress : bool
        Show the notebook's progress bar.

    Returns
    -------
    AnalysisReport
    """
    label = analysis_source(data, db, wave)
    if pdf:
        check_printer()  # before minutes of work, not after
    out = Path(out).resolve()
    ipynb = out / ANALYSIS_NOTEBOOK
    run_notebook(
        notebook_path(ANALYSIS_NOTEBOOK),
        ipynb,
        {
            "framework": _framework_parameter(framework),
            "data": None if data is None else str(Path(data).resolve()),
            "db": None if db is None else str(Path(db).resolve()),
            "wave": label,
            "seed": seed,
            "min_group_size": min_group_size,
            "min_learners": min_learners,
        },
        cwd=out,
        progress=progress,
    )
    html = export_html(ipynb, ipynb.with_suffix(".html"), title=TITLE)
    printed = None
    if pdf:
        source = f"wave {label}" if label is not None else Path(data).name
        printed = print_pdf(html, ipynb.with_suffix(".pdf"), organisation=TITLE, title=source)
    return AnalysisReport(ipynb, html, printed, label)


def _framework_parameter(framework: str | Path | None) -> str | None:
    """A framework file as an absolute path (the kernel runs in ``out``); a packaged
    framework's bare name (``towards-maturity-6``) as it is."""
    if framework is None:
        return None
    return str(Path(framework).resolve()) if Path(framework).exists() else str(framework)
