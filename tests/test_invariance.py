"""Measurement invariance: the sequence against semTools' published output, planted
differences, framework data, bad input and the `maturity invariance` command.

Published numbers: semTools' measurementInvariance() on Holzinger & Swineford (1939) by
school, printed in the lavaan tutorial "Multiple groups" (https://lavaan.ugent.be/tutorial/
groups.html; source and output in the repository yrosseel/lavaan.org.old,
``tutorial.src/groups.tex``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import maturity
from maturity.analysis import cfa
from maturity.analysis import invariance
from maturity.analysis.invariance import framework_invariance, measurement_invariance
from maturity.cli import analysis as cli_analysis
from maturity.cli import main
from maturity.errors import AnalysisError, ParametersError
from maturity.framework import parse_framework
from maturity.reporting.report_blocks import method_markdown

from .conftest import small_framework_dict

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
TWO_FACTORS = "fa =~ a1 + a2 + a3 + a4\nfb =~ b1 + b2 + b3 + b4"


@pytest.fixture(scope="module")
def hs():
    from semopy.examples import holzinger39

    return holzinger39.get_data()


def _two_factor_groups(sizes, *, shift=0.0, seed=11, blanks=0.05) -> tuple[pd.DataFrame, np.ndarray]:
    """Three groups from one two-factor model; the last group's b3 intercept moved by ``shift``."""
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    loadings = np.array([1.0, 0.9, 0.8, 1.1])
    for g, (name, n) in enumerate(zip(("north", "south", "west"), sizes)):
        mean = (0.0, 0.3, -0.2)[g]
        f = rng.multivariate_normal([mean, mean / 2], [[1.0, 0.4], [0.4, 1.0]], size=n)
        x = np.c_[f[:, [0]] * loadings + rng.normal(0, 0.6, (n, 4)), f[:, [1]] * loadings + rng.normal(0, 0.6, (n, 4))]
        x += 3.0
        if name == "west":
            x[:, 6] += shift
        parts.append(pd.DataFrame(x, columns=["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"]))
        labels += [name] * n
    data = pd.concat(parts, ignore_index=True)
    return data.mask(rng.random(data.shape) < blanks), np.array(labels, dtype=object)


# --- published results ------------------------------------------------------------------------


def test_semtools_measurement_invariance_sequence_on_holzinger_swineford(hs):
    result = measurement_invariance(hs, HS_MODEL, hs["school"], group_name="school",
                                    steps=("configural", "metric", "scalar", "means"), search=False)
    assert list(result.models) == ["configural", "metric", "scalar", "means"]
    assert result.groups == {"Pasteur": 156, "Grant-White": 145}
    rows = {r["model"]: r for r in result.comparisons}
    # [Model 1 versus model 2]  delta.chisq 8.192, delta.df 6, delta.p.value 0.224, delta.cfi 0.002
    metric = rows["metric"]
    assert (round(metric["chi2_diff"], 3), metric["dof_diff"], round(metric["pvalue"], 3)) == (8.192, 6, 0.224)
    assert round(-metric["cfi_change"], 3) == 0.002 and metric["holds"]
    # [Model 2 versus model 3]  40.059, 6, 0.000, 0.038
    scalar = rows["scalar"]
    assert (round(scalar["chi2_diff"], 3), scalar["dof_diff"], round(scalar["pvalue"], 3)) == (40.059, 6, 0.0)
    assert round(-scalar["cfi_change"], 3) == 0.038 and not scalar["holds"]
    # [Model 1 versus model 3]  48.251, 12, 0.041 and [Model 1 versus model 4]  88.754, 15, 0.083
    m = result.models
    assert round(m["scalar"]["chi2"] - m["configural"]["chi2"], 3) == 48.251
    assert m["scalar"]["dof"] - m["configural"]["dof"] == 12
    assert round(m["configural"]["cfi"] - m["scalar"]["cfi"], 3) == 0.041
    assert round(m["means"]["chi2"] - m["configural"]["chi2"], 3) == 88.754
    assert round(m["configural"]["cfi"] - m["means"]["cfi"], 3) == 0.083
    # [Model 3 versus model 4]  40.502, 3, 0.000, 0.042: fitted as semTools does, but untestable
    means = rows["means"]
    assert (means["against"], round(means["chi2_diff"], 3), means["dof_diff"]) == ("scalar", 40.502, 3)
    assert round(-means["cfi_change"], 3) == 0.042
    assert result.steps == {"configural": "holds", "metric": "holds", "scalar": "fails", "means": "untestable"}
    assert result.means_differ is None
    assert result.level == "metric" and not result.means_comparable and result.relations_comparable
    assert result.verdict.startswith("Relations between strands can be compared across schools, but means cannot")


