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

from care_services.spreadsheet import CellError, ColumnSpec, convert_cell
from care_services.identifiers import IdentifierError
from subsidy_rules.parameters import ParameterNotFound, ParameterSet, Range, Reference, default_parameters

FUNDING_LEVELS = ("province", "city", "county", "integrated", "finance_fallback")


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

    def __init__(self, facts: pd.DataFrame, jurisdiction: pd.Series, date: pd.Series, parameters: ParameterSet):
        self.facts = facts
        self.jurisdiction = jurisdiction.astype(str)
        self.date = pd.to_datetime(date)
        self.parameters = parameters
        self.used: dict[str, pd.Series] = {}  # parameter name -> the jurisdiction whose value applied, per row
        # Group rows by (jurisdiction, date): parameters are looked up once per group, then broadcast.
        pairs = pd.DataFrame({"j": self.jurisdiction.to_numpy(), "d": self.date.dt.date.to_numpy()})
        self._codes, uniques = pd.factorize(pd.MultiIndex.from_frame(pairs))
        self._groups = list(uniques)
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.facts)

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
            self._cache[name] = (np.array(values + [None], dtype=object)[:-1], np.array(sources + [None], dtype=object)[:-1])
        return self._cache[name]

    def p(self, name: str) -> pd.Series:
        """A parameter as a column (numeric where it can be; None where it is not in force or not configured)."""
        values, sources = self._lookup(name)
        self.used[name] = pd.Series(sources[self._codes], index=self.facts.index)
        column = values[self._codes]
        series = pd.Series(column, index=self.facts.index)
        present = [v for v in values if v is not None]
        if not present:  # not in force anywhere here: unknown, and comparisons with it stay unknown
            return series.astype("Float64")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            return series.astype("Float64")
        return series

    def scalar_groups(self, name: str) -> list[Any]:
        return list(self._lookup(name)[0])

    def flag(self, name: str) -> pd.Series:
        return self.p(name).astype("boolean")

    def configured(self, name: str) -> pd.Series:
        return self.p(name).notna()


# --------------------------------------------------------------------------------------------- the helpers


def boolean(values: Any, index: pd.Index | None = None) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(values, index=index)
    return series.astype("boolean")


def _per_value(allowed: pd.Series, test: Callable[[pd.Series, Any], pd.Series], series: pd.Series) -> pd.Series:
    """Apply ``test`` once per distinct parameter value (parameters vary by jurisdiction, so there are few)."""
    result = pd.Series(pd.NA, index=series.index, dtype="boolean")
    keys = allowed.map(lambda a: tuple(a) if isinstance(a, list) else a)
    for key in keys.dropna().unique():
        rows = (keys == key).to_numpy()
        result[rows] = test(series[rows], list(key) if isinstance(key, tuple) else key).astype("boolean")
    return result.mask(series.isna())


def isin(series: pd.Series, allowed: pd.Series | Iterable) -> pd.Series:
    """Membership with unknown kept unknown; ``allowed`` may be a parameter column of lists."""
    if isinstance(allowed, pd.Series):
        return _per_value(allowed, lambda part, values: part.isin(values), series)
    return series.isin(list(allowed)).astype("boolean").mask(series.isna())


def startswith(series: pd.Series, prefixes: pd.Series) -> pd.Series:
    """Whether each text starts with the row's prefix (unknown where either is missing)."""
    return _per_value(prefixes, lambda part, prefix: part.astype(str).str.startswith(prefix), series)


def age_on(birth: pd.Series, date: pd.Series) -> pd.Series:
    """Completed years on ``date`` (a birthday counts on the day itself)."""
    birth = pd.to_datetime(birth)
    years = date.dt.year - birth.dt.year
    before_birthday = (date.dt.month < birth.dt.month) | ((date.dt.month == birth.dt.month) & (date.dt.day < birth.dt.day))
    return (years - before_birthday.astype(int)).astype("Int64")


