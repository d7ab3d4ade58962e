"""A wave's release, end to end: its inputs, its plan, its released figures and their audit.

:func:`wave_release` gathers what a plan is built on (peer groups from the demographics,
the wave's segments, the achievers-vs-others member sets of each outcome) and builds or
checks the plan; :func:`audit_release` judges a plan twice: with the exact audit of every
released member set, and with the independent attack search of
:mod:`maturity.benchmarking.attacks` on the released numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.outcomes import group_improvement
from ..framework import INDEX_COLUMN
from .attacks import AttackResult, ReleasedFigure, attack
from .disclosure_audit import find_exposures
from .release_plan import (
    PrivacySettings,
    ReleasePlan,
    _Family,
    _exposure_text,
    build_release_plan,
    group_members,
    outcome_sets,
    score_sets,
)

__all__ = ["WaveRelease", "AuditReport", "wave_release", "audit_release"]


@dataclass
class WaveRelease:
    """What a wave's release is built from (see :func:`wave_release`)."""

    responses: pd.DataFrame
    scores: pd.DataFrame
    framework: Any
    wave: str | None
    segments: pd.Series | None
    outcome_values: pd.DataFrame

    def plan(self, settings: PrivacySettings) -> ReleasePlan:
        """Build the release plan of this wave."""
        return build_release_plan(
            self.responses, self.scores, self.framework, settings,
            segments=self.segments, outcome_values=self.outcome_values, wave=self.wave,
        )


def wave_release(data: Any, segment_model: Any | None = None) -> WaveRelease:
    """The inputs of a wave's release plan.

    Parameters
    ----------
    data : BenchmarkData
        The wave (responses and scores indexed by organisation id).
    segment_model : fitted SegmentModel, optional
        Its segments' profiles are released, so their member sets enter the plan.
    """
    fw = data.framework
    index = data.scores[INDEX_COLUMN].astype(float).dropna()
    segments = None
    if segment_model is not None:
        complete = data.scores.reindex(index.index)[fw.strand_ids].dropna()
        if len(complete):
            segments = pd.Series(np.asarray(segment_model.predict(complete)).astype(str), index=complete.index)
    outcome_values = group_improvement(data.responses, fw) if fw.outcomes else pd.DataFrame(index=data.responses.index)
    outcome_values = outcome_values.reindex(index.index)
    return WaveRelease(data.responses, data.scores, fw, data.wave, segments, outcome_values)


@dataclass
class AuditReport:
    """The verdict on a wave's release."""

    plan: ReleasePlan
    exposures: list[dict[str, Any]] = field(default_factory=list)
    attacks: AttackResult = field(default_factory=AttackResult)

    @property
    def safe(self) -> bool:
        return not self.exposures and self.attacks.safe

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan
        released = plan.released_groups
        return {
            "wave": plan.wave,
            "safe": self.safe,
            "settings": plan.settings.to_dict(),
            "threshold": plan.settings.threshold,
            "groups_released": [
                {"id": g["id"], "label": g["label"], "n": g["n"],
                 "figures": [f for f, ok in g["figures"].items() if ok]} for g in released
            ],
            "withheld": [
                {"id": g["id"], "label": g["label"], "n": g["n"], "figure": f, "reason": why}
                for g in plan.groups for f, why in g["reasons"].items()
            ] + [
                {"id": f"segment/{name}", "label": f"Segment {name}", "n": s["n"], "figure": "profile", "reason": s["reason"]}
                for name, s in plan.segments.items() if not s["released"]
            ] + [
                {"id": f"outcome/{o}", "label": f"Achievers vs others: {o}", "n": None, "figure": "shares", "reason": s["reason"]}
                for o, s in plan.outcomes.items() if not s["released"]
            ],
            "share_as_asked": plan.share_as_asked,
            "exposures": list(self.exposures),
            "attacks": self.attacks.to_dict(),
        }

    def to_text(self) -> str:
        d = self.to_dict()
        lines = [
            f"Release plan of wave {d['wave']}: {'SAFE' if d['safe'] else 'NOT SAFE'}",
            f"  every released set holds at least {d['threshold']} organisations "
            f"(minimum group size {d['settings']['min_group_size']} + {d['settings']['pooled_readers']} pooled readers)",
            f"  single-demographic groups of at least twice the minimum size released as asked: {100 * d['share_as_asked']:.0f}%",
            "",
            "Peer groups released (n, figures):",
        ]
        lines += [f"  {g['label']}: {g['n']} ({', '.join(g['figures'])})" for g in d["groups_released"]]
        lines += ["", "Withheld:"] + ([f"  {w['label']} - {w['figure']}: {w['reason']}" for w in d["withheld"]] or ["  nothing"])
        lines += ["", "Exact audit of every released set:"]
        lines += [f"  EXPOSED: {e['text']}" for e in d["exposures"]] or ["  no combination singles out fewer than the threshold"]
        tried = ", ".join(f"{k} {v}" for k, v in d["attacks"]["tried"].items())
        lines += ["", f"Attack search ({tried}):"]
        lines += [
            f"  SUCCEEDED: {s['attack']} on {s['value']} recovers {s['organisations']} organisation(s)"
            f" from {', '.join(s['figures'])}" + (f" with readers {', '.join(s['readers'])}" if s["readers"] else "")
            for s in d["attacks"]["successes"]
        ] or ["  no attack recovered a protected value"]
        return "\n".join(lines)


