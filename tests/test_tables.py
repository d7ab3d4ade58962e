"""Display tables and figures that read at a glance: human labels, yes/no, the framework's
order, a colour-blind-safe segment palette distinct in greyscale, markers at 0 and 100 whole."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from maturity.analysis import reliability  # noqa: E402
from maturity.reporting import figures, tables  # noqa: E402


def _lightness(colour: str) -> float:
    """CIE L* of an sRGB colour: what a greyscale print keeps of it."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 116 * y ** (1 / 3) - 16 if y > 0.008856 else 903.3 * y


def _deuteranope(colour: str) -> np.ndarray:
    """The colour as a deuteranope sees it (Vienot, Brettel & Mollon 1999, on linear RGB)."""
    linear = np.array([c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)])
    matrix = np.array([[0.29275, 0.70725, 0.0], [0.29275, 0.70725, 0.0], [-0.02234, 0.02234, 1.0]])
    return matrix @ linear


@pytest.mark.parametrize("k", range(2, 9))
def test_segment_colours_differ_in_greyscale_and_for_colour_blind_readers(k):
    names = [f"S{i}" for i in range(k)]
    colours = list(figures.segment_colours(names).values())
    assert len(set(colours)) == k
    lightness = sorted(_lightness(c) for c in colours)
    assert min(np.diff(lightness)) >= 9.5, lightness  # distinct grey levels
    if k <= 6:  # least mature lightest, most mature darkest
        assert [_lightness(c) for c in colours] == sorted((_lightness(c) for c in colours), reverse=True)
    seen = [_deuteranope(c) for c in colours]
    gaps = [np.abs(a - b).max() for i, a in enumerate(seen) for b in seen[i + 1:]]
    assert min(gaps) > 0.05
    assert len(set(figures.segment_markers(names).values())) == k


def test_the_segment_map_draws_each_segment_in_its_own_colour_and_shape():
    rng = np.random.default_rng(0)
    order = ["Starting", "Developing", "Embedding", "Leading"]
    coords = pd.DataFrame({"pc1": rng.normal(size=80), "pc2": rng.normal(size=80), "segment": np.repeat(order, 20)})
    fig = figures.segment_map_chart(coords, order)
    collections = fig.axes[0].collections
    colours = {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in collections}
    shapes = {c.get_paths()[0].vertices.round(3).tobytes() for c in collections}
    assert len(colours) == 4 and len(shapes) == 4
    plt.close(fig)


def _results(value: float) -> dict:
    """A client's results with every score at ``value`` (0 or 100), peers around it."""
    names = {"a": "Strand A", "b": "Strand B", "index": "Maturity index"}
    stat = {"n": 40, "q1": 30.0, "median": 50.0, "q3": 70.0, "mean": 50.0, "top_quartile_mean": 80.0,
            "top_deck_mean": 90.0}
    return {
        "strand_names": names, "scores": {k: value for k in names},
        "peers": {"n": 40, "stats": {k: dict(stat) for k in names}, "comparison_used": "top_quartile"},
        "percentiles": {k: {"value": value, "ci_low": max(value - 5, 0), "ci_high": min(value + 5, 100)} for k in names},
        "segment": {"name": "Leading", "profile": {"a": value, "b": value}},
        "trend": [{"wave": "2025", **{k: value for k in names}}, {"wave": "2026", **{k: value for k in names}}],
    }


@pytest.mark.parametrize("value", [0.0, 100.0])
def test_markers_at_0_or_100_are_drawn_whole(value):
    results = _results(value)
    for fig, axis in ((figures.peer_position(results), "x"), (figures.percentile_ranks(results), "x"),
                      (figures.segment_comparison(results), "x"), (figures.own_trend(results), "y")):
        ax = fig.axes[0]
        low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
        assert low <= -2 and high >= 102  # room for half a marker beyond either end
        plt.close(fig)


def test_analysis_tables_read_as_a_report(bench600):
    fw = bench600.framework
    items = reliability.item_reliability(bench600.responses, fw)
    rel = reliability.reliability(bench600.responses, fw)
    shown = tables.display_frame(rel, fw)
    assert "n_items" not in shown.columns and "Items" in shown.columns
    assert set(shown.index) <= set(fw.strand_names().values())
    assert "Item-rest correlation" in tables.display_frame(items, fw).columns
    checks = pd.DataFrame({"groups": [4, 3], "means_comparable": [True, False]},
                          index=pd.Index(["size", "wave"], name="grouping"))
    shown = tables.display_frame(checks, fw)
    assert list(shown["Means comparable"]) == ["yes", "no"]
    assert list(shown.index) == ["Size band" if "Size band" in shown.index else fw.demographics[1].name, "Wave"]
    assert shown.index.name == "Compared across"


def test_demographic_values_keep_the_frameworks_order(framework):
    size = next(d for d in framework.demographics if d.id == "size")
    as_text = sorted(size.values)  # 1-249, 1000-4999, 250-999, 5000+
    assert as_text != list(size.values)
    composition = pd.DataFrame([[0.1] * len(as_text)], index=["Leading"], columns=pd.Index(as_text, name="size"))
    shown = tables.display_frame(composition, framework)
    assert list(shown.columns) == list(size.values)
    assert shown.columns.name == size.name


def test_blanks_and_booleans_never_show_as_python_values(framework):
    frame = pd.DataFrame({"share": [0.5, np.nan], "suppressed": [False, True], "note": [None, "x"]},
                         index=["Q1 (lowest)", "Q2"])
    html = tables.display_table(frame, framework, formats={"share": "{:.0%}"}, na_rep="withheld").to_html()
    cells = [c.split(">")[-1] for c in html.split("</td>")[:-1]]
    assert {"50%", "withheld", "no", "yes", "x"} <= set(cells)
    assert not {"True", "False", "nan", "None", "NaN"} & set(cells)
    assert "suppressed" not in tables.display_table(frame, hide=("suppressed",)).to_html()
