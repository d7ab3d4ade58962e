"""`maturity analysis`: the analysis notebook on one's own data, as a report."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

import maturity.reporting.analysis_report as analysis_report
from maturity.cli import main

from .browser_support import skip_reason
from .dashboard_support import build_two_wave_db


class NotebookRan(BaseException):  # passes through the command line's error handling
    """Raised instead of running the notebook: the inputs passed every check."""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_two_wave_db(tmp_path_factory.mktemp("analysis") / "bench.duckdb", n_orgs=150)[0]


@pytest.mark.parametrize("argv, message", [
    ([], "give either a survey file (DATA) or a database (--db)"),
    (["survey.csv", "--db", "x.duckdb"], "not both or neither"),
    (["survey.csv", "--wave", "2026"], "--wave applies to --db"),
    (["missing.csv"], "survey file missing.csv not found"),
    (["--db", "missing.duckdb"], "no benchmark database at missing.duckdb"),
])
def test_what_to_analyse_is_checked_before_the_notebook_runs(argv, message, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "survey.csv").write_text("respondent_id\n", encoding="utf-8")
    monkeypatch.setattr(analysis_report, "run_notebook", lambda *a, **k: (_ for _ in ()).throw(NotebookRan()))
    assert main(["analysis", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "outputs").exists()


def test_an_unknown_wave_is_refused_with_the_waves_there_are(db, monkeypatch, capsys):
    monkeypatch.setattr(analysis_report, "run_notebook", lambda *a, **k: (_ for _ in ()).throw(NotebookRan()))
    assert main(["analysis", "--db", str(db), "--wave", "2024"]) == 2
    assert f"no wave '2024' in {db}; waves: 2025, 2026" in capsys.readouterr().err
    with pytest.raises(NotebookRan):
        main(["analysis", "--db", str(db), "--wave", "2025"])


def test_the_report_of_a_database_wave(db, tmp_path, capsys):
    out = tmp_path / "report"
    pdf = skip_reason() is None
    argv = ["analysis", "--db", str(db), "--wave", "2025", "--out", str(out)] + (["--pdf"] if pdf else [])
    assert main(argv) == 0
    printed = capsys.readouterr().out
    html = out / "benchmark_analysis.html"
    assert f"analysis report: {html}" in printed
    text = html.read_text(encoding="utf-8")
    assert "Benchmark analysis" in text and "2025" in text
    assert "Traceback" not in text and "def " not in text  # no code, no failure
    assert (out / "benchmark_analysis.ipynb").is_file()
    if pdf:
        reader = PdfReader(out / "benchmark_analysis.pdf")
        assert len(reader.pages) >= 3
        assert "Reliability" in "".join(page.extract_text() for page in reader.pages)
