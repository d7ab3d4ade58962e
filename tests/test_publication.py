"""Publishing a wave once, tried as an attacker would: every client surface reads only the
published table, whose bins, counts and sums single out no organisation, however it is asked."""

from __future__ import annotations

import copy
import itertools
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.benchmarking.coarsening import Bins, BinTree, bin_of, common_ancestor
from maturity.benchmarking.disclosure_audit import find_exposures
from maturity.benchmarking.privacy_audit import wave_release
from maturity.benchmarking.publication import publish_wave
from maturity.benchmarking.release_plan import PrivacySettings, group_members
from maturity.clients.results import results_for_data
from maturity.dashboard.limits import RateLimiter, Window
from maturity.data.synthetic import demo_waves
from maturity.published.profile import ClientProfile
from maturity.published.results import build_client_results
from maturity.published.placement import place
from maturity.published.table import Publication

from .test_client_results import make_data, params
from .test_layers import SRC, _lint_imports
from .conftest import REPO


def _publish(data, model=None):
    release = wave_release(data, model)
    document, report = publish_wave(release, PrivacySettings(), segment_model=model)
    return release, Publication(document), report


@pytest.fixture(scope="module")
def wave600(bench600):
    data = make_data(bench600.responses, bench600.framework)
    release, publication, report = _publish(data)
    return data, release, publication, report


def _distributions(publication):
    for g in publication.released_groups:
        for score, entry in g["scores"].items():
            yield g, score, entry.get("distribution")


def test_the_same_wave_gives_the_same_table(wave600, bench600):
    data, _release, publication, report = wave600
    assert report.safe and publication.document["audit"]["safe"] is True
    again = _publish(make_data(bench600.responses.copy(), bench600.framework))[1]
    # No wall-clock limit decides anything: the same data and settings, the same table.
    assert again.fingerprint == publication.fingerprint
    assert again.document == publication.document


def test_every_published_bin_holds_no_one_or_the_minimum(wave600):
    data, _release, publication, _report = wave600
    k = publication.min_group_size
    seen = 0
    for g, score, dist in _distributions(publication):
        if dist is None:
            continue
        seen += 1
        counts = np.asarray(dist["counts"])
        assert ((counts == 0) | (counts >= k)).all(), (g["label"], score, dist)
        assert dist["edges"][0] == 0 and dist["edges"][-1] == 100  # no edge at the lowest or highest value
        assert all(float(e).is_integer() for e in dist["edges"])  # edges on the public grid only
        assert counts.sum() == g["scores"][score]["n"]
    assert seen >= len(publication.released_groups) * 3


def test_the_exact_audit_of_every_published_count_finds_nothing(wave600):
    """Group sizes and every bin of every score are counts over member sets: no combination
    of them singles out fewer than the minimum number of organisations."""
    data, release, publication, report = wave600
    plan = report.plan
    population = plan.population(data.responses, data.scores)
    position = pd.Series(np.arange(len(population)), index=population.index)
    k = publication.min_group_size

    def row(ids):
        out = np.zeros(len(position), dtype=bool)
        out[position.reindex(ids).dropna().astype(int).to_numpy()] = True
        return out

    groups = {g["id"]: group_members(data.responses, population, g["filters"]) for g in publication.released_groups}
    for score in ["index", *data.framework.strand_ids]:
        rows = [row(ids) for ids in groups.values()]
        for g in publication.released_groups:
            dist = g["scores"][score]["distribution"]
            if dist is None:
                continue
            values = data.scores.loc[groups[g["id"]], score].dropna()
            pos = bin_of(values.to_numpy(), dist["edges"])
            assert np.bincount(pos, minlength=len(dist["counts"])).tolist() == dist["counts"]
            rows += [row(values.index[pos == i]) for i in range(len(dist["counts"])) if dist["counts"][i]]
        assert find_exposures(np.vstack(rows), k) == [], score


def _percentile(publication, framework, group, index_value):
    """What a scripted visitor of the Quick Check reads back for made-up answers."""
    scores = pd.Series({"index": index_value, **{s: 50.0 for s in framework.strand_ids}})
    profile = ClientProfile("probe", None, scores, {}, in_benchmark=False)
    res = build_client_results(publication, profile, params(organisation=None, peers=group["filters"]), framework)
    return res["percentiles"]["index"]["value"]


