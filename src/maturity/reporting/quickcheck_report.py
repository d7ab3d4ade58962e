"""The quick check's result as HTML: on screen, as a download, and printed to PDF.

One fragment (:func:`result_html`) is both what the respondent sees after submitting and
the body of the downloaded report (:func:`report_document`, one self-contained file: its
style inline, no script, nothing fetched), so the two always say the same. It is built
from a client's results (:func:`maturity.published.results.build_client_results`)
and nothing else: aggregates the wave's release plan allows, never another organisation's
rows. The text blocks are the client report's own (:mod:`maturity.reporting.report_blocks`);
the percentile chart is drawn in CSS, so it needs no plotting and prints sharp.
"""

from __future__ import annotations

import html
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Mapping

import mistune

from ..benchmarking.advice import fmt_score, ordinal
from ..errors import ReportError
from . import report_blocks
from .pdf import check_printer, print_pdf

__all__ = ["QUICKCHECK_CSS", "markdown_html", "organisation_name", "result_html", "report_document", "report_file_name",
           "pdf_available", "report_pdf"]

QUICKCHECK_CSS = """
.qc-report {font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2733;
  max-width: 960px; line-height: 1.45; overflow-wrap: anywhere;}
.qc-report h2 {margin: 0.2em 0 0.1em 0; font-size: 1.6em;}
.qc-report h3 {margin: 1.3em 0 0.4em 0; font-size: 1.15em; border-bottom: 1px solid #e3e7ec; padding-bottom: 0.2em;}
.qc-report .qc-sub {color: #4b5866; margin: 0 0 0.8em 0;}
.qc-report .qc-note {color: #8a4b00; margin: 0.3em 0;}
.qc-report .qc-index {display: flex; flex-wrap: wrap; gap: 0.4em 1.6em; align-items: baseline;
  background: #f3f6fa; border-radius: 6px; padding: 0.8em 1.1em; margin: 0.6em 0;}
.qc-report .qc-big {font-size: 2.6em; font-weight: 700; color: #1f4e79;}
.qc-report .qc-big small {font-size: 0.4em; color: #4b5866; font-weight: 400;}
.qc-report .qc-rank {font-size: 1.15em;}
.qc-report table.qc-strands {border-collapse: collapse; width: 100%; font-size: 0.95em;}
.qc-report table.qc-strands th, .qc-report table.qc-strands td {padding: 0.35em 0.6em;
  border-bottom: 1px solid #e3e7ec; text-align: right; vertical-align: middle;}
.qc-report table.qc-strands th {overflow-wrap: normal; font-weight: 600;}
.qc-report table.qc-strands th:first-child, .qc-report table.qc-strands td:first-child {text-align: left;}
.qc-report table.qc-strands td.qc-chart {width: 32%; min-width: 120px;}
.qc-report .withheld {color: #888; font-style: italic;}
.qc-report .qc-track {position: relative; height: 12px; background: #e9edf2; border-radius: 6px;}
.qc-report .qc-band {position: absolute; top: 0; height: 12px; background: #9cc3e6; border-radius: 6px;}
.qc-report .qc-mark {position: absolute; top: -3px; width: 4px; height: 18px; margin-left: -2px; background: #1f4e79;
  border-radius: 2px;}
.qc-report .qc-small {color: #4b5866; font-size: 0.88em;}
.qc-report ul, .qc-report ol {padding-left: 1.4em;}
@media print { .qc-report h3 {break-after: avoid;} .qc-report table, .qc-report li {break-inside: avoid;} }
"""

_MARKDOWN = mistune.create_markdown(escape=False)  # the report blocks escape every text they take in


def markdown_html(text: str) -> str:
    """A report block's Markdown as HTML (the blocks escape the text they are given)."""
    return _MARKDOWN(text)


def organisation_name(results: Mapping[str, Any]) -> str:
    """The organisation's name as it gave it (its id when it gave none)."""
    org = results.get("organisation") or {}
    return str(org.get("name") or org.get("id") or "")


def _pct(value: Any) -> str:
    return "withheld" if value is None else ordinal(value)


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, float(value)))


def _chart(pct: Mapping[str, Any]) -> str:
    """A percentile on a 0-100 track: the published band, the percentile as a mark."""
    if pct.get("value") is None:
        return '<span class="withheld">withheld</span>'
    band = ""
    if pct.get("ci_low") is not None and pct.get("ci_high") is not None:
        low, high = _clamp(pct["ci_low"]), _clamp(pct["ci_high"])
        band = f'<span class="qc-band" style="left:{low:.1f}%;width:{max(high - low, 0.8):.1f}%"></span>'
    mark = f'<span class="qc-mark" style="left:{_clamp(pct["value"]):.1f}%"></span>'
    return f'<div class="qc-track" role="img" aria-label="percentile {_pct(pct["value"])}">{band}{mark}</div>'


def _strand_table(results: Mapping[str, Any]) -> str:
    rows = []
    for key, name in results["strand_names"].items():
        pct = results["percentiles"][key]
        score = results["scores"].get(key)
        interval = ("withheld" if pct.get("ci_low") is None else f"{ordinal(pct['ci_low'])} to {ordinal(pct['ci_high'])}")
        cls = ' class="withheld"'
        rows.append(
            f'<tr data-score="{html.escape(key)}"><td>{html.escape(name)}</td>'
            f'<td>{"-" if score is None else fmt_score(score)}</td>'
            f'<td{cls if pct.get("value") is None else ""}>{_pct(pct.get("value"))}</td>'
            f'<td{cls if interval == "withheld" else ""}>{interval}</td>'
            f'<td class="qc-chart">{_chart(pct)}</td></tr>'
        )
    return (
        '<table class="qc-strands"><thead><tr><th>Strand</th><th>Score</th><th>Percentile</th>'
        '<th>Published band</th><th>Percentile among your peers</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>'
        '<p class="qc-small">Scores run from 0 to 100. The mark is your percentile among the peer group; the '
        'band is the range the published figures place you in (they group organisations in bands of at least '
        'the minimum size, so that no one\'s own score can be read from them).</p>'
    )


