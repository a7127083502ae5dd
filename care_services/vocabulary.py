"""Controlled vocabularies: stored value (English) -> label officials write (Simplified Chinese).

Databases and code use the English values; spreadsheets and pages show the Chinese labels. Readers accept
either, so an English-speaking user can fill a template too.
"""

DIVISION_LEVEL = {
    "province": "省",
    "city": "市",
    "county": "县（市、区）",
    "township": "乡（镇、街道）",
}

OWNERSHIP = {
    "public": "公办",
    "private": "民办",  # the project list only says 民办 (or 私企) without the non-profit distinction
    "private_non_profit": "民办非营利",
    "private_for_profit": "民办营利",
    "public_built_private_run": "公建民营",  # 九府办字[2022]113号 附件3 第17项: treated as 民办非营利
}

PREMISES = {
    "self_built": "自建",
    "purchased": "购买",
    "rented": "租赁",
    "public_built_private_run": "公建民营",
}

CONSTRUCTION = {
    "new": "新建",
    "renovation": "改建",
    "expansion": "扩建",
    "renovation_expansion": "改扩建",
}

PROJECT_KIND = {"elderly": "养老", "childcare": "托育"}

AREA = {"urban": "城市", "rural": "农村"}

PLAN_DOMAIN = {"elderly": "养老", "childcare": "托育"}

INDICATOR_NATURE = {"binding": "约束性", "expected": "预期性"}

DISABILITY_CATEGORY = {
    "visual": "视力",
    "hearing": "听力",
    "speech": "言语",
    "physical": "肢体",
    "intellectual": "智力",
    "mental": "精神",
    "multiple": "多重",
}

CARE_LEVEL = {"independent": "自理", "semi_disabled": "半失能", "disabled": "失能"}

# 宜府办发〔2023〕20号 四: 居家照护、日间照料和机构托养中的一种服务类别.
SERVICE_TYPE = {
    "home_care": "居家照护",
    "day_care": "日间照料",
    "institutional_care": "机构托养",
}

BOOLEAN = {True: "是", False: "否"}

# 《审批表》 申请方式: □本人，□监护人，□照护机构.
APPLIED_BY = {"applicant": "本人", "guardian": "监护人", "care_institution": "照护机构"}

# 宜府办发〔2023〕20号 四（三）: 托养机构 — the public elderly-care institutions are reviewed by civil affairs.
INSTITUTION_TYPE = {
    "comprehensive_disability": "残疾人综合托养机构",
    "private": "民办托养机构",
    "public_elderly": "公办养老机构",
}

PAYROLL_STATUS = {"draft": "草稿", "closed": "已关账"}

# The stored values above in English, for English pages and the schemes' English steps (web/i18n.py adds the
# workflow's states and the schemes' own choices). Keys are unique across the vocabularies; where two share a key
# (private: 民办, 民办托养机构) the English word is the same.
ENGLISH = {
    "home_care": "home care", "day_care": "day care", "institutional_care": "institutional care",
    "comprehensive_disability": "comprehensive disability care institution", "private": "private",
    "public_elderly": "public elderly-care institution",
    "applicant": "the applicant", "guardian": "guardian", "care_institution": "care institution",
    "urban": "urban", "rural": "rural",
    "visual": "visual", "hearing": "hearing", "speech": "speech", "physical": "physical",
    "intellectual": "intellectual", "mental": "mental", "multiple": "multiple",
    "independent": "independent", "semi_disabled": "partly disabled", "disabled": "disabled",
    "public": "public", "private_non_profit": "private non-profit", "private_for_profit": "private for-profit",
    "public_built_private_run": "publicly built, privately run",
    "self_built": "self-built", "purchased": "purchased", "rented": "rented",
    "new": "new build", "renovation": "renovation", "expansion": "expansion",
    "renovation_expansion": "renovation and expansion",
    "elderly": "elderly care", "childcare": "childcare",
    "binding": "binding", "expected": "expected",
    "draft": "draft", "closed": "closed",
    "province": "province", "city": "city", "county": "county", "township": "township",
}

# Units as the parameters and schemes spell them (English, for the data), shown in Chinese on pages and workbooks.
UNIT = {
    "CNY": "元", "CNY/month": "元/月", "CNY/year": "元/年", "CNY/bed": "元/床", "CNY/place": "元/个托位",
    "beds": "张", "places per 1,000 residents": "个/千人", "months": "个月", "years": "年", "share": "比例",
    "level": "级", "grades": "级", "activities": "项", "categories": "类", "ownerships": "类", "funds": "项资金",
    "flag": "标记", "code": "代码",
}

# The entities a workbook imports and exports, in loading order (parents before children): the keys of
# care_services.model.ENTITY_MODELS (tests/test_cli.py holds them equal), named here without SQLAlchemy so the
# command line's parser knows them at start-up and `carecalc evaluate` never imports the database layer.
ENTITIES = ("divisions", "population", "plan_indicators", "supply", "elderly_institutions", "childcare_institutions",
            "projects", "people")
