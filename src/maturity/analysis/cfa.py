"""Confirmatory factor analysis: one factor per strand (or any lavaan-style model), fitted
by maximum likelihood with semopy, with fit indices computed as lavaan computes them.

Estimation
    semopy's Wishart ML objective (``obj="MLW"``), SLSQP, then an L-BFGS-B polish from that
    solution (SLSQP alone stops with the discrepancy about 1e-7 above its minimum; the
    better of the two is kept). The model is semopy's default parameterisation: the first
    loading of each factor fixed to 1, factor variances and covariances free, no mean
    structure (as ``lavaan::cfa`` with complete data).
Data
    Reverse-coded items are reversed first. ``missing="ml"`` (the default): when some
    answers are blank, every respondent with at least one answer is used, by full-information
    maximum likelihood (lavaan's ``missing = "ml"``, fitted by
    :class:`maturity.analysis.mgcfa.MultiGroupCFA` with one group: the model then has a mean
    structure, the baseline and saturated models are fitted by FIML too, ``chi2`` is twice the
    log-likelihood distance to the saturated model and SRMR includes the mean residuals, as
    lavaan reports them). With no blanks, or with ``missing="listwise"``, respondents with a
    blank are left out (lavaan's default ``missing = "listwise"``) and the model is fitted as
    below. ``n`` is the number of respondents used.

Fit indices (lavaan's defaults for ``estimator="ML"``, ``likelihood="normal"``), with ``S``
the sample covariance matrix with divisor N, ``Sigma`` the model-implied matrix, ``p`` the
number of items and ``q`` the number of free parameters:

- ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p`` (the ML discrepancy) and ``chi2 = N F``;
  ``dof = p(p+1)/2 - q``. semopy defines ``chi2`` the same way (``n_samples * fun``).
- baseline (independence) model: ``chi2_0 = N (sum log s_ii - log|S|)``, ``dof_0 = p(p-1)/2``.
- ``CFI = 1 - max(chi2 - dof, 0) / max(chi2 - dof, chi2_0 - dof_0, 0)`` (1 when both are 0).
- ``TLI = 1 - ((chi2 - dof) dof_0) / ((chi2_0 - dof_0) dof)`` (not truncated; 1 when dof = 0).
- ``RMSEA = sqrt(max(chi2 - dof, 0) / (dof N))`` (lavaan divides by N; semopy by N - 1).
- ``SRMR`` (lavaan's default ``srmr``, Bentler's definition): the root mean square, over
  the p(p+1)/2 variances and covariances, of ``(s_ij - sigma_ij) / sqrt(s_ii s_jj)``.

A model that cannot be identified (more free parameters than variances and covariances, a
factor with a single item, a lone factor with two items, or a rank-deficient Jacobian of
the implied covariances at the estimates) or that does not converge raises
:class:`~maturity.errors.AnalysisError` with the reason.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from ..errors import AnalysisError
from ..framework import Framework
from ..scoring import answer_values
from ..values import float_or_none
from .mgcfa import GroupSamples, MultiGroupCFA, parse_model

__all__ = ["CFAResult", "strand_model", "model_data", "fit_cfa", "framework_cfa", "fit_indices", "ml_discrepancy",
           "cfa_sentences"]

#: Keys of the ``maturity cfa --format json`` document; ``missing`` follows them.
CONTRACT_KEYS = ("chi2", "dof", "cfi", "tli", "rmsea", "srmr", "n")
#: How blank answers are handled: full-information ML (default) or listwise deletion.
MISSING_POLICIES = ("ml", "listwise")


@dataclass
class CFAResult:
    """Fit of a confirmatory factor model.

    Attributes
    ----------
    chi2, dof, pvalue : float, int, float
        Likelihood-ratio test against the saturated model.
    cfi, tli, rmsea, srmr : float
        Fit indices (lavaan definitions, see the module docstring).
    n : int
        Respondents used: every respondent with an answer (FIML), or those who answered every
        item of the model (listwise).
    n_excluded : int
        Respondents left out: for a blank (listwise) or for having no answer at all (FIML).
    baseline_chi2, baseline_dof : float, int
        The independence model.
    n_parameters : int
        Free parameters.
    estimates : DataFrame
        semopy's parameter table (``lval``, ``op``, ``rval``, ``Estimate``, ...) plus
        ``std_all``, the completely standardised loading for ``=~`` rows.
    description : str
        The model in lavaan/semopy syntax.
    missing : {"listwise", "ml"}
        How blanks were handled: respondents left out, or full-information ML.
    """

    chi2: float
    dof: int
    pvalue: float
    cfi: float
    tli: float
    rmsea: float
    srmr: float
    n: int
    n_excluded: int
    baseline_chi2: float
    baseline_dof: int
    n_parameters: int
    estimates: pd.DataFrame = field(repr=False)
    description: str = field(repr=False, default="")
    missing: str = "listwise"

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the command line: ``chi2``, ``dof``, ``cfi``, ``tli``, ``rmsea``, ``srmr``, ``n``,
        then ``missing`` (``"ml"`` or ``"listwise"``)."""
        out: dict[str, Any] = {}
        for key in CONTRACT_KEYS:
            value = getattr(self, key)
            if key in ("dof", "n"):
                out[key] = int(value)
            else:
                out[key] = float_or_none(value)
        out["missing"] = self.missing
        return out

    def summary(self) -> pd.Series:
        """All fit statistics as one Series (for tables)."""
        return pd.Series(
            {
                "n": self.n, "n_excluded": self.n_excluded, "chi2": self.chi2, "dof": self.dof,
                "pvalue": self.pvalue, "cfi": self.cfi, "tli": self.tli, "rmsea": self.rmsea,
                "srmr": self.srmr, "baseline_chi2": self.baseline_chi2, "baseline_dof": self.baseline_dof,
                "n_parameters": self.n_parameters,
            }
        )

    def fit_table(self) -> pd.DataFrame:
        """The fit statistics as a small display table: ``value`` (text) and ``guideline``."""
        rows = [
            ("Respondents used", f"{self.n:,}", ""),
            ("Left out (no answer)" if self.missing == "ml" else "Left out (a missing answer)", f"{self.n_excluded:,}", ""),
            ("chi2 (dof)", f"{self.chi2:.1f} ({self.dof})", ""),
            ("p value", "< 0.001" if self.pvalue < 0.001 else f"{self.pvalue:.3f}", "> 0.05 (rare with large n)"),
            ("CFI", f"{self.cfi:.3f}", ">= 0.95"),
            ("TLI", f"{self.tli:.3f}", ">= 0.95"),
            ("RMSEA", f"{self.rmsea:.3f}", "<= 0.06"),
            ("SRMR", f"{self.srmr:.3f}", "<= 0.08"),
        ]
        return pd.DataFrame(rows, columns=["measure", "value", "guideline"]).set_index("measure")

    def loading_summary(self, names: dict[str, str] | None = None) -> pd.DataFrame:
        """Standardised loadings per factor: ``items``, ``min``, ``mean``, ``max``.

        Parameters
        ----------
        names : dict, optional
            Display names of the factors (e.g. ``framework.strand_names()``).
        """
        table = self.loadings().groupby("factor", sort=False)["std_all"].agg(["count", "min", "mean", "max"])
        table = table.rename(columns={"count": "items"})
        if names:
            table.index = [names.get(f, f) for f in table.index]
        table.index.name = "factor"
        return table

    def loadings(self) -> pd.DataFrame:
        """Loadings: ``factor``, ``item``, ``estimate`` and the standardised ``std_all``."""
        rows = self.estimates[(self.estimates["op"] == "~") & (self.estimates["rval"] != "1")]   # not intercepts
        return pd.DataFrame(
            {"factor": rows["rval"].to_numpy(), "item": rows["lval"].to_numpy(),
             "estimate": rows["Estimate"].astype(float).to_numpy(), "std_all": rows["std_all"].to_numpy()}
        )


