"""Cases area: work queues, the case page (history, audit trail, the rules' explanation, the user's own step),
applications, the public notice and the payment roll — pages and the JSON API over care_services.casework."""

from __future__ import annotations

import json

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from care_services import casework, clock, notice, payroll
from care_services import vocabulary as v
from care_services.accounts import InputError
from care_services.model import CareCase, Person
from care_services.privacy import mask_account
from subsidy_rules import workflow as wf
from subsidy_rules.workflow import WorkflowError
from web.database import session as db_session
from web.downloads import xlsx_download
from web.eligibility import fact_text, fact_title
from web.errors import WORKFLOW_STATUS, flatten, input_fields
from web.i18n import TEXT, label, localized, t
from web.schemas import (ApplicationRequest, CaseListQuery, InstitutionApplicationRequest, NoticeQuery, RollQuery,
                         TransitionRequest, ValidationError, load, month_path)
from web.security import current_user, login_required, roles_required

bp = Blueprint("cases", __name__)
ROLL_ROLES = ("finance_approver", "civil_affairs_reviewer", "disability_federation_reviewer", "administrator")


# ------------------------------------------------------------------------------------------------ views of a case


def case_summary(case: CareCase, person: Person | None) -> dict:
    return {
        "id": case.id, "scheme": case.scheme, "state": case.state, "version": case.version,
        "state_zh": wf.PROCEDURES[casework.procedure_of(case)].states.get(case.state, case.state),
        "applicant": person.name if person else case.carer_or_institution,
        "division_code": case.division_code, "township": case.township_name, "community": case.community_name,
        "requested_service": case.requested_service, "submitted_on": case.submitted_on.isoformat(),
        "approved_on": case.approved_on and case.approved_on.isoformat(),
        "rejection_reason": case.rejection_reason, "exit_reason": case.exit_reason,
    }


DETAIL_LABELS = {"applied_by": v.APPLIED_BY, "exit_reason": wf.EXIT_REASONS, "hukou_area": v.AREA}
# The applicant's facts a case keeps, by the TEXT key of their label (the case page, a correction's audit line)
APPLICANT_LABELS = {"name": "person_name", "hukou_division_code": "hukou_county", "hukou_area": "area",
                    "dibao_household": "dibao_household", "at_risk_of_poverty": "at_risk_of_poverty",
                    "tekun_supported": "tekun_supported", "disability_certificate_number": "certificate",
                    **{name: name for name in wf.ADL_ACTIVITIES}}


def label_of(scheme_id: str, name: str) -> str:
    if name in APPLICANT_LABELS and scheme_id == casework.SCHEME:
        return t(APPLICANT_LABELS[name])
    return t(name) if name in TEXT else fact_title(scheme_id, name)


@bp.app_template_global()
def detail_text(scheme_id: str, details: dict) -> str:
    """An audit step's recorded details as a line staff can read (the JSON stays in the API and the database)."""
    def value_text(name, value):
        if isinstance(value, list):
            return "、".join(value_text(name, item) for item in value)
        if isinstance(value, dict):  # the facts a reviewing department verified, or a correction's old and new
            return "，".join(f"{label_of(scheme_id, k)} {value_text(k, item)}" for k, item in value.items())
        if isinstance(value, str) and value in TEXT:
            return t(value)  # e.g. the ADL activities
        if name in DETAIL_LABELS:
            return label(value, DETAIL_LABELS[name].get(value, value))
        return fact_text(scheme_id, name, value)

    return "；".join(f"{label_of(scheme_id, name)}：{value_text(name, value)}" for name, value in details.items())


@bp.app_template_global()
def applicant_text(name: str, value) -> str:
    """One of the applicant's facts as the case page shows it."""
    if name in DETAIL_LABELS:
        return label(value, DETAIL_LABELS[name].get(value, value)) if value is not None else "—"
    return fact_text(casework.SCHEME, name, value)


