"""The ``maturity`` command line.

Exit codes: 0 success; 1 input rejected or some work failed; 2 usage error. A user error
prints one short message; ``--debug`` adds the traceback. Each subcommand lives in its own
module with ``register(subparsers, common)`` that adds its parser and sets ``func``. Only the
command line maps errors to exit codes: a :class:`~maturity.cli.options.UsageError` (options
that cannot work) is 2, every other :class:`~maturity.errors.MaturityError` is 1.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from typing import Sequence

from ..errors import MaturityError
from ..version import __version__
from . import analysis, analysis_report, dashboard, data, demo, evaluation, fielding, learners, privacy, quickcheck, reports
from .options import UsageError

#: Subcommand modules, in the order ``maturity --help`` lists them.
COMMAND_MODULES = (demo, fielding, data, learners, analysis, analysis_report, reports, evaluation, dashboard, quickcheck, privacy)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for tests and documentation)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback when something fails")
    parser = argparse.ArgumentParser(
        prog="maturity",
        description="Research and benchmarking kit for learning-and-development maturity.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"maturity {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (also the process exit code)."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors
    debug = getattr(args, "debug", False)
    try:
        code = args.func(args)
    except MaturityError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, not a user error: still no traceback unless asked
        if debug:
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {exc} (run again with --debug for details)", file=sys.stderr)
        return 1
    return int(code or 0)


def exit_code(error: MaturityError) -> int:
    """The exit code of a user error: 2 for a usage error, 1 for everything else (input
    rejected, or work that failed)."""
    return 2 if isinstance(error, UsageError) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
