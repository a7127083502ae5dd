"""The rules engine: schemes as vectorised formulas over pandas frames, and their explanations.

A scheme declares its facts, its criteria (with citations) and a formula that works on whole columns: every
criterion becomes a nullable boolean column (True / False / unknown when a fact is missing; pandas' Kleene
logic carries "unknown" through ``&`` and ``|``), the amount and funding parts are numeric columns, and the
intermediate figures a person needs to follow the computation are columns too. The single-case API runs the
same formula on a one-row frame and turns that row into JSON; it computes nothing of its own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from care_services.divisions import division_name, unknown_division
from care_services.spreadsheet import CellError, ColumnSpec, below_minimum, convert_cell
from care_services.identifiers import IdentifierError
from subsidy_rules.parameters import ParameterNotFound, ParameterSet, Range, Reference, default_parameters
from subsidy_rules.periods import completed_months, ymd


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
    """What a formula sees: converted facts, per-row jurisdiction and date, and parameter columns."""

    def __init__(self, facts: FactColumns, jurisdiction: pd.Series, date: pd.Series, parameters: ParameterSet):
        self.facts = facts
        self.jurisdiction = jurisdiction.astype(str)
        self.date = pd.to_datetime(date)
        self.parameters = parameters
        self.used: dict[str, np.ndarray] = {}  # parameter name -> the jurisdiction whose value applied, per group
        # Group rows by (jurisdiction, date): parameters are looked up once per group, then broadcast.
        jurisdiction_codes, jurisdictions = pd.factorize(self.jurisdiction)
        first = self.date.iloc[0] if len(self.date) else None
        if len(self.date) and (self.date.to_numpy() == np.datetime64(first)).all():  # the usual case: one date
            date_codes, dates = np.zeros(len(self.date), dtype=np.int64), pd.DatetimeIndex([first])
        else:
            date_codes, dates = pd.factorize(self.date)
        width = max(len(dates), 1)
        self._codes, combos = pd.factorize(jurisdiction_codes.astype(np.int64) * width + date_codes)
        self._groups = [(jurisdictions[c // width], dates[c % width].date()) for c in combos]
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.facts.index)

    def __getitem__(self, name: str) -> pd.Series:
        return self.facts[name]

    def _lookup(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._cache:
            values, sources = [], []
            for jurisdiction, date in self._groups:
                try:
                    found = self.parameters.find(name, jurisdiction, date)
                    values.append(found.at(date))
                    sources.append(found.jurisdiction)
                except ParameterNotFound:
                    values.append(None)
                    sources.append(None)
            # The trailing None keeps numpy from turning list values (e.g. accepted categories) into a 2-D array.
            self._cache[name] = (np.array(values + [None], dtype=object)[:-1], np.array(sources + [None], dtype=object)[:-1])
        return self._cache[name]

    def _note_used(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        values, sources = self._lookup(name)
        self.used[name] = sources  # per group; a row's group is self._codes[row] (looked up only to explain)
        return values, sources

    def source_of(self, name: str, position: int) -> str | None:
        return self.used[name][self._codes[position]]

    def rows_by_value(self, name: str) -> list[tuple[Any, np.ndarray]]:
        """(parameter value, row mask) for each distinct value the parameter takes in this frame."""
        values, _ = self._note_used(name)
        keys = [tuple(v) if isinstance(v, list) else v for v in values]
        found = []
        for key in {k for k in keys if k is not None}:
            groups = [i for i, k in enumerate(keys) if k == key]
            found.append((list(key) if isinstance(key, tuple) else key, np.isin(self._codes, groups)))
        return found

    def isin_param(self, series: pd.Series, name: str) -> pd.Series:
        """Whether each value is in the row's parameter list (unknown where either is missing)."""
        result = pd.Series(pd.NA, index=series.index, dtype="boolean")
        for allowed, rows in self.rows_by_value(name):
            result[rows] = series[rows].isin(allowed).to_numpy()
        return result.mask(series.isna())

    def startswith_param(self, series: pd.Series, name: str) -> pd.Series:
        """Whether each text starts with the row's parameter prefix; computed on distinct texts, then broadcast."""
        result = pd.Series(pd.NA, index=series.index, dtype="boolean")
        codes, texts = pd.factorize(series)
        for prefix, rows in self.rows_by_value(name):
            answers = np.array([str(t).startswith(prefix) for t in texts] + [False])
            result[rows] = answers[codes[rows]]
        return result.mask(series.isna())

    def p(self, name: str) -> pd.Series:
        """A parameter as a column (numeric where it can be; None where it is not in force or not configured)."""
        values, _ = self._note_used(name)
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            per_group = np.array([bool(v) for v in values], dtype=bool)
            missing = np.array([v is None for v in values], dtype=bool)
            return pd.Series(pd.arrays.BooleanArray(per_group[self._codes], missing[self._codes]), index=self.facts.index)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            # Numbers (or nothing in force: unknown, and comparisons with it stay unknown) broadcast as floats.
            per_group = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
            column = per_group[self._codes]
            return pd.Series(pd.arrays.FloatingArray(column, np.isnan(column)), index=self.facts.index)
        return pd.Series(values[self._codes], index=self.facts.index)

    def flag(self, name: str) -> pd.Series:
        return self.p(name).astype("boolean")

    def configured(self, name: str) -> pd.Series:
        """Whether the parameter is in force for each row (decided per group, then broadcast)."""
        values, _ = self._note_used(name)
        per_group = np.array([v is not None for v in values], dtype=bool)
        return pd.Series(per_group[self._codes], index=self.facts.index)


