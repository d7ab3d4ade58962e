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
    for value, figs in by_value.items():
        true = truth.get(value)
        if true is None:
            continue
        _pairwise(value, figs, true, min_group_size, result)
        _tracker(value, figs, true, min_group_size, result, max_triples)
        for pool in [(), *readers]:
            _least_squares(value, figs, true, min_group_size, tolerance, tuple(map(str, pool)), result)
    return result


def _record(result: AttackResult, attack_name: str, value: str, members: Sequence[Any], recovered: float,
            true_total: float, used: Sequence[str], readers: Sequence[str] = ()) -> None:
    result.successes.append({
        "attack": attack_name, "value": value, "organisations": len(members),
        "recovered_total": float(recovered), "true_total": float(true_total),
        "figures": list(used), "readers": list(readers),
    })


def _pairwise(value: str, figs: list[ReleasedFigure], true: pd.Series, k: int, result: AttackResult) -> None:
    tried = 0
    for a, b in combinations(figs, 2):
        outer, inner = (a, b) if len(a.members) >= len(b.members) else (b, a)
        if not inner.members <= outer.members:
            continue
        tried += 1
        diff = outer.members - inner.members
        if 0 < len(diff) < k:
            recovered = _total(outer) - _total(inner)
            actual = float(true.reindex(list(diff)).sum())
            if abs(recovered - actual) < 1e-6 * max(1.0, abs(actual)):
                _record(result, "pairwise", value, list(diff), recovered, actual, [outer.name, inner.name])
    result.tried["pairwise"] = result.tried.get("pairwise", 0) + tried


def _tracker(value: str, figs: list[ReleasedFigure], true: pd.Series, k: int, result: AttackResult, max_triples: int) -> None:
    tried = 0
    for a, b, c in combinations(figs, 3):
        if tried >= max_triples:
            break
        for x, y, z in ((a, b, c), (a, c, b), (b, c, a)):
            # The coefficients of x + y - z are 0 or 1 only when z covers x & y and lies
            # inside x | y; the organisations counted once are then the ones revealed.
            if not (x.members & y.members) <= z.members or not z.members <= (x.members | y.members):
                continue
            tried += 1
            rest = ((x.members ^ y.members) - z.members) | (x.members & y.members)
            if not rest or len(rest) >= k:
                continue
            recovered = _total(x) + _total(y) - _total(z)
            actual = float(true.reindex(list(rest)).sum())
            if abs(recovered - actual) < 1e-6 * max(1.0, abs(actual)):
                _record(result, "tracker", value, list(rest), recovered, actual, [x.name, y.name, z.name])
    result.tried["tracker"] = result.tried.get("tracker", 0) + tried


def _least_squares(value: str, figs: list[ReleasedFigure], true: pd.Series, k: int, tolerance: float,
                   pool: tuple[str, ...], result: AttackResult) -> None:
    ids = sorted({m for f in figs for m in f.members} | set(pool), key=str)
    pos = {m: i for i, m in enumerate(ids)}
    rows, totals = [], []
    for f in figs:
        r = np.zeros(len(ids))
        r[[pos[m] for m in f.members]] = 1.0
        rows.append(r)
        totals.append(_total(f))
    for m in pool:
        if m in pos and m in true.index and np.isfinite(true.get(m, np.nan)):
            r = np.zeros(len(ids))
            r[pos[m]] = 1.0
            rows.append(r)
            totals.append(float(true[m]))
    M, b = np.vstack(rows), np.asarray(totals)
    # Organisations with the same membership pattern can never be told apart, so the system
    # is solved over patterns; only a pattern held by one organisation can reveal it.
    patterns, first, inverse, counts = np.unique(M.T, axis=0, return_index=True, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    A = patterns.T
    result.tried["least_squares"] = result.tried.get("least_squares", 0) + int((counts == 1).sum())
    _u, sing, vt = np.linalg.svd(A, full_matrices=False)
    basis = vt[sing > sing.max() * max(A.shape) * 1e-12] if sing.size else vt[:0]
    in_span = (basis ** 2).sum(axis=0) > 1.0 - 1e-8
    solution = np.linalg.lstsq(A, b, rcond=None)[0]
    for atom in np.flatnonzero(in_span & (counts == 1)):
        member = ids[int(np.flatnonzero(inverse == atom)[0])]
        if member in pool:
            continue
        actual = float(true.get(member, np.nan))
        if np.isfinite(actual) and abs(solution[atom] - actual) <= tolerance:
            _record(result, "least squares", value, [member], solution[atom], actual, ["all released figures"], pool)
