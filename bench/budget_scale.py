"""Budget projection at scale: 10 million recipient-rows over 60 months in bounded memory.

The projection (subsidy_rules.budget.project) reads the caseload in chunks and keeps only difference arrays per
scheme × county × level × month, so memory does not grow with the caseload. The baseline, measured in the same
run, is the naive single pass: evaluate every row, materialise one row per recipient-month, group and sum. It
cannot hold 10 million × 60 row-months, so it runs on a sample; rows/s and peak memory per row are compared, and
both must give the same totals on the sample. Each mode runs in its own process so peak memory is its own.

    python bench/budget_scale.py [--rows 10000000] [--chunk 250000] [--naive-rows 200000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subsidy_rules.budget import (  # noqa: E402
    Horizon,
    _amounts,
    _segments,
    month_index,
    month_starts,
    parameter_breaks,
    project,
)
from subsidy_rules.budget_sample import synthetic_caseload  # noqa: E402
from subsidy_rules.engine import evaluate_frame  # noqa: E402
from subsidy_rules.parameters import default_parameters  # noqa: E402

HORIZON = Horizon.years(2023, 2027)  # 60 months
TEMPLATE_ROWS = 50_000


def chunks(rows: int, chunk: int, seed: int = 7):
    """``rows`` recipients, ``chunk`` at a time: a synthetic template with fresh start and end months per chunk."""
    template = synthetic_caseload(TEMPLATE_ROWS, seed=seed)
    rng = np.random.default_rng(seed)
    made = 0
    while made < rows:
        size = min(chunk, rows - made)
        part = template.sample(size, replace=size > len(template), random_state=int(rng.integers(1 << 31)))
        start = HORIZON.first + rng.integers(0, 36, size)
        end = np.where(rng.random(size) < 0.2, start + rng.integers(1, 36, size), -1)
        part = part.assign(start=[f"{m // 12:04d}-{m % 12 + 1:02d}" for m in start],
                           end=[None if m < 0 else f"{m // 12:04d}-{m % 12 + 1:02d}" for m in end])
        made += size
        yield part.reset_index(drop=True)


def naive(cases: pd.DataFrame) -> float:
    """The same evaluations (each row at the start of each parameter period), then one row per recipient-month,
    grouped and summed: memory grows with rows × months."""
    start = np.array([max(month_index(s), HORIZON.first) for s in cases["start"]])
    end = np.array([HORIZON.last if pd.isna(e) else min(month_index(e), HORIZON.last) for e in cases["end"]])
    live = start <= end
    cases, start, end = cases[live].reset_index(drop=True), start[live], end[live]
    position, seg_start, seg_end = _segments(start, end, parameter_breaks(default_parameters(), HORIZON))
    facts = cases.iloc[position].drop(columns=["scheme", "start", "end"]).reset_index(drop=True)
    amounts, _ = _amounts(evaluate_frame("disability_care", facts.assign(date=month_starts(seg_start))))
    months = seg_end - seg_start + 1
    expanded = amounts.loc[amounts.index.repeat(months)].assign(
        county=np.repeat(facts["jurisdiction"].to_numpy(), months),
        month=np.concatenate([np.arange(s, e + 1) for s, e in zip(seg_start, seg_end)]))
    long = expanded.melt(id_vars=["county", "month"], var_name="level", value_name="amount")
    return float(long.groupby(["county", "level", "month"])["amount"].sum().sum())


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, rows: int, chunk: int) -> None:
    generated = list(chunks(rows, min(chunk, rows))) if mode != "chunked" else None
    baseline_mb = peak_mb()
    started = time.perf_counter()
    if mode == "naive":
        total = naive(pd.concat(generated, ignore_index=True))
    elif mode == "one-frame":
        total = project(pd.concat(generated, ignore_index=True), None, HORIZON).total()
    else:
        total = project(chunks(rows, chunk), None, HORIZON).total()
    seconds = time.perf_counter() - started
    print(json.dumps({"mode": mode, "rows": rows, "seconds": seconds, "total": total,
                      "peak_mb": peak_mb(), "input_mb": baseline_mb}))


def run(mode: str, rows: int, chunk: int) -> dict:
    answer = subprocess.run([sys.executable, __file__, "--child", mode, "--rows", str(rows), "--chunk", str(chunk)],
                            capture_output=True, text=True, check=True)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=int, default=250_000)
    parser.add_argument("--naive-rows", type=int, default=200_000)
    parser.add_argument("--child", choices=("naive", "one-frame", "chunked"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.chunk)
        return
    small_naive = run("naive", args.naive_rows, args.naive_rows)
    small_chunked = run("one-frame", args.naive_rows, args.naive_rows)
    assert abs(small_naive["total"] - small_chunked["total"]) < 0.01, (small_naive, small_chunked)
    big = run("chunked", args.rows, args.chunk)
    print(f"budget projection, disability_care caseload, {HORIZON.length} months "
          f"({HORIZON.labels()[0]} – {HORIZON.labels()[-1]}):")
    for label, r in (("naive single pass (baseline)", small_naive), ("projection, one frame", small_chunked),
                     (f"projection, chunks of {args.chunk:,}", big)):
        print(f"  {label:32} {r['rows']:>11,} rows  {r['seconds']:7.1f} s  {r['rows'] / r['seconds']:>10,.0f} rows/s  "
              f"peak {r['peak_mb']:7.0f} MB  total {r['total']:,.0f} CNY")
    print(f"  same totals on the sample: yes ({small_naive['total']:,.2f} CNY)")
    print(f"  speed: {big['rows'] / big['seconds'] / (small_naive['rows'] / small_naive['seconds']):.1f}x the baseline's "
          f"rows/s; peak memory for {big['rows'] / small_naive['rows']:.0f}x the rows: "
          f"{big['peak_mb'] / small_naive['peak_mb']:.2f}x the baseline's")


if __name__ == "__main__":
    main()
