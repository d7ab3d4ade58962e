"""Outcome drivers: how each strand relates to each outcome group.

:func:`driver_table`
    For every outcome group, an ordinary least-squares regression of the outcome score on
    all strand scores, both standardised (z-scores), so each ``beta`` is the change in the
    outcome, in SDs, for one SD more of that strand with the other strands held constant.
    95% CIs are percentile intervals over seeded bootstrap resamples of organisations (the
    whole regression refitted on each resample). ``r`` is the plain Pearson correlation of
    the strand with the outcome, on the same organisations.
:func:`strand_importance`
    One weight per strand (>= 0, summing to 1) for prioritising advice: Johnson's (2000)
    relative weights, which split each regression's R^2 among correlated predictors (they
    closely track general dominance weights), normalised per outcome group and averaged
    over the groups.

Only organisations with every strand score and the outcome are used (listwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..framework import Framework

__all__ = ["driver_table", "strand_importance", "relative_weights", "driver_sentences"]


def _design(scores: pd.DataFrame, outcomes: pd.DataFrame, framework: Framework) -> tuple[list[str], list[str]]:
    strands = [s for s in framework.strand_ids if s in scores.columns]
    if not strands:
        raise AnalysisError("the scores have none of the framework's strand columns")
    if not framework.outcomes:
        raise AnalysisError(
            f"framework '{framework.id}' defines no outcomes, so strands cannot be related to outcomes"
        )
    groups = [g.id for g in framework.outcomes if g.id in outcomes.columns]
    if not groups:
        raise AnalysisError("the outcome table has none of the framework's outcome groups; score them first (score_outcomes)")
    return strands, groups


def _rows(scores: pd.DataFrame, outcomes: pd.DataFrame, strands: list[str], group: str) -> tuple[np.ndarray, np.ndarray]:
    joined = scores[strands].join(outcomes[[group]], how="inner")
    values = joined.to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values).any(axis=1)]
    if len(values) < len(strands) + 3:
        raise AnalysisError(
            f"only {len(values)} organisation(s) have every strand score and outcome '{group}'; "
            f"at least {len(strands) + 3} are needed"
        )
    return values[:, :-1], values[:, -1]


def _standardised_betas(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    sx = x.std(axis=0, ddof=1)
    sy = y.std(ddof=1)
    if (sx <= 0).any() or sy <= 0:
        return np.full(x.shape[1], np.nan)
    zx = (x - x.mean(axis=0)) / sx
    zy = (y - y.mean()) / sy
    return np.linalg.lstsq(zx, zy, rcond=None)[0]


def driver_table(
    scores: pd.DataFrame,
    outcomes: pd.DataFrame,
    framework: Framework,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Standardised regression coefficients (with bootstrap CIs) and correlations.

    Parameters
    ----------
    scores : DataFrame
        Strand scores per organisation (columns named by strand id).
    outcomes : DataFrame
        Outcome-group scores per organisation (same index), e.g. from
        :func:`maturity.score_outcomes`.
    framework : Framework
    n_boot : int
        Bootstrap resamples for the CIs (0: no CIs).
    seed : int
        Seed of the resampling.
    ci : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row per (outcome, strand): ``outcome``, ``strand``, ``beta``, ``ci_low``,
        ``ci_high``, ``r``, ``n``.

    Raises
    ------
    AnalysisError
        The framework has no outcomes, or too few organisations have complete data.

    Examples
    --------
    >>> import maturity
    >>> from maturity.analysis.drivers import driver_table
    >>> bench = maturity.generate_benchmark(300, seed=4)
    >>> fw = bench.framework
    >>> table = driver_table(maturity.score_responses(bench.responses, fw),
    ...                      maturity.score_outcomes(bench.responses, fw), fw, n_boot=200)
    >>> list(table.columns)
    ['outcome', 'strand', 'beta', 'ci_low', 'ci_high', 'r', 'n']
    """
    strands, groups = _design(scores, outcomes, framework)
    rng = np.random.default_rng(seed)
    tail = (1.0 - ci) / 2.0
    parts = []
    for group in groups:
        x, y = _rows(scores, outcomes, strands, group)
        n = len(y)
        beta = _standardised_betas(x, y)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.array([np.corrcoef(x[:, j], y)[0, 1] for j in range(x.shape[1])])
        low = high = np.full(len(strands), np.nan)
        if n_boot > 0:
            draws = np.array([_standardised_betas(x[idx], y[idx]) for idx in rng.integers(0, n, size=(n_boot, n))])
            low, high = np.nanquantile(draws, [tail, 1.0 - tail], axis=0)
        parts.append(pd.DataFrame({"outcome": group, "strand": strands, "beta": beta, "ci_low": low,
                                   "ci_high": high, "r": r, "n": n}))
    return pd.concat(parts, ignore_index=True)


