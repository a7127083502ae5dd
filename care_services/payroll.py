"""The monthly payment roll (发放名册) of 照护和托养补贴, kept per county.

Who is on it: every case of the county paid in that month under subsidy_rules.workflow — from the month after
approval (“发放日期从审批之日的下个月算起”) to the month of the exit. How much: the rules engine on the whole roll at
once (one frame, the same code as a single evaluation), on the 1st of the month, split into the person's integrated
funds (统筹整合) and the finance fallback (财政兜底). Who is paid: the carer (居家照护) or the institution (日间照料,
机构托养) named in the 《审批表》, with the account masked but for its last four digits.

One payment per person and month: a roll belongs to the county that owns the case (its division's county), and a
city or province asks for the summary of its counties' rolls, never a second payment list. Closing a roll writes
what it pays into ``payroll_payments``, whose primary key (case, month, kind) refuses a second closed roll paying the
same case for the same month; the loser of two closings at once is told so (409), never a 500.

A roll is stored when generated. Generating it again gives the same lines (the digest shows it) and writes nothing;
a draft whose data changed is replaced, with an audit entry. Once closed, a roll is never rewritten: generating it
again returns the stored lines and lists where today's data would differ. An exit recorded after a month it falls
in (or before) was closed does not rewrite that month: the next open roll carries a correction line recovering what
was paid. Reading a stored roll (page, API, workbook, command line) checks it against its digest and, once closed,
against the digest the audit trail recorded at closing; a roll altered in the database is an error naming the month.
Reading never writes: only ``generate`` and ``close`` do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from care_services import clock, rosters
from care_services import vocabulary as v
from care_services.accounts import InputError, printed_names, problem
from care_services.casework import SCHEME, as_workflow_case, evaluate_cases, in_division
from care_services.identifiers import code_prefix, within
from care_services.model import (AuditEntry, CareCase, Division, PayrollCorrection, PayrollLine, PayrollMonth,
                                 PayrollPayment, Person, User)
from care_services.privacy import mask_account
from care_services.workbook import Column, round_fen
from subsidy_rules import workflow as wf
from subsidy_rules.overrides import effective_parameters
from subsidy_rules.parameters import ParameterSet

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LINE_FIELDS = ("case_id", "person_name", "division_code", "township_name", "community_name", "requested_service",
               "payee", "bank_name", "account_masked", "amount", "integrated", "finance_fallback", "problem")
CORRECTION_FIELDS = ("case_id", "corrected_month", "person_name", "payee", "account_masked", "amount", "reason")
CLOSING_ROLES = ("finance_approver", "administrator")


def parse_month(text: str) -> tuple[int, int]:
    match = MONTH_PATTERN.match((text or "").strip())
    if not match or int(match.group(1)) < 1900:
        raise InputError({"month": problem("月份格式应为YYYY-MM，如2024-04", "a month is written YYYY-MM, e.g. 2024-04")})
    return int(match.group(1)), int(match.group(2))


def check_jurisdiction(session: Session, code: str) -> Division:
    division = session.get(Division, code or "")
    if division is None:
        raise InputError({"jurisdiction": problem(f"行政区划{code}不存在", f"no division with code {code}")})
    return division


def roll_division(session: Session, code: str) -> Division:
    """The division of a roll or summary: a county (its roll) or a city or province (the summary of its counties)."""
    division = check_jurisdiction(session, code)
    if division.level == "township":
        raise InputError({"jurisdiction": problem("发放名册按县（市、区）编制，请填写县级区划代码",
                                                  "payment rolls are kept per county: give the county's code")})
    return division


class RollTampered(wf.WorkflowError):
    """A stored roll that no longer matches its digest: altered in the database."""

    def __init__(self, month: str, jurisdiction: str, what_zh: str, what_en: str):
        super().__init__("tampered",
                         f"{month}发放名册（{jurisdiction}）{what_zh}：数据库中的名册已被改动，不予读取、打印或导出；"
                         "请联系管理员用备份和审计日志核查",
                         f"the payment roll of {month} ({jurisdiction}) {what_en}: it was altered in the database and "
                         "is not read, printed or exported; ask an administrator to check it against the backup and "
                         "the audit trail")
        self.month, self.jurisdiction = month, jurisdiction


def _paid_elsewhere(session: Session, month: str, county: str) -> set[int]:
    """Cases whose month was already paid on another county's closed roll (a case moved): not paid twice."""
    return set(session.scalars(select(PayrollPayment.case_id).where(
        PayrollPayment.month == month, PayrollPayment.kind == "payment", PayrollPayment.jurisdiction_code != county)))


