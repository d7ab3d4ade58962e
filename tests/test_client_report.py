"""The client report notebook: runs from a results.json and reads like a finished document."""

from __future__ import annotations

import json
import re

import pytest

import maturity
from maturity.clients.results import client_from_data as client_from_wave, results_for_data as build_client_results
from maturity.data.synthetic import generate_wave
from maturity.files import write_json
from maturity.reporting.notebooks import export_html, notebook_path, run_notebook

from .test_client_results import assert_no_other_organisation, history_of, make_data, params

CLIENT = "ORG-0011"


def visible_text(html: str) -> str:
    """What a reader sees: the page without styles, scripts and tags, entities decoded."""
    import html as html_lib

    body = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    """One report of a returning organisation, from a results.json written beforehand."""
    first = maturity.generate_benchmark(300, seed=11)
    second = generate_wave(first, seed=12)
    fw = first.framework
    d1, d2 = make_data(first.responses, fw, "2025"), make_data(second.responses, fw, "2026")
    assert CLIENT in d1.scores.index and CLIENT in d2.scores.index
    sector = d2.responses.loc[CLIENT, "sector"]
    results = build_client_results(
        d2, client_from_wave(d2, CLIENT), params(organisation=CLIENT, peers={"sector": (sector,)}, compare_to="top_deck"),
        history=history_of(CLIENT, d1, d2),
    )
    out = tmp_path_factory.mktemp("report")
    results_json = write_json(out / "results.json", results)
    parameters = params(organisation=CLIENT, peers={"sector": (sector,)}, compare_to="top_deck").to_notebook_parameters()
    ipynb = run_notebook(notebook_path("client_report.ipynb"), out / "report.ipynb",
                         {**parameters, "results_path": str(results_json)})
    html = export_html(ipynb, out / "report.html", title="Client report")
    return d2, results, ipynb, html.read_text(encoding="utf-8")


def test_report_has_figures_and_no_code(report_run):
    _, results, ipynb, html = report_run
    # figures are embedded as SVG: sharp on screen and when printed
    assert len(re.findall(r"<img[^>]+src=\"data:image/svg\+xml;base64", html)) >= 4
    assert "data:image/png;base64" not in html.split("</style>")[-1]
    for code in ("import ", "report.", "plots.", "load_results", "results_path", "def "):
        assert code not in html, code
    text = visible_text(html)
    assert "Traceback" not in html
    for word in ("Error", "Warning", "NaN", "None", "nan"):
        assert not re.search(rf"\b{word}\b", text), word
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    assert all(o.get("output_type") != "error" for c in nb["cells"] for o in c.get("outputs", []))
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr"]


def test_report_leads_with_the_findings(report_run):
    _, results, _, html = report_run
    text = " ".join(visible_text(html).split())
    first = results["findings"][0]["text"]
    assert results["organisation"]["name"] in html
    # The headline sentence appears before the strand profile and the method note.
    words = first.split(",")[0]
    assert words in text
    assert text.index(words) < text.index("Strand profile") < text.index("Method")
    for heading in ("Headlines", "Your maturity index", "Where you rank", "Progress across waves",
                    "Priorities and actions", "Your peer group"):
        assert heading in text
    for action in results["actions"]:
        assert action["title"] in text


def test_report_names_no_other_organisation(report_run):
    data, results, ipynb, html = report_run
    assert_no_other_organisation(html, data, CLIENT, results["organisation"]["name"])
    assert_no_other_organisation(ipynb.read_text(encoding="utf-8"), data, CLIENT, results["organisation"]["name"])


def test_report_tables_are_html_not_dataframe_dumps(report_run):
    _, _, _, html = report_run
    assert 'class="maturity-table"' in html
    assert 'class="dataframe"' not in html
