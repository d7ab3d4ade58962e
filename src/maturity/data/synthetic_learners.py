"""Seeded synthetic learners nested in organisations, with a known intraclass correlation.

Each organisation gets between ``min_learners`` and ``max_learners`` learners (a share of
organisations gets none, as when a client does not run the learners' survey). For each
strand of the learner framework a learner's latent view is::

    y = sqrt(icc) * z_org + sqrt(1 - icc) * e_learner

where ``z_org`` is the organisation's maturity standardised across organisations and
``e_learner`` standard normal noise, so the latent ICC is exactly ``icc``. Items are the
latent plus item noise, cut into the printed scale (reverse items printed reversed).
Single-choice answers follow fixed shares (line manager first, as learners say in the
research), barriers are more often ticked by learners with a low view.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import DEFAULT_SEED
from ..errors import DataError
from ..framework import Framework

__all__ = ["generate_learners", "OPINION_SHARES"]

#: Shares of learners naming each opinion as the one that most influences their learning
#: (line manager about half, peers about a quarter, HR or L&D under a tenth).
OPINION_SHARES = {"Line manager": 0.55, "Peers": 0.23, "Senior leaders": 0.09, "HR or L&D": 0.08, "Nobody": 0.05}
#: Standard deviation of item noise around the learner's latent view of a strand.
_ITEM_NOISE = 0.6


def generate_learners(
    maturity: pd.Series,
    framework: Framework,
    *,
    icc: float = 0.2,
    min_learners: int = 5,
    max_learners: int = 200,
    share_without: float = 0.15,
    organisation_column: str = "organisation_id",
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Synthetic learners of the organisations in ``maturity``.

    Parameters
    ----------
    maturity : Series
        Indexed by organisation id: a maturity measure (e.g. the index, 0-100); missing
        values count as the mean.
    framework : Framework
        A learner framework (items, barriers and single-choice questions are generated).
    icc : float
        The planted share of latent variance between organisations, in [0, 1).
    min_learners, max_learners : int
        Learners per organisation (uniform between the two, inclusive).
    share_without : float
        Share of organisations with no learners.
    organisation_column : str
    seed : int

    Returns
    -------
    DataFrame
        One row per learner: ``learner_id``, the organisation column, the item columns
        (numbers), then the barriers (1/0) and the single-choice answers (text).
        ``attrs["icc"]`` records the planted ICC.
    """
    if not 0 <= icc < 1:
        raise DataError(f"icc must be in [0, 1), got {icc}")
    if not 1 <= min_learners <= max_learners:
        raise DataError(f"need 1 <= min_learners <= max_learners, got {min_learners} and {max_learners}")
    rng = np.random.default_rng(seed)
    ids = maturity.index.astype(str).to_numpy()
    values = maturity.to_numpy(dtype=float)
    centre = np.nanmean(values) if np.isfinite(values).any() else 0.0
    spread = np.nanstd(values) if np.isfinite(values).sum() > 1 else 1.0
    z = np.where(np.isfinite(values), (values - centre) / (spread or 1.0), 0.0)
    counts = rng.integers(min_learners, max_learners + 1, size=len(ids))
    counts[rng.random(len(ids)) < share_without] = 0
    org_pos = np.repeat(np.arange(len(ids)), counts)
    n = len(org_pos)
    data: dict[str, object] = {
        "learner_id": [f"L{i + 1:07d}" for i in range(n)],
        organisation_column: ids[org_pos],
    }
    between, within = np.sqrt(icc), np.sqrt(1 - icc)
    overall = np.zeros(n)
    for strand in framework.strands:
        latent = between * z[org_pos] + within * rng.standard_normal(n)
        overall += latent / len(framework.strands)
        for item in strand.items:
            scale = framework.scales[item.scale]
            width = scale.max - scale.min
            raw = (scale.min + scale.max) / 2 + width / 4 * (latent + _ITEM_NOISE * rng.standard_normal(n))
            answer = np.clip(np.round(raw) if scale.integer else raw, scale.min, scale.max)
            answer = scale.min + scale.max - answer if item.reverse else answer
            data[item.id] = answer.astype(np.int64) if scale.integer else answer
    for barrier in framework.barriers:
        chance = 1 / (1 + np.exp(1.2 + 0.8 * overall))
        data[barrier.id] = (rng.random(n) < chance).astype(np.int64)
    for question in framework.demographics:
        shares = np.array([OPINION_SHARES.get(v, 1.0 / len(question.values)) for v in question.values])
        data[question.id] = np.asarray(question.values, dtype=object)[
            rng.choice(len(question.values), size=n, p=shares / shares.sum())]
    frame = pd.DataFrame(data)
    frame.attrs["icc"] = icc
    return frame
