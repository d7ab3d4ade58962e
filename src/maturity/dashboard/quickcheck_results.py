"""A Quick Check respondent placed against the wave's published table.

:class:`PublishedWave` is what a Quick Check server holds in memory for every visitor: the
wave's published table (:class:`~maturity.published.table.Publication`, read once), its
framework and an empty form. From a respondent's scored answers it builds the same results
a client report of the same answers gets (:func:`~maturity.published.results.build_client_results`)
against any peer group the publication releases, and lists those groups with the
respondent's own first. It reads nothing else: not the wave's organisations, not the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from ..benchmarking.client_parameters import ClientParameters
from ..framework import normalise_label
from ..published.profile import ClientProfile
from ..published.results import build_client_results
from ..published.table import Publication
from ..reporting.quickcheck_report import report_document, result_html
from .quickcheck_form import QuickCheckForm

__all__ = ["PeerOption", "PublishedWave"]

#: Client id the results carry (a Quick Check respondent is no client of the wave).
CLIENT_ID = "quickcheck"


class PeerOption(NamedTuple):
    """A peer group offered to a respondent."""

    id: str
    label: str
    mine: bool  # the respondent belongs to it


class PublishedWave:
    """The wave a Quick Check places respondents against.

    Parameters
    ----------
    db : path
        Benchmark database: only the wave's published table is read from it, once.
    wave : str, optional
        The wave (default the latest published).
    """

    def __init__(self, db: str | Path, wave: str | None = None) -> None:
        self.db = Path(db)
        self.publication = Publication.read(self.db, wave)
        self.framework = self.publication.framework
        self.form = QuickCheckForm(self.framework)

    @property
    def wave(self) -> str | None:
        return self.publication.wave

    @property
    def n_organisations(self) -> int:
        """Organisations the wave's figures describe."""
        return int(self.publication.population.get("n_published", 0))

    def group_ids(self) -> list[str]:
        return [g["id"] for g in self.publication.released_groups]

    def peer_options(self, client: ClientProfile) -> list[PeerOption]:
        """The released peer groups: the whole wave first, then the respondent's own groups,
        then the others; each labelled with its size."""
        own = {k: normalise_label(v) for k, v in (client.demographics or {}).items()}

        def mine(group: dict) -> bool:
            filters = group["filters"]
            return bool(filters) and all(own.get(k) in {normalise_label(v) for v in vals} for k, vals in filters.items())

        groups = self.publication.released_groups
        ordered = [g for g in groups if not g["filters"]] + [g for g in groups if mine(g)]
        ordered += [g for g in groups if g not in ordered]
        return [PeerOption(g["id"], f"{g['label']} ({g['n']:,} organisations){' · includes you' if mine(g) else ''}",
                           mine(g)) for g in ordered]

    def results_for(self, client: ClientProfile, group_id: str | None) -> dict[str, Any]:
        """The respondent's results against the released group ``group_id`` (None: the whole wave).

        Raises
        ------
        KeyError
            ``group_id`` is not a group the publication releases.
        """
        if group_id is not None and group_id not in self.group_ids():
            raise KeyError(group_id)
        filters = self.publication.group(group_id)["filters"] if group_id else {}
        params = ClientParameters(
            client_id=CLIENT_ID, db=self.db, wave=self.publication.wave,
            peers={k: tuple(v) for k, v in filters.items()}, min_group_size=self.publication.min_group_size,
        )
        return build_client_results(self.publication, client, params, self.framework)

    def warm_up(self) -> None:
        """Compute and render one result before anyone asks (a wave-typical organisation,
        never shown or stored), so the first respondent waits no longer than the next."""
        released = self.publication.released_groups
        typical = pd.Series({s: (f or {}).get("mean") for s, f in (released[0].get("scores") or {}).items()}
                            if released else {}, dtype=float)
        profile = ClientProfile("warm-up", None, typical, {}, in_benchmark=False)
        results = self.results_for(profile, released[0]["id"] if released else None)
        result_html(results)
        report_document(results)
