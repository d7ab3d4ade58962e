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

from .intervals import estimate, mean_interval, percentile_interval
from .paired import cohen_dz, dz_interval, gav_rows, hedges_gav


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
    out["g_av"] = estimate(hedges_gav(pre, post), percentile_interval(gav_rows(boot_pre, boot_post), confidence),
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
