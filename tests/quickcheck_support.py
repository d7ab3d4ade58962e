"""Helpers for the quick-check tests: answering the form, in code and in a browser."""

from __future__ import annotations

import html
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

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


def form_fields(form: QuickCheckForm) -> list[tuple[str, str]]:
    """``form``'s answers as the fields a browser posts (a ticked box is one field each)."""
    fields: list[tuple[str, str]] = []
    for name, value in form.answers.items():
        if value is None:
            continue
        for one in (value if isinstance(value, tuple) else (value,)):
            fields.append((name, str(one)))
    return fields


@dataclass
class Reply:
    status: int
    text: str
    headers: Any
    url: str


class Visitor:
    """A browser without a browser: keeps its cookies, follows redirects, and posts forms
    with the XSRF field of the last page it read (``Host`` may be set to anything)."""

    def __init__(self, base_url: str, host: str | None = None) -> None:
        self.base_url = base_url
        self.host = host
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.xsrf: str | None = None

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None,
                method: str | None = None) -> Reply:
        url = urllib.parse.urljoin(self.base_url, path)
        request = urllib.request.Request(url, data=data, headers=dict(headers or {}), method=method)
        if self.host is not None:
            request.add_header("Host", self.host)
        try:
            with self.opener.open(request, timeout=60) as response:
                reply = Reply(response.status, response.read().decode("utf-8", "replace"), response.headers,
                              response.url)
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, error.read().decode("utf-8", "replace"), error.headers, error.url)
        found = re.search(r'name="_xsrf" value="([^"]+)"', reply.text)
        if found:
            self.xsrf = html.unescape(found.group(1))
        return reply

    def get(self, path: str = "") -> Reply:
        return self.request(path)

    def post(self, path: str, fields: list[tuple[str, str]], *, xsrf: bool = True) -> Reply:
        body = list(fields) + ([("_xsrf", self.xsrf or "")] if xsrf else [])
        return self.request(path, urllib.parse.urlencode(body).encode("utf-8"),
                            {"Content-Type": "application/x-www-form-urlencoded"})


def fill_in_browser(page, name: str, *, shift: int = 0) -> None:
    """Answer the quick check's form in a browser page: the name, each demographic (option
    ``(k + shift) % 3`` after "Choose"), and every strand statement (option ``(k + shift) % n``),
    leaving the optional pages blank."""
    page.fill(".qc-page-organisation input[type=text]", name)
    selects = page.locator(".qc-page-organisation select")
    for k in range(selects.count()):
        selects.nth(k).select_option(index=1 + (k + shift) % 3)
    questions = page.locator(".qc-page-strand fieldset.qc-q")
    for k in range(questions.count()):
        options = questions.nth(k).locator("label")
        options.nth((k + shift) % options.count()).click()
