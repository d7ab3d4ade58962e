"""Acceptance: malformed survey files, each built in code from a valid one, are rejected
with their own problem kind at the right row and column; lenient mode repairs what can be
repaired and lists each repair; the input file is never modified."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

import maturity
from maturity.data.problems import CELL_KINDS, FILE_KINDS, LEARNER_KINDS, PROBLEM_KINDS, ROW_KINDS, WARNING_KINDS
from maturity.data.responses import read_responses, validate_file
from maturity.errors import ValidationFailed

from .survey_files import Survey, valid_survey

FW = maturity.load_framework()
ID = FW.id_column
OUTCOME = FW.outcome_items[0].id
BARRIER = FW.barrier_ids[0]


@pytest.fixture(scope="module")
def survey() -> Survey:
    return valid_survey(40, FW)[0]


# Each case: (survey copy, folder) -> (path, kind, row as the user sees it, column).
# In a CSV written with one header line, data row i (0-based) is on line i + 2.
def _csv(s: Survey, d: Path, name: str = "broken.csv", **kw) -> Path:
    return s.write_csv(d / name, **kw)


def case_file_not_found(s, d):
    return d / "missing.csv", "unreadable", None, None


def case_folder_instead_of_file(s, d):
    (d / "folder.csv").mkdir()
    return d / "folder.csv", "unreadable", None, None


def case_truncated_xlsx(s, d):
    p = s.write_xlsx(d / "cut.xlsx")
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return p, "unreadable", None, None


def case_truncated_parquet(s, d):
    p = d / "cut.parquet"
    s.frame().to_parquet(p)
    p.write_bytes(p.read_bytes()[:-200])
    return p, "unreadable", None, None


def case_truncated_sav(s, d):
    import pyreadstat

    p = d / "cut.sav"
    pyreadstat.write_sav(s.frame()[[ID, "bn_1"]].astype({"bn_1": float}, errors="ignore").replace("", np.nan), str(p))
    p.write_bytes(p.read_bytes()[:100])
    return p, "unreadable", None, None


def case_empty_file(s, d):
    p = d / "empty.csv"
    p.write_bytes(b"")
    return p, "empty", None, None


def case_only_blank_lines(s, d):
    p = d / "blank.csv"
    p.write_text("\n  \n\r\n", encoding="utf-8")
    return p, "empty", None, None


def case_gzipped_csv(s, d):
    p = d / "packed.csv"
    p.write_bytes(gzip.compress(s.csv_text().encode("utf-8")))
    return p, "binary", None, None


def case_header_only(s, d):
    s.rows = []
    return _csv(s, d), "no_data", 1, None


def case_no_id_column(s, d):
    s.header[s.col(ID)] = "organisation"
    return _csv(s, d), "missing_id_column", 1, None


def case_blank_id(s, d):
    s.set(4, ID, "")
    return _csv(s, d), "blank_id", 6, ID


def case_id_of_spaces(s, d):
    s.set(11, ID, "   ")
    return _csv(s, d), "blank_id", 13, ID


def case_duplicate_id(s, d):
    s.set(8, ID, s.rows[2][s.col(ID)])
    return _csv(s, d), "duplicate_id", 10, ID


def case_duplicate_column(s, d):
    s.add("bn_1", [r[s.col("bn_1")] for r in s.rows])
    return _csv(s, d), "duplicate_column", 1, "bn_1"


def case_duplicate_column_other_case(s, d):
    s.add("BN_1", [r[s.col("bn_1")] for r in s.rows])
    return _csv(s, d), "duplicate_column", 1, "BN_1"


def case_row_with_extra_field(s, d):
    s.rows[6].append("surplus")
    return _csv(s, d), "extra_fields", 8, f"field {len(s.header) + 1}"


def case_missing_item_column(s, d):
    s.drop("cap_3")
    return _csv(s, d), "missing_item_column", 1, "cap_3"


def case_word_for_a_number(s, d):
    s.set(3, "bn_3", "often")
    return _csv(s, d), "not_a_number", 5, "bn_3"


def case_misspelt_label(s, d):
    s.set(14, "lc_2", "Strongly agreee")
    return _csv(s, d), "not_a_number", 16, "lc_2"


def case_above_the_scale(s, d):
    s.set(5, "en_2", "7")
    return _csv(s, d), "out_of_range", 7, "en_2"


def case_negative_answer(s, d):
    s.set(20, "dv_1", "-1")
    return _csv(s, d), "out_of_range", 22, "dv_1"


def case_fraction_on_whole_number_scale(s, d):
    s.set(7, "wc_1", "2.5")
    return _csv(s, d), "not_integer", 9, "wc_1"


def case_infinite_answer(s, d):
    s.set(9, "lc_1", "inf")
    return _csv(s, d), "not_finite", 11, "lc_1"


def case_nan_typed_as_answer(s, d):
    s.set(10, "cap_1", "NaN")
    return _csv(s, d), "not_finite", 12, "cap_1"


def case_outcome_out_of_range(s, d):
    s.set(12, OUTCOME, "9")
    return _csv(s, d), "out_of_range", 14, OUTCOME


def case_unknown_sector(s, d):
    s.set(2, "sector", "Farming")
    return _csv(s, d), "demographic_value", 4, "sector"


def case_barrier_maybe(s, d):
    s.set(3, BARRIER, "maybe")
    return _csv(s, d), "barrier_value", 5, BARRIER


def case_respondent_without_answers(s, d):
    for item in FW.item_ids + [i.id for i in FW.outcome_items]:
        s.set(17, item, "")
    return _csv(s, d), "no_answers", 19, None


def case_xlsx_rows_are_sheet_rows(s, d):
    s.set(4, "bn_2", "6")
    return s.write_xlsx(d / "broken.xlsx"), "out_of_range", 6, "bn_2"


def case_line_numbers_count_quoted_line_breaks(s, d):
    s.set(1, "name", "Acme\nHoldings")  # row 1 spans lines 3-4
    s.set(4, "bn_4", "11")
    return _csv(s, d), "out_of_range", 7, "bn_4"


def case_qualtrics_header_rows_are_counted(s, d):
    texts = [FW.item_table.loc[c, "text"] if c in FW.item_table.index else c for c in s.header]
    imports = ['{"ImportId":"%s"}' % c for c in s.header]
    s.set(2, "en_5", "0")
    return _csv(s, d, header_rows=[s.header, texts, imports]), "out_of_range", 6, "en_5"


def case_answers_to_an_older_framework_version(s, d):
    # a fielded questionnaire stamps each response with its framework version
    s.add("framework_version", [FW.version] * len(s.rows))
    s.set(5, "framework_version", "0.9")
    return _csv(s, d), "framework_version", 7, "framework_version"


def case_decimal_comma_on_whole_number_scale(s, d):
    s.set(6, "wc_2", "3,5")
    return _csv(s, d, delimiter=";"), "not_integer", 8, "wc_2"


CASES: list[Callable] = [v for k, v in sorted(globals().items()) if k.startswith("case_")]


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def test_every_error_kind_has_a_case(survey, tmp_path):
    assert len(CASES) >= 20
    kinds = set()
    for case in CASES:
        folder = tmp_path / case.__name__
        folder.mkdir()
        kinds.add(case(survey.copy(), folder)[1])
    assert kinds == set(PROBLEM_KINDS) - WARNING_KINDS - LEARNER_KINDS  # those: tests/test_learners.py


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_malformed_file_is_rejected_with_its_kind_row_and_column(case, survey, tmp_path):
    path, kind, row, column = case(survey.copy(), tmp_path)
    before = _sha(path)
    report = validate_file(path, FW)
    assert not report.ok
    rejecting = {p.kind for p in report.problems if p.rejects}
    assert rejecting == {kind}, report.to_text()
    hits = [p for p in report.problems if p.kind == kind and p.row == row and p.column == column]
    assert hits, report.to_text()
    message = hits[0].message
    assert str(path) in message
    if row is not None:
        label = {"xlsx": "row"}.get(report.format, "line")
        assert f"{label} {row}" in message
    if column is not None:
        assert f"column {column}" in message
    if kind in CELL_KINDS:
        assert hits[0].value is not None and f"'{hits[0].value}'" in message and "expected" in message
    with pytest.raises(ValidationFailed) as info:
        read_responses(path, FW)
    assert info.value.report.counts() == report.counts()
    assert _sha(path) == before  # the input is never modified


def test_duplicate_ids_name_every_line(survey, tmp_path):
    s = survey.copy()
    s.set(8, ID, s.rows[2][s.col(ID)])
    report = validate_file(_csv(s, tmp_path), FW)
    rows = sorted(p.row for p in report.problems if p.kind == "duplicate_id")
    assert rows == [4, 10]
    assert "also on line 10" in next(p for p in report.problems if p.row == 4).expected


def test_unknown_column_is_only_a_warning(survey, tmp_path):
    s = survey.copy().add("favourite_colour", ["=cmd|' /C calc'!A0"] + ["blue"] * (len(survey.rows) - 1))
    frame, report = read_responses(_csv(s, tmp_path), FW)
    assert report.ok and [p.kind for p in report.problems] == ["unknown_column"]
    assert report.problems[0].severity == "warning" and report.unknown_columns == ["favourite_colour"]
    # kept as an attribute, as text, never evaluated
    assert frame["favourite_colour"].iloc[0] == "=cmd|' /C calc'!A0"


def test_counts_are_exact_and_text_report_shows_first_twenty(survey, tmp_path):
    s = survey.copy()
    for i in range(25):
        s.set(i, "bn_1", "6")
    report = validate_file(_csv(s, tmp_path), FW)
    assert report.counts() == {"out_of_range": 25}
    text = report.to_text()
    assert "rejected: 25 error(s) (25 out_of_range)" in text
    assert sum(line.startswith("  error:") for line in text.splitlines()) == 20
    assert "... and 5 more" in text


# --- lenient mode ---------------------------------------------------------------------------------


CELL_CASES = [case_word_for_a_number, case_above_the_scale, case_fraction_on_whole_number_scale, case_infinite_answer,
              case_unknown_sector, case_barrier_maybe, case_outcome_out_of_range, case_xlsx_rows_are_sheet_rows]


@pytest.mark.parametrize("case", CELL_CASES, ids=lambda c: c.__name__[5:])
def test_lenient_sets_invalid_cells_to_missing_and_lists_each(case, survey, tmp_path):
    path, kind, row, column = case(survey.copy(), tmp_path)
    frame, report = read_responses(path, FW, lenient=True)
    assert report.ok and report.lenient
    listed = [p for p in report.problems if p.kind == kind]
    assert len(listed) == 1 and listed[0].action == "set to missing" and listed[0].row == row
    data_row = row - 2  # one header row
    assert frame[column].isna().iloc[data_row]
    assert len(frame) == len(survey.rows)
    assert "set to missing" in report.to_text()


@pytest.mark.parametrize("case", [case_blank_id, case_duplicate_id, case_row_with_extra_field,
                                  case_respondent_without_answers], ids=lambda c: c.__name__[5:])
def test_lenient_skips_unusable_rows_and_lists_each(case, survey, tmp_path):
    path, kind, row, _ = case(survey.copy(), tmp_path)
    frame, report = read_responses(path, FW, lenient=True)
    assert report.ok
    skipped = [p for p in report.problems if p.kind == kind]
    assert skipped and all(p.action == "row skipped" for p in skipped)
    assert len(frame) == len(survey.rows) - len(skipped)
    skipped_ids = {survey.rows[p.row - 2][survey.col(ID)] for p in skipped}
    assert not skipped_ids & set(frame[ID]) or kind == "blank_id"


@pytest.mark.parametrize("case", [case_no_id_column, case_missing_item_column, case_duplicate_column,
                                  case_header_only, case_gzipped_csv], ids=lambda c: c.__name__[5:])
def test_lenient_cannot_repair_file_problems(case, survey, tmp_path):
    path, kind, _, _ = case(survey.copy(), tmp_path)
    assert kind in FILE_KINDS | {"binary"}
    with pytest.raises(ValidationFailed):
        read_responses(path, FW, lenient=True)


def test_problem_kind_groups_do_not_overlap():
    assert not (FILE_KINDS & ROW_KINDS) and not (ROW_KINDS & CELL_KINDS) and not (FILE_KINDS & CELL_KINDS)
