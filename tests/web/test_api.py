"""Every endpoint of /api/v1 and its errors: 400/422 field by field, 401/403, 404, 409 on a stale update."""

from __future__ import annotations

import datetime as dt

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import travel
from tests.workflow.conftest import FOUR_FAILED, application

NURSERY = {"inclusive": True, "monthly_fee": 800, "local_inclusive_price": 900, "enrolled_under_3": 30}


# ------------------------------------------------------------------------------------------------ evaluate


def test_evaluate_answers_like_the_command_line(login):
    client = login()
    answer = client.post("/api/v1/schemes/childcare_operation/evaluate",
                         json={"facts": NURSERY, "jurisdiction": "360403", "date": "2024-01-01"})
    body = answer.get_json()
    assert answer.status_code == 200 and body["eligible"] is True and body["amount"] == 6000
    assert all(c["reference"]["document"] == "九府办字[2022]113号" for c in body["criteria"])
    assert body["funding"] and body["steps"] and body["parameters"]
    # the steps in Chinese and, one for one, in English (issue 17)
    assert body["steps"][0] == "实际收托30人×每人每月200.00元 = 6,000.00元，由县级负担"
    assert body["steps_en"] == [
        "30 children enrolled × CNY 200.00 per child per month = CNY 6,000.00, paid by the county"]
    short = client.post("/api/v1/schemes/childcare_operation/evaluate",
                        json={"facts": {"inclusive": True}, "jurisdiction": "360403"}).get_json()
    assert short["eligible"] is None and "monthly_fee" in short["missing_facts"]
    refused = client.post("/api/v1/schemes/childcare_operation/evaluate",
                          json={"facts": {**NURSERY, "inclusive": False}, "jurisdiction": "360403"}).get_json()
    assert refused["eligible"] is False and refused["amount"] == 0


@pytest.mark.parametrize("body,fields", [
    ({"facts": {"inclusive": "maybe"}, "jurisdiction": "36"}, {"facts.inclusive", "jurisdiction"}),
    ({"facts": {"monthly_fee": -5, "unknown_fact": 1}, "jurisdiction": "360403"}, {"facts.monthly_fee", "facts.unknown_fact"}),
    ({"facts": {}, "jurisdiction": "360403", "date": "2024-02-30"}, {"date"}),
    ({"jurisdiction": "360403"}, {"facts"}),
    ({"facts": {}, "jurisdiction": "360403", "extra": 1}, {"extra"}),
    ([1, 2], {"_schema"}),
])
def test_evaluate_reports_every_bad_field(login, body, fields):
    answer = login().post("/api/v1/schemes/childcare_operation/evaluate", json=body)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert set(error["fields"]) == fields and error["message_zh"] and error["message_en"]


def test_evaluate_errors_that_are_not_fields(login):
    client = login()
    assert client.post("/api/v1/schemes/nothing/evaluate", json={}).status_code == 404
    assert client.post("/api/v1/schemes/childcare_operation/evaluate", data="facts=1").status_code == 415
    broken = client.post("/api/v1/schemes/childcare_operation/evaluate", data="{", content_type="application/json")
    assert broken.status_code == 400 and "_body" in broken.get_json()["error"]["fields"]
    assert client.get("/api/v1/schemes/childcare_operation/evaluate").status_code == 405


def test_evaluate_batch_from_json_and_from_a_workbook(login):
    client = login()
    answer = client.post("/api/v1/schemes/childcare_operation/evaluate-batch",
                         json=[{"facts": NURSERY, "jurisdiction": "360403"}, {"facts": {**NURSERY, "inclusive": False}},
                               {"facts": {"inclusive": True}}],
                         query_string={})
    assert answer.status_code == 422 and set(answer.get_json()["error"]["fields"]) == {"cases.1.jurisdiction",
                                                                                       "cases.2.jurisdiction"}
    body = client.post("/api/v1/schemes/childcare_operation/evaluate-batch",
                       json={"cases": [{"facts": NURSERY}, {"facts": {**NURSERY, "inclusive": False}}],
                             "jurisdiction": "360403", "date": "2024-01-01"}).get_json()
    assert body["count"] == 2 and body["eligible"] == 1 and [r["amount"] for r in body["results"]] == [6000, 0]

    book = Workbook()
    sheet = book.active
    sheet.append(["普惠托育机构", "月收费（元）", "当地普惠指导价（元/月）", "实际收托3岁以下婴幼儿数"])
    sheet.append(["是", 800, 900, 30])
    sheet.append(["是", "八百", 900, 30])  # a bad cell is that row's fact error, not a failure
    upload = io.BytesIO()
    book.save(upload)

    def send(query=None, name="cases.xlsx"):
        upload.seek(0)
        return client.post("/api/v1/schemes/childcare_operation/evaluate-batch", query_string=query or {},
                           data={"file": (io.BytesIO(upload.getvalue()), name), "jurisdiction": "360403",
                                 "date": "2024-01-01"}, content_type="multipart/form-data")
    results = send().get_json()["results"]
    assert [r["row"] for r in results] == [2, 3] and results[0]["amount"] == 6000
    assert "monthly_fee" in results[1]["fact_errors"]
    workbook = send({"format": "xlsx"})
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    assert load_workbook(io.BytesIO(workbook.data)).active.max_row >= 3
    wrong = send(name="cases.csv")
    assert wrong.status_code == 422 and "file" in wrong.get_json()["error"]["fields"]


