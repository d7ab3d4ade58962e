"""Every supported format and survey-platform layout reads back to the same scores as the
plain CSV it was made from; encodings, delimiters, decimal commas, labels and barrier
conventions are recognised."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.data.responses import read_responses, validate_file
from maturity.framework import parse_framework

from .conftest import small_framework_dict
from .survey_files import Survey, assert_same_scores, scores_of, valid_survey

FW = maturity.load_framework()
ID = FW.id_column
ITEMS = FW.item_ids + [i.id for i in FW.outcome_items]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The valid survey, its plain CSV, and the scores read from that CSV."""
    survey, _ = valid_survey(60, FW, seed=11)
    path = survey.write_csv(tmp_path_factory.mktemp("base") / "plain.csv")
    frame, report = read_responses(path, FW)
    assert report.ok and not report.problems
    return survey, frame, scores_of(frame, FW)


def _check(path: Path, base, **kwargs) -> tuple[pd.DataFrame, object]:
    survey, plain, plain_scores = base
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    frame, report = read_responses(path, FW, **kwargs)
    assert_same_scores(scores_of(frame, FW), plain_scores)
    for col in [ID, FW.name_column] + FW.demographic_ids:
        assert frame[col].tolist() == plain[col].tolist(), col
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    return frame, report


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_text_encodings(base, tmp_path, encoding):
    survey = base[0].copy()
    name = "Caf\u00e9 \u2013 \u2018Z\u00fcrich\u2019 \u20ac Ltd"  # accents, dash, curly quotes, euro: cp1252 has them all
    survey.set(0, "name", name)
    delimiter = "\t" if encoding == "utf-16" else ","
    path = survey.write_csv(tmp_path / "survey.txt", delimiter=delimiter, encoding=encoding)
    frame, report = read_responses(path, FW)
    assert report.details["encoding"] == encoding and frame["name"].iloc[0] == name
    assert_same_scores(scores_of(frame, FW), base[2])


def test_latin1_bytes_that_cp1252_lacks(base, tmp_path):
    survey = base[0].copy()
    text = survey.csv_text().replace(survey.rows[0][1], "Nordic \u00c5s\u0081 AB", 1)
    path = tmp_path / "latin.csv"
    path.write_bytes(text.encode("latin-1"))
    frame, report = read_responses(path, FW)
    assert report.details["encoding"] == "latin-1"
    assert frame["name"].iloc[0] == "Nordic \u00c5s\u0081 AB"


@pytest.mark.parametrize("suffix,delimiter", [(".csv", ";"), (".tsv", "\t"), (".txt", "|"), (".csv", ",")])
def test_delimiters_are_sniffed(base, tmp_path, suffix, delimiter):
    path = base[0].write_csv(tmp_path / f"survey{suffix}", delimiter=delimiter)
    _, report = _check(path, base)
    assert report.details["delimiter"] == {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]


def test_decimal_comma_on_a_continuous_scale(tmp_path):
    spec = small_framework_dict(n_strands=2, n_items=3, lo=0, hi=10)
    spec["scales"]["seven"].update(integer=False, labels={})
    fw = parse_framework(spec, source="<test>")
    survey, _ = valid_survey(30, fw, seed=3)
    assert any("." in c for r in survey.rows for c in r[2:])
    plain, _ = read_responses(survey.write_csv(tmp_path / "plain.csv"), fw)
    european = survey.copy()
    european.rows = [[c.replace(".", ",") if c.replace(".", "").isdigit() else c for c in r] for r in european.rows]
    frame, report = read_responses(european.write_csv(tmp_path / "eu.csv", delimiter=";"), fw)
    assert report.details["decimal"] == "comma"
    assert_same_scores(scores_of(frame, fw), scores_of(plain, fw))


def test_labels_map_case_and_whitespace_insensitively(base, tmp_path):
    survey = base[0].copy()
    styles = [str.upper, str.lower, lambda t: f"  {t}  ", lambda t: t.replace(" ", "   ")]
    for j, col in enumerate(survey.header):
        if col in ITEMS:
            scale = FW.scales[FW.item_table.loc[col, "scale"]]
            for i, r in enumerate(survey.rows):
                if r[j]:
                    r[j] = styles[(i + j) % len(styles)](scale.labels[float(r[j])])
    _check(survey.write_csv(tmp_path / "labels.csv"), base)


