"""The carecalc domain model: one set of SQLAlchemy models.

Every column carries, in ``info``, what a spreadsheet needs to know about it: the Chinese header officials
write (``zh``), other headers we accept (``aliases``), the allowed values (``choices``, a vocabulary from
:mod:`care_services.vocabulary`), a lower bound (``minimum``), an identifier check (``check``) and a short
``description``. :mod:`care_services.spreadsheet` derives templates, readers and writers from that, so a new
column needs to be declared once, here.

Types are portable (no SQLite- or PostgreSQL-only types) so any SQLAlchemy URL works.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, ForeignKeyConstraint, Index, Integer,
                        LargeBinary, Numeric, String, Text, text)
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from care_services import clock
from care_services import vocabulary as v
from care_services.identifiers import DISABILITY_CATEGORY_CODES, birth_date_from_id, sex_from_id


class Base(DeclarativeBase):
    pass


def field(
    zh: str,
    type_: Any,
    *column_args: Any,
    aliases: tuple[str, ...] = (),
    choices: dict | None = None,
    check: str | None = None,
    minimum: float | None = None,
    description: str = "",
    **column_kwargs: Any,
):
    """A mapped column with its spreadsheet metadata."""
    info = {
        "zh": zh,
        "aliases": aliases,
        "choices": choices,
        "check": check,
        "minimum": minimum,
        "description": description,
    }
    return mapped_column(type_, *column_args, info=info, **column_kwargs)


def division_code_field(zh: str = "行政区划代码", *, aliases: tuple[str, ...] = (), **column_kwargs: Any):
    """A column holding a division code that must exist in ``divisions``.

    Only the main 行政区划代码 column of a table also answers to the generic header 区划代码, so that a sheet with
    two code columns (a project's list owner and its county) stays unambiguous.
    """
    generic = ("区划代码",) if zh == "行政区划代码" else ()
    return field(zh, String(9), ForeignKey("divisions.code"), check="division_code",
                 aliases=(*generic, *aliases), **column_kwargs)


SOURCE = dict(aliases=("来源", "出处", "source"), description="Citation of where the figures come from")
NOTE = dict(aliases=("说明", "注", "note"), description="Free-text remark")


class Division(Base):
    """An administrative division: province > city > county > township."""

    __tablename__ = "divisions"
    __title_zh__ = "行政区划"

    code: Mapped[str] = field(
        "行政区划代码", String(9), primary_key=True, check="division_code",
        aliases=("区划代码", "代码", "code"),
        description="GB/T 2260 six-digit code; township-level units use the nine-digit GB/T 10114 code",
    )
    name: Mapped[str] = field("名称", String(64), aliases=("区划名称", "县（市、区）", "name"))
    level: Mapped[str] = field("层级", String(16), choices=v.DIVISION_LEVEL, aliases=("级别", "level"))
    parent_code: Mapped[str | None] = field(
        "上级代码", String(9), ForeignKey("divisions.code"), check="division_code", aliases=("上级区划代码", "parent_code"),
        description="Code of the unit one level up; implied by the code itself when left blank",
    )
    subdistricts: Mapped[int | None] = field("街道数", Integer, minimum=0, description="街道 under a county")
    towns: Mapped[int | None] = field("镇数", Integer, minimum=0, description="镇 under a county")
    townships: Mapped[int | None] = field("乡数", Integer, minimum=0, description="乡 under a county")
    other_township_units: Mapped[int | None] = field(
        "其他乡级单位数", Integer, minimum=0, description="Development zones, farms and similar township-level units"
    )
    source: Mapped[str | None] = field("来源说明", Text, **SOURCE)


class Population(Base):
    """Resident population of a division in a census or estimate year."""

    __tablename__ = "population"
    __title_zh__ = "人口"

    division_code: Mapped[str] = division_code_field(aliases=("代码", "division_code"), primary_key=True)
    year: Mapped[int] = field("年份", Integer, primary_key=True, minimum=1949, aliases=("year",))
    total: Mapped[int] = field("常住人口", Integer, minimum=0, aliases=("常住人口数", "总人口", "total"))
    urban: Mapped[int | None] = field("城镇人口", Integer, minimum=0)
    aged_0_14: Mapped[int | None] = field("0-14岁人口", Integer, minimum=0, aliases=("0～14岁", "aged_0_14"))
    aged_60_plus: Mapped[int | None] = field("60岁及以上人口", Integer, minimum=0, aliases=("60岁以上人口",))
    aged_65_plus: Mapped[int | None] = field("65岁及以上人口", Integer, minimum=0, aliases=("65岁以上人口",))
    aged_80_plus: Mapped[int | None] = field("80岁及以上人口", Integer, minimum=0, aliases=("80岁以上人口",))
    aged_0: Mapped[int | None] = field("0岁人口", Integer, minimum=0)
    aged_1_4: Mapped[int | None] = field("1-4岁人口", Integer, minimum=0)
    under_3: Mapped[int | None] = field(
        "3岁以下人口", Integer, minimum=0, aliases=("0-3岁人口", "婴幼儿数", "under_3"),
        description="Children under 3 (the 托育 age group); see under_3_estimated",
    )
    under_3_estimated: Mapped[bool | None] = field(
        "3岁以下为估算", Boolean,
        description="True when under_3 is estimated (the 2020 census has no 0-2 band: age 0 + half of ages 1-4)",
    )
    households: Mapped[int | None] = field("户数", Integer, minimum=0)
    source: Mapped[str | None] = field("来源说明", Text, **SOURCE)


class PlanIndicator(Base):
    """A row of a plan's indicator table (九府办字[2022]113号 表1 养老, 表2 托育)."""

    __tablename__ = "plan_indicators"
    __title_zh__ = "规划指标"

    jurisdiction_code: Mapped[str] = division_code_field(aliases=("jurisdiction_code",), primary_key=True)
    domain: Mapped[str] = field("领域", String(16), primary_key=True, choices=v.PLAN_DOMAIN)
    number: Mapped[int] = field("序号", Integer, primary_key=True, minimum=1)
    name: Mapped[str] = field("指标名称", String(128))
    unit: Mapped[str] = field("单位", String(32), description="Unit as printed after the name, e.g. % or 个")
    baseline_2021: Mapped[float | None] = field("2021年基期值", Float, aliases=("基期值",))
    target_2023: Mapped[float | None] = field("2023年规划值", Float)
    target_2025: Mapped[float | None] = field("2025年规划值", Float)
    at_least: Mapped[bool] = field(
        "目标为下限", Boolean, default=False,
        description="True where the table writes ≥ before the planned values",
    )
    nature: Mapped[str] = field("指标属性", String(16), choices=v.INDICATOR_NATURE)
    responsible: Mapped[str | None] = field("责任单位", String(128))
    source: Mapped[str | None] = field("来源说明", Text, **SOURCE)


class SupplySummary(Base):
    """Aggregate current supply of elderly-care beds and childcare places in a jurisdiction."""

    __tablename__ = "supply_summaries"
    __title_zh__ = "供给现状"

    division_code: Mapped[str] = division_code_field(aliases=("division_code",), primary_key=True)
    year: Mapped[int] = field("年份", Integer, primary_key=True, minimum=1949)
    elderly_institutions: Mapped[int | None] = field("养老机构数", Integer, minimum=0)
    private_elderly_institutions: Mapped[int | None] = field("民办养老机构数", Integer, minimum=0)
    elderly_beds: Mapped[int | None] = field("养老床位", Integer, minimum=0, aliases=("养老床位数",))
    nursing_beds: Mapped[int | None] = field("护理型床位", Integer, minimum=0, aliases=("护理型床位数",))
    childcare_institutions: Mapped[int | None] = field(
        "托育机构数", Integer, minimum=0, description="Including kindergarten nursery classes where the source does"
    )
    private_childcare_institutions: Mapped[int | None] = field("民办托育机构数", Integer, minimum=0)
    childcare_slots: Mapped[int | None] = field("托位数", Integer, minimum=0, aliases=("托位",))
    source: Mapped[str | None] = field("来源说明", Text, **SOURCE)
    note: Mapped[str | None] = field("备注", Text, **NOTE)


class InstitutionColumns:
    """What every care institution has; its own columns stand between these (``sort_order`` keeps the order)."""

    code: Mapped[str] = field("机构编号", String(32), primary_key=True, aliases=("编号", "code"), sort_order=-4)
    name: Mapped[str] = field("机构名称", String(128), aliases=("名称", "name"), sort_order=-3)
    division_code: Mapped[str] = division_code_field(aliases=("所在县（市、区）代码", "division_code"), sort_order=-2)
    ownership: Mapped[str] = field(
        "性质", String(32), choices=v.OWNERSHIP, aliases=("举办性质", "ownership"), sort_order=-1
    )
    opened_on: Mapped[dt.date | None] = field("开业日期", Date, aliases=("运营日期",), sort_order=1)
    note: Mapped[str | None] = field("备注", Text, sort_order=2, **NOTE)


class ElderlyInstitution(InstitutionColumns, Base):
    """An elderly-care institution (养老机构)."""

    __tablename__ = "elderly_institutions"
    __title_zh__ = "养老机构"

    premises: Mapped[str | None] = field("用房方式", String(32), choices=v.PREMISES, aliases=("用房性质", "premises"))
    ordinary_beds: Mapped[int] = field("普通型床位", Integer, minimum=0, aliases=("普通床位",))
    nursing_beds: Mapped[int] = field("护理型床位", Integer, minimum=0, aliases=("护理床位",))
    in_central_city: Mapped[bool | None] = field(
        "位于中心城区", Boolean, aliases=("中心城区",),
        description="Inside Jiujiang's 中心城区, where the city top-ups of 附件3 items 13-14 apply",
    )
    lease_years: Mapped[float | None] = field(
        "租用年限", Float, minimum=0, description="Lease term in years for rented or public-built-private-run premises"
    )

    @property
    def total_beds(self) -> int:
        return (self.ordinary_beds or 0) + (self.nursing_beds or 0)


class ChildcareInstitution(InstitutionColumns, Base):
    """A childcare institution (托育机构) for children under 3."""

    __tablename__ = "childcare_institutions"
    __title_zh__ = "托育机构"

    area: Mapped[str | None] = field("城乡", String(16), choices=v.AREA, aliases=("城市或农村",))
    slots: Mapped[int] = field("托位数", Integer, minimum=0, aliases=("托位",))
    inclusive: Mapped[bool] = field("普惠性", Boolean, default=False, aliases=("是否普惠", "普惠"))
    monthly_fee: Mapped[float | None] = field("月收费（元）", Float, minimum=0, aliases=("收费标准", "月收费"))


class FacilityProject(Base):
    """A construction project for beds or childcare places (as in 九府办字[2022]113号 附件4 项目清单)."""

    __tablename__ = "facility_projects"
    __title_zh__ = "项目清单"

    code: Mapped[str] = field(
        "项目编号", String(32), primary_key=True, aliases=("编号", "code"),
        description="Our key: city-kind-number, e.g. JJ-E-07 for elderly project 7 of Jiujiang's list",
    )
    jurisdiction_code: Mapped[str] = division_code_field(
        "清单所属区划代码", aliases=("清单区划代码", "jurisdiction_code"),
        description="Whose project list this row belongs to (e.g. 360400 九江市)",
    )
    kind: Mapped[str] = field("项目类别", String(16), choices=v.PROJECT_KIND, aliases=("类别", "kind"))
    list_section: Mapped[str | None] = field("所属分类", String(64), description="Section heading of the list")
    list_number: Mapped[int | None] = field("序号", Integer, minimum=1)
    name: Mapped[str] = field("项目名称", String(128), aliases=("名称", "name"))
    project_type: Mapped[str | None] = field("项目类型", String(64))
    ownership: Mapped[str | None] = field("性质", String(32), choices=v.OWNERSHIP, aliases=("举办性质",))
    construction: Mapped[str | None] = field("建设性质", String(32), choices=v.CONSTRUCTION)
    period: Mapped[str | None] = field("建设期限", String(64), description="As written in the source")
    start: Mapped[str | None] = field("开始时间", String(10), description="ISO date, year-month or year")
    end: Mapped[str | None] = field("完成时间", String(10), description="ISO date, year-month or year")
    location: Mapped[str | None] = field("建设地点", String(128))
    division_code: Mapped[str | None] = division_code_field(
        aliases=("县（市、区）代码", "division_code"),
        description="County-level unit; blank where the source names none (e.g. a 管委会 zone)",
    )
    capacity_added: Mapped[int | None] = field(
        "新增或建设床位（托位数）", Integer, minimum=0, aliases=("新增床位", "新增托位", "床位（托位）数", "capacity_added"),
    )
    capacity_added_max: Mapped[int | None] = field(
        "床位（托位）数上限", Integer, minimum=0, description="Upper end where the source gives a range"
    )
    content: Mapped[str | None] = field("主要建设内容和规模", Text, aliases=("建设内容",))
    stage: Mapped[str | None] = field("目前进展阶段", String(64), aliases=("进展阶段", "进展"))
    investment_10k_cny: Mapped[float | None] = field(
        "总投资（万元）", Float, minimum=0, aliases=("总投资", "投资（万元）", "investment_10k_cny"),
    )
    organizer: Mapped[str | None] = field("组织实施单位", String(128), aliases=("实施单位",))
    remark: Mapped[str | None] = field("备注", Text, description="The source's own 备注 column")
    note: Mapped[str | None] = field(
        "转录说明", Text, aliases=("note",), description="How an unclear cell of the source was read, or why it is blank"
    )


class Person(Base):
    """An applicant (or recipient) with the facts the subsidy schemes need.

    Sex and date of birth are read from the ID number, and the disability category and grade from the
    certificate number, so they are never stored twice.
    """

    __tablename__ = "people"
    __title_zh__ = "申请人"

    id_number: Mapped[str] = field(
        "身份证号", String(18), primary_key=True, check="resident_id",
        aliases=("公民身份号码", "身份证号码", "id_number"),
    )
    name: Mapped[str] = field("姓名", String(64), aliases=("name",))
    hukou_division_code: Mapped[str] = division_code_field(
        "户籍地区划代码", aliases=("户籍所在地代码", "hukou_division_code"))
    hukou_area: Mapped[str | None] = field("城乡", String(16), choices=v.AREA, aliases=("户籍类型",))
    dibao_household: Mapped[bool] = field("低保户", Boolean, default=False, aliases=("是否低保",))
    at_risk_of_poverty: Mapped[bool] = field("易返贫致贫人口", Boolean, default=False, aliases=("易返贫致贫",))
    tekun_supported: Mapped[bool] = field("特困供养", Boolean, default=False, aliases=("特困人员", "是否特困"))
    disability_certificate_number: Mapped[str | None] = field(
        "残疾人证号", String(20), check="disability_certificate", aliases=("残疾证号",),
    )
    adl_eating: Mapped[bool | None] = field("不能自主吃饭", Boolean)
    adl_dressing: Mapped[bool | None] = field("不能自主穿衣", Boolean)
    adl_transfer: Mapped[bool | None] = field("不能自主上下床", Boolean)
    adl_toileting: Mapped[bool | None] = field("不能自主如厕", Boolean)
    adl_walking_indoors: Mapped[bool | None] = field("不能室内行走", Boolean)
    adl_bathing: Mapped[bool | None] = field("不能自主洗澡", Boolean)
    care_level: Mapped[str | None] = field("失能等级", String(16), choices=v.CARE_LEVEL, aliases=("自理能力",))
    requested_service: Mapped[str | None] = field(
        "申请服务类别", String(32), choices=v.SERVICE_TYPE, aliases=("服务形式",)
    )
    synthetic: Mapped[bool] = field(
        "合成数据", Boolean, default=False, description="True for generated (non-real) test applicants"
    )
    note: Mapped[str | None] = field("备注", Text, **NOTE)

    ADL_FIELDS = ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting", "adl_walking_indoors", "adl_bathing")

    @property
    def birth_date(self) -> dt.date:
        return birth_date_from_id(self.id_number)

    @property
    def sex(self) -> str:
        return sex_from_id(self.id_number)

    @property
    def disability_category(self) -> str | None:
        number = self.disability_certificate_number
        return DISABILITY_CATEGORY_CODES[number[18]] if number else None

    @property
    def disability_grade(self) -> int | None:
        number = self.disability_certificate_number
        return int(number[19]) if number else None

    @property
    def adl_failed_count(self) -> int | None:
        """How many of the six daily activities the person cannot do; None if any is unknown."""
        answers = [getattr(self, name) for name in self.ADL_FIELDS]
        return None if any(a is None for a in answers) else sum(answers)


def utc_now() -> dt.datetime:
    """Stored times are UTC without a zone (SQLite keeps no zone); pages convert to Beijing time. The server's clock
    (care_services.clock), looked up at each call so that tests can move it."""
    return clock.now()


class User(Base):
    """A member of staff: one role (subsidy_rules.workflow.ROLES) in one jurisdiction (a division and all below)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(40))
    jurisdiction_code: Mapped[str] = mapped_column(String(9), ForeignKey("divisions.code"))
    password_hash: Mapped[str] = mapped_column(String(255))  # werkzeug's salted scrypt; the password is never kept
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


# A case in one of these states is closed; any other state is open (subsidy_rules.workflow.STATES). Written out as SQL
# once, for the partial unique index and its migration (0004).
CLOSED_STATES = ("exited", "rejected")
CLOSED_STATES_SQL = "state NOT IN ('exited', 'rejected')"


class UserSession(Base):
    """A login, kept on the server so it can be ended there: the cookie carries a random token, this row its SHA-256.

    Logging out revokes the row; a password change or disabling the account revokes every row of the user; a row
    idle longer than the configured timeout (or older than the session lifetime) no longer counts as logged in.
    Several server processes share the rows, so a session ended in one is ended in all.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))  # logout / password / disabled / administrator


