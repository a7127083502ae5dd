"""The pre-check for applicants and their families (/check/disability_care): Chinese with no raw ids or English,
the place of hukou picked 市→县→乡镇 from the 446 township units, 残疾等级 一级…四级, no 审批日期, the answer with
one plain sentence per failed condition, the yearly amount, what to do next (20号 五), missing facts named in
Chinese, "本政策适用于宜春市" for a place outside the policy, and an English page that is English."""

from __future__ import annotations

import html
import re

import pytest

from tests.web.test_pages import token_of
from tests.workflow.conftest import FOUR_FAILED

ADL = ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting", "adl_walking_indoors", "adl_bathing")
YUANZHOU_TOWN = "360902001"  # a 街道 of 袁州区 (sample_data/townships_2022.csv)
XUNYANG_TOWN = "360403001"  # a 街道 of 九江市浔阳区: outside 宜府办发〔2023〕20号
ELIGIBLE = {"fact.hukou_division_code": YUANZHOU_TOWN, "fact.birth_date": "1960-05-01", "fact.dibao_household": "是",
            "fact.at_risk_of_poverty": "否", "fact.has_disability_certificate": "是",
            "fact.disability_category": "physical", "fact.disability_grade": "1", "fact.tekun_supported": "否",
            "fact.requested_service": "home_care",
            **{f"fact.{a}": "是" if a in FOUR_FAILED else "否" for a in ADL}}


def visible_text(page: str) -> str:
    """What a reader sees: no tags, attributes, scripts; quoted Chinese law (lang="zh-CN") kept apart by the caller."""
    body = page[page.index("<main"):page.index("</main>")]
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def chinese_page_problems(page: str) -> list[str]:
    """Raw snake_case ids and English words (3+ letters) a Chinese reader would see."""
    text = visible_text(page)
    return re.findall(r"\b[a-z]+_[a-z_]+\b", text) + re.findall(r"[A-Za-z]{3,}", text)


def without_quoted_chinese(page: str) -> str:
    """The page without the parts marked as Chinese on an English page (quoted law, document numbers, names)."""
    previous = None
    while previous != page:
        previous = page
        page = re.sub(r'<(\w+)[^>]*lang="zh-CN"[^>]*>(?:(?!<\1[ >]).)*?</\1>', " ", page, flags=re.S)
    return page


def post(client, data: dict, lang: str = "zh"):
    token = token_of(client.get(f"/check/disability_care?lang={lang}").get_data(as_text=True))
    return client.post(f"/check/disability_care?lang={lang}", data={"csrf_token": token, **data})


@pytest.fixture
def client(web_app):
    return web_app.test_client()


def test_the_chinese_form_has_no_raw_id_and_no_english(client):
    page = client.get("/check/disability_care").get_data(as_text=True)
    assert chinese_page_problems(page) == []
    assert "户籍所在地" in page and "审批日期" not in page and 'name="date"' not in page
    assert 'name="fact.approved_on"' not in page


def test_the_hukou_is_picked_from_the_township_units_of_where_the_policy_applies(client):
    page = client.get("/check/disability_care").get_data(as_text=True)
    picker = page[page.index('id="fact.hukou_division_code"'):]
    picker = picker[:picker.index("</select>")]
    groups = re.findall(r'<optgroup label="([^"]+)" lang="zh-CN" data-city="(\d+)"', picker)
    assert groups and {city for _, city in groups} == {"360900"}  # 宜春市 only: the policy's jurisdiction
    assert ("宜春市 袁州区", "360900") in groups
    towns = re.findall(r'<option value="(\d{9})"', picker)
    # every township-level unit of 宜春市 in the sample (and the tests' own 测试镇), none of 九江市
    import csv
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "sample_data" / "townships_2022.csv"
    with sample.open(encoding="utf-8") as file:
        yichun = {row["code"] for row in csv.DictReader(file) if row["code"].startswith("3609")}
    assert yichun <= set(towns) and not any(t.startswith("3604") for t in towns)
    # the grade is picked as on the certificate
    grade = page[page.index('id="fact.disability_grade"'):]
    assert re.findall(r">(.级)</option>", grade[:grade.index("</select>")]) == ["一级", "二级", "三级", "四级"]


