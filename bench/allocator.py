"""Allocator benchmark: CP-SAT and the MIP backend side by side on the same models.

Instances: the Jiujiang sample (13 counties, the whole project list of 附件4); the Jiujiang township-level instance
(227 township units, every target of the plan: coverage, counts, 适老化 homes, shares; goal: proven optimal in
< 10 s); a synthetic province (100 counties, 5,000 candidates); a synthetic township-level instance (1,500
districts, 20,000 candidates); a synthetic township-level province (100 counties, 1,500 townships, 20,000
candidates, every kind of target; goal: within 1% gap in 60 s); and Beasley's
OR-Library capacitated facility location instances shipped in bench/data/orlib, checked against their published
optima. For each run: wall time (model building included), status, objective, bound, gap, and the time ratio to
the MIP backend (HiGHS) measured in the same run (machines differ; the ratio is what compares).

    python bench/allocator.py [--only jiujiang,jiujiang-townships,province,province-tight,township,province-townships,orlib]
                              [--backends highs,cp-sat] [--time-limit 60]

The load average of the machine is printed with each instance: wall times on a shared machine are only comparable
within one run, which is why the ratio to HiGHS is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# Run as `python bench/allocator.py`, this file's folder comes first on sys.path and its name would hide the
# allocator package; drop that folder (running as `python -m bench.allocator` needs no such care).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from allocator.facility_location import CapacitatedFacilityLocation  # noqa: E402
from allocator.planning import PlacementProblem  # noqa: E402
from allocator.sample import jiujiang_districts, jiujiang_projects, jiujiang_townships  # noqa: E402
from allocator.solver import AUTO, DEFAULT_BACKEND, SolverOptions  # noqa: E402
from allocator.synthetic import (SYNTHETIC_TARGETS, SYNTHETIC_TOWNSHIP_TARGETS, synthetic_instance,  # noqa: E402
                                 synthetic_townships)

ORLIB = Path(__file__).parent / "data" / "orlib"
# OR-Library capopt (optimal values of cap41-cap134)
PUBLISHED_OPTIMA = {
    "cap41": 1040444.375, "cap42": 1098000.450, "cap43": 1153000.450, "cap44": 1235500.450,
    "cap51": 1025208.225, "cap61": 932615.750, "cap62": 977799.400, "cap63": 1014062.050, "cap64": 1045650.250,
    "cap71": 932615.750, "cap72": 977799.400, "cap73": 1010641.450, "cap74": 1034976.975,
    "cap81": 838499.288, "cap82": 910889.563, "cap83": 975889.563, "cap84": 1069369.525,
    "cap91": 796648.438, "cap92": 855733.500, "cap93": 896617.538, "cap94": 946051.325,
    "cap101": 796648.437, "cap102": 854704.200, "cap103": 893782.112, "cap104": 928941.750,
    "cap111": 826124.713, "cap112": 901377.213, "cap113": 970567.750, "cap114": 1063356.488,
    "cap121": 793439.563, "cap122": 852524.625, "cap123": 895302.325, "cap124": 946051.325,
    "cap131": 793439.562, "cap132": 851495.325, "cap133": 893076.712, "cap134": 928941.750,
}
BASELINE = "highs"  # the MIP backend; ratios are measured against it in the same run
GOALS = {"jiujiang": "目标：1秒内证明最优 / goal: proven optimal in < 1 s",
         "province": "目标：60秒内差距≤0.1% / goal: gap <= 0.1% in 60 s",
         "province-tight": "预算紧约束（耦合模型）/ binding budget (coupled model): gap after 60 s",
         "township": "目标：60秒内差距≤1% / goal: gap <= 1% in 60 s",
         "jiujiang-townships": "目标：10秒内证明最优（全部指标） / goal: proven optimal in < 10 s, every target",
         "province-townships": "目标：60秒内差距≤1%（全部指标） / goal: gap <= 1% in 60 s, every kind of target"}
GAPS = {"jiujiang": 0.0, "jiujiang-townships": 0.0, "province": 0.001, "province-tight": 0.001, "township": 0.01,
        "province-townships": 0.01}


def _fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"


def _gap(value) -> str:
    return "—" if value is None else f"{value:.3%}"


def planning_instance(name: str):
    if name == "jiujiang":
        return jiujiang_districts(), jiujiang_projects(), 5e8, None
    if name == "jiujiang-townships":
        return jiujiang_townships(), jiujiang_projects(), 5e8, None
    if name == "province-townships":
        districts, projects, budget = synthetic_townships(100, 1_500, 20_000, seed=3)
        return districts, projects, budget, SYNTHETIC_TOWNSHIP_TARGETS
    if name == "province":
        districts, projects, budget = synthetic_instance(100, 5_000, seed=1, budget_share=0.15)
    elif name == "province-tight":  # the budget binds: one coupled model, the hard case
        districts, projects, budget = synthetic_instance(100, 5_000, seed=1, budget_share=0.03)
    else:
        districts, projects, budget = synthetic_instance(1_500, 20_000, seed=2, township=True, budget_share=0.15)
    return districts, projects, budget, SYNTHETIC_TARGETS


def bench_planning(name: str, backends: list[str], time_limit: float) -> None:
    districts, projects, budget, targets = planning_instance(name)
    print(f"\n== {name}: {len(districts)} districts, {len(projects)} candidates, budget {budget:,.0f} CNY, "
          f"objective shortfall-then-cost; {GOALS[name]}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"  {'backend':8} {'phase':22} {'status':10} {'objective':>18} {'bound':>18} {'gap':>9} {'seconds':>8} "
          f"{'total s':>8}")
    totals, figures = {}, {}
    for backend in backends:
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        problem = PlacementProblem.from_frames(districts, projects, plan_year=2025, budget=budget, only_targets=targets)
        built = time.perf_counter() - started
        result = problem.solve("shortfall", SolverOptions(backend, time_limit, GAPS[name]))
        totals[backend] = time.perf_counter() - started
        worst = max((float("inf") if s.gap is None else s.gap for _, s in result.phases), default=0.0)
        proven = all(s.status == "optimal" for _, s in result.phases)
        print(f"  {backend:8} {'(model built)':22} {'':10} {'':>18} {'':>18} {'':>9} {built:8.2f} {built:8.2f}")
        for label, stats in result.phases:
            print(f"  {backend:8} {label:22} {stats.status:10} {_fmt(stats.objective):>18} {_fmt(stats.bound):>18} "
                  f"{_gap(stats.gap):>9} {stats.seconds:8.2f} {totals[backend]:8.2f}")
        solve_seconds = sum(s.seconds for _, s in result.phases)
        print(f"  {backend:8} {'result':22} {'proven' if proven else 'not proven':10} worst gap {_gap(worst)}; "
              f"solver {solve_seconds:.2f} s, with model and explanation {totals[backend]:.2f} s; "
              f"indicators met {int((result.indicators['status'] == 'met').sum()) if len(result.indicators) else 0}"
              f"/{len(result.indicators)}")
        first = result.phases[0][1] if result.phases else None
        figures[backend] = {
            "whole call s (model, solve, explanation)": totals[backend], "tables prepared s (from_frames)": built,
            "solver s": solve_seconds,
            "first phase objective": None if first is None else first.objective,
            "first phase gap": None if first is None else first.gap,
            "worst gap": None if worst == float("inf") else worst,
            "proven optimal (1 = yes)": float(proven),
            "load average before (1 min)": load_before, "load average after (1 min)": os.getloadavg()[0]}
    compare(figures)
    if BASELINE in totals:
        for backend, seconds in totals.items():
            print(f"  time ratio {backend} / {BASELINE}: {seconds / totals[BASELINE]:.2f}")
    print(f"  (default backend {DEFAULT_BACKEND!r}: {AUTO})")


def compare(figures: dict[str, dict[str, float | None]]) -> None:
    """Each figure of the run beside the other backend's, with their ratio to the baseline (HiGHS)."""
    backends = list(figures)
    if not backends:
        return
    others = [b for b in backends if b != BASELINE]
    print(f"  {'figure':42} " + " ".join(f"{b:>16}" for b in backends)
          + "".join(f" {b + ' / ' + BASELINE:>16}" for b in others if BASELINE in figures))
    for name in figures[backends[0]]:
        values = [figures[b][name] for b in backends]
        shown = [_gap(v) if "gap" in name else _fmt(v) for v in values]
        line = f"  {name:42} " + " ".join(f"{v:>16}" for v in shown)
        if BASELINE in figures:
            base = figures[BASELINE][name]
            for b in others:
                value = figures[b][name]
                ratio = (value / base if value is not None and base not in (None, 0) else None)
                line += f" {'—' if ratio is None else f'{ratio:.2f}':>16}"
        print(line)


