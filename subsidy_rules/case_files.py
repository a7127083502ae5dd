"""Test cases policy officers write without Python: YAML or .xlsx files of facts, date, jurisdiction and the
expected answer, run by ``carecalc test FILE...`` (and by pytest over ``tests/rules/cases``).

A YAML file is a list of cases, or ``{defaults: {...}, cases: [...]}`` where every case starts from the defaults
(its ``facts`` and ``parameters`` are merged into the defaults' ones, so a case gives only what differs)::

    defaults:
      scheme: childcare_operation
      date: 2024-01-01
      jurisdiction: "360403"
      facts: {inclusive: true, monthly_fee: 1200, local_inclusive_price: 1300, enrolled_under_3: 30}
    cases:
      - name: 30 children × 200元
        reference: 九府办字[2022]113号 附件3 第23项      # the clause the case checks
        expect: {eligible: true, amount: 6000, funding: {county: 6000}}
      - name: a fee above the guide price
        facts: {monthly_fee: 1400}
        expect: {eligible: false, amount: 0}

``parameters`` changes values as a scenario file does (``name: value`` or ``name: {value, jurisdiction, start}``).
What ``expect`` may say: eligible, in_force, amount, unit, period, funding (the payers listed), remaining,
missing_facts, criteria ({id: true | false | null | 不适用}), warnings (advisory ids), steps_contain (texts), error
(the facts an input error must name), parameter_error (a text the refusal of ``parameters`` must contain).

An .xlsx file has one case per row of its first sheet: columns 名称 (name), 补贴项目 (scheme), 测算日期 (date),
行政区划代码 (jurisdiction), 条款 (reference), the facts by their Chinese label or name, and expected values in
columns headed 预期：是否符合, 预期：金额, 预期：单位, 预期：资金：<payer id or its Chinese name>.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from subsidy_rules.engine import FactError, UnknownScheme, evaluate, get_scheme
from subsidy_rules.parameters import ParameterError, ParameterSet, default_parameters, reform_from_mapping

CASE_KEYS = {"name", "scheme", "date", "jurisdiction", "facts", "parameters", "expect", "reference"}
EXPECT_KEYS = {"eligible", "in_force", "amount", "unit", "period", "funding", "remaining", "missing_facts", "criteria",
               "warnings", "steps_contain", "error", "parameter_error"}
NOT_APPLICABLE = "不适用"


class CaseFileError(ValueError):
    """A test file that cannot be read; the message names the file and the case."""


@dataclass
class Case:
    name: str
    source: str  # file and position, for the report
    scheme: str
    date: str
    jurisdiction: str
    facts: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    expect: dict = field(default_factory=dict)
    reference: str | None = None


@dataclass
class Outcome:
    case: Case
    differences: list[tuple[str, Any, Any]]  # (what, expected, actual)

    @property
    def passed(self) -> bool:
        return not self.differences


# -------------------------------------------------------------------------------------------------- reading


def load_cases(path: Path | str) -> list[Case]:
    path = Path(path)
    if not path.is_file():
        raise CaseFileError(f"文件不存在：{path} / no such file: {path}")
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml_cases(path)
    if path.suffix.lower() == ".xlsx":
        return _xlsx_cases(path)
    raise CaseFileError(f"{path}: 测试文件应为.yaml或.xlsx / a test file is .yaml or .xlsx")


def _yaml_cases(path: Path) -> list[Case]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CaseFileError(f"{path}: 不是有效的YAML / not valid YAML ({error})") from None
    defaults: Mapping = {}
    if isinstance(data, Mapping):
        defaults, data = data.get("defaults") or {}, data.get("cases")
    if not isinstance(data, list):
        raise CaseFileError(f"{path}: 应为用例列表，或含defaults和cases / a list of cases, or defaults and cases")
    return [_case({**defaults, **entry, "facts": {**(defaults.get("facts") or {}), **(entry.get("facts") or {})},
                   "parameters": {**(defaults.get("parameters") or {}), **(entry.get("parameters") or {})}},
                  f"{path.name} #{number}")
            for number, entry in enumerate(data, start=1) if _is_mapping(entry, path, number)]


def _is_mapping(entry: Any, path: Path, number: int) -> bool:
    if not isinstance(entry, Mapping):
        raise CaseFileError(f"{path.name} #{number}: 每个用例应为“键: 值” / each case is a mapping")
    return True


def _case(data: Mapping, source: str) -> Case:
    unknown = set(data) - CASE_KEYS
    if unknown:
        raise CaseFileError(f"{source}: 未知项 / unknown keys: {', '.join(sorted(unknown))}")
    missing = [k for k in ("scheme", "date", "jurisdiction", "expect") if not data.get(k) and data.get(k) is not False]
    if missing:
        raise CaseFileError(f"{source}: 缺少 / missing: {', '.join(missing)}")
    expect = dict(data["expect"])
    if set(expect) - EXPECT_KEYS:
        raise CaseFileError(f"{source}: expect中有未知项 / unknown expectations: {', '.join(sorted(set(expect) - EXPECT_KEYS))}")
    try:
        get_scheme(str(data["scheme"]))
    except UnknownScheme as error:
        raise CaseFileError(f"{source}: {error}") from None
    facts = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in (data.get("facts") or {}).items()}
    date = data["date"].isoformat() if isinstance(data["date"], dt.date) else str(data["date"])
    return Case(str(data.get("name") or source), source, str(data["scheme"]), date, str(data["jurisdiction"]), facts,
                dict(data.get("parameters") or {}), expect, data.get("reference"))


XLSX_CONTEXT = {"名称": "name", "name": "name", "补贴项目": "scheme", "scheme": "scheme", "测算日期": "date", "日期": "date",
                "date": "date", "行政区划代码": "jurisdiction", "jurisdiction": "jurisdiction", "条款": "reference",
                "reference": "reference"}
XLSX_EXPECT = {"是否符合": "eligible", "金额": "amount", "单位": "unit", "发放周期": "period", "政策在当地有效": "in_force"}
EXPECT_PREFIXES = ("预期：", "预期:", "expect.")
WORDS = {"是": True, "否": False, "true": True, "false": False, "TRUE": True, "FALSE": False}


def _xlsx_cases(path: Path) -> list[Case]:
    from care_services.spreadsheet import is_blank, read_sheets

    rows = next(iter(read_sheets(path).values()))()
    if not rows:
        raise CaseFileError(f"{path.name}: 工作表为空 / the sheet is empty")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    cases = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {header[i]: row[i] for i in range(min(len(header), len(row))) if header[i] and not is_blank(row[i])}
        if not cells:
            continue
        data: dict[str, Any] = {"facts": {}, "expect": {}}
        for title, value in cells.items():
            value = WORDS.get(value, value) if isinstance(value, str) else value
            prefix = next((p for p in EXPECT_PREFIXES if title.startswith(p)), None)
            if prefix:
                _xlsx_expectation(data["expect"], title[len(prefix):], value, f"{path.name} 第{number}行")
            elif title in XLSX_CONTEXT:
                data[XLSX_CONTEXT[title]] = value
            else:
                data["facts"][title] = value
        data["facts"] = _fact_names(data.get("scheme"), data["facts"], f"{path.name} 第{number}行")
        cases.append(_case(data, f"{path.name} 第{number}行"))
    return cases


def _xlsx_expectation(expect: dict, title: str, value: Any, source: str) -> None:
    if title.startswith(("资金：", "资金:", "funding.")):
        payer = title.split("：", 1)[-1].split(":", 1)[-1].split(".", 1)[-1]
        expect.setdefault("funding", {})[payer] = value
    elif title in XLSX_EXPECT or title in EXPECT_KEYS:
        expect[XLSX_EXPECT.get(title, title)] = value
    else:
        raise CaseFileError(f"{source}: 未知的预期列“{title}” / unknown expectation column")


def _fact_names(scheme_id: Any, facts: dict, source: str) -> dict:
    """Columns by a fact's Chinese label or its name, as batch workbooks accept them."""
    try:
        scheme = get_scheme(str(scheme_id))
    except UnknownScheme as error:
        raise CaseFileError(f"{source}: {error}") from None
    by_label = {f.zh: f.key for f in scheme.facts}
    return {by_label.get(title, title): (v.date().isoformat() if isinstance(v, dt.datetime) else v)
            for title, value in facts.items() for v in [value]}


