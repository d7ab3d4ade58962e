"""``maturity dashboard``: the Voila dashboard for researchers and client presentations."""

from __future__ import annotations

import argparse

from ..errors import ParametersError, StoreError
from .options import as_usage_error, serve


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "dashboard", parents=[common],
        help="start the interactive dashboard (Voila)",
        description=(
            "Start the interactive dashboard. Without --client it is the researcher view of "
            "a whole wave; with --client it is locked to that client's organisation and shows "
            "peers only as aggregates. Binds 127.0.0.1 unless --host says otherwise."
        ),
    )
    p.add_argument("--db", metavar="PATH", default=None,
                   help="benchmark database (default: the client file's db, else outputs/benchmark.duckdb)")
    p.add_argument("--client", metavar="FILE", default=None, help="client parameters file: client mode")
    p.add_argument("--wave", default=None, help="initial wave (default: the latest)")
    p.add_argument("--min-group-size", type=int, default=None, metavar="N",
                   help="smallest peer group whose statistics are shown (default 5, never below 3)")
    p.add_argument("--port", type=int, default=None, metavar="P", help="port (default: first free from 8866)")
    p.add_argument("--host", default="127.0.0.1", metavar="H", help="interface to bind (default 127.0.0.1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..benchmarking.client_parameters import load_client_parameters
    from ..benchmarking.wave_models import ensure_publication
    from ..dashboard.server import check_server_inputs, start_dashboard

    if args.client:
        load_client_parameters(args.client)  # a bad client file is rejected input (exit 1)
    # Everything else is checked before anything listens, as a usage error (exit 2): the
    # database, the wave, the client's organisation in it, the minimum group size, the port.
    with as_usage_error(ParametersError, StoreError):
        db, label = check_server_inputs(db=args.db, wave=args.wave, client=args.client)
        if args.client:  # a client's screen reads only the wave's published table
            ensure_publication(db, label, echo=lambda line: print(line, flush=True))
        print("Starting the dashboard...", flush=True)
        server = start_dashboard(db=args.db, client=args.client, wave=args.wave, min_group_size=args.min_group_size,
                                 host=args.host, port=args.port)
    mode = "client mode" if args.client else "researcher mode"
    return serve(server, f"Dashboard ({mode})", "dashboard")