# --------------------------------------------------------------------------------------------- the helpers


def boolean(series: pd.Series) -> pd.Series:
    return series.astype("boolean")


def isin(series: pd.Series, allowed: Iterable) -> pd.Series:
    """Membership with unknown kept unknown."""
    return series.isin(list(allowed)).astype("boolean").mask(series.isna())


def _ymd(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day as integers, and where the date is missing (subsidy_rules.periods counts the same way)."""
    year, month, day, _, missing = ymd(values)
    return year, month, day, missing


def age_on(birth: pd.Series, date: pd.Series) -> pd.Series:
    """Completed years on ``date`` (a birthday counts on the day itself)."""
    by, bm, bd, b_missing = _ymd(birth)
    dy, dm, dd, d_missing = _ymd(date)
    years = dy - by - ((dm < bm) | ((dm == bm) & (dd < bd)))
    return pd.Series(pd.arrays.IntegerArray(years, b_missing | d_missing), index=birth.index)


def months_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole months from ``start`` to ``end``, counted as 民法典 第二百零二条 counts them (subsidy_rules.periods)."""
    return completed_months(start, end)


def money(series: pd.Series) -> pd.Series:
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
    formula: Callable[[Inputs, pd.DataFrame], None]  # fills the output frame
    steps: Callable[[Mapping], list[str]]  # renders one output row (and its facts) as steps
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


def _typed(spec: ColumnSpec, column: pd.Series) -> pd.Series | None:
    """The column as the fact's dtype when it already is one (database, generator, pandas); else None."""
    dtype = column.dtype
    if spec.kind == "boolean" and pd.api.types.is_bool_dtype(dtype):
        return column.astype("boolean")
    if spec.kind == "integer" and pd.api.types.is_integer_dtype(dtype):
        return column.astype("Int64")
    if spec.kind == "number" and pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return column.astype("Float64")
    if spec.kind == "date" and pd.api.types.is_datetime64_any_dtype(dtype):
        return column
    if spec.kind == "text" and (dtype == object or pd.api.types.is_string_dtype(dtype)
                                or isinstance(dtype, pd.CategoricalDtype)):
        # One hashing pass: texts repeat (codes, vocabularies), so the distinct values are few and cheap to check.
        codes, uniques = pd.factorize(column)  # missing -> -1
        if spec.choices:
            allowed = list(spec.choices)
            position = {value: i for i, value in enumerate(allowed)}
            mapped = np.array([position.get(u, -2) for u in uniques] + [-1], dtype=np.int64)
            if (mapped[:-1] == -2).any():
                return None  # labels such as 城市, or typos: the per-cell path converts or reports them
            return pd.Series(pd.Categorical.from_codes(mapped[codes], categories=allowed), index=column.index)
        if not all(isinstance(u, str) for u in uniques):
            return None
        categories = pd.Index(list(uniques), dtype=object)
        return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=column.index)
    return None


