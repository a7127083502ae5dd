"""`carecalc budget`: project outlays for a caseload and a facility pipeline under scenarios; write the report."""

from __future__ import annotations

import contextlib
import json
import sys

from care_services.cli_common import EXIT_OK, UsageError, existing_file, writable


def cmd_budget(args) -> int:
    from care_services.cli import progress_bar
    from subsidy_rules import scenario as scenario_file
    from subsidy_rules.budget import Assumptions, Horizon, Scenario, project
    from subsidy_rules.budget_report import (BudgetInputError, read_caseload, read_pipeline, report_json, scenario_zh,
                                             write_report)
    from subsidy_rules.budget_sample import jiujiang_pipeline, synthetic_caseload
    from subsidy_rules.parameters import ParameterError, default_parameters

    try:
        horizon = Horizon.years(args.first_year, args.last_year)
        base = Assumptions(args.occupancy, args.enrolment, args.growth)
    except ValueError as error:
        raise UsageError(str(error), "check --from/--to and the assumptions") from None
    if sum(bool(x) for x in (args.caseload, args.synthetic, args.people_from, args.cases)) > 1:
        raise UsageError("--caseload、--synthetic、--people-from、--cases 只能选一个",
                         "give one of --caseload, --synthetic, --people-from, --cases")
    if not (args.caseload or args.synthetic or args.people_from or args.cases or args.projects or args.sample):
        raise UsageError("请指定 --caseload 或 --projects（或 --sample / --synthetic N）",
                         "give --caseload and/or --projects (or --sample / --synthetic N)")
    output = writable(args.output, (".xlsx",)) if args.output else None
    scenarios = [Scenario("baseline", default_parameters(), base)]
    for path in args.scenario or []:
        try:
            data = scenario_file.read(existing_file(path))
            scenarios.append(Scenario.from_mapping(data, assumptions=base))
        except (ParameterError, ValueError, TypeError) as error:
            raise UsageError(f"方案文件有误：{path}（{error}）", f"bad scenario file {path}: {error}") from None
        for flag in scenarios[-1].marks["below_floor"]:  # projected as a what-if, said so before any figure
            print(f"警告 / warning：方案“{scenarios[-1].name}”{flag['text_zh']} / {flag['text_en']}", file=sys.stderr)
    try:
        projects = read_pipeline(existing_file(args.projects)) if args.projects else (
            jiujiang_pipeline() if args.sample else None)
    except BudgetInputError as error:
        raise UsageError(str(error), "check the projects workbook") from None
    for item in (projects.attrs.get("set_aside", []) if projects is not None else []):
        print(f"项目表第{item['row']}行（{item['code']}）未纳入测算：缺少{'、'.join(item['missing'])} / row {item['row']} "
              f"({item['code']}) left out: missing {', '.join(item['missing'])}", file=sys.stderr)
    projections = []
    registered = _people_caseload(args) if args.people_from else _case_caseload(args) if args.cases else None
    parquet = _parquet_source(args.caseload)

    def caseload():
        if registered is not None:
            return [registered], len(registered)
        if parquet is not None:
            from subsidy_rules.distributed import read_partitions

            return read_partitions(parquet), None
        if args.caseload:
            return read_caseload(existing_file(args.caseload)), None
        if args.synthetic:
            cases = synthetic_caseload(args.synthetic, seed=args.seed)
            return (cases.iloc[i:i + 200_000] for i in range(0, len(cases), 200_000)), len(cases)
        return None, None

    with contextlib.ExitStack() as stack:
        if args.scheduler and parquet is None and not args.parquet_dir and (
                args.caseload or args.synthetic or args.cases or args.people_from):
            raise UsageError("使用 --scheduler 时，请用Parquet在册数据或以 --parquet-dir 指定各节点共享的目录",
                             "with --scheduler give a Parquet caseload, or --parquet-dir on storage every worker reads")
        client = stack.enter_context(cluster_client(args)) if args.dask or args.scheduler else None
        if client is not None:
            from subsidy_rules.distributed import parquet_caseload, project_on_cluster

            paths = parquet or stack.enter_context(parquet_caseload(caseload()[0], args.parquet_dir))
        for scenario in scenarios:
            chunks, total = caseload() if client is None else (None, None)
            label = f"测算 {scenario.name} / projecting"
            ticker = progress_bar(total, label, minimum=100_000) if total else contextlib.nullcontext(
                lambda done: print(f"{label}: {done:,} 行 / rows", file=sys.stderr, flush=True))
            try:
                with ticker as tick:
                    projections.append(project_on_cluster(client, paths, projects, horizon, scenario, progress=tick)
                                       if client is not None else
                                       project(chunks, projects, horizon, scenario, progress=tick))
            except (BudgetInputError, ValueError) as error:
                raise UsageError(str(error), "check the caseload and projects workbooks") from None
    human = sys.stderr if args.json else sys.stdout  # with --json, stdout holds the JSON and nothing else
    for p in projections:
        years = p.by("year").set_index("year")["amount"]
        shown = "；".join(f"{year}年 {amount / 10_000:,.2f}万元" for year, amount in years.items())
        print(f"{scenario_zh(p.scenario)}: {shown or '无支出 / nothing to pay'}", file=human)
        missing = p.undetermined()
        if len(missing):
            print(f"  {int(missing['months'].sum())} 个对象·月因缺少事实无法测算，见“待定”页 / recipient-months "
                  f"could not be computed for missing facts (see the 待定 sheet)", file=human)
    if output:
        write_report(projections, output)
        print(f"已写入 / written: {output}", file=human)
    if args.json:
        json.dump(report_json(projections), sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
    return EXIT_OK


def _parquet_source(path: str | None):
    """The Parquet files of --caseload when it is a .parquet file or a directory of them, else None."""
    from pathlib import Path

    if not path or not (Path(path).is_dir() or path.lower().endswith(".parquet")):
        return None
    from subsidy_rules.distributed import partitions

    try:
        return partitions(path)
    except FileNotFoundError as error:
        raise UsageError(str(error), "give a .parquet file or a directory of them") from None


@contextlib.contextmanager
def cluster_client(args):
    """The Dask client of --dask (a LocalCluster) or --scheduler (a running cluster); exit 2 if unreachable."""
    from subsidy_rules.distributed import ClusterUnavailable, cluster

    if args.dask_workers is not None and args.dask_workers < 1:
        raise UsageError("--dask-workers 至少为1", "--dask-workers must be at least 1")
    try:
        with cluster(args.scheduler, args.dask_workers) as client:
            yield client
    except ClusterUnavailable as error:
        raise UsageError(str(error), "check --scheduler (tcp://host:8786)") from None


def _people_caseload(args):
    """The people in the database as disability_care recipients from a month (a register-wide what-if)."""
    import pandas as pd
    from sqlalchemy import select

    from care_services.cli_common import open_database
    from care_services.db import session_scope
    from care_services.model import Person
    from care_services.spreadsheet import to_record
    from subsidy_rules.budget import month_index
    from subsidy_rules.budget_sample import disability_caseload

    try:
        month_index(args.people_from)
    except ValueError as error:
        raise UsageError(str(error), "--people-from takes a month, e.g. 2024-01") from None
    with session_scope(open_database(args.database)) as session:
        people = pd.DataFrame([to_record(p) for p in session.scalars(select(Person))])
    if people.empty:
        raise UsageError("数据库中没有人员记录（先 carecalc import people …）", "no people in the database (import some first)")
    return disability_caseload(people, args.people_from[:7])


def _case_caseload(args):
    """The approved disability-care cases of the database, each paid from the month after its approval to its exit."""
    from care_services.casework import recipients
    from care_services.cli_common import open_database
    from care_services.db import session_scope

    with session_scope(open_database(args.database)) as session:
        caseload = recipients(session)
    if caseload.empty:
        raise UsageError("数据库中没有已审批的照护和托养对象", "no approved disability-care cases in the database")
    return caseload


def add_parser(commands) -> None:
    budget = commands.add_parser(
        "budget", help="预算测算：按补贴项目、年度、县和资金层级 / budget projections by scheme, year, county, level")
    budget.add_argument("--caseload", metavar="FILE.xlsx|PARQUET",
                        help="在册对象，每个按月补贴项目一张工作表（含起始、结束月份），或Parquet文件/目录 / recipients, a "
                             "sheet per scheme, or a Parquet file or directory of them")
    budget.add_argument("--projects", metavar="FILE.xlsx", help="建设项目（建成月份、床位/托位） / facility pipeline")
    budget.add_argument("--sample", action="store_true", help="使用九江项目清单（附件4） / the Jiujiang pipeline")
    budget.add_argument("--synthetic", type=int, metavar="N", help="N个合成的宜春困难重度残疾人 / synthetic caseload")
    budget.add_argument("--people-from", metavar="YYYY-MM",
                        help="以数据库中的人员为在册对象（困难重度残疾人照护），自该月起 / the database's people from a month")
    budget.add_argument("--cases", action="store_true",
                        help="以数据库中已审批的申请为在册对象（审批次月起、退出当月止） / the approved cases of the database")
    budget.add_argument("--seed", type=int, default=1)
    budget.add_argument("--from", dest="first_year", type=int, default=2023)
    budget.add_argument("--to", dest="last_year", type=int, default=2027)
    budget.add_argument("--scenario", action="append", metavar="FILE.yaml",
                        help="改革方案：parameters / assumptions（可多次） / a reform scenario (repeatable)")
    budget.add_argument("--occupancy", type=float, default=0.7, help="新增床位入住率 / occupancy of new beds (0.7)")
    budget.add_argument("--enrolment", type=float, default=0.7, help="新增托位入托率 / enrolment of new places (0.7)")
    budget.add_argument("--growth", type=float, default=0.0, help="在册对象年增长率 / yearly caseload growth (0)")
    add_cluster_arguments(budget)
    budget.add_argument("--parquet-dir", metavar="DIR",
                        help="Dask：在册数据写成Parquet分区的目录（集群各节点须可读） / where --dask writes the caseload's "
                             "Parquet partitions (shared storage for a cluster; default a temporary directory)")
    budget.add_argument("--output", metavar="REPORT.xlsx")
    budget.add_argument("--json", action="store_true")
    budget.set_defaults(handler=cmd_budget)


def add_cluster_arguments(parser) -> None:
    """--dask / --dask-workers / --scheduler, shared by `carecalc budget` and `carecalc evaluate`."""
    parser.add_argument("--dask", action="store_true",
                        help="在本机Dask集群上分区计算 / compute partitions on a local Dask cluster (one process per core)")
    parser.add_argument("--dask-workers", type=int, metavar="N", help="本机Dask进程数 / local Dask worker processes")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="已运行的Dask调度器（多台机器） / a running Dask scheduler (a cluster of machines)")
