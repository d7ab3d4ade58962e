"""Advice: which strands to work on first, what to do, and findings in plain sentences.

Priorities
    Each strand's *gap* is the comparison point (peer median, top-quartile mean or top-deck
    mean) minus the client's score. It is weighted by the strand's *importance*: how
    strongly the strand drives outcomes in the benchmark (``maturity.analysis.drivers.
    strand_importance``: weights >= 0 summing to 1). ``priority = gap x weight x number of
    strands``, so with equal weights the priority is simply the gap in points. Strands
    behind the comparison point are ranked by priority; when the client is at or ahead of
    it on every strand, the strand with the smallest lead is offered as the one to stretch.
    Without an importance, every strand weighs the same (stated in the results).
Actions
    The first actions of each priority strand's action library (framework order: a
    library lists its most important actions first).
Findings
    Sentences built only from figures in the results, rounded as shown. A difference in
    a sentence is the difference of the rounded figures it cites, so every sentence adds
    up; a withheld figure is never cited.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..analysis.summary import join_words
from ..framework import INDEX_COLUMN, Framework
from .peers import COMPARISON_LABELS, PeerComparison

__all__ = [
    "equal_importance",
    "normalise_importance",
    "rank_priorities",
    "pick_actions",
    "write_findings",
    "fmt_score",
    "ordinal",
]


def fmt_score(value: float) -> str:
    """A score as shown in sentences and tables: a whole number (0-100)."""
    return f"{float(value):.0f}"


def ordinal(value: float) -> str:
    """A percentile as an ordinal, rounded as shown: ``ordinal(63.6) == "64th"``."""
    n = _r(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _r(value: float) -> int:
    """The whole number a figure is shown as (same rounding as :func:`fmt_score`)."""
    return int(fmt_score(value))


def equal_importance(framework: Framework) -> pd.Series:
    """Equal weight for every strand (the fallback when no importance is given)."""
    ids = framework.strand_ids
    return pd.Series(1.0 / len(ids), index=pd.Index(ids, name="strand"), name="weight")


def normalise_importance(importance: Mapping[str, float] | pd.Series | None, framework: Framework) -> tuple[pd.Series, str]:
    """Align an importance to the framework's strands and make it sum to 1.

    Returns
    -------
    (Series, str)
        The weights and their source: ``"drivers"`` when usable weights were given,
        ``"equal"`` otherwise (none given, or all zero or missing).
    """
    if importance is None:
        return equal_importance(framework), "equal"
    weights = pd.Series(importance, dtype=float).reindex(framework.strand_ids)
    weights = weights.where(np.isfinite(weights), 0.0).clip(lower=0.0).fillna(0.0)
    total = float(weights.sum())
    if total <= 0:
        return equal_importance(framework), "equal"
    weights = weights / total
    weights.index.name, weights.name = "strand", "weight"
    return weights, "drivers"


def rank_priorities(
    comparison: PeerComparison,
    framework: Framework,
    importance: Mapping[str, float] | pd.Series | None = None,
    *,
    n_priorities: int = 3,
) -> pd.DataFrame:
    """Rank the client's strands by importance-weighted gap to the comparison point.

    Parameters
    ----------
    comparison : PeerComparison
        From :func:`maturity.benchmarking.peers.peer_statistics`.
    framework : Framework
    importance : Series or mapping, optional
        Strand id -> weight (e.g. ``maturity.analysis.drivers.strand_importance``); default equal.
    n_priorities : int
        How many priorities to return at most.

    Returns
    -------
    DataFrame
        One row per priority strand, best first: ``rank``, ``strand``, ``name``,
        ``score``, ``comparison``, ``gap`` (points behind; negative: ahead), ``weight``,
        ``priority`` (gap x weight x number of strands) and ``behind`` (bool). Strands
        whose comparison point is withheld are not ranked. Empty when no strand has a
        comparison point.
    """
    weights, _ = normalise_importance(importance, framework)
    stats = comparison.stats.loc[framework.strand_ids]
    table = pd.DataFrame(
        {
            "strand": framework.strand_ids,
            "name": stats["name"].to_numpy(),
            "score": stats["client"].to_numpy(dtype=float),
            "comparison": stats["comparison"].to_numpy(dtype=float),
            "gap": stats["gap"].to_numpy(dtype=float),
            "weight": weights.reindex(framework.strand_ids).to_numpy(dtype=float),
        }
    )
    table = table[np.isfinite(table["gap"])].copy()
    table["priority"] = table["gap"] * table["weight"] * len(framework.strand_ids)
    table["behind"] = table["gap"] > 0
    # Stable, deterministic order: priority, then framework order.
    table["order"] = range(len(table))
    table = table.sort_values(["priority", "order"], ascending=[False, True])
    behind = table[table["behind"]]
    chosen = behind.head(n_priorities) if len(behind) else table.head(1)
    chosen = chosen.drop(columns="order").reset_index(drop=True)
    chosen.insert(0, "rank", range(1, len(chosen) + 1))
    return chosen


def pick_actions(priorities: pd.DataFrame, framework: Framework, *, per_strand: int = 2) -> list[dict[str, Any]]:
    """The first ``per_strand`` actions of each priority strand's action library.

    Returns
    -------
    list of dict
        ``priority`` (rank), ``strand``, ``strand_name``, ``title``, ``detail``.
    """
    out = []
    for row in priorities.itertuples(index=False):
        for action in framework.actions_for(row.strand)[:per_strand]:
            out.append(
                {
                    "priority": int(row.rank),
                    "strand": row.strand,
                    "strand_name": row.name,
                    "title": action.title,
                    "detail": action.detail,
                }
            )
    return out


def _peers_phrase(comparison: PeerComparison, n: int) -> str:
    if comparison.filters:
        return f"the {n:,} peers ({comparison.description})"
    return f"the {n:,} organisations in the wave"


def _gap_phrase(client: float, point: float, label: str) -> str:
    diff = _r(point) - _r(client)
    if diff > 0:
        return f"{diff} {'point' if diff == 1 else 'points'} behind the {label} of {fmt_score(point)}"
    if diff < 0:
        return f"{-diff} {'point' if diff == -1 else 'points'} ahead of the {label} of {fmt_score(point)}"
    return f"level with the {label} of {fmt_score(point)}"


def _position(comparison: PeerComparison) -> list[dict[str, str]]:
    idx = comparison.stats.loc[INDEX_COLUMN]
    own = float(idx["client"])
    if not np.isfinite(idx["percentile"]):
        reason = comparison.suppressed.get(INDEX_COLUMN, {}).get("percentile", "no peer has an index")
        return [{
            "kind": "privacy",
            "text": f"Your maturity index is {fmt_score(own)}. Peer figures are withheld to protect "
            f"the other participants: {reason}.",
        }]
    peers = _peers_phrase(comparison, int(idx["n"]))
    low, high = float(idx["ci_low"]), float(idx["ci_high"])
    text = f"Your maturity index is {fmt_score(own)}, at about the {ordinal(idx['percentile'])} percentile of {peers}"
    if high <= 0:
        text = f"Your maturity index is {fmt_score(own)}, in the lowest band of {peers}"
    elif low >= 100:
        text = f"Your maturity index is {fmt_score(own)}, in the highest band of {peers}"
    if ordinal(low) == ordinal(high):
        interval = f"The published figures place you at the {ordinal(low)} percentile."
    else:
        interval = (
            f"The published figures place you between the {ordinal(low)} and the {ordinal(high)} percentile: "
            f"where others stand is published in bands of at least {comparison.min_group_size} organisations, "
            "so no one's own score can be read from it."
        )
    return [{"kind": "position", "text": text + "."}, {"kind": "interval", "text": interval}]


def _versus_comparison(comparison: PeerComparison, framework: Framework) -> list[dict[str, str]]:
    stats, used = comparison.stats, comparison.comparison_used
    idx = stats.loc[INDEX_COLUMN]
    if used is None or not np.isfinite(idx["comparison"]):
        return []
    label = COMPARISON_LABELS[used]
    out = [{"kind": "comparison", "text": f"Your index is {_gap_phrase(idx['client'], idx['comparison'], label)}."}]
    strands = stats.loc[framework.strand_ids]
    shown = strands[np.isfinite(strands["gap"].astype(float))]
    if len(shown):
        diffs = [_r(r.comparison) - _r(r.client) for r in shown.itertuples()]
        ahead, behind = sum(d < 0 for d in diffs), sum(d > 0 for d in diffs)
        total = len(shown)
        of = "strands" if total == len(framework.strand_ids) else "strands with a comparison point"
        if ahead == total:
            text = f"You are ahead of the {label} on all {total} {of}."
        elif behind == total:
            text = f"You are behind the {label} on all {total} {of}."
        else:
            text = f"You are ahead of the {label} on {ahead} of {total} {of}"
            level = total - ahead - behind
            text += f" and level on {level}." if level else "."
        out.append({"kind": "strands", "text": text})
    return out


def _strengths(comparison: PeerComparison, framework: Framework) -> list[dict[str, str]]:
    ranked = comparison.stats.loc[framework.strand_ids].dropna(subset=["percentile"])
    if len(ranked) < 2:
        return []
    ordered = ranked.sort_values("percentile", kind="stable")
    best, worst = ordered.iloc[-1], ordered.iloc[0]
    return [{
        "kind": "strengths",
        "text": (
            f"Against peers, your strongest strand is {best['name']} (score {fmt_score(best['client'])}, "
            f"{ordinal(best['percentile'])} percentile) and your weakest is {worst['name']} "
            f"(score {fmt_score(worst['client'])}, {ordinal(worst['percentile'])} percentile)."
        ),
    }]


def _priorities(comparison: PeerComparison, priorities: pd.DataFrame, importance_source: str) -> list[dict[str, str]]:
    used = comparison.comparison_used
    if not len(priorities) or used is None:
        return []
    label = COMPARISON_LABELS[used]
    if bool(priorities["behind"].any()):
        parts = []
        for r in priorities.itertuples():
            diff = _r(r.comparison) - _r(r.score)
            parts.append(f"{r.name} ({diff} {'point' if diff == 1 else 'points'} behind)")
        if importance_source == "drivers":
            lead = (f"Weighing each gap to the {label} by how strongly the strand drives outcomes in "
                    f"this benchmark, your priorities are")
        else:
            lead = f"Your priorities, ranked by the gap to the {label}, are"
        return [{"kind": "priorities", "text": f"{lead} {join_words(parts)}."}]
    r = priorities.iloc[0]
    return [{
        "kind": "priorities",
        "text": f"You are at or ahead of the {label} on every strand; your smallest lead is in "
        f"{r['name']} ({_gap_phrase(r['score'], r['comparison'], label)}).",
    }]


def _trend(trend: pd.DataFrame | None) -> list[dict[str, str]]:
    if trend is None or INDEX_COLUMN not in trend.columns:
        return []
    valid = trend[INDEX_COLUMN].dropna()
    if len(valid) < 2:
        return []
    prev_wave, cur_wave = valid.index[-2], valid.index[-1]
    prev, cur = _r(valid.iloc[-2]), _r(valid.iloc[-1])
    change = cur - prev
    if change == 0:
        return [{"kind": "trend", "text": f"Your index stayed at {cur} from wave {prev_wave} to wave {cur_wave}."}]
    verb = "rose" if change > 0 else "fell"
    unit = "point" if abs(change) == 1 else "points"
    return [{"kind": "trend", "text": f"Your index {verb} from {prev} in wave {prev_wave} to {cur} in wave {cur_wave} ({change:+d} {unit})."}]


def _segment(segment: Mapping[str, Any] | None) -> list[dict[str, str]]:
    if not segment or not segment.get("name"):
        return []
    text = f"Your strand profile is closest to the {segment['name']} segment"
    share = segment.get("share")
    if share is not None and np.isfinite(share):
        text += f", which holds {_r(share)}% of the organisations in the wave"
    return [{"kind": "segment", "text": text + "."}]


def write_findings(
    comparison: PeerComparison,
    priorities: pd.DataFrame,
    framework: Framework,
    *,
    importance_source: str = "equal",
    trend: pd.DataFrame | None = None,
    segment: Mapping[str, Any] | None = None,
) -> list[dict[str, str]]:
    """Headline findings as plain sentences built from the computed figures only.

    Parameters
    ----------
    comparison : PeerComparison
    priorities : DataFrame
        From :func:`rank_priorities`.
    framework : Framework
    importance_source : {"drivers", "equal"}
        How the priorities were weighted (changes one phrase).
    trend : DataFrame, optional
        From :func:`maturity.benchmarking.peers.organisation_trend`.
    segment : mapping, optional
        The ``segment`` block of the results (``name``, ``share`` ...).

    Returns
    -------
    list of dict
        ``{"kind": ..., "text": ...}`` in reading order. Kinds: ``position``,
        ``interval``, ``comparison``, ``strands``, ``strengths``, ``priorities``,
        ``trend``, ``segment``; ``note`` says when privacy changed the comparison point;
        ``privacy`` replaces the peer sentences when the peer
        group is too small to show any figure.
    """
    own = float(comparison.stats.loc[INDEX_COLUMN, "client"])
    if not np.isfinite(own):
        return [{"kind": "position", "text": "Your organisation answered too few items for a maturity index."}]
    out = _position(comparison)
    # Say when privacy changed the comparison point the consultant asked for, before it is
    # used. (When no comparison point is left, the privacy sentence has said why already.)
    if comparison.comparison_used is not None:
        out += [{"kind": "note", "text": note} for note in comparison.notes]
    out += _versus_comparison(comparison, framework)
    out += _strengths(comparison, framework)
    out += _priorities(comparison, priorities, importance_source)
    out += _trend(trend)
    out += _segment(segment)
    return out
