"""The synthetic benchmark generator: planted structure (known answers) and the realistic
default population the demo uses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import maturity
from maturity.analysis.outcomes import group_improvement, improvement_flags
from maturity.analysis.segments import SegmentModel
from maturity.benchmarking.achievers import achievers_vs_others, maturity_quartiles
from maturity.data.synthetic import demo_waves, generate_wave
from maturity.framework import parse_framework

from .conftest import small_framework_dict


@pytest.fixture(scope="module")
def demo_pair():
    """The demo's two waves at their default size and seed."""
    return demo_waves(600, seed=2026)


@pytest.fixture(scope="module")
def demo_wave(demo_pair):
    """The analysed (later) demo wave: responses by id and their scores."""
    later = demo_pair[1]
    responses = later.responses.set_index(later.framework.id_column)
    return responses, maturity.score_responses(responses, later.framework)


def test_same_seed_same_data():
    for structure in ("realistic", "planted"):
        a = maturity.generate_benchmark(50, seed=3, structure=structure)
        b = maturity.generate_benchmark(50, seed=3, structure=structure)
        c = maturity.generate_benchmark(50, seed=4, structure=structure)
        pd.testing.assert_frame_equal(a.responses, b.responses)
        assert not a.responses.equals(c.responses)
    assert maturity.generate_benchmark(20).structure == "realistic"


@pytest.mark.parametrize("fixture", ["bench600", "planted600"])
def test_shape_ids_names_demographics(fixture, framework, request):
    bench = request.getfixturevalue(fixture)
    r = bench.responses
    assert len(r) == 600
    assert r["respondent_id"].iloc[0] == "ORG-0001" and r["respondent_id"].iloc[-1] == "ORG-0600"
    assert r["name"].is_unique and r["name"].str.len().min() > 5
    for demo in framework.demographics:
        assert set(r[demo.id]) <= set(demo.values)
        assert r[demo.id].nunique() >= min(3, len(demo.values))
    assert list(r.columns) == framework.known_columns
    assert set(bench.truth["stage_name"]) == {"Starting", "Developing", "Embedding", "Leading"}


def test_planted_blanks_are_about_three_percent_everywhere(planted600, framework):
    blank = planted600.responses[framework.item_ids].isna()
    assert 0.02 < blank.to_numpy().mean() < 0.04
    assert blank.mean().max() < 0.07  # no item stands out


@pytest.mark.parametrize("fixture", ["bench600", "planted600"])
def test_weakest_strands_are_engagement_business_need_and_value(fixture, framework, request):
    bench = request.getfixturevalue(fixture)
    means = maturity.score_responses(bench.responses, framework)[framework.strand_ids].mean()
    assert set(means.nsmallest(3).index) == {"engagement", "business_need", "demonstrating_value"}


@pytest.mark.parametrize("fixture", ["bench600", "planted600"])
def test_reverse_items_answered_consistently(fixture, framework, request):
    bench = request.getfixturevalue(fixture)
    strand = framework.strand("engagement")
    forward = bench.responses[[i.id for i in strand.items if not i.reverse]].astype(float).mean(axis=1)
    for item in (i for i in strand.items if i.reverse):
        raw = bench.responses[item.id].astype(float)
        assert raw.corr(forward) < -0.5


def test_planted_outcomes_and_barriers_follow_the_stage(planted600, framework):
    stage = planted600.truth["stage"].to_numpy()
    index = maturity.score_responses(planted600.responses, framework)["index"].to_numpy()
    by_stage = [np.nanmean(index[stage == s]) for s in range(4)]
    assert by_stage == sorted(by_stage)
    outcomes = maturity.score_outcomes(planted600.responses, framework)
    for col in outcomes:
        assert np.corrcoef(index, outcomes[col].fillna(outcomes[col].mean()))[0, 1] > 0.5
    barriers = planted600.responses[framework.barrier_ids].to_numpy().mean(axis=1)
    assert np.corrcoef(index, barriers)[0, 1] < -0.3


