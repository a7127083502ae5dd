"""Reading and writing every entity from/to .xlsx, with the headers officials write.

- Columns, headers, allowed values and checks come from the model (:mod:`care_services.model`).
- Reading never stops at the first problem: every bad cell is reported with sheet, row, column and reason (in
  Chinese and English) and every good row is returned.
- Writing produces the same layout as the template (Chinese headers, an English name and description in each
  header's comment, drop-downs for controlled values, text format for ID numbers), so an export can be edited
  and read back, and the round trip is lossless.
- Three read engines give the same rows: ``calamine`` (python-calamine directly), ``pandas-calamine`` (pandas'
  calamine engine) and ``openpyxl``. ``bench/xlsx_read.py`` measures them; the default is the fastest.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from xlsxwriter.utility import xl_col_to_name

from care_services.identifiers import (
    IdentifierError,
    division_level,
    parent_division_code,
    validate_disability_certificate,
    validate_resident_id,
)
from care_services.periods import parse_period
from care_services.vocabulary import BOOLEAN, DIVISION_LEVEL
from care_services.workbook import (
    DATE, TEXT, Column, ReportBook, ReportSheet,
)

if TYPE_CHECKING:  # the model (and SQLAlchemy) is imported where an entity is read or written, not by the batch path
    from care_services.model import Base

# Chosen by bench/xlsx_read.py: python-calamine read 3.6x as fast as openpyxl (20,000 applicant rows, validation
# included, 2-core machine, 2026-11) and pandas' calamine engine a little slower than calamine itself.
DEFAULT_READ_ENGINE = "calamine"
READ_ENGINES = ("calamine", "pandas-calamine", "openpyxl")
HEADER_SEARCH_ROWS = 10  # officials often put a title or a date line above the header row
TEMPLATE_ROWS = 1000  # rows a template's drop-downs cover beyond the data

KIND_LABELS = {
    "text": ("文本", "text"),
    "integer": ("整数", "whole number"),
    "number": ("数字", "number"),
    "boolean": ("是/否", "yes/no"),
    "date": ("日期", "date"),
}


# --------------------------------------------------------------------------------------------- specification


@dataclass(frozen=True, eq=False)  # identity: one spec per model column
class ColumnSpec:
    key: str
    zh: str
    kind: str  # text / integer / number / boolean / date
    required: bool
    aliases: tuple[str, ...] = ()
    choices: dict | None = None
    check: str | None = None
    minimum: float | None = None
    max_length: int | None = None
    description: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.zh, self.key, *self.aliases)

    @property
    def text_format(self) -> bool:
        """Identifier columns are stored as text so Excel keeps every digit (and the X)."""
        return self.check in ("resident_id", "disability_certificate", "division_code")


@dataclass(frozen=True)
class EntitySpec:
    name: str
    model: type[Base]
    title_zh: str
    columns: tuple[ColumnSpec, ...]

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.model.__table__.primary_key.columns)

    def column(self, key: str) -> ColumnSpec:
        return next(c for c in self.columns if c.key == key)


def _kind(column) -> str:
    from sqlalchemy import Boolean, Date, Float, Integer

    if isinstance(column.type, Boolean):
        return "boolean"
    if isinstance(column.type, Integer):
        return "integer"
    if isinstance(column.type, Float):
        return "number"
    if isinstance(column.type, Date):
        return "date"
    return "text"


def _column_spec(column) -> ColumnSpec:
    info = column.info
    has_default = column.default is not None
    return ColumnSpec(
        key=column.key,
        zh=info["zh"],
        kind=_kind(column),
        required=not column.nullable and not has_default,
        aliases=tuple(info.get("aliases") or ()),
        choices=info.get("choices"),
        check=info.get("check"),
        minimum=info.get("minimum"),
        max_length=getattr(column.type, "length", None),
        description=info.get("description") or "",
    )


@functools.cache  # specs are immutable; one per entity keeps the per-column caches below bounded
def entity_spec(name: str) -> EntitySpec:
    from care_services.model import ENTITY_MODELS

    try:
        model = ENTITY_MODELS[name]
    except KeyError:
        raise KeyError(f"未知数据类别“{name}”/ unknown entity '{name}'; one of: {', '.join(ENTITY_MODELS)}") from None
    return EntitySpec(
        name=name,
        model=model,
        title_zh=model.__title_zh__,
        columns=tuple(_column_spec(c) for c in model.__table__.columns),
    )


# ------------------------------------------------------------------------------------------------ conversion


class CellError(ValueError):
    def __init__(self, reason_zh: str, reason_en: str):
        super().__init__(reason_en)
        self.reason_zh = reason_zh
        self.reason_en = reason_en


_DASHES = str.maketrans({"—": "-", "–": "-", "～": "-", "~": "-", "－": "-", "―": "-"})


_SPACES = re.compile(r"\s+")


def normalise_label(text: Any) -> str:
    """Fold the ways the same header or label gets typed: full-width forms, dashes, spaces, case."""
    return _normalise(str(text))


@functools.lru_cache(maxsize=16384)  # a sheet repeats the same few labels (是, 否, 城市…) thousands of times
def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _SPACES.sub("", folded).lower()


_TRUE = {normalise_label(x) for x in ("是", "true", "yes", "y", "1", "√", "✓", "有")}
_FALSE = {normalise_label(x) for x in ("否", "false", "no", "n", "0", "×", "✗", "无")}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from pandas
        return True
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values of nullable columns and dates
        return True
    return isinstance(value, str) and not value.strip()


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return BOOLEAN[value]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value.strip() if isinstance(value, str) else str(value)  # text is kept as typed, bar outer spaces


def _to_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("应为整数", "expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(f"应为整数，实际为{value}", f"expected a whole number, got {value}")
    text = normalise_label(value).replace(",", "")
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d+\.0+", text):
        return int(float(text))
    raise CellError(f"应为整数，实际为“{value}”", f"expected a whole number, got '{value}'")


def _to_number(value: Any) -> float:
    if isinstance(value, bool):
        raise CellError("应为数字", "expected a number")
    if isinstance(value, (int, float)):
        return float(value)
    text = normalise_label(value).replace(",", "")
    try:
        return float(text)
    except ValueError:
        raise CellError(f"应为数字，实际为“{value}”", f"expected a number, got '{value}'") from None


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = normalise_label(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"应填“是”或“否”，实际为“{value}”", f"expected yes (是) or no (否), got '{value}'")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # as typed most often: no folding needed


def _to_date(value: Any) -> dt.date:
    if type(value) is str and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass  # 2023-02-30: the general path below gives the message
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 2958466:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))  # an Excel serial number in an unformatted cell
    text = normalise_label(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    raise CellError(
        f"应为日期（如2022-11-09），实际为“{value}”", f"expected a date such as 2022-11-09, got '{value}'"
    )


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _to_text,
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "date": _to_date,
}


@functools.cache
def _choice_lookup(column: ColumnSpec) -> dict[str, str]:
    lookup = {}
    for value, label in column.choices.items():
        lookup[normalise_label(value)] = value
        lookup[normalise_label(label)] = value
        lookup[normalise_label(str(value).replace("_", " "))] = value
    return lookup


_CHECKS: dict[str, Callable[[str], str]] = {
    "resident_id": validate_resident_id,
    "disability_certificate": validate_disability_certificate,
}


def below_minimum(minimum: float) -> CellError:
    return CellError(f"不能小于{minimum:g}", f"must not be less than {minimum:g}")


def convert_cell(column: ColumnSpec, value: Any) -> Any:
    """The stored value for one cell, or CellError saying why it cannot be stored."""
    if is_blank(value):
        if column.required:
            raise CellError("必填项为空", "required value is missing")
        return None
    if column.check in ("resident_id", "disability_certificate") and isinstance(value, (int, float)):
        # Excel keeps 15 significant digits: an 18-digit number typed as a number has already lost its tail.
        raise CellError(
            "证件号码须以文本格式录入（以数字格式录入会丢失末尾数字）",
            "identity numbers must be entered as text (a number cell loses the last digits)",
        )
    if column.check and isinstance(value, str):
        value = unicodedata.normalize("NFKC", value)  # full-width digits typed into a code are still the code
    converted = _CONVERTERS[column.kind](value)
    if column.choices:
        lookup = _choice_lookup(column)
        key = lookup.get(normalise_label(converted))
        if key is None:
            allowed = "、".join(column.choices.values())
            raise CellError(
                f"“{value}”不在可选值中：{allowed}",
                f"'{value}' is not one of: {', '.join(column.choices)}",
            )
        converted = key
    if column.max_length and len(converted) > column.max_length:
        # PostgreSQL enforces VARCHAR(n), SQLite does not: checked here so both refuse the same rows.
        raise CellError(f"超过最大长度{column.max_length}个字符", f"longer than {column.max_length} characters")
    if column.minimum is not None and converted < column.minimum:
        raise below_minimum(column.minimum)
    if column.check == "division_code":
        division_level(converted)
    elif column.check in _CHECKS:
        converted = _CHECKS[column.check](converted)
    return converted


# ------------------------------------------------------------------------------------------- row-level checks


def _check_division(record: dict) -> list[tuple[str, str, str]]:
    problems = []
    code = record.get("code")
    if not code:
        return problems
    implied_level = division_level(code)
    if record.get("level") and record["level"] != implied_level:
        problems.append((
            "level",
            f"代码{code}表示“{DIVISION_LEVEL[implied_level]}”级，与所填层级不符",
            f"code {code} is a {implied_level}-level code, not {record['level']}",
        ))
    implied_parent = parent_division_code(code)
    if record.get("parent_code") is None:
        record["parent_code"] = implied_parent
    elif record["parent_code"] != implied_parent:
        problems.append((
            "parent_code",
            f"上级代码应为{implied_parent}（由代码{code}决定）",
            f"the parent of {code} is {implied_parent}",
        ))
    return problems


def _check_person(record: dict) -> list[tuple[str, str, str]]:
    certificate, id_number = record.get("disability_certificate_number"), record.get("id_number")
    if certificate and id_number and certificate[:18] != id_number:
        return [(
            "disability_certificate_number",
            "残疾人证号前18位与身份证号不一致",
            "the first 18 characters of the certificate number differ from the ID number",
        )]
    return []


def _check_project(record: dict) -> list[tuple[str, str, str]]:
    if record.get("start") is None and record.get("end") is None:
        record["start"], record["end"] = parse_period(record.get("period"))
    low, high = record.get("capacity_added"), record.get("capacity_added_max")
    if low is not None and high is not None and high < low:
        return [("capacity_added_max", "上限小于下限", "the upper end is below the lower end")]
    return []


ROW_CHECKS: dict[str, Callable[[dict], list[tuple[str, str, str]]]] = {
    "divisions": _check_division,
    "people": _check_person,
    "projects": _check_project,
}


# ----------------------------------------------------------------------------------------------------- reading


@dataclass
class RowError:
    sheet: str
    row: int | None  # the row number Excel shows; None for a problem with the whole sheet
    column: str | None  # column letter
    header: str | None
    value: Any
    reason_zh: str
    reason_en: str

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.column or ''}{self.row or ''}"
        head = f"（{self.header}）" if self.header else ""
        shown = "" if self.value is None else f" = {self.value!r}"
        return f"{where}{head}{shown}: {self.reason_zh} / {self.reason_en}"

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet, "row": self.row, "column": self.column, "header": self.header,
            "value": None if self.value is None else str(self.value),
            "reason_zh": self.reason_zh, "reason_en": self.reason_en,
        }


@dataclass
class ImportResult:
    entity: str
    sheet: str
    records: list[dict] = field(default_factory=list)
    record_rows: list[int] = field(default_factory=list)  # the Excel row each record came from
    errors: list[RowError] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row is not None})

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.entity}: 读取成功{len(self.records)}行，出错{len(self.rejected_rows)}行 / "
            f"{len(self.records)} rows read, {len(self.rejected_rows)} rejected"
        )


Source = str | Path | IO[bytes]


def _sheets_calamine(source: Source) -> dict[str, Callable[[], list[list]]]:
    from python_calamine import CalamineWorkbook

    if isinstance(source, (str, Path)):
        workbook = CalamineWorkbook.from_path(str(source))
    else:
        workbook = CalamineWorkbook.from_filelike(source)
    return {
        name: (lambda name=name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
        for name in workbook.sheet_names
    }


def _sheets_pandas_calamine(source: Source) -> dict[str, Callable[[], list[list]]]:
    import pandas as pd

    frames = pd.read_excel(source, sheet_name=None, header=None, dtype=object, engine="calamine")
    return {name: (lambda frame=frame: frame.to_numpy().tolist()) for name, frame in frames.items()}


def _sheets_openpyxl(source: Source) -> dict[str, Callable[[], list[list]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(source, read_only=True, data_only=True)
    return {
        name: (lambda name=name: [list(r) for r in workbook[name].iter_rows(values_only=True)])
        for name in workbook.sheetnames
    }


_ENGINES = {
    "calamine": _sheets_calamine,
    "pandas-calamine": _sheets_pandas_calamine,
    "openpyxl": _sheets_openpyxl,
}


def read_sheets(source: Source, engine: str = DEFAULT_READ_ENGINE) -> dict[str, Callable[[], list[list]]]:
    """Each sheet's rows (raw cell values), read on demand, by any of the read engines — once the workbook is
    within the upload limits (care_services.upload_limits; the command line's unless the web checked it already)."""
    from care_services.upload_limits import check_workbook

    check_workbook(source)
    return _ENGINES[engine](source)


def match_headers(spec: EntitySpec, row: Sequence) -> dict[int, ColumnSpec]:
    lookup = {normalise_label(h): c for c in spec.columns for h in c.headers}
    matched: dict[int, ColumnSpec] = {}
    for index, cell in enumerate(row):
        if is_blank(cell):
            continue
        column = lookup.get(normalise_label(cell))
        if column and column not in matched.values():
            matched[index] = column
    return matched


def find_header(spec, rows: Sequence[Sequence]) -> tuple[int, dict[int, ColumnSpec]]:
    """The header row among the first rows (the one naming most columns of ``spec``) and its columns."""
    header_index, header_map = 0, {}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        matched = match_headers(spec, row)
        if len(matched) > len(header_map):
            header_index, header_map = index, matched
    return header_index, header_map


def _choose_sheet(spec: EntitySpec, names: Sequence[str], wanted: str | None) -> str:
    if wanted:
        if wanted not in names:
            raise CellError(f"工作簿中没有工作表“{wanted}”", f"the workbook has no sheet '{wanted}'")
        return wanted
    for candidate in (spec.title_zh, spec.name):
        if candidate in names:
            return candidate
    return names[0]


from care_services.upload_limits import UploadTooLarge  # noqa: E402  (beside the read path that raises it)


def read_workbook(
    source: Source, entity: str, *, engine: str = DEFAULT_READ_ENGINE, sheet: str | None = None
) -> ImportResult:
    """Read one entity's rows from a workbook, reporting every bad cell and keeping every good row."""
    spec = entity_spec(entity)
    try:
        sheets = read_sheets(source, engine)
    except KeyError:
        raise ValueError(f"unknown read engine {engine!r}; one of {READ_ENGINES}") from None
    except UploadTooLarge as error:
        result = ImportResult(entity, sheet or "")
        result.errors.append(RowError("", None, None, None, None, error.reason_zh, error.reason_en))
        return result
    except Exception as error:  # a corrupt or non-xlsx file: say so, do not crash
        result = ImportResult(entity, sheet or "")
        result.errors.append(RowError(
            "", None, None, None, None,
            f"无法读取该文件，请确认是.xlsx格式（{type(error).__name__}）",
            f"cannot read the file; is it an .xlsx workbook? ({error})",
        ))
        return result
    try:
        sheet_name = _choose_sheet(spec, list(sheets), sheet)
    except CellError as error:
        result = ImportResult(entity, sheet or "")
        result.errors.append(RowError(sheet or "", None, None, None, None, error.reason_zh, error.reason_en))
        return result
    rows = sheets[sheet_name]()
    return parse_rows(spec, rows, sheet_name)


EXAMPLE_MARK = "← 示例行，导入时跳过，可删除"


def is_example(row: Sequence) -> bool:
    """The example row a template carries (marked in the cell after the table): never imported."""
    return any(isinstance(cell, str) and cell == EXAMPLE_MARK for cell in row)


def records_as_rows(spec: EntitySpec, records: Iterable[dict]) -> list[list]:
    """Dicts as a header row of English keys plus value rows, to pass through :func:`parse_rows`."""
    keys = [c.key for c in spec.columns]
    return [keys, *([record.get(k) for k in keys] for record in records)]


def frame_records(frame) -> list[dict]:
    """Rows of a pandas frame as plain Python values (numpy numbers, NaN/NA/NaT become int, float, bool, None)."""
    import numpy as np  # imported here: reading and writing workbooks does not need numpy or pandas
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, np.generic):
                record[key] = value.item()
    return records


