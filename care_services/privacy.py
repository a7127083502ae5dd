"""Masking personal data for what is published or printed (宜府办发〔2023〕20号 五（五）: “公示中应当保护个人隐私，
不得公开与申请无关的信息”).

The notice shows a name with its given name masked (张** / 欧阳**), never an ID number, a disability category or
grade, or an assessment; payment rolls show bank accounts with all but the last four digits masked.
"""

from __future__ import annotations

# Two-character compound surnames seen in Jiangxi and nationwide; a name starting with one keeps both characters.
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
                     "夏侯", "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门")


def mask_name(name: str | None) -> str:
    """张三 → 张*, 李小明 → 李**, 欧阳娜娜 → 欧阳**; a one-character or blank name becomes *."""
    text = (name or "").strip()
    if len(text) <= 1:
        return "*"
    keep = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:keep] + "*" * (len(text) - keep)


def mask_account(account: str | None) -> str:
    """6222 0212 3456 7890 → ************7890 (spaces and dashes dropped)."""
    digits = "".join(ch for ch in (account or "") if ch.isalnum())
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_id_number(number: str | None) -> str:
    """For internal lists only (the public notice shows no ID at all): 3609021960******1X → first 6 and last 2."""
    text = (number or "").strip()
    if len(text) < 8:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 8) + text[-2:]