def compute_lines(session: Session, month: str, county: str, parameters: ParameterSet) -> list[dict]:
    """The roll's lines as today's data gives them, ordered by case number."""
    year, number = parse_month(month)
    cases = session.scalars(select(CareCase).where(
        in_division(county), CareCase.scheme == SCHEME,
        CareCase.state.in_(("active", "exited"))).order_by(CareCase.id))
    elsewhere = _paid_elsewhere(session, month, county)
    paid = [case for case in cases
            if case.id not in elsewhere and wf.is_paid_in(as_workflow_case(case, []), year, number)]
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
            "payee": _payee(case), "bank_name": case.bank_name,
            "account_masked": mask_account(case.bank_account),
            "amount": amount,
            "integrated": None if amount is None else round_fen(float(row["fund.integrated"])),
            "finance_fallback": None if amount is None else round_fen(float(row["fund.finance_fallback"])),
            "problem": problem_text,
        })
    rosters.flag_roll_lines(session, paid, lines, month, county, parameters)  # 三（二）退出管理: flag, never drop
    return lines


def _payee(case: CareCase) -> str | None:
    return case.bank_account_name or case.carer_or_institution


def compute_corrections(session: Session, month: str, county: str) -> list[dict]:
    """Recoveries this roll carries: months closed before it that paid a case which, as recorded since (an exit
    dated in or before that month), was no longer entitled, and that no closed roll has recovered yet."""
    recovered = set(session.execute(select(PayrollPayment.case_id, PayrollPayment.month).where(
        PayrollPayment.kind == "recovery")))
    rows = session.execute(
        select(PayrollPayment, CareCase, Person)
        .join(CareCase, CareCase.id == PayrollPayment.case_id).join(Person, Person.id_number == CareCase.person_id_number)
        .where(PayrollPayment.kind == "payment", PayrollPayment.jurisdiction_code == county,
               PayrollPayment.month < month, CareCase.exited_on.is_not(None))
        .order_by(PayrollPayment.case_id, PayrollPayment.month))
    corrections = []
    for payment, case, person in rows:
        year, number = parse_month(payment.month)
        if (payment.case_id, payment.month) in recovered or wf.is_paid_in(as_workflow_case(case, []), year, number):
            continue
        reason_zh = wf.EXIT_REASONS.get(case.exit_reason, case.exit_reason or "")
        corrections.append({
            "case_id": case.id, "corrected_month": payment.month, "person_name": person.name, "payee": _payee(case),
            "account_masked": mask_account(case.bank_account), "amount": -round(float(payment.amount), 2),
            "reason": f"{payment.month}名册已关账并发放{payment.amount:.2f}元，但申请已于{case.exited_on:%Y-%m-%d}退出"
                      f"（{reason_zh}），本月追回 / paid {payment.amount:.2f} on the closed roll of {payment.month}, "
                      f"but the case exited on {case.exited_on:%Y-%m-%d} ({case.exit_reason}): recovered on this roll",
        })
    return corrections


MONEY_FIELDS = ("amount", "integrated", "finance_fallback")


def _as_stored(item: dict) -> dict:
    """Amounts as floats: SQLite hands 600.0 back as 600, which JSON would write differently."""
    return {k: float(value) if k in MONEY_FIELDS and value is not None else value for k, value in item.items()}


def digest(lines: list[dict], corrections: list[dict] = ()) -> str:
    """SHA-256 of a roll's content (a roll without corrections hashes as rolls did before they existed)."""
    lines = [_as_stored(line) for line in lines]
    content = {"lines": lines, "corrections": [_as_stored(item) for item in corrections]} if corrections else lines
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class Roll:
    header: PayrollMonth
    lines: list[dict]
    written: bool  # False: the stored roll was already this one (or is closed)
    differences: list[dict] = field(default_factory=list)  # closed roll vs today's data
    corrections: list[dict] = field(default_factory=list)  # recoveries of closed months (negative amounts)

    @property
    def total(self) -> float:
        """What the roll pays: its lines less its recoveries."""
        return round(sum(line["amount"] or 0 for line in self.lines)
                     + sum(item["amount"] for item in self.corrections), 2)


