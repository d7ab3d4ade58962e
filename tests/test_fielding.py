"""`maturity questionnaire`: the four questionnaire formats, checked against what each
platform needs (pyxform converts the XLSForm; the QSF's export tags and recodes; the
LimeSurvey codes; a self-contained printable page) for the packaged framework and for
frameworks unlike it."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import openpyxl
import pytest
from pyxform.xls2xform import convert

import maturity
from maturity.cli import main
from maturity.errors import FrameworkError
from maturity.fielding import build_questionnaire, write_questionnaire
from maturity.framework import parse_framework

from .conftest import small_framework_dict

FW = maturity.load_framework()
XF = "{http://www.w3.org/2002/xforms}"


def team_framework_dict() -> dict:
    """A 1-7 scale labelled only at its ends, reverse items, no outcomes, demographics and
    barriers with spaces and symbols, and every item required (min_answered 1)."""
    doc = small_framework_dict(n_strands=3, n_items=4)
    doc["strands"][0]["items"][1]["reverse"] = True
    doc["strands"][2]["items"][3]["reverse"] = True
    doc["strands"][1]["description"] = "How clear the team's goals are."
    doc["index"] = {"min_answered": 1}
    doc["demographics"] = [{"id": "team_size", "name": "Team size", "values": ["1-5", "6-20", "21+"]},
                           {"id": "site", "name": "Site", "values": ["Head office", "R&D <lab>", "Remote"]}]
    doc["barriers"] = [{"id": "no_time", "name": "Time"}, {"id": "tools", "name": "Tools & kit"}]
    return doc


def wide_framework_dict() -> dict:
    """Scales the choice formats cannot list: unlabelled, 0-100, fractional, negative."""
    doc = small_framework_dict(n_strands=1, n_items=4)
    doc["scales"].update({
        "plain4": {"min": 1, "max": 4},
        "percent": {"min": 0, "max": 100},
        "hours": {"min": 0, "max": 40, "integer": False},
        "bipolar": {"min": -3, "max": 3, "labels": {-3: "Much worse", 0: "Same", 3: "Much better"}},
    })
    for item, scale in zip(doc["strands"][0]["items"], ("plain4", "percent", "hours", "bipolar")):
        item["scale"] = scale
    doc["outcomes"] = [{"id": "results", "name": "Results",
                        "items": [{"id": "r_1", "scale": "seven", "text": "Sales"}]}]
    return doc


FRAMEWORKS = {"default": FW, "team": parse_framework(team_framework_dict()),
              "wide": parse_framework(wide_framework_dict())}


def _sheet(book, name) -> list[dict]:
    rows = list(book[name].iter_rows(values_only=True))
    return [{h: ("" if v is None else str(v)) for h, v in zip(rows[0], r)} for r in rows[1:]]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every format written for every framework: {(framework, format): path}."""
    folder = tmp_path_factory.mktemp("fielding")
    out = {}
    for key, fw in FRAMEWORKS.items():
        for fmt, suffix in (("xlsform", "xlsx"), ("qsf", "qsf"), ("limesurvey", "txt"), ("html", "html")):
            out[key, fmt] = write_questionnaire(fw, fmt, folder / f"{key}.{suffix}")
    return out


# --- XLSForm -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", FRAMEWORKS)
def test_pyxform_converts_the_xlsform_without_errors_or_warnings(written, key):
    warnings: list[str] = []
    result = convert(xlsform=str(written[key, "xlsform"]), validate=False, warnings=warnings)
    assert warnings == [] and result.warnings == []
    fw = FRAMEWORKS[key]
    root = ET.fromstring(result.xform)
    instance = root.find(f".//{XF}instance/{XF}data")
    assert instance.get("id") == fw.id and instance.get("version") == fw.version
    calculations = {b.get("nodeset"): b.get("calculate") for b in root.iter(f"{XF}bind") if b.get("calculate")}
    assert calculations == {"/data/framework_id": f"'{fw.id}'", "/data/framework_version": f"'{fw.version}'"}
    # every item is a question of the form, in its strand's group
    for strand in fw.strands:
        group = instance.find(f"{XF}{strand.id}")
        assert [child.tag.removeprefix(XF) for child in group if not child.tag.endswith("_note")] == \
               [i.id for i in strand.items]


