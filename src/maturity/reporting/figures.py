"""Figures from data frames (no I/O): each function returns a matplotlib Figure.

Shared look: one palette, readable fonts, strand names rather than ids, scores on 0-100.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..benchmarking.peers import COMPARISON_COLUMNS, COMPARISON_LABELS
from ..framework import INDEX_COLUMN, Framework

PALETTE = "crest"
ACCENT = "#d1495b"
NEUTRAL = "#4a6fa5"


def use_vector_figures() -> None:
    """In a notebook, show figures as SVG rather than PNG: sharp at any zoom and when the
    report is printed to PDF. Text is drawn as paths, so the figure looks the same without
    its fonts. Outside IPython this does nothing.

    With the notebook's inline backend it also stops pyplot from redrawing every open figure
    with the raster backend after each cell: the inline backend draws each figure it shows
    itself, so that redraw was thrown away (it cost a third of a report's kernel time).
    """
    try:  # only a notebook needs IPython's display machinery
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not in a notebook stack: nothing to configure
        return
    if get_ipython() is None:
        return
    plt.rcParams["svg.fonttype"] = "path"
    set_matplotlib_formats("svg")
    backend = matplotlib.get_backend()
    if backend == "module://matplotlib_inline.backend_inline":
        # pyplot hooks its redraw into IPython when it loads its backend: load it now, unhook.
        plt.switch_backend(backend)
        plt.uninstall_repl_displayhook()


def _style() -> None:
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.95)


#: A score axis runs a little past 0 and 100, so that a marker at either end shows whole.
SCORE_LIMITS = (-3, 103)
#: Behind a value label: it stays readable over gridlines and bands.
_LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def _score_axis(ax: plt.Axes, axis: str = "x") -> None:
    """Limits and ticks of a 0-100 score axis that leaves room for markers at 0 and 100."""
    if axis == "x":
        ax.set_xlim(*SCORE_LIMITS)
        ax.set_xticks(range(0, 101, 20))
    else:
        ax.set_ylim(*SCORE_LIMITS)
        ax.set_yticks(range(0, 101, 20))


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


def published_distribution(distribution: Mapping[str, Any] | None, *, highlight: float | None = None,
                           title: str = "Maturity index in the peer group") -> plt.Figure | None:
    """A group's published distribution: one bar per published bin (each holding at least the
    minimum number of organisations), its height the share of the group per point of score.

    Parameters
    ----------
    distribution : mapping or None
        ``{"edges": [...], "counts": [...]}`` from a results file's ``peers.distributions``.
    highlight : float, optional
        The client's score, drawn as a labelled line.
    """
    if not distribution:
        return None
    _style()
    edges = np.asarray(distribution["edges"], dtype=float)
    counts = np.asarray(distribution["counts"], dtype=float)
    widths = np.diff(edges)
    density = np.where(widths > 0, 100.0 * counts / counts.sum() / np.where(widths > 0, widths, 1), 0.0)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(edges[:-1], density, width=widths, align="edge", color=NEUTRAL, edgecolor="white", linewidth=0.8)
    if highlight is not None and np.isfinite(highlight):
        ax.axvline(highlight, color=ACCENT, linewidth=2.5)
        ax.annotate("You", (highlight, ax.get_ylim()[1] * 0.95), color=ACCENT, ha="center", fontweight="bold")
    ax.set_xlim(-3, 103)
    ax.set_xlabel("Score (0-100); each bar holds at least the minimum number of organisations")
    ax.set_ylabel("% of the group per point")
    ax.set_title(f"{title} ({int(counts.sum()):,} organisations)")
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
    _score_axis(ax)
    ax.set_xlabel("Strand score (0-100)")
    ax.set_ylabel("")
    ax.set_title("Strand profile")
    ax.legend(loc="lower right", frameon=True)
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


# --- research analytics: segments, drivers, barriers --------------------------------------------


#: Paul Tol's medium-contrast scheme, lightest first (CIE L* 83, 71, 61, 51, 40, 29): colours
#: people with any colour-vision deficiency tell apart, and whose lightness alone still tells
#: them apart in greyscale print; black and white (a hollow marker: every segment map draws
#: a dark edge) extend it to eight segments.
SEGMENT_PALETTE = ("#EECC66", "#EE99AA", "#6699CC", "#997700", "#994455", "#004488")
_SEGMENT_EXTRA = ("#000000", "#FFFFFF")
#: Which of the six colours k segments take: the widest steps of lightness between neighbours.
_SEGMENT_PICKS = {1: (5,), 2: (0, 5), 3: (0, 3, 5), 4: (0, 1, 3, 5), 5: (0, 1, 2, 4, 5), 6: (0, 1, 2, 3, 4, 5)}
#: One marker shape per segment as well, so that segments differ by more than colour.
SEGMENT_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def segment_colours(names: Sequence[str]) -> dict[str, str]:
    """One colour per segment, light (least mature) to dark (most mature), colour-blind safe
    and distinct in greyscale.

    Parameters
    ----------
    names : sequence of str
        Segment names, least mature first.

    Returns
    -------
    dict
        ``{segment name: hex colour}``.
    """
    n = len(names)
    colours = [SEGMENT_PALETTE[i] for i in _SEGMENT_PICKS[min(n, 6)]] if n else []
    colours += list(_SEGMENT_EXTRA[: max(n - 6, 0)])
    colours += ["#777777"] * max(n - len(colours), 0)  # past eight: no scheme has more
    return dict(zip(names, colours))


def segment_markers(names: Sequence[str]) -> dict[str, str]:
    """One marker shape per segment (least mature first), repeated past eight."""
    return {name: SEGMENT_MARKERS[i % len(SEGMENT_MARKERS)] for i, name in enumerate(names)}


def k_selection(selection: pd.DataFrame) -> plt.Figure:
    """Silhouette and bootstrap stability for each candidate k (and BIC for mixtures).

    Parameters
    ----------
    selection : DataFrame
        ``SegmentModel.selection_``: indexed by k with ``silhouette``, ``stability_ari``,
        ``stability_sd``, ``bic`` and ``chosen``.
    """
    _style()
    has_bic = "bic" in selection.columns and selection["bic"].notna().any()
    fig, axes = plt.subplots(1, 2 if has_bic else 1, figsize=(11 if has_bic else 7.5, 4), squeeze=False)
    ax = axes[0, 0]
    ks = selection.index.to_numpy()
    ax.plot(ks, selection["silhouette"], marker="o", color=NEUTRAL, label="Silhouette")
    if selection["stability_ari"].notna().any():
        ax.plot(ks, selection["stability_ari"], marker="s", color="#edae49", label="Stability (mean bootstrap ARI)")
        sd = selection["stability_sd"].fillna(0)
        ax.fill_between(ks, selection["stability_ari"] - sd, (selection["stability_ari"] + sd).clip(upper=1),
                        color="#edae49", alpha=0.2, linewidth=0)
    chosen = selection.index[selection["chosen"]]
    for k in chosen:
        ax.axvline(k, color=ACCENT, linestyle="--", linewidth=1.5)
        ax.annotate(f"chosen k = {k}", (k, 0.02), xytext=(4, 0), textcoords="offset points", color=ACCENT,
                    fontweight="bold")
    ax.set_xticks(ks)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("Number of segments (k)")
    ax.set_ylabel("Higher is better")
    ax.set_title("Choosing the number of segments")
    ax.legend(loc="best", frameon=True)
    if has_bic:
        bx = axes[0, 1]
        bx.plot(ks, selection["bic"], marker="o", color="#00798c")
        for k in chosen:
            bx.axvline(k, color=ACCENT, linestyle="--", linewidth=1.5)
        bx.set_xticks(ks)
        bx.set_xlabel("Number of segments (k)")
        bx.set_ylabel("BIC (lower is better)")
        bx.set_title("Gaussian mixture BIC")
    fig.tight_layout()
    return fig


def segment_profile_heatmap(profiles: pd.DataFrame, framework: Framework) -> plt.Figure:
    """Mean strand scores (and index) of each segment as an annotated heatmap.

    Parameters
    ----------
    profiles : DataFrame
        ``SegmentModel.profiles_`` (segments as rows; ``n`` and strand columns).
    framework : Framework
    """
    names = framework.strand_names()
    cols = [s for s in framework.strand_ids if s in profiles.columns]
    if INDEX_COLUMN in profiles.columns:
        cols.append(INDEX_COLUMN)
    table = profiles[cols].copy()
    table.columns = [names.get(c, "Maturity index" if c == INDEX_COLUMN else c) for c in cols]
    table.index = [f"{seg} (n={int(n):,})" for seg, n in zip(profiles.index, profiles["n"])]
    return heatmap(table, title="Mean score of each segment (0-100)", labels=list(table.columns))


def segment_map_chart(coords: pd.DataFrame, order: Sequence[str] | None = None) -> plt.Figure:
    """Organisations on the first two principal components, coloured by segment.

    Parameters
    ----------
    coords : DataFrame
        Output of :func:`maturity.analysis.segments.segment_map` (``pc1``, ``pc2``, ``segment``).
    order : sequence of str, optional
        Segment order for the legend and colours (least mature first).
    """
    _style()
    order = list(order) if order is not None else sorted(coords["segment"].unique())
    colours, markers = segment_colours(order), segment_markers(order)
    explained = coords.attrs.get("explained", [np.nan, np.nan])
    fig, ax = plt.subplots(figsize=(7.5, 6))
    for seg in order:
        part = coords[coords["segment"] == seg]
        # a thin dark edge keeps the lightest colour visible on white
        ax.scatter(part["pc1"], part["pc2"], s=18, alpha=0.8, color=colours[seg], marker=markers[seg],
                   label=f"{seg} ({len(part):,})", edgecolors="0.25", linewidths=0.3)
    ax.set_xlabel(f"First principal component ({explained[0]:.0%} of variance)")
    ax.set_ylabel(f"Second principal component ({explained[1]:.0%} of variance)" if len(explained) > 1 else "")
    ax.set_title("Organisations by segment (standardised strand scores)")
    ax.legend(title="Segment", loc="best", frameon=True)
    fig.tight_layout()
    return fig


def drivers_chart(table: pd.DataFrame, framework: Framework) -> plt.Figure:
    """Standardised coefficient (with 95% CI) and correlation of each strand with each outcome.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`maturity.analysis.drivers.driver_table`.
    framework : Framework
    """
    _style()
    names = framework.strand_names()
    outcome_names = {g.id: g.name for g in framework.outcomes}
    groups = list(dict.fromkeys(table["outcome"]))
    strands = [s for s in framework.strand_ids if s in set(table["strand"])]
    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups) + 2.5, 0.5 * len(strands) + 1.8),
                             sharey=True, squeeze=False)
    y = np.arange(len(strands))
    for ax, group in zip(axes[0], groups):
        rows = table[table["outcome"] == group].set_index("strand").reindex(strands)
        err = np.vstack([rows["beta"] - rows["ci_low"], rows["ci_high"] - rows["beta"]])
        has_ci = np.isfinite(err).all()
        ax.errorbar(rows["beta"], y, xerr=err if has_ci else None, fmt="o", color=NEUTRAL, capsize=3,
                    label="Standardised coefficient (95% CI)")
        ax.scatter(rows["r"], y, marker="D", facecolors="none", edgecolors=ACCENT, label="Correlation")
        ax.axvline(0, color="0.4", linewidth=1)
        ax.set_title(outcome_names.get(group, group))
        ax.set_xlabel("Effect (SD of outcome per SD of strand)")
    axes[0, 0].set_yticks(y, [names.get(s, s) for s in strands])
    axes[0, 0].invert_yaxis()
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    fig.suptitle("What moves the outcomes: each strand, the others held constant")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def barriers_chart(table: pd.DataFrame) -> plt.Figure:
    """Share of organisations reporting each barrier, by segment (a heatmap in percent).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`maturity.analysis.segments.barriers_by_segment` (segments x barriers, 0-1).
    """
    shown = (table.T * 100).sort_values(table.index[0], ascending=False) if len(table) else table.T
    fig = heatmap(shown, title="Organisations reporting each barrier (%)", fmt=".0f", cmap="rocket_r",
                  labels=list(shown.columns))
    return fig


# --- client report figures (from a client's results.json content only) ----------------------------
# These draw only what a client's results hold: the client's own scores and peer
# aggregates that passed the privacy rules. No individual organisation is ever plotted.

#: Marker and colour of each comparison point.
_COMPARISON_STYLE = {"median": ("|", "0.25"), "top_quartile": ("^", "#edae49"), "top_deck": ("*", "#00798c")}


def _report_rows(results: Mapping, scores: Sequence[str] | None) -> list[str]:
    names = results["strand_names"]
    return [s for s in (scores or list(names)) if s in names]


def peer_position(
    results: Mapping,
    *,
    scores: Sequence[str] | None = None,
    include_index: bool = True,
    title: str | None = None,
) -> plt.Figure:
    """The client's scores against peer aggregates, one row per score.

    Each row shows the middle half of peers (the band from the lower to the upper
    quartile), the peer median, the top-quartile and top-deck means and the client's
    score. Withheld figures are left out and the row says so.

    Parameters
    ----------
    results : mapping
        A client's results (``maturity.clients.results.client_results``).
    scores : sequence of str, optional
        Score ids to draw (default: the index and every strand).
    include_index : bool
        With the default ``scores``, whether the maturity index is drawn too.
    title : str, optional
    """
    _style()
    rows = [r for r in _report_rows(results, scores) if include_index or scores or r != INDEX_COLUMN]
    names, stats = results["strand_names"], results["peers"]["stats"]
    used = results["peers"].get("comparison_used")
    legend_in = 0.75  # inches kept under the axes for the legend
    height = 0.62 * len(rows) + 1.3 + legend_in
    fig, ax = plt.subplots(figsize=(8.5, height))
    y = np.arange(len(rows))
    for i, key in enumerate(rows):
        s = stats[key]
        if s["q1"] is not None and s["q3"] is not None:
            ax.barh(i, s["q3"] - s["q1"], left=s["q1"], height=0.5, color="#c6dbef",
                    label="Middle half of peers" if i == 0 else None, zorder=1)
        else:
            ax.text(50, i, "peer figures withheld", ha="center", va="center", color="0.45", fontsize=9, style="italic")
        for kind, column in COMPARISON_COLUMNS.items():
            label, (marker, colour) = COMPARISON_LABELS[kind].capitalize(), _COMPARISON_STYLE[kind]
            value = s.get(column)
            if value is None:
                continue
            style = {"marker": marker, "color": colour, "zorder": 3,
                     "label": label + (" (comparison)" if kind == used else "") if i == 0 else None}
            if kind == "median":  # an unfilled tick: its width marks the comparison point
                ax.scatter(value, i, s=300, linewidths=3.5 if kind == used else 2, **style)
            else:
                ax.scatter(value, i, s=130, edgecolors="black" if kind == used else "white", linewidths=1.2, **style)
        own = results["scores"].get(key)
        if own is not None:
            ax.scatter(own, i, marker="D", s=80, color=ACCENT, zorder=4, label="You" if i == 0 else None)
            ax.annotate(f"{own:.0f}", (own, i), textcoords="offset points", xytext=(0, 9), ha="center",
                        color=ACCENT, fontsize=9, fontweight="bold", bbox=_LABEL_BOX, zorder=5)
    ax.set_yticks(y, [names[k] for k in rows])
    ax.invert_yaxis()
    _score_axis(ax)
    ax.set_ylim(len(rows) - 0.4, -0.8)
    ax.set_xlabel("Score (0-100)")
    ax.set_title(title or f"Your scores against {results['peers']['n']:,} peers")
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, legend_in / height, 1, 1))
    return fig


def percentile_ranks(results: Mapping, *, scores: Sequence[str] | None = None) -> plt.Figure:
    """The client's percentile rank on each score with its published band.

    Withheld ranks are left out and the row says so.
    """
    _style()
    rows = _report_rows(results, scores)
    names, pct = results["strand_names"], results["percentiles"]
    fig, ax = plt.subplots(figsize=(8.5, 0.55 * len(rows) + 1.3))
    ax.axvline(50, color="0.6", linestyle="--", linewidth=1)
    for i, key in enumerate(rows):
        p = pct[key]
        if p["value"] is None:
            ax.text(50, i, "withheld", ha="center", va="center", color="0.45", fontsize=9, style="italic",
                    bbox={"facecolor": "white", "edgecolor": "none"})
            continue
        colour = ACCENT if key == "index" else NEUTRAL
        ax.plot([p["ci_low"], p["ci_high"]], [i, i], color=colour, linewidth=3, alpha=0.45, solid_capstyle="round")
        ax.scatter(p["value"], i, s=70, color=colour, zorder=3)
        ax.annotate(f"{p['value']:.0f}", (p["value"], i), textcoords="offset points", xytext=(0, 8), ha="center",
                    fontsize=9, color=colour, bbox=_LABEL_BOX, zorder=5)
    ax.set_yticks(range(len(rows)), [names[k] for k in rows])
    ax.invert_yaxis()
    _score_axis(ax)
    ax.set_xlabel("Percentile rank among peers (bar: the published band)")
    ax.set_title("Where you rank")
    fig.tight_layout()
    return fig


def own_trend(results: Mapping) -> plt.Figure | None:
    """The client's own index and strand scores across the waves it took part in
    (None with fewer than two waves)."""
    trend = results.get("trend") or []
    if len(trend) < 2:
        return None
    _style()
    names = results["strand_names"]
    waves = [t["wave"] for t in trend]
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    palette = sns.color_palette("colorblind", n_colors=max(len(names) - 1, 1))
    strands = [k for k in names if k != INDEX_COLUMN]
    for colour, key in zip(palette, strands):
        ax.plot(waves, [t.get(key) if t.get(key) is not None else np.nan for t in trend], marker="o",
                color=colour, linewidth=1.2, alpha=0.8, label=names[key])
    ax.plot(waves, [t.get(INDEX_COLUMN) if t.get(INDEX_COLUMN) is not None else np.nan for t in trend], marker="D",
            color=ACCENT, linewidth=3, label=names[INDEX_COLUMN])
    _score_axis(ax, "y")
    ax.set_xlabel("Wave")
    ax.set_ylabel("Score (0-100)")
    ax.set_title("Your scores across waves")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def segment_comparison(results: Mapping) -> plt.Figure | None:
    """The client's strand scores against the average profile of its segment
    (None when there is no segment or its profile is withheld)."""
    seg = results.get("segment") or {}
    profile = seg.get("profile") or {}
    if not seg.get("name") or all(v is None for v in profile.values()):
        return None
    _style()
    names = results["strand_names"]
    strands = [k for k in names if k != INDEX_COLUMN]
    y = np.arange(len(strands))
    fig, ax = plt.subplots(figsize=(8.5, 0.55 * len(strands) + 1.3))
    own = [results["scores"].get(s) if results["scores"].get(s) is not None else np.nan for s in strands]
    ax.barh(y, own, color=NEUTRAL, height=0.55, label="You")
    ax.scatter([profile.get(s) if profile.get(s) is not None else np.nan for s in strands], y, marker="|", s=400,
               color=ACCENT, linewidths=3, zorder=3, label=f"{seg['name']} segment average")
    ax.set_yticks(y, [names[s] for s in strands])
    ax.invert_yaxis()
    _score_axis(ax)
    ax.set_xlabel("Score (0-100)")
    ax.set_title(f"Your profile and the {seg['name']} segment")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def achievers_bars(table: pd.DataFrame) -> plt.Figure:
    """Share of top-deck organisations reporting each improvement against the others.

    Parameters
    ----------
    table : DataFrame
        From :func:`maturity.benchmarking.achievers.achievers_vs_others` (group rows are drawn;
        withheld rows are labelled as such).
    """
    _style()
    rows = table[table["level"] == "group"] if "level" in table.columns else table
    fig, ax = plt.subplots(figsize=(8, 0.9 * len(rows) + 1.8))
    y = np.arange(len(rows))
    ax.barh(y - 0.18, rows["top_deck_share"].fillna(0), height=0.34, color=ACCENT, label="Top deck")
    ax.barh(y + 0.18, rows["others_share"].fillna(0), height=0.34, color=NEUTRAL, label="Others")
    for i, r in enumerate(rows.itertuples()):
        label = r.likelihood if not r.suppressed else "withheld (too few organisations)"
        ax.text(101, i, label, va="center", fontsize=9, color="0.2")
    ax.set_yticks(y, rows["name"])
    ax.invert_yaxis()
    ax.set_xlim(0, 130)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("% of organisations reporting an improvement")
    ax.set_title("Top deck (most mature 10%) vs the others")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16 - 0.3 / (0.9 * len(rows) + 1.4)), ncol=2, frameon=False)
    fig.tight_layout()
    return fig
