"""Evaluation plans and files: malformed input is rejected with named problems, nothing is stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from maturity.cli import main
from maturity.data.store import BenchmarkStore
from maturity.errors import ParametersError, ValidationFailed
from maturity.evaluation import load_plan, parse_plan
from maturity.evaluation.files import read_evaluation_files
from maturity.evaluation.synthetic import write_synthetic_programme

from .batch_support import make_database


@pytest.fixture(scope="module")
def programme_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("programme")
    write_synthetic_programme(folder, n_learners=24, seed=5, bootstrap=200)
    plan = yaml.safe_load((folder / "plan.yaml").read_text())
    plan["organisation"] = "ORG-0001"
    (folder / "plan.yaml").write_text(yaml.safe_dump(plan))
    return folder


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path, _ = make_database(tmp_path_factory.mktemp("db") / "bench.duckdb", n_orgs=30)
    return path


@pytest.fixture
def programme(programme_template, tmp_path):
    folder = tmp_path / "programme"
    shutil.copytree(programme_template, folder)
    return folder


def _edit(folder: Path, name: str, change) -> None:
    path = folder / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = change(frame)
    frame.to_csv(path, index=False)


def _set(row: int, column: str, value: str):
    def change(frame):
        frame.loc[row, column] = value
        return frame
    return change


def _artifacts(db: Path) -> list[tuple]:
    with BenchmarkStore(db, read_only=True) as store:
        return store.con.execute("SELECT kind, payload FROM artifacts ORDER BY kind").fetchall()


# (file, change, kind's words, where): line numbers count the header as line 1.
MALFORMED = {
    "unknown learner": ("stories", _set(0, "learner_id", "NOBODY"), "a learner who is not in the programme",
                        ["stories.csv", "line 2", "column learner_id", "'NOBODY'"]),
    "post without pre": ("learning", _set(2, "pre", ""), "a post-test score without a pre-test score",
                         ["learning.csv", "line 4", "column pre"]),
    "pre without post": ("learning", _set(3, "post", ""), "a pre-test score without a post-test score",
                         ["learning.csv", "line 5", "column post"]),
    "KPI the plan does not define": ("results", lambda f: f.assign(churn="1"), "a KPI the plan does not define",
                                     ["results.csv", "column churn", "'churn'"]),
    "KPI of the plan missing": ("results", lambda f: f.drop(columns="errors"), "a KPI of the plan has no column",
                                ["results.csv", "column errors"]),
    "reaction scale violation": ("reaction", _set(1, "relevant", "7"), "a value is outside its scale",
                                 ["reaction.csv", "line 3", "column relevant", "'7'", "from 1 to 5"]),
    "recommend above 10": ("reaction", _set(0, "recommend", "11"), "a value is outside its scale",
                           ["reaction.csv", "line 2", "column recommend", "'11'"]),
    "behaviour not a number": ("behaviour", _set(5, "coaches", "often"), "a value is not a number",
                               ["behaviour.csv", "line 7", "column coaches", "'often'"]),
    "unknown rater": ("behaviour", _set(0, "rater", "peer"), "a value the layout does not allow",
                      ["behaviour.csv", "line 2", "column rater", "'peer'", "self or manager"]),
    "missing column": ("learning", lambda f: f.drop(columns="post"), "a column the layout needs is missing",
                       ["learning.csv", "column post"]),
    "duplicate learner": ("learning", lambda f: pd.concat([f, f.iloc[[0]]]), "appears twice",
                          ["learning.csv", "line 26", "column learner_id"]),
    "blank id": ("reaction", _set(4, "learner_id", ""), "a row has no id", ["reaction.csv", "line 6"]),
    "unit changes group": ("results", _set(5, "group", "comparison"), "a unit is in the trained group in one period",
                           ["results.csv", "column group"]),
    "unit with one period": ("results", lambda f: f.drop(index=0), "a unit has only one of the periods",
                             ["results.csv", "column period"]),
    "unknown period": ("results", _set(2, "period", "during"), "a value the layout does not allow",
                       ["results.csv", "line 4", "column period", "'during'"]),
    "KPI value not a number": ("results", _set(3, "sales", "n/a"), "a value is not a number",
                               ["results.csv", "line 5", "column sales", "'n/a'"]),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_file_is_rejected_with_named_problems_and_nothing_stored(case, programme, database, tmp_path,
                                                                          capsys):
    name, change, words, where = MALFORMED[case]
    _edit(programme, name, change)
    before = _artifacts(database)
    out = tmp_path / "out"
    code = main(["evaluate", str(programme / "plan.yaml"), "--out", str(out), "--db", str(database), "--no-report"])
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if words in line]
    assert lines, err
    assert any(all(part in line for part in where) for line in lines), (where, lines)
    assert "nothing was computed or stored" in err
    assert _artifacts(database) == before
    assert not out.exists()


def test_rejected_file_reports_as_json(programme, tmp_path, capsys):
    _edit(programme, "learning", _set(0, "post", "abc"))
    code = main(["evaluate", str(programme / "plan.yaml"), "--out", str(tmp_path / "o"), "--no-report",
                 "--format", "json"])
    import json

    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["accepted"] is False
    (problem,) = report["files"]["learning"]["problems"]
    assert (problem["kind"], problem["row"], problem["column"], problem["value"]) == ("not_a_number", 2, "post", "abc")


def test_unreadable_and_empty_files(programme):
    (programme / "learning.csv").write_text("")
    (programme / "reaction.csv").unlink()
    (programme / "behaviour.csv").write_bytes(b"\x00\x01\x02\x03" * 100)
    with pytest.raises(ValidationFailed) as caught:
        read_evaluation_files(load_plan(programme / "plan.yaml"))
    kinds = {name: {p.kind for p in r.problems} for name, r in caught.value.report.items()}
    assert "empty" in kinds["learning"]
    assert "unreadable" in kinds["reaction"]
    assert "binary" in kinds["behaviour"]


def test_estimates_problems(programme):
    plan = yaml.safe_load((programme / "plan.yaml").read_text())
    plan["files"]["estimates"] = "estimates.csv"
    (programme / "plan.yaml").write_text(yaml.safe_dump(plan))
    pd.DataFrame({"learner_id": ["L00001", "L00002", "L09999"], "kpi": ["sales", "profit", "sales"],
                  "contribution": ["0.5", "0.4", "1.5"], "confidence": ["0.8", "", "0.5"]}).to_csv(
        programme / "estimates.csv", index=False)
    with pytest.raises(ValidationFailed) as caught:
        read_evaluation_files(load_plan(programme / "plan.yaml"))
    found = {(p.kind, p.row, p.column) for p in caught.value.report["estimates"].problems}
    assert ("unknown_kpi", 3, "kpi") in found
    assert ("not_a_number", 3, "confidence") in found
    assert ("out_of_range", 4, "contribution") in found
    assert ("unknown_learner", 4, "learner_id") in found


def test_roster_makes_every_learner_known(programme):
    plan = yaml.safe_load((programme / "plan.yaml").read_text())
    plan["files"]["learners"] = "learners.csv"
    (programme / "plan.yaml").write_text(yaml.safe_dump(plan))
    pd.DataFrame({"learner_id": [f"L{i:05d}" for i in range(2, 25)]}).to_csv(programme / "learners.csv", index=False)
    with pytest.raises(ValidationFailed) as caught:
        read_evaluation_files(load_plan(programme / "plan.yaml"))
    unknown = {(name, p.value) for name, r in caught.value.report.items() for p in r.problems
               if p.kind == "unknown_learner"}
    assert {("reaction", "L00001"), ("learning", "L00001"), ("behaviour", "L00001")} <= unknown


@pytest.mark.parametrize("document, field", [
    ({"programme": "P", "cost": -5, "files": {"learning": "l.csv"}}, "cost"),
    ({"programme": "P", "cost": {"design": 100, "delivery": -20}, "files": {"learning": "l.csv"}}, "cost.delivery"),
    ({"programme": "P", "cost": 0, "files": {"learning": "l.csv"}}, "cost"),
    ({"programme": "", "cost": 10, "files": {"learning": "l.csv"}}, "programme"),
    ({"programme": "P", "cost": 10, "files": {"results": "r.csv"}}, "kpis"),
    ({"programme": "P", "cost": 10, "files": {"results": "r.csv"}, "kpis": {"sales": {"value": 5, "direction": "sideways"}}},
     "kpis.sales.direction"),
    ({"programme": "P", "cost": 10, "files": {"results": "r.csv"}, "kpis": {"sales": {"direction": "up"}}},
     "kpis.sales.value"),
    ({"programme": "P", "cost": 10, "files": {"feelings": "f.csv"}}, "files.feelings"),
    ({"programme": "P", "cost": 10, "files": {"stories": "s.csv"}}, "files"),
    ({"programme": "P", "cost": 10, "files": {"learning": {"path": "l.csv", "about": "x"}}}, "files.learning.about"),
    ({"programme": "P", "cost": 10, "files": {"learning": {"measures": "a test"}}}, "files.learning.path"),
    ({"programme": "P", "cost": 10, "files": {"learning": "l.csv"}, "scales": {"reaction": {"min": 5, "max": 1}}},
     "scales.reaction"),
    ({"programme": "P", "cost": 10, "files": {"learning": "l.csv"}, "budget": 3}, "budget"),
    ({"programme": "P", "cost": 10, "files": {"learning": "l.csv"}, "confidence": 1.5}, "confidence"),
    ({"programme": "P", "cost": "a lot", "files": {"learning": "l.csv"}}, "cost"),
])
def test_bad_plans_name_the_field(document, field):
    with pytest.raises(ParametersError, match=rf"plan.yaml: {field.replace('.', '[.]')}: "):
        parse_plan(document, source="plan.yaml")


def test_smallest_plan_works(tmp_path):
    pd.DataFrame({"learner_id": ["a", "b", "c", "d"], "pre": [50, 60, 40, 55], "post": [60, 62, 55, 58]}).to_csv(
        tmp_path / "learning.csv", index=False)
    (tmp_path / "plan.yaml").write_text("programme: Onboarding\ncost: 1200\nfiles:\n  learning: learning.csv\n")
    plan = load_plan(tmp_path / "plan.yaml")
    assert plan.scales["reaction"] == (1.0, 5.0) and plan.cost_lines == {"total": 1200.0}
    from maturity.evaluation import evaluate

    ev = evaluate(plan)
    assert ev["levels"] == ["learning"]
    assert ev["learning"]["change"]["estimate"] == pytest.approx(7.5)
    assert ev["roi"] is None and ev["answer"]["verdict"] == "no results"


def test_xlsx_files_are_read(tmp_path):
    programme = write_synthetic_programme(tmp_path, n_learners=20, seed=3, bootstrap=200, fmt="xlsx")
    data = read_evaluation_files(load_plan(programme.plan))
    assert len(data.learning) == 20 and data.results["sales"].notna().all()


def test_plan_says_what_each_file_measures(tmp_path):
    from maturity.evaluation import evaluate
    from maturity.evaluation.display import section_html

    programme = write_synthetic_programme(tmp_path, n_learners=20, seed=3, bootstrap=200)
    plan = load_plan(programme.plan)
    assert plan.files["learning"] == (tmp_path / "learning.csv").resolve()
    assert plan.measures["learning"].startswith("scenario test")
    html = section_html("learning", evaluate(plan))
    assert "What it measures:</em> scenario test before the first module" in html
