"""`maturity validate`, `import`, `score` and `waves`."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

import maturity
from maturity.cli import main
from maturity.data.store import BenchmarkStore
from maturity.data.synthetic import generate_wave

from .survey_files import Survey, assert_same_scores, scores_of

FW = maturity.load_framework()
ID = FW.id_column


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Two valid waves as CSV and a broken copy of the first (25 answers out of range)."""
    folder = tmp_path_factory.mktemp("cli")
    first = maturity.generate_benchmark(50, seed=31)
    second = generate_wave(first, seed=32)
    first.responses.loc[0, "name"] = '=HYPERLINK("http://evil.example","click")'
    # Written raw (not through write_csv) so the name really starts with "=" in the input.
    w1, w2 = folder / "wave1.csv", folder / "wave2.csv"
    first.responses.to_csv(w1, index=False)
    second.responses.to_csv(w2, index=False)
    survey = Survey.from_frame(pd.read_csv(w1, dtype=str, keep_default_na=False))
    for i in range(25):
        survey.set(i, "bn_1", "6")
    broken = survey.write_csv(folder / "broken.csv")
    return {"w1": w1, "w2": w2, "broken": broken, "first": first.responses, "second": second.responses}


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# --- validate ---------------------------------------------------------------------------------------


def test_validate_accepts_a_good_file(capsys, files):
    code, out, _ = run(capsys, "validate", files["w1"])
    assert code == 0 and "accepted: 50 respondent(s)" in out
    assert pd.read_csv(files["w1"])["name"].iloc[0].startswith("=HYPERLINK")


def test_validate_rejects_with_counts_and_first_twenty(capsys, files):
    code, out, _ = run(capsys, "validate", files["broken"])
    assert code == 1
    assert "rejected: 25 error(s) (25 out_of_range)" in out
    problem_lines = [line for line in out.splitlines() if line.startswith("  error:")]
    assert len(problem_lines) == 20 and "line 2, column bn_1" in problem_lines[0] and "'6'" in problem_lines[0]
    assert "... and 5 more" in out


def test_validate_json_lists_every_problem(capsys, files):
    code, out, _ = run(capsys, "validate", files["broken"], "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["accepted"] is False and report["counts"] == {"out_of_range": 25}
    assert [p["row"] for p in report["problems"]] == list(range(2, 27))
    first = report["problems"][0]
    assert first["column"] == "bn_1" and first["value"] == "6" and first["kind"] == "out_of_range"
    assert first["file"] == str(files["broken"]) and "from 1 to 5" in first["expected"]


def test_validate_lenient_lists_each_repair(capsys, files):
    code, out, _ = run(capsys, "validate", files["broken"], "--lenient")
    assert code == 0 and "25 problem(s) repaired" in out
    assert sum("set to missing" in line for line in out.splitlines()) == 25


def test_validate_unreadable_file(capsys, tmp_path):
    code, out, _ = run(capsys, "validate", tmp_path / "nope.csv")
    assert code == 1 and "the file cannot be read" in out and "file not found" in out


# --- import and waves ---------------------------------------------------------------------------------


def test_import_rejected_file_writes_nothing(capsys, files, tmp_path):
    db = tmp_path / "b.duckdb"
    code, out, err = run(capsys, "import", files["broken"], "--wave", "2025", "--db", db)
    assert code == 1 and "25 out_of_range" in out and "nothing was imported" in err
    assert not db.exists()


def test_import_then_again_then_conflict_then_replace(capsys, files, tmp_path):
    db = tmp_path / "b.duckdb"
    code, out, _ = run(capsys, "import", files["w1"], "--wave", "2025", "--db", db)
    assert code == 0 and "Imported wave 2025" in out and "50 organisations (50 new" in out
    code, out, _ = run(capsys, "import", files["w1"], "--wave", "2025", "--db", db)
    assert code == 0 and "already holds this data" in out and "nothing was added" in out
    code, _, err = run(capsys, "import", files["w2"], "--wave", "2025", "--db", db)
    assert code == 1 and "already holds different data" in err and "--replace" in err
    code, out, _ = run(capsys, "import", files["w2"], "--wave", "2025", "--db", db, "--replace")
    assert code == 0 and "Replaced wave 2025" in out
    with BenchmarkStore(db, read_only=True) as store:
        assert store.responses("2025")[ID].tolist() == files["second"][ID].tolist()


def test_import_json_and_lenient(capsys, files, tmp_path):
    db = tmp_path / "b.duckdb"
    code, out, _ = run(capsys, "import", files["broken"], "--wave", "2025", "--db", db, "--lenient", "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["import"]["status"] == "imported" and result["import"]["n_organisations"] == 50
    assert result["report"]["n_repaired"] == 25
    with BenchmarkStore(db, read_only=True) as store:
        assert store.responses("2025")["bn_1"].iloc[:25].isna().all()


def test_waves_lists_counts(capsys, files, tmp_path):
    db = tmp_path / "b.duckdb"
    run(capsys, "import", files["w1"], "--wave", "2025", "--db", db)
    run(capsys, "import", files["w2"], "--wave", "2026", "--db", db)
    code, out, _ = run(capsys, "waves", "--db", db)
    lines = out.splitlines()
    assert code == 0 and "2 wave(s)" in lines[0]
    assert lines[2].split()[0] == "2025" and lines[3].split()[0] == "2026" and "wave2.csv" in lines[3]
    code, out, _ = run(capsys, "waves", "--db", db, "--format", "json")
    listed = json.loads(out)["waves"]
    returning = len(set(files["first"][ID]) & set(files["second"][ID]))
    assert [w["n_returning"] for w in listed] == [0, returning]


def test_waves_of_a_missing_database(capsys, tmp_path):
    code, _, err = run(capsys, "waves", "--db", tmp_path / "none.duckdb")
    assert code == 1 and "no benchmark database" in err


# --- score ----------------------------------------------------------------------------------------------------


def test_score_to_stdout_is_protected_csv(capsys, files):
    code, out, _ = run(capsys, "score", files["w1"])
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split(",")[:3] == [ID, "name", FW.strand_ids[0]]
    assert lines[1].split(",")[1].startswith("\"'=HYPERLINK")  # never a live formula
    table = pd.read_csv(pd.io.common.StringIO(out)).set_index(ID)
    assert_same_scores(table.drop(columns="name"), scores_of(files["first"], FW))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".json"])
