"""One scenario file format for `carecalc evaluate`, `carecalc budget` and the web: a YAML mapping

    name: 护理型床位6000元                     # optional (default: the file's name)
    parameters:
      elderly_institution_construction.province.per_bed_nursing: 6000     # or {value: 6000, start: 2025-01-01}
    assumptions:                               # budget only (occupancy, enrolment, caseload_growth)
      occupancy: 0.85

or the flat form ``parameter.name: value`` (parameters only). Values are checked when the file is read: a number
where the parameter holds numbers ("6000元" is refused with the reason), so a bad file exits 2 naming the line.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from care_services.workbook import Column
from subsidy_rules.parameters import (Change, Parameter, ParameterError, ParameterNotFound, ParameterSet, Range, _number, _plain,
                                      default_parameters, policy_floor, reform_from_mapping)

SECTIONS = ("name", "parameters", "assumptions")


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with the reason in Chinese and English."""


def normalise(data: object, default_name: str) -> dict:
    """The structured form of a scenario mapping (the flat form becomes its ``parameters``)."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ScenarioError("方案文件应为YAML映射（键: 值） / a scenario file holds a YAML mapping (key: value)")
    if any(key in data for key in ("parameters", "assumptions")) or set(data) <= {"name"}:
        unknown = set(data) - set(SECTIONS)
        if unknown:
            raise ScenarioError(f"方案文件中有未知项：{'、'.join(map(str, sorted(unknown)))}（应为 name、parameters、"
                                f"assumptions） / unknown keys: {', '.join(map(str, sorted(unknown)))}")
        structured = {"name": data.get("name") or default_name, "parameters": data.get("parameters") or {},
                      "assumptions": data.get("assumptions") or {}}
    else:
        flat = {k: v for k, v in data.items() if k != "name"}
        structured = {"name": data.get("name") or default_name, "parameters": flat, "assumptions": {}}
    if not isinstance(structured["parameters"], Mapping) or not isinstance(structured["assumptions"], Mapping):
        raise ScenarioError("parameters 和 assumptions 应为映射 / parameters and assumptions are mappings")
    structured["name"] = str(structured["name"])
    return structured


def check_values(parameters: Mapping, base: ParameterSet | None = None) -> None:
    """Each new value has the type of the values it replaces: a number for a number ("6000元" is refused), a
    range {min, max} for a range, 是/否 (true/false) for a flag, text for text, a list for a list."""
    base = base or default_parameters()
    for name, spec in parameters.items():
        value = spec.get("value") if isinstance(spec, Mapping) and "value" in spec else spec
        current = [v for (key, _), p in base.parameters.items() if key == name for _, v in p.values if v is not None]
        if value is None or not current:
            continue
        if all(isinstance(v, (numbers.Real, Range)) and not isinstance(v, bool) for v in current):
            ranged = any(isinstance(v, Range) for v in current) and isinstance(value, Mapping) and set(value) == {
                "min", "max"} and all(_plain_number(value[k]) for k in ("min", "max"))
            if not (_plain_number(value) or ranged):
                raise ScenarioError(f"参数{name}的值“{value}”应为数字（不带单位，如6000） / the value of {name} must be "
                                    f"a plain number such as 6000, not {value!r}")
            if min([value] if not ranged else [value["min"], value["max"]]) < 0 <= min(map(_number, current)):
                raise ScenarioError(f"参数{name}的值“{value}”不能为负数 / the value of {name} cannot be negative")
            continue
        for kind, zh, en in ((bool, "是或否（true/false）", "true or false"), (str, "文字", "text"),
                             (list, "列表", "a list")):
            if all(isinstance(v, kind) for v in current) and not isinstance(value, kind):
                raise ScenarioError(f"参数{name}的值“{value}”应为{zh} / the value of {name} must be {en}, not {value!r}")


def _plain_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value


def checked(data: object, base: ParameterSet | None = None, default_name: str = "方案") -> dict:
    """A scenario mapping as the web receives it, structured and checked like a file (ScenarioError naming the
    parameter): values of the right type, parameters that exist, jurisdictions they apply to."""
    base = base or default_parameters()
    scenario = normalise(data, default_name)
    check_values(scenario["parameters"], base)
    try:
        apply(scenario, base)
    except (ParameterError, TypeError, ValueError) as error:
        raise ScenarioError(f"方案参数有误：{error} / bad scenario parameter: {error}") from None
    return scenario


def read(path: str | Path, base: ParameterSet | None = None) -> dict:
    """A scenario file, structured and checked."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path.name}不是UTF-8编码的YAML文件 / {path.name} is not a UTF-8 YAML file") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"YAML格式错误：{error} / not valid YAML") from None
    scenario = normalise(data, path.stem)
    check_values(scenario["parameters"], base)
    for key, value in scenario["assumptions"].items():
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise ScenarioError(f"假设{key}的值“{value}”应为数字（如0.85） / assumption {key} must be a number")
    return scenario


