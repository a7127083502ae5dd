"""Write the example inputs of every README command into examples/ (run from the repository root):

    python examples/build.py

case.json (disability_care), 养老机构.json (elderly_institution_construction), reform.yaml (a scenario for evaluate
and budget), cases.xlsx (a batch of childcare_operation), 申请人.xlsx (people to import), 区划.xlsx and 项目.xlsx
(the planning tables, as `carecalc export districts` / `export projects` write them from the sample data) and
在册对象.xlsx (a budget caseload), 低保名册.xlsx (a roster for `carecalc roster import`) and
测试用例.yaml (an officer's test file for `carecalc test`, a copy of tests/rules/cases/yichun_2023_20_disability_care.yaml). tests/test_readme.py runs the README's commands against these files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from care_services.spreadsheet import frame_records, write_workbook  # noqa: E402
from care_services.synthetic import generate_people  # noqa: E402
from care_services.workbook import Column, ReportBook  # noqa: E402
from subsidy_rules.batch import examples, shown_fact, write_cases_template  # noqa: E402
from subsidy_rules.budget_report import PERIOD_COLUMNS  # noqa: E402
from subsidy_rules.engine import REGISTRY, get_scheme  # noqa: E402


def main() -> None:
    cases = examples()
    (HERE / "case.json").write_text(json.dumps(cases["disability_care"]["facts"], ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8")
    (HERE / "养老机构.json").write_text(json.dumps(cases["elderly_institution_construction"]["facts"],
                                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (HERE / "reform.yaml").write_text(
        "# One scenario file for `carecalc evaluate --scenario` and `carecalc budget --scenario` (and the web's budget page)\n"
        "name: 护理型床位省级补助6000元\n"
        "parameters:\n"
        "  elderly_institution_construction.province.per_bed_nursing: 6000   # 原文每张5000元（九府办字[2022]113号 附件3 第13项）\n"
        "assumptions:\n"
        "  occupancy: 0.85\n", encoding="utf-8")
    nursery = cases["childcare_operation"]
    rows = [{**nursery["facts"], "name": nursery["name"]},
            {**nursery["facts"], "name": "浔阳区春苗托育园", "monthly_fee": 1400},
            {**nursery["facts"], "name": "浔阳区童心托育", "enrolled_under_3": None}]
    write_cases_template(HERE / "cases.xlsx", get_scheme("childcare_operation"), rows)
    people = generate_people(5, seed=7)
    write_workbook(HERE / "申请人.xlsx", "people", frame_records(people))
    with ReportBook(HERE / "低保名册.xlsx") as book:  # a 低保 roster as the civil-affairs office sends it
        book.sheet("低保对象名册").table([Column("身份证号", "id"), Column("纳入低保日期", "date")],
                                     [[number, dt.date(2023, 6, 1)] for number in people["id_number"][:3]])
    shutil.copy(HERE.parent / "tests" / "rules" / "cases" / "yichun_2023_20_disability_care.yaml", HERE / "测试用例.yaml")
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CARECALC_DATABASE_URL": f"sqlite:///{Path(folder) / 'examples.sqlite3'}"}
        for args in (["db", "upgrade"], ["sample", "load"],
                     ["export", "districts", "--within", "360400", "--output", str(HERE / "区划.xlsx")],
                     ["export", "projects", "--output", str(HERE / "项目.xlsx")]):
            subprocess.run([sys.executable, "-m", "care_services.cli", *args], env=env, check=True,
                           stdout=subprocess.DEVNULL)
    with ReportBook(HERE / "在册对象.xlsx") as book:
        for scheme in (s for s in REGISTRY.values() if s.unit == "CNY/month"):
            columns = [*PERIOD_COLUMNS, *scheme.facts]
            example = cases[scheme.id]
            values = {**example["facts"], "jurisdiction": example["jurisdiction"], "start": "2024-01",
                      "end": "2027-12", "count": 20}
            sheet = book.sheet(scheme.title_zh)
            sheet.table([Column(c.zh) for c in columns], [[shown_fact(c, values.get(c.key)) for c in columns]])
    print(f"examples written to {HERE}")


if __name__ == "__main__":
    main()