def test_xlsx_first_sheet_and_named_or_numbered_sheet(base, tmp_path):
    _check(base[0].write_xlsx(tmp_path / "one.xlsx"), base)
    two = base[0].write_xlsx(tmp_path / "two.xlsx", sheet="Answers", before=["Read me"])
    _check(two, base, sheet="Answers")
    _, report = _check(two, base, sheet=2)
    assert report.details["sheet"] == "Answers"
    bad = validate_file(two, FW, sheet="Nope")
    assert not bad.ok and "Read me, Answers" in bad.problems[0].expected


def test_xlsx_with_text_cells(base, tmp_path):
    _check(base[0].write_xlsx(tmp_path / "text.xlsx", numbers=False), base)


def test_parquet_with_typed_columns(base, tmp_path):
    _, plain, _ = base
    frame = base[0].frame()
    for col in ITEMS:
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in FW.barrier_ids:
        frame[col] = pd.to_numeric(frame[col]).astype("boolean")  # nullable: a skipped question stays blank
    frame["sector"] = frame["sector"].astype("category")
    path = tmp_path / "survey.parquet"
    frame.to_parquet(path)
    read, _ = _check(path, base)
    assert read[FW.barrier_ids].equals(plain[FW.barrier_ids])


def _sav_frame(survey: Survey) -> tuple[pd.DataFrame, dict]:
    frame = survey.frame().replace("", np.nan)
    labels: dict[str, dict] = {}
    for col in ITEMS + FW.barrier_ids:
        frame[col] = pd.to_numeric(frame[col]).astype(float)
    for demo in FW.demographics:  # demographics coded 1..k with value labels, as SPSS users do
        codes = {v: float(k) for k, v in enumerate(demo.values, start=1)}
        frame[demo.id] = frame[demo.id].map(codes)
        labels[demo.id] = {c: v for v, c in codes.items()}
    frame[ID] = frame[ID].astype(object)
    frame["name"] = frame["name"].astype(object)
    return frame, labels


def test_spss_value_labels_are_honoured(base, tmp_path):
    import pyreadstat

    frame, labels = _sav_frame(base[0])
    for item in FW.items + FW.outcome_items:
        labels[item.id] = dict(FW.scales[item.scale].labels)
    path = tmp_path / "survey.sav"
    texts = [FW.item_table.loc[c, "text"] if c in FW.item_table.index else c for c in frame.columns]
    pyreadstat.write_sav(frame, str(path), column_labels=texts, variable_value_labels=labels)
    _, report = _check(path, base)
    assert report.format == "sav" and report.details["value_labels"] == len(labels)


def test_spss_codes_used_when_labels_are_not_the_scales(base, tmp_path):
    import pyreadstat

    frame, labels = _sav_frame(base[0])
    for item in FW.items:
        labels[item.id] = {1.0: "SD", 2.0: "D", 3.0: "N", 4.0: "A", 5.0: "SA"}
    path = tmp_path / "coded.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels)
    _check(path, base)


def _qualtrics(survey: Survey) -> list[list[str]]:
    """A Qualtrics-style export: metadata around the answers, three header rows."""
    before = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
              "RecordedDate", "ResponseId", "RecipientEmail", "LocationLatitude"]
    after = ["UserLanguage", "Q_RecaptchaScore"]
    ids, texts = [], []
    for n, col in enumerate(survey.header):
        if col in FW.item_table.index:  # items renamed Q<n>; recognised by their wording
            strand = FW.item_table.loc[col, "group"]
            ids.append(f"Q{n}")
            texts.append(f"{strand.replace('_', ' ').title()} - {FW.item_table.loc[col, 'text']}")
        else:
            ids.append(col)
            texts.append(col)
    header = before + ids + after
    question = before + texts + after
    imports = [json.dumps({"ImportId": h}) for h in header]
    rows = [["2026-03-01 10:00:00", "2026-03-01 10:20:00", "0", "192.0.2.1", "100", "1200", "1", "2026-03-01",
             f"R_{i:05d}", "someone@example.org", "51.5"] + r + ["EN", "0.9"] for i, r in enumerate(survey.rows)]
    return [header, question, imports] + rows


