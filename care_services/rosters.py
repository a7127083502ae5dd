"""Rosters of other departments, and the check of active recipients against them before a roll is paid.

宜府办发〔2023〕20号 三（二）: "建立残疾人对象退出管理机制，因死亡或退出低保等因素不再符合照护和托养条件的，应及时做好
退出管理"; 六（四）: "坚决防止和查处……虚报、冒领……补助资金". The eligibility rests on 三（一）第3项 (低保户和易返贫致贫
人口) and 第5项 (未纳入特困人员救助供养范围), which other departments keep. So their lists are imported as workbooks of
ID numbers with a date, each import audited with its source department and date, and before a roll is generated
every active recipient is compared with them:

- 低保 roster and 易返贫致贫 monitoring list: each import is the whole list as of its date; a recipient on neither
  latest list (on both, where ``disability_care.low_income_requires_both`` says so) has left it;
- deaths and 特困 support: each import adds events (date of death, date support began), kept for good.

A finding names the case, what was found, the date, the clause and the exit reason to record. Staff record the exit
through the workflow (casework.act "exit"); until then the roll keeps the line, with the finding as its problem and
no amount (暂停发放，待核查): flagged, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from care_services.accounts import InputError, problem
from care_services.identifiers import within
from care_services.model import AuditEntry, CareCase, Division, Person, RosterEntry, RosterImport
from care_services.roster_kinds import ROSTERS, Roster  # noqa: F401  (Roster: part of this module's interface)
from care_services.spreadsheet import CellError, ColumnSpec, convert_cell, find_header, is_blank, read_sheets
from subsidy_rules.parameters import ParameterSet

MAX_ROSTER_BYTES = 20 * 1024 * 1024  # a county's list is far smaller; checked before the file is parsed
YC = "宜府办发〔2023〕20号"
EXIT_CLAUSE = "三（二）建立动态管理机制：因死亡或退出低保等因素不再符合照护和托养条件的，应及时做好退出管理"


ID_COLUMN = ColumnSpec("id_number", "身份证号", "text", True, aliases=("公民身份号码", "身份证号码", "证件号码"),
                       check="resident_id")


def _date_column(roster: Roster) -> ColumnSpec:
    return ColumnSpec("date", roster.date_zh, "date", False, aliases=("日期",))


class _Spec:
    def __init__(self, roster: Roster):
        self.columns = (ID_COLUMN, _date_column(roster))


# ----------------------------------------------------------------------------------------------- importing


def import_roster(session: Session, roster_id: str, path: Path | str, *, source_department: str,
                  source_date: dt.date, jurisdiction: str, by: str) -> RosterImport:
    """Import a roster workbook (ID numbers and dates); every bad row refuses the whole import, named by row."""
    roster = ROSTERS.get(roster_id)
    errors = {}
    if roster is None:
        errors["roster"] = problem(f"名册类别应为：{'、'.join(f'{r.id}（{r.zh}）' for r in ROSTERS.values())}",
                                   f"the roster is one of {', '.join(ROSTERS)}")
    if not (source_department or "").strip():
        errors["source_department"] = problem("请填写提供名册的部门", "name the department that supplied the roster")
    if session.get(Division, jurisdiction or "") is None:
        errors["jurisdiction"] = problem(f"行政区划{jurisdiction}不存在", f"no division with code {jurisdiction}")
    path = Path(path)
    if not path.is_file():
        errors["file"] = problem(f"文件不存在：{path.name}", f"no such file: {path.name}")
    elif path.stat().st_size > MAX_ROSTER_BYTES:
        errors["file"] = problem("文件超过20MB", "the file is larger than 20 MB")
    if errors:
        raise InputError(errors)
    content = path.read_bytes()
    entries = _read_entries(roster, path)
    record = RosterImport(roster=roster.id, source_department=source_department.strip(), source_date=source_date,
                          jurisdiction_code=jurisdiction, file_name=path.name,
                          file_sha256=hashlib.sha256(content).hexdigest(), rows=len(entries), imported_by=by)
    session.add(record)
    session.flush()
    session.add_all(RosterEntry(import_id=record.id, id_number=number, date=date) for number, date in entries.items())
    session.add(AuditEntry(username=by, entity="roster", entity_key=f"{roster.id}/{record.id}", action="import",
                           details={"roster": roster.zh, "source_department": record.source_department,
                                    "source_date": source_date.isoformat(), "jurisdiction": jurisdiction,
                                    "file": path.name, "sha256": record.file_sha256, "rows": len(entries)}))
    return record


def _read_entries(roster: Roster, path: Path) -> dict[str, dt.date | None]:
    try:
        rows = next(iter(read_sheets(path).values()))()
    except Exception as error:  # a file that is not a workbook is the user's input, not a crash
        raise InputError({"file": problem("无法读取该文件，请上传.xlsx工作簿", f"cannot read the file as a workbook ({error})")}) \
            from None
    header_index, header_map = find_header(_Spec(roster), rows)
    if "id_number" not in {c.key for c in header_map.values()}:
        raise InputError({"file": problem("名册中没有“身份证号”列", "the roster has no 身份证号 (ID number) column")})
    entries, errors = {}, {}
    for number, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        values = {c.key: (row[i] if i < len(row) else None) for i, c in header_map.items()}
        if all(is_blank(v) for v in values.values()):
            continue
        try:
            id_number = convert_cell(ID_COLUMN, values.get("id_number"))
            date = convert_cell(_date_column(roster), values.get("date"))
        except (CellError, ValueError) as error:
            errors[f"row.{number}"] = problem(f"第{number}行：{getattr(error, 'reason_zh', error)}",
                                              f"row {number}: {getattr(error, 'reason_en', error)}")
            continue
        entries[id_number] = date
    if errors:
        raise InputError(errors)
    return entries


# ------------------------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class Finding:
    case_id: int
    kind: str  # died / entered_tekun / left_low_income
    date: dt.date | None
    exit_reason: str  # subsidy_rules.workflow.EXIT_REASONS
    clause: str
    text_zh: str
    text_en: str

    def as_dict(self) -> dict:
        return {"case_id": self.case_id, "kind": self.kind, "date": self.date.isoformat() if self.date else None,
                "exit_reason": self.exit_reason, "clause": self.clause, "text_zh": self.text_zh, "text_en": self.text_en}


def _latest_snapshot(session: Session, roster: str, jurisdiction: str, on: dt.date) -> RosterImport | None:
    """The latest import of a list as of ``on`` whose area holds the jurisdiction."""
    candidates = session.scalars(select(RosterImport).where(RosterImport.roster == roster, RosterImport.source_date <= on)
                                 .order_by(RosterImport.source_date.desc(), RosterImport.id.desc()))
    return next((c for c in candidates if within(jurisdiction, c.jurisdiction_code)), None)


def _events(session: Session, roster: str, numbers: set[str], on: dt.date) -> dict[str, dt.date | None]:
    """Each person's earliest event on or before ``on`` (an event without a date counts, its date unknown)."""
    rows = session.execute(select(RosterEntry.id_number, RosterEntry.date).join(RosterImport)
                           .where(RosterImport.roster == roster, RosterEntry.id_number.in_(numbers),
                                  RosterImport.source_date <= on)
                           .order_by(RosterEntry.date))
    found: dict[str, dt.date | None] = {}
    for number, date in rows:
        if (date is None or date <= on) and (number not in found or found[number] is None):
            found[number] = date
    return found


