"""An independent attack search on the figures a wave releases: does any attack succeed?

The release plan is built with an exact audit (:mod:`maturity.benchmarking.disclosure_audit`).
This module checks the result another way, as an attacker would, with the released numbers
themselves: it runs the known differencing attacks and compares what they recover with the
true answers, which the auditor (not the attacker) holds.

Attacks
-------
pairwise
    Two released figures of the same value whose member sets are nested: the difference of
    their totals (``n1 * mean1 - n2 * mean2``) is the total of the organisations in one and
    not the other. Covers peer groups, top quartiles, top decks and segments.
tracker
    Three figures combined by inclusion-exclusion (``A + B - C``) whose members add up to a
    small set.
least squares
    Every released total as one linear system, with the pooled readers' own values added:
    an organisation is recovered when its unit vector lies in the system's row space; its
    value then follows from the released numbers.
outcome shares
    The achievers-vs-others shares of each outcome, differenced the same way.

An attack *succeeds* when it recovers the total of fewer than ``min_group_size``
organisations (other than the readers) exactly, or one organisation's value within
``tolerance`` points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Sequence

import numpy as np
import pandas as pd

__all__ = ["AttackResult", "ReleasedFigure", "attack"]


@dataclass(frozen=True)
class ReleasedFigure:
    """One released total: its name, the value it sums, its members and the released numbers.

    ``members`` are the true member ids (held by the auditor); ``mean * n`` is the total an
    attacker reads from the release.
    """

    name: str
    value: str
    members: frozenset
    n: int
    mean: float


@dataclass
class AttackResult:
    """What the attack search tried and what succeeded."""

    tried: dict[str, int] = field(default_factory=dict)
    successes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def safe(self) -> bool:
        return not self.successes

    def to_dict(self) -> dict[str, Any]:
        return {"safe": self.safe, "tried": dict(self.tried), "successes": list(self.successes)}


def _total(fig: ReleasedFigure) -> float:
    return fig.n * fig.mean


def attack(
    figures: Sequence[ReleasedFigure],
    truth: dict[str, pd.Series],
    *,
    min_group_size: int,
    readers: Sequence[Sequence[str]] = (),
    tolerance: float = 5.0,
    max_triples: int = 200_000,
) -> AttackResult:
    """Run the attacks on released figures and report any that recover a protected value.

    Parameters
    ----------
    figures : sequence of ReleasedFigure
    truth : dict
        Value name -> true value per organisation id (to judge the attacks).
    min_group_size : int
        A recovered total of fewer organisations (besides the readers) is a success.
    readers : sequence of sequences of str
        Pools of readers whose own values are added to the attacker's knowledge (each pool
        is tried on its own). The empty pool is always tried.
    tolerance : float
        A single organisation's value recovered within this many points is a success.
    max_triples : int
        Bound on the inclusion-exclusion triples tried per value.
    """
    result = AttackResult()
    by_value: dict[str, list[ReleasedFigure]] = {}
    for fig in figures:
        if np.isfinite(fig.mean) and fig.n > 0:
            by_value.setdefault(fig.value, []).append(fig)
    # The differencing attacks depend on the member sets only: find the combinations whose
    # coefficients single out a small set once, then read each value's numbers through them.
    sets = sorted({f.members for figs in by_value.values() for f in figs}, key=lambda m: (len(m), sorted(map(str, m))))
    combos = _small_combinations(sets, min_group_size, max_triples, result)
    exposed_cache: dict[tuple, list] = {}
    for value, figs in by_value.items():
        true = truth.get(value)
        if true is None:
            continue
        total = {f.members: (_total(f), f.name) for f in figs}
        for attack_name, plus, minus, rest in combos:
            if not all(m in total for m in (*plus, *minus)):
                continue
            recovered = sum(total[m][0] for m in plus) - sum(total[m][0] for m in minus)
            actual = float(true.reindex(list(rest)).sum())
            if abs(recovered - actual) < 1e-6 * max(1.0, abs(actual)):
                _record(result, attack_name, value, list(rest), recovered, actual,
                        [total[m][1] for m in (*plus, *minus)])
        # Values released over the same member sets (the strands and the index) share one
        # structural check; the least squares is solved only where it finds something.
        value_sets = sorted({f.members for f in figs}, key=lambda m: (len(m), sorted(map(str, m))))
        family = frozenset(value_sets)
        for pool in [(), *readers]:
            pool = tuple(map(str, pool))
            if (family, pool) not in exposed_cache:
                exposed_cache[(family, pool)] = _determined_members(value_sets, pool, result)
            if exposed_cache[(family, pool)]:
                _least_squares(value, figs, true, min_group_size, tolerance, pool, result)
    return result


def _record(result: AttackResult, attack_name: str, value: str, members: Sequence[Any], recovered: float,
            true_total: float, used: Sequence[str], readers: Sequence[str] = ()) -> None:
    result.successes.append({
        "attack": attack_name, "value": value, "organisations": len(members),
        "recovered_total": float(recovered), "true_total": float(true_total),
        "figures": list(used), "readers": list(readers),
    })


def _small_combinations(sets: list[frozenset], k: int, max_triples: int, result: AttackResult):
    """Pairs (A - B) and triples (A + B - C) whose coefficients are 1 on fewer than ``k`` organisations."""
    ids = sorted({m for s in sets for m in s}, key=str)
    pos = {m: i for i, m in enumerate(ids)}
    bits = [sum(1 << pos[m] for m in s) for s in sets]
    found = []
    pairs = 0
    for i, j in combinations(range(len(sets)), 2):
        outer, inner = (i, j) if len(sets[i]) >= len(sets[j]) else (j, i)
        if bits[inner] & ~bits[outer]:
            continue
        pairs += 1
        diff = bits[outer] & ~bits[inner]
        if 0 < diff.bit_count() < k:
            found.append(("pairwise", (sets[outer],), (sets[inner],), _members(diff, ids)))
    triples = 0
    for a, b, c in combinations(range(len(sets)), 3):
        if triples >= max_triples:
            break
        for x, y, z in ((a, b, c), (a, c, b), (b, c, a)):
            # The coefficients of x + y - z are 0 or 1 only when z covers x & y and lies
            # inside x | y; the organisations counted once are then the ones revealed.
            both, either = bits[x] & bits[y], bits[x] | bits[y]
            if both & ~bits[z] or bits[z] & ~either:
                continue
            triples += 1
            rest = ((bits[x] ^ bits[y]) & ~bits[z]) | both
            if 0 < rest.bit_count() < k:
                found.append(("tracker", (sets[x], sets[y]), (sets[z],), _members(rest, ids)))
    result.tried["pairwise"] = result.tried.get("pairwise", 0) + pairs
    result.tried["tracker"] = result.tried.get("tracker", 0) + triples
    return found


def _members(mask: int, ids: list) -> list:
    return [ids[i] for i in range(mask.bit_length()) if mask >> i & 1]


def _system(sets: Sequence[frozenset], pool: tuple[str, ...]):
    """Membership patterns of the sets plus the pool's unit rows: (ids, patterns, owner, counts)."""
    ids = sorted({m for s in sets for m in s} | set(pool), key=str)
    pos = {m: i for i, m in enumerate(ids)}
    M = np.zeros((len(sets) + len(pool), len(ids)))
    for r, s in enumerate(sets):
        M[r, [pos[m] for m in s]] = 1.0
    for r, m in enumerate(pool):
        M[len(sets) + r, pos[m]] = 1.0
    patterns, inverse, counts = np.unique(M.T, axis=0, return_inverse=True, return_counts=True)
    return ids, patterns.T, inverse.ravel(), counts


