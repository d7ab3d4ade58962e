"""Outcome improvements: which organisations report an improvement, item by item and per
outcome group. The kit's one reading of outcome answers, used by the achievers-vs-others
comparison, outcomes by quartile or segment, and the segments' outcome profiles.

Definitions
-----------
improvement on an outcome item
    The answer (reverse-coded items reversed) is at or above the outcome group's
    ``improved_at``; when the group sets none, any answer above the scale minimum.
improvement in an outcome group
    An improvement on at least half of the group's items the organisation answered,
    missing when it answered none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..framework import Framework
from ..scoring import answer_values

__all__ = ["improvement_flags", "group_improvement"]


def improvement_flags(responses: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Whether each organisation reports an improvement on each outcome item.

    Returns
    -------
    DataFrame
        Indexed by respondent id, one column per outcome item: 1.0 (improved), 0.0, or NaN
        (not answered). Items missing from ``responses`` are left out.
    """
    items, thresholds = [], []
    for group in framework.outcomes:
        for item in group.items:
            if item.id in responses.columns:
                scale = framework.scales[item.scale]
                items.append(item)
                # improved_at is on the improvement direction of the scale; without one,
                # anything above the minimum counts (the next answer up, on any scale).
                thresholds.append(group.improved_at if group.improved_at is not None else np.nextafter(scale.min, np.inf))
    if not items:
        return pd.DataFrame(index=framework.by_id(responses).index)
    # Reverse-coded items reversed (min + max - x), so improved_at reads one way.
    values = answer_values(responses, framework, items, reverse=True)
    flags = values.ge(pd.Series(thresholds, index=values.columns), axis=1).astype(float)
    return flags.mask(values.isna())


def group_improvement(responses: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Whether each organisation reports an improvement in each outcome group.

    An organisation counts as improving in a group when at least half of the group's KPIs
    it answered show an improvement (:func:`improvement_flags`); NaN when it answered none.
    "Any KPI" would be too easy a bar: most organisations see some gain somewhere, and the
    comparison of the most mature with the rest would say little.
    """
    flags = improvement_flags(responses, framework)
    out = {}
    for group in framework.outcomes:
        cols = [i.id for i in group.items if i.id in flags.columns]
        if not cols:
            continue
        share = flags[cols].mean(axis=1)  # over answered KPIs; NaN when none was answered
        out[group.id] = (share >= 0.5).astype(float).mask(share.isna())
    return pd.DataFrame(out, index=flags.index)
