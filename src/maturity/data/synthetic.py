"""A seeded generator of realistic synthetic benchmark populations.

Organisations belong to latent maturity stages. Each has a latent level per strand:
its stage's level, an organisation effect shared by all strands, a strand-specific
deviation, minus the strand's difficulty (by default engagement, business need and
demonstrating value are hardest, as benchmark research repeatedly finds). Items are
ordinal responses to that level plus item noise; reverse-worded items are answered
consistently (a mature organisation disagrees with them). About 3% of answers are missing.
Outcomes (banded improvements) rise with maturity, each group driven most by a couple of
strands; barriers are reported less often by mature organisations.

The generator reads everything it needs from the framework, so it works for any
instrument, not only the default one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..config import DEFAULT_SEED
from ..errors import ParametersError
from ..files import write_csv
from ..framework import Framework, Item, load_framework

DEFAULT_STAGE_NAMES = ("Starting", "Developing", "Embedding", "Leading")
DEFAULT_STAGE_SHARES = (0.30, 0.32, 0.25, 0.13)
#: Strand difficulty on the latent scale (higher = weaker on average). Strands of other
#: frameworks default to 0.
DEFAULT_DIFFICULTY: Mapping[str, float] = {
    "engagement": 0.45,
    "business_need": 0.35,
    "demonstrating_value": 0.40,
    "learner_context": -0.10,
    "work_context": 0.0,
    "ld_capability": -0.05,
}
# Latent-model constants (tuned so that, with default settings, the stages are recoverable
# segments: see tests/test_synth.py).
_STAGE_SPREAD = 1.7       # first and last stage centres at -/+ this
_LEVEL_SHIFT = 0.2        # moves the population mean a little above the scale midpoint
_PROFILE_AMPLITUDE = 1.0  # unevenness of the middle stages across strands
_ORG_SD = 0.18            # organisation effect shared by its strands
_STRAND_SD = 0.18         # organisation-by-strand deviation
_ITEM_NOISE = 0.65        # response noise per item
_SECTOR_WEIGHTS = {
    "Finance": 0.14, "Public sector": 0.16, "Health": 0.11, "Manufacturing": 0.11, "Retail": 0.09,
    "Technology": 0.10, "Professional services": 0.10, "Education": 0.08, "Energy": 0.05,
    "Not for profit": 0.06,
}
_SIZE_WEIGHTS = {"1-249": 0.22, "250-999": 0.28, "1000-4999": 0.30, "5000+": 0.20}
_REGION_WEIGHTS = {
    "UK & Ireland": 0.38, "Continental Europe": 0.22, "North America": 0.18, "Asia Pacific": 0.12,
    "Middle East & Africa": 0.06, "Latin America": 0.04,
}

_NAME_FIRST = (
    "Northbridge", "Ashford", "Crestline", "Harbourside", "Kingsmere", "Redfern", "Oakhurst",
    "Silverdale", "Westmoor", "Brightwater", "Caldwell", "Eastgate", "Fairhaven", "Granite",
    "Hollins", "Ironbridge", "Juniper", "Kestrel", "Lakeside", "Meridian", "Newbury", "Orchard",
    "Pembroke", "Queensway", "Riverside", "Stonebridge", "Thornbury", "Upland", "Vale", "Whitfield",
    "Yardley", "Aldgate", "Beacon", "Cobalt", "Dunmore", "Elmstead", "Foxley", "Greystone",
    "Highfield", "Inverness", "Jubilee", "Kingfisher", "Larch", "Millbrook", "Norcross", "Osprey",
    "Pinewood", "Quarry", "Rosewood", "Summit", "Tidewater", "Unity", "Vantage", "Wexford",
    "Alder", "Bramley", "Castlegate", "Denholm", "Evergreen", "Fenwick", "Glenmore", "Hartley",
)
_NAME_SECOND = (
    "", "", "", "Bay", "Park", "Valley", "Hill", "Cross", "Point", "Ridge", "Green", "Field",
    "Lane", "Square", "Gate", "Wharf", "Heath", "Crown", "Star", "Bridge",
)
_NAME_SUFFIX = {
    "Finance": ("Capital", "Bank", "Insurance", "Mutual", "Building Society", "Asset Management"),
    "Public sector": ("Council", "Borough Council", "Agency", "Authority", "Department", "Commission"),
    "Health": ("Health", "Care Trust", "Clinics", "Hospitals", "Medical Group", "Pharma"),
    "Manufacturing": ("Engineering", "Manufacturing", "Industries", "Components", "Foods", "Plastics"),
    "Retail": ("Retail", "Stores", "Foods", "Home", "Fashion", "Markets"),
    "Technology": ("Systems", "Software", "Digital", "Networks", "Telecom", "Labs"),
    "Professional services": ("Partners", "Consulting", "Advisory", "Legal LLP", "Associates", "Group"),
    "Education": ("College", "University", "Academy Trust", "Schools", "Institute", "Learning"),
    "Energy": ("Energy", "Power", "Utilities", "Water", "Renewables", "Gas"),
    "Not for profit": ("Foundation", "Trust", "Charity", "Housing Association", "Society", "Alliance"),
}
_GENERIC_SUFFIX = ("Group", "Ltd", "Holdings", "Company", "Services", "Partners")


@dataclass
class SyntheticBenchmark:
    """A generated benchmark population.

    Attributes
    ----------
    responses : DataFrame
        The survey table (Contract 2): id, name, demographics, items, outcomes, barriers.
    truth : DataFrame
        Indexed by respondent id: ``stage`` (0 = least mature), ``stage_name`` and the
        latent level per strand (``latent_<strand>``).
    framework : Framework
    seed : int
    """

    responses: pd.DataFrame
    truth: pd.DataFrame
    framework: Framework
    seed: int
    stage_names: tuple[str, ...] = field(default=DEFAULT_STAGE_NAMES)
    difficulty: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DIFFICULTY))

    @property
    def n_stages(self) -> int:
        return len(self.stage_names)

    def write(self, path: str | Path) -> Path:
        """Write the survey file as CSV (atomically) and return its path."""
        return write_csv(path, self.responses)


def generate_benchmark(
    n_orgs: int = 600,
    *,
    framework: Framework | None = None,
    seed: int = DEFAULT_SEED,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_shares: Sequence[float] | None = None,
    missing_rate: float = 0.03,
    difficulty: Mapping[str, float] | None = None,
    id_prefix: str = "ORG",
    first_number: int = 1,
) -> SyntheticBenchmark:
    """Generate a seeded synthetic benchmark population.

    Parameters
    ----------
    n_orgs : int
        Number of organisations (respondents).
    framework : Framework, optional
        Instrument to answer; default the packaged six-strand framework.
    seed : int
        Seed of the random generator: the same seed gives the same data.
    stage_names : sequence of str
        Names of the latent maturity stages, least mature first (default four).
    stage_shares : sequence of float, optional
        Population share of each stage; default a realistic pyramid for four stages,
        equal shares otherwise.
    missing_rate : float
        Probability that any single answer is blank.
    difficulty : mapping, optional
        Latent difficulty per strand id; default :data:`DEFAULT_DIFFICULTY`.
    id_prefix : str
        Respondent ids are ``<prefix>-0001``, ...
    first_number : int
        Number of the first id.

    Returns
    -------
    SyntheticBenchmark
    """
    if n_orgs < 1:
        raise ParametersError(f"n_orgs must be at least 1, got {n_orgs}")
    if not 0 <= missing_rate < 0.5:
        raise ParametersError(f"missing_rate must be in [0, 0.5), got {missing_rate}")
    framework = framework or load_framework()
    stage_names = tuple(stage_names)
    n_stages = len(stage_names)
    if n_stages < 1:
        raise ParametersError("at least one stage is needed")
    if stage_shares is None:
        stage_shares = DEFAULT_STAGE_SHARES if n_stages == len(DEFAULT_STAGE_SHARES) else [1.0] * n_stages
    shares = np.asarray(stage_shares, dtype=float)
    if len(shares) != n_stages or (shares < 0).any() or shares.sum() <= 0:
        raise ParametersError("stage_shares must give one non-negative share per stage")
    shares = shares / shares.sum()
    difficulty = DEFAULT_DIFFICULTY if difficulty is None else difficulty

    rng = np.random.default_rng(seed)
    ids = [f"{id_prefix}-{i:04d}" for i in range(first_number, first_number + n_orgs)]
    demo = _demographics(framework, n_orgs, rng)

    # Larger organisations are somewhat more likely to be further along.
    stage = _draw_stages(n_orgs, shares, demo.get("size"), rng)
    strands = framework.strand_ids
    centres = _stage_centres(n_stages, len(strands))
    org_effect = rng.normal(0.0, _ORG_SD, size=n_orgs)
    specific = rng.normal(0.0, _STRAND_SD, size=(n_orgs, len(strands)))
    diff = np.array([difficulty.get(s, 0.0) for s in strands])
    latent = centres[stage] + org_effect[:, None] + specific - diff[None, :]

    columns: dict[str, object] = {framework.id_column: ids, framework.name_column: _names(demo.get("sector"), n_orgs, rng)}
    columns.update(demo)
    columns.update(_answers(latent, framework, rng, missing_rate))
    responses = pd.DataFrame(columns)
    truth = _truth(ids, stage, stage_names, latent, framework)
    return SyntheticBenchmark(responses, truth, framework, seed, stage_names, dict(difficulty))


def _answers(
    latent: np.ndarray, framework: Framework, rng: np.random.Generator, missing_rate: float
) -> dict[str, pd.Series | np.ndarray]:
    """Every answer column for organisations at ``latent`` (organisations x strands):
    strand items, outcome items (rising with maturity) and barriers (falling with it)."""
    columns: dict[str, pd.Series | np.ndarray] = {}
    for s_pos, strand in enumerate(framework.strands):
        for item in strand.items:
            columns[item.id] = _answer(latent[:, s_pos], item, framework, rng, missing_rate)
    for g_pos, group in enumerate(framework.outcomes):
        drive = _outcome_drive(latent, g_pos)
        for item in group.items:
            columns[item.id] = _answer(0.85 * drive + 0.35, item, framework, rng, missing_rate, noise=0.9)
    maturity_level = latent.mean(axis=1)
    n_bar = len(framework.barriers)
    for b_pos, barrier in enumerate(framework.barriers):
        base = 0.45 - 1.6 * b_pos / max(n_bar - 1, 1)  # first barriers are the most common
        p = 1.0 / (1.0 + np.exp(-(base - 0.8 * maturity_level)))
        columns[barrier.id] = (rng.random(len(latent)) < p).astype(int)
    return columns


def _truth(ids: Sequence[str], stage: np.ndarray, stage_names: Sequence[str], latent: np.ndarray,
           framework: Framework) -> pd.DataFrame:
    """The ground truth table: stage, stage name and latent level per strand."""
    truth = pd.DataFrame(
        {"stage": stage, "stage_name": np.asarray(stage_names, dtype=object)[stage]},
        index=pd.Index(list(ids), name=framework.id_column),
    )
    for s_pos, strand in enumerate(framework.strand_ids):
        truth[f"latent_{strand}"] = latent[:, s_pos]
    return truth


def _stage_centres(n_stages: int, n_strands: int) -> np.ndarray:
    """Latent centre of each stage on each strand (stages x strands).

    Stages step up evenly; the middle stages progress unevenly across strands (a peak
    that moves along the strand order from stage to stage), as organisations build some
    capabilities before others. That uneven profile is what makes stages distinct
    segments rather than cut points on one line.
    """
    levels = np.linspace(-_STAGE_SPREAD, _STAGE_SPREAD, n_stages) if n_stages > 1 else np.zeros(1)
    centres = np.repeat(levels[:, None], n_strands, axis=1) + _LEVEL_SHIFT
    positions = np.arange(n_strands)
    for k in range(1, n_stages - 1):
        peak = (n_strands - 1) * k / (n_stages - 1)
        centres[k] += _PROFILE_AMPLITUDE * np.cos(2 * np.pi * (positions - peak) / n_strands)
    return centres


def _draw_stages(n: int, shares: np.ndarray, size: Sequence[str] | None, rng: np.random.Generator) -> np.ndarray:
    if size is None or len(shares) < 2:
        return rng.choice(len(shares), size=n, p=shares)
    # Tilt the stage distribution a little by size band (bigger: more mature).
    bands = pd.Categorical(size)
    rank = bands.codes.astype(float)
    tilt = (rank - rank.mean()) / max(rank.max() - rank.min(), 1.0) * 0.5
    positions = np.arange(len(shares)) - (len(shares) - 1) / 2
    logits = np.log(shares)[None, :] + tilt[:, None] * positions[None, :]
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    u = rng.random(n)[:, None]
    return (u > probs.cumsum(axis=1)).sum(axis=1).clip(0, len(shares) - 1)


def _demographics(framework: Framework, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    known = {"sector": _SECTOR_WEIGHTS, "size": _SIZE_WEIGHTS, "region": _REGION_WEIGHTS}
    out = {}
    for demo in framework.demographics:
        values = list(demo.values)
        weights = np.array([known.get(demo.id, {}).get(v, 1.0) for v in values], dtype=float)
        out[demo.id] = rng.choice(np.asarray(values, dtype=object), size=n, p=weights / weights.sum())
    return out


def _names(sector: Sequence[str] | None, n: int, rng: np.random.Generator) -> list[str]:
    names: list[str] = []
    used: set[str] = set()
    for i in range(n):
        suffixes = _NAME_SUFFIX.get(sector[i], _GENERIC_SUFFIX) if sector is not None else _GENERIC_SUFFIX
        for attempt in range(50):
            first = _NAME_FIRST[rng.integers(len(_NAME_FIRST))]
            second = _NAME_SECOND[rng.integers(len(_NAME_SECOND))]
            suffix = suffixes[rng.integers(len(suffixes))]
            name = " ".join(p for p in (first, second, suffix) if p)
            if attempt >= 40:  # a crowded name space: number it, as real registries do
                name = f"{name} {rng.integers(2, 99)}"
            if name not in used:
                break
        used.add(name)
        names.append(name)
    return names


def _outcome_drive(latent: np.ndarray, group_pos: int) -> np.ndarray:
    """Mix of strand levels driving one outcome group: overall level plus two strands."""
    n_strands = latent.shape[1]
    weights = np.full(n_strands, 0.4 / n_strands)
    for offset in (0, n_strands // 2):
        weights[(group_pos + offset) % n_strands] += 0.3
    return latent @ (weights / weights.sum())


def _answer(
    level: np.ndarray,
    item: Item,
    framework: Framework,
    rng: np.random.Generator,
    missing_rate: float,
    noise: float = _ITEM_NOISE,
) -> pd.Series:
    """Ordinal answers on the item's printed scale for latent ``level``."""
    scale = framework.scales[item.scale]
    n = len(level)
    # Items differ a little in difficulty and discrimination.
    loading = rng.uniform(0.8, 1.2)
    shift = rng.normal(0.0, 0.2)
    z = loading * level + shift + rng.normal(0.0, noise, size=n)
    # Map the latent response onto the scale: the middle of the scale at z = 0.
    span = scale.max - scale.min
    x = scale.min + span * (1.0 / (1.0 + np.exp(-1.1 * z)))
    if scale.integer:
        x = np.clip(np.round(x), scale.min, scale.max)
    else:
        x = np.clip(np.round(x, 2), scale.min, scale.max)
    if item.reverse:
        x = scale.min + scale.max - x  # a mature organisation disagrees with a negative statement
    x[rng.random(n) < missing_rate] = np.nan
    dtype = "Int64" if scale.integer else "Float64"
    return pd.Series(x).astype(dtype)


