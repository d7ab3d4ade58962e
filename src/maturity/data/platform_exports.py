"""Response exports of survey platforms: KoboToolbox, ODK Central and LimeSurvey.

Two steps, so the reader stays free of any framework:

1. :func:`detect_platform` recognises an export from its header row alone (the reader
   calls it when it sniffs the layout of a table).
2. :func:`platform_columns` applies the platform's conventions once the framework is
   known: which column holds which framework column, which columns are the platform's own
   metadata, how a multi-select question was spread over columns, and where the
   framework stamp is.

The conventions, as the platforms document them:

- **KoboToolbox** ("XML values and headers"): a question inside a group is written with
  its group path, ``business_need/bn_1``; a ``select_multiple`` question is one column of
  space-separated choice names (``barriers``), one 0/1 column per choice
  (``barriers/barrier_time``: 1 selected, 0 not, blank when the question was not
  answered), or both. Metadata: ``start``, ``end``, ``_id``, ``_uuid``,
  ``_submission_time``, ``_index``, ``_validation_status``, ``__version__``,
  ``meta/instanceID``...
- **ODK Central** (``submissions.csv``): group paths are joined with ``-``
  (``business_need-bn_1``); split select-multiple columns are ``question/choice``.
  Metadata: ``SubmissionDate``, ``meta-instanceID``, ``KEY``, ``SubmitterID``,
  ``SubmitterName``, ``AttachmentsPresent``, ``AttachmentsExpected``, ``Status``,
  ``ReviewState``, ``DeviceID``, ``Edits``, ``FormVersion``.
- **LimeSurvey** (responses exported with question codes): question codes may only hold
  letters and digits (at most 20, starting with a letter), so the kit's ids are written
  as :func:`limesurvey_codes` gives them; a multiple-choice question is one column per
  subquestion, ``barriers[barriertime]``, ``Y`` when ticked. Metadata: ``id``,
  ``submitdate``, ``lastpage``, ``startlanguage``, ``seed``, ``startdate``,
  ``datestamp``, ``ipaddr``, ``refurl``... Demographic answers are the codes ``A1``,
  ``A2``... of the values in framework order.

The **framework stamp**: questionnaires written by :mod:`maturity.fielding` carry the
framework id and version as hidden fields (:data:`STAMP_FIELDS`); an export whose stamp
names another framework or version is reported (:func:`stamp_problems`) rather than
scored against the wrong instrument.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

import pandas as pd

from ..framework import Framework, normalise_label
from .problems import Problem

if TYPE_CHECKING:  # the reader imports this module; a runtime import would be circular
    from .raw_tables import RawTable

__all__ = [
    "FRAMEWORK_ID_FIELD",
    "FRAMEWORK_VERSION_FIELD",
    "KOBOTOOLBOX",
    "LIMESURVEY",
    "ODK_CENTRAL",
    "PlatformColumns",
    "STAMP_FIELDS",
    "demographic_codes",
    "detect_platform",
    "limesurvey_codes",
    "limesurvey_demographic_code",
    "platform_columns",
    "stamp_problems",
]

KOBOTOOLBOX = "kobotoolbox"
ODK_CENTRAL = "odk-central"
LIMESURVEY = "limesurvey"
#: Layouts the reader already knew: Qualtrics numeric exports code demographics by position.
_QUALTRICS = ("qualtrics", "qualtrics-legacy")

#: Hidden fields a fielded questionnaire carries: the framework id and its version.
FRAMEWORK_ID_FIELD = "framework_id"
FRAMEWORK_VERSION_FIELD = "framework_version"
STAMP_FIELDS = (FRAMEWORK_ID_FIELD, FRAMEWORK_VERSION_FIELD)

_METADATA = {
    KOBOTOOLBOX: (
        "start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid", "audit",
        "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
        "__version__", "_tags", "_index", "_attachments", "_geolocation", "_xform_id_string",
        "meta/instanceID", "meta/instanceName", "meta/rootUuid", "meta/deprecatedID", "meta/audit", "formhub/uuid",
    ),
    ODK_CENTRAL: (
        "SubmissionDate", "start", "end", "today", "deviceid", "username", "phonenumber",
        "meta-instanceID", "meta-instanceName", "meta-audit", "KEY", "SubmitterID", "SubmitterName",
        "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion",
    ),
    LIMESURVEY: (
        "id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr", "refurl",
        "token", "interviewtime", "optout", "emailstatus", "firstname", "lastname", "email",
    ),
}
_LS_CODE_LENGTH = 20  # LimeSurvey keeps question codes in a 20-character column
_LS_RESERVED = frozenset({"lang", "sid", "savedid", "token", "qid", "gid", "sgq", "self", "that", "this", "time"})
_LS_SUBQUESTION = re.compile(r"^\s*([A-Za-z0-9]+)\[([A-Za-z0-9]+)\]\s*$")
_LS_GROUP_TIME = re.compile(r"^grouptime\d+$")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")


def _compact(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


# --- recognition (no framework) ----------------------------------------------------------------


def detect_platform(header: Sequence[str]) -> str | None:
    """The platform whose response export has this header row, or None.

    KoboToolbox exports carry ``_uuid``/``_submission_time`` (or ``meta/instanceID``,
    ``formhub/uuid``); ODK Central exports ``KEY`` with ``SubmissionDate`` or
    ``meta-instanceID``; LimeSurvey ``submitdate``, ``lastpage`` and ``startlanguage``.
    """
    names = {str(h).strip() for h in header}
    if names & {"_uuid", "_submission_time", "_xform_id_string", "formhub/uuid", "meta/instanceID"}:
        return KOBOTOOLBOX
    if "KEY" in names and names & {"SubmissionDate", "meta-instanceID", "SubmitterID"}:
        return ODK_CENTRAL
    if {"submitdate", "lastpage", "startlanguage"} <= names:
        return LIMESURVEY
    return None


def metadata_names(layout: str | None) -> frozenset[str]:
    """Metadata column names of a platform layout, compacted (lower case, letters and digits)."""
    return frozenset(_compact(n) for n in _METADATA.get(layout or "", ()))


# --- naming shared with the questionnaire writers ------------------------------------------------


def limesurvey_codes(framework: Framework, extra: Iterable[str] = ()) -> dict[str, str]:
    """LimeSurvey question codes for the framework's columns, its stamp fields and ``extra``.

    LimeSurvey accepts letters and digits only, at most 20 characters, starting with a
    letter, unique in the survey (its import strips anything else). Each id keeps its
    letters and digits (``bn_1`` -> ``bn1``); a collision or an over-long code gets a
    numbered suffix. Codes are given in a fixed order (framework columns, stamp fields,
    then ``extra``), so names added at the end never change the earlier codes.

    Returns
    -------
    dict
        Column id -> code.
    """
    names = list(framework.known_columns) + [f for f in STAMP_FIELDS if f not in framework.known_columns]
    names += [n for n in extra if n not in names]
    taken: set[str] = set()
    codes: dict[str, str] = {}
    for name in names:
        base = re.sub(r"[^A-Za-z0-9]", "", name) or "q"
        if not base[0].isalpha() or base.casefold() in _LS_RESERVED:
            base = "q" + base
        code, n = base[:_LS_CODE_LENGTH], 1
        while code.casefold() in taken:
            n += 1
            code = base[: _LS_CODE_LENGTH - len(str(n))] + str(n)
        taken.add(code.casefold())
        codes[name] = code
    return codes


def limesurvey_demographic_code(position: int) -> str:
    """LimeSurvey answer code of a demographic's ``position``-th value (1-based): ``A1``, ``A2``..."""
    return f"A{position}"