def test_semtools_sequence_with_chi2_criterion_and_the_means_model(hs):
    # the group.partial example of the tutorial frees x7~1; freeing x3~1 too makes scalar hold
    result = measurement_invariance(hs, HS_MODEL, hs["school"], group_name="school", free=["x3~1", "x7~1"],
                                    criterion="chi2", steps=("configural", "metric", "scalar", "means"))
    assert result.steps["scalar"] == "holds" and result.free == ["x3~1", "x7~1"]
    assert result.models["scalar"]["dof"] == 58 and result.models["scalar"]["freed"] == ["x3~1", "x7~1"]
    row = {r["model"]: r for r in result.comparisons}["means"]
    assert row["against"] == "scalar" and row["dof_diff"] == 3 and row["pvalue"] < 0.001
    assert result.means_differ is True and "latent strand means differ" in result.verdict


def test_partial_scalar_search_frees_the_intercepts_that_differ(hs):
    result = measurement_invariance(hs, HS_MODEL, hs["school"], group_name="school")
    assert [t["parameter"] for t in result.score_tests["scalar"][:2]] == ["x3~1", "x7~1"]
    assert result.freed == ["x3~1", "x7~1"] and result.steps["scalar"] == "partial"
    assert result.level == "partial strict" and result.means_comparable
    assert {r["model"]: r["against"] for r in result.comparisons}["strict"] == "partial_scalar"
    assert "the intercept of x3 and the intercept of x7 are allowed to differ" in result.verdict


# --- planted differences ----------------------------------------------------------------------


def test_a_planted_intercept_difference_is_found_named_and_freed():
    data, groups = _two_factor_groups((300, 300, 300), shift=0.8)
    result = measurement_invariance(data, TWO_FACTORS, groups, group_name="region")
    assert result.steps["metric"] == "holds"
    assert result.steps["scalar"] == "partial"
    rows = {r["model"]: r for r in result.comparisons}
    assert not rows["scalar"]["holds"] and rows["scalar"]["cfi_change"] < -0.01
    assert result.score_tests["scalar"][0]["parameter"] == "b3~1"
    assert result.score_tests["scalar"][0]["dof"] == 2
    assert result.freed == ["b3~1"]
    assert rows["partial_scalar"]["holds"] and rows["partial_scalar"]["against"] == "metric"
    est = result.fits["partial_scalar"].estimates_.query("name == 'b3~1'").set_index("group")["estimate"]
    assert est["west"] - est[["north", "south"]].mean() == pytest.approx(0.8, abs=0.15)
    assert result.means_comparable and result.level == "partial strict"
    assert "Means can be compared across regions with care" in result.verdict
    assert "the intercept of b3 is allowed to differ" in result.verdict
    document = json.loads(json.dumps(result.to_dict()))
    assert list(document)[:5] == ["group", "groups", "excluded_groups", "missing", "criterion"]
    assert set(document["models"]) == {"configural", "metric", "scalar", "partial_scalar", "strict", "means"}
    assert document["verdict"] == result.verdict


def test_a_small_difference_that_fit_indices_miss_is_still_named():
    data, groups = _two_factor_groups((300, 300, 300), shift=0.2)
    result = measurement_invariance(data, TWO_FACTORS, groups, group_name="region",
                                    steps=("configural", "metric", "scalar"))
    scalar = {r["model"]: r for r in result.comparisons}["scalar"]
    assert result.steps["scalar"] == "holds" and -0.01 < scalar["cfi_change"] < 0 and scalar["pvalue"] < 0.05
    assert result.score_tests["scalar"][0]["parameter"] == "b3~1" and result.freed == []
    assert "the intercept of b3 differs most across groups" in result.verdict


def test_no_planted_difference_gives_full_invariance():
    data, groups = _two_factor_groups((250, 250, 250), shift=0.0, seed=4)
    result = measurement_invariance(data, TWO_FACTORS, groups, group_name="region", steps=invariance.STEPS[:4])
    assert result.steps == {"configural": "holds", "metric": "holds", "scalar": "holds", "strict": "holds"}
    assert result.freed == [] and result.score_tests == {} and result.level == "strict"
    assert result.verdict.startswith("Means can be compared across regions: scalar invariance holds")


