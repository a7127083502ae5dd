"""Budget projections: what the schemes will cost, month by month, by scheme, county and funding level.

Inputs
- the caseload: one row per recipient (or institution) with ``scheme``, ``jurisdiction`` (county code), ``start``
  and optional ``end`` (YYYY-MM, inclusive), the scheme's facts as columns, and optionally ``count`` (a row that
  stands for several identical recipients, e.g. the occupied beds of one home);
- the facility pipeline: projects with ``code``, ``kind`` (elderly/childcare), ``division_code``, ``completion``
  (YYYY-MM), places/beds, ownership, construction and, where the operation subsidy needs them, its facts;
- assumptions: occupancy of new beds, enrolment of new places, yearly caseload growth.

How amounts are found: every amount comes from the rules engine (``evaluate_frame``), never from a second
formula. A recipient's monthly amount is evaluated at the start of each period in which the parameters are
constant (the dates of the parameter values cut the horizon into such periods), with the recipient's facts as
given; within a period the same amount is paid every month. Months are summed with difference arrays (one +amount
at the first month, one −amount after the last), so the cost is per row, not per row-month: ``project_partition``
is a pure function of one chunk of rows whose outputs add up, so chunks can be processed one by one in bounded
memory, or as partitions of a distributed dataframe (map ``project_partition``, reduce by ``combine``).

Projects: a completed project triggers its one-off construction subsidy in its completion month and, from the
next month, its operation subsidy (elderly_institution_operation per occupied bed, capped at the scheme's months;
childcare_operation per enrolled child) evaluated with the facts the project row gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from subsidy_rules.engine import all_schemes, evaluate_frame, get_scheme
from subsidy_rules.parameters import ParameterSet, default_parameters

DELTA_COLUMNS = ["scheme", "county", "level", "month", "delta"]
# The projects of the pipeline start these schemes (附件3 第13、14、22、23项): by kind, construction and operation.
PIPELINE_SCHEMES = {"elderly": ("elderly_institution_construction", "elderly_institution_operation"),
                    "childcare": ("childcare_construction", "childcare_operation")}


def payer_order() -> list[str]:
    """Every payer the registered schemes declare: levels of government first (省级, 市级, 县级 as finance reads
    them), then funds, then the person's own funds, each group in declaration order."""
    order: list[str] = []
    for scheme in all_schemes():
        order += [p.id for p in scheme.payers if p.id not in order]
    kinds = {p.id: p.kind for s in all_schemes() for p in s.payers}
    levels = {"province": 0, "city": 1, "county": 2}
    return sorted(order, key=lambda payer: ({"government": 0, "fund": 1}.get(kinds[payer], 2),
                                            levels.get(payer, len(levels)), order.index(payer)))


def payer_labels() -> dict[str, str]:
    """Payer id → its Chinese name, as the schemes declare it."""
    return {p.id: p.zh for s in all_schemes() for p in s.payers}


# ------------------------------------------------------------------------------------------------ months


