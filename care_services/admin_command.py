"""Administrators' commands: `carecalc users`, `payroll`, `notice`, `backup`, `restore`, `audit verify`.

Bad input exits with code 2 and a message in Chinese and English naming the field, as every carecalc command;
`audit verify` exits 1 when the audit trail does not verify.
"""

from __future__ import annotations

import getpass
import json
import sys

from care_services.cli_common import EXIT_FAILURE, EXIT_OK, UsageError, existing_file, open_database, writable


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


def _account_change(args, change) -> int:
    """Apply ``change(session, user, by)`` to the user named by args.username; bad names exit 2."""
    from care_services.accounts import InputError, find_user
    from care_services.db import session_scope

    try:
        with session_scope(open_database(args.database)) as session:
            print(change(session, find_user(session, args.username), f"cli:{getpass.getuser()}"))
    except InputError as error:
        raise _refused(error) from None
    return EXIT_OK


def cmd_users_unlock(args) -> int:
    from care_services.accounts import unlock

    return _account_change(args, lambda session, user, by: (
        f"已解除{user.username}的登录锁定 / unlocked {user.username}" if unlock(session, user, by=by)
        else f"{user.username}未被锁定 / {user.username} was not locked"))


def cmd_users_disable(args) -> int:
    from care_services.accounts import set_active

    return _account_change(args, lambda session, user, by: (
        f"已停用{user.username}，结束会话{set_active(session, user, False, by=by)}个 / disabled {user.username}"))


def cmd_users_enable(args) -> int:
    from care_services.accounts import set_active

    def enable(session, user, by) -> str:
        set_active(session, user, True, by=by)
        return f"已启用{user.username} / enabled {user.username}"

    return _account_change(args, enable)


def cmd_users_passwd(args) -> int:
    from care_services.accounts import change_password

    password = _read_password(args.password_stdin)
    return _account_change(args, lambda session, user, by: (
        f"已修改{user.username}的密码，结束会话{change_password(session, user, password, by=by)}个 / "
        f"password changed; the user's sessions ended"))


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
            result = payroll.generate(session, args.month, args.jurisdiction, by=f"cli:{getpass.getuser()}")
            user = session.scalar(select(User).where(User.username == args.by)) if args.by else None
            if args.by and user is None:
                raise UsageError(f"用户{args.by}不存在", f"no user {args.by}")
            if args.close:
                payroll.close(session, args.month, args.jurisdiction, user)
                written = result.written if isinstance(result, payroll.Roll) else False
                result = payroll.read(session, args.month, args.jurisdiction)
                if isinstance(result, payroll.Roll):
                    result.written = written
            if args.bank and not isinstance(result, payroll.Roll):
                raise UsageError("银行代发清单按县（市、区）名册导出", "the bank list is exported per county roll")
            bank = payroll.bank_details(session, result, user) if args.bank else None
            payroll.write(output, result, session, bank=bank)
            division = payroll.check_jurisdiction(session, args.jurisdiction)
    except (InputError, WorkflowError) as error:
        raise _refused(error) from None
    rolls = result.rolls if isinstance(result, payroll.Summary) else [result]
    if isinstance(result, payroll.Summary):
        print(f"{args.month} {division.name}（各县名册汇总 / summary of the county rolls）："
              f"{result.recipients}人，合计{result.total:,.2f}元")
    for roll in rolls:
        header = roll.header
        state = "已生成 / generated" if roll.written else "与已保存名册相同，未改动 / unchanged"
        if header.status == "closed":
            state = "已关账 / closed"
        print(f"{args.month} {header.jurisdiction_code}：{header.recipients}人，合计{roll.total:,.2f}元（{state}）"
              + (f"，含追回{len(roll.corrections)}笔 / {len(roll.corrections)} recoveries" if roll.corrections else ""))
        for line in roll.lines:
            if line["problem"]:
                print(f"  待核查 / review: 申请{line['case_id']} {line['problem']}", file=sys.stderr)
        if roll.differences:
            print(f"注意：{header.jurisdiction_code}该月已关账，名册未改动；当前数据与名册有{len(roll.differences)}处不同"
                  f"（见“关账后变动”表），请在后续月份补发或追回 / the month is closed and its roll unchanged; today's "
                  f"data differ for {len(roll.differences)} cases (sheet 关账后变动)", file=sys.stderr)
    print(f"已写入 / written: {output}")
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


def _backup_key(args, *, create: bool) -> bytes | None:
    from care_services.backup import BackupError, key_file, load_key

    if args.key_file:
        existing_file(args.key_file)
    try:
        return load_key(args.key_file, create=create)
    except BackupError as error:
        raise _refused(error) from None
    finally:
        if create and not args.key_file:
            print(f"备份签名密钥 / signing key: {key_file()}（请另行妥善保存，恢复到其他实例时需要 / keep a copy: "
                  "restoring on another instance needs it）", file=sys.stderr)


