"""Where a score stands in a published, coarsened distribution: percentile bands and quantiles.

A published distribution is a list of bins (``edges``, ``counts``), each holding no one or at
least the minimum number of organisations. A score inside a bin is placed by linear
interpolation within it (the point) and by the bin's range of percentiles (the band): the
band is what the publication can vouch for, the point a reading of it.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

__all__ = ["Placement", "place", "quantile"]


class Placement(tuple):
    """``(point, low, high)``: percentile by interpolation, and its band."""

    __slots__ = ()

    def __new__(cls, point: float, low: float, high: float) -> "Placement":
        return super().__new__(cls, (float(point), float(low), float(high)))

    @property
    def point(self) -> float:
        return self[0]

    @property
    def low(self) -> float:
        return self[1]

    @property
    def high(self) -> float:
        return self[2]

    @property
    def width(self) -> float:
        return self[2] - self[1]


def _arrays(distribution: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(distribution["edges"], dtype=float), np.asarray(distribution["counts"], dtype=float)


def place(value: float, distribution: Mapping[str, Any] | None) -> Placement:
    """Percentile of ``value`` in a published distribution, with its band (NaN when none).

    Examples
    --------
    >>> place(50, {"edges": [0, 40, 60, 100], "counts": [5, 10, 5]})
    (50.0, 25.0, 75.0)
    """
    if distribution is None or value is None or not np.isfinite(value):
        return Placement(np.nan, np.nan, np.nan)
    edges, counts = _arrays(distribution)
    n = counts.sum()
    if n <= 0:
        return Placement(np.nan, np.nan, np.nan)
    i = int(np.clip(np.searchsorted(edges, value, side="right") - 1, 0, len(counts) - 1))
    below = counts[:i].sum()
    width = edges[i + 1] - edges[i]
    inside = 0.0 if width <= 0 else np.clip((value - edges[i]) / width, 0.0, 1.0)
    return Placement(100.0 * (below + counts[i] * inside) / n, 100.0 * below / n, 100.0 * (below + counts[i]) / n)


def quantile(distribution: Mapping[str, Any] | None, share: float) -> float:
    """The score below which ``share`` of the group lies, interpolated within its bin.

    Quartiles and medians are read this way, never from the members' own values.

    Examples
    --------
    >>> quantile({"edges": [0, 40, 60, 100], "counts": [5, 10, 5]}, 0.5)
    50.0
    """
    if distribution is None:
        return float("nan")
    edges, counts = _arrays(distribution)
    cum = np.concatenate([[0.0], np.cumsum(counts)])
    if cum[-1] <= 0:
        return float("nan")
    return float(np.interp(share * cum[-1], cum, edges))
