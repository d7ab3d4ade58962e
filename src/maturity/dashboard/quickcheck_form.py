"""The quick check's form: pages, answers and the rules for a complete answer, without widgets.

The form is built from any framework through the kit's questionnaire
(:func:`maturity.fielding.questionnaire.build_questionnaire`), so it asks exactly what a
fielded survey asks and names every answer after the column the kit reads back:

* **About your organisation**: its name and demographics (the organisation id is not
  asked: each submission gets its own, :mod:`maturity.dashboard.submissions`);
* **one page per strand**, its statements answered on the scale's labels;
* **Outcomes** (optional): every outcome group's items on one page;
* **Barriers** (optional): tick those that apply, or "none of these".

What a complete answer is. A quick check exists to give a result, so its rules follow the
scoring: the name and each demographic are required (the report is titled with the name,
and the demographics say which peer groups the organisation belongs to); on a strand page
at least as many statements must be answered as the framework needs to score the strand
(``index.min_answered`` of them, so every statement when it is 1); outcomes and barriers
are optional. A number typed for a wide scale must lie on it.

The answers become a one-row response table in the framework's layout
(:meth:`QuickCheckForm.response_frame`) that goes through the kit's own validation and
scoring (:meth:`QuickCheckForm.score`), exactly as a survey file does.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ..published.profile import ClientProfile, client_from_survey
from ..data.responses import validate_frame
from ..errors import DataError, ValidationFailed
from ..fielding.questionnaire import Question, build_questionnaire, format_number
from ..framework import Framework

__all__ = ["FormPage", "QuickCheckForm", "NONE_OF_THESE"]

#: Answer of the barriers question meaning "none of these apply" (every barrier answered no).
NONE_OF_THESE = "__none__"


@dataclass(frozen=True)
class FormPage:
    """One page of the form.

    Attributes
    ----------
    key : str
        Unique page key (the questionnaire section id, or ``outcomes``).
    kind : str
        ``organisation``, ``strand``, ``outcomes`` or ``barriers``.
    title : str
    description : str
    groups : tuple of (str, tuple of Question)
        The page's questions under optional sub-headings (outcome groups); one untitled
        group elsewhere.
    needed : int
        Answers a strand page needs before the strand can be scored (0 elsewhere).
    """

    key: str
    kind: str
    title: str
    description: str
    groups: tuple[tuple[str, tuple[Question, ...]], ...]
    needed: int = 0

    @property
    def questions(self) -> list[Question]:
        """Every question of the page, in order."""
        return [q for _, questions in self.groups for q in questions]

    @property
    def optional(self) -> bool:
        """Whether the page may be left blank."""
        return self.kind in ("outcomes", "barriers")


class QuickCheckForm:
    """The pages and the respondent's answers.

    Parameters
    ----------
    framework : Framework

    Attributes
    ----------
    pages : list of FormPage
    answers : dict
        Question name -> answer: the choice code or typed text (None when unanswered); for
        the barriers question a tuple of barrier ids, or ``(NONE_OF_THESE,)``.
    """

    def __init__(self, framework: Framework) -> None:
        self.framework = framework
        self.questionnaire = build_questionnaire(framework)
        self.pages = self._build_pages()
        self.answers: dict[str, Any] = {}
        self._questions = {q.name: q for page in self.pages for q in page.questions}

    def blank(self) -> "QuickCheckForm":
        """A form with the same pages and no answers (cheap: the pages are shared, not rebuilt)."""
        form = copy.copy(self)
        form.answers = {}
        return form

    def _build_pages(self) -> list[FormPage]:
        fw = self.framework
        pages: list[FormPage] = []
        outcome_groups = []
        barriers_page: FormPage | None = None
        for section in self.questionnaire.sections:
            if section.kind == "organisation":
                # The id is the submission's own; name and demographics are required here.
                questions = tuple(
                    _required(q) for q in section.questions if q.name != fw.id_column
                )
                pages.append(FormPage(section.id, "organisation", section.title,
                                      "Your answers describe your organisation; they are never shown to anyone else.",
                                      (("", questions),)))
            elif section.kind == "strand":
                n = len(section.questions)
                needed = n if fw.index.min_answered >= 1 else max(1, math.ceil(fw.index.min_answered * n - 1e-9))
                pages.append(FormPage(section.id, "strand", section.title, section.description,
                                      (("", section.questions),), needed))
            elif section.kind == "outcome":
                outcome_groups.append((section.title, section.questions))
            elif section.kind == "barriers":
                barriers_page = FormPage(section.id, "barriers", "Barriers (optional)",
                                         "Leave this page blank if you prefer not to say.", (("", section.questions),))
        if outcome_groups:
            pages.append(FormPage("outcomes", "outcomes", "Outcomes (optional)",
                                  "How much has learning improved these results over the last year? "
                                  "Skip any you cannot judge.", tuple(outcome_groups)))
        if barriers_page is not None:
            pages.append(barriers_page)
        return pages

    # --- answers ----------------------------------------------------------------------------

    def question(self, name: str) -> Question:
        """The question named ``name`` (KeyError when the form has none)."""
        return self._questions[name]

    def set_answer(self, name: str, value: Any) -> None:
        """Record an answer (None, blank text or an empty selection clears it)."""
        question = self.question(name)
        if question.kind == "multiple":
            chosen = tuple(value or ())
            value = (NONE_OF_THESE,) if NONE_OF_THESE in chosen else chosen
            value = value or None
        elif isinstance(value, str):
            value = value.strip() or None
        self.answers[name] = value

    def answer(self, name: str) -> Any:
        return self.answers.get(name)

    def is_answered(self, name: str) -> bool:
        return self.answers.get(name) not in (None, "", ())

    # --- completeness --------------------------------------------------------------------------

    def number_problem(self, question: Question) -> str | None:
        """Why a typed number is not an answer on its scale (None when it is, or is blank)."""
        text = self.answers.get(question.name)
        if question.kind != "number" or text in (None, ""):
            return None
        try:
            value = float(str(text).replace(",", "."))
        except ValueError:
            value = math.nan
        low, high = format_number(question.minimum), format_number(question.maximum)
        whole = "a whole number" if question.integer else "a number"
        if not math.isfinite(value) or not question.minimum <= value <= question.maximum or (
            question.integer and not float(value).is_integer()
        ):
            return f"give {whole} from {low} to {high} (not '{text}')"
        return None

    def problems(self, index: int) -> tuple[list[str], list[str]]:
        """What stops page ``index`` from being complete.

        Returns
        -------
        messages : list of str
            Sentences for the respondent (empty when the page is complete).
        questions : list of str
            Names of the questions to point at.
        """
        page = self.pages[index]
        messages: list[str] = []
        flagged: list[str] = []
        numbered = {q.name: k + 1 for k, q in enumerate(page.questions)}
        for q in page.questions:
            problem = self.number_problem(q)
            if problem:
                messages.append(f"Statement {numbered[q.name]}: {problem}.")
                flagged.append(q.name)
        if page.kind == "organisation":
            for q in page.questions:
                if q.required and not self.is_answered(q.name):
                    if q.kind == "text":
                        messages.append("Please give your organisation's name.")
                    else:
                        messages.append(f"Please choose your {q.text[:1].lower() + q.text[1:]}.")
                    flagged.append(q.name)
        elif page.kind == "strand":
            blank = [q for q in page.questions if not self.is_answered(q.name) or q.name in flagged]
            answered = len(page.questions) - len(blank)
            if answered < page.needed:
                listed = _listing([numbered[q.name] for q in blank])
                if page.needed == len(page.questions):
                    messages.insert(0, f"Please answer every statement on this page: {listed} "
                                       f"{'is' if len(blank) == 1 else 'are'} not answered yet.")
                else:
                    messages.insert(0, f"Please answer at least {page.needed} of the {len(page.questions)} statements "
                                       f"on this page, so that this strand can be scored (you have answered {answered}). "
                                       f"Not answered yet: {listed}.")
                flagged += [q.name for q in blank if q.name not in flagged]
        return messages, flagged

    def first_incomplete(self) -> int | None:
        """Index of the first page that is not complete, or None when the form is."""
        for index in range(len(self.pages)):
            if self.problems(index)[0]:
                return index
        return None

    def progress(self, index: int) -> str:
        """Where the respondent is, e.g. ``"Strand 3 of 6"`` or ``"Outcomes (optional)"``."""
        page = self.pages[index]
        if page.kind == "strand":
            strands = [p for p in self.pages if p.kind == "strand"]
            return f"Strand {strands.index(page) + 1} of {len(strands)}"
        return page.title

    # --- the response ---------------------------------------------------------------------------

    def response_frame(self, respondent_id: str) -> pd.DataFrame:
        """The answers as a one-row response table in the framework's layout (text cells,
        blank = unanswered), stamped with the framework id and version.

        Columns: the id column, the name, each demographic, each item and outcome item (the
        scale value), each barrier (1, 0 or blank), then the questionnaire's stamp fields.
        """
        fw = self.framework
        row: dict[str, str] = {fw.id_column: str(respondent_id)}
        row[fw.name_column] = self.answers.get(fw.name_column) or ""
        for demo in fw.demographics:
            row[demo.id] = self.answers.get(demo.id) or ""
        for item in fw.items + fw.outcome_items:
            row[item.id] = self._number_text(item.id)
        chosen: tuple[str, ...] = ()
        for page in self.pages:
            if page.kind == "barriers":
                chosen = tuple(self.answers.get(page.questions[0].name) or ())
        for barrier in fw.barriers:
            # Ticked: 1. When anything was ticked (or "none of these"), the others are an
            # explicit no; when nothing was, the question was skipped: blank (missing).
            row[barrier.id] = "1" if barrier.id in chosen else ("0" if chosen else "")
        for name, value in self.questionnaire.stamp:
            row[name] = value
        return pd.DataFrame([row], dtype=object)

    def _number_text(self, name: str) -> str:
        value = self.answers.get(name)
        if value in (None, ""):
            return ""
        if self.question(name).kind == "number":
            return str(value).replace(",", ".")
        return str(value)

    def score(self, respondent_id: str) -> tuple[pd.DataFrame, ClientProfile]:
        """Validate and score the answers as the kit reads a survey file.

        Returns
        -------
        (DataFrame, ClientProfile)
            The validated one-row response table and the scored organisation (placed
            against a wave later, never added to it).

        Raises
        ------
        DataError
            The form is incomplete, or the kit's validation rejects the answers (the
            message says which answer).
        """
        incomplete = self.first_incomplete()
        if incomplete is not None:
            raise DataError(self.problems(incomplete)[0][0])
        try:
            clean, _report = validate_frame(self.response_frame(respondent_id), self.framework, source="your answers")
        except ValidationFailed as exc:
            first = [p.message for p in exc.report.ordered() if p.rejects][:1] if exc.report else []
            raise DataError("Your answers could not be read: " + (first[0] if first else str(exc))) from None
        return clean, client_from_survey(clean, self.framework)


def _required(question: Question) -> Question:
    return replace(question, required=True)


def _listing(numbers: list[int]) -> str:
    """``"statement 3"``, ``"statements 2 and 5"``, ``"statements 1, 4 and 6"``."""
    texts = [str(n) for n in numbers]
    if len(texts) == 1:
        return f"statement {texts[0]}"
    return f"statements {', '.join(texts[:-1])} and {texts[-1]}"
