"""Case records: applications under 宜府办发〔2023〕20号 taken through subsidy_rules.workflow and stored.

Every function works in the caller's session; the caller's transaction (care_services.db.session_scope) makes a
transition and its audit entry one unit: both are written or neither. Checks come before any change, so a refused
action leaves the session as it was.

Concurrency: a case has a version (SQLAlchemy's version_id_col). A form sends the version it showed; an action on a
case changed since is refused (``stale``), and two sessions racing past that check still cannot both write — the
second UPDATE matches no row and is refused the same way.

What each step records is what its box of the 《审批表》 asks for: the assessment the doctor and which of the six
activities the person cannot do (written onto the person, so the rules engine sees them); the sector review the
personal funds to integrate (两项补贴, 低保金, 高龄津贴); the identity check whether the person is 易返贫致贫;
finance the approval date (payments from the next month). At every step the rules engine's answer on the facts as
they then stand is kept in the audit entry, so each reviewer sees which condition holds and under which clause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from care_services import vocabulary as v
from care_services.accounts import InputError, actor_of, problem
from care_services.identifiers import (IdentifierError, code_prefix, validate_disability_certificate,
                                       validate_resident_id, within)
from care_services.model import AuditEntry, CareCase, Division, Person, User
from subsidy_rules import workflow as wf
from subsidy_rules.overrides import effective_parameters
from subsidy_rules.parameters import ParameterSet

if TYPE_CHECKING:
    import pandas as pd

SCHEME = "disability_care"  # people's applications; the payroll and the notice are for this scheme
OPEN_STATES = (*wf.ACTIVE_STEPS, "active")  # a person with a case in one of these cannot apply again


def institution_schemes() -> dict[str, str]:
    """Subsidies institutions apply for, with the sector whose department leads them (declared by each scheme)."""
    from subsidy_rules.engine import all_schemes

    return {s.id: s.sector for s in all_schemes() if s.applicant == "institution"}


def procedure_of(case: CareCase) -> str:
    return "disability_care" if case.scheme == SCHEME else "institution_subsidy"


def _not_found(case_id: Any) -> wf.WorkflowError:
    return wf.WorkflowError("not_found", f"找不到申请{case_id}（或不在您的辖区内）", f"no case {case_id} in your jurisdiction")


def _stale(case_id: Any) -> wf.WorkflowError:
    return wf.WorkflowError("stale", f"申请{case_id}已被他人更新，请刷新后重试",
                            f"case {case_id} was changed by someone else; reload it and try again")


# ------------------------------------------------------------------------------------------------ facts, engine


def case_facts(case: CareCase, person: Person | None, **overrides: Any) -> dict[str, Any]:
    """The scheme's facts of a case: an institution's as applied and verified; for disability care the person's
    record plus what the application and its steps recorded."""
    if case.scheme != SCHEME:
        return {**(case.facts or {}), **overrides}
    certificate = person.disability_certificate_number
    facts = {
        "hukou_division_code": person.hukou_division_code,
        "birth_date": person.birth_date,
        "dibao_household": person.dibao_household,
        "at_risk_of_poverty": person.at_risk_of_poverty,
        "tekun_supported": person.tekun_supported,
        "has_disability_certificate": bool(certificate),
        "disability_category": person.disability_category,
        "disability_grade": person.disability_grade,
        **{name: getattr(person, name) for name in wf.ADL_ACTIVITIES},
        "requested_service": case.requested_service,
        "institution_type": case.institution_type,
        "two_subsidies_month": case.two_subsidies_month,
        "dibao_month": case.dibao_month,
        "elderly_allowance_month": case.elderly_allowance_month,
        "other_care_benefits_month": case.other_care_benefits_month,
        "approved_on": case.approved_on,
    }
    facts.update(overrides)
    return facts


def county_of(case: CareCase) -> str:
    """Parameters are set per county: the case's division cut to its county code."""
    return case.division_code[:6]


