"""How fast is a 100,000-row batch result written? Prints seconds and rows/s beside pandas + xlsxwriter.

The baseline, measured in the same run on the same table (the same values, column for column), is
``DataFrame.to_excel(engine="xlsxwriter")``: what a hand-written export would do. carecalc's writer
(care_services.workbook: xlsxwriter in constant-memory mode) also writes formats, widths, a 合计 row and print
set-up, and keeps user text from becoming formulas; the ratio is what to compare across machines.

    python bench/xlsx_write.py [--rows 100000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from subsidy_rules.batch import evaluate_cases, result_table, write_results
from subsidy_rules.engine import get_scheme

# Rows as officials type them (the four kinds of answer: eligible, too young, a bad fact, amount undecided).
KINDS = [
    {"hukou_division_code": "360902", "dibao_household": "是", "at_risk_of_poverty": "否", "disability_category": "肢体",
     "disability_grade": 1, "tekun_supported": "否", "adl_eating": "是", "adl_dressing": "是", "adl_transfer": "是",
     "adl_toileting": "是", "adl_walking_indoors": "否", "adl_bathing": "否", "requested_service": "居家照护",
     "two_subsidies_month": 150},
    {"hukou_division_code": "360902", "dibao_household": "是", "disability_category": "肢体", "disability_grade": 1,
     "requested_service": "居家照护"},
    {"hukou_division_code": "360921", "at_risk_of_poverty": "是", "disability_category": "精神", "disability_grade": 2,
     "adl_eating": "是", "adl_dressing": "是", "adl_transfer": "是", "adl_toileting": "是",
     "adl_walking_indoors": "是", "requested_service": "机构托养"},
    {"hukou_division_code": "360902", "dibao_household": "是", "disability_category": "肢体", "disability_grade": 1,
     "requested_service": "送餐"},
]


def cases(rows: int) -> pd.DataFrame:
    random = np.random.default_rng(7)
    frame = pd.DataFrame([KINDS[i % len(KINDS)] for i in range(rows)], index=pd.RangeIndex(2, rows + 2, name="row"))
    births = pd.Timestamp("1950-01-01") + pd.to_timedelta(random.integers(0, 365 * 60, rows), unit="D")
    frame.insert(1, "birth_date", [d.date().isoformat() for d in births])
    return frame.astype(object).where(frame.notna(), None)


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--evaluate", type=int, default=2_000,
                        help="rows actually evaluated, then repeated to --rows (this measures writing, not the engine)")
    args = parser.parse_args()
    scheme = get_scheme("disability_care")
    sample = cases(min(args.evaluate, args.rows))
    start = time.perf_counter()
    evaluated_sample = evaluate_cases(scheme.id, sample, date=dt.date(2024, 4, 1), jurisdiction="360902")
    evaluated = time.perf_counter() - start
    copies = -(-args.rows // len(sample))
    index = pd.RangeIndex(2, 2 + len(sample) * copies, name="row")
    frame = pd.concat([sample] * copies).set_axis(index)[:args.rows]
    results = pd.concat([evaluated_sample] * copies).set_axis(index)[:args.rows]
    columns, data = result_table(scheme, frame, results)
    table = pd.DataFrame(dict(zip([c.header for c in columns], data)))
    with tempfile.TemporaryDirectory() as folder:
        ours = Path(folder) / "carecalc.xlsx"
        theirs = Path(folder) / "pandas.xlsx"
        baseline = min(timed(lambda: table.to_excel(theirs, index=False, engine="xlsxwriter")) for _ in range(args.repeat))
        written = min(timed(lambda: write_results(ours, scheme, frame, results)) for _ in range(args.repeat))
        size = ours.stat().st_size
    cells = args.rows * len(columns)
    print(f"batch result workbook, {args.rows:,} rows x {len(columns)} columns ({cells:,} cells), best of {args.repeat}:")
    print(f"  ({len(sample):,} distinct rows evaluated in {evaluated:.2f} s and repeated; not part of the comparison)")
    print(f"  pandas + xlsxwriter  {baseline:7.2f} s  {args.rows / baseline:10,.0f} rows/s  (baseline)")
    print(f"  carecalc writer      {written:7.2f} s  {args.rows / written:10,.0f} rows/s  "
          f"{baseline / written:5.2f}x vs pandas + xlsxwriter; {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
