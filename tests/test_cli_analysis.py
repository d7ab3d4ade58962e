"""`maturity reliability`, `maturity cfa` and `maturity segment`."""

from __future__ import annotations

import json

import pytest
import yaml

import maturity
from maturity.analysis import cfa, reliability, segments
from maturity.cli import analysis, main
from maturity.data.population import load_benchmark

from .conftest import small_framework_dict


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    path = tmp_path_factory.mktemp("survey") / "responses.csv"
    maturity.generate_benchmark(300, seed=8, structure="planted").write(path)  # four known segments
    return path


@pytest.fixture(scope="module")
def other_survey(tmp_path_factory):
    """A survey of another instrument: other strands, item ids, scale and id column."""
    folder = tmp_path_factory.mktemp("other")
    fw_path = folder / "team.yaml"
    data = small_framework_dict(n_strands=3, n_items=5)
    data["strands"][2]["items"][0]["reverse"] = True
    fw_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    fw = maturity.load_framework(fw_path)
    path = folder / "team.csv"
    maturity.generate_benchmark(250, framework=fw, seed=3).write(path)
    return path, fw_path


def _json(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_option_choices_match_the_library():
    assert analysis.MISSING_POLICIES == reliability.MISSING_POLICIES
    assert analysis.OMEGA_METHODS == reliability.OMEGA_METHODS
    assert analysis.ALGORITHMS == segments.ALGORITHMS


def test_reliability_json_is_contract_4_and_equals_the_library(survey, capsys):
    out = _json(capsys, "reliability", str(survey), "--format", "json")
    bench = load_benchmark(survey)
    assert out == json.loads(json.dumps(reliability.reliability_report(bench.responses, bench.framework)))
    strand = out["strands"]["business_need"]
    assert set(strand) == {"alpha", "alpha_ci", "omega_total", "n_respondents", "n_items", "items"}
    assert set(strand["items"]["bn_1"]) == {"item_rest_r", "alpha_if_deleted"}
    listwise = _json(capsys, "reliability", str(survey), "--format", "json", "--missing", "listwise")
    assert listwise["strands"]["business_need"]["alpha"] != strand["alpha"]


def test_reliability_text_names_the_strands(survey, capsys):
    assert main(["reliability", str(survey)]) == 0
    text = capsys.readouterr().out
    assert "Defining business need" in text and "95% CI" in text and "pairwise" in text


def test_reliability_and_cfa_on_another_framework(other_survey, capsys):
    path, fw_path = other_survey
    out = _json(capsys, "reliability", str(path), "--framework", str(fw_path), "--format", "json")
    assert list(out["strands"]) == ["s0", "s1", "s2"]
    assert all(0.5 < s["alpha"] < 1 for s in out["strands"].values())
    fit = _json(capsys, "cfa", str(path), "--framework", str(fw_path), "--format", "json")
    assert list(fit) == ["chi2", "dof", "cfi", "tli", "rmsea", "srmr", "n", "missing"]
    assert fit["dof"] == 15 * 16 // 2 - (12 + 15 + 3 + 3)


def test_cfa_json_equals_the_library_and_text_reports_the_indices(survey, capsys):
    out = _json(capsys, "cfa", str(survey), "--format", "json")
    bench = load_benchmark(survey)
    assert out == pytest.approx(cfa.framework_cfa(bench.responses, bench.framework).to_dict())
    assert main(["cfa", str(survey)]) == 0
    text = capsys.readouterr().out
    for label in ("chi2", "CFI", "TLI", "RMSEA", "SRMR"):
        assert label in text


def test_cfa_custom_model_and_its_errors(survey, tmp_path, capsys):
    model = tmp_path / "model.txt"
    model.write_text("value =~ dv_1 + dv_2 + dv_3 + dv_4\n", encoding="utf-8")
    out = _json(capsys, "cfa", str(survey), "--model", str(model), "--format", "json")
    assert out["dof"] == 2
    model.write_text("value =~ dv_1 + dv_2\n", encoding="utf-8")
    assert main(["cfa", str(survey), "--model", str(model)]) == 1
    assert "not identified" in capsys.readouterr().err
    assert main(["cfa", str(survey), "--model", str(tmp_path / "missing.txt")]) == 2
    assert "cannot read the model description" in capsys.readouterr().err


def test_segment_json_is_contract_4(survey, capsys):
    out = _json(capsys, "segment", str(survey), "--format", "json", "--bootstrap", "3")
    assert list(out) == ["k", "algorithm", "silhouette", "stability_ari", "segments", "assignments"]
    assert out["k"] == 4 and out["algorithm"] == "kmeans"
    assert [s["name"] for s in out["segments"]] == ["Starting", "Developing", "Embedding", "Leading"]
    assert set(out["segments"][0]) == {"name", "n", "strand_means"}
    assert sum(s["n"] for s in out["segments"]) == len(out["assignments"]) == 300
    assert set(out["assignments"].values()) == {"Starting", "Developing", "Embedding", "Leading"}
    index = [sum(s["strand_means"].values()) for s in out["segments"]]
    assert index == sorted(index), "segments run from least to most mature"


def test_segment_fixed_k_other_algorithm_and_text(survey, capsys):
    out = _json(capsys, "segment", str(survey), "--format", "json", "--k", "3", "--algorithm", "ward",
                "--bootstrap", "0")
    assert out["k"] == 3 and out["algorithm"] == "ward" and out["stability_ari"] is None
    assert [s["name"] for s in out["segments"]] == ["Starting", "Developing", "Leading"]
    assert main(["segment", str(survey), "--k-range", "3-5", "--bootstrap", "2"]) == 0
    text = capsys.readouterr().out
    assert "<- chosen" in text and "Maturity index" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["segment"], "either a data file or --db"),
        (["segment", "x.csv", "--wave", "2026"], "--wave needs --db"),
        (["segment", "x.csv", "--k-range", "1-4"], "2 <= low <= high"),
        (["segment", "x.csv", "--k", "1"], "at least 2"),
        (["segment", "x.csv", "--criterion", "bic"], "needs the Gaussian mixture"),
    ],
)
def test_segment_usage_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A benchmark database with two synthetic waves."""
    from maturity.data.store import BenchmarkStore
    from maturity.data.synthetic import generate_wave

    path = tmp_path_factory.mktemp("db") / "bench.duckdb"
    first = maturity.generate_benchmark(200, seed=21)
    second = generate_wave(first, seed=22)
    with BenchmarkStore(path) as store:
        store.import_responses(first.responses, first.framework, "2025")
        store.import_responses(second.responses, second.framework, "2026")
    return path, first, second


def test_segment_from_the_database_saves_the_model_with_its_wave(database, capsys):
    from maturity.analysis.segments import load_segments
    from maturity.data.store import BenchmarkStore

    path, first, second = database
    out = _json(capsys, "segment", "--db", str(path), "--format", "json", "--bootstrap", "2")
    # the latest wave by default: every organisation with all strand scores
    placeable = maturity.score_responses(second.responses, second.framework)[second.framework.strand_ids].dropna()
    assert set(out["assignments"]) == set(placeable.index)
    with BenchmarkStore(path, read_only=True) as store:
        model = load_segments(store, "2026")
        assert load_segments(store, "2025") is None
        scores = store.scores("2026")
    assert model is not None and model.k_ == out["k"]
    placed = model.predict(scores)
    assert placed.dropna().to_dict() == out["assignments"]
    # an earlier wave, chosen explicitly, gets its own model
    assert main(["segment", "--db", str(path), "--wave", "2025", "--k", "3", "--bootstrap", "0"]) == 0
    assert "Saved the segment model with wave 2025" in capsys.readouterr().out
    with BenchmarkStore(path, read_only=True) as store:
        earlier = load_segments(store, "2025")
        complete = maturity.score_responses(first.responses, first.framework)[first.framework.strand_ids].dropna()
        assert earlier.k_ == 3 and set(earlier.labels_.dropna().index) == set(complete.index)
        assert len(complete) < len(first.responses)  # a few organisations lack a strand score
        assert load_segments(store, "2026").k_ == out["k"]


def test_segment_unknown_wave_is_an_error(database, capsys):
    path, _first, _second = database
    assert main(["segment", "--db", str(path), "--wave", "1999"]) == 1
    assert "1999" in capsys.readouterr().err