def parse_rows(spec: EntitySpec, rows: Sequence[Sequence], sheet_name: str) -> ImportResult:
    """Validate rows (the first rows may hold titles; the header is found among them)."""
    result = ImportResult(spec.name, sheet_name)
    header_index, header_map = find_header(spec, rows)
    missing = [c for c in spec.columns if c.required and c not in header_map.values()]
    if missing:
        result.errors.append(RowError(
            sheet_name, None, None, None, None,
            "缺少必填列：" + "、".join(c.zh for c in missing),
            "missing required columns: " + ", ".join(c.key for c in missing),
        ))
        return result
    header_row = rows[header_index]
    result.ignored_headers = [
        str(cell) for i, cell in enumerate(header_row) if i not in header_map and not is_blank(cell)
    ]
    absent = [c for c in spec.columns if c not in header_map.values()]
    seen_keys: dict[tuple, int] = {}
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        cells = {c: (row[i] if i < len(row) else None) for i, c in header_map.items()}
        if all(is_blank(value) for value in cells.values()) or is_example(row):
            continue
        record: dict[str, Any] = {c.key: None for c in absent if not c.required}
        row_errors: list[RowError] = []
        letters = {c.key: xl_col_to_name(i) for i, c in header_map.items()}
        for column, value in cells.items():
            try:
                record[column.key] = convert_cell(column, value)
            except (CellError, IdentifierError) as error:
                row_errors.append(RowError(
                    sheet_name, offset, letters[column.key], column.zh, value, error.reason_zh, error.reason_en
                ))
        if not row_errors:
            for key, reason_zh, reason_en in ROW_CHECKS.get(spec.name, lambda r: [])(record):
                row_errors.append(RowError(
                    sheet_name, offset, letters.get(key), spec.column(key).zh, record.get(key), reason_zh, reason_en
                ))
        if not row_errors:
            key = tuple(record[k] for k in spec.key)
            if key in seen_keys:
                row_errors.append(RowError(
                    sheet_name, offset, letters.get(spec.key[0]), spec.column(spec.key[0]).zh, "/".join(map(str, key)),
                    f"与第{seen_keys[key]}行重复", f"duplicates row {seen_keys[key]}",
                ))
            else:
                seen_keys[key] = offset
        if row_errors:
            result.errors.extend(row_errors)
        else:
            for column in absent:  # optional columns left out of the sheet take the model's default
                default = spec.model.__table__.columns[column.key].default
                if default is not None and record.get(column.key) is None:
                    record[column.key] = default.arg
            result.records.append(record)
            result.record_rows.append(offset)
    return result


