"""Atomic writes and spreadsheet-safe CSV output."""

from __future__ import annotations

import pandas as pd
import pytest

from maturity.files import atomic_write, neutralise_formula, write_csv, write_json


def test_atomic_write_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("new and partial")
            raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_creates_readable_file(tmp_path):
    target = tmp_path / "sub" / "x.json"
    write_json(target, {"a": float("nan"), "b": [1, 2]})
    assert target.read_text(encoding="utf-8") == '{\n  "a": null,\n  "b": [\n    1,\n    2\n  ]\n}\n'
    assert target.stat().st_mode & 0o044  # not private like a raw mkstemp file


@pytest.mark.parametrize("value,expected", [
    ("=SUM(A1)", "'=SUM(A1)"), ("+1+1", "'+1+1"), ("-cmd", "'-cmd"), ("@A1", "'@A1"),
    ("-3.5", "-3.5"), ("Acme", "Acme"), (7, 7),
    # float() reads these as numbers; a spreadsheet may not: quoted.
    ("-inf", "'-inf"), ("+nan", "'+nan"), ("-1_0", "'-1_0"), ("-Infinity", "'-Infinity"), ("-2+3", "'-2+3"),
    ("\t=1", "'\t=1"), ("\r1", "'\r1"), ("-3.5\n", "'-3.5\n"), (" -1", " -1"),
    # Plain decimal numbers stay numbers.
    ("+2", "+2"), ("-.5", "-.5"), ("-1e-3", "-1e-3"), ("-10.", "-10."), ("-", "'-"), ("-e3", "'-e3"), ("-\u0661", "'-\u0661"),
])
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_write_csv_neutralises_text_cells(tmp_path):
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "Fine"], "score": [-1.5, 2.0]})
    text = write_csv(tmp_path / "x.csv", frame).read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "-1.5" in text
