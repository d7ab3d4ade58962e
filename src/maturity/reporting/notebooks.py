"""Running parameterized notebooks (papermill) and exporting them as finished HTML.

Notebooks are templates: a tagged ``parameters`` cell, then calls into the library. The
kit ships its templates (``notebooks/`` in the source tree, ``maturity/_notebooks`` in an
installed wheel); a consultancy can pass its own.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from ..errors import ReportError
from ..files import write_text
from .html_finish import finish_report_html

#: Kernel every template runs on: the Python of the running interpreter.
KERNEL_NAME = "python3"


def notebook_path(name: str) -> Path:
    """Locate a packaged notebook template by file name (e.g. ``"client_report.ipynb"``).

    Looks in the installed package first, then in the source tree's ``notebooks/``.
    """
    packaged = Path(str(resources.files("maturity"))) / "_notebooks" / name
    if packaged.exists():
        return packaged
    source_tree = Path(__file__).resolve().parents[3] / "notebooks" / name
    if source_tree.exists():
        return source_tree
    raise ReportError(f"notebook template '{name}' not found (looked in {packaged.parent} and {source_tree.parent})")


def check_template(path: str | Path) -> Path:
    """Check that ``path`` is a readable notebook with a cell tagged ``parameters``."""
    import nbformat  # imported when needed: it is slow to import

    path = Path(path)
    if not path.is_file():
        raise ReportError(f"notebook template {path} not found")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types
        raise ReportError(f"notebook template {path} is not a readable notebook: {exc}") from None
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        raise ReportError(f"notebook template {path} has no cell tagged 'parameters'")
    return path


def run_notebook(
    template: str | Path,
    output: str | Path,
    parameters: Mapping[str, Any],
    *,
    cwd: str | Path | None = None,
    timeout: float | None = None,
    progress: bool = False,
    start_timeout: float = 120,
    start_attempts: int = 1,
) -> Path:
    """Execute a template with papermill, writing the executed notebook to ``output``.

    The notebook is written even when a cell fails (papermill marks the failing cell),
    so the partial result can be inspected.

    Parameters
    ----------
    template : path
        Notebook with a ``parameters`` cell.
    output : path
        Executed notebook to write.
    parameters : mapping
        Values injected after the ``parameters`` cell (JSON-compatible).
    cwd : path, optional
        Working folder of the kernel (default: the output's folder).
    timeout : float, optional
        Seconds a single cell may run.
    progress : bool
        Show papermill's progress bar.
    start_timeout : float
        Seconds to wait for the kernel to start (generous: parallel runs start slowly).
    start_attempts : int
        Runs to try when the kernel fails to start (:func:`kernel_never_started`); a run
        in which a cell executed is never repeated.

    Raises
    ------
    ReportError
        When a cell raises, the kernel dies or times out; the message names the cause.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    from . import papermill_engine  # both import papermill and jupyter_client: slow, like the above
    from .kernels import ForkedKernelManager

    template = check_template(template)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    cwd = Path(cwd) if cwd is not None else output.parent
    # The kernel talks to us over Unix sockets in a private folder, not TCP ports: no
    # port clashes between parallel runs (papermill #511) and no unencrypted-TCP warning.
    # The path must be absolute and short (socket paths are limited to ~100 bytes).
    for attempt in range(1, start_attempts + 1):
        ipc_dir = tempfile.mkdtemp(prefix="maturity-ipc-")
        config = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(ipc_dir, "k")}})
        # Papermill saves progressively; it writes to a temporary name so that ``output`` only
        # ever holds a finished run or, after a failure, the complete partial notebook.
        tmp = running_path(output)
        try:
            pm.execute_notebook(
                str(template),
                str(tmp),
                engine_name=papermill_engine.register(),  # papermill's, writing the running notebook less often
                parameters=dict(parameters),
                kernel_name=KERNEL_NAME,
                language="python",  # templates without kernelspec metadata (hand-made ones) still run
                progress_bar=progress,
                cwd=str(cwd),
                execution_timeout=timeout,
                start_timeout=start_timeout,
                report_mode=True,
                config=config,
                # The kernel forked from this warm process when one was prepared
                # (maturity.reporting.kernels), else a fresh one.
                kernel_manager_class=ForkedKernelManager,
            )
        except PapermillExecutionError as exc:
            _keep_partial(tmp, output)
            raise ReportError(
                f"notebook {template.name} failed in cell {exc.exec_count}: {exc.ename}: {_first_line(exc.evalue)}"
            ) from exc
        except Exception as exc:
            if attempt < start_attempts and kernel_never_started(exc, tmp):
                tmp.unlink(missing_ok=True)  # nothing ran: safe to start again
                continue
            _keep_partial(tmp, output)
            raise ReportError(
                f"notebook {template.name} could not run: {type(exc).__name__}: {_first_line(str(exc))}"
            ) from exc
        except BaseException:  # interrupted: leave no half-written file behind
            tmp.unlink(missing_ok=True)
            raise
        finally:
            shutil.rmtree(ipc_dir, ignore_errors=True)
        os.replace(tmp, output)
        return output
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def running_path(output: Path) -> Path:
    """Where :func:`run_notebook` keeps the notebook while it runs (this process)."""
    return output.with_name(f".{output.stem}.{os.getpid()}.running.ipynb")


