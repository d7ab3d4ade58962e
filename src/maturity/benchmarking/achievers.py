"""Achievers vs others: do the most mature organisations report better outcomes?

Every function takes and returns DataFrames (pingouin style) and applies the privacy
rules of :mod:`maturity.benchmarking.privacy`, so the tables can go straight into a report.

Definitions
-----------
improvement
    On an outcome item or in an outcome group, as :mod:`maturity.analysis.outcomes` defines it.
top deck
    The organisations whose maturity index is at or above the 90th percentile of the
    population analysed (:func:`maturity.benchmarking.peers.top_group`); "others" are the rest of
    the organisations with an index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from ..analysis.outcomes import group_improvement, improvement_flags
from ..data.responses import barrier_flags
from ..errors import AnalysisError
from ..framework import INDEX_COLUMN, Framework
from .peers import TOP_DECK_SHARE, top_group
from .privacy import DEFAULT_MIN_GROUP_SIZE, suppress_groups

if TYPE_CHECKING:
    from ..data.population import BenchmarkData

__all__ = [
    "achievers_vs_others",
    "achievers_table",
    "maturity_quartiles",
    "outcomes_by_group",
    "barriers_by_group",
    "likelihood_text",
]


def likelihood_text(ratio: float) -> str:
    """``2.14 -> "2.1x as likely"``; empty for a missing ratio."""
    if ratio is None or not np.isfinite(ratio):
        return ""
    return f"{ratio:.1f}x as likely"


def achievers_vs_others(
    responses: pd.DataFrame,
    scores: pd.DataFrame,
    framework: Framework,
    *,
    top_share: float = TOP_DECK_SHARE,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    exclude: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of top-deck organisations reporting each outcome improvement, vs the others.

    Parameters
    ----------
    responses : DataFrame
        Survey answers with the outcome columns (indexed by respondent id or with the id
        column).
    scores : DataFrame
        Scores with an ``index`` column, same respondents.
    framework : Framework
    top_share : float
        Share of organisations (by index) forming the top deck (default 10%).
    min_group_size : int
        Privacy threshold: a comparison is withheld when either group is smaller.
    exclude : sequence of str, optional
        Respondent ids to leave out (e.g. a client, so that its report's figures describe
        other organisations only).

    Returns
    -------
    DataFrame
        One row per outcome group (``level == "group"``) followed by its items
        (``level == "item"``): ``outcome``, ``name``, ``group``, ``level``,
        ``top_deck_n``, ``top_deck_share`` (percent), ``others_n``, ``others_share``,
        ``ratio`` (top-deck share / others' share), ``likelihood`` (e.g. "2.1x as likely"),
        ``suppressed`` and ``suppressed_reason``.

    Raises
    ------
    AnalysisError
        The framework defines no outcomes.
    """
    if not framework.outcomes:
        raise AnalysisError(f"framework '{framework.id}' defines no outcomes to compare")
    items = improvement_flags(responses, framework)
    groups = group_improvement(responses, framework)
    index = framework.by_id(scores)[INDEX_COLUMN].reindex(items.index)
    if exclude is not None:
        keep = ~items.index.astype(str).isin([str(e) for e in exclude])
        items, groups, index = items[keep], groups[keep], index[keep]
    has_index = index.notna().to_numpy()
    top = top_group(index, top_share).to_numpy() & has_index
    others = has_index & ~top
    item_text = {i.id: i.text for i in framework.outcome_items}
    rows = []
    for group in framework.outcomes:
        entries = [(group.id, group.name, "group", groups.get(group.id))]
        entries += [(i.id, item_text[i.id], "item", items.get(i.id)) for i in group.items]
        for outcome, name, level, flags in entries:
            if flags is None:
                continue
            f = flags.to_numpy(dtype=float)
            t, o = f[top], f[others]
            t, o = t[~np.isnan(t)], o[~np.isnan(o)]
            top_pct = 100 * t.mean() if t.size else np.nan
            other_pct = 100 * o.mean() if o.size else np.nan
            ratio = top_pct / other_pct if other_pct and np.isfinite(other_pct) else np.nan
            pair = suppress_groups(
                pd.DataFrame({"n": [t.size, o.size], "share": [top_pct, other_pct]}, index=["top", "others"]),
                min_group_size=min_group_size,
                group_label="the group",
            )
            suppressed = bool(pair["suppressed"].any())
            reason = "; ".join(
                f"{'top deck' if k == 'top' else 'others'}: {r}"
                for k, r in pair["suppressed_reason"].items() if r
            )
            rows.append(
                {
                    "outcome": outcome,
                    "name": name,
                    "group": group.id,
                    "level": level,
                    "top_deck_n": int(t.size),
                    "top_deck_share": np.nan if suppressed else top_pct,
                    "others_n": int(o.size),
                    "others_share": np.nan if suppressed else other_pct,
                    "ratio": np.nan if suppressed else ratio,
                    "likelihood": "" if suppressed else likelihood_text(ratio),
                    "suppressed": suppressed,
                    "suppressed_reason": reason,
                }
            )
    return pd.DataFrame(rows)