# --- model description ----------------------------------------------------------------------


def strand_model(framework: Framework, strands: list[str] | None = None) -> str:
    """A lavaan-style description with one factor per strand (``strand =~ item + ...``).

    Parameters
    ----------
    framework : Framework
    strands : list of str, optional
        Strand ids to include (default all).

    Notes
    -----
    semopy reads names made of letters, digits and underscores; other characters of an id
    (``-``, ``.``) are written as ``_`` (:func:`framework_cfa` renames the data to match).
    """
    chosen = framework.strands if strands is None else [framework.strand(s) for s in strands]
    return "\n".join(
        f"{_safe_name(s.id)} =~ " + " + ".join(_safe_name(i.id) for i in s.items) for s in chosen
    )


def _safe_name(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _measurement_part(description: str) -> dict[str, list[str]]:
    """Factor -> indicators, from the ``=~`` lines of a description."""
    factors: dict[str, list[str]] = {}
    for line in description.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=~" not in line:
            continue
        left, right = line.split("=~", 1)
        items = [t.strip().split("*")[-1].strip() for t in right.split("+") if t.strip()]
        factors.setdefault(left.strip(), []).extend(items)
    return factors


# --- fit indices ----------------------------------------------------------------------------


def ml_discrepancy(sample_cov: np.ndarray, implied_cov: np.ndarray) -> float:
    """``log|Sigma| + tr(S Sigma^-1) - log|S| - p`` (0 when the model reproduces S)."""
    s = np.asarray(sample_cov, dtype=float)
    sigma = np.asarray(implied_cov, dtype=float)
    sign_s, logdet_s = np.linalg.slogdet(s)
    sign_m, logdet_m = np.linalg.slogdet(sigma)
    if sign_s <= 0 or sign_m <= 0:
        return float("nan")
    return float(logdet_m + np.trace(np.linalg.solve(sigma, s)) - logdet_s - s.shape[0])


def fit_indices(sample_cov: np.ndarray, implied_cov: np.ndarray, n: int, n_parameters: int) -> dict[str, float]:
    """chi2, dof, p value, baseline, CFI, TLI, RMSEA and SRMR as lavaan computes them.

    Parameters
    ----------
    sample_cov : array (p, p)
        Sample covariance matrix with divisor ``n`` (the ML estimate).
    implied_cov : array (p, p)
        Model-implied covariance matrix at the ML estimates.
    n : int
        Respondents.
    n_parameters : int
        Free parameters of the model.
    """
    s = np.asarray(sample_cov, dtype=float)
    sigma = np.asarray(implied_cov, dtype=float)
    p = s.shape[0]
    chi2 = n * ml_discrepancy(s, sigma)
    dof = p * (p + 1) // 2 - n_parameters
    pvalue = float(stats.chi2.sf(chi2, dof)) if dof > 0 else float("nan")
    base_chi2 = n * (np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1])
    base_dof = p * (p - 1) // 2
    t1 = max(chi2 - dof, 0.0)
    t2 = max(chi2 - dof, base_chi2 - base_dof, 0.0)
    cfi = 1.0 if np.isclose(t1, 0.0) and np.isclose(t2, 0.0) else 1.0 - t1 / t2
    if dof > 0 and abs((base_chi2 - base_dof) * dof) > 0:
        tli = 1.0 - ((chi2 - dof) * base_dof) / ((base_chi2 - base_dof) * dof)
    else:
        tli = 1.0
    rmsea = float(np.sqrt(max(chi2 - dof, 0.0) / (dof * n))) if dof > 0 else 0.0
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    lower = np.tril_indices(p)
    srmr = float(np.sqrt(np.mean(resid[lower] ** 2)))
    return {
        "chi2": float(chi2), "dof": int(dof), "pvalue": pvalue, "cfi": float(cfi), "tli": float(tli),
        "rmsea": rmsea, "srmr": srmr, "baseline_chi2": float(base_chi2), "baseline_dof": int(base_dof),
    }


