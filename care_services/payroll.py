"""The monthly payment roll (发放名册) of 照护和托养补贴 for a jurisdiction.

Who is on it: every case of the jurisdiction paid in that month under subsidy_rules.workflow — from the month
after approval (“发放日期从审批之日的下个月算起”) to the month of the exit. How much: the rules engine on the whole
roll at once (one frame, the same code as a single evaluation), on the 1st of the month, split into the person's
integrated funds (统筹整合) and the finance fallback (财政兜底). Who is paid: the carer (居家照护) or the
institution (日间照料, 机构托养) named in the 《审批表》, with the account masked but for its last four digits.

A roll is stored when generated. Generating it again gives the same lines (the digest shows it) and writes nothing;
a draft whose data changed is replaced, with an audit entry. Once closed, a roll is never rewritten: generating it
again returns the stored lines and lists where today's data would differ, for a correction in a later month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from care_services import vocabulary as v
from care_services.accounts import InputError, problem
from care_services.casework import SCHEME, as_workflow_case, evaluate_cases, in_division
from care_services.identifiers import within
from care_services.model import AuditEntry, CareCase, Division, PayrollLine, PayrollMonth, User
from care_services.privacy import mask_account
from care_services.workbook import round_fen
from subsidy_rules import workflow as wf
from subsidy_rules.overrides import effective_parameters
from subsidy_rules.parameters import ParameterSet

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LINE_FIELDS = ("case_id", "person_name", "division_code", "township_name", "community_name", "requested_service",
               "payee", "bank_name", "account_masked", "amount", "integrated", "finance_fallback", "problem")
CLOSING_ROLES = ("finance_approver", "administrator")


def parse_month(text: str) -> tuple[int, int]:
    match = MONTH_PATTERN.match((text or "").strip())
    if not match:
        raise InputError({"month": problem("月份格式应为YYYY-MM，如2024-04", "a month is written YYYY-MM, e.g. 2024-04")})
    return int(match.group(1)), int(match.group(2))


def check_jurisdiction(session: Session, code: str) -> Division:
    division = session.get(Division, code or "")
    if division is None:
        raise InputError({"jurisdiction": problem(f"行政区划{code}不存在", f"no division with code {code}")})
    return division


def compute_lines(session: Session, month: str, jurisdiction: str, parameters: ParameterSet) -> list[dict]:
    """The roll's lines as today's data gives them, ordered by case number."""
    year, number = parse_month(month)
    cases = session.scalars(select(CareCase).where(
        in_division(jurisdiction), CareCase.scheme == SCHEME,
        CareCase.state.in_(("active", "exited"))).order_by(CareCase.id))
    paid = [case for case in cases if wf.is_paid_in(as_workflow_case(case, []), year, number)]
    if not paid:
        return []
    result, people = evaluate_cases(session, paid, [dt.date(year, number, 1)] * len(paid), parameters)
    lines = []
    for position, case in enumerate(paid):
        row = result.iloc[position]
        amount = None if pd.isna(row["amount"]) else round_fen(float(row["amount"]))  # paid to the fen, half up
        problem_text = None
        if pd.isna(row["eligible"]):
            problem_text, amount = "资格待定（缺少事实），本月不发放，请核查 / eligibility undecided: missing facts", None
        elif not bool(row["eligible"]):
            problem_text, amount = "按本月参数不符合条件，请核查是否应退出 / not eligible under this month's rules", None
        lines.append({
            "case_id": case.id, "person_name": people[case.person_id_number].name,
            "division_code": case.division_code, "township_name": case.township_name,
            "community_name": case.community_name, "requested_service": case.requested_service,
            "payee": case.bank_account_name or case.carer_or_institution, "bank_name": case.bank_name,
            "account_masked": mask_account(case.bank_account),
            "amount": amount,
            "integrated": None if amount is None else round_fen(float(row["fund.integrated"])),
            "finance_fallback": None if amount is None else round_fen(float(row["fund.finance_fallback"])),
            "problem": problem_text,
        })
    return lines


def digest(lines: list[dict]) -> str:
    return hashlib.sha256(json.dumps(lines, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class Roll:
    header: PayrollMonth
    lines: list[dict]
    written: bool  # False: the stored roll was already this one (or is closed)
    differences: list[dict] = field(default_factory=list)  # closed roll vs today's data

    @property
    def total(self) -> float:
        return round(sum(line["amount"] or 0 for line in self.lines), 2)


def _stored_lines(session: Session, month: str, jurisdiction: str) -> list[dict]:
    rows = session.scalars(select(PayrollLine).where(PayrollLine.month == month,
                                                     PayrollLine.jurisdiction_code == jurisdiction)
                           .order_by(PayrollLine.case_id))
    return [{name: getattr(row, name) for name in LINE_FIELDS} for row in rows]


def compare(stored: list[dict], current: list[dict]) -> list[dict]:
    """Case by case, where a stored roll and today's computation disagree."""
    before = {line["case_id"]: line for line in stored}
    after = {line["case_id"]: line for line in current}
    differences = []
    for case_id in sorted(before.keys() | after.keys()):
        old, new = before.get(case_id), after.get(case_id)
        if old != new:
            differences.append({"case_id": case_id, "stored_amount": old and old["amount"],
                                "current_amount": new and new["amount"]})
    return differences


