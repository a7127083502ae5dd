"""The rules engine: schemes as vectorised formulas over columns, and their explanations.

A scheme declares its facts, its criteria (with citations) and a formula that works on whole columns: every
criterion becomes a yes/no column that may be unknown where a fact is missing (Kleene's logic carries
"unknown" through ``&`` and ``|``), the amount and funding parts are numeric columns, and the intermediate
figures a person needs to follow the computation are columns too. Columns are :class:`~subsidy_rules.columns.Column`
objects: numpy arrays with an unknown mask, answering the pandas Series API the formulas use, at a small fixed
cost per operation, so the same formula serves one row and a million. The single-case API runs the same
formula on one row and explains it with the same column-wise code as a batch; it computes nothing of its own.
A frame (``evaluate_frame``) is the boundary: facts come in as pandas columns, answers go out as a DataFrame.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from care_services.distinct import MISSING, distinct_values, spread
from care_services.divisions import division_name, english_name, unknown_division
from care_services.spreadsheet import CellError, ColumnSpec, below_minimum, convert_cell
from care_services.identifiers import IdentifierError
from subsidy_rules.columns import NA, Column, all_of, all_true, any_true, as_column, category_table
from subsidy_rules.parameters import ParameterNotFound, ParameterSet, Range, Reference, default_parameters
from subsidy_rules.periods import months_complete
from subsidy_rules.steps import Step, texts


# --------------------------------------------------------------------------------------------- declarations


def fact(key: str, zh: str, kind: str, description: str, *, choices: dict | None = None,
         minimum: float | None = None) -> ColumnSpec:
    """A fact a scheme reads; ``kind`` is text / integer / number / boolean / date."""
    return ColumnSpec(key=key, zh=zh, kind=kind, required=False, choices=choices, minimum=minimum,
                      description=description)


@dataclass(frozen=True)
class Criterion:
    id: str
    title_zh: str
    title_en: str
    facts: tuple[str, ...]
    reference: Reference
    component: str = "main"  # which part of the subsidy the criterion gates


@dataclass(frozen=True)
class Payer:
    """Who pays a part of a scheme's amount: a level of government, a fund, or the person's own integrated funds.

    A scheme's formula writes each payer's part as the column ``fund.<id>``; the budget books by payer."""

    id: str
    zh: str
    en: str
    kind: str = "government"  # government | fund | personal


PROVINCE = Payer("province", "省级", "province")
CITY = Payer("city", "市级", "city")
COUNTY = Payer("county", "县级", "county")
GOVERNMENT_LEVELS = (PROVINCE, CITY, COUNTY)
PERIODS = ("monthly", "yearly", "once")
PERIOD_ZH = {"monthly": "按月", "yearly": "按年", "once": "一次性"}


class FactError(ValueError):
    """Facts that cannot be used; ``errors`` maps each fact to its reasons (Chinese and English)."""

    def __init__(self, errors: dict[str, dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v['reason_zh']} / {v['reason_en']}" for k, v in errors.items()))


class UnknownScheme(KeyError):
    pass


# ---------------------------------------------------------------------------------------------- the inputs


class Inputs:
    """What a formula sees: converted facts, per-row jurisdiction and date, and parameter columns.

    Rows are grouped by (jurisdiction, date): a parameter is looked up once per group and broadcast, so a
    million rows of one county cost one lookup.
    """

    def __init__(self, facts: FactColumns, jurisdictions: Coded, dates: Coded, parameters: ParameterSet):
        self.facts = facts
        self.index = facts.index
        self._length = len(facts.index)
        self.parameters = parameters
        self._jurisdictions, self._dates = jurisdictions, dates
        self.used: dict[str, np.ndarray] = {}  # parameter name -> the jurisdiction whose value applied, per group
        (j_codes, j_values), (d_codes, d_values) = jurisdictions, dates
        if j_codes is None and d_codes is None:  # the usual case: one county, one date
            self._codes = None
            self._groups = [(j_values[0], _as_date(d_values[0]))] if len(self.index) else []
        else:
            n = len(self.index)
            j_codes = np.zeros(n, dtype=np.int64) if j_codes is None else j_codes.astype(np.int64)
            d_codes = np.zeros(n, dtype=np.int64) if d_codes is None else d_codes.astype(np.int64)
            width = max(len(d_values), 1)
            self._codes, combos = pd.factorize(j_codes * width + d_codes)
            self._groups = [(j_values[c // width], _as_date(d_values[c % width])) for c in combos.tolist()]
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._date: Column | None = None

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, name: str) -> Column:
        return self.facts[name]

    @property
    def date(self) -> Column:
        """The date of evaluation of each row."""
        if self._date is None:
            codes, values = self._dates
            if codes is None and len(self) > 1:  # one date for every row: a view of it (date arithmetic is done once)
                data = np.broadcast_to(np.asarray(values[:1]), (len(self),))
            else:
                data = _decode(self._dates, len(self))
            self._date = Column(data, None, "M", index=self.index)
        return self._date

    def column(self, values) -> Column:
        """An array (or Series) computed by the formula, as a column of these rows."""
        return as_column(values, len(self), self.index)

    def unknown(self, kind: str = "boolean") -> Column:
        """A column of these rows that is unknown everywhere (``kind``: boolean, Int64, Float64 or a period
        frequency such as ``period[M]``)."""
        n = len(self)
        if kind.startswith("period["):
            return Column(np.full(n, _NOT_A_PERIOD), None, "p", _period_dtype(kind), index=self.index)
        dtype = {"boolean": bool, "Int64": np.int64, "Float64": np.float64}[kind]
        return Column(np.zeros(n, dtype=dtype), np.ones(n, dtype=bool), None, index=self.index)

    def constant(self, value: float) -> Column:
        """The number ``value``, known, in every row (a Float64 column: e.g. where a running total starts)."""
        n = len(self)
        return Column(np.full(n, float(value)), np.zeros(n, dtype=bool), "f", index=self.index)

    @property
    def jurisdiction(self) -> pd.Series:
        """The county (or other jurisdiction) code of each row."""
        return pd.Series(_decode(self._jurisdictions, len(self), object), index=self.index, copy=False)

    def jurisdiction_at(self, position: int) -> str:
        codes, values = self._jurisdictions
        return values[0 if codes is None else codes[position]]

    def date_at(self, position: int) -> dt.date:
        codes, values = self._dates
        return _as_date(values[0 if codes is None else codes[position]])

    def group_of(self, positions: np.ndarray) -> np.ndarray:
        return np.zeros(len(positions), dtype=np.intp) if self._codes is None else self._codes[positions]

    def _lookup(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        found = self._cache.get(name)
        if found is None:
            # A case or a few groups: remembered with the parameter set, so the next case of the same county and
            # date finds its arrays made (the arrays are never written to).
            shared = _cache_of(self.parameters) if len(self._groups) <= 4 else None
            key = ("groups", name, tuple(self._groups))
            found = shared.get(key) if shared is not None else None
            if found is None:
                values, sources = [], []
                for jurisdiction, date in self._groups:
                    value, source = _find(self.parameters, name, jurisdiction, date)
                    values.append(value)
                    sources.append(source)
                # The trailing None keeps numpy from turning list values (e.g. accepted categories) into a 2-D array.
                found = (np.array(values + [None], dtype=object)[:-1], np.array(sources + [None], dtype=object)[:-1])
                if shared is not None:
                    shared[key] = found
            self._cache[name] = found
        return found

    def _note_used(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        values, sources = self._lookup(name)
        self.used[name] = sources  # per group; a row's group is self._codes[row] (looked up only to explain)
        return values, sources

    def source_of(self, name: str, position: int) -> str | None:
        return self.used[name][0 if self._codes is None else self._codes[position]]

    def _broadcast(self, per_group: np.ndarray) -> np.ndarray:
        """One value per group as one value per row (a read-only view where every group has the same value)."""
        n = len(self)
        if not len(per_group):
            return per_group[:0]
        if per_group.dtype == object:
            return per_group[np.zeros(n, dtype=np.intp) if self._codes is None else self._codes]
        if self._codes is None or all_true(per_group == per_group[0]) or (per_group.dtype.kind == "f" and all_true(np.isnan(per_group))):
            return np.full(n, per_group[0], dtype=per_group.dtype) if n <= 4096 else np.broadcast_to(per_group[:1], (n,))
        return per_group[self._codes]

    def rows_by_value(self, name: str) -> list[tuple[Any, np.ndarray]]:
        """(parameter value, row mask) for each distinct value the parameter takes in these rows."""
        values, _ = self._note_used(name)
        if self._codes is None:
            return [(values[0], np.ones(len(self), dtype=bool))] if len(values) and values[0] is not None else []
        keys = [tuple(v) if isinstance(v, list) else v for v in values]
        found = []
        for key in dict.fromkeys(k for k in keys if k is not None):
            in_groups = np.array([k == key for k in keys], dtype=bool)
            rows = np.broadcast_to(True, (len(self),)) if all_true(in_groups) else in_groups[self._codes]
            found.append((list(key) if isinstance(key, tuple) else key, rows))
        return found

    def isin_param(self, series: Column | pd.Series, name: str) -> Column:
        """Whether each value is in the row's parameter list (unknown where either is missing)."""
        column = Column.of(series, self.index)
        missing = column.missing()
        by_value = self.rows_by_value(name)
        if len(by_value) == 1 and all_true(by_value[0][1]):  # one list for every row (one county and date)
            return Column(column.isin(by_value[0][0]).data & ~missing, missing, "b", index=self.index)
        data = np.zeros(len(self), dtype=bool)
        unknown = np.ones(len(self), dtype=bool)
        for allowed, rows in by_value:
            found = column.isin(allowed).data
            if all_true(rows):
                data, unknown = found, np.zeros(len(self), dtype=bool)
            else:
                data = np.where(rows, found, data)
                unknown = unknown & ~rows
        unknown = unknown | missing
        return Column(data & ~unknown, unknown, "b", index=self.index)

    def startswith_param(self, series: Column | pd.Series, name: str) -> Column:
        """Whether each text starts with the row's parameter prefix; computed on distinct texts, then broadcast."""
        column = Column.of(series, self.index)
        if column.kind == "c":  # the answer for each category is remembered with the categories
            codes = column.data
            answers_to = functools.partial(_category_starts_with, column.meta)
        else:
            codes, texts = pd.factorize(column.to_series())
            answers_to = functools.partial(_starts_with, list(texts))
        by_value = self.rows_by_value(name)
        if len(by_value) == 1 and all_true(by_value[0][1]):  # one prefix for every row (one county and date)
            return Column(answers_to(by_value[0][0])[codes], codes < 0, "b", index=self.index)
        data = np.zeros(len(self), dtype=bool)
        unknown = np.ones(len(self), dtype=bool)
        for prefix, rows in by_value:
            data = np.where(rows, answers_to(prefix)[codes], data)
            unknown = unknown & ~rows
        unknown = unknown | (codes < 0)
        return Column(data & ~unknown, unknown, "b", index=self.index)

    def p(self, name: str) -> Column:
        """A parameter as a column (numeric where it can be; unknown where it is not in force or not configured)."""
        data, unknown, kind = self._parameter_column(name, "value")
        return Column(data, unknown, kind, index=self.index)

    def flag(self, name: str) -> Column:
        return self.p(name).astype("boolean")

    def configured(self, name: str) -> Column:
        """Whether the parameter is in force for each row (decided per group, then broadcast)."""
        data, _, _ = self._parameter_column(name, "configured")
        return Column(data, None, "b", index=self.index)

    def _parameter_column(self, name: str, what: str) -> tuple[np.ndarray, np.ndarray | None, str]:
        """(values, unknown, kind) of a parameter's column. For a case, or a few rows of one county and date, the
        arrays are remembered with the parameter set (read-only), so the next case of that county and date finds
        them made: a parameter costs a case one dictionary lookup, not a dozen small numpy calls."""
        values, _ = self._note_used(name)
        if self._codes is not None or not self._groups or self._length > 64:
            return self._parameter_arrays(values, what)
        shared = _cache_of(self.parameters)
        key = ("column", what, name, self._groups[0], self._length)
        found = shared.get(key)
        if found is None:
            found = self._parameter_arrays(values, what)
            for array in found[:2]:
                if array is not None:
                    array.setflags(write=False)
            shared[key] = found
        return found

    def _parameter_arrays(self, values: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray | None, str]:
        if what == "configured":
            return self._broadcast(np.array([v is not None for v in values.tolist()], dtype=bool)), None, "b"
        present = [v for v in values.tolist() if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            per_group = np.array([bool(v) for v in values.tolist()], dtype=bool)
            missing = np.array([v is None for v in values.tolist()], dtype=bool)
            return self._broadcast(per_group), self._broadcast(missing), "b"
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            # Numbers (or nothing in force: unknown, and comparisons with it stay unknown) broadcast as floats.
            per_group = np.array([np.nan if v is None else float(v) for v in values.tolist()], dtype=float)
            column = self._broadcast(per_group)
            return column, np.isnan(column), "f"
        return self._broadcast(values), None, "O"


def _starts_with(texts: list, prefix: str) -> np.ndarray:
    """Whether each text starts with ``prefix``, and a last False for unknown texts (code -1)."""
    return np.array([str(t).startswith(prefix) for t in texts] + [False], dtype=bool)


def _category_starts_with(dtype: pd.CategoricalDtype, prefix: str) -> np.ndarray:
    return category_table(dtype, ("startswith", prefix), lambda texts, key: _starts_with(texts, key[1]))


def _cache_of(parameters: ParameterSet) -> dict:
    """Lookups remembered with the parameter set (a set is never changed once built: changes make a new set)."""
    cache = parameters.__dict__.get("_engine_cache")
    if cache is None or len(cache) > 200_000:
        cache = parameters.__dict__["_engine_cache"] = {}
    return cache


def _find(parameters: ParameterSet, name: str, jurisdiction: str, date: dt.date) -> tuple[Any, str | None]:
    """(value in force, jurisdiction that set it), or (None, None) where none is."""
    cache = _cache_of(parameters)
    key = (name, jurisdiction, date)
    found = cache.get(key)
    if found is None:
        try:
            parameter = parameters.find(name, jurisdiction, date)
            found = (parameter.at(date), parameter.jurisdiction)
        except ParameterNotFound:
            found = (None, None)
        cache[key] = found
    return found


def _cited(parameters: ParameterSet, name: str, source: str, date: dt.date) -> dict:
    """A parameter as an explanation lists it: value, unit, kind, jurisdiction and reference."""
    cache = _cache_of(parameters)
    key = ("cited", name, source, date)
    entry = cache.get(key)
    if entry is None:
        parameter = parameters.parameters[(name, source)]
        entry = cache[key] = {
            "name": name, "value": _plain(parameter.at(date)), "unit": parameter.unit, "kind": parameter.kind,
            "jurisdiction": source, "reference": str(parameter.reference),
        }
    return entry


# A per-row value held as (codes, distinct values); codes None: every row has the first value.
Coded = tuple[np.ndarray | None, Any]


def _decode(coded: Coded, length: int, dtype=None) -> np.ndarray:
    codes, values = coded
    values = np.asarray(values, dtype=dtype) if dtype is not None else np.asarray(values)
    if codes is None:
        return values[np.zeros(length, dtype=np.intp)] if len(values) else values[:0]
    return values[codes]


def _as_date(value) -> dt.date:
    return pd.Timestamp(value).date()


class Outputs:
    """What a formula fills, by column name; a Series, array or number stored here becomes a Column."""

    def __init__(self, index: pd.Index):
        self.index = index
        self._length = len(index)
        self._columns: dict[str, Column] = {}

    def __len__(self) -> int:  # rows, as len() of a frame
        return self._length

    def __setitem__(self, name: str, value) -> None:
        self._columns[name] = as_column(value, self._length, self.index)

    def __getitem__(self, name: str) -> Column:
        return self._columns[name]

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __iter__(self):
        return iter(self._columns)

    def get(self, name: str, default=None):
        return self._columns.get(name, default)

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def items(self):
        return self._columns.items()


# --------------------------------------------------------------------------------------------- the helpers


def boolean(series: Column | pd.Series) -> Column | pd.Series:
    return series.astype("boolean")


def isin(series: Column | pd.Series, allowed: Iterable) -> Column | pd.Series:
    """Membership with unknown kept unknown."""
    return series.isin(list(allowed)).astype("boolean").mask(series.isna())


def _datetimes(values) -> np.ndarray:
    if isinstance(values, Column) and values.kind == "M":
        return values.data
    if isinstance(values, pd.Series) and values.dtype.kind == "M":
        return values.to_numpy()
    return pd.to_datetime(values.to_series() if isinstance(values, Column) else values).to_numpy(dtype="datetime64[ns]")


def _ymd(values) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day as integers, and where the date is missing (numpy datetime arithmetic: fast)."""
    stamps = _datetimes(values)
    if len(stamps) > 1 and stamps.strides[0] == 0:  # one date repeated: its parts, once
        year, month, day, missing = _ymd(Column(stamps[:1], None, "M"))
        return year[0], month[0], day[0], np.broadcast_to(missing, stamps.shape)
    missing = np.isnat(stamps)
    if len(stamps) <= 8:  # a case or a few: Python's calendar, without twenty numpy calls on tiny arrays
        dates = [d if d is not None else dt.date(1970, 1, 1) for d in stamps.astype("datetime64[D]").astype(object).tolist()]
        return (np.array([d.year for d in dates], dtype=np.int64), np.array([d.month for d in dates], dtype=np.int64),
                np.array([d.day for d in dates], dtype=np.int64), missing)
    # Days since 1970-01-01 to the proleptic Gregorian calendar in integer arithmetic (H. Hinnant's
    # civil_from_days): numpy's conversion to months is per element and took most of an age computation.
    with np.errstate(over="ignore"):
        shifted = stamps.astype("datetime64[D]").astype(np.int64) + 719_468  # from 0000-03-01
        shifted[missing] = 0
        era = shifted // 146_097
        day_of_era = shifted - era * 146_097
        year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
        day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
        month_index = (5 * day_of_year + 2) // 153  # March = 0
        day = day_of_year - (153 * month_index + 2) // 5 + 1
        month = np.where(month_index < 10, month_index + 3, month_index - 9)
        year = year_of_era + era * 400 + (month <= 2)
    return year, month, day, missing


def _index_of(values) -> pd.Index | None:
    return values.index


def age_on(birth, date) -> Column:
    """Completed years on ``date`` (a birthday counts on the day itself)."""
    by, bm, bd, b_missing = _ymd(birth)
    dy, dm, dd, d_missing = _ymd(date)
    years = dy - by - ((dm < bm) | ((dm == bm) & (dd < bd)))
    return Column(years, b_missing | d_missing, "i", index=_index_of(birth))


def count_yes(columns: list) -> tuple[Column, Column]:
    """Row by row, how many of these yes/no columns are known yes, and how many are yes or unknown (small integers:
    the least and the most the count can turn out to be)."""
    columns = [c if type(c) is Column and c.kind == "b" else Column.of(c).astype("boolean") for c in columns]
    values = np.array([column.data for column in columns], dtype=bool)  # False where unknown
    unknown = np.array([column.missing() for column in columns], dtype=bool)
    index = columns[0].index
    return (Column(values.sum(axis=0, dtype=np.int8), None, "i", index=index),
            Column((values | unknown).sum(axis=0, dtype=np.int8), None, "i", index=index))


def months_between(start, end) -> Column:
    """Whole months from ``start`` to ``end``, counted as 民法典 第二百零二条 counts them (subsidy_rules.periods)."""
    sy, sm, sd, s_missing = _ymd(start)
    ey, em, ed, e_missing = _ymd(end)
    months = months_complete(sy, sm, sd, ey, em, ed)
    return Column(months, s_missing | e_missing, "i", index=_index_of(start))


def select(conditions: list, choices: list, default=NA) -> Column:
    """The first choice whose condition is known true, else ``default``: numpy's ``select`` on columns, keeping
    unknown choices unknown (a float column)."""
    length = len(conditions[0])
    index = next((c.index for c in (*conditions, *choices) if isinstance(c, (Column, pd.Series))), None)
    result = as_column(default, length, index).astype("Float64")
    data, unknown = result.data, result.unknown
    for condition, choice in reversed(list(zip(conditions, choices))):  # the first condition is applied last
        chosen = as_column(choice, length, index).astype("Float64")
        taken = Column.of(condition).astype("boolean").data  # known true (False where unknown)
        if not any_true(taken):  # chosen nowhere (a case takes one choice of several)
            continue
        data, unknown = np.where(taken, chosen.data, data), np.where(taken, chosen.unknown, unknown)
    return Column(data, unknown, "f", index=index)


def money(series: Column | pd.Series) -> Column | pd.Series:
    return series.astype("Float64").round(2)


# ----------------------------------------------------------------------------------------------- the scheme


@dataclass
class Scheme:
    id: str
    title_zh: str
    title_en: str
    source: str
    unit: str  # CNY (one-off), CNY/month, CNY/year
    facts: tuple[ColumnSpec, ...]
    criteria: tuple[Criterion, ...]
    formula: Callable[[Inputs, Outputs], None]  # fills the output columns
    steps: Callable[[Mapping], list[Step | str]]  # renders one output row (and its facts) as steps (zh, en)
    amount_facts: tuple[str, ...] = ()  # facts the amount needs beyond the criteria
    main_components: tuple[str, ...] = ("main",)  # components whose criteria decide `eligible`
    unit_fact: str | None = None  # a fact that selects the unit (e.g. construction vs operation)
    units: dict = field(default_factory=dict)
    in_force: str | None = None  # a parameter: where it has no value, the scheme is not in force (answered as such)
    period: str = "monthly"  # monthly | yearly | once: how the amount is paid (the budget and the payroll read it)
    periods: dict = field(default_factory=dict)  # by the value of unit_fact, where the period depends on it
    settlement_month: int = 12  # the month a yearly amount is paid in
    payers: tuple[Payer, ...] = GOVERNMENT_LEVELS  # whose parts fund.<id> the formula writes
    uses: tuple[str, ...] = ()  # schemes whose results this one reads as facts "<scheme>.amount", "<scheme>.eligible"
    advisories: tuple[Criterion, ...] = ()  # warnings (warn.<id> True) that do not decide eligibility
    sector: str | None = None  # elderly | childcare | disability: the department that leads it (附件1)
    applicant: str | None = None  # institution | person: who applies through casework (None: a check only)
    # For the public pre-check (web/eligibility.py): why a failed criterion failed, in one plain sentence per
    # criterion ({"zh", "en"}, read from an explained answer), and where to apply and what to bring.
    reasons: Callable[[Mapping], list[dict]] | None = None
    how_to_apply: Mapping | None = None

    @property
    def fact_names(self) -> list[str]:
        return [f.key for f in self.facts]

    def describe(self) -> dict:
        return {
            "id": self.id, "title_zh": self.title_zh, "title_en": self.title_en, "source": self.source,
            "unit": self.unit, "period": self.period, "periods": dict(self.periods) or None,
            "payers": [{"id": p.id, "zh": p.zh, "en": p.en, "kind": p.kind} for p in self.payers],
            "uses": list(self.uses), "sector": self.sector, "applicant": self.applicant,
            "facts": [{"name": f.key, "zh": f.zh, "type": f.kind, "description": f.description,
                       "choices": list(f.choices) if f.choices else None,
                       "choice_labels": dict(f.choices) if f.choices else None, "minimum": f.minimum} for f in self.facts],
            "criteria": [{"id": c.id, "title_zh": c.title_zh, "title_en": c.title_en, "component": c.component,
                          "facts": list(c.facts), "reference": c.reference.as_dict()} for c in self.criteria],
            "advisories": [{"id": c.id, "title_zh": c.title_zh, "title_en": c.title_en, "facts": list(c.facts),
                            "reference": c.reference.as_dict()} for c in self.advisories],
        }


REGISTRY: dict[str, Scheme] = {}


def register(scheme: Scheme) -> Scheme:
    """Add a scheme to the registry (the one list of scheme ids).

    A scheme that uses another's result (``uses``) is given the other's facts too, so the form, a batch file and
    the budget supply them, and the other's formula computes the result (see ``_used_results``)."""
    for period in (scheme.period, *scheme.periods.values()):
        if period not in PERIODS:
            raise ValueError(f"{scheme.id}: period must be one of {', '.join(PERIODS)}, not {period!r}")
    if not 1 <= scheme.settlement_month <= 12:
        raise ValueError(f"{scheme.id}: settlement_month must be 1-12")
    facts = list(scheme.facts)
    for used in scheme.uses:
        if used not in REGISTRY:
            raise ValueError(f"{scheme.id} uses {used}, which is not registered (register it first)")
        facts += [f for f in REGISTRY[used].facts if f.key not in {g.key for g in facts}]
    scheme.facts = tuple(facts)
    REGISTRY[scheme.id] = scheme
    return scheme


def get_scheme(scheme_id: str) -> Scheme:
    from subsidy_rules import schemes  # noqa: F401  (registers the schemes)

    try:
        return REGISTRY[scheme_id]
    except KeyError:
        raise UnknownScheme(
            f"未知补贴项目“{scheme_id}” / unknown scheme '{scheme_id}'; one of: {', '.join(sorted(REGISTRY))}"
        ) from None


def all_schemes() -> list[Scheme]:
    from subsidy_rules import schemes  # noqa: F401

    return [REGISTRY[k] for k in sorted(REGISTRY)]


# ----------------------------------------------------------------------------------------------- converting


class FactColumns(dict):
    """Typed fact columns by name (Columns, not one frame: a frame would copy every column)."""

    def __init__(self, columns: dict[str, Column], index: pd.Index):
        super().__init__(columns)
        self.index = index

    def row(self, position: int) -> dict:
        return {name: column.take([position]).tolist()[0] for name, column in self.items()}


@functools.cache
def _categories(spec: ColumnSpec) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(spec.choices))


