"""The framework model: scales, strands, items, outcomes, demographics,
barriers and actions, loaded from YAML and checked before anything uses them.

Nothing else in the kit assumes six strands or particular item ids: every analysis asks
the :class:`Framework` what the instrument contains.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

from .errors import FrameworkError

DEFAULT_FRAMEWORK_ID = "towards-maturity-6"
#: Who answers an instrument: one respondent per organisation, or the organisation's staff.
LEVELS = ("organisation", "learner")
#: Column name of the overall score; no strand may use it as its id.
INDEX_COLUMN = "index"

_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Scale:
    """A response scale such as a five-point agreement scale.

    Attributes
    ----------
    id : str
    min, max : float
        The printed end points; ``min < max``.
    integer : bool
        Whether only whole numbers are valid answers.
    labels : dict
        Printed labels by value, e.g. ``{1: "Strongly disagree", ...}``.
    """

    id: str
    min: float
    max: float
    integer: bool = True
    labels: Mapping[float, str] = field(default_factory=dict)

    @cached_property
    def label_lookup(self) -> dict[str, float]:
        """Map a label, lower-cased and trimmed, to its value."""
        return {normalise_label(text): value for value, text in self.labels.items()}

    def describe(self) -> str:
        """A short description of the valid answers, for error messages."""
        kind = "a whole number" if self.integer else "a number"
        text = f"{kind} from {_fmt(self.min)} to {_fmt(self.max)}"
        if self.labels:
            shown = ", ".join(f"'{v}'" for v in list(self.labels.values())[:6])
            more = ", ..." if len(self.labels) > 6 else ""
            text += f" or a label ({shown}{more})"
        return text


@dataclass(frozen=True)
class Item:
    """One survey question scored on a scale.

    ``reverse`` items are answered on the printed scale and reversed by the kit
    (``min + max - x``); ``weight`` weighs the item inside its strand or outcome group.
    """

    id: str
    text: str
    scale: str
    reverse: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class Strand:
    """A strand (dimension) of the model: a named group of items."""

    id: str
    name: str
    items: tuple[Item, ...]
    description: str = ""


@dataclass(frozen=True)
class OutcomeGroup:
    """A group of outcome KPIs (e.g. business impact), scored like a strand.

    ``improved_at`` is the answer value at or above which an organisation counts as
    reporting an improvement on an item (default: any answer above the scale minimum).
    """

    id: str
    name: str
    items: tuple[Item, ...]
    improved_at: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Demographic:
    """A categorical attribute of an organisation (sector, size band, region...)."""

    id: str
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Barrier:
    """A multi-select barrier; its column holds 1/0 (or yes/no) per organisation."""

    id: str
    name: str


@dataclass(frozen=True)
class Action:
    """A recommended action in a strand's action library."""

    title: str
    detail: str = ""


@dataclass(frozen=True)
class IndexSpec:
    """How strand scores combine into the maturity index.

    Attributes
    ----------
    weights : dict
        Weight per strand id (strands not named weigh 1).
    min_answered : float
        Fraction of a strand's items that must be answered for the strand to be scored.
    require_all_strands : bool
        If true (default) the index is missing when any strand is missing; otherwise it
        is the weighted mean of the strands that are scored.
    """

    weights: Mapping[str, float] = field(default_factory=dict)
    min_answered: float = 0.5
    require_all_strands: bool = True


