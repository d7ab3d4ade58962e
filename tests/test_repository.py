"""Project rules that keep the repository honest."""

from __future__ import annotations

import json
import re

import pytest

from .conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds the report templates"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_are_clean_and_thin(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "commit without outputs"
    for cell in code:
        assert not re.search(r"^\s*(def|class)\s", "".join(cell["source"]), re.M), "logic belongs in src/maturity"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"


def test_readme_starts_with_the_two_commands():
    head = "\n".join((REPO / "README.md").read_text(encoding="utf-8").splitlines()[:40])
    assert "make demo" in head and "make test" in head
    assert head.index("make demo") < head.index("make test")


def test_ci_runs_make_test():
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_outputs_folder_is_ignored_but_kept():
    assert (REPO / "outputs" / ".gitkeep").exists()
    assert "outputs/*" in (REPO / ".gitignore").read_text(encoding="utf-8")