def test_schemes_listing(login):
    client = login()
    listed = client.get("/api/v1/schemes").get_json()["schemes"]
    assert {"disability_care", "childcare_operation"} <= {s["id"] for s in listed}
    scheme = client.get("/api/v1/schemes/disability_care").get_json()
    assert scheme["facts"] and scheme["criteria"][0]["reference"]["document"] == "宜府办发〔2023〕20号"
    assert client.get("/api/v1/schemes/none").status_code == 404


# ------------------------------------------------------------------------------------------------ sessions


def test_sessions_and_csrf(login, web_app):
    client = web_app.test_client()
    assert client.get("/api/v1/cases").status_code == 401
    # a login needs the CSRF token, answered before any login
    assert client.post("/api/v1/session", json={"username": "li", "password": "correct horse 1"}).status_code == 400
    token = {"X-CSRF-Token": client.get("/api/v1/session").get_json()["csrf_token"]}
    wrong = client.post("/api/v1/session", json={"username": "li", "password": "nope"}, headers=token)
    assert wrong.status_code == 401 and wrong.get_json()["error"]["message_zh"] == "用户名或密码错误"
    assert client.post("/api/v1/session", json={"username": "li"}, headers=token).status_code == 422
    ok = client.post("/api/v1/session", json={"username": "li", "password": "correct horse 1"}, headers=token).get_json()
    assert ok["user"]["role"] == "township_reviewer" and ok["csrf_token"]
    assert "password" not in str(ok)
    assert client.get("/api/v1/session").get_json()["user"]["username"] == "li"
    # a change without the token is refused, with it accepted
    forged = client.post("/api/v1/cases", json=application())
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "csrf"
    made = client.post("/api/v1/cases", json=application(), headers={"X-CSRF-Token": ok["csrf_token"]})
    assert made.status_code == 201
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": ok["csrf_token"]}).status_code == 204
    assert client.get("/api/v1/session").status_code == 401


# ------------------------------------------------------------------------------------------------ cases


STEPS = [("township_review", "li", {}),
         ("assess", "wang", {"doctor": "王医生", "failed_activities": FOUR_FAILED, "assessed_on": "2024-03-03"}),
         ("sector_review", "zhao", {"two_subsidies_month": 200}), ("identity_check", "sun", {"at_risk_of_poverty": False}),
         ("approve", "zhou", {}), ("publish_notice", "zhao", {})]


