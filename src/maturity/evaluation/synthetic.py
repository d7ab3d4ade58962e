"""A synthetic programme with planted effects: files and a plan that ``maturity evaluate``
reads, for the demo, the tests and the benchmark.

Each learner has a latent engagement that raises their reaction, their learning gain,
their behaviour change and their KPI effect together, so the chain of evidence holds.
Units are learners grouped in teams; KPIs carry team shocks in each period, so their
errors are clustered by team (and a naive standard error would be too small).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..config import DEFAULT_SEED
from ..files import write_text

#: The planted effects of :func:`write_synthetic_programme` (per trained unit, one period).
PLANTED: dict[str, Any] = {
    "learning_gain": 8.0,          # test points on 0-100
    "behaviour_change": 0.5,       # scale points on 1-5, as managers see it
    "kpis": {
        "sales": {"effect": 6.0, "value": 40.0, "direction": "up", "label": "Monthly sales (units)"},
        "errors": {"effect": -1.5, "value": 60.0, "direction": "down", "label": "Order errors a month"},
    },
    "cost": 60_000.0,
}

_MEASURES = {
    "reaction": "end-of-programme survey: relevance, delivery, intent to use; would you recommend it (0-10)",
    "learning": "scenario test before the first module and after the last (0-100)",
    "behaviour": "360 items on feedback, goal setting and coaching, rated by the leader and their manager, "
                 "one month before and three months after",
    "results": "monthly sales and order errors per leader's team, the quarter before and the quarter after",
}
_STORIES = (
    "I now run a short weekly review with my team and we catch problems earlier.",
    "The coaching sessions gave me a way to talk about targets without it becoming a fight.",
    "Honestly I have not had time to use much of it; the targets changed in March.",
    "We rebuilt the order checklist together after module three.",
    "My manager asked about the course once; nothing much changed in how we work.",
)


@dataclass
class SyntheticProgramme:
    """Where a synthetic programme was written and what was planted in it."""

    plan: Path
    folder: Path
    design: str
    planted: dict[str, Any] = field(default_factory=dict)


def simulate_results_panel(
    n_trained: int, n_comparison: int, *, effect: float = 6.0, team_size: int = 8, team_sd: float = 3.0,
    unit_sd: float = 4.0, noise_sd: float = 3.0, trend: float = 2.0, baseline: float = 100.0,
    rng: np.random.Generator | None = None, kpi: str = "sales", engagement: np.ndarray | None = None,
) -> pd.DataFrame:
    """A before/after panel of one KPI for trained and comparison units in teams.

    ``y = baseline + team + team-period shock + unit + trend x after + effect_i x trained x after + noise``,
    where ``effect_i`` averages ``effect`` over the trained units.

    Returns
    -------
    DataFrame
        ``unit_id``, ``group``, ``period``, ``team``, and the KPI column.
    """
    rng = rng if rng is not None else np.random.default_rng(DEFAULT_SEED)
    n = n_trained + n_comparison
    trained = np.r_[np.ones(n_trained, bool), np.zeros(n_comparison, bool)]
    # Teams hold trained or comparison units, never both (as when whole teams are enrolled).
    team = np.r_[np.arange(n_trained) // team_size, n_trained // team_size + 1 + np.arange(n_comparison) // team_size]
    n_teams = team.max() + 1
    team_effect = rng.normal(0, team_sd, n_teams)
    shock = rng.normal(0, team_sd / 2, (n_teams, 2))
    unit = rng.normal(0, unit_sd, n)
    individual = np.zeros(n)
    if engagement is not None:
        spread = engagement[:n_trained] - engagement[:n_trained].mean()
        individual[:n_trained] = effect * 0.6 * spread
    rows = []
    for period, after in (("before", 0), ("after", 1)):
        y = (baseline + team_effect[team] + shock[team, after] + unit + trend * after
             + after * trained * (effect + individual) + rng.normal(0, noise_sd, n))
        rows.append(pd.DataFrame({"unit_id": [f"L{i + 1:05d}" if t else f"C{i + 1:05d}" for i, t in enumerate(trained)],
                                  "group": np.where(trained, "trained", "comparison"), "period": period,
                                  "team": [f"T{t + 1:04d}" for t in team], kpi: np.round(y, 3)}))
    return pd.concat(rows, ignore_index=True)


def write_synthetic_programme(
    folder: str | Path, *, n_learners: int = 200, design: str = "comparison", seed: int = DEFAULT_SEED,
    bootstrap: int = 1000, fmt: str = "csv",
) -> SyntheticProgramme:
    """Write a synthetic programme's files and its plan (``plan.yaml``) into ``folder``.

    Parameters
    ----------
    folder : path
    n_learners : int
        Trained learners (the comparison group, when there is one, is as large).
    design : {"comparison", "estimates"}
        A comparison group in the results file, or participants' estimates instead.
    seed : int
    bootstrap : int
        Resamples the plan asks for.
    fmt : {"csv", "xlsx"}
        Format of the level files.

    Returns
    -------
    SyntheticProgramme
    """
    if design not in ("comparison", "estimates"):
        raise ValueError(f"design must be 'comparison' or 'estimates', got {design!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = n_learners
    ids = [f"L{i + 1:05d}" for i in range(n)]
    engagement = rng.normal(0, 1, n)

    items = ["relevant", "well_run", "will_use"]
    reaction = pd.DataFrame({"learner_id": ids})
    for item in items:
        reaction[item] = np.clip(np.round(3.9 + 0.6 * engagement + rng.normal(0, 0.7, n)), 1, 5).astype(int)
    reaction["recommend"] = np.clip(np.round(7.6 + 1.5 * engagement + rng.normal(0, 1.3, n)), 0, 10).astype(int)

    pre = np.clip(rng.normal(55, 12, n), 0, 100)
    gain = PLANTED["learning_gain"] + 3.0 * engagement + rng.normal(0, 5, n)
    learning = pd.DataFrame({"learner_id": ids, "pre": np.round(pre, 1), "post": np.round(np.clip(pre + gain, 0, 100), 1)})

    behaviours = ["gives_feedback", "sets_goals", "coaches"]
    rows = []
    base = rng.normal(3.0, 0.5, n)
    change = PLANTED["behaviour_change"] + 0.25 * engagement
    for rater, optimism, noise in (("self", 0.25, 0.45), ("manager", 0.0, 0.35)):
        for phase, after in (("before", 0), ("after", 1)):
            frame = pd.DataFrame({"learner_id": ids, "rater": rater, "phase": phase})
            for item in behaviours:
                value = base + after * (change + optimism) + rng.normal(0, noise, n)
                frame[item] = np.clip(np.round(value), 1, 5).astype(int)
            rows.append(frame)
    behaviour = pd.concat(rows, ignore_index=True)

    n_comparison = n if design == "comparison" else 0
    panels = []
    for name, spec in PLANTED["kpis"].items():
        baseline = 100.0 if name == "sales" else 12.0
        scale = 1.0 if name == "sales" else 0.25
        panels.append(simulate_results_panel(
            n, n_comparison, effect=spec["effect"], rng=rng, kpi=name, engagement=engagement,
            baseline=baseline, team_sd=3.0 * scale, unit_sd=4.0 * scale, noise_sd=3.0 * scale, trend=2.0 * scale,
        ).set_index(["unit_id", "group", "period", "team"]))
    results = pd.concat(panels, axis=1).reset_index()

    files = {"reaction": reaction, "learning": learning, "behaviour": behaviour, "results": results}
    if design == "estimates":
        contribution = np.clip(rng.beta(5, 5, n) + 0.05 * engagement, 0, 1)
        confidence = np.clip(rng.beta(7, 3, n), 0, 1)
        answered = rng.random(n) < 0.85  # some participants give no estimate (counted as no improvement)
        files["estimates"] = pd.DataFrame({
            "learner_id": np.repeat(np.asarray(ids)[answered], len(PLANTED["kpis"])),
            "kpi": np.tile(list(PLANTED["kpis"]), int(answered.sum())),
            "contribution": np.round(np.repeat(contribution[answered], len(PLANTED["kpis"])), 2),
            "confidence": np.round(np.repeat(confidence[answered], len(PLANTED["kpis"])), 2),
        })
    picked = rng.choice(n, size=min(n, 12), replace=False)
    files["stories"] = pd.DataFrame({"learner_id": np.asarray(ids)[picked],
                                     "story": [_STORIES[i % len(_STORIES)] for i in range(len(picked))]})
    names = {}
    for name, frame in files.items():
        path = folder / f"{name}.{fmt if name in ('reaction', 'learning', 'behaviour', 'results') else 'csv'}"
        if path.suffix == ".xlsx":
            frame.to_excel(path, index=False)
        else:
            write_text(path, frame.to_csv(index=False))
        names[name] = path.name
    plan = {
        "programme": {"name": "First-line leaders", "owner": "Head of Learning", "audience": "new team leaders",
                      "dates": {"start": "2026-01-12", "end": "2026-04-30"}, "type": "leadership"},
        "currency": "GBP",
        "cost": [{"item": "design", "amount": 18_000}, {"item": "delivery", "amount": 30_000},
                 {"item": "participants' time", "amount": PLANTED["cost"] - 48_000}],
        "files": {name: ({"path": path, "measures": _MEASURES[name]} if name in _MEASURES else path)
                  for name, path in names.items()},
        "kpis": {k: {"value": v["value"], "direction": v["direction"], "label": v["label"]}
                 for k, v in PLANTED["kpis"].items()},
        "cluster": "team",
        "bootstrap": bootstrap,
        "seed": seed,
    }
    plan_path = folder / "plan.yaml"
    write_text(plan_path, yaml.safe_dump(plan, sort_keys=False, allow_unicode=True))
    planted = dict(PLANTED, n_trained=n)
    return SyntheticProgramme(plan_path, folder, design, planted)
