"""Issue 17 on the pages and the API: 退回补正 with the reason shown, the verdict at the head of the case and beside
every passing button, a confirmation to pass a case the rules do not find eligible (422 naming the field), why a
due step is blocked and who can act, and the pre-check's facts carried into the application as proposals."""

from __future__ import annotations

import html
import json
import re

from tests.web.test_pages import page_login, token_of
from tests.workflow.conftest import FOUR_FAILED, application

CJK = re.compile(r"[\u4e00-\u9fff]")


def _file(client, token, **changes):
    form = {k: v for k, v in application(**changes).items() if not isinstance(v, bool)}
    form.update({"csrf_token": token, "dibao_household": "on"})
    made = client.post("/cases/new", data=form)
    assert made.status_code == 302, made.get_data(as_text=True)
    return made.headers["Location"].split("?")[0]


def _version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def _step(client, token, url, action, **data):
    page = client.get(url).get_data(as_text=True)
    return client.post(f"{url}/actions", data={"csrf_token": token, "action": action, "version": _version(page), **data})


def test_a_send_back_from_the_federation_to_the_assessment_shown_and_taken_again(web_app, login):
    li, wang, zhao = (web_app.test_client() for _ in range(3))
    tokens = {name: page_login(client, name) for name, client in (("li", li), ("wang", wang), ("zhao", zhao))}
    url = _file(li, tokens["li"])
    assert _step(li, tokens["li"], url, "township_review").status_code == 302
    assert _step(wang, tokens["wang"], url, "assess", doctor="王医生", failed_activities=FOUR_FAILED,
                 assessed_on=wang.get(url).get_data(as_text=True).split('id="assessed_on"')[1].split('max="')[1][:10]
                 ).status_code == 302
    page = zhao.get(url).get_data(as_text=True)
    assert 'id="do-send_back"' in page and "失能评估：重新评估" in page
    refused = _step(zhao, tokens["zhao"], url, "send_back", send_back_to="assess")  # no reason
    assert refused.status_code == 422 and "原因" in refused.get_data(as_text=True)
    done = _step(zhao, tokens["zhao"], url, "send_back", send_back_to="assess", reason="评估表缺医生签字，请补签后重新评估")
    assert done.status_code == 302
    for client in (zhao, wang):  # everyone who sees the case sees why it went back
        page = client.get(url).get_data(as_text=True)
        assert 'id="sent-back"' in page and "评估表缺医生签字，请补签后重新评估" in page
        assert 'data-state="township_reviewed"' in page and "退回补正" in page
    api = login("zhao").get(url.replace("/cases/", "/api/v1/cases/")).get_json()
    assert api["sent_back"]["reason"] == "评估表缺医生签字，请补签后重新评估" and api["sent_back"]["to_step"] == "assess"
    assert api["state"] == "township_reviewed" and api["history"][-1]["action"] == "send_back"
    # the assessor assesses again (five of six now): the audit line shows what was and what is
    page = wang.get(url).get_data(as_text=True)
    day = page.split('id="assessed_on"')[1].split('max="')[1][:10]
    assert _step(wang, tokens["wang"], url, "assess", doctor="王医生", assessed_on=day,
                 failed_activities=[*FOUR_FAILED, "adl_bathing"]).status_code == 302
    page = wang.get(url).get_data(as_text=True)
    assert 'id="sent-back"' not in page and "原为：洗澡 否" in page
    assert login("zhao").get(url.replace("/cases/", "/api/v1/cases/")).get_json()["sent_back"] is None


