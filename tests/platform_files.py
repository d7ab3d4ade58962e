"""Survey-platform response exports built in code from a questionnaire the kit wrote.

Each builder reads the questionnaire file (the XLSForm, the QSF, the LimeSurvey structure)
and lays known answers out as that platform documents its export: KoboToolbox
(formpack: ``;``-separated, every cell quoted, group paths joined by ``/``,
select-multiple as a summary column and/or 0/1 columns), ODK Central (``submissions.csv``:
``SubmissionDate`` first, group paths joined by ``-``, ``KEY`` and the submission metadata
last, split select-multiple columns ``question/choice``), LimeSurvey (responses with
question codes, ``Y`` for a ticked subquestion) and Qualtrics (three header rows).
Nothing here knows the framework's ids except through the questionnaire file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd

import maturity
from maturity.framework import Framework


# --- known answers ---------------------------------------------------------------------------------


def known_answers(framework: Framework, n: int = 24, seed: int = 12) -> pd.DataFrame:
    """Answers a platform can hold: a barrier question is either answered (each barrier
    ticked or not) or skipped (every barrier missing); a few names and demographics blank."""
    frame = maturity.generate_benchmark(n, framework=framework, seed=seed).responses.copy()
    rng = np.random.default_rng(seed)
    if framework.barrier_ids:
        barriers = frame[framework.barrier_ids].astype(float)
        skipped = rng.random(n) < 0.2
        skipped[:2] = [False, True]
        barriers = barriers.fillna(0.0)
        barriers[skipped] = np.nan
        frame[framework.barrier_ids] = barriers
    frame[framework.name_column] = frame[framework.name_column].astype(object)
    frame.loc[3, framework.name_column] = None
    for demo in framework.demographics:
        frame[demo.id] = frame[demo.id].astype(object)
        frame.loc[5, demo.id] = None
    return frame


def expected_barriers(known: pd.DataFrame, framework: Framework, *, ticks_only: bool) -> pd.DataFrame:
    """What the kit stores: with only ticks exported (LimeSurvey ``Y``/blank, Qualtrics),
    an answer that ticked nothing cannot be told from a skipped question."""
    out = known[framework.barrier_ids].astype(float).copy()
    if ticks_only:
        out[~(out == 1).any(axis=1)] = np.nan
    return out


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


# --- XLSForm platforms: KoboToolbox and ODK Central ---------------------------------------------------------


def xlsform_fields(path: Path) -> tuple[list[dict], dict[str, list[str]], dict[str, str]]:
    """The XLSForm's fields in order (type, name, group path), its choice lists and settings."""
    book = openpyxl.load_workbook(path)
    survey = list(book["survey"].iter_rows(values_only=True))
    head = list(survey[0])
    fields, groups = [], []
    for values in survey[1:]:
        row = {h: ("" if v is None else str(v)) for h, v in zip(head, values)}
        kind = row["type"]
        if kind == "begin_group":
            groups.append(row["name"])
        elif kind == "end_group":
            groups.pop()
        elif kind != "note":
            fields.append({**row, "path": list(groups)})
    choices: dict[str, list[str]] = {}
    for list_name, name, _ in list(book["choices"].iter_rows(values_only=True))[1:]:
        choices.setdefault(list_name, []).append(str(name))
    settings = dict(zip(*list(book["settings"].iter_rows(values_only=True))[:2]))
    return fields, choices, settings


def _field_cells(field: dict, row: pd.Series, choices: dict[str, list[str]], sep: str,
                 multiple: str) -> list[tuple[str, str]]:
    """(header, cell) pairs of one field for one respondent."""
    kind, name = field["type"], field["name"]
    header = sep.join(field["path"] + [name])
    if kind == "calculate":
        return [(header, field["calculation"].strip("'\""))]
    if kind in ("start", "end"):
        return [(header, "2026-03-02T10:15:00.000+01:00" if kind == "start" else "2026-03-02T10:41:00.000+01:00")]
    if kind.startswith("select_multiple"):
        options = choices[kind.split()[1]]
        answered = not row[options].isna().all()
        ticked = [o for o in options if row[o] == 1]
        cells = []
        if multiple in ("summary", "both"):
            cells.append((header, " ".join(ticked)))
        if multiple in ("details", "both"):
            cells += [(f"{header}/{o}", ("1" if o in ticked else "0") if answered else "") for o in options]
        return cells
    return [(header, _cell(row[name]))]


KOBO_METADATA_AFTER = ["meta/instanceID", "_id", "_uuid", "_submission_time", "_validation_status", "_notes",
                       "_status", "_submitted_by", "__version__", "_tags", "_index"]