def explain(case: CareCase, person: Person | None, on: dt.date, parameters: ParameterSet, **overrides: Any) -> dict:
    """The rules engine's answer (eligibility per criterion with its clause, amount, funding split) on ``on``."""
    from subsidy_rules.engine import FactError, evaluate

    try:
        return evaluate(case.scheme, case_facts(case, person, **overrides), date=on, jurisdiction=county_of(case),
                        parameters=parameters)
    except FactError as error:
        return {"scheme": case.scheme, "eligible": None, "fact_errors": error.errors}


def people_of(session: Session, cases: list[CareCase]) -> dict[str, Person]:
    numbers = [case.person_id_number for case in cases]
    return {person.id_number: person for person in session.scalars(select(Person).where(Person.id_number.in_(numbers)))}


def evaluate_cases(session: Session, cases: list[CareCase], dates: list[dt.date], parameters: ParameterSet):
    """The rules engine on many cases at once (one frame; each case on its own date and county)."""
    import pandas as pd

    from subsidy_rules.engine import evaluate_frame

    people = people_of(session, cases)
    frame = pd.DataFrame([{**case_facts(case, people[case.person_id_number]), "jurisdiction": county_of(case),
                           "date": on} for case, on in zip(cases, dates)])
    return evaluate_frame(SCHEME, frame, parameters=parameters), people


def recipients(session: Session, jurisdiction: str | None = None) -> pd.DataFrame:
    """Approved disability-care cases (of a jurisdiction, or all) as a budget caseload: paid from the month after
    approval to the month of the exit (subsidy_rules.budget's columns: scheme, jurisdiction, start, end, facts)."""
    import pandas as pd

    query = select(CareCase).where(CareCase.scheme == SCHEME)
    if jurisdiction:
        query = query.where(in_division(jurisdiction))
    cases = list(session.scalars(query.order_by(CareCase.id)))
    people = people_of(session, cases)
    rows = []
    for case in cases:
        months = wf.paid_months(as_workflow_case(case, []), projected=True)
        if months is None:
            continue
        first, last = months
        rows.append({"scheme": SCHEME, "jurisdiction": county_of(case), "start": _month_label(first),
                     "end": None if last is None else _month_label(last),
                     **case_facts(case, people[case.person_id_number])})
    return pd.DataFrame(rows)


def _month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# ------------------------------------------------------------------------------------------------ submission

PERSON_FIELDS = ("id_number", "name", "hukou_area", "dibao_household", "at_risk_of_poverty", "tekun_supported",
                 "disability_certificate_number")
