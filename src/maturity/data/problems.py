"""Problems found in a response file, and the report that collects them.

Every :class:`Problem` names the file, the row as the user sees it in the file (the line
of a text file, header lines counted; the row of a worksheet; the case number of an SPSS
file; the 1-based row of a Parquet file or a DataFrame), the column, the value and what
was expected. A :class:`ValidationReport` is *accepted* when no problem rejects it:
warnings never do, and in lenient mode cell and row problems are repaired (the cell set
to missing, the row skipped) and listed instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

#: Problem kinds: id -> what it means. File-level kinds reject a file even in lenient mode.
PROBLEM_KINDS: dict[str, str] = {
    "unreadable": "the file cannot be read",
    "empty": "the file is empty",
    "binary": "the file is binary, not a table of responses",
    "no_data": "the file has a header but no data rows",
    "missing_id_column": "there is no respondent id column",
    "missing_organisation_column": "a learner file has no column naming each learner's organisation",
    "duplicate_column": "two columns have the same name",
    "missing_item_column": "an item of the framework has no column",
    "extra_fields": "a row has more fields than the header",
    "blank_id": "a respondent has no id",
    "duplicate_id": "a respondent id appears more than once",
    "unknown_organisation": "a learner's organisation is not in the wave",
    "no_answers": "a respondent answered no item",
    "not_a_number": "an answer is neither a number nor a label of its scale",
    "not_finite": "an answer is not a finite number",
    "out_of_range": "an answer is outside its scale",
    "not_integer": "an answer is not a whole number on a whole-number scale",
    "demographic_value": "a demographic value the framework does not allow",
    "barrier_value": "a barrier answer that is neither selected nor not selected",
    "unknown_column": "a column the framework does not know (kept as an attribute)",
    "framework_version": "the responses were collected with another framework or framework version",
}
#: Kinds that concern the whole file: lenient mode cannot repair them.
FILE_KINDS = frozenset(
    {"unreadable", "empty", "binary", "no_data", "missing_id_column", "duplicate_column", "missing_item_column",
     "framework_version", "missing_organisation_column"}
)
#: Kinds repaired in lenient mode by skipping the respondent's row.
ROW_KINDS = frozenset({"extra_fields", "blank_id", "duplicate_id", "no_answers", "unknown_organisation"})
#: Kinds repaired in lenient mode by setting the cell to missing.
CELL_KINDS = frozenset({"not_a_number", "not_finite", "out_of_range", "not_integer", "demographic_value", "barrier_value"})
#: Kinds only a learner file can have (its organisation column and the wave's organisations).
LEARNER_KINDS = frozenset({"missing_organisation_column", "unknown_organisation"})
#: Kinds that are only ever warnings.
WARNING_KINDS = frozenset({"unknown_column"})

#: Problems the text report quotes.
SHOWN_PROBLEMS = 20
#: Problems a report keeps in full (counts by kind are always exact).
MAX_LISTED = 100_000
_MAX_VALUE_CHARS = 60

SET_TO_MISSING = "set to missing"
ROW_SKIPPED = "row skipped"


@dataclass(slots=True)
class Problem:
    """One problem in a response file.

    Attributes
    ----------
    kind : str
        One of :data:`PROBLEM_KINDS`.
    file : str
        The file's name as given.
    row : int or None
        Row as the user sees it (see the module docstring); None for whole-file problems.
    column : str or None
        The column's header as written in the file.
    value : str or None
        The offending value as text.
    expected : str
        What would have been valid.
    row_label : str
        ``"line"``, ``"row"`` or ``"case"``: what ``row`` counts.
    severity : str
        ``"error"`` or ``"warning"``.
    action : str or None
        In lenient mode, how the problem was repaired (``"set to missing"``, ``"row skipped"``).
    """

    kind: str
    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str = ""
    row_label: str = "row"
    severity: str = "error"
    action: str | None = None

    @property
    def rejects(self) -> bool:
        """Whether this problem makes the file unusable as it stands."""
        return self.severity == "error" and self.action is None

    @property
    def kind_text(self) -> str:
        """What the problem's kind means, in words (a subclass may word other kinds)."""
        return PROBLEM_KINDS.get(self.kind, self.kind)

    @property
    def message(self) -> str:
        """One line naming where the problem is, the value and what was expected."""
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = ", ".join(where) + ": " + self.kind_text
        if self.value is not None:
            text += f": {quote(self.value)}"
        if self.expected:
            text += f" (expected {self.expected})"
        if self.action:
            text += f"; {self.action}"
        return text

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["message"] = self.message
        return out