# -------------------------------------------------------------------------------------------------- running


def run_case(case: Case, base: ParameterSet | None = None) -> Outcome:
    base = base or default_parameters()
    expect = case.expect
    try:
        parameters = base.with_changes(reform_from_mapping(case.parameters)) if case.parameters else base
    except ParameterError as error:
        if "parameter_error" in expect and str(expect["parameter_error"]) in str(error):
            return Outcome(case, [])
        return Outcome(case, [("parameters", expect.get("parameter_error", "（被接受）accepted"), str(error))])
    if "parameter_error" in expect:
        return Outcome(case, [("parameters", expect["parameter_error"], "（被接受）accepted")])
    try:
        answer = evaluate(case.scheme, case.facts, date=case.date, jurisdiction=case.jurisdiction, parameters=parameters)
    except FactError as error:
        named = sorted(error.errors)
        if "error" in expect and set(expect["error"]) <= set(named):
            return Outcome(case, [])
        return Outcome(case, [("error", expect.get("error", "（无输入错误）none"), named)])
    if "error" in expect:
        return Outcome(case, [("error", expect["error"], "（无输入错误）none")])
    return Outcome(case, compare(expect, answer))


def compare(expect: Mapping, answer: Mapping) -> list[tuple[str, Any, Any]]:
    differences = []

    def check(what: str, expected: Any, actual: Any) -> None:
        if not _same(expected, actual):
            differences.append((what, expected, actual))

    for key in ("eligible", "in_force", "amount", "unit", "period"):
        if key in expect:
            check(key, expect[key], answer.get(key))
    for key in ("funding", "remaining"):
        for name, value in (expect.get(key) or {}).items():
            check(f"{key}.{name}", value, _payer_value(answer, key, name))
    if "missing_facts" in expect:
        check("missing_facts", list(expect["missing_facts"]), answer.get("missing_facts"))
    criteria = {c["id"]: c for c in answer.get("criteria", [])}
    for name, value in (expect.get("criteria") or {}).items():
        found = criteria.get(name)
        actual = None if found is None else NOT_APPLICABLE if not found["applicable"] else found["passed"]
        check(f"criteria.{name}", value, actual if found else "（无此条件）absent")
    if "warnings" in expect:
        check("warnings", sorted(expect["warnings"] or []), sorted(w["id"] for w in answer.get("warnings", [])))
    for text in expect.get("steps_contain") or []:
        if not any(str(text) in step for step in answer.get("steps", [])):
            differences.append(("steps", text, answer.get("steps")))
    return differences


