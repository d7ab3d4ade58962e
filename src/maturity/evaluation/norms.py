"""Evaluations kept in the benchmark database, programme norms, and the evidence of value
an organisation's evaluations give.

An evaluation is stored as a compact JSON summary with a wave of the benchmark database
(an artifact of kind ``evaluation/<organisation>/<programme>``). Stored evaluations form
norms: a programme's reaction, learning gain and behaviour change placed among other
organisations' programmes (of the same type when the plan names one). The maturity
benchmark's rule applies: no figure about fewer than ``min_group_size`` organisations;
each organisation counts once (its programmes averaged), the evaluated organisation is never
part of its own norm, and only a mean and a coarse position (a quarter) are released,
never another programme's value.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..benchmarking.privacy import small_group_reason
from ..config import DEFAULT_MIN_GROUP_SIZE
from ..data.store import BenchmarkStore
from ..errors import ParametersError

KIND_PREFIX = "evaluation/"
#: Figures that form norms: key -> (label, how to read it).
NORM_METRICS: dict[str, str] = {
    "reaction_percent": "reaction (0-100)",
    "nps": "Net Promoter Score",
    "learning_dz": "learning gain (d_z)",
    "normalised_gain": "normalised learning gain",
    "behaviour_dz": "behaviour change (d_z)",
}
_QUARTERS = ("bottom quarter", "second quarter", "third quarter", "top quarter")


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-").lower()
    return slug or "programme"


def evaluation_summary(evaluation: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of an evaluation kept in the database (no learner appears in it)."""
    def est(entry: Any) -> float | None:
        return entry.get("estimate") if isinstance(entry, Mapping) else None

    reaction = evaluation.get("reaction") or {}
    learning = evaluation.get("learning") or {}
    raters = (evaluation.get("behaviour") or {}).get("raters") or {}
    rater = raters.get("manager") or raters.get("self") or {}
    plan = evaluation.get("plan") or {}
    roi = evaluation.get("roi") or {}
    return {
        "programme": evaluation["programme"], "organisation": plan.get("organisation") or None,
        "type": plan.get("type") or None, "levels": list(evaluation.get("levels") or []),
        "design": (evaluation.get("design") or {}).get("isolation"),
        "verdict": (evaluation.get("answer") or {}).get("verdict"),
        "n_learners": learning.get("n") or reaction.get("n"),
        "reaction_percent": (reaction.get("overall") or {}).get("percent"),
        "nps": est(reaction.get("nps")),
        "learning_dz": est(learning.get("d_z")),
        "normalised_gain": est(learning.get("normalised_gain")),
        "behaviour_dz": est(rater.get("d_z")),
        "roi_percent": est(roi.get("percent")),
        "roi_conservative": (roi.get("percent") or {}).get("conservative"),
        "cost": (evaluation.get("cost") or {}).get("total"),
        "evaluated_at": evaluation.get("evaluated_at"),
    }


def save_evaluation(store: BenchmarkStore, wave: str | None, evaluation: Mapping[str, Any]) -> str:
    """Store an evaluation's summary with a wave; return its artifact kind.

    Raises
    ------
    ParametersError
        The plan names no ``organisation`` (a stored evaluation belongs to one).
    """
    summary = evaluation_summary(evaluation)
    if not summary["organisation"]:
        raise ParametersError("to store an evaluation the plan needs organisation: (the benchmark's id of the "
                              "organisation that ran the programme)")
    kind = f"{KIND_PREFIX}{summary['organisation']}/{_slug(summary['programme'])}"
    store.save_artifact(wave, kind, summary)
    return kind


def stored_evaluations(store: BenchmarkStore, wave: str | None = None) -> list[dict[str, Any]]:
    """The evaluation summaries stored with a wave (the latest when None), by kind."""
    label = store.resolve_wave(wave)
    rows = store.con.execute(
        "SELECT a.payload FROM artifacts a JOIN waves w USING (wave_key) WHERE w.wave = ? AND a.kind LIKE ? "
        "ORDER BY a.kind", [label, KIND_PREFIX + "%"]).fetchall()
    return [json.loads(row[0]) for row in rows]


def organisation_evaluations(store: BenchmarkStore, organisation: str, wave: str | None = None) -> list[dict[str, Any]]:
    """The evaluation summaries one organisation stored with a wave (its own, for
    :func:`value_evidence_block`)."""
    return [s for s in stored_evaluations(store, wave) if s.get("organisation") == str(organisation)]


