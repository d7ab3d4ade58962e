"""``maturity learners``: whether a wave's learner answers describe their organisations."""

from __future__ import annotations

import argparse

from ..config import DEFAULT_MIN_GROUP_SIZE, DEFAULT_MIN_LEARNERS
from ..data.store import DEFAULT_DB
from .options import add_format_option, positive_int, print_json

_COLUMNS = ("n_learners", "n_organisations", "icc1", "icc2", "rwg_j")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``learners``."""
    p = sub.add_parser(
        "learners", parents=[common], help="ICC(1), ICC(2) and rwg(j) of a wave's learner answers",
        description="Per item and per scale of the wave's learner framework: learners and organisations counted, "
                    "ICC(1) and ICC(2) (one-way ANOVA, Bliese) and mean rwg(j) agreement (uniform null). Only "
                    "organisations with at least --min-learners learners count; a measure with fewer than "
                    "--min-group-size such organisations shows no statistics.",
    )
    p.add_argument("--db", default=str(DEFAULT_DB), metavar="PATH", help=f"benchmark database (default {DEFAULT_DB})")
    p.add_argument("--wave", default=None, metavar="W", help="wave (default the latest)")
    p.add_argument("--min-learners", type=positive_int, default=DEFAULT_MIN_LEARNERS, metavar="N",
                   help=f"fewest learners of an organisation behind any figure (default {DEFAULT_MIN_LEARNERS})")
    p.add_argument("--min-group-size", type=positive_int, default=DEFAULT_MIN_GROUP_SIZE, metavar="N",
                   help=f"fewest organisations behind a statistic (default {DEFAULT_MIN_GROUP_SIZE})")
    add_format_option(p)
    p.set_defaults(func=run_learners)


def run_learners(args: argparse.Namespace) -> int:
    from ..analysis.learners import learner_reliability
    from ..config import check_min_group_size
    from ..data.learner_tables import learner_framework, learner_organisation_summary
    from ..data.store import BenchmarkStore
    from ..errors import ParametersError
    from .options import as_usage_error

    with as_usage_error(ParametersError):
        min_learners = check_min_group_size(args.min_learners, where="--min-learners")
        min_group_size = check_min_group_size(args.min_group_size, where="--min-group-size")
    with BenchmarkStore(args.db, read_only=True) as store:
        wave = store.resolve_wave(args.wave)
        framework = learner_framework(store, wave)
        summary = learner_organisation_summary(store, wave)
    table = learner_reliability(summary, framework, min_learners=min_learners, min_group_size=min_group_size)
    if args.format == "json":
        sections = {kind + "s": {measure: {c: row[c] for c in _COLUMNS}
                                 for measure, row in table[table["kind"] == kind].iterrows()}
                    for kind in ("item", "scale")}
        print_json({"database": str(args.db), "wave": wave, "framework": framework.id,
                    "min_learners": min_learners, "min_group_size": min_group_size, **sections})
        return 0
    print(f"{args.db}, wave {wave}: learners ({framework.id}); organisations with at least {min_learners} "
          f"learners; statistics need {min_group_size} organisations")
    shown = table[list(_COLUMNS)].copy()
    shown.insert(0, "kind", table["kind"])
    print(shown.to_string(float_format=lambda x: f"{x:.3f}", na_rep="-"))
    return 0
