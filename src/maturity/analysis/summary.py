"""Descriptive summaries of a scored population, as tables and plain sentences."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from ..framework import INDEX_COLUMN, Framework


def score_summary(scores: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Distribution of each strand and the index: n, mean, SD, quartiles.

    Returns
    -------
    DataFrame
        One row per strand (by name) plus "Maturity index"; columns ``n``, ``mean``,
        ``sd``, ``q1``, ``median``, ``q3``.
    """
    names = framework.strand_names() | {INDEX_COLUMN: "Maturity index"}
    cols = [c for c in [*framework.strand_ids, INDEX_COLUMN] if c in scores.columns]
    table = pd.DataFrame(
        {
            "n": scores[cols].count(),
            "mean": scores[cols].mean(),
            "sd": scores[cols].std(),
            "q1": scores[cols].quantile(0.25),
            "median": scores[cols].median(),
            "q3": scores[cols].quantile(0.75),
        }
    )
    table.index = [names[c] for c in cols]
    table.index.name = "score"
    table["n"] = table["n"].astype(int)
    return table


def population_sentences(scores: pd.DataFrame, framework: Framework) -> list[str]:
    """Plain sentences describing the population, built only from computed numbers."""
    index = scores[INDEX_COLUMN].dropna()
    strands = [s for s in framework.strand_ids if s in scores.columns]
    if index.empty or not strands:
        return ["No organisation has a complete set of strand scores, so no index can be summarised."]
    means = scores[strands].mean().sort_values()
    names = framework.strand_names()
    out = [
        f"{len(index):,} organisations have a maturity index; the median is {index.median():.0f} "
        f"and the middle half lies between {index.quantile(0.25):.0f} and {index.quantile(0.75):.0f}.",
    ]
    if len(means) >= 2:
        weakest = means.index[: min(3, len(means) - 1)]
        out.append(
            "The weakest strands on average are "
            + join_words([f"{names[s]} ({means[s]:.0f})" for s in weakest])
            + f"; the strongest is {names[means.index[-1]]} ({means.iloc[-1]:.0f})."
        )
    n_incomplete = int(scores[INDEX_COLUMN].isna().sum())
    if n_incomplete:
        out.append(f"{n_incomplete:,} organisations answered too few items for an index and are left out of it.")
    return out


def join_words(parts: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
