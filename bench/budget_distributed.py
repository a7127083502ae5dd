"""Budget projection on Dask against the single-process chunked run, on the same Parquet partitions.

A caseload of ``--rows`` disability-care recipients (2 million by default, for a quick run; the figure of the issue
is for 30 million) over 60 months is written as Parquet partitions, typed as a province's extract would be. The baseline, measured in the same invocation, is the single-process chunked run
(subsidy_rules.budget.project reading the partitions one after the other, in a process of its own so its peak
memory is its own). Then the same partitions are projected on a Dask LocalCluster of ``--workers`` processes
(subsidy_rules.distributed.project_on_cluster: the same project_partition per partition). Printed: rows/s of both,
their ratio, peak memory of the single process and of each Dask worker, and that the totals agree.

    python bench/budget_distributed.py                    # 2 million rows: a quick run
    python bench/budget_distributed.py --rows 30000000    # 30 million rows (see the README for the time it takes)
    python bench/budget_distributed.py --scheduler tcp://host:8786 --dir /shared/bench  # a real cluster
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subsidy_rules.budget import Horizon, Scenario, project  # noqa: E402
from subsidy_rules.distributed import cluster, partitions, project_on_cluster, read_partitions  # noqa: E402
from subsidy_rules.parameters import default_parameters  # noqa: E402

HORIZON = Horizon.years(2023, 2027)  # 60 months
TEMPLATE_ROWS = 50_000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@functools.lru_cache(maxsize=1)
def _template():
    from subsidy_rules.budget_sample import synthetic_caseload

    return synthetic_caseload(TEMPLATE_ROWS, seed=7)


def write_partition(directory: str, number: int, size: int) -> str:
    """Partition ``number``: ``size`` recipients drawn from a synthetic template, with their own start and end
    months (as bench/budget_scale.py makes its chunks); the same number gives the same rows."""
    rng = np.random.default_rng([7, number])
    part = _template().sample(size, replace=size > TEMPLATE_ROWS, random_state=int(rng.integers(1 << 31)))
    start = HORIZON.first + rng.integers(0, 36, size)
    end = np.where(rng.random(size) < 0.2, start + rng.integers(1, 36, size), -1)
    labels = np.array([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(HORIZON.first, HORIZON.last + 40)],
                      dtype=object)
    part = part.assign(start=labels[start - HORIZON.first],
                       end=np.where(end < 0, None, labels[np.clip(end, HORIZON.first, None) - HORIZON.first]),
                       disability_grade=part["disability_grade"].astype("Int64"))  # typed, as an extract would be
    path = Path(directory) / f"part-{number:05d}.parquet"
    part.reset_index(drop=True).to_parquet(path, index=False)
    return str(path)


def single(directory: str) -> None:
    """The baseline, in its own process: the partitions one after the other."""
    paths = partitions(directory)
    started = time.perf_counter()
    total = project(read_partitions(paths), None, HORIZON).total()
    print(json.dumps({"seconds": time.perf_counter() - started, "total": total, "peak_mb": peak_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="recipient-rows (default 2 million)")
    parser.add_argument("--partition", type=int, default=250_000, help="rows per Parquet partition")
    parser.add_argument("--workers", type=int, default=None, help="LocalCluster processes (default: one per core)")
    parser.add_argument("--scheduler", help="a running Dask scheduler instead of a LocalCluster")
    parser.add_argument("--dir", help="where the partitions go (shared storage for --scheduler); default temporary")
    parser.add_argument("--single", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        single(args.single)
        return
    import bench.budget_distributed as tasks  # by module name, so the workers import it rather than unpickle it

    sizes = [min(args.partition, args.rows - start) for start in range(0, args.rows, args.partition)]
    with tempfile.TemporaryDirectory(prefix="carecalc-bench-") as temporary, \
            cluster(args.scheduler, args.workers) as client:
        directory = args.dir or temporary
        Path(directory).mkdir(parents=True, exist_ok=True)
        workers = len(client.scheduler_info()["workers"])
        started = time.perf_counter()
        paths = client.gather(client.map(tasks.write_partition, [directory] * len(sizes), range(len(sizes)), sizes,
                                         pure=False))
        written = time.perf_counter() - started
        size_mb = sum(Path(p).stat().st_size for p in paths) / 2**20

        baseline = json.loads(subprocess.run([sys.executable, __file__, "--single", directory], capture_output=True,
                                             text=True, check=True).stdout.strip().splitlines()[-1])
        started = time.perf_counter()
        spread = project_on_cluster(client, [Path(p) for p in paths], None, HORIZON,
                                    Scenario("baseline", default_parameters()))
        seconds = time.perf_counter() - started
        total = spread.total()
        worker_peaks = sorted(client.run(tasks.peak_mb).values())

    rows = args.rows
    print(f"budget projection on Dask, disability_care caseload, {HORIZON.length} months "
          f"({HORIZON.labels()[0]} – {HORIZON.labels()[-1]}), {rows:,} recipient-rows in {len(paths)} Parquet "
          f"partitions ({size_mb:,.0f} MB, written in {written:.0f} s):")
    print(f"  single process, chunked (baseline)  {baseline['seconds']:7.1f} s  "
          f"{rows / baseline['seconds']:>10,.0f} rows/s  peak {baseline['peak_mb']:6.0f} MB")
    print(f"  Dask, {workers} worker processes          {seconds:7.1f} s  {rows / seconds:>10,.0f} rows/s  "
          f"peak per worker {', '.join(f'{p:.0f}' for p in worker_peaks)} MB")
    agree = abs(total - baseline["total"]) <= 1e-9 * max(1.0, abs(total))
    print(f"  same total: {'yes' if agree else 'NO'} ({total:,.2f} / {baseline['total']:,.2f} CNY)")
    print(f"  speed: {baseline['seconds'] / seconds:.2f}x the single process's rows/s "
          f"({seconds / baseline['seconds']:.2f} of its time) on {workers} workers")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
