"""The questionnaire as a Qualtrics survey file (``.qsf``, JSON).

Laid out as Qualtrics exports a survey: ``SurveyEntry`` and a list of ``SurveyElements``
(``BL`` blocks, ``FL`` survey flow, ``SO`` options, ``QC`` question count, one ``SQ`` per
question). One block per section (the organisation, each strand, each outcome group, the
barriers); each block opens with a descriptive-text question holding the section's title.

Each question's ``DataExportTag`` is the column id the kit reads (the item id, the
demographic id...), and a scale item's ``RecodeValues`` are the scale values, so a
Qualtrics export of the responses (CSV with three header rows in numeric values or in
choice text, or SPSS) imports with no mapping. Demographics are recoded 1, 2... in the
framework's order (the kit reads those codes in a Qualtrics export); the barriers are one
multiple-answer question whose columns Qualtrics names ``<tag>_<recode>`` and heads
``<question> - <barrier name>``. The survey flow sets the framework stamp as embedded data
(``framework_id``, ``framework_version``), which Qualtrics writes into every response.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..files import write_json
from ..framework import Framework
from .questionnaire import Question, Questionnaire, Section, build_questionnaire, format_number

__all__ = ["qsf_document", "write_qsf"]

_NEVER = "0000-00-00 00:00:00"  # Qualtrics writes this for dates that never happened
_DROPDOWN_FROM = 8  # demographics with this many values or more are a drop-down list


def _qualtrics_id(prefix: str, seed: str) -> str:
    """A stable Qualtrics-style id (``SV_...``, ``BL_...``) derived from ``seed``."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    number = int(digest, 16)
    chars = []
    for _ in range(15):
        number, rest = divmod(number, len(alphabet))
        chars.append(alphabet[rest])
    return f"{prefix}_{''.join(chars)}"


def qsf_document(questionnaire: Questionnaire) -> dict[str, Any]:
    """The questionnaire as a QSF document (plain JSON data)."""
    q = questionnaire
    survey_id = _qualtrics_id("SV", q.id_label)
    elements: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    flow: list[dict[str, Any]] = [{
        "Type": "EmbeddedData",
        "FlowID": "FL_2",
        "EmbeddedData": [
            {"Description": name, "Type": "Custom", "Field": name, "VariableType": "String",
             "DataVisibility": [], "AnalyzeText": False, "Value": value}
            for name, value in q.stamp
        ] + [
            # no value: Qualtrics fills it from the link's query string (?organisation_id=ORG-0042)
            {"Description": name, "Type": "Recipient", "Field": name, "VariableType": "String",
             "DataVisibility": [], "AnalyzeText": False}
            for name in q.link_fields
        ],
    }]
    n_questions = 0
    for index, section in enumerate(q.sections):
        block_id = _qualtrics_id("BL", f"{q.id_label}:{section.id}")
        members = []
        n_questions += 1
        elements.append(_element(survey_id, f"QID{n_questions}", _descriptive(section, n_questions)))
        members.append({"Type": "Question", "QuestionID": f"QID{n_questions}"})
        for question in section.questions:
            n_questions += 1
            elements.append(_element(survey_id, f"QID{n_questions}", _payload(question, n_questions)))
            members.append({"Type": "Question", "QuestionID": f"QID{n_questions}"})
        blocks.append({"Type": "Default" if index == 0 else "Standard", "SubType": "",
                       "Description": section.title, "ID": block_id, "BlockElements": members})
        flow.append({"Type": "Block" if index == 0 else "Standard", "ID": block_id, "FlowID": f"FL_{len(flow) + 2}"})
    blocks.append({"Type": "Trash", "Description": "Trash / Unused Questions",
                   "ID": _qualtrics_id("BL", f"{q.id_label}:trash"), "BlockElements": []})
    head = [
        _element(survey_id, "Survey Blocks", blocks, element="BL"),
        _element(survey_id, "Survey Flow", {"Flow": flow, "Properties": {"Count": len(flow) + 1},
                                            "FlowID": "FL_1", "Type": "Root"}, element="FL"),
        _element(survey_id, "Survey Options", _options(q), element="SO"),
        _element(survey_id, "Survey Question Count", None, element="QC", secondary=str(n_questions)),
    ]
    description = f"{q.description} " if q.description else ""
    return {
        "SurveyEntry": {
            "SurveyID": survey_id,
            "SurveyName": f"{q.title} ({q.id_label})",
            "SurveyDescription": f"{description}Framework {q.id_label}.",
            "SurveyOwnerID": "",
            "SurveyBrandID": "",
            "DivisionID": None,
            "SurveyLanguage": "EN",
            "SurveyActiveResponseSet": _qualtrics_id("RS", q.id_label),
            "SurveyStatus": "Inactive",
            "SurveyStartDate": _NEVER,
            "SurveyExpirationDate": _NEVER,
            "SurveyCreationDate": _NEVER,
            "CreatorID": "",
            "LastModified": _NEVER,
            "LastAccessed": _NEVER,
            "LastActivated": _NEVER,
            "Deleted": None,
        },
        "SurveyElements": head + elements,
    }


