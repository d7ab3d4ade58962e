"""Outcome drivers: standardised betas against an independent OLS, bootstrap CIs, relative
weights, importance, and the no-outcomes error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

import maturity
from maturity.analysis import drivers
from maturity.errors import AnalysisError
from maturity.framework import parse_framework

from .conftest import small_framework_dict


def _framework_with_outcomes(n_strands: int = 3):
    data = small_framework_dict(n_strands=n_strands, n_items=3)
    data["outcomes"] = [
        {"id": "impact", "name": "Impact", "improved_at": 3,
         "items": [{"id": "o1", "scale": "seven", "text": "Impact 1"}, {"id": "o2", "scale": "seven", "text": "Impact 2"}]},
        {"id": "speed", "name": "Speed",
         "items": [{"id": "o3", "scale": "seven", "text": "Speed"}]},
    ]
    return parse_framework(data, source="<test>")


def _known_model(n: int = 2000, seed: int = 1):
    """Independent strands; impact = 0.5 s0 + 0.3 s1 + noise; speed = 0.6 s2 + noise."""
    fw = _framework_with_outcomes()
    rng = np.random.default_rng(seed)
    index = pd.Index([f"P{i}" for i in range(n)], name="person")
    strands = rng.normal(size=(n, 3))
    scores = pd.DataFrame(50 + 10 * strands, index=index, columns=fw.strand_ids)
    impact = 0.5 * strands[:, 0] + 0.3 * strands[:, 1] + rng.normal(scale=0.8, size=n)
    speed = 0.6 * strands[:, 2] + rng.normal(scale=0.8, size=n)
    outcomes = pd.DataFrame({"impact": impact, "speed": speed}, index=index)
    return fw, scores, outcomes


def test_betas_equal_an_independent_ols_on_z_scores():
    fw, scores, outcomes = _known_model()
    table = drivers.driver_table(scores, outcomes, fw, n_boot=0)
    z = (scores - scores.mean()) / scores.std()
    for group in ("impact", "speed"):
        y = (outcomes[group] - outcomes[group].mean()) / outcomes[group].std()
        ols = pg.linear_regression(z, y, add_intercept=True).set_index("names")["coef"]
        rows = table[table["outcome"] == group].set_index("strand")
        for strand in fw.strand_ids:
            assert rows.loc[strand, "beta"] == pytest.approx(ols[strand], abs=1e-9)
            assert rows.loc[strand, "r"] == pytest.approx(np.corrcoef(scores[strand], outcomes[group])[0, 1], abs=1e-12)
        assert (rows["n"] == len(scores)).all()
    assert table[["ci_low", "ci_high"]].isna().all().all()


def test_bootstrap_intervals_cover_the_truth_and_are_seeded():
    fw, scores, outcomes = _known_model()
    table = drivers.driver_table(scores, outcomes, fw, n_boot=300, seed=5).set_index(["outcome", "strand"])
    sd_impact = np.sqrt(0.5**2 + 0.3**2 + 0.8**2)
    truth = {("impact", "s0"): 0.5 / sd_impact, ("impact", "s1"): 0.3 / sd_impact, ("impact", "s2"): 0.0}
    for key, value in truth.items():
        row = table.loc[key]
        assert row["ci_low"] < value < row["ci_high"]
        assert row["ci_low"] < row["beta"] < row["ci_high"]
    assert table.loc[("speed", "s2"), "ci_low"] > 0.4
    again = drivers.driver_table(scores, outcomes, fw, n_boot=300, seed=5).set_index(["outcome", "strand"])
    pd.testing.assert_frame_equal(table, again)
    other = drivers.driver_table(scores, outcomes, fw, n_boot=300, seed=6).set_index(["outcome", "strand"])
    assert not np.allclose(table["ci_low"], other["ci_low"])


def test_relative_weights_split_r_squared():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 3))
    x[:, 1] += 0.7 * x[:, 0]                      # correlated predictors
    y = x @ [0.4, 0.2, 0.3] + rng.normal(size=500)
    weights = drivers.relative_weights(x, y)
    design = np.column_stack([np.ones(500), x])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r2 = 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert weights.sum() == pytest.approx(r2, abs=1e-10)
    assert (weights > 0).all()
    # for uncorrelated predictors the weights are the squared correlations
    raw = rng.normal(size=(500, 3))
    q, _ = np.linalg.qr(raw - raw.mean(axis=0))   # centred, exactly uncorrelated columns
    y2 = q @ [3.0, 1.0, 0.0] + 0.1 * rng.normal(size=500)
    r = np.array([np.corrcoef(q[:, j], y2)[0, 1] for j in range(3)])
    np.testing.assert_allclose(drivers.relative_weights(q, y2), r**2, atol=1e-3)


def test_strand_importance_is_a_distribution_led_by_the_real_drivers():
    fw, scores, outcomes = _known_model()
    imp = drivers.strand_importance(scores, outcomes, fw)
    assert list(imp.index) == fw.strand_ids
    assert (imp >= 0).all() and imp.sum() == pytest.approx(1.0)
    # s2 drives speed alone, s0 most of impact: both outrank s1
    assert imp["s2"] > imp["s1"] and imp["s0"] > imp["s1"]
    bagged = drivers.strand_importance(scores, outcomes, fw, n_boot=50, seed=1)
    assert bagged.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(bagged, imp, atol=0.05)


def test_synthetic_benchmark_drivers(bench600):
    fw = bench600.framework
    scores = maturity.score_responses(bench600.responses, fw)
    outcomes = maturity.score_outcomes(bench600.responses, fw)
    table = drivers.driver_table(scores, outcomes, fw, n_boot=100)
    assert len(table) == len(fw.strand_ids) * len(fw.outcomes)
    # every outcome rises with every strand, loosely (the business context matters too)
    assert (table["r"] > 0.2).all() and (table["r"] < 0.7).all()
    imp = drivers.strand_importance(scores, outcomes, fw)
    assert imp.sum() == pytest.approx(1.0) and len(imp) == 6


def test_no_outcomes_is_a_clear_error(small_framework):
    bench = maturity.generate_benchmark(50, framework=small_framework, seed=1)
    scores = maturity.score_responses(bench.responses, small_framework)
    outcomes = maturity.score_outcomes(bench.responses, small_framework)
    with pytest.raises(AnalysisError, match="defines no outcomes"):
        drivers.driver_table(scores, outcomes, small_framework)
    with pytest.raises(AnalysisError, match="defines no outcomes"):
        drivers.strand_importance(scores, outcomes, small_framework)
    fw, scores, outcomes = _known_model(n=50)
    with pytest.raises(AnalysisError, match="none of the framework's outcome groups"):
        drivers.driver_table(scores, outcomes.drop(columns=["impact", "speed"]), fw)
    with pytest.raises(AnalysisError, match="at least 6 are needed"):
        drivers.driver_table(scores.iloc[:4], outcomes.iloc[:4], fw)
