"""In a real browser: the application form decodes the ID and certificate numbers as the clerk types them and flags
a stated birth date or hukou the ID number disagrees with (web/static/id_check.js), in the words the server uses
after a submit (web/identity.py, tests/web/test_identity_hints.py); nothing typed is changed."""

from __future__ import annotations

import datetime as dt

from care_services.identifiers import make_resident_id
from tests.browser.conftest import log_in, shot


def test_the_form_decodes_the_numbers_live_and_flags_what_disagrees(page, server):
    log_in(page, server, "li")
    page.goto(f"{server}/cases/new")
    number = make_resident_id("360981", dt.date(1960, 5, 1), 7)  # first registered in 丰城市
    page.locator("#id_number").press_sequentially(number[:17])
    assert page.locator("#id-reading").count() == 0  # 17 characters: nothing to read yet
    page.locator("#id_number").press_sequentially(number[17])
    reading = page.locator("#id-reading")
    reading.wait_for()
    assert "丰城市（360981）" in reading.inner_text() and "出生日期1960-05-01" in reading.inner_text()
    assert "第17位为7：男" in reading.inner_text()

    page.locator("[id='disability_certificate_number']").press_sequentially(number + "41")
    certificate = page.locator("#certificate-live")
    certificate.wait_for()
    assert "证号第19位为4：肢体残疾；第20位为1：一级" in certificate.inner_text()
    assert page.locator("#certificate-other-id").count() == 0

    page.select_option("#division_code", "360902100")
    hukou = page.locator("#hukou-conflict")
    hukou.wait_for()
    assert "所选户籍地为袁州区（360902），与身份证号第1–6位（丰城市（360981））不一致" in hukou.inner_text()

    page.fill("[id='proposed.birth_date']", "1961-05-01")
    conflict = page.locator("#birth-date-conflict")
    conflict.wait_for()
    assert "填报的出生日期为1961-05-01，与身份证号第7–14位（1960-05-01）不一致" in conflict.inner_text()
    assert page.locator("[id='proposed.birth_date']").input_value() == "1961-05-01"  # a warning, never a change
    assert page.locator("#identity-check").get_attribute("aria-live") == "polite"  # read out as it changes
    shot(page, "application-identity-hints")

    page.fill("[id='proposed.birth_date']", "1960-05-01")  # corrected: the warning goes
    page.locator("#birth-date-conflict").wait_for(state="detached")
    wrong = number[:17] + ("1" if number[17] != "1" else "2")
    page.fill("#id_number", wrong)
    check = page.locator("#id-check")
    check.wait_for()
    assert f"按前17位应为{number[17]}" in check.inner_text()
    assert page.locator("#hukou-conflict").count() == 0  # an invalid number is compared with nothing
