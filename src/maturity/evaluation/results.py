"""Level 4, results: the programme's effect on each KPI, isolated from everything else.

Three designs, strongest first; the report always names the one each figure used.

1. **Comparison group** (difference-in-differences). With units that were trained and
   units that were not, each observed before and after, the effect is
   ``(mean_T,after - mean_T,before) - (mean_C,after - mean_C,before)``: the coefficient
   of ``trained x after`` in the OLS regression
   ``y = b0 + b1 trained + b2 after + b3 trained x after + e``, whose standard error is
   cluster-robust (statsmodels' ``cov_type="cluster"``, by team when the plan names a
   cluster column, else by unit, so each unit's two periods are not counted as independent),
   with a t interval on G - 1 degrees of freedom (G clusters).
2. **Participant estimates** (Phillips). Without a comparison group, each trained
   participant says what share of the change in a KPI the programme caused
   (``contribution``) and how sure they are (``confidence``); the change is adjusted by
   ``contribution x confidence``, and a participant without an estimate counts as no
   improvement. It rests on people's judgement: a weaker method, labelled so.
3. **No isolation**: only the trained units' change before to after, which credits the
   programme with everything else that happened. Reported, never called an effect.

Bootstrap draws resample clusters (or units) with replacement; one set of resampling
weights is shared by every KPI so that the total benefit keeps their correlation. Money
intervals come from the draws' standard error with a small-sample t quantile
(:func:`~maturity.evaluation.intervals.cluster_bootstrap_interval`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd
import statsmodels.api as sm

from .intervals import cluster_bootstrap_interval, estimate, mean_interval
from .plan import Kpi

COMPARISON = "comparison group"
ESTIMATES = "participant estimates"
UNISOLATED = "none"
#: How the report names each isolation method, and what it means.
ISOLATION_METHODS: dict[str, dict[str, str]] = {
    COMPARISON: {
        "method": "difference-in-differences against a comparison group (OLS, cluster-robust standard errors)",
        "strength": "strong",
        "meaning": "the change in trained units beyond the change in similar untrained units over the same time",
    },
    ESTIMATES: {
        "method": "participants' estimates adjusted by contribution x confidence (Phillips); weaker method",
        "strength": "weaker",
        "meaning": "the trained units' change, shared out by the participants' own judgement of what the programme "
                   "caused; no comparison group checks it",
    },
    UNISOLATED: {
        "method": "before-after change of the trained units only; not isolated",
        "strength": "none",
        "meaning": "everything that changed for the trained units, whether the programme caused it or not",
    },
}


@dataclass
class ResultsDesign:
    """The results panel prepared once for every KPI: units, clusters and resampling."""

    panel: pd.DataFrame
    design: str
    cluster_column: str
    cluster_codes: np.ndarray
    n_clusters: int
    trained_units: pd.Index

    @property
    def n_trained(self) -> int:
        return len(self.trained_units)


def prepare_results(results: pd.DataFrame, *, has_estimates: bool) -> ResultsDesign:
    """Choose the design and code the clusters of a checked results table."""
    panel = results.copy()
    has_comparison = (panel["group"] == "comparison").any()
    design = COMPARISON if has_comparison else (ESTIMATES if has_estimates else UNISOLATED)
    if design != COMPARISON:
        panel = panel[panel["group"] == "trained"]
    column = "cluster" if "cluster" in panel else "unit_id"
    codes, uniques = pd.factorize(panel[column])
    trained = pd.Index(panel.loc[panel["group"] == "trained", "unit_id"].unique())
    return ResultsDesign(panel.reset_index(drop=True), design, column, codes, len(uniques), trained)


def resampling_weights(n_groups: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n_groups`` clusters is drawn in each of ``n_boot`` resamples
    (rows sum to ``n_groups``)."""
    draws = rng.integers(0, n_groups, size=(n_boot, n_groups))
    flat = (draws + np.arange(n_boot)[:, None] * n_groups).ravel()
    return np.bincount(flat, minlength=n_boot * n_groups).reshape(n_boot, n_groups).astype(float)


