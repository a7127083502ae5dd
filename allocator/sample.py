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

import numpy as np
import pandas as pd

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
    projects = project_list()
    return pd.DataFrame({
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
    })
