"""Money: the programme's benefit against its cost.

benefit of a KPI = isolated effect per trained unit x trained units x value per unit (one
period), signed so that an improvement is positive; total benefit = sum over KPIs;
ROI % = (benefit - cost) / cost x 100; benefit-cost ratio (BCR) = benefit / cost. Each
has a bootstrap interval from the same resamples of clusters (their standard error with a
small-sample t quantile, :func:`~maturity.evaluation.intervals.cluster_bootstrap_interval`),
and a *conservative reading*:
the lower end of its interval, the figure a skeptical leader can rely on.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .intervals import cluster_bootstrap_interval, estimate


def roi_summary(benefits: Mapping[str, float], draws: Mapping[str, np.ndarray], cost: float, *,
                n_clusters: int, confidence: float = 0.95) -> dict[str, Any]:
    """Total benefit, ROI % and BCR with intervals and conservative readings.

    Parameters
    ----------
    benefits : mapping
        KPI -> central benefit (money).
    draws : mapping
        KPI -> bootstrap draws of its benefit (all of one length, from shared resamples).
    cost : float
        The programme's total cost (> 0).
    n_clusters : int
        Clusters the draws resampled (for the small-sample t quantile).
    confidence : float

    Returns
    -------
    dict
        ``cost``, ``benefit``, ``net_benefit``, ``percent``, ``bcr`` (each ``estimate``, ``ci``,
        ``conservative``), ``break_even_probability`` (share of resamples with benefit >= cost).
    """
    if not benefits:
        return {"cost": cost, "benefit": None, "percent": None, "bcr": None, "net_benefit": None,
                "break_even_probability": None}
    total = float(sum(benefits.values()))
    total_draws = np.sum([np.asarray(d, float) for d in draws.values()], axis=0)

    def figure(central: float, sampled: np.ndarray) -> dict[str, Any]:
        lo, hi = cluster_bootstrap_interval(central, sampled, confidence, n_clusters)
        return {**estimate(central, (lo, hi)), "conservative": estimate(lo, None)["estimate"]}

    finite = total_draws[np.isfinite(total_draws)]
    return {
        "cost": cost,
        "benefit": figure(total, total_draws),
        "net_benefit": figure(total - cost, total_draws - cost),
        "percent": figure(100 * (total - cost) / cost, 100 * (total_draws - cost) / cost),
        "bcr": figure(total / cost, total_draws / cost),
        "break_even_probability": float(np.mean(finite >= cost)) if finite.size else None,
        "method": "bootstrap over clusters (or units), shared by every KPI; standard error with a t quantile on G - 1 df",
    }
