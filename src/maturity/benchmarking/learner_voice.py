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
from typing import Any, Iterable

import pandas as pd

from ..config import DEFAULT_MIN_GROUP_SIZE, DEFAULT_MIN_LEARNERS
from ..data.learners import has_learners, learner_choice_counts, learner_framework, learner_organisation_summary
from ..data.store import BenchmarkStore
from ..framework import Framework
from ..values import json_safe

__all__ = ["LearnerAggregates", "wave_learner_aggregates", "learner_voice_block", "BLOCK_TITLE"]

BLOCK_TITLE = "What your learners say"


@dataclass(frozen=True)
class LearnerAggregates:
    """A wave's learner aggregates: the learner framework, the per-organisation summary
    (:func:`~maturity.data.learners.learner_organisation_summary`) and the single-choice
    counts (:func:`~maturity.data.learners.learner_choice_counts`)."""

    framework: Framework
    summary: pd.DataFrame
    choices: pd.DataFrame


def wave_learner_aggregates(store: BenchmarkStore, wave: str | int | None = None) -> LearnerAggregates | None:
    """The wave's learner aggregates, read once (None when the wave has no learners)."""
    if not has_learners(store, wave):
        return None
    return LearnerAggregates(learner_framework(store, wave), learner_organisation_summary(store, wave),
                             learner_choice_counts(store, wave))


def _withheld(reason: str, **extra: Any) -> dict[str, Any]:
    return json_safe({"title": BLOCK_TITLE, "shown": False, "reason": reason, **extra})


def _pooled(part: pd.DataFrame, min_learners: int, min_group_size: int) -> tuple[float | None, int, int]:
    """Learner-weighted mean over the organisations with enough answers; (mean, learners, organisations)."""
    part = part[part["n"] >= min_learners]
    n = int(part["n"].sum())
    if len(part) < min_group_size or n == 0:
        return None, n, int(len(part))
    return float((part["mean"] * part["n"]).sum() / n), n, int(len(part))


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
    fw, summary = aggregates.framework, aggregates.summary
    organisation_id = str(organisation_id)
    own = summary[summary["organisation_id"] == organisation_id]
    n_own = int(own["n_learners"].iloc[0]) if len(own) else 0
    base = {"min_learners": min_learners, "min_group_size": min_group_size}
    if n_own < min_learners:
        return _withheld(
            f"{n_own} of your staff answered the learners' survey; learner figures need at least {min_learners}",
            n_learners=n_own, **base)
    peers = {str(p) for p in peer_ids} - {organisation_id}
    peer_rows = summary[summary["organisation_id"].isin(peers)]
    counts = peer_rows.groupby("organisation_id")["n_learners"].first()
    eligible = counts[counts >= min_learners]
    if len(eligible) < min_group_size:
        return _withheld(
            f"fewer than {min_group_size} organisations of {peer_label} have at least {min_learners} learners answering",
            n_learners=n_own, **base)
    peer_rows = peer_rows[peer_rows["organisation_id"].isin(eligible.index)]
    own_by = own.set_index(["measure", "kind"])
    peer_by = dict(tuple(peer_rows.groupby(["measure", "kind"], sort=False)))

    def figure(measure: str, kind: str) -> dict[str, Any]:
        own_n = int(own_by.loc[(measure, kind), "n"]) if (measure, kind) in own_by.index else 0
        own_mean = float(own_by.loc[(measure, kind), "mean"]) if own_n >= min_learners else None
        part = peer_by.get((measure, kind))
        mean, n, k = _pooled(part, min_learners, min_group_size) if part is not None else (None, 0, 0)
        return {"own": own_mean, "own_n": own_n, "peers": mean, "peers_n": n, "peers_organisations": k}

    scales = [{"id": s.id, "name": s.name, **figure(s.id, "scale")} for s in fw.strands]
    items = []
    for item in fw.items:
        row = {"id": item.id, "text": item.text, "mirrors": fw.mirrors.get(item.id), **figure(item.id, "item")}
        favourable = figure(item.id, "favourable")
        row["own_favourable"], row["peers_favourable"] = favourable["own"], favourable["peers"]
        items.append(row)
    barriers = [{"id": b.id, "name": b.name, **figure(b.id, "barrier")}
                for b in fw.barriers if (b.id, "barrier") in own_by.index]
    return json_safe({
        "title": BLOCK_TITLE, "shown": True, "reason": None, "n_learners": n_own, **base,
        "peers": {"label": peer_label, "n_organisations": int(len(eligible)), "n_learners": int(eligible.sum())},
        "scales": scales, "items": items, "barriers": barriers,
        "choices": _choice_block(organisation_id, aggregates, list(eligible.index), fw, min_learners, min_group_size),
    })


def _choice_block(organisation_id: str, aggregates: LearnerAggregates, peers: list[str], fw: Framework,
                  min_learners: int, min_group_size: int) -> list[dict[str, Any]]:
    counts = aggregates.choices
    out = []
    for question in fw.demographics:
        part = counts[counts["question"] == question.id]
        own = part[part["organisation_id"] == organisation_id].set_index("value")["n"]
        peer = part[part["organisation_id"].isin(peers)]
        totals = peer.groupby("organisation_id")["n"].sum()
        peer = peer[peer["organisation_id"].isin(totals[totals >= min_learners].index)]
        enough_peers = peer["organisation_id"].nunique() >= min_group_size
        peer_values = peer.groupby("value")["n"].sum()
        own_total, peer_total = int(own.sum()), int(peer_values.sum())
        values = [{
            "value": value,
            "own_share": float(own.get(value, 0) / own_total) if own_total >= min_learners else None,
            "peers_share": float(peer_values.get(value, 0) / peer_total) if enough_peers and peer_total else None,
        } for value in question.values]
        out.append({"id": question.id, "question": question.name, "own_n": own_total,
                    "peers_n": peer_total if enough_peers else None, "values": values})
    return out
