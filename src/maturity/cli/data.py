"""``maturity validate``, ``import``, ``score`` and ``waves``: survey files and the benchmark database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from ..data.problems import SHOWN_PROBLEMS, ValidationReport
from ..data.store import DEFAULT_DB
from ..files import TABLE_SUFFIXES, spreadsheet_safe, write_table
from .options import UsageError, add_format_option, add_framework_option, framework_from, print_json


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``validate``, ``import``, ``score`` and ``waves``."""
    p = sub.add_parser(
        "validate", parents=[common], help="check a survey file against the framework",
        description="Check a survey file against the framework and report every problem with its row "
                    "and column. Exit 0 when the file is accepted, 1 when it is rejected.",
    )
    _add_data_options(p)
    add_format_option(p)
    p.set_defaults(func=run_validate)

    p = sub.add_parser(
        "import", parents=[common], help="validate a survey file and add it to the benchmark database as a wave",
        description="Validate a survey file (or a folder of them, read as one table) and store it, with its "
                    "scores, as one wave of the benchmark database, in a single transaction. Importing the same "
                    "data again changes nothing.",
    )
    _add_data_options(p)
    p.add_argument("--wave", required=True, metavar="LABEL", help="wave label, e.g. 2026")
    p.add_argument("--db", default=str(DEFAULT_DB), metavar="PATH", help=f"benchmark database (default {DEFAULT_DB})")
    p.add_argument("--replace", action="store_true", help="replace the wave if it already holds different data")
    p.add_argument("--level", choices=("organisation", "learner"), default="organisation",
                   help="organisation: the benchmark survey (default); learner: staff answers to a learner framework "
                        "(default learner-voice), added to the existing wave --wave")
    p.add_argument("--organisation-column", default=None, metavar="COL",
                   help="with --level learner: the column naming each learner's organisation (default organisation_id)")
    add_format_option(p)
    p.set_defaults(func=run_import)

    p = sub.add_parser(
        "score", parents=[common], help="score every organisation of a survey file or a database wave",
        description="One row per organisation: id, name, strand scores, maturity index and outcome-group "
                    "scores (0-100). Written to --out (.csv, .xlsx, .parquet or .json) or as CSV to stdout.",
    )
    p.add_argument("data", nargs="?", metavar="DATA", help="a survey file (default: read --db)")
    _add_data_options(p, positional=False)
    p.add_argument("--db", default=None, metavar="PATH", help=f"benchmark database (default {DEFAULT_DB} without DATA)")
    p.add_argument("--wave", default=None, metavar="W", help="wave of the database (default the latest)")
    p.add_argument("--out", default=None, metavar="FILE", help=f"output file ({', '.join(TABLE_SUFFIXES)})")
    p.set_defaults(func=run_score)

    p = sub.add_parser(
        "waves", parents=[common], help="list the waves of the benchmark database",
        description="List the waves of the benchmark database with their framework, source and counts.",
    )
    p.add_argument("--db", default=str(DEFAULT_DB), metavar="PATH", help=f"benchmark database (default {DEFAULT_DB})")
    add_format_option(p)
    p.set_defaults(func=run_waves)


def _add_data_options(p: argparse.ArgumentParser, positional: bool = True) -> None:
    if positional:
        p.add_argument("data", metavar="DATA",
                       help="survey file (.csv/.tsv/.txt, .xlsx, .sav or .parquet), or a folder of them read as one "
                            "table, e.g. the submissions of `maturity quickcheck --collect`")
    add_framework_option(p)
    p.add_argument("--lenient", action="store_true",
                   help="set invalid answers to missing and skip unusable rows (each is listed) instead of rejecting")
    p.add_argument("--sheet", default=None, metavar="S", help="worksheet of an .xlsx file: name or number (default the first)")
    p.add_argument("--id-column", default=None, metavar="C",
                   help="column holding the organisation id (default the framework's id column)")


def _validate(args: argparse.Namespace, framework) -> tuple[pd.DataFrame | None, ValidationReport]:
    from ..data.raw_tables import read_table
    from ..data.responses import validate_table

    table = read_table(args.data, sheet=args.sheet)
    return validate_table(table, framework, id_column=args.id_column, lenient=args.lenient)


def _print_rejected(report: ValidationReport, stream=None) -> None:
    print(report.to_text(limit=SHOWN_PROBLEMS), file=stream or sys.stdout)


# --- validate ------------------------------------------------------------------------------------------


def run_validate(args: argparse.Namespace) -> int:
    framework = framework_from(args)
    _, report = _validate(args, framework)
    if args.format == "json":
        print_json(report.to_dict())
    else:
        print(report.to_text())
    return 0 if report.ok else 1


# --- import -------------------------------------------------------------------------------------------------


def run_import(args: argparse.Namespace) -> int:
    from ..data.store import BenchmarkStore

    if args.level == "learner":
        return _import_learners(args)
    if args.organisation_column is not None:
        raise UsageError("--organisation-column applies to --level learner")
    framework = framework_from(args)
    responses, report = _validate(args, framework)
    if responses is None:
        if args.format == "json":
            print_json({"report": report.to_dict(), "import": None})
        else:
            _print_rejected(report)
        print(f"error: {args.data} was rejected; nothing was imported", file=sys.stderr)
        return 1
    with BenchmarkStore(args.db) as store:
        result = store.import_responses(responses, framework, args.wave, source=args.data, replace=args.replace)
    if args.format == "json":
        print_json({"report": report.to_dict(), "import": {
            "wave": result.wave, "status": result.status, "database": result.database,
            "n_organisations": result.n_organisations, "n_new": result.n_new, "n_returning": result.n_returning,
            "source": result.source_name, "source_sha256": result.source_sha256,
        }})
    else:
        if report.problems:
            print(report.to_text())
        print(result.message)
    return 0


