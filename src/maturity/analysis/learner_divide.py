"""The divide between what L&D says and what its learners say, over the mirrored items of a
learner framework (its ``mirrors``: learner item -> organisation item).

Both sides are put in the favourable direction first (a reverse-worded statement is flipped,
``min + max - x``), so the L&D answer and the learners' mean can be compared directly. Only
organisations with at least ``min_learners`` learners answering an item count, and a wave
figure needs ``min_group_size`` organisations.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd
from scipy import stats

from ..config import DEFAULT_MIN_GROUP_SIZE, DEFAULT_MIN_LEARNERS
from ..framework import Framework

__all__ = ["mirrored_pairs", "learner_divide", "divide_distribution", "favourable_shares"]


def _enough(summary: pd.DataFrame, min_learners: int) -> pd.DataFrame:
    return summary[summary["n"] >= min_learners]


def mirrored_pairs(learner_framework: Framework, organisation_framework: Framework) -> pd.DataFrame:
    """The mirrored item pairs both frameworks know.

    Returns
    -------
    DataFrame
        ``learner_item``, ``organisation_item``, ``text`` (the learner wording),
        ``organisation_text``, ``min``, ``max`` (the shared scale's ends), ``learner_reverse``,
        ``organisation_reverse``. Pairs whose scales differ in their ends are left out.
    """
    org_items = {i.id: i for i in organisation_framework.items}
    rows = []
    for learner_id, org_id in learner_framework.mirrors.items():
        if org_id not in org_items:
            continue
        li = next(i for i in learner_framework.items if i.id == learner_id)
        oi = org_items[org_id]
        ls, os_ = learner_framework.scales[li.scale], organisation_framework.scales[oi.scale]
        if (ls.min, ls.max) != (os_.min, os_.max):
            continue
        rows.append({"learner_item": learner_id, "organisation_item": org_id, "text": li.text,
                     "organisation_text": oi.text, "min": ls.min, "max": ls.max,
                     "learner_reverse": li.reverse, "organisation_reverse": oi.reverse})
    return pd.DataFrame(rows, columns=["learner_item", "organisation_item", "text", "organisation_text", "min", "max",
                                       "learner_reverse", "organisation_reverse"])


def _scored(values: np.ndarray | pd.Series, low: float, high: float, reverse: bool):
    """Answers turned so that higher is the favourable view (reverse items flipped)."""
    return low + high - values if reverse else values


def _paired(responses: pd.DataFrame, summary: pd.DataFrame, learner_framework: Framework,
            organisation_framework: Framework, kind: str, min_learners: int) -> Iterator[tuple]:
    """For each mirrored pair both sides answered: the pair, the learner summary rows of
    ``kind`` (organisations with at least ``min_learners`` answers, indexed by id) and the
    L&D answers of the same organisations (NaN where L&D did not answer)."""
    frame = organisation_framework.by_id(responses)
    enough = _enough(summary[summary["kind"] == kind], min_learners).set_index(["measure", "organisation_id"])
    measured = set(enough.index.get_level_values(0))
    for pair in mirrored_pairs(learner_framework, organisation_framework).itertuples(index=False):
        if pair.learner_item not in measured or pair.organisation_item not in frame.columns:
            continue
        learners = enough.loc[pair.learner_item]
        ld = pd.to_numeric(frame[pair.organisation_item], errors="coerce")
        ld.index = ld.index.astype(str)
        yield pair, learners, ld.reindex(learners.index)


def learner_divide(
    responses: pd.DataFrame,
    summary: pd.DataFrame,
    learner_framework: Framework,
    organisation_framework: Framework,
    *,
    min_learners: int = DEFAULT_MIN_LEARNERS,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """For each mirrored pair and organisation: the L&D answer against its learners' mean.

    Both sides are put in the favourable direction (a reverse-worded item is flipped,
    ``min + max - x``), so a positive ``gap`` means L&D sees things more favourably than its
    learners do.

    Parameters
    ----------
    responses : DataFrame
        The wave's organisation answers (id column and item columns).
    summary : DataFrame
        Per-organisation learner summary.
    confidence : float
        Level of the t interval of the learners' mean.

    Returns
    -------
    DataFrame
        ``organisation_id``, ``learner_item``, ``organisation_item``, ``ld_answer``,
        ``learner_mean``, ``ci_low``, ``ci_high``, ``n``, ``gap`` (L&D minus learners);
        only organisations with at least ``min_learners`` learners on the item and an L&D answer.
    """
    parts = []
    for pair, learners, ld in _paired(responses, summary, learner_framework, organisation_framework, "item",
                                      min_learners):
        mean = _scored(learners["mean"], pair.min, pair.max, pair.learner_reverse)
        half = stats.t.ppf(0.5 + confidence / 2, learners["n"] - 1) * np.sqrt(learners["var"] / learners["n"])
        part = pd.DataFrame({
            "organisation_id": learners.index.to_numpy(object), "learner_item": pair.learner_item,
            "organisation_item": pair.organisation_item,
            "ld_answer": _scored(ld, pair.min, pair.max, pair.organisation_reverse).to_numpy(float),
            "learner_mean": mean.to_numpy(float), "ci_low": (mean - half).to_numpy(float),
            "ci_high": (mean + half).to_numpy(float), "n": learners["n"].to_numpy("int64"),
        })
        parts.append(part.dropna(subset=["ld_answer"]))
    columns = ["organisation_id", "learner_item", "organisation_item", "ld_answer", "learner_mean", "ci_low",
               "ci_high", "n", "gap"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out["gap"] = out["ld_answer"] - out["learner_mean"]
    return out[columns]


def divide_distribution(divide: pd.DataFrame, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """The wave's distribution of the L&D-minus-learners gap, per mirrored pair.

    Returns
    -------
    DataFrame
        Indexed by learner item: ``organisation_item``, ``n_organisations``, ``mean_gap``,
        ``sd_gap``, ``q25``, ``median``, ``q75`` (interpolated quartiles), ``share_ld_higher``
        (organisations whose L&D answer lies above their learners' interval) and
        ``share_ld_lower``; statistics withheld (NaN) below ``min_group_size`` organisations.
    """
    rows = []
    for item, part in divide.groupby("learner_item", sort=False):
        gap = part["gap"].to_numpy(float)
        row = {"learner_item": item, "organisation_item": part["organisation_item"].iloc[0],
               "n_organisations": int(len(part)), "mean_gap": gap.mean(), "sd_gap": gap.std(ddof=1) if len(gap) > 1 else np.nan,
               "q25": np.quantile(gap, 0.25), "median": np.quantile(gap, 0.5), "q75": np.quantile(gap, 0.75),
               "share_ld_higher": float((part["ld_answer"] > part["ci_high"]).mean()),
               "share_ld_lower": float((part["ld_answer"] < part["ci_low"]).mean())}
        if len(part) < min_group_size:
            row.update({k: np.nan for k in ("mean_gap", "sd_gap", "q25", "median", "q75", "share_ld_higher",
                                            "share_ld_lower")})
        rows.append(row)
    columns = ["learner_item", "organisation_item", "n_organisations", "mean_gap", "sd_gap", "q25", "median", "q75",
               "share_ld_higher", "share_ld_lower"]
    return pd.DataFrame(rows, columns=columns).set_index("learner_item")


def favourable_shares(
    responses: pd.DataFrame,
    summary: pd.DataFrame,
    learner_framework: Framework,
    organisation_framework: Framework,
    *,
    min_learners: int = DEFAULT_MIN_LEARNERS,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """Wave level: the share of L&D respondents holding the favourable view of a mirrored
    item against the share of learners who do (the top two answers in the favourable
    direction, e.g. *agree* or *strongly agree*; for a reverse-worded item the bottom two).

    Both shares are taken over the same organisations: those with an L&D answer and at least
    ``min_learners`` learners answering. Learners are pooled (each learner counts once).

    Returns
    -------
    DataFrame
        Indexed by learner item: ``organisation_item``, ``text``, ``n_organisations``,
        ``n_learners``, ``ld_share``, ``learner_share``, ``difference`` (L&D minus learners);
        shares withheld (NaN) below ``min_group_size`` organisations.
    """
    rows = []
    for pair, learners, ld in _paired(responses, summary, learner_framework, organisation_framework, "favourable",
                                      min_learners):
        keep = ld.notna()
        learners, ld = learners[keep], ld[keep]
        ld_favourable = _scored(ld, pair.min, pair.max, pair.organisation_reverse) >= pair.max - 1
        n_learners = int(learners["n"].sum())
        row = {"learner_item": pair.learner_item, "organisation_item": pair.organisation_item, "text": pair.text,
               "n_organisations": int(len(learners)), "n_learners": n_learners,
               "ld_share": float(ld_favourable.mean()) if len(ld) else np.nan,
               "learner_share": float((learners["mean"] * learners["n"]).sum() / n_learners) if n_learners else np.nan}
        if len(learners) < min_group_size:
            row.update(ld_share=np.nan, learner_share=np.nan)
        rows.append(row)
    out = pd.DataFrame(rows, columns=["learner_item", "organisation_item", "text", "n_organisations", "n_learners",
                                      "ld_share", "learner_share"]).set_index("learner_item")
    out["difference"] = out["ld_share"] - out["learner_share"]
    return out
