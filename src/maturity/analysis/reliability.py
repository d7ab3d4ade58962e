"""Reliability of each strand: Cronbach's alpha (with Feldt CI), standardised alpha,
McDonald's omega total, item-rest correlations and alpha if an item is deleted.

Definitions (chosen to agree with R ``psych::alpha`` and with ``pingouin.cronbach_alpha``):

``C``
    The item covariance matrix (divisor n - 1) after the missing-data policy:

    - ``pairwise`` (default, as ``psych::alpha(use="pairwise")`` and pingouin's
      ``nan_policy="pairwise"``): each covariance from the respondents who answered both
      items, with the means of those respondents (pandas ``DataFrame.cov``);
    - ``listwise`` (as ``psych::alpha(use="complete.obs")``): only respondents who answered
      every item of the strand;
    - ``median`` (as ``psych::scoreItems(impute="median")``): each missing answer replaced
      by its item's median, then the ordinary covariance.
alpha
    ``k/(k-1) * (1 - tr(C)/sum(C))`` (psych ``raw_alpha``).
standardised alpha
    The same on the correlation matrix ``R = cov2cor(C)``: ``k/(k-1) * (1 - k/sum(R))``.
Feldt 95% CI
    ``1 - (1 - alpha) * F(q, n-1, (n-1)(k-1))`` for q = 0.975 (lower) and 0.025 (upper)
    (Feldt, Woodruff & Salih 1987), as ``psych::alpha.ci`` and pingouin. ``n`` is the number
    of respondents in the analysis (psych's ``nsub``, pingouin's ``n``): as in both
    libraries it is the same under every missing-data policy, even ``listwise``.
item-rest correlation
    psych's ``r.drop``: ``(sum_j C_ij - C_ii) / sqrt(C_ii * sum(C without item i))``.
alpha if deleted
    alpha of ``C`` with the item's row and column removed (psych ``alpha.drop``).
omega total
    From a one-factor model of ``C``: ``(sum lambda)^2 / ((sum lambda)^2 + sum psi)``.
    ``omega="ml"`` (default) estimates the loadings by maximum likelihood (Joreskog's
    algorithm as in R ``factanal``, bounds psi >= 0.005 on the correlation scale); this is
    McDonald's omega of a lavaan one-factor CFA (``cfa("f =~ x1 + ... + xk")``) with the
    model-implied total variance, i.e. ``semTools::reliability()``'s ``omega`` and
    ``compRelSEM(obs.var = FALSE)``. ``omega="minres"`` reproduces
    ``psych::omega(x, nfactors = 1)$omega.tot``: unweighted least squares (minres) on the
    correlation matrix and the observed total, ``1 - sum(1 - h2) / sum(R)``. Omega is
    missing (NaN) for strands of fewer than three items (ML) and when a pairwise correlation
    matrix is not positive definite (ML needs it).

Respondents who answered none of a strand's items are left out of that strand (they carry
no information and would only narrow the Feldt interval). Reverse-coded items are reversed
first (``min + max - x``).

Everything is matrix arithmetic over the respondent x item matrix; 100,000 respondents x
six strands take a fraction of a second.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from ..errors import AnalysisError, ParametersError
from ..framework import Framework, Strand
from ..scoring import answer_values
from ..values import float_or_none

__all__ = [
    "MISSING_POLICIES",
    "OMEGA_METHODS",
    "item_covariance",
    "scale_reliability",
    "item_statistics",
    "strand_items",
    "reliability",
    "item_reliability",
    "reliability_report",
    "data_quality",
    "one_factor",
    "reliability_sentences",
]

MISSING_POLICIES = ("pairwise", "listwise", "median")
OMEGA_METHODS = ("ml", "minres")

Missing = Literal["pairwise", "listwise", "median"]


# --- covariance under a missing-data policy --------------------------------------------------


def _check_missing(missing: str) -> None:
    if missing not in MISSING_POLICIES:
        raise ParametersError(f"missing-data policy must be one of {', '.join(MISSING_POLICIES)}, got '{missing}'")


def _pairwise_cov(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariance (divisor n_ij - 1) and the pair counts n_ij.

    For each pair the means are those of the respondents who answered both items, exactly
    as pandas ``DataFrame.cov`` computes it. Columns are centred first (covariance is
    shift invariant per pair) so the one-pass sums lose no precision.
    """
    present = ~np.isnan(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing column: NaN mean
        centre = np.nanmean(x, axis=0)
    z = np.where(present, x - centre, 0.0)
    m = present.astype(float)
    n_pair = m.T @ m
    cross = z.T @ z
    sums = z.T @ m  # sums[i, j]: sum of item i over respondents who answered i and j
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (cross - sums * sums.T / n_pair) / (n_pair - 1)
    cov[n_pair < 2] = np.nan
    return cov, n_pair


def item_covariance(items: pd.DataFrame, missing: Missing = "pairwise") -> pd.DataFrame:
    """Item covariance matrix (divisor n - 1) under a missing-data policy.

    Parameters
    ----------
    items : DataFrame
        Numeric answers, one column per item (NaN = missing).
    missing : {"pairwise", "listwise", "median"}

    Returns
    -------
    DataFrame
        Items x items.
    """
    _check_missing(missing)
    return pd.DataFrame(_covariance(_as_matrix(items), missing), index=items.columns, columns=items.columns)


def _as_matrix(items: pd.DataFrame) -> np.ndarray:
    try:
        return items.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise AnalysisError("reliability needs numeric answers; convert labels first (maturity.scoring.answer_values)") from None


def _covariance(x: np.ndarray, missing: str) -> np.ndarray:
    if missing == "pairwise":
        return _pairwise_cov(x)[0]
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
    else:  # median fill, per item
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(x, axis=0)
        x = np.where(np.isnan(x), med, x)
    if len(x) < 2:
        return np.full((x.shape[1], x.shape[1]), np.nan)
    return np.cov(x, rowvar=False, ddof=1).reshape(x.shape[1], x.shape[1])


# --- alpha and its relatives -----------------------------------------------------------------


def _alpha(c: np.ndarray) -> float:
    k = c.shape[0]
    total = c.sum()
    if k < 2 or not np.isfinite(total) or total == 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(c) / total))