def _typed(spec: ColumnSpec, column: pd.Series) -> Column | None:
    """The column as the fact's kind when it already is one (database, generator, pandas); else None."""
    dtype = column.dtype
    if spec.kind == "boolean" and pd.api.types.is_bool_dtype(dtype):
        return Column.of(column).astype("boolean")
    if spec.kind == "integer" and pd.api.types.is_integer_dtype(dtype):
        return Column.of(column).astype("Int64")
    if spec.kind == "number" and pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return Column.of(column).astype("Float64")
    if spec.kind == "date" and pd.api.types.is_datetime64_any_dtype(dtype):
        return Column.of(column)
    if spec.kind == "text" and (dtype == object or pd.api.types.is_string_dtype(dtype)
                                or isinstance(dtype, pd.CategoricalDtype)):
        # One hashing pass: texts repeat (codes, vocabularies), so the distinct values are few and cheap to check.
        codes, uniques = pd.factorize(column)  # missing -> -1
        if spec.choices:
            position = {value: i for i, value in enumerate(spec.choices)}
            mapped = np.array([position.get(u, -2) for u in uniques] + [-1], dtype=np.int64)
            if (mapped[:-1] == -2).any():
                return None  # labels such as 城市, or typos: the per-cell path converts or reports them
            return Column(_small_codes(mapped[codes], len(spec.choices)), None, "c", _categories(spec))
        if not all(isinstance(u, str) for u in uniques):
            return None
        return Column(_small_codes(codes, len(uniques)), None, "c", _text_categories(list(uniques)))
    return None


