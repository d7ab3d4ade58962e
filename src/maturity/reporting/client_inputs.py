"""The client report notebook's input: its results, read from a file or computed.

Kept apart from :mod:`maturity.reporting.report_blocks` (which only presents results, and
which the Quick Check uses too): computing results opens the benchmark database.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..benchmarking.client_parameters import parse_client_parameters
from ..clients.results import client_results
from ..errors import ReportError

__all__ = ["load_results"]

_PARAMETER_FIELDS = (
    "client_id", "organisation", "responses", "db", "wave", "peers", "compare_to",
    "min_group_size", "framework", "title",
)


def load_results(results_path: str | os.PathLike | None = None, **parameters: Any) -> dict[str, Any]:
    """The client's results: read from ``results_path``, or computed from the parameters.

    Parameters
    ----------
    results_path : path, optional
        A ``results.json`` written by the batch runner before the notebook runs.
    **parameters
        The client parameters fields (``client_id``, ``organisation`` or ``responses``, ``db``,
        ``wave``, ``peers``, ``compare_to``, ``min_group_size``, ``framework``,
        ``title``), used when no results file is given. Relative paths resolve against
        the working folder.

    Raises
    ------
    ReportError
        The results file cannot be read.
    ParametersError, DataError, StoreError
        From :func:`maturity.clients.results.client_results`.
    """
    if results_path:
        path = Path(results_path)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ReportError(f"results file {path} not found") from None
        except (OSError, ValueError) as exc:
            raise ReportError(f"results file {path} cannot be read: {exc}") from None
    given = {k: v for k, v in parameters.items() if k in _PARAMETER_FIELDS and v is not None}
    params = parse_client_parameters(given, base_dir=Path.cwd())
    return client_results(params)
