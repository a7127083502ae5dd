"""The payment roll (idempotent, closed months fixed, integrated vs fallback, masked accounts) and the masked notice."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from care_services import notice, payroll
from care_services.db import session_scope
from care_services.model import AuditEntry, CareCase, Person
from subsidy_rules.workflow import WorkflowError
from tests.workflow.conftest import act_on, staff, submit, walk


def _audit_count(session, entity="payroll") -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == entity))


def test_a_roll_is_idempotent_and_a_closed_month_is_never_silently_changed(county, tmp_path):
    first, second = submit(county, 1), submit(county, 2, requested_service="institutional_care",
                                               institution_type="private", carer_or_institution="宜春康养中心",
                                               bank_account_name="宜春康养中心", bank_account="36050112345678")
    walk(county, first)
    walk(county, second)
    with session_scope(county) as session:
        roll = payroll.generate(session, "2024-04", "360902", by="test")
        assert roll.written and roll.header.status == "draft" and roll.header.recipients == 2
        # 居家照护 600 (200 integrated 两项补贴), 机构托养 1000 (200 integrated)
        assert [(l["amount"], l["integrated"], l["finance_fallback"]) for l in roll.lines] == [(600, 200, 400),
                                                                                               (1000, 200, 800)]
        assert roll.lines[1]["payee"] == "宜春康养中心" and roll.lines[1]["account_masked"] == "**********5678"
        assert roll.total == 1600 and roll.header.total == 1600
    with session_scope(county) as session:
        again = payroll.generate(session, "2024-04", "360902", by="someone else")
        assert not again.written and again.lines == roll.lines and again.header.digest == roll.header.digest
        assert again.header.generated_by == "test" and _audit_count(session) == 1
        # a late exit dated in April changes the draft: regenerated, logged, the old digest kept in the log
        act_on(dt.date(2024, 3, 31), session, staff(session, "zhao"), second, "exit", exit_reason="moved_away",
               exit_date=dt.date(2024, 3, 31))
    with session_scope(county) as session:
        draft = payroll.generate(session, "2024-04", "360902", by="test")
        assert draft.written and [l["case_id"] for l in draft.lines] == [first] and _audit_count(session) == 2
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "regenerate")).one()
        assert entry.details["previous"]["total"] == 1600 and entry.details["total"] == 600
        with pytest.raises(WorkflowError) as refused:
            payroll.close(session, "2024-04", "360902", staff(session, "zhao"))
        assert refused.value.code == "role"
        with pytest.raises(WorkflowError) as refused:
            payroll.generate(session, "2099-01", "360902", by="test")
            payroll.close(session, "2099-01", "360902", staff(session, "zhou"))
        assert refused.value.code == "future"
        payroll.close(session, "2024-04", "360902", staff(session, "zhou"), today=dt.date(2024, 5, 2))
    with session_scope(county) as session:  # data change after closing: the roll stays, the difference is reported
        act_on(dt.date(2024, 3, 31), session, staff(session, "zhao"), first, "exit", exit_reason="death",
               exit_date=dt.date(2024, 3, 31))
    with session_scope(county) as session:
        closed = payroll.generate(session, "2024-04", "360902", by="test")
        assert not closed.written and closed.header.status == "closed"
        assert [l["amount"] for l in closed.lines] == [600]
        assert closed.differences == [{"case_id": first, "stored_amount": 600, "current_amount": None}]
        with pytest.raises(WorkflowError) as refused:
            payroll.close(session, "2024-04", "360902", staff(session, "zhou"), today=dt.date(2024, 5, 2))
        assert refused.value.code == "closed"
        path = tmp_path / "roll.xlsx"
        payroll.write_roll(path, closed, "袁州区")
    workbook = load_workbook(path)
    sheet = workbook["发放名册"]
    assert "已关账" in sheet["A2"].value and sheet["B5"].value == "欧阳建国" and sheet["H5"].value.endswith("8901")
    assert "6228480012345678901" not in str([[c.value for c in row] for row in sheet.iter_rows()])
    assert workbook["关账后变动"]["A3"].value == first
    assert [c.value for c in sheet[4]][:3] == ["序号", "姓名", "乡镇（街道）"] and sheet.print_title_rows == "$4:$4"
    total = next(row for row in sheet.iter_rows(min_row=5) if row[0].value == "合计")
    assert total[8].value == 600 and total[8].number_format == "#,##0.00" and total[8].border.top.style == "thin"
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "合计金额（大写）：人民币陆佰元整" in texts and any("审核人" in t for t in texts)
    assert any("北京时间" in t for t in texts) and not any("UTC" in t or "draft" in t for t in texts)
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9


def test_roll_input_is_checked(county):
    with session_scope(county) as session:
        for month in ("2024-13", "202404", ""):
            with pytest.raises(payroll.InputError) as bad:
                payroll.generate(session, month, "360902", by="test")
            assert "month" in bad.value.errors
        with pytest.raises(payroll.InputError) as bad:
            payroll.generate(session, "2024-04", "369999", by="test")
        assert "jurisdiction" in bad.value.errors


def test_the_notice_masks_names_and_shows_no_id_or_disability(county, tmp_path):
    first, second = submit(county, 1), submit(county, 2, community_name="新华社区")
    walk(county, first, until="in_notice")
    walk(county, second, until="in_notice")
    with session_scope(county) as session:
        people = session.scalars(select(Person)).all()
        html = notice.render_html(session, "360902100", printed_on=dt.date(2024, 3, 9))
        village = notice.render_html(session, "360902100", "红星村")
        count = notice.write_xlsx(tmp_path / "notice.xlsx", session, "360902", "红星村")
        assert session.get(CareCase, first).state == "in_notice"
    assert count == 1 and village.count("<tr><td>") == 1
    assert "欧阳**" in html and "李*" in html and "2024年03月08日至2024年03月14日" in html
    assert "测试镇人民政府（街道办事处）" in html and "600.00" in html
    cells = " ".join(str(c.value) for row in load_workbook(tmp_path / "notice.xlsx").active.iter_rows() for c in row)
    assert "欧阳**" in cells and "新华社区" not in cells
    sheet = load_workbook(tmp_path / "notice.xlsx")["公示名单"]
    assert [c.value for c in sheet[3]][5] == "补贴标准（元/月）" and sheet["F4"].value == 600  # a number, not text
    assert sheet["F4"].number_format == "#,##0.00" and sheet.print_title_rows == "$3:$3"
    for published in (html, cells):
        for person in people:
            assert person.name not in published and person.id_number not in published
            assert person.disability_certificate_number not in published
        for private in ("肢体", "一级", "残疾等级", "吃饭", "王医生", "6228", "13800000000"):
            assert private not in published.replace("不含身份证号、残疾类别等级和评估信息", "")


def test_the_bank_list_is_for_finance_only_and_audited(county, tmp_path):
    first = submit(county, 1)
    walk(county, first)
    with session_scope(county) as session:
        roll = payroll.generate(session, "2024-04", "360902", by="test")
        with pytest.raises(WorkflowError) as refused:
            payroll.bank_details(session, roll, staff(session, "qian"))  # civil affairs: not finance
        assert refused.value.code == "role"
        before = _audit_count(session)
        bank = payroll.bank_details(session, roll, staff(session, "zhou"))
        assert _audit_count(session) == before + 1
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export_bank_list")).one()
        assert entry.username == "zhou" and entry.entity_key == "360902/2024-04"
        id_number = session.get(CareCase, first).person_id_number
        path = tmp_path / "bank.xlsx"
        payroll.write_roll(path, roll, "袁州区", bank=bank)
    sheet = load_workbook(path)["银行代发清单"]
    header = [c.value for c in sheet[4]]
    assert header[:6] == ["序号", "收款人户名", "身份证号", "开户行", "账号", "发放金额（元）"]
    line = [c.value for c in sheet[5]]
    assert line[2] == id_number and line[4] == "6228480012345678901" and line[5] == 600
    assert sheet["C5"].number_format == "@" and sheet["E5"].number_format == "@"  # every digit kept
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "合计金额（大写）：人民币陆佰元整" in texts and any("财政局" in t for t in texts)
