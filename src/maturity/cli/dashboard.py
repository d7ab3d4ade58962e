"""``maturity dashboard``: the Voila dashboard for researchers and client presentations."""

from __future__ import annotations

import argparse
import signal
import threading


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
    from ..dashboard.server import start_dashboard

    print("Starting the dashboard...", flush=True)
    server = start_dashboard(db=args.db, client=args.client, wave=args.wave, min_group_size=args.min_group_size,
                             host=args.host, port=args.port)
    mode = "client mode" if args.client else "researcher mode"
    return serve(server, f"Dashboard ({mode})", "dashboard")


def serve(server, title: str, what: str, notes: tuple[str, ...] = ()) -> int:
    """Announce a started Voila server, keep it running until Ctrl-C, SIGTERM or SIGHUP,
    then stop it and its kernels; the exit code (0 after a clean stop)."""
    print(f"{title} running at {server.url}  (press Ctrl-C to stop)", flush=True)
    for note in notes:
        print(note, flush=True)
    # The server runs in its own session, so a terminating signal to us must stop it too.
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    try:
        while server.process.poll() is None and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print(f"Stopping the {what}.", flush=True)
        server.stop()
    return 0 if server.process.returncode in (0, -15, None) else 1
