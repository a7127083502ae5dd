"""marshmallow schemas: the one place web input (forms, JSON, queries) is validated.

Field checks reuse the domain's own converters (a scheme's fact goes through the same converter as a spreadsheet
cell; ID numbers through GB 11643's check), so a message reads the same wherever the value came from. Messages
are "中文 / English".
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from marshmallow import (EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, pre_load, validate,
                         validates_schema)

from care_services import vocabulary as v
from care_services.divisions import unknown_division
from care_services.model import ENTITY_MODELS
from subsidy_rules import workflow as wf

DIVISION_CODE = validate.Regexp(r"^\d{6}$", error="应为6位行政区划代码 / must be a six-digit division code")
ANY_DIVISION_CODE = validate.Regexp(r"^\d{6}(\d{3})?$", error="应为6位或9位行政区划代码 / a 6- or 9-digit division code")


def _known_division(code: str) -> None:
    if unknown_division(code):
        raise ValidationError(f"行政区划代码{code}不存在 / no division has the code {code}")


# where a scheme is evaluated: a code that names no division is an input error, not a place where it is not in force
EVALUATION_JURISDICTION = validate.And(DIVISION_CODE, _known_division)
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为YYYY-MM / a month is written YYYY-MM")


def between(low: float, high: float) -> validate.Range:
    return validate.Range(min=low, max=high, error=f"应在{low:g}至{high:g}之间 / must be between {low:g} and {high:g}")


# marshmallow's own messages are English only; the forms' fields speak both languages
NUMBER = {"invalid": "应为数字 / not a valid number", "required": "必须填写 / required",
          "null": "必须填写 / required"}
WHOLE_NUMBER = {**NUMBER, "invalid": "应为整数 / not a whole number"}
DATE = {"invalid": "日期格式应为YYYY-MM-DD / a date is written YYYY-MM-DD", "required": "必须填写 / required",
        "null": "必须填写 / required"}
TEXT = {"required": "必须填写 / required", "null": "必须填写 / required", "invalid": "应为文字 / not text"}


def one_of(choices) -> validate.OneOf:
    return validate.OneOf(list(choices), error="应为以下之一 / must be one of: {choices}")


def known_division(code: str) -> None:
    """The code of a division carecalc knows: the database's (read once a request) or the bundled list."""
    from flask import g, has_app_context

    from care_services.identifiers import IdentifierError, bundled_division_codes, check_known_division

    if not isinstance(code, str) or not re.fullmatch(r"\d{6}(\d{3})?", code):
        return  # the format's own message says what is wrong
    known = bundled_division_codes()
    if has_app_context():
        if "division_codes" not in g:
            from sqlalchemy import select

            from care_services.model import Division
            from web.database import session

            g.division_codes = known | set(session().scalars(select(Division.code)))
        known = g.division_codes
    try:
        check_known_division(code, known)
    except IdentifierError as error:
        raise ValidationError(f"{error.reason_zh} / {error.reason_en}") from None


KNOWN_DIVISION = [DIVISION_CODE, known_division]


class Base(Schema):
    class Meta:
        unknown = RAISE  # an unknown field is an error, not silently dropped


class CityQuery(Schema):
    city = fields.String(load_default=None, validate=DIVISION_CODE)
    lang = fields.String(load_default=None, validate=validate.OneOf(["zh", "en"]))


class EntityPath(Schema):
    entity = fields.String(
        required=True,
        validate=validate.OneOf(list(ENTITY_MODELS), error="未知数据类别 / unknown entity; one of: {choices}"),
    )


# ------------------------------------------------------------------------------------------------ facts


class FactField(fields.Field):
    """One fact of a scheme, converted by the converter spreadsheet imports use (care_services.spreadsheet)."""

    def __init__(self, spec, **kwargs):
        super().__init__(allow_none=True, load_default=None, **kwargs)
        self.spec = spec

    def _deserialize(self, value, attr, data, **kwargs):
        from care_services.identifiers import IdentifierError
        from care_services.spreadsheet import CellError, convert_cell

        if isinstance(value, (dict, list)):
            raise ValidationError("应为单个值 / a single value is expected")
        if isinstance(value, str) and value.strip() in ("", "未知", "unknown"):
            return None
        try:
            converted = convert_cell(self.spec, value)
        except (CellError, IdentifierError) as error:
            raise ValidationError(f"{error.reason_zh} / {error.reason_en}") from None
        if isinstance(converted, dt.datetime):
            converted = converted.date()
        return converted

    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat() if isinstance(value, dt.date) else value


