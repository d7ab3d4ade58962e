"""Measurement invariance: does the survey measure the same thing in every group?

The usual sequence of multi-group factor models (:mod:`maturity.analysis.mgcfa`), each
adding equality constraints across groups to the last one that held:

========== ===================================== ==========================================
step       equal across groups                   licenses comparing
========== ===================================== ==========================================
configural the factor structure only              (nothing yet: the same items, same factors)
metric     + loadings                             relations (correlations, regressions)
scalar     + item intercepts                      means (strand scores, peer comparisons)
strict     + residual variances                   observed-score variances
means      + latent means                         (a test: do the groups' strand means differ?)
========== ===================================== ==========================================

A step holds when the fit does not worsen materially against the previous model: CFI falls
by no more than 0.01 (Cheung & Rensvold, 2002) and RMSEA rises by no more than 0.015 (Chen,
2007); the chi-square difference test is reported too (it rejects trivial differences in
large samples), and ``criterion="chi2"`` uses it instead (p >= 0.05). When metric, scalar or
strict invariance fails, score tests (:meth:`MultiGroupCFA.score_tests`) say which
constrained parameters differ most; they are freed one at a time, largest first (among
those significant at ``alpha`` divided by the number tested), while each factor keeps at
least two equal ones, until the partial model holds (partial invariance). When a step holds
on the change in fit but its chi-square difference is significant, the score tests are
reported too and the verdict names the parameter that differs most. Later steps build on the partial model. After a metric or scalar failure that
freeing cannot repair, the later steps are still fitted with the constraints accumulated (as
semTools does) but marked ``untestable``: they assume the failed step.

A group with fewer respondents than the parameters of its configural model cannot be fitted;
such groups are left out and listed in ``excluded_groups``. At least two groups must remain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..data.population import wave_from_store
from ..data.store import BenchmarkStore
from ..errors import AnalysisError, ParametersError
from ..framework import Framework, load_framework
from .cfa import model_data
from .mgcfa import GroupSamples, MeasurementModel, MultiGroupCFA, parse_model

__all__ = [
    "STEPS", "InvarianceResult", "measurement_invariance", "framework_invariance", "all_waves",
    "comparison_checks", "report_entry",
]

#: The invariance sequence, in order.
STEPS = ("configural", "metric", "scalar", "strict", "means")
_ADDS = {"configural": (), "metric": ("loadings",), "scalar": ("intercepts",), "strict": ("residuals",),
         "means": ("means",)}
_RELEASABLE = {"metric": "loadings", "scalar": "intercepts", "strict": "residuals"}
_WHAT = {"metric": "loadings", "scalar": "intercepts", "strict": "residual variances", "means": "latent means"}
_REQUIRED_BY_LATER = ("metric", "scalar")   # later steps assume these
#: Largest fall in CFI and rise in RMSEA for a step to hold (Cheung & Rensvold 2002; Chen 2007).
DELTA_CFI = 0.01
DELTA_RMSEA = 0.015
CRITERIA = ("fit", "chi2")


@dataclass
class InvarianceResult:
    """The invariance sequence for one grouping.

    Attributes
    ----------
    group : str
        The grouping column.
    groups : dict
        Group -> respondents used, for the groups fitted (reference group first).
    excluded_groups : dict
        Group -> ``{"n", "reason"}`` for groups too small to fit.
    models : dict
        Model name (``configural``, ``metric``, ``scalar``, ``partial_scalar``, ...) -> fit:
        ``chi2``, ``dof``, ``pvalue``, ``cfi``, ``tli``, ``rmsea``, ``srmr``, ``aic``, ``bic``,
        ``n_parameters``, ``loglik``, ``chi2_by_group``, ``equal`` (group.equal keywords) and
        ``freed`` (parameters left free).
    comparisons : list of dict
        ``model``, ``against``, ``chi2_diff``, ``dof_diff``, ``pvalue``, ``cfi_change``,
        ``rmsea_change``, ``holds``.
    score_tests : dict
        Step -> the score tests of its constrained parameters (``parameter``, ``statistic``,
        ``dof``, ``pvalue``, largest first) when the step failed, or held on the change in fit
        although its chi-square difference is significant.
    freed : list of str
        Parameters freed by the partial-invariance search (and by the caller).
    level : str
        Highest level that holds: ``none``, ``configural``, ``metric``, ``partial metric``,
        ``scalar``, ``partial scalar``, ``strict`` or ``partial strict``.
    means_differ : bool or None
        Whether the equal-latent-means model fails (None when not tested).
    verdict : str
        One plain paragraph.
    steps : dict
        Step -> ``holds``, ``partial``, ``fails`` or ``untestable`` (after a metric or scalar
        failure).
    free : list of str
        Parameters the caller left free.
    fits : dict
        Model name -> the fitted :class:`MultiGroupCFA` (not part of :meth:`to_dict`).
    """

    group: str
    groups: dict[str, int]
    excluded_groups: dict[str, dict[str, Any]]
    models: dict[str, dict[str, Any]]
    comparisons: list[dict[str, Any]]
    score_tests: dict[str, list[dict[str, Any]]]
    freed: list[str]
    level: str
    means_differ: bool | None
    verdict: str
    missing: str = "ml"
    criterion: str = "fit"
    steps: dict[str, str] = field(default_factory=dict)
    free: list[str] = field(default_factory=list)
    partial_models: dict[str, str] = field(default_factory=dict, repr=False)
    fits: dict[str, MultiGroupCFA] = field(default_factory=dict, repr=False)

    @property
    def means_comparable(self) -> bool:
        """Scalar invariance (full or partial) holds: group means may be compared."""
        return self.level in ("scalar", "partial scalar", "strict", "partial strict")

    @property
    def relations_comparable(self) -> bool:
        """Metric invariance (full or partial) holds."""
        return self.means_comparable or self.level in ("metric", "partial metric")

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``maturity invariance``."""
        return {
            "group": self.group, "groups": dict(self.groups), "excluded_groups": dict(self.excluded_groups),
            "missing": self.missing, "criterion": self.criterion, "steps": dict(self.steps),
            "free": list(self.free), "models": {k: dict(v) for k, v in self.models.items()}, "comparisons": list(self.comparisons),
            "score_tests": {k: list(v) for k, v in self.score_tests.items()}, "freed": list(self.freed),
            "level": self.level, "means_comparable": self.means_comparable, "means_differ": self.means_differ,
            "verdict": self.verdict,
        }

    def fit_table(self) -> pd.DataFrame:
        """One row per model: chi2, dof, p, CFI, TLI, RMSEA, SRMR, AIC, BIC."""
        cols = ["chi2", "dof", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"]
        table = pd.DataFrame({name: {c: m[c] for c in cols} for name, m in self.models.items()}).T
        table.index.name = "model"
        return table[cols]

    def comparison_table(self) -> pd.DataFrame:
        """One row per nested comparison."""
        return pd.DataFrame(self.comparisons).set_index("model") if self.comparisons else pd.DataFrame()


# --- the sequence ---------------------------------------------------------------------------------


def measurement_invariance(
    data: pd.DataFrame,
    model: str | MeasurementModel,
    groups: Sequence[Any] | pd.Series,
    *,
    group_name: str = "group",
    order: Sequence[Any] | None = None,
    steps: Sequence[str] = STEPS,
    free: Iterable[str] = (),
    missing: str = "ml",
    criterion: str = "fit",
    search: bool = True,
    alpha: float = 0.05,
    display_names: Mapping[str, str] | None = None,
) -> InvarianceResult:
    """Fit the invariance sequence and say what the data support.

    Parameters
    ----------
    data : DataFrame
        One numeric column per item of ``model`` (NaN = blank), other columns ignored.
    model : str or MeasurementModel
        lavaan-style measurement model.
    groups : sequence
        Group of each row (aligned with ``data``); rows without a group are left out.
    group_name : str
        Name of the grouping, for the verdict (``"sector"``, ``"wave"``).
    order : sequence, optional
        Group order (default order of appearance); the first fitted group is the reference.
    steps : sequence of str
        Steps of :data:`STEPS` to fit, in order (must start with ``configural``); e.g.
        ``("configural", "metric", "scalar", "means")`` is semTools' default sequence.
    free : iterable of str
        Parameters never constrained (lavaan ``group.partial``), e.g. ``["x7~1"]``.
    missing : {"ml", "listwise"}
    criterion : {"fit", "chi2"}
        A step holds on the change in CFI and RMSEA (default) or on the chi-square
        difference test.
    search : bool
        Look for partial invariance when metric, scalar or strict invariance fails.
    alpha : float
        Significance level of the chi-square difference and score tests.
    display_names : mapping, optional
        Variable name in ``model`` -> name to show in the results (e.g. framework ids that
        the model had to spell differently); ``free`` uses the model's names.

    Returns
    -------
    InvarianceResult

    Raises
    ------
    AnalysisError
        Only one group, fewer than two groups large enough, an unidentified model, a
        model that does not converge.
    """
    steps = tuple(steps)
    if not steps or steps[0] != "configural" or any(s not in STEPS for s in steps) \
            or list(steps) != sorted(steps, key=STEPS.index):
        raise AnalysisError(f"steps must start with configural and follow the order {', '.join(STEPS)}")
    if criterion not in CRITERIA:
        raise AnalysisError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    parsed = model if isinstance(model, MeasurementModel) else parse_model(model)
    labels = pd.Series(np.asarray(groups, dtype=object), index=data.index)
    labels = labels.where(labels.notna() & (labels.astype(str).str.strip() != ""))
    present = list(pd.unique(labels.dropna()))
    names = [g for g in (order if order is not None else present) if g in set(present)]
    if len(names) < 2:
        found = f"only one group ({names[0]})" if names else "no group at all"
        raise AnalysisError(f"{group_name}: invariance compares groups, but the data have {found}")
    sizes = _usable_sizes(data, parsed.items, labels, names, missing)
    needed = parsed.parameters_per_group
    small = {str(g): {"n": int(sizes[g]), "reason": f"fewer respondents than the {needed} parameters of its model"}
             for g in names if sizes[g] < needed}
    kept = [g for g in names if str(g) not in small]
    if len(kept) < 2:
        largest = sorted(names, key=lambda g: -sizes[g])
        listed = ", ".join(f"{g} ({sizes[g]:,})" for g in largest[:8])
        listed += f" and {len(names) - 8} more" if len(names) > 8 else ""
        raise AnalysisError(
            f"{group_name}: at least two groups need {needed} or more respondents (the parameters of each "
            f"group's model) to test invariance; the groups have {listed}"
        )
    samples = GroupSamples.from_frame(data, parsed.items, labels.to_numpy(), order=kept, missing=missing)
    runner = _Sequence(parsed, samples, tuple(free), criterion, alpha, search)
    runner.run(steps)
    result = InvarianceResult(
        group=group_name, groups={str(k): int(v) for k, v in samples.sizes.items()}, excluded_groups=small,
        models=runner.models, comparisons=runner.comparisons, score_tests=runner.tests, freed=runner.freed,
        level=runner.level(), means_differ=runner.means_differ(), verdict="", missing=missing, criterion=criterion,
        steps=dict(runner.outcome), free=list(runner.user_free), partial_models=dict(runner.partial_of),
        fits=runner.fits,
    )
    if display_names:
        _rename_result(result, display_names)
    result.verdict = _verdict(result)
    return result


def _usable_sizes(data: pd.DataFrame, items: list[str], labels: pd.Series, names: list, missing: str) -> dict:
    missing_items = [i for i in items if i not in data.columns]
    if missing_items:
        raise AnalysisError(f"the model names items the data lack: {', '.join(missing_items[:10])}")
    answered = data[items].notna()
    usable = answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)
    counts = labels[usable.to_numpy()].value_counts()
    return {g: int(counts.get(g, 0)) for g in names}


