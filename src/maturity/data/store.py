"""The benchmark database: survey waves, organisations, answers and scores in DuckDB.

A benchmark lives for years across annual waves, so its data must never be lost,
duplicated or silently altered:

* an import is one transaction: a rejected or interrupted import (even a killed process)
  leaves the database as it was;
* importing the same data into the same wave again adds nothing and says so; different
  data for an existing wave is refused unless ``replace=True``;
* an organisation keeps one id across waves, so its history can be shown;
* each wave keeps the framework document it was scored with, and the scores computed at
  import (strands, index, outcome groups).

Layout (long tables keyed by small integers, bulk-loaded from Arrow)::

    store_info(key, value)                        schema version
    waves(wave_key, wave, framework_id, framework_version, framework_text, framework_sha256,
          imported_at, modified_at, source_name, source_sha256, data_sha256,
          n_rows, n_organisations, n_answers)
    organisations(org_key, organisation_id)       one row per organisation, ever
    wave_columns(wave_key, col_key, name, kind)   kind: demographic, item, outcome_item, barrier,
                                                  attribute, strand, index, outcome
    participants(wave_key, org_key, position, name)
    answers(wave_key, org_key, col_key, value)    items, outcome items, barriers (DOUBLE)
    attributes(wave_key, org_key, col_key, value) demographics and other columns (VARCHAR)
    scores(wave_key, org_key, col_key, value)     strand scores, index, outcome-group scores
    artifacts(wave_key, kind, payload, saved_at)  JSON documents (segment models...)

Missing values are simply absent rows. The views ``answer_values`` and ``score_values``
show the same data with wave labels, organisation ids and column names for ad-hoc SQL.
Waves are ordered by label with numbers compared as numbers (2025 < 2026 < 2026b); the
latest wave is the last in that order.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from ..config import DEFAULT_DB
from ..errors import StoreError
from ..framework import INDEX_COLUMN, Framework, parse_framework
from ..framework_document import framework_document
from ..scoring import score_outcomes, score_responses
from ..values import json_safe
from .responses import validate_frame

__all__ = ["BenchmarkStore", "ImportResult", "DEFAULT_DB"]

SCHEMA_VERSION = 1
#: Test-only hook: when set to a file path, an import writes that file inside its open
#: transaction and then waits, so a test can kill the process mid-import.
PAUSE_ENV = "MATURITY_TEST_PAUSE_IMPORT"
#: Version of the layout :meth:`BenchmarkStore.wave_fingerprint` hashes (part of the hash).
_FINGERPRINT_FORMAT = "maturity/wave-data/1"
#: libyaml's safe loader when PyYAML has it (ten times faster on a stored framework), else PyYAML's.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TABLES = """
CREATE TABLE IF NOT EXISTS store_info (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS waves (
    wave_key INTEGER PRIMARY KEY, wave VARCHAR NOT NULL UNIQUE,
    framework_id VARCHAR NOT NULL, framework_version VARCHAR NOT NULL,
    framework_text VARCHAR NOT NULL, framework_sha256 VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL, modified_at TIMESTAMP NOT NULL,
    source_name VARCHAR, source_sha256 VARCHAR, data_sha256 VARCHAR NOT NULL,
    n_rows INTEGER NOT NULL, n_organisations INTEGER NOT NULL, n_answers BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS organisations (org_key INTEGER PRIMARY KEY, organisation_id VARCHAR NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS wave_columns (
    wave_key INTEGER NOT NULL, col_key INTEGER NOT NULL, name VARCHAR NOT NULL, kind VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
    wave_key INTEGER NOT NULL, org_key INTEGER NOT NULL, position INTEGER NOT NULL, name VARCHAR);
CREATE TABLE IF NOT EXISTS answers (wave_key INTEGER NOT NULL, org_key INTEGER NOT NULL, col_key INTEGER NOT NULL, value DOUBLE NOT NULL);
CREATE TABLE IF NOT EXISTS attributes (wave_key INTEGER NOT NULL, org_key INTEGER NOT NULL, col_key INTEGER NOT NULL, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS scores (wave_key INTEGER NOT NULL, org_key INTEGER NOT NULL, col_key INTEGER NOT NULL, value DOUBLE NOT NULL);
CREATE TABLE IF NOT EXISTS artifacts (
    wave_key INTEGER NOT NULL, kind VARCHAR NOT NULL, payload VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (wave_key, kind));
CREATE OR REPLACE VIEW answer_values AS
    SELECT w.wave, o.organisation_id, c.name AS column_name, c.kind, a.value
    FROM answers a JOIN waves w USING (wave_key) JOIN organisations o USING (org_key)
    JOIN wave_columns c ON c.wave_key = a.wave_key AND c.col_key = a.col_key;
CREATE OR REPLACE VIEW score_values AS
    SELECT w.wave, o.organisation_id, c.name AS measure, c.kind, s.value
    FROM scores s JOIN waves w USING (wave_key) JOIN organisations o USING (org_key)
    JOIN wave_columns c ON c.wave_key = s.wave_key AND c.col_key = s.col_key;
"""
_CHILD_TABLES = ("wave_columns", "participants", "answers", "attributes", "scores", "artifacts")
_NUMERIC_KINDS = ("item", "outcome_item", "barrier")
#: Up to this many organisations, a read asks the database for their rows only.
_FEW_ORGANISATIONS = 64
_TEXT_KINDS = ("demographic", "attribute")
_SCORE_KINDS = ("strand", "index", "outcome")


@dataclass(frozen=True)
class ImportResult:
    """What an import did.

    Attributes
    ----------
    wave : str
    status : str
        ``imported`` (a new wave), ``replaced`` (an existing wave replaced) or
        ``unchanged`` (the same data was already there; nothing was added).
    n_organisations : int
        Organisations in the wave.
    n_new : int
        Organisations seen in no other wave.
    n_returning : int
        Organisations that also took part in another wave.
    source_name, source_sha256 : str
        Where the data came from, and the SHA-256 of that file (or of the data).
    database : str
    """

    wave: str
    status: str
    n_organisations: int
    n_new: int
    n_returning: int
    source_name: str
    source_sha256: str
    database: str

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"

    @property
    def message(self) -> str:
        if self.status == "unchanged":
            return (f"wave {self.wave} of {self.database} already holds this data "
                    f"({self.n_organisations} organisations); nothing was added")
        verb = "Replaced" if self.status == "replaced" else "Imported"
        return (f"{verb} wave {self.wave} in {self.database}: {self.n_organisations} organisations "
                f"({self.n_new} new, {self.n_returning} also in other waves) from {self.source_name}")


class BenchmarkStore:
    """A benchmark database (DuckDB file). Use as a context manager.

    Parameters
    ----------
    path : str or Path
        The database file; created (with its folder) when opened for writing.
    read_only : bool
        Open for reading only; several readers may share the file while no writer has it.
    lock_timeout : float
        Seconds to keep retrying while another process holds the file.

    Raises
    ------
    StoreError
        The file is not a DuckDB database, is not a benchmark database, does not exist
        (read-only), or stays locked by another process.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, lock_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.is_file():
            raise StoreError(f"no benchmark database at {self.path}; create one with `maturity import`")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = _connect(self.path, read_only, lock_timeout)
        self._frameworks: dict[str, Framework] = {}
        try:
            self._check_schema()
        except BaseException:
            self._con.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> "BenchmarkStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BenchmarkStore({str(self.path)!r}, read_only={self.read_only})"

    @property
    def con(self):
        """The DuckDB connection (for ad-hoc SQL; write through the methods)."""
        if self._con is None:
            raise StoreError(f"the database {self.path} is closed")
        return self._con

    def _check_schema(self) -> None:
        tables = {r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        if "store_info" not in tables:
            if tables or self.read_only:
                raise StoreError(f"{self.path} is a DuckDB database but not a maturity benchmark database")
            self.con.execute("BEGIN TRANSACTION")
            self.con.execute(_TABLES)
            self.con.execute("INSERT INTO store_info VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            self.con.execute("COMMIT")
            return
        row = _one(self.con, "SELECT value FROM store_info WHERE key = 'schema_version'")
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer version of maturity (schema {version}); upgrade the kit")

    # -- waves -------------------------------------------------------------------------------------
    def waves(self) -> pd.DataFrame:
        """One row per wave, oldest first.

        Returns
        -------
        DataFrame
            wave, framework_id, framework_version, imported_at (UTC), source_name,
            source_sha256, n_organisations, then n_returning (organisations also in an
            earlier wave), n_answers and modified_at.
        """
        frame = self.con.execute(
            "SELECT wave_key, wave, framework_id, framework_version, imported_at, source_name, source_sha256, "
            "n_organisations, n_answers, modified_at FROM waves").df()
        if frame.empty:
            return pd.DataFrame(columns=["wave", "framework_id", "framework_version", "imported_at", "source_name",
                                         "source_sha256", "n_organisations", "n_returning", "n_answers", "modified_at"])
        frame = frame.iloc[_wave_order(frame["wave"].tolist())].reset_index(drop=True)
        returning = self._returning_counts(frame["wave_key"].tolist())
        frame.insert(frame.columns.get_loc("n_organisations") + 1, "n_returning",
                     [returning.get(k, 0) for k in frame["wave_key"]])
        for col in ("imported_at", "modified_at"):
            frame[col] = pd.to_datetime(frame[col]).dt.tz_localize("UTC")
        return frame.drop(columns="wave_key")

    def _returning_counts(self, ordered_keys: list[int]) -> dict[int, int]:
        with self._registered("wave_ranks", _wave_ranks(ordered_keys)):
            rows = self.con.execute(
                "SELECT p.wave_key, count(*) FROM participants p JOIN wave_ranks r USING (wave_key) "
                "WHERE EXISTS (SELECT 1 FROM participants q JOIN wave_ranks r2 USING (wave_key) "
                "              WHERE q.org_key = p.org_key AND r2.rank < r.rank) "
                "GROUP BY p.wave_key").fetchall()
        return {int(k): int(n) for k, n in rows}

    def _wave_keys(self) -> list[tuple[str, int]]:
        """(label, key) of every wave, oldest first."""
        rows = self.con.execute("SELECT wave, wave_key FROM waves").fetchall()
        return [rows[i] for i in _wave_order([r[0] for r in rows])]

    def resolve_wave(self, wave: str | int | None) -> str:
        """The label of ``wave``, or of the latest wave when None.

        Raises
        ------
        StoreError
            No such wave, or no waves at all.
        """
        known = [label for label, _ in self._wave_keys()]
        if not known:
            raise StoreError(f"the database {self.path} holds no waves yet; import one with `maturity import`")
        if wave is None or wave == "":
            return known[-1]
        label = _wave_label(wave)
        if label not in known:
            raise StoreError(f"no wave '{label}' in {self.path}; waves: {', '.join(known)}")
        return label

    def _key(self, wave: str | int | None) -> int:
        label = self.resolve_wave(wave)
        return int(_one(self.con, "SELECT wave_key FROM waves WHERE wave = ?", [label])[0])

    def framework(self, wave: str | int | None = None) -> Framework:
        """The framework the wave was imported (and scored) with."""
        label = self.resolve_wave(wave)
        if label not in self._frameworks:
            text = _one(self.con, "SELECT framework_text FROM waves WHERE wave = ?", [label])[0]
            self._frameworks[label] = parse_framework(yaml.load(text, Loader=_YAML_LOADER),
                                                     source=f"{self.path} (wave {label})")
        return self._frameworks[label]

    def wave_modified(self, wave: str | int | None = None) -> datetime:
        """When the wave's data last changed (import or replace), in UTC."""
        key = self._key(wave)
        value = _one(self.con, "SELECT modified_at FROM waves WHERE wave_key = ?", [key])[0]
        return value.replace(tzinfo=timezone.utc)

    # -- import ---------------------------------------------------------------------------------------
    def import_responses(
        self,
        responses: pd.DataFrame,
        framework: Framework,
        wave: str | int,
        *,
        source: str | os.PathLike | None = None,
        replace: bool = False,
    ) -> ImportResult:
        """Validate, score and store one wave of responses in a single transaction.

        Parameters
        ----------
        responses : DataFrame
            A wide response table, e.g. from :func:`maturity.data.responses.read_responses`;
            it is validated again (strictly) before anything is written.
        framework : Framework
            The instrument; its document is stored with the wave.
        wave : str
            The wave label (e.g. ``"2026"``).
        source : path, optional
            The file the responses came from: its name and SHA-256 are recorded.
        replace : bool
            Replace the wave if it already holds different data.

        Returns
        -------
        ImportResult

        Raises
        ------
        ValidationFailed
            The responses are not valid for the framework (nothing is written).
        StoreError
            The wave exists with different data and ``replace`` is false, or the database
            is read-only.
        """
        self._require_writable()
        label = _wave_label(wave)
        source_name = str(source) if source is not None else "<DataFrame>"
        clean, _report = validate_frame(responses, framework, source=source_name)
        scores = score_responses(clean, framework)
        outcomes = score_outcomes(clean, framework)
        fw_text = framework_document(framework)
        fw_sha = _sha256(fw_text.encode("utf-8"))
        data_sha = _data_fingerprint(clean)
        source_sha = _file_sha256(source) if source is not None and Path(source).is_file() else data_sha
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            existing = _one(con, 
                "SELECT wave_key, framework_sha256, data_sha256, source_sha256, n_organisations, source_name "
                "FROM waves WHERE wave = ?", [label])
            if existing is not None:
                key, old_fw, old_data, old_source, old_n, old_name = existing
                if old_fw == fw_sha and (old_data == data_sha or (source is not None and old_source == source_sha)):
                    con.execute("ROLLBACK")
                    n_ret = self._returning_in(key)
                    return ImportResult(label, "unchanged", int(old_n), int(old_n) - n_ret, n_ret,
                                        old_name or source_name, old_source, str(self.path))
                if not replace:
                    raise StoreError(
                        f"wave {label} of {self.path} already holds different data (from {old_name}); "
                        f"use --replace (replace=True) to replace it, or import under another wave label")
                for table in _CHILD_TABLES:
                    con.execute(f"DELETE FROM {table} WHERE wave_key = ?", [key])
                status = "replaced"
            else:
                key = int(_one(con, "SELECT coalesce(max(wave_key), 0) + 1 FROM waves")[0])
                status = "imported"
            org_keys, n_new = self._register_organisations(clean[framework.id_column].to_numpy(dtype=object))
            n_answers = self._insert_wave_rows(key, framework, clean, scores, outcomes, org_keys)
            now = _utcnow()
            values = [label, framework.id, framework.version, fw_text, fw_sha, now, now, source_name, source_sha,
                      data_sha, len(clean), len(clean), n_answers]
            if status == "replaced":
                con.execute(
                    "UPDATE waves SET wave = ?, framework_id = ?, framework_version = ?, framework_text = ?, "
                    "framework_sha256 = ?, imported_at = ?, modified_at = ?, source_name = ?, source_sha256 = ?, "
                    "data_sha256 = ?, n_rows = ?, n_organisations = ?, n_answers = ? WHERE wave_key = ?",
                    values + [key])
            else:
                con.execute("INSERT INTO waves VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [key] + values)
            _pause_for_tests()
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        self._frameworks.pop(label, None)
        return ImportResult(label, status, len(clean), n_new, len(clean) - n_new, source_name, source_sha,
                            str(self.path))

    def _returning_in(self, key: int) -> int:
        return int(_one(self.con, 
            "SELECT count(*) FROM participants p WHERE wave_key = ? AND EXISTS "
            "(SELECT 1 FROM participants q WHERE q.org_key = p.org_key AND q.wave_key <> p.wave_key)",
            [key])[0])

    def _register_organisations(self, ids: np.ndarray) -> tuple[np.ndarray, int]:
        """Add unseen organisation ids; return each row's org_key and how many are new to
        every other wave."""
        table = pa.table({"organisation_id": pa.array(ids, pa.string()),
                          "position": pa.array(np.arange(len(ids), dtype=np.int32))})
        with self._registered("incoming_ids", table):
            self.con.execute(
                "INSERT INTO organisations "
                "SELECT (SELECT coalesce(max(org_key), 0) FROM organisations) + row_number() OVER (ORDER BY i.position), "
                "       i.organisation_id "
                "FROM incoming_ids i ANTI JOIN organisations o USING (organisation_id)")
            mapped = self.con.sql(
                "SELECT i.position, o.org_key, "
                "       NOT EXISTS (SELECT 1 FROM participants p WHERE p.org_key = o.org_key) AS is_new "
                "FROM incoming_ids i JOIN organisations o USING (organisation_id) ORDER BY i.position").to_arrow_table()
        keys = mapped.column("org_key").to_numpy()
        n_new = int(np.sum(mapped.column("is_new").to_numpy(zero_copy_only=False)))
        return keys.astype(np.int32), n_new

    def _insert_wave_rows(
        self, key: int, fw: Framework, clean: pd.DataFrame, scores: pd.DataFrame, outcomes: pd.DataFrame,
        org_keys: np.ndarray,
    ) -> int:
        """Bulk-insert the catalog, participants, answers, attributes and scores of a wave."""
        known = set(fw.known_columns)
        catalog: list[tuple[str, str]] = [(d, "demographic") for d in fw.demographic_ids]
        catalog += [(i, "item") for i in fw.item_ids]
        catalog += [(i.id, "outcome_item") for i in fw.outcome_items]
        catalog += [(b, "barrier") for b in fw.barrier_ids]
        catalog += [(c, "attribute") for c in clean.columns if c not in known]
        catalog += [(s, "strand") for s in fw.strand_ids] + [(INDEX_COLUMN, "index")]
        catalog += [(g.id, "outcome") for g in fw.outcomes]
        col_key = {(name, kind): k for k, (name, kind) in enumerate(catalog)}
        n = len(clean)
        self._insert("wave_columns", {
            "wave_key": np.full(len(catalog), key, np.int32),
            "col_key": np.arange(len(catalog), dtype=np.int32),
            "name": pa.array([c[0] for c in catalog], pa.string()),
            "kind": pa.array([c[1] for c in catalog], pa.string()),
        })
        names = clean[fw.name_column].to_numpy(dtype=object, na_value=None)
        self._insert("participants", {
            "wave_key": np.full(n, key, np.int32), "org_key": org_keys,
            "position": np.arange(n, dtype=np.int32), "name": pa.array(names, pa.string()),
        })
        numeric = [c for c in catalog if c[1] in _NUMERIC_KINDS]
        matrix = clean[[c[0] for c in numeric]].to_numpy(dtype=float, na_value=np.nan)
        n_answers = self._insert_matrix("answers", key, org_keys, matrix, [col_key[c] for c in numeric])
        score_frame = pd.concat([scores, outcomes], axis=1)
        score_cols = [c for c in catalog if c[1] in _SCORE_KINDS]
        self._insert_matrix("scores", key, org_keys, score_frame[[c[0] for c in score_cols]].to_numpy(float),
                            [col_key[c] for c in score_cols])
        parts = []
        for name, kind in (c for c in catalog if c[1] in _TEXT_KINDS):
            values = clean[name].to_numpy(dtype=object, na_value=None)
            present = np.array([v is not None for v in values], dtype=bool)
            parts.append((org_keys[present], np.full(int(present.sum()), col_key[(name, kind)], np.int32),
                          values[present]))
        if parts:
            self._insert("attributes", {
                "wave_key": np.full(sum(len(p[0]) for p in parts), key, np.int32),
                "org_key": np.concatenate([p[0] for p in parts]),
                "col_key": np.concatenate([p[1] for p in parts]),
                "value": pa.array(np.concatenate([p[2] for p in parts]), pa.string()),
            })
        return n_answers

    def _insert_matrix(self, table: str, key: int, org_keys: np.ndarray, matrix: np.ndarray, keys: list[int]) -> int:
        """Insert the non-missing cells of a respondents x columns matrix as long rows."""
        if matrix.size == 0:
            return 0
        present = ~np.isnan(matrix)
        rows, cols = np.nonzero(present)
        self._insert(table, {
            "wave_key": np.full(len(rows), key, np.int32),
            "org_key": org_keys[rows],
            "col_key": np.asarray(keys, np.int32)[cols],
            "value": matrix[rows, cols],
        })
        return len(rows)

    def _insert(self, table: str, columns: Mapping[str, Any]) -> None:
        arrow = pa.table(dict(columns))
        with self._registered("incoming_rows", arrow):
            self.con.execute(f"INSERT INTO {table} SELECT * FROM incoming_rows")

    class _Registration:
        def __init__(self, con, name: str, table: pa.Table) -> None:
            self.con, self.name, self.table = con, name, table

        def __enter__(self):
            self.con.register(self.name, self.table)
            return self

        def __exit__(self, *exc: object) -> None:
            self.con.unregister(self.name)

    def _registered(self, name: str, table: pa.Table) -> "_Registration":
        return BenchmarkStore._Registration(self.con, name, table)

    # -- reading ------------------------------------------------------------------------------------------
    def _catalog(self, key: int) -> pd.DataFrame:
        return self.con.execute(
            "SELECT col_key, name, kind FROM wave_columns WHERE wave_key = ? ORDER BY col_key", [key]).df()

    def _participants(self, key: int, filters: Mapping[str, Any] | None, catalog: pd.DataFrame,
                      organisations: Sequence[str] | None = None) -> pd.DataFrame:
        if organisations is None:
            base = self.con.execute(
                "SELECT p.org_key, o.organisation_id, p.name FROM participants p JOIN organisations o USING (org_key) "
                "WHERE p.wave_key = ? ORDER BY p.position", [key]).df()
        else:
            base = self.con.execute(
                "SELECT p.org_key, o.organisation_id, p.name FROM participants p JOIN organisations o USING (org_key) "
                "WHERE p.wave_key = ? AND list_contains(?, o.organisation_id) ORDER BY p.position",
                [key, [str(o) for o in organisations]]).df()
        if not filters:
            return base
        filterable = catalog[catalog["kind"].isin(_TEXT_KINDS)].set_index("name")["col_key"]
        keep = np.ones(len(base), dtype=bool)
        for name, wanted in filters.items():
            if name not in filterable.index:
                demographics = ", ".join(catalog.loc[catalog["kind"] == "demographic", "name"]) or "none"
                raise StoreError(f"cannot filter on '{name}': wave has no such column (demographics: {demographics})")
            values = [wanted] if isinstance(wanted, str) else [str(v) for v in wanted]
            rows = self.con.execute(
                "SELECT org_key FROM attributes WHERE wave_key = ? AND col_key = ? AND list_contains(?, value)",
                [key, int(filterable[name]), values]).fetchall()
            keep &= base["org_key"].isin([r[0] for r in rows]).to_numpy()
        return base[keep].reset_index(drop=True)

    def _long_rows(self, table: str, key: int, org_keys: np.ndarray, col_keys: Sequence[int]):
        """A wave's long rows of ``table`` as (row position, column position, value), only
        for the organisations and columns asked for."""
        if len(org_keys) <= _FEW_ORGANISATIONS:
            # A few organisations (one client): read only their rows, not the wave's.
            long = self.con.sql(
                f"SELECT org_key, col_key, value FROM {table} WHERE wave_key = ? AND list_contains(?, org_key)",
                params=[key, [int(k) for k in org_keys]]).to_arrow_table()
        else:
            long = self.con.sql(
                f"SELECT org_key, col_key, value FROM {table} WHERE wave_key = ?", params=[key]).to_arrow_table()
        row_of = _lookup(org_keys, long.column("org_key").to_numpy())
        col_of = _lookup(np.asarray(col_keys), long.column("col_key").to_numpy())
        ok = (row_of >= 0) & (col_of >= 0)
        return row_of[ok], col_of[ok], long.column("value").to_numpy(zero_copy_only=False)[ok]

    def _matrix(self, table: str, key: int, org_keys: np.ndarray, col_keys: Sequence[int]) -> np.ndarray:
        """A respondents x columns float matrix (NaN where no row is stored)."""
        out = np.full((len(org_keys), len(col_keys)), np.nan)
        if len(org_keys) and len(col_keys):
            rows, cols, values = self._long_rows(table, key, org_keys, col_keys)
            out[rows, cols] = values
        return out

    def _texts(self, key: int, org_keys: np.ndarray, col_keys: Sequence[int]) -> list[np.ndarray]:
        """One object column per text attribute (None where no row is stored)."""
        out = [np.full(len(org_keys), None, dtype=object) for _ in col_keys]
        if len(org_keys) and len(col_keys):
            rows, cols, values = self._long_rows("attributes", key, org_keys, col_keys)
            for j in range(len(col_keys)):
                sel = cols == j
                out[j][rows[sel]] = values[sel]
        return out

    def responses(self, wave: str | int | None = None, filters: Mapping[str, Any] | None = None,
                  *, organisations: Sequence[str] | None = None) -> pd.DataFrame:
        """The wave's responses as a wide table, in import order.

        Parameters
        ----------
        wave : str, optional
            Default the latest wave.
        filters : dict, optional
            Demographic (or other text column) -> allowed values, e.g.
            ``{"sector": ["Finance"], "size": ["1000-4999", "5000+"]}``.
        organisations : sequence of str, optional
            Only these organisations (read without scanning the wave: a client's own row).

        Returns
        -------
        DataFrame
            The id column, name, demographics, items and outcome items (float), barriers
            (1.0/0.0/NaN), then other attributes (text).
        """
        key = self._key(wave)
        fw = self.framework(self.resolve_wave(wave))
        catalog = self._catalog(key)
        base = self._participants(key, filters, catalog, organisations)
        org_keys = base["org_key"].to_numpy(np.int64)
        data: dict[str, Any] = {fw.id_column: pd.Series(base["organisation_id"].to_numpy(object), dtype="str"),
                                fw.name_column: pd.Series(base["name"].to_numpy(object), dtype="str")}
        numeric = catalog[catalog["kind"].isin(_NUMERIC_KINDS)]
        text = catalog[catalog["kind"].isin(_TEXT_KINDS)]
        matrix = self._matrix("answers", key, org_keys, numeric["col_key"].tolist())
        texts = self._texts(key, org_keys, text["col_key"].tolist())
        numeric_pos = {name: j for j, name in enumerate(numeric["name"])}
        text_pos = {name: j for j, name in enumerate(text["name"])}
        for name, kind in zip(catalog["name"], catalog["kind"]):
            if kind in _NUMERIC_KINDS:
                data[name] = matrix[:, numeric_pos[name]]
            elif kind in _TEXT_KINDS:
                data[name] = pd.Series(texts[text_pos[name]], dtype="str")
        return pd.DataFrame(data)

    def scores(self, wave: str | int | None = None, filters: Mapping[str, Any] | None = None,
               *, organisations: Sequence[str] | None = None) -> pd.DataFrame:
        """Scores stored at import: strand ids, ``index`` and outcome-group ids (0-100).

        Returns
        -------
        DataFrame
            Indexed by respondent id (named after the framework's id column), import order.
        """
        key = self._key(wave)
        fw = self.framework(self.resolve_wave(wave))
        catalog = self._catalog(key)
        base = self._participants(key, filters, catalog, organisations)
        measures = catalog[catalog["kind"].isin(_SCORE_KINDS)]
        matrix = self._matrix("scores", key, base["org_key"].to_numpy(np.int64), measures["col_key"].tolist())
        index = pd.Index(base["organisation_id"].to_numpy(object), name=fw.id_column)
        return pd.DataFrame(matrix, index=index, columns=measures["name"].tolist())

    def organisations(self) -> pd.DataFrame:
        """Every organisation with its name and demographics as of its latest wave.

        Returns
        -------
        DataFrame
            Indexed by organisation id (named after the latest wave's id column), sorted by id.
        """
        ordered = self._wave_keys()
        id_name = self.framework(ordered[-1][0]).id_column if ordered else "respondent_id"
        if not ordered:
            return pd.DataFrame(columns=["name"], index=pd.Index([], name=id_name))
        with self._registered("wave_ranks", _wave_ranks([k for _, k in ordered])):
            latest = self.con.execute(
                "SELECT o.organisation_id, l.org_key, l.wave_key, l.name FROM ("
                "  SELECT p.*, row_number() OVER (PARTITION BY p.org_key ORDER BY r.rank DESC) AS rn"
                "  FROM participants p JOIN wave_ranks r USING (wave_key)) l "
                "JOIN organisations o USING (org_key) WHERE l.rn = 1 ORDER BY o.organisation_id").df()
            demo = self.con.execute(
                "SELECT a.org_key, c.name, a.value FROM attributes a "
                "JOIN wave_columns c ON c.wave_key = a.wave_key AND c.col_key = a.col_key AND c.kind = 'demographic' "
                "JOIN (SELECT org_key, wave_key FROM ("
                "   SELECT p.org_key, p.wave_key, row_number() OVER (PARTITION BY p.org_key ORDER BY r.rank DESC) rn"
                "   FROM participants p JOIN wave_ranks r USING (wave_key)) WHERE rn = 1) l "
                "  ON l.org_key = a.org_key AND l.wave_key = a.wave_key").df()
        index = pd.Index(latest["organisation_id"].to_numpy(object), name=id_name)
        out = pd.DataFrame({"name": pd.Series(latest["name"].to_numpy(object), index=index, dtype="str")}, index=index)
        demo_order = self._demographic_order([label for label, _ in ordered])
        if not demo.empty:
            wide = demo.pivot(index="org_key", columns="name", values="value")
            for name in demo_order:
                if name in wide.columns:
                    out[name] = pd.Series(wide[name].reindex(latest["org_key"]).to_numpy(object), index=out.index,
                                          dtype="str")
        for name in demo_order:
            if name not in out.columns:
                out[name] = pd.Series([None] * len(out), index=out.index, dtype="str")
        return out

    def _demographic_order(self, labels: list[str]) -> list[str]:
        """Demographic ids of every wave's framework, latest framework first."""
        order: list[str] = []
        for label in reversed(labels):
            order += [d for d in self.framework(label).demographic_ids if d not in order]
        return order

    def history(self, organisation_id: str) -> pd.DataFrame:
        """An organisation's scores in every wave it took part in, oldest first.

        Returns
        -------
        DataFrame
            Columns ``wave``, the strand ids (of the latest framework first) and ``index``;
            empty when the organisation is in no wave.
        """
        ordered = self._wave_keys()
        strands: list[str] = []
        for label, _ in reversed(ordered):
            strands += [s for s in self.framework(label).strand_ids if s not in strands]
        columns = ["wave"] + strands + [INDEX_COLUMN]
        rows = self.con.execute(
            "SELECT p.wave_key, c.name, s.value FROM participants p "
            "JOIN organisations o USING (org_key) "
            "LEFT JOIN scores s ON s.wave_key = p.wave_key AND s.org_key = p.org_key "
            "LEFT JOIN wave_columns c ON c.wave_key = s.wave_key AND c.col_key = s.col_key "
            "WHERE o.organisation_id = ? AND (c.kind IS NULL OR c.kind IN ('strand', 'index'))",
            [str(organisation_id)]).fetchall()
        taken = {k for k, _, _ in rows}
        records = []
        for label, key in ordered:
            if key not in taken:
                continue
            record: dict[str, Any] = {c: np.nan for c in columns}
            record["wave"] = label
            record.update({name: value for k, name, value in rows if k == key and name is not None})
            records.append(record)
        frame = pd.DataFrame(records, columns=columns)
        frame[columns[1:]] = frame[columns[1:]].astype(float)
        return frame

    # -- fingerprint --------------------------------------------------------------------------------------------
    def wave_fingerprint(self, wave: str | int | None = None) -> str:
        """A fingerprint of the wave's stored data: ``"sha256:<hex>"``.

        SHA-256 over the wave's columns (name, kind), its organisations (id, name, import
        position), answers, text attributes and stored scores, each read in a fixed order
        (by organisation id, then column name), so it depends on the content only, never on
        how DuckDB happens to lay the rows out. Any change to the wave (a replaced import, or
        a value edited by hand in SQL) changes it; the framework and saved models have
        their own fingerprints.

        Parameters
        ----------
        wave : str, optional
            Default the latest wave.
        """
        key = self._key(wave)
        digest = hashlib.sha256(_FINGERPRINT_FORMAT.encode("utf-8"))
        # Organisations and columns are hashed once, in id and name order; the long tables
        # then refer to them by those ranks (fast to sort and hash, however large the wave).
        ranks = (
            "WITH p AS (SELECT org_key, row_number() OVER (ORDER BY o.organisation_id) AS r "
            "           FROM participants JOIN organisations o USING (org_key) WHERE wave_key = $key), "
            "     c AS (SELECT col_key, row_number() OVER (ORDER BY name, kind) AS r FROM wave_columns WHERE wave_key = $key) ")
        queries = {
            "columns": "SELECT name, kind FROM wave_columns WHERE wave_key = $key ORDER BY name, kind",
            "participants": (
                "SELECT o.organisation_id, p.position, p.name FROM participants p JOIN organisations o USING (org_key) "
                "WHERE p.wave_key = $key ORDER BY o.organisation_id"),
        }
        for table in ("answers", "attributes", "scores"):
            queries[table] = (
                f"{ranks}SELECT p.r AS organisation, c.r AS column_name, t.value FROM {table} t "
                "JOIN p USING (org_key) JOIN c USING (col_key) WHERE t.wave_key = $key ORDER BY 1, 2")
        for name, sql in queries.items():
            _hash_table(digest, name, self.con.sql(sql, params={"key": key}).to_arrow_table())
        return f"sha256:{digest.hexdigest()}"

    # -- artifacts --------------------------------------------------------------------------------------------
    def save_artifact(self, wave: str | int | None, kind: str, payload: dict) -> None:
        """Store a JSON document derived from a wave (replacing one of the same kind).

        Only JSON is stored (NaN becomes null): nothing read back is ever unpickled or run.
        """
        self._require_writable()
        if not isinstance(kind, str) or not kind.strip():
            raise StoreError("an artifact kind must be a non-empty text")
        if not isinstance(payload, Mapping):
            raise StoreError(f"an artifact payload must be a dict, got {type(payload).__name__}")
        try:
            text = json.dumps(json_safe(dict(payload)), allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"artifact '{kind}' is not JSON-serialisable: {exc}") from None
        key = self._key(wave)
        self.con.execute(
            "INSERT INTO artifacts VALUES (?, ?, ?, ?) "
            "ON CONFLICT (wave_key, kind) DO UPDATE SET payload = excluded.payload, saved_at = excluded.saved_at",
            [key, kind, text, _utcnow()])

    def load_artifact(self, wave: str | int | None, kind: str) -> dict | None:
        """The JSON document saved for the wave under ``kind``, or None."""
        key = self._key(wave)
        row = _one(self.con, "SELECT payload FROM artifacts WHERE wave_key = ? AND kind = ?", [key, kind])
        return None if row is None else json.loads(row[0])

    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"the database {self.path} is open read-only")


# --- helpers ------------------------------------------------------------------------------------------


def _connect(path: Path, read_only: bool, lock_timeout: float):
    import duckdb

    deadline = time.monotonic() + max(lock_timeout, 0.0)
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            message = str(exc)
            locked = "lock" in message.lower()
            if locked and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            if locked:
                holder = re.search(r"PID (\d+)", message)
                who = f" (process {holder.group(1)})" if holder else ""
                raise StoreError(f"the database {path} is in use by another process{who}; "
                                 f"try again when it has finished") from None
            if "not a valid DuckDB database" in message:
                raise StoreError(f"{path} is not a DuckDB database") from None
            if "different configuration" in message:
                raise StoreError(f"the database {path} is already open in this process in another mode "
                                 f"(read-only and read-write connections cannot be mixed)") from None
            raise StoreError(f"cannot open the database {path}: {message}") from None


def _one(con, sql: str, params: Sequence[Any] = ()) -> tuple | None:
    """The first row of a query, or None (the result is read to the end, as DuckDB wants
    before the connection does other work)."""
    rows = con.execute(sql, list(params)).fetchall()
    return rows[0] if rows else None


def _rollback(con) -> None:
    try:
        con.execute("ROLLBACK")
    except Exception:  # no transaction left to roll back (e.g. it failed to begin)
        pass


def _pause_for_tests() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if not marker:
        return
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(120)  # the test kills the process meanwhile


def _wave_label(wave: str | int) -> str:
    label = str(wave).strip()
    if not label:
        raise StoreError("a wave needs a label (e.g. 2026)")
    return label


def _natural_key(label: str) -> list:
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", label)]


def _wave_order(labels: list[str]) -> list[int]:
    """Positions of ``labels`` sorted with numbers compared as numbers."""
    return sorted(range(len(labels)), key=lambda i: (_natural_key(labels[i]), labels[i]))


def _lookup(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in ``keys`` (-1 when absent); keys are unique integers.

    The store's keys are small non-negative integers it assigns itself, so a dense table
    indexed by key answers every lookup at once (much faster than sorting and searching).
    """
    keys = np.asarray(keys, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    if not len(keys) or not len(values):
        return np.full(len(values), -1, dtype=np.int64)
    size = int(max(keys.max(), values.max())) + 1
    if keys.min() < 0 or values.min() < 0 or size > 4 * (len(keys) + len(values)) + 1_000_000:
        order = np.argsort(keys)  # sparse or negative keys: sort and search instead
        idx = np.clip(np.searchsorted(keys[order], values), 0, len(keys) - 1)
        return np.where(keys[order][idx] == values, order[idx], -1)
    table = np.full(size, -1, dtype=np.int64)
    table[keys] = np.arange(len(keys))
    return table[values]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash_table(digest: "hashlib._Hash", name: str, table: pa.Table) -> None:
    """Feed a table to ``digest`` in a layout that does not depend on library versions:
    its name and row count, then each column: text as length-prefixed UTF-8 (NULL marked),
    numbers as little-endian float64 (integers as int64)."""
    digest.update(f"\x1d{name}\x1d{table.num_rows}".encode("utf-8"))
    for column_name, column in zip(table.column_names, table.columns):
        digest.update(f"\x1c{column_name}".encode("utf-8"))
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            values = column.to_pylist()
            digest.update("".join("\x00" if v is None else f"{len(v)}\x1f{v}" for v in values).encode("utf-8"))
        elif pa.types.is_integer(column.type):
            digest.update(np.asarray(column.to_numpy(), dtype="<i8").tobytes())
        else:
            digest.update(np.asarray(column.to_numpy(), dtype="<f8").tobytes())


def _data_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of a validated table's content (column names and every cell)."""
    digest = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _wave_ranks(ordered_keys: list[int]) -> pa.Table:
    """Wave keys with their position in wave order (0 = oldest), to join on in SQL."""
    return pa.table({"wave_key": pa.array(ordered_keys, pa.int32()),
                     "rank": pa.array(range(len(ordered_keys)), pa.int32())})
