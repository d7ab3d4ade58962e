"""Starting the Voila server of the dashboard, and the checks every server makes first.

(The Quick Check is no Voila app: :mod:`maturity.dashboard.quickcheck_server` serves it.)

Both notebooks read their configuration from environment variables that only the server
sets (never from the URL), so a client-mode dashboard cannot be unlocked, nor a quick
check pointed at another folder, by editing the address: ``MATURITY_DASHBOARD_DB``,
``MATURITY_DASHBOARD_WAVE``, ``MATURITY_DASHBOARD_CLIENT`` (a client parameters file),
``MATURITY_DASHBOARD_MIN_GROUP`` and ``MATURITY_QUICKCHECK_COLLECT`` (the folder quick-check
submissions are written to).

:func:`start_voila` is what they share: the port (the first free one from 8866 unless one
is named), loopback unless told otherwise, a pre-heated kernel that has built the page
before the address is announced, and a clean stop of the server and its kernels.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..benchmarking.client_parameters import load_client_parameters
from ..config import DEFAULT_DB, check_min_group_size
from ..data.store import BenchmarkStore
from ..errors import DashboardError, ParametersError
from ..reporting.notebooks import notebook_path
from .access import ENV_TOKEN, STATUS_PATH, needs_token, new_token, tls_warning

from .environment import ENV_CLIENT, ENV_COLLECT, ENV_DB, ENV_MIN_GROUP, ENV_READY, ENV_WAVE  # noqa: F401 (re-exported)
DEFAULT_PORT = 8866
#: Visitors' kernels at most, by default (about 330 MB each, plus the pre-heated one).
DEFAULT_MAX_VIEWERS = 8
#: Seconds before an idle kernel is freed: an open but untouched tab, and a tab that is gone.
DEFAULT_IDLE_TIMEOUT = 600.0
DEFAULT_DISCONNECTED_TIMEOUT = 90.0


@dataclass
class DashboardServer:
    """A running Voila process serving the dashboard or the quick check."""

    process: subprocess.Popen
    url: str
    workdir: Path
    settings: dict[str, str] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    #: The secret link token ("" when the server is on loopback only); ``url`` carries it.
    token: str = ""
    #: Warnings to print with the address (plain HTTP beyond this machine).
    warnings: tuple[str, ...] = ()

    @property
    def base_url(self) -> str:
        """The address without the token."""
        return self.url.split("?", 1)[0]

    def status(self, timeout: float = 5) -> dict:
        """Kernel counts from ``/maturity/status`` (running, pooled, in use; takes no kernel)."""
        import json

        with urllib.request.urlopen(_probe_url(self.base_url, self.token), timeout=timeout) as response:
            return json.loads(response.read())

    def stop(self, timeout: float = 10) -> None:
        """Stop the server and its kernels."""
        self.stopping.set()  # kernels torn down mid-work log noise nobody needs to read
        if self.process.poll() is None:
            # Voila shuts its kernels down cleanly on SIGTERM; only stragglers get killed.
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _bind_error(host: str, port: int) -> OSError | None:
    """Why ``host:port`` cannot be listened on (None when it can)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc
    return None


def free_port(host: str, start: int = DEFAULT_PORT, attempts: int = 50) -> int:
    """First port from ``start`` that can be bound on ``host``."""
    for port in range(start, start + attempts):
        if _bind_error(host, port) is None:
            return port
    raise DashboardError(f"no free port found on {host} between {start} and {start + attempts - 1}")