class _Sequence:
    """Fits the steps, compares them and searches for partial invariance."""

    def __init__(self, model, samples, free, criterion, alpha, search):
        self.model, self.samples = model, samples
        self.user_free = list(free)
        self.criterion, self.alpha, self.search = criterion, alpha, search
        self.models: dict[str, dict] = {}
        self.fits: dict[str, MultiGroupCFA] = {}
        self.comparisons: list[dict] = []
        self.tests: dict[str, list[dict]] = {}
        self.freed: list[str] = []
        self.outcome: dict[str, str] = {}   # step -> "holds", "partial", "fails", "untestable"
        self.partial_of: dict[str, str] = {}

    def fit(self, name: str, equal: tuple[str, ...], free: list[str]) -> MultiGroupCFA:
        fit = MultiGroupCFA(self.model, equal=equal, free=free).fit(self.samples)
        self.fits[name] = fit
        self.models[name] = {**{k: v for k, v in fit.fit_.items()}, "equal": list(equal), "freed": list(free)}
        return fit

    def compare(self, name: str, against: str) -> dict:
        new, old = self.models[name], self.models[against]
        chi2_diff = new["chi2"] - old["chi2"]
        dof_diff = new["dof"] - old["dof"]
        pvalue = float(stats.chi2.sf(max(chi2_diff, 0.0), dof_diff)) if dof_diff > 0 else float("nan")
        cfi_change, rmsea_change = new["cfi"] - old["cfi"], new["rmsea"] - old["rmsea"]
        if self.criterion == "chi2":
            holds = bool(pvalue >= self.alpha) if dof_diff > 0 else True
        else:
            holds = bool(cfi_change >= -DELTA_CFI - 1e-12 and rmsea_change <= DELTA_RMSEA + 1e-12)
        row = {"model": name, "against": against, "chi2_diff": float(chi2_diff), "dof_diff": int(dof_diff),
               "pvalue": pvalue, "cfi_change": float(cfi_change), "rmsea_change": float(rmsea_change), "holds": holds}
        self.comparisons.append(row)
        return row

    def run(self, steps: Sequence[str]) -> None:
        equal: tuple[str, ...] = ()
        free = list(self.user_free)
        self.fit("configural", equal, free)
        self.outcome["configural"] = "holds"
        accepted, broken = "configural", False
        for step in steps[1:]:
            trial = equal + _ADDS[step]
            self.fit(step, trial, free)
            row = self.compare(step, accepted)
            if broken:
                self.outcome[step] = "untestable"
                equal, accepted = trial, step
            elif row["holds"]:
                self.outcome[step] = "holds"
                if step in _RELEASABLE and row["pvalue"] < self.alpha:
                    # Fit indices barely move when one of many parameters differs: still say which differ.
                    self.tests[step] = _records(self.fits[step].score_tests(_RELEASABLE[step]))
                equal, accepted = trial, step
            else:
                kind = _RELEASABLE.get(step)
                partial = self._search(step, kind, trial, free, accepted) if kind and self.search else None
                if partial is not None:
                    name, freed = partial
                    self.outcome[step] = "partial"
                    self.partial_of[step] = name
                    free = free + freed
                    self.freed.extend(freed)
                    equal, accepted = trial, name
                else:
                    self.outcome[step] = "fails"
                    if step in _REQUIRED_BY_LATER:   # later steps assume this one: fit them as semTools does
                        broken = True
                        equal, accepted = trial, step

    def _search(self, step, kind, equal, free, accepted):
        """Free the most different constrained parameters until the step holds; None if it never does."""
        current = self.fits[step]
        tests = current.score_tests(kind)
        self.tests[step] = _records(tests)
        anchors = self._anchors(current, kind)
        limit = max(1, len(current.constrained(kind)) // 2)
        freed: list[str] = []
        name = f"partial_{step}"
        while len(freed) < limit:
            # Bonferroni: many constraints are tested at once.
            candidates = [row for row in tests.itertuples(index=False)
                          if row.pvalue < self.alpha / len(tests) and self._may_free(row.parameter, anchors)]
            if not candidates:
                return None
            chosen = candidates[0].parameter
            freed.append(chosen)
            for factor in anchors:
                anchors[factor].discard(chosen)
            try:
                fit = self.fit(name, equal, free + freed)
            except AnalysisError:
                return None
            if self.comparisons and self.comparisons[-1]["model"] == name:
                self.comparisons.pop()
            row = self.compare(name, accepted)
            if row["holds"]:
                if row["pvalue"] < self.alpha:
                    self.tests[name] = _records(fit.score_tests(kind))
                return name, freed
            tests = fit.score_tests(kind)
        return None

    def _anchors(self, fit: MultiGroupCFA, kind: str) -> dict[str, set[str]]:
        """Factor -> names of its equal parameters of ``kind`` (markers count for loadings)."""
        constrained = set(fit.constrained(kind))
        out: dict[str, set[str]] = {}
        for factor, items in self.model.factors.items():
            if kind == "loadings":
                names = {f"{factor}=~{i}" for i in items[1:]} & constrained
                names.add(f"{factor}=~{items[0]}")
            elif kind == "intercepts":
                names = {f"{i}~1" for i in items} & constrained
            else:
                continue
            out[factor] = names
        return out

    @staticmethod
    def _may_free(name: str, anchors: dict[str, set[str]]) -> bool:
        return all(len(names - {name}) >= 2 for names in anchors.values() if name in names)

    def level(self) -> str:
        level, partial = "configural", False
        for step in ("metric", "scalar", "strict"):
            state = self.outcome.get(step)
            if state not in ("holds", "partial"):
                break
            partial = partial or state == "partial"
            level = f"partial {step}" if partial else step
        return level

    def means_differ(self) -> bool | None:
        state = self.outcome.get("means")
        return None if state in (None, "untestable") else state == "fails"


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"parameter": r.parameter, "statistic": float(r.statistic), "dof": int(r.dof), "pvalue": float(r.pvalue)}
            for r in table.itertuples(index=False)]


