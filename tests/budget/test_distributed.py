"""Budgets and batch evaluation on Dask (subsidy_rules/distributed.py) give the single-process answers.

One LocalCluster of two worker processes serves the module; the CLI tests reach it through --scheduler, as a
cluster of machines would be reached."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from care_services.cli import main
from subsidy_rules.batch import evaluate_cases
from subsidy_rules.budget import Assumptions, Horizon, Scenario, project
from subsidy_rules.budget_sample import jiujiang_pipeline, synthetic_caseload
from subsidy_rules.distributed import (evaluate_on_cluster, parquet_caseload, partitions, project_on_cluster,
                                       read_partitions, write_partitions)
from subsidy_rules.parameters import Change, default_parameters
from tests.budget.test_projection import DISABLED, HOME, NURSERY, RESIDENT

HORIZON = Horizon.years(2023, 2027)


@pytest.fixture(scope="module")
def client():
    from subsidy_rules.distributed import cluster

    with cluster(workers=2) as client:
        yield client


def caseload(typed: bool = True) -> pd.DataFrame:
    """Synthetic disability-care recipients and a few rows of other monthly schemes, mixed in one frame; typed (as
    from the database or a Parquet dataset) or with dates as text in some rows (as cells of a workbook)."""
    others = pd.DataFrame([HOME, NURSERY, RESIDENT, DISABLED] * 5)
    if typed:
        others = others.assign(birth_date=pd.to_datetime(others["birth_date"]),
                               approved_on=pd.to_datetime(others["approved_on"]))
    return pd.concat([synthetic_caseload(700, seed=11), others], ignore_index=True).sample(frac=1, random_state=3)


def test_a_projection_on_the_cluster_equals_the_single_process_run(client, tmp_path):
    cases = caseload()
    paths = write_partitions([cases], tmp_path / "caseload", rows=200)
    assert len(paths) == 4 and partitions(tmp_path / "caseload") == paths
    raised = default_parameters().with_changes([Change("disability_care.home_care_month", 800, "360902",
                                                       pd.Timestamp("2024-01-01").date())])
    for scenario in (Scenario("baseline", default_parameters()),
                     Scenario("raised, growing", raised, Assumptions(caseload_growth=0.04))):
        alone = project(cases, jiujiang_pipeline(), HORIZON, scenario)  # one frame, in memory
        chunked = project(read_partitions(paths), jiujiang_pipeline(), HORIZON, scenario)  # the same files in turn
        seen = []
        spread = project_on_cluster(client, paths, jiujiang_pipeline(), HORIZON, scenario, progress=seen.append)
        assert spread.total() > 0 and seen[-1] == len(cases)
        pd.testing.assert_frame_equal(spread.monthly, alone.monthly, check_exact=False, rtol=1e-12)
        pd.testing.assert_frame_equal(spread.monthly, chunked.monthly, check_exact=False, rtol=1e-12)
        pd.testing.assert_frame_equal(spread.undetermined(), alone.undetermined())


def test_raw_workbook_cells_that_parquet_cannot_type_are_sent_as_frames(client, tmp_path):
    cases = caseload(typed=False)  # birth dates: timestamps in most rows, text in some
    with parquet_caseload(cases, tmp_path / "mixed", rows=200) as parts:
        assert any(isinstance(part, pd.DataFrame) for part in parts)
        spread = project_on_cluster(client, parts, None, HORIZON, Scenario("baseline", default_parameters()))
    alone = project(cases, None, HORIZON)
    pd.testing.assert_frame_equal(spread.monthly, alone.monthly, check_exact=False, rtol=1e-12)


def test_batch_evaluation_on_the_cluster_equals_evaluate_cases(client, tmp_path):
    cases = synthetic_caseload(400, seed=5).drop(columns=["scheme", "start", "end"])
    cases.index = pd.RangeIndex(2, 2 + len(cases), name="row")
    date = pd.Timestamp("2024-06-01").date()
    alone = evaluate_cases("disability_care", cases, date=date, jurisdiction=None)
    spread = evaluate_on_cluster(client, "disability_care", cases, date=date, rows=150)
    pd.testing.assert_frame_equal(spread.drop(columns="fact_errors", errors="ignore"),
                                  alone.drop(columns="fact_errors", errors="ignore"))
    assert alone["eligible"].eq(True).sum() > 0
    stored = write_partitions([cases.reset_index(drop=True)], tmp_path / "cases", rows=150)
    from_parquet = evaluate_on_cluster(client, "disability_care", tmp_path / "cases", date=date)
    assert len(stored) == 3
    assert from_parquet["amount"].fillna(-1).tolist() == alone["amount"].fillna(-1).tolist()


def test_carecalc_budget_on_a_scheduler_prints_the_single_process_figures(client, tmp_path, capsys):
    arguments = ["budget", "--synthetic", "1200", "--sample", "--from", "2024", "--to", "2026", "--json"]
    assert main(arguments) == 0
    alone, alone_said = (lambda c: (c.out, c.err))(capsys.readouterr())  # --json: only JSON on stdout
    address = client.scheduler.address
    assert main([*arguments, "--scheduler", address]) == 2  # a cluster's workers need shared storage
    assert "--parquet-dir" in capsys.readouterr().err
    assert main([*arguments, "--scheduler", address, "--parquet-dir", str(tmp_path / "shared")]) == 0
    spread, spread_said = (lambda c: (c.out, c.err))(capsys.readouterr())
    yearly = [line for line in alone_said.splitlines() if line.startswith("基准方案:")]
    assert yearly and yearly == [line for line in spread_said.splitlines() if line.startswith("基准方案:")]
    first, second = (json.loads(out) for out in (alone, spread))
    for a, b in zip(first["scenarios"], second["scenarios"]):
        assert a["total"] == pytest.approx(b["total"], rel=1e-12)
        assert [r["year"] for r in a["by_year"]] == [r["year"] for r in b["by_year"]]
        assert [r["amount"] for r in a["by_year"]] == pytest.approx([r["amount"] for r in b["by_year"]], rel=1e-12)
    # a Parquet caseload directly, on the cluster and in one process
    for extra in ([], ["--scheduler", address]):
        assert main(["budget", "--caseload", str(tmp_path / "shared"), "--sample", "--from", "2024", "--to", "2026",
                     *extra]) == 0
        assert capsys.readouterr().out.splitlines()[0] == yearly[0]


def test_carecalc_evaluate_on_a_scheduler_writes_the_same_workbook(client, tmp_path, capsys):
    source = tmp_path / "cases.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["户籍地区划代码", "出生日期", "低保户", "易返贫致贫人口", "残疾类别", "残疾等级", "已纳入特困供养",
                  "不能自主吃饭", "不能自主穿衣", "不能自主上下床", "不能自主如厕", "不能室内行走", "不能自主洗澡",
                  "申请服务类别"])
    for number in range(60):
        sheet.append(["360902", f"19{50 + number % 40}-05-01", "是" if number % 3 else "否", "否", "肢体",
                      1 + number % 4, "否", "是", "是", "是", "是" if number % 2 else "否", "否", "否",
                      "居家照护" if number % 5 else "送餐"])
    workbook.save(source)
    written = []
    for extra in ([], ["--scheduler", client.scheduler.address]):
        output = tmp_path / f"result{len(written)}.xlsx"
        main(["evaluate", "disability_care", "--input", str(source), "--output", str(output), "--date", "2024-04-01",
              "--jurisdiction", "360902", *extra])
        written.append(list(load_workbook(output)["测算结果"].iter_rows(values_only=True)))
    assert written[0] == written[1] and len(written[0]) == 62  # the header, 60 cases, the 合计 row
    assert capsys.readouterr().out.count("测算60行") == 2


def test_an_unreachable_scheduler_is_a_usage_error(capsys):
    assert main(["budget", "--sample", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "Dask" in capsys.readouterr().err