def _element(survey_id: str, primary: str, payload: Any, *, element: str = "SQ", secondary: str | None = None) -> dict:
    if element == "SQ" and secondary is None:
        secondary = _plain(payload.get("QuestionDescription", ""))[:100]
    return {"SurveyID": survey_id, "Element": element, "PrimaryAttribute": primary,
            "SecondaryAttribute": secondary, "TertiaryAttribute": None, "Payload": payload}


def _plain(text: str) -> str:
    return " ".join(text.split())


def _display(text: str) -> str:
    """Text for a Qualtrics question or choice, which hold HTML: only ``<`` and ``>`` are
    escaped, so a choice-text export writes the text as the framework spells it."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _options(q: Questionnaire) -> dict[str, Any]:
    return {
        "BackButton": "true", "SaveAndContinue": "true", "SurveyProtection": "PublicSurvey",
        "BallotBoxStuffingPrevention": "false", "NoIndex": "Yes", "SecureResponseFiles": "true",
        "SurveyExpiration": "None", "SurveyTermination": "DefaultMessage", "Header": "", "Footer": "",
        "ProgressBarDisplay": "Text", "PartialData": "+1 week", "ValidationMessage": "",
        "PreviousButton": " \u2190 ", "NextButton": " \u2192 ", "SurveyTitle": q.title,
        "SurveyMetaDescription": q.description, "NewScoring": 1,
    }


def _validation(question: Question, **settings: Any) -> dict[str, Any]:
    base = {"ForceResponse": "ON" if question.required else "OFF", "ForceResponseType": "ON", "Type": "None"}
    base.update(settings)
    return {"Settings": base}


def _descriptive(section: Section, number: int) -> dict[str, Any]:
    """The section's title (and description) as descriptive text; it records no answer."""
    text = f"<h3>{_display(section.title)}</h3>"
    if section.description:
        text += f"<p>{_display(section.description)}</p>"
    return {
        "QuestionText": text, "DefaultChoices": False, "DataExportTag": f"{section.id}_title", "QuestionType": "DB",
        "Selector": "TB", "Configuration": {"QuestionDescriptionOption": "UseText"},
        "QuestionDescription": _plain(f"{section.title} {section.description}"), "ChoiceOrder": [],
        "Validation": {"Settings": {"Type": "None"}}, "Language": [],
        "DataVisibility": {"Private": False, "Hidden": False}, "QuestionID": f"QID{number}",
    }


def _payload(question: Question, number: int) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "QuestionText": _display(question.text),
        "DefaultChoices": False,
        "DataExportTag": question.name,
        "Configuration": {"QuestionDescriptionOption": "UseText"},
        "QuestionDescription": question.text,
        "Language": [],
        "DataVisibility": {"Private": False, "Hidden": False},
        "NextAnswerId": 1,
        "QuestionID": f"QID{number}",
    }
    if question.hint:
        payload["QuestionText"] += f"<br><small>{_display(question.hint)}</small>"
    if question.kind in ("text", "number"):
        payload.update({"QuestionType": "TE", "Selector": "SL", "NextChoiceId": 1})
        if question.kind == "number":
            payload["Validation"] = _validation(
                question, Type="ContentType", ContentType="ValidNumber",
                ValidNumber={"Min": format_number(question.minimum), "Max": format_number(question.maximum),
                             "NumDecimals": "0" if question.integer else ""},
            )
        else:
            payload["Validation"] = _validation(question)
        return payload
    ids = [str(k) for k in range(1, len(question.choices) + 1)]
    payload["Choices"] = {i: {"Display": _display(c.label)} for i, c in zip(ids, question.choices)}
    payload["ChoiceOrder"] = ids
    payload["NextChoiceId"] = len(ids) + 1
    payload["Validation"] = _validation(question)
    payload["QuestionType"] = "MC"
    if question.kind == "scale":
        # the recode of each point is the scale value: numeric exports need no mapping
        payload.update({"Selector": "SAVR", "SubSelector": "TX",
                        "RecodeValues": {i: c.code for i, c in zip(ids, question.choices)}})
    elif question.kind == "single":
        selector = "DL" if len(ids) >= _DROPDOWN_FROM else "SAVR"
        payload.update({"Selector": selector, "SubSelector": "TX" if selector == "SAVR" else "",
                        "RecodeValues": {i: i for i in ids}})
    else:  # multiple: export columns are <tag>_<recode>, one per barrier
        payload.update({"Selector": "MAVR", "SubSelector": "TX", "RecodeValues": {i: i for i in ids}})
    return payload


def write_qsf(framework: Framework, path: str | Path) -> Path:
    """Write the framework's questionnaire as a Qualtrics ``.qsf`` file (atomically)."""
    return write_json(path, qsf_document(build_questionnaire(framework)))