# ----------------------------------------------------------------------------------------------------- writing
# Every workbook is written through care_services.workbook (xlsxwriter, streaming, formula-safe).

def to_record(instance: Base) -> dict:
    return {c.key: getattr(instance, c.key) for c in instance.__table__.columns}


def displayed(column: ColumnSpec, value: Any) -> Any:
    """A stored value as an official types it: 是/否, the Chinese label of a choice."""
    if value is None:
        return None
    if column.kind == "boolean":
        return BOOLEAN[bool(value)]
    if column.choices:
        return column.choices.get(value, value)
    return value


def validation_rule(column: ColumnSpec, list_source: Callable[[list[str]], str]) -> dict | None:
    """The data validation of a template column, with a message that says what the column wants.

    ``list_source`` places a long list of choices on the hidden list sheet and returns its range."""
    title = column.zh[:32]
    if column.kind == "boolean":
        return {"validate": "list", "source": ["是", "否"], "error_title": title,
                "error_message": "请从下拉列表中选择“是”或“否” / choose 是 (yes) or 否 (no)"}
    if column.choices:
        labels = list(column.choices.values())
        inline = ",".join(labels)
        source = labels if len(inline) <= 250 else list_source(labels)  # Excel: an inline list ≤ 255 characters
        return {"validate": "list", "source": source, "error_title": title,
                "error_message": "请从下拉列表中选择 / choose a value from the list"}
    if column.kind == "integer":
        low = int(column.minimum) if column.minimum is not None else -10**9
        shown = f"不小于{low}的" if column.minimum is not None else ""
        return {"validate": "integer", "criteria": ">=", "value": low, "error_title": title,
                "error_message": f"请填写{shown}整数 / enter a whole number"
                                 + (f" of at least {low}" if column.minimum is not None else "")}
    if column.kind == "number" and column.minimum is not None:
        return {"validate": "decimal", "criteria": ">=", "value": column.minimum, "error_title": title,
                "error_message": f"请填写不小于{column.minimum:g}的数字 / enter a number of at least {column.minimum:g}"}
    if column.kind == "date":
        return {"validate": "date", "criteria": ">", "value": dt.date(1900, 1, 1), "error_title": title,
                "error_message": "请填写日期，如2024-03-01 / enter a date such as 2024-03-01"}
    return None


