"""The evaluation plan: a YAML file naming the programme, its cost, its files and its KPIs.

The smallest plan::

    programme: Leading teams
    cost: 48000
    files: {learning: learning.csv, results: results.csv}
    kpis: {sales: {value: 120, direction: up}}

Every field is checked when the plan is read; a bad plan raises one
:class:`~maturity.errors.ParametersError` naming the file, the field and what is wrong.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..config import DEFAULT_SEED, read_yaml, resolve_path
from ..errors import ParametersError

#: The level files a plan may name, in the order the report presents them.
LEVEL_FILES = ("reaction", "learning", "behaviour", "results")
#: Further evidence files.
EXTRA_FILES = ("estimates", "stories", "learners")
#: Scales a plan may set, and their defaults.
DEFAULT_SCALES: dict[str, tuple[float, float]] = {
    "reaction": (1.0, 5.0),
    "behaviour": (1.0, 5.0),
    "learning": (0.0, 100.0),
}
_TOP_KEYS = {
    "programme", "owner", "audience", "dates", "type", "cost", "currency", "files", "kpis", "cluster",
    "scales", "confidence", "bootstrap", "seed", "organisation", "success_cases",
}
_KPI_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .-]*$")


@dataclass(frozen=True)
class Kpi:
    """One business measure the programme should move.

    Attributes
    ----------
    name : str
        The column of the results file.
    value : float
        Money one unit of the KPI is worth (per trained unit and period).
    direction : {"up", "down"}
        Whether an increase (``up``) or a decrease (``down``) is the improvement.
    label : str
        How the report names it.
    """

    name: str
    value: float
    direction: str = "up"
    label: str = ""

    @property
    def sign(self) -> int:
        """+1 when an increase is good, -1 when a decrease is."""
        return 1 if self.direction == "up" else -1


@dataclass(frozen=True)
class EvaluationPlan:
    """A checked evaluation plan.

    Attributes
    ----------
    programme : str
        The programme's name.
    cost : float
        Total cost (the sum of ``cost_lines``).
    cost_lines : dict
        Cost line -> amount (one line ``total`` when the plan gives a single number).
    files : dict
        Level or evidence name -> absolute path.
    measures : dict
        Level -> what its file measures, in the plan's words (e.g. "end-of-course survey").
    kpis : dict
        KPI column -> :class:`Kpi`.
    cluster : str or None
        Column of the results file that groups units (a team) for the standard errors.
    scales : dict
        ``reaction``, ``behaviour``, ``learning`` -> (min, max).
    source : Path or None
        The plan file.
    """

    programme: str
    cost: float
    cost_lines: dict[str, float] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)
    kpis: dict[str, Kpi] = field(default_factory=dict)
    cluster: str | None = None
    scales: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_SCALES))
    owner: str = ""
    audience: str = ""
    dates: dict[str, str] = field(default_factory=dict)
    programme_type: str = ""
    currency: str = ""
    confidence: float = 0.95
    bootstrap: int = 2000
    seed: int = DEFAULT_SEED
    organisation: str = ""
    success_cases: int = 5
    source: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain data for ``evaluation.json`` (paths as given, relative to the plan)."""
        base = self.source.parent if self.source else None

        def shown(path: Path) -> str:
            if base is not None:
                try:
                    return path.relative_to(base).as_posix()
                except ValueError:
                    pass
            return str(path)

        return {
            "programme": self.programme, "owner": self.owner, "audience": self.audience, "dates": dict(self.dates),
            "type": self.programme_type, "organisation": self.organisation, "currency": self.currency,
            "cost": self.cost, "cost_lines": dict(self.cost_lines),
            "files": {k: shown(v) for k, v in self.files.items()}, "measures": dict(self.measures),
            "kpis": {k: {"value": v.value, "direction": v.direction, "label": v.label} for k, v in self.kpis.items()},
            "cluster": self.cluster, "scales": {k: list(v) for k, v in self.scales.items()},
            "confidence": self.confidence, "bootstrap": self.bootstrap, "seed": self.seed,
        }


def load_plan(path: str | Path) -> EvaluationPlan:
    """Read and check an evaluation plan file; relative file paths resolve against its folder.

    Raises
    ------
    ParametersError
        The file is missing, not YAML, or a field is wrong (the message names it).
    """
    path = Path(path)
    document = read_yaml(path, "evaluation plan")
    return parse_plan(document, base=path.resolve().parent, source=path)


