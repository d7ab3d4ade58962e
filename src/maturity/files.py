"""Safe file output: atomic writes and spreadsheet-safe text.

Every output the kit writes goes through :func:`atomic_write` (a temporary file in the
target folder, flushed and renamed over the target), so a reader never sees a half-written
file and an interrupted run leaves the previous version intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

import pandas as pd

from .errors import ParametersError
from .values import json_safe

#: Leading characters a spreadsheet may treat as the start of a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A plain decimal number (sign, digits, point, exponent): the only text starting with a
#: formula character that is left as it is. ``float()`` is not the test: it also reads
#: ``-inf``, ``+nan`` and ``-1_0``, which a spreadsheet may not read as the same number.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _umask_mode() -> int:
    """The mode an ordinary new file gets (mkstemp would make it private, 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success rename it over ``path``.

    Parameters
    ----------
    path : str or Path
        Final destination. Parent folders are created.
    mode : {"w", "wb"}
    encoding : str, optional
        Text encoding (ignored for binary mode).

    Yields
    ------
    file object
        Write to it; on an exception the temporary file is removed and ``path`` untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, _umask_mode())
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": ""}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` for tools that write files themselves;
    rename it over ``path`` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _umask_mode())
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | Path, text: str) -> Path:
    """Write text atomically and return the path."""
    with atomic_write(path) as handle:
        handle.write(text)
    return Path(path)


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON (UTF-8, indented, NaN written as null) atomically and return the path."""
    text = json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False)
    return write_text(path, text + "\n")


def neutralise_formula(value: Any) -> Any:
    """Prefix text a spreadsheet could read as a formula with a quote: anything starting
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return.

    Only a plain decimal number (``-3.5``, ``+2``, ``1e-3``) is left alone, so a negative
    number stays a number; ``-inf``, ``+nan``, ``-1_0`` or ``-2+3`` are quoted.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells and column names cannot start a formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(neutralise_formula)
    out.columns = [neutralise_formula(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index.dtype):
        out.index = out.index.map(neutralise_formula)
    return out


def write_csv(path: str | Path, frame: pd.DataFrame, *, index: bool = False) -> Path:
    """Write a DataFrame as UTF-8 CSV, atomically and protected against formula injection."""
    with atomic_write(path) as handle:
        spreadsheet_safe(frame).to_csv(handle, index=index, lineterminator="\n")
    return Path(path)


def write_xlsx(path: str | Path, frame: pd.DataFrame, *, index: bool = False, sheet_name: str = "Sheet1") -> Path:
    """Write a DataFrame as an Excel workbook, atomically and protected against formula injection.

    Text that a spreadsheet would run as a formula is prefixed with a quote (as in
    :func:`write_csv`), so every such cell is stored as plain text.
    """
    with atomic_path(path) as tmp:
        spreadsheet_safe(frame).to_excel(tmp, index=index, sheet_name=sheet_name, engine="openpyxl")
    return Path(path)


#: File extensions :func:`write_table` understands.
TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet", ".json")


def write_table(path: str | Path, frame: pd.DataFrame, *, index: bool = False) -> Path:
    """Write a table in the format its extension names: .csv, .xlsx, .parquet or .json.

    CSV and XLSX are protected against formula injection; JSON is a list of records
    (NaN as null); every format is written atomically.

    Raises
    ------
    ParametersError
        For another extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(path, frame, index=index)
    if suffix == ".xlsx":
        return write_xlsx(path, frame, index=index)
    if suffix == ".parquet":
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=index)
        return path
    if suffix == ".json":
        data = frame.reset_index() if index else frame
        return write_json(path, data.to_dict(orient="records"))
    raise ParametersError(f"cannot write '{path.name}': use a file ending in {', '.join(TABLE_SUFFIXES)}")
