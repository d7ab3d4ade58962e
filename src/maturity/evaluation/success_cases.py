"""Success cases (Brinkerhoff): the participants the evaluator should interview.

The most and the least successful participants, by their behaviour change and their
results change (each standardised, then averaged over what is known), with their stories
when the plan gives a stories file. The cases explain *how* the programme worked, or did
not; they are for the evaluator's interviews and stay out of anything shared widely.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def success_cases(by_learner: pd.DataFrame, stories: pd.DataFrame | None = None, *, k: int = 5) -> dict[str, Any]:
    """The ``k`` most and ``k`` least successful learners.

    Parameters
    ----------
    by_learner : DataFrame
        Index ``learner_id``; columns ``behaviour`` and/or ``results``.
    stories : DataFrame, optional
        ``learner_id``, ``story``.
    k : int

    Returns
    -------
    dict
        ``most`` and ``least`` (lists of ``{learner_id, score, behaviour, results, story}``),
        ``basis`` (the columns used), ``n`` (learners scored).
    """
    basis = [c for c in ("behaviour", "results") if c in by_learner and by_learner[c].notna().sum() >= 2]
    if not basis:
        return {"most": [], "least": [], "basis": [], "n": 0}
    z = pd.concat([(by_learner[c] - by_learner[c].mean()) / by_learner[c].std() for c in basis], axis=1)
    score = z.mean(axis=1).dropna().sort_values(kind="stable")
    told = {} if stories is None else stories.groupby("learner_id")["story"].agg(" / ".join).to_dict()

    def rows(ids) -> list[dict[str, Any]]:
        return [{"learner_id": str(i), "score": float(score[i]),
                 **{c: (None if pd.isna(by_learner.at[i, c]) else float(by_learner.at[i, c])) for c in basis},
                 "story": told.get(i)} for i in ids]

    k = min(k, len(score) // 2)
    return {"most": rows(score.index[::-1][:k]), "least": rows(score.index[:k]), "basis": basis, "n": int(len(score))}
