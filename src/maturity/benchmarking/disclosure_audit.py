"""Exact disclosure audit of released sums: can any combination single out a small set?

Every figure the kit releases about a group of organisations (a mean, a share, a count
below a score) is a sum over the group's members divided by a count that is released too.
So the released figures of one kind of value (the scores, or one outcome) are the totals
of a family of member sets, and a reader can compute any linear combination of them. A
reader also knows its own values, and several readers may pool theirs.

The audit asks the question a linear-algebra attacker would: is there a combination of the
released set totals that equals the total of fewer than ``min_group_size`` organisations,
after subtracting the values of up to ``pooled_readers`` readers?

Method
------
1. *Atoms.* Organisations with the same membership pattern across all released sets are
   indistinguishable to any combination: every combination gives them the same
   coefficient. So the system is solved over atoms (the distinct membership patterns)
   with their sizes, not over organisations.
2. *Small atoms.* A combination that reveals the total of a set ``T`` of fewer than
   ``threshold = min_group_size + pooled_readers`` organisations (the margin covers the
   readers' own values inside ``T``) can only give non-zero coefficients to atoms smaller
   than the threshold. If no non-zero combination of the released sets vanishes on every
   large atom (``rank(A) == rank(A[:, large])``), nothing can be singled out: the audit is
   done with two matrix ranks.
3. *Exact search.* Otherwise the audit solves a small mixed-integer programme (HiGHS, via
   :func:`scipy.optimize.milp`): find combination weights ``y`` and a 0/1 choice ``t`` of
   small atoms such that ``A.T @ y`` is 1 on the chosen atoms, 0 on all others, and the
   chosen atoms hold between 1 and ``threshold - 1`` organisations. A solution is an
   exposure; the audit reports the sets with non-zero weight. A search that reaches its
   node limit without an answer counts as an exposure (the audit never assumes safety it
   has not shown). The limit is a count of nodes, never wall-clock time, so that the same
   wave gives the same verdict, and the same plan, on any machine however busy.

This is the question tau-Argus answers for linked tables with its "hypercube" and
optimal secondary suppression, asked directly of the released sets instead of a table
structure, so that overlapping peer groups, top quartiles, top decks and segments are all
covered by one test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.linalg import qr
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, vstack as sparse_vstack

__all__ = ["Exposure", "Atoms", "atoms_of", "find_exposures"]

#: Branch-and-bound nodes one exact search may explore before the audit gives up and reports
#: an exposure. A count, not seconds: the same data give the same verdict on any machine.
DEFAULT_NODE_LIMIT = 20_000
_TOL = 1e-6


@dataclass(frozen=True)
class Exposure:
    """A small set of organisations whose total can be worked out from the released sets.

    Attributes
    ----------
    members : tuple of int
        Positions (columns of the membership matrix) of the organisations singled out.
    sets : dict
        Index of each released set used -> its weight in the combination.
    """

    members: tuple[int, ...]
    sets: dict[int, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Organisations singled out."""
        return len(self.members)


@dataclass(frozen=True)
class Atoms:
    """Organisations grouped by their membership pattern across the released sets.

    Attributes
    ----------
    matrix : ndarray of float, shape (n_sets, n_atoms)
        1 where the atom's organisations belong to the set.
    sizes : ndarray of int, shape (n_atoms,)
    labels : ndarray of int, shape (n_organisations,)
        The atom of each organisation (-1: in no released set).
    """

    matrix: np.ndarray
    sizes: np.ndarray
    labels: np.ndarray

    def members(self, atoms: Sequence[int]) -> tuple[int, ...]:
        """Organisation positions of the given atoms, in order."""
        return tuple(int(i) for i in np.flatnonzero(np.isin(self.labels, list(atoms))))


def atoms_of(membership: np.ndarray) -> Atoms:
    """Group organisations by their membership pattern.

    Parameters
    ----------
    membership : array of bool, shape (n_sets, n_organisations)

    Returns
    -------
    Atoms
        Organisations in no set belong to no atom (they never enter a released figure).
    """
    membership = np.asarray(membership, dtype=bool)
    n_sets, n_orgs = membership.shape
    labels = np.full(n_orgs, -1, dtype=np.int64)
    if n_sets == 0 or n_orgs == 0:
        return Atoms(np.zeros((n_sets, 0)), np.zeros(0, dtype=np.int64), labels)
    packed = np.packbits(membership, axis=0).T  # one row of bytes per organisation
    used = packed.any(axis=1)
    patterns, inverse, sizes = np.unique(packed[used], axis=0, return_inverse=True, return_counts=True)
    labels[used] = inverse.ravel()
    matrix = np.unpackbits(patterns, axis=1, count=n_sets).T.astype(float)
    return Atoms(matrix, sizes.astype(np.int64), labels)


def _rank(matrix: np.ndarray) -> int:
    if matrix.size == 0:
        return 0
    return int(np.linalg.matrix_rank(matrix))


