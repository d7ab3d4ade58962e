"""The questionnaire as one self-contained HTML page, for pilots, paper and review.

No scripts, no external files: the styles are inline. On a phone the answer options stack
under each statement; on a wide screen they sit in a row; on paper each section starts on
a new page, a question never splits across pages and every option prints as a box to
tick. Every question shows, small, the column its answer goes into (the item id), so
answers collected on paper can be typed into a spreadsheet the kit reads.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from ..files import write_text
from ..framework import Framework
from .questionnaire import Question, Questionnaire, Section, build_questionnaire, format_number

__all__ = ["questionnaire_html", "write_html"]

_STYLE = """
:root { --ink: #1d2430; --muted: #5b6575; --line: #c9d1dc; --accent: #2f5d8a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
header.cover { border-bottom: 3px solid var(--accent); margin-bottom: 1rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0; }
h2 { font-size: 1.25rem; color: var(--accent); margin: 0 0 0.25rem; }
.meta, .hint, .code { color: var(--muted); font-size: 0.85rem; }
section { margin: 1.5rem 0; }
section > p { margin-top: 0; }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0.75rem 0; padding: 0.6rem 0.8rem; }
legend { padding: 0 0.3rem; font-weight: 600; }
legend .num { color: var(--accent); margin-right: 0.3rem; }
.code { float: right; font-family: ui-monospace, Menlo, Consolas, monospace; }
.options { display: grid; gap: 0.35rem; margin-top: 0.4rem; }
.options label { display: flex; align-items: flex-start; gap: 0.45rem; padding: 0.3rem 0.4rem;
                 border: 1px solid var(--line); border-radius: 4px; }
.options input { margin: 0.2rem 0 0; width: 1.1rem; height: 1.1rem; flex: none; }
.write-in { display: block; width: 100%; min-height: 2.2rem; margin-top: 0.4rem; border: 1px solid var(--line);
            border-radius: 4px; padding: 0.3rem; font: inherit; }
.required::after { content: " *"; color: #a33; }
@media (min-width: 42rem) {
  .options.points { grid-template-columns: repeat(auto-fit, minmax(6.5rem, 1fr)); }
  .options.points label { flex-direction: column; align-items: center; text-align: center; }
  .options.list { grid-template-columns: repeat(2, 1fr); }
}
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section + section { break-before: page; }
  fieldset { break-inside: avoid; }
  .options.points { grid-template-columns: repeat(auto-fit, minmax(5.5rem, 1fr)); }
  .options.points label { flex-direction: column; align-items: center; text-align: center; }
  .options.list { grid-template-columns: repeat(2, 1fr); }
  input[type=radio], input[type=checkbox] { appearance: none; -webkit-appearance: none; border: 1.5px solid #000;
                                            border-radius: 2px; }
  @page { margin: 15mm; }
}
"""


def questionnaire_html(questionnaire: Questionnaire) -> str:
    """The whole page as text."""
    q = questionnaire
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="framework-id" content="{escape(q.framework_id)}">',
        f'<meta name="framework-version" content="{escape(q.framework_version)}">',
        f"<title>{escape(q.title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        '<header class="cover">',
        f"<h1>{escape(q.title)}</h1>",
        f'<p class="meta">Framework {escape(q.framework_id)}, version {escape(q.framework_version)}</p>',
    ]
    if q.description:
        parts.append(f"<p>{escape(q.description)}</p>")
    parts.append("<p>Answer each question for your organisation as a whole. Questions marked * must be "
                 "answered; choose one answer per statement unless the question says otherwise.</p>")
    parts.append("</header>")
    number = 0
    for section in q.sections:
        html, number = _section(section, number)
        parts.append(html)
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _section(section: Section, number: int) -> tuple[str, int]:
    out = [f'<section id="{escape(section.id)}">', f"<h2>{escape(section.title)}</h2>"]
    if section.description:
        out.append(f"<p>{escape(section.description)}</p>")
    for question in section.questions:
        number += 1
        out.append(_question(question, number))
    out.append("</section>")
    return "\n".join(out), number


def _question(question: Question, number: int) -> str:
    name = escape(question.name)
    required = ' class="required"' if question.required else ""
    lines = [
        "<fieldset>",
        f'<legend><span class="num">{number}.</span><span{required}>{escape(question.text)}</span></legend>',
        f'<span class="code">{name}</span>',
    ]
    if question.hint:
        lines.append(f'<div class="hint">{escape(question.hint)}</div>')
    if question.kind in ("text", "number"):
        kind = "text" if question.kind == "text" else "number"
        bounds = ""
        if question.kind == "number":
            step = "1" if question.integer else "any"
            bounds = (f' min="{format_number(question.minimum)}" max="{format_number(question.maximum)}"'
                      f' step="{step}"')
        label = escape(question.text)
        lines.append(f'<input class="write-in" type="{kind}" name="{name}"{bounds} aria-label="{label}">')
    else:
        kind = "checkbox" if question.kind == "multiple" else "radio"
        layout = "points" if question.kind == "scale" else "list"
        lines.append(f'<div class="options {layout}">')
        for choice in question.choices:
            lines.append(f'<label><input type="{kind}" name="{name}" value="{escape(choice.code)}">'
                         f"<span>{escape(choice.label)}</span></label>")
        lines.append("</div>")
    lines.append("</fieldset>")
    return "\n".join(lines)


def write_html(framework: Framework, path: str | Path) -> Path:
    """Write the framework's printable questionnaire as one ``.html`` file (atomically)."""
    return write_text(path, questionnaire_html(build_questionnaire(framework)))
