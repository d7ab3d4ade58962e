"""Scoring: answers -> item scores (0-100) -> strand scores -> maturity index.

item score   = (x - min) / (max - min) * 100, reversed as 100 - that
strand score = weighted mean of the answered item scores, when at least ``min_answered``
               (a fraction of the strand's item count) are answered; else missing
index        = weighted mean of the strand scores; missing when any strand is missing
               unless the framework sets ``index.require_all_strands: false``

Everything is array arithmetic over the whole respondent x item matrix: per-group sums are
matrix products with a (items x groups) weight matrix, so there is no Python loop over
respondents.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import DataError
from .framework import (
    INDEX_COLUMN,
    Framework,
    Item,
    Scale,
    load_framework,
    normalise_label,
)

__all__ = [
    "answer_values",
    "parse_answers",
    "item_scores",
    "group_scores",
    "score_responses",
    "score_outcomes",
    "respondent_ids",
]

#: How many offending cells a scoring error quotes.
_MAX_QUOTED = 5


def respondent_ids(responses: pd.DataFrame, framework: Framework) -> pd.Index:
    """Return the respondent ids of a response table, checked for blanks and duplicates.

    The id is taken from the ``framework.id_column`` column, or from the index when the
    index already carries that name.
    """
    col = framework.id_column
    if col in responses.columns:
        ids = responses[col]
    elif responses.index.name == col:
        ids = responses.index.to_series()
    else:
        raise DataError(f"the responses have no id column '{col}'")
    text = ids.astype("string").str.strip()
    blank = text.isna() | (text == "")
    if blank.any():
        pos = int(np.flatnonzero(blank.to_numpy())[0])
        raise DataError(f"{int(blank.sum())} respondent(s) have a blank id (first at position {pos + 1})")
    dup = text.duplicated(keep=False)
    if dup.any():
        shown = ", ".join(text[dup].unique()[:_MAX_QUOTED])
        raise DataError(f"duplicate respondent ids: {shown}")
    return pd.Index(text.to_numpy(dtype=object), name=col)


def parse_answers(column: pd.Series, scale: Scale, *, decimal: str = ".") -> tuple[np.ndarray, np.ndarray]:
    """Convert one answer column to floats on the printed scale, and flag cells that are not answers.

    Numbers pass through. Text is trimmed; blank text is missing; otherwise it is matched
    against the scale labels (case- and whitespace-insensitive) and else parsed as a number.
    Only the distinct values of a column are examined, so long columns stay cheap.

    Parameters
    ----------
    column : Series
        Numbers, booleans or text.
    scale : Scale
        The item's scale (its labels are used; range checks are the caller's).
    decimal : {".", ","}
        Decimal mark of numbers written as text (a file exported with decimal commas).

    Returns
    -------
    values : ndarray of float
        NaN where missing or not an answer.
    invalid : ndarray of bool
        True where a non-blank cell is neither a label nor a number (``"nan"`` included).
    """
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan, copy=True)  # never a view of the caller's data
        return values, np.zeros(len(values), dtype=bool)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    unique_values = np.full(len(uniques) + 1, np.nan)  # last slot: the NA sentinel (-1)
    unique_invalid = np.zeros(len(uniques) + 1, dtype=bool)
    lookup = scale.label_lookup
    for pos, raw in enumerate(uniques):
        value, invalid = _parse_answer(raw, lookup, decimal)
        unique_values[pos], unique_invalid[pos] = value, invalid
    return unique_values[codes], unique_invalid[codes]


def _parse_answer(raw: object, lookup: dict[str, float], decimal: str) -> tuple[float, bool]:
    """One distinct cell value -> (value, invalid)."""
    if isinstance(raw, (bool, np.bool_)):
        return float(raw), False
    if isinstance(raw, (int, float, np.integer, np.floating)):
        return float(raw), False
    text = str(raw).strip()
    if not text:
        return np.nan, False
    label = lookup.get(normalise_label(text)) if lookup else None
    if label is not None:
        return float(label), False
    if decimal != "." and decimal in text:
        text = text.replace(decimal, ".")
    try:
        value = float(text)
    except ValueError:
        return np.nan, True
    if "_" in text:  # float() accepts 1_000; a survey answer does not
        return np.nan, True
    return value, bool(np.isnan(value))


def answer_values(
    responses: pd.DataFrame,
    framework: Framework,
    items: Sequence[Item] | None = None,
    *,
    reverse: bool = False,
    check: bool = True,
) -> pd.DataFrame:
    """Answers as numbers on their printed scale (labels mapped), one column per item.

    Parameters
    ----------
    responses : DataFrame
        Wide response table.
    framework : Framework
    items : sequence of Item, optional
        Items to extract; default all strand items.
    reverse : bool
        Reverse reverse-coded items (``min + max - x``), as psychometric analyses need.
    check : bool
        Raise :class:`DataError` on values that are not valid answers (unparseable, out of
        range, non-integer on an integer scale, infinite).

    Returns
    -------
    DataFrame
        Float values (NaN = missing), indexed by respondent id.
    """
    items = list(framework.items if items is None else items)
    ids = respondent_ids(responses, framework)
    matrix = _answer_matrix(responses, framework, items, check=check)
    if reverse:
        lo, hi, rev = _bounds(framework, items)
        # A new array: the matrix may be a (read-only) view of the caller's table.
        matrix = np.where(rev, lo + hi - matrix, matrix)
    return pd.DataFrame(matrix, index=ids, columns=[i.id for i in items])


def _bounds(framework: Framework, items: Sequence[Item]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo = np.array([framework.scales[i.scale].min for i in items], dtype=float)
    hi = np.array([framework.scales[i.scale].max for i in items], dtype=float)
    rev = np.array([i.reverse for i in items], dtype=bool)
    return lo, hi, rev


def _answer_matrix(
    responses: pd.DataFrame, framework: Framework, items: Sequence[Item], *, check: bool
) -> np.ndarray:
    missing = [i.id for i in items if i.id not in responses.columns]
    if missing:
        shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
        raise DataError(f"the responses lack {len(missing)} item column(s): {shown}")
    cols = [i.id for i in items]
    block = responses[cols]
    if all(pd.api.types.is_float_dtype(t) or pd.api.types.is_integer_dtype(t) for t in block.dtypes):
        # Fast path: an all-numeric block converts in one go.
        matrix = block.to_numpy(dtype=float, na_value=np.nan)
        invalid = None
    else:
        matrix = np.empty((len(block), len(items)), dtype=float)
        invalid = np.zeros(matrix.shape, dtype=bool)
        for j, item in enumerate(items):
            matrix[:, j], invalid[:, j] = parse_answers(block.iloc[:, j], framework.scales[item.scale])
    if check:
        _check_answers(matrix, invalid, responses, framework, items)
    return matrix


def scale_violations(
    values: np.ndarray, lo: float, hi: float, integer: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scale rules, cell by cell: (infinite, out of range, not a whole number on an
    integer scale). Missing values (NaN) break none of them; each cell breaks at most one.
    """
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(values)
        finite = np.isfinite(values)
        out_of_range = finite & ((values < lo) | (values > hi))
        not_integer = finite & ~out_of_range & integer & (values != np.rint(values))
    return infinite, out_of_range, not_integer


