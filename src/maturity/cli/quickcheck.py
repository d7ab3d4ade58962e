"""``maturity quickcheck``: take the survey in the browser and see your benchmark at once."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from ..errors import ParametersError, StoreError
from .options import as_usage_error, positive_int


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "quickcheck", parents=[common],
        help="start the quick check: answer the survey in a browser and see the benchmark at once",
        description=(
            "Start the quick check: a respondent answers the survey in the browser and sees at once "
            "where the organisation stands against a peer group the wave's published table releases, "
            "its priorities and the findings, and can download the report. One small web server serves "
            "every respondent (no kernel per visitor); only the wave's published table is read. With "
            "--collect every submission is written to DIR as one file, which `maturity import DIR --wave W` "
            "imports as a wave; without it nothing is stored. Binds 127.0.0.1 unless --host says "
            "otherwise; beyond loopback the printed link carries a secret token, and only the Host names "
            "allowed (loopback, --host, --allow-host) are answered."
        ),
    )
    p.add_argument("--db", metavar="PATH", default=None, help="benchmark database (default outputs/benchmark.duckdb)")
    p.add_argument("--wave", default=None, help="wave respondents are compared with (default: the latest)")
    p.add_argument("--collect", metavar="DIR", default=None,
                   help="folder each submission is written to, one file each (created when missing)")
    p.add_argument("--port", type=int, default=None, metavar="P", help="port (default: first free from 8866)")
    p.add_argument("--host", default="127.0.0.1", metavar="H", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a Host name browsers may use besides loopback and --host, e.g. the public name a "
                        "reverse proxy forwards (repeatable)")
    p.add_argument("--max-submissions", type=positive_int, default=1000, metavar="N",
                   help="new submissions the server writes to --collect in one run (default 1000)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..benchmarking.wave_models import ensure_publication
    from ..dashboard.access import tls_warning
    from ..dashboard.quickcheck_server import QuickCheckLimits, QuickCheckServer, QuickCheckService
    from ..dashboard.server import check_server_inputs, free_port
    from ..dashboard.submissions import check_collect_folder

    # Everything rejected before the server starts comes from the options: the database,
    # the wave, the collection folder, the port (a usage error, exit 2).
    with as_usage_error(ParametersError, StoreError):
        db, label = check_server_inputs(db=args.db, wave=args.wave)
        folder = check_collect_folder(args.collect) if args.collect else None
        if args.port is not None and not 0 < args.port < 65536:
            raise ParametersError(f"port {args.port} is not a valid port")
        # The quick check reads only the wave's published table: publish it first if needed.
        ensure_publication(db, label, echo=lambda line: print(line, flush=True))
        print("Starting the quick check...", flush=True)
        port = args.port if args.port is not None else free_port(args.host)
        service = QuickCheckService(db, wave=label, collect=folder,
                                    limits=QuickCheckLimits(new_per_run=args.max_submissions))
        server = QuickCheckServer(service, host=args.host, port=port, allow_hosts=args.allow_host)
        try:
            server.start()
        except OSError as exc:
            raise ParametersError(f"cannot listen on {args.host}:{port}: {exc.strerror or exc}") from None
    _log_to_stderr()
    print(f"Quick check running at {server.url}  (press Ctrl-C to stop)", flush=True)
    if folder is not None:
        print(f"Submissions are written to {folder}, one file each (import them with "
              f"`maturity import {folder} --wave W`); at most {args.max_submissions} in this run.", flush=True)
    else:
        print("Submissions are not stored (start with --collect DIR to keep them).", flush=True)
    print(f"Answering requests for: {', '.join(sorted(server.allowed))}", flush=True)
    if server.token:
        print(tls_warning(server.url), file=sys.stderr, flush=True)
    return _wait(server)


def _log_to_stderr() -> None:
    """Failures (with their tracebacks) go to the operator's terminal, never to a browser."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.ERROR)  # refusals are answered, not alarms


def _wait(server) -> int:  # noqa: ANN001 - a QuickCheckServer
    """Serve until Ctrl-C, SIGTERM or SIGHUP, then stop cleanly."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    try:
        while server.running() and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping the quick check.", flush=True)
        server.stop()
    return 0
