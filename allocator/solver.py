"""One way to hand a MathOpt model to CP-SAT or a MIP solver, with limits and a progress line.

Every allocator model is built once with ``ortools.math_opt`` and solved by whichever backend is asked for, so
CP-SAT and the MIP backend are compared on the same formulation. CP-SAT needs integer variables and coefficients;
the models here are written that way (places, beds and yuan are whole numbers).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import os
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from ortools.math_opt import model_pb2
from ortools.math_opt.python import mathopt
from ortools.sat import sat_parameters_pb2

from allocator.names import AUTO, BACKEND_NAMES, DEFAULT_BACKEND  # noqa: F401  (AUTO and the default: part of this module's interface)

BACKENDS = dict(zip(BACKEND_NAMES, (mathopt.SolverType.HIGHS, mathopt.SolverType.CP_SAT, mathopt.SolverType.GSCIP)))

# CP-SAT's settings for these models, from bench/allocator.py (Jiujiang's township model, phase 1, load ~7 on 2
# cores): linearization_level 2 puts the full LP relaxation with cuts into the search (the models are knapsacks
# under a budget, where the LP bound is what proves optimality): 1.8-2.8 s against 6.7-10.5 s at the default
# level 1. One worker: on a shared 2-core machine CP-SAT's parallel portfolio only time-slices (2 workers
# 8.3-10.2 s, 4 workers 13 s, 8 workers 2-7 s at level 2); SolverOptions.threads asks for more.
CP_SAT_LINEARIZATION_LEVEL = 2
CP_SAT_DEFAULT_WORKERS = 1


def cp_sat_parameters(threads: int | None) -> sat_parameters_pb2.SatParameters:
    """The CP-SAT parameters every allocator model is solved with (see CP_SAT_LINEARIZATION_LEVEL)."""
    return sat_parameters_pb2.SatParameters(linearization_level=CP_SAT_LINEARIZATION_LEVEL,
                                            num_workers=threads or CP_SAT_DEFAULT_WORKERS)

STATUS_ZH = {
    "optimal": "已证明最优",
    "feasible": "可行解（未证明最优）",
    "infeasible": "无可行解",
    "no_solution": "时限内未找到可行解",
    "unbounded": "无界",
    "error": "求解出错",
}


@dataclass(frozen=True)
class SolverOptions:
    backend: str = DEFAULT_BACKEND
    time_limit_s: float = 60.0
    relative_gap: float = 0.0  # prove optimality unless told otherwise
    threads: int | None = None
    verbose: bool = False  # the backend's own log on stderr (`carecalc allocate --verbose`); quiet unless asked

    def resolved(self, model_kind: str) -> SolverOptions:
        """These options with "auto" replaced by the backend that suits this kind of model (see AUTO)."""
        if self.backend != "auto":
            return self
        return dataclasses.replace(self, backend=AUTO[model_kind])

    def __post_init__(self) -> None:
        if self.backend not in (*BACKENDS, "auto"):
            raise ValueError(f"backend must be auto or one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if not self.time_limit_s > 0:
            raise ValueError("time_limit_s must be positive")
        if not 0 <= self.relative_gap < 1:
            raise ValueError("relative_gap must be in [0, 1)")
        if self.threads is not None and self.threads < 1:
            raise ValueError("threads must be at least 1")


@dataclass(frozen=True)
class Progress:
    """What the solver reports while it works: best plan so far, best bound, their gap."""

    seconds: float
    incumbent: float | None
    bound: float | None
    done: tuple[int, int] | None = None  # parts solved, of how many (district by district)

    @property
    def gap(self) -> float | None:
        return relative_gap(self.incumbent, self.bound)

    def line(self) -> str:
        if self.done is not None:
            return (f"求解中 {self.seconds:6.1f}s  已完成 {self.done[0]}/{self.done[1]} 个区划 / "
                    f"solving district by district: {self.done[0]} of {self.done[1]}")
        def show(value: float | None) -> str:
            return "—" if value is None else f"{value:,.0f}"
        gap = "—" if self.gap is None else f"{self.gap:.2%}"
        return (f"求解中 {self.seconds:6.1f}s  当前最优 {show(self.incumbent)}  界 {show(self.bound)}  差距 {gap}"
                f" / solving: incumbent, bound, gap")


@dataclass(frozen=True)
class SolveStats:
    backend: str
    status: str  # a key of STATUS_ZH
    objective: float | None
    bound: float | None
    seconds: float

    @property
    def gap(self) -> float | None:
        if self.status == "optimal":
            return 0.0
        return relative_gap(self.objective, self.bound)

    def as_dict(self) -> dict:
        return {"backend": self.backend, "status": self.status, "status_zh": STATUS_ZH[self.status],
                "objective": self.objective, "bound": self.bound, "gap": self.gap, "seconds": round(self.seconds, 3)}


def relative_gap(incumbent: float | None, bound: float | None) -> float | None:
    if incumbent is None or bound is None or not math.isfinite(incumbent) or not math.isfinite(bound):
        return None
    return abs(incumbent - bound) / max(abs(incumbent), 1e-9)


# HiGHS prints one row per improvement: "  T  0  0  0  0.00%  9362  9360  0.02% ...": BestBound, BestSol, Gap.
_HIGHS_ROW = re.compile(r"^\s*\S?\s+\d+\s+\d+\s+\d+\s+[\d.]+%\s+(\S+)\s+(\S+)\s+(\S+%|inf|Large)")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@contextlib.contextmanager
def native_stdout_to_stderr() -> Iterator[None]:
    """HiGHS prints debugging lines straight to file descriptor 1; keep stdout clean for JSON and pipes."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (e.g. under a test runner capturing it): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def solve_model(
    model: mathopt.Model,
    options: SolverOptions,
    on_progress: Callable[[Progress], None] | None = None,
    time_limit_s: float | None = None,
    hint: mathopt.SolutionHint | None = None,
) -> tuple[mathopt.SolveResult, SolveStats]:
    """Solve and classify the outcome; ``on_progress`` hears incumbent/bound updates where the backend gives them."""
    options = options.resolved("coupled")
    started = time.perf_counter()
    limit = options.time_limit_s if time_limit_s is None else time_limit_s
    params = mathopt.SolveParameters(
        time_limit=dt.timedelta(seconds=limit),
        relative_gap_tolerance=options.relative_gap,
        absolute_gap_tolerance=0.0,
        # HiGHS refuses a thread count through MathOpt; it uses its own default.
        threads=None if options.backend in ("highs", "cp-sat") else options.threads,
        enable_output=options.verbose,
        **({"cp_sat": cp_sat_parameters(options.threads)} if options.backend == "cp-sat" else {}),
    )
    kwargs: dict = {}
    if hint is not None:
        kwargs["model_params"] = mathopt.ModelSolveParameters(solution_hints=[hint])
    if on_progress is not None:
        if options.backend == "cp-sat":
            def callback(data: mathopt.CallbackData) -> mathopt.CallbackResult:
                stats = data.mip_stats
                on_progress(Progress(time.perf_counter() - started, _number(str(stats.primal_bound)),
                                     _number(str(stats.dual_bound))))
                return mathopt.CallbackResult()
            kwargs.update(callback_reg=mathopt.CallbackRegistration(events={mathopt.Event.MIP}), cb=callback)
        elif options.backend == "highs":
            def log(lines) -> None:
                for text in lines:
                    match = _HIGHS_ROW.match(text)
                    if match:
                        on_progress(Progress(time.perf_counter() - started, _number(match.group(2)),
                                             _number(match.group(1))))
            kwargs["msg_cb"] = log
    try:
        with native_stdout_to_stderr():
            result = mathopt.solve(model, BACKENDS[options.backend], params=params, **kwargs)
    except Exception as error:  # a solver refusing the model is reported, never a traceback to the planner
        raise SolverFailure(options.backend, str(error)) from error
    return result, _stats(result, options.backend, time.perf_counter() - started)