def add_validations(book: ReportBook, sheet: ReportSheet, columns: Sequence[ColumnSpec], last_row: int) -> None:
    """Drop-downs and checks for rows 2..``last_row`` of a template, long lists on a hidden sheet; identifier
    columns formatted as text so what is typed later keeps every digit."""
    lists: list[ReportSheet] = []

    def list_source(labels: list[str]) -> str:
        if not lists:
            lists.append(book.sheet("_lists"))
            lists[0].ws.hide()
            lists.append(0)  # the next free column
        sheet_, column = lists[0], lists[1]
        for row, label in enumerate(labels):
            sheet_.cell(row, column, label, fit=False)
        lists[1] = column + 1
        from openpyxl.utils import quote_sheetname  # openpyxl is not imported on every command for this alone

        letter = xl_col_to_name(column)
        return f"={quote_sheetname(sheet_.name)}!${letter}$1:${letter}${len(labels)}"

    for index, column in enumerate(columns):
        rule = validation_rule(column, list_source)
        if rule is not None:
            sheet.ws.data_validation(1, index, last_row, index, rule)
        if column.text_format:
            sheet.column_format(index, {"num_format": TEXT})


def _describe(column: ColumnSpec) -> str:
    kind_zh, _ = KIND_LABELS[column.kind]
    lines = [f"{column.zh}（{kind_zh}，{'必填' if column.required else '选填'}）"]
    if column.choices:
        lines.append("可选值：" + "、".join(column.choices.values()))
    if column.description:
        lines.append(column.description)
    lines.append(f"English: {column.key}")
    return "\n".join(lines)


