"""Case records in the database: every step with its audit entry and the rules' explanation, every rejection,
role violations, an exit and two payment months, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from care_services import payroll
from care_services.accounts import InputError, authenticate
from care_services.casework import history, submit_application, work_queue
from care_services.db import session_scope
from care_services.identifiers import make_resident_id
from care_services.model import AppendOnly, AuditEntry, CareCase, Person, User
from subsidy_rules.parameters import default_parameters
from subsidy_rules.workflow import ACTIVE_STEPS, WorkflowError
from tests.workflow.conftest import FOUR_FAILED, PASSWORD, STEPS, SUBMITTED, act_on, application, staff, submit, walk


def test_a_case_through_every_step_an_exit_and_two_payment_months(county):
    case_id = submit(county)
    walk(county, case_id)
    with session_scope(county) as session:
        case = session.get(CareCase, case_id)
        assert case.state == "active" and case.approved_on == dt.date(2024, 3, 7) and case.version == 8
        entries = history(session, case_id)
        assert [e.action for e in entries] == ["submit"] + [step[0] for step in STEPS]
        assert [e.username for e in entries] == ["li", "li", "wang", "zhao", "sun", "zhou", "zhao", "wu"]
        assert all(e.parameter_version == default_parameters().version for e in entries)
        # the rules engine's explanation at each step: undecided until the assessment, then eligible with clauses
        assert entries[0].explanation["eligible"] is None and "adl_eating" in entries[0].explanation["missing_facts"]
        assessed = entries[2].explanation
        assert assessed["eligible"] is True
        adl = next(c for c in assessed["criteria"] if c["id"] == "severe_adl")
        assert adl["passed"] and adl["reference"]["document"] == "宜府办发〔2023〕20号"
        assert entries[2].details == {"doctor": "王医生", "failed_activities": sorted(FOUR_FAILED),
                                      "assessed_on": "2024-03-03"}
        assert session.get(Person, case.person_id_number).adl_eating is True
        assert entries[3].explanation["funding"] == {"integrated": 200, "finance_fallback": 400}

        # paid from the month after approval: April and May; March has nobody
        march = payroll.generate(session, "2024-03", "360902", by="test")
        april = payroll.generate(session, "2024-04", "360902", by="test")
        assert march.lines == []
        line = april.lines[0]
        assert (line["amount"], line["integrated"], line["finance_fallback"]) == (600, 200, 400)
        assert line["payee"] == "欧阳娜" and line["account_masked"] == "***************8901"

        act_on(dt.date(2024, 5, 20), session, staff(session, "zhao"), case_id, "exit", exit_reason="death",
               exit_date=dt.date(2024, 5, 20))
    with session_scope(county) as session:
        may = payroll.generate(session, "2024-05", "360902", by="test")
        june = payroll.generate(session, "2024-06", "360902", by="test")
        assert [line["amount"] for line in may.lines] == [600] and june.lines == []  # stops from the next month
        case = session.get(CareCase, case_id)
        assert case.state == "exited" and case.exit_reason == "death"


@pytest.mark.parametrize("state", ACTIVE_STEPS)
def test_every_step_can_reject_with_a_reason_the_applicant_sees(county, state):
    case_id = submit(county)
    walk(county, case_id, until=state)
    rejecter = {"submitted": "li", "township_reviewed": "wang", "assessed": "zhao", "sector_reviewed": "sun",
                "identity_checked": "zhou", "approved": "wu", "in_notice": "wu"}[state]
    with session_scope(county) as session:
        assert session.get(CareCase, case_id).state == state
        act_on(dt.date(2024, 3, 20), session, staff(session, rejecter), case_id, "reject",
            reason="户籍不在本县 / hukou elsewhere")
    with session_scope(county) as session:
        case = session.get(CareCase, case_id)
        assert case.state == "rejected" and case.rejection_reason == "户籍不在本县 / hukou elsewhere"
        last = history(session, case_id)[-1]
        assert (last.action, last.from_state, last.to_state, last.username) == ("reject", state, "rejected", rejecter)
        with pytest.raises(WorkflowError) as refused:  # a rejected case takes no further step
            act_on(dt.date(2024, 3, 21), session, staff(session, "zhao"), case_id, "exit", exit_reason="death",
                   exit_date=dt.date(2024, 3, 21))
        assert refused.value.code == "state"


def test_role_jurisdiction_segregation_and_state_violations_are_refused(county):
    case_id = submit(county)
    on = SUBMITTED + dt.timedelta(days=1)
    with session_scope(county) as session:
        for username, action, code in [("wang", "township_review", "role"), ("admin", "township_review", "role"),
                                       ("li", "approve", "state"), ("li", "fly", "unknown_action")]:
            with pytest.raises(WorkflowError) as refused:
                act_on(on, session, staff(session, username), case_id, action)
            assert refused.value.code == code, (username, action)
        with pytest.raises(WorkflowError) as refused:
            act_on(on, session, staff(session, "outsider"), case_id, "township_review")
        assert refused.value.code == "not_found"  # outside the jurisdiction the case does not exist
        assert session.get(CareCase, case_id).state == "submitted" and len(history(session, case_id)) == 1
    walk(county, case_id, until="identity_checked")
    with session_scope(county) as session:
        # sun checked the identity; a second role of sun's cannot approve, and zhou cannot skip the notice
        with pytest.raises(WorkflowError) as refused:
            act_on(dt.date(2024, 3, 7), session, staff(session, "sun"), case_id, "approve")
        assert refused.value.code == "role"
        act_on(dt.date(2024, 3, 7), session, staff(session, "zhou"), case_id, "approve")
        act_on(dt.date(2024, 3, 8), session, staff(session, "zhao"), case_id, "publish_notice")
        with pytest.raises(WorkflowError) as refused:  # the same user on two consecutive steps
            act_on(dt.date(2024, 3, 15), session, staff(session, "zhao"), case_id, "activate")
        assert refused.value.code == "segregation"
        with pytest.raises(WorkflowError) as refused:  # before the 7 days are over
            act_on(dt.date(2024, 3, 14), session, staff(session, "wu"), case_id, "activate")
        assert refused.value.code == "notice"


def test_work_queues_show_each_role_its_cases(county):
    first, second = submit(county, 1), submit(county, 2)
    walk(county, second, until="assessed")
    with session_scope(county) as session:
        assert [c.id for c in work_queue(session, staff(session, "li"))] == [first]
        assert [c.id for c in work_queue(session, staff(session, "zhao"))] == [second]
        assert work_queue(session, staff(session, "outsider")) == []


def test_finance_cannot_approve_what_the_rules_say_is_not_payable(county):
    case_id = submit(county)
    with session_scope(county) as session:
        act_on(dt.date(2024, 3, 2), session, staff(session, "li"), case_id, "township_review")
        # three of six: not 重度失能; each reviewer who passes it anyway confirms, with a reason (issue 17)
        confirmed = {"confirm_override": True, "override_reason": "复核后仍报上级决定"}
        act_on(dt.date(2024, 3, 3), session, staff(session, "wang"), case_id, "assess", doctor="王医生",
               assessed_on=dt.date(2024, 3, 3), failed_activities=FOUR_FAILED[:3], **confirmed)
        act_on(dt.date(2024, 3, 4), session, staff(session, "zhao"), case_id, "sector_review", **confirmed)
        act_on(dt.date(2024, 3, 5), session, staff(session, "sun"), case_id, "identity_check", at_risk_of_poverty=False,
               **confirmed)
        with pytest.raises(WorkflowError) as refused:
            act_on(dt.date(2024, 3, 6), session, staff(session, "zhou"), case_id, "approve")
        assert refused.value.code == "ineligible" and "6项指标中4—6项" in refused.value.zh
        assert session.get(CareCase, case_id).state == "identity_checked"


def test_step_inputs_are_checked_field_by_field(county):
    case_id = submit(county)
    walk(county, case_id, until="township_reviewed")
    with session_scope(county) as session:
        wang = staff(session, "wang")
        with pytest.raises(WorkflowError) as refused:
            act_on(dt.date(2024, 3, 3), session, wang, case_id, "assess", failed_activities=FOUR_FAILED)
        assert refused.value.code == "assessment"  # no doctor
        with pytest.raises(InputError) as bad:
            act_on(dt.date(2024, 3, 3), session, wang, case_id, "assess", doctor="王", failed_activities=["flying"])
        assert "failed_activities" in bad.value.errors
        with pytest.raises(InputError) as bad:
            act_on(dt.date(2024, 3, 3), session, wang, case_id, "assess", doctor="王", failed_activities=[], note="x")
        assert "note" in bad.value.errors
        assert session.get(CareCase, case_id).state == "township_reviewed"


@pytest.mark.parametrize("field,value,reason", [
    ("id_number", "360902196005010011", "校验码"),
    ("id_number", "36090219600231001X", "出生日期"),
    ("disability_certificate_number", make_resident_id("360902", dt.date(1960, 5, 1), 1) + "81", "残疾类别"),
    ("disability_certificate_number", make_resident_id("360902", dt.date(1960, 5, 1), 2) + "41", "不一致"),
    ("proxy_id_number", "123", "18位"),
    ("bank_account", "6228-ABCD", "8–30位数字"),
    ("requested_service", "hotel", "服务形式"),
    ("division_code", "999999", "不存在"),
])
def test_applications_are_validated_on_input(county, field, value, reason):
    with session_scope(county) as session:
        with pytest.raises(InputError) as bad:
            submit_application(session, application(**{field: value}), by=staff(session, "li"))
        assert field in bad.value.errors
        assert reason in bad.value.errors[field]["reason_zh"]
        assert session.scalar(select(CareCase.id)) is None


def test_one_open_application_per_person_and_staff_only_in_their_jurisdiction(county):
    first = submit(county)
    with session_scope(county) as session:
        with pytest.raises(WorkflowError) as refused:
            submit_application(session, application(), by=staff(session, "ma"))
        assert refused.value.code == "duplicate" and f"第{first}号" in refused.value.zh
        with pytest.raises(InputError) as bad:
            submit_application(session, application(3), by=staff(session, "outsider"))
        assert "division_code" in bad.value.errors


def test_the_audit_log_is_append_only_in_the_orm_and_in_the_database(county):
    case_id = submit(county)
    with Session(county) as session:
        entry = history(session, case_id)[0]
        entry.reason = "rewritten"
        with pytest.raises(AppendOnly):
            session.flush()
        session.rollback()
        session.delete(history(session, case_id)[0])
        with pytest.raises(AppendOnly):
            session.flush()
    for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception) as refused:
            with county.begin() as connection:
                connection.execute(text(statement))
        assert "append-only" in str(refused.value)
    with session_scope(county) as session:
        assert session.scalar(select(AuditEntry.reason).where(AuditEntry.entity_key == str(case_id))) is None


def test_passwords_are_hashed_and_never_logged(county):
    with session_scope(county) as session:
        user = staff(session, "li")
        assert PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert authenticate(session, "li", PASSWORD).id == user.id
        assert authenticate(session, "li", "wrong password") is None
        assert authenticate(session, "nobody", PASSWORD) is None
        user.active = False
        assert authenticate(session, "li", PASSWORD) is None
        logged = [str(e.details) for e in session.scalars(select(AuditEntry).where(AuditEntry.entity == "user"))]
        assert len(logged) == len(session.scalars(select(User)).all()) and not any(PASSWORD in d for d in logged)
