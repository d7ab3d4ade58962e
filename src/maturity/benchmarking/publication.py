"""Publish a wave once: the table of audited figures every client surface reads.

Client reports, results files, batches, the client dashboard and the Quick Check never open
a wave's organisation-level data. They read one document per wave, built here once (by
``maturity privacy plan``, by ``maturity demo``, or on first use when a wave has none
stored), and the client's own answers:

* the wave's release plan (:mod:`maturity.benchmarking.release_plan`): which peer groups
  and which of their figures may be shown;
* for each released group and score: n, mean, top-quartile and top-deck n and mean, and a
  coarsened distribution (:mod:`maturity.benchmarking.coarsening`) whose every bin holds at
  least ``min_group_size`` organisations; percentiles, quartiles and histograms are read
  from those bins only;
* the wave's segments (sizes, shares, released mean profiles) and the classifier that
  places an organisation in one (segment centres; no member list);
* achievers-vs-others shares per outcome, strand importance, invariance verdicts;
* the wave's counts, with a sentence saying who is left out of the figures and why.

The whole document is audited: the sums (means) by the release plan's exact audit and the
independent attack search, the counts (group sizes, bins) by the exact audit of every
released member set, bins included. The split of bins that would complete an exposure is
undone, and a figure the attack search still breaks is withheld, until both pass;
the work is bounded by counts (never by wall-clock time), so the same wave and settings
give the same document, and the same fingerprint, on any machine.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..config import DEFAULT_MIN_LEARNERS
from ..errors import PrivacyError
from ..framework import INDEX_COLUMN, Framework
from ..framework_document import framework_to_dict
from ..values import float_or_none, json_safe
from .achievers import achievers_vs_others
from .coarsening import Bins, BinTree, bin_of, coarsen, common_ancestor
from .learner_voice import learner_figures
from .disclosure_audit import find_exposures
from .privacy_audit import AuditReport, WaveRelease, audit_release
from .release_plan import PrivacySettings, ReleasePlan, group_members, score_sets

__all__ = ["PUBLICATION_ARTIFACT", "PUBLICATION_SCHEMA", "publish_wave", "tabulate", "fingerprint", "population_sentence"]

#: Kind under which a wave's published table is stored in the benchmark database.
PUBLICATION_ARTIFACT = "publication"
PUBLICATION_SCHEMA = "maturity/publication/1"
#: Rounds of "withhold what the attack search broke, audit again" before giving up.
_MAX_ROUNDS = 20
#: Exposures looked for in one round of the distributions' audit (one bin merged for each).
_EXPOSURES_PER_ROUND = 1
#: Branch-and-bound nodes for one search of the distributions' audit: a search that cannot
#: settle within it coarsens the finest group (safe either way, and bounded by a count).
_BIN_NODE_LIMIT = 500
#: Rounds of the distributions' audit at most per score (each merges at least one bin).
_MAX_BIN_ROUNDS = 2000


def publish_wave(
    release: WaveRelease,
    settings: PrivacySettings | None = None,
    *,
    segment_model: Any | None = None,
    importance: pd.Series | Mapping[str, float] | None = None,
    invariance: Mapping[str, Any] | None = None,
    learners: Any | None = None,
) -> tuple[dict[str, Any], AuditReport]:
    """Build, audit and fingerprint the published table of a wave.

    Parameters
    ----------
    release : WaveRelease
        The wave's data (:func:`maturity.benchmarking.privacy_audit.wave_release`).
    settings : PrivacySettings, optional
    segment_model : fitted SegmentModel, optional
    importance : Series or mapping, optional
        Strand importance (drivers of outcomes); None: equal weights.
    invariance : mapping, optional
        Invariance verdicts per demographic.
    learners : LearnerAggregates, optional
        The wave's learner level (:func:`maturity.benchmarking.learner_voice.wave_learner_aggregates`):
        each released group then publishes its learners' figures.

    Returns
    -------
    (dict, AuditReport)
        The JSON-safe table (see ``docs/results-schema.md``) and the final audit, which
        passes (else :class:`PrivacyError` is raised: it never should).
    """
    settings = settings or PrivacySettings()
    plan = release.plan(settings)
    report = _passing_plan(release, plan)
    document = tabulate(release, plan, segment_model=segment_model, importance=importance, invariance=invariance,
                        learners=learners)
    document["audit"]["safe"] = report.safe
    document["fingerprint"] = fingerprint(document)
    return document, report


def tabulate(
    release: WaveRelease,
    plan: ReleasePlan,
    *,
    segment_model: Any | None = None,
    importance: pd.Series | Mapping[str, float] | None = None,
    invariance: Mapping[str, Any] | None = None,
    audit_bins: bool = True,
    learners: Any | None = None,
) -> dict[str, Any]:
    """The table of figures a plan releases (see the module notes).

    ``audit_bins=False`` is for a researcher's own exploration (an unaudited one-group plan,
    :func:`maturity.benchmarking.release_plan.exploratory_plan`): distributions are coarsened
    but not audited against other groups, and the table says it is an exploration.
    """
    settings = plan.settings
    fw: Framework = release.framework
    index = plan.population(release.responses, release.scores)
    scores = release.scores.reindex(index.index)
    score_ids = [INDEX_COLUMN, *fw.strand_ids]
    groups, sets_of = [], {}
    for g in plan.groups:
        entry = {k: g[k] for k in ("id", "label", "filters", "kind", "released", "figures", "reasons")}
        entry["filters"] = {k: list(v) for k, v in g["filters"].items()}
        if g["released"]:
            members = group_members(release.responses, index, g["filters"])
            sets = score_sets(index, members)
            sets_of[g["id"]] = sets
            entry["n"] = int(len(members))
            entry["scores"] = {s: _score_figures(scores[s], sets, g["figures"]) for s in score_ids}
            if learners is not None:
                # Every member counts, the client too: one more organisation than the minimum,
                # so that a client subtracting its own learners still leaves the minimum.
                entry["learners"] = learner_figures(learners, members.astype(str), min_learners=DEFAULT_MIN_LEARNERS,
                                                    min_group_size=settings.min_group_size + 1)
        groups.append(entry)
    problem = _audit_bins(plan, groups, sets_of, scores[score_ids], index.index, release, audit=audit_bins)
    if problem:
        raise PrivacyError(f"the published distributions of wave {plan.wave} could not be made safe: {problem}")
    document: dict[str, Any] = {
        "schema": PUBLICATION_SCHEMA,
        "wave": plan.wave,
        "framework": {"id": fw.id, "name": fw.name, "version": fw.version, "document": framework_to_dict(fw)},
        "settings": settings.to_dict(),
        "threshold": settings.threshold,
        "population": _population(release, plan, fw),
        "groups": groups,
        "values": plan.values,
        "segments": _segments(release, plan, segment_model, index.index),
        "outcomes": _outcomes(release, plan, index.index),
        "importance": None if importance is None else {str(k): float(v) for k, v in dict(importance).items()},
        "invariance": dict(invariance) if invariance else None,
        "audit": {"safe": False, "plan_fingerprint": plan.fingerprint},
    }
    if learners is not None:
        document["learners"] = {"min_learners": DEFAULT_MIN_LEARNERS, "framework": learners.framework.id}
    if not audit_bins:
        document["exploration"] = True
    return json_safe(document)


def fingerprint(document: Mapping[str, Any]) -> str:
    """Hash of the published figures (everything but the fingerprint itself)."""
    body = {k: v for k, v in document.items() if k != "fingerprint"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, allow_nan=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- the plan, withheld until it passes both engines --------------------------------------------


def _passing_plan(release: WaveRelease, plan: ReleasePlan) -> AuditReport:
    """Audit the plan; withhold what either engine breaks (forced groups aside) until it passes."""
    report = audit_release(release, plan)
    for _ in range(_MAX_ROUNDS):
        if report.safe:
            return report
        broken = {name for e in report.exposures for name in e["figures"]}
        broken |= {name for s in report.attacks.successes for name in s["figures"]}
        if not _withhold(plan, broken):
            break
        report = audit_release(release, plan)
    if not report.safe:
        forced = [g["label"] for g in plan.groups if g["kind"] == "extra"]
        why = report.to_text().split("Exact audit", 1)[-1].strip()
        hint = f" (groups forced into the plan by the settings: {', '.join(forced)})" if forced else ""
        raise PrivacyError(f"wave {plan.wave} cannot be published safely{hint}:\n{why}")
    return report


def _withhold(plan: ReleasePlan, names: set[str]) -> bool:
    """Withhold the named figures (smallest first, one per round); True when one was withheld."""
    candidates = []
    for g in plan.groups:
        if g["kind"] == "extra":
            continue  # forced by the settings: the operator must change them
        for figure, ok in g["figures"].items():
            if ok and f"{g['label']} ({figure.replace('_', ' ')})" in names:
                candidates.append((figure != "scores", -g["n"], g["id"], figure))
    for name, s in plan.segments.items():
        if s["released"] and f"segment {name}" in names:
            candidates.append((True, -s["n"], f"segment/{name}", "profile"))
    for outcome, o in plan.outcomes.items():
        if o["released"] and any(n.startswith(f"{outcome} ") for n in names):
            candidates.append((True, 0, f"outcome/{outcome}", "shares"))
    if not candidates:
        return False
    # Top quartiles and decks, segments and outcome shares go before a group's own scores;
    # among those, the smallest set first (it carries the least for clients).
    _own_last, _size, target, figure = sorted(candidates, key=lambda c: (not c[0], -c[1]))[0]
    reason = "withheld because, with the other published figures, it would reveal an organisation's answers"
    if target.startswith("segment/"):
        seg = plan.segments[target.split("/", 1)[1]]
        seg.update(released=False, reason=reason)
    elif target.startswith("outcome/"):
        plan.outcomes[target.split("/", 1)[1]].update(released=False, reason=reason)
    else:
        g = next(g for g in plan.groups if g["id"] == target)
        withheld = list(g["figures"]) if figure == "scores" else [figure]
        for f in withheld:
            g["figures"][f] = False
            g["reasons"].setdefault(f, reason)
        g["released"] = bool(g["figures"]["scores"])
    return True


# --- figures ---------------------------------------------------------------------------------


def _score_figures(values: pd.Series, sets: Mapping[str, pd.Index], figures: Mapping[str, bool]) -> dict[str, Any]:
    """n, mean, top-quartile and top-deck figures of one score of a group (withheld as planned)."""
    group = values.reindex(sets["scores"]).astype(float).dropna()
    out: dict[str, Any] = {"n": int(len(group)), "mean": float_or_none(group.mean()) if len(group) else None}
    for figure in ("top_quartile", "top_deck"):
        part = values.reindex(sets[figure]).astype(float).dropna()
        shown = bool(figures.get(figure))
        out[f"{figure}_n"] = int(len(part)) if shown else None
        out[f"{figure}_mean"] = float_or_none(part.mean()) if shown and len(part) else None
    return out


def _audit_bins(
    plan: ReleasePlan,
    groups: list[dict[str, Any]],
    sets_of: Mapping[str, Mapping[str, pd.Index]],
    scores: pd.DataFrame,
    population: pd.Index,
    release: WaveRelease,
    *,
    audit: bool = True,
) -> str:
    """Publish each released group's distribution of each score as bins of one common tree,
    pruned until the exact audit of every published count finds nothing.

    The wave's own bins (each of at least ``min_group_size`` organisations) are the tree's
    leaves; each node halves its parent (:class:`~maturity.benchmarking.coarsening.BinTree`).
    A group splits a node when both halves hold no one of it or at least the minimum, and
    its larger published groups (its *guards*) keep the minimum outside it there too, so the
    bins are fine where the group is dense and coarse in its tails. What linear combinations
    can still single out (a demographic's other values summed away from the wave's count,
    say) the exact audit finds, and the split that costs least (the smallest share of its
    group's members merged) is undone. Fills each score entry's ``distribution``; returns ""
    or a problem.
    """
    k = plan.settings.min_group_size
    position = pd.Series(np.arange(len(population)), index=population)
    # Published counts other than the bins: group sizes and segment sizes. (Top-quartile and
    # top-deck sizes follow from a group's size by the quartile rule.)
    count_rows = [_row(position, sets["scores"]) for sets in sets_of.values()]
    if release.segments is not None:
        seg = release.segments.reindex(population).dropna()
        count_rows += [_row(position, seg.index[(seg == name).to_numpy()])
                       for name, s in plan.segments.items() if s["released"]]
    released = [g for g in groups if g["released"]]
    # Larger groups first: a group's guards (the published groups containing it) are built before it.
    order = sorted((g["id"] for g in released), key=lambda gid: (-len(sets_of[gid]["scores"]), gid))
    member_sets = {gid: set(sets_of[gid]["scores"]) for gid in order}
    guards_of = {gid: [p for p in order[:i] if member_sets[gid] < member_sets[p]] for i, gid in enumerate(order)}
    filters = {g["id"]: g["filters"] for g in released}
    families = _families(order, filters, member_sets)
    for score in scores.columns:
        values = scores[score].astype(float)
        finest = coarsen(values.dropna().to_numpy(), k)
        members = {gid: values.reindex(sets_of[gid]["scores"]).dropna() for gid in order}
        trees: dict[str, BinTree | None] = dict.fromkeys(order)
        if finest is not None:
            cells = {gid: np.bincount(bin_of(members[gid].to_numpy(), finest.edges), minlength=len(finest.counts))
                     for gid in order}
            blocked: dict[str, set] = {gid: set() for gid in order}
            trees = _grow_trees(order, cells, finest, k, guards_of, families, blocked)
        for _ in range(_MAX_BIN_ROUNDS):
            rows, owners = list(count_rows), [None] * len(count_rows)
            for gid, tree in trees.items():
                if tree is None or len(tree.leaves_) < 2:
                    continue
                pos = bin_of(members[gid].to_numpy(), tree.bins().edges)
                for i, leaf in enumerate(tree.leaves_):
                    if tree.count(leaf):
                        rows.append(_row(position, members[gid].index[pos == i]))
                        owners.append((gid, leaf))
            exposures = find_exposures(np.vstack(rows), k, node_limit=_BIN_NODE_LIMIT) if rows and audit else []
            if not exposures:
                break
            involved = [owners[i] for i in exposures[0].sets if owners[i] is not None]
            if not exposures[0].sets:
                # Unproven either way (the search reached its node limit): undo a split of the
                # group with the most bins, which removes the most small atoms.
                busiest = max((gid for gid in order if trees[gid] is not None),
                              key=lambda gid: (len(trees[gid].leaves_), gid))
                involved = [(busiest, leaf) for leaf in trees[busiest].leaves_]
            gid, split = _cheapest_merge(trees, involved)
            if split is None:
                return f"the published counts of {score} single out {exposures[0].size} organisation(s)"
            blocked[gid].add(split)
            trees = _grow_trees(order, cells, finest, k, guards_of, families, blocked)
        else:
            return f"the distributions of {score} could not be made safe in {_MAX_BIN_ROUNDS} rounds"
        for g in released:
            tree = trees[g["id"]]
            b = tree.bins() if tree is not None else None
            entry = g["scores"][score]
            entry["distribution"] = b.to_dict() if b is not None and len(b.counts) >= 2 else None
    return ""


def _families(order: Sequence[str], filters: Mapping[str, Mapping[str, list]],
              member_sets: Mapping[str, set]) -> list[tuple[str, list[str]]]:
    """Each published group with the groups that partition it on one set of demographics
    (the sectors inside the wave, the size bands inside a sector), disjoint from each other."""
    families = []
    for guard in order:
        by_keys: dict[tuple, list[str]] = {}
        for gid in order:
            if member_sets[gid] < member_sets[guard]:
                by_keys.setdefault(tuple(sorted(filters[gid])), []).append(gid)
        for _keys, candidates in sorted(by_keys.items()):
            members, taken = [], set()
            for gid in candidates:
                if taken.isdisjoint(member_sets[gid]):
                    members.append(gid)
                    taken |= member_sets[gid]
            families.append((guard, members))
    return families


def _grow_trees(order: Sequence[str], cells: Mapping[str, np.ndarray], finest: Bins, k: int,
                guards_of: Mapping[str, list[str]], families: Sequence[tuple[str, list[str]]],
                blocked: Mapping[str, set]) -> dict[str, BinTree]:
    """Every group's tree, larger groups first, each guarded by the larger groups containing
    it; then, family by family, no bin left over as a small difference.

    A group and the groups partitioning it that publish a node leave, by difference, the
    count of the members of those that do not; when that is between 1 and the minimum, the
    member that loses least by not publishing the node stops, and the trees grow again. Bounded: every round blocks one more split.
    """
    while True:
        trees: dict[str, BinTree] = {}
        for gid in order:
            trees[gid] = BinTree(cells[gid], finest.edges, k, guards=[(cells[p], trees[p].nodes()) for p in guards_of[gid]],
                                 blocked=blocked[gid])
        fix = _leftover_fix(trees, families, k)
        if fix is None:
            return trees
        blocked[fix[0]].add(fix[1])


def _leftover_fix(trees: Mapping[str, BinTree], families: Sequence[tuple[str, list[str]]], k: int) -> tuple[str, Any] | None:
    """The first split to undo so that no family leaves a small count by difference (None: none)."""
    for guard, members in families:
        top = trees[guard]
        for node in sorted(top.nodes()):
            publishing = [m for m in members if node in trees[m].nodes()]
            rest = top.count(node) - sum(trees[m].count(node) for m in publishing)
            if not publishing or rest == 0 or rest >= k:
                continue
            # A member holding some of the node stops publishing it (it then joins the rest);
            # the group itself stops only when none can, since it would meet the same rest
            # again at every node above.
            # Cost: the members whose bins merge; first those whose count settles the rest.
            choices = []
            for gid in [m for m in publishing if trees[m].count(node)] or [guard]:
                split = trees[gid].parent_of(node)
                if split is not None:
                    settles = rest + trees[gid].count(node) >= k
                    choices.append((not settles, trees[gid].count(split), trees[gid].n, gid, split))
            if choices:
                *_cost, gid, split = min(choices)
                return gid, split
    return None


def _cheapest_merge(trees: Mapping[str, BinTree | None], involved: list[tuple[str, Any]]) -> tuple[str | None, Any]:
    """The split to undo for an exposure that used the ``involved`` bins.

    For each group involved, the exposure read the count of the smallest node holding all
    its bins used (summed from its bins if need be); undoing the split that made that node
    stops the group publishing it. Of those, the one that merges the smallest share of its
    group's members (ties: the larger group, then by id).
    """
    used: dict[str, list] = {}
    for gid, leaf in involved:
        used.setdefault(gid, []).append(leaf)
    best, best_cost = (None, None), None
    for gid, leaves in sorted(used.items()):
        tree = trees[gid]
        if tree is None or not tree.leaves_:
            continue
        parent = tree.parent_of(common_ancestor(leaves, (0, len(tree.cells))))
        # Bins spread over the whole scale (read against the group's size): undo one of them.
        for split in [parent] if parent is not None else {tree.parent_of(leaf) for leaf in leaves} - {None}:
            cost = (tree.count(split) / max(tree.n, 1), -tree.n, gid, split)
            if best_cost is None or cost < best_cost:
                best, best_cost = (gid, split), cost
    return best


def _row(position: pd.Series, ids: pd.Index) -> np.ndarray:
    row = np.zeros(len(position), dtype=bool)
    row[position.reindex(ids).dropna().astype(int).to_numpy()] = True
    return row


def _population(release: WaveRelease, plan: ReleasePlan, fw: Framework) -> dict[str, Any]:
    n_wave = int(len(release.responses))
    n_index = int(release.scores[INDEX_COLUMN].notna().sum())
    excluded = {k: list(v) for k, v in plan.excluded.items()}
    return {
        "n_wave": n_wave,
        "n_with_index": n_index,
        "n_published": int(plan.n_population),
        "excluded": excluded,
        "sentence": population_sentence(n_wave, n_index, int(plan.n_population), excluded, fw),
    }


def population_sentence(n_wave: int, n_index: int, n_published: int, excluded: Mapping[str, list[str]],
                        fw: Framework) -> str:
    """One plain sentence on who the published figures describe, and who is left out and why."""
    text = f"The wave has {n_wave:,} organisations; the benchmark figures describe {n_published:,} of them."
    reasons = []
    if n_index < n_wave:
        reasons.append(f"{n_wave - n_index:,} answered too few questions for a maturity index")
    if n_index > n_published:
        names = {d.id: d.name for d in fw.demographics}
        held = "; ".join(f"{names.get(k, k)} {', '.join(v)}" for k, v in excluded.items())
        reasons.append(f"{n_index - n_published:,} belong to groups too small to publish even together ({held}), "
                       "so they are left out to protect them (they still receive their own reports)")
    if reasons:
        text += " Of the others, " + "; ".join(reasons) + "."
    return text


def _segments(release: WaveRelease, plan: ReleasePlan, model: Any | None, population: pd.Index) -> dict[str, Any] | None:
    if model is None or release.segments is None:
        return None
    seg = release.segments.reindex(population).dropna().astype(str)
    strands = list(release.framework.strand_ids)
    complete = release.scores.reindex(seg.index)[strands]
    order = [str(n) for n in (getattr(model, "segment_names_", None) or [])]
    order += sorted(n for n in seg.unique() if n not in order)
    entries = []
    for name in order:
        ids = seg.index[(seg == name).to_numpy()]
        planned = plan.segments.get(name, {"released": False, "reason": "not in the wave's release plan"})
        shown = bool(planned["released"])
        entries.append({
            "name": name, "n": int(len(ids)),
            "share": float_or_none(100.0 * len(ids) / len(seg)) if len(seg) else None,
            "released": shown, "reason": planned.get("reason", ""),
            "profile": {s: float_or_none(complete.loc[ids, s].mean()) for s in strands} if shown else None,
        })
    return {
        "algorithm": getattr(model, "algorithm", None),
        "k": int(getattr(model, "k_", len(order)) or len(order)),
        "n": int(len(seg)),
        "entries": entries,
        "classifier": classifier_of(model, [e["name"] for e in entries if e["released"]]),
    }


def classifier_of(model: Any, released: Sequence[str] | None = None) -> dict[str, Any] | None:
    """What placing an organisation in a segment needs: centres and scaling, no member list.

    A segment's centre is its members' mean profile (standardised), so only the centres of
    segments whose profile is published are kept: an organisation is placed in the nearest
    published segment. (Placing made-up answers against a withheld segment's centre would
    trace it out.) None when the model cannot be published this way.
    """
    if not hasattr(model, "to_dict"):
        return None
    data = model.to_dict()
    names = list(data.get("segment_names") or [])
    keep = [i for i, name in enumerate(names) if released is None or name in released]
    if not keep:
        return None
    out = {k: data[k] for k in ("algorithm", "features", "mean", "scale") if k in data}
    out["segment_names"] = [names[i] for i in keep]
    out["centers_z"] = [data["centers_z"][i] for i in keep]
    if data.get("algorithm") == "gmm":
        out["weights"] = [data["weights"][i] for i in keep]
        out["covariances"] = [data["covariances"][i] for i in keep]
    return out


def _outcomes(release: WaveRelease, plan: ReleasePlan, population: pd.Index) -> list[dict[str, Any]]:
    fw = release.framework
    if not fw.outcomes or len(population) == 0:
        return []
    table = achievers_vs_others(release.responses.loc[population], release.scores.loc[population], fw,
                                min_group_size=plan.settings.min_group_size)
    rows = []
    for r in table[table["level"] == "group"].itertuples(index=False):
        planned = plan.outcomes.get(r.outcome, {"released": False, "reason": "not in the wave's release plan"})
        hidden = bool(r.suppressed) or not planned["released"]
        rows.append({
            "outcome": r.outcome, "name": r.name,
            "top_deck_n": int(r.top_deck_n), "others_n": int(r.others_n),
            "top_deck_share": None if hidden else float_or_none(r.top_deck_share),
            "others_share": None if hidden else float_or_none(r.others_share),
            "ratio": None if hidden else float_or_none(r.ratio),
            "reason": (r.suppressed_reason or planned["reason"]) if hidden else "",
        })
    return rows
