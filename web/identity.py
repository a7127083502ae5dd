"""What the ID number and the certificate number say, beside what an application states (issue 17): the decoding
of a certificate number ("证号第19位为4：肢体残疾；第20位为1：一级"), of an ID number under GB 11643 (address code,
birth date, sex, check character), and the stated facts they disagree with (a birth date, the place of hukou) —
warnings for the clerk on the form and the reviewer on the case page, never a silent override.

The server computes them (the form after a submit, the case page); web/static/id_check.js recomputes them live as
the clerk types, from the texts and names ``live_settings`` gives it, so both read the same words.
"""

from __future__ import annotations

from care_services.divisions import division_name, known_codes
from care_services.identifiers import (DISABILITY_CATEGORY_CODES, id_check_character, id_disagreements,
                                       normalise_digits, read_certificate, read_resident_id)
from web.i18n import t

LIVE_TEXTS = ("id_reading", "id_reading_text", "id_check_character", "certificate_reading",
              "certificate_digit_category", "certificate_digit_grade", "certificate_other_id", "birth_date_conflict",
              "hukou_conflict", "sex.male", "sex.female", "semicolon", "colon")


def place(code: str) -> str:
    """A county code as a clerk reads it: 袁州区（360902）, or the code alone where the system holds no name."""
    name = division_name(code)
    return f"{name}（{code}）" if name != code else code


def identity_reading(id_number: str | None, certificate: str | None, birth_date=None,
                     division_code: str | None = None) -> dict:
    """{"id": the ID number's reading or None, "check": the expected check character when only it is wrong,
    "certificate": the certificate's reading or None, "other_id": the certificate is another number's,
    "conflicts": the stated facts the ID number disagrees with, each with its sentence}."""
    number = normalise_digits(id_number).strip().upper()
    reading = read_resident_id(number)
    check = None
    if reading is None and len(number) == 18 and number[:17].isdigit() and number[17] != id_check_character(number[:17]):
        check = id_check_character(number[:17])
    certificate = normalise_digits(certificate).strip().upper()
    decoded = read_certificate(certificate)
    conflicts = []
    for found in id_disagreements(number, birth_date=birth_date, division_code=division_code):
        stated, shown = (place(found["stated"]), place(found["decoded"])) if found["fact"] == "hukou" \
            else (found["stated"], found["decoded"])
        text = t(f"{found['fact']}_conflict").replace("{stated}", stated).replace("{decoded}", shown)
        conflicts.append({**found, "text": text})
    id_text = None
    if reading:
        id_text = (t("id_reading_text").replace("{address}", place(reading["address_code"]))
                   .replace("{birth}", reading["birth_date"].isoformat()).replace("{sex_digit}", number[16])
                   .replace("{sex}", t(f"sex.{reading['sex']}")))
    certificate_text = None
    if decoded:
        certificate_text = (t("certificate_digit_category").replace("{digit}", decoded["category_digit"])
                            .replace("{name}", t(f"category.{decoded['category']}")) + t("semicolon")
                            + t("certificate_digit_grade").replace("{digit}", decoded["grade_digit"])
                            .replace("{name}", t(f"grade.{decoded['grade']}")))
    return {"id": reading, "id_text": id_text, "check": check, "certificate": decoded,
            "certificate_text": certificate_text,
            "other_id": bool(decoded and reading and certificate[:18] != number), "conflicts": conflicts}


def live_settings() -> dict:
    """What id_check.js needs to say the same in the page's language: the texts, county names, category and
    grade names."""
    return {"texts": {key: t(key) for key in LIVE_TEXTS},
            "places": {code: division_name(code) for code in sorted(known_codes()) if code[4:] != "00"},
            "categories": {digit: t(f"category.{name}") for digit, name in DISABILITY_CATEGORY_CODES.items()},
            "grades": {str(n): t(f"grade.{n}") for n in range(1, 5)}}
