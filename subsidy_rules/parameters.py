"""Cited, dated, layered parameters.

Files: ``subsidy_rules/parameters/<code>/*.yaml``, where ``<code>`` is a jurisdiction's GB/T 2260 prefix: ``36``
(Jiangxi), ``3604`` (Jiujiang), ``3609`` (Yichun) or a six-digit county. Each file is a tree in the style of the
OpenFisca country template; a leaf is a parameter::

    per_bed_ordinary:
      description: 普通型床位每张建设补助 / construction subsidy per ordinary bed
      unit: CNY/bed
      kind: exact            # exact | floor (不低于: lower jurisdictions may raise, never lower) | range
      reference:
        document: 九府办字[2022]113号
        clause: 附件3 第13项
        quote: 分别按核定床位每张3000元、5000元的标准给予一次性建设补助
      interpretation: how an ambiguous text was read (optional)
      interpretation_zh: the same in Chinese (required with interpretation: officers read it)
      values:
        2022-11-09: {value: 3000}     # a range: {min: 100000, max: 200000}; null ends the value

The name of a parameter is its file name and path, dotted: ``elderly_institution_construction.province.per_bed_ordinary``.
Lookup resolves county > city > province by code and by date. A floor overridden lower, or a range overridden
outside itself, is refused when the files are loaded, naming file and key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

PARAMETER_ROOT = Path(__file__).parent / "parameters"
KINDS = ("exact", "floor", "range")
LEAF_KEYS = {"values", "description", "unit", "reference", "kind", "interpretation", "interpretation_zh", "metadata"}


class ParameterError(ValueError):
    """A parameter file that cannot be used; the message names the file and the key."""


class ParameterNotFound(KeyError):
    def __init__(self, name: str, jurisdiction: str, date: dt.date):
        super().__init__(name)
        self.name, self.jurisdiction, self.date = name, jurisdiction, date

    def __str__(self) -> str:
        return f"参数{self.name}在{self.jurisdiction}、{self.date}无有效值 / no value of {self.name} for {self.jurisdiction} on {self.date}"


@dataclass(frozen=True)
class Range:
    min: float
    max: float

    def __contains__(self, value: float) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True)
class Reference:
    document: str
    clause: str
    quote: str

    def as_dict(self) -> dict:
        return {"document": self.document, "clause": self.clause, "quote": self.quote}

    def __str__(self) -> str:
        return f"{self.document} {self.clause}：“{self.quote}”"


@dataclass(frozen=True)
class Parameter:
    name: str
    jurisdiction: str  # code prefix: 2, 4 or 6 digits
    kind: str
    unit: str
    description: str
    reference: Reference
    values: tuple[tuple[dt.date, Any], ...]  # sorted by date; a value of None means "no longer in force"
    interpretation: str | None = None
    interpretation_zh: str | None = None
    source: str = ""  # file:key, for messages

    def at(self, date: dt.date) -> Any:
        """The value in force on ``date``; raises LookupError if none is."""
        dates = [d for d, _ in self.values]
        index = bisect_right(dates, date) - 1
        if index < 0 or self.values[index][1] is None:
            raise LookupError(self.name)
        return self.values[index][1]

    def as_dict(self) -> dict:
        return {
            "name": self.name, "jurisdiction": self.jurisdiction, "kind": self.kind, "unit": self.unit,
            "description": self.description, "reference": self.reference.as_dict(),
            "interpretation": self.interpretation, "interpretation_zh": self.interpretation_zh,
            "values": {d.isoformat(): _plain(v) for d, v in self.values},
        }


def _plain(value: Any) -> Any:
    return {"min": value.min, "max": value.max} if isinstance(value, Range) else value


def _parse_value(raw: Any, kind: str, where: str) -> Any:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ParameterError(f"{where}: each dated entry must be {{value: …}} or, for a range, {{min: …, max: …}}")
    if kind == "range":
        if "value" in raw:  # a lower jurisdiction fixing one amount inside the range above it
            return raw["value"]
        try:
            low, high = float(raw["min"]), float(raw["max"])
        except (KeyError, TypeError, ValueError):
            raise ParameterError(f"{where}: a range needs numeric min and max") from None
        if low > high:
            raise ParameterError(f"{where}: min {low} is above max {high}")
        return Range(low, high)
    if "value" not in raw:
        raise ParameterError(f"{where}: missing 'value'")
    return raw["value"]


def _parse_date(raw: Any, where: str) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise ParameterError(f"{where}: '{raw}' is not a date (YYYY-MM-DD)") from None


def _leaf(name: str, jurisdiction: str, node: Mapping, where: str) -> Parameter:
    unknown = set(node) - LEAF_KEYS
    if unknown:
        raise ParameterError(f"{where}: unknown keys {sorted(unknown)}")
    for required in ("description", "unit", "reference", "values"):
        if required not in node:
            raise ParameterError(f"{where}: missing '{required}'")
    kind = node.get("kind", "exact")
    if kind not in KINDS:
        raise ParameterError(f"{where}: kind must be one of {KINDS}, not {kind!r}")
    reference = node["reference"]
    if not isinstance(reference, Mapping) or not all(reference.get(k) for k in ("document", "clause", "quote")):
        raise ParameterError(f"{where}: reference needs document, clause and quote")
    if not isinstance(node["values"], Mapping) or not node["values"]:
        raise ParameterError(f"{where}: values must map dates to values")
    if bool(node.get("interpretation")) != bool(node.get("interpretation_zh")):
        raise ParameterError(f"{where}: interpretation and interpretation_zh go together (English and Chinese)")
    values = tuple(sorted(
        (_parse_date(d, where), _parse_value(v, kind, f"{where}.values.{d}")) for d, v in node["values"].items()
    ))
    return Parameter(
        name=name, jurisdiction=jurisdiction, kind=kind, unit=str(node["unit"]),
        description=str(node["description"]),
        reference=Reference(str(reference["document"]), str(reference["clause"]), str(reference["quote"])),
        values=values, interpretation=node.get("interpretation"), interpretation_zh=node.get("interpretation_zh"),
        source=where,
    )


def _walk(prefix: str, node: Any, jurisdiction: str, where: str) -> Iterable[Parameter]:
    if not isinstance(node, Mapping):
        raise ParameterError(f"{where}: expected a mapping")
    if "values" in node:
        yield _leaf(prefix, jurisdiction, node, where)
        return
    for key, child in node.items():
        yield from _walk(f"{prefix}.{key}" if prefix else str(key), child, jurisdiction, f"{where}.{key}")


def _is_jurisdiction(code: str) -> bool:
    return code.isdigit() and len(code) in (2, 4, 6)


# libyaml's parser where PyYAML has it (about 10x as fast; the same safe constructor builds the same values): the
# parameters are read on every command.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_files(root: Path) -> list[Parameter]:
    parameters = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if not _is_jurisdiction(folder.name):
            raise ParameterError(f"{folder}: a folder must be named by a 2-, 4- or 6-digit jurisdiction code")
        for file in sorted(folder.glob("*.yaml")):
            try:
                tree = yaml.load(file.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
            except yaml.YAMLError as error:
                raise ParameterError(f"{file}: not valid YAML ({error})") from None
            parameters.extend(_walk(file.stem, tree, folder.name, f"{file.relative_to(root)}:{file.stem}"))
    return parameters


@dataclass(frozen=True)
class Change:
    """One what-if change: a new value for a parameter, everywhere or in one jurisdiction, from a date."""

    name: str
    value: Any
    jurisdiction: str | None = None  # None: wherever the parameter is defined
    start: dt.date = dt.date(1900, 1, 1)


@dataclass
class ParameterSet:
    """All parameters of all jurisdictions, checked for floors and ranges."""

    parameters: dict[tuple[str, str], Parameter] = field(default_factory=dict)  # (name, jurisdiction) -> Parameter

    @classmethod
    def load(cls, root: Path | str = PARAMETER_ROOT, *more: Path | str) -> ParameterSet:
        """The parameters of one tree (or several: a plugin's tree beside the shipped one)."""
        result = cls()
        for parameter in [p for folder in (root, *more) for p in load_files(Path(folder))]:
            key = (parameter.name, parameter.jurisdiction)
            if key in result.parameters:
                raise ParameterError(f"{parameter.source}: {parameter.name} is defined twice for {parameter.jurisdiction}")
            result.parameters[key] = parameter
        result.check()
        return result

    @cached_property
    def version(self) -> str:
        """A short fingerprint of every value, date and citation: the same parameters, the same version. The audit
        log and payment rolls record it, so any figure can be traced to the parameters that produced it."""
        content = json.dumps([p.as_dict() for _, p in sorted(self.parameters.items())], ensure_ascii=False,
                             sort_keys=True, default=str)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()[:12]

    # ------------------------------------------------------------------------------------------ lookup

    def names(self) -> list[str]:
        return sorted({name for name, _ in self.parameters})

    def chain(self, name: str, jurisdiction: str) -> list[Parameter]:
        """The definitions that apply to ``jurisdiction``, most specific first."""
        found = []
        for length in (6, 4, 2):
            parameter = self.parameters.get((name, jurisdiction[:length]))
            if parameter is not None and len(jurisdiction) >= length:
                found.append(parameter)
        return found

    def find(self, name: str, jurisdiction: str, date: dt.date) -> Parameter:
        """The most specific definition with a value in force on ``date``."""
        for parameter in self.chain(name, jurisdiction):
            try:
                parameter.at(date)
                return parameter
            except LookupError:
                continue
        raise ParameterNotFound(name, jurisdiction, date)

    def get(self, name: str, jurisdiction: str, date: dt.date) -> Any:
        return self.find(name, jurisdiction, date).at(date)

    def get_or(self, name: str, jurisdiction: str, date: dt.date, default: Any = None) -> Any:
        try:
            return self.get(name, jurisdiction, date)
        except ParameterNotFound:
            return default

    # ---------------------------------------------------------------------------------------- checking

    def check(self, *, floors: bool = True) -> None:
        """Floors may only be raised below, and a range only narrowed to a value inside it (``floors=False``: a
        what-if scenario, whose values below a floor are flagged by subsidy_rules.scenario instead)."""
        for (name, jurisdiction), parameter in self.parameters.items():
            for parent in self.chain(name, jurisdiction)[1:]:  # the definitions above this one
                if parent.kind == "exact":
                    continue
                for date in sorted({d for d, _ in parameter.values} | {d for d, _ in parent.values}):
                    try:
                        own, inherited = parameter.at(date), parent.at(date)
                    except LookupError:
                        continue
                    if floors and parent.kind == "floor" and _number(own) < _number(inherited):
                        raise ParameterError(
                            f"{parameter.source}: {name} = {own} on {date} is below the floor {inherited} set by "
                            f"{parent.source} (不低于: a lower jurisdiction may raise it, never lower it)"
                        )
                    if parent.kind == "range" and isinstance(inherited, Range):
                        low, high = (own.min, own.max) if isinstance(own, Range) else (own, own)
                        if low < inherited.min or high > inherited.max:
                            raise ParameterError(
                                f"{parameter.source}: {name} = {_plain(own)} on {date} is outside the range "
                                f"{inherited.min:g}–{inherited.max:g} set by {parent.source}"
                            )

    # ------------------------------------------------------------------------------------------ reforms

    def floor_above(self, name: str, jurisdiction: str, date: dt.date) -> float | None:
        """The highest floor (不低于) set above ``jurisdiction`` in force on ``date``; None if there is none."""
        floors = []
        for parent in self.chain(name, jurisdiction):
            if parent.jurisdiction == jurisdiction or parent.kind != "floor":
                continue
            try:
                floors.append(_number(parent.at(date)))
            except LookupError:
                continue
        return max(floors, default=None)

    def _lifted(self, change: Change, value: Any) -> tuple[tuple[dt.date, Any], ...]:
        """``value`` from ``change.start``, raised to the floors above the jurisdiction on the dates they are higher."""
        parents = [p for p in self.chain(change.name, change.jurisdiction or "")
                   if p.jurisdiction != change.jurisdiction and p.kind == "floor"]
        if not parents or isinstance(value, (bool, Mapping)) or not isinstance(value, (int, float)):
            return ((change.start, value),)
        dates = sorted({change.start} | {d for p in parents for d, _ in p.values if d > change.start})
        lifted = []
        for date in dates:
            floor = self.floor_above(change.name, change.jurisdiction, date)
            lifted.append((date, floor if floor is not None and floor > value else value))
        return tuple(lifted)

    def with_changes(self, changes: Iterable[Change], *, lift_to_floors: bool = False,
                     what_if: bool = False) -> ParameterSet:
        """A copy with what-if changes applied in memory (files untouched); floors still checked per jurisdiction.

        ``lift_to_floors``: a jurisdiction's own value of a floor parameter is raised to a floor above it wherever
        that floor is higher (不低于: the higher standard applies) instead of being refused. For values recorded
        earlier (county overrides) when a newer policy raises the floor above them.
        ``what_if``: a scenario (a projection, never a payment): a value below a floor is kept, not refused, and
        subsidy_rules.scenario flags it with every result; ranges are still enforced.
        """
        parameters = dict(self.parameters)
        for change in changes:
            targets = [key for key in parameters if key[0] == change.name]
            if not targets:
                raise ParameterError(f"reform: no parameter named {change.name}")
            value = Range(**change.value) if isinstance(change.value, Mapping) else change.value
            if change.jurisdiction is not None:
                base = self.chain(change.name, change.jurisdiction)
                if not base:
                    raise ParameterError(f"reform: {change.name} does not apply to {change.jurisdiction}")
                key = (change.name, change.jurisdiction)
                parameters[key] = parameters.get(key) or replace(
                    base[0], jurisdiction=change.jurisdiction, values=(), source=f"reform:{change.name}@{change.jurisdiction}",
                )
                targets = [key]
            for key in targets:
                parameter = parameters[key]
                kept = tuple((d, v) for d, v in parameter.values if d < change.start)
                new = self._lifted(change, value) if lift_to_floors else ((change.start, value),)
                parameters[key] = replace(parameter, values=(*kept, *new), source=f"reform:{change.name}")
        result = ParameterSet(parameters)
        result.check(floors=not what_if)
        return result


def policy_floor(parameters: ParameterSet, name: str, jurisdiction: str, date: dt.date) -> Parameter | None:
    """The definition whose 不低于 floor binds ``jurisdiction`` on ``date`` (the highest of the texts' floors on
    its chain, its own text's included); county values recorded in the database ("reform:" sources) are a county's
    own raised standard, not the policy's floor, and are left out."""
    found, highest = None, None
    for parameter in parameters.chain(name, jurisdiction):
        if parameter.kind != "floor" or parameter.source.startswith("reform:"):
            continue
        try:
            value = _number(parameter.at(date))
        except (LookupError, TypeError, ValueError):
            continue
        if highest is None or value > highest:
            found, highest = parameter, value
    return found


def _number(value: Any) -> float:
    return value.min if isinstance(value, Range) else float(value)


def reform_from_mapping(data: Mapping) -> list[Change]:
    """``{name: value}`` or ``{name: {value: …, jurisdiction: …, start: YYYY-MM-DD}}`` (a reform YAML file)."""
    changes = []
    for name, spec in data.items():
        if isinstance(spec, Mapping) and "value" in spec:
            start = spec.get("start")
            changes.append(Change(
                name, spec["value"], spec.get("jurisdiction") and str(spec["jurisdiction"]),
                _parse_date(start, f"reform {name}") if start else dt.date(1900, 1, 1),
            ))
        else:
            changes.append(Change(name, spec))
    return changes


_DEFAULT: ParameterSet | None = None
EXTRA_ROOTS: list[Path] = []  # parameter trees of schemes declared outside the package (subsidy_rules.plugins)


def default_parameters() -> ParameterSet:
    """The shipped parameters and those of declared plugin schemes, loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = ParameterSet.load(PARAMETER_ROOT, *EXTRA_ROOTS)
    return _DEFAULT


def set_extra_roots(roots: Iterable[Path]) -> None:
    """Replace the plugin parameter trees; the default parameters are reloaded on next use."""
    global _DEFAULT
    EXTRA_ROOTS[:] = list(roots)
    _DEFAULT = None
