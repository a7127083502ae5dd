"""The district-by-district path of allocator.planning, with the independent districts solved in parallel processes.

When every target is per county and the budgets do not bind, the plan is the union of each county's own
lexicographic optimum (PlacementProblem._lexicographic_by_district). The parts' models share nothing, so several
of them are solved at once, one per process: ``solve_parts`` maps PlacementProblem.solve_part over a process pool
and hands the answers back in the parts' order — the same models, solved by the same solver, so
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


def solve_parts(problem, parts: list[tuple[str, list, np.ndarray]], options,
                started: dt.datetime) -> Iterator[tuple | None]:
    """problem.solve_part(rows, positions, …) for each (county, rows, positions) of ``parts``, in order; in parallel
    processes when there are several parts and enough candidates."""
    processes = processes_for(len(problem.projects), len(parts))
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
        for number, (_, rows, positions) in enumerate(parts):
            yield problem.solve_part(rows, positions, options, started, len(parts) - number)
        return
    # the parts start in this order, ``processes`` at a time: the k-th shares what is left with the n - k after it
    futures = [pool.submit(_solve_county, county, options, started, len(parts) - number, processes)
               for number, (county, _, _) in enumerate(parts)]
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

    _PARTS.clear()
    if prepared:
        _PROBLEM = PlacementProblem.__new__(PlacementProblem)
        _PROBLEM.__dict__.update(state)
        _PROBLEM._records = list(_PROBLEM.projects.itertuples(index=False))  # as PlacementProblem._prepare
    else:
        _PROBLEM = PlacementProblem(**state)
        _PROBLEM._prepare()


_PARTS: dict = {}  # county -> (rows, positions) of the problem in this process, found once (not once per county)


def _solve_county(county: str, options, started: dt.datetime, parts_left: int, processes: int):
    if not _PARTS:
        _PARTS.update((name, (rows, positions)) for name, rows, positions in _PROBLEM.independent_parts())
    rows, positions = _PARTS[county]
    return _PROBLEM.solve_part(rows, positions, options, started, parts_left, processes)
