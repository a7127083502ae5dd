"""The web app of the foundation: the county overview, its JSON, template downloads and error answers."""

import io

import pytest
from openpyxl import load_workbook

from care_services.model import ENTITY_MODELS


def test_home_lists_every_sample_county_with_population(client):
    page = client.get("/").get_data(as_text=True)
    for name in ("濂溪区", "浔阳区", "柴桑区", "武宁县", "修水县", "永修县", "德安县", "都昌县", "湖口县", "彭泽县",
                 "瑞昌市", "共青城市", "庐山市", "袁州区", "奉新县", "万载县", "上高县", "宜丰县", "靖安县", "铜鼓县",
                 "丰城市", "樟树市", "高安市"):
        assert name in page
    assert "4,600,276" in page and "710,620" in page  # Jiujiang total, 修水县
    assert "每千人口托位数" in page and "26,800" in page


def test_chinese_by_default_even_for_english_browsers(client):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "县（市、区）概况" in page and "County overview" not in page


def test_english_is_one_click_away_and_remembered(client):
    english = client.get("/?lang=en")
    assert "County overview" in english.get_data(as_text=True)
    assert "lang=en" in english.headers["Set-Cookie"]
    assert "County overview" in client.get("/").get_data(as_text=True)


def test_city_filter_and_its_validation(client):
    page = client.get("/?city=360900").get_data(as_text=True)
    assert "袁州区" in page and "濂溪区" not in page
    bad = client.get("/?city=36")  # the error page speaks the page's language and names the field by its label
    assert bad.status_code == 400 and "市：应为6位行政区划代码" in bad.get_data(as_text=True)
    assert "six-digit" not in bad.get_data(as_text=True)
    english = client.get("/?city=36&lang=en")
    assert english.status_code == 400 and "City: " in english.get_data(as_text=True)
    assert "six-digit" in english.get_data(as_text=True)


def test_divisions_api(client):
    answer = client.get("/api/v1/divisions?city=360400").get_json()
    (city,) = answer["cities"]
    assert city["population"] == 4_600_276 and len(city["counties"]) == 13
    assert city["projects"]["elderly"]["count"] == 51 and city["projects"]["childcare"]["count"] == 36
    bad = client.get("/api/v1/divisions?city=abc")
    assert bad.status_code == 400 and "city" in bad.get_json()["error"]["fields"]


@pytest.mark.parametrize("entity", list(ENTITY_MODELS))
def test_every_template_downloads(client, entity):
    answer = client.get(f"/templates/{entity}.xlsx")
    assert answer.status_code == 200
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    assert ENTITY_MODELS[entity].__title_zh__ in load_workbook(io.BytesIO(answer.data)).sheetnames


def test_not_found_answers_in_both_languages(client):
    assert client.get("/templates/nothing.xlsx").status_code == 404
    answer = client.get("/api/v1/nothing")
    assert answer.status_code == 404 and answer.get_json()["error"]["message_zh"]


def test_empty_database_says_how_to_load(engine):
    from web import create_app

    page = create_app({"DATABASE_URL": engine.url.render_as_string(hide_password=False)}).test_client().get("/").get_data(as_text=True)
    assert "carecalc sample load" in page
