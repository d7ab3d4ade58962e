"""Reliability: agreement with pingouin (1e-9), psych's definitions, omega against semopy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import semopy
from scipy import optimize

import maturity
from maturity.analysis import reliability as ps
from maturity.errors import ParametersError
from maturity.framework import parse_framework
from maturity.scoring import answer_values

from .conftest import small_framework_dict


@pytest.fixture(scope="module")
def bench():
    return maturity.generate_benchmark(400, seed=11, missing_rate=0.08)


@pytest.fixture(scope="module")
def strand_data(bench):
    """One strand's reversed answers (with missing values) from the synthetic benchmark."""
    fw = bench.framework
    return ps.strand_items(bench.responses, fw, fw.strands[0])


def _unrounded_pingouin(monkeypatch, data, **kwargs):
    """pingouin rounds its CI to 3 decimals; run its own code with rounding disabled."""
    monkeypatch.setattr(np, "round", lambda a, decimals=0, out=None: np.asarray(a, dtype=float))
    try:
        return pg.cronbach_alpha(data=data, **kwargs)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("policy", ["pairwise", "listwise"])
def test_alpha_and_ci_equal_pingouin(strand_data, policy, monkeypatch):
    assert strand_data.isna().any().any(), "the test needs missing answers"
    ours = ps.scale_reliability(strand_data, missing=policy)
    alpha, ci = pg.cronbach_alpha(data=strand_data, nan_policy=policy)
    assert ours["alpha"] == pytest.approx(alpha, abs=1e-9)
    assert np.round([ours["alpha_ci_low"], ours["alpha_ci_high"]], 3).tolist() == ci.tolist()
    alpha_u, ci_u = _unrounded_pingouin(monkeypatch, strand_data, nan_policy=policy)
    assert ours["alpha_ci_low"] == pytest.approx(ci_u[0], abs=1e-9)
    assert ours["alpha_ci_high"] == pytest.approx(ci_u[1], abs=1e-9)


def test_median_policy_equals_pingouin_on_median_filled_data(strand_data, monkeypatch):
    filled = strand_data.fillna(strand_data.median())
    ours = ps.scale_reliability(strand_data, missing="median")
    alpha, ci = _unrounded_pingouin(monkeypatch, filled)
    assert ours["alpha"] == pytest.approx(alpha, abs=1e-9)
    assert [ours["alpha_ci_low"], ours["alpha_ci_high"]] == pytest.approx(list(ci), abs=1e-9)
    # and the policies really differ on data with missing answers
    assert abs(ours["alpha"] - ps.scale_reliability(strand_data)["alpha"]) > 1e-4


def test_every_strand_of_the_framework_equals_pingouin(bench):
    fw = bench.framework
    for policy in ps.MISSING_POLICIES:
        table = ps.reliability(bench.responses, fw, missing=policy)
        for strand in fw.strands:
            data = ps.strand_items(bench.responses, fw, strand)
            if policy == "median":
                expected = pg.cronbach_alpha(data=data.fillna(data.median()))[0]
            else:
                expected = pg.cronbach_alpha(data=data, nan_policy=policy)[0]
            assert table.loc[strand.id, "alpha"] == pytest.approx(expected, abs=1e-9)
            assert table.loc[strand.id, "n_respondents"] == len(data)
            assert table.loc[strand.id, "n_items"] == len(strand.items)


def test_reverse_coded_items_are_reversed_first(bench):
    fw = bench.framework
    strand = next(s for s in fw.strands if any(i.reverse for i in s.items))
    raw = answer_values(bench.responses, fw, strand.items)
    for item in strand.items:
        if item.reverse:
            scale = fw.scales[item.scale]
            raw[item.id] = scale.min + scale.max - raw[item.id]
    raw = raw[raw.notna().any(axis=1)]
    expected = pg.cronbach_alpha(data=raw)[0]
    assert ps.reliability(bench.responses, fw).loc[strand.id, "alpha"] == pytest.approx(expected, abs=1e-9)
    # without reversal the strand would look far less consistent
    unreversed = answer_values(bench.responses, fw, strand.items)
    assert pg.cronbach_alpha(data=unreversed)[0] < expected - 0.1