def _text_categories(texts: list[str]) -> pd.CategoricalDtype:
    """The categories of a free-text fact; a few texts (one case, a county's codes) share one dtype, built once
    (building one costs more than the rest of a case's facts together)."""
    if len(texts) > 64:
        return pd.CategoricalDtype(pd.Index(texts, dtype=object))
    return _few_text_categories(tuple(texts))


@functools.lru_cache(maxsize=4096)
def _few_text_categories(texts: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(pd.Index(list(texts), dtype=object))


def _small_codes(codes: np.ndarray, count: int) -> np.ndarray:
    return codes.astype(_code_type(count), copy=False)


def _code_type(count: int) -> type:
    """The smallest integer type for the codes of ``count`` categories (and -1 for unknown)."""
    return np.int8 if count < 127 else np.int16 if count < 32_000 else np.int32


@functools.cache
def _choice_codes(spec: ColumnSpec) -> dict:
    return {value: i for i, value in enumerate(spec.choices)}


def convert_facts(scheme: Scheme, frame: pd.DataFrame) -> tuple[FactColumns, dict[int, dict]]:
    """Typed fact columns, and the fact errors of the rows that have any: {position: {fact: reasons}}.

    Columns that already have the fact's type are checked as whole columns; anything else (JSON, spreadsheet
    cells) goes cell by cell through the same converter as imports, so the messages are the same. Unknown
    columns are ignored; absent facts are missing (unknown), never guessed.
    """
    converted = {}
    errors: dict[int, dict] = {}
    n = len(frame)
    for spec in scheme.facts:
        if spec.key not in frame.columns:  # absent: unknown, but typed like any other column of that fact
            converted[spec.key] = _unknown(spec, n)
            continue
        column = _typed(spec, frame[spec.key])
        if column is not None:
            if spec.minimum is not None:
                below = (column < spec.minimum).to_numpy(dtype=bool, na_value=False)
                if below.any():
                    error = below_minimum(spec.minimum)
                    for position in np.flatnonzero(below):
                        errors.setdefault(int(position), {})[spec.key] = {"reason_zh": error.reason_zh, "reason_en": error.reason_en}
                    column = column.mask(below)
            converted[spec.key] = column
            continue
        # Cells repeat (是/否, a county's code, a category): each distinct cell is converted once, its answer or
        # its error shared by every row that has it (True, 1 and 1.0 are different cells: care_services.distinct).
        codes, distinct = distinct_values(frame[spec.key].tolist())
        answers = []
        for value in [*distinct, None]:  # None: the blank cells
            try:
                answers.append(convert_cell(spec, value))
            except (CellError, IdentifierError) as error:
                answers.append(error)
        failed = [code for code, answer in enumerate(answers) if isinstance(answer, (CellError, IdentifierError))]
        if failed:
            cell_codes = np.where(codes == MISSING, len(distinct), codes)  # the blank cells' answer is the last
            for position in np.flatnonzero(np.isin(cell_codes, failed)).tolist():
                answer = answers[cell_codes[position]]
                errors.setdefault(position, {})[spec.key] = {"reason_zh": answer.reason_zh, "reason_en": answer.reason_en}
            answers = [None if isinstance(answer, (CellError, IdentifierError)) else answer for answer in answers]
        values = spread(answers[:-1], codes, answers[-1])
        converted[spec.key] = _from_values(spec, values, errors)
    return _indexed(converted, frame.index), errors


def convert_records(scheme: Scheme, records: list[Mapping[str, Any]]) -> tuple[FactColumns, dict[int, dict]]:
    """The facts of cases given one by one (JSON, the API), as typed columns, and each case's fact errors.

    A value already of the fact's type is taken as it is (as a typed column would be); anything else goes
    through the import converter, so a case gets the same answer alone, in a batch or in a frame.
    """
    converted = {}
    errors: dict[int, dict] = {}
    for spec in scheme.facts:
        values = []
        for position, record in enumerate(records):
            try:
                values.append(_cell(spec, record.get(spec.key)))
            except (CellError, IdentifierError) as error:
                errors.setdefault(position, {})[spec.key] = {"reason_zh": error.reason_zh, "reason_en": error.reason_en}
                values.append(None)
        converted[spec.key] = _from_values(spec, values, errors, keep_order=True)
    return _indexed(converted, pd.RangeIndex(len(records))), errors


def _indexed(columns: dict[str, Column], index: pd.Index) -> FactColumns:
    for column in columns.values():
        column.index = index
    return FactColumns(columns, index)


def _cell(spec: ColumnSpec, value: Any) -> Any:
    """One fact value: as it is when it already has the fact's type, else the import converter's value."""
    kind = spec.kind
    if value is None:
        return None
    if kind == "boolean" and isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (bool, np.bool_)):
        return convert_cell(spec, value)
    if kind == "integer" and isinstance(value, (int, np.integer)):
        converted = int(value)
    elif kind == "number" and isinstance(value, (int, float, np.integer, np.floating)):
        converted = float(value)
        if converted != converted:
            return None
    elif kind == "date" and isinstance(value, (dt.datetime, np.datetime64)):
        return None if pd.isna(value) else pd.Timestamp(value)
    elif kind == "text" and isinstance(value, str) and (not spec.choices or value in spec.choices):
        return value
    else:
        return convert_cell(spec, value)
    if spec.minimum is not None and converted < spec.minimum:
        raise below_minimum(spec.minimum)
    return converted


