"""The 7-day public notice (公示) of the people about to receive 照护和托养补贴, for a village or community.

宜府办发〔2023〕20号 五（五）: the list is posted on the village or residents' committee board or a local website for
7 days, and “公示中应当保护个人隐私，不得公开与申请无关的信息”. So the notice shows the name with the given name
masked, the township and village, the service form and the monthly amount — never an ID number, a disability
category or grade, or the assessment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from care_services import vocabulary as v
from care_services.casework import SCHEME, evaluate_cases, in_division
from care_services.model import CareCase
from care_services.payroll import check_jurisdiction
from care_services.privacy import mask_name
from care_services.workbook import Column, ReportBook, round_fen
from subsidy_rules.overrides import effective_parameters
from subsidy_rules.parameters import ParameterSet
from subsidy_rules.workflow import NOTICE_DAYS

TITLE = "困难重度失能残疾人照护和托养拟纳入对象公示"
COLUMNS = ("序号", "姓名", "乡镇（街道）", "村（社区）", "服务形式", "补贴标准（元/月）", "公示期")


@dataclass(frozen=True)
class NoticeRow:
    name: str  # masked
    township: str
    community: str
    service: str
    amount: str  # as printed on the board: 600.00, or — while undetermined
    period: str
    amount_value: float | None = None  # the same as a number, for the workbook


def first_paid_month(approved_on: dt.date) -> dt.date:
    return dt.date(approved_on.year + approved_on.month // 12, approved_on.month % 12 + 1, 1)


def period_of(notice_from: dt.date) -> str:
    """“为期7天”: the day of publishing and the six after it."""
    return f"{notice_from:%Y年%m月%d日}至{notice_from + dt.timedelta(days=NOTICE_DAYS - 1):%Y年%m月%d日}"


def notice_rows(session: Session, jurisdiction: str, community: str | None = None,
                parameters: ParameterSet | None = None) -> list[NoticeRow]:
    """Cases of the jurisdiction (and village) now in their notice period, masked, in order of publication."""
    parameters = parameters or effective_parameters(session)
    query = select(CareCase).where(in_division(jurisdiction),
                                   CareCase.scheme == SCHEME, CareCase.state == "in_notice")
    if community:
        query = query.where(CareCase.community_name == community.strip())
    cases = list(session.scalars(query.order_by(CareCase.notice_from, CareCase.id)))
    if not cases:
        return []
    result, people = evaluate_cases(session, cases, [first_paid_month(c.approved_on) for c in cases], parameters)
    rows = []
    for position, case in enumerate(cases):
        amount = result["amount"].iloc[position]
        rows.append(NoticeRow(
            name=mask_name(people[case.person_id_number].name), township=case.township_name or "",
            community=case.community_name or "", service=v.SERVICE_TYPE[case.requested_service],
            amount="—" if amount is None or amount != amount else f"{float(amount):,.2f}",
            period=period_of(case.notice_from),
            amount_value=None if amount is None or amount != amount else round_fen(float(amount)),
        ))
    return rows


def _heading(session: Session, jurisdiction: str, community: str | None, rows: list[NoticeRow]) -> tuple[str, str]:
    division = check_jurisdiction(session, jurisdiction)
    townships = {row.township for row in rows if row.township}
    place = (next(iter(townships)) if len(townships) == 1 else division.name) + (community or "")
    office = f"{next(iter(townships))}人民政府（街道办事处）" if len(townships) == 1 else f"{division.name}民政局、残联"
    return f"{place}{TITLE}", office


def _period(rows: list[NoticeRow]) -> str:
    periods = sorted({row.period for row in rows})
    return periods[0] if len(periods) == 1 else "见各行"


def render_html(session: Session, jurisdiction: str, community: str | None = None, *,
                printed_on: dt.date | None = None, parameters: ParameterSet | None = None) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    rows = notice_rows(session, jurisdiction, community, parameters)
    title, office = _heading(session, jurisdiction, community, rows)
    environment = Environment(loader=PackageLoader("care_services", "templates"), autoescape=select_autoescape())
    return environment.get_template("notice.html").render(
        title=title, rows=rows, days=NOTICE_DAYS, period=_period(rows), office=office,
        printed=f"{printed_on or dt.date.today():%Y年%m月%d日}")


def write_xlsx(path: Path | str, session: Session, jurisdiction: str, community: str | None = None, *,
               printed_on: dt.date | None = None, parameters: ParameterSet | None = None) -> int:
    """The notice as a workbook to print and post: title, the objection line, bordered rows (补贴标准 a number),
    the office and date, the clause; A4 landscape with the header on every page."""
    rows = notice_rows(session, jurisdiction, community, parameters)
    title, office = _heading(session, jurisdiction, community, rows)
    columns = [Column("序号", "integer", width=6), Column("姓名", width=10), Column("乡镇（街道）", width=16),
               Column("村（社区）", width=16), Column("服务形式", width=12), Column("补贴标准（元/月）", "money", width=16),
               Column("公示期", width=34)]
    with ReportBook(path) as book:
        sheet = book.sheet("公示名单")
        sheet.title_line(title, len(columns))
        sheet.line(f"公示期{NOTICE_DAYS}天（{_period(rows)}）。如有异议，请在公示期内向{office}反映。", len(columns))
        sheet.table(columns, ([index, row.name, row.township, row.community, row.service, row.amount_value,
                               row.period] for index, row in enumerate(rows, start=1)), freeze=None)
        sheet.skip()
        sheet.line(f"{office}  {printed_on or dt.date.today():%Y年%m月%d日}", len(columns), align="right")
        sheet.line("依据：宜府办发〔2023〕20号 五（五）“公示中应当保护个人隐私，不得公开与申请无关的信息。”", len(columns))
        sheet.print_setup()
    return len(rows)
