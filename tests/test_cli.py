"""The command line: exit codes, messages without tracebacks, --debug."""

from __future__ import annotations

import subprocess
import sys

import pytest

from maturity.cli import main


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "maturity.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "maturity" in capsys.readouterr().out


def test_usage_error_exits_2():
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_user_error_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "fw.yaml"
    bad.write_text("id: x\nname: X\nversion: '1'\nscales: {s: {min: 5, max: 1}}\nstrands: []\n", encoding="utf-8")
    result = run_cli("demo", "--out", str(tmp_path / "o"), "--params", str(_params(tmp_path, bad)))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {bad}: scales.s.min: min (5) must be less than max (1)"
    ]


def test_debug_shows_traceback(tmp_path):
    bad = tmp_path / "fw.yaml"
    bad.write_text("id: [\n", encoding="utf-8")
    result = run_cli("--debug", "demo", "--out", str(tmp_path / "o"), "--params", str(_params(tmp_path, bad)))
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "FrameworkError" in result.stderr


def test_bad_option_value_is_usage_error(tmp_path):
    result = run_cli("demo", "--orgs", "3", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "--orgs must be at least 10" in result.stderr


def _params(tmp_path, framework):
    p = tmp_path / "benchmark.yaml"
    p.write_text(f"framework: {framework}\n", encoding="utf-8")
    return p
