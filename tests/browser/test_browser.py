"""In a real browser: the eligibility form for an eligible and an ineligible applicant, a case through its
workflow with three different users, a budget report downloaded and a plan solved. Screenshots: tests/artifacts/."""

from __future__ import annotations

from openpyxl import load_workbook

from tests.browser.conftest import ARTIFACTS, log_in, shot
from tests.workflow.conftest import FOUR_FAILED, application
from tests.browser.conftest import pick_hukou

DISABLED = {  # an applicant of 宜府办发〔2023〕20号 who meets every condition
    "birth_date": "1960-05-01", "two_subsidies_month": "200",
}
CHOICES = {"dibao_household": "是", "at_risk_of_poverty": "否", "has_disability_certificate": "是",
           "disability_category": "physical", "disability_grade": "1", "tekun_supported": "否",
           "requested_service": "home_care",
           **{a: "是" if a in FOUR_FAILED else "否" for a in ("adl_eating", "adl_dressing", "adl_transfer",
                                                             "adl_toileting", "adl_walking_indoors", "adl_bathing")}}


def _fill_check_form(page, category: str) -> None:
    pick_hukou(page, "360902", "360902001")
    for name, value in DISABLED.items():
        page.fill(f"[id='fact.{name}']", value)
    for name, value in {**CHOICES, "disability_category": category}.items():
        page.select_option(f"[id='fact.{name}']", value)
    page.click("#check-submit")
    page.wait_for_selector("#verdict")


def test_the_eligibility_form_for_an_eligible_and_an_ineligible_applicant(page, server):
    page.goto(f"{server}/check")
    page.click("#scheme-disability_care")
    # the browser checks what it can before sending: a negative amount does not go out
    pick_hukou(page, "360902", "360902001")
    page.fill("[id='fact.two_subsidies_month']", "-5")
    page.click("#check-submit")
    assert page.locator("#verdict").count() == 0 and page.locator("label.invalid").count() >= 1
    page.fill("[id='fact.two_subsidies_month']", "")
    _fill_check_form(page, "physical")
    assert "符合条件" in page.inner_text("#verdict") and "不" not in page.inner_text("#verdict")
    assert "600.00" in page.inner_text("#amount")
    assert page.locator("tr.fail").count() == 0 and "宜府办发〔2023〕20号" in page.inner_text("#answer")
    shot(page, "eligibility-eligible")
    _fill_check_form(page, "visual")  # a visual disability is outside the scheme
    assert "不符合条件" in page.inner_text("#verdict")
    assert page.inner_text("#reasons") == "视力残疾不在本政策范围：仅限精神、智力、肢体残疾"
    failed = page.locator("tr.fail").first.inner_text()
    assert "残疾" in failed and "三（一）第4项" in failed
    shot(page, "eligibility-ineligible")
    page.click("#switch-language")  # English on one click (the form starts again)
    assert page.inner_text("#check-submit") == "Check"


def test_a_case_through_its_workflow_with_three_users(page, server):
    # 1. the township reviewer enters the paper form and does the preliminary review
    log_in(page, server, "li")
    page.goto(f"{server}/cases/new")
    data = application(7)
    for name in ("name", "id_number", "disability_certificate_number", "township_name", "community_name",
                 "carer_or_institution", "bank_account"):
        page.fill(f"#{name}", data[name])
    page.select_option("#division_code", "360902100")  # the only division of a township reviewer
    page.select_option("#requested_service", "home_care")
    page.check("#dibao_household")
    page.click("#application-submit")
    page.wait_for_selector("#case-state")
    assert page.get_attribute("#case-state", "data-state") == "submitted"
    case_url = page.url.split("?")[0]
    page.click("#do-township_review")
    page.wait_for_selector("#case-state[data-state='township_reviewed']")
    shot(page, "workflow-1-township")
    page.click("#logout")

    # 2. the county health department's doctor records the assessment
    log_in(page, server, "wang")
    page.goto(case_url)
    assert page.locator("#do-township_review").count() == 0
    page.fill("#assessed_on", page.get_attribute("#assessed_on", "max"))  # today, by the server's clock
    page.fill("#doctor", "王医生")
    for activity in FOUR_FAILED:
        page.check(f"#{activity}")
    page.click("#do-assess")
    page.wait_for_selector("#case-state[data-state='assessed']")
    assert "符合条件" in page.inner_text("#verdict")  # the rules now have every fact
    shot(page, "workflow-2-assessed")
    page.click("#logout")

    # 3. the disability federation reviews and records the funds to integrate
    log_in(page, server, "zhao")
    page.goto(f"{server}/cases")
    page.click(f"#queue a[href$='{case_url.rsplit('/', 1)[1]}']")
    page.fill("#two_subsidies_month", "200")
    page.click("#do-sector_review")
    page.wait_for_selector("#case-state[data-state='sector_reviewed']")
    rows = page.locator("#history tbody tr")
    assert rows.count() == 4
    assert [rows.nth(i).locator("td").nth(1).inner_text().split("（")[0] for i in range(4)] == ["li", "li", "wang", "zhao"]
    shot(page, "workflow-3-sector-reviewed")


def test_a_budget_report_is_downloaded(page, server):
    log_in(page, server, "zhou")
    page.goto(f"{server}/budget")
    page.fill("#first_year", "2024")
    page.fill("#last_year", "2025")
    page.check("#caseload-synthetic")
    page.fill("input[name=synthetic]", "200")
    page.check("#projects-sample")
    page.fill("#change-1-scenario", "居家照护700元")  # the picker: the parameter by name, the new value in 元
    page.select_option("#change-1-parameter", "disability_care.home_care_month")
    page.fill("#change-1-value", "700")
    page.click("#budget-submit")
    page.wait_for_selector("#download-report", timeout=120_000)  # the job page polls, then shows the result
    assert page.locator("svg.chart").count() == 3 and "居家照护700元" in page.inner_text("main")
    shot(page, "budget-result")
    with page.expect_download() as download:
        page.click("#download-report")
    target = ARTIFACTS / "budget-report.xlsx"
    download.value.save_as(str(target))
    book = load_workbook(target)
    assert len(book.sheetnames) > 3


def test_a_plan_is_solved_with_progress_and_downloaded(page, server):
    log_in(page, server, "admin")
    page.goto(f"{server}/planning")
    page.fill("#year", "2025")
    page.fill("#budget", "5亿")
    page.click("#planning-submit")
    page.wait_for_selector("#job-progress")  # the waiting page with its progress bar comes first
    page.wait_for_selector("#download-plan", timeout=120_000)
    districts = page.locator("#districts tbody tr")
    assert districts.count() >= 13 and "→" in districts.first.inner_text()  # before → after for every county
    assert page.locator("#plan tbody tr").count() > 0 and page.locator("#matrix tbody tr").count() > 0
    shot(page, "planning-result")
    with page.expect_download() as download:
        page.click("#download-plan")
    target = ARTIFACTS / "plan.xlsx"
    download.value.save_as(str(target))
    assert len(load_workbook(target).sheetnames) >= 4
