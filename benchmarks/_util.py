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


def build_demo_database(path, n: int, seed: int = 2026) -> None:
    """The database `maturity demo` builds at ``path``: two synthetic waves of ``n``
    organisations; segments, published table and fairness verdicts stored with the later one."""
    from maturity.benchmarking.release_plan import PrivacySettings
    from maturity.benchmarking.wave_models import save_publication, save_wave_invariance, save_wave_segments
    from maturity.data.store import BenchmarkStore
    from maturity.data.synthetic import demo_waves
    from maturity.demo.run import DEMO_WAVES
    from maturity.framework import load_framework

    framework = load_framework()
    earlier, later = demo_waves(n, framework=framework, seed=seed)
    with BenchmarkStore(path) as store:
        for label, wave in zip(DEMO_WAVES, (earlier, later)):
            store.import_responses(wave.responses, framework, label)
        save_wave_segments(store, DEMO_WAVES[-1], random_state=seed)
        save_publication(store, DEMO_WAVES[-1], PrivacySettings())
        save_wave_invariance(store, DEMO_WAVES[-1])