def start_dashboard(
    *,
    db: str | Path | None = None,
    client: str | Path | None = None,
    wave: str | None = None,
    min_group_size: int | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    notebook: str | Path | None = None,
    ready_timeout: float = 120,
    quiet: bool = False,
    max_viewers: int = DEFAULT_MAX_VIEWERS,
    allow_hosts: tuple[str, ...] | list[str] = (),
    token: str | None = None,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    disconnected_timeout: float = DEFAULT_DISCONNECTED_TIMEOUT,
    cull_interval: float | None = None,
) -> DashboardServer:
    """Start Voila on the dashboard notebook and wait until it answers.

    Parameters
    ----------
    db : path, optional
        Benchmark database (default: the client file's, else ``outputs/benchmark.duckdb``).
    client : path, optional
        Client parameters file: locks the dashboard to that organisation (client mode).
        It is checked before anything starts.
    wave : str, optional
        Initial wave (default latest).
    min_group_size : int, optional
        Privacy threshold override (never below 3).
    host : str
        Interface to bind; 127.0.0.1 unless told otherwise.
    port : int, optional
        Port; default the first free one from 8866. An explicit port that is taken is an error.
    notebook : path, optional
        Dashboard notebook (default the packaged ``dashboard.ipynb``).
    ready_timeout : float
        Seconds to wait for the server to answer and its first kernel to be warm.
    quiet : bool
        Send the server's own log to ``server.log`` in its private folder instead of the
        terminal (tests and benchmarks).
    max_viewers : int
        Visitors' kernels at most; a page view beyond them gets a "busy" page (HTTP 503).
    allow_hosts : sequence of str
        Host names the server answers to besides loopback and ``host`` (e.g. the public
        name a reverse proxy forwards); any other ``Host`` header gets 403.
    token : str, optional
        Secret link token. Default: a fresh one when ``host`` is not loopback (each start,
        so each client's dashboard has its own), none on loopback. ``""`` disables it.
    idle_timeout, disconnected_timeout : float
        Seconds after which an idle kernel is freed, with and without a tab connected.
    cull_interval : float, optional
        Seconds between idle checks (default: a tenth of ``disconnected_timeout``, 1 to 30).

    Returns
    -------
    DashboardServer

    Raises
    ------
    ParametersError
        A bad client file, minimum group size or port (checked before anything starts).
    StoreError
        The database does not exist.
    DashboardError
        No free port, or the server did not come up.
    """
    # A bad client file, database, wave or organisation fails here, before any server.
    db, _label = check_server_inputs(db=db, wave=wave, client=client)
    if min_group_size is not None:
        check_min_group_size(min_group_size, where="min_group_size")
    nb = Path(notebook) if notebook else notebook_path("dashboard.ipynb")
    env = {ENV_DB: str(db)}
    if client is not None:
        env[ENV_CLIENT] = str(Path(client).resolve())
    if wave is not None:
        env[ENV_WAVE] = str(wave)
    if min_group_size is not None:
        env[ENV_MIN_GROUP] = str(min_group_size)
    limits = ServeLimits(max_viewers=max_viewers, allow_hosts=tuple(allow_hosts), token=token,
                         idle_timeout=idle_timeout, disconnected_timeout=disconnected_timeout,
                         cull_interval=cull_interval)
    return start_voila(nb, env, host=host, port=port, ready_timeout=ready_timeout, quiet=quiet, what="dashboard",
                       limits=limits)


def check_server_inputs(
    *, db: str | Path | None = None, wave: str | None = None, client: str | Path | None = None,
) -> tuple[Path, str]:
    """Check what a server would show before it starts: the database, the wave and, in client
    mode, the client file and its organisation.

    The messages are those of the other commands (``maturity score``, ``segment``, ``batch``),
    so the same mistake reads the same everywhere.

    Parameters
    ----------
    db : path, optional
        Benchmark database (default: the client file's, else ``outputs/benchmark.duckdb``).
    wave : str, optional
        The wave asked for (default: the client file's, else the latest).
    client : path, optional
        Client parameters file (client mode).

    Returns
    -------
    (Path, str)
        The database's resolved path and the wave label the server starts on.

    Raises
    ------
    StoreError
        No database at that path, no waves in it, or no such wave.
    ParametersError
        A bad client file, its own survey file missing, or its organisation not in the wave.
    """
    params = load_client_parameters(client) if client is not None else None
    if params is not None and params.responses is not None and not Path(params.responses).is_file():
        raise ParametersError(f"{client}: responses: file {params.responses} not found")
    db = Path(db or (params.db if params is not None else None) or DEFAULT_DB).resolve()
    if wave is None and params is not None:
        wave = params.wave
    with BenchmarkStore(db, read_only=True) as store:
        label = store.resolve_wave(wave)
        organisation = params.organisation if params is not None else None
        if organisation is not None and organisation not in store.scores(label).index:
            taken = list(store.history(organisation)["wave"])
            where = (f"it took part in wave(s) {', '.join(map(str, taken))}: choose one with --wave" if taken
                     else "it is in no wave of this database")
            raise ParametersError(
                f"{client}: organisation {organisation!r} is not in wave {label} of {db} ({where})")
    return db, label


@dataclass(frozen=True)
class ServeLimits:
    """Who may reach a dashboard and how much it may hold (see :func:`start_dashboard`)."""

    max_viewers: int = DEFAULT_MAX_VIEWERS
    allow_hosts: tuple[str, ...] = ()
    token: str | None = None
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    disconnected_timeout: float = DEFAULT_DISCONNECTED_TIMEOUT
    cull_interval: float | None = None

    def check(self) -> None:
        """Refuse impossible limits before anything starts."""
        if self.max_viewers < 1:
            raise ParametersError(f"max_viewers must be at least 1, got {self.max_viewers}")
        if not (self.idle_timeout > 0 and self.disconnected_timeout > 0):
            raise ParametersError("idle timeouts must be positive numbers of seconds")

    def options(self) -> list[str]:
        """Command-line options of :mod:`maturity.dashboard.guarded_voila` for these limits."""
        interval = self.cull_interval or min(30.0, max(1.0, self.disconnected_timeout / 10))
        return [
            f"--GuardedVoila.max_viewers={self.max_viewers}",
            *(f"--GuardedVoila.allow_hosts={name}" for name in self.allow_hosts),
            "--VoilaConfiguration.multi_kernel_manager_class=maturity.dashboard.guarded_voila.CullingKernelManager",
            f"--CullingKernelManager.cull_idle_timeout={int(round(self.idle_timeout))}",
            f"--CullingKernelManager.cull_disconnected_timeout={self.disconnected_timeout}",
            f"--CullingKernelManager.cull_interval={max(1, int(round(interval)))}",
            "--CullingKernelManager.cull_connected=True",
        ]


