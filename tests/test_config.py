"""Run parameters (parameters/benchmark.yaml)."""

from __future__ import annotations

import pytest

from maturity.config import DEFAULT_MIN_GROUP_SIZE, load_benchmark_parameters
from maturity.errors import ParametersError


def test_a_file_saved_with_a_byte_order_mark_loads_and_paths_resolve(tmp_path):
    p = tmp_path / "parameters" / "benchmark.yaml"
    p.parent.mkdir()
    p.write_bytes("\ufeffdb: ../data/b.duckdb\nseed: 7\n".encode("utf-8"))
    params = load_benchmark_parameters(p)
    assert params["db"] == str((tmp_path / "data" / "b.duckdb").resolve())
    assert params["seed"] == 7 and params["min_group_size"] == DEFAULT_MIN_GROUP_SIZE


@pytest.mark.parametrize("text,fragment", [
    ("seed: [\n", r"not valid YAML at line \d"),
    ("colour: red\n", "unknown setting"),
    ("min_group_size: 2\n", "privacy floor"),
])
def test_bad_files_name_the_problem(tmp_path, text, fragment):
    p = tmp_path / "benchmark.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ParametersError, match=fragment):
        load_benchmark_parameters(p)
