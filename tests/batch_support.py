"""Helpers for the batch tests: report templates with injected faults, client files, a database.

Worker processes import this module (``tests.batch_support``), so the tests put the
repository on ``PYTHONPATH``.

Run as ``python -m tests.batch_support ARGS...`` it is the ``maturity`` command line with the
results step replaced by :func:`echo_results` (for templates that do not need the real one).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat
import yaml

RESULTS_FUNCTION = "tests.batch_support:echo_results"
#: Environment variable read by the fault template: seconds a ``slow*`` client sleeps.
SLEEP_ENV = "MATURITY_TEST_SLEEP"


def echo_results(params, *, store=None) -> dict[str, Any]:
    """A results.json made from the parameters alone (the real one needs maturity.benchmarking.peers).

    A client id starting with ``crash`` makes the worker process itself exit abruptly.
    """
    if params.client_id.startswith("crash"):
        import os

        print("about to crash", flush=True)
        os._exit(7)
    return {
        "client_id": params.client_id,
        "organisation": params.organisation,
        "wave": params.wave,
        "peers": {k: list(v) for k, v in params.peers.items()},
        "compare_to": params.compare_to,
    }


def fault_template(path: Path) -> Path:
    """A report template whose behaviour depends on the client id's prefix.

    ``raises*``: a cell raises; ``dies*``: the kernel exits (os._exit); ``slow*``: the cell
    records the kernel's pid and sleeps ``$MATURITY_TEST_SLEEP`` seconds; anything else: ok.
    """
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("client_id = None\norganisation = None\nresults_path = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Client report"),
        params,
        nbformat.v4.new_code_cell(
            "import json, os, time\n"
            "from IPython.display import Markdown, display\n"
            "results = json.load(open(results_path))\n"
            "display(Markdown(f\"Report for **{results['client_id']}** ({results['organisation']})\"))"
        ),
        nbformat.v4.new_code_cell(
            "if client_id.startswith('raises'):\n"
            "    raise ValueError('a figure could not be drawn')\n"
            "if client_id.startswith('dies'):\n"
            "    os._exit(3)\n"
            "if client_id.startswith('slow'):\n"
            "    with open('kernel.pid', 'w') as f:\n"
            "        f.write(str(os.getpid()))\n"
            f"    time.sleep(float(os.environ.get('{SLEEP_ENV}', '0')))"
        ),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots(figsize=(3, 2))\n"
            "ax.plot([0, 1], [0, 1]);"
        ),
        nbformat.v4.new_markdown_cell("## Method\nAll figures come from the library."),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def write_client(folder: Path, name: str, **fields: Any) -> Path:
    """Write ``folder/<name>.yaml`` (client_id defaults to ``name``)."""
    data = {"client_id": name, **fields}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def make_database(path: Path, n_orgs: int = 60, wave: str = "2026") -> tuple[Path, list[str]]:
    """A benchmark database with one wave; returns its path and the wave's organisation ids."""
    import maturity
    from maturity.data.store import BenchmarkStore

    bench = maturity.generate_benchmark(n_orgs, seed=7)
    fw = bench.framework
    ids = [str(i) for i in bench.responses[fw.id_column]]
    with BenchmarkStore(path) as store:
        store.import_responses(bench.responses, fw, wave)
    return path, ids


def main(argv: list[str]) -> int:
    from maturity.batch import client_task
    from maturity.cli import main as cli_main

    client_task.RESULTS_FUNCTION = RESULTS_FUNCTION
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