# ------------------------------------------------------------------------------------ a scenario applied
#
# Why a scenario below a 不低于 floor is evaluated, flagged, rather than refused (the reading a 财政 officer takes):
# a scenario is a projection — "what would it cost if the standard were 500元?" — that a finance bureau costs
# before a proposal goes up, and refusing it would leave the officer without the figure the proposal needs. It is
# never a payment: casework, payrolls and notices use the shipped parameters with the county's recorded values
# (subsidy_rules/overrides.py), where a value below a floor is refused. So the projection runs, and every result it
# produces (the CLI's answer and stderr, the batch workbook, the budget report and its JSON, the web's answers)
# carries "低于政策底线：原文“…不低于…”" beside the figure, so nobody mistakes it for what the text allows.
# 中文：方案属测算（假设），财政部门常需测算“如标准降为500元需要多少资金”；拒绝测算会使其无从比较。方案从不用于
# 发放：经办、发放名册和公示使用正式参数（县级只可提高），低于底线在那里会被拒绝。因此方案照常测算，但每个结果旁
# 都标明“低于政策底线”及原文，以免被误作政策允许的标准。

_PHRASE_BREAKS = re.compile(r"[,，;；。]")


def parameter_title(parameter: Parameter) -> tuple[str, str]:
    """(Chinese, English) name of a parameter from its description ``中文 / English``."""
    zh, _, en = parameter.description.partition(" / ")
    return zh.strip(), (en or zh).strip()


def shown_value(value: Any, unit: str) -> str:
    """A parameter's value as an officer reads it: 6,000元/床, 50%, 12个月, 是."""
    from care_services.vocabulary import UNIT

    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Range):
        return f"{shown_value(value.min, unit)}至{shown_value(value.max, unit)}"
    if isinstance(value, Mapping) and {"min", "max"} <= set(value):
        return shown_value(Range(value["min"], value["max"]), unit)
    if not isinstance(value, numbers.Real):
        return str(value)
    if unit.startswith("share"):
        return f"{float(value) * 100:g}%"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return text + UNIT.get(unit, "")