def _index_card(results: Mapping[str, Any]) -> str:
    score = results["scores"].get("index")
    pct = results["percentiles"]["index"]
    if score is None:
        return '<div class="qc-index">Too few statements were answered for a maturity index.</div>'
    n = results["peers"]["stats"]["index"]["n"]
    if pct["value"] is None:
        rank = '<span class="withheld">Percentile withheld: the peer group is too small.</span>'
    else:
        interval = "" if pct["ci_low"] is None else f" (published band {ordinal(pct['ci_low'])} to {ordinal(pct['ci_high'])})"
        rank = f"<b>{ordinal(pct['value'])} percentile</b> among {n:,} peers{interval}"
    value = "" if pct["value"] is None else f' data-percentile="{pct["value"]:.2f}"'
    return (
        f'<div class="qc-index" data-index="{score:.2f}"{value}>'
        f'<div><div class="qc-big">{fmt_score(score)}<small> / 100</small></div>Maturity index</div>'
        f'<div class="qc-rank">{rank}</div></div>'
    )


def result_html(results: Mapping[str, Any], *, note: str = "") -> str:
    """The quick check's result as an HTML fragment (its style included).

    Parameters
    ----------
    results : dict
        A client's results.
    note : str
        A line shown under the title (plain text), e.g. whether the answers were stored.
    """
    peers = results["peers"]
    name = organisation_name(results)
    wave = f"wave {results['wave']}" if results.get("wave") else "the benchmark"
    notes = "".join(f'<p class="qc-note">{html.escape(n)}</p>' for n in peers.get("notes") or [])
    findings = "".join(f"<li>{html.escape(f['text'])}</li>" for f in results.get("findings") or [])
    parts = [
        f"<style>{QUICKCHECK_CSS}</style>",
        '<div class="qc-report">',
        f"<h2>Where {html.escape(name)} stands</h2>",
        f'<p class="qc-sub">Peer group: <b>{html.escape(peers["description"])}</b>, {peers["n"]:,} organisations '
        f'&middot; {html.escape(wave)} of the {html.escape(results["framework"]["name"])} benchmark.</p>',
        f'<p class="qc-small">{html.escape(note)}</p>' if note else "",
        notes,
        _index_card(results),
        '<h3>What the figures say</h3>',
        f'<ul class="qc-findings">{findings}</ul>',
        '<h3>Your strands against your peers</h3>',
        _strand_table(results),
        '<h3>Your top priorities</h3>',
        f'<div class="qc-priorities">{markdown_html(report_blocks.priorities_markdown(results))}</div>',
        '<h3>Your segment</h3>',
        f'<div class="qc-segment">{markdown_html(report_blocks.segment_markdown(results))}</div>',
        '<h3>Your peer group and confidentiality</h3>',
        f'<div class="qc-peers">{markdown_html(report_blocks.peer_group_markdown(results))}</div>',
        '<h3>How these figures were computed</h3>',
        f'<div class="qc-small">{markdown_html(report_blocks.method_markdown(results))}</div>',
        "</div>",
    ]
    return "".join(parts)


def report_document(results: Mapping[str, Any], *, note: str = "") -> str:
    """The result as one self-contained HTML file (style inline, no script, no links out)."""
    title = html.escape(f"Quick check: {organisation_name(results)}")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{title}</title><style>body {{margin: 2em auto; padding: 0 1.2em; max-width: 980px;}}</style>"
        f"</head><body>{result_html(results, note=note)}</body></html>\n"
    )


def report_file_name(results: Mapping[str, Any], suffix: str = ".html") -> str:
    """A download name such as ``quick-check-acme-ltd.html``."""
    slug = re.sub(r"[^a-z0-9]+", "-", organisation_name(results).casefold()).strip("-")[:40] or "report"
    return f"quick-check-{slug}{suffix}"


def pdf_available() -> bool:
    """Whether :func:`report_pdf` can print here (Chromium and Playwright installed)."""
    try:
        check_printer()
    except ReportError:
        return False
    return True


def report_pdf(results: Mapping[str, Any], *, note: str = "", timeout: float = 60.0) -> bytes:
    """The result printed to an A4 PDF by headless Chromium (:func:`maturity.reporting.pdf.print_pdf`).

    Raises
    ------
    ReportError
        Chromium or Playwright is missing, or printing failed.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            with tempfile.TemporaryDirectory(prefix="maturity-qc-") as tmp:
                page = Path(tmp) / "report.html"
                page.write_text(report_document(results, note=note), encoding="utf-8")
                pdf = print_pdf(page, Path(tmp) / "report.pdf", organisation=organisation_name(results),
                                title="Quick check", timeout=timeout)
                outcome["pdf"] = pdf.read_bytes()
        except Exception as exc:  # handed to the caller's thread
            outcome["error"] = exc

    # Playwright's synchronous API refuses to run inside an asyncio loop (a notebook
    # kernel runs one), so the printing runs in a thread of its own.
    thread = threading.Thread(target=work, name="quickcheck-pdf")
    thread.start()
    thread.join()
    if "error" in outcome:
        error = outcome["error"]
        raise error if isinstance(error, ReportError) else ReportError(f"printing the PDF failed: {error}")
    return outcome["pdf"]
