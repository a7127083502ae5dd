"""Which engine reads officials' workbooks fastest? Prints rows/s per engine and the ratio to openpyxl.

openpyxl (read-only mode) is the baseline, measured in the same run; the ratio is what to compare across
machines. Each engine reads the same workbook of synthetic applicants and must return the same records.

    python bench/xlsx_read.py [--rows 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from care_services.spreadsheet import READ_ENGINES, frame_records, read_workbook, write_workbook
from care_services.synthetic import generate_people

BASELINE = "openpyxl"


def best_of(repeat: int, function) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "people.xlsx"
        write_workbook(path, "people", frame_records(generate_people(args.rows, seed=1)))
        timings, reference = {}, None
        for engine in (BASELINE, *[e for e in READ_ENGINES if e != BASELINE]):
            seconds, result = best_of(args.repeat, lambda: read_workbook(path, "people", engine=engine))
            assert not result.errors and len(result.records) == args.rows
            reference = reference or result.records
            assert result.records == reference, f"{engine} read different values"
            timings[engine] = seconds
    print(f"xlsx read of {args.rows} applicant rows (validation included), best of {args.repeat}:")
    for engine, seconds in sorted(timings.items(), key=lambda item: item[1]):
        print(f"  {engine:16} {seconds:7.3f} s  {args.rows / seconds:10,.0f} rows/s  "
              f"{timings[BASELINE] / seconds:5.2f}x vs {BASELINE}")
    fastest = min(timings, key=timings.get)
    print(f"fastest: {fastest}")


if __name__ == "__main__":
    main()
