"""The Quick Check web server over real HTTP: the form, the result, the downloads, and every
way a request is refused (Host, token, XSRF, sizes, rates, caps) without a traceback or a path."""

from __future__ import annotations

import html
import http.client
import json
import re
import socket
import threading
import urllib.parse

import pytest

from maturity.benchmarking.client_parameters import ClientParameters
from maturity.clients.results import client_results
from maturity.dashboard.limits import RateLimiter, RunCap, Window
from maturity.dashboard.quickcheck_pages import TEXT_LIMIT
from maturity.dashboard.quickcheck_server import (
    QuickCheckLimits,
    QuickCheckServer,
    QuickCheckService,
    Sessions,
)

from .dashboard_support import build_two_wave_db, other_organisations
from .quickcheck_support import Visitor, answer_everything, form_fields


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return build_two_wave_db(tmp_path_factory.mktemp("qcs") / "bench.duckdb", n_orgs=240)


def _serve(db, folder=None, limits=None, **kwargs) -> QuickCheckServer:
    service = QuickCheckService(db, collect=folder, limits=limits)
    return QuickCheckServer(service, port=_free_port(), **kwargs).start()


@pytest.fixture(scope="module")
def server(bench, tmp_path_factory):
    folder = tmp_path_factory.mktemp("collected")
    served = _serve(bench[0], folder)
    yield served
    served.stop()


def _answers(server: QuickCheckServer, name: str, shift: int = 0) -> list[tuple[str, str]]:
    form = server.service.wave.form.blank()
    answer_everything(form, name, shift=shift)
    return form_fields(form)


def _submit(server: QuickCheckServer, name: str, shift: int = 0, visitor: Visitor | None = None):
    visitor = visitor or Visitor(server.url)
    visitor.get()
    return visitor, visitor.post("./", _answers(server, name, shift))


LEAKS = ("Traceback", "File \"", "site-packages", ".py", "/tmp", "/work", "duckdb", "Error:")


def _no_leak(reply, *also: str) -> None:
    for text in LEAKS + also:
        assert text not in reply.text, f"{text!r} in a {reply.status} page"


# --- the pages ---------------------------------------------------------------------------------------


def test_the_form_is_one_accessible_page_with_every_question(server):
    reply = Visitor(server.url).get()
    assert reply.status == 200 and reply.text.startswith("<!DOCTYPE html>")
    form = server.service.wave.form
    for page in form.pages:
        assert f">{html.escape(page.title)}</h2>" in reply.text
        for question in page.questions:
            assert f'name="{question.name}"' in reply.text
    # Every text box and list has its label; every statement's options are a fieldset with a legend.
    ids = re.findall(r'<(?:input type="text"|select) id="([^"]+)"', reply.text)
    assert ids and all(f'<label for="{i}">' in reply.text for i in ids)
    assert reply.text.count("<fieldset") == reply.text.count("<legend>") >= len(form.framework.items)
    assert 'name="_xsrf"' in reply.text and "<script" not in reply.text
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    assert "data-collect=\"yes\"" in reply.text


def test_an_incomplete_form_comes_back_with_its_answers_and_what_is_missing(server):
    visitor = Visitor(server.url)
    visitor.get()
    reply = visitor.post("./", [("name", "Half Done <Ltd>")])
    assert reply.status == 200 and "Please choose your sector." in reply.text
    assert 'value="Half Done &lt;Ltd&gt;"' in reply.text  # kept, and escaped
    assert "qc-missing" in reply.text and 'role="alert"' in reply.text
    assert server.service.collect.files() == [] or all("Half" not in p.read_text() for p in server.service.collect.files())
    # The session keeps the answers: the form comes back filled in.
    assert 'value="Half Done &lt;Ltd&gt;"' in visitor.get().text