def _probe_url(base_url: str, token: str) -> str:
    """The status endpoint of a server at ``base_url`` (takes no kernel)."""
    from urllib.parse import quote

    url = base_url.rstrip("/") + STATUS_PATH
    return f"{url}?token={quote(token)}" if token else url


def start_voila(
    notebook: Path,
    settings: dict[str, str],
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    ready_timeout: float = 120,
    quiet: bool = False,
    what: str = "dashboard",
    limits: ServeLimits | None = None,
) -> DashboardServer:
    """Serve ``notebook`` with Voila, configured by the environment variables ``settings``
    (this module's ``ENV_*`` names; any others of them are cleared), and wait until the
    server answers and its pre-heated kernel has built the page.

    Parameters
    ----------
    notebook : path
    settings : dict
        Environment variable -> value for the notebook.
    host : str
        Interface to bind.
    port : int, optional
        Port; default the first free one from 8866. An explicit port that is taken is an error.
    ready_timeout : float
    quiet : bool
        Send the server's log to ``server.log`` in its private folder.
    what : str
        What is served, for messages.
    limits : ServeLimits, optional
        Viewer limit, allowed hosts, link token and idle culling (default :class:`ServeLimits`).
    """
    limits = limits or ServeLimits()
    limits.check()
    token = limits.token if limits.token is not None else (new_token() if needs_token(host) else "")
    if port is None:
        port = free_port(host)
    elif not 0 < port < 65536:
        raise ParametersError(f"port {port} is not a valid port")
    elif (problem := _bind_error(host, port)) is not None:
        raise ParametersError(f"cannot listen on {host}:{port}: {problem.strerror}")
    env = dict(os.environ)
    for name in (ENV_DB, ENV_WAVE, ENV_CLIENT, ENV_MIN_GROUP, ENV_COLLECT):
        env.pop(name, None)
    env.update(settings)
    # A private folder for the marker saying the pre-heated kernel has built the page.
    # (Voila's kernels stay on loopback TCP: a shared Unix-socket prefix clashes when it
    # starts two kernels at once.)
    workdir = Path(tempfile.mkdtemp(prefix="maturity-dash-"))
    ready_file = workdir / "ready"
    env[ENV_READY] = str(ready_file)
    env[ENV_TOKEN] = token  # the environment, not argv: other users can read argv
    cmd = [
        sys.executable, "-m", "maturity.dashboard.guarded_voila", str(notebook),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={host}",
        "--Voila.port_retries=0",
        "--strip_sources=True",
        "--show_tracebacks=False",
        # A pre-executed kernel waits for the first visitor: the page appears in seconds.
        "--preheat_kernel=True",
        "--pool_size=1",
        "--Voila.log_level=ERROR",
        *limits.options(),
    ]
    log_file = open(workdir / "server.log", "wb") if quiet else None  # noqa: SIM115 - owned by the child
    process = subprocess.Popen(
        cmd, env=env, cwd=str(notebook.parent), start_new_session=True,
        stdout=log_file or subprocess.DEVNULL, stderr=log_file or subprocess.PIPE,
    )
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{port}/"
    url = f"{base_url}?token={token}" if token else base_url
    warnings = (tls_warning(base_url),) if needs_token(host) else ()
    server = DashboardServer(process, url, workdir, dict(settings), token=token, warnings=warnings)
    if log_file is not None:
        log_file.close()  # the child holds its own descriptor
    else:
        threading.Thread(target=_forward_log, args=(process.stderr, server.stopping), daemon=True).start()
    # The status endpoint takes no kernel (the page itself would take the pre-heated one).
    probe = _probe_url(f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else shown_host}:{port}/", token)
    deadline = time.monotonic() + ready_timeout
    answered = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise DashboardError(f"the {what} server stopped during start-up (exit code {process.returncode})")
        if not answered:
            answered = _answers(probe)
        # Ready when the server answers and the pre-heated kernel has built the page.
        if answered and ready_file.exists():
            return server
        time.sleep(0.2)
    server.stop()
    raise DashboardError(f"the {what} was not ready within {ready_timeout:.0f} s")


#: Server log lines that say nothing a dashboard user can act on.
_NOISE = (
    "Kernel is running over TCP without encryption",  # loopback only; see start_dashboard
    "websocket_ping_timeout",
    "is not trusted",
)


def _forward_log(stream, stopping: threading.Event) -> None:
    """Copy the server's log to our stderr, leaving out known harmless lines and anything
    logged once the server is being stopped."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace")
        if not stopping.is_set() and not any(noise in line for noise in _NOISE):
            sys.stderr.write(line)
            sys.stderr.flush()


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at ``url`` (any status counts)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