def test_alpha_if_deleted_equals_pingouin_without_the_item(strand_data):
    stats_ = ps.item_statistics(strand_data)
    for item in strand_data.columns:
        expected = pg.cronbach_alpha(data=strand_data.drop(columns=item))[0]
        assert stats_.loc[item, "alpha_if_deleted"] == pytest.approx(expected, abs=1e-9)
    # listwise: psych drops incomplete rows over all items, then removes the item
    listwise = ps.item_statistics(strand_data, missing="listwise")
    complete = strand_data.dropna()
    for item in strand_data.columns:
        expected = pg.cronbach_alpha(data=complete.drop(columns=item))[0]
        assert listwise.loc[item, "alpha_if_deleted"] == pytest.approx(expected, abs=1e-9)


def test_item_rest_correlation(strand_data):
    complete = strand_data.dropna()
    stats_ = ps.item_statistics(complete)
    for item in complete.columns:
        rest = complete.drop(columns=item).sum(axis=1)
        assert stats_.loc[item, "item_rest_r"] == pytest.approx(np.corrcoef(complete[item], rest)[0, 1], abs=1e-9)
    # pairwise: psych's r.drop from the pairwise covariance matrix
    cov = strand_data.cov()
    pairwise = ps.item_statistics(strand_data)
    for item in strand_data.columns:
        rest = [c for c in cov.columns if c != item]
        expected = cov.loc[item, rest].sum() / np.sqrt(cov.loc[item, item] * cov.loc[rest, rest].to_numpy().sum())
        assert pairwise.loc[item, "item_rest_r"] == pytest.approx(expected, abs=1e-9)


def test_pairwise_covariance_equals_pandas(strand_data):
    ours = ps.item_covariance(strand_data)
    np.testing.assert_allclose(ours.to_numpy(), strand_data.cov().to_numpy(), atol=1e-12, rtol=0)


def test_standardised_alpha_is_alpha_of_z_scores(strand_data):
    complete = strand_data.dropna()
    z = (complete - complete.mean()) / complete.std()
    ours = ps.scale_reliability(complete)
    assert ours["std_alpha"] == pytest.approx(pg.cronbach_alpha(data=z)[0], abs=1e-9)
    assert ours["std_alpha"] != pytest.approx(ours["alpha"], abs=1e-6)


@pytest.mark.filterwarnings("ignore:delta_grad == 0.0:UserWarning")
def test_omega_ml_matches_a_one_factor_cfa_in_semopy(strand_data):
    complete = strand_data.dropna()
    items = list(complete.columns)
    model = semopy.Model("f =~ " + " + ".join(items))
    model.fit(complete, solver="trust-constr")
    est = model.inspect()
    loadings = est[(est["op"] == "~") & (est["rval"] == "f")].set_index("lval")["Estimate"].astype(float)
    phi = float(est[(est["op"] == "~~") & (est["lval"] == "f") & (est["rval"] == "f")]["Estimate"].iloc[0])
    errors = est[(est["op"] == "~~") & (est["lval"] == est["rval"]) & (est["lval"] != "f")]
    theta = errors.set_index("lval")["Estimate"].astype(float)
    common = loadings[items].sum() ** 2 * phi
    expected = common / (common + theta[items].sum())
    assert ps.scale_reliability(complete)["omega_total"] == pytest.approx(expected, abs=1e-5)
    lam, psi = ps.one_factor(np.cov(complete.to_numpy(), rowvar=False))
    np.testing.assert_allclose(np.abs(lam) * np.sqrt(len(complete) - 1) / np.sqrt(len(complete)),
                               np.abs(loadings[items].to_numpy()) * np.sqrt(phi), rtol=2e-3)


