"""``maturity dashboard``: the Voila dashboard for researchers and client presentations."""

from __future__ import annotations

import argparse

from ..errors import ParametersError, StoreError
from .options import as_usage_error, positive_int, seconds, serve


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
    p.add_argument("--host", default="127.0.0.1", metavar="H",
                   help="interface to bind (default 127.0.0.1); beyond loopback the link carries a secret token")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests for this host name, e.g. the public name a reverse proxy "
                        "forwards (repeatable); any other Host header is refused")
    p.add_argument("--require-token", action="store_true",
                   help="require the secret link token even on loopback (behind a public reverse proxy); "
                        "it is always required beyond loopback")
    p.add_argument("--max-viewers", type=positive_int, default=8, metavar="N",
                   help="viewers at once (one kernel of about 330 MB each); beyond them a 'busy' page (default 8)")
    p.add_argument("--idle-timeout", type=seconds, default=600, metavar="S",
                   help="free a viewer's kernel after this many idle seconds with the tab open (default 600)")
    p.add_argument("--disconnected-timeout", type=seconds, default=90, metavar="S",
                   help="free a kernel whose tab is gone after this many seconds (default 90)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..benchmarking.client_parameters import load_client_parameters
    from ..benchmarking.wave_models import ensure_publication
    from ..dashboard.access import new_token
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
                                 host=args.host, port=args.port, max_viewers=args.max_viewers,
                                 allow_hosts=args.allow_host, idle_timeout=args.idle_timeout,
                                 disconnected_timeout=args.disconnected_timeout,
                                 token=new_token() if args.require_token else None)
    mode = "client mode" if args.client else "researcher mode"
    notes = (f"Up to {args.max_viewers} viewers at once; idle kernels are freed after "
             f"{args.idle_timeout:.0f} s (tab open) or {args.disconnected_timeout:.0f} s (tab gone).",)
    if server.token:
        notes += ("Share the whole link: without its token the dashboard refuses the visit.",)
    return serve(server, f"Dashboard ({mode})", "dashboard", notes + server.warnings)

