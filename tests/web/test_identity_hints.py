"""The application form and the case page say what the ID and certificate numbers decode to (GB 11643; 第二代残疾人证)
and flag a stated birth date or place of hukou the ID number disagrees with: warnings for the clerk and the reviewer,
rendered by the server (after a submit, without script) — the live hint as one types is tests/browser's."""

from __future__ import annotations

import datetime as dt
import json
import re

from care_services.identifiers import id_disagreements, make_resident_id, read_resident_id
from tests.web.test_pages import page_login, token_of
from tests.web.test_staff_language import chinese_findings, visible_text
from tests.workflow.conftest import application

FENGCHENG_ID = make_resident_id("360981", dt.date(1960, 5, 1), 7)  # first registered in 丰城市


def _form(**changes) -> dict:
    form = {k: v for k, v in application(**changes).items() if not isinstance(v, bool)}
    form["dibao_household"] = "on"
    return form


def test_the_id_number_reading_and_its_disagreements():
    number = make_resident_id("360902", dt.date(1960, 5, 1), 3)
    assert read_resident_id(number) == {"address_code": "360902", "birth_date": dt.date(1960, 5, 1), "sex": "male"}
    assert read_resident_id(number[:17] + ("0" if number[17] != "0" else "1")) is None  # wrong check character
    assert id_disagreements(number, birth_date="1960-05-01", division_code="360902100") == []
    assert id_disagreements(number, birth_date=dt.date(1961, 5, 1), division_code="360981") == [
        {"fact": "birth_date", "stated": "1961-05-01", "decoded": "1960-05-01", "characters": "7–14"},
        {"fact": "hukou", "stated": "360981", "decoded": "360902", "characters": "1–6"}]
    assert id_disagreements("36090219600501", birth_date="1961-05-01") == []  # no valid number: nothing to compare


def test_the_empty_form_carries_the_live_check_and_its_words(web_app):
    li = web_app.test_client()
    page_login(li, "li")
    page = li.get("/cases/new").get_data(as_text=True)
    assert 'id="identity-check"' in page and 'aria-live="polite"' in page
    assert "id_check.js" in page and "<script>" not in page  # a file, never inline (CSP)
    settings = json.loads(re.search(r'data-settings="([^"]+)"', page).group(1).replace("&#34;", '"')
                          .replace("&quot;", '"').replace("&amp;", "&"))
    assert settings["texts"]["certificate_digit_category"] == "证号第19位为{digit}：{name}"
    assert settings["categories"]["4"] == "肢体残疾" and settings["grades"]["1"] == "一级"
    assert settings["places"]["360981"] == "丰城市"
    assert 'name="proposed.birth_date"' in page


def test_after_a_submit_the_form_shows_the_decoding_and_each_disagreement(web_app):
    li = web_app.test_client()
    token = page_login(li, "li")
    form = _form(id_number=FENGCHENG_ID, disability_certificate_number=FENGCHENG_ID + "41", name="")
    answer = li.post("/cases/new", data={**form, "csrf_token": token, "proposed.birth_date": "1961-05-01"})
    assert answer.status_code == 422  # the name is missing: the form comes back with what it says
    page = answer.get_data(as_text=True)
    start = page.rindex("<div", 0, page.index('id="identity-check"'))
    region = page[start:page.index("</div>", start) + len("</div>")]
    assert "证号第19位为4：肢体残疾；第20位为1：一级" in region
    assert "第1–6位为丰城市（360981）（首次登记户口地）；第7–14位为出生日期1960-05-01；第17位为7：男" in region
    assert ("填报的出生日期为1961-05-01，与身份证号第7–14位（1960-05-01）不一致，请核实证件；规则按身份证号中的出生日期计算年龄。"
            in region)
    assert "所选户籍地为袁州区（360902），与身份证号第1–6位（丰城市（360981））不一致" in region
    assert 'value="1961-05-01"' in page  # the stated date is kept as typed, not replaced by the ID's
    assert not chinese_findings(visible_text(region))
    wrong = li.post("/cases/new", data={**form, "csrf_token": token,
                                        "id_number": FENGCHENG_ID[:17] + ("1" if FENGCHENG_ID[17] != "1" else "2")})
    assert "身份证号校验码不符：按前17位应为" + FENGCHENG_ID[17] in wrong.get_data(as_text=True)


def test_the_reviewer_sees_the_disagreements_on_the_case_page_and_the_facts_stand(web_app, login):
    li = web_app.test_client()
    token = page_login(li, "li")
    made = li.post("/cases/new", data={**_form(id_number=FENGCHENG_ID, disability_certificate_number=FENGCHENG_ID + "41"),
                                        "csrf_token": token, "proposed.birth_date": "1961-05-01"})
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    url = made.headers["Location"].split("?")[0]
    page = login("zhao").get(url).get_data(as_text=True)
    assert re.search(r'<p class="problem" role="alert" id="birth-date-conflict">填报的出生日期为1961-05-01', page)
    assert re.search(r'<p class="problem" role="alert" id="hukou-conflict">所选户籍地为袁州区（360902）', page)
    assert 'id="stated-birth-date">1961-05-01' in page
    api = login("zhao").get(url.replace("/cases/", "/api/v1/cases/")).get_json()
    assert api["proposed"]["birth_date"] == "1961-05-01"  # kept as stated, beside the ID number's
    assert api["applicant_facts"]["hukou_division_code"] == "360902"  # the place chosen stands
    english = login("zhao").get(url + "?lang=en").get_data(as_text=True)
    assert "The birth date stated (1961-05-01) differs from characters 7–14 of the ID number (1960-05-01)" in english
    agreeing = li.post("/cases/new", data={**_form(), "csrf_token": token,
                                           "id_number": make_resident_id("360902", dt.date(1950, 1, 2), 9),
                                           "disability_certificate_number": "", "proposed.birth_date": "1950-01-02"})
    assert agreeing.status_code == 302
    page = login("zhao").get(agreeing.headers["Location"].split("?")[0]).get_data(as_text=True)
    assert "-conflict" not in page


def test_the_pre_check_birth_date_is_carried_as_a_stated_fact(web_app):
    li = web_app.test_client()
    token = page_login(li, "li")
    prefill = {"facts": {"birth_date": "1958-03-04", "hukou_division_code": "360902100"}, "jurisdiction": "360902"}
    page = li.post("/cases/new", data={"csrf_token": token, "stage": "prefill",
                                       "prefill": json.dumps(prefill)}).get_data(as_text=True)
    assert re.search(r'name="proposed.birth_date" id="proposed.birth_date" value="1958-03-04"', page)
    bad = li.post("/cases/new", data={**_form(), "csrf_token": token, "proposed.birth_date": "1958-13-40"})
    assert bad.status_code == 422 and "proposed.birth_date" in bad.get_data(as_text=True)
    assert token_of(bad.get_data(as_text=True))
