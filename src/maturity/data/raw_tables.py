"""Reading survey files into a raw table, before any framework is applied.

Supported: delimited text (CSV, TSV, TXT: delimiter, encoding and decimal comma sniffed),
Excel workbooks (.xlsx, first sheet or a named one), SPSS (.sav, value labels honoured)
and Parquet. The format is recognised from the file's first bytes, then its extension.
Survey-platform exports with several header rows are recognised: Qualtrics (column ids,
question texts, then a row of ``{"ImportId": ...}``), legacy Qualtrics (V1, V2, ... then
question texts) and SurveyMonkey (question texts, then sub-question or "Response"); the
response exports of KoboToolbox, ODK Central and LimeSurvey are recognised by their
metadata columns (:mod:`maturity.data.platform_exports`).

Each data row keeps the row number the user sees in the file: the line of a text file
(header lines and blank lines counted, a quoted field spanning lines counted at its first
line), the row of a worksheet, the case number of an SPSS file, the 1-based row of
Parquet. The input file is only read, never modified.

A **folder** (e.g. the submissions ``maturity quickcheck --collect`` writes) is read as the
concatenation of its files, in name order: every non-hidden file with a supported
extension, columns matched by header (a column missing from a file is blank there). Each
row remembers its file and row (``row_sources``), so problems name the file they are in.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .platform_exports import detect_platform
from .problems import Problem

#: Extensions and the format they name (content sniffing takes precedence).
SUFFIX_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv", ".dat": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".sav": "sav", ".zsav": "sav",
    ".parquet": "parquet", ".pq": "parquet",
}
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SNIFF_CHARS = 256 * 1024
_SNIFF_RECORDS = 200
_SEP_HINT = re.compile(r"^sep=([,;\t|])\r?\n")
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_DECIMAL_POINT = re.compile(r"^\s*[+-]?\d+\.\d+\s*$")
#: SurveyMonkey's second header row holds these over single-answer columns.
_SURVEYMONKEY_GENERIC = {"response", "open-ended response", "other (please specify)"}


@dataclass
class RawTable:
    """A table as read from a file: header texts, cells, and where each row came from.

    Attributes
    ----------
    source : str
        The file name for messages.
    format : str
        ``csv``, ``xlsx``, ``sav``, ``parquet`` or ``dataframe``.
    columns : list of str
        One name per column (stripped header text; ``""`` when blank).
    header_rows : list of list of str
        Every header row's texts (Qualtrics question texts, SPSS variable labels...),
        each as wide as ``columns``; used to match columns to items by their wording.
    data : DataFrame
        Cells with positional column labels ``0..k-1`` (text, or typed for binary formats).
    rows : ndarray of int
        Row number as the user sees it, per data row.
    row_label : str
        What ``rows`` counts: ``line``, ``row`` or ``case``.
    header_row : int or None
        Row number of the (first) header row.
    details : dict
        How the file was read (encoding, delimiter, decimal, layout, header rows, sheet).
    problems : list of Problem
        Problems found while reading (unreadable, empty, binary, extra fields...).
    bad_rows : ndarray of bool
        Rows with a reading problem (skipped in lenient mode).
    codes : dict
        SPSS only: column position -> the original codes (as text) of a column whose
        cells were replaced by their value labels.
    row_sources : list of (str, int, str), optional
        A folder only: the file, row number and row label of each data row (``rows``
        then counts the rows of the whole folder from 1).
    """

    source: str
    format: str
    columns: list[str] = field(default_factory=list)
    header_rows: list[list[str]] = field(default_factory=list)
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row_label: str = "row"
    header_row: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    bad_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    codes: dict[int, pd.Series] = field(default_factory=dict)
    row_sources: list[tuple[str, int, str]] | None = None

    def __len__(self) -> int:
        return len(self.data)

    @property
    def readable(self) -> bool:
        """False when reading failed before a header was found."""
        return not any(p.kind in ("unreadable", "empty", "binary") for p in self.problems)

    def problem(self, kind: str, **fields: Any) -> Problem:
        """Record a problem located in this table and return it."""
        fields.setdefault("row_label", self.row_label)
        found = Problem(kind, self.source, **fields)
        self.problems.append(found)
        return found


def read_table(path: str | Path, *, sheet: str | int | None = None) -> RawTable:
    """Read a survey file into a :class:`RawTable`; reading problems are in ``problems``.

    Parameters
    ----------
    path : str or Path
    sheet : str or int, optional
        Worksheet of an Excel file: a name, or a 1-based position (default the first).

    Returns
    -------
    RawTable
        Never raises for a bad file: an unreadable, empty or binary file gives a table
        without data whose ``problems`` say why.
    """
    path = Path(path)
    source = str(path)
    if path.is_dir():
        return _read_folder(path)
    fmt = SUFFIX_FORMATS.get(path.suffix.lower(), "csv")
    table = RawTable(source, fmt, row_label="line" if fmt == "csv" else "row")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except FileNotFoundError:
        table.problem("unreadable", expected="an existing file (file not found)")
        return table
    except IsADirectoryError:
        table.problem("unreadable", expected="a file, not a folder")
        return table
    except OSError as exc:
        table.problem("unreadable", expected=f"a readable file ({exc.strerror or exc})")
        return table
    sniffed = _sniff_format(head)
    if sniffed == "xls":
        table.problem("unreadable", expected="an .xlsx workbook, not the old .xls format (save it as .xlsx or CSV)")
        return table
    if sniffed:
        fmt = sniffed
    table.format = fmt
    table.row_label = {"csv": "line", "sav": "case"}.get(fmt, "row")
    if fmt == "xlsx":
        return _read_xlsx(path, table, sheet)
    readers = {"csv": _read_delimited, "sav": _read_sav, "parquet": _read_parquet}
    return readers[fmt](path, table)


def table_from_frame(frame: pd.DataFrame, source: str = "<DataFrame>") -> RawTable:
    """Wrap an in-memory DataFrame as a :class:`RawTable` (rows numbered from 1).

    A named index (e.g. the respondent id) becomes a column.
    """
    if frame.index.name is not None or isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()
    names = [str(c).strip() for c in frame.columns]
    data = frame.copy()
    data.columns = range(len(names))
    data.index = pd.RangeIndex(len(data))
    table = RawTable(source, "dataframe", columns=names, header_rows=[names], data=data,
                     rows=np.arange(1, len(data) + 1), row_label="row", header_row=None)
    table.bad_rows = np.zeros(len(data), dtype=bool)
    return table


def folder_files(path: str | Path) -> list[Path]:
    """The files of a folder that :func:`read_table` reads, in the order it reads them:
    non-hidden files with a supported extension, by name (sub-folders are not read)."""
    return sorted(
        p for p in Path(path).iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUFFIX_FORMATS
    )


def _read_folder(path: Path) -> RawTable:
    """A folder of response files read as one table (see the module notes)."""
    table = RawTable(str(path), "folder", row_label="row")
    files = folder_files(path)
    if not files:
        table.problem("unreadable", expected=f"a survey file, or a folder holding survey files "
                                             f"({', '.join(sorted(SUFFIX_FORMATS))}); this folder holds none")
        return table
    parts = [read_table(f) for f in files]
    for part in parts:
        table.problems += part.problems  # each names its own file and row
        if part.readable and len(part) == 0:
            table.problems.append(Problem("no_data", part.source, row=part.header_row, row_label=part.row_label,
                                          expected="at least one row of answers under the header"))
    if not table.readable:
        return table
    columns: list[str] = []
    frames, sources, bad = [], [], []
    for part in parts:
        # A name repeated within a file stays a separate column (matched by occurrence).
        seen: dict[str, int] = {}
        keys = []
        for name in part.columns:
            keys.append((name, seen.get(name, 0)))
            seen[name] = seen.get(name, 0) + 1
        for key in keys:
            if key not in columns:
                columns.append(key)
        frame = part.data.copy()
        frame.columns = pd.MultiIndex.from_tuples(keys) if keys else frame.columns
        frames.append(frame)
        sources += [(part.source, int(r), part.row_label) for r in part.rows]
        bad.append(part.bad_rows if len(part.bad_rows) == len(part.data) else np.zeros(len(part.data), dtype=bool))
    index = pd.MultiIndex.from_tuples(columns)
    data = pd.concat([f.reindex(columns=index) for f in frames], ignore_index=True)
    data = data.astype(object).where(data.notna(), "")
    data.columns = range(len(columns))
    table.data = data
    table.columns = [name for name, _ in columns]
    table.header_rows = [list(table.columns)]
    table.rows = np.arange(1, len(data) + 1, dtype=np.int64)
    table.row_sources = sources
    table.bad_rows = np.concatenate(bad) if bad else np.zeros(0, dtype=bool)
    table.details = {"layout": "folder", "files": len(files)}
    return table


# --- sniffing -------------------------------------------------------------------------------


def _sniff_format(head: bytes) -> str | None:
    """Format from the first bytes: xlsx (any ZIP), xls, parquet, sav; None for text or unknown."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"  # or another ZIP archive: _read_xlsx tells them apart
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"$FL2", b"$FL3")):
        return "sav"
    return None


