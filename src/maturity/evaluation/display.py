"""The evaluation report's sections as notebook display objects (Markdown)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from IPython.display import Markdown

from . import narrative

#: Report sections by name, in the report's order.
SECTIONS = {
    "answer": narrative.answer_markdown,
    "reaction": narrative.reaction_markdown,
    "learning": narrative.learning_markdown,
    "behaviour": narrative.behaviour_markdown,
    "results": narrative.results_markdown,
    "chain": narrative.chain_markdown,
    "norms": narrative.norms_markdown,
    "success_cases": narrative.success_markdown,
    "method": narrative.method_markdown,
}


def load_evaluation(path: str | Path) -> dict[str, Any]:
    """Read an ``evaluation.json``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def section(name: str, evaluation: Mapping[str, Any]) -> Markdown:
    """One section of the report (a key of :data:`SECTIONS`) as Markdown."""
    return Markdown(SECTIONS[name](evaluation))
