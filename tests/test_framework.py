"""The framework model and the packaged default framework."""

from __future__ import annotations

import re

import pytest
import yaml

import maturity
from maturity.errors import FrameworkError
from maturity.framework import parse_framework

from .conftest import small_framework_dict


def test_default_framework_has_six_strands_with_enough_items(framework):
    assert framework.id == "towards-maturity-6"
    assert [s.name for s in framework.strands] == [
        "Defining business need",
        "Understanding the learner context",
        "Understanding the work context",
        "Building L&D capability",
        "Ensuring engagement",
        "Demonstrating value",
    ]
    for strand in framework.strands:
        assert len(strand.items) >= 6, strand.id
        assert any(i.reverse for i in strand.items), f"{strand.id} has no reverse-coded item"
    assert len(set(framework.item_ids)) == len(framework.item_ids)


def test_demonstrating_value_covers_the_four_kirkpatrick_levels(framework):
    texts = " ".join(i.text for i in framework.strand("demonstrating_value").items)
    for level in ("Reaction", "Learning", "Behavior", "Results"):
        assert level in texts


def test_default_outcomes_barriers_demographics_actions(framework):
    assert [g.id for g in framework.outcomes] == ["business_impact", "staff_impact", "efficiency"]
    band = framework.scales[framework.outcomes[0].items[0].scale]
    assert "10-19%" in band.labels.values()
    names = " ".join(b.name.lower() for b in framework.barriers)
    for word in ("time", "budget", "infrastructure", "strategy", "priorities", "cynicism", "trainer"):
        assert word in names
    assert framework.demographic_ids == ["sector", "size", "region"]
    for strand in framework.strand_ids:
        assert len(framework.actions_for(strand)) >= 3
    titles = " ".join(a.title.lower() for acts in framework.actions.values() for a in acts)
    for phrase in ("stakeholder", "business case", "quick wins", "champions", "pilots",
                   "communication plan", "protect"):
        assert phrase in titles


def test_packaged_framework_by_name():
    assert maturity.load_framework("towards-maturity-6").id == "towards-maturity-6"


def test_small_framework_parses(small_framework):
    assert small_framework.strand_ids == ["s0", "s1", "s2"]
    assert small_framework.id_column == "person"
    assert small_framework.scales["seven"].label_lookup == {"never": 1.0, "always": 7.0}


# Each case: a mutation of the default framework, the field path the error must name,
# and a fragment of the message.
def _set(path, value):
    def mutate(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _dup_item(d):
    d["strands"][1]["items"][0]["id"] = d["strands"][0]["items"][0]["id"]


def _dup_strand(d):
    d["strands"][2]["id"] = d["strands"][0]["id"]


def _no_items(d):
    d["strands"][3]["items"] = []


INVALID_CASES = [
    ("duplicate item id", _dup_item, "strands[1].items[0].id", "duplicate id 'bn_1'"),
    ("duplicate strand id", _dup_strand, "strands[2].id", "duplicate id 'business_need'"),
    ("undefined scale", _set(["strands", 0, "items", 2, "scale"], "agree7"), "strands[0].items[2].scale", "scale 'agree7' is not defined"),
    ("min >= max", _set(["scales", "agree5", "min"], 5), "scales.agree5.min", "must be less than max"),
    ("label outside range", lambda d: d["scales"]["agree5"]["labels"].__setitem__(6, "Totally"), "scales.agree5.labels.6", "outside the scale"),
    ("zero item weight", _set(["strands", 0, "items", 0, "weight"], 0), "strands[0].items[0].weight", "must be positive"),
    ("negative item weight", _set(["strands", 0, "items", 0, "weight"], -1.5), "strands[0].items[0].weight", "must be positive"),
    ("index weight unknown strand", _set(["index", "weights"], {"leadership": 2}), "index.weights.leadership", "unknown strand 'leadership'"),
    ("index weight non-positive", _set(["index", "weights"], {"engagement": 0}), "index.weights.engagement", "must be positive"),
    ("actions unknown strand", lambda d: d["actions"].__setitem__("culture", [{"title": "x"}]), "actions.culture", "unknown strand 'culture'"),
    ("no strands", _set(["strands"], []), "strands", "at least one strand"),
    ("strand without items", _no_items, "strands[3].items", "has no items"),
    ("missing required field", lambda d: d.pop("version"), "version", "is required"),
    ("unknown field", _set(["strands", 0, "items", 0, "revers"], True), "strands[0].items[0].revers", "unknown field"),
    ("reverse not boolean", _set(["strands", 0, "items", 0, "reverse"], "yes"), "strands[0].items[0].reverse", "expected true or false"),
    ("min_answered out of range", _set(["index", "min_answered"], 1.5), "index.min_answered", "must be in (0, 1]"),
    ("bad id", _set(["strands", 0, "items", 0, "id"], "bn 1"), "strands[0].items[0].id", "not a valid id"),
    ("reserved strand id", _set(["strands", 0, "id"], "index"), "strands[0].id", "reserved"),
    ("demographic value twice", _set(["demographics", 0, "values"], ["Finance", "finance"]), "demographics[0].values", "listed twice"),
    ("label key not a number", lambda d: d["scales"]["agree5"]["labels"].__setitem__("x", "X"), "scales.agree5.labels.x", "not a number"),
]


@pytest.mark.parametrize("name,mutate,field,fragment", INVALID_CASES, ids=[c[0] for c in INVALID_CASES])
def test_invalid_framework_names_the_field(framework_dict, name, mutate, field, fragment):
    mutate(framework_dict)
    with pytest.raises(FrameworkError) as info:
        parse_framework(framework_dict, source="fw.yaml")
    assert info.value.field == field
    message = str(info.value)
    assert message.startswith(f"fw.yaml: {field}: ")
    assert fragment in message


def test_yaml_syntax_error_gives_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: [unclosed\nversion: 1\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"not valid YAML at line \d+"):
        maturity.load_framework(bad)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(FrameworkError, match="not found"):
        maturity.load_framework(tmp_path / "nope.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(FrameworkError, match="empty"):
        maturity.load_framework(empty)


def test_framework_roundtrips_through_a_file(tmp_path):
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(small_framework_dict()), encoding="utf-8")
    fw = maturity.load_framework(path)
    assert len(fw.items) == 12 and fw.source == str(path)
    assert re.search(r"strands=3", repr(fw))


def test_by_id_indexes_a_table_by_its_id_column_once(small_framework):
    import pandas as pd

    fw = small_framework
    table = pd.DataFrame({fw.id_column: ["a", "b"], "x": [1, 2]})
    indexed = fw.by_id(table)
    assert list(indexed.index) == ["a", "b"] and indexed.index.name == fw.id_column
    assert list(indexed.columns) == ["x"]
    assert fw.by_id(indexed) is indexed  # already indexed by id: unchanged
