"""The bundled sample data: complete, traceable, and consistent with the policy documents it comes from."""

import csv
import re

import pytest
from sqlalchemy import func, select

from care_services.db import session_scope
from care_services.model import Division, FacilityProject, PlanIndicator, Population, SupplySummary
from care_services.store import SAMPLE_FILES, load_sample, read_sample
from tests.conftest import SHARED


def test_loads_every_file_and_reloading_changes_nothing(loaded_engine):
    again = load_sample(loaded_engine)
    assert again == {"divisions": 472, "population": 23, "plan_indicators": 28, "supply": 1, "projects": 87}
    with session_scope(loaded_engine) as session:
        assert session.scalar(select(func.count()).select_from(FacilityProject)) == 87


def test_thirteen_jiujiang_and_ten_yichun_counties(loaded_engine):
    with session_scope(loaded_engine) as session:
        jiujiang = session.scalars(select(Division.name).where(Division.parent_code == "360400")).all()
        yichun = session.scalars(select(Division.name).where(Division.parent_code == "360900")).all()
    assert len(jiujiang) == 13 and "濂溪区" in jiujiang and "庐山市" in jiujiang
    assert len(yichun) == 10 and "袁州区" in yichun and "高安市" in yichun


def test_jiujiang_population_matches_the_plans_total(loaded_engine):
    # 九府办字[2022]113号 一: "总人口达460.02万人(第七次人口普查数据)"; the counties add up to 4,600,276.
    with session_scope(loaded_engine) as session:
        jiujiang = session.scalar(select(func.sum(Population.total)).where(Population.division_code.like("3604%")))
        yichun = session.scalar(select(func.sum(Population.total)).where(Population.division_code.like("3609%")))
    assert jiujiang == 4_600_276
    assert jiujiang // 100 / 100 == 460.02  # the plan truncates 460.0276万 to two decimals
    assert yichun == 5_007_702  # Jiangxi census bulletin No. 1


@pytest.mark.skipif(not (SHARED / "data").is_dir(), reason="../shared/data is not beside this checkout")
def test_census_figures_are_exactly_the_cited_reference_file():
    reference = {r["code"]: r for r in csv.DictReader(open(SHARED / "data" / "census2020-jiujiang-yichun-counties.csv", encoding="utf-8"))}
    population = {r["division_code"]: r for r in read_sample("population", "population_2020.csv").records}
    divisions = {r["code"]: r for r in read_sample("divisions", "divisions.csv").records}
    assert set(population) == set(reference)
    for code, ref in reference.items():
        row = population[code]
        assert (row["total"], row["urban"], row["aged_60_plus"], row["aged_80_plus"], row["aged_0"], row["aged_1_4"]) == (
            int(ref["pop_2020"]), int(ref["urban_pop"]), int(ref["age60p"]), int(ref["age80p"]), int(ref["age0"]),
            int(ref["age1_4"]),
        )
        assert row["under_3"] == int(ref["age0"]) + round(int(ref["age1_4"]) / 2) and row["under_3_estimated"]
        assert divisions[code]["name"] == ref["county"]
        assert divisions[code]["towns"] == int(ref["towns_zhen"])


def _indicator(session, domain, number):
    return session.get(PlanIndicator, ("360400", domain, number))


def test_plan_tables_1_and_2(loaded_engine):
    with session_scope(loaded_engine) as session:
        assert session.scalar(select(func.count()).where(PlanIndicator.domain == "elderly")) == 16
        assert session.scalar(select(func.count()).where(PlanIndicator.domain == "childcare")) == 12
        beds = _indicator(session, "elderly", 9)
        assert (beds.name, beds.baseline_2021, beds.target_2023, beds.target_2025) == ("养老服务床位总数", 26800, 28000, 30000)
        nursing = _indicator(session, "elderly", 10)
        assert (nursing.unit, nursing.target_2023, nursing.target_2025, nursing.nature) == ("%", 55, 60, "binding")
        slots = _indicator(session, "childcare", 7)
        assert (slots.name, slots.baseline_2021, slots.target_2023, slots.target_2025) == ("每千人口托位数", 2.9, 3.8, 4.5)
        inclusive = _indicator(session, "childcare", 8)
        assert (inclusive.target_2023, inclusive.target_2025) == (30, 60)
        visits = _indicator(session, "childcare", 1)
        assert visits.at_least and visits.target_2025 == 97  # printed "≥97"


