"""Reading the learner level of a wave: what was imported, per-organisation summaries,
single-choice counts and the learners' rows (:mod:`maturity.data.learners` imports them).

Layout in the benchmark database::

    learner_levels(wave_key, framework_id, framework_version, framework_text, framework_sha256,
                   organisation_column, imported_at, source_name, source_sha256,
                   n_learners, n_organisations)
    learner_answers_<wave_key>(org_key, <item ids> DOUBLE, <barrier ids> DOUBLE, <choice ids> VARCHAR)

Every reader joins the wave's participants, so learners of an organisation no longer in the
wave (its organisation survey was replaced) drop out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import yaml

from ..errors import StoreError
from ..framework import Framework, parse_framework
from .store import BenchmarkStore

__all__ = ["LEVEL_TABLE", "learner_table", "sql_ident", "sql_literal", "has_table", "learner_levels", "has_learners",
           "learner_fingerprint", "learner_framework", "learner_organisation_summary", "learner_choice_counts",
           "learner_rows"]

#: libyaml's safe loader when PyYAML has it (much faster on a stored framework), else PyYAML's.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: The table of waves with a learner level (created by the first learner import).
LEVEL_TABLE = """
CREATE TABLE IF NOT EXISTS learner_levels (
    wave_key INTEGER PRIMARY KEY, framework_id VARCHAR NOT NULL, framework_version VARCHAR NOT NULL,
    framework_text VARCHAR NOT NULL, framework_sha256 VARCHAR NOT NULL, organisation_column VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL, source_name VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    n_learners BIGINT NOT NULL, n_organisations INTEGER NOT NULL);
"""


def learner_table(key: int) -> str:
    """Name of the learner table of the wave with key ``key``."""
    return f"learner_answers_{int(key)}"


def sql_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def learner_levels(store: BenchmarkStore) -> pd.DataFrame:
    """The waves that have a learner level: wave, framework, source, n_learners, n_organisations."""
    if not has_table(store, "learner_levels"):
        return pd.DataFrame(columns=["wave", "framework_id", "framework_version", "source_name", "imported_at",
                                     "n_learners", "n_organisations"])
    return store.con.execute(
        "SELECT w.wave, l.framework_id, l.framework_version, l.source_name, l.imported_at, l.n_learners, "
        "l.n_organisations FROM learner_levels l JOIN waves w USING (wave_key) ORDER BY w.wave").df()


def has_table(store: BenchmarkStore, name: str) -> bool:
    """Whether the database has a table called ``name`` (the learner tables appear with the first import)."""
    return bool(store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?",
        [name]).fetchone()[0])


def _level(store: BenchmarkStore, wave: str | int | None) -> tuple[str, int, tuple]:
    label = store.resolve_wave(wave)
    key = int(store.con.execute("SELECT wave_key FROM waves WHERE wave = ?", [label]).fetchone()[0])
    row = None
    if has_table(store, "learner_levels"):
        row = store.con.execute("SELECT framework_text FROM learner_levels WHERE wave_key = ?", [key]).fetchone()
    if row is None:
        raise StoreError(f"wave {label} of {store.path} has no learners; import them with "
                         f"`maturity import LEARNERS.csv --wave {label} --level learner`")
    return label, key, row


def has_learners(store: BenchmarkStore, wave: str | int | None = None) -> bool:
    """Whether the wave (default the latest) has a learner level."""
    try:
        _level(store, wave)
    except StoreError:
        return False
    return True


def learner_fingerprint(store: BenchmarkStore, wave: str | int | None = None) -> str | None:
    """A fingerprint of the wave's learner level, ``"sha256:<hex>"`` (None without learners).

    SHA-256 of the learner framework's fingerprint and the imported file's SHA-256: it
    changes when the learners are replaced, so figures derived from them can record which
    learners they were made from.
    """
    if not has_learners(store, wave):
        return None
    key = int(store.con.execute("SELECT wave_key FROM waves WHERE wave = ?", [store.resolve_wave(wave)]).fetchone()[0])
    fw_sha, source_sha = store.con.execute(
        "SELECT framework_sha256, source_sha256 FROM learner_levels WHERE wave_key = ?", [key]).fetchone()
    return "sha256:" + hashlib.sha256(f"maturity/learners/1\x1f{fw_sha}\x1f{source_sha}".encode("utf-8")).hexdigest()


def learner_framework(store: BenchmarkStore, wave: str | int | None = None) -> Framework:
    """The learner framework the wave's learners were imported with."""
    _label, _key, (text,) = _level(store, wave)
    return parse_framework(yaml.load(text, Loader=_YAML_LOADER), source=None)


