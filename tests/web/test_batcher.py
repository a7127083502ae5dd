"""Evaluations computed together (web/batcher.py) answer exactly as each computed alone by engine.evaluate."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from subsidy_rules.engine import FactError, evaluate
from subsidy_rules.parameters import default_parameters
from web.batcher import EvaluationBatcher

BASE = {"hukou_division_code": "360902", "birth_date": "1960-05-01", "dibao_household": True,
        "at_risk_of_poverty": False, "has_disability_certificate": True, "disability_category": "physical",
        "disability_grade": 1, "tekun_supported": False, "adl_eating": True, "adl_dressing": True,
        "adl_transfer": True, "adl_toileting": True, "adl_walking_indoors": False, "adl_bathing": False,
        "requested_service": "home_care"}


def variants():
    """Eligible, ineligible, undecided, other counties and dates, and another scheme, mixed."""
    for i in range(48):
        facts = dict(BASE)
        if i % 4 == 1:
            facts["disability_category"] = "visual"
        if i % 4 == 2:  # two activities unknown: 4 of 6 may or may not be reached
            facts.pop("adl_eating")
            facts.pop("adl_dressing")
        if i % 3 == 0:
            facts["requested_service"] = "institutional_care"
            facts["institution_type"] = "private"
            facts["two_subsidies_month"] = 100 + i
        yield "disability_care", facts, dt.date(2023 + i % 3, 1 + i % 12, 1), ("360902", "360921", "360983")[i % 3]
        yield "childcare_operation", {"inclusive": True, "monthly_fee": 800 + i * 10, "local_inclusive_price": 900,
                                      "enrolled_under_3": i}, dt.date(2024, 1, 1), "360403"


def test_answers_in_a_batch_equal_answers_alone():
    batcher = EvaluationBatcher()
    parameters = default_parameters()
    cases = list(variants())
    with ThreadPoolExecutor(max_workers=32) as pool:
        together = list(pool.map(lambda c: batcher.evaluate(c[0], c[1], date=c[2], jurisdiction=c[3],
                                                             parameters=parameters), cases))
    alone = [evaluate(s, f, date=d, jurisdiction=j, parameters=parameters) for s, f, d, j in cases]
    for case, one, other in zip(cases, alone, together):
        assert {k: v for k, v in one.items() if v != other.get(k)} == {}, case
    assert {a["eligible"] for a in together} == {True, False, None}


def test_a_bad_fact_fails_only_its_own_request():
    batcher = EvaluationBatcher()
    parameters = default_parameters()
    with pytest.raises(FactError) as bad:
        batcher.evaluate("disability_care", {**BASE, "shoe_size": 42}, date=None, jurisdiction="360902",
                         parameters=parameters)
    assert "shoe_size" in bad.value.errors
    with ThreadPoolExecutor(max_workers=8) as pool:
        wrong = pool.submit(batcher.evaluate, "disability_care", {**BASE, "disability_grade": "x"}, date=None,
                            jurisdiction="360902", parameters=parameters)
        right = pool.submit(batcher.evaluate, "disability_care", BASE, date=None, jurisdiction="360902",
                            parameters=parameters)
        assert right.result()["eligible"] is True
        with pytest.raises(FactError):
            wrong.result()
