"""Spreadsheet I/O: templates, lossless round trips of every entity, precise reports of bad rows."""

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from care_services.db import session_scope
from care_services.identifiers import make_resident_id
from care_services.model import ENTITY_MODELS, Person
from care_services.spreadsheet import (
    READ_ENGINES,
    entity_spec,
    frame_records,
    read_workbook,
    write_error_report,
    write_workbook,
)
from care_services.store import SAMPLE_FILES, read_sample, store
from care_services.synthetic import generate_people


def complete(entity, **values):
    return {c.key: values.get(c.key) for c in entity_spec(entity).columns}


def sample_records(entity):
    files = dict(SAMPLE_FILES)
    if entity in files:
        return read_sample(entity, files[entity]).records
    if entity == "people":
        people = frame_records(generate_people(40, seed=11))
        odd = people[0] | {"name": "=HYPERLINK(\"x\")", "hukou_area": None, "adl_eating": None, "care_level": None}
        return [odd, *people[1:]]
    if entity == "elderly_institutions":
        return [
            complete(entity, code="EI-001", name="濂溪区颐养院（一期）", division_code="360402", ownership="private_non_profit",
                     premises="rented", ordinary_beds=60, nursing_beds=40, in_central_city=True,
                     opened_on=dt.date(2021, 3, 15), lease_years=8.5, note="示例"),
            complete(entity, code="EI-002", name="修水县社会福利中心", division_code="360424", ownership="public",
                     premises=None, ordinary_beds=120, nursing_beds=0, in_central_city=False),
            complete(entity, code="EI-003", name="公建民营护理院", division_code="360403", ownership="private_for_profit",
                     premises="public_built_private_run", ordinary_beds=0, nursing_beds=250, in_central_city=None,
                     opened_on=dt.date(2019, 12, 31)),
        ]
    if entity == "childcare_institutions":
        return [
            complete(entity, code="CC-001", name="浔阳区普惠托育园", division_code="360403", ownership="public", area="urban",
                     slots=90, inclusive=True, monthly_fee=1200.0, opened_on=dt.date(2022, 9, 1)),
            complete(entity, code="CC-002", name="都昌县乡镇托育点", division_code="360428", ownership="private", area="rural",
                     slots=30, inclusive=False, monthly_fee=None, note="计时托"),
        ]
    raise AssertionError(entity)


@pytest.mark.parametrize("entity", list(ENTITY_MODELS))
@pytest.mark.parametrize("engine", READ_ENGINES)
def test_round_trip_of_every_entity_is_lossless(tmp_path, entity, engine):
    records = sample_records(entity)
    path = tmp_path / f"{entity}.xlsx"
    write_workbook(path, entity, records)
    result = read_workbook(path, entity, engine=engine)
    assert result.errors == []
    assert result.records == records