# --- plain language -------------------------------------------------------------------------------


def _plural(name: str) -> str:
    if not name.replace("_", "").isalpha() or not name.islower():
        return f"groups of {name}"
    name = name.replace("_", " ")
    if name.endswith("s"):
        return name
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def _change(row: Mapping[str, Any]) -> str:
    change = row["cfi_change"]
    if abs(change) < 0.0005:
        return "CFI unchanged to three decimals"
    return f"CFI {'falls' if change < 0 else 'rises'} by {abs(change):.3f}"


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _freed_text(names: Sequence[str]) -> str:
    parts = []
    for name in names:
        if name.endswith("~1"):
            parts.append(f"the intercept of {name[:-2]}")
        elif "=~" in name:
            factor, item = name.split("=~")
            parts.append(f"the loading of {item} on {factor}")
        elif "~~" in name:
            parts.append(f"the residual variance of {name.split('~~')[0]}")
        else:
            parts.append(name)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _freed_at(result: InvarianceResult, step: str) -> list[str]:
    """Parameters the partial-invariance search freed at one step."""
    name = result.partial_models[step]
    before = next(r["against"] for r in result.comparisons if r["model"] == name)
    earlier = set(result.models[before]["freed"])
    return [f for f in result.models[name]["freed"] if f not in earlier]