def demographic_codes(values: Sequence[str], layout: str | None) -> dict[str, str]:
    """Platform codes a demographic's answer may be written as, normalised -> value.

    LimeSurvey writes the answer code ``A<k>`` of the k-th value; a Qualtrics numeric
    export writes the recode ``k`` (not when the values are themselves whole numbers,
    which the codes would shadow). Other layouts write the values themselves.
    """
    if layout == LIMESURVEY:
        return {limesurvey_demographic_code(k).casefold(): v for k, v in enumerate(values, 1)}
    if layout in _QUALTRICS and not any(_INTEGER.match(v) for v in values):
        return {str(k): v for k, v in enumerate(values, 1)}
    return {}


# --- conventions applied with the framework ---------------------------------------------------------


@dataclass
class PlatformColumns:
    """What a platform's conventions say about a table's columns.

    Attributes
    ----------
    table : RawTable
        The table, with a column appended per barrier when a select-multiple question was
        exported as one column of choice names.
    aliases : dict
        Column position -> the framework column it holds.
    dropped : frozenset of int
        Platform columns that are not answers: the stamp, a select-multiple summary
        column whose choices also have their own columns, timing columns. Listed with
        the metadata and dropped.
    stamps : dict
        Stamp field -> column position.
    metadata : frozenset of str
        Compacted names of this platform's metadata columns.
    """

    table: RawTable
    aliases: dict[int, str] = field(default_factory=dict)
    dropped: frozenset[int] = frozenset()
    stamps: dict[str, int] = field(default_factory=dict)
    metadata: frozenset[str] = frozenset()

    def is_metadata(self, j: int, name: str) -> bool:
        """Whether column ``j`` (named ``name``) is the platform's and not an answer."""
        return j in self.dropped or _compact(name) in self.metadata


