"""``maturity report`` (one client) and ``maturity batch`` (many clients, in parallel)."""

from __future__ import annotations

import argparse
import sys

from ..errors import ParametersError
from .options import UsageError, add_format_option, as_usage_error, positive_int, print_json, seconds


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``report`` and ``batch`` subcommands."""
    p = sub.add_parser(
        "report", parents=[common],
        help="produce one client's report (HTML, notebook, results.json)",
        description="Run the client report for one parameters file into OUT/clients/<client_id>/.",
    )
    p.add_argument("parameters", metavar="CLIENT.yaml", help="client parameters file")
    p.add_argument("--out", default="outputs/reports", metavar="DIR", help="output folder (default outputs/reports)")
    _add_notebook_option(p)
    p.add_argument("--timeout", type=seconds, default=None, metavar="S", help="give up after S seconds")
    _add_pdf_option(p)
    p.set_defaults(func=run_report_command)

    b = sub.add_parser(
        "batch", parents=[common],
        help="produce client reports for many parameters files, in parallel",
        description=(
            "Validate every client parameters file, skip clients whose outputs are up to date, and run "
            "the others in parallel (one process and kernel each). Writes OUT/clients/<client_id>/ and "
            "OUT/manifest.json. Exit 1 if any client failed."
        ),
    )
    b.add_argument("sources", nargs="+", metavar="DIR|FILES",
                   help="a folder of client parameters files (*.yaml) or the files themselves")
    b.add_argument("--out", default="outputs/batch", metavar="DIR", help="output folder (default outputs/batch)")
    b.add_argument("--workers", type=positive_int, default=None, metavar="W",
                   help="clients run at once (default: the number of cores)")
    _add_notebook_option(b)
    b.add_argument("--timeout", type=seconds, default=None, metavar="S",
                   help="seconds one client may take; then it is stopped and counted as failed")
    b.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="run on this machine (default) or on a Dask cluster")
    b.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler address (--executor dask)")
    b.add_argument("--force", action="store_true", help="redo clients whose outputs are up to date")
    _add_pdf_option(b)
    b.set_defaults(func=run_batch_command)

    v = sub.add_parser(
        "verify", parents=[common],
        help="recompute a finished batch's results from the database and report any difference",
        description=(
            "Read DIR/manifest.json, recompute the results of every finished client from the benchmark "
            "database with the parameters and seeds its results.json records, and compare them figure by "
            "figure (numbers within 1e-9) and fingerprint by fingerprint (the wave's data, the framework, "
            "the segment model). Exit 1 when anything differs."
        ),
    )
    v.add_argument("out", metavar="DIR", help="output folder of a batch (with manifest.json)")
    v.add_argument("--db", default=None, metavar="PATH",
                   help="recompute from this database instead of the one each client recorded")
    add_format_option(v)
    v.set_defaults(func=run_verify_command)


def _add_pdf_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pdf", action="store_true",
                        help="also print report.pdf beside report.html (A4, with headless Chromium: "
                             "apt-get install -y chromium; pip install 'maturity[pdf]')")


def _add_notebook_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notebook", default=None, metavar="NB",
                        help="report template with a cell tagged 'parameters' (default: the packaged client report)")


def run_report_command(args: argparse.Namespace) -> int:
    from ..batch.runner import run_report

    with as_usage_error(ParametersError):  # run_batch checks its arguments before any client runs
        result = run_report(args.parameters, args.out, notebook=args.notebook, timeout=args.timeout, pdf=args.pdf)
    (row,) = result.clients
    if row["status"] == "failed":
        print(f"error: {row['client_id']}: {row['error']}", file=sys.stderr)
        return 1
    print(f"report: {result.out / row['report_html']}")
    if row.get("report_pdf"):
        print(f"pdf: {result.out / row['report_pdf']}")
    print(f"results: {result.out / row['results_json']}")
    return 0


def run_batch_command(args: argparse.Namespace) -> int:
    from ..batch.runner import run_batch

    if args.scheduler and args.executor != "dask":
        raise UsageError("--scheduler is only used with --executor dask")
    if args.executor == "dask" and not args.scheduler:
        raise UsageError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    with as_usage_error(ParametersError):  # run_batch checks its arguments before any client runs
        result = run_batch(
            args.sources, args.out, workers=args.workers, notebook=args.notebook, timeout=args.timeout,
            executor=args.executor, scheduler=args.scheduler, force=args.force, pdf=args.pdf,
        )
    for line in result.summary().splitlines():
        print(line, file=sys.stderr if line.startswith("failed: ") else sys.stdout)
    return result.exit_code


def run_verify_command(args: argparse.Namespace) -> int:
    from ..batch.verify import verify_batch

    with as_usage_error(ParametersError):  # DIR is not the output folder of a batch
        report = verify_batch(args.out, db=args.db)
    if args.format == "json":
        print_json(report.to_dict())
    else:
        print(report.to_text())
    return report.exit_code
