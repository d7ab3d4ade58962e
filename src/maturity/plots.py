"""Figures from data frames (no I/O): each function returns a matplotlib Figure.

Shared look: one palette, readable fonts, strand names rather than ids, scores on 0-100.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .framework import INDEX_COLUMN, Framework

PALETTE = "crest"
ACCENT = "#d1495b"
NEUTRAL = "#4a6fa5"


def _style() -> None:
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.95)


def index_distribution(scores: pd.DataFrame, *, highlight: float | None = None, bins: int = 30) -> plt.Figure:
    """Histogram of the maturity index, with quartile lines and an optional highlighted value.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`maturity.score_responses` (an ``index`` column).
    highlight : float, optional
        A value (e.g. a client's index) drawn as a labelled line.
    """
    _style()
    values = scores[INDEX_COLUMN].dropna()
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.histplot(values, bins=bins, binrange=(0, 100), color=NEUTRAL, ax=ax)
    for q, style in zip((0.25, 0.5, 0.75), (":", "--", ":")):
        ax.axvline(values.quantile(q), color="0.3", linestyle=style, linewidth=1)
    if highlight is not None and np.isfinite(highlight):
        ax.axvline(highlight, color=ACCENT, linewidth=2.5)
        ax.annotate("You", (highlight, ax.get_ylim()[1] * 0.95), color=ACCENT, ha="center", fontweight="bold")
    ax.set_xlim(0, 100)
    ax.set_xlabel("Maturity index (0-100); dashed line median, dotted lines quartiles")
    ax.set_ylabel("Organisations")
    ax.set_title(f"Maturity index across {len(values):,} organisations")
    fig.tight_layout()
    return fig


def strand_profile(
    scores: pd.DataFrame,
    framework: Framework,
    *,
    markers: Mapping[str, Mapping[str, float]] | None = None,
) -> plt.Figure:
    """Distribution of each strand score as horizontal box plots, weakest strand last.

    Parameters
    ----------
    scores : DataFrame
        Strand score columns named by strand id.
    framework : Framework
        Supplies strand names and order.
    markers : mapping, optional
        Named points to overlay, e.g. ``{"You": {"engagement": 41, ...}}``.
    """
    _style()
    names = framework.strand_names()
    strands = [s for s in framework.strand_ids if s in scores.columns]
    order = scores[strands].median().sort_values(ascending=False).index.tolist()
    long = scores[order].melt(var_name="strand", value_name="score").dropna()
    long["strand"] = long["strand"].map(names)
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(order) + 1.2))
    sns.boxplot(
        data=long, x="score", y="strand", order=[names[s] for s in order], color="#c6dbef",
        fliersize=0, width=0.55, ax=ax,
    )
    means = scores[order].mean()
    ax.scatter(means.to_numpy(), range(len(order)), color=NEUTRAL, zorder=3, s=25, label="Mean")
    for (label, values), colour in zip((markers or {}).items(), (ACCENT, "#edae49", "#00798c")):
        xs = [values.get(s, np.nan) for s in order]
        ax.scatter(xs, range(len(order)), marker="D", s=60, color=colour, zorder=4, label=label)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Strand score (0-100)")
    ax.set_ylabel("")
    ax.set_title("Strand profile")
    ax.legend(loc="lower right", frameon=True)
    fig.tight_layout()
    return fig


def strand_means_bar(
    values: Mapping[str, float],
    framework: Framework,
    *,
    reference: Mapping[str, float] | None = None,
    reference_label: str = "Benchmark",
    label: str = "Score",
) -> plt.Figure:
    """Bar chart of one set of strand scores with an optional reference marker per strand."""
    _style()
    names = framework.strand_names()
    strands = [s for s in framework.strand_ids if s in values]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(strands) + 1.2))
    y = np.arange(len(strands))
    ax.barh(y, [values[s] for s in strands], color=NEUTRAL, height=0.55, label=label)
    if reference:
        ax.scatter([reference.get(s, np.nan) for s in strands], y, marker="|", s=400, color=ACCENT,
                   linewidths=3, zorder=3, label=reference_label)
    ax.set_yticks(y, [names[s] for s in strands])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Score (0-100)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def heatmap(table: pd.DataFrame, *, title: str = "", fmt: str = ".0f", cmap: str = PALETTE,
            vmin: float | None = 0, vmax: float | None = 100, labels: Sequence[str] | None = None) -> plt.Figure:
    """Annotated heatmap of a small table (rows x columns)."""
    _style()
    fig, ax = plt.subplots(figsize=(1.2 * table.shape[1] + 2.5, 0.55 * table.shape[0] + 1.5))
    sns.heatmap(table, annot=True, fmt=fmt, cmap=cmap, vmin=vmin, vmax=vmax, cbar=False, ax=ax,
                linewidths=0.5, linecolor="white")
    if labels is not None:
        ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    fig.tight_layout()
    return fig
