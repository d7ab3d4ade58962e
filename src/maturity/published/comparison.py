"""A client's scores against a published peer group (:class:`~maturity.benchmarking.peers.PeerComparison`).

Every figure comes from the group's published entry: n, mean, top-quartile and top-deck
means as published; quartiles, the median and the client's percentile read from the
group's coarsened distribution (:mod:`maturity.published.placement`). The percentile's
``ci_low``/``ci_high`` are the band the publication vouches for (the client's bin), not a
bootstrap: no figure is computed from members' values.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..benchmarking.peers import COMPARISON_COLUMNS, PeerComparison, apply_comparison_point, describe_peers
from ..errors import ParametersError
from ..framework import INDEX_COLUMN, Framework
from .placement import place, quantile

__all__ = ["published_comparison"]

_COLUMNS = [
    "client", "n", "mean", "q1", "median", "q3", "top_quartile_n", "top_quartile_mean",
    "top_deck_n", "top_deck_mean", "percentile", "below", "ties", "ci_low", "ci_high",
    "comparison", "gap",
]
_GROUP_FIGURES = ["mean", "q1", "median", "q3", "percentile", "below", "ties", "ci_low", "ci_high",
                  "top_quartile_mean", "top_deck_mean"]


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def published_comparison(
    client: Mapping[str, float] | pd.Series,
    group: Mapping[str, Any],
    framework: Framework,
    *,
    compare_to: str,
    min_group_size: int,
) -> PeerComparison:
    """Compare a client with a published group.

    Parameters
    ----------
    client : mapping or Series
        The client's scores (strand ids and ``index``).
    group : mapping
        A group entry of the published table.
    framework : Framework
    compare_to : {"median", "top_quartile", "top_deck"}
    min_group_size : int

    Returns
    -------
    PeerComparison
        ``below`` is the share of the group in bins wholly below the client, ``ties`` the
        share in the client's own bin, ``ci_low``/``ci_high`` the band they span.
    """
    if compare_to not in COMPARISON_COLUMNS:
        raise ParametersError(f"compare_to: {compare_to!r} is not one of {', '.join(COMPARISON_COLUMNS)}")
    client = pd.Series(client, dtype=float)
    rows = [INDEX_COLUMN, *framework.strand_ids]
    names = {INDEX_COLUMN: "Maturity index", **framework.strand_names()}
    records, suppressed = {}, {}
    withheld = dict(group.get("reasons") or {})
    for r in rows:
        own = float(client.get(r, np.nan))
        entry = (group.get("scores") or {}).get(r) if group.get("released") else None
        row = {"client": own, "n": _num(group.get("n")) if group.get("released") else np.nan}
        reasons: dict[str, str] = {}
        if entry is None:
            why = withheld.get("scores", "the group's figures are not published")
            reasons = {c: why for c in _GROUP_FIGURES}
        else:
            dist = entry.get("distribution")
            at = place(own, dist)
            row.update(
                n=_num(entry["n"]), mean=_num(entry["mean"]),
                q1=quantile(dist, 0.25), median=quantile(dist, 0.5), q3=quantile(dist, 0.75),
                top_quartile_n=_num(entry.get("top_quartile_n")), top_quartile_mean=_num(entry.get("top_quartile_mean")),
                top_deck_n=_num(entry.get("top_deck_n")), top_deck_mean=_num(entry.get("top_deck_mean")),
                percentile=at.point, below=at.low, ties=at.width, ci_low=at.low, ci_high=at.high,
            )
            if dist is None:
                why = "the group's distribution of this score is too coarse to publish"
                reasons.update({c: why for c in ("q1", "median", "q3", "percentile", "below", "ties", "ci_low", "ci_high")})
            for figure, col in (("top_quartile", "top_quartile_mean"), ("top_deck", "top_deck_mean")):
                if entry.get(col) is None:
                    reasons[col] = withheld.get(figure, "not published for this group")
        row.update({c: np.nan for c in reasons})
        records[r] = row
        if reasons:
            suppressed[r] = reasons
    stats = pd.DataFrame.from_dict(records, orient="index").reindex(index=rows, columns=_COLUMNS).astype(float)
    stats.index.name = "score"
    used, notes = apply_comparison_point(stats, suppressed, compare_to)
    stats.insert(0, "name", pd.Series(names))
    filters = {k: tuple(v) for k, v in (group.get("filters") or {}).items()}
    return PeerComparison(
        stats=stats, suppressed=suppressed, n_peers=int(group.get("n") or 0), filters=filters,
        description=group.get("label") or describe_peers(filters, framework), compare_to=compare_to,
        comparison_used=used, min_group_size=int(min_group_size), n_boot=0, seed=0, notes=notes,
    )
