"""退回补正 (issue 17): a reviewer sends a case back to the earlier step that owns a fact; the owner corrects and
passes it again; passing a case the rules do not find eligible needs a confirmation with a reason; a user who sees a
due step but cannot take it is told why and who can."""

import datetime as dt

import pytest

from care_services.accounts import InputError
from care_services.db import session_scope
from care_services.model import AuditEntry, CareCase
from subsidy_rules import workflow as wf
from subsidy_rules.workflow import Actor, Case, WorkflowError, advance
from tests.workflow.conftest import FOUR_FAILED, act_on, staff, submit, walk
from tests.workflow.test_state_machine import DAY, DOCTOR, FEDERATION, FEDERATION_2, FINANCE, RURAL, TOWNSHIP
from tests.workflow.test_state_machine import walk as walk_pure

STEP_ZH = {"activate": "公示期满，开始发放", "sector_review": "残联审核", "approve": "财政审批", "exit": "退出"}


# ------------------------------------------------------------------------------------------------ the pure rules


def test_send_back_targets_are_the_earlier_steps_owning_a_fact_and_none_after_approval():
    case = Case("360902001", "home_care")
    assert wf.send_back_targets(case) == ()  # the township's own step: it corrects, nothing to send back to
    assert wf.send_back_targets(walk_pure(case, "township_reviewed")) == ("township_review",)
    assert wf.send_back_targets(walk_pure(case, "assessed")) == ("township_review", "assess")
    assert wf.send_back_targets(walk_pure(case, "identity_checked")) == ("township_review", "assess", "sector_review")
    assert wf.send_back_targets(walk_pure(case, "approved")) == ()  # after approval: an exit, not a correction
    institution = Case("360902", None, procedure="institution_subsidy", sector="elderly", state="sector_reviewed")
    assert wf.send_back_targets(institution) == ("sector_review",)


def test_finance_sends_back_to_the_assessment_and_every_later_step_is_taken_again():
    case = walk_pure(Case("360902001", "home_care"), "identity_checked")
    back = advance(case, wf.SEND_BACK, FINANCE, DAY + dt.timedelta(days=6), send_back_to="assess",
                   reason="评估表缺医生签字，请重新评估")
    assert back.state == "township_reviewed"  # the state before the assessment
    step = back.history[-1]
    assert (step.action, step.from_state, step.to_state, step.reason) == (
        wf.SEND_BACK, "identity_checked", "township_reviewed", "评估表缺医生签字，请重新评估")
    assert back.last_actor == "zhou"  # a send-back is a step: it counts for segregation of duties
    day = DAY + dt.timedelta(days=7)
    again = advance(back, "assess", DOCTOR, day, doctor="王医生", failed_activities=FOUR_FAILED, assessed_on=day)
    for action, actor in (("sector_review", FEDERATION), ("identity_check", RURAL), ("approve", FINANCE)):
        again = advance(again, action, actor, day)
    assert again.state == "approved"


def test_only_the_reviewer_of_the_awaited_step_sends_back_with_a_reason_to_an_earlier_owner():
    case = walk_pure(Case("360902001", "home_care"), "assessed")  # awaiting the federation's review
    with pytest.raises(WorkflowError) as refused:
        advance(case, wf.SEND_BACK, FINANCE, DAY, send_back_to="assess", reason="x")
    assert refused.value.code == "role"
    with pytest.raises(WorkflowError) as refused:
        advance(case, wf.SEND_BACK, FEDERATION, DAY, send_back_to="sector_review", reason="x")  # its own step
    assert refused.value.field == "send_back_to" and "失能评估" in refused.value.zh
    with pytest.raises(WorkflowError) as refused:
        advance(case, wf.SEND_BACK, FEDERATION, DAY, send_back_to="assess", reason="  ")
    assert refused.value.field == "reason"
    outsider = Actor("far", "disability_federation_reviewer", "360921")
    with pytest.raises(WorkflowError) as refused:
        advance(case, wf.SEND_BACK, outsider, DAY, send_back_to="assess", reason="x")
    assert refused.value.code == "jurisdiction"
    active = walk_pure(Case("360902001", "home_care"), "active")
    with pytest.raises(WorkflowError) as refused:
        advance(active, wf.SEND_BACK, FEDERATION, DAY, send_back_to="assess", reason="x")
    assert refused.value.code == "state"


