"""CFA: chi2/dof derived independently from the estimates, saturated models, fit indices
against semopy's own statistics, and clear errors for unidentified or failed models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import semopy

import maturity
from maturity.analysis import cfa
from maturity.analysis.reliability import one_factor
from maturity.errors import AnalysisError
from maturity.framework import parse_framework

from .conftest import small_framework_dict


def _two_factor_data(n: int = 800, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phi = np.array([[1.0, 0.45], [0.45, 1.0]])
    factors = rng.multivariate_normal([0, 0], phi, size=n)
    loadings = np.array([[0.9, 0], [0.7, 0], [0.8, 0], [0, 0.6], [0, 0.9], [0, 0.75]])
    x = factors @ loadings.T + rng.normal(scale=0.6, size=(n, 6))
    return pd.DataFrame(x, columns=["a", "b", "c", "d", "e", "f"])


TWO_FACTOR = "f1 =~ a + b + c\nf2 =~ d + e + f"


def _implied_from_estimates(est: pd.DataFrame, items: list[str], factors: list[str]) -> np.ndarray:
    """Sigma = Lambda Phi Lambda' + Theta, rebuilt from the parameter table alone."""
    lam = np.zeros((len(items), len(factors)))
    phi = np.zeros((len(factors), len(factors)))
    theta = np.zeros((len(items), len(items)))
    for _, row in est.iterrows():
        value = float(row["Estimate"])
        if row["op"] == "~":
            lam[items.index(row["lval"]), factors.index(row["rval"])] = value
        elif row["op"] == "~~" and row["lval"] in factors:
            i, j = factors.index(row["lval"]), factors.index(row["rval"])
            phi[i, j] = phi[j, i] = value
        elif row["op"] == "~~":
            i, j = items.index(row["lval"]), items.index(row["rval"])
            theta[i, j] = theta[j, i] = value
    return lam @ phi @ lam.T + theta


def test_chi2_is_n_times_the_ml_discrepancy_at_the_estimates():
    data = _two_factor_data()
    fit = cfa.fit_cfa(data, TWO_FACTOR)
    items = list("abcdef")
    sigma = _implied_from_estimates(fit.estimates, items, ["f1", "f2"])
    s = np.cov(data[items].to_numpy(), rowvar=False, ddof=0)   # ML sample covariance, divisor N
    discrepancy = (np.linalg.slogdet(sigma)[1] + np.trace(s @ np.linalg.inv(sigma))
                   - np.linalg.slogdet(s)[1] - len(items))
    assert fit.n == len(data)
    assert fit.chi2 == pytest.approx(len(data) * discrepancy, rel=1e-8)
    free = fit.estimates["Std. Err"].astype(str).ne("-").sum()
    assert fit.n_parameters == free == 13          # 4 loadings + 6 errors + 2 variances + 1 covariance
    assert fit.dof == 6 * 7 // 2 - 13 == 8
    # the true model fits: no misfit beyond chance
    assert fit.cfi > 0.99 and fit.rmsea < 0.05 and fit.srmr < 0.03


def test_one_factor_chi2_matches_an_independent_ml_factor_analysis():
    rng = np.random.default_rng(9)
    f = rng.normal(size=(600, 1))
    data = pd.DataFrame(f @ [[0.8, 0.6, 0.7, 0.9, 0.5]] + rng.normal(scale=0.7, size=(600, 5)), columns=list("vwxyz"))
    fit = cfa.fit_cfa(data, "g =~ v + w + x + y + z")
    s = np.cov(data.to_numpy(), rowvar=False, ddof=0)
    lam, psi = one_factor(s, "ml")                   # factanal's algorithm, not semopy
    expected = len(data) * cfa.ml_discrepancy(s, np.outer(lam, lam) + np.diag(psi))
    assert fit.chi2 == pytest.approx(expected, rel=1e-6)
    assert fit.dof == 15 - 10


def test_saturated_model_has_zero_chi2_and_perfect_fit():
    data = _two_factor_data()[["a", "b", "c"]]
    fit = cfa.fit_cfa(data, "f =~ a + b + c")
    assert fit.dof == 0
    assert fit.chi2 == pytest.approx(0.0, abs=1e-6)
    assert fit.cfi == 1.0 and fit.tli == 1.0 and fit.rmsea == 0.0
    assert fit.srmr == pytest.approx(0.0, abs=1e-6)


def test_fit_indices_agree_with_semopy_up_to_its_documented_n_minus_1():
    data = _two_factor_data(seed=7)
    fit = cfa.fit_cfa(data, "g =~ a + b + c + d + e + f")   # misspecified: one factor for two
    model = semopy.Model("g =~ a + b + c + d + e + f")
    model.fit(data)
    sem = semopy.calc_stats(model).T["Value"]
    assert fit.dof == int(sem["DoF"]) and fit.baseline_dof == int(sem["DoF Baseline"])
    assert fit.chi2 == pytest.approx(sem["chi2"], rel=1e-4)
    assert fit.baseline_chi2 == pytest.approx(sem["chi2 Baseline"], rel=1e-6)
    assert fit.cfi == pytest.approx(sem["CFI"], abs=1e-5)
    assert fit.tli == pytest.approx(sem["TLI"], abs=1e-5)
    n = len(data)   # lavaan divides by N in the RMSEA, semopy by N - 1
    assert fit.rmsea == pytest.approx(sem["RMSEA"] * np.sqrt((n - 1) / n), rel=1e-4)
    assert fit.rmsea > 0.1 and fit.cfi < 0.95
    assert fit.srmr > cfa.fit_cfa(data, TWO_FACTOR).srmr


