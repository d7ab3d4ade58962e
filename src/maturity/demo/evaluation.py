"""The demo's programme evaluation: a synthetic programme with planted effects, evaluated
into a senior leader's report and stored with the demo benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import yaml

from ..data.store import BenchmarkStore
from ..evaluation.run import run_evaluation
from ..evaluation.synthetic import PLANTED, write_synthetic_programme
from ..files import write_text


def run_demo_evaluation(
    out: str | Path, *, seed: int, database: Path | None = None, echo: Callable[[str], None] = print,
    progress: bool = False, n_learners: int = 240,
) -> dict[str, Path]:
    """Write a synthetic programme (comparison group, planted effects) into ``out/programme``,
    evaluate it into ``out/evaluation`` and, with ``database``, store it for the wave's first
    organisation. Returns the outputs to list, by label."""
    out = Path(out)
    folder = out / "programme"
    programme = write_synthetic_programme(folder, n_learners=n_learners, seed=seed)
    if database is not None:
        with BenchmarkStore(database, read_only=True) as store:
            organisation = str(store.organisations().index[0])
        plan = yaml.safe_load(programme.plan.read_text(encoding="utf-8"))
        plan["organisation"] = organisation
        write_text(programme.plan, yaml.safe_dump(plan, sort_keys=False, allow_unicode=True))
    effects = ", ".join(f"{name} {spec['effect']:+g}" for name, spec in PLANTED["kpis"].items())
    echo(f"Evaluating a synthetic programme of {n_learners} learners (planted KPI effects per learner: {effects})")
    run = run_evaluation(programme.plan, out / "evaluation", db=database, progress=progress)
    echo(f"      {run.evaluation['answer']['headline']}")
    return {"evaluation plan": programme.plan, "evaluation report": run.html, "evaluation results": run.json}
