"""``maturity demo``: a synthetic benchmark taken through the whole kit in one command."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .config import load_benchmark_parameters
from .framework import load_framework
from .notebooks import export_html, notebook_path, run_notebook
from .synth import generate_benchmark


@dataclass
class DemoResult:
    """Where the demo put its outputs."""

    out: Path
    responses_csv: Path
    analysis_ipynb: Path
    analysis_html: Path
    seconds: float = 0.0
    extras: dict[str, Path] = field(default_factory=dict)

    def summary(self) -> str:
        """Plain-text list of outputs for the terminal."""
        lines = [f"Demo benchmark ready in {self.out} ({self.seconds:.0f} s)"]
        rows = [("survey data", self.responses_csv), ("analysis report", self.analysis_html),
                ("analysis notebook", self.analysis_ipynb)]
        rows += list(self.extras.items())
        width = max(len(label) for label, _ in rows) + 2
        lines += [f"  {label + ':':<{width}}{path}" for label, path in rows]
        return "\n".join(lines)


def run_demo(
    out: str | Path = "outputs/demo",
    *,
    n_orgs: int = 600,
    seed: int | None = None,
    parameters: str | Path | None = None,
    echo: Callable[[str], None] = print,
    progress: bool = True,
) -> DemoResult:
    """Generate a synthetic benchmark and run the analysis notebook on it.

    Parameters
    ----------
    out : path
        Output folder (created).
    n_orgs : int
        Organisations in the synthetic benchmark.
    seed : int, optional
        Overrides the seed of the run parameters.
    parameters : path, optional
        A ``benchmark.yaml`` with run defaults.
    echo : callable
        Receives one line per step.
    progress : bool
        Show the notebook progress bar.

    Returns
    -------
    DemoResult
    """
    started = time.perf_counter()
    params = load_benchmark_parameters(parameters)
    if seed is not None:
        params["seed"] = seed
    out = Path(out).resolve()
    framework = load_framework(params["framework"])

    echo(f"[1/3] Generating a synthetic benchmark of {n_orgs} organisations (seed {params['seed']})")
    bench = generate_benchmark(n_orgs, framework=framework, seed=params["seed"])
    responses_csv = bench.write(out / "data" / "responses.csv")

    echo("[2/3] Running the benchmark analysis notebook")
    analysis_dir = out / "analysis"
    ipynb = analysis_dir / "benchmark_analysis.ipynb"
    run_notebook(
        notebook_path("benchmark_analysis.ipynb"),
        ipynb,
        {
            "framework": params["framework"],
            "data": str(responses_csv),
            "db": None,
            "wave": params["wave"],
            "seed": params["seed"],
            "min_group_size": params["min_group_size"],
        },
        cwd=analysis_dir,
        progress=progress,
    )
    echo("[3/3] Exporting the analysis as HTML")
    html = export_html(ipynb, analysis_dir / "benchmark_analysis.html", title="Benchmark analysis")
    return DemoResult(out, responses_csv, ipynb, html, time.perf_counter() - started)
