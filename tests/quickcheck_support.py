"""Helpers for the quick-check tests: answering the form, in code and in a browser."""

from __future__ import annotations

import json

from maturity.dashboard.quickcheck_form import QuickCheckForm


def answer_everything(form: QuickCheckForm, name: str, *, shift: int = 0) -> None:
    """Answer every required question of ``form``: the name, each demographic's first value
    (shifted), and every strand statement a point of its scale that varies from item to
    item (outcomes and barriers are left blank)."""
    fw = form.framework
    form.set_answer(fw.name_column, name)
    for k, demo in enumerate(fw.demographics):
        form.set_answer(demo.id, demo.values[(k + shift) % len(demo.values)])
    for page in (p for p in form.pages if p.kind == "strand"):
        for k, question in enumerate(page.questions):
            if question.kind == "scale":
                form.set_answer(question.name, question.choices[(k + shift) % len(question.choices)].code)


def widget_state_text() -> str:
    """Everything the kernel holds as widget state (what it sends to a browser), as text."""
    from ipywidgets.widgets.widget import _instances

    return json.dumps([w.get_state() for w in list(_instances.values())], default=str)


def fill_in_browser(page, name: str, *, shift: int = 0) -> None:
    """Answer the quick check in a browser page: the organisation page, every statement
    of every strand page (button ``(k + shift) % n``), through the optional pages, stopping
    on the last page (its button submits)."""
    page.wait_for_selector(".maturity-qc-next", timeout=90_000)
    page.fill(".maturity-qc-q-name input", name)
    selects = page.locator(".maturity-qc-page-organisation select")
    for k in range(selects.count()):
        selects.nth(k).select_option(index=(k + shift) % 3)
    while True:
        where = page.text_content(".maturity-qc-progress .qc-where")
        questions = page.locator(".maturity-qc-page-strand .maturity-qc-q")
        for k in range(questions.count()):
            buttons = questions.nth(k).locator("button")
            buttons.nth((k + shift) % buttons.count()).click()
        if page.locator(".maturity-qc-next").text_content().strip() == "See my results":
            return
        page.click(".maturity-qc-next")
        # The next page, or a message saying what is missing (then fail with it).
        page.wait_for_function(
            """before => document.querySelector('.maturity-qc-progress .qc-where').textContent !== before
                        || document.querySelector('.maturity-qc-message .qc-problem') !== null""",
            arg=where, timeout=90_000,
        )
        problem = page.locator(".maturity-qc-message .qc-problem")
        assert problem.count() == 0, f"{where}: {problem.first.text_content()}"
