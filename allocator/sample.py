"""The Jiujiang planning instance built from the bundled sample data (census 2020, 九府办字[2022]113号).

What the sources give and what is estimated (the district table marks estimated rows):
- population, aged 60+ and under 3 per county: 2020 census (sample_data/population_2020.csv; under 3 is itself an
  estimate, see its source column);
- existing beds, nursing beds and places: only city totals are published (一（一）: 养老床位2.68万张, 护理型床位
  1.42万张, 托位1.68万个). They are shared out to the 13 counties in proportion to the population aged 60+ (beds)
  and the total population (places), by largest remainders so the county figures add up to the city totals;
- existing inclusive (普惠) places: 10% of places, the 2021 base value of 表2 第8项;
- central city, urban or rural, and the ownership of projects where 附件4 leaves it blank: as read in
  care_services/jiujiang.py.
Projects come from 附件4 with their completion year as the earliest year.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from allocator.data import FACILITY_OF_PROJECT_TYPE, township_kind
from care_services.jiujiang import CENTRAL_CITY, CITY, county_areas, project_list, records

INCLUSIVE_BASE_SHARE = 0.10  # 表2 第8项 普惠性托位占比 2021年基期值 10%


def largest_remainder(total: int, weights: pd.Series) -> pd.Series:
    """Integers proportional to ``weights`` that add up to ``total`` exactly."""
    exact = weights / weights.sum() * total
    floors = np.floor(exact).astype(int)
    rest = int(total - floors.sum())
    order = (exact - floors).sort_values(ascending=False, kind="stable").index[:rest]
    floors.loc[order] += 1
    return floors


def jiujiang_districts() -> pd.DataFrame:
    population = records("population", "population_2020.csv")
    population = population[population["division_code"].str.startswith("3604")].copy()
    divisions = records("divisions", "divisions.csv").set_index("code")["name"]
    supply = records("supply", "supply_jiujiang.csv").set_index("division_code").loc[CITY]
    frame = population.set_index("division_code", drop=False)
    slots = largest_remainder(int(supply["childcare_slots"]), frame["total"])
    return pd.DataFrame({
        "division_code": frame["division_code"],
        "name": frame["division_code"].map(divisions),
        "population": frame["total"].astype(int),
        "aged_60_plus": frame["aged_60_plus"].astype(int),
        "under_3": frame["under_3"].astype(int),
        "elderly_beds": largest_remainder(int(supply["elderly_beds"]), frame["aged_60_plus"]),
        "nursing_beds": largest_remainder(int(supply["nursing_beds"]), frame["aged_60_plus"]),
        "childcare_slots": slots,
        "inclusive_slots": largest_remainder(round(int(supply["childcare_slots"]) * INCLUSIVE_BASE_SHARE), frame["total"]),
        "area": frame["division_code"].map(county_areas()),
        "in_central_city": frame["division_code"].isin(CENTRAL_CITY),
        "estimated": True,
    }).reset_index(drop=True)


def jiujiang_projects() -> pd.DataFrame:
    """附件4's projects, with their facility types (and sites) for the coverage and count targets."""
    projects = project_list()
    return with_facility_types(pd.DataFrame({
        "code": projects["code"],
        "name": projects["name"],
        "division_code": projects["division_code"],
        "kind": projects["kind"],
        "construction": projects["construction"],
        "capacity": projects["capacity_added"],
        "capacity_max": projects["capacity_added_max"],
        "ownership": projects["ownership"],
        "investment_10k_cny": projects["investment_10k_cny"],
        "earliest_year": projects["completion"].str[:4].astype("Int64"),
    }))


# ------------------------------------------------------------------------------ township level (issue 20)
# What the sources do not give and the sample must estimate (every estimated row says so in estimate_note):
# - township population, aged 60+, under 3, households, beds and places: the county's figures shared equally among
#   its township-level units (no township census figures are bundled);
# - communities and villages: no village- or community-level list is available (../shared/data/README.md), so a
#   街道 is assumed to have 6 urban communities, a 镇 2 communities and 8 villages, a 乡 8 villages, another unit
#   (development zone, farm) 1 community — planning assumptions, replaced as soon as a planner uploads a table;
# - what is covered already: the 2021 base rates of the plan shared out — communities with elderly care 90%
#   (一（一）“城市居家和社区养老服务设施覆盖率90%”), villages with mutual-aid facilities 74% (表1 第5项), communities
#   with childcare 25% (表2 第9项), streets with a comprehensive institution 84% (表1 第6项, the first streets by code);
# - beds run by 社会力量: the beds times the private share of institutions (48 of 240, 一（一）); homes adapted by 2021:
#   1,500 (附件2 第4项) by population aged 60+; public or inclusive childcare institutions per county and the city
#   guidance centre: not published, counted as none.
ASSUMED_SUBUNITS = {"street": (6, 0), "town": (2, 8), "township": (0, 8), "other": (1, 0)}  # (communities, villages)
BASE_COVERAGE = {"communities_elderly_covered": ("communities", 0.90),
                 "villages_mutual_aid_covered": ("villages", 0.74),
                 "communities_childcare_covered": ("communities", 0.25)}
STREET_BASE_COVERAGE = 0.84  # 表1 第6项 2021年基期值
PRIVATE_INSTITUTION_SHARE = (48, 240)  # 一（一）: 民办养老机构48家 of 养老机构240家
ADAPTED_BY_2021 = 1500  # 附件2 第4项
ESTIMATE_NOTE = ("人口、户数、床位、托位按县数平均分到乡镇；社区、村数为假定数；已覆盖数按2021年基期覆盖率分解；"
                 "社会力量运营床位按民办机构占比估算")

