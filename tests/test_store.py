"""The benchmark database: waves, organisations across waves, idempotent and atomic
imports (even under SIGKILL), read-back, filters, history, artifacts and clear errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.data.responses import read_responses
from maturity.data.store import PAUSE_ENV, BenchmarkStore
from maturity.data.synthetic import generate_wave
from maturity.errors import StoreError, ValidationFailed
from maturity.framework import load_framework, parse_framework
from maturity.framework_document import same_framework

from .conftest import small_framework_dict
from .survey_files import assert_same_scores, scores_of

FW = maturity.load_framework()
ID = FW.id_column


@pytest.fixture(scope="module")
def waves():
    """Two synthetic waves (most organisations return) as validated response tables."""
    first = maturity.generate_benchmark(120, seed=21)
    second = generate_wave(first, seed=22)
    return first.responses, second.responses


@pytest.fixture
def db(tmp_path, waves):
    """A database holding both waves."""
    path = tmp_path / "bench.duckdb"
    with BenchmarkStore(path) as store:
        store.import_responses(waves[0], FW, "2025")
        store.import_responses(waves[1], FW, "2026")
    return path


def snapshot(path: Path) -> dict:
    """Everything a reader can see in the database."""
    with BenchmarkStore(path, read_only=True) as store:
        listing = store.waves()
        labels = listing["wave"].tolist()
        return {
            "waves": listing,
            "responses": {w: store.responses(w) for w in labels},
            "scores": {w: store.scores(w) for w in labels},
            "organisations": store.organisations(),
            "counts": {t: store.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                       for t in ("organisations", "participants", "answers", "attributes", "scores", "wave_columns")},
        }


def assert_same_snapshot(a: dict, b: dict) -> None:
    pd.testing.assert_frame_equal(a["waves"], b["waves"])
    assert a["responses"].keys() == b["responses"].keys()
    for w in a["responses"]:
        pd.testing.assert_frame_equal(a["responses"][w], b["responses"][w])
        pd.testing.assert_frame_equal(a["scores"][w], b["scores"][w])
    pd.testing.assert_frame_equal(a["organisations"], b["organisations"])
    assert a["counts"] == b["counts"]


# --- importing ------------------------------------------------------------------------------------


def test_waves_list_counts_oldest_first(db, waves):
    with BenchmarkStore(db, read_only=True) as store:
        listing = store.waves()
    assert listing.columns[:7].tolist() == ["wave", "framework_id", "framework_version", "imported_at",
                                            "source_name", "source_sha256", "n_organisations"]
    assert listing["wave"].tolist() == ["2025", "2026"]
    assert listing["n_organisations"].tolist() == [len(waves[0]), len(waves[1])]
    returning = len(set(waves[0][ID]) & set(waves[1][ID]))
    assert listing["n_returning"].tolist() == [0, returning] and 0 < returning < len(waves[1])
    assert listing["framework_id"].eq(FW.id).all() and str(listing["imported_at"].dt.tz) == "UTC"


def test_responses_and_scores_read_back(db, waves):
    with BenchmarkStore(db, read_only=True) as store:
        back = store.responses("2026")
        scores = store.scores("2026")
    clean, _ = maturity.data.responses.validate_frame(waves[1], FW)
    pd.testing.assert_frame_equal(back, clean)
    assert scores.index.name == ID and list(scores.index) == list(clean[ID])
    assert scores.columns.tolist() == FW.strand_ids + ["index"] + [g.id for g in FW.outcomes]
    assert_same_scores(scores, scores_of(waves[1], FW))


def test_import_result_counts_new_and_returning(tmp_path, waves):
    with BenchmarkStore(tmp_path / "b.duckdb") as store:
        first = store.import_responses(waves[0], FW, "2025")
        second = store.import_responses(waves[1], FW, "2026")
    returning = len(set(waves[0][ID]) & set(waves[1][ID]))
    assert (first.status, first.n_new, first.n_returning) == ("imported", len(waves[0]), 0)
    assert (second.status, second.n_returning, second.n_new) == ("imported", returning, len(waves[1]) - returning)
    assert "Imported wave 2026" in second.message


def test_same_file_again_adds_nothing_and_says_so(tmp_path, waves):
    path = tmp_path / "w.csv"
    maturity.files.write_csv(path, waves[0])
    responses, _ = read_responses(path, FW)
    db = tmp_path / "b.duckdb"
    with BenchmarkStore(db) as store:
        store.import_responses(responses, FW, "2025", source=path)
        modified = store.wave_modified("2025")
    before = snapshot(db)
    with BenchmarkStore(db) as store:
        again = store.import_responses(responses, FW, "2025", source=path)
        # the same data from another format is the same data too
        xlsx = tmp_path / "w.xlsx"
        maturity.files.write_xlsx(xlsx, waves[0])
        from_xlsx = store.import_responses(read_responses(xlsx, FW)[0], FW, "2025", source=xlsx)
        assert store.wave_modified("2025") == modified
    assert again.status == from_xlsx.status == "unchanged" and not again.changed
    assert "nothing was added" in again.message
    assert_same_snapshot(before, snapshot(db))


def test_different_data_for_a_wave_needs_replace(db, waves):
    before = snapshot(db)
    with BenchmarkStore(db) as store:
        with pytest.raises(StoreError, match="already holds different data.*replace"):
            store.import_responses(waves[0], FW, "2026")
    assert_same_snapshot(before, snapshot(db))
    with BenchmarkStore(db) as store:
        modified = store.wave_modified("2026")
        result = store.import_responses(waves[0], FW, "2026", replace=True)
        assert result.status == "replaced"
        assert store.wave_modified("2026") > modified
        pd.testing.assert_frame_equal(store.responses("2026"), store.responses("2025"))
        assert store.waves()["wave"].tolist() == ["2025", "2026"]


def test_rejected_responses_write_nothing(db, waves):
    before = snapshot(db)
    broken = waves[1].copy()
    broken.loc[3, "bn_1"] = 9
    with BenchmarkStore(db) as store:
        with pytest.raises(ValidationFailed, match="out_of_range"):
            store.import_responses(broken, FW, "2027")
    assert_same_snapshot(before, snapshot(db))


def test_failure_inside_the_transaction_rolls_back(db, waves, monkeypatch):
    before = snapshot(db)

    def explode():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("maturity.data.store._pause_for_tests", explode)
    with BenchmarkStore(db) as store:
        with pytest.raises(RuntimeError):
            store.import_responses(waves[0], FW, "2026", replace=True)  # deletes, then fails
        with pytest.raises(RuntimeError):
            store.import_responses(waves[0], FW, "2027")
    assert_same_snapshot(before, snapshot(db))


_KILLED_IMPORT = textwrap.dedent("""
    import sys
    import maturity
    from maturity.data.store import BenchmarkStore
    from maturity.data.synthetic import generate_wave
    fw = maturity.load_framework()
    responses = maturity.generate_benchmark(3000, seed=int(sys.argv[3])).responses
    with BenchmarkStore(sys.argv[1]) as store:
        store.import_responses(responses, fw, sys.argv[2], replace=True)
    print("committed")
