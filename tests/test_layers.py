"""The package's layers: import-linter keeps its contracts (pyproject.toml), a cyclic upward
import breaks them, and every module imports first in a clean interpreter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

SRC = REPO / "src"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the package found first on ``pythonpath``, with ``cwd``'s pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(pythonpath), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([str(LINT_IMPORTS), "--config", "pyproject.toml", "--no-cache", "--no-logo"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_are_kept():
    result = _lint_imports(REPO, SRC)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and "Layers: imports only point down" in result.stdout


def test_an_upward_import_breaks_the_layers_and_makes_a_cycle(tmp_path):
    copy = tmp_path / "src" / "maturity"
    shutil.copytree(SRC / "maturity", copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    store = copy / "data" / "store.py"
    store.write_text(store.read_text(encoding="utf-8") + "\nimport maturity.cli  # reaches up\n", encoding="utf-8")
    result = _lint_imports(tmp_path, tmp_path / "src")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "Layers: imports only point down, from the command line to the core BROKEN" in out
    assert "No import cycles in any package BROKEN" in out
    assert "maturity.data.store -> maturity.cli" in out


def test_every_module_imports_first_in_a_clean_interpreter():
    """Each module imported before any other of the package (a cycle of imports at module level
    fails for the module that starts it)."""
    modules = sorted(
        ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        for p in (SRC / "maturity").rglob("*.py") if p.name != "__main__.py"
    )
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m == 'maturity' or m.startswith('maturity.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", script, *modules], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", result.stdout
    assert len(modules) > 40
