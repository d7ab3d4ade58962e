"""The quick check without a browser: the form, the answers, submissions, folder import,
the report, and the command line (the web server itself: tests/test_quickcheck_server.py)."""

from __future__ import annotations

import html
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest

from maturity.benchmarking.client_parameters import ClientParameters
from maturity.clients.results import client_results
from maturity.cli import main
from maturity.dashboard.quickcheck_form import NONE_OF_THESE, QuickCheckForm
from maturity.dashboard.submissions import (
    SUBMITTED_AT,
    SubmissionFolder,
    check_collect_folder,
    new_submission,
)
from maturity.data.responses import read_responses
from maturity.benchmarking.wave_models import save_publication, save_wave_invariance
from maturity.data.store import BenchmarkStore
from maturity.demo.run import DemoResult
from maturity.errors import DataError, ParametersError
from maturity.framework import parse_framework
from maturity.reporting.quickcheck_report import report_document, report_file_name, result_html
from maturity.scoring import score_responses

from .conftest import small_framework_dict
from .dashboard_support import build_two_wave_db
from .quickcheck_support import Visitor, answer_everything, form_fields


# --- the form --------------------------------------------------------------------------------


def test_the_default_framework_gives_one_page_per_strand_then_the_optional_pages(framework):
    form = QuickCheckForm(framework)
    kinds = [p.kind for p in form.pages]
    assert kinds == ["organisation"] + ["strand"] * len(framework.strands) + ["outcomes", "barriers"]
    assert [p.title for p in form.pages[1:-2]] == [s.name for s in framework.strands]
    assert form.progress(3) == f"Strand 3 of {len(framework.strands)}"
    assert form.progress(0) == "About your organisation" and form.progress(len(kinds) - 1) == "Barriers (optional)"
    # The organisation page asks the name and demographics, not the id (each submission has its own).
    organisation = [q.name for q in form.pages[0].questions]
    assert organisation == [framework.name_column] + framework.demographic_ids
    assert all(q.required for q in form.pages[0].questions)
    # Strand statements are answered on the scale's labels.
    first = form.pages[1].questions[0]
    assert first.kind == "scale" and [c.label for c in first.choices][0] == framework.scales["agree5"].labels[1]
    # Every outcome item is on the outcomes page, under its group's name.
    outcomes = form.pages[-2]
    assert [t for t, _ in outcomes.groups] == [g.name for g in framework.outcomes]
    assert [q.name for q in outcomes.questions] == [i.id for i in framework.outcome_items]


def test_another_framework_builds_its_own_form():
    fw = parse_framework(small_framework_dict(n_strands=4, n_items=3), source="<test>")
    form = QuickCheckForm(fw)
    assert [p.kind for p in form.pages] == ["organisation"] + ["strand"] * 4  # no outcomes, barriers, demographics
    assert form.progress(2) == "Strand 2 of 4"
    choices = form.pages[1].questions[0].choices
    assert [c.label for c in choices] == ["1 - Never", "2", "3", "4", "5", "6", "7 - Always"]
    assert form.pages[1].needed == 2  # ceil(0.5 x 3): enough to score the strand


def test_a_missing_required_answer_is_named_and_cleared_once_given(framework):
    form = QuickCheckForm(framework)
    messages, flagged = form.problems(0)
    assert "Please give your organisation's name." in messages
    assert "Please choose your sector." in messages
    assert flagged == [framework.name_column] + framework.demographic_ids
    form.set_answer(framework.name_column, "   ")  # blank text is no answer
    assert form.problems(0)[1][0] == framework.name_column
    form.set_answer(framework.name_column, "Acme")
    for demo in framework.demographics:
        form.set_answer(demo.id, demo.values[0])
    assert form.problems(0) == ([], [])
    # A strand page needs enough statements to score the strand (4 of 7 here).
    page = form.pages[1]
    for q in page.questions[:3]:
        form.set_answer(q.name, "4")
    messages, flagged = form.problems(1)
    assert "at least 4 of the 7" in messages[0] and "you have answered 3" in messages[0]
    assert "statements 4, 5, 6 and 7" in messages[0]
    assert flagged == [q.name for q in page.questions[3:]]
    form.set_answer(page.questions[3].name, "2")
    assert form.problems(1) == ([], [])
    assert form.first_incomplete() == 2


def test_every_statement_is_required_when_the_framework_scores_only_complete_strands():
    spec = small_framework_dict(n_strands=2, n_items=3)
    spec["index"] = {"min_answered": 1}
    form = QuickCheckForm(parse_framework(spec, source="<test>"))
    for q in form.pages[1].questions[:2]:
        form.set_answer(q.name, "3")
    messages, flagged = form.problems(1)
    assert messages == ["Please answer every statement on this page: statement 3 is not answered yet."]
    assert flagged == [form.pages[1].questions[2].name]


