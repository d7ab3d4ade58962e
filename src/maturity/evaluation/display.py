"""The evaluation report's blocks as notebook display objects (Markdown)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from IPython.display import Markdown

from . import narrative


def load_evaluation(path: str | Path) -> dict[str, Any]:
    """Read an ``evaluation.json``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _md(text: str) -> Markdown:
    return Markdown(text)


def answer(evaluation: Mapping[str, Any]) -> Markdown:
    """The one-page answer."""
    return _md(narrative.answer_markdown(evaluation))


def reaction(evaluation: Mapping[str, Any]) -> Markdown:
    return _md(narrative.reaction_markdown(evaluation))


def learning(evaluation: Mapping[str, Any]) -> Markdown:
    return _md(narrative.learning_markdown(evaluation))


def behaviour(evaluation: Mapping[str, Any]) -> Markdown:
    return _md(narrative.behaviour_markdown(evaluation))


def results(evaluation: Mapping[str, Any]) -> Markdown:
    return _md(narrative.results_markdown(evaluation))


def chain(evaluation: Mapping[str, Any]) -> Markdown:
    return _md(narrative.chain_markdown(evaluation))


def success_cases(evaluation: Mapping[str, Any]) -> Markdown:
    return _md(narrative.success_markdown(evaluation))


def norms(evaluation: Mapping[str, Any]) -> Markdown:
    return _md(narrative.norms_markdown(evaluation))


def method(evaluation: Mapping[str, Any]) -> Markdown:
    return _md(narrative.method_markdown(evaluation))