def test_an_eligible_applicant_reads_the_amount_per_month_and_year_and_what_to_do_next(client):
    answer = post(client, ELIGIBLE)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "✔ 符合条件" in page
    assert re.search(r'id="amount".*600\.00.*元/月.*全年 <strong>7,200\.00</strong> 元', page, flags=re.S)
    steps = page[page.index('id="next-steps"'):]
    assert "户籍所在地乡镇（街道）提出申请" in steps and "宜春市袁州区" in steps
    for item in ("户口本", "居民身份证", "残疾人证", "低保证（复印件）", "银行卡"):
        assert item in steps
    assert "五（一）" in steps
    assert chinese_page_problems(page) == []
    # the answer is the anchor the form goes to, its heading focusable (check.js moves the focus there)
    assert 'action="/check/disability_care#answer"' in page
    assert re.search(r'<h2 id="answer-heading" tabindex="-1">', page)


def test_a_hearing_disability_is_answered_in_one_plain_sentence(client):
    page = post(client, {**ELIGIBLE, "fact.disability_category": "hearing"}).get_data(as_text=True)
    assert "✘ 不符合条件" in page
    reasons = re.findall(r"<li>([^<]+)</li>", page[page.index('id="reasons"'):page.index("</ul>", page.index('id="reasons"'))])
    assert reasons == ["听力残疾不在本政策范围：仅限精神、智力、肢体残疾"]
    grade = post(client, {**ELIGIBLE, "fact.disability_grade": "3"}).get_data(as_text=True)
    assert "三级残疾不在本政策范围：仅限一、二级残疾" in grade
    young = post(client, {**ELIGIBLE, "fact.birth_date": "2015-05-01"}).get_data(as_text=True)
    assert "未满16周岁" in young and "本政策要求年满16周岁" in young
    assert chinese_page_problems(page) == []


def test_missing_facts_are_named_in_chinese(client):
    page = post(client, {k: v for k, v in ELIGIBLE.items()
                         if k not in ("fact.birth_date", "fact.hukou_division_code", "fact.adl_eating")}).get_data(as_text=True)
    assert "信息不全" in page
    missing = page[page.index('id="missing-facts"'):]
    missing = missing[:missing.index("</p>")]
    assert "户籍所在地" in missing and "出生日期" in missing and "能否自主吃饭" in missing
    assert chinese_page_problems(page) == []
    assert "hukou_division_code" not in visible_text(page) and "birth_date" not in visible_text(page)


def test_a_hukou_outside_yichun_is_answered_the_policy_applies_in_yichun(client):
    page = post(client, {**ELIGIBLE, "fact.hukou_division_code": XUNYANG_TOWN}).get_data(as_text=True)
    assert "本政策适用于宜春市" in page and "九江市浔阳区" in page
    assert "✘" not in page and 'class="fail"' not in page and "不符合条件" not in page
    assert chinese_page_problems(page) == []