def _notable(result: InvarianceResult, step: str) -> list[str]:
    """A sentence on the constrained parameter that differs most when the step holds anyway."""
    tests = result.score_tests.get(step)
    if not tests or tests[0]["pvalue"] >= 0.05 / len(tests):
        return []
    row = {r["model"]: r for r in result.comparisons}[step]
    top = tests[0]
    return [f"The chi-square difference is significant ({row['chi2_diff']:.1f} on {row['dof_diff']} df, "
            f"{_p(row['pvalue'])}) and {_freed_text([top['parameter']])} differs most across groups "
            f"(score test {top['statistic']:.1f}, {_p(top['pvalue'])}): check that item before comparing its "
            f"average."]


def _verdict(result: InvarianceResult) -> str:
    across = f"across {_plural(result.group)}"
    rows = {r["model"]: r for r in result.comparisons}
    configural = result.models["configural"]
    out = []
    if configural["cfi"] < 0.90:
        out.append(f"The factor model fits these groups poorly (CFI {configural['cfi']:.3f}, RMSEA "
                   f"{configural['rmsea']:.3f}), so the tests below rest on a weak base.")
    metric, scalar = result.steps.get("metric"), result.steps.get("scalar")
    if metric == "partial":
        freed = _freed_at(result, "metric")
        out.append(f"Metric invariance holds once {_freed_text(freed)} "
                   f"{'is' if len(freed) == 1 else 'are'} allowed to differ.")
    if metric is None:
        out.append(f"Only the configural model was fitted {across}.")
    elif metric == "fails":
        out.append(f"Strand scores cannot be compared {across}: the items relate to the strands differently "
                   f"(metric invariance fails: {_change(rows['metric'])}).")
    elif scalar in (None, "untestable"):
        out.append(f"Relations between strands can be compared {across} (metric invariance "
                   f"{'holds' if metric == 'holds' else 'holds in part'}); means were not tested.")
    elif scalar == "holds":
        out.append(f"Means can be compared {across}: scalar invariance holds ({_change(rows['scalar'])}).")
        out += _notable(result, "scalar")
    elif scalar == "partial":
        partial = rows[result.partial_models["scalar"]]
        freed = _freed_at(result, "scalar")
        out.append(f"Means can be compared {across} with care: scalar invariance fails ({_change(rows['scalar'])}) "
                   f"but holds once {_freed_text(freed)} {'is' if len(freed) == 1 else 'are'} allowed to differ "
                   f"(partial scalar invariance, {_change(partial)}); averages of "
                   f"{'that item' if len(freed) == 1 else 'those items'} are not comparable.")
        out += _notable(result, result.partial_models["scalar"])
    else:
        tests = result.score_tests.get("scalar")
        searched = " and freeing a few intercepts does not repair it" if tests is not None else ""
        worst = f" The intercepts that differ most: {', '.join(t['parameter'][:-2] for t in tests[:3])}." if tests else ""
        out.append(f"Relations between strands can be compared {across}, but means cannot: scalar invariance fails "
                   f"({_change(rows['scalar'])}){searched}.{worst}")
    strict = result.steps.get("strict")
    if strict in ("holds", "partial", "fails"):
        out.append({"holds": "Residual variances are equal too (strict invariance).",
                    "partial": "Residual variances are equal once a few are freed (partial strict invariance).",
                    "fails": "Residual variances differ (strict invariance fails), which matters only for "
                             "comparing observed-score spreads."}[strict])
    if result.means_differ is not None:
        row = rows["means"]
        if result.means_differ:
            out.append(f"The groups' latent strand means differ (equal means: {_change(row)}; chi2 difference "
                       f"{row['chi2_diff']:.1f} on {row['dof_diff']} df, {_p(row['pvalue'])}).")
        elif row["pvalue"] < 0.05:
            out.append(f"The groups' latent strand means differ only slightly (equal means: {_change(row)}, although "
                       f"the chi-square difference is significant: {row['chi2_diff']:.1f} on {row['dof_diff']} df, "
                       f"{_p(row['pvalue'])}).")
        else:
            out.append(f"The groups' latent strand means do not differ (equal means: {_change(row)}; chi2 "
                       f"difference {row['chi2_diff']:.1f} on {row['dof_diff']} df, {_p(row['pvalue'])}).")
    if result.excluded_groups:
        listed = ", ".join(f"{g} ({v['n']:,})" for g, v in result.excluded_groups.items())
        out.append(f"Too small to test and left out: {listed}.")
    return " ".join(out)