def relative_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights of the columns of ``x`` for ``y`` (they sum to R^2).

    With ``R = Q diag(e) Q'`` the predictors' correlation matrix and ``L = Q diag(sqrt e) Q'``
    its symmetric square root, the outcome is regressed on the orthogonal counterparts
    ``Z = X L^-1``: ``b = L^-1 r_xy``; the weight of predictor j is ``sum_k L_jk^2 b_k^2``.
    """
    data = np.column_stack([x, y])
    corr = np.corrcoef(data, rowvar=False)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 1e-12, None)
    root = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    b = np.linalg.solve(root, rxy)
    return (root**2) @ (b**2)


def strand_importance(
    scores: pd.DataFrame,
    outcomes: pd.DataFrame,
    framework: Framework,
    *,
    seed: int = 0,
    n_boot: int = 0,
) -> pd.Series:
    """How much each strand matters for the outcomes: weights >= 0 that sum to 1.

    Parameters
    ----------
    scores, outcomes : DataFrame
        As for :func:`driver_table`.
    framework : Framework
    seed : int
        Seed of the resampling when ``n_boot > 0``.
    n_boot : int
        0 (default): relative weights of the whole population. Above 0: their mean over
        that many bootstrap resamples (steadier for small benchmarks).

    Returns
    -------
    Series
        Strand id -> weight, in framework order.
    """
    strands, groups = _design(scores, outcomes, framework)
    rng = np.random.default_rng(seed)
    per_group = []
    for group in groups:
        x, y = _rows(scores, outcomes, strands, group)
        if n_boot > 0:
            draws = [relative_weights(x[idx], y[idx]) for idx in rng.integers(0, len(y), size=(n_boot, len(y)))]
            raw = np.nanmean(np.array(draws), axis=0)
        else:
            raw = relative_weights(x, y)
        total = raw.sum()
        per_group.append(raw / total if total > 0 else np.full(len(strands), 1.0 / len(strands)))
    weights = np.mean(per_group, axis=0)
    weights = np.clip(weights, 0.0, None)
    return pd.Series(weights / weights.sum(), index=pd.Index(strands, name="strand"), name="importance")


def driver_sentences(table: pd.DataFrame, framework: Framework) -> list[str]:
    """Plain sentences naming the strongest driver of each outcome group."""
    names = framework.strand_names()
    groups = {g.id: g.name for g in framework.outcomes}
    out = []
    for group, rows in table.groupby("outcome", sort=False):
        rows = rows.sort_values("beta", ascending=False)
        top = rows.iloc[0]
        clear = rows[rows["ci_low"] > 0] if rows["ci_low"].notna().any() else rows.iloc[:0]
        sentence = (f"{groups.get(group, group)} rises most with {names.get(top['strand'], top['strand'])} "
                    f"(standardised coefficient {top['beta']:.2f}, the other strands held constant)")
        if rows["ci_low"].notna().any():
            sentence += (f"; {len(clear)} of {len(rows)} strands have a coefficient whose 95% interval "
                         f"lies above zero.")
        else:
            sentence += "."
        out.append(sentence)
    if len(table):
        out.append(f"Taken one at a time every strand correlates with the outcomes (r from {table['r'].min():.2f} "
                   f"to {table['r'].max():.2f}), because maturity moves all strands together; the coefficients "
                   f"show which strands add to the others.")
    return out
