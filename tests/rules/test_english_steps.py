"""Every step of every scheme's explanation has its English wording (issue 17: English pages fully English).

An answer carries the Chinese lines in ``steps`` (as always) and their English in ``steps_en``, one for one. Each
registered scheme's worked example (subsidy_rules/examples/cases.yaml) and every hand-worked case of tests/rules/cases
(which reach the other branches of the steps: leased premises, caps, floors, unconfigured standards, failed and
undecided criteria) is evaluated; each English line must be there and hold no Chinese character.
"""

from __future__ import annotations

import re

import pytest

from subsidy_rules.batch import examples
from subsidy_rules.case_files import load_cases
from subsidy_rules.engine import FactError, all_schemes, evaluate
from subsidy_rules.parameters import ParameterError, default_parameters, reform_from_mapping
from subsidy_rules.steps import Step, as_step, texts
from tests.rules.test_case_files import CASES

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
SHIPPED = {"jiujiang_2022_113", "yichun_2023_20"}


def _assert_english(answer: dict, where: str) -> None:
    assert answer["steps"], f"{where}: no steps"
    assert len(answer["steps_en"]) == len(answer["steps"]), f"{where}: {answer['steps']} vs {answer['steps_en']}"
    for zh, en in zip(answer["steps"], answer["steps_en"]):
        assert en.strip() and not CJK.search(en), f"{where}: “{zh}” is worded in English as “{en}”"
        assert " / " not in zh, f"{where}: the Chinese step carries English: “{zh}”"


def _shipped_schemes():
    return [s for s in all_schemes() if s.steps.__module__.rsplit(".", 1)[-1] in SHIPPED]


def test_every_shipped_scheme_has_a_worked_example():
    assert {s.id for s in _shipped_schemes()} <= set(examples())


@pytest.mark.parametrize("scheme", [s.id for s in _shipped_schemes()])
def test_the_worked_example_of_each_scheme_is_explained_in_english_step_by_step(scheme):
    example = examples()[scheme]
    answer = evaluate(scheme, example["facts"], date=example["date"], jurisdiction=example["jurisdiction"])
    assert answer["eligible"] is True, answer["steps"]
    _assert_english(answer, f"{scheme} (example)")


def test_every_hand_worked_case_is_explained_in_english_step_by_step():
    checked = 0
    for path in sorted(CASES.glob("*.yaml")):
        for case in load_cases(path):
            try:
                parameters = default_parameters().with_changes(reform_from_mapping(case.parameters)) \
                    if case.parameters else None
                answer = evaluate(case.scheme, case.facts, date=case.date, jurisdiction=case.jurisdiction,
                                  parameters=parameters)
            except (FactError, ParameterError):
                continue  # an input check: no answer to explain
            if answer["in_force"] is False:  # the message names the document, a Chinese title by nature
                assert answer["steps_en"] == [answer["not_in_force"]["message_en"]]
                continue
            _assert_english(answer, f"{case.source} {case.name}")
            checked += 1
    assert checked >= 100  # the files hold well over a hundred evaluated cases


def test_a_plain_text_step_of_a_scheme_from_elsewhere_serves_both_languages():
    """A scheme declared outside the package may return strings: "中文 / English" splits, a plain text is both."""
    assert as_step("合计 = 100.00元 / Total = CNY 100.00") == Step("合计 = 100.00元", "Total = CNY 100.00")
    assert as_step("合计 = 100.00元") == Step("合计 = 100.00元", "合计 = 100.00元")
    assert texts([Step("甲", "A"), "乙 / B"]) == (["甲", "乙"], ["A", "B"])


def test_a_scheme_not_in_force_is_told_in_english_by_its_title_and_places():
    answer = evaluate("disability_care", {"hukou_division_code": "360402"}, jurisdiction="360402", date="2024-04-01")
    message = answer["not_in_force"]["message_en"]
    assert "Care for people in hardship with severe disabilities" in message and "Lianxi District" in message
    assert "Yichun" in message and not re.search(r"[\u4e00-\u9fff]", message), message