@functools.cache
def facts_schema(scheme_id: str) -> type[Schema]:
    """A schema with one optional field per fact of the scheme (missing facts are unknown, never guessed)."""
    from subsidy_rules.engine import get_scheme

    scheme = get_scheme(scheme_id)
    return Schema.from_dict({spec.key: FactField(spec, metadata={"description": f"{spec.zh} / {spec.description}",
                                                                 "kind": spec.kind,
                                                                 "choices": list(spec.choices or [])})
                             for spec in scheme.facts}, name=f"Facts_{scheme_id}")


class ScenarioField(fields.Dict):
    """A what-if scenario in the file format of subsidy_rules/scenario.py (name, parameters; or flat
    ``parameter.name: value``), checked here: a bad value or an unknown parameter is a 422 naming it."""

    def _deserialize(self, value, attr, data, **kwargs):
        from subsidy_rules import scenario as scenario_file

        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            return scenario_file.checked(value)
        except scenario_file.ScenarioError as error:
            raise ValidationError(str(error)) from None


SCENARIO_DESCRIPTION = ("测算方案（可选）：{name, parameters: {参数名: 值}}，按方案测算并在结果中标明改动的参数及原文 / "
                        "an optional what-if scenario; the answer marks each changed value beside the document's")


def applied_scenario(scenario: dict | None, base):
    """A scenario checked by ScenarioField applied on top of ``base`` (the county's recorded values included);
    a value that cannot stand there is a ValidationError on ``scenario`` (HTTP 422), never a 500."""
    from subsidy_rules import scenario as scenario_file
    from subsidy_rules.parameters import ParameterError

    if not scenario:
        return None
    try:
        return scenario_file.apply(scenario, base)
    except (ParameterError, TypeError, ValueError) as error:
        raise ValidationError({"scenario": [f"方案参数有误：{error} / bad scenario parameter: {error}"]}) from None


class EvaluateRequest(Base):
    facts = fields.Dict(required=True, metadata={"description": "事实：名称→值 / facts by name"})
    date = fields.Date(load_default=None, metadata={"description": "测算日期，默认今天 / date of the evaluation"})
    jurisdiction = fields.String(required=True, validate=EVALUATION_JURISDICTION)
    scenario = ScenarioField(load_default=None, allow_none=True, metadata={"description": SCENARIO_DESCRIPTION})


class BatchCase(Base):
    facts = fields.Dict(required=True)
    date = fields.Date(load_default=None)
    jurisdiction = fields.String(load_default=None, validate=EVALUATION_JURISDICTION)


class BatchRequest(Base):
    cases = fields.List(fields.Nested(BatchCase), required=True, validate=validate.Length(min=1, max=10_000))
    date = fields.Date(load_default=None)
    jurisdiction = fields.String(load_default=None, validate=EVALUATION_JURISDICTION)
    scenario = ScenarioField(load_default=None, allow_none=True, metadata={"description": SCENARIO_DESCRIPTION})

    @pre_load
    def _array(self, data, **kwargs):
        return {"cases": data} if isinstance(data, list) else data


@functools.cache
def _facts_loader(scheme_id: str) -> Schema:
    """One schema instance per scheme, reused by every request (making one deep-copies every field: it cost more
    than evaluating the case)."""
    return facts_schema(scheme_id)()


def load_facts(scheme_id: str, raw: dict) -> dict:
    """The facts of ``raw`` typed by the scheme's schema; ValidationError maps ``facts.<name>`` to the reason."""
    try:
        return _facts_loader(scheme_id).load(raw)
    except ValidationError as error:
        raise ValidationError({f"facts.{name}": messages for name, messages in error.messages.items()}) from None


# ------------------------------------------------------------------------------------------------ accounts


class LoginRequest(Base):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    next = fields.String(load_default=None)
    csrf_token = fields.String(load_default=None, load_only=True)


class PasswordChangeRequest(Base):
    """The new password is checked by care_services.accounts.password_problem (length, blank, common)."""

    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    csrf_token = fields.String(load_default=None, load_only=True)


# ------------------------------------------------------------------------------------------------ cases


OPTIONAL = dict(load_default=None, allow_none=True)


class _Checked(fields.String):
    """A string converted by one of care_services.identifiers' checks, its reason the field's message."""

    def check(self, text: str) -> str:
        raise NotImplementedError

    def _deserialize(self, value, attr, data, **kwargs):
        from care_services.identifiers import IdentifierError

        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.check(text)
        except IdentifierError as error:
            raise ValidationError(f"{error.reason_zh} / {error.reason_en}") from None