def bench_orlib(backends: list[str], time_limit: float) -> None:
    print("\n== OR-Library capacitated facility location (Beasley 1988), published optima from capopt")
    print(f"  {'instance':9} {'backend':8} {'status':10} {'objective':>16} {'published':>16} {'match':>6} {'seconds':>8}")
    for path in sorted(ORLIB.glob("cap*.txt"), key=lambda p: int(p.stem[3:])):
        problem = CapacitatedFacilityLocation.from_orlib(path)
        for backend in backends:
            result = problem.solve(SolverOptions(backend, time_limit, 0.0))
            published = PUBLISHED_OPTIMA.get(path.stem)
            match = (result.objective is not None and published is not None
                     and abs(result.objective - published) <= 1e-3 + 1e-9 * published)
            objective = "—" if result.objective is None else f"{result.objective:,.3f}"
            print(f"  {path.stem:9} {backend:8} {result.stats.status:10} {objective:>16} "
                  f"{published:>16,.3f} {'yes' if match else 'NO':>6} {result.stats.seconds:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="jiujiang,jiujiang-townships,province,province-tight,township,"
                                          "province-townships,orlib")
    parser.add_argument("--backends", default="highs,cp-sat")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    backends = args.backends.split(",")
    for name in args.only.split(","):
        if name == "orlib":
            bench_orlib(backends, args.time_limit)
        else:
            bench_planning(name, backends, args.time_limit)


if __name__ == "__main__":
    main()