# --- fitting ---------------------------------------------------------------------------------


def fit_cfa(data: pd.DataFrame, model: str, *, missing: str = "ml") -> CFAResult:
    """Fit a confirmatory factor model to numeric item data.

    Parameters
    ----------
    data : DataFrame
        One numeric column per observed variable (reverse-coded items already reversed);
        NaN marks a missing answer.
    model : str
        lavaan/semopy syntax, e.g. ``"f1 =~ a + b + c\\nf2 =~ d + e + f"``.
    missing : {"ml", "listwise"}
        With blanks: full-information ML over every respondent with an answer (default;
        measurement models only, see :func:`maturity.analysis.mgcfa.parse_model`), or only
        the respondents who answered every item.

    Returns
    -------
    CFAResult

    Raises
    ------
    AnalysisError
        Unparseable or unidentified model, unknown items, too few complete respondents, an
        item without variance, or an estimation that does not converge.
    """
    if missing not in MISSING_POLICIES:
        raise AnalysisError(f"missing must be one of {', '.join(MISSING_POLICIES)}, got {missing!r}")
    if missing == "ml":
        observed = [c for c in _measurement_items(model) if c in data.columns]
        frame = data[observed]
        answered = frame.notna().any(axis=1)
        if frame[answered].isna().to_numpy().any():
            return _fit_cfa_fiml(data, model)
    # The matrices are small (items x items): extra BLAS threads only add overhead, and on a
    # shared machine they made each fit several times slower.
    with threadpool_limits(1):
        result = _fit_cfa(data, model)
    result.missing = missing
    return result