@dataclass(frozen=True)
class WarmStart:
    """A first plan (relax and fix) and the bound of the LP relaxation it came from.

    The bound holds whatever backend then searches: no integer plan is better than the relaxation's optimum.
    With an integral objective (whole places, yuan, weights) it is rounded up. ``relaxed``: the decisions' values
    in the relaxation, so a later phase can search the same neighbourhood (``fixed_search``) without solving it
    again."""

    hint: mathopt.SolutionHint | None
    objective: float | None  # of the first plan
    bound: float | None
    seconds: float
    relaxed: dict | None = None  # decision variable -> its value in the LP relaxation

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)

    def stats(self, backend: str) -> SolveStats:
        """The warm start as a phase's outcome: proven optimal when the plan reaches the bound."""
        proven = self.objective is not None and self.bound is not None and self.objective <= self.bound + 1e-6
        return SolveStats(backend, "optimal" if proven else "feasible", self.objective, self.bound, self.seconds)

    def tightens(self, stats: SolveStats) -> SolveStats:
        """A backend's outcome with the better of its bound and the relaxation's (minimising)."""
        if self.bound is None or stats.status == "optimal":
            return stats
        bound = self.bound if stats.bound is None else max(stats.bound, self.bound)
        status = "optimal" if stats.objective is not None and stats.objective <= bound + 1e-6 else stats.status
        return SolveStats(stats.backend, status, stats.objective, bound, stats.seconds)


