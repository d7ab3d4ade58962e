"""SegmentModel: recovers the planted synthetic stages, predicts, profiles, and round-trips as JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score, silhouette_score

import maturity
from maturity.analysis.segments import SegmentModel, barriers_by_segment, default_segment_names
from maturity.data.synthetic import generate_wave
from maturity.errors import AnalysisError, ParametersError


@pytest.fixture(scope="module")
def scored(planted600):
    fw = planted600.framework
    scores = maturity.score_responses(planted600.responses, fw)
    outcomes = maturity.score_outcomes(planted600.responses, fw)
    attributes = planted600.responses.set_index(fw.id_column)[fw.demographic_ids]
    return scores, outcomes, attributes


@pytest.fixture(scope="module")
def fitted(planted600, scored):
    scores, outcomes, attributes = scored
    return SegmentModel(strands=planted600.framework.strand_ids, n_bootstrap=5).fit(
        scores, outcomes=outcomes, attributes=attributes
    )


def test_planted_stages_are_recovered(planted600, fitted):
    """Acceptance: k equals the number of stages and ARI against the truth >= 0.8."""
    truth = planted600.truth["stage_name"].reindex(fitted.labels_.index)
    assert fitted.k_ == planted600.n_stages == 4
    assert adjusted_rand_score(truth, fitted.labels_) >= 0.8
    # ordered by maturity, the default names line up with the generator's stage names
    assert (fitted.labels_ == truth).mean() >= 0.9
    assert fitted.segment_names_ == ["Starting", "Developing", "Embedding", "Leading"]


@pytest.mark.parametrize("algorithm", ["gmm", "ward"])
def test_other_algorithms_also_find_the_stages(planted600, scored, algorithm):
    scores = scored[0]
    model = SegmentModel(algorithm=algorithm, strands=planted600.framework.strand_ids, n_bootstrap=2).fit(scores)
    assert model.k_ == 4
    assert adjusted_rand_score(planted600.truth["stage_name"].reindex(scores.index), model.labels_) >= 0.8
    if algorithm == "gmm":
        bic = model.selection_["bic"]
        assert bic.notna().all() and bic.idxmin() == 4
    else:
        assert model.selection_["bic"].isna().all()


def test_sampled_code_paths_for_large_populations(planted600, scored):
    """Silhouette, bootstrap and Ward on samples and mini-batch k-means still recover the stages."""
    scores = scored[0]
    truth = planted600.truth["stage_name"].reindex(scores.index)
    small = dict(silhouette_sample=200, bootstrap_sample=200, n_bootstrap=3, strands=planted600.framework.strand_ids)
    for model in (SegmentModel(minibatch_above=100, **small), SegmentModel(algorithm="ward", ward_max_n=200, **small)):
        model.fit(scores)
        assert model.k_ == 4
        assert adjusted_rand_score(truth, model.labels_) >= 0.8


def test_selection_table_reports_silhouette_and_stability_per_k(scored, fitted):
    scores = scored[0]
    sel = fitted.selection_
    assert list(sel.index) == list(range(2, 9))
    assert sel["chosen"].sum() == 1 and sel["chosen"].idxmax() == fitted.k_
    assert sel["silhouette"].idxmax() == fitted.k_
    z = (scores[fitted.feature_names_in_] - fitted.mean_) / fitted.scale_
    assert fitted.silhouette_ == pytest.approx(silhouette_score(z, fitted.labels_))
    assert sel["stability_ari"].between(-1, 1).all()
    assert sel.loc[4, "stability_ari"] > 0.95 > sel.loc[8, "stability_ari"]


def test_fitting_is_reproducible_with_the_same_seed(planted600, scored):
    scores = scored[0]
    args = dict(strands=planted600.framework.strand_ids, k_range=(3, 5), n_bootstrap=3)
    a, b = SegmentModel(**args).fit(scores), SegmentModel(**args).fit(scores)
    pd.testing.assert_frame_equal(a.selection_, b.selection_)
    assert (a.labels_ == b.labels_).all()


def test_predict_places_new_organisations(planted600, fitted, scored):
    scores = scored[0]
    assert (fitted.predict(scores) == fitted.labels_).all()
    later = generate_wave(planted600, seed=99)
    later_scores = maturity.score_responses(later.responses, later.framework)
    placed = fitted.predict(later_scores)
    assert placed.index.equals(later_scores.index)
    assert set(placed.dropna()) <= set(fitted.segment_names_)
    assert adjusted_rand_score(later.truth["stage_name"].reindex(placed.index), placed) >= 0.7
    # a client scored alone, and one with a missing strand score
    one = later_scores.iloc[[0]].copy()
    assert fitted.predict(one).iloc[0] in fitted.segment_names_
    one.iloc[0, 0] = np.nan
    assert fitted.predict(one).iloc[0] is None
    with pytest.raises(AnalysisError, match="lack strand"):
        fitted.predict(later_scores.drop(columns=["engagement"]))


def test_rows_with_missing_strand_scores_are_left_out_of_the_fit(planted600, scored):
    scores = scored[0].copy()
    scores.iloc[:30, 2] = np.nan
    model = SegmentModel(strands=planted600.framework.strand_ids, k=4, n_bootstrap=0).fit(scores)
    assert model.n_fitted_ == len(scores) - 30
    assert model.labels_.iloc[:30].isna().all() and model.labels_.iloc[30:].notna().all()
    assert model.profiles_["n"].sum() == model.n_fitted_


def test_profiles_and_composition(fitted, scored):
    scores, outcomes, attributes = scored
    prof = fitted.profiles_
    assert list(prof.index) == fitted.segment_names_
    assert prof["n"].sum() == len(scores) and prof["share"].sum() == pytest.approx(1.0)
    expected = scores.groupby(fitted.labels_).mean().reindex(fitted.segment_names_)
    for col in [*fitted.feature_names_in_, "index"]:
        np.testing.assert_allclose(prof[col], expected[col])
    assert prof["index"].is_monotonic_increasing
    np.testing.assert_allclose(prof["outcome:business_impact"],
                               outcomes["business_impact"].groupby(fitted.labels_).mean().reindex(prof.index))
    sector = fitted.composition_["sector"]
    np.testing.assert_allclose(sector.sum(axis=1), 1.0)
    expected_share = (attributes["sector"][fitted.labels_ == "Leading"] == "Finance").mean()
    assert sector.loc["Leading", "Finance"] == pytest.approx(expected_share)
    centers = fitted.centers_
    assert list(centers.index) == fitted.segment_names_
    assert centers.loc["Leading"].mean() > centers.loc["Starting"].mean()


def test_profile_table_for_display(fitted, planted600):
    fw = planted600.framework
    table = fitted.profile_table(fw)
    assert table["Organisations"].tolist() == fitted.profiles_["n"].tolist()
    assert table["Share (%)"].sum() == pytest.approx(100, abs=2)
    assert table["Defining business need"].tolist() == fitted.profiles_["business_need"].round(1).tolist()
    assert "Business impact (score)" in table.columns      # fitted with outcome scores, not rates


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "ward"])
def test_json_round_trip_keeps_predictions(planted600, scored, algorithm):
    scores, outcomes, attributes = scored
    model = SegmentModel(algorithm=algorithm, strands=planted600.framework.strand_ids, k_range=(3, 5),
                         n_bootstrap=2).fit(scores, outcomes=outcomes, attributes=attributes)
    text = json.dumps(model.to_dict(), allow_nan=False)
    restored = SegmentModel.from_dict(json.loads(text))
    assert restored.get_params() == model.get_params()
    assert (restored.predict(scores) == model.predict(scores)).all()
    assert (restored.labels_.reindex(model.labels_.index) == model.labels_).all()
    pd.testing.assert_frame_equal(restored.selection_, model.selection_, check_dtype=False)
    pd.testing.assert_frame_equal(restored.profiles_, model.profiles_, check_dtype=False)
    pd.testing.assert_frame_equal(restored.composition_["size"], model.composition_["size"],
                                  check_dtype=False, check_names=False)
    assert restored.summary() == model.summary()


def test_from_dict_rejects_foreign_or_damaged_data(fitted):
    with pytest.raises(AnalysisError, match="not a saved segment model"):
        SegmentModel.from_dict({"format": "pickle"})
    damaged = fitted.to_dict()
    del damaged["centers_z"]
    with pytest.raises(AnalysisError, match="damaged"):
        SegmentModel.from_dict(damaged)


def test_names_and_parameters(planted600, scored):
    scores = scored[0]
    named = SegmentModel(k=3, names=["Low", "Mid", "High"], n_bootstrap=0,
                         strands=planted600.framework.strand_ids).fit(scores)
    assert named.segment_names_ == ["Low", "Mid", "High"]
    assert named.profiles_["index"].is_monotonic_increasing
    with pytest.raises(ParametersError, match="3 distinct segment names"):
        SegmentModel(k=3, names=["a", "b"], n_bootstrap=0).fit(scores)
    with pytest.raises(ParametersError, match="algorithm"):
        SegmentModel(algorithm="dbscan").fit(scores)
    with pytest.raises(ParametersError, match="BIC"):
        SegmentModel(criterion="bic").fit(scores)
    assert default_segment_names(4) == ["Starting", "Developing", "Embedding", "Leading"]
    assert default_segment_names(2) == ["Starting", "Leading"]
    assert len(set(default_segment_names(8))) == 8
    assert default_segment_names(10)[-1] == "Segment 10"
    assert clone(named).get_params()["names"] == ["Low", "Mid", "High"]


def test_default_columns_and_errors(scored):
    scores = scored[0]
    model = SegmentModel(k=4, n_bootstrap=0).fit(scores)      # every numeric column but "index"
    assert "index" not in model.feature_names_in_ and len(model.feature_names_in_) == 6
    flat = scores.assign(engagement=50.0)
    with pytest.raises(AnalysisError, match="without variation"):
        SegmentModel(k=4, n_bootstrap=0).fit(flat)
    with pytest.raises(AnalysisError, match="more organisations"):
        SegmentModel(n_bootstrap=0).fit(scores.iloc[:2])


def test_barriers_by_segment(planted600, fitted):
    fw = planted600.framework
    responses = planted600.responses.set_index(fw.id_column)
    table = barriers_by_segment(responses, fw, fitted.labels_, fitted.segment_names_)
    assert list(table.index) == fitted.segment_names_
    first = fw.barriers[0]
    expected = responses[first.id].groupby(fitted.labels_).mean()
    np.testing.assert_allclose(table[first.name], expected.reindex(table.index))
    # barriers are reported less often by more mature organisations (as generated)
    assert table[first.name].iloc[0] > table[first.name].iloc[-1]
    text = responses.copy()
    text[first.id] = np.where(responses[first.id] == 1, "Yes", "")
    np.testing.assert_allclose(barriers_by_segment(text, fw, fitted.labels_)[first.name].sort_index(),
                               expected.sort_index())
