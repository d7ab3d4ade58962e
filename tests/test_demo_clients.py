"""The demo's client parameters files: a deterministic spread of clients with usable peer groups."""

from __future__ import annotations

import pandas as pd
import pytest

import maturity
from maturity.benchmarking.client_parameters import load_client_parameters
from maturity.demo.clients import pick_demo_clients, write_client_files
from maturity.framework import parse_framework

from .conftest import small_framework_dict


def test_clients_spread_over_the_index_with_big_enough_peer_groups(bench600, framework):
    clients = pick_demo_clients(bench600.responses, framework, 5, min_group_size=5)
    assert clients == pick_demo_clients(bench600.responses, framework, 5, min_group_size=5)
    assert len({c["client_id"] for c in clients}) == 5
    responses = bench600.responses.set_index(framework.id_column)
    index = maturity.score_responses(responses, framework)["index"]
    chosen = index.loc[[c["organisation"] for c in clients]]
    assert chosen.is_monotonic_increasing
    assert chosen.iloc[0] < index.quantile(0.25) and chosen.iloc[-1] > index.quantile(0.75)
    assert clients[0]["peers"] == {}
    for client in clients[1:]:
        ((dem, (value,)),) = client["peers"].items()
        assert responses.at[client["organisation"], dem] == value
        assert (responses[dem] == value).sum() >= 20  # the top quartile can be shown
    assert len({c["compare_to"] for c in clients}) == 3


def test_client_files_are_valid_contract_6_with_a_relative_db(tmp_path, bench600, framework):
    db = tmp_path / "run" / "benchmark.duckdb"
    clients = pick_demo_clients(bench600.responses, framework, 3, wave="2026")
    files = write_client_files(tmp_path / "run" / "parameters" / "clients", clients, db)
    assert [f.name for f in files] == [f"{c['client_id']}.yaml" for c in clients]
    assert "db: ../../benchmark.duckdb" in files[0].read_text(encoding="utf-8")
    for path, client in zip(files, clients):
        params = load_client_parameters(path)
        assert params.db == db.resolve()
        assert params.organisation == client["organisation"] and params.wave == "2026"
        assert {k: list(v) for k, v in params.peers.items()} == client["peers"]


def test_any_framework_and_small_waves():
    fw = parse_framework(small_framework_dict(n_strands=2, n_items=3), source="<test>")
    bench = maturity.generate_benchmark(12, framework=fw, seed=3, missing_rate=0.0)  # all 12 scored
    clients = pick_demo_clients(bench.responses, fw, 20)
    assert len(clients) == 12  # never more clients than organisations
    assert all(c["peers"] == {} for c in clients)  # no demographics, no peer filter
    assert pick_demo_clients(bench.responses, fw, 0) == []
    with pytest.raises(ValueError):
        pick_demo_clients(pd.DataFrame(), fw, -1)
