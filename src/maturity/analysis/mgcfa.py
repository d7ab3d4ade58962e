"""Multi-group confirmatory factor analysis by maximum likelihood, with a mean structure,
equality constraints across groups and full-information ML for missing answers.

Model (group ``g``, items ``p``, factors ``m``)
    ``mu_g = nu_g + Lambda_g alpha_g`` and ``Sigma_g = Lambda_g Phi_g Lambda_g' + Theta_g``:
    loadings ``Lambda`` (p x m), intercepts ``nu``, latent means ``alpha``, factor
    (co)variances ``Phi`` and residual (co)variances ``Theta`` (diagonal unless the model
    names residual covariances). Identification is lavaan's default: the first indicator
    of each factor has its loading fixed to 1; latent means are 0 unless intercepts are
    equal across groups, in which case they are free in every group but the first.
Equality constraints
    lavaan's ``group.equal`` keywords (:data:`GROUP_EQUAL`) make a kind of parameter one
    shared parameter across groups; ``free`` names parameters that stay group-specific
    (lavaan's ``group.partial``), in lavaan's spelling: ``f=~x2`` (loading), ``x7~1``
    (intercept), ``x3~~x3`` (residual variance), ``f~1`` (latent mean).
Estimation
    The log-likelihood is summed over groups. Respondents who answered every item enter
    through their sufficient statistics (mean and covariance with divisor n); the others
    case by case (full-information ML, lavaan's ``missing = "ml"``), with ``Sigma_oo^-1``
    of each case's observed items obtained from ``K = Sigma^-1`` as
    ``K_oo - K_om K_mm^-1 K_mo`` (cases are batched by their number of blanks, so a
    pattern costs no more than a few small matrix products). The saturated model (h1) of
    each group is fitted by EM. Optimisation starts with Fisher scoring (the
    complete-data expected information as the Hessian) and continues with BFGS updates of
    that matrix (for misfitting models and blanks, where it is not the Hessian), halving
    steps until the log-likelihood rises, from eigenvector starting values.
Fit (lavaan's definitions for ``estimator = "ML"``, ``likelihood = "normal"``)
    ``chi2 = 2 (logL_h1 - logL)``, which is ``sum_g N_g F_g`` for complete data;
    ``dof = G (p(p+1)/2 + p) - q``; the baseline is the independence model with free means
    and variances in every group (``dof_0 = G p(p-1)/2``); CFI and TLI as in
    :mod:`maturity.analysis.cfa`; ``RMSEA = sqrt(max(chi2/N/dof - 1/N, 0)) sqrt(G)``; SRMR is the
    ``N_g/N``-weighted mean over groups of Bentler's SRMR with the mean residuals
    included; ``AIC = -2 logL + 2q`` and ``BIC = -2 logL + q log N``. With blanks the
    "observed" moments are the h1 (EM) estimates.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import linalg, stats
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from ..errors import AnalysisError

__all__ = [
    "GROUP_EQUAL", "MeasurementModel", "parse_model", "parameter_names", "GroupSamples", "MultiGroupCFA",
]

#: lavaan's ``group.equal`` keywords this engine understands.
GROUP_EQUAL = ("loadings", "intercepts", "residuals", "residual.covariances", "lv.variances",
               "lv.covariances", "means")
MISSING_POLICIES = ("ml", "listwise")
_LOG_2PI = math.log(2.0 * math.pi)
_NAME = re.compile(r"^[A-Za-z_.][\w.\-]*$")


# --- the model ------------------------------------------------------------------------------------


@dataclass
class MeasurementModel:
    """A measurement model: factors measured by items, nothing structural.

    Attributes
    ----------
    factors : dict
        Factor -> its indicators, the first one the marker (scale-setting) item.
    fixed_loadings : dict
        ``(factor, item)`` -> a loading fixed by the description (``0.5*x2``).
    residual_covariances : list of (item, item)
    orthogonal : set of frozenset
        Factor pairs whose covariance is fixed at 0 (``f1 ~~ 0*f2``).
    description : str
    """

    factors: dict[str, list[str]]
    fixed_loadings: dict[tuple[str, str], float] = field(default_factory=dict)
    residual_covariances: list[tuple[str, str]] = field(default_factory=list)
    orthogonal: set[frozenset[str]] = field(default_factory=set)
    description: str = ""

    @property
    def items(self) -> list[str]:
        """Every indicator, in order of first appearance."""
        seen: dict[str, None] = {}
        for indicators in self.factors.values():
            for item in indicators:
                seen.setdefault(item, None)
        return list(seen)

    @property
    def factor_names(self) -> list[str]:
        return list(self.factors)

    @property
    def parameters_per_group(self) -> int:
        """Free parameters of one group's configural model (a group needs more respondents)."""
        return _layout(_entries(self), 1, set(), set()).n_free


def parse_model(description: str) -> MeasurementModel:
    """Read a lavaan-style measurement model.

    Understood: ``f =~ a + b + 0.5*c`` (a number fixes a loading), ``a ~~ b`` (a residual
    covariance between items), ``f1 ~~ 0*f2`` (uncorrelated factors), ``#`` comments and
    ``;`` or new lines between statements.

    Raises
    ------
    AnalysisError
        Anything else (regressions, labels, intercept statements, higher-order factors),
        an unreadable statement, or a structure that cannot be identified.
    """
    factors: dict[str, list[str]] = {}
    fixed: dict[tuple[str, str], float] = {}
    pending_cov: list[tuple[str, str, str]] = []
    for raw in re.split(r"[\n;]", description):
        stmt = raw.split("#", 1)[0].strip()
        if not stmt:
            continue
        if "=~" in stmt:
            left, right = (s.strip() for s in stmt.split("=~", 1))
            _check_name(left, stmt)
            indicators = factors.setdefault(left, [])
            for term in (t.strip() for t in right.split("+")):
                if not term:
                    raise AnalysisError(f"the model description cannot be read: empty term in '{stmt}'")
                modifier, name = _split_modifier(term, stmt)
                _check_name(name, stmt)
                if modifier is not None:
                    fixed[(left, name)] = modifier
                if name in indicators:
                    raise AnalysisError(f"the model names {name} twice as an indicator of {left}")
                indicators.append(name)
        elif "~~" in stmt:
            left, right = (s.strip() for s in stmt.split("~~", 1))
            modifier, right = _split_modifier(right, stmt)
            _check_name(left, stmt)
            _check_name(right, stmt)
            pending_cov.append((left, right, "" if modifier is None else str(modifier)))
        elif re.search(r"~|:=|==|<|>|\|", stmt):
            raise AnalysisError(
                f"the multi-group factor model takes measurement statements only (=~ and ~~); "
                f"'{stmt}' is not supported"
            )
        else:
            raise AnalysisError(f"the model description cannot be read: '{stmt}'")
    if not factors:
        raise AnalysisError("the model description defines no factor (no '=~' statement)")
    items = {i for ind in factors.values() for i in ind}
    nested = sorted(items & set(factors))
    if nested:
        raise AnalysisError(f"higher-order factors are not supported ({', '.join(nested)} is both a factor and an item)")
    residual: list[tuple[str, str]] = []
    orthogonal: set[frozenset[str]] = set()
    for left, right, modifier in pending_cov:
        if left in factors and right in factors:
            if left != right and modifier and float(modifier) == 0.0:
                orthogonal.add(frozenset((left, right)))
            elif modifier:
                raise AnalysisError(f"only 0 may fix a factor covariance ('{left} ~~ {modifier}*{right}')")
        elif left in items and right in items:
            if modifier:
                raise AnalysisError(f"fixed residual (co)variances are not supported ('{left} ~~ {modifier}*{right}')")
            if left != right and (left, right) not in residual and (right, left) not in residual:
                residual.append((left, right))
        else:
            unknown = [n for n in (left, right) if n not in items and n not in factors]
            what = f"{', '.join(unknown)} is not in the measurement part" if unknown else "an item with a factor"
            raise AnalysisError(f"'{left} ~~ {right}' cannot be used: {what}")
    model = MeasurementModel(factors, fixed, residual, orthogonal, description)
    _check_structure(model)
    return model