def _measurement_items(model: str) -> list[str]:
    factors = _measurement_part(model)
    items = [i for ind in factors.values() for i in ind]
    return list(dict.fromkeys(i for i in items if i not in factors))


def _fit_cfa_fiml(data: pd.DataFrame, model: str) -> CFAResult:
    """One-group full-information ML (the respondents with at least one answer)."""
    try:
        parsed = parse_model(model)
    except AnalysisError as exc:
        raise AnalysisError(f"{exc} (with blank answers the model is fitted by full-information ML, which takes "
                            f"measurement models only; use listwise deletion for this model)") from None
    samples = GroupSamples.from_frame(data, parsed.items, missing="ml")
    if samples.n <= len(parsed.items):
        raise AnalysisError(f"only {samples.n} respondent(s) answered any item; a factor analysis needs more "
                            f"respondents than items")
    fit = MultiGroupCFA(parsed).fit(samples)
    measures = fit.fit_
    return CFAResult(
        chi2=measures["chi2"], dof=measures["dof"], pvalue=measures["pvalue"], cfi=measures["cfi"],
        tli=measures["tli"], rmsea=measures["rmsea"], srmr=measures["srmr"], n=samples.n,
        n_excluded=int(sum(samples.n_dropped.values())), baseline_chi2=measures["baseline_chi2"],
        baseline_dof=measures["baseline_dof"], n_parameters=measures["n_parameters"],
        estimates=_semopy_style(fit.estimates_), description=model, missing="ml",
    )


def _semopy_style(estimates: pd.DataFrame) -> pd.DataFrame:
    """The engine's parameter table in semopy's layout (``lval``, ``op``, ``rval``, ``Estimate``)."""
    rows = []
    for row in estimates.itertuples(index=False):
        if row.op == "=~":
            rows.append((row.rhs, "~", row.lhs, row.estimate, row.std_all))
        elif row.op == "~1":
            rows.append((row.lhs, "~", "1", row.estimate, row.std_all))
        else:
            rows.append((row.lhs, "~~", row.rhs, row.estimate, row.std_all))
    return pd.DataFrame(rows, columns=["lval", "op", "rval", "Estimate", "std_all"])


