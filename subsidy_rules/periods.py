"""Periods in months and years as the law counts them (中华人民共和国民法典 第二百零一条、第二百零二条).

第二百零一条: “按照年、月、日、小时计算期间的，开始的当日不计入，自下一日开始计算。”
第二百零二条: “按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的最后一日。”

So a period of N months that starts on day d ends on day d of the N-th month after (the start day itself is not
counted), or on that month's last day when it has no day d: opened on 2024-02-29, a year is complete on
2025-02-28; admitted on 2024-01-31, a month is complete on 2024-02-29 (2023-02-28 in a common year). Every
"满N个月/年", "N个月以上" and every limit in months or years in the schemes, the payroll and the budget is counted
here, so the rule lives in one place.
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pandas as pd

CIVIL_CODE = ("中华人民共和国民法典", "第二百零二条",
              "按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的最后一日")


def ymd(values) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day, days in that month (numpy datetime arithmetic) and where the date is missing.

    ``values``: a Series of dates, or an engine date column (its ``data``, datetime64, taken as it is)."""
    data = getattr(values, "data", None)
    if isinstance(data, np.ndarray) and data.dtype.kind == "M":
        stamps = data
    else:
        stamps = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(stamps)
    days = stamps.astype("datetime64[D]")
    months = stamps.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    length = ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(np.int64)
    return year, month, day, length, missing


_MONTH_LENGTHS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def days_in_month(year, month):
    """Days in each (year, month), Gregorian leap years included (integers in, integers out)."""
    year, month = np.asarray(year, dtype=np.int64), np.asarray(month, dtype=np.int64)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return _MONTH_LENGTHS[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)


def months_complete(sy, sm, sd, ey, em, ed):
    """Whole months from (sy, sm, sd) complete by (ey, em, ed): the corresponding day of the end month, or its last
    day when it has none (没有对应日的，月末日为期间的最后一日)."""
    corresponding = np.minimum(sd, days_in_month(ey, em))
    return (ey - sy) * 12 + (em - sm) - (ed < corresponding)


def completed_months(start, end) -> pd.Series:
    """Whole months of a period that began on ``start``, complete by ``end`` (民法典 第二百零二条).

    A month is complete on the corresponding day of the end month, or on its last day when it has none.
    """
    sy, sm, sd, _, s_missing = ymd(start)
    ey, em, ed, _, e_missing = ymd(end)
    months = months_complete(sy, sm, sd, ey, em, ed)
    return pd.Series(pd.arrays.IntegerArray(months, s_missing | e_missing), index=start.index)


def completed_years(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole years (twelve months each) of a period that began on ``start``, complete by ``end``."""
    return completed_months(start, end) // 12


def period_end(start: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` months that begins after ``start`` (第二百零一条、第二百零二条)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))