class ThrottleCounter(Base):
    """Hits of one key (a login name, a client address, a route) in its current window, shared by every server
    process through the database: login failures per account and per address, anonymous batch evaluations."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime)
    hits: Mapped[int] = mapped_column(Integer)


class CareCase(Base):
    """An application: a person's under 宜府办发〔2023〕20号 (what its 《审批表》 records), or an institution's for a
    subsidy of 九府办字[2022]113号 附件3 (its facts). The state is changed only through care_services.casework (one
    transaction with its audit entry), and ``version`` makes a stale write fail.

    ``person_facts`` is the applicant's facts as filed and as this case's own steps recorded or corrected them (the
    facts it was evaluated and approved on): the shared ``people`` row may change later, or be another county's,
    and never changes the case. The database keeps at most one open case per person and scheme
    (``one_open_case_per_person``, a partial unique index on SQLite and PostgreSQL alike)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme: Mapped[str] = mapped_column(String(64), default="disability_care")
    person_id_number: Mapped[str | None] = mapped_column(String(18), ForeignKey("people.id_number"))  # people's schemes
    institution_code: Mapped[str | None] = mapped_column(String(32))  # institution subsidies: 机构编号, if registered
    facts: Mapped[dict | None] = mapped_column(JSON)  # institution subsidies: the scheme's facts as applied and verified
    person_facts: Mapped[dict | None] = mapped_column(JSON)  # people's schemes: the applicant's facts of this case
    division_code: Mapped[str] = mapped_column(String(9), ForeignKey("divisions.code"))  # most specific known unit
    township_name: Mapped[str | None] = mapped_column(String(64))  # 家庭地址：乡镇（街道）
    community_name: Mapped[str | None] = mapped_column(String(64))  # 家庭地址：村（社区）, where the notice is posted
    applied_by: Mapped[str] = mapped_column(String(16), default="applicant")
    proxy_name: Mapped[str | None] = mapped_column(String(64))
    proxy_relation: Mapped[str | None] = mapped_column(String(32))
    proxy_id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(32))
    requested_service: Mapped[str | None] = mapped_column(String(32))
    institution_type: Mapped[str | None] = mapped_column(String(32))
    carer_or_institution: Mapped[str | None] = mapped_column(String(128))  # 照护人姓名 or 照护/托养机构名称
    carer_relation: Mapped[str | None] = mapped_column(String(32))
    bank_account_name: Mapped[str | None] = mapped_column(String(128))  # 户名
    bank_name: Mapped[str | None] = mapped_column(String(128))  # 开户行
    bank_account: Mapped[str | None] = mapped_column(String(40))  # 账号; shown masked everywhere but the bank file
    two_subsidies_month: Mapped[float | None] = mapped_column(Float)  # recorded at the sector review (统筹整合)
    dibao_month: Mapped[float | None] = mapped_column(Float)
    elderly_allowance_month: Mapped[float | None] = mapped_column(Float)
    other_care_benefits_month: Mapped[float | None] = mapped_column(Float)  # 审批表 其它补贴 (不重复享受)
    state: Mapped[str] = mapped_column(String(32), default="submitted")
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    notice_from: Mapped[dt.date | None] = mapped_column(Date)
    exited_on: Mapped[dt.date | None] = mapped_column(Date)
    exit_reason: Mapped[str | None] = mapped_column(String(32))
    rejection_reason: Mapped[str | None] = mapped_column(Text)  # what the applicant is told
    # Kept from the audit trail for the work queue (care_services.case_verdicts), never written by hand: the rules'
    # latest answer (yes / no / pending) and monthly amount, and when the case entered its current state.
    verdict: Mapped[str | None] = mapped_column(String(8))
    amount_month: Mapped[float | None] = mapped_column(Float)
    state_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now, onupdate=utc_now)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("one_open_case_per_person", "person_id_number", "scheme", unique=True,
              sqlite_where=text(CLOSED_STATES_SQL), postgresql_where=text(CLOSED_STATES_SQL)),
    )


