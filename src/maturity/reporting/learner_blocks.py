"""The "What your learners say" block as HTML, from its JSON-safe form
(:func:`maturity.benchmarking.learner_voice.learner_voice_block`): no computation, only
presentation, so a report, a dashboard or a published table render the same figures."""

from __future__ import annotations

import html
from typing import Any, Mapping


def _number(value: float | None, digits: int = 1, percent: bool = False) -> str:
    if value is None:
        return "<span class='maturity-withheld'>withheld</span>"
    return f"{value:.0%}" if percent else f"{value:.{digits}f}"


def learner_voice_html(block: Mapping[str, Any]) -> str:
    """The block as an HTML fragment: a withheld notice with its reason, or the client's
    learners against its peer group's learners (scales, items, single choices, barriers)."""
    title = html.escape(block.get("title", "What your learners say"))
    if not block.get("shown"):
        return (f"<div class='maturity-learners'><h3>{title}</h3><p class='maturity-suppressed'><i>Learner figures "
                f"withheld: {html.escape(str(block.get('reason') or 'too few learners'))}.</i></p></div>")
    peers = block["peers"]
    out = [f"<div class='maturity-learners'><h3>{title}</h3>",
           f"<p>{block['n_learners']:,} of your staff answered the learners' survey; they are compared with "
           f"{peers['n_learners']:,} learners of {peers['n_organisations']} organisations in "
           f"{html.escape(peers['label'])}.</p>"]
    out.append("<table class='maturity-table'><tr><th>Scale (0-100)</th><th>Your learners</th><th>Peers' learners</th></tr>")
    out += [f"<tr><td>{html.escape(s['name'])}</td><td>{_number(s['own'])}</td><td>{_number(s['peers'])}</td></tr>"
            for s in block["scales"]]
    out.append("</table>")
    out.append("<table class='maturity-table'><tr><th>Statement</th><th>Your learners agreeing</th>"
               "<th>Peers' learners agreeing</th></tr>")
    out += [f"<tr><td>{html.escape(i['text'])}</td><td>{_number(i['own_favourable'], percent=True)}</td>"
            f"<td>{_number(i['peers_favourable'], percent=True)}</td></tr>" for i in block["items"]]
    out.append("</table>")
    for question in block.get("choices", []):
        out.append(f"<table class='maturity-table'><tr><th>{html.escape(question['question'])}</th>"
                   "<th>Your learners</th><th>Peers' learners</th></tr>")
        out += [f"<tr><td>{html.escape(v['value'])}</td><td>{_number(v['own_share'], percent=True)}</td>"
                f"<td>{_number(v['peers_share'], percent=True)}</td></tr>" for v in question["values"]]
        out.append("</table>")
    if block.get("barriers"):
        out.append("<table class='maturity-table'><tr><th>What gets in the way</th><th>Your learners</th>"
                   "<th>Peers' learners</th></tr>")
        out += [f"<tr><td>{html.escape(b['name'])}</td><td>{_number(b['own'], percent=True)}</td>"
                f"<td>{_number(b['peers'], percent=True)}</td></tr>" for b in block["barriers"]]
        out.append("</table>")
    out.append("</div>")
    return "\n".join(out)
