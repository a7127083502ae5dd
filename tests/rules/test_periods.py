"""民法典 第二百零二条: "到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的最后一日"."""

import datetime as dt

import pandas as pd
import pytest

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


# The schemes' month-end cases (items 13, 14, 15) are golden cases in tests/rules/cases/*.yaml.
