"""The demo's learners: a synthetic learners' survey for the analysed wave."""

from __future__ import annotations

from pathlib import Path

from ..data.learners import LearnerImportResult, import_learners
from ..data.store import BenchmarkStore
from ..data.synthetic_learners import generate_learners
from ..files import write_table
from ..framework import load_framework

#: The planted share of the learners' latent views that lies between organisations.
DEMO_LEARNER_ICC = 0.2


def add_demo_learners(store: BenchmarkStore, wave: str, folder: str | Path, *, seed: int) -> LearnerImportResult:
    """Generate learners (5 to 200 per organisation, some organisations with none) whose
    views follow their organisation's maturity index, write them to ``folder/learners.csv``
    and import them as the learner level of ``wave`` (replacing any from an earlier run).

    Returns
    -------
    LearnerImportResult
    """
    framework = load_framework("learner-voice")
    learners = generate_learners(store.scores(wave)["index"], framework, icc=DEMO_LEARNER_ICC, seed=seed)
    path = write_table(Path(folder) / "learners.csv", learners)
    return import_learners(store, path, wave, framework, replace=True)