def _released_score_sets(release: WaveRelease, plan: ReleasePlan) -> list[tuple[str, pd.Index]]:
    index = plan.population(release.responses, release.scores)
    out = []
    for g in plan.released_groups:
        sets = score_sets(index, group_members(release.responses, index, g["filters"]))
        out += [(f"{g['label']} ({f.replace('_', ' ')})", sets[f]) for f, ok in g["figures"].items() if ok]
    if release.segments is not None:
        # Segment profiles are released over the plan's population only (as clients see them).
        segments = release.segments.reindex(index.index).dropna()
        for name, s in plan.segments.items():
            if s["released"]:
                out.append((f"segment {name}", segments.index[(segments == name).to_numpy()]))
    return out


def audit_release(release: WaveRelease, plan: ReleasePlan, *, max_exposures: int = 10) -> AuditReport:
    """Check a plan against its wave: exact audit plus independent attack search.

    Parameters
    ----------
    release : WaveRelease
    plan : ReleasePlan
        Usually stored with the wave; it may have been built with other settings or edited.
    max_exposures : int
        Exposures listed at most per kind of value.
    """
    threshold = plan.settings.threshold
    index = plan.population(release.responses, release.scores)
    parts_by_outcome = outcome_sets(index, release.outcome_values)
    report = AuditReport(plan)
    families: list[tuple[str, list[tuple[str, pd.Index]], pd.Index]] = [
        ("scores", _released_score_sets(release, plan), index.index)
    ]
    for outcome, parts in parts_by_outcome.items():
        if plan.outcomes.get(outcome, {}).get("released"):
            families.append((f"outcome {outcome}", [(f"{outcome} {k}", ids) for k, ids in parts.items()], index.index))
    for value, sets, ids in families:
        family = _Family(ids, threshold)
        small = [(name, s) for name, s in sets if len(s) < threshold]
        for name, s in small:
            report.exposures.append({"value": value, "organisations": len(s), "figures": [name],
                                     "text": f"{name} holds {len(s)} organisations, fewer than {threshold}"})
        rows = [family.row(s) for _name, s in sets]
        if rows:
            for exposure in find_exposures(np.vstack(rows), threshold, max_exposures=max_exposures):
                names = [sets[i][0] for i in sorted(exposure.sets)]
                report.exposures.append({"value": value, "organisations": exposure.size, "figures": names,
                                         "text": f"{value}: " + _exposure_text(exposure, [n for n, _ in sets])})
    figures, truth = released_figures(release, plan)
    readers = _reader_pools(release, plan)
    report.attacks = attack(figures, truth, min_group_size=plan.settings.min_group_size, readers=readers)
    return report


def released_figures(release: WaveRelease, plan: ReleasePlan) -> tuple[list[ReleasedFigure], dict[str, pd.Series]]:
    """Every total the plan releases, as the attacker reads it, and the truth to judge by."""
    fw = release.framework
    score_cols = [INDEX_COLUMN, *fw.strand_ids]
    scores = release.scores
    figures = []
    for name, ids in _released_score_sets(release, plan):
        for col in score_cols:
            values = scores.loc[ids, col].astype(float)
            figures.append(ReleasedFigure(name, col, frozenset(ids), int(values.notna().sum()), float(values.mean())))
    truth = {col: scores[col].astype(float) for col in score_cols}
    for outcome, parts in outcome_sets(plan.population(release.responses, release.scores), release.outcome_values).items():
        if not plan.outcomes.get(outcome, {}).get("released"):
            continue
        flags = release.outcome_values[outcome]
        for key, ids in parts.items():
            figures.append(ReleasedFigure(f"{outcome} {key}", f"outcome:{outcome}", frozenset(ids), len(ids),
                                          float(flags.reindex(ids).mean())))
        truth[f"outcome:{outcome}"] = flags
    return figures, truth


def _reader_pools(release: WaveRelease, plan: ReleasePlan, n_pools: int = 5) -> list[list[str]]:
    """Pools of ``pooled_readers`` clients inside the smallest released groups (the likeliest to gain)."""
    index = plan.population(release.responses, release.scores)
    groups = sorted(plan.released_groups, key=lambda g: g["n"])[:n_pools]
    pools = []
    for g in groups:
        members = sorted(map(str, group_members(release.responses, index, g["filters"])))
        pools.append(members[: plan.settings.pooled_readers])
    return pools