def check_cases(session: Session, cases: list[CareCase], on: dt.date, *, requires_both: bool = False) -> list[Finding]:
    """What the imported rosters say about these recipients on ``on`` (the last day of the roll's month)."""
    if not cases:
        return []
    people = {c.person_id_number for c in cases if c.person_id_number}
    deaths = _events(session, "deaths", people, on)
    tekun = _events(session, "tekun", people, on)
    findings = []
    for case in cases:
        number = case.person_id_number
        if number in deaths:
            findings.append(Finding(case.id, "died", deaths[number], "death", f"{YC} {EXIT_CLAUSE}",
                                    f"死亡人员名单：{_date_text(deaths[number])}死亡，应办理退出（{YC} 三（二））",
                                    "on the deaths list: record the exit"))
        if number in tekun:
            findings.append(Finding(case.id, "entered_tekun", tekun[number], "entered_tekun",
                                    f"{YC} 三（一）第5项“未纳入特困人员救助供养范围”",
                                    f"特困供养名册：{_date_text(tekun[number])}纳入特困供养，不再符合（{YC} 三（一）第5项）",
                                    "now in 特困 support: no longer eligible"))
        left = _left_low_income(session, case, on, requires_both)
        if left:
            findings.append(left)
    return findings


def _left_low_income(session: Session, case: CareCase, on: dt.date, requires_both: bool) -> Finding | None:
    """A recipient whose 低保 or monitoring status (三（一）第3项) the latest imported lists no longer show.

    Without both-required: flagged when on none of the imported lists while every list the person's record relies
    on was imported (someone recorded as on the monitoring list cannot be judged by the 低保 roster alone). With
    ``disability_care.low_income_requires_both``: flagged when absent from either imported list."""
    person = session.get(Person, case.person_id_number) if case.person_id_number else None
    if person is None:
        return None
    county = case.division_code[:6]
    lists = {name: _latest_snapshot(session, name, county, on) for name in ("dibao", "monitoring")}
    imported = {name: snapshot for name, snapshot in lists.items() if snapshot is not None}
    present = {name: session.get(RosterEntry, (snapshot.id, person.id_number)) is not None
               for name, snapshot in imported.items()}
    claimed = {name for name, flag in (("dibao", person.dibao_household), ("monitoring", person.at_risk_of_poverty)) if flag}
    missing = [name for name in imported if not present[name]]
    if requires_both:
        left = bool(missing)
    else:
        left = bool(imported) and not any(present.values()) and claimed <= set(imported)
    if not left:
        return None
    names = "、".join(f"{ROSTERS[n].zh}（{imported[n].source_department}，{imported[n].source_date.isoformat()}）"
                     for n in missing)
    return Finding(case.id, "left_low_income", max(imported[n].source_date for n in missing), "left_dibao",
                   f"{YC} 三（一）第3项“低保户和易返贫致贫人口”；{EXIT_CLAUSE}",
                   f"不在最新的{names}中，应核实是否退出低保（{YC} 三（二））",
                   "absent from the latest 低保 roster and monitoring list: check whether to exit")


