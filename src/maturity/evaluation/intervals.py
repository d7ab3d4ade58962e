"""Interval helpers shared by the levels: t intervals of a mean, percentile bootstrap
intervals, Fisher intervals of a correlation."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..values import float_or_none


def estimate(value: float, ci: tuple[float, float] | None, **extra: Any) -> dict[str, Any]:
    """A figure as ``{"estimate", "ci": [lo, hi], ...}`` with missing values as None."""
    lo, hi = ci if ci is not None else (np.nan, np.nan)
    return {"estimate": float_or_none(value), "ci": [float_or_none(lo), float_or_none(hi)], **extra}


def mean_interval(values: np.ndarray, confidence: float) -> tuple[float, tuple[float, float], int]:
    """Mean of the finite values, its t interval and n."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = values.size
    if n == 0:
        return np.nan, (np.nan, np.nan), 0
    mean = float(values.mean())
    if n < 2:
        return mean, (np.nan, np.nan), n
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return mean, (mean - half, mean + half), n


def percentile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of bootstrap draws (NaN draws, from degenerate resamples, dropped)."""
    draws = np.asarray(draws, dtype=float)
    draws = draws[np.isfinite(draws)]
    if draws.size < 10:
        return np.nan, np.nan
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(draws, [alpha, 1 - alpha])
    return float(lo), float(hi)


def cluster_bootstrap_interval(center: float, draws: np.ndarray, confidence: float,
                               n_clusters: int) -> tuple[float, float]:
    """Interval of a figure from a cluster bootstrap: its bootstrap standard error, inflated by
    sqrt(G / (G - 1)), times the t quantile on G - 1 degrees of freedom (G clusters).

    With few clusters the percentile interval of a cluster bootstrap runs narrow (about 90%
    for a nominal 95% with a dozen clusters a group); this interval keeps its nominal rate, as
    the analytic cluster-robust interval does (Cameron and Miller 2015).
    """
    draws = np.asarray(draws, dtype=float)
    draws = draws[np.isfinite(draws)]
    if draws.size < 10 or n_clusters < 2 or not np.isfinite(center):
        return np.nan, np.nan
    se = draws.std(ddof=1) * np.sqrt(n_clusters / (n_clusters - 1))
    half = stats.t.ppf(0.5 + confidence / 2, n_clusters - 1) * se
    return float(center - half), float(center + half)


def correlation(x: np.ndarray, y: np.ndarray, confidence: float) -> dict[str, Any]:
    """Pearson correlation of the pairs where both are finite, with its Fisher interval."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    both = np.isfinite(x) & np.isfinite(y)
    x, y = x[both], y[both]
    n = int(both.sum())
    if n < 4 or np.std(x) == 0 or np.std(y) == 0:
        return estimate(np.nan, None, n=n)
    result = stats.pearsonr(x, y)
    ci = result.confidence_interval(confidence_level=confidence)
    return estimate(float(result.statistic), (ci.low, ci.high), n=n, p=float_or_none(result.pvalue))
