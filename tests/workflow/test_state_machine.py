"""宜府办发〔2023〕20号 五、申报程序: every step, every rejection, roles, segregation, notice, exit, paid months."""

import datetime as dt

import pytest

from subsidy_rules.workflow import (
    ACTIVE_STEPS,
    Actor,
    Case,
    WorkflowError,
    advance,
    is_paid_in,
    paid_months,
    reject,
    reviewer_role,
)

TOWNSHIP = Actor("li", "township_reviewer", "360902")
DOCTOR = Actor("wang", "health_assessor", "360902")
FEDERATION = Actor("zhao", "disability_federation_reviewer", "360902")
CIVIL = Actor("qian", "civil_affairs_reviewer", "360902")
RURAL = Actor("sun", "rural_revitalisation_officer", "360902")
FINANCE = Actor("zhou", "finance_approver", "360902")
FEDERATION_2 = Actor("wu", "disability_federation_reviewer", "360902")
DAY = dt.date(2024, 3, 1)


def walk(case: Case, until: str) -> Case:
    steps = [
        ("township_review", TOWNSHIP, {}),
        ("assess", DOCTOR, {"doctor": "王医生", "failed_activities": ["adl_eating", "adl_dressing", "adl_transfer",
                                                                      "adl_toileting"]}),
        ("sector_review", FEDERATION, {}),
        ("identity_check", RURAL, {}),
        ("approve", FINANCE, {}),
        ("publish_notice", FEDERATION, {}),
        ("activate", FEDERATION_2, {}),
    ]
    day = DAY
    for action, actor, details in steps:
        if case.state == until:
            return case
        day = day + dt.timedelta(days=8 if action == "activate" else 1)
        facts = {"assessed_on": day} if action == "assess" else {}
        case = advance(case, action, actor, day, **details, **facts)
    return case


def test_a_case_through_every_step_an_exit_and_two_payment_months():
    case = walk(Case("360902001", "home_care"), "active")
    assert case.state == "active"
    assert [s.action for s in case.history] == ["township_review", "assess", "sector_review", "identity_check",
                                                "approve", "publish_notice", "activate"]
    assert dict(case.history[1].details)["failed_activities"] == ("adl_dressing", "adl_eating", "adl_toileting",
                                                                  "adl_transfer")
    assert case.approved_on == dt.date(2024, 3, 6)
    # paid from the month after approval: April and May 2024 yes, March no
    assert not is_paid_in(case, 2024, 3) and is_paid_in(case, 2024, 4) and is_paid_in(case, 2024, 5)
    exited = advance(case, "exit", FEDERATION, dt.date(2024, 5, 22), exit_reason="death",
                     exit_date=dt.date(2024, 5, 20))
    assert exited.state == "exited" and paid_months(exited) == (2024 * 12 + 3, 2024 * 12 + 4)
    assert is_paid_in(exited, 2024, 5) and not is_paid_in(exited, 2024, 6)  # stops from the next month


@pytest.mark.parametrize("state", ACTIVE_STEPS)
def test_every_step_can_reject_with_a_reason(state):
    case = walk(Case("360902001", "home_care"), state)
    assert case.state == state
    deciders = {"submitted": TOWNSHIP, "township_reviewed": DOCTOR, "assessed": FEDERATION, "sector_reviewed": RURAL,
                "identity_checked": FINANCE, "approved": FEDERATION, "in_notice": FEDERATION_2}
    actor = deciders[state]
    with pytest.raises(WorkflowError) as error:
        reject(case, actor, DAY, "  ")
    assert error.value.code == "reason"
    rejected = reject(case, actor, DAY, "仅3项生活自理能力指标不能自理")
    assert rejected.state == "rejected" and rejected.history[-1].reason == "仅3项生活自理能力指标不能自理"
    with pytest.raises(WorkflowError):
        advance(rejected, "township_review", TOWNSHIP, DAY)


def test_roles_jurisdiction_and_segregation_are_enforced():
    case = Case("360902001", "home_care")
    with pytest.raises(WorkflowError) as error:
        advance(case, "township_review", FINANCE, DAY)
    assert error.value.code == "role"
    with pytest.raises(WorkflowError) as error:
        advance(case, "township_review", Actor("li2", "township_reviewer", "360921"), DAY)
    assert error.value.code == "jurisdiction"
    # a user holding the next role too still cannot take the next step of a case they just handled
    reviewed = advance(case, "township_review", TOWNSHIP, DAY)
    with pytest.raises(WorkflowError) as error:
        advance(reviewed, "assess", Actor("li", "health_assessor", "360902"), DAY, doctor="李", failed_activities=[])
    assert error.value.code == "segregation"
    with pytest.raises(WorkflowError) as error:
        advance(reviewed, "approve", FINANCE, DAY)
    assert error.value.code == "state"


def test_civil_affairs_reviews_public_elderly_placements_and_the_federation_the_rest():
    public = Case("360902001", "institutional_care", "public_elderly")
    assert reviewer_role(public) == "civil_affairs_reviewer"
    assert reviewer_role(Case("360902001", "institutional_care", "private")) == "disability_federation_reviewer"
    assessed = walk(public, "assessed")
    with pytest.raises(WorkflowError):
        advance(assessed, "sector_review", FEDERATION, DAY)
    assert advance(assessed, "sector_review", CIVIL, DAY).state == "sector_reviewed"


def test_the_notice_runs_seven_days_and_an_assessment_records_doctor_and_activities():
    approved = walk(Case("360902001", "day_care"), "approved")
    noticed = advance(approved, "publish_notice", FEDERATION, dt.date(2024, 4, 1))
    with pytest.raises(WorkflowError) as error:
        advance(noticed, "activate", FEDERATION_2, dt.date(2024, 4, 7))
    assert error.value.code == "notice" and "2024-04-08" in error.value.zh
    assert advance(noticed, "activate", FEDERATION_2, dt.date(2024, 4, 8)).state == "active"
    reviewed = walk(Case("360902001", "day_care"), "township_reviewed")
    with pytest.raises(WorkflowError) as error:
        advance(reviewed, "assess", DOCTOR, DAY, failed_activities=["adl_flying"], doctor="王")
    assert error.value.code == "assessment"


def test_an_exit_needs_a_known_reason():
    active = walk(Case("360902001", "home_care"), "active")
    with pytest.raises(WorkflowError) as error:
        advance(active, "exit", FEDERATION, DAY, exit_reason="bored")
    assert error.value.code == "exit_reason"