# --- framework data -------------------------------------------------------------------------------


def framework_invariance(
    responses: pd.DataFrame,
    framework: Framework,
    group: str,
    *,
    model: str | None = None,
    strands: list[str] | None = None,
    order: Sequence[Any] | None = None,
    **options: Any,
) -> InvarianceResult:
    """Invariance of the framework's factor model across the groups of one column.

    Parameters
    ----------
    responses : DataFrame
        Wide response table; ``group`` may be a demographic, any other column, or ``wave``
        (see :func:`all_waves`).
    framework : Framework
    group : str
        The grouping column.
    model : str, optional
        lavaan-style model over item ids (default one factor per strand).
    strands : list of str, optional
        Strands of the default model.
    order : sequence, optional
        Group order; default the framework's order of a demographic's values, waves oldest
        first (numbers compared as numbers, as the database orders them), else the order of
        appearance.
    **options
        Passed to :func:`measurement_invariance` (``free``, ``missing``, ``steps``,
        ``criterion``, ``search``, ``alpha``). Names in ``free`` use the framework's ids.

    Raises
    ------
    ParametersError
        No such column.
    """
    if group not in responses.columns:
        demographics = [d for d in framework.demographic_ids if d in responses.columns]
        hint = f"; demographics: {', '.join(demographics)}" if demographics else ""
        raise ParametersError(f"the data have no column '{group}' to group by{hint}")
    description, values, rename = model_data(responses, framework, model=model, strands=strands)
    to_model = {v: k for k, v in rename.items()}
    free = [_rename_parameter(name, to_model) for name in options.pop("free", ())]
    raw = responses[group]
    labels = raw.astype(object).where(raw.notna(), None).map(lambda v: None if v is None else str(v))
    if order is None:
        present = list(pd.unique(labels.dropna()))
        declared = next((d.values for d in framework.demographics if d.id == group), None)
        if declared:
            order = [str(v) for v in declared] + [v for v in present if v not in {str(d) for d in declared}]
        elif group == "wave":
            order = sorted(present, key=lambda label: ([int(part) if part.isdigit() else part.casefold()
                                                        for part in re.split(r"(\d+)", label)], label))
    return measurement_invariance(values, description, labels, group_name=group, order=order, free=free,
                                  display_names=rename, **options)


