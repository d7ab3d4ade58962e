"""What a client's results were made from (the ``provenance`` block of ``results.json``).

A report handed to a client may be questioned months later, or after the kit was upgraded.
The provenance block records everything needed to recompute the results and to tell why
they would differ: fingerprints of the stored wave's data, of the framework and of the
segment model used, the kit version, the parameters (with the wave resolved) and the seeds.
``maturity verify`` (:mod:`maturity.batch.verify`) recomputes a batch from it.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..framework_document import framework_fingerprint
from ..version import __version__

if TYPE_CHECKING:
    from ..data.store import BenchmarkStore
    from ..framework import Framework
    from .client_parameters import ClientParameters

__all__ = ["PROVENANCE_FORMAT", "client_provenance", "file_fingerprint", "document_fingerprint"]

#: Identifies the layout of the provenance block.
PROVENANCE_FORMAT = "maturity/provenance/1"
#: Libraries whose versions can move a figure (recorded, reported by ``verify`` when they differ).
LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "duckdb")


def document_fingerprint(document: Any) -> str:
    """``"sha256:<hex>"`` of a JSON document in canonical form (sorted keys)."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return f"sha256:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def file_fingerprint(path: str | Path) -> str:
    """``"sha256:<hex>"`` of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def client_provenance(
    params: "ClientParameters",
    store: "BenchmarkStore",
    wave: str,
    framework: "Framework",
    results: Mapping[str, Any],
    *,
    seeds: Mapping[str, int],
    data_fingerprint: str | None = None,
) -> dict[str, Any]:
    """The provenance block of a client's results.

    Parameters
    ----------
    params : ClientParameters
        The client parameters the results were computed from.
    store : BenchmarkStore
        The open benchmark database.
    wave : str
        The wave label the results describe (``params.wave`` resolved).
    framework : Framework
        The framework used to score and describe the wave.
    results : mapping
        The results themselves (their ``method`` and ``segment`` say how figures were made).
    seeds : mapping
        Seeds of the random steps, by name (e.g. ``bootstrap``, ``segments``, ``importance``).
    data_fingerprint : str, optional
        The wave's data fingerprint as recorded when it was published (default: computed).

    Returns
    -------
    dict
        JSON-safe; the layout is documented in ``docs/results-schema.md``.
    """

    interval = results.get("method", {}).get("interval", {})
    segment = results.get("segment")
    saved = store.load_artifact(wave, "segments") if segment is not None else None
    if segment is None:
        segments = {"source": None, "fingerprint": None}
    elif saved is not None:
        segments = {"source": "saved", "fingerprint": document_fingerprint(saved)}
    else:
        segments = {"source": "fitted", "fingerprint": None}
    return {
        "format": PROVENANCE_FORMAT,
        "kit_version": __version__,
        "wave": str(wave),
        "data_fingerprint": data_fingerprint or store.wave_fingerprint(wave),
        "framework": {
            "id": framework.id,
            "version": framework.version,
            "fingerprint": framework_fingerprint(framework),
            "file": str(params.framework) if params.framework else None,
        },
        "responses_fingerprint": file_fingerprint(params.responses) if params.responses else None,
        "segments": segments,
        "parameters": params.to_notebook_parameters(),
        "seeds": {**{k: int(v) for k, v in seeds.items()}, "n_boot": int(interval.get("n_boot", 0))},
        "environment": _versions(),
    }
