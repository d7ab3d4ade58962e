"""A client's results (``results.json``) from a wave's published table and its own answers.

:func:`build_client_results` is pure: the published table
(:class:`~maturity.published.table.Publication`), the client's profile and parameters in, a
JSON-safe dict out. It never sees another organisation's row, so neither can anything built
from it: reports, results files, the client dashboard and the Quick Check. The schema is
documented in ``docs/results-schema.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from ..analysis.segments import classify
from ..benchmarking.learner_block import compose_learner_voice
from ..benchmarking.advice import normalise_importance, pick_actions, rank_priorities, write_findings
from ..benchmarking.peers import (
    COMPARISON_COLUMNS,
    COMPARISON_LABELS,
    TOP_DECK_SHARE,
    TOP_QUARTILE_SHARE,
    check_peer_filters,
    describe_peers,
    organisation_trend,
)
from ..errors import PrivacyError
from ..framework import INDEX_COLUMN, Framework
from ..values import count_or_none, float_or_none
from ..version import __version__
from .comparison import published_comparison
from .profile import ClientProfile
from .table import Publication

if TYPE_CHECKING:
    from ..benchmarking.client_parameters import ClientParameters

__all__ = ["SCHEMA", "PRIVACY_METHOD", "build_client_results", "invariance_for"]

#: How the results protect other organisations, in one sentence a board member can follow.
PRIVACY_METHOD = (
    "Published once per wave and audited: every figure any client can see comes from one table of "
    "figures fixed for the wave and checked together, so that no combination of them, even with a "
    "few participants' own answers, reveals the answers of fewer than {k} organisations; where you "
    "stand is read from bands that each hold at least {k} organisations."
)

#: Identifies the layout of ``results.json`` (bump on incompatible changes).
SCHEMA = "maturity/client-results/2"


def _segment_block(publication: Publication, client: ClientProfile, framework: Framework) -> tuple[dict | None, list]:
    """The client's segment and the published mean profile of its members."""
    seg = publication.segments
    if not seg:
        return None, []
    strands = framework.strand_ids
    own = client.scores.reindex(strands)
    if own.isna().any():
        return ({"name": None, "note": "Your organisation lacks a score on some strands, so it cannot be placed in a segment."}, [])
    if not seg.get("classifier"):
        return ({"name": None, "note": "No segment of this wave is published, so none can be shown."}, [])
    name = str(classify(own.to_numpy(dtype=float), seg["classifier"])[0])
    entry = next((e for e in seg["entries"] if e["name"] == name), None)
    block: dict[str, Any] = {
        "name": name,
        "n": entry["n"] if entry else 0,
        "share": entry["share"] if entry else None,
        "profile": dict(entry["profile"]) if entry and entry["profile"] else {s: None for s in strands},
        "segments": [{"name": e["name"], "n": e["n"]} for e in seg["entries"]],
        "algorithm": seg.get("algorithm"),
        "k": count_or_none(seg.get("k")),
    }
    suppressed = []
    if entry is None or not entry["released"]:
        reason = entry["reason"] if entry else "the segment is not in the wave's published table"
        suppressed.append({"figure": "segment.profile", "reason": reason})
    return block, suppressed


def _achievers(publication: Publication) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    rows, suppressed = [], []
    for r in publication.outcomes:
        rows.append({k: r[k] for k in ("outcome", "name", "top_deck_n", "top_deck_share", "others_n", "others_share", "ratio")})
        if r.get("top_deck_share") is None:
            suppressed.append({"figure": f"achievers.{r['outcome']}", "reason": r.get("reason") or "withheld"})
    return rows, suppressed