def cmd_backup(args) -> int:
    from care_services.backup import backup, key_id

    target = writable(args.file, (".zip",))
    key = _backup_key(args, create=True)
    manifest = backup(open_database(args.database), target, key=key,
                      progress=lambda line: print(f"  {line}", file=sys.stderr))
    rows = sum(table["rows"] for table in manifest["tables"].values())
    print(f"已备份{len(manifest['tables'])}张表、{rows}行（结构版本{manifest['revision']}，已签名，密钥标识{key_id(key)}） / "
          f"backed up {rows} rows, signed with key {key_id(key)}: {target}")
    print("备份含个人信息，请妥善保管 / the backup holds personal data: keep it safe", file=sys.stderr)
    return EXIT_OK


def cmd_restore(args) -> int:
    from care_services.backup import BackupError, restore
    from care_services.db import make_engine

    source = existing_file(args.file)
    key = _backup_key(args, create=False)
    try:
        manifest = restore(make_engine(args.database), source, replace=args.replace, key=key,
                           trust_unsigned=args.trust_unsigned,
                           progress=lambda line: print(f"  {line}", file=sys.stderr))
    except BackupError as error:
        raise _refused(error) from None
    rows = sum(table["rows"] for table in manifest["tables"].values())
    if not manifest["signed"]:
        print("警告：备份未签名或签名不符，按 --trust-unsigned 恢复 / warning: restored without a valid signature "
              "(--trust-unsigned)", file=sys.stderr)
    print(f"已恢复{rows}行（备份时间{manifest['created_at']}），审计日志校验通过 / restored {rows} rows from {source}; "
          "the audit chain verifies")
    return EXIT_OK


def cmd_audit_verify(args) -> int:
    from care_services import audit

    engine = open_database(args.database)
    with engine.connect() as connection:
        result = audit.verify(connection)
    if result.problem is not None:
        print(f"审计日志校验失败 / the audit trail does not verify: {result.problem}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"审计日志完整：{result.entries}条，链头校验值{result.head_hash} / "
          f"the audit trail is intact: {result.entries} entries, head hash {result.head_hash}")
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
    for name, handler, text in (
            ("unlock", cmd_users_unlock, "解除密码错误过多造成的登录锁定 / lift the lockout after repeated wrong passwords"),
            ("disable", cmd_users_disable, "停用账号并结束其全部会话 / disable an account and end all its sessions"),
            ("enable", cmd_users_enable, "重新启用账号 / enable an account again")):
        command = users.add_parser(name, help=text)
        command.add_argument("username")
        command.set_defaults(handler=handler)
    passwd = users.add_parser("passwd", help="重设密码并结束该用户全部会话 / set a new password; ends the user's sessions")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true", help="从标准输入读取一行作为密码 / read the password from stdin")
    passwd.set_defaults(handler=cmd_users_passwd)
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

    key_help = ("签名密钥文件（默认 instance/backup.key，或 $CARECALC_BACKUP_KEY_FILE） / the signing key's file "
                "(default instance/backup.key or $CARECALC_BACKUP_KEY_FILE)")
    backup = commands.add_parser("backup", help="备份数据库（签名，文件权限0600） / back the database up to a signed zip "
                                 "file (mode 0600)")
    backup.add_argument("file", help="FILE.zip")
    backup.add_argument("--key-file", help=key_help)
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser("restore", help="从备份恢复（核对签名和审计日志） / restore a backup (its signature "
                                  "and audit chain checked)")
    restore.add_argument("file", help="FILE.zip")
    restore.add_argument("--replace", action="store_true", help="覆盖已有数据 / overwrite a database that holds data")
    restore.add_argument("--key-file", help=key_help)
    restore.add_argument("--trust-unsigned", action="store_true",
                         help="恢复未签名或签名不符的备份（审计日志仍须校验通过） / restore a file without a valid "
                              "signature (the audit chain must still verify)")
    restore.set_defaults(handler=cmd_restore)

    audit = commands.add_parser("audit", help="审计日志 / the audit trail").add_subparsers(dest="audit_command",
                                                                                    metavar="ACTION")
    audit.add_parser("verify", help="校验审计日志的哈希链（被改写、删除或插入的第一条；失败时退出码1） / verify the "
                     "audit chain (the first entry rewritten, removed or inserted; exit 1 if it fails)"
                     ).set_defaults(handler=cmd_audit_verify)
