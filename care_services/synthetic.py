"""Seeded generator of synthetic applicants (clearly labelled: ``synthetic`` is True on every row).

Same seed, same people. What the distributions rest on:

- Where people live and how many live in towns: the 2020 census per county (sample_data/population_2020.csv),
  weighted by resident population; urban share per county.
- Share aged 60+ among disabled people, 53.24%, share of men, 51.55%, and the mix of disability categories:
  第二次全国残疾人抽样调查主要数据公报 (2006), the last national sample survey.
- Share aged 80+ among those 60+: the county's census figures.
- Everything else is an assumption of this generator (``ASSUMED`` below), chosen so that a batch holds
  eligible and ineligible applicants for every criterion of 宜府办发〔2023〕20号; it describes no real caseload.

ID numbers carry valid check digits (so they pass input validation) and may, by chance, equal a real person's;
they must never be used outside testing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from care_services.identifiers import ID_CHECK_CHARACTERS, ID_WEIGHTS
from care_services.model import Person
from care_services.store import read_sample

# 第二次全国残疾人抽样调查主要数据公报（2006年）.
SURVEY_2006_CATEGORY_SHARES = {
    "visual": 0.1486, "hearing": 0.2416, "speech": 0.0153, "physical": 0.2907,
    "intellectual": 0.0668, "mental": 0.0740, "multiple": 0.1630,
}
SURVEY_2006_SHARE_60_PLUS = 0.5324
SURVEY_2006_SHARE_MALE = 0.5155
CATEGORY_DIGIT = {"visual": "1", "hearing": "2", "speech": "3", "physical": "4",
                  "intellectual": "5", "mental": "6", "multiple": "7"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉珍凤春海金荣德文福"


@dataclass(frozen=True)
class Assumptions:
    """Shares with no official source, chosen for useful test batches. Each is a probability."""

    severe_grade: float = 0.75  # grade 1 or 2, among applicants (the scheme is for grades 1-2)
    no_certificate: float = 0.05  # applied without a disability certificate
    dibao: float = 0.60  # 低保户
    at_risk_of_poverty: float = 0.30  # 易返贫致贫
    tekun: float = 0.06  # already in 特困 support (excluded by the scheme)
    service_shares: dict = field(default_factory=lambda: {"home_care": 0.75, "day_care": 0.10, "institutional_care": 0.15})


ASSUMED = Assumptions()
DEFAULT_AS_OF = dt.date(2025, 1, 1)  # a fixed reference date keeps a seed's output the same on every day


def _county_table(city_prefixes: tuple[str, ...]) -> pd.DataFrame:
    records = pd.DataFrame(read_sample("population", "population_2020.csv").records)
    records = records[records["division_code"].str[:4].isin(city_prefixes)]
    if records.empty:
        raise ValueError(f"no census counties for city codes {city_prefixes}")
    return records.reset_index(drop=True)


def _ages(rng: np.random.Generator, counties: pd.DataFrame, county_index: np.ndarray) -> np.ndarray:
    n = len(county_index)
    old = rng.random(n) < SURVEY_2006_SHARE_60_PLUS
    share_80 = (counties["aged_80_plus"] / counties["aged_60_plus"]).to_numpy()[county_index]
    very_old = old & (rng.random(n) < share_80)
    ages = rng.integers(16, 60, n)
    ages = np.where(old, rng.integers(60, 80, n), ages)
    # Past 80 numbers fall steeply: an exponential tail, capped at 105.
    return np.where(very_old, np.minimum(80 + rng.exponential(5.0, n).astype(int), 105), ages)


def _id_numbers(rng: np.random.Generator, codes: np.ndarray, births: pd.Series, male: np.ndarray) -> list[str]:
    sequence = rng.integers(0, 500, len(codes)) * 2 + male.astype(int)  # odd for men, even for women
    first17 = [f"{c}{b:%Y%m%d}{s:03d}" for c, b, s in zip(codes, births, sequence)]
    digits = np.array([[int(ch) for ch in number] for number in first17])
    checks = (digits @ np.array(ID_WEIGHTS)) % 11
    return [number + ID_CHECK_CHARACTERS[k] for number, k in zip(first17, checks)]


def _names(rng: np.random.Generator, n: int) -> list[str]:
    surnames = rng.choice(list(SURNAMES), n)
    first = rng.choice(list(GIVEN), n)
    second = np.where(rng.random(n) < 0.7, rng.choice(list(GIVEN), n), "")
    return [s + a + b for s, a, b in zip(surnames, first, second)]


def generate_people(
    n: int,
    seed: int,
    *,
    city_prefixes: tuple[str, ...] = ("3609",),
    as_of: dt.date = DEFAULT_AS_OF,
    assumptions: Assumptions = ASSUMED,
) -> pd.DataFrame:
    """``n`` synthetic applicants as a frame whose columns are the Person model's."""
    if n < 0:
        raise ValueError("n must not be negative")
    rng = np.random.default_rng(seed)
    counties = _county_table(city_prefixes)
    weights = counties["total"].to_numpy(dtype=float)
    county_index = rng.choice(len(counties), n, p=weights / weights.sum())
    codes = counties["division_code"].to_numpy()[county_index]
    urban_share = (counties["urban"] / counties["total"]).to_numpy()[county_index]

    ages = _ages(rng, counties, county_index)
    days_into_year = rng.integers(0, 365, n)
    births = pd.Series([
        dt.date(as_of.year - int(age) - 1, 1, 1) + dt.timedelta(days=int(d)) for age, d in zip(ages, days_into_year)
    ])
    male = rng.random(n) < SURVEY_2006_SHARE_MALE
    id_numbers = _id_numbers(rng, codes, births, male)
    # A repeat of an ID is possible only between two people of the same county, birthday and sequence: redraw.
    seen: set[str] = set()
    for i, number in enumerate(id_numbers):
        while number in seen:
            number = _id_numbers(rng, codes[i:i + 1], births[i:i + 1].reset_index(drop=True), male[i:i + 1])[0]
        seen.add(number)
        id_numbers[i] = number

    categories = rng.choice(list(SURVEY_2006_CATEGORY_SHARES), n, p=list(SURVEY_2006_CATEGORY_SHARES.values()))
    severe = rng.random(n) < assumptions.severe_grade
    grades = np.where(severe, rng.integers(1, 3, n), rng.integers(3, 5, n))
    has_certificate = rng.random(n) >= assumptions.no_certificate
    certificates = [
        f"{number}{CATEGORY_DIGIT[c]}{g}" if has else None
        for number, c, g, has in zip(id_numbers, categories, grades, has_certificate)
    ]
    # Severe grades mostly fail 4-6 activities, milder ones 0-3 (assumed).
    failed = np.where(severe, rng.choice([2, 3, 4, 5, 6], n, p=[0.05, 0.10, 0.30, 0.30, 0.25]),
                      rng.choice([0, 1, 2, 3, 4], n, p=[0.35, 0.25, 0.20, 0.15, 0.05]))
    adl = np.argsort(rng.random((n, 6)), axis=1) < failed[:, None]  # which activities fail, at random
    care_level = np.select([failed >= 4, failed >= 1], ["disabled", "semi_disabled"], "independent")
    services = rng.choice(list(assumptions.service_shares), n, p=list(assumptions.service_shares.values()))

    frame = pd.DataFrame({
        "id_number": id_numbers,
        "name": _names(rng, n),
        "hukou_division_code": codes,
        "hukou_area": np.where(rng.random(n) < urban_share, "urban", "rural"),
        "dibao_household": rng.random(n) < assumptions.dibao,
        "at_risk_of_poverty": rng.random(n) < assumptions.at_risk_of_poverty,
        "tekun_supported": rng.random(n) < assumptions.tekun,
        "disability_certificate_number": certificates,
        **{name: adl[:, i] for i, name in enumerate(Person.ADL_FIELDS)},
        "care_level": care_level,
        "requested_service": services,
        "synthetic": True,
        "note": f"合成数据（非真实人员），seed={seed} / synthetic, not a real person",
    })
    return frame[[c.key for c in Person.__table__.columns]]
