"""The administrative divisions the system holds (sample_data/divisions.csv, GB/T 2260): codes and names."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

DIVISIONS_FILE = Path(__file__).resolve().parent.parent / "sample_data" / "divisions.csv"


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    with DIVISIONS_FILE.open(encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def known_codes() -> set[str]:
    return set(_names())


def division_name(code: str) -> str:
    """The name of a six-digit code or of a 2- / 4-digit prefix (36 → 江西省, 3604 → 九江市); the code if unknown."""
    return _names().get(code.ljust(6, "0"), code)


# English names of the province, the two cities the schemes name as their jurisdiction and the counties that set
# parameters of their own; other divisions are named by the city that holds them and their code (the division list
# holds Chinese names only).
ENGLISH_NAMES = {"36": "Jiangxi Province", "3604": "Jiujiang", "3609": "Yichun", "360402": "Lianxi District",
                 "360403": "Xunyang District", "360404": "Chaisang District", "360902": "Yuanzhou District"}


def english_name(code: str) -> str:
    """A code or prefix as an English sentence names it: Yichun; Lianxi District (360402); a division of Yichun
    (360981); the code if unknown. A county keeps its code beside its name, as the Chinese messages do."""
    if code in ENGLISH_NAMES:
        return ENGLISH_NAMES[code] + (f" ({code})" if len(code) == 6 else "")
    city = ENGLISH_NAMES.get(code[:4])
    return f"a division of {city} ({code})" if city else code


# GB/T 2260 province-level codes, and Jiangxi's eleven cities (南昌…上饶): a code outside them names no division.
PROVINCE_CODES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
                  "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"}
JIANGXI_CITIES = {f"36{n:02d}" for n in range(1, 12)}


def unknown_division(code: str) -> bool:
    """A code (2, 4 or 6 digits) that names no division: not of a province; in Jiangxi, not of one of its cities;
    inside a city whose counties the system holds (九江, 宜春), not one of them. A real code elsewhere is a place
    where a scheme may simply not be in force, which is an answer, not an input error."""
    if not (code.isdigit() and len(code) in (2, 4, 6)) or code[:2] not in PROVINCE_CODES:
        return True
    if code[:2] == "36" and len(code) >= 4 and code[2:4] != "00" and code[:4] not in JIANGXI_CITIES:
        return True
    return len(code) == 6 and code[:4] in _held_cities() and code[4:] != "00" and code not in _names()


@lru_cache(maxsize=1)
def _held_cities() -> frozenset[str]:
    """The cities whose counties the system holds (every evaluation asks: built once, not per call)."""
    return frozenset(c[:4] for c in _names() if c[4:] != "00")