def _payer_value(answer: Mapping, key: str, name: str) -> Any:
    values = answer.get(key) or {}
    if name in values:
        return values[name]
    by_label = {payer["zh"]: payer_id for payer_id, payer in (answer.get("payers") or {}).items()}
    return values.get(by_label.get(name, name))


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None:
        return expected is actual or expected == actual and type(expected) is type(actual)
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return abs(float(expected) - float(actual)) < 0.005
    return expected == actual


def run_files(paths: Iterable[Path | str]) -> list[Outcome]:
    base = default_parameters()
    return [run_case(case, base) for path in paths for case in load_cases(path)]


def report(outcomes: list[Outcome]) -> str:
    """What a policy officer reads: each failing case with its source, clause and each difference, then a count."""
    lines = []
    for outcome in outcomes:
        case = outcome.case
        if outcome.passed:
            continue
        lines.append(f"✘ {case.source}：{case.name}" + (f"（{case.reference}）" if case.reference else ""))
        for what, expected, actual in outcome.differences:
            lines.append(f"    {what}：预期 {_shown(expected)}，实际 {_shown(actual)} / expected {_shown(expected)}, got {_shown(actual)}")
    failed = sum(not o.passed for o in outcomes)
    lines.append(f"共{len(outcomes)}个用例，通过{len(outcomes) - failed}个，未通过{failed}个 / "
                 f"{len(outcomes)} cases, {len(outcomes) - failed} passed, {failed} failed")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None:
        return "空"
    return str(value)
