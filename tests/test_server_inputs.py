"""`maturity dashboard` and `maturity quickcheck` check their inputs before anything listens:
a missing database, an unknown wave, a client file whose organisation is in no wave. Each is a
usage error (exit 2) with the message `maturity score` / `segment` / `batch` give."""

from __future__ import annotations

import pytest
import yaml

import maturity.dashboard.quickcheck_server as quickcheck_server
import maturity.dashboard.server as server
from maturity.cli import main

from .dashboard_support import build_two_wave_db


class ServerStarted(BaseException):  # passes through the CLI's error handling
    """Raised instead of starting a server: the inputs passed every check."""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_two_wave_db(tmp_path_factory.mktemp("inputs") / "bench.duckdb", n_orgs=60)[0]


@pytest.fixture(autouse=True)
def no_server(monkeypatch):
    def refuse(*args, **kwargs):
        raise ServerStarted
    monkeypatch.setattr(server, "start_voila", refuse)
    monkeypatch.setattr(quickcheck_server.QuickCheckServer, "start", refuse)


def _client_file(folder, db, organisation, wave=None):
    path = folder / "client.yaml"
    fields = {"client_id": "acme", "organisation": organisation, "db": str(db)}
    if wave is not None:
        fields["wave"] = wave
    path.write_text(yaml.safe_dump(fields), encoding="utf-8")
    return path


def _error(capsys, argv) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "Starting" not in captured.out  # rejected before anything starts
    assert "Traceback" not in captured.err
    return captured.err


@pytest.mark.parametrize("command", ["dashboard", "quickcheck", "score", "segment"])
def test_a_missing_database_reads_the_same_everywhere(command, tmp_path, capsys):
    missing = tmp_path / "none.duckdb"
    code = main([command, "--db", str(missing)])
    err = capsys.readouterr().err
    assert code == (2 if command in ("dashboard", "quickcheck") else 1)
    assert f"error: no benchmark database at {missing}" in err
    assert not missing.exists()


@pytest.mark.parametrize("command", ["dashboard", "quickcheck"])
def test_an_unknown_wave_is_refused_with_the_waves_there_are(command, db, capsys):
    err = _error(capsys, [command, "--db", str(db), "--wave", "2024"])
    assert f"error: no wave '2024' in {db}; waves: 2025, 2026" in err
    # the same message as `maturity segment`
    assert main(["segment", "--db", str(db), "--wave", "2024"]) == 1
    assert capsys.readouterr().err.strip() == err.strip()


def test_a_client_whose_organisation_is_in_no_wave_is_refused(db, tmp_path, capsys):
    client = _client_file(tmp_path, db, "ORG-9999")
    err = _error(capsys, ["dashboard", "--client", str(client)])
    assert f"organisation 'ORG-9999' is not in wave 2026 of {db}" in err
    assert "it is in no wave of this database" in err


def test_a_client_wave_the_organisation_skipped_names_its_waves(db, tmp_path, capsys):
    # an organisation of wave 2025 that did not answer 2026
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        ids = dict(con.execute(
            "SELECT w.wave, list(o.organisation_id) FROM participants p JOIN waves w USING (wave_key) "
            "JOIN organisations o USING (org_key) GROUP BY w.wave").fetchall())
    left = sorted(set(ids["2025"]) - set(ids["2026"]))
    assert left, "the follow-up wave has leavers"
    client = _client_file(tmp_path, db, left[0])
    err = _error(capsys, ["dashboard", "--client", str(client), "--wave", "2026"])
    assert f"organisation '{left[0]}' is not in wave 2026" in err and "took part in wave(s) 2025" in err
    # the wave it did answer passes every check and reaches the server
    with pytest.raises(ServerStarted):
        main(["dashboard", "--client", str(client), "--wave", "2025"])


def test_a_client_file_naming_an_unknown_wave_is_refused(db, tmp_path, capsys):
    client = _client_file(tmp_path, db, "ORG-0001", wave="1999")
    err = _error(capsys, ["dashboard", "--client", str(client)])
    assert "no wave '1999'" in err


def test_valid_inputs_reach_the_server(db, capsys):
    for argv in (["dashboard", "--db", str(db), "--wave", "2025"], ["quickcheck", "--db", str(db)]):
        with pytest.raises(ServerStarted):
            main(argv)
        assert "Starting" in capsys.readouterr().out


def test_a_client_whose_own_survey_file_is_missing_is_refused(db, tmp_path, capsys):
    client = tmp_path / "newco.yaml"
    client.write_text(yaml.safe_dump({"client_id": "newco", "responses": "survey.csv", "db": str(db)}),
                      encoding="utf-8")
    err = _error(capsys, ["dashboard", "--client", str(client)])
    assert f"responses: file {tmp_path / 'survey.csv'} not found" in err
