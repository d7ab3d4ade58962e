"""Learner aggregates: per-organisation means and shares, multilevel checks, and one
analysis of a wave's learners for the notebook (the divide itself is in
:mod:`maturity.analysis.learner_divide`).

Everything starts from per-organisation summaries (n, mean, variance per measure; see
:func:`maturity.data.learner_tables.learner_organisation_summary`), so a wave of a million
learners is reduced by one ``GROUP BY`` before any of this runs.

Learner anonymity: an organisation with fewer than ``min_learners`` learners answering a
measure contributes no figure about that measure (its mean is withheld, and it is left out
of ICCs, agreement and wave figures); a wave figure across organisations needs at least
``min_group_size`` organisations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ..config import DEFAULT_MIN_GROUP_SIZE, DEFAULT_MIN_LEARNERS
from ..data.learner_tables import has_learners, learner_choice_counts, learner_framework, learner_organisation_summary
from ..data.store import BenchmarkStore
from ..framework import Framework
from .learner_divide import divide_distribution, favourable_shares, learner_divide
from .multilevel import icc_from_summary, rwg, rwg_j

__all__ = [
    "organisation_means", "choice_shares", "learner_reliability", "scale_points", "LearnerAnalysis", "wave_learners",
    "learner_sentences", "measure_names",
]


def scale_points(framework: Framework, item_id: str) -> int | None:
    """Number of answer options (A) of an item's scale; None when the scale is not whole-number."""
    item = next(i for i in framework.items if i.id == item_id)
    scale = framework.scales[item.scale]
    return int(scale.max - scale.min) + 1 if scale.integer else None


def _enough(summary: pd.DataFrame, min_learners: int) -> pd.DataFrame:
    return summary[summary["n"] >= min_learners]


def organisation_means(summary: pd.DataFrame, *, min_learners: int = DEFAULT_MIN_LEARNERS,
                       kinds: tuple[str, ...] = ("item", "scale", "barrier")) -> pd.DataFrame:
    """Each organisation's learner means (items on their scale, scales 0-100, barriers as
    shares), withheld (NaN) where fewer than ``min_learners`` learners answered.

    Parameters
    ----------
    summary : DataFrame
        Long per-organisation summary (``organisation_id``, ``measure``, ``kind``, ``n``, ``mean``, ...).
    min_learners : int
    kinds : tuple of str
        Kinds of measure to include (``favourable`` shares are left out by default, as
        their ids repeat the items').

    Returns
    -------
    DataFrame
        Indexed by organisation id: ``n_learners`` then one column per measure.
    """
    n_learners = summary.groupby("organisation_id")["n_learners"].first()
    summary = summary[summary["kind"].isin(kinds)]
    wide = summary.assign(mean=summary["mean"].where(summary["n"] >= min_learners)).pivot(
        index="organisation_id", columns="measure", values="mean")
    wide = wide[list(dict.fromkeys(summary["measure"]))]
    wide.insert(0, "n_learners", n_learners.reindex(wide.index).astype("int64"))
    wide.columns.name = None
    return wide


def choice_shares(counts: pd.DataFrame, *, min_learners: int = DEFAULT_MIN_LEARNERS,
                  min_group_size: int = DEFAULT_MIN_GROUP_SIZE, organisations: list[str] | None = None) -> pd.DataFrame:
    """Shares of learners choosing each value of each single-choice question, pooled over
    the organisations (all, or those listed) with at least ``min_learners`` answers.

    Returns
    -------
    DataFrame
        ``question``, ``value``, ``n`` (learners), ``share``, ``n_organisations``; no rows for
        a question answered by fewer than ``min_group_size`` such organisations.
    """
    frame = counts if organisations is None else counts[counts["organisation_id"].isin(organisations)]
    per_org = frame.groupby(["question", "organisation_id"])["n"].transform("sum")
    frame = frame[per_org >= min_learners]
    if frame.empty:
        return pd.DataFrame(columns=["question", "value", "n", "share", "n_organisations"])
    out = frame.groupby(["question", "value"], sort=False).agg(n=("n", "sum"), n_organisations=("organisation_id", "nunique"))
    out = out.reset_index()
    totals = frame.groupby("question")["n"].sum()
    out["share"] = out["n"] / out["question"].map(totals)
    out["n_organisations"] = out["question"].map(frame.groupby("question")["organisation_id"].nunique())
    out = out[out["n_organisations"] >= min_group_size]
    return out.sort_values(["question", "n"], ascending=[True, False])[
        ["question", "value", "n", "share", "n_organisations"]].reset_index(drop=True)