def _decode(raw: bytes) -> tuple[str, str]:
    """Text and the encoding it was in: UTF-16 with a BOM, UTF-8 (BOM or not), cp1252, latin-1."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16"
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding, errors="strict"), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _looks_binary(raw: bytes) -> bool:
    sample = raw[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return control > max(8, len(sample) // 20)


def _sniff_delimiter(text: str, prefer_tab: bool) -> str:
    """The delimiter that splits the first records most consistently into most fields."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best, best_score = ",", (-1.0, 0, 0)
    for delimiter in _DELIMITERS:
        try:
            records = [r for r in _take(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)) if any(r)]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        consistent = sum(len(r) == width for r in records) / len(records)
        score = (consistent, width, int(prefer_tab and delimiter == "\t"))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _take(reader: Any, n: int = _SNIFF_RECORDS) -> list[list[str]]:
    out = []
    for record in reader:
        out.append(record)
        if len(out) >= n:
            break
    return out


def _sniff_decimal(records: list[list[str]], delimiter: str) -> str:
    """``","`` when numbers are written with decimal commas (never with a comma delimiter)."""
    if delimiter == ",":
        return "."
    comma = point = 0
    for record in records[:1000]:
        for cell in record:
            if "," in cell and _DECIMAL_COMMA.match(cell):
                comma += 1
            elif "." in cell and _DECIMAL_POINT.match(cell):
                point += 1
    return "," if comma and not point else "."


