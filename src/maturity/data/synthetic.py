"""Seeded synthetic benchmark populations, realistic by default or with planted structure.

Two structures share the same instrument-driven machinery (everything is read from the
framework, so any instrument works):

``"realistic"`` (the default, used by ``maturity demo``)
    Behaves like a real benchmark wave. Each organisation has a continuous general maturity
    drawn from a mixture of overlapping groups (so segments exist but blur into each other),
    shifted a little by sector and size; its strand levels scatter around that maturity,
    minus each strand's difficulty (engagement, business need and demonstrating value are
    hardest, as benchmark research keeps finding). Questions differ in how well they measure
    (a property of the question, the same in every wave), respondents in acquiescence, and
    a few answer a whole strand in one column. Outcome improvements rise smoothly with
    maturity but depend as much on the organisation's business context, so the most mature
    tenth is roughly twice as likely to report a benefit as the rest, never certain to.
    Answers are skipped unevenly: some items and some respondents far more than others, and
    a few organisations leave whole sections blank (most often the outcomes, which many do
    not track). Demographic groups are uneven, with a few very small cells. A later wave
    (:func:`generate_wave`) keeps most organisations, most of which move a little, some
    improving markedly and some falling back; some leave and new ones join.

``"planted"``
    Four cleanly separated latent stages with distinct strand profiles, a uniform 3% of
    blank answers, broad demographic groups and uniform growth between waves: the known
    answers that tests of segment recovery and the like need.

The truth table keeps the latent stage (the mixture group for ``"realistic"``) and the
latent level of every strand.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from ..config import DEFAULT_SEED
from ..errors import ParametersError
from ..files import write_csv
from ..framework import Framework, Item, load_framework

Structure = Literal["realistic", "planted"]
STRUCTURES: tuple[str, ...] = ("realistic", "planted")

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
_LEVEL_SHIFT = 0.2        # moves the population mean a little above the scale midpoint
_ITEM_NOISE = 0.65        # response noise per item

# Planted structure (tuned so that the stages are recoverable segments: tests/test_synth.py).
_STAGE_SPREAD = 1.7       # first and last stage centres at -/+ this
_PROFILE_AMPLITUDE = 1.0  # unevenness of the middle stages across strands
_ORG_SD = 0.18            # organisation effect shared by its strands
_STRAND_SD = 0.18         # organisation-by-strand deviation
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

# Realistic structure. Mixture groups are spread over this range of general maturity, each
# with a spread wide enough that neighbours overlap heavily (a continuum with bumps).
_MIXTURE_RANGE = (-1.05, 1.15)
_MIXTURE_SD_PER_GAP = 0.4     # within-group sd as a share of the gap between group centres
_REAL_PROFILE_AMPLITUDE = 1.3  # middle groups build some strands before others
_REAL_STRAND_SD = 0.38        # organisation-by-strand deviation: strands far from lockstep
# Answers: items differ more in how well they measure their strand than in the planted data,
# respondents differ in acquiescence, and a few answer a whole strand in one column.
_REAL_ITEM_NOISE = 0.9
_REAL_ITEM_NOISE_SPREAD = (0.75, 1.3)
_REAL_LOADINGS = (0.6, 1.25)
_REAL_SHIFT_SD = 0.3
_ACQUIESCENCE_SD = 0.3
_STRAIGHT_LINERS = 0.02
# A benchmark's panel is far from evenly spread: a few sectors and regions are barely
# represented, which is where privacy rules start withholding figures.
_REAL_SECTOR_WEIGHTS = {
    "Finance": 0.15, "Public sector": 0.22, "Health": 0.13, "Manufacturing": 0.10, "Retail": 0.07,
    "Technology": 0.12, "Professional services": 0.11, "Education": 0.065, "Energy": 0.007,
    "Not for profit": 0.018,
}
_REAL_SIZE_WEIGHTS = {"1-249": 0.16, "250-999": 0.27, "1000-4999": 0.33, "5000+": 0.24}
_REAL_REGION_WEIGHTS = {
    "UK & Ireland": 0.52, "Continental Europe": 0.19, "North America": 0.14, "Asia Pacific": 0.11,
    "Middle East & Africa": 0.036, "Latin America": 0.004,
}
#: Shift of general maturity by sector and size band (latent units; bigger and more
#: digital organisations tend to be further along, the public and voluntary sectors less).
_SECTOR_SHIFT = {
    "Technology": 0.25, "Finance": 0.15, "Professional services": 0.10, "Energy": 0.05, "Health": -0.05,
    "Manufacturing": -0.05, "Education": -0.10, "Retail": -0.10, "Public sector": -0.15, "Not for profit": -0.20,
}
_SIZE_SHIFT = {"1-249": -0.20, "250-999": -0.05, "1000-4999": 0.05, "5000+": 0.20}
# Outcomes: improvement answers depend on maturity and, as much, on the organisation's
# business context (shared by its outcome groups) and on chance per group and item.
_OUTCOME_SLOPE = 0.6
_OUTCOME_INTERCEPT = -0.9
_OUTCOME_CONTEXT_SD = 0.75
_OUTCOME_GROUP_SD = 0.35
_OUTCOME_NOISE = 0.9
# Barriers: fewer for the mature, but respondents differ in how many they tick.
_BARRIER_SLOPE = 0.5
_BARRIER_RESPONDENT_SD = 0.6
# Blank answers.
_ITEM_SKIP_SPREAD = 0.6       # lognormal sd of the items' skip propensities
_RESPONDENT_SKIP_SPREAD = 0.9  # lognormal sd of the respondents' skip propensities
_OUTCOME_SKIP_FACTOR = 2.5    # outcome items are skipped more often ("don't know")
_SKIP_STRAND_SECTION = 0.01   # organisations leaving one whole strand blank
_SKIP_OUTCOME_SECTION = 0.07  # ... all the outcome questions (they do not track outcomes)
_SKIP_BARRIER_SECTION = 0.03  # ... the barrier question
# Change between waves (latent units of general maturity).
_CHANGE_SD = 0.08             # everybody moves a little
_REAL_IMPROVEMENT = 0.12      # average growth of a returning organisation
_IMPROVER_SHARE, _IMPROVER_GAIN = 0.15, 0.45
_DECLINER_SHARE, _DECLINER_LOSS = 0.08, 0.40
_STRAND_CHANGE_SD = 0.12
_SIZE_BAND_CHANGE = 0.03      # returning organisations that moved to a neighbouring size band

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
        The survey table: id, name, demographics, items, outcomes, barriers.
    truth : DataFrame
        Indexed by respondent id: ``stage`` (0 = least mature; the mixture group for the
        realistic structure), ``stage_name``, the latent level per strand
        (``latent_<strand>``) and, for the realistic structure, the general maturity
        ``maturity`` and the respondent's ``acquiescence``.
    framework : Framework
    seed : int
    structure : {"realistic", "planted"}
    """

    responses: pd.DataFrame
    truth: pd.DataFrame
    framework: Framework
    seed: int
    stage_names: tuple[str, ...] = field(default=DEFAULT_STAGE_NAMES)
    difficulty: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DIFFICULTY))
    structure: str = "realistic"

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
    structure: Structure = "realistic",
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
    structure : {"realistic", "planted"}
        ``"realistic"`` (default): overlapping segments, outcomes that rise smoothly with
        maturity, uneven skipping and group sizes, as in a real benchmark. ``"planted"``:
        cleanly separated stages and uniform blanks, for tests that need known answers.
    stage_names : sequence of str
        Names of the latent maturity stages (mixture groups), least mature first.
    stage_shares : sequence of float, optional
        Population share of each stage; default a realistic pyramid for four stages,
        equal shares otherwise.
    missing_rate : float
        Average probability that a single strand answer is blank (realistic: unevenly
        spread over items and respondents, outcome items skipped more often; planted: the
        same for every answer).
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
    if structure not in STRUCTURES:
        raise ParametersError(f"structure must be one of {', '.join(STRUCTURES)}, got {structure!r}")
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
    make = _realistic_population if structure == "realistic" else _planted_population
    demo, stage, latent, general = make(framework, n_orgs, shares, difficulty, rng)

    columns: dict[str, object] = {framework.id_column: ids, framework.name_column: _names(demo.get("sector"), n_orgs, rng)}
    columns.update(demo)
    extra = {}
    if structure == "realistic":
        extra["acquiescence"] = rng.normal(0.0, _ACQUIESCENCE_SD, size=n_orgs)
        columns.update(_realistic_answers(latent, framework, rng, missing_rate, extra["acquiescence"]))
    else:
        columns.update(_planted_answers(latent, framework, rng, missing_rate))
    responses = pd.DataFrame(columns)
    truth = _truth(ids, stage, stage_names, latent, framework, general, extra)
    return SyntheticBenchmark(responses, truth, framework, seed, stage_names, dict(difficulty), structure)


