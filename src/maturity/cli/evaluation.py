"""``maturity evaluate``: a programme's evaluation at the four Kirkpatrick levels and its ROI."""

from __future__ import annotations

import argparse

from ..errors import ValidationFailed
from .options import add_format_option, positive_int, print_json, seconds


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``evaluate`` subcommand."""
    p = sub.add_parser(
        "evaluate", parents=[common],
        help="evaluate a learning programme (reaction, learning, behaviour, results, ROI) into a leader's report",
        description=(
            "Read an evaluation plan and its files, check them (every problem named with file, line, column and "
            "value; nothing is written or stored from rejected files), measure the four Kirkpatrick levels, isolate "
            "the programme's effect on each KPI and set its value against its cost. Writes OUT/evaluation.json and "
            "the report OUT/report.html (and report.pdf with --pdf)."
        ),
    )
    p.add_argument("plan", metavar="PLAN.yaml", help="evaluation plan (see docs/evaluation.md)")
    p.add_argument("--out", default="outputs/evaluation", metavar="DIR",
                   help="output folder (default outputs/evaluation)")
    p.add_argument("--pdf", action="store_true",
                   help="also print report.pdf (headless Chromium: apt-get install -y chromium)")
    p.add_argument("--no-report", dest="report", action="store_false",
                   help="write evaluation.json only (no notebook, no HTML)")
    p.add_argument("--db", default=None, metavar="PATH",
                   help="store the evaluation with a wave of this benchmark database and compare it with the "
                        "programmes stored there (the plan must name its organisation)")
    p.add_argument("--wave", default=None, metavar="W", help="wave to store it with (default the latest)")
    p.add_argument("--min-group-size", type=positive_int, default=None, metavar="N",
                   help="organisations needed behind a norm (default 5)")
    p.add_argument("--timeout", type=seconds, default=None, metavar="S", help="seconds a report cell may run")
    add_format_option(p)
    p.set_defaults(func=run_evaluate_command)


def run_evaluate_command(args: argparse.Namespace) -> int:
    from ..evaluation.narrative import evaluation_text
    from ..evaluation.run import run_evaluation

    try:
        run = run_evaluation(args.plan, args.out, report=args.report, pdf=args.pdf, db=args.db, wave=args.wave,
                             min_group_size=args.min_group_size, timeout=args.timeout)
    except ValidationFailed as exc:
        if args.format == "json" and isinstance(exc.report, dict):
            print_json({"accepted": False, "files": {k: r.to_dict() for k, r in exc.report.items()}})
            return 1
        raise
    if args.format == "json":
        print_json(run.evaluation)
        return 0
    print(evaluation_text(run.evaluation))
    print()
    print(f"evaluation: {run.json}")
    if run.html:
        print(f"report: {run.html}")
    if run.pdf:
        print(f"pdf: {run.pdf}")
    if run.stored:
        print(f"stored: {run.stored} in {args.db}")
    return 0