""")


@pytest.mark.parametrize("wave", ["2027", "2025"], ids=["new-wave", "replacing-a-wave"])
def test_sigkill_mid_import_leaves_the_database_as_it_was(db, tmp_path, wave):
    before = snapshot(db)
    marker = tmp_path / "inside-transaction"
    env = dict(os.environ, **{PAUSE_ENV: str(marker)})
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_IMPORT, str(db), wave, "99"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the import never reached its transaction"
            time.sleep(0.05)
        # The process has inserted every row of the wave and not committed: kill it now.
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert_same_snapshot(before, snapshot(db))
    # and the database still takes writes
    done = subprocess.run([sys.executable, "-c", _KILLED_IMPORT, str(db), wave, "99"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "committed" in done.stdout, done.stderr
    with BenchmarkStore(db, read_only=True) as store:
        assert len(store.responses(wave)) == 3000


# --- reading ------------------------------------------------------------------------------------------------


def test_filters_by_demographics(db):
    with BenchmarkStore(db, read_only=True) as store:
        everyone = store.responses("2026")
        finance = store.responses("2026", {"sector": ["Finance"], "size": ["1000-4999", "5000+"]})
        scores = store.scores("2026", {"sector": "Finance"})
        with pytest.raises(StoreError, match="cannot filter on 'colour'.*sector, size, region"):
            store.responses("2026", {"colour": ["red"]})
    expected = everyone[(everyone["sector"] == "Finance") & everyone["size"].isin(["1000-4999", "5000+"])]
    assert 0 < len(finance) < len(everyone)
    pd.testing.assert_frame_equal(finance, expected.reset_index(drop=True))
    assert set(scores.index) == set(everyone.loc[everyone["sector"] == "Finance", ID])


def test_history_follows_an_organisation_across_waves(db, waves):
    both = sorted(set(waves[0][ID]) & set(waves[1][ID]))[0]
    only_first = sorted(set(waves[0][ID]) - set(waves[1][ID]))[0]
    with BenchmarkStore(db, read_only=True) as store:
        history = store.history(both)
        single = store.history(only_first)
        none = store.history("ORG-9999")
        first, second = store.scores("2025"), store.scores("2026")
    assert history.columns.tolist() == ["wave"] + FW.strand_ids + ["index"]
    assert history["wave"].tolist() == ["2025", "2026"]
    np.testing.assert_allclose(history.iloc[0, 1:].to_numpy(float), first.loc[both, FW.strand_ids + ["index"]].to_numpy(float))
    np.testing.assert_allclose(history.iloc[1, 1:].to_numpy(float), second.loc[both, FW.strand_ids + ["index"]].to_numpy(float))
    assert single["wave"].tolist() == ["2025"] and none.empty


def test_organisations_are_one_per_id_with_latest_demographics(tmp_path, waves):
    second = waves[1].copy()
    moved = second[ID].iloc[0]
    assert moved in set(waves[0][ID])
    new_sector = next(v for v in FW.demographics[0].values if v != second.loc[0, "sector"])
    second.loc[0, "sector"] = new_sector
    with BenchmarkStore(tmp_path / "b.duckdb") as store:
        store.import_responses(waves[0], FW, "2025")
        store.import_responses(second, FW, "2026")
        orgs = store.organisations()
    assert orgs.index.name == ID and orgs.index.is_unique
    assert set(orgs.index) == set(waves[0][ID]) | set(second[ID])
    assert orgs.columns.tolist() == ["name"] + FW.demographic_ids
    assert orgs.loc[moved, "sector"] == new_sector
    gone = sorted(set(waves[0][ID]) - set(second[ID]))[0]
    assert orgs.loc[gone, "name"] == waves[0].set_index(ID).loc[gone, "name"]


def test_wave_order_latest_and_unknown_wave(tmp_path, waves):
    with BenchmarkStore(tmp_path / "b.duckdb") as store:
        with pytest.raises(StoreError, match="holds no waves yet"):
            store.resolve_wave(None)
        for label in ("10", "9", "2026b", "2026"):
            store.import_responses(waves[0], FW, label)
        assert store.waves()["wave"].tolist() == ["9", "10", "2026", "2026b"]
        assert store.resolve_wave(None) == "2026b" and store.resolve_wave(2026) == "2026"
        with pytest.raises(StoreError, match="no wave '2031'.*9, 10, 2026, 2026b"):
            store.responses("2031")


def test_each_wave_keeps_its_framework(tmp_path):
    small = parse_framework(small_framework_dict(n_strands=2, n_items=5), source="<test>")
    team = maturity.generate_benchmark(30, framework=small, seed=4).responses
    fw_file = tmp_path / "team.yaml"
    import yaml

    fw_file.write_text("# our team survey, kept with its comments\n" + yaml.safe_dump(small_framework_dict(3, 2)),
                       encoding="utf-8")
    from_file = load_framework(fw_file)
    team3 = maturity.generate_benchmark(20, framework=from_file, seed=5).responses
    with BenchmarkStore(tmp_path / "b.duckdb") as store:
        store.import_responses(team, small, "2025")
        store.import_responses(team3, from_file, "2026")
        assert same_framework(store.framework("2025"), small)
        assert same_framework(store.framework("2026"), from_file)
        text = store.con.execute("SELECT framework_text FROM waves WHERE wave = '2026'").fetchall()[0][0]
        assert text == fw_file.read_text(encoding="utf-8")
        assert store.scores("2025").columns.tolist() == ["s0", "s1", "index"]
        assert store.responses("2026").columns[0] == "person"
        assert store.history(team3["person"].iloc[0]).columns.tolist() == ["wave", "s0", "s1", "s2", "index"]


def test_load_benchmark_reads_a_wave_with_its_framework(db, waves):
    from maturity.data.population import load_benchmark

    data = load_benchmark(db=db, wave="2025")
    assert data.wave == "2025" and data.n == len(waves[0]) and data.responses.index.name == ID
    assert_same_scores(pd.concat([data.scores, data.outcomes], axis=1), scores_of(waves[0], FW))
    assert load_benchmark(db=db).wave == "2026"


# --- artifacts ------------------------------------------------------------------------------------------------


def test_artifacts_are_json_per_wave(db):
    with BenchmarkStore(db) as store:
        assert store.load_artifact("2026", "segments") is None
        store.save_artifact("2026", "segments", {"k": 4, "silhouette": float("nan"), "names": ["a", "b"]})
        store.save_artifact("2026", "segments", {"k": 5})
        store.save_artifact("2025", "segments", {"k": 3})
        with pytest.raises(StoreError, match="not JSON"):
            store.save_artifact("2026", "model", {"estimator": object()})
        with pytest.raises(StoreError, match="no wave"):
            store.save_artifact("1999", "segments", {})
    with BenchmarkStore(db, read_only=True) as store:
        assert store.load_artifact("2026", "segments") == {"k": 5}
        assert store.load_artifact(None, "segments") == {"k": 5}
        assert store.load_artifact("2025", "segments") == {"k": 3}
        with pytest.raises(StoreError, match="read-only"):
            store.save_artifact("2026", "segments", {"k": 1})


def test_artifacts_of_a_replaced_wave_are_dropped(db, waves):
    with BenchmarkStore(db) as store:
        store.save_artifact("2026", "segments", {"k": 4})
        store.import_responses(waves[0], FW, "2026", replace=True)
        assert store.load_artifact("2026", "segments") is None


def test_wave_modified_is_utc(db):
    with BenchmarkStore(db, read_only=True) as store:
        stamp = store.wave_modified("2026")
    assert stamp.tzinfo == timezone.utc and abs(time.time() - stamp.timestamp()) < 600


# --- opening ----------------------------------------------------------------------------------------------------


def test_read_only_store_cannot_import(db, waves):
    with BenchmarkStore(db, read_only=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            store.import_responses(waves[0], FW, "2030")


def test_missing_database_read_only(tmp_path):
    with pytest.raises(StoreError, match="no benchmark database at"):
        BenchmarkStore(tmp_path / "none.duckdb", read_only=True)
    assert not (tmp_path / "none.duckdb").exists()


def test_not_a_duckdb_file(tmp_path):
    path = tmp_path / "fake.duckdb"
    path.write_text("respondent_id,bn_1\nA,1\n", encoding="utf-8")
    for read_only in (True, False):
        with pytest.raises(StoreError, match="is not a DuckDB database"):
            BenchmarkStore(path, read_only=read_only)
    assert path.read_text(encoding="utf-8") == "respondent_id,bn_1\nA,1\n"


def test_a_duckdb_file_of_something_else(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a maturity benchmark database"):
        BenchmarkStore(path)


def test_locked_database_gives_a_clear_error(db):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from maturity.data.store import BenchmarkStore; "
                               "s = BenchmarkStore(sys.argv[1]); print('open', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match=r"in use by another process \(process \d+\)"):
            BenchmarkStore(db, read_only=True, lock_timeout=0)
    finally:
        holder.kill()
        holder.wait()
    with BenchmarkStore(db, read_only=True, lock_timeout=5) as store:  # free again
        assert store.resolve_wave(None) == "2026"


def test_several_readers_at_once(db):
    code = ("import sys; from maturity.data.store import BenchmarkStore; "
            "s = BenchmarkStore(sys.argv[1], read_only=True); print(len(s.responses())); s.close()")
    with BenchmarkStore(db, read_only=True) as store:
        n = len(store.responses())
        out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and int(out.stdout) == n


def test_framework_document_round_trips_a_full_framework():
    import dataclasses

    import yaml

    from maturity.framework_document import framework_document, framework_to_dict

    moved = dataclasses.replace(FW, source="/nowhere/fw.yaml")  # no file: the document is a dump
    text = framework_document(moved)
    assert not text.startswith("#")
    again = parse_framework(yaml.safe_load(text))
    assert same_framework(again, FW) and again.actions == FW.actions and again.outcomes == FW.outcomes
    assert framework_to_dict(again) == framework_to_dict(FW)


@pytest.mark.parametrize("keys,values", [
    ([5, 2, 9], [9, 9, 1, 2, 5, 7]),          # dense keys, absent values
    ([-3, 10**12], [10**12, -3, 4]),          # negative and huge keys: the sorted path
    ([], [1, 2]),
    (list(range(999, -1, -1)), [0, 999, 1000, 500]),
])
def test_lookup_matches_a_plain_search(keys, values):
    from maturity.data.store import _lookup

    expected = [keys.index(v) if v in keys else -1 for v in values]
    assert _lookup(np.array(keys, dtype=np.int64), np.array(values, dtype=np.int64)).tolist() == expected
