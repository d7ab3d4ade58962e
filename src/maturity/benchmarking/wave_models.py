"""Models fitted once per wave and shared by its client results: the segmentation that
places a client in a segment, and the strand importance that weights its priorities.

The wave's published table (what clients may see, :mod:`maturity.benchmarking.publication`)
is the one stored with it (``maturity privacy plan``, :func:`save_publication`); without a
current one, the default table is built once per process (:func:`wave_publication`).

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
from .privacy_audit import AuditReport, audit_release, wave_release
from .learner_voice import wave_learner_aggregates
from .provenance import document_fingerprint
from .publication import PUBLICATION_ARTIFACT, fingerprint, publish_wave
from .release_plan import PLAN_ARTIFACT, PrivacySettings, ReleasePlan

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
    "audit_wave_release",
    "save_publication",
    "wave_publication",
    "ensure_publication",
    "save_wave_invariance",
    "wave_invariance",
]

#: Kind under which a wave's invariance verdicts (one per demographic) are stored.
INVARIANCE_ARTIFACT = "invariance"

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
    """Fit a wave's default segmentation, and build its default published table, once for
    many clients (a batch): a JSON-safe document for :func:`preload_segments`, or None when
    the wave has a saved model and a current stored table (the clients load those)."""
    document: dict[str, Any] = {"key": list(_segments_key(store, wave))}
    data = wave_from_store(store, wave)
    if load_segments(store, wave) is None:
        model = fit_segments(data)
        if model is not None:
            document["model"] = model.to_dict()
            preload_segments(document)
    if _stored_publication(store, wave) is None:
        document["publication"] = wave_publication(store, wave, data)
        document["segments_fingerprint"] = _segments_fingerprint(store, wave)
    return document if len(document) > 1 else None


def preload_segments(document: Mapping[str, Any]) -> None:
    """Make the model (and published table) from :func:`segments_to_share` the ones
    :func:`wave_segments` and :func:`wave_publication` return for its wave in this process
    (as long as the wave is unchanged)."""
    key = tuple(document["key"])
    if "model" in document:
        _FITTED_SEGMENTS[key] = SegmentModel.from_dict(document["model"])
    if "publication" in document:
        _BUILT_PUBLICATIONS[(*key, document.get("segments_fingerprint"))] = document["publication"]


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


# --- release plans ---------------------------------------------------------------------------

def _stored_plan(store: "BenchmarkStore", wave: str) -> dict[str, Any] | None:
    """The plan document stored with the wave's publication, when it was built on the wave as it is now."""
    stored = store.load_artifact(wave, PLAN_ARTIFACT)
    if stored is not None and stored.get("wave_modified") == store.wave_modified(wave).isoformat():
        return stored
    return None


def audit_wave_release(
    store: "BenchmarkStore",
    wave: str | None = None,
    settings: PrivacySettings | None = None,
    *,
    fallback: PrivacySettings | None = None,
):
    """Audit the plan the kit would use for a wave (:func:`audit_release`).

    With ``settings``, the plan those settings give; otherwise the wave's stored plan when it
    is current, else the plan ``fallback`` (default settings) gives.
    """
    wave = store.resolve_wave(wave)
    data = wave_from_store(store, wave)
    release = wave_release(data, wave_segments(store, wave, data))
    stored = _stored_plan(store, wave)
    if settings is None and stored is not None:
        plan = ReleasePlan.from_dict(stored["plan"])
    else:
        plan = release.plan(settings or fallback or PrivacySettings())
    return audit_release(release, plan)


# --- are the comparisons fair? -------------------------------------------------------------------


def save_wave_invariance(store: "BenchmarkStore", wave: str | None = None) -> dict[str, dict[str, Any]]:
    """Test measurement invariance across each demographic of the wave once and store the
    verdicts with it, so every client report can say whether its peer comparison is
    supported without refitting (:func:`maturity.analysis.invariance.comparison_checks`).

    Returns
    -------
    dict
        Demographic id -> ``group``, ``level``, ``supported`` (None when it could not be
        tested) and ``verdict``: the ``invariance`` entry of client results.
    """
    from ..analysis.invariance import comparison_checks

    wave = store.resolve_wave(wave)
    data = wave_from_store(store, wave)
    table = comparison_checks(data.responses.reset_index(), data.framework)
    checks = {
        str(column): {
            "group": str(column),
            "level": row["level"],
            "supported": None if row["level"] == "not tested" else bool(row["means_comparable"]),
            "verdict": row["verdict"],
        }
        for column, row in table.iterrows()
    }
    store.save_artifact(wave, INVARIANCE_ARTIFACT, {"wave_modified": store.wave_modified(wave).isoformat(), "checks": checks})
    return checks