def test_realistic_outcomes_and_barriers_relate_to_maturity_loosely(bench600, framework):
    """Maturity matters for outcomes, but the business context matters as much: moderate
    correlations, not the near-determinism of the planted data."""
    scores = maturity.score_responses(bench600.responses, framework)
    outcomes = maturity.score_outcomes(bench600.responses, framework)
    for col in outcomes:
        both = outcomes[col].notna() & scores["index"].notna()
        r = np.corrcoef(scores["index"][both], outcomes[col][both])[0, 1]
        assert 0.3 < r < 0.7, (col, r)
    barriers = bench600.responses.set_index("respondent_id")[framework.barrier_ids].astype(float).mean(axis=1)
    both = barriers.notna() & scores["index"].notna()
    assert -0.6 < np.corrcoef(scores["index"][both], barriers[both])[0, 1] < -0.2


def test_demo_top_deck_is_about_twice_as_likely_to_report_improvements(demo_pair, demo_wave):
    """Acceptance: every top-deck-vs-others ratio (groups and items) lies between 1.2 and 3."""
    responses, scores = demo_wave
    table = achievers_vs_others(responses, scores, demo_pair[1].framework)
    assert len(table) == 12 and not table["suppressed"].any()
    assert table["ratio"].between(1.2, 3).all(), table[["outcome", "ratio"]]
    groups = table[table["level"] == "group"]
    assert groups["others_share"].between(20, 50).all()
    assert groups["top_deck_share"].between(45, 90).all()  # well above the others, never near all


def test_demo_no_outcome_is_unanimous_in_a_group_of_twenty(demo_pair, demo_wave):
    """Acceptance: no outcome (group or item) is reported by 100% of a group of 20 or more:
    top deck, others, maturity quartiles, sectors or size bands."""
    responses, scores = demo_wave
    fw = demo_pair[1].framework
    flags = pd.concat([group_improvement(responses, fw), improvement_flags(responses, fw)], axis=1)
    top = scores["index"] >= scores["index"].quantile(0.9)
    groupings = {
        "deck": pd.Series(np.where(top, "top", "others"), index=scores.index).where(scores["index"].notna()),
        "quartile": maturity_quartiles(scores).astype(object),
        "sector": responses["sector"],
        "size": responses["size"],
    }
    checked = 0
    for grouping in groupings.values():
        for label in grouping.dropna().unique():
            members = flags[(grouping == label).reindex(flags.index, fill_value=False).to_numpy()]
            for column in members:
                answered = members[column].dropna()
                if len(answered) >= 20:
                    checked += 1
                    assert answered.mean() < 1, (label, column, len(answered))
    assert checked > 200


def test_realistic_segments_overlap_but_exist(bench600, planted600, framework):
    """Four segments still emerge, but organisations blur between them: lower silhouette and
    agreement with the generator's groups than the planted stages give."""
    fits = {}
    for name, bench in (("realistic", bench600), ("planted", planted600)):
        scores = maturity.score_responses(bench.responses, framework)
        model = SegmentModel(strands=framework.strand_ids, n_bootstrap=0).fit(scores)
        labelled = model.labels_.dropna()
        fits[name] = (model.k_, model.silhouette_, adjusted_rand_score(bench.truth["stage"][labelled.index], labelled))
    k, silhouette, ari = fits["realistic"]
    assert k == 4
    assert 0.25 < silhouette < fits["planted"][1] - 0.15
    assert 0.4 < ari < 0.9 and fits["planted"][2] > 0.95


def test_realistic_skips_are_uneven(bench600, framework):
    r = bench600.responses
    item_blank = r[framework.item_ids].isna().mean()
    assert 0.02 < r[framework.item_ids].isna().to_numpy().mean() < 0.045
    assert item_blank.max() > 3 * item_blank.min()  # some questions are skipped far more
    outcome_ids = [i.id for i in framework.outcome_items]
    assert r[outcome_ids].isna().to_numpy().mean() > 2 * item_blank.mean()
    per_org = r[framework.item_ids].isna().mean(axis=1)
    assert (per_org == 0).mean() > 0.3 and per_org.max() > 0.15  # many answer everything, a few skip much
    whole_outcomes = r[outcome_ids].isna().all(axis=1).sum()
    whole_barriers = r[framework.barrier_ids].isna().all(axis=1).sum()
    whole_strand = sum(r[[i.id for i in s.items]].isna().all(axis=1).sum() for s in framework.strands)
    assert 20 < whole_outcomes < 70 and 5 < whole_barriers < 40 and 1 <= whole_strand <= 15
    scores = maturity.score_responses(r, framework)
    assert 1 <= scores["index"].isna().sum() <= 20


