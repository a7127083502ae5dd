"""Planning targets read from parameters (subsidy_rules/parameters/3604/planning_targets.yaml) at each checkpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from subsidy_rules.parameters import ParameterNotFound, ParameterSet, Reference

PREFIX = "planning_targets."


@dataclass(frozen=True)
class TargetSpec:
    """How one target parameter is measured; the numbers themselves come from the parameter files."""

    id: str
    kind: str  # elderly | childcare: whose capacity counts
    measure: str  # per_1000 (places per 1,000 residents) | share (qualifying / all) | total (count)
    scope: str  # each_district | aggregate | proportional
    title_zh: str
    title_en: str
    residential_area: str | None = None  # only districts with this residential_area value


SPECS = {
    spec.id: spec for spec in (
        TargetSpec("childcare_slots_per_1000", "childcare", "per_1000", "each_district", "每千人口托位数", "places per 1,000 residents"),
        TargetSpec("childcare_inclusive_share", "childcare", "share", "each_district", "普惠性托位占比", "inclusive share of places"),
        TargetSpec("elderly_beds_total", "elderly", "total", "aggregate", "养老服务床位总数", "elderly-care beds"),
        TargetSpec("elderly_nursing_share", "elderly", "share", "each_district", "护理型养老床位占比", "nursing share of beds"),
        TargetSpec("new_residential_slots_per_1000", "childcare", "per_1000", "each_district",
                   "新建居住区每千人口托位", "places per 1,000 residents, new residential areas", "new"),
        TargetSpec("old_residential_slots_per_1000", "childcare", "per_1000", "each_district",
                   "老城区每千人口托位", "places per 1,000 residents, old residential areas", "old"),
    )
}
SCOPES = ("each_district", "aggregate", "proportional")


@dataclass(frozen=True)
class Target:
    spec: TargetSpec
    year: int
    value: float
    reference: Reference
    interpretation: str | None
    weight: int = 1

    @property
    def id(self) -> str:
        return self.spec.id

    def describe(self) -> str:
        shown = f"{self.value:.0%}" if self.spec.measure == "share" else f"{self.value:g}"
        return f"{self.year}年 {self.spec.title_zh} {shown}"


def load_targets(
    parameters: ParameterSet,
    jurisdiction: str,
    first_year: int,
    plan_year: int,
    *,
    only: tuple[str, ...] | None = None,
    scopes: Mapping[str, str] | None = None,
    weights: Mapping[str, int] | None = None,
) -> list[Target]:
    """Every target in force at each checkpoint: the years a target value is dated in, and the plan year."""
    scopes, weights = dict(scopes or {}), dict(weights or {})
    for name, scope in scopes.items():
        if name not in SPECS:
            raise KeyError(f"未知目标 / unknown target {name!r}; one of {', '.join(SPECS)}")
        if scope not in SCOPES or (scope == "proportional" and SPECS[name].measure != "total"):
            raise ValueError(f"目标 {name} 的范围不能为 / target {name} cannot have scope {scope!r}")
    targets = []
    for name, spec in SPECS.items():
        if only is not None and name not in only:
            continue
        if scopes.get(name):
            spec = TargetSpec(**{**spec.__dict__, "scope": scopes[name]})
        chain = parameters.chain(PREFIX + name, jurisdiction)
        if not chain:
            continue
        dated_years = {d.year for p in chain for d, _ in p.values}
        checkpoints = sorted({y for y in dated_years if first_year <= y <= plan_year} | {plan_year})
        for year in checkpoints:
            try:
                parameter = parameters.find(PREFIX + name, jurisdiction, dt.date(year, 12, 31))
            except ParameterNotFound:
                continue
            value = parameter.at(dt.date(year, 12, 31))
            if value is None:
                continue
            targets.append(Target(spec, year, float(value), parameter.reference, parameter.interpretation,
                                  int(weights.get(name, 1))))
    return targets