CASE_FIELDS = ("township_name", "community_name", "applied_by", "proxy_name", "proxy_relation", "proxy_id_number",
               "phone", "requested_service", "institution_type", "carer_or_institution", "carer_relation",
               "bank_account_name", "bank_name", "bank_account")


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def check_application(session: Session, application: Mapping[str, Any]) -> dict[str, Any]:
    """The application's fields, normalised; raises InputError naming every bad field."""
    errors: dict[str, dict] = {}
    data = {name: _text(application.get(name)) for name in (*PERSON_FIELDS, *CASE_FIELDS, "division_code")}
    for flag in ("dibao_household", "at_risk_of_poverty", "tekun_supported"):
        data[flag] = bool(application.get(flag))
    try:
        data["id_number"] = validate_resident_id(data["id_number"] or "")
    except IdentifierError as error:
        errors["id_number"] = problem(error.reason_zh, error.reason_en)
    if data["disability_certificate_number"]:
        try:
            data["disability_certificate_number"] = validate_disability_certificate(
                data["disability_certificate_number"], None if "id_number" in errors else data["id_number"])
        except IdentifierError as error:
            errors["disability_certificate_number"] = problem(error.reason_zh, error.reason_en)
    if data["proxy_id_number"]:
        try:
            data["proxy_id_number"] = validate_resident_id(data["proxy_id_number"])
        except IdentifierError as error:
            errors["proxy_id_number"] = problem(error.reason_zh, error.reason_en)
    if not data["name"]:
        errors["name"] = problem("请填写姓名", "the name is required")
    division = session.get(Division, data["division_code"] or "")
    if division is None:
        errors["division_code"] = problem(f"行政区划{data['division_code']}不存在", f"no division {data['division_code']}")
    elif division.level not in ("county", "township"):
        errors["division_code"] = problem("请填写户籍所在县（市、区）或乡镇（街道）的区划代码",
                                          "give the code of the county or township of the hukou")
    if data["hukou_area"] and data["hukou_area"] not in v.AREA:
        errors["hukou_area"] = problem(f"城乡应为：{'、'.join(v.AREA)}", f"one of {', '.join(v.AREA)}")
    data["applied_by"] = data["applied_by"] or "applicant"
    if data["applied_by"] not in v.APPLIED_BY:
        errors["applied_by"] = problem(f"申请方式应为：{'、'.join(v.APPLIED_BY)}", f"one of {', '.join(v.APPLIED_BY)}")
    elif data["applied_by"] != "applicant" and not data["proxy_name"]:
        errors["proxy_name"] = problem("由监护人或照护机构申请时，须填写代申请人姓名",
                                       "an application by a guardian or institution names who applies")
    if data["requested_service"] not in v.SERVICE_TYPE:
        errors["requested_service"] = problem(f"服务形式（任选一种）：{'、'.join(v.SERVICE_TYPE)}",
                                              f"choose one of {', '.join(v.SERVICE_TYPE)}")
    if data["requested_service"] == "institutional_care":
        if data["institution_type"] not in v.INSTITUTION_TYPE:
            errors["institution_type"] = problem(f"机构托养须选择机构类型：{'、'.join(v.INSTITUTION_TYPE)}",
                                                 f"institutional care names the type: {', '.join(v.INSTITUTION_TYPE)}")
    elif data["institution_type"] is not None:
        data["institution_type"] = None  # only institutional care has an institution type
    if not data["carer_or_institution"]:
        errors["carer_or_institution"] = problem("请填写照护人姓名或照护（托养）机构名称",
                                                 "name the carer or the care institution")
    account = "".join(ch for ch in (data["bank_account"] or "") if ch.isdigit())
    if not 8 <= len(account) <= 30 or len(account) != len((data["bank_account"] or "").replace(" ", "")):
        errors["bank_account"] = problem("银行账号应为8–30位数字", "a bank account number has 8-30 digits")
    data["bank_account"] = account
    if not data["bank_account_name"]:
        data["bank_account_name"] = data["carer_or_institution"]
    if errors:
        raise InputError(errors)
    return data


def submit_application(session: Session, application: Mapping[str, Any], *, on: dt.date,
                       by: User | None = None, parameters: ParameterSet | None = None) -> CareCase:
    """File an application (by the applicant, or entered by staff from the paper 《审批表》); returns the new case."""
    data = check_application(session, application)
    if by is not None and not within(data["division_code"], by.jurisdiction_code):
        raise InputError({"division_code": problem(f"该户籍地不在您的辖区（{by.jurisdiction_code}）内",
                                                   f"outside your jurisdiction ({by.jurisdiction_code})")})
    open_case = session.scalar(select(func.count()).select_from(CareCase).where(
        CareCase.person_id_number == data["id_number"], CareCase.state.in_(OPEN_STATES)))
    if open_case:
        raise InputError({"id_number": problem("该申请人已有在办或享受中的申请", "this person already has an open case")})
    person = session.get(Person, data["id_number"]) or Person(id_number=data["id_number"])
    person.name = data["name"]
    person.hukou_division_code = data["division_code"][:6]
    for name in ("hukou_area", "dibao_household", "at_risk_of_poverty", "tekun_supported",
                 "disability_certificate_number"):
        setattr(person, name, data[name])
    person.requested_service = data["requested_service"]
    session.add(person)
    session.flush()  # the person before the case that refers to it (the models declare no relationship)
    case = CareCase(scheme=SCHEME, person_id_number=person.id_number, division_code=data["division_code"],
                    submitted_on=on, state="submitted", **{name: data[name] for name in CASE_FIELDS})
    session.add(case)
    session.flush()
    _log_submission(session, case, person, by, on, parameters,
                    {"applied_by": case.applied_by, "requested_service": case.requested_service})
    return case