def test_realistic_groups_are_uneven_with_small_cells(bench600):
    r = bench600.responses
    sector, region = r["sector"].value_counts(), r["region"].value_counts()
    assert sector.max() > 100 and sector["Energy"] < 5
    assert region["UK & Ireland"] > 250 and region["Latin America"] < 5
    assert (r.groupby(["sector", "size"]).size() < 5).sum() >= 3


def test_demo_second_wave_changes_realistically(demo_pair, framework):
    earlier, later = demo_pair
    before = maturity.score_responses(earlier.responses, framework)["index"]
    after = maturity.score_responses(later.responses, framework)["index"]
    returning = before.index.intersection(after.index)
    assert 0.7 < len(returning) / len(before) < 0.9
    assert len(after) == 600 and len(after.index.difference(before.index)) == 600 - len(returning)
    change = (after[returning] - before[returning]).dropna()
    assert 1 < change.mean() < 4
    assert (change.abs() < 5).mean() > 0.55          # most move a little
    assert 0.15 < (change >= 5).mean() < 0.4         # some improve markedly
    assert 0.03 < (change <= -5).mean() < 0.15       # some fall back
    # returning organisations keep their name and mixture group; a few change size band
    kept = earlier.responses.set_index("respondent_id").loc[returning]
    now = later.responses.set_index("respondent_id").loc[returning]
    assert (kept["name"] == now["name"]).all()
    assert (earlier.truth.loc[returning, "stage"] == later.truth.loc[returning, "stage"]).all()
    assert 0 < (kept["size"] != now["size"]).sum() < 0.08 * len(returning)
    # the less mature are somewhat more likely to leave
    left = before.index.difference(after.index)
    assert earlier.truth.loc[left, "maturity"].mean() < earlier.truth.loc[returning, "maturity"].mean()


def test_any_framework(tmp_path):
    fw = parse_framework(small_framework_dict())
    for structure in ("realistic", "planted"):
        bench = maturity.generate_benchmark(40, framework=fw, seed=1, structure=structure)
        assert "person" in bench.responses.columns
        assert bench.responses["q0_0"].dropna().between(1, 7).all()
        path = bench.write(tmp_path / f"{structure}.csv")
        back = pd.read_csv(path)
        assert back.shape == bench.responses.shape
        assert generate_wave(bench, seed=2).responses["person"].is_unique


def test_planted_later_wave_keeps_returning_organisations(planted600):
    later = generate_wave(planted600, seed=99)
    assert later.structure == "planted"
    ids = set(later.responses["respondent_id"])
    returning = ids & set(planted600.responses["respondent_id"])
    assert 400 < len(returning) < 560
    assert len(later.responses) == 600 and later.responses["respondent_id"].is_unique
    before = maturity.score_responses(planted600.responses, planted600.framework)["index"]
    after = maturity.score_responses(later.responses, planted600.framework)["index"]
    common = sorted(returning)
    assert (after[common] - before[common]).mean() > 2


def test_rejects_bad_arguments():
    with pytest.raises(maturity.MaturityError):
        maturity.generate_benchmark(0)
    with pytest.raises(maturity.MaturityError):
        maturity.generate_benchmark(10, missing_rate=0.9)
    with pytest.raises(maturity.MaturityError, match="structure"):
        maturity.generate_benchmark(10, structure="tidy")


@pytest.mark.parametrize("structure", ["realistic", "planted"])
def test_a_custom_difficulty_carries_into_later_waves(framework, structure):
    first = maturity.generate_benchmark(300, seed=8, difficulty={"learner_context": 1.5}, structure=structure)
    later = generate_wave(first, seed=9)
    assert later.difficulty == {"learner_context": 1.5}
    means = maturity.score_responses(later.responses, framework)[framework.strand_ids].mean()
    assert means.idxmin() == "learner_context"  # new organisations share the same hard strand
    only_new = generate_wave(first, seed=9, retention=0.0)
    assert maturity.score_responses(only_new.responses, framework)[framework.strand_ids].mean().idxmin() == "learner_context"


def test_no_missing_answers_when_the_rate_is_zero(framework):
    bench = maturity.generate_benchmark(100, seed=5, missing_rate=0.0)
    assert not bench.responses[framework.item_ids + [i.id for i in framework.outcome_items]].isna().any().any()
    assert not bench.responses[framework.barrier_ids].isna().any().any()