def _import_learners(args: argparse.Namespace) -> int:
    from ..data.learners import DEFAULT_ORGANISATION_COLUMN, import_learners
    from ..data.store import BenchmarkStore
    from ..errors import StoreError, ValidationFailed
    from ..framework import load_framework

    if args.lenient or args.sheet is not None or args.id_column is not None:
        raise UsageError("--lenient, --sheet and --id-column apply to organisation files, not to --level learner")
    framework = load_framework(args.framework or "learner-voice")
    if not Path(args.db).is_file():  # learners join a wave: never create an empty database for them
        raise StoreError(f"no benchmark database at {args.db}; import the organisation survey of wave {args.wave} "
                         "first (`maturity import DATA --wave LABEL`)")
    with BenchmarkStore(args.db) as store:
        try:
            result = import_learners(store, args.data, args.wave, framework,
                                     organisation_column=args.organisation_column or DEFAULT_ORGANISATION_COLUMN,
                                     replace=args.replace)
        except ValidationFailed as exc:
            if args.format == "json":
                print_json({"report": exc.report.to_dict(), "import": None})
            else:
                _print_rejected(exc.report)
            print(f"error: {args.data} was rejected; nothing was imported", file=sys.stderr)
            return 1
    if args.format == "json":
        print_json({"import": {
            "wave": result.wave, "level": "learner", "status": result.status, "database": result.database,
            "n_learners": result.n_learners, "n_organisations": result.n_organisations,
            "source": result.source_name, "source_sha256": result.source_sha256,
        }})
    else:
        print(result.message)
    return 0


# --- score -----------------------------------------------------------------------------------------------------


def run_score(args: argparse.Namespace) -> int:
    if args.out is not None and Path(args.out).suffix.lower() not in TABLE_SUFFIXES:
        raise UsageError(f"--out must end in {', '.join(TABLE_SUFFIXES)}")
    if args.data is not None and args.db is not None:
        raise UsageError("give either DATA or --db, not both")
    if args.data is not None:
        if args.wave is not None:
            raise UsageError("--wave applies to --db, not to a survey file")
        table = _score_file(args)
        if table is None:
            return 1
    else:
        table = _score_db(args)
    if args.out is None:
        spreadsheet_safe(table).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        write_table(args.out, table)
        print(f"wrote {len(table)} organisations' scores to {args.out}", file=sys.stderr)
    return 0


def _score_table(responses: pd.DataFrame, scores: pd.DataFrame, outcomes: pd.DataFrame, framework) -> pd.DataFrame:
    """Id, name, strand scores, index and outcome-group scores, one row per organisation."""
    frame = framework.by_id(responses)
    table = pd.concat([scores, outcomes], axis=1).reindex(frame.index)
    table.insert(0, framework.name_column, frame[framework.name_column].to_numpy())
    table.index = table.index.astype(str)
    table.index.name = framework.id_column
    return table.reset_index()


def _score_file(args: argparse.Namespace) -> pd.DataFrame | None:
    from ..scoring import score_outcomes, score_responses

    framework = framework_from(args)
    responses, report = _validate(args, framework)
    if responses is None:
        _print_rejected(report, sys.stderr)
        return None
    if report.problems:
        print(report.to_text(), file=sys.stderr)
    return _score_table(responses, score_responses(responses, framework), score_outcomes(responses, framework), framework)


def _score_db(args: argparse.Namespace) -> pd.DataFrame:
    from ..data.population import wave_from_store
    from ..data.store import BenchmarkStore

    with BenchmarkStore(args.db or str(DEFAULT_DB), read_only=True) as store:
        # The scores stored at import, or the answers rescored with --framework.
        data = wave_from_store(store, args.wave, framework=args.framework)
    return _score_table(data.responses, data.scores, data.outcomes, data.framework)


# --- waves --------------------------------------------------------------------------------------------------------


def run_waves(args: argparse.Namespace) -> int:
    from ..data.learner_tables import learner_levels
    from ..data.store import BenchmarkStore

    with BenchmarkStore(args.db, read_only=True) as store:
        waves = store.waves()
        learners = learner_levels(store).set_index("wave")["n_learners"]
    # learners of the wave's learner level (0: none imported)
    waves.insert(waves.columns.get_loc("n_answers") + 1, "n_learners",
                 [int(learners.get(w, 0)) for w in waves["wave"]])
    if args.format == "json":
        records = waves.assign(
            imported_at=waves["imported_at"].map(lambda t: t.isoformat()),
            modified_at=waves["modified_at"].map(lambda t: t.isoformat()),
        ).to_dict(orient="records")
        print_json({"database": str(args.db), "waves": records})
        return 0
    if waves.empty:
        print(f"{args.db}: no waves yet (add one with `maturity import DATA --wave LABEL --db {args.db}`)")
        return 0
    shown = pd.DataFrame({
        "wave": waves["wave"],
        "framework": waves["framework_id"] + " " + waves["framework_version"],
        "imported (UTC)": waves["imported_at"].dt.strftime("%Y-%m-%d %H:%M"),
        "organisations": waves["n_organisations"],
        "returning": waves["n_returning"],
        "answers": waves["n_answers"],
        "learners": waves["n_learners"],
        "source": waves["source_name"],
    })
    print(f"{args.db}: {len(waves)} wave(s)")
    print(shown.to_string(index=False))
    return 0
