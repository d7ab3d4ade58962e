"""Provenance in results.json and ``maturity verify``: a finished batch re-checked against
its database, figure by figure."""

from __future__ import annotations

import json
import math
import shutil

import nbformat
import pytest

import maturity
from maturity.analysis.segments import SegmentModel, save_segments
from maturity.batch.runner import run_batch
from maturity.batch.verify import compare_results, verify_batch
from maturity.cli import main
from maturity.data.store import BenchmarkStore
from maturity.demo.clients import pick_demo_clients, write_client_files
from maturity.framework_document import framework_fingerprint
from maturity.reporting.report_blocks import method_markdown, provenance_markdown

from .conftest import released_population
from .dashboard_support import build_two_wave_db

FINGERPRINT = r"sha256:[0-9a-f]{64}"


def _template(path):
    """A one-cell report template: the batch path runs, without the plotting stack."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("client_id = None\nresults_path = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import json\nresults = json.load(open(results_path))")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Two waves in a database and a finished batch of three clients: two organisations of
    the wave (one with a sector peer group) and a new organisation's own survey."""
    root = tmp_path_factory.mktemp("verify")
    db, later = build_two_wave_db(root / "benchmark.duckdb", 200, seed=5)  # the demo's waves
    fw = later.framework
    clients = pick_demo_clients(later.responses, fw, 2, wave="2026")
    folder = root / "parameters"
    files = write_client_files(folder, clients, db)
    survey = root / "newco.csv"
    maturity.generate_benchmark(1, seed=77, id_prefix="NEW", missing_rate=0.0).write(survey)
    own = folder / "newco.yaml"
    own.write_text(f"client_id: newco\nresponses: {survey}\ndb: {db}\nwave: '2026'\n", encoding="utf-8")
    result = run_batch([*files, own], root / "out", workers=1, notebook=_template(root / "template.ipynb"),
                       progress=False)
    assert result.exit_code == 0, result.summary()
    return {"root": root, "db": db, "out": result.out, "clients": clients, "later": later, "survey": survey}


def _results(batch, client_id):
    return json.loads((batch["out"] / "clients" / client_id / "results.json").read_text(encoding="utf-8"))


def _changed_copy(batch, tmp_path):
    """A copy of the database in which one organisation's answers to wave 2026 differ."""
    copy = tmp_path / "changed.duckdb"
    shutil.copy(batch["db"], copy)
    later = batch["later"]
    fw = later.framework
    responses = later.responses.copy()
    target = batch["clients"][0]["organisation"]
    # A peer of the client, not the client, inside the population the released figures
    # stand on (a tiny demographic value is left out of them).
    released = responses[fw.id_column].isin(set(released_population(responses, fw)))
    other = (responses[fw.id_column] != target) & released
    row = responses.index[other][3]
    items = [i.id for i in fw.strand("engagement").items if not i.reverse]
    responses.loc[row, items] = 1 if responses.loc[row, items].astype(float).mean() > 3 else 5
    with BenchmarkStore(copy) as store:
        assert store.import_responses(responses, fw, "2026", replace=True).status == "replaced"
    return copy


def test_results_record_what_they_were_made_from(batch):
    client = batch["clients"][0]
    prov = _results(batch, client["client_id"])["provenance"]
    with BenchmarkStore(batch["db"], read_only=True) as store:
        assert prov["data_fingerprint"] == store.wave_fingerprint("2026")
        assert prov["data_fingerprint"] != store.wave_fingerprint("2025")
        assert prov["framework"]["fingerprint"] == framework_fingerprint(store.framework("2026"))
    assert prov["wave"] == "2026" and prov["kit_version"] == maturity.__version__
    assert prov["framework"]["id"] == "towards-maturity-6" and prov["framework"]["file"] is None
    assert prov["parameters"]["organisation"] == client["organisation"]
    assert prov["parameters"]["peers"] == client["peers"]
    # Percentiles are read from the published bins: no bootstrap, so no bootstrap seed.
    assert prov["seeds"] == {"segments": 2026, "importance": 0, "n_boot": 0}
    assert prov["segments"] == {"source": "fitted", "fingerprint": None}
    assert prov["responses_fingerprint"] is None
    assert {"python", "numpy", "pandas", "scipy", "scikit-learn", "duckdb"} <= set(prov["environment"])
    own = _results(batch, "newco")["provenance"]
    assert own["responses_fingerprint"].startswith("sha256:") and own["parameters"]["responses"] == str(batch["survey"])


def test_wave_fingerprint_follows_the_content_only(batch, tmp_path):
    copy = tmp_path / "same.duckdb"
    shutil.copy(batch["db"], copy)
    with BenchmarkStore(copy) as store:
        before = store.wave_fingerprint("2026")
        # Rewriting the same values in another physical order changes nothing.
        store.con.execute("CREATE TEMP TABLE keep AS SELECT * FROM answers ORDER BY value DESC, org_key")
        store.con.execute("DELETE FROM answers")
        store.con.execute("INSERT INTO answers SELECT * FROM keep")
        assert store.wave_fingerprint("2026") == before
        # One stored answer edited by hand does change it.
        store.con.execute("UPDATE answers SET value = value + 1 WHERE rowid = (SELECT min(rowid) FROM answers "
                          "WHERE wave_key = (SELECT wave_key FROM waves WHERE wave = '2026'))")
        assert store.wave_fingerprint("2026") != before


