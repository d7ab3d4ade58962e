"""Whether individual answers describe their groups: ICC(1), ICC(2) and rwg agreement.

Learners are nested in organisations. Before a mean of learners' answers is read as a
property of their organisation, two questions need answers (Bliese, 2000):

* **ICC(1)**: how much of the variance of one learner's answer lies between organisations;
* **ICC(2)**: how reliable an organisation's mean of its learners' answers is.

Both come from a one-way ANOVA with the organisation as the factor. With unequal group
sizes the group size in ICC(1) is the adjusted mean size
``k = (N - sum(n_j**2) / N) / (G - 1)``::

    ICC(1) = (MSB - MSW) / (MSB + (k - 1) * MSW)
    ICC(2) = (MSB - MSW) / MSB

**rwg** (James, Demaree & Wolf, 1984) measures agreement within one group on one item
against a uniform null distribution of an A-point scale, variance ``(A**2 - 1) / 12``;
**rwg(j)** does the same for a J-item scale from the mean of its item variances. Where the
observed variance exceeds the null variance agreement is set to 0 (the usual truncation).

Every function works from per-group summaries (n, mean, variance), so the same code serves
a DataFrame in memory and a ``GROUP BY`` computed by DuckDB.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import AnalysisError

__all__ = ["group_summary", "icc_from_summary", "icc", "uniform_null_variance", "rwg", "rwg_j"]


def group_summary(values: pd.Series | np.ndarray, groups: pd.Series | np.ndarray) -> pd.DataFrame:
    """Per-group count, mean and sample variance of the non-missing values.

    Parameters
    ----------
    values : array-like of float
        One value per individual (NaN = missing).
    groups : array-like
        The group of each individual.

    Returns
    -------
    DataFrame
        Indexed by group: ``n``, ``mean``, ``var`` (ddof 1; NaN for a group of one).
    """
    frame = pd.DataFrame({"value": np.asarray(values, dtype=float), "group": np.asarray(groups)})
    frame = frame.dropna(subset=["value"])
    out = frame.groupby("group", sort=True)["value"].agg(n="count", mean="mean", var="var")
    out["n"] = out["n"].astype(np.int64)
    return out


def icc_from_summary(n: np.ndarray, mean: np.ndarray, var: np.ndarray) -> dict[str, float]:
    """ICC(1) and ICC(2) from per-group counts, means and variances (one-way ANOVA).

    Parameters
    ----------
    n, mean, var : array-like
        Per group: the count, mean and sample variance (ddof 1; ignored where n is 1).
        Groups with ``n == 0`` are left out.

    Returns
    -------
    dict
        ``icc1``, ``icc2``, ``msb``, ``msw``, ``f``, ``k`` (adjusted mean group size),
        ``n`` (individuals) and ``n_groups``. The ICCs are NaN when there are fewer than
        two groups or no within-group degrees of freedom.
    """
    n = np.asarray(n, dtype=float)
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    keep = n > 0
    n, mean, var = n[keep], mean[keep], var[keep]
    groups = len(n)
    total = float(n.sum())
    out = {"icc1": np.nan, "icc2": np.nan, "msb": np.nan, "msw": np.nan, "f": np.nan, "k": np.nan,
           "n": int(total), "n_groups": int(groups)}
    if groups < 2 or total - groups < 1:
        return out
    grand = float((n * mean).sum() / total)
    ssb = float((n * (mean - grand) ** 2).sum())
    ssw = float(np.where(n > 1, (n - 1) * np.nan_to_num(var), 0.0).sum())
    msb = ssb / (groups - 1)
    msw = ssw / (total - groups)
    k = (total - float((n ** 2).sum()) / total) / (groups - 1)
    out.update(msb=msb, msw=msw, k=k)
    if msb > 0:
        out["icc2"] = (msb - msw) / msb
    if msw > 0:
        out["f"] = msb / msw
    denominator = msb + (k - 1) * msw
    if denominator > 0:
        out["icc1"] = (msb - msw) / denominator
    return out


def icc(data: pd.DataFrame, dv: str, group: str) -> dict[str, float]:
    """ICC(1) and ICC(2) of ``dv`` nested in ``group`` (DataFrame in, dict out).

    Parameters
    ----------
    data : DataFrame
        One row per individual.
    dv : str
        Column of the answers (NaN = missing, left out).
    group : str
        Column of the group (organisation) id.

    Returns
    -------
    dict
        As :func:`icc_from_summary`.

    Examples
    --------
    >>> frame = pd.DataFrame({"org": list("aabbcc"), "x": [1, 2, 4, 5, 1, 1.5]})
    >>> round(icc(frame, "x", "org")["icc2"], 3)
    0.943
    """
    for column in (dv, group):
        if column not in data.columns:
            raise AnalysisError(f"no column '{column}' in the data")
    summary = group_summary(data[dv], data[group])
    return icc_from_summary(summary["n"], summary["mean"], summary["var"])


def uniform_null_variance(n_options: int) -> float:
    """Variance of a uniform answer over ``n_options`` equally spaced points: ``(A**2 - 1) / 12``."""
    if n_options < 2:
        raise AnalysisError(f"a scale needs at least two options, got {n_options}")
    return (n_options ** 2 - 1) / 12.0


def rwg(variance: np.ndarray | float, n_options: int) -> np.ndarray:
    """Single-item within-group agreement ``1 - s**2 / sigma_EU**2``, truncated to [0, 1].

    Parameters
    ----------
    variance : float or array
        Observed within-group sample variance(s) of the item.
    n_options : int
        Points on the answer scale (A).
    """
    ratio = np.asarray(variance, dtype=float) / uniform_null_variance(n_options)
    return np.where(np.isnan(ratio), np.nan, np.clip(1.0 - ratio, 0.0, 1.0))


def rwg_j(item_variances: np.ndarray, n_options: int) -> np.ndarray:
    """Multi-item within-group agreement rwg(j) of James, Demaree & Wolf (1984).

    Parameters
    ----------
    item_variances : array, shape (n_groups, J) or (J,)
        Each group's observed sample variance on each of the scale's J items (NaN items
        are left out of that group's mean variance).
    n_options : int
        Points on the items' answer scale (A); the null variance is ``(A**2 - 1) / 12``.

    Returns
    -------
    ndarray
        One rwg(j) per group, in [0, 1] (0 where the mean variance is at least the null
        variance); NaN for a group with no item variance.
    """
    variances = np.atleast_2d(np.asarray(item_variances, dtype=float))
    present = ~np.isnan(variances)
    n_items = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_var = np.where(n_items > 0, np.nansum(variances, axis=1) / np.maximum(n_items, 1), np.nan)
        ratio = mean_var / uniform_null_variance(n_options)
        agreement = n_items * (1.0 - ratio)
        value = agreement / (agreement + ratio)
    value = np.where(ratio >= 1.0, 0.0, value)
    return np.where(np.isnan(ratio), np.nan, np.clip(value, 0.0, 1.0))