def did(panel: pd.DataFrame, kpi: str, groups: np.ndarray, *, confidence: float = 0.95) -> dict[str, Any]:
    """Difference-in-differences of one KPI by OLS with cluster-robust standard errors.

    Parameters
    ----------
    panel : DataFrame
        ``group`` (trained/comparison), ``period`` (before/after) and the KPI column.
    kpi : str
    groups : ndarray of int
        Cluster code of each row (the unit's team, or the unit).
    confidence : float

    Returns
    -------
    dict
        ``estimate``, ``ci``, ``se``, ``df``, ``n_units``, ``n_clusters``, ``method``, ``cells``
        (the four means).
    """
    y = panel[kpi].to_numpy(float)
    ok = np.isfinite(y)
    trained = (panel["group"].to_numpy() == "trained").astype(float)[ok]
    after = (panel["period"].to_numpy() == "after").astype(float)[ok]
    y, codes = y[ok], np.asarray(groups)[ok]
    n_clusters = int(np.unique(codes).size)
    cells = _cell_means(trained, after, y)
    out = {"method": ISOLATION_METHODS[COMPARISON]["method"], "n_units": int(panel.loc[ok, "unit_id"].nunique()),
           "n_clusters": n_clusters, "cells": cells}
    if n_clusters < 3 or any(v is None for v in cells.values()):
        return {**estimate(np.nan, None), **out}
    design = np.column_stack([np.ones_like(y), trained, after, trained * after])
    fit = sm.OLS(y, design).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    lo, hi = fit.conf_int(alpha=1 - confidence)[3]
    return {**estimate(fit.params[3], (lo, hi)), "se": float(fit.bse[3]), "df": n_clusters - 1, **out}


