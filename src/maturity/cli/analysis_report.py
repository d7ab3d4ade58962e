"""``maturity analysis``: the analysis notebook on one's own data, as a report (HTML, PDF)."""

from __future__ import annotations

import argparse

from ..config import DEFAULT_SEED
from ..errors import ParametersError, StoreError
from .options import add_framework_option, as_usage_error


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "analysis", parents=[common],
        help="the analysis report of a survey file or a database wave (HTML, optionally PDF)",
        description=(
            "Run the analysis notebook (data quality, reliability, factor fit, fair comparisons, "
            "segments, drivers, barriers) on a survey file or a database wave and write it as a report "
            "without code: OUT/benchmark_analysis.html, the executed notebook beside it, and with --pdf "
            "OUT/benchmark_analysis.pdf. `maturity demo` makes the same report for its synthetic wave."
        ),
    )
    p.add_argument("data", nargs="?", metavar="DATA", help="a survey file, or a folder of them (default: read --db)")
    p.add_argument("--db", default=None, metavar="PATH", help="benchmark database (instead of DATA)")
    p.add_argument("--wave", default=None, help="wave of the database (default: the latest)")
    add_framework_option(p)
    p.add_argument("--out", default="outputs/analysis", metavar="DIR", help="output folder (default outputs/analysis)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed of segments and bootstraps (default {DEFAULT_SEED})")
    p.add_argument("--pdf", action="store_true", help="also print the report to an A4 PDF (needs Chromium)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # imported here: the notebook machinery is slow to import and only this command needs it
    from ..reporting.analysis_report import analysis_source, run_analysis_report

    with as_usage_error(ParametersError, StoreError):  # what to read: checked before anything runs
        analysis_source(args.data, args.db, args.wave)
    report = run_analysis_report(args.out, data=args.data, db=args.db, wave=args.wave, framework=args.framework,
                                 seed=args.seed, pdf=args.pdf, progress=True)
    print(f"analysis report: {report.html}")
    print(f"analysis notebook: {report.notebook}")
    if report.pdf is not None:
        print(f"analysis PDF: {report.pdf}")
    return 0
