"""``maturity evaluate`` end to end: both isolation designs, the report, storing and norms."""

from __future__ import annotations

import json

import pytest
import yaml

from maturity.cli import main
from maturity.data.store import BenchmarkStore
from maturity.evaluation.norms import organisation_evaluations, stored_evaluations, value_evidence_block
from maturity.evaluation.synthetic import write_synthetic_programme

from .batch_support import make_database
from .browser_support import skip_reason


@pytest.fixture(scope="module")
def comparison_run(tmp_path_factory):
    """One comparison-group programme run through the command with its report."""
    folder = tmp_path_factory.mktemp("comparison")
    programme = write_synthetic_programme(folder / "programme", n_learners=80, seed=21, bootstrap=300)
    out = folder / "out"
    code = main(["evaluate", str(programme.plan), "--out", str(out)])
    return code, out, programme


def test_comparison_design_end_to_end(comparison_run):
    code, out, programme = comparison_run
    assert code == 0
    ev = json.loads((out / "evaluation.json").read_text())
    assert ev["design"]["isolation"] == "comparison group"
    for name in ("sales", "errors"):
        did = ev["results"][name]["did"]
        assert did["method"].startswith("difference-in-differences") and len(did["ci"]) == 2
        assert did["ci"][0] < did["estimate"] < did["ci"][1]
        assert did["n_clusters"] == ev["design"]["n_clusters"] > 2
    assert {"estimate", "ci"} <= set(ev["learning"]["d_z"])
    assert {"estimate", "ci"} <= set(ev["roi"]["percent"]) and ev["roi"]["bcr"]["estimate"] > 0
    assert {"estimate", "ci"} <= set(ev["reaction"]["nps"])


def test_report_headline_reads_back(comparison_run):
    _, out, _ = comparison_run
    html = (out / "report.html").read_text(encoding="utf-8")
    ev = json.loads((out / "evaluation.json").read_text())
    assert "First-line leaders: did it work?" in html
    assert ev["answer"]["headline"].split(".")[0] in html
    assert "Isolation method: difference-in-differences against a comparison group" in html
    assert "Level 4: Results" in html and "Method and its limits" in html
    assert "Traceback" not in html


