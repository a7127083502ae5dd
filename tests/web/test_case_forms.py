"""The printable 《审批表》 (宜府办发〔2023〕20号 附件) and 不予批准告知书: filled from the case and its steps, as an A4
print view and as a workbook that prints on A4, every user text written as text; each production audited."""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from care_services.case_forms import COPIES_NOTE, FORM_TITLE, LETTER_TITLE
from care_services.db import session_scope
from care_services.model import AuditEntry
from tests.workflow.conftest import FOUR_FAILED, STAFF, SUBMITTED, act_on, staff, submit, walk

FORMULA = '=HYPERLINK("http://evil.example/","点击")'
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def _visible_text(html: str) -> str:
    """What a reader sees: the page without its tags, head, scripts and attributes (and the test staff's user
    names, which are the tests' data)."""
    body = re.sub(r"(?s)<head>.*?</head>|<script.*?</script>", "", html)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\b(" + "|".join(STAFF) + r")\b", "", text)


def _rejected(county, **changes) -> int:
    """An application whose certificate decodes to 视力残疾 (outside 三（一）第4项), rejected at the township."""
    case_id = submit(county, 1, **changes)
    with session_scope(county) as session:
        from care_services.model import CareCase

        case = session.get(CareCase, case_id)
        certificate = case.person_id_number + "11"  # category 1: visual, grade 1
        act_on(SUBMITTED + dt.timedelta(days=1), session, staff(session, "li"), case_id, "correct_facts",
               disability_certificate_number=certificate, reason="核对残疾人证原件")
    with session_scope(county) as session:
        act_on(SUBMITTED + dt.timedelta(days=2), session, staff(session, "li"), case_id, "reject",
               reason="视力残疾不在本政策范围")
    return case_id


def _post(client, case_id: int, form: str, file_format: str = "html"):
    return client.post(f"/cases/{case_id}/forms/{form}", data={"format": file_format})


def test_the_approval_form_of_an_approved_case_is_filled_from_each_step(web_app, county, login):
    case_id = submit(county, 1)
    walk(county, case_id)
    answer = _post(login("zhao"), case_id, "approval")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    assert FORM_TITLE in page and COPIES_NOTE in page and "@page" not in page  # the A4 rules live in the CSS file
    assert "欧阳建国" in page and "肢体残疾一级" in page and "测试镇" in page and "红星村" in page and "袁州区" in page
    assert "6228480012345678901" in page  # the form carries the account the applicant signed for
    for heading in ("乡镇（街道）残联初审意见", "卫健医疗部门评估意见", "县级乡村振兴部门核定意见",
                    "县级民政或残联部门审核意见", "县级财政部门审批意见"):
        assert heading in page
    assert page.count("负责人签名") == 4 and "评估医生签名" in page and page.count('class="blank"') >= 6
    assert "存在（4）项失能指标，☑符合，□不符合重度失能标准" in page and "×自主吃饭" in page and "√室内行走" in page
    assert "王医生" in page and "2024年03月03日" in page  # the doctor, the assessment's own date
    assert "是否为易致贫返贫户□是☑否" in page
    assert "残疾人两项补贴（200.00）元" in page and "财政兜底（400.00）元" in page
    assert "经审批，从2024年04月起" in page  # approved on 7 March: paid from the next month (五（五）)
    text = _visible_text(page)
    assert not SNAKE_CASE.search(text), SNAKE_CASE.search(text)
    assert not ENGLISH_WORD.search(text), ENGLISH_WORD.search(text)
    assert 'id="print-button"' in page and "case_forms.js" in page and "<script>" not in page  # CSP: no inline script