def _detect_layout(records: list[list[str]]) -> tuple[str, int]:
    """Survey-platform layout and number of header rows from the first records."""
    if len(records) >= 3 and any(c.lstrip().startswith('{"ImportId"') for c in records[2]):
        return "qualtrics", 3
    if len(records) >= 2 and any(c.lstrip().startswith('{"ImportId"') for c in records[1]):
        return "qualtrics", 2
    if len(records) >= 2 and records[0] and records[0][0].strip() == "V1" and any(
        c.strip() == "ResponseID" for c in records[1]
    ):
        return "qualtrics-legacy", 2
    first = {c.strip().casefold() for c in records[0]} if records else set()
    if len(records) >= 2 and first & {"respondent id", "collector id"}:
        second = {c.strip().casefold() for c in records[1]}
        if second & _SURVEYMONKEY_GENERIC:
            return "surveymonkey", 2
    platform = detect_platform(records[0]) if records else None  # KoboToolbox, ODK Central, LimeSurvey
    return (platform, 1) if platform else ("plain", 1)


def _column_names(header_rows: list[list[str]], layout: str) -> list[str]:
    """One display name per column: the first header row, or for SurveyMonkey the
    sub-question of the second row when it is more specific."""
    first = header_rows[0]
    if layout != "surveymonkey":
        return list(first)
    second = header_rows[1]
    return [s if s and s.casefold() not in _SURVEYMONKEY_GENERIC else f for f, s in zip(first, second)]


# --- delimited text --------------------------------------------------------------------------


