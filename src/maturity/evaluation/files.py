"""Reading and checking a plan's evidence files (CSV or XLSX, any layout the kit reads).

Each file is read with the kit's table reader (:mod:`maturity.data.raw_tables`), then
checked against its layout and the plan; every problem names the file, the line (or row),
the column and the value, as for survey files. :func:`read_evaluation_files` returns the
checked tables only when *every* file is accepted: one bad file rejects the evaluation, so
nothing is computed or stored from it.

Layouts (one header row, columns in any order, extra columns of ``results`` are KPIs):

- ``reaction``: ``learner_id``, reaction items on the plan's reaction scale, optional
  ``recommend`` (0-10).
- ``learning``: ``learner_id``, ``pre``, ``post`` on the plan's learning scale.
- ``behaviour``: ``learner_id``, ``rater`` (``self``/``manager``), ``phase``
  (``before``/``after``), behaviour items on the plan's behaviour scale.
- ``results``: ``unit_id``, ``group`` (``trained``/``comparison``), ``period``
  (``before``/``after``), the plan's cluster column if any, one column per KPI.
- ``estimates``: ``learner_id``, ``kpi``, ``contribution`` (0-1), ``confidence`` (0-1).
- ``stories``: ``learner_id``, ``story``.
- ``learners`` (optional roster): ``learner_id`` and anything else; when given, every
  learner of every file must be on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..data.problems import PROBLEM_KINDS, Problem, ValidationReport
from ..data.raw_tables import RawTable, read_table
from ..errors import ValidationFailed
from .plan import EvaluationPlan

#: Problem kinds of evaluation files (reading problems keep the kit's own kinds).
EVALUATION_PROBLEM_KINDS: dict[str, str] = {
    "missing_column": "a column the layout needs is missing",
    "duplicate_column": "two columns have the same name",
    "no_items": "the file has no item columns",
    "blank_id": "a row has no id",
    "duplicate_row": "the same learner or unit appears twice where once is expected",
    "not_a_number": "a value is not a number",
    "out_of_range": "a value is outside its scale",
    "bad_value": "a value the layout does not allow",
    "unknown_learner": "a learner who is not in the programme",
    "post_without_pre": "a post-test score without a pre-test score",
    "pre_without_post": "a pre-test score without a post-test score",
    "unknown_kpi": "a KPI the plan does not define",
    "missing_kpi": "a KPI of the plan has no column",
    "group_changes": "a unit is in the trained group in one period and the comparison group in the other",
    "unpaired_unit": "a unit has only one of the periods before and after",
    "no_trained": "the results file has no trained unit",
    "no_data": "the file has a header but no data rows",
}

_ID = "learner_id"


@dataclass(slots=True)
class EvaluationProblem(Problem):
    """A :class:`~maturity.data.problems.Problem` of an evaluation file, worded with
    :data:`EVALUATION_PROBLEM_KINDS`."""

    @property
    def kind_text(self) -> str:
        return EVALUATION_PROBLEM_KINDS.get(self.kind) or PROBLEM_KINDS.get(self.kind, self.kind)


@dataclass
class EvaluationFileReport(ValidationReport):
    """A :class:`~maturity.data.problems.ValidationReport` that counts the evaluation kinds too."""

    def counts(self) -> dict[str, int]:
        kinds = list(PROBLEM_KINDS) + [k for k in EVALUATION_PROBLEM_KINDS if k not in PROBLEM_KINDS]
        return {kind: self._counts[kind] for kind in kinds if self._counts[kind]}


@dataclass
class EvaluationData:
    """The checked evidence of one programme (absent levels are None).

    Attributes
    ----------
    reaction : DataFrame
        One row per learner: ``learner_id``, the items, optional ``recommend``.
    learning : DataFrame
        ``learner_id``, ``pre``, ``post``.
    behaviour : DataFrame
        ``learner_id``, ``rater``, ``phase``, the items.
    results : DataFrame
        ``unit_id``, ``group``, ``period``, optional ``cluster``, the KPIs.
    estimates : DataFrame
        ``learner_id``, ``kpi``, ``contribution``, ``confidence``.
    stories : DataFrame
        ``learner_id``, ``story``.
    reaction_items, behaviour_items : list of str
    reports : dict
        File name in the plan -> its :class:`ValidationReport`.
    """

    reaction: pd.DataFrame | None = None
    learning: pd.DataFrame | None = None
    behaviour: pd.DataFrame | None = None
    results: pd.DataFrame | None = None
    estimates: pd.DataFrame | None = None
    stories: pd.DataFrame | None = None
    learners: pd.DataFrame | None = None
    reaction_items: list[str] = field(default_factory=list)
    behaviour_items: list[str] = field(default_factory=list)
    reports: dict[str, ValidationReport] = field(default_factory=dict)

    @property
    def levels(self) -> list[str]:
        """The Kirkpatrick levels with evidence, in order."""
        return [name for name in ("reaction", "learning", "behaviour", "results") if getattr(self, name) is not None]


class _Sheet:
    """One file being checked: its table, its report and helpers that record problems."""

    def __init__(self, table: RawTable, report: ValidationReport) -> None:
        self.table = table
        self.report = report
        self.index: dict[str, int] = {}
        for pos, name in enumerate(table.columns):
            key = name.strip().lower()
            if not key:
                continue
            if key in self.index:
                self.problem("duplicate_column", column=name, expected="each column once")
            else:
                self.index[key] = pos
        self.rows = table.rows
        self.keep = ~np.asarray(table.bad_rows, dtype=bool) if len(table.bad_rows) else np.ones(len(table), bool)

    def problem(self, kind: str, **fields: Any) -> None:
        fields.setdefault("row_label", self.table.row_label)
        self.report.add(EvaluationProblem(kind, self.table.source, **fields))

    def problems_at(self, kind: str, positions: Iterable[int], column: str, values: pd.Series | None,
                    expected: str) -> None:
        positions = list(positions)
        self.report.add_many(
            len(positions),
            lambda i: EvaluationProblem(kind, self.table.source, row=int(self.rows[positions[i]]), column=column,
                                        value=None if values is None else str(values.iloc[positions[i]]),
                                        expected=expected, row_label=self.table.row_label),
            kind,
        )

    def has(self, name: str) -> bool:
        return name in self.index

    def require(self, *names: str) -> bool:
        missing = [n for n in names if n not in self.index]
        for name in missing:
            self.problem("missing_column", column=name, expected=f"a column named {name}")
        return not missing

    def name(self, key: str) -> str:
        return self.table.columns[self.index[key]].strip()

    def text(self, key: str) -> pd.Series:
        """A column as stripped text; blanks as ``""``."""
        raw = self.table.data[self.index[key]]
        return raw.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())

    def ids(self, key: str) -> pd.Series:
        values = self.text(key)
        blank = np.flatnonzero((values == "").to_numpy() & self.keep)
        self.problems_at("blank_id", blank, self.name(key), None, "an id in every row")
        return values

    def numbers(self, key: str, lo: float | None, hi: float | None, *, allow_blank: bool = True) -> pd.Series:
        """A column as floats (blank -> NaN); not-a-number and out-of-scale values recorded."""
        values = self.text(key)
        if self.table.details.get("decimal") == ",":
            values = values.str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        blank = (values == "").to_numpy()
        bad = np.flatnonzero(~blank & ~np.isfinite(numbers.to_numpy()) & self.keep)
        self.problems_at("not_a_number", bad, self.name(key), values, "a number")
        if not allow_blank:
            missing = np.flatnonzero(blank & self.keep)
            self.problems_at("not_a_number", missing, self.name(key), values, "a number (the cell is blank)")
        arr = numbers.to_numpy()
        outside = np.zeros(len(arr), dtype=bool)
        with np.errstate(invalid="ignore"):
            if lo is not None:
                outside |= arr < lo
            if hi is not None:
                outside |= arr > hi
        scale = f"a value from {lo:g} to {hi:g}" if lo is not None and hi is not None else "a number"
        self.problems_at("out_of_range", np.flatnonzero(outside & self.keep), self.name(key), values, scale)
        numbers[~np.isfinite(arr) | outside] = np.nan
        return numbers

    def choice(self, key: str, allowed: tuple[str, ...]) -> pd.Series:
        values = self.text(key).str.lower()
        bad = np.flatnonzero(~values.isin(allowed).to_numpy() & self.keep)
        self.problems_at("bad_value", bad, self.name(key), self.text(key), " or ".join(allowed))
        return values

    def duplicates(self, frame: pd.DataFrame, keys: list[str], column: str, what: str) -> None:
        dup = frame.duplicated(keys, keep="first").to_numpy() & self.keep
        shown = frame[keys[0]].astype(str)
        self.problems_at("duplicate_row", np.flatnonzero(dup), column, shown, what)

    def item_keys(self, reserved: set[str]) -> list[str]:
        return [key for key in self.index if key not in reserved]


def _open(name: str, path) -> _Sheet:
    table = read_table(path)
    report = EvaluationFileReport(str(path), table.format, n_rows=len(table))
    report.details.update(table.details)
    for found in table.problems:
        report.add(found)
    sheet = _Sheet(table, report)
    if table.readable and len(table) == 0 and table.columns:
        sheet.problem("no_data", expected="at least one data row under the header")
    return sheet


def read_evaluation_files(plan: EvaluationPlan) -> EvaluationData:
    """Read and check every file the plan names.

    Returns
    -------
    EvaluationData

    Raises
    ------
    ValidationFailed
        When any file has a rejecting problem; ``report`` is the dict of every file's
        :class:`ValidationReport`, and the message lists the first problems.
    """
    data = EvaluationData()
    sheets = {name: _open(name, path) for name, path in plan.files.items()}
    readers = {
        "learners": _learners, "reaction": _reaction, "learning": _learning, "behaviour": _behaviour,
        "results": _results, "estimates": _estimates, "stories": _stories,
    }
    for name, sheet in sheets.items():
        if sheet.table.readable and len(sheet.table):
            readers[name](sheet, plan, data)
    _check_learners(sheets, data)
    data.reports = {name: sheet.report for name, sheet in sheets.items()}
    for name, sheet in sheets.items():
        frame = getattr(data, name)
        sheet.report.n_accepted = 0 if frame is None or not sheet.report.ok else len(frame)
    rejected = [r for r in data.reports.values() if not r.ok]
    if rejected:
        lines = [r.summary() for r in rejected]
        problems = [p for r in rejected for p in r.ordered() if p.rejects]
        lines += [f"  {p.message}" for p in problems[:20]]
        more = sum(r.n_problems for r in rejected) - min(len(problems), 20)
        if more > 0:
            lines.append(f"  ... and {more} more")
        raise ValidationFailed("evaluation files rejected; nothing was computed or stored:\n" + "\n".join(lines),
                               report=data.reports)
    return data


def _learners(sheet: _Sheet, plan: EvaluationPlan, data: EvaluationData) -> None:
    if not sheet.require(_ID):
        return
    ids = sheet.ids(_ID)
    frame = pd.DataFrame({_ID: ids})
    sheet.duplicates(frame, [_ID], sheet.name(_ID), "each learner once")
    data.learners = frame[sheet.keep & (ids != "").to_numpy()].drop_duplicates(_ID)


def _scored_items(sheet: _Sheet, reserved: set[str], scale: tuple[float, float]) -> tuple[list[str], dict]:
    keys = sheet.item_keys(reserved)
    if not keys:
        sheet.problem("no_items", expected=f"at least one item column besides {', '.join(sorted(reserved))}")
    return [sheet.name(k) for k in keys], {sheet.name(k): sheet.numbers(k, *scale) for k in keys}


def _reaction(sheet: _Sheet, plan: EvaluationPlan, data: EvaluationData) -> None:
    if not sheet.require(_ID):
        return
    ids = sheet.ids(_ID)
    items, columns = _scored_items(sheet, {_ID, "recommend"}, plan.scales["reaction"])
    frame = pd.DataFrame({_ID: ids, **columns})
    if sheet.has("recommend"):
        recommend = sheet.numbers("recommend", 0, 10)
        whole = recommend.notna() & (recommend != np.round(recommend))
        sheet.problems_at("out_of_range", np.flatnonzero(whole.to_numpy() & sheet.keep), sheet.name("recommend"),
                          sheet.text("recommend"), "a whole number from 0 to 10")
        frame["recommend"] = recommend
    sheet.duplicates(frame, [_ID], sheet.name(_ID), "one reaction row per learner")
    data.reaction = frame[sheet.keep].reset_index(drop=True)
    data.reaction_items = items


def _learning(sheet: _Sheet, plan: EvaluationPlan, data: EvaluationData) -> None:
    if not sheet.require(_ID, "pre", "post"):
        return
    ids = sheet.ids(_ID)
    lo, hi = plan.scales["learning"]
    pre, post = sheet.numbers("pre", lo, hi), sheet.numbers("post", lo, hi)
    blank_pre = (sheet.text("pre") == "").to_numpy()
    blank_post = (sheet.text("post") == "").to_numpy()
    sheet.problems_at("post_without_pre", np.flatnonzero(blank_pre & ~blank_post & sheet.keep), sheet.name("pre"),
                      sheet.text("post").rename("post"), "a pre-test score beside the post-test score")
    sheet.problems_at("pre_without_post", np.flatnonzero(~blank_pre & blank_post & sheet.keep), sheet.name("post"),
                      sheet.text("pre"), "a post-test score beside the pre-test score")
    frame = pd.DataFrame({_ID: ids, "pre": pre, "post": post})
    sheet.duplicates(frame, [_ID], sheet.name(_ID), "one row per learner")
    data.learning = frame[sheet.keep & ~(blank_pre & blank_post)].reset_index(drop=True)


def _behaviour(sheet: _Sheet, plan: EvaluationPlan, data: EvaluationData) -> None:
    if not sheet.require(_ID, "rater", "phase"):
        return
    ids = sheet.ids(_ID)
    rater = sheet.choice("rater", ("self", "manager"))
    phase = sheet.choice("phase", ("before", "after"))
    items, columns = _scored_items(sheet, {_ID, "rater", "phase"}, plan.scales["behaviour"])
    frame = pd.DataFrame({_ID: ids, "rater": rater, "phase": phase, **columns})
    sheet.duplicates(frame, [_ID, "rater", "phase"], sheet.name(_ID), "one row per learner, rater and phase")
    data.behaviour = frame[sheet.keep].reset_index(drop=True)
    data.behaviour_items = items


def _results(sheet: _Sheet, plan: EvaluationPlan, data: EvaluationData) -> None:
    if not sheet.require("unit_id", "group", "period"):
        return
    reserved = {"unit_id", "group", "period"}
    cluster_key = None
    if plan.cluster:
        cluster_key = plan.cluster.lower()
        if sheet.require(cluster_key):
            reserved.add(cluster_key)
    kpi_keys = {name.lower(): name for name in plan.kpis}
    for key in sheet.item_keys(reserved):
        if key not in kpi_keys:
            sheet.problem("unknown_kpi", column=sheet.name(key), value=sheet.name(key),
                          expected=f"a KPI of the plan ({', '.join(plan.kpis) or 'none defined'}); add it under kpis:")
    present = {}
    for key, name in kpi_keys.items():
        if key in sheet.index:
            present[name] = sheet.numbers(key, None, None)
        else:
            sheet.problem("missing_kpi", column=name, expected=f"a column for the KPI {name} of the plan")
    units = sheet.ids("unit_id")
    group = sheet.choice("group", ("trained", "comparison"))
    period = sheet.choice("period", ("before", "after"))
    frame = pd.DataFrame({"unit_id": units, "group": group, "period": period})
    if cluster_key and cluster_key in sheet.index:
        frame["cluster"] = sheet.ids(cluster_key)
    for name, values in present.items():
        frame[name] = values
    sheet.duplicates(frame, ["unit_id", "period"], sheet.name("unit_id"), "one row per unit and period")
    valid = sheet.keep & group.isin(("trained", "comparison")).to_numpy() & period.isin(("before", "after")).to_numpy()
    groups = frame[valid].groupby("unit_id")["group"].nunique()
    switched = set(groups.index[groups > 1])
    positions = np.flatnonzero(frame["unit_id"].isin(switched).to_numpy() & valid & (period == "after").to_numpy())
    sheet.problems_at("group_changes", positions, sheet.name("group"), sheet.text("group"),
                      "the same group in both periods")
    periods = frame[valid].groupby("unit_id")["period"].nunique()
    single = set(periods.index[periods < 2])
    positions = np.flatnonzero(frame["unit_id"].isin(single).to_numpy() & valid)
    sheet.problems_at("unpaired_unit", positions, sheet.name("period"), sheet.text("period"),
                      "a row for the unit before and a row after")
    if valid.any() and not (group[valid] == "trained").any():
        sheet.problem("no_trained", column=sheet.name("group"), expected="some units in the trained group")
    data.results = frame[sheet.keep].reset_index(drop=True)


def _estimates(sheet: _Sheet, plan: EvaluationPlan, data: EvaluationData) -> None:
    if not sheet.require(_ID, "kpi", "contribution", "confidence"):
        return
    ids = sheet.ids(_ID)
    kpi = sheet.text("kpi")
    known = {name.lower(): name for name in plan.kpis}
    bad = np.flatnonzero(~kpi.str.lower().isin(known).to_numpy() & sheet.keep)
    sheet.problems_at("unknown_kpi", bad, sheet.name("kpi"), kpi, f"a KPI of the plan ({', '.join(plan.kpis)})")
    frame = pd.DataFrame({
        _ID: ids, "kpi": kpi.str.lower().map(known),
        "contribution": sheet.numbers("contribution", 0, 1, allow_blank=False),
        "confidence": sheet.numbers("confidence", 0, 1, allow_blank=False),
    })
    sheet.duplicates(frame, [_ID, "kpi"], sheet.name(_ID), "one estimate per learner and KPI")
    data.estimates = frame[sheet.keep].reset_index(drop=True)


def _stories(sheet: _Sheet, plan: EvaluationPlan, data: EvaluationData) -> None:
    if not sheet.require(_ID, "story"):
        return
    frame = pd.DataFrame({_ID: sheet.ids(_ID), "story": sheet.text("story")})
    data.stories = frame[sheet.keep & (frame["story"] != "").to_numpy()].reset_index(drop=True)


def _check_learners(sheets: dict[str, _Sheet], data: EvaluationData) -> None:
    """Every learner must be on the roster when one is given; estimates and stories must
    concern learners seen elsewhere (a results unit or a learner of a level file)."""
    if data.learners is not None:
        roster = set(data.learners[_ID])
        checked = ("reaction", "learning", "behaviour", "estimates", "stories")
    else:
        roster = set()
        for name in ("reaction", "learning", "behaviour"):
            frame = getattr(data, name)
            if frame is not None:
                roster |= set(frame[_ID])
        if data.results is not None:
            roster |= set(data.results.loc[data.results["group"] == "trained", "unit_id"])
        checked = ("estimates", "stories") if roster else ()
    for name in checked:
        frame, sheet = getattr(data, name), sheets.get(name)
        if frame is None or sheet is None or _ID not in sheet.index:
            continue
        ids = sheet.text(_ID)
        unknown = np.flatnonzero(~ids.isin(roster).to_numpy() & (ids != "").to_numpy() & sheet.keep)
        sheet.problems_at("unknown_learner", unknown, sheet.name(_ID), ids,
                          "a learner of the programme" + (" (on the learners roster)" if data.learners is not None
                                                          else " (in another evaluation file)"))
