"""The answer on the check form: 不适用 for a criterion that does not apply, "not in force here", warnings."""

from tests.web.test_pages import token_of

OWNED = {"fact.ownership": "private_non_profit", "fact.premises": "self_built", "fact.ordinary_beds": "100",
         "fact.nursing_beds": "50", "fact.built_to_standard": "是", "fact.in_central_city": "是",
         "fact.opened_on": "2022-06-01"}


def post(client, scheme, data):
    token = token_of(client.get(f"/check/{scheme}").get_data(as_text=True))
    return client.post(f"/check/{scheme}", data={"csrf_token": token, "date": "2024-01-01", **data})


def test_a_criterion_that_does_not_apply_shows_不适用(web_app):
    page = post(web_app.test_client(), "elderly_institution_construction", {"jurisdiction": "360402", **OWNED})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "✔ 符合条件" in text
    row = text[text.index("租赁用房、公建民营的租用期5年以上") - 300:text.index("租赁用房、公建民营的租用期5年以上")]
    assert "不适用" in row and "✔" not in row


def test_a_place_where_the_policy_is_not_in_force_is_said_so(web_app):
    text = post(web_app.test_client(), "elderly_institution_construction",
                {"jurisdiction": "110105", **OWNED}).get_data(as_text=True)
    assert "本政策在此地不适用" in text and "本政策适用于江西省" in text and "✘ 不符合条件" not in text


def test_the_80_percent_target_is_a_warning_on_the_page(web_app):
    text = post(web_app.test_client(), "childcare_operation", {
        "jurisdiction": "360403", "fact.inclusive": "是", "fact.monthly_fee": "1300", "fact.local_inclusive_price": "1400",
        "fact.market_average_fee": "1700", "fact.enrolled_under_3": "30"}).get_data(as_text=True)
    assert "✔ 符合条件" in text and "提示" in text and "普惠指导价高于当地同等服务市场平均价格的80%" in text


def test_an_unknown_division_code_is_refused_naming_the_field(login):
    answer = login().post("/api/v1/schemes/childcare_operation/evaluate",
                          json={"facts": {"inclusive": True}, "jurisdiction": "360499"})
    assert answer.status_code == 422 and "jurisdiction" in answer.get_json()["error"]["fields"]