def _split_modifier(term: str, stmt: str) -> tuple[float | None, str]:
    if "*" not in term:
        return None, term
    modifier, name = (s.strip() for s in term.split("*", 1))
    try:
        return float(modifier), name
    except ValueError:
        raise AnalysisError(
            f"'{modifier}*' in '{stmt}': only numbers may premultiply a term (labels, NA and start values are "
            f"not supported; equal parameters are set by the invariance step, free ones with --free)"
        ) from None


def _check_name(name: str, stmt: str) -> None:
    if not _NAME.match(name):
        raise AnalysisError(f"the model description cannot be read: '{name}' in '{stmt}' is not a variable name")


def _check_structure(model: MeasurementModel) -> None:
    single = [f for f, items in model.factors.items() if len(items) < 2]
    if single:
        raise AnalysisError(
            f"the model is not identified: factor(s) {', '.join(single)} have a single item; a factor needs "
            f"at least three items (two when it is correlated with other factors)"
        )
    if len(model.factors) == 1:
        (name, items), = model.factors.items()
        if len(items) < 3:
            raise AnalysisError(
                f"the model is not identified: the only factor, {name}, has {len(items)} items; a lone factor "
                f"needs at least three"
            )


# --- the samples ----------------------------------------------------------------------------------


@dataclass
class _Block:
    """One group's answers, arranged for the likelihood."""

    name: str
    n: int                       # cases used (at least one item answered)
    n_complete: int
    mean_complete: np.ndarray    # (p,)
    cov_complete: np.ndarray     # (p, p), divisor n_complete
    x_incomplete: np.ndarray     # (n_i, p), NaN at blanks
    observed: np.ndarray         # (n_i, p) bool
    buckets: list[tuple[np.ndarray, np.ndarray]]   # (rows, missing column indices (n_s, s)) by s
    n_observed_values: int       # answered cells among incomplete cases
    h1_mean: np.ndarray = field(default=None, repr=False)     # saturated-model moments
    h1_cov: np.ndarray = field(default=None, repr=False)
    h1_loglik: float = float("nan")
    baseline_loglik: float = float("nan")
    h1_iterations: int = 0


class GroupSamples:
    """Answers split by group, with the saturated and independence models fitted once.

    Build with :meth:`from_frame`; pass to :meth:`MultiGroupCFA.fit` (several models can
    share one instance).

    Attributes
    ----------
    items : list of str
    names : list of str
        Group names in fitting order.
    missing : {"ml", "listwise"}
    n_dropped : dict
        Group -> respondents left out (no item answered, or, listwise, any blank).
    """

    def __init__(self, blocks: list[_Block], items: list[str], missing: str, n_dropped: dict[str, int]):
        self.blocks = blocks
        self.items = list(items)
        self.missing = missing
        self.n_dropped = dict(n_dropped)

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.blocks]

    @property
    def sizes(self) -> dict[str, int]:
        return {b.name: b.n for b in self.blocks}

    @property
    def n(self) -> int:
        return int(sum(b.n for b in self.blocks))

    @property
    def has_blanks(self) -> bool:
        return any(len(b.x_incomplete) for b in self.blocks)

    @classmethod
    def from_frame(
        cls,
        data: pd.DataFrame,
        items: Sequence[str],
        groups: Sequence[Any] | pd.Series | None = None,
        *,
        order: Sequence[Any] | None = None,
        missing: str = "ml",
    ) -> "GroupSamples":
        """Split numeric item answers by group.

        Parameters
        ----------
        data : DataFrame
            One numeric column per item (NaN = blank).
        items : sequence of str
            The model's items (columns of ``data``).
        groups : sequence, optional
            Group of each row (aligned with ``data``); None fits a single group. Rows whose
            group is missing are left out.
        order : sequence, optional
            Group order (default: order of first appearance, as lavaan); the first group is
            the reference whose latent means are fixed at 0.
        missing : {"ml", "listwise"}
            Full-information ML over every respondent with an answer, or only respondents
            who answered every item.

        Raises
        ------
        AnalysisError
            Unknown or non-numeric items, an item nobody in a group answered, a group with
            no respondents, too few complete respondents (listwise), a constant item.
        """
        if missing not in MISSING_POLICIES:
            raise AnalysisError(f"missing must be one of {', '.join(MISSING_POLICIES)}, got {missing!r}")
        items = list(items)
        unknown = [c for c in items if c not in data.columns]
        if unknown:
            raise AnalysisError(f"the model names items the data lack: {', '.join(unknown[:10])}")
        try:
            values = data[items].apply(pd.to_numeric, errors="raise").to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise AnalysisError("factor analysis needs numeric answers") from None
        if groups is None:
            labels = pd.Series(["all"] * len(data), dtype=object)
        else:
            labels = pd.Series(np.asarray(groups, dtype=object))
            if len(labels) != len(data):
                raise AnalysisError("the group labels do not line up with the data rows")
        known = labels.notna().to_numpy()
        names = list(order) if order is not None else list(pd.unique(labels[known]))
        blocks, dropped = [], {}
        for name in names:
            rows = values[(labels == name).to_numpy() & known]
            block, n_dropped = _make_block(str(name), rows, items, missing)
            blocks.append(block)
            dropped[str(name)] = n_dropped
        samples = cls(blocks, items, missing, dropped)
        with _one_thread():
            for block in samples.blocks:
                _fit_saturated(block)
        return samples