def _from_values(spec: ColumnSpec, values: list, errors: dict[int, dict], keep_order: bool = False) -> Column:
    """A fact column from converted Python values (None: unknown)."""
    n = len(values)
    if n == 1 and _few_states(spec, values[0]):  # one case: most facts are yes, no, a choice or missing
        data, unknown, kind, meta = _one_row_arrays(spec, values[0])
        return Column(data, unknown, kind, meta)
    missing = np.array([v is None for v in values], dtype=bool)
    kind = spec.kind
    if kind == "boolean":
        return Column(np.array([v is True for v in values], dtype=bool), missing, "b")
    if kind == "integer":
        try:
            return Column(np.array([0 if v is None else v for v in values], dtype=np.int64), missing, "i")
        except OverflowError:  # beyond 64 bits: refused like any other value that cannot be stored
            for position, v in enumerate(values):
                if v is not None and not -2**63 <= v < 2**63:
                    errors.setdefault(position, {})[spec.key] = {"reason_zh": "数值超出范围", "reason_en": "number out of range"}
                    values[position] = None
            return _from_values(spec, values, errors)
    if kind == "number":
        data = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        return Column(data, np.array([v is None or v != v for v in values], dtype=bool), "f")  # NaN: unknown
    if kind == "date":
        if any(isinstance(v, pd.Timestamp) for v in values):
            return Column(pd.to_datetime(pd.Series(values, dtype=object)).to_numpy(), None, "M")
        try:  # dates (None: NaT) converted by numpy in one pass
            days = np.array(values, dtype="datetime64[D]")
        except (TypeError, ValueError):
            days = np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values])
        return Column(days.astype("datetime64[s]"), None, "M")
    if spec.choices:
        position = _choice_codes(spec)
        codes = np.array([-1 if v is None else position[v] for v in values], dtype=_code_type(len(position)))
        return Column(codes, None, "c", _categories(spec))
    present = [v for v in values if v is not None]
    texts = list(dict.fromkeys(present)) if keep_order else sorted(set(present))
    position = {value: i for i, value in enumerate(texts)}
    codes = np.array([-1 if v is None else position[v] for v in values], dtype=_code_type(len(texts)))
    return Column(codes, None, "c", _text_categories(texts))