def test_listwise_and_fiml_use_different_respondents():
    data, groups = _two_factor_groups((200, 200, 200), blanks=0.1, seed=2)
    fiml = measurement_invariance(data, TWO_FACTORS, groups, steps=("configural", "metric"))
    listwise = measurement_invariance(data, TWO_FACTORS, groups, steps=("configural", "metric"), missing="listwise")
    assert sum(fiml.groups.values()) == 600
    assert sum(listwise.groups.values()) == int(data.notna().all(axis=1).sum()) < 300
    assert fiml.models["configural"]["dof"] == listwise.models["configural"]["dof"]


# --- bad input ----------------------------------------------------------------------------------


def test_small_groups_are_reported_not_dropped_silently():
    data, groups = _two_factor_groups((200, 200, 20), seed=6)
    result = measurement_invariance(data, TWO_FACTORS, groups, group_name="region", steps=("configural", "metric"))
    assert result.groups == {"north": 200, "south": 200}
    assert result.excluded_groups == {"west": {"n": 20, "reason": "fewer respondents than the 25 parameters of its model"}}
    assert "Too small to test and left out: west (20)." in result.verdict
    assert result.to_dict()["excluded_groups"]["west"]["n"] == 20


def test_one_group_or_too_few_large_groups_is_an_error():
    data, groups = _two_factor_groups((200, 24, 20), seed=6)
    with pytest.raises(AnalysisError, match=r"at least two groups need 25 or more .* north \(200\), south \(24\), west \(20\)"):
        measurement_invariance(data, TWO_FACTORS, groups, group_name="region")
    with pytest.raises(AnalysisError, match=r"region: invariance compares groups, but the data have only one group \(all\)"):
        measurement_invariance(data, TWO_FACTORS, ["all"] * len(data), group_name="region")


def test_unidentified_model_and_bad_steps_are_errors():
    data, groups = _two_factor_groups((200, 200, 200), seed=6)
    with pytest.raises(AnalysisError, match="not identified"):
        measurement_invariance(data, "fa =~ a1 + a2", groups)
    with pytest.raises(AnalysisError, match="not identified"):
        measurement_invariance(data, TWO_FACTORS, groups, free=["a1~1", "a2~1", "a3~1", "a4~1"])
    with pytest.raises(AnalysisError, match="steps must start with configural"):
        measurement_invariance(data, TWO_FACTORS, groups, steps=("metric", "scalar"))


# --- framework data -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def team():
    """Another instrument (two strands of four items, 1-7 scale, odd ids) with a cohort column."""
    data = small_framework_dict(n_strands=2, n_items=4)
    data["strands"][0]["id"] = "s-zero"
    data["strands"][0]["items"] = [dict(i, id=f"q.{k}") for k, i in enumerate(data["strands"][0]["items"])]
    data["strands"][1]["items"][3]["reverse"] = True
    fw = parse_framework(data, source="<test>")
    responses = maturity.generate_benchmark(1200, framework=fw, seed=21).responses
    responses["cohort"] = np.repeat(["A", "B", "C"], 400)
    responses["team"] = [f"T{i % 100}" for i in range(len(responses))]     # groups of 12
    return fw, data, responses


def test_framework_invariance_on_another_instrument_names_a_shifted_item(team):
    fw, _data, responses = team
    shifted = responses.copy()
    rows = shifted["cohort"] == "C"
    shifted.loc[rows, "q1_2"] = (shifted.loc[rows, "q1_2"] + 2).clip(upper=7)
    result = framework_invariance(shifted, fw, "cohort")
    assert result.groups == {"A": 400, "B": 400, "C": 400} and result.missing == "ml"
    assert result.score_tests["scalar"][0]["parameter"] == "q1_2~1"
    assert "q1_2~1" in result.freed and result.steps["scalar"] == "partial"
    assert "the intercept of q1_2" in result.verdict and "across cohorts" in result.verdict
    clean = framework_invariance(responses, fw, "cohort", steps=("configural", "metric", "scalar"))
    assert clean.level == "scalar" and clean.freed == []
    # ids with '-' and '.' are shown as the framework writes them
    names = set(clean.fits["scalar"].estimates_["name"])
    assert "s-zero=~q.1" in names and "q.3~1" in names


def test_framework_invariance_accepts_framework_ids_in_free(team):
    fw, _data, responses = team
    result = framework_invariance(responses, fw, "cohort", free=["q.2~1"], steps=("configural", "metric", "scalar"))
    assert result.free == ["q.2~1"] and result.models["scalar"]["freed"] == ["q.2~1"]


