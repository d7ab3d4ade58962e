"""The quick check (ipywidgets, served by Voila): answer the survey, see your benchmark at once.

The respondent fills in the form (:mod:`maturity.dashboard.quickcheck_form`, built from the
wave's own framework): the organisation's name and demographics, one page per strand,
then the optional outcomes and barriers, with "Strand 3 of 6" above and Back / Next below;
answers are kept when moving back and forth, and a page that is not complete says what is
missing instead of moving on. On submitting, the answers become a one-row response table
that the kit validates and scores like any survey file, and the organisation is placed
against the wave without joining it (:func:`~maturity.published.results.build_client_results`,
as client reports are): the maturity index and each strand with its percentile and 95%
interval against a peer group the respondent picks among those the wave's release plan
releases, the segment, the top priorities with their actions and the findings. "Download
report" gives the same content as one self-contained HTML file (and a PDF when Chromium
is installed).

Privacy: the page and the widget state sent to the browser hold only the respondent's own
answers and the release plan's aggregates (group labels and sizes, figures of released
groups); no other organisation's id, name or answers. The database is only read, and
closed between reads (no kernel holds a lock on it). With a collection folder each
submission is written there as one file (:mod:`maturity.dashboard.submissions`); without
one nothing is stored, and the page says which.

Start-up does the slow work once (loading the wave, its segment model, strand importance
and release plan, and one warm-up computation), so that with Voila's pre-heated kernel the
page is interactive at once and a result appears well within a second.
"""

from __future__ import annotations

import base64
import time
import html
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import ipywidgets as widgets
import pandas as pd
from IPython.display import HTML, display

from ..benchmarking.client_parameters import ClientParameters
from ..errors import MaturityError, ParametersError
from ..fielding.questionnaire import Question
from ..framework import normalise_label
from ..reporting.quickcheck_report import (
    pdf_available,
    report_document,
    report_file_name,
    report_pdf,
    result_html,
)
from ..published.profile import ClientProfile
from ..published.results import build_client_results
from ..published.table import Publication
from .environment import ENV_COLLECT, ENV_DB, ENV_WAVE, mark_ready
from .quickcheck_form import NONE_OF_THESE, FormPage, QuickCheckForm
from .submissions import Submission, SubmissionFolder, new_submission

log = logging.getLogger(__name__)

__all__ = ["QuickCheck", "app", "FORM_CSS"]

#: Style of the form (the result brings its own, :data:`maturity.reporting.quickcheck_report.QUICKCHECK_CSS`).
FORM_CSS = """
.maturity-quickcheck {max-width: 1040px; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;}
.maturity-quickcheck h2 {margin: 0.2em 0 0.2em 0;}
.maturity-qc-intro p {margin: 0.2em 0; color: #33414f;}
.maturity-qc-storage {color: #4b5866; font-size: 0.92em;}
.maturity-qc-progress {margin: 0.8em 0 0.2em 0;}
.qc-progress-track {height: 6px; background: #e9edf2; border-radius: 3px; max-width: 520px;}
.qc-progress-fill {height: 6px; background: #1f4e79; border-radius: 3px;}
.maturity-qc-page h3 {margin: 0.6em 0 0.1em 0;}
.maturity-qc-page h4 {margin: 1em 0 0.2em 0;}
.maturity-qc-page .qc-page-note {color: #4b5866; margin: 0 0 0.6em 0;}
.maturity-qc-q {padding: 4px 0 8px 10px; border-left: 3px solid transparent; margin: 2px 0;}
.maturity-qc-q .qc-text {line-height: 1.35; margin-bottom: 2px;}
.maturity-qc-q .qc-num {color: #4b5866; font-weight: 600; margin-right: 0.3em;}
.maturity-qc-missing {border-left-color: #c62828; background: #fdf3f3;}
.maturity-qc-q .widget-toggle-buttons .widget-toggle-button {white-space: normal; height: auto; min-height: 32px;
  line-height: 1.2; padding: 4px 6px;}
.maturity-qc-q .widget-toggle-buttons, .maturity-qc-q .widget-toggle-buttons .btn-group {flex-wrap: wrap;}
.maturity-qc-message .qc-problem {background: #fdecea; color: #611a15; padding: 8px 12px; border-radius: 4px;
  margin: 0.5em 0;}
.maturity-qc-message .qc-problem p {margin: 0.2em 0;}
.maturity-qc-nav {margin: 0.8em 0 1.2em 0;}
a.maturity-qc-download {display: inline-block; padding: 6px 14px; background: #1f4e79; color: #fff !important;
  border-radius: 4px; text-decoration: none; margin-right: 8px;}
"""
#: Label width of the longest label a scale's buttons show (pixels per character, bounds).
_PX_PER_CHAR, _MIN_BUTTON, _MAX_BUTTON = 7.5, 44, 190