def _rename_parameter(name: str, mapping: Mapping[str, str]) -> str:
    for op in ("=~", "~~", "~1"):
        if op in name:
            left, right = (s.strip() for s in name.split(op, 1))
            return f"{mapping.get(left, left)}{op}{mapping.get(right, right)}"
    return name


def _rename_result(result: InvarianceResult, rename: Mapping[str, str]) -> None:
    """Write parameter names with the framework's ids again."""
    def fix(name: str) -> str:
        return _rename_parameter(name, rename)

    result.freed = [fix(n) for n in result.freed]
    result.free = [fix(n) for n in result.free]
    for model in result.models.values():
        model["freed"] = [fix(n) for n in model["freed"]]
    for tests in result.score_tests.values():
        for row in tests:
            row["parameter"] = fix(row["parameter"])
    for model_name in list(result.fits):
        table = result.fits[model_name].estimates_
        for col in ("lhs", "rhs"):
            table[col] = table[col].map(lambda v: rename.get(v, v))
        table["name"] = table["name"].map(fix)


def all_waves(db: str | Path | BenchmarkStore, *, framework: Framework | str | Path | None = None) -> tuple[Framework, pd.DataFrame]:
    """Every wave of a benchmark database in one response table with a ``wave`` column.

    Parameters
    ----------
    db : path or BenchmarkStore
    framework : Framework or path, optional
        Default the latest wave's framework.

    Returns
    -------
    framework : Framework
    responses : DataFrame
        Waves stacked oldest first; ``wave`` holds the label and the index (named after
        the id column) is ``<wave>/<id>``, one row per organisation and wave.

    Notes
    -----
    An organisation that answered several waves appears once per wave: the multi-group
    model treats the waves as independent samples (a longitudinal model of the same
    organisations over time is not what this fits).
    """
    def collect(store: BenchmarkStore) -> tuple[Framework, pd.DataFrame]:
        labels = [str(w) for w in store.waves()["wave"]]
        if not labels:
            store.resolve_wave(None)   # raises the store's "no waves yet" error
        fw = framework
        if fw is not None and not isinstance(fw, Framework):
            fw = load_framework(fw)
        fw = fw or store.framework(labels[-1])
        parts = []
        for label in labels:
            data = wave_from_store(store, label, framework=fw)
            frame = data.responses.copy()
            if fw.id_column in frame.columns:
                frame = frame.set_index(fw.id_column)
            frame.index = pd.Index([f"{label}/{i}" for i in frame.index], name=fw.id_column)
            frame["wave"] = label
            parts.append(frame)
        return fw, pd.concat(parts)

    if isinstance(db, BenchmarkStore):
        return collect(db)
    with BenchmarkStore(db, read_only=True) as store:
        return collect(store)