def _spellings(value: Any, unit: str) -> list[str]:
    """How the document may write ``value``: 5000, 5,000, 75万, 50%."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return []
    number = float(value)
    found = [f"{number:g}", f"{number:,.0f}" if number.is_integer() else f"{number:,g}"]
    if unit.startswith("share"):
        found.insert(0, f"{number * 100:g}%")
    if unit.startswith("CNY") and number >= 10_000:
        found.insert(0, f"{number / 10_000:g}万")
    return found


def quoted_phrase(quote: str, value: Any, unit: str, *, marker: str | None = None) -> str:
    """The part of the quoted clause that states ``value`` (or holds ``marker``, e.g. 不低于): the clause
    between its commas, or the whole quote when the number is not written there (e.g. 满一年 for 12 months)."""
    parts = [p for p in _PHRASE_BREAKS.split(quote) if p.strip()]
    for spelling in ([marker] if marker else []) + _spellings(value, unit):
        for part in parts:
            if spelling in part:
                return part.strip()
    return quote


@dataclass(frozen=True)
class AppliedScenario:
    """A scenario file applied to a parameter set: the new set, and what it changed against the base."""

    name: str
    base: ParameterSet
    parameters: ParameterSet
    changes: tuple[Change, ...]
    assumptions: Mapping = field(default_factory=dict)

    @property
    def changed_names(self) -> set[str]:
        return {change.name for change in self.changes}

    def _changed_keys(self) -> list[tuple[str, str]]:
        keys = []
        for change in self.changes:
            found = ([(change.name, change.jurisdiction)] if change.jurisdiction else
                     sorted(key for key in self.parameters.parameters if key[0] == change.name))
            keys += [key for key in found if key not in keys]
        return keys

    def mark(self, name: str, jurisdiction: str, date: dt.date) -> dict | None:
        """The scenario's value of ``name`` where and when it applies beside the document's value and phrase;
        None where the scenario does not change what applies there."""
        try:
            new = self.parameters.find(name, jurisdiction, date)
        except ParameterNotFound:
            return None
        value = new.at(date)
        try:
            old = self.base.find(name, jurisdiction, date)
            original = old.at(date)
        except ParameterNotFound:
            old, original = new, None
        if original == value:
            return None
        zh, en = parameter_title(old)
        reference = old.reference
        phrase = quoted_phrase(reference.quote, original, old.unit)
        floor = policy_floor(self.base, name, jurisdiction, date)
        below = floor is not None and _below(value, floor.at(date))
        mark = {
            "name": name, "title_zh": zh, "title_en": en, "jurisdiction": jurisdiction, "date": date.isoformat(),
            "scenario_value": _plain(value), "original_value": _plain(original), "unit": old.unit,
            "scenario_value_zh": shown_value(value, old.unit), "original_value_zh": shown_value(original, old.unit),
            "reference": reference.as_dict(), "phrase": phrase, "below_floor": below,
            "text_zh": (f"{zh}：方案值 {shown_value(value, old.unit)}，原文“{phrase}”为 {shown_value(original, old.unit)}"
                        f"（{reference.document} {reference.clause}）"),
            "text_en": (f"{en}: scenario value {_plain(value)} ({old.unit}); the document's value "
                        f"{_plain(original)} ({reference.document} {reference.clause})"),
        }
        if below:
            mark["floor"] = _floor_flag(name, jurisdiction, date, value, floor)
        return mark

    def marks(self, places: Iterable[tuple[str, dt.date]], names: Iterable[str] | None = None) -> list[dict]:
        """The marks at each (jurisdiction, date), the same change shown once (by parameter, values and clause)."""
        wanted = [n for n in dict.fromkeys(names or sorted(self.changed_names)) if n in self.changed_names]
        seen, found = set(), []
        for jurisdiction, date in places:
            for name in wanted:
                mark = self.mark(name, jurisdiction, date)
                if mark is None:
                    continue
                key = (name, repr(mark["scenario_value"]), repr(mark["original_value"]), mark["phrase"])
                if key not in seen:
                    seen.add(key)
                    found.append(mark)
        return found

    def below_floor(self, dates: Iterable[dt.date] | None = None) -> list[dict]:
        """Every changed value below a 不低于 floor of the documents, wherever the change applies, on the dates
        given (default: the change's start and every later date on which a floor's value changes)."""
        flags, seen = [], set()
        for name, jurisdiction in self._changed_keys():
            parameter = self.parameters.parameters.get((name, jurisdiction))
            chain = self.base.chain(name, jurisdiction)
            if parameter is None or not chain:
                continue
            when = sorted(set(dates) if dates is not None else
                          {d for d, _ in parameter.values} | {d for p in chain for d, _ in p.values
                                                               if d >= parameter.values[0][0]})
            for date in when:
                try:
                    value = parameter.at(date)
                except LookupError:
                    continue
                floor = policy_floor(self.base, name, jurisdiction, date)
                if floor is None or not _below(value, floor.at(date)):
                    continue
                flag = _floor_flag(name, jurisdiction, date, value, floor)
                key = (name, repr(flag["scenario_value"]), repr(flag["floor_value"]), flag["reference"]["quote"])
                if key not in seen:
                    seen.add(key)
                    flags.append(flag)
        return flags

    def describe(self, places: Iterable[tuple[str, dt.date]] | None = None,
                 names: Iterable[str] | None = None) -> dict:
        """What a result under this scenario carries: its name, the changed values and the floors it goes below.

        ``places`` (jurisdiction, date): where and when the result applies, with ``names`` the parameters it used
        (an answer); without them, each changed definition on the dates its document's values start (a budget)."""
        if places is None:
            places = [(jurisdiction, date) for name, jurisdiction in self._changed_keys()
                      for date in self._dates(name, jurisdiction)]
            changes, flags = self.marks(places, names), self.below_floor()
        else:
            changes = self.marks(list(places), names)
            flags = [m["floor"] for m in changes if m.get("floor")]
        return {"name": self.name, "changes": changes, "below_floor": flags,
                "note_zh": "按方案测算（假设），不是现行政策的核定结果",
                "note_en": "a what-if under a scenario, not a determination under the policy in force"}

    def _dates(self, name: str, jurisdiction: str) -> list[dt.date]:
        """The dates on which the scenario's or the document's value of a changed definition starts."""
        start = min((c.start for c in self.changes if c.name == name), default=dt.date(1900, 1, 1))
        dates = {max(start, d) for p in self.base.chain(name, jurisdiction) for d, _ in p.values}
        return sorted(dates | ({start} if start > dt.date(1900, 1, 1) else set()))

    def mark_answer(self, answer: dict) -> dict:
        """An evaluation's JSON answer with every changed value it used marked (in place, and returned):
        ``answer["scenario"]`` lists them, each used parameter carries its ``scenario`` mark, and a step that says
        （不低于标准） where the scenario goes below the floor says so instead."""
        if not answer.get("date") or not answer.get("jurisdiction"):
            return answer
        date = dt.date.fromisoformat(answer["date"])
        used = [entry["name"] for entry in answer.get("parameters", [])]
        described = self.describe([(answer["jurisdiction"], date)], used)
        by_name = {m["name"]: m for m in described["changes"]}
        for entry in answer.get("parameters", []):
            mark = by_name.get(entry["name"])
            if mark is not None:
                entry["scenario"] = {k: mark[k] for k in ("original_value", "scenario_value", "below_floor",
                                                          "text_zh", "text_en")}
        if described["below_floor"]:
            answer["steps"] = [step.replace("（不低于标准）", "（方案值，低于政策底线）") for step in answer.get("steps", [])]
            answer["steps_en"] = [
                step.replace("(not below the standard)", "(the scenario's value, below the policy floor)")
                for step in answer.get("steps_en", [])]
        answer["scenario"] = described
        return answer


