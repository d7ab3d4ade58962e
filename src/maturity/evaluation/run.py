"""``maturity evaluate``: a plan in, ``evaluation.json`` and the senior leader's report out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.store import BenchmarkStore
from ..errors import ParametersError
from ..files import write_json
from ..reporting.notebooks import export_html, notebook_path, run_notebook
from ..reporting.pdf import check_printer, print_pdf
from .norms import evaluation_summary, programme_norms, save_evaluation, stored_evaluations
from .plan import EvaluationPlan, load_plan
from .report import evaluate

#: The packaged report template.
NOTEBOOK = "programme_evaluation.ipynb"
JSON_NAME = "evaluation.json"


@dataclass
class EvaluationRun:
    """What ``maturity evaluate`` wrote."""

    out: Path
    evaluation: dict[str, Any]
    json: Path
    notebook: Path | None = None
    html: Path | None = None
    pdf: Path | None = None
    stored: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def run_evaluation(
    plan: str | Path | EvaluationPlan, out: str | Path, *, report: bool = True, pdf: bool = False,
    db: str | Path | None = None, wave: str | None = None, min_group_size: int | None = None,
    progress: bool = False, timeout: float | None = None,
) -> EvaluationRun:
    """Evaluate a programme and write ``OUT/evaluation.json`` and, with ``report``, the report
    (``OUT/report.ipynb``, ``report.html``, with ``pdf`` also ``report.pdf``).

    With ``db`` the evaluation's summary is stored with ``wave`` of that benchmark database,
    and the report places the programme among the other stored programmes (norms).
    Nothing is written or stored when the plan or a file is rejected.
    """
    if not isinstance(plan, EvaluationPlan):
        plan = load_plan(plan)
    if db is not None and not plan.organisation:
        raise ParametersError("to store an evaluation the plan needs organisation: (the benchmark's id of the "
                              "organisation that ran the programme)")
    if pdf:
        check_printer()  # fail before the work when no PDF can be printed
    evaluation = evaluate(plan)
    out = Path(out)
    run = EvaluationRun(out, evaluation, out / JSON_NAME)
    if db is not None:
        with BenchmarkStore(db) as store:
            others = stored_evaluations(store, wave)
            kwargs = {} if min_group_size is None else {"min_group_size": min_group_size}
            evaluation["norms"] = programme_norms(evaluation_summary(evaluation), others, **kwargs)
            run.stored = save_evaluation(store, wave, evaluation)
    write_json(run.json, evaluation)
    if report:
        run.notebook = run_notebook(notebook_path(NOTEBOOK), out / "report.ipynb",
                                    {"evaluation_path": str(run.json.resolve())}, cwd=out, progress=progress,
                                    timeout=timeout)
        run.html = export_html(run.notebook, out / "report.html", title=f"{plan.programme}: evaluation")
        if pdf:
            run.pdf = print_pdf(run.html, out / "report.pdf", organisation=plan.organisation or plan.programme,
                                title="Programme evaluation")
    return run
