"""`make lab`: JupyterLab on notebooks/, bound to 127.0.0.1, with the kit's kernel registered."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from .conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("jupyterlab") is None,
                       reason="JupyterLab is not installed (pip install -e '.[lab]')"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, data: bytes | None = None) -> dict | list:
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
        return json.loads(response.read())


def test_make_lab_opens_the_notebooks_with_the_kits_kernel():
    port, token = _free_port(), "maturity-test"
    proc = subprocess.Popen(
        ["make", "lab", f"VENV={sys.prefix}", f"LAB_ARGS=--no-browser --port={port} --IdentityProvider.token={token}"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                _get(f"{base}/status?token={token}")
                break
            except (urllib.error.URLError, OSError):
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()
                time.sleep(1)
        specs = _get(f"{base}/kernelspecs?token={token}")["kernelspecs"]
        assert specs["maturity"]["spec"]["display_name"] == "Python (maturity)"
        assert specs["maturity"]["spec"]["argv"][0] == sys.executable
        names = {item["name"] for item in _get(f"{base}/contents?token={token}")["content"]}
        assert names == {p.name for p in (REPO / "notebooks").glob("*.ipynb")}
        kernel = _get(f"{base}/kernels?token={token}", data=json.dumps({"name": "maturity"}).encode())
        assert kernel["name"] == "maturity"
        with pytest.raises(OSError):  # bound to the loopback interface only
            socket.create_connection((_outside_address(), port), timeout=2).close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def _outside_address() -> str:
    """An address of this machine other than loopback (a UDP 'connect' sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))
            address = sock.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    if address.startswith("127."):
        pytest.skip("no address other than loopback to check the binding against")
    return address
