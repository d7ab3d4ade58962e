"""The documentation site: the command reference follows the parser, the site builds in strict
mode, and the README stays a landing page."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

from maturity.cli import build_parser
from maturity.cli.reference import command_reference, option_strings

from .conftest import REPO


def _reference_sections(markdown: str) -> dict[str, str]:
    """The generated page cut into its command sections: ``{"privacy plan": "...", ...}``."""
    parts = re.split(r"(?m)^## maturity (.+?) \{#[\w-]+\}$", markdown)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_the_command_reference_lists_every_command_and_option():
    parser = build_parser()
    expected = option_strings(parser)
    sections = _reference_sections(command_reference(parser))
    # every subcommand of the parser, nothing else
    assert set(sections) == set(expected)
    assert {"import", "privacy plan", "privacy audit", "dashboard", "quickcheck"} <= set(sections)
    for name, options in expected.items():
        rows = re.findall(r"(?m)^\| `([^`]+)`", sections[name])
        listed = {row.split()[0] for row in rows}
        assert listed == options, name
        usage = re.search(r"```text\n(.+)\n```", sections[name]).group(1)
        assert usage.startswith(f"maturity {name} ")


def test_the_reference_carries_the_parsers_help_texts():
    sections = _reference_sections(command_reference(build_parser()))
    assert "| `--wave LABEL` |" in sections["import"]
    assert "first free from 8866" in sections["dashboard"]
    assert "(one of: " not in sections["import"]
    assert "`--format {text,json}`" in sections["waves"]


def test_every_docs_page_is_in_the_nav():
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8").replace("!!python", "#"))

    def pages(nav):
        for entry in nav:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            yield from (pages(value) if isinstance(value, list) else [value])

    listed = set(pages(config["nav"]))
    on_disk = {p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md")}
    assert on_disk | {"commands.md"} == listed


def test_the_site_builds_in_strict_mode(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr
    commands = (tmp_path / "commands.html").read_text(encoding="utf-8")
    assert "maturity privacy plan" in commands and "--min-group-size" in commands
    assert (tmp_path / "walkthrough.html").exists()


def test_readme_is_a_landing_page():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250
    text = "\n".join(lines)
    # how to run the command after set-up, and the wave end to end, one command per step
    assert ".venv/bin/maturity" in text and "source .venv/bin/activate" in text
    for step in ("maturity questionnaire", "maturity import", "maturity validate", "maturity privacy plan",
                 "maturity batch", "maturity dashboard", "maturity quickcheck", "maturity verify"):
        assert step in text, step
    for target in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (REPO / target).exists(), target
