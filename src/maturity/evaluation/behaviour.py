"""Level 3, behaviour: the change in observed behaviour from before to after, per rater,
and how far learners' own ratings agree with their managers'."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from .intervals import correlation, estimate, mean_interval
from .paired import cohen_dz, dz_interval

RATERS = ("self", "manager")


def behaviour_changes(frame: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Each learner's mean behaviour score before and after, and the change, per rater.

    Returns
    -------
    DataFrame
        Index ``learner_id``; columns ``(rater, before|after|change)``.
    """
    scored = frame.assign(score=frame[list(items)].mean(axis=1))
    wide = scored.pivot_table(index="learner_id", columns=["rater", "phase"], values="score", aggfunc="first")
    parts = {}
    for rater in RATERS:
        if (rater, "before") in wide and (rater, "after") in wide:
            before, after = wide[(rater, "before")], wide[(rater, "after")]
            parts[rater] = pd.DataFrame({"before": before, "after": after, "change": after - before})
    if not parts:
        return pd.DataFrame(index=pd.Index([], name="learner_id"))
    return pd.concat(parts, axis=1)


def behaviour_summary(frame: pd.DataFrame, items: Sequence[str], scale: tuple[float, float], *,
                      confidence: float = 0.95) -> dict[str, Any]:
    """Per rater: before, after, change (t interval), d_z (noncentral t interval); and the
    agreement of self and manager changes (correlation, mean difference).

    Returns
    -------
    dict
        ``raters`` ({rater: {...}}), ``agreement`` or None, ``scale``, ``n_learners``.
    """
    changes = behaviour_changes(frame, items)
    out: dict[str, Any] = {"scale": list(scale), "n_learners": int(frame["learner_id"].nunique()), "raters": {}}
    for rater in RATERS:
        if rater not in changes.columns.get_level_values(0):
            continue
        part = changes[rater].dropna()
        n = len(part)
        entry: dict[str, Any] = {"n": n}
        entry["before"] = estimate(*mean_interval(part["before"].to_numpy(), confidence)[:2])
        entry["after"] = estimate(*mean_interval(part["after"].to_numpy(), confidence)[:2])
        mean, ci, _ = mean_interval(part["change"].to_numpy(), confidence)
        entry["change"] = estimate(mean, ci, n=n)
        if n >= 3 and part["change"].std() > 0:
            dz = cohen_dz(part["before"].to_numpy(), part["after"].to_numpy())
            entry["d_z"] = estimate(dz, dz_interval(dz, n, confidence), n=n)
        else:
            entry["d_z"] = estimate(np.nan, None, n=n)
        out["raters"][rater] = entry
    out["agreement"] = None
    if all(r in out["raters"] for r in RATERS):
        both = changes.dropna(subset=[("self", "change"), ("manager", "change")])
        gap, ci, n = mean_interval((both[("self", "change")] - both[("manager", "change")]).to_numpy(), confidence)
        out["agreement"] = {
            "correlation": correlation(both[("self", "change")].to_numpy(), both[("manager", "change")].to_numpy(),
                                       confidence),
            "self_minus_manager": estimate(gap, ci, n=n),
        }
    return out


def behaviour_by_learner(frame: pd.DataFrame, items: Sequence[str]) -> pd.Series:
    """Each learner's behaviour change for the chain of evidence: the manager's rating when
    there is one (observed by someone else), else the learner's own."""
    changes = behaviour_changes(frame, items)
    result = pd.Series(np.nan, index=changes.index, name="behaviour")
    for rater in ("self", "manager"):  # the manager's rating overrides
        if rater in changes.columns.get_level_values(0):
            values = changes[(rater, "change")]
            result = values.where(values.notna(), result)
    return result.rename("behaviour")
