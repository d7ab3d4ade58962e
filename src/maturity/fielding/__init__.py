"""Fielding the survey: the framework's questionnaire for survey platforms and paper.

:func:`write_questionnaire` writes one of :data:`FORMATS`:

- ``xlsform``: an XLSForm workbook for KoboToolbox, ODK Central and Ona (:mod:`.xlsform`);
- ``qsf``: a Qualtrics survey file (:mod:`.qualtrics_qsf`);
- ``limesurvey``: LimeSurvey's tab-separated survey structure (:mod:`.limesurvey`);
- ``html``: a printable, self-contained questionnaire (:mod:`.printable_html`).

All four walk the same format-neutral questionnaire (:mod:`.questionnaire`) and carry the
framework id and version, which the kit checks when it reads the responses back
(:mod:`maturity.data.platform_exports` knows the platforms' export layouts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import ParametersError
from ..framework import Framework
from .limesurvey import write_limesurvey
from .printable_html import write_html
from .qualtrics_qsf import write_qsf
from .questionnaire import Questionnaire, build_questionnaire
from .xlsform import write_xlsform

__all__ = ["FORMATS", "SUFFIXES", "Questionnaire", "build_questionnaire", "write_questionnaire"]

#: Format -> writer.
FORMATS: dict[str, Callable[[Framework, str | Path], Path]] = {
    "xlsform": write_xlsform,
    "qsf": write_qsf,
    "limesurvey": write_limesurvey,
    "html": write_html,
}
#: Format -> file extensions it may be written to.
SUFFIXES = {"xlsform": (".xlsx",), "qsf": (".qsf",), "limesurvey": (".txt",), "html": (".html", ".htm")}


def write_questionnaire(framework: Framework, fmt: str, path: str | Path) -> Path:
    """Write the framework's questionnaire in format ``fmt`` to ``path`` (atomically).

    Raises
    ------
    ParametersError
        For an unknown format, or a file extension the format does not use (a platform
        recognises its files by their extension).
    """
    if fmt not in FORMATS:
        raise ParametersError(f"unknown questionnaire format '{fmt}' (formats: {', '.join(FORMATS)})")
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES[fmt]:
        raise ParametersError(f"a {fmt} questionnaire is written to a file ending in {' or '.join(SUFFIXES[fmt])}, "
                         f"not '{path.name}'")
    return FORMATS[fmt](framework, path)