def test_qualtrics_export(base, tmp_path):
    records = _qualtrics(base[0])
    qualtrics = Survey(records[0], records[3:])
    path = qualtrics.write_csv(tmp_path / "qualtrics.csv", header_rows=records[:3])
    frame, report = _check(path, base)
    assert report.details["layout"] == "qualtrics" and report.details["header_rows"] == 3
    assert "IPAddress" in report.metadata_columns and "Q_RecaptchaScore" in report.metadata_columns
    assert not report.problems  # metadata is neither unknown nor an answer
    assert "IPAddress" not in frame.columns and "RecipientEmail" not in frame.columns
    # metadata can still serve as the id when asked
    by_response, _ = read_responses(path, FW, id_column="ResponseId")
    assert by_response[ID].iloc[0] == "R_00000"


def _surveymonkey(survey: Survey) -> tuple[list[list[str]], list[list[str]]]:
    """A SurveyMonkey-style export: question row, then sub-question/"Response" row;
    multi-select barriers hold the option's text when ticked, blank otherwise."""
    first = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Organisation ID"]
    second = ["", "", "", "", "", "Open-Ended Response"]
    previous_strand = None
    columns = []
    for col in survey.header[1:]:
        if col in FW.item_table.index:
            strand = FW.item_table.loc[col, "group"]
            first.append(strand.title() if strand != previous_strand else "")
            second.append(FW.item_table.loc[col, "text"])
            previous_strand = strand
        elif col in FW.barrier_ids:
            first.append("Which of these barriers hold you back?" if col == FW.barrier_ids[0] else "")
            second.append(next(b.name for b in FW.barriers if b.id == col))
        else:
            first.append(col.title())
            second.append("Response")
        columns.append(col)
    rows = []
    for i, r in enumerate(survey.rows):
        cells = [str(10_000_000 + i), "4321", "03/01/2026", "03/01/2026", "198.51.100.7", r[0]]
        for col, value in zip(columns, r[1:]):
            if col in FW.barrier_ids:
                value = next(b.name for b in FW.barriers if b.id == col) if value == "1" else ""
            cells.append(value)
        rows.append(cells)
    return [first, second], rows


def test_surveymonkey_export(base, tmp_path):
    survey, plain, _ = base
    headers, rows = _surveymonkey(survey)
    path = Survey(headers[0], rows).write_csv(tmp_path / "monkey.csv", header_rows=headers)
    frame, report = _check(path, base, id_column="Organisation ID")
    assert report.details["layout"] == "surveymonkey"
    assert {"Respondent ID", "Collector ID", "IP Address"} <= set(report.metadata_columns)
    assert not report.problems
    # selected/blank barriers: blank is "not selected" unless nothing at all was ticked
    assert report.details["barrier_blanks"] == "not selected"
    original = plain[FW.barrier_ids].to_numpy()
    read = frame[FW.barrier_ids].to_numpy()
    none_ticked = ~(original == 1).any(axis=1)
    assert np.isnan(read[none_ticked]).all()
    np.testing.assert_array_equal(read[~none_ticked], np.nan_to_num(original[~none_ticked], nan=0.0))


@pytest.mark.parametrize("yes,no", [("1", "0"), ("Yes", "no"), ("TRUE", "false"), ("selected", "not selected")])
def test_barrier_conventions_with_explicit_no(base, tmp_path, yes, no):
    survey, plain, _ = base
    s = survey.copy()
    for col in FW.barrier_ids:
        j = s.col(col)
        for r in s.rows:
            r[j] = {"1": yes, "0": no}.get(r[j], r[j])
    s.set(0, FW.barrier_ids[0], "")  # with explicit no's, a blank is missing
    frame, report = read_responses(s.write_csv(tmp_path / "b.csv"), FW)
    assert report.details["barrier_blanks"] == "missing"
    expected = plain[FW.barrier_ids].copy()
    expected.iloc[0, 0] = np.nan
    pd.testing.assert_frame_equal(frame[FW.barrier_ids], expected)