def write_workbook(
    target: Source,
    entity: str,
    records: Iterable[dict | Base] = (),
    progress: Callable[[int], None] | None = None,
    example: dict | None = None,
) -> None:
    """Write rows (dicts or model instances) in the template layout; with no rows this is the template
    (with ``example``, one example row that the reader skips, marked 示例)."""
    from care_services.model import Base

    spec = entity_spec(entity)
    with ReportBook(target) as book:
        sheet = book.sheet(spec.title_zh)
        columns = [Column(c.zh, "id" if c.text_format else "text", note=_describe(c), required=c.required)
                   for c in spec.columns]
        sheet.header(columns)
        styles = [sheet.style({"num_format": TEXT} if c.text_format else {"num_format": DATE} if c.kind == "date"
                              else {}) for c in spec.columns]
        if example is not None:
            write_example_row(sheet, [displayed(c, example.get(c.key)) for c in spec.columns], styles)
        count = 0
        for count, record in enumerate(records, start=1):
            values = to_record(record) if isinstance(record, Base) else record
            row = sheet.row
            for index, column in enumerate(spec.columns):
                sheet.cell(row, index, displayed(column, values.get(column.key)), styles[index])
            sheet.row += 1
            if progress and count % 1000 == 0:
                progress(count)
        if progress:
            progress(count)
        add_validations(book, sheet, spec.columns, count + TEMPLATE_ROWS)
        sheet.ws.freeze_panes(1, 0)
        _write_instructions(book.sheet("填写说明"), spec)