def generate(session: Session, month: str, jurisdiction: str, *, by: str,
             parameters: ParameterSet | None = None) -> Roll:
    """Generate (or regenerate) a month's roll; idempotent; a closed roll is returned as stored."""
    parameters = parameters or effective_parameters(session)
    parse_month(month)
    check_jurisdiction(session, jurisdiction)
    lines = compute_lines(session, month, jurisdiction, parameters)
    header = session.get(PayrollMonth, (jurisdiction, month))
    if header is not None and header.status == "closed":
        stored = _stored_lines(session, month, jurisdiction)
        return Roll(header, stored, written=False, differences=compare(stored, lines))
    fingerprint = digest(lines)
    if header is not None and header.digest == fingerprint:
        return Roll(header, lines, written=False)
    previous = None if header is None else {"digest": header.digest, "total": header.total}
    if header is None:
        header = PayrollMonth(jurisdiction_code=jurisdiction, month=month, status="draft")
        session.add(header)
    else:
        session.execute(delete(PayrollLine).where(PayrollLine.month == month,
                                                  PayrollLine.jurisdiction_code == jurisdiction))
    roll = Roll(header, lines, written=True)
    header.recipients, header.total, header.digest = len(lines), roll.total, fingerprint
    header.parameter_version, header.generated_by, header.generated_at = parameters.version, by, dt.datetime.now(
        dt.timezone.utc).replace(tzinfo=None)
    session.flush()
    session.add_all(PayrollLine(jurisdiction_code=jurisdiction, month=month, **line) for line in lines)
    session.add(AuditEntry(username=by, entity="payroll", entity_key=f"{jurisdiction}/{month}",
                           action="generate" if previous is None else "regenerate", to_state="draft",
                           parameter_version=parameters.version,
                           details={"recipients": len(lines), "total": roll.total, "digest": fingerprint,
                                    "previous": previous}))
    session.flush()
    return roll


def close(session: Session, month: str, jurisdiction: str, user: User, *, today: dt.date | None = None) -> PayrollMonth:
    """Close a generated roll (finance): from now on it is fixed."""
    year, number = parse_month(month)
    header = session.get(PayrollMonth, (jurisdiction, month))
    if header is None:
        raise wf.WorkflowError("not_generated", "请先生成该月名册再关账", "generate the roll before closing it")
    if header.status == "closed":
        raise wf.WorkflowError("closed", f"{month}名册已关账", f"the roll of {month} is already closed")
    if user.role not in CLOSING_ROLES or not within(jurisdiction, user.jurisdiction_code):
        raise wf.WorkflowError("role", "只有本辖区的财政审批人员或管理员可以关账",
                               "only a finance approver or administrator of the jurisdiction closes a roll")
    if dt.date(year, number, 1) > (today or dt.date.today()):
        raise wf.WorkflowError("future", "不能关闭尚未开始的月份", "a month that has not begun cannot be closed")
    header.status, header.closed_by = "closed", user.username
    header.closed_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    session.add(AuditEntry(username=user.username, role=user.role, entity="payroll", entity_key=f"{jurisdiction}/{month}",
                           action="close", from_state="draft", to_state="closed", parameter_version=header.parameter_version,
                           details={"recipients": header.recipients, "total": header.total, "digest": header.digest}))
    session.flush()
    return header


# ------------------------------------------------------------------------------------------------ the workbook

COLUMNS = (("序号", None, "integer"), ("姓名", "person_name", "text"), ("乡镇（街道）", "township_name", "text"),
           ("村（社区）", "community_name", "text"), ("服务形式", "requested_service", "text"),
           ("收款人（照护人或机构）", "payee", "text"), ("开户行", "bank_name", "text"), ("账号", "account_masked", "id"),
           ("发放金额（元）", "amount", "money"), ("其中：统筹整合（元）", "integrated", "money"),
           ("财政兜底（元）", "finance_fallback", "money"), ("待核查", "problem", "text"))
BANK_COLUMNS = (("序号", None, "integer"), ("收款人户名", "payee", "text"), ("身份证号", "id_number", "id"),
                ("开户行", "bank_name", "text"), ("账号", "account", "id"), ("发放金额（元）", "amount", "money"),
                ("领取对象", "person_name", "text"), ("乡镇（街道）", "township_name", "text"))


