"""Benchmarking one organisation against its peers.

A *peer group* is the organisations of a wave that match demographic filters (any of the
framework's demographics, e.g. ``{"sector": ["Finance"], "size": ["1000-4999"]}``), minus
the client itself: every peer figure describes *other* organisations, so a client can
never subtract its own answers from a figure to learn about a smaller group.

For the maturity index and each strand, :func:`peer_statistics` gives the client's score,
the peer n, mean, quartiles, the top-quartile and top-deck means, the client's percentile
rank with a bootstrap 95% interval and its gap to the comparison point, all under the
privacy rules of :mod:`maturity.benchmarking.privacy`.

Definitions
-----------
percentile rank
    Mid-rank: the percent of peers scoring below the client plus half the percent scoring
    the same, ``100 * (below + ties / 2) / n`` (``scipy.stats.percentileofscore`` with
    ``kind="mean"``). Ties are judged after rounding scores to 6 decimals, so that the same
    answers scored in a different order count as equal.
percentile interval
    Percentile bootstrap of the peer group (resampling peers with replacement, the client
    fixed). Resampling ``n`` peers only changes how many fall below, level with and above
    the client, which is a multinomial draw, so the bootstrap is drawn exactly that way
    (``n_boot`` draws, seeded) instead of materialising every resample.
top quartile, top deck
    The peers whose maturity index is at or above the peer group's 75th (top quartile)
    or 90th (top deck: the top 10%) percentile. Their strand means are the mean strand
    scores of those same organisations: "what the most mature peers score on this strand".
gap
    ``comparison point - client score``: points behind the comparison point (negative:
    ahead). The comparison point is the peer median, top-quartile mean or top-deck mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..config import DEFAULT_SEED, check_min_group_size
from ..errors import DataError, ParametersError
from ..framework import INDEX_COLUMN, Framework, normalise_label
from .privacy import DEFAULT_MIN_GROUP_SIZE, nested_group_reason, small_group_reason

__all__ = [
    "apply_comparison_point",
    "COMPARISON_COLUMNS",
    "COMPARISON_LABELS",
    "COMPARISON_POINTS",
    "DEFAULT_COMPARE_TO",
    "TOP_DECK_SHARE",
    "TOP_QUARTILE_SHARE",
    "PeerComparison",
    "check_peer_filters",
    "describe_peers",
    "organisation_trend",
    "peer_group",
    "peer_statistics",
    "percentile_interval",
    "percentile_rank",
    "top_group",
]

#: Share of a group, by maturity index, that forms its top deck.
TOP_DECK_SHARE = 0.10
#: Share of a group, by maturity index, that forms its top quartile.
TOP_QUARTILE_SHARE = 0.25
#: The comparison points a client can be compared with (``compare_to`` of a client parameters file), from
#: the largest group to the smallest, with their plain names.
COMPARISON_LABELS = {
    "median": "peer median",
    "top_quartile": "top-quartile mean",
    "top_deck": "top-deck mean",
}
COMPARISON_POINTS = tuple(COMPARISON_LABELS)
#: The comparison point used when none is asked for.
DEFAULT_COMPARE_TO = "top_quartile"
#: Statistic column holding each comparison point.
COMPARISON_COLUMNS = {"median": "median", "top_quartile": "top_quartile_mean", "top_deck": "top_deck_mean"}
#: When the requested comparison point is withheld, the next, larger group is used.
_FALLBACK = {"top_deck": "top_quartile", "top_quartile": "median", "median": None}
#: Decimals at which two scores count as tied.
_TIE_DECIMALS = 6
DEFAULT_N_BOOT = 2000


# --- peer groups ------------------------------------------------------------------------------


def check_peer_filters(filters: Mapping[str, Any] | None, framework: Framework) -> dict[str, tuple[str, ...]]:
    """Validate peer filters against the framework's demographics.

    Parameters
    ----------
    filters : mapping, optional
        Demographic id -> a value or a list of values (matched case-insensitively).
    framework : Framework

    Returns
    -------
    dict
        Demographic id -> tuple of values spelled as in the framework, in the order given.

    Raises
    ------
    ParametersError
        An unknown demographic or value; the message lists what is known.
    """
    if not filters:
        return {}
    if not isinstance(filters, Mapping):
        raise ParametersError("peers: expected a mapping of demographic to a list of values")
    demographics = {d.id: d for d in framework.demographics}
    out: dict[str, tuple[str, ...]] = {}
    for key, values in filters.items():
        if key not in demographics:
            known = ", ".join(demographics) if demographics else "none"
            raise ParametersError(
                f"peers: '{key}' is not a demographic of framework '{framework.id}' (known: {known})"
            )
        demo = demographics[key]
        if isinstance(values, (str, int)) and not isinstance(values, bool):
            values = [values]
        values = list(values or [])
        if not values:
            raise ParametersError(f"peers.{key}: give at least one value")
        lookup = {normalise_label(v): v for v in demo.values}
        canonical = []
        for value in values:
            match = lookup.get(normalise_label(value))
            if match is None:
                raise ParametersError(
                    f"peers.{key}: '{value}' is not a value of {demo.name} "
                    f"(values: {', '.join(demo.values)})"
                )
            if match not in canonical:
                canonical.append(match)
        out[key] = tuple(canonical)
    return out


def describe_peers(filters: Mapping[str, Sequence[str]] | None, framework: Framework) -> str:
    """Plain description of a peer group, e.g. ``"Sector: Finance; Region: UK & Ireland"``.

    An empty filter describes the whole wave: ``"all organisations in the wave"``.
    """
    if not filters:
        return "all organisations in the wave"
    names = {d.id: d.name for d in framework.demographics}
    return "; ".join(f"{names.get(k, k)}: {' or '.join(v)}" for k, v in filters.items())


def peer_group(
    responses: pd.DataFrame,
    framework: Framework,
    filters: Mapping[str, Any] | None = None,
    *,
    exclude: Sequence[str] | str | None = None,
) -> pd.Index:
    """Ids of the organisations matching ``filters`` (all of them when empty), minus ``exclude``.

    Parameters
    ----------
    responses : DataFrame
        The wave's responses, indexed by respondent id (or with the id column), holding the
        demographic columns named by the filters.
    framework : Framework
    filters : mapping, optional
        Validated with :func:`check_peer_filters`.
    exclude : str or sequence, optional
        Ids to leave out (the client itself).

    Returns
    -------
    pandas.Index
        Respondent ids in the order of ``responses``.
    """
    filters = check_peer_filters(filters, framework)
    frame = framework.by_id(responses)
    keep = np.ones(len(frame), dtype=bool)
    for key, values in filters.items():
        if key not in frame.columns:
            raise DataError(f"the wave's responses have no '{key}' column to filter peers on")
        wanted = {normalise_label(v) for v in values}
        column = frame[key].astype("string").str.strip().str.casefold().str.split().str.join(" ")
        keep &= column.isin(wanted).fillna(False).to_numpy(dtype=bool)
    ids = frame.index[keep]
    if exclude is not None:
        exclude = [exclude] if isinstance(exclude, str) else list(exclude)
        ids = ids[~ids.astype(str).isin([str(e) for e in exclude])]
    return ids


# --- percentiles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PercentileRank:
    """Where a value falls among peers: counts below and level with it, and the mid-rank."""

    n: int
    below: int
    ties: int

    @property
    def percentile(self) -> float:
        """Mid-rank percentile: percent below plus half the percent tied (NaN without peers)."""
        return 100.0 * (self.below + 0.5 * self.ties) / self.n if self.n else float("nan")

    @property
    def share_below(self) -> float:
        """Percent of peers strictly below."""
        return 100.0 * self.below / self.n if self.n else float("nan")

    @property
    def share_tied(self) -> float:
        """Percent of peers with the same score."""
        return 100.0 * self.ties / self.n if self.n else float("nan")


def _clean(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return np.round(arr[np.isfinite(arr)], _TIE_DECIMALS)


def percentile_rank(value: float, peers: Any) -> PercentileRank:
    """Percentile rank of ``value`` among ``peers`` (mid-rank, ties counted half).

    Parameters
    ----------
    value : float
    peers : array-like
        Peer scores; missing values are ignored.

    Returns
    -------
    PercentileRank
        ``.percentile`` equals ``scipy.stats.percentileofscore(peers, value, kind="mean")``.

    Examples
    --------
    >>> percentile_rank(50, [40, 50, 50, 60]).percentile
    50.0
    """
    arr = _clean(peers)
    v = round(float(value), _TIE_DECIMALS)
    return PercentileRank(n=int(arr.size), below=int((arr < v).sum()), ties=int((arr == v).sum()))


def percentile_interval(
    value: float,
    peers: Any,
    *,
    level: float = 0.95,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the percentile rank of ``value`` among ``peers``.

    Resampling the ``n`` peers with replacement changes only how many land below, level
    with and above ``value``: a multinomial draw with the observed shares. Drawing those
    counts directly is the same bootstrap distribution at a fraction of the cost.

    Returns
    -------
    (low, high)
        NaN when there are no peers.
    """
    rank = percentile_rank(value, peers)
    if not rank.n:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    p = np.array([rank.below, rank.ties, rank.n - rank.below - rank.ties], dtype=float) / rank.n
    counts = rng.multinomial(rank.n, p, size=n_boot)
    boot = 100.0 * (counts[:, 0] + 0.5 * counts[:, 1]) / rank.n
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(boot, [alpha, 1.0 - alpha])
    return float(low), float(high)


