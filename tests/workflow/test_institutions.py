"""Institution subsidy applications (九府办字[2022]113号 附件3) on the same machinery: the lead department of the
sector reviews and verifies the facts (附件1 第2、3项), finance approves (第4项), every step logged and explained."""

from __future__ import annotations

import datetime as dt

import pytest

from care_services.accounts import InputError, create_user
from care_services.casework import history, submit_institution_application, work_queue
from care_services.db import session_scope
from care_services.model import CareCase
from subsidy_rules.workflow import WorkflowError
from tests.workflow.conftest import PASSWORD, act_on, staff

LIANXI = "360402"  # 濂溪区, 九江市
NURSERY = {"area": "urban", "construction": "new", "slots_added": 60, "in_planning_or_construction": True,
           "government_or_joint_investment": False}
ON = dt.date(2024, 3, 1)


@pytest.fixture
def jiujiang(county):
    with session_scope(county) as session:
        for username, role in (("jj_health", "health_commission_reviewer"), ("jj_civil", "civil_affairs_reviewer"),
                               ("jj_finance", "finance_approver"), ("jj_finance2", "finance_approver")):
            create_user(session, username, PASSWORD, role, LIANXI)
    return county


def apply(engine, scheme="childcare_construction", facts=None, **changes) -> int:
    with session_scope(engine) as session:
        return submit_institution_application(session, scheme, {
            "institution_name": "濂溪区阳光托育中心", "division_code": LIANXI, "facts": facts or NURSERY,
            "bank_name": "九江银行", "bank_account": "1234567890123", **changes}).id


def test_a_nursery_construction_subsidy_from_application_to_approval(jiujiang):
    case_id = apply(jiujiang)
    with session_scope(jiujiang) as session:
        assert [c.id for c in work_queue(session, staff(session, "jj_health"))] == [case_id]
        assert work_queue(session, staff(session, "jj_civil")) == []  # 托育 is the health commission's
        with pytest.raises(WorkflowError) as refused:
            act_on(ON, session, staff(session, "jj_civil"), case_id, "sector_review")
        assert refused.value.code == "role"
        # the reviewer verifies 50 places, not the 60 applied for (核定)
        act_on(dt.date(2024, 3, 5), session, staff(session, "jj_health"), case_id, "sector_review",
            facts={"slots_added": 50})
        act_on(dt.date(2024, 3, 8), session, staff(session, "jj_finance"), case_id, "approve")
    with session_scope(jiujiang) as session:
        case = session.get(CareCase, case_id)
        assert case.state == "approved" and case.facts["slots_added"] == 50 and case.approved_on == dt.date(2024, 3, 8)
        entries = history(session, case_id)
        assert [(e.action, e.username) for e in entries] == [("submit", "applicant"), ("sector_review", "jj_health"),
                                                             ("approve", "jj_finance")]
        assert entries[0].explanation["amount"] == 36000  # 60 × 600 as applied
        assert entries[2].explanation["amount"] == 30000  # 50 × 600 as verified
        assert entries[2].explanation["funding"] == {"city": 12000, "county": 18000}
        assert entries[1].details == {"facts": {"slots_added": 50}}
        with pytest.raises(WorkflowError) as refused:  # approved is the end of this procedure
            act_on(dt.date(2024, 3, 9), session, staff(session, "jj_finance2"), case_id, "publish_notice")
        assert refused.value.code == "unknown_action"


def test_an_elderly_institution_goes_to_civil_affairs_and_can_be_rejected(jiujiang):
    facts = {"ownership": "private_non_profit", "premises": "self_built", "ordinary_beds": 40, "nursing_beds": 60,
             "built_to_standard": True, "in_central_city": True, "opened_on": "2023-01-01"}
    case_id = apply(jiujiang, "elderly_institution_construction", facts, institution_name="濂溪区颐养院")
    with session_scope(jiujiang) as session:
        assert [c.id for c in work_queue(session, staff(session, "jj_civil"))] == [case_id]
        act_on(dt.date(2024, 3, 4), session, staff(session, "jj_civil"), case_id, "reject",
            reason="消防验收材料缺失 / fire inspection papers missing")
        case = session.get(CareCase, case_id)
        assert case.state == "rejected" and "消防" in case.rejection_reason


def test_finance_cannot_approve_an_ineligible_institution_and_facts_are_checked(jiujiang):
    case_id = apply(jiujiang, facts={**NURSERY, "in_planning_or_construction": False})  # built before: not eligible
    with session_scope(jiujiang) as session:
        with pytest.raises(InputError) as bad:  # passing a case the rules find not eligible is confirmed (issue 17)
            act_on(dt.date(2024, 3, 5), session, staff(session, "jj_health"), case_id, "sector_review")
        assert "confirm_override" in bad.value.errors
        act_on(dt.date(2024, 3, 5), session, staff(session, "jj_health"), case_id, "sector_review",
               confirm_override=True, override_reason="报财政复核")
        with pytest.raises(WorkflowError) as refused:
            act_on(dt.date(2024, 3, 8), session, staff(session, "jj_finance"), case_id, "approve")
        assert refused.value.code == "ineligible"
    with session_scope(jiujiang) as session:
        with pytest.raises(InputError) as bad:
            submit_institution_application(session, "childcare_construction", {
                "institution_name": "", "division_code": LIANXI, "facts": {**NURSERY, "slots_added": "many", "x": 1},
                "bank_account": "12"})
        assert {"institution_name", "facts.slots_added", "facts.x", "bank_account"} <= set(bad.value.errors)
        with pytest.raises(InputError) as bad:
            submit_institution_application(session, "disability_care", {})
        assert "scheme" in bad.value.errors
