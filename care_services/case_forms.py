"""The two papers a disability-care case produces, filled from the case and its audit trail:

- the 《困难重度失能残疾人照护和托养申请审批表》 of 宜府办发〔2023〕20号's annex: the applicant's facts, then one box
  per department in the annex's order (乡镇初审, 卫健评估, 乡村振兴核定, 民政或残联审核, 财政审批), each with the
  annex's opinion wording, who recorded the step in the system and on which (Beijing) day, and the lines for the
  signature and the seal; "本表一式三份，民政、残联、乡村振兴部门各执一份";
- the 《不予批准告知书》 of a rejected case: to whom, which application, the reason the reviewer gave, the
  conditions of 三（一） the rules found unmet (each with its clause and quoted wording), the date, the issuing
  department (五（五）: "对不符合条件的，由民政或残联部门及时予以反馈并说明原因") and how to appeal (行政复议 within
  60 days, 行政诉讼 within 6 months, each with its article).

- the 补正通知书 of a case sent back for correction (退回补正): to whom, which application, which step sent it back
  and on which day, the reason in the reviewer's words, what to correct or bring (by the step that owns the fact:
  the application's materials of 五（一）, the assessment of 五（三）, the funds to integrate of 四), where to hand it
  in (the township's 残联或民政所, 五（二）), the issuing department and the day of the notice (the server's clock).

``approval_form`` / ``rejection_letter`` / ``correction_notice`` build plain dictionaries (the print views render them, the workbooks write
them through care_services.workbook, so both show the same); ``record_production`` audits each production, since
both papers hold personal data (ID number, bank account).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from care_services import casework, clock
from care_services import vocabulary as v
from care_services.model import AuditEntry, CareCase, Division, User
from care_services.workbook import ReportBook
from subsidy_rules import workflow as wf

POLICY = "宜府办发〔2023〕20号"
FORM_TITLE = "困难重度失能残疾人照护和托养申请审批表"
LETTER_TITLE = "困难重度失能残疾人照护和托养申请不予批准告知书"
COPIES_NOTE = ("备注：本表一式三份，民政、残联、乡村振兴部门各执一份，县级民政或残联部门审核意见栏由民政或残联其中一单位予以审核"
               "均认可。")
DECLARATION = ("本申请人自愿提出申请，本申请人（监护人或代申请人）了解困难重度失能残疾人照护和托养政策，所填写内容真实有效，"
               "如有虚假，愿承担相应责任。")
SEXES = {"male": "男", "female": "女"}
GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
CORRECTION_TITLE = "困难重度失能残疾人照护和托养申请补正通知书"
FORMS = ("approval", "rejection", "correction")
FORM_NAMES = {"approval": "审批表", "rejection": "不予批准告知书", "correction": "补正通知书"}

# The annex's department boxes in its order: (the step, the box's heading, whose signature, the annex's wording)
BOXES = (
    ("township_review", "乡镇（街道）残联初审意见", "负责人签名", "经审核，申请人的申请材料属实，手续齐全，同意申报。"),
    ("assess", "卫健医疗部门评估意见", "评估医生签名", None),
    ("identity_check", "县级乡村振兴部门核定意见", "负责人签名", None),
    ("sector_review", "县级民政或残联部门审核意见", "负责人签名", None),
    ("approve", "县级财政部门审批意见", "负责人签名", None),
)
SEALS = {"township_review": "单位（公章）", "assess": "医疗机构（公章）", "identity_check": "单位（公章）",
         "sector_review": "单位盖章", "approve": "单位盖章"}
ADL_LABELS = {"adl_eating": "自主吃饭", "adl_dressing": "穿衣", "adl_transfer": "上下床",
              "adl_walking_indoors": "室内行走", "adl_toileting": "如厕", "adl_bathing": "洗澡"}  # the annex's order

# How to appeal a refusal: the statutory periods, each from its law (the letter quotes them).
APPEALS = (
    {"way": "行政复议", "period": "六十日",
     "law": "《中华人民共和国行政复议法》（2023年9月1日修订）第二十条第一款",
     "quote": "公民、法人或者其他组织认为行政行为侵犯其合法权益的，可以自知道或者应当知道该行政行为之日起六十日内提出行政复议申请"},
    {"way": "行政诉讼", "period": "六个月",
     "law": "《中华人民共和国行政诉讼法》第四十六条第一款",
     "quote": "公民、法人或者其他组织直接向人民法院提起诉讼的，应当自知道或者应当知道作出行政行为之日起六个月内提出"},
)
ISSUER_CLAUSE = (POLICY, "五（五）", "对不符合条件的，由民政或残联部门及时予以反馈并说明原因")


# 退回补正: what the applicant corrects or brings, by the step the case went back to (FACT_OWNERS), with the clause
# that says what that step works from. The reviewer's reason says what exactly is wrong; this is the standing list.
CORRECTION_WORK = {
    "township_review": {
        "what": "请按上述原因更正或补齐申请材料，到乡镇（街道）重新办理初审。",
        "bring": ("户口本", "居民身份证", "残疾人证", "低保证（复印件）", "银行卡", "与上述原因有关的其他证明材料"),
        "clause": (POLICY, "五（一）个人申请", "提出申请时，个人须携带户口本、居民身份证、残疾人证、低保证（复印件）、"
                   "银行卡等其他相关证明材料"),
    },
    "assess": {
        "what": "需由县级卫健部门派出医生重新进行生活自理能力6项指标评估，请按乡镇（街道）通知的时间配合评估。",
        "bring": ("居民身份证", "残疾人证", "与上述原因有关的病历、诊断证明等材料（如有）"),
        "clause": (POLICY, "五（三）失能评估", "县级卫健部门派出医生对申请困难重度失能照护和托养的残疾人进行生活自理能力"
                   "6项指标评估，并填写综合评估意见，反馈给乡镇（街道）残联或民政所"),
    },
    "sector_review": {
        "what": "请补充或更正本人现享受的政府性生活和护理类补贴情况，以便统筹整合资金。",
        "bring": ("残疾人两项补贴、低保金、老龄（高龄）补贴等的发放证明（如银行流水或发放通知）", "居民身份证"),
        "clause": (POLICY, "四、补贴标准", "统筹整合残疾人两项补贴、低保、老龄补贴等政府性生活和护理类资金"),
    },
}
HAND_IN_CLAUSE = (POLICY, "五（二）乡镇（街道）初审", "乡镇（街道）残联或者民政所对申报材料进行初审")
# The county department that signs a notice, by the role of the reviewer who sent the case back.
DEPARTMENTS = {"health_assessor": "卫生健康委员会", "disability_federation_reviewer": "残疾人联合会",
               "civil_affairs_reviewer": "民政局", "rural_revitalisation_officer": "乡村振兴局",
               "finance_approver": "财政局", "township_reviewer": "残疾人联合会"}


class FormError(Exception):
    """A paper the case cannot produce (not a disability-care case, not rejected): the reason in both languages."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def _chinese_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日" if day else "　　年　　月　　日"


