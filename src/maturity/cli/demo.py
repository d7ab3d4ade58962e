"""``maturity demo``."""

from __future__ import annotations

import argparse

from ..config import DEFAULT_SEED
from .options import UsageError, positive_int


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "demo", parents=[common],
        help="run the whole kit on a synthetic benchmark",
        description="Generate a synthetic benchmark, analyse it and write the reports.",
    )
    p.add_argument("--out", default="outputs/demo", metavar="DIR", help="output folder (default outputs/demo)")
    p.add_argument("--orgs", type=int, default=600, metavar="N", help="organisations to generate (default 600)")
    p.add_argument("--seed", type=int, default=None, help=f"random seed (default from parameters/benchmark.yaml, else {DEFAULT_SEED})")
    p.add_argument("--clients", type=int, default=5, metavar="K",
                   help="client reports to write and run as a batch (default 5; 0 for none)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="W",
                   help="client reports run at once (default: the number of cores)")
    p.add_argument("--params", default=None, metavar="FILE",
                   help="benchmark run defaults (default parameters/benchmark.yaml when it exists)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..demo.run import run_demo  # imported here: it pulls in the notebook machinery

    if args.orgs < 10:
        raise UsageError("--orgs must be at least 10")
    if args.clients < 0:
        raise UsageError("--clients must be 0 or more")
    params = args.params
    if params is None and Path("parameters/benchmark.yaml").is_file():
        params = "parameters/benchmark.yaml"
    result = run_demo(args.out, n_orgs=args.orgs, seed=args.seed, parameters=params,
                      n_clients=args.clients, workers=args.workers)
    print(result.summary(command=_invocation()))
    return result.batch.exit_code if result.batch is not None else 0


def _invocation() -> str:
    """How the user called us, so printed commands can be pasted as they are."""
    import os
    import sys
    from pathlib import Path

    called = sys.argv[0] if sys.argv else ""
    if Path(called).name == "maturity" and os.sep in called:
        try:
            return str(Path(called).resolve().relative_to(Path.cwd()))
        except ValueError:
            return called
    return "maturity"