def _fit_cfa(data: pd.DataFrame, model: str) -> CFAResult:
    import semopy  # imported here: it is slow to import and only this analysis needs it

    factors = _measurement_part(model)
    _check_structure(factors)
    try:
        sem = semopy.Model(model)
    except Exception as exc:  # semopy raises assorted errors on bad syntax
        raise AnalysisError(f"the model description cannot be read: {exc}") from None
    observed = list(sem.vars["observed"])
    unknown = [v for v in observed if v not in data.columns]
    if unknown:
        raise AnalysisError(f"the model names items the data lack: {', '.join(unknown[:10])}")
    try:
        frame = data[observed].astype(float)
    except (TypeError, ValueError):
        raise AnalysisError("factor analysis needs numeric answers") from None
    complete = frame.dropna()
    n, p = len(complete), len(observed)
    if n <= p:
        raise AnalysisError(
            f"only {n} respondent(s) answered all {p} items of the model; a factor analysis needs more "
            f"complete respondents than items"
        )
    constant = [c for c in observed if complete[c].nunique() < 2]
    if constant:
        raise AnalysisError(f"item(s) without variance among complete respondents: {', '.join(constant[:10])}")

    with warnings.catch_warnings(), _quiet_semopy():
        warnings.simplefilter("ignore")
        try:
            sem.load(complete)
        except Exception as exc:
            raise AnalysisError(f"the model cannot be set up: {exc}") from None
        n_params = len(sem.param_vals)
        moments = p * (p + 1) // 2
        if n_params > moments:
            raise AnalysisError(
                f"the model is not identified: it has {n_params} free parameters but the data give only "
                f"{moments} variances and covariances"
            )
        s = np.cov(complete.to_numpy(), rowvar=False, ddof=0)
        result = _fit(sem, complete, s)
    if not result.success or not np.isfinite(result.fun):
        raise AnalysisError(f"the factor model did not converge ({result.message})")

    sigma = sem.calc_sigma()[0]
    _check_local_identification(sem, observed)
    indices = fit_indices(s, sigma, n, n_params)
    estimates = _estimates(sem)
    return CFAResult(
        n=n, n_excluded=len(frame) - n, n_parameters=n_params, estimates=estimates, description=model, **indices
    )


def _fit(sem, data: pd.DataFrame, s: np.ndarray):
    """semopy's SLSQP fit, then Fisher-scoring steps from its solution.

    SLSQP stops with the discrepancy about 1e-7..1e-4 above its minimum; a few Fisher
    scoring steps (Newton steps with the expected Hessian of the ML discrepancy,
    ``H_ij = tr(Sigma^-1 dSigma_i Sigma^-1 dSigma_j)``, with step halving so the
    discrepancy never rises and parameter bounds respected) reach it to machine precision,
    as lavaan's optimiser does.
    """
    result = sem.fit(data, obj="MLW", solver="SLSQP")
    if not np.all(np.isfinite(sem.param_vals)):
        return result
    x, gradient = _fisher_scoring(sem, np.array(sem.param_vals, dtype=float), s)
    sem.param_vals = x
    sem.update_matrices(x)
    result.x = x
    result.fun = _discrepancy_at(sem, x, s)
    # Converged when SLSQP says so or the polished point is stationary (SLSQP may stop on
    # its iteration limit close to the optimum).
    result.success = bool(result.success or np.max(np.abs(gradient), initial=0.0) < 1e-6)
    return result


def _discrepancy_at(sem, x: np.ndarray, s: np.ndarray) -> float:
    sem.update_matrices(x)
    return ml_discrepancy(s, sem.calc_sigma()[0])