def case_detail(case: CareCase) -> dict:
    session = db_session()
    person = casework.applicant_of(case)  # as the case knows the applicant, not the shared record
    entries = casework.history(session, case.id)
    detail = case_summary(case, person)
    flow = casework.as_workflow_case(case, entries)
    awaited = flow.steps.awaited.get(case.state)
    detail.update({
        "awaiting": awaited, "awaiting_role": awaited and wf.role_for(flow, awaited),
        "institution_type": case.institution_type, "payee": case.bank_account_name or case.carer_or_institution,
        "bank_name": case.bank_name, "account_masked": mask_account(case.bank_account), "facts": case.facts,
        "applicant_facts": case.person_facts,
        "integrated_funds": {"two_subsidies_month": case.two_subsidies_month, "dibao_month": case.dibao_month,
                             "elderly_allowance_month": case.elderly_allowance_month,
                             "other_care_benefits_month": case.other_care_benefits_month},
        "notice_from": case.notice_from and case.notice_from.isoformat(),
        "exited_on": case.exited_on and case.exited_on.isoformat(),
        "history": [{"at": e.at.isoformat(timespec="seconds") + "Z", "user": e.username, "role": e.role,
                     "action": e.action, "from": e.from_state, "to": e.to_state, "reason": e.reason,
                     "details": e.details, "parameter_version": e.parameter_version, "explanation": e.explanation}
                    for e in entries],
    })
    return detail


def actions_for(case: CareCase, user) -> list[str]:
    """The actions this user could take on this case now (the pages show only these)."""
    flow = casework.as_workflow_case(case, casework.history(db_session(), case.id))
    possible = [action for action, (source, _, _) in flow.steps.actions.items() if source == case.state]
    if case.state in flow.steps.pending:
        possible.append("reject")
    allowed = []
    for action in possible:
        role = wf.role_for(flow, flow.steps.awaited[case.state]) if action == "reject" else wf.role_for(flow, action)
        if role == user.role and flow.last_actor != user.username:
            allowed.append(action)
    # a correction of the applicant's facts is not a step: segregation of duties does not apply to it
    if (flow.procedure == casework.SCHEME and case.state in wf.CORRECTABLE_STATES
            and wf.correction_role(flow) == user.role):
        allowed.append(wf.CORRECTION)
    return allowed


def _visible_cases(user, query: dict) -> list[CareCase]:
    session = db_session()
    if query["queue"]:
        return casework.work_queue(session, user)
    statement = select(CareCase).where(casework.visible(user)).order_by(CareCase.id.desc())
    if query["state"]:
        statement = statement.where(CareCase.state == query["state"])
    return list(session.scalars(statement.limit(500)))


def _get(case_id: int) -> CareCase:
    return casework.get_case(db_session(), current_user(), case_id)


def _create(data: dict) -> CareCase:
    session = db_session()
    try:
        if "scheme" in data:
            scheme = data.pop("scheme")
            case = casework.submit_institution_application(session, scheme, data, by=current_user())
        else:
            case = casework.submit_application(session, data, by=current_user())
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return case


def _act(case_id: int, transition: dict) -> CareCase:
    session = db_session()
    try:
        case = casework.act(session, current_user(), case_id, transition["action"],
                            expected_version=transition["version"], **transition["details"])
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return case


# ------------------------------------------------------------------------------------------------ API


@bp.get("/api/v1/cases")
@login_required
def list_cases():
    query = load(CaseListQuery(), request.args)
    session = db_session()
    cases = _visible_cases(current_user(), query)
    people = casework.people_of(session, [c for c in cases if c.person_id_number])
    return jsonify(cases=[case_summary(c, people.get(c.person_id_number)) for c in cases])


@bp.post("/api/v1/cases")
@login_required
def create_case():
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError({"_body": ["请求体应为JSON对象 / the body must be a JSON object"]})
    schema = InstitutionApplicationRequest() if "scheme" in body and body["scheme"] != casework.SCHEME else ApplicationRequest()
    data = load(schema, {k: val for k, val in body.items() if not (k == "scheme" and val == casework.SCHEME)})
    case = _create(data)
    return jsonify(case_detail(case)), 201, {"Location": url_for("cases.show_case", case_id=case.id)}


@bp.get("/api/v1/cases/<int(max=2147483647):case_id>")
@login_required
def show_case(case_id: int):
    return jsonify(case_detail(_get(case_id)))


@bp.post("/api/v1/cases/<int(max=2147483647):case_id>/transitions")
@login_required
def transition(case_id: int):
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError({"_body": ["请求体应为JSON对象 / the body must be a JSON object"]})
    case = _act(case_id, load(TransitionRequest(), body))
    return jsonify(case_detail(case))


