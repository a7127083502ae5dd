"""Case records: applications under 宜府办发〔2023〕20号 taken through subsidy_rules.workflow and stored.

Every function works in the caller's session; the caller's transaction (care_services.db.session_scope) makes a
transition and its audit entry one unit: both are written or neither. Checks come before any change, so a refused
action leaves the session as it was.

Concurrency: a case has a version (SQLAlchemy's version_id_col). A form sends the version it showed; an action on a
case changed since is refused (``stale``), and two sessions racing past that check still cannot both write — the
second UPDATE matches no row and is refused the same way. Two filings for one person race to the database's
partial unique index (one open case per person and scheme): the loser's insert fails and is refused
(``duplicate``, naming the open case to a user who may see it; ``not_accepted``, saying nothing of it, to others).

Time: every step happens on the server's clock (care_services.clock), never at a time the caller gives; a date a
step needs of its own (the assessment's, the exit's) is a checked fact of that step (subsidy_rules.workflow).

What each step records is what its box of the 《审批表》 asks for: the assessment its day, the doctor and which of
the six activities the person cannot do; the sector review the personal funds to integrate (两项补贴, 低保金,
高龄津贴); the identity check whether the person is 易返贫致贫; finance the approval (payments from the next month).
The applicant's facts live with the case (``CareCase.person_facts``): the filing's, as these steps and the case's own
corrections (``correct_facts``, audited with the old and new values) change them. The rules engine reads those,
never the shared ``people`` row, which a filing or a step updates only when the row is of the user's own
jurisdiction. At every step the rules engine's answer is kept in the audit entry, so each reviewer sees which
condition holds and under which clause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from care_services import clock
from care_services import vocabulary as v
from care_services.accounts import InputError, actor_of, problem
from care_services.identifiers import (IdentifierError, clean_text, code_prefix, validate_bank_account,
                                       validate_disability_certificate, validate_resident_id, within)
from care_services.model import CLOSED_STATES, AuditEntry, CareCase, Division, Person, User
from subsidy_rules import workflow as wf
from subsidy_rules.overrides import effective_parameters
from subsidy_rules.parameters import ParameterSet

if TYPE_CHECKING:
    import pandas as pd

SCHEME = "disability_care"  # people's applications; the payroll and the notice are for this scheme


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


# The applicant's facts a case keeps (CareCase.person_facts); sex and birth date are read from the ID number
APPLICANT_FACTS = ("name", "hukou_division_code", "hukou_area", "dibao_household", "at_risk_of_poverty",
                   "tekun_supported", "disability_certificate_number", *wf.ADL_ACTIVITIES)
# What the case's own correction step may change (the ADL answers are the assessment's; the hukou is the case's)
CORRECTABLE_FACTS = ("name", "hukou_area", "dibao_household", "at_risk_of_poverty", "tekun_supported",
                     "disability_certificate_number")


def applicant_of(case: CareCase) -> Person | None:
    """The applicant as this case knows them (its own facts), as a Person that belongs to no session."""
    if case.scheme != SCHEME or not case.person_id_number:
        return None
    return Person(id_number=case.person_id_number, **(case.person_facts or {}))


def case_facts(case: CareCase, person: Person | None, **overrides: Any) -> dict[str, Any]:
    """The scheme's facts of a case: an institution's as applied and verified; for disability care the applicant's
    as the case keeps them (``person``: applicant_of(case)) plus what the application and its steps recorded."""
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
    """The applicants of people's cases by ID number, as each case knows them (applicant_of)."""
    return {case.person_id_number: applicant_of(case) for case in cases if case.person_id_number}


def evaluate_cases(session: Session, cases: list[CareCase], dates: list[dt.date], parameters: ParameterSet):
    """The rules engine on many cases at once (one frame; each case on its own date and county)."""
    import pandas as pd

    from subsidy_rules.engine import evaluate_frame

    frame = pd.DataFrame([{**case_facts(case, applicant_of(case)), "jurisdiction": county_of(case),
                           "date": on} for case, on in zip(cases, dates)])
    return evaluate_frame(SCHEME, frame, parameters=parameters), people_of(session, cases)


