"""Programme evaluation: the four Kirkpatrick levels and return on investment.

An *evaluation plan* (YAML) names a learning programme, its cost, the files that hold each
level's evidence and the KPIs it is meant to move. :func:`evaluate` reads and checks the
files, then measures reaction, learning, behaviour and results, isolates the programme's
effect on each KPI (a comparison group, or participants' own estimates), turns it into
money against the cost, and lists the participants worth interviewing.
"""

from .plan import EvaluationPlan, load_plan, parse_plan
from .report import evaluate, evaluate_data

__all__ = ["EvaluationPlan", "load_plan", "parse_plan", "evaluate", "evaluate_data"]
