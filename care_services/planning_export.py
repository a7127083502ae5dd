"""`carecalc export districts`: the planning districts table `carecalc allocate --districts` reads, from the database.

One row per county-level division with its latest population (常住人口, 60岁及以上, 3岁以下) and existing supply.
Where a county's own supply is not recorded (the sample publishes city totals only, 九府办字[2022]113号 一（一）),
the city's total is shared out in proportion to the population aged 60+ (beds) and the total population (places)
by largest remainders, as ``allocator/sample.py`` does, and the row says 现有供给为估算.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from care_services.model import Division, Population, SupplySummary
from care_services.workbook import Column, ReportBook

HEADERS = (  # the allocator's own Chinese headers (allocator/data.py DISTRICT_COLUMNS)
    ("division_code", "区划代码", "id"), ("name", "名称", "text"), ("population", "常住人口", "integer"),
    ("aged_60_plus", "60岁及以上人口", "integer"), ("under_3", "3岁以下人口", "integer"),
    ("elderly_beds", "现有养老床位", "integer"), ("nursing_beds", "现有护理型床位", "integer"),
    ("childcare_slots", "现有托位", "integer"), ("inclusive_slots", "现有普惠托位", "integer"),
    ("estimated", "现有供给为估算", "text"),
)


def _latest(rows, key) -> dict:
    latest = {}
    for row in rows:
        if key(row) not in latest or row.year > latest[key(row)].year:
            latest[key(row)] = row
    return latest


def _shares(total: int, weights: pd.Series) -> pd.Series:
    from allocator.sample import largest_remainder

    if weights.sum() <= 0:
        return pd.Series(0, index=weights.index)
    return largest_remainder(int(total), weights.astype(float))


def planning_districts(session: Session, within: str | None = None) -> pd.DataFrame:
    counties = [d for d in session.scalars(select(Division).where(Division.level == "county").order_by(Division.code))
                if within is None or d.code.startswith(within.rstrip("0") or within)]
    population = _latest(session.scalars(select(Population)), lambda p: p.division_code)
    supply = _latest(session.scalars(select(SupplySummary)), lambda s: s.division_code)
    rows = []
    for county in counties:
        people = population.get(county.code)
        if people is None:
            continue  # no population: the allocator cannot plan for it
        own = supply.get(county.code)
        rows.append({"division_code": county.code, "name": county.name, "parent": county.parent_code,
                     "population": int(people.total or 0), "aged_60_plus": int(people.aged_60_plus or 0),
                     "under_3": int(people.under_3 or 0),
                     "elderly_beds": own and own.elderly_beds, "nursing_beds": own and own.nursing_beds,
                     "childcare_slots": own and own.childcare_slots, "inclusive_slots": 0, "estimated": own is None})
    frame = pd.DataFrame(rows, columns=[*(h[0] for h in HEADERS), "parent"])
    for parent, part in frame[frame["estimated"]].groupby("parent"):
        city = supply.get(parent)
        if city is None:
            frame.loc[part.index, ["elderly_beds", "nursing_beds", "childcare_slots"]] = 0
            continue
        frame.loc[part.index, "elderly_beds"] = _shares(city.elderly_beds or 0, part["aged_60_plus"])
        frame.loc[part.index, "nursing_beds"] = _shares(city.nursing_beds or 0, part["aged_60_plus"])
        frame.loc[part.index, "childcare_slots"] = _shares(city.childcare_slots or 0, part["population"])
    for column in ("elderly_beds", "nursing_beds", "childcare_slots"):
        frame[column] = frame[column].fillna(0).astype(int)
    return frame.drop(columns="parent")


def write_districts(target, frame: pd.DataFrame) -> None:
    notes = {"estimated": "是：该县（市、区）未单独登记供给，按市级合计依人口比例分摊（最大余数法）"}
    columns = [Column(zh, kind, note=notes.get(key)) for key, zh, kind in HEADERS]
    with ReportBook(target) as book:
        sheet = book.sheet("区划")
        sheet.table(columns, ([*(r[key] for key, _, _ in HEADERS[:-1]), "是" if r["estimated"] else "否"]
                              for r in frame.to_dict("records")), freeze=2)
        sheet.print_setup()
