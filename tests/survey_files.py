"""Survey files built in code from a valid synthetic survey (no hand-typed fixtures).

A :class:`Survey` is the valid file as rows of text; tests copy it, break one thing and
write it in any supported format.
"""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import maturity
from maturity.framework import Framework


@dataclass
class Survey:
    """A survey as text rows: ``header`` and ``rows`` (one list of cells per respondent)."""

    header: list[str]
    rows: list[list[str]]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "Survey":
        text = frame.to_csv(index=False, lineterminator="\n")
        records = list(csv.reader(io.StringIO(text)))
        return cls(records[0], records[1:])

    def copy(self) -> "Survey":
        return copy.deepcopy(self)

    def col(self, name: str) -> int:
        return self.header.index(name)

    def set(self, row: int, column: str, value: str) -> "Survey":
        """Set a cell; ``row`` is 0-based among data rows."""
        self.rows[row][self.col(column)] = value
        return self

    def drop(self, column: str) -> "Survey":
        j = self.col(column)
        self.header.pop(j)
        for r in self.rows:
            r.pop(j)
        return self

    def add(self, column: str, values: list[str] | None = None) -> "Survey":
        self.header.append(column)
        for i, r in enumerate(self.rows):
            r.append("" if values is None else values[i])
        return self

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.header, dtype=object)

    def csv_text(self, delimiter: str = ",", header_rows: list[list[str]] | None = None) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        for h in header_rows or [self.header]:
            writer.writerow(h)
        writer.writerows(self.rows)
        return out.getvalue()

    def write_csv(self, path: Path, *, delimiter: str = ",", encoding: str = "utf-8",
                  header_rows: list[list[str]] | None = None) -> Path:
        path.write_bytes(self.csv_text(delimiter, header_rows).encode(encoding))
        return path

    def write_xlsx(self, path: Path, *, sheet: str = "Responses", before: list[str] = (), numbers: bool = True) -> Path:
        """An .xlsx workbook; numbers as numbers; ``before`` adds sheets ahead of the data."""
        import openpyxl

        book = openpyxl.Workbook()
        book.remove(book.active)
        for name in before:
            book.create_sheet(name).append(["notes about the survey"])
        sheet_ = book.create_sheet(sheet)
        sheet_.append(self.header)
        for r in self.rows:
            sheet_.append([_number_or_text(c) if numbers else c for c in r])
        book.save(path)
        return path


def _number_or_text(cell: str):
    try:
        value = float(cell)
    except ValueError:
        return cell if cell != "" else None
    return int(value) if value.is_integer() and "." not in cell else value


def valid_survey(n: int = 40, framework: Framework | None = None, seed: int = 7) -> tuple[Survey, pd.DataFrame]:
    """A valid synthetic survey (as text) and the frame it was written from."""
    bench = maturity.generate_benchmark(n, framework=framework, seed=seed)
    return Survey.from_frame(bench.responses), bench.responses


def scores_of(frame: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    return pd.concat([maturity.score_responses(frame, framework), maturity.score_outcomes(frame, framework)], axis=1)


def assert_same_scores(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.index) == list(b.index)
    assert list(a.columns) == list(b.columns)
    np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=0, atol=1e-12, equal_nan=True)
