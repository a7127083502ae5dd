"""A county raising a floor (不低于) is seen by the very next evaluation — in the same process, which keeps the set it
built, and in another server process on the same database — while requests with no change reuse one ParameterSet
(the batcher groups by it) and an anonymous evaluation opens no ORM session. Also: the JSON body checks' fast path
(web/json_input.py) still refuses every lone surrogate and over-deep body."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.test_scale_out import _serve
from tests.test_serve import free_port
from tests.workflow.conftest import FOUR_FAILED, PASSWORD, STAFF, prepared_database

FACTS = {"hukou_division_code": "360902", "birth_date": "1960-05-01", "dibao_household": True,
         "at_risk_of_poverty": False, "has_disability_certificate": True, "disability_category": "physical",
         "disability_grade": 1, "tekun_supported": False, "requested_service": "home_care",
         **{a: a in FOUR_FAILED for a in ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting",
                                          "adl_walking_indoors", "adl_bathing")}}
EVALUATE = "/api/v1/schemes/disability_care/evaluate"
REQUEST = {"facts": FACTS, "jurisdiction": "360902", "date": "2024-06-01"}
OVERRIDE = {"name": "disability_care.home_care_month", "jurisdiction": "360902", "start": "2024-01-01",
            "reason": "袁府办发〔2024〕1号（测试）"}


def test_the_next_evaluation_sees_a_county_raising_its_floor(web_app, login):
    from flask import g

    from web.database import current_parameters

    anyone, admin = login(), login("admin")
    before = anyone.post(EVALUATE, json=REQUEST).get_json()["amount"]
    with web_app.test_request_context():
        first, again = current_parameters(), current_parameters()
        assert first is again  # nothing changed: the very same set, built once
        assert "db_session" not in g  # read on a pooled connection, no ORM session for one query
    assert admin.post("/api/v1/parameters/overrides", json={**OVERRIDE, "value": before + 100}).status_code == 201
    assert anyone.post(EVALUATE, json=REQUEST).get_json()["amount"] == before + 100  # the very next request
    with web_app.test_request_context():
        assert current_parameters() is not first
    assert admin.post("/api/v1/parameters/overrides",
                      json={**OVERRIDE, "start": "2024-05-01", "value": before + 150}).status_code == 201
    assert anyone.post(EVALUATE, json=REQUEST).get_json()["amount"] == before + 150


def _call(opener, port: int, path: str, body: dict | None = None, token: str | None = None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"X-CSRF-Token": token} if token else {})})
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as answer:
        return answer.code, json.loads(answer.read())


def test_another_server_process_sees_the_raised_floor_on_its_next_request(tmp_path):
    import http.cookiejar

    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    prepared_database(url, {"admin": STAFF["admin"]})
    log = open(tmp_path / "servers.log", "wb")
    port_a, port_b = free_port(), free_port()
    servers = []
    try:
        servers = [_serve(port_a, log=log, url=url), _serve(port_b, log=log, url=url)]
        anonymous = urllib.request.build_opener()
        status, answer = _call(anonymous, port_a, EVALUATE, REQUEST)  # process A builds and keeps its set
        assert status == 200, answer
        before = answer["amount"]
        admin = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        _, session = _call(admin, port_b, "/api/v1/session")  # 401 with the CSRF token a login must send
        status, session = _call(admin, port_b, "/api/v1/session", {"username": "admin", "password": PASSWORD},
                                session["csrf_token"])
        assert status == 200, session
        status, written = _call(admin, port_b, "/api/v1/parameters/overrides", {**OVERRIDE, "value": before + 100},
                                session["csrf_token"])
        assert status == 201, written
        status, answer = _call(anonymous, port_a, EVALUATE, REQUEST)  # A's very next request
        assert (status, answer["amount"]) == (200, before + 100)
    finally:
        for server in servers:
            server.stop()
        log.close()


@pytest.mark.parametrize("body", [
    '{"facts": {"name": "\\ud800"}, "jurisdiction": "360902"}'.encode(),  # an escape
    '{"facts": {"name": "\ud800"}, "jurisdiction": "360902"}'.encode("utf-8", "surrogatepass"),  # encoded bytes
    '{"facts": {"name": "\ud800"}, "jurisdiction": "360902"}'.encode("utf-16-le", "surrogatepass"),  # UTF-16
])
def test_the_fast_path_of_the_body_check_still_refuses_lone_surrogates(login, body):
    answer = login().post(EVALUATE, data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code in (400, 422), answer.get_data(as_text=True)
    assert "surrogate" in json.dumps(answer.get_json())


def test_the_fast_path_of_the_body_check_still_refuses_deep_bodies(login):
    body = '{"facts": {"x": ' + "[" * 40 + "]" * 40 + '}, "jurisdiction": "360902"}'
    answer = login().post(EVALUATE, data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code in (400, 422) and "nested" in json.dumps(answer.get_json())
