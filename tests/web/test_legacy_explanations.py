"""Explanations stored before the engine named the missing facts (the audit log keeps them as they were) end an
undecided step with the developer's pointer "见 missing_facts": no page shows it; the case page names the facts
in Chinese (or English) at render time."""

from __future__ import annotations

import copy

from sqlalchemy import select

from care_services.db import session_scope
from care_services.model import AuditEntry
from tests.web.test_staff_language import chinese_findings, visible_text
from tests.workflow.conftest import submit

LEGACY_STEP = "资格待定：缺少事实，见 missing_facts / eligibility undecided: facts are missing"


def _store_legacy_explanation(county, case_id: int, missing: list[str]) -> None:
    """Append (the log is append-only) an entry whose explanation is worded as the old engine stored it."""
    with session_scope(county) as session:
        latest = session.scalars(select(AuditEntry).where(AuditEntry.entity_key == str(case_id),
                                                          AuditEntry.explanation.is_not(None))
                                 .order_by(AuditEntry.id.desc())).first()
        explanation = copy.deepcopy(latest.explanation)
        explanation.update(eligible=None, amount=None, steps=[LEGACY_STEP], missing_facts=missing)
        explanation.pop("steps_en", None)  # stored before the steps had an English list of their own
        session.add(AuditEntry(username="li", role="township_reviewer", entity="case", entity_key=str(case_id),
                               action="correct_facts", from_state="submitted", to_state="submitted",
                               reason="旧版本记录", explanation=explanation))


def test_an_old_stored_explanation_names_the_missing_facts_instead_of_the_developer_pointer(web_app, county, login):
    case_id = submit(county, 1)
    _store_legacy_explanation(county, case_id, ["birth_date", "adl_eating"])
    zhao = login("zhao")
    page = zhao.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "旧版本记录" in page  # the page does show the stored explanation's entry
    assert "missing_facts" not in page
    assert "资格待定：缺少事实（出生日期、能否自主吃饭）" in page
    steps = [text for text in visible_text(page) if "资格待定" in text]
    assert steps and not chinese_findings(steps)
    english = zhao.get(f"/cases/{case_id}?lang=en").get_data(as_text=True)
    assert "missing_facts" not in english and "eligibility undecided: facts are missing" in english


def test_the_pointer_with_no_facts_listed_says_nothing_raw(web_app):
    from flask import g

    from web.eligibility import step_text

    with web_app.test_request_context("/"):
        g.lang = "zh"
        assert step_text({"scheme": "disability_care", "missing_facts": []}, LEGACY_STEP) == "资格待定：缺少事实"
        assert step_text({"scheme": "disability_care", "missing_facts": ["birth_date"]},
                         "每人每月 600.00 元") == "每人每月 600.00 元"  # other steps unchanged
