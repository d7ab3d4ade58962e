"""'What your learners say': a client's learners against the learners of its peer group.

A pure function of aggregates: :func:`learner_voice_block` takes the wave's per-organisation
learner summary (counts, means and variances per measure, never a learner's row), the
client's organisation id and the ids of a *released* peer group, and returns a JSON-safe
block fit for a published table of client figures.

Rules (learners are protected like organisations):

* the block is withheld, with the reason, when the client has fewer than ``min_learners``
  learners, or when fewer than ``min_group_size`` organisations of the peer group (the client
  left out) have at least ``min_learners`` learners each;
* a peer figure pools the learners of the peer organisations that have at least
  ``min_learners`` learners answering that measure, and is withheld when fewer than
  ``min_group_size`` organisations remain; a client figure needs ``min_learners`` answers;
* the client never appears in its own peer figure, so the peer figure cannot be unpicked
  with the client's own numbers. Which peer groups may be shown at all (and that released
  groups differ by enough organisations) is the wave's release plan's business: pass only a
  released group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from ..config import DEFAULT_MIN_GROUP_SIZE, DEFAULT_MIN_LEARNERS
from ..data.learner_tables import has_learners, learner_choice_counts, learner_framework, learner_organisation_summary
from ..data.store import BenchmarkStore
from ..framework import Framework
from ..values import json_safe
from .learner_block import BLOCK_TITLE, compose_learner_voice, withheld_block

__all__ = ["LearnerAggregates", "wave_learner_aggregates", "learner_figures", "compose_learner_voice",
           "learner_voice_block", "BLOCK_TITLE"]



@dataclass(frozen=True)
class LearnerAggregates:
    """A wave's learner aggregates: the learner framework, the per-organisation summary
    (:func:`~maturity.data.learner_tables.learner_organisation_summary`) and the single-choice
    counts (:func:`~maturity.data.learner_tables.learner_choice_counts`)."""

    framework: Framework
    summary: pd.DataFrame
    choices: pd.DataFrame


def wave_learner_aggregates(store: BenchmarkStore, wave: str | int | None = None, *,
                            organisations: Sequence[str] | None = None) -> LearnerAggregates | None:
    """The wave's learner aggregates, read once (None when the wave has no learners); of
    ``organisations`` only when given (a client's own learners)."""
    if not has_learners(store, wave):
        return None
    return LearnerAggregates(learner_framework(store, wave),
                             learner_organisation_summary(store, wave, organisations=organisations),
                             learner_choice_counts(store, wave, organisations=organisations))


def _pooled(part: pd.DataFrame | None, min_learners: int, min_group_size: int) -> dict[str, Any]:
    """Learner-weighted mean over the organisations with at least ``min_learners`` answers;
    null below ``min_group_size`` such organisations."""
    if part is None:
        return {"mean": None, "n": 0, "organisations": 0}
    part = part[part["n"] >= min_learners]
    n, k = int(part["n"].sum()), int(len(part))
    mean = float((part["mean"] * part["n"]).sum() / n) if k >= min_group_size and n else None
    return {"mean": mean, "n": n, "organisations": k}


def learner_figures(
    aggregates: LearnerAggregates,
    organisation_ids: Iterable[str],
    *,
    min_learners: int = DEFAULT_MIN_LEARNERS,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> dict[str, Any]:
    """Pooled learner figures of a set of organisations (JSON-safe, no organisation named).

    Only organisations with at least ``min_learners`` learners count; the figures are
    withheld (``shown`` false) when fewer than ``min_group_size`` of them remain, and each
    figure is null when fewer than ``min_group_size`` organisations have ``min_learners``
    answers to it. One organisation's own figures are ``learner_figures(aggregates, [id],
    min_group_size=1)``.

    Returns
    -------
    dict
        ``shown``, ``reason``, ``n_organisations``, ``n_learners``, and per measure id:
        ``scales`` (``name``, ``mean`` 0-100, ``n``, ``organisations``), ``items`` (``text``,
        ``mirrors``, ``mean`` on the answer scale, ``favourable`` share, ``n``, ...),
        ``barriers`` (``name``, ``mean`` = share), ``choices`` (``question``, ``n``, ``shares``
        by answer).
    """
    fw, summary = aggregates.framework, aggregates.summary
    ids = {str(i) for i in organisation_ids}
    rows = summary[summary["organisation_id"].isin(ids)]
    counts = rows.groupby("organisation_id")["n_learners"].first()
    eligible = counts[counts >= min_learners]
    out: dict[str, Any] = {"shown": len(eligible) >= min_group_size and len(eligible) > 0, "reason": None,
                           "n_organisations": int(len(eligible)), "n_learners": int(eligible.sum())}
    if not out["shown"]:
        out["reason"] = (f"fewer than {max(min_group_size, 1)} organisations have at least {min_learners} "
                         "learners answering")
        return json_safe(out)
    rows = rows[rows["organisation_id"].isin(eligible.index)]
    by = dict(tuple(rows.groupby(["measure", "kind"], sort=False)))

    def figure(measure: str, kind: str) -> dict[str, Any]:
        return _pooled(by.get((measure, kind)), min_learners, min_group_size)

    out["scales"] = {s.id: {"name": s.name, **figure(s.id, "scale")} for s in fw.strands}
    out["items"] = {i.id: {"text": i.text, "mirrors": fw.mirrors.get(i.id), **figure(i.id, "item"),
                           "favourable": figure(i.id, "favourable")["mean"]} for i in fw.items}
    out["barriers"] = {b.id: {"name": b.name, **figure(b.id, "barrier")}
                       for b in fw.barriers if (b.id, "barrier") in by}
    out["choices"] = _choices(aggregates, list(eligible.index), min_learners, min_group_size)
    return json_safe(out)


def _choices(aggregates: LearnerAggregates, ids: list[str], min_learners: int, min_group_size: int) -> dict:
    counts = aggregates.choices
    out = {}
    for question in aggregates.framework.demographics:
        part = counts[(counts["question"] == question.id) & counts["organisation_id"].isin(ids)]
        totals = part.groupby("organisation_id")["n"].sum()
        part = part[part["organisation_id"].isin(totals[totals >= min_learners].index)]
        values = part.groupby("value")["n"].sum()
        n = int(values.sum())
        enough = part["organisation_id"].nunique() >= min_group_size and n > 0
        out[question.id] = {"question": question.name, "n": n, "values": list(question.values),
                            "shares": {v: (float(values.get(v, 0) / n) if enough else None) for v in question.values}}
    return out


def learner_voice_block(
    organisation_id: str,
    aggregates: LearnerAggregates,
    peer_ids: Iterable[str],
    *,
    min_learners: int = DEFAULT_MIN_LEARNERS,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    peer_label: str = "your peer group",
) -> dict[str, Any]:
    """The client's "What your learners say" block.

    Parameters
    ----------
    organisation_id : str
        The client organisation.
    aggregates : LearnerAggregates
        The wave's learner aggregates.
    peer_ids : iterable of str
        Organisation ids of a released peer group (the client, if listed, is left out).
    min_learners, min_group_size : int
    peer_label : str
        How the report names the peer group.

    Returns
    -------
    dict
        JSON-safe. ``shown`` false with a ``reason`` when withheld; else ``n_learners``,
        ``peers`` (``label``, ``n_organisations``, ``n_learners``), ``scales`` and ``items``
        (``own``, ``peers`` means; items also the ``own_favourable`` and ``peers_favourable``
        shares), ``barriers`` (shares), ``choices`` (per single-choice question, the share of
        each answer); any figure too small is null with its ``n``.
    """
    organisation_id = str(organisation_id)
    own = learner_figures(aggregates, [organisation_id], min_learners=min_learners, min_group_size=1)
    if not own["shown"]:
        counts = aggregates.summary.loc[aggregates.summary["organisation_id"] == organisation_id, "n_learners"]
        n_own = int(counts.iloc[0]) if len(counts) else 0
        return withheld_block(f"{n_own} of your staff answered the learners' survey; learner figures need at least "
                         f"{min_learners}", n_learners=n_own, min_learners=min_learners, min_group_size=min_group_size)
    peers = learner_figures(aggregates, {str(p) for p in peer_ids} - {organisation_id}, min_learners=min_learners,
                            min_group_size=min_group_size)
    return compose_learner_voice(own, peers, min_learners=min_learners, min_group_size=min_group_size,
                                 peer_label=peer_label)
