"""``maturity privacy plan`` and ``maturity privacy audit``: what a wave may release to clients."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import DEFAULT_DB
from .options import add_format_option, print_json

DEFAULT_PARAMS = Path("parameters") / "benchmark.yaml"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "privacy", parents=[common],
        help="build and audit a wave's release plan (what clients may see)",
        description="The release plan fixes, once per wave, the peer groups and figures clients may see; "
                    "the audit checks that no combination of them reveals an organisation's answers.",
    )
    actions = p.add_subparsers(dest="privacy_command", metavar="ACTION")
    actions.required = True
    for name, helptext, func in (
        ("plan", "build the wave's release plan, audit it and store it with the wave (exit 1 if unsafe)", run_plan),
        ("audit", "print the plan the kit would use and audit it (exit 1 if unsafe)", run_audit),
    ):
        a = actions.add_parser(name, parents=[common], help=helptext, description=helptext)
        a.add_argument("--db", default=str(DEFAULT_DB), metavar="PATH", help=f"benchmark database (default {DEFAULT_DB})")
        a.add_argument("--wave", default=None, metavar="W", help="wave label (default: the latest)")
        a.add_argument("--params", default=None, metavar="FILE",
                       help=f"settings file with a privacy: section (default {DEFAULT_PARAMS} when it exists)")
        add_format_option(a)
        a.set_defaults(func=func)


def _settings(params: str | None):
    from ..benchmarking.release_plan import PrivacySettings

    if params is None and DEFAULT_PARAMS.is_file():
        params = str(DEFAULT_PARAMS)
    return PrivacySettings.from_file(params), params


def _show(report, fmt: str) -> int:
    if fmt == "json":
        print_json(report.to_dict())
    else:
        print(report.to_text())
    return 0 if report.safe else 1


def run_plan(args: argparse.Namespace) -> int:
    from ..benchmarking.wave_models import save_release_plan
    from ..data.store import BenchmarkStore

    settings, _ = _settings(args.params)
    with BenchmarkStore(args.db) as store:
        _plan, report = save_release_plan(store, args.wave, settings)
    return _show(report, args.format)


def run_audit(args: argparse.Namespace) -> int:
    from ..benchmarking.wave_models import audit_wave_release
    from ..data.store import BenchmarkStore

    settings = _settings(args.params)[0] if args.params is not None else None
    with BenchmarkStore(args.db, read_only=True) as store:
        report = audit_wave_release(store, args.wave, settings, fallback=_settings(None)[0])
    return _show(report, args.format)