def test_baseline_chi2_is_the_independence_model_and_srmr_is_bentlers():
    s = np.array([[1.0, 0.5, 0.3], [0.5, 2.0, 0.4], [0.3, 0.4, 1.5]])
    sigma = np.array([[1.0, 0.45, 0.35], [0.45, 2.0, 0.4], [0.35, 0.4, 1.4]])
    out = cfa.fit_indices(s, sigma, n=200, n_parameters=5)
    assert out["baseline_chi2"] == pytest.approx(200 * cfa.ml_discrepancy(s, np.diag(np.diag(s))))
    assert out["dof"] == 1 and out["baseline_dof"] == 3
    resid = [0, (0.5 - 0.45) / np.sqrt(2.0), (0.3 - 0.35) / np.sqrt(1.5), 0, 0, (1.5 - 1.4) / 1.5]
    assert out["srmr"] == pytest.approx(np.sqrt(np.mean(np.square(resid))))


@pytest.mark.parametrize(
    "model, reason",
    [
        ("f =~ a + b", "only factor, f, has 2 items"),
        ("f1 =~ a + b + c\nf2 =~ d", "single item"),
        ("f =~ a + b + c\na ~~ b\nb ~~ c\na ~~ c", "free parameters"),
    ],
)
def test_unidentified_models_are_rejected_with_the_reason(model, reason):
    with pytest.raises(AnalysisError, match="not identified") as info:
        cfa.fit_cfa(_two_factor_data(), model)
    assert reason in str(info.value)


def test_a_model_that_does_not_converge_is_reported(monkeypatch):
    real_fit = semopy.Model.fit

    def failing_fit(self, *args, **kwargs):
        result = real_fit(self, *args, **kwargs)
        result.success = False
        result.message = "Iteration limit reached"
        self.param_vals = self.param_vals * np.nan
        return result

    monkeypatch.setattr(semopy.Model, "fit", failing_fit)
    with pytest.raises(AnalysisError, match="did not converge.*Iteration limit"):
        cfa.fit_cfa(_two_factor_data(), TWO_FACTOR)


def test_unknown_items_and_too_few_respondents():
    data = _two_factor_data()
    with pytest.raises(AnalysisError, match="lack: zz"):
        cfa.fit_cfa(data, "f =~ a + b + zz")
    with pytest.raises(AnalysisError, match="complete respondents"):
        cfa.fit_cfa(data.iloc[:5], TWO_FACTOR)


def test_framework_model_on_another_framework_with_listwise_deletion():
    data = small_framework_dict(n_strands=2, n_items=4)
    data["strands"][0]["id"] = "s-zero"                                   # ids semopy cannot parse
    data["strands"][0]["items"] = [dict(i, id=f"q.{k}") for k, i in enumerate(data["strands"][0]["items"])]
    data["strands"][1]["items"][3]["reverse"] = True
    fw = parse_framework(data, source="<test>")
    bench = maturity.generate_benchmark(500, framework=fw, seed=2, missing_rate=0.02)
    fit = cfa.framework_cfa(bench.responses, fw, missing="listwise")
    complete = bench.responses[fw.item_ids].notna().all(axis=1).sum()
    assert fit.n == complete and fit.n_excluded == 500 - complete
    assert fit.dof == 8 * 9 // 2 - 17
    loadings = fit.loadings()
    assert set(loadings["factor"]) == {"s-zero", "s1"}
    assert set(loadings["item"]) == set(fw.item_ids)
    # the reverse-worded item was reversed first, so it loads positively
    assert loadings.set_index("item").loc["q1_3", "std_all"] > 0.5
    assert set(fit.to_dict()) == {"chi2", "dof", "cfi", "tli", "rmsea", "srmr", "n", "missing"}
    assert fit.description.startswith("s_zero =~ q_0 + q_1")   # the model as semopy read it


def test_display_tables():
    fit = cfa.fit_cfa(_two_factor_data(), TWO_FACTOR)
    table = fit.fit_table()
    assert table.loc["CFI", "value"] == f"{fit.cfi:.3f}" and table.loc["chi2 (dof)", "value"].endswith("(8)")
    summary = fit.loading_summary({"f1": "First"})
    assert list(summary.index) == ["First", "f2"] and summary["items"].tolist() == [3, 3]
    std = fit.loadings().set_index("item")["std_all"]
    assert summary.loc["f2", "max"] == pytest.approx(std[["d", "e", "f"]].max())
