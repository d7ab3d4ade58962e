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

Each group's bins are the leaves of a subtree of one tree of halvings of the wave's bins
(:class:`BinTree`), so any two groups' bins are nested or disjoint. Bins are member sets like
peer groups: the wave's release (:mod:`maturity.benchmarking.publication`) audits them
together with everything else it publishes and undoes splits until no combination singles
out fewer than the minimum number of organisations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Bins", "BinTree", "coarsen", "bin_of", "children", "common_ancestor"]

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


# --- one tree of bins for every group -----------------------------------------------------------

Node = tuple[int, int]
"""A node of the common tree: the finest bins ``lo`` to ``hi - 1`` (positions in the wave's edges)."""


def _cumulative(cells: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.asarray(cells, dtype=int))])


def _between(cum: np.ndarray, node: Node) -> int:
    return int(cum[node[1]] - cum[node[0]])


def children(node: Node) -> tuple[Node, Node] | None:
    """The two halves of a node (by number of the wave's finest bins), None for a finest bin."""
    lo, hi = node
    if hi - lo < 2:
        return None
    mid = (lo + hi) // 2
    return (lo, mid), (mid, hi)


class BinTree:
    """A group's bins as the leaves of a subtree of one tree common to every group.

    The root is the whole scale; each node splits into two halves of the wave's finest bins
    (each of which holds at least the minimum). A group splits a node when both halves hold
    no one of the group or at least ``min_count`` of it, and, for every *guard* (a larger
    published group containing this one that splits the same half), the guard's members
    outside the group in that half are no one or at least ``min_count`` too (else the
    difference of the two published counts is a small cell). Because every group cuts the
    same tree, any two bins of any two groups are nested or disjoint: bins never slice each
    other into thin cells, and the finest regions are where the group is dense.

    Parameters
    ----------
    cells : array of int
        The group's members per finest bin of the wave.
    edges : sequence of float
        The wave's finest edges (``len(cells) + 1``).
    min_count : int
    guards : list of (array of int, set of Node)
        For each guard: its members per finest bin and the nodes it publishes (its splits
        and its leaves).
    blocked : set of Node
        Nodes this group must not split (the audit found a split that completed an exposure).

    Attributes
    ----------
    split_ : set of Node
        The nodes the group splits (its internal nodes).
    leaves_ : list of Node
        Its bins, left to right.
    """

    def __init__(self, cells: np.ndarray, edges: tuple[float, ...], min_count: int, *,
                 guards: Sequence[tuple[np.ndarray, set[Node]]] = (),
                 blocked: set[Node] | None = None) -> None:
        self.cells = np.asarray(cells, dtype=int)
        self.edges = tuple(float(e) for e in edges)
        self.min_count = int(min_count)
        self.guards = list(guards)
        self.blocked = set(blocked or ())
        self._cum = np.concatenate([[0], np.cumsum(self.cells)])
        self._guard_cum = [(_cumulative(c), nodes) for c, nodes in self.guards]
        self.split_, self.leaves_ = set(), []
        if self.n >= self.min_count:
            self._grow((0, len(self.cells)))

    @property
    def n(self) -> int:
        return int(self._cum[-1])

    def count(self, node: Node) -> int:
        """The group's members in ``node``."""
        return int(self._cum[node[1]] - self._cum[node[0]])

    def _fine(self, count: int) -> bool:
        return count == 0 or count >= self.min_count

    def _may_split(self, node: Node) -> bool:
        halves = children(node)
        if halves is None or node in self.blocked or self.count(node) == 0:
            return False
        for half in halves:
            mine = self.count(half)
            if not self._fine(mine):
                return False
            for cum, nodes in self._guard_cum:
                if half in nodes and not self._fine(_between(cum, half) - mine):
                    return False
        return True

    def _grow(self, node: Node) -> None:
        if self._may_split(node):
            self.split_.add(node)
            for half in children(node):
                self._grow(half)
        else:
            self.leaves_.append(node)

    def nodes(self) -> set[Node]:
        """Every node whose count this group's bins publish (its splits and its leaves)."""
        return self.split_ | set(self.leaves_)

    def parent_of(self, node: Node) -> Node | None:
        """The split that made ``node`` (None for the root)."""
        for split in self.split_:
            if node in children(split):
                return split
        return None

    def bins(self) -> Bins | None:
        """The published distribution (None for a group below the minimum)."""
        if not self.leaves_:
            return None
        edges = [self.edges[lo] for lo, _hi in self.leaves_] + [self.edges[-1]]
        return Bins(tuple(edges), tuple(self.count(leaf) for leaf in self.leaves_))


def common_ancestor(nodes: list[Node], root: Node) -> Node:
    """The smallest node of the tree from ``root`` that contains every one of ``nodes``."""
    lo, hi = min(n[0] for n in nodes), max(n[1] for n in nodes)
    node = root
    while (halves := children(node)) is not None:
        inner = next((h for h in halves if h[0] <= lo and hi <= h[1]), None)
        if inner is None:
            break
        node = inner
    return node
