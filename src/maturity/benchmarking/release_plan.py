"""The release plan of a wave: which peer groups, and which of their figures, clients may see.

A benchmark promises each participant that nothing released about the wave, taken together,
reveals its answers. Rules applied figure by figure cannot keep that promise: two peer
groups that each pass a minimum size, but differ by one organisation, give that
organisation's score by subtraction. So the kit decides once per wave what may be released
to clients, checks the whole release at once, and every client output (reports, results
files, client dashboards, quick checks) is built only from the plan.

How a plan is built
-------------------
1. Only organisations with a maturity index enter peer figures, so that every figure of a
   group (index, strands, percentiles) sums over the same members.
2. Candidate peer groups: the whole wave; each value of each demographic, with values held
   by fewer than ``merge_below`` organisations merged into one "Other" group per
   demographic; crossed groups of the demographic combinations the settings allow; and,
   last, any groups the settings force into the plan.
3. Candidates are taken largest first. Each released figure sums over a member set: the
   group, its top quartile and its top deck (by maturity index), and the wave's segments.
   A set is accepted only if it holds at least ``min_group_size + pooled_readers``
   organisations and the exact audit (:mod:`maturity.benchmarking.disclosure_audit`) of all
   accepted sets plus it finds no combination that singles out fewer. Otherwise it is
   withheld, with the reason (secondary suppression: the figure that would complete an
   exposure is the one withheld, so larger, earlier groups keep their figures).
4. Forced groups (``extra_groups``) are added without the check; the audit then reports
   whatever they expose and the kit refuses to release the wave.

The plan is published with the wave's figures (:mod:`maturity.benchmarking.publication`); a
client asking for peers outside it gets the most specific published group that contains the
request, with a note saying so (:meth:`maturity.published.table.Publication.resolve`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..config import DEFAULT_MIN_GROUP_SIZE, check_min_group_size, read_yaml
from ..errors import ParametersError, PrivacyError
from ..framework import INDEX_COLUMN, Framework, normalise_label
from .disclosure_audit import Exposure, find_exposures

__all__ = [
    "PLAN_ARTIFACT",
    "PrivacySettings",
    "ReleasePlan",
    "build_release_plan",
    "exploratory_plan",
    "group_members",
    "score_sets",
]

PLAN_SCHEMA = "maturity/release-plan/1"
#: Kind under which a wave's plan is stored in the benchmark database.
PLAN_ARTIFACT = "release_plan"
#: Share of a group, by maturity index, in its top quartile and top deck.
TOP_QUARTILE_SHARE = 0.25
TOP_DECK_SHARE = 0.10
DEFAULT_POOLED_READERS = 3
_TIE_DECIMALS = 6


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivacySettings:
    """Settings of a wave's release plan (``privacy:`` in ``parameters/benchmark.yaml``).

    Parameters
    ----------
    min_group_size : int
        No released combination may single out fewer organisations (default 5, >= 3).
    pooled_readers : int
        How many clients may pool their own answers with what they hold (default 3). Every
        released set then holds at least ``min_group_size + pooled_readers`` organisations.
    merge_below : int, optional
        Demographic values held by fewer organisations are merged into one "Other" group
        (default: twice ``min_group_size``).
    combinations : sequence of sequences of str
        Demographics whose crossed groups may be offered, e.g. ``[["sector", "size"]]``.
    extra_groups : sequence of mappings
        Peer filters forced into the plan without the check (the audit still judges them).
    """

    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    pooled_readers: int = DEFAULT_POOLED_READERS
    merge_below: int | None = None
    combinations: tuple[tuple[str, ...], ...] = ()
    extra_groups: tuple[dict[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_group_size", check_min_group_size(self.min_group_size, where="privacy.min_group_size"))
        if not isinstance(self.pooled_readers, (int, np.integer)) or isinstance(self.pooled_readers, bool) or self.pooled_readers < 0:
            raise ParametersError(f"privacy.pooled_readers: expected a whole number >= 0, got {self.pooled_readers!r}")
        if self.merge_below is not None and (not isinstance(self.merge_below, (int, np.integer)) or self.merge_below < 0):
            raise ParametersError(f"privacy.merge_below: expected a whole number >= 0, got {self.merge_below!r}")

    @property
    def threshold(self) -> int:
        """Smallest released set: ``min_group_size + pooled_readers``."""
        return int(self.min_group_size + self.pooled_readers)

    @property
    def merge_limit(self) -> int:
        """Demographic values with fewer organisations are merged into "Other"."""
        return int(self.merge_below if self.merge_below is not None else 2 * self.min_group_size)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, *, min_group_size: int | None = None) -> "PrivacySettings":
        """Settings from the ``privacy:`` mapping of ``benchmark.yaml`` (unknown keys rejected)."""
        values = dict(values or {})
        known = {"min_group_size", "pooled_readers", "merge_below", "combinations", "extra_groups"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ParametersError(f"privacy: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        if min_group_size is not None and "min_group_size" not in values:
            values["min_group_size"] = min_group_size
        combos = values.get("combinations") or []
        if not isinstance(combos, (list, tuple)) or not all(isinstance(c, (list, tuple)) and len(c) >= 2 for c in combos):
            raise ParametersError("privacy.combinations: expected a list of lists of two or more demographics")
        extra = values.get("extra_groups") or []
        if not isinstance(extra, (list, tuple)) or not all(isinstance(g, Mapping) for g in extra):
            raise ParametersError("privacy.extra_groups: expected a list of peer filters (mappings)")
        return cls(
            min_group_size=values.get("min_group_size", DEFAULT_MIN_GROUP_SIZE),
            pooled_readers=values.get("pooled_readers", DEFAULT_POOLED_READERS),
            merge_below=values.get("merge_below"),
            combinations=tuple(tuple(str(d) for d in c) for c in combos),
            extra_groups=tuple(_filters_tuple(g) for g in extra),
        )

    @classmethod
    def from_file(cls, path: str | Path | None) -> "PrivacySettings":
        """Settings from a ``benchmark.yaml``: its ``privacy:`` section and ``min_group_size``."""
        if path is None:
            return cls()
        data = read_yaml(path, "parameters file") or {}
        if not isinstance(data, Mapping):
            raise ParametersError(f"{path}: expected a mapping of settings")
        section = data.get("privacy") or {}
        if not isinstance(section, Mapping):
            raise ParametersError(f"{path}: privacy: expected a mapping of settings")
        return cls.from_mapping(section, min_group_size=data.get("min_group_size"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (as stored with the plan)."""
        return {
            "min_group_size": int(self.min_group_size),
            "pooled_readers": int(self.pooled_readers),
            "merge_below": self.merge_limit,
            "combinations": [list(c) for c in self.combinations],
            "extra_groups": [{k: list(v) for k, v in g.items()} for g in self.extra_groups],
        }