def _cell_means(trained: np.ndarray, after: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
    cells = {}
    for name, t, a in (("trained_before", 1, 0), ("trained_after", 1, 1),
                       ("comparison_before", 0, 0), ("comparison_after", 0, 1)):
        mask = (trained == t) & (after == a)
        cells[name] = float(y[mask].mean()) if mask.any() else None
    return cells


def did_draws(panel: pd.DataFrame, kpi: str, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bootstrap draws of the difference-in-differences: the four cell means recomputed
    from each resample of clusters (the saturated 2x2 regression's coefficient equals the
    difference of the cell means' changes)."""
    y = panel[kpi].to_numpy(float)
    ok = np.isfinite(y)
    cell = (2 * (panel["group"].to_numpy() == "trained") + (panel["period"].to_numpy() == "after"))[ok]
    n_groups = weights.shape[1]
    sums = np.zeros((n_groups, 4))
    counts = np.zeros((n_groups, 4))
    np.add.at(sums, (np.asarray(groups)[ok], cell), y[ok])
    np.add.at(counts, (np.asarray(groups)[ok], cell), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (weights @ sums) / (weights @ counts)
    return (means[:, 3] - means[:, 2]) - (means[:, 1] - means[:, 0])


def unit_changes(panel: pd.DataFrame, kpi: str) -> pd.Series:
    """Each trained unit's change (after - before) in a KPI."""
    trained = panel[panel["group"] == "trained"]
    wide = trained.pivot_table(index="unit_id", columns="period", values=kpi, aggfunc="first")
    if "after" not in wide or "before" not in wide:
        return pd.Series(dtype=float)
    return (wide["after"] - wide["before"]).rename(kpi)


def participant_adjusted(panel: pd.DataFrame, kpi: str, estimates: pd.DataFrame | None) -> pd.DataFrame:
    """Each trained unit's change and its share credited to the programme
    (change x contribution x confidence; no estimate credits nothing)."""
    change = unit_changes(panel, kpi)
    frame = pd.DataFrame({"change": change})
    frame["contribution"] = 0.0
    frame["confidence"] = 0.0
    if estimates is not None:
        own = estimates[estimates["kpi"] == kpi].drop_duplicates("learner_id").set_index("learner_id")
        frame["contribution"] = own["contribution"].reindex(frame.index).fillna(0.0)
        frame["confidence"] = own["confidence"].reindex(frame.index).fillna(0.0)
        frame["has_estimate"] = frame.index.isin(own.index)
    else:
        frame["has_estimate"] = False
    frame["adjusted"] = frame["change"] * frame["contribution"] * frame["confidence"]
    return frame


def kpi_result(
    prepared: ResultsDesign, kpi: Kpi, estimates: pd.DataFrame | None, weights: np.ndarray, *, confidence: float,
) -> tuple[dict[str, Any], np.ndarray]:
    """One KPI's isolated effect per trained unit, its benefit in money and the bootstrap
    draws of that benefit.

    Returns
    -------
    (dict, ndarray)
        The KPI's entry of ``evaluation.json`` (``did``, ``estimates``, ``change``, ``effect``,
        ``benefit``) and the benefit's bootstrap draws.
    """
    panel, codes = prepared.panel, prepared.cluster_codes
    n_trained = prepared.n_trained
    unit_value = kpi.sign * n_trained * kpi.value
    entry: dict[str, Any] = {"label": kpi.label, "direction": kpi.direction, "value": kpi.value,
                             "n_trained": n_trained, "design": prepared.design,
                             "isolation": ISOLATION_METHODS[prepared.design]}
    raw = unit_changes(panel, kpi.name)
    mean, ci, n = mean_interval(raw.to_numpy(), confidence)
    entry["change"] = estimate(mean, ci, n=n, method=ISOLATION_METHODS[UNISOLATED]["method"])
    entry["did"] = {**estimate(np.nan, None), "method": "not available: the results file has no comparison group"}
    entry["estimates"] = None
    if prepared.design == COMPARISON:
        entry["did"] = did(panel, kpi.name, codes, confidence=confidence)
        draws = did_draws(panel, kpi.name, codes, weights)
        effect = entry["did"]["estimate"]
        effect = np.nan if effect is None else effect
        if estimates is not None:  # participants' view beside the comparison: a cross-check only
            adjusted = participant_adjusted(panel, kpi.name, estimates)
            _, ci, _ = mean_interval(adjusted["adjusted"].fillna(0).to_numpy(), confidence)
            entry["estimates"] = {**_estimates_entry(adjusted, ci), "role": "cross-check"}
    elif prepared.design == ESTIMATES:
        adjusted = participant_adjusted(panel, kpi.name, estimates)
        draws = _unit_mean_draws(panel, adjusted["adjusted"], codes, weights)
        effect = float(adjusted["adjusted"].fillna(0).mean())
        entry["estimates"] = _estimates_entry(adjusted, cluster_bootstrap_interval(
            float(adjusted["adjusted"].fillna(0).mean()), draws, confidence, prepared.n_clusters))
    else:
        effect = mean
        draws = _unit_mean_draws(panel, raw, codes, weights)
    primary = {COMPARISON: entry["did"], ESTIMATES: entry["estimates"], UNISOLATED: entry["change"]}[prepared.design]
    entry["effect"] = {**estimate(effect, tuple(primary["ci"]) if primary else None),
                       "method": ISOLATION_METHODS[prepared.design]["method"], "isolation": prepared.design,
                       "improvement": None if not np.isfinite(effect) else float(kpi.sign * effect)}
    benefit_draws = unit_value * draws
    entry["benefit"] = estimate(
        unit_value * effect, cluster_bootstrap_interval(unit_value * effect, benefit_draws, confidence,
                                                        prepared.n_clusters),
        method="isolated effect per trained unit x trained units x value per unit")
    return entry, benefit_draws


def _unit_codes(panel: pd.DataFrame, units: pd.Index, codes: np.ndarray) -> np.ndarray:
    """The cluster code of each unit in ``units``."""
    first = pd.Series(codes, index=panel["unit_id"].to_numpy())
    first = first[~first.index.duplicated()]
    return first.reindex(units).to_numpy().astype(int)


def _unit_mean_draws(panel: pd.DataFrame, values: pd.Series, codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bootstrap draws of the mean of a per-unit value (missing counts as 0), resampling clusters."""
    unit_codes = _unit_codes(panel, values.index, codes)
    sums = np.bincount(unit_codes, weights=values.fillna(0).to_numpy(), minlength=weights.shape[1])
    counts = np.bincount(unit_codes, minlength=weights.shape[1]).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ sums) / (weights @ counts)


def _estimates_entry(adjusted: pd.DataFrame, ci: tuple[float, float]) -> dict[str, Any]:
    """The participants' estimates of one KPI: the mean credited change and what it rests on."""
    given = adjusted["has_estimate"]
    return {
        **estimate(float(adjusted["adjusted"].fillna(0).mean()), ci),
        "method": ISOLATION_METHODS[ESTIMATES]["method"], "n_units": int(len(adjusted)),
        "n_with_estimate": int(given.sum()),
        "mean_contribution": float(adjusted.loc[given, "contribution"].mean()) if given.any() else None,
        "mean_confidence": float(adjusted.loc[given, "confidence"].mean()) if given.any() else None,
    }


def results_summary(
    results: pd.DataFrame, kpis: Mapping[str, Kpi], estimates: pd.DataFrame | None, *, confidence: float = 0.95,
    n_boot: int = 2000, rng: np.random.Generator | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray], ResultsDesign]:
    """Every KPI's entry, the benefit draws by KPI, and the design used."""
    rng = rng if rng is not None else np.random.default_rng()
    prepared = prepare_results(results, has_estimates=estimates is not None)
    weights = resampling_weights(prepared.n_clusters, n_boot, rng)
    entries, draws = {}, {}
    for name, kpi in kpis.items():
        entries[name], draws[name] = kpi_result(prepared, kpi, estimates, weights, confidence=confidence)
    return entries, draws, prepared
