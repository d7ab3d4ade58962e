"""``maturity quickcheck``: take the survey in the browser and see your benchmark at once."""

from __future__ import annotations

import argparse

from ..errors import ParametersError, StoreError
from .options import as_usage_error, serve


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "quickcheck", parents=[common],
        help="start the quick check: answer the survey in a browser and see the benchmark at once (Voila)",
        description=(
            "Start the quick check: a respondent answers the survey in the browser and sees at once "
            "where the organisation stands against a peer group of the wave (from the wave's release "
            "plan), its priorities and the findings, and can download the report. The database is only "
            "read. With --collect every submission is written to DIR as one file, which "
            "`maturity import DIR --wave W` imports as a wave; without it nothing is stored. "
            "Binds 127.0.0.1 unless --host says otherwise."
        ),
    )
    p.add_argument("--db", metavar="PATH", default=None, help="benchmark database (default outputs/benchmark.duckdb)")
    p.add_argument("--wave", default=None, help="wave respondents are compared with (default: the latest)")
    p.add_argument("--collect", metavar="DIR", default=None,
                   help="folder each submission is written to, one file each (created when missing)")
    p.add_argument("--port", type=int, default=None, metavar="P", help="port (default: first free from 8866)")
    p.add_argument("--host", default="127.0.0.1", metavar="H", help="interface to bind (default 127.0.0.1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..benchmarking.wave_models import ensure_publication
    from ..dashboard.server import ENV_COLLECT, check_server_inputs, start_quickcheck

    # Everything rejected before the server starts comes from the options: the database,
    # the wave, the collection folder, the port (a usage error, exit 2).
    with as_usage_error(ParametersError, StoreError):
        db, label = check_server_inputs(db=args.db, wave=args.wave)
        # The quick check reads only the wave's published table: publish it first if needed.
        ensure_publication(db, label, echo=lambda line: print(line, flush=True))
        print("Starting the quick check...", flush=True)
        server = start_quickcheck(db=args.db, wave=args.wave, collect=args.collect, host=args.host, port=args.port)
    if args.collect:
        folder = server.settings[ENV_COLLECT]
        note = f"Submissions are written to {folder}, one file each (import them with `maturity import {folder} --wave W`)."
    else:
        note = "Submissions are not stored (start with --collect DIR to keep them)."
    return serve(server, "Quick check", "quick check", (note,))

