"""Privacy rules: minimum group size, complementary and nested suppression."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from maturity.benchmarking.peers import peer_statistics
from maturity.benchmarking.privacy import nested_group_reason, small_group_reason, suppress_groups
from maturity.errors import ParametersError


def test_small_group_reason_at_the_threshold():
    assert small_group_reason(4, 5) is not None
    assert "4 organisations" in small_group_reason(4, 5) and "5 needed" in small_group_reason(4, 5)
    assert small_group_reason(5, 5) is None
    assert small_group_reason(2, 3) is not None and small_group_reason(3, 3) is None


def test_min_group_size_never_below_the_floor():
    with pytest.raises(ParametersError, match="privacy floor"):
        small_group_reason(10, 2)
    with pytest.raises(ParametersError, match="privacy floor"):
        suppress_groups(pd.DataFrame({"n": [10], "x": [1.0]}), min_group_size=2)


def _peer_scores(framework, n, seed=0):
    rng = np.random.default_rng(seed)
    cols = [*framework.strand_ids]
    frame = pd.DataFrame(rng.uniform(0, 100, size=(n, len(cols))), columns=cols,
                         index=[f"P{i}" for i in range(n)])
    frame["index"] = frame[cols].mean(axis=1)
    return frame


@pytest.mark.parametrize("n, withheld", [(4, True), (5, False)])
def test_peer_figures_are_withheld_below_five(framework, n, withheld):
    peers = _peer_scores(framework, n)
    client = peers.iloc[0] * 0 + 50
    pc = peer_statistics(client, peers, framework, compare_to="median")
    idx = pc.stats.loc["index"]
    assert idx["n"] == n  # the count itself stays visible
    for col in ("mean", "median", "q1", "q3", "percentile", "ci_low", "ci_high"):
        assert np.isnan(idx[col]) == withheld, col
    assert ("median" in pc.suppressed.get("index", {})) == withheld
    # Top quartile (2) and top deck (1) of so few peers are always withheld.
    assert {"top_quartile_mean", "top_deck_mean"} <= set(pc.suppressed["index"])
    if withheld:
        assert "4 organisations" in pc.suppressed["index"]["median"]
        assert pc.comparison_used is None and np.isnan(idx["gap"])
    else:
        assert idx["median"] == pytest.approx(peers["index"].median())


def test_min_group_size_is_configurable(framework):
    peers = _peer_scores(framework, 6)
    client = peers.iloc[0] * 0 + 50
    assert "median" not in peer_statistics(client, peers, framework, min_group_size=6).suppressed["index"]
    assert "median" in peer_statistics(client, peers, framework, min_group_size=7).suppressed["index"]


def test_one_small_group_drags_the_next_smallest_with_it():
    table = pd.DataFrame({"n": [40, 30, 4, 12, 9], "share": [50.0, 40.0, 25.0, 60.0, 70.0]},
                         index=list("abcde"))
    out = suppress_groups(table, min_group_size=5)
    assert out["suppressed"].tolist() == [False, False, True, False, True]
    assert out.loc["c", "suppressed_reason"].startswith("the group has 4 organisations")
    assert "subtraction" in out.loc["e", "suppressed_reason"]
    assert out.loc[["c", "e"], "share"].isna().all() and out.loc["a", "share"] == 50.0
    # Without a total beside the table, only the small group goes.
    alone = suppress_groups(table, min_group_size=5, total_shown=False)
    assert alone["suppressed"].tolist() == [False, False, True, False, False]


def test_withheld_groups_together_reach_the_minimum():
    # Two tiny groups: withholding both still leaves their union (n = 3) recoverable from
    # the total, so a third group must go too.
    table = pd.DataFrame({"n": [1, 2, 50, 40], "mean": [10.0, 20.0, 60.0, 70.0]})
    out = suppress_groups(table, min_group_size=5)
    assert out["suppressed"].tolist() == [True, True, False, True]


@pytest.mark.parametrize("seed", range(20))
def test_no_withheld_figure_can_be_recovered_by_subtraction(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    n = rng.integers(1, 30, size=k)
    mean = rng.uniform(0, 100, size=k)
    table = pd.DataFrame({"n": n, "mean": mean})
    out = suppress_groups(table, min_group_size=5)
    hidden = out["suppressed"].to_numpy()
    # The attacker knows every n, the visible means and the total mean: the only thing
    # recoverable is the pooled mean of the withheld groups, which must be safe.
    assert not ((n < 5) & ~hidden).any()
    if hidden.any():
        assert hidden.sum() >= 2 or hidden.sum() == k
        assert n[hidden].sum() >= 5 or hidden.all()
        # Every strict subset of withheld groups that could be singled out is not visible.
        for size in range(1, hidden.sum()):
            for subset in itertools.combinations(np.flatnonzero(hidden), size):
                assert np.isnan(out["mean"].to_numpy()[list(subset)]).all()


def test_nested_rule():
    assert nested_group_reason(10, 7, 5) is not None  # the 3 between would be revealed
    assert nested_group_reason(12, 7, 5) is None
    assert nested_group_reason(7, 7, 5) is None  # identical groups reveal nothing new


def test_top_deck_withheld_when_it_would_reveal_the_band_below_it(framework):
    # 40 peers: 30 low, 3 in the middle, 7 tied at the top. Top quartile = 10, top deck
    # = 7: both large enough alone, but together they would reveal the mean of 3.
    values = np.r_[np.arange(10, 40), [50, 51, 52], [90] * 7].astype(float)
    peers = pd.DataFrame({s: values for s in framework.strand_ids}, index=[f"P{i}" for i in range(40)])
    peers["index"] = values
    client = pd.Series(45.0, index=peers.columns)
    pc = peer_statistics(client, peers, framework, compare_to="top_deck")
    idx = pc.stats.loc["index"]
    assert idx["top_quartile_n"] == 10 and idx["top_deck_n"] == 7
    assert idx["top_quartile_mean"] == pytest.approx((50 + 51 + 52 + 630) / 10)
    assert np.isnan(idx["top_deck_mean"])
    assert "other 3 organisations" in pc.suppressed["index"]["top_deck_mean"]
    # The comparison falls back to the next larger group, and says so.
    assert pc.comparison_used == "top_quartile"
    assert idx["comparison"] == idx["top_quartile_mean"]
    assert pc.notes and "top-deck mean is withheld" in pc.notes[0]


def test_top_deck_needs_five_organisations(framework):
    # Distinct scores: the top deck (at or above the 90th percentile, linear
    # interpolation) holds 4 of 40 peers but 5 of 41.
    for n, n_top, shown in ((40, 4, False), (41, 5, True)):
        peers = _peer_scores(framework, n, seed=n)
        pc = peer_statistics(peers.iloc[0] * 0 + 50, peers, framework, compare_to="top_deck")
        assert pc.stats.loc["index", "top_deck_n"] == n_top
        assert np.isfinite(pc.stats.loc["index", "top_deck_mean"]) == shown
        assert (pc.comparison_used == "top_deck") == shown
