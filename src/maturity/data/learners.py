"""The learner level of a wave: staff answers stored beside their organisations' answers.

A learner file (CSV/TSV or Parquet) has one row per learner, a column naming the learner's
organisation (default ``organisation_id``) and one column per item of a learner framework
(``level: learner``, e.g. the packaged ``learner-voice``). It is imported into an existing
wave of the benchmark database, in one transaction, and checked entirely inside DuckDB, so
a million learners import in seconds and in little memory:

1. DuckDB reads the file (detecting each column's type; every field as text when a column
   taken for numbers holds text further down) and converts it in one pass into the wave's
   learner table: answers as numbers on their printed scale (labels mapped, case and
   surrounding spaces ignored), barriers as 1/0, single-choice answers in the framework's
   spelling, and the organisation id replaced by the organisation's key in the wave;
2. one aggregate query counts every problem: an organisation not in the wave (or blank), an
   answer neither a number nor a label, off the scale, not a whole number, an unknown choice;
3. on any problem the transaction is rolled back (the database is as it was) and the file is
   read once more to name each problem by file, line, column and value
   (:class:`~maturity.errors.ValidationFailed`, whose ``report`` lists them).

Importing the same file into the same wave again changes nothing; a different file for a
wave that already has learners is refused unless ``replace=True``, and then replaces the old
learners in the same transaction. Learner ids, names and columns the framework does not
know are not stored: only the organisation and the answers.

The tables it writes, and the functions reading them, are in :mod:`maturity.data.learner_tables`.
"""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ..config import DEFAULT_ORGANISATION_COLUMN
from ..errors import DataError, StoreError, ValidationFailed
from ..framework import Framework, normalise_label
from ..framework_document import framework_document
from .learner_tables import LEVEL_TABLE, has_table, learner_table, sql_ident, sql_literal
from .problems import Problem, ValidationReport
from .responses import FALSE_WORDS, TRUE_WORDS
from .store import BenchmarkStore

__all__ = ["DEFAULT_ORGANISATION_COLUMN", "LearnerImportResult", "import_learners"]

#: Problems of one kind quoted in a rejected import's report.
_LISTED_PER_KIND = 200
_INVALID = "\x01"  # marks a choice answer the framework does not know (never a real value)


@dataclass(frozen=True)
class LearnerImportResult:
    """What a learner import did: ``status`` is ``imported``, ``replaced`` or ``unchanged``."""

    wave: str
    status: str
    n_learners: int
    n_organisations: int
    source_name: str
    source_sha256: str
    database: str

    @property
    def message(self) -> str:
        if self.status == "unchanged":
            return (f"wave {self.wave} of {self.database} already holds these learners "
                    f"({self.n_learners} learners of {self.n_organisations} organisations); nothing was added")
        verb = "Replaced" if self.status == "replaced" else "Imported"
        return (f"{verb} the learners of wave {self.wave} in {self.database}: {self.n_learners} learners of "
                f"{self.n_organisations} organisations from {self.source_name}")


def _column_key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.casefold())


#: DuckDB column types read as numbers without conversion.
_NUMERIC_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                            "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE"})


