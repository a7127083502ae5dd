"""The API's JSON is written by orjson (web/json_input.py), and must be the very bytes json.dumps wrote before:
compact, Chinese as UTF-8, keys in the answer's own order, dates as Flask's HTTP dates (a float's exponent alone
is written 1e-7 where json wrote 1e-07: the same number)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from flask import Flask

from subsidy_rules.engine import evaluate
from web.json_input import JSONProvider


def _flask_json(value) -> str:
    """What Flask's own provider writes for a response body (compact, ensure_ascii off, keys unsorted)."""
    app = Flask(__name__)
    app.json.ensure_ascii, app.json.sort_keys = False, False
    return app.json.dumps(value, separators=(",", ":"))


@pytest.fixture
def provider():
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.json.ensure_ascii = False
    return app.json


ODD_VALUES = [
    {"金额": 1234.5, "名称": "宜春市袁州区", "z": 1, "a": [True, False, None]},  # unsorted keys stay unsorted
    {1: "整数键", 2.5: "小数键"},  # keys that are no text, as json.dumps writes them
    {"big": 2 ** 70},  # beyond 64 bits: orjson refuses, json takes it
    {"date": dt.date(2024, 4, 1), "when": dt.datetime(2024, 4, 1, 8, 30)},  # Flask's HTTP dates
    {"id": uuid.UUID(int=7), "money": Decimal("12.30")},
    {"quote": 'he said "是" \\ \n\t\u0001', "emoji": "\U0001F600"},
    [0.1, 1.0, -0.0, 3, 123456789.125, 99999.99],
]


@pytest.mark.parametrize("value", ODD_VALUES, ids=range(len(ODD_VALUES)))
def test_the_same_bytes_as_flask_wrote(provider, value):
    assert provider.dumps(value, separators=(",", ":")) == _flask_json(value)


def test_exponents_are_the_same_numbers(provider):
    # the one difference: orjson writes an exponent without padding (1e-7, json 1e-07); money is never written so
    value = [1e-7, 1e22, 2.5e-300]
    written = provider.dumps(value, separators=(",", ":"))
    assert json.loads(written) == value and written == "[1e-7,1e+22,2.5e-300]"


def test_evaluation_answers_are_the_same_bytes(provider):
    from bench.one_case import APPLICANTS, DATE

    for facts in APPLICANTS:
        answer = evaluate("disability_care", facts, date=DATE, jurisdiction=facts["hukou_division_code"])
        written = provider.dumps(answer, separators=(",", ":"))
        assert written == _flask_json(answer)
        assert json.loads(written) == json.loads(json.dumps(answer, ensure_ascii=False))


def test_other_calls_go_through_json(provider):
    # indent (debug mode) is not orjson's: json writes it, as before
    assert provider.dumps({"a": [1]}, indent=2) == json.dumps({"a": [1]}, indent=2, ensure_ascii=False)


def test_an_api_answer_is_utf8_json(web_app):
    from bench.web_load import FACTS

    client = web_app.test_client()
    answer = client.post("/api/v1/schemes/disability_care/evaluate",
                         json={"facts": FACTS["disability_care"], "jurisdiction": "360902", "date": "2024-04-01"})
    assert answer.status_code == 200
    body = answer.get_data()
    assert "宜府办发〔2023〕20号".encode() in body  # Chinese as UTF-8, no \\u escapes
    assert json.loads(body)["eligible"] is True