def test_segregation_of_duties_holds_through_a_send_back():
    """The township reviewer who is sent the case back passes it again; the assessor who sent it back assesses
    next; the same person never takes two consecutive steps."""
    case = walk_pure(Case("360902001", "home_care"), "township_reviewed")
    back = advance(case, wf.SEND_BACK, DOCTOR, DAY + dt.timedelta(days=2), send_back_to="township_review",
                   reason="户籍证明与申请表不一致")
    assert back.state == "submitted"
    corrected = wf.correct(back, TOWNSHIP, DAY + dt.timedelta(days=3), "核对户口簿")  # not a step
    passed = advance(corrected, "township_review", TOWNSHIP, DAY + dt.timedelta(days=3))
    with pytest.raises(WorkflowError) as refused:  # li took the step before: another li step is refused
        advance(passed, wf.SEND_BACK, Actor("li", "health_assessor", "360902"), DAY, send_back_to="township_review",
                reason="x")
    assert refused.value.code == "segregation"


def test_passing_needs_a_confirmation_when_the_rules_say_no_or_cannot_yet_say():
    case = Case("360902001", "home_care")
    assert wf.confirmation_needed(case, "township_review", True) is None
    assert wf.confirmation_needed(case, "township_review", False) == "not_eligible"
    # before the assessment the ADL answers are the assessment's to record: not a reason to stop
    assert wf.confirmation_needed(case, "township_review", None, ["adl_eating", "approved_on"]) is None
    assert wf.confirmation_needed(case, "township_review", None, ["birth_date", "adl_eating"]) == "undecided"
    assert wf.confirmation_needed(case, "assess", None, ["adl_eating"]) == "undecided"  # the assessment's own facts
    assert wf.confirmation_needed(case, "approve", False) is None  # finance has its stricter rule
    assert wf.check_confirmation(None, None, None) is None
    with pytest.raises(WorkflowError) as refused:
        wf.check_confirmation("not_eligible", None, "理由")
    assert refused.value.field == "confirm_override" and "勾选确认" in refused.value.zh
    with pytest.raises(WorkflowError) as refused:
        wf.check_confirmation("undecided", True, " ")
    assert refused.value.field == "override_reason"
    assert wf.check_confirmation("undecided", True, " 已电话核实 ") == "已电话核实"


def test_a_blocked_step_says_why_and_who_can_act():
    names = {**STEP_ZH}
    notice = walk_pure(Case("360902001", "home_care"), "in_notice")  # zhao published the notice
    on = notice.notice_from + dt.timedelta(days=3)
    [block] = wf.blocks(notice, FEDERATION, notice.notice_from + dt.timedelta(days=8), names, names)
    assert block.code == "segregation" and block.zh.startswith("须由本部门另一名工作人员办理：公示期满，开始发放")
    [block] = wf.blocks(notice, FEDERATION_2, on, names, names)
    assert block.code == "notice" and wf.notice_ends(notice).isoformat() in block.zh
    assert wf.blocks(notice, FEDERATION_2, wf.notice_ends(notice), names, names) == []  # wu can act
    [block] = wf.blocks(walk_pure(Case("360902001", "home_care"), "identity_checked"), FEDERATION, on, names, names)
    assert (block.code, block.zh) == ("role", "须由县级财政部门办理：财政审批")
    active = walk_pure(Case("360902001", "home_care"), "active")  # wu activated it: another member exits it
    [block] = wf.blocks(active, FEDERATION_2, on, names, names)
    assert block.action == "exit" and block.zh.startswith("须由本部门另一名工作人员办理：退出")
    assert wf.blocks(active, FEDERATION, on, names, names) == []
    assert "for another member of your department" in wf.blocks(active, FEDERATION_2, on, names, names)[0].en


# ------------------------------------------------------------------------------------------------ stored and audited