@bp.get("/api/v1/notice")
@login_required
def notice_api():
    return _notice(load(NoticeQuery(), request.args))


@bp.get("/api/v1/payroll/<month>")
@roles_required(*ROLL_ROLES)
def payroll_api(month: str):
    """The stored roll (or a city's summary of its counties' rolls); reading never generates."""
    query = load(RollQuery(), request.args)
    if query["bank"]:  # producing it is audited: a change, so never a GET
        raise ValidationError({"bank": ["银行代发清单请用 POST /api/v1/payroll/<月份>/bank-list 导出（导出记入审计日志） / "
                                        "the bank list is a POST to /api/v1/payroll/<month>/bank-list (audited)"]})
    result = _stored_roll(month_path(month), query["jurisdiction"])
    if query["format"] == "xlsx":
        return _roll_download(month, query["jurisdiction"], result)
    return jsonify(roll_json(month, query["jurisdiction"], result))


@bp.post("/api/v1/payroll/<month>/bank-list")
@roles_required("finance_approver", "administrator")
def bank_list(month: str):
    """The county roll as handed to the bank (full accounts and ID numbers): finance only, each export audited."""
    query = load(RollQuery(), request.args)
    result = _stored_roll(month_path(month), query["jurisdiction"])
    if not isinstance(result, payroll.Roll):
        raise ValidationError({"jurisdiction": ["银行代发清单按县（市、区）名册导出 / the bank list is per county roll"]})
    session = db_session()
    bank = payroll.bank_details(session, result, current_user())
    session.commit()
    name = payroll.check_jurisdiction(session, query["jurisdiction"]).name
    return xlsx_download(lambda file: payroll.write_roll(file, result, name, bank=bank),
                         f"银行代发清单-{query['jurisdiction']}-{month}.xlsx")


@bp.post("/api/v1/payroll/<month>")
@roles_required(*ROLL_ROLES)
def generate_payroll(month: str):
    query = load(RollQuery(), request.args)
    result = _generate(month_path(month), query["jurisdiction"])
    written = any(roll.written for roll in _rolls_of(result))
    return jsonify(roll_json(month, query["jurisdiction"], result)), 201 if written else 200


@bp.post("/api/v1/payroll/<month>/close")
@roles_required("finance_approver", "administrator")
def close_payroll(month: str):
    query = load(RollQuery(), request.args)
    result = _close(month_path(month), query["jurisdiction"])
    body = roll_json(month, query["jurisdiction"], result)
    if isinstance(result, payroll.Roll):  # the fields this answer always had
        body.update(status=result.header.status, total=result.total, recipients=result.header.recipients)
    return jsonify(body)


def _rolls_of(result) -> list:
    return result.rolls if isinstance(result, payroll.Summary) else [result]


def _roll_summary(roll) -> dict:
    header = roll.header
    return {"jurisdiction": header.jurisdiction_code, "month": header.month, "status": header.status,
            "total": roll.total, "recipients": header.recipients, "digest": header.digest,
            "parameter_version": header.parameter_version}


def roll_json(month: str, jurisdiction: str, result) -> dict:
    if isinstance(result, payroll.Summary):
        return {"month": month, "jurisdiction": jurisdiction, "summary": True, "total": result.total,
                "recipients": result.recipients, "counties": [_roll_summary(roll) for roll in result.rolls]}
    return {**_roll_summary(result), "summary": False, "lines": result.lines, "corrections": result.corrections,
            "differences": result.differences}


def _stored_roll(month: str, jurisdiction: str):
    _within_user(jurisdiction)
    result = payroll.read(db_session(), month, jurisdiction)
    if result is None:
        raise WorkflowError("no_roll", f"{month}名册（{jurisdiction}）尚未生成，请先生成",
                            f"the roll of {month} ({jurisdiction}) has not been generated yet: generate it first")
    return result


def _generate(month: str, jurisdiction: str):
    _within_user(jurisdiction)
    session = db_session()
    result = payroll.generate(session, month, jurisdiction, by=current_user().username)
    session.commit()
    return result


