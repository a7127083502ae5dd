"""Parameters: every leaf cited, resolved by jurisdiction and date, floors and ranges enforced, reforms in memory."""

import datetime as dt

import pytest

from subsidy_rules.engine import evaluate
from subsidy_rules.parameters import (
    PARAMETER_ROOT,
    Change,
    ParameterError,
    ParameterNotFound,
    ParameterSet,
    Range,
    default_parameters,
    reform_from_mapping,
)
from tests.rules.conftest import override

DAY = dt.date(2024, 1, 1)


def test_every_shipped_parameter_is_cited_and_dated():
    parameters = default_parameters()
    assert len(parameters.parameters) >= 50
    for parameter in parameters.parameters.values():
        assert parameter.reference.document and parameter.reference.clause and parameter.reference.quote
        assert parameter.unit and parameter.description and parameter.values
        assert parameter.kind in ("exact", "floor", "range")
        if parameter.interpretation:  # an officer reads the reading in Chinese
            assert any("\u4e00" <= ch <= "\u9fff" for ch in parameter.interpretation_zh), parameter.name


def test_floors_are_where_the_texts_say_不低于_or_不少于():
    parameters = default_parameters()
    floors = {name for (name, _), p in parameters.parameters.items() if p.kind == "floor"}
    assert {"disability_care.home_care_month", "disability_care.day_care_month", "disability_care.institution_month",
            "childcare_operation.per_child_month", "elderly_disability_care_operation.per_disabled_resident_month",
            "elderly_institution_construction.county.stack_share_of_province"} <= floors
    for (name, _), p in parameters.parameters.items():
        if p.kind == "floor":
            assert "不低于" in p.reference.quote or "不少于" in p.reference.quote, name  # same meaning


def test_resolution_county_over_city_over_province(parameter_tree):
    parameters = parameter_tree({
        "360424/childcare_operation.yaml": override(["per_child_month"], 250),
        "36/childcare_operation.yaml": override(["per_child_month"], 150),
    })
    assert parameters.get("childcare_operation.per_child_month", "360424", DAY) == 250  # county
    assert parameters.get("childcare_operation.per_child_month", "360425", DAY) == 200  # city (Jiujiang)
    assert parameters.get("childcare_operation.per_child_month", "360902", DAY) == 150  # province (Yichun has none)
    assert parameters.find("childcare_operation.per_child_month", "360425", DAY).jurisdiction == "3604"


def test_resolution_by_date(parameter_tree):
    parameters = parameter_tree({"360424/childcare_operation.yaml": override(["per_child_month"], 260, date="2025-01-01")})
    assert parameters.get("childcare_operation.per_child_month", "360424", dt.date(2024, 12, 31)) == 200
    assert parameters.get("childcare_operation.per_child_month", "360424", dt.date(2025, 1, 1)) == 260
    with pytest.raises(ParameterNotFound):
        parameters.get("childcare_operation.per_child_month", "360424", dt.date(2022, 11, 8))  # before the plan


def test_a_value_of_null_means_not_configured():
    parameters = default_parameters()
    with pytest.raises(ParameterNotFound) as caught:
        parameters.get("disability_care.public_institution_support_month", "360902", DAY)
    assert "disability_care.public_institution_support_month" in str(caught.value)


def test_ranges():
    assert default_parameters().get("community_care_center.province.construction", "360402", DAY) == Range(100_000, 200_000)


@pytest.mark.parametrize("text, fragment", [
    ("x: [unclosed", "not valid YAML"),
    ("leaf:\n  unit: CNY\n  description: d\n  values: {2022-01-01: {value: 1}}\n", "missing 'reference'"),
    ("leaf:\n  unit: CNY\n  description: d\n  kind: ceiling\n  reference: {document: a, clause: b, quote: c}\n"
     "  values: {2022-01-01: {value: 1}}\n", "kind must be one of"),
    ("leaf:\n  unit: CNY\n  description: d\n  reference: {document: a, clause: b}\n  values: {2022-01-01: {value: 1}}\n",
     "reference needs document, clause and quote"),
    ("leaf:\n  unit: CNY\n  description: d\n  reference: {document: a, clause: b, quote: c}\n  values: {someday: {value: 1}}\n",
     "is not a date"),
    ("leaf:\n  unit: CNY\n  description: d\n  kind: range\n  reference: {document: a, clause: b, quote: c}\n"
     "  values: {2022-01-01: {min: 5, max: 1}}\n", "min 5.0 is above max 1.0"),
    ("leaf:\n  unit: CNY\n  description: d\n  reference: {document: a, clause: b, quote: c}\n"
     "  interpretation: read as the county\n  values: {2022-01-01: {value: 1}}\n", "interpretation_zh go together"),
])
def test_bad_files_are_refused_naming_file_and_key(parameter_tree, text, fragment):
    with pytest.raises(ParameterError) as caught:
        parameter_tree({"360424/broken.yaml": text})
    assert fragment in str(caught.value) and "360424/broken.yaml" in str(caught.value)