class AuditEntry(Base):
    """One change, appended and never altered (the ORM refuses, and the migration adds database triggers)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(32))  # case / user / payroll
    entity_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    parameter_version: Mapped[str | None] = mapped_column(String(16))
    explanation: Mapped[dict | None] = mapped_column(JSON)  # the rules engine's answer at this step
    previous_hash: Mapped[str | None] = mapped_column(String(64))  # care_services.audit: the chain
    entry_hash: Mapped[str | None] = mapped_column(String(64))

    # one successor per entry: two appends chained onto the same predecessor cannot both be stored
    __table_args__ = (Index("ix_audit_log_previous_hash", "previous_hash", unique=True),)


class AuditChainHead(Base):
    """The newest audit entry's id and hash (one row): the lock that serialises appends, and what shows a
    removal at the end of the log (care_services.audit)."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class ParameterOverride(Base):
    """A county's own value of a floor parameter (不低于: raised, never lowered), set by an administrator."""

    __tablename__ = "parameter_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    jurisdiction_code: Mapped[str] = mapped_column(String(9), ForeignKey("divisions.code"))
    start: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[Any] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)  # e.g. the county's own document number
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class AppendOnly(RuntimeError):
    """Someone tried to change or remove an audit entry."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_changes(_mapper, _connection, entry) -> None:
    raise AppendOnly(f"审计日志只能追加，不能修改或删除 / the audit log is append-only (entry {entry.id})")


class PayrollMonth(Base):
    """A month's payment roll for a jurisdiction: a draft can be generated again; a closed one is fixed."""

    __tablename__ = "payroll_months"

    jurisdiction_code: Mapped[str] = mapped_column(String(9), ForeignKey("divisions.code"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    status: Mapped[str] = mapped_column(String(16), default="draft")
    recipients: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Numeric(14, 2, asdecimal=False))
    digest: Mapped[str] = mapped_column(String(64))  # of the lines: the same roll has the same digest
    parameter_version: Mapped[str] = mapped_column(String(16))
    generated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    generated_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))


