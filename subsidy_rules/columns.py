"""The columns a scheme's formula computes with: numpy values, an explicit "unknown" mask, three-valued logic.

A :class:`Column` holds one numpy array of values and, for the facts and figures that may be unknown, a boolean
array saying where they are. Every operation is one or two numpy calls on the whole column, so a formula costs
a few microseconds per operation on one row and scales linearly to millions (pandas spends tens of microseconds
per operation on a one-row Series: that fixed cost, not the arithmetic, made one case take 16 ms).

Formulas are written as with pandas Series, and a Column answers the part of the Series API they use, with
pandas' own results (tests/rules/test_columns.py compares the two operation by operation):

- ``& | ^ ~`` on yes/no columns follow Kleene's logic: unknown & False is False, unknown | True is True, otherwise
  unknown stays unknown;
- comparisons and arithmetic are unknown wherever an operand is; a NaN meeting a column that may be unknown
  counts as unknown (as pandas' nullable columns do);
- ``where`` keeps a value only where the condition is known true, ``mask`` replaces it unless the condition is
  known false; ``fillna``, ``isna``/``notna``, ``astype("boolean" / "Float64" / "Int64" / float)``, ``isin``,
  ``eq``/``ne``/…, ``any``/``all``/``sum``, ``round``, ``to_numpy``;
- text facts are category codes: ``== "home_care"`` compares integers.

Anything else a formula asks of a column (``.str``, ``.dt``, ``.clip``, …) is answered by pandas on an equivalent
Series and the answer comes back as a Column, so a formula is never refused for using pandas, only slower. A
pandas Series in an expression with a Column gives way to the Column (``__pandas_priority__``); numpy functions
see a Column as an array (unknown yes/no values read as False there, as pandas' ``where`` reads them).
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import numpy as np
import pandas as pd

NA = pd.NA
_NO_DEFAULT = object()
_NUMERIC = frozenset("bif")  # yes/no, integer, float
# Arithmetic that on finite figures never divides by zero; an overflow to inf would only warn (the value is numpy's).
_NO_FLOATING_POINT_SURPRISES = frozenset(("add", "sub", "mul"))
_NAT = np.iinfo(np.int64).min  # pandas' "not a time" ordinal for periods

# Kinds: "b" yes/no, "i" integer, "f" float, "O" Python objects, "c" category codes (text), "M" datetime64,
# "p" period ordinals (``meta`` holds the frequency), "x" any other pandas array (held as is).


class Column:
    """Values as one numpy array; ``mask`` (or None: a column that cannot be unknown) marks the unknown ones."""

    __slots__ = ("data", "unknown", "kind", "meta", "index")
    __pandas_priority__ = 5000  # pandas Series (3000) and DataFrames (4000) give way in binary operations
    __hash__ = None  # == compares element-wise

    def __init__(self, data, mask=None, kind: str | None = None, meta: Any = None, index: pd.Index | None = None):
        self.data = data
        self.unknown = mask
        self.kind = kind or _kind_of(data)
        self.meta = meta  # categories for "c", frequency for "p"
        self.index = index

    # ---------------------------------------------------------------------------------------- construction

    @classmethod
    def of(cls, values, index: pd.Index | None = None) -> Column:
        """Anything a formula may hold (a Column, a pandas Series or array, a numpy array) as a Column."""
        if isinstance(values, Column):
            return values
        if isinstance(values, (pd.Series, pd.Index)):
            if index is None and isinstance(values, pd.Series):
                index = values.index
            values = values.array
        if isinstance(values, np.ndarray):
            return _from_numpy(values, index)
        if isinstance(values, pd.api.extensions.ExtensionArray):
            return _from_extension(values, index)
        return _from_numpy(np.asarray(values), index)

    @classmethod
    def full(cls, value, length: int, index: pd.Index | None = None) -> Column:
        """A scalar repeated ``length`` times (None or pd.NA: an all-unknown float column)."""
        if value is None or value is NA:
            return cls(np.zeros(length), np.ones(length, dtype=bool), "f", index=index)
        return cls.of(np.full(length, value), index)

    def to_array(self):
        """The equivalent pandas array (the dtype pandas would have given the same computation)."""
        kind, data, mask = self.kind, self.data, self.unknown
        if kind == "c":
            return pd.Categorical.from_codes(data, dtype=self.meta, validate=False)
        if kind == "p":
            return pd.arrays.PeriodArray(data, dtype=self.meta)
        if kind == "x":
            return data
        if mask is None:
            return data
        if kind == "b":
            return pd.arrays.BooleanArray(data, mask)
        if kind == "i":
            return pd.arrays.IntegerArray(data, mask)
        return pd.arrays.FloatingArray(data.astype(np.float64, copy=False), mask)

    def to_series(self, index: pd.Index | None = None) -> pd.Series:
        index = index if index is not None else self.index
        if index is None or len(index) != len(self.data):
            index = pd.RangeIndex(len(self.data))
        return pd.Series(self.to_array(), index=index, copy=False)

    def _new(self, data, mask=None, kind: str | None = None, meta: Any = None) -> Column:
        return Column(data, mask, kind, meta, self.index)

    # ------------------------------------------------------------------------------------- what it holds

    def __len__(self) -> int:
        return len(self.data)

    @property
    def shape(self) -> tuple[int]:
        return (len(self.data),)

    @property
    def size(self) -> int:
        return len(self.data)

    ndim = 1

    @property
    def dtype(self):
        return self.to_array().dtype

    @property
    def array(self):
        return self.to_array()

    @property
    def values(self):
        return self.to_array()

    def missing(self) -> np.ndarray:
        """Where the value is unknown, as a numpy boolean array."""
        kind = self.kind
        if self.unknown is not None:
            return self.unknown
        if kind == "f":
            return np.isnan(self.data)
        if kind in "bi":
            return np.zeros(len(self.data), dtype=bool)
        if kind == "c":
            return self.data < 0
        if kind == "M":
            return np.isnat(self.data)
        if kind == "p":
            return self.data == _NAT
        return np.asarray(pd.isna(self.data), dtype=bool)

    def isna(self) -> Column:
        return self._new(self.missing(), None, "b")

    def notna(self) -> Column:
        return self._new(~self.missing(), None, "b")

    isnull, notnull = isna, notna

    def tolist(self, na=NA) -> list:
        """Python values, pandas' marker where unknown (pd.NA, or ``na``; NaN for text, NaT for dates), as
        Series.tolist (``na=None``: as a row's ``to_dict()``)."""
        kind = self.kind
        if kind == "c":
            return _category_list(self)
        if kind == "M" and len(self.data) <= 64:
            return [pd.Timestamp(v) if not np.isnat(v) else pd.NaT for v in self.data]
        if kind == "p" and len(self.data) <= 64:
            return [pd.Period(ordinal=v, freq=self.meta.freq) if v != _NAT else pd.NaT for v in self.data.tolist()]
        if kind in "pMx":
            return self.to_series().tolist()
        values = self.data.tolist()
        if self.unknown is not None and len(values) <= 8:  # a case or a few: one pass, no search for the unknown
            return [na if unknown else value for value, unknown in zip(values, self.unknown.tolist())]
        if self.unknown is not None and any_true(self.unknown):
            for position in np.flatnonzero(self.unknown).tolist():
                values[position] = na
        return values

    def __iter__(self):
        return iter(self.tolist())

    def to_numpy(self, dtype=None, copy: bool = False, na_value=_NO_DEFAULT) -> np.ndarray:
        if self.kind in _NUMERIC:
            if self.kind == "b" and (na_value is False or na_value is True) and dtype in (None, bool):
                # yes/no values are False where unknown: as they are, or with the unknown ones set
                if self.unknown is None or na_value is False:
                    return self.data
                return self.data | self.unknown
            if na_value is not _NO_DEFAULT:
                missing = self.missing()
                data = np.where(missing, na_value, self.data) if any_true(missing) else self.data
                return data.astype(dtype, copy=False) if dtype is not None else data
            if self.unknown is None or not any_true(self.unknown):
                if dtype is not None:
                    return self.data.astype(dtype, copy=copy)
                return self.data.copy() if copy else self.data
        keywords = {} if na_value is _NO_DEFAULT else {"na_value": na_value}
        return self.to_series().to_numpy(dtype=dtype, copy=copy, **keywords)

    def take(self, positions) -> Column:
        """The rows at ``positions``, as a Column."""
        positions = np.asarray(positions, dtype=np.intp)
        data = self.data.take(positions) if self.kind == "x" else self.data[positions]
        return Column(data, None if self.unknown is None else self.unknown[positions], self.kind, self.meta,
                      None if self.index is None else self.index[positions])

    def __array__(self, dtype=None, copy=None):
        kind, data = self.kind, self.data
        if kind in "cpx":
            result = np.asarray(self.to_array())
        elif self.unknown is None or kind == "b":  # unknown yes/no reads as False (pandas' where does the same)
            result = data
        elif not any_true(self.unknown):
            result = data
        else:
            result = np.where(self.unknown, np.nan, data)
        return result.astype(dtype, copy=False) if dtype is not None else result

    def __bool__(self):
        raise ValueError("The truth value of a column is ambiguous: use .any(), .all() or a comparison")

    def __repr__(self) -> str:
        return f"Column({self.to_series()!r})"

    def copy(self, deep: bool = True) -> Column:
        return self._new(self.data.copy() if hasattr(self.data, "copy") else self.data,
                         None if self.unknown is None else self.unknown.copy(), self.kind, self.meta)

    # ------------------------------------------------------------------------------------------- logic

    def _logical(self, other, name: str) -> Column:
        b = _operand(other, len(self.data))
        if self.kind != "b" or b is None or b.kind != "b":
            return self._pandas_binary(other, f"__{name}__")
        av, bv = self.data, b.data
        am, bm = self.unknown, b.unknown
        if am is None and bm is None:
            data = av & bv if name == "and" else av | bv if name == "or" else av ^ bv
            return self._new(_vector(data, len(self.data)), None, "b")
        if name == "and":  # a known False decides; otherwise unknown stays unknown (values are False where unknown)
            data = av & bv
            # unknown, and neither side a known False: each side true or unknown
            if am is None:
                mask = bm & av
            elif bm is None:
                mask = am & bv
            else:
                mask = (am | bm) & (av | am) & (bv | bm)
        elif name == "or":  # a known True decides (values are False where unknown)
            data = av | bv
            mask = _and_not(_union(am, bm, len(self.data)), data)
        else:
            unknown = _union(am, bm, len(self.data))
            mask = unknown
            data = (av ^ bv) & ~mask
        return self._new(_vector(data, len(self.data)), _vector(mask, len(self.data)), "b")

    def __and__(self, other):
        return self._logical(other, "and")

    def __or__(self, other):
        return self._logical(other, "or")

    def __xor__(self, other):
        return self._logical(other, "xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> Column:
        if self.kind != "b":
            return self._pandas_unary("__invert__")
        if self.unknown is None:
            return self._new(~self.data, None, "b")
        return self._new(~self.data & ~self.unknown, self.unknown, "b")

    # ------------------------------------------------------------------------------------- comparisons

    def _compare(self, other, op, name: str) -> Column:
        b = _operand(other, len(self.data))
        kind = self.kind
        if b is None:
            return self._pandas_binary(other, f"__{name}__")
        if kind == "c" and b.scalar and name in ("eq", "ne"):
            code = _codes_of(self.meta).get(b.data) if b.unknown is None else None
            equal = self.data == code if code is not None else np.zeros(len(self.data), dtype=bool)
            return self._new(equal if name == "eq" else ~equal, None, "b")
        if kind in _NUMERIC and b.kind in _NUMERIC:
            data = op(self.data, b.data)  # numpy compares NaN without a warning: no errstate (its cost is per call)
            masked = self.unknown is not None or b.unknown is not None
            if not masked:
                return self._new(_vector(data, len(self.data)), None, "b")
            mask = _union(self.unknown, b.unknown, len(self.data))
            if self.unknown is None and self.kind == "f":
                mask = mask | np.isnan(self.data)
            if b.unknown is None and b.kind == "f":
                if not b.scalar:
                    mask = mask | np.isnan(b.data)
                elif b.data != b.data:  # a NaN number: unknown everywhere (decided once, not per row)
                    mask = mask | True
            mask = _vector(mask, len(self.data))
            return self._new(_and_not(_vector(data, len(self.data)), mask), mask, "b")
        if name in ("eq", "ne") and self.unknown is None and b.unknown is None and (
                (kind == "O" and b.kind in "Obif") or (kind == "M" and b.kind == "M")):
            data = op(self.data, b.data)
            if isinstance(data, np.ndarray) and data.shape == (len(self.data),):
                return self._new(data.astype(bool, copy=False), None, "b")
        if kind == "M" and b.kind == "M" and self.unknown is None and b.unknown is None:
            return self._new(_vector(op(self.data, b.data), len(self.data)), None, "b")
        return self._pandas_binary(other, f"__{name}__")

    def __eq__(self, other):
        return self._compare(other, operator.eq, "eq")

    def __ne__(self, other):
        return self._compare(other, operator.ne, "ne")

    def __lt__(self, other):
        return self._compare(other, operator.lt, "lt")

    def __le__(self, other):
        return self._compare(other, operator.le, "le")

    def __gt__(self, other):
        return self._compare(other, operator.gt, "gt")

    def __ge__(self, other):
        return self._compare(other, operator.ge, "ge")

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    # -------------------------------------------------------------------------------------- arithmetic

    def _arith(self, other, op, name: str, reflected: bool = False) -> Column:
        b = _operand(other, len(self.data))
        if b is None or self.kind not in _NUMERIC or b.kind not in _NUMERIC:
            return self._pandas_binary(other, f"__r{name}__" if reflected else f"__{name}__")
        if self.kind == "b" and b.kind == "b":  # pandas' own rules for yes/no arithmetic
            return self._pandas_binary(other, f"__r{name}__" if reflected else f"__{name}__")
        left, right = (b.data, self.data) if reflected else (self.data, b.data)
        if name in _NO_FLOATING_POINT_SURPRISES:  # sums and products of known figures: errstate's cost is per call
            data = _vector(op(left, right), len(self.data))
        else:  # 0/0, x/0, 0**-1: NaN or inf without numpy's warnings (as pandas computes them)
            with np.errstate(all="ignore"):
                data = _vector(op(left, right), len(self.data))
        if self.unknown is None and b.unknown is None:
            return self._new(data, None)
        mask = _union(self.unknown, b.unknown, len(self.data))
        if data.dtype.kind == "f":  # pandas: NaN meeting a nullable column (or 0/0) is unknown
            mask = mask | np.isnan(data)
        return self._new(data, _vector(mask, len(self.data)))

    def __add__(self, other):
        return self._arith(other, operator.add, "add")

    def __radd__(self, other):
        return self._arith(other, operator.add, "add", True)

    def __sub__(self, other):
        return self._arith(other, operator.sub, "sub")

    def __rsub__(self, other):
        return self._arith(other, operator.sub, "sub", True)

    def __mul__(self, other):
        return self._arith(other, operator.mul, "mul")

    def __rmul__(self, other):
        return self._arith(other, operator.mul, "mul", True)

    def __truediv__(self, other):
        return self._arith(other, operator.truediv, "truediv")

    def __rtruediv__(self, other):
        return self._arith(other, operator.truediv, "truediv", True)

    def __floordiv__(self, other):
        return self._arith(other, operator.floordiv, "floordiv")

    def __rfloordiv__(self, other):
        return self._arith(other, operator.floordiv, "floordiv", True)

    def __mod__(self, other):
        return self._arith(other, operator.mod, "mod")

    def __rmod__(self, other):
        return self._arith(other, operator.mod, "mod", True)

    def __pow__(self, other):
        return self._arith(other, operator.pow, "pow")

    def __rpow__(self, other):
        return self._arith(other, operator.pow, "pow", True)

    add, sub, mul, truediv, div = __add__, __sub__, __mul__, __truediv__, __truediv__
    radd, rsub, rmul = __radd__, __rsub__, __rmul__

    def __neg__(self) -> Column:
        if self.kind not in "if":
            return self._pandas_unary("__neg__")
        return self._new(-self.data, self.unknown, self.kind)

    def __abs__(self) -> Column:
        if self.kind not in "if":
            return self._pandas_unary("__abs__")
        return self._new(np.abs(self.data), self.unknown, self.kind)

    abs = __abs__

    def round(self, decimals: int = 0) -> Column:
        if self.kind != "f":
            return self if self.kind in "bi" else self._pandas_method("round", decimals)
        return self._new(self.data.round(decimals), self.unknown, "f")

    # ------------------------------------------------------------------------------ choosing and filling

    def where(self, cond, other=_NO_DEFAULT, **keywords) -> Column:
        """This value where ``cond`` is known true, else ``other`` (unknown by default), as Series.where."""
        if keywords:
            return self._pandas_method("where", cond, *(() if other is _NO_DEFAULT else (other,)), **keywords)
        if callable(cond):
            cond = cond(self)
        return self._choose(_known(cond, len(self.data), True), other, ("where", cond))

    def mask(self, cond, other=_NO_DEFAULT, **keywords) -> Column:
        """``other`` (unknown by default) unless ``cond`` is known false, as Series.mask."""
        if keywords:
            return self._pandas_method("mask", cond, *(() if other is _NO_DEFAULT else (other,)), **keywords)
        if callable(cond):
            cond = cond(self)
        return self._choose(_known(cond, len(self.data), False), other, ("mask", cond))

    def fillna(self, value=None, **keywords) -> Column:
        if keywords or value is None:
            return self._pandas_method("fillna", value, **keywords)
        if self.kind in "bi" and self.unknown is None:
            return self
        return self._choose(~self.missing(), value, ("fillna", None))

    def _choose(self, keep: np.ndarray, other, call: tuple) -> Column:
        kind, n = self.kind, len(self.data)
        if kind in _NUMERIC and all_true(keep) and (self.unknown is not None or other is not _NO_DEFAULT):
            return self  # nothing replaced: the same values, the same kind
        if other is _NO_DEFAULT:
            if self.unknown is not None or kind == "f":
                other = NA if self.unknown is not None else np.nan
            else:
                return self._pandas_fallback_choose(call, _NO_DEFAULT)
        b = _operand(other, n)
        if b is None:
            return self._pandas_fallback_choose(call, other)
        if kind in _NUMERIC and (b.kind in _NUMERIC or b.na):
            if self.unknown is not None:
                result_kind = kind
                if kind == "b" and not (b.kind == "b" or b.na):
                    return self._pandas_fallback_choose(call, other)
                if kind == "i" and b.kind == "f" and not b.na:
                    if not (b.scalar and float(b.data).is_integer()):
                        return self._pandas_fallback_choose(call, other)
                if b.na or (b.scalar and b.kind == "f" and b.data != b.data):  # unknown (or NaN) fills
                    mask = self.unknown | ~keep
                    data = self.data & keep if kind == "b" else self.data
                    return self._new(data, mask, result_kind)
                data = np.where(keep, self.data, b.data)
                if result_kind in "bi" and data.dtype != self.data.dtype:
                    data = data.astype(self.data.dtype)
                if b.scalar:  # a known value fills
                    mask = self.unknown & keep
                else:
                    other_mask = b.unknown if b.unknown is not None else np.isnan(b.data) if b.kind == "f" else False
                    mask = _vector(np.where(keep, self.unknown, other_mask), n)
                if result_kind == "b":
                    data = data & ~mask
                return self._new(_vector(data, n), mask, result_kind)
            if b.unknown is None and not b.na:
                if kind == "f" or (kind == "b" and b.kind == "b") or (kind == "i" and b.kind == "i"):
                    return self._new(_vector(np.where(keep, self.data, b.data), n), None, kind)
            return self._pandas_fallback_choose(call, other)
        if kind == "O" and b.unknown is None and not b.na and b.kind in "Obif":
            data = np.where(keep, self.data, b.data)
            return self._new(_vector(data.astype(object, copy=False), n), None, "O")
        return self._pandas_fallback_choose(call, other)

    def _pandas_fallback_choose(self, call: tuple, other) -> Column:
        method, cond = call
        arguments = () if other is _NO_DEFAULT else (_to_pandas(other, self),)
        if method == "fillna":
            return self._pandas_method("fillna", *arguments)
        return self._pandas_method(method, _to_pandas(cond, self), *arguments)

    def isin(self, values) -> Column:
        values = list(values)
        if self.kind == "c":  # one lookup per category, then one gather over the rows
            return self._new(category_table(self.meta, ("isin", *values), _isin_table)[self.data], None, "b")
        if self.kind in _NUMERIC and all(isinstance(v, (int, float, bool, np.number, np.bool_)) for v in values):
            found = np.isin(self.data, values) if len(values) > 8 else _any_equal(self.data, values)
            if self.unknown is None:
                return self._new(found, None, "b")
            found &= ~self.unknown
            return self._new(found, np.zeros(len(self.data), dtype=bool), "b")  # pandas: "boolean", never unknown
        return self._pandas_method("isin", values)

    def astype(self, dtype, copy: bool = True, errors: str = "raise") -> Column:
        kind, mask = self.kind, self.unknown
        name = _dtype_name(dtype)
        if name == "boolean" and kind in _NUMERIC:
            if kind == "b":
                return self if mask is not None else self._new(self.data, np.zeros(len(self.data), dtype=bool), "b")
            if mask is not None:
                return self._new((self.data != 0) & ~mask, mask, "b")
        elif name == "Float64" and kind in _NUMERIC:
            data = self.data.astype(np.float64, copy=False)
            if mask is not None:
                return self if kind == "f" else self._new(data, mask, "f")
            return self._new(data, np.isnan(data) if kind == "f" else np.zeros(len(self.data), dtype=bool), "f")
        elif name == "Int64" and kind in "bi":
            if mask is not None and kind == "i" and self.data.dtype == np.int64:
                return self
            return self._new(self.data.astype(np.int64), mask if mask is not None else np.zeros(len(self.data), bool), "i")
        elif name == "Int64" and kind == "f" and mask is not None:
            known = self.data[~mask]
            if np.all(known == np.floor(known)):
                return self._new(np.where(mask, 0, self.data).astype(np.int64), mask, "i")
        elif name in ("float64", "float") and kind in "if":
            data = self.data.astype(np.float64)
            if mask is not None and any_true(mask):
                data[mask] = np.nan
            return self._new(data, None, "f")
        elif name in ("float64", "float") and kind == "b" and mask is None:
            return self._new(self.data.astype(np.float64), None, "f")
        elif name == "bool" and kind == "b" and (mask is None or not any_true(mask)):
            return self._new(self.data, None, "b")
        elif name in ("int64", "int") and kind in "bi" and (mask is None or not any_true(mask)):
            return self._new(self.data.astype(np.int64), None, "i")
        return self._pandas_method("astype", dtype, copy=copy, errors=errors)

    def map(self, mapper, na_action=None) -> Column:
        if self.kind == "O" and isinstance(mapper, dict) is False and na_action is None and len(self.data) > 64:
            # Parameter columns repeat a few values (one per county and date): map each distinct value once.
            codes, uniques = pd.factorize(pd.Series(self.data, dtype=object), use_na_sentinel=False)
            mapped = pd.Series(list(uniques), dtype=object).map(mapper)
            return Column.of(mapped.take(codes).reset_index(drop=True), self.index)._reindexed(self.index)
        return self._pandas_method("map", mapper, na_action=na_action)

    def _reindexed(self, index) -> Column:
        self.index = index
        return self

    # ------------------------------------------------------------------------------------- reductions

    def _known_values(self) -> np.ndarray:
        if self.unknown is not None:
            return self.data[~self.unknown]
        if self.kind == "f":
            return self.data[~np.isnan(self.data)]
        return self.data

    def any(self, *args, **keywords) -> bool:
        if self.kind not in _NUMERIC or args or keywords:
            return self._pandas_method("any", *args, **keywords)
        return any_true(self._known_values())

    def all(self, *args, **keywords) -> bool:
        if self.kind not in _NUMERIC or args or keywords:
            return self._pandas_method("all", *args, **keywords)
        return all_true(self._known_values())

    def sum(self, *args, **keywords):
        if self.kind not in _NUMERIC or args or keywords:
            return self._pandas_method("sum", *args, **keywords)
        return self._known_values().sum()

    # -------------------------------------------------------------------------------------- selecting

    def __getitem__(self, key):
        if isinstance(key, (Column, pd.Series)):
            key = np.asarray(key)
        if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
            return self.take([key + len(self.data) if key < 0 else key]).tolist()[0]
        if isinstance(key, slice) or (isinstance(key, np.ndarray) and key.dtype.kind in "bi"):
            return Column(self.data[key], None if self.unknown is None else self.unknown[key], self.kind, self.meta,
                          None if self.index is None else self.index[key])
        return self._pandas_method("__getitem__", key)

    def __setitem__(self, key, value) -> None:
        """Copy on write, as pandas does: other columns sharing these arrays are untouched."""
        series = self.to_series().copy()
        series[_to_pandas(key, self)] = _to_pandas(value, self)
        result = Column.of(series, self.index)
        self.data, self.unknown, self.kind, self.meta = result.data, result.unknown, result.kind, result.meta

    # -------------------------------------------------------------------------------------- numpy

    def __array_ufunc__(self, ufunc, method, *inputs, **keywords):
        if method != "__call__" or keywords.get("out") is not None:
            return NotImplemented
        if len(inputs) == 2:
            name = _UFUNC_BINARY.get(ufunc)
            if name is not None:
                if inputs[0] is self:
                    return getattr(self, name)(inputs[1])
                mirrored = _MIRRORED.get(name)
                if mirrored is not None:
                    return getattr(self, mirrored)(inputs[0])
        if len(inputs) == 1 and ufunc in _UFUNC_UNARY:
            return getattr(self, _UFUNC_UNARY[ufunc])()
        columns = [Column.of(x, self.index) if isinstance(x, (Column, pd.Series)) else x for x in inputs]
        if all(not isinstance(c, Column) or (c.kind in _NUMERIC) for c in columns):
            datas = [c.data if isinstance(c, Column) else c for c in columns]
            masks = [c.unknown for c in columns if isinstance(c, Column) and c.unknown is not None]
            with np.errstate(all="ignore"):
                data = ufunc(*datas, **keywords)
            if not masks:
                return self._new(data)
            mask = np.logical_or.reduce(masks) if len(masks) > 1 else masks[0]
            if data.dtype.kind == "f":
                mask = mask | np.isnan(data)
            return self._new(data, mask)
        series = [c.to_series(self.index) if isinstance(c, Column) else c for c in columns]
        return Column.of(ufunc(*series, **keywords), self.index)

    # ----------------------------------------------------------------------------------- pandas, as is

    def _pandas_binary(self, other, dunder: str) -> Column:
        return _from_result(getattr(self.to_series(), dunder)(_to_pandas(other, self)), self.index)

    def _pandas_unary(self, dunder: str) -> Column:
        return _from_result(getattr(self.to_series(), dunder)(), self.index)

    def _pandas_method(self, name: str, *args, **keywords):
        args = tuple(_to_pandas(a, self) for a in args)
        keywords = {k: _to_pandas(v, self) for k, v in keywords.items()}
        return _from_result(getattr(self.to_series(), name)(*args, **keywords), self.index)

    def __getattr__(self, name: str):
        if name.startswith("_") or name in Column.__slots__:  # pandas probes _typ and friends: not a Series
            raise AttributeError(name)
        attribute = getattr(self.to_series(), name)
        if name in ("str", "dt", "cat", "list", "struct", "sparse"):
            return _Accessor(attribute, self)
        if callable(attribute):
            return _PandasCall(attribute, self)
        return _from_result(attribute, self.index)


class _PandasCall:
    """A pandas method called for a Column: Column arguments in as Series, a Series answer out as a Column."""

    def __init__(self, function, owner: Column):
        self.function, self.owner = function, owner

    def __call__(self, *args, **keywords):
        args = tuple(_to_pandas(a, self.owner) for a in args)
        keywords = {k: _to_pandas(v, self.owner) for k, v in keywords.items()}
        return _from_result(self.function(*args, **keywords), self.owner.index)


class _Accessor:
    """``column.str`` / ``column.dt`` / ``column.cat``: pandas' accessor, answers as Columns."""

    def __init__(self, accessor, owner: Column):
        self.accessor, self.owner = accessor, owner

    def __getattr__(self, name: str):
        attribute = getattr(self.accessor, name)
        if callable(attribute):
            return _PandasCall(attribute, self.owner)
        return _from_result(attribute, self.owner.index)


_UFUNC_BINARY = {
    np.add: "__add__", np.subtract: "__sub__", np.multiply: "__mul__", np.true_divide: "__truediv__",
    np.floor_divide: "__floordiv__", np.remainder: "__mod__", np.power: "__pow__",
    np.equal: "__eq__", np.not_equal: "__ne__", np.less: "__lt__", np.less_equal: "__le__",
    np.greater: "__gt__", np.greater_equal: "__ge__",
    np.bitwise_and: "__and__", np.bitwise_or: "__or__", np.bitwise_xor: "__xor__",
    np.logical_and: "__and__", np.logical_or: "__or__", np.logical_xor: "__xor__",
}
_MIRRORED = {  # ``array OP column`` as a method of the column
    "__add__": "__radd__", "__sub__": "__rsub__", "__mul__": "__rmul__", "__truediv__": "__rtruediv__",
    "__floordiv__": "__rfloordiv__", "__mod__": "__rmod__", "__pow__": "__rpow__",
    "__eq__": "__eq__", "__ne__": "__ne__", "__lt__": "__gt__", "__le__": "__ge__", "__gt__": "__lt__",
    "__ge__": "__le__", "__and__": "__and__", "__or__": "__or__", "__xor__": "__xor__",
}
_UFUNC_UNARY = {np.invert: "__invert__", np.logical_not: "__invert__", np.negative: "__neg__",
                np.absolute: "__abs__"}


# ------------------------------------------------------------------------------------------- helpers


class _Operand:
    """The other side of an operation: numpy data (array or scalar), its mask, its kind."""

    __slots__ = ("data", "unknown", "kind", "scalar", "na")

    def __init__(self, data, mask, kind: str, scalar: bool = False, na: bool = False):
        self.data, self.unknown, self.kind, self.scalar, self.na = data, mask, kind, scalar, na


def _operand(other, length: int) -> _Operand | None:
    kind = type(other)
    if kind is Column:
        if len(other.data) != length:
            raise ValueError(f"columns of different lengths ({length} and {len(other.data)})")
        return _Operand(other.data, other.unknown, other.kind)
    if kind is float:
        return _Operand(other, None, "f", scalar=True)
    if kind is bool:
        return _Operand(np.bool_(other), None, "b", scalar=True)
    if kind is int:
        return _Operand(other, None, "i", scalar=True)
    if kind is str:
        return _Operand(other, None, "O", scalar=True)
    if other is NA or other is None:  # before the isinstance checks below: the default of where/mask
        return _NA_OPERAND
    if isinstance(other, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray, np.ndarray, list, tuple)):
        if isinstance(other, np.ndarray) and other.ndim == 0:
            return _operand(other.item(), length)
        column = Column.of(other)
        if len(column) != length:
            raise ValueError(f"columns of different lengths ({length} and {len(column)})")
        return _Operand(column.data, column.unknown, column.kind)
    if other is NA or other is None:
        return _Operand(np.float64(0.0), np.True_, "f", scalar=True, na=True)
    if isinstance(other, (bool, np.bool_)):
        return _Operand(np.bool_(other), None, "b", scalar=True)
    if isinstance(other, (int, np.integer)):
        return _Operand(other, None, "i", scalar=True)
    if isinstance(other, (float, np.floating)):
        return _Operand(other, None, "f", scalar=True)
    if isinstance(other, (pd.Timestamp, np.datetime64)):
        return _Operand(np.datetime64(other), None, "M", scalar=True)
    if isinstance(other, str):
        return _Operand(other, None, "O", scalar=True)
    return None


_NA_OPERAND = _Operand(np.float64(0.0), np.True_, "f", scalar=True, na=True)  # unknown, as a scalar (never changed)


def _known(cond, length: int, value: bool) -> np.ndarray:
    """Where ``cond`` is known to be ``value`` (unknown is neither), as a numpy boolean array."""
    if type(cond) is np.ndarray and cond.dtype == np.bool_ and cond.shape == (length,):  # plain yes/no: never unknown
        return cond if value else ~cond
    if isinstance(cond, (bool, np.bool_)):
        return np.full(length, bool(cond) == value)
    column = cond if isinstance(cond, Column) else Column.of(np.asarray(cond) if isinstance(cond, list) else cond)
    if len(column) != length:
        raise ValueError(f"a condition of length {len(column)} for a column of length {length}")
    if column.kind != "b":
        column = column.astype("boolean")
    data = column.data  # False where unknown
    if value:
        return data
    return ~data if column.unknown is None else ~(data | column.unknown)


try:  # numpy's count_nonzero without its Python-level dispatch (a quarter of the call's cost on one row)
    from numpy._core.multiarray import count_nonzero as _count_nonzero
except ImportError:  # pragma: no cover - another numpy layout
    _count_nonzero = np.count_nonzero


def all_true(flags: np.ndarray) -> bool:
    """``flags.all()`` of a boolean array; count_nonzero skips numpy's Python-level reduction (a fixed cost that
    dominates on one row)."""
    return _count_nonzero(flags) == flags.size


def any_true(flags: np.ndarray) -> bool:
    """``flags.any()`` of a boolean array, as :func:`all_true`."""
    return _count_nonzero(flags) > 0


def _and_not(flags: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """``flags & ~unknown`` in one numpy call (on yes/no arrays, True > False is the only true comparison)."""
    return flags > unknown


def _union(a, b, length: int):
    if a is None:
        return b if b is not None else np.zeros(length, dtype=bool)
    if b is None:
        return a
    return a | b


def _vector(value, length: int) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.shape == (length,):
        return value
    return np.broadcast_to(value, (length,)).copy()


def _zero(kind: str):
    return False if kind == "b" else 0


_CATEGORY_CODES: dict[int, tuple[pd.CategoricalDtype, dict]] = {}


def _codes_of(dtype: pd.CategoricalDtype) -> dict:
    """{category: code} of a categorical dtype, built once per dtype (text facts share a few dtypes)."""
    found = _CATEGORY_CODES.get(id(dtype))
    if found is None or found[0] is not dtype:
        if len(_CATEGORY_CODES) > 10_000:
            _CATEGORY_CODES.clear()
        found = _CATEGORY_CODES[id(dtype)] = (dtype, {c: i for i, c in enumerate(dtype.categories.tolist())})
    return found[1]


_CATEGORY_TABLES: dict[tuple, tuple[pd.CategoricalDtype, np.ndarray]] = {}


def category_table(dtype: pd.CategoricalDtype, key: tuple, build) -> np.ndarray:
    """An answer per category (and a last one for unknown, code -1), ``build(categories, key)``, made once per dtype
    and key: a text fact's rows are then answered by one gather (``table[codes]``). Read-only (tables are shared)."""
    try:
        found = _CATEGORY_TABLES.get((id(dtype), key))
    except TypeError:  # a key that cannot be hashed (e.g. lists among the values): built each time
        return build(list(_codes_of(dtype)), key)
    if found is None or found[0] is not dtype:
        if len(_CATEGORY_TABLES) > 10_000:
            _CATEGORY_TABLES.clear()
        table = build(list(_codes_of(dtype)), key)
        table.setflags(write=False)
        found = _CATEGORY_TABLES[(id(dtype), key)] = (dtype, table)
    return found[1]


def _isin_table(categories: list, key: tuple) -> np.ndarray:
    codes = {category: code for code, category in enumerate(categories)}
    table = np.zeros(len(codes) + 1, dtype=bool)  # the last entry answers for unknown (-1)
    for value in key[1:]:
        code = codes.get(value) if _hashable(value) else None
        if code is not None:
            table[code] = True
    return table


def _any_equal(data: np.ndarray, values: list) -> np.ndarray:
    found = np.zeros(len(data), dtype=bool)
    for value in values:
        found |= data == value
    return found


def _dtype_name(dtype) -> str:
    if isinstance(dtype, str):
        return {"float": "float64", "int": "int64"}.get(dtype, dtype)
    if dtype in (float, int, bool, object, str):
        return {float: "float64", int: "int64", bool: "bool", object: "object", str: "str"}[dtype]
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype)


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _kind_of(data) -> str:
    if isinstance(data, pd.api.extensions.ExtensionArray):
        return "x"
    kind = data.dtype.kind
    if kind == "b":
        return "b"
    if kind in "iu":
        return "i"
    if kind == "f":
        return "f"
    if kind == "M":
        return "M"
    if kind == "O":
        return "O"
    return "x"


def _from_numpy(values: np.ndarray, index) -> Column:
    kind = values.dtype.kind
    if kind in "US":
        values = values.astype(object)
    elif kind not in "biufMO":
        return Column(pd.array(values), None, "x", index=index)
    return Column(values, None, None, index=index)


def _from_extension(array, index) -> Column:
    if isinstance(array, pd.arrays.BooleanArray):
        mask = array._mask
        return Column(array._data & ~mask, mask, "b", index=index)
    if isinstance(array, pd.arrays.IntegerArray):
        return Column(array._data, array._mask, "i", index=index)
    if isinstance(array, pd.arrays.FloatingArray):
        return Column(array._data, array._mask, "f", index=index)
    if isinstance(array, pd.Categorical):
        return Column(array.codes, None, "c", array.dtype, index=index)
    if isinstance(array, pd.arrays.NumpyExtensionArray):
        return _from_numpy(array.to_numpy(), index)
    if isinstance(array, pd.arrays.DatetimeArray) and array.tz is None:
        return Column(array.to_numpy(), None, "M", index=index)
    if isinstance(array, pd.arrays.PeriodArray):
        return Column(array.asi8, None, "p", array.dtype, index=index)
    return Column(array, None, "x", index=index)


def _category_list(column: Column) -> list:
    categories = _categories_of(column.meta)
    return [categories[code] if code >= 0 else np.nan for code in column.data.tolist()]


def _categories_of(dtype: pd.CategoricalDtype) -> tuple:
    """The categories of a dtype as a tuple of Python values, built once per dtype (as :func:`_codes_of`)."""
    found = _CATEGORY_TUPLES.get(id(dtype))
    if found is None or found[0] is not dtype:
        if len(_CATEGORY_TUPLES) > 10_000:
            _CATEGORY_TUPLES.clear()
        found = _CATEGORY_TUPLES[id(dtype)] = (dtype, tuple(_codes_of(dtype)))
    return found[1]


_CATEGORY_TUPLES: dict[int, tuple[pd.CategoricalDtype, tuple]] = {}


def _to_pandas(value, owner: Column):
    """A Column (or a Series of the same length) as a Series on ``owner``'s index, for pandas' own methods."""
    if isinstance(value, Column):
        return value.to_series(owner.index)
    if isinstance(value, pd.Series) and len(value) == len(owner):  # rows match by position, as in the formulas
        index = owner.index if owner.index is not None and len(owner.index) == len(owner) else pd.RangeIndex(len(owner))
        if not value.index.equals(index):
            return pd.Series(value.array, index=index, copy=False)
    return value


def _from_result(result, index):
    if isinstance(result, (pd.Series, pd.api.extensions.ExtensionArray)):
        return Column.of(result, index)._reindexed(index)
    return result


def all_of(columns: list[Column]) -> Column:
    """``columns[0] & columns[1] & …`` of yes/no columns in one pass (Kleene's logic, as ``&``): False where any is
    known false, True where all are known true, else unknown. Seven numpy calls for any number of columns."""
    first = columns[0]
    if len(columns) == 1:
        return first
    if any(type(c) is not Column or c.kind != "b" for c in columns):
        return functools.reduce(operator.and_, columns)
    n = len(first.data)
    values = np.array([c.data for c in columns], dtype=bool)  # False where unknown
    data = np.logical_and.reduce(values, axis=0)
    masks = [c.unknown for c in columns if c.unknown is not None]
    if not masks:
        return first._new(data, None, "b")
    unknown = np.array([np.zeros(n, dtype=bool) if c.unknown is None else c.unknown for c in columns], dtype=bool)
    # unknown somewhere, and known false nowhere (each column true or unknown)
    mask = np.logical_or.reduce(unknown, axis=0) & np.logical_and.reduce(values | unknown, axis=0)
    return first._new(data, mask, "b")


def as_column(value, length: int, index: pd.Index | None = None) -> Column:
    """What a formula stored (Column, Series, array or scalar) as a Column of ``length`` rows."""
    if isinstance(value, (Column, pd.Series, pd.api.extensions.ExtensionArray, np.ndarray, list, tuple)):
        column = Column.of(value, index)
        if len(column) != length:
            raise ValueError(f"a column of {len(column)} rows for {length} rows")
        column.index = index
        return column
    return Column.full(value, length, index)