def test_percentile_bisection_recovers_only_the_published_bins(wave600):
    """The attack of the issue: probe every released group with made-up answers, find where the
    percentile bends, and rebuild each group's distribution. What comes back is the published
    bins (counts over ranges of at least a grid step), never a member's value; intersecting
    groups narrows no organisation below a bin."""
    data, _release, publication, _report = wave600
    fw = data.framework
    finest = {}
    for g in publication.released_groups:
        dist = g["scores"]["index"]["distribution"]
        if dist is None:
            continue
        # Probe on a fine grid (what bisection converges to): the percentile is piecewise
        # linear, so its bends are exactly where the slope changes.
        grid = np.linspace(0, 100, 2001)
        pct = np.array([_percentile(publication, fw, g, x) for x in grid[::10]])
        slopes = np.diff(pct) / np.diff(grid[::10])
        n = g["n"]
        # Reconstructed counts: the rise of the percentile across each published bin.
        rise = [np.interp(b, grid[::10], pct) - np.interp(a, grid[::10], pct)
                for a, b in zip(dist["edges"][:-1], dist["edges"][1:])]
        assert np.allclose(np.array(rise) * n / 100, dist["counts"], atol=1e-6)
        # Inside a bin the slope is constant: no step reveals a member's value.
        assert np.isfinite(slopes).all() and (slopes >= -1e-9).all()
        finest[g["id"]] = dist
    # The attacker's best case: knowing which groups an organisation is in, intersect the bins
    # holding its true value. The result is never narrower than one grid step (1 point), and
    # never pins a value.
    population = data.scores["index"].dropna()
    widths = []
    for org, value in population.items():
        low, high = 0.0, 100.0
        row = data.responses.loc[org]
        for g in publication.released_groups:
            if g["id"] not in finest or not all(row.get(k) in v for k, v in g["filters"].items()):
                continue
            edges = finest[g["id"]]["edges"]
            i = int(bin_of(np.array([value]), edges)[0])
            low, high = max(low, edges[i]), min(high, edges[i + 1])
        widths.append(high - low)
    assert min(widths) >= 1.0


def test_quickcheck_limits_a_scripted_visitor():
    now = [0.0]
    limits = RateLimiter([Window(3, 60, "at most {count} a minute"), Window(5, 3600, "at most {count} an hour")],
                         clock=lambda: now[0])
    assert [limits.refusal("visitor") for _ in range(3)] == [None, None, None]
    assert limits.refusal("visitor") == "at most 3 a minute"
    now[0] = 61.0
    assert limits.refusal("visitor") is None and limits.refusal("visitor") is None
    assert limits.refusal("visitor") == "at most 5 an hour"


def test_the_wave_that_failed_its_audit_before_publishes_safely():
    """``maturity demo --orgs 400`` (seed 2026) stored a plan its own audit rejected, and every
    client report failed. The exact audit and the attack search now agree on it, and the
    published table passes both."""
    fw = maturity.load_framework()
    _earlier, later = demo_waves(400, framework=fw, seed=2026)
    data = make_data(fw.by_id(later.responses), fw)
    from maturity.analysis.segments import SegmentModel

    model = SegmentModel(strands=fw.strand_ids, random_state=2026).fit(data.scores)
    release, publication, report = _publish(data, model)
    assert report.safe, report.to_text()
    assert not report.exposures and report.attacks.safe
    org = data.scores.index[data.scores["index"].notna()][0]
    res = results_for_data(data, _client(data, org), params(organisation=org), publication=publication)
    assert res["peers"]["n"] > 0 and res["percentiles"]["index"]["value"] is not None


def _client(data, org):
    from maturity.clients.results import client_from_data

    return client_from_data(data, org)