def test_the_print_view_in_english_and_a_form_not_yet_done(web_app, county, login):
    case_id = submit(county, 1)
    walk(county, case_id, until="assessed")
    page = _post(login("zhao"), case_id, "approval").get_data(as_text=True)
    assert page.count("（尚未办理）") == 3  # identity check, sector review and approval are still to come
    zhao = login("zhao")
    english = zhao.post(f"/cases/{case_id}/forms/approval?lang=en", data={"format": "html"})
    assert english.status_code == 200
    page = english.get_data(as_text=True)
    assert "Print on A4 portrait" in page and "Back to the case" in page
    # the paper is the annex's Chinese form whatever the page's language: marked as Chinese, with its own labels
    # (性别, not "Sex"), and the English page says so around it
    assert '<html lang="en">' in page and '<main class="sheet" id="approval-form" lang="zh-CN">' in page
    sheet = page[page.index('<main class="sheet"'):page.index("</main>")]
    assert "性别" in sheet and "（尚未办理）" in sheet and not ENGLISH_WORD.search(_visible_text(sheet))
    chrome = _visible_text(page[:page.index('<main class="sheet"')])
    assert "official form of the policy" in chrome and "printed in Chinese" in chrome
    assert not re.search(r"[\u4e00-\u9fff]", chrome), chrome


