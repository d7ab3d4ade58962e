"""Shared fixtures: small frameworks and data built in code, never hand-typed result files."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import maturity
from maturity.framework import default_framework_path, parse_framework

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def framework():
    """The packaged default framework."""
    return maturity.load_framework()


@pytest.fixture(scope="session")
def default_framework_dict():
    """The default framework as plain data, for tests that mutate a copy."""
    return yaml.safe_load(default_framework_path().read_text(encoding="utf-8"))


@pytest.fixture
def framework_dict(default_framework_dict):
    return copy.deepcopy(default_framework_dict)


def small_framework_dict(n_strands: int = 3, n_items: int = 4, lo: int = 1, hi: int = 7) -> dict:
    """A framework unlike the default: other strand count, item ids and scale."""
    return {
        "id": "team-survey",
        "name": "Team survey",
        "version": "0.1",
        "id_column": "person",
        "scales": {"seven": {"min": lo, "max": hi, "labels": {lo: "Never", hi: "Always"}}},
        "strands": [
            {
                "id": f"s{s}",
                "name": f"Strand {s}",
                "items": [{"id": f"q{s}_{i}", "scale": "seven", "text": f"Question {s}.{i}"} for i in range(n_items)],
            }
            for s in range(n_strands)
        ],
    }


@pytest.fixture
def small_framework():
    return parse_framework(small_framework_dict(), source="<test>")


@pytest.fixture(scope="session")
def bench600():
    """The default (realistic) synthetic benchmark (600 organisations, default seed)."""
    return maturity.generate_benchmark(600)


@pytest.fixture(scope="session")
def planted600():
    """A synthetic benchmark with planted structure (four separated stages, uniform blanks):
    for tests that need known answers."""
    return maturity.generate_benchmark(600, structure="planted")


@pytest.fixture(scope="session")
def wave(bench600):
    """``bench600`` as (framework, responses indexed by id, scores)."""
    fw = bench600.framework
    responses = fw.by_id(bench600.responses)
    return fw, responses, maturity.score_responses(responses, fw)


def released_population(responses, framework):
    """Ids of the organisations the wave's default release plan computes its figures over
    (those with a maturity index, less any demographic value too small to release)."""
    from maturity.benchmarking.privacy_audit import wave_release
    from maturity.benchmarking.release_plan import PrivacySettings
    from maturity.data.population import BenchmarkData

    data = BenchmarkData.from_responses(responses, framework)
    plan = wave_release(data, None).plan(PrivacySettings())
    return plan.population(data.responses, data.scores).index
