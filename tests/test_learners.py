"""The learner level: framework, import into the benchmark database, aggregates, the divide,
the client block and the command line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import maturity
from maturity.analysis.learner_divide import divide_distribution, favourable_shares, learner_divide, mirrored_pairs
from maturity.analysis.learners import choice_shares, learner_reliability, organisation_means
from maturity.analysis.multilevel import icc
from maturity.benchmarking.learner_voice import (
    compose_learner_voice,
    learner_figures,
    learner_voice_block,
    wave_learner_aggregates,
)
from maturity.cli import main
from maturity.config import load_benchmark_parameters
from maturity.data.learner_tables import (
    learner_choice_counts,
    learner_fingerprint,
    learner_levels,
    learner_organisation_summary,
    learner_rows,
)
from maturity.data.learners import import_learners
from maturity.data.store import BenchmarkStore
from maturity.data.synthetic_learners import generate_learners
from maturity.errors import DataError, FrameworkError, ParametersError, StoreError, ValidationFailed
from maturity.framework import load_framework, parse_framework
from maturity.framework_document import framework_fingerprint, framework_to_dict

WAVE = "2026"


@pytest.fixture(scope="module")
def learner_fw():
    return load_framework("learner-voice")


@pytest.fixture(scope="module")
def built(tmp_path_factory, learner_fw):
    """A database with one wave of 40 organisations, and a learner file for it."""
    folder = tmp_path_factory.mktemp("learners")
    fw = maturity.load_framework()
    bench = maturity.generate_benchmark(40, framework=fw, seed=5)
    db = folder / "benchmark.duckdb"
    with BenchmarkStore(db) as store:
        store.import_responses(bench.responses, fw, WAVE)
        index = store.scores(WAVE)["index"]
    learners = generate_learners(index, learner_fw, min_learners=5, max_learners=60, share_without=0.1, seed=9)
    path = folder / "learners.csv"
    learners.to_csv(path, index=False)
    return db, path, learners


@pytest.fixture
def db(built, tmp_path):
    """A fresh copy of the database (no learners yet)."""
    copy = tmp_path / "benchmark.duckdb"
    shutil.copyfile(built[0], copy)
    return copy


@pytest.fixture
def imported(db, built, learner_fw):
    with BenchmarkStore(db) as store:
        import_learners(store, built[1], WAVE, learner_fw)
    return db


def learner_state(db) -> tuple:
    """Everything the learner level holds, to compare before and after a refused import."""
    with BenchmarkStore(db, read_only=True) as store:
        tables = {r[0] for r in store.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'learner%'").fetchall()}
        levels = learner_levels(store).drop(columns="imported_at").to_dict("records")
        rows = learner_rows(store, WAVE).sort_values(list(learner_rows(store, WAVE).columns)).to_numpy().tolist() \
            if levels else []
        return sorted(tables), levels, rows, store.wave_fingerprint(WAVE)


# --- the framework -----------------------------------------------------------------------------------


def test_learner_framework_is_packaged_with_its_level_and_mirrors(learner_fw, framework):
    assert learner_fw.level == "learner" and framework.level == "organisation"
    pairs = mirrored_pairs(learner_fw, framework)
    assert {"su_manager": "en_1", "re_needs": "lc_1"}.items() <= dict(zip(pairs["learner_item"], pairs["organisation_item"])).items()
    assert len(pairs) == len(learner_fw.mirrors)  # every pair names an item of the organisation framework
    question = learner_fw.demographics[0]
    assert question.values == ("Line manager", "Peers", "Senior leaders", "HR or L&D", "Nobody")
    again = parse_framework(framework_to_dict(learner_fw))
    assert again.level == "learner" and again.mirrors == learner_fw.mirrors


def test_the_organisation_framework_fingerprint_does_not_change(framework):
    # level and mirrors are written only when set, so waves stored before keep their fingerprint
    assert "level" not in framework_to_dict(framework) and "mirrors" not in framework_to_dict(framework)
    assert framework_fingerprint(framework).startswith("sha256:")


@pytest.mark.parametrize("change, field", [
    ({"level": "team"}, "level"),
    ({"mirrors": {"nope": "lc_1"}}, "mirrors.nope"),
    ({"mirrors": ["lc_1"]}, "mirrors"),
])
def test_bad_level_or_mirrors_name_the_field(framework_dict, change, field):
    framework_dict.update(change)
    with pytest.raises(FrameworkError) as err:
        parse_framework(framework_dict)
    assert err.value.field == field


# --- import -------------------------------------------------------------------------------------------------


def test_import_stores_the_learners_and_a_second_import_changes_nothing(db, built, learner_fw):
    _, path, learners = built
    with BenchmarkStore(db) as store:
        first = import_learners(store, path, WAVE, learner_fw)
        again = import_learners(store, path, WAVE, learner_fw)
        rows = learner_rows(store, WAVE)
        fingerprint = learner_fingerprint(store, WAVE)
    assert first.status == "imported" and again.status == "unchanged"
    assert fingerprint.startswith("sha256:") and len(fingerprint) == 71
    assert first.n_learners == len(learners) == len(rows)
    assert first.n_organisations == learners["organisation_id"].nunique()
    mine = learners.set_index("organisation_id")
    org = mine.index[0]
    assert rows.loc[rows["organisation_id"] == org, "at_find"].sum() == mine.loc[org, "at_find"].sum()
    assert "learner_id" not in rows.columns  # learners are not named in the database


def test_another_file_needs_replace_and_replaces_in_one_go(imported, built, learner_fw, tmp_path):
    other = built[2][built[2]["organisation_id"] != built[2]["organisation_id"].iloc[0]]
    path = tmp_path / "fewer.csv"
    other.to_csv(path, index=False)
    with BenchmarkStore(imported) as store:
        with pytest.raises(StoreError, match="replace"):
            import_learners(store, path, WAVE, learner_fw)
        before = learner_fingerprint(store, WAVE)
        result = import_learners(store, path, WAVE, learner_fw, replace=True)
        assert result.status == "replaced" and len(learner_rows(store, WAVE)) == len(other)
        assert learner_fingerprint(store, WAVE) != before


def test_labels_blanks_and_case_are_read_like_the_organisation_survey(db, built, learner_fw, tmp_path):
    rows = built[2].head(30).astype(object)
    rows.loc[0, "at_find"] = "  strongly AGREE "
    rows.loc[1, "at_find"] = ""
    rows.loc[2, "lb_time"] = "yes"
    rows.loc[3, "opinion_influence"] = "line manager"
    path = tmp_path / "labels.csv"
    rows.to_csv(path, index=False)
    with BenchmarkStore(db) as store:
        import_learners(store, path, WAVE, learner_fw)
        stored = learner_rows(store, WAVE)
    assert 5.0 in stored["at_find"].tolist() and stored["at_find"].isna().sum() == 1
    assert stored["opinion_influence"].str.fullmatch("Line manager").sum() == (
        rows["opinion_influence"].str.casefold() == "line manager").sum()


@pytest.mark.parametrize("suffix", [".tsv", ".parquet"])
def test_tab_separated_and_parquet_learner_files(db, built, learner_fw, tmp_path, suffix):
    frame = built[2].head(200)
    path = tmp_path / f"learners{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, sep="\t", index=False)
    with BenchmarkStore(db) as store:
        assert import_learners(store, path, WAVE, learner_fw).n_learners == 200
        stored = learner_rows(store, WAVE)
    assert stored["su_manager"].sum() == frame["su_manager"].sum()


def rejected(db, learner_fw, frame, tmp_path, **kwargs) -> ValidationFailed:
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    before = learner_state(db)
    with BenchmarkStore(db) as store, pytest.raises(ValidationFailed) as err:
        import_learners(store, path, WAVE, learner_fw, **kwargs)
    assert learner_state(db) == before  # the store is unchanged
    return err.value


@pytest.mark.parametrize("state", ["empty", "with learners"])
def test_unknown_organisation_is_rejected_with_its_line(db, built, learner_fw, tmp_path, state):
    if state == "with learners":
        with BenchmarkStore(db) as store:
            import_learners(store, built[1], WAVE, learner_fw)
    frame = built[2].head(50).astype(object)
    frame.loc[7, "organisation_id"] = "ORG-9999"
    err = rejected(db, learner_fw, frame, tmp_path, replace=True)
    [problem] = err.report.problems
    assert (problem.kind, problem.row, problem.column, problem.value) == ("unknown_organisation", 9, "organisation_id",
                                                                          "ORG-9999")
    assert "bad.csv, line 9, column organisation_id" in problem.message


def test_missing_organisation_column_is_rejected(db, built, learner_fw, tmp_path):
    err = rejected(db, learner_fw, built[2].head(20).drop(columns="organisation_id"), tmp_path)
    assert err.report.counts() == {"missing_organisation_column": 1}
    # and a differently named column works when named
    frame = built[2].head(20).rename(columns={"organisation_id": "Employer"})
    path = tmp_path / "employer.csv"
    frame.to_csv(path, index=False)
    with BenchmarkStore(db) as store:
        assert import_learners(store, path, WAVE, learner_fw, organisation_column="employer").n_learners == 20


def test_answers_off_the_scale_and_unknown_labels_are_named(db, built, learner_fw, tmp_path):
    # more rows than DuckDB samples to detect types: columns taken for numbers hold text further down
    frame = pd.concat([built[2]] * (25_000 // len(built[2]) + 1), ignore_index=True).astype(object)
    frame.loc[4, "at_find"] = 7
    frame.loc[24_500, "su_manager"] = 2.5
    frame.loc[24_600, "re_needs"] = "Maybe"
    frame.loc[5, "lb_time"] = "perhaps"
    frame.loc[6, "opinion_influence"] = "My cat"
    err = rejected(db, learner_fw, frame, tmp_path)
    found = {(p.kind, p.row, p.column, p.value) for p in err.report.problems}
    assert found == {("out_of_range", 6, "at_find", "7"), ("not_integer", 24_502, "su_manager", "2.5"),
                     ("not_a_number", 24_602, "re_needs", "Maybe"), ("barrier_value", 7, "lb_time", "perhaps"),
                     ("demographic_value", 8, "opinion_influence", "My cat")}


def test_import_needs_a_learner_framework_and_an_existing_wave(db, built, framework, learner_fw):
    with BenchmarkStore(db) as store:
        with pytest.raises(DataError, match="level: learner"):
            import_learners(store, built[1], WAVE, framework)
        with pytest.raises(StoreError, match="no wave"):
            import_learners(store, built[1], "1999", learner_fw)


# --- aggregates -------------------------------------------------------------------------------------------


def test_summary_agrees_with_pandas_and_icc_with_the_rows(imported, built, learner_fw):
    learners = built[2]
    with BenchmarkStore(imported, read_only=True) as store:
        summary = learner_organisation_summary(store, WAVE)
    item = summary[(summary["measure"] == "su_manager") & (summary["kind"] == "item")].set_index("organisation_id")
    expected = learners.groupby("organisation_id")["su_manager"].agg(["count", "mean", "var"])
    assert np.allclose(item[["n", "mean", "var"]].to_numpy(float), expected.reindex(item.index).to_numpy(float))
    table = learner_reliability(summary, learner_fw, min_learners=1, min_group_size=2)
    direct = icc(learners, "su_manager", "organisation_id")
    assert table.loc["su_manager", "icc1"] == pytest.approx(direct["icc1"], abs=1e-9)
    assert table.loc["su_manager", "icc2"] == pytest.approx(direct["icc2"], abs=1e-9)
    assert table.loc["support", "kind"] == "scale" and 0 < table.loc["support", "rwg_j"] <= 1


def test_no_figure_from_fewer_than_min_learners(imported, built, learner_fw):
    with BenchmarkStore(imported, read_only=True) as store:
        summary = learner_organisation_summary(store, WAVE)
        counts = learner_choice_counts(store, WAVE)
    sizes = built[2].groupby("organisation_id").size()
    small = sizes[sizes < 30].index
    means = organisation_means(summary, min_learners=30)
    assert means.loc[small, "su_manager"].isna().all() and means.loc[small, "n_learners"].tolist() == sizes[small].tolist()
    assert means.loc[sizes[sizes >= 30].index, "su_manager"].notna().all()
    table = learner_reliability(summary, learner_fw, min_learners=30, min_group_size=3)
    assert table.loc["su_manager", "n_organisations"] == (sizes >= 30).sum()
    assert table.loc["su_manager", "n_learners"] == sizes[sizes >= 30].sum()
    shares = choice_shares(counts, min_learners=30)
    assert shares["n"].sum() == sizes[sizes >= 30].sum()
    assert choice_shares(counts, min_learners=30, min_group_size=(sizes >= 30).sum() + 1).empty
    # a wave figure over fewer organisations than min_group_size is withheld
    assert learner_reliability(summary, learner_fw, min_learners=30, min_group_size=1000)["icc1"].isna().all()


def test_the_divide_compares_each_ld_answer_with_its_learners(imported, built, framework, learner_fw):
    with BenchmarkStore(imported, read_only=True) as store:
        responses = store.responses(WAVE)
        summary = learner_organisation_summary(store, WAVE)
    divide = learner_divide(responses, summary, learner_fw, framework, min_learners=10)
    row = divide[divide["learner_item"] == "su_manager"].iloc[0]
    learners = built[2][built[2]["organisation_id"] == row["organisation_id"]]["su_manager"]
    ld = responses.set_index("respondent_id").loc[row["organisation_id"], "en_1"]
    assert row["learner_mean"] == pytest.approx(learners.mean()) and row["ld_answer"] == ld
    assert row["ci_low"] < row["learner_mean"] < row["ci_high"] and row["gap"] == pytest.approx(ld - learners.mean())
    # a reverse-worded pair is compared in the favourable direction on both sides
    apply = divide[divide["learner_item"] == "at_apply"].iloc[0]
    raw = built[2][built[2]["organisation_id"] == apply["organisation_id"]]["at_apply"]
    assert apply["learner_mean"] == pytest.approx(6 - raw.mean())
    spread = divide_distribution(divide, min_group_size=5)
    assert spread.loc["su_manager", "n_organisations"] == (divide["learner_item"] == "su_manager").sum()
    assert spread.loc["su_manager", "mean_gap"] == pytest.approx(divide.loc[divide["learner_item"] == "su_manager", "gap"].mean())
    shares = favourable_shares(responses, summary, learner_fw, framework, min_learners=10)
    orgs = divide.loc[divide["learner_item"] == "su_manager", "organisation_id"]
    pool = built[2][built[2]["organisation_id"].isin(orgs)]["su_manager"]
    assert shares.loc["su_manager", "learner_share"] == pytest.approx((pool >= 4).mean())
    ld_answers = responses.set_index("respondent_id").loc[orgs, "en_1"]
    assert shares.loc["su_manager", "ld_share"] == pytest.approx((ld_answers >= 4).mean())


# --- the client block -----------------------------------------------------------------------------------------


def test_client_block_is_withheld_below_min_learners_and_for_small_peer_groups(imported, built):
    sizes = built[2].groupby("organisation_id").size().sort_values()
    with BenchmarkStore(imported, read_only=True) as store:
        aggregates = wave_learner_aggregates(store, WAVE)
    everyone = list(sizes.index)
    small, large = sizes.index[0], sizes.index[-1]
    withheld = learner_voice_block(small, aggregates, everyone, min_learners=int(sizes.iloc[0]) + 1)
    assert withheld["shown"] is False and "at least" in withheld["reason"] and "scales" not in withheld
    no_peers = learner_voice_block(large, aggregates, everyone[-4:], min_learners=5, min_group_size=5)
    assert no_peers["shown"] is False and "fewer than 5 organisations" in no_peers["reason"]
    block = learner_voice_block(large, aggregates, everyone, min_learners=20, min_group_size=5)
    json.dumps(block, allow_nan=False)
    peers = sizes[(sizes >= 20) & (sizes.index != large)]
    assert block["shown"] and block["peers"]["n_organisations"] == len(peers)
    assert block["peers"]["n_learners"] == peers.sum()
    rows = built[2][built[2]["organisation_id"].isin(peers.index)]
    item = next(i for i in block["items"] if i["id"] == "su_manager")
    assert item["peers"] == pytest.approx(rows["su_manager"].mean())  # every learner of the peers, pooled
    assert item["own"] == pytest.approx(built[2].loc[built[2]["organisation_id"] == large, "su_manager"].mean())
    opinion = block["choices"][0]
    assert sum(v["own_share"] for v in opinion["values"]) == pytest.approx(1)
    # nothing in the block names another organisation
    assert not any(org in json.dumps(block) for org in everyone if org != large)


def test_client_block_composes_from_figures_a_published_table_can_hold(imported, built):
    sizes = built[2].groupby("organisation_id").size().sort_values()
    with BenchmarkStore(imported, read_only=True) as store:
        aggregates = wave_learner_aggregates(store, WAVE)
    client, everyone = sizes.index[-1], list(sizes.index)
    peers = learner_figures(aggregates, [o for o in everyone if o != client], min_learners=20, min_group_size=5)
    own = learner_figures(aggregates, [client], min_learners=20, min_group_size=1)
    assert not any(org in json.dumps(peers) for org in everyone)  # group figures name no organisation
    composed = compose_learner_voice(own, peers, min_learners=20, min_group_size=5)
    assert composed == learner_voice_block(client, aggregates, everyone, min_learners=20, min_group_size=5)
    few = learner_figures(aggregates, everyone[-3:], min_learners=20, min_group_size=5)
    assert few["shown"] is False and "scales" not in few
    assert compose_learner_voice(own, few, min_learners=20, min_group_size=5)["shown"] is False


def test_wave_without_learners_has_no_learner_aggregates(db):
    with BenchmarkStore(db, read_only=True) as store:
        assert wave_learner_aggregates(store, WAVE) is None and learner_fingerprint(store, WAVE) is None
        with pytest.raises(StoreError, match="no learners"):
            learner_organisation_summary(store, WAVE)


# --- synthetic learners ----------------------------------------------------------------------------------------


def test_synthetic_learners_are_nested_seeded_and_carry_their_icc(learner_fw):
    maturity_index = pd.Series(np.linspace(20, 80, 120), index=[f"ORG-{i:04d}" for i in range(120)])
    learners = generate_learners(maturity_index, learner_fw, icc=0.3, seed=4)
    again = generate_learners(maturity_index, learner_fw, icc=0.3, seed=4)
    pd.testing.assert_frame_equal(learners, again)
    sizes = learners.groupby("organisation_id").size()
    assert sizes.between(5, 200).all() and 0 < len(sizes) < 120  # some organisations have none
    # answers follow the organisation's maturity, more so with a larger planted ICC
    flat = generate_learners(maturity_index, learner_fw, icc=0.0, seed=4)
    scale = lambda frame: frame[["su_manager", "su_leaders", "su_peers"]].mean(axis=1)  # noqa: E731
    strong = icc(learners.assign(s=scale(learners)), "s", "organisation_id")["icc1"]
    none = icc(flat.assign(s=scale(flat)), "s", "organisation_id")["icc1"]
    assert strong > 0.15 and abs(none) < 0.02
    assert learners.attrs["icc"] == 0.3


# --- settings and command line ------------------------------------------------------------------------------


def test_min_learners_is_a_benchmark_setting(tmp_path):
    assert load_benchmark_parameters()["min_learners"] == 10
    path = tmp_path / "benchmark.yaml"
    path.write_text("min_learners: 2\n", encoding="utf-8")
    with pytest.raises(ParametersError, match="min_learners"):
        load_benchmark_parameters(path)
    path.write_text("min_learners: 25\n", encoding="utf-8")
    assert load_benchmark_parameters(path)["min_learners"] == 25


def test_cli_imports_learners_and_prints_their_icc(db, built, capsys):
    assert main(["import", str(built[1]), "--wave", WAVE, "--level", "learner", "--db", str(db)]) == 0
    assert "learners of" in capsys.readouterr().out
    assert main(["learners", "--db", str(db), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["items"]) == {i.id for i in load_framework("learner-voice").items}
    assert set(out["scales"]["support"]) == {"n_learners", "n_organisations", "icc1", "icc2", "rwg_j"}
    assert main(["learners", "--db", str(db)]) == 0
    assert "icc1" in capsys.readouterr().out
    assert main(["waves", "--db", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["waves"][0]["n_learners"] == len(built[2])


def test_cli_learners_without_learners_says_how_to_add_them(db, capsys):
    assert main(["learners", "--db", str(db)]) == 1
    assert "has no learners" in capsys.readouterr().err


def test_cli_rejects_a_bad_learner_file_with_exit_1(db, built, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    built[2].head(20).drop(columns="organisation_id").to_csv(path, index=False)
    assert main(["import", str(path), "--wave", WAVE, "--level", "learner", "--db", str(db)]) == 1
    captured = capsys.readouterr()
    assert "missing_organisation_column" in captured.out or "no column naming" in captured.out
    assert main(["import", str(path), "--wave", WAVE, "--db", str(db), "--organisation-column", "x"]) == 2
    missing = tmp_path / "none.duckdb"
    assert main(["import", str(built[1]), "--wave", WAVE, "--level", "learner", "--db", str(missing)]) == 1
    assert not missing.exists() and "import the organisation survey" in capsys.readouterr().err


# --- the learners' questionnaire ---------------------------------------------------------------------------


def test_learner_questionnaire_carries_the_organisation_as_a_hidden_link_field(tmp_path, learner_fw):
    import openpyxl
    from pyxform.xls2xform import convert

    from maturity.fielding import write_questionnaire
    from maturity.fielding.limesurvey import limesurvey_rows
    from maturity.fielding.qualtrics_qsf import qsf_document
    from maturity.fielding.questionnaire import build_questionnaire

    q = build_questionnaire(learner_fw)
    assert q.link_fields == ("organisation_id",)
    asked = {question.name for question in q.questions}
    assert "organisation_id" not in asked and "learner_id" not in asked  # learners are never asked who they are
    assert q.sections[0].title == "About you" and "opinion_influence" in asked
    path = write_questionnaire(learner_fw, "xlsform", tmp_path / "learners.xlsx")
    survey = list(openpyxl.load_workbook(path)["survey"].iter_rows(values_only=True))
    assert ("hidden", "organisation_id") in [row[:2] for row in survey]
    assert '<bind nodeset="/data/organisation_id" type="string"/>' in convert(xlsform=str(path), warnings=[]).xform
    flow = next(e for e in qsf_document(q)["SurveyElements"] if e["Element"] == "FL")["Payload"]["Flow"][0]
    link = next(d for d in flow["EmbeddedData"] if d["Field"] == "organisation_id")
    assert "Value" not in link  # set from the survey link's query string
    rows = limesurvey_rows(learner_fw)
    hidden = next(r for r in rows if r.get("name") == "organisationid")
    assert (hidden["type/scale"], hidden["hidden"]) == ("S", "1")
    # the organisation's own questionnaire still asks for its id and has no link field
    assert build_questionnaire(maturity.load_framework()).link_fields == ()


# --- the researcher dashboard's learner tab ---------------------------------------------------------------


def test_dashboard_learner_tab_withholds_small_organisations(imported, built, monkeypatch):
    import maturity.dashboard.app as app

    shown: list[str] = []
    monkeypatch.setattr(app, "display", lambda obj: shown.append(getattr(obj, "data", str(obj))))
    dash = app.Dashboard(imported)
    assert "learners" in dash.view_keys
    sizes = built[2].groupby("organisation_id").size()
    small, large = sizes.idxmin(), sizes.idxmax()
    assert sizes[small] < 10 <= sizes[large]
    dash.organisation_select.value = small
    shown.clear()
    dash._view_learners()
    assert "Learner figures withheld" in shown[0] and f"{sizes[small]} of your staff" in shown[0]
    dash.organisation_select.value = large
    shown.clear()
    dash._view_learners()
    assert f"{sizes[large]:,} of your staff answered" in shown[0] and "icc1" in shown[1]
    assert not any(org in shown[0] for org in sizes.index if org != large)


def test_a_clients_learner_summary_reads_its_own_learners_only(imported):
    """The client's own learner figures come from its own rows: filtering by organisation
    gives exactly the wave summary's rows of that organisation."""
    from maturity.data.learner_tables import learner_choice_counts, learner_organisation_summary
    with BenchmarkStore(imported, read_only=True) as store:
        whole = learner_organisation_summary(store)
        org = str(whole["organisation_id"].iloc[0])
        own = learner_organisation_summary(store, organisations=[org])
        assert set(own["organisation_id"]) == {org}
        expected = whole[whole["organisation_id"] == org].reset_index(drop=True)
        pd.testing.assert_frame_equal(own.reset_index(drop=True), expected, check_dtype=False)
        choices = learner_choice_counts(store, organisations=[org])
        all_choices = learner_choice_counts(store)
        assert set(choices["organisation_id"]) <= {org}
        assert len(choices) == int((all_choices["organisation_id"] == org).sum())
        assert learner_organisation_summary(store, organisations=[]).empty