def test_a_place_not_in_the_list_is_an_error_tied_to_its_field(client):
    answer = post(client, {**ELIGIBLE, "fact.hukou_division_code": "999999999"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'id="fact\.hukou_division_code"[^>]*aria-describedby="hukou-hint error-facts\.hukou_division_code"', page)
    assert 'id="error-facts.hukou_division_code"' in page and "请从列表中选择户籍所在地" in page
    bad = post(client, {**ELIGIBLE, "fact.two_subsidies_month": "-3"}).get_data(as_text=True)
    assert re.search(r'id="fact\.two_subsidies_month"[^>]*aria-invalid="true" aria-describedby="error-facts\.two_subsidies_month"', bad)
    summary = bad[bad.index('id="form-errors"'):bad.index("</div>", bad.index('id="form-errors"'))]
    assert 'href="#fact.two_subsidies_month"' in summary and "残疾人两项补贴（元/月）" in summary
    assert chinese_page_problems(bad) == []


def test_every_input_of_the_form_is_labelled(client):
    for lang in ("zh", "en"):
        page = post(client, ELIGIBLE, lang).get_data(as_text=True)
        form = page[page.index('<form method="post" action="/check'):page.index("</form>", page.index('id="check-form"'))]
        labels = set(re.findall(r'<label for="([^"]+)"', form))
        fields = {i for i in re.findall(r'<(?:select|input)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', form)}
        assert fields and fields <= labels, fields - labels
        assert "<th></th>" not in page and '<th scope="col"></th>' not in page


def test_the_english_page_is_english(client):
    form = client.get("/check/disability_care?lang=en").get_data(as_text=True)
    answer = post(client, {**ELIGIBLE, "fact.disability_category": "hearing"}, "en").get_data(as_text=True)
    outside = post(client, {**ELIGIBLE, "fact.hukou_division_code": XUNYANG_TOWN}, "en").get_data(as_text=True)
    eligible = post(client, ELIGIBLE, "en").get_data(as_text=True)
    assert "A hearing disability is outside the policy" in answer and "This policy applies in Yichun" in outside
    assert "per year" in eligible and "What to do next" in eligible
    assert "township staff log in to file the application" in eligible  # anonymous: staff file it (a POST with the facts)
    for page in (form, answer, outside, eligible):
        # what stays Chinese is marked so (lang="zh-CN"): the law quoted, document numbers, the names of places
        text = visible_text(without_quoted_chinese(page))
        assert re.findall(r"[\u4e00-\u9fff]+", text) == [] and re.findall(r"\b[a-z]+_[a-z_]+\b", text) == []
    assert "home_care" not in visible_text(form) and "home care" in visible_text(form)


def test_the_schemes_offered_say_where_each_applies(client):
    page = client.get("/check").get_data(as_text=True)
    places = page[page.index('id="places-disability_care"'):]
    assert "适用地区：宜春市" in places[:places.index("</span>")]
    jiujiang = page[page.index('id="places-home_care_service"'):]
    assert "九江市" in jiujiang[:jiujiang.index("</span>")]
    # an institution's scheme offers the counties where it is in force, grouped by city
    form = client.get("/check/home_care_service").get_data(as_text=True)
    select = form[form.index('id="jurisdiction"'):form.index("</select>", form.index('id="jurisdiction"'))]
    assert '<optgroup label="九江市"' in select and "宜春市" not in select and 'value="360902"' not in select


def test_every_scheme_form_reads_in_its_language(client):
    """Every scheme's pre-check: no raw id or English on the Chinese form; English only on the English one."""
    from subsidy_rules.engine import all_schemes

    problems = {}
    for scheme in all_schemes():
        chinese = client.get(f"/check/{scheme.id}?lang=zh").get_data(as_text=True)
        english = client.get(f"/check/{scheme.id}?lang=en").get_data(as_text=True)
        text = visible_text(without_quoted_chinese(english))
        found = chinese_page_problems(chinese) + re.findall(r"[\u4e00-\u9fff]+", text) \
            + re.findall(r"\b[a-z]+_[a-z_]+\b", text)
        if found:
            problems[scheme.id] = found
    assert problems == {}


def test_the_schemes_of_a_city_are_those_in_force_there(client):
    yichun = client.get("/check?city=360900").get_data(as_text=True)
    jiujiang = client.get("/check?city=360400").get_data(as_text=True)
    assert 'id="scheme-disability_care"' in yichun and 'id="scheme-home_care_service"' not in yichun
    assert 'id="scheme-home_care_service"' in jiujiang and 'id="scheme-disability_care"' not in jiujiang
    assert client.get("/check?city=abc").status_code == 400
    assert chinese_page_problems(yichun) == []


# ------------------------------------------------------------ 九府办字[2022]113号 附件2 第3项: home care service

HOME_CARE = {"jurisdiction": "360402", "fact.birth_date": "1950-05-01", "fact.special_hardship": "是",
             "fact.living_at_home": "是"}


def post_home_care(client, data: dict, lang: str = "zh"):
    token = token_of(client.get(f"/check/home_care_service?lang={lang}").get_data(as_text=True))
    return client.post(f"/check/home_care_service?lang={lang}", data={"csrf_token": token, **data})


def _reasons(page: str) -> list[str]:
    start = page.index('id="reasons"')
    return re.findall(r"<li>([^<]+)</li>", page[start:page.index("</ul>", start)])


def test_the_home_care_service_answers_each_failed_condition_in_a_plain_sentence(client):
    young = post_home_care(client, {**HOME_CARE, "fact.birth_date": "1970-05-01"}).get_data(as_text=True)
    assert "✘ 不符合条件" in young
    age = next(r for r in _reasons(young) if "周岁" in r)
    assert re.fullmatch(r"未满60周岁（按出生日期，今天\d\d岁）：本服务面向60周岁以上的老年人", age), age
    assert "不符合：" not in young and chinese_page_problems(young) == []
    page = post_home_care(client, {**HOME_CARE, "fact.special_hardship": "否", "fact.living_at_home": "否"}
                          ).get_data(as_text=True)
    assert _reasons(page) == ["未认定为特殊困难老年人：本服务面向特殊困难老年人",
                              "未居住在家（如已入住养老机构）：本服务面向居住在家的老年人"]
    english = post_home_care(client, {**HOME_CARE, "fact.living_at_home": "否", "fact.birth_date": "1970-05-01"},
                             lang="en").get_data(as_text=True)
    reasons = _reasons(english)
    assert any(r.startswith("Under 60 (aged ") and r.endswith("the service is for people aged 60 or over")
               for r in reasons), reasons
    assert any("the service is for elderly people who live at home" in r for r in reasons)
    assert not re.search(r"[\u4e00-\u9fff]", " ".join(reasons))


def test_the_home_care_age_sentence_reads_the_threshold_in_force(client):
    """A sentence quotes the parameter as the answer cites it, not a number written in the sentence."""
    from subsidy_rules.schemes.jiujiang_2022_113 import _home_care_sentence

    answer = {"date": "2026-12-01", "parameters": [{"name": "home_care_service.min_age", "value": 65}]}
    zh, en = _home_care_sentence("elderly", {"birth_date": "1963-01-01"}, answer)
    assert zh == "未满65周岁（按出生日期，今天63岁）：本服务面向65周岁以上的老年人" and "aged 63 today" in en


def test_an_eligible_older_person_reads_what_to_do_next_with_the_clause_and_our_reading(client):
    page = post_home_care(client, HOME_CARE).get_data(as_text=True)
    assert "✔ 符合条件" in page
    steps = page[page.index('id="next-steps"'):]
    steps = steps[:steps.index("</div>")]
    assert "户籍所在地乡镇人民政府（街道办事处）民政所提出申请" in steps
    for item in ("居民身份证", "户口本", "特殊困难情况的证明"):
        assert item in steps
    assert "九府办字[2022]113号 附件2 第3项" in steps and "为居住在家的特殊困难老年人提供" in steps  # the clause quoted
    reading = steps[steps.index('id="how-interpretation"'):]
    assert "本系统的理解（文件未写明）" in reading and "未写明申请地点和所需材料" in reading
    assert chinese_page_problems(page) == []
    english = post_home_care(client, HOME_CARE, lang="en").get_data(as_text=True)
    steps = english[english.index('id="next-steps"'):]
    steps = without_quoted_chinese(steps[:steps.index("</div>")])
    assert "Our reading (the document is silent)" in steps and "says neither where to apply nor what to bring" in steps
    assert "civil-affairs office of the township government" in steps and "the resident identity card" in steps


def test_the_disability_care_reasons_still_read_as_before_through_the_shared_loop():
    from subsidy_rules.engine import get_scheme

    answer = {"date": "2026-12-01", "parameters": [], "criteria": [
        {"id": "not_tekun", "passed": False, "applicable": True, "facts": {}, "title_zh": "未纳入特困", "title_en": "x"},
        {"id": "certificate", "passed": False, "applicable": True, "facts": {"has_disability_certificate": True},
         "title_zh": "持残疾人证，一、二级精神、智力或肢体残疾", "title_en": "grade 1-2"},
        {"id": "age_16_plus", "passed": True, "applicable": True, "facts": {}, "title_zh": "", "title_en": ""}]}
    reasons = get_scheme("disability_care").reasons(answer)
    assert [r["zh"] for r in reasons] == ["已纳入特困人员救助供养：特困供养人员不在本政策范围",
                                          "不符合：持残疾人证，一、二级精神、智力或肢体残疾"]  # no sentence fits: the condition