def test_columns_match_ignoring_case_and_spacing(base, tmp_path):
    s = base[0].copy()
    s.header = ["Respondent ID" if h == ID else h.upper().replace("_", " ") if h in FW.item_ids[:5] else h
                for h in s.header]
    _, report = _check(s.write_csv(tmp_path / "spaced.csv"), base)
    assert not report.problems


def test_optional_columns_may_be_absent(base, tmp_path):
    survey, plain, plain_scores = base
    s = survey.copy()
    for col in [i.id for i in FW.outcome_items] + FW.barrier_ids + ["region", "name"]:
        s.drop(col)
    frame, report = read_responses(s.write_csv(tmp_path / "lean.csv"), FW)
    assert report.ok and "region" in report.absent_columns and "name" in report.absent_columns
    assert list(frame.columns) == FW.known_columns  # every framework column, the absent ones missing
    assert frame["region"].isna().all() and frame[FW.barrier_ids].isna().all().all()
    assert_same_scores(maturity.score_responses(frame, FW), plain_scores[FW.strand_ids + ["index"]])


@pytest.mark.parametrize("writer", ["csv", "xlsx", "parquet"])
def test_another_framework_round_trips(tmp_path, writer):
    fw = parse_framework(small_framework_dict(n_strands=4, n_items=3, lo=0, hi=6), source="<test>")
    survey, frame = valid_survey(25, fw, seed=5)
    path = tmp_path / f"team.{writer}"
    if writer == "csv":
        survey.write_csv(path)
    elif writer == "xlsx":
        survey.write_xlsx(path)
    else:
        frame.to_parquet(path)
    read, report = read_responses(path, fw)
    assert report.ok and read.columns[0] == "person"
    assert_same_scores(scores_of(read, fw), scores_of(frame, fw))


def test_excel_sep_hint_line_is_honoured_and_counted(base, tmp_path):
    survey = base[0].copy()
    path = tmp_path / "hinted.csv"
    path.write_text("sep=;\r\n" + survey.csv_text(delimiter=";"), encoding="utf-8")
    _, report = _check(path, base)
    assert report.details["delimiter"] == "semicolon"
    survey.set(0, "bn_1", "8")
    path.write_text("sep=;\r\n" + survey.csv_text(delimiter=";"), encoding="utf-8")
    problem = validate_file(path, FW).problems[0]
    assert (problem.kind, problem.row, problem.column) == ("out_of_range", 3, "bn_1")


def test_demographic_values_take_the_frameworks_spelling(base, tmp_path):
    survey = base[0].copy()
    j = survey.col("sector")
    for r in survey.rows:
        r[j] = f"  {r[j].upper()} "
    frame, _ = _check(survey.write_csv(tmp_path / "shouty.csv"), base)
    assert set(frame["sector"]) <= set(FW.demographics[0].values)


def test_qualtrics_multi_select_choice_text(base, tmp_path):
    survey, plain, _ = base
    s = survey.copy()
    names = {b.id: b.name for b in FW.barriers}
    question = []
    for col in s.header:
        question.append(f"What holds you back? - {names[col]}" if col in names else col)
        if col in names:
            j = s.col(col)
            for r in s.rows:
                r[j] = names[col] if r[j] == "1" else ""
    ids = [f"Q9_{n}" if c in names else c for n, c in enumerate(s.header)]
    imports = [json.dumps({"ImportId": h}) for h in ids]
    path = Survey(ids, s.rows).write_csv(tmp_path / "q.csv", header_rows=[ids, question, imports])
    frame, report = _check(path, base)
    assert report.details["barrier_blanks"] == "not selected" and not report.problems
    ticked = (plain[FW.barrier_ids] == 1).to_numpy()
    assert (frame[FW.barrier_ids].to_numpy() == 1).tolist() == ticked.tolist()
