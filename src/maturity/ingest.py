"""Reading survey response files (Contract 2).

Minimal first version: UTF-8 CSV with one header row. Answers (labels or numbers) are
converted to numbers on their printed scale; invalid answers raise ``DataError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import DataError
from .framework import Framework
from .scoring import answer_values


@dataclass
class ValidationReport:
    """Problems found while reading a response file."""

    source: str
    n_rows: int = 0
    problems: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.get("severity") == "error" for p in self.problems)


def read_responses(
    path: str | Path, framework: Framework, *, id_column: str | None = None, lenient: bool = False
) -> tuple[pd.DataFrame, ValidationReport]:
    """Read a response file into a wide table with numeric answers.

    Returns
    -------
    (DataFrame, ValidationReport)
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    id_col = id_column or framework.id_column
    if id_col != framework.id_column:
        frame = frame.rename(columns={id_col: framework.id_column})
    items = framework.items + framework.outcome_items
    values = answer_values(frame, framework, [i for i in items if i.id in frame.columns])
    for col in values.columns:
        frame[col] = values[col].to_numpy()
    return frame, ValidationReport(str(path), len(frame))