def test_a_wide_scale_is_asked_as_a_number_on_the_scale():
    spec = small_framework_dict(n_strands=1, n_items=2)
    spec["scales"] = {"pct": {"min": 0, "max": 100}}
    for item in spec["strands"][0]["items"]:
        item["scale"] = "pct"
    form = QuickCheckForm(parse_framework(spec, source="<test>"))
    question = form.pages[1].questions[0]
    assert question.kind == "number"
    for bad in ("lots", "150", "2.5", "nan"):
        form.set_answer(question.name, bad)
        messages, flagged = form.problems(1)
        assert messages[-1] == f"Statement 1: give a whole number from 0 to 100 (not '{bad}')."
        assert question.name in flagged
    form.set_answer(question.name, "42")
    form.set_answer(form.pages[1].questions[1].name, "7")
    assert form.problems(1) == ([], [])
    assert form.response_frame("x").loc[0, question.name] == "42"


def test_answers_become_one_row_in_the_framework_layout(framework):
    form = QuickCheckForm(framework)
    answer_everything(form, "Acme Learning")
    form.set_answer(framework.outcome_items[0].id, "3")
    form.set_answer("barriers_faced", (framework.barriers[1].id,))
    frame = form.response_frame("qc-1")
    stamp = ["framework_id", "framework_version"]
    expected = ([framework.id_column, framework.name_column] + framework.demographic_ids + framework.item_ids
                + [i.id for i in framework.outcome_items] + framework.barrier_ids + stamp)
    assert list(frame.columns) == expected and len(frame) == 1
    row = frame.iloc[0]
    assert row[framework.id_column] == "qc-1" and row[framework.name_column] == "Acme Learning"
    assert row[framework.demographic_ids[0]] == framework.demographics[0].values[0]
    assert row[framework.item_ids[1]] == "2"  # second choice of the first strand page
    assert row[framework.outcome_items[0].id] == "3" and row[framework.outcome_items[1].id] == ""
    barriers = [row[b] for b in framework.barrier_ids]
    assert barriers == ["0", "1"] + ["0"] * (len(barriers) - 2)  # ticked: 1; the others an explicit no
    assert (row["framework_id"], row["framework_version"]) == (framework.id, framework.version)


def test_barriers_left_alone_are_missing_and_none_of_these_is_an_explicit_no(framework):
    form = QuickCheckForm(framework)
    answer_everything(form, "Acme")
    assert set(form.response_frame("a").loc[0, framework.barrier_ids]) == {""}
    form.set_answer("barriers_faced", (framework.barriers[0].id, NONE_OF_THESE))
    assert form.answer("barriers_faced") == (NONE_OF_THESE,)  # "none of these" wins over a tick
    assert set(form.response_frame("a").loc[0, framework.barrier_ids]) == {"0"}


def test_scoring_goes_through_the_kits_validation_like_a_survey_file(framework, tmp_path):
    form = QuickCheckForm(framework)
    answer_everything(form, "Acme", shift=2)
    blank = form.pages[2].questions[0].name
    form.set_answer(blank, None)  # a skipped statement stays missing
    clean, profile = form.score("qc-7")
    # The same answers written as a survey file and read back score the same.
    path = tmp_path / "survey.csv"
    form.response_frame("qc-7").to_csv(path, index=False)
    read, _ = read_responses(path, framework)
    expected = score_responses(read, framework).iloc[0]
    pd.testing.assert_series_equal(profile.scores.sort_index(), expected.astype(float).sort_index(), check_names=False)
    assert np.isnan(clean.loc[0, blank]) and profile.id == "qc-7" and profile.in_benchmark is False
    assert profile.demographics[framework.demographic_ids[0]] == framework.demographics[0].values[2]


def test_scoring_an_incomplete_form_says_what_is_missing(framework):
    form = QuickCheckForm(framework)
    with pytest.raises(DataError, match="organisation's name"):
        form.score("qc-1")


# --- submissions --------------------------------------------------------------------------------


def test_submission_ids_are_unique_and_in_time_order():
    ids = [new_submission().id for _ in range(500)]
    assert len(set(ids)) == 500 and all(i.startswith("qc-") for i in ids)
    early = pd.Timestamp("2026-03-01T09:00:00Z").to_pydatetime()
    late = pd.Timestamp("2026-03-01T09:00:01Z").to_pydatetime()
    assert new_submission(early).id < new_submission(late).id


