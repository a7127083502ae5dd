"""The parameters page as staff read it: names first (no ids, in either language), shares in %,
jurisdictions by name, and an override form of pickers whose value is typed in its unit and whose effective date is
checked."""

from __future__ import annotations

import datetime as dt
import re

from tests.web.test_pages import page_login
from tests.web.test_planning_page import SNAKE_CASE, _text, _visible


def _cells(page: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [[_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_names_first_shares_in_per_cent_and_places_by_name(web_app):
    client = web_app.test_client()
    page = client.get("/parameters").get_data(as_text=True)
    rows = _cells(page, "parameters")
    assert rows and all(not SNAKE_CASE.search(row[0]) for row in rows)
    places = {row[1] for row in rows}
    assert {"江西省", "九江市", "宜春市", "濂溪区"} <= places and not any(p.isdigit() for p in places)
    home = next(row for row in rows if row[0] == "居家照护补助（不低于）")
    assert home[1] == "宜春市" and "600 元/月" in home[3]
    leased = next(row for row in rows if row[0].startswith("租赁用房"))
    assert re.search(r"：50%", leased[3]) and "比例" not in leased[3] and "0.5" not in leased[3]
    seen = _visible(page)
    assert not SNAKE_CASE.findall(seen), SNAKE_CASE.findall(seen)[:5]
    assert "identifier" not in seen
    words = set(re.findall(r"[A-Za-z]{3,}", seen.replace(re.search(r'id="parameter-version">(\w+)<', page).group(1), "")))
    assert not words, words  # no English on the Chinese page: the readings name values in Chinese too
    # the readings name other parameters by name, not id (district.match_share_of_city)
    assert "各区按市级配套（见各区目录中的 “" in page
    english = client.get("/parameters?lang=en").get_data(as_text=True)
    en_rows = _cells(english, "parameters")
    assert {"Jiangxi Province", "Jiujiang", "Yichun"} <= {row[1] for row in en_rows}
    # like the Chinese page, the English one names parameters and the facts its readings mention, never their ids
    en_seen = _visible(english)
    assert "disability_care.home_care_month" not in english and not SNAKE_CASE.findall(en_seen), \
        SNAKE_CASE.findall(en_seen)[:5]
    assert "the fact “other government living or care benefits the person receives per month”" in english
    en_names = " ".join(row[0] for row in en_rows)
    assert not re.search(r"[\u4e00-\u9fff]", en_names), re.findall(r"[\u4e00-\u9fff]+", en_names)[:5]


def test_an_override_is_made_with_pickers_in_its_unit(web_app, clock):
    client = web_app.test_client()
    token = page_login(client, "admin")
    page = client.get("/parameters").get_data(as_text=True)
    form = page[page.index('id="override-form"'):page.index("</form>", page.index('id="override-form"'))]
    assert '<select name="name" id="override-name"' in form and '<select name="jurisdiction"' in form
    assert re.search(r'<optgroup label="宜春市"><option value="360902" >袁州区</option>', form)
    assert "九江市" not in re.search(r'id="override-jurisdiction".*?</select>', form, re.S).group(0)  # admin: 宜春
    option = re.search(r'<option value="disability_care.day_care_month" >(.*?)</option>', form).group(1)
    assert option.startswith("日间照料") and "现值：宜春市 600 元/月" in option and "新值单位：元/月" in option
    for field in ("override-name", "override-jurisdiction", "override-start", "override-value", "override-reason"):
        assert f'<label for="{field}">' in form, field
    base = {"csrf_token": token, "name": "disability_care.day_care_month", "jurisdiction": "360902",
            "reason": "袁府发〔2024〕1号"}
    early = client.post("/parameters/overrides", data={**base, "start": "2020-01-01", "value": "650"})
    text = early.get_data(as_text=True)
    assert early.status_code == 422 and "生效日期不能早于该政策的施行日期2023-09-19" in text
    assert re.search(r'id="override-start"[^>]*aria-describedby="override-start-hint error-start"', text)
    late = client.post("/parameters/overrides", data={**base, "start": "2031-01-01", "value": "650"})
    assert late.status_code == 422 and "生效日期不能晚于2025-03-02" in late.get_data(as_text=True)
    wrong = client.post("/parameters/overrides", data={**base, "start": "2024-13-01", "value": "六百"})
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "日期格式应为YYYY-MM-DD" in text
    low = client.post("/parameters/overrides", data={**base, "start": "2025-01-01", "value": "500"})
    assert low.status_code == 422 and "不得低于" in low.get_data(as_text=True)
    saved = client.post("/parameters/overrides", data={**base, "start": "2025-01-01", "value": "650"})
    assert saved.status_code == 302
    rows = _cells(client.get("/parameters").get_data(as_text=True), "overrides")
    assert rows[0][:4] == ["日间照料补助（不低于）", "袁州区", "2025-01-01", "650 元/月"], rows[0]


def test_a_share_override_is_typed_in_per_cent():
    from web.schemas import OverrideForm, load

    data = load(OverrideForm(), {"name": "community_care_center.district.match_share_of_city",
                                 "jurisdiction": "360402", "start": "2024-01-01", "value": "60%", "reason": "区文件"})
    assert data["value"] == 0.6 and data["start"] == dt.date(2024, 1, 1)
