"""Scoring: hand-computed cases and an independent reference implementation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.errors import DataError
from maturity.framework import parse_framework

from .conftest import small_framework_dict


def _frame(rows: dict[str, dict], fw) -> pd.DataFrame:
    """Rows keyed by respondent id; unanswered items become NaN."""
    records = []
    for rid, answers in rows.items():
        records.append({fw.id_column: rid, **{i: answers.get(i, np.nan) for i in fw.item_ids}})
    return pd.DataFrame(records)


def _all(fw, strand, value):
    return {i.id: value for i in fw.strand(strand).items}


def test_end_points_and_midpoint(small_framework):
    fw = small_framework
    data = _frame({"a": {**_all(fw, "s0", 7), **_all(fw, "s1", 1), **_all(fw, "s2", 4)}}, fw)
    scores = maturity.score_responses(data, fw)
    assert scores.loc["a"].to_dict() == {"s0": 100.0, "s1": 0.0, "s2": 50.0, "index": 50.0}
    assert scores.index.name == "person"


def test_reverse_coded_item_is_reversed():
    d = small_framework_dict()
    d["strands"][0]["items"][0]["reverse"] = True
    fw = parse_framework(d)
    answers = {**_all(fw, "s0", 7), **_all(fw, "s1", 4), **_all(fw, "s2", 4)}
    scores = maturity.score_responses(_frame({"a": answers}, fw), fw)
    # Three items at 100, the reversed one at 0.
    assert scores.loc["a", "s0"] == pytest.approx(75.0)
    assert maturity.scoring.item_scores(_frame({"a": answers}, fw), fw).loc["a", "q0_0"] == 0.0


def test_item_weights():
    d = small_framework_dict()
    d["strands"][0]["items"][0]["weight"] = 3
    fw = parse_framework(d)
    answers = {**_all(fw, "s0", 1), "q0_0": 7, **_all(fw, "s1", 4), **_all(fw, "s2", 4)}
    scores = maturity.score_responses(_frame({"a": answers}, fw), fw)
    assert scores.loc["a", "s0"] == pytest.approx(3 * 100 / 6)


def test_missing_answers_use_answered_items_only(small_framework):
    fw = small_framework
    answers = {"q0_0": 7, "q0_1": 4, **_all(fw, "s1", 4), **_all(fw, "s2", 4)}
    scores = maturity.score_responses(_frame({"a": answers}, fw), fw)
    assert scores.loc["a", "s0"] == pytest.approx(75.0)  # mean of 100 and 50


@pytest.mark.parametrize("min_answered,answered,scored", [
    (0.5, 2, True), (0.5, 1, False), (0.75, 2, False), (0.75, 3, True), (1.0, 3, False), (1.0, 4, True),
])
def test_min_answered(min_answered, answered, scored):
    d = small_framework_dict()
    d["index"] = {"min_answered": min_answered}
    fw = parse_framework(d)
    answers = {f"q0_{i}": 5 for i in range(answered)} | _all(fw, "s1", 4) | _all(fw, "s2", 4)
    scores = maturity.score_responses(_frame({"a": answers}, fw), fw)
    assert np.isnan(scores.loc["a", "s0"]) != scored
    assert np.isnan(scores.loc["a", "index"]) != scored


def test_all_missing_strand_and_require_all_strands():
    d = small_framework_dict()
    fw = parse_framework(d)
    answers = {**_all(fw, "s1", 7), **_all(fw, "s2", 4)}
    scores = maturity.score_responses(_frame({"a": answers}, fw), fw)
    assert np.isnan(scores.loc["a", "s0"]) and np.isnan(scores.loc["a", "index"])
    d["index"] = {"require_all_strands": False}
    fw2 = parse_framework(d)
    scores2 = maturity.score_responses(_frame({"a": answers}, fw2), fw2)
    assert scores2.loc["a", "index"] == pytest.approx(75.0)


def test_index_weights():
    d = small_framework_dict()
    d["index"] = {"weights": {"s0": 2}}
    fw = parse_framework(d)
    answers = {**_all(fw, "s0", 7), **_all(fw, "s1", 1), **_all(fw, "s2", 4)}
    scores = maturity.score_responses(_frame({"a": answers}, fw), fw)
    assert scores.loc["a", "index"] == pytest.approx((2 * 100 + 0 + 50) / 4)


def test_text_labels_map_case_and_space_insensitively(small_framework):
    fw = small_framework
    answers = {**_all(fw, "s0", "  ALWAYS "), **_all(fw, "s1", "never"), **_all(fw, "s2", "4")}
    scores = maturity.score_responses(_frame({"a": answers}, fw), fw)
    assert scores.loc["a"].to_dict() == {"s0": 100.0, "s1": 0.0, "s2": 50.0, "index": 50.0}


def test_default_framework_labels(framework):
    answers = {i.id: "Strongly agree" for i in framework.items}
    scores = maturity.score_responses(_frame({"x": answers}, framework), framework)
    # Reverse-coded items answered "Strongly agree" score 0.
    for strand in framework.strands:
        n_rev = sum(i.reverse for i in strand.items)
        assert scores.loc["x", strand.id] == pytest.approx(100 * (len(strand.items) - n_rev) / len(strand.items))


@pytest.mark.parametrize("bad", [8, 0, "maybe", 2.5, np.inf])
def test_invalid_answers_raise(small_framework, bad):
    fw = small_framework
    answers = {**_all(fw, "s0", 4), **_all(fw, "s1", 4), **_all(fw, "s2", 4), "q1_2": bad}
    with pytest.raises(DataError, match="q1_2"):
        maturity.score_responses(_frame({"a": answers}, fw), fw)


def test_non_integer_scale_accepts_fractions():
    d = small_framework_dict()
    d["scales"]["seven"] = {"min": 0, "max": 10, "integer": False}
    fw = parse_framework(d)
    answers = {**_all(fw, "s0", 2.5), **_all(fw, "s1", 10), **_all(fw, "s2", 0)}
    scores = maturity.score_responses(_frame({"a": answers}, fw), fw)
    assert scores.loc["a", "s0"] == pytest.approx(25.0)


def test_ids_from_index_and_duplicates(small_framework):
    fw = small_framework
    answers = {**_all(fw, "s0", 4), **_all(fw, "s1", 4), **_all(fw, "s2", 4)}
    data = _frame({"a": answers, "b": answers}, fw)
    assert list(maturity.score_responses(data.set_index("person"), fw).index) == ["a", "b"]
    data.loc[1, "person"] = "a"
    with pytest.raises(DataError, match="duplicate respondent ids: a"):
        maturity.score_responses(data, fw)


def test_missing_item_column(small_framework):
    data = _frame({"a": {}}, small_framework).drop(columns=["q2_3"])
    with pytest.raises(DataError, match="lack 1 item column"):
        maturity.score_responses(data, small_framework)


def _reference_scores(responses: pd.DataFrame, fw) -> pd.DataFrame:
    """A slow, loop-per-respondent implementation of the scoring rules, written independently."""
    out = {}
    for _, row in responses.iterrows():
        rid = row[fw.id_column]
        strand_scores = {}
        for strand in fw.strands:
            num = den = answered = 0.0
            for item in strand.items:
                x = row[item.id]
                if pd.isna(x):
                    continue
                sc = fw.scales[item.scale]
                s = (float(x) - sc.min) / (sc.max - sc.min) * 100
                if item.reverse:
                    s = 100 - s
                num += item.weight * s
                den += item.weight
                answered += 1
            ok = answered >= fw.index.min_answered * len(strand.items) - 1e-9
            strand_scores[strand.id] = num / den if ok and den else np.nan
        vals = [(fw.strand_weight(s), v) for s, v in strand_scores.items()]
        if any(np.isnan(v) for _, v in vals):
            index = np.nan
        else:
            index = sum(w * v for w, v in vals) / sum(w for w, _ in vals)
        out[rid] = {**strand_scores, "index": index}
    return pd.DataFrame.from_dict(out, orient="index")


def test_matches_reference_implementation_on_synthetic_data(framework):
    bench = maturity.generate_benchmark(150, seed=11, missing_rate=0.15)
    fast = maturity.score_responses(bench.responses, framework)
    slow = _reference_scores(bench.responses, framework)
    assert fast.isna().any().any(), "the case should include strands below min_answered"
    pd.testing.assert_frame_equal(fast, slow.loc[fast.index], check_names=False, rtol=0, atol=1e-9)


def test_outcome_scores(framework, bench600):
    outcomes = maturity.score_outcomes(bench600.responses, framework)
    assert list(outcomes.columns) == ["business_impact", "staff_impact", "efficiency"]
    assert outcomes.min().min() >= 0 and outcomes.max().max() <= 100