#: Results a visitor may ask for in one session, and in any one minute (checked in the kernel).
MAX_SUBMISSIONS = 30
MAX_PER_MINUTE = 6


class SubmissionLimits:
    """How many results one visitor may ask for: per session and per rolling minute."""

    def __init__(self, per_session: int = MAX_SUBMISSIONS, per_minute: int = MAX_PER_MINUTE,
                 clock: Callable[[], float] | None = None) -> None:
        self.per_session, self.per_minute = int(per_session), int(per_minute)
        self.clock = clock or time.monotonic
        self.times: list[float] = []

    def refusal(self) -> str | None:
        """None (and the submission is counted) when allowed, else the message to show."""
        now = self.clock()
        if len(self.times) >= self.per_session:
            return (f"This page has already shown {self.per_session} results, the most one visit may ask for. "
                    "Reload the page to start again.")
        if sum(1 for t in self.times if now - t < 60.0) >= self.per_minute:
            return (f"At most {self.per_minute} results a minute can be shown; please wait a moment and "
                    "submit again.")
        self.times.append(now)
        return None


class QuickCheck:
    """The quick-check widget tree and its behaviour.

    Parameters
    ----------
    db : path
        Benchmark database: only the wave's published table is read from it.
    wave : str, optional
        The wave respondents are placed against (default the latest).
    collect : path, optional
        Folder each submission is written to; None stores nothing.
    max_submissions : int
        Results a visitor may ask for in one session (each submission or change of answers).
    max_per_minute : int
        Results a visitor may ask for in any minute.

    A respondent is placed against the wave's published distributions only, exactly as a
    client report of the same answers is: however many made-up answers a script submits, it
    learns nothing the publication does not say.
    """

    def __init__(
        self,
        db: str | Path,
        *,
        wave: str | None = None,
        collect: str | Path | None = None,
        max_submissions: int = MAX_SUBMISSIONS,
        max_per_minute: int = MAX_PER_MINUTE,
    ) -> None:
        self.db = Path(db)
        self.publication = Publication.read(self.db, wave)
        self.framework = self.publication.framework
        self.form = QuickCheckForm(self.framework)
        self.collect = SubmissionFolder(collect) if collect else None
        self.limits = SubmissionLimits(max_submissions, max_per_minute)
        self.page = 0
        self.updates = 0
        self.submission: Submission | None = None
        self.client: ClientProfile | None = None
        self.results: dict[str, Any] | None = None
        self.saved_note = ""
        self._pages: dict[int, widgets.Widget] = {}
        self._containers: dict[str, widgets.Widget] = {}
        self._styles: dict[str, widgets.ToggleButtonsStyle] = {}
        self._flagged: set[str] = set()
        self._syncing = False
        self._shared_layout = widgets.Layout(width="auto")
        self._build()
        self._warm_up()
        self._show_page(0)

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def from_environment(cls, **overrides: Any) -> "QuickCheck":
        """Build from the variables ``maturity quickcheck`` sets (overrides win when not None)."""
        env = {
            "db": os.environ.get(ENV_DB),
            "wave": os.environ.get(ENV_WAVE) or None,
            "collect": os.environ.get(ENV_COLLECT) or None,
        }
        env.update({k: v for k, v in overrides.items() if v is not None})
        if not env["db"]:
            raise ParametersError("no benchmark database given (start it with `maturity quickcheck --db PATH`)")
        return cls(**env)

    def _build(self) -> None:
        n_items = len(self.framework.items)
        n_wave = int(self.publication.population.get("n_published", 0))
        wave_label = self.publication.wave
        if self.collect is not None:
            storage = ("Your answers are saved for the survey team, as one file, when you ask for your results; "
                       "they are never shown to other participants.")
        else:
            storage = ("Nothing is stored: your answers are used only to show your results on this page "
                       "and are gone when you close it.")
        self.header = widgets.HTML(
            f"<style>{FORM_CSS}</style>"
            f"<h2>{html.escape(self.framework.name)}: quick check</h2>"
            "<div class='maturity-qc-intro'>"
            f"<p>Answer {n_items} statements about how your organisation approaches learning, then see at once "
            f"where it stands against {n_wave:,} organisations of wave {html.escape(str(wave_label))}, "
            "and what to work on first.</p>"
            f"<p class='maturity-qc-storage' data-collect='{'yes' if self.collect else 'no'}'>{html.escape(storage)}</p>"
            "</div>"
        )
        self.progress = widgets.HTML()
        self.progress.add_class("maturity-qc-progress")
        self.message = widgets.HTML()
        self.message.add_class("maturity-qc-message")
        self.page_box = widgets.VBox()
        self.back_button = widgets.Button(description="Back", icon="arrow-left")
        self.back_button.add_class("maturity-qc-back")
        self.next_button = widgets.Button(description="Next", button_style="primary")
        self.next_button.add_class("maturity-qc-next")
        self.back_button.on_click(lambda _: self._guard(self._back))
        self.next_button.on_click(lambda _: self._guard(self._next))
        nav = widgets.HBox([self.back_button, self.next_button])
        nav.add_class("maturity-qc-nav")
        self.form_box = widgets.VBox([self.progress, self.page_box, self.message, nav])
        self.form_box.add_class("maturity-qc-form")

        # The result's widgets are made once the respondent leaves the first page: fewer
        # widgets to send at opening, so the first page is interactive sooner.
        self.result_box = widgets.VBox(layout=widgets.Layout(display="none"))
        self.result_box.add_class("maturity-qc-results")
        self.peer_select: widgets.Dropdown | None = None
        self.pdf_button: widgets.Button | None = None
        self.edit_button: widgets.Button | None = None
        self.root = widgets.VBox([self.header, self.form_box, self.result_box])
        self.root.add_class("maturity-quickcheck")

    def _build_result(self) -> None:
        """The result's widgets: peer group, status, the result, download and edit buttons."""
        self.peer_select = widgets.Dropdown(description="Compare with", style={"description_width": "110px"},
                                            layout=widgets.Layout(width="100%", max_width="640px"))
        self.peer_select.add_class("maturity-qc-peers")
        self.peer_select.observe(self._on_peers, names="value")
        self.status = widgets.HTML()
        self.status.add_class("maturity-qc-status")
        self.result_view = widgets.HTML()
        self.result_view.add_class("maturity-qc-result")
        self.download = widgets.HTML()
        self.download.add_class("maturity-qc-downloads")
        self.pdf_button = widgets.Button(description="Prepare a PDF", icon="file")
        self.pdf_button.add_class("maturity-qc-pdf")
        self.pdf_button.on_click(lambda _: self._guard(self._make_pdf))
        self.pdf_button.layout.display = None if pdf_available() else "none"
        self.edit_button = widgets.Button(description="Change my answers", icon="pencil")
        self.edit_button.add_class("maturity-qc-edit")
        self.edit_button.on_click(lambda _: self._guard(self._edit))
        self.result_message = widgets.HTML()
        self.result_message.add_class("maturity-qc-message")
        actions = widgets.HBox([self.download, self.pdf_button, self.edit_button],
                               layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        self.result_box.children = [self.peer_select, self.status, self.result_message, self.result_view, actions]

    def _warm_up(self) -> None:
        """Compute one result before anyone asks (a wave-median organisation, never shown or
        stored), so the first respondent's result comes as fast as the next ones."""
        released = self.publication.released_groups
        typical = pd.Series({s: (f or {}).get("mean") for s, f in (released[0].get("scores") or {}).items()} if released else {},
                            dtype=float)
        profile = ClientProfile("warm-up", None, typical, {}, in_benchmark=False)
        results = self._results_for(profile, released[0]["id"] if released else None)
        result_html(results)
        report_document(results)

    # --- pages --------------------------------------------------------------------------------

    def _page_widget(self, index: int) -> widgets.Widget:
        """The page's widgets, built on its first visit (so the first page comes up at once)."""
        if index not in self._pages:
            page = self.form.pages[index]
            children: list[widgets.Widget] = [widgets.HTML(self._page_intro(page), layout=self._shared_layout)]
            number = 0
            for title, questions in page.groups:
                if title:
                    children.append(widgets.HTML(f"<h4>{html.escape(title)}</h4>", layout=self._shared_layout))
                for question in questions:
                    number += 1
                    children.append(self._question_widget(question, number if page.kind != "organisation" else None))
            box = widgets.VBox(children)
            box.add_class("maturity-qc-page")
            box.add_class(f"maturity-qc-page-{page.kind}")
            self._pages[index] = box
        return self._pages[index]

    def _page_intro(self, page: FormPage) -> str:
        parts = [f"<h3>{html.escape(page.title)}</h3>"]
        if page.description:
            parts.append(f"<p class='qc-page-note'>{html.escape(page.description)}</p>")
        if page.kind == "strand":
            n = len(page.questions)
            need = ("Please answer every statement." if page.needed == n else
                    f"Answer every statement you can; at least {page.needed} of the {n} are needed to score this strand.")
            parts.append(f"<p class='qc-page-note'>How far do you agree with each statement? {need}</p>")
        return "".join(parts)

    def _question_widget(self, question: Question, number: int | None) -> widgets.Widget:
        label = html.escape(question.text)
        if number is not None:
            label = f"<span class='qc-num'>{number}.</span>{label}"
        elif question.required:
            label = f"<b>{label}</b>"
        if question.hint and question.kind == "number":
            label += f"<div class='qc-page-note'>{html.escape(question.hint)}</div>"
        text = widgets.HTML(f"<div class='qc-text'>{label}</div>", layout=self._shared_layout)
        answer = self.form.answer(question.name)
        if question.kind == "scale":
            control = widgets.ToggleButtons(options=[(c.label, c.code) for c in question.choices], value=answer,
                                            style=self._button_style(question), layout=self._shared_layout)
        elif question.kind == "single":
            control = widgets.Dropdown(options=[(c.label, c.code) for c in question.choices], value=answer,
                                       layout=widgets.Layout(width="100%", max_width="420px"))
        elif question.kind == "multiple":
            control = self._checkboxes(question)
        else:  # text, number
            placeholder = "Your organisation's name" if question.name == self.framework.name_column else "Type a number"
            control = widgets.Text(value=answer or "", placeholder=placeholder,
                                   layout=widgets.Layout(width="100%", max_width="420px"))
        if question.kind != "multiple":
            control.observe(lambda change, name=question.name: self._on_answer(name, change["new"]), names="value")
        box = widgets.VBox([text, control])
        box.add_class("maturity-qc-q")
        box.add_class(f"maturity-qc-q-{question.name}")
        self._containers[question.name] = box
        return box

    def _button_style(self, question: Question) -> widgets.ToggleButtonsStyle:
        """One shared style per choice list, wide enough for its longest label."""
        if question.list_name not in self._styles:
            longest = max(len(c.label) for c in question.choices)
            width = min(_MAX_BUTTON, max(_MIN_BUTTON, int(longest * _PX_PER_CHAR) + 20))
            self._styles[question.list_name] = widgets.ToggleButtonsStyle(button_width=f"{width}px")
        return self._styles[question.list_name]

    def _checkboxes(self, question: Question) -> widgets.Widget:
        chosen = set(self.form.answer(question.name) or ())
        boxes = [(c.code, widgets.Checkbox(value=c.code in chosen, description=c.label, indent=False,
                                           layout=widgets.Layout(width="auto")))
                 for c in question.choices]
        boxes.append((NONE_OF_THESE, widgets.Checkbox(value=NONE_OF_THESE in chosen, description="None of these",
                                                      indent=False, layout=widgets.Layout(width="auto"))))
        for code, box in boxes:
            box.add_class(f"maturity-qc-choice-{code.strip('_')}")

        def changed(change: dict, code: str) -> None:
            if self._syncing:
                return
            self._syncing = True
            try:
                # "None of these" and a barrier exclude each other.
                if change["new"]:
                    for other, box in boxes:
                        if (code == NONE_OF_THESE) != (other == NONE_OF_THESE):
                            box.value = False
                self._on_answer(question.name, tuple(c for c, box in boxes if box.value))
            finally:
                self._syncing = False

        for code, box in boxes:
            box.observe(lambda change, code=code: changed(change, code), names="value")
        return widgets.VBox([box for _, box in boxes])

    def _show_page(self, index: int) -> None:
        if index > 0 and self.peer_select is None:
            # Made while the respondent answers, so that submitting only fills them in.
            self._build_result()
        self.page = index
        self.page_box.children = [self._page_widget(index)]
        n = len(self.form.pages)
        share = 100 * (index + 1) / n
        self.progress.value = (
            f"<div data-page='{index + 1}'><b class='qc-where'>{html.escape(self.form.progress(index))}</b>"
            f" <span style='color:#4b5866'>&middot; page {index + 1} of {n}</span></div>"
            f"<div class='qc-progress-track'><div class='qc-progress-fill' style='width:{share:.0f}%'></div></div>"
        )
        self.back_button.disabled = index == 0
        last = index == n - 1
        self.next_button.description = "See my results" if last else "Next"
        self.next_button.icon = "check" if last else "arrow-right"
        self._show_problems([], [])

    # --- behaviour ------------------------------------------------------------------------------

    def _guard(self, action: Callable[[], None]) -> None:
        """Run a step with the buttons disabled; a failure becomes a short message, never a traceback."""
        buttons = [b for b in (self.back_button, self.next_button, self.edit_button, self.pdf_button, self.peer_select)
                   if b is not None]
        before = [b.disabled for b in buttons]
        for b in buttons:
            b.disabled = True
        try:
            action()
        except MaturityError as exc:
            self._fail(str(exc))
        except Exception:  # the server log has the details
            log.exception("quick check step failed")
            self._fail("Something went wrong. Please try again; the details are in the server log.")
        finally:
            for b, was in zip(buttons, before):
                b.disabled = was
            self.back_button.disabled = self.page == 0

    def _fail(self, text: str) -> None:
        box = self.result_message if self.result_box.layout.display != "none" else self.message
        box.value = f"<div class='qc-problem' role='alert'><p>{html.escape(text)}</p></div>"

    def _on_answer(self, name: str, value: Any) -> None:
        self.form.set_answer(name, value)
        if self._flagged:  # a page with problems shown: keep the message up to date
            self._show_problems(*self.form.problems(self.page))

    def _show_problems(self, messages: list[str], flagged: list[str]) -> None:
        for name in self._flagged - set(flagged):
            if name in self._containers:
                self._containers[name].remove_class("maturity-qc-missing")
        for name in set(flagged) - self._flagged:
            if name in self._containers:
                self._containers[name].add_class("maturity-qc-missing")
        self._flagged = set(flagged)
        if messages:
            body = "".join(f"<p>{html.escape(m)}</p>" for m in messages)
            self.message.value = f"<div class='qc-problem' role='alert'>{body}</div>"
        else:
            self.message.value = ""

    def _back(self) -> None:
        if self.page > 0:
            self._show_page(self.page - 1)

    def _next(self) -> None:
        messages, flagged = self.form.problems(self.page)
        if messages:
            self._show_problems(messages, flagged)
            return
        if self.page < len(self.form.pages) - 1:
            self._show_page(self.page + 1)
        else:
            self._submit()

    def _submit(self) -> None:
        """Score the answers, store them when collecting, and show the result."""
        incomplete = self.form.first_incomplete()
        if incomplete is not None:
            self._show_page(incomplete)
            self._show_problems(*self.form.problems(incomplete))
            return
        refusal = self.limits.refusal()
        if refusal:
            self._show_problems([refusal], [])
            return
        now = datetime.now(timezone.utc).replace(microsecond=0)
        # A respondent who changes their answers keeps their submission id (their file is replaced).
        self.submission = new_submission(now) if self.submission is None else Submission(self.submission.id, now)
        _clean, self.client = self.form.score(self.submission.id)
        self.saved_note = self._store()
        if self.peer_select is None:
            self._build_result()
        self._offer_groups()
        self._update(self.peer_select.value)
        self.form_box.layout.display = "none"
        self.result_box.layout.display = None

    def _store(self) -> str:
        """Write the submission when collecting; the sentence the result shows about it."""
        if self.collect is None:
            return "Your answers were not stored."
        try:
            self.collect.write(self.form.response_frame(self.submission.id), self.submission)
        except OSError:
            log.exception("could not write submission %s", self.submission.id)
            return "Your answers could not be saved for the survey team; your results below are complete."
        return f"Your answers were saved for the survey team as submission {self.submission.id}."

    def _offer_groups(self) -> None:
        """The released peer groups, the respondent's own groups first after the whole wave."""
        own = {k: normalise_label(v) for k, v in (self.client.demographics or {}).items()}

        def mine(group: dict) -> bool:
            filters = group["filters"]
            return bool(filters) and all(own.get(k) in {normalise_label(v) for v in vals} for k, vals in filters.items())

        groups = self.publication.released_groups
        ordered = [g for g in groups if not g["filters"]] + [g for g in groups if mine(g)]
        ordered += [g for g in groups if g not in ordered]
        options = [(f"{g['label']} ({g['n']:,} organisations){' · includes you' if mine(g) else ''}", g["id"])
                   for g in ordered]
        current = self.peer_select.value
        self._syncing = True
        try:
            self.peer_select.options = options
            ids = [g["id"] for g in ordered]
            self.peer_select.value = current if current in ids else (ids[0] if ids else None)
        finally:
            self._syncing = False

    def _on_peers(self, change: dict) -> None:
        if not self._syncing and self.client is not None and change["new"] is not None:
            self._guard(lambda: self._update(change["new"]))

    def _results_for(self, client: ClientProfile, group_id: str | None) -> dict[str, Any]:
        filters = self.publication.group(group_id)["filters"] if group_id else {}
        params = ClientParameters(
            client_id="quickcheck", db=self.db, wave=self.publication.wave,
            peers={k: tuple(v) for k, v in filters.items()}, min_group_size=self.publication.min_group_size,
        )
        return build_client_results(self.publication, client, params, self.framework)

    def _update(self, group_id: str | None) -> None:
        """Place the respondent against the chosen group and show the result."""
        self.status.value = "<span class='maturity-qc-busy'>Working out your results&hellip;</span>"
        self.result_message.value = ""
        self.results = self._results_for(self.client, group_id)
        self.result_view.value = result_html(self.results, note=self.saved_note)
        document = report_document(self.results, note=self.saved_note)
        href = "data:text/html;charset=utf-8;base64," + base64.b64encode(document.encode("utf-8")).decode("ascii")
        self.download.value = (
            f"<a class='maturity-qc-download' download='{html.escape(report_file_name(self.results))}' "
            f"href='{href}'>Download report</a>"
        )
        self.updates += 1
        self.status.value = f"<span class='maturity-qc-ready' data-updates='{self.updates}'></span>"

    def _make_pdf(self) -> None:
        if self.results is None:
            return
        self.result_message.value = "<p>Printing the PDF&hellip;</p>"
        pdf = report_pdf(self.results, note=self.saved_note)
        href = "data:application/pdf;base64," + base64.b64encode(pdf).decode("ascii")
        name = html.escape(report_file_name(self.results, ".pdf"))
        self.result_message.value = (
            f"<a class='maturity-qc-download maturity-qc-pdf-link' download='{name}' href='{href}'>Download the PDF</a>"
        )

    def _edit(self) -> None:
        self.result_box.layout.display = "none"
        self.form_box.layout.display = None
        self._show_page(0)

    def _ipython_display_(self) -> None:
        display(self.root)


def app(
    db: str | Path | None = None,
    *,
    wave: str | None = None,
    collect: str | Path | None = None,
) -> QuickCheck | HTML:
    """The quick check for a notebook cell: the widget, or a short message if it cannot start.

    Arguments left as None are read from the environment that ``maturity quickcheck`` sets.
    """
    try:
        return QuickCheck.from_environment(db=db, wave=wave, collect=collect)
    except MaturityError as exc:
        return HTML(f"<div style='color:#611a15'>The quick check cannot start: {html.escape(str(exc))}</div>")
    except Exception:
        log.exception("quick check start-up failed")
        return HTML("<div style='color:#611a15'>The quick check cannot start; the details are in the server log.</div>")
    finally:
        mark_ready()
