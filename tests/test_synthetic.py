"""The synthetic benchmark generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.data.synthetic import generate_wave
from maturity.framework import parse_framework

from .conftest import small_framework_dict


def test_same_seed_same_data():
    a = maturity.generate_benchmark(50, seed=3)
    b = maturity.generate_benchmark(50, seed=3)
    c = maturity.generate_benchmark(50, seed=4)
    pd.testing.assert_frame_equal(a.responses, b.responses)
    assert not a.responses.equals(c.responses)


def test_shape_ids_names_demographics(bench600, framework):
    r = bench600.responses
    assert len(r) == 600
    assert r["respondent_id"].iloc[0] == "ORG-0001" and r["respondent_id"].iloc[-1] == "ORG-0600"
    assert r["name"].is_unique and r["name"].str.len().min() > 5
    for demo in framework.demographics:
        assert set(r[demo.id]) <= set(demo.values)
        assert r[demo.id].nunique() >= min(3, len(demo.values))
    assert list(r.columns) == framework.known_columns
    assert set(bench600.truth["stage_name"]) == {"Starting", "Developing", "Embedding", "Leading"}


def test_about_three_percent_missing(bench600, framework):
    rate = bench600.responses[framework.item_ids].isna().to_numpy().mean()
    assert 0.02 < rate < 0.04


def test_weakest_strands_are_engagement_business_need_and_value(bench600, framework):
    means = maturity.score_responses(bench600.responses, framework)[framework.strand_ids].mean()
    assert set(means.nsmallest(3).index) == {"engagement", "business_need", "demonstrating_value"}


def test_reverse_items_answered_consistently(bench600, framework):
    strand = framework.strand("engagement")
    forward = bench600.responses[[i.id for i in strand.items if not i.reverse]].astype(float).mean(axis=1)
    for item in (i for i in strand.items if i.reverse):
        raw = bench600.responses[item.id].astype(float)
        assert raw.corr(forward) < -0.5


def test_maturity_outcomes_and_barriers_follow_the_stage(bench600, framework):
    stage = bench600.truth["stage"].to_numpy()
    index = maturity.score_responses(bench600.responses, framework)["index"].to_numpy()
    by_stage = [np.nanmean(index[stage == s]) for s in range(4)]
    assert by_stage == sorted(by_stage)
    outcomes = maturity.score_outcomes(bench600.responses, framework)
    for col in outcomes:
        assert np.corrcoef(index, outcomes[col].fillna(outcomes[col].mean()))[0, 1] > 0.5
    barriers = bench600.responses[framework.barrier_ids].to_numpy().mean(axis=1)
    assert np.corrcoef(index, barriers)[0, 1] < -0.3


def test_any_framework(tmp_path):
    fw = parse_framework(small_framework_dict())
    bench = maturity.generate_benchmark(40, framework=fw, seed=1)
    assert "person" in bench.responses.columns
    assert bench.responses["q0_0"].dropna().between(1, 7).all()
    path = bench.write(tmp_path / "survey.csv")
    back = pd.read_csv(path)
    assert back.shape == bench.responses.shape


def test_later_wave_keeps_returning_organisations(bench600):
    later = generate_wave(bench600, seed=99)
    ids = set(later.responses["respondent_id"])
    returning = ids & set(bench600.responses["respondent_id"])
    assert 400 < len(returning) < 560
    assert len(later.responses) == 600 and later.responses["respondent_id"].is_unique
    before = maturity.score_responses(bench600.responses, bench600.framework)["index"]
    after = maturity.score_responses(later.responses, bench600.framework)["index"]
    common = sorted(returning)
    assert (after[common] - before[common]).mean() > 2


def test_rejects_bad_arguments():
    with pytest.raises(maturity.MaturityError):
        maturity.generate_benchmark(0)
    with pytest.raises(maturity.MaturityError):
        maturity.generate_benchmark(10, missing_rate=0.9)


def test_a_custom_difficulty_carries_into_later_waves(framework):
    first = maturity.generate_benchmark(300, seed=8, difficulty={"learner_context": 1.5})
    later = generate_wave(first, seed=9)
    assert later.difficulty == {"learner_context": 1.5}
    means = maturity.score_responses(later.responses, framework)[framework.strand_ids].mean()
    assert means.idxmin() == "learner_context"  # new organisations share the same hard strand
    only_new = generate_wave(first, seed=9, retention=0.0)
    assert maturity.score_responses(only_new.responses, framework)[framework.strand_ids].mean().idxmin() == "learner_context"