def roster_status(session: Session, jurisdiction: str, on: dt.date) -> list[dict]:
    """For each roster: the latest import in force for the jurisdiction, or that none was imported."""
    status = []
    for roster in ROSTERS.values():
        if roster.snapshot:
            latest = _latest_snapshot(session, roster.id, jurisdiction, on)
        else:
            latest = session.scalars(select(RosterImport).where(RosterImport.roster == roster.id,
                                                                RosterImport.source_date <= on)
                                     .order_by(RosterImport.source_date.desc())).first()
        status.append({"roster": roster.id, "roster_zh": roster.zh,
                       "source_department": latest.source_department if latest else None,
                       "source_date": latest.source_date.isoformat() if latest else None})
    return status


def _date_text(date: dt.date | None) -> str:
    return date.isoformat() if date else "（日期未填）"


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def findings_before_roll(session: Session, jurisdiction: str, month: str, parameters: ParameterSet) -> list[Finding]:
    """The recipients a roll of ``month`` would pay whom a roster contradicts (what staff see before generating)."""
    from care_services.payroll import parse_month  # the roll's own reading of the month and of who is paid
    from care_services.casework import SCHEME, as_workflow_case, in_division
    from subsidy_rules import workflow as wf

    year, number = parse_month(month)
    cases = session.scalars(select(CareCase).where(in_division(jurisdiction), CareCase.scheme == SCHEME,
                                                   CareCase.state.in_(("active", "exited"))).order_by(CareCase.id))
    paid = [case for case in cases if wf.is_paid_in(as_workflow_case(case, []), year, number)]
    return check_cases(session, paid, month_end(year, number), requires_both=_requires_both(parameters, jurisdiction, year, number))


def _requires_both(parameters: ParameterSet, jurisdiction: str, year: int, month: int) -> bool:
    value = parameters.get_or("disability_care.low_income_requires_both", jurisdiction[:6], dt.date(year, month, 1), False)
    return bool(value)


def flag_roll_lines(session: Session, cases: list[CareCase], lines: list[dict], month: str, jurisdiction: str,
                    parameters: ParameterSet) -> list[Finding]:
    """The payroll's hook: each line whose recipient a roster contradicts keeps its place, loses its amount
    (暂停发放，待核查) and says why, with the clause. Returns the findings."""
    year, number = int(month[:4]), int(month[5:7])
    findings = check_cases(session, cases, month_end(year, number),
                           requires_both=_requires_both(parameters, jurisdiction, year, number))
    by_case: dict[int, list[Finding]] = {}
    for finding in findings:
        by_case.setdefault(finding.case_id, []).append(finding)
    for line in lines:
        found = by_case.get(line["case_id"])
        if found:
            text = "；".join(f.text_zh for f in found)
            line["problem"] = "；".join(filter(None, [line["problem"], f"名册核查：{text}，暂停发放，待办理退出或核实"]))
            line["amount"] = line["integrated"] = line["finance_fallback"] = None
    return findings
