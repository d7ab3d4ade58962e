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


def _module_map() -> tuple[set[str], set[str]]:
    """The module map of the developer guide (docs/developer.md): (python files, other
    folders), as paths under src/maturity. A folder with modules under it stands for its
    ``__init__.py``."""
    text = (REPO / "docs" / "developer.md").read_text(encoding="utf-8")
    section = text[text.index("## Module map"):]
    block = section[section.index("```text\n") + len("```text\n"):]
    lines = block[: block.index("```")].splitlines()
    assert lines[0].split()[0] == "src/maturity/"
    entries: list[tuple[int, str]] = []
    for line in lines[1:]:
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 2 == 0 and indent >= 2, line
        name = line.split()[0]
        assert len(line.split(maxsplit=1)) == 2, f"{name} has no role in the module map"
        entries.append((indent // 2, name))
    files, folders, stack = {"__init__.py"}, set(), []
    for depth, name in entries:
        stack[depth - 1:] = [name.rstrip("/")]
        path = "/".join(stack)
        if name.endswith("/"):
            folders.add(path)
        else:
            files.add(path)
    packages = {f for f in folders if any(p.startswith(f + "/") for p in files)}
    return files | {f"{p}/__init__.py" for p in packages}, folders - packages


def test_module_map_matches_the_package():
    mapped, other_folders = _module_map()
    package = REPO / "src" / "maturity"
    actual = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    assert mapped - actual == set(), "in the module map (docs/developer.md) but not in src/maturity"
    assert actual - mapped == set(), "in src/maturity but not in the module map (docs/developer.md)"
    assert all((package / folder).is_dir() for folder in other_folders)


def test_names_the_readme_and_docs_give_can_be_imported():
    """Every dotted ``maturity...`` name and every import line in README.md and docs/ resolves."""
    import importlib

    texts = [(REPO / "README.md").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").rglob("*.md"))]
    names = {m for text in texts for m in re.findall(r"\bmaturity(?:\.[A-Za-z_]\w*)+", text)}
    assert "maturity.data.store.BenchmarkStore" in names
    for name in sorted(names):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):  # the longest importable module, then attributes
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
                break
            except ModuleNotFoundError:
                continue
        for attr in parts[cut:]:
            assert hasattr(obj, attr), f"README/docs name {name} does not resolve"
            obj = getattr(obj, attr)
    for text in texts:
        for line in re.findall(r"(?m)^(?:from maturity[\w.]* import [\w, ]+|import maturity[\w.]*)$", text):
            exec(line, {})


def test_the_repository_stands_alone():
    """Code, notebooks and docs never send a reader to a design document outside the repository."""
    pattern = re.compile(r"Contract \d|DESIGN\.md|\.\./shared")
    offenders = []
    for folder in ("src", "tests", "notebooks", "docs", "benchmarks"):
        for path in (REPO / folder).rglob("*"):
            if path.suffix in {".py", ".md", ".ipynb", ".yaml", ".toml"} and path.name != "test_repository.py":
                text = path.read_text(encoding="utf-8")
                offenders += [f"{path.relative_to(REPO)}: {m.group(0)}" for m in pattern.finditer(text)]
    offenders += [f"README.md: {m.group(0)}" for m in pattern.finditer((REPO / "README.md").read_text(encoding="utf-8"))]
    assert offenders == []