def _few_states(spec: ColumnSpec, value: Any) -> bool:
    """Whether the value is one of the few a fact can take (missing, yes / no, one of its choices)."""
    return value is None or (spec.kind == "boolean" and type(value) is bool) or (
        spec.kind == "text" and spec.choices is not None and type(value) is str and value in spec.choices)


@functools.lru_cache(maxsize=4096)
def _one_row_arrays(spec: ColumnSpec, value: Any) -> tuple:
    """The arrays of a one-row fact column holding ``value`` (see _few_states), made once and shared read-only."""
    column = _from_values(spec, [value, value], {}, keep_order=True).take([0])
    for array in (column.data, column.unknown):
        if array is not None:
            array.setflags(write=False)
    return column.data, column.unknown, column.kind, column.meta


def _unknown(spec: ColumnSpec, n: int) -> Column:
    """An all-unknown column of the fact's kind, built without converting a million Nones."""
    if spec.kind == "boolean":
        return Column(np.zeros(n, dtype=bool), np.ones(n, dtype=bool), "b")
    if spec.kind == "integer":
        return Column(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool), "i")
    if spec.kind == "number":
        return Column(np.zeros(n, dtype=np.float64), np.ones(n, dtype=bool), "f")
    if spec.kind == "date":
        return Column(np.full(n, np.datetime64("NaT", "ns")), None, "M")
    dtype = _categories(spec) if spec.choices else pd.CategoricalDtype([])
    return Column(np.full(n, -1, dtype=np.int8), None, "c", dtype)


# ---------------------------------------------------------------------------------------------- evaluating


def _date_values(frame: pd.DataFrame, date: dt.date | str | None) -> Coded:
    if "date" in frame.columns and date is None:
        dates = pd.to_datetime(frame["date"])
        codes, uniques = pd.factorize(dates)
        return (None, uniques.to_numpy()) if len(uniques) == 1 and (codes >= 0).all() else (codes, uniques.to_numpy())
    return None, np.array([_stamp(date)])


def _stamp(date: dt.date | str | None) -> np.datetime64:
    return _stamp_of(date or dt.date.today())


@functools.lru_cache(maxsize=4096)  # cases come in on a few dates
def _stamp_of(date: dt.date | str) -> np.datetime64:
    return np.datetime64(pd.Timestamp(date).to_datetime64(), "ns")


