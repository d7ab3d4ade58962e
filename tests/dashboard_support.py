"""A small two-wave benchmark database for dashboard tests, built in code."""

from __future__ import annotations

from pathlib import Path

import maturity
from maturity.benchmarking.wave_models import save_publication
from maturity.data.store import BenchmarkStore
from maturity.data.synthetic import generate_wave


def build_two_wave_db(path: Path, n_orgs: int = 240, seed: int = 5):
    """Import a synthetic wave "2025" and its follow-up "2026"; return (path, later wave)."""
    fw = maturity.load_framework()
    first = maturity.generate_benchmark(n_orgs, seed=seed)
    later = generate_wave(first, seed=seed + 1)
    with BenchmarkStore(path) as store:
        store.import_responses(first.responses, fw, "2025")
        store.import_responses(later.responses, fw, "2026")
        for wave in ("2025", "2026"):
            save_publication(store, wave)  # what client surfaces read
    return path, later


def other_organisations(bench, keep: str) -> tuple[list[str], list[str]]:
    """Ids and names of every organisation except ``keep``."""
    frame = bench.responses
    others = frame[frame["respondent_id"] != keep]
    return list(others["respondent_id"]), list(others["name"])