def programme_norms(summary: Mapping[str, Any], others: Sequence[Mapping[str, Any]], *,
                    min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> dict[str, Any]:
    """Place one programme among other organisations' programmes.

    Parameters
    ----------
    summary : mapping
        The programme's :func:`evaluation_summary`.
    others : sequence of mapping
        Stored summaries; those of the same organisation are left out, and of another type
        when the programme has one.
    min_group_size : int
        Organisations needed behind any figure.

    Returns
    -------
    dict
        ``group`` (``type`` or ``all programmes``), and per metric ``n_organisations`` and either
        ``mean`` (of organisation means) and ``position`` (a quarter) or ``withheld`` (the reason).
    """
    own_org, own_type = summary.get("organisation"), summary.get("type")
    pool = [o for o in others if o.get("organisation") != own_org or own_org is None]
    pool = [o for o in pool if not (o.get("organisation") == own_org and o.get("programme") == summary.get("programme"))]
    if own_type:
        pool = [o for o in pool if o.get("type") == own_type]
    frame = pd.DataFrame(pool) if pool else pd.DataFrame(columns=["organisation", *NORM_METRICS])
    out: dict[str, Any] = {"group": f"{own_type} programmes" if own_type else "all programmes",
                           "min_group_size": min_group_size, "metrics": {}}
    for metric, label in NORM_METRICS.items():
        values = frame[["organisation", metric]].dropna() if metric in frame else pd.DataFrame()
        by_org = values.groupby("organisation")[metric].mean() if len(values) else pd.Series(dtype=float)
        n = int(len(by_org))
        entry: dict[str, Any] = {"label": label, "n_organisations": n, "value": summary.get(metric)}
        reason = small_group_reason(n, min_group_size, group=f"the {out['group']} with this figure")
        if reason:
            entry["withheld"] = reason
        else:
            entry["mean"] = float(by_org.mean())
            own = summary.get(metric)
            if own is not None:
                share = float(np.mean(by_org.to_numpy() < own))
                entry["position"] = _QUARTERS[min(int(share * 4), 3)]
        out["metrics"][metric] = entry
    return out


def value_evidence_block(summaries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What an organisation's stored evaluations show, for the Demonstrating value strand of
    its report: the levels they cover and what they found (its own programmes only).

    Returns
    -------
    dict
        ``n_evaluations``, ``levels`` ({level: evaluations covering it}), ``roi_measured``,
        ``programmes`` (name, levels, design, verdict, ROI) and ``sentences``.
    """
    levels = {level: 0 for level in ("reaction", "learning", "behaviour", "results")}
    programmes = []
    for s in summaries:
        for level in s.get("levels") or []:
            if level in levels:
                levels[level] += 1
        programmes.append({"programme": s.get("programme"), "levels": s.get("levels") or [], "design": s.get("design"),
                           "verdict": s.get("verdict"), "roi_percent": s.get("roi_percent"),
                           "roi_conservative": s.get("roi_conservative")})
    n = len(programmes)
    roi_measured = sum(1 for p in programmes if p["roi_percent"] is not None)
    sentences = []
    if not n:
        sentences.append("No programme evaluation is stored for this organisation yet.")
    else:
        covered = [lvl for lvl, count in levels.items() if count]
        sentences.append(f"{n} programme evaluation{'s' if n != 1 else ''} stored, covering "
                         f"{', '.join(covered) if covered else 'no level'}.")
        missing = [lvl for lvl, count in levels.items() if not count]
        if missing:
            sentences.append(f"Not yet evaluated at the {' or '.join(missing)} level.")
        for p in programmes:
            if p["roi_percent"] is not None:
                sentences.append(f"{p['programme']}: {p['verdict']} ({p['design']}); ROI {p['roi_percent']:.0f}%, "
                                 f"at least {p['roi_conservative']:.0f}% on the conservative reading."
                                 if p["roi_conservative"] is not None else
                                 f"{p['programme']}: {p['verdict']} ({p['design']}); ROI {p['roi_percent']:.0f}%.")
    return {"n_evaluations": n, "levels": levels, "roi_measured": roi_measured, "programmes": programmes,
            "sentences": sentences}
