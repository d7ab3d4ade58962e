"""The organisation a client result is about: its own scores and demographics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import DataError
from ..framework import Framework
from ..scoring import score_responses

__all__ = ["ClientProfile", "client_from_survey", "demographics_of", "text_or_none"]


@dataclass
class ClientProfile:
    """The organisation a report is about.

    Attributes
    ----------
    id : str
    name : str or None
    scores : Series
        Strand scores and ``index``.
    demographics : dict
        Demographic id -> value (the organisation's own).
    in_benchmark : bool
        True for an organisation of the wave (counted in its released groups like every
        member); False for a new organisation's own survey (placed against the wave, never
        added to it).
    """

    id: str
    name: str | None
    scores: pd.Series
    demographics: dict[str, str] = field(default_factory=dict)
    in_benchmark: bool = True


def text_or_none(value: Any) -> str | None:
    """Trimmed text, or None for a blank or missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def demographics_of(row: pd.Series, framework: Framework) -> dict[str, str]:
    """The framework's demographics answered in one response row."""
    out = {}
    for demo in framework.demographics:
        value = text_or_none(row.get(demo.id))
        if value is not None:
            out[demo.id] = value
    return out


def client_from_survey(responses: pd.DataFrame, framework: Framework) -> ClientProfile:
    """Score a new organisation's own survey (one respondent) without touching the benchmark.

    Raises
    ------
    DataError
        The survey does not hold exactly one organisation.
    """
    if len(responses) != 1:
        raise DataError(f"a client's own survey must hold exactly one organisation, found {len(responses)} rows")
    scores = score_responses(responses, framework)
    row = responses.reset_index().iloc[0] if framework.id_column not in responses.columns else responses.iloc[0]
    return ClientProfile(
        id=str(scores.index[0]),
        name=text_or_none(row.get(framework.name_column)),
        scores=scores.iloc[0].astype(float),
        demographics=demographics_of(row, framework),
        in_benchmark=False,
    )