def _money(value: Any) -> str:
    return f"{float(value):,.2f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "—"


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _names(session: Session, case: CareCase) -> dict[str, str]:
    """The case's county and township names (the township from the divisions, else as the application wrote it)."""
    codes = {case.division_code[:6], case.division_code}
    found = {d.code: d.name for d in session.scalars(select(Division).where(Division.code.in_(codes)))}
    township = found.get(case.division_code) if len(case.division_code) == 9 else None
    return {"county": found.get(case.division_code[:6], ""), "township": township or case.township_name or ""}


def _people(session: Session, entries: list[AuditEntry]) -> dict[str, str]:
    """Who recorded each step as a printed Chinese paper names them (the display name, else the role's name)."""
    from care_services.accounts import printed_names

    return printed_names(session, {e.username for e in entries})


def _check_scheme(case: CareCase) -> None:
    if case.scheme != casework.SCHEME:
        raise FormError(f"《审批表》和不予批准告知书只用于{POLICY}的照护和托养申请",
                        f"these forms are for care applications under {POLICY} only")


def _applicant(session: Session, case: CareCase) -> dict[str, Any]:
    person = casework.applicant_of(case)
    facts = case.person_facts or {}
    names = _names(session, case)
    category = person.disability_category if person.disability_certificate_number else None
    grade = person.disability_grade if person.disability_certificate_number else None
    status = [label for flag, label in (("dibao_household", "低保户"), ("at_risk_of_poverty", "易返贫致贫户"),
                                        ("tekun_supported", "特困供养人员")) if facts.get(flag)]
    return {
        "name": person.name, "id_number": case.person_id_number, "sex": SEXES.get(person.sex, person.sex),
        "age": _age(person.birth_date, case.submitted_on),
        "disability": (f"{v.DISABILITY_CATEGORY.get(category, category)}残疾{GRADES.get(grade, '')}"
                       if category else "—"),
        "certificate": facts.get("disability_certificate_number") or "—",
        "household": "、".join(status) or "—",
        "area": v.AREA.get(facts.get("hukou_area"), ""),
        "county": names["county"], "township": names["township"], "community": case.community_name or "",
        "applied_by": v.APPLIED_BY.get(case.applied_by, ""), "phone": case.phone or "",
        "proxy_name": case.proxy_name or "", "proxy_relation": case.proxy_relation or "",
        "proxy_id_number": case.proxy_id_number or "",
        "service": v.SERVICE_TYPE.get(case.requested_service, ""),
        "institution_type": v.INSTITUTION_TYPE.get(case.institution_type, "") if case.institution_type else "",
        "carer": case.carer_or_institution or "", "carer_relation": case.carer_relation or "",
        "account_name": case.bank_account_name or "", "bank_name": case.bank_name or "",
        "account": case.bank_account or "", "submitted_on": _chinese_date(case.submitted_on),
    }