def _one_thread():
    """The matrices are small (items x items): extra BLAS threads only add overhead, and on a
    shared machine they made each product many times slower."""
    return threadpool_limits(1)


def _make_block(name: str, x: np.ndarray, items: list[str], missing: str) -> tuple[_Block, int]:
    observed = np.isfinite(x)
    answered = observed.any(axis=1)
    complete = observed.all(axis=1)
    keep = complete if missing == "listwise" else answered
    n_dropped = int(len(x) - keep.sum())
    x, observed, complete = x[keep], observed[keep], complete[keep]
    p = len(items)
    if len(x) == 0:
        raise AnalysisError(f"group {name} has no respondent with {'every item' if missing == 'listwise' else 'an'} "
                            f"answer{'ed' if missing == 'listwise' else ''}")
    counts = observed.sum(axis=0)
    if (counts < 2).any():
        lacking = [items[j] for j in np.flatnonzero(counts < 2)]
        raise AnalysisError(f"in group {name} nobody (or only one respondent) answered {', '.join(lacking[:10])}")
    xc = x[complete]
    n_c = len(xc)
    mean_c = xc.mean(axis=0) if n_c else np.zeros(p)
    cov_c = np.cov(xc, rowvar=False, ddof=0).reshape(p, p) if n_c > 1 else np.zeros((p, p))
    xi, oi = x[~complete], observed[~complete]
    buckets = []
    n_missing = (~oi).sum(axis=1)
    for s in np.unique(n_missing):
        rows = np.flatnonzero(n_missing == s)
        idx = np.nonzero(~oi[rows])[1].reshape(len(rows), int(s))
        buckets.append((rows, idx))
    block = _Block(name, len(x), n_c, mean_c, cov_c, xi, oi, buckets, int(oi.sum()))
    variance = np.array([np.nanvar(x[:, j]) for j in range(p)])
    constant = [items[j] for j in np.flatnonzero(~(variance > 0))]
    if constant:
        raise AnalysisError(f"item(s) without variance in group {name}: {', '.join(constant[:10])}")
    if missing == "listwise" and n_c <= p:
        raise AnalysisError(
            f"group {name}: only {n_c} respondent(s) answered all {p} items; a factor analysis needs more "
            f"complete respondents than items"
        )
    return block, n_dropped


def _casewise(block: _Block, mu: np.ndarray, k: np.ndarray):
    """The incomplete cases at (mu, K = Sigma^-1).

    Returns the filled residuals ``r~`` (observed: x - mu; blank: E[x | observed] - mu),
    ``z = r~ K`` (so z_i = Sigma_oo^-1 r_o padded with zeros), the sum over cases of the
    conditional covariances of the blanks (padded, ``B``), and sum log|K_mm|.
    """
    xi = block.x_incomplete
    p = len(mu)
    r = np.where(block.observed, xi - mu, 0.0)
    y = r @ k
    cond = np.zeros((p, p))
    logdet_mm = 0.0
    for rows, idx in block.buckets:
        if idx.shape[1] == 1:
            j = idx[:, 0]
            kjj = k[j, j]
            u = y[rows, j] / kjj
            r[rows, j] = -u
            np.add.at(cond, (j, j), 1.0 / kjj)
            logdet_mm += float(np.log(kjj).sum())
        else:
            kmm = k[idx[:, :, None], idx[:, None, :]]
            c = np.linalg.inv(kmm)
            u = np.einsum("nij,nj->ni", c, y[rows[:, None], idx])
            r[rows[:, None], idx] = -u
            np.add.at(cond, (idx[:, :, None], idx[:, None, :]), c)
            logdet_mm += float(np.linalg.slogdet(kmm)[1].sum())
    z = r @ k
    return r, z, cond, logdet_mm


def _inverse(sigma: np.ndarray) -> tuple[np.ndarray, float] | None:
    try:
        factor = linalg.cho_factor(sigma, lower=True, check_finite=False)
    except (linalg.LinAlgError, ValueError):
        return None
    diag = np.diag(factor[0])
    if not np.all(diag > 0):
        return None
    k = linalg.cho_solve(factor, np.eye(len(sigma)), check_finite=False)
    return (k + k.T) / 2.0, 2.0 * float(np.log(diag).sum())


def _loglik(block: _Block, mu: np.ndarray, sigma: np.ndarray, gradient: bool = False):
    """Log-likelihood of one group; with ``gradient`` also dlogL/dSigma and dlogL/dmu.

    Returns None where Sigma is not positive definite.
    """
    inv = _inverse(sigma)
    if inv is None:
        return None
    k, logdet = inv
    p = len(mu)
    d = block.mean_complete - mu
    n_c = block.n_complete
    kd = k @ d
    ll = -0.5 * n_c * (p * _LOG_2PI + logdet + np.sum(k * block.cov_complete) + d @ kd)
    n_i = len(block.x_incomplete)
    if n_i:
        r, z, cond, logdet_mm = _casewise(block, mu, k)
        ll -= 0.5 * (block.n_observed_values * _LOG_2PI + n_i * logdet + logdet_mm + float(np.sum(r * z)))
    if not gradient:
        return ll
    a = block.cov_complete + np.outer(d, d)
    g_sigma = -0.5 * n_c * (k - k @ a @ k)
    g_mu = n_c * kd
    if n_i:
        g_sigma += -0.5 * (n_i * k - k @ cond @ k - z.T @ z)
        g_mu = g_mu + z.sum(axis=0)
    return ll, (g_sigma + g_sigma.T) / 2.0, g_mu


