"""`maturity dashboard` as a command: start-up, address, clean stop, clear errors."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from .dashboard_support import build_two_wave_db


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_two_wave_db(tmp_path_factory.mktemp("dashcli") / "bench.duckdb", n_orgs=120)[0]


def test_prints_a_local_address_serves_it_and_stops_on_sigterm(db):
    proc = subprocess.Popen(
        [sys.executable, "-m", "maturity.cli", "dashboard", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()
            if "running at" in line:
                url = line.split("running at", 1)[1].split()[0]
            elif not line and proc.poll() is not None:
                break
        assert url is not None and url.startswith("http://127.0.0.1:"), proc.stderr.read()
        with urllib.request.urlopen(url, timeout=60) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=5)  # nothing left listening
    finally:
        if proc.poll() is None:
            proc.kill()


def test_missing_database_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "maturity.cli", "dashboard", "--db", str(tmp_path / "no.duckdb")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "no benchmark database at" in result.stderr and "Traceback" not in result.stderr


def test_bad_client_file_is_rejected_before_starting(tmp_path, db):
    bad = tmp_path / "c.yaml"
    bad.write_text(f"client_id: ../escape\norganisation: ORG-0001\ndb: {db}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "maturity.cli", "dashboard", "--client", str(bad)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "not a safe name" in result.stderr and "Traceback" not in result.stderr


def test_the_library_checks_its_inputs_before_starting_a_server(db, tmp_path):
    from maturity.errors import ParametersError
    from maturity.dashboard.server import start_dashboard

    with pytest.raises(ParametersError, match="privacy floor"):
        start_dashboard(db=db, min_group_size=2)
    with pytest.raises(ParametersError, match="not a valid port"):
        start_dashboard(db=db, port=70000)
    bad = tmp_path / "c.yaml"
    bad.write_text("client_id: ok\norganisation: ORG-0001\n", encoding="utf-8")
    with pytest.raises(ParametersError, match="db: is required"):
        start_dashboard(client=bad)