def quote(value: object) -> str:
    """A value as the user typed it, quoted and shortened for messages."""
    text = str(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return "'" + text.replace("\n", "\\n").replace("\r", "\\r") + "'"


@dataclass
class ValidationReport:
    """Everything validation found in one response file.

    Attributes
    ----------
    source : str
        The file (or ``"<DataFrame>"``).
    format : str
        ``csv``, ``xlsx``, ``sav``, ``parquet`` or ``dataframe``.
    n_rows : int
        Data rows read (header rows excluded).
    n_accepted : int
        Respondents kept (0 when rejected).
    problems : list of Problem
        The problems, in the order found; at most ``max_listed`` of them (counts stay exact).
    lenient : bool
    details : dict
        How the file was read: encoding, delimiter, decimal mark, layout (``plain``,
        ``qualtrics``, ``surveymonkey``, ``kobotoolbox``, ``odk-central``, ``limesurvey``),
        header rows, sheet.
    metadata_columns : list of str
        Survey-platform columns recognised and dropped (dates, IP addresses, progress...).
    absent_columns : list of str
        Optional framework columns (outcomes, demographics, barriers, name) not in the file.
    max_listed : int
        Problems kept in ``problems``; beyond it only the counts grow.
    """

    source: str
    format: str = "csv"
    n_rows: int = 0
    n_accepted: int = 0
    problems: list[Problem] = field(default_factory=list)
    lenient: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    metadata_columns: list[str] = field(default_factory=list)
    absent_columns: list[str] = field(default_factory=list)
    max_listed: int = MAX_LISTED
    _counts: Counter = field(default_factory=Counter, repr=False)
    _rejecting: int = field(default=0, repr=False)
    _repaired: int = field(default=0, repr=False)
    _warnings: int = field(default=0, repr=False)

    def add(self, problem: Problem) -> None:
        """Record a problem (listed while fewer than ``max_listed`` are)."""
        self._count(problem.kind, 1, problem.severity, problem.action)
        if len(self.problems) < self.max_listed:
            self.problems.append(problem)

    def add_many(self, count: int, make: Any, kind: str, severity: str = "error", action: str | None = None) -> None:
        """Record ``count`` problems of one kind; ``make(i)`` builds the i-th only if listed."""
        self._count(kind, count, severity, action)
        room = max(self.max_listed - len(self.problems), 0)
        self.problems.extend(make(i) for i in range(min(room, count)))

    def _count(self, kind: str, n: int, severity: str, action: str | None) -> None:
        self._counts[kind] += n
        if severity == "warning":
            self._warnings += n
        elif action is None:
            self._rejecting += n
        else:
            self._repaired += n

    @property
    def ok(self) -> bool:
        """True when the file is accepted (nothing rejects it)."""
        return self._rejecting == 0

    @property
    def n_problems(self) -> int:
        return sum(self._counts.values())

    @property
    def n_unlisted(self) -> int:
        """Problems counted but not kept in ``problems``."""
        return self.n_problems - len(self.problems)

    @property
    def unknown_columns(self) -> list[str]:
        return [p.column for p in self.problems if p.kind == "unknown_column" and p.column is not None]

    def counts(self) -> dict[str, int]:
        """Number of problems of each kind, in :data:`PROBLEM_KINDS` order."""
        return {kind: self._counts[kind] for kind in PROBLEM_KINDS if self._counts[kind]}

    def ordered(self) -> list[Problem]:
        """Listed problems: rejecting ones first, then by row."""
        return sorted(self.problems, key=lambda p: (not p.rejects, -1 if p.row is None else p.row))

    def summary(self) -> str:
        """One sentence: accepted or rejected, with counts by kind."""
        counts = ", ".join(f"{n} {kind}" for kind, n in self.counts().items())
        if not self.ok:
            return f"{self.source}: rejected: {self._rejecting} error(s) ({counts})"
        text = f"{self.source}: accepted: {self.n_accepted} respondent(s) of {self.n_rows} row(s)"
        parts = []
        if self._repaired:
            parts.append(f"{self._repaired} problem(s) repaired")
        if self._warnings:
            parts.append(f"{self._warnings} warning(s)")
        if parts:
            text += f"; {', '.join(parts)} ({counts})"
        return text

    def to_text(self, limit: int | None = SHOWN_PROBLEMS) -> str:
        """The report for a terminal: summary, how the file was read, then problems.

        Parameters
        ----------
        limit : int, optional
            Problems to list (default 20; None lists all). When a lenient read is
            accepted every repaired cell and skipped row is listed, as the user must see
            each change.
        """
        lines = [self.summary()]
        read = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in self.details.items() if v not in (None, ""))
        if read:
            lines.append(f"  read as {self.format}: {read}")
        if self.metadata_columns:
            lines.append(f"  survey-platform columns dropped: {', '.join(self.metadata_columns)}")
        if self.absent_columns:
            shown = ", ".join(self.absent_columns[:12]) + (", ..." if len(self.absent_columns) > 12 else "")
            lines.append(f"  optional columns not in the file (left missing): {shown}")
        ordered = self.ordered()
        if self.lenient and self.ok:
            limit = None
        listed = ordered if limit is None else ordered[:limit]
        lines += [f"  {p.severity}: {p.message}" for p in listed]
        hidden = self.n_problems - len(listed)
        if hidden:
            lines.append(f"  ... and {hidden} more (use --format json to list them)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report (every listed problem)."""
        return {
            "file": self.source,
            "format": self.format,
            "accepted": self.ok,
            "lenient": self.lenient,
            "n_rows": self.n_rows,
            "n_accepted": self.n_accepted,
            "details": dict(self.details),
            "counts": self.counts(),
            "n_errors": self._rejecting,
            "n_repaired": self._repaired,
            "n_warnings": self._warnings,
            "metadata_columns": list(self.metadata_columns),
            "absent_columns": list(self.absent_columns),
            "unknown_columns": self.unknown_columns,
            "problems": [p.to_dict() for p in self.ordered()],
            "n_unlisted": self.n_unlisted,
        }