def _cov2cor(c: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(c))
    with np.errstate(invalid="ignore", divide="ignore"):
        return c / np.outer(sd, sd)


def feldt_ci(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval for coefficient alpha.

    ``1 - (1 - alpha) * F`` with F quantiles of (n - 1, (n - 1)(k - 1)) degrees of freedom.
    """
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return float("nan"), float("nan")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1.0 - level) / 2.0
    lower = 1.0 - (1.0 - alpha) * stats.f.isf(tail, df1, df2)
    upper = 1.0 - (1.0 - alpha) * stats.f.isf(1.0 - tail, df1, df2)
    return float(lower), float(upper)


def _drop_one(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alpha if each item is deleted and each item-rest correlation, from ``C`` at once."""
    k = c.shape[0]
    if k < 2:
        return np.full(k, np.nan), np.full(k, np.nan)
    diag = np.diag(c)
    row = c.sum(axis=1)
    total = c.sum()
    rest_var = total - 2.0 * row + diag          # sum of C without row/column i
    rest_cov = row - diag                        # covariance of item i with the rest
    with np.errstate(invalid="ignore", divide="ignore"):
        item_rest = rest_cov / np.sqrt(diag * rest_var)
        if k >= 3:
            rest_trace = np.trace(c) - diag
            alpha_drop = (k - 1) / (k - 2) * (1.0 - rest_trace / rest_var)
        else:
            alpha_drop = np.full(k, np.nan)   # a single remaining item has no alpha
    return alpha_drop, item_rest


def scale_reliability(
    items: pd.DataFrame,
    *,
    missing: Missing = "pairwise",
    ci: float = 0.95,
    omega: str = "ml",
) -> pd.Series:
    """Reliability of one scale (items already reverse-coded where needed).

    Parameters
    ----------
    items : DataFrame
        Numeric answers, one column per item; every row is counted as a respondent.
    missing : {"pairwise", "listwise", "median"}
        Missing-data policy (see the module docstring).
    ci : float
        Confidence level of the Feldt interval.
    omega : {"ml", "minres"}
        Estimator of the one-factor model behind omega total.

    Returns
    -------
    Series
        ``alpha``, ``alpha_ci_low``, ``alpha_ci_high``, ``std_alpha``, ``omega_total``,
        ``n_respondents``, ``n_complete``, ``n_items``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(300, 1))
    >>> items = pd.DataFrame(f + rng.normal(size=(300, 4)), columns=list("abcd"))
    >>> round(float(scale_reliability(items)["alpha"]), 2)
    0.81
    """
    _check_missing(missing)
    _check_omega(omega)
    x = _as_matrix(items)
    c = _covariance(x, missing)
    return pd.Series(_scale_stats(x, c, ci=ci, omega=omega), dtype=float)


def _scale_stats(x: np.ndarray, c: np.ndarray, *, ci: float, omega: str) -> dict[str, float]:
    n, k = x.shape
    alpha = _alpha(c)
    low, high = feldt_ci(alpha, n, k, ci)
    r = _cov2cor(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        std_alpha = float(k / (k - 1) * (1.0 - k / r.sum())) if k >= 2 else float("nan")
    return {
        "alpha": alpha,
        "alpha_ci_low": low,
        "alpha_ci_high": high,
        "std_alpha": std_alpha,
        "omega_total": _omega(c, omega),
        "n_respondents": float(n),
        "n_complete": float((~np.isnan(x).any(axis=1)).sum()),
        "n_items": float(k),
    }


def item_statistics(items: pd.DataFrame, *, missing: Missing = "pairwise") -> pd.DataFrame:
    """Per item: answers, mean, SD, item-rest correlation and alpha if the item is deleted.

    Returns
    -------
    DataFrame
        Indexed by item; ``n``, ``mean``, ``sd``, ``item_rest_r``, ``alpha_if_deleted``.
    """
    _check_missing(missing)
    x = _as_matrix(items)
    c = _covariance(x, missing)
    alpha_drop, item_rest = _drop_one(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = pd.DataFrame(
            {
                "n": (~np.isnan(x)).sum(axis=0),
                "mean": np.nanmean(x, axis=0),
                "sd": np.nanstd(x, axis=0, ddof=1),
                "item_rest_r": item_rest,
                "alpha_if_deleted": alpha_drop,
            },
            index=items.columns,
        )
    out.index.name = "item"
    return out


# --- omega total from a one-factor model -----------------------------------------------------


def _check_omega(method: str) -> None:
    if method not in OMEGA_METHODS:
        raise ParametersError(f"omega estimator must be one of {', '.join(OMEGA_METHODS)}, got '{method}'")


def one_factor(cov: np.ndarray | pd.DataFrame, method: str = "ml") -> tuple[np.ndarray, np.ndarray]:
    """Fit a one-factor model to a covariance matrix; return loadings and uniquenesses.

    Parameters
    ----------
    cov : array (k, k)
        Covariance (or correlation) matrix.
    method : {"ml", "minres"}
        ``ml``: maximum likelihood (Joreskog 1967; the algorithm of R ``factanal``:
        L-BFGS-B over the uniquenesses of the correlation matrix, bounded below by 0.005),
        rescaled to the covariance metric. The solution is scale free, so it is the ML
        one-factor CFA whatever the divisor of ``cov``. ``minres``: iterated principal axes
        on the correlation matrix until the communalities change by less than 1e-12, the
        unweighted least squares solution psych's ``fa(fm = "minres")`` finds; returned on
        the correlation metric.

    Returns
    -------
    (loadings, uniquenesses) : tuple of arrays (k,)
        Loadings signed so that their sum is positive.
    """
    _check_omega(method)
    c = np.asarray(cov, dtype=float)
    k = c.shape[0]
    if k < 2 or not np.isfinite(c).all():
        raise AnalysisError("a one-factor model needs at least two items and a finite covariance matrix")
    sd = np.sqrt(np.diag(c))
    if (sd <= 0).any():
        raise AnalysisError("a one-factor model cannot be fitted when an item has no variance")
    r = c / np.outer(sd, sd)
    if method == "minres":
        lam, psi = _minres_one_factor(r)
        sign = 1.0 if lam.sum() >= 0 else -1.0
        return sign * lam, psi
    if k < 3:
        raise AnalysisError("a maximum-likelihood one-factor model needs at least three items")
    lam, psi = _ml_one_factor(r)
    sign = 1.0 if lam.sum() >= 0 else -1.0
    return sign * lam * sd, psi * sd**2


def _ml_one_factor(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = r.shape[0]
    if np.linalg.eigvalsh(r)[0] <= 0:
        raise AnalysisError("the item correlation matrix is not positive definite; a maximum-likelihood factor model needs it")

    def fit(psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scale = 1.0 / np.sqrt(psi)
        values, vectors = np.linalg.eigh(r * np.outer(scale, scale))
        return values[::-1], vectors[:, ::-1]

    def objective(psi: np.ndarray) -> float:
        e = fit(psi)[0][1:]
        return float(-(np.sum(np.log(e) - e) - 1 + k))

    def gradient(psi: np.ndarray) -> np.ndarray:
        values, vectors = fit(psi)
        lam = np.sqrt(psi) * vectors[:, 0] * np.sqrt(max(values[0] - 1.0, 0.0))
        return (lam**2 + psi - 1.0) / psi**2

    start = np.clip((1.0 - 0.5 * 1 / k) / np.diag(np.linalg.inv(r)), 0.005, 1.0)  # factanal's start
    res = optimize.minimize(objective, start, jac=gradient, method="L-BFGS-B",
                            bounds=[(0.005, 1.0)] * k, options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 1000})
    if not res.success and not np.isfinite(res.fun):
        raise AnalysisError(f"the one-factor model did not converge ({res.message})")
    psi = res.x
    values, vectors = fit(psi)
    lam = np.sqrt(psi) * vectors[:, 0] * np.sqrt(max(values[0] - 1.0, 0.0))
    return lam, psi


def _minres_one_factor(r: np.ndarray, tol: float = 1e-12, max_iter: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    k = r.shape[0]
    if k == 2:  # two items: any loadings with l1 * l2 = r12 fit exactly; take the symmetric one
        lam = np.sqrt(abs(r[0, 1])) * np.array([1.0, np.sign(r[0, 1]) or 1.0])
        return lam, 1.0 - lam**2
    # Start from squared multiple correlations, as psych does.
    h2 = 1.0 - 1.0 / np.diag(np.linalg.pinv(r))
    lam = np.zeros(k)
    for _ in range(max_iter):
        reduced = r.copy()
        np.fill_diagonal(reduced, h2)
        values, vectors = np.linalg.eigh(reduced)
        lam = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
        new = lam**2
        if np.max(np.abs(new - h2)) < tol:
            h2 = new
            break
        h2 = new
    return lam, 1.0 - lam**2


def _omega(c: np.ndarray, method: str) -> float:
    k = c.shape[0]
    if k < 2 or (method == "ml" and k < 3) or not np.isfinite(c).all():
        return float("nan")
    try:
        lam, psi = one_factor(c, method)
    except AnalysisError:
        return float("nan")
    if method == "minres":
        r = _cov2cor(c)
        return float(1.0 - psi.sum() / r.sum())
    common = lam.sum() ** 2
    return float(common / (common + psi.sum()))


# --- per strand, from a response table -------------------------------------------------------


def strand_items(responses: pd.DataFrame, framework: Framework, strand: Strand | str) -> pd.DataFrame:
    """Numeric answers to one strand's items, reverse-coded items reversed.

    Respondents who answered none of the strand's items are left out.
    """
    if isinstance(strand, str):
        strand = framework.strand(strand)
    values = answer_values(responses, framework, strand.items, reverse=True)
    return values[values.notna().any(axis=1)]


def _strand_blocks(responses: pd.DataFrame, framework: Framework):
    """Yield (strand, item ids, matrix of answered rows) for every strand in one pass."""
    values = answer_values(responses, framework, framework.items, reverse=True)
    matrix = values.to_numpy()
    start = 0
    for strand in framework.strands:
        cols = slice(start, start + len(strand.items))
        start += len(strand.items)
        block = matrix[:, cols]
        yield strand, [i.id for i in strand.items], block[~np.isnan(block).all(axis=1)]


def _tables(
    responses: pd.DataFrame, framework: Framework, *, missing: str, ci: float, omega: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Strand table and item table from one pass over the answers."""
    _check_missing(missing)
    _check_omega(omega)
    # Single-threaded BLAS: the products are thin (n x k with k ~ 7); on a shared machine
    # extra threads only slowed them down.
    with threadpool_limits(1):
        return _tables_unlimited(responses, framework, missing=missing, ci=ci, omega=omega)


def _tables_unlimited(
    responses: pd.DataFrame, framework: Framework, *, missing: str, ci: float, omega: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, parts = {}, []
    for strand, ids, x in _strand_blocks(responses, framework):
        c = _covariance(x, missing)
        rows[strand.id] = {"name": strand.name, **_scale_stats(x, c, ci=ci, omega=omega)}
        alpha_drop, item_rest = _drop_one(c)
        parts.append(pd.DataFrame({"strand": strand.id, "item_rest_r": item_rest, "alpha_if_deleted": alpha_drop},
                                  index=pd.Index(ids, name="item")))
    table = pd.DataFrame.from_dict(rows, orient="index")
    for col in ("n_respondents", "n_complete", "n_items"):
        table[col] = table[col].astype(int)
    order = ["name", "n_respondents", "n_complete", "n_items", "alpha", "alpha_ci_low", "alpha_ci_high",
             "std_alpha", "omega_total"]
    table = table[order]
    table.index.name = "strand"
    return table, pd.concat(parts)


def reliability(
    responses: pd.DataFrame,
    framework: Framework,
    *,
    missing: Missing = "pairwise",
    ci: float = 0.95,
    omega: str = "ml",
) -> pd.DataFrame:
    """Reliability of every strand of a framework.

    Parameters
    ----------
    responses : DataFrame
        Wide response table, answers as numbers or labels.
    framework : Framework
    missing : {"pairwise", "listwise", "median"}
    ci : float
        Level of the Feldt interval.
    omega : {"ml", "minres"}

    Returns
    -------
    DataFrame
        Indexed by strand id: ``name``, ``n_respondents`` (answered at least one of the
        strand's items), ``n_complete`` (answered all), ``n_items``, ``alpha``,
        ``alpha_ci_low``, ``alpha_ci_high``, ``std_alpha``, ``omega_total``.

    Examples
    --------
    >>> import maturity
    >>> from maturity.analysis.reliability import reliability
    >>> bench = maturity.generate_benchmark(200, seed=1)
    >>> table = reliability(bench.responses, bench.framework)
    >>> bool((table["alpha"] > 0.8).all())
    True
    """
    return _tables(responses, framework, missing=missing, ci=ci, omega=omega)[0]


def item_reliability(responses: pd.DataFrame, framework: Framework, *, missing: Missing = "pairwise") -> pd.DataFrame:
    """Item statistics of every strand (see :func:`item_statistics`), with a ``strand`` column."""
    _check_missing(missing)
    parts = []
    for strand, ids, x in _strand_blocks(responses, framework):
        stats_ = item_statistics(pd.DataFrame(x, columns=ids), missing=missing)
        stats_.insert(0, "strand", strand.id)
        parts.append(stats_)
    return pd.concat(parts)


def reliability_report(
    responses: pd.DataFrame,
    framework: Framework,
    *,
    missing: Missing = "pairwise",
    ci: float = 0.95,
    omega: str = "ml",
) -> dict[str, Any]:
    """The ``maturity reliability --format json`` document.

    Returns
    -------
    dict
        ``{"strands": {id: {"alpha", "alpha_ci": [lo, hi], "omega_total", "n_respondents",
        "n_items", "items": {item: {"item_rest_r", "alpha_if_deleted"}}}}}``; undefined
        values (e.g. alpha of a one-item strand) are ``None``.
    """
    table, items = _tables(responses, framework, missing=missing, ci=ci, omega=omega)
    out: dict[str, Any] = {}
    for strand_id, row in table.iterrows():
        block = items[items["strand"] == strand_id]
        out[str(strand_id)] = {
            "alpha": float_or_none(row["alpha"]),
            "alpha_ci": [float_or_none(row["alpha_ci_low"]), float_or_none(row["alpha_ci_high"])],
            "omega_total": float_or_none(row["omega_total"]),
            "n_respondents": int(row["n_respondents"]),
            "n_items": int(row["n_items"]),
            "items": {
                str(item): {"item_rest_r": float_or_none(r["item_rest_r"]), "alpha_if_deleted": float_or_none(r["alpha_if_deleted"])}
                for item, r in block.iterrows()
            },
        }
    return {"strands": out}


# --- data quality ----------------------------------------------------------------------------


def data_quality(responses: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Answer completeness and straight-lining per strand.

    Returns
    -------
    DataFrame
        Indexed by strand id: ``name``, ``n_items``, ``missing_answers`` (share of blank
        answers), ``unscored`` (share of respondents without a strand score: fewer than
        ``index.min_answered`` of the items answered), ``straight_lining`` (share of
        respondents who answered every item of the strand on the printed scale with the same
        value, a sign of careless answering when the strand has reverse-worded items).
    """
    values = answer_values(responses, framework, framework.items, reverse=False).to_numpy()
    rows, start = {}, 0
    for strand in framework.strands:
        k = len(strand.items)
        block = values[:, start:start + k]
        start += k
        answered = ~np.isnan(block)
        needed = np.ceil(framework.index.min_answered * k - 1e-9)
        complete = answered.all(axis=1)
        with np.errstate(invalid="ignore"):
            same = complete & (np.nanmax(block, axis=1, initial=-np.inf) == np.nanmin(block, axis=1, initial=np.inf))
        n = max(len(block), 1)
        rows[strand.id] = {
            "name": strand.name,
            "n_items": k,
            "missing_answers": float(1.0 - answered.mean()) if block.size else float("nan"),
            "unscored": float((answered.sum(axis=1) < needed).sum() / n),
            "straight_lining": float(same.sum() / n) if k > 1 else float("nan"),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "strand"
    return table


def reliability_sentences(table: pd.DataFrame, items: pd.DataFrame | None = None) -> list[str]:
    """Plain sentences about a :func:`reliability` table (and optionally its item table).

    Conventional reading: alpha or omega of 0.70 and above is acceptable for group
    comparisons, 0.80 good and 0.90 excellent.
    """
    rated = table.dropna(subset=["alpha"])
    if rated.empty:
        return ["No strand has enough items for an internal-consistency estimate."]
    low = rated[rated["alpha"] < 0.7]
    lo, hi = rated["alpha"].idxmin(), rated["alpha"].idxmax()
    out = [
        f"Cronbach's alpha ranges from {rated.loc[lo, 'alpha']:.2f} ({rated.loc[lo, 'name']}) to "
        f"{rated.loc[hi, 'alpha']:.2f} ({rated.loc[hi, 'name']}) across the {len(rated)} strands."
    ]
    if low.empty:
        out.append("Every strand reaches the conventional 0.70 threshold for comparing groups.")
    else:
        out.append("Below the conventional 0.70 threshold: " + ", ".join(
            f"{r['name']} ({r['alpha']:.2f})" for _, r in low.iterrows()) + "; treat these strand scores with care.")
    omega = rated["omega_total"].dropna()
    if len(omega):
        gap = (rated.loc[omega.index, "omega_total"] - rated.loc[omega.index, "alpha"]).abs().max()
        out.append(f"McDonald's omega total differs from alpha by at most {gap:.3f} on any strand, so alpha's "
                   f"equal-loadings assumption costs little here." if gap < 0.03 else
                   f"Omega total and alpha differ by up to {gap:.2f}: items load unequally on some strands.")
    if items is not None and len(items):
        alpha_of = items["strand"].map(table["alpha"])
        raising = items[items["alpha_if_deleted"] > alpha_of + 1e-9]
        if len(raising):
            out.append(f"{len(raising)} item(s) would raise their strand's alpha if deleted: "
                       + ", ".join(raising.index.astype(str)) + ".")
    return out