def test_the_verdict_heads_the_page_and_passing_a_not_eligible_case_needs_a_confirmation(web_app, login):
    li = web_app.test_client()
    token = page_login(li, "li")
    visual = application()["id_number"] + "11"  # 视力残疾: outside 20号
    url = _file(li, token, disability_certificate_number=visual)
    page = li.get(url).get_data(as_text=True)
    head = page.index('id="case-verdict"')
    assert head < page.index('id="actions"') and head < page.index('id="history"')
    assert 'data-verdict="not_eligible"' in page and "✘ 不符合条件" in page and "三（一）第4项" in page
    form = page.split('id="form-township_review"')[1].split("</form>")[0]
    assert "verdict-line" in form and "✘ 不符合条件" in form and 'name="confirm_override"' in form
    assert "证号第19位为1：视力残疾" in page
    refused = _step(li, token, url, "township_review")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "仍通过" in text and "须勾选确认" in text
    assert 'data-state="submitted"' in text
    refused = _step(li, token, url, "township_review", confirm_override="true")
    assert refused.status_code == 422 and "写明理由" in refused.get_data(as_text=True)
    assert _step(li, token, url, "township_review", confirm_override="true",
                 override_reason="申请人称类别登记有误，报县残联核实").status_code == 302
    page = li.get(url).get_data(as_text=True)
    assert "申请人称类别登记有误，报县残联核实" in page and "规则结论：结论 ✘ 不符合条件" in page
    # the API: the same rule, the field named, both languages
    wang = login("wang")
    case = wang.get(url.replace("/cases/", "/api/v1/cases/")).get_json()
    assert case["verdict"]["verdict"] == "not_eligible" and case["verdict"]["failing"]
    answer = wang.post(url.replace("/cases/", "/api/v1/cases/") + "/transitions", json={
        "action": "assess", "version": case["version"], "doctor": "王医生", "failed_activities": FOUR_FAILED,
        "assessed_on": case["submitted_on"]})
    error = answer.get_json()["error"]
    assert answer.status_code == 422 and "confirm_override" in error["fields"]
    assert "须勾选确认" in error["fields"]["confirm_override"][0] and "confirmation box" in error["fields"]["confirm_override"][0]
    answer = wang.post(url.replace("/cases/", "/api/v1/cases/") + "/transitions", json={
        "action": "assess", "version": case["version"], "doctor": "王医生", "failed_activities": FOUR_FAILED,
        "assessed_on": case["submitted_on"], "confirm_override": True, "override_reason": "证件待核"})
    assert answer.status_code == 200 and answer.get_json()["history"][-1]["reason"] == "证件待核"


def test_a_blocked_step_says_why_and_who_can_act_in_both_languages(web_app, login):
    from tests.workflow.conftest import STEPS, SUBMITTED
    from tests.conftest import travel
    import datetime as dt

    clients = {}
    url = None
    for action, username, details, days in STEPS[:-1]:  # up to the notice, published by zhao
        client = clients.setdefault(username, login(username))
        if url is None:
            travel(SUBMITTED)
            made = client.post("/api/v1/cases", json=application())
            assert made.status_code == 201, made.get_json()
            url = f"/api/v1/cases/{made.get_json()['id']}"
        travel(SUBMITTED + dt.timedelta(days=days))
        version = client.get(url).get_json()["version"]
        body = {"action": action, "version": version, **{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                                         for k, v in details.items()}}
        assert client.post(f"{url}/transitions", json=body).status_code == 200, action
    zhao = web_app.test_client()
    page_login(zhao, "zhao")
    travel(SUBMITTED + dt.timedelta(days=14))
    page = zhao.get(url.replace("/api/v1", "")).get_data(as_text=True)
    assert 'id="do-activate"' not in page
    assert "须由本部门另一名工作人员办理：公示期满，开始发放" in page
    english = zhao.get(url.replace("/api/v1", "") + "?lang=en").get_data(as_text=True)
    blocked = english.split('id="blocked"')[1].split("</section>")[0]
    assert "for another member of your department" in blocked and not CJK.search(blocked)
    assert "公示中" not in english.split('id="history"')[0]  # no Chinese state name above the history
    verdict = english.split('id="case-verdict"')[1].split("</section>")[0]
    assert "Eligible" in verdict
    api = clients["zhao"].get(url).get_json()
    assert api["blocked"][0]["code"] == "segregation" and api["actions"] == []
    finance = login("zhou").get(url).get_json()
    assert finance["blocked"][0]["message_zh"] == "须由县级残联办理：公示期满，开始发放"
    travel(SUBMITTED + dt.timedelta(days=8))  # wu, before the notice ends: the end date
    wu = login("wu").get(url).get_json()
    assert wu["blocked"][0]["code"] == "notice" and "期满" in wu["blocked"][0]["message_zh"]
    assert "activate" not in wu["actions"]  # no button the server would refuse: the end date instead


