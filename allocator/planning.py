"""Which candidate projects to fund, and in which year, so districts meet the targets of 九府办字[2022]113号.

Notation
--------
d ∈ D districts, with population P_d, existing places/beds E_d, qualifying (inclusive places, nursing beds) Q_d;
p ∈ Π candidate projects: district d(p) (may be none: a 管委会 zone counts only towards city-wide targets), kind,
capacity c_p (up to C_p when scalable), nursing share η_p or inclusive flag, cost κ_p (yuan), earliest year e_p;
t ∈ T = first_year … plan_year; checkpoints y: the years a target is dated (2023, 2025) up to the plan year, and
the plan year itself; targets g, each with a scope: one row per district, or one city-wide row (aggregate).

Decisions
---------
x_pt ∈ {0,1}   project p completes in year t (t ≥ e_p);       Σ_t x_pt ≤ 1
q_pt ∈ ℤ       places/beds it adds when scalable:             c_p x_pt ≤ q_pt ≤ C_p x_pt   (else q_pt = c_p x_pt)
n_pt ∈ ℤ       nursing beds of a scalable elderly project:    den(η_p) n_pt ≤ num(η_p) q_pt (else round(η_p c_p) x_pt)
s_guy ∈ ℤ≥0    shortfall against target g, unit u, checkpoint y

Capacity at checkpoint y:  S_uy = E_u + Σ_{p∈u, t≤y} q_pt,    R_uy = Q_u + Σ_{p∈u, t≤y} (qualifying part of q_pt)

Targets (integer coefficients throughout, so CP-SAT and the MIP backend solve the same model exactly)
    per 1,000 residents r:   S_uy + s ≥ ⌈r · P_u / 1000⌉
    share σ = num/den:       den · (R_uy + s) ≥ num · S_uy          (s counts missing qualifying places/beds)
    count B (aggregate):     S_uy + s ≥ B;  proportional scope: ⌈B · A_u / Σ A⌉ with A the population aged 60+

Units (allocator/units.py): the rows u of the districts table (counties, or township-level units with their
county), the counties c (a township table's rows summed; a project naming only its county counts there and in
its county pool), and the city. Scopes: each_district (rows), each_county, aggregate (city), proportional (the
city's value shared out to counties by population aged 60+, largest remainders).

Targets of issue 20, each with its shortfall s ≥ 0 (clauses: 九府办字[2022]113号; values and quotes in
subsidy_rules/parameters/3604/planning_targets.yaml)
    (1) coverage, layers L (城市社区 elderly care, 行政村 mutual aid, 街道 institutions, 城市社区 childcare):
        z_Luy ∈ ℤ, 0 ≤ z_Luy ≤ n_Lu − c_Lu;  z_Luy ≤ Σ_{p serves u, t≤y} k_p x_pt + f_Luy
        Σ_{u∈c} f_Luy ≤ Σ_{p names only c, t≤y} k_p x_pt                       (the county pool)
        Σ_L Σ_{u∈unit} (c_Lu + z_Luy) + s ≥ ⌈σ Σ_L Σ_{u∈unit} n_Lu⌉
        p serves u: p is in u, or (streets, coordinates given) within the service radius; k_p = 覆盖社区（村）数,
        1 for a street.  表1 第4项 居家社区养老服务覆盖率 (communities and villages), 第5项 and 附件2 第1项
        农村互助养老服务设施覆盖率, 第6项 街道具备综合功能的养老机构覆盖率, 附件2 第1项 城市社区养老服务设施全覆盖,
        表2 第9项 社区托育服务覆盖率.
    (2) count, at least B per unit: E_u + Σ_{p∈u counted, t≤y} m_p x_pt + s ≥ B, m_p the project's sites;
        二（一）托育方面 a public or inclusive nursery in every county (B = 1, each_county) and one city guidance
        centre (city_guidance_centre, aggregate); 附件2 第1项 新增城乡社区养老服务设施380个 (community_care and
        rural_mutual_aid sites, E = 0).
    (3) floor space, rows of new estates / old districts with H_u households (三（一）20 / 15 m² per 100 households):
        F_u + Σ_{p∈u community facility, t≤y} a_p x_pt + s ≥ ⌈r H_u / 100⌉, a_p its floor area in m².
    (4) homes adapted (适老化), h_ct ∈ ℤ≥0 homes of county c in year t at κ_h yuan each (a parameter):
        cumulative  A_unit + Σ_{c∈unit, t≤y} h_ct + s ≥ H_y   (表1 第8项 3000/6000, or 附件2 第1项 6500 by the reading
        home_adaptation_reading), each year Σ_c h_cy + s ≥ 1300 (附件2 第4项, 2022–2025).
    (5) beds added, city: Σ_{p elderly, t≤y} q_pt + s ≥ 8000 (附件2 第1项); places in all: as the bed total,
        21516 (附件2 第7项).
    (6) share of beds run by 社会力量, city, "超过" strictly: den (P + s) ≥ num S + 1, P the beds of private or
        公建民营 projects and the estimated existing ones (附件2 第1项, 50%).
    Every shortfall is weighted (TargetSpec.weight, overridable per target: --weight); a missing nursery or
    centre weighs 1000, a community or village 100, a place, bed, home or m² 1.

Budgets
    Σ_pt κ_pt + κ_h Σ_ct h_ct ≤ budget;  Σ_p κ_pt ≤ budget_t (each year);  Σ_pt σ^ℓ_pt ≤ budget^ℓ for funding level ℓ, where σ^ℓ is
    the construction subsidy the rules engine computes for p at level ℓ (province / city / county). A scalable
    project's cost and subsidy are pro rata per place (κ_p / C_p, rounded to whole yuan).

Objectives
    shortfall (default): lexicographic — first min Σ w_g s_guy, then min Σ κ keeping that shortfall;
    cost: min Σ κ with every s = 0 (infeasible input is re-solved as "shortfall" to explain what cannot be met);
    coverage: maximal covering within a radius (allocator.facility_location.MaximalCovering);
    distance: capacitated facility location on the districts' unmet need (CapacitatedFacilityLocation).

Exact reductions and how a large model is solved
    Years: without yearly budgets only the window between checkpoints matters, so x_pt exists for the earliest
    year of each window; a fixed-size project with den·g_p ≥ num·c_p for every share target of its kind (g_p its
    qualifying places) only gains from being built sooner, and is offered its earliest window alone.
    Coefficient strengthening: in each row "level + s ≥ b" a 0/1 choice counts min(a, b), not its a (capacity,
    sites, m²); in z ≤ Σ k x + f a choice counts min(k, n_Lu − c_Lu), and in the county pool min(k, Σ_u gaps).
    One such choice meets the requirement alone either way, so every whole-numbered plan keeps its feasibility and
    its least shortfall; only the LP relaxation loses the slivers of large projects that met small requirements
    (Jiujiang's township model: LP bound 76,129 → 77,429, optimum 78,267; tests/allocator/test_reformulations.py).
    Flows z, f are continuous for the MIP backends (integral at an optimum for integral x), integer for CP-SAT.
    The model is written as plain (variable, coefficient) rows and created in one step (solver.LinearRows).
    From 500 choices on, the first phase starts from relax and fix (solver.relax_and_fix): the LP relaxation (its
    optimum, rounded up, is the phase's bound), then the rest as a MIP with the integral choices fixed; the
    second phase searches the same neighbourhood for the cheapest plan (solver.fixed_search). That neighbourhood
    can be far from the optimum (the province's township model: its own bound 119,834 against the relaxation's
    117,216, 2.2%), so while the plan is further than the gap asked for from the bound, a neighbourhood search
    improves it county by county (solver.neighbourhood_search): a move frees the choices x of two counties C
    (those where the relaxation was most fractional first) and the variables that belong to them alone (q, n, z,
    f, the shortfalls of their rows; the city-wide shortfalls and homes h are free in every move), and solves
    the sub-model of these variables only: every row r with a free variable as
        lb_r − Σ_{j fixed} a_rj v_j ≤ Σ_{j free} a_rj v_j ≤ ub_r − Σ_{j fixed} a_rj v_j
    (the budget keeps what the other counties leave; a city-wide target the requirement they leave), from the
    current plan, kept only when better; a move's plan is a plan of the whole model, so the objective never
    rises. The first phase stops as soon as its plan is within the gap of the relaxation's bound; the second
    phase, when the first plan left the relaxation's neighbourhood, runs the same search for the cheapest plan
    (with Σ w s ≤ the first phase's optimum as one more row). A phase whose plan is still outside the gap
    asked for lets the backend search on from it while a third of the time limit is left. The time limit covers
    the whole call: a tenth is kept for the explanation, a quarter of the rest for the second phase (an eighth
    when the model is large enough for relax and fix).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
from ortools.math_opt.python import mathopt

from allocator.data import districts_frame, distances_frame, projects_frame
from allocator.facility_location import CapacitatedFacilityLocation, MaximalCovering
from allocator.names import OBJECTIVES
from allocator.sample import largest_remainder
from allocator.solver import (STATUS_ZH, LinearRows, Progress, SolverOptions, SolveStats, WarmStart,
                              fixed_search, linear_expression, neighbourhood_search, relax_and_fix, solve_model)
from allocator.targets import LAYERS, MEASURED_ON_ZH, SPECS, Target, load_targets
from allocator.units import (CITY_WIDE, FLOOR_SPACE_TYPES, QUALIFYING_EXISTING, SUPPLY_COLUMNS, Units, _TargetRow,
                             achieved, as_fraction, counts_for, share_required)
from care_services.spreadsheet import frame_records
from subsidy_rules.engine import evaluate_frame
from subsidy_rules.parameters import ParameterSet, default_parameters

LEVELS = ("province", "city", "county")
REASONS = {
    "no_candidates": ("该区域没有可选的此类项目", "no candidate project of this kind in the area"),
    "capacity": ("全部候选项目建成仍不足", "not enough even if every candidate is built"),
    "budget": ("预算不足", "the budget runs out"),
    "trade_off": ("与其他目标冲突，整体缺口已最小", "meeting it would leave a larger gap elsewhere"),
}
# why an indicator has no unit to assess (the tables lack what it counts)
NOT_APPLICABLE = {
    "coverage": ("区划表没有可考核的社区、行政村或街道（需乡镇级表及社区、村数）",
                 "the districts table has no communities, villages or streets to assess"),
    "floor_space": ("区划表没有标明新建住宅小区或老城区改造并填写户数的行",
                    "no row of the districts table is a new estate or old district with households"),
    "default": ("区划表中没有适用的区划", "no row of the districts table is concerned"),
}
STATUS_OF_INDICATOR = {"met": ("达标", "met"), "short": ("未达标", "short"), "not_applicable": ("不适用", "not applicable")}


@dataclass(frozen=True)
class Budgets:
    total: float | None = None
    per_year: Mapping[int, float] | float | None = None
    per_level: Mapping[str, float] | None = None  # province / city / county -> yuan of construction subsidies

    def year(self, year: int) -> float | None:
        if isinstance(self.per_year, Mapping):
            return self.per_year.get(year)
        return self.per_year


def nursing_beds_of(share, capacity):
    """Nursing beds of a scalable project (or column of them): the most the model's den·n ≤ num·q allows."""
    return np.floor(share * capacity + 1e-9)