def _fixing_backend(options: SolverOptions, time_limit_s: float) -> SolverOptions:
    """The backend for the small MIPs left once the relaxation's integral decisions are fixed: HiGHS (its presolve
    removes what is fixed at once; CP-SAT would carry the whole model)."""
    return SolverOptions(options.backend if options.backend != "cp-sat" else "highs", time_limit_s,
                         max(options.relative_gap, 1e-4))


def fixed_search(model: mathopt.Model, relaxed: dict, options: SolverOptions, time_limit_s: float,
                 free_fractional: bool = True, hint: mathopt.SolutionHint | None = None,
                 round_up_from: float = 1.0) -> tuple[mathopt.SolveResult, SolveStats]:
    """Solve ``model`` with every decision the relaxation left at 1 fixed at 1 and every one at 0 fixed at 0;
    the fractional ones free (or, with ``free_fractional`` off, rounded: up from ``round_up_from``, else down).
    The bounds are restored afterwards; the stats' bound holds for this neighbourhood only."""
    saved = {v: (v.lower_bound, v.upper_bound) for v in relaxed}
    for variable, value in relaxed.items():
        if value >= 1 - 1e-6 or (not free_fractional and value >= round_up_from):
            variable.lower_bound = 1
        elif value <= 1e-6 or not free_fractional:
            variable.upper_bound = 0
    try:
        return solve_model(model, _fixing_backend(options, time_limit_s), time_limit_s=time_limit_s, hint=hint)
    finally:
        for variable, (low, high) in saved.items():
            variable.lower_bound, variable.upper_bound = low, high


# relax and fix's first plan takes the decisions the relaxation leaves at this value or more: on the province's
# township model (bench/allocator.py) 0.7 gives a plan of weighted shortfall 142,591 against 150,233 with every
# fractional decision at 0 (0.5 and 0.3 break the budget or one-year-per-project rows)
ROUND_UP_FROM = 0.7


