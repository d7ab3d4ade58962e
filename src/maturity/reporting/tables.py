"""Display tables for reports: human labels, yes/no, the framework's order (no I/O).

The analysis library returns DataFrames with machine-friendly columns (``n_items``,
``item_rest_r``, booleans, strand ids); a reader of a report wants "Items", "Item-rest
correlation", "yes"/"no", strand names and size bands in the framework's order rather than
sorted as text. :func:`display_table` makes that presentation and leaves the data alone.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from ..framework import INDEX_COLUMN, Framework

#: Human labels of the analysis tables' column and index names.
COLUMN_LABELS = {
    "n": "Organisations", "mean": "Mean", "sd": "SD", "q1": "Lower quartile", "median": "Median",
    "q3": "Upper quartile", "score": "Score", "name": "Name", "n_items": "Items",
    "missing_answers": "Blank answers", "unscored": "Not scored", "straight_lining": "Same answer to every item",
    "n_respondents": "Respondents", "n_complete": "Answered every item", "alpha": "Cronbach's alpha",
    "alpha_ci_low": "Alpha, 95% CI low", "alpha_ci_high": "Alpha, 95% CI high", "std_alpha": "Standardised alpha",
    "omega_total": "McDonald's omega", "strand": "Strand", "item": "Item", "item_rest_r": "Item-rest correlation",
    "alpha_if_deleted": "Alpha if the item were left out", "value": "Value", "guideline": "Guideline",
    "measure": "Measure", "items": "Items", "min": "Lowest", "max": "Highest", "factor": "Strand",
    "groups": "Groups compared", "level": "Invariance reached", "means_comparable": "Means comparable",
    "grouping": "Compared across", "importance": "Share of importance", "segment": "Segment",
    "quartile": "Maturity quartile", "wave": "Wave",
}
#: Columns whose values are strand ids.
_STRAND_COLUMNS = ("strand", "factor")


def human_label(name: object) -> object:
    """The label a reader sees for a column or index name (``item_rest_r`` -> "Item-rest
    correlation"; an unknown ``snake_case`` name -> "Snake case"); other labels unchanged."""
    if not isinstance(name, str):
        return name
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    if "_" in name and name == name.lower():
        text = name.replace("_", " ")
        return text[0].upper() + text[1:]
    return name


def _yes_no(value: object) -> object:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return value


def _framework_order(labels: pd.Index, framework: Framework | None) -> list | None:
    """``labels`` in the framework's order when they are the values of one demographic
    (size bands, sectors...); None when they are not."""
    if framework is None or len(labels) == 0:
        return None
    present = [str(label) for label in labels]
    for demographic in framework.demographics:
        order = list(demographic.values)
        if set(present) <= set(order) and len(set(present)) == len(present):
            rank = {value: i for i, value in enumerate(order)}
            return sorted(labels, key=lambda label: rank[str(label)])
    return None


def display_frame(frame: pd.DataFrame, framework: Framework | None = None) -> pd.DataFrame:
    """The presentation of ``frame`` as a new DataFrame: booleans as yes/no, strand ids as
    strand names, demographic values in the framework's order, human column labels.

    Parameters
    ----------
    frame : DataFrame
        Any analysis table.
    framework : Framework, optional
        Supplies strand names and demographic orders.

    Returns
    -------
    DataFrame
        Same values, presented; the input is not changed.
    """
    table = frame.copy()
    for axis in ("index", "columns"):
        order = _framework_order(getattr(table, axis), framework)
        if order is not None:
            table = table.reindex(**{axis: order})
    labels = dict(COLUMN_LABELS)
    if framework is not None:
        names = {**framework.strand_names(), INDEX_COLUMN: "Maturity index"}
        demographics = {d.id: d.name for d in framework.demographics}
        labels.update(demographics)
        if table.index.nlevels == 1 and any(str(i) in names for i in table.index):
            table.index = pd.Index([names.get(str(i), i) for i in table.index], name=table.index.name)
            if "name" in table.columns and list(table["name"]) == list(table.index):
                table = table.drop(columns="name")  # the index already says it
        elif table.index.nlevels == 1 and any(str(i) in demographics for i in table.index):
            table.index = pd.Index([demographics.get(str(i), human_label(i)) for i in table.index],
                                   name=table.index.name)
        for column in _STRAND_COLUMNS:
            if column in table.columns:
                table[column] = table[column].map(lambda v: names.get(v, v) if isinstance(v, str) else v)
    for column in table.columns:
        if table[column].dtype == bool or table[column].map(lambda v: isinstance(v, (bool, np.bool_))).any():
            table[column] = table[column].map(_yes_no).astype(object)
    def label(name: object) -> object:
        return labels.get(name, human_label(name)) if isinstance(name, str) else name

    table = table.rename(columns=label)
    if table.index.nlevels == 1:
        table.index.name = label(table.index.name)
    table.columns.name = label(table.columns.name)
    return table


def display_table(
    frame: pd.DataFrame,
    framework: Framework | None = None,
    *,
    formats: str | Mapping[str, str] | None = None,
    precision: int = 2,
    na_rep: str = "–",
    hide: tuple[str, ...] = (),
) -> Styler:
    """A report-ready styled table: :func:`display_frame`, numbers formatted, blanks shown as
    ``na_rep`` (never ``nan`` or ``None``).

    Parameters
    ----------
    frame : DataFrame
        Any analysis table.
    framework : Framework, optional
        Supplies strand names and demographic orders.
    formats : str or mapping, optional
        One format for every number (``"{:.0%}"``), or formats by the frame's own column
        names (``{"missing_answers": "{:.1%}"}``); other numbers get ``precision`` decimals.
    precision : int
        Decimals of numbers without a format.
    na_rep : str
        What a blank (NaN, None) shows, e.g. "withheld".
    hide : tuple of str
        Columns of ``frame`` left out.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    shown = frame.drop(columns=[c for c in hide if c in frame.columns])
    table = display_frame(shown, framework)
    styler = table.style.format(precision=precision, na_rep=na_rep, thousands=",")
    if isinstance(formats, str):
        numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
        styler = styler.format(formats, subset=numeric, na_rep=na_rep)
    elif formats:
        labels = {human_label(c): f for c, f in formats.items()}
        styler = styler.format({c: f for c, f in labels.items() if c in table.columns}, na_rep=na_rep)
    return styler