def top_group(index: pd.Series, share: float) -> pd.Series:
    """Mask of the organisations whose index is at or above the ``1 - share`` quantile.

    Organisations without an index are never in a top group.
    """
    values = index.astype(float)
    present = values.dropna()
    if present.empty:
        return pd.Series(False, index=index.index)
    cut = float(np.quantile(present.to_numpy(), 1.0 - share))
    # Compare at tie precision so that equal scores fall on the same side of the cut.
    return (values.round(_TIE_DECIMALS) >= round(cut, _TIE_DECIMALS)).fillna(False)


# --- peer statistics ------------------------------------------------------------------------------

_STAT_COLUMNS = [
    "client", "n", "mean", "q1", "median", "q3", "top_quartile_n", "top_quartile_mean",
    "top_deck_n", "top_deck_mean", "percentile", "below", "ties", "ci_low", "ci_high",
    "comparison", "gap",
]
#: Statistics of the whole peer group (withheld together when the group is too small).
_PEER_FIGURES = ["mean", "q1", "median", "q3", "percentile", "below", "ties", "ci_low", "ci_high"]


@dataclass
class PeerComparison:
    """A client's scores against its peer group.

    Attributes
    ----------
    stats : DataFrame
        One row per score (``index`` first, then strand ids); columns ``name``, ``client``,
        ``n``, ``mean``, ``q1``, ``median``, ``q3``, ``top_quartile_n``,
        ``top_quartile_mean``, ``top_deck_n``, ``top_deck_mean``, ``percentile`` (mid-rank),
        ``below`` and ``ties`` (percent of peers), ``ci_low``/``ci_high`` (95% bootstrap
        interval of the percentile), ``comparison`` (the comparison point used) and
        ``gap`` (comparison - client). Withheld figures are NaN.
    suppressed : dict
        Score id -> {statistic column: reason} for every withheld figure.
    n_peers : int
        Organisations in the peer group (other than the client).
    filters : dict
        The validated peer filters.
    description : str
        Plain description of the peer group.
    compare_to : str
        The comparison point asked for.
    comparison_used : str or None
        The comparison point used: the one asked for unless privacy withholds it for the
        maturity index, then the next larger group (top deck -> top quartile -> median);
        None when even the median is withheld.
    min_group_size : int
    """

    stats: pd.DataFrame
    suppressed: dict[str, dict[str, str]]
    n_peers: int
    filters: dict[str, tuple[str, ...]]
    description: str
    compare_to: str
    comparison_used: str | None
    min_group_size: int
    n_boot: int = DEFAULT_N_BOOT
    seed: int = DEFAULT_SEED
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The statistics with a ``withheld`` column naming the figures privacy withholds."""
        out = self.stats.copy()
        out["withheld"] = [", ".join(self.suppressed.get(r, {})) for r in out.index]
        return out


def peer_statistics(
    client: Mapping[str, float] | pd.Series,
    peer_scores: pd.DataFrame,
    framework: Framework,
    *,
    compare_to: str = DEFAULT_COMPARE_TO,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    filters: Mapping[str, Sequence[str]] | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    rank_exclude: str | None = None,
    withheld: Mapping[str, str] | None = None,
) -> PeerComparison:
    """Compare a client's index and strand scores with a peer group, privacy applied.

    Parameters
    ----------
    client : mapping or Series
        The client's scores: strand ids and ``index``.
    peer_scores : DataFrame
        Scores of the peers only (the client excluded), as from
        :func:`maturity.score_responses`.
    framework : Framework
    compare_to : {"median", "top_quartile", "top_deck"}
    min_group_size : int
        Privacy threshold (never below the floor).
    filters : mapping, optional
        The peer filters, for the description.
    n_boot, seed : int
        Bootstrap draws and seed of the percentile interval.
    rank_exclude : str, optional
        Id of the client when the peer scores include it (a released group it belongs
        to): its percentile is ranked among the others.
    withheld : mapping, optional
        Figures a release plan withholds for this group (``scores``, ``top_quartile``,
        ``top_deck`` -> reason). Given, it replaces the per-figure size rules: the plan has
        already judged every figure together with everything else released.

    Returns
    -------
    PeerComparison
    """
    if compare_to not in COMPARISON_COLUMNS:
        raise ParametersError(f"compare_to: {compare_to!r} is not one of {', '.join(COMPARISON_COLUMNS)}")
    min_group_size = check_min_group_size(min_group_size)
    client = pd.Series(client, dtype=float)
    rows = [INDEX_COLUMN, *framework.strand_ids]
    missing = [r for r in rows if r not in peer_scores.columns]
    if missing:
        raise DataError(f"the peer scores lack column(s) {', '.join(missing)}")
    names = {INDEX_COLUMN: "Maturity index", **framework.strand_names()}
    index = peer_scores[INDEX_COLUMN]
    in_top_quartile = top_group(index, TOP_QUARTILE_SHARE)
    in_top_deck = top_group(index, TOP_DECK_SHARE)

    records: dict[str, dict[str, float]] = {}
    suppressed: dict[str, dict[str, str]] = {}
    for r in rows:
        values = peer_scores[r].astype(float)
        present = values.dropna()
        tq, td = values[in_top_quartile].dropna(), values[in_top_deck].dropna()
        own = float(client.get(r, np.nan))
        row = {
            "client": own,
            "n": len(present),
            "mean": present.mean(),
            "q1": present.quantile(0.25),
            "median": present.median(),
            "q3": present.quantile(0.75),
            "top_quartile_n": len(tq),
            "top_quartile_mean": tq.mean(),
            "top_deck_n": len(td),
            "top_deck_mean": td.mean(),
        }
        others = present.drop(rank_exclude, errors="ignore") if rank_exclude is not None else present
        if np.isfinite(own) and len(others):
            rank = percentile_rank(own, others)
            row.update(percentile=rank.percentile, below=rank.share_below, ties=rank.share_tied)
            row["ci_low"], row["ci_high"] = percentile_interval(own, others, n_boot=n_boot, seed=seed)
        reasons = _privacy(row, min_group_size, names[r]) if withheld is None else _planned(withheld)
        row.update({col: np.nan for col in reasons})
        records[r] = row
        if reasons:
            suppressed[r] = reasons
    # One frame built from plain rows: setting cells one by one with .loc is slow.
    stats = pd.DataFrame.from_dict(records, orient="index").reindex(index=rows, columns=_STAT_COLUMNS).astype(float)
    stats.index.name = "score"

    used, notes = apply_comparison_point(stats, suppressed, compare_to)
    stats.insert(0, "name", pd.Series(names))
    return PeerComparison(
        stats=stats,
        suppressed=suppressed,
        n_peers=len(peer_scores),
        filters=dict(filters or {}),
        description=describe_peers(filters, framework),
        compare_to=compare_to,
        comparison_used=used,
        min_group_size=min_group_size,
        n_boot=n_boot,
        seed=seed,
        notes=notes,
    )


def apply_comparison_point(
    stats: pd.DataFrame, suppressed: Mapping[str, Mapping[str, str]], compare_to: str
) -> tuple[str | None, list[str]]:
    """Fill ``comparison`` and ``gap`` of ``stats`` from the comparison point asked for, or
    the next larger group when privacy withholds it for the index (top deck -> top quartile
    -> median). Returns the point used (None when even the median is withheld) and a note
    when it is not the one asked for."""
    used = compare_to
    while used is not None and not np.isfinite(stats.loc[INDEX_COLUMN, COMPARISON_COLUMNS[used]]):
        used = _FALLBACK[used]
    notes = []
    if used != compare_to:
        why = suppressed.get(INDEX_COLUMN, {}).get(COMPARISON_COLUMNS[compare_to], "it is not available")
        instead = f"the {COMPARISON_LABELS[used]} is used instead" if used else "no comparison point can be shown"
        notes.append(f"The {COMPARISON_LABELS[compare_to]} is withheld ({why}); {instead}.")
    if used is not None:
        stats["comparison"] = stats[COMPARISON_COLUMNS[used]]
        stats["gap"] = stats["comparison"] - stats["client"]
    return used, notes


def _planned(withheld: Mapping[str, str]) -> dict[str, str]:
    """Statistic columns to withhold for the figures a release plan withholds."""
    reasons: dict[str, str] = {}
    if "scores" in withheld:
        for col in (*_PEER_FIGURES, "top_quartile_mean", "top_deck_mean"):
            reasons[col] = withheld["scores"]
        return reasons
    for figure, col in (("top_quartile", "top_quartile_mean"), ("top_deck", "top_deck_mean")):
        if figure in withheld:
            reasons[col] = withheld[figure]
    return reasons


def _privacy(row: Mapping[str, float], min_size: int, label: str) -> dict[str, str]:
    """Figures of one score row to withhold, with the reason for each."""
    reasons: dict[str, str] = {}
    n, n_tq, n_td = int(row["n"]), int(row["top_quartile_n"]), int(row["top_deck_n"])
    peers = small_group_reason(n, min_size, group="the peer group")
    if peers:
        for col in (*_PEER_FIGURES, "top_quartile_mean", "top_deck_mean"):
            reasons[col] = peers
        return reasons
    tq = small_group_reason(n_tq, min_size, group="the top quartile") or nested_group_reason(
        n, n_tq, min_size, outer="the peer group"
    )
    if tq:
        reasons["top_quartile_mean"] = tq
    td = small_group_reason(n_td, min_size, group="the top deck")
    if td is None:
        # The top deck sits inside the top quartile and inside the peer group: whichever
        # larger group is shown beside it, the difference must be safe too.
        outer_n, outer = (n_tq, "the top quartile") if not tq else (n, "the peer group")
        td = nested_group_reason(outer_n, n_td, min_size, outer=outer)
    if td:
        reasons["top_deck_mean"] = td
    return reasons


# --- trend --------------------------------------------------------------------------------------


def organisation_trend(
    history: pd.DataFrame | None, framework: Framework, *, wave: str | None = None
) -> pd.DataFrame:
    """An organisation's own scores across the waves it took part in, up to ``wave``.

    Parameters
    ----------
    history : DataFrame or None
        One row per wave, oldest first: ``wave`` and score columns (as from
        ``BenchmarkStore.history``).
    framework : Framework
    wave : str, optional
        The wave reported on; later waves are dropped.

    Returns
    -------
    DataFrame
        Indexed by wave (text), columns ``index`` and the strand ids present, with
        ``index_change``: the change of the index since the previous wave. Empty when
        there is no history.
    """
    cols = [c for c in [INDEX_COLUMN, *framework.strand_ids]]
    if history is None or len(history) == 0:
        return pd.DataFrame(columns=[*cols, "index_change"], index=pd.Index([], name="wave", dtype=object))
    frame = history.copy()
    if "wave" in frame.columns:
        frame = frame.set_index("wave")
    frame.index = frame.index.astype(str)
    frame.index.name = "wave"
    if wave is not None and str(wave) in frame.index:
        frame = frame.iloc[: frame.index.get_loc(str(wave)) + 1]
    keep = [c for c in cols if c in frame.columns]
    out = frame[keep].astype(float)
    out["index_change"] = out[INDEX_COLUMN].diff() if INDEX_COLUMN in out.columns else np.nan
    return out
