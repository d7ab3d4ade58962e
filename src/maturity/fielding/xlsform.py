"""The questionnaire as an XLSForm (``.xlsx``) for KoboToolbox, ODK Central and Ona.

Three sheets, as the XLSForm specification (xlsform.org) lays them out:

- ``survey``: ``start`` and ``end`` timestamps, the framework stamp as two ``calculate``
  fields (``framework_id``, ``framework_version``), then one ``field-list`` group per
  section (one screen per strand). Question names are the kit's column ids, so exports
  need no mapping; scale items are ``select_one`` (or ``integer``/``decimal`` with a range
  constraint for large or fractional scales), demographics ``select_one``, barriers one
  ``select_multiple``.
- ``choices``: one list per scale (codes are the scale values), per demographic (codes are
  the values) and for the barriers (codes are the barrier ids).
- ``settings``: ``form_id`` (the framework id), ``form_title``, ``version`` (the framework
  version) and ``style: pages``.

pyxform converts the workbook without errors or warnings (tested).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import FrameworkError
from ..files import atomic_path
from ..framework import Framework
from .questionnaire import Question, Questionnaire, build_questionnaire, format_number

__all__ = ["SURVEY_COLUMNS", "write_xlsform", "xlsform_sheets"]

SURVEY_COLUMNS = ("type", "name", "label", "hint", "required", "appearance", "constraint", "constraint_message",
                  "calculation")
CHOICES_COLUMNS = ("list_name", "name", "label")


def xlsform_sheets(questionnaire: Questionnaire) -> dict[str, list[dict[str, Any]]]:
    """The three sheets as lists of rows (column -> cell).

    Returns
    -------
    dict
        ``{"survey": [...], "choices": [...], "settings": [...]}``.
    """
    q = questionnaire
    survey: list[dict[str, Any]] = [
        {"type": "start", "name": "start"},
        {"type": "end", "name": "end"},
    ]
    survey += [{"type": "calculate", "name": name, "calculation": _xpath_string(value)} for name, value in q.stamp]
    # filled from the link: Enketo (KoboToolbox, ODK Central) sets it from ?d[/data/<name>]=<value>
    survey += [{"type": "hidden", "name": name} for name in q.link_fields]
    for section in q.sections:
        survey.append({"type": "begin_group", "name": section.id, "label": section.title, "appearance": "field-list"})
        if section.description:
            survey.append({"type": "note", "name": f"{section.id}_note", "label": section.description})
        survey += [_question_row(question) for question in section.questions]
        survey.append({"type": "end_group", "name": section.id})
    choices = [
        {"list_name": name, "name": choice.code, "label": choice.label}
        for name, options in q.choice_lists().items()
        for choice in options
    ]
    settings = [{"form_id": q.framework_id, "form_title": q.title, "version": q.framework_version, "style": "pages"}]
    return {"survey": survey, "choices": choices, "settings": settings}


def _question_row(question: Question) -> dict[str, Any]:
    row: dict[str, Any] = {"name": question.name, "label": question.text}
    if question.hint:
        row["hint"] = question.hint
    if question.required:
        row["required"] = "yes"
    if question.kind == "text":
        row["type"] = "text"
    elif question.kind in ("scale", "single"):
        row["type"] = f"select_one {question.list_name}"
    elif question.kind == "multiple":
        row["type"] = f"select_multiple {question.list_name}"
    else:  # a number in the scale's range
        row["type"] = "integer" if question.integer else "decimal"
        lo, hi = format_number(question.minimum), format_number(question.maximum)
        row["constraint"] = f". >= {lo} and . <= {hi}"
        row["constraint_message"] = f"Answer with a number from {lo} to {hi}."
    return row


def _xpath_string(text: str) -> str:
    """``text`` as an XPath string literal for a ``calculate`` field."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise FrameworkError(f"the framework id or version {text!r} holds both kinds of quote; an XLSForm cannot carry it")


def write_xlsform(framework: Framework, path: str | Path) -> Path:
    """Write the framework's questionnaire as an XLSForm workbook (atomically).

    Returns
    -------
    Path
    """
    import openpyxl

    sheets = xlsform_sheets(build_questionnaire(framework))
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, columns in (("survey", SURVEY_COLUMNS), ("choices", CHOICES_COLUMNS),
                           ("settings", ("form_id", "form_title", "version", "style"))):
        sheet = book.create_sheet(title)
        sheet.append(list(columns))
        for row in sheets[title]:
            sheet.append([row.get(c, "") for c in columns])
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that merely starts with "=" is not a formula
    with atomic_path(path) as tmp:
        book.save(tmp)
    return Path(path)
