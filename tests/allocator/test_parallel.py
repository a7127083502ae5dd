"""Independent districts solved in parallel processes (allocator/parallel.py) give the one-after-the-other plan."""

from __future__ import annotations

import pandas as pd
import pytest

from allocator import parallel
from allocator.planning import PlacementProblem
from allocator.solver import SolverOptions
from allocator.synthetic import SYNTHETIC_TARGETS, synthetic_instance


@pytest.mark.parametrize("budget_share", [0.5, 0.03])
def test_districts_solved_in_parallel_processes_give_the_same_plan(budget_share, monkeypatch):
    # ample budget: the district-by-district path answers; tight: it stops early and the coupled model decides
    rows, candidates, budget = synthetic_instance(8, 120, seed=5, budget_share=budget_share)
    problem = PlacementProblem.from_frames(rows, candidates, plan_year=2025, budget=budget,
                                           only_targets=SYNTHETIC_TARGETS)
    monkeypatch.setenv(parallel.PROCESSES_VARIABLE, "1")
    alone = problem.solve("shortfall", SolverOptions("highs", 60))

    pools = []

    class CountedPool(parallel.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pools.append(self._max_workers)

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", CountedPool)
    monkeypatch.setattr(parallel, "PARALLEL_FROM_CANDIDATES", 0)  # a small instance, so the test stays quick
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setenv(parallel.PROCESSES_VARIABLE, "2")
    spread = problem.solve("shortfall", SolverOptions("highs", 60))

    assert pools == [2]  # the districts went to two processes
    assert parallel._prepared(problem)[1]  # which got the prepared problem itself, not its fields to prepare again
    by_district = any("各区划分别求解" in zh for zh, _ in spread.messages)
    assert by_district == (budget_share == 0.5) == any("各区划分别求解" in zh for zh, _ in alone.messages)
    assert spread.status == alone.status == "optimal"
    assert [round(s.objective) for _, s in spread.phases] == [round(s.objective) for _, s in alone.phases]
    columns = ["code", "year", "capacity", "nursing_beds", "cost"]
    pd.testing.assert_frame_equal(spread.plan[columns].reset_index(drop=True), alone.plan[columns].reset_index(drop=True))
    pd.testing.assert_frame_equal(spread.targets, alone.targets)


def test_small_problems_and_single_districts_stay_in_this_process(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 8)
    monkeypatch.delenv(parallel.PROCESSES_VARIABLE, raising=False)
    assert parallel.processes_for(candidates=50, districts=10) == 1
    assert parallel.processes_for(candidates=5000, districts=1) == 1
    assert parallel.processes_for(candidates=5000, districts=3) == 3
    monkeypatch.setenv(parallel.PROCESSES_VARIABLE, "2")
    assert parallel.processes_for(candidates=5000, districts=10) == 2
