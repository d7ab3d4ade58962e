"""The Quick Check as plain HTML pages, and a submitted form read back into answers.

Every page is complete HTML built on the server: no script, a ``<form>`` that posts, so it
works in any browser and with assistive technology (each control has a label, each
statement's options are a fieldset whose legend is the statement). The form shows all of
the questionnaire's pages in order on one page (:class:`~maturity.dashboard.quickcheck_form.QuickCheckForm`);
after a submission that is not complete it comes back with the answers kept, a summary of
what is missing at the top and each problem beside its question. The result page is the
report's own HTML (:func:`~maturity.reporting.quickcheck_report.result_html`) with the
peer-group choice and the downloads.

Every text that comes from a respondent, the framework or the publication is escaped here.
:func:`read_answers` takes only the fields the form asks, only the options it offers, and
at most :data:`TEXT_LIMIT` characters of typed text.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from ..fielding.questionnaire import Question
from .quickcheck_form import NONE_OF_THESE, FormPage, QuickCheckForm
from .quickcheck_results import PeerOption

__all__ = ["TEXT_LIMIT", "NUMBER_LIMIT", "PAGE_CSS", "read_answers", "form_page", "result_page", "message_page"]

#: Characters an organisation's name (or any typed text) may have.
TEXT_LIMIT = 200
#: Characters a typed number may have.
NUMBER_LIMIT = 24

PAGE_CSS = """
body {margin: 0; background: #f7f9fb; color: #1d2733;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.45;}
main.qc {max-width: 980px; margin: 0 auto; padding: 1.2em 1.2em 3em 1.2em; background: #fff;}
.qc h1 {font-size: 1.7em; margin: 0.2em 0 0.3em 0;}
.qc h2 {font-size: 1.3em; margin: 1.6em 0 0.3em 0; border-bottom: 2px solid #1f4e79; padding-bottom: 0.2em;}
.qc h3 {font-size: 1.1em; margin: 1.2em 0 0.3em 0;}
.qc .qc-note {color: #4b5866; margin: 0.2em 0 0.8em 0;}
.qc .qc-where {color: #4b5866; font-weight: 400; font-size: 0.8em; display: block;}
.qc .qc-q {margin: 0.5em 0; padding: 0.4em 0.6em; border: 0; border-left: 4px solid transparent;}
.qc fieldset.qc-q {min-width: 0;}
.qc .qc-q legend, .qc .qc-q > label {font-weight: 600; padding: 0; margin-bottom: 0.3em; display: block;}
.qc .qc-num {color: #4b5866; margin-right: 0.3em;}
.qc .qc-missing {border-left-color: #c62828; background: #fdf3f3;}
.qc .qc-options {display: flex; flex-wrap: wrap; gap: 0.4em;}
.qc .qc-options label {display: inline-flex; align-items: center; gap: 0.35em; padding: 0.35em 0.7em;
  border: 1px solid #b8c4d0; border-radius: 4px; background: #fff; cursor: pointer;}
.qc .qc-options label:has(input:checked) {background: #dbe8f5; border-color: #1f4e79;}
.qc .qc-options.qc-list {flex-direction: column; align-items: flex-start;}
.qc input[type=text], .qc select {font: inherit; padding: 0.35em 0.5em; border: 1px solid #8a99a8;
  border-radius: 4px; width: 100%; max-width: 420px; box-sizing: border-box;}
.qc :focus-visible {outline: 3px solid #f2b233; outline-offset: 2px;}
.qc .qc-problems {background: #fdecea; color: #611a15; padding: 0.6em 1em; border-radius: 4px; margin: 0.8em 0;}
.qc .qc-problems p, .qc .qc-problems ul {margin: 0.2em 0;}
.qc .qc-problems a {color: #611a15;}
.qc button, .qc a.qc-button {font: inherit; display: inline-block; padding: 0.5em 1.1em; border-radius: 4px;
  border: 1px solid #1f4e79; background: #1f4e79; color: #fff; text-decoration: none; cursor: pointer;}
.qc button.qc-secondary, .qc a.qc-secondary {background: #fff; color: #1f4e79;}
.qc .qc-submit {margin: 2em 0 0 0;}
.qc .qc-actions {display: flex; flex-wrap: wrap; gap: 0.6em; align-items: center; margin: 1.2em 0;}
.qc .qc-actions form {margin: 0;}
.qc form.qc-peers {display: flex; flex-wrap: wrap; gap: 0.5em; align-items: center; margin: 0.6em 0 1em 0;}
.qc form.qc-peers label {font-weight: 600;}
"""


# --- reading a submitted form ---------------------------------------------------------------------


def read_answers(form: QuickCheckForm, fields: Mapping[str, Sequence[str]]) -> list[str]:
    """Set ``form``'s answers from a submitted form's ``fields`` (name -> values).

    Only the form's own questions are read; anything else is ignored. A choice must be one
    of the options offered, typed text is cut to :data:`TEXT_LIMIT` characters (a number
    to :data:`NUMBER_LIMIT`) with its white space collapsed.

    Returns
    -------
    list of str
        What could not be used, one sentence each (the answer is then left blank).
    """
    problems: list[str] = []
    for page in form.pages:
        for number, question in enumerate(page.questions, start=1):
            values = [str(v) for v in fields.get(question.name, ())]
            where = _question_label(question, number if page.kind != "organisation" else None)
            if question.kind == "multiple":
                allowed = {c.code for c in question.choices} | {NONE_OF_THESE}
                chosen = tuple(dict.fromkeys(v for v in values if v in allowed))
                if len(chosen) != len(set(values)):
                    problems.append(f"{where}: an option that is not on the list was ignored.")
                form.set_answer(question.name, chosen)
                continue
            value = values[0] if values else ""
            if question.kind in ("scale", "single"):
                if value and value not in {c.code for c in question.choices}:
                    problems.append(f"{where}: that is not one of the options; please choose again.")
                    value = ""
            else:  # text, number
                limit = NUMBER_LIMIT if question.kind == "number" else TEXT_LIMIT
                value = " ".join(value.split())
                if len(value) > limit:
                    problems.append(f"{where}: at most {limit} characters, please (it was cut short).")
                    value = value[:limit]
            form.set_answer(question.name, value or None)
    return problems


def _question_label(question: Question, number: int | None) -> str:
    if number is not None:
        return f"Statement {number}"
    text = question.text.rstrip("?:. ")
    return text[:60]


# --- pages -------------------------------------------------------------------------------------------


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head>"
        f"<body><main class=\"qc\">{body}</main></body></html>\n"
    )


def _heading(form: QuickCheckForm) -> str:
    return f"<h1>{html.escape(form.framework.name)}: quick check</h1>"


def _control_id(name: str) -> str:
    return "q-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def _question(form: QuickCheckForm, question: Question, number: int | None, flagged: bool) -> str:
    name = html.escape(question.name, quote=True)
    qid = _control_id(question.name)
    answer = form.answer(question.name)
    text = html.escape(question.text)
    if number is not None:
        text = f"<span class=\"qc-num\">{number}.</span>{text}"
    hint = (f"<p class=\"qc-note\" id=\"{qid}-hint\">{html.escape(question.hint)}</p>"
            if question.hint and question.kind == "number" else "")
    classes = f"qc-q qc-q-{html.escape(question.kind)}" + (" qc-missing" if flagged else "")
    invalid = " aria-invalid=\"true\"" if flagged else ""
    required = " aria-required=\"true\"" if question.required else ""
    if question.kind in ("scale", "multiple"):
        kind = "radio" if question.kind == "scale" else "checkbox"
        chosen = set(answer or ()) if question.kind == "multiple" else {answer}
        choices = [(c.code, c.label) for c in question.choices]
        if question.kind == "multiple":
            choices.append((NONE_OF_THESE, "None of these"))
        options = "".join(
            f"<label><input type=\"{kind}\" name=\"{name}\" value=\"{html.escape(code, quote=True)}\""
            f"{' checked' if code in chosen else ''}> {html.escape(label)}</label>"
            for code, label in choices)
        layout = "qc-options qc-list" if question.kind == "multiple" else "qc-options"
        return (f"<fieldset class=\"{classes}\" id=\"{qid}\"{invalid}><legend>{text}</legend>"
                f"<div class=\"{layout}\">{options}</div></fieldset>")
    if question.kind == "single":
        options = "<option value=\"\">Choose&hellip;</option>" + "".join(
            f"<option value=\"{html.escape(c.code, quote=True)}\"{' selected' if c.code == answer else ''}>"
            f"{html.escape(c.label)}</option>" for c in question.choices)
        control = f"<select id=\"{qid}\" name=\"{name}\"{invalid}{required}>{options}</select>"
    else:  # text, number
        limit = NUMBER_LIMIT if question.kind == "number" else TEXT_LIMIT
        extra = " inputmode=\"decimal\"" if question.kind == "number" else " autocomplete=\"organization\""
        described = f" aria-describedby=\"{qid}-hint\"" if hint else ""
        control = (f"<input type=\"text\" id=\"{qid}\" name=\"{name}\" maxlength=\"{limit}\""
                   f" value=\"{html.escape(str(answer or ''), quote=True)}\"{extra}{described}{invalid}{required}>")
    return f"<div class=\"{classes}\"><label for=\"{qid}\">{text}</label>{hint}{control}</div>"


def _page_note(page: FormPage) -> str:
    notes = [page.description] if page.description else []
    if page.kind == "strand":
        n = len(page.questions)
        notes.append("How far do you agree with each statement? " + (
            "Please answer every statement." if page.needed == n else
            f"Answer every statement you can; at least {page.needed} of the {n} are needed to score this strand."))
    return "".join(f"<p class=\"qc-note\">{html.escape(n)}</p>" for n in notes)


def _problem_box(messages: Sequence[str], heading: str = "") -> str:
    if not messages:
        return ""
    items = "".join(f"<li>{m}</li>" for m in messages)  # each message is escaped (or built) by the caller
    lead = f"<p><b>{html.escape(heading)}</b></p>" if heading else ""
    return f"<div class=\"qc-problems\" role=\"alert\">{lead}<ul>{items}</ul></div>"


def form_page(
    form: QuickCheckForm,
    *,
    wave: str | None,
    n_organisations: int,
    collecting: bool,
    xsrf_field: str,
    show_problems: bool = False,
    notices: Sequence[str] = (),
) -> str:
    """The whole form as one HTML page.

    Parameters
    ----------
    form : QuickCheckForm
        Its answers fill the controls.
    wave, n_organisations
        What the respondent is compared with.
    collecting : bool
        Whether submissions are stored (the page says which).
    xsrf_field : str
        The hidden form field that proves the post comes from this page (HTML, trusted).
    show_problems : bool
        Point out what keeps each page from being complete (after a submission).
    notices : sequence of str
        Further sentences for the top of the page (plain text), e.g. answers that could
        not be used or a limit reached.
    """
    n_items = len(form.framework.items)
    storage = ("Your answers are saved for the survey team, as one file, when you ask for your results; "
               "they are never shown to other participants." if collecting else
               "Nothing is stored: your answers are used only to show your results and are forgotten "
               "when you leave.")
    sections: list[str] = []
    summary: list[str] = [html.escape(n) for n in notices]
    for index, page in enumerate(form.pages):
        messages, flagged = form.problems(index) if show_problems else ([], [])
        anchor = f"page-{_control_id(page.key)}"
        for message in messages:
            summary.append(f"<a href=\"#{anchor}\">{html.escape(page.title)}</a>: {html.escape(message)}")
        body: list[str] = [f"<h2 id=\"{anchor}\"><span class=\"qc-where\">{html.escape(form.progress(index))}"
                           f" &middot; page {index + 1} of {len(form.pages)}</span>{html.escape(page.title)}</h2>",
                           _page_note(page), _problem_box([html.escape(m) for m in messages])]
        number = 0
        for title, questions in page.groups:
            if title:
                body.append(f"<h3>{html.escape(title)}</h3>")
            for question in questions:
                number += 1
                body.append(_question(form, question, number if page.kind != "organisation" else None,
                                      question.name in flagged))
        sections.append(f"<section class=\"qc-page qc-page-{html.escape(page.kind)}\" "
                        f"aria-labelledby=\"{anchor}\">{''.join(body)}</section>")
    intro = (f"<p>Answer {n_items} statements about how your organisation approaches learning, then see at once "
             f"where it stands against {n_organisations:,} organisations of wave {html.escape(str(wave))}, "
             "and what to work on first.</p>"
             f"<p class=\"qc-note qc-storage\" data-collect=\"{'yes' if collecting else 'no'}\">{html.escape(storage)}</p>")
    top = _problem_box(summary, "Some answers are missing or could not be used:") if summary else ""
    body = (f"{_heading(form)}{intro}{top}<form method=\"post\" action=\"./\" class=\"qc-form\">{xsrf_field}"
            f"{''.join(sections)}<div class=\"qc-submit\"><button type=\"submit\">See my results</button></div>"
            "</form>")
    return _document(f"{form.framework.name}: quick check", body)


def result_page(
    form: QuickCheckForm,
    result: str,
    options: Sequence[PeerOption],
    chosen: str | None,
    *,
    xsrf_field: str,
    pdf: bool,
    notices: Sequence[str] = (),
) -> str:
    """The result page: the peer-group choice, the result and the downloads.

    Parameters
    ----------
    form : QuickCheckForm
    result : str
        The result's HTML (:func:`~maturity.reporting.quickcheck_report.result_html`, trusted).
    options : sequence of PeerOption
        The released peer groups; ``chosen`` is the one shown.
    xsrf_field : str
        Hidden field for the PDF request (HTML, trusted).
    pdf : bool
        Whether a PDF can be printed here (else no PDF button).
    notices : sequence of str
        Sentences for the top of the page (plain text).
    """
    choices = "".join(
        f"<option value=\"{html.escape(o.id, quote=True)}\"{' selected' if o.id == chosen else ''}>"
        f"{html.escape(o.label)}</option>" for o in options)
    peers = ("<form method=\"get\" action=\"result\" class=\"qc-peers\"><label for=\"group\">Compare with</label>"
             f"<select id=\"group\" name=\"group\">{choices}</select>"
             "<button type=\"submit\" class=\"qc-secondary\">Compare</button></form>")
    pdf_form = (f"<form method=\"post\" action=\"report.pdf\">{xsrf_field}"
                "<button type=\"submit\" class=\"qc-secondary\">Download a PDF</button></form>" if pdf else "")
    actions = ("<div class=\"qc-actions\"><a class=\"qc-button\" href=\"report.html\" download>Download the report</a>"
               f"{pdf_form}<a class=\"qc-button qc-secondary\" href=\"./\">Change my answers</a></div>")
    top = _problem_box([html.escape(n) for n in notices])
    body = f"{_heading(form)}{peers}{top}<div class=\"qc-result\">{result}</div>{actions}"
    return _document(f"{form.framework.name}: your quick check", body)


def message_page(title: str, message: str, *, back: bool = True) -> str:
    """A short page that says one thing (a refusal, an error, "busy"), with a way back."""
    link = "<p><a class=\"qc-button qc-secondary\" href=\"./\">Back to the quick check</a></p>" if back else ""
    body = f"<h1>{html.escape(title)}</h1><p role=\"alert\">{html.escape(message)}</p>{link}"
    return _document(title, body)