def test_xlsform_questions_choices_and_settings(written):
    book = openpyxl.load_workbook(written["default", "xlsform"])
    survey, choices, settings = _sheet(book, "survey"), _sheet(book, "choices"), _sheet(book, "settings")
    by_name = {r["name"]: r for r in survey if r["type"] not in ("begin_group", "end_group")}
    assert settings == [{"form_id": "towards-maturity-6", "form_title": FW.name, "version": "1.0", "style": "pages"}]
    lists: dict[str, list[tuple[str, str]]] = {}
    for r in choices:
        lists.setdefault(r["list_name"], []).append((r["name"], r["label"]))
    for item in FW.items + FW.outcome_items:
        kind, list_name = by_name[item.id]["type"].split()
        assert kind == "select_one" and by_name[item.id]["label"] == item.text
        scale = FW.scales[item.scale]
        assert lists[list_name] == [(str(int(v)), t) for v, t in scale.labels.items()]
    for demo in FW.demographics:
        kind, list_name = by_name[demo.id]["type"].split()
        assert kind == "select_one" and [n for n, _ in lists[list_name]] == list(demo.values)
    multiple = [r for r in survey if r["type"].startswith("select_multiple")]
    assert len(multiple) == 1
    assert lists[multiple[0]["type"].split()[1]] == [(b.id, b.name) for b in FW.barriers]
    # the organisation id is required; items are not, as the framework scores half-answered strands
    assert by_name[FW.id_column]["required"] == "yes" and by_name[FW.name_column]["type"] == "text"
    assert FW.index.min_answered < 1 and all(by_name[i]["required"] == "" for i in FW.item_ids)
    groups = [r["name"] for r in survey if r["type"] == "begin_group"]
    assert groups == (["organisation"] + FW.strand_ids + [g.id for g in FW.outcomes] + ["barriers"])


def test_xlsform_of_a_seven_point_framework(written):
    fw = FRAMEWORKS["team"]
    book = openpyxl.load_workbook(written["team", "xlsform"])
    survey, choices = _sheet(book, "survey"), _sheet(book, "choices")
    seven = [(r["name"], r["label"]) for r in choices if r["list_name"] == "scale_seven"]
    assert seven == [("1", "1 - Never")] + [(str(v), str(v)) for v in range(2, 7)] + [("7", "7 - Always")]
    required = {r["name"] for r in survey if r["required"] == "yes"}
    assert required == {fw.id_column, *fw.item_ids}  # min_answered 1: a skipped item leaves its strand unscored
    assert not any(r["name"] in ("business_impact", "outcomes") for r in survey)


def test_xlsform_asks_large_and_fractional_scales_as_numbers(written):
    book = openpyxl.load_workbook(written["wide", "xlsform"])
    by_name = {r["name"]: r for r in _sheet(book, "survey")}
    assert by_name["q0_0"]["type"] == "select_one scale_plain4"
    assert [r["label"] for r in _sheet(book, "choices") if r["list_name"] == "scale_plain4"] == ["1", "2", "3", "4"]
    assert (by_name["q0_1"]["type"], by_name["q0_1"]["constraint"]) == ("integer", ". >= 0 and . <= 100")
    assert (by_name["q0_2"]["type"], by_name["q0_2"]["constraint"]) == ("decimal", ". >= 0 and . <= 40")
    assert by_name["q0_3"]["type"] == "select_one scale_bipolar"


# --- Qualtrics ----------------------------------------------------------------------------------------------------


def _qsf(path) -> tuple[dict, dict, list]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    questions = {e["PrimaryAttribute"]: e["Payload"] for e in doc["SurveyElements"] if e["Element"] == "SQ"}
    blocks = next(e["Payload"] for e in doc["SurveyElements"] if e["Element"] == "BL")
    return doc, questions, blocks


