"""Case forms area: the printable 《审批表》 (宜府办发〔2023〕20号 附件) and 不予批准告知书 of a case, as an A4 print
view and as a workbook (care_services.case_forms fills both).

Both hold the applicant's ID number and bank account, so producing one is a change — an audit line saying who,
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
    return render_template("case_forms_page.html", case={
        "id": case.id, "state": case.state, "scheme": case.scheme,
        "applicant": person.name if person else case.carer_or_institution,
        "state_zh": wf.PROCEDURES[casework.procedure_of(case)].states.get(case.state, case.state)})


@bp.post("/cases/<int(max=2147483647):case_id>/forms/<any(approval, rejection):form>")
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
        write = case_forms.write_approval if form == "approval" else case_forms.write_rejection
        return xlsx_download(lambda file: write(file, data),
                             f"{case_forms.FORM_NAMES[form]}-{case_id}.xlsx")
    template = "case_form_approval.html" if form == "approval" else "case_form_rejection.html"
    return render_template(template, form=data, lines=case_forms.letter_lines(data) if form == "rejection" else [])