def convert_facts(scheme: Scheme, frame: pd.DataFrame) -> tuple[FactColumns, dict[int, dict]]:
    """Typed fact columns, and the fact errors of the rows that have any: {position: {fact: reasons}}.

    Columns that already have the fact's type are checked as whole columns; anything else (JSON, spreadsheet
    cells) goes cell by cell through the same converter as imports, so the messages are the same. Unknown
    columns are ignored; absent facts are missing (unknown), never guessed.
    """
    converted = {}
    errors: dict[int, dict] = {}
    for spec in scheme.facts:
        if spec.key not in frame.columns:  # absent: unknown, but typed like any other column of that fact
            converted[spec.key] = _unknown(spec, frame.index)
            continue
        column = _typed(spec, frame[spec.key])
        if column is not None:
            if spec.minimum is not None:
                below = (column < spec.minimum).fillna(False).to_numpy()
                error = below_minimum(spec.minimum)
                for position in np.flatnonzero(below):
                    errors.setdefault(int(position), {})[spec.key] = {"reason_zh": error.reason_zh, "reason_en": error.reason_en}
                column = column.mask(below)
            converted[spec.key] = column
            continue
        values = []
        for position, value in enumerate(frame[spec.key].tolist()):
            try:
                values.append(convert_cell(spec, value))
            except (CellError, IdentifierError) as error:
                errors.setdefault(position, {})[spec.key] = {"reason_zh": error.reason_zh, "reason_en": error.reason_en}
                values.append(None)
        converted[spec.key] = _as_kind(spec, pd.Series(values, index=frame.index, dtype=object))
    return FactColumns(converted, frame.index), errors


class FactColumns(dict):
    """Typed fact columns by name (not consolidated into one frame: that would copy every column)."""

    def __init__(self, columns: dict[str, pd.Series], index: pd.Index):
        super().__init__(columns)
        self.index = index

    def row(self, position: int) -> pd.Series:
        return pd.Series({name: column.iloc[position] for name, column in self.items()}, dtype=object)


def _unknown(spec: ColumnSpec, index: pd.Index) -> pd.Series:
    """An all-unknown column of the fact's type, built without converting a million Nones."""
    n = len(index)
    if spec.kind == "boolean":
        array = pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    elif spec.kind == "integer":
        array = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    elif spec.kind == "number":
        array = pd.arrays.FloatingArray(np.zeros(n, dtype=np.float64), np.ones(n, dtype=bool))
    elif spec.kind == "date":
        array = np.full(n, np.datetime64("NaT", "ns"))
    else:
        array = pd.Categorical.from_codes(np.full(n, -1), categories=list(spec.choices or []))
    return pd.Series(array, index=index)


def _as_kind(spec: ColumnSpec, column: pd.Series) -> pd.Series:
    if spec.kind == "boolean":
        return column.astype("boolean")
    if spec.kind == "integer":
        return column.astype("Int64")
    if spec.kind == "number":
        return column.astype("Float64")
    if spec.kind == "date":
        return pd.to_datetime(column)
    categories = list(spec.choices) if spec.choices else None
    return pd.Series(pd.Categorical(column, categories=categories), index=column.index)


# ---------------------------------------------------------------------------------------------- evaluating


def _date_column(frame: pd.DataFrame, date: dt.date | str | None) -> pd.Series:
    if "date" in frame.columns and date is None:
        return pd.to_datetime(frame["date"])
    value = np.datetime64(pd.Timestamp(date or dt.date.today()).to_datetime64(), "ns")
    return pd.Series(np.full(len(frame), value), index=frame.index)


