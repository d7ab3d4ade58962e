"""Building blocks of the client report (``notebooks/client_report.ipynb``).

Every block is made from a client's results (the ``results.json`` content)
and nothing else, so a report can only show what the results hold: aggregates that
passed the privacy rules, never another organisation's rows. Blocks return IPython
display objects (Markdown or HTML) so a notebook cell is one call; the ``*_markdown`` /
``*_html`` functions return the plain text for other uses.
"""

from __future__ import annotations

import html
import re
from typing import Any, Mapping

from ..benchmarking.achievers import likelihood_text
from ..benchmarking.advice import fmt_score, ordinal
from .learner_blocks import learner_voice_html

__all__ = [
    "learners",
    "report_title",
    "title_markdown",
    "headlines_markdown",
    "index_markdown",
    "peer_table_html",
    "segment_markdown",
    "trend_markdown",
    "priorities_markdown",
    "achievers_frame",
    "achievers_markdown",
    "achievers_table_html",
    "peer_group_markdown",
    "method_markdown",
    "provenance_markdown",
    "title_block",
    "headlines",
    "index_summary",
    "peer_table",
    "segment_summary",
    "trend_summary",
    "priorities",
    "achievers",
    "achievers_table",
    "peer_group",
    "method_note",
]

WITHHELD = "withheld"


# --- text helpers -------------------------------------------------------------------------------


def _esc(text: Any) -> str:
    """Text safe inside Markdown and HTML (names come from survey files)."""
    out = html.escape(str(text), quote=False)
    for ch in "\\`*_[]#|":
        out = out.replace(ch, "\\" + ch)
    return out


def _score(value: Any) -> str:
    return WITHHELD if value is None else fmt_score(value)


def _name(results: Mapping[str, Any]) -> str:
    org = results.get("organisation") or {}
    return org.get("name") or org.get("id") or results.get("client_id", "")


def report_title(results: Mapping[str, Any]) -> str:
    """The report's title: the parameters' ``title``, else one naming the organisation."""
    return results.get("title") or f"Learning maturity benchmark: {_name(results)}"


def title_markdown(results: Mapping[str, Any]) -> str:
    """Title, organisation, wave and peer group in two lines."""
    peers = results["peers"]
    wave = f"wave {results['wave']}" if results.get("wave") else "the benchmark"
    # Peers who answered too few items have no index; say so, or the counts below differ unexplained.
    scored = ((peers.get("stats") or {}).get("index") or {}).get("n")
    with_index = f", {scored:,} of them with a maturity index" if scored is not None and scored < peers["n"] else ""
    return (
        f"# {_esc(report_title(results))}\n\n"
        f"Benchmark of {_esc(_name(results))} against {peers['n']:,} peer organisations "
        f"({_esc(peers['description'])}{with_index}) in {_esc(wave)} of the "
        f"*{_esc(results['framework']['name'])}* survey."
    )


def headlines_markdown(results: Mapping[str, Any]) -> str:
    """The findings as a bullet list."""
    return "\n".join(f"- {_esc(f['text'])}" for f in results["findings"])


def index_markdown(results: Mapping[str, Any]) -> str:
    """The index, its percentile with its published band, and the comparison point."""
    score = results["scores"]["index"]
    if score is None:
        return "Your organisation answered too few items for a maturity index."
    pct = results["percentiles"]["index"]
    stats = results["peers"]["stats"]["index"]
    lines = [f"**Maturity index: {fmt_score(score)}** out of 100."]
    if pct["value"] is not None:
        lines.append(
            f"**Percentile rank: {ordinal(pct['value'])}** among {stats['n']:,} peers "
            f"(published band: {ordinal(pct['ci_low'])} to {ordinal(pct['ci_high'])})."
        )
    else:
        lines.append("Percentile rank: withheld, because the peer group is too small (see *Your peer group*).")
    label = results["peers"].get("comparison_label")
    if label and stats.get("comparison") is not None:
        lines.append(f"Comparison point: the {label}, {fmt_score(stats['comparison'])}.")
    return "\n\n".join(lines)