def _jurisdiction_values(frame: pd.DataFrame, jurisdiction: str | None) -> Coded:
    if "jurisdiction" in frame.columns and jurisdiction is None:
        codes, uniques = pd.factorize(frame["jurisdiction"].astype(str))
        uniques = [str(u) for u in uniques]
        return (None, uniques) if len(uniques) == 1 and (codes >= 0).all() else (codes, uniques)
    if jurisdiction is None:
        raise ValueError("jurisdiction is required (a county code such as 360902)")
    return None, [str(jurisdiction)]


def _coded(values: list) -> Coded:
    distinct = list(dict.fromkeys(values))
    if len(distinct) == 1:
        return None, distinct
    position = {v: i for i, v in enumerate(distinct)}
    return np.array([position[v] for v in values], dtype=np.intp), distinct


def evaluate_frame(
    scheme_id: str,
    frame: pd.DataFrame,
    *,
    date: dt.date | str | None = None,
    jurisdiction: str | None = None,
    parameters: ParameterSet | None = None,
) -> pd.DataFrame:
    """Evaluate every row. Columns: eligible, crit.<id>, amount, fund.<level>, x.<intermediate>, ….

    Rows whose facts could not be converted have eligible, amount and funding missing and their reasons in
    ``fact_errors``. ``result.attrs["context"]`` is the :class:`Evaluation` (explanations, missing facts).
    """
    scheme = get_scheme(scheme_id)
    parameters = parameters or default_parameters()
    facts, errors = convert_facts(scheme, frame)
    jurisdictions = _jurisdiction_values(frame, jurisdiction)
    inputs = Inputs(facts, jurisdictions, _date_values(frame, date), parameters)
    return _evaluate(scheme, inputs, errors).frame()


def evaluate_records(
    scheme_id: str,
    records: list[Mapping[str, Any]],
    *,
    dates: list[dt.date | str | None],
    jurisdictions: list[str],
    parameters: ParameterSet | None = None,
) -> Evaluation:
    """Evaluate cases given one by one (each with its own date and county) in one pass over columns."""
    scheme = get_scheme(scheme_id)
    if any(j is None for j in jurisdictions):
        raise ValueError("jurisdiction is required (a county code such as 360902)")
    facts, errors = convert_records(scheme, records)
    date_codes, date_values = _coded([_stamp(d) for d in dates])
    inputs = Inputs(facts, _coded([str(j) for j in jurisdictions]), (date_codes, np.array(date_values)),
                    parameters or default_parameters())
    return _evaluate(scheme, inputs, errors)


def _evaluate(scheme: Scheme, inputs: Inputs, errors: dict[int, dict]) -> Evaluation:
    _check_jurisdictions(inputs, errors)
    _used_results(scheme, inputs, errors)
    out = Outputs(inputs.index)
    scheme.formula(inputs, out)
    n = len(inputs)
    in_force = inputs.configured(scheme.in_force) if scheme.in_force \
        else Column(np.ones(n, dtype=bool), None, "b", index=inputs.index)
    if not all_true(in_force.data):  # not in force: nothing is paid, and the answer says why (skipped where all rows are)
        for criterion in scheme.criteria:
            out[f"crit.{criterion.id}"] = out[f"crit.{criterion.id}"].where(in_force, False)
    main = [out[f"crit.{c.id}"] for c in scheme.criteria if c.component in scheme.main_components]
    eligible = all_of(main).astype("boolean")
    if errors:
        bad = np.zeros(n, dtype=bool)
        bad[list(errors)] = True
        eligible = eligible.mask(bad)
    columns = {"eligible": eligible, "in_force": in_force, **dict(out.items())}
    # Ineligible means nothing is paid; unknown eligibility (or amount) means the parts are unknown too.
    ineligible = eligible.eq(False).fillna(False)
    undecided = eligible.isna()
    amount = money(columns["amount"].astype("Float64").mask(ineligible, 0.0).mask(undecided))
    columns["amount"] = amount
    unknown_amount = amount.isna()
    for name in [c for c in columns if c.startswith("fund.")]:
        columns[name] = money(columns[name].astype("Float64").mask(ineligible, 0.0).mask(unknown_amount))
    columns["unit"] = _units(scheme, inputs.facts)
    columns["period"] = _periods(scheme, inputs.facts)
    return Evaluation(scheme, columns, inputs, errors)


def _check_jurisdictions(inputs: Inputs, errors: dict[int, dict]) -> None:
    """Rows whose jurisdiction names no division get an input error (not an answer of "not eligible").

    Each distinct code is checked once."""
    codes, values = inputs._jurisdictions
    bad = [i for i, code in enumerate(values) if unknown_division(str(code))]
    if not bad:
        return
    positions = np.arange(len(inputs)) if codes is None else np.flatnonzero(np.isin(codes, bad))
    for position in positions.tolist():
        code = inputs.jurisdiction_at(position)
        errors.setdefault(int(position), {})["jurisdiction"] = {
            "reason_zh": f"行政区划代码{code}不存在", "reason_en": f"no division has the code {code}"}


def _used_results(scheme: Scheme, inputs: Inputs, errors: dict[int, dict]) -> None:
    """Another scheme's result as facts of this one: its own formula on the same rows, never a second copy."""
    for used in scheme.uses:
        used_scheme = get_scheme(used)
        names = set(used_scheme.fact_names) | {"jurisdiction"}
        used_errors = {position: {k: v for k, v in reasons.items() if k in names}
                       for position, reasons in errors.items()}
        used_errors = {position: reasons for position, reasons in used_errors.items() if reasons}
        facts = FactColumns({name: inputs.facts[name] for name in used_scheme.fact_names}, inputs.index)
        used_inputs = Inputs(facts, inputs._jurisdictions, inputs._dates, inputs.parameters)
        result = _evaluate(used_scheme, used_inputs, used_errors)
        inputs.facts[f"{used}.eligible"] = result.columns["eligible"]
        inputs.facts[f"{used}.amount"] = result.columns["amount"]


def where_in_force(scheme: Scheme, parameters: ParameterSet) -> list[dict]:
    """Where and when the scheme is in force: the jurisdictions and date spans of its in-force parameter."""
    if not scheme.in_force:
        return []
    spans = []
    for (name, jurisdiction), parameter in sorted(parameters.parameters.items()):
        if name != scheme.in_force:
            continue
        for (start, value), following in zip(parameter.values, [*parameter.values[1:], (None, None)]):
            if value is not None:
                spans.append({"jurisdiction": jurisdiction, "name_zh": division_name(jurisdiction),
                              "from": start.isoformat(), "until": following[0].isoformat() if following[0] else None})
    return spans


def _periods(scheme: Scheme, facts: FactColumns) -> Column:
    """monthly / yearly / once per row (by the unit fact where the scheme declares periods by it)."""
    if scheme.unit_fact and scheme.periods:
        return facts[scheme.unit_fact].map(
            lambda v: scheme.periods.get(v, scheme.period) if pd.notna(v) else scheme.period)
    return Column(np.zeros(len(facts.index), dtype=np.int8), None, "c", _unit_dtype(scheme.period), facts.index)


def _units(scheme: Scheme, facts: FactColumns) -> Column:
    if scheme.unit_fact:
        return facts[scheme.unit_fact].map(lambda v: scheme.units.get(v, scheme.unit) if pd.notna(v) else scheme.unit)
    return Column(np.zeros(len(facts.index), dtype=np.int8), None, "c", _unit_dtype(scheme.unit), facts.index)


@functools.cache
def _unit_dtype(unit: str) -> pd.CategoricalDtype:
    return pd.CategoricalDtype([unit])


_NOT_A_PERIOD = np.iinfo(np.int64).min  # pandas' ordinal of a missing period


