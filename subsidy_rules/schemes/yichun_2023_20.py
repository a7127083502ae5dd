"""宜府办发〔2023〕20号 (Yichun care for people in hardship with severe disabilities), in the order of the document.

三 eligibility (items 1-6), 四 the payments and the integration of the person's own funds, 五 the procedure.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from care_services import vocabulary as v
from subsidy_rules.engine import (Criterion, Inputs, Payer, Scheme, age_on, boolean, count_yes, fact, number, register,
                                  select, truth, yuan)
from subsidy_rules.parameters import Reference
from subsidy_rules.schemes.common import english, used_parameter, years_on, yuan_en
from subsidy_rules.schemes.common import plain_reasons as common_plain_reasons
from subsidy_rules.steps import Step

YC = "宜府办发〔2023〕20号"


def _scope(number: str, quote: str) -> Reference:
    return Reference(YC, f"三（一）第{number}项", quote)


# ------------------------------------------------------------------------------------------ disability_care

FUND_LABELS = {"two_subsidies": "残疾人两项补贴", "elderly_allowance": "老龄（高龄）补贴", "dibao": "低保金",
               "other_care": "其它生活和护理类补贴"}
FUND_LABELS_EN = {"two_subsidies": "the two disability allowances", "elderly_allowance": "the elderly allowance",
                  "dibao": "the minimum living allowance (dibao)", "other_care": "other living and care benefits"}
INSTITUTION_TYPES = {"comprehensive_disability": "残疾人综合托养服务机构", "private": "民办机构", "public_elderly": "公办养老机构"}
INSTITUTION_TYPES_EN = {"comprehensive_disability": "comprehensive disability care institution",
                        "private": "private institution", "public_elderly": "public elderly-care institution"}
ADL_FACTS = ("adl_eating", "adl_dressing", "adl_transfer", "adl_toileting", "adl_walking_indoors", "adl_bathing")
DISABILITY_CRITERIA = (
    Criterion("yichun_hukou", "具有宜春户籍", "Yichun hukou", ("hukou_division_code",), _scope("1", "具有宜春户籍")),
    Criterion("age_16_plus", "年满16周岁", "aged 16 or over", ("birth_date",), _scope("2", "年满16周岁")),
    Criterion("low_income", "低保户或易返贫致贫人口", "in a minimum-living-allowance (dibao) household or at risk of poverty",
              ("dibao_household", "at_risk_of_poverty"), _scope("3", "低保户和易返贫致贫人口")),
    Criterion("certificate", "持残疾人证，一、二级精神、智力或肢体残疾", "grade 1-2 physical, intellectual or mental disability",
              ("has_disability_certificate", "disability_category", "disability_grade"),
              _scope("4", "持有中华人民共和国残疾人证且残疾等级为一、二级的精神、智力和肢体残疾人")),
    Criterion("not_tekun", "未纳入特困人员救助供养范围", "not supported as a person in extreme poverty (tekun)", ("tekun_supported",), _scope("5", "未纳入特困人员救助供养范围")),
    Criterion("severe_adl", "6项指标中4—6项不能达到", "fails 4-6 of the 6 daily activities", ADL_FACTS,
              _scope("6", "按照自主吃饭、穿衣、上下床、如厕、室内行走、洗澡等6项指标，有4—6项不能达到的重度失能残疾人")),
)


def _adl_test(f: Inputs, minimum: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Known failures decide early: 4 known failures pass, too few possible failures fail, else unknown."""
    known, possible = count_yes([f[name] for name in ADL_FACTS])  # failures known; failures known or possible
    result = f.unknown("boolean")
    result = result.mask(known >= minimum, True).mask(possible < minimum, False)
    return result, known


