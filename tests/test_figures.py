"""Figures of the research analytics: they show the numbers they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import maturity  # noqa: E402
from maturity.analysis import drivers  # noqa: E402
from maturity.analysis.segments import SegmentModel, barriers_by_segment, segment_map  # noqa: E402
from maturity.reporting import figures  # noqa: E402


@pytest.fixture(scope="module")
def analysed(bench600):
    fw = bench600.framework
    scores = maturity.score_responses(bench600.responses, fw)
    outcomes = maturity.score_outcomes(bench600.responses, fw)
    model = SegmentModel(strands=fw.strand_ids, n_bootstrap=2).fit(scores, outcomes=outcomes)
    yield fw, scores, outcomes, model
    plt.close("all")


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_k_selection_marks_the_chosen_k(analysed):
    model = analysed[3]
    fig = figures.k_selection(model.selection_)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["Silhouette"].get_ydata(), model.selection_["silhouette"])
    assert any(t == f"chosen k = {model.k_}" for t in _texts(fig))
    assert len(fig.axes) == 1   # no BIC panel for k-means
    gmm = SegmentModel(algorithm="gmm", strands=analysed[0].strand_ids, n_bootstrap=0).fit(analysed[1])
    assert len(figures.k_selection(gmm.selection_).axes) == 2


def test_segment_profile_heatmap_annotates_the_means(analysed):
    fw, _scores, _outcomes, model = analysed
    fig = figures.segment_profile_heatmap(model.profiles_, fw)
    expected = [f"{v:.0f}" for v in model.profiles_[[*fw.strand_ids, "index"]].to_numpy().ravel()]
    assert _texts(fig) == expected
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0].startswith("Starting (n=")


def test_segment_map_has_every_organisation_once(analysed):
    fw, scores, _outcomes, model = analysed
    coords = segment_map(scores, model.labels_, fw.strand_ids)
    placed = model.labels_.notna().sum()  # organisations lacking a strand score are in no segment
    assert placed == len(scores[fw.strand_ids].dropna()) < len(scores)
    assert len(coords) == placed and coords.index.is_unique
    assert set(coords["segment"]) == set(model.segment_names_)
    assert sum(coords.attrs["explained"]) <= 1.0
    fig = figures.segment_map_chart(coords, model.segment_names_)
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == placed
    assert len(segment_map(scores, model.labels_, fw.strand_ids, sample=100)) == 100


def test_drivers_chart_has_a_panel_per_outcome(analysed):
    fw, scores, outcomes, _model = analysed
    table = drivers.driver_table(scores, outcomes, fw, n_boot=50)
    fig = figures.drivers_chart(table, fw)
    assert [ax.get_title() for ax in fig.axes] == [g.name for g in fw.outcomes]


def test_barriers_chart_shows_percentages(analysed, bench600):
    fw, _scores, _outcomes, model = analysed
    responses = bench600.responses.set_index(fw.id_column)
    table = barriers_by_segment(responses, fw, model.labels_, model.segment_names_)
    fig = figures.barriers_chart(table)
    shown = sorted(float(t) for t in _texts(fig))
    assert shown == sorted(float(f"{v:.0f}") for v in (table.to_numpy() * 100).ravel())