def test_a_case_through_the_api_with_every_kind_of_refusal(login):
    clients = {name: login(name) for name in ("li", "wang", "zhao", "sun", "zhou", "wu", "outsider")}
    bad = clients["li"].post("/api/v1/cases", json=application(id_number="360902196005010011"))
    assert bad.status_code == 422 and "id_number" in bad.get_json()["error"]["fields"]
    dated = clients["li"].post("/api/v1/cases", json={**application(), "on": "2024-03-01"})
    assert dated.status_code == 422 and "on" in dated.get_json()["error"]["fields"]  # no client dates a filing
    created = clients["li"].post("/api/v1/cases", json=application())
    assert created.status_code == 201
    case = created.get_json()
    assert case["state"] == "submitted" and case["version"] == 1 and case["history"][0]["explanation"]
    url = f"/api/v1/cases/{case['id']}"
    assert clients["outsider"].get(url).status_code == 404  # another county's case does not exist for them
    assert [c["id"] for c in clients["li"].get("/api/v1/cases?queue=1").get_json()["cases"]] == [case["id"]]

    wrong_role = clients["wang"].post(f"{url}/transitions", json={"action": "township_review", "version": 1})
    assert wrong_role.status_code == 403 and wrong_role.get_json()["error"]["code"] == "role"
    dated = clients["li"].post(f"{url}/transitions", json={"action": "township_review", "version": 1, "on": "2024-03-02"})
    assert dated.status_code == 422 and "on" in dated.get_json()["error"]["fields"]  # the server dates every step
    day = 2
    for action, user, details in STEPS:
        travel(dt.date(2024, 3, day))
        version = clients[user].get(url).get_json()["version"]
        answer = clients[user].post(f"{url}/transitions", json={"action": action, "version": version, **details})
        assert answer.status_code == 200, answer.get_json()
        day += 1
    # published on 2024-03-07 by the server's clock: the 7 days end on 03-14
    assert clients["wu"].get(url).get_json()["notice_from"] == "2024-03-07"
    travel(dt.date(2024, 3, 9))
    # a stale version: somebody acted since this reviewer loaded the case
    stale = clients["wu"].post(f"{url}/transitions", json={"action": "activate", "version": 2})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale"
    version = clients["wu"].get(url).get_json()["version"]
    early = clients["wu"].post(f"{url}/transitions", json={"action": "activate", "version": version})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "notice"
    assert "2024-03-14" in early.get_json()["error"]["message_zh"] + early.get_json()["error"].get("message_en", "")
    travel(dt.date(2024, 3, 20))
    same = clients["zhao"].post(f"{url}/transitions", json={"action": "activate", "version": version})
    assert same.status_code == 403 and same.get_json()["error"]["code"] == "segregation"
    invalid = clients["wu"].post(f"{url}/transitions", json={"action": "fly", "version": "x"})
    assert invalid.status_code == 422 and {"action", "version"} <= set(invalid.get_json()["error"]["fields"])
    notice = clients["zhao"].get("/api/v1/notice?jurisdiction=360902")
    assert notice.status_code == 200 and "欧阳**" in notice.get_data(as_text=True)
    assert application()["id_number"] not in notice.get_data(as_text=True)
    assert clients["zhao"].get("/api/v1/notice?jurisdiction=360921").status_code == 403
    done = clients["wu"].post(f"{url}/transitions", json={"action": "activate", "version": version})
    assert done.get_json()["state"] == "active"
    history = clients["wu"].get(url).get_json()["history"]
    assert [h["action"] for h in history][-1] == "activate" and all(h["parameter_version"] for h in history)

    assert clients["zhou"].get("/api/v1/payroll/2024-04?jurisdiction=360902").status_code == 404  # not generated
    made = clients["zhou"].post("/api/v1/payroll/2024-04?jurisdiction=360902")
    assert made.status_code == 201
    roll = clients["zhou"].get("/api/v1/payroll/2024-04?jurisdiction=360902").get_json()
    assert roll == made.get_json()
    assert roll["total"] == 600 and roll["lines"][0]["account_masked"].endswith("8901")
    assert clients["li"].get("/api/v1/payroll/2024-04?jurisdiction=360902").status_code == 403
    assert clients["zhou"].get("/api/v1/payroll/2024-13?jurisdiction=360902").status_code == 422
    xlsx = clients["zhou"].get("/api/v1/payroll/2024-04?jurisdiction=360902&format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.data))["发放名册"]["I5"].value == 600
    early = clients["zhou"].post("/api/v1/payroll/2024-04/close?jurisdiction=360902")
    assert early.status_code == 409  # on 20 March by the server's clock, April cannot be closed yet
    travel(dt.date(2024, 4, 25))
    closed = clients["zhou"].post("/api/v1/payroll/2024-04/close?jurisdiction=360902")
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    again = clients["zhou"].post("/api/v1/payroll/2024-04/close?jurisdiction=360902")
    assert again.status_code == 409


def test_an_institution_applies_through_the_api(login, county):
    from care_services.accounts import create_user
    from care_services.db import session_scope

    with session_scope(county) as session:
        create_user(session, "jj_health", "correct horse 1", "health_commission_reviewer", "360402")
    client = login("jj_health")
    answer = client.post("/api/v1/cases", json={
        "scheme": "childcare_construction", "institution_name": "阳光托育", "division_code": "360402",
        "facts": {"area": "urban", "construction": "new", "slots_added": 50, "in_planning_or_construction": True},
        "bank_account": "1234567890123"})
    assert answer.status_code == 201 and answer.get_json()["history"][0]["explanation"]["amount"] == 30000
    bad = client.post("/api/v1/cases", json={"scheme": "childcare_construction", "institution_name": "x",
                                             "division_code": "360402", "facts": {"slots_added": "many"},
                                             "bank_account": "1"})
    assert bad.status_code == 422 and {"facts.slots_added", "bank_account"} <= set(bad.get_json()["error"]["fields"])


# ------------------------------------------------------------------------------------------------ parameters


def test_parameters_and_county_overrides(login, monkeypatch, clock):
    anyone = login()
    listed = anyone.get("/api/v1/parameters?q=home_care_month").get_json()
    (parameter,) = [p for p in listed["parameters"] if p["name"] == "disability_care.home_care_month"]
    assert parameter["kind"] == "floor" and parameter["reference"]["document"] == "宜府办发〔2023〕20号"
    before = listed["version"]
    override = {"name": "disability_care.home_care_month", "jurisdiction": "360902", "start": "2024-01-01",
                "value": 700, "reason": "袁府办发〔2024〕1号（测试）"}
    assert login("li").post("/api/v1/parameters/overrides", json=override).status_code == 403
    admin = login("admin")
    low = admin.post("/api/v1/parameters/overrides", json={**override, "value": 500})
    assert low.status_code == 422 and "不得低于" in low.get_json()["error"]["fields"]["value"][0]
    exact = admin.post("/api/v1/parameters/overrides", json={**override, "name": "disability_care.min_age"})
    assert exact.status_code == 422 and "name" in exact.get_json()["error"]["fields"]
    saved = admin.post("/api/v1/parameters/overrides", json=override)
    assert saved.status_code == 201 and saved.get_json()["version"] != before
    facts = {"hukou_division_code": "360902", "birth_date": "1960-05-01", "dibao_household": True,
             "at_risk_of_poverty": False, "has_disability_certificate": True, "disability_category": "physical",
             "disability_grade": 1, "tekun_supported": False, "requested_service": "home_care",
             **{a: a in FOUR_FAILED for a in ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting",
                                              "adl_walking_indoors", "adl_bathing")}}
    answer = anyone.post("/api/v1/schemes/disability_care/evaluate",
                         json={"facts": facts, "jurisdiction": "360902", "date": "2024-06-01"}).get_json()
    assert answer["amount"] == 700
    elsewhere = anyone.post("/api/v1/schemes/disability_care/evaluate",
                            json={"facts": {**facts, "hukou_division_code": "360921"}, "jurisdiction": "360921",
                                  "date": "2024-06-01"}).get_json()
    assert elsewhere["amount"] == 600
    assert anyone.get("/api/v1/parameters").get_json()["overrides"][0]["value"] == 700

    # A newer policy raises the city's floor above the county's value: the county value gives way from that date
    # (不低于: the higher standard applies) and the system keeps answering.
    from subsidy_rules import overrides
    from subsidy_rules.parameters import Change, default_parameters

    raised = default_parameters().with_changes(
        [Change("disability_care.home_care_month", 800, "3609", dt.date(2025, 1, 1))])
    monkeypatch.setattr(overrides, "default_parameters", lambda: raised)
    overrides._CACHE.clear()
    amounts = {day: anyone.post("/api/v1/schemes/disability_care/evaluate",
                                json={"facts": facts, "jurisdiction": "360902", "date": day}).get_json()["amount"]
               for day in ("2024-06-01", "2025-06-01")}
    assert amounts == {"2024-06-01": 700, "2025-06-01": 800}
    clock.travel_to(dt.date(2025, 6, 1))  # "in force" is on the server's day
    (listed,) = anyone.get("/api/v1/parameters").get_json()["overrides"]
    assert listed["value"] == 700 and listed["in_force"] == 800
    assert "现按上级标准执行：800" in anyone.get("/parameters").get_data(as_text=True)
    overrides._CACHE.clear()