def _disability_formula(inputs: Inputs, out: pd.DataFrame) -> None:
    f = inputs
    out["crit.yichun_hukou"] = f.startswith_param(f["hukou_division_code"], "disability_care.hukou_prefix")
    age = age_on(f["birth_date"], f.date)
    out["x.age"] = age
    out["crit.age_16_plus"] = boolean(age >= f.p("disability_care.min_age"))
    both = f.flag("disability_care.low_income_requires_both").fillna(False)
    dibao, at_risk = f["dibao_household"], f["at_risk_of_poverty"]
    out["crit.low_income"] = (dibao & at_risk).where(both, dibao | at_risk)
    covered = f.isin_param(f["disability_category"], "disability_care.accepted_categories") \
        & f.isin_param(f["disability_grade"], "disability_care.accepted_grades")
    out["crit.certificate"] = covered.mask(f["has_disability_certificate"].eq(False).fillna(False), False)
    out["crit.not_tekun"] = ~f["tekun_supported"]
    adl, known = _adl_test(f, f.p("disability_care.min_adl_failed"))
    out["crit.severe_adl"], out["x.adl_failed"] = adl, known

    service, place = f["requested_service"], f["institution_type"]
    public = f.p("disability_care.public_institution_support_month") + f.p("disability_care.public_institution_care_month")
    institution = select([place == "public_elderly"], [public], default=f.p("disability_care.institution_month")) \
        .mask(place.isna())
    amount = select(
        [service == "home_care", service == "day_care", service == "institutional_care"],
        [f.p("disability_care.home_care_month"), f.p("disability_care.day_care_month"), institution],
    ).mask(service.isna())
    out["x.public_not_configured"] = ((service == "institutional_care") & (place == "public_elderly") & public.isna()) \
        .fillna(False)
    out["amount"] = amount

    institutional = service == "institutional_care"
    funds = {"two_subsidies": f["two_subsidies_month"], "dibao": f["dibao_month"],
             "elderly_allowance": f["elderly_allowance_month"], "other_care": f["other_care_benefits_month"]}
    # 不重复享受: what the person already receives from government living and care funds is integrated into the
    # subsidy, within what 四 allows for the service (两项补贴 only for home or day care, "不得统筹整合低保资金";
    # 两项补贴、低保、老龄补贴等政府性生活和护理类资金 for institutions), fund by fund in the 审批表's order, up to the
    # standard; what is left of a fund (e.g. 两项补贴 above the standard) stays the person's own (remaining.<fund>).
    institutional_rows = institutional.fillna(False).to_numpy()
    may = {name: np.zeros(len(out), dtype=bool) for name in funds}
    for parameter, applies in (("disability_care.integrable_funds.home_or_day_care", ~institutional_rows),
                               ("disability_care.integrable_funds.institutional_care", institutional_rows)):
        for listed, rows in f.rows_by_value(parameter):
            for name in listed:
                may[name] |= rows & applies
    usable = {name: funds[name].astype("Float64").fillna(0.0).where(may[name], 0.0) for name in funds}
    available = sum(usable.values())
    out["x.integrable_available"] = available
    need = amount.fillna(0.0)
    given = [name for name in funds if funds[name].notna().any()]  # funds nobody in this frame receives add nothing
    taken = {name: f.constant(0.0) for name in given}
    for order, rows in f.rows_by_value("disability_care.integration_order"):
        left = need.where(rows, 0.0)
        for name in [name for name in order if name in taken]:
            part = usable[name].where(usable[name] <= left, left).where(rows, 0.0)
            taken[name] = taken[name] + part
            left = left - part
    for name in given:
        out[f"x.integrated.{name}"] = taken[name].mask(amount.isna())
        out[f"remaining.{name}"] = (funds[name].astype("Float64") - taken[name]).mask(amount.isna() | funds[name].isna())
    integrated = sum(taken.values(), f.constant(0.0)).mask(amount.isna())
    out["fund.integrated"] = integrated
    out["fund.finance_fallback"] = amount - integrated
    # 申请人照护和托养补贴发放日期从审批之日的下个月算起 (五（五）)
    approved = f["approved_on"]
    if approved.notna().any():
        out["first_payment_month"] = approved.dt.to_period("M") + 1
    else:  # nobody approved yet: an empty month column without converting a million missing dates
        out["first_payment_month"] = f.unknown("period[M]")


