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

import numbers
from collections.abc import Mapping
from pathlib import Path

import yaml

from subsidy_rules.parameters import ParameterSet, Range, default_parameters

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
    """Each new value has the type of the values it replaces: a number for a number ("6000元" is refused)."""
    base = base or default_parameters()
    for name, spec in parameters.items():
        value = spec.get("value") if isinstance(spec, Mapping) and "value" in spec else spec
        current = [v for (key, _), p in base.parameters.items() if key == name for _, v in p.values if v is not None]
        numeric = current and all(isinstance(v, (numbers.Real, Range)) and not isinstance(v, bool) for v in current)
        if numeric and not (isinstance(value, numbers.Real) and not isinstance(value, bool)) and value is not None:
            raise ScenarioError(f"参数{name}的值“{value}”应为数字（不带单位，如6000） / the value of {name} must be a "
                                f"plain number such as 6000, not {value!r}")


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
