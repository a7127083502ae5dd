"""`carecalc allocate`: plan from two spreadsheets (or the Jiujiang sample) and write the plan workbook."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

from care_services.cli_common import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UsageError, existing_file, writable

AMOUNT = re.compile(r"^\s*([0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][0-9]+)?)\s*(元|万元|万|亿元|亿)?\s*$")
MULTIPLIER = {None: 1, "元": 1, "万": 1e4, "万元": 1e4, "亿": 1e8, "亿元": 1e8}


def parse_amount(text: str) -> float:
    """'500000000', '5e8', '50000万', '5亿' → yuan."""
    match = AMOUNT.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"金额格式有误：{text!r}（例：500000000、50000万、5亿） / "
                                         f"not an amount: {text!r} (e.g. 500000000, 50000万, 5亿)")
    return float(match.group(1).replace(",", "")) * MULTIPLIER[match.group(2)]


def _pairs(values: list[str] | None, option: str, convert) -> dict:
    out = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} 的格式应为 名称=值：{item!r}", f"{option} expects NAME=VALUE, got {item!r}")
        try:
            out[key.strip()] = convert(value.strip())
        except (ValueError, argparse.ArgumentTypeError) as error:
            raise UsageError(f"{option} {item!r}：值无法识别（{error}）", f"{option} {item!r}: not a valid value") from None
    return out


def _per_year(text: str | None):
    if text is None:
        return None
    if "=" in text:
        amounts = _pairs(text.split(","), "--budget-per-year", parse_amount)
        if not all(year.isdigit() and len(year) == 4 for year in amounts):
            raise UsageError(f"--budget-per-year 的年份应为四位数字：{text!r}（例：2023=1亿,2024=2亿）",
                             f"--budget-per-year needs four-digit years: {text!r} (e.g. 2023=1亿,2024=2亿)")
        return {int(year): amount for year, amount in amounts.items()}
    try:
        return parse_amount(text)
    except argparse.ArgumentTypeError as error:
        raise UsageError(str(error), "--budget-per-year takes AMOUNT or YEAR=AMOUNT,…") from None


class ProgressLine:
    """Incumbent, bound and gap on one line of stderr, redrawn at most twice a second."""

    def __init__(self) -> None:
        self.last = 0.0
        self.shown = False

    def __call__(self, progress) -> None:
        now = time.monotonic()
        if now - self.last < 0.5:
            return
        self.last = now
        end = "\r" if sys.stderr.isatty() else "\n"
        print(progress.line(), end=end, file=sys.stderr, flush=True)
        self.shown = True

    def close(self) -> None:
        if self.shown and sys.stderr.isatty():
            print(file=sys.stderr)


def cmd_allocate(args) -> int:
    from allocator.data import PlanningInputError, read_table
    from allocator.planning import PlacementProblem
    from allocator.report import write_plan_workbook
    from allocator.data import write_planning_template
    from allocator.sample import jiujiang_county_table, jiujiang_projects, jiujiang_townships
    from allocator.solver import SolverFailure, SolverOptions

    if args.template:
        table, _, path = args.template.partition("=")
        if table not in ("districts", "projects") or not path:
            raise UsageError("--template 的格式应为 districts=文件.xlsx 或 projects=文件.xlsx",
                             "--template expects districts=FILE.xlsx or projects=FILE.xlsx")
        write_planning_template(writable(path, (".xlsx",)), table)
        print(f"已写入模板 / template written: {path}")
        return EXIT_OK
    if args.year is None:
        raise UsageError("请用 --year 指定规划年份（如 2025）", "give the plan year with --year (e.g. 2025)")
    if args.sample:
        if args.districts or args.projects:
            raise UsageError("--sample 与 --districts/--projects 不能同时使用", "--sample replaces --districts and --projects")
        sample = jiujiang_townships if args.units == "township" else jiujiang_county_table
        districts, projects = sample(), jiujiang_projects()
    else:
        if not (args.districts and args.projects):
            raise UsageError("请指定 --districts 和 --projects（或 --sample 使用九江示例）",
                             "give --districts and --projects (or --sample for the Jiujiang sample)")
        try:
            districts = read_table(existing_file(args.districts))
            projects = read_table(existing_file(args.projects))
        except PlanningInputError as error:
            raise UsageError(str(error), "check the header row") from None
    try:
        distances = read_table(existing_file(args.distances)) if args.distances else None
    except PlanningInputError as error:
        raise UsageError(str(error), "check the header row") from None
    output = writable(args.output, (".xlsx",)) if args.output else None
    try:
        options = SolverOptions(args.backend, args.time_limit, args.gap, args.threads, verbose=args.verbose)
    except ValueError as error:
        raise UsageError(f"求解参数有误：{error}", f"bad solver option: {error}") from None
    try:
        problem = PlacementProblem.from_frames(
            districts, projects, plan_year=args.year, first_year=args.first_year, budget=args.budget,
            budget_per_year=_per_year(args.budget_per_year),
            level_budgets=_pairs(args.level_budget, "--level-budget", parse_amount) or None,
            jurisdiction=args.jurisdiction, scopes=_pairs(args.scope, "--scope", str) or None,
            weights=_pairs(args.weight, "--weight", int) or None, distances=distances,
            coverage_radius_km=args.coverage_radius_km, household_cost=args.household_cost,
        )
    except PlanningInputError as error:
        for problem_ in error.problems[:50]:
            print("  " + str(problem_), file=sys.stderr)
        if len(error.problems) > 50:
            print(f"  …另有{len(error.problems) - 50}处 / {len(error.problems) - 50} more", file=sys.stderr)
        raise UsageError("输入表有误，未进行规划", "the input tables have errors; nothing was planned") from None
    except (ValueError, KeyError) as error:
        raise UsageError(str(error).strip("'\""), "check the options") from None
    print(f"区划{len(problem.districts)}个，候选项目{len(problem.projects)}个（另有{len(problem.excluded)}个未纳入），"
          f"目标{len(problem.targets)}项 / {len(problem.districts)} districts, {len(problem.projects)} candidates "
          f"({len(problem.excluded)} set aside), {len(problem.targets)} targets", file=sys.stderr)
    progress = ProgressLine()
    try:
        result = problem.solve(args.objective, options, progress, kind=args.kind, radius_km=args.radius_km)
    except SolverFailure as error:
        raise UsageError(str(error), "try another --backend") from None
    except ValueError as error:
        raise UsageError(str(error), "check the options and the input tables") from None
    finally:
        progress.close()
    if output:
        write_plan_workbook(result, output)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        unmet = result.unmet()
        for line in result.summary():
            print(line)
        for line in result.indicator_lines():
            print("  " + line)
        for line in unmet[:args.show]:
            print("  " + line)
        if len(unmet) > args.show:
            print(f"  …另有{len(unmet) - args.show}项未达标，见方案表“目标”页 / {len(unmet) - args.show} more unmet "
                  f"targets in the workbook's Targets sheet")
    if output:
        print(f"已写入 / written: {output}", file=sys.stderr if args.json else sys.stdout)  # --json: stdout is JSON only
    return EXIT_FAILURE if result.status in ("no_solution", "error") else EXIT_OK


def add_parser(commands) -> None:
    from allocator.names import BACKEND_NAMES, DEFAULT_BACKEND, OBJECTIVES

    allocate = commands.add_parser(
        "allocate", help="设施规划：选择项目以达到千人指标 / choose projects to meet the per-1,000 targets",
        description="从候选项目中选择（及建成年份），使各区划达到九府办字[2022]113号的指标 / "
                    "choose candidate projects (and years) so districts meet the targets",
    )
    allocate.add_argument("--districts", metavar="FILE.xlsx", help="区划表：人口、现有床位和托位 / districts table")
    allocate.add_argument("--projects", metavar="FILE.xlsx", help="候选项目表 / candidate projects table")
    allocate.add_argument("--sample", action="store_true", help="使用九江示例数据 / use the Jiujiang sample")
    allocate.add_argument("--units", choices=("county", "township"), default="county",
                          help="示例的规划单位：县或乡镇（街道，社区、村数为估算） / the sample's planning units")
    allocate.add_argument("--template", metavar="TABLE=FILE.xlsx",
                          help="写出规划单位（districts）或候选项目（projects）模板 / write a table's template")
    allocate.add_argument("--household-cost", type=parse_amount, metavar="AMOUNT",
                          help="适老化改造每户费用（元），默认取参数 / yuan per adapted home")
    allocate.add_argument("--coverage-radius-km", type=float, metavar="KM",
                          help="街道覆盖的服务半径（公里，需坐标） / streets covered within this radius")
    allocate.add_argument("--year", type=int, help="规划年份 / plan year, e.g. 2025")
    allocate.add_argument("--from", dest="first_year", type=int, default=2023, help="首个建设年份 / first year (2023)")
    allocate.add_argument("--budget", type=parse_amount, help="总预算（元，可写“5亿”“50000万”） / total budget")
    allocate.add_argument("--budget-per-year", metavar="AMOUNT|YEAR=AMOUNT,…", help="年度预算 / budget per year")
    allocate.add_argument("--level-budget", action="append", metavar="LEVEL=AMOUNT",
                          help="某级财政建设补助上限，LEVEL为province/city/county / subsidy cap by funding level")
    allocate.add_argument("--objective", choices=list(OBJECTIVES), default="shortfall",
                          help="; ".join(f"{k}: {v}" for k, v in OBJECTIVES.items()))
    allocate.add_argument("--kind", choices=("childcare", "elderly"), default="childcare",
                          help="coverage/distance 目标针对的类别 / kind for coverage and distance")
    allocate.add_argument("--radius-km", type=float, default=1.0, help="服务半径（公里） / service radius for coverage")
    allocate.add_argument("--distances", metavar="FILE.xlsx",
                          help="项目到区划的距离表（项目编号、区划代码、距离（公里）） / project-district distances")
    allocate.add_argument("--scope", action="append", metavar="TARGET=SCOPE",
                          help="目标范围 each_district/aggregate/proportional，如 elderly_beds_total=proportional")
    allocate.add_argument("--weight", action="append", metavar="TARGET=N", help="目标缺口权重（整数） / shortfall weight")
    allocate.add_argument("--jurisdiction", default="360400", help="读取指标的行政区划 / whose targets (360400)")
    allocate.add_argument("--backend", choices=["auto", *BACKEND_NAMES], default=DEFAULT_BACKEND,
                          help="求解器；auto按模型选择（见bench/allocator.py） / solver; auto picks per model")
    allocate.add_argument("--time-limit", type=float, default=60.0, help="时限（秒） / seconds (60)")
    allocate.add_argument("--gap", type=float, default=0.0, help="相对差距 / relative gap to stop at (0: prove optimal)")
    allocate.add_argument("--threads", type=int, default=None, help="线程数 / threads (CP-SAT, SCIP)")
    allocate.add_argument("--output", metavar="PLAN.xlsx", help="方案工作簿 / plan workbook")
    allocate.add_argument("--json", action="store_true", help="以JSON输出结果 / print the result as JSON")
    allocate.add_argument("--verbose", action="store_true",
                          help="在标准错误输出求解器日志（默认不输出） / show the solver's log on stderr (quiet by default)")
    allocate.add_argument("--show", type=int, default=20, help="列出的未达标目标数 / unmet targets to list")
    allocate.set_defaults(handler=cmd_allocate)


__all__ = ["add_parser", "cmd_allocate", "parse_amount", "EXIT_BAD_INPUT"]
