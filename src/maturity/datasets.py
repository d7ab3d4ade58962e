"""One entry point to the benchmark data an analysis works on.

Notebooks and dashboards call :func:`load_benchmark` with either a survey file or a
benchmark database (and wave); they get back the framework, the responses and the
scores, already aligned on respondent id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import UsageError
from .framework import INDEX_COLUMN, Framework, load_framework
from .scoring import score_outcomes, score_responses


@dataclass
class BenchmarkData:
    """A benchmark population ready for analysis.

    Attributes
    ----------
    framework : Framework
    responses : DataFrame
        Survey answers, indexed by respondent id (Contract 2 columns).
    scores : DataFrame
        Strand scores and ``index`` per respondent.
    outcomes : DataFrame
        Outcome-group scores per respondent (no columns if the framework has none).
    wave : str or None
        The wave label, when the data came from a database.
    source : str
        Where the data came from, for captions.
    """

    framework: Framework
    responses: pd.DataFrame
    scores: pd.DataFrame
    outcomes: pd.DataFrame
    wave: str | None
    source: str

    @property
    def n(self) -> int:
        return len(self.responses)


def load_benchmark(
    data: str | Path | None = None,
    *,
    db: str | Path | None = None,
    wave: str | None = None,
    framework: Framework | str | Path | None = None,
) -> BenchmarkData:
    """Load a benchmark population from a survey file or a benchmark database.

    Parameters
    ----------
    data : path, optional
        A response file (any supported format).
    db : path, optional
        A benchmark database; used when ``data`` is not given.
    wave : str, optional
        Wave label in the database (default: the latest wave).
    framework : Framework or path, optional
        Default: the framework the wave was imported with, or the packaged default.

    Returns
    -------
    BenchmarkData
    """
    if (data is None) == (db is None):
        raise UsageError("give either a data file or a database, not both or neither")
    if framework is not None and not isinstance(framework, Framework):
        framework = load_framework(framework)
    if data is not None:
        from .ingest import read_responses

        framework = framework or load_framework()
        responses, _report = read_responses(data, framework)
        source, label = str(data), None
        stored = None
    else:
        from .store import BenchmarkStore

        with BenchmarkStore(db, read_only=True) as store:
            label = store.resolve_wave(wave)
            responses = store.responses(label)
            # Without a framework, use the wave's own and the scores stored at import.
            stored = store.scores(label) if framework is None else None
            framework = framework or store.framework(label)
        source = f"{db} (wave {label})"
    responses = responses.set_index(framework.id_column) if framework.id_column in responses.columns else responses
    if stored is not None:
        scores = stored[framework.strand_ids + [INDEX_COLUMN]]
        outcomes = stored[[g.id for g in framework.outcomes]]
    else:
        scores = score_responses(responses, framework)
        outcomes = score_outcomes(responses, framework)
    return BenchmarkData(framework, responses, scores, outcomes, label, source)