def _disability_steps(row: Mapping) -> list[Step]:
    service = row["fact.requested_service"]
    label, label_en = v.SERVICE_TYPE.get(service, "—"), english(service)
    if service == "institutional_care":
        place = row["fact.institution_type"]
        label += f"（{INSTITUTION_TYPES.get(place, '机构类型未填')}）"
        label_en += f" ({INSTITUTION_TYPES_EN.get(place, 'type of institution not given')})"
    failed, age = number(row['x.adl_failed']), number(row['x.age'])
    steps = [Step(f"6项指标中{failed}项不能达到；年龄{age}岁",
                  f"{failed} of the 6 daily activities cannot be done unaided; aged {age}")]
    if truth(row["x.public_not_configured"]):
        steps.append(Step("公办养老机构托养参照特困人员供养和护理费标准，该标准尚未配置，无法计算金额",
                          "Care in a public elderly-care institution follows the support and care standard for "
                          "people in extreme poverty (tekun); that standard is not configured yet, so there is no "
                          "amount"))
    else:
        steps.append(Step(f"{label}：每人每月 {yuan(row['amount'])}（不低于标准）",
                          f"{label_en.capitalize()}: {yuan_en(row['amount'])} per person per month "
                          f"(not below the standard)"))
    steps.append(Step(
        f"可统筹整合的个人资金 {yuan(row['x.integrable_available'])}，统筹整合 {yuan(row['fund.integrated'])}，"
        f"财政兜底 {yuan(row['fund.finance_fallback'])}（未填写的资金按0计）",
        f"The person's funds that may be integrated: {yuan_en(row['x.integrable_available'])}; integrated "
        f"{yuan_en(row['fund.integrated'])}; finance fallback {yuan_en(row['fund.finance_fallback'])} "
        f"(funds not entered count as 0)"))
    for name, label in FUND_LABELS.items():
        if truth(row.get(f"x.integrated.{name}")):
            steps.append(Step(
                f"统筹整合{label} {yuan(row[f'x.integrated.{name}'])}，剩余 {yuan(row[f'remaining.{name}'])}由本人继续享受",
                f"Integrated from {FUND_LABELS_EN[name]}: {yuan_en(row[f'x.integrated.{name}'])}; the remaining "
                f"{yuan_en(row[f'remaining.{name}'])} stays the person's own"))
    if not pd.isna(row.get("first_payment_month")):
        steps.append(Step(f"审批后次月起发放：{row['first_payment_month']}",
                          f"Paid from the month after approval: {row['first_payment_month']}"))
    return steps


# ------------------------------------------------------------------- the pre-check's words for applicants

GRADE_ZH = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
CATEGORY_EN = {"visual": "visual", "hearing": "hearing", "speech": "speech", "physical": "physical",
               "intellectual": "intellectual", "mental": "mental", "multiple": "multiple"}
CATEGORY_ORDER = ("mental", "intellectual", "physical")  # as 三（一）4 lists them: 精神、智力和肢体残疾人


def _used(answer: Mapping, name: str):
    return used_parameter(answer, name)


def _listed_zh(items) -> str:
    return "、".join(items)