def test_a_send_back_and_correction_are_stored_and_audited_with_old_and_new_values(county):
    case_id = submit(county)
    walk(county, case_id, until="identity_checked")
    with session_scope(county) as session:
        zhou = staff(session, "zhou")
        with pytest.raises(InputError) as bad:
            act_on(dt.date(2024, 3, 7), session, zhou, case_id, wf.SEND_BACK, send_back_to="approve", reason="x")
        assert "send_back_to" in bad.value.errors
        with pytest.raises(InputError) as bad:
            act_on(dt.date(2024, 3, 7), session, zhou, case_id, wf.SEND_BACK, send_back_to="assess")
        assert "reason" in bad.value.errors
        case = act_on(dt.date(2024, 3, 7), session, zhou, case_id, wf.SEND_BACK, send_back_to="assess",
                      reason="评估表未填洗澡一项，请重新评估")
        assert case.state == "township_reviewed"
    with session_scope(county) as session:
        from care_services.casework import history, open_send_back

        entry = open_send_back(history(session, case_id))
        assert (entry.action, entry.username, entry.reason, entry.details) == (
            wf.SEND_BACK, "zhou", "评估表未填洗澡一项，请重新评估", {"send_back_to": "assess"})
        assert (entry.from_state, entry.to_state) == ("identity_checked", "township_reviewed")
        # the assessor assesses again: five of six now; the audit keeps the old answers beside the new
        act_on(dt.date(2024, 3, 8), session, staff(session, "wang"), case_id, "assess", doctor="王医生",
               assessed_on=dt.date(2024, 3, 8), failed_activities=[*FOUR_FAILED, "adl_bathing"])
    with session_scope(county) as session:
        entries = history(session, case_id)
        assert open_send_back(entries) is None  # the step sent back to has been taken again
        assert entries[-1].details["previous"] == {"adl_bathing": False}
        assert session.get(CareCase, case_id).person_facts["adl_bathing"] is True
        act_on(dt.date(2024, 3, 9), session, staff(session, "zhao"), case_id, "sector_review", two_subsidies_month=150)
    with session_scope(county) as session:
        assert history(session, case_id)[-1].details["previous"] == {"two_subsidies_month": 200}
        act_on(dt.date(2024, 3, 10), session, staff(session, "sun"), case_id, "identity_check",
               at_risk_of_poverty=False)
        case = act_on(dt.date(2024, 3, 11), session, staff(session, "zhou"), case_id, "approve")
        assert case.state == "approved" and case.approved_on == dt.date(2024, 3, 11)


def test_a_reviewer_passes_a_not_eligible_case_only_with_a_confirmation_and_its_reason(county):
    # a certificate of 视力残疾 (category 1): outside 20号's scope, ✘ from the first step (issue 17's dead end)
    from tests.workflow.conftest import application

    case_id = submit(county, disability_certificate_number=application()["id_number"] + "11")
    with session_scope(county) as session:
        li = staff(session, "li")
        with pytest.raises(InputError) as bad:
            act_on(dt.date(2024, 3, 2), session, li, case_id, "township_review")
        assert "confirm_override" in bad.value.errors and "不符合条件" in bad.value.errors["confirm_override"]["reason_zh"]
        with pytest.raises(InputError) as bad:
            act_on(dt.date(2024, 3, 2), session, li, case_id, "township_review", confirm_override=True)
        assert "override_reason" in bad.value.errors
        assert session.get(CareCase, case_id).state == "submitted"
        act_on(dt.date(2024, 3, 2), session, li, case_id, "township_review", confirm_override=True,
               override_reason="申请人称证件类别登记有误，报县残联核实")
    with session_scope(county) as session:
        from sqlalchemy import select

        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_key == str(case_id))
                                .order_by(AuditEntry.id.desc())).first()
        assert entry.action == "township_review" and entry.reason == "申请人称证件类别登记有误，报县残联核实"
        assert entry.details["override"]["verdict"] == "not_eligible"
        assert any("残疾" in condition for condition in entry.details["override"]["failing"])
        # the township corrects the certificate after a send-back: the case is ✔ again and passes without one
        act_on(dt.date(2024, 3, 3), session, staff(session, "wang"), case_id, wf.SEND_BACK,
               send_back_to="township_review", reason="残疾人证类别为视力残疾，请核实证件")
    with session_scope(county) as session:
        from tests.workflow.conftest import application as form

        li = staff(session, "li")
        act_on(dt.date(2024, 3, 4), session, li, case_id, wf.CORRECTION, reason="核对残疾人证原件：肢体一级",
               disability_certificate_number=form()["id_number"] + "41")
        case = act_on(dt.date(2024, 3, 4), session, li, case_id, "township_review")
        assert case.state == "township_reviewed"
        last = history_of(session, case_id)
        assert [e.action for e in last[-3:]] == [wf.SEND_BACK, wf.CORRECTION, "township_review"]
        assert last[-2].details["previous"]["disability_certificate_number"].endswith("11")
        assert last[-1].reason is None and "override" not in (last[-1].details or {})


def history_of(session, case_id):
    from care_services.casework import history

    return history(session, case_id)