def _jurisdiction_column(frame: pd.DataFrame, jurisdiction: str | None) -> pd.Series:
    if "jurisdiction" in frame.columns and jurisdiction is None:
        return frame["jurisdiction"].astype(str)
    if jurisdiction is None:
        raise ValueError("jurisdiction is required (a county code such as 360902)")
    return pd.Series([str(jurisdiction)] * len(frame), index=frame.index)


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
    ``fact_errors``.
    """
    scheme = get_scheme(scheme_id)
    parameters = parameters or default_parameters()
    facts, errors = convert_facts(scheme, frame)
    jurisdictions = _jurisdiction_column(frame, jurisdiction)
    _check_jurisdictions(jurisdictions, errors)
    dates = _date_column(frame, date)
    _used_results(scheme, frame, facts, jurisdictions, dates, parameters)
    inputs = Inputs(facts, jurisdictions, dates, parameters)
    out = pd.DataFrame(index=frame.index)
    scheme.formula(inputs, out)
    in_force = inputs.configured(scheme.in_force) if scheme.in_force else pd.Series(True, index=frame.index)
    for criterion in scheme.criteria:  # not in force: nothing is paid, and the answer says why
        out[f"crit.{criterion.id}"] = out[f"crit.{criterion.id}"].where(in_force, False)
    main = [out[f"crit.{c.id}"] for c in scheme.criteria if c.component in scheme.main_components]
    eligible = main[0]
    for criterion in main[1:]:
        eligible = eligible & criterion
    eligible = eligible.astype("boolean")
    if errors:
        bad = np.zeros(len(out), dtype=bool)
        bad[list(errors)] = True
        eligible = eligible.mask(bad)
    out.insert(0, "eligible", eligible)
    out.insert(1, "in_force", in_force.to_numpy())
    # Ineligible means nothing is paid; unknown eligibility (or amount) means the parts are unknown too.
    ineligible = eligible.eq(False).fillna(False)
    out["amount"] = money(out["amount"].astype("Float64").mask(ineligible, 0.0).mask(eligible.isna()))
    for column in [c for c in out.columns if c.startswith("fund.")]:
        out[column] = money(out[column].astype("Float64").mask(ineligible, 0.0).mask(out["amount"].isna()))
    out["unit"] = _units(scheme, facts)
    out["period"] = _periods(scheme, facts)
    if errors:
        out["fact_errors"] = [errors.get(position, {}) for position in range(len(out))]
    out.attrs["context"] = Context(inputs, facts)
    return out


class Context:
    """What explaining a row needs (facts, dates, parameter sources), kept beside a result frame.

    pandas copies ``attrs`` deeply on some operations; this object is shared instead, so a million-row
    result is never duplicated behind the user's back.
    """

    def __init__(self, inputs: Inputs, facts: FactColumns):
        self.inputs, self.facts = inputs, facts

    def __deepcopy__(self, memo):
        return self


def _units(scheme: Scheme, facts: pd.DataFrame) -> pd.Series:
    if scheme.unit_fact:
        return facts[scheme.unit_fact].map(lambda v: scheme.units.get(v, scheme.unit) if pd.notna(v) else scheme.unit)
    return pd.Series(pd.Categorical.from_codes(np.zeros(len(facts.index), dtype=np.int8), [scheme.unit]),
                     index=facts.index)


def _periods(scheme: Scheme, facts: pd.DataFrame) -> pd.Series:
    """monthly / yearly / once per row (by the unit fact where the scheme declares periods by it)."""
    if scheme.unit_fact and scheme.periods:
        return facts[scheme.unit_fact].map(lambda v: scheme.periods.get(v, scheme.period) if pd.notna(v) else scheme.period) \
            .astype(object)
    return pd.Series(pd.Categorical.from_codes(np.zeros(len(facts.index), dtype=np.int8), [scheme.period]),
                     index=facts.index)


def _used_results(scheme: Scheme, frame: pd.DataFrame, facts: FactColumns, jurisdictions: pd.Series,
                  dates: pd.Series, parameters: ParameterSet) -> None:
    """Another scheme's result as facts of this one: its own formula on the same rows, never a second copy."""
    for used in scheme.uses:
        rows = frame.assign(jurisdiction=jurisdictions.to_numpy(), date=dates.to_numpy())
        result = evaluate_frame(used, rows, parameters=parameters)
        facts[f"{used}.eligible"] = result["eligible"]
        facts[f"{used}.amount"] = result["amount"]