def test_a_submission_is_written_and_its_result_is_the_client_report_of_the_same_answers(server, bench):
    visitor, reply = _submit(server, "Served Well", shift=1)
    assert reply.status == 200 and reply.url.endswith("/result")
    files = server.service.collect.files()
    stored = [p for p in files if "Served Well" in p.read_text(encoding="utf-8")]
    assert len(stored) == 1
    assert f"saved for the survey team as submission {stored[0].stem}" in reply.text
    session = next(s for s in server.service.sessions._sessions.values() if s.submission and s.submission.id == stored[0].stem)
    report = client_results(ClientParameters(client_id="quickcheck", db=bench[0], responses=stored[0],
                                             peers=session.results["peers"]["filters"]))
    report.pop("provenance")
    assert json.dumps(report, sort_keys=True) == json.dumps(session.results, sort_keys=True)
    # The published band, the index; nothing of any other organisation.
    assert "Published band" in reply.text and f'data-index="{session.results["scores"]["index"]:.2f}"' in reply.text
    ids, names = other_organisations(bench[1], keep="")
    assert [n for n in names if n in reply.text] == [] and [i for i in ids if i in reply.text] == []
    _no_leak(reply)


def test_the_peer_group_is_chosen_among_released_groups_and_recomputed(server):
    visitor, reply = _submit(server, "Peer Picker", shift=2)
    offered = re.findall(r'<option value="([^"]+)"', reply.text.split('class="qc-peers"', 1)[1].split("</form>", 1)[0])
    released = [g["id"] for g in server.service.wave.publication.released_groups]
    offered = [html.unescape(o) for o in offered]
    assert sorted(offered) == sorted(released) and offered[0] == "all"
    mine = html.unescape(re.search(r'<option value="([^"]+)">[^<]*includes you', reply.text).group(1))
    changed = visitor.get(f"result?{urllib.parse.urlencode({'group': mine})}")
    group = server.service.wave.publication.group(mine)
    shown = f'<option value="{html.escape(mine, quote=True)}" selected>'
    assert changed.status == 200 and shown in changed.text
    assert f"{group['n']:,} organisations" in changed.text
    refused = visitor.get("result?group=nobody-%3Cscript%3E")
    assert refused.status == 400 and "not offered" in refused.text and "<script>" not in refused.text
    assert shown in refused.text  # the result stays as it was


def test_the_report_downloads_as_one_html_file(server):
    visitor, _ = _submit(server, "Download Me")
    reply = visitor.get("report.html")
    assert reply.status == 200
    assert reply.headers["Content-Disposition"] == 'attachment; filename="quick-check-download-me.html"'
    assert reply.text.startswith("<!DOCTYPE html>") and "Where Download Me stands" in reply.text
    assert Visitor(server.url).get("report.html").url.endswith("/")  # no result yet: back to the form


def test_changing_ones_answers_replaces_ones_own_file(server):
    visitor, _ = _submit(server, "Second Thoughts")
    before = [p for p in server.service.collect.files() if "Second Thoughts" in p.read_text(encoding="utf-8")]
    visitor.get()
    visitor.post("./", _answers(server, "Second Thoughts", shift=3))
    after = [p for p in server.service.collect.files() if "Second Thoughts" in p.read_text(encoding="utf-8")]
    assert len(before) == 1 and after == before