def platform_columns(table: RawTable, framework: Framework) -> PlatformColumns:
    """Apply the conventions of the table's platform (its ``details['layout']``).

    Returns
    -------
    PlatformColumns
        For a plain table only the stamp is looked for.
    """
    layout = table.details.get("layout")
    stamp_fields = [f for f in STAMP_FIELDS if f not in framework.known_columns]
    targets = list(framework.known_columns) + stamp_fields
    aliases: dict[int, str] = {}
    dropped: set[int] = set()
    if layout == KOBOTOOLBOX:
        aliases = _path_aliases(table.columns, targets, ("/",))
    elif layout == ODK_CENTRAL:
        aliases = _path_aliases(table.columns, targets, ("-", "/"))
    elif layout == LIMESURVEY:
        aliases, dropped = _limesurvey_aliases(table.columns, framework)
    elif layout in _QUALTRICS:
        aliases = _choice_text_aliases(table, framework)
    metadata = metadata_names(layout)
    if layout in (KOBOTOOLBOX, ODK_CENTRAL):
        table, summaries = _spread_multi_select(table, framework, aliases, metadata)
        dropped |= summaries
    stamps: dict[str, int] = {}
    for name in stamp_fields:
        hits = [j for j, c in enumerate(table.columns) if aliases.get(j) == name or _compact(c) == _compact(name)]
        if hits:
            stamps[name] = hits[0]
            dropped.update(hits)
    aliases = {j: t for j, t in aliases.items() if t not in stamp_fields}
    return PlatformColumns(table, aliases, frozenset(dropped), stamps, metadata)


def stamp_problems(table: RawTable, stamps: dict[str, int], framework: Framework) -> list[Problem]:
    """One ``framework_version`` problem per stamp value that is not the framework's own.

    A version equal as a number counts as the same (a spreadsheet turns ``1.0`` into
    ``1``); blank stamps say nothing.
    """
    expected = {FRAMEWORK_ID_FIELD: framework.id, FRAMEWORK_VERSION_FIELD: framework.version}
    problems = []
    for name, j in stamps.items():
        found: dict[str, list[int]] = {}
        for pos, text in enumerate(_texts(table.data[j])):
            if text and not _same_stamp(text, expected[name]):
                found.setdefault(text, []).append(pos)
        for value, positions in found.items():
            if name == FRAMEWORK_ID_FIELD:
                wanted, theirs = f"framework '{framework.id}'", f"framework '{value}'"
            else:
                wanted = f"version '{framework.version}' of framework '{framework.id}'"
                theirs = f"version '{value}'"
            problems.append(Problem(
                "framework_version", table.source, row=int(table.rows[positions[0]]), column=table.columns[j],
                value=value, row_label=table.row_label,
                expected=(f"{wanted}, which is reading this file; {len(positions)} row(s) answer {theirs}: "
                          "read them with that framework file"),
            ))
    return problems