def test_the_collect_folder_is_created_and_checked(tmp_path):
    made = check_collect_folder(tmp_path / "a" / "b")
    assert made.is_dir() and made.is_absolute() and list(made.iterdir()) == []
    afile = tmp_path / "file.txt"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(ParametersError, match="not a folder"):
        check_collect_folder(afile)


def test_a_submission_is_one_file_that_reads_back_as_the_validated_answers(framework, tmp_path):
    form = QuickCheckForm(framework)
    answer_everything(form, "=HYPERLINK(\"http://x\")")  # spreadsheet formulas never reach a file as such
    folder = SubmissionFolder(check_collect_folder(tmp_path / "subs"))
    submission = new_submission()
    path = folder.write(form.response_frame(submission.id), submission)
    assert [p.name for p in tmp_path.joinpath("subs").iterdir()] == [f"{submission.id}.csv"]  # no temporary left
    raw = pd.read_csv(path, dtype=str)
    assert raw.loc[0, SUBMITTED_AT] == submission.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert raw.loc[0, framework.name_column].startswith("'=")
    read, report = read_responses(path, framework)
    assert SUBMITTED_AT in report.metadata_columns and report.ok
    clean, _ = form.score(submission.id)
    items = framework.item_ids
    pd.testing.assert_frame_equal(read[items], clean[items])
    # Submitting again under the same id replaces the file.
    form.set_answer(items[0], "5")
    folder.write(form.response_frame(submission.id), submission)
    assert folder.files() == [path] and read_responses(path, framework)[0].loc[0, items[0]] == 5


