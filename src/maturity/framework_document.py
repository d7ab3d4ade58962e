"""A framework back to its document, so a database can keep the exact
instrument each wave was scored with."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from .framework import Framework, parse_framework


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _item(item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.id, "text": item.text, "scale": item.scale}
    if item.reverse:
        out["reverse"] = True
    if item.weight != 1.0:
        out["weight"] = _number(item.weight)
    return out


def framework_to_dict(framework: Framework) -> dict[str, Any]:
    """The framework as plain data that :func:`~maturity.framework.parse_framework` reads back.

    Examples
    --------
    >>> from maturity.framework import load_framework, parse_framework
    >>> fw = load_framework()
    >>> parse_framework(framework_to_dict(fw)).item_ids == fw.item_ids
    True
    """
    fw = framework
    doc: dict[str, Any] = {"id": fw.id, "name": fw.name, "version": fw.version}
    if fw.description:
        doc["description"] = fw.description
    if fw.level != "organisation":  # written only when set, so older fingerprints hold
        doc["level"] = fw.level
    doc["id_column"] = fw.id_column
    doc["name_column"] = fw.name_column
    doc["scales"] = {
        sid: {
            "min": _number(s.min),
            "max": _number(s.max),
            "integer": s.integer,
            **({"labels": {_number(v): text for v, text in s.labels.items()}} if s.labels else {}),
        }
        for sid, s in fw.scales.items()
    }
    doc["strands"] = [
        {"id": s.id, "name": s.name, **({"description": s.description} if s.description else {}),
         "items": [_item(i) for i in s.items]}
        for s in fw.strands
    ]
    doc["index"] = {
        "weights": {k: _number(v) for k, v in fw.index.weights.items()},
        "min_answered": _number(fw.index.min_answered),
        "require_all_strands": fw.index.require_all_strands,
    }
    if fw.outcomes:
        doc["outcomes"] = [
            {"id": g.id, "name": g.name,
             **({"description": g.description} if g.description else {}),
             **({"improved_at": _number(g.improved_at)} if g.improved_at is not None else {}),
             "items": [_item(i) for i in g.items]}
            for g in fw.outcomes
        ]
    if fw.demographics:
        doc["demographics"] = [{"id": d.id, "name": d.name, "values": list(d.values)} for d in fw.demographics]
    if fw.barriers:
        doc["barriers"] = [{"id": b.id, "name": b.name} for b in fw.barriers]
    if fw.actions:
        doc["actions"] = {
            sid: [{"title": a.title, **({"detail": a.detail} if a.detail else {})} for a in acts]
            for sid, acts in fw.actions.items()
        }
    if fw.mirrors:
        doc["mirrors"] = dict(fw.mirrors)
    return doc


def framework_document(framework: Framework) -> str:
    """The framework's YAML text: its own file when that still describes it, else a dump.

    The file is preferred because it keeps the author's comments and layout; it is used
    only when parsing it gives exactly this framework.
    """
    if framework.source:
        path = Path(framework.source)
        try:
            text = path.read_text(encoding="utf-8-sig")
            again = parse_framework(yaml.safe_load(text), source=framework.source)
        except Exception:  # the file moved, changed or is unreadable: dump instead
            again = None
        if again is not None and same_framework(again, framework):
            return text
    return yaml.safe_dump(framework_to_dict(framework), sort_keys=False, allow_unicode=True, width=100)


def same_framework(a: Framework, b: Framework) -> bool:
    """Whether two frameworks define the same instrument (where they were loaded from aside)."""
    return dataclasses.replace(a, source=None) == dataclasses.replace(b, source=None)


def framework_fingerprint(framework: Framework) -> str:
    """A fingerprint of what the framework defines: ``"sha256:<hex>"``.

    SHA-256 of :func:`framework_to_dict` as canonical JSON (sorted keys), so comments,
    layout and where the file lives do not change it, while any change to a scale, item,
    weight, outcome, demographic, barrier or action does.
    """
    canonical = json.dumps(framework_to_dict(framework), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"sha256:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
