"""Cases area: work queues, the case page (history, audit trail, the rules' explanation, the user's own step),
applications, the public notice and the payment roll — pages and the JSON API over care_services.casework."""

from __future__ import annotations

import json

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from care_services import casework, clock, notice, payroll
from care_services import vocabulary as v
from care_services.accounts import InputError, display_names
from care_services.model import CareCase, Person
from care_services.privacy import mask_account
from subsidy_rules import workflow as wf
from subsidy_rules.workflow import WorkflowError
from web.database import session as db_session
from web.downloads import xlsx_download
from web.eligibility import fact_text, fact_title
from web.errors import WORKFLOW_STATUS, flatten, input_fields
from web.i18n import TEXT, label, localized, t
from web.schemas import (ApplicationRequest, CaseListQuery, CaseQueueQuery, InstitutionApplicationRequest, NoticeQuery,
                         RollQuery, TransitionRequest, ValidationError, load, month_path)
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
        if name == "send_back_to":
            return t(f"owner.{value}")
        if name == "verdict":
            return t(f"verdict.{value}")
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
def field_label(name: str) -> str:
    """An input's name as the page's error list shows it (its label, never the raw field id)."""
    base = name.split(".")[-1]
    for key in (f"field.{name}", name, base):
        if key in TEXT:
            return t(key)
    return t("field._schema")


@bp.app_template_global()
def field_message(messages: list[str]) -> str:
    """Error messages written “中文 / English” in the page's language only."""
    def one(message: str) -> str:
        zh, _, en = str(message).partition(" / ")
        return (en or zh) if g.get("lang") == "en" else zh
    return "；".join(one(m) for m in messages)


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
        "sent_back": _sent_back(casework.open_send_back(entries)),
        "send_back_targets": list(wf.send_back_targets(flow)),
        "proposed": casework.proposals(entries),
        "certificate": certificate_reading(case),
        "identity_conflicts": _identity_conflicts(case, casework.proposals(entries)),
        "verdict": verdict_of(next((e.explanation for e in reversed(entries) if e.explanation), None)),
    })
    detail["provisional_verdict"] = provisional_verdict(case, person, detail["verdict"], detail["proposed"])
    names = display_names(session, {e.username for e in entries})
    if detail["sent_back"]:
        detail["sent_back"]["name"] = names.get(detail["sent_back"]["by"])
    detail.update({
        "history": [{"at": e.at.isoformat(timespec="seconds") + "Z", "user": e.username,
                     "name": names.get(e.username), "role": e.role,
                     "action": e.action, "from": e.from_state, "to": e.to_state, "reason": e.reason,
                     "details": e.details, "parameter_version": e.parameter_version, "explanation": e.explanation}
                    for e in entries],
    })
    return detail


def _sent_back(entry) -> dict | None:
    """The open send-back (退回补正) of a case: to which step, why (the applicant is told), by whom and when."""
    if entry is None:
        return None
    return {"to_step": (entry.details or {}).get("send_back_to"), "reason": entry.reason, "by": entry.username,
            "role": entry.role, "at": entry.at.isoformat(timespec="seconds") + "Z"}


def verdict_of(answer: dict | None) -> dict | None:
    """The rules' verdict as the head of the case page and the API show it: eligible / not_eligible / undecided
    (a fact missing) / not_in_force, the conditions that fail with their clause, the facts still needed."""
    if not answer:
        return None
    if answer.get("in_force") is False:
        verdict = "not_in_force"
    else:
        verdict = {True: "eligible", False: "not_eligible"}.get(answer.get("eligible"), "undecided")
    failing = [{"title_zh": c["title_zh"], "title_en": c.get("title_en", c["title_zh"]),
                "document": c["reference"]["document"], "clause": c["reference"]["clause"]}
               for c in answer.get("criteria", []) if c.get("passed") is False and c.get("applicable", True)]
    return {"verdict": verdict, "eligible": answer.get("eligible"), "failing": failing,
            "missing_facts": list(answer.get("missing_facts") or []), "amount": answer.get("amount"),
            "unit": answer.get("unit")}


def provisional_verdict(case: CareCase, person, verdict: dict | None, proposed: dict) -> dict | None:
    """Before the assessment: the verdict if the ADL answers the application stated are confirmed (a forecast the
    page labels as such; the case's facts and its audit never take them)."""
    stated = {name: proposed[name] for name in wf.ADL_ACTIVITIES if name in proposed}
    if not verdict or verdict["verdict"] != "undecided" or not stated or person is None:
        return None
    if not set(verdict["missing_facts"]) & set(stated):
        return None
    from subsidy_rules.overrides import effective_parameters

    facts = {name: value for name, value in stated.items() if getattr(person, name) is None}
    return verdict_of(casework.explain(case, person, clock.today(), effective_parameters(db_session()), **facts))