def _box_opinion(action: str, entry: AuditEntry, case: CareCase) -> list[str]:
    """The annex's wording of a box as the step recorded it."""
    details = entry.details or {}
    if action == "township_review":
        return [BOXES[0][3]]
    if action == "assess":
        failed = set(details.get("failed_activities") or [])
        marks = "，".join(f"{'×' if name in failed else '√'}{label}" for name, label in ADL_LABELS.items())
        minimum = _parameter(entry.explanation, "disability_care.min_adl_failed", 4)
        severe = len(failed) >= minimum
        return [f"六项失能指标（不能自理的打×，能自理的打√）：{marks}。",
                f"失能认定意见：经认定，该申请照护人员存在（{len(failed)}）项失能指标，"
                f"{'☑符合，□不符合' if severe else '□符合，☑不符合'}重度失能标准。",
                f"评估日期：{_chinese_date(_date(details.get('assessed_on')))}；评估医生：{details.get('doctor') or '—'}"]
    if action == "identity_check":
        flag = details.get("at_risk_of_poverty")
        return [f"经核定，申请人家庭状况信息为：是否为易致贫返贫户{'☑是□否' if flag else '□是☑否'}。"]
    if action == "sector_review":
        funding = (entry.explanation or {}).get("funding") or {}
        return ["经审核，申请人的申请材料属实，手续齐全，同意申报。并统筹整合申请人"
                f"残疾人两项补贴（{_money(case.two_subsidies_month)}）元，高龄津贴（{_money(case.elderly_allowance_month)}）元，"
                f"最低生活补贴（{_money(case.dibao_month)}）元，其它补贴（{_money(case.other_care_benefits_month)}）元，"
                f"财政兜底（{_money(funding.get('finance_fallback'))}）元，用于发放照护和托养补贴。"]
    if action == "approve":
        approved = case.approved_on or clock.local_date(entry.at)
        first = dt.date(approved.year + approved.month // 12, approved.month % 12 + 1, 1)  # 五（五）: 审批之日的下个月
        return [f"经审批，从{first.year}年{first.month:02d}月起给予申请人（或托养机构）发放照护和托养补贴。"]
    return []


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _parameter(explanation: dict | None, name: str, default: Any) -> Any:
    for item in (explanation or {}).get("parameters") or []:
        if item.get("name") == name:
            return item.get("value", default)
    return default


def approval_form(session: Session, case: CareCase) -> dict[str, Any]:
    """The 《审批表》 of a case as far as it has gone: every box of a step taken is filled from its audit entry."""
    _check_scheme(case)
    entries = casework.history(session, case.id)
    people = _people(session, entries)
    latest: dict[str, AuditEntry] = {}
    rejected_at = None
    for entry in entries:
        if entry.from_state is None or entry.action == wf.CORRECTION:
            continue
        if entry.action == "reject":
            rejected_at = (wf.PROCEDURES["disability_care"].awaited.get(entry.from_state), entry)
        else:
            latest[entry.action] = entry  # a step taken again (after a send-back) shows its latest record
    boxes = []
    for action, heading, signer, _ in BOXES:
        entry = latest.get(action)
        box = {"action": action, "heading": heading, "signer": signer, "seal": SEALS[action], "done": False,
               "opinion": [], "recorded_by": "", "date": _chinese_date(None)}
        if entry is not None:
            box.update(done=True, opinion=_box_opinion(action, entry, case),
                       recorded_by=people.get(entry.username, entry.username),
                       date=_chinese_date(clock.local_date(entry.at)))
        elif rejected_at and rejected_at[0] == action:
            entry = rejected_at[1]
            box.update(done=True, opinion=[f"经审核，不同意申报。原因：{entry.reason or '—'}"],
                       recorded_by=people.get(entry.username, entry.username),
                       date=_chinese_date(clock.local_date(entry.at)))
        boxes.append(box)
    applicant = _applicant(session, case)
    return {"kind": "approval", "title": FORM_TITLE, "case_id": case.id, "unit": applicant["county"],
            "applicant": applicant, "declaration": DECLARATION, "boxes": boxes, "note": COPIES_NOTE,
            "state": wf.STATES.get(case.state, case.state), "made_at": _chinese_date(clock.today())}


def _issuer(session: Session, case: CareCase, flow: wf.Case) -> str:
    county = _names(session, case)["county"]
    department = "民政局" if wf.reviewer_role(flow) == "civil_affairs_reviewer" else "残疾人联合会"
    return f"{county}{department}"


def rejection_letter(session: Session, case: CareCase) -> dict[str, Any]:
    """The 不予批准告知书 of a rejected case (FormError for any other)."""
    from subsidy_rules.engine import get_scheme

    _check_scheme(case)
    if case.state != "rejected":
        raise FormError("该申请未被驳回，没有不予批准告知书", "the case was not rejected: there is no refusal letter")
    entries = casework.history(session, case.id)
    entry = next(e for e in reversed(entries) if e.action == "reject")
    people = _people(session, [entry])
    flow = casework.as_workflow_case(case, entries)
    step = wf.PROCEDURES["disability_care"].awaited.get(entry.from_state)
    explanation = entry.explanation or {}
    conditions = [{"title": c.get("title_zh", ""),
                   "clause": f"{c['reference']['document']} {c['reference']['clause']}" if c.get("reference") else "",
                   "quote": (c.get("reference") or {}).get("quote", "")}
                  for c in explanation.get("criteria") or [] if c.get("passed") is False and c.get("applicable", True)]
    titles = {f.key: f.zh for f in get_scheme(case.scheme).facts}
    missing = [titles.get(name, "") for name in explanation.get("missing_facts") or [] if titles.get(name)]
    applicant = _applicant(session, case)
    scheme = get_scheme(case.scheme)
    day = clock.local_date(entry.at)
    return {
        "kind": "rejection", "title": LETTER_TITLE, "case_id": case.id, "applicant": applicant,
        "scheme": scheme.title_zh, "policy": POLICY, "submitted_on": applicant["submitted_on"],
        "step": wf.ROLES.get(wf.role_for(flow, step), "") if step else "",
        "reason": entry.reason or "", "conditions": conditions, "missing": missing,
        "date": _chinese_date(day), "issuer": _issuer(session, case, flow),
        "issuer_clause": ISSUER_CLAUSE, "recorded_by": people.get(entry.username, entry.username),
        "review_body": f"{applicant['county']}人民政府", "appeals": APPEALS,
    }


def correction_notice(session: Session, case: CareCase) -> dict[str, Any]:
    """The 补正通知书 of a case waiting for correction (退回补正 not yet taken again; FormError for any other):
    filled from the send-back's audit entry, dated by the server's clock on the day it is produced."""
    from subsidy_rules.engine import get_scheme

    _check_scheme(case)
    entries = casework.history(session, case.id)
    entry = casework.open_send_back(entries)
    if entry is None or case.state not in wf.CORRECTABLE_STATES:
        raise FormError("该申请未退回补正，没有补正通知书", "the case is not waiting for correction: there is no notice")
    to_step = (entry.details or {}).get("send_back_to")
    flow = casework.as_workflow_case(case, entries)
    step = wf.PROCEDURES["disability_care"].awaited.get(entry.from_state)
    applicant = _applicant(session, case)
    township = applicant["township"]
    work = CORRECTION_WORK.get(to_step, CORRECTION_WORK["township_review"])
    return {
        "kind": "correction", "title": CORRECTION_TITLE, "case_id": case.id, "applicant": applicant,
        "scheme": get_scheme(case.scheme).title_zh, "policy": POLICY, "submitted_on": applicant["submitted_on"],
        "step": wf.ROLES.get(wf.role_for(flow, step), "") if step else "",
        "to_step": wf.FACT_OWNERS.get(to_step, ("", ""))[0],
        "sent_back_on": _chinese_date(clock.local_date(entry.at)), "reason": entry.reason or "",
        "what": work["what"], "bring": list(work["bring"]), "work_clause": work["clause"],
        "hand_in": f"{township}残联或民政所" if township else "户籍所在地乡镇（街道）残联或民政所",
        "hand_in_clause": HAND_IN_CLAUSE,
        "issuer": f"{applicant['county']}{DEPARTMENTS.get(entry.role, '残疾人联合会')}",
        "recorded_by": _people(session, [entry]).get(entry.username, entry.username),
        "date": _chinese_date(clock.today()),
    }


BUILDERS = {"approval": approval_form, "rejection": rejection_letter, "correction": correction_notice}


def build(session: Session, case: CareCase, form: str) -> dict[str, Any]:
    return BUILDERS[form](session, case)


def record_production(session: Session, user: User, case: CareCase, form: str, file_format: str) -> None:
    """The audit line of a paper produced (it holds the applicant's ID number and bank account): who, when, which.
    Not a step of the procedure (no state), so it changes neither the case nor segregation of duties."""
    session.add(AuditEntry(username=user.username, role=user.role, entity="case", entity_key=str(case.id),
                           action="print_form", details={"case_form": f"form.{form}",
                                                         "file_format": f"format.{file_format}"}))
    session.flush()


# ------------------------------------------------------------------------------------------------ workbooks

WIDTH = 4  # label, value, label, value: the annex's grid


def _pair_row(sheet, items: list[tuple[str, Any]]) -> None:
    label = {"bold": True, "border": 1, "bg_color": "#F2F2F2", "valign": "vcenter", "text_wrap": True}
    value = {"border": 1, "valign": "vcenter", "text_wrap": True, "align": "left"}
    column = 0
    for name, content in items:
        sheet.cell(sheet.row, column, name, label, fit=False)
        if len(items) == 1:
            sheet.ws.merge_range(sheet.row, 1, sheet.row, WIDTH - 1, "", sheet.book.format(**value))
        sheet.cell(sheet.row, column + 1, content, value, fit=False)
        column += 2
    sheet.row += 1


def _text_block(sheet, lines: list[str]) -> None:
    for text in lines:
        sheet.line(text, WIDTH)


@contextmanager
def _paper(target: str | IO[bytes], name: str, title: str):
    """A one-sheet workbook laid out as the paper: four columns, the title, A4 portrait one page wide."""
    with ReportBook(target) as book:
        sheet = book.sheet(name)
        for column, width in enumerate((18, 30, 18, 30)):
            sheet.set_width(column, width)
        sheet.title_line(title, WIDTH)
        yield sheet
        sheet.print_setup(landscape=False, fit_width=True)


def write_approval(target: str | IO[bytes], form: dict[str, Any]) -> None:
    """The 《审批表》 as a workbook: one A4 portrait page wide, every user text written as text (never a formula)."""
    a = form["applicant"]
    with _paper(target, "审批表", form["title"]) as sheet:
        sheet.line(f"单位：{a['county']}　　　　申请日期：{a['submitted_on']}", WIDTH)
        _pair_row(sheet, [("姓名", a["name"]), ("性别、年龄", f"{a['sex']}，{a['age']}岁")])
        _pair_row(sheet, [("残疾类别及等级", a["disability"]), ("残疾证号", a["certificate"])])
        _pair_row(sheet, [("家庭状况", a["household"]), ("联系电话", a["phone"])])
        _pair_row(sheet, [("家庭地址", f"{a['county']} {a['township']} {a['community']}")])
        _pair_row(sheet, [("申请方式", a["applied_by"]), ("身份证号", a["id_number"])])
        _pair_row(sheet, [("代申请人姓名", a["proxy_name"]), ("与申请人关系", a["proxy_relation"])])
        _pair_row(sheet, [("代申请人身份证号", a["proxy_id_number"])])
        _pair_row(sheet, [("服务形式", f"{a['service']}{'（' + a['institution_type'] + '）' if a['institution_type'] else ''}"),
                          ("照护人或机构", a["carer"])])
        _pair_row(sheet, [("与申请人关系", a["carer_relation"]), ("户名", a["account_name"])])
        _pair_row(sheet, [("开户行", a["bank_name"]), ("账号", a["account"])])
        sheet.line("申请人意见", WIDTH, bold=True)
        sheet.line(form["declaration"], WIDTH)
        sheet.line(f"申请人（监护人或照护机构）签章：__________　　{a['submitted_on']}", WIDTH)
        for box in form["boxes"]:
            sheet.skip()
            sheet.line(box["heading"], WIDTH, bold=True)
            _text_block(sheet, box["opinion"] or ["（尚未办理）"])
            if box["done"]:
                sheet.line(f"系统记录：经办人 {box['recorded_by']}，{box['date']}", WIDTH)
            sheet.line(f"{box['signer']}：__________　　{box['seal']}：__________　　{box['date']}", WIDTH)
        sheet.skip()
        sheet.line(form["note"], WIDTH)
        sheet.line(f"制表时间：{form['made_at']}（系统生成，依据{POLICY}附件）", WIDTH)


def _letter(target: str | IO[bytes], name: str, paper: dict[str, Any], lines: list[str],
            clauses: tuple = ()) -> None:
    """A letter to the applicant as a workbook (A4 portrait): its body, the clauses it rests on, the issuing
    department's seal and date, and the receipt the applicant signs."""
    with _paper(target, name, paper["title"]) as sheet:
        for text in lines:
            sheet.line(text, WIDTH)
        sheet.skip()
        for document, clause, quote in clauses:
            sheet.line(f"{document} {clause}：“{quote}”", WIDTH)
        if clauses:
            sheet.skip()
        sheet.line(f"{paper['issuer']}（盖章）", WIDTH, align="right")
        sheet.line(paper["date"], WIDTH, align="right")
        sheet.skip()
        sheet.line(f"送达：申请人（或监护人）{paper['applicant']['name']} 签收：__________　　年　月　日", WIDTH)


def write_rejection(target: str | IO[bytes], letter: dict[str, Any]) -> None:
    """The 不予批准告知书 as a workbook (A4 portrait)."""
    _letter(target, "不予批准告知书", letter, letter_lines(letter))


def letter_lines(letter: dict[str, Any]) -> list[str]:
    """The letter's body, paragraph by paragraph (the workbook writes these; the print view lays them out)."""
    a = letter["applicant"]
    lines = [f"{a['name']}（身份证号：{a['id_number']}）：",
             f"　　您（或监护人）于{letter['submitted_on']}提出的{letter['scheme']}申请（申请编号{letter['case_id']}），"
             f"经{letter['step'] or '审核'}，不符合{letter['policy']}规定的条件，决定不予批准。",
             f"　　理由：{letter['reason'] or '—'}"]
    for number, condition in enumerate(letter["conditions"], start=1):
        lines.append(f"　　{number}. 不符合“{condition['title']}”的条件（{condition['clause']}：“{condition['quote']}”）。")
    if letter["missing"] and not letter["conditions"]:  # undecided, not refuted: what is still to be shown
        lines.append(f"　　尚缺以下情况，无法认定：{'、'.join(letter['missing'])}。")
    first, second = letter["appeals"]
    lines.append(f"　　如对本决定不服，可以自收到本告知书之日起{first['period']}内向{letter['review_body']}申请{first['way']}"
                 f"（{first['law']}），也可以自收到本告知书之日起{second['period']}内依法向人民法院提起{second['way']}"
                 f"（{second['law']}）。")
    lines.append("　　情况发生变化或补齐材料后，可以向户籍所在地乡镇（街道）重新提出申请。")
    return lines


def notice_lines(notice: dict[str, Any]) -> list[str]:
    """The 补正通知书's body, paragraph by paragraph (the workbook writes these; the print view lays them out)."""
    a = notice["applicant"]
    return [f"{a['name']}（身份证号：{a['id_number']}）：",
            f"　　您（或监护人）于{notice['submitted_on']}提出的{notice['scheme']}申请（申请编号{notice['case_id']}），"
            f"经{notice['step'] or '审核'}，于{notice['sent_back_on']}退回{notice['to_step']}补正。",
            f"　　退回原因：{notice['reason'] or '—'}",
            f"　　需要补正：{notice['what']}",
            f"　　请携带：{'、'.join(notice['bring'])}。",
            f"　　补正材料请交到：{notice['hand_in']}。补正后，申请按程序继续办理，不需要重新提出申请。"]


def write_correction(target: str | IO[bytes], notice: dict[str, Any]) -> None:
    """The 补正通知书 as a workbook (A4 portrait), every user text (the reviewer's reason) written as text."""
    _letter(target, "补正通知书", notice, notice_lines(notice), (notice["work_clause"], notice["hand_in_clause"]))


WRITERS = {"approval": write_approval, "rejection": write_rejection, "correction": write_correction}