def month_index(text: str | dt.date) -> int:
    """'2024-03' (or a date) → 2024*12 + 2; months count from year 0 so they sort and subtract."""
    if isinstance(text, dt.date):
        return text.year * 12 + text.month - 1
    parts = str(text)[:7].split("-")
    if len(parts) != 2 or not (parts[0].isdigit() and parts[1].isdigit()) or not 1 <= int(parts[1]) <= 12:
        raise ValueError(f"月份格式应为YYYY-MM / months must be YYYY-MM: {text!r}")
    return int(parts[0]) * 12 + int(parts[1]) - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def month_starts(indices: np.ndarray) -> pd.Series:
    """Month indices → first days (datetime64), vectorised."""
    indices = np.asarray(indices, dtype=int)
    return pd.Series(pd.to_datetime(pd.DataFrame({"year": indices // 12, "month": indices % 12 + 1, "day": 1})))


def _month_indices(values: pd.Series) -> pd.Series:
    """A column of 'YYYY-MM' (or dates) → month indices; blank stays NaN; a bad value raises naming it.

    A caseload has millions of rows but a few dozen distinct months: parse the distinct values only."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = np.array([month_index(u) for u in uniques] + [np.nan], dtype=float)
    return pd.Series(parsed[codes], index=values.index)


@dataclass(frozen=True)
class Horizon:
    first: int  # month index, inclusive
    last: int  # month index, inclusive

    @classmethod
    def years(cls, first_year: int = 2023, last_year: int = 2027) -> Horizon:
        if last_year < first_year:
            raise ValueError("结束年份早于起始年份 / the last year is before the first")
        return cls(first_year * 12, last_year * 12 + 11)

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def labels(self) -> list[str]:
        return [month_label(m) for m in range(self.first, self.last + 1)]


@dataclass(frozen=True)
class Assumptions:
    """What the policies do not say and the officer sets (each can be changed in a scenario file)."""

    occupancy: float = 0.7  # share of new elderly beds occupied (a planning assumption, not from the sources)
    enrolment: float = 0.7  # share of new childcare places filled (a planning assumption)
    caseload_growth: float = 0.0  # yearly growth of the caseload's payments, compounding monthly

    def __post_init__(self) -> None:
        for name in ("occupancy", "enrolment"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} 应在0到1之间 / {name} must be between 0 and 1")
        if self.caseload_growth <= -1:
            raise ValueError("caseload_growth 应大于 -1 / caseload_growth must be above -1")


@dataclass
class Scenario:
    name: str
    parameters: ParameterSet
    assumptions: Assumptions = field(default_factory=Assumptions)
    # what the report marks: each changed value beside the document's, each floor gone below (scenario.describe)
    marks: dict | None = None

    @classmethod
    def from_mapping(cls, data: Mapping, base: ParameterSet | None = None,
                     assumptions: Assumptions | None = None, name: str | None = None) -> Scenario:
        """A scenario file: ``{name: …, parameters: {name: value | {value, jurisdiction, start}}, assumptions: {…}}``."""
        unknown = set(data) - {"name", "parameters", "assumptions"}
        if unknown:
            raise ValueError(f"方案文件中有未知项 / unknown keys in the scenario: {', '.join(sorted(unknown))}")
        from subsidy_rules.scenario import apply

        base = base or default_parameters()
        # a what-if: a value below a 不低于 floor is projected and flagged, not refused (see subsidy_rules/scenario.py)
        applied = apply({"name": data.get("name") or name or "scenario", "parameters": data.get("parameters") or {}},
                        base)
        given = dict(data.get("assumptions") or {})
        fields = set(Assumptions.__dataclass_fields__)
        if set(given) - fields:
            raise ValueError(f"未知假设 / unknown assumptions: {', '.join(sorted(set(given) - fields))}")
        return cls(applied.name, applied.parameters,
                   replace(assumptions or Assumptions(), **{k: float(v) for k, v in given.items()}),
                   applied.describe())


# --------------------------------------------------------------------------------------- the core step


def parameter_breaks(parameters: ParameterSet, horizon: Horizon) -> list[int]:
    """Months inside the horizon from which some parameter has a new value (amounts are constant in between).

    Amounts are evaluated on the first day of a month, so a value dated after the 1st counts from the next month
    (宜府办发〔2023〕20号, dated 2023-09-19, pays from 2023-10)."""
    months = {month_index(date) + (date.day > 1) for p in parameters.parameters.values() for date, _ in p.values}
    return sorted(m for m in months if horizon.first < m <= horizon.last)


def _segments(start: np.ndarray, end: np.ndarray, breaks: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each [start, end] at the breaks: (row position, segment start, segment end) arrays."""
    rows, starts, ends = [np.arange(len(start))], [start], [end]
    cut_start, cut_end = start.copy(), end.copy()
    for b in breaks:
        inside = (cut_start < b) & (b <= cut_end)
        if inside.any():
            rows.append(np.flatnonzero(inside))
            starts.append(np.full(inside.sum(), b))
            ends.append(cut_end[inside])
            cut_end = np.where(inside, b - 1, cut_end)
    ends[0] = cut_end
    return np.concatenate(rows), np.concatenate(starts), np.concatenate(ends)


def _levels(result: pd.DataFrame) -> list[str]:
    return [c[5:] for c in result.columns if c.startswith("fund.")]


def _amounts(result: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Amounts by funding level (0 where not eligible) and a 0/1 flag for rows the rules could not settle."""
    levels = _levels(result)
    amounts = result[[f"fund.{level}" for level in levels]].set_axis(levels, axis=1).astype(float)
    eligible = result["eligible"].astype("boolean")
    undetermined = (eligible.isna().to_numpy() | (eligible.fillna(False).to_numpy() & amounts.isna().any(axis=1).to_numpy()))
    amounts = amounts.reset_index(drop=True)
    amounts.loc[~eligible.fillna(False).to_numpy()] = 0.0
    amounts = amounts.fillna(0.0)
    return amounts, undetermined.astype(float)


def _deltas(keys: pd.DataFrame, amounts: pd.DataFrame, first: np.ndarray, last: np.ndarray | None,
            horizon: Horizon) -> pd.DataFrame:
    """+amount at ``first``, −amount after ``last`` (None: a one-off in month ``first``), summed by key and month."""
    frames = []
    for level in amounts.columns:
        value = amounts[level].to_numpy(dtype=float)
        known = ~np.isnan(value) & (value != 0)
        if not known.any():
            continue
        base = keys[known].assign(level=level)
        frames.append(base.assign(month=first[known], delta=value[known]))
        stop = (first[known] + 1) if last is None else (last[known] + 1)
        inside = stop <= horizon.last
        frames.append(base[inside].assign(month=stop[inside], delta=-value[known][inside]))
    return combine(frames)


def project_partition(cases: pd.DataFrame, horizon: Horizon, parameters: ParameterSet) -> pd.DataFrame:
    """The deltas (scheme, county, level, month, delta) of one chunk of the caseload; outputs of chunks add up.

    Also counts what the rules could not settle: rows whose facts are missing or wrong add their recipient-months
    under ``level`` = "undetermined_months" (so the report can say so).
    """
    out = []
    for scheme_id, rows in cases.groupby("scheme", sort=False):
        scheme = get_scheme(str(scheme_id))
        start = _month_indices(rows["start"]).fillna(horizon.first).to_numpy().clip(horizon.first, None)
        end = _month_indices(rows["end"]).fillna(horizon.last).to_numpy().clip(None, horizon.last) \
            if "end" in rows else np.full(len(rows), horizon.last, dtype=float)
        live = start <= end
        rows, start, end = rows[live], start[live].astype(int), end[live].astype(int)
        if rows.empty:
            continue
        position, seg_start, seg_end = _segments(start, end, parameter_breaks(parameters, horizon))
        facts = rows.iloc[position].reset_index(drop=True)
        # one evaluation per segment, at its first month (a date column: one engine call for the whole chunk)
        count = (pd.to_numeric(facts["count"]).fillna(1).to_numpy(dtype=float) if "count" in facts
                 else np.ones(len(facts)))
        facts = facts.drop(columns=["scheme", "start", "end", "count"], errors="ignore").assign(date=month_starts(seg_start))
        result = evaluate_frame(scheme.id, facts, parameters=parameters)
        amounts, undetermined = _amounts(result)
        amounts = amounts.mul(count, axis=0).assign(undetermined_months=undetermined * count)
        keys = pd.DataFrame({"scheme": scheme.id, "county": facts["jurisdiction"].astype(str).to_numpy()})
        out.append(_book(keys, amounts, seg_start, seg_end, start[position], result["period"].astype(str).to_numpy(),
                         scheme.settlement_month, horizon))
    return combine(out)


def _book(keys: pd.DataFrame, amounts: pd.DataFrame, seg_start: np.ndarray, seg_end: np.ndarray,
          row_start: np.ndarray, period: np.ndarray, settlement_month: int, horizon: Horizon) -> pd.DataFrame:
    """Book each segment by its scheme's period: every month (monthly), in the settlement month of each year the
    recipient is on the books (yearly), or once in the recipient's first month (once)."""
    parts = []
    monthly = period == "monthly"
    if monthly.any():
        parts.append(_deltas(keys[monthly].reset_index(drop=True), amounts[monthly].reset_index(drop=True),
                             seg_start[monthly], seg_end[monthly], horizon))
    once = (period == "once") & (seg_start == row_start)
    if once.any():
        parts.append(_deltas(keys[once].reset_index(drop=True), amounts[once].reset_index(drop=True),
                             seg_start[once], None, horizon))
    yearly = np.flatnonzero(period == "yearly")
    if len(yearly):
        first = seg_start[yearly] + (settlement_month - 1 - seg_start[yearly] % 12) % 12
        count = np.where(first <= seg_end[yearly], (seg_end[yearly] - first) // 12 + 1, 0)
        rows = np.repeat(yearly, count)
        months = np.repeat(first, count) + 12 * (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
        if len(rows):
            parts.append(_deltas(keys.iloc[rows].reset_index(drop=True), amounts.iloc[rows].reset_index(drop=True),
                                 months, None, horizon))
    return combine(parts)


def combine(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Add the deltas of partitions (associative and commutative: any order, any grouping)."""
    frames = [p for p in parts if len(p)]
    if not frames:
        return pd.DataFrame(columns=DELTA_COLUMNS)
    return pd.concat(frames, ignore_index=True).groupby(DELTA_COLUMNS[:-1], as_index=False)["delta"].sum()


def monthly_from_deltas(deltas: pd.DataFrame, horizon: Horizon) -> pd.DataFrame:
    """Deltas → the amount paid each month: rows (scheme, county, level), one column per month index."""
    if deltas.empty:  # nothing to pay: still rows indexed (scheme, county, level), so every breakdown works
        index = pd.MultiIndex.from_arrays([[], [], []], names=["scheme", "county", "level"])
        return pd.DataFrame(index=index, columns=range(horizon.first, horizon.last + 1), dtype=float)
    wide = deltas.pivot_table(index=["scheme", "county", "level"], columns="month", values="delta", aggfunc="sum",
                              fill_value=0.0)
    wide = wide.reindex(columns=range(horizon.first, horizon.last + 1), fill_value=0.0)
    return wide.cumsum(axis=1)


# ----------------------------------------------------------------------------------------- the pipeline


def project_pipeline(projects: pd.DataFrame, horizon: Horizon, parameters: ParameterSet,
                     assumptions: Assumptions) -> pd.DataFrame:
    """Deltas of the one-off construction subsidies and the operation subsidies the completed projects start."""
    if projects.empty:
        return combine([])
    frame = projects.copy()
    completion = _month_indices(frame["completion"])
    frame = frame[completion.notna()].assign(completion_month=completion.dropna().astype(int))
    frame = frame[frame["completion_month"] <= horizon.last]
    out = []
    # Childcare: paid while the institution is planned or built (第22项), booked in the completion month.
    # Elderly: the city part needs a year of operation (第13项 运营满一年), so the subsidy is booked a year after.
    for kind, delay in (("elderly", 12), ("childcare", 0)):
        scheme_id = PIPELINE_SCHEMES[kind][0]
        rows = frame[frame["kind"] == kind]
        paid = rows["completion_month"].to_numpy() + delay
        inside = (paid >= horizon.first) & (paid <= horizon.last)
        rows, paid = rows[inside], paid[inside]
        if rows.empty:
            continue
        facts = rows.assign(slots_added=rows["capacity"], opened_on=[month_start(m) for m in rows["completion_month"]])
        facts = facts[[c for c in get_scheme(scheme_id).fact_names if c in facts.columns]]
        result = evaluate_frame(scheme_id, facts.assign(jurisdiction=rows["division_code"].astype(str).to_numpy(),
                                                        date=[month_start(m) for m in paid]), parameters=parameters)
        amounts, undetermined = _amounts(result)
        keys = pd.DataFrame({"scheme": scheme_id, "county": rows["division_code"].astype(str).to_numpy()})
        out.append(_deltas(keys, amounts.assign(undetermined_months=undetermined), paid, None, horizon))
    out.append(_pipeline_operation(frame, horizon, parameters, assumptions))
    return combine(out)


def _pipeline_operation(frame: pd.DataFrame, horizon: Horizon, parameters: ParameterSet,
                        assumptions: Assumptions) -> pd.DataFrame:
    """Operation subsidies from the month after completion: a caseload of occupied beds and enrolled children."""
    cases = []
    childcare = frame[frame["kind"] == "childcare"]
    if len(childcare):
        enrolled = np.floor(childcare["capacity"].astype(float) * assumptions.enrolment + 1e-9).astype(int)
        cases.append(childcare.assign(scheme=PIPELINE_SCHEMES["childcare"][1], enrolled_under_3=enrolled,
                                      jurisdiction=childcare["division_code"].astype(str),
                                      start=[month_label(m + 1) for m in childcare["completion_month"]], end=None))
    elderly = frame[frame["kind"] == "elderly"]
    if len(elderly):
        # the bed subsidy is per occupied bed: one case row per home, counted as its occupied beds
        beds = elderly.assign(count=np.floor(elderly["capacity"].astype(float) * assumptions.occupancy + 1e-9))
        starts = beds["completion_month"] + 1
        limit = []
        for county, start in zip(beds["division_code"].astype(str), starts):
            months = parameters.get_or(f"{PIPELINE_SCHEMES['elderly'][1]}.max_subsidy_months", county, month_start(start))
            limit.append(start + int(months) - 1 if months else horizon.last)
        # Residents move in when the home opens; the bed subsidy runs from the next month (入住满一个月).
        # The beds of an elderly-care home are counted as taken by 老年人 (60+, 第14项): a planning assumption, so
        # the projection gives each occupied bed a resident who is 60 on admission.
        cases.append(beds.assign(scheme=PIPELINE_SCHEMES["elderly"][1], jurisdiction=beds["division_code"].astype(str),
                                 admitted_on=[month_start(m - 1) for m in starts],
                                 birth_date=[month_start(m - 1 - 60 * 12) for m in starts],
                                 subsidy_started_on=[month_start(m) for m in starts],
                                 start=[month_label(m) for m in starts], end=[month_label(m) for m in limit]))
    if not cases:
        return combine([])
    parts = []
    for case in cases:
        scheme = get_scheme(str(case["scheme"].iloc[0]))
        keep = ["scheme", "jurisdiction", "start", "end", *[f for f in (*scheme.fact_names, "count") if f in case.columns]]
        parts.append(project_partition(case[keep], horizon, parameters))
    return combine(parts)


# ------------------------------------------------------------------------------------------ projection


@dataclass
class Projection:
    scenario: str
    horizon: Horizon
    monthly: pd.DataFrame  # index (scheme, county, level); one column per month index; CNY
    marks: dict | None = None  # the scenario's changed values and floors gone below (Scenario.marks)

    def long(self) -> pd.DataFrame:
        """scheme, county, level, month ('YYYY-MM'), year, amount — without the undetermined counts."""
        frame = self.monthly.drop(index="undetermined_months", level="level", errors="ignore")
        long = frame.stack().rename("amount").reset_index()
        long.columns = ["scheme", "county", "level", "month", "amount"]
        long = long[long["amount"] != 0]
        long["year"] = long["month"] // 12
        long["month"] = long["month"].map(month_label)
        return long

    def by(self, *keys: str) -> pd.DataFrame:
        return self.long().groupby(list(keys), as_index=False)["amount"].sum()

    def total(self) -> float:
        return float(self.long()["amount"].sum())

    def undetermined(self) -> pd.DataFrame:
        """Recipient-months whose amount the rules could not settle (missing facts), by scheme and county."""
        if "undetermined_months" not in self.monthly.index.get_level_values("level"):
            return pd.DataFrame(columns=["scheme", "county", "months"])
        rows = self.monthly.xs("undetermined_months", level="level")
        return rows.sum(axis=1).rename("months").reset_index().query("months > 0")


def project(caseload: pd.DataFrame | Iterable[pd.DataFrame] | None, projects: pd.DataFrame | None,
            horizon: Horizon, scenario: Scenario | None = None,
            progress: Callable[[int], None] | None = None) -> Projection:
    """Project a caseload (a frame, or an iterable of chunks for bounded memory) and a pipeline."""
    scenario = scenario or Scenario("baseline", default_parameters())
    chunks = [caseload] if isinstance(caseload, pd.DataFrame) else (caseload or [])
    deltas, done = [], 0
    for chunk in chunks:
        deltas = [combine([*deltas, project_partition(chunk, horizon, scenario.parameters)])]
        done += len(chunk)
        if progress:
            progress(done)
    monthly = monthly_from_deltas(combine(deltas), horizon)
    growth = scenario.assumptions.caseload_growth
    if growth and len(monthly):
        factor = (1 + growth) ** ((np.arange(horizon.length)) / 12)
        caseload_rows = ~monthly.index.get_level_values("level").isin(["undetermined_months"])
        monthly.loc[caseload_rows] = monthly.loc[caseload_rows].to_numpy() * factor[None, :]
    if projects is not None and len(projects):
        pipeline = monthly_from_deltas(project_pipeline(projects, horizon, scenario.parameters, scenario.assumptions),
                                       horizon)
        monthly = pipeline if monthly.empty else monthly.add(pipeline, fill_value=0.0)
    return Projection(scenario.name, horizon, monthly.sort_index(), scenario.marks)


def compare(projections: list[Projection], by: tuple[str, ...] = ("scheme", "year")) -> pd.DataFrame:
    """Scenarios side by side, and each one's difference from the first (the baseline)."""
    if not projections:
        return pd.DataFrame()
    tables = [p.by(*by).set_index(list(by))["amount"].rename(p.scenario) for p in projections]
    table = pd.concat(tables, axis=1).fillna(0.0)
    base = projections[0].scenario
    for p in projections[1:]:
        table[f"{p.scenario} − {base}"] = table[p.scenario] - table[base]
    return table.reset_index()

