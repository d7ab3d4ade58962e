"""Level 1, reaction: how participants rated the programme, and whether they would recommend it."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from .intervals import estimate, mean_interval, percentile_interval


def net_promoter_score(recommend: np.ndarray) -> float:
    """Net Promoter Score of 0-10 answers: % promoters (9-10) minus % detractors (0-6)."""
    recommend = np.asarray(recommend, dtype=float)
    recommend = recommend[np.isfinite(recommend)]
    if recommend.size == 0:
        return np.nan
    return float(100 * (np.mean(recommend >= 9) - np.mean(recommend <= 6)))


def nps_bootstrap(recommend: np.ndarray, *, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap draws of the NPS. Resampling n answers only changes the counts of
    promoters, passives and detractors, so the draws are multinomial counts: exact, and
    fast for any n."""
    recommend = np.asarray(recommend, dtype=float)
    recommend = recommend[np.isfinite(recommend)]
    n = recommend.size
    if n == 0:
        return np.full(n_boot, np.nan)
    shares = [np.mean(recommend >= 9), np.mean((recommend > 6) & (recommend < 9)), np.mean(recommend <= 6)]
    counts = rng.multinomial(n, shares, size=n_boot)
    return 100 * (counts[:, 0] - counts[:, 2]) / n


def reaction_summary(
    frame: pd.DataFrame, items: Sequence[str], scale: tuple[float, float], *, confidence: float = 0.95,
    n_boot: int = 2000, rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Item means with t intervals, the overall mean (0-100 as well), and the NPS with a
    bootstrap interval.

    Parameters
    ----------
    frame : DataFrame
        One row per learner: the items and optionally ``recommend`` (0-10).
    items : sequence of str
    scale : (min, max)
    confidence : float
    n_boot : int
    rng : Generator, optional

    Returns
    -------
    dict
        ``n``, ``items`` ({item: {estimate, ci, n}}), ``overall`` ({estimate, ci, n, percent}),
        ``nps`` ({estimate, ci, n, promoters, detractors}) or None without ``recommend``.
    """
    rng = rng if rng is not None else np.random.default_rng()
    lo, hi = scale
    out: dict[str, Any] = {"n": int(len(frame)), "scale": [lo, hi], "items": {}}
    for item in items:
        mean, ci, n = mean_interval(frame[item].to_numpy(), confidence)
        out["items"][item] = estimate(mean, ci, n=n)
    person = frame[list(items)].mean(axis=1).to_numpy() if items else np.full(len(frame), np.nan)
    mean, ci, n = mean_interval(person, confidence)
    out["overall"] = estimate(mean, ci, n=n, percent=None if n == 0 else 100 * (mean - lo) / (hi - lo))
    out["nps"] = None
    if "recommend" in frame:
        answers = frame["recommend"].to_numpy(dtype=float)
        answered = answers[np.isfinite(answers)]
        draws = nps_bootstrap(answered, n_boot=n_boot, rng=rng)
        out["nps"] = estimate(
            net_promoter_score(answered), percentile_interval(draws, confidence), n=int(answered.size),
            promoters=float(np.mean(answered >= 9)) if answered.size else None,
            detractors=float(np.mean(answered <= 6)) if answered.size else None,
        )
    return out


def reaction_by_learner(frame: pd.DataFrame, items: Sequence[str]) -> pd.Series:
    """Each learner's mean reaction over the items (for the chain of evidence)."""
    return frame.set_index("learner_id")[list(items)].mean(axis=1).rename("reaction")
