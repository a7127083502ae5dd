"""Errors the server finds are tied to their fields (WCAG 3.3.1, 1.3.1): the field says aria-invalid and points with
aria-describedby at the element that holds its message (templates/macros/forms.html). The browser's own checks do
the same in app.js (tests/browser/test_accessibility.py)."""

from __future__ import annotations

import re

from tests.web.test_pages import token_of


def _described(html: str, field_id: str) -> str:
    """The message a field points at, after checking it is marked invalid."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    assert tag, f"no field {field_id}"
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    assert described, tag.group(0)
    texts = [re.search(rf'id="{re.escape(i)}"[^>]*>([^<]+)<', html) for i in described.group(1).split()]
    assert all(texts), f"{field_id} points at {described.group(1)}, not all found"
    return " ".join(m.group(1) for m in texts)


def test_a_login_without_a_password_marks_the_field_and_keeps_the_username(web_app):
    client = web_app.test_client()
    token = token_of(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"csrf_token": token, "username": "li", "password": ""})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "请填写用户名和密码" in _described(html, "password")
    assert 'id="username" value="li"' in html and 'aria-invalid="true"' not in re.search(
        r'<input[^>]*id="username"[^>]*>', html).group(0)


def test_a_wrong_fact_on_the_check_form_is_tied_to_its_field(web_app):
    client = web_app.test_client()
    token = token_of(client.get("/check/disability_care").get_data(as_text=True))
    answer = client.post("/check/disability_care", data={"csrf_token": token, "jurisdiction": "360902",
                                                         "fact.two_subsidies_month": "-5"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "0" in _described(html, "fact.two_subsidies_month")
    assert html.count('aria-invalid="true"') == 1  # only the wrong field