def _read_delimited(path: Path, table: RawTable) -> RawTable:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        table.problem("unreadable", expected=f"a readable file ({exc.strerror or exc})")
        return table
    if not raw.strip():
        table.problem("empty", expected="a header row and at least one row of answers")
        return table
    if not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and _looks_binary(raw):
        table.problem("binary", expected="a delimited text file (CSV, TSV), .xlsx, .sav or .parquet")
        return table
    text, encoding = _decode(raw)
    if not text.strip():
        table.problem("empty", expected="a header row and at least one row of answers")
        return table
    hint = _SEP_HINT.match(text)
    if hint:  # Excel's "sep=;" first line names the delimiter
        delimiter = hint.group(1)
    else:
        delimiter = _sniff_delimiter(text, prefer_tab=path.suffix.lower() in (".tsv", ".tab"))
    stream = io.StringIO(text, newline="")
    previous = 0
    if hint:
        stream.readline()
        previous = 1
    reader = csv.reader(stream, delimiter=delimiter)
    records: list[list[str]] = []
    lines: list[int] = []
    try:
        skipped = previous  # reader.line_num does not count a consumed "sep=" line
        for record in reader:
            start, previous = previous + 1, reader.line_num + skipped
            if any(record):  # blank lines and rows of bare delimiters carry nothing
                records.append(record)
                lines.append(start)
    except csv.Error as exc:
        table.problem("unreadable", row=previous + 1, expected=f"well-formed delimited text ({exc})")
        return table
    table.details = {"encoding": encoding, "delimiter": _DELIMITER_NAMES[delimiter]}
    table.details["decimal"] = "comma" if _sniff_decimal(records[1:], delimiter) == "," else "point"
    return _fill_table(table, records, lines, extra_fields_allowed=False)


def _fill_table(
    table: RawTable, records: list[list[str]], numbers: list[int], *, extra_fields_allowed: bool
) -> RawTable:
    """Split header rows from data rows and square the data up to the header's width.

    Rows shorter than the header are padded with blanks (trailing empty cells are often
    left out). Rows longer than the header are a problem unless the extra fields are
    empty; for worksheets (``extra_fields_allowed``) the header is widened instead.
    """
    if not records:
        table.problem("empty", expected="a header row and at least one row of answers")
        return table
    layout, n_header = _detect_layout(records[:3])
    n_header = min(n_header, len(records))
    headers = [[c.strip() for c in r] for r in records[:n_header]]
    data_records, data_numbers = records[n_header:], numbers[n_header:]
    width = max(len(h) for h in headers)
    if extra_fields_allowed and data_records:
        width = max(width, max(len(r) for r in data_records))
    headers = [h + [""] * (width - len(h)) for h in headers]
    bad = np.zeros(len(data_records), dtype=bool)
    squared = data_records
    if any(len(r) != width for r in data_records):
        squared = []
        for pos, record in enumerate(data_records):
            if len(record) > width:
                if any(c.strip() for c in record[width:]):
                    bad[pos] = True
                    table.problem(
                        "extra_fields", row=data_numbers[pos], column=f"field {width + 1}",
                        value=record[width], expected=f"at most {width} fields like the header (found {len(record)})",
                    )
                record = record[:width]
            elif len(record) < width:
                record = record + [""] * (width - len(record))
            squared.append(record)
    columns = list(zip(*squared)) if squared else [()] * width
    table.data = pd.DataFrame({j: pd.Series(np.asarray(col, dtype=object), dtype=object) for j, col in enumerate(columns)})
    table.columns = _column_names(headers, layout)
    table.header_rows = headers
    table.rows = np.asarray(data_numbers, dtype=np.int64)
    table.header_row = numbers[0]
    table.bad_rows = bad
    table.details.update({"layout": layout, "header_rows": n_header})
    return table


# --- Excel -------------------------------------------------------------------------------------