def running_notebooks(output: Path) -> list[Path]:
    """Notebooks still being written for ``output`` by any process (a run killed from
    outside leaves one behind), oldest first."""
    return sorted(output.parent.glob(f".{output.stem}.*.running.ipynb"), key=lambda p: p.stat().st_mtime)


def kernel_never_started(exc: BaseException, notebook: Path) -> bool:
    """Whether a failed run is a kernel that never came up (a start-up message, and no cell
    of the partly written ``notebook`` executed): the one failure safe to run again.

    Under heavy parallel load a kernel can miss its start-up handshake (papermill #239);
    a kernel that dies in a cell is never retried, so no client runs twice.
    """
    text = f"{exc} {exc.__cause__!r}"
    markers = ("didn't respond", "before replying to kernel_info", "Address already in use", "Kernel didn't start")
    if not any(m in text for m in markers):
        return False
    if not Path(notebook).exists():
        return True
    import nbformat

    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception:  # written before the kernel answered, or cut short: nothing ran
        return True
    return not any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


def _keep_partial(tmp: Path, output: Path) -> None:
    """Keep a failed run's partial notebook at the output path for inspection (written out
    as nbformat writes notebooks: the running copy is saved compactly)."""
    import nbformat

    if not (tmp.exists() and tmp.stat().st_size):
        tmp.unlink(missing_ok=True)
        return
    try:
        nb = nbformat.read(tmp, as_version=4)
    except Exception:  # cut short while being written: keep it as it is for inspection
        os.replace(tmp, output)
        return
    write_text(output, nbformat.writes(nb))
    tmp.unlink(missing_ok=True)


def export_html(notebook: str | Path, html: str | Path, *, title: str | None = None) -> Path:
    """Export an executed notebook to standalone HTML without code, prompts or stderr.

    Figures are embedded; warnings written to stderr and the parameter cells are dropped,
    so the page reads as a finished document. The page loads nothing from the network (no
    scripts), every figure has an alt text, and each heading stays with its figure in print
    (:func:`maturity.reporting.html_finish.finish_report_html`).
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        cells.append(cell)
    nb.cells = cells
    if title:
        nb.metadata["title"] = title
    body, _ = html_exporter().from_notebook_node(nb)
    # self-contained (no CDN scripts), every figure described, headings kept with their figure
    return write_text(html, finish_report_html(body))


@functools.cache
def html_exporter():
    """The exporter of :func:`export_html`, made once per process: its templates are compiled
    on first use, and a warm batch process compiles them before forking its workers."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def _first_line(text: str | None) -> str:
    text = (text or "").strip()
    return text.splitlines()[0] if text else ""
