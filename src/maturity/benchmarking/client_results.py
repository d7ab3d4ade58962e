"""A client's results (``results.json``): built from a wave's data, never from
another organisation's rows in the output.

:func:`build_client_results` is pure (data in, a JSON-safe dict out) so it can be tested
without a database; :func:`client_results` is the glue: it opens the store, resolves the
wave, finds or scores the client, and gathers history, segments and strand importance
(:mod:`maturity.benchmarking.wave_models`). The schema is documented in
``docs/results-schema.md``.

Every aggregate in the results comes from the wave's release plan
(:mod:`maturity.benchmarking.release_plan`): the same figures for every client, over peer
groups that the plan releases, so that no combination of results files, reports and
dashboards can be differenced into one organisation's answers. A client of the wave is
counted in the released groups it belongs to (as every other member is); its percentile
ranks it among the others.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from ..config import DEFAULT_SEED
from ..data.population import BenchmarkData, wave_from_store
from ..data.responses import read_responses
from ..data.store import BenchmarkStore
from ..errors import DataError
from ..framework import INDEX_COLUMN, Framework
from ..scoring import score_responses
from ..values import count_or_none, float_or_none
from ..version import __version__
from .achievers import achievers_vs_others
from .advice import normalise_importance, pick_actions, rank_priorities, write_findings
from .peers import (
    COMPARISON_COLUMNS,
    COMPARISON_LABELS,
    DEFAULT_N_BOOT,
    TOP_DECK_SHARE,
    TOP_QUARTILE_SHARE,
    check_peer_filters,
    describe_peers,
    organisation_trend,
    peer_statistics,
)
from .privacy_audit import wave_release
from .provenance import client_provenance
from .release_plan import PrivacySettings, ReleasePlan, group_members
from .wave_models import IMPORTANCE_SEED, wave_importance, wave_invariance, wave_release_plan, wave_segments

if TYPE_CHECKING:
    from .client_parameters import ClientParameters

__all__ = [
    "SCHEMA",
    "PRIVACY_METHOD",
    "ClientProfile",
    "client_from_wave",
    "client_from_survey",
    "build_client_results",
    "client_results",
    "invariance_for",
]

#: How the results protect other organisations, in one sentence a board member can follow.
PRIVACY_METHOD = (
    "Release plan with exact disclosure audit: the peer groups and figures any client can see "
    "are fixed once per wave and checked together, so that no combination of them, even with "
    "a few participants' own answers, reveals the answers of fewer than {k} organisations."
)

#: Identifies the layout of ``results.json`` (bump on incompatible changes).
SCHEMA = "maturity/client-results/1"


@dataclass
class ClientProfile:
    """The organisation a report is about.

    Attributes
    ----------
    id : str
    name : str or None
    demographics : dict
        Demographic id -> value (the organisation's own).
    scores : Series
        Strand scores and ``index``.
    in_benchmark : bool
        True for an organisation of the wave (left out of its own peer group); False for
        a new organisation's own survey (placed against the wave, never added to it).
    """

    id: str
    name: str | None
    scores: pd.Series
    demographics: dict[str, str] = field(default_factory=dict)
    in_benchmark: bool = True


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _demographics(row: pd.Series, framework: Framework) -> dict[str, str]:
    out = {}
    for demo in framework.demographics:
        value = _text(row.get(demo.id))
        if value is not None:
            out[demo.id] = value
    return out


def client_from_wave(data: "BenchmarkData", organisation: str) -> ClientProfile:
    """The profile of an organisation of the wave.

    Raises
    ------
    DataError
        The organisation is not in the wave.
    """
    fw = data.framework
    ids = data.responses.index.astype(str)
    if str(organisation) not in ids:
        where = f"wave {data.wave}" if data.wave else data.source
        raise DataError(
            f"organisation '{organisation}' is not in {where} ({len(ids):,} organisations); "
            "check the id, the wave, or give the client's own survey as 'responses'"
        )
    pos = int(np.flatnonzero(ids == str(organisation))[0])
    row = data.responses.iloc[pos]
    scores = data.scores.loc[data.responses.index[pos]]  # by id: scores need not share the row order
    return ClientProfile(
        id=str(organisation),
        name=_text(row.get(fw.name_column)),
        scores=scores.astype(float),
        demographics=_demographics(row, fw),
        in_benchmark=True,
    )


def client_from_survey(responses: pd.DataFrame, framework: Framework) -> ClientProfile:
    """Score a new organisation's own survey (one respondent) without touching the benchmark.

    Raises
    ------
    DataError
        The survey does not hold exactly one organisation.
    """
    if len(responses) != 1:
        raise DataError(
            f"a client's own survey must hold exactly one organisation, found {len(responses)} rows"
        )
    scores = score_responses(responses, framework)
    row = responses.reset_index().iloc[0] if framework.id_column not in responses.columns else responses.iloc[0]
    return ClientProfile(
        id=str(scores.index[0]),
        name=_text(row.get(framework.name_column)),
        scores=scores.iloc[0].astype(float),
        demographics=_demographics(row, framework),
        in_benchmark=False,
    )


def _segment_block(
    model: Any,
    wave_scores: pd.DataFrame,
    client: ClientProfile,
    framework: Framework,
    plan: ReleasePlan,
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """The client's segment and the mean profile of its members, as the release plan allows."""
    strands = framework.strand_ids
    own = client.scores.reindex(strands)
    if own.isna().any():
        return (
            {"name": None, "note": "Your organisation lacks a score on some strands, so it cannot be placed in a segment."},
            [],
        )
    name = str(model.predict(pd.DataFrame([own.to_numpy()], columns=strands, index=[client.id])).iloc[0])
    complete = wave_scores.loc[wave_scores[INDEX_COLUMN].notna(), strands].dropna()
    labels = model.predict(complete).astype(str) if len(complete) else pd.Series(dtype=str)
    members = complete[(labels == name).to_numpy()]
    counts = labels.value_counts()
    block: dict[str, Any] = {
        "name": name,
        "n": int(len(members)),
        "share": float_or_none(100.0 * len(members) / len(complete)) if len(complete) else None,
        "profile": {s: float_or_none(members[s].mean()) for s in strands},
        "segments": [{"name": str(k), "n": int(counts.get(k, 0))} for k in _segment_order(model, counts)],
        "algorithm": getattr(model, "algorithm", None),
        "k": count_or_none(getattr(model, "k_", None)),
    }
    planned = plan.segments.get(name)
    suppressed = []
    if planned is None or not planned["released"]:
        reason = planned["reason"] if planned else "the segment is not in the wave's release plan"
        block["profile"] = {s: None for s in strands}
        suppressed.append({"figure": "segment.profile", "reason": reason})
    return block, suppressed


def _segment_order(model: Any, counts: pd.Series) -> list[str]:
    """Segment names in the model's order (least mature first), else by name."""
    names = [str(n) for n in (getattr(model, "segment_names_", None) or [])]
    return names + sorted(str(k) for k in counts.index if str(k) not in names)


def _benchmark_context(
    data: "BenchmarkData", plan: ReleasePlan, population: pd.Index
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Achievers vs others on each outcome group, over the plan's population, as the plan allows."""
    fw = data.framework
    if not fw.outcomes or len(population) == 0:
        return [], []
    table = achievers_vs_others(data.responses.loc[population], data.scores.loc[population], fw,
                                min_group_size=plan.settings.min_group_size)
    rows, suppressed = [], []
    for r in table[table["level"] == "group"].itertuples(index=False):
        planned = plan.outcomes.get(r.outcome, {"released": False, "reason": "not in the wave's release plan"})
        hidden = bool(r.suppressed) or not planned["released"]
        rows.append(
            {
                "outcome": r.outcome,
                "name": r.name,
                "top_deck_n": int(r.top_deck_n),
                "top_deck_share": None if hidden else float_or_none(r.top_deck_share),
                "others_n": int(r.others_n),
                "others_share": None if hidden else float_or_none(r.others_share),
                "ratio": None if hidden else float_or_none(r.ratio),
            }
        )
        if hidden:
            suppressed.append({"figure": f"achievers.{r.outcome}", "reason": r.suppressed_reason or planned["reason"]})
    return rows, suppressed


def build_client_results(
    data: "BenchmarkData",
    client: ClientProfile,
    params: "ClientParameters",
    *,
    history: pd.DataFrame | None = None,
    segment_model: Any | None = None,
    importance: Mapping[str, float] | pd.Series | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    n_priorities: int = 3,
    actions_per_priority: int = 2,
    cache: dict | None = None,
    plan: ReleasePlan | None = None,
) -> dict[str, Any]:
    """Build the ``results.json`` content for one client (pure: no I/O).

    Parameters
    ----------
    data : BenchmarkData
        The wave (framework, responses indexed by id, scores, outcomes).
    client : ClientProfile
        From :func:`client_from_wave` or :func:`client_from_survey`.
    params : ClientParameters
        ``client_id``, ``peers``, ``compare_to``, ``min_group_size`` and ``title`` are used.
    history : DataFrame, optional
        The organisation's scores in the waves it took part in (oldest first).
    segment_model : fitted SegmentModel, optional
        Anything with ``predict(scores) -> Series`` of segment names.
    importance : Series or mapping, optional
        Strand id -> weight; default equal weights (stated in the results).
    n_boot, seed : int
        Bootstrap of the percentile intervals.
    n_priorities, actions_per_priority : int
    cache : dict, optional
        A dict the caller keeps for one wave and passes to every call (the dashboard
        does): parts that do not depend on the peer filters or comparison point (the
        achievers-vs-others context) are computed once and reused.
    plan : ReleasePlan, optional
        The wave's release plan; default: built from the wave with the client's minimum
        group size (slow: pass the wave's stored plan when there is one).

    Returns
    -------
    dict
        JSON-safe; see ``docs/results-schema.md``. No other organisation's id, name or
        answers: only aggregates of groups that pass the privacy rules.
    """
    fw = data.framework
    requested = check_peer_filters(params.peers, fw)
    if plan is None:
        plan = wave_release(data, segment_model).plan(PrivacySettings(min_group_size=params.min_group_size))
    group, plan_note = plan.resolve(
        requested, data.responses, data.scores, client_id=client.id if client.in_benchmark else None,
        describe=lambda f: describe_peers(f, fw),
    )
    filters = {k: tuple(v) for k, v in group["filters"].items()}
    population = plan.population(data.responses, data.scores)
    ids = group_members(data.responses, population, filters)
    peer_scores = data.scores.loc[ids]
    comparison = peer_statistics(
        client.scores, peer_scores, fw, compare_to=params.compare_to,
        min_group_size=plan.settings.min_group_size, filters=filters, n_boot=n_boot, seed=seed,
        rank_exclude=client.id if client.in_benchmark else None,
        withheld={f: why for f, why in group["reasons"].items()},
    )
    comparison.description = group["label"]
    if plan_note:
        comparison.notes.insert(0, plan_note)
    weights, importance_source = normalise_importance(importance, fw)
    priorities = rank_priorities(comparison, fw, weights if importance_source == "drivers" else None, n_priorities=n_priorities)
    actions = pick_actions(priorities, fw, per_strand=actions_per_priority)
    trend = organisation_trend(history, fw, wave=data.wave) if client.in_benchmark else organisation_trend(None, fw)

    suppressed: list[dict[str, str]] = []
    for score_id, reasons in comparison.suppressed.items():
        for stat, reason in reasons.items():
            suppressed.append({"figure": f"peers.stats.{score_id}.{stat}", "reason": reason})

    segment = None
    if segment_model is not None:
        segment, seg_suppressed = _segment_block(segment_model, data.scores.loc[population.index], client, fw, plan)
        suppressed += seg_suppressed
    context_key = ("achievers", plan.fingerprint, plan.settings.min_group_size)
    if cache is not None and context_key in cache:
        achievers, ach_suppressed = copy.deepcopy(cache[context_key])
    else:
        achievers, ach_suppressed = _benchmark_context(data, plan, population.index)
        if cache is not None:
            cache[context_key] = copy.deepcopy((achievers, ach_suppressed))
    suppressed += ach_suppressed

    findings = write_findings(
        comparison, priorities, fw, importance_source=importance_source, trend=trend, segment=segment,
    )
    stats = comparison.stats
    score_rows = [INDEX_COLUMN, *fw.strand_ids]
    peer_stat_cols = [
        "n", "mean", "q1", "median", "q3", "top_quartile_n", "top_quartile_mean", "top_deck_n",
        "top_deck_mean", "comparison", "gap",
    ]
    results: dict[str, Any] = {
        "schema": SCHEMA,
        "client_id": params.client_id,
        "title": params.title,
        "organisation": {
            "id": client.id,
            "name": client.name,
            "source": "benchmark" if client.in_benchmark else "own survey",
            "demographics": dict(client.demographics),
        },
        "framework": {"id": fw.id, "name": fw.name, "version": fw.version},
        "wave": data.wave,
        "benchmark": {"n_organisations": int(len(data.scores)), "source_wave": data.wave},
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
            "filters": {k: list(v) for k, v in filters.items()},
            "description": comparison.description,
            "n": int(comparison.n_peers),
            "group_id": group["id"],
            "requested": {k: list(v) for k, v in requested.items()},
            "as_requested": plan_note is None,
            "includes_client": bool(client.in_benchmark and client.id in set(map(str, ids))),
            "min_group_size": comparison.min_group_size,
            "compare_to": comparison.compare_to,
            "comparison_used": comparison.comparison_used,
            "comparison_label": COMPARISON_LABELS.get(comparison.comparison_used or "", None),
            "stats": {
                r: {c: (count_or_none(stats.loc[r, c]) if c.endswith("_n") or c == "n" else float_or_none(stats.loc[r, c])) for c in peer_stat_cols}
                for r in score_rows
            },
            "notes": list(comparison.notes),
        },
        "segment": segment,
        "trend": [
            {"wave": str(w), **{c: float_or_none(v) for c, v in row.items()}} for w, row in trend.iterrows()
        ],
        "importance": {"source": importance_source, "weights": {k: float(v) for k, v in weights.items()}},
        "priorities": [
            {
                "rank": int(r.rank),
                "strand": r.strand,
                "name": r.name,
                "score": float_or_none(r.score),
                "comparison": float_or_none(r.comparison),
                "gap": float_or_none(r.gap),
                "weight": float_or_none(r.weight),
                "priority": float_or_none(r.priority),
                "behind": bool(r.behind),
            }
            for r in priorities.itertuples(index=False)
        ],
        "actions": actions,
        "achievers": achievers,
        "findings": findings,
        "suppressed": suppressed,
        "privacy": {
            "method": ("researcher exploration, not release-checked" if plan.fingerprint == "exploration"
                       else "release plan with exact disclosure audit"),
            "summary": PRIVACY_METHOD.format(k=plan.settings.min_group_size),
            "min_group_size": plan.settings.min_group_size,
            "pooled_readers": plan.settings.pooled_readers,
            "smallest_released_set": plan.settings.threshold,
            "plan_fingerprint": plan.fingerprint,
        },
        "method": {
            "percentile": "mid-rank: percent of the other organisations of the peer group below plus half the percent level with the client",
            "interval": {"level": 0.95, "method": "percentile bootstrap of the peer group", "n_boot": int(n_boot), "seed": int(seed)},
            "top_quartile_share": TOP_QUARTILE_SHARE,
            "top_deck_share": TOP_DECK_SHARE,
            "comparison_columns": dict(COMPARISON_COLUMNS),
            "min_group_size": comparison.min_group_size,
            "priority": "gap to the comparison point x strand weight x number of strands",
        },
        "generated_by": f"maturity {__version__}",
    }
    return results


def invariance_for(results: Mapping[str, Any], checks: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``invariance`` entry of client results: of the wave's stored verdicts
    (:func:`maturity.benchmarking.wave_models.wave_invariance`), the one for the demographic
    that defines the peer group, saying whether the survey measures the same thing across
    its groups (the report's method note says so); None when there is none."""
    demographic = next(iter(results["peers"]["filters"]), None)
    if checks and demographic in checks:
        return dict(checks[demographic])
    return None


# --- glue: parameters -> store -> results ----------------------------------------------------


def client_results(params: "ClientParameters", *, store: BenchmarkStore | None = None) -> dict[str, Any]:
    """The ``results.json`` content for one client parameters file.

    Opens the benchmark database (or uses ``store``), resolves the wave, finds the
    organisation in it or scores the client's own survey without adding it to the
    benchmark, and builds the results with :func:`build_client_results`, placing the client
    in the wave's segments (:func:`maturity.benchmarking.wave_models.wave_segments`).
    See ``docs/results-schema.md``.

    Parameters
    ----------
    params : ClientParameters
    store : BenchmarkStore, optional
        An open store (default: open ``params.db`` read-only).

    Raises
    ------
    ParametersError
        Unknown peer filters or values.
    DataError
        The organisation is not in the wave, or the client's survey cannot be used.
    StoreError
        The database or wave cannot be read.
    """
    if store is None:
        with BenchmarkStore(params.db, read_only=True) as opened:
            return _client_results(params, opened)
    return _client_results(params, store)


def _client_results(params: "ClientParameters", store: BenchmarkStore) -> dict[str, Any]:
    wave = store.resolve_wave(params.wave)
    data = wave_from_store(store, wave, framework=params.framework)
    check_peer_filters(params.peers, data.framework)  # fail early, before any scoring
    if params.organisation is not None:
        client = client_from_wave(data, params.organisation)
        history = store.history(client.id)
    else:
        own, _report = read_responses(params.responses, data.framework)
        client = client_from_survey(own, data.framework)
        history = None  # a file's claimed id must not unlock a stored organisation's history
    model = wave_segments(store, wave, data)
    plan = wave_release_plan(store, wave, data, model, min_group_size=params.min_group_size)
    importance = wave_importance(data)
    results = build_client_results(data, client, params, history=history, segment_model=model,
                                   importance=importance, plan=plan)
    invariance = invariance_for(results, wave_invariance(store, wave))
    if invariance is not None:
        results["invariance"] = invariance
    results["provenance"] = client_provenance(
        params, store, wave, data.framework, results,
        seeds={"bootstrap": DEFAULT_SEED, "segments": DEFAULT_SEED, "importance": IMPORTANCE_SEED},
    )
    return results
