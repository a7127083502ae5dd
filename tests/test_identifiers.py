import datetime as dt

import pytest

from care_services.identifiers import (
    IdentifierError,
    birth_date_from_id,
    division_level,
    make_resident_id,
    parent_division_code,
    sex_from_id,
    validate_disability_certificate,
    validate_resident_id,
)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_gb11643_examples_from_the_reference_data_are_valid(number):
    from care_services.identifiers import IdentifierError, id_check_character

    assert id_check_character(number[:17]) == number[17]
    if number[6:10] >= "1900":
        assert validate_resident_id(number) == number
    else:  # the standard's own example was born in 1880: well-formed, but nobody applying today (issue 15)
        with pytest.raises(IdentifierError, match="1900-01-01"):
            validate_resident_id(number)


def test_lower_case_x_is_normalised():
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    "number, fragment",
    [
        ("110105194912310021", "校验码错误"),  # check character must be X
        ("11010519491331002X", "不是有效日期"),  # month 13
        ("1101051949123100", "18位"),
        ("11010519491231002Y", "18位"),
    ],
)
def test_bad_id_numbers_say_what_is_wrong(number, fragment):
    with pytest.raises(IdentifierError) as caught:
        validate_resident_id(number)
    assert fragment in caught.value.reason_zh
    assert caught.value.reason_en


def test_made_ids_validate_and_carry_birth_date_and_sex():
    number = make_resident_id("360902", dt.date(1950, 2, 28), 37)
    assert validate_resident_id(number) == number
    assert birth_date_from_id(number) == dt.date(1950, 2, 28)
    assert sex_from_id(number) == "male"
    assert sex_from_id(make_resident_id("360902", dt.date(1950, 2, 28), 38)) == "female"


def test_division_levels_and_parents():
    assert division_level("360000") == "province"
    assert division_level("360400") == "city"
    assert division_level("360402") == "county"
    assert division_level("360402001") == "township"
    assert parent_division_code("360402001") == "360402"
    assert parent_division_code("360402") == "360400"
    assert parent_division_code("360400") == "360000"
    assert parent_division_code("360000") is None
    with pytest.raises(IdentifierError):
        division_level("3604")


def test_disability_certificate_is_id_plus_category_and_grade():
    number = make_resident_id("360902", dt.date(1960, 1, 1), 11)
    assert validate_disability_certificate(number + "41", number) == number + "41"
    with pytest.raises(IdentifierError, match="类别"):
        validate_disability_certificate(number + "81")
    with pytest.raises(IdentifierError, match="等级"):
        validate_disability_certificate(number + "45")
    other = make_resident_id("360902", dt.date(1960, 1, 2), 11)
    with pytest.raises(IdentifierError, match="不一致"):
        validate_disability_certificate(other + "41", number)
