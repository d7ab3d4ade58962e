"""Outcome improvements: the item threshold, the half-of-the-answered-KPIs rule for a group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from maturity.analysis.outcomes import group_improvement, improvement_flags
from maturity.framework import parse_framework

from .conftest import small_framework_dict


def test_improvement_means_reaching_improved_at(wave):
    fw, responses, _ = wave
    flags = improvement_flags(responses, fw)
    item = fw.outcomes[0].items[0]
    answers = responses[item.id].astype(float)
    expected = (answers >= fw.outcomes[0].improved_at).astype(float).mask(answers.isna())
    pd.testing.assert_series_equal(flags[item.id], expected, check_names=False)


def test_without_improved_at_any_answer_above_the_minimum_counts():
    d = small_framework_dict(n_strands=2, n_items=2)
    d["outcomes"] = [{"id": "gain", "name": "Gain", "items": [
        {"id": "o1", "scale": "seven"}, {"id": "o2", "scale": "seven", "reverse": True}]}]
    fw = parse_framework(d)
    frame = pd.DataFrame({"person": ["a", "b", "c", "d"], "o1": [1, 2, 7, np.nan], "o2": [7, 7, 1, np.nan]})
    flags = improvement_flags(frame, fw)
    assert flags["o1"].tolist()[:3] == [0.0, 1.0, 1.0] and np.isnan(flags["o1"].iloc[3])
    # Reverse-coded: a printed 7 is the scale minimum in the improvement direction.
    assert flags["o2"].tolist()[:3] == [0.0, 0.0, 1.0]
    # Group: an improvement on at least half of the answered items; missing when none was.
    assert group_improvement(frame, fw)["gain"].tolist()[:3] == [0.0, 1.0, 1.0]
    frame.loc[0, "o1"] = 5
    frame.loc[1, "o2"] = np.nan
    gain = group_improvement(frame, fw)["gain"]
    assert gain.tolist()[:3] == [1.0, 1.0, 1.0] and np.isnan(gain.iloc[3])


def test_a_group_needs_improvement_on_at_least_half_of_its_answered_kpis():
    d = small_framework_dict(n_strands=2, n_items=2)
    d["outcomes"] = [{"id": "gain", "name": "Gain", "improved_at": 5,
                      "items": [{"id": f"o{i}", "scale": "seven"} for i in range(3)]}]
    fw = parse_framework(d)
    frame = pd.DataFrame({"person": ["one", "two", "three", "half"],
                          "o0": [6, 6, 6, 6], "o1": [1, 6, 6, 1], "o2": [1, 1, 6, np.nan]})
    assert group_improvement(frame, fw)["gain"].tolist() == [0.0, 1.0, 1.0, 1.0]


def test_group_improvement_per_outcome_group():
    d = small_framework_dict(n_strands=2, n_items=2)
    d["outcomes"] = [
        {"id": "impact", "name": "Impact", "improved_at": 3,
         "items": [{"id": "o1", "scale": "seven"}, {"id": "o2", "scale": "seven"}]},
        {"id": "speed", "name": "Speed", "items": [{"id": "o3", "scale": "seven"}]},
    ]
    fw = parse_framework(d)
    responses = pd.DataFrame({
        "person": ["a", "b", "c", "d"],
        "o1": [1, 3, 2, np.nan], "o2": [2, 1, 1, np.nan],     # impact improved at >= 3
        "o3": [1, 2, np.nan, 7],                              # speed: anything above the minimum
    })
    rates = group_improvement(responses, fw)
    assert list(rates.index) == ["a", "b", "c", "d"]
    assert rates["impact"].tolist()[:3] == [0.0, 1.0, 0.0] and np.isnan(rates.loc["d", "impact"])
    assert rates["speed"].tolist()[:2] == [0.0, 1.0] and np.isnan(rates.loc["c", "speed"])
    assert rates.loc["d", "speed"] == 1.0
