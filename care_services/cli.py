"""The ``carecalc`` command.

Exit codes: 0 done; 2 bad input (unknown file, bad rows, wrong arguments), with a message in Chinese and
English; 1 anything unexpected, reported in one line (set CARECALC_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable

from care_services import __version__
from care_services.vocabulary import ENTITIES

from care_services.cli_common import (  # noqa: F401  (re-exported for the command modules)
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
)
from care_services.cli_common import existing_file as _existing_file
from care_services.cli_common import open_database
from care_services.cli_common import writable as _writable


def _engine(args):
    return open_database(args.database)


# ---------------------------------------------------------------------------------------------------- commands


def cmd_db_init(args) -> int:
    from care_services.db import current_revision, database_url

    revision = current_revision(_engine(args))
    print(f"数据库已就绪（结构版本 {revision}） / database ready at schema revision {revision}: "
          f"{database_url(args.database)}")
    return EXIT_OK


def cmd_sample_load(args) -> int:
    from care_services.model import ENTITY_MODELS
    from care_services.store import load_sample

    counts = load_sample(_engine(args))
    for entity, count in counts.items():
        print(f"{ENTITY_MODELS[entity].__title_zh__} / {entity}: {count}")
    return EXIT_OK


def cmd_sample_generate(args) -> int:
    from care_services.spreadsheet import entity_spec, frame_records, parse_rows, records_as_rows, write_workbook
    from care_services.store import store
    from care_services.synthetic import generate_people

    if args.people < 0:
        raise UsageError("--people 不能为负数", "--people must not be negative")
    if not args.output and not args.load:
        raise UsageError("请指定 --output 文件或 --load", "give --output FILE or --load (or both)")
    output = _writable(args.output, (".xlsx", ".csv")) if args.output else None
    frame = generate_people(args.people, args.seed, city_prefixes=tuple(args.city or ["3609"]), as_of=args.as_of)
    print(f"已生成{len(frame)}名合成申请人（非真实数据）/ generated {len(frame)} synthetic applicants", file=sys.stderr)
    # Through the same validation as any import: a generator bug shows up as bad rows, not bad data.
    result = parse_rows(entity_spec("people"), records_as_rows(entity_spec("people"), frame_records(frame)), "synthetic")
    if result.errors:
        raise RuntimeError("generated rows failed validation: " + "; ".join(map(str, result.errors[:5])))
    if output and output.suffix.lower() == ".csv":
        frame.to_csv(output, index=False, encoding="utf-8-sig")
    elif output:
        with progress_bar(len(result.records), "写入 / writing") as tick:
            write_workbook(output, "people", result.records, progress=tick)
    if output:
        print(f"已写入 / written: {output}")
    if args.load:
        store(_engine(args), result)
        print(f"已载入数据库 / loaded: {len(result.records)}")
        return _report(result)
    return EXIT_OK


def cmd_template(args) -> int:
    """An import template (an entity), a batch-evaluation workbook of a scheme (cases) or the budget caseload."""
    from care_services.spreadsheet import template_example, write_workbook

    output = _writable(args.output, (".xlsx",))
    if args.entity == "cases":
        from subsidy_rules.batch import write_cases_template

        if not args.scheme:
            raise UsageError("批量测算模板须用 --scheme 指明补贴项目（见 carecalc schemes）",
                             "the cases template needs --scheme SCHEME (see: carecalc schemes)")
        write_cases_template(output, _scheme(args.scheme))
    elif args.entity == "caseload":
        from subsidy_rules.budget_report import write_caseload_template

        write_caseload_template(output)
    else:
        write_workbook(output, args.entity, example=template_example(args.entity))
    print(f"模板已生成 / template written: {output}")
    return EXIT_OK


def _report(result, show: int = 50, report_path: str | None = None) -> int:
    """Print what was kept and what was rejected (and why); exit 2 if anything was rejected."""
    from care_services.spreadsheet import write_error_report

    print(result.summary())
    if result.ignored_headers:
        print("未识别的列（已忽略）/ columns not recognised (ignored): " + ", ".join(result.ignored_headers))
    for error in result.errors[:show]:
        print("  " + str(error), file=sys.stderr)
    if len(result.errors) > show:
        print(f"  …另有{len(result.errors) - show}处错误 / {len(result.errors) - show} more", file=sys.stderr)
    if result.errors and report_path:
        write_error_report(_writable(report_path, (".xlsx",)), result)
        print(f"错误报告 / error report: {report_path}")
    if result.errors:
        print("有错误的行未导入，其余行已导入 / rows with errors were not imported; all other rows were", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_import(args) -> int:
    from care_services.spreadsheet import read_workbook
    from care_services.store import store

    source = _existing_file(args.file)
    result = read_workbook(source, args.entity, engine=args.engine, sheet=args.sheet)
    if result.records:
        store(_engine(args), result)
    return _report(result, args.show, args.report)


def cmd_export(args) -> int:
    from sqlalchemy import select

    from care_services.db import session_scope
    from care_services.model import ENTITY_MODELS
    from care_services.spreadsheet import write_workbook

    output = _writable(args.output, (".xlsx",))
    if args.entity == "districts":  # the planning districts table `allocate --districts` reads
        from care_services.planning_export import planning_districts, write_districts

        with session_scope(_engine(args)) as session:
            frame = planning_districts(session, args.within)
        write_districts(output, frame)
        print(f"已导出{len(frame)}个区划 / exported {len(frame)} districts: {output}")
        return EXIT_OK
    model = ENTITY_MODELS[args.entity]
    with session_scope(_engine(args)) as session:
        rows = list(session.scalars(select(model)))
        with progress_bar(len(rows), "写入 / writing") as tick:
            write_workbook(output, args.entity, rows, progress=tick)
    print(f"已导出{len(rows)}行 / exported {len(rows)} rows: {output}")
    return EXIT_OK


def cmd_entities(args) -> int:
    from care_services.model import ENTITY_MODELS

    for name, model in ENTITY_MODELS.items():
        print(f"{name:24} {model.__title_zh__}")
    return EXIT_OK


def _parameters(args):
    """The shipped parameters, with any --scenario files (subsidy_rules/scenario.py) applied in memory."""
    return _scenario(args)[0]


def _scenario(args):
    """(parameters, the applied scenario or None): the --scenario files applied one on top of the other. A value
    below a 不低于 floor is kept (a what-if) and each one is announced on stderr at once, before any result."""
    from subsidy_rules import scenario as scenario_file
    from subsidy_rules.parameters import ParameterError, default_parameters

    base = parameters = default_parameters()
    names, changes = [], []
    for path in getattr(args, "scenario", None) or []:
        try:
            data = scenario_file.read(_existing_file(path), parameters)
            applied = scenario_file.apply(data, parameters)
        except (ParameterError, scenario_file.ScenarioError, TypeError, ValueError) as error:
            raise UsageError(f"方案文件有误：{path}（{error}）", f"bad scenario file {path}: {error}") from None
        parameters = applied.parameters
        names.append(applied.name)
        changes += applied.changes
    if not names:
        return parameters, None
    applied = scenario_file.AppliedScenario("、".join(names), base, parameters, tuple(changes))
    for flag in applied.below_floor():
        print(f"警告 / warning：{flag['text_zh']} / {flag['text_en']}", file=sys.stderr)
    return parameters, applied


def _check_jurisdiction(args) -> None:
    """--jurisdiction names a division carecalc knows (the bundled list, and the database's when there is one)."""
    from care_services.db_url import DATABASE_URL_VARIABLE, DEFAULT_DATABASE_PATH
    from care_services.identifiers import IdentifierError, bundled_division_codes, check_known_division

    if not args.jurisdiction:
        return
    known = set(bundled_division_codes())
    if args.database or os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_PATH.exists():
        from sqlalchemy import select

        from care_services.db import session_scope
        from care_services.model import Division

        with session_scope(_engine(args)) as session:
            known |= set(session.scalars(select(Division.code)))
    try:
        check_known_division(args.jurisdiction, known)
    except IdentifierError as error:
        raise UsageError(f"--jurisdiction：{error.reason_zh}", f"--jurisdiction: {error.reason_en}") from None


def _scheme(name: str):
    from subsidy_rules.engine import UnknownScheme, get_scheme

    try:
        return get_scheme(name)
    except UnknownScheme as error:  # a KeyError: its str() would quote the message
        raise UsageError(error.args[0] if error.args else name, "see: carecalc schemes") from None


def cmd_evaluate(args) -> int:
    import json

    from subsidy_rules.engine import FactError, evaluate

    scheme = _scheme(args.scheme)
    parameters, scenario = _scenario(args)
    _check_jurisdiction(args)
    if bool(args.facts) == bool(args.input):
        raise UsageError("请指定 --facts FILE.json 或 --input FILE.xlsx（二选一）", "give --facts FILE.json or --input FILE.xlsx")
    if args.facts:
        try:
            facts = json.loads(_existing_file(args.facts).read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise UsageError(f"JSON格式错误：{error}", f"not valid JSON: {error}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{args.facts}不是UTF-8编码的JSON文件；批量测算的工作簿请用 --input",
                             f"{args.facts} is not a UTF-8 JSON file; for a workbook of cases use --input") from None
        if not isinstance(facts, dict):
            raise UsageError("事实文件应为JSON对象", "the facts file must hold a JSON object")
        if not args.jurisdiction:
            raise UsageError("请用 --jurisdiction 指定行政区划代码", "give --jurisdiction CODE (e.g. 360902)")
        try:
            answer = evaluate(scheme.id, facts, date=args.date, jurisdiction=args.jurisdiction, parameters=parameters)
        except FactError as error:
            print(json.dumps({"fact_errors": error.errors}, ensure_ascii=False, indent=2))
            return EXIT_BAD_INPUT
        if scenario is not None:  # each changed value beside the document's, on stderr too for the reader
            scenario.mark_answer(answer)
            for mark in answer["scenario"]["changes"]:
                print(f"方案“{scenario.name}” / scenario：{mark['text_zh']}", file=sys.stderr)
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return EXIT_OK
    from subsidy_rules.batch import few_collections

    if not args.output:
        raise UsageError("批量测算需要 --output FILE.xlsx", "a batch needs --output FILE.xlsx")
    with few_collections():
        return _evaluate_workbook(args, scheme, parameters, scenario, _writable(args.output, (".xlsx",)))


def _evaluate_workbook(args, scheme, parameters, scenario, output) -> int:
    """``evaluate --input``: the workbook of cases read, evaluated in chunks, and the result workbook written."""
    from subsidy_rules.batch import evaluate_cases, read_cases, timed_phase, write_results

    timings: dict[str, list[float]] = {}
    try:
        with timed_phase(timings, "read"):
            cases = read_cases(_existing_file(args.input), scheme)
    except ValueError as error:
        raise UsageError(str(error), "check the header row") from None
    if "jurisdiction" not in cases and not args.jurisdiction:
        raise UsageError("请用 --jurisdiction 指定行政区划代码，或在表中加“行政区划代码”列",
                         "give --jurisdiction or a jurisdiction column")
    with progress_bar(len(cases), "测算 / evaluating", minimum=1) as tick:
        if args.dask or args.scheduler:  # the same evaluate_cases, on partitions spread over a Dask cluster
            from subsidy_rules.budget_command import cluster_client
            from subsidy_rules.distributed import evaluate_on_cluster

            with cluster_client(args) as client:
                results = evaluate_on_cluster(client, scheme.id, cases, date=args.date, jurisdiction=args.jurisdiction,
                                              parameters=parameters, progress=tick)
        else:
            results = evaluate_cases(scheme.id, cases, date=args.date, jurisdiction=args.jurisdiction,
                                     parameters=parameters, progress=tick, timings=timings)
    described = _batch_scenario(scenario, cases, args)
    with timed_phase(timings, "write"):
        write_results(output, scheme, cases, results, scenario=described)
    if args.timings:  # one line per phase: wall and CPU seconds, as bench/cli_round_trip.py reads them
        for phase, (wall, cpu) in timings.items():
            print(f"timing {phase} {wall:.3f} {cpu:.3f}", file=sys.stderr)
    for mark in (described or {}).get("changes", []):  # as the single answer does; the sheet 方案说明 lists them
        print(f"方案“{scenario.name}” / scenario：{mark['text_zh']}", file=sys.stderr)
    bad = int(results["fact_errors"].map(bool).sum()) if "fact_errors" in results else 0
    eligible = int(results["eligible"].eq(True).sum()) if len(results) else 0
    print(f"测算{len(cases)}行，符合{eligible}行，输入有误{bad}行 / {len(cases)} rows, {eligible} eligible, {bad} with bad facts")
    print(f"已写入 / written: {output}")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _batch_scenario(scenario, cases, args):
    """What the batch result's 方案说明 sheet shows: the changed values at the batch's places and dates."""
    if scenario is None:
        return None
    import pandas as pd

    places = cases.reindex(columns=["jurisdiction", "date"])
    jurisdictions = [str(j).strip() if j is not None and j == j else args.jurisdiction
                     for j in places["jurisdiction"].astype(object).tolist()]
    dates = [d.date() if d == d else args.date or dt.date.today()
             for d in pd.to_datetime(places["date"], errors="coerce").tolist()]
    return scenario.describe(sorted({(j, d) for j, d in zip(jurisdictions, dates) if j}))


def cmd_schemes(args) -> int:
    import json

    from subsidy_rules.engine import all_schemes
    from subsidy_rules.parameters import default_parameters

    parameters = default_parameters()
    listing = []
    for scheme in all_schemes():
        described = scheme.describe()
        described["parameters"] = [
            p.as_dict() for (name, _), p in sorted(parameters.parameters.items()) if name.split(".")[0] == scheme.id
        ]
        listing.append(described)
    if args.json:
        print(json.dumps(listing, ensure_ascii=False, indent=2))
        return EXIT_OK
    for scheme in listing:
        payers = "、".join(p["zh"] for p in scheme["payers"])
        print(f"{scheme['id']}  {scheme['title_zh']} / {scheme['title_en']}  [{scheme['unit']}, {scheme['period']}]  "
              f"{scheme['source']}  出资：{payers}")
        for item in scheme["facts"]:
            choices = f" ({'/'.join(item['choices'])})" if item["choices"] else ""
            print(f"    fact  {item['name']:28} {item['type']:8} {item['zh']}{choices}")
        for item in scheme["parameters"]:
            values = ", ".join(f"{d}: {v}" for d, v in item["values"].items())
            print(f"    param {item['name']} @{item['jurisdiction']} [{item['kind']}, {item['unit']}] {values}")
        print()
    return EXIT_OK


def cmd_test(args) -> int:
    from subsidy_rules.case_files import CaseFileError, report, run_files

    try:
        outcomes = run_files(_existing_file(path) for path in args.files)
    except CaseFileError as error:
        raise UsageError(str(error), "see subsidy_rules/README.md (test files)") from None
    print(report(outcomes))
    return EXIT_OK if all(o.passed for o in outcomes) else EXIT_FAILURE


def cmd_serve(args) -> int:
    """waitress (one process, threads), or with --workers N granian's N processes of threads."""
    if args.workers < 1 or args.job_workers < 0 or args.threads < 1:
        raise UsageError("--workers、--threads 至少为1，--job-workers 不能为负数",
                         "--workers and --threads must be ≥ 1, --job-workers ≥ 0")
    os.environ["CARECALC_JOB_WORKERS"] = str(args.job_workers)  # read by create_app in every web process
    if args.workers > 1:
        return _serve_processes(args)
    from waitress.server import create_server

    from web import create_app

    app = create_app({"DATABASE_URL": args.database})
    try:  # bind first: a busy port is said before anything claims to be serving
        server = create_server(app, host=args.host, port=args.port, threads=args.threads)
    except OSError as error:
        raise _port_refused(args, error) from None
    print(f"carecalc 正在运行 / serving on http://{args.host}:{server.effective_port}", flush=True)
    server.run()
    return EXIT_OK


def _port_refused(args, error: OSError) -> UsageError:
    """A port that cannot be served on (busy, or an address this host does not have), said in both languages."""
    return UsageError(f"无法在{args.host}:{args.port}上启动：端口已被占用或地址不可用（{error.strerror}），"
                      f"请用 --port 换一个端口",
                      f"cannot serve on {args.host}:{args.port}: {error.strerror}; choose another --port")


def _serve_processes(args) -> int:
    """``args.workers`` web processes of ``args.threads`` request threads each, under granian (HTTP parsed in Rust,
    outside the GIL): on the same cores it spends half the CPU of gunicorn's gthread workers on a light request and
    less on an evaluation (bench/web_load.py --server gunicorn). Each process builds its own app
    (database pool, batcher, job threads) from the environment: web:create_app as a factory."""
    import socket

    from care_services.db import database_url

    url = database_url(args.database)
    if url.startswith("sqlite"):
        print("提示：多个网页进程共用SQLite只适合试用，生产环境请用PostgreSQL / note: several web processes on "
              "SQLite are for trials; use PostgreSQL in production", file=sys.stderr)
    try:
        from granian import Granian
    except ImportError:
        raise UsageError("多进程需要granian：pip install granian；或用单进程（不加 --workers）",
                         "--workers needs granian (pip install granian); or serve one process") from None
    with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: refused only if listened on
        try:  # a busy port is said before anything claims to be serving (granian would only log it)
            probe.bind((args.host, args.port))
        except OSError as error:
            raise _port_refused(args, error) from None
    open_database(args.database).dispose()  # migrate once, before the processes start
    os.environ["CARECALC_DATABASE_URL"] = url  # every process opens the same database
    print(f"carecalc 正在运行 / serving on http://{args.host}:{args.port} ({args.workers} processes)", flush=True)
    # blocking threads: each request (a long ?wait= poll too) holds one while the app works, as a thread would
    Granian("web:create_app", factory=True, interface="wsgi", address=args.host, port=args.port,
            workers=args.workers, blocking_threads=args.threads, websockets=False, log_access=False,
            respawn_failed_workers=True, workers_kill_timeout=30).serve()
    return EXIT_OK


def cmd_worker(args) -> int:
    """Run budget and planning jobs from the database until stopped (SIGTERM/Ctrl-C: the running ones finish)."""
    import signal

    from web.jobs import JobQueue, Worker

    if args.threads < 1:
        raise UsageError("--threads 至少为1", "--threads must be at least 1")
    queue = JobQueue(open_database(args.database), lease_seconds=args.lease)
    worker = Worker(queue, args.threads).start()

    def stop(_signal, _frame):
        print("正在停止：运行中的任务完成后退出 / stopping once the running jobs finish", flush=True)
        worker.stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"carecalc 任务进程已启动 / job worker {worker.name} running {args.threads} at a time", flush=True)
    worker.join()
    return EXIT_OK


# ------------------------------------------------------------------------------------------------------ parser


class progress_bar:
    """A one-line progress bar on stderr for long writes; silent for short ones."""

    def __init__(self, total: int, label: str, minimum: int = 2000):
        self.total, self.label, self.enabled = total, label, total >= minimum
        self.last_percent = -1

    def __enter__(self) -> Callable[[int], None]:
        return self.update

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        percent = int(100 * done / self.total)
        step = 1 if sys.stderr.isatty() else 10  # a log file gets one line per tenth, a terminal redraws
        if percent // step != self.last_percent // step:
            self.last_percent = percent
            bar = "#" * (percent // 4)
            end = "\r" if sys.stderr.isatty() else "\n"
            print(f"{self.label} [{bar:<25}] {percent:3d}% ({done}/{self.total})", end=end, file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self.enabled and sys.stderr.isatty():
            print(file=sys.stderr)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为YYYY-MM-DD / expected YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from care_services.spreadsheet import DEFAULT_READ_ENGINE, READ_ENGINES

    parser = argparse.ArgumentParser(
        prog="carecalc",
        description="carecalc：“一老一小”补贴测算、资格审核、预算与设施规划 / "
        "subsidies, eligibility, budgets and facility planning for elderly care and childcare",
    )
    parser.add_argument("--version", action="version", version=f"carecalc {__version__}")
    parser.add_argument(
        "--database", metavar="URL", default=None,
        help="SQLAlchemy URL (default: $CARECALC_DATABASE_URL or sqlite:///instance/carecalc.sqlite3)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    entities = list(ENTITIES)  # the names only: the parser imports no SQLAlchemy (start-up of `evaluate`)

    db = commands.add_parser("db", help="数据库 / database").add_subparsers(dest="db_command", metavar="ACTION")
    db.add_parser("init", help="创建数据表 / create the tables").set_defaults(handler=cmd_db_init)
    db.add_parser("upgrade", help="升级数据库结构到最新版本（Alembic） / migrate the schema to the newest revision"
                  ).set_defaults(handler=cmd_db_init)

    sample = commands.add_parser("sample", help="示例数据 / sample data").add_subparsers(dest="sample_command", metavar="ACTION")
    sample.add_parser("load", help="载入示例数据 / load the bundled sample data").set_defaults(handler=cmd_sample_load)
    generate = sample.add_parser("generate", help="生成合成申请人 / generate synthetic applicants")
    generate.add_argument("--people", type=int, required=True, help="how many")
    generate.add_argument("--seed", type=int, default=0, help="random seed (same seed, same people)")
    generate.add_argument("--city", action="append", default=None, metavar="PREFIX",
                          help="4-digit city code prefix, repeatable (default 3609 宜春)")
    generate.add_argument("--as-of", type=_iso_date, default=dt.date(2025, 1, 1), help="reference date for ages")
    generate.add_argument("--output", help="FILE.xlsx or FILE.csv")
    generate.add_argument("--load", action="store_true", help="also store them in the database")
    generate.set_defaults(handler=cmd_sample_generate)

    template = commands.add_parser("template", help="下载导入模板 / write an import template")
    template.add_argument("entity", choices=(*entities, "cases", "caseload"),
                          help="数据类别；cases：某补贴项目的批量测算表（--scheme）；caseload：预算测算的在册对象表")
    template.add_argument("--scheme", help="cases 模板的补贴项目 / the scheme of a cases template")
    template.add_argument("--output", required=True, help="FILE.xlsx")
    template.set_defaults(handler=cmd_template)

    importer = commands.add_parser("import", help="从Excel导入 / import from a workbook")
    importer.add_argument("entity", choices=entities)
    importer.add_argument("file")
    importer.add_argument("--sheet", help="sheet name (default: the entity's Chinese title, else the first)")
    importer.add_argument("--engine", choices=READ_ENGINES, default=DEFAULT_READ_ENGINE)
    importer.add_argument("--report", help="write the rejected cells to this .xlsx")
    importer.add_argument("--show", type=int, default=50, help="how many errors to print")
    importer.set_defaults(handler=cmd_import)

    exporter = commands.add_parser("export", help="导出为Excel / export to a workbook")
    exporter.add_argument("entity", choices=(*entities, "districts"),
                          help="数据类别；districts：规划用区划表（人口和现有供给，供 allocate --districts）")
    exporter.add_argument("--within", help="districts：只导出该市（如360400）所辖县 / only the counties of this city")
    exporter.add_argument("--output", required=True, help="FILE.xlsx")
    exporter.set_defaults(handler=cmd_export)

    commands.add_parser("entities", help="数据类别 / list the entities").set_defaults(handler=cmd_entities)

    evaluate = commands.add_parser("evaluate", help="补贴测算 / evaluate a scheme for one case or a workbook of cases")
    evaluate.add_argument("scheme", help="scheme id (see: carecalc schemes)")
    evaluate.add_argument("--facts", help="one case: FILE.json with the facts")
    evaluate.add_argument("--input", help="a batch: FILE.xlsx, one case per row")
    evaluate.add_argument("--output", help="the batch result FILE.xlsx")
    evaluate.add_argument("--date", type=_iso_date, default=None, help="evaluation date (default today)")
    evaluate.add_argument("--jurisdiction", help="county code, e.g. 360902 (or a column in the workbook)")
    evaluate.add_argument("--scenario", action="append", metavar="FILE.yaml", help="reform: parameter overrides")
    evaluate.add_argument("--timings", action="store_true",
                          help="print each phase's seconds (read, evaluate, explain, write) on stderr (bench/)")
    from subsidy_rules.budget_command import add_cluster_arguments

    add_cluster_arguments(evaluate)
    evaluate.set_defaults(handler=cmd_evaluate)

    schemes = commands.add_parser("schemes", help="补贴项目、事实和参数 / list schemes, their facts and parameters")
    schemes.add_argument("--json", action="store_true")
    schemes.set_defaults(handler=cmd_schemes)

    tester = commands.add_parser("test", help="运行政策测试用例文件 / run test files (YAML or .xlsx) of cases and expected answers")
    tester.add_argument("files", nargs="+", metavar="FILE", help="FILE.yaml or FILE.xlsx")
    tester.set_defaults(handler=cmd_test)

    from allocator.command import add_parser as add_allocate
    from care_services.admin_command import add_parser as add_admin
    from care_services.roster_command import add_parser as add_roster
    from subsidy_rules.budget_command import add_parser as add_budget

    add_allocate(commands)
    add_budget(commands)
    add_admin(commands)
    add_roster(commands)

    serve = commands.add_parser("serve", help="启动网页服务 / serve the web app (waitress; granian with --workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--threads", type=int, default=16,
                       help="请求线程数；并发的测算请求会合并计算 / request threads; concurrent evaluations are computed together")
    serve.add_argument("--workers", type=int, default=1,
                       help="网页进程数（>1时用granian，需PostgreSQL） / web processes (granian when > 1; use PostgreSQL)")
    serve.add_argument("--job-workers", type=int, default=int(os.environ.get("CARECALC_JOB_WORKERS", 2)),
                       help="每个网页进程内运行任务的线程数；0表示由carecalc worker运行 / job threads in each web process "
                            "(0: leave the jobs to `carecalc worker`)")
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="运行预算和规划任务 / run budget and planning jobs from the database")
    worker.add_argument("--threads", type=int, default=2, help="同时运行的任务数 / jobs run at once")
    worker.add_argument("--lease", type=float, default=30.0,
                        help="秒；进程失联这么久后其任务重新排队 / seconds after which a silent worker's job is queued again")
    worker.set_defaults(handler=cmd_worker)
    return parser


PRIVATE_UMASK = 0o077  # what carecalc writes (the database, its journal, exports, backups) only its owner reads


def main(argv: list[str] | None = None) -> int:
    from care_services import log_privacy

    log_privacy.install()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT if args.command else EXIT_OK
    umask = os.umask(PRIVATE_UMASK)
    try:
        return _run(handler, args)
    finally:
        os.umask(umask)


def _run(handler, args) -> int:
    from care_services.log_privacy import redact
    from care_services.upload_limits import UploadTooLarge

    try:
        return handler(args)
    except UploadTooLarge as error:
        print(f"错误 / error: {error.reason_zh}\n{error.reason_en}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as error:
        print(f"错误 / error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `carecalc schemes | head`: the reader left, nothing to report
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # never a traceback for users; developers can ask for one
        if _schema_mismatch(error):
            print(f"错误 / error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if os.environ.get("CARECALC_DEBUG"):
            raise
        print(f"内部错误 / internal error: {type(error).__name__}: {redact(str(error))}", file=sys.stderr)
        return EXIT_FAILURE


def _schema_mismatch(error: Exception) -> bool:
    """A database made by another version of carecalc (bad input, exit 2). Only a command that opened a database
    can raise it, and that command has imported care_services.db: the others never import SQLAlchemy for this."""
    database = sys.modules.get("care_services.db")
    return database is not None and isinstance(error, database.SchemaMismatch)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