class Text(_Checked):
    """A name or an address: NFC, no control or format characters (NUL, zero-width, RTL override), not blank."""

    def __init__(self, *args, multiline: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.multiline = multiline

    def check(self, text: str) -> str:
        from care_services.identifiers import clean_text

        return clean_text(text, multiline=self.multiline)


class ResidentId(_Checked):
    """GB 11643, full-width digits normalised (NFKC), birth date 1900-01-01 to today; answers the normalised number."""

    def check(self, text: str) -> str:
        from care_services.identifiers import validate_resident_id

        return validate_resident_id(text)


class Certificate(_Checked):
    def check(self, text: str) -> str:
        from care_services.identifiers import validate_disability_certificate

        return validate_disability_certificate(text)


class BankAccount(_Checked):
    """8-30 digits (full-width normalised, group spaces dropped); answers the digits."""

    def check(self, text: str) -> str:
        from care_services.identifiers import validate_bank_account

        return validate_bank_account(text)


class ProposedFacts(Base):
    """What the applicant (or the pre-check) states for a later step to confirm: the category and grade (the
    certificate number decides, a difference is shown to the reviewer) and the ADL answers (the assessment's)."""

    disability_category = fields.String(**OPTIONAL, validate=one_of(v.DISABILITY_CATEGORY), metadata={
        "description": "申请时填报的残疾类别 / the category the applicant states"})
    disability_grade = fields.Integer(**OPTIONAL, strict=False, validate=validate.Range(min=1, max=4))
    adl_eating = fields.Boolean(**OPTIONAL)
    adl_dressing = fields.Boolean(**OPTIONAL)
    adl_transfer = fields.Boolean(**OPTIONAL)
    adl_toileting = fields.Boolean(**OPTIONAL)
    adl_walking_indoors = fields.Boolean(**OPTIONAL)
    adl_bathing = fields.Boolean(**OPTIONAL)
    birth_date = fields.Date(**OPTIONAL, metadata={
        "description": "申请时填报的出生日期（以身份证号为准，不一致时提示审核人员） / the birth date stated (the ID "
                       "number decides; a difference is shown to the reviewer)"})

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        if not hasattr(data, "items"):
            return data
        return {key: value for key, value in data.items() if not (isinstance(value, str) and not value.strip())}

    @post_load
    def _given(self, data, **kwargs):
        return {key: value for key, value in data.items() if value is not None}


class ApplicationRequest(Base):
    """《困难重度失能残疾人照护和托养申请审批表》, the applicant's part."""

    id_number = ResidentId(required=True)
    name = Text(required=True, validate=validate.Length(min=1, max=64))
    division_code = fields.String(required=True, validate=ANY_DIVISION_CODE)
    township_name = Text(**OPTIONAL, validate=validate.Length(max=64))
    community_name = Text(**OPTIONAL, validate=validate.Length(max=64))
    hukou_area = fields.String(**OPTIONAL, validate=one_of(v.AREA))
    dibao_household = fields.Boolean(load_default=False)
    at_risk_of_poverty = fields.Boolean(load_default=False)
    tekun_supported = fields.Boolean(load_default=False)
    disability_certificate_number = Certificate(**OPTIONAL)
    applied_by = fields.String(load_default="applicant", validate=one_of(v.APPLIED_BY))
    proxy_name = Text(**OPTIONAL, validate=validate.Length(max=64))
    proxy_relation = Text(**OPTIONAL, validate=validate.Length(max=32))
    proxy_id_number = ResidentId(**OPTIONAL)
    phone = fields.String(**OPTIONAL, validate=validate.Length(max=32))
    requested_service = fields.String(required=True, validate=one_of(v.SERVICE_TYPE))
    institution_type = fields.String(**OPTIONAL, validate=one_of(v.INSTITUTION_TYPE))
    carer_or_institution = Text(required=True, validate=validate.Length(min=1, max=128))
    carer_relation = Text(**OPTIONAL, validate=validate.Length(max=32))
    bank_account_name = Text(**OPTIONAL, validate=validate.Length(max=128))
    bank_name = Text(**OPTIONAL, validate=validate.Length(max=128))
    bank_account = BankAccount(required=True)
    proposed = fields.Nested(ProposedFacts, **OPTIONAL, metadata={
        "description": "申请时填报、由后续环节确认的情况 / facts stated for a later step to confirm"})
    # no date: an application is filed on the server's date (care_services.clock), never on one the client sends

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        """Empty form inputs mean “not given”."""
        if not hasattr(data, "items"):
            return data
        return {key: value for key, value in data.items() if not (isinstance(value, str) and not value.strip())}


class InstitutionApplicationRequest(Base):
    scheme = fields.String(required=True)
    institution_name = Text(required=True, validate=validate.Length(min=1, max=128))
    institution_code = fields.String(**OPTIONAL, validate=validate.Length(max=32))
    division_code = fields.String(required=True, validate=ANY_DIVISION_CODE)
    facts = fields.Dict(required=True)
    bank_account_name = Text(**OPTIONAL, validate=validate.Length(max=128))
    bank_name = Text(**OPTIONAL, validate=validate.Length(max=128))
    bank_account = BankAccount(required=True)
    phone = fields.String(**OPTIONAL, validate=validate.Length(max=32))

    @validates_schema(skip_on_field_errors=False)  # the facts' errors alongside the other fields'
    def _scheme_facts(self, data, **kwargs):
        from care_services.casework import institution_schemes

        if data.get("scheme") not in institution_schemes():
            raise ValidationError(f"应为以下之一 / one of: {', '.join(institution_schemes())}", "scheme")
        if isinstance(data.get("facts"), dict):
            load_facts(data["scheme"], data["facts"])


ACTIONS = sorted({*wf.ACTIONS, *wf.INSTITUTION_ACTIONS, "reject", wf.CORRECTION, wf.SEND_BACK})


class TransitionRequest(Base):
    """One step on a case, taken now by the server's clock (no client sends when). ``version`` is the case version
    the user saw: a newer one means someone else acted. The dates a step records of its own (``assessed_on``,
    ``exit_date``) are facts, checked against today and the case's earlier steps."""

    action = fields.String(required=True, validate=one_of(ACTIONS))
    version = fields.Integer(required=True, strict=False, validate=validate.Range(min=1, max=2**31 - 1))
    reason = Text(**OPTIONAL, multiline=True, validate=validate.Length(max=2000))
    assessed_on = fields.Date(**OPTIONAL, metadata={"description": "评估日期（失能评估） / the day of the assessment"})
    exit_date = fields.Date(**OPTIONAL, metadata={
        "description": "退出事由发生日期（死亡、退出低保等） / the day of the death, the move or the loss of eligibility"})
    doctor = Text(**OPTIONAL, validate=validate.Length(max=64))
    failed_activities = fields.List(fields.String(validate=one_of(wf.ADL_ACTIVITIES)), **OPTIONAL)
    two_subsidies_month = fields.Float(**OPTIONAL, validate=validate.Range(min=0, max=1e6))
    dibao_month = fields.Float(**OPTIONAL, validate=validate.Range(min=0, max=1e6))
    elderly_allowance_month = fields.Float(**OPTIONAL, validate=validate.Range(min=0, max=1e6))
    other_care_benefits_month = fields.Float(**OPTIONAL, validate=validate.Range(min=0, max=1e6))
    at_risk_of_poverty = fields.Boolean(**OPTIONAL)
    exit_reason = fields.String(**OPTIONAL, validate=one_of(wf.EXIT_REASONS))
    facts = fields.Dict(**OPTIONAL)
    # correct_facts: the applicant's facts as corrected (those given), with the basis in ``reason``
    name = Text(**OPTIONAL, validate=validate.Length(min=1, max=64))
    hukou_area = fields.String(**OPTIONAL, validate=one_of(v.AREA))
    dibao_household = fields.Boolean(**OPTIONAL)
    tekun_supported = fields.Boolean(**OPTIONAL)
    disability_certificate_number = Certificate(**OPTIONAL)
    # send_back (退回补正): the earlier step to take again, with the reason (shown to the applicant) in ``reason``
    send_back_to = fields.String(**OPTIONAL, validate=one_of({*wf.FACT_OWNERS, *wf.INSTITUTION_FACT_OWNERS}), metadata={
        "description": "退回到的环节 / the step the case is sent back to"})
    # passing a case the rules find not eligible (or undecided): the reviewer's confirmation and its reason
    confirm_override = fields.Boolean(**OPTIONAL, metadata={
        "description": "确认按规则不符合（或尚不能确定）仍通过 / pass although the rules do not find the case eligible"})
    override_reason = Text(**OPTIONAL, multiline=True, validate=validate.Length(max=2000))
    csrf_token = fields.String(load_default=None, load_only=True)

    @pre_load
    def _form(self, data, **kwargs):
        """A form sends strings (and repeated checkboxes); drop the empty ones."""
        if hasattr(data, "getlist"):
            form = {key: data.get(key) for key in data if key != "failed_activities"}
            if "failed_activities" in data:
                form["failed_activities"] = [a for a in data.getlist("failed_activities") if a]
            data = form
        if not hasattr(data, "items"):
            return data
        return {key: value for key, value in data.items() if not (isinstance(value, str) and not value.strip())}

    @post_load
    def _details(self, data, **kwargs):
        """Split into (action, version, the step's own inputs)."""
        data.pop("csrf_token", None)
        action, version = data.pop("action"), data.pop("version")
        details = {key: value for key, value in data.items() if value is not None}
        if action == "assess" and "failed_activities" not in details:
            details["failed_activities"] = []  # an assessment that ticks no box: the person can do all six
        return {"action": action, "version": version, "details": details}


class CaseListQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    queue = fields.Boolean(load_default=False)
    state = fields.String(load_default=None, validate=one_of({*wf.STATES, *wf.INSTITUTION_STATES}))


def _known_scheme(value: str) -> None:
    from subsidy_rules.engine import UnknownScheme, get_scheme

    try:
        get_scheme(value)
    except UnknownScheme:
        raise ValidationError(f"没有“{value}”这一补贴项目 / no scheme {value}") from None


class CaseQueueQuery(Schema):
    """The work queue page's filters and sort (care_services.work_queue)."""

    class Meta:
        unknown = EXCLUDE

    state = fields.String(load_default=None, validate=one_of({*wf.STATES, *wf.INSTITUTION_STATES}))
    scheme = fields.String(load_default=None, validate=_known_scheme)
    verdict = fields.String(load_default=None, validate=one_of(("yes", "no", "pending")))
    sort = fields.String(load_default="waiting", validate=one_of(("id", "applicant", "scheme", "state", "township",
                                                                  "amount", "verdict", "waiting", "submitted")))
    order = fields.String(load_default="desc", validate=one_of(("asc", "desc")))

    @pre_load
    def _blank_is_none(self, data, **kwargs):  # a select left on “全部” sends an empty value
        return {key: value for key, value in dict(data).items() if value != ""}


class CaseFormRequest(Schema):
    """Producing a case's 《审批表》 or 不予批准告知书 (web/case_forms.py)."""

    class Meta:
        unknown = EXCLUDE

    format = fields.String(load_default="html", validate=one_of(("html", "xlsx")))


class RollQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    jurisdiction = fields.String(required=True, validate=ANY_DIVISION_CODE)
    format = fields.String(load_default="json", validate=one_of(("json", "xlsx")))
    bank = fields.Boolean(load_default=False)  # the bank list (full accounts and ID numbers): finance only, audited


class NoticeQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    jurisdiction = fields.String(required=True, validate=ANY_DIVISION_CODE)
    community = fields.String(load_default=None, validate=validate.Length(max=64))
    format = fields.String(load_default="html", validate=one_of(("html", "xlsx")))


def month_path(value: str) -> str:
    if not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", value or ""):
        raise ValidationError({"month": ["月份格式应为YYYY-MM / a month is written YYYY-MM"]})
    return value


def load(schema: Schema, data) -> dict:
    """Validated data, or ValidationError carrying field -> messages."""
    return schema.load(data)


__all__ = ["CityQuery", "EntityPath", "ValidationError", "load"]


class OverrideRequest(Base):
    """A county's value of a floor (不低于) parameter from a date: the date is the county document's effective date,
    a fact checked here (not before the policy it raises, not over a year ahead of the server's clock)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=128), error_messages=TEXT)
    jurisdiction = fields.String(required=True, validate=DIVISION_CODE, error_messages=TEXT)
    start = fields.Date(required=True, error_messages=DATE)
    value = fields.Float(required=True, allow_nan=False, validate=between(0, 1e9), error_messages=NUMBER)
    reason = Text(required=True, multiline=True, validate=validate.Length(min=1, max=500), error_messages=TEXT)
    csrf_token = fields.String(load_default=None, load_only=True)

    @validates_schema
    def _effective_date(self, data, **kwargs):
        from care_services import clock
        from subsidy_rules.parameters import default_parameters

        if "start" not in data:
            return
        latest = clock.today() + dt.timedelta(days=366)
        if data["start"] > latest:
            raise ValidationError(f"生效日期不能晚于{latest.isoformat()}（一年以内） / the effective date is at most a "
                                  f"year ahead ({latest.isoformat()})", "start")
        dates = [d for (name, _), p in default_parameters().parameters.items() if name == data.get("name")
                 for d, _ in p.values]
        if dates and data["start"] < min(dates):
            raise ValidationError(f"生效日期不能早于该政策的施行日期{min(dates).isoformat()} / the effective date is "
                                  f"before the policy itself ({min(dates).isoformat()})", "start")


class OverrideForm(OverrideRequest):
    """The parameters page's override form: the value typed in the parameter's unit (a share in %)."""

    value = fields.String(required=True, validate=validate.Length(min=1, max=30), error_messages=TEXT)

    @post_load
    def _in_rules_units(self, data, **kwargs):
        from subsidy_rules.parameters import default_parameters

        unit = next((p.unit for (name, _), p in default_parameters().parameters.items() if name == data["name"]), "")
        data["value"] = _new_value(data["value"], unit)
        return data


class ParameterQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default=None, validate=validate.Length(max=64))


def budget_years(today: dt.date | None = None) -> tuple[int, int]:
    """The years a finance officer projects by default: from July (when next year's budget is drawn up, 预算编制
    "二上二下") the next budget year and the two after it, the three years of the rolling medium-term plan
    (中期财政规划) — in December 2026, 2027–2029; before July, the current year and the two after it."""
    from care_services import clock

    today = today or clock.today()
    first = today.year + (1 if today.month >= 7 else 0)
    return first, first + 2


class BudgetRequest(Base):
    """A projection: years, where the caseload and the pipeline come from, assumptions and scenarios."""

    first_year = fields.Integer(load_default=lambda: budget_years()[0], strict=False, validate=between(2000, 2100),
                                error_messages=WHOLE_NUMBER)
    last_year = fields.Integer(load_default=lambda: budget_years()[1], strict=False, validate=between(2000, 2100),
                               error_messages=WHOLE_NUMBER)
    caseload = fields.String(load_default="cases", validate=one_of(("none", "cases", "synthetic", "upload")))
    synthetic = fields.Integer(load_default=1000, strict=False, validate=between(1, 200_000), error_messages=WHOLE_NUMBER)
    projects = fields.String(load_default="none", validate=one_of(("none", "sample", "upload")))
    occupancy = fields.Float(load_default=0.7, validate=between(0, 1), error_messages=NUMBER)
    enrolment = fields.Float(load_default=0.7, validate=between(0, 1), error_messages=NUMBER)
    growth = fields.Float(load_default=0.0, validate=between(-0.5, 1), error_messages=NUMBER)
    scenarios = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=5))
    scenario_yaml = fields.String(load_default=None, validate=validate.Length(max=20_000))
    csrf_token = fields.String(load_default=None, load_only=True)

    @pre_load
    def _blank(self, data, **kwargs):
        if not hasattr(data, "items"):
            return data
        return {k: val for k, val in data.items() if not (isinstance(val, str) and not val.strip())}

    @validates_schema(skip_on_field_errors=False)
    def _years(self, data, **kwargs):
        if "first_year" not in data or "last_year" not in data:
            return
        if data["last_year"] < data["first_year"]:
            raise ValidationError("结束年份不能早于开始年份 / the last year is before the first", "last_year")
        if data["last_year"] - data["first_year"] > 10:
            raise ValidationError("最多测算11年 / at most 11 years", "last_year")


class Percent(fields.Float):
    """A share typed in per cent (70 or 70%) on a form, loaded as the fraction the rules use (0.7)."""

    def __init__(self, *, low: float = 0, high: float = 100, **kwargs):
        super().__init__(allow_nan=False, **kwargs)
        self.low, self.high = low, high

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip().rstrip("%％").strip()
        number = super()._deserialize(value, attr, data, **kwargs)
        if not self.low <= number <= self.high:
            raise ValidationError(f"应在{self.low:g}%至{self.high:g}%之间 / must be between {self.low:g}% and "
                                  f"{self.high:g}%")
        return number / 100


# the units a scenario's new value may be typed in on the form: money, counts and shares (typed in %); not codes,
# flags or lists, which a scenario does not change
PICKER_UNITS = ("CNY", "beds", "places", "households", "months", "years", "share", "institutions", "centres",
                "facilities", "square metres")


def is_percent_unit(unit: str) -> bool:
    return unit.startswith("share")


def picker_parameters() -> dict[str, object]:
    """The parameters a budget scenario can change on the form, by name (the first of each name carries its unit
    and description): those holding numbers, in one of PICKER_UNITS."""
    from subsidy_rules.parameters import Range, default_parameters

    chosen: dict[str, object] = {}
    for (name, _), parameter in sorted(default_parameters().parameters.items()):
        values = [v for _, v in parameter.values if v is not None]
        numeric = values and all(isinstance(v, (int, float)) and not isinstance(v, (bool, Range)) for v in values)
        if numeric and parameter.unit.startswith(PICKER_UNITS):
            chosen.setdefault(name, parameter)
    return chosen


class ScenarioChange(Base):
    """One row of the budget form's scenario table: which scenario, which parameter, its new value in its unit
    (元, or % for a share). A row left blank is no change."""

    scenario = Text(load_default=None, validate=validate.Length(max=40))
    parameter = fields.String(load_default=None)
    value = fields.String(load_default=None, validate=validate.Length(max=30))

    @validates_schema
    def _complete(self, data, **kwargs):
        if not data.get("parameter") and not data.get("value"):
            return
        known = picker_parameters()
        if not data.get("parameter"):
            raise ValidationError("请选择要调整的参数 / choose the parameter to change", "parameter")
        if data["parameter"] not in known:
            raise ValidationError("没有这个参数 / no such parameter", "parameter")
        if not data.get("value"):
            raise ValidationError("请填写新值 / enter the new value", "value")
        _new_value(data["value"], known[data["parameter"]].unit)

    @post_load
    def _in_rules_units(self, data, **kwargs):
        if data.get("parameter") and data.get("value"):
            data["value"] = _new_value(data["value"], picker_parameters()[data["parameter"]].unit)
        return data


def _new_value(text: str, unit: str) -> float:
    """A new value as typed (in the parameter's unit; "6,000" and "70%" allowed), as the rules hold it."""
    cleaned = text.replace(",", "").replace("，", "").strip()
    percent = is_percent_unit(unit)
    if percent:
        cleaned = cleaned.rstrip("%％").strip()
    try:
        number = float(cleaned)
    except ValueError:
        raise ValidationError({"value": ["应为数字（不带单位，如600或70） / a plain number such as 600 or 70"]}) from None
    if not number == number or number in (float("inf"), float("-inf")) or number < 0:
        raise ValidationError({"value": ["应为不小于0的数字 / a number of 0 or more"]})
    if percent:
        if number > 100:
            raise ValidationError({"value": ["比例应在0%至100%之间 / a share is between 0% and 100%"]})
        return number / 100
    return number


SCENARIO_ROWS = 6  # rows of the form's scenario table


class BudgetForm(BudgetRequest):
    """The budget page's form: assumptions typed in %, scenarios built from rows of (scenario, parameter, new value)
    — rows with the same scenario name are one scenario — and YAML optional (the advanced, folded part)."""

    occupancy = Percent(load_default=0.7, error_messages=NUMBER)
    enrolment = Percent(load_default=0.7, error_messages=NUMBER)
    growth = Percent(load_default=0.0, low=-50, high=100, error_messages=NUMBER)
    changes = fields.List(fields.Nested(ScenarioChange), load_default=list,
                          validate=validate.Length(max=SCENARIO_ROWS))

    def __init__(self, *args, default_name: str = "方案1", **kwargs):
        super().__init__(*args, **kwargs)
        self.default_name = default_name  # the scenario of rows without a name, in the page's language

    @pre_load
    def _rows(self, data, **kwargs):
        """change-1-parameter, change-1-value, change-1-scenario … as a list of rows, in the form's order."""
        if not hasattr(data, "items"):
            return data
        rows: dict[int, dict] = {}
        rest = {}
        for key, value in data.items():
            match = re.fullmatch(r"change-(\d{1,2})-(scenario|parameter|value)", key)
            if match:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
            else:
                rest[key] = value
        if rows:
            rest["changes"] = [{k: v for k, v in rows.get(n, {}).items() if str(v).strip()}
                               for n in range(1, max(rows) + 1)]
        return rest

    @post_load
    def _scenarios_of_rows(self, data, **kwargs):
        """The rows as scenarios in the CLI's file format, in the order their names first appear; a row without a
        name belongs to the default one (方案1)."""
        grouped: dict[str, dict] = {}
        rows_of: dict[str, list[int]] = {}
        for number, row in enumerate(data.pop("changes"), start=1):
            if not row.get("parameter"):
                continue
            name = row.get("scenario") or self.default_name
            grouped.setdefault(name, {"name": name, "parameters": {}})["parameters"][row["parameter"]] = row["value"]
            rows_of.setdefault(name, []).append(number)
        data["scenarios"] = [*grouped.values(), *data["scenarios"]]
        data["scenario_rows"] = list(rows_of.values())  # the form rows of each picked scenario, for its errors
        return data


def _target_ids() -> list[str]:
    from allocator.targets import SPECS

    return list(SPECS)


class AmountField(fields.Field):
    """An amount of yuan: 500000000, 5e8, 50000万 or 5亿 (as the command line takes it)."""

    def _deserialize(self, value, attr, data, **kwargs):
        import argparse

        from allocator.command import parse_amount

        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationError("金额格式有误（例：500000000、50000万、5亿） / not an amount")
        try:
            amount = parse_amount(str(value))
        except argparse.ArgumentTypeError:
            raise ValidationError("金额格式有误（例：500000000、50000万、5亿） / not an amount") from None
        if not 0 <= amount < 1e15:
            raise ValidationError("金额超出范围 / amount out of range")
        return amount


class AllocationRequest(Base):
    """A planning run: the Jiujiang sample or uploaded tables, the plan year, budgets and the objective."""

    sample = fields.Boolean(load_default=False)
    units = fields.String(load_default="county", validate=one_of(("county", "township")),
                          metadata={"description": "示例的规划单位：县或乡镇（街道） / the sample's planning units"})
    year = fields.Integer(required=True, strict=False, validate=between(2000, 2100), error_messages=WHOLE_NUMBER)
    first_year = fields.Integer(load_default=2023, strict=False, validate=between(2000, 2100),
                                error_messages=WHOLE_NUMBER)
    budget = AmountField(load_default=None, metadata={"description": "元，或“5亿”“50000万” / yuan, or 5亿, 50000万"})
    objective = fields.String(load_default="shortfall", validate=one_of(("shortfall", "cost", "coverage", "distance")))
    backend = fields.String(load_default="auto", validate=one_of(("auto", "highs", "cp-sat", "scip")))
    time_limit = fields.Float(load_default=30.0, validate=between(1, 600), error_messages=NUMBER)
    jurisdiction = fields.String(load_default="360400", validate=DIVISION_CODE)
    targets = fields.List(fields.String(validate=one_of(_target_ids())), load_default=None,
                          validate=validate.Length(min=1), metadata={"description": "只规划这些目标 / plan only these targets"})
    csrf_token = fields.String(load_default=None, load_only=True)

    @pre_load
    def _blank(self, data, **kwargs):
        if hasattr(data, "getlist"):  # a form: the ticked targets
            targets = [t for t in data.getlist("targets") if t]
            data = {k: val for k, val in data.items() if k != "targets"}
            if targets:
                data["targets"] = targets
        if not hasattr(data, "items"):
            return data
        return {k: val for k, val in data.items() if not (isinstance(val, str) and not val.strip())}


# ------------------------------------------------------------------------------------------------ rosters


class RosterForm(Base):
    """The rosters page's import form (care_services/rosters.py, 宜府办发〔2023〕20号 三（二）). The as-of date is a fact
    the user states from the list (截至日期), never a timestamp: checked not to lie after the server's day. The
    jurisdiction must lie within ``jurisdictions`` (the user's own and the divisions within it the page offers)."""

    roster = fields.String(required=True, error_messages=TEXT)
    source_department = Text(required=True, validate=validate.Length(min=1, max=100), error_messages=TEXT)
    source_date = fields.Date(required=True, error_messages=DATE)
    jurisdiction = fields.String(required=True, validate=ANY_DIVISION_CODE, error_messages=TEXT)
    csrf_token = fields.String(load_default=None, load_only=True)

    EARLIEST = dt.date(2000, 1, 1)  # a list older than this is a typing slip, not a roster in force

    def __init__(self, jurisdictions: set[str], **kwargs):
        super().__init__(**kwargs)
        self.jurisdictions = jurisdictions

    @pre_load
    def _blank(self, data, **kwargs):
        """An empty field is missing (必须填写), not malformed."""
        return {k: val for k, val in data.items() if not (isinstance(val, str) and not val.strip())}

    @validates_schema(skip_on_field_errors=False)  # every field's problem at once
    def _facts(self, data, **kwargs):
        from care_services import clock
        from care_services.rosters import ROSTERS

        errors = {}
        if "roster" in data and data["roster"] not in ROSTERS:
            errors["roster"] = ["请从列表中选择名册类别 / choose a roster from the list"]
        if "jurisdiction" in data and data["jurisdiction"] not in self.jurisdictions:
            errors["jurisdiction"] = ["只能导入本辖区的名册，请从列表中选择 / only a roster of your own jurisdiction; "
                                      "choose one from the list"]
        today = clock.today()
        if "source_date" in data and data["source_date"] > today:
            errors["source_date"] = [f"截至日期不能晚于今天（{today.isoformat()}） / the as-of date cannot be after "
                                     f"today ({today.isoformat()})"]
        elif "source_date" in data and data["source_date"] < self.EARLIEST:
            errors["source_date"] = [f"截至日期不能早于{self.EARLIEST.isoformat()} / the as-of date cannot be before "
                                     f"{self.EARLIEST.isoformat()}"]
        if errors:
            raise ValidationError(errors)


class RosterPageQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    imported = fields.Integer(load_default=None, strict=False, validate=validate.Range(min=1))
