"""``client_results(params)``: a client's ``results.json`` from its parameters file.

The database is read for two things only: the wave's published table (stored by
``maturity privacy plan``; built once per process for a wave that has none) and the client's
own answers and history. Everything else comes from :func:`maturity.published.results.build_client_results`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from ..benchmarking.learner_voice import learner_figures, wave_learner_aggregates
from ..benchmarking.peers import check_peer_filters
from ..benchmarking.provenance import client_provenance
from ..benchmarking.privacy_audit import wave_release
from ..benchmarking.publication import publish_wave, tabulate
from ..benchmarking.release_plan import PrivacySettings, exploratory_plan
from ..benchmarking.wave_models import IMPORTANCE_SEED, wave_publication
from ..config import DEFAULT_MIN_GROUP_SIZE, DEFAULT_SEED
from ..data.responses import read_responses
from ..data.store import BenchmarkStore
from ..errors import DataError
from ..framework import Framework
from ..published.profile import ClientProfile, client_from_survey, demographics_of, text_or_none
from ..published.results import build_client_results
from ..published.table import Publication

if TYPE_CHECKING:
    from ..benchmarking.client_parameters import ClientParameters
    from ..data.population import BenchmarkData

__all__ = ["client_results", "client_from_store", "client_from_data", "exploration_publication",
           "publish_data", "results_for_data"]


def client_from_store(store: BenchmarkStore, wave: str, organisation: str) -> ClientProfile:
    """The profile of an organisation of the wave, read from its own row only.

    Raises
    ------
    DataError
        The organisation is not in the wave.
    """
    fw = store.framework(wave)
    responses = store.responses(wave, organisations=[str(organisation)])
    if responses.empty:
        n = int(store.waves().set_index("wave").loc[wave, "organisations"]) if "organisations" in store.waves() else None
        size = f" ({n:,} organisations)" if n else ""
        raise DataError(f"organisation '{organisation}' is not in wave {wave}{size}; "
                        "check the id, the wave, or give the client's own survey as 'responses'")
    row = responses.iloc[0]
    scores = store.scores(wave, organisations=[str(organisation)]).iloc[0]
    return ClientProfile(id=str(organisation), name=text_or_none(row.get(fw.name_column)),
                         scores=scores.astype(float), demographics=demographics_of(row, fw), in_benchmark=True)


def client_from_data(data: "BenchmarkData", organisation: str) -> ClientProfile:
    """The profile of an organisation of a wave already loaded (the researcher's tools)."""
    fw = data.framework
    ids = data.responses.index.astype(str)
    if str(organisation) not in ids:
        where = f"wave {data.wave}" if data.wave else data.source
        raise DataError(f"organisation '{organisation}' is not in {where} ({len(ids):,} organisations); "
                        "check the id, the wave, or give the client's own survey as 'responses'")
    pos = int((ids == str(organisation)).argmax())
    row = data.responses.iloc[pos]
    return ClientProfile(id=str(organisation), name=text_or_none(row.get(fw.name_column)),
                         scores=data.scores.loc[data.responses.index[pos]].astype(float),
                         demographics=demographics_of(row, fw), in_benchmark=True)


def exploration_publication(
    data: "BenchmarkData",
    filters: Mapping[str, Any] | None,
    *,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    segment_model: Any | None = None,
    importance: Any = None,
) -> Publication:
    """A one-group table for the researcher's own exploration of any group (never for clients:
    it is not audited against anything else, and says so)."""
    plan = exploratory_plan(data.responses, data.scores, data.framework, filters,
                            min_group_size=min_group_size, segment_model=segment_model)
    document = tabulate(wave_release(data, segment_model), plan, segment_model=segment_model,
                        importance=importance, audit_bins=False)
    document["fingerprint"] = "exploration"
    document["wave"] = data.wave
    return Publication(document)


#: Tables published by :func:`results_for_data`, by the identity of the wave's objects.
_PUBLISHED_DATA: dict[tuple[int, int, int], tuple] = {}


def publish_data(
    data: "BenchmarkData",
    settings: PrivacySettings | None = None,
    *,
    segment_model: Any | None = None,
    importance: Any = None,
) -> Publication:
    """Publish a wave held in memory (a researcher's file, a test): the same table
    ``maturity privacy plan`` stores for a database wave."""
    document, _report = publish_wave(wave_release(data, segment_model), settings or PrivacySettings(),
                                     segment_model=segment_model, importance=importance)
    return Publication(document)


def results_for_data(
    data: "BenchmarkData",
    client: ClientProfile,
    params: "ClientParameters",
    *,
    publication: Publication | None = None,
    history: pd.DataFrame | None = None,
    segment_model: Any | None = None,
    importance: Any = None,
) -> dict[str, Any]:
    """A client's results against a wave held in memory: published first (once per wave
    object in this process, or with the ``publication`` given), then read like any client's."""
    if publication is None:
        key = (id(data), id(segment_model), id(importance))
        if key not in _PUBLISHED_DATA:
            # The objects are kept with the table, so their ids cannot be reused meanwhile.
            _PUBLISHED_DATA[key] = (data, segment_model, importance,
                                    publish_data(data, segment_model=segment_model, importance=importance))
        publication = _PUBLISHED_DATA[key][3]
    return build_client_results(publication, client, params, data.framework, history=history)


def client_results(params: "ClientParameters", *, store: BenchmarkStore | None = None) -> dict[str, Any]:
    """The ``results.json`` content for one client parameters file.

    Parameters
    ----------
    params : ClientParameters
    store : BenchmarkStore, optional
        An open store (default: open ``params.db`` read-only).

    Raises
    ------
    ParametersError
        Unknown peer filters or values.
    DataError
        The organisation is not in the wave, or the client's survey cannot be used.
    StoreError
        The database or wave cannot be read.
    PrivacyError
        The wave cannot be published safely.
    """
    if store is None:
        with BenchmarkStore(params.db, read_only=True) as opened:
            return _client_results(params, opened)
    return _client_results(params, store)


def _client_results(params: "ClientParameters", store: BenchmarkStore) -> dict[str, Any]:
    wave = store.resolve_wave(params.wave)
    fw: Framework = params.framework if isinstance(params.framework, Framework) else store.framework(wave)
    check_peer_filters(params.peers, fw)  # fail early, before any reading
    if params.organisation is not None:
        client = client_from_store(store, wave, params.organisation)
        history: pd.DataFrame | None = store.history(client.id)
    else:
        own, _report = read_responses(params.responses, fw)
        client = client_from_survey(own, fw)
        history = None  # a file's claimed id must not unlock a stored organisation's history
    publication = Publication(wave_publication(store, wave))
    own_learners = None
    if client.in_benchmark and publication.document.get("learners"):
        aggregates = wave_learner_aggregates(store, wave, organisations=[client.id])  # its own staff only
        if aggregates is not None:
            own_learners = learner_figures(aggregates, [client.id],
                                           min_learners=int(publication.document["learners"]["min_learners"]),
                                           min_group_size=1)
    results = build_client_results(publication, client, params, fw, history=history, own_learners=own_learners)
    results["provenance"] = client_provenance(
        params, store, wave, fw, results,
        seeds={"segments": DEFAULT_SEED, "importance": IMPORTANCE_SEED},
        data_fingerprint=publication.document.get("data_fingerprint"),
    )
    return results