@dataclass
class Summary:
    """A city's or province's month: its counties' rolls, each paid there and only there."""

    division: Division
    month: str
    rolls: list[Roll]

    @property
    def total(self) -> float:
        return round(sum(roll.total for roll in self.rolls), 2)

    @property
    def recipients(self) -> int:
        return sum(roll.header.recipients for roll in self.rolls)


def _stored(session: Session, header: PayrollMonth) -> tuple[list[dict], list[dict]]:
    """A stored roll's lines and corrections, checked against its digest (and, once closed, the audit trail's)."""
    key = (PayrollLine.month == header.month, PayrollLine.jurisdiction_code == header.jurisdiction_code)
    lines = [{name: getattr(row, name) for name in LINE_FIELDS}
             for row in session.scalars(select(PayrollLine).where(*key).order_by(PayrollLine.case_id))]
    corrections = [{name: getattr(row, name) for name in CORRECTION_FIELDS} for row in session.scalars(
        select(PayrollCorrection).where(PayrollCorrection.month == header.month,
                                        PayrollCorrection.jurisdiction_code == header.jurisdiction_code)
        .order_by(PayrollCorrection.case_id, PayrollCorrection.corrected_month))]
    roll = Roll(header, lines, written=False, corrections=corrections)
    if (digest(lines, corrections) != header.digest or header.recipients != len(lines)
            or round(float(header.total), 2) != roll.total):
        raise RollTampered(header.month, header.jurisdiction_code, "与记录的校验值不符", "does not match its digest")
    if header.status == "closed":
        closing = session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "payroll", AuditEntry.entity_key == f"{header.jurisdiction_code}/{header.month}",
            AuditEntry.action == "close").order_by(AuditEntry.id.desc())).first()
        if closing is None or (closing.details or {}).get("digest") != header.digest:
            raise RollTampered(header.month, header.jurisdiction_code, "与审计日志中关账时的校验值不符",
                               "does not match the digest the audit trail recorded when it was closed")
    return lines, corrections


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


def _counties(session: Session, division: Division, month: str, *, with_cases: bool) -> list[str]:
    """The counties under a city or province that have a roll of the month (or, ``with_cases``, could have one)."""
    prefix = code_prefix(division.code)
    codes = set(session.scalars(select(PayrollMonth.jurisdiction_code).where(
        PayrollMonth.month == month, PayrollMonth.jurisdiction_code.startswith(prefix, autoescape=True))))
    if with_cases:
        codes |= {code[:6] for code in session.scalars(select(CareCase.division_code).where(
            in_division(division.code), CareCase.scheme == SCHEME, CareCase.state.in_(("active", "exited"))))}
        codes |= set(session.scalars(select(PayrollPayment.jurisdiction_code).where(
            PayrollPayment.jurisdiction_code.startswith(prefix, autoescape=True))))
    counties = set(session.scalars(select(Division.code).where(Division.code.in_(codes), Division.level == "county")))
    return sorted(counties)  # an old database's city-level roll (before rolls were per county) is not one of them


def read(session: Session, month: str, jurisdiction: str) -> Roll | Summary | None:
    """The stored roll of a county (None if not generated), or the summary of a city's stored rolls; writes nothing."""
    parse_month(month)
    division = roll_division(session, jurisdiction)
    if division.level != "county":
        return Summary(division, month, [roll for county in _counties(session, division, month, with_cases=False)
                                         if (roll := read(session, month, county)) is not None])
    header = session.get(PayrollMonth, (jurisdiction, month))
    if header is None:
        return None
    lines, corrections = _stored(session, header)
    return Roll(header, lines, written=False, corrections=corrections)


def _concurrent(month: str, jurisdiction: str) -> wf.WorkflowError:
    return wf.WorkflowError("stale", f"{month}名册（{jurisdiction}）正被他人同时生成或关账，请刷新后重试",
                            f"the roll of {month} ({jurisdiction}) was generated or closed by someone else at the "
                            "same moment; reload it and try again")