@pytest.mark.parametrize("key", FRAMEWORKS)
def test_qsf_export_tags_are_the_item_ids_and_recodes_the_scale_values(written, key):
    fw = FRAMEWORKS[key]
    doc, questions, blocks = _qsf(written[key, "qsf"])
    answered = [q for q in questions.values() if q["QuestionType"] != "DB"]
    tags = [q["DataExportTag"] for q in answered]
    assert len(tags) == len(set(tags))
    items = fw.items + fw.outcome_items
    by_tag = {q["DataExportTag"]: q for q in answered}
    assert [t for t in tags if t in {i.id for i in items}] == [i.id for i in items]
    for item in items:
        q = by_tag[item.id]
        scale = fw.scales[item.scale]
        if q["QuestionType"] == "MC":
            recodes = [float(q["RecodeValues"][c]) for c in q["ChoiceOrder"]]
            assert recodes == [scale.min + k for k in range(int(scale.max - scale.min) + 1)]
            for c in q["ChoiceOrder"]:
                label = scale.labels.get(float(q["RecodeValues"][c]))
                assert label is None or label in q["Choices"][c]["Display"]
        else:
            assert q["Validation"]["Settings"]["ContentType"] == "ValidNumber"
    # one block per strand holding exactly its items (after its title)
    strand_blocks = {b["Description"]: [questions[e["QuestionID"]] for e in b["BlockElements"]] for b in blocks}
    for strand in fw.strands:
        members = strand_blocks[strand.name]
        assert members[0]["QuestionType"] == "DB" and strand.name in members[0]["QuestionText"]
        assert [m["DataExportTag"] for m in members[1:]] == [i.id for i in strand.items]
    flow = next(e["Payload"] for e in doc["SurveyElements"] if e["Element"] == "FL")["Flow"]
    stamp = {d["Field"]: d["Value"] for d in flow[0]["EmbeddedData"]}
    assert stamp == {"framework_id": fw.id, "framework_version": fw.version}
    assert [f["ID"] for f in flow[1:]] == [b["ID"] for b in blocks if b["Type"] != "Trash"]
    assert by_tag[fw.id_column]["Validation"]["Settings"]["ForceResponse"] == "ON"


def test_qsf_demographics_and_barriers(written):
    _, questions, _ = _qsf(written["default", "qsf"])
    by_tag = {q["DataExportTag"]: q for q in questions.values()}
    sector = by_tag["sector"]
    assert [sector["Choices"][c]["Display"] for c in sector["ChoiceOrder"]] == list(FW.demographics[0].values)
    assert [sector["RecodeValues"][c] for c in sector["ChoiceOrder"]] == [str(k) for k in range(1, 11)]
    barriers = [q for q in questions.values() if q.get("Selector") == "MAVR"]
    assert len(barriers) == 1
    assert [barriers[0]["Choices"][c]["Display"] for c in barriers[0]["ChoiceOrder"]] == [b.name for b in FW.barriers]


# --- LimeSurvey -------------------------------------------------------------------------------------------------


def _limesurvey(path) -> list[dict]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # as LimeSurvey writes it
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter="\t"))


@pytest.mark.parametrize("key", FRAMEWORKS)
def test_limesurvey_codes_are_valid_and_unique(written, key):
    rows = _limesurvey(written[key, "limesurvey"])
    codes = [r["name"] for r in rows if r["class"] in ("Q", "SQ")]
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,19}", c) for c in codes)
    assert len({c.casefold() for c in codes}) == len(codes)
    groups = [r for r in rows if r["class"] == "G"]
    assert len(groups) == len(build_questionnaire(FRAMEWORKS[key]).sections)
    assert all(re.fullmatch(r"[A-Za-z0-9]{1,5}", r["name"]) for r in rows if r["class"] == "A")


def test_limesurvey_questions_of_the_packaged_framework(written):
    rows = _limesurvey(written["default", "limesurvey"])
    questions = {r["name"]: r for r in rows if r["class"] == "Q"}
    assert questions["bn1"]["type/scale"] == "L" and questions["bn1"]["text"] == FW.items[0].text
    answers: dict[str, list[tuple[str, str]]] = {}
    current = None
    for r in rows:
        if r["class"] == "Q":
            current = r["name"]
        elif r["class"] == "A":
            answers.setdefault(current, []).append((r["name"], r["text"]))
    assert answers["bn1"] == [(str(int(v)), t) for v, t in FW.scales["agree5"].labels.items()]
    assert answers["sector"] == [(f"A{k}", v) for k, v in enumerate(FW.demographics[0].values, 1)]
    assert questions["respondentid"]["mandatory"] == "Y" and questions["respondentid"]["type/scale"] == "S"
    stamp = {r["name"]: r for r in rows if r["type/scale"] == "*"}
    assert {k: (r["text"], r["hidden"]) for k, r in stamp.items()} == {
        "frameworkid": ("towards-maturity-6", "1"), "frameworkversion": ("1.0", "1")}
    multiple = [r for r in rows if r["type/scale"] == "M"]
    assert len(multiple) == 1
    sub = [r["text"] for r in rows if r["class"] == "SQ"]
    assert sub == [b.name for b in FW.barriers]
    title = next(r["text"] for r in rows if r["name"] == "surveyls_title")
    assert "towards-maturity-6 version 1.0" in title