def _fit_saturated(block: _Block, tol: float = 1e-11, max_iter: int = 10000) -> None:
    """h1: the unrestricted mean and covariance (EM with blanks), and the independence model."""
    p = len(block.mean_complete)
    n = block.n
    if not len(block.x_incomplete):
        mu, sigma = block.mean_complete.copy(), block.cov_complete.copy()
        iterations = 0
    else:
        x = block.x_incomplete
        counts = block.n_complete + block.observed.sum(axis=0)
        mu = (block.n_complete * block.mean_complete + np.nansum(x, axis=0)) / counts
        spread = block.n_complete * (block.cov_complete.diagonal() + (block.mean_complete - mu) ** 2) \
            + np.nansum((x - mu) ** 2, axis=0)
        sigma = np.diag(spread / counts)
        previous = -np.inf
        iterations = 0
        for iterations in range(1, max_iter + 1):
            inv = _inverse(sigma)
            if inv is None:
                raise AnalysisError(f"the answers of group {block.name} have a singular covariance matrix")
            k, _ = inv
            r, _z, cond, _ = _casewise(block, mu, k)
            filled = mu + r
            total = block.n_complete * block.mean_complete + filled.sum(axis=0)
            new_mu = total / n
            dc = block.mean_complete - new_mu
            df = filled - new_mu
            new_sigma = (block.n_complete * (block.cov_complete + np.outer(dc, dc)) + df.T @ df + cond) / n
            mu, sigma = new_mu, (new_sigma + new_sigma.T) / 2.0
            ll = _loglik(block, mu, sigma)
            if ll is None:
                raise AnalysisError(f"the answers of group {block.name} have a singular covariance matrix")
            if abs(ll - previous) <= tol * max(1.0, abs(ll)):
                break
            previous = ll
    ll = _loglik(block, mu, sigma)
    if ll is None:
        raise AnalysisError(
            f"the answers of group {block.name} have a singular covariance matrix (too few respondents, or items "
            f"that are exact combinations of others)"
        )
    block.h1_mean, block.h1_cov, block.h1_loglik, block.h1_iterations = mu, sigma, float(ll), iterations
    # Independence model: each item's own mean and variance over the respondents who answered it.
    x = block.x_incomplete
    baseline = 0.0
    for j in range(p):
        col = x[:, j][np.isfinite(x[:, j])]
        n_j = block.n_complete + len(col)
        total = block.n_complete * block.mean_complete[j] + col.sum()
        m_j = total / n_j
        ss = block.n_complete * (block.cov_complete[j, j] + (block.mean_complete[j] - m_j) ** 2) + ((col - m_j) ** 2).sum()
        v_j = ss / n_j
        baseline += -0.5 * n_j * (_LOG_2PI + math.log(v_j) + 1.0)
    block.baseline_loglik = float(baseline)


# --- parameters -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Entry:
    kind: str          # lambda, nu, theta, phi, alpha
    row: int
    col: int
    name: str          # lavaan's name
    equal_key: str     # the group.equal keyword that constrains it
    fixed: float | None


def _entries(model: MeasurementModel) -> list[_Entry]:
    items, factors = model.items, model.factor_names
    pos = {v: i for i, v in enumerate(items)}
    out: list[_Entry] = []
    for k, (factor, indicators) in enumerate(model.factors.items()):
        for t, item in enumerate(indicators):
            value = model.fixed_loadings.get((factor, item), 1.0 if t == 0 else None)
            out.append(_Entry("lambda", pos[item], k, f"{factor}=~{item}", "loadings", value))
    for i, item in enumerate(items):
        out.append(_Entry("nu", i, i, f"{item}~1", "intercepts", None))
    for i, item in enumerate(items):
        out.append(_Entry("theta", i, i, f"{item}~~{item}", "residuals", None))
    for a, b in model.residual_covariances:
        out.append(_Entry("theta", pos[a], pos[b], f"{a}~~{b}", "residual.covariances", None))
    for k, f in enumerate(factors):
        out.append(_Entry("phi", k, k, f"{f}~~{f}", "lv.variances", None))
    for k, f in enumerate(factors):
        for l in range(k + 1, len(factors)):
            g = factors[l]
            fixed = 0.0 if frozenset((f, g)) in model.orthogonal else None
            out.append(_Entry("phi", k, l, f"{f}~~{g}", "lv.covariances", fixed))
    for k, f in enumerate(factors):
        out.append(_Entry("alpha", k, k, f"{f}~1", "means", 0.0))
    return out


def parameter_names(model: MeasurementModel) -> list[str]:
    """Every parameter's lavaan name (``f=~x2``, ``x7~1``, ``x3~~x3``, ``f1~~f2``, ``f~1``)."""
    return [e.name for e in _entries(model)]


@dataclass
class _Layout:
    """Where each group's parameters come from: a free index or a fixed value."""

    entries: list[_Entry]
    index: np.ndarray        # (G, E) int, -1 = fixed
    fixed: np.ndarray        # (G, E) float
    n_free: int
    shared: np.ndarray       # (n_free,) bool: one parameter used by more than one group


def _layout(entries: list[_Entry], n_groups: int, equal: set[str], free: set[str]) -> _Layout:
    n_e = len(entries)
    index = -np.ones((n_groups, n_e), dtype=int)
    fixed = np.zeros((n_groups, n_e))
    shared_of: dict[int, int] = {}
    counter = 0
    for g in range(n_groups):
        for e, entry in enumerate(entries):
            if entry.kind == "alpha":
                # Latent means: 0 unless intercepts are equal; then free in all but the first group
                # (and 0 everywhere again when the means are equal too, unless freed by name).
                free_mean = ("intercepts" in equal and g > 0
                             and ("means" not in equal or entry.name in free))
                if not free_mean:
                    fixed[g, e] = 0.0
                    continue
            elif entry.fixed is not None:
                fixed[g, e] = entry.fixed
                continue
            is_equal = n_groups > 1 and entry.equal_key in equal and entry.name not in free and entry.kind != "alpha"
            if is_equal:
                if e not in shared_of:
                    shared_of[e] = counter
                    counter += 1
                index[g, e] = shared_of[e]
            else:
                index[g, e] = counter
                counter += 1
    counts = np.bincount(index[index >= 0], minlength=counter)
    return _Layout(entries, index, fixed, counter, counts > 1)


# --- the likelihood problem -----------------------------------------------------------------------