def _listed_en(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(kind: str, facts: Mapping, answer: Mapping) -> tuple[str, str] | None:
    """A failed condition of 三（一） as an applicant's family reads it: what the facts say, then what the policy
    asks ("听力残疾不在本政策范围：仅限精神、智力、肢体残疾"); None where no sentence fits the combination."""
    if kind == "yichun_hukou":
        return "户籍不在宜春市：本政策仅限宜春户籍", "The hukou is not in Yichun: the policy is for Yichun residents only"
    if kind == "age_16_plus":
        minimum, age = _used(answer, "disability_care.min_age") or 16, years_on(facts.get("birth_date"), answer["date"])
        return (f"未满{minimum}周岁（按出生日期，今天{age}岁）：本政策要求年满{minimum}周岁",
                f"Under {minimum} (aged {age} today): the policy requires the age of {minimum} or over")
    if kind == "low_income":
        if _used(answer, "disability_care.low_income_requires_both"):
            return ("须同时是低保户和易返贫致贫人口",
                    "The policy requires both a minimum-living-allowance household and being at risk of poverty")
        return ("既不是低保户，也不是易返贫致贫人口：本政策仅限低保户和易返贫致贫人口",
                "Neither in a minimum-living-allowance household nor at risk of poverty: the policy covers only "
                "these two groups")
    if kind == "certificate":
        accepted = _used(answer, "disability_care.accepted_categories") or ()
        categories = [c for c in CATEGORY_ORDER if c in accepted] + [c for c in accepted if c not in CATEGORY_ORDER]
        grades = sorted(_used(answer, "disability_care.accepted_grades") or ())
        category, grade = facts.get("disability_category"), facts.get("disability_grade")
        if facts.get("has_disability_certificate") is False:
            return ("没有残疾人证：须持有中华人民共和国残疾人证",
                    "No disability certificate: the policy requires a certificate of the People's Republic of China")
        if category is not None and categories and category not in categories:
            return (f"{v.DISABILITY_CATEGORY.get(category, category)}残疾不在本政策范围："
                    f"仅限{_listed_zh(v.DISABILITY_CATEGORY.get(c, c) for c in categories)}残疾",
                    f"A {CATEGORY_EN.get(category, category)} disability is outside the policy: only "
                    f"{_listed_en([CATEGORY_EN.get(c, c) for c in categories])} disabilities are covered")
        if grade is not None and grades and grade not in grades:
            return (f"{GRADE_ZH.get(grade, grade)}残疾不在本政策范围：仅限"
                    f"{_listed_zh(GRADE_ZH.get(g, str(g)).rstrip('级') for g in grades)}级残疾",
                    f"A grade {grade} disability is outside the policy: only grades "
                    f"{_listed_en([str(g) for g in grades])} are covered")
        return None
    if kind == "not_tekun":
        return ("已纳入特困人员救助供养：特困供养人员不在本政策范围",
                "Already supported as a person in extreme poverty: such persons are outside the policy")
    if kind == "severe_adl":
        minimum = _used(answer, "disability_care.min_adl_failed") or 4
        failed = sum(1 for name in ADL_FACTS if facts.get(name) is True)
        return (f"6项日常活动中{failed}项不能自理：须有{minimum}—6项不能达到（重度失能）",
                f"{failed} of the 6 daily activities cannot be done unaided: the policy requires {minimum} to 6")
    return None


def plain_reasons(answer: Mapping) -> list[dict]:
    """One sentence per failed condition of 三（一）, read from the explained answer: the facts the criterion used
    and the parameters in force, so a county that widens the scope is quoted as it is."""
    return common_plain_reasons(answer, _sentence)


HOW_TO_APPLY = {  # 五（一）个人申请, and what follows it (五（二）—（五）)
    "where_zh": "本人或监护人到户籍所在地乡镇（街道）提出申请，领取并填写《困难重度失能残疾人照护和托养申请审批表》。",
    "where_en": ("The person or their guardian applies at the township (subdistrict) office of the place of hukou "
                 "registration, and fills in the application and approval form there."),
    "bring_zh": ("户口本", "居民身份证", "残疾人证", "低保证（复印件）", "银行卡", "其他相关证明材料"),
    "bring_en": ("the household register (hukou booklet)", "the resident identity card", "the disability certificate",
                 "a copy of the minimum-living-allowance certificate", "a bank card", "other supporting documents"),
    "after_zh": ("乡镇（街道）初审后，县级卫健部门派医生评估6项日常生活能力，再经民政或残联审核、乡村振兴部门核定、"
                 "财政部门审批；拟纳入的名单在村（社区）公示7天，补贴从审批之日的下个月起发放。"),
    "after_en": ("After the township's review, a doctor of the county health department assesses the six daily "
                 "activities; civil affairs or the disability federation reviews, the rural revitalisation "
                 "department confirms the poverty status and finance approves. The list is posted in the village "
                 "(community) for 7 days; payments start in the month after approval."),
    "reference": Reference(YC, "五（一）个人申请", "困难重度失能残疾人或监护人到户籍所在地乡镇（街道）提出申请，领取并填写"
                           "附件《困难重度失能残疾人照护和托养申请审批表》……提出申请时，个人须携带户口本、居民身份证、"
                           "残疾人证、低保证（复印件）、银行卡等其他相关证明材料"),
}


register(Scheme(
    id="disability_care",
    reasons=plain_reasons,
    how_to_apply=HOW_TO_APPLY,
    period="monthly",
    payers=(Payer("integrated", "统筹整合资金", "integrated personal funds", "personal"),
            Payer("finance_fallback", "财政兜底（新增财政资金）", "finance fallback (new public money)")),
    sector="disability",
    applicant="person",
    in_force="disability_care.hukou_prefix",
    title_zh="困难重度失能残疾人照护和托养补助",
    title_en="Care for people in hardship with severe disabilities",
    source=f"{YC} 三、四、五",
    unit="CNY/month",
    facts=(
        fact("hukou_division_code", "户籍地区划代码", "text", "place of hukou registration (division code)"),
        fact("birth_date", "出生日期", "date", "date of birth"),
        fact("dibao_household", "低保户", "boolean", "member of a minimum-living-allowance (dibao) household"),
        fact("at_risk_of_poverty", "易返贫致贫人口", "boolean", "identified as at risk of (returning to) poverty"),
        fact("has_disability_certificate", "持有残疾人证", "boolean", "holds a disability certificate"),
        fact("disability_category", "残疾类别", "text", "category on the disability certificate", choices=v.DISABILITY_CATEGORY),
        fact("disability_grade", "残疾等级", "integer", "grade 1-4 on the disability certificate", minimum=1),
        fact("tekun_supported", "已纳入特困供养", "boolean", "already supported as a person in extreme poverty (tekun)"),
        *(fact(name, zh, "boolean", f"cannot {en} unaided") for name, zh, en in (
            ("adl_eating", "不能自主吃饭", "eat"), ("adl_dressing", "不能自主穿衣", "dress"),
            ("adl_transfer", "不能自主上下床", "get in and out of bed"), ("adl_toileting", "不能自主如厕", "use the toilet"),
            ("adl_walking_indoors", "不能室内行走", "walk indoors"), ("adl_bathing", "不能自主洗澡", "bathe"))),
        fact("requested_service", "申请服务类别", "text", "the service applied for", choices=v.SERVICE_TYPE),
        fact("institution_type", "托养机构类型", "text", "type of institution (for care in an institution)", choices=INSTITUTION_TYPES),
        fact("two_subsidies_month", "残疾人两项补贴（元/月）", "number", "the person's two disability allowances per month", minimum=0),
        fact("dibao_month", "低保金（元/月）", "number", "the person's minimum living allowance per month", minimum=0),
        fact("elderly_allowance_month", "老龄补贴（元/月）", "number", "the person's elderly allowance per month", minimum=0),
        fact("other_care_benefits_month", "其它政府性生活和护理类补贴（元/月）", "number",
             "other government living or care benefits the person receives per month", minimum=0),
        fact("approved_on", "审批日期", "date", "date finance approved (payment starts the next month)"),
    ),
    criteria=DISABILITY_CRITERIA,
    formula=_disability_formula,
    steps=_disability_steps,
    amount_facts=("requested_service", "institution_type"),
))
