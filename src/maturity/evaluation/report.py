"""One evaluation: a plan and its files in, the content of ``evaluation.json`` out."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..values import json_safe
from ..version import __version__
from .behaviour import behaviour_by_learner, behaviour_summary
from .chain import chain_of_evidence, results_by_learner
from .files import EvaluationData, read_evaluation_files
from .learning import learning_by_learner, learning_summary
from .narrative import answer
from .plan import EvaluationPlan, load_plan
from .reaction import reaction_by_learner, reaction_summary
from .results import ISOLATION_METHODS, results_summary
from .roi import roi_summary
from .success_cases import success_cases

#: Version of the ``evaluation.json`` layout.
SCHEMA_VERSION = 1


def evaluate(plan: EvaluationPlan | str | Path) -> dict[str, Any]:
    """Read and check a plan's files, then evaluate the programme.

    Parameters
    ----------
    plan : EvaluationPlan or path
        A checked plan, or the path of a plan file.

    Returns
    -------
    dict
        JSON-safe: ``programme``, ``plan``, ``levels``, ``reaction``, ``learning``, ``behaviour``,
        ``results`` (per KPI: ``did``, ``estimates``, ``change``, ``effect``, ``benefit``),
        ``design``, ``roi``, ``chain``, ``success_cases``, ``answer``, ``files``.

    Raises
    ------
    ParametersError
        The plan is wrong.
    ValidationFailed
        A file is rejected (every problem named; nothing is computed).
    """
    if not isinstance(plan, EvaluationPlan):
        plan = load_plan(plan)
    data = read_evaluation_files(plan)
    return evaluate_data(plan, data)


def evaluate_data(plan: EvaluationPlan, data: EvaluationData) -> dict[str, Any]:
    """Evaluate checked data (see :func:`evaluate`); every random step uses ``plan.seed``."""
    rng = np.random.default_rng(plan.seed)
    level = plan.confidence
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "programme": plan.programme,
        "plan": plan.to_dict(),
        "levels": data.levels,
        "confidence": level,
        "kit_version": __version__,
        "evaluated_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "files": {name: report.to_dict() | {"problems": []} for name, report in data.reports.items()},
    }
    by_learner: dict[str, pd.Series] = {}
    out["reaction"] = None
    if data.reaction is not None:
        out["reaction"] = reaction_summary(data.reaction, data.reaction_items, plan.scales["reaction"],
                                           confidence=level, n_boot=plan.bootstrap, rng=rng)
        if data.reaction_items:
            by_learner["reaction"] = reaction_by_learner(data.reaction, data.reaction_items)
    out["learning"] = None
    if data.learning is not None:
        out["learning"] = learning_summary(data.learning, plan.scales["learning"], confidence=level,
                                           n_boot=plan.bootstrap, rng=rng)
        by_learner["learning"] = learning_by_learner(data.learning)
    out["behaviour"] = None
    if data.behaviour is not None and data.behaviour_items:
        out["behaviour"] = behaviour_summary(data.behaviour, data.behaviour_items, plan.scales["behaviour"],
                                             confidence=level)
        by_learner["behaviour"] = behaviour_by_learner(data.behaviour, data.behaviour_items)
    out["results"] = None
    out["design"] = None
    out["roi"] = None
    if data.results is not None:
        entries, draws, prepared = results_summary(data.results, plan.kpis, data.estimates, confidence=level,
                                                   n_boot=plan.bootstrap, rng=rng)
        out["results"] = entries
        out["design"] = {"isolation": prepared.design, **ISOLATION_METHODS[prepared.design],
                         "n_trained": prepared.n_trained, "n_clusters": prepared.n_clusters,
                         "cluster": plan.cluster if prepared.cluster_column == "cluster" else None}
        benefits = {k: e["benefit"]["estimate"] for k, e in entries.items() if e["benefit"]["estimate"] is not None}
        out["roi"] = roi_summary(benefits, {k: draws[k] for k in benefits}, plan.cost,
                                 n_clusters=prepared.n_clusters, confidence=level)
        learners = _learner_index(by_learner)
        if len(learners) and learners.isin(prepared.trained_units).any():
            by_learner["results"] = results_by_learner(prepared.panel, plan.kpis, learners)
    out["cost"] = {"total": plan.cost, "lines": dict(plan.cost_lines), "currency": plan.currency}
    table = pd.concat(by_learner.values(), axis=1) if by_learner else pd.DataFrame()
    out["chain"] = chain_of_evidence(table, confidence=level)
    out["success_cases"] = success_cases(table, data.stories, k=plan.success_cases)
    out["answer"] = answer(out)
    return json_safe(out)


def _learner_index(by_learner: dict[str, pd.Series]) -> pd.Index:
    index = pd.Index([], dtype=object)
    for series in by_learner.values():
        index = index.union(series.index)
    return index
