"""Plain values for JSON documents: the kit's one conversion of NumPy and pandas values.

Every JSON the kit writes (results, reports, stored models, command output) goes through
:func:`json_safe`; figures that may be missing or withheld become numbers or None with
:func:`float_or_none` and :func:`count_or_none`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["json_safe", "float_or_none", "count_or_none"]


def json_safe(value: Any) -> Any:
    """``value`` ready for strict JSON, recursively: NaN, infinities, ``pd.NA`` and ``pd.NaT``
    become None, NumPy scalars Python ones, mapping keys text and tuples lists.

    Examples
    --------
    >>> json_safe({"n": np.int64(3), "mean": float("nan"), 1: (np.float64(0.5),)})
    {'n': 3, 'mean': None, '1': [0.5]}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def float_or_none(value: Any) -> float | None:
    """A figure as a JSON number: a float, or None when it is missing (None, NaN, ``pd.NA``)
    or not finite."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def count_or_none(value: Any) -> int | None:
    """A count as a JSON number: an int, or None when it is missing."""
    number = float_or_none(value)
    return None if number is None else int(number)