def test_framework_fingerprint_ignores_layout_not_content(framework, tmp_path, default_framework_dict):
    import yaml

    path = tmp_path / "fw.yaml"
    path.write_text("# a comment\n" + yaml.safe_dump(default_framework_dict, sort_keys=True), encoding="utf-8")
    assert framework_fingerprint(maturity.load_framework(path)) == framework_fingerprint(framework)
    default_framework_dict["strands"][0]["items"][0]["text"] = "Reworded."
    path.write_text(yaml.safe_dump(default_framework_dict), encoding="utf-8")
    assert framework_fingerprint(maturity.load_framework(path)) != framework_fingerprint(framework)


def test_a_fresh_batch_verifies(batch, capsys):
    assert main(["verify", str(batch["out"])]) == 0
    out = capsys.readouterr().out
    for client_id in [c["client_id"] for c in batch["clients"]] + ["newco"]:
        assert f"identical: {client_id}" in out
    assert "3 client(s) re-checked" in out and "3 identical, 0 different, 0 could not be recomputed" in out


def test_verify_fails_naming_client_and_figure_after_the_wave_changed(batch, tmp_path, capsys):
    changed = _changed_copy(batch, tmp_path)
    assert main(["verify", str(batch["out"]), "--db", str(changed)]) == 1
    out = capsys.readouterr().out
    first = batch["clients"][0]["client_id"]
    assert f"different: {first}" in out
    assert f"{first}: wave 2026 data fingerprint differs (recorded sha256:" in out
    # the peer group's statistics moved with the changed organisation
    assert f"{first}: peers.stats.engagement.mean: recorded " in out
    report = verify_batch(batch["out"], db=changed)
    check = next(c for c in report.clients if c.client_id == first)
    diff = next(d for d in check.differences if d.path == "peers.stats.engagement.mean")
    assert isinstance(diff.recorded, float) and abs(diff.recorded - diff.now) > 1e-6
    assert report.exit_code == 1 and report.count("different") == 3  # the fingerprint differs for all


def test_verify_names_a_new_segment_model(batch, tmp_path, capsys):
    copy = tmp_path / "segmented.duckdb"
    shutil.copy(batch["db"], copy)
    with BenchmarkStore(copy) as store:
        scores = store.scores("2026")
        strands = store.framework("2026").strand_ids
        save_segments(store, "2026", SegmentModel(strands=strands, k=3, n_bootstrap=0).fit(scores))
    assert main(["verify", str(batch["out"]), "--db", str(copy), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    first = next(c for c in report["clients"] if c["client_id"] == batch["clients"][0]["client_id"])
    assert first["status"] == "different"
    assert any(p.startswith("segment model differs (recorded fitted none, now saved sha256:") for p in first["problems"])
    assert any(d["figure"] == "segment.k" and d["recorded"] == 4 and d["now"] == 3 for d in first["differences"])
    assert not any("data fingerprint" in p for p in first["problems"])


def test_results_without_provenance_cannot_be_rechecked(batch, tmp_path, capsys):
    out = tmp_path / "old"
    shutil.copytree(batch["out"], out)
    path = out / "clients" / "newco" / "results.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    del results["provenance"]
    path.write_text(json.dumps(results), encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["clients"][0]["status"] = "failed"
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["verify", str(out)]) == 1
    text = capsys.readouterr().out
    assert "error: newco" in text and "records no provenance" in text
    assert f"not checked (not finished in the manifest): {manifest['clients'][0]['client_id']}" in text
    assert main(["verify", str(tmp_path)]) == 2  # no manifest: a usage error, said in one line
    assert "no manifest.json in" in capsys.readouterr().err


def test_compare_results_tolerance_and_paths():
    recorded = {"a": 1.0, "b": [{"x": 0.5, "y": "text"}, {"x": None}], "c": {"n": 3}, "generated_by": "maturity 0.1",
                "provenance": {"kit_version": "0.1"}}
    same = json.loads(json.dumps(recorded))
    same["a"] = 1.0 + 5e-10
    same["generated_by"] = "maturity 9.9"
    same["provenance"] = {"kit_version": "9.9"}
    assert compare_results(recorded, same) == []
    other = json.loads(json.dumps(recorded))
    other["a"] = 1.0 + 1e-7
    other["b"][0]["y"] = "changed"
    other["b"][1]["x"] = 0.0
    other["b"].append({"x": 1})
    del other["c"]["n"]
    found = {d.path: (d.recorded, d.now) for d in compare_results(recorded, other)}
    assert set(found) == {"a", "b[0].y", "b[1].x", "b[2]", "c.n"}
    assert found["b[1].x"] == (None, 0.0) and found["c.n"] == (3, None)
    assert compare_results({"v": math.nan}, {"v": math.nan}) == []
    assert compare_results({"v": 0.0}, {"v": 1e-10}) == []  # near zero the tolerance is absolute


def test_the_method_section_shows_the_fingerprints(batch):
    results = _results(batch, batch["clients"][0]["client_id"])
    text = method_markdown(results)
    short = results["provenance"]["data_fingerprint"][:19]
    assert f"data fingerprint `{short}`" in text and "wave 2026" in text
    assert f"`{results['provenance']['framework']['fingerprint'][:19]}`" in text
    assert "a segment model fitted on the wave (seed 2026)" in text
    assert "segments 2026, importance 0" in text and "bootstrap" not in text and "`maturity verify`" in text
    assert provenance_markdown({k: v for k, v in results.items() if k != "provenance"}) == ""
