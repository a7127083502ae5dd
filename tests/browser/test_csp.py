"""The Content-Security-Policy (no inline script or style; web/security.py) breaks nothing a page does: no
violation reported on the pages staff open, the county bars still drawn, the payroll form still going to its month."""

from __future__ import annotations

from tests.browser.conftest import log_in

PAGES = ("/", "/check", "/check/disability_care", "/parameters", "/cases", "/cases/new", "/budget", "/planning",
         "/api/v1/notice?jurisdiction=360902")


def test_no_page_breaks_the_content_security_policy(page, server):
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    log_in(page, server, "zhou")
    for url in PAGES:
        page.goto(f"{server}{url}")
        page.wait_for_load_state("load")
    assert not violations, violations
    page.goto(f"{server}/")
    widths = page.eval_on_selector_all(".bar[data-width]", "bars => bars.map(b => b.getBoundingClientRect().width)")
    assert widths and all(width > 0 for width in widths)
    page.goto(f"{server}/cases")
    page.fill("#payroll-form input[name=month]", "2024-05")  # a finance approver has the payroll form
    with page.expect_request(lambda request: "/payroll/" in request.url) as sent:
        page.click("#payroll-form button[type=submit]")
    assert "/payroll/2024-05" in sent.value.url
    assert not violations, violations
