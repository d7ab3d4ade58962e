"""Collecting quick-check submissions: one file per submission, never the database.

With ``maturity quickcheck --collect DIR`` each submission is written to ``DIR`` as one
CSV file in the kit's response-file layout (one row: the id column holding the submission
id, the name, demographics, items, outcome items, barriers, the framework stamp) plus
``submitted_at`` (UTC, ISO 8601), a metadata column the reader drops. Files are written
atomically (a temporary file renamed into place) under names no other submission uses,
so any number of browsers can submit at once and every submission is kept; a reader of
the folder never sees half a file. A respondent who changes their answers and submits
again replaces their own file (same submission id).

``maturity import DIR --wave W`` reads the folder as the concatenation of its files
(:func:`maturity.data.raw_tables.read_table`), validated like any survey file.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..errors import ParametersError
from ..files import write_csv

__all__ = ["SUBMITTED_AT", "Submission", "SubmissionFolder", "check_collect_folder", "new_submission"]

#: Column holding the submission time (a metadata column: dropped on import).
SUBMITTED_AT = "submitted_at"
#: Prefix of submission ids, so they are easy to tell from ids of fielded surveys.
ID_PREFIX = "qc"


@dataclass(frozen=True)
class Submission:
    """One respondent's submission: its id (the organisation id it is imported under)
    and when it was made (UTC)."""

    id: str
    submitted_at: datetime

    @property
    def file_name(self) -> str:
        return f"{self.id}.csv"


def new_submission(now: datetime | None = None) -> Submission:
    """A new submission id: time-ordered, with 32 random bits so that browsers submitting
    in the same second never share one (ids must be unique, not reproducible, so this is
    the one place the kit draws unseeded random numbers)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return Submission(f"{ID_PREFIX}-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}", now)


def check_collect_folder(path: str | Path) -> Path:
    """Make sure submissions can be written to ``path`` (created when missing); return it
    as an absolute path.

    Raises
    ------
    ParametersError
        ``path`` is a file, or the folder cannot be created or written to.
    """
    folder = Path(path).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise ParametersError(f"collection folder {path} is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ParametersError(f"cannot write submissions to {path} ({exc.strerror or exc})") from None
    return folder


class SubmissionFolder:
    """The folder submissions are collected in.

    Parameters
    ----------
    path : path
        An existing, writable folder (see :func:`check_collect_folder`).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def write(self, responses: pd.DataFrame, submission: Submission) -> Path:
        """Write one submission's response row (from
        :meth:`maturity.dashboard.quickcheck_form.QuickCheckForm.response_frame`) atomically."""
        frame = responses.copy()
        frame[SUBMITTED_AT] = submission.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return write_csv(self.path / submission.file_name, frame)

    def files(self) -> list[Path]:
        """The submission files now in the folder, oldest id first."""
        return sorted(p for p in self.path.glob(f"{ID_PREFIX}-*.csv") if p.is_file())
