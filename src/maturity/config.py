"""Run configuration: ``parameters/benchmark.yaml`` (defaults of a benchmark run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ParametersError

#: Where the command line keeps the benchmark database unless told otherwise.
DEFAULT_DB = Path("outputs") / "benchmark.duckdb"
#: Default minimum number of organisations behind any statistic that is shown.
DEFAULT_MIN_GROUP_SIZE = 5
#: Privacy floor: no configuration may show statistics of smaller groups.
MIN_GROUP_FLOOR = 3
#: Default minimum number of an organisation's learners behind any learner figure.
DEFAULT_MIN_LEARNERS = 10
#: Seed of every random step a run does not seed otherwise (synthetic data, bootstrap
#: intervals, the default segmentation).
DEFAULT_SEED = 2026
#: Built-in defaults; a benchmark.yaml overrides any of them.
BENCHMARK_DEFAULTS: dict[str, Any] = {
    "framework": None,
    "db": str(DEFAULT_DB),
    "wave": None,
    "seed": DEFAULT_SEED,
    "min_group_size": DEFAULT_MIN_GROUP_SIZE,
    "min_learners": DEFAULT_MIN_LEARNERS,
}

#: Column of a learner file naming the learner's organisation, unless told otherwise.
DEFAULT_ORGANISATION_COLUMN = "organisation_id"


def read_yaml(path: str | Path, what: str) -> Any:
    """Parse a YAML settings file (a byte-order mark is allowed).

    Raises
    ------
    ParametersError
        Naming the file, and the line of a syntax error; ``what`` says what was expected
        (e.g. "client parameters file").
    """
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ParametersError(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParametersError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ParametersError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None


def resolve_path(value: str | Path, base: str | Path) -> Path:
    """A path from a settings file: ``~`` expanded, relative paths against ``base``."""
    p = Path(value).expanduser()
    return (p if p.is_absolute() else Path(base) / p).resolve()


def load_benchmark_parameters(path: str | Path | None = None) -> dict[str, Any]:
    """Read benchmark run defaults, resolving relative paths against the file's folder.

    Parameters
    ----------
    path : path, optional
        A ``benchmark.yaml``. ``None`` returns the built-in defaults.

    Raises
    ------
    ParametersError
        Unreadable file, unknown keys or invalid values.
    """
    params = dict(BENCHMARK_DEFAULTS)
    if path is None:
        return params
    path = Path(path)
    data = read_yaml(path, "parameters file") or {}
    if not isinstance(data, dict):
        raise ParametersError(f"{path}: expected a mapping of settings")
    # The privacy section belongs to the wave's release plan (PrivacySettings.from_file).
    unknown = sorted(set(data) - set(BENCHMARK_DEFAULTS) - {"privacy"})
    if unknown:
        raise ParametersError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(BENCHMARK_DEFAULTS)}, privacy")
    params.update({k: v for k, v in data.items() if k != "privacy"})
    for key in ("framework", "db"):
        if params[key] is not None:
            params[key] = str(resolve_path(str(params[key]), path.parent))
    if not isinstance(params["seed"], int) or isinstance(params["seed"], bool):
        raise ParametersError(f"{path}: seed: expected a whole number, got {params['seed']!r}")
    params["min_group_size"] = check_min_group_size(params["min_group_size"], where=f"{path}: min_group_size")
    params["min_learners"] = check_min_group_size(params["min_learners"], where=f"{path}: min_learners")
    if params["wave"] is not None:
        params["wave"] = str(params["wave"])
    return params


def check_min_group_size(value: Any, *, where: str = "min_group_size") -> int:
    """Validate a minimum group size: a whole number, never below the privacy floor."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParametersError(f"{where}: expected a whole number, got {value!r}")
    if value < MIN_GROUP_FLOOR:
        raise ParametersError(f"{where}: {value} is below the privacy floor of {MIN_GROUP_FLOOR}")
    return value