def generate(session: Session, month: str, jurisdiction: str, *, by: str,
             parameters: ParameterSet | None = None) -> Roll | Summary:
    """Generate (or regenerate) a county's roll, or every county roll of a city; idempotent; a closed roll is
    returned as stored."""
    parameters = parameters or effective_parameters(session)
    parse_month(month)
    division = roll_division(session, jurisdiction)
    if division.level != "county":
        return Summary(division, month, [generate(session, month, county, by=by, parameters=parameters)
                                         for county in _counties(session, division, month, with_cases=True)])
    lines = compute_lines(session, month, jurisdiction, parameters)
    header = session.get(PayrollMonth, (jurisdiction, month))
    if header is not None and header.status == "closed":
        stored, corrections = _stored(session, header)
        return Roll(header, stored, written=False, differences=compare(stored, lines), corrections=corrections)
    corrections = compute_corrections(session, month, jurisdiction)
    fingerprint = digest(lines, corrections)
    if header is not None and header.digest == fingerprint:
        return Roll(header, lines, written=False, corrections=corrections)
    previous = None if header is None else {"digest": header.digest, "total": header.total}
    if header is None:
        header = PayrollMonth(jurisdiction_code=jurisdiction, month=month, status="draft")
        session.add(header)
    else:
        for model in (PayrollLine, PayrollCorrection):
            session.execute(delete(model).where(model.month == month, model.jurisdiction_code == jurisdiction))
    roll = Roll(header, lines, written=True, corrections=corrections)
    header.recipients, header.total, header.digest = len(lines), roll.total, fingerprint
    header.parameter_version, header.generated_by, header.generated_at = parameters.version, by, dt.datetime.now(
        dt.timezone.utc).replace(tzinfo=None)
    try:
        session.flush()
        session.add_all(PayrollLine(jurisdiction_code=jurisdiction, month=month, **line) for line in lines)
        session.add_all(PayrollCorrection(jurisdiction_code=jurisdiction, month=month, **item) for item in corrections)
        session.add(AuditEntry(username=by, entity="payroll", entity_key=f"{jurisdiction}/{month}",
                               action="generate" if previous is None else "regenerate", to_state="draft",
                               parameter_version=parameters.version,
                               details={"recipients": len(lines), "total": roll.total, "digest": fingerprint,
                                        "corrections": len(corrections), "previous": previous}))
        session.flush()
    except IntegrityError:
        raise _concurrent(month, jurisdiction) from None
    return roll