def test_a_group_column_that_does_not_exist_is_a_usage_error(team):
    fw, _data, responses = team
    with pytest.raises(ParametersError, match="the data have no column 'sector' to group by"):
        framework_invariance(responses, fw, "sector")


def test_comparison_checks_give_one_verdict_per_grouping(team, bench600):
    fw, _data, responses = team
    table = invariance.comparison_checks(responses, fw, ["cohort"], steps=("configural", "metric", "scalar"),
                                         waves=responses.assign(wave=np.where(responses.index % 2, "2025", "2026")))
    assert list(table.index) == ["cohort", "wave"]
    assert table.loc["cohort", "level"] == "scalar" and table.loc["cohort", "means_comparable"]
    assert table.loc["wave", "groups"] == "2025 (600), 2026 (600)"
    # the default framework's 43 items need 144 respondents per group: 600 spread over ten sectors is too few
    checks = invariance.comparison_checks(bench600.responses, bench600.framework, ["sector"])
    assert checks.loc["sector", "level"] == "not tested"
    assert checks.loc["sector", "verdict"].startswith("Cannot be tested: at least two groups need 144")


# --- the client report's hook ---------------------------------------------------------------------


def test_the_report_method_note_says_whether_the_comparison_is_supported(hs):
    result = measurement_invariance(hs, HS_MODEL, hs["school"], group_name="school")
    results = {"method": {"interval": {"n_boot": 100, "seed": 1}, "top_quartile_share": 0.25,
                          "top_deck_share": 0.1, "min_group_size": 5}}
    assert "invariance" not in method_markdown(results).lower()
    results["invariance"] = invariance.report_entry(result)
    note = method_markdown(results)
    assert "**Fair comparison.**" in note and "Means can be compared across schools with care" in note
    results["invariance"] = {"group": "sector", "supported": None, "verdict": ""}
    assert "could not be tested" in method_markdown(results)


# --- maturity cfa and maturity invariance -----------------------------------------------------------


@pytest.fixture(scope="module")
def team_files(tmp_path_factory, team):
    _fw, data, responses = team
    folder = tmp_path_factory.mktemp("team")
    fw_path = folder / "team.yaml"
    fw_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    survey = folder / "team.csv"
    responses.to_csv(survey, index=False)
    return survey, fw_path


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_option_choices_match_the_library():
    assert cli_analysis.CFA_MISSING == cfa.MISSING_POLICIES
    assert cli_analysis.INVARIANCE_CRITERIA == invariance.CRITERIA


def test_cfa_fits_blanks_by_fiml_unless_listwise_is_asked(team_files, capsys):
    survey, fw_path = team_files
    code, out, err = _run(capsys, "cfa", str(survey), "--framework", str(fw_path), "--format", "json")
    fiml = json.loads(out)
    code, out, err = _run(capsys, "cfa", str(survey), "--framework", str(fw_path), "--format", "json",
                          "--missing", "listwise")
    listwise = json.loads(out)
    assert list(fiml)[:7] == list(cfa.CONTRACT_KEYS) and fiml["missing"] == "ml" and listwise["missing"] == "listwise"
    assert fiml["n"] == 1200 > listwise["n"] and fiml["dof"] == listwise["dof"] == 19
    code, out, err = _run(capsys, "cfa", str(survey), "--framework", str(fw_path))
    assert code == 0 and "blanks by full-information ML" in out


def test_fiml_cfa_of_the_default_framework_uses_every_respondent(bench600):
    fiml = cfa.framework_cfa(bench600.responses, bench600.framework)
    listwise = cfa.framework_cfa(bench600.responses, bench600.framework, missing="listwise")
    assert (fiml.n, fiml.n_excluded, fiml.missing) == (600, 0, "ml") and listwise.n < 300  # most of a survey lost
    assert fiml.dof == listwise.dof == 845
    loadings = fiml.loadings()
    assert len(loadings) == 43 and set(loadings["factor"]) == set(bench600.framework.strand_ids)
    # The realistic benchmark has weaker and stronger items, as a real survey does.
    assert loadings["std_all"].between(0.3, 1.0).all() and loadings["std_all"].median() > 0.6
    assert fiml.loading_summary()["items"].sum() == 43
    assert cfa.cfa_sentences(fiml)[0].startswith("The model was fitted by full-information maximum likelihood to all 600")