def _same_stamp(found: str, expected: str) -> bool:
    if found == expected:
        return True
    try:
        return float(found) == float(expected)
    except ValueError:
        return False


def _texts(column: pd.Series) -> list[str]:
    out = []
    for value in column.tolist():
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            out.append("")
        elif isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value).strip())
    return out


def _path_aliases(names: Sequence[str], targets: Sequence[str], separators: Sequence[str]) -> dict[int, str]:
    """Columns whose name is a target or ends in ``<separator><target>`` (a group path);
    the longest target wins, so ids that contain a separator still match."""
    aliases = {}
    for j, name in enumerate(names):
        best = None
        for target in targets:
            if name == target or any(name.endswith(sep + target) for sep in separators):
                if best is None or len(target) > len(best):
                    best = target
        if best is not None:
            aliases[j] = best
    return aliases


def _limesurvey_aliases(names: Sequence[str], framework: Framework) -> tuple[dict[int, str], set[int]]:
    codes = limesurvey_codes(framework)
    by_code = {code.casefold(): name for name, code in codes.items()}
    barriers = set(framework.barrier_ids)
    aliases: dict[int, str] = {}
    timings: set[int] = set()
    for j, name in enumerate(names):
        key = name.strip().casefold()
        if key in by_code:
            aliases[j] = by_code[key]
            continue
        sub = _LS_SUBQUESTION.match(name)
        if sub and by_code.get(sub.group(2).casefold()) in barriers:
            aliases[j] = by_code[sub.group(2).casefold()]
        elif _LS_GROUP_TIME.match(key) or (key.endswith("time") and key[:-4] in by_code):
            timings.add(j)  # timings exported beside the answers
    return aliases, timings


def _choice_text_aliases(table: RawTable, framework: Framework) -> dict[int, str]:
    """Qualtrics multiple-answer columns: the question row reads ``Question - <choice>``;
    a choice that is a barrier's name is that barrier, however short the name."""
    names = {normalise_label(b.name): b.id for b in framework.barriers}
    known = set(framework.known_columns)
    aliases = {}
    for j, column in enumerate(table.columns):
        if column in known:
            continue
        for row in table.header_rows[1:]:
            text = row[j] if j < len(row) else ""
            if " - " in text and normalise_label(text.rsplit(" - ", 1)[1]) in names:
                aliases[j] = names[normalise_label(text.rsplit(" - ", 1)[1])]
                break
    return aliases


def _spread_multi_select(
    table: RawTable, framework: Framework, aliases: dict[int, str], metadata: frozenset[str]
) -> tuple[RawTable, set[int]]:
    """Find the column of space-separated barrier ids a select-multiple question exports.

    When the barriers also have their own 0/1 columns it is only a summary and is
    dropped; otherwise one column per barrier is derived from it: 1 when the barrier was
    chosen, 0 when the question was answered without it, blank when it was not answered.
    """
    barrier_ids = framework.barrier_ids
    if not barrier_ids:
        return table, set()
    allowed = set(barrier_ids)
    summaries: list[tuple[int, list[set[str]]]] = []
    for j, name in enumerate(table.columns):
        if j in aliases or _compact(name) in metadata:
            continue
        chosen = [set(text.split()) for text in _texts(table.data[j])]
        if any(chosen) and all(c <= allowed for c in chosen):
            summaries.append((j, chosen))
    if not summaries:
        return table, set()
    spread = {t for t in aliases.values() if t in allowed}
    missing = [b for b in barrier_ids if b not in spread]
    if missing:
        j, chosen = summaries[0]
        data = table.data.copy()
        columns = list(table.columns)
        headers = [list(row) for row in table.header_rows]
        for barrier in missing:
            k = len(columns)
            cells = ["1" if barrier in c else "0" if c else "" for c in chosen]
            data[k] = pd.Series(cells, index=data.index, dtype=object)
            columns.append(f"{table.columns[j]}/{barrier}")
            for row in headers:
                row.append(columns[-1])
            aliases[k] = barrier
        table = dataclasses.replace(table, data=data, columns=columns, header_rows=headers)
    return table, {j for j, _ in summaries}
