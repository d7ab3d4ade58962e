"""Report building blocks and client figures on edge cases: withheld peers, new organisations,
no trend, no segment. (The full notebook run is in test_client_report.py.)"""

from __future__ import annotations

import json
import re

import matplotlib
import pytest

matplotlib.use("Agg")

import maturity  # noqa: E402
from maturity.clients.results import client_from_data as client_from_wave, results_for_data as build_client_results
from maturity.published.profile import client_from_survey  # noqa: E402
from maturity.errors import ReportError  # noqa: E402
from maturity.reporting import client_inputs, figures, report_blocks  # noqa: E402

from .test_client_results import make_data, params  # noqa: E402

BLOCKS = [report_blocks.title_markdown, report_blocks.headlines_markdown, report_blocks.index_markdown,
          report_blocks.peer_table_html, report_blocks.segment_markdown, report_blocks.trend_markdown,
          report_blocks.priorities_markdown, report_blocks.peer_group_markdown, report_blocks.method_markdown,
          report_blocks.achievers_markdown, report_blocks.achievers_table_html]


@pytest.fixture(scope="module")
def data(bench600):
    return make_data(bench600.responses, bench600.framework)


@pytest.fixture(scope="module")
def tiny(data):
    """Results from a wave of 5 organisations: too small for any peer figure."""
    resp = data.responses
    org = resp.index[0]
    sector = resp.loc[org, "sector"]
    same = resp.index[(resp["sector"] == sector) & (resp.index != org)][:4]
    small = make_data(resp.loc[[org, *same]], data.framework)
    return build_client_results(small, client_from_wave(small, org), params(organisation=org, peers={"sector": (sector,)}))


@pytest.fixture(scope="module")
def newcomer(data):
    own = maturity.generate_benchmark(1, framework=data.framework, seed=8, id_prefix="NEW").responses
    return build_client_results(data, client_from_survey(own, data.framework),
                                params(organisation=None, compare_to="top_deck", title="A & B <report>"))


def _clean(text: str) -> None:
    assert not re.search(r"\b(None|nan|NaN|null)\b", text), text


def test_blocks_of_a_withheld_peer_group_say_so(tiny):
    for block in BLOCKS:
        _clean(block(tiny))
    assert "withheld" in report_blocks.index_markdown(tiny)
    assert report_blocks.peer_table_html(tiny).count(">withheld<") >= 7 * 5
    assert "No priorities can be ranked" in report_blocks.priorities_markdown(tiny)
    text = report_blocks.peer_group_markdown(tiny)
    assert "5 organisations" in text and "at least 8 organisations" in text


def test_blocks_of_a_new_organisation(newcomer):
    for block in BLOCKS:
        _clean(block(newcomer))
    assert "first wave" in report_blocks.trend_markdown(newcomer)
    assert "No segmentation" in report_blocks.segment_markdown(newcomer)
    # Text from files is escaped, never interpreted as HTML or Markdown.
    assert "A &amp; B &lt;report&gt;" in report_blocks.title_markdown(newcomer)
    assert report_blocks.report_title(newcomer) == "A & B <report>"


def test_figures_draw_only_what_is_shown(tiny, newcomer):
    fig = figures.peer_position(tiny)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("peer figures withheld") == 7
    assert figures.percentile_ranks(tiny).axes[0].texts[0].get_text() == "withheld"
    fig = figures.peer_position(newcomer, include_index=False)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(newcomer["strand_names"].values())[1:]
    assert figures.own_trend(newcomer) is None and figures.segment_comparison(newcomer) is None


def test_load_results_reads_a_results_file(tmp_path, newcomer):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(newcomer), encoding="utf-8")
    assert client_inputs.load_results(path)["client_id"] == newcomer["client_id"]
    with pytest.raises(ReportError, match="not found"):
        client_inputs.load_results(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(ReportError, match="cannot be read"):
        client_inputs.load_results(tmp_path / "bad.json")


def test_achievers_block_matches_the_results(newcomer):
    text = report_blocks.achievers_markdown(newcomer)
    for a in newcomer["achievers"]:
        m = re.search(rf"\*\*{re.escape(a['name'])}\*\*: (\d+)% of the top deck \(([\d,]+) organisations\) "
                      rf"against (\d+)% of the others \(([\d,]+)\), ([\d.]+)x as likely\.", text)
        assert m, text
        assert int(m[1]) == round(a["top_deck_share"]) and int(m[3]) == round(a["others_share"])
        assert int(m[2].replace(",", "")) == a["top_deck_n"] and int(m[4].replace(",", "")) == a["others_n"]
        assert float(m[5]) == pytest.approx(a["ratio"], abs=0.0501)  # shown to one decimal
    frame = report_blocks.achievers_frame(newcomer)
    assert len(figures.achievers_bars(frame).axes[0].patches) == 2 * len(frame)


def test_achievers_table_shows_each_group_and_marks_withheld_figures(newcomer):
    text = report_blocks.achievers_table_html(newcomer)
    for a in newcomer["achievers"]:
        assert (f"<td>{a['name']}</td><td>{a['top_deck_share']:.0f}% (n={a['top_deck_n']:,})</td>"
                f"<td>{a['others_share']:.0f}% (n={a['others_n']:,})</td><td>{a['ratio']:.1f}x</td>") in text
    assert "the 10% of organisations" in text
    withheld = dict(newcomer, achievers=[dict(newcomer["achievers"][0], top_deck_n=4, top_deck_share=None, ratio=None)])
    text = report_blocks.achievers_table_html(withheld)
    assert "<td>withheld (n=4)</td>" in text and "<td class=\"withheld\">withheld</td>" in text


def test_method_note_explains_the_confidentiality_method(data):
    org = data.responses.index[0]
    res = build_client_results(data, client_from_wave(data, org), params(organisation=org))
    text = report_blocks.method_markdown(res)
    assert "**Confidentiality:**" in text and "same figures for the same peer group" in text
    assert f"fewer than {res['privacy']['min_group_size']} organisations" in text
    assert res["privacy"]["method"] == "published once per wave, with exact disclosure audit"
    assert "published bands" in text
def test_title_says_how_many_peers_have_an_index(data):
    """Peer figures stand on the organisations with an index, so the count in the title is the
    count behind the index figures; results where some peers lack an index say so."""
    org = data.scores.index[data.scores["index"].notna()][0]
    results = build_client_results(data, client_from_wave(data, org), params(organisation=org))
    peers, scored = results["peers"]["n"], results["peers"]["stats"]["index"]["n"]
    assert peers == scored
    title = report_blocks.title_markdown(results)
    assert f"against {peers:,} peer organisations (All organisations in the wave) in" in title
    older = json.loads(json.dumps(results))
    older["peers"]["n"] = scored + 3  # e.g. results from a kit that counted every member
    assert f"{scored:,} of them with a maturity index" in report_blocks.title_markdown(older)
