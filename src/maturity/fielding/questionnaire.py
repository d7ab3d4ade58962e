"""A format-neutral questionnaire built from a framework, which every writer walks.

The questionnaire has one section for the organisation (its id, name and demographics),
one per strand, one per outcome group and one for the barriers. Each question is named
after the column the kit reads back (item ids, demographic ids, the id and name columns),
so a platform's export of the answers needs no mapping.

Question kinds:

- ``text``: the organisation id and name.
- ``scale``: one answer among the points of an integer scale with at most
  :data:`MAX_CHOICE_POINTS` points; each choice's code is the scale value and its label the
  scale's label for that value (a number when the scale has no label for it).
- ``number``: a number typed in, for a scale with more points or fractional answers.
- ``single``: one of a demographic's values.
- ``multiple``: any of the barriers (choice codes are the barrier ids).

Which answers are **required**: the framework has no per-question flag, so the rule
follows its scoring. The organisation id is always required (an answer without one cannot
be stored). Strand items are required when ``index.min_answered`` is 1, that is when a
strand with a skipped item cannot be scored; otherwise the kit scores a strand from the
items answered, so they are optional (a respondent may skip a statement they cannot
judge). The name, demographics, outcomes and barriers are optional columns of a response
file and optional questions.

A **learner** framework (``level: learner``) asks staff, not the organisation: its first
section is "About you" with no id or name question (learners stay anonymous), and the
organisation id is a hidden *link field* filled from the survey link each organisation
sends its staff (``...?organisation_id=ORG-0042``), so every answer carries the
organisation it belongs to without the learner typing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..config import DEFAULT_ORGANISATION_COLUMN
from ..data.platform_exports import FRAMEWORK_ID_FIELD, FRAMEWORK_VERSION_FIELD, STAMP_FIELDS
from ..errors import FrameworkError
from ..framework import Framework, Item, Scale

__all__ = ["Choice", "Question", "Questionnaire", "Section", "build_questionnaire", "format_number",
           "scale_choices", "MAX_CHOICE_POINTS"]

#: Integer scales with at most this many points are asked as a choice of points.
MAX_CHOICE_POINTS = 11
#: Name of the barriers' select-multiple question (made unique against the framework's ids).
BARRIER_QUESTION = "barriers_faced"


@dataclass(frozen=True)
class Choice:
    """One answer option: ``code`` is what the platform records, ``label`` what it shows."""

    code: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question, named after the column the kit reads its answers from.

    Attributes
    ----------
    name : str
    text : str
    kind : str
        ``text``, ``scale``, ``number``, ``single`` or ``multiple``.
    required : bool
    choices : tuple of Choice
        For ``scale``, ``single`` and ``multiple``.
    list_name : str
        Name of the choice list, shared by the items of one scale.
    minimum, maximum : float or None
        Bounds of a ``number`` question.
    integer : bool
        Whether a ``number`` must be whole.
    hint : str
    """

    name: str
    text: str
    kind: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    list_name: str = ""
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = True
    hint: str = ""


@dataclass(frozen=True)
class Section:
    """A group of questions: ``kind`` is ``organisation``, ``strand``, ``outcome`` or ``barriers``."""

    id: str
    title: str
    kind: str
    questions: tuple[Question, ...]
    description: str = ""


@dataclass(frozen=True)
class Questionnaire:
    """The whole questionnaire of one framework version.

    ``stamp`` holds the hidden fields every response carries: the framework id and
    version, so the kit can tell which instrument an export answers. ``link_fields`` are
    hidden fields filled from the survey link (a learners' survey: the organisation id).
    """

    framework_id: str
    framework_version: str
    title: str
    description: str
    sections: tuple[Section, ...]
    stamp: tuple[tuple[str, str], ...]
    link_fields: tuple[str, ...] = ()

    @property
    def questions(self) -> list[Question]:
        """Every question, in order."""
        return [q for s in self.sections for q in s.questions]

    def choice_lists(self) -> dict[str, tuple[Choice, ...]]:
        """Choice list name -> choices, in first-use order."""
        lists: dict[str, tuple[Choice, ...]] = {}
        for question in self.questions:
            if question.choices:
                lists.setdefault(question.list_name, question.choices)
        return lists

    @property
    def id_label(self) -> str:
        """``<framework id> version <version>``, as the questionnaires name their instrument."""
        return f"{self.framework_id} version {self.framework_version}"


