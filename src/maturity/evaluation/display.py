"""The evaluation report's sections as notebook display objects.

Each section is written in Markdown (:mod:`maturity.evaluation.narrative`) and shown as
HTML: a section is then one block that printing keeps on a page where it fits, and text
from the plan and its files (names, labels, stories) is escaped, never run as HTML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import mistune
from IPython.display import HTML

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


#: Markdown to HTML, tables included; HTML written in the text is shown as text.
_MARKDOWN = mistune.create_markdown(escape=True, plugins=["table"])


def load_evaluation(path: str | Path) -> dict[str, Any]:
    """Read an ``evaluation.json``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def section_html(name: str, evaluation: Mapping[str, Any]) -> str:
    """One section of the report (a key of :data:`SECTIONS`) as HTML."""
    return _MARKDOWN(SECTIONS[name](evaluation))


def section(name: str, evaluation: Mapping[str, Any]) -> HTML:
    """One section of the report, for display in the notebook."""
    return HTML(section_html(name, evaluation))
