"""client_results end to end: a real DuckDB benchmark database, two waves, a returning
organisation, a new organisation's own survey, and the report notebook run against it."""

from __future__ import annotations

import json
import re

import pytest

import maturity
from maturity.benchmarking.client_parameters import parse_client_parameters
from maturity.clients.results import client_results
from maturity.data import store as store_module
from maturity.data.synthetic import generate_wave
from maturity.errors import DataError, ParametersError, StoreError

from .conftest import released_population

from .test_client_report import visible_text
from .test_client_results import assert_no_other_organisation, check_findings, make_data


RETURNING = "ORG-0011"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A benchmark database with waves 2025 and 2026 (300 organisations each)."""
    first = maturity.generate_benchmark(300, seed=11)
    second = generate_wave(first, seed=12)
    fw = first.framework
    path = tmp_path_factory.mktemp("store") / "benchmark.duckdb"
    with store_module.BenchmarkStore(path) as store:
        store.import_responses(first.responses, fw, "2025")
        store.import_responses(second.responses, fw, "2026")
    return path, first, second


def _params(db_path, tmp_path, **fields):
    base = {"client_id": "acme", "db": str(db_path)}
    base.update(fields)
    return parse_client_parameters(base, base_dir=tmp_path)


def test_results_for_a_returning_organisation(db, tmp_path):
    path, first, second = db
    sector = second.responses.set_index("respondent_id").loc[RETURNING, "sector"]
    res = client_results(_params(path, tmp_path, organisation=RETURNING, peers={"sector": [sector]}, compare_to="top_deck"))
    assert res["wave"] == "2026" and res["organisation"]["id"] == RETURNING
    assert [t["wave"] for t in res["trend"]] == ["2025", "2026"]
    data = make_data(second.responses, second.framework, "2026")
    assert res["scores"]["index"] == pytest.approx(data.scores.loc[RETURNING, "index"])
    assert res["segment"]["name"] and res["importance"]["source"] == "drivers"
    assert res["peers"]["n"] == int(((data.responses["sector"] == sector) & data.scores["index"].notna()).sum())
    check_findings(res)
    assert_no_other_organisation(json.dumps(res, ensure_ascii=False), data, RETURNING, res["organisation"]["name"])
    # An earlier wave can be reported on too: its trend stops there.
    earlier = client_results(_params(path, tmp_path, organisation=RETURNING, wave="2025"))
    assert earlier["wave"] == "2025" and [t["wave"] for t in earlier["trend"]] == ["2025"]


def test_a_new_organisations_survey_does_not_join_the_benchmark(db, tmp_path):
    path, _, second = db
    newcomer = maturity.generate_benchmark(1, seed=77, id_prefix="NEW")
    newcomer.write(tmp_path / "newco.csv")
    with store_module.BenchmarkStore(path, read_only=True) as store:
        before = (store.waves().to_dict("records"), store.responses("2026").shape, len(store.organisations()))
    res = client_results(_params(path, tmp_path, responses="newco.csv"))
    with store_module.BenchmarkStore(path, read_only=True) as store:
        after = (store.waves().to_dict("records"), store.responses("2026").shape, len(store.organisations()))
        assert "NEW-0001" not in set(store.responses("2026")["respondent_id"])
    assert before == after
    assert res["organisation"]["source"] == "own survey" and res["organisation"]["id"] == "NEW-0001"
    assert res["peers"]["n"] == len(released_population(second.responses, second.framework))  # every organisation with an index; the newcomer is not one of them
    assert res["peers"]["includes_client"] is False
    assert res["trend"] == []
    check_findings(res)


def test_clear_errors(db, tmp_path):
    path, _, _ = db
    with pytest.raises(DataError, match="'ORG-9999' is not in wave 2026"):
        client_results(_params(path, tmp_path, organisation="ORG-9999"))
    with pytest.raises(ParametersError, match="'country' is not a demographic"):
        client_results(_params(path, tmp_path, organisation=RETURNING, peers={"country": ["UK"]}))
    with pytest.raises(ParametersError, match="not a value of Sector"):
        client_results(_params(path, tmp_path, organisation=RETURNING, peers={"sector": ["Banking"]}))
    with pytest.raises(StoreError):
        client_results(_params(path, tmp_path, organisation=RETURNING, wave="1999"))
    with pytest.raises(StoreError):
        client_results(_params(tmp_path / "missing.duckdb", tmp_path, organisation=RETURNING))


def test_notebook_computes_results_from_the_database(db, tmp_path):
    from maturity.reporting.notebooks import export_html, notebook_path, run_notebook

    path, _, second = db
    params = _params(path, tmp_path, organisation=RETURNING, compare_to="top_quartile")
    ipynb = run_notebook(notebook_path("client_report.ipynb"), tmp_path / "report.ipynb",
                         {**params.to_notebook_parameters(), "results_path": None})
    html = export_html(ipynb, tmp_path / "report.html").read_text(encoding="utf-8")
    # Index, strands, ranks, segment, trend, achievers.
    assert len(re.findall(r"<img[^>]+src=\"data:image/svg\+xml;base64", html)) >= 6
    text = visible_text(html)
    assert "Traceback" not in html and "closest to the" in text
    data = make_data(second.responses, second.framework, "2026")
    name = data.responses.loc[RETURNING, "name"]
    assert name in text
    assert_no_other_organisation(html, data, RETURNING, name)


def test_a_saved_segmentation_is_used_instead_of_refitting(db, tmp_path):
    import shutil

    from maturity.benchmarking.wave_models import save_wave_segments

    path, _, _ = db
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    fitted = client_results(_params(copy, tmp_path, organisation=RETURNING))
    with store_module.BenchmarkStore(copy) as store:
        model = save_wave_segments(store, "2026")
        assert store.load_artifact("2026", "segments") is not None
    saved = client_results(_params(copy, tmp_path, organisation=RETURNING))
    assert saved["segment"] == fitted["segment"]  # same seed, same model
    assert [s["name"] for s in saved["segment"]["segments"]] == list(model.segment_names_)


def test_a_batch_fits_a_wave_once_and_its_clients_reuse_it(db, tmp_path, monkeypatch):
    from maturity.benchmarking import wave_models
    from maturity.batch.client_task import compute_results

    path, _, _ = db
    params = _params(path, tmp_path, organisation=RETURNING)
    fresh = client_results(params)
    with store_module.BenchmarkStore(path, read_only=True) as store:
        document = wave_models.segments_to_share(store, "2026")
    shared = tmp_path / "segments.json"
    shared.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setattr(wave_models, "_FITTED_SEGMENTS", {})

    def no_refit(*args, **kwargs):
        raise AssertionError("a client refitted the segmentation")

    monkeypatch.setattr(wave_models, "fit_segments", no_refit)
    # The wave has no stored publication: the batch builds it once and shares it too.
    assert "publication" in document
    monkeypatch.setattr(wave_models, "_BUILT_PUBLICATIONS", {})

    def no_plan(*args, **kwargs):
        raise AssertionError("a client rebuilt the release plan")

    monkeypatch.setattr(wave_models, "wave_release", no_plan)
    reused = compute_results(params, segments=str(shared))
    assert reused["segment"] == fresh["segment"]
    assert reused["peers"]["stats"] == fresh["peers"]["stats"]