def close(session: Session, month: str, jurisdiction: str, user: User, *,
          today: dt.date | None = None) -> PayrollMonth | Summary:
    """Close a generated roll (finance): from now on it is fixed, and what it pays is recorded as paid. A city's
    finance closes the rolls of its counties that are still open."""
    year, number = parse_month(month)
    division = roll_division(session, jurisdiction)
    if user.role not in CLOSING_ROLES or not within(jurisdiction, user.jurisdiction_code):
        raise wf.WorkflowError("role", "只有本辖区的财政审批人员或管理员可以关账",
                               "only a finance approver or administrator of the jurisdiction closes a roll")
    if dt.date(year, number, 1) > (today or clock.today()):  # the server's clock (Beijing date)
        raise wf.WorkflowError("future", "不能关闭尚未开始的月份", "a month that has not begun cannot be closed")
    if division.level != "county":
        counties = _counties(session, division, month, with_cases=False)
        open_rolls = [code for code in counties if session.get(PayrollMonth, (code, month)).status != "closed"]
        if not counties:
            raise wf.WorkflowError("not_generated", f"{month}尚无各县名册，请先生成",
                                   f"no county has a roll of {month} yet: generate them first")
        if not open_rolls:
            raise wf.WorkflowError("closed", f"{month}各县名册均已关账", f"every county's roll of {month} is closed")
        for code in open_rolls:
            close(session, month, code, user, today=today)
        return read(session, month, jurisdiction)
    header = session.get(PayrollMonth, (jurisdiction, month))
    if header is None:
        raise wf.WorkflowError("not_generated", f"请先生成{month}名册（{jurisdiction}）再关账",
                               f"generate the roll of {month} ({jurisdiction}) before closing it")
    if header.status == "closed":
        raise wf.WorkflowError("closed", f"{month}名册（{jurisdiction}）已关账",
                               f"the roll of {month} ({jurisdiction}) is already closed")
    lines, corrections = _stored(session, header)
    closed_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    # only the draft as read: a roll closed or regenerated since by someone else matches no row
    changed = session.execute(
        update(PayrollMonth).where(PayrollMonth.jurisdiction_code == jurisdiction, PayrollMonth.month == month,
                                   PayrollMonth.status == "draft", PayrollMonth.digest == header.digest)
        .values(status="closed", closed_by=user.username, closed_at=closed_at)
        .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        raise _concurrent(month, jurisdiction)
    session.expire(header)
    payments = [(line["case_id"], month, "payment", line["amount"]) for line in lines if line["amount"] is not None]
    payments += [(item["case_id"], item["corrected_month"], "recovery", item["amount"]) for item in corrections]
    _refuse_paid_twice(session, payments)
    try:
        session.add_all(PayrollPayment(case_id=case_id, month=paid_month, kind=kind, jurisdiction_code=jurisdiction,
                                       roll_month=month, amount=amount) for case_id, paid_month, kind, amount in payments)
        session.add(AuditEntry(username=user.username, role=user.role, entity="payroll",
                               entity_key=f"{jurisdiction}/{month}", action="close", from_state="draft",
                               to_state="closed", parameter_version=header.parameter_version,
                               details={"recipients": header.recipients, "total": header.total,
                                        "digest": header.digest, "corrections": len(corrections)}))
        session.flush()
    except IntegrityError:
        raise wf.WorkflowError("paid", f"{month}名册（{jurisdiction}）中有人的补贴已在另一份已关账名册中发放，"
                               "请重新生成后再关账",
                               f"someone on the roll of {month} ({jurisdiction}) was already paid on another closed "
                               "roll; regenerate the roll before closing it") from None
    return header


def _refuse_paid_twice(session: Session, payments: list[tuple]) -> None:
    """Name the first case and month some other closed roll already paid (or recovered)."""
    for case_id, paid_month, kind, _ in payments:
        earlier = session.get(PayrollPayment, (case_id, paid_month, kind))
        if earlier is not None:
            what_zh, what_en = ("发放", "paid") if kind == "payment" else ("追回", "recovered")
            raise wf.WorkflowError(
                "paid", f"申请{case_id}的{paid_month}补贴已在{earlier.jurisdiction_code}的{earlier.roll_month}名册中"
                        f"{what_zh}，不能再次{what_zh}；请重新生成本名册后再关账",
                f"case {case_id}'s {paid_month} was already {what_en} on the roll of {earlier.roll_month} "
                f"({earlier.jurisdiction_code}); regenerate this roll before closing it")


# ------------------------------------------------------------------------------------------------ the workbook

COLUMNS = (("序号", None, "integer"), ("姓名", "person_name", "text"), ("乡镇（街道）", "township_name", "text"),
           ("村（社区）", "community_name", "text"), ("服务形式", "requested_service", "text"),
           ("收款人（照护人或机构）", "payee", "text"), ("开户行", "bank_name", "text"), ("账号", "account_masked", "id"),
           ("发放金额（元）", "amount", "money"), ("其中：统筹整合（元）", "integrated", "money"),
           ("财政兜底（元）", "finance_fallback", "money"), ("待核查", "problem", "text"))
CORRECTION_COLUMNS = (Column("序号", "integer"), Column("姓名"), Column("收款人（照护人或机构）"), Column("账号", "id"),
                      Column("所更正月份"), Column("追回金额（元）", "money", total=True), Column("原因"))
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
               people: dict[str, str] | None = None) -> None:
    """The month's roll as 财政 prints, signs and files it: title, status, bordered lines, 合计 with the amount in
    capital numerals, 制表单位 / 制表时间 (北京时间) and the signature lines; A4 landscape, header on every page.

    With ``bank`` (case id → full account and ID number, see :func:`bank_details`) it is the variant handed to the
    bank: payee, ID number and full account per line, only for finance and audited by the caller. ``people`` (see
    :func:`roll_people`) names who generated and closed the roll as staff read it; without it, by login name."""
    from care_services.workbook import ReportBook, chinese_amount, made_at

    header = roll.header
    spec = BANK_COLUMNS if bank is not None else COLUMNS
    columns = [Column(title, kind, total=kind == "money") for title, _, kind in spec]
    width = len(columns)
    recoveries = roll.corrections if bank is None else []  # the bank pays the lines; recoveries are the roll's
    with ReportBook(path) as book:
        sheet = book.sheet("银行代发清单" if bank is not None else "发放名册")
        kind = "银行代发清单" if bank is not None else "发放名册"
        sheet.title_line(f"{division_name}困难重度失能残疾人照护和托养补贴{kind}（{_month_zh(header.month)}）", width)
        status = v.PAYROLL_STATUS[header.status]
        people = people or {}
        closed = (f"；关账：{made_at(header.closed_at)}，{people.get(header.closed_by, header.closed_by)}"
                  if header.closed_at else "")
        sheet.line(f"状态：{status}；发放人数：{header.recipients}人；合计：{roll.total:,.2f}元；"
                   f"生成：{made_at(header.generated_at)}，{people.get(header.generated_by, header.generated_by)}{closed}",
                   width)
        sheet.line("依据：宜府办发〔2023〕20号 五（五）“申请人照护和托养补贴发放日期从审批之日的下个月算起”。"
                   + ("本清单含完整账号和身份证号，仅供财政部门交银行代发，请妥善保管；追回款项见发放名册的更正部分。"
                      if bank is not None else "账号仅显示后四位。"), width)
        rows = []
        for index, line in enumerate(roll.lines, start=1):
            values = {**line, **(bank or {}).get(line["case_id"], {})}
            rows.append([index, *[_shown(key, values.get(key)) for _, key, _ in spec[1:]]])
        totals = sheet.table(columns, rows, total_label="小计（本月应发）" if recoveries else "合计", freeze=2)
        amount_column = next(i for i, (_, key, _) in enumerate(spec) if key == "amount")
        total = totals[amount_column]
        if recoveries:
            sheet.skip()
            sheet.line("更正：追回已关账月份多发的补贴（已关账名册不改动）", width, bold=True)
            recovered = sheet.table(CORRECTION_COLUMNS, (
                [index, item["person_name"], item["payee"], item["account_masked"], _month_zh(item["corrected_month"]),
                 item["amount"], item["reason"]] for index, item in enumerate(recoveries, start=1)),
                total_label="小计（追回）", freeze=None)
            total = round_fen(round_fen(total) + recovered[5])
            sheet.line(f"合计（本月实发）：{total:,.2f}元", width, bold=True)
        sheet.line(f"合计金额（大写）：{chinese_amount(total)}", width, bold=True)
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


