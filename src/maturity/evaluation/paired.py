"""Standardised paired change (Lakens 2013; Cumming 2012), as :func:`pingouin.compute_effsize`
defines it, with intervals.

- ``d_z`` = mean(post - pre) / sd(post - pre), with the exact interval from the
  noncentral t distribution (t = d_z * sqrt(n) on n - 1 degrees of freedom);
- ``g_av`` = (mean(post) - mean(pre)) / sqrt((sd_pre^2 + sd_post^2) / 2) times Hedges'
  correction 1 - 3 / (4 (2n) - 9) (pingouin's paired ``hedges``).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats


def cohen_dz(pre: np.ndarray, post: np.ndarray) -> float:
    """Standardised paired change: mean / sd of ``post - pre``."""
    diff = np.asarray(post, float) - np.asarray(pre, float)
    return float(diff.mean() / diff.std(ddof=1))


def hedges_gav(pre: np.ndarray, post: np.ndarray) -> float:
    """Hedges' g_av of the change from ``pre`` to ``post`` (pingouin's paired ``hedges``)."""
    pre, post = np.asarray(pre, float), np.asarray(post, float)
    return float(gav_rows(pre[None, :], post[None, :])[0])


def gav_rows(pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    """g_av of each row of ``pre`` and ``post`` (vectorised for the bootstrap)."""
    n = pre.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):  # a resample of identical rows has no spread
        d = (post.mean(axis=1) - pre.mean(axis=1)) / np.sqrt((pre.var(axis=1, ddof=1) + post.var(axis=1, ddof=1)) / 2)
    return d * (1 - 3 / (4 * (n + n) - 9))


def dz_interval(dz: float, n: int, confidence: float) -> tuple[float, float]:
    """Exact interval of d_z by inverting the noncentral t distribution."""
    if n < 3 or not np.isfinite(dz):
        return np.nan, np.nan
    df, t_obs = n - 1, dz * np.sqrt(n)
    alpha = (1 - confidence) / 2

    # The noncentrality's standard error is about sqrt(1 + t^2 / (2 df)); a bracket of ten of
    # them holds the root and keeps scipy's noncentral t away from its numerically unstable tail.
    width = 10 * np.sqrt(1 + t_obs**2 / (2 * df))

    def bound(p: float) -> float:
        # The noncentrality whose distribution puts t_obs at quantile p.
        f = lambda nc: stats.nct.cdf(t_obs, df, nc) - p  # noqa: E731
        try:
            return optimize.brentq(f, t_obs - width, t_obs + width)
        except ValueError:  # far in the tail: the normal approximation of the noncentrality
            return t_obs - stats.norm.ppf(p) * width / 10

    return bound(1 - alpha) / np.sqrt(n), bound(alpha) / np.sqrt(n)