def months_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole months from ``start`` to ``end`` (a month is complete on the same day of the month)."""
    start = pd.to_datetime(start)
    months = (end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)
    return (months - (end.dt.day < start.dt.day).astype(int)).astype("Int64")


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

    @property
    def fact_names(self) -> list[str]:
        return [f.key for f in self.facts]

    def fact_spec(self, name: str) -> ColumnSpec:
        return next(f for f in self.facts if f.key == name)

    def describe(self) -> dict:
        return {
            "id": self.id, "title_zh": self.title_zh, "title_en": self.title_en, "source": self.source,
            "unit": self.unit,
            "facts": [{"name": f.key, "zh": f.zh, "type": f.kind, "description": f.description,
                       "choices": list(f.choices) if f.choices else None, "minimum": f.minimum} for f in self.facts],
            "criteria": [{"id": c.id, "title_zh": c.title_zh, "title_en": c.title_en, "component": c.component,
                          "facts": list(c.facts), "reference": c.reference.as_dict()} for c in self.criteria],
        }


REGISTRY: dict[str, Scheme] = {}


def register(scheme: Scheme) -> Scheme:
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


def convert_facts(scheme: Scheme, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Typed fact columns, and per row the fact errors (a dict, empty when the row is fine).

    Unknown columns are ignored; absent facts are missing (unknown), never guessed.
    """
    converted = {}
    errors: list[dict] = [{} for _ in range(len(frame))]
    for spec in scheme.facts:
        if spec.key not in frame.columns:
            converted[spec.key] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        raw = frame[spec.key]
        values = []
        for position, value in enumerate(raw.tolist()):
            try:
                values.append(convert_cell(spec, value))
            except (CellError, IdentifierError) as error:
                errors[position][spec.key] = {"reason_zh": error.reason_zh, "reason_en": error.reason_en}
                values.append(None)
        converted[spec.key] = pd.Series(values, index=frame.index, dtype=object)
    facts = pd.DataFrame(converted, index=frame.index)
    for spec in scheme.facts:
        column = facts[spec.key]
        if spec.kind == "boolean":
            facts[spec.key] = column.astype("boolean")
        elif spec.kind == "integer":
            facts[spec.key] = column.astype("Int64")
        elif spec.kind == "number":
            facts[spec.key] = column.astype("Float64")
        elif spec.kind == "date":
            facts[spec.key] = pd.to_datetime(column)
    return facts, pd.Series(errors, index=frame.index)


# ---------------------------------------------------------------------------------------------- evaluating