def parse_plan(document: Any, *, base: str | Path = ".", source: str | Path | None = None) -> EvaluationPlan:
    """Check a plan given as plain data (see the module docstring).

    Parameters
    ----------
    document : mapping
        The parsed YAML.
    base : path
        Folder that relative file paths resolve against.
    source : path, optional
        The plan file, for messages.
    """
    where = f"{source}: " if source else ""

    def fail(field_name: str, message: str) -> ParametersError:
        return ParametersError(f"{where}{field_name}: {message}")

    if not isinstance(document, Mapping):
        raise ParametersError(f"{where}an evaluation plan must be a mapping of fields (programme, cost, files, kpis)")
    unknown = sorted(set(map(str, document)) - _TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown field (expected some of: {', '.join(sorted(_TOP_KEYS))})")

    programme, details = _programme(document.get("programme"), fail)
    owner = _text(document.get("owner", details.get("owner", "")), "owner", fail)
    audience = _text(document.get("audience", details.get("audience", "")), "audience", fail)
    dates = _dates(document.get("dates", details.get("dates", {})), fail)
    programme_type = _text(document.get("type", details.get("type", "")), "type", fail)
    cost_lines = _cost(document.get("cost"), fail)
    files, measures = _files(document.get("files"), Path(base), fail)
    kpis = _kpis(document.get("kpis"), fail, required="results" in files)
    cluster = document.get("cluster")
    if cluster is not None and (not isinstance(cluster, str) or not cluster.strip()):
        raise fail("cluster", f"expected the name of a column of the results file, got {cluster!r}")
    if cluster in kpis:
        raise fail("cluster", f"'{cluster}' is also a KPI")
    scales = _scales(document.get("scales"), fail)
    confidence = _number(document.get("confidence", 0.95), "confidence", fail)
    if not 0.5 <= confidence < 1:
        raise fail("confidence", f"expected a level between 0.5 and 1 (e.g. 0.95), got {confidence}")
    bootstrap = _whole(document.get("bootstrap", 2000), "bootstrap", fail, minimum=100)
    seed = _whole(document.get("seed", DEFAULT_SEED), "seed", fail, minimum=0)
    success_cases = _whole(document.get("success_cases", 5), "success_cases", fail, minimum=1)
    if not any(level in files for level in LEVEL_FILES):
        raise fail("files", "name at least one level file (reaction, learning, behaviour or results)")
    if "estimates" in files and "results" not in files:
        raise fail("files.estimates", "participants' estimates need a results file (the change they share out)")
    return EvaluationPlan(
        programme=programme, cost=float(sum(cost_lines.values())), cost_lines=cost_lines, files=files,
        measures=measures, kpis=kpis,
        cluster=cluster.strip() if cluster else None, scales=scales, owner=owner, audience=audience, dates=dates,
        programme_type=programme_type, currency=_text(document.get("currency", ""), "currency", fail),
        confidence=confidence, bootstrap=bootstrap, seed=seed,
        organisation=_text(document.get("organisation", ""), "organisation", fail),
        success_cases=success_cases, source=Path(source) if source else None,
    )


def _programme(value: Any, fail) -> tuple[str, dict]:
    if isinstance(value, Mapping):
        name = value.get("name")
        extra = sorted(set(map(str, value)) - {"name", "owner", "audience", "dates", "type"})
        if extra:
            raise fail(f"programme.{extra[0]}", "unknown field (expected name, owner, audience, dates, type)")
        details = dict(value)
    else:
        name, details = value, {}
    if not isinstance(name, str) or not name.strip():
        raise fail("programme", "expected the programme's name (a text)")
    return name.strip(), details


def _text(value: Any, name: str, fail) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise fail(name, f"expected a text, got {value!r}")
    return str(value).strip()


def _dates(value: Any, fail) -> dict[str, str]:
    if value in (None, {}):
        return {}
    if not isinstance(value, Mapping):
        raise fail("dates", "expected {start: YYYY-MM-DD, end: YYYY-MM-DD}")
    out = {}
    for key, day in value.items():
        if key not in ("start", "end"):
            raise fail(f"dates.{key}", "unknown field (expected start, end)")
        if isinstance(day, _dt.date):
            out[key] = day.isoformat()
            continue
        try:
            out[key] = _dt.date.fromisoformat(str(day)).isoformat()
        except ValueError:
            raise fail(f"dates.{key}", f"expected a date YYYY-MM-DD, got {day!r}") from None
    if "start" in out and "end" in out and out["end"] < out["start"]:
        raise fail("dates.end", f"ends ({out['end']}) before it starts ({out['start']})")
    return out


def _number(value: Any, name: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(name, f"expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise fail(name, f"expected a finite number, got {value}")
    return value


def _whole(value: Any, name: str, fail, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise fail(name, f"expected a whole number of at least {minimum}, got {value!r}")
    return int(value)


def _cost(value: Any, fail) -> dict[str, float]:
    if value is None:
        raise fail("cost", "missing: give the programme's total cost, or its cost lines")
    if isinstance(value, Mapping):
        lines = {str(k): _number(v, f"cost.{k}", fail) for k, v in value.items()}
    elif isinstance(value, list):
        lines = {}
        for i, line in enumerate(value):
            if not isinstance(line, Mapping) or "amount" not in line:
                raise fail(f"cost[{i}]", "expected {item: name, amount: number}")
            lines[str(line.get("item", f"line {i + 1}"))] = _number(line["amount"], f"cost[{i}].amount", fail)
    else:
        lines = {"total": _number(value, "cost", fail)}
    for name, amount in lines.items():
        if amount < 0:
            raise fail("cost" if name == "total" else f"cost.{name}", f"a cost cannot be negative, got {amount:g}")
    if not lines or sum(lines.values()) <= 0:
        raise fail("cost", "the total cost must be more than 0 (ROI divides by it)")
    return lines


def _files(value: Any, base: Path, fail) -> tuple[dict[str, Path], dict[str, str]]:
    """Level -> path, and level -> what its file measures (a file is a path, or
    ``{path: ..., measures: ...}``)."""
    if value is None:
        raise fail("files", "missing: map reaction, learning, behaviour, results to files")
    if not isinstance(value, Mapping):
        raise fail("files", "expected a mapping of level -> file path")
    out, measures = {}, {}
    for key, path in value.items():
        if key not in LEVEL_FILES + EXTRA_FILES:
            raise fail(f"files.{key}", f"unknown level (expected some of: {', '.join(LEVEL_FILES + EXTRA_FILES)})")
        if isinstance(path, Mapping):
            extra = sorted(set(map(str, path)) - {"path", "measures"})
            if extra:
                raise fail(f"files.{key}.{extra[0]}", "unknown field (expected path, measures)")
            if path.get("measures") is not None:
                measures[key] = _text(path["measures"], f"files.{key}.measures", fail)
            path = path.get("path")
            if path is None:
                raise fail(f"files.{key}.path", "missing: the file's path")
        if path is None:
            continue
        if not isinstance(path, str) or not path.strip():
            raise fail(f"files.{key}", f"expected a file path, got {path!r}")
        out[key] = resolve_path(path.strip(), base)
    return out, measures


def _kpis(value: Any, fail, *, required: bool) -> dict[str, Kpi]:
    if value is None:
        if required:
            raise fail("kpis", "missing: the results file needs each KPI's value and direction")
        return {}
    if not isinstance(value, Mapping) or not value:
        raise fail("kpis", "expected a mapping of KPI column -> {value: money per unit, direction: up|down}")
    out = {}
    for name, spec in value.items():
        name = str(name)
        if not _KPI_NAME.match(name):
            raise fail(f"kpis.{name}", "a KPI name is a column name (letters, digits, _ . - and spaces)")
        if name in ("unit_id", "group", "period"):
            raise fail(f"kpis.{name}", "is a reserved column of the results file")
        if not isinstance(spec, Mapping):
            raise fail(f"kpis.{name}", "expected {value: money per unit, direction: up|down}")
        extra = sorted(set(map(str, spec)) - {"value", "direction", "label"})
        if extra:
            raise fail(f"kpis.{name}.{extra[0]}", "unknown field (expected value, direction, label)")
        if "value" not in spec:
            raise fail(f"kpis.{name}.value", "missing: the money one unit of the KPI is worth")
        money = _number(spec["value"], f"kpis.{name}.value", fail)
        if money <= 0:
            raise fail(f"kpis.{name}.value", f"expected a positive amount per unit, got {money:g} "
                                              "(say direction: down for a KPI that should fall)")
        direction = spec.get("direction", "up")
        if direction not in ("up", "down"):
            raise fail(f"kpis.{name}.direction", f"expected up or down, got {direction!r}")
        out[name] = Kpi(name, money, direction, _text(spec.get("label", ""), f"kpis.{name}.label", fail) or name)
    return out


def _scales(value: Any, fail) -> dict[str, tuple[float, float]]:
    scales = dict(DEFAULT_SCALES)
    if value is None:
        return scales
    if not isinstance(value, Mapping):
        raise fail("scales", "expected e.g. {reaction: {min: 1, max: 5}, behaviour: {min: 1, max: 7}}")
    for key, spec in value.items():
        if key not in DEFAULT_SCALES:
            raise fail(f"scales.{key}", f"unknown scale (expected some of: {', '.join(DEFAULT_SCALES)})")
        if isinstance(spec, (list, tuple)) and len(spec) == 2:
            spec = {"min": spec[0], "max": spec[1]}
        if not isinstance(spec, Mapping) or "min" not in spec or "max" not in spec:
            raise fail(f"scales.{key}", "expected {min: number, max: number}")
        lo = _number(spec["min"], f"scales.{key}.min", fail)
        hi = _number(spec["max"], f"scales.{key}.max", fail)
        if not hi > lo:
            raise fail(f"scales.{key}", f"max ({hi:g}) must be above min ({lo:g})")
        scales[key] = (lo, hi)
    return scales