def recipients(session: Session, jurisdiction: str | None = None) -> pd.DataFrame:
    """Approved disability-care cases (of a jurisdiction, or all) as a budget caseload: paid from the month after
    approval to the month of the exit (subsidy_rules.budget's columns: scheme, jurisdiction, start, end, facts)."""
    import pandas as pd

    query = select(CareCase).where(CareCase.scheme == SCHEME)
    if jurisdiction:
        query = query.where(in_division(jurisdiction))
    cases = list(session.scalars(query.order_by(CareCase.id)))
    rows = []
    for case in cases:
        months = wf.paid_months(as_workflow_case(case, []), projected=True)
        if months is None:
            continue
        first, last = months
        rows.append({"scheme": SCHEME, "jurisdiction": county_of(case), "start": _month_label(first),
                     "end": None if last is None else _month_label(last),
                     **case_facts(case, applicant_of(case))})
    return pd.DataFrame(rows)


def _month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# ------------------------------------------------------------------------------------------------ submission

PERSON_FIELDS = ("id_number", "name", "hukou_area", "dibao_household", "at_risk_of_poverty", "tekun_supported",
                 "disability_certificate_number")
CASE_FIELDS = ("township_name", "community_name", "applied_by", "proxy_name", "proxy_relation", "proxy_id_number",
               "phone", "requested_service", "institution_type", "carer_or_institution", "carer_relation",
               "bank_account_name", "bank_name", "bank_account")


TEXT_FIELDS = ("name", "township_name", "community_name", "proxy_name", "proxy_relation", "carer_or_institution",
               "carer_relation", "bank_account_name", "bank_name")


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


# What a pre-check (or the applicant) states that a later step confirms: the category and grade the family gave (the
# certificate number decides; a difference is shown to the reviewer), the ADL answers (the assessment's to record)
# and the birth date the family gave (the ID number decides; a difference is shown, identifiers.id_disagreements)
PROPOSED_FACTS = ("disability_category", "disability_grade", *wf.ADL_ACTIVITIES, "birth_date")


def _stated_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def check_proposals(proposed: Any) -> tuple[dict[str, Any], dict[str, dict]]:
    """(the stated facts, errors by ``proposed.<name>``): a category of the certificate's, a grade 1-4, yes/no."""
    if proposed is None:
        return {}, {}
    if not isinstance(proposed, Mapping):
        return {}, {"proposed": problem("申请时填报的情况应为“名称: 值”的形式", "stated facts are a mapping of name to value")}
    kept, errors = {}, {}
    for name, value in proposed.items():
        if value is None or value == "":
            continue
        if name not in PROPOSED_FACTS:
            errors[f"proposed.{name}"] = problem("不是申请时可填报的项目", "not a fact an application states")
        elif name == "disability_category" and value not in v.DISABILITY_CATEGORY:
            errors[f"proposed.{name}"] = problem(f"残疾类别应为：{'、'.join(v.DISABILITY_CATEGORY.values())}",
                                                 f"one of {', '.join(v.DISABILITY_CATEGORY)}")
        elif name == "disability_grade" and (isinstance(value, bool) or value not in (1, 2, 3, 4)):
            errors[f"proposed.{name}"] = problem("残疾等级应为一级至四级", "a grade of 1 to 4")
        elif name in wf.ADL_ACTIVITIES and not isinstance(value, bool):
            errors[f"proposed.{name}"] = problem("请选择是或否", "yes or no")
        elif name == "birth_date":
            stated = _stated_date(value)
            if stated is None:
                errors[f"proposed.{name}"] = problem("出生日期格式应为年-月-日", "a date (YYYY-MM-DD)")
            else:
                kept[name] = stated.isoformat()  # stored in the filing's JSON details
        else:
            kept[name] = value
    return kept, errors


