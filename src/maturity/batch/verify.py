"""Re-check a finished batch: recompute every client's results and compare them figure by figure.

``maturity verify DIR`` reads ``DIR/manifest.json``; for every finished client (``ok``, or
``skipped`` as up to date) it reads the ``provenance`` block of its ``results.json``,
rebuilds the client parameters it records (with the wave it resolved), recomputes the
results from the benchmark database with the library, and compares:

* the fingerprints: the stored wave's data, the framework, the segment model (when one was
  saved with the wave) and a client's own survey file. A mismatch says what changed;
* every figure: numbers must agree within ``tolerance`` (1e-9, relative or absolute), every
  other value exactly. Each difference names the figure by its dotted path
  (``peers.stats.index.mean``) with both values.

A different kit or library version is reported as a note, not a failure: the point of a
re-check after an upgrade is whether the figures still agree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..benchmarking.client_parameters import parse_client_parameters
from ..errors import MaturityError, ParametersError, ReportError
from .client_task import compute_results
from .manifest import MANIFEST_NAME

__all__ = ["TOLERANCE", "Difference", "ClientCheck", "VerifyReport", "compare_results", "verify_batch"]

#: Largest relative (or absolute, near zero) difference between two numbers that still agree.
TOLERANCE = 1e-9
#: Fields of results.json that are not figures (compared through the fingerprints instead).
NOT_FIGURES = ("provenance", "generated_by")
#: Finished clients, whose results a re-check recomputes.
FINISHED = ("ok", "skipped")


@dataclass(frozen=True)
class Difference:
    """One figure that differs: its dotted path and both values (``None``: absent)."""

    path: str
    recorded: Any
    now: Any

    def text(self) -> str:
        return f"{self.path}: recorded {_show(self.recorded)}, now {_show(self.now)}"


@dataclass
class ClientCheck:
    """The re-check of one client.

    Attributes
    ----------
    client_id : str
    status : str
        ``identical``, ``different`` (a fingerprint or a figure differs) or ``error``
        (the results could not be recomputed).
    problems : list of str
        Fingerprint mismatches and errors, one sentence each.
    differences : list of Difference
    notes : list of str
        Changes that are not failures (kit or library versions).
    """

    client_id: str
    status: str = "identical"
    problems: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "status": self.status, "problems": list(self.problems),
                "differences": [{"figure": d.path, "recorded": d.recorded, "now": d.now} for d in self.differences],
                "notes": list(self.notes)}


@dataclass
class VerifyReport:
    """The re-check of a batch folder."""

    out: Path
    clients: list[ClientCheck]
    not_checked: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every finished client is identical, else 1."""
        return 0 if all(c.status == "identical" for c in self.clients) else 1

    def count(self, status: str) -> int:
        return sum(1 for c in self.clients if c.status == status)

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "clients": [c.to_dict() for c in self.clients],
                "not_checked": list(self.not_checked),
                "counts": {s: self.count(s) for s in ("identical", "different", "error")}}

    def to_text(self, max_differences: int = 20) -> str:
        """One line per client (``identical:``/``different:``/``error:``), a line per problem
        and per differing figure (the first ``max_differences`` of each client), then totals."""
        lines = []
        for check in self.clients:
            lines.append(f"{check.status}: {check.client_id}")
            lines += [f"  {check.client_id}: {p}" for p in check.problems]
            lines += [f"  {check.client_id}: {d.text()}" for d in check.differences[:max_differences]]
            if len(check.differences) > max_differences:
                lines.append(f"  {check.client_id}: ... and {len(check.differences) - max_differences} more figures")
            lines += [f"  note: {n}" for n in check.notes]
        if self.not_checked:
            lines.append(f"not checked (not finished in the manifest): {', '.join(self.not_checked)}")
        lines.append(f"{len(self.clients)} client(s) re-checked in {self.out}: {self.count('identical')} identical, "
                     f"{self.count('different')} different, {self.count('error')} could not be recomputed")
        return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, float):
        return repr(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _same_number(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _walk(recorded: Any, now: Any, path: str, tolerance: float) -> Iterator[Difference]:
    if isinstance(recorded, Mapping) and isinstance(now, Mapping):
        for key in list(recorded) + [k for k in now if k not in recorded]:
            where = f"{path}.{key}" if path else str(key)
            if key not in now:
                yield Difference(where, recorded[key], None)
            elif key not in recorded:
                yield Difference(where, None, now[key])
            else:
                yield from _walk(recorded[key], now[key], where, tolerance)
    elif isinstance(recorded, list) and isinstance(now, list):
        for i in range(max(len(recorded), len(now))):
            where = f"{path}[{i}]"
            if i >= len(now):
                yield Difference(where, recorded[i], None)
            elif i >= len(recorded):
                yield Difference(where, None, now[i])
            else:
                yield from _walk(recorded[i], now[i], where, tolerance)
    elif _is_number(recorded) and _is_number(now):
        if not _same_number(float(recorded), float(now), tolerance):
            yield Difference(path, recorded, now)
    elif recorded != now:
        yield Difference(path, recorded, now)


def compare_results(recorded: Mapping[str, Any], now: Mapping[str, Any], *, tolerance: float = TOLERANCE) -> list[Difference]:
    """Every figure that differs between two results documents.

    Parameters
    ----------
    recorded, now : mapping
        Two ``results.json`` documents.
    tolerance : float
        Numbers agree when within this relative or absolute difference.

    Returns
    -------
    list of Difference
        In document order; fields that are not figures (``provenance``, ``generated_by``)
        are left out.
    """
    keep = lambda doc: {k: v for k, v in doc.items() if k not in NOT_FIGURES}  # noqa: E731
    return list(_walk(keep(recorded), keep(now), "", tolerance))


def _fingerprint_problems(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """Sentences naming each fingerprint that changed."""
    problems = []
    wave = recorded.get("wave")

    def changed(label: str, old: Any, new: Any, meaning: str) -> None:
        if old != new:
            problems.append(f"{label} fingerprint differs (recorded {_short(old)}, now {_short(new)}): {meaning}")

    changed(f"wave {wave} data", recorded.get("data_fingerprint"), now.get("data_fingerprint"),
            "the wave's data changed since the report was made")
    old_fw, new_fw = recorded.get("framework") or {}, now.get("framework") or {}
    changed(f"framework {old_fw.get('id')} {old_fw.get('version')}", old_fw.get("fingerprint"), new_fw.get("fingerprint"),
            "the framework the wave is scored with changed")
    changed("own survey", recorded.get("responses_fingerprint"), now.get("responses_fingerprint"),
            "the client's survey file changed")
    old_seg, new_seg = recorded.get("segments") or {}, now.get("segments") or {}
    if (old_seg.get("source"), old_seg.get("fingerprint")) != (new_seg.get("source"), new_seg.get("fingerprint")):
        problems.append(
            f"segment model differs (recorded {old_seg.get('source') or 'none'} {_short(old_seg.get('fingerprint'))}, "
            f"now {new_seg.get('source') or 'none'} {_short(new_seg.get('fingerprint'))}): the wave was segmented again"
        )
    return problems


def _short(fingerprint: Any) -> str:
    if not fingerprint:
        return "none"
    text = str(fingerprint)
    return text[: len("sha256:") + 12] if text.startswith("sha256:") else text


def _version_notes(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    notes = []
    if recorded.get("kit_version") != now.get("kit_version"):
        notes.append(f"made with maturity {recorded.get('kit_version')}, re-checked with {now.get('kit_version')}")
    old_env, new_env = recorded.get("environment") or {}, now.get("environment") or {}
    moved = [f"{k} {old_env.get(k)} -> {new_env.get(k)}" for k in sorted(set(old_env) | set(new_env))
             if old_env.get(k) != new_env.get(k)]
    if moved:
        notes.append("library versions changed: " + ", ".join(moved))
    return notes


def _recorded_parameters(provenance: Mapping[str, Any], db: str | Path | None):
    """The client parameters the results were made from, with the wave they resolved to."""
    fields = dict(provenance["parameters"])
    fields["wave"] = provenance.get("wave", fields.get("wave"))
    if db is not None:
        fields["db"] = str(Path(db).resolve())
    fields = {k: v for k, v in fields.items() if v is not None and v != {}}
    return parse_client_parameters(fields, source="recorded parameters")


def check_client(results_path: str | Path, *, db: str | Path | None = None, tolerance: float = TOLERANCE) -> ClientCheck:
    """Recompute one client's results from the provenance of its ``results.json`` and compare.

    Parameters
    ----------
    results_path : path
        The client's ``results.json``.
    db : path, optional
        Use this database instead of the one recorded (a copy, or one that moved).
    tolerance : float

    Returns
    -------
    ClientCheck
    """
    path = Path(results_path)
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return ClientCheck(path.parent.name, "error", [f"cannot read {path}: {exc}"])
    check = ClientCheck(str(recorded.get("client_id") or path.parent.name))
    provenance = recorded.get("provenance")
    if not isinstance(provenance, Mapping) or "parameters" not in provenance:
        check.status = "error"
        check.problems.append(f"{path} records no provenance (made by a kit older than the provenance block); "
                              "it cannot be re-checked")
        return check
    try:
        params = _recorded_parameters(provenance, db)
        now = compute_results(params)
    except MaturityError as exc:
        check.status = "error"
        check.problems.append(f"cannot recompute the results: {exc}")
        return check
    check.problems += _fingerprint_problems(provenance, now.get("provenance") or {})
    check.differences = compare_results(recorded, now, tolerance=tolerance)
    check.notes = _version_notes(provenance, now.get("provenance") or {})
    if check.problems or check.differences:
        check.status = "different"
    return check


def verify_batch(out: str | Path, *, db: str | Path | None = None, tolerance: float = TOLERANCE) -> VerifyReport:
    """Re-check every finished client of a batch output folder.

    Parameters
    ----------
    out : path
        A folder written by ``maturity batch``, ``maturity report`` or ``maturity demo``
        (with ``manifest.json``).
    db : path, optional
        Recompute from this database instead of the one each client recorded.
    tolerance : float
        Numbers agree when within this relative or absolute difference.

    Returns
    -------
    VerifyReport
        Its ``exit_code`` is 1 when any client differs or could not be recomputed.

    Raises
    ------
    ParametersError
        ``out`` holds no readable manifest (it is not a batch's output folder).
    """
    out = Path(out)
    manifest_path = out / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        rows = [r for r in manifest["clients"] if isinstance(r, dict) and "client_id" in r]
    except FileNotFoundError:
        raise ParametersError(f"no {MANIFEST_NAME} in {out}: give the output folder of a batch") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ParametersError(f"cannot read {manifest_path}: {exc}") from None
    checks, not_checked = [], []
    for row in rows:
        if row.get("status") not in FINISHED:
            not_checked.append(str(row["client_id"]))
            continue
        if not row.get("results_json"):
            checks.append(ClientCheck(str(row["client_id"]), "error", ["the manifest lists no results.json for it"]))
            continue
        results_path = (out / row["results_json"]).resolve()
        if not results_path.is_relative_to(out.resolve()):
            raise ReportError(f"{manifest_path}: {row['results_json']} lies outside {out}")
        checks.append(check_client(results_path, db=db, tolerance=tolerance))
    return VerifyReport(out, checks, not_checked)