def write_example_row(sheet: ReportSheet, values: Sequence, styles: Sequence) -> None:
    """The template's example row, in grey, marked after the last column so every reader skips it."""
    row = sheet.row
    for index, value in enumerate(values):
        style = styles[index] if styles else None
        sheet.cell(row, index, value, {**(style.props if style else {}), "font_color": "#808080", "italic": True})
    sheet.cell(row, len(values), EXAMPLE_MARK, {"font_color": "#C00000"}, fit=False)
    sheet.row += 1


def template_example(entity: str) -> dict | None:
    """One real-looking row for an entity's template: the first shipped sample row, or a synthetic applicant."""
    from care_services.store import SAMPLE_FILES, read_sample

    files = dict(SAMPLE_FILES)
    if entity in files:
        records = read_sample(entity, files[entity]).records
        return records[0] if records else None
    if entity == "people":
        from care_services.synthetic import generate_people

        person = frame_records(generate_people(1, seed=3))[0]
        return {**person, **({"note": "示例（合成数据，非真实人员）"} if "note" in person else {})}
    return None


def _write_instructions(sheet: ReportSheet, spec: EntitySpec) -> None:
    sheet.line(f"《{spec.title_zh}》填写说明", 1, bold=True)
    sheet.line("红色列名为必填项；其余为选填。可选值请从下拉列表中选择；身份证号等证件号码请以文本格式填写。", 1)
    sheet.line("表头请勿修改；可在表头上方加标题行。每行一条记录，空行和标有“示例行”的行会被跳过。", 1)
    sheet.skip()
    columns = [Column("列名", width=24), Column("必填", width=6), Column("类型", width=8), Column("可选值", width=60)]
    sheet.table(columns, ([
        column.zh, "是" if column.required else "否", KIND_LABELS[column.kind][0],
        "、".join(column.choices.values()) if column.choices else ("是、否" if column.kind == "boolean" else ""),
    ] for column in spec.columns), freeze=None)
    sheet.print_setup()


def write_error_report(target: Source, result: ImportResult) -> None:
    """The rejected cells as a workbook officials can filter and fix from."""
    with ReportBook(target) as book:
        sheet = book.sheet("错误报告")
        columns = [Column("工作表"), Column("行", "integer"), Column("列"), Column("列名"), Column("填写值"), Column("原因")]
        sheet.table(columns, ([error.sheet, error.row, error.column, error.header,
                               None if error.value is None else str(error.value), error.reason_zh]
                              for error in result.errors), freeze=0, autofilter=True)
        sheet.print_setup()
