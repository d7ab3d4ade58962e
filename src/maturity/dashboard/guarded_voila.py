"""Voila with the limits a dashboard shown to a crowd needs; run as
``python -m maturity.dashboard.guarded_voila NOTEBOOK [Voila options]``.

What plain Voila 0.5 leaves open, and what this adds (see docs/serving-dashboard.md):

- **Who may ask.** Every request (page, static file, kernel websocket, API) is refused with
  403 unless its ``Host`` header names an allowed host, and, when the server has a link
  token, unless the request carries it (in the link once, then in a cookie for this port).
- **How many kernels.** A page view beyond ``max_viewers`` kernels in use gets a short
  "busy, try again in a minute" page (HTTP 503) instead of a new kernel.
- **Freed on close.** The page sets the ``_xsrf`` cookie Voila's tab-close beacon sends
  back, so the beacon's shutdown request passes the XSRF check and frees the kernel.
- **Freed when idle.** :class:`CullingKernelManager` culls a kernel nobody is connected to
  after ``cull_disconnected_timeout`` seconds and any kernel idle for ``cull_idle_timeout``.
- **A readiness probe that takes nothing.** ``/maturity/status`` answers with kernel counts
  and starts no kernel.

The link token comes from the environment variable :data:`ENV_TOKEN` (not the command
line, which other users of the machine can read); it is removed from the environment
before any kernel starts.
"""

from __future__ import annotations

import contextvars
import html
import json
import os
from datetime import timedelta
from typing import Any

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httputil import HTTPServerRequest
from tornado.routing import Matcher, Rule
from traitlets import Float, Integer, List, Unicode
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from .access import ENV_TOKEN, STATUS_PATH, TOKEN_PARAMETER, allowed_hosts, host_allowed, token_matches

#: The page view's claim on a kernel: filled with the kernel id once the page has one.
_CLAIM: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("maturity_claim", default=None)


class CullingKernelManager(MappingKernelManager):
    """Kernel manager that frees a kernel nobody is connected to sooner than an idle one.

    ``cull_idle_timeout`` (with ``cull_connected=True``) frees a kernel whose tab is open but
    untouched; ``cull_disconnected_timeout`` frees one whose tab is gone without saying so
    (closed before the page finished, a crashed browser, a lost network).
    """

    cull_disconnected_timeout = Float(
        90.0, config=True,
        help="Seconds a kernel with no websocket connected may stay idle before it is shut down.",
    )

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        kernel = self._kernels.get(kernel_id)
        if kernel is None:
            return
        last = getattr(kernel, "last_activity", None)
        if (last is not None and not self._kernel_connections.get(kernel_id, 0)
                and getattr(kernel, "execution_state", None) != "busy"
                and utcnow() - last > timedelta(seconds=self.cull_disconnected_timeout)):
            self.log.info("Culling kernel %s: no connection for %.0f s", kernel_id, self.cull_disconnected_timeout)
            await self.shutdown_kernel(kernel_id)
            return
        await super().cull_kernel_if_idle(kernel_id)


def kernel_counts(kernel_manager: Any) -> dict[str, int]:
    """Kernels running, waiting in Voila's pre-heated pool, and in use by visitors."""
    pooled: set[str] = set()
    for pool in getattr(kernel_manager, "_pools", {}).values():
        for task in list(pool):
            if task.done() and not task.cancelled() and task.exception() is None:
                pooled.add(task.result()["kernel_id"])
    running = list(kernel_manager.list_kernel_ids())
    in_use = [k for k in running if k not in pooled]
    return {"kernels": len(running), "pooled": len(pooled), "in_use": len(in_use)}


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:sans-serif;max-width:36em;margin:4em auto;color:#222">
<h1 style="font-size:1.4em">{title}</h1><p>{text}</p></body></html>"""


def page(title: str, text: str) -> str:
    """A small self-contained HTML page (no script, no asset, nothing from the request)."""
    return PAGE.format(title=html.escape(title), text=html.escape(text))


class Guard:
    """What the server lets through: allowed hosts, the link token, the viewer limit."""

    def __init__(self, *, hosts: frozenset[str], token: str, port: int, max_viewers: int) -> None:
        self.hosts = hosts
        self.token = token
        self.cookie = f"maturity_token_{port}"  # cookies ignore ports: one name per server
        self.max_viewers = max_viewers
        self.loading: list[list[str]] = []  # claims of page views still waiting for a kernel

    def refusal(self, request: HTTPServerRequest) -> str | None:
        """Why ``request`` is refused (None when it may go on)."""
        if not host_allowed(request.headers.get("Host"), self.hosts):
            return "host"
        if self.token and not (token_matches(self.presented(request), self.token)):
            return "token"
        return None

    def presented(self, request: HTTPServerRequest) -> str | None:
        """The token a request carries: in the link, else in this server's cookie."""
        values = request.query_arguments.get(TOKEN_PARAMETER)
        if values:
            return values[-1].decode("utf-8", "replace")
        morsel = request.cookies.get(self.cookie)
        return morsel.value if morsel is not None else None

    def occupied(self, kernel_manager: Any) -> int:
        """Viewers holding a kernel, plus page views still waiting for theirs."""
        return kernel_counts(kernel_manager)["in_use"] + sum(1 for claim in self.loading if not claim)