def relax_and_fix(model: mathopt.Model, decisions: list[mathopt.Variable], options: SolverOptions,
                  time_limit_s: float, integral: bool = False) -> WarmStart:
    """A good first plan for large instances: solve the LP relaxation (dual simplex: on these models it is several
    times faster than the barrier, which finds nothing in 60 s on a province's; primal simplex 18 s against 12 s),
    fix the decisions it leaves at 0 or 1, and solve the much smaller rest as a MIP. On a province's model the
    relaxation leaves 336 of 36,253 choices fractional; the plan found this way is within 2.2% of the bound, and
    optimal in its neighbourhood (whose own bound is 119,834 against the relaxation's 117,216), which is why the
    caller goes on with ``neighbourhood_search``. The bound is kept (WarmStart): the
    caller stops there when the plan is within the gap asked for, and reports the better bound otherwise.
    ``integral``: the objective takes whole values only, so its bound may be rounded up."""
    started = time.perf_counter()
    integer = [v for v in model.variables() if v.integer]
    for variable in integer:
        variable.integer = False
    try:
        with native_stdout_to_stderr():
            relaxed = mathopt.solve(model, mathopt.SolverType.HIGHS, params=mathopt.SolveParameters(
                time_limit=dt.timedelta(seconds=time_limit_s * 0.8), lp_algorithm=mathopt.LPAlgorithm.DUAL_SIMPLEX))
    finally:
        for variable in integer:
            variable.integer = True
    if not relaxed.has_primal_feasible_solution():
        return WarmStart(None, None, None, time.perf_counter() - started)
    bound = None
    if relaxed.termination.reason == mathopt.TerminationReason.OPTIMAL:
        bound = relaxed.objective_value()
        bound = math.ceil(bound - 1e-6) if integral else bound
    values = relaxed.variable_values()
    at = {variable: values[variable] for variable in decisions}
    best: mathopt.SolveResult | None = None
    # first the fractional decisions rounded (up from ROUND_UP_FROM, else down; solved in moments), every one at 0
    # if that breaks a budget or a one-year-per-project row (spending only falls), then the fractional ones free
    # from the best of these plans; the best plan is kept
    for free_fractional, share, round_up_from in ((False, 0.1, ROUND_UP_FROM), (False, 0.2, 1.0), (True, 1.0, 1.0)):
        if not free_fractional and round_up_from >= 1 and best is not None:
            continue
        left = max((time_limit_s - (time.perf_counter() - started)) * share, time_limit_s * 0.1)
        fixed, _ = fixed_search(model, at, options, left, free_fractional, hint=None if best is None else
                                mathopt.SolutionHint(variable_values=best.variable_values()),
                                round_up_from=round_up_from)
        if fixed.has_primal_feasible_solution() and (best is None
                                                     or fixed.objective_value() < best.objective_value()):
            best = fixed
    seconds = time.perf_counter() - started
    if best is None:
        return WarmStart(None, None, bound, seconds, at)
    return WarmStart(mathopt.SolutionHint(variable_values=best.variable_values()), best.objective_value(), bound,
                     seconds, at)


class LinearRows:
    """A MathOpt model gathered as plain numbers and created in one step.

    Adding tens of thousands of variables and constraints one by one through MathOpt's expression API costs
    about a millisecond each in Python, which dominated the time to plan a province. Here a variable is an integer
    id and a constraint a list of (id, coefficient) terms with its bounds; ``model()`` turns them into a
    ``ModelProto`` with numpy and hands it to ``mathopt.Model.from_model_proto``. Repeated terms of one
    constraint add up, as in an expression.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._lower, self._upper, self._integer = [], [], []
        self._row_lower, self._row_upper, self._terms = [], [], []  # terms: (row, variable id, coefficient)

    def variable(self, lb: float = 0.0, ub: float = math.inf, integer: bool = False) -> int:
        self._lower.append(lb)
        self._upper.append(ub)
        self._integer.append(integer)
        return len(self._lower) - 1

    def constraint(self, terms, lb: float = -math.inf, ub: float = math.inf) -> int:
        row = len(self._row_lower)
        self._row_lower.append(lb)
        self._row_upper.append(ub)
        self._terms.extend((row, v, c) for v, c in terms)
        return row

    def covering(self, terms, lb: float) -> int:
        """``Σ terms ≥ lb`` over non-negative variables and coefficients (a level plus its shortfall reaching a
        requirement), with each 0/1 variable's coefficient lowered to ``lb``: one such choice meets the requirement
        on its own either way, so every integer point keeps its feasibility and its least shortfall, while the LP
        relaxation can no longer meet a small requirement with a sliver of a large project (coefficient
        strengthening; tests/allocator/test_reformulations.py)."""
        summed: dict[int, float] = {}
        for v, c in terms:
            summed[v] = summed.get(v, 0) + c
        if lb > 0 and all(c >= 0 and self._lower[v] >= 0 for v, c in summed.items()):
            summed = {v: (min(c, lb) if self._integer[v] and self._upper[v] <= 1 else c) for v, c in summed.items()}
        return self.constraint(summed.items(), lb=lb)

    def model(self) -> tuple[mathopt.Model, list[mathopt.Variable]]:
        proto = model_pb2.ModelProto(name=self.name)
        n = len(self._lower)
        proto.variables.ids[:] = range(n)
        proto.variables.lower_bounds[:] = self._lower
        proto.variables.upper_bounds[:] = self._upper
        proto.variables.integers[:] = self._integer
        proto.linear_constraints.ids[:] = range(len(self._row_lower))
        proto.linear_constraints.lower_bounds[:] = self._row_lower
        proto.linear_constraints.upper_bounds[:] = self._row_upper
        if self._terms:
            terms = np.array(self._terms, dtype=np.float64)
            rows, columns = terms[:, 0].astype(np.int64), terms[:, 1].astype(np.int64)
            # the matrix must be sorted by row, then column, without repeats: sum repeated terms, drop zeros
            key = rows * max(n, 1) + columns
            unique, at = np.unique(key, return_inverse=True)
            coefficients = np.bincount(at, weights=terms[:, 2], minlength=len(unique))
            keep = coefficients != 0
            matrix = proto.linear_constraint_matrix
            matrix.row_ids[:] = (unique[keep] // max(n, 1)).tolist()
            matrix.column_ids[:] = (unique[keep] % max(n, 1)).tolist()
            matrix.coefficients[:] = coefficients[keep].tolist()
        model = mathopt.Model.from_model_proto(proto)
        return model, list(model.variables())  # the variables by id: LinearRows numbers them 0, 1, …


def linear_expression(variables: list[mathopt.Variable], terms) -> mathopt.LinearSum:
    """Σ coefficient · variable over (variable id, coefficient) terms; ``variables`` are the model's, by id."""
    return mathopt.fast_sum(c * variables[v] for v, c in terms)


