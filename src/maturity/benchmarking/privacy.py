"""Privacy rules for benchmark statistics.

A benchmark lives on trust, so every figure about other organisations obeys three rules:

1. **Minimum group size.** A statistic of a group with fewer than ``min_group_size``
   organisations (default 5, configurable, never below
   :data:`maturity.config.MIN_GROUP_FLOOR`) is withheld and flagged with the reason.
   Counts stay visible: "4 organisations, figures withheld" discloses no answer.
2. **Complementary suppression.** A withheld figure must not be recoverable from the
   figures beside it. For a table of disjoint groups whose total is shown, the sum over
   the withheld groups can be recovered by subtraction (total n x total mean minus the
   visible n x mean), so more groups are withheld, smallest first, until at least two are
   withheld *and* the withheld groups together hold at least ``min_group_size``
   organisations. For nested groups (peers, their top quartile, their top deck) the
   difference of two shown means is the mean of the difference group, so the inner figure
   is withheld unless the difference group is empty or reaches the minimum size.
3. **Only aggregates leave.** Client outputs are computed over the *other* organisations
   (the client is never part of its own peer aggregates, so it cannot subtract itself),
   and carry no other organisation's id, name or answers.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..config import DEFAULT_MIN_GROUP_SIZE, MIN_GROUP_FLOOR, check_min_group_size

__all__ = [
    "DEFAULT_MIN_GROUP_SIZE",
    "MIN_GROUP_FLOOR",
    "small_group_reason",
    "nested_group_reason",
    "suppress_groups",
]



def small_group_reason(n: int, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, *, group: str = "the group") -> str | None:
    """Reason to withhold a statistic of a group of ``n`` organisations, or None to show it.

    Parameters
    ----------
    n : int
        Organisations behind the statistic.
    min_group_size : int
        Privacy threshold (checked against the floor).
    group : str
        How the sentence names the group, e.g. ``"the top deck"``.

    Examples
    --------
    >>> small_group_reason(4, 5, group="the peer group")
    'the peer group has 4 organisations, fewer than the 5 needed to show its figures'
    >>> small_group_reason(5, 5) is None
    True
    """
    check_min_group_size(min_group_size)
    n = int(n)
    if n >= min_group_size:
        return None
    noun = "organisation" if n == 1 else "organisations"
    return f"{group} has {n} {noun}, fewer than the {min_group_size} needed to show its figures"


def nested_group_reason(
    n_outer: int,
    n_inner: int,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    *,
    outer: str = "the outer group",
) -> str | None:
    """Reason to withhold an inner group's statistic shown beside its outer group's, or None.

    With both means shown, ``(n_outer * mean_outer - n_inner * mean_inner) / (n_outer -
    n_inner)`` is the mean of the organisations in the outer group but not the inner one;
    that difference group must be empty or reach the minimum size.
    """
    check_min_group_size(min_group_size)
    rest = int(n_outer) - int(n_inner)
    if rest == 0 or rest >= min_group_size:
        return None
    noun = "organisation" if rest == 1 else "organisations"
    return (
        f"shown beside the figure for {outer}, it would reveal the figure of the other {rest} "
        f"{noun}, fewer than the {min_group_size} needed"
    )


def suppress_groups(
    table: pd.DataFrame,
    *,
    n_column: str = "n",
    value_columns: Sequence[str] | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    total_shown: bool = True,
    group_label: str = "the group",
) -> pd.DataFrame:
    """Withhold statistics of small groups in a table of disjoint groups.

    Parameters
    ----------
    table : DataFrame
        One row per group (disjoint groups, e.g. maturity quartiles or segments), a count
        column and statistic columns.
    n_column : str
        Column holding the number of organisations per row.
    value_columns : sequence of str, optional
        Statistic columns to withhold (default: every numeric column except ``n_column``).
    min_group_size : int
        Privacy threshold.
    total_shown : bool
        Whether a total over the groups is (or may be) shown beside the table: then
        complementary suppression applies (see the module docstring). Keep True unless no
        total can be shown anywhere in the same output.
    group_label : str
        Word for a row in the reasons, e.g. ``"the segment"``.

    Returns
    -------
    DataFrame
        A copy with withheld statistic cells set to NaN and two added columns:
        ``suppressed`` (bool) and ``suppressed_reason`` (text, empty when shown).

    Examples
    --------
    >>> t = pd.DataFrame({"n": [40, 30, 4, 12], "share": [0.5, 0.4, 0.25, 0.6]}, index=list("abcd"))
    >>> suppress_groups(t)["suppressed"].tolist()   # c is small; d, the next smallest, too
    [False, False, True, True]
    """
    min_group_size = check_min_group_size(min_group_size)
    out = table.copy()
    if value_columns is None:
        value_columns = [c for c in out.columns if c != n_column and pd.api.types.is_numeric_dtype(out[c])]
    value_columns = list(value_columns)
    n = pd.to_numeric(out[n_column], errors="coerce").fillna(0).astype(int).to_numpy()
    reasons = [""] * len(out)
    hidden = np.zeros(len(out), dtype=bool)
    for i, size in enumerate(n):
        if 0 < size < min_group_size:
            hidden[i] = True
            reasons[i] = small_group_reason(size, min_group_size, group=group_label) or ""
    if total_shown and hidden.any():
        # Subtraction from the total recovers the withheld groups' combined figure: keep
        # withholding the smallest remaining groups until that combination is itself safe.
        order = sorted((size, i) for i, size in enumerate(n) if size > 0 and not hidden[i])
        for size, i in order:
            if hidden.sum() >= 2 and n[hidden].sum() >= min_group_size:
                break
            hidden[i] = True
            reasons[i] = (
                "withheld as well, so that the figures of a smaller group cannot be worked out "
                "by subtraction from the total"
            )
    for col in value_columns:
        out[col] = out[col].astype(float).mask(hidden)
    out["suppressed"] = hidden
    out["suppressed_reason"] = reasons
    return out

