"""Administrators' commands: `carecalc users`, `payroll`, `notice`, `backup`, `restore`.

Bad input exits with code 2 and a message in Chinese and English naming the field, as every carecalc command.
"""

from __future__ import annotations

import getpass
import json
import sys

from care_services.cli_common import EXIT_OK, UsageError, existing_file, open_database, writable


def _refused(error) -> UsageError:
    """InputError / WorkflowError / BackupError as the command line's bad-input error."""
    errors = getattr(error, "errors", None)
    if errors:
        return UsageError("；".join(f"{name}：{e['reason_zh']}" for name, e in errors.items()),
                          "; ".join(f"{name}: {e['reason_en']}" for name, e in errors.items()))
    return UsageError(error.zh, error.en)


def _read_password(from_stdin: bool) -> str:
    """From one line of stdin (scripts), else asked twice without echo. Never an argument: it would show in `ps`."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("请在终端中输入密码，或使用 --password-stdin", "type the password at a terminal or use --password-stdin")
    password = getpass.getpass("密码 / password: ")
    if getpass.getpass("再次输入 / again: ") != password:
        raise UsageError("两次输入的密码不一致", "the two passwords differ")
    return password


def cmd_users_add(args) -> int:
    from care_services.accounts import InputError, create_user
    from care_services.db import session_scope

    password = _read_password(args.password_stdin)
    try:
        with session_scope(open_database(args.database)) as session:
            user = create_user(session, args.username, password, args.role, args.jurisdiction, args.name,
                               created_by=f"cli:{getpass.getuser()}")
            print(f"已创建用户 / created: {user.username}（{args.role}，{args.jurisdiction}）")
    except InputError as error:
        raise _refused(error) from None
    return EXIT_OK


def cmd_users_list(args) -> int:
    from sqlalchemy import select

    from care_services.db import session_scope
    from care_services.model import User
    from subsidy_rules.workflow import ROLES

    with session_scope(open_database(args.database)) as session:
        users = [{"username": u.username, "name": u.display_name, "role": u.role, "jurisdiction": u.jurisdiction_code,
                  "active": u.active} for u in session.scalars(select(User).order_by(User.username))]
    if args.json:
        print(json.dumps(users, ensure_ascii=False, indent=2))
        return EXIT_OK
    for user in users:
        state = "" if user["active"] else "  （已停用 / disabled）"
        print(f"{user['username']:20} {user['name']:12} {ROLES[user['role']]}（{user['role']}） {user['jurisdiction']}{state}")
    return EXIT_OK


def cmd_payroll(args) -> int:
    from sqlalchemy import select

    from care_services import payroll
    from care_services.accounts import InputError
    from care_services.db import session_scope
    from care_services.model import User
    from subsidy_rules.workflow import WorkflowError

    output = writable(args.output, (".xlsx",))
    if (args.close or args.bank) and not args.by:
        raise UsageError("关账或导出银行代发清单须用 --by 指明办理人（财政审批人员的用户名）",
                         "closing or the bank list needs --by USERNAME (a finance approver)")
    try:
        with session_scope(open_database(args.database)) as session:
            roll = payroll.generate(session, args.month, args.jurisdiction, by=f"cli:{getpass.getuser()}")
            user = session.scalar(select(User).where(User.username == args.by)) if args.by else None
            if args.by and user is None:
                raise UsageError(f"用户{args.by}不存在", f"no user {args.by}")
            if args.close:
                payroll.close(session, args.month, args.jurisdiction, user)
            division = payroll.check_jurisdiction(session, args.jurisdiction)
            bank = payroll.bank_details(session, roll, user) if args.bank else None
            payroll.write_roll(output, roll, division.name, bank=bank)
    except (InputError, WorkflowError) as error:
        raise _refused(error) from None
    header = roll.header
    state = "已生成 / generated" if roll.written else "与已保存名册相同，未改动 / unchanged"
    if header.status == "closed":
        state = "已关账 / closed"
    print(f"{args.month} {division.name}：{header.recipients}人，合计{header.total:,.2f}元（{state}）")
    print(f"已写入 / written: {output}")
    problems = [line for line in roll.lines if line["problem"]]
    for line in problems:
        print(f"  待核查 / review: 申请{line['case_id']} {line['problem']}", file=sys.stderr)
    if roll.differences:
        print(f"注意：该月已关账，名册未改动；当前数据与名册有{len(roll.differences)}处不同（见“关账后变动”表），"
              f"请在后续月份补发或追回 / the month is closed and its roll unchanged; today's data differ for "
              f"{len(roll.differences)} cases (sheet 关账后变动)", file=sys.stderr)
    return EXIT_OK


def cmd_notice(args) -> int:
    from care_services import notice
    from care_services.accounts import InputError
    from care_services.db import session_scope

    output = writable(args.output, (".html", ".xlsx"))
    try:
        with session_scope(open_database(args.database)) as session:
            if output.suffix.lower() == ".html":
                page = notice.render_html(session, args.jurisdiction, args.community)
                output.write_text(page, encoding="utf-8")
                count = len(notice.notice_rows(session, args.jurisdiction, args.community))
            else:
                count = notice.write_xlsx(output, session, args.jurisdiction, args.community)
    except InputError as error:
        raise _refused(error) from None
    print(f"公示名单{count}人 / {count} on the notice: {output}")
    return EXIT_OK


def cmd_backup(args) -> int:
    from care_services.backup import backup

    target = writable(args.file, (".zip",))
    manifest = backup(open_database(args.database), target,
                      progress=lambda line: print(f"  {line}", file=sys.stderr))
    rows = sum(table["rows"] for table in manifest["tables"].values())
    print(f"已备份{len(manifest['tables'])}张表、{rows}行（结构版本{manifest['revision']}） / backed up {rows} rows: {target}")
    print("备份含个人信息，请妥善保管 / the backup holds personal data: keep it safe", file=sys.stderr)
    return EXIT_OK


def cmd_restore(args) -> int:
    from care_services.backup import BackupError, restore
    from care_services.db import make_engine

    source = existing_file(args.file)
    try:
        manifest = restore(make_engine(args.database), source, replace=args.replace,
                           progress=lambda line: print(f"  {line}", file=sys.stderr))
    except BackupError as error:
        raise _refused(error) from None
    rows = sum(table["rows"] for table in manifest["tables"].values())
    print(f"已恢复{rows}行（备份时间{manifest['created_at']}） / restored {rows} rows from {source}")
    return EXIT_OK


def add_parser(commands) -> None:
    from subsidy_rules.workflow import ROLES

    users = commands.add_parser("users", help="用户管理 / staff accounts").add_subparsers(dest="users_command",
                                                                                       metavar="ACTION")
    add = users.add_parser("add", help="新建用户（密码加盐哈希保存） / add a user (the password is stored hashed)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=list(ROLES), help="角色 / role")
    add.add_argument("--jurisdiction", required=True, help="辖区行政区划代码，如360902 / division code")
    add.add_argument("--name", help="姓名 / display name")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读取一行作为密码 / read the password from stdin")
    add.set_defaults(handler=cmd_users_add)
    listing = users.add_parser("list", help="列出用户 / list users")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_users_list)

    roll = commands.add_parser("payroll", help="月度发放名册 / the monthly payment roll")
    roll.add_argument("month", help="YYYY-MM")
    roll.add_argument("--jurisdiction", required=True, help="行政区划代码 / division code")
    roll.add_argument("--output", required=True, help="FILE.xlsx")
    roll.add_argument("--close", action="store_true", help="生成后关账（此后不可更改） / close the month after generating")
    roll.add_argument("--by", help="关账或导出银行清单的财政人员用户名 / who closes or exports (a finance approver)")
    roll.add_argument("--bank", action="store_true",
                      help="银行代发清单（完整账号和身份证号，仅财政，记入审计日志） / the bank list: full accounts and "
                           "ID numbers, finance only, audited")
    roll.set_defaults(handler=cmd_payroll)

    notice = commands.add_parser("notice", help="公示名单（姓名脱敏） / the public notice, names masked")
    notice.add_argument("--jurisdiction", required=True, help="乡镇或县的区划代码 / township or county code")
    notice.add_argument("--community", help="村（社区）名称 / village or community")
    notice.add_argument("--output", required=True, help="FILE.html 或 FILE.xlsx")
    notice.set_defaults(handler=cmd_notice)

    backup = commands.add_parser("backup", help="备份数据库 / back the database up to a zip file")
    backup.add_argument("file", help="FILE.zip")
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser("restore", help="从备份恢复 / restore a backup")
    restore.add_argument("file", help="FILE.zip")
    restore.add_argument("--replace", action="store_true", help="覆盖已有数据 / overwrite a database that holds data")
    restore.set_defaults(handler=cmd_restore)

