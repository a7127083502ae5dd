"""A Column answers as the pandas Series it stands for: every operation the formulas use, compared with pandas on
columns with unknown values, on both sides of the operator, with scalars, Series and numpy arrays."""

from __future__ import annotations

import itertools
import operator as op

import numpy as np
import pandas as pd
import pytest

from subsidy_rules.columns import Column, all_of

ROWS = 9
FLAGS = pd.Series(pd.array([True, False, None, True, None, False, True, False, None], dtype="boolean"))
OTHER_FLAGS = pd.Series(pd.array([True, True, True, False, False, False, None, None, None], dtype="boolean"))
NUMBERS = pd.Series(pd.array([1.5, None, 0.0, 600.0, -2.0, None, 3.0, 150.0, 0.0], dtype="Float64"))
COUNTS = pd.Series(pd.array([1, 2, None, 4, 0, None, 7, 16, 3], dtype="Int64"))
PLAIN = pd.Series([True, False, True, True, False, False, True, False, True])
FLOATS = pd.Series([1.0, np.nan, 2.5, 0.0, 4.0, np.nan, 7.0, 600.0, 1.0])
TEXT = pd.Series(pd.Categorical(["home_care", None, "day_care", "home_care", "institutional_care", None,
                                 "day_care", "home_care", None], categories=["home_care", "day_care", "institutional_care"]))
LOGICAL = {"flags": FLAGS, "other": OTHER_FLAGS, "plain": PLAIN}
NUMERIC = {"numbers": NUMBERS, "counts": COUNTS, "floats": FLOATS}


def same(column, series) -> None:
    """Equal values, the same unknowns and the same dtype as pandas' answer."""
    assert isinstance(column, Column), type(column)
    answer = column.to_series(series.index)
    pd.testing.assert_series_equal(answer, series, check_names=False)


@pytest.mark.parametrize("left, right", list(itertools.product(LOGICAL, repeat=2)))
@pytest.mark.parametrize("operator", [op.and_, op.or_, op.xor])
def test_three_valued_logic(left, right, operator):
    a, b = LOGICAL[left], LOGICAL[right]
    same(operator(Column.of(a), Column.of(b)), operator(a, b))
    same(operator(Column.of(a), b), operator(a, b))  # a Series on the right
    same(operator(b, Column.of(a)), operator(b, a))  # a Series on the left gives way
    same(operator(Column.of(a), True), operator(a, True))
    same(operator(b.to_numpy(dtype=bool, na_value=False), Column.of(a)), operator(b.to_numpy(dtype=bool, na_value=False), a))
    same(~Column.of(a), ~a)


@pytest.mark.parametrize("names", [names for k in (1, 2, 3, 4) for names in itertools.product(LOGICAL, repeat=k)])
def test_all_of_is_and_in_one_pass(names):
    """all_of (eligibility: every main criterion) answers as ``a & b & …``, unknowns included."""
    series = [LOGICAL[name] for name in names]
    expected = series[0]
    for other in series[1:]:
        expected = expected & other
    same(all_of([Column.of(s) for s in series]), expected)


@pytest.mark.parametrize("left, right", list(itertools.product(NUMERIC, repeat=2)))
@pytest.mark.parametrize("operator", [op.add, op.sub, op.mul, op.truediv, op.ge, op.lt, op.eq, op.ne])
def test_arithmetic_and_comparisons(left, right, operator):
    a, b = NUMERIC[left], NUMERIC[right]
    array = b.to_numpy(dtype=float, na_value=np.nan)
    same(operator(Column.of(a), Column.of(b)), operator(a, b))
    same(operator(Column.of(a), array), operator(a, array))
    same(operator(array, Column.of(a)), operator(array, a))  # numpy on the left gives way
    same(operator(b, Column.of(a)), operator(b, a))  # pandas on the left gives way
    same(operator(Column.of(a), 2.0), operator(a, 2.0))
    same(operator(2, Column.of(a)), operator(2, a))


@pytest.mark.parametrize("name", [*NUMERIC, *LOGICAL])
@pytest.mark.parametrize("condition", [*LOGICAL])
def test_where_mask_fillna(name, condition):
    values, cond = {**NUMERIC, **LOGICAL}[name], LOGICAL[condition]
    fill = False if name in LOGICAL else 0.0
    column = Column.of(values)
    same(column.where(Column.of(cond), fill), values.where(cond, fill))
    same(column.mask(Column.of(cond), fill), values.mask(cond, fill))
    same(column.fillna(fill), values.fillna(fill))
    same(column.isna(), values.isna())
    same(column.notna(), values.notna())
    if values.dtype != bool:  # pandas turns plain yes/no into objects here; formulas never ask it
        same(column.where(Column.of(cond)), values.where(cond))
        same(column.mask(Column.of(cond)), values.mask(cond))
    if name in NUMERIC:
        other = NUMERIC["numbers"]
        same(column.where(Column.of(cond), Column.of(other)), values.where(cond, other))


@pytest.mark.parametrize("name", [*NUMERIC, *LOGICAL])
def test_types_and_membership(name):
    values = {**NUMERIC, **LOGICAL}[name]
    column = Column.of(values)
    if name != "floats":
        same(column.astype("boolean"), values.astype("boolean"))
    same(column.astype("Float64"), values.astype("Float64"))
    same(column.isin([1, 0, True]), values.isin([1, 0, True]))
    assert column.any() == values.any() and column.all() == values.all()
    assert column.to_numpy(dtype=float, na_value=-1.0).tolist() == values.to_numpy(dtype=float, na_value=-1.0).tolist()
    assert column.tolist() == values.tolist() or name in ("floats",)


def test_text_as_category_codes():
    column = Column.of(TEXT)
    same(column == "home_care", TEXT == "home_care")
    same(column != "day_care", TEXT != "day_care")
    same(column == "not a choice", TEXT == "not a choice")
    same(column.isin(["day_care", "institutional_care", "x"]), TEXT.isin(["day_care", "institutional_care", "x"]))
    same(column.isna(), TEXT.isna())
    assert column.tolist()[:2] == ["home_care", column.tolist()[1]] and pd.isna(column.tolist()[1])


def test_numpy_and_pandas_functions_see_a_column():
    flags, numbers = Column.of(FLAGS), Column.of(NUMBERS)
    assert np.where(flags, 1, 0).tolist() == np.where(FLAGS.fillna(False).to_numpy(dtype=bool), 1, 0).tolist()
    same(np.less(NUMBERS.to_numpy(dtype=float, na_value=np.nan), numbers),
         NUMBERS.to_numpy(dtype=float, na_value=np.nan) < NUMBERS)
    same(numbers.clip(0, 100), NUMBERS.clip(0, 100))  # not written for columns: pandas answers it
    same(sum([numbers, numbers, Column.of(COUNTS)]), NUMBERS + NUMBERS + COUNTS)
    assert len(numbers) == ROWS and numbers.round(0).tolist()[:1] == [2.0]