def test_omega_minres_is_the_least_squares_one_factor_solution(strand_data):
    complete = strand_data.dropna()
    r = complete.corr().to_numpy()
    k = r.shape[0]
    off = ~np.eye(k, dtype=bool)

    def residual(lam):
        return (r - np.outer(lam, lam))[off]

    fit = optimize.least_squares(residual, np.full(k, 0.5), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    expected = 1 - (1 - fit.x**2).sum() / r.sum()   # psych::omega's omega.tot with one factor
    assert ps.scale_reliability(complete, omega="minres")["omega_total"] == pytest.approx(expected, abs=1e-8)


def test_any_framework_including_one_and_two_item_strands():
    data = small_framework_dict(n_strands=3, n_items=4)
    data["strands"][1]["items"] = data["strands"][1]["items"][:2]
    data["strands"][2]["items"] = data["strands"][2]["items"][:1]
    fw = parse_framework(data, source="<test>")
    bench = maturity.generate_benchmark(150, framework=fw, seed=3)
    report = ps.reliability_report(bench.responses, fw)
    assert list(report) == ["strands"]
    assert list(report["strands"]) == ["s0", "s1", "s2"]
    s0, s1, s2 = (report["strands"][k] for k in ("s0", "s1", "s2"))
    assert set(s0) == {"alpha", "alpha_ci", "omega_total", "n_respondents", "n_items", "items"}
    assert set(s0["items"]["q0_0"]) == {"item_rest_r", "alpha_if_deleted"}
    assert 0.5 < s0["alpha"] < 1 and s0["alpha_ci"][0] < s0["alpha"] < s0["alpha_ci"][1]
    assert s0["n_items"] == 4 and 0 < s0["omega_total"] < 1
    # two items: alpha exists, alpha-if-deleted and ML omega do not
    assert s1["alpha"] is not None and s1["omega_total"] is None
    assert s1["items"]["q1_0"]["alpha_if_deleted"] is None
    # one item: nothing to estimate
    assert s2["alpha"] is None and s2["alpha_ci"] == [None, None] and s2["n_items"] == 1


def test_respondents_without_any_answer_on_a_strand_are_left_out(bench):
    fw = bench.framework
    strand = fw.strands[0]
    responses = bench.responses.copy()
    ids = [i.id for i in strand.items]
    answered = responses[ids].notna().any(axis=1)  # a few skipped the strand already
    blank = responses.index[answered][:25]
    responses.loc[blank, ids] = np.nan
    table = ps.reliability(responses, fw)
    assert table.loc[strand.id, "n_respondents"] == answered.sum() - 25
    other = [i.id for i in fw.strands[1].items]
    assert table.loc[fw.strands[1].id, "n_respondents"] == responses[other].notna().any(axis=1).sum()


def test_unknown_policy_is_a_usage_error(strand_data):
    with pytest.raises(ParametersError, match="missing-data policy"):
        ps.scale_reliability(strand_data, missing="mean")
    with pytest.raises(ParametersError, match="omega estimator"):
        ps.scale_reliability(strand_data, omega="pca")


def test_data_quality_counts_missing_answers_and_straight_lining(framework):
    bench = maturity.generate_benchmark(100, seed=5, missing_rate=0.0)
    responses = bench.responses.copy()
    strand = framework.strands[0]
    ids = [i.id for i in strand.items]
    responses.loc[:9, ids] = 3                   # ten straight-liners
    responses.loc[10:14, ids] = np.nan           # five answered nothing
    responses.loc[15, ids[0]] = np.nan           # one blank answer
    quality = ps.data_quality(responses, framework)
    row = quality.loc[strand.id]
    assert row["missing_answers"] == pytest.approx((5 * len(ids) + 1) / (100 * len(ids)))
    assert row["unscored"] == pytest.approx(0.05)
    assert row["straight_lining"] >= 0.10
    assert quality.loc[framework.strands[1].id, "missing_answers"] == 0


def test_reversal_neither_fails_on_nor_changes_a_float_table(bench):
    """A float64 table converts to a read-only view; reversing must copy, not write into it."""
    fw = bench.framework
    floats = bench.responses.astype({i.id: "float64" for i in fw.items})
    before = floats.copy()
    reversed_ = answer_values(floats, fw, reverse=True)
    pd.testing.assert_frame_equal(floats, before)
    item = next(i for i in fw.items if i.reverse)
    scale = fw.scales[item.scale]
    expected = (scale.min + scale.max - floats[item.id]).to_numpy()
    np.testing.assert_array_equal(reversed_[item.id].to_numpy(), expected)
    assert ps.reliability(floats, fw)["alpha"].notna().all()
