"""Reading and validating survey response files against a framework.

:func:`read_responses` reads any supported file (see :mod:`maturity.data.raw_tables`), checks it
against the framework and returns a clean wide table: the id column, the name, the
demographics (in the framework's spelling), every item and outcome item as a number on its
printed scale (labels mapped, NaN = missing), barriers as 1/0/NaN, then any other columns
as text attributes. Every problem is listed with file, row, column, value and what was
expected (:mod:`maturity.data.problems`).

Columns are matched to the framework by id exactly, then ignoring case, spaces, hyphens
and underscores (``Respondent ID`` is ``respondent_id``), then by wording: a header row
holding an item's text (``Q5 - <item text>`` as Qualtrics writes matrix statements), a
demographic's or a barrier's name. Survey-platform metadata columns (StartDate,
EndDate, IPAddress, Progress, ResponseId, RecipientEmail, Collector ID, ...) are recognised
and dropped: they are not answers and some are personal data a benchmark should not keep.
The report lists them. Pass ``id_column="ResponseId"`` to use one as the id. The exports of
KoboToolbox, ODK Central and LimeSurvey are read with their own conventions (group paths,
question codes, select-multiple columns, metadata; :mod:`maturity.data.platform_exports`),
and a response stamped with another framework or framework version is a
``framework_version`` problem that rejects the file.

Barrier columns accept 1/0, yes/no, true/false, selected/not selected, or the barrier's
own name (the choice text survey tools write when an option is ticked). What a blank
means depends on the column (:func:`barrier_values`): when it holds an explicit "no"
answer (0, no, false), blank is *missing*; when it only marks ticked options
(selected/blank, as Qualtrics and SurveyMonkey export multi-select questions), blank is
*not selected*, except for a respondent who gave no barrier answer at all, whose barriers
are missing (a skipped question and "none of these" cannot be told apart).

Strict by default: any error rejects the file (:class:`~maturity.errors.ValidationFailed`).
``lenient=True`` repairs what can be repaired (an invalid cell becomes missing; a row with a
blank or duplicated id, too many fields, or no answers is skipped) and lists each repair;
problems with the file as a whole (no id column, missing item columns...) still reject it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Mapping

import numpy as np
import pandas as pd

from ..errors import DataError, ValidationFailed
from ..framework import Framework, Item, normalise_label
from ..scoring import parse_answers, scale_violations
from .platform_exports import PlatformColumns, demographic_codes, platform_columns, stamp_problems
from .problems import (
    ROW_KINDS,
    ROW_SKIPPED,
    SET_TO_MISSING,
    Problem,
    ValidationReport,
)
from .raw_tables import RawTable, read_table, table_from_frame

__all__ = ["read_responses", "validate_file", "validate_frame", "validate_table", "barrier_flags", "METADATA_COLUMNS"]

#: Survey-platform metadata columns (compared without case, spaces or punctuation).
METADATA_COLUMNS = frozenset(
    re.sub(r"[^0-9a-z]", "", name.casefold())
    for name in (
        # Qualtrics
        "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
        "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
        "RecipientEmail", "ExternalReference", "ExternalDataReference", "LocationLatitude",
        "LocationLongitude", "LocationAccuracy", "DistributionChannel", "UserLanguage",
        "ResponseSet", "EmailAddress", "Response Type",
        # SurveyMonkey
        "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
        "First Name", "Last Name",
        # Google Forms, Microsoft Forms, LimeSurvey
        "Timestamp", "Start time", "Completion time", "Email", "Last modified time",
        "submitdate", "lastpage", "startlanguage", "seed", "datestamp", "startdate",
        # maturity quickcheck --collect
        "submitted_at",
    )
)
#: Metadata recognised by pattern: Qualtrics internal fields, SurveyMonkey custom data.
_METADATA_PATTERNS = (re.compile(r"^q_[a-z]"), re.compile(r"^customdata\d*$"))

TRUE_WORDS = frozenset({"1", "yes", "y", "true", "t", "selected", "checked", "ticked", "x", "\u2713", "\u2714"})
FALSE_WORDS = frozenset({"0", "no", "n", "false", "f", "not selected", "unselected", "unchecked", "not ticked"})
_MIN_TEXT_MATCH = 12  # shortest item wording matched as the tail of a longer header


# --- public API ---------------------------------------------------------------------------


def read_responses(
    path: str | Path,
    framework: Framework,
    *,
    id_column: str | None = None,
    lenient: bool = False,
    sheet: str | int | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Read and validate a response file; return the clean table and the report.

    Parameters
    ----------
    path : str or Path
        CSV/TSV/TXT, XLSX, SAV or Parquet (see :mod:`maturity.data.raw_tables`).
    framework : Framework
    id_column : str, optional
        Column holding the respondent id (default ``framework.id_column``). In the result
        it is renamed to ``framework.id_column``.
    lenient : bool
        Repair cell and row problems instead of rejecting the file (each one is listed).
    sheet : str or int, optional
        Worksheet of an Excel file (name or 1-based position; default the first).

    Returns
    -------
    responses : DataFrame
        One row per respondent in file order: id, name, demographics, items and outcome
        items (float, NaN = missing), barriers (1.0/0.0/NaN), other columns as text.
    report : ValidationReport
        Warnings (unknown columns) and, in lenient mode, every repair.

    Raises
    ------
    ValidationFailed
        When the file is rejected; ``exc.report`` holds every problem.
    """
    frame, report = _validate(read_table(path, sheet=sheet), framework, id_column, lenient)
    _raise_if_rejected(report)
    return frame, report


