"""Peer groups, percentile ranks, bootstrap intervals, peer statistics and trends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import maturity
from maturity.benchmarking.peers import (
    check_peer_filters,
    describe_peers,
    organisation_trend,
    peer_group,
    peer_statistics,
    percentile_interval,
    percentile_rank,
    top_group,
)
from maturity.errors import ParametersError
from maturity.framework import parse_framework

from .conftest import small_framework_dict


# --- percentile ranks ----------------------------------------------------------------------


def test_percentile_counts_ties_half():
    rank = percentile_rank(50, [40, 50, 50, 60])
    assert (rank.n, rank.below, rank.ties) == (4, 1, 2)
    assert rank.percentile == 50.0 and rank.share_below == 25.0 and rank.share_tied == 50.0
    assert percentile_rank(10, [20, 30]).percentile == 0.0
    assert percentile_rank(99, [20, 30]).percentile == 100.0
    assert percentile_rank(30, [30, 30, 30]).percentile == 50.0


@pytest.mark.parametrize("seed", range(5))
def test_percentile_matches_scipy_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    peers = rng.integers(0, 8, size=200).astype(float) * 12.5  # coarse scores: many ties
    for value in np.r_[peers[:10], [-1.0, 200.0, 31.0]]:
        expected = sps.percentileofscore(peers, value, kind="mean")
        assert percentile_rank(value, peers).percentile == pytest.approx(expected, abs=1e-12)


def test_percentile_ignores_missing_and_float_noise():
    # The same answers scored in another order differ in the last bits: still a tie.
    assert percentile_rank(0.1 + 0.2, [0.3, np.nan, 0.0]).ties == 1
    assert percentile_rank(50, [np.nan, 40]).n == 1


@pytest.mark.parametrize("value", [20.0, 50.0, 75.0])
def test_bootstrap_interval_agrees_with_scipy(value):
    rng = np.random.default_rng(11)
    peers = np.round(rng.normal(50, 20, size=150), 0)
    low, high = percentile_interval(value, peers, n_boot=4000, seed=3)
    ref = sps.bootstrap(
        (peers,), lambda x, axis=-1: np.apply_along_axis(lambda s: sps.percentileofscore(s, value, kind="mean"), axis, x),
        vectorized=True, n_resamples=4000, method="percentile", random_state=np.random.default_rng(5),
    ).confidence_interval
    assert low == pytest.approx(ref.low, abs=1.5)
    assert high == pytest.approx(ref.high, abs=1.5)
    p = percentile_rank(value, peers).percentile
    assert low <= p <= high


def test_bootstrap_interval_is_seeded():
    peers = np.arange(100.0)
    assert percentile_interval(40, peers, seed=1) == percentile_interval(40, peers, seed=1)
    assert percentile_interval(40, peers, seed=1) != percentile_interval(40, peers, seed=2)
    assert all(np.isnan(percentile_interval(40, [])))


# --- peer groups ----------------------------------------------------------------------------


def test_peer_filters_are_checked_against_the_framework(framework):
    assert check_peer_filters({"sector": "finance", "size": ["1000-4999", "5000+"]}, framework) == {
        "sector": ("Finance",), "size": ("1000-4999", "5000+"),
    }
    with pytest.raises(ParametersError, match="'sectr' is not a demographic.*known: sector, size, region"):
        check_peer_filters({"sectr": ["Finance"]}, framework)
    with pytest.raises(ParametersError, match="peers.sector: 'Fnance' is not a value of Sector"):
        check_peer_filters({"sector": ["Fnance"]}, framework)
    with pytest.raises(ParametersError, match="at least one value"):
        check_peer_filters({"sector": []}, framework)
    small = parse_framework(small_framework_dict())
    with pytest.raises(ParametersError, match="known: none"):
        check_peer_filters({"sector": ["Finance"]}, small)
    assert describe_peers({}, framework) == "all organisations in the wave"
    assert describe_peers({"sector": ("Finance", "Health")}, framework) == "Sector: Finance or Health"


def test_peer_group_matches_filters_and_leaves_the_client_out(wave):
    fw, responses, _ = wave
    ids = peer_group(responses, fw, {"sector": ["Finance"], "size": ["1000-4999"]})
    expected = responses[(responses["sector"] == "Finance") & (responses["size"] == "1000-4999")].index
    assert list(ids) == list(expected) and len(ids) > 10
    without = peer_group(responses, fw, {"sector": ["Finance"], "size": ["1000-4999"]}, exclude=ids[0])
    assert ids[0] not in without and len(without) == len(ids) - 1
    assert len(peer_group(responses, fw)) == len(responses)
    # The id column may also be a column rather than the index.
    assert list(peer_group(responses.reset_index(), fw, {"sector": ["Finance"]})) == list(
        responses.index[responses["sector"] == "Finance"]
    )


def test_top_groups_by_index():
    index = pd.Series(np.r_[np.arange(1.0, 101.0), [np.nan]])
    assert top_group(index, 0.10).sum() == 10 and not top_group(index, 0.10).iloc[-1]
    assert top_group(index, 0.25).sum() == 25
    assert top_group(index, 0.10)[index >= 91].all()


# --- peer statistics ------------------------------------------------------------------------


def test_peer_statistics_match_pandas(wave):
    fw, responses, scores = wave
    client_id = scores.index[7]
    peers = scores.drop(index=client_id)
    pc = peer_statistics(scores.loc[client_id], peers, fw, compare_to="top_deck")
    for row in ["index", *fw.strand_ids]:
        s = pc.stats.loc[row]
        col = peers[row].dropna()
        assert s["n"] == len(col)
        assert s["median"] == pytest.approx(col.median())
        assert s["q1"] == pytest.approx(col.quantile(0.25)) and s["q3"] == pytest.approx(col.quantile(0.75))
        top = peers["index"] >= peers["index"].quantile(0.9)
        assert s["top_deck_mean"] == pytest.approx(peers.loc[top, row].mean())
        assert s["percentile"] == pytest.approx(sps.percentileofscore(col, scores.loc[client_id, row], kind="mean"))
        assert s["gap"] == pytest.approx(s["top_deck_mean"] - s["client"])
        assert s["ci_low"] <= s["percentile"] <= s["ci_high"]
    assert pc.suppressed == {} and pc.comparison_used == "top_deck"
    top = peers["index"] >= peers["index"].quantile(0.9)
    assert pc.stats.loc["index", "top_deck_n"] == top.sum() > 0.09 * peers["index"].notna().sum()


def test_peer_statistics_for_another_framework(small_framework):
    bench = maturity.generate_benchmark(80, framework=small_framework, seed=4)
    scores = maturity.score_responses(bench.responses, small_framework)
    pc = peer_statistics(scores.iloc[0], scores.iloc[1:], small_framework, compare_to="median")
    assert list(pc.stats.index) == ["index", "s0", "s1", "s2"]
    assert pc.stats["gap"].notna().all()
    with pytest.raises(ParametersError, match="compare_to"):
        peer_statistics(scores.iloc[0], scores.iloc[1:], small_framework, compare_to="best")


# --- trend ------------------------------------------------------------------------------------


def test_trend_stops_at_the_reported_wave(framework):
    history = pd.DataFrame(
        {"wave": ["2024", "2025", "2026"], "index": [40.0, 46.0, 51.0],
         **{s: [40.0, 45.0, 50.0] for s in framework.strand_ids}}
    )
    trend = organisation_trend(history, framework, wave="2025")
    assert list(trend.index) == ["2024", "2025"]
    assert trend["index_change"].tolist()[1] == pytest.approx(6.0)
    assert organisation_trend(history, framework).shape[0] == 3
    assert organisation_trend(None, framework).empty
