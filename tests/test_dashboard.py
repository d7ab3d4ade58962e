"""The dashboard's behaviour in-process, and its privacy in a real kernel (no browser needed)."""

from __future__ import annotations

import json

import pytest
import yaml

import maturity

from maturity.dashboard.app import Dashboard
from maturity.reporting.notebooks import notebook_path, run_notebook

from .dashboard_support import build_two_wave_db, other_organisations


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_two_wave_db(tmp_path_factory.mktemp("dash") / "bench.duckdb")


@pytest.fixture(scope="module")
def client_file(db, tmp_path_factory):
    path, later = db
    org = later.responses["respondent_id"].iloc[3]
    f = tmp_path_factory.mktemp("clients") / "acme.yaml"
    f.write_text(yaml.safe_dump({"client_id": "acme", "organisation": org, "db": str(path),
                                 "compare_to": "top_deck"}), encoding="utf-8")
    return f, org


def test_researcher_mode_lists_organisations_and_updates_on_filters(db):
    path, later = db
    dash = Dashboard(path)
    assert dash.wave_select.value == "2026" and dash.wave_select.options == ("2025", "2026")
    assert len(dash.organisation_select.options) == len(later.responses)
    all_peers = dash.results["peers"]["n"]
    rated = maturity.score_responses(later.responses, later.framework)["index"].notna().sum()
    assert all_peers == rated  # every organisation with an index (the one shown ranks among the others)
    before = dash.updates
    org = dash.organisation_select.value
    sector = later.responses.set_index("respondent_id").loc[org, "sector"]
    dash.filter_selects["sector"].value = (sector,)
    scores = maturity.score_responses(later.responses, later.framework)
    expected = int(((later.responses["sector"] == sector).to_numpy() & scores["index"].notna().to_numpy()).sum())
    assert dash.updates == before + 1
    assert dash.results["peers"]["n"] == expected
    assert f"data-n='{expected}'" in dash.peer_info.value
    assert "Ready" in dash.status.value and not dash.message.value


def test_comparison_point_and_wave_change(db):
    path, later = db
    dash = Dashboard(path)
    dash.compare_select.value = "median"
    assert dash.results["peers"]["comparison_used"] == "median"
    dash.wave_select.value = "2025"
    assert dash.results["wave"] == "2025"
    assert all(c.disabled is False for c in dash._control_widgets())


def test_tiny_peer_group_is_withheld_with_a_notice(db):
    path, later = db
    dash = Dashboard(path)
    frame = later.responses
    # A combination of filters matching very few organisations.
    counts = frame.groupby(["sector", "size", "region"]).size()
    (sector, size, region), n = next((k, v) for k, v in counts.items() if 1 <= v <= 3)
    dash._suspend = True
    dash.filter_selects["sector"].value = (sector,)
    dash.filter_selects["size"].value = (size,)
    dash._suspend = False
    dash.filter_selects["region"].value = (region,)
    assert dash.results["peers"]["n"] < 5
    assert "withheld" in dash.peer_info.value
    assert dash.results["peers"]["stats"]["index"]["median"] is None


def test_client_mode_is_locked_and_starts_from_the_file(db, client_file):
    path, _ = db
    f, org = client_file
    dash = Dashboard(path, client=f)
    assert dash.organisation_select is None
    assert dash.results["organisation"]["id"] == org
    assert dash.compare_select.value == "top_deck"
    assert "reliability" not in dash.view_keys


def test_client_mode_offers_only_the_released_peer_groups(db, client_file):
    from maturity.benchmarking.release_plan import ReleasePlan
    from maturity.data.population import wave_from_store
    from maturity.data.store import BenchmarkStore

    path, _ = db
    f, org = client_file
    dash = Dashboard(path, client=f)
    assert dash.filter_selects == {} and dash.group_select is not None
    with BenchmarkStore(path, read_only=True) as store:
        data = wave_from_store(store, "2026")
        plan = ReleasePlan.from_dict(store.load_artifact("2026", "release_plan")["plan"])
    assert dash._wave is None, "a client's screen never loads the wave's rows"
    assert [v for _label, v in dash.group_select.options] == [g["id"] for g in dash._publication.released_groups]
    assert {g["id"] for g in dash._publication.released_groups} == {g["id"] for g in plan.released_groups}
    assert "Only the peer groups published" in dash.filter_box.children[1].value
    # An attacker drives the widgets through every group it is offered and differences what
    # it reads: no organisation's score or small group's total comes out.
    from maturity.benchmarking.attacks import ReleasedFigure, attack
    from maturity.benchmarking.release_plan import group_members

    population = plan.population(data.responses, data.scores)
    figures = []
    for group in plan.released_groups:
        dash.group_select.value = group["id"]
        peers = dash.results["peers"]
        assert peers["group_id"] == group["id"] and peers["as_requested"] and peers["n"] == group["n"]
        members = frozenset(group_members(data.responses, population, group["filters"]))
        for score, stats in peers["stats"].items():
            figures.append(ReleasedFigure(group["label"], score, members, stats["n"], stats["mean"]))
    truth = {c: data.scores[c] for c in data.scores.columns}
    result = attack(figures, truth, min_group_size=dash.min_group_size, readers=[[org]])
    assert result.safe, result.successes
    assert result.tried["pairwise"] > 0


def test_client_missing_from_a_wave_gets_a_message(db, tmp_path):
    path, later = db
    first_ids = set(later.responses["respondent_id"])
    # An organisation that joined in 2026 is not in 2025.
    newcomer = max(first_ids)
    f = tmp_path / "new.yaml"
    f.write_text(yaml.safe_dump({"client_id": "n", "organisation": newcomer, "db": str(path)}), encoding="utf-8")
    dash = Dashboard(path, client=f)
    dash.wave_select.value = "2025"
    assert "did not take part in wave 2025" in dash.message.value
    assert "Traceback" not in dash.message.value


def test_client_mode_page_state_holds_no_other_organisation(db, client_file, tmp_path):
    """Execute the dashboard notebook in a real kernel; scan outputs and widget state."""
    path, later = db
    f, org = client_file
    out = tmp_path / "dashboard.ipynb"
    run_notebook(notebook_path("dashboard.ipynb"), out, {"db": str(path), "client": str(f)}, timeout=300)
    text = out.read_text(encoding="utf-8")
    nb = json.loads(text)
    assert "application/vnd.jupyter.widget-state+json" in nb["metadata"].get("widgets", {})
    ids, names = other_organisations(later, keep=org)
    leaked = [x for x in ids + names if x in text]
    assert leaked == []
    own_name = later.responses.set_index("respondent_id").loc[org, "name"]
    assert own_name in text  # the client's own name is shown
