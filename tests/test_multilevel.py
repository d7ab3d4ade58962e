"""ICC(1), ICC(2), rwg and rwg(j) (maturity.analysis.multilevel)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from maturity.analysis.multilevel import group_summary, icc, icc_from_summary, rwg, rwg_j, uniform_null_variance
from maturity.errors import AnalysisError


def unequal_groups(seed: int = 7, n_groups: int = 40, share: float = 0.3) -> pd.DataFrame:
    """Groups of 3 to 60 members; ``share`` of the variance between groups."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 61, size=n_groups)
    group = np.repeat(np.arange(n_groups), sizes)
    effect = rng.normal(0, np.sqrt(share), n_groups)[group]
    return pd.DataFrame({"org": group.astype(str), "x": 3 + effect + rng.normal(0, np.sqrt(1 - share), len(group))})


def test_icc_equals_the_anova_formulas_from_pingouin():
    data = unequal_groups()
    table = pg.anova(data=data, dv="x", between="org", detailed=True).set_index("Source")
    msb, msw = table.loc["org", "MS"], table.loc["Within", "MS"]
    sizes = data.groupby("org").size().to_numpy(float)
    total, groups = sizes.sum(), len(sizes)
    k = (total - (sizes ** 2).sum() / total) / (groups - 1)
    result = icc(data, "x", "org")
    assert result["msb"] == pytest.approx(msb, abs=1e-9)
    assert result["msw"] == pytest.approx(msw, abs=1e-9)
    assert result["k"] == pytest.approx(k, abs=1e-12)
    assert result["icc1"] == pytest.approx((msb - msw) / (msb + (k - 1) * msw), abs=1e-9)
    assert result["icc2"] == pytest.approx((msb - msw) / msb, abs=1e-9)
    assert (result["n"], result["n_groups"]) == (len(data), groups)


def test_icc2_matches_the_f_ratio_of_scipy():
    data = unequal_groups(seed=3)
    f, _ = stats.f_oneway(*[g["x"].to_numpy() for _, g in data.groupby("org")])
    assert icc(data, "x", "org")["icc2"] == pytest.approx(1 - 1 / f, abs=1e-9)
    assert icc(data, "x", "org")["f"] == pytest.approx(f, rel=1e-9)


def test_summary_of_a_group_of_one_and_missing_values():
    summary = group_summary([1.0, 2.0, np.nan, 5.0], ["a", "a", "a", "b"])
    assert summary.loc["a", "n"] == 2 and summary.loc["a", "mean"] == 1.5 and summary.loc["a", "var"] == 0.5
    assert summary.loc["b", "n"] == 1 and np.isnan(summary.loc["b", "var"])
    # the group of one adds to the between-group but not the within-group sum of squares
    result = icc_from_summary(summary["n"], summary["mean"], summary["var"])
    assert result["msw"] == pytest.approx(0.5)
    grand = 8 / 3
    assert result["msb"] == pytest.approx(2 * (1.5 - grand) ** 2 + (5 - grand) ** 2)


def test_too_few_groups_give_no_icc():
    result = icc_from_summary([5], [3.0], [1.0])
    assert np.isnan(result["icc1"]) and np.isnan(result["icc2"]) and result["n_groups"] == 1


@pytest.mark.parametrize("share", [0.05, 0.2, 0.5])
def test_planted_between_group_share_is_recovered_within_sampling_error(share):
    rng = np.random.default_rng(11)
    n_groups, size = 300, 30
    group = np.repeat(np.arange(n_groups), size)
    x = rng.normal(0, np.sqrt(share), n_groups)[group] + rng.normal(0, np.sqrt(1 - share), len(group))
    estimate = icc(pd.DataFrame({"g": group, "x": x}), "x", "g")["icc1"]
    # Large-sample standard error of ICC(1) with equal groups (Fisher; Donner, 1986).
    se = np.sqrt(2 * (1 - share) ** 2 * (1 + (size - 1) * share) ** 2 / (size * (size - 1) * (n_groups - 1)))
    assert abs(estimate - share) < 3 * se


def test_rwg_uses_the_uniform_null_variance():
    assert uniform_null_variance(5) == 2.0
    assert rwg(0.5, 5) == pytest.approx(0.75)
    assert rwg(3.0, 5) == 0.0  # more spread than a uniform answer: no agreement
    assert np.isnan(rwg(np.nan, 5))
    with pytest.raises(AnalysisError):
        uniform_null_variance(1)


def test_rwg_j_follows_james_demaree_and_wolf():
    # J = 4 items, mean variance 0.5 on a 5-point scale: ratio 0.25
    value = rwg_j(np.array([[0.4, 0.6, 0.5, 0.5]]), 5)[0]
    assert value == pytest.approx(4 * 0.75 / (4 * 0.75 + 0.25))
    both = rwg_j(np.array([[0.4, np.nan], [2.5, 2.5], [np.nan, np.nan]]), 5)
    assert both[0] == pytest.approx(1 * 0.8 / (0.8 + 0.2))
    assert both[1] == 0.0 and np.isnan(both[2])
