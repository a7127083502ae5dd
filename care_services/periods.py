"""Construction periods as officials write them ("2021年12月1日至2022年12月1日", "2023年底前", "2022-2023年")."""

from __future__ import annotations

import re
import unicodedata

_YEAR_RANGE = re.compile(r"(\d{4})\s*[-—–~至]\s*(\d{4})\s*年")
_POINT = re.compile(r"(\d{4})\s*年\s*(?:(\d{1,2})\s*月)?\s*(?:(\d{1,2})\s*日)?")


def _iso(year: str, month: str | None, day: str | None) -> str:
    if month and day:
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    if month:
        return f"{int(year):04d}-{int(month):02d}"
    return f"{int(year):04d}"


def parse_period(text: str | None) -> tuple[str | None, str | None]:
    """(start, end) as ISO date, year-month or year; a single point in time is read as the completion."""
    if not text:
        return None, None
    folded = unicodedata.normalize("NFKC", text)
    folded = _YEAR_RANGE.sub(r"\1年-\2年", folded)
    points = [_iso(*m.groups()) for m in _POINT.finditer(folded)]
    if not points:
        return None, None
    if len(points) == 1:
        # "2023年底前", "预计2023年5月完工", "2023年11月": a lone date in a project list is when it is done.
        return None, points[0]
    return points[0], points[-1]


def completion_year(end: str | None) -> int | None:
    return int(end[:4]) if end else None