def demo_waves(
    n_orgs: int = 600, *, seed: int = DEFAULT_SEED, framework: Framework | None = None
) -> tuple[SyntheticBenchmark, SyntheticBenchmark]:
    """The two waves ``maturity demo`` imports: a realistic population from ``seed`` and its
    next wave (:func:`generate_wave`) from ``seed + 1``.

    Returns
    -------
    (SyntheticBenchmark, SyntheticBenchmark)
        The earlier and the later wave.
    """
    earlier = generate_benchmark(n_orgs, framework=framework, seed=seed)
    return earlier, generate_wave(earlier, seed=seed + 1)


# --- planted structure -------------------------------------------------------------------

_Population = tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, "np.ndarray | None"]


def _planted_population(framework: Framework, n_orgs: int, shares: np.ndarray, difficulty: Mapping[str, float],
                        rng: np.random.Generator) -> _Population:
    """Demographics, stage and strand levels (and no general maturity) of cleanly separated stages."""
    demo = _demographics(framework, n_orgs, rng)
    # Larger organisations are somewhat more likely to be further along.
    stage = _draw_stages(n_orgs, shares, demo.get("size"), rng)
    strands = framework.strand_ids
    centres = _stage_centres(len(shares), len(strands))
    org_effect = rng.normal(0.0, _ORG_SD, size=n_orgs)
    specific = rng.normal(0.0, _STRAND_SD, size=(n_orgs, len(strands)))
    diff = np.array([difficulty.get(s, 0.0) for s in strands])
    latent = centres[stage] + org_effect[:, None] + specific - diff[None, :]
    return demo, stage, latent, None