def _log_submission(session: Session, case: CareCase, person: Person | None, by: User | None, on: dt.date,
                    parameters: ParameterSet | None, details: dict) -> None:
    parameters = parameters or effective_parameters(session)
    session.add(AuditEntry(
        username=by.username if by else "applicant", role=by.role if by else None, entity="case",
        entity_key=str(case.id), action="submit", to_state="submitted", parameter_version=parameters.version,
        details=details, explanation=explain(case, person, on, parameters)))
    session.flush()


def submit_institution_application(session: Session, scheme: str, application: Mapping[str, Any], *,
                                   on: dt.date, by: User | None = None,
                                   parameters: ParameterSet | None = None) -> CareCase:
    """An institution applies for a subsidy of 九府办字[2022]113号 附件3 with the scheme's facts; returns the case.

    ``application``: institution_name, division_code (its county), facts {name: value}, bank_account (and
    optionally institution_code, bank_name, bank_account_name, phone). The facts are checked by the rules engine's
    converter; the reviewing department may correct them at its review (核定).
    """
    errors: dict[str, dict] = {}
    if scheme not in institution_schemes():
        from subsidy_rules.engine import get_scheme

        raise InputError({"scheme": problem(f"机构补助项目应为：{'、'.join(get_scheme(s).title_zh for s in institution_schemes())}",
                                            f"one of {', '.join(institution_schemes())}")})
    name = _text(application.get("institution_name"))
    if not name:
        errors["institution_name"] = problem("请填写机构名称", "the institution's name is required")
    code = _text(application.get("division_code")) or ""
    division = session.get(Division, code)
    if division is None or division.level not in ("county", "township"):
        errors["division_code"] = problem("请填写机构所在县（市、区）的区划代码", "give the code of the institution's county")
    elif by is not None and not within(code, by.jurisdiction_code):
        errors["division_code"] = problem(f"不在您的辖区（{by.jurisdiction_code}）内", f"outside your jurisdiction ({by.jurisdiction_code})")
    facts = application.get("facts") or {}
    if not isinstance(facts, Mapping):
        errors["facts"] = problem("事实项应为“名称: 值”的形式", "facts are a mapping of name to value")
    else:
        facts, fact_errors = scheme_facts(scheme, facts, code[:6] or "36")
        errors.update(fact_errors)
    account = "".join(ch for ch in str(application.get("bank_account") or "") if ch.isdigit())
    if not 8 <= len(account) <= 30:
        errors["bank_account"] = problem("银行账号应为8–30位数字", "a bank account number has 8-30 digits")
    if errors:
        raise InputError(errors)
    case = CareCase(
        scheme=scheme, institution_code=_text(application.get("institution_code")), division_code=code,
        facts=dict(facts), carer_or_institution=name,
        applied_by="care_institution", phone=_text(application.get("phone")),
        bank_account_name=_text(application.get("bank_account_name")) or name,
        bank_name=_text(application.get("bank_name")), bank_account=account, submitted_on=on, state="submitted")
    session.add(case)
    session.flush()
    _log_submission(session, case, None, by, on, parameters, {"scheme": scheme, "institution": name})
    return case


# ------------------------------------------------------------------------------------------------ reading


def in_division(code: str):
    """The SQL condition for the cases in a division (and the divisions below it)."""
    return CareCase.division_code.startswith(code_prefix(code), autoescape=True)


def visible(user: User):
    """The SQL condition for the cases a user may see: those in their jurisdiction."""
    return in_division(user.jurisdiction_code)