def _below(value: Any, floor: Any) -> bool:
    try:
        return _number(value) < _number(floor)
    except (TypeError, ValueError):
        return False


def _floor_flag(name: str, jurisdiction: str, date: dt.date, value: Any, floor: Parameter) -> dict:
    """低于政策底线: the scenario's value beside the floor and the clause that sets it."""
    floor_value = floor.at(date)
    zh, en = parameter_title(floor)
    phrase = quoted_phrase(floor.reference.quote, floor_value, floor.unit, marker="不低于")
    return {
        "name": name, "title_zh": zh, "title_en": en, "jurisdiction": jurisdiction, "date": date.isoformat(),
        "scenario_value": _plain(value), "floor_value": _plain(floor_value), "unit": floor.unit,
        "floor_jurisdiction": floor.jurisdiction, "reference": floor.reference.as_dict(), "phrase": phrase,
        "text_zh": (f"低于政策底线：{zh}方案值 {shown_value(value, floor.unit)}，原文“{phrase}”"
                    f"（{floor.reference.document} {floor.reference.clause}），不低于 {shown_value(floor_value, floor.unit)}"),
        "text_en": (f"below the policy floor: {en} is {_plain(value)} under the scenario; {floor.reference.document} "
                    f"{floor.reference.clause} sets at least {_plain(floor_value)} (不低于). Evaluated as a what-if only."),
    }


def apply(scenario: Mapping, base: ParameterSet | None = None) -> AppliedScenario:
    """A scenario (as :func:`read` or :func:`normalise` give it) applied to ``base``: values below a floor are
    kept and flagged (see above), not refused. Raises ParameterError for an unknown parameter or jurisdiction."""
    base = base or default_parameters()
    changes = tuple(reform_from_mapping(scenario.get("parameters") or {}))
    parameters = base.with_changes(changes, what_if=True)
    return AppliedScenario(str(scenario.get("name") or "scenario"), base, parameters, changes,
                           dict(scenario.get("assumptions") or {}))


# ------------------------------------------------------------------------------------ in a workbook

SCENARIO_COLUMNS = (Column("参数"), Column("适用区划"), Column("起始日期"), Column("方案值"), Column("原文值"),
                    Column("原文", width=50), Column("依据"), Column("是否低于政策底线"))


def write_scenario_sheet(book, scenario: dict, title: str = "方案说明", unit: str | None = None) -> None:
    """A sheet marking a scenario's changed values beside the document's (with the quoted phrase) and, first,
    every value below a 不低于 floor: the batch result and the budget report carry it under a scenario."""
    from care_services.divisions import division_name

    columns = SCENARIO_COLUMNS
    sheet = book.sheet(title)
    width = len(columns)
    sheet.title_line(f"测算方案：{scenario['name']}", width)
    sheet.line(f"说明：{scenario['note_zh']}；下列参数按方案取值，其余按现行政策。", width)
    for flag in scenario["below_floor"]:
        sheet.line(flag["text_zh"] + "；仅作测算比较，不能作为核定发放的依据。", width, bold=True)
    sheet.skip()

    def place(code: str) -> str:
        name = division_name(code)
        return f"{name}（{code}）" if name and name != code else code

    rows = ([m["title_zh"], place(m["jurisdiction"]), m["date"], m["scenario_value_zh"], m["original_value_zh"],
             f"“{m['phrase']}”", f"{m['reference']['document']} {m['reference']['clause']}",
             "是" if m["below_floor"] else "否"] for m in scenario["changes"])
    sheet.table(columns, rows, freeze=None)
    sheet.signature(unit, width=width)
    sheet.print_setup()
