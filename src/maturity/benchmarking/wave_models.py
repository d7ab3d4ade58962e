"""Models fitted once per wave and shared by its client results: the segmentation that
places a client in a segment, and the strand importance that weights its priorities.

A wave's segmentation is the one saved with it (``maturity segment --db`` or
:func:`save_wave_segments`); without one, the default segmentation is fitted on the wave,
seeded, once per process (a batch fits it once for all its clients and shares it:
:func:`segments_to_share`, :func:`preload_segments`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from ..analysis.drivers import strand_importance
from ..analysis.segments import SegmentModel, load_segments, save_segments
from ..config import DEFAULT_SEED
from ..data.population import wave_from_store
from ..errors import MaturityError

if TYPE_CHECKING:
    from ..data.population import BenchmarkData
    from ..data.store import BenchmarkStore

__all__ = [
    "fit_segments",
    "wave_segments",
    "segments_to_share",
    "preload_segments",
    "save_wave_segments",
    "wave_importance",
]

#: Seed of the bootstrap behind a wave's strand importance (recorded in results' provenance).
IMPORTANCE_SEED = 0


#: Segment models fitted for waves without a saved one, by (database, wave, when the wave
#: last changed). A batch fits each such wave once, before its clients run, and every
#: worker preloads that model here (:func:`preload_segments`); the dashboard and a lone
#: ``client_results`` call fill it themselves.
_FITTED_SEGMENTS: dict[tuple[str, str, str], Any] = {}


def _segments_key(store: "BenchmarkStore", wave: str) -> tuple[str, str, str]:
    return (str(Path(store.path).resolve()), str(wave), store.wave_modified(wave).isoformat())


def wave_segments(store: "BenchmarkStore", wave: str, data: "BenchmarkData") -> Any | None:
    """The wave's saved segment model, else the one fitted on the wave (seeded, fitted once
    per process or preloaded by a batch)."""
    saved = load_segments(store, wave)
    if saved is not None:
        return saved
    key = _segments_key(store, wave)
    if key not in _FITTED_SEGMENTS:
        _FITTED_SEGMENTS[key] = fit_segments(data)
    return _FITTED_SEGMENTS[key]


def segments_to_share(store: "BenchmarkStore", wave: str) -> dict[str, Any] | None:
    """Fit a wave's default segmentation once for many clients (a batch): a JSON-safe
    document for :func:`preload_segments`, or None when the wave has a saved model (the
    clients load that) or is too small to segment."""
    if load_segments(store, wave) is not None:
        return None
    model = fit_segments(wave_from_store(store, wave))
    if model is None:
        return None
    return {"key": list(_segments_key(store, wave)), "model": model.to_dict()}


def preload_segments(document: Mapping[str, Any]) -> None:
    """Make a model from :func:`segments_to_share` the one :func:`wave_segments` returns
    for its wave in this process (as long as the wave is unchanged)."""
    _FITTED_SEGMENTS[tuple(document["key"])] = SegmentModel.from_dict(document["model"])


def fit_segments(data: "BenchmarkData", *, random_state: int = DEFAULT_SEED) -> Any | None:
    """Fit the default segmentation on a wave's strand scores, as the benchmark analysis
    notebook does with its default seed (None for fewer than 10 organisations with every
    strand score)."""
    strands = data.framework.strand_ids
    if len(data.scores[strands].dropna()) < 10:
        return None
    return SegmentModel(strands=strands, random_state=random_state).fit(data.scores)


def save_wave_segments(store: "BenchmarkStore", wave: str | None = None, *, random_state: int = DEFAULT_SEED) -> Any | None:
    """Fit the wave's default segmentation once and store it with the wave
    (:func:`maturity.analysis.segments.save_segments`), so client results load it instead of fitting
    it per client. Needs the store open for writing; returns the model (None when the wave
    is too small to segment)."""
    wave = store.resolve_wave(wave)
    model = fit_segments(wave_from_store(store, wave), random_state=random_state)
    if model is not None:
        save_segments(store, wave, model)
    return model


def wave_importance(data: "BenchmarkData") -> pd.Series | None:
    """Strand importance for outcomes in the wave, or None (equal weights) without outcomes."""
    if not data.framework.outcomes or data.outcomes.empty:
        return None
    try:
        return strand_importance(data.scores, data.outcomes, data.framework, seed=IMPORTANCE_SEED)
    except MaturityError:
        return None
