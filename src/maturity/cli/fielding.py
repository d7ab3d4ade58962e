"""``maturity questionnaire``: the framework's questionnaire for a survey platform or paper."""

from __future__ import annotations

import argparse

from ..errors import ParametersError
from .options import add_framework_option, as_usage_error, framework_from


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``questionnaire``."""
    from ..fielding import FORMATS, SUFFIXES

    p = sub.add_parser(
        "questionnaire", parents=[common], help="write the framework's questionnaire for a survey platform",
        description="Write the framework's questionnaire: an XLSForm for KoboToolbox, ODK and Ona, a Qualtrics "
                    ".qsf, a LimeSurvey .txt survey structure, or a printable HTML page. Question names are the "
                    "framework's ids and the framework id and version travel with every response, so the "
                    "platform's export reads back with `maturity validate`/`import` without mapping.",
    )
    add_framework_option(p)
    p.add_argument("--format", required=True, choices=tuple(FORMATS),
                   help="; ".join(f"{f}: {'/'.join(s)}" for f, s in SUFFIXES.items()))
    p.add_argument("--out", required=True, metavar="FILE", help="file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..fielding import build_questionnaire, write_questionnaire

    framework = framework_from(args)
    with as_usage_error(ParametersError):  # --format and the --out suffix must agree
        path = write_questionnaire(framework, args.format, args.out)
    questionnaire = build_questionnaire(framework)
    print(f"wrote the {args.format} questionnaire of {questionnaire.id_label} "
          f"({len(questionnaire.sections)} sections, {len(questionnaire.questions)} questions) to {path}")
    return 0