class PayrollLine(Base):
    """One recipient's payment in a roll, as computed when the roll was generated."""

    __tablename__ = "payroll_lines"

    jurisdiction_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, ForeignKey("cases.id"), primary_key=True)
    person_name: Mapped[str] = mapped_column(String(64))
    division_code: Mapped[str] = mapped_column(String(9))
    township_name: Mapped[str | None] = mapped_column(String(64))
    community_name: Mapped[str | None] = mapped_column(String(64))
    requested_service: Mapped[str] = mapped_column(String(32))
    payee: Mapped[str | None] = mapped_column(String(128))
    bank_name: Mapped[str | None] = mapped_column(String(128))
    account_masked: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    integrated: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    finance_fallback: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    problem: Mapped[str | None] = mapped_column(Text)  # why no amount could be paid (needs review)

    __table_args__ = (ForeignKeyConstraint(["jurisdiction_code", "month"],
                                           ["payroll_months.jurisdiction_code", "payroll_months.month"]),)


class PayrollPayment(Base):
    """What closed rolls paid: one row per case and month paid for (``payment``), and at most one recovery of it
    (``recovery``, a correction on a later roll). Written when a roll is closed and never changed; the primary key
    is what makes a second closed roll paying the same person for the same month impossible."""

    __tablename__ = "payroll_payments"

    case_id: Mapped[int] = mapped_column(Integer, ForeignKey("cases.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # the month paid for (or recovered)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # payment / recovery
    jurisdiction_code: Mapped[str] = mapped_column(String(9))  # whose roll
    roll_month: Mapped[str] = mapped_column(String(7))  # the roll it was paid (or recovered) on
    amount: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))

    __table_args__ = (ForeignKeyConstraint(["jurisdiction_code", "roll_month"],
                                           ["payroll_months.jurisdiction_code", "payroll_months.month"]),)