def test_a_county_raising_its_own_value_again_is_not_shown_as_overtaken(login, clock):
    admin = login("admin")
    first = {"name": "disability_care.home_care_month", "jurisdiction": "360902", "start": "2024-01-01",
             "value": 700, "reason": "袁府办发〔2024〕1号（测试）"}
    assert admin.post("/api/v1/parameters/overrides", json=first).status_code == 201
    assert admin.post("/api/v1/parameters/overrides",
                      json={**first, "start": "2024-07-01", "value": 750}).status_code == 201
    clock.travel_to(dt.date(2024, 8, 1))  # "in force" is on the server's day
    listed = {o["value"]: o for o in admin.get("/api/v1/parameters").get_json()["overrides"]}
    assert listed[700]["in_force"] == 750 and listed[700]["floor_above"] == 600  # its own later value, not a floor
    assert "现按上级标准执行" not in admin.get("/parameters").get_data(as_text=True)


# ------------------------------------------------------------------------------------------------ jobs


def test_budget_projection_as_a_job(login):
    client = login("zhou")
    answer = client.post("/api/v1/budget/projections?wait=60", json={
        "first_year": 2024, "last_year": 2025, "caseload": "synthetic", "synthetic": 200, "projects": "sample",
        "scenarios": [{"name": "居家照护700", "parameters": {"disability_care.home_care_month": 700}}]})
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "done", body
    names = [s["name"] for s in body["result"]["scenarios"]]
    assert names == ["baseline", "居家照护700"] and body["result"]["comparison"]
    report = client.get(body["report_url"])
    assert report.status_code == 200 and len(load_workbook(io.BytesIO(report.data)).sheetnames) > 3
    assert client.get(body["status_url"]).get_json()["status"] == "done"
    assert login("li").get(body["status_url"]).status_code == 404  # someone else's job
    bad = client.post("/api/v1/budget/projections", json={"first_year": 2026, "last_year": 2024, "caseload": "x",
                                                         "scenarios": [{"parameters": {"no.such": 1}}]})
    assert bad.status_code == 422 and {"last_year", "caseload"} <= set(bad.get_json()["error"]["fields"])
    unknown = client.post("/api/v1/budget/projections", json={"scenarios": [{"parameters": {"no.such": 1}}]})
    assert unknown.status_code == 422 and "scenarios.0" in unknown.get_json()["error"]["fields"]
    assert client.post("/api/v1/budget/projections", json={"caseload": "none"}).status_code == 422