def _planted_answers(
    latent: np.ndarray, framework: Framework, rng: np.random.Generator, missing_rate: float
) -> dict[str, pd.Series | np.ndarray]:
    """Planted structure: every answer column for organisations at ``latent`` (organisations
    x strands): strand items, outcome items (rising with maturity) and barriers (falling
    with it), each answer blank with probability ``missing_rate``."""
    columns: dict[str, pd.Series | np.ndarray] = {}
    for s_pos, strand in enumerate(framework.strands):
        for item in strand.items:
            columns[item.id] = _answer(latent[:, s_pos], item, framework, rng, missing_rate)
    for g_pos, group in enumerate(framework.outcomes):
        drive = _outcome_drive(latent, g_pos)
        for item in group.items:
            columns[item.id] = _answer(0.85 * drive + 0.35, item, framework, rng, missing_rate, noise=0.9)
    columns.update(_planted_barriers(latent, framework, rng))
    return columns


def _planted_barriers(latent: np.ndarray, framework: Framework, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Barrier flags (0/1): the first barriers are the most common, mature organisations
    report fewer."""
    maturity_level = latent.mean(axis=1)
    n_bar = len(framework.barriers)
    columns = {}
    for b_pos, barrier in enumerate(framework.barriers):
        base = 0.45 - 1.6 * b_pos / max(n_bar - 1, 1)
        p = 1.0 / (1.0 + np.exp(-(base - 0.8 * maturity_level)))
        columns[barrier.id] = (rng.random(len(latent)) < p).astype(int)
    return columns


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


# --- realistic structure -----------------------------------------------------------------

def _mixture_centres(n_groups: int) -> np.ndarray:
    """General-maturity centre of each mixture group, least mature first."""
    if n_groups == 1:
        return np.zeros(1)
    return np.linspace(*_MIXTURE_RANGE, n_groups)


def _realistic_population(framework: Framework, n_orgs: int, shares: np.ndarray, difficulty: Mapping[str, float],
                          rng: np.random.Generator) -> _Population:
    """Demographics, mixture group, strand levels and general maturity of a realistic panel."""
    demo = _allocated_demographics(framework, n_orgs, rng)
    n_groups = len(shares)
    centres = _mixture_centres(n_groups)
    gap = (centres[-1] - centres[0]) / (n_groups - 1) if n_groups > 1 else 1.0
    group = rng.choice(n_groups, size=n_orgs, p=shares)
    shift = np.zeros(n_orgs)
    for demo_id, shifts in (("sector", _SECTOR_SHIFT), ("size", _SIZE_SHIFT)):
        if demo_id in demo:
            shift += np.array([shifts.get(v, 0.0) for v in demo[demo_id]])
    general = centres[group] + shift + rng.normal(0.0, _MIXTURE_SD_PER_GAP * gap, size=n_orgs)
    strands = framework.strand_ids
    profile = _stage_centres(n_groups, len(strands)) - _stage_centres(n_groups, len(strands)).mean(axis=1, keepdims=True)
    profile *= _REAL_PROFILE_AMPLITUDE / _PROFILE_AMPLITUDE
    diff = np.array([difficulty.get(s, 0.0) for s in strands])
    deviation = rng.normal(0.0, _REAL_STRAND_SD, size=(n_orgs, len(strands)))
    latent = general[:, None] + _LEVEL_SHIFT + profile[group] + deviation - diff[None, :]
    return demo, group, latent, general


def _instrument_rng(item_id: str, aspect: str) -> np.random.Generator:
    """A generator for one aspect of one question (how well it measures, how often it is
    skipped): the instrument's property, the same in every wave and population."""
    return np.random.default_rng(zlib.crc32(f"{item_id}|{aspect}".encode("utf-8")))


def _realistic_answers(
    latent: np.ndarray, framework: Framework, rng: np.random.Generator, missing_rate: float, style: np.ndarray
) -> dict[str, pd.Series]:
    """Realistic structure: every answer column, then blanks spread unevenly. ``style``:
    each respondent's acquiescence (readiness to agree with any statement), which makes the
    reverse-worded items disagree a little with the rest, as in real surveys."""
    n = len(latent)
    columns: dict[str, pd.Series] = {}
    for s_pos, strand in enumerate(framework.strands):
        for item in strand.items:
            item_rng = _instrument_rng(item.id, "answer")
            noise = _REAL_ITEM_NOISE * item_rng.uniform(*_REAL_ITEM_NOISE_SPREAD)
            columns[item.id] = _answer(latent[:, s_pos], item, framework, rng, 0.0, noise, loadings=_REAL_LOADINGS,
                                       shift_sd=_REAL_SHIFT_SD, style=style, item_rng=item_rng)
    _straight_line(columns, framework, rng)
    # The business context (market, change programmes) moves every outcome of an
    # organisation, whatever its L&D maturity.
    context = rng.normal(0.0, _OUTCOME_CONTEXT_SD, size=n)
    for g_pos, group in enumerate(framework.outcomes):
        level = (_OUTCOME_SLOPE * _outcome_drive(latent, g_pos) + _OUTCOME_INTERCEPT + context
                 + rng.normal(0.0, _OUTCOME_GROUP_SD, size=n))
        for item in group.items:
            columns[item.id] = _answer(level, item, framework, rng, 0.0, noise=_OUTCOME_NOISE,
                                       item_rng=_instrument_rng(item.id, "answer"))
    columns.update(_realistic_barriers(latent, framework, rng))
    _skip(columns, framework, rng, missing_rate)
    return columns


def _straight_line(columns: dict[str, pd.Series], framework: Framework, rng: np.random.Generator) -> None:
    """A few careless respondents give one answer to every item of a strand, in place."""
    n = len(next(iter(columns.values()))) if columns else 0
    careless = np.flatnonzero(rng.random(n) < _STRAIGHT_LINERS)
    for row in careless:
        strand = framework.strands[int(rng.integers(len(framework.strands)))]
        items = [item.id for item in strand.items]
        answers = [columns[i].iloc[row] for i in items]
        # the answer they would give most often anyway (the rounded median of the printed answers)
        value = float(np.round(np.nanmedian(np.asarray(answers, dtype=float))))
        for item_id in items:
            columns[item_id].iloc[row] = value


def _skip(columns: dict[str, pd.Series], framework: Framework, rng: np.random.Generator, missing_rate: float) -> None:
    """Blank answers in place: item and respondent propensities multiply (some questions
    and some respondents skip far more than others), outcome items are skipped more often,
    and a few organisations leave a whole section blank."""
    if not columns:
        return
    n = len(next(iter(columns.values())))
    respondent = rng.lognormal(-_RESPONDENT_SKIP_SPREAD ** 2 / 2, _RESPONDENT_SKIP_SPREAD, size=n)
    answer_items = [(item.id, 1.0) for item in framework.items]
    answer_items += [(item.id, _OUTCOME_SKIP_FACTOR) for item in framework.outcome_items]
    propensity = [_instrument_rng(item_id, "skip").lognormal(-_ITEM_SKIP_SPREAD ** 2 / 2, _ITEM_SKIP_SPREAD)
                  for item_id, _ in answer_items]
    for (item_id, factor), item_rate in zip(answer_items, propensity):
        p = np.minimum(missing_rate * factor * item_rate * respondent, 0.9)
        columns[item_id] = columns[item_id].mask(rng.random(n) < p)
    sections = [[item.id for item in strand.items] for strand in framework.strands]
    strand_skip = rng.random(n) < _SKIP_STRAND_SECTION * (missing_rate > 0)
    which = rng.integers(len(sections), size=n) if sections else np.zeros(n, dtype=int)
    for pos, section in enumerate(sections):
        rows = strand_skip & (which == pos)
        for item_id in section:
            columns[item_id] = columns[item_id].mask(rows)
    for section, share in (([i.id for i in framework.outcome_items], _SKIP_OUTCOME_SECTION),
                           (framework.barrier_ids, _SKIP_BARRIER_SECTION)):
        rows = rng.random(n) < share * (missing_rate > 0)
        for column in section:
            columns[column] = columns[column].mask(rows)


def _realistic_barriers(latent: np.ndarray, framework: Framework, rng: np.random.Generator) -> dict[str, pd.Series]:
    """Barrier flags: the first barriers are the most common; mature organisations report
    fewer, but how many an organisation ticks also depends on how critical its respondent is."""
    maturity_level = latent.mean(axis=1)
    critical = rng.normal(0.0, _BARRIER_RESPONDENT_SD, size=len(latent))
    n_bar = len(framework.barriers)
    columns = {}
    for b_pos, barrier in enumerate(framework.barriers):
        base = 0.6 - 1.8 * b_pos / max(n_bar - 1, 1)
        p = 1.0 / (1.0 + np.exp(-(base - _BARRIER_SLOPE * maturity_level + critical)))
        columns[barrier.id] = pd.Series((rng.random(len(latent)) < p).astype(int)).astype("Int64")
    return columns


def _allocated_demographics(framework: Framework, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each demographic's values in proportion to the realistic weights (exact counts by
    largest remainder, so small cells are as small as their weight says), shuffled."""
    known = {"sector": _REAL_SECTOR_WEIGHTS, "size": _REAL_SIZE_WEIGHTS, "region": _REAL_REGION_WEIGHTS}
    out = {}
    for demo in framework.demographics:
        values = list(demo.values)
        weights = np.array([known.get(demo.id, {}).get(v, 1.0) for v in values], dtype=float)
        quota = n * weights / weights.sum()
        counts = np.floor(quota).astype(int)
        remainder_order = np.argsort(-(quota - counts), kind="stable")
        counts[remainder_order[: n - counts.sum()]] += 1
        out[demo.id] = rng.permutation(np.repeat(np.asarray(values, dtype=object), counts))
    return out


# --- shared ------------------------------------------------------------------------------

def _truth(ids: Sequence[str], stage: np.ndarray, stage_names: Sequence[str], latent: np.ndarray,
           framework: Framework, general: np.ndarray | None = None,
           extra: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The ground truth table: stage, stage name, latent level per strand (and general
    maturity and other respondent traits when there are some)."""
    truth = pd.DataFrame(
        {"stage": stage, "stage_name": np.asarray(stage_names, dtype=object)[stage]},
        index=pd.Index(list(ids), name=framework.id_column),
    )
    for s_pos, strand in enumerate(framework.strand_ids):
        truth[f"latent_{strand}"] = latent[:, s_pos]
    if general is not None:
        truth["maturity"] = general
    for name, values in (extra or {}).items():
        truth[name] = values
    return truth


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
    *,
    loadings: tuple[float, float] = (0.8, 1.2),
    shift_sd: float = 0.2,
    style: np.ndarray | None = None,
    item_rng: np.random.Generator | None = None,
) -> pd.Series:
    """Ordinal answers on the item's printed scale for latent ``level``.

    Items differ in discrimination (a loading drawn from ``loadings``) and difficulty (a
    shift with sd ``shift_sd``), drawn from ``item_rng`` when given (an item's own
    generator: the same item behaves the same in every wave) else from ``rng``. ``style``:
    each respondent's tendency to agree whatever the statement (acquiescence), which pushes
    reverse-worded items the other way.
    """
    scale = framework.scales[item.scale]
    n = len(level)
    params = rng if item_rng is None else item_rng
    loading = params.uniform(*loadings)
    shift = params.normal(0.0, shift_sd)
    z = loading * level + shift + rng.normal(0.0, noise, size=n)
    if style is not None:
        z = z - style if item.reverse else z + style
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
    improvement: float | None = None,
    missing_rate: float = 0.03,
) -> SyntheticBenchmark:
    """Generate a later survey wave from an earlier one, with the earlier wave's structure.

    About a share ``retention`` of organisations answers again, with the same id, name and
    demographics; new organisations join with fresh ids so the wave keeps about the same
    size. Planted structure: every returning organisation grows by ``improvement`` on the
    latent scale (plus a little noise; default 0.15) and its stage is the nearest stage
    centre. Realistic structure: the less mature are somewhat more likely to leave;
    returning organisations move a little around an average growth of ``improvement``
    (default 0.1, about 2 index points), some improve markedly, some fall back (a lost
    L&D lead, a restructuring), a few move to a neighbouring size band, and each keeps its
    mixture group (its strand profile).

    Parameters
    ----------
    previous : SyntheticBenchmark
        The earlier wave.
    seed : int
        Seed of this wave's random generator.
    retention : float
        Expected share of organisations answering again.
    new_orgs : int, optional
        Organisations joining; default as many as left.
    improvement : float, optional
        Average growth of returning organisations on the latent scale.
    missing_rate : float
        As for :func:`generate_benchmark`.

    Returns
    -------
    SyntheticBenchmark
        The later wave, with the earlier wave's structure.
    """
    framework = previous.framework
    rng = np.random.default_rng(seed)
    prev = previous.responses.set_index(framework.id_column)
    n_prev = len(prev)
    realistic = previous.structure == "realistic"
    if realistic:
        general = previous.truth["maturity"].reindex(prev.index).to_numpy()
        spread = general.std() if n_prev > 1 and general.std() > 0 else 1.0
        logit = np.log(retention / (1 - retention)) if 0 < retention < 1 else (np.inf if retention >= 1 else -np.inf)
        stay = 1.0 / (1.0 + np.exp(-(logit + 0.35 * (general - general.mean()) / spread)))
        keep = rng.random(n_prev) < stay
    else:
        keep = rng.random(n_prev) < retention
    kept_ids = prev.index[keep]
    if new_orgs is None:
        new_orgs = n_prev - int(keep.sum())
    next_number = max(int(str(i).rsplit("-", 1)[-1]) for i in prev.index if str(i).rsplit("-", 1)[-1].isdigit()) + 1
    prefix = str(prev.index[0]).rsplit("-", 1)[0]

    strands = framework.strand_ids
    latent_cols = [f"latent_{s}" for s in strands]
    latent = previous.truth.loc[kept_ids, latent_cols].to_numpy()
    columns: dict[str, object] = {framework.id_column: list(kept_ids)}
    columns[framework.name_column] = prev.loc[kept_ids, framework.name_column].to_numpy()
    for demo in framework.demographics:
        columns[demo.id] = prev.loc[kept_ids, demo.id].to_numpy()
    if realistic:
        change = _realistic_change(len(kept_ids), _REAL_IMPROVEMENT if improvement is None else improvement, rng)
        kept_general = previous.truth.loc[kept_ids, "maturity"].to_numpy() + change
        latent = latent + change[:, None] + rng.normal(0.0, _STRAND_CHANGE_SD, size=latent.shape)
        kept_stage = previous.truth.loc[kept_ids, "stage"].to_numpy()
        if "size" in columns:
            columns["size"] = _move_size_bands(columns["size"], framework, rng)
        # The same respondent usually answers again, with the same habits.
        kept_extra = {"acquiescence": previous.truth.loc[kept_ids, "acquiescence"].to_numpy()}
        columns.update(_realistic_answers(latent, framework, rng, missing_rate, kept_extra["acquiescence"]))
    else:
        kept_general, kept_extra = None, None
        latent = latent + (0.15 if improvement is None else improvement) + rng.normal(0.0, 0.15, size=latent.shape)
        diff = np.array([previous.difficulty.get(s, 0.0) for s in strands])
        centres = _stage_centres(previous.n_stages, len(strands))
        # The stage an organisation has grown into: the nearest stage centre.
        distance = (((latent + diff)[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        kept_stage = distance.argmin(axis=1)
        columns.update(_planted_answers(latent, framework, rng, missing_rate))
    parts = [pd.DataFrame(columns)]
    truths = [_truth(kept_ids, kept_stage, previous.stage_names, latent, framework, kept_general,
                     kept_extra if realistic else None)]
    if new_orgs > 0:
        fresh = generate_benchmark(
            new_orgs, framework=framework, seed=seed + 7919, structure=previous.structure,
            stage_names=previous.stage_names, missing_rate=missing_rate, difficulty=previous.difficulty,
            id_prefix=prefix, first_number=next_number,
        )
        parts.append(fresh.responses)
        truths.append(fresh.truth)
    responses = pd.concat(parts, ignore_index=True)
    return SyntheticBenchmark(responses, pd.concat(truths), framework, seed, previous.stage_names,
                              previous.difficulty, previous.structure)


def _realistic_change(n: int, improvement: float, rng: np.random.Generator) -> np.ndarray:
    """Change in general maturity between waves: a small drift for everybody, a marked
    gain for some and a setback for others, averaging about ``improvement``."""
    kind = rng.random(n)
    improver = kind < _IMPROVER_SHARE
    decliner = (kind >= _IMPROVER_SHARE) & (kind < _IMPROVER_SHARE + _DECLINER_SHARE)
    expected_jumps = _IMPROVER_SHARE * _IMPROVER_GAIN - _DECLINER_SHARE * _DECLINER_LOSS
    change = rng.normal(improvement - expected_jumps, _CHANGE_SD, size=n)
    change[improver] += rng.normal(_IMPROVER_GAIN, 0.15, size=int(improver.sum()))
    change[decliner] -= rng.normal(_DECLINER_LOSS, 0.15, size=int(decliner.sum()))
    return change


def _move_size_bands(size: np.ndarray, framework: Framework, rng: np.random.Generator) -> np.ndarray:
    """A few organisations grow or shrink into a neighbouring size band."""
    bands = list(next(d for d in framework.demographics if d.id == "size").values)
    out = np.asarray(size, dtype=object).copy()
    for pos in np.flatnonzero(rng.random(len(out)) < _SIZE_BAND_CHANGE):
        if out[pos] in bands:
            here = bands.index(out[pos])
            step = 1 if here == 0 else -1 if here == len(bands) - 1 else int(rng.choice([-1, 1]))
            out[pos] = bands[here + step]
    return out