def test_a_client_surface_cannot_reach_the_raw_data(tmp_path):
    copy_root = tmp_path / "src" / "maturity"
    shutil.copytree(SRC / "maturity", copy_root, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    table = copy_root / "published" / "table.py"
    table.write_text(table.read_text(encoding="utf-8") + "\nimport maturity.data.store  # reaches the rows\n",
                     encoding="utf-8")
    result = _lint_imports(tmp_path, tmp_path / "src")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "Client surfaces read only the published table" in out and "BROKEN" in out
    assert "maturity.published is not allowed to import maturity.data.store" in out
    assert "maturity.published.table -> maturity.data.store" in out


@pytest.mark.slow
@pytest.mark.parametrize("n_orgs", [200, 400, 1000])
@pytest.mark.parametrize("seed", [1, 2, 2026])
def test_every_demo_wave_publishes_and_passes_its_audit(n_orgs, seed):
    fw = maturity.load_framework()
    _earlier, later = demo_waves(n_orgs, framework=fw, seed=seed)
    data = make_data(fw.by_id(later.responses), fw)
    from maturity.analysis.segments import SegmentModel

    model = SegmentModel(strands=fw.strand_ids, random_state=seed).fit(data.scores)
    _release, publication, report = _publish(data, model)
    assert report.safe, report.to_text()
    assert publication.released_groups


def test_bins_of_any_two_groups_are_nested_or_disjoint(wave600):
    """Every group cuts the same halving tree, so two groups' bins never slice each other
    into thin cells: any two bins either hold one another or do not meet."""
    _data, _release, publication, _report = wave600
    for score in ("index", "business_need"):
        intervals = set()
        for g in publication.released_groups:
            dist = g["scores"][score]["distribution"]
            if dist is not None:
                intervals |= set(zip(dist["edges"][:-1], dist["edges"][1:]))
        for (a, b), (c, d) in itertools.combinations(sorted(intervals), 2):
            assert b <= c or d <= a or (a <= c and d <= b) or (c <= a and b <= d), ((a, b), (c, d))


def test_percentile_bands_stay_narrow_in_groups_of_fifty_or_more(wave600):
    """Usefulness: the band a member of a released group of 50+ reads is at most 10
    percentile points wide for most of them (median), and the wave's own bins are the finest."""
    data, _release, publication, _report = wave600
    population = data.scores["index"].dropna()
    widths = []
    for g in publication.released_groups:
        dist = g["scores"]["index"]["distribution"]
        if g["n"] < 50:
            continue
        assert dist is not None and len(dist["counts"]) >= 5, g["label"]
        members = group_members(data.responses, population.to_frame(), g["filters"])
        widths += [place(v, dist).width for v in population.reindex(members).dropna()]
    assert np.median(widths) <= 10
    everyone = publication.document["groups"][0]
    assert everyone["id"] == "all" and np.median(everyone["scores"]["index"]["distribution"]["counts"]) <= 2 * 5


def test_a_group_splits_only_where_both_halves_and_its_guard_keep_the_minimum():
    cells = np.array([3, 3, 0, 0, 5, 5, 2, 8])
    edges = tuple(float(e) for e in range(0, 90, 10)) + (100.0,)
    edges = edges[:len(cells)] + (100.0,)
    tree = BinTree(cells, edges, 5)
    # Root halves hold 6 and 20; the left half's halves 6 and 0, then 3 and 3 (no split); the
    # right half's 10 and 10, then 5 and 5 (split) and 2 and 8 (no split).
    assert tree.bins().counts == (6, 0, 5, 5, 10)
    assert tree.bins().edges == (0.0, 20.0, 40.0, 50.0, 60.0, 100.0)
    # A guard holding 6 more than the group in the right half (fine) but 2 more in its left
    # quarter (a small difference) forbids splitting the right half.
    guard = cells + np.array([0, 0, 0, 0, 2, 0, 4, 0])
    guarded = BinTree(cells, edges, 5, guards=[(guard, {(0, 8), (0, 4), (4, 8), (4, 6), (6, 8)})])
    assert guarded.bins().counts == (6, 0, 20)
    # A blocked node is never split (the audit's remedy).
    assert BinTree(cells, edges, 5, blocked={(0, 8)}).bins() == Bins((0.0, 100.0), (26,))
    assert common_ancestor([(4, 5), (6, 7)], (0, 8)) == (4, 8)