def _close(month: str, jurisdiction: str):
    _within_user(jurisdiction)
    session = db_session()
    payroll.generate(session, month, jurisdiction, by=current_user().username)
    payroll.close(session, month, jurisdiction, current_user())
    session.commit()
    return payroll.read(session, month, jurisdiction)


def _roll_download(month: str, jurisdiction: str, result):
    return xlsx_download(lambda file: payroll.write(file, result, db_session()),
                         f"发放名册-{jurisdiction}-{month}.xlsx")


def _within_user(jurisdiction: str) -> None:
    from care_services.identifiers import within

    if not within(jurisdiction, current_user().jurisdiction_code):
        raise WorkflowError("jurisdiction", "不在您的辖区内", "outside your jurisdiction")


def _notice(query: dict):
    _within_user(query["jurisdiction"])
    session = db_session()
    if query["format"] == "xlsx":
        return xlsx_download(lambda file: notice.write_xlsx(file, session, query["jurisdiction"], query["community"]),
                             f"公示名单-{query['jurisdiction']}.xlsx")
    return notice.render_html(session, query["jurisdiction"], query["community"]), 200, {
        "Content-Type": "text/html; charset=utf-8"}


# ------------------------------------------------------------------------------------------------ pages


@bp.get("/cases")
@login_required
def queue_page():
    query = load(CaseListQuery(), request.args)
    user = current_user()
    session = db_session()
    queue = casework.work_queue(session, user)
    recent = _visible_cases(user, {**query, "queue": False})
    people = casework.people_of(session, [c for c in {*queue, *recent} if c.person_id_number])
    summaries = {c.id: case_summary(c, people.get(c.person_id_number)) for c in {*queue, *recent}}
    return render_template("cases.html", queue=[summaries[c.id] for c in queue],
                           recent=[summaries[c.id] for c in recent], state=query["state"], states=localized(wf.STATES),
                           can_roll=user.role in ROLL_ROLES, month=clock.today().strftime("%Y-%m"))


def divisions_of(user) -> list[dict]:
    """The counties and townships a user may file for: their jurisdiction and everything in it."""
    from care_services.identifiers import code_prefix
    from care_services.model import Division

    rows = db_session().scalars(select(Division).where(
        Division.level.in_(("county", "township")),
        Division.code.startswith(code_prefix(user.jurisdiction_code), autoescape=True)).order_by(Division.code))
    return [{"code": d.code, "name": d.name} for d in rows]


def _application_form(scheme: str, values: dict, errors: dict, status: int = 200):
    from subsidy_rules.engine import get_scheme

    return render_template("new_case.html", scheme=get_scheme(scheme).describe(), values=values, errors=errors,
                           counties=divisions_of(current_user()), services=localized(v.SERVICE_TYPE),
                           institution_types=localized(v.INSTITUTION_TYPE), applied_by=localized(v.APPLIED_BY),
                           areas=localized(v.AREA), person=scheme == casework.SCHEME), status


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_case_page():
    scheme = request.args.get("scheme", casework.SCHEME)
    if scheme != casework.SCHEME and scheme not in casework.institution_schemes():
        abort(404)
    if request.method == "GET":
        return _application_form(scheme, {}, {})
    if request.form.get("stage") == "prefill":  # from the eligibility answer: start the form with its facts
        try:
            prefill = json.loads(request.form.get("prefill") or "{}")
        except ValueError:
            prefill = {}
        facts = prefill.get("facts") if isinstance(prefill, dict) else {}
        values = {**(facts or {}), "division_code": prefill.get("jurisdiction", "") if isinstance(prefill, dict) else ""}
        values["facts_json"] = json.dumps(facts or {}, ensure_ascii=False)
        return _application_form(scheme, values, {})
    form = {k: val for k, val in request.form.items() if k not in ("csrf_token", "stage", "facts_json")}
    for flag in ("dibao_household", "at_risk_of_poverty", "tekun_supported"):
        form[flag] = flag in request.form
    try:
        if scheme == casework.SCHEME:
            data = load(ApplicationRequest(), form)
        else:
            try:
                facts = json.loads(request.form.get("facts_json") or "{}")
            except ValueError:
                raise ValidationError({"facts": ["事实项格式有误 / the facts are not valid JSON"]}) from None
            data = load(InstitutionApplicationRequest(), {**{k: val for k, val in form.items() if val and k not in
                                                             ("dibao_household", "at_risk_of_poverty", "tekun_supported")},
                                                          "scheme": scheme, "facts": facts})
        case = _create(data)
    except ValidationError as error:
        db_session().rollback()
        return _application_form(scheme, {**request.form}, flatten(error.messages), 422)
    except InputError as error:
        db_session().rollback()
        return _application_form(scheme, {**request.form}, input_fields(error.errors), 422)
    except WorkflowError as error:  # an open case of the person already (or one the user may not know of)
        db_session().rollback()
        return _application_form(scheme, {**request.form}, {"id_number": [f"{error.zh} / {error.en}"]},
                                 WORKFLOW_STATUS.get(error.code, 409))
    return redirect(url_for("cases.case_page", case_id=case.id, created=1))


