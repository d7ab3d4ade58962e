"""The questionnaire in LimeSurvey's tab-separated survey structure (``.txt``).

One row per survey setting (class ``S``), language setting (``SL``), group (``G``),
question (``Q``), subquestion (``SQ``) and answer option (``A``); questions belong to the
group above them, subquestions and answers to the question above them, as LimeSurvey's
"Tab Separated Value survey structure" import reads them.

Question codes are the kit's column ids written as LimeSurvey allows them (letters and
digits, starting with a letter, at most 20:
:func:`~maturity.data.platform_exports.limesurvey_codes`, ``bn_1`` -> ``bn1``); the kit
reads a response export with those codes back without mapping. Scale items are list
questions (``L``) whose answer codes are the scale values, or numerical input (``N``)
with the scale's bounds when the scale is large, fractional or has negative points (an
answer code holds letters and digits only). Demographics are list questions with answer
codes ``A1``, ``A2``... in the framework's order, the barriers one multiple-choice question
(``M``) with a subquestion per barrier. The framework stamp is two hidden equation
questions (``frameworkid``, ``frameworkversion``), saved with every response.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable

from ..data.platform_exports import limesurvey_codes, limesurvey_demographic_code
from ..files import write_text
from ..framework import Framework
from .questionnaire import Question, build_questionnaire, format_number

__all__ = ["COLUMNS", "limesurvey_rows", "write_limesurvey"]

COLUMNS = ("id", "related_id", "class", "type/scale", "name", "relevance", "text", "help", "language", "validation",
           "mandatory", "other", "default", "same_default", "hidden", "min_num_value_n", "max_num_value_n",
           "num_value_int_only")
LANGUAGE = "en"
_MAX_ANSWER_CODE = 5  # LimeSurvey answer codes: letters and digits, at most 5


def limesurvey_rows(framework: Framework) -> list[dict[str, str]]:
    """The survey structure as rows (column -> text), in file order."""
    q = build_questionnaire(framework)
    multiple = [question.name for question in q.questions if question.kind == "multiple"]
    codes = limesurvey_codes(framework, extra=multiple + list(q.link_fields))
    rows: list[dict[str, str]] = [
        {"class": "S", "name": "language", "text": LANGUAGE},
        {"class": "S", "name": "additional_languages", "text": ""},
        {"class": "S", "name": "format", "text": "G"},  # one page per group
        {"class": "S", "name": "datestamp", "text": "Y"},
        {"class": "SL", "name": "surveyls_title", "text": f"{q.title} ({q.id_label})", "language": LANGUAGE},
        {"class": "SL", "name": "surveyls_description", "text": q.description, "language": LANGUAGE},
    ]
    ids = {"G": 0, "Q": 0}

    def next_id(kind: str) -> str:
        ids[kind] += 1
        return str(ids[kind])

    for index, section in enumerate(q.sections):
        rows.append({"id": next_id("G"), "class": "G", "name": section.title, "text": section.description,
                     "language": LANGUAGE})
        if index == 0:  # the stamp: hidden equations saved with each response
            for name, value in q.stamp:
                rows.append({"id": next_id("Q"), "class": "Q", "type/scale": "*", "name": codes[name],
                             "relevance": "1", "text": value, "language": LANGUAGE, "mandatory": "N",
                             "other": "N", "same_default": "0", "hidden": "1"})
            for name in q.link_fields:  # a hidden short text LimeSurvey prefills from ?<code>=<value> in the link
                rows.append({"id": next_id("Q"), "class": "Q", "type/scale": "S", "name": codes[name],
                             "relevance": "1", "text": name, "language": LANGUAGE, "mandatory": "N",
                             "other": "N", "same_default": "0", "hidden": "1"})
        for question in section.questions:
            rows += _question_rows(question, codes, next_id)
    return rows


def _question_rows(question: Question, codes: dict[str, str], next_id: Callable[[str], str]) -> list[dict[str, str]]:
    qid = next_id("Q")
    row = {"id": qid, "class": "Q", "name": codes[question.name], "relevance": "1", "text": question.text,
           "help": question.hint, "language": LANGUAGE, "mandatory": "Y" if question.required else "N", "other": "N",
           "same_default": "0"}
    kind = question.kind
    if kind == "scale" and not all(_answer_code(c.code) for c in question.choices):
        kind = "number"  # e.g. negative points: answer codes cannot hold them
    if kind == "text":
        return [{**row, "type/scale": "S"}]
    if kind == "number":
        lo, hi = _bounds(question)
        return [{**row, "type/scale": "N", "min_num_value_n": lo, "max_num_value_n": hi,
                 "num_value_int_only": "1" if question.integer else ""}]
    if kind == "multiple":
        out = [{**row, "type/scale": "M"}]
        for choice in question.choices:
            out.append({"id": next_id("Q"), "class": "SQ", "type/scale": "0", "name": codes[choice.code],
                        "relevance": "1", "text": choice.label, "language": LANGUAGE, "mandatory": "N"})
        return out
    out = [{**row, "type/scale": "L"}]
    for k, choice in enumerate(question.choices, 1):
        code = choice.code if kind == "scale" else limesurvey_demographic_code(k)
        out.append({"id": qid, "class": "A", "type/scale": "0", "name": code, "text": choice.label,
                    "language": LANGUAGE})
    return out


def _bounds(question: Question) -> tuple[str, str]:
    if question.minimum is not None:
        return format_number(question.minimum), format_number(question.maximum)
    codes = [float(c.code) for c in question.choices]
    return format_number(min(codes)), format_number(max(codes))


def _answer_code(code: str) -> bool:
    return code.isascii() and code.isalnum() and len(code) <= _MAX_ANSWER_CODE


def write_limesurvey(framework: Framework, path: str | Path) -> Path:
    """Write the framework's questionnaire as a LimeSurvey ``.txt`` survey structure (atomically)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in limesurvey_rows(framework):
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return write_text(path, "\ufeff" + out.getvalue())  # UTF-8 with a BOM, as LimeSurvey writes it