# 附件4 project types -> facility types; how many sites a project of community facilities has is in its name
SITES_IN_NAME = re.compile(r"(\d+)\s*(?:家|个|所)")


def division_names() -> dict[str, str]:
    names = records("divisions", "divisions.csv").set_index("code")["name"].to_dict()
    names.update(records("divisions", "townships_2022.csv").set_index("code")["name"].to_dict())
    return names


def _shared(total: int, weights: pd.Series) -> pd.Series:
    return largest_remainder(int(total), weights) if weights.sum() > 0 else weights * 0


def jiujiang_townships() -> pd.DataFrame:
    """Jiujiang's 227 township-level units (NBS, 2022) as planning units, with the estimates described above."""
    counties = jiujiang_districts().set_index("division_code")
    townships = records("divisions", "townships_2022.csv")
    townships = townships[townships["parent_code"].isin(counties.index)].reset_index(drop=True)
    kind = townships["name"].map(township_kind)
    frame = pd.DataFrame({"division_code": townships["code"], "name": townships["name"],
                          "county_code": townships["parent_code"], "township_kind": kind})
    frame["communities"] = kind.map(lambda k: ASSUMED_SUBUNITS[k][0]).astype(int)
    frame["villages"] = kind.map(lambda k: ASSUMED_SUBUNITS[k][1]).astype(int)
    population = records("population", "population_2020.csv").set_index("division_code")
    columns = {"population": counties["population"], "aged_60_plus": counties["aged_60_plus"],
               "under_3": counties["under_3"], "households": population["households"].astype(int),
               "elderly_beds": counties["elderly_beds"], "nursing_beds": counties["nursing_beds"],
               "childcare_slots": counties["childcare_slots"], "inclusive_slots": counties["inclusive_slots"]}
    for column in columns:
        frame[column] = 0
    for county, rows in frame.groupby("county_code").groups.items():
        equal = pd.Series(1, index=rows)
        for column, totals in columns.items():
            frame.loc[rows, column] = _shared(int(totals[county]), equal)
    frame["area"] = np.where(kind == "street", "urban", "rural")
    frame["in_central_city"] = frame["county_code"].isin(CENTRAL_CITY)
    _estimate_existing(frame)
    frame["estimated"] = True
    frame["estimate_note"] = ESTIMATE_NOTE
    return frame


def _estimate_existing(frame: pd.DataFrame) -> None:
    """The base-year coverage, social operators' beds and adapted homes shared out (see above), in place."""
    for column, (of, rate) in BASE_COVERAGE.items():
        frame[column] = np.minimum(_shared(round(frame[of].sum() * rate), frame[of]), frame[of])
    streets = frame.index[frame.get("township_kind", pd.Series(None, index=frame.index)) == "street"]
    frame["streets_covered"] = False
    frame.loc[streets[:round(len(streets) * STREET_BASE_COVERAGE)], "streets_covered"] = True
    share, of = PRIVATE_INSTITUTION_SHARE
    frame["private_operated_beds"] = np.minimum(
        _shared(round(frame["elderly_beds"].sum() * share / of), frame["aged_60_plus"]), frame["elderly_beds"])
    frame["adapted_households"] = _shared(ADAPTED_BY_2021, frame["aged_60_plus"])
    frame["public_inclusive_childcare_institutions"] = 0
    frame["guidance_centres"] = 0


def jiujiang_county_table() -> pd.DataFrame:
    """The 13 counties with the township estimates summed up to them (communities, villages, coverage)."""
    counties = jiujiang_districts()
    townships = jiujiang_townships()
    summed = townships.groupby("county_code")[["communities", "villages", *BASE_COVERAGE]].sum()
    for column in summed.columns:
        counties[column] = counties["division_code"].map(summed[column]).fillna(0).astype(int)
    for column in ("communities_elderly_covered", "villages_mutual_aid_covered", "communities_childcare_covered"):
        counties[column] = np.minimum(counties[column], counties[BASE_COVERAGE[column][0]])
    share, of = PRIVATE_INSTITUTION_SHARE
    counties["private_operated_beds"] = _shared(round(counties["elderly_beds"].sum() * share / of),
                                                counties["aged_60_plus"])
    counties["adapted_households"] = _shared(ADAPTED_BY_2021, counties["aged_60_plus"])
    counties["estimate_note"] = ESTIMATE_NOTE
    return counties


def with_facility_types(projects: pd.DataFrame) -> pd.DataFrame:
    """附件4 projects with their facility type and, for community facilities, the number of sites in the name."""
    source = project_list().set_index("code")
    out = projects.copy()
    kinds = source.loc[out["code"], "project_type"].fillna("").to_numpy()
    names = out["name"].astype(str)
    facility = [FACILITY_OF_PROJECT_TYPE.get(t, "institution") if k == "elderly" else
                ("city_guidance_centre" if name.startswith("九江市托育综合服务中心")
                 else "community_childcare" if ("社区托育" in name or "托育点" in name) else "childcare_institution")
                for t, k, name in zip(kinds, out["kind"], names)]
    out["facility_type"] = facility
    community = out["facility_type"].isin(("community_care", "rural_mutual_aid"))
    sites = names.str.extract(SITES_IN_NAME)[0].astype(float)
    out["sites"] = np.where(community & sites.notna(), sites.fillna(1), 1).astype(int)
    return out