class SolverFailure(RuntimeError):
    def __init__(self, backend: str, detail: str):
        super().__init__(f"求解器 {backend} 出错 / solver {backend} failed: {detail}")


def _stats(result: mathopt.SolveResult, backend: str, seconds: float) -> SolveStats:
    reason = result.termination.reason
    has_solution = result.has_primal_feasible_solution()
    if reason == mathopt.TerminationReason.OPTIMAL:
        status = "optimal"
    elif reason == mathopt.TerminationReason.INFEASIBLE:
        status = "infeasible"
    elif reason in (mathopt.TerminationReason.UNBOUNDED, mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED):
        status = "unbounded"
    elif has_solution:
        status = "feasible"
    elif reason in (mathopt.TerminationReason.NO_SOLUTION_FOUND, mathopt.TerminationReason.FEASIBLE):
        status = "no_solution"
    else:
        status = "error"
    objective = result.objective_value() if has_solution else None
    try:
        bound = result.best_objective_bound()
    except Exception:  # some terminations carry no bound
        bound = None
    bound = bound if bound is not None and math.isfinite(bound) else None
    if status == "optimal" and bound is None:
        bound = objective
    return SolveStats(backend, status, objective, bound, seconds)


@dataclass(frozen=True)
class NeighbourhoodSearch:
    """What a large-neighbourhood search did: the plan it ends with (every variable's value), its objective, and
    how many moves it tried and kept."""

    values: dict  # variable -> value, a complete feasible solution of the model
    objective: float
    moves: int
    improved: int
    seconds: float


