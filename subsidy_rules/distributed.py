"""Budgets and batch evaluation on a Dask cluster (dask.distributed), for caseloads one process cannot hold.

The caseload is stored as Parquet partitions (pyarrow); each Dask task reads one partition and runs on it the very
function the single-process run uses — subsidy_rules.budget.project_partition for a projection,
subsidy_rules.batch.evaluate_cases for a batch. A projection's partial results are small (deltas by scheme ×
county × level × month) and add up in any order (budget.combine), so the driver adds them as they arrive; a batch's
rows come back in their order. The answer is the single-process answer (tests/budget/test_distributed.py).

Where it runs: a LocalCluster (one worker process per core) unless a scheduler is given — ``--scheduler
tcp://host:8786`` for a cluster started with ``dask scheduler`` and ``dask worker tcp://host:8786`` on machines that
have carecalc installed. The Parquet files must then be where every worker can read them (a shared directory):
pass a Parquet dataset, or ``--parquet-dir`` on shared storage for an .xlsx or synthetic caseload.

When to use it (README, "Production"): a single process projects some 230 000 recipient-rows a second in bounded
memory (30 million rows × 60 months in 128 s, bench/budget_scale.py), so a city's caseload needs nothing more; a province or national projection of tens of millions of rows,
or a batch of millions of cases, is where the cluster pays (bench/budget_distributed.py measures both on the same
partitions).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from subsidy_rules.budget import (Horizon, Projection, Scenario, combine, monthly_from_deltas, project,
                                  project_partition)
from subsidy_rules.parameters import ParameterSet

PARTITION_ROWS = 250_000


class ClusterUnavailable(RuntimeError):
    """The scheduler given cannot be reached."""


# --------------------------------------------------------------------------------------- Parquet partitions


def write_partitions(chunks: Iterable[pd.DataFrame], directory: str | Path, rows: int = PARTITION_ROWS) -> list[Path]:
    """Store a caseload (frames of any size) as Parquet files of about ``rows`` rows each, in order."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []

    def write(frame: pd.DataFrame) -> None:
        path = directory / f"part-{len(paths):05d}.parquet"
        frame.reset_index(drop=True).to_parquet(path, index=False)
        path.chmod(0o600)  # a caseload is personal data
        paths.append(path)

    for chunk in chunks:
        for start in range(0, len(chunk), rows):
            write(chunk.iloc[start:start + rows])
    return paths


def partitions(source: str | Path) -> list[Path]:
    """The Parquet files of a dataset: one file, or every *.parquet under a directory (in path order)."""
    source = Path(source)
    paths = sorted(source.rglob("*.parquet")) if source.is_dir() else [source]
    if not paths or not all(p.is_file() for p in paths):
        raise FileNotFoundError(f"没有Parquet文件：{source} / no Parquet files at {source}")
    return paths


def read_partitions(paths: Iterable[str | Path]) -> Iterator[pd.DataFrame]:
    """The partitions one after the other: the single-process chunked run over the same files."""
    for path in paths:
        yield pd.read_parquet(path)


# --------------------------------------------------------------------------------------- the cluster


@contextlib.contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A Dask client: to ``scheduler`` (tcp://host:port), else to a new LocalCluster of ``workers`` processes
    (default: one per core), one thread each (the rules engine is numpy/pandas work; processes avoid the GIL)."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise ClusterUnavailable(f"无法连接Dask调度器 {scheduler} / cannot reach the Dask scheduler {scheduler}: "
                                     f"{error}") from None
        try:
            yield client
        finally:
            client.close()
        return
    # silence_logs: the workers' own log lines (a heartbeat racing the shutdown is logged as an error); a task's
    # failure still reaches the caller through its future
    local = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                         dashboard_address=None, scheduler_port=0, silence_logs=logging.CRITICAL)
    client = Client(local)
    try:
        yield client
    finally:
        client.close()
        local.close()


