"""Programme evaluation: the statistics against reference libraries and planted effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from maturity.evaluation import evaluate
from maturity.evaluation.chain import chain_of_evidence
from maturity.evaluation.learning import learning_summary
from maturity.evaluation.norms import evaluation_summary, programme_norms, value_evidence_block
from maturity.evaluation.paired import cohen_dz, dz_interval, hedges_gav
from maturity.evaluation.plan import Kpi
from maturity.evaluation.reaction import net_promoter_score, nps_bootstrap, reaction_summary
from maturity.evaluation.results import (
    COMPARISON, ESTIMATES, UNISOLATED, did, did_draws, participant_adjusted, resampling_weights,
    results_summary,
)
from maturity.evaluation.roi import roi_summary
from maturity.evaluation.success_cases import success_cases
from maturity.evaluation.synthetic import PLANTED, simulate_results_panel, write_synthetic_programme


@pytest.mark.parametrize("seed", range(5))
def test_dz_and_gav_equal_pingouin(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 300))
    pre = rng.normal(50, 10, n)
    post = pre + rng.normal(5, 7, n)
    assert cohen_dz(pre, post) == pytest.approx(pg.compute_effsize(post, pre, paired=True, eftype="cohen_dz"),
                                                abs=1e-9)
    assert hedges_gav(pre, post) == pytest.approx(pg.compute_effsize(post, pre, paired=True, eftype="hedges"),
                                                  abs=1e-9)


def test_dz_interval_inverts_the_noncentral_t():
    dz, n = 0.6, 40
    lo, hi = dz_interval(dz, n, 0.95)
    t = dz * np.sqrt(n)
    assert stats.nct.cdf(t, n - 1, lo * np.sqrt(n)) == pytest.approx(0.975, abs=1e-9)
    assert stats.nct.cdf(t, n - 1, hi * np.sqrt(n)) == pytest.approx(0.025, abs=1e-9)
    assert lo < dz < hi


def test_learning_summary_values():
    frame = pd.DataFrame({"learner_id": list("abcdef"), "pre": [40, 50, 60, 55, 45, np.nan],
                          "post": [50, 58, 61, 70, 52, 80]})
    out = learning_summary(frame, (0, 100), n_boot=500, rng=np.random.default_rng(1))
    pre, post = np.array([40, 50, 60, 55, 45.0]), np.array([50, 58, 61, 70, 52.0])
    assert out["n"] == 5 and out["n_incomplete"] == 1
    assert out["change"]["estimate"] == pytest.approx(8.2)
    assert out["d_z"]["estimate"] == pytest.approx(pg.compute_effsize(post, pre, paired=True, eftype="cohen_dz"))
    assert out["normalised_gain"]["estimate"] == pytest.approx(8.2 / (100 - 50))
    lo, hi = out["change"]["ci"]
    ref = stats.ttest_rel(post, pre).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ref.low, ref.high))


def test_nps_and_its_bootstrap():
    answers = np.array([10, 9, 9, 8, 7, 6, 3, 10, 0, 9])
    assert net_promoter_score(answers) == pytest.approx(100 * (5 / 10 - 3 / 10))
    draws = nps_bootstrap(answers, n_boot=4000, rng=np.random.default_rng(0))
    # Resampling answers only changes the category counts: the draws' mean is the NPS.
    assert draws.mean() == pytest.approx(20, abs=1.5)
    assert draws.min() >= -100 and draws.max() <= 100
    frame = pd.DataFrame({"learner_id": range(10), "q1": [4, 5, 3, 4, 4, 5, 2, 5, 1, 4], "recommend": answers})
    out = reaction_summary(frame, ["q1"], (1, 5), n_boot=1000, rng=np.random.default_rng(0))
    assert out["nps"]["estimate"] == pytest.approx(20)
    assert out["nps"]["ci"][0] < 20 < out["nps"]["ci"][1]
    assert out["overall"]["percent"] == pytest.approx(100 * (3.7 - 1) / 4)


def test_did_equals_statsmodels_formula_with_cluster_errors():
    panel = simulate_results_panel(60, 60, effect=5.0, rng=np.random.default_rng(3))
    codes = pd.factorize(panel["team"])[0]
    ours = did(panel, "sales", codes)
    frame = panel.assign(trained=(panel["group"] == "trained").astype(int), after=(panel["period"] == "after").astype(int))
    ref = smf.ols("sales ~ trained * after", frame).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    assert ours["estimate"] == pytest.approx(ref.params["trained:after"], abs=1e-9)
    assert ours["se"] == pytest.approx(ref.bse["trained:after"], abs=1e-9)
    assert ours["ci"] == pytest.approx(list(ref.conf_int().loc["trained:after"]), abs=1e-9)
    cells = ours["cells"]
    by_cells = (cells["trained_after"] - cells["trained_before"]) - (cells["comparison_after"] - cells["comparison_before"])
    assert ours["estimate"] == pytest.approx(by_cells, abs=1e-9)
    # An unresampled draw (every cluster once) gives the estimate itself.
    ones = np.ones((1, codes.max() + 1))
    assert did_draws(panel, "sales", codes, ones)[0] == pytest.approx(ours["estimate"], abs=1e-9)


def test_did_interval_covers_the_planted_effect_at_its_nominal_rate():
    """Over 200 seeds the 95% cluster-robust interval covers the planted effect about 95% of the time."""
    planted, hits, n_seeds = 4.0, 0, 200
    for seed in range(n_seeds):
        panel = simulate_results_panel(48, 48, effect=planted, team_size=4, rng=np.random.default_rng(seed))
        lo, hi = did(panel, "sales", pd.factorize(panel["team"])[0])["ci"]
        hits += lo <= planted <= hi
    # 95% of 200 is 190; a binomial 99.9% band is about 180 to 198.
    assert 180 <= hits <= 199, hits


def test_resampling_weights_count_every_draw():
    weights = resampling_weights(7, 50, np.random.default_rng(0))
    assert weights.shape == (50, 7)
    assert (weights.sum(axis=1) == 7).all()


def test_participant_estimates_adjust_by_contribution_and_confidence():
    results = pd.DataFrame({
        "unit_id": ["a", "a", "b", "b", "c", "c"], "group": "trained", "period": ["before", "after"] * 3,
        "sales": [10, 20, 10, 14, 10, 30],
    })
    estimates = pd.DataFrame({"learner_id": ["a", "b"], "kpi": "sales", "contribution": [0.5, 1.0],
                              "confidence": [0.8, 0.5]})
    adjusted = participant_adjusted(results, "sales", estimates)
    # c gave no estimate: no improvement is credited to the programme.
    assert adjusted["adjusted"].to_dict() == pytest.approx({"a": 4.0, "b": 2.0, "c": 0.0})
    entries, draws, prepared = results_summary(results, {"sales": Kpi("sales", 10.0)}, estimates, n_boot=200,
                                               rng=np.random.default_rng(0))
    assert prepared.design == ESTIMATES
    entry = entries["sales"]
    assert entry["effect"]["estimate"] == pytest.approx(2.0)
    assert entry["benefit"]["estimate"] == pytest.approx(2.0 * 3 * 10.0)
    assert "weaker" in entry["effect"]["method"]
    assert entry["did"]["estimate"] is None and "no comparison group" in entry["did"]["method"]
    _, _, unisolated = results_summary(results, {"sales": Kpi("sales", 10.0)}, None, n_boot=200)
    assert unisolated.design == UNISOLATED


def test_roi_arithmetic_and_conservative_reading():
    draws = {"a": np.linspace(800, 1200, 1001), "b": np.full(1001, 500.0)}
    out = roi_summary({"a": 1000.0, "b": 500.0}, draws, 1000.0, n_clusters=20)
    assert out["benefit"]["estimate"] == 1500
    assert out["percent"]["estimate"] == pytest.approx(50)
    assert out["bcr"]["estimate"] == pytest.approx(1.5)
    assert out["percent"]["conservative"] == pytest.approx(out["percent"]["ci"][0])
    # Bootstrap standard error, inflated by sqrt(G / (G - 1)), times t on G - 1 df.
    half = stats.t.ppf(0.975, 19) * np.std(np.linspace(800, 1200, 1001), ddof=1) * np.sqrt(20 / 19)
    assert out["benefit"]["ci"] == pytest.approx([1500 - half, 1500 + half])
    assert out["percent"]["ci"][0] == pytest.approx(100 * (1500 - half - 1000) / 1000)
    assert out["bcr"]["ci"][1] == pytest.approx((1500 + half) / 1000)
    assert out["break_even_probability"] == 1.0


def test_down_kpi_benefit_is_positive_when_it_falls():
    panel = simulate_results_panel(40, 40, effect=-3.0, rng=np.random.default_rng(5), kpi="errors")
    entries, draws, _ = results_summary(panel.rename(columns={"team": "cluster"}),
                                        {"errors": Kpi("errors", 20.0, "down")}, None, n_boot=300,
                                        rng=np.random.default_rng(0))
    entry = entries["errors"]
    assert entry["effect"]["estimate"] < 0 < entry["effect"]["improvement"]
    assert entry["benefit"]["estimate"] == pytest.approx(-entry["effect"]["estimate"] * 40 * 20.0)
    assert entry["did"]["n_clusters"] == panel["team"].nunique()


def test_chain_and_success_cases():
    rng = np.random.default_rng(0)
    e = rng.normal(size=300)
    table = pd.DataFrame({"reaction": e + rng.normal(size=300), "learning": e + rng.normal(size=300),
                          "behaviour": rng.normal(size=300), "results": rng.normal(size=300)},
                         index=[f"L{i}" for i in range(300)])
    chain = chain_of_evidence(table)
    first = chain["links"][0]
    ref = pg.corr(table["reaction"], table["learning"])
    assert first["estimate"] == pytest.approx(ref["r"].iloc[0])
    assert first["ci"] == pytest.approx(list(ref["CI95"].iloc[0]), abs=5e-3)
    assert first["holds"] and chain["breaks_at"] == "learning -> behaviour"
    stories = pd.DataFrame({"learner_id": ["L1"], "story": ["It changed how I plan."]})
    cases = success_cases(table, stories, k=3)
    assert len(cases["most"]) == 3 and len(cases["least"]) == 3
    assert cases["most"][0]["score"] >= cases["most"][-1]["score"] > cases["least"][-1]["score"]


def test_synthetic_programme_recovers_its_planted_effects(tmp_path):
    programme = write_synthetic_programme(tmp_path, n_learners=240, seed=11, bootstrap=500)
    ev = evaluate(programme.plan)
    assert ev["design"]["isolation"] == COMPARISON
    for name, spec in PLANTED["kpis"].items():
        lo, hi = ev["results"][name]["did"]["ci"]
        assert lo <= spec["effect"] <= hi, name
    lo, hi = ev["learning"]["change"]["ci"]
    assert lo <= PLANTED["learning_gain"] + 1.5 and hi >= PLANTED["learning_gain"] - 1.5  # clipping at 100 trims a little
    lo, hi = ev["behaviour"]["raters"]["manager"]["change"]["ci"]
    assert lo - 0.1 <= PLANTED["behaviour_change"] <= hi + 0.1  # items are rounded to whole scale points
    roi = ev["roi"]
    assert roi["percent"]["estimate"] == pytest.approx(100 * (roi["benefit"]["estimate"] - PLANTED["cost"]) / PLANTED["cost"])
    assert roi["percent"]["conservative"] == roi["percent"]["ci"][0]
    assert ev["answer"]["verdict"] == "worked"
    assert ev["chain"]["breaks_at"] is None


def test_norms_withhold_small_groups_and_leave_out_the_own_organisation():
    own = {"programme": "P", "organisation": "ORG-1", "type": "leadership", "learning_dz": 0.9, "nps": 20}
    others = [{"programme": f"Q{i}", "organisation": f"ORG-{i}", "type": "leadership", "learning_dz": 0.1 * i,
               "nps": None} for i in range(2, 8)]
    others += [{"programme": "R", "organisation": "ORG-1", "type": "leadership", "learning_dz": 5.0}]
    others += [{"programme": "S", "organisation": "ORG-9", "type": "sales", "learning_dz": 9.0}]
    norms = programme_norms(own, others, min_group_size=5)
    dz = norms["metrics"]["learning_dz"]
    assert dz["n_organisations"] == 6
    assert dz["mean"] == pytest.approx(np.mean([0.1 * i for i in range(2, 8)]))
    assert dz["position"] == "top quarter"
    assert "withheld" in norms["metrics"]["nps"] and "mean" not in norms["metrics"]["nps"]
    assert "withheld" in programme_norms(own, others[:4], min_group_size=5)["metrics"]["learning_dz"]


def test_value_evidence_block_names_levels_and_findings():
    block = value_evidence_block([
        {"programme": "A", "levels": ["reaction", "learning"], "design": None, "verdict": "no results"},
        {"programme": "B", "levels": ["reaction", "results"], "design": "comparison group", "verdict": "worked",
         "roi_percent": 25.0, "roi_conservative": 4.0},
    ])
    assert block["levels"] == {"reaction": 2, "learning": 1, "behaviour": 0, "results": 1}
    assert block["roi_measured"] == 1
    assert any("behaviour" in s for s in block["sentences"])
    assert any("ROI 25%" in s for s in block["sentences"])
    assert value_evidence_block([])["n_evaluations"] == 0


def test_summary_carries_no_learner(tmp_path):
    ev = evaluate(write_synthetic_programme(tmp_path, n_learners=60, seed=2, bootstrap=200).plan)
    text = str(evaluation_summary(ev))
    assert "L000" not in text


def test_estimates_beside_a_comparison_group_are_a_cross_check():
    panel = simulate_results_panel(30, 30, effect=5.0, rng=np.random.default_rng(2))
    trained = panel.loc[panel["group"] == "trained", "unit_id"].unique()
    estimates = pd.DataFrame({"learner_id": trained, "kpi": "sales", "contribution": 0.5, "confidence": 0.5})
    entries, _, prepared = results_summary(panel.rename(columns={"team": "cluster"}), {"sales": Kpi("sales", 1.0)},
                                           estimates, n_boot=200, rng=np.random.default_rng(0))
    entry = entries["sales"]
    assert prepared.design == COMPARISON and entry["effect"]["isolation"] == COMPARISON
    assert entry["estimates"]["role"] == "cross-check"
    assert entry["estimates"]["estimate"] == pytest.approx(0.25 * entry["change"]["estimate"])


def test_dz_interval_covers_the_planted_value_at_its_nominal_rate():
    planted, n, hits = 0.5, 30, 0
    for seed in range(400):
        diff = np.random.default_rng(seed).normal(planted, 1.0, n)
        lo, hi = dz_interval(diff.mean() / diff.std(ddof=1), n, 0.95)
        hits += lo <= planted <= hi
    assert 366 <= hits <= 394, hits  # 95% of 400 is 380; a binomial 99.9% band


def test_benefit_bootstrap_covers_the_planted_benefit():
    """The cluster bootstrap interval of the benefit covers the planted benefit about 95% of the time."""
    planted_effect, value, n_trained, hits, n_seeds = 4.0, 10.0, 48, 0, 150
    planted = planted_effect * n_trained * value
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        panel = simulate_results_panel(n_trained, n_trained, effect=planted_effect, team_size=4, rng=rng)
        entries, _, _ = results_summary(panel.rename(columns={"team": "cluster"}), {"sales": Kpi("sales", value)},
                                        None, n_boot=400, rng=rng)
        lo, hi = entries["sales"]["benefit"]["ci"]
        hits += lo <= planted <= hi
    # 95% of 150 is 142.5; a binomial 99.9% band is about 134 to 149.
    assert 134 <= hits <= 149, hits


def test_whole_programmes_cover_their_planted_effects_and_roi(tmp_path):
    """End to end over 80 synthetic programmes (files written and read back): the intervals of
    the KPI effects, the learning gain and the ROI cover the planted values about 95% of the time."""
    n, n_seeds = 60, 80
    per_learner = sum(abs(spec["effect"]) * spec["value"] for spec in PLANTED["kpis"].values())
    planted = {"sales": PLANTED["kpis"]["sales"]["effect"], "errors": PLANTED["kpis"]["errors"]["effect"],
               "roi": 100 * (per_learner * n - PLANTED["cost"]) / PLANTED["cost"], "gain": PLANTED["learning_gain"]}
    hits = dict.fromkeys(planted, 0)
    for seed in range(n_seeds):
        ev = evaluate(write_synthetic_programme(tmp_path / str(seed), n_learners=n, seed=seed, bootstrap=300).plan)
        found = {"sales": ev["results"]["sales"]["did"], "errors": ev["results"]["errors"]["did"],
                 "roi": ev["roi"]["percent"], "gain": ev["learning"]["change"]}
        for key, entry in found.items():
            hits[key] += entry["ci"][0] <= planted[key] <= entry["ci"][1]
    # 95% of 80 is 76; a binomial 99.9% band is about 70 to 80.
    assert all(70 <= h <= 80 for h in hits.values()), hits