def test_invariance_json_and_text(team_files, capsys):
    survey, fw_path = team_files
    code, out, err = _run(capsys, "invariance", str(survey), "--framework", str(fw_path), "--group", "cohort",
                          "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc)[:3] == ["group", "groups", "excluded_groups"]
    assert doc["group"] == "cohort" and doc["groups"] == {"A": 400, "B": 400, "C": 400}
    assert list(doc["models"]) == ["configural", "metric", "scalar", "strict", "means"]
    assert set(doc["models"]["metric"]) >= {"chi2", "dof", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"}
    assert [c["model"] for c in doc["comparisons"]] == ["metric", "scalar", "strict", "means"]
    assert set(doc["comparisons"][0]) == {"model", "against", "chi2_diff", "dof_diff", "pvalue", "cfi_change",
                                          "rmsea_change", "holds"}
    assert doc["verdict"].startswith("Means can be compared across cohorts")
    code, out, err = _run(capsys, "invariance", str(survey), "--framework", str(fw_path), "--group", "cohort",
                          "--free", "q.2~1", "q1_0~1")
    assert code == 0, err
    assert "configural" in out and "scalar vs metric" in out and "Verdict: Means can be compared" in out


def test_invariance_bad_input_exit_codes(team_files, tmp_path, capsys):
    survey, fw_path = team_files
    code, _out, err = _run(capsys, "invariance", str(survey), "--framework", str(fw_path), "--group", "nosuch")
    assert code == 2 and "no column 'nosuch'" in err
    code, _out, err = _run(capsys, "invariance", str(survey), "--framework", str(fw_path), "--group", "team")
    assert code == 1 and "at least two groups need 25 or more respondents" in err and "T0 (12)" in err and "and 92 more" in err
    one = pd.read_csv(survey).assign(cohort="A")
    one.to_csv(tmp_path / "one.csv", index=False)
    code, _out, err = _run(capsys, "invariance", str(tmp_path / "one.csv"), "--framework", str(fw_path),
                           "--group", "cohort")
    assert code == 1 and "only one group (A)" in err
    model = tmp_path / "model.txt"
    model.write_text("s1 =~ q1_0 + q1_1\n", encoding="utf-8")
    code, _out, err = _run(capsys, "invariance", str(survey), "--framework", str(fw_path), "--group", "cohort",
                           "--model", str(model))
    assert code == 1 and "not identified" in err
    code, _out, err = _run(capsys, "invariance", str(survey), "--framework", str(fw_path), "--group", "cohort",
                           "--free", "nothing~1")
    assert code == 1 and "cannot free nothing~1" in err
    code, _out, err = _run(capsys, "invariance", "--group", "cohort")
    assert code == 2 and "either a data file or --db" in err


def test_invariance_across_waves_of_a_database(team, tmp_path, capsys):
    from maturity.data.store import BenchmarkStore

    fw, data, responses = team
    fw_path = tmp_path / "team.yaml"
    fw_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    db = tmp_path / "bench.duckdb"
    with BenchmarkStore(db) as store:
        store.import_responses(responses.iloc[:500].drop(columns=["cohort", "team"]), fw, "2025")
        store.import_responses(responses.iloc[500:].drop(columns=["cohort", "team"]), fw, "2026")
    code, out, err = _run(capsys, "invariance", "--db", str(db), "--group", "wave", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["group"] == "wave" and doc["groups"] == {"2025": 500, "2026": 700}
    assert doc["verdict"].startswith("Means can be compared across waves")
    code, _out, err = _run(capsys, "invariance", "--db", str(db), "--group", "wave", "--wave", "2025")
    assert code == 2 and "leave out --wave" in err
    framework, stacked = invariance.all_waves(db)
    assert framework.id == fw.id and list(pd.unique(stacked["wave"])) == ["2025", "2026"]
    assert stacked.index.is_unique and stacked.index[0].startswith("2025/")


def test_returning_organisations_enter_each_wave(tmp_path, bench600):
    from maturity.data.store import BenchmarkStore
    from maturity.data.synthetic import generate_wave

    later = generate_wave(bench600, seed=5)
    db = tmp_path / "waves.duckdb"
    with BenchmarkStore(db) as store:
        store.import_responses(bench600.responses, bench600.framework, "2025")
        store.import_responses(later.responses, bench600.framework, "2026")
    framework, stacked = invariance.all_waves(db)
    id_column = bench600.framework.id_column
    returning = set(bench600.responses[id_column]) & set(later.responses[id_column])
    assert len(returning) > 400 and len(stacked) == 1200
    result = framework_invariance(stacked, framework, "wave", steps=("configural", "metric", "scalar"))
    assert result.groups == {"2025": 600, "2026": 600} and result.level in ("scalar", "partial scalar")
