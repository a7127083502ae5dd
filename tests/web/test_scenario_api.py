"""The evaluate API under a what-if scenario: each changed value marked; a value below a 不低于 floor flagged."""

from __future__ import annotations

from tests.rules.test_golden import PERSON

HOME_CARE = "disability_care.home_care_month"


def test_the_answer_lists_each_changed_parameter(login):
    client = login()
    body = {"facts": PERSON, "jurisdiction": "360902", "date": "2024-04-01",
            "scenario": {"name": "居家照护700元", "parameters": {HOME_CARE: 700}}}
    response = client.post("/api/v1/schemes/disability_care/evaluate", json=body)
    answer = response.get_json()
    assert response.status_code == 200 and answer["amount"] == 700
    [mark] = answer["scenario"]["changes"]
    assert {k: mark[k] for k in ("name", "title_zh", "scenario_value", "original_value", "unit")} == {
        "name": HOME_CARE, "title_zh": "居家照护补助（不低于）", "scenario_value": 700, "original_value": 600,
        "unit": "CNY/month"}
    assert mark["reference"]["document"] == "宜府办发〔2023〕20号" and "600元" in mark["phrase"]
    assert answer["scenario"]["below_floor"] == []
    plain = client.post("/api/v1/schemes/disability_care/evaluate",
                        json={k: v for k, v in body.items() if k != "scenario"}).get_json()
    assert plain["amount"] == 600 and "scenario" not in plain  # without a scenario: the policy's answer, unmarked


def test_a_scenario_below_the_floor_is_answered_and_flagged(login):
    answer = login().post("/api/v1/schemes/disability_care/evaluate", json={
        "facts": PERSON, "jurisdiction": "360902", "date": "2024-04-01",
        "scenario": {HOME_CARE: 500}}).get_json()  # the flat form
    assert answer["amount"] == 500
    [flag] = answer["scenario"]["below_floor"]
    assert flag["floor_value"] == 600 and flag["text_zh"].startswith("低于政策底线：")


def test_a_bad_scenario_is_a_422_naming_the_field(login):
    client = login()
    for scenario in ({HOME_CARE: "500元"}, {"disability_care.nothing": 1}, ["not", "a", "mapping"]):
        response = client.post("/api/v1/schemes/disability_care/evaluate",
                               json={"facts": PERSON, "jurisdiction": "360902", "scenario": scenario})
        assert response.status_code == 422, scenario
        assert "scenario" in str(response.get_json()), scenario


def test_a_batch_under_a_scenario_marks_every_answer(login):
    client = login()
    cases = [{"facts": PERSON, "jurisdiction": "360902"}, {"facts": {**PERSON, "disability_grade": 3}}]
    body = {"cases": cases, "jurisdiction": "360902", "date": "2024-04-01", "scenario": {HOME_CARE: 700}}
    response = client.post("/api/v1/schemes/disability_care/evaluate-batch", json=body)
    assert response.status_code == 200
    eligible, ineligible = response.get_json()["results"]
    assert eligible["amount"] == 700 and ineligible["amount"] == 0
    for answer in (eligible, ineligible):  # each answer says what was changed, as a single evaluation's does
        [mark] = answer["scenario"]["changes"]
        assert (mark["name"], mark["scenario_value"], mark["original_value"]) == (HOME_CARE, 700, 600)
    single = client.post("/api/v1/schemes/disability_care/evaluate", json={
        "facts": PERSON, "jurisdiction": "360902", "date": "2024-04-01", "scenario": {HOME_CARE: 700}}).get_json()
    assert single == eligible  # the same answer alone or in a batch
    plain = client.post("/api/v1/schemes/disability_care/evaluate-batch",
                        json={k: v for k, v in body.items() if k != "scenario"}).get_json()["results"]
    assert plain[0]["amount"] == 600 and "scenario" not in plain[0]


def test_a_batch_scenario_is_checked_and_answered_in_json_only(login):
    client = login()
    cases = [{"facts": PERSON, "jurisdiction": "360902"}]
    bad = client.post("/api/v1/schemes/disability_care/evaluate-batch",
                      json={"cases": cases, "scenario": {HOME_CARE: "500元"}})
    assert bad.status_code == 422 and "scenario" in bad.get_json()["error"]["fields"]
    workbook = client.post("/api/v1/schemes/disability_care/evaluate-batch?format=xlsx",
                           json={"cases": cases, "scenario": {HOME_CARE: 700}})
    assert workbook.status_code == 422
    assert "只以JSON返回" in str(workbook.get_json()["error"]["fields"]["scenario"])


def test_a_budget_below_the_floor_is_projected_and_flagged_on_the_page(login):
    client = login("zhou")
    answer = client.post("/api/v1/budget/projections?wait=60", json={
        "first_year": 2024, "last_year": 2024, "caseload": "synthetic", "synthetic": 100,
        "scenarios": [{"name": "居家照护500", "parameters": {HOME_CARE: 500}}]})
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "done", body
    baseline, low = body["result"]["scenarios"]
    assert "below_floor" not in baseline
    [flag] = low["below_floor"]
    assert flag["floor_value"] == 600 and flag["scenario_value"] == 500
    assert [(m["scenario_value"], m["original_value"]) for m in low["changes"]] == [(500, 600)]
    page = client.get(f"/budget/jobs/{body['id']}").get_data(as_text=True)
    assert 'class="error below-floor"' in page and "低于政策底线：" in page and "方案值 500元/月" in page