@contextlib.contextmanager
def parquet_caseload(caseload: Iterable[pd.DataFrame] | pd.DataFrame | str | Path | None,
                     directory: str | Path | None = None,
                     rows: int = PARTITION_ROWS) -> Iterator[list[Path | pd.DataFrame]]:
    """The caseload's partitions: a Parquet dataset as given, or frames written as Parquet to ``directory``
    (default: a temporary directory, removed afterwards — fine for a LocalCluster; a real cluster needs shared
    storage). A chunk Parquet cannot type — raw spreadsheet cells of several kinds in one column, a date and a text
    in the same column of an uploaded workbook — stays a frame and is sent to the workers as it is, so the engine
    converts (or reports) each cell exactly as in a single-process run."""
    if caseload is None:
        yield []
        return
    if isinstance(caseload, (str, Path)):
        yield list(partitions(caseload))
        return
    frames = [caseload] if isinstance(caseload, pd.DataFrame) else caseload
    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="carecalc-caseload-"))
            os.chmod(directory, 0o700)  # a caseload is personal data
        parts: list[Path | pd.DataFrame] = []
        for frame in frames:
            for start in range(0, len(frame), rows):
                chunk = frame.iloc[start:start + rows]
                try:
                    parts.extend(write_partitions([chunk], Path(directory) / f"chunk-{len(parts):05d}", rows))
                except (pa.ArrowException, ValueError, TypeError):  # mixed raw cells: no typed column fits
                    parts.append(chunk)
        yield parts


# --------------------------------------------------------------------------------------- projections


def _read(part) -> pd.DataFrame:
    return pd.read_parquet(part) if isinstance(part, str) else part


def _sent(client, parts: Iterable[Path | str | pd.DataFrame]) -> list:
    """Parquet files as their paths (each worker reads its own); frames scattered to the workers."""
    return [str(part) if isinstance(part, (str, Path)) else client.scatter(part) for part in parts]


def _project_part(part, horizon: Horizon, parameters: ParameterSet) -> tuple[pd.DataFrame, int]:
    cases = _read(part)
    return project_partition(cases, horizon, parameters), len(cases)


def project_on_cluster(client, parts: list[Path | pd.DataFrame], projects: pd.DataFrame | None, horizon: Horizon,
                       scenario: Scenario, progress: Callable[[int], None] | None = None) -> Projection:
    """subsidy_rules.budget.project for a caseload in partitions (parquet_caseload), one Dask task each."""
    from distributed import as_completed

    parameters = client.scatter(scenario.parameters, broadcast=True)  # sent once, not with every task
    futures = client.map(_project_part, _sent(client, parts), horizon=horizon, parameters=parameters, pure=False)
    deltas, done = combine([]), 0
    for future in as_completed(futures):
        part, rows = future.result()
        deltas = combine([deltas, part])
        done += rows
        future.release()
        if progress:
            progress(done)
    monthly = monthly_from_deltas(deltas, horizon)
    growth = scenario.assumptions.caseload_growth
    if growth and len(monthly):  # as budget.project: growth applies to the caseload, not the pipeline
        factor = (1 + growth) ** (np.arange(horizon.length) / 12)
        caseload_rows = ~monthly.index.get_level_values("level").isin(["undetermined_months"])
        monthly.loc[caseload_rows] = monthly.loc[caseload_rows].to_numpy() * factor[None, :]
    if projects is not None and len(projects):
        pipeline = project(None, projects, horizon, scenario).monthly  # small: computed here
        monthly = pipeline if monthly.empty else monthly.add(pipeline, fill_value=0.0)
    return Projection(scenario.name, horizon, monthly.sort_index(), scenario.marks)


# --------------------------------------------------------------------------------------- batch evaluation


def _evaluate_part(part, scheme_id: str, date, jurisdiction, parameters) -> pd.DataFrame:
    from subsidy_rules.batch import evaluate_cases

    return evaluate_cases(scheme_id, _read(part), date=date, jurisdiction=jurisdiction, parameters=parameters)


def evaluate_on_cluster(client, scheme_id: str, cases: pd.DataFrame | str | Path, *, date=None,
                        jurisdiction: str | None = None, parameters: ParameterSet | None = None,
                        rows: int = 20_000, progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """subsidy_rules.batch.evaluate_cases over partitions: of a Parquet dataset read by the workers, or of cases
    read from a workbook (sent to the workers; their raw cell values do not fit Parquet's typed columns)."""
    from distributed import as_completed

    from subsidy_rules.parameters import default_parameters

    shared = client.scatter(parameters or default_parameters(), broadcast=True)
    parts = partitions(cases) if isinstance(cases, (str, Path)) else [
        cases.iloc[i:i + rows] for i in range(0, len(cases), rows)]
    futures = client.map(_evaluate_part, _sent(client, parts), scheme_id=scheme_id, date=date, jurisdiction=jurisdiction,
                         parameters=shared, pure=False)
    position = {future.key: number for number, future in enumerate(futures)}
    results: list[pd.DataFrame | None] = [None] * len(futures)
    done = 0
    for future in as_completed(futures):
        results[position[future.key]] = future.result()
        done += len(results[position[future.key]])
        if progress:
            progress(done)
    return pd.concat(results) if results else pd.DataFrame()