def _filters_tuple(filters: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    out = {}
    for key, values in filters.items():
        if isinstance(values, (str, int)) and not isinstance(values, bool):
            values = [values]
        out[str(key)] = tuple(str(v) for v in values)
    return out


# --- member sets ---------------------------------------------------------------------------------


def _complete_index(data_scores: pd.DataFrame) -> pd.Series:
    """Maturity index of the organisations that have one."""
    return data_scores[INDEX_COLUMN].astype(float).dropna()


def _without(index: pd.Series, responses: pd.DataFrame, excluded: Mapping[str, Sequence[str]]) -> pd.Series:
    """``index`` less the organisations holding an excluded demographic value."""
    if not excluded:
        return index
    frame = responses.reindex(index.index)
    drop = np.zeros(len(index), dtype=bool)
    for key, values in excluded.items():
        if key in frame.columns and values:
            drop |= _normalised(frame[key]).isin({normalise_label(v) for v in values}).fillna(False).to_numpy(dtype=bool)
    return index[~drop]


def outcome_sets(index: pd.Series, outcome_values: pd.DataFrame) -> dict[str, dict[str, pd.Index]]:
    """Members of the achievers-vs-others shares: per outcome, the population's top deck (by
    index) and the others, each among the organisations that answered the outcome."""
    values = outcome_values.reindex(index.index)
    top = top_members(index, TOP_DECK_SHARE)
    others = index.index.difference(top, sort=False)
    out = {}
    for outcome in values.columns:
        answered = values[outcome].dropna().index
        out[str(outcome)] = {"top_deck": answered.intersection(top, sort=False),
                             "others": answered.intersection(others, sort=False)}
    return out


def _normalised(column: pd.Series) -> pd.Series:
    return column.astype("string").str.strip().str.casefold().str.split().str.join(" ")


def group_members(responses: pd.DataFrame, index: pd.Series, filters: Mapping[str, Sequence[str]]) -> pd.Index:
    """Ids of the organisations with an index that match ``filters`` (all when empty)."""
    keep = np.ones(len(index), dtype=bool)
    frame = responses.reindex(index.index)
    for key, values in filters.items():
        if key not in frame.columns:
            return pd.Index([], dtype=object)
        wanted = {normalise_label(v) for v in values}
        keep &= _normalised(frame[key]).isin(wanted).fillna(False).to_numpy(dtype=bool)
    return index.index[keep]


def top_members(index: pd.Series, share: float) -> pd.Index:
    """Ids at or above the ``1 - share`` quantile of ``index`` (ties on the same side)."""
    if index.empty:
        return index.index
    cut = round(float(np.quantile(index.to_numpy(), 1.0 - share)), _TIE_DECIMALS)
    return index.index[(index.round(_TIE_DECIMALS) >= cut).to_numpy()]


def score_sets(index: pd.Series, members: pd.Index) -> dict[str, pd.Index]:
    """The member sets behind a group's score figures: the group, its top quartile and top deck."""
    values = index.reindex(members)
    return {
        "scores": members,
        "top_quartile": top_members(values, TOP_QUARTILE_SHARE),
        "top_deck": top_members(values, TOP_DECK_SHARE),
    }


# --- candidate groups ---------------------------------------------------------------------------


def _group_id(filters: Mapping[str, Sequence[str]]) -> str:
    if not filters:
        return "all"
    return ";".join(f"{k}={'+'.join(normalise_label(v) for v in vals)}" for k, vals in filters.items())


def _label(filters: Mapping[str, Sequence[str]], framework: Framework, names: Mapping[tuple[str, tuple[str, ...]], str]) -> str:
    if not filters:
        return "All organisations in the wave"
    demo_names = {d.id: d.name for d in framework.demographics}
    parts = []
    for key, values in filters.items():
        shown = names.get((key, tuple(values))) or " or ".join(values)
        parts.append(f"{demo_names.get(key, key)}: {shown}")
    return "; ".join(parts)


def _demographic_values(responses: pd.DataFrame, index: pd.Series, framework: Framework, demographic: str) -> list[tuple[str, int]]:
    """(value, organisations with an index) for each value of a demographic, framework order."""
    demo = next((d for d in framework.demographics if d.id == demographic), None)
    if demo is None or demographic not in responses.columns:
        return []
    column = _normalised(responses[demographic].reindex(index.index))
    counts = column.value_counts()
    return [(v, int(counts.get(normalise_label(v), 0))) for v in demo.values]


def _tiny_values(
    responses: pd.DataFrame, index: pd.Series, framework: Framework, settings: PrivacySettings
) -> dict[str, list[str]]:
    """Demographic values too small to release even together: left out of every figure.

    The values held by fewer than ``merge_below`` organisations form one "Other" group; when
    even that holds fewer than the release threshold, the wave's total minus the released
    values would single them out, so their organisations are left out of the released
    figures instead (local suppression) rather than merged with a larger value, which would
    withhold that value's own group. Leaving organisations out can shrink other values, so
    this repeats until nothing changes.
    """
    excluded: dict[str, list[str]] = {}
    while True:
        kept = _without(index, responses, excluded)
        changed = False
        for demo in framework.demographics:
            values = _demographic_values(responses, kept, framework, demo.id)
            small = [v for v, n in values if 0 < n < settings.merge_limit]
            total = sum(n for _v, n in values if 0 < n < settings.merge_limit)
            if small and total < settings.threshold:
                excluded.setdefault(demo.id, []).extend(v for v in small if v not in excluded.get(demo.id, []))
                changed = True
        if not changed:
            return excluded


def _single_groups(
    responses: pd.DataFrame, index: pd.Series, framework: Framework, settings: PrivacySettings
) -> tuple[list[dict[str, tuple[str, ...]]], dict[tuple[str, tuple[str, ...]], str], list[dict[str, Any]]]:
    """One group per demographic value, small values merged into one "Other" group.

    Values held by fewer than ``merge_below`` organisations are merged. ``index`` is the
    plan's population, in which such values together hold at least the release threshold,
    so the wave's total minus the released values never leaves a small remainder.

    Returns
    -------
    (groups, names, values)
        ``values``: one entry per demographic value (``demographic``, ``value``, ``n``,
        ``own_group``) for the share of values released as asked.
    """
    groups, names, entries = [], {}, []
    for demo in framework.demographics:
        values = [(v, n) for v, n in _demographic_values(responses, index, framework, demo.id) if n > 0]
        # Over the plan's population the small values together reach the threshold (else
        # :func:`_tiny_values` has left them out), so merging them is always enough.
        small = [v for v, n in values if n < settings.merge_limit]
        merged = set(small) if len(small) > 1 else set()
        groups += [{demo.id: (v,)} for v, _n in values if v not in merged]
        if merged:
            members = tuple(v for v, _n in values if v in merged)  # framework order
            groups.append({demo.id: members})
            names[(demo.id, members)] = f"Other ({', '.join(members)})"
        entries += [{"demographic": demo.id, "value": v, "n": int(n), "own_group": v not in merged} for v, n in values]
    return groups, names, entries


def _combination_groups(
    singles: Sequence[Mapping[str, tuple[str, ...]]], settings: PrivacySettings, framework: Framework
) -> list[dict[str, tuple[str, ...]]]:
    known = {d.id for d in framework.demographics}
    out = []
    for combo in settings.combinations:
        missing = [d for d in combo if d not in known]
        if missing:
            raise ParametersError(f"privacy.combinations: {', '.join(missing)} is not a demographic of framework '{framework.id}'")
        per_demo = [[g for g in singles if list(g) == [d]] for d in combo]
        grids = [{}]
        for options in per_demo:
            grids = [{**g, **o} for g in grids for o in options]
        out += grids
    return out


# --- the plan -------------------------------------------------------------------------------------


@dataclass
class ReleasePlan:
    """What may be released to clients for one wave (see the module notes).

    Attributes
    ----------
    wave : str or None
    settings : PrivacySettings
    groups : list of dict
        Every candidate peer group: ``id``, ``label``, ``filters``, ``n``, ``kind``,
        ``released`` (bool), ``figures`` (figure -> released bool: ``scores``,
        ``top_quartile``, ``top_deck``) and ``reasons`` (figure -> why withheld).
    segments : dict
        Segment name -> ``{"n", "released", "reason"}``.
    outcomes : dict
        Outcome group id -> ``{"released", "reason", "top_deck_n", "others_n"}``.
    fingerprint : str
        Hash of the member sets the plan was built on.
    values : list of dict
        Each demographic value: ``demographic``, ``value``, ``n``, ``as_asked`` (released
        as a group of its own, rather than merged or withheld) and ``excluded``.
    excluded : dict
        Demographic id -> values whose organisations are left out of every released figure
        (too few even together; see :func:`_tiny_values`).
    n_population : int
        Organisations in the released figures (with a maturity index, not left out).
    """

    def population(self, responses: pd.DataFrame, scores: pd.DataFrame) -> pd.Series:
        """Maturity index of the organisations the released figures are computed over."""
        return _without(_complete_index(scores), responses, self.excluded)

    wave: str | None
    settings: PrivacySettings
    groups: list[dict[str, Any]]
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    fingerprint: str = ""
    values: list[dict[str, Any]] = field(default_factory=list)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    n_population: int = 0

    @property
    def released_groups(self) -> list[dict[str, Any]]:
        """The peer groups a client may ask for, largest first."""
        return [g for g in self.groups if g["released"]]

    @property
    def share_as_asked(self) -> float:
        """Share of demographic values held by at least twice the minimum group size whose
        own group is released (not merged into "Other", not withheld)."""
        large = [v["as_asked"] for v in self.values if v["n"] >= 2 * self.settings.min_group_size]
        return float(np.mean(large)) if large else 1.0

    def group(self, group_id: str) -> dict[str, Any]:
        """The group with this id (raises ``ParametersError`` when unknown)."""
        for g in self.groups:
            if g["id"] == group_id:
                return g
        raise ParametersError(f"peer group '{group_id}' is not in the release plan of wave {self.wave}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, as stored in the benchmark database."""
        return {
            "schema": PLAN_SCHEMA,
            "wave": self.wave,
            "settings": self.settings.to_dict(),
            "threshold": self.settings.threshold,
            "fingerprint": self.fingerprint,
            "groups": [{**g, "filters": {k: list(v) for k, v in g["filters"].items()}} for g in self.groups],
            "segments": self.segments,
            "outcomes": self.outcomes,
            "values": self.values,
            "excluded": {k: list(v) for k, v in self.excluded.items()},
            "n_population": self.n_population,
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> "ReleasePlan":
        """Inverse of :meth:`to_dict`."""
        if document.get("schema") != PLAN_SCHEMA:
            raise PrivacyError(f"not a release plan (schema {document.get('schema')!r}, expected {PLAN_SCHEMA})")
        settings = PrivacySettings.from_mapping(document["settings"])
        groups = [{**g, "filters": _filters_tuple(g["filters"])} for g in document["groups"]]
        return cls(document.get("wave"), settings, groups, dict(document.get("segments", {})),
                   dict(document.get("outcomes", {})), document.get("fingerprint", ""),
                   list(document.get("values", [])), {k: list(v) for k, v in document.get("excluded", {}).items()},
                   int(document.get("n_population", 0)))


def _fingerprint(sets: Mapping[str, pd.Index]) -> str:
    digest = hashlib.sha256()
    for key in sorted(sets):
        digest.update(key.encode())
        digest.update(json.dumps(sorted(map(str, sets[key]))).encode())
    return digest.hexdigest()[:16]


class _Family:
    """The accepted member sets of one kind of value, and the check of a new one."""

    def __init__(self, ids: pd.Index, threshold: int) -> None:
        self.position = pd.Series(np.arange(len(ids)), index=ids)
        self.rows: list[np.ndarray] = []
        self.names: list[str] = []
        self.threshold = threshold
        # Orthonormal basis of the accepted rows' span, and which rows are independent: a
        # set whose row lies in that span releases nothing new and needs no search.
        self._basis = np.zeros((0, len(ids)))
        self._independent: list[int] = []

    def _residual(self, row: np.ndarray) -> np.ndarray:
        vec = row.astype(float)
        if len(self._basis):
            vec = vec - self._basis.T @ (self._basis @ vec)
        return vec

    def _accept(self, row: np.ndarray, residual: np.ndarray, name: str) -> None:
        norm = float(np.linalg.norm(residual))
        if norm > 1e-8 * max(1.0, float(np.sqrt(row.sum()))):
            self._basis = np.vstack([self._basis, residual / norm])
            self._independent.append(len(self.rows))
        self.rows.append(row)
        self.names.append(name)

    def row(self, members: pd.Index) -> np.ndarray:
        out = np.zeros(len(self.position), dtype=bool)
        out[self.position.reindex(members).dropna().astype(int).to_numpy()] = True
        return out

    def check(self, members: pd.Index, name: str) -> str | None:
        """Reason the set cannot be added, or None (then it is added)."""
        n = len(members)
        if n < self.threshold:
            return f"{n} organisations, fewer than the {self.threshold} needed"
        row = self.row(members)
        residual = self._residual(row)
        if np.linalg.norm(residual) <= 1e-8 * max(1.0, float(np.sqrt(row.sum()))):
            self._accept(row, residual, name)  # a combination of released sets: nothing new
            return None
        candidate = np.vstack([*(self.rows[i] for i in self._independent), row])
        exposures = find_exposures(candidate, self.threshold, independent=True)
        if exposures:
            names = [*(self.names[i] for i in self._independent), name]
            return "with figures already released it would single out " + _exposure_text(exposures[0], names)
        self._accept(row, residual, name)
        return None

    def add(self, members: pd.Index, name: str) -> None:
        row = self.row(members)
        self._accept(row, self._residual(row), name)


def _exposure_text(exposure: Exposure, names: Sequence[str]) -> str:
    noun = "organisation" if exposure.size == 1 else "organisations"
    used = [names[i] for i in sorted(exposure.sets) if i < len(names)]
    via = f" (from {', '.join(used)})" if used else ""
    return f"{exposure.size} {noun}{via}"


def build_release_plan(
    responses: pd.DataFrame,
    scores: pd.DataFrame,
    framework: Framework,
    settings: PrivacySettings | None = None,
    *,
    segments: pd.Series | None = None,
    outcome_values: pd.DataFrame | None = None,
    wave: str | None = None,
) -> ReleasePlan:
    """Decide what may be released to clients for a wave (see the module notes).

    Parameters
    ----------
    responses : DataFrame
        The wave's answers, indexed by organisation id, with the demographic columns.
    scores : DataFrame
        Scores with ``index``, same ids.
    framework : Framework
    settings : PrivacySettings, optional
    segments : Series, optional
        Segment name per organisation (organisations with all strand scores).
    outcome_values : DataFrame, optional
        Improvement (1/0/NaN) per organisation and outcome group: the achievers-vs-others
        shares are released over the population's top deck and the others who answered.
    wave : str, optional

    Returns
    -------
    ReleasePlan
    """
    settings = settings or PrivacySettings()
    excluded = _tiny_values(responses, _complete_index(scores), framework, settings)
    index = _without(_complete_index(scores), responses, excluded)
    family = _Family(index.index, settings.threshold)
    singles, names, value_entries = _single_groups(responses, index, framework, settings)
    candidates: list[tuple[str, dict[str, tuple[str, ...]]]] = [("wave", {})]
    candidates += [("value" if (k := next(iter(f))) and (k, f[k]) not in names else "other", f) for f in singles]
    candidates += [("combination", f) for f in _combination_groups(singles, settings, framework)]
    members = {_group_id(f): group_members(responses, index, f) for _kind, f in candidates}
    # Largest first: the figures most clients ask for are the last to be withheld.
    order = sorted(range(len(candidates)), key=lambda i: (i > 0, -len(members[_group_id(candidates[i][1])]), i))
    fingerprint_sets: dict[str, pd.Index] = {}
    groups: list[dict[str, Any]] = []
    plan_segments: dict[str, dict[str, Any]] = {}

    def consider(kind: str, filters: dict[str, tuple[str, ...]], *, forced: bool = False) -> None:
        gid = _group_id(filters)
        ids = members.get(gid)
        if ids is None:
            ids = members[gid] = group_members(responses, index, filters)
        sets = score_sets(index, ids)
        figures, reasons = {}, {}
        for figure, set_ids in sets.items():
            fingerprint_sets[f"{gid}/{figure}"] = set_ids
            if figure != "scores" and not figures.get("scores"):
                figures[figure], reasons[figure] = False, "the group's own figures are withheld"
                continue
            if forced:
                family.add(set_ids, f"{_label(filters, framework, names)} ({figure.replace('_', ' ')})")
                figures[figure] = True
                continue
            why = family.check(set_ids, f"{_label(filters, framework, names)} ({figure.replace('_', ' ')})")
            figures[figure] = why is None
            if why:
                reasons[figure] = why
        groups.append({
            "id": gid, "label": _label(filters, framework, names), "filters": filters, "kind": kind,
            "n": int(len(ids)), "released": bool(figures["scores"]), "figures": figures, "reasons": reasons,
        })

    consider(*candidates[0])
    if segments is not None:
        seg = segments.reindex(index.index).dropna().astype(str)
        for name in sorted(seg.unique()):
            ids = seg.index[(seg == name).to_numpy()]
            fingerprint_sets[f"segment/{name}"] = ids
            why = family.check(ids, f"segment {name}")
            plan_segments[name] = {"n": int(len(ids)), "released": why is None, "reason": why or ""}
    seen = {"all"}
    for i in order[1:]:
        kind, filters = candidates[i]
        if _group_id(filters) in seen:
            continue
        seen.add(_group_id(filters))
        consider(kind, filters)
    for filters in settings.extra_groups:
        consider("extra", filters, forced=True)

    plan_outcomes: dict[str, dict[str, Any]] = {}
    parts_by_outcome = outcome_sets(index, outcome_values) if outcome_values is not None else {}
    for outcome, parts in parts_by_outcome.items():
        fam = _Family(index.index.union(pd.Index([i for p in parts.values() for i in p])), settings.threshold)
        reasons = [why for key, ids in parts.items() if (why := fam.check(ids, f"{outcome} {key}"))]
        plan_outcomes[outcome] = {
            "released": not reasons, "reason": "; ".join(reasons),
            **{f"{k}_n": int(len(v)) for k, v in parts.items()},
        }
    released = {g["id"] for g in groups if g["released"]}
    for entry in value_entries:
        entry["as_asked"] = bool(entry.pop("own_group") and _group_id({entry["demographic"]: (entry["value"],)}) in released)
    for entry in value_entries:
        entry["excluded"] = entry["value"] in excluded.get(entry["demographic"], [])
    return ReleasePlan(wave, settings, groups, plan_segments, plan_outcomes, _fingerprint(fingerprint_sets),
                       value_entries, excluded, int(len(index)))


def exploratory_plan(
    responses: pd.DataFrame,
    scores: pd.DataFrame,
    framework: Framework,
    filters: Mapping[str, Sequence[str]] | None,
    *,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    segment_model: Any | None = None,
) -> ReleasePlan:
    """A one-group plan for the researcher's own exploration (never for clients).

    The group asked for is "released" with each figure shown when its set holds at least
    ``min_group_size`` organisations; nothing is checked against other groups. The
    researcher running the kit is trusted; client outputs always use the wave's plan.
    """
    settings = PrivacySettings(min_group_size=min_group_size, pooled_readers=0)
    index = _complete_index(scores)
    filters = _filters_tuple(filters or {})
    ids = group_members(responses, index, filters)
    figures, reasons = {}, {}
    for figure, members in score_sets(index, ids).items():
        ok = len(members) >= min_group_size and (figure == "scores" or figures["scores"])
        figures[figure] = ok
        if not ok:
            reasons[figure] = f"{len(members)} organisations, fewer than the {min_group_size} needed"
    names: dict = {}
    group = {"id": _group_id(filters), "label": _label(filters, framework, names), "filters": filters, "kind": "exploration",
             "n": int(len(ids)), "released": True, "figures": figures, "reasons": reasons}
    segments = {}
    if segment_model is not None:
        complete = scores.reindex(index.index)[framework.strand_ids].dropna()
        if len(complete):
            counts = pd.Series(np.asarray(segment_model.predict(complete)).astype(str)).value_counts()
            segments = {str(k): {"n": int(v), "released": int(v) >= min_group_size,
                                 "reason": "" if v >= min_group_size else f"{v} organisations, fewer than the {min_group_size} needed"}
                        for k, v in counts.items()}
    outcomes = {o.id: {"released": True, "reason": ""} for o in framework.outcomes}
    return ReleasePlan(None, settings, [group], segments, outcomes, fingerprint="exploration")
