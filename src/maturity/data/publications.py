"""Read a wave's published table from the benchmark database, and nothing else.

The client layer (:mod:`maturity.published`) opens the database only through this module:
it reads the ``publication`` document stored with a wave, never the organisations' answers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import StoreError

__all__ = ["PUBLICATION_KIND", "read_publication", "wave_labels"]

#: Artifact kind under which a wave's published table is stored.
PUBLICATION_KIND = "publication"


def _natural(label: str) -> list:
    return [int(t) if t.isdigit() else t.casefold() for t in re.split(r"(\d+)", label)]


def wave_labels(path: str | Path) -> list[str]:
    """The database's wave labels, oldest first (natural order of the labels)."""
    with _open(path) as con:
        rows = con.execute("SELECT wave FROM waves").fetchall()
    return sorted((r[0] for r in rows), key=_natural)


def read_publication(path: str | Path, wave: str | None = None) -> tuple[str, dict[str, Any]]:
    """The published table of a wave (default the latest), checked to be current.

    Returns
    -------
    (wave label, document)

    Raises
    ------
    StoreError
        No database, no such wave, a wave not published yet, or one whose data changed
        after it was published (publish it again with ``maturity privacy plan``).
    """
    path = Path(path)
    with _open(path) as con:
        labels = sorted((r[0] for r in con.execute("SELECT wave FROM waves").fetchall()), key=_natural)
        if not labels:
            raise StoreError(f"the database {path} holds no waves yet; import one with `maturity import`")
        label = labels[-1] if wave in (None, "") else str(wave).strip()
        if label not in labels:
            raise StoreError(f"no wave '{label}' in {path}; waves: {', '.join(labels)}")
        row = con.execute(
            "SELECT a.payload, w.modified_at FROM waves w LEFT JOIN artifacts a "
            "ON a.wave_key = w.wave_key AND a.kind = ? WHERE w.wave = ?", [PUBLICATION_KIND, label]).fetchall()
    payload, modified = row[0]
    hint = f"publish it with `maturity privacy plan --db {path.name} --wave {label}`"
    if payload is None:
        raise StoreError(f"wave {label} has not been published yet; {hint}")
    stored = json.loads(payload)
    if stored.get("wave_modified") != _iso(modified):
        raise StoreError(f"wave {label} changed after it was published; {hint} again")
    return label, stored["document"]


def _iso(value: Any) -> str:
    from datetime import timezone
    return value.replace(tzinfo=timezone.utc).isoformat()


class _open:
    """A short read-only connection (closed on exit)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __enter__(self):
        import duckdb

        if not self.path.is_file():
            raise StoreError(f"no benchmark database at {self.path}")
        try:
            self.con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None
        return self.con

    def __exit__(self, *exc: object) -> None:
        self.con.close()