@functools.cache
def _period_dtype(name: str) -> pd.PeriodDtype:
    return pd.api.types.pandas_dtype(name)


class Evaluation:
    """A scheme evaluated over rows: its output columns, the inputs behind them, and their explanations.

    Everything here works on whole columns: the answer frame, the missing facts and failed criteria of every
    row, and the JSON explanations (one pass over each column; only the steps, which are sentences, are
    written row by row).
    """

    def __init__(self, scheme: Scheme, columns: dict[str, Column], inputs: Inputs, errors: dict[int, dict]):
        self.scheme, self.columns, self.inputs, self.errors = scheme, columns, inputs, errors
        self.facts = inputs.facts

    def __len__(self) -> int:
        return len(self.inputs)

    def __deepcopy__(self, memo):  # pandas copies attrs deeply on some operations: share, never duplicate
        return self

    def frame(self) -> pd.DataFrame:
        """The answer as a frame (the frame keeps this evaluation in ``attrs["context"]``)."""
        data = {name: _owned(column.to_array()) for name, column in self.columns.items()}
        if self.errors:
            errors = np.empty(len(self), dtype=object)
            errors[:] = [self.errors.get(position, {}) for position in range(len(self))]
            data["fact_errors"] = errors
        frame = pd.DataFrame(data, index=self.inputs.index, copy=False)
        frame.attrs["context"] = self
        return frame

    # ------------------------------------------------------------------------------------- explanations

    def missing_facts(self) -> list[list[str]]:
        """Per row, the facts that are missing and would decide something: used by an unknown criterion, or by
        the amount of an eligible case whose amount is unknown. Computed for every row at once."""
        scheme, columns, facts = self.scheme, self.columns, self.facts
        pairs: list[tuple[str, np.ndarray]] = []
        for criterion in scheme.criteria:
            unknown = columns[f"crit.{criterion.id}"].missing()
            if any_true(unknown):  # a criterion known in every row needs none of its facts
                pairs += [(name, unknown & facts[name].missing()) for name in criterion.facts]
        eligible = columns["eligible"]
        needs_amount = eligible.data & ~eligible.missing() & columns["amount"].missing()
        if any_true(needs_amount):
            pairs += [(name, needs_amount & facts[name].missing()) for name in scheme.amount_facts]
        return _names_by_row(pairs, len(self))

    def failed_criteria(self) -> list[list[str]]:
        """Per row, the ids of the criteria known not to be met."""
        pairs = []
        for criterion in self.scheme.criteria:
            column = self.columns[f"crit.{criterion.id}"]
            pairs.append((criterion.id, ~column.to_numpy(dtype=bool, na_value=True)))
        return _names_by_row(pairs, len(self))

    def in_force_failures(self) -> list[list[str]]:
        """Per row, the failed criteria as the batch table lists them: ["not_in_force"] where the scheme is not."""
        failed = self.failed_criteria()
        in_force = self.columns["in_force"].to_numpy(dtype=bool, na_value=False)
        if in_force.all():
            return failed
        return [names if ok else ["not_in_force"] for names, ok in zip(failed, in_force.tolist())]

    def warnings(self) -> list[list[str]]:
        """Per row, the ids of the advisories raised (warn.<id> known true)."""
        pairs = [(c.id, self.columns[f"warn.{c.id}"].to_numpy(dtype=bool, na_value=False))
                 for c in self.scheme.advisories if f"warn.{c.id}" in self.columns]
        return _names_by_row(pairs, len(self))

    def explain(self, positions: Iterable[int] | None = None) -> list[dict]:
        """The JSON answer of each row (all rows, or those at ``positions``), as the CLI and the API give it."""
        scheme, inputs = self.scheme, self.inputs
        every = positions is None
        positions = np.arange(len(self)) if every else np.asarray(list(positions), dtype=np.intp)
        columns = self.columns if every else {n: c.take(positions) for n, c in self.columns.items()}
        facts = self.facts if every else {n: c.take(positions) for n, c in self.facts.items()}
        missing_all = self.missing_facts()
        missing = missing_all if every else [missing_all[p] for p in positions.tolist()]
        # As the formula's steps have always read a row: outputs as a frame row's to_dict() (None where unknown),
        # facts as their own values (pd.NA where unknown).
        values = {name: column.tolist(na=None) for name, column in columns.items()}
        fact_values = {name: column.tolist() for name, column in facts.items()}
        plain_facts = {name: [_plain(v) for v in vs] for name, vs in fact_values.items()}
        passed = {c.id: [None if v is None else bool(v) for v in values[f"crit.{c.id}"]] for c in scheme.criteria}
        applicable = {c.id: [not falsity(v) for v in values[f"applies.{c.id}"]] if f"applies.{c.id}" in values
                      else None for c in scheme.criteria}
        funding = [(name[5:], [_plain(v) for v in values[name]]) for name in values if name.startswith("fund.")]
        remaining = [(name[10:], [_plain(v) for v in values[name]]) for name in values if name.startswith("remaining.")]
        warned = [(c, [truth(v) for v in values[f"warn.{c.id}"]]) for c in scheme.advisories if f"warn.{c.id}" in values]
        in_force = [truth(v) for v in values["in_force"]]
        payers = {p.id: {"zh": p.zh, "en": p.en, "kind": p.kind} for p in scheme.payers}
        spans = None  # where the scheme is in force: looked up once, for the rows where it is not
        amounts = [_plain(v) for v in values["amount"]]
        first_payment = [_plain(v) for v in values["first_payment_month"]] if "first_payment_month" in values else None
        row_names = [f"fact.{k}" for k in fact_values] + list(values)
        row_lists = list(fact_values.values()) + list(values.values())
        parameters_by_group = self._parameters_by_group()
        groups = inputs.group_of(positions).tolist()
        answers = []
        for i, position in enumerate(positions.tolist()):
            errors = self.errors.get(position)
            eligible = values["eligible"][i]
            answer: dict[str, Any] = {
                "scheme": scheme.id,
                "title_zh": scheme.title_zh,
                "title_en": scheme.title_en,
                "jurisdiction": inputs.jurisdiction_at(position),
                "date": inputs.date_at(position).isoformat(),
                "in_force": True,
                "eligible": None if eligible is None else bool(eligible),
                "missing_facts": [] if errors else list(missing[i]),
                "criteria": [
                    {
                        "id": c.id, "title_zh": c.title_zh, "title_en": c.title_en, "component": c.component,
                        "passed": passed[c.id][i],
                        "facts": {f: plain_facts[f][i] for f in c.facts},
                        "reference": c.reference.as_dict(),
                        "applicable": True if applicable[c.id] is None else applicable[c.id][i],
                    }
                    for c in scheme.criteria
                ],
                "amount": amounts[i],
                "unit": values["unit"][i],
                "period": values["period"][i],
                "funding": {payer: parts[i] for payer, parts in funding if parts[i] is not None},
                "payers": {payer: dict(names) for payer, names in payers.items()},
                "remaining": {name: parts[i] for name, parts in remaining if parts[i] is not None},
                "warnings": [_warning(c) for c, raised in warned if raised[i]],
                "steps": [], "steps_en": [],
                "parameters": [dict(entry) for entry in parameters_by_group[groups[i]]],
            }
            if not errors:  # the Chinese lines as always; their English beside them (steps_en)
                answer["steps"], answer["steps_en"] = texts(
                    _steps(scheme, dict(zip(row_names, (column[i] for column in row_lists)))))
            if not in_force[i] and not errors:
                if spans is None:
                    spans = where_in_force(scheme, inputs.parameters)
                _not_in_force(answer, scheme, spans, answer["jurisdiction"], inputs.date_at(position))
            if first_payment is not None:
                answer["first_payment_month"] = first_payment[i]
            if errors:
                answer["fact_errors"] = errors
            answers.append(answer)
        return answers

    def _parameters_by_group(self) -> list[list[dict]]:
        """The parameters the formula used, with value and citation, for each (county, date) group (a group's
        list is remembered with the parameter set: which parameters apply to a county and date never changes)."""
        inputs = self.inputs
        cache = _cache_of(inputs.parameters)
        names = tuple(inputs.used)
        found = []
        for group, (jurisdiction, date) in enumerate(inputs._groups):
            key = ("cited group", names, jurisdiction, date)
            entries = cache.get(key)
            if entries is None:
                entries = []
                for name, sources in inputs.used.items():
                    source = sources[group]
                    if source is not None:
                        entries.append(_cited(inputs.parameters, name, source, date))
                cache[key] = entries
            found.append(entries)
        return found