def kobo_table(xlsform: Path, known: pd.DataFrame, *, multiple: str = "both") -> list[list[str]]:
    """A KoboToolbox export ("XML values and headers", group names included, "/")."""
    fields, choices, _ = xlsform_fields(xlsform)
    rows = []
    for i, (_, answer) in enumerate(known.iterrows()):
        cells = []
        for field in fields:
            cells += _field_cells(field, answer, choices, "/", multiple)
        uuid = f"6a0c{i:04d}-6b5d-4d4e-9a43-1f2e3d4c5b6a"
        cells += list(zip(KOBO_METADATA_AFTER, [f"uuid:{uuid}", str(1000 + i), uuid, "2026-03-02T09:41:00", "", "[]",
                                                "submitted_via_web", "", "vKp3Xz8RqS7T", "[]", str(i + 1)]))
        rows.append(cells)
    return [[h for h, _ in rows[0]]] + [[c for _, c in r] for r in rows]


def write_kobo_csv(path: Path, table: list[list[str]]) -> Path:
    # formpack: every cell quoted, ";" between cells
    text = "\n".join(";".join('"' + c.replace('"', '""') + '"' for c in row) for row in table) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def write_xlsx(path: Path, table: list[list[str]], sheet: str = "Learning maturity, six strands") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet[:31]
    for row in table:
        ws.append(row)  # formpack writes every cell as text
    book.save(path)
    return path


ODK_METADATA_AFTER = ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
                      "ReviewState", "DeviceID", "Edits", "FormVersion"]


def odk_central_table(xlsform: Path, known: pd.DataFrame, *, split: bool = False) -> list[list[str]]:
    """An ODK Central ``submissions.csv`` (group paths "-"; split select-multiples optional)."""
    fields, choices, settings = xlsform_fields(xlsform)
    rows = []
    for i, (_, answer) in enumerate(known.iterrows()):
        instance = f"uuid:0f1e2d3c-{i:04d}-4b5a-8c7d-6e5f4a3b2c1d"
        cells = [("SubmissionDate", "2026-03-02T09:41:00.000Z")]
        for field in fields:
            cells += _field_cells(field, answer, choices, "-", "both" if split else "summary")
        cells.append(("meta-instanceID", instance))
        cells += list(zip(ODK_METADATA_AFTER, [instance, "5", "Field team", "0", "0", "", "", "collect:A1B2C3", "0",
                                               str(settings["version"])]))
        rows.append(cells)
    return [[h for h, _ in rows[0]]] + [[c for _, c in r] for r in rows]


def write_csv(path: Path, table: list[list[str]], *, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL) -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\r\n").writerows(table)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


# --- LimeSurvey ----------------------------------------------------------------------------------------------


