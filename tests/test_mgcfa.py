"""The multi-group CFA engine against lavaan's published output, semopy's FIML and itself.

Published numbers: the lavaan tutorial (https://lavaan.ugent.be/tutorial/, pages "A first
example: CFA" and "Multiple groups"), whose sources and printed output are in the
repository yrosseel/lavaan.org.old: ``tutorial.src/cfa.tex`` (lavaan 0.5-13) and
``tutorial.src/groups.tex`` (lavaan 0.5-16, including semTools' measurementInvariance()).
The data are Holzinger & Swineford (1939) as shipped by semopy (the same 301 children and
columns as lavaan's HolzingerSwineford1939, with the ``school`` group column).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from maturity.analysis import cfa
from maturity.analysis.mgcfa import GroupSamples, MultiGroupCFA, parse_model
from maturity.errors import AnalysisError

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs():
    from semopy.examples import holzinger39

    return holzinger39.get_data()


@pytest.fixture(scope="module")
def hs_samples(hs):
    return GroupSamples.from_frame(hs, parse_model(HS_MODEL).items, hs["school"])


def _fit(samples, *equal, free=()):
    return MultiGroupCFA(HS_MODEL, equal=equal, free=free).fit(samples)


# --- lavaan's printed output ------------------------------------------------------------------


# (group.equal, chi2, dof, cfi, rmsea, bic) from semTools::measurementInvariance() in groups.tex
SEMTOOLS_SEQUENCE = [
    ((), 115.851, 48, 0.923, 0.097, 7706.822),
    (("loadings",), 124.044, 54, 0.921, 0.093, 7680.771),
    (("loadings", "intercepts"), 164.103, 60, 0.882, 0.107, 7686.588),
    (("loadings", "intercepts", "means"), 204.605, 63, 0.840, 0.122, 7709.969),
]


@pytest.mark.parametrize("equal, chi2, dof, cfi, rmsea, bic", SEMTOOLS_SEQUENCE,
                         ids=["configural", "metric", "scalar", "means"])
def test_holzinger_swineford_by_school_matches_lavaan_and_semtools(hs_samples, equal, chi2, dof, cfi, rmsea, bic):
    fit = _fit(hs_samples, *equal).fit_
    assert round(fit["chi2"], 3) == chi2
    assert fit["dof"] == dof
    assert round(fit["cfi"], 3) == cfi
    assert round(fit["rmsea"], 3) == rmsea
    assert round(fit["bic"], 3) == bic
    assert round(fit["pvalue"], 3) == 0.000
    assert fit["n"] == 301 and fit["baseline_dof"] == 2 * 36


def test_chi2_per_group_and_estimates_match_the_printed_lavaan_summaries(hs_samples):
    configural = _fit(hs_samples)
    assert {k: round(v, 3) for k, v in configural.fit_["chi2_by_group"].items()} == {"Pasteur": 64.309,
                                                                                    "Grant-White": 51.542}
    est = configural.estimates_.set_index(["group", "name"])["estimate"].round(3)
    assert est[("Pasteur", "visual=~x2")] == 0.394 and est[("Grant-White", "visual=~x2")] == 0.736
    assert est[("Pasteur", "speed=~x9")] == 0.922 and est[("Grant-White", "speed=~x9")] == 1.058
    assert est[("Pasteur", "x1~1")] == 4.941 and est[("Grant-White", "x4~1")] == 3.317
    assert est[("Pasteur", "visual~~visual")] == 1.097 and est[("Grant-White", "speed~~speed")] == 0.461

    metric = _fit(hs_samples, "loadings")
    assert {k: round(v, 3) for k, v in metric.fit_["chi2_by_group"].items()} == {"Pasteur": 68.825,
                                                                                 "Grant-White": 55.219}
    est = metric.estimates_.set_index(["group", "name"])["estimate"].round(3)
    for name, value in {"visual=~x2": 0.599, "visual=~x3": 0.784, "textual=~x5": 1.083, "textual=~x6": 0.912,
                        "speed=~x8": 1.201, "speed=~x9": 1.038}.items():
        assert est[("Pasteur", name)] == est[("Grant-White", name)] == value
    assert (est[("Pasteur", "visual~~textual")], est[("Pasteur", "visual~~speed")]) == (0.416, 0.169)
    assert (est[("Grant-White", "visual~~textual")], est[("Grant-White", "textual~~speed")]) == (0.437, 0.226)
    assert (est[("Pasteur", "x1~~x1")], est[("Grant-White", "x9~~x9")]) == (0.551, 0.532)
    assert (est[("Pasteur", "visual~~visual")], est[("Grant-White", "visual~~visual")]) == (0.805, 0.722)
    assert metric.estimates_.query("op == '=~' and free")["equal"].all()


def test_single_group_matches_the_lavaan_cfa_tutorial(hs):
    # cfa.tex: chi2 85.306 (24 df), baseline 918.852 (36), CFI 0.931, TLI 0.896, logL -3737.745,
    # h1 -3695.092, 21 parameters (30 with the mean structure), AIC 7517.490, BIC 7595.339, RMSEA 0.092
    fit = MultiGroupCFA(HS_MODEL).fit(GroupSamples.from_frame(hs, parse_model(HS_MODEL).items))
    m = fit.fit_
    assert (round(m["chi2"], 3), m["dof"], round(m["baseline_chi2"], 3), m["baseline_dof"]) == (85.306, 24, 918.852, 36)
    assert (round(m["cfi"], 3), round(m["tli"], 3), round(m["rmsea"], 3)) == (0.931, 0.896, 0.092)
    assert round(m["loglik"], 3) == -3737.745 and round(m["loglik"] + m["chi2"] / 2, 3) == -3695.092
    # lavaan counts 21 parameters without means; the 9 intercepts add 9 to AIC/BIC's q
    assert m["n_parameters"] == 30
    assert round(m["aic"] - 2 * 9, 3) == 7517.490
    assert round(m["bic"] - 9 * np.log(301), 3) == 7595.339


# --- FIML -------------------------------------------------------------------------------------


def test_fiml_equals_plain_ml_on_complete_data(hs):
    """No blanks: the engine (FIML code path) and semopy's ML fit give the same model."""
    items = parse_model(HS_MODEL).items
    mine = MultiGroupCFA(HS_MODEL).fit(GroupSamples.from_frame(hs, items, missing="ml"))
    listwise = MultiGroupCFA(HS_MODEL).fit(GroupSamples.from_frame(hs, items, missing="listwise"))
    semopy_ml = cfa.fit_cfa(hs[items], HS_MODEL, missing="listwise")
    assert mine.fit_["chi2"] == pytest.approx(semopy_ml.chi2, abs=1e-6)
    assert mine.fit_["chi2"] == pytest.approx(listwise.fit_["chi2"], abs=1e-9)
    for key in ("cfi", "tli", "rmsea", "baseline_chi2"):
        assert mine.fit_[key] == pytest.approx(getattr(semopy_ml, key), abs=1e-7)
    # with saturated means the mean residuals are 0: lavaan's SRMR with means is the covariance
    # SRMR rescaled to the p(p+1)/2 + p moments
    assert mine.fit_["srmr"] == pytest.approx(semopy_ml.srmr * np.sqrt(45 / 54), abs=1e-7)
    loadings = mine.estimates_.query("op == '=~'").set_index("rhs")["estimate"]
    semopy_loadings = semopy_ml.loadings().set_index("item")["estimate"]
    assert np.allclose(loadings[semopy_loadings.index], semopy_loadings, atol=1e-5)


