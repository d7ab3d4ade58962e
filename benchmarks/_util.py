"""Small helpers shared by the benchmark scripts."""

from __future__ import annotations

import time
from typing import Callable


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall-clock seconds of ``repeat`` runs (the least disturbed by other load)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def report(name: str, value: float, goal: float, unit: str = "", lower_is_better: bool = True) -> bool:
    """Print one result line with its goal; return whether the goal is met."""
    ok = value <= goal if lower_is_better else value >= goal
    sign = "<=" if lower_is_better else ">="
    print(f"{name}: {value:.3f}{unit} (goal {sign} {goal}{unit}) {'OK' if ok else 'MISSED'}")
    return ok