def generate_wave(
    previous: SyntheticBenchmark,
    *,
    seed: int,
    retention: float = 0.8,
    new_orgs: int | None = None,
    improvement: float = 0.15,
    missing_rate: float = 0.03,
) -> SyntheticBenchmark:
    """Generate a later survey wave from an earlier one.

    A share ``retention`` of organisations answers again, with the same id, name and
    demographics and maturity grown by about ``improvement`` on the latent scale; new
    organisations join with fresh ids so the wave keeps about the same size.

    Returns
    -------
    SyntheticBenchmark
        The later wave. ``truth`` has the stage in this wave.
    """
    framework = previous.framework
    rng = np.random.default_rng(seed)
    prev = previous.responses.set_index(framework.id_column)
    n_prev = len(prev)
    keep = rng.random(n_prev) < retention
    kept_ids = prev.index[keep]
    if new_orgs is None:
        new_orgs = n_prev - int(keep.sum())
    next_number = max(int(str(i).rsplit("-", 1)[-1]) for i in prev.index if str(i).rsplit("-", 1)[-1].isdigit()) + 1
    prefix = str(prev.index[0]).rsplit("-", 1)[0]

    strands = framework.strand_ids
    latent_cols = [f"latent_{s}" for s in strands]
    latent = previous.truth.loc[kept_ids, latent_cols].to_numpy()
    latent = latent + improvement + rng.normal(0.0, 0.15, size=latent.shape)
    diff = np.array([previous.difficulty.get(s, 0.0) for s in strands])
    centres = _stage_centres(previous.n_stages, len(strands))
    # The stage an organisation has grown into: the nearest stage centre.
    distance = (((latent + diff)[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    kept_stage = distance.argmin(axis=1)

    columns: dict[str, object] = {framework.id_column: list(kept_ids)}
    columns[framework.name_column] = prev.loc[kept_ids, framework.name_column].to_numpy()
    for demo in framework.demographics:
        columns[demo.id] = prev.loc[kept_ids, demo.id].to_numpy()
    columns.update(_answers(latent, framework, rng, missing_rate))
    parts = [pd.DataFrame(columns)]
    truths = [_truth(kept_ids, kept_stage, previous.stage_names, latent, framework)]
    if new_orgs > 0:
        fresh = generate_benchmark(
            new_orgs, framework=framework, seed=seed + 7919, stage_names=previous.stage_names,
            missing_rate=missing_rate, difficulty=previous.difficulty, id_prefix=prefix, first_number=next_number,
        )
        parts.append(fresh.responses)
        truths.append(fresh.truth)
    responses = pd.concat(parts, ignore_index=True)
    return SyntheticBenchmark(responses, pd.concat(truths), framework, seed, previous.stage_names, previous.difficulty)