def check_application(session: Session, application: Mapping[str, Any]) -> dict[str, Any]:
    """The application's fields, normalised; raises InputError naming every bad field."""
    errors: dict[str, dict] = {}
    data_proposed, errors = check_proposals(application.get("proposed"))
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
    try:
        data["bank_account"] = validate_bank_account(data["bank_account"])
    except IdentifierError as error:
        errors["bank_account"] = problem(error.reason_zh, error.reason_en)
    for name in TEXT_FIELDS:  # names and addresses: no control or format characters (NUL, zero-width, RTL override)
        if data[name] and name not in errors:
            try:
                data[name] = clean_text(data[name]) or None
            except IdentifierError as error:
                errors[name] = problem(error.reason_zh, error.reason_en)
    if not data["bank_account_name"]:
        data["bank_account_name"] = data["carer_or_institution"]
    if errors:
        raise InputError(errors)
    data["proposed"] = data_proposed
    return data


def submit_application(session: Session, application: Mapping[str, Any], *, by: User | None = None,
                       parameters: ParameterSet | None = None) -> CareCase:
    """File an application (by the applicant, or entered by staff from the paper 《审批表》) today, by the server's
    clock; returns the new case. The filing's facts become the case's; the shared person record is created when
    new and updated only when it is of the filer's jurisdiction. A person with an open case of the scheme is refused
    (WorkflowError ``duplicate`` or ``not_accepted``)."""
    data = check_application(session, application)
    if by is not None and not within(data["division_code"], by.jurisdiction_code):
        raise InputError({"division_code": problem(f"该户籍地不在您的辖区（{by.jurisdiction_code}）内",
                                                   f"outside your jurisdiction ({by.jurisdiction_code})")})
    facts = {name: data.get(name) for name in APPLICANT_FACTS}
    facts["hukou_division_code"] = data["division_code"][:6]
    _keep_person_record(session, data["id_number"], {**facts, "requested_service": data["requested_service"]}, by)
    case = CareCase(scheme=SCHEME, person_id_number=data["id_number"], division_code=data["division_code"],
                    person_facts=facts, submitted_on=clock.today(), state="submitted",
                    **{name: data[name] for name in CASE_FIELDS})
    _insert_open_case(session, case, by)
    _log_submission(session, case, applicant_of(case), by, parameters,
                    {"applied_by": case.applied_by, "requested_service": case.requested_service,
                     **({"proposed": data["proposed"]} if data["proposed"] else {})})
    return case


def _owns_record(person: Person, user: User | None) -> bool:
    """Whether ``user`` may change the shared record of ``person``: it is of their jurisdiction (an applicant filing
    for themselves, with no user, never rewrites a stored record)."""
    return user is not None and within(person.hukou_division_code, user.jurisdiction_code)


