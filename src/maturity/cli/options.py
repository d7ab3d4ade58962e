"""Options, usage errors and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any, Iterator

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
