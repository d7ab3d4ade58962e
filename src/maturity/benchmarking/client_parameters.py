"""Client parameters files: which organisation a report is about, against whom.

```yaml
client_id: acme-2026            # letters, digits, - _ . only
organisation: ORG-0042          # an organisation of the benchmark wave, or instead:
# responses: surveys/newco.csv  # a new organisation's own survey
db: ../../benchmark.duckdb      # relative paths resolve against this file's folder
wave: "2026"                    # optional: default the latest wave
peers: {sector: [Finance], size: ["1000-4999"]}   # optional demographic filters
compare_to: top_deck            # median | top_quartile | top_deck
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..config import (
    DEFAULT_MIN_GROUP_SIZE,
    check_min_group_size,
    read_yaml,
    resolve_path,
)
from ..errors import ParametersError
from .peers import COMPARISON_POINTS, DEFAULT_COMPARE_TO

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
_FIELDS = {
    "client_id", "organisation", "responses", "db", "wave", "peers", "compare_to",
    "min_group_size", "framework", "title",
}


@dataclass(frozen=True)
class ClientParameters:
    """A validated client parameters file.

    Attributes
    ----------
    client_id : str
        Safe as a file name (letters, digits, ``- _ .``; not starting with a dot).
    organisation : str or None
        Respondent id of the client in the benchmark wave.
    responses : Path or None
        Or: the client's own survey file, placed against the benchmark without joining it.
    db : Path
        Benchmark database (absolute).
    wave : str or None
        Wave label; None means the latest wave.
    peers : dict
        Demographic id -> allowed values; empty means the whole wave.
    compare_to : str
        ``median``, ``top_quartile`` or ``top_deck``.
    min_group_size : int
        Privacy threshold for peer statistics (never below 3).
    framework : Path or None
        A framework file; None means the framework the wave was imported with.
    title : str or None
        Report title override.
    source : Path or None
        The parameters file itself.
    """

    client_id: str
    db: Path
    organisation: str | None = None
    responses: Path | None = None
    wave: str | None = None
    peers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    compare_to: str = DEFAULT_COMPARE_TO
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    framework: Path | None = None
    title: str | None = None
    source: Path | None = None

    def to_notebook_parameters(self) -> dict[str, Any]:
        """JSON-compatible values for the report notebook's ``parameters`` cell."""
        return {
            "client_id": self.client_id,
            "organisation": self.organisation,
            "responses": str(self.responses) if self.responses else None,
            "db": str(self.db),
            "wave": self.wave,
            "peers": {k: list(v) for k, v in self.peers.items()},
            "compare_to": self.compare_to,
            "min_group_size": self.min_group_size,
            "framework": str(self.framework) if self.framework else None,
            "title": self.title,
        }


def check_client_id(value: Any) -> str:
    """Return ``value`` if it is a safe client id (usable as a folder name), else raise."""
    if not isinstance(value, str) or not _SAFE_ID.match(value) or value in {".", ".."}:
        raise ParametersError(
            f"client_id {value!r} is not a safe name: use 1-100 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    return value


def load_client_parameters(path: str | Path) -> ClientParameters:
    """Read and validate a client parameters file.

    Raises
    ------
    ParametersError
        The message names the file and the field.
    """
    path = Path(path)
    data = read_yaml(path, "client parameters file")
    return parse_client_parameters(data, base_dir=path.resolve().parent, source=path)


def parse_client_parameters(
    data: Any, *, base_dir: str | Path = ".", source: str | Path | None = None
) -> ClientParameters:
    """Validate already-parsed client parameters; relative paths resolve against ``base_dir``."""
    where = f"{source}: " if source else ""

    def fail(field_name: str, message: str) -> ParametersError:
        return ParametersError(f"{where}{field_name}: {message}")

    if not isinstance(data, Mapping):
        raise ParametersError(f"{where}expected a mapping of client settings")
    unknown = sorted(str(k) for k in data if k not in _FIELDS)
    if unknown:
        raise fail(unknown[0], f"unknown field; expected one of: {', '.join(sorted(_FIELDS))}")
    if "client_id" not in data:
        raise fail("client_id", "is required")
    try:
        client_id = check_client_id(data["client_id"])
    except ParametersError as exc:
        raise ParametersError(f"{where}{exc}") from None
    base = Path(base_dir)

    def path_field(name: str) -> Path | None:
        value = data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(name, f"expected a file path, got {value!r}")
        return resolve_path(value.strip(), base)

    organisation = data.get("organisation")
    responses = path_field("responses")
    if organisation is not None:
        if isinstance(organisation, bool) or not isinstance(organisation, (str, int)) or not str(organisation).strip():
            raise fail("organisation", f"expected an organisation id, got {organisation!r}")
        organisation = str(organisation).strip()
    if (organisation is None) == (responses is None):
        raise fail("organisation", "give exactly one of 'organisation' (an id in the wave) or 'responses' (a survey file)")
    db = path_field("db")
    if db is None:
        raise fail("db", "is required (the benchmark database)")
    wave = data.get("wave")
    if wave is not None:
        if isinstance(wave, bool) or not isinstance(wave, (str, int)):
            raise fail("wave", f"expected a wave label, got {wave!r}")
        wave = str(wave)
    peers_raw = data.get("peers") or {}
    if not isinstance(peers_raw, Mapping):
        raise fail("peers", "expected a mapping of demographic to a list of values")
    peers: dict[str, tuple[str, ...]] = {}
    for key, values in peers_raw.items():
        if isinstance(values, (str, int)) and not isinstance(values, bool):
            values = [values]
        if not isinstance(values, list) or not values or not all(
            isinstance(v, (str, int)) and not isinstance(v, bool) for v in values
        ):
            raise fail(f"peers.{key}", "expected a non-empty list of values")
        peers[str(key)] = tuple(str(v) for v in values)
    compare_to = data.get("compare_to", DEFAULT_COMPARE_TO)
    if compare_to not in COMPARISON_POINTS:
        raise fail("compare_to", f"{compare_to!r} is not one of {', '.join(COMPARISON_POINTS)}")
    try:
        min_group = check_min_group_size(data.get("min_group_size", DEFAULT_MIN_GROUP_SIZE), where="min_group_size")
    except ParametersError as exc:
        raise ParametersError(f"{where}{exc}") from None
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise fail("title", f"expected text, got {title!r}")
    return ClientParameters(
        client_id=client_id,
        db=db,
        organisation=organisation,
        responses=responses,
        wave=wave,
        peers=peers,
        compare_to=compare_to,
        min_group_size=min_group,
        framework=path_field("framework"),
        title=title,
        source=Path(source) if source else None,
    )