def build_client_results(
    publication: Publication,
    client: ClientProfile,
    params: "ClientParameters",
    framework: Framework,
    *,
    history: pd.DataFrame | None = None,
    own_learners: Mapping[str, Any] | None = None,
    n_priorities: int = 3,
    actions_per_priority: int = 2,
) -> dict[str, Any]:
    """Build the ``results.json`` content for one client (pure: no I/O).

    Parameters
    ----------
    publication : Publication
        The wave's published table.
    client : ClientProfile
        The client's own scores and demographics.
    params : ClientParameters
        ``client_id``, ``peers``, ``compare_to`` and ``title`` are used.
    framework : Framework
        The wave's framework.
    history : DataFrame, optional
        The organisation's own scores in the waves it took part in (oldest first).
    own_learners : mapping, optional
        The organisation's own learner figures (its staff's survey), when the wave has a
        learner level: "What your learners say" then sets them against the published
        figures of the peer group's learners.
    n_priorities, actions_per_priority : int

    Returns
    -------
    dict
        JSON-safe; see ``docs/results-schema.md``.

    Raises
    ------
    PrivacyError
        The table is not a passing publication.
    """
    if not publication.exploration and not publication.document.get("audit", {}).get("safe", False):
        raise PrivacyError(f"the published table of wave {publication.wave} did not pass its audit; no client figures are shown")
    fw = framework
    requested = check_peer_filters(params.peers, fw)
    group, note = publication.resolve(requested, own=client.demographics, describe=lambda f: describe_peers(f, fw))
    comparison = published_comparison(client.scores, group, fw, compare_to=params.compare_to,
                                      min_group_size=publication.min_group_size)
    if note:
        comparison.notes.insert(0, note)
    weights, importance_source = normalise_importance(publication.importance, fw)
    priorities = rank_priorities(comparison, fw, weights if importance_source == "drivers" else None, n_priorities=n_priorities)
    actions = pick_actions(priorities, fw, per_strand=actions_per_priority)
    trend = organisation_trend(history, fw, wave=publication.wave) if client.in_benchmark else organisation_trend(None, fw)
    suppressed: list[dict[str, str]] = [
        {"figure": f"peers.stats.{score_id}.{stat}", "reason": reason}
        for score_id, reasons in comparison.suppressed.items() for stat, reason in reasons.items()
    ]
    segment, seg_suppressed = _segment_block(publication, client, fw)
    suppressed += seg_suppressed
    achievers, ach_suppressed = _achievers(publication)
    suppressed += ach_suppressed
    findings = write_findings(comparison, priorities, fw, importance_source=importance_source, trend=trend, segment=segment)
    stats = comparison.stats
    score_rows = [INDEX_COLUMN, *fw.strand_ids]
    peer_stat_cols = ["n", "mean", "q1", "median", "q3", "top_quartile_n", "top_quartile_mean", "top_deck_n",
                      "top_deck_mean", "comparison", "gap"]
    population = publication.population
    own_groups = {g["id"] for g in publication.released_groups
                  if all(client.demographics.get(k) in v for k, v in g["filters"].items())}
    results: dict[str, Any] = {
        "schema": SCHEMA,
        "client_id": params.client_id,
        "title": params.title,
        "organisation": {
            "id": client.id, "name": client.name,
            "source": "benchmark" if client.in_benchmark else "own survey",
            "demographics": dict(client.demographics),
        },
        "framework": {"id": fw.id, "name": fw.name, "version": fw.version},
        "wave": publication.wave,
        "benchmark": {
            "n_organisations": int(population.get("n_wave", 0)),
            "n_published": int(population.get("n_published", 0)),
            "population_note": population.get("sentence", ""),
            "source_wave": publication.wave,
        },
        "strand_names": {INDEX_COLUMN: "Maturity index", **fw.strand_names()},
        "scores": {r: float_or_none(client.scores.get(r)) for r in score_rows},
        "percentiles": {
            r: {
                "value": float_or_none(stats.loc[r, "percentile"]),
                "below": float_or_none(stats.loc[r, "below"]),
                "ties": float_or_none(stats.loc[r, "ties"]),
                "ci_low": float_or_none(stats.loc[r, "ci_low"]),
                "ci_high": float_or_none(stats.loc[r, "ci_high"]),
            }
            for r in score_rows
        },
        "peers": {
            "filters": {k: list(v) for k, v in group["filters"].items()},
            "description": comparison.description,
            "n": int(group.get("n") or 0),
            "group_id": group["id"],
            "requested": {k: list(v) for k, v in requested.items()},
            "as_requested": note is None,
            "includes_client": bool(client.in_benchmark and group["id"] in own_groups),
            "min_group_size": publication.min_group_size,
            "compare_to": comparison.compare_to,
            "comparison_used": comparison.comparison_used,
            "comparison_label": COMPARISON_LABELS.get(comparison.comparison_used or "", None),
            "stats": {
                r: {c: (count_or_none(stats.loc[r, c]) if c.endswith("_n") or c == "n" else float_or_none(stats.loc[r, c]))
                    for c in peer_stat_cols}
                for r in score_rows
            },
            "distributions": {r: ((group.get("scores") or {}).get(r) or {}).get("distribution") for r in score_rows},
            "notes": list(comparison.notes),
        },
        "segment": segment,
        "trend": [{"wave": str(w), **{c: float_or_none(v) for c, v in row.items()}} for w, row in trend.iterrows()],
        "importance": {"source": importance_source, "weights": {k: float(v) for k, v in weights.items()}},
        "priorities": [
            {
                "rank": int(r.rank), "strand": r.strand, "name": r.name, "score": float_or_none(r.score),
                "comparison": float_or_none(r.comparison), "gap": float_or_none(r.gap),
                "weight": float_or_none(r.weight), "priority": float_or_none(r.priority), "behind": bool(r.behind),
            }
            for r in priorities.itertuples(index=False)
        ],
        "actions": actions,
        "achievers": achievers,
        "findings": findings,
        "suppressed": suppressed,
        "privacy": {
            "method": ("researcher exploration, not release-checked" if publication.exploration
                       else "published once per wave, with exact disclosure audit"),
            "summary": PRIVACY_METHOD.format(k=publication.min_group_size),
            "min_group_size": publication.min_group_size,
            "pooled_readers": int(publication.settings.get("pooled_readers", 0)),
            "smallest_released_set": publication.threshold,
            "publication_fingerprint": publication.fingerprint,
            "plan_fingerprint": publication.document.get("audit", {}).get("plan_fingerprint", ""),
        },
        "method": {
            "percentile": ("read from the group's published distribution: bins that each hold at least "
                           f"{publication.min_group_size} organisations; the percentile interpolates within your "
                           "bin and the band is the bin's range"),
            "interval": {"level": None, "method": "band of the published bin holding the client's score"},
            "top_quartile_share": TOP_QUARTILE_SHARE,
            "top_deck_share": TOP_DECK_SHARE,
            "comparison_columns": dict(COMPARISON_COLUMNS),
            "min_group_size": publication.min_group_size,
            "priority": "gap to the comparison point x strand weight x number of strands",
        },
        "generated_by": f"maturity {__version__}",
    }
    learner_settings = publication.document.get("learners")
    if learner_settings and own_learners is not None:
        results["learners"] = compose_learner_voice(
            own_learners, group.get("learners") or {"shown": False}, min_learners=int(learner_settings["min_learners"]),
            min_group_size=publication.min_group_size + 1, peer_label=comparison.description)
    invariance = invariance_for(results, publication.invariance)
    if invariance is not None:
        results["invariance"] = invariance
    return results


def invariance_for(results: Mapping[str, Any], checks: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``invariance`` entry of client results: of the wave's verdicts, the one for the
    demographic that defines the peer group; None when there is none."""
    demographic = next(iter(results["peers"]["filters"]), None)
    if checks and demographic in checks:
        return dict(checks[demographic])
    return None
