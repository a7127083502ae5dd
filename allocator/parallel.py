"""The district-by-district path of allocator.planning, with the independent districts solved in parallel processes.

When every target is per district and the budgets do not bind, the plan is the union of each district's own
lexicographic optimum (PlacementProblem._lexicographic_by_district). The districts' models share nothing, so
several of them are solved at once, one per process: ``solve_districts`` maps PlacementProblem._solve_district over
a process pool and hands the answers back in the districts' order — the same models, solved by the same solver, so
the same plan as one after the other (tests/allocator/test_parallel.py).

Each process receives the prepared problem once (its row tuples, which do not pickle, are rebuilt there) and is
started from a clean forkserver that has imported the allocator already — never forked from a web process's threads. A pool costs a second
or two to start, so small problems — fewer than ``PARALLEL_FROM_CANDIDATES`` candidates — stay in this process;
``CARECALC_SOLVER_PROCESSES`` caps the processes (1: never in parallel).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import multiprocessing
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import numpy as np

log = logging.getLogger(__name__)

PARALLEL_FROM_CANDIDATES = 1000
PROCESSES_VARIABLE = "CARECALC_SOLVER_PROCESSES"


def processes_for(candidates: int, districts: int) -> int:
    """How many processes to solve ``districts`` independent districts with (1: in this process)."""
    if districts < 2 or candidates < PARALLEL_FROM_CANDIDATES:
        return 1
    cap = int(os.environ.get(PROCESSES_VARIABLE) or os.cpu_count() or 1)
    return max(1, min(cap, districts, os.cpu_count() or 1))


def solve_districts(problem, work: list[tuple[list, np.ndarray]], exact, options,
                    started: dt.datetime) -> Iterator[tuple | None]:
    """problem._solve_district(rows, positions, …) for each district of ``work``, in order; in parallel processes
    when there are several districts and enough candidates."""
    processes = processes_for(len(problem.projects), len(work))
    pool = None
    if processes > 1:
        try:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["allocator.planning"])  # imported once, in the server: cheap children
            pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_adopt,
                                       initargs=_prepared(problem))
        except (OSError, ValueError, AssertionError) as error:  # e.g. inside a daemonic process: no children
            log.warning("districts solved one after the other: %s", error)
    if pool is None:
        for rows, positions in work:
            yield problem._solve_district(rows, positions, exact, options, started)
        return
    futures = [pool.submit(_solve_unit, rows[0].unit, exact, options, started) for rows, _ in work]
    try:
        for future in futures:
            yield future.result()
    finally:  # the caller may stop early (the budget binds): drop what has not started
        pool.shutdown(wait=False, cancel_futures=True)


def _prepared(problem) -> tuple[dict, bool]:
    """What a process needs to rebuild the problem: its prepared state without the row tuples (rebuilt from the
    projects frame), or — should some other part not pickle — its dataclass fields, prepared again there."""
    state = {name: value for name, value in vars(problem).items() if name != "_records"}
    try:
        pickle.dumps(state)
        return state, True
    except (pickle.PicklingError, TypeError, AttributeError):
        return {field.name: getattr(problem, field.name) for field in dataclasses.fields(problem)}, False


_PROBLEM = None  # the problem, rebuilt once in each process of the pool


def _adopt(state: dict, prepared: bool) -> None:
    global _PROBLEM
    from allocator.planning import PlacementProblem

    if prepared:
        _PROBLEM = PlacementProblem.__new__(PlacementProblem)
        _PROBLEM.__dict__.update(state)
        _PROBLEM._records = list(_PROBLEM.projects.itertuples(index=False))  # as PlacementProblem._prepare
    else:
        _PROBLEM = PlacementProblem(**state)
        _PROBLEM._prepare()


def _solve_unit(unit: str, exact, options, started: dt.datetime):
    rows = [row for row in _PROBLEM._rows if row.unit == unit]
    positions = np.asarray(_PROBLEM.projects.groupby("division_code").indices[unit], dtype=int)
    return _PROBLEM._solve_district(rows, positions, exact, options, started)
