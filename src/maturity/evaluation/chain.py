"""The chain of evidence: do the levels move together across participants?

Kirkpatrick's levels form a chain: people who liked the programme should learn more, those
who learned more should change their behaviour more, and those whose behaviour changed most
should show the largest results. Correlations across participants (Pearson, Fisher
intervals) of each adjacent pair of levels show where the chain holds and where it breaks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .intervals import correlation

#: The links of the chain, in order.
LINKS = (("reaction", "learning"), ("learning", "behaviour"), ("behaviour", "results"))


def chain_of_evidence(by_learner: pd.DataFrame, *, confidence: float = 0.95) -> dict[str, Any]:
    """Correlations of adjacent levels and the first link that does not hold.

    Parameters
    ----------
    by_learner : DataFrame
        One row per learner; columns among ``reaction``, ``learning``, ``behaviour``,
        ``results`` (each learner's score or change).

    Returns
    -------
    dict
        ``links`` (list of ``{from, to, estimate, ci, n, holds}``) and ``breaks_at`` (the first
        link whose interval lies at or below zero, or whose data are too few; None when all hold).
    """
    links = []
    breaks_at = None
    for source, target in LINKS:
        if source not in by_learner or target not in by_learner:
            continue
        entry = correlation(by_learner[source].to_numpy(float), by_learner[target].to_numpy(float), confidence)
        lo = entry["ci"][0]
        holds = lo is not None and lo > 0
        links.append({"from": source, "to": target, **entry, "holds": bool(holds)})
        if not holds and breaks_at is None:
            breaks_at = f"{source} -> {target}"
    return {"links": links, "breaks_at": breaks_at,
            "method": "Pearson correlation across participants with a Fisher interval"}


def results_by_learner(panel: pd.DataFrame, kpis: dict, learners: pd.Index) -> pd.Series:
    """Each learner's standardised improvement over the KPIs, when results units are learners
    (the mean over KPIs of the signed change divided by its standard deviation)."""
    trained = panel[panel["group"] == "trained"]
    scores = []
    for name, kpi in kpis.items():
        wide = trained.pivot_table(index="unit_id", columns="period", values=name, aggfunc="first")
        if "after" not in wide or "before" not in wide:
            continue
        change = kpi.sign * (wide["after"] - wide["before"])
        sd = change.std()
        if sd and np.isfinite(sd):
            scores.append((change - change.mean()) / sd)
    if not scores:
        return pd.Series(np.nan, index=learners, name="results")
    combined = pd.concat(scores, axis=1).mean(axis=1)
    return combined.reindex(learners).rename("results")