def _reader(path: Path, *, text_columns: list[str] = (), all_text: bool = False) -> str:
    """The DuckDB table function reading ``path``.

    By default DuckDB detects each column's type (numbers are parsed by the reader, the
    fastest path); ``text_columns`` are read as text whatever they hold (the organisation
    id keeps its leading zeros). ``all_text`` reads every field as text: the fallback when a
    column detected as numeric holds a label further down, and the way problems are quoted.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return f"(SELECT * FROM read_parquet({sql_literal(str(path))}))"
    if suffix not in (".csv", ".tsv", ".txt"):
        raise DataError(f"{path}: a learner file must be .csv, .tsv, .txt or .parquet")
    options = "header = true"
    if all_text:
        options += ", all_varchar = true"
    elif text_columns:
        options += ", types = {" + ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in text_columns) + "}"
    return f"read_csv({sql_literal(str(path))}, {options})"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _text(column: str, column_type: str) -> str:
    return sql_ident(column) if column_type == "VARCHAR" else f"CAST({sql_ident(column)} AS VARCHAR)"


def _item_sql(column: str, column_type: str, framework: Framework, scale_id: str) -> str:
    """SQL converting an answer to its number: a number, else a label, else NaN (invalid).

    Labels are matched as printed first, then ignoring case and surrounding spaces: the
    exact test is what almost every exported cell needs, and it is the cheap one.
    """
    if column_type in _NUMERIC_TYPES:
        return f"CAST({sql_ident(column)} AS DOUBLE)"
    scale = framework.scales[scale_id]
    v = _text(column, column_type)
    exact = " ".join(f"WHEN {v} = {sql_literal(text)} THEN {float(x)!r}" for x, text in scale.labels.items())
    loose = " ".join(f"WHEN {sql_literal(normalise_label(text))} THEN {float(x)!r}" for x, text in scale.labels.items())
    return (f"CASE WHEN {v} IS NULL THEN NULL {exact} ELSE CASE lower(trim({v})) {loose} WHEN '' THEN NULL "
            f"ELSE coalesce(TRY_CAST(trim({v}) AS DOUBLE), 'NaN'::DOUBLE) END END")


def _barrier_sql(column: str, column_type: str, name: str) -> str:
    if column_type in _NUMERIC_TYPES:
        v = sql_ident(column)
        return f"CASE WHEN {v} IS NULL THEN NULL WHEN {v} = 1 THEN 1.0 WHEN {v} = 0 THEN 0.0 ELSE 'NaN'::DOUBLE END"
    v = f"lower(trim({_text(column, column_type)}))"
    yes = ", ".join(sql_literal(w) for w in sorted(TRUE_WORDS | {normalise_label(name)}))
    no = ", ".join(sql_literal(w) for w in sorted(FALSE_WORDS))
    return (f"CASE WHEN {v} IS NULL OR {v} = '' THEN NULL WHEN {v} IN ({yes}) THEN 1.0 WHEN {v} IN ({no}) THEN 0.0 "
            f"ELSE coalesce(CASE TRY_CAST({v} AS DOUBLE) WHEN 1 THEN 1.0 WHEN 0 THEN 0.0 END, 'NaN'::DOUBLE) END")


def _choice_sql(column: str, column_type: str, values: tuple[str, ...]) -> str:
    v = _text(column, column_type)
    exact = " ".join(f"WHEN {v} = {sql_literal(value)} THEN {sql_literal(value)}" for value in values)
    loose = " ".join(f"WHEN {sql_literal(normalise_label(value))} THEN {sql_literal(value)}" for value in values)
    return (f"CASE WHEN {v} IS NULL THEN NULL {exact} ELSE CASE lower(trim({v})) {loose} WHEN '' THEN NULL "
            f"ELSE {sql_literal(_INVALID)} END END")


@dataclass(frozen=True)
class _Plan:
    """Which file column feeds which framework column."""

    organisation: str
    columns: list[tuple[str, str, str]]  # (framework id, file column, kind: item, barrier or choice)
    unknown: list[str]


def _plan(header: list[str], framework: Framework, organisation_column: str, report: ValidationReport) -> _Plan | None:
    by_key: dict[str, str] = {}
    for name in header:
        by_key.setdefault(_column_key(name), name)

    def find(wanted: str) -> str | None:
        return wanted if wanted in header else by_key.get(_column_key(wanted))

    organisation = find(organisation_column)
    if organisation is None:
        report.add(Problem("missing_organisation_column", report.source, column=organisation_column,
                           expected=f"a column '{organisation_column}' naming each learner's organisation",
                           row_label="line"))
    columns: list[tuple[str, str, str]] = []
    for item in framework.items:
        source = find(item.id)
        if source is None:
            report.add(Problem("missing_item_column", report.source, column=item.id,
                               expected=f"a column for item '{item.id}'", row_label="line"))
            continue
        columns.append((item.id, source, "item"))
    for kind, entries in (("barrier", framework.barriers), ("choice", framework.demographics)):
        for entry in entries:
            source = find(entry.id)
            if source is not None:
                columns.append((entry.id, source, kind))
    used = {organisation} | {c[1] for c in columns}
    ignored = {find(framework.id_column), find(framework.name_column)}
    unknown = [name for name in header if name not in used and name not in ignored]
    for name in unknown:
        report.add(Problem("unknown_column", report.source, column=name, severity="warning", row_label="line",
                           expected="a column of the learner framework (not stored)"))
    if organisation is None or not report.ok:
        return None
    return _Plan(organisation, columns, unknown)


def _column_sql(plan: _Plan, framework: Framework, types: dict[str, str]) -> list[tuple[str, str]]:
    """(framework id, SQL converting the file column) for every planned column."""
    items = {i.id: i for i in framework.items}
    barriers = {b.id: b for b in framework.barriers}
    choices = {d.id: d for d in framework.demographics}
    out = []
    for fid, source, kind in plan.columns:
        column_type = types.get(source, "VARCHAR")
        if kind == "item":
            sql = _item_sql(source, column_type, framework, items[fid].scale)
        elif kind == "barrier":
            sql = _barrier_sql(source, column_type, barriers[fid].name)
        else:
            sql = _choice_sql(source, column_type, choices[fid].values)
        out.append((fid, sql))
    return out


def _checks(plan: _Plan, framework: Framework) -> list[tuple[str, str, str, str]]:
    """(problem kind, framework id, SQL condition on the converted table, expected) of every check."""
    checks = [("unknown_organisation", "", "org_key IS NULL", "the id of an organisation in the wave")]
    scales = {item.id: framework.scales[item.scale] for item in framework.items}
    for fid, _source, kind in plan.columns:
        col = sql_ident(fid)
        if kind == "item":
            scale = scales[fid]
            checks.append(("not_a_number", fid, f"isnan({col})", scale.describe()))
            checks.append(("not_finite", fid, f"isinf({col})", scale.describe()))
            checks.append(("out_of_range", fid, f"isfinite({col}) AND ({col} < {scale.min!r} OR {col} > {scale.max!r})",
                           scale.describe()))
            if scale.integer:
                checks.append(("not_integer", fid, f"isfinite({col}) AND {col} <> round({col})", scale.describe()))
        elif kind == "barrier":
            checks.append(("barrier_value", fid, f"isnan({col})", "selected or not (1/0, yes/no, or the barrier's name)"))
        else:
            values = next(d.values for d in framework.demographics if d.id == fid)
            checks.append(("demographic_value", fid, f"{col} = {sql_literal(_INVALID)}", "one of: " + ", ".join(values)))
    return checks


def _any_problem_sql(plan: _Plan, framework: Framework) -> str:
    """SQL counting the rows with any problem: one cheap test per column (an item's answer
    must lie on its scale; NaN and infinities fail it), so an accepted file pays little;
    a rejected one is then checked in detail by :func:`_checks`."""
    scales = {item.id: framework.scales[item.scale] for item in framework.items}
    tests = ["org_key IS NULL"]
    for fid, _source, kind in plan.columns:
        col = sql_ident(fid)
        if kind == "item":
            scale = scales[fid]
            valid = f"{col} BETWEEN {scale.min!r} AND {scale.max!r}"
            if scale.integer:
                valid += f" AND {col} = round({col})"
            tests.append(f"NOT ({valid})")
        elif kind == "barrier":
            tests.append(f"isnan({col})")
        else:
            tests.append(f"{col} = {sql_literal(_INVALID)}")
    return "count(*) FILTER (WHERE " + " OR ".join(f"coalesce({t}, false)" for t in tests) + ")"


def _converted_sql(plan: _Plan, framework: Framework, reader: str, types: dict[str, str], key: int,
                   with_line: bool = False) -> str:
    selects = ["w.wave_org_key AS org_key"] + [f"{sql} AS {sql_ident(fid)}" for fid, sql in _column_sql(plan, framework, types)]
    if with_line:
        selects = ["r.rowid + 2 AS line", f"r.{sql_ident(plan.organisation)} AS raw_organisation"] + selects \
            + [f"r.{sql_ident(src)} AS {sql_ident('raw_' + fid)}" for fid, src, _k in plan.columns]
    # Names no file column is likely to have, so the file's columns can be named unqualified.
    wave_orgs = (f"(SELECT p.org_key AS wave_org_key, o.organisation_id AS wave_organisation_id FROM participants p "
                 f"JOIN organisations o USING (org_key) WHERE p.wave_key = {int(key)})")
    return (f"SELECT {', '.join(selects)} FROM {reader} r LEFT JOIN {wave_orgs} w "
            f"ON w.wave_organisation_id = trim({_text(plan.organisation, types.get(plan.organisation, 'VARCHAR'))})")


def import_learners(
    store: BenchmarkStore,
    path: str | Path,
    wave: str | int,
    framework: Framework,
    *,
    organisation_column: str = DEFAULT_ORGANISATION_COLUMN,
    replace: bool = False,
) -> LearnerImportResult:
    """Validate a learner file and store it as the learner level of an existing wave.

    Parameters
    ----------
    store : BenchmarkStore
        Opened for writing.
    path : path
        CSV/TSV/TXT (header row, any delimiter DuckDB detects) or Parquet.
    wave : str
        A wave already in the database (its organisations are the ones learners may name).
    framework : Framework
        A learner framework (``level: learner``).
    organisation_column : str
        Column naming each learner's organisation (matched ignoring case, spaces, ``_`` and ``-``).
    replace : bool
        Replace learners the wave already holds from a different file.

    Returns
    -------
    LearnerImportResult

    Raises
    ------
    ValidationFailed
        The file has problems (``exc.report`` names each by file, line, column and value);
        nothing was written.
    StoreError
        No such wave, the database is read-only, or the wave already has other learners
        and ``replace`` is false.
    DataError
        Not a learner framework, or not a readable learner file.
    """
    if framework.level != "learner":
        raise DataError(f"framework '{framework.id}' is an {framework.level}-level framework; "
                        "learner files need a framework with `level: learner` (e.g. learner-voice)")
    if store.read_only:
        raise StoreError(f"the database {store.path} is open read-only")
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    label = store.resolve_wave(wave)
    con = store.con
    key = int(con.execute("SELECT wave_key FROM waves WHERE wave = ?", [label]).fetchone()[0])
    source_name = str(path)
    report = ValidationReport(source_name, format=path.suffix.lstrip(".").lower() or "csv")
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {_reader(path)}").fetchall()
    except duckdb.Error as exc:  # DuckDB cannot make a table of the file
        report.add(Problem("unreadable", source_name, value=str(exc).splitlines()[0], row_label="line"))
        _reject(report)
    header = [row[0] for row in described]
    plan = _plan(header, framework, organisation_column, report)
    if plan is None:
        _reject(report)
    types = {row[0]: row[1] for row in described}
    types[plan.organisation] = "VARCHAR"
    reader = _reader(path, text_columns=[plan.organisation])

    fw_text = framework_document(framework)
    fw_sha = hashlib.sha256(fw_text.encode("utf-8")).hexdigest()
    existing = None
    if has_table(store, "learner_levels"):
        existing = con.execute("SELECT framework_sha256, source_sha256, n_learners, n_organisations, source_name "
                               "FROM learner_levels WHERE wave_key = ?", [key]).fetchone()
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The file's fingerprint is computed while DuckDB reads it (both release the GIL),
        # unless it decides first whether there is anything to do.
        hashing = pool.submit(_file_sha256, path)
        if existing is not None:
            old_fw, old_source, old_n, old_orgs, old_name = existing
            if old_fw == fw_sha and old_source == hashing.result():
                return LearnerImportResult(label, "unchanged", int(old_n), int(old_orgs), old_name, old_source,
                                           str(store.path))
            if not replace:
                raise StoreError(f"wave {label} of {store.path} already holds learners from {old_name}; use "
                                 "--replace (replace=True) to replace them")
        table = sql_ident(learner_table(key))
        try:
            _create(con, table, _converted_sql(plan, framework, reader, types, key))
        except duckdb.Error:
            # A column DuckDB took for numbers holds text further down: read every field as text.
            _rollback(con)
            text_types = {name: "VARCHAR" for name in header}
            try:
                _create(con, table, _converted_sql(plan, framework, _reader(path, all_text=True), text_types, key))
            except duckdb.Error as exc:  # a malformed line
                _rollback(con)
                report.add(Problem("unreadable", source_name, value=str(exc).splitlines()[0], row_label="line"))
                _reject(report)
        try:
            n_learners, n_orgs, n_bad = con.execute(
                f"SELECT count(*), count(DISTINCT org_key), {_any_problem_sql(plan, framework)} FROM {table}").fetchone()
            if n_learners == 0:
                report.add(Problem("no_data", source_name, row_label="line"))
            if n_bad or not report.ok:
                con.execute("ROLLBACK")
                report.n_rows = int(n_learners)
                if n_bad:
                    _describe_problems(store, plan, framework, path, key, report)
                _reject(report)
            source_sha = hashing.result()
            now = datetime.now(timezone.utc).replace(tzinfo=None)
            con.execute("DELETE FROM learner_levels WHERE wave_key = ?", [key])
            con.execute("INSERT INTO learner_levels VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [key, framework.id, framework.version, fw_text, fw_sha, plan.organisation, now, source_name,
                         source_sha, n_learners, n_orgs])
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
    status = "replaced" if existing is not None else "imported"
    return LearnerImportResult(label, status, n_learners, n_orgs, source_name, source_sha, str(store.path))


def _create(con, table: str, select: str) -> None:
    """Open the import's transaction and (re)create the wave's learner table from ``select``.

    Rows need not keep the file's order (lines are numbered from the file itself when a
    problem is reported), which lets DuckDB write the table in parallel.
    """
    previous = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(LEVEL_TABLE)
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TABLE {table} AS {select}")
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if previous else 'false'}")


def _rollback(con) -> None:
    try:
        con.execute("ROLLBACK")
    except Exception:  # the transaction already ended
        pass


def _reject(report: ValidationReport) -> None:
    first = [p.message for p in report.ordered() if p.rejects][:3]
    raise ValidationFailed(f"{report.summary()}. First: " + "; ".join(first), report)


def _describe_problems(store: BenchmarkStore, plan: _Plan, framework: Framework, path: Path, key: int,
                       report: ValidationReport) -> None:
    """Read the file again as text, with line numbers; count each kind of problem and list
    up to a few hundred of each (the counts stay exact)."""
    con = store.con
    # A table keeps the file's row order, so its rowid gives each row's line.
    con.execute("CREATE OR REPLACE TEMP TABLE learner_raw AS SELECT * FROM " + _reader(path, all_text=True))
    try:
        types = {row[0]: "VARCHAR" for row in con.execute("DESCRIBE learner_raw").fetchall()}
        raw = _converted_sql(plan, framework, "learner_raw", types, key, with_line=True)
        sources = {fid: src for fid, src, _k in plan.columns}
        checks = _checks(plan, framework)
        counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {cond})" for _k, _f, cond, _e in checks)
                             + f" FROM ({raw})").fetchone()
        for (kind, fid, cond, expected), count in zip(checks, counts):
            if not count:
                continue
            value = "raw_organisation" if kind == "unknown_organisation" else sql_ident("raw_" + fid)
            rows = con.execute(f"SELECT line, {value} FROM ({raw}) WHERE {cond} ORDER BY line "
                               f"LIMIT {_LISTED_PER_KIND}").fetchall()
            column = plan.organisation if kind == "unknown_organisation" else sources[fid]
            listed = [Problem(kind, report.source, int(line), column, "" if v is None else str(v), expected,
                              row_label="line") for line, v in rows]
            # Every problem is counted; only the first few hundred of a kind are listed.
            cap = report.max_listed
            report.max_listed = min(cap, len(report.problems) + len(listed))
            report.add_many(int(count), listed.__getitem__, kind)
            report.max_listed = cap
    finally:
        con.execute("DROP TABLE IF EXISTS learner_raw")