def _keep_person_record(session: Session, id_number: str, values: dict, by: User | None) -> None:
    """Create the person's record if there is none — at once with a concurrent filing, which simply finds it — or
    update it when it is of the filer's jurisdiction. Another county's record is left as it is."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        created = session.execute(insert(Person).values(id_number=id_number, **values)
                                  .on_conflict_do_nothing(index_elements=["id_number"])).rowcount == 1
    else:  # pragma: no cover - the databases carecalc is tested on are the two above
        try:
            with session.begin_nested():
                session.add(Person(id_number=id_number, **values))
            created = True
        except IntegrityError:
            created = False
    person = session.get(Person, id_number, populate_existing=True)
    if not created and _owns_record(person, by):
        for name, value in values.items():
            setattr(person, name, value)
        session.flush()


def _insert_open_case(session: Session, case: CareCase, by: User | None) -> None:
    """Insert a new case; the database refuses a second open case of a person and scheme (the partial unique index
    one_open_case_per_person), so two filings at once cannot both succeed."""
    try:
        with session.begin_nested():
            session.add(case)
    except IntegrityError:
        open_case = session.scalar(select(CareCase).where(
            CareCase.person_id_number == case.person_id_number, CareCase.scheme == case.scheme,
            CareCase.state.notin_(CLOSED_STATES)))
        if open_case is None:  # some other constraint: not ours to explain away
            raise
        raise _duplicate(open_case, by) from None


def _duplicate(open_case: CareCase, by: User | None) -> wf.WorkflowError:
    if by is not None and within(open_case.division_code, by.jurisdiction_code):
        state = wf.PROCEDURES[procedure_of(open_case)].states.get(open_case.state, open_case.state)
        return wf.WorkflowError("duplicate", f"该申请人已有在办或享受中的申请（第{open_case.id}号，{state}），不能重复申请",
                                f"this person already has an open case (no. {open_case.id}, {open_case.state})")
    # another county's case (or an applicant filing alone): say nothing of where, or whether, a case exists
    return wf.WorkflowError("not_accepted", "该申请暂不能受理，请与申请人户籍所在地的民政部门或残联联系核实",
                            "this application cannot be accepted here; ask the civil-affairs office or disability "
                            "federation of the applicant's hukou")


def _log_submission(session: Session, case: CareCase, person: Person | None, by: User | None,
                    parameters: ParameterSet | None, details: dict) -> None:
    parameters = parameters or effective_parameters(session)
    session.add(AuditEntry(
        username=by.username if by else "applicant", role=by.role if by else None, entity="case",
        entity_key=str(case.id), action="submit", to_state="submitted", parameter_version=parameters.version,
        details=details, explanation=explain(case, person, case.submitted_on, parameters)))
    session.flush()


def submit_institution_application(session: Session, scheme: str, application: Mapping[str, Any], *,
                                   by: User | None = None,
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
        bank_name=_text(application.get("bank_name")), bank_account=account, submitted_on=clock.today(),
        state="submitted")
    session.add(case)
    session.flush()
    _log_submission(session, case, None, by, parameters, {"scheme": scheme, "institution": name})
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
    """The case as the state machine sees it; each step on the (Beijing) day the server recorded it."""
    steps = tuple(
        wf.Step(e.action, e.username, e.role or "", clock.local_date(e.at), e.from_state, e.to_state, e.reason)
        for e in entries if e.from_state is not None
    )
    return wf.Case(case.division_code, case.requested_service, case.institution_type, case.state, steps,
                   case.approved_on, case.notice_from, case.exited_on, procedure_of(case),
                   institution_schemes().get(case.scheme), case.submitted_on)


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

FUND_FIELDS = ("two_subsidies_month", "dibao_month", "elderly_allowance_month", "other_care_benefits_month")
ACTION_FIELDS = {  # what each action takes besides the actor (its time is the server's), per procedure
    "disability_care": {
        "assess": ("assessed_on", "doctor", "failed_activities"),
        "sector_review": FUND_FIELDS,
        "identity_check": ("at_risk_of_poverty",),
        "exit": ("exit_reason", "exit_date"),
        "reject": ("reason",),
        wf.CORRECTION: ("reason", *CORRECTABLE_FACTS),
        wf.SEND_BACK: ("send_back_to", "reason"),
    },
    # the reviewing department verifies the facts (e.g. 核定床位) and may correct them
    "institution_subsidy": {"sector_review": ("facts",), "reject": ("reason",), wf.SEND_BACK: ("send_back_to", "reason")},
}
# Passing a step the rules do not find eligible: the reviewer's explicit confirmation and its reason
CONFIRMATION_FIELDS = ("confirm_override", "override_reason")
for _procedure in ACTION_FIELDS.values():
    for _step in wf.PASSING_STEPS:
        _procedure[_step] = (*_procedure.get(_step, ()), *CONFIRMATION_FIELDS)


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


def _date_input(name: str, value: Any) -> dt.date | None:
    """A date given as a fact of a step: a date, or its ISO text (from the command line or a form)."""
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError({name: problem("日期格式应为年-月-日（如2024-03-05）", "a date is written YYYY-MM-DD")}) from None


def _corrections(case: CareCase, details: Mapping[str, Any]) -> tuple[dict, dict]:
    """(the changed facts, the log: previous and corrected values) of a correction; raises InputError."""
    current = case.person_facts or {}
    errors: dict[str, dict] = {}
    new: dict[str, Any] = {}
    for name in CORRECTABLE_FACTS:
        if name not in details:
            continue
        value = details[name]
        if name in ("dibao_household", "at_risk_of_poverty", "tekun_supported"):
            if not isinstance(value, bool):
                errors[name] = problem("请选择是或否", "yes or no")
                continue
        elif name == "name":
            value = _text(value)
            if not value or len(value) > 64:
                errors[name] = problem("姓名应为1–64个字", "a name of 1-64 characters")
                continue
        elif name == "hukou_area":
            value = _text(value)
            if value is not None and value not in v.AREA:
                errors[name] = problem(f"城乡应为：{'、'.join(v.AREA.values())}", f"one of {', '.join(v.AREA)}")
                continue
        elif name == "disability_certificate_number":
            value = _text(value)
            if value is not None:
                try:
                    value = validate_disability_certificate(value, case.person_id_number)
                except IdentifierError as error:
                    errors[name] = problem(error.reason_zh, error.reason_en)
                    continue
        if value != current.get(name):
            new[name] = value
    if not _text(details.get("reason")):
        errors["reason"] = problem("更正须写明依据（如核实的材料）", "a correction states its basis (what was checked)")
    if not errors and not new:
        errors["_schema"] = problem("没有需要更正的信息（与现有信息相同）", "nothing to correct: the values are the same")
    if errors:
        raise InputError(errors)
    return new, {"previous": {name: current.get(name) for name in new}, "corrected": new}


def _step_changes(case: CareCase, action: str, details: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    """(case changes, changes of the applicant's facts, details for the log) of an action's input; raises
    InputError."""
    case_changes: dict[str, Any] = {}
    person_changes: dict[str, Any] = {}
    unknown = set(details) - set(ACTION_FIELDS[procedure_of(case)].get(action, ()))
    if unknown:
        raise InputError({name: problem("此操作不接受该项", f"not an input of {action}") for name in sorted(unknown)})
    details = dict(details)
    for name in ("assessed_on", "exit_date"):
        if name in details:
            details[name] = _date_input(name, details[name])
    if action == wf.CORRECTION:
        person_changes, logged = _corrections(case, details)
        return case_changes, person_changes, logged
    if action == wf.SEND_BACK:
        return case_changes, person_changes, {"send_back_to": details.get("send_back_to")}
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
        for name in FUND_FIELDS:
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
    logged = {name: value for name, value in details.items() if name not in CONFIRMATION_FIELDS}
    previous = _previous_values(case, case_changes, person_changes)
    if previous:  # a step taken again after a send-back: the audit keeps what it changed
        logged["previous"] = previous
    return case_changes, person_changes, logged


def _previous_values(case: CareCase, case_changes: Mapping[str, Any], person_changes: Mapping[str, Any]) -> dict:
    """The values a step replaces that an earlier pass of it had recorded (None: nothing was recorded before)."""
    current = case.person_facts or {}
    previous = {name: current.get(name) for name, value in person_changes.items()
                if current.get(name) is not None and current.get(name) != value}
    previous.update({name: getattr(case, name) for name, value in case_changes.items()
                     if name != "facts" and getattr(case, name) is not None and getattr(case, name) != value})
    return previous


def proposals(entries: list[AuditEntry]) -> dict[str, Any]:
    """What the application stated for a later step to confirm (PROPOSED_FACTS), as its filing recorded it."""
    filing = next((entry for entry in entries if entry.action == "submit"), None)
    return dict(((filing.details or {}).get("proposed") or {}) if filing else {})


def open_send_back(entries: list[AuditEntry]) -> AuditEntry | None:
    """The latest send-back whose step has not been taken again since (the case page and the API show it)."""
    for index in range(len(entries) - 1, -1, -1):
        entry = entries[index]
        if entry.action == wf.SEND_BACK:
            step = (entry.details or {}).get("send_back_to")
            again = any(later.action in (step, "reject") for later in entries[index + 1:])
            return None if again else entry
    return None


def act(session: Session, user: User, case_id: int, action: str, *, expected_version: int | None = None,
        parameters: ParameterSet | None = None, **details: Any) -> CareCase:
    """Carry out one step on a case (or ``reject``, or ``correct_facts``) now, by the server's clock, with its audit
    entry; raises WorkflowError or InputError."""
    parameters = parameters or effective_parameters(session)
    case = get_case(session, user, case_id)
    if expected_version is not None and case.version != expected_version:
        raise _stale(case_id)
    if not user.active:
        raise wf.WorkflowError("inactive", "该账号已停用", "this account is disabled")
    on = clock.today()
    case_changes, person_changes, logged = _step_changes(case, action, details)
    entries = history(session, case.id)
    # The pure state machine decides first (state, role, jurisdiction, segregation, notice period, fact dates).
    try:
        flow = wf.advance(as_workflow_case(case, entries), action, actor_of(user), on,
                          **{**details, **{k: logged[k] for k in ("assessed_on", "exit_date") if k in logged}})
    except wf.WorkflowError as error:
        if error.field:  # a date given as a fact of the step: bad input, named
            raise InputError({error.field: problem(error.zh, error.en)}) from None
        raise
    facts = {**(case.person_facts or {}), **person_changes}
    person = Person(id_number=case.person_id_number, **facts) if case.scheme == SCHEME else None
    override = None
    if action in wf.PASSING_STEPS:  # the verdict on the facts as this step leaves them
        changed = case_changes if case.scheme == SCHEME else case_changes.get("facts") or {}
        after = explain(case, person, on, parameters, **changed)
        needed = wf.confirmation_needed(flow, action, after.get("eligible"), after.get("missing_facts") or [])
        try:
            override = wf.check_confirmation(needed, details.get("confirm_override"), details.get("override_reason"))
        except wf.WorkflowError as error:
            raise InputError({error.field: problem(error.zh, error.en)}) from None
        if override:
            logged["override"] = {"verdict": needed, "failing": failing_conditions(after)}
    if action == "approve":  # finance approves only what the rules say is payable from next month
        overrides = {"approved_on": on} if case.scheme == SCHEME else {}
        answer = explain(case, person, on, parameters, **overrides)
        if answer.get("eligible") is not True:
            failed = [c["title_zh"] for c in answer.get("criteria", []) if c["passed"] is False]
            missing = answer.get("missing_facts", [])
            raise wf.WorkflowError(
                "ineligible", "按政策规则不符合条件，不能审批：" + "、".join(failed or missing or ["见规则说明"]),
                "the rules say the case is not eligible (or facts are missing); it cannot be approved")
    record = session.get(Person, case.person_id_number) if person_changes else None
    if record is not None and _owns_record(record, user):  # the shared record follows its own county's steps
        for name, value in person_changes.items():
            setattr(record, name, value)
    if person_changes:
        case.person_facts = facts
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
        from_state=from_state, to_state=flow.state, reason=override or flow.history[-1].reason,
        details=_json_ready(logged) or None, parameter_version=parameters.version,
        explanation=explain(case, person, on, parameters),
    ))
    try:
        session.flush()
    except StaleDataError:
        raise _stale(case_id) from None
    return case


def failing_conditions(answer: Mapping[str, Any]) -> list[str]:
    """The conditions the rules find unmet, in Chinese with their clause (the audit keeps them with an override)."""
    return [f"{c['title_zh']}（{c['reference']['document']} {c['reference']['clause']}）"
            for c in answer.get("criteria", []) if c.get("passed") is False and c.get("applicable", True)]


def _json_ready(details: Mapping[str, Any]) -> dict:
    def plain(value):
        if isinstance(value, (set, tuple, list)):
            return sorted(plain(v) for v in value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return value
    return {name: plain(value) for name, value in details.items()}