class PayrollCorrection(Base):
    """A correction line of a roll: a month closed earlier paid a case that (as recorded since) was no longer
    entitled, e.g. an exit dated in or before that month; the amount (negative) is recovered on this roll."""

    __tablename__ = "payroll_corrections"

    jurisdiction_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # the roll's month
    case_id: Mapped[int] = mapped_column(Integer, ForeignKey("cases.id"), primary_key=True)
    corrected_month: Mapped[str] = mapped_column(String(7), primary_key=True)  # the closed month it corrects
    person_name: Mapped[str] = mapped_column(String(64))
    payee: Mapped[str | None] = mapped_column(String(128))
    account_masked: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (ForeignKeyConstraint(["jurisdiction_code", "month"],
                                           ["payroll_months.jurisdiction_code", "payroll_months.month"]),)


class RosterImport(Base):
    """One import of a roster from another department (低保, 易返贫致贫 monitoring, deaths, 特困 support): who sent it,
    as of which date, and what file; the entries of a 低保 or monitoring import are that roster as of its date."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    roster: Mapped[str] = mapped_column(String(16))  # care_services.rosters.ROSTERS
    source_department: Mapped[str] = mapped_column(String(128))  # e.g. 县民政局社会救助股
    source_date: Mapped[dt.date] = mapped_column(Date)  # the date the department's list is as of
    jurisdiction_code: Mapped[str] = mapped_column(String(9), ForeignKey("divisions.code"))  # the area the list covers
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)  # the server's clock


class RosterEntry(Base):
    """A person on an imported roster, with the date the list gives (纳入日期, 死亡日期, 纳入特困供养日期)."""

    __tablename__ = "roster_entries"

    import_id: Mapped[int] = mapped_column(Integer, ForeignKey("roster_imports.id"), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), primary_key=True, index=True)
    date: Mapped[dt.date | None] = mapped_column(Date)


class Job(Base):
    """A long run (a budget projection, an allocation) queued by a web process and run by any worker process.

    The queue is this table (web/jobs.py): a worker claims a queued row in one UPDATE (FOR UPDATE SKIP LOCKED on
    PostgreSQL), holds it by renewing ``lease_until`` and writes progress, the result and its workbook back here, so
    a job survives restarts and is seen by every web process. The request (which may hold an uploaded caseload) is
    cleared when the job ends."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued / running / done / failed
    request: Mapped[Any | None] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text, default="")
    fraction: Mapped[float | None] = mapped_column(Float)
    result: Mapped[Any | None] = mapped_column(JSON)
    result_file: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[Any | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# Order matters: parents before children when loading.
ENTITY_MODELS = {
    "divisions": Division,
    "population": Population,
    "plan_indicators": PlanIndicator,
    "supply": SupplySummary,
    "elderly_institutions": ElderlyInstitution,
    "childcare_institutions": ChildcareInstitution,
    "projects": FacilityProject,
    "people": Person,
}

from care_services import audit as _audit_chain  # noqa: E402,F401  (registers the chain's flush hook)
from care_services import case_verdicts as _case_verdicts  # noqa: E402,F401  (keeps the queue's columns)