def _check_jurisdictions(jurisdictions: pd.Series, errors: dict[int, dict]) -> None:
    """Rows whose jurisdiction names no division get an input error (not an answer of "not eligible")."""
    codes, uniques = pd.factorize(jurisdictions)
    bad = [i for i, code in enumerate(uniques) if unknown_division(str(code))]
    for position in np.flatnonzero(np.isin(codes, bad)):
        errors.setdefault(int(position), {})["jurisdiction"] = {
            "reason_zh": f"行政区划代码{jurisdictions.iloc[position]}不存在",
            "reason_en": f"no division has the code {jurisdictions.iloc[position]}"}


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


def missing_facts(scheme: Scheme, facts: pd.Series, out: pd.Series) -> list[str]:
    """Facts that are missing and would decide something: used by an unknown criterion, or by an unknown amount."""
    missing = []
    for criterion in scheme.criteria:
        if pd.isna(out[f"crit.{criterion.id}"]):
            missing += [f for f in criterion.facts if _absent(facts[f]) and f not in missing]
    if truth(out["eligible"]) and pd.isna(out["amount"]):
        missing += [f for f in scheme.amount_facts if _absent(facts[f]) and f not in missing]
    return missing


def truth(value: Any) -> bool:
    """True only for a known true value (numpy, pandas and Python booleans alike)."""
    return not _absent(value) and bool(value)


def falsity(value: Any) -> bool:
    """True only for a known false value."""
    return not _absent(value) and not bool(value)


def _absent(value: Any) -> bool:
    return value is None or (not isinstance(value, (list, tuple)) and pd.isna(value))


def _plain(value: Any) -> Any:
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


def _steps(scheme: Scheme, row: Mapping) -> list[str]:
    """How the amount was reached; for an ineligible or undecided case, why there is no amount."""
    if falsity(row["eligible"]):
        failed = [c for c in scheme.criteria if c.component in scheme.main_components and falsity(row[f"crit.{c.id}"])]
        return [f"不符合：{c.title_zh}（{c.reference.document} {c.reference.clause}） / not met: {c.title_en}" for c in failed]
    if _absent(row["eligible"]):
        return ["资格待定：缺少事实，见 missing_facts / eligibility undecided: facts are missing"]
    return scheme.steps(row)


def explain_row(scheme: Scheme, result: pd.DataFrame, position: int, parameters: ParameterSet) -> dict:
    """One evaluated row as the JSON the CLI and the API answer with."""
    out = result.iloc[position]
    context = result.attrs["context"]
    facts = context.facts.row(position)
    jurisdiction = context.inputs.jurisdiction.iloc[position]
    date = context.inputs.date.iloc[position].date()
    row = {**{f"fact.{k}": v for k, v in facts.items()}, **out.to_dict()}
    errors = out.get("fact_errors") if "fact_errors" in result else None
    answer: dict[str, Any] = {
        "scheme": scheme.id,
        "title_zh": scheme.title_zh,
        "title_en": scheme.title_en,
        "jurisdiction": jurisdiction,
        "date": date.isoformat(),
        "in_force": True,
        "eligible": None if pd.isna(out["eligible"]) else bool(out["eligible"]),
        "missing_facts": [] if errors else missing_facts(scheme, facts, out),
        "criteria": [
            {
                "id": c.id, "title_zh": c.title_zh, "title_en": c.title_en, "component": c.component,
                "passed": None if pd.isna(out[f"crit.{c.id}"]) else bool(out[f"crit.{c.id}"]),
                "facts": {f: _plain(facts[f]) for f in c.facts},
                "reference": c.reference.as_dict(),
                "applicable": not falsity(out.get(f"applies.{c.id}", True)),
            }
            for c in scheme.criteria
        ],
        "amount": _plain(out["amount"]),
        "unit": out["unit"],
        "period": out["period"],
        "funding": {
            column[5:]: _plain(out[column]) for column in out.index
            if column.startswith("fund.") and not _absent(out[column])
        },
        "payers": {p.id: {"zh": p.zh, "en": p.en, "kind": p.kind} for p in scheme.payers},
        "remaining": {column[10:]: _plain(out[column]) for column in out.index
                      if column.startswith("remaining.") and not _absent(out[column])},
        "warnings": _warnings(scheme, out),
        "steps": [] if errors else _steps(scheme, row),
        "parameters": [],
    }
    if not truth(out["in_force"]) and not errors:
        _not_in_force(answer, scheme, parameters, jurisdiction, date)
    if "first_payment_month" in out:
        answer["first_payment_month"] = _plain(out["first_payment_month"])
    if errors:
        answer["fact_errors"] = errors
    inputs = context.inputs
    for name in inputs.used:
        source = inputs.source_of(name, position)
        if source is None:
            continue
        parameter = parameters.parameters[(name, source)]
        answer["parameters"].append({
            "name": name, "value": _plain(parameter.at(date)), "unit": parameter.unit, "kind": parameter.kind,
            "jurisdiction": source, "reference": str(parameter.reference),
        })
    return answer