def write_summary(path: Path | str, summary: Summary, names: dict[str, str]) -> None:
    """A city's month: one row per county roll (each paid there only), with the 合计."""
    from care_services.workbook import ReportBook, chinese_amount

    columns = [Column("行政区划代码", "id"), Column("县（市、区）"), Column("状态"), Column("人数", "integer", total=True),
               Column("合计（元）", "money", total=True), Column("校验值", "id")]
    with ReportBook(path) as book:
        sheet = book.sheet("各县汇总")
        sheet.title_line(f"{summary.division.name}困难重度失能残疾人照护和托养补贴发放汇总（{_month_zh(summary.month)}）",
                         len(columns))
        sheet.line("各县（市、区）名册的汇总，不是另一份发放名册：每人每月只在其所属县的名册中发放", len(columns))
        totals = sheet.table(columns, ([roll.header.jurisdiction_code, names.get(roll.header.jurisdiction_code, ""),
                                        v.PAYROLL_STATUS[roll.header.status], roll.header.recipients, roll.total,
                                        roll.header.digest] for roll in summary.rolls), total_label="合计")
        sheet.line(f"合计金额（大写）：{chinese_amount(totals[4])}", len(columns), bold=True)
        sheet.signature(f"{summary.division.name}民政局、残疾人联合会", width=len(columns),
                        roles=("制表人", "审核人", "负责人"))
        sheet.print_setup()


def write(path: Path | str, result: Roll | Summary, session: Session, *, bank: dict[int, dict] | None = None) -> None:
    """The workbook of a county's roll (or its bank list, with ``bank``) or of a city's summary."""
    if isinstance(result, Summary):
        names = {code: name for code, name in session.execute(select(Division.code, Division.name).where(
            Division.code.in_([roll.header.jurisdiction_code for roll in result.rolls])))}
        write_summary(path, result, names)
    else:
        write_roll(path, result, check_jurisdiction(session, result.header.jurisdiction_code).name, bank=bank,
                   people=roll_people(session, result))


def roll_people(session: Session, roll: Roll) -> dict[str, str]:
    """Who generated and closed the roll, by the names its printed workbook shows."""
    return printed_names(session, (roll.header.generated_by, roll.header.closed_by))
