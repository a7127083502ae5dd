"""Case integrity (issue 14, part A): the server's clock dates every step, the database keeps one open case per
person and scheme (racing threads included), a case keeps the facts it was decided on and changes them only through
its own audited correction, and no other county can rewrite or learn of them."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from care_services.accounts import InputError
from care_services.casework import act, history, submit_application
from care_services.db import session_scope
from care_services.model import AuditEntry, CareCase, Person
from subsidy_rules.workflow import WorkflowError
from tests.workflow.conftest import SUBMITTED, act_on, application, staff, submit, walk

DAY = dt.timedelta(days=1)


def test_a_step_takes_no_date_from_the_caller(county):
    case_id = submit(county)
    with session_scope(county) as session:
        with pytest.raises(InputError) as refused:
            act(session, staff(session, "li"), case_id, "township_review", on=dt.date(2022, 1, 1))
        assert "on" in refused.value.errors
    with session_scope(county) as session:
        with pytest.raises(TypeError):  # nor does a filing
            submit_application(session, application(2), on=dt.date(2022, 1, 1), by=staff(session, "li"))


def test_the_approval_is_dated_by_the_server_in_beijing_time_and_pays_from_the_next_month(county, clock):
    case_id = submit(county)
    walk(county, case_id, until="identity_checked")
    # 17:30 UTC on 31 March is 01:30 on 1 April in Beijing: the office's calendar says April
    clock.moment = dt.datetime(2024, 3, 31, 17, 30)
    with session_scope(county) as session:
        act(session, staff(session, "zhou"), case_id, "approve")
    with session_scope(county) as session:
        case = session.get(CareCase, case_id)
        assert case.approved_on == dt.date(2024, 4, 1) and case.submitted_on == SUBMITTED
        assert history(session, case_id)[-1].at == dt.datetime(2024, 3, 31, 17, 30)
        from care_services.casework import recipients

        assert recipients(session, "360902").iloc[0]["start"] == "2024-05"  # the month after the approval


def test_the_notice_runs_seven_days_from_its_recorded_publication(county):
    case_id = submit(county)
    walk(county, case_id, until="approved")
    published = dt.date(2024, 3, 10)
    with session_scope(county) as session:
        act_on(published, session, staff(session, "zhao"), case_id, "publish_notice")
    with session_scope(county) as session:
        with pytest.raises(WorkflowError) as refused:
            act_on(published + 6 * DAY, session, staff(session, "wu"), case_id, "activate")
        assert refused.value.code == "notice" and "2024-03-17" in refused.value.zh and "2024-03-17" in refused.value.en
    with session_scope(county) as session:
        act_on(published + 7 * DAY, session, staff(session, "wu"), case_id, "activate")
        assert session.get(CareCase, case_id).state == "active"


@pytest.mark.parametrize("assessed_on,reason", [
    (SUBMITTED + 3 * DAY, "不能晚于今天"),  # tomorrow
    (SUBMITTED - 30 * DAY, "不能早于申请日期"),
    (SUBMITTED, "不能早于上一环节"),  # the township review was on the next day
    (None, "请填写日期"),
])
def test_the_assessment_day_is_a_checked_fact(county, assessed_on, reason):
    case_id = submit(county)
    walk(county, case_id, until="township_reviewed")  # reviewed on SUBMITTED + 1
    with session_scope(county) as session:
        details = {"doctor": "王医生", "failed_activities": ["adl_eating"]}
        if assessed_on:
            details["assessed_on"] = assessed_on
        with pytest.raises(InputError) as refused:
            act_on(SUBMITTED + 2 * DAY, session, staff(session, "wang"), case_id, "assess", **details)
        assert list(refused.value.errors) == ["assessed_on"]
        assert reason in refused.value.errors["assessed_on"]["reason_zh"]
        assert refused.value.errors["assessed_on"]["reason_en"]
    with session_scope(county) as session:
        assert session.get(CareCase, case_id).state == "township_reviewed" and len(history(session, case_id)) == 2


def test_an_exit_is_dated_by_its_event_and_never_before_the_case_started_paying(county):
    case_id = submit(county)
    walk(county, case_id)  # active from SUBMITTED + 14
    today = dt.date(2024, 6, 3)
    for exit_date, reason in ((today + DAY, "不能晚于今天"), (SUBMITTED + 13 * DAY, "不能早于上一环节")):
        with session_scope(county) as session:
            with pytest.raises(InputError) as refused:
                act_on(today, session, staff(session, "zhao"), case_id, "exit", exit_reason="death",
                       exit_date=exit_date)
            assert reason in refused.value.errors["exit_date"]["reason_zh"]
    with session_scope(county) as session:  # a death on 28 May, recorded on 3 June: paid for May, not June
        act_on(today, session, staff(session, "zhao"), case_id, "exit", exit_reason="death",
               exit_date=dt.date(2024, 5, 28))
    with session_scope(county) as session:
        case = session.get(CareCase, case_id)
        assert (case.state, case.exited_on) == ("exited", dt.date(2024, 5, 28))
        entry = history(session, case_id)[-1]
        assert entry.details["exit_date"] == "2024-05-28" and entry.at.date() == today


# ------------------------------------------------------------------------------------------------ one open case


def race(count: int, work) -> Counter:
    """Run ``work(i)`` in ``count`` threads released at once; a Counter of what each returned or raised."""
    start = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(i: int) -> None:
        start.wait(timeout=30)
        try:
            outcomes[i] = work(i)
        except WorkflowError as error:
            outcomes[i] = error.code
        except Exception as error:  # noqa: BLE001 - any other failure is what the test is looking for
            outcomes[i] = f"{type(error).__name__}: {error}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


@pytest.mark.parametrize("stored", [False, True], ids=["new-person", "stored-person"])
def test_eight_filings_racing_for_one_person_make_one_case(county, stored):
    if stored:  # the person is on record from an earlier, rejected application
        first = submit(county)
        with session_scope(county) as session:
            act_on(SUBMITTED, session, staff(session, "ma"), first, "reject", reason="材料不全")
    filers = ["li", "ma", "wang", "zhao", "wu", "qian", "sun", "zhou"]  # any staff of the county may file

    def file(i: int) -> str:
        with session_scope(county) as session:
            submit_application(session, application(), by=staff(session, filers[i]))
        return "filed"

    outcomes = race(8, file)
    assert outcomes == Counter({"filed": 1, "duplicate": 7}), outcomes
    with session_scope(county) as session:
        open_cases = session.scalars(select(CareCase).where(CareCase.state == "submitted")).all()
        assert len(open_cases) == 1
        assert session.scalar(select(func.count()).select_from(Person)) == 1
        submissions = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "submit"))
        assert submissions == 1 + stored  # the losers left nothing behind


def test_the_database_refuses_a_second_open_case_whatever_the_code_does(county):
    from sqlalchemy.exc import IntegrityError

    case_id = submit(county)
    with pytest.raises(IntegrityError):
        with session_scope(county) as session:
            original = session.get(CareCase, case_id)
            copy = {c.name: getattr(original, c.name) for c in CareCase.__table__.columns if c.name not in ("id",)}
            session.add(CareCase(**copy))
    with session_scope(county) as session:  # a closed case does not count
        session.get(CareCase, case_id).state = "rejected"
        session.add(CareCase(**{**copy, "state": "submitted"}))


# ------------------------------------------------------------------------------------------------ facts of a case


def test_a_correction_of_facts_is_the_cases_own_audited_step(county):
    case_id = submit(county)
    with session_scope(county) as session:
        with pytest.raises(WorkflowError) as refused:  # the step now is the township's
            act(session, staff(session, "wang"), case_id, "correct_facts", dibao_household=False, reason="核实")
        assert refused.value.code == "role"
        with pytest.raises(InputError) as bad:
            act(session, staff(session, "li"), case_id, "correct_facts", dibao_household=False)
        assert "reason" in bad.value.errors
        with pytest.raises(InputError) as bad:
            act(session, staff(session, "li"), case_id, "correct_facts", name="欧阳建国", reason="核实")
        assert "_schema" in bad.value.errors  # nothing changes
    with session_scope(county) as session:
        act(session, staff(session, "li"), case_id, "correct_facts", dibao_household=False,
            reason="民政低保系统查询：已于2024年1月退出低保")
    with session_scope(county) as session:
        case = session.get(CareCase, case_id)
        entry = history(session, case_id)[-1]
        assert (case.state, case.version, case.person_facts["dibao_household"]) == ("submitted", 2, False)
        assert (entry.action, entry.from_state, entry.to_state) == ("correct_facts", "submitted", "submitted")
        assert entry.details == {"previous": {"dibao_household": True}, "corrected": {"dibao_household": False}}
        assert entry.reason.startswith("民政低保系统查询")
        income = next(c for c in entry.explanation["criteria"] if c["id"] == "low_income")
        assert income["passed"] is False  # re-evaluated on the corrected facts
        # a township user does not own the county's person record; the case changed, the record did not
        assert session.get(Person, case.person_id_number).dibao_household is True
    # a correction is not a step: li, who corrected, still reviews (confirming: the case is no longer eligible)
    with session_scope(county) as session:
        act_on(SUBMITTED + DAY, session, staff(session, "li"), case_id, "township_review", confirm_override=True,
               override_reason="低保情况报县级核实")
    with session_scope(county) as session:  # the county's assessor owns the step and the record
        act_on(SUBMITTED + 2 * DAY, session, staff(session, "wang"), case_id, "correct_facts", name="欧阳建华",
               reason="户口簿核实")
        assert session.get(Person, application()["id_number"]).name == "欧阳建华"


def test_the_facts_a_case_was_approved_on_are_fixed(county):
    case_id = submit(county)
    walk(county, case_id, until="approved")
    with session_scope(county) as session:
        with pytest.raises(WorkflowError) as refused:
            act(session, staff(session, "zhao"), case_id, "correct_facts", dibao_household=False, reason="x")
        assert refused.value.code == "state" and "退出" in refused.value.zh
    with session_scope(county) as session:  # the person's record changes (an import, another case): the case does not
        session.get(Person, application()["id_number"]).dibao_household = False
        session.get(Person, application()["id_number"]).name = "别人"
    with session_scope(county) as session:
        case = session.get(CareCase, case_id)
        assert case.person_facts["dibao_household"] is True and case.person_facts["name"] == "欧阳建国"
        from care_services.casework import recipients

        assert recipients(session, "360902").iloc[0]["dibao_household"] == True  # noqa: E712 - numpy bool