def test_limesurvey_asks_negative_and_large_scales_as_numbers(written):
    rows = _limesurvey(written["wide", "limesurvey"])
    questions = {r["name"]: r for r in rows if r["class"] == "Q"}
    for code, lo, hi, whole in (("q01", "0", "100", "1"), ("q02", "0", "40", ""), ("q03", "-3", "3", "1")):
        q = questions[code]
        assert (q["type/scale"], q["min_num_value_n"], q["max_num_value_n"], q["num_value_int_only"]) == \
               ("N", lo, hi, whole)


# --- printable HTML --------------------------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.inputs: list[dict] = []
        self.meta: dict[str, str] = {}
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "input":
            self.inputs.append(attrs)
        if tag == "meta" and "name" in attrs:
            self.meta[attrs["name"]] = attrs.get("content", "")
        self.links += [v for k, v in attrs.items() if k in ("src", "href") and v]


@pytest.mark.parametrize("key", FRAMEWORKS)
def test_html_is_self_contained_printable_and_responsive(written, key):
    fw = FRAMEWORKS[key]
    text = written[key, "html"].read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert "script" not in page.tags and "link" not in page.tags and page.links == []
    assert page.meta["viewport"].startswith("width=device-width")
    assert (page.meta["framework-id"], page.meta["framework-version"]) == (fw.id, fw.version)
    assert "@media print" in text and "break-before: page" in text and "break-inside: avoid" in text
    assert re.search(r"@media \(min-width: [\d.]+rem\)", text)  # options stack on a phone, sit in a row on a screen
    assert page.tags.count("section") == len(build_questionnaire(fw).sections)
    for item in fw.items + fw.outcome_items:
        scale = fw.scales[item.scale]
        options = [i for i in page.inputs if i.get("name") == item.id]
        if scale.integer and scale.max - scale.min < 11:
            points = [scale.min + k for k in range(int(scale.max - scale.min) + 1)]
            assert [float(i["value"]) for i in options] == points
            assert {i["type"] for i in options} == {"radio"}
        else:
            typed = [(i["type"], float(i["min"]), float(i["max"])) for i in options]
            assert typed == [("number", scale.min, scale.max)]
    for barrier in fw.barriers:
        assert any(i.get("type") == "checkbox" and i.get("value") == barrier.id for i in page.inputs)


def test_html_escapes_framework_text(written):
    text = written["team", "html"].read_text(encoding="utf-8")
    assert "R&amp;D &lt;lab&gt;" in text and "<lab>" not in text


# --- command line and errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt,suffix", [("xlsform", "xlsx"), ("qsf", "qsf"), ("limesurvey", "txt"), ("html", "html")])
def test_cli_writes_each_format_for_a_framework_file(tmp_path, capsys, fmt, suffix):
    fw_file = tmp_path / "team.yaml"
    fw_file.write_text(json.dumps(team_framework_dict()), encoding="utf-8")
    out = tmp_path / "out" / f"team.{suffix}"
    assert main(["questionnaire", "--framework", str(fw_file), "--format", fmt, "--out", str(out)]) == 0
    assert out.stat().st_size > 0 and "team-survey version 0.1" in capsys.readouterr().out


def test_cli_refuses_an_extension_the_format_does_not_use(tmp_path, capsys):
    code = main(["questionnaire", "--format", "qsf", "--out", str(tmp_path / "survey.xlsx")])
    assert code == 2 and "ending in .qsf" in capsys.readouterr().err
    assert not (tmp_path / "survey.xlsx").exists()


def test_a_framework_id_the_stamp_needs_is_refused(tmp_path, capsys):
    doc = copy.deepcopy(team_framework_dict())
    doc["strands"][0]["items"][0]["id"] = "framework_version"
    with pytest.raises(FrameworkError, match="framework_version"):
        build_questionnaire(parse_framework(doc))
    fw_file = tmp_path / "clash.yaml"
    fw_file.write_text(json.dumps(doc), encoding="utf-8")
    code = main(["questionnaire", "--framework", str(fw_file), "--format", "html", "--out", str(tmp_path / "q.html")])
    assert code == 1 and "reserved" in capsys.readouterr().err