def _warnings(scheme: Scheme, out: pd.Series) -> list[dict]:
    """The advisories raised on this row (they inform; they do not decide eligibility)."""
    return [{"id": c.id, "title_zh": c.title_zh, "title_en": c.title_en, "facts": list(c.facts),
             "reference": c.reference.as_dict()}
            for c in scheme.advisories if truth(out.get(f"warn.{c.id}"))]


def _not_in_force(answer: dict, scheme: Scheme, parameters: ParameterSet, jurisdiction: str, date: dt.date) -> None:
    """The answer for a place or date where the scheme is not in force: the policy's places and dates, no criteria."""
    spans = where_in_force(scheme, parameters)
    places = "、".join(f"{s['name_zh']}（{s['from']}起{'至' + s['until'] if s['until'] else ''}）" for s in spans) or "无"
    places_en = "; ".join(f"{s['jurisdiction']} from {s['from']}" + (f" until {s['until']}" if s['until'] else "")
                          for s in spans) or "nowhere"
    answer.update({
        "in_force": False, "eligible": False, "missing_facts": [], "criteria": [], "warnings": [], "funding": {},
        "not_in_force": {"document": scheme.source, "in_force_in": spans,
                         "message_zh": f"{scheme.source}在{division_name(jurisdiction)}（{jurisdiction}）、{date.isoformat()}"
                                       f"不适用：该政策适用于{places}",
                         "message_en": f"{scheme.source} is not in force in {jurisdiction} on {date.isoformat()}; "
                                       f"it is in force in {places_en}"},
    })
    answer["steps"] = [answer["not_in_force"]["message_zh"]]


def evaluate(
    scheme_id: str,
    facts: Mapping[str, Any],
    *,
    date: dt.date | str | None = None,
    jurisdiction: str,
    parameters: ParameterSet | None = None,
) -> dict:
    """Evaluate one case: the batch formula on a one-row frame. Bad facts raise FactError naming each fact."""
    scheme = get_scheme(scheme_id)
    check_fact_names(scheme, facts)
    parameters = parameters or default_parameters()
    frame = pd.DataFrame([{**{k: None for k in scheme.fact_names}, **facts}])
    result = evaluate_frame(scheme_id, frame, date=date, jurisdiction=jurisdiction, parameters=parameters)
    if "fact_errors" in result and result["fact_errors"].iloc[0]:
        raise FactError(result["fact_errors"].iloc[0])
    return explain_row(scheme, result, 0, parameters)


def check_fact_names(scheme: Scheme, facts: Mapping[str, Any]) -> None:
    """FactError naming every fact the scheme does not have (a frame would silently ignore them)."""
    unknown = sorted(set(facts) - set(scheme.fact_names))
    if unknown:
        raise FactError({name: {"reason_zh": "不是该补贴项目的事实项", "reason_en": f"not a fact of {scheme.id}"}
                         for name in unknown})


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