def test_score_out_formats(capsys, files, tmp_path, suffix):
    out_file = tmp_path / f"scores{suffix}"
    code, _, err = run(capsys, "score", files["w1"], "--out", out_file)
    assert code == 0 and "wrote 50" in err
    reader = {".csv": pd.read_csv, ".xlsx": pd.read_excel, ".parquet": pd.read_parquet, ".json": pd.read_json}[suffix]
    table = reader(out_file).set_index(ID)
    assert_same_scores(table.drop(columns="name"), scores_of(files["first"], FW))
    if suffix == ".xlsx":
        cells = [c for row in openpyxl.load_workbook(out_file).active.iter_rows() for c in row]
        assert not [c for c in cells if c.data_type == "f"]
        assert table["name"].iloc[0].startswith("'=")


def test_score_from_database_wave(capsys, files, tmp_path):
    db = tmp_path / "b.duckdb"
    run(capsys, "import", files["w1"], "--wave", "2025", "--db", db)
    run(capsys, "import", files["w2"], "--wave", "2026", "--db", db)
    out_file = tmp_path / "s.csv"
    code, _, _ = run(capsys, "score", "--db", db, "--wave", "2025", "--out", out_file)
    assert code == 0
    assert_same_scores(pd.read_csv(out_file).set_index(ID).drop(columns="name"), scores_of(files["first"], FW))
    code, out, _ = run(capsys, "score", "--db", db)  # latest wave
    assert pd.read_csv(pd.io.common.StringIO(out))[ID].tolist() == files["second"][ID].tolist()


def test_score_from_xlsx_sheet(capsys, files, tmp_path):
    survey = Survey.from_frame(pd.read_csv(files["w2"], dtype=str, keep_default_na=False))
    book = survey.write_xlsx(tmp_path / "s.xlsx", sheet="Data", before=["Cover"])
    code, out, _ = run(capsys, "score", book, "--sheet", "Data")
    assert code == 0
    assert_same_scores(pd.read_csv(pd.io.common.StringIO(out)).set_index(ID).drop(columns="name"),
                       scores_of(files["second"], FW))


def test_score_rejected_file(capsys, files):
    code, out, err = run(capsys, "score", files["broken"])
    assert code == 1 and out == "" and "25 out_of_range" in err


@pytest.mark.parametrize("args", [
    ["score", "x.csv", "--out", "scores.pdf"],
    ["score", "x.csv", "--db", "b.duckdb"],
    ["score", "x.csv", "--wave", "2025"],
])
def test_score_usage_errors(capsys, args):
    code, _, err = run(capsys, *args)
    assert code == 2 and err.startswith("error:")
