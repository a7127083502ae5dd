"""Case forms area: the printable 《审批表》 (宜府办发〔2023〕20号 附件), 不予批准告知书 and 补正通知书 of a case, as
an A4 print view and as a workbook (care_services.case_forms fills both).

Each holds the applicant's ID number and bank account, so producing one is a change — an audit line saying who,
when and which — and therefore a POST from the case page (GET never changes the database), never a link.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from care_services import case_forms
from subsidy_rules.workflow import WorkflowError
from web.database import session as db_session
from web.downloads import xlsx_download
from web.schemas import CaseFormRequest, load
from web.security import current_user, login_required

bp = Blueprint("case_forms", __name__)


@bp.app_template_global("paper_text")
def paper_text(key: str) -> str:
    """A word of the paper itself: the 《审批表》 and the 不予批准告知书 are Chinese documents (filed, signed and
    handed to the applicant as the annex prescribes) whatever the page's language; an English page explains them
    around the sheet (case_form_base.html) and marks the sheet lang="zh-CN"."""
    from web.i18n import TEXT

    return TEXT[key][0]


@bp.get("/cases/<int(max=2147483647):case_id>/forms")
@login_required
def forms_page(case_id: int):
    """The case's papers to print or download (the same buttons the case page includes); reading changes nothing."""
    from care_services import casework
    from subsidy_rules import workflow as wf

    case = casework.get_case(db_session(), current_user(), case_id)
    person = casework.applicant_of(case)
    entries = casework.history(db_session(), case.id)
    return render_template("case_forms_page.html", case={
        "id": case.id, "state": case.state, "scheme": case.scheme,
        "sent_back": casework.open_send_back(entries) is not None and case.state in wf.CORRECTABLE_STATES,
        "applicant": person.name if person else case.carer_or_institution,
        "state_zh": wf.PROCEDURES[casework.procedure_of(case)].states.get(case.state, case.state)})


@bp.post("/cases/<int(max=2147483647):case_id>/forms/<any(approval, rejection, correction):form>")
@login_required
def produce(case_id: int, form: str):
    from flask import request

    from care_services import casework

    query = load(CaseFormRequest(), request.form)
    session = db_session()
    user = current_user()
    case = casework.get_case(session, user, case_id)
    try:
        data = case_forms.build(session, case, form)
    except case_forms.FormError as error:
        raise WorkflowError("state", error.zh, error.en) from None
    case_forms.record_production(session, user, case, form, query["format"])
    session.commit()
    if query["format"] == "xlsx":
        return xlsx_download(lambda file: case_forms.WRITERS[form](file, data),
                             f"{case_forms.FORM_NAMES[form]}-{case_id}.xlsx")
    lines = {"rejection": case_forms.letter_lines, "correction": case_forms.notice_lines}.get(form)
    return render_template(f"case_form_{form}.html", form=data, lines=lines(data) if lines else [])