def _in_row_space(A: np.ndarray) -> np.ndarray:
    """For each column, whether its unit vector lies in the row space of ``A``."""
    _u, sing, vt = np.linalg.svd(A, full_matrices=False)
    basis = vt[sing > sing.max() * max(A.shape) * 1e-12] if sing.size else vt[:0]
    return (basis ** 2).sum(axis=0) > 1.0 - 1e-8


def _determined_members(sets: Sequence[frozenset], pool: tuple[str, ...], result: AttackResult) -> list:
    """Organisations (not in the pool) whose value the sets' totals and the pool determine."""
    ids, A, inverse, counts = _system(sets, pool)
    result.tried["least_squares"] = result.tried.get("least_squares", 0) + int((counts == 1).sum())
    alone = np.flatnonzero(_in_row_space(A) & (counts == 1))
    members = [ids[int(np.flatnonzero(inverse == a)[0])] for a in alone]
    return [m for m in members if m not in pool]


def _least_squares(value: str, figs: list[ReleasedFigure], true: pd.Series, k: int, tolerance: float,
                   pool: tuple[str, ...], result: AttackResult) -> None:
    sets = [f.members for f in figs]
    ids, A, inverse, counts = _system(sets, pool)
    b = np.array([_total(f) for f in figs] + [float(true.get(m, np.nan)) for m in pool])
    keep = np.isfinite(b)
    A, b = A[keep], b[keep]
    solution = np.linalg.lstsq(A, b, rcond=None)[0]
    for atom in np.flatnonzero(_in_row_space(A) & (counts == 1)):
        member = ids[int(np.flatnonzero(inverse == atom)[0])]
        if member in pool:
            continue
        actual = float(true.get(member, np.nan))
        if np.isfinite(actual) and abs(solution[atom] - actual) <= tolerance:
            _record(result, "least squares", value, [member], solution[atom], actual, ["all released figures"], pool)