def learner_reliability(
    summary: pd.DataFrame,
    framework: Framework,
    *,
    min_learners: int = DEFAULT_MIN_LEARNERS,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """Whether learner aggregates describe organisations: ICC(1), ICC(2) and rwg(j) per item
    and per scale (strand) of the learner framework.

    Only organisations with at least ``min_learners`` learners answering a measure count;
    a measure with fewer than ``min_group_size`` such organisations gets no statistics.

    Returns
    -------
    DataFrame
        Indexed by measure id: ``kind`` (item or scale), ``n_learners``, ``n_organisations``,
        ``icc1``, ``icc2``, ``rwg_j`` (mean over organisations of rwg for an item, rwg(j)
        for a scale, from the organisations' item variances; uniform null) and
        ``rwg_j_median``.
    """
    enough = _enough(summary[summary["kind"].isin(["item", "scale"])], min_learners)
    parts = dict(tuple(enough.groupby(["measure", "kind"], sort=False)))  # one pass, not one filter per measure
    empty = enough.iloc[:0]
    rows = []
    for strand in framework.strands:
        for measure, kind in [(i.id, "item") for i in strand.items] + [(strand.id, "scale")]:
            part = parts.get((measure, kind), empty)
            stats_row = icc_from_summary(part["n"], part["mean"], part["var"])
            if kind == "item":
                points = scale_points(framework, measure)
                agreement = rwg(part["var"].to_numpy(), points) if points else np.array([np.nan])
            else:
                ids = [i.id for i in strand.items]
                points = {scale_points(framework, i) for i in ids}
                variances = np.column_stack([
                    parts.get((i, "item"), empty).set_index("organisation_id")["var"]
                    .reindex(part["organisation_id"]).to_numpy(float) for i in ids])
                agreement = rwg_j(variances, points.pop()) if len(points) == 1 and None not in points \
                    else np.array([np.nan])
            row = {"measure": measure, "kind": kind, "n_learners": int(part["n"].sum()),
                   "n_organisations": int(len(part)), "icc1": stats_row["icc1"], "icc2": stats_row["icc2"],
                   "rwg_j": float(np.nanmean(agreement)) if np.isfinite(agreement).any() else np.nan,
                   "rwg_j_median": float(np.nanmedian(agreement)) if np.isfinite(agreement).any() else np.nan}
            if len(part) < min_group_size:
                row.update(icc1=np.nan, icc2=np.nan, rwg_j=np.nan, rwg_j_median=np.nan)
            rows.append(row)
    return pd.DataFrame(rows).set_index("measure")


def measure_names(framework: Framework) -> Mapping[str, str]:
    """Display text of each learner measure: item wording, strand names, barrier names."""
    names = {i.id: i.text for i in framework.items}
    names.update({s.id: s.name for s in framework.strands})
    names.update({b.id: b.name for b in framework.barriers})
    return names


@dataclass
class LearnerAnalysis:
    """A wave's learner level, analysed for researchers (every table already respects
    ``min_learners`` and ``min_group_size``).

    Attributes
    ----------
    framework : Framework
        The learner framework.
    wave : str
    n_learners, n_organisations : int
        Learners stored for the wave's organisations, and those organisations.
    min_learners, min_group_size : int
    reliability : DataFrame
        :func:`learner_reliability`.
    means : DataFrame
        :func:`organisation_means`.
    choices : DataFrame
        :func:`choice_shares` over the wave.
    divide : DataFrame
        :func:`learner_divide`.
    divide_spread : DataFrame
        :func:`divide_distribution`.
    favourable : DataFrame
        :func:`favourable_shares`.
    """

    framework: Framework
    wave: str
    n_learners: int
    n_organisations: int
    min_learners: int
    min_group_size: int
    reliability: pd.DataFrame
    means: pd.DataFrame
    choices: pd.DataFrame
    divide: pd.DataFrame
    divide_spread: pd.DataFrame
    favourable: pd.DataFrame


def wave_learners(
    db: str | Path,
    wave: str | None,
    responses: pd.DataFrame,
    organisation_framework: Framework,
    *,
    min_learners: int = DEFAULT_MIN_LEARNERS,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> LearnerAnalysis | None:
    """Analyse the learner level of a database wave; None when the wave has no learners.

    Parameters
    ----------
    db : path
        The benchmark database (opened read-only).
    wave : str, optional
        Default the latest wave.
    responses : DataFrame
        The wave's organisation answers (for the divide).
    organisation_framework : Framework
    """
    with BenchmarkStore(db, read_only=True) as store:
        label = store.resolve_wave(wave)
        if not has_learners(store, label):
            return None
        framework = learner_framework(store, label)
        summary = learner_organisation_summary(store, label)
        counts = learner_choice_counts(store, label)
    divide = learner_divide(responses, summary, framework, organisation_framework, min_learners=min_learners)
    totals = summary.groupby("organisation_id")["n_learners"].first()
    return LearnerAnalysis(
        framework=framework, wave=label, n_learners=int(totals.sum()), n_organisations=int(len(totals)),
        min_learners=min_learners, min_group_size=min_group_size,
        reliability=learner_reliability(summary, framework, min_learners=min_learners, min_group_size=min_group_size),
        means=organisation_means(summary, min_learners=min_learners),
        choices=choice_shares(counts, min_learners=min_learners, min_group_size=min_group_size),
        divide=divide,
        divide_spread=divide_distribution(divide, min_group_size=min_group_size),
        favourable=favourable_shares(responses, summary, framework, organisation_framework,
                                     min_learners=min_learners, min_group_size=min_group_size),
    )


def learner_sentences(analysis: LearnerAnalysis) -> list[str]:
    """Plain sentences about a wave's learners: who answered, whether their answers describe
    their organisations, whose opinion matters, and where L&D and learners disagree most."""
    a = analysis
    enough = int((a.means["n_learners"] >= a.min_learners).sum())
    out = [f"{a.n_learners:,} learners of {a.n_organisations} organisations answered the learners' survey "
           f"({a.framework.name}); {enough} organisations have at least {a.min_learners} learners, the fewest "
           "behind any learner figure."]
    scales = a.reliability[a.reliability["kind"] == "scale"].dropna(subset=["icc1"])
    if len(scales):
        low, high = scales["icc1"].min(), scales["icc1"].max()
        out.append(f"Between {low:.0%} and {high:.0%} of the variance of learners' scale scores lies between "
                   f"organisations (ICC(1)); the reliability of an organisation's mean (ICC(2)) ranges from "
                   f"{scales['icc2'].min():.2f} to {scales['icc2'].max():.2f}. Values of ICC(2) of about 0.7 or more "
                   "mean an organisation's learner mean can be read as a property of the organisation.")
    for question, part in a.choices.groupby("question", sort=False):
        top = part.iloc[0]
        answers = ", ".join(f"{row.share:.0%} *{row.value}*" for row in part.head(3).itertuples())
        out.append(f"Asked *{_question_text(a.framework, question)}*, learners answer: {answers}.")
    fav = a.favourable.dropna(subset=["difference"])
    if len(fav):
        widest = fav.loc[fav["difference"].abs().idxmax()]
        names = measure_names(a.framework)
        direction = "more" if widest["difference"] > 0 else "less"
        out.append(f"The widest divide: {widest['ld_share']:.0%} of L&D respondents but {widest['learner_share']:.0%} "
                   f"of their learners agree that *{names[widest.name]}* (L&D {direction} positive, "
                   f"{int(widest['n_organisations'])} organisations).")
    return out


def _question_text(framework: Framework, question: str) -> str:
    return next((d.name for d in framework.demographics if d.id == question), question)