def _warning(advisory: Criterion) -> dict:
    """An advisory raised on a row (it informs; it does not decide eligibility)."""
    return {"id": advisory.id, "title_zh": advisory.title_zh, "title_en": advisory.title_en,
            "facts": list(advisory.facts), "reference": advisory.reference.as_dict()}


def _not_in_force(answer: dict, scheme: Scheme, spans: list[dict], jurisdiction: str, date: dt.date) -> None:
    """The answer for a place or date where the scheme is not in force: the policy's places and dates, no criteria."""
    places = "、".join(f"{s['name_zh']}（{s['from']}起{'至' + s['until'] if s['until'] else ''}）" for s in spans) or "无"
    places_en = "; ".join(f"{english_name(s['jurisdiction'])} from {s['from']}" + (f" until {s['until']}" if s['until'] else "")
                          for s in spans) or "nowhere"
    answer.update({
        "in_force": False, "eligible": False, "missing_facts": [], "criteria": [], "warnings": [], "funding": {},
        "not_in_force": {"document": scheme.source, "in_force_in": [dict(s) for s in spans],
                         "message_zh": f"{scheme.source}在{division_name(jurisdiction)}（{jurisdiction}）、{date.isoformat()}"
                                       f"不适用：该政策适用于{places}",
                         "message_en": f"“{scheme.title_en}” is not in force in {english_name(jurisdiction)} on "
                                       f"{date.isoformat()}; it is in force in {places_en}"},
    })
    answer["steps"], answer["steps_en"] = [answer["not_in_force"]["message_zh"]], [answer["not_in_force"]["message_en"]]


def _owned(array):
    """A numpy array the frame may keep (broadcast views of one value become real arrays)."""
    if isinstance(array, np.ndarray) and not array.flags.c_contiguous:
        return np.ascontiguousarray(array)
    return array


def _names_by_row(pairs: list[tuple[str, np.ndarray]], length: int) -> list[list[str]]:
    """For each row, the names whose flag is set (in order, each once); rows with the same flags share the work."""
    if not pairs or not length:
        return [[] for _ in range(length)]
    flags = np.column_stack([flag for _, flag in pairs])
    names = [name for name, _ in pairs]
    if length <= 16:  # a case or a few: reading the rows of the matrix costs less than grouping them
        return [list(dict.fromkeys(n for n, on in zip(names, row) if on)) for row in flags.tolist()]
    result: list[list[str]] = [[] for _ in range(length)]
    rows = np.flatnonzero(flags.any(axis=1))
    if not len(rows):
        return result
    patterns, inverse = np.unique(np.packbits(flags[rows], axis=1), axis=0, return_inverse=True)
    unpacked = np.unpackbits(patterns, axis=1)[:, :len(names)].astype(bool)
    lists = [list(dict.fromkeys(n for n, on in zip(names, pattern) if on)) for pattern in unpacked.tolist()]
    for row, pattern in zip(rows.tolist(), inverse.ravel().tolist()):
        result[row] = list(lists[pattern])
    return result


def truth(value: Any) -> bool:
    """True only for a known true value (numpy, pandas and Python booleans alike)."""
    return not _absent(value) and bool(value)


def falsity(value: Any) -> bool:
    """True only for a known false value."""
    return not _absent(value) and not bool(value)


_NEVER_ABSENT = frozenset((bool, int, str))  # the common values of an answer, decided without pd.isna


def _absent(value: Any) -> bool:
    if value is None or type(value) in _NEVER_ABSENT:
        return value is None
    if type(value) is float:  # NaN is the only float pd.isna calls missing
        return value != value
    return not isinstance(value, (list, tuple)) and pd.isna(value)


def _plain(value: Any) -> Any:
    if type(value) in _NEVER_ABSENT:
        return value
    if _absent(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, (dt.date,)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 2)
    if isinstance(value, Range):
        return {"min": value.min, "max": value.max}
    return value


def _steps(scheme: Scheme, row: Mapping) -> list[Step | str]:
    """How the amount was reached; for an ineligible or undecided case, why there is no amount."""
    if falsity(row["eligible"]):
        failed = [c for c in scheme.criteria if c.component in scheme.main_components and falsity(row[f"crit.{c.id}"])]
        return [Step(f"不符合：{c.title_zh}（{c.reference.document} {c.reference.clause}）", f"Not met: {c.title_en}")
                for c in failed]
    if _absent(row["eligible"]):
        return [Step("资格待定：缺少事实，见下列缺少的事实", "Eligibility undecided: see the missing facts below")]
    return scheme.steps(row)


def explain_row(scheme: Scheme, result: pd.DataFrame, position: int, parameters: ParameterSet | None = None) -> dict:
    """One evaluated row of an evaluate_frame result as the JSON the CLI and the API answer with."""
    return result.attrs["context"].explain([position])[0]


def explain_rows(result: pd.DataFrame) -> list[dict]:
    """Every row of an evaluate_frame result as JSON answers, computed column by column."""
    return result.attrs["context"].explain()


def evaluate(
    scheme_id: str,
    facts: Mapping[str, Any],
    *,
    date: dt.date | str | None = None,
    jurisdiction: str,
    parameters: ParameterSet | None = None,
) -> dict:
    """Evaluate one case: the batch formula on one row. Bad facts raise FactError naming each fact."""
    scheme = get_scheme(scheme_id)
    check_fact_names(scheme, facts)
    evaluation = evaluate_records(scheme_id, [facts], dates=[date], jurisdictions=[jurisdiction], parameters=parameters)
    if evaluation.errors:
        raise FactError(evaluation.errors[0])
    return evaluation.explain()[0]


def check_fact_names(scheme: Scheme, facts: Mapping[str, Any]) -> None:
    """FactError naming every fact the scheme does not have (a frame would silently ignore them)."""
    unknown = sorted(set(facts) - _fact_name_set(scheme.facts))
    if unknown:
        raise FactError({name: {"reason_zh": "不是该补贴项目的事实项", "reason_en": f"not a fact of {scheme.id}"}
                         for name in unknown})


@functools.lru_cache(maxsize=1024)
def _fact_name_set(facts: tuple[ColumnSpec, ...]) -> frozenset[str]:
    return frozenset(spec.key for spec in facts)


def yuan(value: Any) -> str:
    """Amounts in steps: 1,234.5 → '1,234.50元'."""
    if _absent(value):
        return "—"
    return f"{float(value):,.2f}元"


def percent(share: Any) -> str:
    return "—" if _absent(share) else f"{float(share) * 100:g}%"


def number(value: Any) -> str:
    if _absent(value):
        return "—"
    value = float(value)
    return f"{int(value):,}" if math.isclose(value, round(value)) else f"{value:,.2f}"
