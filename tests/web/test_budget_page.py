"""The budget form as a finance officer uses it: default years from the server's clock, assumptions and shares typed
in %, scenarios built from a parameter picker (the same projection as the YAML file), errors at their fields in the
page's language, every label Chinese and amounts in 万元 on the result."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web.test_pages import _finish, page_login
from tests.web.test_planning_page import SNAKE_CASE, _text, _visible

HOME_CARE = "disability_care.home_care_month"


def _form(token: str, **fields) -> dict:
    return {"csrf_token": token, "first_year": "2024", "last_year": "2025", "caseload": "synthetic",
            "synthetic": "100", "projects": "sample", **fields}


def _totals(page: str) -> dict[str, str]:
    table = re.search(r'<table id="totals">(.*?)</table>', page, re.S).group(1)
    return {_text(name): _text(total) for name, total in
            re.findall(r'<th scope="row">(.*?)</th>.*?<td class="num total">(.*?)</td>', table, re.S)}


def test_default_years_follow_the_servers_clock(web_app, clock):
    from web.schemas import budget_years

    assert budget_years(dt.date(2026, 12, 1)) == (2027, 2029)  # December: next year's budget and the two after
    assert budget_years(dt.date(2026, 7, 1)) == (2027, 2029)
    assert budget_years(dt.date(2026, 6, 30)) == (2026, 2028)
    client = web_app.test_client()
    page_login(client, "zhou")
    page = client.get("/budget").get_data(as_text=True)  # the tests' clock: 2024-03-01
    assert 'id="first_year" min="2000" max="2100" value="2024"' in page and 'value="2026"' in page
    clock.travel_to(dt.date(2026, 12, 1))
    page = client.get("/budget").get_data(as_text=True)
    first = re.search(r'id="first_year"[^>]*value="(\d+)"', page).group(1)
    last = re.search(r'id="last_year"[^>]*value="(\d+)"', page).group(1)
    assert (first, last) == ("2027", "2029")


def test_a_picked_scenario_projects_the_same_as_its_yaml(web_app):
    client = web_app.test_client()
    token = page_login(client, "zhou")
    form = client.get("/budget").get_data(as_text=True)
    option = re.search(rf'<option value="{HOME_CARE}" >(.*?)</option>', form).group(1)
    assert option.startswith("居家照护") or "居家" in option, option
    assert "现值：宜春市 600 元/月" in option and "新值单位：元/月" in option
    picked = client.post("/budget", data=_form(token, **{"change-1-scenario": "居家700",
                                                            "change-1-parameter": HOME_CARE, "change-1-value": "700",
                                                            "occupancy": "70"}))
    assert picked.status_code == 200, picked.get_data(as_text=True)[-3000:]
    by_picker = _finish(client, picked.get_data(as_text=True))
    typed = client.post("/budget", data=_form(token, scenario_yaml=f"name: 居家700\nparameters:\n  {HOME_CARE}: 700",
                                              occupancy="70"))
    by_yaml = _finish(client, typed.get_data(as_text=True))
    assert _totals(by_picker) == _totals(by_yaml)
    totals = _totals(by_picker)
    assert list(totals) == ["基准方案", "居家700"] and totals["基准方案"] != totals["居家700"]
    assert all(re.fullmatch(r"[\d,]+\.\d\d", v) for v in totals.values())
    seen = _visible(by_picker)
    assert "baseline" not in seen.lower() and "万元" in seen and not SNAKE_CASE.findall(seen)
    comparison = re.search(r'<table id="comparison">(.*?)</table>', by_picker, re.S).group(1)
    assert "居家700比基准方案增减" in comparison
    english = client.get(re.search(r'data-result-url="([^"]+)"', picked.get_data(as_text=True)).group(1) + "?lang=en")
    en_seen = _visible(english.get_data(as_text=True))
    assert "Baseline" in en_seen and "基准方案" not in en_seen and "按资金层级" not in en_seen


def test_shares_and_assumptions_are_typed_in_per_cent():
    from marshmallow import ValidationError

    from web.schemas import BudgetForm, load

    share = "elderly_institution_construction.province.leased_factor"
    data = load(BudgetForm(), {"occupancy": "85", "enrolment": "60%", "growth": "-5",
                               "change-1-parameter": share, "change-1-value": "40%",
                               "change-2-scenario": "提标", "change-2-parameter": HOME_CARE, "change-2-value": "6,000"})
    assert (data["occupancy"], data["enrolment"], data["growth"]) == (0.85, 0.6, -0.05)
    assert data["scenarios"] == [{"name": "方案1", "parameters": {share: 0.4}},
                                 {"name": "提标", "parameters": {HOME_CARE: 6000.0}}]
    assert data["scenario_rows"] == [[1], [2]]
    with pytest.raises(ValidationError) as error:
        load(BudgetForm(), {"occupancy": "170", "change-1-parameter": share, "change-1-value": "140"})
    assert "0%至100%" in error.value.messages["occupancy"][0]
    assert "0%至100%" in error.value.messages["changes"][0]["value"][0]


def test_form_errors_sit_at_their_fields_in_the_pages_language(web_app):
    client = web_app.test_client()
    token = page_login(client, "zhou")
    answer = client.post("/budget", data=_form(token, **{"change-2-parameter": HOME_CARE, "change-3-value": "700",
                                                           "first_year": "twenty"}))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    for field, error in (("change-2-value", "error-changes-1-value"), ("change-3-parameter", "error-changes-2-parameter"),
                         ("first_year", "error-first_year")):
        tag = re.search(rf'<(?:input|select)[^>]*id="{field}"[^>]*>', page).group(0)
        assert f'aria-describedby="{error}"' in tag and 'aria-invalid="true"' in tag, tag
        assert re.search(rf'<span class="field-error" id="{error}">[^<]*[\u4e00-\u9fff]', page), error
    assert "请填写新值" in page and "请选择要调整的参数" in page and "应为整数" in page
    summary = re.search(r'<div class="problem" role="alert" id="form-errors">(.*?)</div>', page, re.S).group(1)
    assert '<a href="#change-2-value">第2行 新值</a>' in summary
    seen = _visible(page)
    assert not SNAKE_CASE.findall(seen) and "enter the new value" not in seen and "<code>" not in summary
    floor = client.post("/budget", data=_form(token, **{"change-1-parameter": HOME_CARE, "change-1-value": "10"}))
    # 10 元 is allowed as a scenario (the scheme's amount is exact, not a floor) or refused at the field; never a 500
    assert floor.status_code in (200, 422)
    english = client.post("/budget?lang=en", data=_form(token, **{"change-1-parameter": HOME_CARE}))
    en_page = english.get_data(as_text=True)
    assert english.status_code == 422 and "enter the new value" in en_page and "请填写新值" not in en_page


def test_the_chinese_budget_form_has_no_raw_ids_or_english(web_app):
    client = web_app.test_client()
    page_login(client, "zhou")
    page = client.get("/budget").get_data(as_text=True)
    seen = _visible(page)
    assert not SNAKE_CASE.findall(seen), SNAKE_CASE.findall(seen)[:5]
    assert set(re.findall(r"[A-Za-z]{3,}", seen)) <= {"YAML", "Excel", "English", "xlsx"}, set(re.findall(r"[A-Za-z]{3,}", seen))
    for field in re.findall(r'<(?:input|select|textarea)[^>]*id="([^"]+)"', page):
        assert re.search(rf'<label[^>]*for="{field}"', page) or re.search(
            rf'<label[^>]*>(?:(?!</label>).)*id="{field}"', page, re.S), field
    assert "基准方案" in seen and "baseline" not in seen.lower()
    assert re.search(r'id="occupancy"[^>]*value="70"', page)  # 0.7 is shown as 70 (%)
    en = _visible(client.get("/budget?lang=en").get_data(as_text=True))
    assert not re.search(r"[\u4e00-\u9fff]", en.replace("中文", "")), re.findall(r"[\u4e00-\u9fff]+", en)[:5]