def _with_blanks(frame: pd.DataFrame, rate: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return frame.mask(rng.random(frame.shape) < rate)


def test_fiml_log_likelihood_is_the_sum_of_each_respondents_observed_density(hs):
    """The pattern algebra (Sigma_oo^-1 from K) against scipy's normal density, case by case."""
    items = parse_model(HS_MODEL).items
    data = _with_blanks(hs[items], 0.2, seed=3)
    data.iloc[0, :5] = np.nan                      # a case missing five items
    data.iloc[1, :] = np.nan                       # a case with no answer is left out
    groups = hs["school"].to_numpy()
    samples = GroupSamples.from_frame(data, items, groups)
    assert samples.n == 300 and sum(samples.n_dropped.values()) == 1
    fit = MultiGroupCFA(HS_MODEL, equal=("loadings",)).fit(samples)
    expected = 0.0
    for g, name in enumerate(samples.names):
        mu, sigma = fit.implied(name)
        for row in data[groups == name].to_numpy():
            seen = np.isfinite(row)
            if seen.any():
                expected += stats.multivariate_normal(mu[seen], sigma[np.ix_(seen, seen)]).logpdf(row[seen])
    assert fit.loglik_ == pytest.approx(expected, rel=1e-12)
    # the saturated (EM) fit is a maximum: the model cannot beat it
    assert fit.fit_["chi2"] > 0 and all(v > 0 for v in fit.fit_["chi2_by_group"].values())


def test_fiml_agrees_with_semopys_fiml(hs):
    import semopy

    model = "textual =~ x4 + x5 + x6 + x1"          # small, so that semopy's SLSQP takes about a second
    items = parse_model(model).items
    data = _with_blanks(hs[items].iloc[:160].reset_index(drop=True), 0.1, seed=8)
    fit = MultiGroupCFA(model).fit(GroupSamples.from_frame(data, items))
    sem = semopy.ModelMeans(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            result = sem.fit(data, obj="ML")     # ModelMeans' "ML" is FIML with a mean structure
        finally:
            logging.disable(logging.NOTSET)
    # semopy minimises -2 logL without the constant n_observed log(2 pi)
    constant = np.isfinite(data.to_numpy()).sum() * np.log(2 * np.pi)
    mine = -2 * fit.loglik_ - constant
    assert mine <= result.fun + 1e-8                  # at least as good an optimum
    assert mine == pytest.approx(result.fun, abs=1e-4)
    table = sem.inspect()
    for row in table[(table["op"] == "~") & (table["rval"] == "textual")].itertuples():
        ours = fit.estimates_.query("op == '=~' and lhs == @row.rval and rhs == @row.lval")["estimate"].item()
        assert ours == pytest.approx(float(row.Estimate), abs=2e-3)


def test_analytic_gradient_matches_finite_differences(hs):
    items = parse_model(HS_MODEL).items
    samples = GroupSamples.from_frame(_with_blanks(hs[items], 0.1, seed=5), items, hs["school"])
    fit = MultiGroupCFA(HS_MODEL, equal=("loadings", "intercepts")).fit(samples)
    problem = fit.problem_
    theta = fit.theta_ + np.random.default_rng(0).normal(0, 0.02, size=len(fit.theta_))
    _ll, grad, _ = problem.loglik_gradient(theta)
    h = 1e-6
    numeric = np.array([(problem.loglik(theta + h * e) - problem.loglik(theta - h * e)) / (2 * h)
                        for e in np.eye(len(theta))])
    assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-4)


# --- score tests ------------------------------------------------------------------------------


def test_score_test_is_the_lagrange_multiplier_of_the_released_model(hs_samples):
    """The Schur-complement shortcut equals g' I^-1 g computed in the extended model."""
    scalar = _fit(hs_samples, "loadings", "intercepts")
    tests = scalar.score_tests("intercepts").set_index("parameter")
    assert list(tests.index[:2]) == ["x3~1", "x7~1"]           # the intercepts that differ most
    assert (tests["dof"] == 1).all() and len(tests) == 9

    extended = MultiGroupCFA(HS_MODEL, equal=("loadings", "intercepts"), free=["x3~1"])
    problem = extended._prepare(hs_samples)
    theta = np.zeros(problem.layout.n_free)
    for g in range(2):
        values = scalar.problem_.values(scalar.theta_, g)
        idx = problem.layout.index[g]
        theta[idx[idx >= 0]] = values[idx >= 0]
    _ll, grad, _ = problem.loglik_gradient(theta)
    info, _ = problem.information(theta)
    lm = grad @ np.linalg.solve(info, grad)
    assert tests.loc["x3~1", "statistic"] == pytest.approx(lm, rel=1e-6)
    # and it approximates the likelihood-ratio test of freeing that intercept
    released = _fit(hs_samples, "loadings", "intercepts", free=["x3~1"])
    lr = scalar.fit_["chi2"] - released.fit_["chi2"]
    assert lm == pytest.approx(lr, rel=0.2)


def test_freeing_named_parameters_follows_lavaans_group_partial(hs_samples):
    scalar = _fit(hs_samples, "loadings", "intercepts")
    partial = _fit(hs_samples, "loadings", "intercepts", free=["x7 ~ 1", "visual=~x2"])
    assert partial.fit_["dof"] == scalar.fit_["dof"] - 2
    est = partial.estimates_.set_index(["group", "name"])
    assert not est.loc[("Pasteur", "x7~1"), "equal"] and est.loc[("Pasteur", "x8~1"), "equal"]
    assert est.loc[("Pasteur", "x7~1"), "estimate"] != est.loc[("Grant-White", "x7~1"), "estimate"]
    assert "x7~1" not in scalar.constrained("loadings") and "x7~1" in scalar.constrained("intercepts")


# --- bad models -------------------------------------------------------------------------------


@pytest.mark.parametrize("model, message", [
    ("f =~ a\ng =~ b + c + d", "single item"),
    ("f =~ a + b", "lone factor"),
    ("f =~ a + b + c\nf ~ g", "measurement statements only"),
    ("f =~ a + lab*b + c", "only numbers may premultiply"),
    ("f =~ a + b + c\nx ~~ a", "not in the measurement part"),
    ("f =~ a + b + c\ng =~ f + d + e", "higher-order"),
    ("just some words", "cannot be read"),
])
def test_unreadable_or_unidentified_models_are_rejected(model, message):
    with pytest.raises(AnalysisError, match=message):
        parse_model(model)


def test_freeing_every_intercept_of_a_factor_leaves_its_mean_unidentified(hs_samples):
    with pytest.raises(AnalysisError, match="not identified.*visual~1"):
        _fit(hs_samples, "loadings", "intercepts", free=["x1~1", "x2~1", "x3~1"])


def test_unknown_or_fixed_parameters_cannot_be_freed(hs_samples):
    with pytest.raises(AnalysisError, match="cannot free x99~1: not a parameter"):
        _fit(hs_samples, "loadings", "intercepts", free=["x99~1"])
    with pytest.raises(AnalysisError, match="sets the factor's scale"):
        _fit(hs_samples, "loadings", free=["visual=~x1"])


def test_more_parameters_than_moments_is_not_identified():
    rng = np.random.default_rng(1)
    data = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    model = "f =~ a + b + c\na ~~ b\nb ~~ c\na ~~ c"
    with pytest.raises(AnalysisError, match="not identified: it has 12 free parameters but the data give only 9"):
        MultiGroupCFA(model).fit(GroupSamples.from_frame(data, ["a", "b", "c"]))


def test_an_item_nobody_in_a_group_answered_is_named(hs):
    items = parse_model(HS_MODEL).items
    data = hs[items].copy()
    data.loc[hs["school"] == "Pasteur", "x5"] = np.nan
    with pytest.raises(AnalysisError, match="group Pasteur nobody .* answered x5"):
        GroupSamples.from_frame(data, items, hs["school"])