def _fisher_scoring(sem, x: np.ndarray, s: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Return the polished parameters and the discrepancy's gradient before the last step."""
    bounds = sem.get_bounds()
    lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds], dtype=float)
    hi = np.array([np.inf if b[1] is None else b[1] for b in bounds], dtype=float)
    f = _discrepancy_at(sem, x, s)
    gradient = np.full(len(x), np.inf)
    if not np.isfinite(f):
        return x, gradient
    q = len(x)
    for _ in range(max_iter):
        sem.update_matrices(x)
        sigma, (m, c) = sem.calc_sigma()
        inv = np.linalg.inv(sigma)
        grads = np.array(sem.calc_sigma_grad(m, c), dtype=float)
        weight = inv - inv @ s @ inv
        gradient = np.einsum("ij,qij->q", weight, grads)
        left = np.einsum("ij,qjk->qik", inv, grads).reshape(q, -1)
        right = np.einsum("qij,jk->qik", grads, inv).reshape(q, -1)
        step = -np.linalg.lstsq(left @ right.T, gradient, rcond=None)[0]
        t, accepted = 1.0, False
        while t > 1e-10:
            candidate = np.clip(x + t * step, lo, hi)
            value = _discrepancy_at(sem, candidate, s)
            if np.isfinite(value) and value <= f:
                accepted = True
                break
            t /= 2.0
        if not accepted:
            break
        converged = f - value < 1e-15 or np.max(np.abs(candidate - x)) < 1e-12
        x, f = candidate, value
        if converged:
            break
    return x, gradient


def _check_structure(factors: dict[str, list[str]]) -> None:
    single = [f for f, items in factors.items() if len(items) < 2]
    if single:
        raise AnalysisError(
            f"the model is not identified: factor(s) {', '.join(single)} have a single item; a factor needs "
            f"at least three items (two when it is correlated with other factors)"
        )
    if len(factors) == 1:
        (name, items), = factors.items()
        if len(items) < 3:
            raise AnalysisError(
                f"the model is not identified: the only factor, {name}, has {len(items)} items; a lone factor "
                f"needs at least three"
            )


def _check_local_identification(sem, observed: list[str]) -> None:
    """Rank of the Jacobian of the implied covariances with respect to the parameters."""
    _sigma, (m, c) = sem.calc_sigma()
    grads = sem.calc_sigma_grad(m, c)
    lower = np.tril_indices(len(observed))
    jac = np.array([g[lower] for g in grads]).T
    if jac.size == 0:
        return
    sv = np.linalg.svd(jac, compute_uv=False)
    if sv[-1] <= sv[0] * 1e-9:
        raise AnalysisError(
            "the model is not identified at the estimates (some parameters cannot be told apart); a factor "
            "may have too few items or be unrelated to the others"
        )


def _estimates(sem) -> pd.DataFrame:
    try:
        table = sem.inspect(std_est=True).copy()
    except Exception:  # standardised estimates are a convenience; never fail the fit for them
        table = sem.inspect().copy()
    table["std_all"] = table["Est. Std"].astype(float) if "Est. Std" in table.columns else np.nan
    return table


class _quiet_semopy:
    """Silence semopy's logging warnings (e.g. 'not PD, running nearPD') during a fit."""

    def __enter__(self):
        self._logger = logging.getLogger()
        self._level = self._logger.level
        self._logger.setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc):
        self._logger.setLevel(self._level)
        return False


def model_data(
    responses: pd.DataFrame,
    framework: Framework,
    *,
    model: str | None = None,
    strands: list[str] | None = None,
) -> tuple[str, pd.DataFrame, dict[str, str]]:
    """The model description and the numeric answers it needs, ready for fitting.

    Parameters
    ----------
    responses : DataFrame
        Wide response table.
    framework : Framework
    model : str, optional
        A lavaan-style description over item ids (other numeric columns of ``responses``
        may be used too); default :func:`strand_model`.
    strands : list of str, optional
        Strands of the default model (default all).

    Returns
    -------
    description : str
    values : DataFrame
        One column per variable of the description (reverse-coded items reversed), aligned
        with ``responses``.
    rename : dict
        Name in the description -> framework id (the default model writes ``-`` and ``.``
        as ``_``); empty for a custom model.
    """
    items = framework.items + framework.outcome_items
    if model is None:
        description = strand_model(framework, strands)
        originals = [i.id for i in items] + framework.strand_ids
        rename = {_safe_name(name): name for name in originals}
        if len(rename) != len(set(originals)):
            raise AnalysisError("two ids differ only in '-' or '.' characters, which the factor model cannot tell apart")
    else:
        description, rename = model, {}
    names = set(re.findall(r"[A-Za-z_][\w.\-]*", description))
    wanted = {rename.get(n, n) for n in names}
    chosen = [i for i in items if i.id in wanted]
    values = answer_values(responses, framework, chosen, reverse=True) if chosen else pd.DataFrame(index=responses.index)
    for col in sorted(wanted - set(values.columns)):
        if col in responses.columns:  # a custom model may use other numeric columns
            values[col] = pd.to_numeric(responses[col], errors="coerce").to_numpy()
    if rename:
        values = values.rename(columns={v: k for k, v in rename.items() if v in values.columns})
    return description, values, rename


