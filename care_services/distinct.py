"""The distinct values of a column of cells, so that what is done to a cell (converting it to a fact, rendering
it as workbook XML) is done once per distinct value instead of once per row: a column of 100,000 cases repeats a
few values (是, 否, 待定, a county's code, 600.0).

Python calls True, 1 and 1.0 equal (and 0.0 and -0.0), but they are different cells: a whole number in a yes/no
column is not the same input as 是, and -0.0 is written as -0. So values are told apart by their type as well as
their value, -0.0 apart from 0.0, and a value of a type whose equal values may still differ (an aware datetime,
a Decimal, a list) is its own distinct value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

MISSING = -1  # the code of None, NaN, pd.NA and NaT

_BY_VALUE = frozenset({str, int, float, bool, dt.date})
_MISSING_TYPES = frozenset({type(None), type(pd.NA), type(pd.NaT)})


def _by_value(kind: type) -> bool:
    """Equal values of this type are the same cell (so each distinct value stands for all its copies)."""
    return kind in _BY_VALUE or (kind.__module__ == "numpy"
                                 and kind.__name__.startswith(("int", "uint", "float", "bool", "str")))


def distinct_values(values: Sequence[Any]) -> tuple[np.ndarray, list]:
    """(codes, distinct): ``distinct[codes[i]]`` is ``values[i]`` (the same cell), and ``codes[i]`` is
    :data:`MISSING` for a missing value (None, NaN, pd.NA, NaT)."""
    n = len(values)
    array = np.empty(n, dtype=object)
    array[:] = values
    kinds = set(map(type, values)) - _MISSING_TYPES
    if len(kinds) <= 1 and all(_by_value(kind) for kind in kinds):
        codes, uniques = pd.factorize(array)
        return _negative_zeros(array, codes.astype(np.intp, copy=False), list(uniques))
    codes, distinct = np.full(n, MISSING, dtype=np.intp), []
    kind_of = np.fromiter(map(id, map(type, values)), dtype=np.int64, count=n)  # (an array of classes is slow)
    for kind in kinds:
        positions = np.flatnonzero(kind_of == id(kind))
        if _by_value(kind):
            part_codes, uniques = pd.factorize(array[positions])
            codes[positions] = np.where(part_codes >= 0, part_codes + len(distinct), MISSING)
            distinct.extend(uniques)
        else:
            codes[positions] = np.arange(len(distinct), len(distinct) + len(positions))
            distinct.extend(array[positions])
    return _negative_zeros(array, codes, distinct)


def _negative_zeros(array: np.ndarray, codes: np.ndarray, distinct: list) -> tuple[np.ndarray, list]:
    """-0.0 as a value of its own (factorize counts it as 0.0)."""
    zeros = [code for code, value in enumerate(distinct) if isinstance(value, float) and value == 0]
    for code in zeros:
        positions = np.flatnonzero(codes == code)
        negative = positions[np.signbit(array[positions].astype(float))]
        kind = type(distinct[code])
        if len(negative) and len(negative) < len(positions):
            codes[negative] = len(distinct)
            distinct.append(kind(-0.0))
            distinct[code] = kind(0.0)  # whichever came first stood for both
        elif len(negative):
            distinct[code] = kind(-0.0)
    return codes, distinct


def spread(per_value: Sequence[Any], codes: np.ndarray, missing: Any) -> list:
    """Per cell, the answer of its distinct value (``missing`` for missing cells)."""
    table = np.empty(len(per_value) + 1, dtype=object)
    table[:-1] = per_value
    table[-1] = missing
    return table[codes].tolist()  # MISSING (-1) picks the last entry