def test_allocation_as_a_job(login):
    client = login("admin")
    started = client.post("/api/v1/allocations", json={"sample": True, "year": 2025, "budget": "5亿"})
    assert started.status_code in (200, 202)
    body = client.get(started.get_json()["status_url"] + "?wait=120").get_json()
    assert body["status"] == "done", body
    assert body["result"]["status"] in ("optimal", "feasible") and body["result"]["plan"]
    plan = client.get(body["report_url"])
    assert plan.status_code == 200 and plan.mimetype.endswith("spreadsheetml.sheet")
    bad = client.post("/api/v1/allocations", json={"sample": True, "year": 1900, "budget": "lots"})
    assert bad.status_code == 422 and {"year", "budget"} <= set(bad.get_json()["error"]["fields"])
    missing = client.post("/api/v1/allocations", json={"year": 2025})
    assert missing.status_code == 422 and "districts_file" in missing.get_json()["error"]["fields"]
    assert client.get("/api/v1/allocations/nope").status_code == 404


def test_openapi_document_lists_every_api_route(web_app):
    document = web_app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    routes = {(re.sub(r"<(?:int(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule), method.lower())
              for rule in web_app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    missing = {(path.replace("{scheme_id}", "{scheme}"), method) for path, method in routes} - documented - {
        ("/api/v1/openapi.json", "get")}
    assert not missing


def test_allocation_for_chosen_targets_only(login):
    client = login("admin")
    body = client.post("/api/v1/allocations?wait=120", json={"sample": True, "year": 2025, "budget": "5亿",
                                                            "targets": ["elderly_nursing_share"]}).get_json()
    assert body["status"] == "done", body
    assert {t["target"] for t in body["result"]["targets"]} == {"elderly_nursing_share"}
    bad = client.post("/api/v1/allocations", json={"sample": True, "year": 2025, "targets": ["happiness"]})
    assert bad.status_code == 422 and "targets.0" in bad.get_json()["error"]["fields"]


def test_uploads_are_limited_in_size(web_app, login):
    web_app.config["MAX_CONTENT_LENGTH"] = 1024
    answer = login().post("/api/v1/schemes/childcare_operation/evaluate-batch",
                          data={"file": (io.BytesIO(b"x" * 4096), "big.xlsx")}, content_type="multipart/form-data")
    assert answer.status_code == 413 and answer.get_json()["error"]["message_zh"] == "上传文件过大"


def test_a_projection_of_the_cases_covers_only_the_users_jurisdiction(login, county):
    from tests.workflow.conftest import submit, walk

    walk(county, submit(county))
    request = {"first_year": 2024, "last_year": 2024, "caseload": "cases"}
    mine = login("zhou").post("/api/v1/budget/projections?wait=60", json=request).get_json()
    theirs = login("outsider").post("/api/v1/budget/projections?wait=60", json=request).get_json()
    assert mine["result"]["scenarios"][0]["total"] == 600 * 9  # April to December 2024
    assert theirs["result"]["scenarios"][0]["total"] == 0