def test_participant_estimate_design_end_to_end(tmp_path, capsys):
    programme = write_synthetic_programme(tmp_path / "p", n_learners=60, design="estimates", seed=4, bootstrap=300)
    out = tmp_path / "out"
    code = main(["evaluate", str(programme.plan), "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "participants' estimates adjusted by contribution x confidence (Phillips); weaker method" in text
    ev = json.loads((out / "evaluation.json").read_text())
    assert ev["design"]["isolation"] == "participant estimates" and ev["design"]["strength"] == "weaker"
    sales = ev["results"]["sales"]
    assert sales["did"]["estimate"] is None
    assert sales["effect"]["isolation"] == "participant estimates"
    # The credited share is below the raw change: contribution x confidence discounts it.
    assert 0 < sales["effect"]["estimate"] < sales["change"]["estimate"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "weaker method" in html and "Participants' estimates are a weaker basis" in html


def test_json_format_prints_the_evaluation(tmp_path, capsys):
    programme = write_synthetic_programme(tmp_path / "p", n_learners=30, seed=8, bootstrap=200)
    code = main(["evaluate", str(programme.plan), "--out", str(tmp_path / "o"), "--no-report", "--format", "json"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["programme"] == "First-line leaders"
    assert printed == json.loads((tmp_path / "o" / "evaluation.json").read_text())
    assert not (tmp_path / "o" / "report.html").exists()


def test_bad_plan_is_exit_1(tmp_path, capsys):
    (tmp_path / "plan.yaml").write_text("programme: P\ncost: -10\nfiles: {learning: l.csv}\n")
    assert main(["evaluate", str(tmp_path / "plan.yaml"), "--out", str(tmp_path / "o")]) == 1
    assert "cost: a cost cannot be negative" in capsys.readouterr().err


def test_stored_evaluations_form_norms_with_the_group_size_rule(tmp_path, capsys):
    db, orgs = make_database(tmp_path / "bench.duckdb", n_orgs=30)
    for i, org in enumerate(orgs[:7]):
        programme = write_synthetic_programme(tmp_path / f"p{i}", n_learners=30, seed=100 + i, bootstrap=200)
        plan = yaml.safe_load(programme.plan.read_text())
        plan["organisation"] = org
        programme.plan.write_text(yaml.safe_dump(plan))
        assert main(["evaluate", str(programme.plan), "--out", str(tmp_path / f"o{i}"), "--no-report",
                     "--db", str(db)]) == 0
    capsys.readouterr()
    with BenchmarkStore(db, read_only=True) as store:
        stored = stored_evaluations(store)
        own = organisation_evaluations(store, orgs[2])
    assert [s["organisation"] for s in own] == [orgs[2]]
    block = value_evidence_block(own)
    assert block["n_evaluations"] == 1 and block["levels"]["results"] == 1 and block["roi_measured"] == 1
    assert len(stored) == 7 and {s["organisation"] for s in stored} == set(orgs[:7])
    assert all("L000" not in json.dumps(s) for s in stored)
    last = json.loads((tmp_path / "o6" / "evaluation.json").read_text())
    dz = last["norms"]["metrics"]["learning_dz"]
    assert dz["n_organisations"] == 6 and "mean" in dz and dz["position"].endswith("quarter")
    fifth = json.loads((tmp_path / "o3" / "evaluation.json").read_text())  # three others stored before it
    assert "withheld" in fifth["norms"]["metrics"]["learning_dz"]
    assert "mean" not in fifth["norms"]["metrics"]["learning_dz"]


def test_storing_needs_the_organisation(tmp_path, capsys):
    db, _ = make_database(tmp_path / "bench.duckdb", n_orgs=20)
    programme = write_synthetic_programme(tmp_path / "p", n_learners=20, seed=1, bootstrap=200)
    assert main(["evaluate", str(programme.plan), "--out", str(tmp_path / "o"), "--db", str(db)]) == 1
    assert "organisation:" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.browser
@pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
def test_report_prints_to_pdf(tmp_path):
    from pypdf import PdfReader

    programme = write_synthetic_programme(tmp_path / "p", n_learners=40, seed=9, bootstrap=200)
    out = tmp_path / "out"
    assert main(["evaluate", str(programme.plan), "--out", str(out), "--pdf"]) == 0
    pages = PdfReader(out / "report.pdf").pages
    first = " ".join(pages[0].extract_text().split())
    headline = json.loads((out / "evaluation.json").read_text())["answer"]["headline"]
    assert "First-line leaders: did it work?" in first
    assert " ".join(headline.split(".")[0].split()) in first  # the answer leads the first page
    assert "Isolation method" in " ".join(" ".join(p.extract_text() for p in pages).split())


def test_demo_evaluation_writes_and_stores_a_planted_programme(tmp_path):
    from maturity.demo.evaluation import run_demo_evaluation

    db, orgs = make_database(tmp_path / "bench.duckdb", n_orgs=20)
    lines: list[str] = []
    outputs = run_demo_evaluation(tmp_path, seed=3, database=db, echo=lines.append, n_learners=120)
    assert outputs["evaluation report"].is_file() and outputs["evaluation plan"].is_file()
    ev = json.loads(outputs["evaluation results"].read_text())
    assert ev["design"]["isolation"] == "comparison group"
    assert ev["results"]["sales"]["did"]["ci"][0] <= 6.0 <= ev["results"]["sales"]["did"]["ci"][1]
    assert any(ev["answer"]["headline"] in line for line in lines)
    with BenchmarkStore(db, read_only=True) as store:
        (stored,) = stored_evaluations(store)
    assert stored["organisation"] == sorted(orgs)[0] and stored["type"] == "leadership"


def test_report_sections_escape_text_from_the_files(tmp_path):
    from maturity.evaluation import evaluate
    from maturity.evaluation.display import SECTIONS, section_html

    programme = write_synthetic_programme(tmp_path / "p", n_learners=40, seed=6, bootstrap=200)
    plan = yaml.safe_load(programme.plan.read_text())
    plan["programme"]["name"] = "Leaders <script>alert(1)</script>"
    programme.plan.write_text(yaml.safe_dump(plan))
    ev = evaluate(programme.plan)
    ev["success_cases"]["most"][0]["story"] = "it <img src=x onerror=alert(2)> worked"
    html = "".join(section_html(name, ev) for name in SECTIONS)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html
    assert "<table>" in html and "<h2>Level 4: Results</h2>" in html
