"""Round trips: write the questionnaire, lay known answers out as each platform exports
them, validate and import the export with the command line, and read the stored answers
back: they equal the known answers. Also: the platform's metadata is listed and dropped,
and an export of another framework version is refused with a clear problem."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.cli import main
from maturity.framework import parse_framework
from maturity.data.responses import validate_file
from maturity.data.store import BenchmarkStore

from .conftest import small_framework_dict
from .platform_files import (
    expected_barriers,
    known_answers,
    kobo_table,
    limesurvey_table,
    odk_central_table,
    qualtrics_table,
    write_csv,
    write_kobo_csv,
    write_xlsx,
)

FW = maturity.load_framework()


@pytest.fixture(scope="module")
def questionnaires(tmp_path_factory):
    folder = tmp_path_factory.mktemp("questionnaires")
    out = {}
    for fmt, name in (("xlsform", "form.xlsx"), ("qsf", "survey.qsf"), ("limesurvey", "survey.txt")):
        assert main(["questionnaire", "--format", fmt, "--out", str(folder / name)]) == 0
        out[fmt] = folder / name
    return out


@pytest.fixture(scope="module")
def known():
    return known_answers(FW)


def _import(tmp_path, capsys, path, framework_file=None) -> tuple[pd.DataFrame, dict]:
    """`maturity import` into a new database; the stored wave and the JSON report."""
    db = tmp_path / "bench.duckdb"
    extra = ["--framework", str(framework_file)] if framework_file else []
    code = main(["import", str(path), "--wave", "2026", "--db", str(db), "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    with BenchmarkStore(db, read_only=True) as store:
        return store.responses("2026"), json.loads(out)["report"]


def assert_stored_equal_known(stored: pd.DataFrame, known: pd.DataFrame, framework, *, ticks_only: bool) -> None:
    fw = framework
    assert stored[fw.id_column].tolist() == known[fw.id_column].astype(str).tolist()
    items = [i.id for i in fw.items + fw.outcome_items]
    np.testing.assert_array_equal(stored[items].to_numpy(float), known[items].to_numpy(float, na_value=np.nan))
    for column in [fw.name_column] + fw.demographic_ids:
        assert [None if pd.isna(v) else v for v in stored[column]] == [None if pd.isna(v) else v for v in known[column]]
    if fw.barrier_ids:
        np.testing.assert_array_equal(stored[fw.barrier_ids].to_numpy(float),
                                      expected_barriers(known, fw, ticks_only=ticks_only).to_numpy(float))


# --- KoboToolbox --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("multiple", ["both", "details", "summary"])
def test_kobo_csv_with_group_paths(questionnaires, known, tmp_path, capsys, multiple):
    table = kobo_table(questionnaires["xlsform"], known, multiple=multiple)
    assert "business_need/bn_1" in table[0] and "organisation/respondent_id" in table[0]
    path = write_kobo_csv(tmp_path / "kobo.csv", table)
    stored, report = _import(tmp_path, capsys, path)
    assert report["details"]["layout"] == "kobotoolbox" and report["details"]["delimiter"] == "semicolon"
    assert report["problems"] == []  # no unknown column: every column is an answer or the platform's
    assert {"_uuid", "_submission_time", "_index", "meta/instanceID", "start", "end", "__version__",
            "framework_id", "framework_version"} <= set(report["metadata_columns"])
    # With only the space-separated summary, "ticked nothing" and "skipped" look the same.
    assert_stored_equal_known(stored, known, FW, ticks_only=multiple == "summary")


def test_kobo_xlsx(questionnaires, known, tmp_path, capsys):
    path = write_xlsx(tmp_path / "kobo.xlsx", kobo_table(questionnaires["xlsform"], known))
    stored, report = _import(tmp_path, capsys, path)
    assert report["format"] == "xlsx" and report["details"]["layout"] == "kobotoolbox"
    assert report["problems"] == []
    assert_stored_equal_known(stored, known, FW, ticks_only=False)


def test_kobo_without_group_paths(questionnaires, known, tmp_path, capsys):
    table = kobo_table(questionnaires["xlsform"], known)
    table[0] = [h if h.startswith(("_", "meta/")) else h.split("/", 1)[-1] if h.count("/") == 1 else
                "/".join(h.split("/")[-2:]) for h in table[0]]
    assert "bn_1" in table[0]
    stored, _ = _import(tmp_path, capsys, write_kobo_csv(tmp_path / "flat.csv", table))
    assert_stored_equal_known(stored, known, FW, ticks_only=False)


# --- ODK Central ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("split", [False, True])
def test_odk_central_csv(questionnaires, known, tmp_path, capsys, split):
    table = odk_central_table(questionnaires["xlsform"], known, split=split)
    assert table[0][0] == "SubmissionDate" and "business_need-bn_1" in table[0] and "KEY" in table[0]
    path = write_csv(tmp_path / "submissions.csv", table)
    stored, report = _import(tmp_path, capsys, path)
    assert report["details"]["layout"] == "odk-central"
    assert report["problems"] == []
    assert {"SubmissionDate", "KEY", "meta-instanceID", "SubmitterID", "ReviewState", "FormVersion",
            "framework_version"} <= set(report["metadata_columns"])
    assert_stored_equal_known(stored, known, FW, ticks_only=not split)


# --- LimeSurvey ------------------------------------------------------------------------------------------------


def test_limesurvey_csv(questionnaires, known, tmp_path, capsys):
    table = limesurvey_table(questionnaires["limesurvey"], known, FW)
    assert "bn1" in table[0] and any(h.endswith("[barriertime]") for h in table[0])
    path = write_csv(tmp_path / "results-survey123456.csv", table, quoting=csv.QUOTE_ALL)
    stored, report = _import(tmp_path, capsys, path)
    assert report["details"]["layout"] == "limesurvey"
    assert report["problems"] == []
    dropped = set(report["metadata_columns"])
    assert {"id", "submitdate", "lastpage", "startlanguage", "seed", "frameworkversion"} <= dropped
    assert_stored_equal_known(stored, known, FW, ticks_only=True)


def test_limesurvey_codes_of_another_framework(tmp_path, capsys):
    """Ids LimeSurvey cannot hold as codes (underscores, a clash once they are stripped,
    longer than 20 characters) still read back; a 1-7 scale with reverse items."""
    doc = small_framework_dict(n_strands=2, n_items=3)
    doc["strands"][0]["items"][0]["id"] = "x_11"  # both are "x11" once the underscores are gone
    doc["strands"][0]["items"][1]["id"] = "x1_1"
    doc["strands"][0]["items"][1]["reverse"] = True
    doc["strands"][1]["items"][2]["id"] = "a_very_long_item_identifier_indeed"
    fw_file = tmp_path / "team.yaml"
    fw_file.write_text(json.dumps(doc), encoding="utf-8")
    fw = parse_framework(doc)
    assert main(["questionnaire", "--framework", str(fw_file), "--format", "limesurvey",
                 "--out", str(tmp_path / "team.txt")]) == 0
    assert "team-survey version 0.1" in capsys.readouterr().out
    known = known_answers(fw, n=12, seed=4)
    table = limesurvey_table(tmp_path / "team.txt", known, fw)
    assert len(set(table[0])) == len(table[0]) and all(len(h) <= 20 for h in table[0])
    path = write_csv(tmp_path / "team.csv", table, quoting=csv.QUOTE_ALL)
    stored, report = _import(tmp_path, capsys, path, framework_file=fw_file)
    assert report["problems"] == []
    assert_stored_equal_known(stored, known, fw, ticks_only=True)


# --- Qualtrics ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("choice_text", [False, True], ids=["numeric", "choice-text"])
def test_qualtrics_csv(questionnaires, known, tmp_path, capsys, choice_text):
    table = qualtrics_table(questionnaires["qsf"], known, FW, choice_text=choice_text)
    assert "bn_1" in table[0] and "framework_version" in table[0]
    path = write_csv(tmp_path / "qualtrics.csv", table)
    stored, report = _import(tmp_path, capsys, path)
    assert report["details"]["layout"] == "qualtrics" and report["details"]["header_rows"] == 3
    assert report["problems"] == []
    assert {"ResponseId", "IPAddress", "framework_id", "framework_version"} <= set(report["metadata_columns"])
    assert_stored_equal_known(stored, known, FW, ticks_only=True)


# --- versions -------------------------------------------------------------------------------------------------------


def test_an_export_of_another_framework_version_is_refused(questionnaires, known, tmp_path, capsys):
    table = kobo_table(questionnaires["xlsform"], known)
    j = table[0].index("framework_version")
    for row in table[3:6]:
        row[j] = "0.9"  # answered on last year's questionnaire
    path = write_kobo_csv(tmp_path / "mixed.csv", table)
    report = validate_file(path, FW)
    assert not report.ok and report.counts() == {"framework_version": 1}
    problem = report.problems[0]
    assert (problem.row, problem.column, problem.value) == (4, "framework_version", "0.9")
    assert "3 row(s)" in problem.expected and "'1.0'" in problem.expected
    db = tmp_path / "bench.duckdb"
    code = main(["import", str(path), "--wave", "2026", "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 1 and "framework_version" in out and "nothing was imported" in err
    # lenient mode cannot repair it: the file answers another instrument
    assert not validate_file(path, FW, lenient=True).ok


def test_an_export_of_another_framework_is_refused(questionnaires, known, tmp_path):
    table = kobo_table(questionnaires["xlsform"], known)
    j = table[0].index("framework_id")
    for row in table[1:]:
        row[j] = "team-survey"
    report = validate_file(write_kobo_csv(tmp_path / "other.csv", table), FW)
    assert report.counts() == {"framework_version": 1}
    assert "framework 'towards-maturity-6'" in report.problems[0].expected


def test_a_version_written_as_a_number_by_a_spreadsheet_is_the_same(questionnaires, known, tmp_path):
    table = kobo_table(questionnaires["xlsform"], known)
    j = table[0].index("framework_version")
    for row in table[1:]:
        row[j] = "1"  # "1.0" after a spreadsheet saved it
    assert validate_file(write_kobo_csv(tmp_path / "excel.csv", table), FW).ok
