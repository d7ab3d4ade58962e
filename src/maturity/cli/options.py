"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..framework import Framework, load_framework
from ..values import json_safe


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