def _check_answers(
    matrix: np.ndarray,
    invalid: np.ndarray | None,
    responses: pd.DataFrame,
    framework: Framework,
    items: Sequence[Item],
) -> None:
    lo, hi, _ = _bounds(framework, items)
    integer = np.array([framework.scales[i.scale].integer for i in items], dtype=bool)
    # Screen whole columns with cheap reductions (NaN-ignoring); only columns that fail
    # are examined cell by cell. Infinite values fail the range test.
    with np.errstate(invalid="ignore"):
        suspect = (np.fmin.reduce(matrix, axis=0) < lo) | (np.fmax.reduce(matrix, axis=0) > hi)
        if integer.any():
            off = np.rint(matrix)
            off -= matrix  # NaN stays NaN; a fractional answer leaves a non-zero remainder
            suspect |= integer & ((np.fmax.reduce(off, axis=0) > 0) | (np.fmin.reduce(off, axis=0) < 0))
    if invalid is not None:
        suspect |= invalid.any(axis=0)
    if not suspect.any():
        return
    bad = np.zeros(matrix.shape, dtype=bool)
    for j in np.flatnonzero(suspect):
        infinite, out_of_range, not_integer = scale_violations(matrix[:, j], lo[j], hi[j], bool(integer[j]))
        bad[:, j] = infinite | out_of_range | not_integer
        if invalid is not None:
            bad[:, j] |= invalid[:, j]
    rows, cols = np.nonzero(bad)
    ids = respondent_ids(responses, framework)
    quoted = []
    for r, c in list(zip(rows, cols))[:_MAX_QUOTED]:
        item = items[c]
        raw = responses[item.id].iloc[r]
        quoted.append(
            f"respondent {ids[r]}, column {item.id}: '{raw}' "
            f"(expected {framework.scales[item.scale].describe()})"
        )
    raise DataError(
        f"{len(rows)} answer(s) are not valid for their scale; validate the file first "
        f"(maturity validate). First: " + "; ".join(quoted)
    )


def item_scores(
    responses: pd.DataFrame, framework: Framework, items: Sequence[Item] | None = None
) -> pd.DataFrame:
    """Item scores on 0-100 (reverse-coded items reversed), one column per item."""
    items = list(framework.items if items is None else items)
    values = answer_values(responses, framework, items)
    return pd.DataFrame(
        _to_item_scores(values.to_numpy(), framework, items), index=values.index, columns=values.columns
    )


