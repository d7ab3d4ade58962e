"""Client results (results.json) built from a wave's data: content, privacy,
new organisations, and findings that match the figures they cite."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.benchmarking.advice import equal_importance
from maturity.benchmarking.client_parameters import ClientParameters
from maturity.clients.results import client_from_data as client_from_wave, results_for_data as build_client_results
from maturity.published.profile import client_from_survey
from maturity.benchmarking.peers import percentile_rank
from maturity.data.population import BenchmarkData
from maturity.data.synthetic import generate_wave
from maturity.errors import DataError, ParametersError

from .conftest import released_population


CLIENT = "ORG-0010"


def make_data(responses: pd.DataFrame, framework, wave="2026") -> BenchmarkData:
    return BenchmarkData.from_responses(responses, framework, wave=wave, source="test")


def params(**kw) -> ClientParameters:
    base = dict(client_id="acme-2026", db=Path("unused.duckdb"), organisation=CLIENT, compare_to="top_quartile")
    base.update(kw)
    return ClientParameters(**base)


@pytest.fixture(scope="module")
def waves(bench600):
    later = generate_wave(bench600, seed=7)
    fw = bench600.framework
    return fw, make_data(bench600.responses, fw, "2025"), make_data(later.responses, fw, "2026")


def history_of(org, *datas):
    rows = [{"wave": d.wave, **d.scores.loc[org].to_dict()} for d in datas if org in d.scores.index]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def results(waves):
    fw, first, second = waves
    assert CLIENT in second.scores.index and CLIENT in first.scores.index
    sector = second.responses.loc[CLIENT, "sector"]
    client = client_from_wave(second, CLIENT)
    return build_client_results(
        second, client, params(peers={"sector": (sector,)}, compare_to="median"),
        history=history_of(CLIENT, first, second),
    )


def test_results_hold_the_contract_fields(results, waves):
    fw, _, second = waves
    for key in ("client_id", "organisation", "scores", "percentiles", "peers", "segment", "priorities",
                "actions", "findings", "suppressed"):
        assert key in results
    json.dumps(results, allow_nan=False)  # strict JSON: no NaN
    assert results["client_id"] == "acme-2026"
    assert results["organisation"]["id"] == CLIENT
    assert results["organisation"]["name"] == second.responses.loc[CLIENT, "name"]
    assert results["scores"]["index"] == pytest.approx(second.scores.loc[CLIENT, "index"])
    sector = second.responses.loc[CLIENT, "sector"]
    rated = second.scores["index"].notna()
    group = second.responses.index[(second.responses["sector"] == sector) & rated]
    others = group[group != CLIENT]
    # The released group is the same for every client: the client counts in it, and its
    # percentile ranks it among the others.
    assert results["peers"]["n"] == len(group) and results["peers"]["includes_client"] is True
    assert results["peers"]["as_requested"] is True
    # Where the client stands is read from the published bins: the band holds the exact
    # share of the group below it, and the median is interpolated on the bins (never an
    # organisation's own value), within the bin that holds the true median.
    exact = 100 * (second.scores.loc[group, "index"] < second.scores.loc[CLIENT, "index"]).mean()
    pct = results["percentiles"]["index"]
    assert pct["ci_low"] - 1e-9 <= exact <= pct["ci_high"] + 1e-9 and pct["ci_high"] - pct["ci_low"] < 50
    dist = results["peers"]["distributions"]["index"]
    assert min(c for c in dist["counts"] if c) >= results["peers"]["min_group_size"] and sum(dist["counts"]) == len(group)
    true_median = second.scores.loc[group, "index"].median()
    published_median = results["peers"]["stats"]["index"]["median"]
    edges = dist["edges"]
    bin_of = lambda v: max(i for i, e in enumerate(edges[:-1]) if e <= v)  # noqa: E731
    assert abs(bin_of(published_median) - bin_of(true_median)) <= 1
    assert not np.isclose(second.scores.loc[group, "index"].to_numpy(), published_median, atol=1e-9).any() or \
        published_median in edges
    assert results["privacy"]["method"] == "published once per wave, with exact disclosure audit"
    assert [t["wave"] for t in results["trend"]] == ["2025", "2026"]
    assert results["importance"]["source"] == "equal"
    assert 1 <= len(results["priorities"]) <= 3
    assert {a["strand"] for a in results["actions"]} <= {p["strand"] for p in results["priorities"]}
    assert all(a["title"] for a in results["actions"])


def _all_text(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def assert_no_other_organisation(text: str, data: BenchmarkData, own_id: str | None, own_name: str | None):
    """No id or name of any other organisation of the wave appears in ``text``."""
    names = data.responses[data.framework.name_column]
    for org_id, name in names.items():
        if org_id == own_id:
            continue
        assert str(org_id) not in text, f"id {org_id} leaked"
        # A name that is part of the client's own name cannot be told apart from it.
        if own_name and str(name) in own_name:
            continue
        assert str(name) not in text, f"name {name!r} of {org_id} leaked"


def test_results_name_no_other_organisation(results, waves):
    _, _, second = waves
    assert_no_other_organisation(_all_text(results), second, CLIENT, results["organisation"]["name"])


def test_a_new_organisations_survey_is_placed_without_joining_the_benchmark(waves):
    fw, _, second = waves
    newcomer = maturity.generate_benchmark(1, framework=fw, seed=99, id_prefix="NEW").responses
    before = copy.deepcopy(second)
    client = client_from_survey(newcomer, fw)
    assert client.id == "NEW-0001" and not client.in_benchmark
    out = build_client_results(second, client, params(organisation=None, responses=Path("new.csv"), compare_to="top_deck"))
    # The benchmark is untouched ...
    pd.testing.assert_frame_equal(second.responses, before.responses)
    pd.testing.assert_frame_equal(second.scores, before.scores)
    # ... and the newcomer is compared with the whole wave (nobody left out).
    own = maturity.score_responses(newcomer, fw).iloc[0]
    assert out["peers"]["n"] == len(released_population(second.responses, fw)) and out["peers"]["includes_client"] is False
    population = released_population(second.responses, fw)
    exact = 100 * (second.scores.loc[population, "index"] < own["index"]).mean()
    assert out["percentiles"]["index"]["ci_low"] - 1e-9 <= exact <= out["percentiles"]["index"]["ci_high"] + 1e-9
    assert out["organisation"] == {"id": "NEW-0001", "name": newcomer["name"].iloc[0], "source": "own survey",
                                   "demographics": {d.id: newcomer[d.id].iloc[0] for d in fw.demographics}}
    assert out["trend"] == []
    assert_no_other_organisation(_all_text(out), second, None, out["organisation"]["name"])


def test_a_survey_claiming_a_wave_id_is_still_a_separate_organisation(waves):
    fw, first, second = waves
    impostor = maturity.generate_benchmark(1, framework=fw, seed=5).responses  # id ORG-0001
    assert "ORG-0001" in second.scores.index
    out = build_client_results(second, client_from_survey(impostor, fw), params(organisation=None, responses=Path("x.csv")),
                               history=history_of("ORG-0001", first, second))
    assert out["peers"]["n"] == len(released_population(second.responses, fw))  # the stored ORG-0001 stays a peer
    assert out["trend"] == []  # and its history is not handed to the file's author


def test_survey_must_hold_one_organisation(waves):
    fw, _, _ = waves
    two = maturity.generate_benchmark(2, framework=fw, seed=1).responses
    with pytest.raises(DataError, match="exactly one organisation, found 2"):
        client_from_survey(two, fw)


def test_organisation_missing_from_the_wave(waves):
    _, _, second = waves
    with pytest.raises(DataError, match="'ORG-9999' is not in wave 2026"):
        client_from_wave(second, "ORG-9999")


def test_unknown_peer_filters_are_rejected(waves):
    _, _, second = waves
    with pytest.raises(ParametersError, match="'country' is not a demographic"):
        build_client_results(second, client_from_wave(second, CLIENT), params(peers={"country": ("UK",)}))


def test_a_peer_group_below_the_release_threshold_gets_the_nearest_released_group(waves):
    fw, _, second = waves
    resp = second.responses
    sector = resp.loc[CLIENT, "sector"]
    same = resp.index[(resp["sector"] == sector) & (resp.index != CLIENT)][:4]
    other = resp.index[resp["sector"] != sector][:60]
    data = make_data(resp.loc[[CLIENT, *same, *other]], fw)
    out = build_client_results(data, client_from_wave(data, CLIENT), params(peers={"sector": (sector,)}, compare_to="median"))
    # Five organisations with the client: fewer than min_group_size + pooled_readers (8),
    # so the sector is merged or replaced; the figures describe a released, larger group.
    assert out["peers"]["as_requested"] is False
    assert out["peers"]["n"] >= out["privacy"]["smallest_released_set"]
    assert out["peers"]["requested"] == {"sector": [sector]}
    assert "nearest published group" in out["peers"]["notes"][0]
    assert out["peers"]["stats"]["index"]["median"] is not None
    check_findings(out)


def test_importance_changes_the_priorities(waves):
    fw, _, second = waves
    client = client_from_wave(second, CLIENT)
    plain = build_client_results(second, client, params(compare_to="top_deck"))
    gaps = {p["strand"]: p["gap"] for p in plain["priorities"]}
    assert [p["strand"] for p in plain["priorities"]] == sorted(gaps, key=gaps.get, reverse=True)
    # Put all the weight on the strand ranked last: it comes first.
    last = plain["priorities"][-1]["strand"]
    weights = pd.Series(0.0, index=fw.strand_ids)
    weights[last] = 1.0
    weighted = build_client_results(second, client, params(compare_to="top_deck"), importance=weights)
    assert weighted["importance"]["source"] == "drivers"
    assert weighted["priorities"][0]["strand"] == last
    # Equal weights given explicitly count as drivers but rank like the default.
    same = build_client_results(second, client, params(compare_to="top_deck"), importance=equal_importance(fw))
    assert [p["strand"] for p in same["priorities"]] == [p["strand"] for p in plain["priorities"]]


def test_another_framework_without_demographics_or_outcomes(small_framework):
    bench = maturity.generate_benchmark(60, framework=small_framework, seed=3)
    data = make_data(bench.responses, small_framework, wave=None)
    out = build_client_results(data, client_from_wave(data, "ORG-0005"), params(organisation="ORG-0005"))
    assert set(out["scores"]) == {"index", "s0", "s1", "s2"}
    assert out["achievers"] == [] and out["actions"] == []  # no action library
    assert out["peers"]["description"] == "All organisations in the wave"
    assert out["peers"]["n"] == len(released_population(data.responses, small_framework))
    json.dumps(out, allow_nan=False)


# --- findings match the numbers they cite ----------------------------------------------------


def _ord(text: str) -> int:
    return int(re.match(r"(\d+)(st|nd|rd|th)$", text).group(1))


def check_findings(res: dict) -> set[str]:
    """Parse every finding back into numbers and compare them with the results."""
    r0 = lambda v: int(f"{v:.0f}")  # noqa: E731 - the rounding the sentences use
    names = res["strand_names"]
    stats = res["peers"]["stats"]
    pct = res["percentiles"]
    kinds = set()
    for finding in res["findings"]:
        kind, text = finding["kind"], finding["text"]
        kinds.add(kind)
        if kind == "position":
            n = stats["index"]["n"]
            assert n == res["peers"]["n"] or res["peers"]["n"] > n  # peers without an index
            peers = rf"(?:the )?{n:,} (?:peers \(.+\)|organisations in the wave)"
            assert text.startswith(f"Your maturity index is {r0(res['scores']['index'])}, "), text
            m = re.search(rf"at about the (\w+) percentile of {peers}\.$", text)
            if m:
                assert _ord(m[1]) == r0(pct["index"]["value"])
            else:
                m = re.search(rf"in the (lowest|highest) band of {peers}\.$", text)
                assert m, text
                assert (pct["index"]["ci_high"] <= 0) if m[1] == "lowest" else (pct["index"]["ci_low"] >= 100)
        elif kind == "interval":
            m = re.fullmatch(r"The published figures place you (?:between the (\w+) and the (\w+) percentile: .*|at the (\w+) percentile\.)", text)
            assert m, text
            low, high = (m[1], m[2]) if m[1] else (m[3], m[3])
            assert [_ord(low), _ord(high)] == [r0(pct["index"][k]) for k in ("ci_low", "ci_high")]
            # The band is the published bin: it holds the point read from it.
            assert pct["index"]["ci_low"] <= pct["index"]["value"] <= pct["index"]["ci_high"]
        elif kind == "comparison":
            m = re.fullmatch(r"Your index is (?:(\d+) points? (behind|ahead of)|level with) the (.+?) of (\d+)\.", text)
            assert m, text
            assert m[3] == res["peers"]["comparison_label"]
            assert int(m[4]) == r0(stats["index"]["comparison"])
            diff = r0(stats["index"]["comparison"]) - r0(res["scores"]["index"])
            assert (int(m[1]) if m[1] else 0) == abs(diff)
            assert m[2] == ("behind" if diff > 0 else "ahead of" if diff < 0 else None)
        elif kind == "strands":
            shown = [s for s in res["scores"] if s != "index" and stats[s]["comparison"] is not None]
            diffs = [r0(stats[s]["comparison"]) - r0(res["scores"][s]) for s in shown]
            ahead, behind = sum(d < 0 for d in diffs), sum(d > 0 for d in diffs)
            label = res["peers"]["comparison_label"]
            m = re.fullmatch(rf"You are (ahead of|behind) the {label} on all (\d+) strands(?: with a comparison point)?\.", text)
            if m:
                assert int(m[2]) == len(shown) == (ahead if m[1] == "ahead of" else behind)
            else:
                m = re.fullmatch(rf"You are ahead of the {label} on (\d+) of (\d+) strands(?: with a comparison point)?(?: and level on (\d+))?\.", text)
                assert m, text
                assert (int(m[1]), int(m[2]), int(m[3] or 0)) == (ahead, len(shown), len(shown) - ahead - behind)
        elif kind == "strengths":
            m = re.fullmatch(r"Against peers, your strongest strand is (.+) \(score (\d+), (\w+) percentile\) and your weakest is (.+) \(score (\d+), (\w+) percentile\)\.", text)
            assert m, text
            by_name = {v: k for k, v in names.items()}
            best, worst = by_name[m[1]], by_name[m[4]]
            assert (int(m[2]), _ord(m[3])) == (r0(res["scores"][best]), r0(pct[best]["value"]))
            assert (int(m[5]), _ord(m[6])) == (r0(res["scores"][worst]), r0(pct[worst]["value"]))
            values = [pct[s]["value"] for s in res["scores"] if s != "index" and pct[s]["value"] is not None]
            assert pct[best]["value"] == max(values) and pct[worst]["value"] == min(values)
        elif kind == "priorities":
            found = re.findall(r"([A-Z][^,(]+?) \((\d+) points? behind\)", text)
            if found:
                assert [n.removeprefix("and ").strip() for n, _ in found] == [p["name"] for p in res["priorities"]]
                for (_, gap), p in zip(found, res["priorities"]):
                    assert int(gap) == r0(p["comparison"]) - r0(p["score"])
            else:
                assert "at or ahead of" in text and res["priorities"][0]["name"] in text
        elif kind == "trend":
            m = re.fullmatch(r"Your index (?:rose|fell) from (\d+) in wave (\S+) to (\d+) in wave (\S+) \(([+-]\d+) points?\)\.", text)
            if m is None:
                m = re.fullmatch(r"Your index stayed at (\d+) from wave (\S+) to wave (\S+)\.", text)
                assert m, text
                assert r0(res["trend"][-1]["index"]) == r0(res["trend"][-2]["index"]) == int(m[1])
                continue
            prev, cur = res["trend"][-2], res["trend"][-1]
            assert (int(m[1]), m[2], int(m[3]), m[4]) == (r0(prev["index"]), prev["wave"], r0(cur["index"]), cur["wave"])
            assert int(m[5]) == int(m[3]) - int(m[1])
        elif kind == "segment":
            m = re.fullmatch(r"Your strand profile is closest to the (.+) segment(?:, which holds (\d+)% of the organisations in the wave)?\.", text)
            assert m, text
            assert m[1] == res["segment"]["name"]
            if m[2]:
                assert int(m[2]) == r0(res["segment"]["share"])
        elif kind == "note":
            assert text in res["peers"]["notes"]
            if "nearest published group" in text:
                assert res["peers"]["as_requested"] is False
                assert f"({res['peers']['n']} organisations)" in text
                continue
            m = re.search(r"(\d+) organisations?, fewer than the (\d+) needed", text)
            assert m and int(m[1]) < int(m[2]) == res["privacy"]["smallest_released_set"]
        elif kind == "privacy":
            assert "withheld" in text
            assert not re.search(r"\d+%", text)
        else:
            raise AssertionError(f"unexpected finding kind {kind}")
    return kinds


def test_findings_match_the_numbers_they_cite(results):
    kinds = check_findings(results)
    assert {"position", "interval", "comparison", "strands", "strengths", "priorities", "trend"} <= kinds
    assert results["findings"][0]["kind"] == "position"


@pytest.mark.parametrize("org", ["ORG-0003", "ORG-0100", "ORG-0250", "ORG-0377"])
@pytest.mark.parametrize("compare_to", ["median", "top_quartile", "top_deck"])
def test_findings_match_for_many_clients(waves, org, compare_to):
    fw, first, second = waves
    if org not in second.scores.index:
        pytest.skip(f"{org} did not return in the second wave")
    res = build_client_results(second, client_from_wave(second, org), params(organisation=org, compare_to=compare_to),
                               history=history_of(org, first, second))
    check_findings(res)
    assert_no_other_organisation(_all_text(res), second, org, res["organisation"]["name"])


def test_findings_never_cite_withheld_figures(waves):
    fw, _, second = waves
    # A peer group of 45: the top deck (5) is shown alone, but with ties or not, each
    # withheld figure must be absent from the sentences.
    ids = second.scores.index[:46]
    small = make_data(second.responses.loc[ids], fw)
    res = build_client_results(small, client_from_wave(small, ids[0]), params(organisation=ids[0], compare_to="top_deck"))
    check_findings(res)
    assert res["peers"]["comparison_used"] in {"top_deck", "top_quartile"}
    if res["peers"]["comparison_used"] != "top_deck":
        assert "top-deck" not in " ".join(f["text"] for f in res["findings"] if f["kind"] != "note")


@pytest.fixture(scope="module")
def segmented(waves):
    """The wave's organisations that the published figures stand on, and a segmentation."""
    from maturity.analysis.segments import SegmentModel

    fw, _, second = waves
    second = make_data(second.responses.loc[released_population(second.responses, fw)], fw)
    model = SegmentModel(k=3, strands=fw.strand_ids, random_state=1, n_bootstrap=2).fit(second.scores)
    return fw, second, model


