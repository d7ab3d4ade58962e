"""Level 2, learning: the change from pre-test to post-test.

Effect sizes (Lakens 2013; Cumming 2012), as :func:`pingouin.compute_effsize` defines them:

- ``d_z`` = mean(post - pre) / sd(post - pre), with the exact interval from the
  noncentral t distribution (t = d_z * sqrt(n) on n - 1 degrees of freedom);
- ``g_av`` = (mean(post) - mean(pre)) / sqrt((sd_pre^2 + sd_post^2) / 2) times Hedges'
  correction 1 - 3 / (4 (2n) - 9), with a percentile bootstrap interval;
- normalised gain (Hake 1998): (mean post - mean pre) / (max - mean pre), the share of
  the possible improvement achieved.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .intervals import estimate, mean_interval, percentile_interval


def cohen_dz(pre: np.ndarray, post: np.ndarray) -> float:
    """Standardised paired change: mean / sd of ``post - pre``."""
    diff = np.asarray(post, float) - np.asarray(pre, float)
    return float(diff.mean() / diff.std(ddof=1))


def hedges_gav(pre: np.ndarray, post: np.ndarray) -> float:
    """Hedges' g_av of the change from ``pre`` to ``post`` (pingouin's paired ``hedges``)."""
    pre, post = np.asarray(pre, float), np.asarray(post, float)
    return float(_gav(pre[None, :], post[None, :])[0])


def _gav(pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    """g_av of each row of ``pre`` and ``post`` (vectorised for the bootstrap)."""
    n = pre.shape[1]
    d = (post.mean(axis=1) - pre.mean(axis=1)) / np.sqrt((pre.var(axis=1, ddof=1) + post.var(axis=1, ddof=1)) / 2)
    return d * (1 - 3 / (4 * (n + n) - 9))


def dz_interval(dz: float, n: int, confidence: float) -> tuple[float, float]:
    """Exact interval of d_z by inverting the noncentral t distribution."""
    if n < 3 or not np.isfinite(dz):
        return np.nan, np.nan
    df, t_obs = n - 1, dz * np.sqrt(n)
    alpha = (1 - confidence) / 2

    def bound(p: float) -> float:
        # The noncentrality whose distribution puts t_obs at quantile p.
        f = lambda nc: stats.nct.cdf(t_obs, df, nc) - p  # noqa: E731
        width = 10 + abs(t_obs) * 2
        return optimize.brentq(f, t_obs - width, t_obs + width)

    return bound(1 - alpha) / np.sqrt(n), bound(alpha) / np.sqrt(n)


def learning_summary(
    frame: pd.DataFrame, scale: tuple[float, float], *, confidence: float = 0.95, n_boot: int = 2000,
    rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Paired change from ``pre`` to ``post``, ``d_z``, ``g_av`` and normalised gain.

    Learners without both scores are left out (and counted in ``n_incomplete``).
    """
    rng = rng if rng is not None else np.random.default_rng()
    both = frame["pre"].notna() & frame["post"].notna()
    pre = frame.loc[both, "pre"].to_numpy(float)
    post = frame.loc[both, "post"].to_numpy(float)
    n = pre.size
    lo, hi = scale
    out: dict[str, Any] = {"n": int(n), "n_incomplete": int((~both).sum()), "scale": [lo, hi]}
    out["pre"] = estimate(*mean_interval(pre, confidence)[:2])
    out["post"] = estimate(*mean_interval(post, confidence)[:2])
    change, ci, _ = mean_interval(post - pre, confidence)
    out["change"] = estimate(change, ci, n=int(n))
    if n < 3 or np.std(post - pre) == 0:
        out["d_z"] = estimate(np.nan, None, n=int(n))
        out["g_av"] = estimate(np.nan, None, n=int(n))
        out["normalised_gain"] = estimate(np.nan, None, n=int(n))
        return out
    dz = cohen_dz(pre, post)
    out["d_z"] = estimate(dz, dz_interval(dz, n, confidence), n=int(n), method="noncentral t")
    index = rng.integers(0, n, size=(n_boot, n))
    boot_pre, boot_post = pre[index], post[index]
    out["g_av"] = estimate(hedges_gav(pre, post), percentile_interval(_gav(boot_pre, boot_post), confidence),
                           n=int(n), method="percentile bootstrap")
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = (post.mean() - pre.mean()) / (hi - pre.mean())
        boot_gain = (boot_post.mean(axis=1) - boot_pre.mean(axis=1)) / (hi - boot_pre.mean(axis=1))
    out["normalised_gain"] = estimate(gain, percentile_interval(boot_gain, confidence), n=int(n),
                                      method="percentile bootstrap")
    return out


def learning_by_learner(frame: pd.DataFrame) -> pd.Series:
    """Each learner's gain (post - pre) for the chain of evidence."""
    return (frame.set_index("learner_id")["post"] - frame.set_index("learner_id")["pre"]).rename("learning")
