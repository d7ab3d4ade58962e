"""Serving the dashboard to a crowd: allowed hosts, the link token, the viewer limit, kernels
freed on close and when idle, nothing of the machine in a response (real servers)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid

import psutil
import pytest
import websocket

from maturity.dashboard.access import allowed_hosts, host_allowed, needs_token, public_message, token_matches
from maturity.dashboard.server import start_dashboard

from .dashboard_support import build_two_wave_db


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_two_wave_db(tmp_path_factory.mktemp("dashserve") / "bench.duckdb", n_orgs=120)[0]


@pytest.fixture(scope="module")
def server(db):
    server = start_dashboard(db=db, quiet=True, max_viewers=2, allow_hosts=["dash.example.org"],
                             disconnected_timeout=4, idle_timeout=600, cull_interval=1)
    yield server
    server.stop()


def request(server, path="/", *, host=None, method="GET", data=None, headers=None):
    """(status, headers, body) of a request, errors included, no redirect followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    all_headers = dict(headers or {})
    if host:
        all_headers["Host"] = host
    req = urllib.request.Request(server.base_url.rstrip("/") + path, data=data, headers=all_headers, method=method)
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=90) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


def kernel_processes(server) -> int:
    """Kernel processes under the server (counted by the operating system, not by Voila)."""
    children = psutil.Process(server.process.pid).children(recursive=True)
    return sum(1 for c in children if "ipykernel_launcher" in " ".join(c.cmdline()))


