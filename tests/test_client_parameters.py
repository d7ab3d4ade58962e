"""Client parameters files."""

from __future__ import annotations

import pytest

from maturity.benchmarking.client_parameters import check_client_id, load_client_parameters, parse_client_parameters
from maturity.errors import ParametersError


def _write(tmp_path, text, name="acme.yaml"):
    p = tmp_path / "parameters" / "clients" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def test_relative_paths_resolve_against_the_file(tmp_path):
    p = _write(tmp_path, "client_id: acme-2026\norganisation: ORG-0042\ndb: ../../benchmark.duckdb\n"
                         "wave: 2026\npeers: {sector: [Finance], size: 1000-4999}\ncompare_to: top_deck\n")
    params = load_client_parameters(p)
    assert params.db == (tmp_path / "benchmark.duckdb").resolve()
    assert params.wave == "2026" and params.compare_to == "top_deck"
    assert params.peers == {"sector": ("Finance",), "size": ("1000-4999",)}
    assert params.to_notebook_parameters()["peers"] == {"sector": ["Finance"], "size": ["1000-4999"]}


@pytest.mark.parametrize("bad", ["../evil", "a/b", ".hidden", "", "x" * 101, "sp ace", "..", 42])
def test_unsafe_client_ids_are_rejected(bad):
    with pytest.raises(ParametersError, match="not a safe name"):
        check_client_id(bad)


@pytest.mark.parametrize("data,fragment", [
    ({"organisation": "ORG-1", "db": "x.duckdb"}, "client_id: is required"),
    ({"client_id": "a", "db": "x.duckdb"}, "exactly one of"),
    ({"client_id": "a", "organisation": "O", "responses": "r.csv", "db": "x"}, "exactly one of"),
    ({"client_id": "a", "organisation": "O"}, "db: is required"),
    ({"client_id": "a", "organisation": "O", "db": "x", "compare_to": "best"}, "compare_to"),
    ({"client_id": "a", "organisation": "O", "db": "x", "min_group_size": 2}, "privacy floor"),
    ({"client_id": "a", "organisation": "O", "db": "x", "peers": {"sector": []}}, "peers.sector"),
    ({"client_id": "a", "organisation": "O", "db": "x", "colour": "red"}, "colour: unknown field"),
])
def test_invalid_parameters(data, fragment):
    with pytest.raises(ParametersError, match=fragment.replace("(", r"\(")):
        parse_client_parameters(data, source="c.yaml")


def test_yaml_errors_name_the_file(tmp_path):
    p = _write(tmp_path, "client_id: [\n")
    with pytest.raises(ParametersError, match=r"acme.yaml: not valid YAML"):
        load_client_parameters(p)
