"""The allocator's independent districts one after the other against in parallel processes, in the same run.

A synthetic province (``--districts`` counties, ``--candidates`` candidate projects, an ample budget, so the
district-by-district path answers) is solved with CARECALC_SOLVER_PROCESSES=1 (the baseline) and then with
``--processes``; printed: the wall time of each (model building and, for the pool, its start included), their
ratio, and that the plans are the same.

    python bench/allocator_parallel.py [--districts 100] [--candidates 5000] [--processes 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocator.parallel import PROCESSES_VARIABLE  # noqa: E402
from allocator.planning import PlacementProblem  # noqa: E402
from allocator.solver import SolverOptions  # noqa: E402
from allocator.synthetic import SYNTHETIC_TARGETS, synthetic_instance  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=100)
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--backend", default="highs")
    args = parser.parse_args()
    rows, candidates, budget = synthetic_instance(args.districts, args.candidates, seed=1, budget_share=0.8)
    problem = PlacementProblem.from_frames(rows, candidates, plan_year=2025, budget=budget,
                                           only_targets=SYNTHETIC_TARGETS)
    runs = {}
    for processes in (1, args.processes):
        os.environ[PROCESSES_VARIABLE] = str(processes)
        started = time.perf_counter()
        result = problem.solve("shortfall", SolverOptions(args.backend, 600))
        runs[processes] = (time.perf_counter() - started, result)
    (alone, first), (spread, second) = runs[1], runs[args.processes]
    by_district = all(any("各区划分别求解" in zh for zh, _ in r.messages) for r in (first, second))
    columns = ["code", "year", "capacity", "nursing_beds"]
    same = first.plan[columns].reset_index(drop=True).equals(second.plan[columns].reset_index(drop=True))
    print(f"allocator, {args.districts} districts, {args.candidates:,} candidates, {args.backend}, "
          f"district by district: {'yes' if by_district else 'NO'}")
    print(f"  one after the other (baseline)  {alone:7.1f} s   {len(first.plan):,} projects chosen")
    print(f"  {args.processes} processes                     {spread:7.1f} s   {spread / alone:.2f} of the time")
    print(f"  same plan: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