def certificate_reading(case: CareCase) -> dict | None:
    """The certificate number decoded (character 19 the category, 20 the grade) beside what the application stated;
    ``conflicts`` name the stated facts it contradicts (shown to the reviewer, never silently overridden)."""
    from care_services.identifiers import read_certificate

    if case.scheme != casework.SCHEME:
        return None
    reading = read_certificate((case.person_facts or {}).get("disability_certificate_number"))
    if reading is None:
        return None
    stated = casework.proposals(casework.history(db_session(), case.id))
    conflicts = [name for name, key in (("disability_category", "category"), ("disability_grade", "grade"))
                 if stated.get(name) is not None and stated[name] != reading[key]]
    return {**reading, "conflicts": conflicts}


def _identity_conflicts(case: CareCase, proposed: dict) -> list[dict]:
    """The stated facts the applicant's ID number disagrees with (the birth date the application stated, the place
    of hukou chosen), each with its sentence: for the reviewer to check, the case's facts unchanged."""
    if case.scheme != casework.SCHEME or not case.person_id_number:
        return []
    from web.identity import identity_reading

    return identity_reading(case.person_id_number, None, proposed.get("birth_date"), case.division_code)["conflicts"]


def blocks_for(case: CareCase, user) -> list[dict]:
    """Why this user cannot take the step due on this case, and who can (the page shows it where a button would
    be): another member of the department (segregation of duties), another department (role), or the notice."""
    flow = casework.as_workflow_case(case, casework.history(db_session(), case.id))
    names = {lang: {action: TEXT[f"action.{action}"][index] for action in flow.steps.actions}
             for index, lang in enumerate(("zh", "en"))}
    found = [{"action": b.action, "code": b.code, "message_zh": b.zh, "message_en": b.en}
             for b in wf.blocks(flow, casework.actor_of(user), clock.today(), names["zh"], names["en"])]
    if not user.active and flow.steps.awaited.get(case.state):
        found.append({"action": flow.steps.awaited[case.state], "code": "inactive",
                      "message_zh": "该账号已停用", "message_en": "this account is disabled"})
    return found


def case_for(case: CareCase, user) -> dict:
    """The case with what this user can do on it now and, for a due step they cannot take, why and who can."""
    blocked = blocks_for(case, user)
    waiting = {block["action"] for block in blocked}  # a step the user cannot take now shows its reason, no button
    return {**case_detail(case), "actions": [a for a in actions_for(case, user) if a not in waiting],
            "blocked": blocked}


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
    if (wf.send_back_targets(flow) and wf.role_for(flow, flow.steps.awaited[case.state]) == user.role
            and flow.last_actor != user.username):
        allowed.append(wf.SEND_BACK)
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
    return jsonify(case_for(case, current_user())), 201, {"Location": url_for("cases.show_case", case_id=case.id)}


@bp.get("/api/v1/cases/<int(max=2147483647):case_id>")
@login_required
def show_case(case_id: int):
    return jsonify(case_for(_get(case_id), current_user()))