def find_exposures(
    membership: np.ndarray,
    threshold: int,
    *,
    max_exposures: int = 1,
    node_limit: int = DEFAULT_NODE_LIMIT,
    independent: bool = False,
) -> list[Exposure]:
    """Small sets of organisations whose total follows from the released set totals.

    Parameters
    ----------
    membership : array of bool, shape (n_sets, n_organisations)
        One row per released set (the organisations whose values its figure sums).
    threshold : int
        A set of fewer organisations than this must not be singled out
        (``min_group_size + pooled_readers``).
    max_exposures : int
        Stop after finding this many (1 answers "is it safe?").
    node_limit : int
        Branch-and-bound nodes for each exact search (a search that reaches it without an
        answer counts as an exposure).
    independent : bool
        The caller guarantees the rows are linearly independent (saves a factorisation).

    Returns
    -------
    list of Exposure
        Empty when no combination of the released totals determines the total of fewer
        than ``threshold`` organisations.

    Examples
    --------
    >>> groups = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]], dtype=bool)
    >>> [e.members for e in find_exposures(groups, 3)]   # the two totals differ by one
    [(5,)]
    """
    membership = np.asarray(membership, dtype=bool)
    if membership.ndim != 2:
        raise ValueError("membership must be a 2-D array (sets x organisations)")
    atoms = atoms_of(membership)
    if atoms.sizes.size == 0:
        return []
    small = atoms.sizes < threshold
    if not small.any():
        return []
    full_rank = atoms.matrix.shape[0] if independent else _rank(atoms.matrix)
    if full_rank == _rank(atoms.matrix[:, ~small]):
        return []
    keep = np.arange(atoms.matrix.shape[0]) if independent else _independent_rows(atoms.matrix)
    return _search(atoms, keep, small, threshold, max_exposures, node_limit)


def _independent_rows(matrix: np.ndarray) -> np.ndarray:
    """Positions of a maximal set of linearly independent rows, in their original order."""
    rank = _rank(matrix)
    _q, _r, pivots = qr(matrix.T, mode="economic", pivoting=True)
    return np.sort(pivots[:rank])


def _search(
    atoms: Atoms, keep: np.ndarray, small: np.ndarray, threshold: int, max_exposures: int, node_limit: int
) -> list[Exposure]:
    """Mixed-integer search for 0/1 combinations over small atoms (see the module notes).

    ``keep``: independent rows only. With dependent rows (the sectors add up to the wave,
    and so do the regions) the weights of a combination are not unique and unreadable.
    """
    A = atoms.matrix[keep]
    n_sets = A.shape[0]
    small_idx = np.flatnonzero(small)
    # Only sets touching a small atom can contribute; sets that also touch large atoms
    # must cancel there, which the equality rows below enforce.
    n_t = small_idx.size
    sizes = atoms.sizes[small_idx].astype(float)
    # Variables: y (n_sets, free), t (n_t, binary).
    large_rows = csr_matrix(np.hstack([A[:, ~small].T, np.zeros(((~small).sum(), n_t))]))
    small_rows = csr_matrix(np.hstack([A[:, small_idx].T, -np.eye(n_t)]))
    size_row = csr_matrix(np.concatenate([np.zeros(n_sets), sizes])[None, :])
    blocks = [small_rows, size_row]
    lower = [np.zeros(n_t), [1.0]]
    upper = [np.zeros(n_t), [float(threshold - 1)]]
    if large_rows.shape[0]:
        blocks.insert(0, large_rows)
        lower.insert(0, np.zeros(large_rows.shape[0]))
        upper.insert(0, np.zeros(large_rows.shape[0]))
    integrality = np.concatenate([np.zeros(n_sets), np.ones(n_t)])
    # Weights are bounded only to keep the solver's arithmetic sane: any exposure has a
    # combination with small integer-like weights over 0/1 sets.
    bounds = Bounds(np.concatenate([np.full(n_sets, -1e4), np.zeros(n_t)]),
                    np.concatenate([np.full(n_sets, 1e4), np.ones(n_t)]))
    found: list[Exposure] = []
    cuts: list[np.ndarray] = []
    while len(found) < max_exposures:
        rows = list(blocks)
        lo, hi = list(lower), list(upper)
        for cut in cuts:
            rows.append(csr_matrix(cut[None, :]))
            lo.append([-np.inf])
            hi.append([float(cut.sum() - 1)])
        constraint = LinearConstraint(sparse_vstack(rows), np.concatenate(lo), np.concatenate(hi))
        res = milp(np.zeros(n_sets + n_t), constraints=constraint, integrality=integrality, bounds=bounds,
                   options={"node_limit": int(node_limit), "presolve": True})
        if res.status == 2:  # infeasible: nothing (more) to find
            break
        if res.x is None:
            # Node limit reached without an answer: report the small atoms as unproven.
            found.append(Exposure(atoms.members(small_idx), {}))
            break
        t = res.x[n_sets:] > 0.5
        chosen = small_idx[t]
        y = res.x[:n_sets]
        weights = {int(keep[i]): float(round(w, 6)) for i, w in enumerate(y) if abs(w) > _TOL}
        found.append(Exposure(atoms.members(chosen), weights))
        cut = np.concatenate([np.zeros(n_sets), t.astype(float)])
        cuts.append(cut)
    return found
