"""Client parameters files for the demo: a spread of organisations with meaningful peer groups.

The demo shows what a consultancy's batch looks like: K clients picked deterministically
from the benchmark wave (evenly spread over the maturity index, so the reports range from a
starting to a leading organisation), each compared with a peer group large enough to show
its statistics (a demographic the client shares with at least ``4 * min_group_size``
organisations, so that even the top quartile of the peers can be shown; a real panel has
small sectors and regions, which are passed over), with varying comparison points.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import yaml

from ..benchmarking.peers import COMPARISON_POINTS
from ..files import write_text
from ..framework import INDEX_COLUMN, Framework
from ..scoring import score_responses

#: A demo client's peer group holds at least this many times the minimum group size, so
#: that its top quartile passes the privacy rule too.
PEER_GROUP_FACTOR = 4


def pick_demo_clients(
    responses: pd.DataFrame,
    framework: Framework,
    k: int,
    *,
    min_group_size: int = 5,
    wave: str | None = None,
) -> list[dict]:
    """Choose ``k`` client organisations and their peer filters.

    Parameters
    ----------
    responses : DataFrame
        The wave's responses (id column or index = organisation id).
    framework : Framework
    k : int
        Number of clients (at most the number of scored organisations).
    min_group_size : int
        Privacy threshold; a peer group is chosen only with at least four times as many
        members (:data:`PEER_GROUP_FACTOR`).
    wave : str, optional
        Written into each file when given.

    Returns
    -------
    list of dict
        client parameters fields without ``db``: ``client_id``, ``organisation``, ``peers``,
        ``compare_to`` (and ``wave``), in order of increasing maturity index.
    """
    if k < 0:
        raise ValueError("k must be at least 0")
    frame = framework.by_id(responses)
    index = score_responses(frame, framework)[INDEX_COLUMN].dropna().sort_values(kind="stable")
    k = min(k, len(index))
    positions = [int((i + 0.5) * len(index) / k) for i in range(k)] if k else []
    demographics = [d.id for d in framework.demographics if d.id in frame.columns]
    clients = []
    for i, pos in enumerate(positions):
        org = index.index[pos]
        peers: dict[str, list[str]] = {}
        # The first client is compared with the whole wave; the others with a demographic
        # group they belong to, rotating which demographic is tried first.
        if i > 0 and demographics:
            order = demographics[(i - 1) % len(demographics):] + demographics[:(i - 1) % len(demographics)]
            for dem in order:
                value = frame.at[org, dem]
                if pd.notna(value) and (frame[dem] == value).sum() >= PEER_GROUP_FACTOR * min_group_size:
                    peers = {dem: [str(value)]}
                    break
        entry = {
            "client_id": f"demo-{str(org).lower()}",
            "organisation": str(org),
            "peers": peers,
            "compare_to": COMPARISON_POINTS[(i + 1) % len(COMPARISON_POINTS)],
        }
        if wave is not None:
            entry["wave"] = str(wave)
        clients.append(entry)
    return clients


def write_client_files(folder: str | Path, clients: list[dict], db: str | Path) -> list[Path]:
    """Write one ``<client_id>.yaml`` per client into ``folder``, with ``db`` relative to it."""
    folder = Path(folder)
    db_rel = Path(os.path.relpath(Path(db).resolve(), folder.resolve())).as_posix()
    paths = []
    for client in clients:
        data = {"client_id": client["client_id"], "organisation": client["organisation"], "db": db_rel,
                **{k: v for k, v in client.items() if k not in {"client_id", "organisation"} and v not in (None, {})}}
        header = "# Client report parameters, written by `maturity demo`.\n"
        paths.append(write_text(folder / f"{client['client_id']}.yaml", header + yaml.safe_dump(data, sort_keys=False)))
    return paths
