"""The synthetic applicant generator: seeded, valid, labelled, and distributed as its sources say."""

import pytest

from care_services.identifiers import validate_disability_certificate, validate_resident_id
from care_services.spreadsheet import entity_spec, frame_records, parse_rows, records_as_rows
from care_services.synthetic import SURVEY_2006_CATEGORY_SHARES, generate_people


@pytest.fixture(scope="module")
def people():
    return generate_people(20_000, seed=2024)


def test_same_seed_same_people_and_other_seed_other_people():
    assert generate_people(300, 9).equals(generate_people(300, 9))
    assert not generate_people(300, 9).equals(generate_people(300, 10))


def test_every_row_is_valid_and_labelled(people):
    result = parse_rows(entity_spec("people"), records_as_rows(entity_spec("people"), frame_records(people)), "gen")
    assert result.errors == [] and len(result.records) == 20_000
    assert people["synthetic"].all() and people["note"].str.contains("合成数据").all()
    assert people["id_number"].is_unique
    for number, certificate in people[["id_number", "disability_certificate_number"]].head(500).itertuples(index=False):
        validate_resident_id(number)
        if isinstance(certificate, str):  # missing is NaN in pandas' string columns
            validate_disability_certificate(certificate, number)


def test_people_live_in_yichun_weighted_by_population(people):
    assert people["hukou_division_code"].str.startswith("3609").all()
    shares = people["hukou_division_code"].value_counts(normalize=True)
    # 袁州区 1,121,707 of 5,007,702 residents; 铜鼓县 116,418.
    assert shares["360902"] == pytest.approx(1_121_707 / 5_007_702, abs=0.01)
    assert shares["360926"] == pytest.approx(116_418 / 5_007_702, abs=0.005)


def test_ages_and_categories_follow_the_2006_survey(people):
    certificates = people["disability_certificate_number"].dropna()
    digits = certificates.str[18].value_counts(normalize=True)
    codes = {"visual": "1", "hearing": "2", "speech": "3", "physical": "4", "intellectual": "5", "mental": "6", "multiple": "7"}
    for category, share in SURVEY_2006_CATEGORY_SHARES.items():
        assert digits[codes[category]] == pytest.approx(share, abs=0.012)
    years = people["id_number"].str[6:10].astype(int)
    ages = 2024 - years  # reference date 2025-01-01, birthdays during the year before
    assert (ages >= 16).all()
    assert (ages >= 60).mean() == pytest.approx(0.5324, abs=0.015)


def test_batches_hold_both_sides_of_every_criterion(people):
    failed = people[["adl_eating", "adl_dressing", "adl_transfer", "adl_toileting", "adl_walking_indoors", "adl_bathing"]].sum(axis=1)
    assert (failed >= 4).any() and (failed < 4).any()
    grades = people["disability_certificate_number"].dropna().str[19].astype(int)
    assert set(grades) == {1, 2, 3, 4}
    for flag in ("dibao_household", "at_risk_of_poverty", "tekun_supported"):
        assert people[flag].any() and not people[flag].all()
    assert people["disability_certificate_number"].isna().any()
    assert set(people["requested_service"]) == {"home_care", "day_care", "institutional_care"}


def test_other_cities_and_bad_arguments():
    jiujiang = generate_people(100, 1, city_prefixes=("3604",))
    assert jiujiang["hukou_division_code"].str.startswith("3604").all()
    with pytest.raises(ValueError):
        generate_people(5, 1, city_prefixes=("1101",))
    with pytest.raises(ValueError):
        generate_people(-1, 1)