@bp.post("/api/v1/cases/<int(max=2147483647):case_id>/transitions")
@login_required
def transition(case_id: int):
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError({"_body": ["请求体应为JSON对象 / the body must be a JSON object"]})
    case = _act(case_id, load(TransitionRequest(), body))
    return jsonify(case_for(case, current_user()))


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
    people = payroll.roll_people(session, result)
    return xlsx_download(lambda file: payroll.write_roll(file, result, name, bank=bank, people=people),
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
    """The work queue: my cases and the jurisdiction's, with the verdict, amount, township and days waiting, sorted
    and filtered in the database (care_services.work_queue: one query, no case evaluated again)."""
    from care_services import work_queue
    from subsidy_rules.engine import all_schemes

    query = load(CaseQueueQuery(), request.args)
    user = current_user()
    rows = work_queue.rows(db_session(), user, state=query["state"], scheme=query["scheme"],
                           verdict=query["verdict"], sort=query["sort"], order=query["order"])
    filters = {name: query[name] for name in ("state", "scheme", "verdict") if query[name]}
    sorting = {}
    for key in work_queue.SORTS:  # each column's link: this column, the other way round if it is the current one
        current = query["sort"] == key
        first = "desc" if key in ("waiting", "amount") else "asc"  # the longest waiting, the largest amount first
        order = ("asc" if query["order"] == "desc" else "desc") if current else first
        sorting[key] = {"url": url_for("cases.queue_page", **filters, sort=key, order=order),
                        "aria": ("ascending" if query["order"] == "asc" else "descending") if current else None}
    divisions = division_choices(user)
    queue = work_queue.mine(rows, user)
    states = localized({**wf.STATES, **{k: name for k, name in wf.INSTITUTION_STATES.items() if k not in wf.STATES}})
    return render_template("cases.html", queue=queue[:RECENT_ROWS], queue_total=len(queue), recent=rows[:RECENT_ROWS],
                           total=len(rows), shown=RECENT_ROWS, query=query, sorting=sorting, states=states,
                           schemes=[(s.id, s.title_en if g.get("lang") == "en" else s.title_zh) for s in all_schemes()],
                           verdicts=work_queue.VERDICTS, can_roll=user.role in ROLL_ROLES,
                           month=clock.today().strftime("%Y-%m"),
                           notice_divisions=divisions, roll_divisions=[d for d in divisions if len(d["code"]) == 6])


RECENT_ROWS = 500  # rows of the jurisdiction's list on one page; the filters narrow it down


def division_choices(user) -> list[dict]:
    """The user's own division and the counties and townships in it, each with its name, for the pickers of the
    notice and payroll forms (nobody types a code)."""
    from care_services.model import Division

    own = db_session().get(Division, user.jurisdiction_code)
    inside = [d for d in divisions_of(user) if d["code"] != user.jurisdiction_code]
    return ([{"code": own.code, "name": own.name}] if own else []) + inside


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

    from web.identity import identity_reading, live_settings

    identity = identity_reading(values.get("id_number"), values.get("disability_certificate_number"),
                                values.get("proposed.birth_date"), values.get("division_code"))
    return render_template("new_case.html", scheme=get_scheme(scheme).describe(), values=values, errors=errors,
                           identity=identity, identity_settings=live_settings(),
                           counties=divisions_of(current_user()), services=localized(v.SERVICE_TYPE),
                           institution_types=localized(v.INSTITUTION_TYPE), applied_by=localized(v.APPLIED_BY),
                           areas=localized(v.AREA), person=scheme == casework.SCHEME,
                           adl=wf.ADL_ACTIVITIES, categories=v.DISABILITY_CATEGORY), status


_YES = ("是", "true", "True", "on", "1", True)
_NO = ("否", "false", "False", "0", False)


def _prefilled_application(facts: dict, jurisdiction: str) -> dict:
    """The pre-check's answers as the application form's fields: the facts the form asks for as they are, the
    township of the hukou when the pre-check named one, and what a later step confirms (the category and grade the
    family stated, the ADL answers) as ``proposed.<name>``, never as a finding."""
    values: dict = {}
    hukou = str(facts.get("hukou_division_code") or "")
    if len(hukou) == 9 and hukou.startswith(jurisdiction[:6]):
        values["division_code"] = hukou
    for flag in ("dibao_household", "at_risk_of_poverty", "tekun_supported"):
        if flag in facts:
            values[flag] = "true" if facts[flag] in _YES else ""
    for name in wf.ADL_ACTIVITIES:
        if facts.get(name) in _YES:
            values[f"proposed.{name}"] = "true"
        elif facts.get(name) in _NO:
            values[f"proposed.{name}"] = "false"
    if facts.get("birth_date"):  # the ID number decides; a different date is shown to the clerk and the reviewer
        values["proposed.birth_date"] = str(facts["birth_date"])[:10]
    if facts.get("disability_category") in v.DISABILITY_CATEGORY:
        values["proposed.disability_category"] = facts["disability_category"]
    if str(facts.get("disability_grade") or "") in ("1", "2", "3", "4"):
        values["proposed.disability_grade"] = str(facts["disability_grade"])
    return values


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
        facts = facts if isinstance(facts, dict) else {}
        values = {**facts, "division_code": prefill.get("jurisdiction", "") if isinstance(prefill, dict) else ""}
        values["facts_json"] = json.dumps(facts, ensure_ascii=False)
        if scheme == casework.SCHEME:
            values.update(_prefilled_application(facts, values["division_code"]))
        return _application_form(scheme, values, {})
    form = {k: val for k, val in request.form.items()
            if k not in ("csrf_token", "stage", "facts_json") and not k.startswith("proposed.")}
    for flag in ("dibao_household", "at_risk_of_poverty", "tekun_supported"):
        form[flag] = flag in request.form
    if scheme == casework.SCHEME:
        proposed = {k.removeprefix("proposed."): val for k, val in request.form.items()
                    if k.startswith("proposed.") and val.strip()}
        if proposed:
            form["proposed"] = proposed
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
    detail = case_for(case, current_user())
    latest = next((h["explanation"] for h in reversed(detail["history"]) if h["explanation"]), None)
    flow = casework.as_workflow_case(case, casework.history(db_session(), case.id))
    verdict = detail["verdict"] or {}
    confirm = {action: wf.confirmation_needed(flow, action, verdict.get("eligible"), verdict.get("missing_facts", []))
               for action in detail["actions"]}
    awaited = flow.steps.awaited.get(case.state)
    to_come = wf.facts_to_come(flow, awaited) | set(wf.FACTS_OF_STEP.get(awaited, ())) if awaited else set()
    return render_template("case.html", case=detail, answer=latest, actions=detail["actions"],
                           blocked=detail["blocked"], verdict=detail["verdict"], confirm=confirm, to_come=to_come,
                           proposed=detail["proposed"], certificate=detail["certificate"],
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
