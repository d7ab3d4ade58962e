"""Figures of a wave's learner level (no I/O): each function returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..framework import Framework
from .figures import ACCENT, NEUTRAL, _style


def learner_scale_distribution(means: pd.DataFrame, framework: Framework) -> plt.Figure:
    """Box plots of the organisations' learner scale scores (0-100), one per scale.

    Parameters
    ----------
    means : DataFrame
        :func:`maturity.analysis.learners.organisation_means` (withheld organisations are NaN
        and left out).
    framework : Framework
        The learner framework (scale names).
    """
    _style()
    ids = [s.id for s in framework.strands if s.id in means.columns]
    data = [means[i].dropna().to_numpy() for i in ids]
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(ids) + 1.2))
    ax.boxplot(data, vert=False, widths=0.5, patch_artist=True, boxprops={"facecolor": "#cfe0f3"},
               medianprops={"color": NEUTRAL})
    ax.set_yticks(range(1, len(ids) + 1), [framework.strand(i).name for i in ids])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Learners' mean score of an organisation (0-100)")
    ax.set_title("Learner scales across organisations")
    fig.tight_layout()
    return fig


def choice_chart(choices: pd.DataFrame, question: str, title: str) -> plt.Figure:
    """Horizontal bars: the share of learners giving each answer to a single-choice question.

    Parameters
    ----------
    choices : DataFrame
        :func:`maturity.analysis.learners.choice_shares`.
    question : str
        The question's id.
    title : str
    """
    _style()
    part = choices[choices["question"] == question]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(part) + 1.2))
    ax.barh(part["value"].astype(str), part["share"] * 100, color=NEUTRAL)
    ax.invert_yaxis()
    for y, share in enumerate(part["share"]):
        ax.text(share * 100 + 1, y, f"{share:.0%}", va="center")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of learners")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def divide_chart(favourable: pd.DataFrame, names: dict[str, str] | None = None) -> plt.Figure:
    """The divide: per mirrored item, the share of L&D respondents and of learners agreeing.

    Parameters
    ----------
    favourable : DataFrame
        :func:`maturity.analysis.learner_divide.favourable_shares` (withheld rows are left out).
    names : dict, optional
        Display text per learner item (default the ``text`` column).
    """
    _style()
    table = favourable.dropna(subset=["ld_share", "learner_share"]).sort_values("difference")
    labels = [(names or {}).get(i, t) for i, t in zip(table.index, table["text"])]
    labels = [label if len(label) <= 60 else label[:57] + "..." for label in labels]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(table) + 1.5))
    y = range(len(table))
    ax.hlines(y, table["learner_share"] * 100, table["ld_share"] * 100, color="#bbbbbb", linewidth=2)
    ax.scatter(table["ld_share"] * 100, y, color=ACCENT, label="L&D respondents", zorder=3)
    ax.scatter(table["learner_share"] * 100, y, color=NEUTRAL, label="their learners", zorder=3)
    ax.set_yticks(list(y), labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% with the favourable view (agree; disagree with a reverse-worded statement)")
    ax.set_title("What L&D believes and what learners say")
    ax.legend(loc="best", frameon=True)
    fig.tight_layout()
    return fig
