"""民法典 第二百零二条: "到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的最后一日"."""

import datetime as dt

import pandas as pd
import pytest

from subsidy_rules.engine import evaluate
from subsidy_rules.periods import completed_months, completed_years, period_end


def months(start: str, end: str) -> int:
    return int(completed_months(pd.Series([pd.Timestamp(start)]), pd.Series([pd.Timestamp(end)])).iloc[0])


@pytest.mark.parametrize("start, end, expected", [
    ("2024-01-15", "2024-02-14", 0),  # the corresponding day not reached
    ("2024-01-15", "2024-02-15", 1),  # 到期月的对应日
    ("2024-01-31", "2024-02-28", 0),  # a leap year: February has a 29th
    ("2024-01-31", "2024-02-29", 1),  # 没有对应日的，月末日 (leap year)
    ("2023-01-31", "2023-02-28", 1),  # 月末日 in a common year
    ("2024-03-31", "2024-04-30", 1),  # 30-day month
    ("2024-03-30", "2024-04-29", 0),
    ("2024-08-31", "2024-09-30", 1),
    ("2024-01-01", "2024-01-31", 0),
    ("2024-02-29", "2025-02-28", 12),  # 运营满一年 from a leap day
    ("2024-02-29", "2025-02-27", 11),
    ("2024-02-29", "2028-02-28", 47),  # 2028 is a leap year: the 29th exists, so the 28th is not the end
    ("2024-02-29", "2028-02-29", 48),
    ("2023-05-31", "2023-11-30", 6),  # 运营半年以上
    ("2023-05-31", "2023-11-29", 5),
])
def test_completed_months_follow_article_202(start, end, expected):
    assert months(start, end) == expected


def test_missing_dates_stay_unknown_and_years_are_twelve_months():
    result = completed_months(pd.Series([pd.NaT, pd.Timestamp("2024-02-29")]), pd.Series([pd.Timestamp("2025-01-01")] * 2))
    assert result.isna().tolist() == [True, False]
    assert int(completed_years(pd.Series([pd.Timestamp("2024-02-29")]), pd.Series([pd.Timestamp("2025-02-28")])).iloc[0]) == 1


@pytest.mark.parametrize("start, n, last_day", [
    (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)), (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
    (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)), (dt.date(2024, 5, 15), 36, dt.date(2027, 5, 15)),
])
def test_period_end_is_the_corresponding_day_or_the_month_end(start, n, last_day):
    assert period_end(start, n) == last_day


OWNED = dict(ownership="private_non_profit", premises="self_built", ordinary_beds=100, nursing_beds=50,
             built_to_standard=True, in_central_city=True)


@pytest.mark.parametrize("opened_on, date, city", [("2024-02-29", "2025-02-28", 275_000), ("2024-02-29", "2025-02-27", 0)])
def test_J附件3_13_one_year_of_operation_from_a_leap_day(opened_on, date, city):
    """九府办字[2022]113号 附件3 第13项 "运营满一年": opened on 2024-02-29, the year is complete on 2025-02-28."""
    answer = evaluate("elderly_institution_construction", OWNED | dict(opened_on=opened_on), date=date, jurisdiction="360402")
    assert answer["funding"]["city"] == city


STAY = dict(in_central_city=True, ownership="private_non_profit", built_to_standard=True, resident_local_hukou=True,
            government_supported=False, birth_date="1950-01-01")


@pytest.mark.parametrize("admitted_on, date, eligible", [
    ("2024-01-31", "2024-02-29", True), ("2024-01-31", "2024-02-28", False), ("2023-01-31", "2023-02-28", True)])
def test_J附件3_14_a_month_of_stay_ends_at_the_month_end(admitted_on, date, eligible):
    """附件3 第14项 "入住满一个月以上": admitted on 01-31, the month is complete on the last day of February."""
    answer = evaluate("elderly_institution_operation", STAY | dict(admitted_on=admitted_on), date=date, jurisdiction="360402")
    assert answer["eligible"] is eligible


@pytest.mark.parametrize("started, date, eligible", [
    ("2024-02-29", "2027-02-27", True), ("2024-02-29", "2027-02-28", False)])
def test_J附件3_14_the_three_year_limit_ends_at_the_month_end(started, date, eligible):
    """附件3 第14项 "补贴期限三年": begun on 2024-02-29, the three years are complete on 2027-02-28."""
    answer = evaluate("elderly_institution_operation", STAY | dict(admitted_on="2024-01-01", subsidy_started_on=started),
                      date=date, jurisdiction="360402")
    assert answer["eligible"] is eligible


@pytest.mark.parametrize("opened_on, date, eligible", [("2023-08-31", "2024-02-29", True), ("2023-08-31", "2024-02-28", False)])
def test_J附件3_15_half_a_year_of_operation_ends_at_the_month_end(opened_on, date, eligible):
    """附件3 第15项 "运营半年以上": opened on 08-31, six months are complete on the last day of February."""
    answer = evaluate("community_care_center", dict(component="operation", built_to_plan_and_standard=True,
                                                   in_central_city=True, opened_on=opened_on),
                      date=date, jurisdiction="360402")
    assert answer["eligible"] is eligible


def test_a_criterion_that_does_not_apply_is_marked_so():
    """Owned premises: 租用期5年以上 does not apply (not a pass); a first claim: the three years do not apply yet."""
    owned = evaluate("elderly_institution_construction", OWNED | dict(opened_on="2022-01-01"), date="2024-01-01",
                     jurisdiction="360402")
    lease = next(c for c in owned["criteria"] if c["id"] == "lease_term")
    assert lease["applicable"] is False
    assert next(c for c in owned["criteria"] if c["id"] == "min_beds")["applicable"] is True
    first = evaluate("elderly_institution_operation", STAY | dict(admitted_on="2024-01-01"), date="2024-03-01",
                     jurisdiction="360402")
    assert next(c for c in first["criteria"] if c["id"] == "within_three_years")["applicable"] is False
