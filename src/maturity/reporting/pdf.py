"""Printing a report's HTML export to PDF with headless Chromium (driven by Playwright).

Executives receive a PDF, not a notebook export. The HTML the batch writes is printed as it
is, with print rules added: A4, no figure, table or output split across pages, headings kept
with what follows them, and a header and footer naming the organisation with page numbers.
Figures stay sharp when the report renders them as SVG (the packaged template does). The
page may not fetch anything from the network while it prints: the export's optional
scripts (RequireJS, MathJax) are blocked, so printing is fast, private and works offline.

Chromium is Debian's (``apt-get install -y chromium``); Playwright never downloads a browser
here.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from ..errors import ReportError
from ..files import atomic_path

__all__ = ["PRINT_CSS", "CHROMIUM_ARGS", "chromium_executable", "check_printer", "print_pdf"]

#: Chromium flags for printing in a container or on a server.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync")
#: Install step named when Chromium is missing.
INSTALL_CHROMIUM = "apt-get install -y chromium"
#: Print rules added to the page before printing.
PRINT_CSS = """
@page { size: A4; }
@media print {
  html, body { background: #fff !important; }
  body { font-size: 10.5pt; }
  .jp-Notebook { padding: 0 !important; }
  .jp-Cell { padding: 0 !important; }
  /* An output (figure, table, paragraph block) never breaks across pages. */
  .jp-OutputArea-child, .jp-RenderedImage, .jp-RenderedSVG, .jp-RenderedHTMLCommon table,
  img, svg, table, figure, li { break-inside: avoid; page-break-inside: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  /* A heading stays with what follows it. A section's heading, its summary and its figure
     are one block of the export (maturity-keep-together) that is never split, so they move
     to the next page together when they do not fit. No "keep with next" rule on text cells:
     chained from cell to cell it left Chromium no allowed break but inside a figure's block. */
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  .maturity-keep-together { break-inside: avoid; page-break-inside: avoid; }
  img, svg { max-width: 100% !important; height: auto !important; }
  .jp-RenderedHTMLCommon table { font-size: 9pt; }
  a { color: inherit; text-decoration: none; }
}
"""
_MARGIN = {"top": "20mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}
_HEADER = ('<div style="font-size:8pt; color:#555; width:100%; padding:0 15mm; display:flex; '
           'justify-content:space-between; font-family:sans-serif;"><span>{left}</span><span>{right}</span></div>')
_FOOTER = ('<div style="font-size:8pt; color:#555; width:100%; padding:0 15mm; text-align:center; '
           'font-family:sans-serif;">Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>')


def chromium_executable() -> str:
    """Path of the system's Chromium.

    Raises
    ------
    ReportError
        No ``chromium`` (or ``chromium-browser``) on the PATH; the message names the install step.
    """
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise ReportError(f"printing a PDF needs Chromium, which is not installed: install it with `{INSTALL_CHROMIUM}` "
                      "(Debian/Ubuntu, as root), then run again")


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ReportError("printing a PDF needs Playwright, which is not installed: pip install 'maturity[pdf]'") from None
    return sync_playwright


def check_printer() -> str:
    """Check that PDFs can be printed here (Chromium and Playwright installed); return the
    Chromium path.

    Raises
    ------
    ReportError
        The message names the missing piece and its install step.
    """
    executable = chromium_executable()
    _playwright()
    return executable


def print_pdf(
    html_path: str | Path,
    pdf_path: str | Path,
    *,
    organisation: str,
    title: str | None = None,
    timeout: float = 120.0,
) -> Path:
    """Print an HTML report to an A4 PDF, atomically.

    Parameters
    ----------
    html_path : path
        A finished HTML report (figures embedded).
    pdf_path : path
        The PDF to write (replaced only when printing succeeds).
    organisation : str
        Shown in the page header of every page.
    title : str, optional
        Shown in the header beside the organisation.
    timeout : float
        Seconds to wait for the page to load and print.

    Returns
    -------
    Path
        ``pdf_path``.

    Raises
    ------
    ReportError
        Chromium or Playwright is missing (the message names the install step), or
        printing failed.
    """
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise ReportError(f"cannot print {html_path}: no such file")
    executable = chromium_executable()
    sync_playwright = _playwright()
    header = _HEADER.format(left=html.escape(organisation), right=html.escape(title or ""))
    try:
        with sync_playwright() as p, atomic_path(pdf_path) as tmp:
            browser = p.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS), timeout=timeout * 1000)
            try:
                page = browser.new_page()
                # Only the file itself and what it embeds: no network while printing.
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                           else route.abort())
                page.goto(html_path.as_uri(), wait_until="load", timeout=timeout * 1000)
                page.add_style_tag(content=PRINT_CSS)
                page.emulate_media(media="print")
                page.pdf(path=str(tmp), format="A4", print_background=True, display_header_footer=True,
                         header_template=header, footer_template=_FOOTER, margin=_MARGIN)
            finally:
                browser.close()
    except ReportError:
        raise
    except Exception as exc:  # Playwright raises its own error types; any of them fails this report only
        raise ReportError(f"printing the PDF failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    return Path(pdf_path)
