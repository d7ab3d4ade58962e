"""Coarsened distributions: where a group's scores lie, in bins that each hold enough organisations.

A client asks "where do I stand?" A count of the group's members below the client's score
answers it exactly, and answers it again for any made-up score, so a script that asks often
enough reads every member's value (percentile bisection), and intersecting groups then names
organisations. So the kit publishes, once per wave, a coarsened distribution of each released
group and each score, and every "where do I stand" figure is read from it:

* the scale (0-100) is cut at points of a public grid (``step`` points apart);
* the bins are as narrow as the grid allows while each holds at least ``min_count``
  organisations (the first bin starts at the scale's minimum and the last ends at its
  maximum, so no edge sits at the lowest or highest member's value);
* a bin edge therefore says only that at least ``min_count`` organisations lie between two
  grid points. Quartiles, medians and percentiles are interpolated on these bins, never
  taken from the members' values (order statistics of raw values are one organisation's
  value).

Bins are member sets like peer groups: the wave's release (:mod:`maturity.benchmarking.publication`)
audits them together with everything else it publishes and merges bins until no combination
singles out fewer than the minimum number of organisations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Bins", "coarsen", "bin_of"]

#: Grid of possible bin edges, in score points.
DEFAULT_STEP = 1.0
SCALE_MIN, SCALE_MAX = 0.0, 100.0


@dataclass(frozen=True)
class Bins:
    """A coarsened distribution: bin ``i`` is ``[edges[i], edges[i + 1])`` (the last is closed).

    Attributes
    ----------
    edges : tuple of float
        ``len(counts) + 1`` grid points, from the scale's minimum to its maximum.
    counts : tuple of int
        Members per bin.
    """

    edges: tuple[float, ...]
    counts: tuple[int, ...]

    @property
    def n(self) -> int:
        return int(sum(self.counts))

    def to_dict(self) -> dict[str, list]:
        return {"edges": [float(e) for e in self.edges], "counts": [int(c) for c in self.counts]}


def bin_of(values: np.ndarray, edges: tuple[float, ...] | np.ndarray) -> np.ndarray:
    """Bin position of each value (values on the top edge go to the last bin)."""
    edges = np.asarray(edges, dtype=float)
    pos = np.searchsorted(edges, np.asarray(values, dtype=float), side="right") - 1
    return np.clip(pos, 0, len(edges) - 2)


def coarsen(
    values: np.ndarray,
    min_count: int,
    *,
    step: float = DEFAULT_STEP,
    low: float = SCALE_MIN,
    high: float = SCALE_MAX,
    grid: np.ndarray | tuple[float, ...] | None = None,
) -> Bins | None:
    """The narrowest bins on the grid that each hold at least ``min_count`` values.

    Bins are closed from the bottom up as soon as they hold ``min_count`` values; what is
    left at the top (fewer than ``min_count``) joins the last bin.

    Parameters
    ----------
    values : array of float
        The group's scores (missing values are ignored).
    min_count : int
    step : float
        Grid spacing of the possible edges.
    low, high : float
        The scale's range: the outer edges.
    grid : array of float, optional
        The possible edges, from ``low`` to ``high`` (default: every ``step`` points). A
        group's bins are cut on the wave's own edges so that groups line up.

    Returns
    -------
    Bins or None
        None when the group holds fewer than ``min_count`` values.

    Examples
    --------
    >>> coarsen(np.array([10.2, 11.5, 40, 41, 42.5, 80, 81]), 2).to_dict()
    {'edges': [0.0, 12.0, 42.0, 100.0], 'counts': [2, 2, 3]}
    """
    values = np.asarray(values, dtype=float)
    values = np.sort(values[np.isfinite(values)])
    if values.size < min_count or min_count < 1:
        return None
    if grid is None:
        grid = np.arange(low, high + step / 2, step)
        grid[-1] = high
    grid = np.asarray(grid, dtype=float)
    # Members in each grid cell [grid[i], grid[i + 1]).
    cell_counts = np.bincount(bin_of(values, grid), minlength=len(grid) - 1)
    edges, counts, running = [low], [], 0
    remaining = int(values.size)
    for i, c in enumerate(cell_counts):
        running += int(c)
        remaining -= int(c)
        if running >= min_count and remaining >= min_count:
            edges.append(float(grid[i + 1]))
            counts.append(running)
            running = 0
    edges.append(high)
    counts.append(running)
    return Bins(tuple(edges), tuple(counts))