def validate_file(
    path: str | Path,
    framework: Framework,
    *,
    id_column: str | None = None,
    lenient: bool = False,
    sheet: str | int | None = None,
) -> ValidationReport:
    """Validate a response file without raising for its problems; return the report."""
    return _validate(read_table(path, sheet=sheet), framework, id_column, lenient)[1]


def validate_frame(
    frame: pd.DataFrame,
    framework: Framework,
    *,
    source: str = "<DataFrame>",
    id_column: str | None = None,
    lenient: bool = False,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Validate an in-memory response table like a file (rows numbered from 1).

    Returns
    -------
    (DataFrame, ValidationReport)
        As :func:`read_responses`.

    Raises
    ------
    ValidationFailed
        When the table is rejected.
    """
    clean, report = _validate(table_from_frame(frame, source), framework, id_column, lenient)
    _raise_if_rejected(report)
    return clean, report


def validate_table(
    table: RawTable, framework: Framework, *, id_column: str | None = None, lenient: bool = False
) -> tuple[pd.DataFrame | None, ValidationReport]:
    """Validate a :class:`~maturity.data.raw_tables.RawTable`; the frame is None when rejected."""
    return _validate(table, framework, id_column, lenient)


def _raise_if_rejected(report: ValidationReport) -> None:
    if report.ok:
        return
    first = [p.message for p in report.ordered() if p.rejects][:3]
    raise ValidationFailed(
        f"{report.summary()}. First: " + "; ".join(first) + " (run `maturity validate` for the full report)",
        report,
    )


# --- column resolution ---------------------------------------------------------------------------


@dataclass
class _Columns:
    """Which file column (position) holds each framework column, and what the rest are."""

    by_target: dict[str, int] = field(default_factory=dict)
    metadata: list[int] = field(default_factory=list)
    attributes: list[int] = field(default_factory=list)


def _id_key(name: str) -> str:
    """Column-name key: case-insensitive, runs of spaces, hyphens and underscores alike."""
    return re.sub(r"[\s_\-]+", "_", name.strip().casefold()).strip("_")


def _text_key(text: str) -> str:
    return normalise_label(text).strip(" .:?!\"'")


def _is_metadata(texts: list[str]) -> bool:
    for text in texts:
        compact = re.sub(r"[^0-9a-z_]", "", text.casefold())
        if compact.replace("_", "") in METADATA_COLUMNS or any(p.match(compact) for p in _METADATA_PATTERNS):
            return True
    return False


def _resolve_columns(
    table: RawTable, framework: Framework, id_col: str, report: ValidationReport, platform: PlatformColumns
) -> _Columns:
    names = table.columns
    texts = [[row[j] for row in table.header_rows if j < len(row) and row[j]] for j in range(len(names))]
    out = _Columns()
    claimed: dict[int, str] = {}
    targets = [id_col] + [c for c in framework.known_columns if c != framework.id_column]
    header_row = table.header_row

    def duplicate(j: int, target: str, other: int) -> None:
        report.add(Problem(
            "duplicate_column", table.source, row=header_row, column=names[j] or f"column {j + 1}",
            value=names[j], row_label=table.row_label,
            expected=f"one column for '{target}' (column {other + 1} '{names[other]}' is one already)",
        ))

    # 0. what the survey platform's conventions say (group paths, question codes...)
    for j, target in sorted(platform.aliases.items()):
        if target not in targets:
            continue
        if target in out.by_target:
            duplicate(j, target, out.by_target[target])
        else:
            out.by_target[target] = j
        claimed[j] = target
    # 1. exact names
    for target in targets:
        hits = [j for j, n in enumerate(names) if n == target and j not in claimed]
        if target in out.by_target:
            for j in hits:
                duplicate(j, target, out.by_target[target])
                claimed[j] = target
        elif hits:
            out.by_target[target] = hits[0]
            claimed[hits[0]] = target
            for j in hits[1:]:
                duplicate(j, target, hits[0])
                claimed[j] = target
    # 2. names ignoring case, spaces, hyphens and underscores (ambiguous keys are skipped)
    keyed: dict[str, list[str]] = {}
    for target in targets:
        keyed.setdefault(_id_key(target), []).append(target)
    for j, name in enumerate(names):
        if j in claimed or not name:
            continue
        candidates = keyed.get(_id_key(name), [])
        if len(candidates) != 1:
            continue
        target = candidates[0]
        if target in out.by_target:
            duplicate(j, target, out.by_target[target])
        else:
            out.by_target[target] = j
        claimed[j] = target
    # 3. wording: item texts, demographic and barrier names in any header row
    wording: dict[str, str] = {}
    for item in framework.items + framework.outcome_items:
        wording.setdefault(_text_key(item.text), item.id)
    for group in (framework.demographics, framework.barriers):
        for entry in group:
            wording.setdefault(_text_key(entry.name), entry.id)
    for j in range(len(names)):
        if j in claimed:
            continue
        target = _match_wording(texts[j], wording)
        if target is None:
            continue
        if target in out.by_target:
            duplicate(j, target, out.by_target[target])
        else:
            out.by_target[target] = j
        claimed[j] = target
    # 4. the rest: metadata, blank filler, or attributes kept with a warning
    seen_names: dict[str, int] = {}
    for j, name in enumerate(names):
        if j in claimed:
            continue
        if _is_metadata(texts[j] or [name]) or platform.is_metadata(j, name):
            out.metadata.append(j)
            continue
        if not name and not _has_values(table.data[j]):
            continue  # an unnamed empty column (a trailing delimiter)
        label = name or f"column_{j + 1}"
        if label in seen_names:
            duplicate(j, label, seen_names[label])
            continue
        seen_names[label] = j
        out.attributes.append(j)
    return out


def _match_wording(texts: list[str], wording: dict[str, str]) -> str | None:
    for text in texts:
        key = _text_key(text)
        if key in wording:
            return wording[key]
        if " - " in key:  # Qualtrics matrix statements: "Question - Statement"
            tail = key.rsplit(" - ", 1)[1]
            if len(tail) >= _MIN_TEXT_MATCH and tail in wording:
                return wording[tail]
    return None


def _has_values(column: pd.Series) -> bool:
    if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
        return bool(column.astype("string").str.strip().fillna("").ne("").any())
    return bool(column.notna().any())


# --- validation ---------------------------------------------------------------------------------------


class _Checker:
    """Validates one table against a framework, filling a report."""

    def __init__(self, table: RawTable, framework: Framework, lenient: bool, report: ValidationReport):
        self.table = table
        self.fw = framework
        self.lenient = lenient
        self.report = report
        self.n = len(table)
        self.skip = np.zeros(self.n, dtype=bool)  # rows skipped in lenient mode
        self.decimal = "," if table.details.get("decimal") == "comma" else "."

    # -- problem helpers --
    def column_name(self, j: int) -> str:
        return self.table.columns[j] or f"column {j + 1}"

    def cell_problems(self, kind: str, j: int, mask: np.ndarray, expected: str, raw: pd.Series) -> None:
        """Record one problem per flagged cell of column ``j``."""
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        action = SET_TO_MISSING if self.lenient else None
        rows, column, label, source = self.table.rows, self.column_name(j), self.table.row_label, self.table.source

        def make(i: int) -> Problem:
            pos = positions[i]
            return Problem(kind, source, row=int(rows[pos]), column=column, value=_display(raw.iat[pos]),
                           expected=expected, row_label=label, action=action)

        self.report.add_many(len(positions), make, kind, "error", action)

    def row_problems(self, kind: str, mask: np.ndarray, column: str | None, values: Any, expected: Callable[[int], str]) -> None:
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        action = ROW_SKIPPED if self.lenient else None
        rows, label, source = self.table.rows, self.table.row_label, self.table.source

        def make(i: int) -> Problem:
            pos = positions[i]
            value = None if values is None else _display(values[pos])
            return Problem(kind, source, row=int(rows[pos]), column=column, value=value,
                           expected=expected(pos), row_label=label, action=action)

        self.report.add_many(len(positions), make, kind, "error", action)
        self.skip |= mask

    # -- columns --
    def ids(self, j: int) -> np.ndarray:
        text = _as_text(self.table.data[j])
        blank = text == ""
        column = self.column_name(j)
        self.row_problems("blank_id", blank, column, None, lambda pos: "a respondent id")
        ids = pd.Series(text)
        dup = (ids.duplicated(keep=False) & ~blank).to_numpy()
        if dup.any():
            rows = self.table.rows
            where: dict[str, list[int]] = {}
            for pos in np.flatnonzero(dup):
                where.setdefault(text[pos], []).append(int(rows[pos]))

            def expected(pos: int) -> str:
                others = [r for r in where[text[pos]] if r != rows[pos]]
                shown = ", ".join(map(str, others[:5])) + (", ..." if len(others) > 5 else "")
                return f"a unique id (also on {self.table.row_label} {shown})"

            self.row_problems("duplicate_id", dup, column, text, expected)
        return text

    def items(self, items: list[Item], positions: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """Answer matrix (NaN = missing or invalid) and a mask of non-blank cells."""
        matrix = np.full((self.n, len(items)), np.nan)
        given = np.zeros((self.n, len(items)), dtype=bool)
        for k, item in enumerate(items):
            j = positions.get(item.id)
            if j is None:
                continue
            matrix[:, k], given[:, k] = self.item_column(item, j)
        return matrix, given

    def item_column(self, item: Item, j: int) -> tuple[np.ndarray, np.ndarray]:
        scale = self.fw.scales[item.scale]
        raw = self.table.data[j]
        values, invalid = parse_answers(raw, scale, decimal=self.decimal)
        fallback = self.table.codes.get(j)
        if fallback is not None and invalid.any():
            # SPSS: a value label that is not one of the scale's labels; use the code.
            code_values, code_invalid = parse_answers(fallback, scale)
            use = invalid & ~code_invalid
            values[use], invalid[use] = code_values[use], False
        given = invalid | ~np.isnan(values)
        nonfinite_text = invalid & _nonfinite_words(raw, invalid)
        infinite, out_of_range, not_integer = scale_violations(values, scale.min, scale.max, scale.integer)
        expected = scale.describe()
        self.cell_problems("not_a_number", j, invalid & ~nonfinite_text, expected, raw)
        self.cell_problems("not_finite", j, nonfinite_text | infinite, expected, raw)
        self.cell_problems("out_of_range", j, out_of_range, expected, raw)
        self.cell_problems("not_integer", j, not_integer, expected, raw)
        values[infinite | out_of_range | not_integer] = np.nan
        return values, given

    def demographic(self, allowed: tuple[str, ...], j: int) -> np.ndarray:
        raw = self.table.data[j]
        text = _as_text(raw)
        out = np.where(text == "", None, text).astype(object)
        if not allowed:
            return out
        # values in any spelling, or the code a survey platform wrote for one
        lookup = demographic_codes(allowed, self.table.details.get("layout"))
        lookup.update({normalise_label(v): v for v in allowed})
        codes, uniques = pd.factorize(text)
        mapped = np.array([lookup.get(normalise_label(u)) if u else None for u in uniques] + [None], dtype=object)
        out = mapped[codes]
        bad = (text != "") & pd.isna(out)
        shown = ", ".join(f"'{v}'" for v in allowed[:8]) + (", ..." if len(allowed) > 8 else "")
        self.cell_problems("demographic_value", j, bad, f"one of {shown}", raw)
        return out

    def barriers(self, positions: dict[str, int]) -> dict[str, np.ndarray]:
        """Barrier columns as 1.0 / 0.0 / NaN (see the module docstring for blanks)."""
        found = [(b, positions[b.id]) for b in self.fw.barriers if b.id in positions]
        states: dict[str, np.ndarray] = {}
        for barrier, j in found:
            raw = self.table.data[j]
            yes_words = set(TRUE_WORDS) | {normalise_label(barrier.name)}
            for text in (row[j] for row in self.table.header_rows[1:] if row[j]):
                # the option's text: a whole header cell, or the part after "Question - "
                yes_words |= {normalise_label(text), normalise_label(text.rsplit(" - ", 1)[-1])}
            state = barrier_states(raw, yes_words)  # 1 yes, 0 no, -1 blank, -2 invalid
            bad = state == -2
            self.cell_problems(
                "barrier_value", j, bad,
                "selected (1, yes, true, selected, or the barrier's name), not selected (0, no, false) or blank", raw,
            )
            states[barrier.id] = state
        if not states:
            return {}
        out, blanks = barrier_values(states)
        self.report.details["barrier_blanks"] = blanks
        return out


def _validate(
    table: RawTable, framework: Framework, id_column: str | None, lenient: bool
) -> tuple[pd.DataFrame | None, ValidationReport]:
    frame, report = _check_table(table, framework, id_column, lenient)
    if table.row_sources is not None:
        _locate_in_files(report, table)
    return frame, report


def _locate_in_files(report: ValidationReport, table: RawTable) -> None:
    """Point each problem found in a folder's rows at the file and row it came from."""
    for problem in report.problems:
        if problem.file == table.source and problem.row is not None and 0 < problem.row <= len(table.row_sources):
            problem.file, problem.row, problem.row_label = table.row_sources[problem.row - 1]


def _check_table(
    table: RawTable, framework: Framework, id_column: str | None, lenient: bool
) -> tuple[pd.DataFrame | None, ValidationReport]:
    report = ValidationReport(table.source, table.format, n_rows=len(table), lenient=lenient, details=dict(table.details))
    id_col = id_column or framework.id_column
    checker = _Checker(table, framework, lenient, report)
    for problem in table.problems:
        if lenient and problem.kind in ROW_KINDS:
            problem.action = ROW_SKIPPED
        report.add(problem)
    if lenient:
        checker.skip |= table.bad_rows
    if not table.readable:
        return None, report
    if len(table) == 0:
        report.add(Problem("no_data", table.source, row=table.header_row, row_label=table.row_label,
                           expected="at least one row of answers under the header"))
        return None, report

    platform = platform_columns(table, framework)
    table = checker.table = platform.table
    for problem in stamp_problems(table, platform.stamps, framework):
        report.add(problem)
    cols = _resolve_columns(table, framework, id_col, report, platform)
    report.metadata_columns = [checker.column_name(j) for j in cols.metadata]
    if id_col not in cols.by_target:
        shown = ", ".join(c for c in table.columns[:8] if c) + (", ..." if len(table.columns) > 8 else "")
        report.add(Problem("missing_id_column", table.source, row=table.header_row, row_label=table.row_label,
                           expected=f"a column named '{id_col}' (the columns are: {shown})"))
    for item in framework.items:
        if item.id not in cols.by_target:
            report.add(Problem("missing_item_column", table.source, row=table.header_row, column=item.id,
                               row_label=table.row_label, expected=f"a column for item '{item.id}' ({item.text})"))
    for j in cols.attributes:
        report.add(Problem("unknown_column", table.source, row=table.header_row, column=checker.column_name(j),
                           row_label=table.row_label, severity="warning"))
    positions = {(framework.id_column if t == id_col else t): j for t, j in cols.by_target.items()}
    optional = [framework.name_column] + framework.demographic_ids + [i.id for i in framework.outcome_items]
    optional += framework.barrier_ids
    report.absent_columns = [c for c in optional if c not in positions]

    # Cell checks run even when the file is already rejected, so one report shows everything.
    ids = checker.ids(positions[framework.id_column]) if framework.id_column in positions else None
    all_items = framework.items + framework.outcome_items
    matrix, given = checker.items(all_items, positions)
    demographics = {d.id: checker.demographic(d.values, positions[d.id]) for d in framework.demographics if d.id in positions}
    barriers = checker.barriers(positions)
    answered = given if not lenient else ~np.isnan(matrix)
    no_answers = ~answered.any(axis=1)
    if ids is not None:
        no_answers &= ids != ""  # a blank-id row is already reported
    checker.row_problems("no_answers", no_answers & ~checker.skip if lenient else no_answers, None, None,
                         lambda pos: "at least one answered item")

    if not report.ok or ids is None:
        return None, report
    keep = ~checker.skip
    frame = _assemble(framework, table, positions, cols, keep, ids, matrix, all_items, demographics, barriers)
    report.n_accepted = len(frame)
    return frame, report


def _assemble(
    framework: Framework,
    table: RawTable,
    positions: dict[str, int],
    cols: _Columns,
    keep: np.ndarray,
    ids: np.ndarray,
    matrix: np.ndarray,
    items: list[Item],
    demographics: dict[str, np.ndarray],
    barriers: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The clean wide table in canonical column order (absent optional columns missing)."""
    n = int(keep.sum())
    data: dict[str, Any] = {framework.id_column: pd.Series(ids[keep], dtype="str")}
    if framework.name_column in positions:
        names = _as_text(table.data[positions[framework.name_column]])[keep]
        data[framework.name_column] = pd.Series(np.where(names == "", None, names), dtype="str")
    else:
        data[framework.name_column] = pd.Series([None] * n, dtype="str")
    for demo in framework.demographics:
        values = demographics.get(demo.id, np.full(len(keep), None, dtype=object))[keep]
        data[demo.id] = pd.Series(values, dtype="str")
    kept = matrix[keep]
    for k, item in enumerate(items):
        data[item.id] = kept[:, k]
    for barrier in framework.barriers:
        data[barrier.id] = barriers.get(barrier.id, np.full(len(keep), np.nan))[keep]
    used = set(data)
    for j in cols.attributes:
        name = table.columns[j] or f"column_{j + 1}"
        if name in used:
            continue
        text = _as_text(table.data[j])[keep]
        data[name] = pd.Series(np.where(text == "", None, text), dtype="str")
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(len(frame))
    return frame


# --- cell helpers -----------------------------------------------------------------------------


def _as_text(column: pd.Series) -> np.ndarray:
    """Cells as trimmed text ('' = blank); whole-number floats without '.0'."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = np.array([_cell_text(u) for u in uniques] + [""], dtype=object)
    return texts[codes]


def _cell_text(value: Any) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        if float(value).is_integer():
            return str(int(value))
    return str(value).strip()


def _display(value: Any) -> str:
    """A cell as the user would see it in the file."""
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _nonfinite_words(raw: pd.Series, invalid: np.ndarray) -> np.ndarray:
    """Among invalid cells, those that spell a non-finite number (nan, inf, -Infinity...)."""
    out = np.zeros(len(raw), dtype=bool)
    for pos in np.flatnonzero(invalid):
        try:
            value = float(str(raw.iat[pos]).strip().replace(",", "."))
        except ValueError:
            continue
        out[pos] = not np.isfinite(value)
    return out


def barrier_values(states: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], str]:
    """Barrier answers as 1.0 / 0.0 / NaN, from :func:`barrier_states`, with the kit's rule
    for blanks; also a word for what the blanks meant ("missing", "not selected", "mixed").

    A column that ever says "not selected" (0, no, false) has real answers both ways, so
    its blanks are missing. A column that only says "selected" or nothing (a survey tool's
    multi-select export) means "not selected" by a blank, for a respondent who answered the
    barrier question (selected a barrier or said no to one); for a respondent who gave no
    barrier answer at all it is missing.
    """
    stacked = np.column_stack(list(states.values()))
    answered = ((stacked == 1) | (stacked == 0)).any(axis=1)
    out: dict[str, np.ndarray] = {}
    explicit = []
    for b_id, state in states.items():
        values = np.where(state == 1, 1.0, np.where(state == 0, 0.0, np.nan))
        explicit.append(bool((state == 0).any()))
        if not explicit[-1]:
            values[(state == -1) & answered] = 0.0
        out[b_id] = values
    blanks = "missing" if all(explicit) else "not selected" if not any(explicit) else "mixed"
    return out, blanks


def barrier_states(raw: pd.Series, yes_words: Collection[str] = TRUE_WORDS) -> np.ndarray:
    """One barrier column read cell by cell: 1 selected, 0 not selected, -1 blank, -2 not a
    barrier answer. ``yes_words`` (normalised) also count as selected."""
    if pd.api.types.is_bool_dtype(raw.dtype) or pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        return np.select([np.isnan(values), values == 1, values == 0], [-1, 1, 0], default=-2).astype(np.int8)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    lookup = []
    for value in uniques:
        text = normalise_label(_cell_text(value))
        if text.endswith(".0") and text[:-2] in ("0", "1"):
            text = text[:-2]
        lookup.append(-1 if not text else 1 if text in yes_words else 0 if text in FALSE_WORDS else -2)
    return np.array(lookup + [-1], dtype=np.int8)[codes]


def barrier_flags(responses: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Barrier answers as 1.0 (reported), 0.0 or NaN, one column per barrier present.

    Read as survey files are (:func:`barrier_states` and :func:`barrier_values`): 1/0,
    yes/no, true/false, selected or the barrier's name, with the same rule for what a blank
    means.
    """
    frame = framework.by_id(responses)
    present = [b for b in framework.barriers if b.id in frame.columns]
    if not present:
        return pd.DataFrame(index=frame.index)
    states = {}
    for barrier in present:
        state = barrier_states(frame[barrier.id], TRUE_WORDS | {normalise_label(barrier.name)})
        if (state == -2).any():
            bad = frame[barrier.id][state == -2].iloc[0]
            raise DataError(f"barrier column '{barrier.id}' holds {bad!r}; expected 1/0, yes/no or blank")
        states[barrier.id] = state
    values, _ = barrier_values(states)
    return pd.DataFrame(values, index=frame.index)
