"""`carecalc roster import` and `carecalc roster check`: other departments' lists, and the check before a roll.

Bad input exits with code 2 and a message in Chinese and English naming the field, as every carecalc command.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json

from care_services.admin_command import _refused
from care_services.cli_common import EXIT_OK, UsageError, existing_file, open_database


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise UsageError(f"日期格式应为YYYY-MM-DD：{text}", f"a date is written YYYY-MM-DD: {text}") from None


def cmd_roster_import(args) -> int:
    from care_services import rosters
    from care_services.accounts import InputError
    from care_services.db import session_scope

    path = existing_file(args.file)
    try:
        with session_scope(open_database(args.database)) as session:
            record = rosters.import_roster(session, args.roster, path, source_department=args.department,
                                           source_date=_date(args.date), jurisdiction=args.jurisdiction,
                                           by=f"cli:{getpass.getuser()}")
            rows, imported = record.rows, record.id
    except InputError as error:
        raise _refused(error) from None
    print(f"已导入{rosters.ROSTERS[args.roster].zh}（{args.department}，{args.date}）：{rows}人，导入编号{imported} / "
          f"imported {rows} people (import {imported})")
    return EXIT_OK


def cmd_roster_check(args) -> int:
    from care_services import rosters
    from care_services.accounts import InputError
    from care_services.db import session_scope
    from subsidy_rules.overrides import effective_parameters

    try:
        with session_scope(open_database(args.database)) as session:
            findings = rosters.findings_before_roll(session, args.jurisdiction, args.month, effective_parameters(session))
            year, month = int(args.month[:4]), int(args.month[5:7])
            status = rosters.roster_status(session, args.jurisdiction, rosters.month_end(year, month))
    except InputError as error:
        raise _refused(error) from None
    if args.json:
        print(json.dumps({"findings": [f.as_dict() for f in findings], "rosters": status}, ensure_ascii=False, indent=2))
        return EXIT_OK
    for line in status:
        given = f"{line['source_department']}，截至{line['source_date']}" if line["source_date"] else "尚未导入，无法核查"
        print(f"{line['roster_zh']}：{given}")
    if not findings:
        print(f"{args.month}在册对象与名册一致 / no recipient is contradicted by the rosters")
    for finding in findings:
        print(f"申请{finding.case_id}：{finding.text_zh}；依据：{finding.clause}；退出原因：{finding.exit_reason}")
    return EXIT_OK


def add_parser(commands) -> None:
    from care_services.roster_kinds import ROSTERS

    roster = commands.add_parser("roster", help="低保、监测、死亡、特困名册核查 / other departments' rosters") \
        .add_subparsers(dest="roster_command", metavar="ACTION")
    load = roster.add_parser("import", help="导入名册（身份证号和日期） / import a roster of ID numbers and dates")
    load.add_argument("roster", choices=list(ROSTERS), help="、".join(f"{r.id}={r.zh}" for r in ROSTERS.values()))
    load.add_argument("file", help="FILE.xlsx")
    load.add_argument("--department", required=True, help="提供名册的部门 / the department that supplied it")
    load.add_argument("--date", required=True, help="名册截至日期 YYYY-MM-DD / the date the list is as of")
    load.add_argument("--jurisdiction", required=True, help="名册覆盖的行政区划代码 / the division it covers")
    load.set_defaults(handler=cmd_roster_import)
    check = roster.add_parser("check", help="发放前核查在册对象 / check the recipients of a month against the rosters")
    check.add_argument("--jurisdiction", required=True, help="行政区划代码 / division code")
    check.add_argument("--month", required=True, help="YYYY-MM")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=cmd_roster_check)
