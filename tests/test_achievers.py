"""Achievers vs others, and outcomes and barriers by maturity quartile or segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.analysis.outcomes import group_improvement
from maturity.benchmarking.achievers import (
    achievers_vs_others,
    barriers_by_group,
    likelihood_text,
    maturity_quartiles,
    outcomes_by_group,
)
from maturity.data.responses import barrier_flags
from maturity.errors import AnalysisError, DataError


def test_achievers_vs_others_by_hand(wave):
    fw, responses, scores = wave
    table = achievers_vs_others(responses, scores, fw)
    top = scores["index"] >= scores["index"].quantile(0.9)
    flags = group_improvement(responses, fw)
    row = table[(table["outcome"] == "business_impact")].iloc[0]
    t = flags.loc[top, "business_impact"].dropna()
    o = flags.loc[~top & scores["index"].notna(), "business_impact"].dropna()
    assert row["level"] == "group" and row["top_deck_n"] == len(t) and row["others_n"] == len(o)
    assert row["top_deck_share"] == pytest.approx(100 * t.mean())
    assert row["others_share"] == pytest.approx(100 * o.mean())
    assert row["ratio"] == pytest.approx(t.mean() / o.mean())
    assert row["likelihood"] == f"{t.mean() / o.mean():.1f}x as likely"
    # One row per group and per item, groups first.
    assert len(table) == len(fw.outcomes) + len(fw.outcome_items)
    assert (table["ratio"] > 1).all()  # in the synthetic benchmark maturity pays off
    assert not table["suppressed"].any()


def test_achievers_withheld_when_the_top_deck_is_small(wave):
    fw, responses, scores = wave
    few = scores.index[:40]  # top deck of 40 is 4 organisations
    table = achievers_vs_others(responses.loc[few], scores.loc[few], fw)
    assert (table["top_deck_n"] <= 4).all() and table["suppressed"].all()
    assert table[["top_deck_share", "others_share", "ratio"]].isna().all().all()
    assert "top deck: the group has" in table["suppressed_reason"].iloc[0]
    # Leaving organisations out (a client) changes the population analysed.
    assert achievers_vs_others(responses, scores, fw, exclude=[scores.index[0]])["others_n"].iloc[0] < 600


def test_achievers_need_outcomes(small_framework):
    bench = maturity.generate_benchmark(30, framework=small_framework, seed=1)
    with pytest.raises(AnalysisError, match="no outcomes"):
        achievers_vs_others(bench.responses, maturity.score_responses(bench.responses, small_framework), small_framework)


def test_likelihood_text():
    assert likelihood_text(2.14) == "2.1x as likely" and likelihood_text(np.nan) == ""


def test_quartiles_are_equal_groups(wave):
    _, _, scores = wave
    q = maturity_quartiles(scores)
    scored = int(scores["index"].notna().sum())  # a few organisations have no index
    counts = q.value_counts()
    assert counts.sum() == scored and counts.max() - counts.min() <= 1
    assert q[scores["index"].isna()].isna().all()
    # Equal scores at a boundary may fall either side (ranked in order of appearance).
    assert scores.loc[q == "Q4 (highest)", "index"].min() >= scores.loc[q == "Q3", "index"].max()
    assert scores.loc[q == "Q3", "index"].min() >= scores.loc[q == "Q2", "index"].max()


def test_outcomes_and_barriers_by_quartile(wave):
    fw, responses, scores = wave
    q = maturity_quartiles(scores)
    out = outcomes_by_group(responses, fw, q)
    assert list(out.index) == ["Q1 (lowest)", "Q2", "Q3", "Q4 (highest)", "All"]
    flags = group_improvement(responses, fw)
    assert out.loc["Q2", "Staff impact"] == pytest.approx(100 * flags.loc[q == "Q2", "staff_impact"].mean())
    assert out.loc["Q4 (highest)", "Business impact"] > out.loc["Q1 (lowest)", "Business impact"]
    bar = barriers_by_group(responses, fw, q)
    first = fw.barriers[0]
    # "All" is every organisation in a quartile (those with an index), blanks left out
    in_quartiles = responses.loc[q.notna().to_numpy(), first.id].astype(float)
    assert bar.loc["All", first.name] == pytest.approx(100 * in_quartiles.mean())
    assert bar.loc["All", "n"] == q.notna().sum()
    assert bar.loc["Q1 (lowest)", first.name] > bar.loc["Q4 (highest)", first.name]


def test_small_segment_is_withheld_with_its_complement(wave):
    fw, responses, scores = wave
    segment = pd.Series("Large", index=scores.index)
    segment.iloc[:3] = "Tiny"
    segment.iloc[3:40] = "Medium"
    out = outcomes_by_group(responses, fw, segment.rename("segment"))
    assert out.loc["Tiny", "suppressed"] and out.loc["Medium", "suppressed"]
    assert not out.loc["Large", "suppressed"] and not out.loc["All", "suppressed"]
    assert out.loc[["Tiny", "Medium"], "Business impact"].isna().all()
    assert out.loc["Tiny", "n"] == 3


def test_barrier_answers_in_words():
    fw = maturity.load_framework()
    b = fw.barriers[0].id
    frame = pd.DataFrame({"respondent_id": ["a", "b", "c", "d"], b: ["Yes", "no", "1", ""]})
    assert barrier_flags(frame, fw)[b].tolist()[:3] == [1.0, 0.0, 1.0]
    assert np.isnan(barrier_flags(frame, fw)[b].iloc[3])
    frame.loc[3, b] = "maybe"
    with pytest.raises(DataError, match="'maybe'"):
        barrier_flags(frame, fw)


def test_achievers_table_for_the_analysis_notebook(wave):
    from maturity.reporting import figures
    from maturity.benchmarking.achievers import achievers_table

    from .test_client_results import make_data

    fw, responses, scores = wave
    data = make_data(responses, fw)
    table = achievers_table(data)
    full = achievers_vs_others(responses, scores, fw)
    groups = full[full["level"] == "group"]
    assert list(table.index) == [g.name for g in fw.outcomes]
    assert table["Top deck: % improving"].tolist() == pytest.approx(groups["top_deck_share"].tolist())
    assert table["Likelihood"].tolist() == groups["likelihood"].tolist()
    assert "Note" not in table.columns  # nothing withheld
    assert len(achievers_table(data, items=True)) == len(full)
    # Withheld rows explain themselves.
    few = make_data(responses.iloc[:40], fw)
    small = achievers_table(few)
    assert small["Top deck: % improving"].isna().all() and small["Note"].str.contains("top deck").all()
    fig = figures.achievers_bars(achievers_vs_others(few.responses, few.scores, fw))
    assert sum("withheld" in t.get_text() for t in fig.axes[0].texts) == len(fw.outcomes)