def get_case(session: Session, user: User, case_id: int) -> CareCase:
    case = session.get(CareCase, case_id)
    if case is None or not within(case.division_code, user.jurisdiction_code):
        raise _not_found(case_id)
    return case


def history(session: Session, case_id: int) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "case", AuditEntry.entity_key == str(case_id)).order_by(AuditEntry.id)))


def as_workflow_case(case: CareCase, entries: list[AuditEntry]) -> wf.Case:
    steps = tuple(
        wf.Step(e.action, e.username, e.role or "", e.at.date(), e.from_state, e.to_state, e.reason)
        for e in entries if e.from_state is not None
    )
    return wf.Case(case.division_code, case.requested_service, case.institution_type, case.state, steps,
                   case.approved_on, case.notice_from, case.exited_on, procedure_of(case),
                   institution_schemes().get(case.scheme))


def work_queue(session: Session, user: User) -> list[CareCase]:
    """Cases in the user's jurisdiction waiting for a step of the user's role, oldest first."""
    pending = {state for procedure in wf.PROCEDURES.values() for state in procedure.pending}
    waiting = []
    for case in session.scalars(select(CareCase).where(visible(user), CareCase.state.in_(pending))
                                .order_by(CareCase.submitted_on, CareCase.id)):
        flow = as_workflow_case(case, [])
        if case.state in flow.steps.pending and wf.role_for(flow, flow.steps.awaited[case.state]) == user.role:
            waiting.append(case)
    return waiting


# ------------------------------------------------------------------------------------------------ acting

ACTION_FIELDS = {  # what each action takes besides the actor and the date, per procedure
    "disability_care": {
        "assess": ("doctor", "failed_activities"),
        "sector_review": ("two_subsidies_month", "dibao_month", "elderly_allowance_month", "other_care_benefits_month"),
        "identity_check": ("at_risk_of_poverty",),
        "exit": ("exit_reason",),
        "reject": ("reason",),
    },
    # the reviewing department verifies the facts (e.g. 核定床位) and may correct them
    "institution_subsidy": {"sector_review": ("facts",), "reject": ("reason",)},
}


def scheme_facts(scheme: str, facts: Mapping[str, Any], county: str) -> tuple[dict, dict]:
    """(the facts the scheme knows, errors by ``facts.<name>``), checked by the rules engine's own converter."""
    from subsidy_rules.engine import FactError, get_scheme
    from subsidy_rules.engine import evaluate as evaluate_one

    known = set(get_scheme(scheme).fact_names)
    kept = {name: value for name, value in facts.items() if name in known}
    errors = {f"facts.{name}": problem("不是该补助项目的事实项", f"not a fact of {scheme}") for name in facts if name not in known}
    try:
        evaluate_one(scheme, kept, date=dt.date.today(), jurisdiction=county)
    except FactError as error:
        errors.update({f"facts.{name}": reason for name, reason in error.errors.items()})
    return kept, errors


def _verified_facts(case: CareCase, corrections: Any) -> dict:
    if not isinstance(corrections, Mapping):
        raise InputError({"facts": problem("核定的事实项应为“名称: 值”的形式", "verified facts are a mapping of name to value")})
    facts, errors = scheme_facts(case.scheme, {**(case.facts or {}), **corrections}, county_of(case))
    if errors:
        raise InputError(errors)
    return facts


