"""The pre-check as a family uses it in a browser: the place of hukou picked 市→县→乡镇, the answer focused (so a
screen reader reads it first) at the page's #answer, the yearly amount, and "以此申请" carrying the answers."""

from __future__ import annotations

import re

from tests.browser.conftest import shot
from tests.browser.conftest import pick_hukou
from tests.browser.test_browser import CHOICES


def test_a_family_picks_the_hukou_and_the_answer_takes_the_focus(page, server):
    page.goto(f"{server}/check/disability_care")
    # the picker: only 宜春市 (where the policy applies), its counties, then the county's townships
    cities = page.eval_on_selector("[id='fact.hukou_division_code.city']", "s => [...s.options].map(o => o.text)")
    assert cities[1:] == ["宜春市"]
    # every select is labelled (its name: the label, then the option chosen); the one city is already chosen
    assert page.get_by_label(re.compile("^市")).input_value() == "360900"
    counties = page.eval_on_selector("[id='fact.hukou_division_code.county']", "s => [...s.options].map(o => o.text)")
    assert "袁州区" in counties and "浔阳区" not in counties
    page.get_by_label(re.compile("^县（市、区）")).select_option("360902")
    towns = page.eval_on_selector("[id='fact.hukou_division_code']", "s => [...s.options].map(o => o.value)")
    assert "360902001" in towns and all(t == "" or t.startswith("360902") for t in towns)
    page.get_by_label(re.compile("^乡镇（街道）")).select_option("360902001")
    page.fill("[id='fact.birth_date']", "1960-05-01")
    for name, value in CHOICES.items():
        page.select_option(f"[id='fact.{name}']", value)
    page.click("#check-submit")
    page.wait_for_selector("#answer-heading")
    page.wait_for_load_state("load")  # check.js moves the focus once the page has loaded
    assert page.url.endswith("/check/disability_care#answer")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "answer-heading" and "✔ 符合条件" in page.inner_text("#answer-heading")
    heading_top = page.eval_on_selector("#answer-heading", "h => h.getBoundingClientRect().top")
    assert 0 <= heading_top < 900  # in view, not 1,800 px below
    assert "7,200.00" in page.inner_text("#yearly") and "户口本" in page.inner_text("#next-steps")
    # the picker keeps the choice on the answer page
    assert page.input_value("[id='fact.hukou_division_code.county']") == "360902"
    assert page.input_value("[id='fact.hukou_division_code']") == "360902001"
    shot(page, "check-answer-focused")
    # a family is told who files the application: the facts reach it by POST from a staff member's session
    # (tests/browser/test_walk.py), never in an address
    assert "工作人员登录后填写正式申请" in page.inner_text("#answer") and page.locator("#apply").count() == 0


def test_errors_take_the_focus_and_name_their_field(page, server):
    page.goto(f"{server}/check/disability_care")
    pick_hukou(page, "360902", "360902001")
    page.evaluate("document.getElementById('check-form').noValidate = true")
    page.evaluate("""() => { const f = document.getElementById('fact.two_subsidies_month');
                               f.removeAttribute('min'); f.value = '-5'; }""")
    page.evaluate("document.getElementById('check-form').submit()")  # as a browser without the page's checks sends it
    page.wait_for_selector("#form-errors")
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement.id") == "form-errors"
    field = page.locator("[id='fact.two_subsidies_month']")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby")
    assert page.inner_text(f"[id='{described}']") and "残疾人两项补贴" in page.inner_text("#form-errors")
