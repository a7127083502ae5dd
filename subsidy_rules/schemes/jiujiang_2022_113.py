"""九府办字[2022]113号 (Jiujiang 一老一小 plan): its subsidies, in the order of the document.

附件2 第3项 (home care service), then 附件3 items 13 (construction), 14 (bed operation), 15 (community centres),
16 (disabled residents), 22 (childcare construction) and 23 (childcare operation). Amounts come from parameters
(subsidy_rules/parameters); this file holds the logic and the clause each criterion rests on. Scheme ids are part
of the public interface.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from care_services import vocabulary as v
from subsidy_rules.engine import (
    CITY,
    COUNTY,
    Criterion,
    Inputs,
    Scheme,
    age_on,
    boolean,
    fact,
    isin,
    months_between,
    number,
    percent,
    register,
    select,
    truth,
    yuan,
)
from subsidy_rules.parameters import Range, Reference
from subsidy_rules.schemes.common import (
    english,
    failed_criteria,
    failed_criteria_en,
    funding_to_level,
    level_en,
    level_zh,
    plain_reasons,
    used_parameter,
    years_on,
    yuan_en,
)
from subsidy_rules.steps import Step

JJ = "九府办字[2022]113号"
ITEM13 = Reference(JJ, "附件3 第13项", "省财政对按标准建设、依规定运营的普通型、护理型民办养老机构,分别按核定床位每张3000元、5000元的标准给予一次性建设补助,租赁用房、公建民营的减半补助")
ITEM13_CITY = Reference(JJ, "附件3 第13项", "市财政对中心城区按标准建设、依规定运营的普通型、护理型非营利性养老机构,自建或购买用房兴办30张床位以上且运营满一年的……对租赁用房、公建民营且租用期5年以上的……")
ITEM14 = Reference(JJ, "附件3 第14项", "对市中心城区按标准建设、依规定运营的非营利性养老机构接收本辖区户籍老年人且入住满一个月以上的(不含政府供养对象),给予每张每月补50元床位运营补助,补贴期限三年")
ITEM15 = Reference(JJ, "附件3 第15项", "省财政对按规划和标准建设的城乡社区居家养老服务中心(站)每个补10-20万元……对运营半年以上的中心城区社区居家养老服务中心(站)给予每年1万元的运营补贴")
ITEM17 = Reference(JJ, "附件3 第17项", "对非营利性民办养老机构接收安置特区内的城镇\"三无\"老人、农村\"五保\"老人和孤老优抚对象,由同级财政按实际安置人数和省、市民生工程规定的供养标准并按公办养老机构补贴标准及方式直接拨付给民办养老机构")
PUBLIC_PRIVATE = Reference(JJ, "附件3 第17项", "公建民营养老服务机构享受社会力量兴办的非营利性养老服务机构的补贴政策")
ITEM16 = Reference(JJ, "附件3 第16项", "按实际接收的失能、半失能老年人每人每月分别不低于200元、100元的标准,不区分经营性质落实运营补贴")
ELDERLY = Reference("中华人民共和国老年人权益保障法", "第二条", "本法所称老年人是指六十周岁以上的公民")
HOME_CARE = Reference(JJ, "附件2 第3项", "为居住在家的特殊困难老年人提供生活照料、康复护理、精神慰藉等基本养老服务……对符合条件的服务对象按照每人每月200元的标准提供居家养老服务")
ITEM22 = Reference(JJ, "附件3 第22项", "托育机构规划建设期间,城市新建托育机构按每个托位600元予以一次性建设资金补助")
ITEM23 = Reference(JJ, "附件3 第23项", "对托育机构按照当地政府普惠指导价招收3岁以下婴幼儿的,依据实际收托数,按每人每月不低于200元的标准给与保育费补助")
PRICE = Reference(JJ, "三（二）增加普惠服务供给", "力争达到普惠价格不高于当地同等服务市场平均价格的80%")
PUHUI = Reference(JJ, "三（二）增加普惠服务供给", "鼓励各县(市、区)人民政府与普惠机构签订普惠协议,政府给予一定的运营补贴")


LEASED = ("rented", "public_built_private_run")
PRIVATE_NON_PROFIT = ("private_non_profit", "public_built_private_run")  # 附件3 第17项: 公建民营 as non-profit private
CENTRAL = Reference(JJ, "附件3 第13项", "市财政对中心城区……非营利性养老机构")


# ------------------------------------------------------------------------------------- home_care_service

HOME_CARE_CRITERIA = (
    Criterion("elderly", "老年人（60周岁以上）", "aged 60 or over", ("birth_date",), ELDERLY),
    Criterion("special_hardship", "特殊困难老年人", "an elderly person in special hardship", ("special_hardship",), HOME_CARE),
    Criterion("living_at_home", "居住在家", "living at home", ("living_at_home",), HOME_CARE),
)


def _home_care_formula(inputs: Inputs, out: pd.DataFrame) -> None:
    f = inputs
    age = age_on(f["birth_date"], f.date)
    out["x.age"] = age
    out["crit.elderly"] = boolean(age >= f.p("home_care_service.min_age"))
    out["crit.special_hardship"] = boolean(f["special_hardship"])
    out["crit.living_at_home"] = boolean(f["living_at_home"])
    out["amount"] = f.p("home_care_service.per_person_month").fillna(0.0)
    funding_to_level(f, out, out["amount"], "home_care_service.funding_level")


def _home_care_steps(row: Mapping) -> list[Step]:
    age = number(row['x.age'])
    return [Step(f"{age}岁：每人每月 {yuan(row['amount'])}，由{level_zh(row['x.funding_level'])}负担",
                 f"Aged {age}: {yuan_en(row['amount'])} per person per month, paid by "
                 f"{level_en(row['x.funding_level'])}")]
def _home_care_sentence(kind: str, facts: Mapping, answer: Mapping) -> tuple[str, str] | None:
    """A failed condition of 附件2 第3项 as the older person's family reads it: what the facts say, then whom the
    service is for; the age threshold as the answer cites it (老年人权益保障法 第二条, configurable)."""
    if kind == "elderly":
        minimum = used_parameter(answer, "home_care_service.min_age", 60)
        age = years_on(facts.get("birth_date"), answer["date"])
        if age is None:
            return None
        return (f"未满{minimum}周岁（按出生日期，今天{age}岁）：本服务面向{minimum}周岁以上的老年人",
                f"Under {minimum} (aged {age} today): the service is for people aged {minimum} or over")
    if kind == "special_hardship":
        return ("未认定为特殊困难老年人：本服务面向特殊困难老年人",
                "Not recognised as an elderly person in special hardship: the service is for elderly people in "
                "special hardship")
    if kind == "living_at_home":
        return ("未居住在家（如已入住养老机构）：本服务面向居住在家的老年人",
                "Not living at home (for example, living in a care institution): the service is for elderly people "
                "who live at home")
    return None


HOME_CARE_HOW_TO_APPLY = {
    # 附件2 第3项 names the service, the standard and 市民政局 as responsible, but not where to apply nor what to
    # bring: the reading below (where_* and bring_*) is ours, said as such beside it (interpretation_*).
    "where_zh": "本人或家属到户籍所在地乡镇人民政府（街道办事处）民政所提出申请，也可请村（居）民委员会协助提出。",
    "where_en": ("The person or their family applies at the civil-affairs office of the township government "
                 "(subdistrict office) of the place of hukou registration; the village or residents' committee can "
                 "help to file it."),
    "bring_zh": ("居民身份证", "户口本", "特殊困难情况的证明（如低保证、特困人员证、残疾人证等）"),
    "bring_en": ("the resident identity card", "the household register (hukou booklet)",
                 "proof of the special hardship (for example a minimum-living-allowance, extreme-poverty or "
                 "disability certificate)"),
    "after_zh": ("经民政部门核实符合条件的，由当地提供生活照料、康复护理、精神慰藉等居家养老服务（以上门服务形式提供，"
                 "不直接发放现金）。"),
    "after_en": ("Once civil affairs confirm the conditions, the locality provides home care services — daily care, "
                 "rehabilitation nursing and emotional support — as services at home, not as cash."),
    "interpretation_zh": ("文件只写明由市民政局负责，未写明申请地点和所需材料；本系统按民政服务的通常做法，理解为向户籍所在地"
                          "乡镇（街道）民政所申请，并携带身份和困难情况证明。各地另有规定的，以当地规定为准。"),
    "interpretation_en": ("The document names the city civil-affairs bureau as responsible but says "
                          "neither where to apply nor what to bring; we read it as civil-affairs services usually "
                          "work: apply at the township (subdistrict) civil-affairs office of the place of hukou, "
                          "with proof of identity and of the hardship. Local rules, where they exist, prevail."),
    "reference": Reference(JJ, "附件2 第3项", "为居住在家的特殊困难老年人提供生活照料、康复护理、精神慰藉等基本养老"
                           "服务……对符合条件的服务对象按照每人每月200元的标准提供居家养老服务（责任单位：市民政局）"),
}


register(Scheme(
    id="home_care_service",
    reasons=lambda answer: plain_reasons(answer, _home_care_sentence),
    how_to_apply=HOME_CARE_HOW_TO_APPLY,
    period="monthly",
    sector="elderly",
    in_force="home_care_service.per_person_month",
    title_zh="特殊困难老年人居家养老服务",
    title_en="Home care service for elderly people in special hardship",
    source=f"{JJ} 附件2 第3项",
    unit="CNY/month",
    facts=(
        fact("birth_date", "出生日期", "date", "date of birth"),
        fact("special_hardship", "特殊困难老年人", "boolean", "assessed as an elderly person in special hardship"),
        fact("living_at_home", "居住在家", "boolean", "lives at home (not in an institution)"),
    ),
    criteria=HOME_CARE_CRITERIA,
    formula=_home_care_formula,
    steps=_home_care_steps,
))


# ------------------------------------------------------------------------ elderly_institution_construction

CONSTRUCTION_CRITERIA = (
    Criterion("private_institution", "民办养老机构", "a private (non-government) institution", ("ownership",), ITEM13),
    Criterion("built_to_standard", "按标准建设、依规定运营", "built to standard and run as required", ("built_to_standard",), ITEM13),
    Criterion("central_city", "位于中心城区", "in the central city", ("in_central_city",), ITEM13_CITY, "city"),
    Criterion("non_profit", "非营利性养老机构", "a non-profit institution", ("ownership",), ITEM13_CITY, "city"),
    Criterion("min_beds", "30张床位以上", "30 beds or more", ("ordinary_beds", "nursing_beds", "premises"), ITEM13_CITY, "city"),
    Criterion("operating_one_year", "运营满一年", "operating for a year or more", ("opened_on", "premises"), ITEM13_CITY, "city"),
    Criterion("lease_term", "租赁用房、公建民营的租用期5年以上", "rented premises leased for 5 years or more", ("premises", "lease_years"), ITEM13_CITY, "city"),
)


def _construction_formula(inputs: Inputs, out: pd.DataFrame) -> None:
    f = inputs
    ordinary, nursing = f["ordinary_beds"].astype("Float64"), f["nursing_beds"].astype("Float64")
    leased = isin(f["premises"], LEASED)
    # 公建民营 institutions receive the policies of non-profit private ones (附件3 第17项)
    out["crit.private_institution"] = isin(f["ownership"], (*PRIVATE_NON_PROFIT, "private", "private_for_profit"))
    out["crit.built_to_standard"] = f["built_to_standard"]

    factor = f.p("elderly_institution_construction.province.leased_factor").where(leased, 1.0).mask(leased.isna())
    out["x.province_rate_ordinary"] = f.p("elderly_institution_construction.province.per_bed_ordinary")
    out["x.province_rate_nursing"] = f.p("elderly_institution_construction.province.per_bed_nursing")
    out["x.province_before_factor"] = ordinary * out["x.province_rate_ordinary"] + nursing * out["x.province_rate_nursing"]
    out["x.leased"] = leased
    out["x.factor"] = factor
    province = out["x.province_before_factor"] * factor

    city_defined = f.configured("elderly_institution_construction.city.per_bed_ordinary_owned")
    needs_size = ~leased | f.flag("elderly_institution_construction.city.leased_requires_size_and_operation").fillna(True)
    total_beds = ordinary + nursing
    out["x.total_beds"] = total_beds
    min_beds = f.p("elderly_institution_construction.city.min_beds")
    months = months_between(f["opened_on"], f.date)
    out["x.operating_months"] = months
    city_criteria = {
        "central_city": f["in_central_city"],
        "non_profit": isin(f["ownership"], PRIVATE_NON_PROFIT).mask(f["ownership"] == "private"),
        "min_beds": (total_beds >= min_beds) | ~needs_size,
        "operating_one_year": (months >= f.p("elderly_institution_construction.city.min_operating_months")) | ~needs_size,
        "lease_term": (f["lease_years"] >= f.p("elderly_institution_construction.city.min_lease_years")) | ~leased,
    }
    for name, value in city_criteria.items():  # outside Jiujiang there is no city top-up at all
        out[f"crit.{name}"] = boolean(value).where(city_defined, False)
    out["applies.min_beds"] = out["applies.operating_one_year"] = needs_size  # 租赁用房 may be exempt (configured)
    out["applies.lease_term"] = leased
    city_ok = out["crit.built_to_standard"] & out["crit.private_institution"]
    for name in city_criteria:
        city_ok = city_ok & out[f"crit.{name}"]
    out["x.city_eligible"] = city_ok

    def part(beds: pd.Series, kind: str) -> tuple[pd.Series, pd.Series, pd.Series]:
        owned_rate = f.p(f"elderly_institution_construction.city.per_bed_{kind}_owned")
        leased_rate = f.p(f"elderly_institution_construction.city.per_bed_{kind}_leased")
        owned_cap = f.p(f"elderly_institution_construction.city.cap_{kind}_owned")
        leased_cap = f.p(f"elderly_institution_construction.city.cap_{kind}_leased")
        rate = leased_rate.where(leased, owned_rate)
        cap = leased_cap.where(leased, owned_cap)
        raw = beds * rate
        return rate, cap, raw.where(raw <= cap, cap)

    for kind, beds in (("ordinary", ordinary), ("nursing", nursing)):
        rate, cap, capped = part(beds, kind)
        out[f"x.city_rate_{kind}"], out[f"x.city_cap_{kind}"], out[f"x.city_{kind}"] = rate, cap, capped
    city = (out["x.city_ordinary"] + out["x.city_nursing"]).where(city_ok, 0.0).mask(city_ok.isna())
    city = city.where(city_defined, 0.0)
    share = f.p("elderly_institution_construction.county.stack_share_of_province").fillna(0.0)
    out["x.county_share"] = share
    county = province * share
    out["fund.province"], out["fund.city"], out["fund.county"] = province, city, county
    out["amount"] = province + city + county


def _construction_steps(row: Mapping) -> list[Step]:
    ordinary, nursing = number(row['fact.ordinary_beds']), number(row['fact.nursing_beds'])
    steps = [Step(
        f"省级建设补助：普通型床位{ordinary}张、护理型床位{nursing}张，"
        f"按每张{yuan(row['x.province_rate_ordinary'])}、{yuan(row['x.province_rate_nursing'])}计 = {yuan(row['x.province_before_factor'])}",
        f"Provincial construction subsidy: {ordinary} ordinary and "
        f"{nursing} nursing beds at {yuan_en(row['x.province_rate_ordinary'])} and "
        f"{yuan_en(row['x.province_rate_nursing'])} a bed = {yuan_en(row['x.province_before_factor'])}")]
    if truth(row["x.leased"]):
        steps.append(Step(f"租赁用房或公建民营，减半（×{row['x.factor']}）= {yuan(row['fund.province'])}",
                          f"Rented or publicly built and privately run premises: halved (×{row['x.factor']}) = "
                          f"{yuan_en(row['fund.province'])}"))
    if truth(row["x.city_eligible"]):
        for kind, label, label_en in (("ordinary", "普通型", "ordinary"), ("nursing", "护理型", "nursing")):
            raw = (row[f"fact.{kind}_beds"] or 0) * (row[f"x.city_rate_{kind}"] or 0)
            capped = raw > (row[f"x.city_cap_{kind}"] or 0)
            beds = number(row[f'fact.{kind}_beds'])
            steps.append(Step(
                f"市级{label}：{beds}张×{yuan(row[f'x.city_rate_{kind}'])}，"
                f"上限{yuan(row[f'x.city_cap_{kind}'])} = {yuan(row[f'x.city_{kind}'])}{'（达到上限）' if capped else ''}",
                f"City, {label_en} beds: {beds} × {yuan_en(row[f'x.city_rate_{kind}'])}, "
                f"capped at {yuan_en(row[f'x.city_cap_{kind}'])} = {yuan_en(row[f'x.city_{kind}'])}"
                f"{' (the cap is reached)' if capped else ''}"))
    else:
        reasons = failed_criteria(row, CONSTRUCTION_CRITERIA, "city")
        reasons_en = failed_criteria_en(row, CONSTRUCTION_CRITERIA, "city")
        steps.append(Step(f"市级补助：{yuan(row['fund.city'])}" + (f"（{reasons}）" if reasons else ""),
                          f"City subsidy: {yuan_en(row['fund.city'])}" + (f" ({reasons_en})" if reasons_en else "")))
    share = percent(row['x.county_share'])
    steps.append(Step(f"县级叠加：省级补助×{share} = {yuan(row['fund.county'])}",
                      f"County top-up: the provincial subsidy × {share} = "
                      f"{yuan_en(row['fund.county'])}"))
    steps.append(Step(f"合计 = {yuan(row['amount'])}", f"Total = {yuan_en(row['amount'])}"))
    return steps


register(Scheme(
    id="elderly_institution_construction",
    period="once",
    sector="elderly",
    applicant="institution",
    in_force="elderly_institution_construction.province.per_bed_ordinary",
    title_zh="民办养老机构一次性建设补助",
    title_en="One-off construction subsidy for private elderly-care institutions",
    source=f"{JJ} 附件3 第13、16项",
    unit="CNY",
    facts=(
        fact("ownership", "机构性质", "text", "ownership of the institution", choices=v.OWNERSHIP),
        fact("premises", "用房方式", "text", "how the premises are held", choices=v.PREMISES),
        fact("ordinary_beds", "核定普通型床位", "integer", "approved ordinary beds", minimum=0),
        fact("nursing_beds", "核定护理型床位", "integer", "approved nursing beds", minimum=0),
        fact("built_to_standard", "按标准建设、依规定运营", "boolean", "built to standard and run as required"),
        fact("in_central_city", "位于中心城区", "boolean", "inside Jiujiang's central city"),
        fact("opened_on", "开始运营日期", "date", "date the institution started operating"),
        fact("lease_years", "租用年限", "number", "lease term in years (rented or public-built-private-run)", minimum=0),
    ),
    criteria=CONSTRUCTION_CRITERIA,
    formula=_construction_formula,
    steps=_construction_steps,
    amount_facts=("ordinary_beds", "nursing_beds", "premises"),
))


# --------------------------------------------------------------------------- elderly_institution_operation

OPERATION_CRITERIA = (
    Criterion("central_city", "位于市中心城区", "in the central city", ("in_central_city",), ITEM14),
    Criterion("non_profit", "非营利性养老机构", "a non-profit institution", ("ownership",), ITEM14),
    Criterion("built_to_standard", "按标准建设、依规定运营", "built to standard and run as required", ("built_to_standard",), ITEM14),
    Criterion("elderly", "老年人（60周岁以上）", "the resident is aged 60 or over", ("birth_date",), ELDERLY),
    Criterion("local_hukou", "本辖区户籍老年人", "a resident with local hukou", ("resident_local_hukou",), ITEM14),
    Criterion("not_government_supported", "不含政府供养对象", "not a government-supported person", ("government_supported",), ITEM14),
    Criterion("stay_one_month", "入住满一个月以上", "stayed a month or more", ("admitted_on",), ITEM14),
    Criterion("within_three_years", "补贴期限三年内", "within the three-year subsidy period", ("subsidy_started_on",), ITEM14),
)


def _operation_formula(inputs: Inputs, out: pd.DataFrame) -> None:
    f = inputs
    stay = months_between(f["admitted_on"], f.date)
    period = months_between(f["subsidy_started_on"], f.date)
    out["x.stay_months"], out["x.subsidy_months"] = stay, period
    out["x.max_subsidy_months"] = f.p("elderly_institution_operation.max_subsidy_months")
    age = age_on(f["birth_date"], f.date)
    out["x.age"] = age
    criteria = {
        "central_city": f["in_central_city"],
        "non_profit": f.isin_param(f["ownership"], "elderly_institution_operation.eligible_ownership"),
        "built_to_standard": f["built_to_standard"],
        "elderly": age >= f.p("elderly_institution_operation.min_age"),
        "local_hukou": f["resident_local_hukou"],
        "not_government_supported": ~f["government_supported"],
        "stay_one_month": stay >= f.p("elderly_institution_operation.min_stay_months"),
        "within_three_years": (period < f.p("elderly_institution_operation.max_subsidy_months")).fillna(True)
        .where(f["subsidy_started_on"].notna(), True),
    }
    for name, value in criteria.items():
        out[f"crit.{name}"] = boolean(value)
    out["applies.within_three_years"] = f["subsidy_started_on"].notna()  # a first claim has used none of the three years
    amount = f.p("elderly_institution_operation.per_bed_month").fillna(0.0)
    out["amount"] = amount
    funding_to_level(f, out, amount, "elderly_institution_operation.funding_level")


def _operation_steps(row: Mapping) -> list[Step]:
    paid = number(row['x.subsidy_months']) if pd.notna(row['x.subsidy_months']) else '0'
    return [
        Step(f"入住老年人{number(row['x.age'])}岁，入住{number(row['x.stay_months'])}个月；补贴已发放{paid}个月"
             f"（期限{number(row['x.max_subsidy_months'])}个月）",
             f"The resident is aged {number(row['x.age'])} and has stayed {number(row['x.stay_months'])} months; the "
             f"subsidy has been paid for {paid} months (of at most {number(row['x.max_subsidy_months'])})"),
        Step(f"每张床位每月 {yuan(row['amount'])}，由{level_zh(row['x.funding_level'])}负担",
             f"{yuan_en(row['amount'])} per bed per month, paid by {level_en(row['x.funding_level'])}"),
    ]


register(Scheme(
    id="elderly_institution_operation",
    period="monthly",
    sector="elderly",
    applicant="institution",
    in_force="elderly_institution_operation.per_bed_month",
    title_zh="非营利性养老机构床位运营补助",
    title_en="Bed operating subsidy for non-profit elderly-care institutions",
    source=f"{JJ} 附件3 第14项、第17项",
    unit="CNY/month",
    facts=(
        fact("in_central_city", "位于市中心城区", "boolean", "institution inside the central city"),
        fact("ownership", "机构性质", "text", "ownership of the institution", choices=v.OWNERSHIP),
        fact("built_to_standard", "按标准建设、依规定运营", "boolean", "built to standard and run as required"),
        fact("birth_date", "入住老年人出生日期", "date", "the resident's date of birth"),
        fact("resident_local_hukou", "本辖区户籍", "boolean", "the resident has local hukou"),
        fact("government_supported", "政府供养对象", "boolean", "the resident is supported by the government (extreme poverty and similar)"),
        fact("admitted_on", "入住日期", "date", "date the resident moved in"),
        fact("subsidy_started_on", "补贴起始日期", "date", "when the institution's bed subsidy first started (blank: first claim)"),
    ),
    criteria=OPERATION_CRITERIA,
    formula=_operation_formula,
    steps=_operation_steps,
))


# --------------------------------------------------------------------------------- community_care_center

COMMUNITY_COMPONENTS = {"construction": "建设补助", "operation": "运营补贴"}
COMMUNITY_CRITERIA = (
    Criterion("built_to_plan", "按规划和标准建设", "built to plan and standard", ("built_to_plan_and_standard",), ITEM15),
    Criterion("province_amount_in_range", "省级核定金额在10-20万元之间", "approved provincial amount within 100,000-200,000 CNY",
              ("province_approved_amount",), ITEM15),
    Criterion("operation_in_central_city", "运营补贴限中心城区", "operating subsidy only in the central city",
              ("component", "in_central_city"), ITEM15),
    Criterion("operating_six_months", "运营半年以上", "operating for six months or more", ("component", "opened_on"), ITEM15),
    Criterion("central_city", "中心城区（市级建设补助）", "central city (city construction subsidy)", ("in_central_city",), ITEM15, "city"),
)


def _within(amount: pd.Series, ranges: pd.Series) -> pd.Series:
    lows = ranges.map(lambda r: r.min if isinstance(r, Range) else np.nan).astype(float)
    highs = ranges.map(lambda r: r.max if isinstance(r, Range) else np.nan).astype(float)
    return boolean((amount >= lows) & (amount <= highs)).where(amount.notna(), True)


def _range_floor(ranges: pd.Series) -> pd.Series:
    return ranges.map(lambda r: r.min if isinstance(r, Range) else (r if r is not None else np.nan)).astype("Float64")


def _community_formula(inputs: Inputs, out: pd.DataFrame) -> None:
    f = inputs
    component = f["component"]
    construction, operation = component == "construction", component == "operation"
    province_range = f.p("community_care_center.province.construction")
    city_range = f.p("community_care_center.city.construction")
    months = months_between(f["opened_on"], f.date)
    out["x.operating_months"] = months
    out["crit.built_to_plan"] = f["built_to_plan_and_standard"]
    out["crit.province_amount_in_range"] = _within(f["province_approved_amount"].astype(float), province_range) \
        .where(construction.fillna(False), True)
    out["crit.operation_in_central_city"] = boolean(f["in_central_city"]).where(operation, True).mask(component.isna())
    out["crit.operating_six_months"] = boolean(months >= f.p("community_care_center.city.min_operating_months")) \
        .where(operation, True).mask(component.isna())
    city_defined = city_range.notna()
    out["crit.central_city"] = boolean(f["in_central_city"]).where(city_defined, False)
    out["applies.province_amount_in_range"] = construction
    out["applies.operation_in_central_city"] = operation
    out["applies.operating_six_months"] = operation
    out["applies.central_city"] = construction

    province = f["province_approved_amount"].astype("Float64").fillna(_range_floor(province_range))
    out["x.province_is_floor"] = f["province_approved_amount"].isna()
    city_construction = f["city_approved_amount"].astype("Float64").fillna(_range_floor(city_range))
    out["x.city_is_floor"] = f["city_approved_amount"].isna()
    city_construction = city_construction.where(out["crit.central_city"], 0.0).mask(out["crit.central_city"].isna())
    city_operation = f.p("community_care_center.city.operation_per_year").fillna(0.0)
    city = city_construction.where(construction, city_operation)
    share = f.p("community_care_center.district.match_share_of_city")
    is_district = share.notna()
    topup = f.p("community_care_center.county.construction_topup")
    out["x.is_district"] = is_district
    out["x.county_not_configured"] = ~is_district & topup.isna() & construction.fillna(False)
    county = (city * share).where(is_district, topup.fillna(0.0).where(construction, 0.0))
    out["fund.province"] = province.where(construction, 0.0)
    out["fund.city"] = city
    out["fund.county"] = county
    out["amount"] = out["fund.province"] + out["fund.city"] + out["fund.county"]
    out["x.component"] = component


def _community_steps(row: Mapping) -> list[Step]:
    steps = []
    if row["x.component"] == "construction":
        floor = row["x.province_is_floor"]
        steps.append(Step(f"省级建设补助：{yuan(row['fund.province'])}{'（未填核定金额，按区间下限计）' if floor else ''}",
                          f"Provincial construction subsidy: {yuan_en(row['fund.province'])}"
                          f"{' (no approved amount entered: the lower end of the range)' if floor else ''}"))
        city_floor = row["x.city_is_floor"] and row["fund.city"]
        steps.append(Step(f"市级建设补助（中心城区）：{yuan(row['fund.city'])}{'（未填核定金额，按区间下限计）' if city_floor else ''}",
                          f"City construction subsidy (central city): {yuan_en(row['fund.city'])}"
                          f"{' (no approved amount entered: the lower end of the range)' if city_floor else ''}"))
    else:
        steps.append(Step(f"运营{number(row['x.operating_months'])}个月，市级运营补贴每年 {yuan(row['fund.city'])}",
                          f"Operating for {number(row['x.operating_months'])} months: the city's operating subsidy is "
                          f"{yuan_en(row['fund.city'])} a year"))
    if truth(row["x.is_district"]):
        steps.append(Step(f"区级按不低于市级补助的标准奖补：{yuan(row['fund.county'])}",
                          f"The district adds at least the city's subsidy: {yuan_en(row['fund.county'])}"))
    elif truth(row["x.county_not_configured"]):
        steps.append(Step("县（市）叠加建设补贴由各地自行确定，当前未配置，按0计",
                          "The county sets its own construction top-up; none is configured, so it counts as 0"))
    else:
        steps.append(Step(f"县级：{yuan(row['fund.county'])}", f"County: {yuan_en(row['fund.county'])}"))
    steps.append(Step(f"合计 = {yuan(row['amount'])}", f"Total = {yuan_en(row['amount'])}"))
    return steps


register(Scheme(
    id="community_care_center",
    period="once",
    periods={"construction": "once", "operation": "yearly"},
    sector="elderly",
    applicant="institution",
    in_force="community_care_center.province.construction",
    title_zh="城乡社区居家养老服务中心（站）建设和运营补助",
    title_en="Construction and operating subsidies for community home-care centres",
    source=f"{JJ} 附件3 第15项",
    unit="CNY",
    facts=(
        fact("component", "补助类别", "text", "construction (one-off) or operation (per year)", choices=COMMUNITY_COMPONENTS),
        fact("built_to_plan_and_standard", "按规划和标准建设", "boolean", "built to plan and standard"),
        fact("in_central_city", "位于中心城区", "boolean", "inside Jiujiang's central city"),
        fact("opened_on", "开始运营日期", "date", "when the centre started operating (for the operating subsidy)"),
        fact("province_approved_amount", "省级核定建设补助", "number", "amount the province approved (100,000-200,000 CNY)", minimum=0),
        fact("city_approved_amount", "市级核定建设补助", "number", "amount the city approved (50,000-100,000 CNY)", minimum=0),
    ),
    criteria=COMMUNITY_CRITERIA,
    formula=_community_formula,
    steps=_community_steps,
    amount_facts=("component",),
    unit_fact="component",
    units={"construction": "CNY", "operation": "CNY/year"},
))


# -------------------------------------------------------------------- elderly_disability_care_operation

CARE_OPERATION_CRITERIA = (
    Criterion("elderly", "老年人（60周岁以上）", "aged 60 or over", ("birth_date",), ELDERLY),
    Criterion("disabled_or_semi", "失能或半失能", "disabled or semi-disabled", ("care_level",), ITEM16),
)


def _care_operation_formula(inputs: Inputs, out: pd.DataFrame) -> None:
    f = inputs
    age = age_on(f["birth_date"], f.date)
    out["x.age"] = age
    out["crit.elderly"] = boolean(age >= f.p("elderly_disability_care_operation.min_age"))
    out["crit.disabled_or_semi"] = isin(f["care_level"], ("disabled", "semi_disabled"))
    disabled = f.p("elderly_disability_care_operation.per_disabled_resident_month")
    semi = f.p("elderly_disability_care_operation.per_semi_disabled_resident_month")
    amount = select([f["care_level"] == "disabled"], [disabled], default=semi)
    out["amount"] = amount.where(f["care_level"].notna())
    funding_to_level(f, out, out["amount"], "elderly_disability_care_operation.funding_level")


def _care_operation_steps(row: Mapping) -> list[Step]:
    level = v.CARE_LEVEL.get(row["fact.care_level"], "—")
    return [Step(f"{number(row['x.age'])}岁，{level}：每人每月 {yuan(row['amount'])}（不低于标准），"
                 f"由{level_zh(row['x.funding_level'])}负担",
                 f"Aged {number(row['x.age'])}, {english(row['fact.care_level'])}: {yuan_en(row['amount'])} per person "
                 f"per month (not below the standard), paid by {level_en(row['x.funding_level'])}")]


register(Scheme(
    id="elderly_disability_care_operation",
    period="monthly",
    sector="elderly",
    applicant="institution",
    in_force="elderly_disability_care_operation.per_disabled_resident_month",
    title_zh="养老机构失能、半失能老年人运营补贴",
    title_en="Operating subsidy for disabled and semi-disabled residents of elderly-care institutions",
    source=f"{JJ} 附件3 第16项",
    unit="CNY/month",
    facts=(
        fact("birth_date", "出生日期", "date", "the resident's date of birth"),
        fact("care_level", "失能等级", "text", "care level of the resident", choices=v.CARE_LEVEL),
    ),
    criteria=CARE_OPERATION_CRITERIA,
    formula=_care_operation_formula,
    steps=_care_operation_steps,
    amount_facts=("care_level",),
))


# ------------------------------------------------------------------------------ supported_elderly_placement

SUPPORTED_CATEGORIES = {"urban_sanwu": "城镇“三无”老人", "rural_wubao": "农村“五保”老人", "lonely_entitled": "孤老优抚对象"}
SUPPORTED_CATEGORIES_EN = {"urban_sanwu": "An urban elderly person without family support (sanwu)",
                           "rural_wubao": "A rural five-guarantee elderly person (wubao)",
                           "lonely_entitled": "A lonely elderly person of the entitled groups"}
PLACEMENT_CRITERIA = (
    Criterion("non_profit_private", "非营利性民办养老机构（含公建民营）", "a non-profit private (or public-built, privately run) institution",
              ("ownership",), ITEM17),
    Criterion("supported_category", "城镇“三无”老人、农村“五保”老人或孤老优抚对象",
              "an urban elderly person without family support (sanwu), a rural five-guarantee (wubao) or a lonely entitled elderly person", ("person_category",), ITEM17),
    Criterion("elderly", "老年人（60周岁以上）", "aged 60 or over", ("birth_date",), ELDERLY),
    Criterion("local_person", "本辖区（“特区内”）的对象", "a person of the jurisdiction", ("local_person",), ITEM17),
)


def _placement_formula(inputs: Inputs, out: pd.DataFrame) -> None:
    f = inputs
    age = age_on(f["birth_date"], f.date)
    out["x.age"] = age
    out["crit.non_profit_private"] = f.isin_param(f["ownership"], "supported_elderly_placement.eligible_ownership")
    out["crit.supported_category"] = isin(f["person_category"], SUPPORTED_CATEGORIES)
    out["crit.elderly"] = boolean(age >= f.p("elderly_institution_operation.min_age"))
    required = f.flag("supported_elderly_placement.local_person_required").fillna(True)
    out["crit.local_person"] = boolean(f["local_person"]).where(required, True)
    out["applies.local_person"] = required
    urban, care = f["area"] == "urban", f["care_level"]
    cared = isin(care, ("disabled", "semi_disabled")).fillna(False)  # unknown care level: the amount stays unknown below
    support = select(
        [urban, ~urban & cared, ~urban & ~cared],
        [f.p("supported_elderly_placement.support_month.urban"),
         f.p("supported_elderly_placement.support_month.rural_disabled_or_semi"),
         f.p("supported_elderly_placement.support_month.rural")]) \
        .mask(f["area"].isna() | (~urban & care.isna()))
    care_part = select(
        [care == "disabled", care == "semi_disabled", care == "independent"],
        [f.p("supported_elderly_placement.care_month.disabled"), f.p("supported_elderly_placement.care_month.semi_disabled"),
         f.p("supported_elderly_placement.care_month.independent")]) \
        .mask(care.isna())
    out["x.support"], out["x.care"] = support, care_part
    out["amount"] = support + care_part
    funding_to_level(f, out, out["amount"], "supported_elderly_placement.funding_level")


def _placement_steps(row: Mapping) -> list[Step]:
    area = v.AREA.get(row["fact.area"], "—")
    level = v.CARE_LEVEL.get(row["fact.care_level"], "—")
    category = row["fact.person_category"]
    return [Step(f"{SUPPORTED_CATEGORIES.get(category, '—')}，{area}，{level}：供养标准{yuan(row['x.support'])}"
                 f" + 护理标准{yuan(row['x.care'])} = 每人每月{yuan(row['amount'])}",
                 f"{SUPPORTED_CATEGORIES_EN.get(category, '—')}, {english(row['fact.area'])}, "
                 f"{english(row['fact.care_level'])}: support standard {yuan_en(row['x.support'])} + care standard "
                 f"{yuan_en(row['x.care'])} = {yuan_en(row['amount'])} per person per month"),
            Step(f"由{level_zh(row['x.funding_level'])}财政按实际安置人数直接拨付给养老机构",
                 f"Paid by {level_en(row['x.funding_level'])}'s finance directly to the institution, by the number of "
                 f"people actually placed")]


register(Scheme(
    id="supported_elderly_placement",
    period="monthly",
    sector="elderly",
    applicant="institution",
    in_force="supported_elderly_placement.support_month.urban",
    title_zh="民办养老机构安置“三无”“五保”老人和孤老优抚对象补贴",
    title_en="Payment to private homes housing sanwu, wubao and lonely entitled elderly people",
    source=f"{JJ} 附件3 第17项",
    unit="CNY/month",
    facts=(
        fact("ownership", "机构性质", "text", "ownership of the institution", choices=v.OWNERSHIP),
        fact("person_category", "安置对象类别", "text", "category of the person placed", choices=SUPPORTED_CATEGORIES),
        fact("birth_date", "安置对象出生日期", "date", "the person's date of birth"),
        fact("local_person", "本辖区对象", "boolean", "the person is one of the jurisdiction's own"),
        fact("area", "城乡", "text", "urban or rural support standard", choices=v.AREA),
        fact("care_level", "失能等级", "text", "care level of the resident", choices=v.CARE_LEVEL),
    ),
    criteria=PLACEMENT_CRITERIA,
    formula=_placement_formula,
    steps=_placement_steps,
    amount_facts=("area", "care_level"),
))


# ---------------------------------------------------------------------------------- childcare_construction

CHILDCARE_CONSTRUCTION_CRITERIA = (
    Criterion("planning_or_construction", "托育机构规划建设期间", "during planning or construction",
              ("in_planning_or_construction",), ITEM22),
)


def _childcare_construction_formula(inputs: Inputs, out: pd.DataFrame) -> None:
    f = inputs
    new = f["construction"] == "new"
    urban = f["area"] == "urban"
    rate = select(
        [new & urban, new & ~urban, ~new & urban, ~new & ~urban],
        [f.p("childcare_construction.per_slot.urban_new"), f.p("childcare_construction.per_slot.rural_new"),
         f.p("childcare_construction.per_slot.urban_expansion"), f.p("childcare_construction.per_slot.rural_expansion")],
    ).mask(f["construction"].isna() | f["area"].isna())
    out["crit.planning_or_construction"] = boolean(f["in_planning_or_construction"])
    total = f["slots_added"].astype("Float64") * rate
    out["x.rate"], out["x.total"] = rate, total
    out["x.city_share"] = f.p("childcare_construction.city_share")
    out["x.county_share"] = f.p("childcare_construction.county_share")
    city = total * out["x.city_share"]
    standard_county = total * out["x.county_share"]
    public = f["government_or_joint_investment"].fillna(False)
    out["x.county_set_locally"] = public
    county = standard_county.where(~public, f["county_part_agreed"].astype("Float64"))
    out["fund.city"], out["fund.county"] = city, county
    out["amount"] = city + county


def _childcare_construction_steps(row: Mapping) -> list[Step]:
    kind = v.CONSTRUCTION.get(row["fact.construction"], "—")
    area = v.AREA.get(row["fact.area"], "—")
    steps = [Step(f"{area}{kind}：新增托位{number(row['fact.slots_added'])}个×{yuan(row['x.rate'])} = {yuan(row['x.total'])}",
                  f"{english(row['fact.area']).capitalize()}, {english(row['fact.construction'])}: "
                  f"{number(row['fact.slots_added'])} places added × {yuan_en(row['x.rate'])} = "
                  f"{yuan_en(row['x.total'])}"),
             Step(f"市级负担{percent(row['x.city_share'])} = {yuan(row['fund.city'])}",
                  f"The city pays {percent(row['x.city_share'])} = {yuan_en(row['fund.city'])}")]
    if truth(row["x.county_set_locally"]):
        steps.append(Step(f"政府投资或公民合资：县（区）配套由当地确定或双方协商 = {yuan(row['fund.county'])}",
                          f"Government or public-private investment: the county's part is set locally or agreed = "
                          f"{yuan_en(row['fund.county'])}"))
    else:
        steps.append(Step(f"县（区）负担{percent(row['x.county_share'])} = {yuan(row['fund.county'])}",
                          f"The county pays {percent(row['x.county_share'])} = {yuan_en(row['fund.county'])}"))
    steps.append(Step(f"合计 = {yuan(row['amount'])}", f"Total = {yuan_en(row['amount'])}"))
    return steps


register(Scheme(
    id="childcare_construction",
    period="once",
    payers=(CITY, COUNTY),
    sector="childcare",
    applicant="institution",
    in_force="childcare_construction.city_share",
    title_zh="托育机构一次性建设资金补助",
    title_en="One-off construction subsidy per childcare place",
    source=f"{JJ} 附件3 第22项",
    unit="CNY",
    facts=(
        fact("area", "城乡", "text", "urban or rural", choices=v.AREA),
        fact("construction", "建设性质", "text", "kind of construction", choices=v.CONSTRUCTION),
        fact("slots_added", "新增托位数", "integer", "places added (all places for a new institution)", minimum=0),
        fact("in_planning_or_construction", "处于规划建设期间", "boolean", "the institution is being planned or built"),
        fact("government_or_joint_investment", "政府投资或公民合资", "boolean", "government-invested or public-private"),
        fact("county_part_agreed", "县（区）配套金额", "number", "county part set locally (government or joint investment)", minimum=0),
    ),
    criteria=CHILDCARE_CONSTRUCTION_CRITERIA,
    formula=_childcare_construction_formula,
    steps=_childcare_construction_steps,
    amount_facts=("area", "construction", "slots_added", "county_part_agreed"),
))


# ------------------------------------------------------------------------------------ childcare_operation

CHILDCARE_OPERATION_CRITERIA = (
    Criterion("inclusive_institution", "普惠托育机构（签订普惠协议）", "an inclusive (affordable) childcare institution", ("inclusive",), PUHUI),
    Criterion("fee_within_guidance", "按照当地政府普惠指导价招收", "enrols at the local government's guide price for inclusive childcare",
              ("monthly_fee", "local_inclusive_price"), ITEM23),
)
# 三（二） "力争达到…80%" is a target for the county's price line, not a condition on the nursery (第23项's condition
# is the guide price): a guide price above the share is said, and the subsidy is still paid.
CHILDCARE_OPERATION_ADVISORIES = (
    Criterion("guidance_above_market_share", "普惠指导价高于当地同等服务市场平均价格的80%",
              "the inclusive guide price is above 80% of the local market average",
              ("local_inclusive_price", "market_average_fee"), PRICE),
)


def _childcare_operation_formula(inputs: Inputs, out: pd.DataFrame) -> None:
    f = inputs
    out["crit.inclusive_institution"] = boolean(f["inclusive"])
    out["crit.fee_within_guidance"] = boolean(f["monthly_fee"] <= f["local_inclusive_price"])
    share = f.p("childcare_operation.max_price_share_of_market")
    limit = f["market_average_fee"] * share
    out["x.price_limit"], out["x.price_share"] = limit, share
    out["warn.guidance_above_market_share"] = boolean(f["local_inclusive_price"] > limit).fillna(False)
    per_child = f.p("childcare_operation.per_child_month")
    out["x.per_child"] = per_child
    out["amount"] = f["enrolled_under_3"].astype("Float64") * per_child
    funding_to_level(f, out, out["amount"], "childcare_operation.funding_level")


def _childcare_operation_steps(row: Mapping) -> list[Step]:
    steps = [Step(f"实际收托{number(row['fact.enrolled_under_3'])}人×每人每月{yuan(row['x.per_child'])} = {yuan(row['amount'])}，"
                  f"由{level_zh(row['x.funding_level'])}负担",
                  f"{number(row['fact.enrolled_under_3'])} children enrolled × {yuan_en(row['x.per_child'])} per child "
                  f"per month = {yuan_en(row['amount'])}, paid by {level_en(row['x.funding_level'])}")]
    if truth(row["warn.guidance_above_market_share"]):
        steps.append(Step(f"提示：普惠指导价{yuan(row['fact.local_inclusive_price'])}高于市场平均价的{percent(row['x.price_share'])}"
                          f"（{yuan(row['x.price_limit'])}），不影响本项补助",
                          f"Note: the inclusive guide price {yuan_en(row['fact.local_inclusive_price'])} is above "
                          f"{percent(row['x.price_share'])} of the market average ({yuan_en(row['x.price_limit'])}); "
                          f"this subsidy is paid all the same"))
    return steps


register(Scheme(
    id="childcare_operation",
    period="monthly",
    sector="childcare",
    applicant="institution",
    in_force="childcare_operation.per_child_month",
    title_zh="普惠托育机构保育费补助",
    title_en="Operating subsidy per child for inclusive childcare institutions",
    source=f"{JJ} 附件3 第23项、三（二）",
    unit="CNY/month",
    facts=(
        fact("inclusive", "普惠托育机构", "boolean", "has an inclusive-childcare (affordable) agreement with the county"),
        fact("monthly_fee", "月收费（元）", "number", "the institution's monthly fee", minimum=0),
        fact("local_inclusive_price", "当地普惠指导价（元/月）", "number", "the county's guidance price for inclusive childcare", minimum=0),
        fact("market_average_fee", "当地同等服务市场平均价（元/月）", "number", "local market average (optional)", minimum=0),
        fact("enrolled_under_3", "实际收托3岁以下婴幼儿数", "integer", "children under 3 actually enrolled this month", minimum=0),
    ),
    criteria=CHILDCARE_OPERATION_CRITERIA,
    advisories=CHILDCARE_OPERATION_ADVISORIES,
    formula=_childcare_operation_formula,
    steps=_childcare_operation_steps,
    amount_facts=("enrolled_under_3",),
))
