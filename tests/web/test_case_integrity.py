"""Case integrity through the API and the pages (issue 14, part A): forged step dates refused by field, racing
requests for one person answered 201 once and 409 otherwise, another county neither rewriting nor learning of a
person's case, and the case's own correction step on the Chinese case page."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from care_services.db import session_scope
from care_services.model import Person
from tests.conftest import travel
from tests.workflow.conftest import act_on, application, staff, submit, walk
from tests.workflow.test_integrity import race


def test_the_api_refuses_a_forged_step_date_by_field(login):
    li, wang = login("li"), login("wang")
    case = li.post("/api/v1/cases", json=application()).get_json()
    url = f"/api/v1/cases/{case['id']}/transitions"
    assert li.post(url, json={"action": "township_review", "version": 1}).status_code == 200
    future = wang.post(url, json={"action": "assess", "version": 2, "doctor": "王", "failed_activities": [],
                                  "assessed_on": "2099-12-31"})
    assert future.status_code == 422 and set(future.get_json()["error"]["fields"]) == {"assessed_on"}
    assert "不能晚于今天" in future.get_json()["error"]["fields"]["assessed_on"][0]
    garbled = wang.post(url, json={"action": "assess", "version": 2, "doctor": "王", "assessed_on": "yesterday"})
    assert garbled.status_code == 422 and "assessed_on" in garbled.get_json()["error"]["fields"]


def test_eight_requests_racing_through_the_api_answer_one_201_and_409s(login):
    clients = [login(name) for name in ("li", "ma", "wang", "zhao", "wu", "qian", "sun", "zhou")]
    def file(i: int) -> tuple:
        answer = clients[i].post("/api/v1/cases", json=application(5))
        body = answer.get_json()
        return (answer.status_code, body["id"]) if answer.status_code == 201 else (
            answer.status_code, body["error"].get("code"), body["error"]["message_zh"])

    outcomes = race(8, file)
    statuses = Counter(outcome[0] for outcome in outcomes.elements())
    assert statuses == Counter({201: 1, 409: 7}), outcomes
    created = next(o for o in outcomes if o[0] == 201)[1]
    assert all(o[1] == "duplicate" and f"第{created}号" in o[2] for o in outcomes.elements() if o[0] == 409), outcomes


def test_another_county_neither_rewrites_nor_learns_of_a_persons_case(county, login):
    case_id = submit(county)  # 袁州区 (360902): 欧阳建国, 低保
    outsider = login("outsider")  # 奉新县 (360921)
    forged = {**application(), "name": "张冒名", "division_code": "360921", "dibao_household": False,
              "at_risk_of_poverty": True, "township_name": None, "community_name": None}
    refused = outsider.post("/api/v1/cases", json=forged)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "not_accepted"
    said = str(error)
    assert str(case_id) not in said and "360902" not in said and "袁州" not in said and "在办" not in said
    with session_scope(county) as session:
        person = session.get(Person, application()["id_number"])
        assert (person.name, person.hukou_division_code, person.dibao_household, person.at_risk_of_poverty) == (
            "欧阳建国", "360902", True, False)
    # once 袁州区's case is closed, 奉新县 may file: its case holds its filing; the record and 袁州区's case do not move
    walk(county, case_id)
    with session_scope(county) as session:
        act_on(dt.date(2024, 4, 2), session, staff(session, "zhao"), case_id, "exit", exit_reason="moved_away",
               exit_date=dt.date(2024, 4, 1))
    travel(dt.date(2024, 4, 3))
    made = outsider.post("/api/v1/cases", json=forged)
    assert made.status_code == 201 and made.get_json()["applicant"] == "张冒名"
    assert made.get_json()["applicant_facts"]["dibao_household"] is False
    zhao = login("zhao")
    assert zhao.get(f"/api/v1/cases/{case_id}").get_json()["applicant"] == "欧阳建国"
    assert zhao.get(f"/api/v1/cases/{case_id}").get_json()["applicant_facts"]["dibao_household"] is True
    with session_scope(county) as session:
        assert session.get(Person, application()["id_number"]).name == "欧阳建国"


def test_the_case_page_shows_the_facts_and_the_correction_form_in_chinese(web_app, county):
    import re

    from tests.web.test_pages import page_login

    case_id = submit(county)
    li = web_app.test_client()
    token = page_login(li, "li")
    page = li.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="applicant-facts"' in page and "申请人信息（本申请认定）" in page and "低保户" in page
    assert 'id="do-correct_facts"' in page and "更正依据" in page and 'name="on"' not in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    dated = li.post(f"/cases/{case_id}/actions", data={"csrf_token": token, "action": "township_review",
                                                       "version": version, "on": "2022-01-01"})
    assert dated.status_code == 422 and "on" in dated.get_data(as_text=True)  # a forged form date is refused
    done = li.post(f"/cases/{case_id}/actions", data={
        "csrf_token": token, "action": "correct_facts", "version": version, "name": "欧阳建华",
        "dibao_household": "true", "at_risk_of_poverty": "false", "tekun_supported": "false",
        "reason": "户口簿核实"})
    assert done.status_code == 302
    page = li.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "<h1>申请 #%d：欧阳建华</h1>" % case_id in page
    details = re.findall(r"<small class=\"details\"[^>]*>([^<]*)</small>", page)
    assert details[-1] == "原为：姓名 欧阳建国；更正为：姓名 欧阳建华"
    assert "更正申请人信息" in page
