"""Figures of an evaluation report, drawn from ``evaluation.json`` alone (no raw data)."""

from __future__ import annotations

from typing import Any, Mapping

import matplotlib.pyplot as plt
import numpy as np

from ..reporting.figures import ACCENT, NEUTRAL


def _interval_rows(ax: plt.Axes, labels: list[str], entries: list[Mapping[str, Any]], *, zero: float | None) -> None:
    y = np.arange(len(labels))[::-1]
    for yi, entry in zip(y, entries):
        est, (lo, hi) = entry.get("estimate"), entry.get("ci") or (None, None)
        if lo is not None and hi is not None:
            ax.plot([lo, hi], [yi, yi], color=NEUTRAL, lw=3, solid_capstyle="round")
        if est is not None:
            ax.plot(est, yi, "o", color=ACCENT, ms=8)
    if zero is not None:
        ax.axvline(zero, color="#777", lw=1, ls="--")
    ax.set_yticks(y, labels)
    ax.grid(axis="x", alpha=0.3)


def money_chart(evaluation: Mapping[str, Any]) -> plt.Figure | None:
    """Benefit against cost: each KPI's benefit and the total, with intervals, and the cost line."""
    results, roi = evaluation.get("results"), evaluation.get("roi")
    if not results or not roi or not roi.get("benefit"):
        return None
    labels = [e["label"] for e in results.values()] + ["Total benefit"]
    entries = [e["benefit"] for e in results.values()] + [roi["benefit"]]
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(labels) + 1.2))
    _interval_rows(ax, labels, entries, zero=0)
    ax.axvline(roi["cost"], color=ACCENT, lw=1.5, label="cost")
    ax.legend(frameon=False, loc="lower right")
    currency = (evaluation.get("cost") or {}).get("currency", "")
    ax.set_xlabel(f"benefit in one period{' (' + currency + ')' if currency else ''}")
    ax.set_title("What the programme is worth against what it cost")
    fig.tight_layout()
    return fig


def did_chart(evaluation: Mapping[str, Any]) -> plt.Figure | None:
    """Each KPI's mean before and after in the trained and the comparison group."""
    results = evaluation.get("results") or {}
    shown = {k: e for k, e in results.items() if e["did"].get("cells") and e["did"]["cells"].get("comparison_after") is not None}
    if not shown:
        return None
    fig, axes = plt.subplots(1, len(shown), figsize=(3.6 * len(shown), 3.2), squeeze=False)
    for ax, (name, entry) in zip(axes[0], shown.items()):
        cells = entry["did"]["cells"]
        ax.plot([0, 1], [cells["trained_before"], cells["trained_after"]], "-o", color=ACCENT, label="trained")
        ax.plot([0, 1], [cells["comparison_before"], cells["comparison_after"]], "-o", color=NEUTRAL,
                label="comparison")
        ax.set_xticks([0, 1], ["before", "after"])
        ax.set_title(entry["label"], fontsize=10)
        ax.grid(alpha=0.3)
    axes[0][0].legend(frameon=False, fontsize=8)
    fig.suptitle("Trained units against the comparison group", fontsize=11)
    fig.tight_layout()
    return fig


def levels_chart(evaluation: Mapping[str, Any]) -> plt.Figure | None:
    """Standardised change at the learning and behaviour levels (d_z with intervals)."""
    labels, entries = [], []
    if evaluation.get("learning") and evaluation["learning"]["d_z"]["estimate"] is not None:
        labels.append("Learning (test scores)")
        entries.append(evaluation["learning"]["d_z"])
    for rater, e in ((evaluation.get("behaviour") or {}).get("raters") or {}).items():
        if e["d_z"]["estimate"] is not None:
            labels.append(f"Behaviour ({rater} rating)")
            entries.append(e["d_z"])
    if not entries:
        return None
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(labels) + 1.2))
    _interval_rows(ax, labels, entries, zero=0)
    ax.set_xlabel("standardised change d_z (change / its standard deviation)")
    ax.set_title("How much participants changed")
    fig.tight_layout()
    return fig