def maturity_quartiles(scores: pd.DataFrame | pd.Series, *, labels: Sequence[str] | None = None) -> pd.Series:
    """Maturity quartile of each organisation by index (``"Q1 (lowest)"`` .. ``"Q4 (highest)"``).

    Organisations are ranked by index (ties in order of appearance) and cut into four
    groups of equal size; organisations without an index get NaN.
    """
    index = scores[INDEX_COLUMN] if isinstance(scores, pd.DataFrame) else scores
    labels = list(labels or ["Q1 (lowest)", "Q2", "Q3", "Q4 (highest)"])
    present = index.dropna()
    out = pd.Series(pd.NA, index=index.index, dtype="object", name="quartile")
    if len(present) >= 4:
        cut = pd.qcut(present.rank(method="first"), 4, labels=labels)
        out.loc[present.index] = cut.astype(str).to_numpy()
    return pd.Series(pd.Categorical(out, categories=labels, ordered=True), index=index.index, name="quartile")


def _shares_by_group(
    flags: pd.DataFrame,
    groups: pd.Series,
    names: dict[str, str],
    *,
    min_group_size: int,
    total_label: str,
) -> pd.DataFrame:
    groups = groups.reindex(flags.index)
    order = list(groups.cat.categories) if isinstance(groups.dtype, pd.CategoricalDtype) else sorted(groups.dropna().unique(), key=str)
    rows = {}
    for label in order:
        members = flags[(groups == label).fillna(False).to_numpy(dtype=bool)]
        rows[str(label)] = {"n": len(members), **{names[c]: 100 * members[c].mean() for c in flags.columns}}
    table = pd.DataFrame.from_dict(rows, orient="index")
    if table.empty:
        table = pd.DataFrame(columns=["n", *names.values()])
    table = suppress_groups(table, min_group_size=min_group_size, value_columns=list(names.values()))
    in_groups = flags[groups.notna().to_numpy()]
    total = pd.DataFrame(
        {"n": [len(in_groups)], **{names[c]: [100 * in_groups[c].mean()] for c in flags.columns}},
        index=[total_label],
    )
    total = suppress_groups(total, min_group_size=min_group_size, value_columns=list(names.values()), total_shown=False)
    out = pd.concat([table, total])
    out.index.name = groups.name or "group"
    out["n"] = out["n"].astype(int)
    return out


def outcomes_by_group(
    responses: pd.DataFrame,
    framework: Framework,
    groups: pd.Series,
    *,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    total_label: str = "All",
) -> pd.DataFrame:
    """Percent of organisations reporting an improvement in each outcome group, by group.

    Parameters
    ----------
    responses : DataFrame
    framework : Framework
    groups : Series
        Group label per respondent id, e.g. :func:`maturity_quartiles` or segment names.
    min_group_size : int
    total_label : str
        Label of the total row.

    Returns
    -------
    DataFrame
        One row per group plus a total row; ``n`` and one column per outcome group (by
        name), then ``suppressed`` and ``suppressed_reason`` (complementary suppression
        applied, since the total is shown).
    """
    flags = group_improvement(responses, framework)
    names = {g.id: g.name for g in framework.outcomes if g.id in flags.columns}
    return _shares_by_group(flags, groups, names, min_group_size=min_group_size, total_label=total_label)


def barriers_by_group(
    responses: pd.DataFrame,
    framework: Framework,
    groups: pd.Series,
    *,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    total_label: str = "All",
) -> pd.DataFrame:
    """Percent of organisations reporting each barrier, by group (same layout as
    :func:`outcomes_by_group`)."""
    flags = barrier_flags(responses, framework)
    names = {b.id: b.name for b in framework.barriers if b.id in flags.columns}
    return _shares_by_group(flags, groups, names, min_group_size=min_group_size, total_label=total_label)


def achievers_table(
    data: "BenchmarkData",
    *,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    items: bool = False,
    top_share: float = TOP_DECK_SHARE,
) -> pd.DataFrame:
    """Achievers vs others as a table ready to show (the analysis notebook's view).

    Parameters
    ----------
    data : BenchmarkData
        A wave, as from :func:`maturity.data.population.load_benchmark`.
    min_group_size : int
        Privacy threshold.
    items : bool
        Include one row per outcome item under each group (default: groups only).
    top_share : float
        Share of organisations forming the top deck.

    Returns
    -------
    DataFrame
        Indexed by outcome name; columns ``Top deck (n)``, ``Top deck: % improving``,
        ``Others (n)``, ``Others: % improving``, ``Likelihood`` (e.g. "1.6x as likely")
        and ``Note`` (why a row is withheld). Item rows are indented under their group.
    """
    table = achievers_vs_others(data.responses, data.scores, data.framework, top_share=top_share,
                                min_group_size=min_group_size)
    if not items:
        table = table[table["level"] == "group"]
    names = [("    " + n if level == "item" else n) for n, level in zip(table["name"], table["level"])]
    out = pd.DataFrame(
        {
            "Top deck (n)": table["top_deck_n"].to_numpy(),
            "Top deck: % improving": table["top_deck_share"].to_numpy(),
            "Others (n)": table["others_n"].to_numpy(),
            "Others: % improving": table["others_share"].to_numpy(),
            "Likelihood": table["likelihood"].to_numpy(),
            "Note": table["suppressed_reason"].to_numpy(),
        },
        index=pd.Index(names, name="Outcome"),
    )
    if not out["Note"].astype(bool).any():
        out = out.drop(columns="Note")
    return out
