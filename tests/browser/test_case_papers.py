"""In a real browser: the work queue's whole row opens its case, and a rejected applicant's 不予批准告知书 is opened
from the case's papers and printed on A4 (print media emulated, then a PDF), with the toolbar left off the paper."""

from __future__ import annotations

from tests.browser.conftest import ARTIFACTS, log_in, shot
from tests.workflow.conftest import application


def _file_visual_application(page, server) -> str:
    """The township reviewer enters a paper form whose certificate decodes to 视力残疾; returns the case's URL."""
    data = application(11)
    data["disability_certificate_number"] = data["id_number"] + "11"  # category 1 (视力), grade 1
    return _file_application(page, server, data)


def _file_application(page, server, data: dict) -> str:
    """The township reviewer li enters the paper form ``data``; returns the case's URL."""
    log_in(page, server, "li")
    page.goto(f"{server}/cases/new")
    for name in ("name", "id_number", "disability_certificate_number", "township_name", "community_name",
                 "carer_or_institution", "bank_account"):
        page.fill(f"#{name}", data[name])
    page.select_option("#division_code", "360902100")
    page.select_option("#requested_service", "home_care")
    page.check("#dibao_household")
    page.click("#application-submit")
    page.wait_for_selector("#case-state")
    return page.url.split("?")[0]


def test_a_queue_row_opens_its_case_and_the_refusal_letter_prints_on_a4(page, server):
    case_url = _file_visual_application(page, server)
    case_id = case_url.rsplit("/", 1)[1]

    # the whole row is a link: a click on the applicant's cell opens the case; the number stays a real <a>
    page.goto(f"{server}/cases")
    row = page.locator(f"#queue tr[data-href$='/cases/{case_id}']")
    assert row.locator(f"a#case-{case_id}").count() == 1
    assert "✘" in row.locator("td.verdict").inner_text()  # 视力残疾: outside 三（一）第4项
    row.locator("td").nth(2).click()
    page.wait_for_url(case_url)

    page.fill("#reject-reason", "视力残疾不在本政策范围：仅限精神、智力、肢体残疾")
    page.click("#do-reject")
    page.wait_for_selector("#case-state[data-state='rejected']")

    page.goto(f"{case_url}/forms")
    with page.expect_popup() as opened:
        page.click("#rejection-html")
    letter = opened.value
    letter.wait_for_selector("#rejection-letter")
    text = letter.inner_text("#rejection-letter")
    assert "不予批准告知书" in text and "视力残疾不在本政策范围" in text and "三（一）第4项" in text
    assert "六十日" in text and "六个月" in text and "袁州区残疾人联合会" in text
    assert letter.locator("#print-button").is_visible()  # the script shows the print button on screen
    letter.emulate_media(media="print")
    assert not letter.locator(".toolbar").is_visible()  # left off the paper
    width = letter.evaluate("document.querySelector('#rejection-letter').getBoundingClientRect().width")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = letter.pdf(path=str(ARTIFACTS / "rejection-letter.pdf"), prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1, pages  # the letter fits one A4 sheet
    assert b"/MediaBox [0 0 595" in pdf or b"/MediaBox [0 0 594" in pdf  # A4: 595 x 842 points
    assert width > 500  # the sheet spans the page's printable width
    shot(letter, "rejection-letter-print")
    letter.close()

    with page.expect_popup() as opened:  # the 《审批表》 of the same case prints too: its boxes on A4 pages
        page.click("#approval-html")
    form = opened.value
    form.wait_for_selector("#approval-form")
    assert "本表一式三份" in form.inner_text("#copies-note")
    assert "经审核，不同意申报" in form.inner_text("#box-1")  # refused at the township's box
    form.emulate_media(media="print")
    pdf = form.pdf(path=str(ARTIFACTS / "approval-form.pdf"), prefer_css_page_size=True)
    assert 1 <= pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") <= 2
    shot(form, "approval-form-print")
    form.close()


def test_a_case_sent_back_prints_its_correction_notice_on_one_a4_page(page, server):
    """The health assessor sends a case back to the township; the notice is opened from the case page's sent-back
    box and prints on one A4 sheet with the reason as typed and where to hand in the correction."""
    case_url = _file_application(page, server, application(12))
    page.click("#do-township_review")
    page.wait_for_selector("#case-state[data-state='township_reviewed']")
    page.context.clear_cookies()

    log_in(page, server, "wang")
    page.goto(case_url)
    page.select_option("#send_back_to", "township_review")
    reason = "户口本户主页与身份证住址不一致，请携带户口本原件到乡镇核实后补正"
    page.fill("#send-back-reason", reason)
    page.click("#do-send_back")
    page.wait_for_selector("#sent-back")
    assert reason in page.inner_text("#sent-back-reason")
    with page.expect_popup() as opened:
        page.click("#sent-back-notice")
    notice = opened.value
    notice.wait_for_selector("#correction-notice")
    text = notice.inner_text("#correction-notice")
    assert "补正通知书" in text and reason in text and "测试镇残联或民政所" in text and "五（一）个人申请" in text
    assert "袁州区卫生健康委员会" in text  # the department that sent it back signs it
    notice.emulate_media(media="print")
    assert not notice.locator(".toolbar").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = notice.pdf(path=str(ARTIFACTS / "correction-notice.pdf"), prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1, pages  # the notice fits one A4 sheet
    assert b"/MediaBox [0 0 595" in pdf or b"/MediaBox [0 0 594" in pdf  # A4
    shot(notice, "correction-notice-print")
    notice.close()