def test_the_approval_workbook_prints_on_a4_and_keeps_user_text_as_text(web_app, county, login):
    case_id = submit(county, 1, carer_or_institution=FORMULA, community_name="+SUM(1,2)")
    walk(county, case_id, until="assessed")
    answer = _post(login("zhao"), case_id, "approval", "xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in answer.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(answer.data))
    sheet = book["审批表"]
    assert sheet["A1"].value == FORM_TITLE
    labels = [cell.value for row in sheet.iter_rows() for cell in row if cell.value]
    for label in ("姓名", "残疾类别及等级", "残疾证号", "家庭状况", "家庭地址", "申请方式", "代申请人姓名", "服务形式",
                  "开户行", "账号", "申请人意见", "乡镇（街道）残联初审意见", "卫健医疗部门评估意见", "县级财政部门审批意见"):
        assert label in labels, label
    assert COPIES_NOTE in labels
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (None, 1)  # 1: the default
    assert sheet.page_setup.fitToHeight == 0  # one page wide, as long as it needs
    typed = [cell for row in sheet.iter_rows() for cell in row if cell.value in (FORMULA, "测试镇 +SUM(1,2)")]
    formula_cells = [cell for row in sheet.iter_rows() for cell in row
                     if isinstance(cell.value, str) and cell.value.startswith(("=", "+"))]
    assert formula_cells and all(cell.data_type == "s" and cell.quotePrefix for cell in formula_cells)
    assert any(cell.value == FORMULA for cell in typed)  # the carer's name exactly as typed, as text


def test_the_rejection_letter_names_the_failed_condition_its_clause_and_how_to_appeal(web_app, county, login):
    case_id = _rejected(county)
    page = _post(login("zhao"), case_id, "rejection").get_data(as_text=True)
    assert LETTER_TITLE in page and "欧阳建国" in page and "困难重度失能残疾人照护和托养补助" in page
    assert "视力残疾不在本政策范围" in page  # the reviewer's reason
    assert "持残疾人证，一、二级精神、智力或肢体残疾" in page and "三（一）第4项" in page  # the failed condition, its clause
    assert "宜府办发〔2023〕20号" in page and "2024年03月03日" in page  # rejected on 3 March (Beijing)
    assert "袁州区残疾人联合会" in page  # 五（五）: the federation answers (not a public elderly-care placement)
    assert "六十日" in page and "行政复议法" in page and "第二十条" in page
    assert "六个月" in page and "行政诉讼法" in page and "第四十六条" in page
    assert "乡镇（街道）残联或民政所初审" in page  # at which step it was refused
    text = _visible_text(page)
    assert not SNAKE_CASE.search(text) and not ENGLISH_WORD.search(text), text
    english = login("zhao").post(f"/cases/{case_id}/forms/rejection?lang=en", data={"format": "html"})
    english = english.get_data(as_text=True)  # the same Chinese letter, explained in English around it
    assert '<main class="sheet letter" id="rejection-letter" lang="zh-CN">' in english
    assert "视力残疾不在本政策范围" in english and "printed in Chinese" in english
    assert not ENGLISH_WORD.search(_visible_text(english[english.index('<main class="sheet'):]))
    workbook = load_workbook(io.BytesIO(_post(login("zhao"), case_id, "rejection", "xlsx").data))
    sheet = workbook["不予批准告知书"]
    assert sheet["A1"].value == LETTER_TITLE and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.orientation == "portrait"
    cells = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "行政复议" in cells and "袁州区残疾人联合会（盖章）" in cells and "三（一）第4项" in cells


def test_the_rejection_letter_only_for_a_rejected_case_and_only_by_post(web_app, county, login):
    case_id = submit(county, 1)
    zhao = login("zhao")
    refused = _post(zhao, case_id, "rejection")
    assert refused.status_code == 409 and "未被驳回" in refused.get_data(as_text=True)
    assert zhao.get(f"/cases/{case_id}/forms/approval").status_code == 405  # a GET never produces (nor audits)
    assert _post(zhao, case_id, "approval", "pdf").status_code == 422
    assert _post(login("outsider"), case_id, "approval").status_code == 404  # another county's case
    assert login().post(f"/cases/{case_id}/forms/approval").status_code in (302, 400, 401)  # no login, no form


def _printed_forms(session) -> list[AuditEntry]:
    """The audit entries of papers produced (print_form), oldest first."""
    return session.scalars(select(AuditEntry).where(AuditEntry.action == "print_form").order_by(AuditEntry.id)).all()


def test_each_production_is_audited_without_changing_the_case(web_app, county, login):
    case_id = _rejected(county)
    with session_scope(county) as session:
        from care_services.model import CareCase

        version = session.get(CareCase, case_id).version
    zhao = login("zhao")
    _post(zhao, case_id, "rejection")
    _post(zhao, case_id, "approval", "xlsx")
    with session_scope(county) as session:
        entries = _printed_forms(session)
        assert [(e.username, e.entity_key, e.details) for e in entries] == [
            ("zhao", str(case_id), {"case_form": "form.rejection", "file_format": "format.html"}),
            ("zhao", str(case_id), {"case_form": "form.approval", "file_format": "format.xlsx"})]
        assert entries[0].from_state is None and entries[0].to_state is None
        assert session.get(CareCase, case_id).version == version  # the case itself is unchanged
    page = zhao.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "打印或下载文书" in page and "文书：不予批准告知书；格式：网页" in page  # the case's trail reads it


def test_the_links_include_offers_the_letter_only_for_a_rejected_case(web_app, county):
    from flask import g, render_template_string

    with web_app.test_request_context("/"):
        g.lang = "zh"
        rejected = render_template_string('{% include "case_forms_links.html" %}',
                                          case={"id": 7, "state": "rejected", "scheme": "disability_care"})
        active = render_template_string('{% include "case_forms_links.html" %}',
                                        case={"id": 8, "state": "active", "scheme": "disability_care"})
        other = render_template_string('{% include "case_forms_links.html" %}',
                                       case={"id": 9, "state": "approved", "scheme": "childcare_construction"})
    assert 'action="/cases/7/forms/rejection"' in rejected and 'action="/cases/7/forms/approval"' in rejected
    assert "打印不予批准告知书（A4）" in rejected and 'target="_blank"' in rejected
    assert "/forms/rejection" not in active and "下载审批表（电子表格）" in active
    assert other.strip() == ""


# ------------------------------------------------------------------------------------------ 补正通知书

SEND_BACK_REASON = "评估表缺医生签字，请补签后重新评估"


def _sent_back(county, *, to_step: str = "assess", reason: str = SEND_BACK_REASON) -> int:
    """An assessed case the federation (zhao) sends back on day 4."""
    case_id = submit(county, 1)
    walk(county, case_id, until="assessed")
    with session_scope(county) as session:
        act_on(SUBMITTED + dt.timedelta(days=4), session, staff(session, "zhao"), case_id, "send_back",
               send_back_to=to_step, reason=reason)
    return case_id


def test_the_correction_notice_tells_the_applicant_what_to_correct_and_where(web_app, county, login):
    from care_services.case_forms import CORRECTION_TITLE
    from tests.conftest import travel

    case_id = _sent_back(county)
    travel(SUBMITTED + dt.timedelta(days=6))  # printed two days later: dated by the server's clock, that day
    answer = _post(login("zhao"), case_id, "correction")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    assert CORRECTION_TITLE in page and "欧阳建国" in page and "困难重度失能残疾人照护和托养补助" in page
    assert SEND_BACK_REASON in page  # the reviewer's own words
    assert "经县级残联审核，于2024年03月05日退回失能评估补正" in page  # which step sent it back, when, to which
    assert "重新进行生活自理能力6项指标评估" in page and "五（三）失能评估" in page  # what to do, from its clause
    assert "居民身份证、残疾人证" in page  # what to bring
    assert "补正材料请交到：测试镇残联或民政所" in page and "五（二）" in page  # where to hand it in
    assert 'id="issuer">袁州区残疾人联合会（盖章）' in page
    assert 'id="notice-date">2024年03月07日' in page  # the server's today, not the send-back's day
    text = _visible_text(page)
    assert not SNAKE_CASE.search(text) and not ENGLISH_WORD.search(text), text
    assert 'id="print-button"' in page and "<script>" not in page


def test_a_notice_sent_back_to_the_township_lists_the_application_materials(web_app, county, login):
    case_id = _sent_back(county, to_step="township_review", reason="户口本页与身份证住址不一致")
    page = _post(login("zhao"), case_id, "correction").get_data(as_text=True)
    assert "退回申请人信息（乡镇初审）补正" in page and "户口本页与身份证住址不一致" in page
    for item in ("户口本", "居民身份证", "残疾人证", "低保证（复印件）", "银行卡"):
        assert item in page
    assert "五（一）个人申请" in page


def test_the_correction_workbook_prints_on_a4_and_keeps_the_reason_as_text(web_app, county, login):
    case_id = _sent_back(county, reason=FORMULA)
    answer = _post(login("zhao"), case_id, "correction", "xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in answer.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(answer.data))["补正通知书"]
    assert sheet["A1"].value == "困难重度失能残疾人照护和托养申请补正通知书"
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "portrait"
    cells = [c for row in sheet.iter_rows() for c in row if c.value]
    text = "\n".join(str(c.value) for c in cells)
    assert "测试镇残联或民政所" in text and "袁州区残疾人联合会（盖章）" in text and "五（三）失能评估" in text
    assert f"退回原因：{FORMULA}" in text  # the reason, as the reviewer typed it, inside its line: never a formula
    assert not any(c.data_type == "f" for c in cells)


def test_the_correction_notice_only_while_the_case_waits_for_correction(web_app, county, login):
    zhao = login("zhao")
    case_id = submit(county, 1)
    refused = _post(zhao, case_id, "correction")
    assert refused.status_code == 409 and "未退回补正" in refused.get_data(as_text=True)
    with session_scope(county) as session:
        act_on(SUBMITTED, session, staff(session, "li"), case_id, "reject", reason="本人申请撤回")
    sent_back = _sent_back(county)  # (the same person: the first case is closed)
    assert zhao.get(f"/cases/{sent_back}/forms/correction").status_code == 405  # a GET never produces
    page = zhao.get(f"/cases/{sent_back}").get_data(as_text=True)
    assert f'action="/cases/{sent_back}/forms/correction"' in page and 'id="sent-back-notice"' in page
    assert 'id="correction-xlsx"' in page
    assert 'id="correction-html"' in zhao.get(f"/cases/{sent_back}/forms").get_data(as_text=True)  # the papers page
    with session_scope(county) as session:  # the assessment taken again: the correction is done
        act_on(SUBMITTED + dt.timedelta(days=5), session, staff(session, "wang"), sent_back, "assess",
               doctor="王医生", failed_activities=FOUR_FAILED, assessed_on=SUBMITTED + dt.timedelta(days=5))
    page = zhao.get(f"/cases/{sent_back}").get_data(as_text=True)
    assert "/forms/correction" not in page
    assert "/forms/correction" not in zhao.get(f"/cases/{sent_back}/forms").get_data(as_text=True)
    assert _post(zhao, sent_back, "correction").status_code == 409


def test_producing_a_correction_notice_is_audited(web_app, county, login):
    case_id = _sent_back(county)
    zhao = login("zhao")
    _post(zhao, case_id, "correction")
    _post(zhao, case_id, "correction", "xlsx")
    with session_scope(county) as session:
        entries = _printed_forms(session)
        assert [(e.username, e.entity_key, e.details) for e in entries] == [
            ("zhao", str(case_id), {"case_form": "form.correction", "file_format": "format.html"}),
            ("zhao", str(case_id), {"case_form": "form.correction", "file_format": "format.xlsx"})]
    page = zhao.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "文书：补正通知书；格式：网页" in page