def _read_xlsx(path: Path, table: RawTable, sheet: str | int | None) -> RawTable:
    import zipfile

    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a dependency of the kit
        table.problem("unreadable", expected="openpyxl installed to read .xlsx files")
        return table
    try:
        if not zipfile.is_zipfile(path):
            raise zipfile.BadZipFile("not a zip")
        with zipfile.ZipFile(path) as archive:
            if not any(n.startswith("xl/") for n in archive.namelist()):
                table.problem("binary", expected="a survey table (this is a ZIP archive, not an .xlsx workbook)")
                return table
        # data_only: a formula's cached value is read; nothing in the file is evaluated.
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        table.problem("unreadable", expected=f"a valid .xlsx workbook ({type(exc).__name__}: {exc})")
        return table
    try:
        names = book.sheetnames
        chosen = _choose_sheet(names, sheet)
        if chosen is None:
            table.problem("unreadable", column=None, value=str(sheet),
                          expected=f"a sheet of the workbook: {', '.join(names)}")
            return table
        records: list[list[str]] = []
        numbers: list[int] = []
        for number, cells in enumerate(book[chosen].iter_rows(values_only=True), start=1):
            texts = [_cell_text(v) for v in cells]
            while texts and not texts[-1]:
                texts.pop()
            if texts and any(texts):
                records.append(texts)
                numbers.append(number)
    except Exception as exc:
        table.problem("unreadable", expected=f"a valid .xlsx workbook ({type(exc).__name__}: {exc})")
        return table
    finally:
        book.close()
    table.details = {"sheet": chosen}
    return _fill_table(table, records, numbers, extra_fields_allowed=True)


def _choose_sheet(names: list[str], sheet: str | int | None) -> str | None:
    if sheet is None or sheet == "":
        return names[0] if names else None
    if str(sheet) in names:
        return str(sheet)
    folded = {n.casefold(): n for n in names}
    if str(sheet).casefold() in folded:
        return folded[str(sheet).casefold()]
    if str(sheet).isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    return None


def _cell_text(value: Any) -> str:
    """A worksheet cell as the text a user would type for it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


# --- SPSS and Parquet -------------------------------------------------------------------------------


def _read_sav(path: Path, table: RawTable) -> RawTable:
    import pyreadstat

    try:
        # user_missing=False: user-defined missing codes (e.g. 99 = don't know) become missing.
        frame, meta = pyreadstat.read_sav(str(path), user_missing=False)
    except Exception as exc:
        table.problem("unreadable", expected=f"a valid SPSS .sav file ({type(exc).__name__}: {exc})")
        return table
    names = [str(c) for c in meta.column_names]
    labels = [str(lbl) if lbl else "" for lbl in (meta.column_labels or [""] * len(names))]
    data = {}
    for j, name in enumerate(names):
        column = frame[name]
        value_labels = meta.variable_value_labels.get(name) or {}
        if value_labels:
            # Honour value labels: show each code's label; keep the codes as a fallback
            # for answers whose label is not one of the scale's.
            codes = column.map(_code_text)
            data[j] = column.map(lambda v, vl=value_labels: vl.get(v, _code_text(v)) if not _is_missing(v) else "")
            table.codes[j] = codes
        else:
            data[j] = column
    table.data = pd.DataFrame(data, index=pd.RangeIndex(len(frame)))
    _finish_binary_table(table, names, [names, labels], {"layout": "spss", "value_labels": len(table.codes)})
    return table


def _read_parquet(path: Path, table: RawTable) -> RawTable:
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except Exception as exc:
        table.problem("unreadable", expected=f"a valid Parquet file ({type(exc).__name__}: {exc})")
        return table
    if frame.index.name is not None:
        frame = frame.reset_index()
    names = [str(c).strip() for c in frame.columns]
    data = frame.copy()
    for col in data.columns:
        if isinstance(data[col].dtype, pd.CategoricalDtype):
            data[col] = data[col].astype(object)
    data.columns = range(len(names))
    data.index = pd.RangeIndex(len(data))
    table.data = data
    _finish_binary_table(table, names, [names], {"layout": "plain"})
    return table


def _finish_binary_table(table: RawTable, names: list[str], headers: list[list[str]], details: dict) -> None:
    table.columns = names
    table.header_rows = headers
    table.rows = np.arange(1, len(table.data) + 1, dtype=np.int64)
    table.header_row = None
    table.bad_rows = np.zeros(len(table.data), dtype=bool)
    table.details = details


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _code_text(value: Any) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