def _to_item_scores(matrix: np.ndarray, framework: Framework, items: Sequence[Item]) -> np.ndarray:
    lo, hi, rev = _bounds(framework, items)
    # One fused affine map: forward items (x-lo)*k, reversed items 100-(x-lo)*k.
    k = 100.0 / (hi - lo)
    slope = np.where(rev, -k, k)
    offset = np.where(rev, 100.0 + lo * k, -lo * k)
    out = matrix * slope
    out += offset
    return out


def group_scores(
    scores: np.ndarray,
    groups: Sequence[Sequence[int]],
    weights: np.ndarray,
    min_answered: float,
) -> np.ndarray:
    """Weighted mean of answered columns per group, missing below ``min_answered``.

    Parameters
    ----------
    scores : ndarray (n, k)
        Item scores, NaN where unanswered.
    groups : sequence of index lists
        Column positions of each group.
    weights : ndarray (k,)
        Item weights.
    min_answered : float
        Minimum fraction of a group's items that must be answered.

    Returns
    -------
    ndarray (n, len(groups))
    """
    k = scores.shape[1]
    weight_matrix = np.zeros((k, len(groups)))
    member = np.zeros((k, len(groups)))
    for g, cols in enumerate(groups):
        weight_matrix[cols, g] = weights[cols]
        member[cols, g] = 1.0
    answered = ~np.isnan(scores)
    filled = np.where(answered, scores, 0.0)
    # Matrix products give every respondent's per-group sums without a Python loop.
    numerator = filled @ weight_matrix
    answered_f = answered.astype(float)
    denominator = answered_f @ weight_matrix
    counts = answered_f @ member
    sizes = member.sum(axis=0)
    needed = np.ceil(min_answered * sizes - 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = numerator / denominator
    out[(counts < needed) | (denominator <= 0)] = np.nan
    return out


def _combine_index(strands: np.ndarray, weights: np.ndarray, require_all: bool) -> np.ndarray:
    present = ~np.isnan(strands)
    filled = np.where(present, strands, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = (filled @ weights) / (present.astype(float) @ weights)
    if require_all:
        index[~present.all(axis=1)] = np.nan
    return index


def _score_groups(
    responses: pd.DataFrame, framework: Framework, groups: Iterable
) -> tuple[pd.Index, np.ndarray, list[str]]:
    groups = list(groups)
    items = [item for g in groups for item in g.items]
    ids = respondent_ids(responses, framework)
    matrix = _answer_matrix(responses, framework, items, check=True)
    scores = _to_item_scores(matrix, framework, items)
    positions, start = [], 0
    for g in groups:
        positions.append(list(range(start, start + len(g.items))))
        start += len(g.items)
    weights = np.array([i.weight for i in items], dtype=float)
    result = group_scores(scores, positions, weights, framework.index.min_answered)
    return ids, result, [g.id for g in groups]


def score_responses(responses: pd.DataFrame, framework: Framework | None = None) -> pd.DataFrame:
    """Score every respondent on each strand and the maturity index.

    Parameters
    ----------
    responses : DataFrame
        Wide response table: an id column (``framework.id_column``, or an index
        of that name) and one column per item holding numbers or scale labels.
    framework : Framework, optional
        Default: the packaged six-strand framework.

    Returns
    -------
    DataFrame
        Indexed by respondent id; one float column per strand id (0-100) and ``index``.

    Raises
    ------
    DataError
        Missing item columns, blank or duplicate ids, or answers that are not valid.

    Examples
    --------
    >>> import maturity
    >>> fw = maturity.load_framework()
    >>> data = maturity.generate_benchmark(n_orgs=20, seed=1).responses
    >>> maturity.score_responses(data, fw).columns[-1]
    'index'
    """
    framework = framework or load_framework()
    ids, strands, names = _score_groups(responses, framework, framework.strands)
    weights = np.array([framework.strand_weight(s) for s in names], dtype=float)
    index = _combine_index(strands, weights, framework.index.require_all_strands)
    out = pd.DataFrame(strands, index=ids, columns=names)
    out[INDEX_COLUMN] = index
    return out


def score_outcomes(responses: pd.DataFrame, framework: Framework | None = None) -> pd.DataFrame:
    """Score each outcome group (0-100, same rules as strands); empty if there are none."""
    framework = framework or load_framework()
    if not framework.outcomes:
        return pd.DataFrame(index=respondent_ids(responses, framework))
    ids, scores, names = _score_groups(responses, framework, framework.outcomes)
    return pd.DataFrame(scores, index=ids, columns=names)