def limesurvey_structure(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def limesurvey_table(structure: Path, known: pd.DataFrame, framework: Framework) -> list[list[str]]:
    """A LimeSurvey response export with question codes as headings and answer codes as values.

    The structure's questions are tied to the known answers through their texts (the
    framework is used only to look the answers up, never for the codes under test).
    """
    rows = limesurvey_structure(structure)
    by_text = {i.text: i.id for i in framework.items + framework.outcome_items}
    by_text.update({d.name: d.id for d in framework.demographics})
    by_text.update({"Organisation id": framework.id_column, "Organisation name": framework.name_column})
    barrier_by_name = {b.name: b.id for b in framework.barriers}
    answers: dict[str, list[dict[str, str]]] = {}  # question code -> its answer rows
    current = None
    for r in rows:
        if r["class"] == "Q":
            current = r["name"]
        elif r["class"] == "A":
            answers.setdefault(current, []).append(r)

    def coded(code: str, value: str) -> str:
        for a in answers[code]:
            if value and value in (a["name"], a["text"]):  # a scale value is its code; a demographic its text
                return a["name"]
        return value

    columns: list[tuple[str, Any]] = []  # (heading, answer row -> cell)
    question = None
    for r in rows:
        if r["class"] == "Q":
            question = r
            code, kind = r["name"], r["type/scale"]
            if kind == "*":
                columns.append((code, lambda a, v=r["text"]: v))
            elif kind == "S":
                columns.append((code, lambda a, t=by_text[r["text"]]: _cell(a[t])))
            elif kind == "L":
                columns.append((code, lambda a, t=by_text[r["text"]], c=code: coded(c, _cell(a[t]))))
            elif kind == "N":
                columns.append((code, lambda a, t=by_text[r["text"]]: "" if pd.isna(a[t]) else f"{float(a[t]):.10f}"))
        elif r["class"] == "SQ":
            barrier = barrier_by_name[r["text"]]
            columns.append((f"{question['name']}[{r['name']}]", lambda a, b=barrier: "Y" if a[b] == 1 else ""))
    metadata = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp"]
    table = [metadata + [h for h, _ in columns]]
    for i, (_, answer) in enumerate(known.iterrows()):
        cells = [str(i + 1), "2026-03-02 10:40:11", "12", "en", str(123456 + i), "2026-03-02 10:15:00",
                 "2026-03-02 10:40:11"]
        table.append(cells + [get(answer) for _, get in columns])
    return table


# --- Qualtrics -------------------------------------------------------------------------------------------------


_QUALTRICS_METADATA = [("StartDate", "Start Date", "startDate"), ("EndDate", "End Date", "endDate"),
                       ("Status", "Response Type", "status"), ("IPAddress", "IP Address", "ipAddress"),
                       ("Progress", "Progress", "progress"),
                       ("Duration (in seconds)", "Duration (in seconds)", "duration"),
                       ("Finished", "Finished", "finished"), ("RecordedDate", "Recorded Date", "recordedDate"),
                       ("ResponseId", "Response ID", "_recordId"), ("DistributionChannel", "Distribution Channel",
                                                                     "distributionChannel"),
                       ("UserLanguage", "User Language", "userLanguage")]


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", text).replace("&lt;", "<").replace("&gt;", ">").split("  ")[0].strip()


def qualtrics_table(qsf_path: Path, known: pd.DataFrame, framework: Framework, *,
                    choice_text: bool = False) -> list[list[str]]:
    """A Qualtrics CSV export (three header rows) of the QSF's questions in block order,
    in numeric values (recodes) or in choice text; the embedded data (the framework
    stamp) follows the questions, as Qualtrics writes it."""
    doc = json.loads(qsf_path.read_text(encoding="utf-8"))
    elements = doc["SurveyElements"]
    questions = {e["PrimaryAttribute"]: e["Payload"] for e in elements if e["Element"] == "SQ"}
    blocks = next(e["Payload"] for e in elements if e["Element"] == "BL")
    flow = next(e["Payload"] for e in elements if e["Element"] == "FL")["Flow"]
    barrier_by_name = {b.name: b.id for b in framework.barriers}
    columns: list[tuple[str, str, str, Any]] = []  # (name, question row, import id, answer row -> cell)
    for block in blocks:
        for member in block.get("BlockElements", []):
            p = questions[member["QuestionID"]]
            tag, text, qid = p["DataExportTag"], _plain(p["QuestionText"]), p["QuestionID"]
            if p["QuestionType"] == "DB":
                continue
            if p["QuestionType"] == "TE":
                columns.append((tag, text, qid, lambda a, t=tag: _cell(a[t])))
            elif p["Selector"] == "MAVR":  # one column per choice, named <tag>_<recode>
                for cid in p["ChoiceOrder"]:
                    display = p["Choices"][cid]["Display"]
                    mark = display if choice_text else "1"
                    columns.append((f"{tag}_{p['RecodeValues'][cid]}", f"{text} - {display}", f"{qid}_{cid}",
                                    lambda a, b=barrier_by_name[display], m=mark: m if a[b] == 1 else ""))
            else:
                columns.append((tag, text, qid, lambda a, t=tag, p=p: _choice_cell(p, a[t], choice_text)))
    embedded = [d for f in flow if f["Type"] == "EmbeddedData" for d in f["EmbeddedData"]]
    names = [m[0] for m in _QUALTRICS_METADATA] + [c[0] for c in columns] + [d["Field"] for d in embedded]
    texts = [m[1] for m in _QUALTRICS_METADATA] + [c[1] for c in columns] + [d["Field"] for d in embedded]
    imports = [json.dumps({"ImportId": i}) for i in
               [m[2] for m in _QUALTRICS_METADATA] + [c[2] for c in columns] + [d["Field"] for d in embedded]]
    table = [names, texts, imports]
    for i, (_, answer) in enumerate(known.iterrows()):
        cells = ["2026-03-02 10:15:00", "2026-03-02 10:41:00", "0", "192.0.2.7", "100", "1560", "True",
                 "2026-03-02 10:41:01", f"R_{i:015d}", "anonymous", "EN"]
        table.append(cells + [get(answer) for _, _, _, get in columns] + [d["Value"] for d in embedded])
    return table


def _choice_cell(payload: dict, value: Any, choice_text: bool) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = _cell(value)
    for cid in payload["ChoiceOrder"]:
        recode, display = payload["RecodeValues"][cid], payload["Choices"][cid]["Display"]
        if recode == text or display == text:  # a scale value is its recode; a demographic value its text
            return display if choice_text else recode
    raise AssertionError(f"{payload['DataExportTag']}: no choice for {value!r}")
