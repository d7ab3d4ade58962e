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


#: Results function that probes the worker process for an earlier client's state.
LEAKY_RESULTS_FUNCTION = "tests.batch_support:leaky_results"
#: Prefix of every value a client plants in its worker or kernel for the next client to find.
LEAK_MARK = "left-by-"


def leaky_results(params, *, store=None) -> dict[str, Any]:
    """:func:`echo_results`, after looking for what an earlier client left in this worker process
    (a module global, a cache of a module the warm parent preloaded, an environment variable)
    and leaving the same for a later one. What it found goes into results.json."""
    import os

    from maturity.benchmarking import wave_models

    found = {
        "module_global": globals().get("_LEFT_BY_A_CLIENT"),
        "kit_cache": wave_models._FITTED_SEGMENTS.get(("left",)),
        "environment": os.environ.get("MATURITY_TEST_LEFT"),
    }
    mark = f"{LEAK_MARK}{params.client_id}"
    globals()["_LEFT_BY_A_CLIENT"] = mark
    wave_models._FITTED_SEGMENTS[("left",)] = mark
    os.environ["MATURITY_TEST_LEFT"] = mark
    return {**echo_results(params), "worker_found": found, "worker_pid": os.getpid()}


def leak_template(path: Path) -> Path:
    """A report template that looks, in its kernel, for anything an earlier client left behind
    (a global, a builtin, an attribute of a kit module, a module in sys.modules, an environment
    variable, a matplotlib setting, an entry of sys.path, IPython's history), writes what it
    found to ``kernel_state.json`` in its folder with its process ids, whether the kit was
    already imported when the notebook started and a draw of numpy's and Python's unseeded
    random generators, then leaves all of those behind itself."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("client_id = None\norganisation = None\nresults_path = None")
    params.metadata["tags"] = ["parameters"]
    probe = nbformat.v4.new_code_cell(
        "import builtins, json, os, sys, types\n"
        "kit_preloaded = 'maturity.reporting.figures' in sys.modules\n"
        "import matplotlib\n"
        "import psutil\n"
        "from maturity.reporting import figures\n"
        "found = {\n"
        "    'global': globals().get('LEFT_BY_A_CLIENT'),\n"
        "    'builtin': getattr(builtins, 'left_by_a_client', None),\n"
        "    'kit_module': getattr(figures, 'left_by_a_client', None),\n"
        "    'sys_modules': getattr(sys.modules.get('left_by_a_client'), 'mark', None),\n"
        "    'environment': os.environ.get('MATURITY_TEST_LEFT_IN_KERNEL'),\n"
        "    'matplotlib': matplotlib.rcParams['savefig.directory'],\n"
        "    'sys_path': [p for p in sys.path if 'left-by-' in p],\n"
        "    'history': [h for h in In[:-1] if 'left-by-' in h],\n"
        "}\n"
        "worker = psutil.Process(os.getppid())\n"
        "import numpy, random\n"
        "state = {'found': found, 'kit_preloaded': kit_preloaded, 'kernel_pid': os.getpid(),\n"
        "         'worker_pid': worker.pid, 'worker_parent_pid': worker.ppid(),\n"
        "         'random': [numpy.random.random(), random.random()]}\n"
        "with open('kernel_state.json', 'w') as f:\n"
        "    json.dump(state, f)\n"
        f"mark = '{LEAK_MARK}' + client_id\n"
        "LEFT_BY_A_CLIENT = builtins.left_by_a_client = figures.left_by_a_client = mark\n"
        "sys.modules['left_by_a_client'] = types.SimpleNamespace(mark=mark)\n"
        "os.environ['MATURITY_TEST_LEFT_IN_KERNEL'] = mark\n"
        "matplotlib.rcParams['savefig.directory'] = mark\n"
        "sys.path.append(mark)\n"
        "print(f'Report for {client_id}')"
    )
    nb.cells = [params, probe]
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
