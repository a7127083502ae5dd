"""Planning targets read from parameters (subsidy_rules/parameters/3604/planning_targets.yaml) at each checkpoint.

A target's numbers (value, date, citation, reading) live in the YAML; how it is measured lives here, in its
``TargetSpec``: whose capacity counts, the measure, the default scope and the unit it is counted on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from subsidy_rules.parameters import ParameterNotFound, ParameterSet, Reference

PREFIX = "planning_targets."

# What a measure counts (see allocator/planning.py's docstring for the constraint of each):
#   per_1000   places per 1,000 residents          share      qualifying / all places or beds
#   total      places or beds, existing included   added      places or beds of the chosen projects
#   coverage   communities / villages / streets covered by a facility of the right type
#   count      institutions (existing + chosen sites of the right type), at least
#   floor_space square metres per 100 households  households cumulative homes adapted (适老化)
#   households_per_year homes adapted in each year
MEASURES = ("per_1000", "share", "total", "added", "coverage", "count", "floor_space", "households",
            "households_per_year")
MEASURED_ON_ZH = {"county": "县（市、区）", "street": "街道", "community": "社区", "village": "行政村", "city": "全市"}

# Coverage layers: sub-units of a planning unit, how many are covered already, and the project types covering them.
LAYERS = {
    "community_elderly": ("communities", "communities_elderly_covered", ("community_care",)),
    "village_mutual_aid": ("villages", "villages_mutual_aid_covered", ("rural_mutual_aid",)),
    "street_institution": ("streets", "streets_covered", ("comprehensive_institution",)),
    "community_childcare": ("communities", "communities_childcare_covered", ("community_childcare",)),
}


@dataclass(frozen=True)
class TargetSpec:
    """How one target parameter is measured; the numbers themselves come from the parameter files."""

    id: str
    kind: str  # elderly | childcare: whose capacity counts
    measure: str  # one of MEASURES
    scope: str  # each_district | each_county | aggregate | proportional
    title_zh: str
    title_en: str
    residential_area: str | None = None  # only districts with this residential_area value
    measured_on: str = "county"  # the unit the indicator is counted on: a key of MEASURED_ON_ZH
    unit_zh: str = "个"  # what a shortfall counts, for people
    weight: int = 1  # default weight of one unit of shortfall in the first objective
    qualifying: str | None = None  # share: nursing | inclusive | private (beds run by 社会力量)
    strict: bool = False  # share "超过": strictly more than
    layers: tuple[str, ...] = ()  # coverage: keys of LAYERS
    facility_types: tuple[str, ...] = ()  # count: project types that count (empty: public or inclusive childcare)
    existing_column: str | None = None  # count / floor_space: the districts column of what exists


SPECS = {
    spec.id: spec for spec in (
        TargetSpec("childcare_slots_per_1000", "childcare", "per_1000", "each_county", "每千人口托位数",
                   "places per 1,000 residents", unit_zh="个托位"),
        TargetSpec("childcare_inclusive_share", "childcare", "share", "each_county", "普惠性托位占比",
                   "inclusive share of places", unit_zh="个普惠托位", qualifying="inclusive"),
        TargetSpec("elderly_beds_total", "elderly", "total", "aggregate", "养老服务床位总数", "elderly-care beds",
                   measured_on="city", unit_zh="张床位"),
        TargetSpec("elderly_nursing_share", "elderly", "share", "each_county", "护理型养老床位占比",
                   "nursing share of beds", unit_zh="张护理型床位", qualifying="nursing"),
        TargetSpec("new_residential_slots_per_1000", "childcare", "per_1000", "each_district",
                   "新建居住区每千人口托位", "places per 1,000 residents, new residential areas", "new",
                   measured_on="community", unit_zh="个托位"),
        TargetSpec("old_residential_slots_per_1000", "childcare", "per_1000", "each_district",
                   "老城区每千人口托位", "places per 1,000 residents, old residential areas", "old",
                   measured_on="community", unit_zh="个托位"),
        # issue 20: every other facility target of the plan
        TargetSpec("home_community_care_coverage", "elderly", "coverage", "aggregate", "居家社区养老服务覆盖率",
                   "communities and villages with home and community care", measured_on="community",
                   unit_zh="个社区（村）", weight=100, layers=("community_elderly", "village_mutual_aid")),
        TargetSpec("rural_mutual_aid_coverage", "elderly", "coverage", "aggregate", "农村互助养老服务设施覆盖率",
                   "villages with a rural mutual-aid facility", measured_on="village", unit_zh="个行政村",
                   weight=100, layers=("village_mutual_aid",)),
        TargetSpec("urban_community_care_coverage", "elderly", "coverage", "aggregate", "城市社区养老服务设施覆盖率",
                   "urban communities with an elderly-care facility", measured_on="community", unit_zh="个社区",
                   weight=100, layers=("community_elderly",)),
        TargetSpec("street_institution_coverage", "elderly", "coverage", "aggregate", "街道具备综合功能的养老机构覆盖率",
                   "streets with a comprehensive elderly-care institution", measured_on="street", unit_zh="个街道",
                   weight=100, layers=("street_institution",)),
        TargetSpec("community_childcare_coverage", "childcare", "coverage", "aggregate", "社区托育服务覆盖率",
                   "urban communities with childcare", measured_on="community", unit_zh="个社区", weight=100,
                   layers=("community_childcare",)),
        TargetSpec("county_public_childcare_institution", "childcare", "count", "each_county",
                   "每县公办或普惠托育服务机构", "public or inclusive childcare institutions per county",
                   unit_zh="所", weight=1000, existing_column="public_inclusive_childcare_institutions"),
        TargetSpec("city_childcare_guidance_centre", "childcare", "count", "aggregate", "市级综合性托育服务指导中心",
                   "the city's childcare guidance centre", measured_on="city", unit_zh="所", weight=1000,
                   facility_types=("city_guidance_centre",), existing_column="guidance_centres"),
        TargetSpec("community_elderly_facilities_added", "elderly", "count", "aggregate", "新增城乡社区养老服务设施",
                   "community and village elderly-care facilities added", measured_on="city", unit_zh="个",
                   weight=100, facility_types=("community_care", "rural_mutual_aid")),
        TargetSpec("new_residential_elderly_floor_space", "elderly", "floor_space", "each_district",
                   "新建住宅小区养老服务设施面积", "elderly-care floor space, new estates", "new",
                   measured_on="community", unit_zh="平方米", existing_column="elderly_floor_space"),
        TargetSpec("old_residential_elderly_floor_space", "elderly", "floor_space", "each_district",
                   "老城区改造居民区养老服务设施面积", "elderly-care floor space, old districts", "old",
                   measured_on="community", unit_zh="平方米", existing_column="elderly_floor_space"),
        TargetSpec("elderly_beds_added", "elderly", "added", "aggregate", "新增养老床位", "elderly-care beds added",
                   measured_on="city", unit_zh="张床位"),
        TargetSpec("private_operated_bed_share", "elderly", "share", "aggregate", "社会力量运营的养老床位占比",
                   "share of beds run by non-government operators", measured_on="city", unit_zh="张床位",
                   qualifying="private", strict=True),
        TargetSpec("childcare_slots_total", "childcare", "total", "aggregate", "全市托位总数", "childcare places",
                   measured_on="city", unit_zh="个托位"),
        TargetSpec("home_adaptation_households", "elderly", "households", "proportional",
                   "特殊困难老年人居家适老化改造", "homes adapted for older people in special difficulty",
                   unit_zh="户"),
        TargetSpec("home_adaptation_per_year", "elderly", "households_per_year", "aggregate", "每年适老化改造户数",
                   "homes adapted each year", measured_on="city", unit_zh="户"),
    )
}
SCOPES = ("each_district", "each_county", "aggregate", "proportional")
# the parameter whose values are planned for a target, when a reading chooses among several
READINGS = {"home_adaptation_households": ("home_adaptation_reading",
                                           {"table1": "home_adaptation_households",
                                            "annex2": "home_adaptation_households_annex2"})}


@dataclass(frozen=True)
class Target:
    spec: TargetSpec
    year: int
    value: float
    reference: Reference
    interpretation: str | None
    weight: int = 1
    parameter: str = ""  # the parameter the value comes from (differs from spec.id under a reading)

    @property
    def id(self) -> str:
        return self.spec.id

    def describe(self) -> str:
        shown = f"{self.value:.0%}" if self.spec.measure in ("share", "coverage") else f"{self.value:g}"
        return f"{self.year}年 {self.spec.title_zh} {shown}"


def _parameter_name(parameters: ParameterSet, name: str, jurisdiction: str, plan_year: int) -> str:
    if name not in READINGS:
        return name
    reading, choices = READINGS[name]
    chosen = parameters.get_or(PREFIX + reading, jurisdiction, dt.date(plan_year, 12, 31), None)
    if chosen not in choices:
        raise ValueError(f"{reading} 应为 {'/'.join(choices)}，不能为 {chosen!r} / {reading} must be one of "
                         f"{', '.join(choices)}, not {chosen!r}")
    return choices[chosen]


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
    """Every target in force at each checkpoint: the years a target value is dated in, and the plan year
    (a yearly floor: every plan year it is in force)."""
    scopes, weights = dict(scopes or {}), dict(weights or {})
    for name in (*scopes, *weights):
        if name not in SPECS:
            raise KeyError(f"未知目标 / unknown target {name!r}; one of {', '.join(SPECS)}")
    for name, scope in scopes.items():
        measure = SPECS[name].measure
        # homes are planned per county: a households target is per county, the city or shared out to counties
        allowed = (SCOPES[1:] if measure == "households" else SCOPES if measure == "total"
                   else ("aggregate",) if measure == "households_per_year" else SCOPES[:3])
        if scope not in allowed:
            raise ValueError(f"目标 {name} 的范围不能为 / target {name} cannot have scope {scope!r}")
    for name, weight in weights.items():
        if int(weight) < 0:
            raise ValueError(f"目标 {name} 的权重不能为负 / the weight of {name} must not be negative")
    targets = []
    for name, spec in SPECS.items():
        if only is not None and name not in only:
            continue
        if scopes.get(name):
            spec = replace(spec, scope=scopes[name])
        source = _parameter_name(parameters, name, jurisdiction, plan_year)
        chain = parameters.chain(PREFIX + source, jurisdiction)
        if not chain:
            continue
        if spec.measure == "households_per_year":
            checkpoints = list(range(first_year, plan_year + 1))
        else:
            dated_years = {d.year for p in chain for d, _ in p.values}
            checkpoints = sorted({y for y in dated_years if first_year <= y <= plan_year} | {plan_year})
        for year in checkpoints:
            try:
                parameter = parameters.find(PREFIX + source, jurisdiction, dt.date(year, 12, 31))
                value = parameter.at(dt.date(year, 12, 31))
            except (ParameterNotFound, LookupError):
                continue
            if value is None:
                continue
            targets.append(Target(spec, year, float(value), parameter.reference, parameter.interpretation,
                                  int(weights.get(name, spec.weight)), source))
    return targets