def _date_column(frame: pd.DataFrame, date: dt.date | str | None) -> pd.Series:
    if "date" in frame.columns and date is None:
        return pd.to_datetime(frame["date"])
    value = pd.Timestamp(date or dt.date.today())
    return pd.Series([value] * len(frame), index=frame.index)


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
    facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Evaluate every row. Columns: eligible, crit.<id>, amount, fund.<level>, x.<intermediate>, ….

    Rows whose facts could not be converted have eligible and amount missing and their reasons in ``fact_errors``.
    """
    scheme = get_scheme(scheme_id)
    parameters = parameters or default_parameters()
    errors = None
    if facts is None:
        facts, errors = convert_facts(scheme, frame)
    inputs = Inputs(facts, _jurisdiction_column(frame, jurisdiction), _date_column(frame, date), parameters)
    out = pd.DataFrame(index=frame.index)
    scheme.formula(inputs, out)
    main = [out[f"crit.{c.id}"] for c in scheme.criteria if c.component in scheme.main_components]
    eligible = main[0]
    for criterion in main[1:]:
        eligible = eligible & criterion
    out.insert(0, "eligible", eligible.astype("boolean"))
    # Ineligible means nothing is paid; unknown eligibility means the amount is unknown too.
    out["amount"] = money(out["amount"].astype("Float64").mask(out["eligible"].eq(False).fillna(False), 0.0)
                          .mask(out["eligible"].isna()))
    for level in FUNDING_LEVELS:
        column = f"fund.{level}"
        if column in out:
            out[column] = money(out[column].astype("Float64").mask(out["eligible"].eq(False).fillna(False), 0.0)
                                .mask(out["amount"].isna()))
    out["unit"] = _units(scheme, facts)
    if errors is not None and any(errors):
        bad = errors.map(bool)
        out.loc[bad, "eligible"] = pd.NA
        out.loc[bad, "amount"] = pd.NA
        out["fact_errors"] = errors
    out.attrs["parameters_used"] = inputs.used
    out.attrs["jurisdiction"] = inputs.jurisdiction
    out.attrs["date"] = inputs.date
    out.attrs["facts"] = facts
    return out


def _units(scheme: Scheme, facts: pd.DataFrame) -> pd.Series:
    if scheme.unit_fact:
        return facts[scheme.unit_fact].map(lambda v: scheme.units.get(v, scheme.unit) if pd.notna(v) else scheme.unit)
    return pd.Series([scheme.unit] * len(facts), index=facts.index)


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
    if isinstance(value, (dt.date,)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 2)
    if isinstance(value, Range):
        return {"min": value.min, "max": value.max}
    return value


def explain_row(scheme: Scheme, result: pd.DataFrame, position: int, parameters: ParameterSet) -> dict:
    """One evaluated row as the JSON the CLI and the API answer with."""
    out = result.iloc[position]
    facts = result.attrs["facts"].iloc[position]
    jurisdiction = result.attrs["jurisdiction"].iloc[position]
    date = result.attrs["date"].iloc[position].date()
    row = {**{f"fact.{k}": v for k, v in facts.items()}, **out.to_dict()}
    errors = out.get("fact_errors") if "fact_errors" in result else None
    answer: dict[str, Any] = {
        "scheme": scheme.id,
        "title_zh": scheme.title_zh,
        "title_en": scheme.title_en,
        "jurisdiction": jurisdiction,
        "date": date.isoformat(),
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
        "funding": {
            level: _plain(out[f"fund.{level}"]) for level in FUNDING_LEVELS
            if f"fund.{level}" in out and not _absent(out[f"fund.{level}"])
        },
        "steps": [] if errors else scheme.steps(row),
        "parameters": [],
    }
    if "first_payment_month" in out:
        answer["first_payment_month"] = _plain(out["first_payment_month"])
    if errors:
        answer["fact_errors"] = errors
    for name, sources in result.attrs["parameters_used"].items():
        source = sources.iloc[position]
        if source is None:
            continue
        parameter = parameters.parameters[(name, source)]
        answer["parameters"].append({
            "name": name, "value": _plain(parameter.at(date)), "unit": parameter.unit, "kind": parameter.kind,
            "jurisdiction": source, "reference": str(parameter.reference),
        })
    return answer


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
    unknown = sorted(set(facts) - set(scheme.fact_names))
    if unknown:
        raise FactError({name: {"reason_zh": "不是该补贴项目的事实项", "reason_en": f"not a fact of {scheme_id}"}
                         for name in unknown})
    parameters = parameters or default_parameters()
    frame = pd.DataFrame([{**{k: None for k in scheme.fact_names}, **facts}])
    result = evaluate_frame(scheme_id, frame, date=date, jurisdiction=jurisdiction, parameters=parameters)
    if "fact_errors" in result and result["fact_errors"].iloc[0]:
        raise FactError(result["fact_errors"].iloc[0])
    return explain_row(scheme, result, 0, parameters)


def yuan(value: Any) -> str:
    """Amounts in steps: 1,234.5 → '1,234.50元'."""
    if _absent(value):
        return "—"
    return f"{float(value):,.2f}元"


def number(value: Any) -> str:
    if _absent(value):
        return "—"
    value = float(value)
    return f"{int(value):,}" if math.isclose(value, round(value)) else f"{value:,.2f}"