def test_concurrent_submissions_are_all_kept_and_import_as_one_wave(framework, tmp_path):
    folder = SubmissionFolder(check_collect_folder(tmp_path / "subs"))
    start = threading.Barrier(12)
    written: list[str] = []

    def submit(k: int) -> None:
        form = QuickCheckForm(framework)
        answer_everything(form, f"Org {k}", shift=k)
        submission = new_submission()
        start.wait()
        folder.write(form.response_frame(submission.id), submission)
        written.append(submission.id)

    threads = [threading.Thread(target=submit, args=(k,)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(p.stem for p in folder.files()) == sorted(written) and len(written) == 12
    db = tmp_path / "bench.duckdb"
    assert main(["import", str(folder.path), "--wave", "QC", "--db", str(db)]) == 0
    assert main(["import", str(folder.path), "--wave", "QC", "--db", str(db)]) == 0  # adds nothing
    with BenchmarkStore(db, read_only=True) as store:
        waves = store.waves()
        stored = store.responses("QC")
    assert waves["n_organisations"].tolist() == [12]
    assert sorted(stored[framework.id_column]) == sorted(written)
    assert sorted(stored[framework.name_column]) == sorted(f"Org {k}" for k in range(12))


def test_a_folder_is_validated_like_a_file_and_problems_name_their_file(framework, tmp_path, capsys):
    folder = tmp_path / "subs"
    folder.mkdir()
    for k in range(3):
        form = QuickCheckForm(framework)
        answer_everything(form, f"Org {k}")
        frame = form.response_frame(f"qc-{k}")
        if k == 1:
            frame.loc[0, framework.item_ids[2]] = "9"  # off the 1-5 scale
        frame.to_csv(folder / f"qc-{k}.csv", index=False)
    (folder / ".qc-3.csv.tmp").write_text("half a fi", encoding="utf-8")  # an unfinished write is not read
    (folder / "notes.md").write_text("not a survey file", encoding="utf-8")
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"{folder / 'qc-1.csv'}, line 2, column {framework.item_ids[2]}" in out
    assert "files: 3" in out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["validate", str(empty)]) == 1
    assert "a folder holding survey files" in capsys.readouterr().out


# --- the report ----------------------------------------------------------------------------------


def _results(bench_db, framework, name="Acme <b>Learning</b>"):
    form = QuickCheckForm(framework)
    answer_everything(form, name)
    path = bench_db.parent / "own.csv"
    form.response_frame("qc-own").to_csv(path, index=False)
    return client_results(ClientParameters(client_id="own", db=bench_db, responses=path))


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    path, later = build_two_wave_db(tmp_path_factory.mktemp("qcbench") / "bench.duckdb", n_orgs=240)
    with BenchmarkStore(path) as store:
        save_wave_invariance(store)  # client reports then say whether comparisons are fair
        save_publication(store)  # ... and it is published with the wave
    return path, later


def test_the_downloaded_report_is_one_self_contained_file_with_the_result(bench, framework):
    db, _ = bench
    results = _results(db, framework)
    fragment = result_html(results, note="Your answers were not stored.")
    document = report_document(results, note="Your answers were not stored.")
    assert fragment in document and document.startswith("<!DOCTYPE html>")
    assert "<script" not in document and "http://" not in document and "https://" not in document
    assert "Acme &lt;b&gt;Learning&lt;/b&gt;" in document and "<b>Learning</b>" not in document
    index = results["scores"]["index"]
    assert f'data-index="{index:.2f}"' in fragment
    for finding in results["findings"]:
        assert html.escape(finding["text"]) in fragment
    for priority in results["priorities"]:
        assert html.escape(priority["name"]) in fragment
    assert "Your answers were not stored." in fragment
    assert report_file_name(results) == "quick-check-acme-b-learning-b.html"


# --- the command line -----------------------------------------------------------------------------


def test_demo_summary_prints_the_quick_check_command(tmp_path):
    out = tmp_path / "demo"
    result = DemoResult(out, out / "data" / "responses.csv", out / "a.ipynb", out / "a.html",
                        database=out / "benchmark.duckdb")
    summary = result.summary(".venv/bin/maturity")
    assert (f".venv/bin/maturity quickcheck --db {out / 'benchmark.duckdb'} --collect {out / 'submissions'}"
            in summary)
    assert summary.index("dashboard --db") < summary.index("quickcheck --db")


def test_quickcheck_rejects_a_missing_database_a_bad_folder_and_an_unknown_wave(tmp_path, bench):
    missing = subprocess.run([sys.executable, "-m", "maturity.cli", "quickcheck", "--db", str(tmp_path / "no.duckdb")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no benchmark database at" in missing.stderr and "Traceback" not in missing.stderr
    afile = tmp_path / "f"
    afile.write_text("x", encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "maturity.cli", "quickcheck", "--db", str(bench[0]),
                          "--collect", str(afile)], capture_output=True, text=True)
    assert bad.returncode == 2 and "not a folder" in bad.stderr
    wave = subprocess.run([sys.executable, "-m", "maturity.cli", "quickcheck", "--db", str(bench[0]), "--wave", "1999"],
                          capture_output=True, text=True)
    assert wave.returncode == 2 and "1999" in wave.stderr and "Traceback" not in wave.stderr


def _start(args: list[str]) -> tuple[subprocess.Popen, list[str], str]:
    """Start ``maturity quickcheck ARGS``; its process, first output lines and the link it prints."""
    proc = subprocess.Popen([sys.executable, "-m", "maturity.cli", "quickcheck", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    url = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(lines) < 4:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if "running at" in line:
            url = line.split("running at", 1)[1].split()[0]
    assert url is not None, proc.stderr.read()
    return proc, lines, url


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_quickcheck_serves_the_form_writes_submissions_and_stops_on_sigterm(bench, tmp_path, framework):
    proc, lines, url = _start(["--db", str(bench[0]), "--collect", str(tmp_path / "in")])
    try:
        assert url.startswith("http://127.0.0.1:") and "token" not in url
        assert any(f"Submissions are written to {tmp_path / 'in'}" in line for line in lines)
        visitor = Visitor(url)
        assert visitor.get().status == 200
        form = QuickCheckForm(framework)
        answer_everything(form, "Command Line Ltd")
        result = visitor.post("./", form_fields(form))
        assert result.status == 200 and "Where Command Line Ltd stands" in result.text
        assert len(list((tmp_path / "in").glob("qc-*.csv"))) == 1
        assert Visitor(url, host="attacker.example").get().status == 403
    finally:
        code = _stop(proc)
    assert code == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)


def test_quickcheck_beyond_loopback_needs_its_token_and_warns_about_tls(bench):
    proc, lines, url = _start(["--db", str(bench[0]), "--host", "0.0.0.0", "--allow-host", "qc.example.org"])
    try:
        assert url.startswith("http://qc.example.org:") and "?token=" in url
        port = url.split(":")[2].split("/")[0]
        local = f"http://127.0.0.1:{port}/"
        assert Visitor(local, host="qc.example.org").get().status == 403  # no token
        assert Visitor(local + "?" + url.split("?", 1)[1], host="qc.example.org").get().status == 200
        assert Visitor(local + "?" + url.split("?", 1)[1], host="elsewhere.example").get().status == 403
    finally:
        code = _stop(proc, signal.SIGINT)  # Ctrl-C
    assert code == 0
    err = proc.stderr.read()
    assert "WARNING" in err and "TLS" in err and "Traceback" not in err