def _scale_sql(framework: Framework) -> dict[str, str]:
    """SQL of each strand's learner score (0-100): the weighted mean of the answered item
    scores when at least ``min_answered`` of the items are answered, else NULL."""
    out = {}
    for strand in framework.strands:
        parts, weights, answered = [], [], []
        for item in strand.items:
            sc = framework.scales[item.scale]
            col = sql_ident(item.id)
            score = f"(({col} - {sc.min!r}) / {sc.max - sc.min!r} * 100)"
            if item.reverse:
                score = f"(100 - {score})"
            parts.append(f"coalesce({score} * {item.weight!r}, 0)")
            weights.append(f"CASE WHEN {col} IS NULL THEN 0 ELSE {item.weight!r} END")
            answered.append(f"CASE WHEN {col} IS NULL THEN 0 ELSE 1 END")
        need = framework.index.min_answered * len(strand.items)
        out[strand.id] = (f"CASE WHEN ({' + '.join(answered)}) >= {need!r} "
                          f"THEN ({' + '.join(parts)}) / ({' + '.join(weights)}) END")
    return out


def learner_organisation_summary(store: BenchmarkStore, wave: str | int | None = None, *,
                                 organisations: Sequence[str] | None = None) -> pd.DataFrame:
    """Per organisation and measure, the learners' count, mean and sample variance.

    One ``GROUP BY`` over the wave's learner table (over ``organisations`` only, when given:
    a client's own figures read its own learners, not the wave's). Measures are the learner framework's
    items (on their printed scale, as answered), its strands (``kind`` ``scale``: learner
    scores 0-100) and its barriers (``kind`` ``barrier``: the mean is the share selecting it).
    Organisations no longer in the wave are left out.

    Returns
    -------
    DataFrame
        Long: ``organisation_id``, ``measure``, ``kind`` (item, scale, barrier), ``n``,
        ``mean``, ``var``; ``n_learners`` holds the organisation's learners in the file.
    """
    _label, key, _ = _level(store, wave)
    fw = learner_framework(store, wave)
    table = sql_ident(learner_table(key))
    scale_sql = _scale_sql(fw)
    measures = [(i.id, "item", sql_ident(i.id)) for i in fw.items]
    measures += [(sid, "scale", sql_ident("scale:" + sid)) for sid in scale_sql]
    columns = {r[0] for r in store.con.execute(f"DESCRIBE {table}").fetchall()}
    measures += [(b.id, "barrier", sql_ident(b.id)) for b in fw.barriers if b.id in columns]
    for item in fw.items:  # the share answering in the top two options of the favourable direction
        sc = fw.scales[item.scale]
        col = sql_ident(item.id)
        test = f"{col} <= {sc.min + 1!r}" if item.reverse else f"{col} >= {sc.max - 1!r}"
        scale_sql["favourable:" + item.id] = f"CASE WHEN {col} IS NULL THEN NULL WHEN {test} THEN 1.0 ELSE 0.0 END"
        measures.append((item.id, "favourable", sql_ident("favourable:" + item.id)))
    scores = ", ".join(f"{sql} AS {sql_ident(name if ':' in name else 'scale:' + name)}" for name, sql in scale_sql.items())
    inner = f"SELECT *, {scores} FROM {table}{_only(organisations)}"
    # Counts, sums and sums of squares are the cheapest aggregates; means and variances
    # follow from them per organisation (answers are small numbers: no loss of precision).
    # For 0/1 measures the sum of squares is the sum (DuckDB computes a repeated aggregate once).
    aggregates = ", ".join(
        f"count({col}), sum({col}), sum({col if kind in ('barrier', 'favourable') else f'{col} * {col}'})"
        for _m, kind, col in measures)
    frame = store.con.execute(
        f"SELECT o.organisation_id, g.* EXCLUDE (org_key) FROM "
        f"(SELECT org_key, count(*) AS n_learners, {aggregates} FROM ({inner}) t GROUP BY org_key) g "
        f"JOIN participants p ON p.org_key = g.org_key AND p.wave_key = {key} "
        "JOIN organisations o ON o.org_key = g.org_key ORDER BY o.organisation_id", _ids(organisations)
    ).fetchnumpy()
    names = list(frame)
    rows = []
    ids = frame[names[0]].astype(object)
    totals = frame[names[1]].astype("int64")
    for j, (measure, kind, _col) in enumerate(measures):
        base = 2 + 3 * j
        n = frame[names[base]].astype("int64")
        total = pd.array(frame[names[base + 1]], dtype="float64").to_numpy(na_value=np.nan)
        squares = pd.array(frame[names[base + 2]], dtype="float64").to_numpy(na_value=np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, total / n, np.nan)
            var = np.where(n > 1, np.maximum(squares - total * mean, 0.0) / (n - 1), np.nan)
        rows.append(pd.DataFrame({"organisation_id": ids, "measure": measure, "kind": kind, "n": n,
                                  "mean": mean, "var": var, "n_learners": totals}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["organisation_id", "measure", "kind", "n", "mean", "var", "n_learners"])


def learner_choice_counts(store: BenchmarkStore, wave: str | int | None = None, *,
                          organisations: Sequence[str] | None = None) -> pd.DataFrame:
    """Per organisation and single-choice question, how many learners chose each value
    (of ``organisations`` only, when given).

    Returns
    -------
    DataFrame
        ``organisation_id``, ``question``, ``value``, ``n`` (blank answers left out).
    """
    _label, key, _ = _level(store, wave)
    fw = learner_framework(store, wave)
    table = sql_ident(learner_table(key))
    columns = {r[0] for r in store.con.execute(f"DESCRIBE {table}").fetchall()}
    parts = []
    for demo in fw.demographics:
        if demo.id not in columns:
            continue
        parts.append(store.con.execute(
            f"SELECT o.organisation_id, {sql_literal(demo.id)} AS question, t.{sql_ident(demo.id)} AS value, "
            f"count(*) AS n FROM (SELECT * FROM {table}{_only(organisations)}) t "
            f"JOIN participants p ON p.org_key = t.org_key AND p.wave_key = {key} "
            f"JOIN organisations o ON o.org_key = t.org_key WHERE t.{sql_ident(demo.id)} IS NOT NULL "
            "GROUP BY ALL ORDER BY 1, 3", _ids(organisations)).df())
    if not parts:
        return pd.DataFrame(columns=["organisation_id", "question", "value", "n"])
    return pd.concat(parts, ignore_index=True)


def _only(organisations: Sequence[str] | None) -> str:
    """A WHERE clause keeping the learners of ``organisations`` (bound as one list parameter)."""
    if organisations is None:
        return ""
    return " WHERE org_key IN (SELECT org_key FROM organisations WHERE list_contains(?, organisation_id))"


def _ids(organisations: Sequence[str] | None) -> list:
    return [] if organisations is None else [[str(o) for o in organisations]]


def learner_rows(store: BenchmarkStore, wave: str | int | None = None) -> pd.DataFrame:
    """The wave's learner answers, one row per learner (for research in memory; large).

    Returns
    -------
    DataFrame
        ``organisation_id`` then the stored columns (items, barriers, choices).
    """
    _label, key, _ = _level(store, wave)
    table = sql_ident(learner_table(key))
    return store.con.execute(
        f"SELECT o.organisation_id, t.* EXCLUDE (org_key) FROM {table} t "
        f"JOIN participants p ON p.org_key = t.org_key AND p.wave_key = {key} "
        "JOIN organisations o ON o.org_key = t.org_key").df()