def test_segment_profile_describes_its_members(segmented):
    fw, second, model = segmented
    res = build_client_results(second, client_from_wave(second, CLIENT), params(), segment_model=model)
    seg = res["segment"]
    strands = second.scores.loc[second.scores["index"].notna(), fw.strand_ids]
    labels = model.predict(strands)
    own = labels[CLIENT]
    members = strands[labels == own]
    assert seg["name"] == own and seg["n"] == len(members)
    assert seg["share"] == pytest.approx(100 * len(members) / len(strands))
    assert seg["profile"] == pytest.approx(members.mean().to_dict())
    assert [s["name"] for s in seg["segments"]] == list(model.segment_names_)
    assert sum(s["n"] for s in seg["segments"]) == len(strands)
    check_findings(res)
    assert "segment" in {f["kind"] for f in res["findings"]}


def test_a_withheld_segment_leaves_no_centre_to_probe(segmented):
    """A segment whose profile is withheld has no centre in the published classifier, so no
    made-up answers can trace it out: organisations are placed in the nearest published one."""
    from maturity.clients.results import publish_data
    from maturity.published.table import Publication

    fw, second, model = segmented
    document = copy.deepcopy(publish_data(second, segment_model=model).document)
    entries = document["segments"]["entries"]
    hidden = next(e for e in entries if e["name"] == model.predict(second.scores.loc[[CLIENT], fw.strand_ids]).iloc[0])
    hidden.update(released=False, profile=None, reason="withheld for the test")
    from maturity.benchmarking.publication import classifier_of

    document["segments"]["classifier"] = classifier_of(model, [e["name"] for e in entries if e["released"]])
    assert hidden["name"] not in document["segments"]["classifier"]["segment_names"]
    assert len(document["segments"]["classifier"]["centers_z"]) == len(entries) - 1
    res = build_client_results(second, client_from_wave(second, CLIENT), params(), publication=Publication(document))
    assert res["segment"]["name"] != hidden["name"]
    assert res["segment"]["profile"] is not None and all(v is not None for v in res["segment"]["profile"].values())