# ----------------------------------------------------------------------------------------- subsidies


def construction_subsidies(plan: pd.DataFrame, districts: pd.DataFrame, jurisdiction: str,
                           parameters: ParameterSet) -> pd.DataFrame:
    """The one-off construction subsidy each planned project triggers, by funding level, from the rules engine.

    ``plan`` has code, kind, division_code, year, capacity, nursing_beds, ownership, construction, area, premises.
    Evaluated one year after completion (a city top-up needs 运营满一年); a public project gets none of item 13.
    Amounts the rules cannot settle (e.g. a county part agreed locally) are NaN and counted as undetermined.
    """
    columns = ["scheme", *(f"fund.{level}" for level in LEVELS), "subsidy", "subsidy_undetermined"]
    out = pd.DataFrame(index=plan.index, columns=columns, dtype=object)
    if plan.empty:
        return out
    where = plan["division_code"].fillna(jurisdiction).astype(str)
    central = plan["division_code"].map(districts["in_central_city"].astype(bool)).eq(True)
    completed = pd.to_datetime(plan["year"].astype(int).astype(str) + "-12-31")
    for kind, scheme in (("elderly", "elderly_institution_construction"), ("childcare", "childcare_construction")):
        rows = plan[plan["kind"] == kind]
        if rows.empty:
            continue
        if kind == "elderly":
            facts = pd.DataFrame({
                "ownership": rows["ownership"], "premises": rows["premises"],
                "ordinary_beds": rows["capacity"] - rows["nursing_beds"], "nursing_beds": rows["nursing_beds"],
                "built_to_standard": True, "in_central_city": central[rows.index],
                "opened_on": completed[rows.index].dt.date, "lease_years": None,
            })
        else:
            facts = pd.DataFrame({
                "area": rows["area"], "construction": rows["construction"], "slots_added": rows["capacity"],
                "in_planning_or_construction": True,
                "government_or_joint_investment": rows["ownership"] == "public", "county_part_agreed": None,
            })
        facts["jurisdiction"] = where[rows.index]
        facts["date"] = (completed[rows.index] + pd.DateOffset(years=1)).dt.date
        result = evaluate_frame(scheme, facts, parameters=parameters)
        funds = pd.DataFrame({level: pd.to_numeric(result.get(f"fund.{level}", pd.Series(0.0, index=rows.index)),
                                                   errors="coerce") for level in LEVELS}, index=rows.index)
        ineligible = result["eligible"].astype("boolean").eq(False).fillna(False)
        funds = funds.mask(ineligible, 0.0)
        out.loc[rows.index, "scheme"] = scheme
        for level in LEVELS:
            out.loc[rows.index, f"fund.{level}"] = funds[level]
        out.loc[rows.index, "subsidy_undetermined"] = funds.isna().any(axis=1)
        out.loc[rows.index, "subsidy"] = funds.fillna(0.0).sum(axis=1)
    for column in columns[1:-1]:
        out[column] = pd.to_numeric(out[column], errors="coerce")
    out["subsidy_undetermined"] = out["subsidy_undetermined"].astype(bool)
    return out


# ------------------------------------------------------------------------------------------- result


@dataclass
class PlacementResult:
    objective: str
    status: str  # optimal | feasible | infeasible | no_solution | error
    phases: list[tuple[str, SolveStats]]
    plan: pd.DataFrame  # chosen projects, one row each, with year, capacity, cost and subsidies
    districts: pd.DataFrame  # per district (and the city row): supply and ratios before and after
    targets: pd.DataFrame  # per target, unit and checkpoint: required, before, after, met, shortfall, reason
    excluded: pd.DataFrame  # candidate rows set aside, with the reason
    spending: dict
    messages: list[tuple[str, str]] = field(default_factory=list)
    adaptation: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["county", "county_name", "year", "households", "cost"]))  # 适老化 homes per county and year
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)  # one line per indicator and checkpoint

    @property
    def all_met(self) -> bool:
        return bool(self.targets["met"].all()) if len(self.targets) else True

    def subsidy_summary(self) -> pd.DataFrame:
        """Construction subsidies of the plan by scheme and funding level (yuan)."""
        columns = [f"fund.{level}" for level in LEVELS]
        if self.plan.empty:
            return pd.DataFrame(columns=["scheme", *columns, "subsidy", "undetermined_projects"])
        grouped = self.plan.groupby("scheme", dropna=False)
        summary = grouped[[*columns, "subsidy"]].sum(min_count=1).fillna(0.0)
        summary["undetermined_projects"] = grouped["subsidy_undetermined"].sum().astype(int)
        return summary.reset_index()

    def summary(self) -> list[str]:
        """The lines about the plan as a whole: objective, each phase, notes, what was chosen, whether all is met."""
        return [f"{zh} / {en}" for zh, en in self.summary_pairs()]

    def summary_pairs(self) -> list[tuple[str, str]]:
        """``summary`` as (Chinese, English) lines, so a page in one language shows that language only."""
        objective_zh, _, objective_en = OBJECTIVES[self.objective].partition(" / ")
        lines = [(f"目标：{objective_zh}", f"objective: {objective_en}")]
        for label, stats in self.phases:
            gap = "—" if stats.gap is None else f"{stats.gap:.4%}"
            label_zh, _, label_en = label.partition(" ")
            lines.append((f"{label_zh}：{STATUS_ZH[stats.status]}；目标值 {_shown(stats.objective)}；界 {_shown(stats.bound)}；"
                          f"差距 {gap}；{stats.seconds:.2f}秒（{stats.backend}）",
                          f"{label_en or label}: {stats.status.replace('_', ' ')}; objective {_shown(stats.objective)}; "
                          f"bound {_shown(stats.bound)}; gap {gap}; {stats.seconds:.2f} s ({stats.backend})"))
        lines.extend(self.messages)
        if len(self.plan):
            lines.append((f"选中项目 {len(self.plan)} 个，投资 {self.spending['total'] / 1e4:,.2f} 万元",
                          f"{len(self.plan)} projects chosen, cost {self.spending['total'] / 1e4:,.2f} × 10k CNY"))
        if len(self.adaptation):
            homes = int(self.adaptation["households"].sum())
            lines.append((f"适老化改造 {homes:,} 户，费用 {self.spending.get('households', 0) / 1e4:,.2f} 万元",
                          f"{homes:,} homes adapted, cost {self.spending.get('households', 0) / 1e4:,.2f} × 10k CNY"))
        if len(self.indicators):
            counts = self.indicators["status"].value_counts()
            met, short, na = (counts.get(k, 0) for k in ("met", "short", "not_applicable"))
            lines.append((f"指标 {len(self.indicators)} 项（按年份）：已达到 {met} 项，有缺口 {short} 项，不适用 {na} 项",
                          f"{len(self.indicators)} indicators (by year): {met} met, {short} short, {na} not applicable"))
        if self.all_met and len(self.targets):
            lines.append(("全部目标均已达到", "every target is met"))
        return lines

    def unmet(self) -> list[str]:
        """A line per target not met, with its shortfall and reason."""
        return [f"未达标 not met: {row.target_zh} {row.unit_name} {row.year}年 缺口 {row.shortfall:g} — "
                f"{row.reason_zh} / {row.reason_en}" for row in self.targets[~self.targets["met"]].itertuples()]

    def explanation(self) -> list[str]:
        return [*self.summary(), *self.unmet()]

    def indicator(self, target: str, year: int | None = None) -> pd.DataFrame:
        """The explanation of one indicator: a row per unit it is counted on (met or short, by how much, why)."""
        rows = self.targets[self.targets["target"] == target]
        if year is not None:
            rows = rows[rows["year"] == year]
        return rows.reset_index(drop=True)

    def indicator_lines(self) -> list[str]:
        """A line per indicator and checkpoint, for people: status, shortfall in all, reasons."""
        lines = []
        for row in self.indicators.itertuples():
            status = STATUS_OF_INDICATOR[row.status][0]
            text = f"{row.year}年 {row.target_zh}：{status}"
            if row.status == "short":
                why = "、".join(f"{REASONS[k][0]}（{n}处）" for k, n in row.reasons.items())
                text += f"，{row.units_short}/{row.units}处未达标，共缺 {row.shortfall:,} {row.shortfall_unit}；{why}"
            elif row.status == "not_applicable":
                text += f"（{row.not_applicable_zh}）"
            if row.estimated:
                text += "（现状含估算数）"
            lines.append(text)
        return lines

    def as_dict(self) -> dict:
            return {
            "objective": self.objective, "status": self.status, "status_zh": STATUS_ZH[self.status],
            "phases": [{"phase": label, **stats.as_dict()} for label, stats in self.phases],
            "plan": frame_records(self.plan), "districts": frame_records(self.districts), "targets": frame_records(self.targets),
            "subsidies": frame_records(self.subsidy_summary()), "excluded": frame_records(self.excluded),
            "spending": self.spending, "messages": [{"zh": zh, "en": en} for zh, en in self.messages],
            "adaptation": frame_records(self.adaptation), "indicators": frame_records(self.indicators),
            "indicator_lines": self.indicator_lines(),
            "summary": self.summary(), "explanation": self.explanation(),
            "summary_zh": [zh for zh, _ in self.summary_pairs()], "summary_en": [en for _, en in self.summary_pairs()],
        }


def _combined(parts: list[SolveStats], backend: str, seconds: float) -> SolveStats:
    """Independent parts solved one by one: objectives and bounds add up; optimal only if every part is."""
    order = ["optimal", "feasible", "no_solution", "infeasible", "unbounded", "error"]
    status = max((s.status for s in parts), key=order.index, default="optimal")
    objective = sum(s.objective or 0.0 for s in parts)
    bound = None if any(s.bound is None for s in parts) else sum(s.bound for s in parts)
    return SolveStats(backend, status, objective, bound, seconds)


class _Solved:
    """A plan known by its variable values (a warm start kept), read like a solver's result."""

    def __init__(self, values: Mapping) -> None:
        self._values = values

    def has_primal_feasible_solution(self) -> bool:
        return True

    def variable_values(self) -> Mapping:
        return self._values


class _NoSolution:
    def has_primal_feasible_solution(self) -> bool:
        return False


