"""What the schemes of every document share: funding to a level, the failed-criteria text, level names, the words
of the steps in both languages (subsidy_rules.steps.Step), and the pre-check's plain sentences for applicants (the
loop over the failed conditions, a parameter as the answer cites it, the age from the birth date)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

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
# ------------------------------------------------------------------- the pre-check's words for applicants


def used_parameter(answer: Mapping, name: str, default=None):
    """A parameter's value as the explained answer cites it (``default`` where the formula did not use it), so a
    sentence quotes the value in force where the person lives, not the document's."""
    return next((p["value"] for p in answer.get("parameters") or () if p["name"] == name), default)


def years_on(birth, on) -> int | None:
    """Full years from a birth date (ISO text or date) to the answer's date."""
    if not birth:
        return None
    b, d = dt.date.fromisoformat(str(birth)[:10]), dt.date.fromisoformat(str(on)[:10])
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


Sentence = Callable[[str, Mapping, Mapping], "tuple[str, str] | None"]


def plain_reasons(answer: Mapping, sentence: Sentence) -> list[dict]:
    """One plain sentence per failed, applicable condition of an explained answer: ``sentence(criterion id, the
    facts it used, the answer)`` words it as (zh, en), or None where no sentence fits — then the condition itself
    ("不符合：<title>"), so a family is never left without a reason."""
    reasons = []
    for criterion in answer.get("criteria") or ():
        if criterion["passed"] is not False or not criterion.get("applicable", True):
            continue
        worded = sentence(criterion["id"], criterion.get("facts") or {}, answer)
        zh, en = worded or (f"不符合：{criterion['title_zh']}", f"Not met: {criterion['title_en']}")
        reasons.append({"criterion": criterion["id"], "zh": zh, "en": en})
    return reasons
