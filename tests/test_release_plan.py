"""Confidentiality across figures: the release plan, its exact audit and the attacks it stops."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.benchmarking.attacks import ReleasedFigure, attack
from maturity.clients.results import client_from_data as client_from_wave, results_for_data as build_client_results
from maturity.benchmarking.wave_models import save_publication
from maturity.benchmarking.disclosure_audit import find_exposures
from maturity.benchmarking.privacy_audit import audit_release, released_figures, wave_release
from maturity.benchmarking.release_plan import PrivacySettings, ReleasePlan
from maturity.cli import main
from maturity.data.store import BenchmarkStore

from .test_client_results import make_data, params


# --- the exact audit on small cases ------------------------------------------------------------


def test_two_sets_differing_by_one_organisation_are_exposed():
    groups = np.array([[1] * 13 + [0], [1] * 12 + [0, 0], [0] * 13 + [1]], dtype=bool)
    exposures = find_exposures(groups[:2], threshold=6)
    assert [e.members for e in exposures] == [(12,)]
    assert exposures[0].sets == {0: 1.0, 1: -1.0}
    # Two disjoint large groups single out nobody.
    assert find_exposures(np.array([[1] * 7 + [0] * 7, [0] * 7 + [1] * 7], dtype=bool), threshold=6) == []


def test_a_three_group_tracker_is_exposed():
    # A = 0..9, B = 6..15, C = 0..14: A + B - C counts 6..9 and 15 once, all others 0 times.
    n = 16
    a, b, c = np.zeros((3, n), dtype=bool)
    a[:10], b[6:], c[:15] = True, True, True
    exposures = find_exposures(np.vstack([a, b, c]), threshold=6, max_exposures=5)
    assert exposures, "A + B - C singles out the overlap outside C"
    assert all(e.size < 6 for e in exposures)
    # Every exposure is a true combination: check the weights reproduce the members' indicator.
    rows = np.vstack([a, b, c]).astype(float)
    for e in exposures:
        combo = sum(w * rows[i] for i, w in e.sets.items())
        assert set(np.flatnonzero(np.abs(combo - 1) < 1e-6)) == set(e.members)
        assert np.abs(combo[[i for i in range(n) if i not in e.members]]).max() < 1e-6


def test_margins_of_a_dense_table_expose_nobody():
    rng = np.random.default_rng(4)
    sector, region = rng.integers(0, 4, 400), rng.integers(0, 3, 400)
    rows = [np.ones(400, bool)] + [sector == s for s in range(4)] + [region == r for r in range(3)]
    assert find_exposures(np.vstack(rows), threshold=8) == []


# --- the plan on a wave with many small cells -----------------------------------------------------


@pytest.fixture(scope="module")
def wave(bench600):
    return make_data(bench600.responses, bench600.framework)


@pytest.fixture(scope="module")
def release(wave):
    from maturity.analysis.segments import SegmentModel

    model = SegmentModel(strands=wave.framework.strand_ids, random_state=1).fit(wave.scores)
    return wave_release(wave, model)


@pytest.fixture(scope="module")
def published(release):
    from maturity.benchmarking.publication import publish_wave
    from maturity.published.table import Publication

    document, report = publish_wave(release, PrivacySettings(), segment_model=None)
    return Publication(document), report.plan


@pytest.fixture(scope="module")
def plan(published):
    return published[1]


def test_plan_releases_ordinary_groups_and_passes_its_audit(plan, release, wave):
    assert plan.settings.threshold == 8
    big_values = [v for v in plan.values if v["n"] >= 10]
    assert len(big_values) >= 15
    # A value of at least twice the minimum size loses its own group only when it had to
    # merge with a value too small to release (at most one per demographic).
    for demo in {v["demographic"] for v in plan.values}:
        values = [v for v in plan.values if v["demographic"] == demo]
        lost = [v for v in values if v["n"] >= 10 and not v["as_asked"]]
        tiny = [v for v in values if v["n"] < plan.settings.threshold]
        assert len(lost) <= (1 if tiny else 0), (demo, values)
    assert plan.share_as_asked >= 0.85
    assert all(g["n"] >= 8 for g in plan.released_groups)
    # Merged "Other" groups leave no small remainder: every demographic value is in a released group.
    released_values = {(k, v) for g in plan.released_groups for k, vals in g["filters"].items() for v in vals}
    assert {(v["demographic"], v["value"]) for v in plan.values} <= released_values
    report = audit_release(release, plan)
    assert report.safe, report.to_text()
    assert report.attacks.tried["pairwise"] > 50 and report.attacks.tried["tracker"] > 500
    # The plan survives storage as JSON.
    again = ReleasePlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert [g["id"] for g in again.released_groups] == [g["id"] for g in plan.released_groups]


def test_a_forced_group_that_differs_by_few_organisations_fails_the_audit(release, wave):
    edu = wave.responses[wave.responses["sector"] == "Education"]
    regions = edu["region"].value_counts()
    rare = regions.index[-1]
    keep = tuple(r for r in regions.index if r != rare)
    forced = PrivacySettings(extra_groups=({"sector": ("Education",), "region": keep},))
    bad = release.plan(forced)
    report = audit_release(release, bad)
    assert not report.safe
    assert any("Education" in " ".join(e["figures"]) for e in report.exposures)
    # The forced group's top quartile and top deck are differenced against the sector's too.
    named = " ".join(" ".join(e["figures"]) for e in report.exposures)
    assert "(top deck)" in named or "(top quartile)" in named


# --- attacks through client results ------------------------------------------------------------------


def _peer_total(res: dict, score: str = "index") -> tuple[int, float]:
    stats = res["peers"]["stats"][score]
    return stats["n"], (stats["mean"] or 0.0) * stats["n"]


def test_the_pairwise_attack_of_the_issue_recovers_nothing(wave, plan, published):
    resp = wave.responses
    edu = resp[resp["sector"] == "Education"]
    client = edu.index[0]
    rare = edu["region"].value_counts().index[-1]
    others = tuple(r for r in resp["region"].dropna().unique() if r != rare)
    target = edu.index[edu["region"] == rare]
    one = build_client_results(wave, client_from_wave(wave, client), params(organisation=client, peers={"sector": ("Education",)}), publication=published[0])
    two = build_client_results(wave, client_from_wave(wave, client),
                               params(organisation=client, peers={"sector": ("Education",), "region": others}), publication=published[0])
    assert one["peers"]["as_requested"] is True and two["peers"]["as_requested"] is False
    n1, t1 = _peer_total(one)
    n2, t2 = _peer_total(two)
    if n1 != n2:  # a different released group: the difference must cover many organisations
        assert abs(n1 - n2) >= plan.settings.min_group_size
    else:
        assert t1 == pytest.approx(t2)  # the same figures: nothing to subtract
    assert len(target) >= 1 and n1 - n2 != len(target)


def test_pooled_reports_of_many_clients_reveal_no_organisation(wave, plan, release, published):
    """Reports of many clients with every filter combination, pooled: the distinct figures
    they hold are the plan's, identical across clients, and the attacks on them fail."""
    resp = wave.responses
    clients = list(resp.index[::60])
    sectors = resp["sector"].value_counts().index[:3]
    requests = [{}, {"sector": (sectors[0],)}, {"sector": (sectors[0],), "size": ("1-249",)},
                {"sector": tuple(sectors[:2])}, {"region": ("UK & Ireland",), "size": ("5000+",)}]
    seen: dict[str, dict] = {}
    for org, peers in itertools.product(clients, requests):
        res = build_client_results(wave, client_from_wave(wave, org), params(organisation=org, peers=peers, compare_to="top_deck"),
                                   publication=published[0])
        gid = res["peers"]["group_id"]
        figures = {s: {k: v for k, v in st.items() if k not in ("comparison", "gap")} for s, st in res["peers"]["stats"].items()}
        if gid in seen:
            assert seen[gid] == figures, "the same released group must show the same figures to every client"
        seen[gid] = figures
        assert gid in {g["id"] for g in plan.released_groups}
    assert len(seen) >= 3
    figures, truth = released_figures(release, plan)
    result = attack(figures, truth, min_group_size=plan.settings.min_group_size,
                    readers=[[str(c) for c in clients[:3]], [str(c) for c in clients[3:6]]])
    assert result.safe, result.successes


