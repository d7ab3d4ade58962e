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
        help="publish a wave once and audit it (what clients may see)",
        description="Publishing fixes, once per wave, the peer groups and figures clients may see (means, "
                    "coarsened distributions, top quartile and deck, segments, outcome shares); the audit checks "
                    "that no combination of them reveals an organisation's answers. Client reports, dashboards "
                    "and the Quick Check read only what was published.",
    )
    actions = p.add_subparsers(dest="privacy_command", metavar="ACTION")
    actions.required = True
    for name, helptext, func in (
        ("plan", "publish the wave: build its release plan and table of published figures, audit them and "
                 "store them with the wave (exit 1 if nothing safe can be published)", run_plan),
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
    from ..benchmarking.wave_models import save_publication
    from ..data.store import BenchmarkStore

    settings, _ = _settings(args.params)
    with BenchmarkStore(args.db) as store:
        document, report = save_publication(store, args.wave, settings)
    if args.format == "json":
        print_json({**report.to_dict(), "publication": _summary(document)})
    else:
        print(report.to_text())
        print("\n" + _summary_text(_summary(document)))
    return 0 if report.safe else 1


def _summary(document: dict) -> dict:
    """What was published, in brief (the whole table stays in the database)."""
    groups = [g for g in document["groups"] if g["released"]]
    bins = [len((g["scores"]["index"].get("distribution") or {}).get("counts", [])) for g in groups]
    return {
        "fingerprint": document["fingerprint"],
        "groups": len(groups),
        "index_bins": dict(zip((g["label"] for g in groups), bins)),
        "population": document["population"]["sentence"],
    }


def _summary_text(summary: dict) -> str:
    lines = [f"Published table {summary['fingerprint']}: {summary['groups']} peer groups.",
             f"  {summary['population']}", "  Bins of the maturity index (each holds no one or at least the minimum):"]
    lines += [f"    {label}: {n}" for label, n in summary["index_bins"].items()]
    return "\n".join(lines)


def run_audit(args: argparse.Namespace) -> int:
    from ..benchmarking.wave_models import audit_wave_release
    from ..data.store import BenchmarkStore

    settings = _settings(args.params)[0] if args.params is not None else None
    with BenchmarkStore(args.db, read_only=True) as store:
        report = audit_wave_release(store, args.wave, settings, fallback=_settings(None)[0])
    return _show(report, args.format)