def wait_for(condition, timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def open_page(server):
    """A page view: (kernel id, the _xsrf cookie Voila's close beacon sends back)."""
    status, headers, body = request(server)
    assert status == 200, body[:500]
    kernel = re.search(r'"kernelId": "([0-9a-f-]+)"', body).group(1)
    cookies = " ".join(headers.get_all("Set-Cookie") or [])
    xsrf = re.search(r"_xsrf=([^;]+)", cookies)
    return kernel, xsrf.group(1) if xsrf else None


def close_beacon(server, kernel, xsrf):
    """What Voila's page sends when its tab closes: a form POST with the _xsrf field."""
    boundary = "----maturity"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"_xsrf\"\r\n\r\n{xsrf or ''}\r\n"
            f"--{boundary}--\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "Origin": server.base_url.rstrip("/")}
    if xsrf:
        headers["Cookie"] = f"_xsrf={xsrf}"
    return request(server, f"/voila/api/shutdown/{kernel}", method="POST", data=body, headers=headers)[0]


def test_access_rules():
    hosts = allowed_hosts("0.0.0.0", ["Dash.Example.org"])
    assert host_allowed("localhost:8866", hosts) and host_allowed("[::1]:1", hosts)
    assert host_allowed("dash.example.org", hosts) and not host_allowed("evil.example:8866", hosts)
    assert not host_allowed(None, hosts) and not host_allowed("0.0.0.0", hosts)
    assert needs_token("0.0.0.0") and needs_token("192.168.1.5") and not needs_token("127.0.0.1")
    assert token_matches("abc", "abc") and not token_matches("abd", "abc") and not token_matches(None, "abc")
    assert public_message("no wave 'x' in /srv/kit/b.duckdb; waves: 1") == "no wave 'x' in b.duckdb; waves: 1"


def test_the_readiness_probe_took_no_kernel(server):
    status = server.status()
    assert status["in_use"] == 0 and status["kernels"] == status["pooled"] == 1
    assert kernel_processes(server) == 1


def test_a_foreign_host_is_refused_on_the_page_and_the_websocket(server):
    assert request(server, host="evil.example:8866")[0] == 403
    assert request(server, "/voila/static/voila.js", host="evil.example")[0] == 403
    assert request(server, "/maturity/status", host="dash.example.org")[0] == 200  # --allow-host
    kernel, _ = open_page(server)
    ws_url = server.base_url.replace("http", "ws") + f"api/kernels/{kernel}/channels?session_id=t"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(ws_url, host="evil.example:8866", origin="http://evil.example:8866", timeout=10)
    assert refused.value.status_code == 403
    ws = websocket.create_connection(ws_url, timeout=10)  # the right host connects
    ws.close()
    assert close_beacon(server, kernel, None) == 403  # no _xsrf: refused, no CSRF hole
    assert kernel in request(server, f"/api/kernels/{kernel}")[2]  # still running
    assert wait_for(lambda: server.status()["in_use"] == 0, 30)  # freed once nobody is connected


def test_the_close_beacon_frees_the_kernel(server):
    before = kernel_processes(server)
    kernel, xsrf = open_page(server)
    assert xsrf, "the page sets the _xsrf cookie the beacon needs"
    assert server.status()["in_use"] == 1
    assert close_beacon(server, kernel, xsrf) == 204
    assert wait_for(lambda: server.status()["in_use"] == 0, 10)
    assert wait_for(lambda: kernel_processes(server) <= max(before, 2), 30)


def test_an_idle_page_is_culled(server):
    open_page(server)  # a page nobody connects to (its tab was closed before it loaded)
    assert server.status()["in_use"] == 1
    assert wait_for(lambda: server.status()["in_use"] == 0, 30)


def connect(server, kernel):
    """A viewer's websocket: a connected kernel is not culled as abandoned."""
    return websocket.create_connection(
        server.base_url.replace("http", "ws") + f"api/kernels/{kernel}/channels?session_id=v", timeout=10)


def test_beyond_the_limit_a_busy_page(server):
    kernels, sockets = [], []
    for _ in range(2):
        kernels.append(open_page(server))
        sockets.append(connect(server, kernels[-1][0]))
    status, headers, body = request(server)
    for ws in sockets:
        ws.close()
    assert status == 503 and headers["Retry-After"] == "60"
    assert "try again in a minute" in body and "<script" not in body
    for kernel, xsrf in kernels:  # 404 when the culler freed it first (its socket closed above)
        assert close_beacon(server, kernel, xsrf) in (204, 404)
    assert wait_for(lambda: request(server, "/maturity/status")[0] == 200 and server.status()["in_use"] == 0, 10)


def test_malformed_frames_reach_no_traceback_or_path(server):
    kernel, xsrf = open_page(server)
    ws_url = server.base_url.replace("http", "ws") + f"api/kernels/{kernel}/channels?session_id=t"
    bad_comm = {"header": {"msg_id": uuid.uuid4().hex, "msg_type": "comm_msg", "session": "t", "username": "",
                           "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"comm_id": "no-such-comm", "data": {"method": "update", "state": {"value": [1]}}}}
    received = []
    for frame in ["garbage", "{}", json.dumps({"header": {}}), b"\x00\x01\xff", json.dumps(bad_comm)]:
        ws = websocket.create_connection(ws_url, timeout=5)
        try:
            ws.send_binary(frame) if isinstance(frame, bytes) else ws.send(frame)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                received.append(str(ws.recv()))
        except (websocket.WebSocketException, OSError):
            pass  # the server drops a connection that sent garbage
        finally:
            ws.close()
    pages = [request(server, p)[2] for p in ("/voila/api/shutdown/x", "/api/kernels/not-a-kernel",
                                             "/voila/files/../../etc/passwd", "/%ff%fe")]
    for text in received + pages:
        assert "Traceback" not in text and "site-packages" not in text and "/tmp/" not in text
    assert server.status()["kernels"] >= 1  # still serving
    close_beacon(server, kernel, xsrf)


@pytest.mark.slow
def test_ten_views_opened_and_closed_leave_only_the_pool(server):
    for _ in range(10):
        kernel, xsrf = open_page(server)
        close_beacon(server, kernel, xsrf)
    assert wait_for(lambda: server.status()["in_use"] == 0 and kernel_processes(server) <= 1, 90)


def test_a_token_is_required_when_set(db):
    server = start_dashboard(db=db, quiet=True, token="s3cret-link-token", max_viewers=1)
    try:
        assert server.url.endswith("?token=s3cret-link-token")
        assert request(server)[0] == 403
        assert request(server, "/maturity/status?token=wrong")[0] == 403
        assert request(server, "/maturity/status?token=s3cret-link-token")[0] == 200
        status, headers, _ = request(server, "/?token=s3cret-link-token")
        assert status == 302 and headers["Location"] == "/"  # the token leaves the address bar
        [set_cookie] = [c for c in headers.get_all("Set-Cookie") if c.startswith("maturity_token_")]
        cookie = set_cookie.split(";", 1)[0]
        assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
        assert request(server, headers={"Cookie": cookie})[0] == 200
        assert server.status()["kernels"] >= 1
    finally:
        server.stop()


def test_a_start_up_message_names_no_file_path(tmp_path):
    from maturity.dashboard.app import app

    shown = app(tmp_path / "missing.duckdb").data
    assert "missing.duckdb" in shown and str(tmp_path) not in shown