def bank_details(session: Session, roll: Roll, user: User) -> dict[int, dict]:
    """Full account and ID number per line, for the list handed to the bank: only finance (or an administrator)
    of the jurisdiction gets it, and each time it is produced the audit log says who, when and which roll."""
    jurisdiction, month = roll.header.jurisdiction_code, roll.header.month
    if user.role not in CLOSING_ROLES or not within(jurisdiction, user.jurisdiction_code):
        raise wf.WorkflowError("role", "只有本辖区的财政审批人员或管理员可以导出银行代发清单（含完整账号和身份证号）",
                               "only finance of the jurisdiction may export the bank list (full accounts and ID numbers)")
    cases = {case.id: case for case in session.scalars(select(CareCase).where(
        CareCase.id.in_([line["case_id"] for line in roll.lines])))}
    details = {}
    for line in roll.lines:
        case = cases[line["case_id"]]
        details[case.id] = {"account": "".join(ch for ch in (case.bank_account or "") if ch.isalnum()),
                            "id_number": case.person_id_number}
    session.add(AuditEntry(username=user.username, role=user.role, entity="payroll", entity_key=f"{jurisdiction}/{month}",
                           action="export_bank_list", parameter_version=roll.header.parameter_version,
                           details={"recipients": len(details), "total": roll.total, "digest": roll.header.digest}))
    session.flush()
    return details


def _shown(key: str, value):
    if key == "requested_service":
        return v.SERVICE_TYPE.get(value, value)
    if key == "problem" and value:
        return value.split(" / ")[0]  # the Chinese half: the printed roll is Chinese only
    return value


def write_roll(path: Path | str, roll: Roll, division_name: str, *, bank: dict[int, dict] | None = None,
               made_by: str | None = None) -> None:
    """The month's roll as 财政 prints, signs and files it: title, status, bordered lines, 合计 with the amount in
    capital numerals, 制表单位 / 制表时间 (北京时间) and the signature lines; A4 landscape, header on every page.

    With ``bank`` (case id → full account and ID number, see :func:`bank_details`) it is the variant handed to the
    bank: payee, ID number and full account per line, only for finance and audited by the caller."""
    from care_services.workbook import Column, ReportBook, chinese_amount, made_at

    header = roll.header
    spec = BANK_COLUMNS if bank is not None else COLUMNS
    columns = [Column(title, kind, total=kind == "money") for title, _, kind in spec]
    width = len(columns)
    with ReportBook(path) as book:
        sheet = book.sheet("银行代发清单" if bank is not None else "发放名册")
        kind = "银行代发清单" if bank is not None else "发放名册"
        sheet.title_line(f"{division_name}困难重度失能残疾人照护和托养补贴{kind}（{_month_zh(header.month)}）", width)
        status = v.PAYROLL_STATUS[header.status]
        closed = f"；关账：{made_at(header.closed_at)}，{header.closed_by}" if header.closed_at else ""
        sheet.line(f"状态：{status}；发放人数：{header.recipients}人；合计：{header.total:,.2f}元；"
                   f"生成：{made_at(header.generated_at)}，{header.generated_by}{closed}", width)
        sheet.line("依据：宜府办发〔2023〕20号 五（五）“申请人照护和托养补贴发放日期从审批之日的下个月算起”。"
                   + ("本清单含完整账号和身份证号，仅供财政部门交银行代发，请妥善保管。" if bank is not None
                      else "账号仅显示后四位。"), width)
        rows = []
        for index, line in enumerate(roll.lines, start=1):
            values = {**line, **(bank or {}).get(line["case_id"], {})}
            rows.append([index, *[_shown(key, values.get(key)) for _, key, _ in spec[1:]]])
        totals = sheet.table(columns, rows, total_label="合计", freeze=2)
        amount_column = next(i for i, (_, key, _) in enumerate(spec) if key == "amount")
        sheet.line(f"合计金额（大写）：{chinese_amount(totals[amount_column])}", width, bold=True)
        sheet.signature(f"{division_name}民政局、残疾人联合会" if bank is None else f"{division_name}财政局",
                        width=width, roles=("制表人", "审核人", "负责人"))
        sheet.print_setup()
        if roll.differences:
            changes = book.sheet("关账后变动")
            changes.line("已关账名册与当前数据不一致的申请（名册未改动，请在后续月份补发或追回）", 3)
            changes.table([Column("申请编号", "integer"), Column("名册金额（元）", "money"),
                           Column("按当前数据（元）", "money")],
                          ([item["case_id"], item["stored_amount"], item["current_amount"]] for item in roll.differences))
            changes.print_setup()


def _month_zh(month: str) -> str:
    year, number = parse_month(month)
    return f"{year}年{number}月"