@pytest.mark.parametrize("entity", list(ENTITY_MODELS))
def test_template_has_chinese_headers_drop_downs_and_instructions(tmp_path, entity):
    path = tmp_path / "template.xlsx"
    write_workbook(path, entity)
    workbook = load_workbook(path)
    spec = entity_spec(entity)
    sheet = workbook[spec.title_zh]
    assert [c.value for c in sheet[1]] == [c.zh for c in spec.columns]
    assert sheet.freeze_panes == "A2"
    validated = {str(cell_range).split(":")[0].rstrip("0123456789") for dv in sheet.data_validations.dataValidation
                 for cell_range in dv.sqref.ranges}
    for index, column in enumerate(spec.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        if column.choices or column.kind == "boolean":
            assert letter in validated, f"{column.zh} has no drop-down"
        assert column.key in sheet.cell(row=1, column=index).comment.text
    instructions = workbook["填写说明"]
    assert "填写说明" in instructions["A1"].value and instructions["A5"].value == "列名"
    assert [row[0] for row in instructions.iter_rows(min_row=6, values_only=True)] == [c.zh for c in spec.columns]
    numbers = [dv for dv in sheet.data_validations.dataValidation if dv.type in ("whole", "decimal", "date")]
    assert all("下拉列表" not in dv.error for dv in numbers)  # a number field says what it wants
    assert instructions.page_setup.orientation == "landscape" and instructions.print_title_rows == "$5:$5"
    assert read_workbook(path, entity).records == []


def test_id_columns_are_text_so_excel_keeps_every_digit(tmp_path):
    path = tmp_path / "people.xlsx"
    write_workbook(path, "people", sample_records("people")[:2])
    sheet = load_workbook(path)["申请人"]
    assert sheet["A2"].number_format == "@" and sheet.column_dimensions["A"].number_format == "@"
    assert sheet["A2"].data_type == "s"


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    path = tmp_path / "people.xlsx"
    write_workbook(path, "people", sample_records("people")[:1])
    cell = load_workbook(path)["申请人"]["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


# ------------------------------------------------------------------------------------------------ bad rows

GOOD_1 = make_resident_id("360902", dt.date(1958, 4, 1), 21)
GOOD_2 = make_resident_id("360981", dt.date(1990, 7, 9), 22)
GOOD_3 = make_resident_id("360983", dt.date(2001, 1, 30), 23)
BAD_CHECK = GOOD_1[:17] + ("0" if GOOD_1[17] != "0" else "1")


def officials_workbook(path):
    """The way a township clerk fills a sheet: a title row, full-width parentheses, Chinese labels."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(["宜春市困难重度失能残疾人申请汇总表（2024年3月）"])
    sheet.append(["身份证号", "姓名", "户籍所在地代码", "城乡", "是否低保", "易返贫致贫", "特困人员", "残疾证号",
                  "不能自主吃饭", "服务形式", "联系电话"])
    rows = [
        [GOOD_1, "张三", "360902", "农村", "是", "否", "否", GOOD_1 + "41", "是", "居家照护", "138"],   # row 3 good
        [BAD_CHECK, "李四", "360902", "城市", "是", "否", "否", None, "否", "日间照料", None],          # row 4 bad ID
        [GOOD_2, "王五", "36098", "城市", "是", "否", "否", None, "否", "居家照护", None],              # row 5 bad code
        [GOOD_3, "赵六", "360983", "城里", "也许", "否", "否", None, "否", "送餐", None],              # row 6 three bad cells
        [None, None, None, None, None, None, None, None, None, None, None],                          # row 7 blank
        [GOOD_2, "", "360981", "城市", "否", "是", "否", GOOD_3 + "41", "否", "机构托养", None],       # row 8 no name, cert mismatch
        [GOOD_3, "赵六", "360983", "城市", "否", "是", "否", None, "否", "机构托养", None],            # row 9 good
        [GOOD_3, "赵六", "360983", "城市", "否", "是", "否", None, "否", "机构托养", None],            # row 10 duplicate of 9
        [int(GOOD_2[:17]) * 10, "钱七", "360981", "城市", "否", "是", "否", None, "否", "机构托养", None],  # row 11 numeric ID
        [GOOD_2, "孙八", "３６０９８１", "城市", "否", "是", "否", None, "否", "机构托养", None],        # row 12 full-width code: good
    ]
    for row in rows:
        sheet.append(row)
    workbook.save(path)


@pytest.mark.parametrize("engine", READ_ENGINES)
def test_bad_rows_are_reported_precisely_and_good_rows_kept(tmp_path, engine):
    path = tmp_path / "applicants.xlsx"
    officials_workbook(path)
    result = read_workbook(path, "people", engine=engine)
    assert [r["id_number"] for r in result.records] == [GOOD_1, GOOD_3, GOOD_2]
    assert result.record_rows == [3, 9, 12]
    assert result.records[0]["dibao_household"] is True and result.records[0]["requested_service"] == "home_care"
    assert result.records[2]["hukou_division_code"] == "360981"
    assert result.ignored_headers == ["联系电话"]
    found = {(e.sheet, e.row, e.column, e.header) for e in result.errors}
    assert found == {
        ("Sheet1", 4, "A", "身份证号"),
        ("Sheet1", 5, "C", "户籍地区划代码"),
        ("Sheet1", 6, "D", "城乡"), ("Sheet1", 6, "E", "低保户"), ("Sheet1", 6, "J", "申请服务类别"),
        ("Sheet1", 8, "B", "姓名"),
        ("Sheet1", 10, "A", "身份证号"),
        ("Sheet1", 11, "A", "身份证号"),
    }
    reasons = {(e.row, e.column): e for e in result.errors}
    assert "校验码错误" in reasons[(4, "A")].reason_zh and "check character" in reasons[(4, "A")].reason_en
    assert "6位" in reasons[(5, "C")].reason_zh
    assert "城市" in reasons[(6, "D")].reason_zh and "不在可选值中" in reasons[(6, "D")].reason_zh
    assert "必填" in reasons[(8, "B")].reason_zh
    assert "与第9行重复" in reasons[(10, "A")].reason_zh
    assert "文本格式" in reasons[(11, "A")].reason_zh
    assert result.rejected_rows == [4, 5, 6, 8, 10, 11]


def test_certificate_that_is_not_the_applicants_is_refused(tmp_path):
    path = tmp_path / "applicants.xlsx"
    records = [complete("people", id_number=GOOD_2, name="王五", hukou_division_code="360981",
                        disability_certificate_number=GOOD_3 + "41")]
    write_workbook(path, "people", records)
    (error,) = read_workbook(path, "people").errors
    assert (error.row, error.header) == (2, "残疾人证号") and "不一致" in error.reason_zh


def test_missing_required_column_is_one_clear_error(tmp_path):
    path = tmp_path / "population.xlsx"
    workbook = Workbook()
    workbook.active.append(["行政区划代码", "年份", "城镇人口"])
    workbook.active.append(["360402", 2020, 1])
    workbook.save(path)
    result = read_workbook(path, "population")
    (error,) = result.errors
    assert error.row is None and "常住人口" in error.reason_zh and "total" in error.reason_en
    assert result.records == []


def test_a_file_that_is_not_a_workbook_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "not.xlsx"
    path.write_text("this is not a workbook")
    for engine in READ_ENGINES:
        (error,) = read_workbook(path, "people", engine=engine).errors
        assert ".xlsx" in error.reason_zh


def test_unknown_division_is_rejected_when_storing_and_the_rest_is_stored(loaded_engine, tmp_path):
    path = tmp_path / "people.xlsx"
    people = sample_records("people")[1:4]
    people[1] = people[1] | {"hukou_division_code": "360999"}  # well-formed, but no such county
    write_workbook(path, "people", people)
    result = store(loaded_engine, read_workbook(path, "people"))
    (error,) = result.errors
    assert error.row == 3 and error.value == "360999" and "不存在" in error.reason_zh
    with session_scope(loaded_engine) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 2


def test_divisions_come_in_any_order_and_parents_are_checked(engine, tmp_path):
    path = tmp_path / "divisions.xlsx"
    rows = [
        complete("divisions", code="360402", name="濂溪区", level="county"),
        complete("divisions", code="360400", name="九江市", level="city"),
        complete("divisions", code="360000", name="江西省", level="province"),
        complete("divisions", code="360402001", name="某街道", level="township"),
        complete("divisions", code="360403", name="浔阳区", level="city"),  # wrong level for the code
        complete("divisions", code="360404", name="柴桑区", level="county", parent_code="360900"),  # wrong parent
        complete("divisions", code="361002", name="临川区", level="county"),  # parent 361000 not present
    ]
    write_workbook(path, "divisions", rows)
    result = store(engine, read_workbook(path, "divisions"))
    assert [(e.row, e.header) for e in result.errors] == [(6, "层级"), (7, "上级代码"), (8, "上级代码")]
    assert {r["code"] for r in result.records} == {"360402", "360400", "360000", "360402001"}


def test_error_report_workbook(tmp_path):
    path = tmp_path / "applicants.xlsx"
    officials_workbook(path)
    result = read_workbook(path, "people")
    report = tmp_path / "report.xlsx"
    write_error_report(report, result)
    rows = list(load_workbook(report)["错误报告"].iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行", "列", "列名", "填写值", "原因")  # a Chinese workbook: the reason in Chinese
    assert len(rows) == len(result.errors) + 1
    assert ("Sheet1", 4, "A", "身份证号") == rows[1][:4]


def test_text_longer_than_its_column_is_refused_on_every_database(tmp_path):
    path = tmp_path / "institutions.xlsx"
    too_long = complete("childcare_institutions", code="CC-9", name="托" * 129, division_code="360403",
                        ownership="public", slots=10, inclusive=False)
    write_workbook(path, "childcare_institutions", [too_long])
    (error,) = read_workbook(path, "childcare_institutions").errors
    assert error.header == "机构名称" and "128" in error.reason_zh