@bp.get("/cases/<int(max=2147483647):case_id>")
@login_required
def case_page(case_id: int, error: WorkflowError | None = None, fields: dict | None = None, status: int = 200):
    case = _get(case_id)
    detail = case_detail(case)
    latest = next((h["explanation"] for h in reversed(detail["history"]) if h["explanation"]), None)
    flow = casework.as_workflow_case(case, casework.history(db_session(), case.id))
    return render_template("case.html", case=detail, answer=latest, actions=actions_for(case, current_user()),
                           adl=wf.ADL_ACTIVITIES, exit_reasons=localized(wf.EXIT_REASONS), error=error, fields=fields or {},
                           created=request.args.get("created"), services=localized(v.SERVICE_TYPE), areas=localized(v.AREA),
                           applicable=False, prefill={}, states=localized(wf.PROCEDURES[casework.procedure_of(case)].states),
                           applicant_fields=[n for n in casework.APPLICANT_FACTS if n != "hukou_division_code"],
                           applicant_labels=APPLICANT_LABELS, today=clock.today().isoformat(),
                           earliest=flow.last_date.isoformat() if flow.last_date else "",
                           notice_ends=flow.notice_from and wf.notice_ends(flow).isoformat()), status


@bp.post("/cases/<int(max=2147483647):case_id>/actions")
@login_required
def act_page(case_id: int):
    try:
        _act(case_id, load(TransitionRequest(), request.form))
    except ValidationError as error:
        return case_page(case_id, fields=flatten(error.messages), status=422)
    except InputError as error:
        return case_page(case_id, fields=input_fields(error.errors), status=422)
    except WorkflowError as error:
        if error.code == "not_found":
            raise
        return case_page(case_id, error=error, status=WORKFLOW_STATUS.get(error.code, 422))
    return redirect(url_for("cases.case_page", case_id=case_id))


@bp.get("/cases/notice")
@login_required
def notice_page():
    return _notice(load(NoticeQuery(), request.args))


@bp.get("/cases/payroll/<month>")
@roles_required(*ROLL_ROLES)
def payroll_page(month: str):
    """The stored roll with its lines (or a city's summary), buttons to generate and close; a GET writes nothing."""
    query = load(RollQuery(), request.args)
    month = month_path(month)
    _within_user(query["jurisdiction"])
    result = payroll.read(db_session(), month, query["jurisdiction"])
    if query["format"] == "xlsx":
        return _roll_download(month, query["jurisdiction"], _stored_roll(month, query["jurisdiction"]))
    division = payroll.check_jurisdiction(db_session(), query["jurisdiction"])
    return render_template("payroll.html", month=month, division=division, result=result,
                           summary=isinstance(result, payroll.Summary),
                           can_close=current_user().role in payroll.CLOSING_ROLES)


@bp.post("/cases/payroll/<month>")
@roles_required(*ROLL_ROLES)
def generate_payroll_page(month: str):
    query = load(RollQuery(), request.form)
    _generate(month_path(month), query["jurisdiction"])
    return redirect(url_for("cases.payroll_page", month=month, jurisdiction=query["jurisdiction"]))


@bp.post("/cases/payroll/<month>/close")
@roles_required("finance_approver", "administrator")
def close_payroll_page(month: str):
    query = load(RollQuery(), request.form)
    _close(month_path(month), query["jurisdiction"])
    return redirect(url_for("cases.payroll_page", month=month, jurisdiction=query["jurisdiction"]))