class _Refused(Matcher):
    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def match(self, request: HTTPServerRequest) -> dict | None:
        return {} if self.guard.refusal(request) is not None else None


class RefusedHandler(web.RequestHandler):
    """403 for a foreign Host or a missing token, on every path and method."""

    def initialize(self, guard: Guard) -> None:
        self.guard = guard

    def prepare(self) -> None:
        reason = self.guard.refusal(self.request)
        self.set_status(403)
        self.set_header("Cache-Control", "no-store")
        if reason == "host":
            text = "This server does not answer to that address."
        else:
            text = "This dashboard needs the full link it was shared with (including its token)."
        self.finish(page("Not available", text))

    def check_xsrf_cookie(self) -> None:  # the refusal happens first, whatever the method
        return None


class StatusHandler(web.RequestHandler):
    """Kernel counts as JSON; starts no kernel (the readiness probe and the tests read it)."""

    def initialize(self, guard: Guard) -> None:
        self.guard = guard

    def get(self) -> None:
        counts = kernel_counts(self.settings["kernel_manager"])
        counts.update(max_viewers=self.guard.max_viewers, loading=sum(1 for c in self.guard.loading if not c))
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(counts))


class GuardedVoilaHandler(TornadoVoilaHandler):
    """The notebook page: the busy page beyond the limit, the token moved from the link to a
    cookie, and the ``_xsrf`` cookie the tab-close beacon needs."""

    async def get(self, path: str | None = None) -> None:
        guard: Guard = self.settings["maturity_guard"]
        if guard.token and self.get_query_argument(TOKEN_PARAMETER, None) is not None:
            # Keep the token out of the address bar, history and Referer: a cookie holds it.
            self.set_cookie(guard.cookie, guard.token, httponly=True, samesite="Lax",
                            secure=self.request.protocol == "https")
            self.redirect(url_path_join(self.base_url, path or ""))
            return
        if guard.occupied(self.kernel_manager) >= guard.max_viewers:
            self.set_status(503)
            self.set_header("Retry-After", "60")
            self.set_header("Cache-Control", "no-store")
            self.finish(page("Busy, please try again in a minute",
                             f"This dashboard is open for {guard.max_viewers} viewers at a time and all "
                             "places are taken. Reload this page in a minute."))
            return
        self.xsrf_token  # noqa: B018 - sets the _xsrf cookie Voila's tab-close beacon sends back
        claim: list[str] = []
        _CLAIM.set(claim)
        guard.loading.append(claim)
        try:
            await super().get(path)
        finally:
            guard.loading.remove(claim)


def _claim_kernels(kernel_manager: Any) -> None:
    """Record which page view each kernel goes to, so one being loaded is counted once."""
    hand_out = getattr(kernel_manager, "get_rendered_notebook", None)
    start = kernel_manager.start_kernel

    if hand_out is not None:
        async def get_rendered_notebook(*args: Any, **kwargs: Any):
            claim = _CLAIM.get()
            reset = _CLAIM.set(None)  # the pool refill started inside belongs to no page view
            try:
                result = await hand_out(*args, **kwargs)
            finally:
                _CLAIM.reset(reset)
            if claim is not None:
                claim.append(result[2])
            return result

        kernel_manager.get_rendered_notebook = get_rendered_notebook

    async def start_kernel(*args: Any, **kwargs: Any) -> str:
        kernel_id = await start(*args, **kwargs)
        claim = _CLAIM.get()
        if claim is not None and not claim:
            claim.append(kernel_id)
        return kernel_id

    kernel_manager.start_kernel = start_kernel  # Voila's own pool calls the class's method


class GuardedVoila(Voila):
    """Voila with :class:`Guard` in front of every route (see the module docstring)."""

    name = "voila"  # the same config files and options as Voila
    max_viewers = Integer(8, config=True, help="Kernels in use by visitors at most; beyond it a busy page (503).")
    allow_hosts = List(Unicode(), config=True, help="Host names allowed besides loopback and the bound interface.")

    def init_settings(self) -> dict:
        settings = super().init_settings()
        token = os.environ.pop(ENV_TOKEN, "")  # kernels inherit the environment: not the token
        self.guard = Guard(hosts=allowed_hosts(self.ip, self.allow_hosts), token=token, port=self.port,
                           max_viewers=self.max_viewers)
        settings["maturity_guard"] = self.guard
        # The _xsrf cookie is only ever sent back by this server's own pages.
        settings["xsrf_cookie_kwargs"] = {"samesite": "Strict"}
        _claim_kernels(self.kernel_manager)
        return settings

    def init_handlers(self) -> list:
        handlers = [
            (pattern, GuardedVoilaHandler if handler is TornadoVoilaHandler else handler, *rest)
            for pattern, handler, *rest in super().init_handlers()
        ]
        status = (url_path_join(self.server_url, STATUS_PATH), StatusHandler, {"guard": self.guard})
        return [status, *handlers]

    def listen(self) -> None:
        # Before anything else the application routes: refuse foreign hosts and missing tokens.
        self.app.default_router.rules.insert(
            0, self.app.default_router.process_rule(Rule(_Refused(self.guard), RefusedHandler, {"guard": self.guard})))
        super().listen()


main = GuardedVoila.launch_instance

if __name__ == "__main__":
    main()
