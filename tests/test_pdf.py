"""PDF reports: printed from the HTML export by Debian's chromium (Playwright), A4, no output
split across pages, the organisation and page numbers on every page."""

from __future__ import annotations

import json
import re
import sys
import unicodedata

import pytest

from maturity.batch.runner import run_batch
from maturity.cli import main
from maturity.demo.clients import pick_demo_clients, write_client_files
from maturity.errors import ReportError
from maturity.reporting import pdf as pdf_module
from maturity.reporting.pdf import check_printer, print_pdf

from .browser_support import skip_reason
from .dashboard_support import build_two_wave_db

pypdf = pytest.importorskip("pypdf")

A4 = (595.0, 842.0)  # points


def _text(reader) -> list[str]:
    """Each page's text as one line: lines joined where the page wrapped them (with no space
    after a hyphen that ended a line, as in "1000-4999") and ligatures spelled out (the
    font draws "fi" as one glyph)."""
    pages = []
    for page in reader.pages:
        text = unicodedata.normalize("NFKC", page.extract_text() or "")
        pages.append(re.sub(r"\s+", " ", re.sub(r"-[ \t]*\n\s*", "-", text)))
    return pages


def _blocks_page(tmp_path, n_blocks=6):
    """An HTML page laid out like a notebook export: blocks each a third of a page tall,
    with a marker at their top and bottom."""
    blocks = "".join(
        f'<div class="jp-Cell jp-CodeCell"><div class="jp-OutputArea-child">'
        f'<div class="jp-RenderedHTMLCommon"><p>top-{i}</p><div style="height:90mm; background:#ddd"></div>'
        f"<p>bottom-{i}</p></div></div></div>"
        for i in range(n_blocks)
    )
    path = tmp_path / "blocks.html"
    path.write_text(f"<html><head><script src='https://cdn.example.org/never.js'></script></head>"
                    f"<body><h1>Blocks</h1>{blocks}</body></html>", encoding="utf-8")
    return path


@pytest.mark.browser
@pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
def test_outputs_never_split_across_pages(tmp_path):
    pdf = print_pdf(_blocks_page(tmp_path), tmp_path / "blocks.pdf", organisation="Kestrel & Co <Ltd>",
                    title="A title")
    reader = pypdf.PdfReader(str(pdf))
    pages = _text(reader)
    assert len(pages) >= 3
    for i in range(6):
        where_top = [p for p, text in enumerate(pages) if re.search(rf"\btop-{i}\b", text)]
        where_bottom = [p for p, text in enumerate(pages) if re.search(rf"\bbottom-{i}\b", text)]
        assert where_top == where_bottom and len(where_top) == 1, (i, where_top, where_bottom)
    for number, text in enumerate(pages, start=1):
        assert "Kestrel & Co <Ltd>" in text and "A title" in text  # escaped in the template, shown as text
        assert f"Page {number} of {len(pages)}" in text
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=1.5)


def test_missing_chromium_names_the_install_step(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    with pytest.raises(ReportError, match=r"needs Chromium.*apt-get install -y chromium"):
        check_printer()
    with pytest.raises(ReportError, match="apt-get install -y chromium"):
        print_pdf(_blocks_page(tmp_path), tmp_path / "x.pdf", organisation="X")
    assert not (tmp_path / "x.pdf").exists()


def test_missing_playwright_names_the_install_step(monkeypatch):
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: "/usr/bin/chromium")
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # makes the import fail
    with pytest.raises(ReportError, match=r"pip install 'maturity\[pdf\]'"):
        check_printer()


def test_batch_with_pdf_fails_early_without_chromium(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    params = tmp_path / "c.yaml"
    params.write_text("client_id: c\norganisation: ORG-0001\ndb: none.duckdb\n", encoding="utf-8")
    assert main(["batch", str(params), "--out", str(tmp_path / "out"), "--pdf"]) == 1
    assert "apt-get install -y chromium" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing ran, nothing written


@pytest.fixture(scope="module")
def pdf_batch(tmp_path_factory):
    """A real batch (packaged client report) of two clients with --pdf."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("pdf")
    db, later = build_two_wave_db(root / "benchmark.duckdb", 200, seed=9)  # the demo's waves
    fw = later.framework
    clients = pick_demo_clients(later.responses, fw, 2, wave="2026")
    files = write_client_files(root / "parameters", clients, db)
    result = run_batch(files, root / "out", workers=1, progress=False, pdf=True)
    names = later.responses.set_index(fw.id_column)[fw.name_column]
    return {"root": root, "result": result, "clients": clients, "files": files, "names": names}


@pytest.mark.browser
def test_every_ok_client_has_a_pdf_with_its_name_and_first_finding(pdf_batch):
    result = pdf_batch["result"]
    assert result.exit_code == 0, result.summary()
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert manifest["run"]["pdf"] is True
    for row, client in zip(manifest["clients"], pdf_batch["clients"]):
        assert row["status"] == "ok" and row["report_pdf"] == f"clients/{client['client_id']}/report.pdf"
        assert row["steps"]["pdf"] > 0
        folder = result.out / "clients" / client["client_id"]
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        reader = pypdf.PdfReader(str(result.out / row["report_pdf"]))
        pages = _text(reader)
        assert 3 <= len(pages) <= 12
        name = str(pdf_batch["names"][client["organisation"]])
        assert name == results["organisation"]["name"]
        assert all(name in text for text in pages)                 # the header of every page
        assert all(f"of {len(pages)}" in text for text in pages)   # the footer's page numbers
        first = re.sub(r"\s+", " ", results["findings"][0]["text"])
        assert first in " ".join(pages)
        assert "Reproducibility." in " ".join(pages)  # the method section made it to print
        for page in reader.pages:
            assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=1.5)
            assert not page.images  # figures are vectors, not pictures: sharp when printed


@pytest.mark.browser
def test_resume_keeps_pdfs_and_a_run_without_pdf_drops_them(pdf_batch, tmp_path):
    result = pdf_batch["result"]
    again = run_batch(pdf_batch["files"], result.out, workers=1, progress=False, pdf=True)
    assert again.count("skipped") == 2  # up to date, PDF included
    assert all(row["report_pdf"] for row in again.clients)
    first = pdf_batch["files"][0]
    plain = run_batch([first], result.out, workers=1, progress=False, force=True)
    (row,) = plain.clients
    assert row["status"] == "ok" and row["report_pdf"] is None
    assert not (result.out / "clients" / row["client_id"] / "report.pdf").exists()
    # asking for a PDF again re-runs the client that lacks one
    back = run_batch([first], result.out, workers=1, progress=False, pdf=True)
    assert back.clients[0]["status"] == "ok" and back.clients[0]["report_pdf"]


@pytest.mark.browser
def test_report_command_prints_the_pdf_path(pdf_batch, capsys):
    (params, *_rest) = pdf_batch["files"]
    out = pdf_batch["root"] / "single"
    assert main(["report", str(params), "--out", str(out), "--pdf"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^pdf: .*report\.pdf$", printed, re.M)
    assert (out / "clients" / pdf_batch["clients"][0]["client_id"] / "report.pdf").stat().st_size > 10_000