def neighbourhood_search(model: mathopt.Model, values: Mapping, groups: Mapping, options: SolverOptions,
                         time_limit_s: float, *, groups_per_move: int = 8, stop_at: float | None = None,
                         move_time_s: float = 3.0, seed: int = 0,
                         priority: Mapping | None = None,
                         on_move: Callable[[float, float], None] | None = None) -> NeighbourhoodSearch:
    """Improve a feasible solution of ``model`` (minimising) by re-solving it a few groups at a time.

    ``groups`` maps each decision variable to its group (a county). A move frees the decisions of
    ``groups_per_move`` groups and every other variable that belongs to them alone: a variable that is not a
    decision belongs to the groups of the decisions it shares a row with, counting only the rows whose decisions
    all lie in one group (a county's target rows, a township's coverage rows); one that shares no such row with
    any decision (the shortfall of a city-wide target, homes adapted) is free in every move. Every other variable
    keeps its value, and the move solves the SUB-MODEL of the free variables alone: each row with a free variable,
    its bounds shifted by the fixed variables' part (a budget keeps what the fixed part leaves; a city-wide target
    the requirement the fixed part leaves), the rows without one dropped. The sub-model starts from the current
    values (a hint), and its result replaces them only when it is better; so every solution kept is feasible for
    the whole model and the objective never rises. Groups are visited in a seeded shuffled order, each once per
    round (those of highest ``priority`` first), until ``time_limit_s`` is spent, a round improves nothing, or the
    objective reaches ``stop_at``. ``on_move`` hears (seconds, objective) after every move (a progress line)."""
    started = time.perf_counter()
    proto = model.export_model()
    variable_ids = np.asarray(proto.variables.ids, dtype=np.int64)
    by_id = {v.id: v for v in model.variables()}
    column_of = {int(vid): k for k, vid in enumerate(variable_ids)}
    n = len(variable_ids)
    current = np.array([float(values.get(by_id[int(vid)], 0.0)) for vid in variable_ids])
    lower = np.asarray(proto.variables.lower_bounds, dtype=float)
    upper = np.asarray(proto.variables.upper_bounds, dtype=float)
    integers = np.asarray(proto.variables.integers, dtype=bool)
    row_ids = np.asarray(proto.linear_constraints.ids, dtype=np.int64)
    row_of = {int(rid): k for k, rid in enumerate(row_ids)}
    row_lower = np.asarray(proto.linear_constraints.lower_bounds, dtype=float)
    row_upper = np.asarray(proto.linear_constraints.upper_bounds, dtype=float)
    matrix = proto.linear_constraint_matrix
    rows = np.array([row_of[int(r)] for r in matrix.row_ids], dtype=np.int64)
    columns = np.array([column_of[int(c)] for c in matrix.column_ids], dtype=np.int64)
    coefficients = np.asarray(matrix.coefficients, dtype=float)
    cost = np.zeros(n)
    objective_ids = [column_of[int(c)] for c in proto.objective.linear_coefficients.ids]
    cost[objective_ids] = np.asarray(proto.objective.linear_coefficients.values, dtype=float)
    offset = proto.objective.offset
    if proto.objective.maximize:
        raise ValueError("neighbourhood_search minimises")
    names = list(dict.fromkeys(groups.values()))
    number = {name: k for k, name in enumerate(names)}
    group = np.full(n, -1, dtype=np.int64)  # a decision's group, -1 for the other variables
    for variable, name in groups.items():
        group[column_of[variable.id]] = number[name]
    # each row's group: the one group of its decisions, -1 when they span several or it has none
    decision_entry = group[columns] >= 0
    first = np.full(len(row_ids), -1, dtype=np.int64)
    spans = np.zeros(len(row_ids), dtype=bool)
    for r, g in zip(rows[decision_entry].tolist(), group[columns[decision_entry]].tolist()):
        if first[r] < 0:
            first[r] = g
        elif first[r] != g:
            spans[r] = True
    row_group = np.where(spans, -1, first)
    # every other variable's groups, through the rows of one group
    owners: dict[int, set[int]] = defaultdict(set)
    local = ~decision_entry & (row_group[rows] >= 0)
    for c, g in zip(columns[local].tolist(), row_group[rows[local]].tolist()):
        owners[c].add(g)
    # one step further, through the rows without decisions (a county's coverage row Σ z + s ≥ b): a variable
    # met only in such rows, each of whose grouped variables belong to one group, belongs to those groups (the
    # shortfall of a city-wide row, whose variables belong to every county, stays free in every move)
    plain = ((first < 0) & ~spans)[rows] & (group[columns] < 0)
    plain_rows, plain_columns = rows[plain].tolist(), columns[plain].tolist()
    row_owners: dict[int, set[int]] = defaultdict(set)
    for r, c in zip(plain_rows, plain_columns):
        if c in owners:
            row_owners[r] |= owners[c]
    second: dict[int, set[int]] = defaultdict(set)
    shared = set()
    for r, c in zip(plain_rows, plain_columns):
        if c not in owners:
            if len(row_owners.get(r, ())) == 1:
                second[c] |= row_owners[r]
            else:
                shared.add(c)
    for c, gs in second.items():
        if c not in shared and (group[c] < 0):
            owners[c] = gs
    always_free = group < 0  # other variables with groups are free only when all of them are
    for c in owners:
        always_free[c] = False
    owner_lists = {c: np.fromiter(gs, dtype=np.int64) for c, gs in owners.items()}
    order = list(range(len(names)))
    random.Random(seed).shuffle(order)
    if priority:
        order.sort(key=lambda k: -priority.get(names[k], 0))  # stable: the shuffled order among equals
    moves = improved = 0
    objective = offset + float(cost @ current)
    # each move to near optimality: its objective holds the whole city-wide shortfall, so a gap in proportion
    # to it would stop at the start
    backend = SolverOptions(_fixing_backend(options, move_time_s).backend, move_time_s, 1e-5)
    while order:
        improved_in_round = False
        for start in range(0, len(order), groups_per_move):
            left = time_limit_s - (time.perf_counter() - started)
            if left <= 0.2 or (stop_at is not None and objective <= stop_at + 1e-6):
                return NeighbourhoodSearch(_values_of(model, by_id, variable_ids, current), objective, moves,
                                           improved, time.perf_counter() - started)
            chosen = np.zeros(len(names), dtype=bool)
            chosen[order[start:start + groups_per_move]] = True
            free = always_free | ((group >= 0) & chosen[np.maximum(group, 0)])
            for c, gs in owner_lists.items():
                if chosen[gs].all():
                    free[c] = True
            moves += 1
            better = _solve_sub_model(free, current, lower, upper, integers, row_lower, row_upper, rows, columns,
                                      coefficients, cost, backend, min(move_time_s, left))
            if better is not None:
                current[free] = better
                objective = offset + float(cost @ current)
                improved += 1
                improved_in_round = True
            if on_move is not None:
                on_move(time.perf_counter() - started, objective)
        if not improved_in_round:
            break
    return NeighbourhoodSearch(_values_of(model, by_id, variable_ids, current), objective, moves, improved,
                               time.perf_counter() - started)


