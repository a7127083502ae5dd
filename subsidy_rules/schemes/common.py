"""What the schemes of every document share: funding to a level, the failed-criteria text, level names."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

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


def level_zh(level) -> str:
    return {"province": "省级", "city": "市级", "county": "县级"}.get(level, "未配置的层级")
