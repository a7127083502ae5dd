"""What the schemes of every document share: funding to a level, the failed-criteria text, level names, and the
words of the steps in both languages (subsidy_rules.steps.Step)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from care_services.vocabulary import ENGLISH
from subsidy_rules.engine import Criterion, Inputs, falsity

LEVELS = ("province", "city", "county")


def funding_to_level(inputs: Inputs, out: pd.DataFrame, amount: pd.Series, parameter: str) -> None:
    """Put the whole amount on the level a parameter names (province / city / county)."""
    level = inputs.p(parameter)
    for name in LEVELS:
        out[f"fund.{name}"] = amount.where(level == name, 0.0)
    out["x.funding_level"] = level


def failed_criteria(row: Mapping, scheme_criteria: tuple[Criterion, ...], component: str) -> str:
    titles = [c.title_zh for c in scheme_criteria if c.component == component and falsity(row[f"crit.{c.id}"])]
    unknown = [c.title_zh for c in scheme_criteria if c.component == component and pd.isna(row[f"crit.{c.id}"])]
    return "；".join([*(f"不符合：{t}" for t in titles), *(f"待确认：{t}" for t in unknown)])


def failed_criteria_en(row: Mapping, scheme_criteria: tuple[Criterion, ...], component: str) -> str:
    titles = [c.title_en for c in scheme_criteria if c.component == component and falsity(row[f"crit.{c.id}"])]
    unknown = [c.title_en for c in scheme_criteria if c.component == component and pd.isna(row[f"crit.{c.id}"])]
    return "; ".join([*(f"not met: {t}" for t in titles), *(f"to be confirmed: {t}" for t in unknown)])


def level_zh(level) -> str:
    return {"province": "省级", "city": "市级", "county": "县级"}.get(level, "未配置的层级")


def level_en(level) -> str:
    return {"province": "the province", "city": "the city", "county": "the county"}.get(level, "a level not configured")


def yuan_en(value) -> str:
    """An amount in an English step: 1,234.5 -> 'CNY 1,234.50' (as yuan() writes '1,234.50元'). The values of a
    row are floats, None or pd.NA: checked without pd.isna, since every answer's steps call this several times."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—"
    return f"CNY {float(value):,.2f}"


def english(value, missing: str = "—") -> str:
    """A stored value of the vocabularies (care_services.vocabulary) in an English step."""
    return missing if value is None or (not isinstance(value, str) and pd.isna(value)) \
        else ENGLISH.get(value, str(value).replace("_", " "))