class _Problem:
    """Model-implied moments, log-likelihood, gradient and information for one layout."""

    def __init__(self, model: MeasurementModel, layout: _Layout, samples: GroupSamples):
        self.model, self.layout, self.samples = model, layout, samples
        self.p, self.m = len(model.items), len(model.factors)
        entries = layout.entries
        self.kind = np.array([e.kind for e in entries])
        self.rows = np.array([e.row for e in entries])
        self.cols = np.array([e.col for e in entries])
        self.sel = {kind: np.flatnonzero(self.kind == kind) for kind in ("lambda", "nu", "theta", "phi", "alpha")}

    # parameter values -> matrices
    def values(self, theta: np.ndarray, g: int) -> np.ndarray:
        idx = self.layout.index[g]
        return np.where(idx >= 0, theta[np.maximum(idx, 0)], self.layout.fixed[g])

    def matrices(self, theta: np.ndarray, g: int):
        v = self.values(theta, g)
        p, m, s = self.p, self.m, self.sel
        lam = np.zeros((p, m))
        lam[self.rows[s["lambda"]], self.cols[s["lambda"]]] = v[s["lambda"]]
        nu = np.zeros(p)
        nu[self.rows[s["nu"]]] = v[s["nu"]]
        th = np.zeros((p, p))
        th[self.rows[s["theta"]], self.cols[s["theta"]]] = v[s["theta"]]
        th[self.cols[s["theta"]], self.rows[s["theta"]]] = v[s["theta"]]
        phi = np.zeros((m, m))
        phi[self.rows[s["phi"]], self.cols[s["phi"]]] = v[s["phi"]]
        phi[self.cols[s["phi"]], self.rows[s["phi"]]] = v[s["phi"]]
        alpha = np.zeros(m)
        alpha[self.rows[s["alpha"]]] = v[s["alpha"]]
        return lam, nu, th, phi, alpha

    def implied(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        lam, nu, th, phi, alpha = self.matrices(theta, g)
        return nu + lam @ alpha, lam @ phi @ lam.T + th

    # log-likelihood and gradient
    def loglik(self, theta: np.ndarray) -> float:
        total = 0.0
        for g, block in enumerate(self.samples.blocks):
            mu, sigma = self.implied(theta, g)
            ll = _loglik(block, mu, sigma)
            if ll is None:
                return -np.inf
            total += ll
        return total

    def loglik_gradient(self, theta: np.ndarray):
        """logL, its gradient (free parameters) and each group's gradient per entry."""
        total = 0.0
        grad = np.zeros(self.layout.n_free)
        per_entry = []
        for g, block in enumerate(self.samples.blocks):
            lam, nu, th, phi, alpha = self.matrices(theta, g)
            mu, sigma = nu + lam @ alpha, lam @ phi @ lam.T + th
            out = _loglik(block, mu, sigma, gradient=True)
            if out is None:
                return -np.inf, None, None
            ll, g_sigma, g_mu = out
            total += ll
            ge = self._entry_gradient(lam, phi, alpha, g_sigma, g_mu)
            per_entry.append(ge)
            idx = self.layout.index[g]
            free = idx >= 0
            grad += np.bincount(idx[free], weights=ge[free], minlength=self.layout.n_free)
        return total, grad, per_entry

    def _entry_gradient(self, lam, phi, alpha, g_sigma, g_mu) -> np.ndarray:
        s, r, c = self.sel, self.rows, self.cols
        out = np.zeros(len(self.kind))
        g_lam = 2.0 * g_sigma @ lam @ phi + np.outer(g_mu, alpha)
        out[s["lambda"]] = g_lam[r[s["lambda"]], c[s["lambda"]]]
        out[s["nu"]] = g_mu[r[s["nu"]]]
        t = s["theta"]
        out[t] = g_sigma[r[t], c[t]] * np.where(r[t] == c[t], 1.0, 2.0)
        g_phi = lam.T @ g_sigma @ lam
        f = s["phi"]
        out[f] = g_phi[r[f], c[f]] * np.where(r[f] == c[f], 1.0, 2.0)
        out[s["alpha"]] = (lam.T @ g_mu)[r[s["alpha"]]]
        return out

    # expected information (complete data), per group over its free entries
    def group_information(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """(entry positions, N_g x the expected information per case) for group g's free entries."""
        lam, nu, th, phi, alpha = self.matrices(theta, g)
        sigma = lam @ phi @ lam.T + th
        inv = _inverse(sigma)
        if inv is None:
            raise AnalysisError("the implied covariance matrix is not positive definite at the estimates")
        k = inv[0]
        p = self.p
        idx = self.layout.index[g]
        free = np.flatnonzero(idx >= 0)
        kinds = self.kind[free]
        r, c = self.rows[free], self.cols[free]
        cov_pos = np.flatnonzero(np.isin(kinds, ("lambda", "theta", "phi")))
        d = np.zeros((len(cov_pos), p, p))
        lp = lam @ phi
        for kind in ("lambda", "theta", "phi"):
            at = cov_pos[kinds[cov_pos] == kind]
            t = np.searchsorted(cov_pos, at)
            if not len(at):
                continue
            if kind == "lambda":
                a = lp[:, c[at]].T
                d[t, r[at], :] += a
                d[t, :, r[at]] += a
            elif kind == "theta":
                d[t, r[at], c[at]] = 1.0
                d[t, c[at], r[at]] = 1.0
            else:
                lk, ll = lam[:, r[at]].T, lam[:, c[at]].T
                d[t] = lk[:, :, None] * ll[:, None, :]
                off = r[at] != c[at]
                d[t[off]] += ll[off][:, :, None] * lk[off][:, None, :]
        dm = np.zeros((len(free), p))
        sel = kinds == "lambda"
        dm[np.flatnonzero(sel), r[sel]] = alpha[c[sel]]
        sel = kinds == "nu"
        dm[np.flatnonzero(sel), r[sel]] = 1.0
        sel = np.flatnonzero(kinds == "alpha")
        dm[sel] = lam[:, r[sel]].T
        info = dm @ k @ dm.T
        if len(cov_pos):
            kdk = np.matmul(np.matmul(k, d), k)
            info[np.ix_(cov_pos, cov_pos)] += 0.5 * kdk.reshape(len(cov_pos), -1) @ d.reshape(len(cov_pos), -1).T
        return free, self.samples.blocks[g].n * info

    def information(self, theta: np.ndarray) -> tuple[np.ndarray, list]:
        q = self.layout.n_free
        total = np.zeros((q, q))
        parts = []
        for g in range(len(self.samples.blocks)):
            free, info = self.group_information(theta, g)
            gi = self.layout.index[g][free]
            np.add.at(total, (gi[:, None], gi[None, :]), info)
            parts.append((free, info))
        return total, parts


# --- starting values ------------------------------------------------------------------------------


def _start(problem: _Problem) -> np.ndarray:
    model, layout, samples = problem.model, problem.layout, problem.samples
    n = np.array([b.n for b in samples.blocks], dtype=float)
    pooled = sum(w * b.h1_cov for w, b in zip(n / n.sum(), samples.blocks))
    items = model.items
    pos = {v: i for i, v in enumerate(items)}
    p, m = len(items), len(model.factors)
    lam = np.zeros((p, m))
    phi = np.zeros((m, m))
    for k, (factor, indicators) in enumerate(model.factors.items()):
        ix = [pos[i] for i in indicators]
        w, v = np.linalg.eigh(pooled[np.ix_(ix, ix)])
        lead = v[:, -1] * math.sqrt(max(w[-1], 1e-12))
        if lead.sum() < 0:
            lead = -lead
        marker = model.fixed_loadings.get((factor, indicators[0]), 1.0)
        scale = lead[0] / marker if abs(lead[0]) > 1e-6 * max(np.abs(lead).max(), 1e-12) and marker != 0 else None
        for t, i in enumerate(ix):
            fixed = model.fixed_loadings.get((factor, indicators[t]))
            if t == 0:
                lam[i, k] = marker
            elif fixed is not None:
                lam[i, k] = fixed
            else:
                lam[i, k] = lead[t] / scale if scale else 1.0
        phi[k, k] = scale ** 2 if scale else max(float(np.mean(np.diag(pooled)[ix])) / 2.0, 1e-3)
    for k in range(m):
        for l in range(k + 1, m):
            ik, il = np.flatnonzero(lam[:, k]), np.flatnonzero(lam[:, l])
            ratios = [pooled[a, b] / (lam[a, k] * lam[b, l]) for a in ik for b in il if a != b and lam[a, k] * lam[b, l] != 0]
            cov = float(np.mean(ratios)) if ratios else 0.0
            bound = 0.9 * math.sqrt(phi[k, k] * phi[l, l])
            phi[k, l] = phi[l, k] = float(np.clip(cov, -bound, bound))
    for (f, g) in (tuple(pair) for pair in model.orthogonal):
        k, l = model.factor_names.index(f), model.factor_names.index(g)
        phi[k, l] = phi[l, k] = 0.0
    while np.linalg.eigvalsh(phi).min() <= 1e-8 * np.trace(phi):
        phi = np.diag(np.diag(phi)) + 0.9 * (phi - np.diag(np.diag(phi)))
    common = np.einsum("ik,kl,il->i", lam, phi, lam)
    theta_diag = np.maximum(np.diag(pooled) - common, 0.1 * np.diag(pooled))
    theta = np.zeros(layout.n_free)
    done = np.zeros(layout.n_free, dtype=bool)
    for g, block in enumerate(samples.blocks):
        idx = layout.index[g]
        for e, entry in enumerate(layout.entries):
            j = idx[e]
            if j < 0 or done[j]:
                continue
            if entry.kind == "lambda":
                value = lam[entry.row, entry.col]
            elif entry.kind == "nu":
                value = block.h1_mean[entry.row] if not layout.shared[j] else \
                    float(np.sum([b.n * b.h1_mean[entry.row] for b in samples.blocks]) / n.sum())
            elif entry.kind == "theta":
                value = theta_diag[entry.row] if entry.row == entry.col else 0.0
            elif entry.kind == "phi":
                value = phi[entry.row, entry.col]
            else:
                value = 0.0
            theta[j] = value
            done[j] = True
    return theta


# --- the estimator --------------------------------------------------------------------------------


class MultiGroupCFA:
    """Multi-group confirmatory factor model fitted by (full-information) maximum likelihood.

    Parameters
    ----------
    model : str or MeasurementModel
        lavaan-style measurement model (see :func:`parse_model`).
    equal : iterable of str
        lavaan ``group.equal`` keywords (:data:`GROUP_EQUAL`): ``()`` is the configural model,
        ``("loadings",)`` metric, ``("loadings", "intercepts")`` scalar, and so on.
    free : iterable of str
        Parameters left free in every group despite ``equal`` (lavaan ``group.partial``).
    max_iter : int
        Fisher-scoring iterations.
    tol : float
        Convergence: largest absolute gradient of ``logL / N``.

    Attributes
    ----------
    theta_ : ndarray
        The free parameters.
    loglik_ : float
    fit_ : dict
        ``chi2``, ``dof``, ``pvalue``, ``cfi``, ``tli``, ``rmsea``, ``srmr``, ``aic``, ``bic``,
        ``loglik``, ``n``, ``n_parameters``, ``baseline_chi2``, ``baseline_dof``,
        ``chi2_by_group``.
    estimates_ : DataFrame
        One row per group and parameter: ``group``, ``lhs``, ``op``, ``rhs``, ``name``,
        ``estimate``, ``free``, ``equal`` (one parameter shared by the groups), ``std_all``.
    n_iter_ : int
    """

    def __init__(self, model: str | MeasurementModel, *, equal: Iterable[str] = (), free: Iterable[str] = (),
                 max_iter: int = 500, tol: float = 1e-9):
        self.model = model
        self.equal = tuple(equal)
        self.free = tuple(free)
        self.max_iter = max_iter
        self.tol = tol

    # setup
    def _prepare(self, samples: GroupSamples) -> _Problem:
        model = self.model if isinstance(self.model, MeasurementModel) else parse_model(self.model)
        unknown = [k for k in self.equal if k not in GROUP_EQUAL]
        if unknown:
            raise AnalysisError(f"unknown equality constraint(s) {', '.join(unknown)}; choose from {', '.join(GROUP_EQUAL)}")
        if list(model.items) != list(samples.items):
            raise AnalysisError("the samples were prepared for other items than the model's")
        entries = _entries(model)
        names = {e.name for e in entries}
        unknown = [name for name in self.free if _normalise(name) not in names]
        if unknown:
            raise AnalysisError(
                f"cannot free {', '.join(unknown)}: not a parameter of the model (write loadings as factor=~item, "
                f"intercepts as item~1, residual variances as item~~item, latent means as factor~1)"
            )
        markers = [n for n in map(_normalise, self.free) if any(e.name == n and e.kind == "lambda" and e.fixed is not None
                                                                  for e in entries)]
        if markers:
            raise AnalysisError(f"cannot free {', '.join(markers)}: the loading is fixed (it sets the factor's scale)")
        layout = _layout(entries, len(samples.blocks), set(self.equal), {_normalise(n) for n in self.free})
        problem = _Problem(model, layout, samples)
        p, n_groups = len(model.items), len(samples.blocks)
        moments = n_groups * (p * (p + 1) // 2 + p)
        if layout.n_free > moments:
            raise AnalysisError(
                f"the model is not identified: it has {layout.n_free} free parameters but the data give only "
                f"{moments} means, variances and covariances"
            )
        return problem

    def fit(self, samples: GroupSamples, *, start: np.ndarray | None = None) -> "MultiGroupCFA":
        """Fit the model.

        Parameters
        ----------
        samples : GroupSamples
        start : ndarray, optional
            Starting values of the free parameters (default: eigenvector estimates).

        Raises
        ------
        AnalysisError
            Unidentified model, unknown names, no convergence.
        """
        problem = self._prepare(samples)
        with _one_thread():
            theta = _start(problem) if start is None else np.asarray(start, dtype=float).copy()
            # Identification is a property of the model, so the starting values tell (and fail fast).
            if np.isfinite(problem.loglik(theta)):
                _check_identified(problem, problem.information(theta)[0])
            theta, ll, iterations, converged = _scoring(problem, theta, self.max_iter, self.tol)
            if not converged:
                raise AnalysisError(
                    f"the multi-group factor model did not converge in {self.max_iter} iterations "
                    f"(groups {', '.join(samples.names)})"
                )
            info, parts = problem.information(theta)
            _check_identified(problem, info)
            ll_final, _grad, per_entry = problem.loglik_gradient(theta)
        self.problem_ = problem
        self.theta_ = theta
        self.loglik_ = float(ll_final)
        self.n_iter_ = iterations
        self.information_ = info
        self._group_parts = parts
        self._entry_gradients = per_entry
        self.fit_ = _fit_measures(problem, theta, self.loglik_)
        self.estimates_ = _estimate_table(problem, theta)
        return self

    @property
    def n_parameters_(self) -> int:
        return int(self.problem_.layout.n_free)

    def implied(self, group: int | str) -> tuple[np.ndarray, np.ndarray]:
        """Model-implied means and covariance matrix of a group."""
        names = self.problem_.samples.names
        g = names.index(group) if isinstance(group, str) else int(group)
        return self.problem_.implied(self.theta_, g)

    def constrained(self, kind: str | None = None) -> list[str]:
        """Names of the parameters held equal across groups (of one ``group.equal`` kind)."""
        layout = self.problem_.layout
        out = []
        for e, entry in enumerate(layout.entries):
            j = layout.index[0, e]
            if j >= 0 and layout.shared[j] and (kind is None or entry.equal_key == kind):
                out.append(entry.name)
        return out

    def score_tests(self, kind: str | None = None) -> pd.DataFrame:
        """Score (Lagrange multiplier) tests for releasing each equality constraint.

        For a parameter held equal in G groups, the test adds G-1 group-specific deviations
        and gives ``T = g' (I_22 - I_21 I_11^-1 I_12)^-1 g`` (df G-1) from the gradient ``g``
        and expected information ``I`` at the constrained estimates; with two groups this is
        lavaan's univariate ``lavTestScore``. With blanks ``I`` is the complete-data
        information, so the statistic ranks the candidates rather than tests them exactly.

        Parameters
        ----------
        kind : str, optional
            A ``group.equal`` keyword (e.g. ``"intercepts"``); default every constraint.

        Returns
        -------
        DataFrame
            ``parameter``, ``statistic``, ``dof``, ``pvalue``, largest statistic first.
        """
        layout = self.problem_.layout
        n_groups = len(layout.index)
        columns = ["parameter", "statistic", "dof", "pvalue"]
        if n_groups < 2:
            return pd.DataFrame(columns=columns)
        with _one_thread():
            return self._score_tests(kind, columns)

    def _score_tests(self, kind: str | None, columns: list[str]) -> pd.DataFrame:
        layout = self.problem_.layout
        n_groups = len(layout.index)
        i11 = self.information_
        try:
            i11_inv = linalg.cho_solve(linalg.cho_factor(i11, check_finite=False), np.eye(len(i11)), check_finite=False)
        except linalg.LinAlgError:
            i11_inv = linalg.pinvh(i11)
        rows = []
        for e, entry in enumerate(layout.entries):
            j = layout.index[0, e]
            if j < 0 or not layout.shared[j] or (kind is not None and entry.equal_key != kind):
                continue
            g2 = np.zeros(n_groups - 1)
            i22 = np.zeros((n_groups - 1, n_groups - 1))
            i21 = np.zeros((n_groups - 1, layout.n_free))
            for g in range(1, n_groups):
                free, info = self._group_parts[g]
                at = int(np.searchsorted(free, e))
                g2[g - 1] = self._entry_gradients[g][e]
                i22[g - 1, g - 1] = info[at, at]
                np.add.at(i21[g - 1], layout.index[g][free], info[at])
            schur = i22 - i21 @ i11_inv @ i21.T
            try:
                stat = float(g2 @ np.linalg.solve(schur, g2))
            except np.linalg.LinAlgError:
                stat = float("nan")
            dof = n_groups - 1
            rows.append((entry.name, stat, dof, float(stats.chi2.sf(stat, dof)) if np.isfinite(stat) else float("nan")))
        table = pd.DataFrame(rows, columns=columns)
        return table.sort_values("statistic", ascending=False, ignore_index=True)


def _normalise(name: str) -> str:
    return re.sub(r"\s+", "", name)


def _scoring(problem: _Problem, theta: np.ndarray, max_iter: int, tol: float, scoring_steps: int = 4):
    """Maximise the log-likelihood; return (theta, logL, iterations, converged).

    The first steps are Fisher scoring (the expected information as the Hessian, exact for
    a correct model with complete data); then BFGS updates of that matrix learn the
    curvature the expected information misses (misfitting models, blanks), which turns the
    linear convergence of scoring into superlinear convergence. Steps are halved until the
    log-likelihood rises.
    """
    n = problem.samples.n
    ll, grad, _ = problem.loglik_gradient(theta)
    if not np.isfinite(ll):
        raise AnalysisError("the starting values give an implied covariance matrix that is not positive definite")
    hessian, fresh = None, False
    for iteration in range(1, max_iter + 1):
        if np.max(np.abs(grad), initial=0.0) / n < tol:
            return theta, ll, iteration - 1, True
        if hessian is None or iteration <= scoring_steps:
            hessian, fresh = problem.information(theta)[0], True
        step = _solve(hessian, grad)
        t = 1.0
        while t > 1e-10:
            candidate = theta + t * step
            value = problem.loglik(candidate)
            if np.isfinite(value) and value > ll:
                break
            t /= 2.0
        else:
            if not fresh:               # the learned matrix misled: start again from the information
                hessian = None
                continue
            # No ascent is possible in floating point: a numerical optimum if the gradient is small.
            return theta, ll, iteration, bool(np.max(np.abs(grad)) / n < 1e3 * tol)
        ll_new, grad_new, _ = problem.loglik_gradient(candidate)
        s_vec, y_vec = candidate - theta, grad - grad_new       # curvature of -logL along the step
        sy = float(s_vec @ y_vec)
        if iteration >= scoring_steps and sy > 1e-12 * np.linalg.norm(s_vec) * np.linalg.norm(y_vec):
            hs = hessian @ s_vec
            hessian = hessian + np.outer(y_vec, y_vec) / sy - np.outer(hs, hs) / float(s_vec @ hs)
            fresh = False
        theta, ll, grad = candidate, ll_new, grad_new
    return theta, ll, max_iter, bool(np.max(np.abs(grad)) / n < tol)


def _solve(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    try:
        return linalg.cho_solve(linalg.cho_factor(matrix, check_finite=False), vector, check_finite=False)
    except (linalg.LinAlgError, ValueError):
        ridge = 1e-8 * max(np.trace(matrix) / max(len(matrix), 1), 1.0)
        return np.linalg.lstsq(matrix + ridge * np.eye(len(matrix)), vector, rcond=None)[0]


def _check_identified(problem: _Problem, info: np.ndarray) -> None:
    diag = np.diag(info)
    names = _free_names(problem)
    if np.any(diag <= 0):
        bad = [names[j] for j in np.flatnonzero(diag <= 0)]
        raise AnalysisError(f"the model is not identified: the data carry no information on {', '.join(bad[:6])}")
    scale = 1.0 / np.sqrt(diag)
    scaled = info * scale[:, None] * scale[None, :]
    try:   # a Cholesky factor with no tiny pivot is proof enough (and far cheaper than eigenvalues)
        pivots = np.diag(linalg.cholesky(scaled, lower=True, check_finite=False))
        if pivots.min() ** 2 > 1e-8:
            return
    except linalg.LinAlgError:
        pass
    w, v = np.linalg.eigh(scaled)
    if w[0] <= 1e-10 * w[-1]:
        weights = np.abs(v[:, 0])
        involved = [names[j] for j in np.argsort(-weights)[:6] if weights[j] > 0.1]
        raise AnalysisError(
            "the model is not identified: some parameters cannot be told apart "
            f"({', '.join(involved)}); free fewer parameters or give every factor enough equal items"
        )


def _free_names(problem: _Problem) -> list[str]:
    layout = problem.layout
    names = [""] * layout.n_free
    group_names = problem.samples.names
    for g, idx in enumerate(layout.index):
        for e, j in enumerate(idx):
            if j >= 0 and not names[j]:
                entry = layout.entries[e]
                names[j] = entry.name if layout.shared[j] or len(group_names) == 1 else f"{entry.name} [{group_names[g]}]"
    return names


def _fit_measures(problem: _Problem, theta: np.ndarray, loglik: float) -> dict[str, Any]:
    samples = problem.samples
    blocks = samples.blocks
    p, n_groups, n = problem.p, len(blocks), samples.n
    q = problem.layout.n_free
    by_group = {}
    srmr_parts = []
    for g, block in enumerate(blocks):
        mu, sigma = problem.implied(theta, g)
        by_group[block.name] = 2.0 * (block.h1_loglik - (_loglik(block, mu, sigma) or np.nan))
        sd = np.sqrt(np.diag(block.h1_cov))
        cov_resid = (block.h1_cov - sigma) / np.outer(sd, sd)
        mean_resid = (block.h1_mean - mu) / sd
        lower = np.tril_indices(p)
        srmr_parts.append(math.sqrt((np.sum(cov_resid[lower] ** 2) + np.sum(mean_resid ** 2)) / (p * (p + 1) / 2 + p)))
    h1 = sum(b.h1_loglik for b in blocks)
    chi2 = max(2.0 * (h1 - loglik), 0.0)
    dof = n_groups * (p * (p + 1) // 2 + p) - q
    base_chi2 = 2.0 * (h1 - sum(b.baseline_loglik for b in blocks))
    base_dof = n_groups * p * (p - 1) // 2
    weights = np.array([b.n for b in blocks], dtype=float) / n
    return {
        "chi2": float(chi2), "dof": int(dof),
        "pvalue": float(stats.chi2.sf(chi2, dof)) if dof > 0 else float("nan"),
        **_relative_fit(chi2, dof, base_chi2, base_dof, n, n_groups),
        "srmr": float(np.dot(weights, srmr_parts)),
        "aic": float(-2.0 * loglik + 2.0 * q), "bic": float(-2.0 * loglik + q * math.log(n)),
        "loglik": float(loglik), "n": int(n), "n_parameters": int(q),
        "baseline_chi2": float(base_chi2), "baseline_dof": int(base_dof),
        "chi2_by_group": {k: float(v) for k, v in by_group.items()},
    }


def _relative_fit(chi2: float, dof: int, base_chi2: float, base_dof: int, n: int, n_groups: int) -> dict[str, float]:
    """CFI, TLI and RMSEA as lavaan computes them (RMSEA with its sqrt(G) multi-group factor)."""
    t1 = max(chi2 - dof, 0.0)
    t2 = max(chi2 - dof, base_chi2 - base_dof, 0.0)
    cfi = 1.0 if math.isclose(t1, 0.0, abs_tol=1e-8) and math.isclose(t2, 0.0, abs_tol=1e-8) else 1.0 - t1 / t2
    denominator = (base_chi2 - base_dof) * dof
    tli = 1.0 - ((chi2 - dof) * base_dof) / denominator if dof > 0 and abs(denominator) > 0 else 1.0
    rmsea = math.sqrt(max(chi2 / n / dof - 1.0 / n, 0.0)) * math.sqrt(n_groups) if dof > 0 else 0.0
    return {"cfi": float(cfi), "tli": float(tli), "rmsea": float(rmsea)}


def _estimate_table(problem: _Problem, theta: np.ndarray) -> pd.DataFrame:
    layout = problem.layout
    factors, items = problem.model.factor_names, problem.model.items
    rows = []
    for g, name in enumerate(problem.samples.names):
        values = problem.values(theta, g)
        lam, nu, th, phi, alpha = problem.matrices(theta, g)
        sigma = lam @ phi @ lam.T + th
        for e, entry in enumerate(layout.entries):
            j = layout.index[g, e]
            if entry.kind == "lambda":
                lhs, op, rhs = factors[entry.col], "=~", items[entry.row]
                std = values[e] * math.sqrt(max(phi[entry.col, entry.col], 0.0)) / math.sqrt(sigma[entry.row, entry.row])
            elif entry.kind == "nu":
                lhs, op, rhs, std = items[entry.row], "~1", "", float("nan")
            elif entry.kind == "theta":
                lhs, op, rhs = items[entry.row], "~~", items[entry.col]
                std = values[e] / math.sqrt(sigma[entry.row, entry.row] * sigma[entry.col, entry.col])
            elif entry.kind == "phi":
                lhs, op, rhs = factors[entry.row], "~~", factors[entry.col]
                std = values[e] / math.sqrt(abs(phi[entry.row, entry.row] * phi[entry.col, entry.col])) \
                    if phi[entry.row, entry.row] * phi[entry.col, entry.col] != 0 else float("nan")
            else:
                lhs, op, rhs = factors[entry.row], "~1", ""
                std = values[e] / math.sqrt(phi[entry.row, entry.row]) if phi[entry.row, entry.row] > 0 else float("nan")
            rows.append((name, lhs, op, rhs, entry.name, float(values[e]), bool(j >= 0),
                         bool(j >= 0 and layout.shared[j]), float(std)))
    return pd.DataFrame(rows, columns=["group", "lhs", "op", "rhs", "name", "estimate", "free", "equal", "std_all"])
