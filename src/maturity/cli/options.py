"""Options, usage errors and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import MaturityError
from ..framework import Framework, load_framework
from ..values import json_safe


class UsageError(MaturityError):
    """The command was called wrongly (conflicting, missing or impossible options): exit 2.

    Raised by the command line only; the library raises the domain error that fits
    (e.g. :class:`~maturity.errors.ParametersError`).
    """


@contextlib.contextmanager
def as_usage_error(*errors: type[MaturityError]) -> Iterator[None]:
    """Report ``errors`` raised inside the block as a usage error: there, the library checks
    values that come straight from the command's options."""
    try:
        yield
    except errors as exc:
        raise UsageError(str(exc)) from exc

if TYPE_CHECKING:  # the server module is imported only by the commands that start one
    from ..dashboard.server import DashboardServer


def add_framework_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--framework", metavar="F", default=None,
                        help="framework YAML file (default: the packaged six-strand framework)")


def add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")


def framework_from(args: argparse.Namespace) -> Framework:
    return load_framework(getattr(args, "framework", None))


def print_json(data: Any) -> None:
    """Print JSON to stdout (NaN as null)."""
    json.dump(json_safe(data), sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
    sys.stdout.write("\n")


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def seconds(text: str) -> float:
    """argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def serve(server: "DashboardServer", title: str, what: str, notes: tuple[str, ...] = ()) -> int:
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