def wave_invariance(store: "BenchmarkStore", wave: str) -> dict[str, dict[str, Any]] | None:
    """The invariance verdicts stored with the wave (:func:`save_wave_invariance`), when current."""
    stored = store.load_artifact(wave, INVARIANCE_ARTIFACT)
    if stored is None or stored.get("wave_modified") != store.wave_modified(wave).isoformat():
        return None
    return dict(stored.get("checks") or {})


# --- the published table ---------------------------------------------------------------------

#: Published tables built for waves without a stored one, by segments key (a batch builds the
#: default one once and its workers preload it).
_BUILT_PUBLICATIONS: dict[tuple, dict[str, Any]] = {}


def _stored_publication(store: "BenchmarkStore", wave: str) -> dict[str, Any] | None:
    """The stored table when it was published from the wave and segment model as they are now."""
    stored = store.load_artifact(wave, PUBLICATION_ARTIFACT)
    if (stored is not None and stored.get("wave_modified") == store.wave_modified(wave).isoformat()
            and stored.get("segments") == _segments_fingerprint(store, wave)):
        return stored["document"]
    return None


def _segments_fingerprint(store: "BenchmarkStore", wave: str) -> str | None:
    saved = store.load_artifact(wave, "segments")
    return None if saved is None else document_fingerprint(saved)


def save_publication(
    store: "BenchmarkStore", wave: str | None = None, settings: PrivacySettings | None = None
) -> tuple[dict[str, Any], AuditReport]:
    """Publish a wave once: build its table of audited figures and store it with the wave
    (with its release plan and audit). Client surfaces read only this table.

    Raises
    ------
    PrivacyError
        Nothing safe can be published with these settings (groups forced into the plan
        expose someone); nothing is stored.
    """
    wave = store.resolve_wave(wave)
    data = wave_from_store(store, wave)
    model = wave_segments(store, wave, data)
    release = wave_release(data, model)
    document, report = publish_wave(release, settings or PrivacySettings(), segment_model=model,
                                    importance=wave_importance(data), invariance=wave_invariance(store, wave),
                                    learners=wave_learner_aggregates(store, wave))
    document = _with_data_fingerprint(store, wave, document)
    modified = store.wave_modified(wave).isoformat()
    store.save_artifact(wave, PLAN_ARTIFACT, {"plan": report.plan.to_dict(), "wave_modified": modified,
                                              "audit": {"safe": report.safe, "exposures": report.exposures}})
    store.save_artifact(wave, PUBLICATION_ARTIFACT, {"document": document, "wave_modified": modified,
                                                     "segments": _segments_fingerprint(store, wave)})
    return document, report


def wave_publication(store: "BenchmarkStore", wave: str, data: "BenchmarkData | None" = None) -> dict[str, Any]:
    """The wave's stored published table when current, else one built from the wave with the
    default settings (once per process; a read-only database cannot keep it)."""
    stored = _stored_publication(store, wave)
    if stored is not None:
        return stored
    key = (*_segments_key(store, wave), _segments_fingerprint(store, wave))
    if key not in _BUILT_PUBLICATIONS:
        data = data if data is not None else wave_from_store(store, wave)
        model = wave_segments(store, wave, data)
        document, _report = publish_wave(
            wave_release(data, model), PrivacySettings(), segment_model=model,
            importance=wave_importance(data), invariance=wave_invariance(store, wave),
            learners=wave_learner_aggregates(store, wave))
        _BUILT_PUBLICATIONS[key] = _with_data_fingerprint(store, wave, document)
    return _BUILT_PUBLICATIONS[key]


def _with_data_fingerprint(store: "BenchmarkStore", wave: str, document: dict[str, Any]) -> dict[str, Any]:
    """Record the fingerprint of the data the table was published from (once, not per client)."""
    document = {**document, "data_fingerprint": store.wave_fingerprint(wave)}
    document["fingerprint"] = fingerprint(document)
    return document


def ensure_publication(path: str | Path, wave: str | None = None, *, echo: Any = None) -> str:
    """Publish a wave of a database file unless it has a current publication (a server
    about to show it to clients calls this first). Returns the wave label.

    Raises
    ------
    StoreError
        The database cannot be opened for writing to store the publication.
    PrivacyError
        Nothing safe can be published with the default settings.
    """
    from ..data.store import BenchmarkStore

    with BenchmarkStore(path, read_only=True) as store:
        label = store.resolve_wave(wave)
        if _stored_publication(store, label) is not None:
            return label
    if echo is not None:
        echo(f"Publishing wave {label} once (what clients may see; `maturity privacy plan` does the same)...")
    with BenchmarkStore(path) as store:
        save_publication(store, label)
    return label
