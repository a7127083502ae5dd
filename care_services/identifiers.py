"""Identifier rules: administrative division codes, resident ID numbers and disability certificate numbers.

Sources (see ../shared/data/README.md):
- GB/T 2260: six-digit codes, two digits each for province, city and county (``360000`` 江西省,
  ``360400`` 九江市, ``360402`` 濂溪区). Township-level units are not in GB/T 2260; they carry the nine-digit
  statistical code of GB/T 10114 (county code + three digits), which is what we accept for them.
- GB 11643-1999: 18 characters = 6-digit address code, 8-digit birth date, 3-digit sequence (odd male, even
  female), check character by ISO 7064 MOD 11-2.
- 第二代残疾人证 (China Disabled Persons' Federation): the certificate number is the holder's 18-character ID
  number followed by one digit for the category and one for the grade.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Collection

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"

# 残疾类别代码 as printed in the certificate number (第二代残疾人证).
DISABILITY_CATEGORY_CODES = {
    "1": "visual",
    "2": "hearing",
    "3": "speech",
    "4": "physical",
    "5": "intellectual",
    "6": "mental",
    "7": "multiple",
}

_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: other scripts' digits are normalised first (NFKC)
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)  # nobody alive was born earlier; 0001-01-01 is a typing error


class IdentifierError(ValueError):
    """A malformed identifier; ``reason_zh`` and ``reason_en`` are shown to users."""

    def __init__(self, reason_zh: str, reason_en: str):
        super().__init__(f"{reason_zh} / {reason_en}")
        self.reason_zh = reason_zh
        self.reason_en = reason_en


def division_level(code: str) -> str:
    """Return province / city / county / township for a well-formed division code."""
    if not re.fullmatch(r"\d{6}|\d{9}", code or ""):
        raise IdentifierError(
            f"行政区划代码应为6位（省、市、县）或9位（乡级）数字，实际为“{code}”",
            f"a division code has 6 digits (province, city, county) or 9 (township), got '{code}'",
        )
    if len(code) == 9:
        return "township"
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def code_prefix(code: str) -> str:
    """What every code inside a division starts with: 360000 → 36, 360900 → 3609, 360902 → 360902."""
    level = division_level(code)
    return {"province": code[:2], "city": code[:4]}.get(level, code)


def within(code: str, jurisdiction: str) -> bool:
    """Whether the division ``code`` lies in (or is) the division ``jurisdiction``."""
    return code.startswith(code_prefix(jurisdiction))


def parent_division_code(code: str) -> str | None:
    """The code of the unit one level up, as implied by the code itself (None for a province)."""
    level = division_level(code)
    if level == "township":
        return code[:6]
    if level == "county":
        return code[:4] + "00"
    if level == "city":
        return code[:2] + "0000"
    return None


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARACTERS[total % 11]


def validate_resident_id(value: str) -> str:
    """Return the normalised (upper-case X) ID number, or raise IdentifierError saying what is wrong."""
    number = normalise_digits(value).strip().upper()
    if not _ID_PATTERN.match(number):
        raise IdentifierError(
            "身份证号应为18位：17位数字加1位校验码（数字或X）",
            "an ID number has 18 characters: 17 digits and a check character (digit or X)",
        )
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError(
            f"身份证号中的出生日期{number[6:14]}不是有效日期",
            f"the birth date {number[6:14]} in the ID number is not a valid date",
        ) from None
    if not EARLIEST_BIRTH_DATE <= born <= dt.date.today():
        raise IdentifierError(
            f"身份证号中的出生日期{born.isoformat()}应在1900-01-01至今天之间",
            f"the birth date {born.isoformat()} in the ID number must lie between 1900-01-01 and today",
        )
    expected = id_check_character(number[:17])
    if number[17] != expected:
        raise IdentifierError(
            f"身份证号校验码错误：应为{expected}，实际为{number[17]}",
            f"wrong check character: expected {expected}, got {number[17]}",
        )
    return number


def birth_date_from_id(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex_from_id(number: str) -> str:
    return "male" if int(number[16]) % 2 else "female"


def make_resident_id(address_code: str, birth_date: dt.date, sequence: int) -> str:
    """Compose a valid ID number (used by the synthetic generator and tests)."""
    first17 = f"{address_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


def validate_disability_certificate(value: str, id_number: str | None = None) -> str:
    """A 20-character certificate number: the ID number, the category digit (1-7) and the grade digit (1-4)."""
    number = normalise_digits(value).strip().upper()
    if len(number) != 20:
        raise IdentifierError(
            "残疾人证号应为20位：18位身份证号加残疾类别和等级各1位",
            "a disability certificate number has 20 characters: the ID number, a category digit and a grade digit",
        )
    validate_resident_id(number[:18])
    if number[18] not in DISABILITY_CATEGORY_CODES:
        raise IdentifierError(
            f"残疾人证号第19位（残疾类别）应为1–7，实际为{number[18]}",
            f"character 19 (category) must be 1-7, got {number[18]}",
        )
    if number[19] not in "1234":
        raise IdentifierError(
            f"残疾人证号第20位（残疾等级）应为1–4，实际为{number[19]}",
            f"character 20 (grade) must be 1-4, got {number[19]}",
        )
    if id_number and number[:18] != id_number.strip().upper():
        raise IdentifierError(
            "残疾人证号前18位与身份证号不一致",
            "the first 18 characters of the certificate number differ from the ID number",
        )
    return number


def read_certificate(number: str | None) -> dict | None:
    """What a (valid) certificate number says: its category digit (character 19) and category, its grade digit
    (character 20) — for a page to show the decoding beside the category the applicant stated, never in its place."""
    if not number or len(number) != 20 or number[18] not in DISABILITY_CATEGORY_CODES or number[19] not in "1234":
        return None
    return {"category_digit": number[18], "category": DISABILITY_CATEGORY_CODES[number[18]],
            "grade_digit": number[19], "grade": int(number[19])}


def read_resident_id(number: str | None) -> dict | None:
    """What a (valid) ID number says under GB 11643: the address code (characters 1-6: where the hukou was first
    registered, which a move does not change), the birth date (characters 7-14) and the sex (character 17)."""
    try:
        number = validate_resident_id(number or "")
    except IdentifierError:
        return None
    return {"address_code": number[:6], "birth_date": birth_date_from_id(number), "sex": sex_from_id(number)}


def id_disagreements(id_number: str | None, *, birth_date: dt.date | str | None = None,
                     division_code: str | None = None) -> list[dict]:
    """The stated facts a valid ID number disagrees with, for a reviewer to check (never to override them):

    - ``birth_date``: a birth date stated (on the pre-check or the paper form) other than characters 7-14;
    - ``hukou``: a place of hukou whose county is not the ID's address code (characters 1-6). The address code is
      where the number was first issued; after a move of hukou the two differ lawfully, so this is a prompt to
      look at the 户口本, not an error.

    Each: {"fact", "stated", "decoded", "characters"} (the dates as ISO text)."""
    reading = read_resident_id(id_number)
    if reading is None:
        return []
    found = []
    if birth_date:
        try:
            stated = birth_date if isinstance(birth_date, dt.date) else dt.date.fromisoformat(str(birth_date)[:10])
        except ValueError:
            stated = None
        if stated is not None and stated != reading["birth_date"]:
            found.append({"fact": "birth_date", "stated": stated.isoformat(),
                          "decoded": reading["birth_date"].isoformat(), "characters": "7–14"})
    if division_code and re.fullmatch(r"\d{6}|\d{9}", division_code) and division_code[:6] != reading["address_code"]:
        found.append({"fact": "hukou", "stated": division_code[:6], "decoded": reading["address_code"],
                      "characters": "1–6"})
    return found


# ------------------------------------------------------------------------------------------------ free text

def normalise_digits(value: str | None) -> str:
    """NFKC: full-width (１２３) and other compatibility digits and letters become ASCII, as staff meant them."""
    return unicodedata.normalize("NFKC", value or "")


_BANK_ACCOUNT = re.compile(r"^[0-9]{8,30}$")


def validate_bank_account(value: str | None) -> str:
    """The account number as ASCII digits (full-width digits normalised; spaces and dashes between groups dropped)."""
    digits = re.sub(r"[ \-]", "", normalise_digits(value).strip())
    if not _BANK_ACCOUNT.match(digits):
        raise IdentifierError("银行账号应为8–30位数字", "a bank account number has 8-30 digits")
    return digits


# Unicode categories no name or address contains: controls (NUL, ESC), formats (zero-width space and joiners,
# right-to-left overrides), surrogates, private use, unassigned, and line or paragraph separators.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_text(value: str | None, *, multiline: bool = False, what_zh: str = "内容", what_en: str = "the text") -> str:
    """``value`` in NFC with outer spaces removed; refuses control and format characters (a line break and a tab
    only where ``multiline``) and text with nothing visible."""
    text = unicodedata.normalize("NFC", value or "").strip()
    for character in text:
        if multiline and character in "\n\r\t":
            continue
        if unicodedata.category(character) in _REFUSED_CATEGORIES:
            raise IdentifierError(
                f"{what_zh}含有不可见的控制或格式字符（U+{ord(character):04X}），请重新输入",
                f"{what_en} holds an invisible control or format character (U+{ord(character):04X}); type it again",
            )
    if value and not text:
        raise IdentifierError(f"{what_zh}不能只有空格", f"{what_en} cannot be blank")
    return text


def check_known_division(code: str, known: Collection[str]) -> str:
    """``code`` when it is one of the divisions carecalc knows (the database's and the bundled list)."""
    division_level(code)
    if code not in known:
        raise IdentifierError(f"行政区划代码{code}不存在", f"no division with code {code}")
    return code


@functools.cache
def bundled_division_codes() -> frozenset[str]:
    """The divisions `carecalc sample load` installs (sample_data/divisions.csv): known even to an empty database."""
    import csv
    from importlib import resources

    text = resources.files("sample_data").joinpath("divisions.csv").read_text(encoding="utf-8")
    return frozenset(row["code"] for row in csv.DictReader(text.splitlines()))
