"""The Quick Check web server: plain HTML pages for a crowd, no kernel per visitor.

One process serves every respondent (tornado, single-threaded): it reads the wave's
published table once (:class:`~maturity.dashboard.quickcheck_results.PublishedWave`), and
each visitor costs a small session in memory (their answers and their result), nothing
more. Scoring and placing a respondent run one at a time in a worker thread, so pages keep
being answered meanwhile; printing a PDF (Chromium) runs at most ``pdf_at_once`` at a time.

Pages (relative links, so the server can sit under a reverse proxy's sub-path):

* ``GET /``: the form (:func:`~maturity.dashboard.quickcheck_pages.form_page`);
* ``POST /``: the answers; an incomplete form comes back with its answers and what is
  missing, a complete one is scored (and written to the collection folder) and the visitor
  is sent to the result;
* ``GET /result?group=ID``: the result against a released peer group;
* ``GET /report.html`` and ``POST /report.pdf``: the downloads.

Trust no request: a request whose ``Host`` is not allowed gets 403 (DNS rebinding); beyond
loopback the secret link token is required (once presented in the link, it is kept in an
HttpOnly cookie and the link is cleaned); every post carries tornado's XSRF token; bodies,
fields, submissions per visitor (per minute and per hour), PDFs per visitor per hour and
organisations added per run are limited, each refusal a page that says so. Error pages
never show a traceback or a path: those go to the operator's log only.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

import tornado.httpserver
import tornado.web

from ..errors import DataError, MaturityError
from ..published.profile import ClientProfile
from ..reporting.quickcheck_report import pdf_available, report_document, report_file_name, report_pdf, result_html
from .access import (
    TOKEN_PARAMETER,
    WILDCARD_HOSTS,
    allowed_hosts,
    host_allowed,
    needs_token,
    new_token,
    token_matches,
)
from .limits import RateLimiter, RunCap, Window
from .quickcheck_pages import form_page, message_page, read_answers, result_page
from .quickcheck_results import PeerOption, PublishedWave
from .submissions import Submission, SubmissionFolder, new_submission

log = logging.getLogger(__name__)

__all__ = ["QuickCheckLimits", "QuickCheckService", "QuickCheckServer", "make_application"]

SESSION_COOKIE = "maturity_qc_session"
TOKEN_COOKIE = "maturity_qc_token"


@dataclass(frozen=True)
class QuickCheckLimits:
    """What one visitor, and everyone together, may ask of a Quick Check server.

    Attributes
    ----------
    per_minute, per_hour : int
        Submissions (results asked for) per visitor.
    pdf_per_hour : int
        PDFs per visitor.
    pdf_at_once : int
        PDFs printed at the same time (each starts Chromium); a visitor beyond them is asked
        to try again in a minute.
    new_per_run : int
        Organisations (new submissions) the server adds to its collection folder in its
        whole run; a respondent who changes their answers replaces their own file.
    results_per_minute : int
        Results (submissions and peer-group changes) the server computes per minute, for
        everyone together.
    peer_changes_per_minute : int
        Peer-group changes per visitor.
    sessions : int
        Visitors remembered at once (the least recently seen is forgotten first).
    session_idle : float
        Seconds after which an idle visitor is forgotten.
    body_bytes : int
        Size of a request body.
    """

    per_minute: int = 5
    per_hour: int = 20
    pdf_per_hour: int = 5
    pdf_at_once: int = 2
    new_per_run: int = 1000
    results_per_minute: int = 600
    peer_changes_per_minute: int = 30
    sessions: int = 5000
    session_idle: float = 3600.0
    body_bytes: int = 64 * 1024


@dataclass
class Session:
    """One visitor: their answers and, once they submitted, their result."""

    id: str
    answers: dict[str, Any] = field(default_factory=dict)
    submission: Submission | None = None
    client: ClientProfile | None = None
    options: list[PeerOption] = field(default_factory=list)
    group: str | None = None
    results: dict[str, Any] | None = None
    result: str = ""
    note: str = ""
    seen: float = 0.0


class Sessions:
    """Visitors' sessions in memory: at most ``limit``, each forgotten after ``idle`` seconds."""

    def __init__(self, limit: int, idle: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.idle, self.clock = int(limit), float(idle), clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def get(self, session_id: str | None) -> Session | None:
        now = self.clock()
        self._expire(now)
        session = self._sessions.get(session_id) if session_id else None
        if session is not None:
            session.seen = now
            self._sessions.move_to_end(session.id)
        return session

    def new(self, session_id: str | None = None) -> Session:
        now = self.clock()
        self._expire(now)
        session = Session(session_id or secrets.token_urlsafe(18), seen=now)
        self._sessions[session.id] = session
        while len(self._sessions) > self.limit:
            self._sessions.popitem(last=False)
        return session

    def _expire(self, now: float) -> None:
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.seen < self.idle:
                break
            del self._sessions[oldest.id]

    def __len__(self) -> int:
        return len(self._sessions)


class QuickCheckService:
    """Everything the Quick Check's pages share: the wave, the collection folder, the limits.

    Parameters
    ----------
    db : path
        Benchmark database (only its published table is read, once).
    wave : str, optional
    collect : path, optional
        Folder each submission is written to (an existing, writable folder); None stores nothing.
    limits : QuickCheckLimits, optional
    clock : callable, optional
        Monotonic seconds (tests pass their own).
    """

    def __init__(self, db: str | Path, *, wave: str | None = None, collect: str | Path | None = None,
                 limits: QuickCheckLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.wave = PublishedWave(db, wave)
        self.wave.warm_up()
        self.collect = SubmissionFolder(collect) if collect else None
        self.limits = limits or QuickCheckLimits()
        self.pdf = pdf_available()
        self.sessions = Sessions(self.limits.sessions, self.limits.session_idle, clock)
        lim = self.limits
        self.submissions = RateLimiter([
            Window(lim.per_minute, 60, "At most {count} results a minute can be shown to one visitor; "
                                       "please wait a minute and submit again (your answers are kept)."),
            Window(lim.per_hour, 3600, "You have asked for {count} results in the last hour, the most one visitor "
                                       "may; please come back later."),
        ], clock=clock)
        self.peer_changes = RateLimiter([
            Window(lim.peer_changes_per_minute, 60, "At most {count} peer-group changes a minute; please wait a "
                                                    "moment and choose again."),
        ], clock=clock)
        self.busy = RateLimiter([
            Window(lim.results_per_minute, 60, "The quick check is busy: it has shown {count} results in the last "
                                               "minute. Please try again in a minute (your answers are kept)."),
        ], max_keys=1, clock=clock)
        self.pdfs = RateLimiter([
            Window(lim.pdf_per_hour, 3600, "You have asked for {count} PDFs in the last hour, the most one visitor "
                                           "may; the HTML report has the same content."),
        ], clock=clock)
        self.new_organisations = RunCap(
            lim.new_per_run if self.collect is not None else None,
            "This quick check has collected {count} submissions, all it takes in one run; thank you, no more "
            "answers can be saved. Please contact the survey team.")
        self.pdf_printing = 0
        self.compute = ThreadPoolExecutor(1, thread_name_prefix="quickcheck-score")
        self.printer = ThreadPoolExecutor(max(1, lim.pdf_at_once), thread_name_prefix="quickcheck-pdf")

    def close(self) -> None:
        self.compute.shutdown(wait=False, cancel_futures=True)
        self.printer.shutdown(wait=False, cancel_futures=True)

    # --- work done in the worker thread (no session state touched there) -----------------------

    def score(self, answers: dict[str, Any], submission: Submission,
              group: str | None) -> tuple[ClientProfile, list[PeerOption], str | None, dict[str, Any], str, str]:
        """Score the answers, write them when collecting, and place the respondent.

        Returns the profile, the peer groups offered, the group shown, the results, the
        result's HTML and the sentence about storage.
        """
        form = self.wave.form.blank()
        form.answers = dict(answers)
        _clean, client = form.score(submission.id)
        note = "Your answers were not stored."
        if self.collect is not None:
            try:
                self.collect.write(form.response_frame(submission.id), submission)
                note = f"Your answers were saved for the survey team as submission {submission.id}."
            except OSError:
                log.exception("could not write submission %s", submission.id)
                note = "Your answers could not be saved for the survey team; your results below are complete."
        options = self.wave.peer_options(client)
        ids = [o.id for o in options]
        group = group if group in ids else (ids[0] if ids else None)
        results = self.wave.results_for(client, group)
        return client, options, group, results, result_html(results, note=note), note

    def place(self, client: ClientProfile, group: str | None, note: str) -> tuple[dict[str, Any], str]:
        """The results (and their HTML) against another released group."""
        results = self.wave.results_for(client, group)
        return results, result_html(results, note=note)


# --- request handlers -------------------------------------------------------------------------------

_STATUS_PAGES = {
    400: ("Request not understood", "That request could not be read. Please go back to the quick check and try again."),
    403: ("Not allowed", "This address does not serve the quick check to this request."),
    404: ("Page not found", "There is no such page here."),
    405: ("Not allowed", "That is not something this page does."),
    413: ("Too much sent", "The form sent more than a quick check needs; please go back and try again."),
}
_XSRF_PAGE = ("Form expired", "This form could not be checked (it may have expired, or cookies may be blocked). "
              "Please go back, reload the page and submit again.")
_FAILED = ("Something went wrong", "Something went wrong on our side. Please try again; the details are in the "
           "server's log.")


class QuickCheckHandler(tornado.web.RequestHandler):
    """What every page shares: who may ask, the session, the headers, the error pages."""

    service: QuickCheckService
    _access_checked = False

    def initialize(self, service: QuickCheckService, allowed: frozenset[str], token: str | None) -> None:
        self.service = service
        self.allowed = allowed
        self.token = token

    def set_default_headers(self) -> None:
        # Nothing of ours runs script, embeds or is embedded, or is worth caching.
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Cache-Control", "no-store")

    # --- who may ask ----------------------------------------------------------------------------

    def check_xsrf_cookie(self) -> None:
        self._check_access()  # a foreign Host or a missing token is refused before anything else
        super().check_xsrf_cookie()

    def prepare(self) -> None:
        self._check_access()
        if len(self.request.body or b"") > self.service.limits.body_bytes:
            raise tornado.web.HTTPError(413, "body of %d bytes", len(self.request.body))

    def _check_access(self) -> None:
        if self._access_checked:
            return
        self._access_checked = True
        if not host_allowed(self.request.headers.get("Host"), self.allowed):
            raise tornado.web.HTTPError(403, "Host %r not allowed", self.request.headers.get("Host"))
        if self.token is None:
            return
        given = self.get_query_argument(TOKEN_PARAMETER, None)
        if token_matches(given, self.token):
            self.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Lax",
                            secure=self.request.protocol == "https")
            if self.request.method == "GET":
                # The token leaves the address bar (and its history) at once.
                query = [(k, v) for k, vs in self.request.query_arguments.items() if k != TOKEN_PARAMETER
                         for v in (self.decode_argument(x, name=k) for x in vs)]
                target = self.request.path.rsplit("/", 1)[-1] or "./"
                self.redirect(target + ("?" + urlencode(query) if query else ""), status=303)
            return
        if not token_matches(self.get_cookie(TOKEN_COOKIE), self.token):
            raise tornado.web.HTTPError(403, "no valid link token")

    # --- sessions -------------------------------------------------------------------------------

    def session_id(self) -> str:
        """The visitor's session id: from their signed cookie, or a new one (the cookie is set).
        Nothing is kept on the server until they submit, so opening the form costs no memory."""
        raw = self.get_signed_cookie(SESSION_COOKIE, max_age_days=1)
        if raw:
            return raw.decode("ascii", "replace")
        session_id = secrets.token_urlsafe(18)
        self.set_signed_cookie(SESSION_COOKIE, session_id, expires_days=None, httponly=True, samesite="Lax",
                               secure=self.request.protocol == "https")
        return session_id

    def session(self, create: bool = False) -> Session | None:
        """The visitor's session (made when ``create``; else None when they have none)."""
        raw = self.get_signed_cookie(SESSION_COOKIE, max_age_days=1)
        session = self.service.sessions.get(raw.decode("ascii", "replace") if raw else None)
        if session is None and create:
            session = self.service.sessions.new(self.session_id())
        return session

    def xsrf_field(self) -> str:
        return self.xsrf_form_html()

    def page(self, text: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(text)

    def refuse(self, status: int, title: str, message: str) -> None:
        self.page(message_page(title, message), status)

    # --- errors: a short page, never a traceback or a path ----------------------------------------

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if status_code == 403 and isinstance(error, tornado.web.HTTPError) and "xsrf" in (error.log_message or "").lower():
            title, message = _XSRF_PAGE
        else:
            title, message = _STATUS_PAGES.get(status_code, _FAILED)
        self.clear_header("Content-Disposition")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(message_page(title, message))

    def log_exception(self, typ, value, tb) -> None:  # noqa: ANN001 - tornado's signature
        if isinstance(value, tornado.web.HTTPError):
            log.info("refused %s %s: %s %s", self.request.method, self.request.uri, value.status_code,
                     (value.log_message or "") % value.args if value.log_message else "")
        else:
            log.error("quick check failed on %s %s", self.request.method, self.request.uri, exc_info=(typ, value, tb))


class NotFoundHandler(QuickCheckHandler):
    """Anything else: 404 (after the same Host and token checks)."""

    def prepare(self) -> None:
        super().prepare()
        if not self._finished:  # (a link with its token is first redirected without it)
            raise tornado.web.HTTPError(404)


class FormHandler(QuickCheckHandler):
    """The form, and its submission."""

    def get(self) -> None:
        self.session_id()  # the cookie a double-clicked first submission shares
        session = self.session()
        form = self.service.wave.form.blank()
        if session is not None:
            form.answers = dict(session.answers)
        self.page(self._form(form))

    def _form(self, form, show_problems: bool = False, notices: tuple[str, ...] | list[str] = ()) -> str:
        wave = self.service.wave
        return form_page(form, wave=wave.wave, n_organisations=wave.n_organisations,
                         collecting=self.service.collect is not None, xsrf_field=self.xsrf_field(),
                         show_problems=show_problems, notices=notices)

    async def post(self) -> None:
        service = self.service
        session = self.session(create=True)
        form = service.wave.form.blank()
        fields = {q.name: self.get_body_arguments(q.name, strip=False) for page in form.pages for q in page.questions}
        problems = read_answers(form, fields)
        session.answers = dict(form.answers)
        if problems or form.first_incomplete() is not None:
            self.page(self._form(form, True, problems), 400 if problems else 200)
            return
        refusal = service.submissions.refusal(session.id)
        if refusal:
            self.page(self._form(form, notices=[refusal]), 429)
            return
        if (busy := service.busy.refusal()) is not None:
            self.page(self._form(form, notices=[busy]), 503)
            return
        now = datetime.now(timezone.utc).replace(microsecond=0)
        new = session.submission is None
        if new:  # a new organisation: counted against the run's cap
            if (full := service.new_organisations.refusal()) is not None:
                self.page(self._form(form, notices=[full]), 429)
                return
            # Reserved at once: a second click arriving meanwhile replaces this file, not adds one.
            session.submission = new_submission(now)
        # A respondent who changes their answers keeps their id (their file is replaced).
        submission = Submission(session.submission.id, now)
        loop = asyncio.get_running_loop()
        try:
            client, options, group, results, result, note = await loop.run_in_executor(
                service.compute, service.score, session.answers, submission, session.group)
        except Exception as exc:
            if new and session.results is None:  # nothing was written: the reservation is given back
                service.new_organisations.give_back()
                session.submission = None
            if not isinstance(exc, DataError):
                raise
            self.page(self._form(form, True, [str(exc)]), 400)
            return
        session.client, session.options, session.group = client, options, group
        session.results, session.result, session.note = results, result, note
        self.redirect("result", status=303)


class ResultHandler(QuickCheckHandler):
    """The result, against the peer group asked for."""

    async def get(self) -> None:
        session = self.session()
        if session is None or session.results is None:
            self.redirect("./", status=303)
            return
        service = self.service
        notices: list[str] = []
        wanted = self.get_query_argument("group", None)
        status = 200
        if wanted is not None and wanted != session.group:
            if wanted not in {o.id for o in session.options}:
                notices.append("That peer group is not offered; the result below is against the group shown.")
                status = 400
            elif (refusal := service.peer_changes.refusal(session.id) or service.busy.refusal()) is not None:
                notices.append(refusal)
                status = 429
            else:
                loop = asyncio.get_running_loop()
                results, result = await loop.run_in_executor(service.compute, service.place, session.client,
                                                             wanted, session.note)
                session.group, session.results, session.result = wanted, results, result
        self.page(result_page(service.wave.form, session.result, session.options, session.group,
                              xsrf_field=self.xsrf_field(), pdf=service.pdf, notices=notices), status)


class ReportHandler(QuickCheckHandler):
    """The result as one self-contained HTML file to keep."""

    def get(self) -> None:
        session = self.session()
        if session is None or session.results is None:
            self.redirect("./", status=303)
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{report_file_name(session.results)}"')
        self.finish(report_document(session.results, note=session.note))


class PdfHandler(QuickCheckHandler):
    """The result printed to PDF: a few at a time, a few per visitor per hour."""

    async def post(self) -> None:
        service = self.service
        session = self.session()
        if session is None or session.results is None:
            self.redirect("./", status=303)
            return
        if not service.pdf:
            self.refuse(404, "No PDF here", "This server cannot print PDFs; the HTML report has the same content.")
            return
        if service.pdf_printing >= service.limits.pdf_at_once:
            self.refuse(503, "Busy", "The quick check is busy printing other reports; please try again in a minute.")
            return
        if (refusal := service.pdfs.refusal(session.id)) is not None:
            self.refuse(429, "No more PDFs for now", refusal)
            return
        service.pdf_printing += 1
        try:
            loop = asyncio.get_running_loop()
            pdf = await loop.run_in_executor(service.printer, lambda: report_pdf(session.results, note=session.note))
        except MaturityError:
            log.exception("printing a quick-check PDF failed")
            self.refuse(503, "No PDF", "The PDF could not be printed just now; the HTML report has the same content.")
            return
        finally:
            service.pdf_printing -= 1
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'attachment; filename="{report_file_name(session.results, ".pdf")}"')
        self.finish(pdf)


def make_application(service: QuickCheckService, *, allowed: frozenset[str], token: str | None) -> tornado.web.Application:
    """The tornado application serving ``service`` to requests naming an ``allowed`` host
    (and, when ``token`` is given, carrying it)."""
    handler_args = {"service": service, "allowed": allowed, "token": token}
    return tornado.web.Application(
        [
            (r"/", FormHandler, handler_args),
            (r"/result", ResultHandler, handler_args),
            (r"/report\.html", ReportHandler, handler_args),
            (r"/report\.pdf", PdfHandler, handler_args),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=handler_args,
        cookie_secret=secrets.token_bytes(32),  # sessions die with the server, as its memory does
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"httponly": True, "samesite": "Lax"},
        cross_origin_protection=True,
        serve_traceback=False,
        compress_response=True,
    )


class QuickCheckServer:
    """A Quick Check server running in a thread of this process.

    Parameters
    ----------
    service : QuickCheckService
    host : str
        Interface to bind.
    port : int
    allow_hosts : iterable of str
        Host names allowed besides loopback and ``host`` (``--allow-host``).
    token : str, optional
        The link token; by default one is made when ``host`` is not loopback.
    """

    def __init__(self, service: QuickCheckService, *, host: str = "127.0.0.1", port: int, allow_hosts=(),
                 token: str | None = None) -> None:
        self.service, self.host, self.port = service, host, int(port)
        self.allowed = allowed_hosts(host, allow_hosts)
        self.token = token if token is not None else (new_token() if needs_token(host) else None)
        self.application = make_application(service, allowed=self.allowed, token=self.token)
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        # The link names the interface, or for a wildcard the first name allowed (else loopback).
        shown = host
        if host in WILDCARD_HOSTS:
            shown = next((h.strip() for h in allow_hosts if h.strip()), "127.0.0.1")
        shown = f"[{shown}]" if ":" in shown else shown
        self.base_url = f"http://{shown}:{self.port}/"

    @property
    def url(self) -> str:
        """The link to hand out (with the token when one is required)."""
        return self.base_url + (f"?{TOKEN_PARAMETER}={self.token}" if self.token else "")

    def start(self, timeout: float = 30) -> "QuickCheckServer":
        """Listen and serve in a background thread; return once listening."""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="quickcheck-server",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise MaturityError("the quick check server did not start")
        if self._error is not None:
            raise self._error
        return self

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            server = tornado.httpserver.HTTPServer(
                self.application, xheaders=True, max_body_size=max(self.service.limits.body_bytes, 1 << 20),
                idle_connection_timeout=60, body_timeout=30)
            server.listen(self.port, self.host)
        except BaseException as exc:  # e.g. the port was taken meanwhile: told to the caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        server.stop()
        await server.close_all_connections()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10) -> None:
        """Stop listening, close connections and the worker threads."""
        if self._loop is not None and self._stop is not None and self.running():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
        self.service.close()