def test_attacks_do_find_a_leak_when_one_is_there():
    ids = [f"O{i}" for i in range(14)]
    values = pd.Series(np.linspace(20, 85, 14), index=ids)
    fig = lambda name, members: ReleasedFigure(name, "index", frozenset(members), len(members), float(values[list(members)].mean()))  # noqa: E731
    result = attack([fig("A", ids[:13]), fig("B", ids[:12])], {"index": values}, min_group_size=5)
    assert not result.safe
    hit = result.successes[0]
    assert hit["organisations"] == 1 and hit["recovered_total"] == pytest.approx(values["O12"])


# --- storage and the command line ----------------------------------------------------------------------


def test_privacy_audit_command_passes_then_fails_after_a_bad_setting(tmp_path, bench600, capsys):
    db = tmp_path / "b.duckdb"
    with BenchmarkStore(db) as store:
        store.import_responses(bench600.responses, bench600.framework, "2026")
        _document, report = save_publication(store, "2026", PrivacySettings())
    plan = report.plan
    assert report.safe
    assert main(["privacy", "audit", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "SAFE" in out and f"All organisations in the wave: {plan.n_population}" in out
    edu = bench600.responses[bench600.responses["sector"] == "Education"]
    rare = edu["region"].value_counts().index[-1]
    keep = [r for r in edu["region"].unique() if r != rare]
    bad = tmp_path / "bad.yaml"
    bad.write_text("privacy:\n  extra_groups:\n    - {sector: [Education], region: [" + ", ".join(keep) + "]}\n")
    assert main(["privacy", "audit", "--db", str(db), "--params", str(bad), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["safe"] is False and doc["exposures"]
    # Settings that force an exposing group cannot be published: nothing is stored, and the
    # wave's earlier publication (which passed) is what clients keep reading.
    from maturity.benchmarking.client_parameters import ClientParameters
    from maturity.clients.results import client_results

    org = str(edu["respondent_id"].iloc[0])
    before = client_results(ClientParameters(client_id="c1", db=db, organisation=org))
    assert main(["privacy", "plan", "--db", str(db), "--params", str(bad)]) == 1
    assert "cannot be published safely" in capsys.readouterr().err
    after = client_results(ClientParameters(client_id="c1", db=db, organisation=org))
    assert after["privacy"]["publication_fingerprint"] == before["privacy"]["publication_fingerprint"]
    assert after["peers"]["n"] > 0
    # A batch of the wave still produces every report.
    client = tmp_path / "c1.yaml"
    client.write_text(f"client_id: c1\norganisation: {org}\ndb: {db}\n", encoding="utf-8")
    assert main(["batch", str(client), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    assert (tmp_path / "out" / "clients" / "c1" / "results.json").exists()