def test_a_double_click_leaves_one_file(server):
    visitor = Visitor(server.url)
    visitor.get()
    fields = _answers(server, "Double Clicker")
    replies: list = []
    threads = [threading.Thread(target=lambda: replies.append(visitor.post("./", fields))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in replies] == [200, 200, 200]
    mine = [p for p in server.service.collect.files() if "Double Clicker" in p.read_text(encoding="utf-8")]
    assert len(mine) == 1


# --- who may ask ----------------------------------------------------------------------------------------


def test_a_foreign_host_is_refused_on_every_page_and_post(server):
    for path in ("./", "result", "report.html", "nowhere"):
        reply = Visitor(server.url, host="evil.example:80").get(path)
        assert reply.status == 403 and "name=\"_xsrf\"" not in reply.text
    visitor = Visitor(server.url)
    visitor.get()
    visitor.host = "rebound.example"
    assert visitor.post("./", _answers(server, "Rebound")).status == 403
    assert Visitor(server.url, host="localhost").get().status == 200


def test_a_token_is_required_when_set_and_kept_in_a_cookie(bench):
    served = _serve(bench[0], token="s3cret-token", allow_hosts=["qc.example.org"])
    try:
        assert Visitor(served.base_url).get().status == 403
        assert Visitor(served.base_url + "?token=wrong").get().status == 403
        visitor = Visitor(served.url, host="qc.example.org")
        reply = visitor.get()
        assert reply.status == 200 and "token" not in reply.url  # the link is cleaned at once
        cookie = next(c for c in visitor.cookies if c.name == "maturity_qc_token")
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert visitor.get("./").status == 200  # the cookie carries it now
        assert visitor.post("./", _answers(served, "Token Holder")).status == 200
        assert Visitor(served.url, host="other.example.org").get().status == 403
    finally:
        served.stop()


def test_the_xsrf_field_is_required_on_every_post(server):
    visitor = Visitor(server.url)
    visitor.get()
    reply = visitor.post("./", _answers(server, "No Xsrf"), xsrf=False)
    assert reply.status == 403 and "Form expired" in reply.text
    visitor.xsrf = "2|00|forged|1"
    assert visitor.post("./", _answers(server, "Forged")).status == 403
    assert visitor.post("report.pdf", [], xsrf=False).status == 403
    _no_leak(reply)


# --- limits --------------------------------------------------------------------------------------------


def test_an_oversize_name_and_an_oversize_body_are_refused_with_a_message(server):
    visitor = Visitor(server.url)
    visitor.get()
    fields = [(k, "Q" * 5000 if k == "name" else v) for k, v in _answers(server, "x")]
    reply = visitor.post("./", fields)
    assert reply.status == 400 and f"at most {TEXT_LIMIT} characters" in reply.text
    assert ("Q" * TEXT_LIMIT) in reply.text and ("Q" * (TEXT_LIMIT + 1)) not in reply.text
    reply = visitor.post("./", fields + [("padding", "p" * 100_000)])
    assert reply.status == 413 and "more than a quick check needs" in reply.text
    _no_leak(reply)


def test_a_visitor_is_limited_per_minute_and_the_run_per_folder(bench, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    served = _serve(bench[0], folder, QuickCheckLimits(per_minute=2, new_per_run=2))
    try:
        visitor, first = _submit(served, "Eager One")
        assert first.status == 200
        visitor.get()
        assert visitor.post("./", _answers(served, "Eager One", 1)).status == 200
        visitor.get()
        third = visitor.post("./", _answers(served, "Eager One", 2))
        assert third.status == 429 and "At most 2 results a minute" in third.text
        assert 'value="Eager One"' in third.text  # the answers are kept
        assert len(list(folder.iterdir())) == 1  # the second replaced the first
        assert _submit(served, "Second Org")[1].status == 200
        _, full = _submit(served, "Third Org")
        assert full.status == 429 and "collected 2 submissions" in full.text
        assert len(list(folder.iterdir())) == 2
    finally:
        served.stop()


def test_pdfs_are_limited_at_once_and_per_visitor(bench):
    served = _serve(bench[0], limits=QuickCheckLimits(pdf_per_hour=0, pdf_at_once=1))
    try:
        served.service.pdf = True  # whatever this machine has: the limits answer before any printing
        visitor, _ = _submit(served, "Pdf Fan")
        served.service.pdf_printing = 1
        busy = visitor.post("report.pdf", [])
        assert busy.status == 503 and "try again in a minute" in busy.text
        served.service.pdf_printing = 0
        refused = visitor.post("report.pdf", [])
        assert refused.status == 429 and "PDFs in the last hour" in refused.text
    finally:
        served.stop()


def test_the_limiters_forget_and_stay_bounded():
    now = [0.0]
    limiter = RateLimiter([Window(3, 60, "{count} a minute"), Window(5, 3600, "{count} an hour")],
                          max_keys=10, clock=lambda: now[0])
    assert [limiter.refusal("a") for _ in range(4)] == [None, None, None, "3 a minute"]
    now[0] = 61.0
    assert [limiter.refusal("a") for _ in range(3)] == [None, None, "5 an hour"]
    for k in range(50):
        limiter.refusal(f"script-{k}")
    assert len(limiter) == 10
    now[0] = 10_000.0
    limiter.refusal("late")
    assert len(limiter) == 1
    cap = RunCap(1, "{count} in all")
    assert cap.refusal() is None and cap.refusal() == "1 in all"
    cap.give_back()
    assert cap.refusal() is None
    sessions = Sessions(limit=3, idle=100, clock=lambda: now[0])
    made = [sessions.new() for _ in range(5)]
    assert len(sessions) == 3 and sessions.get(made[0].id) is None and sessions.get(made[4].id) is made[4]
    now[0] += 101
    assert sessions.get(made[4].id) is None and len(sessions) == 0


# --- malformed requests ------------------------------------------------------------------------------


def _raw(server: QuickCheckServer, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_malformed_requests_get_a_short_page_without_a_path_or_traceback(server, bench):
    visitor = Visitor(server.url)
    visitor.get()
    cookie = "; ".join(f"{c.name}={c.value}" for c in visitor.cookies)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    xsrf = "_xsrf=" + (visitor.xsrf or "")
    cases = [
        ("POST", "/", f"{xsrf}&sector=%FF%FE&name=x".encode(), form),  # not UTF-8
        ("POST", "/", f"{xsrf}&sector=Atlantis&bn_1=99&barriers_faced=rm%20-rf".encode(), form),  # not options
        ("POST", "/", b"\x00\x01garbage\xff" * 50, {"Content-Type": "application/octet-stream", "Cookie": cookie}),
        ("POST", "/", b"--x\r\nbroken", {"Content-Type": "multipart/form-data; boundary=x", "Cookie": cookie}),
        ("GET", "/result?group=%FF", b"", {}),
        ("GET", "/../../etc/passwd", b"", {}),
        ("PUT", "/", b"x", {}),
        ("DELETE", "/result", b"", {}),
        ("POST", "/nowhere", f"{xsrf}".encode(), form),
    ]
    for method, path, body, headers in cases:
        status, text = _raw(server, method, path, body, headers)
        assert 300 <= status < 500, (method, path, status)
        for leak in LEAKS + (str(bench[0]),):
            assert leak not in text, (method, path, leak)
    status, text = _raw(server, "POST", "/", f"{xsrf}&sector=Atlantis".encode(), form)
    assert status == 400 and "not one of the options" in text


def test_a_request_too_big_for_the_server_is_cut_off(server):
    body = b"a=" + b"x" * (2 << 20)
    try:
        status, text = _raw(server, "POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})
    except (ConnectionError, http.client.HTTPException):
        return  # the server closed the connection: nothing read, nothing shown
    assert status >= 400 and "Traceback" not in text


def test_a_failure_on_the_server_shows_a_short_page_and_the_log_keeps_the_details(server, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom in /srv/secret/path.py")

    server.service.score = broken  # an instance attribute: the handlers call it in place of the method
    try:
        visitor, reply = _submit(server, "Unlucky")
    finally:
        del server.service.score
    assert reply.status == 500 and "Something went wrong" in reply.text
    _no_leak(reply, "boom", "secret", "RuntimeError")
    assert any("boom in /srv/secret/path.py" in (r.exc_text or "") or r.exc_info for r in caplog.records)
    assert visitor.post("./", _answers(server, "Unlucky")).status == 200  # the next try works
