"""environment.yml (conda) and pyproject.toml (pip) name the same runtime packages (the conda
environment is the researcher's: it includes the 'lab' extra, JupyterLab, and the 'docs'
extra, MkDocs)."""

from __future__ import annotations

import re
import tomllib

import yaml

from .conftest import REPO

# conda-forge names that differ from the PyPI names.
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_runtime_packages_agree():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    pip_names = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["lab"]
                 + project["optional-dependencies"]["docs"]}
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda_names: set[str] = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            conda_names |= {_name(p) for p in dep.get("pip", []) if not p.startswith("-")}
        else:
            name = _name(dep)
            conda_names.add(CONDA_TO_PYPI.get(name, name))
    conda_names -= {"python", "pip"}
    assert conda_names == pip_names


def test_environment_pins_python_311_on_conda_forge():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]