def _grouped(keys: pd.Series, positions: pd.Series, amounts: pd.Series) -> dict[str, list[tuple[int, int]]]:
    """{key: [(position, amount), …]} in the frame's order (a plain loop: pandas' groupby per group is slow)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for key, position, amount in zip(keys.tolist(), positions.astype(int).tolist(), amounts.astype(int).tolist()):
        out.setdefault(key, []).append((position, amount))
    return out


def _shown(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------------------------------ problem


@dataclass
class _Model:
    model: mathopt.Model
    choose: dict  # (project position, year) -> x
    size: dict  # (project position, year) -> places/beds added: (variable, coefficient)
    qualifying: dict  # nursing / inclusive / private -> (project position, year) -> (variable, coefficient)
    spend: object  # total cost (expression)
    weighted: object  # total weighted shortfall (expression)
    shortfalls: list  # (unit, weight, s)
    budgets: list  # the budget constraints (total, per year, per funding level)
    households: dict = field(default_factory=dict)  # (county, year) -> homes adapted that year


@dataclass
class PlacementProblem:
    districts: pd.DataFrame
    projects: pd.DataFrame
    excluded: pd.DataFrame
    targets: list[Target]
    budgets: Budgets
    first_year: int
    plan_year: int
    jurisdiction: str
    parameters: ParameterSet
    distances: pd.DataFrame | None = None  # code, division_code, km
    coverage_radius_km: float | None = None  # streets covered within this radius (coordinates given)
    household_cost: float | None = None  # yuan per adapted home (else the parameter)

    @classmethod
    def from_frames(
        cls,
        districts: pd.DataFrame,
        projects: pd.DataFrame,
        *,
        plan_year: int,
        first_year: int = 2023,
        budget: float | None = None,
        budget_per_year: Mapping[int, float] | float | None = None,
        level_budgets: Mapping[str, float] | None = None,
        jurisdiction: str = "360400",
        parameters: ParameterSet | None = None,
        only_targets: tuple[str, ...] | None = None,
        scopes: Mapping[str, str] | None = None,
        weights: Mapping[str, int] | None = None,
        distances: pd.DataFrame | None = None,
        coverage_radius_km: float | None = None,
        household_cost: float | None = None,
    ) -> PlacementProblem:
        """Check and type the tables (PlanningInputError lists every bad cell) and read the targets.

        ``distances`` (project code, division code, km) serves the coverage and distance objectives where
        coordinates are not known or straight lines would mislead (mountain counties)."""
        if first_year > plan_year:
            raise ValueError(f"起始年份{first_year}晚于规划年份{plan_year} / first year after the plan year")
        parameters = parameters or default_parameters()
        districts = districts_frame(districts)
        nursing_default = parameters.get_or("planning_targets.project_nursing_share_default", jurisdiction,
                                            dt.date(plan_year, 12, 31), 0.0)
        projects, excluded = projects_frame(projects, districts, first_year=first_year,
                                            default_nursing_share=float(nursing_default or 0.0))
        late = projects["earliest_year"] > plan_year
        if late.any():
            excluded = pd.concat([excluded, projects.loc[late, ["code", "name", "kind", "division_code"]].assign(
                reason_zh=f"最早建成年份晚于{plan_year}年", reason_en=f"cannot be completed by {plan_year}")],
                ignore_index=True)
            projects = projects[~late].reset_index(drop=True)
        for level in (level_budgets or {}):
            if level not in LEVELS:
                raise ValueError(f"资金层级应为 province/city/county，不能为 {level!r} / unknown funding level")
        targets = load_targets(parameters, jurisdiction, first_year, plan_year, only=only_targets,
                               scopes=scopes, weights=weights)
        problem = cls(districts, projects, excluded, targets, Budgets(budget, budget_per_year, level_budgets),
                      first_year, plan_year, jurisdiction, parameters,
                      None if distances is None else distances_frame(distances, districts, projects),
                      coverage_radius_km, household_cost)
        problem._prepare()
        return problem

    # ---------------------------------------------------------------------------------- preparation

    def _prepare(self) -> None:
        self._continuous_flows = False
        p = self.projects
        p["scalable"] = p["capacity_max"] > p["capacity"]
        p["unit_cost"] = np.where(p["scalable"], np.round(p["cost"] / p["capacity_max"]), 0).astype("int64")
        p["fixed_nursing"] = np.where(p["kind"] == "elderly", np.round(p["nursing_share"] * p["capacity"]), 0).astype(int)
        # subsidy coefficients for per-level budgets: evaluated at full capacity in the earliest year (only read
        # where a funding level has a budget; the rules engine takes seconds on a province's candidates)
        if self.budgets.per_level:
            probe = p.assign(year=p["earliest_year"], capacity=p["capacity_max"],
                             nursing_beds=np.where(p["kind"] == "elderly",
                                                   nursing_beds_of(p["nursing_share"], p["capacity_max"]), 0).astype(int))
            subsidies = construction_subsidies(probe, self.districts, self.jurisdiction, self.parameters)
        for level in LEVELS:
            amount = subsidies[f"fund.{level}"].fillna(0.0) if self.budgets.per_level else pd.Series(0, index=p.index)
            p[f"subsidy_full.{level}"] = amount.round().astype("int64")
        self._subsidy_full = {level: p[f"subsidy_full.{level}"].to_numpy() for level in LEVELS}
        self.units = Units(self.districts, p, self.coverage_radius_km)
        self._records = list(p.itertuples(index=False))  # row access without pandas overhead in hot loops
        self._narrow = p[["code", "kind", "earliest_year", "nursing_share", "inclusive", "social_operated",
                          "facility_type", "sites", "covers", "floor_area", "ownership", "capacity", "capacity_max",
                          "cost", "scalable", "unit_cost", *(f"subsidy_full.{level}" for level in LEVELS)]]
        self._position = {code: i for i, code in enumerate(p["code"])}
        self._rows = self.units.target_rows(self.targets)
        self._index_measures()
        self._household_cap = max([r.required for r in self._rows if r.target.spec.measure == "households"] + [0])
        if self._household_cap and self.household_cost is None:
            cost = self.parameters.get_or("planning_targets.home_adaptation_cost_per_household", self.jurisdiction,
                                          dt.date(self.plan_year, 12, 31), None)
            self.household_cost = None if cost is None else float(cost)
        if self._household_cap and self.household_cost is None:
            raise ValueError("缺少适老化改造每户费用（home_adaptation_cost_per_household） / no cost per adapted home")

    def _existing(self, unit: str, kind: str) -> tuple[int, int]:
        """Existing (all, qualifying) places or beds of a row, a county or the whole city."""
        total, good = SUPPLY_COLUMNS[kind]
        return self.units.total(unit, total), self.units.total(unit, good)

    def _members(self, unit: str, kind: str) -> pd.Index:
        """Candidate projects that count for a row's, a county's or the city's target of this kind."""
        return self.units.of(unit, kind)

    # ------------------------------------------------------------------------------------- the model

    def _candidate_years(self) -> Callable[[int], list[int]]:
        """Completion years worth distinguishing for a project that can be done from year ``e`` on.

        Capacity only matters at checkpoints, so without yearly budgets two years before the same checkpoint are
        interchangeable: offer the earliest year of each window between checkpoints (an exact reduction that
        removes symmetric choices). With yearly budgets every year is a different decision.
        """
        if self.budgets.per_year is not None:
            return lambda e: list(range(max(e, self.first_year), self.plan_year + 1))
        checkpoints = sorted({r.target.year for r in self._rows} | {self.plan_year})
        windows, start = [], self.first_year
        for checkpoint in checkpoints:
            if checkpoint >= start:
                windows.append((start, checkpoint))
                start = checkpoint + 1
        return lambda e: [max(e, low) for low, high in windows if max(e, low) <= high]

    def _early_is_best(self) -> np.ndarray:
        """Projects that can only help every target by being built sooner: they are offered their earliest window
        alone (an exact reduction, as the one above). Without yearly budgets a project's cost and subsidies do not
        depend on its year, and every target but a share is "at least": more places, sites or covered sub-units
        at a checkpoint never raise a shortfall. A share den·(good + s) ≥ num·total gains from a project adding
        q places of which g qualify iff den·g ≥ num·q; a scalable project may qualify less than that (its n is
        free below ⌊η q⌋), so it keeps every year when a share target of its kind is planned."""
        p = self.projects
        if self.budgets.per_year is not None:
            return np.zeros(len(p), dtype=bool)
        early = np.ones(len(p), dtype=bool)
        capacity = p["capacity"].to_numpy(dtype=np.int64)
        qualifying = {"nursing": p["fixed_nursing"].to_numpy(dtype=np.int64),
                      "inclusive": np.where(p["inclusive"], capacity, 0),
                      "private": np.where(p["social_operated"], capacity, 0)}
        fixed = ~p["scalable"].to_numpy()
        for kind, which, share in {(r.target.spec.kind, r.target.spec.qualifying, r.share) for r in self._rows
                                   if r.target.spec.measure == "share"}:
            gains = share.denominator * qualifying[which] >= share.numerator * capacity
            early &= (p["kind"] != kind).to_numpy() | (gains & fixed)
        return early

    def _build(self, allow_shortfall: bool, rows: list[_TargetRow] | None = None,
               positions: np.ndarray | None = None, with_budgets: bool = True) -> _Model:
        """The model for all targets and candidates, or for some (one county's) without the budgets.

        Written as plain (variable id, coefficient) terms (allocator.solver.LinearRows): a province's model has
        tens of thousands of rows, and MathOpt's expressions would spend most of a minute building it."""
        rows = self._rows if rows is None else rows
        positions = np.arange(len(self.projects)) if positions is None else positions
        m = LinearRows("placement")
        integer_flows = not self._continuous_flows
        choose: dict[tuple[int, int], int] = {}
        size: dict[tuple[int, int], tuple[int, int]] = {}  # (project, year) -> (variable, coefficient)
        qualifying: dict[str, dict[tuple[int, int], tuple[int, int]]] = {"nursing": {}, "inclusive": {},
                                                                         "private": {}}
        cost: dict[tuple[int, int], tuple[int, int]] = {}
        years = range(self.first_year, self.plan_year + 1)
        candidate_years, early = self._candidate_years(), self._early_is_best()
        by_project_year: dict[int, list[int]] = {}
        for i in positions.tolist():
            row = self._records[i]
            offered = candidate_years(int(row.earliest_year))
            offered = offered[:1] if early[i] else offered
            by_project_year[i] = offered
            own = []
            for t in offered:
                x = m.variable(0, 1, True)
                choose[(i, t)] = x
                own.append((x, 1))
                if row.scalable:
                    q = m.variable(0, int(row.capacity_max), True)
                    m.constraint([(q, 1), (x, -int(row.capacity))], lb=0)  # c x ≤ q
                    m.constraint([(q, 1), (x, -int(row.capacity_max))], ub=0)  # q ≤ C x
                    size[(i, t)] = (q, 1)
                    cost[(i, t)] = (q, int(row.unit_cost))
                    if row.kind == "elderly":
                        share = as_fraction(row.nursing_share)
                        n = m.variable(0, int(row.capacity_max), True)
                        m.constraint([(n, share.denominator), (q, -share.numerator)], ub=0)
                        qualifying["nursing"][(i, t)] = (n, 1)
                    elif row.inclusive:
                        qualifying["inclusive"][(i, t)] = (q, 1)
                else:
                    size[(i, t)] = (x, int(row.capacity))
                    cost[(i, t)] = (x, int(row.cost))
                    if row.kind == "elderly":
                        qualifying["nursing"][(i, t)] = (x, int(row.fixed_nursing))
                    elif row.inclusive:
                        qualifying["inclusive"][(i, t)] = (x, int(row.capacity))
                if row.social_operated:
                    qualifying["private"][(i, t)] = size[(i, t)]
            if len(own) > 1:
                m.constraint(own, ub=1)  # built once
        inside = set(by_project_year)

        def added(members, year: int, which: dict, scale: int = 1) -> list:
            out = []
            for i in members:
                for t in by_project_year.get(int(i), ()):
                    if t <= year and (int(i), t) in which:
                        v, c = which[(int(i), t)]
                        out.append((v, scale * c))
            return out

        def built(members, year: int, coefficient) -> list:
            """coefficient(i) · x_it for every year t ≤ year (sites, sub-units covered, floor area)."""
            out = []
            for i in members:
                a = int(coefficient(int(i))) if int(i) in inside else 0
                if a:
                    out.extend((choose[(int(i), t)], a) for t in by_project_year[int(i)] if t <= year)
            return out

        covered_new: dict[tuple[str, str, int], int | None] = {}  # (layer, row, year) -> z: sub-units newly covered
        pools: dict[tuple[str, str, int], list] = defaultdict(list)  # (layer, county, year) -> pool shares f

        def newly_covered(layer: str, row_code: str, year: int) -> int | None:
            key = (layer, row_code, year)
            if key in covered_new:
                return covered_new[key]
            gap = self._gaps[layer].get(row_code, 0)
            covered_new[key] = None
            if gap == 0:
                return None
            # k capped at the gap: a project covering more sub-units than are left uncovered covers the gap, no more
            # (exact for whole x; a far tighter LP relaxation than z ≤ k x with k > gap)
            terms = [(choose[(i, t)], -(min(k, gap) if self.STRENGTHEN else k))
                     for i, k in self._direct[layer].get(row_code, []) if i in inside
                     for t in by_project_year[i] if t <= year]
            county = self.units.county_of_row[row_code]
            if self._pooled[layer].get(county) and any(i in inside for i, _ in self._pooled[layer][county]):
                f = m.variable(0, gap, integer_flows)
                pools[(layer, county, year)].append((f, gap))
                terms.append((f, -1))
            if not terms:
                return None
            z = m.variable(0, gap, integer_flows)
            m.constraint([(z, 1), *terms], ub=0)  # z ≤ Σ k x + f
            covered_new[key] = z
            return z

        households: dict[tuple[str, int], int] = {}

        def adapted(unit: str, year: int, only_year: bool = False) -> list:
            out = []
            for county in self.units.counties_in(unit):
                for t in years:
                    if (t == year) if only_year else (t <= year):
                        if (county, t) not in households:
                            households[(county, t)] = m.variable(0, self._household_cap, True)
                        out.append((households[(county, t)], 1))
            return out

        shortfalls = []
        for row in rows:
            spec, year = row.target.spec, row.target.year
            kind, measure = spec.kind, spec.measure
            members = self._members(row.unit, kind)
            total_existing, _ = self._existing(row.unit, kind)
            slack = []
            if allow_shortfall:
                s = m.variable(0, max(row.required or 0, self._shortfall_cap(row), 1), True)
                shortfalls.append((row.unit, row.target.weight, s))
                slack = [(s, 1)]
            if measure == "share":  # den · (good + s) ≥ num · total (+1 when strict)
                num, den = row.share.numerator, row.share.denominator
                good = self.units.total(row.unit, QUALIFYING_EXISTING[spec.qualifying])
                m.constraint([*added(members, year, qualifying[spec.qualifying], den),
                              *added(members, year, size, -num), *((v, den * c) for v, c in slack)],
                             lb=num * total_existing + (1 if spec.strict else 0) - den * good)
                continue
            if measure in ("per_1000", "total", "added"):
                base = 0 if measure == "added" else total_existing
                terms = added(members, year, size)
            elif measure == "coverage":
                base = sum(self.units.total(row.unit, LAYERS[layer][1]) for layer in spec.layers)
                terms = [(z, 1) for layer in spec.layers for r in self.units.rows_of[row.unit]
                         if (z := newly_covered(layer, r, year)) is not None]
            elif measure == "count":
                counted = self._counted[spec.id]
                base = self.units.total(row.unit, spec.existing_column) if spec.existing_column else 0
                terms = built(members, year, lambda i: counted[i] * self._records[i].sites)
            elif measure == "floor_space":
                on_row = [i for i in members if self._records[i].division_code == row.unit]
                base = self.units.total(row.unit, "elderly_floor_space")
                terms = built(on_row, year, lambda i: round(self._records[i].floor_area)
                              if self._records[i].facility_type in FLOOR_SPACE_TYPES else 0)
            elif measure == "households":
                base = self.units.total(row.unit, "adapted_households")
                terms = adapted(row.unit, year)
            else:  # households_per_year
                base, terms = 0, adapted(row.unit, year, only_year=True)
            reach = m.covering if self.STRENGTHEN else m.constraint
            reach([*terms, *slack], lb=row.required - base)  # level + s ≥ required
        for (layer, county, year), shares in pools.items():
            pooled = dict(self._pooled[layer][county])
            room = sum(gap for _, gap in shares)  # the most the pool can serve: k capped there, as for z
            capacity = built([i for i in pooled if i in inside], year,
                             lambda i: min(pooled[i], room) if self.STRENGTHEN else pooled[i])
            m.constraint([*((f, 1) for f, _ in shares), *((v, -c) for v, c in capacity)], ub=0)  # Σ f ≤ Σ k x
        household_cost = round(self.household_cost or 0)
        spend = [*cost.values(), *((h, household_cost) for h in households.values())]
        budget_rows = []
        if with_budgets:
            if self.budgets.total is not None:
                budget_rows.append(m.constraint(spend, ub=math.floor(self.budgets.total)))
            for year in years:
                limit = self.budgets.year(year)
                if limit is not None:
                    budget_rows.append(m.constraint(
                        [*(c for (i, t), c in cost.items() if t == year),
                         *((h, household_cost) for (_, t), h in households.items() if t == year)],
                        ub=math.floor(limit)))
            for level, limit in (self.budgets.per_level or {}).items():
                terms = []
                for (i, t), x in choose.items():
                    if self._subsidy_full[level][i]:  # per place of q when scalable, else per project built
                        v, c = size[(i, t)] if self._records[i].scalable else (x, 1)
                        terms.append((v, c * self._level_subsidy(i, level, 1, 1)))
                budget_rows.append(m.constraint(terms, ub=math.floor(limit)))
        model, variables = m.model()
        var = variables.__getitem__
        constraints = list(model.linear_constraints())
        return _Model(model, {key: var(x) for key, x in choose.items()},
                      {key: (var(v), c) for key, (v, c) in size.items()},
                      {name: {key: (var(v), c) for key, (v, c) in which.items()} for name, which in qualifying.items()},
                      linear_expression(variables, spend),
                      linear_expression(variables, [(s, w) for _, w, s in shortfalls]),
                      [(unit, w, var(s)) for unit, w, s in shortfalls],
                      [constraints[r] for r in budget_rows],
                      {key: var(h) for key, h in households.items()})

    def _shortfall_cap(self, row: _TargetRow) -> int:
        """An upper bound for a shortfall variable (the most it can be)."""
        spec = row.target.spec
        if spec.measure == "share":
            total, _ = self._existing(row.unit, spec.kind)
            return total + int(self._narrow.loc[self._members(row.unit, spec.kind), "capacity_max"].sum()) + 1
        return row.required or 0

    def _index_measures(self) -> None:
        """Lookups the model reads per project: who counts for count targets, who covers which rows."""
        self._counted = {spec.id: counts_for(spec, self.projects).to_numpy() for spec in SPECS.values()
                         if spec.measure == "count"}
        self._gaps, self._direct, self._pooled = {}, {}, {}
        for layer in LAYERS:
            gap = self.units.gap(layer)
            self._gaps[layer] = gap[gap > 0].astype(int).to_dict()
            direct, pooled = self.units.serves[layer]
            self._direct[layer] = _grouped(direct["row"], direct["position"], direct["k"])
            self._pooled[layer] = _grouped(pooled["county"], pooled["position"], pooled["k"])

    def _level_subsidy(self, i: int, level: str, built, size):
        """The construction subsidy project ``i`` gets from ``level`` as the budgets count it: exact for a fixed
        project (``built`` is 1 or its choice variable), pro rata per place for a scalable one (``size`` places)."""
        full = int(self._subsidy_full[level][i])
        row = self._records[i]
        return round(full / row.capacity_max) * size if row.scalable else full * built

    # ------------------------------------------------------------------------------------- solving

    def solve(self, objective: str = "shortfall", options: SolverOptions | None = None,
              on_progress: Callable[[Progress], None] | None = None, *, kind: str = "childcare",
              radius_km: float = 1.0) -> PlacementResult:
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
        options = options or SolverOptions()
        # Covered sub-units z and pool shares f form a flow: for whole-numbered choices x the best z, f are whole
        # numbers anyway, so a MIP backend may keep them continuous (far fewer integers to branch on); CP-SAT
        # needs every variable integer.
        self._continuous_flows = options.resolved("coupled").backend != "cp-sat"
        if objective == "coverage":
            return self._solve_coverage(options, on_progress, kind, radius_km)
        if objective == "distance":
            return self._solve_distance(options, on_progress, kind)
        if objective == "cost":
            built = self._build(allow_shortfall=False)
            built.model.minimize(built.spend)
            started = dt.datetime.now()
            warm = self._warm_start(built, options, self._left(options, started) * 0.6)
            result, stats = self._search(built, options, on_progress, warm, self._left(options, started))
            result = result or _NoSolution()
            if stats.status != "infeasible":
                return self._result("cost", [("最省投资 cost", stats)], result, built)
            explained = self.solve("shortfall", options, on_progress)
            explained.objective = "cost"
            explained.status = "infeasible"
            explained.phases.insert(0, ("满足全部目标 all targets", stats))
            explained.messages.insert(0, ("在给定预算和候选项目下无法达到全部目标；下面是缺口最小的方案及原因",
                                          "the targets cannot all be met with these candidates and budgets; "
                                          "below is the plan with the least shortfall and why"))
            return explained
        return self._solve_lexicographic(options, on_progress)

    def _solve_lexicographic(self, options: SolverOptions, on_progress) -> PlacementResult:
        """Least weighted shortfall first; then the cheapest plan with no more shortfall than that.

        A large model starts the first phase from relax and fix (``_warm_start``) and the second from the first's
        plan in the same neighbourhood (``fixed_search``): when a plan is within the gap asked for of the
        relaxation's bound the phase stops there, else the backend searches on from it (time allowing, see
        SEARCH_FROM_SHARE) and the bound reported is the better of the two."""
        started = dt.datetime.now()
        if not any(row.unit == CITY_WIDE for row in self._rows) and not self.units.crosses_counties():
            found = self._lexicographic_by_district(options, on_progress, started)
            if found is not None:
                return found
        self._continuous_flows = options.resolved("coupled").backend != "cp-sat"
        built = self._build(allow_shortfall=True)
        model = built.model
        model.minimize(built.weighted)
        second_share = (self.SEARCHED_SECOND_PHASE_SHARE if len(built.choose) >= self.WARM_START_FROM
                        else self.SECOND_PHASE_SHARE)
        first_ends = self._elapsed(started) + self._left(options, started, 1 - second_share)

        def first_left() -> float:
            return max(first_ends - self._elapsed(started), options.time_limit_s * self.LAST_TRY_SHARE)

        warm = self._warm_start(built, options, first_left() * 0.85)
        warm, searched = self._neighbourhoods(built, options, warm, first_left(), options.relative_gap, on_progress)
        first, stats1 = self._search(built, options, on_progress, warm, first_left())
        phases = [("最小缺口 shortfall", stats1)]
        if first is None:
            return self._result("shortfall", phases, _NoSolution(), built)
        values = first.variable_values()
        least = math.floor(stats1.objective + 1e-6)  # a whole number of places
        model.add_linear_constraint(built.weighted <= least, name="keep_shortfall")
        model.minimize(built.spend)
        if warm is None:
            # A first cheap plan: keep every district's shortfall where phase 1 left it (the problem then splits by
            # district apart from the budget, and solves fast); it seeds the exact search, which only keeps the total.
            per_unit = defaultdict(list)
            for unit, weight, s in built.shortfalls:
                per_unit[unit].append((weight, s))
            fixed = [model.add_linear_constraint(
                         mathopt.fast_sum(w * s for w, s in terms) <= round(sum(w * values[s] for w, s in terms)))
                     for terms in per_unit.values()]
            seeded, _ = solve_model(model, options, None, time_limit_s=self._left(options, started) * 0.3,
                                    hint=mathopt.SolutionHint(variable_values=values))
            for constraint in fixed:
                model.delete_linear_constraint(constraint)
            if seeded.has_primal_feasible_solution():
                values = seeded.variable_values()
            second, stats2 = solve_model(model, options, on_progress, time_limit_s=self._left(options, started),
                                         hint=mathopt.SolutionHint(variable_values=values))
            final = second if second.has_primal_feasible_solution() else _Solved(values)
        else:
            # the cheapest plan in the neighbourhood of phase 1's relaxation (no second relaxation: on a province
            # it costs as long as the rest of the phase), then the whole model from there if time is left
            spent = mathopt.evaluate_expression(built.spend, values)
            hint, seconds = mathopt.SolutionHint(variable_values=values), 0.0
            if searched:  # the plan left the relaxation's neighbourhood: the cheapest one near it, county by county
                cheaper, _ = self._neighbourhoods(built, options, WarmStart(hint, spent, None, 0.0),
                                                  self._left(options, started) * 0.6, 0.0)
                seconds = cheaper.seconds
                hint, spent = cheaper.hint, cheaper.objective
            elif warm.relaxed is not None:
                cheaper, stats = fixed_search(model, warm.relaxed, options, self._left(options, started) * 0.6,
                                              hint=hint)
                seconds = stats.seconds
                if cheaper.has_primal_feasible_solution() and cheaper.objective_value() < spent:
                    spent = cheaper.objective_value()
                    hint = mathopt.SolutionHint(variable_values=cheaper.variable_values())
            warm = WarmStart(hint, spent, None, seconds, warm.relaxed)
            final, stats2 = self._search(built, options, on_progress, warm, self._left(options, started))
            final = final or _Solved(values)
        phases.append(("最省投资 cost", stats2))
        result = self._result("shortfall", phases, final, built)
        if isinstance(final, _Solved) and searched:
            result.messages.append(("方案由线性松弛后固定求得，再逐县邻域搜索改进（HiGHS），与界的差距见上",
                                    "the plan comes from relax and fix (the LP relaxation, then the rest as a MIP), "
                                    "improved county by county by a neighbourhood search (HiGHS); its gap is shown "
                                    "above"))
        elif isinstance(final, _Solved):
            result.messages.append(("方案由线性松弛后固定求得（HiGHS），与界的差距见上", "the plan comes from relax and "
                                    "fix (the LP relaxation, then the rest as a MIP, by HiGHS); its gap is shown above"))
        return result

    # the neighbourhood search's moves: counties freed together, and the most one move may take (s); on the
    # province's township model (bench/allocator.py) two counties take 0.3-1 s a move, eight 3 s and more
    COUNTIES_PER_MOVE = 2
    MOVE_TIME_S = 3.0

    def _neighbourhoods(self, built: _Model, options: SolverOptions, warm: WarmStart | None, time_limit_s: float,
                        gap: float, on_progress: Callable[[Progress], None] | None = None
                        ) -> tuple[WarmStart | None, bool]:
        """A large model's warm start improved county by county (solver.neighbourhood_search) while it is further
        than ``gap`` from its bound: (the warm start, the better plan when one was found; whether one was). Only
        for a model with a warm start's plan and decisions in more than one county."""
        if (warm is None or warm.hint is None or warm.objective is None
                or (warm.gap is not None and warm.gap <= gap)):
            return warm, False
        county = self.projects["county"].astype(str).to_numpy()
        groups = {x: county[i] for (i, _), x in built.choose.items()}
        if len(set(groups.values())) < 2:
            return warm, False
        stop_at = None if warm.bound is None else math.floor(warm.bound / (1 - gap) + 1e-9) if gap else warm.bound
        found = neighbourhood_search(built.model, warm.hint.variable_values, groups, options, time_limit_s,
                                     groups_per_move=self.COUNTIES_PER_MOVE, move_time_s=self.MOVE_TIME_S,
                                     stop_at=stop_at, priority=self._rounding_losses(warm, built, county),
                                     on_move=None if on_progress is None else lambda seconds, objective: on_progress(
                                         Progress(warm.seconds + seconds, objective, warm.bound)))
        if found.objective >= warm.objective - 1e-6:
            return dataclasses.replace(warm, seconds=warm.seconds + found.seconds), False
        return WarmStart(mathopt.SolutionHint(variable_values=found.values), found.objective, warm.bound,
                         warm.seconds + found.seconds, warm.relaxed), True

    @staticmethod
    def _rounding_losses(warm: WarmStart, built: _Model, county: np.ndarray) -> dict[str, int]:
        """Where relax and fix had to round: each county's decisions the relaxation left fractional (the
        neighbourhood search visits those counties first)."""
        losses: dict[str, int] = defaultdict(int)
        for (i, _), x in built.choose.items():
            if warm.relaxed is not None and 1e-6 < warm.relaxed.get(x, 0.0) < 1 - 1e-6:
                losses[county[i]] += 1
        return losses

    def _search(self, built: _Model, options: SolverOptions, on_progress, warm: WarmStart | None,
                time_limit_s: float):
        """One phase from its warm start: (a solution or None, stats). The backend runs only when the warm start
        is not already within the gap asked for."""
        if warm is not None and warm.hint is not None and (
                (warm.gap is not None and warm.gap <= options.relative_gap)
                or time_limit_s < options.time_limit_s * self.SEARCH_FROM_SHARE):
            return _Solved(warm.hint.variable_values), warm.stats("highs")
        result, stats = solve_model(built.model, options, on_progress, time_limit_s=time_limit_s,
                                    hint=None if warm is None else warm.hint)
        if warm is None:
            return (result if result.has_primal_feasible_solution() else None), stats
        if result.has_primal_feasible_solution() and (warm.objective is None
                                                      or result.objective_value() <= warm.objective + 1e-6):
            return result, warm.tightens(stats)
        if warm.hint is None:
            return None, warm.tightens(stats)
        # the backend found nothing better in time: the warm start's plan stands, with the best bound known
        return _Solved(warm.hint.variable_values), warm.tightens(
            SolveStats(stats.backend, "feasible", warm.objective, stats.bound, stats.seconds + warm.seconds))

    def _lexicographic_by_district(self, options: SolverOptions, on_progress,
                                   started: dt.datetime) -> PlacementResult | None:
        """The exact shortcut when every target is per county (or per row) and the budgets do not bind.

        Without budgets and city-wide targets the model falls apart into one small problem per county (a project
        serves only its own county's targets; radius coverage across a county border is excluded by the caller),
        and the lexicographic optimum is the union of each county's lexicographic optimum. Each part is solved on
        its own by ``solve_part``, which is far faster than one model with a hundred independent parts. Budgets
        are lifted for this (a relaxation): if the union fits them, it is optimal with them as well, and the summed
        bounds are valid bounds. Otherwise None, and the caller solves the coupled model.

        The time limit holds for the whole: each part's cost phase gets its fair share of what is left
        (``part_time_limit``), and a phase its time does not prove keeps its best plan and bound, so the union is
        a plan with a valid summed bound (status feasible) rather than a hundred parts each proving its cheapest
        plan whatever the time (a 60 s call once took 205 s).
        """
        parts = self.independent_parts()
        chosen, adapted, phase1, phase2 = [], [], [], []
        options = options.resolved("district")
        self._continuous_flows = options.backend != "cp-sat"  # set before the parts' processes copy the problem
        from allocator.parallel import solve_parts  # several counties: in parallel processes

        for number, solved in enumerate(solve_parts(self, parts, options, started), start=1):
            if solved is None:
                return None
            stats1, stats2, part_chosen, part_adapted = solved
            phase1.append(stats1)
            phase2.append(stats2)
            chosen.extend(part_chosen)
            adapted.extend(part_adapted)
            if self.budgets.total is not None and sum(s.objective or 0 for s in phase2) > self.budgets.total:
                return None  # the budget binds: no need to solve the other parts alone
            if on_progress is not None:
                on_progress(Progress((dt.datetime.now() - started).total_seconds(), None, None, (number, len(parts))))
        plan, adaptation = self._plan_frame(chosen), self._adaptation_frame(adapted)
        if not self._within_budgets(plan, chosen, adaptation):
            return None
        seconds = (dt.datetime.now() - started).total_seconds()
        phases = [(label, _combined(stats, options.backend, seconds if k else sum(s.seconds for s in phase1)))
                  for k, (label, stats) in enumerate((("最小缺口 shortfall", phase1), ("最省投资 cost", phase2)))]
        result = self._assemble("shortfall", phases[-1][1].status, phases, plan, adaptation=adaptation)
        result.messages.append(("各区划分别求解（按县；目标均按县或区划计，预算未形成约束）",
                                "solved county by county (every target is per county or district and the budgets "
                                "do not bind)"))
        return result

    def independent_parts(self) -> list[tuple[str, list[_TargetRow], np.ndarray]]:
        """(county, its target rows, its candidate positions) for every county with something to decide; the
        parts share nothing when no target is city-wide and no project serves across a county border."""
        groups = self.projects.groupby("county").indices
        rows_by_county = defaultdict(list)
        for row in self._rows:
            rows_by_county[self.units.county_of(row.unit)].append(row)
        parts = []
        for county, rows in rows_by_county.items():
            positions = np.asarray(groups.get(county, []), dtype=int)
            if len(positions) or any(r.target.spec.measure.startswith("households") for r in rows):
                parts.append((county, rows, positions))
        return parts

    def solve_part(self, rows: list[_TargetRow], positions: np.ndarray, options: SolverOptions,
                   started: dt.datetime, parts_left: int = 1, processes: int = 1):
        """The lexicographic optimum of one independent part within the gap asked (0: proven): (phase-1 stats,
        phase-2 stats, chosen projects, homes adapted), or None when the first phase finds no plan in time.

        The first phase (the targets) may use what is left of the limit, as it always did: it is quick for a
        county (14 s for the hundred of bench/allocator.py's township instance). The second (the cost) gets the
        part's fair share of what is left (``part_time_limit``) and, stopped by it, keeps its best plan and bound
        (status feasible): proving each county's cheapest plan took 2 s apiece, 205 s for a 60 s call."""
        built = self._build(True, rows, positions, with_budgets=False)
        built.model.minimize(built.weighted)
        first, stats1 = solve_model(built.model, options, None, time_limit_s=self._left(options, started))
        if stats1.status not in ("optimal", "feasible") or not first.has_primal_feasible_solution():
            return None
        values = first.variable_values()
        built.model.add_linear_constraint(built.weighted <= round(stats1.objective))
        built.model.minimize(built.spend)
        second, stats2 = solve_model(built.model, options, None,
                                     time_limit_s=self.part_time_limit(options, started, parts_left, processes),
                                     hint=mathopt.SolutionHint(variable_values=values))
        if not second.has_primal_feasible_solution():  # the first phase's plan is a plan of the second too
            stats2 = SolveStats(stats2.backend, "feasible", mathopt.evaluate_expression(built.spend, values),
                                stats2.bound, stats2.seconds)
        else:
            values = second.variable_values()
        return stats1, stats2, self._chosen(values, built), self._adapted(values, built)

    PART_LEAST_S = 0.2  # seconds: a part whose share is gone still reads a plan (the backends stop at once)

    @classmethod
    def part_time_limit(cls, options: SolverOptions, started: dt.datetime, parts_left: int,
                        processes: int = 1) -> float:
        """A part's fair share of the solving time left: what is left × processes ÷ parts still to solve."""
        used = (dt.datetime.now() - started).total_seconds()
        left = options.time_limit_s * (1 - cls.EXPLANATION_SHARE) - used
        return max(left * processes / max(parts_left, 1), cls.PART_LEAST_S)

    def _within_budgets(self, plan: pd.DataFrame, chosen: list[tuple[int, int, int, int]],
                        adaptation: pd.DataFrame) -> bool:
        """Does the plan respect every budget, counted as the model counts (subsidies per place when scalable)?"""
        spent = pd.concat([plan[["year", "cost"]], adaptation[["year", "cost"]]])
        if self.budgets.total is not None and spent["cost"].sum() > self.budgets.total:
            return False
        if self.budgets.per_year is not None:
            for year, amount in spent.groupby("year")["cost"].sum().items():
                limit = self.budgets.year(int(year))
                if limit is not None and amount > limit:
                    return False
        for level, limit in (self.budgets.per_level or {}).items():
            used = sum(self._level_subsidy(i, level, 1, capacity) for i, _, capacity, _ in chosen)
            if used > limit:
                return False
        return True

    # Coefficients capped where one choice meets a requirement alone (solver.LinearRows.covering, and k ≤ gap in
    # coverage): the same integer optima, a tighter relaxation. False builds the plain model (for the tests that
    # check both agree).
    STRENGTHEN = True
    WARM_START_FROM = 500  # candidate decisions; smaller models are solved outright

    def _warm_start(self, built: _Model, options: SolverOptions, time_limit_s: float) -> WarmStart | None:
        """Relax and fix for a large model (None for a small one). Every objective here is whole-valued: integer
        weights on integer shortfalls, whole yuan on integer choices, places and homes."""
        if len(built.choose) < self.WARM_START_FROM:
            return None
        return relax_and_fix(built.model, list(built.choose.values()), options, time_limit_s, integral=True)

    # The time limit covers the whole call: building, solving and the explanation. This share of it is kept for
    # reading the plan and explaining it (a province's 913 target rows: ~5 s, bench/allocator.py), and the first
    # phase of the lexicographic objective leaves this share of what is left to the second.
    EXPLANATION_SHARE = 0.1
    SECOND_PHASE_SHARE = 0.25
    # ... and this share when the model is large: its first phase may need the neighbourhood search's time (the
    # province's township model: 15-25 s of moves to reach a 1% gap), its second phase is a few moves from there
    SEARCHED_SECOND_PHASE_SHARE = 0.13
    LAST_TRY_SHARE = 0.02  # the least a phase gets when the time is up, so it still reads a plan
    # A large model's backend search from its warm start runs only with this share of the limit left: HiGHS cannot
    # stop in its presolve of a province's 60,000 variables (asked for 8.5 s it took 19.6 s, for 1.2 s 11.6 s)
    SEARCH_FROM_SHARE = 0.35

    @classmethod
    def _left(cls, options: SolverOptions, started: dt.datetime, share: float = 1.0) -> float:
        """``share`` of what is left of the time limit for solving (the explanation's share kept), never less
        than LAST_TRY_SHARE of the limit."""
        used = (dt.datetime.now() - started).total_seconds()
        return max((options.time_limit_s * (1 - cls.EXPLANATION_SHARE) - used) * share,
                   options.time_limit_s * cls.LAST_TRY_SHARE)

    @staticmethod
    def _elapsed(started: dt.datetime) -> float:
        return (dt.datetime.now() - started).total_seconds()

    # ------------------------------------------------------------------------------------- reading

    def _plan_frame(self, chosen: list[tuple[int, int, int, int]], subsidies: bool = True) -> pd.DataFrame:
        """chosen: (project index, year, capacity, nursing beds); ``subsidies=False`` for what-if plans the
        explanations evaluate (no subsidy columns)."""
        p = self.projects
        if not chosen:
            plan = p.iloc[0:0].assign(year=pd.Series(dtype=int), nursing_beds=pd.Series(dtype=int))
        else:
            index = [i for i, _, _, _ in chosen]
            plan = p.loc[index].copy()
            plan["year"] = [t for _, t, _, _ in chosen]
            plan["capacity"] = [c for _, _, c, _ in chosen]
            plan["nursing_beds"] = [n for _, _, _, n in chosen]
            plan["cost"] = np.where(plan["scalable"], plan["unit_cost"] * plan["capacity"], plan["cost"])
        plan["position"] = plan.index.astype(int)
        plan["inclusive_places"] = np.where(plan["inclusive"], plan["capacity"], 0).astype(int)
        plan["private_beds"] = np.where(plan["social_operated"], plan["capacity"], 0).astype(int)
        if not subsidies:
            return plan
        subsidies = construction_subsidies(plan, self.districts, self.jurisdiction, self.parameters)
        plan = pd.concat([plan, subsidies], axis=1)
        keep = ["code", "name", "division_code", "kind", "facility_type", "year", "capacity", "nursing_beds",
                "inclusive_places", "private_beds", "sites", "ownership", "construction", "cost", "scheme",
                *(f"fund.{l}" for l in LEVELS), "subsidy", "subsidy_undetermined",
                # read by the indicator tables, not shown
                "position", "county", "covers", "floor_area", "inclusive", "social_operated"]
        names = pd.concat([self.districts["name"], self._county_names()])
        plan["division_name"] = plan["division_code"].map(names).fillna("（未定区划）")
        return plan[["code", "name", "division_code", "division_name", *keep[3:]]].sort_values(
            ["year", "kind", "division_code", "code"], na_position="last").reset_index(drop=True)

    def _county_names(self) -> pd.Series:
        """Names of the counties of a township table (from the divisions of the sample, else the code)."""
        if getattr(self, "_county_name_cache", None) is None:
            missing = [c for c in self.units.counties if c not in self.districts.index]
            known = {}
            if missing:
                from allocator.sample import division_names

                known = division_names()
            self._county_name_cache = pd.Series({c: known.get(c, c) for c in missing}, dtype=object)
        return self._county_name_cache

    def _chosen(self, values, built: _Model) -> list[tuple[int, int, int, int]]:
        """(project position, year, places/beds, nursing beds) of every project the solution builds."""
        def value(term: tuple[mathopt.Variable, int]) -> int:
            variable, coefficient = term
            return coefficient * round(values[variable])

        chosen = []
        for (i, t), x in built.choose.items():
            if values[x] > 0.5:
                capacity = value(built.size[(i, t)])
                row = self._records[i]
                nursing = (int(nursing_beds_of(row.nursing_share, capacity)) if row.scalable
                           else int(row.fixed_nursing)) if row.kind == "elderly" else 0
                chosen.append((i, t, capacity, nursing))
        return chosen

    @staticmethod
    def _adapted(values, built: _Model) -> list[tuple[str, int, int]]:
        """(county, year, homes) adapted in the solution."""
        return [(county, t, round(values[h])) for (county, t), h in built.households.items() if round(values[h]) > 0]

    def _adaptation_frame(self, adapted: list[tuple[str, int, int]]) -> pd.DataFrame:
        """Homes adapted (适老化) per county and year, with their cost."""
        frame = pd.DataFrame(adapted, columns=["county", "year", "households"])
        names = pd.concat([self.districts["name"], self._county_names()])
        frame.insert(1, "county_name", frame["county"].map(names))
        frame["cost"] = frame["households"] * round(self.household_cost or 0)
        return frame.sort_values(["year", "county"]).reset_index(drop=True)

    def _result(self, objective: str, phases, result, built: _Model) -> PlacementResult:
        status = phases[-1][1].status
        if any(s.status == "feasible" for _, s in phases) and status == "optimal":
            status = "feasible"
        has = result.has_primal_feasible_solution()
        values = result.variable_values() if has else {}
        plan = self._plan_frame(self._chosen(values, built) if has else [])
        return self._assemble(objective, status, phases, plan,
                              adaptation=self._adaptation_frame(self._adapted(values, built) if has else []))

    def _assemble(self, objective: str, status: str, phases, plan: pd.DataFrame,
                  messages: list[tuple[str, str]] | None = None, adaptation: pd.DataFrame | None = None
                  ) -> PlacementResult:
        adaptation = self._adaptation_frame([]) if adaptation is None else adaptation
        spent = pd.concat([plan[["year", "cost"]], adaptation[["year", "cost"]]])
        spending = {
            "total": float(spent["cost"].sum()),
            "projects": float(plan["cost"].sum()),
            "households": float(adaptation["cost"].sum()),
            "by_year": {int(y): float(v) for y, v in spent.groupby("year")["cost"].sum().items()},
            "budget": self.budgets.total,
            "budget_per_year": (dict(self.budgets.per_year) if isinstance(self.budgets.per_year, Mapping)
                                else self.budgets.per_year),
            "subsidies_by_level": {level: float(plan[f"fund.{level}"].fillna(0).sum()) for level in LEVELS},
            "level_budgets": dict(self.budgets.per_level or {}),
        }
        targets = self.target_table(plan, spending, adaptation)
        result = PlacementResult(objective, status, phases, plan, self.district_table(plan), targets,
                                 self.excluded, spending, list(messages or []), adaptation,
                                 self.indicator_table(targets))
        if not self.districts["estimated"].eq(False).all():
            result.messages.append(("部分现有床位、托位及覆盖情况为估算数（见区划对比表“估算”列）",
                                    "some existing figures are estimates (see the estimate column of the "
                                    "district table)"))
        return result

    # ------------------------------------------------------------------------------ before and after

    def figures(self, plan: pd.DataFrame, year: int, adaptation: pd.DataFrame | None = None) -> dict:
        """Every figure the targets read, per row, county and the city, at the end of ``year``."""
        adaptation = self._adaptation_frame([]) if adaptation is None else adaptation
        return self.units.evaluate(plan.set_index("position", drop=False) if "position" in plan else plan,
                                   adaptation, year, [t.spec for t in self.targets])

    def supply(self, plan: pd.DataFrame, year: int) -> pd.DataFrame:
        """Beds, nursing beds, places and inclusive places per unit (rows, counties, city) at the end of ``year``."""
        figures = self.figures(plan, year)
        columns = {"elderly_beds": "elderly_beds", "nursing_beds": "qualifying.nursing",
                   "childcare_slots": "childcare_slots", "inclusive_slots": "qualifying.inclusive",
                   "private_beds": "qualifying.private", "population": "population"}
        frame = pd.DataFrame({name: figures[key] for name, key in columns.items()})
        return frame.round().astype("int64")

    def district_table(self, plan: pd.DataFrame) -> pd.DataFrame:
        empty = plan.iloc[0:0]
        before, after = self.supply(empty, self.plan_year), self.supply(plan, self.plan_year)

        def ratios(frame: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame({
                "elderly_beds": frame["elderly_beds"],
                "nursing_share": frame["nursing_beds"] / frame["elderly_beds"].where(frame["elderly_beds"] > 0),
                "childcare_slots": frame["childcare_slots"],
                "slots_per_1000": frame["childcare_slots"] * 1000 / frame["population"].where(frame["population"] > 0),
                "inclusive_share": frame["inclusive_slots"] / frame["childcare_slots"].where(frame["childcare_slots"] > 0),
            })
        d = self.districts
        names = pd.concat([d["name"], self._county_names(), pd.Series({CITY_WIDE: CITY_WIDE})])
        table = pd.concat([ratios(before).add_suffix("_before"), ratios(after).add_suffix("_after")], axis=1)
        table.insert(0, "name", table.index.map(names))
        table.insert(1, "population", before["population"])
        table.insert(0, "division_code", table.index)
        estimated = pd.concat([d["estimated"].astype(bool), pd.Series(
            {c: bool(d.loc[self.units.rows_of[c], "estimated"].any()) for c in self.units.counties}),
            pd.Series({CITY_WIDE: bool(d["estimated"].any())})])
        table["estimated"] = table.index.map(estimated[~estimated.index.duplicated()]).astype(bool)
        table["level"] = ["city" if u == CITY_WIDE else "county" if u in self.units.counties else "township"
                          for u in table.index]
        order = [c for pair in zip(ratios(before).add_suffix("_before").columns, ratios(after).add_suffix("_after").columns)
                 for c in pair]
        return table[["division_code", "name", "level", "population", *order, "estimated"]].reset_index(drop=True)

    def target_table(self, plan: pd.DataFrame, spending: Mapping, adaptation: pd.DataFrame | None = None
                     ) -> pd.DataFrame:
        rows = []
        chosen = np.zeros(len(self.projects), dtype=bool)  # by position: isin on a province's codes is slow
        chosen[plan["position"].to_numpy(dtype=int)] = True
        years = {r.target.year for r in self._rows}
        afters = {year: self.figures(plan, year, adaptation) for year in years}
        befores = {year: self.figures(plan.iloc[0:0], year) for year in years}
        names = pd.concat([self.districts["name"], self._county_names()]).to_dict()
        estimated = self.districts["estimated"].astype(bool).to_dict()
        estimated_units: dict[str, bool] = {}

        def estimated_in(unit: str) -> bool:  # any estimated row in the unit (plain dicts: 913 rows, no pandas)
            if unit not in estimated_units:
                estimated_units[unit] = any(estimated[r] for r in self.units.rows_of[unit])
            return estimated_units[unit]

        for row in self._rows:
            target, spec = row.target, row.target.spec
            required, achieved_after, shown_after = achieved(row, afters[target.year])
            _, _, shown_before = achieved(row, befores[target.year])
            shortfall = max(0, required - achieved_after)
            reason = self._reason(row, shortfall, spending, chosen) if shortfall else None
            rows.append({
                "target": target.id, "target_zh": spec.title_zh, "target_en": spec.title_en, "year": target.year,
                "value": target.value, "measure": spec.measure, "scope": spec.scope, "unit": row.unit,
                "unit_name": CITY_WIDE if row.unit == CITY_WIDE else names.get(row.unit, row.unit),
                "measured_on": spec.measured_on, "required": required, "achieved": achieved_after,
                "before": shown_before, "after": shown_after, "met": shortfall == 0,
                "shortfall": shortfall, "shortfall_unit": spec.unit_zh, "weight": target.weight, "reason": reason,
                "reason_zh": REASONS[reason][0] if reason else None, "reason_en": REASONS[reason][1] if reason else None,
                "estimated": estimated_in(row.unit),
                "citation": f"{target.reference.document} {target.reference.clause}",
            })
        columns = ["target", "target_zh", "target_en", "year", "value", "measure", "scope", "unit", "unit_name",
                   "measured_on", "required", "achieved", "before", "after", "met", "shortfall", "shortfall_unit",
                   "weight", "reason", "reason_zh", "reason_en", "estimated", "citation"]
        return pd.DataFrame(rows, columns=columns)

    def indicator_table(self, targets: pd.DataFrame) -> pd.DataFrame:
        """One line per indicator and checkpoint — every target loaded, applicable or not: met or short, in how many
        units, by how much in all, and the reasons counted."""
        out = []
        for target in self.targets:
            spec = target.spec
            rows = targets[(targets["target"] == target.id) & (targets["year"] == target.year)]
            short = rows[~rows["met"]]
            reasons = short["reason"].value_counts()
            if rows.empty:
                status = "not_applicable"
            else:
                status = "met" if short.empty else "short"
            out.append({
                "target": target.id, "target_zh": spec.title_zh, "target_en": spec.title_en, "year": target.year,
                "value": target.value, "measure": spec.measure, "scope": spec.scope, "measured_on": spec.measured_on,
                "status": status, "units": len(rows), "units_short": len(short),
                "shortfall": int(short["shortfall"].sum()), "shortfall_unit": spec.unit_zh,
                "reasons": {str(k): int(v) for k, v in reasons.items()},
                "not_applicable_zh": NOT_APPLICABLE.get(spec.measure, NOT_APPLICABLE["default"])[0]
                if rows.empty else None,
                "estimated": bool(rows["estimated"].any()) if len(rows) else False,
                "citation": f"{target.reference.document} {target.reference.clause}",
                "quote": target.reference.quote, "parameter": target.parameter,
                "status_zh": STATUS_OF_INDICATOR[status][0], "status_en": STATUS_OF_INDICATOR[status][1],
                "measured_on_zh": MEASURED_ON_ZH[spec.measured_on],
                "reasons_zh": "；".join(f"{REASONS[k][0]}（{n}处）" for k, n in reasons.items()),
                "reasons_en": "; ".join(f"{REASONS[k][1]} ({n})" for k, n in reasons.items()),
            })
        return pd.DataFrame(out, columns=["target", "target_zh", "target_en", "year", "value", "measure", "scope",
                                          "measured_on", "status", "units", "units_short", "shortfall",
                                          "shortfall_unit", "reasons", "not_applicable_zh", "estimated", "citation",
                                          "quote", "parameter", "status_zh", "status_en", "measured_on_zh",
                                          "reasons_zh", "reasons_en"])

    def _columns(self) -> dict[str, np.ndarray]:
        """The candidates' columns the explanation reads, as numpy arrays by position (a province's 900 short rows
        are explained in a second or two, not the twenty that pandas' per-row selections took)."""
        if getattr(self, "_column_cache", None) is None:
            p = self.projects
            columns = {name: p[name].to_numpy() for name in (
                "earliest_year", "inclusive", "social_operated", "facility_type", "division_code", "at_county_only",
                "scalable", "capacity", "capacity_max", "unit_cost", "cost", "sites")}
            columns["nursing_share"] = pd.to_numeric(p["nursing_share"], errors="coerce").fillna(0.0).to_numpy(float)
            columns["floor_area"] = pd.to_numeric(p["floor_area"], errors="coerce").fillna(0.0).to_numpy(float)
            columns["full_cost"] = np.where(columns["scalable"], columns["unit_cost"] * columns["capacity"],
                                            columns["cost"])
            for level in LEVELS:
                columns[f"subsidy_full.{level}"] = p[f"subsidy_full.{level}"].to_numpy()
            self._column_cache = columns
        return self._column_cache

    def _reason(self, row: _TargetRow, shortfall: int, spending: Mapping, chosen: np.ndarray) -> str:
        """Why a target is short: nothing to build there, not enough even building everything, money, or a
        trade-off with another target."""
        spec, year = row.target.spec, row.target.year
        if spec.measure.startswith("households"):
            return "trade_off" if self._affordable_households(spending, year) else "budget"
        columns = self._columns()
        members = self._members(row.unit, spec.kind).to_numpy(dtype=int)
        members = members[columns["earliest_year"][members] <= year]
        useful = members[self._useful(spec, members)]
        if spec.measure == "floor_space":
            useful = useful[columns["division_code"][useful] == row.unit]
        if spec.measure == "coverage" and row.unit in self.districts.index and self.units.township_level:
            pooled = self.units.of(self.units.county_of_row[row.unit], spec.kind).to_numpy(dtype=int)
            pooled = pooled[columns["at_county_only"][pooled].astype(bool)]
            useful = np.concatenate([useful, pooled[self._useful(spec, pooled)]])  # the county pool serves it too
        if not len(useful):
            return "no_candidates"
        if not self._reachable(row, useful):
            return "capacity"
        unchosen = useful[~chosen[useful]]
        if not len(unchosen) or self._affordable(unchosen, spending, year):
            return "trade_off"
        return "budget"

    def _reachable(self, row: _TargetRow, useful: np.ndarray) -> bool:
        """Would the target be met if every useful candidate (by position) were built (at its largest)?"""
        spec, columns = row.target.spec, self._columns()
        largest = columns["capacity_max"][useful].astype(np.int64)
        if spec.measure == "share":
            total, _ = self._existing(row.unit, spec.kind)
            good = self.units.total(row.unit, QUALIFYING_EXISTING[spec.qualifying])
            gained = (nursing_beds_of(columns["nursing_share"][useful], largest).sum()
                      if spec.qualifying == "nursing" else largest.sum())
            return good + gained >= share_required(row.share, total + int(largest.sum()), spec.strict)
        if spec.measure in ("per_1000", "total", "added"):
            base = 0 if spec.measure == "added" else self._existing(row.unit, spec.kind)[0]
            return base + int(largest.sum()) >= row.required
        if spec.measure == "count":
            base = self.units.total(row.unit, spec.existing_column) if spec.existing_column else 0
            return base + int(columns["sites"][useful].astype(np.int64).sum()) >= row.required
        if spec.measure == "floor_space":
            return (self.units.total(row.unit, "elderly_floor_space")
                    + int(np.round(columns["floor_area"][useful]).sum()) >= row.required)
        built = pd.DataFrame(index=pd.Index(useful))
        covered = 0
        for layer in spec.layers:
            per_row = self.units.covered(layer, built)
            covered += int(per_row[self.units.rows_of[row.unit]].sum())
        return covered >= row.required

    def _useful(self, spec, positions: np.ndarray) -> np.ndarray:
        """Which of these candidates (by position) can raise this target's figure."""
        columns = self._columns()
        if spec.measure == "share":
            if spec.qualifying == "nursing":
                return columns["nursing_share"][positions] > 0
            return columns["inclusive" if spec.qualifying == "inclusive" else "social_operated"][positions].astype(bool)
        if spec.measure == "coverage":
            types = [t for layer in spec.layers for t in LAYERS[layer][2]]
            return np.isin(columns["facility_type"][positions], types)
        if spec.measure == "count":
            return self._counted[spec.id][positions].astype(bool) & (columns["sites"][positions] > 0)
        if spec.measure == "floor_space":
            return (np.isin(columns["facility_type"][positions], list(FLOOR_SPACE_TYPES))
                    & (columns["floor_area"][positions] > 0))
        return np.ones(len(positions), dtype=bool)

    def _affordable_households(self, spending: Mapping, year: int) -> bool:
        """Could the money left pay for one more adapted home by ``year``?"""
        cost = self.household_cost or 0
        if self.budgets.total is not None and self.budgets.total - spending["total"] < cost:
            return False
        if self.budgets.per_year is not None:
            return any((self.budgets.year(t) is None) or (self.budgets.year(t) - spending["by_year"].get(t, 0.0) >= cost)
                       for t in range(self.first_year, year + 1))
        return True

    def _affordable(self, positions: np.ndarray, spending: Mapping, year: int) -> bool:
        """Could the money left buy at least one of these (unchosen) candidates, by position, by ``year``?"""
        columns = self._columns()
        cost = columns["full_cost"][positions]
        fits = np.ones(len(positions), dtype=bool)
        if self.budgets.total is not None:
            fits &= cost <= self.budgets.total - spending["total"]
        if self.budgets.per_year is not None:
            room = np.zeros(len(positions), dtype=bool)
            earliest = columns["earliest_year"][positions]
            for t in range(self.first_year, year + 1):
                limit = self.budgets.year(t)
                left = float("inf") if limit is None else limit - spending["by_year"].get(t, 0.0)
                room |= (earliest <= t) & (cost <= left)
            fits &= room
        for level, limit in (self.budgets.per_level or {}).items():
            fits &= columns[f"subsidy_full.{level}"][positions] <= limit - spending["subsidies_by_level"][level]
        return bool(fits.any())

    # ------------------------------------------------------------------------- spatial objectives

    def _need(self, kind: str) -> pd.Series:
        """Places/beds each district still needs at the plan year (the per-district target minus what exists)."""
        rows = [r for r in self._rows if r.target.spec.kind == kind and r.share is None and r.target.year == self.plan_year
                and r.unit != CITY_WIDE]
        need = pd.Series(0, index=self.districts.index, dtype="int64")
        for r in rows:
            if r.unit in need.index:
                need[r.unit] = max(need[r.unit], r.required)
        existing = self.districts[SUPPLY_COLUMNS[kind][0]]
        if not rows and kind == "elderly":  # a city-wide bed count: share it by population aged 60+
            total = next((r.required for r in self._rows if r.target.id == "elderly_beds_total"
                          and r.target.year == self.plan_year), 0)
            need = largest_remainder(int(total), self.districts["aged_60_plus"])
        return (need - existing).clip(lower=0)

    def _distances(self, kind: str) -> tuple[pd.DataFrame, np.ndarray]:
        """Candidate sites of this kind and their distance (km) to every district: from the distance table when
        one was given (pairs it lacks are out of reach), else straight lines between x_km/y_km coordinates."""
        sites = self.projects[self.projects["kind"] == kind]
        if self.distances is not None:
            matrix = (self.distances.pivot_table(index="code", columns="division_code", values="km", aggfunc="min")
                      .reindex(index=sites["code"], columns=self.districts.index))
            reachable = matrix.notna().any(axis=1).to_numpy()
            return sites[reachable], matrix.to_numpy(dtype=float)[reachable]
        missing_sites = sites["x_km"].isna() | sites["y_km"].isna()
        if len(sites) == 0 or missing_sites.all() or self.districts[["x_km", "y_km"]].isna().any(axis=None):
            raise ValueError("此目标需要距离表，或区划和项目的坐标（x_km, y_km） / this objective needs a distance "
                             "table, or x_km and y_km for every district and for the candidate projects")
        sites = sites[~missing_sites]
        d = self.districts
        return sites, np.hypot(sites["x_km"].to_numpy(dtype=float)[:, None] - d["x_km"].to_numpy(dtype=float)[None, :],
                               sites["y_km"].to_numpy(dtype=float)[:, None] - d["y_km"].to_numpy(dtype=float)[None, :])

    def _spatial_plan(self, chosen_codes: list[str], capacities: Mapping[str, int] | None = None) -> pd.DataFrame:
        index = self.projects.index[self.projects["code"].isin(chosen_codes)]
        chosen = []
        for i in index:
            row = self._records[i]
            capacity = max(int((capacities or {}).get(row.code, row.capacity_max)), int(row.capacity))
            nursing = int(nursing_beds_of(row.nursing_share, capacity)) if row.kind == "elderly" else 0
            chosen.append((i, int(row.earliest_year), capacity, nursing))
        return self._plan_frame(chosen)

    def _solve_coverage(self, options, on_progress, kind: str, radius_km: float) -> PlacementResult:
        sites, distance = self._distances(kind)
        districts = self.districts
        near = np.argwhere(distance <= radius_km)
        within = pd.DataFrame({"site": sites["code"].to_numpy()[near[:, 0]], "district": districts.index[near[:, 1]]})
        weight = districts["under_3" if kind == "childcare" else "aged_60_plus"].where(lambda s: s > 0,
                                                                                     districts["population"])
        covered_already = (districts[SUPPLY_COLUMNS[kind][0]] > 0).astype(int)
        budget = self.budgets.total if self.budgets.total is not None else float(sites["cost"].sum())
        problem = MaximalCovering(sites.set_index("code")[["cost"]].rename(columns={"cost": "capital_cost"}),
                                  pd.DataFrame({"weight": weight, "covered_already": covered_already}), within, budget)
        opened, covered, stats = problem.solve(options, on_progress)
        plan = self._spatial_plan(opened)
        result = self._assemble("coverage", stats.status, [("覆盖人口 coverage", stats)], plan)
        people = int(weight[covered].sum()) if covered else 0
        result.messages.append((f"服务半径{radius_km:g}公里内覆盖{people:,}人（{len(covered)}个区划）",
                                f"{people:,} people in {len(covered)} districts within {radius_km:g} km"))
        return result

    def _solve_distance(self, options, on_progress, kind: str) -> PlacementResult:
        sites, distance = self._distances(kind)
        need = self._need(kind)
        customers = pd.DataFrame({"demand": need[need > 0]})
        if customers.empty:
            return self._assemble("distance", "optimal", [], self._plan_frame([]),
                                  [("各区划已达到目标，无需新增", "every district already meets its target")])
        distance = distance[:, self.districts.index.get_indexer(customers.index)]
        reach = distance[np.isfinite(distance)]
        problem = CapacitatedFacilityLocation(
            pd.DataFrame({"fixed_cost": 0.0, "capacity": sites["capacity_max"].to_numpy(),
                          "capital_cost": sites["cost"].to_numpy()}, index=sites["code"]),
            customers, distance * customers["demand"].to_numpy()[None, :], budget=self.budgets.total,
            name="distance", unmet_penalty=float((reach.max() if reach.size else 0.0) * 10 + 1))
        solved = problem.solve(options, on_progress)
        used = solved.assignment.groupby("site")["quantity"].sum().round().astype(int).to_dict()
        plan = self._spatial_plan(solved.opened, used)
        result = self._assemble("distance", solved.stats.status, [("服务距离 distance", solved.stats)], plan)
        if len(solved.unserved):
            result.messages.append((f"{len(solved.unserved)}个区划的需求未能全部满足（共{solved.unserved.sum():,.0f}）",
                                    f"demand of {len(solved.unserved)} districts not fully served "
                                    f"({solved.unserved.sum():,.0f} places)"))
        return result
