"""What ``maturity dashboard`` and ``maturity quickcheck`` tell the notebook they serve.

The server passes its settings through environment variables, and the page touches a
marker file once it is built. Kept apart from the server and the apps so that the Quick
Check (a client surface) needs nothing else from them.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_DB", "ENV_WAVE", "ENV_CLIENT", "ENV_MIN_GROUP", "ENV_COLLECT", "ENV_READY", "mark_ready"]

ENV_DB = "MATURITY_DASHBOARD_DB"
ENV_WAVE = "MATURITY_DASHBOARD_WAVE"
ENV_CLIENT = "MATURITY_DASHBOARD_CLIENT"
ENV_MIN_GROUP = "MATURITY_DASHBOARD_MIN_GROUP"
ENV_COLLECT = "MATURITY_QUICKCHECK_COLLECT"
#: File the page touches once built (the server waits for it before announcing the address).
ENV_READY = "MATURITY_DASHBOARD_READY_FILE"


def mark_ready() -> None:
    """Tell ``maturity dashboard`` the page is built (so it can announce the address)."""
    marker = os.environ.get(ENV_READY)
    if marker:
        Path(marker).touch()