def comparison_checks(
    responses: pd.DataFrame,
    framework: Framework,
    columns: Sequence[str] | None = None,
    *,
    waves: pd.DataFrame | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Plain-language invariance verdicts for several groupings (for notebooks).

    Parameters
    ----------
    responses : DataFrame
    framework : Framework
    columns : sequence of str, optional
        Groupings (default the framework's demographics present in ``responses``).
    waves : DataFrame, optional
        All waves with a ``wave`` column (:func:`all_waves`): adds the comparison across
        waves.
    **options
        Passed to :func:`framework_invariance`.

    Returns
    -------
    DataFrame
        Indexed by grouping: ``groups`` (fitted groups and sizes), ``level``,
        ``means_comparable`` and ``verdict`` (the reason when it cannot be tested).
    """
    if columns is None:
        columns = [d for d in framework.demographic_ids if d in responses.columns]
    jobs = [(c, responses) for c in columns]
    if waves is not None:
        jobs.append(("wave", waves))
    rows = []
    for column, frame in jobs:
        try:
            result = framework_invariance(frame, framework, column, **options)
        except AnalysisError as exc:
            reason = str(exc).removeprefix(f"{column}: ")
            rows.append((column, "", "not tested", False, f"Cannot be tested: {reason}"))
            continue
        sizes = ", ".join(f"{g} ({n:,})" for g, n in result.groups.items())
        rows.append((column, sizes, result.level, result.means_comparable, result.verdict))
    table = pd.DataFrame(rows, columns=["grouping", "groups", "level", "means_comparable", "verdict"])
    return table.set_index("grouping")


def report_entry(result: InvarianceResult) -> dict[str, Any]:
    """The ``invariance`` entry of a client's results: what the report's method note needs."""
    return {"group": result.group, "level": result.level, "supported": result.means_comparable,
            "verdict": result.verdict}