_TABLE_CSS = """
<style>
table.maturity-table {border-collapse: collapse; font-size: 0.95em; margin: 0.5em 0 1em 0;}
table.maturity-table th, table.maturity-table td {padding: 0.35em 0.8em; border-bottom: 1px solid #ddd;}
table.maturity-table th {background: #f3f5f8; text-align: center;}
table.maturity-table td {text-align: right;}
table.maturity-table td:first-child, table.maturity-table th:first-child {text-align: left;}
table.maturity-table td.withheld {color: #888; font-style: italic;}
</style>
"""


def _html_table(header: list[str], rows: list[list[str]], caption: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            cls = ' class="withheld"' if cell == WITHHELD else ""
            cells.append(f"<td{cls}>{html.escape(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'{_TABLE_CSS}<table class="maturity-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def peer_table_html(results: Mapping[str, Any]) -> str:
    """Index and strands against peers as an HTML table (withheld figures say so)."""
    names = results["strand_names"]
    stats = results["peers"]["stats"]
    pct = results["percentiles"]
    label = results["peers"].get("comparison_label")
    header = ["", "You", "Peer median", "Middle half of peers", "Top-quartile mean", "Top-deck mean",
              "Percentile (published band)", f"Gap to the {label}" if label else "Gap"]
    rows = []
    for key, name in names.items():
        s, p = stats[key], pct[key]
        middle = WITHHELD if s["q1"] is None else f"{fmt_score(s['q1'])} to {fmt_score(s['q3'])}"
        if p["value"] is None:
            rank = WITHHELD
        else:
            rank = f"{ordinal(p['value'])} ({ordinal(p['ci_low'])} to {ordinal(p['ci_high'])})"
        if s.get("gap") is None:
            gap = WITHHELD if label else "-"
        else:
            diff = int(fmt_score(s["comparison"])) - int(fmt_score(results["scores"][key]))
            gap = f"{diff} behind" if diff > 0 else f"{-diff} ahead" if diff < 0 else "level"
        rows.append([name, _score(results["scores"][key]), _score(s["median"]), middle,
                     _score(s["top_quartile_mean"]), _score(s["top_deck_mean"]), rank, gap])
    return _html_table(header, rows)


def segment_markdown(results: Mapping[str, Any]) -> str:
    """Which maturity segment the organisation's profile is closest to."""
    seg = results.get("segment")
    if not seg:
        return "No segmentation of this benchmark wave was available."
    if not seg.get("name"):
        return _esc(seg.get("note", "Your organisation could not be placed in a segment."))
    parts = [f"Your strand profile is closest to the **{_esc(seg['name'])}** segment."]
    segments = seg.get("segments") or []
    if segments:
        total = sum(s["n"] for s in segments)
        listed = ", ".join(f"{_esc(s['name'])} ({100 * s['n'] / total:.0f}%)" for s in segments)
        parts.append(f"The organisations in the wave fall into {len(segments)} segments: {listed}.")
    if all(v is None for v in (seg.get("profile") or {}).values()):
        parts.append("The segment's average profile is withheld because too few other organisations are in it.")
    return " ".join(parts)


def trend_markdown(results: Mapping[str, Any]) -> str:
    """A sentence on the organisation's own progress across waves."""
    trend = results.get("trend") or []
    if len(trend) < 2:
        return "This is the first wave your organisation took part in, so there is no trend to show yet."
    text = [f["text"] for f in results["findings"] if f["kind"] == "trend"]
    first, last = trend[0], trend[-1]
    lines = text + [f"Your organisation has taken part in {len(trend)} waves, from {first['wave']} to {last['wave']}."]
    return " ".join(_esc(t) for t in lines)


def achievers_frame(results: Mapping[str, Any]):
    """The ``achievers`` block as a DataFrame for :func:`maturity.reporting.figures.achievers_bars`."""
    import pandas as pd

    rows = []
    for a in results.get("achievers") or []:
        withheld = a["top_deck_share"] is None or a["others_share"] is None
        ratio = a.get("ratio")
        rows.append({
            "outcome": a["outcome"], "name": a["name"], "level": "group",
            "top_deck_n": a["top_deck_n"], "top_deck_share": a["top_deck_share"],
            "others_n": a["others_n"], "others_share": a["others_share"], "ratio": ratio,
            "likelihood": "" if withheld or ratio is None else likelihood_text(ratio), "suppressed": withheld,
        })
    frame = pd.DataFrame(rows, columns=["outcome", "name", "level", "top_deck_n", "top_deck_share", "others_n",
                                        "others_share", "ratio", "likelihood", "suppressed"])
    return frame.astype({"top_deck_share": float, "others_share": float, "ratio": float})


def achievers_markdown(results: Mapping[str, Any]) -> str:
    """Why maturity matters: how much more often the top deck reports improvements."""
    rows = [a for a in results.get("achievers") or [] if a["top_deck_share"] is not None and a["others_share"] is not None]
    if not rows:
        return "The benchmark has no outcome figures that can be shown."

    lines = [
        "Across the whole benchmark wave, the top deck (the 10% of organisations with the highest "
        "maturity index) reports improvements more often than the others:",
        "",
    ]
    for a in rows:
        ratio = f", {likelihood_text(a['ratio'])}" if a.get("ratio") is not None else ""
        lines.append(
            f"- **{_esc(a['name'])}**: {a['top_deck_share']:.0f}% of the top deck ({a['top_deck_n']:,} "
            f"organisations) against {a['others_share']:.0f}% of the others ({a['others_n']:,}){ratio}."
        )
    return "\n".join(lines)


def achievers_table_html(results: Mapping[str, Any]) -> str:
    """Achievers vs others as an HTML table: per outcome group, the share of the top deck and
    of the others reporting an improvement, and their ratio (withheld figures say so)."""

    def share(value: Any, n: int) -> str:
        return f"{WITHHELD if value is None else f'{value:.0f}%'} (n={n:,})"

    rows = [
        [a["name"], share(a["top_deck_share"], a["top_deck_n"]), share(a["others_share"], a["others_n"]),
         WITHHELD if a.get("ratio") is None else f"{a['ratio']:.1f}x"]
        for a in results.get("achievers") or []
    ]
    table = _html_table(["Outcome", "Top deck reporting an improvement", "Others", "Ratio"], rows)
    top_deck = f"{100 * results['method']['top_deck_share']:.0f}%"
    return table + (f"<p style='color:#555'>Top deck: the {top_deck} of organisations with the highest "
                    "maturity index.</p>")


def priorities_markdown(results: Mapping[str, Any]) -> str:
    """Priority strands with their gaps and recommended actions."""
    pri = results.get("priorities") or []
    if not pri:
        return (
            "No priorities can be ranked because the comparison figures of your peer group are "
            "withheld (see *Your peer group*)."
        )
    label = results["peers"].get("comparison_label") or "comparison point"
    weighting = (
        "weighted by how strongly each strand drives the outcomes measured in this benchmark"
        if results.get("importance", {}).get("source") == "drivers"
        else "with every strand weighted equally"
    )
    lines = [f"Strands are ranked by how far you are from the {label}, {weighting}.", ""]
    actions = results.get("actions") or []
    for p in pri:
        diff = int(fmt_score(p["comparison"])) - int(fmt_score(p["score"]))
        where = f"{diff} points behind" if diff > 0 else f"{-diff} points ahead" if diff < 0 else "level"
        lines.append(
            f"{p['rank']}. **{_esc(p['name'])}**: you score {fmt_score(p['score'])} against "
            f"{fmt_score(p['comparison'])} ({where})."
        )
        for a in (a for a in actions if a["strand"] == p["strand"]):
            detail = f": {_esc(a['detail'])}" if a.get("detail") else ""
            lines.append(f"    - *{_esc(a['title'])}*{detail}")
    if not actions:
        lines += ["", "The survey's framework has no action library for these strands."]
    return "\n".join(lines)


def peer_group_markdown(results: Mapping[str, Any]) -> str:
    """Who the peers are, the privacy threshold, and every withheld figure's reason."""
    peers = results["peers"]
    own = ("yours included, as every member's; your percentile ranks you among the others"
           if peers.get("includes_client") else "not including yours")
    privacy = results.get("privacy") or {}
    lines = [
        f"**Peer group:** {_esc(peers['description'])}; {peers['n']:,} organisations ({own}; "
        f"the wave has {results['benchmark']['n_organisations']:,}).",
        "",
        f"**Privacy:** {_esc(privacy.get('summary') or '')} Every figure shown stands on at least "
        f"{privacy.get('smallest_released_set', peers['min_group_size'])} organisations. No other organisation is named.",
    ]
    for note in peers.get("notes") or []:
        lines += ["", _esc(note)]
    reasons: dict[str, list[str]] = {}
    names = results["strand_names"]
    for item in results.get("suppressed") or []:
        parts = item["figure"].split(".")
        what = item["figure"]
        if parts[:2] == ["peers", "stats"] and len(parts) == 4:
            what = f"{names.get(parts[2], parts[2])}: {parts[3].replace('_', ' ')}"
        reasons.setdefault(item["reason"], []).append(what)
    if reasons:
        lines += ["", "Withheld figures:"]
        for reason, figures in reasons.items():
            stats = sorted({f.split(": ")[-1] for f in figures})
            lines.append(f"- {_esc(', '.join(stats))}: {_esc(reason)}.")
    return "\n".join(lines)


def method_markdown(results: Mapping[str, Any]) -> str:
    """A short note on how the figures were computed."""
    m = results["method"]
    return (
        "Scores run from 0 to 100: each answer is placed on that range and averaged within its strand; "
        "the maturity index averages the strands. "
        "Your **percentile rank** is read from the peer group's published distribution: bins that each hold "
        f"at least {m['min_group_size']} organisations (or none). Within your bin it is interpolated; the "
        "**band** is the bin's range, the precision the published figures allow. Nobody's own score, and "
        "no exact median or quartile, is ever used: those would be one organisation's answer. "
        f"The **top quartile** and **top deck** are the {100 * m['top_quartile_share']:.0f}% and "
        f"{100 * m['top_deck_share']:.0f}% of peers with the highest maturity index; their strand "
        "figures are those organisations' mean strand scores. "
        "**Priorities** rank the strands by the gap to the comparison point, times each strand's weight. "
        f"{_privacy_method(results)}"
        f"Produced by {_esc(results.get('generated_by', 'maturity'))}."
    ) + _invariance_note(results.get("invariance")) + provenance_markdown(results)


def _invariance_note(entry: Mapping[str, Any] | None) -> str:
    """Whether the survey measures the same thing across the groups compared (optional entry)."""
    if not entry:
        return ""
    if entry.get("supported") is None or not entry.get("verdict"):
        return (f" **Fair comparison.** Whether the survey measures the same thing in every "
                f"{_esc(entry.get('group', 'group'))} could not be tested.")
    lead = "The peer comparison is supported." if entry["supported"] else "Read the peer comparison with care."
    return f" **Fair comparison.** {lead} {_esc(entry['verdict'])}"


def _privacy_method(results: Mapping[str, Any]) -> str:
    """The privacy method in one short paragraph a board member can follow."""
    privacy = results.get("privacy")
    if not privacy:
        return f"Figures from groups of fewer than {results['method']['min_group_size']} organisations are withheld. "
    return (
        "**Confidentiality:** every participant sees the same figures for the same peer group, and the "
        "peer groups and figures that may be shown are fixed once for the whole wave. Before anything is "
        "released, the kit checks every combination of those figures (adding, subtracting, comparing groups, "
        f"even with up to {privacy['pooled_readers']} participants pooling their own answers) and withholds "
        f"whatever would reveal the answers of fewer than {privacy['min_group_size']} organisations. "
        "Where you stand is read from the published bands only, never from other organisations' own scores. "
        f"{_esc(results.get('benchmark', {}).get('population_note', ''))} "
    )


def _fingerprint(value: Any) -> str:
    """A fingerprint as short code text (``sha256:`` and 12 hex digits), enough to compare by eye."""
    text = str(value or "")
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", text):
        return "not recorded"
    return f"`{text[:19]}`"


def provenance_markdown(results: Mapping[str, Any]) -> str:
    """What the figures were made from (the results' ``provenance``), as a paragraph that
    starts with a blank line; empty when the results record none."""
    prov = results.get("provenance")
    if not isinstance(prov, Mapping):
        return ""
    fw = prov.get("framework") or {}
    seeds = prov.get("seeds") or {}
    seed_text = ", ".join(f"{_esc(k.replace('_', ' '))} {int(v)}" for k, v in seeds.items()
                          if k != "n_boot" and isinstance(v, (int, float)))
    segments = prov.get("segments") or {}
    segment_text = {
        "saved": f"the segment model saved with the wave ({_fingerprint(segments.get('fingerprint'))})",
        "fitted": f"a segment model fitted on the wave (seed {int(seeds.get('segments', 0))})",
    }.get(segments.get("source"), "no segment model")
    own = (f" The organisation's own survey file has fingerprint {_fingerprint(prov.get('responses_fingerprint'))}."
           if prov.get("responses_fingerprint") else "")
    return (
        "\n\n**Reproducibility.** These results were computed from wave "
        f"{_esc(prov.get('wave'))} of the benchmark database (data fingerprint {_fingerprint(prov.get('data_fingerprint'))}), "
        f"scored with the framework {_esc(fw.get('id'))} version {_esc(fw.get('version'))} "
        f"(fingerprint {_fingerprint(fw.get('fingerprint'))}) and {segment_text}, by maturity "
        f"{_esc(prov.get('kit_version'))}; the random steps used fixed seeds ({seed_text}).{own} "
        "`maturity verify` recomputes the results from the database and names any figure that has changed."
    )


# --- display objects for notebook cells ---------------------------------------------------------


def _md(text: str):
    from IPython.display import Markdown

    return Markdown(text)


def _html(text: str):
    from IPython.display import HTML

    return HTML(text)


def title_block(results: Mapping[str, Any]):
    """Display object of :func:`title_markdown`."""
    return _md(title_markdown(results))


def headlines(results: Mapping[str, Any]):
    """Display object of :func:`headlines_markdown`."""
    return _md(headlines_markdown(results))


def index_summary(results: Mapping[str, Any]):
    """Display object of :func:`index_markdown`."""
    return _md(index_markdown(results))


def peer_table(results: Mapping[str, Any]):
    """Display object of :func:`peer_table_html`."""
    return _html(peer_table_html(results))


def segment_summary(results: Mapping[str, Any]):
    """Display object of :func:`segment_markdown`."""
    return _md(segment_markdown(results))


def trend_summary(results: Mapping[str, Any]):
    """Display object of :func:`trend_markdown`."""
    return _md(trend_markdown(results))


def achievers(results: Mapping[str, Any]):
    """Display object of :func:`achievers_markdown`."""
    return _md(achievers_markdown(results))


def achievers_table(results: Mapping[str, Any]):
    """Display object of :func:`achievers_table_html`."""
    return _html(achievers_table_html(results))


def learners(results: Mapping[str, Any]):
    """Display object of "What your learners say" (empty when the wave has no learners' survey)."""
    block = results.get("learners")
    return _html(learner_voice_html(block)) if block else _md("")


def priorities(results: Mapping[str, Any]):
    """Display object of :func:`priorities_markdown`."""
    return _md(priorities_markdown(results))


def peer_group(results: Mapping[str, Any]):
    """Display object of :func:`peer_group_markdown`."""
    return _md(peer_group_markdown(results))


def method_note(results: Mapping[str, Any]):
    """Display object of :func:`method_markdown`."""
    return _md(method_markdown(results))