def framework_cfa(
    responses: pd.DataFrame,
    framework: Framework,
    *,
    model: str | None = None,
    strands: list[str] | None = None,
    missing: str = "ml",
) -> CFAResult:
    """CFA of a response table: one factor per strand unless ``model`` says otherwise.

    Parameters
    ----------
    responses : DataFrame
        Wide response table.
    framework : Framework
    model : str, optional
        A lavaan/semopy description over item ids (strand and outcome items; other numeric
        columns of ``responses`` may be used too); default :func:`strand_model`.
    strands : list of str, optional
        Strands of the default model (default all).
    missing : {"ml", "listwise"}
        Blank answers: full-information ML (default) or listwise deletion (see :func:`fit_cfa`).

    Returns
    -------
    CFAResult
        Item and factor names as in the framework.

    Examples
    --------
    >>> import maturity
    >>> from maturity.analysis.cfa import framework_cfa
    >>> bench = maturity.generate_benchmark(600, seed=3, missing_rate=0.0)
    >>> fit = framework_cfa(bench.responses, bench.framework)
    >>> fit.dof, fit.n
    (845, 600)
    """
    description, values, rename = model_data(responses, framework, model=model, strands=strands)
    result = fit_cfa(values, description, missing=missing)
    if rename:
        for col in ("lval", "rval"):
            result.estimates[col] = result.estimates[col].map(lambda v: rename.get(v, v))
    return result


def cfa_sentences(fit: CFAResult) -> list[str]:
    """Plain sentences about a CFA fit, read against the common cut-offs of Hu and Bentler
    (1999): CFI and TLI >= 0.95, RMSEA <= 0.06, SRMR <= 0.08."""
    good = {"CFI": fit.cfi >= 0.95, "TLI": fit.tli >= 0.95, "RMSEA": fit.rmsea <= 0.06, "SRMR": fit.srmr <= 0.08}
    met = [k for k, ok in good.items() if ok]
    if fit.missing == "ml":
        first = (f"The model was fitted by full-information maximum likelihood to all {fit.n:,} respondents with "
                 f"answers: blank answers are allowed for, not dropped"
                 + (f" ({fit.n_excluded:,} with no answer at all were left out)." if fit.n_excluded else "."))
    else:
        first = (f"The model was fitted to the {fit.n:,} respondents who answered every item"
                 + (f" ({fit.n_excluded:,} with a missing answer were left out)." if fit.n_excluded else "."))
    out = [
        first,
        f"chi2 = {fit.chi2:.1f} on {fit.dof} degrees of freedom; CFI {fit.cfi:.3f}, TLI {fit.tli:.3f}, "
        f"RMSEA {fit.rmsea:.3f}, SRMR {fit.srmr:.3f}.",
    ]
    if len(met) == 4:
        out.append("All four indices meet the usual cut-offs: the items measure the strands they are meant to.")
    elif met:
        out.append(f"{', '.join(met)} meet the usual cut-offs, {', '.join(k for k in good if k not in met)} do not: "
                   f"the structure holds only in part.")
    else:
        out.append("None of the indices meets the usual cut-offs: the strand structure does not fit these answers.")
    return out