def format_number(x: float) -> str:
    """A scale value as a code: ``3`` for 3.0, ``2.5`` for 2.5."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def scale_choices(scale: Scale) -> tuple[Choice, ...] | None:
    """The points of a small integer scale as choices, or None when it is asked as a number.

    A fully labelled scale shows its labels; a partly labelled one shows every number and
    the labels beside their numbers (``1 - Never``, ``2``, ..., ``7 - Always``); an
    unlabelled one shows the numbers.
    """
    if not scale.integer or scale.max - scale.min + 1 > MAX_CHOICE_POINTS:
        return None
    values = [scale.min + k for k in range(int(scale.max - scale.min) + 1)]
    full = all(v in scale.labels for v in values)
    choices = []
    for v in values:
        code = format_number(v)
        if full:
            label = scale.labels[v]
        elif v in scale.labels:
            label = f"{code} - {scale.labels[v]}"
        else:
            label = code
        choices.append(Choice(code, label))
    return tuple(choices)


def build_questionnaire(framework: Framework) -> Questionnaire:
    """The framework's questionnaire (see the module docstring for its rules).

    Raises
    ------
    FrameworkError
        When one of the framework's ids is a name the questionnaire reserves for its
        framework stamp (``framework_id``, ``framework_version``).
    """
    fw = framework
    clash = sorted(set(STAMP_FIELDS) & set(fw.known_columns))
    if clash:
        raise FrameworkError(
            f"'{clash[0]}' is reserved for the questionnaire's record of the framework; rename that column",
            source=fw.source,
        )
    learner = fw.level == "learner"
    link_fields = (DEFAULT_ORGANISATION_COLUMN,) if learner else ()
    names = _Names(fw.known_columns + list(STAMP_FIELDS) + list(link_fields))
    items_required = fw.index.min_answered >= 1
    organisation = [] if learner else [
        Question(fw.id_column, "Organisation id", "text", required=True,
                 hint="As given by the survey team; it links your organisation's answers across survey waves."),
        Question(fw.name_column, "Organisation name", "text"),
    ]
    for demo in fw.demographics:
        choices = tuple(Choice(v, v) for v in demo.values)
        organisation.append(Question(demo.id, demo.name, "single", choices=choices,
                                     list_name=names.unique(f"demo_{demo.id}")))
    scale_lists = {sid: names.unique(f"scale_{sid}") for sid in fw.scales}
    sections = [Section(names.unique("organisation"), "About you" if learner else "About your organisation",
                        "organisation", tuple(organisation))] if organisation else []
    for strand in fw.strands:
        questions = tuple(_item_question(i, fw, scale_lists, items_required) for i in strand.items)
        sections.append(Section(names.unique(strand.id), strand.name, "strand", questions, strand.description))
    for group in fw.outcomes:
        questions = tuple(_item_question(i, fw, scale_lists, False) for i in group.items)
        sections.append(Section(names.unique(group.id), group.name, "outcome", questions, group.description))
    if fw.barriers:
        barrier_question = Question(
            names.unique(BARRIER_QUESTION),
            ("Which of these get in the way of your learning? " if learner
             else "Which of these barriers hold back learning in your organisation? ") + "Select all that apply.",
            "multiple",
            choices=tuple(Choice(b.id, b.name) for b in fw.barriers), list_name=names.unique("barrier_options"),
        )
        sections.append(Section(names.unique("barriers"), "Barriers", "barriers", (barrier_question,)))
    return Questionnaire(
        framework_id=fw.id,
        framework_version=fw.version,
        title=fw.name,
        description=fw.description,
        sections=tuple(sections),
        stamp=((FRAMEWORK_ID_FIELD, fw.id), (FRAMEWORK_VERSION_FIELD, fw.version)),
        link_fields=link_fields,
    )


def _item_question(item: Item, fw: Framework, scale_lists: dict[str, str], required: bool) -> Question:
    scale = fw.scales[item.scale]
    choices = scale_choices(scale)
    if choices is not None:
        return Question(item.id, item.text, "scale", required, choices, scale_lists[item.scale])
    hint = f"A {'whole ' if scale.integer else ''}number from {format_number(scale.min)} to {format_number(scale.max)}"
    if scale.labels:
        hint += " (" + ", ".join(f"{format_number(v)} = {t}" for v, t in sorted(scale.labels.items())) + ")"
    return Question(item.id, item.text, "number", required, minimum=scale.min, maximum=scale.max,
                    integer=scale.integer, hint=hint + ".")


class _Names:
    """Hands out names for groups and choice lists that no question already uses."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = {t.casefold() for t in taken}

    def unique(self, base: str) -> str:
        name, n = base, 1
        while name.casefold() in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name.casefold())
        return name
