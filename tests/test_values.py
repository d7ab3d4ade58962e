"""JSON-safe values: NumPy and pandas scalars, missing and non-finite figures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from maturity.values import count_or_none, float_or_none, json_safe


def test_json_safe_makes_strict_json():
    data = {
        "n": np.int64(3), "share": np.float32(0.25), "flag": np.bool_(True), "label": np.str_("a"),
        "missing": [float("nan"), np.inf, -np.inf, pd.NA, pd.NaT, None],
        7: (np.float64(1.5), {"inner": np.nan}),
    }
    safe = json_safe(data)
    assert safe == {"n": 3, "share": 0.25, "flag": True, "label": "a",
                    "missing": [None] * 6, "7": [1.5, {"inner": None}]}
    assert type(safe["n"]) is int and type(safe["share"]) is float and type(safe["flag"]) is bool
    json.dumps(safe, allow_nan=False)  # raises on anything that is not strict JSON


def test_float_and_count_or_none():
    assert [float_or_none(v) for v in (None, pd.NA, np.nan, np.inf, "2.5", np.int64(4))] == [
        None, None, None, None, 2.5, 4.0]
    assert [count_or_none(v) for v in (None, np.nan, 12.0, np.int64(3))] == [None, None, 12, 3]
    assert type(count_or_none(np.float64(12.0))) is int