def _step_changes(case: CareCase, action: str, details: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    """(case changes, person changes, details for the log) of an action's input; raises InputError."""
    case_changes: dict[str, Any] = {}
    person_changes: dict[str, Any] = {}
    unknown = set(details) - set(ACTION_FIELDS[procedure_of(case)].get(action, ()))
    if unknown:
        raise InputError({name: problem("此操作不接受该项", f"not an input of {action}") for name in sorted(unknown)})
    if procedure_of(case) == "institution_subsidy":
        if action == "sector_review" and "facts" in details:
            case_changes["facts"] = _verified_facts(case, details["facts"])
        return case_changes, person_changes, dict(details)
    if action == "assess":
        failed = details.get("failed_activities")
        if isinstance(failed, str) or not isinstance(failed, (list, tuple, set)) or not set(failed) <= set(wf.ADL_ACTIVITIES):
            raise InputError({"failed_activities": problem(
                f"未通过的指标应取自：{'、'.join(wf.ADL_ACTIVITIES)}", f"a list of: {', '.join(wf.ADL_ACTIVITIES)}")})
        person_changes = {name: name in set(failed) for name in wf.ADL_ACTIVITIES}
    elif action == "sector_review":
        errors = {}
        for name in ACTION_FIELDS["disability_care"]["sector_review"]:
            value = details.get(name)
            if value is None or value == "":
                case_changes[name] = None
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = -1.0
            if not number >= 0:
                errors[name] = problem("金额应为不小于0的数（元/月）", "an amount of 0 or more (CNY a month)")
            case_changes[name] = number
        if errors:
            raise InputError(errors)
    elif action == "identity_check":
        flag = details.get("at_risk_of_poverty")
        if not isinstance(flag, bool):
            raise InputError({"at_risk_of_poverty": problem("请选择是否为易返贫致贫户（是/否）",
                                                            "say whether the household is at risk of poverty (yes/no)")})
        person_changes = {"at_risk_of_poverty": flag}
    return case_changes, person_changes, dict(details)


def act(session: Session, user: User, case_id: int, action: str, *, on: dt.date,
        expected_version: int | None = None, parameters: ParameterSet | None = None, **details: Any) -> CareCase:
    """Carry out one step on a case (or ``reject``), with its audit entry; raises WorkflowError or InputError."""
    parameters = parameters or effective_parameters(session)
    case = get_case(session, user, case_id)
    if expected_version is not None and case.version != expected_version:
        raise _stale(case_id)
    if not user.active:
        raise wf.WorkflowError("inactive", "该账号已停用", "this account is disabled")
    person = session.get(Person, case.person_id_number) if case.person_id_number else None
    case_changes, person_changes, logged = _step_changes(case, action, details)
    entries = history(session, case.id)
    # The pure state machine decides first (state, role, jurisdiction, segregation, notice period, reasons).
    flow = wf.advance(as_workflow_case(case, entries), action, actor_of(user), on, **details)
    if action == "approve":  # finance approves only what the rules say is payable from next month
        overrides = {"approved_on": on} if case.scheme == SCHEME else {}
        answer = explain(case, person, on, parameters, **overrides)
        if answer.get("eligible") is not True:
            failed = [c["title_zh"] for c in answer.get("criteria", []) if c["passed"] is False]
            missing = answer.get("missing_facts", [])
            raise wf.WorkflowError(
                "ineligible", "按政策规则不符合条件，不能审批：" + "、".join(failed or missing or ["见规则说明"]),
                "the rules say the case is not eligible (or facts are missing); it cannot be approved")
    for name, value in person_changes.items():
        setattr(person, name, value)
    for name, value in case_changes.items():
        setattr(case, name, value)
    from_state = case.state
    case.state, case.approved_on, case.notice_from, case.exited_on = (
        flow.state, flow.approved_on, flow.notice_from, flow.exited_on)
    if action == "exit":
        case.exit_reason = details["exit_reason"]
    if action == "reject":
        case.rejection_reason = flow.history[-1].reason
    session.add(AuditEntry(
        username=user.username, role=user.role, entity="case", entity_key=str(case.id), action=action,
        from_state=from_state, to_state=flow.state, reason=flow.history[-1].reason,
        details=_json_ready(logged) or None, parameter_version=parameters.version,
        explanation=explain(case, person, on, parameters),
    ))
    try:
        session.flush()
    except StaleDataError:
        raise _stale(case_id) from None
    return case


def _json_ready(details: Mapping[str, Any]) -> dict:
    def plain(value):
        if isinstance(value, (set, tuple, list)):
            return sorted(plain(v) for v in value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return value
    return {name: plain(value) for name, value in details.items()}
