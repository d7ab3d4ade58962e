"""A wave's published table, as the client layer reads it.

:class:`Publication` wraps the JSON document :mod:`maturity.benchmarking.publication`
builds once per wave. Requests for peer groups are answered from its released groups alone:
a request for a group that is not released gets the most specific released group that
contains it (by the groups' own definitions, never by looking at members), with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..data.publications import read_publication
from ..errors import PrivacyError
from ..framework import Framework, normalise_label, parse_framework

__all__ = ["Publication", "PUBLICATION_SCHEMA"]

PUBLICATION_SCHEMA = "maturity/publication/1"


def _norm(filters: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    return {k: {normalise_label(v) for v in vals} for k, vals in filters.items()}


@dataclass
class Publication:
    """A wave's published figures (see :mod:`maturity.benchmarking.publication`).

    Attributes
    ----------
    document : dict
        The stored JSON document.
    """

    document: dict[str, Any]

    def __post_init__(self) -> None:
        if self.document.get("schema") != PUBLICATION_SCHEMA:
            raise PrivacyError(
                f"not a published table (schema {self.document.get('schema')!r}, expected {PUBLICATION_SCHEMA})")

    # --- plain attributes ------------------------------------------------------------------
    @property
    def framework(self) -> Framework:
        """The wave's framework, as published with the table."""
        if not hasattr(self, "_framework"):
            self._framework = parse_framework(self.document["framework"]["document"], source=f"wave {self.wave}")
        return self._framework

    @classmethod
    def read(cls, db: Any, wave: str | None = None) -> "Publication":
        """The current published table of a wave (default the latest) of a database file."""
        _label, document = read_publication(db, wave)
        return cls(document)

    @property
    def wave(self) -> str | None:
        return self.document.get("wave")

    @property
    def fingerprint(self) -> str:
        return str(self.document.get("fingerprint", ""))

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.document["settings"])

    @property
    def min_group_size(self) -> int:
        return int(self.document["settings"]["min_group_size"])

    @property
    def threshold(self) -> int:
        return int(self.document["threshold"])

    @property
    def population(self) -> dict[str, Any]:
        return dict(self.document.get("population") or {})

    @property
    def groups(self) -> list[dict[str, Any]]:
        return list(self.document["groups"])

    @property
    def released_groups(self) -> list[dict[str, Any]]:
        """The groups a client may ask for, largest first."""
        return sorted((g for g in self.groups if g["released"]), key=lambda g: (g["id"] != "all", -g["n"], g["id"]))

    @property
    def segments(self) -> dict[str, Any] | None:
        return self.document.get("segments")

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        return list(self.document.get("outcomes") or [])

    @property
    def importance(self) -> dict[str, float] | None:
        return self.document.get("importance")

    @property
    def invariance(self) -> dict[str, Any] | None:
        return self.document.get("invariance")

    @property
    def exploration(self) -> bool:
        """True for a researcher's unaudited exploration (never shown to clients)."""
        return bool(self.document.get("exploration"))

    def group(self, group_id: str) -> dict[str, Any]:
        for g in self.groups:
            if g["id"] == group_id:
                return g
        raise PrivacyError(f"peer group '{group_id}' is not published for wave {self.wave}")

    # --- answering a request -----------------------------------------------------------------
    def resolve(
        self,
        filters: Mapping[str, Sequence[str]],
        *,
        own: Mapping[str, str] | None = None,
        describe: Any = None,
    ) -> tuple[dict[str, Any], str | None]:
        """The released group for a request, and a note when it is not the one asked for.

        Parameters
        ----------
        filters : mapping
            Validated peer filters (demographic -> values).
        own : mapping, optional
            The client's own demographics: among equally good groups, one that contains
            the client is preferred.
        describe : callable, optional
            ``describe(filters) -> str`` for the note.
        """
        released = self.released_groups
        if not released:
            return self.groups[0], (
                f"No peer group of this wave is large enough to publish any figure: every published set "
                f"must hold at least {self.threshold} organisations.")
        asked = _norm(filters)
        for g in released:
            if _norm(g["filters"]) == asked:
                return g, None
        own_norm = {k: normalise_label(v) for k, v in (own or {}).items()}

        def contains_request(g: dict[str, Any]) -> bool:
            # Every organisation the request matches is in the group.
            return all(key in asked and asked[key] <= vals for key, vals in _norm(g["filters"]).items())

        def contains_client(g: dict[str, Any]) -> bool:
            return all(own_norm.get(key) in vals for key, vals in _norm(g["filters"]).items())

        candidates = [g for g in released if contains_request(g)] or [released[0]]
        best = max(candidates, key=lambda g: (len(g["filters"]), contains_client(g), -g["n"]))
        asked_text = describe(filters) if describe else "the group asked for"
        return best, (
            f"The peer group asked for ({asked_text}) is not published for this wave: published groups "
            f"are chosen so that no combination of figures can reveal an organisation's answers. "
            f"The nearest published group that contains it, {best['label']} ({best['n']} organisations), is shown instead.")