def test_the_pre_check_answers_become_proposals_the_assessment_confirms(web_app):
    li = web_app.test_client()
    token = page_login(li, "li")
    facts = {"hukou_division_code": "360902100", "disability_category": "physical", "disability_grade": "1",
             "dibao_household": "是", **{a: "是" if a in FOUR_FAILED else "否" for a in
                                        ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting",
                                         "adl_walking_indoors", "adl_bathing")}}
    form = li.post("/cases/new", data={"csrf_token": token, "stage": "prefill",
                                       "prefill": json.dumps({"facts": facts, "jurisdiction": "360902"})})
    page = form.get_data(as_text=True)
    assert form.status_code == 200
    assert re.search(r'id="proposed.adl_eating"><option value="">[^<]*</option><option value="true" selected', page)
    assert re.search(r'<option value="false" selected>能</option>', page)
    assert '<option value="physical" selected>肢体残疾</option>' in page
    assert '<option value="360902100" selected' in page and 'name="dibao_household" id="dibao_household" checked' in page
    # filed with those proposals, and a certificate of another category: the conflict is shown, not overridden
    data = {k: v for k, v in application(3).items() if not isinstance(v, bool)}
    data["disability_certificate_number"] = data["id_number"] + "51"  # 智力残疾 一级
    proposed = {f"proposed.{a}": "true" if a in FOUR_FAILED else "false" for a in
                ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting", "adl_walking_indoors", "adl_bathing")}
    made = li.post("/cases/new", data={**data, "csrf_token": token, "dibao_household": "on",
                                       "proposed.disability_category": "physical", "proposed.disability_grade": "1",
                                       **proposed})
    assert made.status_code == 302
    url = made.headers["Location"].split("?")[0]
    page = li.get(url).get_data(as_text=True)
    assert "证号第19位为5：智力残疾；第20位为1：一级" in page
    assert 'id="category-conflict"' in page and "填报的残疾类别为肢体残疾" in page
    assert "吃饭、穿衣、上下床、如厕" in page
    # before the assessment: a forecast on the stated answers, labelled as one (智力一级 is in scope)
    assert re.search(r'id="provisional-verdict" data-verdict="eligible">按申请时自述的失能情况预计（待评估确认）：✔ 符合条件', page)
    assert _step(li, token, url, "township_review").status_code == 302
    wang = web_app.test_client()
    page_login(wang, "wang")
    page = wang.get(url).get_data(as_text=True)
    for activity in FOUR_FAILED:
        assert f'value="{activity}" id="{activity}" checked' in page
    assert 'value="adl_bathing" id="adl_bathing" >' in page and 'id="adl-prefilled"' in page
    assert "adl_eating" not in html.unescape(page.split('id="case-verdict"')[1].split("</section>")[0])
    bad = li.post("/cases/new", data={**data, "csrf_token": token, "proposed.disability_grade": "7"})
    assert bad.status_code == 422


def test_the_new_parts_of_the_pages_speak_english_in_english(web_app):
    li = web_app.test_client()
    token = page_login(li, "li")
    form = li.get("/cases/new?lang=en").get_data(as_text=True)
    proposed = form.split('id="proposed"')[1].split("</fieldset>")[0]
    assert "Category stated" in proposed and not CJK.search(proposed)
    url = _file(li, token, disability_certificate_number=application()["id_number"] + "11")
    page = li.get(f"{url}?lang=en").get_data(as_text=True)
    for section in ("case-verdict", "proposals"):
        part = page.split(f'id="{section}"')[1].split("</section>")[0]
        assert not CJK.search(re.sub(r"<cite>[^<]*</cite>", "", part)), section  # citations as written
    assert "character 19 is 1: visual" in page
    chinese = li.get(url).get_data(as_text=True)
    history = chinese.split('id="history"')[1]
    assert "proposed" not in history and "send_back" not in history