def test_a_folder_must_be_a_jurisdiction_code(tmp_path):
    (tmp_path / "jiujiang").mkdir()
    with pytest.raises(ParameterError, match="jurisdiction code"):
        ParameterSet.load(tmp_path)


def test_reform_in_memory_changes_results_and_leaves_files_alone():
    before = {p.name: p.read_text(encoding="utf-8") for p in PARAMETER_ROOT.rglob("*.yaml")}
    base = default_parameters()
    reformed = base.with_changes([Change("elderly_institution_construction.province.per_bed_nursing", 6000)])
    facts = dict(ownership="private_non_profit", premises="self_built", ordinary_beds=0, nursing_beds=100,
                 built_to_standard=True, in_central_city=False, opened_on="2020-01-01")
    old = evaluate("elderly_institution_construction", facts, date="2024-01-01", jurisdiction="360424")
    new = evaluate("elderly_institution_construction", facts, date="2024-01-01", jurisdiction="360424", parameters=reformed)
    # 100 nursing beds: province 500,000 -> 600,000, and the county's 50% stacking follows.
    assert (old["amount"], new["amount"]) == (750_000, 900_000)
    assert new["amount"] - old["amount"] == 100 * 1000 * 1.5
    assert base.get("elderly_institution_construction.province.per_bed_nursing", "360424", DAY) == 5000
    assert {p.name: p.read_text(encoding="utf-8") for p in PARAMETER_ROOT.rglob("*.yaml")} == before


def test_reform_from_a_date_and_for_one_county():
    reform = reform_from_mapping({
        "childcare_operation.per_child_month": {"value": 300, "start": "2025-01-01"},
        "disability_care.home_care_month": {"value": 800, "jurisdiction": "360902"},
    })
    parameters = default_parameters().with_changes(reform)
    assert parameters.get("childcare_operation.per_child_month", "360403", dt.date(2024, 12, 31)) == 200
    assert parameters.get("childcare_operation.per_child_month", "360403", dt.date(2025, 1, 1)) == 300
    assert parameters.get("disability_care.home_care_month", "360902", DAY) == 800
    assert parameters.get("disability_care.home_care_month", "360921", DAY) == 600


def test_a_county_reform_below_the_floor_is_refused():
    with pytest.raises(ParameterError, match="below the floor 600"):
        default_parameters().with_changes([Change("disability_care.home_care_month", 500, jurisdiction="360902")])


def test_a_county_value_gives_way_to_a_floor_raised_above_it_later():
    name = "disability_care.home_care_month"
    city_raises = default_parameters().with_changes([Change(name, 800, "3609", dt.date(2025, 1, 1))])
    county = [Change(name, 700, "360902", dt.date(2024, 1, 1))]
    with pytest.raises(ParameterError, match="below the floor 800"):
        city_raises.with_changes(county)  # a new county value below the floor is refused
    lifted = city_raises.with_changes(county, lift_to_floors=True)  # a recorded one gives way
    days = (dt.date(2023, 10, 1), dt.date(2024, 6, 1), dt.date(2025, 6, 1))
    assert [lifted.get(name, "360902", day) for day in days] == [600, 700, 800]
    assert lifted.get(name, "360921", dt.date(2025, 6, 1)) == 800
    above = city_raises.with_changes([Change(name, 900, "360902", dt.date(2024, 1, 1))], lift_to_floors=True)
    assert above.get(name, "360902", dt.date(2025, 6, 1)) == 900  # a county value above the floor stays


def test_a_reform_of_an_unknown_parameter_is_refused():
    with pytest.raises(ParameterError, match="no parameter named"):
        default_parameters().with_changes([Change("childcare_operation.per_kid", 1)])