def _values_of(model, by_id, variable_ids, current) -> dict:
    return {by_id[int(vid)]: float(value) for vid, value in zip(variable_ids, current)}


def _solve_sub_model(free, current, lower, upper, integers, row_lower, row_upper, rows, columns, coefficients,
                     cost, options: SolverOptions, time_limit_s: float) -> np.ndarray | None:
    """One move of neighbourhood_search: the free variables' better values, or None."""
    index = np.cumsum(free) - 1  # a free variable's column in the sub-model
    entry_free = free[columns]
    fixed_part = np.bincount(rows[~entry_free], weights=coefficients[~entry_free] * current[columns[~entry_free]],
                             minlength=len(row_lower))
    kept_rows = np.unique(rows[entry_free])
    row_index = np.full(len(row_lower), -1, dtype=np.int64)
    row_index[kept_rows] = np.arange(len(kept_rows))
    proto = model_pb2.ModelProto(name="neighbourhood")
    m = int(free.sum())
    proto.variables.ids[:] = range(m)
    proto.variables.lower_bounds[:] = lower[free].tolist()
    proto.variables.upper_bounds[:] = upper[free].tolist()
    proto.variables.integers[:] = integers[free].tolist()
    proto.linear_constraints.ids[:] = range(len(kept_rows))
    proto.linear_constraints.lower_bounds[:] = (row_lower[kept_rows] - fixed_part[kept_rows]).tolist()
    proto.linear_constraints.upper_bounds[:] = (row_upper[kept_rows] - fixed_part[kept_rows]).tolist()
    matrix = proto.linear_constraint_matrix
    matrix.row_ids[:] = row_index[rows[entry_free]].tolist()  # the model's matrix is sorted by row, then column
    matrix.column_ids[:] = index[columns[entry_free]].tolist()
    matrix.coefficients[:] = coefficients[entry_free].tolist()
    objective = np.flatnonzero(cost[free])
    proto.objective.linear_coefficients.ids[:] = objective.tolist()
    proto.objective.linear_coefficients.values[:] = cost[free][objective].tolist()
    sub = mathopt.Model.from_model_proto(proto)
    variables = list(sub.variables())
    start = current[free]
    hint = mathopt.SolutionHint(variable_values=dict(zip(variables, start.tolist())))
    result, _ = solve_model(sub, options, time_limit_s=time_limit_s, hint=hint)
    if not result.has_primal_feasible_solution():
        return None
    found = np.array([result.variable_values()[v] for v in variables])
    found = np.where(integers[free], np.round(found), found)
    if float(cost[free] @ found) < float(cost[free] @ start) - 1e-6:
        return found
    return None
