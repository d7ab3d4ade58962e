"""The benchmark analysis notebook runs on a survey file (the demo covers the database)."""

from __future__ import annotations

import json

import yaml

import maturity
from maturity.reporting.notebooks import notebook_path, run_notebook

from .conftest import small_framework_dict


def test_analysis_notebook_runs_on_a_data_file_of_another_framework(tmp_path):
    data = small_framework_dict(n_strands=4, n_items=4)
    fw_path = tmp_path / "team.yaml"
    fw_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    fw = maturity.load_framework(fw_path)
    survey = maturity.generate_benchmark(150, framework=fw, seed=4).write(tmp_path / "team.csv")
    out = tmp_path / "analysis.ipynb"
    run_notebook(notebook_path("benchmark_analysis.ipynb"), out,
                 {"framework": str(fw_path), "data": str(survey), "n_bootstrap": 2, "n_boot_drivers": 20},
                 cwd=tmp_path)
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = json.dumps(outputs)
    assert "Cronbach" in text and "segments" in text
    assert "defines no outcomes" in text and "lists no barriers" in text   # this framework has neither
    # Figures are drawn as SVG (sharp in print), or PNG where a figure asks for it.
    assert sum(bool({"image/png", "image/svg+xml"} & set(o.get("data", {}))) for o in outputs) >= 5
