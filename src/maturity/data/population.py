"""One entry point to the benchmark data an analysis works on.

Notebooks and dashboards call :func:`load_benchmark` with either a survey file or a
benchmark database (and wave); they get back the framework, the responses and the
scores, already aligned on respondent id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ParametersError
from ..framework import INDEX_COLUMN, Framework, load_framework
from ..scoring import score_outcomes, score_responses
from .responses import read_responses
from .store import BenchmarkStore


@dataclass
class BenchmarkData:
    """A benchmark population ready for analysis.

    Attributes
    ----------
    framework : Framework
    responses : DataFrame
        Survey answers, indexed by respondent id (the response file's columns).
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

    @classmethod
    def from_responses(
        cls, responses: pd.DataFrame, framework: Framework, *, wave: str | None = None, source: str = "responses"
    ) -> "BenchmarkData":
        """Score a response table (the id as column or index) into a population."""
        responses = framework.by_id(responses)
        return cls(framework, responses, score_responses(responses, framework),
                   score_outcomes(responses, framework), wave, source)


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
        raise ParametersError("give either a data file or a database, not both or neither")
    if data is None:
        with BenchmarkStore(db, read_only=True) as store:
            return wave_from_store(store, wave, framework=framework)
    if not isinstance(framework, Framework):
        framework = load_framework(framework)
    responses, _report = read_responses(data, framework)
    return BenchmarkData.from_responses(responses, framework, source=str(data))


def wave_from_store(
    store: BenchmarkStore, wave: str | None = None, *, framework: Framework | str | Path | None = None
) -> BenchmarkData:
    """A wave of an open store as :class:`BenchmarkData`.

    Without ``framework`` the wave's own framework and the scores stored at import are used
    (nothing is scored again); with another framework the answers are scored with it.

    Parameters
    ----------
    store : maturity.data.store.BenchmarkStore
    wave : str, optional
        Wave label (default: the latest wave).
    framework : Framework or path, optional
    """
    label = store.resolve_wave(wave)
    if framework is not None and not isinstance(framework, Framework):
        framework = load_framework(framework)
    fw = framework or store.framework(label)
    responses = fw.by_id(store.responses(label))
    responses.index = responses.index.astype(str)
    score_cols = [*fw.strand_ids, INDEX_COLUMN]
    outcome_cols = [g.id for g in fw.outcomes]
    stored = store.scores(label) if framework is None else None
    if stored is not None and set(score_cols + outcome_cols) <= set(stored.columns):
        stored.index = stored.index.astype(str)
        stored = stored.reindex(responses.index)
        scores, outcomes = stored[score_cols], stored[outcome_cols]
    else:
        scores, outcomes = score_responses(responses, fw), score_outcomes(responses, fw)
    return BenchmarkData(fw, responses, scores, outcomes, label, f"{getattr(store, 'path', 'benchmark database')} (wave {label})")