def test_current_supply(loaded_engine):
    with session_scope(loaded_engine) as session:
        supply = session.get(SupplySummary, ("360400", 2022))
    assert (supply.elderly_institutions, supply.elderly_beds, supply.nursing_beds) == (240, 26800, 14200)
    assert (supply.childcare_institutions, supply.childcare_slots) == (400, 16800)
    assert "2.68万张" in supply.source and "1.68万个" in supply.source


@pytest.fixture(scope="module")
def projects():
    return {r["code"]: r for r in read_sample("projects", "projects_jiujiang.csv").records}


def test_project_list_is_complete_and_numbered_in_order(projects):
    for kind, prefix, count in (("elderly", "E", 51), ("childcare", "C", 36)):
        rows = sorted((r for r in projects.values() if r["kind"] == kind), key=lambda r: r["list_number"])
        assert [r["list_number"] for r in rows] == list(range(1, count + 1))
        assert all(r["code"] == f"JJ-{prefix}-{r['list_number']:02d}" for r in rows)


def test_subtotals_printed_in_the_list_reconcile(projects):
    """附件4 prints subtotals in its section header rows; the transcription must reproduce them."""
    # (三) 嵌入式养老院: 330 beds and 2280万. The sum includes 26 (庐山市城关镇养老院) with 28-33, and only
    # reading cell "06" of 33 as 90 (the 180° rotation rule) gives 330.
    section_3 = [projects[f"JJ-E-{n:02d}"] for n in (26, 28, 29, 30, 31, 32, 33)]
    assert sum(r["capacity_added"] for r in section_3) == 330
    assert sum(r["investment_10k_cny"] for r in section_3) == 2280
    # (四) 社区养老服务中心及农村互助养老设施: 5337 beds.
    assert sum(projects[f"JJ-E-{n:02d}"]["capacity_added"] for n in range(34, 44)) == 5337


def test_rotated_cells_are_confirmed_by_the_documents_own_text(projects):
    childcare_4 = projects["JJ-C-04"]
    assert childcare_4["investment_10k_cny"] == 600 and "总投资600万" in childcare_4["content"]
    childcare_27 = projects["JJ-C-27"]
    assert childcare_27["capacity_added"] == 60 and "设置托位60个" in childcare_27["content"]
    assert "009" in childcare_4["note"] and "09" in childcare_27["note"]


def test_every_blank_or_corrected_cell_is_explained(projects):
    for row in projects.values():
        if row["division_code"] is None or row["capacity_added"] is None or row["construction"] is None:
            assert row["note"], f"{row['code']} has a blank cell with no transcription note"
    decoded = sorted(r["code"] for r in projects.values() if r["note"] and "旋转180°" in r["note"])
    assert decoded == [  # every decoded cell keeps its raw text in the note
        "JJ-C-04", "JJ-C-23", "JJ-C-26", "JJ-C-27", "JJ-C-31",
        "JJ-E-01", "JJ-E-05", "JJ-E-12", "JJ-E-18", "JJ-E-20", "JJ-E-33", "JJ-E-34", "JJ-E-50",
    ]


def test_known_transcriptions(projects):
    first = projects["JJ-E-01"]
    assert (first["name"], first["division_code"], first["capacity_added"], first["stage"]) == (
        "九江市社会福利院乐寿楼(含老年伤残部)提升改造", "360403", 130, "完成初步设计")
    assert projects["JJ-E-19"]["investment_10k_cny"] == 5420.18
    assert projects["JJ-E-22"]["remark"] == "新增"
    assert projects["JJ-C-02"]["capacity_added"] == 100 and projects["JJ-C-02"]["capacity_added_max"] == 150
    assert projects["JJ-E-51"]["start"] == "2023-02-10" and projects["JJ-E-51"]["end"] == "2025-12-30"
    assert projects["JJ-C-01"]["end"] == "2023" and projects["JJ-C-01"]["start"] is None


def test_every_figure_carries_its_source():
    for entity, filename in SAMPLE_FILES:
        if entity == "projects":
            continue
        for record in read_sample(entity, filename).records:
            assert record["source"], f"{filename}: a row without its source"
    for record in read_sample("plan_indicators", "plan_indicators_jiujiang.csv").records:
        assert re.search(r"九府办字\[2022\]113号 二（二）表[12]", record["source"])