@dataclass(frozen=True)
class Framework:
    """A whole instrument: what is asked, how it is scored, and what to recommend."""

    id: str
    name: str
    version: str
    scales: Mapping[str, Scale]
    strands: tuple[Strand, ...]
    index: IndexSpec = field(default_factory=IndexSpec)
    outcomes: tuple[OutcomeGroup, ...] = ()
    demographics: tuple[Demographic, ...] = ()
    barriers: tuple[Barrier, ...] = ()
    actions: Mapping[str, tuple[Action, ...]] = field(default_factory=dict)
    id_column: str = "respondent_id"
    name_column: str = "name"
    description: str = ""
    source: str | None = None
    level: str = "organisation"
    mirrors: Mapping[str, str] = field(default_factory=dict)

    # --- lookups -------------------------------------------------------------------------
    @property
    def strand_ids(self) -> list[str]:
        """Strand ids in framework order."""
        return [s.id for s in self.strands]

    @property
    def items(self) -> list[Item]:
        """All strand items in framework order."""
        return [item for s in self.strands for item in s.items]

    @property
    def item_ids(self) -> list[str]:
        """Ids of all strand items in framework order."""
        return [item.id for item in self.items]

    @property
    def outcome_items(self) -> list[Item]:
        """All outcome items in framework order."""
        return [item for g in self.outcomes for item in g.items]

    @property
    def demographic_ids(self) -> list[str]:
        return [d.id for d in self.demographics]

    @property
    def barrier_ids(self) -> list[str]:
        return [b.id for b in self.barriers]

    def strand(self, strand_id: str) -> Strand:
        """Return the strand with this id (``FrameworkError`` if there is none)."""
        for s in self.strands:
            if s.id == strand_id:
                return s
        raise FrameworkError(f"no strand '{strand_id}' in framework '{self.id}'")

    def strand_names(self) -> dict[str, str]:
        """Strand id -> display name."""
        return {s.id: s.name for s in self.strands}

    def strand_weight(self, strand_id: str) -> float:
        return float(self.index.weights.get(strand_id, 1.0))

    def actions_for(self, strand_id: str) -> tuple[Action, ...]:
        return tuple(self.actions.get(strand_id, ()))

    @cached_property
    def item_table(self) -> pd.DataFrame:
        """One row per strand and outcome item: group, kind, scale bounds, reverse, weight."""
        rows = []
        for kind, groups in (("strand", self.strands), ("outcome", self.outcomes)):
            for g in groups:
                for item in g.items:
                    sc = self.scales[item.scale]
                    rows.append(
                        {
                            "item": item.id,
                            "group": g.id,
                            "kind": kind,
                            "text": item.text,
                            "scale": sc.id,
                            "min": float(sc.min),
                            "max": float(sc.max),
                            "integer": sc.integer,
                            "reverse": item.reverse,
                            "weight": float(item.weight),
                        }
                    )
        return pd.DataFrame(rows).set_index("item")

    @property
    def known_columns(self) -> list[str]:
        """Every column a response file for this framework may carry, in a stable order."""
        cols = [self.id_column, self.name_column]
        cols += self.demographic_ids
        cols += self.item_ids
        cols += [i.id for i in self.outcome_items]
        cols += self.barrier_ids
        return cols

    def by_id(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` indexed by respondent id: its ``id_column`` becomes the index (a frame
        already indexed by id is returned as it is)."""
        return frame.set_index(self.id_column) if self.id_column in frame.columns else frame

    def __repr__(self) -> str:  # the generated one prints every item
        return (
            f"Framework(id={self.id!r}, version={self.version!r}, strands={len(self.strands)}, "
            f"items={len(self.items)})"
        )


# --- loading -------------------------------------------------------------------------------


def default_framework_path() -> Path:
    """Path of the packaged default framework (``towards-maturity-6``)."""
    return Path(str(resources.files("maturity") / "frameworks" / f"{DEFAULT_FRAMEWORK_ID}.yaml"))


def load_framework(path: str | Path | None = None) -> Framework:
    """Load and validate a framework YAML file.

    Parameters
    ----------
    path : str or Path, optional
        A framework file. ``None`` loads the packaged six-strand default. A bare name of a
        packaged framework (``"towards-maturity-6"``) also works.

    Returns
    -------
    Framework

    Raises
    ------
    FrameworkError
        When the file cannot be read or breaks the framework file format; the message names the field.
    """
    if path is None:
        path = default_framework_path()
    path = Path(path)
    if not path.exists() and path.suffix == "" and path.parent == Path("."):
        packaged = Path(str(resources.files("maturity") / "frameworks" / f"{path.name}.yaml"))
        if packaged.exists():
            path = packaged
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FrameworkError("framework file not found", source=source) from None
    except IsADirectoryError:
        raise FrameworkError("is a directory, not a framework file", source=source) from None
    except UnicodeDecodeError:
        raise FrameworkError("not a UTF-8 text file", source=source) from None
    except OSError as exc:
        raise FrameworkError(f"cannot read: {exc.strerror}", source=source) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise FrameworkError(f"not valid YAML{where}: {problem}", source=source) from None
    return parse_framework(data, source=source)


def parse_framework(data: Any, source: str | None = None) -> Framework:
    """Build a :class:`Framework` from already-parsed YAML/JSON data.

    Parameters
    ----------
    data : mapping
        The framework document.
    source : str, optional
        Where it came from, for messages.

    Raises
    ------
    FrameworkError
        On the first problem found, naming the field path.
    """
    return _Parser(source).framework(data)


def normalise_label(text: object) -> str:
    """Text compared case- and whitespace-insensitively (labels, demographic values)."""
    return " ".join(str(text).split()).casefold()


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class _Parser:
    """Validating parser: raises FrameworkError naming the field path on the first problem."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> FrameworkError:
        return FrameworkError(message, field=path or None, source=self.source)

    # -- primitives --
    def mapping(self, value: Any, path: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping of fields, got {_kind(value)}")
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                raise self.fail(
                    _join(path, str(key)),
                    f"unknown field; expected one of: {', '.join(sorted(allowed))}",
                )
        for key in sorted(required):
            if key not in value or value[key] is None:
                raise self.fail(_join(path, key), "is required")
        return dict(value)

    def text(self, value: Any, path: str, *, allow_empty: bool = False) -> str:
        if isinstance(value, bool) or value is None or not isinstance(value, (str, int, float)):
            raise self.fail(path, f"expected text, got {_kind(value)}")
        text = str(value).strip()
        if not text and not allow_empty:
            raise self.fail(path, "must not be empty")
        return text

    def ident(self, value: Any, path: str) -> str:
        text = self.text(value, path)
        if not _ID_PATTERN.match(text):
            raise self.fail(
                path,
                f"'{text}' is not a valid id (start with a letter or _, then letters, digits, _ - .)",
            )
        return text

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, f"expected a number, got {_kind(value)}")
        if not math.isfinite(value):
            raise self.fail(path, "must be a finite number")
        return float(value)

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_kind(value)}")
        return value

    def seq(self, value: Any, path: str) -> list:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_kind(value)}")
        return value

    # -- sections --
    def framework(self, data: Any) -> Framework:
        if data is None:
            raise self.fail("", "the framework file is empty")
        top = self.mapping(
            data,
            "",
            allowed={
                "id", "name", "version", "description", "id_column", "name_column", "scales",
                "strands", "index", "outcomes", "demographics", "barriers", "actions", "level", "mirrors",
            },
            required={"id", "name", "version", "scales", "strands"},
        )
        fid = self.ident(top["id"], "id")
        name = self.text(top["name"], "name")
        version = self.text(top["version"], "version")
        description = self.text(top.get("description") or "", "description", allow_empty=True)
        id_column = self.text(top.get("id_column", "respondent_id"), "id_column")
        name_column = self.text(top.get("name_column", "name"), "name_column")
        if id_column == name_column:
            raise self.fail("name_column", f"must differ from id_column ('{id_column}')")

        scales = self.scales(top["scales"])
        strands = tuple(self.groups(top["strands"], "strands", scales, Strand))
        if not strands:
            raise self.fail("strands", "at least one strand is required")
        outcomes = tuple(self.groups(top.get("outcomes") or [], "outcomes", scales, OutcomeGroup))
        demographics = tuple(self.demographics(top.get("demographics") or []))
        barriers = tuple(self.barriers(top.get("barriers") or []))
        # Every item, outcome, demographic and barrier is a column of the response file,
        # so their ids must be unique together and differ from the id and name columns.
        seen: dict[str, str] = {id_column: "id_column", name_column: "name_column"}
        for kind, groups in (("strands", strands), ("outcomes", outcomes)):
            for gi, g in enumerate(groups):
                for ii, item in enumerate(g.items):
                    path = f"{kind}[{gi}].items[{ii}].id"
                    if item.id in seen:
                        raise self.fail(path, f"duplicate id '{item.id}' (also {seen[item.id]})")
                    seen[item.id] = path
        for kind, entries in (("demographics", demographics), ("barriers", barriers)):
            for i, entry in enumerate(entries):
                path = f"{kind}[{i}].id"
                if entry.id in seen:
                    raise self.fail(path, f"duplicate id '{entry.id}' (also {seen[entry.id]})")
                seen[entry.id] = path
        # Strand and outcome-group ids name score columns: unique together.
        group_seen: dict[str, str] = {}
        for kind, groups in (("strands", strands), ("outcomes", outcomes)):
            for gi, g in enumerate(groups):
                path = f"{kind}[{gi}].id"
                if g.id == INDEX_COLUMN:
                    raise self.fail(path, f"'{INDEX_COLUMN}' is reserved for the maturity index")
                if g.id in group_seen:
                    raise self.fail(path, f"duplicate id '{g.id}' (also {group_seen[g.id]})")
                group_seen[g.id] = path

        strand_ids = [s.id for s in strands]
        index = self.index(top.get("index"), strand_ids)
        actions = self.actions(top.get("actions"), strand_ids)
        level = self.text(top.get("level", "organisation"), "level")
        if level not in LEVELS:
            raise self.fail("level", f"'{level}' is not a level; expected one of: {', '.join(LEVELS)}")
        mirrors = self.mirrors(top.get("mirrors"), [i.id for s in strands for i in s.items])

        return Framework(
            id=fid,
            name=name,
            version=version,
            description=description,
            id_column=id_column,
            name_column=name_column,
            scales=scales,
            strands=strands,
            index=index,
            outcomes=outcomes,
            demographics=demographics,
            barriers=barriers,
            actions=actions,
            source=self.source,
            level=level,
            mirrors=mirrors,
        )

    def scales(self, value: Any) -> dict[str, Scale]:
        if not isinstance(value, Mapping) or not value:
            raise self.fail("scales", "expected a non-empty mapping of scale id to scale")
        out: dict[str, Scale] = {}
        for sid, spec in value.items():
            path = f"scales.{sid}"
            sid = self.ident(sid, path)
            spec = self.mapping(spec, path, {"min", "max", "integer", "labels"}, {"min", "max"})
            lo = self.number(spec["min"], f"{path}.min")
            hi = self.number(spec["max"], f"{path}.max")
            if lo >= hi:
                raise self.fail(f"{path}.min", f"min ({_fmt(lo)}) must be less than max ({_fmt(hi)})")
            integer = self.boolean(spec.get("integer", True), f"{path}.integer")
            if integer and not (lo.is_integer() and hi.is_integer()):
                raise self.fail(path, "an integer scale needs whole-number min and max")
            labels: dict[float, str] = {}
            raw = spec.get("labels") or {}
            if not isinstance(raw, Mapping):
                raise self.fail(f"{path}.labels", f"expected a mapping of value to label, got {_kind(raw)}")
            seen_text: dict[str, float] = {}
            for key, text in raw.items():
                lpath = f"{path}.labels.{key}"
                try:
                    val = float(key)
                except (TypeError, ValueError):
                    raise self.fail(lpath, f"label key '{key}' is not a number") from None
                if not lo <= val <= hi:
                    raise self.fail(lpath, f"value {_fmt(val)} is outside the scale ({_fmt(lo)} to {_fmt(hi)})")
                if integer and not val.is_integer():
                    raise self.fail(lpath, f"value {_fmt(val)} is not a whole number on an integer scale")
                label = self.text(text, lpath)
                norm = normalise_label(label)
                if norm in seen_text:
                    raise self.fail(lpath, f"label '{label}' is used for two values")
                if _looks_numeric(norm) and float(norm) != val:
                    raise self.fail(lpath, f"label '{label}' is a number other than its value")
                seen_text[norm] = val
                labels[val] = label
            out[sid] = Scale(id=sid, min=lo, max=hi, integer=integer, labels=labels)
        return out

    def groups(self, value: Any, kind: str, scales: Mapping[str, Scale], cls: type) -> list:
        groups = []
        allowed = {"id", "name", "items", "description"}
        if cls is OutcomeGroup:
            allowed |= {"improved_at"}
        for gi, spec in enumerate(self.seq(value, kind)):
            path = f"{kind}[{gi}]"
            spec = self.mapping(spec, path, allowed, {"id", "name", "items"})
            gid = self.ident(spec["id"], f"{path}.id")
            gname = self.text(spec["name"], f"{path}.name")
            desc = self.text(spec.get("description") or "", f"{path}.description", allow_empty=True)
            raw_items = self.seq(spec["items"], f"{path}.items")
            if not raw_items:
                raise self.fail(f"{path}.items", f"{kind[:-1]} '{gid}' has no items")
            items = tuple(self.item(it, f"{path}.items[{ii}]", scales) for ii, it in enumerate(raw_items))
            if cls is OutcomeGroup:
                improved_at = spec.get("improved_at")
                if improved_at is not None:
                    improved_at = self.number(improved_at, f"{path}.improved_at")
                    for ii, item in enumerate(items):
                        sc = scales[item.scale]
                        if not sc.min < improved_at <= sc.max:
                            raise self.fail(
                                f"{path}.improved_at",
                                f"{_fmt(improved_at)} must be above the minimum and at most the "
                                f"maximum of scale '{sc.id}' of item '{item.id}'",
                            )
                groups.append(OutcomeGroup(gid, gname, items, improved_at, desc))
            else:
                groups.append(Strand(gid, gname, items, desc))
        return groups

    def item(self, spec: Any, path: str, scales: Mapping[str, Scale]) -> Item:
        spec = self.mapping(spec, path, {"id", "text", "scale", "reverse", "weight"}, {"id", "scale"})
        iid = self.ident(spec["id"], f"{path}.id")
        text = self.text(spec.get("text") or iid, f"{path}.text")
        scale = self.text(spec["scale"], f"{path}.scale")
        if scale not in scales:
            raise self.fail(
                f"{path}.scale", f"scale '{scale}' is not defined (defined: {', '.join(scales)})"
            )
        reverse = self.boolean(spec.get("reverse", False), f"{path}.reverse")
        weight = self.number(spec.get("weight", 1.0), f"{path}.weight")
        if weight <= 0:
            raise self.fail(f"{path}.weight", f"weight must be positive, got {_fmt(weight)}")
        return Item(iid, text, scale, reverse, weight)

    def demographics(self, value: Any) -> list[Demographic]:
        out = []
        for i, spec in enumerate(self.seq(value, "demographics")):
            path = f"demographics[{i}]"
            spec = self.mapping(spec, path, {"id", "name", "values"}, {"id", "name", "values"})
            did = self.ident(spec["id"], f"{path}.id")
            name = self.text(spec["name"], f"{path}.name")
            values = [self.text(v, f"{path}.values[{j}]") for j, v in enumerate(self.seq(spec["values"], f"{path}.values"))]
            if not values:
                raise self.fail(f"{path}.values", "at least one value is required")
            norm = [normalise_label(v) for v in values]
            dup = next((v for v, n in zip(values, norm) if norm.count(n) > 1), None)
            if dup is not None:
                raise self.fail(f"{path}.values", f"value '{dup}' is listed twice")
            out.append(Demographic(did, name, tuple(values)))
        return out

    def barriers(self, value: Any) -> list[Barrier]:
        out = []
        for i, spec in enumerate(self.seq(value, "barriers")):
            path = f"barriers[{i}]"
            spec = self.mapping(spec, path, {"id", "name"}, {"id", "name"})
            out.append(Barrier(self.ident(spec["id"], f"{path}.id"), self.text(spec["name"], f"{path}.name")))
        return out

    def index(self, value: Any, strand_ids: list[str]) -> IndexSpec:
        if value is None:
            return IndexSpec()
        spec = self.mapping(value, "index", {"weights", "min_answered", "require_all_strands"}, set())
        weights: dict[str, float] = {}
        raw = spec.get("weights") or {}
        if not isinstance(raw, Mapping):
            raise self.fail("index.weights", f"expected a mapping of strand id to weight, got {_kind(raw)}")
        for sid, w in raw.items():
            path = f"index.weights.{sid}"
            if sid not in strand_ids:
                raise self.fail(path, f"names unknown strand '{sid}' (strands: {', '.join(strand_ids)})")
            w = self.number(w, path)
            if w <= 0:
                raise self.fail(path, f"weight must be positive, got {_fmt(w)}")
            weights[sid] = w
        min_answered = self.number(spec.get("min_answered", 0.5), "index.min_answered")
        if not 0 < min_answered <= 1:
            raise self.fail("index.min_answered", f"must be in (0, 1], got {_fmt(min_answered)}")
        require_all = self.boolean(spec.get("require_all_strands", True), "index.require_all_strands")
        return IndexSpec(weights, min_answered, require_all)

    def mirrors(self, value: Any, item_ids: list[str]) -> dict[str, str]:
        """Item id of this framework -> the item of another framework it mirrors."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail("mirrors", f"expected a mapping of item id to the mirrored item's id, got {_kind(value)}")
        out: dict[str, str] = {}
        for iid, other in value.items():
            path = f"mirrors.{iid}"
            if iid not in item_ids:
                raise self.fail(path, f"names unknown item '{iid}' (mirrors pair this framework's strand items)")
            out[str(iid)] = self.ident(other, path)
        return out

    def actions(self, value: Any, strand_ids: list[str]) -> dict[str, tuple[Action, ...]]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail("actions", f"expected a mapping of strand id to a list of actions, got {_kind(value)}")
        out: dict[str, tuple[Action, ...]] = {}
        for sid, entries in value.items():
            path = f"actions.{sid}"
            if sid not in strand_ids:
                raise self.fail(path, f"names unknown strand '{sid}' (strands: {', '.join(strand_ids)})")
            acts = []
            for i, spec in enumerate(self.seq(entries, path)):
                apath = f"{path}[{i}]"
                spec = self.mapping(spec, apath, {"title", "detail"}, {"title"})
                acts.append(
                    Action(
                        self.text(spec["title"], f"{apath}.title"),
                        self.text(spec.get("detail") or "", f"{apath}.detail", allow_empty=True),
                    )
                )
            out[sid] = tuple(acts)
        return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{value}' (true/false)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text '{value}'"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return type(value).__name__


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
