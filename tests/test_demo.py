"""`maturity demo` end to end on a small population."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from .test_cli import run_cli
from .test_deliverables import check_offline, check_pdf_pages, demo_pages, needs_browser


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "run"
    result = run_cli("demo", "--out", str(out), "--orgs", "80", "--clients", "2", "--workers", "2")
    assert result.returncode == 0, result.stderr
    return out, result


def test_demo_prints_where_results_are(demo_run):
    out, result = demo_run
    html = out / "analysis" / "benchmark_analysis.html"
    assert str(html) in result.stdout
    assert html.is_file()


def test_demo_writes_the_survey(demo_run):
    out, _ = demo_run
    data = pd.read_csv(out / "data" / "responses.csv")
    assert len(data) == 80 and data["respondent_id"].str.fullmatch(r"ORG-\d{4}").all()


def test_demo_imports_two_waves_into_the_database(demo_run):
    from maturity.data.store import BenchmarkStore

    out, result = demo_run
    db = out / "benchmark.duckdb"
    assert str(db) in result.stdout
    with BenchmarkStore(db, read_only=True) as store:
        waves = store.waves()
        assert waves["wave"].tolist() == ["2025", "2026"]
        assert waves["n_organisations"].tolist() == [80, 80]
        assert 0 < waves["n_returning"].iloc[1] < 80  # most organisations answer again
        imported = store.responses("2026")
    survey = pd.read_csv(out / "data" / "responses.csv")
    assert imported["respondent_id"].tolist() == survey["respondent_id"].tolist()


def test_analysis_html_has_figures_and_no_code(demo_run):
    out, _ = demo_run
    html = (out / "analysis" / "benchmark_analysis.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<img[^>]+src=\"data:image/(?:png|svg\+xml);base64", html)) >= 2
    assert "load_benchmark(" not in html and "import maturity" not in html
    assert "Traceback" not in html
    assert "Maturity index" in html and "Strand profile" in html


def test_demo_imports_learners_and_the_analysis_shows_them(demo_run):
    from maturity.data.learner_tables import learner_levels, learner_rows
    from maturity.data.store import BenchmarkStore

    out, result = demo_run
    learners = pd.read_csv(out / "data" / "learners.csv")
    sizes = learners.groupby("organisation_id").size()
    assert sizes.between(5, 200).all() and len(sizes) < 80  # some organisations have no learners
    with BenchmarkStore(out / "benchmark.duckdb", read_only=True) as store:
        assert learner_levels(store)["wave"].tolist() == ["2026"]
        assert len(learner_rows(store, "2026")) == len(learners)
    assert "learners' survey:" in result.stdout
    html = (out / "analysis" / "benchmark_analysis.html").read_text(encoding="utf-8")
    assert "What learners say" in html and f"{len(learners):,} learners of" in html
    assert "The widest divide" in html


def test_analysis_notebook_ran_with_parameters(demo_run):
    out, _ = demo_run
    nb = json.loads((out / "analysis" / "benchmark_analysis.ipynb").read_text(encoding="utf-8"))
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    source = "".join(injected[0]["source"]) if injected else ""
    assert "benchmark.duckdb" in source and "2026" in source and "data = None" in source
    assert all(o.get("output_type") != "error" for c in nb["cells"] for o in c.get("outputs", []))


def test_demo_runs_client_reports_through_the_batch(demo_run):
    out, result = demo_run
    files = sorted((out / "parameters" / "clients").glob("*.yaml"))
    assert len(files) == 2 and "db: ../../benchmark.duckdb" in files[0].read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in manifest["clients"]] == ["ok", "ok"]
    for row, path in zip(manifest["clients"], files):
        assert row["client_id"] == path.stem
        for key in ("report_html", "results_json", "report_ipynb"):
            assert (out / row[key]).is_file()
    assert str(out / "manifest.json") in result.stdout and "2 ok, 0 failed, 0 skipped" in result.stdout


def test_demo_publishes_its_wave_once(demo_run, capsys):
    from maturity.cli import main

    out, result = demo_run
    assert "published:" in result.stdout and "audit passed" in result.stdout
    assert main(["privacy", "audit", "--db", str(out / "benchmark.duckdb"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["safe"] is True
    results = json.loads(next((out / "clients").glob("*/results.json")).read_text(encoding="utf-8"))
    assert results["privacy"]["method"] == "published once per wave, with exact disclosure audit"
    # Every client report reads the one published table of the wave.
    fingerprints = {json.loads(p.read_text(encoding="utf-8"))["privacy"]["publication_fingerprint"]
                    for p in (out / "clients").glob("*/results.json")}
    assert len(fingerprints) == 1


@pytest.mark.browser
@needs_browser
def test_html_deliverables_are_self_contained_and_read_as_documents(demo_run):
    check_offline(demo_pages(demo_run[0]))


@pytest.mark.browser
@needs_browser
def test_pdf_deliverables_keep_headings_with_their_figures(demo_run, tmp_path):
    check_pdf_pages(demo_pages(demo_run[0]), tmp_path)


def test_client_reports_say_what_their_learners_say(demo_run):
    """The demo's wave has a learners' survey: each client's results set its own staff's answers
    against the published figures of its peer group's learners, or say why not."""
    from maturity.benchmarking.client_parameters import ClientParameters
    from maturity.benchmarking.learner_voice import wave_learner_aggregates
    from maturity.clients.results import client_results
    from maturity.data.store import BenchmarkStore

    out, _result = demo_run
    db = out / "benchmark.duckdb"
    results = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / "clients").glob("*/results.json"))]
    assert results and all("learners" in r for r in results)
    for r in results:
        html = (out / "clients" / r["client_id"] / "report.html").read_text(encoding="utf-8")
        assert ("What your learners say" in html) and (r["learners"]["shown"] or r["learners"]["reason"])
    with BenchmarkStore(db, read_only=True) as store:
        counts = wave_learner_aggregates(store, "2026").summary.groupby("organisation_id")["n_learners"].first()
    many, few = counts[counts >= 10].index[0], counts[counts < 10].index
    shown = client_results(ClientParameters(client_id="l", db=db, organisation=many))["learners"]
    assert shown["shown"] and shown["n_learners"] == counts[many]
    assert shown["peers"]["n_organisations"] >= shown["min_group_size"] == 6
    assert all(s["own"] is not None for s in shown["scales"])
    if len(few):  # an organisation with too few learners gets none of its own figures, and is told why
        withheld = client_results(ClientParameters(client_id="l", db=db, organisation=few[0]))["learners"]
        assert not withheld["shown"] and "fewer than 10" in withheld["reason"] and "scales" not in withheld
